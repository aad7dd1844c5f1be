# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# What the guest scripts of execmem's hosting of the kernel's own code share
# (tests/guest/host_*.sh, bench/guest/host-bench.sh).  `make -C
# tests/files DEST=DIR` puts it at /files/host-lib.sh; a script sources it
# after /lib.sh.  Not a test itself.
#
# debugfs execmem/host: a header, then "consumer state served freed
# fallbacks live live_bytes reason"; execmem/hosted: a header, then
# "consumer start size level rox" per live served piece (start: 16 hex
# digits).  Before execmem hosts anything (or on a build without hosting)
# the files are missing: every value then reads empty, which no assertion
# accepts.

# shellcheck disable=SC2034 # used by the scripts that source this file
HOSTF=/sys/kernel/debug/execmem/host
HOSTEDF=/sys/kernel/debug/execmem/hosted
HOSTP=/sys/module/execmem/parameters/host
TR=/sys/kernel/tracing

# kprobe_candidates CMD OUT: probe candidates for a workload, most called
# first, into OUT (OUT.called: every function CMD called).  CMD (a shell
# command) runs once under the function tracer; left out are the kprobe
# blacklist, names the kernel has more than once (a probe sits on one of
# them, the function tracer's filter would count the calls of all), module
# functions, and the tracing, locking and allocator machinery the probe
# handlers run through.  So are slab constructors (init_once, *_ctor: they
# run when a cache grows) and RCU callbacks (*_rcu, *callback, inode frees:
# after a grace period): their calls depend on the allocator's state or on
# timing, not on the workload.  Leaves the function tracer off (nop) and
# the buffer at 1408 KiB.  (tests/guest/host_kprobes.sh and the TLB demo's
# kprobes workload, tlb/workloads/kprobes/ranges.sh.)
kprobe_candidates() {
	echo 8192 >$TR/buffer_size_kb
	echo function >$TR/current_tracer
	eval "$1"
	echo 0 >$TR/tracing_on	# (a change of tracer empties the buffer)
	awk '{ for (i = 2; i <= NF; i++) if (substr($i, 1, 2) == "<-") { n[$(i - 1)]++; break } }
		END { for (f in n) print n[f], f }' $TR/trace | sort -rn | awk '{ print $2 }' >"$2.called"
	echo nop >$TR/current_tracer
	echo 1 >$TR/tracing_on
	echo 1408 >$TR/buffer_size_kb
	awk '{ print $2 }' /sys/kernel/debug/kprobes/blacklist >"$2.black"
	awk 'NF == 3 && ($2 == "t" || $2 == "T") { c[$3]++ } END { for (f in c) if (c[f] > 1) print f }' \
		/proc/kallsyms >>"$2.black"
	grep -vE '\[|init_once|_ctor$|_rcu|callback|free_inode|free_in_core_inode|^(trace|ring_buffer|rb_|__rb_|kprobe|ftrace|perf_|fgraph|function_|arch_|text_poke|native_|irq|__irq|_raw_|preempt|rcu|lock|__lock|do_raw|debug|kmem_cache|__kmem|kfree|kmalloc|__kmalloc)' "$2.called" |
		awk 'FILENAME == ARGV[1] { b[$1] = 1; next } !($1 in b)' "$2.black" - >"$2"
}

# host_field CONSUMER FIELD: one field of the consumer's row of execmem/host
host_field() {
	awk -v c="$1" -v f="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == c && (f in col) { print $(col[f]) }' $HOSTF 2>/dev/null
}
# host_row CONSUMER: the whole row (for diagnostics)
host_row() { awk -v c="$1" '$1 == c' $HOSTF 2>/dev/null; }
# hosted_rows CONSUMER OUT: that consumer's rows of execmem/hosted into OUT
hosted_rows() { awk -v c="$1" 'NR > 1 && $1 == c' $HOSTEDF >"$2" 2>/dev/null || : >"$2"; }
# hosted_bytes CONSUMER: sum of the sizes of its live served pieces
hosted_bytes() {
	awk -v c="$1" 'NR > 1 && $1 == c { s += $3 } END { print s + 0 }' $HOSTEDF 2>/dev/null || echo 0
}

# in_ranges RANGES ADDRS COL: of the hex addresses in column COL of ADDRS,
# print "inside total": how many lie in a [start, start + size) of RANGES
# (hosted rows).  busybox awk loses precision on 64-bit numbers: addresses
# are compared as their upper 8 hex digits (equal) and lower 32 bits.
in_ranges() {
	awk -v col="$3" 'function lo(a) { return ("0x" substr(a, 9, 8)) + 0 }
	function hi(a) { return substr(a, 1, 8) }
	FILENAME == ARGV[1] { nr++; rh[nr] = hi($2); rs[nr] = lo($2); re[nr] = lo($2) + $3; next }
	{ a = $col; sub(/^0x/, "", a); t++
	  for (i = 1; i <= nr; i++) if (hi(a) == rh[i] && lo(a) >= rs[i] && lo(a) < re[i]) { in_++; break } }
	END { print in_ + 0, t + 0 }' "$1" "$2"
}

vm_event() { sed -n "s/^$1 //p" /proc/vmstat; }
l2_splits() { vm_event direct_map_level2_splits; }
l3_splits() { vm_event direct_map_level3_splits; }

# wait_for SECONDS CMD...: poll CMD once a second until it succeeds (0) or
# SECONDS have passed (1).  Only for what the kernel does after a grace
# period or from a work item (frees, kprobe optimization): a bound, never a
# measured time.
wait_for() {
	_w=$1
	shift
	while ! "$@"; do
		[ "$_w" -gt 0 ] || return 1
		sleep 1
		_w=$((_w - 1))
	done
}

# kv FILE KEY: the value of a "KEY VALUE" line (bpfrun's output)
kv() { sed -n "s/^$2 //p" "$1" | tail -n1; }

# bpfrun_hold OUT ARGS...: start bpfrun -w in the background and wait until
# it holds its programs (or exited); BPFRUN_PID is its pid
bpfrun_hold() {
	_o=$1
	shift
	/files/bpfrun -w "$@" >"$_o" 2>"$_o.err" &
	BPFRUN_PID=$!
	while ! grep -q '^holding' "$_o" && kill -0 $BPFRUN_PID 2>/dev/null; do sleep 1; done
}
# bpfrun_release PID OUT: let it close its programs, wait for its exit code
bpfrun_release() {
	kill -USR1 "$1" 2>/dev/null
	wait "$1"
}

# tracefs at $TR (the census test mounts it the same way)
tracefs() { [ -d $TR/events ] || mount -t tracefs tracefs $TR 2>/dev/null; }

# census_check OLD NEW: every level-2 split between the two censuses is in
# NEW as a new split range (direct map, new_split_ranges of /lib.sh) or a
# kernel-image split (vmstat counts both; 7.2 can collapse), so that the new
# ranges' causes account for all of them.  Needs snaps taken with census_snap.
census_snap() { cat $D/census >"$1" && echo "vmstat $(l2_splits) $(vm_event direct_map_level2_collapses)" >>"$1"; }
census_check() {
	_n=$(new_split_ranges "$1" "$2" | grep -c .)
	awk -v n="$_n" 'FILENAME == ARGV[1] && $1 == "kernel_image_split_2m" { i0 = $2 }
		FILENAME == ARGV[1] && $1 == "vmstat" { v0 = $2; c0 = $3 }
		FILENAME == ARGV[2] && $1 == "kernel_image_split_2m" { i1 = $2 }
		FILENAME == ARGV[2] && $1 == "vmstat" { v1 = $2; c1 = $3 }
		END { if (v0 == "" || v1 == "") exit 1; exit !(n + i1 - i0 == (v1 - v0) - (c1 - c0)) }' "$1" "$2"
}
