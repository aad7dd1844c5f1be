#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Region growth from a CPU on a node without memory, and the race of a
# growing allocation with a free that makes room (execmem_memless.ko).
# harness: --numa-memless --timeout 300
D=/sys/kernel/debug/execmem
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
stat_of() { sed -n "s/^$1 //p" $D/stats; }

echo "KTAP version 1"
echo "# suite: execmem_memless_harness"
echo "1..3"
echo "# nodes: $(ls -d /sys/devices/system/node/node* | tr '\n' ' ')"
echo "# node1 memory: $(sed -n 's/.*MemTotal: *//p' /sys/devices/system/node/node1/meminfo)"
[ -d /sys/devices/system/node/node1 ] &&
	grep -q 'MemTotal: *0 kB' /sys/devices/system/node/node1/meminfo
ok $? "node 1 is online and has no memory"
insmod /modules/execmem.ko spare_regions=0
insmod /modules/execmem_memless.ko
ok $? "insmod execmem_memless"
rmmod execmem_memless
echo "# stats: $(grep -E '^(regions|regions_created|regions_released|live_allocs) ' $D/stats | tr '\n' ' ')"
rmmod execmem
ok $? "rmmod execmem"
