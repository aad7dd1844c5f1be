#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of one boot of the benchmark "the kernel's own code" (issue 13,
# scripts/demo.sh, part "host").  /files/params holds "MODE NPROG NPROBES SEED":
#   hosted   execmem loaded with host=bpf,kprobes
#   stock    execmem loaded, hosting nothing (the kernel's own allocators)
#   timing   both paths in this one boot: tests/files/bpfrun toggles the host
#            parameter between bpf and off every 16 loads
# hosted/stock: NPROG BPF programs (tests/files/bpfrun, fixed seed: the same
# programs on both paths) are loaded, test-run and held, NPROBES tracefs
# kprobes (the first functions of available_filter_functions that take a
# probe past their ftrace site) are registered, enabled and hit; the census
# (debugfs execmem/census) and /proc/vmstat are read before, with all of it
# live, and after it is gone.  One JSON object is printed between
# EXECMEM-HOSTBENCH-BEGIN/END; timing prints the per-load samples ("TAG INSNS
# NS") between EXECMEM-HOSTLAT-BEGIN/END.  Console messages are held back
# while they print.
. /lib.sh
. /files/host-lib.sh
read -r mode nprog nprobes seed </files/params
T=/tmp/bench
mkdir -p $T /tmp/hk_m
KL=/sys/kernel/debug/kprobes/list

census() { # PREFIX: census keys as JSON members
	cat $D/census >$T/census
	awk -v p="$1" '$1 ~ /^(module_area_leaves_(4k|2m)|leaves_(4k|2m|1g)|split_2m(_live|_stale|_partial)?|kernel_image_split_2m)$/ {
		printf "\"%s_%s\": %s, ", p, $1, $2 }
		$1 == "cause" && ($2 == "bpf" || $2 == "kprobes" || $2 == "execmem") { c[$2] += $4 }
		END { for (k in c) printf "\"%s_pages_%s\": %d, ", p, k, c[k] }' $T/census
	printf '"%s_l2": %s, "%s_l3": %s, ' "$1" "$(l2_splits)" "$1" "$(l3_splits)"
}
work() {
	ls -l /proc/self/ /sys/kernel >/dev/null 2>&1
	cat /proc/meminfo /proc/vmstat /proc/self/status >/dev/null
	for _ in 1 2 3 4 5; do sh -c 'echo x >/tmp/hk_w; cat /tmp/hk_w >/dev/null'; done
	dd if=/dev/zero of=/tmp/hk_dd bs=64k count=8 2>/dev/null
	rm -f /tmp/hk_w /tmp/hk_dd
	mount -t tmpfs none /tmp/hk_m && umount /tmp/hk_m
}
quiet() { read -r level rest </proc/sys/kernel/printk; echo 1 >/proc/sys/kernel/printk; }
loud() { echo "$level" >/proc/sys/kernel/printk; }
pmu() {
	if [ -d /sys/bus/event_source/devices/cpu/events ]; then
		echo '"itlb": null, "itlb_note": "a PMU exists; iTLB counting is not implemented in the guest (no perf in the initramfs)", '
	else
		echo '"itlb": null, "itlb_note": "no PMU in this guest (TCG: no /sys/bus/event_source/devices/cpu): iTLB misses not measured", '
	fi
}

if [ "$mode" = timing ]; then
	insmod /modules/execmem.ko || exit 1
	/files/bpfrun -p $HOSTP=bpf -b 16 -l $T/lat -r "$seed" "$nprog" >$T/run 2>&1
	rc=$?
	quiet
	echo EXECMEM-HOSTLAT-BEGIN
	cat $T/lat
	echo EXECMEM-HOSTLAT-END
	echo EXECMEM-HOSTBENCH-BEGIN
	echo "{\"mode\": \"timing\", \"kver\": \"$(uname -r)\", \"nprog\": $nprog, \"batch\": 16, \"ok\": $([ $rc = 0 ] && echo true || echo false), \"served\": $(host_field bpf served || echo null)}"
	echo EXECMEM-HOSTBENCH-END
	loud
	exit 0
fi

case $mode in
hosted) insmod /modules/execmem.ko host=bpf,kprobes || exit 1 ;;
*) insmod /modules/execmem.ko || exit 1 ;;
esac
tracefs
before=$(census before)

# BPF: the same programs on both paths (fixed seed); per-call run time
bpfrun_hold $T/run -r "$seed" -l $T/lat -t 1000 "$nprog"
pid=$BPFRUN_PID
# kprobes: the same functions on both paths
awk '{ print $2 }' /sys/kernel/debug/kprobes/blacklist >$T/black
grep -vE '\[|^(trace|ring_buffer|rb_|__rb_|kprobe|ftrace|perf_|fgraph|function_|arch_|text_poke|native_|irq|__irq|_raw_|preempt|rcu|lock|__lock|do_raw|debug)' \
	$TR/available_filter_functions | grep -vxFf $T/black >$T/cand
np=0
while read -r f && [ $np -lt "$nprobes" ]; do
	for off in 9 5 8 10 12; do
		echo "p:hb/p$np $f+$off" >>$TR/kprobe_events 2>/dev/null && { np=$((np + 1)); break; }
	done
done <$T/cand
echo 1 >$TR/events/hb/enable 2>/dev/null
some_opt() { [ "$(grep -c '\[OPTIMIZED\]' $KL)" -ge 1 ]; }
wait_for 60 some_opt
work
hits=$(awk '{ s += $2 } END { print s + 0 }' $TR/kprobe_profile)
nopt=$(grep -c '\[OPTIMIZED\]' $KL)
live=$(census live)
hostrows=$(awk 'NR > 1 { printf "%s\"%s\": [%s, %s, %s, %s, %s]", n++ ? ", " : "", $1, $3, $4, $5, $6, $7 }' $HOSTF 2>/dev/null)

echo 0 >$TR/events/hb/enable 2>/dev/null
echo >$TR/kprobe_events
bpfrun_release $pid
rc=$?
drained() { [ "$(host_field bpf live)" = 0 ]; }
[ "$mode" = hosted ] && wait_for 30 drained
sleep 2
after=$(census after)
lat=$(awk '{ print $3 }' $T/lat | sort -n | awk '{ v[NR] = $1 } END { printf "\"load_ns_p50\": %d, \"load_ns_p99\": %d, ", v[int((NR + 1) * 0.5)], v[int(NR * 0.99 + 0.5)] }')

quiet
echo EXECMEM-HOSTBENCH-BEGIN
printf '{"mode": "%s", "kver": "%s", "nprog": %s, "nprobes": %s, "seed": %s, ' "$mode" "$(uname -r)" "$nprog" "$np" "$seed"
printf '"ok": %s, "loaded": %s, "jited_bytes": %s, "run_ns_per_call": %s, ' \
	"$([ $rc = 0 ] && [ "$(kv $T/run result)" = ok ] && echo true || echo false)" \
	"$(kv $T/run loaded)" "$(kv $T/run jited_bytes)" "$(kv $T/run run_ns_per_call)"
printf '"kprobe_hits": %s, "kprobes_optimized": %s, "host": {%s}, %s%s%s%s' "$hits" "$nopt" "$hostrows" "$before" "$live" "$after" "$lat"
printf '%s"bench": 1}\n' "$(pmu)"
echo EXECMEM-HOSTBENCH-END
loud
# The kernel keeps a cached instruction page or two: turning hosting off
# gives execmem's back, so that it unloads.
echo >$HOSTP 2>/dev/null
gone() { [ "$(host_field kprobes live)" = 0 ] && [ "$(host_field bpf live)" = 0 ]; }
[ "$mode" = hosted ] && wait_for 30 gone
rmmod execmem
