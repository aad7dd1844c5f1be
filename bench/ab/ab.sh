#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A/B timing of execmem's allocation paths: this tree ("new") against an
# earlier commit ("old"), interleaved in one boot per kernel.
#
#   bench/ab/ab.sh [--old COMMIT] [--boots N] [--rounds N] [--per-round N]
#                  [--max-size BYTES] [--events] [KVER...]
#
# The old commit is built with its module renamed execmem_old.ko and its
# exported symbols execmem_old_*, so that both load side by side;
# execmem_ab.ko then runs the same seeded requests through both, in
# alternating order, round after round (see execmem_ab.c), in each of
# --boots fresh boots (default 3: where the two modules land shifts "ops"
# by up to ~5 % from boot to boot, even with the same commit on both sides,
# more than one boot's interval shows).  For each metric the result is the
# median of the per-round ratios new/old with a 95 % bootstrap interval,
# two-level over boots and their rounds (2000 resamples): below 1.0 the new
# build is faster.  Output: build/ab/KVER.bootN.log (serial logs),
# build/ab/summary.txt.
# --events enables the new build's tracepoints (events/execmem, not the old
# build's events/execmem_old) for the whole run: with --old at the same
# commit, the cost of tracing enabled (docs/tracing.md).
# Default old commit: e2cb5c4, the last one before the hardening and the
# reshape of issues 10 and 11.  Kernels: 6.1 and 6.12 by default.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/build/ab
OLD=e2cb5c4 BOOTS=3 ROUNDS=30 PER_ROUND=400 MAX_SIZE=2048 EVENTS=
KVERS=()
while [ $# -gt 0 ]; do
	case $1 in
	--old) OLD=$2; shift ;;
	--boots) BOOTS=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--per-round) PER_ROUND=$2; shift ;;
	--max-size) MAX_SIZE=$2; shift ;;
	--events) EVENTS='{ [ -d /sys/kernel/tracing/events ] || mount -t tracefs tracefs /sys/kernel/tracing; } && echo 1 >/sys/kernel/tracing/events/execmem/enable &&' ;;
	-*) echo "ab.sh: unknown option $1" >&2; exit 2 ;;
	*) KVERS+=("$1") ;;
	esac
	shift
done
if [ ${#KVERS[@]} = 0 ]; then
	mapfile -t KVERS < <("$ROOT/scripts/setup.sh" --print | awk '$1 !~ /deb13/ {print $1}')
fi
log() { echo "ab: $*" >&2; }
# shellcheck source=scripts/harness-lib.sh
. "$ROOT/scripts/harness-lib.sh"

# The old tree, renamed: module execmem_old, exports execmem_old_*.
old_tree() {
	local d=$1 s
	rm -rf "$d" && mkdir -p "$d"
	git -C "$ROOT" archive "$OLD" | tar -x -C "$d"
	sed -i 's/^obj-m := execmem\.o/obj-m := execmem_old.o/; s/^execmem-y :=/execmem_old-y :=/' "$d/Kbuild"
	sed -i 's/^execmem-y +=/execmem_old-y +=/' "$d/Kbuild"
	# its tracepoints, if it has them, in a system of their own
	[ ! -f "$d/execmem_trace.h" ] ||
		sed -i 's/^#define TRACE_SYSTEM execmem$/#define TRACE_SYSTEM execmem_old/' "$d/execmem_trace.h"
	for s in alloc alloc_for alloc_aligned alloc_node free free_for write write_for set_name set_name_for \
		text_gen_return get_stats; do
		echo "ccflags-y += -Dexecmem_$s=execmem_old_$s" >>"$d/Kbuild"
	done
}

build() { # KVER DIR
	local kver=$1 d=$2 api=0
	mkdir -p "$d"
	build_tree "$kver" "$d/new" "$d/build.log" modules || return 1
	old_tree "$d/old"
	make -C "$d/old" KVER="$kver" modules >>"$d/build.log" 2>&1
	rm -rf "$d/bench" "$d/include" && mkdir -p "$d/bench"
	cp -r "$ROOT/bench/ab" "$d/bench/ab" && cp -r "$ROOT/include" "$d/include"
	# an old tree that already has the owner API exports execmem_alloc_for
	local fapi=0
	! grep -q execmem_alloc_for "$d/old/include/execmem.h" || api=1
	! grep -q execmem_free_for "$d/old/include/execmem.h" || fapi=1
	kmake "$kver" "$d" M="$d/bench/ab" AB_OLD_ALLOC_FOR=$api AB_OLD_FREE_FOR=$fapi \
		KBUILD_EXTRA_SYMBOLS="$d/new/Module.symvers $d/old/Module.symvers" \
		modules >>"$d/build.log" 2>&1
	mkdir -p "$d/ko"
	cp "$d/new/execmem.ko" "$d/old/execmem_old.ko" "$d/bench/ab/execmem_ab.ko" "$d/ko/"
}

mkdir -p "$OUT"
: >"$OUT/summary.txt"
for kver in "${KVERS[@]}"; do
	d=$OUT/$kver
	log "$kver: building new, old ($OLD) and execmem_ab.ko"
	build "$kver" "$d" || { log "$kver: build failed (see $d/build.log)"; exit 1; }
	cat >"$d/guest.sh" <<-GUEST
		insmod /modules/execmem.ko && insmod /modules/execmem_old.ko && $EVENTS
			insmod /modules/execmem_ab.ko rounds=$ROUNDS per_round=$PER_ROUND max_size=$MAX_SIZE
	GUEST
	log "$kver: $BOOTS boot(s), $ROUNDS rounds x $PER_ROUND requests of 64..$MAX_SIZE bytes per build"
	logs=()
	for b in $(seq 1 "$BOOTS"); do
		"$ROOT/scripts/qemu-run.sh" --kver "$kver" --ko-dir "$d/ko" --script "$d/guest.sh" \
			--log "$OUT/$kver.boot$b.log" --timeout 900 >&2
		logs+=("$OUT/$kver.boot$b.log")
	done
	python3 "$ROOT/bench/ab/ab-summary.py" "$kver" "$OLD" "${logs[@]}" | tee -a "$OUT/summary.txt"
done
