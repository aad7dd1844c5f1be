#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the execmem test guest (busybox sh, PID 1).  scripts/qemu-run.sh
# copies this file into the initramfs as /init, next to /bin/busybox (+ applet
# symlinks), /modules/*.ko, /test.sh, /lib.sh (which /test.sh sources) and
# optionally /files/.
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

# Debug kernels (scripts/debug-kernel.sh): forget what kmemleak suspects from
# boot, so that the scan after the test reports only what the test leaked.
K=/sys/kernel/debug/kmemleak
[ -w $K ] && echo clear >$K

echo "EXECMEM-HARNESS: start"
cd / && sh /test.sh
rc=$?

# Parallel vCPUs (scripts/qemu-run.sh --mttcg puts execmem_parallel=1 on the
# command line): one KTAP document, after the test.  Did the two vCPUs run at
# the same time in this QEMU?  execmem_parallel.ko repeats unlocked
# increments from both CPUs until one is lost (only vCPUs inside an
# instruction at once lose any) and one CPU saw the other move within 2 us
# (both on a host core at that time), or 10 s have passed.  The first is
# the assertion; the second, which a loaded host may not give within 10 s,
# is printed.
P=/modules/execmem_parallel.ko
if grep -qw 'execmem_parallel=1' /proc/cmdline && [ -f $P ]; then
	echo "KTAP version 1"
	echo "# suite: harness_parallel"
	echo "1..1"
	lost=0 rounds=0 simul=0
	if insmod $P ms=10000; then
		lost=$(cat /sys/module/execmem_parallel/parameters/lost)
		simul=$(cat /sys/module/execmem_parallel/parameters/simultaneous)
		rounds=$(cat /sys/module/execmem_parallel/parameters/rounds)
		rmmod execmem_parallel
	fi
	echo "# vCPUs on host cores at the same time: $simul step(s) in $rounds round(s)"
	if [ "$lost" -gt 0 ] 2>/dev/null; then
		echo "ok 1 - parallelism observed: $lost unlocked increments lost in $rounds round(s)"
	else
		echo "not ok 1 - parallelism observed: no increment lost in $rounds round(s) (10 s): the vCPUs never ran at the same time"
	fi
fi

# Debug kernels only (the files exist): one KTAP document, after the test.
# kmemleak reports objects unreferenced for 5 s or more, and only once their
# checksum is stable across two scans: wait, then scan twice.
W=/sys/kernel/debug/check_wx_pages
if [ -w $K ]; then
	echo "KTAP version 1"
	echo "# suite: harness_debug"
	echo "1..2"
	sleep 6
	echo scan >$K
	echo scan >$K
	cat $K >/tmp/kmemleak
	if [ -s /tmp/kmemleak ]; then
		sed 's/^/# /' /tmp/kmemleak
		echo "not ok 1 - kmemleak: $(grep -c '^unreferenced object' /tmp/kmemleak) leak(s) after the test"
	else
		echo "ok 1 - kmemleak: no leak after the test"
	fi
	if [ -r $W ]; then
		cat $W >/dev/null
		wx=$(dmesg | grep 'Checked W+X mappings' | tail -n1)
		echo "# ${wx#*] }"
		case $wx in
		*"passed, no W+X pages found"*) echo "ok 2 - check_wx_pages: no W+X page" ;;
		*) echo "not ok 2 - check_wx_pages: W+X pages, or no verdict" ;;
		esac
	else
		echo "ok 2 - check_wx_pages # SKIP no $W"
	fi
fi
echo "EXECMEM-HARNESS: done rc=$rc"

sync
reboot -f
# reboot -f does not return; if it ever does, do not let PID 1 exit (that
# panics and would look like a crash).
echo b >/proc/sysrq-trigger
while :; do sleep 1; done
