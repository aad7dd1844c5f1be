#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Region growth from a CPU on a node without memory, and the race of a
# growing allocation with a free that makes room (execmem_memless.ko).
# harness: --numa-memless --timeout 300
. /lib.sh

# (the module prints its own KTAP document: this script's comes after it)
ktap_defer /tmp/memless.res
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
ktap_end execmem_memless_harness
