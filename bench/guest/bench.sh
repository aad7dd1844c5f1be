#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of one benchmark boot (busybox sh).  /files/params holds
# "PATH WORKLOAD SEED".  The result (one JSON object) is printed between
# the EXECMEM-BENCH-BEGIN/END lines, with console messages held back so
# that no kernel line lands inside it; scripts/demo.sh extracts it.
read -r path workload seed </files/params
insmod /modules/execmem.ko || exit 1
insmod /modules/execmem_bench.ko path="$path" workload="$workload" seed="$seed" || exit 1
read -r level rest </proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/printk
echo EXECMEM-BENCH-BEGIN
cat /sys/kernel/debug/execmem_bench/result
echo EXECMEM-BENCH-END
echo "$level" >/proc/sys/kernel/printk
rmmod execmem_bench
rmmod execmem
