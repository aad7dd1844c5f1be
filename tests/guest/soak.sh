#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Soak: a seeded random mix of allocations, writes, calls and frees from
# every vCPU (execmem_soak.ko, invariants checked throughout); then execmem
# unloaded and reloaded 100 times with a client each time: no region and no
# module-area space may be left behind (execmem_lifecycle.ko as the client) (/proc/vmallocinfo, VmallocUsed).
# On a debug kernel (kmemleak present: KASAN + lockdep, ~10x slower under
# TCG) fewer operations; the assertions are the same.
# harness: --timeout 600
# Also with parallel vCPUs (scripts/check.sh's second pass): an eighth of
# the operations and 10 reloads.
# harness-parallel:
# harness-debug: skip a long repetition of what stress/host_churn run here (both also with parallel vCPUs); 330 s under KASAN
. /lib.sh
SEED=$(date +%s)
OPS=600000	# per vCPU: 1.2 million operations on a 2-vCPU guest
[ -e /sys/kernel/debug/kmemleak ] && OPS=40000
RELOADS=100
if parallel_vcpus; then
	OPS=$((OPS / 8)) RELOADS=10
fi
ktap_defer /tmp/soak.res
# vmalloc areas: "count bytes count_of_2M+_areas".  Not counted: kernel
# stacks (new kworkers come and go with the load; 32 KiB stacks under KASAN;
# the caller shows as whichever of these the stack allocation is inlined
# into) and "unpurged" areas (already freed, awaiting the lazy TLB purge).
vmap() {
	awk '/alloc_thread_stack|dup_task_struct|copy_process|kernel_clone|unpurged/ { next }
	     { n++; b += $2; if ($2 >= 2097152) big++ } END { print n + 0, b + 0, big + 0 }' \
		/proc/vmallocinfo
}
settle() { echo 3 >/proc/sys/vm/drop_caches; sleep 1; }

# Warm-up: the first load of any module populates kernel-side caches that
# stay (on 7.2 the kprobe insn page execmem's kallsyms kprobe needs comes
# from the kernel's own 2 MiB ROX cache and is kept).  A bare load/unload
# creates no region of ours, so the baseline is taken after one.
insmod /modules/execmem.ko && rmmod execmem
settle
set -- $(vmap)
n0=$1 b0=$2 big0=$3
used0=$(awk '/^VmallocUsed/ { print $2 }' /proc/meminfo)
echo "# seed $SEED, $OPS operations per vCPU; before: $n0 vmalloc areas, $b0 bytes, $big0 of 2 MiB or more, VmallocUsed $used0 kB"

load_execmem
t0=$(date +%s)
insmod /modules/execmem_soak.ko seed=$SEED ops=$OPS
ok $? "insmod execmem_soak (seed $SEED) completed"
echo "# soak took $(($(date +%s) - t0)) s"
grep -E '^(regions|regions_huge|regions_fallback|regions_created|regions_released|allocs|frees|failed_allocs|writes|bytes_written|live_allocs|direct_map_level2_splits_since_load) ' $D/stats | tr '\n' ' ' | sed 's/^/# stats: /; s/$/\n/'
rmmod execmem_soak
[ "$(stat_of live_allocs)" = 0 ] && [ "$(stat_of bytes_allocated)" = 0 ] &&
	[ "$(stat_of regions)" = "$(stat_of regions_empty)" ]
ok $? "after the soak: nothing live, only spare regions ($(stat_of regions))"
rmmod execmem
ok $? "rmmod execmem after the soak"

t0=$(date +%s)
bad=0 i=0
while [ $i -lt $RELOADS ]; do
	i=$((i + 1))
	insmod /modules/execmem.ko spare_regions=$((i % 3)) || { bad=$i; break; }
	insmod /modules/execmem_lifecycle.ko count=$((1 + i % 4)) size=$((1000 + i * 997)) || { bad=$i; break; }
	[ "$(stat_of live_allocs)" = $((1 + i % 4)) ] || { bad=$i; break; }
	rmmod execmem_lifecycle || { bad=$i; break; }
	rmmod execmem || { bad=$i; break; }
done
[ $bad = 0 ] && [ ! -d /sys/module/execmem ]
ok $? "execmem loaded, used and unloaded $RELOADS times (failed at: $bad)"
echo "# $RELOADS reloads took $(($(date +%s) - t0)) s"

settle
set -- $(vmap)
used1=$(awk '/^VmallocUsed/ { print $2 }' /proc/meminfo)
echo "# after: $1 vmalloc areas, $2 bytes, $3 of 2 MiB or more, VmallocUsed $used1 kB"
[ "$3" = "$big0" ]
ok $? "no 2 MiB region left in the module area ($big0 -> $3 areas of 2 MiB or more)"
[ "$1" -le $((n0 + 8)) ] && [ "$2" -le $((b0 + 65536)) ]
ok $? "vmalloc space back to where it was ($n0 -> $1 areas, $b0 -> $2 bytes, kernel stacks aside; slack 8 areas/64 KiB)"

ktap_end execmem_soak_harness
