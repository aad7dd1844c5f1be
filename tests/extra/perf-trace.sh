#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `perf trace` reads execmem's tracepoints (docs/tracing.md): a guest script
# run by hand (tests/guest/perf.sh checks perf record + perf script in make
# check), with the perf that check.sh prepares for the guests:
#   scripts/qemu-run.sh --kver KVER --ko-dir build/check/KVER/ko \
#       --script tests/extra/perf-trace.sh --files build/check/perf-guest
# execmem_trace.ko's 4 allocations (one refused) and 4 frees (one refused)
# must each be one line.  (perf 6.1 prints a negative int field as
# unsigned: ret: 4294967274 is -22.)
. /lib.sh
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
export HOME=/tmp PAGER=cat
insmod /modules/execmem.ko
ktap_begin perf_trace 1
/files/perf trace --no-syscalls -e 'execmem:alloc,execmem:free' -- \
	insmod /modules/execmem_trace.ko >/tmp/pt.out 2>&1
diag /tmp/pt.out
na=$(grep -c 'execmem:alloc' /tmp/pt.out)
nf=$(grep -c 'execmem:free' /tmp/pt.out)
[ "$na" = 4 ] && [ "$nf" = 4 ]
ok $? "perf trace -e execmem:alloc,execmem:free: 4 allocs, 4 frees ($na, $nf)"
