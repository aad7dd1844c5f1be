#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Hardening: the owner is right through tail calls
# (execmem_hardening_tailcall*.ko), a module neither writes, frees nor names
# another's memory, a module going away gets nothing
# (execmem_hardening_going.ko), reaping waits for a grace period
# (execmem_hardening_rcu_*.ko), a free in progress when its owner goes away
# leaks no owner record (execmem_hardening_freer.ko,
# execmem_hardening_inflight.ko), the max_bytes cap, addresses in debugfs
# follow kptr_restrict (with execmem_lifecycle.ko), and a load without the
# kernel's return thunk is refused (retbleed=force,unret makes the kernel use
# a return thunk even under TCG).
# harness: --timeout 300 --append retbleed=force,unret
. /lib.sh
P=/sys/module/execmem/parameters
owner_line() { grep "^$1 " $D/owners; }

ktap_begin execmem_hardening 21

# --- ownership through tail calls ---
insmod /modules/execmem.ko spare_regions=0
ok $? "insmod execmem"
insmod /modules/execmem_hardening_tailcall.ko && insmod /modules/execmem_hardening_tailcall_user.ko
ok $? "insmod execmem_hardening_tailcall and execmem_hardening_tailcall_user (its code in the helper's memory, written by the helper, returns 42)"
echo "# owner_refusals $(stat_of owner_refusals), bad_frees $(stat_of bad_frees), failed_writes $(stat_of failed_writes)"
[ "$(stat_of bad_frees)" = 1 ] && [ "$(stat_of failed_writes)" = 1 ] &&
	[ "$(dmesg | grep -c "execmem: .*write of .* refused: another module's allocation")" = 1 ] &&
	[ "$(dmesg | grep -c "execmem: .*free of .*: another module's allocation")" = 1 ]
ok $? "a module's write into and free of another module's live allocation are refused, counted, one message each"
dmesg | grep -q "execmem_hardening_tailcall_user: naming the helper's memory: -22" &&
	[ "$(dmesg | grep -c "execmem: .*name of .* refused: another module's allocation")" = 1 ] &&
	[ "$(stat_of owner_refusals)" = 3 ] && ! grep -q execmem_tcu_stolen $D/symbols
ok $? "a module's execmem_set_name() of another module's live allocation is refused (-EINVAL), counted (owner_refusals 3 with the write and free), one message, no name"
sed 's/^/# owners: /' $D/owners
[ "$(owner_line execmem_hardening_tailcall)" = "execmem_hardening_tailcall 6 1000" ] &&
	! owner_line vmlinux >/dev/null && ! owner_line execmem_hardening_tailcall_user >/dev/null
ok $? "a mempool's tail-calling alloc function (called from vmlinux) and an exported tail-calling helper (called by another module) allocate for their own module"
rmmod execmem_hardening_tailcall_user
[ "$(owner_line execmem_hardening_tailcall)" = "execmem_hardening_tailcall 6 1000" ] && [ "$(stat_of live_allocs)" = 6 ]
ok $? "unloading the helper's caller frees nothing of the helper's module"
rmmod execmem_hardening_tailcall
dmesg | grep -q 'module execmem_hardening_tailcall unloaded with 2 live allocations (200 bytes): freeing them'
ok $? "unloading the helper's module reaps what its helper allocated (the mempool freed its own)"
[ "$(stat_of live_allocs)" = 0 ] && [ "$(wc -l <$D/owners)" = 1 ]
ok $? "nothing live, no owner record left"

# --- a module in its exit function (GOING) ---
insmod /modules/execmem_hardening_going.ko && rmmod execmem_hardening_going
dmesg | grep -q 'execmem_hardening_going: allocation in exit: refused' &&
	[ "$(stat_of live_allocs)" = 0 ] && [ "$(wc -l <$D/owners)" = 1 ]
ok $? "an allocation by a module already going away is refused; no record is made"

# --- reaping waits for a grace period ---
insmod /modules/execmem_hardening_rcu_reader.ko
i=0
while [ $i -lt 30 ]; do
	insmod /modules/execmem_hardening_rcu_code.ko || break
	usleep 20000
	rmmod execmem_hardening_rcu_code || break
	i=$((i + 1))
done
calls=$(cat /sys/module/execmem_hardening_rcu_reader/parameters/calls)
wrong=$(cat /sys/module/execmem_hardening_rcu_reader/parameters/wrong)
rmmod execmem_hardening_rcu_reader
echo "# $i load/unload cycles; the reader made $calls calls, $wrong wrong"
[ $i = 30 ] && [ "$calls" -gt 0 ] && [ "$wrong" = 0 ] && [ "$(stat_of live_allocs)" = 0 ]
ok $? "code reaped at unload while a reader on the other CPU may be calling it under RCU: no int3 hit, every call returned 42"

# --- a free in progress when its owner goes away ---
# execmem_hardening_inflight hands a written block to a thread of
# execmem_hardening_freer and is unloaded while execmem holds that free
# (test_free_delay_ms) before its int3 refill.  Then it is loaded again,
# until its struct module lands where that one's was: it must be served
# (a leaked owner record keyed by that address refused it).
this_module() { cat /sys/module/execmem_hardening_inflight/sections/.gnu.linkonce.this_module; }
F=/sys/module/execmem_hardening_freer/parameters
dmesg -c >/dev/null
echo 2000 >$P/test_free_delay_ms
insmod /modules/execmem_hardening_freer.ko
# (a load and unload first, and pauses for the deferred frees of init
# sections: the loads below then find the module area as this one left it)
sleep 1
insmod /modules/execmem_hardening_inflight.ko && rmmod execmem_hardening_inflight
sleep 1
insmod /modules/execmem_hardening_inflight.ko handoff=1
first=$(this_module)
i=0
while [ "$(cat $F/started)" = 0 ] && [ $i -lt 500 ]; do usleep 10000; i=$((i + 1)); done
usleep 200000
rmmod execmem_hardening_inflight
d=$(cat $F/done)
i=0
while [ "$(cat $F/done)" = 0 ] && [ $i -lt 300 ]; do usleep 100000; i=$((i + 1)); done
echo 0 >$P/test_free_delay_ms
echo "# free in progress at unload: $([ "$d" = 0 ] && echo yes || echo no); live $(stat_of live_allocs); owners $(($(wc -l <$D/owners) - 1))"
[ "$d" = 0 ] && [ "$(stat_of live_allocs)" = 0 ] && [ "$(wc -l <$D/owners)" = 1 ] && ! dmesg | grep -q WARNING
ok $? "a module unloaded while a free of its memory is in progress: no warning, nothing left live"
i=0
again=
while [ $i -lt 40 ]; do
	i=$((i + 1))
	insmod /modules/execmem_hardening_inflight.ko || { again=refused; break; }
	again=$(this_module)
	rmmod execmem_hardening_inflight
	[ "$again" != "$first" ] || break
done
rmmod execmem_hardening_freer
echo "# struct module at $first; after $i reload(s): $again"
# (busybox insmod retries a failed finit_module with init_module: a load
# refused once may succeed the second time, so the refusal is read in dmesg)
dmesg | grep 'execmem_hardening_inflight: allocation refused' | diag
[ "$again" = "$first" ] && ! dmesg | grep -q 'execmem_hardening_inflight: allocation refused'
ok $? "a module loaded where that one's struct module was is served (the owner record did not leak)"

# --- addresses in debugfs follow kptr_restrict, as /proc/kallsyms ---
insmod /modules/execmem_lifecycle.ko count=1
a=$(sed -n '2s/ .*//p' $D/allocations)
echo 2 >/proc/sys/kernel/kptr_restrict
z=$(sed -n '2s/ .*//p' $D/allocations)
r=$(sed -n '2s/ .*//p' $D/regions)
c=$(awk 'NR > 1 && ($4 != "0000000000000000" || $5 != "0000000000000000")' $D/calls | wc -l)
p=$(awk '($1 == "range" || $1 == "mapped") && $2 != "0x0"' $D/census | wc -l)
echo 0 >/proc/sys/kernel/kptr_restrict
p0=$(awk '($1 == "range" || $1 == "mapped") && $2 != "0x0"' $D/census | wc -l)
echo "# allocation at $a; with kptr_restrict=2: $z, region $r, $c address line(s) in calls, $p physical address(es) in census ($p0 without)"
[ "$a" != 0000000000000000 ] && [ -n "$a" ] && [ "$z" = 0000000000000000 ] &&
	[ "$r" = 0000000000000000 ] && [ "$c" = 0 ] && [ "$p" = 0 ] && [ "$p0" -gt 0 ]
ok $? "debugfs shows addresses only to readers kallsyms_show_value() allows"
rmmod execmem_lifecycle
rmmod execmem
ok $? "rmmod execmem"

# --- max_bytes ---
insmod /modules/execmem.ko
def=$(cat $P/max_bytes)
echo "# default max_bytes $def"
[ "$def" -gt 0 ] && [ "$(stat_of bytes_limit)" = "$def" ]
ok $? "max_bytes defaults to a share of the module area ($((def >> 20)) MiB)"
rmmod execmem
insmod /modules/execmem.ko max_bytes=4194304 spare_regions=0
insmod /modules/execmem_lifecycle.ko count=3 size=2000000 2>/dev/null
r=$?
echo "# insmod execmem_lifecycle count=3 size=2000000 under max_bytes=4M: rc $r; limit_failures $(stat_of limit_failures)"
# (busybox insmod tries finit_module, then init_module: two loads)
[ $r != 0 ] && [ "$(stat_of limit_failures)" -ge 1 ] && [ "$(stat_of live_allocs)" = 0 ] &&
	[ "$(stat_of regions)" = 0 ]
ok $? "the third 2 MiB region is refused beyond max_bytes=4 MiB, counted; the two others were reaped"
insmod /modules/execmem_lifecycle.ko count=2 size=2000000
ok $? "within the limit, allocations succeed"
rmmod execmem_lifecycle
rmmod execmem

# --- the return thunk ---
insmod /modules/execmem.ko
thunk=$(cat $D/return_thunk)
rmmod execmem
echo "# return thunk: $thunk"
dmesg -c >/dev/null
insmod /modules/execmem.ko fail_resolve=text_poke_copy 2>/dev/null
r=$?
[ $r != 0 ] && dmesg | grep -q 'cannot resolve text_poke_copy'
ok $? "a function that cannot be resolved refuses the load, with a message"
case $thunk in
none)
	skip "without x86_return_thunk while the kernel uses a return thunk, the load is refused" \
		"this kernel uses no return thunk here"
	;;
*)
	insmod /modules/execmem.ko fail_resolve=x86_return_thunk 2>/dev/null
	r=$?
	[ $r != 0 ] && dmesg | grep -q 'cannot resolve x86_return_thunk while the kernel uses a return thunk'
	ok $? "without x86_return_thunk while the kernel uses a return thunk ($thunk), the load is refused"
	;;
esac
[ ! -d /sys/module/execmem ]
ok $? "execmem is not loaded after the refused loads"
insmod /modules/execmem.ko fail_resolve=no_such_symbol && rmmod execmem
ok $? "fail_resolve naming a symbol execmem does not use changes nothing"
