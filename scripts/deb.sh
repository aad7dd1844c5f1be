#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Debian packages execmem-dkms and execmem-tools (debian/) from
# the source tree as a fresh clone has it, and check them with lintian.
#
#   scripts/deb.sh [--out DIR] [--version UPSTREAM] [--no-lintian]
#
# 1. Installs what is missing (apt-get, as root or through sudo): the
#    Build-Depends of debian/control (`apt-get build-dep` of the tree: the
#    list lives in debian/control only), and lintian.
# 2. Copies the tree (scripts/copy-tree.sh: the files git knows of) to
#    DIR/src/execmem-VERSION and runs `dpkg-buildpackage -us -uc -b` there.
#    --version UPSTREAM first makes that copy a newer release: UPSTREAM as
#    PACKAGE_VERSION in dkms.conf and a changelog entry UPSTREAM-1 (the
#    Debian guest test builds its upgrade this way); the tree is untouched.
# 3. lintian --fail-on error,warning on the .changes (unless --no-lintian).
# DIR (default build/deb) then holds execmem-dkms_*_all.deb,
# execmem-tools_*_ARCH.deb, the .changes, .buildinfo, build.log and
# lintian.log.  Exit 0 iff all of that succeeded.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$ROOT/build/deb
UPVER=""
LINTIAN=1

while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift 2 ;;
	--version) UPVER=$2; shift 2 ;;
	--no-lintian) LINTIAN=0; shift ;;
	*) echo "usage: $0 [--out DIR] [--version UPSTREAM] [--no-lintian]" >&2; exit 2 ;;
	esac
done

log() { echo "deb: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
# (make check runs this beside scripts/debug-kernel.sh's apt-get: wait for
# the dpkg lock rather than fail on it)
apt_get() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -qq --no-install-recommends \
		-o DPkg::Lock::Timeout=300 "$@"
}

install_deps() { # install_deps SRCDIR: its Build-Depends, and lintian
	local src=$1
	command -v dpkg-checkbuilddeps >/dev/null || apt_get install dpkg-dev
	if ! (cd "$src" && dpkg-checkbuilddeps) 2>/dev/null; then
		log "installing the Build-Depends of debian/control (apt-get build-dep)"
		(cd "$src" && apt_get build-dep ./) >&2 ||
			{ log "apt-get update, then again"; as_root apt-get -o DPkg::Lock::Timeout=300 update -qq &&
				(cd "$src" && apt_get build-dep ./) >&2; }
	fi
	if [ $LINTIAN = 1 ] && ! command -v lintian >/dev/null; then
		log "installing lintian"
		apt_get install lintian >&2
	fi
}

# bump SRCDIR UPSTREAM: make the copy release UPSTREAM
bump() {
	local src=$1 v=$2 old
	sed -i "s/^PACKAGE_VERSION=\".*\"\$/PACKAGE_VERSION=\"$v\"/" "$src/dkms.conf"
	old=$(cat "$src/debian/changelog")
	{
		echo "execmem ($v-1) unstable; urgency=medium"
		echo
		echo "  * Test release $v (scripts/deb.sh --version)."
		echo
		echo " -- execmem developers <dev@execmem.invalid>  $(date -R)"
		echo
		echo "$old"
	} >"$src/debian/changelog"
}

# check_sources DEB: the module source in execmem-dkms has every file the
# Kbuild names (a .c per object, and each $(src)/FILE, e.g. the hot
# section's linker script): DKMS builds only from what the package ships
check_sources() {
	local f missing=() have
	have=$(dpkg-deb -c "$1" | awk '{ print $6 }' | sed -n 's|^\./usr/src/execmem-[^/]*/||p')
	for f in $(grep -oP '(?<![A-Za-z_])execmem_[a-z_]+\.o' "$ROOT/Kbuild" | sed 's/\.o$/.c/' | sort -u) \
		$(grep -o '$(src)/[A-Za-z0-9_]*\.[a-z]*' "$ROOT/Kbuild" | sed 's|^$(src)/||' | sort -u); do
		echo "$have" | grep -qxF "$f" || missing+=("$f")
	done
	[ ${#missing[@]} = 0 ] || die "$(basename "$1") lacks what the Kbuild names: ${missing[*]}"
}

main() {
	local ver src
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$ROOT/dkms.conf")
	[ -n "$ver" ] || die "no PACKAGE_VERSION in dkms.conf"
	[ -z "$UPVER" ] || ver=$UPVER
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	rm -rf "$OUT/src" "$OUT"/execmem*.deb "$OUT"/execmem_*.changes "$OUT"/execmem_*.buildinfo
	src=$OUT/src/execmem-$ver
	"$HERE/copy-tree.sh" "$src"
	[ -z "$UPVER" ] || bump "$src" "$UPVER"
	install_deps "$src"
	log "dpkg-buildpackage -us -uc -b in $src (log: $OUT/build.log)"
	(cd "$src" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1 ||
		{ tail -n 30 "$OUT/build.log" >&2; die "dpkg-buildpackage failed"; }
	mv "$OUT"/src/*.deb "$OUT"/src/*.changes "$OUT"/src/*.buildinfo "$OUT/"
	rm -rf "$OUT/src"
	ls "$OUT"/*.deb >&2
	check_sources "$(ls "$OUT"/execmem-dkms_*.deb)"
	[ $LINTIAN = 1 ] || return 0
	log "lintian --fail-on error,warning (log: $OUT/lintian.log)"
	lintian --fail-on error,warning --info "$OUT"/execmem_*.changes >"$OUT/lintian.log" 2>&1 ||
		{ cat "$OUT/lintian.log" >&2; die "lintian: errors or warnings"; }
	cat "$OUT/lintian.log" >&2
}

main
