#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Direct-map lab (debugfs execmem/dmap, execmemctl heal/split, docs/dmap.md):
# ranges split on purpose (CPA read-only and uncached round trips on
# execmem's own pages) and by real causes (stock modules, BPF programs,
# kprobe slot pages: execmem_dmap_kprobes.ko) are
# healed into PMD leaves: the census then finds no healable range, the
# DirectMap lines of /proc/meminfo move by exactly the healed ranges and
# agree with the census, memory reads back intact; a range that stops being
# healable between the two passes is left alone; heals run while the other
# vCPU loads and unloads modules and BPF programs, memfd_secret(2) takes
# pages out of the direct map and back, and ptdump reads (where the kernel
# has it); a split whose page-table allocation fails (fail_page_alloc, the
# debug kernel) fails with ENOMEM and leaves nothing split; where the heal
# is refused (debug_pagealloc: dmap_refuse.sh) all but the dry run SKIP.
# /files is `make -C tests/files guest-files DEST=DIR` (execmemctl, bpfload,
# bpfrun, secretmem, kmods); secretmem.enable=1: 6.1's default is off.
# harness: --files tools-guest
# harness: --append secretmem.enable=1
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

ktap_begin execmem_dmap 11
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
		"concurrent heals" "W+X" "CPA's table allocation failed" \
		"after the injected failure" "heal after real causes"; do
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

# ---- heals while the other vCPU loads and unloads modules and BPF programs,
# memfd_secret(2) takes pages out of the direct map and puts them back (CPA
# by someone else), and ptdump reads the page tables where the kernel has it
SECS=4
kmod=$K/minix.ko kname=minix
# the debug kernel has no stock modules in /files/kmods: one of ours
[ -f $kmod ] || kmod=/modules/execmem_lifecycle.ko kname=execmem_lifecycle
modcycle() { insmod $kmod && rmmod $kname; }
rm -f $T/stop
actor mods modcycle &
mp=$!
actor bpf /files/bpfrun -s 4 -S 512 16 &
bp=$!
actor secret /files/secretmem 1 64 &
sp=$!
pp=
[ -r /sys/kernel/debug/page_tables/kernel ] && { actor ptdump cat /sys/kernel/debug/page_tables/kernel & pp=$!; }
# SECS seconds and at least 4 heals (the debug kernel is slow), at most 2 x SECS
heals=0 fails=0
t0=$(date +%s)
while t=$(($(date +%s) - t0)) && { [ $t -lt $SECS ] || [ $heals -lt 4 ]; } && [ $t -lt $((2 * SECS)) ]; do
	echo "split 1" >$M
	if echo heal >$M; then heals=$((heals + 1)); else fails=$((fails + 1)); fi
done
touch $T/stop
wait $mp $bp $sp $pp
# what the actors left to deferred work (a module's init section, BPF packs:
# freed after an RCU grace period, and their vfree() may split a range) first
sleep 1
settle_splits
# Frees deferred past the settling can still split a range after a heal
# (the debug kernel once failed here without saying why): up to three
# heals, each followed by a dry run; a range a heal cannot heal stays
# healable through all three.
final=0
while [ $final -lt 3 ]; do
	final=$((final + 1))
	echo heal >$M
	echo dry-run >$M
	[ "$(last healable)" = 0 ] && break
	grep '^last_' $M | grep -v ' 0$' | diag
done
mods=$(cat $T/mods.n) bpfs=$(cat $T/bpf.n) secret=$(cat $T/secret.n)
[ "$secret" -gt 0 ] || /files/secretmem 1 1 2>&1 | diag	# why not
[ $fails = 0 ] && [ $heals -gt 0 ] && [ "$(last healable)" = 0 ] && mi_agrees &&
	[ "$mods" -gt 0 ] && [ "$bpfs" -gt 0 ] && [ "$secret" -gt 0 ]
ok $? "$heals heals ($fails failed) in $t s during $mods $kname load/unload cycles, $bpfs rounds of 16 BPF programs loaded, run and freed, $secret s of memfd_secret pages out of the direct map and back${pp:+, $(cat $T/ptdump.n) ptdump reads}: then 0 healable after $final heal(s) and meminfo = census"
[ "$(last healable)" = 0 ] || grep '^last_' $M | grep -v ' 0$' | diag
check_wx "no W+X page after the heals"

# ---- CPA cannot allocate the page table of a split (fail_page_alloc) -----------
# split_large_page() (inlined into __change_page_attr_set_clr) allocates the
# PTE table with alloc_pages(GFP_KERNEL, 0).  fail_page_alloc, filtered to
# one task, with a budget ("space") of 513 pages: the 2 MiB block of
# "split 1" (order 9, 512) passes, the next page allocation of the task, the
# table, fails.  Something else of the task may use the budget before the
# block, or the block may be split already (then split_alloc_failed is 1):
# tried again.
FP=/sys/kernel/debug/fail_page_alloc
splits() { awk '$1 == "direct_map_level2_splits" { print $2 }' /proc/vmstat; }
# free pages: the buddy's and the per-cpu lists' (where a freed 2 MiB block may wait)
freepages() { awk '$1 == "nr_free_pages" || $1 == "count:" { n += $2 } END { print n }' /proc/zoneinfo; }
if [ -d $FP ]; then
	read -r plevel _ </proc/sys/kernel/printk
	echo 1 >/proc/sys/kernel/printk	# fail_dump's stack: read in dmesg, kept off the console
	echo Y >$FP/task-filter
	echo N >$FP/ignore-gfp-wait
	echo 0 >$FP/min-order
	echo 1 >$FP/interval
	echo 2 >$FP/verbose
	settle_splits
	cat $C >$T/fi0
	v0=$(splits) m0=$(mi DirectMap4k)
	try=0
	while [ $try -lt 5 ]; do
		try=$((try + 1))
		dmesg -c >/dev/null
		echo 513 >$FP/space
		echo 1 >$FP/times
		echo 100 >$FP/probability
		f0=$(freepages)
		# opened before make-it-fail: the open's allocations do not count
		sh -c "exec 3>$M && echo 1 >/proc/self/make-it-fail && echo 'split 1' >&3" 2>$T/fi.err
		rc=$?
		f1=$(freepages)
		echo 0 >$FP/probability
		[ "$(kv $M split_alloc_failed)" = 0 ] && break
	done
	dmesg >$T/fi.dmesg
	echo "$plevel" >/proc/sys/kernel/printk
	r="$rc $(kv $M split_done) $(kv $M split_alloc_failed) $(cat $FP/times)"
	diag $T/fi.err
	sed -n 's/^\[[^]]*\] *//; /FAULT_INJECTION/p; /change_page_attr\|set_memory\|alloc_pages\|xd_/p' $T/fi.dmesg | diag
	[ "$r" = "1 0 0 0" ] && grep -q 'Cannot allocate memory\|Out of memory' $T/fi.err &&
		grep -q 'FAULT_INJECTION: forcing a failure' $T/fi.dmesg &&
		grep -q ' __change_page_attr_set_clr+' $T/fi.dmesg
	ok $? "split 1 with CPA's page-table allocation failed (attempt $try): the write fails with ENOMEM, the one injected failure is in __change_page_attr_set_clr (rc done alloc_failed times-left: $r)"
	cat $C >$T/fi1
	new_split_ranges $T/fi0 $T/fi1 >$T/fi.new
	v1=$(splits) m1=$(mi DirectMap4k)
	bad=0
	grep -E 'WARNING|BUG|Oops|KASAN|UBSAN|leaking' $T/fi.dmesg && bad=1
	[ ! -s $T/fi.new ] && [ "$v1" = "$v0" ] && [ "$m1" = "$m0" ] && [ $((f0 - f1)) -lt 384 ] || bad=1
	diag $T/fi.new
	echo "split 1" >$M && [ "$(kv $M split_done)" = 1 ] && echo heal >$M &&
		[ "$(last healed)" -ge 1 ] && echo dry-run >$M && [ "$(last healable)" = 0 ] && mi_agrees || bad=1
	ok $bad "after it: no WARN/BUG, the block freed (free pages $f0 -> $f1: less than 384 of its 512 gone), no new split range (census), direct_map_level2_splits $v0 -> $v1, DirectMap4k $m0 -> $m1 kB; split 1 + heal then work"
else
	skip "split 1 with CPA's page-table allocation failed" "no $FP (CONFIG_FAIL_PAGE_ALLOC: the debug kernel only)"
	skip "after the injected failure: nothing split, split 1 + heal work" "no $FP"
fi

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
	# kprobes: 600 registered (execmem_dmap_kprobes.ko: each gets an
	# instruction slot in the kernel's slot pages, module-area pages whose
	# direct-map alias 6.1 and 6.12 make read-only), then unregistered by
	# rmmod: the slot cache frees its pages but the last one.
	# The census names kprobe slot pages as a cause there.
	l2a=$(splits) nkp=0 kpc=0
	insmod /modules/execmem_dmap_kprobes.ko nr=600 && nkp=600
	cat $C >$T/kp
	grep -q '^cause kprobes ' $T/kp && kpc=1
	case $(uname -r) in 6.1.* | 6.12.*) ;; *) kpc=1 ;; esac	# 7.2: its ROX cache
	echo "# $nkp kprobes registered: direct_map_level2_splits +$(($(splits) - l2a)), $(grep '^cause kprobes ' $T/kp)"
	rmmod execmem_dmap_kprobes
	sleep 1	# BPF programs and kprobe pages are freed after an RCU grace period
	s3=$(stale)
	echo heal >$M
	h=$(last healed)
	echo dry-run >$M
	s4=$(stale)
	[ "$(last healable)" = 0 ] && [ "$s4" = 0 ] && mi_agrees && [ $nkp = 600 ] && [ $kpc = 1 ]
	ok $? "minix, qnx4, 160 BPF programs and $nkp kprobes loaded then gone: census stale $s3 -> $s4, $h healed, 0 healable, meminfo = census"
	grep -E '^last_|^odd_flags|^exclusion' $M | grep -v ' 0$' | diag
	grep '^range .* stale ' $T/st | diag
else
	skip "heal after real causes" "no stock modules in /files/kmods"
fi
