# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Payload of demo-tlb.sh -w kprobes, sourced by tlb/guest-run.sh before
# the measured window (uninstrumented).  ./params: "PATH NPROBES ROUNDS";
# PATH stock (execmem hosting nothing) or hosted (execmem host=kprobes).
# Registers NPROBES tracefs kprobes (as tests/guest/host_kprobes.sh does:
# on the functions the workload of ./work.sh calls, most called first, at
# an offset past the ftrace site, so each takes an instruction slot; most
# get optimized, into a detour buffer), enables them, waits for the
# optimizer and names the class kprobes: every kprobe_insn_page and
# kprobe_optinsn_page of /proc/kallsyms, one 4 KiB page each (they lie in
# the module area; hosted ones inside execmem's 2 MiB regions).
# Everything prints as "demo-tlb-kprobes: ...".
read -r kp_path kp_n _ <./params
case $kp_path in
hosted) insmod ./execmem.ko host=kprobes ;;
*) insmod ./execmem.ko ;;
esac || echo "demo-tlb-kprobes: insmod execmem failed"
TR=/sys/kernel/tracing
[ -e $TR/kprobe_events ] || mount -t tracefs nodev $TR
T=/tmp/kp
mkdir -p $T
# the functions the workload calls, most called first (host-lib.sh)
. ./host-lib.sh
kprobe_candidates 'sh ./work.sh' $T/cand
i=0
while read -r f; do
	[ $i -lt "$kp_n" ] || break
	for off in 9 5 8 10 12 6 7 11; do
		echo "p:kpdemo/p$i $f+$off" >>$TR/kprobe_events 2>/dev/null && { i=$((i + 1)); break; }
	done
done <$T/cand
echo 1 >$TR/events/kpdemo/enable
# the optimizer runs on a delayed work: wait until the count settles
o=-1 n=0
while [ "$n" != "$o" ]; do
	o=$n
	sleep 2
	n=$(grep -c '\[OPTIMIZED\]' /sys/kernel/debug/kprobes/list)
done
echo "demo-tlb-kprobes: probes $i optimized $n candidates $(wc -l <$T/cand)"
# the class: each instruction page, [page, page + 4 KiB); hex kept as
# strings (busybox awk loses 64-bit precision and its %x takes an int):
# upper 8 digits, lower 32 bits printed as two 16-bit halves
awk '$3 == "kprobe_insn_page" || $3 == "kprobe_optinsn_page" { print $1 }' /proc/kallsyms | sort -u |
	awk 'function hx(v) { return sprintf("%04x%04x", int(v / 65536), v % 65536) }
	     { h = substr($1, 1, 8); l = ("0x" substr($1, 9, 8)) + 0; print h hx(l), h hx(l + 4096) }' \
	>$T/pages
while read -r s e; do
	/files/tlbmark range kprobes "0x$s" "0x$e"
	echo "demo-tlb-kprobes: range kprobes $s $e"
done <$T/pages
awk '{ print "demo-tlb-kprobes: host " $0 }' /sys/kernel/debug/execmem/host 2>/dev/null
