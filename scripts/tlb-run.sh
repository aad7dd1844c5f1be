#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a workload under the TLB model (docs/tlb-model.md, "Running it"):
# boot a stock kernel under the newer QEMU (scripts/qemu-new.sh) with the
# TLB plugin, run the payload inside one measured window and print the
# modeled counts per profile.
#
#   scripts/tlb-run.sh --kver KVER --payload DIR|FILE [--profile NAME|FILE]...
#       [--out FILE] [--smp N (1)] [--mem SIZE (2G)] [--timeout SEC (600)]
#       [--vmlinuz PATH] [--append "ARGS"] [--icount] [--dir DIR]
#
# Payload: a directory with run.sh (run by sh in the window, from that
# directory, with everything else in it at hand), a directory of .ko/.ko.xz
# files (insmod in the window, rmmod after), a *.sh script, a .ko, or a
# static executable (run in the window).  An optional ranges.sh in a
# payload directory is sourced before the window: its
# `/files/tlbmark range NAME START END` lines name address ranges (up to 8
# names) that the counts are then attributed to.  Profiles: names in
# tlb/profiles/ (default: all of them) or files.  --out keeps the plugin's
# raw output (default DIR/plugin.out).  --dir is the work directory
# (default build/tlb-run: guest.log, plugin.log, the initramfs files; it is
# emptied first), one per run when several run at once.  --icount runs QEMU with
# -icount shift=0,sleep=off (repeatable runs; see the doc for its cost).
# The kernel boots with nokaslr (the plugin's address classes assume the
# default layout).  One vCPU by default; with --smp > 1 TCG runs
# multi-threaded (--tcg-thread multi): with one TCG thread for several vCPUs,
# QEMU 11.1 hands callbacks the wrong vCPU index (docs/tlb-model.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
KVER="" PAYLOAD="" OUTF="" SMP=1 MEM=2G TIMEOUT=600 VMLINUZ="" APPEND="" ICOUNT=0
DIR=$TOP/build/tlb-run
PROFS=()

die() { echo "tlb-run: $*" >&2; exit 2; }
usage() { sed -n '8,11s/^# \{0,1\}//p' "$0" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--kver) KVER=$2; shift ;;
	--payload) PAYLOAD=$2; shift ;;
	--profile) PROFS+=("$2"); shift ;;
	--out) OUTF=$2; shift ;;
	--smp) SMP=$2; shift ;;
	--mem) MEM=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--vmlinuz) VMLINUZ=$2; shift ;;
	--append) APPEND=$2; shift ;;
	--icount) ICOUNT=1 ;;
	--dir) DIR=$2; shift ;;
	-h | --help) usage ;;
	*) die "unknown argument: $1" ;;
	esac
	shift
done
[ -n "$KVER$VMLINUZ" ] || usage
[ -e "${PAYLOAD:-/nonexistent}" ] || die "--payload DIR|FILE required"
[ ${#PROFS[@]} -gt 0 ] || PROFS=("$TOP"/tlb/profiles/*.conf)

profile_file() { # NAME or FILE -> absolute path
	if [ -f "$1" ]; then realpath "$1"
	elif [ -f "$TOP/tlb/profiles/$1.conf" ]; then echo "$TOP/tlb/profiles/$1.conf"
	else die "no profile $1 (see tlb/profiles/)"
	fi
}

# stage_payload FILESDIR: payload/ and payload.mode
stage_payload() {
	local files=$1 name
	mkdir -p "$files/payload"
	if [ -d "$PAYLOAD" ]; then
		cp -a "$PAYLOAD/." "$files/payload/"
		if [ -f "$PAYLOAD/run.sh" ]; then echo "script run.sh"
		elif [ -n "$(find "$PAYLOAD" -maxdepth 1 -name '*.ko' -o -maxdepth 1 -name '*.ko.xz')" ]; then
			echo ko
		else die "payload directory needs run.sh or .ko files"
		fi >"$files/payload.mode"
		return
	fi
	name=$(basename "$PAYLOAD")
	cp "$PAYLOAD" "$files/payload/"
	case $name in
	*.sh) echo "script $name" ;;
	*.ko | *.ko.xz) echo ko ;;
	*) [ -x "$PAYLOAD" ] || die "$PAYLOAD: not a script, module or executable"
	   echo "exec $name" ;;
	esac >"$files/payload.mode"
}

main() {
	local dir plugin p qargs=()
	make -s -C "$TOP/tlb" plugin >/dev/null
	dir=$(realpath -m "$DIR")
	rm -rf "$dir" && mkdir -p "$dir/files" "$dir/empty"
	[ -n "$OUTF" ] || OUTF=$dir/plugin.out
	mkdir -p "$(dirname "$OUTF")"
	OUTF=$(realpath "$OUTF")
	cp "$TOP/tlb/out/tlbmark" "$dir/files/"
	stage_payload "$dir/files"
	plugin=$TOP/tlb/out/tlbplugin.so,out=$OUTF
	for p in "${PROFS[@]}"; do plugin=$plugin,profile=$(profile_file "$p"); done
	qargs=(--qemu-arg -plugin --qemu-arg "$plugin"
		--qemu-arg -d --qemu-arg plugin --qemu-arg -D --qemu-arg "$dir/plugin.log")
	# shellcheck disable=SC2054 # one QEMU argument with commas
	[ $ICOUNT = 0 ] || qargs+=(--qemu-arg -icount --qemu-arg shift=0,sleep=off)
	"$HERE/qemu-run.sh" ${KVER:+--kver "$KVER"} ${VMLINUZ:+--vmlinuz "$VMLINUZ"} \
		--ko-dir "$dir/empty" --files "$dir/files" --script "$TOP/tlb/guest-run.sh" \
		--log "$dir/guest.log" --qemu new --smp "$SMP" --mem "$MEM" \
		--timeout "$TIMEOUT" --append "nokaslr $APPEND" "${qargs[@]}" \
		--tcg-thread "$([ "$SMP" -gt 1 ] && echo multi || echo single)" ||
		die "the run failed (guest log: $dir/guest.log, plugin log: $dir/plugin.log)"
	python3 "$TOP/tlb/report.py" "$OUTF" 1
}

main
