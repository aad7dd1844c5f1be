#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one stock Debian kernel in QEMU with our modules and a guest script.
#
#   scripts/qemu-run.sh --kver KVER --ko-dir DIR --script GUEST_SH --log OUT.log
#       [--timeout SEC (300)] [--mem 2G] [--smp 2] [--numa | --numa-memless]
#       [--append "ARGS"] (repeatable: the ARGS add up)
#       [--files DIR] [--vmlinuz PATH] [--qemu old|new] [--qemu-arg ARG]...
#       [--tcg-thread single|multi] [--mttcg] [--no-retry]
#   scripts/qemu-run.sh --probe-kvm [--kver KVER]    prints 1 (KVM usable) or 0
#
# The initramfs (gzip newc cpio, built in a temp dir) holds /bin/busybox and
# its applet links, DIR/*.ko{,.xz} at /modules/, GUEST_SH at /test.sh,
# tests/guest/lib.sh (the guest scripts' shared functions) at /lib.sh, DIR of
# --files at /files/ and scripts/guest-init.sh as /init.  /init prints
# "EXECMEM-HARNESS: start", runs `sh /test.sh`, prints
# "EXECMEM-HARNESS: done rc=N" and reboots (QEMU runs with -no-reboot).
# The kernel comes from ${EXECMEM_CACHE:-~/.cache/execmem}/kernels/KVER/vmlinuz
# (scripts/setup.sh fetches it) unless --vmlinuz is given.  --numa: two nodes
# with half of --mem and half of the vCPUs each (--smp must be even).
# --numa-memless: the same two nodes, but node 1 has CPUs and no memory.
#
# Exit 0 when the serial log (kept at --log) has the done marker with rc=0 and
# none of the kernel error patterns in $BAD_RE; else exit 1 with one line
# "qemu-run: FAIL: reason" on stderr, then the last 40 log lines.  Exit 2 on a
# usage error.  A crash or hang before the start marker, or a kernel error
# logged before it (no module of ours is loaded yet: e.g. the multi-threaded
# TCG Oops, an RCU stall on a loaded host), is a boot failure of the stock
# kernel: it is retried once (the first log is kept as OUT.log.boot1) and
# reported as "boot failure" only if it happens again.  A non-zero rc of the guest script is a failure.  The
# kernel boots with no_timer_check: on a loaded host TCG can be too slow for
# the IO-APIC timer check, which then panics ("IO-APIC + timer doesn't
# work!", seen during development).
#
# --qemu new (or EXECMEM_QEMU=new) runs the newer QEMU of the trixie chroot
# through scripts/qemu-new.sh instead of the host's qemu-system-x86_64; it
# changes only the binary.  --qemu-arg ARG appends ARG to QEMU's command line
# (repeat it: e.g. --qemu-arg -plugin --qemu-arg tlb/tlbplugin.so,out=F).
# --tcg-thread multi runs TCG multi-threaded (default single, see below):
# the TLB plugin needs it with several vCPUs (docs/tlb-model.md).
#
# --mttcg: the parallel-vCPU pass: --tcg-thread multi (-accel tcg,thread=multi: one host thread per
# vCPU, so the vCPUs really run at the same time when host cores are free);
# only with --qemu new (QEMU 7.2's crashes the stock kernels at boot now and
# then, see docs/testing.md).  It also puts execmem_parallel=1 on the kernel
# command line: /init then checks that the vCPUs did run at the same time
# (tests/kmod/execmem_parallel.ko), and a guest script may shorten its work.
# (KVM runs the vCPUs in parallel anyway.)  --no-retry: a boot failure is
# not retried (scripts/mttcg-boots.sh counts raw outcomes).
#
# Acceleration: TCG with thread=single (-cpu max,la57=off).  KVM only when
# /dev/kvm is usable and a probe boot with -accel kvm -cpu host reaches the
# start marker within 20 s.  EXECMEM_KVM=0/1 forces the choice; the probe
# result is cached in the file $EXECMEM_KVM_CACHE when that is set
# (scripts/check.sh probes once per run).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
BAD_RE='BUG:|WARNING:|Oops|Call Trace|KASAN|Kernel panic|general protection fault|UBSAN'
START_MARK='EXECMEM-HARNESS: start'
DONE_MARK='EXECMEM-HARNESS: done'
KVM_PROBE_SECS=20

KVER="" KO_DIR="" SCRIPT="" LOG="" TIMEOUT=300 MEM=2G SMP=2 NUMA=0
APPEND="" FILES="" VMLINUZ="" PROBE_ONLY=0 QEMU=${EXECMEM_QEMU:-old}
QEMU_ARGS=() TCG_THREAD=single
MTTCG=0 RETRY=1
TMP="" QPID=""

msg() { echo "qemu-run: $*" >&2; }
usage() { sed -n '4,10s/^# \{0,1\}//p' "$0" >&2; exit 2; }
die() { msg "$*"; exit 2; }

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--kver) KVER=$2; shift ;;
		--ko-dir) KO_DIR=$2; shift ;;
		--script) SCRIPT=$2; shift ;;
		--log) LOG=$2; shift ;;
		--timeout) TIMEOUT=$2; shift ;;
		--mem) MEM=$2; shift ;;
		--smp) SMP=$2; shift ;;
		--numa) NUMA=1 ;;
		--numa-memless) NUMA=2 ;;
		--append) APPEND="${APPEND:+$APPEND }$2"; shift ;;
		--files) FILES=$2; shift ;;
		--vmlinuz) VMLINUZ=$2; shift ;;
		--probe-kvm) PROBE_ONLY=1 ;;
		--qemu) QEMU=$2; shift ;;
		--qemu-arg) QEMU_ARGS+=("$2"); shift ;;
		--tcg-thread) TCG_THREAD=$2; shift ;;
		--mttcg) MTTCG=1 TCG_THREAD=multi ;;
		--no-retry) RETRY=0 ;;
		-h | --help) usage ;;
		*) die "unknown argument: $1" ;;
		esac
		shift
	done
	if [ $PROBE_ONLY = 1 ]; then
		if [ -z "$KVER$VMLINUZ" ]; then # any cached kernel will do
			local k
			for k in "$CACHE"/kernels/*/vmlinuz; do KVER=$(basename "$(dirname "$k")"); done
		fi
	else
		[ -d "${KO_DIR:-/nonexistent}" ] || die "--ko-dir DIR required"
		[ -f "${SCRIPT:-/nonexistent}" ] || die "--script FILE required"
		[ -n "$LOG" ] || die "--log FILE required"
		[ -z "$FILES" ] || [ -d "$FILES" ] || die "--files: $FILES is not a directory"
	fi
	[ -n "$VMLINUZ" ] || VMLINUZ=$CACHE/kernels/$KVER/vmlinuz
	[ -s "$VMLINUZ" ] || die "no kernel at $VMLINUZ (run scripts/setup.sh; --kver?)"
	[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout: not a number: $TIMEOUT"
	case $QEMU in
	old | new) ;;
	*) die "--qemu/EXECMEM_QEMU: old or new, not $QEMU" ;;
	esac
	case $TCG_THREAD in
	single | multi) ;;
	*) die "--tcg-thread: single or multi, not $TCG_THREAD" ;;
	esac
	[ $TCG_THREAD = single ] || [ "$QEMU" = new ] || [ "${EXECMEM_MTTCG_OLD:-0}" = 1 ] ||
		die "--mttcg/--tcg-thread multi need --qemu new (EXECMEM_MTTCG_OLD=1: QEMU 7.2's, for a measurement)"
	if [ $NUMA != 0 ] && { [[ ! $MEM =~ ^[0-9]+[MG]$ ]] || [ $((SMP % 2)) != 0 ]; }; then
		die "--numa/--numa-memless need --mem NUM{M,G} and an even --smp"
	fi
}

cleanup() {
	# qemu runs under timeout(1), which sits in its own process group: a
	# signal to our group does not reach it, so stop it by PID.
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null || true
		wait "$QPID" 2>/dev/null || true
	fi
	[ -z "$TMP" ] || rm -rf "$TMP"
}

# build_initrd OUT GUEST_SCRIPT [KO_DIR] [FILES_DIR]
build_initrd() {
	local out=$1 script=$2 kodir=${3:-} files=${4:-} root a
	root=$(mktemp -d "$TMP/root.XXXX")
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules,files}
	cp "$BUSYBOX" "$root/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
	done
	install -m 755 "$HERE/guest-init.sh" "$root/init"
	install -m 755 "$script" "$root/test.sh"
	install -m 644 "$HERE/../tests/guest/lib.sh" "$root/lib.sh"
	if [ -n "$kodir" ]; then
		find "$kodir" -maxdepth 1 \( -name '*.ko' -o -name '*.ko.xz' \) \
			-exec cp -t "$root/modules/" {} +
	fi
	[ -z "$files" ] || cp -a "$files/." "$root/files/"
	(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) |
		gzip -1 >"$out"
	rm -rf "$root"
}

# qemu_cmd ACCEL INITRD LOG: fill the array QEMU_CMD
qemu_cmd() {
	local accel=$1 initrd=$2 log=$3 half n
	if [ "$QEMU" = new ]; then
		QEMU_CMD=("$HERE/qemu-new.sh")
	else
		QEMU_CMD=(qemu-system-x86_64)
	fi
	if [ "$accel" = kvm ]; then
		QEMU_CMD+=(-accel kvm -cpu host)
	else
		# thread=single: no multi-threaded TCG boot race (see the notes)
		QEMU_CMD+=(-accel "tcg,thread=$TCG_THREAD" -cpu "max,la57=off")
	fi
	QEMU_CMD+=(-m "$MEM" -nographic -monitor none -no-reboot)
	if [ $NUMA = 0 ]; then
		QEMU_CMD+=(-smp "$SMP")
	else
		# One socket per node: CPUs of one LLC on two nodes make the
		# kernel WARN in topology_sane() at boot.
		half=$((${MEM%[MG]} / 2))${MEM: -1} n=$((SMP / 2))
		QEMU_CMD+=(-smp "$SMP,sockets=2,cores=$n,threads=1")
		if [ $NUMA = 1 ]; then
			QEMU_CMD+=(-object "memory-backend-ram,id=m0,size=$half"
				-numa "node,nodeid=0,cpus=0-$((n - 1)),memdev=m0"
				-object "memory-backend-ram,id=m1,size=$half"
				-numa "node,nodeid=1,cpus=$n-$((SMP - 1)),memdev=m1")
		else
			QEMU_CMD+=(-object "memory-backend-ram,id=m0,size=$MEM"
				-numa "node,nodeid=0,cpus=0-$((n - 1)),memdev=m0"
				-numa "node,nodeid=1,cpus=$n-$((SMP - 1))")
		fi
	fi
	# ',' separates QEMU options: double it inside the path.
	local par=""
	[ $MTTCG = 0 ] || par=" execmem_parallel=1"
	QEMU_CMD+=(-chardev "file,id=ser0,path=${log//,/,,}" -serial chardev:ser0
		-kernel "$VMLINUZ" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=1 loglevel=7 no_timer_check$par $APPEND"
		${QEMU_ARGS[@]+"${QEMU_ARGS[@]}"})
}

# start_qemu ACCEL INITRD LOG SECS: start qemu under timeout(1) in the background
start_qemu() {
	qemu_cmd "$1" "$2" "$3"
	: >"$3"
	timeout --kill-after=10 "$4" "${QEMU_CMD[@]}" </dev/null >>"$TMP/qemu.err" 2>&1 &
	QPID=$!
}

# wait_qemu [LOG]: set QRC to qemu's exit status (124: timed out).  Not in a
# subshell: only the parent can wait for qemu.  With LOG: once a kernel error
# line is in the log (always fatal: oops=panic, panic_on_warn=1) and the log
# has not grown for 3 s, stop qemu; some panics (e.g. on a CPU being brought
# up) hang instead of rebooting, and would otherwise wait for the timeout.
wait_qemu() {
	local log=${1:-} size last=-1 quiet=0
	while [ -n "$log" ] && kill -0 "$QPID" 2>/dev/null; do
		sleep 0.2
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$size" != "$last" ]; then
			last=$size quiet=0
		elif ! grep -q -E "$BAD_RE" "$log"; then
			quiet=0
		elif [ $((quiet += 1)) -ge 15 ]; then
			kill -TERM "$QPID" 2>/dev/null || true
			break
		fi
	done
	QRC=0
	wait "$QPID" || QRC=$?
	QPID=""
}

# probe_kvm: 0 = usable; boots with KVM until the start marker is seen
probe_kvm() {
	local initrd=$TMP/probe.cpio.gz log=$TMP/probe.log i
	echo true >"$TMP/probe.sh"
	build_initrd "$initrd" "$TMP/probe.sh"
	start_qemu kvm "$initrd" "$log" $((KVM_PROBE_SECS + 5))
	for ((i = 0; i < KVM_PROBE_SECS * 5; i++)); do
		grep -q "$START_MARK" "$log" && break
		kill -0 "$QPID" 2>/dev/null || break
		sleep 0.2
	done
	kill -TERM "$QPID" 2>/dev/null || true
	wait_qemu
	grep -q "$START_MARK" "$log"
}

choose_accel() { # prints kvm or tcg
	local cache=${EXECMEM_KVM_CACHE:-} ok
	case ${EXECMEM_KVM:-} in
	1) echo kvm; return ;;
	0) echo tcg; return ;;
	esac
	if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		ok=0
	elif [ -n "$cache" ] && [ -s "$cache" ]; then
		ok=$(cat "$cache")
	elif probe_kvm; then
		ok=1
	else
		ok=0
	fi
	[ -z "$cache" ] || echo "$ok" >"$cache"
	if [ "$ok" = 1 ]; then echo kvm; else echo tcg; fi
}

# classify LOG QEMU_RC: sets VERDICT (pass|fail|boot) and REASON
classify() {
	local log=$1 qrc=$2 clean bad bad_ln start_ln rc qerr
	clean=$TMP/clean.log
	tr -d '\r' <"$log" >"$clean"
	bad=$(grep -m1 -E "$BAD_RE" "$clean" || true)
	bad_ln=$(grep -n -m1 -E "$BAD_RE" "$clean" | cut -d: -f1 || true)
	start_ln=$(grep -n -m1 "$START_MARK" "$clean" | cut -d: -f1 || true)
	VERDICT=fail REASON=""
	if [ -n "$start_ln" ] && [ -n "$bad_ln" ] && [ "$bad_ln" -lt "$start_ln" ]; then
		# e.g. an RCU stall while the stock kernel boots on a loaded host
		VERDICT=boot
		REASON="kernel error before the start marker (no module of ours loaded yet): $bad"
	elif [ -z "$start_ln" ]; then
		VERDICT=boot
		if [ -n "$bad" ]; then
			REASON="kernel crashed before the start marker: $bad"
		elif [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			REASON="hang before the start marker (timeout ${TIMEOUT}s)"
		else
			REASON="qemu exited (rc=$qrc) before the start marker"
		fi
	elif [ -n "$bad" ]; then
		REASON="kernel error: $bad"
	elif ! grep -q "$DONE_MARK" "$clean"; then
		if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
			REASON="timeout after ${TIMEOUT}s (no done marker)"
		else
			REASON="guest stopped without the done marker (qemu rc=$qrc)"
		fi
	else
		rc=$(sed -n "s/.*$DONE_MARK rc=\([0-9]*\).*/\1/p" "$clean" | tail -n1)
		if [ "$rc" = 0 ]; then
			VERDICT=pass
		else
			REASON="guest script exited rc=${rc:-?}"
		fi
	fi
	# qemu's own complaint, if any (not timeout's "terminating on signal")
	qerr=$(grep -v 'terminating on signal' "$TMP/qemu.err" | tail -n1 || true)
	[ "$VERDICT" = pass ] || [ -z "$qerr" ] || REASON="$REASON [qemu: $qerr]"
}

# boot_once ACCEL INITRD: run one boot into $LOG and classify it
boot_once() {
	: >"$TMP/qemu.err"
	start_qemu "$1" "$2" "$LOG" "$TIMEOUT"
	wait_qemu "$LOG"
	classify "$LOG" "$QRC"
}

main() {
	local accel initrd t0 secs
	parse_args "$@"
	BUSYBOX=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
	if ldd "$BUSYBOX" >/dev/null 2>&1; then
		die "$BUSYBOX is dynamically linked: install busybox-static"
	fi
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/qemu-run.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	if [ $PROBE_ONLY = 1 ]; then
		if [ "$(choose_accel)" = kvm ]; then echo 1; else echo 0; fi
		return 0
	fi
	accel=$(choose_accel)
	mkdir -p "$(dirname "$LOG")"
	initrd=$TMP/initrd.cpio.gz
	build_initrd "$initrd" "$SCRIPT" "$KO_DIR" "$FILES"
	t0=$(date +%s%N)
	boot_once "$accel" "$initrd"
	if [ "$VERDICT" = boot ] && [ $RETRY = 1 ]; then
		cp "$LOG" "$LOG.boot1"
		msg "boot failure ($REASON); log kept as $LOG.boot1; retrying once"
		boot_once "$accel" "$initrd"
		[ "$VERDICT" != boot ] || REASON="boot failure (twice): $REASON"
	fi
	secs=$((($(date +%s%N) - t0) / 1000000))
	secs=$((secs / 1000)).$(printf %03d $((secs % 1000)))
	[ $TCG_THREAD = single ] || [ "$accel" != tcg ] || accel="$accel, thread=multi"
	if [ "$VERDICT" = pass ]; then
		msg "PASS: $(basename "$SCRIPT") on ${KVER:-$VMLINUZ} ($accel, ${secs}s)"
		return 0
	fi
	msg "FAIL: $REASON"
	echo "----- last 40 lines of $LOG -----" >&2
	tail -n 40 "$LOG" | tr -d '\r' >&2
	return 1
}

main "$@"
