#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Code that does work, placed by each path, modeled (docs/tlb-model.md,
# "Code that does work"): per kernel and path (stock, bpf_prog_pack,
# execmem; stock on 7.2 is its ROX cache), one fresh boot under the TLB
# plugin (scripts/tlb-run.sh, every profile, one vCPU).  In it the
# benchmark module (bench/kmod/execmem_bench_work.c) places two sets of
# generated functions through the path, BPF sizes and module sizes, and
# calls them in a fixed-seed hot-set pattern, one window per set.  Writes
# build/demo-tlb-work/tlb-work.{md,json} (or --out PREFIX): per kernel,
# profile, set and path, instructions, calls, iTLB walks (the set's code
# and all), walks per million instructions and per call, L1 iTLB misses,
# code pages by leaf size, execmem / each other path; every figure modeled
# (profile X).  --runs N boots each kernel and path N times (runs agree or
# not: the table says by how much).  Exit 1 on a failed call, an
# incomplete window, a walk disagreeing with QEMU or instructions in the
# set's code differing from what the module generated.
#
#   scripts/demo-tlb-work.sh [--nbpf 3000] [--calls 8000] [--warmup 2000]
#       [--blocks 16] [--seed 1] [--runs 1] [--out PREFIX] KVER...
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/harness-lib.sh
. "$HERE/harness-lib.sh"
NBPF=3000 CALLS=8000 WARMUP=2000 BLOCKS=16 SEED=1 RUNS=1 OUT=""
PATHS=(stock bpf_prog_pack execmem)
KVERS=()

die() { echo "demo-tlb-work: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--nbpf) NBPF=$2; shift ;;
	--calls) CALLS=$2; shift ;;
	--warmup) WARMUP=$2; shift ;;
	--blocks) BLOCKS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '20,21s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	-*) die "unknown argument: $1" ;;
	*) KVERS+=("$1") ;;
	esac
	shift
done
[ ${#KVERS[@]} -gt 0 ] || die "KVER... required (scripts/setup.sh --print lists them)"
B=$ROOT/build/demo-tlb-work
[ -n "$OUT" ] || OUT=$B/tlb-work
mkdir -p "$B"

# execmem.ko and execmem_bench.ko for KVER in $B/KVER/ko (as scripts/demo.sh)
build_kos() {
	local kver=$1 d=$B/$1
	[ -f "$d/ko/execmem_bench.ko" ] && return 0
	echo "demo-tlb-work: $kver: building execmem.ko and execmem_bench.ko" >&2
	if ! build_tree "$kver" "$d/src" "$d/build.log" modules ||
		! kmake "$kver" "$d/src" M="$d/src/bench/kmod" \
			KBUILD_EXTRA_SYMBOLS="$d/src/Module.symvers" modules >>"$d/build.log" 2>&1; then
		die "building for $kver failed: $d/build.log"
	fi
	mkdir -p "$d/ko"
	cp "$d/src/execmem.ko" "$d/src/bench/kmod/execmem_bench.ko" "$d/ko/"
}

run_path() { # KVER PATH RUN
	local kver=$1 path=$2 d=$B/$1/$2/run$3
	rm -rf "$d" && mkdir -p "$d/payload"
	cp "$ROOT/tlb/work/run.sh" "$ROOT/tlb/work/ranges.sh" "$B/$kver/ko/"*.ko "$d/payload/"
	echo "$path $NBPF $SEED $WARMUP $CALLS $BLOCKS" >"$d/payload/params"
	echo "demo-tlb-work: $kver $path (run $3)" >&2
	"$HERE/tlb-run.sh" --kver "$kver" --payload "$d/payload" --out "$d/plugin.out" \
		>"$d/report.txt" || die "$kver $path: the run failed (build/tlb-run/guest.log)"
	cp "$ROOT/build/tlb-run/guest.log" "$d/guest.log"
	grep -q 'demo-tlb-work: WORK end' "$d/guest.log" ||
		die "$kver $path: the work did not finish (see $d/guest.log)"
}

for k in "${KVERS[@]}"; do
	mkdir -p "$B/$k"
	build_kos "$k"
	for r in $(seq 1 "$RUNS"); do
		for p in "${PATHS[@]}"; do run_path "$k" "$p" "$r"; done
	done
done
rc=0
python3 "$ROOT/tlb/work/table.py" "$OUT" "$B" "${KVERS[@]}" || rc=$?
echo "demo-tlb-work: wrote $OUT.md and $OUT.json" >&2
cat "$OUT.md"
exit $rc
