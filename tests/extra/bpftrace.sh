#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# bpftrace reads execmem's tracepoints (docs/tracing.md): a guest script run by
# hand, not by make check (bpftrace and its libraries are 200 MB):
#   apt-get install bpftrace
#   scripts/guest-bin.sh build/bpftrace /usr/bin/bpftrace
#   scripts/qemu-run.sh --kver KVER --ko-dir build/check/KVER/ko \
#       --script tests/extra/bpftrace.sh --files build/bpftrace --timeout 900
# execmem_trace.ko's 4 allocations (one refused) and 4 frees (one refused)
# must each be one line of the probes'.
. /lib.sh
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
insmod /modules/execmem.ko
ktap_begin bpftrace 1
/files/bpftrace -e 'tracepoint:execmem:alloc /args->owner == "execmem_trace"/ {
	printf("BT alloc owner=%s addr=0x%lx size=%d type=%d ret=%d\n",
	       args->owner, args->addr, args->size, args->type, args->ret); }
tracepoint:execmem:free /args->owner == "execmem_trace"/ {
	printf("BT free addr=0x%lx ret=%d\n", args->addr, args->ret); }' >/tmp/bt.out 2>/tmp/bt.err &
pid=$!
i=0
while [ $i -lt 120 ] && ! grep -q Attaching /tmp/bt.out; do sleep 1; i=$((i + 1)); done
insmod /modules/execmem_trace.ko
sleep 2
kill -INT $pid
wait $pid
diag /tmp/bt.out /tmp/bt.err
na=$(grep -c '^BT alloc' /tmp/bt.out)
nf=$(grep -c '^BT free' /tmp/bt.out)
[ "$na" = 4 ] && [ "$nf" = 4 ]
ok $? "bpftrace tracepoint:execmem:alloc/free: 4 allocs, 4 frees of execmem_trace ($na, $nf)"
