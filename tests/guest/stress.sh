#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Concurrency on both vCPUs; NUMA placement on two nodes (execmem_stress.ko).
# harness: --numa --timeout 300
# Also with parallel vCPUs (scripts/check.sh's second pass), as it is.
# harness-parallel:
. /lib.sh
load_execmem
insmod /modules/execmem_stress.ko
rmmod execmem_stress
rmmod execmem
