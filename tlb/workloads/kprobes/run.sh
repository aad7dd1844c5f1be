#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Payload of demo-tlb.sh -w kprobes, run inside window 1 of
# tlb/guest-run.sh: ends it at once, then opens window 21: one warm-up
# run of ./work.sh, the probes' fire counts read, the counts reset (the
# TLB contents stay), ROUNDS measured runs, the window closed; prints the
# probes' fires in the measured runs (hits plus kprobe misses, from
# kprobe_profile) as "demo-tlb-kprobes: fired N".
read -r _ _ kp_rounds <./params
TR=/sys/kernel/tracing
fired() { awk '$1 ~ /^p[0-9]+$/ { s += $2 + $3 } END { print s + 0 }' $TR/kprobe_profile; }
/files/tlbmark end
/files/tlbmark begin 21
sh ./work.sh
f0=$(fired)
/files/tlbmark reset
r=0
while [ $r -lt "$kp_rounds" ]; do
	sh ./work.sh
	r=$((r + 1))
done
/files/tlbmark end
echo "demo-tlb-kprobes: fired $(($(fired) - f0)) rounds $kp_rounds"
echo "demo-tlb-kprobes: done"
