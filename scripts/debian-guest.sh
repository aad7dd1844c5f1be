#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian guest test: execmem installed and used the way a user does it,
# in a full Debian 12 system booted under QEMU (tests/debian/guest-test.sh
# says what is tested).  KTAP on stdout; progress on stderr.
#
#   scripts/debian-guest.sh [--out DIR] [--timeout SEC]
#
# 1. scripts/debian-guest-image.sh: the cached Debian 12 image (built once,
#    about 5 min cold), with its kernel and initramfs.
# 2. The Debian packages, built here from the tree as a fresh clone has it
#    (scripts/deb.sh, as `make deb` does, lintian included), and again at a
#    newer upstream version (scripts/deb.sh --version VERSION+up1, lintian
#    and the build-time tests left out) for the upgrade.
# 3. A job disk (ext4 made by mke2fs -d, attached read-only as /dev/vdb):
#    run.sh = tests/debian/guest-test.sh, debs/ and debs-up/ = the two
#    builds' execmem-dkms and execmem-tools, src/ = this source tree
#    (scripts/copy-tree.sh: the example client, the benchmark module),
#    env = the second kernel's release, a random value for the example
#    client to return, the two upstream versions.
# 4. A qcow2 overlay on the cached image (qemu-img create -b): every run
#    starts from the pristine image and leaves it untouched.
# 5. Boots with -no-reboot until the guest says "EXECMEM-GUEST: done" (the
#    test reboots once: "EXECMEM-GUEST: reboot"), within --timeout seconds
#    in all (default 3600: five DKMS builds, a few minutes each on an idle
#    host; 22 min for one was seen on a loaded host).  TCG, thread=single,
#    -cpu max,la57=off, 2 vCPUs, 2 GiB; kernel command line root=/dev/vda
#    console=ttyS0 panic=-1 loglevel=5, hung tasks reported after 600 s
#    (HUNG, below), plus $EXECMEM_GUEST_APPEND if set.
#
# Output: a KTAP document "debian_guest_harness" (image, packages, job disk, and
# "guest": every boot reached the test and ended with its marker, no kernel
# error in the serial logs), then the guest's own KTAP document (its lines
# "EXECMEM-KTAP: ..." of the serial logs).  Exit 0 iff nothing failed.
# Files in --out DIR (default build/debian-guest): image.err, deb/ and
# deb-up/ (scripts/deb.sh's output: build.log, lintian.log), deb.err, job/, job.raw,
# bootN.log (serial), qemu.err; overlay.qcow2 is deleted at the end unless
# EXECMEM_GUEST_KEEP=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$ROOT/build/debian-guest
TIMEOUT=3600
MAX_BOOTS=3
BAD_RE='BUG:|WARNING:|Oops|Call Trace|KASAN|Kernel panic|general protection fault|UBSAN'
# The hung-task detector's 120 s: a DKMS build or an update-initramfs in
# this guest waits on its emulated disk, and TCG on a host running other
# QEMUs runs it several times slower than native (stop 29's CI: "boot 2: no
# kernel error in dmesg" failed once, most likely so: what it matched was
# logged below the console's level, as a hung-task report's "Call Trace" is).
# 600 s: a real deadlock is still reported, and also ends in the timeout.
HUNG=sysctl.kernel.hung_task_timeout_secs=600

while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	*) echo "usage: $0 [--out DIR] [--timeout SEC]" >&2; exit 2 ;;
	esac
done

log() { printf '%s debian-guest: %s\n' "$(date +%T)" "$*" >&2; }

RESULTS=()
result() { # result 0|1 DESCRIPTION
	local n=$((${#RESULTS[@]} + 1))
	if [ "$1" = 0 ]; then RESULTS+=("ok $n - $2"); else RESULTS+=("not ok $n - $2"); log "FAIL: $2"; fi
}

QPID=""
cleanup() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null || true
		wait "$QPID" 2>/dev/null || true
	fi
	[ "${EXECMEM_GUEST_KEEP:-0}" = 1 ] || rm -f "$OUT/overlay.qcow2"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

report() {
	local r
	echo "KTAP version 1"
	echo "# suite: debian_guest_harness"
	echo "1..${#RESULTS[@]}"
	for r in "${RESULTS[@]}"; do echo "$r"; done
	# The guest's document, from every boot's serial log.
	for r in "$OUT"/boot*.log; do
		[ -f "$r" ] || continue
		tr -d '\r' <"$r" | sed -n 's/^.*EXECMEM-KTAP: //p'
	done
}

# make_debs: the packages, and the newer ones for the upgrade test
make_debs() {
	"$HERE/deb.sh" --out "$OUT/deb" &&
		DEB_BUILD_OPTIONS=nocheck "$HERE/deb.sh" --out "$OUT/deb-up" \
			--version "$PV2" --no-lintian
}

make_job() { # the job disk: the test script, the packages, the source tree, env
	local k2=$1 d
	rm -rf "$OUT/job" "$OUT/job.raw"
	mkdir -p "$OUT/job/debs" "$OUT/job/debs-up"
	for d in debs:deb debs-up:deb-up; do
		cp "$OUT/${d#*:}"/execmem-dkms_*_all.deb "$OUT/${d#*:}"/execmem-tools_*.deb "$OUT/job/${d%:*}/"
	done
	"$HERE/copy-tree.sh" "$OUT/job/src"
	cp "$ROOT/tests/debian/guest-test.sh" "$OUT/job/run.sh"
	printf 'K2=%s\nV=%s\nPV=%s\nPV2=%s\n' "$k2" $((RANDOM % 90000 + 1000)) "$PV" "$PV2" >"$OUT/job/env"
	truncate -s 512M "$OUT/job.raw"
	mke2fs -q -t ext4 -d "$OUT/job" "$OUT/job.raw"
}

boot() { # boot N SECS: one boot of the overlay; sets QRC
	local log=$OUT/boot$1.log accel=(-accel "tcg,thread=single" -cpu "max,la57=off")
	[ "${EXECMEM_KVM:-0}" != 1 ] || accel=(-accel kvm -cpu host)
	: >"$log"
	timeout --kill-after=10 "$2" qemu-system-x86_64 "${accel[@]}" \
		-m 2G -smp 2 -nographic -monitor none -no-reboot -nic none \
		-chardev "file,id=ser0,path=${log//,/,,}" -serial chardev:ser0 \
		-drive "file=$OUT/overlay.qcow2,if=virtio,format=qcow2" \
		-drive "file=$OUT/job.raw,if=virtio,format=raw,readonly=on" \
		-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 panic=-1 loglevel=5 systemd.show_status=0 $HUNG ${EXECMEM_GUEST_APPEND:-}" \
		</dev/null >>"$OUT/qemu.err" 2>&1 &
	QPID=$!
	QRC=0
	wait "$QPID" || QRC=$?
	QPID=""
}

main() {
	local t0=$SECONDS t1 img_s n left reason="" clean bad k2 retried=0
	mkdir -p "$OUT"
	rm -f "$OUT"/boot*.log "$OUT/qemu.err" "$OUT/overlay.qcow2"

	log "image: scripts/debian-guest-image.sh (log: $OUT/image.err)"
	if ! IMG=$("$HERE/debian-guest-image.sh" 2>"$OUT/image.err") || [ ! -s "$IMG/disk.raw" ]; then
		tail -n 20 "$OUT/image.err" >&2
		result 1 "image: scripts/debian-guest-image.sh failed (see $OUT/image.err)"
		report
		return 1
	fi
	img_s=$((SECONDS - t0))
	k2=$(cat "$IMG/kver2")
	result 0 "image: Debian 12, $(cat "$IMG/kver") running, $k2 to install (${img_s} s)"

	PV=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$ROOT/dkms.conf")
	PV2=$PV+up1
	t1=$SECONDS
	log "packages: scripts/deb.sh (log: $OUT/deb.err)"
	if ! make_debs 2>"$OUT/deb.err"; then
		tail -n 30 "$OUT/deb.err" >&2
		result 1 "packages: scripts/deb.sh failed (see $OUT/deb.err)"
		report
		return 1
	fi
	result 0 "packages: execmem-dkms and execmem-tools $PV-1 built, lintian: no error, no warning; $PV2-1 built ($((SECONDS - t1)) s)"

	if ! { make_job "$k2" && qemu-img create -q -f qcow2 -F raw -b "$IMG/disk.raw" \
		"$OUT/overlay.qcow2"; } >"$OUT/job.err" 2>&1; then
		cat "$OUT/job.err" >&2
		result 1 "job disk and overlay (see $OUT/job.err)"
		report
		return 1
	fi
	result 0 "job disk (source tree, tests/debian/guest-test.sh) and a fresh overlay"

	t1=$SECONDS
	for ((n = 1; n <= MAX_BOOTS; n++)); do
		left=$((TIMEOUT - (SECONDS - t1)))
		[ $left -gt 0 ] || { reason="timeout after ${TIMEOUT} s in all"; break; }
		log "boot $n (serial log: $OUT/boot$n.log; up to $left s)"
		boot "$n" "$left"
		clean=$(tr -d '\r' <"$OUT/boot$n.log")
		# (the guest's own KTAP lines quote its dmesg: its tests 17 and
		# 23 count that; "#" would cut a KTAP description)
		bad=$(echo "$clean" | grep -v '^EXECMEM-KTAP:' | grep -m1 -E "$BAD_RE" | tr -d '#' || true)
		log "boot $n: qemu exited ($QRC) after $((SECONDS - t1)) s"
		if [ -n "$bad" ]; then
			reason="boot $n: kernel error: $bad"
			break
		elif ! echo "$clean" | grep -q 'EXECMEM-GUEST: start'; then
			# A boot that never reached the test: once, from scratch.
			if [ $n = 1 ] && [ $retried = 0 ] && [ "$QRC" != 124 ]; then
				retried=1
				mv "$OUT/boot1.log" "$OUT/boot1.log.failed"
				qemu-img create -q -f qcow2 -F raw -b "$IMG/disk.raw" "$OUT/overlay.qcow2"
				log "boot 1 never reached the test (qemu rc=$QRC): retrying once"
				n=0
				continue
			fi
			reason="boot $n never reached the test (qemu rc=$QRC$([ "$QRC" != 124 ] || echo ', timeout'))"
			break
		elif echo "$clean" | grep -q 'EXECMEM-GUEST: done'; then
			break
		elif echo "$clean" | grep -q 'EXECMEM-GUEST: reboot'; then
			continue
		else
			reason="boot $n: the test stopped without a marker (qemu rc=$QRC$([ "$QRC" != 124 ] || echo ', timeout'))"
			break
		fi
	done
	[ $n -le $MAX_BOOTS ] || reason="more than $MAX_BOOTS boots"
	if [ -z "$reason" ]; then
		result 0 "guest: $n boots, test done, no kernel error on the serial console ($((SECONDS - t1)) s)"
	else
		tail -n 30 "$OUT/boot$n.log" 2>/dev/null | tr -d '\r' >&2 || true
		result 1 "guest: $reason"
	fi
	log "done in $((SECONDS - t0)) s"
	report >"$OUT/result.ktap"
	cat "$OUT/result.ktap"
	"$HERE/ktap-summary.sh" "$OUT/result.ktap" >&2
}

main
