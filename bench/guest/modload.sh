#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the modload path: load real modules of this kernel, in
# /files/mods.list order (dependencies first, as modprobe resolves them),
# and read the module area and the direct-map counters before and after
# (debugfs execmem_bench/area, the bench module in report mode).  The JSON
# result is printed between EXECMEM-BENCH-BEGIN/END with console messages
# held back, so that no kernel line lands inside it.
insmod /modules/execmem.ko || exit 1
insmod /modules/execmem_bench.ko path=report || exit 1
area=/sys/kernel/debug/execmem_bench/area
out=/tmp/result.json
uptime_cs() { read -r up rest </proc/uptime; echo "${up%.*}${up#*.}"; }
{
	printf '{"before": '
	cat $area
	printf ', "loads": ['
} >$out
sep="" t0=$(uptime_cs)
while read -r f; do
	if insmod "/files/mods/$f" >/dev/null 2>&1; then rc=0; else rc=1; fi
	printf '%s["%s", %d]' "$sep" "$f" "$rc" >>$out
	sep=", "
done </files/mods.list
t1=$(uptime_cs)
{
	printf '], "load_all_ms": %d, "after": ' $(((t1 - t0) * 10))
	cat $area
	printf ', "loaded": ['
	sep=""
	while read -r name rest; do
		printf '%s"%s"' "$sep" "$name"
		sep=", "
	done </proc/modules
	echo ']}'
} >>$out
read -r level rest </proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/printk
echo EXECMEM-BENCH-BEGIN
cat $out
echo EXECMEM-BENCH-END
echo "$level" >/proc/sys/kernel/printk
