#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Static checks, as KTAP on stdout:
#   scripts/lint.sh [--no-build] [KVER...]
# - checkpatch.pl --strict on every kernel-side source (module, tests, bench,
#   examples)
# - kernel-doc -Wall on the public header (the API is documented there once)
# - every function of the module (execmem*.c) at most 50 lines; the same for
#   the C of tools/, bench/, tests/ and examples/, but for the functions
#   scripts/funclen-known.txt lists (they may not grow)
# - the man page (docs/execmemctl.8) renders without groff warnings
# - for each kernel: a W=1 build and a sparse (C=2) build of execmem.ko, the
#   test modules and examples/client, in a scratch copy, that must print no
#   warning (one build with W=1 C=2; the warnings told apart by
#   build_warnings of harness-lib.sh).  --no-build leaves this to the caller:
#   scripts/check.sh makes the modules it boots with W=1 C=2 and judges that
#   build the same way, instead of compiling everything once more here.
# - for each kernel: dkms build of the package from a scratch tree, and the
#   version of the execmem.ko it built (modinfo) is dkms.conf's
#   PACKAGE_VERSION, the one place the version is written (Kbuild passes it)
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
CHECKPATCH=$CACHE/checkpatch/scripts/checkpatch.pl
OUT=${LINT_OUT:-$TOP/build/lint}
mkdir -p "$OUT"
ROOT=$TOP
# shellcheck source=scripts/harness-lib.sh
. "$TOP/scripts/harness-lib.sh"

BUILD=1
if [ "${1:-}" = --no-build ]; then
	BUILD=0
	shift
fi
if [ $# -eq 0 ]; then
	set -- $("$TOP/scripts/setup.sh" --print | awk '{print $1}')
fi

cd "$TOP"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
srcs=$(git ls-files '*.c' '*.h' 2>/dev/null | grep -v '^tests/pool/' | grep -v '^tools/' |
	grep -v '^tests/files/' | grep -v '^tlb/tests/' || true)
[ -n "$srcs" ] || srcs=$(ls ./*.c ./*.h include/*.h tests/kmod/*.[ch])

echo "KTAP version 1"
echo "# suite: lint"
echo "1..$((5 + (2 + 2 * BUILD) * $#))"

# 1. checkpatch: every file must produce no error, warning or check.
: >"$OUT/checkpatch.log"
cp_rc=0
for f in $srcs; do
	# tlb/ is userspace C: its API (and QEMU's) is in <stdint.h> types.
	ign=()
	case $f in tlb/*) ign=(--ignore PREFER_KERNEL_TYPES) ;; esac
	# the plugin: glib's and QEMU's API names and typedefs, C99's PRIx64
	case $f in tlb/plugin.c | tlb/qemu-plugin-api.h)
		ign=(--ignore PREFER_KERNEL_TYPES,CAMELCASE,NEW_TYPEDEFS) ;;
	esac
	# TRACE_EVENT()'s own layout (as include/trace/events/*.h), its
	# __print_symbolic() tables, and a macro passing a request's fields
	case $f in execmem_trace.h)
		ign=(--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT,COMPLEX_MACRO,MACRO_ARG_REUSE) ;;
	esac
	if ! "$CHECKPATCH" --no-tree --strict -f -q --terse "${ign[@]}" "$f" \
		>>"$OUT/checkpatch.log" 2>&1; then
		cp_rc=1
	fi
done
grep -v '^total: 0 errors, 0 warnings, 0 checks' "$OUT/checkpatch.log" | grep -q . && cp_rc=1
ktap_result $cp_rc "checkpatch --strict clean ($(echo "$srcs" | wc -w) files)" "$OUT/checkpatch.log"

# 2. kernel-doc, from the newest kernel's headers whose script takes -Wall
# (6.1's does not).
rc=1
echo "no scripts/kernel-doc taking -Wall in the headers of $*" >"$OUT/kernel-doc.log"
for kdoc in $(for k in "$@"; do ls /usr/src/linux-headers-"$k"/scripts/kernel-doc \
	"$CACHE"/chroot-trixie/usr/src/linux-headers-"$k"/scripts/kernel-doc 2>/dev/null || true
	done | tac); do
	rc=0
	"$kdoc" -Wall -none include/execmem.h >"$OUT/kernel-doc.log" 2>&1 || rc=1
	grep -q 'Argument unknown' "$OUT/kernel-doc.log" || break
	rc=1
done
grep -q . "$OUT/kernel-doc.log" && rc=1
ktap_result $rc "kernel-doc -Wall -none include/execmem.h clean" "$OUT/kernel-doc.log"

# 3. Short functions: at most 50 lines each in the module's sources.
awk -f scripts/funclen.awk execmem*.c | sort -rn >"$OUT/funclen.log"
rc=0
awk '$1 > 50 { bad = 1 } END { exit bad }' "$OUT/funclen.log" || rc=1
ktap_result $rc "every function of execmem.ko at most 50 lines (longest: $(head -n1 "$OUT/funclen.log"))" \
	"$OUT/funclen.log"

# 3b. The same bound outside the module (userspace too), but for the
# functions that were longer when this check came in: each may not grow.
other=$(git ls-files 'tools/*.c' 'bench/*.c' 'tests/*.c' 'examples/*.c' 'tlb/*.c' 2>/dev/null || true)
[ -n "$other" ] || other=$(ls tools/*.c bench/*/*.c tests/*/*.c examples/*/*.c tlb/*.c tlb/*/*.c 2>/dev/null)
# shellcheck disable=SC2086 # a list of files
awk -f scripts/funclen.awk $other | sort -rn >"$OUT/funclen-other.log"
rc=0
awk 'FILENAME == ARGV[1] { if ($0 !~ /^#/ && NF == 3) known[$1 " " $2] = $3; next }
	{ split($2, w, ":"); k = w[1] " " $3 }
	$1 > 50 && !(k in known && $1 <= known[k]) { print "too long:", $0; bad = 1 }
	END { exit bad }' scripts/funclen-known.txt "$OUT/funclen-other.log" \
	>"$OUT/funclen-other.bad" || rc=1
ktap_result $rc "every function of tools/, bench/, tests/, examples/ C at most 50 lines, $(grep -c '^[^#]' \
	scripts/funclen-known.txt) known longer ones not longer" "$OUT/funclen-other.bad"

# 4. The man page.
rc=0
groff -man -ww -z docs/execmemctl.8 >"$OUT/man.log" 2>&1 || rc=1
grep -q . "$OUT/man.log" && rc=1
ktap_result $rc "docs/execmemctl.8 renders without groff warnings" "$OUT/man.log"

# Scratch copy of the sources (no build products of the work tree).
scratch() {
	rm -rf "$1"
	"$TOP/scripts/copy-tree.sh" "$1"
}

# Kbuild prints diagnostics on stderr; compiler and sparse warnings contain
# "warning:" or "error:".  The BTF notice is not a warning.
for kver in "$@"; do
	d=$OUT/$kver
	if [ $BUILD = 1 ]; then
		rc=0
		build_tree "$kver" "$d/w1" "$d/w1.log" W=1 C=2 modules tests examples || rc=$?
		ktap_build_warnings "$d/w1.log" $rc "$kver" "$d/w1.log"
	fi

	# dkms build from a private tree: nothing is installed on the host.  A
	# kernel the host cannot build for (7.2) has its headers, and dkms, in
	# the trixie chroot: dkms runs there, with $d bind-mounted.
	dkms=(dkms)
	if "$TOP/scripts/chroot-make.sh" --needed "$kver"; then
		dkms=("$TOP/scripts/chroot-make.sh" --bind "$d" -- dkms)
	fi
	scratch "$d/dkms-src"
	rm -rf "$d/dkms-tree"
	mkdir -p "$d/dkms-tree"
	rc=0
	"${dkms[@]}" build -m execmem -v "$ver" -k "$kver" --sourcetree "$d/dkms-src" \
		--dkmstree "$d/dkms-tree" >"$d/dkms.log" 2>&1 || rc=1
	# dkms 3 wants the source as <sourcetree>/execmem-$ver
	if [ $rc != 0 ]; then
		mkdir -p "$d/dkms-srcs"
		rm -rf "$d/dkms-srcs/execmem-$ver"
		mv "$d/dkms-src" "$d/dkms-srcs/execmem-$ver"
		rc=0
		{ "${dkms[@]}" add -m execmem -v "$ver" --sourcetree "$d/dkms-srcs" --dkmstree "$d/dkms-tree" &&
		  "${dkms[@]}" build -m execmem -v "$ver" -k "$kver" --sourcetree "$d/dkms-srcs" \
			--dkmstree "$d/dkms-tree"; } >"$d/dkms.log" 2>&1 || rc=1
	fi
	ktap_result $rc "$kver: dkms build" "$d/dkms.log"
	ko=$(find "$d/dkms-tree" -name 'execmem.ko*' -print -quit 2>/dev/null || true)
	got=$( [ -z "$ko" ] || modinfo -F version "$ko" 2>&1 || true)
	rc=0
	[ -n "$ver" ] && [ "$got" = "$ver" ] || rc=1
	echo "dkms.conf PACKAGE_VERSION '$ver', modinfo -F version ${ko:-(no execmem.ko)}: '$got'" \
		>"$d/version.log"
	ktap_result $rc "$kver: dkms-built execmem.ko has dkms.conf's version ($ver)" "$d/version.log"
done
