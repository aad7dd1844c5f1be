#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TLB pressure of the kernel's own code, modeled (docs/tlb-model.md,
# "BPF programs, stock vs host=bpf"): per kernel, two fresh boots under the
# TLB plugin (scripts/tlb-run.sh), one per path:
#   stock   execmem loaded, hosting nothing: BPF JIT packs from the kernel
#   hosted  execmem loaded with host=bpf: the packs in 2 MiB ROX leaves
# In each, tests/files/bpfrun loads NPROG socket-filter programs before the
# window (fixed seed: the same programs on both paths), then, in the window,
# runs them through BPF_PROG_TEST_RUN in its hot-set pattern (bpfrun -x:
# HOT programs spread over every pack, each once per round, plus HOT/4
# random ones; one warm-up round, then ROUNDS measured).  Writes
# build/demo-tlb/tlb-bpf.{md,json} (or --out PREFIX) with, per kernel,
# profile and path: instructions in the window, iTLB walks (all classes and
# the module area: modules + bpf + hosted), walks per million instructions,
# and host / stock ratios; every figure modeled (profile X).  Exit 1 when a
# window is incomplete, a walk disagreed with QEMU or a call failed.
#
#   scripts/demo-tlb.sh [--nprog 3000] [--hot 1000] [--rounds 2] [--seed 1]
#                       [--out PREFIX] KVER...
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
NPROG=3000 HOT=1000 ROUNDS=2 SEED=1 OUT=""
KVERS=()

die() { echo "demo-tlb: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--nprog) NPROG=$2; shift ;;
	--hot) HOT=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--out) OUT=$2; shift ;;
	-h | --help) sed -n '20,21s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	-*) die "unknown argument: $1" ;;
	*) KVERS+=("$1") ;;
	esac
	shift
done
[ ${#KVERS[@]} -gt 0 ] || die "KVER... required (scripts/setup.sh --print lists them)"
B=$TOP/build/demo-tlb
[ -n "$OUT" ] || OUT=$B/tlb-bpf
mkdir -p "$B"

# execmem.ko for KVER, built in a copy of the tree (as scripts/check.sh)
build_ko() {
	local kver=$1 d=$B/$1
	if [ ! -f "$d/src/execmem.ko" ]; then
		"$HERE/copy-tree.sh" "$d/src" >/dev/null
		nice make -C "$d/src" KVER="$kver" modules >"$d/build.log" 2>&1 ||
			die "building execmem for $kver failed: $d/build.log"
	fi
}

run_path() { # KVER PATH
	local kver=$1 path=$2 d=$B/$1/$2
	rm -rf "$d" && mkdir -p "$d/payload"
	cp "$TOP/tlb/demo/run.sh" "$TOP/tlb/demo/ranges.sh" "$TOP/tests/files/bpfrun" \
		"$B/$kver/src/execmem.ko" "$d/payload/"
	echo "$path $NPROG $HOT $ROUNDS $SEED" >"$d/payload/params"
	echo "demo-tlb: $kver $path: $NPROG programs, hot set $HOT x $ROUNDS rounds" >&2
	"$HERE/tlb-run.sh" --kver "$kver" --payload "$d/payload" --out "$d/plugin.out" \
		>"$d/report.txt" || die "$kver $path: the run failed (build/tlb-run/guest.log)"
	cp "$TOP/build/tlb-run/guest.log" "$d/guest.log"
	grep -q 'demo-tlb: run result ok' "$d/guest.log" ||
		die "$kver $path: bpfrun did not succeed (see $d/guest.log)"
}

make -s -C "$TOP/tests/files" bpfrun
for k in "${KVERS[@]}"; do
	mkdir -p "$B/$k"
	build_ko "$k"
	for p in stock hosted; do run_path "$k" $p; done
done
rc=0
python3 "$TOP/tlb/demo/table.py" "$OUT" "$B" "${KVERS[@]}" || rc=$?
echo "demo-tlb: wrote $OUT.md and $OUT.json" >&2
cat "$OUT.md"
exit $rc
