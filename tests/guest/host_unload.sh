#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rmmod -f execmem while the kernel's own code lives in hosted memory
# (issue 21): BPF programs in served packs and a kprobe in a served slot
# page.  The forced unload completes; the programs keep working until they
# are closed and the kernel's own free of their packs is clean; the kprobe
# keeps firing, its page stays in the kernel's cache (its region leaked on
# purpose) after the probe is removed, and a new probe works; no W+X page;
# reloaded, the census names no caller in raw hex (the leaked regions'
# vmalloc caller was in the unloaded execmem).  No WARN/BUG/Oops (the
# harness fails on any).
# harness: --files tools-guest
# harness: --timeout 400
# harness-debug: skip the debug kernel is built without MODULE_FORCE_UNLOAD (rmmod -f is refused there); its rebuild with it did not fit this session's machine time
. /lib.sh
. /files/host-lib.sh
T=/tmp/hu
mkdir -p $T
N=600
hits() { awk '$1 ~ /vfs_read$/ { h += $2 } END { print h + 0 }' $TR/kprobe_profile; }

ktap_begin execmem_host_unload 10
tracefs
load_execmem host=bpf,kprobes
bpfrun_hold $T/run -s 1024 -S 2048 $N
pid=$BPFRUN_PID
[ "$(kv $T/run run2_ok)" = $N ] && [ "$(host_field bpf live)" -ge 1 ]
ok $? "$N programs loaded and ran twice, $(host_field bpf live) pack(s) served live" || diag $T/run $T/run.err
echo 'p:xmu/vfs_read vfs_read+9' >>$TR/kprobe_events && echo 1 >$TR/events/xmu/enable
cat /proc/version >/dev/null
h0=$(hits)
[ "$(host_field kprobes live)" -ge 1 ] && [ "${h0:-0}" -ge 1 ]
ok $? "a kprobe fires ($h0 hits) from a served slot page ($(host_row kprobes))"
diag $HOSTEDF

dmesg -c >/dev/null
rmmod -f execmem 2>$T/rmmod.err
rc=$?
[ $rc = 0 ] && [ ! -d /sys/module/execmem ]
ok $? "rmmod -f execmem with hosted memory live (rc $rc $(cat $T/rmmod.err))"
dmesg | grep -i 'execmem' | diag

cat /proc/version >/dev/null
h1=$(hits)
[ "${h1:-0}" -gt "${h0:-0}" ]
ok $? "the kprobe still fires after the unload ($h0 -> $h1 hits)"

bpfrun_release $pid
rc=$?
diag $T/run
[ $rc = 0 ] && [ "$(kv $T/run closed)" = $N ] && [ "$(kv $T/run result)" = ok ]
ok $? "the programs ran correctly until closed after the unload (bpfrun rc $rc)"

echo 0 >$TR/events/xmu/enable
echo >$TR/kprobe_events
# programs and packs are freed after grace periods, kprobe slots by the
# kprobe optimizer and the next slot allocation: give them time
sleep 3
echo 'p:xmv/vfs_read vfs_read+9' >>$TR/kprobe_events && echo 1 >$TR/events/xmv/enable
cat /proc/version >/dev/null
[ "$(hits)" -ge 1 ]
ok $? "a new kprobe works after the old one's removal ($(hits) hits)"
echo 0 >$TR/events/xmv/enable
echo >$TR/kprobe_events
# a BPF pack freed by the kernel now: load and close more programs
/files/bpfrun -s 1024 -S 2048 $N >$T/run2 2>&1
ok $? "$N more programs load, run and close without execmem" || diag $T/run2
sleep 2

check_wx "no W+X page after the forced unload and the kernel's frees"
dmesg | grep -E 'WARNING|BUG|Oops|Trying to vfree' >$T/bad
diag $T/bad
[ ! -s $T/bad ]
ok $? "the kernel log has no error line (warnings, bugs, oopses, bad vfree)"

# The leaked regions' vmalloc caller was in the unloaded execmem: the
# census of a reloaded execmem must not print it in raw hex.
load_execmem
awk '$1 == "cause" && $3 ~ /^0x/' $D/census >$T/hex
awk '$1 == "cause"' $D/census | diag
[ ! -s $T/hex ]
ok $? "census: no cause named by a raw hex address ($(wc -l <$T/hex) such)"
