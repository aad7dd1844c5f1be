#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) and print a debug kernel for the QEMU tests.
#
#   scripts/debug-kernel.sh            prints "KVER KDIR BZIMAGE" on stdout
#   scripts/debug-kernel.sh --hash     prints the cache key only
#
# Source: Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz).
# Config: `make allnoconfig`, scripts/debug-kernel.config merged with the
# kernel's scripts/kconfig/merge_config.sh, `make olddefconfig`; then every
# option of the fragment must read back with the same value (else exit 1,
# listing the ones that did not).  Build: bzImage and modules (which writes
# Module.symvers), so the tree is a KDIR for out-of-tree modules.
#
# Cache: ${EXECMEM_CACHE:-~/.cache/execmem}/debug-kernel/HASH/, HASH from the
# source package version and size, the fragment, this script's recipe version
# and the compiler.  The tree is built in a temporary directory next to it
# and renamed into place at the end, so a HASH directory is always complete;
# a lock serialises concurrent callers.  Warm: no make at all.
#   HASH/linux/        the built tree (KDIR)
#   HASH/kver          the kernel release
#   HASH/build.log     the build output
# EXECMEM_DEBUG_JOBS (default 2) is make's -j; make runs under nice -n 19.
# Progress and errors go to stderr.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/cache-lib.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
BASE=$CACHE/debug-kernel
FRAG=$HERE/debug-kernel.config
PKG=linux-source-6.12
TARBALL=/usr/src/$PKG.tar.xz
RECIPE=1	# bump when the build steps below change
JOBS=${EXECMEM_DEBUG_JOBS:-2}
PKGS="$PKG bc flex bison libelf-dev libssl-dev dwarves"

log() { printf '%s debug-kernel: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_packages() {
	local p missing=()
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return
	log "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-o DPkg::Lock::Timeout=300 "${missing[@]}" >"${TMPDIR:-/tmp}/debug-kernel-apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed"
}

cache_key() {
	local ver
	ver=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null) || die "$PKG is not installed"
	[ -f "$TARBALL" ] || die "no $TARBALL"
	{
		echo "recipe $RECIPE"
		echo "source $PKG $ver $(stat -c %s "$TARBALL")"
		echo "cc $(gcc --version | head -n1)"
		cat "$FRAG"
	} | sha256sum | cut -c1-16
}

# verify_config DOTCONFIG: every fragment line reads back
verify_config() {
	local cfg=$1 line name bad=0
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$cfg" && continue
			name=${line%%=*}
			;;
		"# CONFIG_"*" is not set")
			name=${line#\# }
			name=${name%% *}
			! grep -q "^$name=" "$cfg" && continue
			;;
		*) continue ;;
		esac
		log "config: wanted '$line', got '$(grep -E "^(# )?${name}[= ]" "$cfg" || echo "$name absent")'"
		bad=1
	done <"$FRAG"
	[ $bad = 0 ] || die "the fragment $FRAG did not survive olddefconfig (see above)"
}

kmake() { nice -n 19 make -C "$1" -j"$JOBS" "${@:2}"; }

build() { # build TMPDIR
	local tmp=$1 t0=$SECONDS src
	log "unpacking $TARBALL"
	tar -C "$tmp" -xf "$TARBALL"
	src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'linux-source-*' | head -n1)
	[ -n "$src" ] || die "no linux-source-* directory in $TARBALL"
	mv "$src" "$tmp/linux"
	src=$tmp/linux
	log "configuring: allnoconfig + $(basename "$FRAG")"
	{
		make -C "$src" allnoconfig
		(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$FRAG")
		make -C "$src" olddefconfig
	} >"$tmp/build.log" 2>&1 || { tail -n 30 "$tmp/build.log" >&2; die "configuration failed"; }
	verify_config "$src/.config"
	log "building bzImage + modules (make -j$JOBS under nice; ~5 min cold)"
	if ! kmake "$src" bzImage modules >>"$tmp/build.log" 2>&1 ||
		! kmake "$src" modules_prepare >>"$tmp/build.log" 2>&1; then
		tail -n 40 "$tmp/build.log" >&2
		die "kernel build failed (log: $tmp/build.log)"
	fi
	[ -s "$src/arch/x86/boot/bzImage" ] || die "no bzImage"
	[ -f "$src/Module.symvers" ] || die "no Module.symvers"
	make -s -C "$src" kernelrelease >"$tmp/kver"
	log "built $(cat "$tmp/kver") in $((SECONDS - t0)) s"
}

main() {
	local key dir kver
	[ -f "$FRAG" ] || die "no fragment $FRAG"
	if [ "${1:-}" = --hash ]; then cache_key; return; fi
	[ $# = 0 ] || die "usage: $0 [--hash]"
	ensure_packages
	key=$(cache_key)
	dir=$BASE/$key
	cache_build "$BASE" "$key" kver "debug kernel" build
	kver=$(cat "$dir/kver")
	[ -s "$dir/linux/arch/x86/boot/bzImage" ] || die "cache $dir is incomplete: remove it"
	echo "$kver $dir/linux $dir/linux/arch/x86/boot/bzImage"
}

main "$@"
