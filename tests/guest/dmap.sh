#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Direct-map lab (debugfs execmem/dmap, execmemctl heal/split, docs/dmap.md):
# ranges split on purpose (CPA read-only and uncached round trips on
# execmem's own pages) and by real causes (stock modules, BPF programs) are
# healed into PMD leaves: the census then finds no healable range, the
# DirectMap lines of /proc/meminfo move by exactly the healed ranges and
# agree with the census, memory reads back intact; a range that stops being
# healable between the two passes is left alone; heals run while the other
# vCPU loads and unloads modules (and reads ptdump where the kernel has it);
# where the heal is refused (debug_pagealloc: dmap_refuse.sh) all but the
# dry run SKIP.
# /files is `make -C tools guest-files DEST=DIR` (execmemctl, bpfload, kmods).
# harness: --files tools-guest
# harness: --timeout 400
. /lib.sh
M=$D/dmap
C=$D/census
CTL=/files/execmemctl
K=/files/kmods/$(uname -r)
T=/tmp/dmap
mkdir -p $T

kv() { sed -n "s/^$2 //p" "$1"; }	# FILE KEY
mi() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
last() { kv $M "last_$1"; }
# DirectMap4k/2M of /proc/meminfo = the census' leaves (read right after)
mi_agrees() {
	for _i in 1 2 3; do
		cat $C >$T/mi
		[ "$(mi DirectMap4k)" = "$(kv $T/mi meminfo_directmap_4k_kb)" ] &&
			[ "$(mi DirectMap2M)" = "$(kv $T/mi meminfo_directmap_2m_kb)" ] && return 0
	done
	echo "# meminfo $(mi DirectMap4k) $(mi DirectMap2M) kB, census $(kv $T/mi meminfo_directmap_4k_kb) $(kv $T/mi meminfo_directmap_2m_kb) kB"
	return 1
}
stale() { cat $C >$T/st; kv $T/st split_2m_stale; }

ktap_begin execmem_dmap 9
load_execmem

# ---- the file, the dry run ---------------------------------------------------
bad=0
[ "$(stat -c %a $M)" = 600 ] || bad=1
if (echo bogus >$M) 2>/dev/null; then bad=1; fi
echo dry-run >$M || bad=1
s=$(last split)
cat $C >$T/c0
[ "$s" = "$(kv $T/c0 split_2m)" ] || { bad=1; echo "# dry run: $s split, census: $(kv $T/c0 split_2m)"; }
$CTL heal --dry-run >$T/dry.txt && grep -q '^dry run: ' $T/dry.txt || bad=1
$CTL heal --dry-run --json >$T/dry.json && grep -q '^{"op":"dry-run","before":{' $T/dry.json || bad=1
ok $bad "dmap 0600, bad command refused, dry run finds the census' $s split ranges, execmemctl heal --dry-run [--json]"
diag $T/dry.txt

refused=$(kv $M heal_refused)
if [ -n "$refused" ]; then
	for t in "split on purpose" "heal" "meminfo" "memory intact" "race" \
		"concurrent heals" "W+X" "heal after real causes"; do
		skip "$t" "heal refused: $refused"
	done
	exit 0
fi

# ---- split on purpose ------------------------------------------------------------
s0=$(stale) m0=$(mi DirectMap4k)
$CTL split --ranges 4 >$T/split.txt || echo "# execmemctl split failed"
d1=$(kv $M split_done)
echo "split 4 hold" >$M || echo "# split 4 hold failed"
d2=$(kv $M split_done)
echo "split 2 uc" >$M || echo "# split 2 uc failed"
d3=$(kv $M split_done)
s1=$(stale) m1=$(mi DirectMap4k)
[ "$d1.$d2.$d3" = 4.4.2 ] && [ $((s1 - s0)) = 10 ] && [ $((m1 - m0)) = $((10 * 2048)) ]
ok $? "split --ranges 4, split 4 hold, split 2 uc: census stale $s0 -> $s1, DirectMap4k $m0 -> $m1 kB"
diag $T/split.txt

# A file the heal must leave intact, wherever its pages are.
dd if=/dev/urandom of=$T/blob bs=1M count=16 2>/dev/null
sum0=$(md5sum <$T/blob)

# ---- heal ------------------------------------------------------------------------
a4=$(mi DirectMap4k) a2=$(mi DirectMap2M)
$CTL heal --json >$T/heal.json || echo "# execmemctl heal failed"
b4=$(mi DirectMap4k) b2=$(mi DirectMap2M)
h=$(last healed)
s2=$(stale)
echo dry-run >$M
[ "$h" -ge 10 ] && [ "$(last healable)" = 0 ] && [ "$s2" = 0 ]
ok $? "heal: $h ranges healed (>= 10), census stale $s1 -> $s2, a dry run after finds 0 healable"
diag $T/heal.json

[ $((a4 - b4)) = $((h * 2048)) ] && [ $((b2 - a2)) = $((h * 2048)) ] && mi_agrees
ok $? "meminfo: DirectMap4k $a4 -> $b4, DirectMap2M $a2 -> $b2 kB (healed x 2 MiB), = census leaves"

bad=0
held=$(kv $M held_ranges)	# 4 split, and any already split it got
echo release >$M || bad=1
v="$(kv $M verified_bytes) $(kv $M verify_mismatches)"
[ "$held" -ge 4 ] && [ "$v" = "$((held * 2097152)) 0" ] || { bad=1; echo "# held $held, verified bytes, mismatches: $v"; }
sum1=$(md5sum <$T/blob)
[ "$sum1" = "$sum0" ] || { bad=1; echo "# md5 $sum0 -> $sum1"; }
ok $bad "memory intact: $held held 2 MiB blocks verified through the healed map, a 16 MiB file unchanged"
rm -f $T/blob

# ---- race: the range changes between the lockless pass and the locked one ------
echo race-test >$M
r="$(kv $M race_hook_ran) $(kv $M race_changed) $(kv $M race_range_left)"
[ "$r" = "1 1 1" ]
ok $? "race-test: a range made read-only after the first pass is left split (ran changed left: $r)"

# ---- heals while the other vCPU loads and unloads modules (and reads ptdump) -------
churn() {
	_end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt $_end ]; do
		insmod $K/minix.ko 2>/dev/null && rmmod minix
	done
}
ptdump() {
	_end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt $_end ]; do
		cat /sys/kernel/debug/page_tables/kernel >/dev/null
	done
}
churn 4 &
cp=$!
pp=
[ -r /sys/kernel/debug/page_tables/kernel ] && { ptdump 4 & pp=$!; }
heals=0 fails=0
end=$(($(date +%s) + 4))
while [ "$(date +%s)" -lt $end ]; do
	echo "split 1" >$M
	if echo heal >$M; then heals=$((heals + 1)); else fails=$((fails + 1)); fi
done
wait $cp $pp
echo heal >$M
echo dry-run >$M
[ $fails = 0 ] && [ $heals -gt 0 ] && [ "$(last healable)" = 0 ] && mi_agrees
ok $? "$heals heals during module churn${pp:+ and ptdump reads}: $fails failed, then 0 healable and meminfo = census"
check_wx "no W+X page after the heals"

# ---- real causes, gone ---------------------------------------------------------
if [ -f $K/minix.ko ] && [ -f $K/qnx4.ko ]; then
	insmod $K/minix.ko && insmod $K/qnx4.ko
	/files/bpfload 160 400 >$T/bpf.out 2>&1 &
	bp=$!
	i=0
	while [ $i -lt 60 ] && ! grep -q '^loaded' $T/bpf.out; do sleep 1; i=$((i + 1)); done
	kill $bp
	wait $bp 2>/dev/null
	rmmod qnx4 && rmmod minix
	sleep 1	# BPF programs are freed after an RCU grace period
	s3=$(stale)
	echo heal >$M
	h=$(last healed)
	echo dry-run >$M
	s4=$(stale)
	[ "$(last healable)" = 0 ] && [ "$s4" = 0 ] && mi_agrees
	ok $? "minix, qnx4 and 160 BPF programs loaded then gone: census stale $s3 -> $s4, $h healed, 0 healable, meminfo = census"
	grep -E '^last_|^odd_flags|^exclusion' $M | grep -v ' 0$' | diag
	grep '^range .* stale ' $T/st | diag
else
	skip "heal after real causes" "no stock modules in /files/kmods"
fi
