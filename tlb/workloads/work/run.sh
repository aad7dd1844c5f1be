#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Payload of demo-tlb.sh -w work, run inside window 1 of
# tlb/guest-run.sh: ends that window at once (nothing of the shell is
# measured), then has the benchmark module place its two sets of generated
# functions through the path and call them in its own windows 11 (bpf
# sizes) and 12 (module sizes): bench/kmod/execmem_bench_work.c.  Prints
# the module's WORK lines as "demo-tlb-work: WORK ...".
read -r dw_path _ <./params
/files/tlbmark end
echo "work $dw_path" >/sys/kernel/debug/execmem_bench/run
cat /sys/kernel/debug/execmem_bench/result >/tmp/dw_result
sed 's/^/demo-tlb-work: /' /tmp/dw_result
rmmod execmem_bench
rmmod execmem
grep -q '^WORK end' /tmp/dw_result
