#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fault injection and memory pressure, around soak.sh's client
# (execmem_soak.ko faults=1 and mode=1) and execmem_lifecycle.ko.
# 1. failslab + fail_page_alloc (debugfs, task-filter: only execmem_soak's
#    threads, around their execmem calls) while the soak runs: every call
#    succeeds or fails cleanly, counters balance, nothing leaks (vmallocinfo;
#    kmemleak by the harness).  Debug kernel only: SKIP elsewhere.
# 2. Every order-9 page allocation fails (fail_page_alloc min-order=9) for a
#    client's allocations: a counted 4 KiB fallback region serves them.
#    Debug kernel only.
# 3. Memory pressure (every kernel): the guest's free 2 MiB blocks taken,
#    the shrinker gives spare regions back, allocations fall back to 4 KiB.
# harness: --timeout 600
# Separate slab caches, so that failslab's cache filter can leave vmalloc's
# own vmap_area cache alone: a failure there WARNs inside the kernel
# (va_clip in alloc_vmap_area), whoever the caller.
# harness: --append slab_nomerge
. /lib.sh
FS=/sys/kernel/debug/failslab
FP=/sys/kernel/debug/fail_page_alloc
SEED=$(date +%s)
OPS=20000
TIMES=1000000
ktap_defer /tmp/faults.res
vmap() { awk '{ n++; b += $2; if ($2 >= 2097152) big++ } END { print n + 0, b + 0, big + 0 }' /proc/vmallocinfo; }
settle() { echo 3 >/proc/sys/vm/drop_caches; sleep 1; }
# fault_attr DIR PROBABILITY: task-filtered, silent, sleeping allocations too
fault_attr() {
	echo Y >$1/task-filter
	echo N >$1/ignore-gfp-wait
	echo 0 >$1/verbose
	echo 0 >$1/space
	echo 1 >$1/interval
	echo $TIMES >$1/times
	echo $2 >$1/probability
	[ ! -e $1/ignore-gfp-highmem ] || echo N >$1/ignore-gfp-highmem	# vmalloc pages
}

if [ -d $FS ] && [ -d $FP ]; then
	settle
	set -- $(vmap)
	n0=$1 b0=$2 big0=$3
	load_execmem
	fault_attr $FS 10
	# failslab only in the kmalloc caches and xarray nodes (execmem's own
	# allocations), not in vmap_area (see the harness line above)
	echo Y >$FS/cache-filter
	for c in /sys/kernel/slab/kmalloc-* /sys/kernel/slab/radix_tree_node; do
		echo 1 >$c/failslab 2>/dev/null || echo "# cannot mark $c for failslab"
	done
	fault_attr $FP 5
	echo 0 >$FP/min-order
	insmod /modules/execmem_soak.ko seed=$SEED ops=$OPS faults=1
	ok $? "soak with failslab (10%, kmalloc + xarray caches) and fail_page_alloc (5%) on execmem's calls completed (seed $SEED)"
	echo 0 >$FS/probability
	echo 0 >$FP/probability
	slab=$((TIMES - $(cat $FS/times))) page=$((TIMES - $(cat $FP/times)))
	echo "# faults injected: $slab slab allocations, $page page allocations; execmem: $(stat_of failed_allocs) failed allocations, $(stat_of regions_created) regions created, $(stat_of regions_fallback) fallback now"
	[ $slab -gt 0 ] && [ $page -gt 0 ]
	ok $? "faults were injected ($slab slab, $page page)"
	rmmod execmem_soak
	[ "$(stat_of live_allocs)" = 0 ] && [ "$(stat_of bytes_allocated)" = 0 ] &&
		[ "$(wc -l <$D/allocations)" = 1 ] && [ "$(wc -l <$D/owners)" = 1 ]
	ok $? "after the faults nothing is live and no half-made record is visible"
	rmmod execmem
	ok $? "rmmod execmem"
	settle
	set -- $(vmap)
	echo "# vmalloc areas $n0 -> $1, bytes $b0 -> $2, 2 MiB areas $big0 -> $3"
	[ "$3" = "$big0" ] && [ "$1" -le $((n0 + 8)) ]
	ok $? "no region or vmalloc area leaked by a failure path"

	# Order-9 failures only: the huge mapping fails, vmalloc falls back.
	insmod /modules/execmem.ko
	echo 0 >$FS/probability
	fault_attr $FP 100
	echo 9 >$FP/min-order
	sh -c 'echo 1 >/proc/self/make-it-fail; exec insmod /modules/execmem_lifecycle.ko count=4 size=3000'
	rc=$?
	echo 0 >$FP/probability
	echo 1 >$FP/min-order
	page=$((TIMES - $(cat $FP/times)))
	[ $rc = 0 ] && [ "$(stat_of regions_fallback)" = 1 ] && [ "$(stat_of regions_huge)" = 0 ] &&
		grep -q ' 4K 1 1 ' $D/regions
	ok $? "with every order-9 page allocation failing ($page injected), a counted 4K ROX fallback region serves"
	sed 1d $D/regions | cut -d' ' -f1-8 | sed 's/^/# /'
	rmmod execmem_lifecycle
	[ "$(stat_of regions_fallback)" = 0 ]
	ok $? "the fallback region is released once empty"
	rmmod execmem
else
	for t in "soak under failslab + fail_page_alloc" "faults were injected" \
		"nothing live, no half-made record" "rmmod execmem" "no leak on failure paths" \
		"order-9 failures: counted 4K fallback region" "fallback region released"; do
		skip "$t" "no $FS (not a fault-injection kernel)"
	done
fi

# Memory pressure, every kernel.  No compaction for order-9 requests (it
# could rebuild a 2 MiB block out of movable pages): what is left is
# fragmentation, which only the 4 KiB fallback can serve.
[ -w /proc/sys/vm/extfrag_threshold ] && echo 1000 >/proc/sys/vm/extfrag_threshold
[ -w /proc/sys/vm/compaction_proactiveness ] && echo 0 >/proc/sys/vm/compaction_proactiveness
load_execmem spare_regions=4
insmod /modules/execmem_soak.ko mode=1
ok $? "memory-pressure client ran"
rmmod execmem_soak
echo 3 >/proc/sys/vm/drop_caches
rmmod execmem
ok $? "rmmod execmem after the pressure"

ktap_end execmem_faults_harness
