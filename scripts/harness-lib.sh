# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What the host-side harness scripts share (scripts/check.sh,
# scripts/demo.sh, bench/ab/ab.sh, scripts/lint.sh): building this tree for
# a kernel in a copy of it, building an external module directory for a
# kernel, judging a W=1 C=2 build, writing KTAP results, and one QEMU boot
# whose result lies between two marker lines of the serial log.
# Sourced by bash scripts that set ROOT (the top of the source tree) first.
# Not a script itself.

# kdir_of KVER: the kernel's build tree, as the top Makefile picks it
# (/lib/modules/KVER/build, else /usr/src/linux-headers-KVER)
kdir_of() {
	if [ -e "/lib/modules/$1/build/Makefile" ]; then
		echo "/lib/modules/$1/build"
	else
		echo "/usr/src/linux-headers-$1"
	fi
}

# kmake KVER BIND MAKE-ARGS...: make -C <KVER's build tree> MAKE-ARGS (an
# external module: M=DIR among them) on the host, or, for a kernel whose
# kbuild the host cannot run (7.2: the choice the top Makefile makes with
# scripts/chroot-make.sh --needed), inside the trixie chroot with the
# directory BIND (holding M= and every KBUILD_EXTRA_SYMBOLS file) mounted
# at the same path.
kmake() {
	local kver=$1 bind=$2 kdir
	shift 2
	kdir=$(kdir_of "$kver")
	if [ ! -e "$kdir/Makefile" ] && "$ROOT/scripts/chroot-make.sh" --needed "$kver"; then
		"$ROOT/scripts/chroot-make.sh" --bind "$bind" -- \
			make -C "/usr/src/linux-headers-$kver" "$@"
	else
		make -C "$kdir" "$@"
	fi
}

# build_tree KVER DIR LOG MAKE-ARGS...: a fresh copy of this tree in DIR
# (scripts/copy-tree.sh) and `make -C DIR KVER=KVER MAKE-ARGS` there (the
# top Makefile picks headers or chroot), its output into LOG.  Its status.
build_tree() {
	local kver=$1 dir=$2 log=$3
	shift 3
	rm -rf "$dir"
	"$ROOT/scripts/copy-tree.sh" "$dir" &&
		make -C "$dir" KVER="$kver" "$@" >"$log" 2>&1
}

# build_warnings LOG RC KVER: judge a build made with W=1 C=2 (make's
# status RC, its output LOG) as two results, one line each, "STATUS
# DESCRIPTION" (STATUS 0 = clean): the compiler's warnings (gcc names the
# option, "[-W...]") and everything else that says
# "warning:" or "error:" (sparse).  The BTF notice is not a warning.
build_warnings() {
	local log=$1 rc=$2 kver=$3 all gcc sparse
	all=$(grep -E 'warning:|error:|Warning:' "$log" | grep -v 'Skipping BTF generation' || true)
	gcc=$(echo "$all" | grep -E '\[-W' || true)
	sparse=$(echo "$all" | grep -v -E '\[-W' | grep . || true)
	echo "$([ "$rc" = 0 ] && [ -z "$gcc" ] && echo 0 || echo 1) $kver: W=1 build without warnings"
	echo "$([ "$rc" = 0 ] && [ -z "$sparse" ] && echo 0 || echo 1) $kver: sparse (C=2) clean"
}

# ktap_result STATUS DESCRIPTION [LOGFILE]: the next KTAP result line,
# numbered by KTAP_N (set it to 0 before a file's first result): "ok N -
# DESCRIPTION" for STATUS 0, else "not ok N - DESCRIPTION" followed by the
# first 40 lines of LOGFILE, if given, as "# " diagnostics.
KTAP_N=0
ktap_result() {
	KTAP_N=$((KTAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $KTAP_N - $2"
		return 0
	fi
	echo "not ok $KTAP_N - $2"
	if [ -n "${3:-}" ]; then
		sed 's/^/# /' "$3" | head -n 40 || true
	fi
}

# ktap_build_warnings LOG RC KVER [LOGFILE]: build_warnings' two results as
# KTAP result lines (ktap_result, LOGFILE as their diagnostics)
ktap_build_warnings() {
	local r desc
	while read -r r desc; do
		ktap_result "$r" "$desc" "${4:-}"
	done < <(build_warnings "$1" "$2" "$3")
}

# between LOG MARK OUT: the lines strictly between "MARK-BEGIN" and
# "MARK-END" of the serial log LOG (carriage returns dropped) into OUT;
# 0 iff there are any (else OUT is removed)
between() {
	tr -d '\r' <"$1" | sed -n "/^$2-BEGIN\$/,/^$2-END\$/p" | sed '1d;$d' >"$3"
	[ -s "$3" ] || { rm -f "$3"; return 1; }
}

# is_json FILE: 0 iff FILE holds one valid JSON value
is_json() {
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
}

# boot_json KVER KO_DIR SCRIPT FILES LOG TIMEOUT MARK OUT [QEMU-ARGS...]: one
# boot of the guest SCRIPT (scripts/qemu-run.sh: modules of KO_DIR, FILES
# as /files, serial log LOG, its stderr LOG without .log plus .err); OUT is
# the JSON between MARK-BEGIN and MARK-END.  0 iff the boot succeeded and
# OUT is valid JSON; else OUT is removed and BOOT_FAIL says why.
boot_json() {
	local kver=$1 ko=$2 script=$3 files=$4 log=$5 timeout=$6 mark=$7 out=$8
	shift 8
	BOOT_FAIL=
	if "$ROOT/scripts/qemu-run.sh" --kver "$kver" --ko-dir "$ko" --script "$script" \
		--files "$files" --log "$log" --timeout "$timeout" "$@" 2>"${log%.log}.err" &&
		between "$log" "$mark" "$out" && is_json "$out"; then
		return 0
	fi
	rm -f "$out"
	# shellcheck disable=SC2034 # read by the caller
	BOOT_FAIL="$(grep -m1 'FAIL' "${log%.log}.err" || echo "no result") (log: $log)"
	return 1
}
