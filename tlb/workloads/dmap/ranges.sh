# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Payload of demo-tlb.sh -w dmap, sourced by tlb/guest-run.sh before the
# measured window (uninstrumented).  ./params: "PATH HEAL_PCT ARGS...";
# PATH intact (nothing split on purpose), splitP (P % of the direct map's
# 2 MiB ranges split, execmem's debugfs dmap "split N": blocks of its own,
# split through CPA and freed again) or healed (HEAL_PCT % split, then
# "heal"); ARGS are tests/files/dmapwork's options, for run.sh.  N is
# computed as execmemctl split --percent does: the 2 MiB ranges are
# (DirectMap4k + DirectMap2M + DirectMap1G) / 2048 kB, N = ceil(ranges *
# P / 100); the split stops at the first allocation failure (100 % cannot
# all be allocated).  Prints, as "demo-tlb-dmap: ..." lines, right before
# the window: the ranges asked for, the dmap file's split_* and last_*
# counters, the census' split_2m counts and /proc/meminfo's DirectMap lines.
read -r dd_path dd_healpct _ <./params
insmod ./execmem.ko || echo "demo-tlb-dmap: insmod execmem failed"
dd_f=/sys/kernel/debug/execmem/dmap
case $dd_path in
intact) dd_pct=0 ;;
split*) dd_pct=${dd_path#split} ;;
healed) dd_pct=$dd_healpct ;;
*) dd_pct=0; echo "demo-tlb-dmap: unknown path $dd_path" ;;
esac
dd_ranges=$(awk '/^DirectMap(4k|2M|1G):/ { kb += $2 } END { print int(kb / 2048) }' /proc/meminfo)
dd_want=$(( (dd_ranges * dd_pct + 99) / 100 ))
echo "demo-tlb-dmap: asked path $dd_path percent $dd_pct ranges $dd_want of $dd_ranges"
if [ "$dd_want" -gt 0 ]; then
	echo "split $dd_want" >$dd_f || echo "demo-tlb-dmap: split $dd_want failed"
	sed -n 's/^\(split_[a-z_]*\) /demo-tlb-dmap: dmap \1 /p' $dd_f
fi
if [ "$dd_path" = healed ]; then
	echo heal >$dd_f || echo "demo-tlb-dmap: heal failed"
	sed -n 's/^\(last_[a-z_-]*\) /demo-tlb-dmap: dmap \1 /p' $dd_f
fi
sed -n 's/^\(split_2m[a-z_]*\) /demo-tlb-dmap: census \1 /p' /sys/kernel/debug/execmem/census
awk '/^DirectMap(4k|2M|1G):/ { sub(":", "", $1); print "demo-tlb-dmap: before " $1, $2 }' /proc/meminfo
