#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The workload of demo-tlb.sh -w kprobes (tests/guest/host_kprobes.sh's):
# BPF programs loaded and run, directory listings, proc and sysfs reads,
# shells writing and reading a file, dd, a tmpfs mounted and unmounted.
./bpfrun -s 2 -S 64 -r 7 16 >/dev/null 2>&1
ls -l /proc/self/ /sys/kernel >/dev/null 2>&1
cat /proc/meminfo /proc/vmstat /proc/self/status >/dev/null
for _ in 1 2 3 4 5; do
	sh -c 'echo x >/tmp/kp_w; cat /tmp/kp_w >/dev/null; readlink /proc/self/exe >/dev/null'
done
dd if=/dev/zero of=/tmp/kp_dd bs=64k count=8 2>/dev/null
rm -f /tmp/kp_w /tmp/kp_dd
mkdir -p /tmp/kp_m
mount -t tmpfs none /tmp/kp_m && umount /tmp/kp_m
