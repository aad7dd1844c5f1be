#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TLB pressure, modeled (docs/tlb-model.md): per kernel and path, fresh
# boots under the TLB plugin (scripts/tlb-run.sh, every profile, one vCPU)
# running one workload; its guest payload is tlb/workloads/WORKLOAD/
# (ranges.sh before the window, run.sh in it) and its table
# tlb/workloads/WORKLOAD/table.py.  Workloads (--workload):
#   bpf   the kernel's own code, paths stock and hosted (host=bpf):
#         tests/files/bpfrun loads NPROG BPF programs before the window and
#         runs them through BPF_PROG_TEST_RUN in its hot-set pattern in it
#         (HOT programs per round, ROUNDS measured rounds); "BPF programs,
#         stock vs host=bpf" in the doc
#   work  code that does work placed by each path, paths stock (7.2: its
#         ROX cache), bpf_prog_pack, execmem: the benchmark module places
#         NBPF BPF-sized and the module-sized allocations and calls them
#         (WARMUP, then CALLS measured calls of BLOCKS blocks); "Code that
#         does work" in the doc
#   kprobes  the kernel's own code, paths stock and hosted (host=kprobes):
#         NPROBES tracefs kprobes on the functions a workload calls are
#         registered before the window; in it the workload runs once to
#         warm up, then ROUNDS times measured; "kprobes firing under a
#         workload" in the doc
#   dmap  the kernel's data through a fragmented direct map, paths intact,
#         splitP for each P of PERCENTS (P % of the direct map's 2 MiB
#         ranges split by execmem's debugfs dmap before the window), healed
#         (the largest P split, then healed): tests/files/dmapwork (page
#         cache, slab, loopback network; FILE_MIB, READS, FILES, TCP_MIB,
#         UNIX_MIB per pass, PASSES measured after a warm-up pass);
#         "The experiment: what fragmentation costs" in docs/dmap.md
# Writes build/demo-tlb/tlb-WORKLOAD.{md,json} (or --out PREFIX), every
# figure modeled (profile X), and with gnuplot PREFIX.svg (tlb/plot.py),
# linked from PREFIX.md.  --runs N boots each kernel and path N
# times (the work table compares the runs; the bpf table shows run 1).
# --jobs N boots up to N guests at once (default 2: one per core here;
# the counts are modeled, so a loaded host changes only the timer
# interrupts that land in a window, as from run to run).
# Raw output per boot: build/demo-tlb/WORKLOAD/KVER/PATH/runN/.  Exit 1
# when the table finds a failed call, an incomplete window or a walk
# disagreeing with QEMU.
#
#   scripts/demo-tlb.sh [-w|--workload bpf|work|kprobes|dmap] [--seed 1]
#       [--runs 1] [--jobs 2] [--out PREFIX] [--rounds 2] (bpf, kprobes)
#       [--nprog 3000] [--hot 1000] (bpf) [--nprobes 1000] (kprobes)
#       [--nbpf 3000] [--calls 8000] [--warmup 2000] [--blocks 16] (work)
#       [--percents "5 25 100"] [--file-mib 64] [--reads 4000]
#       [--files 2000] [--tcp-mib 32] [--unix-mib 8] [--passes 2] (dmap)
#       KVER...
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=scripts/harness-lib.sh
. "$HERE/harness-lib.sh"
WL=bpf SEED=1 RUNS=1 JOBS=2 OUT=""
NPROG=3000 HOT=1000 ROUNDS=2
NBPF=3000 CALLS=8000 WARMUP=2000 BLOCKS=16 NPROBES=1000
PERCENTS="5 25 100" FILE_MIB=64 READS=4000 NFILES=2000 TCP_MIB=32 UNIX_MIB=8 PASSES=2
KVERS=()

die() { echo "demo-tlb: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	-w | --workload) WL=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--jobs) JOBS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--nprog) NPROG=$2; shift ;;
	--hot) HOT=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--nbpf) NBPF=$2; shift ;;
	--calls) CALLS=$2; shift ;;
	--warmup) WARMUP=$2; shift ;;
	--blocks) BLOCKS=$2; shift ;;
	--nprobes) NPROBES=$2; shift ;;
	--percents) PERCENTS=$2; shift ;;
	--file-mib) FILE_MIB=$2; shift ;;
	--reads) READS=$2; shift ;;
	--files) NFILES=$2; shift ;;
	--tcp-mib) TCP_MIB=$2; shift ;;
	--unix-mib) UNIX_MIB=$2; shift ;;
	--passes) PASSES=$2; shift ;;
	-h | --help) sed -n '/^#   scripts\/demo-tlb.sh/,/^#       KVER/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	-*) die "unknown argument: $1" ;;
	*) KVERS+=("$1") ;;
	esac
	shift
done
[ ${#KVERS[@]} -gt 0 ] || die "KVER... required (scripts/setup.sh --print lists them)"

# The workload: its paths, the modules and files its payload takes, its
# params line (read by its ranges.sh: the path first) and the guest line
# that says it finished.
WDIR=$ROOT/tlb/workloads/$WL
case $WL in
bpf)
	PATHS=(stock hosted) KOS=(execmem.ko) FILES=("$ROOT/tests/files/bpfrun")
	PARAMS="$NPROG $HOT $ROUNDS $SEED" DONE='demo-tlb: run result ok'
	make -s -C "$ROOT/tests/files" bpfrun ;;
work)
	PATHS=(stock bpf_prog_pack execmem) KOS=(execmem.ko execmem_bench.ko) FILES=()
	PARAMS="$NBPF $SEED $WARMUP $CALLS $BLOCKS" DONE='demo-tlb-work: WORK end' ;;
kprobes)
	PATHS=(stock hosted) KOS=(execmem.ko)
	FILES=("$ROOT/tests/files/bpfrun" "$WDIR/work.sh" "$ROOT/tests/files/host-lib.sh")
	PARAMS="$NPROBES $ROUNDS" DONE='demo-tlb-kprobes: done'
	make -s -C "$ROOT/tests/files" bpfrun ;;
dmap)
	# intact, splitP per P, healed: the largest P split, then healed
	PATHS=(intact) top=0
	for p in $PERCENTS; do
		if ! [[ $p =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 100 ]; then
			die "--percents: 1 to 100 each: $p"
		fi
		PATHS+=("split$p")
		[ "$p" -le "$top" ] || top=$p
	done
	[ "$top" -gt 0 ] || die "--percents: at least one"
	PATHS+=(healed) KOS=(execmem.ko) FILES=("$ROOT/tests/files/dmapwork")
	PARAMS="$top -f $FILE_MIB -r $READS -n $NFILES -t $TCP_MIB -u $UNIX_MIB -p $PASSES -s $SEED"
	DONE='demo-tlb-dmap: result ok'
	make -s -C "$ROOT/tests/files" dmapwork ;;
*) die "unknown workload: $WL (bpf, work, kprobes, dmap)" ;;
esac
B=$ROOT/build/demo-tlb
[ -n "$OUT" ] || OUT=$B/tlb-$WL
mkdir -p "$B"

# The modules the workload needs for KVER in $B/KVER/ko, built in a copy
# of the tree (as scripts/check.sh and scripts/demo.sh)
build_kos() {
	local kver=$1 d=$B/$1 ko
	for ko in "${KOS[@]}"; do [ -f "$d/ko/$ko" ] || break; done
	[ -f "$d/ko/$ko" ] && return 0
	echo "demo-tlb: $kver: building ${KOS[*]}" >&2
	mkdir -p "$d/ko"
	build_tree "$kver" "$d/src" "$d/build.log" modules ||
		die "building execmem for $kver failed: $d/build.log"
	cp "$d/src/execmem.ko" "$d/ko/"
	[[ " ${KOS[*]} " == *" execmem_bench.ko "* ]] || return 0
	kmake "$kver" "$d/src" M="$d/src/bench/kmod" \
		KBUILD_EXTRA_SYMBOLS="$d/src/Module.symvers" modules >>"$d/build.log" 2>&1 ||
		die "building execmem_bench for $kver failed: $d/build.log"
	cp "$d/src/bench/kmod/execmem_bench.ko" "$d/ko/"
}

run_path() { # KVER PATH RUN
	local kver=$1 path=$2 d=$B/$WL/$1/$2/run$3 ko
	rm -rf "$d" && mkdir -p "$d/payload"
	cp "$WDIR/run.sh" "$WDIR/ranges.sh" ${FILES[@]+"${FILES[@]}"} "$d/payload/"
	for ko in "${KOS[@]}"; do cp "$B/$kver/ko/$ko" "$d/payload/"; done
	echo "$path $PARAMS" >"$d/payload/params"
	echo "demo-tlb: $WL: $kver $path (run $3): $PARAMS" >&2
	"$HERE/tlb-run.sh" --kver "$kver" --payload "$d/payload" --out "$d/plugin.out" \
		--dir "$d/tlb-run" >"$d/report.txt" ||
		{ echo "demo-tlb: $kver $path: the run failed ($d/tlb-run/guest.log)" >&2; return 1; }
	cp "$d/tlb-run/guest.log" "$d/guest.log"
	grep -q "$DONE" "$d/guest.log" ||
		{ echo "demo-tlb: $kver $path: the workload did not finish (see $d/guest.log)" >&2; return 1; }
}

# Every kernel's modules first, then the boots, up to JOBS at once
make -s -C "$ROOT/tlb" plugin >/dev/null
for k in "${KVERS[@]}"; do build_kos "$k"; done
rm -f "$B/$WL".failed.*
for k in "${KVERS[@]}"; do
	for r in $(seq 1 "$RUNS"); do
		for p in "${PATHS[@]}"; do
			while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
			{ run_path "$k" "$p" "$r" || touch "$B/$WL.failed.$k.$p.$r"; } &
		done
	done
done
wait
failed=$(find "$B" -maxdepth 1 -name "$WL.failed.*" | wc -l)
[ "$failed" = 0 ] || die "$failed run(s) failed (above)"
rc=0
DEMO_TLB_PATHS="${PATHS[*]}" python3 "$WDIR/table.py" "$OUT" "$B/$WL" "${KVERS[@]}" || rc=$?
if command -v gnuplot >/dev/null; then
	python3 "$ROOT/tlb/plot.py" "$OUT" || echo "demo-tlb: the plot failed" >&2
else
	echo "demo-tlb: no gnuplot, no plot (scripts/setup.sh installs gnuplot-nox)" >&2
fi
echo "demo-tlb: wrote $OUT.md and $OUT.json" >&2
cat "$OUT.md"
exit $rc
