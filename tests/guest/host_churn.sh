#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Churn of execmem's BPF hosting (issue 13): one loader per vCPU (tests/files/bpfrun
# -c CPU) loads, test-runs, re-runs and closes (in a random order) rounds of
# programs while the host parameter is toggled bpf / off the whole time:
# - every program returns its value, in every round, on both CPUs;
# - execmem served packs during the churn (one is filled with the consumer on
#   first, so that this holds whatever the toggling's timing), and a pack
#   served is still freed through execmem after the consumer was turned off;
# - with served packs live: no W+X page (check_wx_pages where the kernel has
#   it), no direct-map level-2 split while bpf is on, and the served packs
#   still whole (2M ROX) after the churn (packs the kernel made while bpf was
#   off are its own and split as on a stock kernel);
# - at the end served == freed, live 0, rmmod execmem succeeds, and no WARN
#   or BUG in dmesg (the harness also fails on any); kmemleak: the debug
#   kernel's harness scans after the script (scripts/guest-init.sh).
# /files is `make -C tests/files`: bpfrun, host-lib.sh.
# harness: --files tools-guest
# harness: --timeout 400
# Also with parallel vCPUs (scripts/check.sh's second pass): 3 rounds (1 on
# the debug kernel).
# harness-parallel:
. /lib.sh
. /files/host-lib.sh
T=/tmp/hc
mkdir -p $T
ROUNDS=10
NPROG=300
[ -e /sys/kernel/debug/kmemleak ] && ROUNDS=3
if parallel_vcpus; then
	ROUNDS=3
	[ -e /sys/kernel/debug/kmemleak ] && ROUNDS=1
fi

ktap_begin execmem_host_churn 8
load_execmem host=bpf
s0=$(l2_splits)
dmesg -c >/dev/null

# A pack served with the consumer on, held through the churn.
bpfrun_hold $T/held -r 5 -S 4096 -k $T/held.jit 1200
held=$BPFRUN_PID
[ "$(host_field bpf served)" -ge 1 ] 2>/dev/null && [ "$(($(l2_splits) - s0))" = 0 ]
ok $? "$(kv $T/held loaded) programs held, served $(host_field bpf served) pack(s) with bpf on, no direct-map level-2 split ($(($(l2_splits) - s0)))"
s1=$(l2_splits)

/files/bpfrun -c 0 -R $ROUNDS -r 11 -S 1024 $NPROG >$T/cpu0 2>&1 &
p0=$!
/files/bpfrun -c 1 -R $ROUNDS -r 22 -S 1024 $NPROG >$T/cpu1 2>&1 &
p1=$!
toggles=0
while kill -0 $p0 2>/dev/null || kill -0 $p1 2>/dev/null; do
	echo bpf >$HOSTP 2>/dev/null
	usleep 100000
	echo >$HOSTP 2>/dev/null
	usleep 50000
	toggles=$((toggles + 1))
done
wait $p0
r0=$?
wait $p1
r1=$?
for c in 0 1; do
	echo "# cpu$c: $(grep -c '^closed' $T/cpu$c) rounds, loaded $(awk '$1 == "loaded" { s += $2 } END { print s + 0 }' $T/cpu$c), run2_ok $(awk '$1 == "run2_ok" { s += $2 } END { print s + 0 }' $T/cpu$c), $(kv $T/cpu$c result)"
	grep -v '^[a-z_0-9]* ' $T/cpu$c | head -n 5 | diag
done
[ $r0 = 0 ] && [ $r1 = 0 ] && [ "$(kv $T/cpu0 result)" = ok ] && [ "$(kv $T/cpu1 result)" = ok ]
ok $? "two loaders x $ROUNDS rounds x $NPROG programs, every run returned its value (rc $r0 $r1), host toggled $toggles times"
host_row bpf | diag

# The held pack was served with bpf on; bpf is off now: it must still be
# freed through execmem (checked below: served == freed).
[ "$(host_field bpf state)" = off ]
ok $? "host toggled off at the end: bpf $(host_field bpf state)"

check_wx "check_wx_pages with served packs live: no W+X page"
# Packs the kernel asked for while bpf was off are its own, and split the
# direct map as on a stock kernel: only the served ones must stay whole.
hosted_rows bpf $T/hosted
bad=0
[ -s $T/hosted ] || bad=1
awk '$4 != "2M" || $5 != 1 { bad = 1 } END { exit bad }' $T/hosted || bad=1
ok $bad "served packs still whole after the churn: $(wc -l <$T/hosted) hosted row(s), all 2M ROX leaves (level-2 splits by the kernel's own packs made while bpf was off: $(($(l2_splits) - s1)))"

bpfrun_release $held
ok $? "held programs closed ($(kv $T/held closed)), result $(kv $T/held result)"

drained() { [ "$(host_field bpf live)" = 0 ] && [ "$(host_field bpf served)" = "$(host_field bpf freed)" ]; }
wait_for 60 drained
ok $? "served $(host_field bpf served) = freed $(host_field bpf freed), live $(host_field bpf live), fallbacks $(host_field bpf fallbacks)"

rmmod execmem
rc=$?
dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|execmem.*(leak|error)' >$T/dmesg
diag $T/dmesg
[ $rc = 0 ] && [ ! -s $T/dmesg ]
ok $? "rmmod execmem; no WARN/BUG in dmesg"
