#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Payload of demo-tlb.sh -w bpf, run inside the measured window: lets the
# bpfrun started by ranges.sh run its hot-set rounds (it zeroes the counts
# after its warm-up round and ends the window itself), waits for it to
# close its programs (blocked on ranges.sh's FIFO: nothing else runs in the
# window), prints its output and execmem's bpf row.
pid=$(cat /tmp/dt_pid)
kill -USR1 "$pid"
read -r _ rc </tmp/dt_fifo
echo "demo-tlb: bpfrun exit $rc"
sed 's/^/demo-tlb: run /' /tmp/dt_run
sed 's/^/demo-tlb: err /' /tmp/dt_err
awk '{ print "demo-tlb: host " $0 }' /sys/kernel/debug/execmem/host 2>/dev/null
grep -q '^result ok' /tmp/dt_run
