#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The allocator on the real workload: every executable size of Debian 7.2's
# modules, allocated, written, called, freed, churned.
# harness: --timeout 600
insmod /modules/execmem.ko spare_regions=1 || { echo "not ok 1 - insmod execmem.ko"; exit 1; }
insmod /modules/execmem_replay.ko spare=1
grep -E 'regions|bytes|splits|fragmentation' /sys/kernel/debug/execmem/stats | sed 's/^/# /'
rmmod execmem_replay
rmmod execmem
