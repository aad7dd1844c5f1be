#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel's own BPF test suite (lib/test_bpf.ko of the running kernel,
# CONFIG_TEST_BPF=m) with execmem hosting BPF JIT packs (host=bpf, issue 13):
# - with execmem hosting, every test of each suite passes and every program
#   that the suite runs JIT'ed is JIT'ed (its summary lines say "0 FAILED"
#   and [N/N JIT'ed], and insmod succeeds).  Only when that is not so is the
#   suite run again without execmem (once it is unloaded, at the end), and
#   then the two runs' summaries must be the same: a failure of the kernel's
#   own is not ours.  A run without execmem on every boot cost 55-150 s
#   under TCG per kernel (the "all value magnitudes" tests: large programs)
#   to confirm what a clean run already shows;
# - the packs that existed before execmem are filled first (tests/files/bpfrun:
#   large programs until execmem has served a pack, then one-chunk programs
#   until one of them lands in served memory: first fit has then no free
#   chunk left in the old packs), so that the suite's programs must come from
#   served packs: a kretprobe on bpf_jit_binary_pack_alloc records where each
#   JIT image went, and every one lies in a hosted bpf range;
# - those ranges are 2M ROX leaves; no direct-map split caused by BPF (the
#   census names the causes of each new split range: loading test_bpf.ko
#   itself splits, through the module loader).
# /files is `make -C tests/files`: bpfrun, host-lib.sh,
# kmods/KVER/test_bpf.ko (tests/files/host-kmods.sh).
# harness: --files tools-guest
# harness: --timeout 900
. /lib.sh
. /files/host-lib.sh
T=/tmp/hb
mkdir -p $T
TB=/files/kmods/$(uname -r)/test_bpf.ko
pids=

# run_suite OUT [CENSUS]: load test_bpf (it runs at init), its summary
# lines to OUT, the number of its per-test lines that say FAIL to OUT.fail
# (a test whose program could not be made, "FAIL to prog_fill", is in no
# count of the summary); with CENSUS, the census while test_bpf is still
# loaded
run_suite() {
	dmesg -c >/dev/null
	insmod $TB >$1.insmod 2>&1
	echo "insmod rc $?" >>$1.insmod
	dmesg | sed -n 's/^\[[^]]*\] //; /test_bpf: .*Summary/p' >$1
	echo "per-test lines saying FAIL: $(dmesg | grep -c 'test_bpf: #[0-9]* .*FAIL')" >$1.fail
	[ -z "$2" ] || census_snap "$2"
	rmmod test_bpf 2>/dev/null
}

# clean SUMMARY INSMOD: every summary line "0 FAILED" with [N/N JIT'ed] where
# it counts JIT'ed programs, at least one line, no per-test line says FAIL
# (SUMMARY.fail), and insmod succeeded.  Then every test of the module
# passed: the PASSED counts are the module's test counts, as in a clean
# run without execmem.
clean() {
	grep -q 'Summary: [0-9]* PASSED' $1 && grep -q '^insmod rc 0$' $2 &&
		grep -q ': 0$' $1.fail &&
		awk '!/Summary: [0-9]* PASSED, 0 FAILED/ { bad = 1 }
			match($0, /\[[0-9]+\/[0-9]+ JIT/) {
				split(substr($0, RSTART + 1, RLENGTH - 5), c, "/")
				if (c[1] != c[2]) bad = 1
			}
			END { exit bad }' $1
}

ktap_begin execmem_host_bpf 7
if [ ! -f $TB ]; then
	for t in "execmem host=bpf: packs served" "old packs filled" \
		"suite's JIT images in served packs" "hosted bpf ranges 2M ROX" \
		"no direct-map split" "memory returned, rmmod" "test_bpf with host=bpf: clean"; do
		skip "$t" "no $TB for this kernel"
	done
	exit 0
fi
tracefs
read -r level rest </proc/sys/kernel/printk
echo 1 >/proc/sys/kernel/printk	# the suite prints a line per test

load_execmem host=bpf
s0=$(l2_splits)
census_snap $T/c0
served0=$(host_field bpf served)
# Fill the packs that exist: large programs until execmem served a pack...
i=0
while [ $i -lt 3 ]; do
	bpfrun_hold $T/fill$i -r $((i + 1)) -S 4096 -k $T/fill$i.jit 800
	pids="$pids $BPFRUN_PID"
	i=$((i + 1))
	[ "$(host_field bpf served)" -gt "${served0:-0}" ] 2>/dev/null && break
done
[ "$(host_field bpf served)" -gt "${served0:-0}" ] 2>/dev/null
ok $? "host=bpf: execmem served a pack while $((i * 800)) programs filled the old ones (served ${served0:-?} -> $(host_field bpf served))"
# ... then one-chunk programs until one of them lands in served memory.
j=0
found=0
while [ $found = 0 ] && [ $j -lt 16 ] && [ "$(host_field bpf served)" -gt "${served0:-0}" ] 2>/dev/null; do
	bpfrun_hold $T/tiny$j -r $((j + 100)) -s 2 -S 2 -k $T/tiny$j.jit 512
	pids="$pids $BPFRUN_PID"
	hosted_rows bpf $T/hosted
	r=$(in_ranges $T/hosted $T/tiny$j.jit 1)
	[ "${r% *}" -ge 1 ] && found=1
	j=$((j + 1))
done
ok $((1 - found)) "old packs filled: after $j batch(es) of 512 one-chunk programs, one lies in a served pack"

echo 'r:h13bpf/pack bpf_jit_binary_pack_alloc ret=$retval:x64' >>$TR/kprobe_events
echo 1 >$TR/events/h13bpf/enable
echo >$TR/trace
run_suite $T/host $T/c1
echo 0 >$TR/events/h13bpf/enable
diag $T/host $T/host.insmod $T/host.fail

hosted_rows bpf $T/hosted
sed -n 's/.* ret=\(0x[0-9a-f]*\).*/\1/p' $TR/trace | grep -v '^0x0$' >$T/packs
r=$(in_ranges $T/hosted $T/packs 1)
inside=${r% *} total=${r#* }
[ "$total" -ge 100 ] && [ "$inside" = "$total" ]
ok $? "the suite's JIT images: $inside of $total in packs execmem served"
echo '-:h13bpf/pack' >>$TR/kprobe_events

bad=0
[ -s $T/hosted ] || bad=1
awk '$4 != "2M" || $5 != 1 { bad = 1 } END { exit bad }' $T/hosted || bad=1
diag $T/hosted
ok $bad "hosted bpf ranges: $(wc -l <$T/hosted), all 2M ROX leaves"

# Loading test_bpf.ko itself splits the direct map (the module loader
# protects its text and rodata): the census names each new split range's
# causes; none may be BPF's.
new_split_ranges $T/c0 $T/c1 >$T/new
diag $T/new
census_check $T/c0 $T/c1 && [ "$(grep -c '[ ,]bpf:' $T/new)" = 0 ]
ok $? "no direct-map split by BPF from execmem's load through the fill and the suite: $(wc -l <$T/new) new split range(s), $(grep -c '[ ,]bpf:' $T/new) naming bpf (vmstat: $(($(l2_splits) - s0)) level-2 splits)"

for p in $pids; do bpfrun_release "$p"; done
drained() { [ "$(host_field bpf live)" = 0 ] && [ "$(host_field bpf served)" = "$(host_field bpf freed)" ]; }
wait_for 60 drained
rc=$?
msg="served $(host_field bpf served) = freed $(host_field bpf freed), live $(host_field bpf live)"
[ $rc = 0 ] && rmmod execmem
ok $? "programs closed: $msg; rmmod execmem"

if clean $T/host $T/host.insmod; then
	ok 0 "test_bpf with host=bpf: every test passed, every program JIT'ed ($(head -n1 $T/host))"
else
	# Not clean: is it the kernel's own (the same without execmem)?
	run_suite $T/base
	diag $T/base $T/base.insmod $T/base.fail
	cmp -s $T/base $T/host && cmp -s $T/base.insmod $T/host.insmod &&
		cmp -s $T/base.fail $T/host.fail
	ok $? "test_bpf with host=bpf: not clean, and without execmem: $(if cmp -s $T/base $T/host; then echo the same; else echo different; fi)"
fi
echo "$level" >/proc/sys/kernel/printk
