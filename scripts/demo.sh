#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What `make demo` runs: the benchmark of execmem against the kernel's own
# executable-memory paths, on every kernel scripts/setup.sh provides
# (Debian's 6.1 and 6.12; 7.2 when set up) in QEMU.
#
#   scripts/demo.sh [KVER...]       (default: every kernel setup.sh provides)
#
# Steps: scripts/setup.sh (+ gnuplot-nox if missing); per kernel, one
# after another (one QEMU at a time): build execmem.ko and
# bench/kmod/execmem_bench.ko (W=1) in a copy of the tree, prepare the
# modload set (bench/modload-prep.sh), then
#  - counts: boot once per path x workload x run (bench/guest/bench.sh) and
#    once per modload run (bench/guest/modload.sh): a fresh boot each,
#    because direct-map splits are never undone;
#  - timing: a few boots (bench/guest/timing.sh), each timing every path
#    interleaved, round after round; the first also the per-phase
#    breakdown; ratios over the rounds of all of them, with a 95 % bootstrap
#    interval over boots and rounds (bench/timing.py): a ratio shifts from
#    boot to boot by more than one boot's interval shows.
# Then bench/assemble.py writes results/<kver>.json and results/summary.md
# (printed at the end), gnuplot results/*.png.  Last, the section "the
# kernel's own code" (part "host"): scripts/demo-host.sh on the same
# kernels, execmem hosting BPF programs and kprobes (host=bpf,kprobes)
# against the stock kernel (results/host-*.json, host-summary.md).
# Opt-in part "tlb" (EXECMEM_DEMO_PARTS="... tlb"): scripts/demo-tlb.sh,
# iTLB walks modeled under QEMU, stock vs host=bpf (results/tlb-bpf.*).
#
# Environment: EXECMEM_DEMO_DIR (work directory, default build/demo),
# EXECMEM_RESULTS (default results), EXECMEM_DEMO_RUNS (count boots per
# path and workload, default 1: counts are exact), EXECMEM_DEMO_PARTS
# ("counts timing host"), EXECMEM_DEMO_ROUNDS (interleaved rounds per
# timing boot, 20), EXECMEM_DEMO_TIMING_BOOTS (3),
# EXECMEM_DEMO_SEED (42), EXECMEM_KVM=0/1 (see qemu-run.sh).
# Progress goes to stderr; per-boot serial logs stay in the work directory.
# Exit 0 iff every boot produced a result.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=${EXECMEM_DEMO_DIR:-$ROOT/build/demo}
RES=${EXECMEM_RESULTS:-$ROOT/results}
RUNS=${EXECMEM_DEMO_RUNS:-1}
PARTS=${EXECMEM_DEMO_PARTS:-counts timing host}
ROUNDS=${EXECMEM_DEMO_ROUNDS:-20}
TBOOTS=${EXECMEM_DEMO_TIMING_BOOTS:-3}
SEED=${EXECMEM_DEMO_SEED:-42}
CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
PATHS="execmem stock bpf_prog_pack"
WORKLOADS="modules loaded bpf"

log() { printf '%s demo: %s\n' "$(date +%T)" "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

need_gnuplot() {
	command -v gnuplot >/dev/null && return
	log "installing gnuplot-nox (plots)"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends gnuplot-nox >/dev/null ||
		log "gnuplot-nox could not be installed: no plots"
}

# build KVER DIR: execmem.ko + execmem_bench.ko into DIR/ko
build() {
	local kver=$1 dir=$2 kdir
	local -a kmake=(make)
	kdir=/usr/src/linux-headers-$kver
	[ -e "$kdir/Makefile" ] || kdir=/lib/modules/$kver/build
	rm -rf "$dir/src" "$dir/ko"
	"$ROOT/scripts/copy-tree.sh" "$dir/src"
	# Kernels whose kbuild needs a newer glibc (7.2) build in the trixie
	# chroot of scripts/setup.sh, as the top Makefile does.
	if [ ! -e "$kdir/Makefile" ] && [ -x "$ROOT/scripts/chroot-make.sh" ] &&
		"$ROOT/scripts/chroot-make.sh" --needed "$kver"; then
		kdir=/usr/src/linux-headers-$kver
		kmake=("$ROOT/scripts/chroot-make.sh" --bind "$dir/src" -- make)
	fi
	{
		make -C "$dir/src" KVER="$kver" modules &&
			(cd "$dir/src" && "${kmake[@]}" -C "$kdir" M="$dir/src/bench/kmod" W=1 \
				KBUILD_EXTRA_SYMBOLS="$dir/src/Module.symvers" modules)
	} >"$dir/build.log" 2>&1 || return 1
	if grep -q 'warning:' "$dir/build.log"; then
		log "$kver: build warnings (see $dir/build.log)"
	fi
	mkdir -p "$dir/ko"
	cp "$dir/src/execmem.ko" "$dir/src/bench/kmod/execmem_bench.ko" "$dir/ko/"
}

# boot KVER DIR NAME SCRIPT FILES_DIR [KERNEL_ARGS]: one boot; its JSON to
# DIR/json/NAME.json
boot() {
	local kver=$1 dir=$2 name=$3 script=$4 files=$5 append=${6:-} t0=$SECONDS
	if "$ROOT/scripts/qemu-run.sh" --kver "$kver" --ko-dir "$dir/ko" --script "$script" \
		--files "$files" --log "$dir/logs/$name.log" --timeout 600 --append "$append" \
		2>"$dir/logs/$name.err" &&
		tr -d '\r' <"$dir/logs/$name.log" |
		sed -n '/^EXECMEM-BENCH-BEGIN$/,/^EXECMEM-BENCH-END$/p' | sed '1d;$d' \
			>"$dir/json/$name.json" &&
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
			"$dir/json/$name.json" 2>/dev/null; then
		# the census of the bench boots (bench/guest/bench.sh), if any
		tr -d '\r' <"$dir/logs/$name.log" |
			sed -n '/^EXECMEM-CENSUS-BEGIN$/,/^EXECMEM-CENSUS-END$/p' | sed '1d;$d' \
			>"$dir/json/$name.census" || true
		[ -s "$dir/json/$name.census" ] || rm -f "$dir/json/$name.census"
		BOOT_MSG="ok ($((SECONDS - t0)) s)"
		return 0
	fi
	rm -f "$dir/json/$name.json"
	BOOT_MSG="FAILED: $(grep -m1 'FAIL' "$dir/logs/$name.err" || echo "no result") (log: $dir/logs/$name.log)"
	return 1
}

# timing KVER DIR: the interleaved timing boots (the first one also times
# the breakdown); DIR/json/timing.json from all of them
timing() {
	local kver=$1 dir=$2 t0=$SECONDS b logs=()
	for b in $(seq 1 "$TBOOTS"); do
		mkdir -p "$dir/files/timing-$b"
		echo "il_rounds=$ROUNDS seed=$SEED" >"$dir/files/timing-$b/params"
		[ "$b" != 1 ] || : >"$dir/files/timing-$b/breakdown"
		logs+=("$dir/logs/timing-$b.log")
		if ! "$ROOT/scripts/qemu-run.sh" --kver "$kver" --ko-dir "$dir/ko" \
			--script "$ROOT/bench/guest/timing.sh" --files "$dir/files/timing-$b" \
			--log "$dir/logs/timing-$b.log" --timeout 1200 2>"$dir/logs/timing-$b.err"; then
			rm -f "$dir/json/timing.json"
			BOOT_MSG="FAILED: $(grep -m1 'FAIL' "$dir/logs/timing-$b.err" || echo "no result") (log: $dir/logs/timing-$b.log)"
			return 1
		fi
	done
	if python3 "$ROOT/bench/timing.py" --kver "$kver" "${logs[@]}" |
		sed '/^|/,$d' >"$dir/json/timing.json" &&
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
			"$dir/json/timing.json" 2>/dev/null; then
		BOOT_MSG="ok ($((SECONDS - t0)) s)"
		return 0
	fi
	rm -f "$dir/json/timing.json"
	BOOT_MSG="FAILED: bench/timing.py found no result (logs: ${logs[*]})"
	return 1
}

# run_kernel KVER: build and all boots of one kernel
run_kernel() {
	local kver=$1 dir=$DEMO/$1 run p wl n=0 total=0 failed=0 files
	rm -rf "$dir" && mkdir -p "$dir/logs" "$dir/json"
	case " $PARTS " in *" counts "*)
		total=$((RUNS * ($(echo $PATHS | wc -w) * $(echo $WORKLOADS | wc -w) + 1))) ;;
	esac
	case " $PARTS " in *" timing "*) total=$((total + 1)) ;; esac
	log "$kver: building execmem.ko and execmem_bench.ko"
	if ! build "$kver" "$dir"; then
		log "$kver: build FAILED (see $dir/build.log)"
		echo "$total" >"$dir/failed"
		return 0
	fi
	case " $PARTS " in *" timing "*)
		n=$((n + 1))
		timing "$kver" "$dir" || failed=$((failed + 1))
		log "$kver: [$n/$total] timing (all paths interleaved, $TBOOTS boots x $ROUNDS rounds): $BOOT_MSG" ;;
	esac
	case " $PARTS " in *" counts "*) ;; *)
		echo "$failed" >"$dir/failed"
		return 0 ;;
	esac
	log "$kver: preparing the modload set"
	"$ROOT/bench/modload-prep.sh" "$kver" "$CACHE/kernels/$kver/modules" \
		"$ROOT/bench/loaded-modules.txt" "$dir/modload" >"$dir/modload-prep.log" 2>&1 ||
		log "$kver: modload preparation FAILED (see $dir/modload-prep.log)"
	# Runs outermost: an interrupted demo still has every path once.
	for run in $(seq 1 "$RUNS"); do
		for wl in $WORKLOADS; do
			for p in $PATHS; do
				n=$((n + 1))
				files=$dir/files/$p-$wl-$run
				mkdir -p "$files"
				echo "$p $wl $SEED" >"$files/params"
				boot "$kver" "$dir" "$p-$wl-$run" "$ROOT/bench/guest/bench.sh" \
					"$files" || failed=$((failed + 1))
				log "$kver: [$n/$total] $p / $wl / run $run: $BOOT_MSG"
			done
		done
		n=$((n + 1))
		# cryptomgr.notests: 6.1's ecdh-nist-p256 self-test fails (WARN,
		# fatal with panic_on_warn) when bluetooth pulls ecdh_generic in
		# under TCG; the self-tests have nothing to do with text mappings.
		boot "$kver" "$dir" "modload-$run" "$ROOT/bench/guest/modload.sh" \
			"$dir/modload" cryptomgr.notests || failed=$((failed + 1))
		log "$kver: [$n/$total] modload / run $run: $BOOT_MSG"
	done
	echo "$failed" >"$dir/failed"
}

main() {
	local kver line t0=$SECONDS failed=0 d
	mkdir -p "$DEMO" "$RES"
	log "setup: scripts/setup.sh"
	KVERS=()
	while read -r line; do
		KVERS+=("${line%% *}")
	done < <("$ROOT/scripts/setup.sh" --print)
	[ $# = 0 ] || KVERS=("$@")	# only these (set up) kernels
	[ ${#KVERS[@]} -gt 0 ] || { log "setup.sh --print listed no kernel"; exit 1; }
	need_gnuplot
	export EXECMEM_KVM_CACHE=$DEMO/kvm-probe
	rm -f "$EXECMEM_KVM_CACHE"
	if [ "$("$ROOT/scripts/qemu-run.sh" --probe-kvm --kver "${KVERS[0]}")" = 1 ]; then
		echo kvm >"$DEMO/accel"
	else
		echo tcg >"$DEMO/accel"
	fi
	log "kernels: ${KVERS[*]} (one after another); accel: $(cat "$DEMO/accel"); parts: $PARTS" \
		"(counts: $RUNS runs of {$PATHS} x {$WORKLOADS} + modload, one fresh boot each;" \
		"timing: $TBOOTS boots, $ROUNDS rounds each)"
	for kver in "${KVERS[@]}"; do
		run_kernel "$kver"
	done
	for kver in "${KVERS[@]}"; do
		failed=$((failed + $(cat "$DEMO/$kver/failed" 2>/dev/null || echo 1)))
	done
	log "all boots done in $((SECONDS - t0)) s ($failed failed)"

	python3 "$ROOT/bench/assemble.py" "$DEMO" "$RES" "${KVERS[@]}" >"$DEMO/summary.out"
	if command -v gnuplot >/dev/null; then
		for kver in "${KVERS[@]}"; do
			d=$DEMO/$kver/plot
			gnuplot -e "d='$d'; out='$RES/leaves-$kver.png'; kver='$kver'" \
				"$ROOT/bench/plot-leaves.gp" 2>>"$DEMO/gnuplot.log" ||
				log "$kver: leaves plot failed (see $DEMO/gnuplot.log)"
			gnuplot -e "d='$d'; out='$RES/latency-$kver.png'; kver='$kver'" \
				"$ROOT/bench/plot-latency.gp" 2>>"$DEMO/gnuplot.log" ||
				log "$kver: latency plot failed (see $DEMO/gnuplot.log)"
		done
	fi
	cat "$DEMO/summary.out"
	case " $PARTS " in
	*" host "*)
		log "the kernel's own code: scripts/demo-host.sh ${KVERS[*]}"
		EXECMEM_DEMO_DIR=$DEMO/host EXECMEM_RESULTS=$RES \
			"$ROOT/scripts/demo-host.sh" "${KVERS[@]}" || failed=$((failed + 1))
		;;
	esac
	case " $PARTS " in
	*" tlb "*) # opt-in: two boots per kernel under the TLB model, ~3 min each
		log "TLB pressure (modeled): scripts/demo-tlb.sh ${KVERS[*]}"
		"$ROOT/scripts/demo-tlb.sh" --out "$RES/tlb-bpf" "${KVERS[@]}" || failed=$((failed + 1))
		;;
	esac
	log "results: $(cd "$RES" && ls | tr '\n' ' ')(in $RES); total $((SECONDS - t0)) s"
	[ "$failed" = 0 ]
}

main "$@"
