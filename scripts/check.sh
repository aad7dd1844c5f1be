#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make check` runs.  All artefacts go to build/check/:
#   pool.ktap, pool.err          userspace tests (make -C tests/pool check)
#   lint.ktap, lint.err          static checks (scripts/lint.sh)
#   KVER/src/                    copy of the source tree, built for KVER
#   KVER/build.log, KVER/ko/     build output, execmem.ko + tests/kmod/*.ko
#   KVER/NAME.log, KVER/NAME.err serial log and qemu-run.sh stderr per guest
#                                script tests/guest/NAME.sh
#   KVER/harness.ktap            build/boot failures as KTAP "not ok" lines
#
# Steps: setup.sh; pool tests; static checks; then per kernel (kernels in parallel, one
# background job each): build, then every guest script in QEMU.  A guest
# script may hold lines "# harness: ARGS" (e.g. --numa, --timeout 600): ARGS
# are passed (split at whitespace) to scripts/qemu-run.sh.
# The last line of stdout is "N passed, N failed".  Exit 0 iff nothing failed
# and at least one test passed on each kernel.  Progress goes to stderr.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/build/check
SCRIPTS=$ROOT/scripts

log() { printf '%s check: %s\n' "$(date +%T)" "$*" >&2; }

# record KVER_DIR NAME: one failed test in that directory's harness.ktap
record_fail() {
	local file=$1/harness.ktap n
	n=$(($(grep -c '^not ok' "$file" 2>/dev/null || true) + 1))
	echo "not ok $n $2" >>"$file"
	log "FAIL: $2"
}

run_pool() {
	local rc=0
	if [ ! -f "$ROOT/tests/pool/Makefile" ]; then
		log "pool: tests/pool/Makefile does not exist yet: skipped"
		return
	fi
	log "pool: make -C tests/pool check"
	make --no-print-directory -C "$ROOT/tests/pool" check >"$OUT/pool.ktap" \
		2>"$OUT/pool.err" || rc=$?
	# A failing make with no failing KTAP result is one failure of its own.
	if [ $rc != 0 ] && "$SCRIPTS/ktap-summary.sh" "$OUT/pool.ktap" >/dev/null; then
		record_fail "$OUT" "pool: make check exited $rc (see build/check/pool.err)"
	fi
	log "pool: done (make rc=$rc)"
}

# Static checks (checkpatch, W=1, sparse, dkms build per kernel), as KTAP.
run_lint() {
	local rc=0
	log "lint: scripts/lint.sh ${KVERS[*]}"
	"$SCRIPTS/lint.sh" "${KVERS[@]}" >"$OUT/lint.ktap" 2>"$OUT/lint.err" || rc=$?
	if [ $rc != 0 ] && "$SCRIPTS/ktap-summary.sh" "$OUT/lint.ktap" >/dev/null; then
		record_fail "$OUT" "lint: scripts/lint.sh exited $rc (see build/check/lint.err)"
	fi
	log "lint: done"
}

# copy_tree DEST: the files git knows of (tracked or not ignored), else all
# but build/ and .git/
copy_tree() {
	local dest=$1 f
	mkdir -p "$dest"
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$ROOT" ls-files -z -co --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -e "$ROOT/$f" ] && printf '%s\0' "$f"
			done | tar -C "$ROOT" --null -T - -cf - | tar -C "$dest" -xf -
	else
		tar -C "$ROOT" --exclude=./build --exclude=./.git -cf - . | tar -C "$dest" -xf -
	fi
}

# build_kernel KVER DIR: build into DIR/src, collect modules in DIR/ko
build_kernel() {
	local kver=$1 dir=$2
	copy_tree "$dir/src"
	log "$kver: make modules tests"
	if ! make -C "$dir/src" KVER="$kver" modules tests >"$dir/build.log" 2>&1; then
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

# run_guest KVER DIR SCRIPT
run_guest() {
	local kver=$1 dir=$2 script=$3 name reason
	local -a extra
	name=$(basename "$script" .sh)
	# shellcheck disable=SC2207 # word splitting of "# harness:" lines is intended
	extra=($(sed -n 's/^# harness:[[:space:]]*//p' "$script"))
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

# run_kernel KVER: build, then run every guest script (one background job)
run_kernel() {
	local kver=$1 dir=$OUT/$1 script n=0
	rm -rf "$dir" && mkdir -p "$dir"
	: >"$dir/harness.ktap"
	build_kernel "$kver" "$dir" || return 0
	for script in "$ROOT"/tests/guest/*.sh; do
		[ -f "$script" ] || continue
		run_guest "$kver" "$dir" "$script"
		n=$((n + 1))
	done
	log "$kver: $n guest script(s) done"
}

guest_logs() { # guest serial logs of one kernel directory
	find "$1" -maxdepth 1 -name '*.log' ! -name build.log | sort
}

summarize() {
	local kver passed out files=()
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
	[ -f "$OUT/lint.ktap" ] && files+=("$OUT/lint.ktap")
	[ -f "$OUT/harness.ktap" ] && files+=("$OUT/harness.ktap")
	for kver in "${KVERS[@]}"; do
		mapfile -t -O ${#files[@]} files < <(guest_logs "$OUT/$kver")
		files+=("$OUT/$kver/harness.ktap")
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
	rm -f "$OUT/harness.ktap" "$OUT/pool.ktap" "$OUT/pool.err" "$OUT/lint.ktap"
	log "setup: scripts/setup.sh"
	KVERS=()
	while read -r line; do
		KVERS+=("${line%% *}")
	done < <("$SCRIPTS/setup.sh" --print)
	[ ${#KVERS[@]} -gt 0 ] || { log "setup.sh --print listed no kernel"; exit 1; }
	log "kernels: ${KVERS[*]}"

	run_pool
	run_lint

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
	log "all kernels done in $((SECONDS - t0)) s"
	summarize
}

main "$@"
