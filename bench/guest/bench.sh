#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of one benchmark boot (busybox sh).  /files/params holds
# "PATH WORKLOAD SEED".  The result (one JSON object) is printed between
# the EXECMEM-BENCH-BEGIN/END lines, with console messages held back so
# that no kernel line lands inside it; scripts/demo.sh extracts it.  Then,
# between EXECMEM-CENSUS-BEGIN/END, the direct-map census (debugfs
# execmem/census) before the path ran and after its workload was freed,
# and after a heal of the direct map (debugfs execmem/dmap, docs/dmap.md):
# the census, /proc/meminfo's DirectMap lines before and after it, and the
# heal's counters (last_*: ranges seen, one count per verdict, healed).
read -r path workload seed </files/params
# census PREFIX: the direct map's split 2 MiB ranges by state, as JSON members
census() {
	awk -v p="$1" '$1 ~ /^split_2m(_live|_stale|_partial)?$/ { printf "\"%s_%s\": %s, ", p, $1, $2 }' \
		/sys/kernel/debug/execmem/census
}
# directmap PREFIX: /proc/meminfo's DirectMap lines (kB), as JSON members
directmap() {
	awk -v p="$1" '/^DirectMap(4k|2M|1G):/ { sub(":", "", $1); printf "\"%s_%s\": %s, ", p, $1, $2 }' \
		/proc/meminfo
}
insmod /modules/execmem.ko || exit 1
# Load the bench idle (path=report), take the census, then run the path:
# the splits of loading a module (the bench) stay out of the census delta.
insmod /modules/execmem_bench.ko path=report workload="$workload" seed="$seed" || exit 1
sleep 3	# 7.2's ROX cache gives the bench's freed init text back asynchronously
before=$(census census_before)
echo "$path" >/sys/kernel/debug/execmem_bench/run || exit 1
read -r level rest </proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/printk
echo EXECMEM-BENCH-BEGIN
cat /sys/kernel/debug/execmem_bench/result
echo EXECMEM-BENCH-END
# The census once the workload is freed (before the bench module's own
# unload, which splits the direct map on 7.2): what the path left split.
after=$(census census_after)
# Heal what the path left (the bench's own module stays loaded: it is live)
dm_before=$(directmap heal_before)
heal_rc=0
echo heal >/sys/kernel/debug/execmem/dmap || heal_rc=1
healed=$(census census_healed)
dm_after=$(directmap heal_after)
heal=$(awk '$1 ~ /^last_/ && $2 ~ /^-?[0-9]+$/ { k = $1; gsub("-", "_", k)
	printf "\"heal_%s\": %s, ", k, $2 }' /sys/kernel/debug/execmem/dmap)
rmmod execmem_bench
echo EXECMEM-CENSUS-BEGIN
echo "{$before$after$healed$dm_before$dm_after$heal\"heal_failed\": $heal_rc, \"census\": 1}"
echo EXECMEM-CENSUS-END
echo "$level" >/proc/sys/kernel/printk
rmmod execmem
