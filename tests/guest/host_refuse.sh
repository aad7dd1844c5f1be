#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# host= when a hook cannot be placed: execmem still loads, the consumer is
# off with the reason in debugfs "host" and one kernel message naming it,
# the other consumer works; a bad host= value is refused; writing the
# parameter at run time turns consumers on and off; with no 2 MiB page
# (force_fallback=1) the kernel's own allocator serves BPF packs and kprobe
# pages come from a 4 KiB-mapped region, each counted in fallbacks.
# harness: --files tools-guest
# harness: --timeout 450
. /lib.sh

# host_row CONSUMER: its row of debugfs "host"
host_row() { awk -v c="$1" '$1 == c' $D/host; }
state_of() { host_row "$1" | awk '{ print $2 }'; }
reason_of() { host_row "$1" | awk '{ print $8 }'; }
param() { cat /sys/module/execmem/parameters/host; }

T=/sys/kernel/debug/tracing
ktap_begin execmem_host_refuse 32
# What the BPF pack allocator calls on this kernel (execmem_compat.h).
if grep -q ' module_alloc$' /proc/kallsyms; then pack=module_alloc; else pack=bpf_jit_alloc_exec; fi
echo "# pack allocator calls $pack"
S=/sys/module/execmem_host_refuse_stale/parameters

insmod /modules/execmem_host_refuse.ko sym=$pack
ok $? "another IPMODIFY user holds $pack"
dmesg -c >/dev/null
insmod /modules/execmem.ko host=bpf,kprobes
ok $? "insmod execmem host=bpf,kprobes succeeds although $pack is taken"
[ "$(state_of bpf)" = off ] && [ "$(reason_of bpf)" = another-ipmodify-user ]
ok $? "bpf is off, reason another-ipmodify-user ($(host_row bpf))"
[ "$(dmesg | grep -c "host=bpf: cannot redirect $pack (another-ipmodify-user")" = 1 ]
ok $? "one kernel message names the function and the reason"
[ "$(state_of kprobes)" = on ] && [ "$(param)" = kprobes ]
ok $? "kprobes is on, the parameter reads back kprobes ($(param))"
echo > /sys/module/execmem/parameters/host
[ "$(state_of kprobes)" = off ] && [ -z "$(param)" ]
ok $? "writing an empty host turns kprobes off"
rmmod execmem_host_refuse
echo bpf > /sys/module/execmem/parameters/host
[ "$(state_of bpf)" = on ] && [ "$(reason_of bpf)" = - ] && [ "$(param)" = bpf ]
ok $? "once $pack is free, writing host=bpf at run time turns bpf on ($(host_row bpf))"
# IBT: the redirect returns into our functions; each starts with ENDBR64
# anyway when the kernel has IBT (its modules are built with
# -fcf-protection=branch), so that it is a valid target either way.
# (an IBT kernel has the section of sealed ENDBRs: __ibt_endbr_seal)
echo "# $(grep -c __ibt_endbr_seal /proc/kallsyms) __ibt_endbr_seal symbols"
if grep -q __ibt_endbr_seal /proc/kallsyms; then
	awk 'NR > 1 && $4 == 1 { n++; if ($5 != 1) bad = 1 } END { exit bad || n < 2 }' $D/host_hooks
	ok $? "IBT kernel: every placed hook's target starts with ENDBR64" || diag $D/host_hooks
else
	skip "placed hooks' targets start with ENDBR64" "kernel without X86_KERNEL_IBT"
fi
echo nonsense > /sys/module/execmem/parameters/host 2>/dev/null
[ $? != 0 ] && [ "$(param)" = bpf ]
ok $? "a bad value is refused and changes nothing"
echo > /sys/module/execmem/parameters/host
rmmod execmem
ok $? "rmmod execmem"

# A symbol hosting needs that cannot be resolved (fail_resolve= acts so).
dmesg -c >/dev/null
insmod /modules/execmem.ko host=kprobes,bpf fail_resolve=alloc_insn_page
ok $? "insmod execmem host=kprobes,bpf fail_resolve=alloc_insn_page succeeds"
[ "$(state_of kprobes)" = off ] && [ "$(reason_of kprobes)" = symbol-missing ] &&
	[ "$(state_of bpf)" = on ]
ok $? "kprobes is off, reason symbol-missing; bpf is on ($(host_row kprobes))"
[ "$(dmesg | grep -c "host=kprobes: cannot redirect alloc_insn_page (symbol-missing")" = 1 ]
ok $? "one kernel message names the missing function"
echo > /sys/module/execmem/parameters/host
rmmod execmem

insmod /modules/execmem.ko host=bogus 2>/dev/null
[ $? != 0 ] && ! grep -q '^execmem ' /proc/modules
ok $? "insmod with host=bogus fails: a bad parameter value, not a hook"

# No 2 MiB page to be had: every call falls back, and is counted.
insmod /modules/execmem.ko host=bpf,kprobes force_fallback=1
ulimit -n 65536
/files/bpfload 3000 400 >/tmp/bpfload.out 2>&1 &
pid=$!
i=0
while [ $i -lt 120 ] && ! grep -q '^loaded' /tmp/bpfload.out; do sleep 1; i=$((i + 1)); done
grep -q '^loaded 3000' /tmp/bpfload.out && [ "$(host_row bpf | awk '{ print $3, ($5 >= 1) }')" = "0 1" ]
ok $? "force_fallback: 3000 programs load, new packs come from the kernel, counted ($(host_row bpf))" ||
	diag /tmp/bpfload.out
kill $pid
wait $pid 2>/dev/null
echo 'p:xmfb/vfs_read vfs_read+9' >>$T/kprobe_events && echo 1 >$T/events/xmfb/enable
cat /proc/version >/dev/null
[ "$(host_row kprobes | awk '{ print ($3 >= 1), ($5 >= 1) }')" = "1 1" ] &&
	awk '$1 == "kprobes" && $4 != "4K" { bad = 1 } END { exit bad }' $D/hosted
ok $? "force_fallback: a kprobe page is served from a 4 KiB-mapped region, counted ($(host_row kprobes))" ||
	diag $D/hosted
echo 0 >$T/events/xmfb/enable
echo >$T/kprobe_events
echo >/sys/module/execmem/parameters/host
i=0
while [ $i -lt 10 ] && [ "$(host_row kprobes | awk '{ print $6 }')" != 0 ]; do sleep 1; i=$((i + 1)); done
[ "$(host_row kprobes | awk '{ print $6 }')" = 0 ]
ok $? "host off gives the empty kprobe page back ($(host_row kprobes))"
rmmod execmem
ok $? "rmmod execmem"

# A kprobe page execmem takes back was written by the kernel with
# text_poke, not through execmem_write(): it must be all int3 again before
# anyone else is given it.
insmod /modules/execmem.ko host=kprobes
echo 'p:xmi/vfs_read vfs_read+9' >>$T/kprobe_events && echo 1 >$T/events/xmi/enable
cat /proc/version >/dev/null
sleep 1
page=$(awk '$1 == "kprobes" { print $2; exit }' $D/hosted)
echo 0 >$T/events/xmi/enable
echo >$T/kprobe_events
echo >/sys/module/execmem/parameters/host
i=0
while [ $i -lt 10 ] && [ "$(host_row kprobes | awk '{ print $6 }')" != 0 ]; do sleep 1; i=$((i + 1)); done
insmod /modules/execmem_host_refuse_int3.ko expect=0x$page
ok $? "the kprobe page given back is all int3 when execmem hands it out again"
dmesg | grep 'took back' | diag
rmmod execmem_host_refuse_int3 2>/dev/null
rmmod execmem
ok $? "rmmod execmem"

# Hosted BPF areas count against max_bytes with the pool's regions (issue
# 21): under a cap of one 2 MiB region, one new pack is hosted, the next
# ones come from the kernel, each refusal counted; while the pack lives, a
# client's new region is refused; freed, it is uncounted.
hosted_bpf() { awk 'NR > 1 && $1 == "bpf" { s += $3 } END { print s + 0 }' $D/hosted; }
insmod /modules/execmem.ko host=bpf max_bytes=2097152 spare_regions=0
/files/bpfload 3000 400 >/tmp/bpfcap.out 2>&1 &
pid=$!
i=0
while [ $i -lt 120 ] && ! grep -q '^loaded' /tmp/bpfcap.out; do sleep 1; i=$((i + 1)); done
hb=$(hosted_bpf)
echo "# $(head -n1 /tmp/bpfcap.out); bpf hosted $hb bytes, bytes_hosted $(stat_of bytes_hosted), limit_failures $(stat_of limit_failures); $(host_row bpf)"
grep -q '^loaded 3000' /tmp/bpfcap.out && [ "$hb" = 2097152 ] && [ "$(stat_of bytes_hosted)" = "$hb" ] &&
	[ "$(stat_of limit_failures)" -ge 1 ] && [ "$(host_row bpf | awk '{ print $5 }')" -ge 1 ]
ok $? "max_bytes=2 MiB: one new BPF pack hosted (bytes_hosted), the next ones from the kernel, the refusals counted"
insmod /modules/execmem_lifecycle.ko count=1 2>/dev/null
r=$?
[ $r != 0 ] && [ "$(stat_of regions)" = 0 ]
ok $? "while the hosted pack lives, a client's new region is refused: the cap is shared"
kill $pid
wait $pid 2>/dev/null
i=0
while [ $i -lt 20 ] && [ "$(stat_of bytes_hosted)" != 0 ]; do sleep 1; i=$((i + 1)); done
[ "$(stat_of bytes_hosted)" = 0 ] && [ "$(hosted_bpf)" = 0 ]
ok $? "the pack freed, bytes_hosted is 0 again"
echo >/sys/module/execmem/parameters/host
rmmod execmem

# A buggy client's stale pointer into a page execmem has since hosted for
# the kernel (issue 21): one allocation kept so that the region stays, a
# 4 KiB-aligned 4 KiB block allocated and freed, then host=kprobes and a
# kprobe that needs a slot: the kernel's instruction page is that block.
# A late write and a double free through the stale pointer are refused
# (counted, one message each), the page is not given out again and the
# kprobe keeps working.
insmod /modules/execmem.ko
insmod /modules/execmem_host_refuse_stale.ko
stale=$(cat $S/stale)
echo kprobes >/sys/module/execmem/parameters/host
echo 'p:xms/vfs_read vfs_read+9' >>$T/kprobe_events && echo 1 >$T/events/xms/enable
cat /proc/version >/dev/null
echo "# stale pointer $stale; hosted: $(awk 'NR > 1 { printf "%s %s; ", $1, $2 }' $D/hosted)"
awk -v a="$stale" '$1 == "kprobes" && $2 == a { f = 1 } END { exit !f }' $D/hosted
ok $? "the kernel's kprobe instruction page is the block the client freed (debugfs hosted lists $stale)"
f0=$(stat_of frees) b0=$(stat_of bad_frees) w0=$(stat_of failed_writes) r0=$(stat_of owner_refusals)
dmesg -c >/dev/null
echo write >$S/action
echo free >$S/action
echo alloc >$S/action
echo "# write_ret $(cat $S/write_ret), realloc at the stale address $(cat $S/same); frees $f0 -> $(stat_of frees), bad_frees $b0 -> $(stat_of bad_frees), failed_writes $w0 -> $(stat_of failed_writes), owner_refusals ${r0:-?} -> $(stat_of owner_refusals)"
[ "$(cat $S/write_ret)" = -22 ] && [ "$(stat_of failed_writes)" = $((w0 + 1)) ]
ok $? "a stale execmem_write() into the hosted kprobe page is refused"
[ "$(stat_of frees)" = "$f0" ] && [ "$(stat_of bad_frees)" = $((b0 + 1)) ] && [ "$(cat $S/same)" = 0 ] &&
	awk -v a="$stale" '$1 == "kprobes" && $2 == a { f = 1 } END { exit !f }' $D/hosted
ok $? "a double free of the stale pointer is refused: the page stays hosted, the next allocation lies elsewhere"
[ "$(stat_of owner_refusals)" = $((r0 + 2)) ] &&
	[ "$(/files/execmemctl status | awk '$1 == "owner_refusals" { print $2 }')" = $((r0 + 2)) ] &&
	[ "$(dmesg | grep -c "execmem: .*write of 64 bytes at .* refused: memory hosted for the kernel")" = 1 ] &&
	[ "$(dmesg | grep -c "execmem: .*free of .*: memory hosted for the kernel")" = 1 ]
ok $? "both refusals counted in owner_refusals (debugfs stats, execmemctl status), one message each" || dmesg | grep execmem | diag
h0=$(awk '$1 ~ /vfs_read/ { print $2 }' $T/kprobe_profile)
cat /proc/version >/dev/null
h1=$(awk '$1 ~ /vfs_read/ { print $2 }' $T/kprobe_profile)
echo "# kprobe hits $h0 -> $h1"
[ "${h1:-0}" -gt "${h0:-0}" ]
ok $? "the kprobe still fires"
echo 0 >$T/events/xms/enable
echo >$T/kprobe_events
rmmod execmem_host_refuse_stale
echo >/sys/module/execmem/parameters/host
i=0
while [ $i -lt 10 ] && [ "$(host_row kprobes | awk '{ print $6 }')" != 0 ]; do sleep 1; i=$((i + 1)); done
rmmod execmem
ok $? "rmmod execmem"

# The hooked functions must be the ones the kernel calls (slot caches'
# pointers, direct calls from the pack allocator): fail_hook_check=SYM
# makes the real check expect SYM where no code is.  (Last: a kprobe
# slot page the kernel allocates here stays in its cache.)
if grep -q ' module_memfree$' /proc/kallsyms; then packfree=module_memfree; else packfree=bpf_jit_free_exec; fi
for sym in free_insn_page $pack $packfree; do
	case $sym in free_insn_page) c=kprobes o=bpf ;; *) c=bpf o=kprobes ;; esac
	dmesg -c >/dev/null
	insmod /modules/execmem.ko host=kprobes,bpf fail_hook_check=$sym
	served() { host_row $c | awk '{ print $3 }'; }
	if [ $c = kprobes ]; then
		echo 'p:xmc/vfs_read vfs_read+9' >>$T/kprobe_events && echo 1 >$T/events/xmc/enable
		cat /proc/version >/dev/null
		echo 0 >$T/events/xmc/enable
		echo >$T/kprobe_events
	else
		/files/bpfrun -s 1024 -S 2048 600 >/tmp/bpfrun.chk 2>&1
	fi
	[ "$(state_of $c)" = off ] && [ "$(reason_of $c)" = kernel-calls-another ] &&
		[ "$(served)" = 0 ] && [ "$(state_of $o)" = on ] &&
		[ "$(dmesg | grep -c "host=$c: cannot redirect .* (kernel-calls-another")" = 1 ]
	ok $? "fail_hook_check=$sym: $c off, reason kernel-calls-another, one message, nothing served; $o on ($(host_row $c))" ||
		dmesg | grep 'host=' | diag
	echo > /sys/module/execmem/parameters/host
	rmmod execmem
done
dmesg | grep -E 'WARNING|BUG' | diag
