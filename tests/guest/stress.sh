#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Concurrency on both vCPUs; NUMA placement on two nodes.
# harness: --numa --timeout 300
insmod /modules/execmem.ko || { echo "not ok 1 - insmod execmem.ko"; exit 1; }
insmod /modules/execmem_stress.ko
rmmod execmem_stress
rmmod execmem
