#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of a timing boot of `make demo` (busybox sh): every path in
# this one boot.  /files/params holds the bench module's parameters; the
# breakdown (PH, PHX, CONTEND, LOCK) runs only when /files/breakdown exists
# (the first of the timing boots).
# Between EXECMEM-TIMING-BEGIN/END (console messages held back):
#  - "PH ..." lines (after an untimed warm-up): one lifecycle call by call, execmem and bpf_prog_pack,
#    on each workload, then "PHX WORKLOAD phase count total_ns max_ns":
#    execmem's own phases over the same run (parameter phase_timing);
#  - "CONTEND ..." and "LOCK phase count total_ns max_ns": execmem's
#    throughput test on two vCPUs and xm.lock's wait and hold times in it;
#  - "IL ..." lines: the interleaved rounds (execmem_bench.c, bm_interleave).
# bench/timing.py reads them.
P=/sys/module/execmem/parameters/phase_timing
B=/sys/kernel/debug/execmem_bench
insmod /modules/execmem.ko || exit 1
# shellcheck disable=SC2046
insmod /modules/execmem_bench.ko path=report $(cat /files/params) || exit 1
read -r level rest </proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/printk
echo EXECMEM-TIMING-BEGIN
if [ -e /files/breakdown ]; then
	for wl in bpf modules; do
		echo "phases $wl" >$B/run || exit 1	# a warm-up, not timed
		echo 1 >$P
		echo "phases $wl" >$B/run || exit 1
		echo 0 >$P
		cat $B/result
		sed "s/^/PHX $wl /" $P
	done
	echo 1 >$P
	echo contend >$B/run || exit 1
	echo 0 >$P
	cat $B/result
	sed "s/^/LOCK /" $P
fi
echo interleave >$B/run || exit 1
cat $B/result
echo EXECMEM-TIMING-END
echo "$level" >/proc/sys/kernel/printk
rmmod execmem_bench
rmmod execmem
