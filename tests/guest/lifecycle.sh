#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Owners, module references, the 4 KiB fallback and spare-region hysteresis,
# with execmem_lifecycle.ko: COUNT allocations of SIZE bytes, left to execmem
# to free when it unloads.
# harness: --timeout 300
. /lib.sh

ktap_begin execmem_lifecycle 12
insmod /modules/execmem.ko spare_regions=0
ok $? "insmod execmem spare_regions=0"
insmod /modules/execmem_lifecycle.ko count=3
grep -q '^execmem_lifecycle 3 3000$' $D/owners
ok $? "owners: execmem_lifecycle holds 3 allocations, 3000 bytes"
# One reference from the client's symbol use, one for live allocations.
[ "$(cat /sys/module/execmem/refcnt)" = 2 ]
ok $? "execmem pinned while allocations are live (refcnt $(cat /sys/module/execmem/refcnt))"
rmmod execmem_lifecycle
dmesg | grep -q 'module execmem_lifecycle unloaded with 3 live allocations (3000 bytes): freeing them'
ok $? "unloading a client with live allocations reports one line for it"
[ "$(stat_of live_allocs)" = 0 ] && [ "$(cat /sys/module/execmem/refcnt)" = 0 ]
ok $? "its allocations were freed and execmem unpinned"
[ "$(stat_of regions)" = 0 ]
ok $? "spare_regions=0: the empty region went back to the page allocator"
rmmod execmem
ok $? "rmmod execmem"

# The 4 KiB fallback: forced by a parameter, the test client's mapping
# assertions are then expected to fail for 2M, so use this client and
# read the counters and mapping level instead.
insmod /modules/execmem.ko force_fallback=1
insmod /modules/execmem_lifecycle.ko count=2
[ "$(stat_of regions_fallback)" = 1 ] && [ "$(stat_of regions_huge)" = 0 ] &&
	grep -q ' 4K 1 ' $D/regions
ok $? "force_fallback=1: allocations served from a 4K-mapped ROX region, counted"
rmmod execmem_lifecycle
rmmod execmem
[ ! -d /sys/module/execmem ]
ok $? "fallback region released, execmem unloaded"

# Spare regions are kept (hysteresis) until memory pressure: drop_caches=2
# runs every shrinker, ours included.  The shrinker only asks: a work item
# releases the regions, so wait for it (up to 5 s).
insmod /modules/execmem.ko spare_regions=8
insmod /modules/execmem_lifecycle.ko count=3 size=2000000
[ "$(stat_of regions)" = 3 ] && [ "$(stat_of live_allocs)" = 3 ]
ok $? "three allocations of 2,000,000 bytes take three 2M regions"
rmmod execmem_lifecycle
[ "$(stat_of regions_empty)" = 3 ] && [ "$(stat_of regions)" = 3 ]
ok $? "spare_regions=8: the three emptied regions are kept"
echo 2 > /proc/sys/vm/drop_caches
i=0
while [ "$(stat_of regions)" != 0 ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
[ "$(stat_of regions)" = 0 ] && [ "$(stat_of regions_released)" = 3 ]
ok $? "the shrinker released them under drop_caches (regions $(stat_of regions))"
rmmod execmem
