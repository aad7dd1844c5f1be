#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The allocator on the real workload: every executable size of Debian 7.2's
# modules, allocated, written, called, freed, churned (execmem_replay.ko).
# harness: --timeout 600
# harness-debug: skip replays the allocator paths lifecycle/stress/host_churn run here; 330 s under KASAN
. /lib.sh
load_execmem spare_regions=1
insmod /modules/execmem_replay.ko spare=1
grep -E 'regions|bytes|splits|fragmentation' $D/stats | diag
rmmod execmem_replay
rmmod execmem
