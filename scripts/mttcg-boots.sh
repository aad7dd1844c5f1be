#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A one-off measurement, not a test (make check does not run it): how often
# does a stock kernel crash or hang while it boots under multi-threaded TCG?
# (QEMU 7.2's sometimes Oopses in the kernel's jump-label patching:
# docs/testing.md, "Parallel vCPUs".)  Each boot runs scripts/qemu-run.sh
# --mttcg --no-retry with a guest script that does nothing: /init starts,
# prints its marker, reboots (QEMU exits).  The raw outcome of every boot is
# counted, with no retry.
#
#   scripts/mttcg-boots.sh [--qemu old|new] [--thread multi|single] [-n N]
#       [--smp 2] [--timeout SEC (120)] [--out DIR] [KVER...]
#
# KVER...: default every stock kernel of `scripts/setup.sh --print`.  The
# boots go round-robin over the kernels (so a change of the host's load is
# shared by all), N each (default 30).  One line per boot is appended to
# DIR/tally.tsv (default build/mttcg-boots): date, QEMU version, thread
# mode, kernel, verdict (ok, crash, hang, fail), seconds, reason; the serial
# log of a boot that was not ok is kept as DIR/KVER-QEMU-THREAD-I.log.  The
# end prints a summary per kernel (also of earlier runs in the same file).
# Run it niced on a shared machine; one QEMU at a time.  `touch DIR/stop`
# ends the run after the boot under way (the file is removed).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QEMU=new THREAD=multi N=30 SMP=2 TIMEOUT=120 OUT=$HERE/../build/mttcg-boots
KVERS=()

die() { echo "mttcg-boots: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case $1 in
	--qemu) QEMU=$2; shift ;;
	--thread) THREAD=$2; shift ;;
	-n) N=$2; shift ;;
	--smp) SMP=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	--out) OUT=$2; shift ;;
	-*) die "unknown argument: $1" ;;
	*) KVERS+=("$1") ;;
	esac
	shift
done
case $QEMU in old | new) ;; *) die "--qemu old|new" ;; esac
case $THREAD in multi | single) ;; *) die "--thread multi|single" ;; esac
if [ ${#KVERS[@]} = 0 ]; then
	mapfile -t KVERS < <("$HERE/setup.sh" --print | cut -d' ' -f1)
fi
if [ "$QEMU" = new ]; then
	QVER=$("$HERE/qemu-new.sh" --print-version)
else
	QVER=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p')
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/ko"
# shellcheck disable=SC2016 # expanded in the guest
echo 'echo "mttcg-boots: /init reached on $(grep -c ^processor /proc/cpuinfo) CPUs"' >"$TMP/boot.sh"
args=(--qemu "$QEMU" --no-retry --smp "$SMP" --timeout "$TIMEOUT" --ko-dir "$TMP/ko"
	--script "$TMP/boot.sh")
[ "$THREAD" = single ] || args+=(--mttcg)
export EXECMEM_KVM=0 EXECMEM_MTTCG_OLD=1

# outcome LOG ERR: verdict and reason of one boot
outcome() {
	local log=$1 err=$2 bad reason
	reason=$(sed -n 's/^qemu-run: FAIL: //p' "$err" | tail -n1)
	bad=$(tr -d '\r' <"$log" | grep -m1 -E 'Oops|int3|Kernel panic|BUG:|WARNING:|general protection' || true)
	if grep -q '^qemu-run: PASS' "$err"; then
		echo ok
	elif [ -n "$bad" ]; then
		echo "crash	$bad"
	elif [[ $reason == *hang* || $reason == *timeout* ]]; then
		echo "hang	$reason"
	else
		echo "fail	$reason"
	fi
}

rm -f "$OUT/stop"
for ((i = 1; i <= N; i++)); do
	for k in "${KVERS[@]}"; do
		[ ! -e "$OUT/stop" ] || break 2
		log=$TMP/boot.log
		t0=$(date +%s%N)
		nice "$HERE/qemu-run.sh" --kver "$k" --log "$log" "${args[@]}" 2>"$TMP/err" || true
		ms=$((($(date +%s%N) - t0) / 1000000))
		res=$(outcome "$log" "$TMP/err")
		v=${res%%	*}
		reason=${res#"$v"}
		reason=${reason#	}
		[ "$v" = ok ] || cp "$log" "$OUT/$k-$QEMU-$THREAD-$i.log"
		printf '%s\t%s\t%s\t%s\t%s\t%d.%03d\t%s\n' "$(date -u +%FT%TZ)" "$QVER" "$THREAD" "$k" \
			"$v" $((ms / 1000)) $((ms % 1000)) "$reason" | tee -a "$OUT/tally.tsv"
	done
done

rm -f "$OUT/stop"
echo "# QEMU thread kernel: boots ok crash hang fail, mean s/boot"
awk -F'\t' '{ key = $2 " " $3 " " $4; n[key]++; c[key, $5]++; s[key] += $6 }
	END { for (k in n) printf "%s: %d %d %d %d %d, %.1f\n", k, n[k], c[k, "ok"],
		c[k, "crash"], c[k, "hang"], c[k, "fail"], s[k] / n[k] }' "$OUT/tally.tsv" | sort
