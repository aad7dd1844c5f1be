#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Direct-map census (debugfs execmem/census, execmemctl census): causes the
# test creates are found and named (stock modules by name, BPF programs as
# bpf, a kprobe as kprobes), their ranges turn stale once they are gone,
# execmem's own regions split nothing, and the counts agree with
# /proc/meminfo and with /proc/vmstat's split counter over the test.
# /files is `make -C tests/files DEST=DIR`: execmemctl, bpfload and
# kmods/KVER/{minix,qnx4}.ko (tests/files/census-kmods.sh).
# harness: --files tools-guest
# harness: --timeout 500
# harness-debug: skip census_load.sh runs the census here, under debug_pagealloc
. /lib.sh
C=$D/census
CTL=/files/execmemctl
K=/files/kmods/$(uname -r)
T=/tmp/census
TR=/sys/kernel/tracing
mkdir -p $T

kv() { sed -n "s/^$2 //p" "$1"; }	# FILE KEY
vm() { sed -n "s/^$1 //p" /proc/vmstat; }
# splits so far: the kernel's counter (minus 7.2's collapses)
vm_splits() { echo $(($(vm direct_map_level2_splits) - ${COLLAPSES:-0})); }
# snap NAME: one census into $T/NAME, with the vmstat counter next to it
snap() {
	COLLAPSES=$(vm direct_map_level2_collapses)
	cat $C >$T/$1 || echo "# reading $C failed"
	vm_splits >$T/$1.vm
}
# census split count, direct map and kernel image (both count in vmstat)
splits() { echo $(($(kv $T/$1 split_2m) + $(kv $T/$1 kernel_image_split_2m))); }
# pages attributed to CLASS NAME-prefix (0 when absent)
cause_pages() { # FILE CLASS NAME-PREFIX
	awk -v c="$2" -v p="$3" '$1 == "cause" && $2 == c && (p == "" || index($3, p) == 1) { s += $4 } END { print s + 0 }' "$1"
}
# the split 2 MiB ranges whose causes all match the regexp
ranges_only() { # FILE REGEXP
	awk -v re="$2" '$1 == "range" && $3 == "2M" && $4 != "leaf" {
		k = split($12, c, ","); all = k > 0
		for (i = 1; i <= k; i++) if (c[i] !~ re) all = 0
		if (all) print $2 }' "$1"
}
status_of() { awk -v p="$2" '$1 == "range" && $2 == p && $3 == "2M" { print $4 }' "$1"; }

ktap_begin execmem_census 18
load_execmem

# ---- the file, and what it must agree with --------------------------------
snap boot
bad=0
[ "$(stat -c %a $C)" = 444 ] || bad=1
if (echo 1 >$C) 2>/dev/null; then bad=1; fi
[ "$(kv $T/boot census)" = 1 ] || bad=1
ok $bad "census: 0444, writes refused, format version 1"

# Exact agreement with /proc/meminfo (read right after the census: nothing
# splits in between in this quiet guest).
mi() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
for i in 1 2 3; do
	cat $C >$T/mi
	m4=$(mi DirectMap4k) m2=$(mi DirectMap2M) m1=$(mi DirectMap1G)
	[ "$m4" = "$(kv $T/mi meminfo_directmap_4k_kb)" ] &&
		[ "$m2" = "$(kv $T/mi meminfo_directmap_2m_kb)" ] &&
		[ "${m1:-0}" = "$(kv $T/mi meminfo_directmap_1g_kb)" ] && break
done
ok $? "DirectMap4k/2M/1G of /proc/meminfo = census leaves (+ split kernel-image 2M pages)"
echo "# meminfo $m4 $m2 ${m1:-0} kB; census $(kv $T/mi meminfo_directmap_4k_kb) $(kv $T/mi meminfo_directmap_2m_kb) $(kv $T/mi meminfo_directmap_1g_kb) kB"

# Totals add up (leaves, pages, causes, ranges, mapped extents); busybox
# awk reads hex strings, not hex fields: mapped sizes are converted first.
check_totals_file() {
	awk '$1 == "mapped" { printf "mapped %s %.0f\n", $2, ("0x" substr($3, 3)) + 0; next } { print }' "$1" >"$1.dec"
	check_totals "$1.dec"
}
check_totals() { # FILE (mapped sizes already decimal)
	awk '$1 == "cause" { cp += $4; next }
	$1 == "range" { if ($3 == "2M" && $4 != "leaf") { nr++; st[$4]++; nd += $5; df += $6; ho += $7 } next }
	$1 == "mapped" { mb += $3; next }
	NF == 2 { v[$1] = $2 }
	END { e = 0
		if (v["leaves_4k"] != v["pages_4k_default"] + v["pages_4k_nondefault"]) { print "# 4K leaves != default + nondefault"; e = 1 }
		if (v["pages_attributed"] != v["pages_4k_nondefault"] + v["pages_large_nondefault"]) { print "# attributed != nondefault pages"; e = 1 }
		if (cp != v["pages_attributed"]) { print "# causes sum " cp " != attributed " v["pages_attributed"]; e = 1 }
		if (nr != v["split_2m"] || st["live"] + 0 != v["split_2m_live"] || st["stale"] + 0 != v["split_2m_stale"] || st["partial"] + 0 != v["split_2m_partial"]) { print "# range lines != split_2m counters"; e = 1 }
		if (v["split_2m"] != v["split_2m_live"] + v["split_2m_stale"] + v["split_2m_partial"]) { print "# split_2m != live + stale + partial"; e = 1 }
		if (nd != v["pages_4k_nondefault"] || df != v["pages_4k_default"] || ho != v["pages_4k_hole"]) { print "# range pages != page totals"; e = 1 }
		if (mb != v["leaves_1g"] * 1073741824 + v["leaves_2m"] * 2097152 + v["leaves_4k"] * 4096) { print "# mapped bytes " mb " != leaves"; e = 1 }
		exit e }' "$1"
}
check_totals_file $T/boot
ok $? "totals add up: 4K leaves, attributed pages = sum of causes, range lines, mapped bytes = leaves"
grep -E '^(leaves_|split_2m|pages_4k_nondefault|walk_|memory_bytes)' $T/boot | tr '\n' ' ' | sed 's/^/# boot: /'; echo

# ---- stock modules ----------------------------------------------------------
KMODS=0
if [ -f $K/minix.ko ] && [ -f $K/qnx4.ko ]; then
	KMODS=1
	snap m0
	insmod $K/minix.ko && insmod $K/qnx4.ko
	snap m1
	p=$(cause_pages $T/m1 module minix/) q=$(cause_pages $T/m1 module qnx4/)
	[ "$p" -gt 0 ] && [ "$q" -gt 0 ] && [ "$(cause_pages $T/m0 module minix/)" = 0 ] &&
		grep -q '^range .*module:minix/' $T/m1
	ok $? "stock modules minix and qnx4 appear by name ($p and $q pages), with their ranges"
	grep '^cause module \(minix\|qnx4\)/' $T/m1 | diag
	# The splits the loads caused: as many new split ranges as vmstat
	# counted, each live one naming one of the two modules.  A new range
	# can be stale already: its cause went away during the load (seen on
	# 7.2, whose loader writes module memory, init text included, through
	# a writable window on its ROX cache).
	new_split_ranges $T/m0 $T/m1 >$T/m1.new
	bad=0
	[ $(($(splits m1) - $(splits m0))) = $(($(cat $T/m1.vm) - $(cat $T/m0.vm))) ] || bad=1
	awk '$2 == "live" && $3 !~ /module:(minix|qnx4)\// { bad = 1 } END { exit bad }' $T/m1.new || bad=1
	diag $T/m1.new
	ok $bad "module loads: $(wc -l <$T/m1.new) new split range(s) (live ones naming minix or qnx4) = vmstat splits ($(($(cat $T/m1.vm) - $(cat $T/m0.vm))))"

	# Where minix's pages came from is up to the page allocator: a range
	# may hold other live pages too.  Those it alone kept live turn stale
	# (or "partial": nothing live, but holes).
	ranges_only $T/m1 '^module:minix/' >$T/minix.only
	awk '$1 == "range" && $3 == "2M" && /module:minix\// { print $2 }' $T/m1 >$T/minix.all
	rmmod minix
	snap m2
	bad=0
	[ "$(cause_pages $T/m2 module minix/)" = 0 ] || { bad=1; echo "# minix still a cause"; }
	[ -s $T/minix.all ] || { bad=1; echo "# minix in no split range"; }
	grep -q 'module:minix/' $T/m2 && { bad=1; echo "# a range still names minix"; }
	while read -r r; do
		s=$(status_of $T/m2 "$r")
		echo "# $r: minix only; after rmmod: $s"
		case $s in stale | partial) ;; *) bad=1 ;; esac
	done <$T/minix.only
	for r in $(minus $T/minix.all $T/minix.only); do
		echo "# $r: shared; after rmmod: $(status_of $T/m2 "$r") $(awk -v p="$r" '$1 == "range" && $2 == p && $3 == "2M" { print $12 }' $T/m2)"
	done
	ok $bad "rmmod minix: named nowhere; of its $(wc -l <$T/minix.all) range(s) the $(wc -l <$T/minix.only) it alone kept live are not live any more"
else
	skip "stock modules appear by name" "no $K/{minix,qnx4}.ko"
	skip "module loads: new split ranges = vmstat splits" "no stock modules"
	skip "rmmod: ranges turn stale" "no stock modules"
fi

# ---- BPF --------------------------------------------------------------------
# Debian's kernels always JIT (BPF_JIT_ALWAYS_ON); a kernel that may not
# (the debug kernel) must have the JIT on, else there is no JIT memory.
J=/proc/sys/net/core/bpf_jit_enable
[ -w $J ] && [ "$(cat $J)" = 0 ] && echo 1 >$J 2>/dev/null
if [ "$(cat $J 2>/dev/null)" = 1 ] || [ "$(cat $J 2>/dev/null)" = 2 ]; then
	snap b0
	/files/bpfload 160 4000 >$T/bpf.out 2>&1 &
	bp=$!
	i=0
	while ! grep -q '^loaded' $T/bpf.out && [ $i -lt 200 ]; do sleep 1; i=$((i + 1)); done
	snap b1
	diag $T/bpf.out
	b0=$(cause_pages $T/b0 bpf '') b1=$(cause_pages $T/b1 bpf '')
	grep -q '^loaded 160$' $T/bpf.out && [ $((b1 - b0)) -ge 512 ]
	ok $? "160 BPF programs (2.5 MB of JIT code): bpf pages $b0 -> $b1 (a new 2 MiB pack at least)"
	[ $(($(splits b1) - $(splits b0))) = $(($(cat $T/b1.vm) - $(cat $T/b0.vm))) ]
	ok $? "BPF: new split ranges ($(($(splits b1) - $(splits b0)))) = vmstat splits ($(($(cat $T/b1.vm) - $(cat $T/b0.vm))))"
	ranges_only $T/b1 '^bpf:' >$T/b1.all
	ranges_only $T/b0 '^bpf:' >$T/b0.all
	minus $T/b1.all $T/b0.all >$T/bpf.new
	kill $bp
	wait $bp 2>/dev/null
	# Programs are freed after an RCU grace period, packs when empty.
	i=0
	while :; do
		snap b2
		bad=0
		# (a range with holes reads "partial" once nothing in it is live)
		while read -r r; do
			case $(status_of $T/b2 "$r") in stale | partial) ;; *) bad=1 ;; esac
		done <$T/bpf.new
		[ $bad = 0 ] || [ $i -ge 20 ] && break
		sleep 1
		i=$((i + 1))
	done
	[ -s $T/bpf.new ] || {
		bad=1
		echo "# no new range had bpf as its only cause; new ranges naming bpf:"
		awk '$1 == "range" && $3 == "2M" && /bpf:/' $T/b1 | grep -vFf $T/b0 | diag
	}
	[ "$(cause_pages $T/b2 bpf '')" -le "$b0" ] || bad=1
	ok $bad "BPF programs closed: bpf pages back to $(cause_pages $T/b2 bpf ''), their $(wc -l <$T/bpf.new) new range(s) no longer live"
	for r in $(cat $T/bpf.new); do echo "# $r: $(status_of $T/b1 "$r") -> $(status_of $T/b2 "$r")"; done
else
	for t in "BPF programs appear as bpf" "BPF: new split ranges = vmstat splits" "BPF programs closed: ranges not live"; do
		skip "$t" "no BPF JIT ($J: $(cat $J 2>&1))"
	done
fi

# ---- kprobes ----------------------------------------------------------------
[ -d $TR/events ] || mount -t tracefs tracefs $TR 2>/dev/null
if [ -w $TR/kprobe_events ]; then
	snap k0
	# An offset past the ftrace site, at an instruction boundary: a probe that
	# needs an instruction slot.
	for off in 9 5 8 10 11 12 13 14 15 16; do
		echo "p:census/p1 vfs_read+$off" >>$TR/kprobe_events 2>/dev/null && break
	done
	echo 1 >$TR/events/census/enable
	cat /proc/self/stat >/dev/null
	snap k1
	kp=$(cause_pages $T/k1 kprobes '')
	[ "$(cause_pages $T/k0 kprobes '')" = 0 ] && [ "$kp" -gt 0 ]
	ok $? "a kprobe at $(cat $TR/kprobe_events | cut -d' ' -f2): kprobes pages 0 -> $kp"
	grep '^cause kprobes' $T/k1 | diag
	echo 0 >$TR/events/census/enable
	echo "-:census/p1" >>$TR/kprobe_events
else
	skip "a kprobe appears as kprobes" "no $TR/kprobe_events"
fi

# ---- execmem's own regions (observe.sh's client, holding 300 allocations) ---
snap e0
insmod /modules/execmem_observe.ko count=300 seed=1 churn=0
snap e1
ep=$(cause_pages $T/e1 execmem region)
# Every split range holding execmem region pages was split before the regions
# existed (7.2 can hand a stale range's pages to a new region).
awk '$1 == "range" && $3 == "2M" { print $2 }' $T/e0 >$T/e0.split
awk '$1 == "range" && $3 == "2M" && $4 != "leaf" && /execmem:region/ { print $2 }' $T/e1 >$T/e1.regsplit
bad=0
while read -r r; do grep -qxF "$r" $T/e0.split || { bad=1; echo "# $r: split, with execmem region pages, not split before"; }; done <$T/e1.regsplit
[ "$ep" -ge 512 ] || bad=1
ok $bad "execmem regions ($ep pages, $(grep -c 'leaf .*execmem:region' $T/e1) intact 2M leaves) split nothing"
rmmod execmem_observe

# ---- history ----------------------------------------------------------------
snap end
[ $(($(splits end) - $(splits boot))) = $(($(cat $T/end.vm) - $(cat $T/boot.vm))) ]
ok $? "whole test: new split ranges ($(($(splits end) - $(splits boot)))) = vmstat direct_map_level2_splits ($(($(cat $T/end.vm) - $(cat $T/boot.vm))))"
echo "# at boot: $(splits boot) split 2M ranges, vmstat $(cat $T/boot.vm) (splits before SYSTEM_RUNNING are not counted)"
check_totals_file $T/end
ok $? "totals still add up at the end"

# ---- execmemctl -------------------------------------------------------------
$CTL census >$T/ctl.txt 2>&1
rc=$?
# (qnx4 is still loaded; without the stock modules, execmem's own text)
want=qnx4
[ $KMODS = 1 ] || want='module execmem/'
[ $rc = 0 ] && grep -q '^Direct map' $T/ctl.txt && grep -q "$want" $T/ctl.txt
ok $? "execmemctl census: a summary naming the causes ($want)"
head -20 $T/ctl.txt | diag
$CTL census --json >$T/ctl.json 2>&1
rc=$?
[ $rc = 0 ] && [ "$(wc -l <$T/ctl.json)" = 1 ] &&
	grep -q "\"split_2m\": $(kv $T/end split_2m)[,}]" $T/ctl.json &&
	grep -q '"causes": \[{"class": "' $T/ctl.json &&
	grep -q '"ranges": \[{"phys": ' $T/ctl.json
ok $? "execmemctl census --json: one object with the counters, causes and ranges"
$CTL census --png $T/map.png >$T/ctl.png 2>&1
rc=$?
[ $rc = 0 ] && [ "$(od -An -tx1 -N8 $T/map.png | tr -d ' ')" = 89504e470d0a1a0a ]
ok $? "execmemctl census --png: a PNG file ($(wc -c <$T/map.png) bytes)"
diag $T/ctl.png

# ---- a caller kallsyms cannot name -----------------------------------------
# execmem_census_caller.ko: a module-area area, read-only in the direct map,
# whose vmalloc caller is its freed init text: named unknown_caller, never
# by its raw address (%ps prints one in hex, whatever kptr_restrict says).
insmod /modules/execmem_census_caller.ko
snap u
awk '$1 == "cause" && $3 ~ /^0x/' $T/u >$T/u.hex
[ ! -s $T/u.hex ] && [ "$(cause_pages $T/u other unknown_caller)" -ge 4 ]
ok $? "an area whose caller has no name: $(cause_pages $T/u other unknown_caller) pages of 'other unknown_caller', $(wc -l <$T/u.hex) cause(s) named by a raw address"
grep '^cause other' $T/u | diag
rmmod execmem_census_caller

# ---- fail_resolve reaches the census' own lookups ----------------------------
# One resolution engine for every table (execmem_resolve.h): the census' own
# is_bpf_text_address is left out as a missing symbol would be, the others
# (find_vm_area, execmem's own) still resolve.
rmmod execmem &&
	insmod /modules/execmem.ko fail_resolve=is_bpf_text_address &&
	snap f
kv $T/f "resolved is_bpf_text_address" >$T/f.bpf
[ "$(cat $T/f.bpf)" = 0 ] && [ "$(kv $T/f "resolved find_vm_area")" = 1 ] &&
	[ "$(kv $T/f "resolved is_ftrace_trampoline")" = 1 ]
ok $? "fail_resolve=is_bpf_text_address: the census resolves it as missing ($(cat $T/f.bpf)), the rest as before"
grep '^resolved' $T/f | diag
