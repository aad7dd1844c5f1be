#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# host= when a hook cannot be placed: execmem still loads, the consumer is
# off with the reason in debugfs "host" and one kernel message naming it,
# the other consumer works; a bad host= value is refused; writing the
# parameter at run time turns consumers on and off.
. /lib.sh

# host_row CONSUMER: its row of debugfs "host"
host_row() { awk -v c="$1" '$1 == c' $D/host; }
state_of() { host_row "$1" | awk '{ print $2 }'; }
reason_of() { host_row "$1" | awk '{ print $8 }'; }
param() { cat /sys/module/execmem/parameters/host; }

ktap_begin execmem_host_refuse 13
# What the BPF pack allocator calls on this kernel (execmem_compat.h).
if grep -q ' module_alloc$' /proc/kallsyms; then pack=module_alloc; else pack=bpf_jit_alloc_exec; fi
echo "# pack allocator calls $pack"

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
dmesg | grep -E 'WARNING|BUG' | diag
