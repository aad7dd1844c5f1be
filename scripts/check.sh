#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make check` runs.  All artefacts go to build/check/:
#   pool.ktap, pool.err          userspace tests (make -C tests/pool check)
#   tlb.ktap, tlb.err            TLB model tests (make -C tlb check)
#   bench.ktap, bench.err        the benchmark's statistics (tests/bench)
#   lint.ktap, lint.err          static checks (scripts/lint.sh)
#   KVER/src/                    copy of the source tree, built for KVER
#   KVER/build.log, KVER/ko/     build output, execmem.ko + tests/kmod/*.ko
#   KVER/NAME.log, KVER/NAME.err serial log and qemu-run.sh stderr per guest
#                                script tests/guest/NAME.sh (not lib.sh: the
#                                functions every guest script sources)
#   KVER/harness.ktap            build/boot failures as KTAP "not ok" lines
#   tlb-sweep.ktap, .err         the TLB model's footprint sweep
#                                (scripts/tlb-sweep.sh, build/tlb-sweep/)
#   debug-kernel.out, .err       scripts/debug-kernel.sh output
#   debian-guest.ktap, .err      scripts/debian-guest.sh (KTAP, progress);
#   debian-guest/                its serial logs, job disk
#
# Steps: setup.sh; pool and bench statistics tests; static checks (lint.sh
# --no-build: W=1 and sparse are judged on each kernel's own build, below);
# then per kernel (kernels in parallel, one background job each): build with
# W=1 C=2 (KVER/build.ktap), then every guest script in QEMU.  Then the
# same on the debug kernel of scripts/debug-kernel.sh (KASAN, lockdep,
# kmemleak, ptdump, fault injection; built in the background from the start,
# cached; --vmlinuz, timeouts x3; EXECMEM_NO_DEBUG=1 skips it), two QEMUs at
# a time; a script with a line "# harness-debug: skip REASON" is not run
# there but counted as a KTAP skip with its reason (KVER/skipped.ktap).  A
# guest script may hold lines "# harness: ARGS" (e.g. --numa, --timeout
# 600): ARGS are passed (split at whitespace) to scripts/qemu-run.sh.  A
# script with a line "# harness-parallel: [ARGS]" runs a second time, with
# parallel vCPUs (qemu-run.sh --qemu new --mttcg, then ARGS; logs
# KVER/NAME.parallel.{log,err}), on the debug kernel and on 6.12, the stock
# kernel it is made from (EXECMEM_PARALLEL_KVERS="KVER..." chooses the stock
# ones; EXECMEM_NO_PARALLEL=1 skips this pass).
# From the start, in the background beside everything else: the Debian
# guest test (scripts/debian-guest.sh: make dkms-install, modprobe, the DKMS
# client, execmemctl in a full Debian 12 guest; its image built first,
# cached; EXECMEM_NO_DEBIAN_GUEST=1 skips it).
# The last line of stdout is "N passed, N failed".  Exit 0 iff nothing failed
# and at least one test passed on each kernel.  Progress goes to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build/check
SCRIPTS=$ROOT/scripts

log() { printf '%s check: %s\n' "$(date +%T)" "$*" >&2; }
# shellcheck source=scripts/harness-lib.sh
. "$SCRIPTS/harness-lib.sh"

# The Debian guest lane: its image (scripts/debian-guest-image.sh, cached),
# then the test (run_debian_guest), one background job from the start.  It
# is the longest lane (about 40 min of one QEMU under TCG, most of it the
# DKMS builds inside the guest): started after the stock kernels, it ran
# alone for its last 17 min with one core idle.
# Under the stock kernels' load it gets about half a core: its timeout is
# EXECMEM_DEBIAN_TIMEOUT (5400 s; debian-guest.sh's own default is 3600).
DEBIAN_PID=""
DEBIAN_TIMEOUT=${EXECMEM_DEBIAN_TIMEOUT:-5400}
start_debian_lane() {
	if [ "${EXECMEM_NO_DEBIAN_GUEST:-0}" = 1 ]; then
		run_debian_guest	# says it is skipped
		return 0
	fi
	log "debian guest: image, then the test (background; logs build/check/debian-image.err, debian-guest.err)"
	{
		"$SCRIPTS/debian-guest-image.sh" >"$OUT/debian-image.out" 2>"$OUT/debian-image.err" || true
		run_debian_guest
	} &
	DEBIAN_PID=$!
}

# run_tlb_sweep: the TLB model's validation (one 6.12 boot under QEMU 11.1
# with the plugin); EXECMEM_NO_TLB=1 skips it
run_tlb_sweep() {
	if [ "${EXECMEM_NO_TLB:-0}" = 1 ]; then
		log "tlb sweep: skipped (EXECMEM_NO_TLB=1)"
		return
	fi
	log "tlb sweep: scripts/tlb-sweep.sh (log build/check/tlb-sweep.err)"
	run_ktap_step tlb-sweep "tlb sweep" scripts/tlb-sweep.sh "$SCRIPTS/tlb-sweep.sh"
}

# run_debian_guest: the Debian guest test, one more KTAP file
run_debian_guest() {
	local rc=0 t0=$SECONDS
	if [ "${EXECMEM_NO_DEBIAN_GUEST:-0}" = 1 ]; then
		log "debian guest: skipped (EXECMEM_NO_DEBIAN_GUEST=1)"
		return
	fi
	log "debian guest: scripts/debian-guest.sh (log build/check/debian-guest.err)"
	"$SCRIPTS/debian-guest.sh" --out "$OUT/debian-guest" --timeout "$DEBIAN_TIMEOUT" \
		>"$OUT/debian-guest.ktap" \
		2>"$OUT/debian-guest.err" || rc=$?
	# A failing script with no failing KTAP result is one failure of its own.
	if [ $rc != 0 ] && "$SCRIPTS/ktap-summary.sh" "$OUT/debian-guest.ktap" >/dev/null; then
		mkdir -p "$OUT/debian-guest"
		record_fail "$OUT/debian-guest" "debian guest: scripts/debian-guest.sh exited $rc (see build/check/debian-guest.err)"
	fi
	log "debian guest: done in $((SECONDS - t0)) s (rc=$rc)"
}

# record KVER_DIR NAME: one failed test in that directory's harness.ktap
record_fail() {
	local file=$1/harness.ktap n
	n=$(($(grep -c '^not ok' "$file" 2>/dev/null || true) + 1))
	echo "not ok $n $2" >>"$file"
	log "FAIL: $2"
}

# run_ktap_step NAME LABEL WHAT CMD...: run CMD into $OUT/NAME.ktap and
# $OUT/NAME.err; a failing CMD with no failing KTAP result is one failure of
# its own (WHAT names CMD in it); log lines start with "LABEL:".
run_ktap_step() {
	local name=$1 label=$2 what=$3 rc=0 t0=$SECONDS
	shift 3
	"$@" >"$OUT/$name.ktap" 2>"$OUT/$name.err" || rc=$?
	if [ $rc != 0 ] && "$SCRIPTS/ktap-summary.sh" "$OUT/$name.ktap" >/dev/null; then
		record_fail "$OUT" "$label: $what exited $rc (see build/check/$name.err)"
	fi
	log "$label: done in $((SECONDS - t0)) s (rc=$rc)"
}

run_pool() {
	if [ ! -f "$ROOT/tests/pool/Makefile" ]; then
		log "pool: tests/pool/Makefile does not exist yet: skipped"
		return
	fi
	log "pool: make -C tests/pool check"
	run_ktap_step pool pool "make check" make --no-print-directory -C "$ROOT/tests/pool" check
}

# The TLB model's userspace tests (tlb/: unit tests per profile, fuzzing).
run_tlb() {
	log "tlb: make -C tlb check"
	run_ktap_step tlb tlb "make check" make --no-print-directory -C "$ROOT/tlb" check
}

# The statistics the timing goals are judged on (bench/stats.py,
# bench/timing.py), as KTAP.
run_bench_unit() {
	log "bench: tests/bench/test_timing.py"
	run_ktap_step bench bench test_timing.py python3 "$ROOT/tests/bench/test_timing.py"
}

# Static checks (checkpatch, W=1, sparse, dkms build per kernel), as KTAP.
run_lint() {
	log "lint: scripts/lint.sh --no-build ${KVERS[*]} (W=1 and sparse: in each kernel's build)"
	run_ktap_step lint lint scripts/lint.sh "$SCRIPTS/lint.sh" --no-build "${KVERS[@]}"
}

# Host programs for the guests (tests/files/Makefile, scripts/guest-bin.sh):
# execmemctl and the guest scripts' fixtures in $OUT/tools-guest, perf in
# $OUT/perf-guest ("# harness: --files NAME").
run_guest_bins() {
	local perf
	log "guest programs: execmemctl, the fixtures of tests/files, perf"
	make --no-print-directory -C "$ROOT/tests/files" guest-files DEST="$OUT/tools-guest" \
		>"$OUT/tools.log" 2>&1 || record_fail "$OUT" "tools: tests/files build (see build/check/tools.log)"
	# Debian's /usr/bin/perf may be a wrapper script around perf_X.Y.
	perf=$(for f in /usr/bin/perf /usr/bin/perf_*; do
		if file -L "$f" 2>/dev/null | grep -q ELF; then echo "$f"; fi
	done | sort -V | tail -n1)
	rm -rf "$OUT/perf-guest"
	if [ -z "$perf" ] || ! "$SCRIPTS/guest-bin.sh" "$OUT/perf-guest" "$perf" >>"$OUT/tools.log" 2>&1; then
		record_fail "$OUT" "perf for the guest (see build/check/tools.log)"
	elif [ "$(basename "$perf")" != perf ]; then
		mv "$OUT/perf-guest/$(basename "$perf")" "$OUT/perf-guest/perf"
	fi
}

# build_kernel KVER DIR: build into DIR/src (harness-lib.sh), collect modules in DIR/ko
# (against ${KDIR_OF[KVER]} when set: the debug kernel's tree).  A stock
# kernel's build is also lint's: W=1 C=2, with examples/client, judged by
# build_warnings into DIR/build.ktap (the modules are the same as without).
build_kernel() {
	local kver=$1 dir=$2 rc=0
	local -a args=(W=1 C=2 modules tests examples)
	[ -z "${KDIR_OF[$kver]:-}" ] || args=(KDIR="${KDIR_OF[$kver]}" modules tests)
	log "$kver: make ${args[*]}"
	build_tree "$kver" "$dir/src" "$dir/build.log" "${args[@]}" || rc=$?
	if [ -z "${KDIR_OF[$kver]:-}" ]; then
		KTAP_N=0
		ktap_build_warnings "$dir/build.log" $rc "$kver" >"$dir/build.ktap"
		! grep -q '^not ok' "$dir/build.ktap" ||
			grep -E 'warning:|error:|Warning:' "$dir/build.log" | head -n 20 >&2 || true
	fi
	if [ $rc != 0 ]; then
		record_fail "$dir" "build $kver (see build/check/$kver/build.log)"
		tail -n 20 "$dir/build.log" >&2
		return 1
	fi
	mkdir -p "$dir/ko"
	find "$dir/src" -maxdepth 1 -name execmem.ko -exec cp -t "$dir/ko/" {} +
	find "$dir/src/tests/kmod" -maxdepth 1 -name '*.ko' -exec cp -t "$dir/ko/" {} + 2>/dev/null ||
		true
	if [ ! -f "$dir/ko/execmem.ko" ]; then
		record_fail "$dir" "build $kver: no execmem.ko"
		return 1
	fi
}

# debug_args ARRAY KVER: for the debug kernel, boot its bzImage and scale
# the script's --timeout (default 300) by $DEBUG_TIMEOUT_SCALE (KASAN, TCG)
debug_args() {
	local -n args=$1
	local kver=$2 i t=300
	local -a rest=()
	[ -n "${VMLINUZ_OF[$kver]:-}" ] || return 0
	for ((i = 0; i < ${#args[@]}; i++)); do
		if [ "${args[i]}" = --timeout ]; then
			t=${args[i + 1]}
			i=$((i + 1))
		else
			rest+=("${args[i]}")
		fi
	done
	args=("${rest[@]}" --timeout $((t * DEBUG_TIMEOUT_SCALE)) --vmlinuz "${VMLINUZ_OF[$kver]}")
}

# The debug kernel (scripts/debug-kernel.sh, cached): built in the
# background while the stock kernels are tested; EXECMEM_NO_DEBUG=1 skips it.
declare -A KDIR_OF=() VMLINUZ_OF=()
DEBUG_TIMEOUT_SCALE=${EXECMEM_DEBUG_TIMEOUT_SCALE:-3}
DEBUG_PID=""

start_debug_kernel() {
	if [ "${EXECMEM_NO_DEBUG:-0}" = 1 ]; then
		log "debug kernel: skipped (EXECMEM_NO_DEBUG=1)"
		return
	fi
	log "debug kernel: scripts/debug-kernel.sh (background; log build/check/debug-kernel.err)"
	"$SCRIPTS/debug-kernel.sh" >"$OUT/debug-kernel.out" 2>"$OUT/debug-kernel.err" &
	DEBUG_PID=$!
}

# finish_debug_kernel: wait for the build; add its release to KVERS
finish_debug_kernel() {
	local kver kdir bz rc=0 t0=$SECONDS
	[ -n "$DEBUG_PID" ] || return 0
	wait "$DEBUG_PID" || rc=$?
	log "debug kernel: ready after waiting $((SECONDS - t0)) s (rc=$rc)"
	read -r kver kdir bz <"$OUT/debug-kernel.out" || true
	if [ $rc != 0 ] || [ -z "${bz:-}" ] || [ ! -s "$bz" ]; then
		tail -n 20 "$OUT/debug-kernel.err" >&2
		record_fail "$OUT" "debug kernel: scripts/debug-kernel.sh failed (see build/check/debug-kernel.err)"
		return 0
	fi
	log "debug kernel: $kver ($bz)"
	# Its test_bpf.ko for host_bpf.sh: on a first run the guest files were
	# made before the build finished (tests/files/host-kmods.sh found none).
	if [ -f "$kdir/lib/test_bpf.ko" ] && [ ! -f "$OUT/tools-guest/kmods/$kver/test_bpf.ko" ]; then
		mkdir -p "$OUT/tools-guest/kmods/$kver" &&
			cp "$kdir/lib/test_bpf.ko" "$OUT/tools-guest/kmods/$kver/" ||
			log "debug kernel: could not copy its test_bpf.ko (host_bpf.sh will skip its suite)"
	fi
	KDIR_OF[$kver]=$kdir
	VMLINUZ_OF[$kver]=$bz
	KVERS+=("$kver")
	PARALLEL_KVERS+=" $kver"
	# Two QEMUs at once: beside the Debian guest at first, then alone.
	run_kernel "$kver" 2
}

# run_guest KVER DIR SCRIPT [parallel]
run_guest() {
	local kver=$1 dir=$2 script=$3 name reason
	local -a extra
	name=$(basename "$script" .sh)
	# shellcheck disable=SC2207 # word splitting of "# harness:" lines is intended
	extra=($(sed -n 's/^# harness:[[:space:]]*//p' "$script"))
	if [ "${4:-}" = parallel ]; then
		name=$name.parallel
		# shellcheck disable=SC2207
		extra+=(--qemu new --mttcg $(sed -n 's/^# harness-parallel:[[:space:]]*//p' "$script"))
	fi
	# "--files NAME": a directory of host programs made by run_guest_bins
	extra=("${extra[@]/#tools-guest/$OUT/tools-guest}")
	extra=("${extra[@]/#perf-guest/$OUT/perf-guest}")
	debug_args extra "$kver"
	log "$kver: guest $name${extra[*]:+ ${extra[*]}}"
	if "$SCRIPTS/qemu-run.sh" --kver "$kver" --ko-dir "$dir/ko" --script "$script" \
		--log "$dir/$name.log" "${extra[@]}" 2>"$dir/$name.err"; then
		log "$kver: guest $name: $(tail -n1 "$dir/$name.err" | sed 's/^qemu-run: //')"
		return
	fi
	reason=$(sed -n 's/^qemu-run: FAIL: //p' "$dir/$name.err" | tail -n1)
	[ -n "$reason" ] || reason=$(tail -n1 "$dir/$name.err")
	record_fail "$dir" "guest $kver $name: $reason"
	grep -v '^qemu-run: FAIL: ' "$dir/$name.err" >&2 || true
}

# guest_jobs KVER DIR: the guest runs of KVER, one "SCRIPT [parallel]" per
# line: every script of tests/guest; then the parallel-vCPU pass
# (docs/testing.md, "Parallel vCPUs") of the scripts with a
# "# harness-parallel:" line, on the kernels of PARALLEL_KVERS only.  On the
# debug kernel, a script with a line "# harness-debug: skip REASON" is not
# run: it is one KTAP skip in DIR/skipped.ktap, with REASON.
guest_jobs() {
	local kver=$1 dir=$2 script why n=0
	local -a par=()
	for script in "$ROOT"/tests/guest/*.sh; do
		[ -f "$script" ] && [ "$(basename "$script")" != lib.sh ] || continue
		why=$(sed -n 's/^# harness-debug: skip[[:space:]]*//p' "$script" | head -n1)
		if [ -n "${VMLINUZ_OF[$kver]:-}" ] && [ -n "$why" ]; then
			n=$((n + 1))
			echo "ok $n - guest $(basename "$script" .sh) # SKIP on the debug kernel: $why" \
				>>"$dir/skipped.ktap"
			continue
		fi
		echo "$script"
		grep -q '^# harness-parallel:' "$script" && par+=("$script parallel")
	done
	[ "${EXECMEM_NO_PARALLEL:-0}" != 1 ] || return 0
	case " $PARALLEL_KVERS " in *" $kver "*) ;; *) return 0 ;; esac
	[ ${#par[@]} = 0 ] || printf '%s\n' "${par[@]}"
}

# next_job DIR COUNT: the index of the next guest run of DIR/queue not yet
# taken by a lane, or nothing when all COUNT are taken
next_job() {
	flock "$1/queue" bash -c 'n=$(cat "$0"); [ "$n" -lt "$1" ] && echo $((n + 1)) >"$0" && echo "$n"' \
		"$1/queue" "$2" || true
}

# run_kernel KVER [LANES]: build, then every guest run of guest_jobs, in
# LANES (default 1) background jobs of one QEMU each, each taking the next
# run not yet taken
run_kernel() {
	local kver=$1 lanes=${2:-1} dir=$OUT/$1 lane i pid
	local -a jobs=() pids=()
	rm -rf "$dir" && mkdir -p "$dir"
	: >"$dir/harness.ktap"
	build_kernel "$kver" "$dir" || return 0
	mapfile -t jobs < <(guest_jobs "$kver" "$dir")
	echo 0 >"$dir/queue"
	for ((lane = 0; lane < lanes; lane++)); do
		while i=$(next_job "$dir" ${#jobs[@]}) && [ -n "$i" ]; do
			# shellcheck disable=SC2086 # "SCRIPT [parallel]"
			run_guest "$kver" "$dir" ${jobs[i]}
		done &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid" || true; done
	log "$kver: ${#jobs[@]} guest run(s) done in $lanes lane(s)"
}

guest_logs() { # guest serial logs of one kernel directory
	find "$1" -maxdepth 1 -name '*.log' ! -name build.log | sort
}

summarize() {
	local kver passed out f files=()
	# "At least one test passed on each kernel", else one more failure.
	for kver in "${KVERS[@]}"; do
		mapfile -t files < <(guest_logs "$OUT/$kver")
		passed=0
		if [ ${#files[@]} -gt 0 ]; then
			passed=$("$SCRIPTS/ktap-summary.sh" "${files[@]}" | tail -n1 | cut -d' ' -f1 || true)
		fi
		# (not when a build or boot failure already explains it)
		[ "$passed" -gt 0 ] || [ -s "$OUT/$kver/harness.ktap" ] ||
			record_fail "$OUT/$kver" "kernel $kver: no test passed"
	done
	files=()
	[ -f "$OUT/pool.ktap" ] && files+=("$OUT/pool.ktap")
	[ -f "$OUT/tlb.ktap" ] && files+=("$OUT/tlb.ktap")
	[ -f "$OUT/bench.ktap" ] && files+=("$OUT/bench.ktap")
	[ -f "$OUT/lint.ktap" ] && files+=("$OUT/lint.ktap")
	[ -f "$OUT/tlb-sweep.ktap" ] && files+=("$OUT/tlb-sweep.ktap")
	[ -f "$OUT/debian-guest.ktap" ] && files+=("$OUT/debian-guest.ktap")
	[ -f "$OUT/debian-guest/harness.ktap" ] && files+=("$OUT/debian-guest/harness.ktap")
	[ -f "$OUT/harness.ktap" ] && files+=("$OUT/harness.ktap")
	for kver in "${KVERS[@]}"; do
		mapfile -t -O ${#files[@]} files < <(guest_logs "$OUT/$kver")
		files+=("$OUT/$kver/harness.ktap")
		for f in build skipped; do
			[ ! -f "$OUT/$kver/$f.ktap" ] || files+=("$OUT/$kver/$f.ktap")
		done
	done
	out=$("$SCRIPTS/ktap-summary.sh" "${files[@]}" | sed "s|$OUT/||g" || true)
	echo "$out" | sed '$d'
	echo "$out" | tail -n1 | sed -n 's/.*, \([0-9]*\) skipped$/\1 skipped/p'
	# The last line of output: exactly "N passed, N failed".
	echo "$out" | tail -n1 | sed 's/, [0-9]* skipped$//'
	echo "$out" | tail -n1 | grep -q ', 0 failed'
}

main() {
	local line kver pids=() pid t0=$SECONDS
	mkdir -p "$OUT"
	rm -f "$OUT/harness.ktap" "$OUT/pool.ktap" "$OUT/pool.err" "$OUT/tlb.ktap" "$OUT/bench.ktap" \
		"$OUT/lint.ktap" "$OUT/debian-guest.ktap" "$OUT/debian-guest/harness.ktap" \
		"$OUT/tlb-sweep.ktap"
	log "setup: scripts/setup.sh"
	KVERS=()
	while read -r line; do
		KVERS+=("${line%% *}")
	done < <("$SCRIPTS/setup.sh" --print)
	[ ${#KVERS[@]} -gt 0 ] || { log "setup.sh --print listed no kernel"; exit 1; }
	log "kernels: ${KVERS[*]}"
	# The parallel-vCPU pass: on the debug kernel (added when it is ready)
	# and on the stock kernel it is made from, 6.12 (EXECMEM_PARALLEL_KVERS
	# overrides the stock ones).
	PARALLEL_KVERS=${EXECMEM_PARALLEL_KVERS-$(printf '%s\n' "${KVERS[@]}" | grep '^6\.12\.' || true)}

	start_debug_kernel
	start_debian_lane
	run_pool
	run_tlb
	run_bench_unit
	run_lint
	run_guest_bins

	# Probe KVM once for all runs (qemu-run.sh reads this cache file).
	export EXECMEM_KVM_CACHE=$OUT/kvm-probe
	rm -f "$EXECMEM_KVM_CACHE"
	if [ "$("$SCRIPTS/qemu-run.sh" --probe-kvm --kver "${KVERS[0]}")" = 1 ]; then
		log "accel: kvm"
	else
		log "accel: tcg (no usable KVM)"
	fi

	for kver in "${KVERS[@]}"; do
		run_kernel "$kver" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid" || true; done
	log "stock kernels done in $((SECONDS - t0)) s"
	run_tlb_sweep
	# The debug kernel's scripts, beside the Debian guest lane if it still runs.
	finish_debug_kernel
	[ -z "$DEBIAN_PID" ] || wait "$DEBIAN_PID" || true
	log "all kernels done in $((SECONDS - t0)) s"
	summarize
}

main "$@"
