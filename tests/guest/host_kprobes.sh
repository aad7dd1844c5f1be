#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# execmem hosts kprobe instruction slots (host=kprobes, issue 13): at least
# 1,000 tracefs kprobes at an offset inside their function, past its ftrace
# site (they need an instruction slot; some get optimized, which needs a
# detour buffer), plus probes on hot syscall paths:
# - the functions are ones a workload calls (the function tracer names them),
#   the offset the first one tracefs accepts of +9 (after ENDBR64 and the
#   ftrace call), +5 (after the ftrace call alone), then further ones;
# - all enabled, the workload runs twice; the probes hit in the second run
#   are the ones the workload drives (at least 1,000, the hot ones among
#   them); a third, checked run must hit every one of them again, or, for
#   a probe it missed, its function must not have run: one more run with
#   the function tracer (its own trace instance) on the missed functions
#   must show every function it saw called with its probe fired (hits or
#   kprobe misses); a control probe (on a hot syscall path), disabled for
#   that run, must be caught by the same check;
# - every kprobe_insn_page / kprobe_optinsn_page of /proc/kallsyms lies in a
#   hosted kprobes row (2M ROX), as many pages as execmem's live count;
# - no direct-map level-2 split; after all probes are removed and kprobes
#   is turned off (execmem then gives back the pages the kernel keeps cached
#   with no live slot), live returns to 0, served == freed, rmmod succeeds.
# /files is `make -C tests/files`: bpfrun (part of the workload),
# host-lib.sh.
# harness: --files tools-guest
# harness: --timeout 600
# harness-debug: skip 1,000 tracefs kprobes (6 min under KASAN); hosted kprobe pages are allocated, used and freed here by host_refuse.sh
. /lib.sh
. /files/host-lib.sh
T=/tmp/hk
KL=/sys/kernel/debug/kprobes/list
mkdir -p $T /tmp/hk_m
NPROBES=${NPROBES:-1300}
HOT="vfs_read vfs_write ksys_read ksys_write do_sys_openat2 do_filp_open path_openat __fput vfs_fstatat do_readlinkat"

work() {
	/files/bpfrun -s 2 -S 64 -r 7 16 >/dev/null 2>&1
	ls -l /proc/self/ /sys/kernel >/dev/null 2>&1
	cat /proc/meminfo /proc/vmstat /proc/self/status >/dev/null
	for _ in 1 2 3 4 5; do sh -c 'echo x >/tmp/hk_w; cat /tmp/hk_w >/dev/null; readlink /proc/self/exe >/dev/null'; done
	dd if=/dev/zero of=/tmp/hk_dd bs=64k count=8 2>/dev/null
	rm -f /tmp/hk_w /tmp/hk_dd
	mount -t tmpfs none /tmp/hk_m && umount /tmp/hk_m
}
# profile OUT: "PROBE COUNT" per probe, COUNT its hits plus its kprobe misses
# (a probe hit while another kprobe runs): how often the probe fired
profile() { awk 'NF >= 3 { print $1, $2 + $3 }' $TR/kprobe_profile | sort >"$1"; }

ktap_begin execmem_host_kprobes 11
tracefs
if [ ! -w $TR/kprobe_events ] || [ ! -w $TR/current_tracer ]; then
	for t in "host=kprobes on" "$NPROBES kprobes registered" "optimized probes" \
		"driven probes" "hot probes hit" "insn pages in hosted rows" "no split" \
		"every driven probe fires when its function runs" "control probe caught" \
		"probes removed: live 0" "rmmod"; do
		skip "$t" "no kprobe_events or function tracer in $TR"
	done
	exit 0
fi
load_execmem host=kprobes
# One BPF program held throughout keeps a pack alive: the workload's
# programs (bpfrun) then never make the kernel create and free packs, which
# splits the direct map where no pack exists at boot (the debug kernel).
bpfrun_hold $T/keep -s 2 -S 2 1
keep=$BPFRUN_PID
[ "$(cat $HOSTP 2>/dev/null)" = kprobes ] && [ "$(host_field kprobes state)" = on ]
ok $? "host=kprobes: the parameter reads '$(cat $HOSTP 2>&1)', consumer kprobes $(host_field kprobes state) ($(host_field kprobes reason))"

# The functions the workload calls, most called first (function tracer),
# without the kprobe blacklist and the rest kprobe_candidates leaves out.
kprobe_candidates work $T/cand
echo "# $(wc -l <$T/cand.called) functions called by the workload, $(wc -l <$T/cand) candidates"

# Splits from here on (the function tracer's own trampoline is gone); the
# census names the cause of each new split range.
s0=$(l2_splits)
census_snap $T/c0

# Register: the hot syscall-path functions first (h0..), then candidates.
reg() { # NAME FUNC
	for off in 9 5 8 10 12 6 7 11; do
		echo "p:h13kp/$1 $2+$off" >>$TR/kprobe_events 2>/dev/null && { echo "$1 $2+$off" >>$T/probes; return 0; }
	done
	return 1
}
: >$T/probes
i=0
for f in $HOT; do reg h$i $f && i=$((i + 1)); done
nhot=$i
i=0
while read -r f; do
	[ $i -lt "$NPROBES" ] || break
	case " $HOT " in *" $f "*) continue ;; esac
	reg p$i "$f" && i=$((i + 1))
done <$T/cand
np=$(wc -l <$T/probes)
[ "$i" -ge 1000 ] && [ "$nhot" -ge 5 ]
ok $? "$np kprobes registered at offsets past the ftrace site ($nhot on hot syscall paths)"
head -n 12 $T/probes | diag

echo 1 >$TR/events/h13kp/enable
nopt() { grep -c '\[OPTIMIZED\]' $KL; }
some_opt() { [ "$(nopt)" -ge 1 ]; }
wait_for 60 some_opt
ok $? "optimized probes (detour buffers): $(nopt) [OPTIMIZED] in $KL, $(grep -c '\[FTRACE\]' $KL) on ftrace, $(grep -c . $KL) in all"

# Warm-up: which probes does the workload drive?
profile $T/prof0
work
profile $T/prof1
work
profile $T/prof2
# driven: hit in each of the two warm-up runs (not only by background work
# that happened to run once)
awk 'FILENAME == ARGV[1] { a[$1] = $2; next } FILENAME == ARGV[2] { b[$1] = $2; next }
	b[$1] > a[$1] && $2 > b[$1] { print $1 }' $T/prof0 $T/prof1 $T/prof2 >$T/driven
nd=$(wc -l <$T/driven)
nhd=$(grep -c '^h' $T/driven)
[ "$nd" -ge 1000 ]
ok $? "$nd probes driven by the workload (hit in each of its two warm-up runs)"
[ "$nhd" = "$nhot" ]
ok $? "all $nhot probes on hot syscall paths hit ($nhd)"

# The checked run: every driven probe is hit again.  A probe it missed is
# decided after the split check below (the function tracer used for it
# allocates, and frees, a trampoline of its own).
missed() { # DRIVEN BEFORE AFTER
	awk 'FILENAME == ARGV[1] { d[$1] = 1; next } FILENAME == ARGV[2] { a[$1] = $2; next }
		($1 in d) && $2 <= a[$1] { print $1 }' "$1" "$2" "$3"
}
work
profile $T/prof3
missed $T/driven $T/prof2 $T/prof3 >$T/missed
awk 'FILENAME == ARGV[1] { m[$1] = 1; next } ($1 in m) { print "# not hit in the checked run: " $0 }' $T/missed $T/probes | head -n 20
nhits=$(awk '{ s += $2 } END { print s }' $T/prof3)

# The instruction pages, as /proc/kallsyms names them, in hosted rows.
grep -E ' kprobe_(opt)?insn_page' /proc/kallsyms >$T/pages
hosted_rows kprobes $T/hosted
r=$(in_ranges $T/hosted $T/pages 1)
inside=${r% *} total=${r#* }
echo "# $(grep -c ' kprobe_insn_page' $T/pages) kprobe_insn_page, $(grep -c ' kprobe_optinsn_page' $T/pages) kprobe_optinsn_page; host: $(host_row kprobes)"
bad=0
[ "$total" -ge 2 ] && [ "$inside" = "$total" ] || bad=1
[ "$(host_field kprobes live)" = "$total" ] || bad=1
awk '$4 != "2M" || $5 != 1 { bad = 1 } END { exit bad }' $T/hosted || bad=1
ok $bad "instruction pages: $inside of $total in hosted kprobes rows (2M ROX), execmem live $(host_field kprobes live)"

census_snap $T/c1
new_split_ranges $T/c0 $T/c1 >$T/new
diag $T/new
[ "$(($(l2_splits) - s0))" = 0 ] && census_check $T/c0 $T/c1 && [ "$(grep -c '[ ,]kprobes:' $T/new)" = 0 ]
ok $? "no direct-map level-2 split with the probes in place ($(($(l2_splits) - s0)); $(grep -c '[ ,]kprobes:' $T/new) new split range(s) naming kprobes)"

# A probe fires whenever its function runs: it sits past the ftrace site,
# on the path of every call.  So a driven probe the checked run missed is
# a defect only if its function ran.  One more run, with the function
# tracer, in its own trace instance (the top buffer takes the kprobe
# events), filtered to the missed functions and to one hot syscall-path
# function the checked run hit: the control.  Its probe is disabled for
# this run; the check must name it.
ctl=$(awk 'FILENAME == ARGV[1] { m[$1] = 1; next } /^h/ && !($1 in m) { print $1; exit }' \
	$T/missed $T/probes)
{ cat $T/missed; echo "$ctl"; } | sort -u >$T/tocheck
# "PROBE FUNCTION" of each probe to check
awk 'FILENAME == ARGV[1] { m[$1] = 1; next } ($1 in m) { f = $2; sub(/\+.*/, "", f); print $1, f }' \
	$T/tocheck $T/probes >$T/pf
FI=$TR/instances/h13kp
mkdir $FI
# room for every call of a hot missed function, so that the control's few
# calls are not overwritten
echo 8192 >$FI/buffer_size_kb
awk '{ print $2 }' $T/pf >$FI/set_ftrace_filter
[ -n "$ctl" ] && echo 0 >$TR/events/h13kp/"$ctl"/enable
profile $T/prof4
echo function >$FI/current_tracer
work
echo 0 >$FI/tracing_on
profile $T/prof5
# calls per function ("FUNCTION <-CALLER" in the trace)
awk '{ for (i = 2; i <= NF; i++) if (substr($i, 1, 2) == "<-") { n[$(i - 1)]++; break } }
	END { for (f in n) print f, n[f] }' $FI/trace >$T/calls
echo nop >$FI/current_tracer
rmdir $FI
# "PROBE FUNCTION CALLS FIRED" per probe checked
awk 'FILENAME == ARGV[1] { c[$1] = $2; next } FILENAME == ARGV[2] { a[$1] = $2; next }
	FILENAME == ARGV[3] { b[$1] = $2; next } { print $1, $2, c[$2] + 0, b[$1] - a[$1] }' \
	$T/calls $T/prof4 $T/prof5 $T/pf >$T/decided
sed 's/^/# decided: /' $T/decided
# missed in the checked run: fired now / not called / called, not fired
r=$(awk -v ctl="$ctl" '$1 == ctl { next } $4 > 0 { f++; next } $3 == 0 { u++; next } { bad++ }
	END { print f + 0, u + 0, bad + 0 }' $T/decided)
# shellcheck disable=SC2086 # three numbers
set -- $r
[ "$(wc -l <$T/missed)" = "$(($1 + $2 + $3))" ] && [ "$3" = 0 ]
ok $? "every driven probe fires when its function runs: $(wc -l <$T/missed) missed in the checked run ($nhits hits in all), of them $1 fired in one more run, $2 whose function did not run in it, $3 whose function ran without the probe firing"
# shellcheck disable=SC2046 # two numbers
set -- $(awk -v ctl="$ctl" '$1 == ctl { print $3, $4 }' $T/decided)
[ -n "$ctl" ] && [ "${1:-0}" -gt 0 ] && [ "$2" = 0 ]
ok $? "control: $(awk -v p="$ctl" '$1 == p { print $2 }' $T/pf) ran ${1:-0} times with its probe $ctl disabled, and the check names it (fired ${2:-?})"

echo 0 >$TR/events/h13kp/enable
echo >$TR/kprobe_events
bpfrun_release $keep
# The kernel keeps the last free page of each instruction cache (and frees
# dirty slots lazily): execmem gives back such cached pages that hold no
# live slot when kprobes is turned off.
sleep 2
echo "# probes removed: $(host_row kprobes); $(grep -cE ' kprobe_(opt)?insn_page' /proc/kallsyms) insn pages left in kallsyms"
echo >$HOSTP
gone() { [ "$(host_field kprobes live)" = 0 ] && [ "$(host_field kprobes served)" = "$(host_field kprobes freed)" ]; }
wait_for 60 gone
ok $? "all probes removed, kprobes off: live $(host_field kprobes live), served $(host_field kprobes served) = freed $(host_field kprobes freed); $(grep -cE ' kprobe_(opt)?insn_page' /proc/kallsyms) insn pages left in kallsyms"
rmmod execmem
ok $? "rmmod execmem after the probes are gone"
