#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# perf: samples that land in a named execmem allocation are attributed to its
# name by `perf report`, through the PERF_RECORD_KSYMBOL event that
# execmem_set_name() emits (execmem_perf.ko runs a busy loop named
# execmem_perf_loop from a kthread); and execmem's tracepoints recorded by
# `perf record -e 'execmem:*'` and printed by `perf script` (perf parses
# their format from tracefs) are the operations execmem_trace.ko reports in
# dmesg (docs/tracing.md; trace.sh checks every field through tracefs).
#
# /files holds Debian's perf (linux-perf, perf 6.1) run through the dynamic
# loader with its own libraries, prepared on the host by
#   D=DIR; rm -rf $D; mkdir -p $D/bin $D/lib; cp /usr/bin/perf $D/bin/perf
#   ldd /usr/bin/perf | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' |
#       while read -r l; do cp -L "$l" $D/lib/; done
#   printf '#!/bin/sh\nd=${0%%/*}\nexec "$d/lib/ld-linux-x86-64.so.2" --library-path "$d/lib" "$d/bin/perf" "$@"\n' >$D/perf
#   chmod 0755 $D/perf
# (/usr/bin/perf must be the ELF binary, not Debian's perf wrapper script.)
#
# The report reads kernel symbols from a copy of /proc/kallsyms: given
# /proc/kallsyms itself (perf report's default on the recording machine), perf
# uses /proc/kcore next to it, whose map spans the module area and swallows
# the ksymbol (see README.md, `symbols`).
# harness: --files perf-guest
# harness-debug: skip perf's view of execmem text (symbols, samples) is the same on this kernel; 265 s under KASAN
. /lib.sh
P=/files/perf
T=/tmp/perf
mkdir -p $T
export HOME=$T PAGER=cat

ktap_begin execmem_perf 3

insmod /modules/execmem.ko || echo "# insmod execmem failed"
# The workload runs once the events are enabled: the name is set and the
# allocation freed (ksymbol register and unregister events) while perf records.
$P record -e cpu-clock -a -o $T/perf.data -- sh -c "insmod /modules/execmem_perf.ko &&
	sleep 3 && grep execmem_perf_loop /sys/kernel/debug/execmem/symbols >$T/sym &&
	rmmod execmem_perf" >$T/rec 2>&1
rec=$?
sym=$(cat $T/sym)
rmmod execmem
[ $rec = 0 ] || { echo "# perf record: exit $rec"; diag $T/rec; }
echo "# symbols: $sym"

cat /proc/kallsyms >$T/kallsyms
$P report -i $T/perf.data --stdio --sort dso,sym --kallsyms=$T/kallsyms >$T/rep 2>$T/rep.err
grep -v '^#' $T/rep | grep -v '^$' | head -5 | diag
# "    45.12%  execmem_perf_loop  [k] execmem_perf_loop", at least 5%
awk '$2 == "execmem_perf_loop" && $3 == "[k]" && $4 == "execmem_perf_loop" &&
	$1 + 0 >= 5 { ok = 1 } END { exit !ok }' $T/rep
r=$?
[ $r = 0 ] || diag $T/rep.err | head -5
ok $r "perf report attributes samples in a named execmem allocation to its name"

# The event itself: address and size of the allocation, type OOL (2).
$P report -i $T/perf.data -D 2>/dev/null | grep 'PERF_RECORD_KSYMBOL' | grep 'name execmem_perf_loop' >$T/ks
diag $T/ks
addr=${sym%% *}
grep -q "PERF_RECORD_KSYMBOL addr $addr len 32 type 2 flags 0x0 name execmem_perf_loop\$" $T/ks &&
	grep -q "PERF_RECORD_KSYMBOL addr $addr len 32 type 2 flags 0x1 name execmem_perf_loop\$" $T/ks
r2=$?
[ -n "$addr" ] && [ $r2 = 0 ]
r2=$?
ok $r2 "perf.data has the ksymbol register and unregister events of the allocation (address, size, type OOL)"

# perf record -e 'execmem:*' around execmem_trace.ko's 12 operations:
# "OP ADDR RET [TYPE]" from perf script's events (owner execmem_trace)
# against the client's dmesg lines (refused operations: badalloc/badwrite/
# badfree; every allocation is EXECMEM_MODULE_TEXT: perf prints type=text
# only when the module exports the enum's values to the format file).
[ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing
insmod /modules/execmem.ko || echo "# insmod execmem failed"
dmesg -c >/dev/null
$P record -e 'execmem:*' -a -o $T/tp.data -- insmod /modules/execmem_trace.ko >$T/tprec 2>&1 ||
	diag $T/tprec
rmmod execmem_trace
rmmod execmem
$P script -i $T/tp.data >$T/tpscript 2>$T/tpscript.err || diag $T/tpscript.err
awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^execmem:(alloc|write|free):$/) {
		op = substr($i, 9, length($i) - 9); delete f
		for (j = i + 1; j <= NF; j++) { k = $j; sub(/=.*/, "", k); v = $j; sub(/^[^=]*=/, "", v); f[k] = v }
		if (f["owner"] == "execmem_trace")
			print op, (op == "write" ? f["dst"] : f["addr"]), f["ret"] (op == "alloc" ? " " f["type"] : "")
		next } }' $T/tpscript | sort >$T/tpgot
dmesg | sed -n 's/.*execmem_trace: \(bad\)\{0,1\}\([a-z]*\) addr=\([0-9a-fx]*\) size=[0-9]* ret=\(-\{0,1\}[0-9]*\).*/\2 \3 \4/p' |
	awk '$1 == "alloc" { $0 = $0 " text" } 1' | sort >$T/tpwant
grep 'execmem:' $T/tpscript | head -n 4 | diag
if [ "$(grep -c . $T/tpwant)" = 12 ] && diff $T/tpwant $T/tpgot >$T/tpdiff; then r3=0; else r3=1; diag $T/tpdiff; fi
ok $r3 "perf record -e 'execmem:*' + perf script: the alloc/write/free events are execmem_trace.ko's 12 operations (op, address, ret, type=text)"
[ $r = 0 ] && [ $r2 = 0 ] && [ $r3 = 0 ]
