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
# (printed at the end), gnuplot results/*.png.
# Last, the section "the kernel's own code" (part "host", issue 13): the
# same BPF programs and kprobes with execmem hosting them (host=bpf,kprobes)
# and without (execmem loaded, hosting nothing), on the same kernels: per
# run one fresh boot per path for the counts (bench/guest/host-bench.sh:
# direct-map L2/L3 splits, module-area 4 KiB / 2 MiB leaves from the census,
# per-call run time, load latency of that path), and one boot that
# interleaves both paths (host toggled every 16 loads) for the load-latency
# ratio; its execmem.ko is the one built above (built alone when the part
# runs by itself).  bench/host-assemble.py writes results/host-KVER.json and
# results/host-summary.md (printed), gnuplot results/host-latency-KVER.png
# (bench/plot-host.gp).
# Last, the part "tlb", "TLB pressure (modeled)": scripts/demo-tlb.sh, its
# four workloads on the same kernels, every boot under the TLB model
# (docs/tlb-model.md; two boots at once: the counts are modeled): bpf, the
# BPF programs stock vs host=bpf (results/tlb-bpf.*); work, code that does
# work placed by each path (results/tlb-work.*); kprobes, 1,000 kprobes
# firing, stock vs host=kprobes (results/tlb-kprobes.*); dmap, the
# direct map intact, split 5/25/100 % and healed under a data-heavy kernel
# workload (results/tlb-dmap.*, docs/dmap.md).
#
# Environment: EXECMEM_DEMO_DIR (work directory, default build/demo; the
# host part's is its host/), EXECMEM_RESULTS (default results),
# EXECMEM_DEMO_RUNS (count boots per path and workload, default 1: counts
# are exact), EXECMEM_DEMO_PARTS ("counts timing host tlb"), EXECMEM_DEMO_ROUNDS
# (interleaved rounds per timing boot, 20), EXECMEM_DEMO_TIMING_BOOTS (3),
# EXECMEM_DEMO_SEED (42), EXECMEM_HOST_NPROG (3000), EXECMEM_HOST_NPROBES
# (1000), EXECMEM_HOST_NTIMING (2048 loads in the host timing boot),
# EXECMEM_KVM=0/1 (see qemu-run.sh).
# Progress goes to stderr; per-boot serial logs stay in the work directory.
# Exit 0 iff every boot produced a result.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=${EXECMEM_DEMO_DIR:-$ROOT/build/demo}
RES=${EXECMEM_RESULTS:-$ROOT/results}
RUNS=${EXECMEM_DEMO_RUNS:-1}
PARTS=${EXECMEM_DEMO_PARTS:-counts timing host tlb}
ROUNDS=${EXECMEM_DEMO_ROUNDS:-20}
TBOOTS=${EXECMEM_DEMO_TIMING_BOOTS:-3}
SEED=${EXECMEM_DEMO_SEED:-42}
NPROG=${EXECMEM_HOST_NPROG:-3000}
NPROBES=${EXECMEM_HOST_NPROBES:-1000}
NTIMING=${EXECMEM_HOST_NTIMING:-2048}
CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
PATHS="execmem stock bpf_prog_pack"
WORKLOADS="modules loaded bpf"

log() { printf '%s demo: %s\n' "$(date +%T)" "$*" >&2; }

# shellcheck source=scripts/harness-lib.sh
. "$ROOT/scripts/harness-lib.sh"

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
	local kver=$1 dir=$2
	rm -rf "$dir/ko"
	build_tree "$kver" "$dir/src" "$dir/build.log" modules &&
		kmake "$kver" "$dir/src" M="$dir/src/bench/kmod" W=1 \
			KBUILD_EXTRA_SYMBOLS="$dir/src/Module.symvers" modules \
			>>"$dir/build.log" 2>&1 || return 1
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
	if boot_json "$kver" "$dir/ko" "$script" "$files" "$dir/logs/$name.log" 600 \
		EXECMEM-BENCH "$dir/json/$name.json" --append "$append"; then
		# the census of the bench boots (bench/guest/bench.sh), if any
		between "$dir/logs/$name.log" EXECMEM-CENSUS "$dir/json/$name.census" || true
		BOOT_MSG="ok ($((SECONDS - t0)) s)"
		return 0
	fi
	BOOT_MSG="FAILED: $BOOT_FAIL"
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

# ---- the kernel's own code (part "host") ----------------------------------

# host_boot KVER DIR NAME PARAMS: one boot with bench/guest/host-bench.sh
# (execmem.ko of $HOST_KO); its JSON to DIR/json/NAME.json, timing samples
# to DIR/json/NAME.lat
host_boot() {
	local kver=$1 dir=$2 name=$3 params=$4 t0=$SECONDS files=$2/files/$3
	mkdir -p "$files"
	cp "$ROOT/tests/files/bpfrun" "$ROOT/tests/files/host-lib.sh" "$files/"
	echo "$params" >"$files/params"
	if boot_json "$kver" "$HOST_KO" "$ROOT/bench/guest/host-bench.sh" "$files" \
		"$dir/logs/$name.log" 900 EXECMEM-HOSTBENCH "$dir/json/$name.json"; then
		between "$dir/logs/$name.log" EXECMEM-HOSTLAT "$dir/json/$name.lat" || true
		BOOT_MSG="ok ($((SECONDS - t0)) s)"
		return 0
	fi
	BOOT_MSG="FAILED: $BOOT_FAIL"
	return 1
}

# host_kernel KVER: the host part's boots of one kernel, in $HDEMO/KVER
host_kernel() {
	local kver=$1 dir=$HDEMO/$1 run p failed=0
	rm -rf "$dir" && mkdir -p "$dir/logs" "$dir/json"
	# execmem.ko of this run's bench part, if it ran and built one
	HOST_KO=$DEMO/$kver/ko
	if [ "$BENCH_BUILT" != 1 ] || [ ! -f "$HOST_KO/execmem.ko" ]; then
		log "$kver: building execmem.ko"
		HOST_KO=$dir/ko
		if ! build_tree "$kver" "$dir/src" "$dir/build.log" modules; then
			log "$kver: build FAILED (see $dir/build.log)"
			echo 1 >"$dir/failed"
			return 0
		fi
		mkdir -p "$HOST_KO" && cp "$dir/src/execmem.ko" "$HOST_KO/"
	fi
	for run in $(seq 1 "$RUNS"); do
		for p in hosted stock; do
			host_boot "$kver" "$dir" "$p-$run" "$p $NPROG $NPROBES $SEED" ||
				failed=$((failed + 1))
			log "$kver: $p / run $run: $BOOT_MSG"
		done
	done
	host_boot "$kver" "$dir" timing "timing $NTIMING 0 $SEED" || failed=$((failed + 1))
	log "$kver: timing (both paths interleaved): $BOOT_MSG"
	echo "$failed" >"$dir/failed"
}

# host_part KVER...: every kernel's host boots, then host-assemble.py and
# the plots; 0 iff every boot produced a result
host_part() {
	local kver failed=0 t0=$SECONDS
	HDEMO=$DEMO/host
	mkdir -p "$HDEMO"
	make -s -C "$ROOT/tests/files" bpfrun >&2
	log "the kernel's own code: $*; $RUNS boot(s) per path + 1 timing boot per kernel"
	for kver in "$@"; do
		host_kernel "$kver"
		failed=$((failed + $(cat "$HDEMO/$kver/failed")))
	done
	python3 "$ROOT/bench/host-assemble.py" "$HDEMO" "$RES" "$@" >"$HDEMO/summary.out"
	if command -v gnuplot >/dev/null; then
		for kver in "$@"; do
			[ -s "$HDEMO/$kver/plot/latency-on.dat" ] || continue
			gnuplot -e "d='$HDEMO/$kver/plot'; out='$RES/host-latency-$kver.png'; kver='$kver'" \
				"$ROOT/bench/plot-host.gp" 2>>"$HDEMO/gnuplot.log" ||
				log "$kver: plot failed (see $HDEMO/gnuplot.log)"
		done
	fi
	cat "$HDEMO/summary.out"
	log "the kernel's own code: done in $((SECONDS - t0)) s ($failed boot(s) failed)"
	[ "$failed" = 0 ]
}

# bench_part KVER...: the counts and timing parts of every kernel, then
# bench/assemble.py and the plots; adds the failed boots to FAILED
bench_part() {
	local kver d t0=$SECONDS
	for kver in "$@"; do
		run_kernel "$kver"
	done
	for kver in "$@"; do
		FAILED=$((FAILED + $(cat "$DEMO/$kver/failed" 2>/dev/null || echo 1)))
	done
	log "all boots done in $((SECONDS - t0)) s ($FAILED failed)"

	python3 "$ROOT/bench/assemble.py" "$DEMO" "$RES" "$@" >"$DEMO/summary.out"
	if command -v gnuplot >/dev/null; then
		for kver in "$@"; do
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
}

main() {
	local line t0=$SECONDS
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
	FAILED=0
	BENCH_BUILT=0
	case " $PARTS " in *" counts "* | *" timing "*)
		BENCH_BUILT=1
		bench_part "${KVERS[@]}" ;;
	esac
	case " $PARTS " in *" host "*)
		host_part "${KVERS[@]}" || FAILED=$((FAILED + 1)) ;;
	esac
	case " $PARTS " in
	*" tlb "*)
		for w in bpf work kprobes dmap; do
			log "TLB pressure (modeled): scripts/demo-tlb.sh -w $w ${KVERS[*]}"
			"$ROOT/scripts/demo-tlb.sh" -w $w --out "$RES/tlb-$w" "${KVERS[@]}" ||
				FAILED=$((FAILED + 1))
		done
		;;
	esac
	log "results: $(cd "$RES" && ls | tr '\n' ' ')(in $RES); total $((SECONDS - t0)) s"
	[ "$FAILED" = 0 ]
}

main "$@"
