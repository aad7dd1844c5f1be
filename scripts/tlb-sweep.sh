#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Validation of the TLB model (issue 23, docs/tlb-model.md "Validation"):
# one boot of a stock kernel under the newer QEMU with the TLB plugin, the
# guest runs tlb/tlbsweep over code and data footprints on both sides of
# every level's capacity of every profile, and tlb/sweep.py checks that the
# modeled misses and walks turn where the profiles put the capacities.
# KTAP on stdout; exit 0 iff every knee is in place and no walk disagreed
# with QEMU's physical address.
#
#   scripts/tlb-sweep.sh [--kver KVER] [--dir DIR] [--profiles "A.conf B.conf"]
#                        [--model-profiles "A.conf B.conf"]
#
# --profiles: the profiles whose capacities are expected (default: all of
# tlb/profiles/).  --model-profiles: the files the plugin loads instead
# (default: the same); a copy with a wrong entry count shows the test
# failing.  DIR (default build/tlb-sweep) keeps the guest log, the plugin
# output (plugin.out) and the guest commands.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
KVER="" DIR=$TOP/build/tlb-sweep PASSES=4
PROFILES="" MODEL=""

die() { echo "tlb-sweep: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--kver) KVER=$2; shift ;;
	--dir) DIR=$2; shift ;;
	--profiles) PROFILES=$2; shift ;;
	--model-profiles) MODEL=$2; shift ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ -n "$PROFILES" ] || PROFILES=$(ls "$TOP"/tlb/profiles/*.conf)
[ -n "$MODEL" ] || MODEL=$PROFILES
if [ -z "$KVER" ]; then
	KVER=$("$HERE/setup.sh" --print | awk '$1 ~ /^6\.12\./ { print $1 }' | tail -n1)
	[ -n "$KVER" ] || die "no 6.12 kernel cached: run scripts/setup.sh"
fi

if ! "$HERE/qemu-new.sh" --version >/dev/null 2>&1; then
	# EXECMEM_NO_72=1 setups have no chroot, hence no QEMU 11
	printf 'KTAP version 1\n1..0 # SKIP no QEMU 11 in the trixie chroot (scripts/setup.sh)\n'
	exit 0
fi
make -s -C "$TOP/tlb" plugin >/dev/null
OUT=$TOP/tlb/out
rm -rf "$DIR" && mkdir -p "$DIR/files" "$DIR/empty"
DIR=$(cd "$DIR" && pwd)
cp "$OUT/tlbmark" "$OUT/tlbsweep" "$DIR/files/"
# shellcheck disable=SC2086 # lists of files
"$OUT/tlbcap" $PROFILES >"$DIR/caps"
python3 "$TOP/tlb/sweep.py" plan "$DIR/caps" $PASSES >"$DIR/guest.sh"

plugin=$OUT/tlbplugin.so,out=$DIR/plugin.out
for p in $MODEL; do plugin=$plugin,profile=$(realpath "$p"); done
t0=$(date +%s)
"$HERE/qemu-run.sh" --kver "$KVER" --ko-dir "$DIR/empty" --files "$DIR/files" \
	--script "$DIR/guest.sh" --log "$DIR/guest.log" --qemu new --smp 1 \
	--append nokaslr --qemu-arg -plugin --qemu-arg "$plugin" \
	--qemu-arg -d --qemu-arg plugin --qemu-arg -D --qemu-arg "$DIR/plugin.log" >&2 ||
	die "the sweep's boot failed (log: $DIR/guest.log)"
echo "# tlb-sweep: $KVER, one boot, $(($(date +%s) - t0)) s" >&2
python3 "$TOP/tlb/sweep.py" check "$DIR/caps" $PASSES "$DIR/plugin.out"
