# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Payload of demo-tlb.sh -w work, sourced by tlb/guest-run.sh before
# the measured window (uninstrumented: loading costs what it costs without
# the plugin).  ./params: "PATH NR_BPF SEED WARMUP CALLS BLOCKS".  Loads
# execmem (hosting nothing) and the benchmark module idle (path=report)
# with the work parameters; run.sh does the rest.
read -r dw_path dw_nbpf dw_seed dw_warmup dw_calls dw_blocks <./params
insmod ./execmem.ko || echo "demo-tlb-work: insmod execmem failed"
insmod ./execmem_bench.ko path=report nr_bpf="$dw_nbpf" seed="$dw_seed" \
	work_warmup="$dw_warmup" work_calls="$dw_calls" work_blocks="$dw_blocks" ||
	echo "demo-tlb-work: insmod execmem_bench failed"
echo "demo-tlb-work: path $dw_path"
