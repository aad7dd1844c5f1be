#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark section "the kernel's own code" (issue 13), standalone: the
# same BPF programs and kprobes with execmem hosting them (host=bpf,kprobes)
# and without (execmem loaded, hosting nothing), on every kernel
# scripts/setup.sh provides, in QEMU.
#
#   scripts/demo-host.sh [KVER...]
#
# Per kernel, one QEMU at a time: build execmem.ko (W=1 not needed: the
# module's own build), then per run one fresh boot per path for the counts
# (bench/guest/host-bench.sh: direct-map L2/L3 splits, module-area 4 KiB /
# 2 MiB leaves from the census, per-call run time, load latency of that
# path), and one boot that interleaves both paths (host toggled every 16
# loads) for the load-latency ratio.  Then bench/host-assemble.py writes
# RESULTS/host-KVER.json and RESULTS/host-summary.md (printed), gnuplot
# RESULTS/host-latency-KVER.png (bench/plot-host.gp).
#
# Environment: EXECMEM_DEMO_DIR (work directory, default build/demo-host),
# EXECMEM_RESULTS (default results), EXECMEM_DEMO_RUNS (count boots per path,
# default 1), EXECMEM_HOST_NPROG (3000), EXECMEM_HOST_NPROBES (1000),
# EXECMEM_HOST_NTIMING (2048 loads in the timing boot), EXECMEM_DEMO_SEED
# (42), EXECMEM_KVM=0/1 (see qemu-run.sh).  Exit 0 iff every boot produced a
# result.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO=${EXECMEM_DEMO_DIR:-$ROOT/build/demo-host}
RES=${EXECMEM_RESULTS:-$ROOT/results}
RUNS=${EXECMEM_DEMO_RUNS:-1}
SEED=${EXECMEM_DEMO_SEED:-42}
NPROG=${EXECMEM_HOST_NPROG:-3000}
NPROBES=${EXECMEM_HOST_NPROBES:-1000}
NTIMING=${EXECMEM_HOST_NTIMING:-2048}

log() { printf '%s demo-host: %s\n' "$(date +%T)" "$*" >&2; }

# build KVER DIR: execmem.ko into DIR/ko (the top Makefile picks the trixie
# chroot for kernels that need it)
build() {
	local kver=$1 dir=$2
	rm -rf "$dir/src" "$dir/ko"
	"$ROOT/scripts/copy-tree.sh" "$dir/src"
	make -C "$dir/src" KVER="$kver" modules >"$dir/build.log" 2>&1 || return 1
	mkdir -p "$dir/ko"
	cp "$dir/src/execmem.ko" "$dir/ko/"
}

# boot KVER DIR NAME PARAMS: one boot with bench/guest/host-bench.sh; its
# JSON to DIR/json/NAME.json, timing samples to DIR/json/NAME.lat
boot() {
	local kver=$1 dir=$2 name=$3 params=$4 t0=$SECONDS files=$2/files/$3 log
	log=$dir/logs/$name.log
	mkdir -p "$files"
	cp "$ROOT/tools/bpfrun" "$ROOT/tools/host-lib.sh" "$files/"
	echo "$params" >"$files/params"
	if "$ROOT/scripts/qemu-run.sh" --kver "$kver" --ko-dir "$dir/ko" \
		--script "$ROOT/bench/guest/host-bench.sh" --files "$files" --log "$log" \
		--timeout 900 2>"$dir/logs/$name.err" &&
		tr -d '\r' <"$log" | sed -n '/^EXECMEM-HOSTBENCH-BEGIN$/,/^EXECMEM-HOSTBENCH-END$/p' |
		sed '1d;$d' >"$dir/json/$name.json" &&
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dir/json/$name.json" 2>/dev/null; then
		tr -d '\r' <"$log" | sed -n '/^EXECMEM-HOSTLAT-BEGIN$/,/^EXECMEM-HOSTLAT-END$/p' |
			sed '1d;$d' >"$dir/json/$name.lat"
		[ -s "$dir/json/$name.lat" ] || rm -f "$dir/json/$name.lat"
		BOOT_MSG="ok ($((SECONDS - t0)) s)"
		return 0
	fi
	rm -f "$dir/json/$name.json"
	BOOT_MSG="FAILED: $(grep -m1 'FAIL' "$dir/logs/$name.err" || echo "no result") (log: $log)"
	return 1
}

run_kernel() {
	local kver=$1 dir=$DEMO/$1 run p failed=0
	rm -rf "$dir" && mkdir -p "$dir/logs" "$dir/json"
	log "$kver: building execmem.ko"
	if ! build "$kver" "$dir"; then
		log "$kver: build FAILED (see $dir/build.log)"
		echo 1 >"$dir/failed"
		return 0
	fi
	for run in $(seq 1 "$RUNS"); do
		for p in hosted stock; do
			boot "$kver" "$dir" "$p-$run" "$p $NPROG $NPROBES $SEED" || failed=$((failed + 1))
			log "$kver: $p / run $run: $BOOT_MSG"
		done
	done
	boot "$kver" "$dir" timing "timing $NTIMING 0 $SEED" || failed=$((failed + 1))
	log "$kver: timing (both paths interleaved): $BOOT_MSG"
	echo "$failed" >"$dir/failed"
}

main() {
	local kver line failed=0 t0=$SECONDS
	KVERS=("$@")
	if [ ${#KVERS[@]} = 0 ]; then
		while read -r line; do
			KVERS+=("${line%% *}")
		done < <("$ROOT/scripts/setup.sh" --print)
	fi
	[ ${#KVERS[@]} -gt 0 ] || { log "no kernel"; exit 1; }
	mkdir -p "$DEMO" "$RES"
	make -s -C "$ROOT/tools" bpfrun >&2
	log "kernels: ${KVERS[*]}; $RUNS boot(s) per path + 1 timing boot per kernel, one QEMU at a time"
	# One QEMU at a time: the kernels one after the other.
	for kver in "${KVERS[@]}"; do
		run_kernel "$kver"
		failed=$((failed + $(cat "$DEMO/$kver/failed")))
	done
	python3 "$ROOT/bench/host-assemble.py" "$DEMO" "$RES" "${KVERS[@]}" >"$DEMO/summary.out"
	if command -v gnuplot >/dev/null; then
		for kver in "${KVERS[@]}"; do
			[ -s "$DEMO/$kver/plot/latency-on.dat" ] || continue
			gnuplot -e "d='$DEMO/$kver/plot'; out='$RES/host-latency-$kver.png'; kver='$kver'" \
				"$ROOT/bench/plot-host.gp" 2>>"$DEMO/gnuplot.log" ||
				log "$kver: plot failed (see $DEMO/gnuplot.log)"
		done
	fi
	cat "$DEMO/summary.out"
	log "done in $((SECONDS - t0)) s ($failed boot(s) failed)"
	[ "$failed" = 0 ]
}

main "$@"
