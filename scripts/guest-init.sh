#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the execmem test guest (busybox sh, PID 1).  scripts/qemu-run.sh
# copies this file into the initramfs as /init, next to /bin/busybox (+ applet
# symlinks), /modules/*.ko, /test.sh and optionally /files/.
#
# It mounts the usual pseudo file systems, runs /test.sh with its output on the
# serial console between two marker lines, then reboots; QEMU runs with
# -no-reboot, so the reboot ends QEMU (no ACPI needed).  The host greps the
# markers: a crash before "start" is a boot problem, not our module's.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kernel may have found no /dev/console in the initramfs: reopen it now.
exec </dev/console >/dev/console 2>&1
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp 2>/dev/null

echo "EXECMEM-HARNESS: start"
cd / && sh /test.sh
rc=$?
echo "EXECMEM-HARNESS: done rc=$rc"

sync
reboot -f
# reboot -f does not return; if it ever does, do not let PID 1 exit (that
# panics and would look like a crash).
echo b >/proc/sysrq-trigger
while :; do sleep 1; done
