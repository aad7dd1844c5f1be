#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# execmem hosts the kernel's BPF JIT packs (host=bpf, issue 13): 3000
# socket-filter programs of 4..2048 instructions (tests/files/bpfrun, static,
# bpf(2)), each test-run with its return value checked, kept, run again:
# the packs the kernel asked for while they loaded were served by execmem as
# 2 MiB ROX leaves, every program outside them lies in a pack that existed
# before (the direct-map census's bpf pages), rmmod execmem is refused while
# they live, the census names the served packs "bpf hosted_pack"; after
# close, served == freed, live 0, rmmod succeeds; no
# direct-map level-2 split at any point.
# /files is `make -C tests/files`: bpfrun, host-lib.sh.
# harness: --files tools-guest
# harness: --timeout 420
. /lib.sh
. /files/host-lib.sh
T=/tmp/hl
mkdir -p $T
N=3000

ktap_begin execmem_host_load 13
load_execmem host=bpf
s0=$(l2_splits) l30=$(l3_splits)

[ "$(cat $HOSTP 2>/dev/null)" = bpf ] && [ "$(host_field bpf state)" = on ]
ok $? "host=bpf: the parameter reads '$(cat $HOSTP 2>&1)', consumer bpf $(host_field bpf state) ($(host_field bpf reason))"
served0=$(host_field bpf served)
# BPF packs that exist before the load (boot-time ones may have room): their
# pages, from the census (a pack is read-only + executable in full)
b0=$(awk '$1 == "cause" && $2 == "bpf" { s += $4 } END { print s + 0 }' $D/census)

bpfrun_hold $T/run -k $T/jit $N
pid=$BPFRUN_PID
diag $T/run $T/run.err
[ "$(kv $T/run loaded)" = $N ] && [ "$(kv $T/run run1_ok)" = $N ] && [ "$(kv $T/run run2_ok)" = $N ]
ok $? "$N programs loaded ($(kv $T/run jited_bytes) bytes of JIT code), each returned its value on its first and second run"

served1=$(host_field bpf served) live1=$(host_field bpf live)
[ "${served1:-0}" -gt "${served0:-0}" ] && [ "${live1:-0}" -ge 1 ] && [ "$(host_field bpf fallbacks)" = 0 ]
ok $? "bpf packs served by execmem while they loaded: served ${served0:-?} -> ${served1:-?}, live ${live1:-?}, fallbacks $(host_field bpf fallbacks)"
host_row bpf | diag

hosted_rows bpf $T/hosted
diag $T/hosted
bad=0
[ -s $T/hosted ] || bad=1
awk '$4 != "2M" || $5 != 1 { bad = 1 } END { exit bad }' $T/hosted || bad=1
[ "$(hosted_bytes bpf)" = "$(host_field bpf live_bytes)" ] || bad=1
ok $bad "hosted bpf pieces: $(wc -l <$T/hosted) row(s), all 2M ROX leaves, $(hosted_bytes bpf) bytes = live_bytes $(host_field bpf live_bytes)"

# The census names each served pack as BPF's, not as an execmem region:
# its direct-map alias is read-only in full (the kernel protects the whole
# pack), so its pages are "cause bpf hosted_pack" rows.
hp=$(awk '$1 == "cause" && $2 == "bpf" && $3 == "hosted_pack" { s += $4 } END { print s + 0 }' $D/census)
[ "$hp" -gt 0 ] && [ "$hp" = "$(($(host_field bpf live_bytes) / 4096))" ]
ok $? "census: $hp pages of 'bpf hosted_pack' = live_bytes / 4096 ($(host_field bpf live_bytes))"
grep -E '^cause (bpf|execmem) ' $D/census | diag

# Which programs run from served memory: their JIT images (bpfrun -k).
r=$(in_ranges $T/hosted $T/jit 1)
inside=${r% *} total=${r#* }
out_bytes=$(awk 'FILENAME == ARGV[1] { nr++; h[nr] = substr($2, 1, 8); s[nr] = ("0x" substr($2, 9, 8)) + 0; e[nr] = s[nr] + $3; next }
	{ a = ("0x" substr($1, 9, 8)) + 0; in_ = 0
	  for (i = 1; i <= nr; i++) if (substr($1, 1, 8) == h[i] && a >= s[i] && a < e[i]) in_ = 1
	  if (!in_) b += $2 }
	END { print b + 0 }' $T/hosted $T/jit)
[ "$inside" -ge 1 ] && [ "$total" = $N ] && [ "$out_bytes" -le $((b0 * 4096)) ]
ok $? "$inside of $total programs run from served packs; the other $((total - inside)) ($out_bytes bytes) fit in the $((b0 * 4096)) bytes of packs that existed before"

[ "$(($(l2_splits) - s0))" = 0 ]
ok $? "no direct-map level-2 split while loading ($(($(l2_splits) - s0)); level 3: $(($(l3_splits) - l30)))"

rmmod execmem 2>$T/rmmod.err
rc=$?
[ $rc != 0 ] && [ -d /sys/module/execmem ]
ok $? "rmmod execmem refused while served packs live (rc $rc: $(cat $T/rmmod.err))"

bpfrun_release $pid
rc=$?
diag $T/run
[ $rc = 0 ] && [ "$(kv $T/run closed)" = $N ] && [ "$(kv $T/run result)" = ok ]
ok $? "all $N programs closed (bpfrun rc $rc)"

# Programs are freed after an RCU grace period, packs when empty.
drained() { [ "$(host_field bpf live)" = 0 ] && [ "$(host_field bpf served)" = "$(host_field bpf freed)" ]; }
wait_for 60 drained
ok $? "memory returned: served $(host_field bpf served) = freed $(host_field bpf freed), live $(host_field bpf live), $(hosted_bytes bpf) hosted bytes"
host_row bpf | diag

[ "$(($(l2_splits) - s0))" = 0 ]
ok $? "no direct-map level-2 split over the whole test, frees included ($(($(l2_splits) - s0)))"

echo >$HOSTP 2>/dev/null
[ "$(host_field bpf state)" = off ]
ok $? "echo > host: bpf off ($(host_row bpf))"

rmmod execmem
ok $? "rmmod execmem once nothing served is live"
