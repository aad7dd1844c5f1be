#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# perf: samples that land in a named execmem allocation are attributed to its
# name by `perf report`, through the PERF_RECORD_KSYMBOL event that
# execmem_set_name() emits (execmem_perf.ko runs a busy loop named
# execmem_perf_loop from a kthread).
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

ktap_begin execmem_perf 2

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
[ $r = 0 ] && [ $r2 = 0 ]
