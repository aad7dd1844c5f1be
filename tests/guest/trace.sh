#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# execmem's tracepoints (docs/tracing.md), read through tracefs as any
# tracing user would, against what a client did:
# - the six events exist under events/execmem, all disabled after insmod
#   (static keys off: a disabled call site is a NOP);
# - execmem_trace.ko's operations (its dmesg lines: address, size, ret of
#   each alloc, write and free, and the refused ones) are exactly the
#   client's alloc/write/free events: owner, addresses, sizes, the rounded
#   size, the written byte count, and -EINVAL for the bad alloc, write and
#   free;
# - its 2.2 MB allocation mapped a 4 MiB region of 2M pages (region_map
#   level=2M), released at its free (region_release, same base);
# - host=bpf: BPF programs (tests/files/bpfrun) until execmem serves a
#   pack: a host event host=bpf op=alloc served=1 at the start of a hosted
#   bpf range (debugfs execmem/hosted), mapped by a hosted region_map
#   level=2M.
# harness: --files tools-guest
# harness: --timeout 300
. /lib.sh
. /files/host-lib.sh
T=/tmp/tr
mkdir -p $T
E=$TR/events/execmem
ktap_defer $T/res

# events FILE: "EVENT field=value..." for each execmem event of a trace file
events() {
	awk '{ for (i = 1; i <= NF; i++)
		if ($i ~ /^(alloc|free|write|region_map|region_release|host):$/) {
			s = substr($i, 1, length($i) - 1)
			for (j = i + 1; j <= NF; j++) s = s " " $j
			print s; next } }' "$1"
}
# canon: the client's operations as "OP ADDR SIZE RET [RSIZE]", from the
# events (stdin: events output) or from its dmesg lines (with -v ops=1)
canon() {
	awk -v ops="${1:-0}" '{ delete f; for (i = 2; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v); f[k] = v } }
	ops { op = $1; sub(/^bad/, "", op); r = op == "alloc" ? " " int((f["size"] + 63) / 64) * 64 : ""
	      if (op == "free" && f["ret"] != 0) f["size"] = 0
	      print op, f["addr"], f["size"], f["ret"] r; next }
	f["owner"] != "execmem_trace" { next }
	$1 == "alloc" { print "alloc", f["addr"], f["size"], f["ret"], f["rsize"] }
	$1 == "write" { print "write", f["dst"], f["len"], f["ret"] }
	$1 == "free" { print "free", f["addr"], f["size"], f["ret"] }'
}
# field EVENTS EVENT KEY=VALUE... KEY: KEY of the first EVENT line with those
field() {
	_f=$1 _e=$2
	shift 2
	awk -v e="$_e" -v args="$*" 'BEGIN { n = split(args, a, " ") }
	$1 == e { delete f; for (i = 2; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v); f[k] = v }
		for (i = 1; i < n; i++) { k = a[i]; sub(/=.*/, "", k); v = a[i]; sub(/^[^=]*=/, "", v); if (f[k] != v) next }
		print f[a[n]]; exit }' "$_f"
}

tracefs
load_execmem spare_regions=0
nev=0
for e in alloc free write region_map region_release host; do
	[ -r $E/$e/format ] && nev=$((nev + 1))
done
[ $nev = 6 ]
ok $? "tracefs: the 6 execmem events exist ($(ls $E 2>/dev/null | tr '\n' ' '))"
on=$(cat $E/*/enable 2>/dev/null | grep -vc '^0$')
[ -d $E ] && [ "$on" = 0 ]
ok $? "all disabled after insmod (static keys off)"

echo >$TR/trace
echo 1 >$E/enable
dmesg -c >/dev/null
insmod /modules/execmem_trace.ko
echo 0 >$E/enable
events $TR/trace >$T/ev
dmesg | sed -n 's/.*execmem_trace: //p' >$T/ops
canon 1 <$T/ops | sort >$T/want
canon <$T/ev | sort >$T/got
diag $T/ops
grep -v '^region' $T/ev | head -n 14 | diag
if diff $T/want $T/got >$T/diff && [ "$(grep -c . $T/want)" = 12 ]; then r=0; else r=1; diag $T/diff; fi
ok $r "alloc/write/free events = the client's 12 operations (addr, size, rsize, ret; 3 refused with -22)"
n_wr=$(awk '$1 == "free" && / owner=execmem_trace / && / written=16 / && / ret=0/' $T/ev | grep -c .)
[ "$n_wr" = 3 ]
ok $? "free events say written=16 for the 3 written allocations ($n_wr)"
big=$(awk '$1 == "alloc" && / size=2200000 / { sub(/.*addr=/, ""); sub(/ .*/, ""); print }' $T/ev)
base=$(field $T/ev region_map size=4194304 hosted=0 ret=0 base)
lvl=$(field $T/ev region_map size=4194304 hosted=0 ret=0 level)
rel=$(field $T/ev region_release base="$base" ret=0 size)
echo "# 2.2 MB allocation at $big; region_map base=$base level=$lvl; released size=$rel"
[ -n "$big" ] && [ "$big" = "$base" ] && [ "$lvl" = 2M ] && [ "$rel" = 4194304 ]
ok $? "region_map of its 4 MiB region: level=2M at its address, region_release of it at its free"
rmmod execmem_trace

# host=bpf: programs until a pack is served.
echo >$TR/trace
echo 1 >$E/enable
echo bpf >$HOSTP
served0=$(host_field bpf served)
pids=
i=0
while [ $i -lt 4 ]; do
	i=$((i + 1))
	bpfrun_hold $T/fill$i -r $i -s 4096 -S 4096 120
	pids="$pids $BPFRUN_PID"
	[ "$(host_field bpf served)" -gt "${served0:-0}" ] 2>/dev/null && break
done
echo 0 >$E/enable
events $TR/trace >$T/hev
hosted_rows bpf $T/hosted
haddr=$(field $T/hev host host=bpf op=alloc served=1 addr)
hsize=$(field $T/hev host host=bpf op=alloc served=1 size)
hlvl=$(field $T/hev region_map base="$haddr" hosted=1 ret=0 level)
echo "# served ${served0:-?} -> $(host_field bpf served) after $i batch(es); host event addr=$haddr size=$hsize; hosted:"
diag $T/hosted
grep -E '^(host|region_map)' $T/hev | head -n 4 | diag
[ -n "$haddr" ] && grep -q "^bpf ${haddr#0x} $hsize " $T/hosted && [ "$hlvl" = 2M ]
ok $? "host=bpf: a host event op=alloc served=1 at a hosted bpf range, its region_map hosted=1 level=2M"
for p in $pids; do bpfrun_release "$p"; done
echo >$HOSTP
ktap_end execmem_trace
