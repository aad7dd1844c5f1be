#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything execmem needs on a Debian 12 machine and fetch the
# supported kernels into a cache outside the source tree.  Idempotent: when
# nothing is missing it only checks and returns (well under a second).
#
#   scripts/setup.sh            packages + 6.1 and 6.12 headers/images
#   scripts/setup.sh --print    print "KVER VMLINUZ" lines for the cached kernels
#
# Environment:
#   EXECMEM_CACHE   cache directory (default: ~/.cache/execmem)
#   EXECMEM_KVERS   explicit kernel releases instead of "newest 6.1 and 6.12"
set -euo pipefail

CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
mkdir -p "$CACHE/kernels"

PKGS="build-essential gcc-12 make kmod libkmod-dev pkg-config dkms cpio gzip xz-utils
      busybox-static qemu-system-x86 sparse clang libclang-rt-14-dev python3 perl
      linux-source-6.12 bc flex bison libelf-dev libssl-dev"

log() { echo "setup: $*" >&2; }

missing_pkgs() {
	local p out=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			out="$out $p"
	done
	echo "$out"
}

apt_updated=0
apt_update_once() {
	[ $apt_updated = 1 ] && return
	log "apt-get update"
	apt-get update -qq
	apt_updated=1
}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

newest() { # newest package name matching an anchored regex
	apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -n1
}

# --- packages -------------------------------------------------------------
need=$(missing_pkgs)
if [ -n "$need" ]; then
	apt_update_once
	log "installing:$need"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $need >/dev/null
fi

# --- kernels ---------------------------------------------------------------
# The release list is cached for a day so that a warm run asks apt nothing.
kvers_file="$CACHE/kvers"
if [ -n "${EXECMEM_KVERS:-}" ]; then
	KVERS=$EXECMEM_KVERS
elif [ -s "$kvers_file" ] && [ -n "$(find "$kvers_file" -mmin -1440)" ]; then
	KVERS=$(cat "$kvers_file")
else
	k61=$(newest '^linux-headers-6\.1\.0-[0-9]+-amd64$')
	if [ -z "$k61" ]; then apt_update_once; k61=$(newest '^linux-headers-6\.1\.0-[0-9]+-amd64$'); fi
	k612=$(newest '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$')
	KVERS="${k61#linux-headers-} ${k612#linux-headers-}"
	echo "$KVERS" >"$kvers_file"
fi

for kver in $KVERS; do
	if [ ! -e "/usr/src/linux-headers-$kver/Makefile" ]; then
		apt_update_once
		log "installing linux-headers-$kver"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "linux-headers-$kver" >/dev/null
	fi
	kdir="$CACHE/kernels/$kver"
	if [ ! -s "$kdir/vmlinuz" ]; then
		# apt-get download + dpkg-deb -x: no update-initramfs, nothing
		# installed into the host's /boot.
		apt_update_once
		log "fetching linux-image-$kver into $kdir"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -qq "linux-image-$kver" 2>/dev/null ||
			apt-get download -qq "linux-image-$kver-unsigned")
		rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
		dpkg-deb -x "$tmp"/linux-image-*.deb "$kdir.tmp/root"
		cp "$kdir.tmp/root/boot/vmlinuz-$kver" "$kdir.tmp/vmlinuz"
		[ -d "$kdir.tmp/root/lib/modules/$kver" ] &&
			mv "$kdir.tmp/root/lib/modules/$kver" "$kdir.tmp/modules"
		cp "$kdir.tmp/root/boot/config-$kver" "$kdir.tmp/config"
		cp "$kdir.tmp/root/boot/System.map-$kver" "$kdir.tmp/System.map" 2>/dev/null || true
		rm -rf "$kdir.tmp/root" "$tmp" "$kdir"
		mv "$kdir.tmp" "$kdir"
	fi
done

# checkpatch.pl comes with Debian's kernel source tarball.
if [ ! -x "$CACHE/checkpatch/scripts/checkpatch.pl" ]; then
	tarball=$(ls /usr/src/linux-source-6.12*.tar.* 2>/dev/null | head -n1)
	if [ -n "$tarball" ]; then
		log "extracting checkpatch.pl from $tarball"
		rm -rf "$CACHE/checkpatch" && mkdir -p "$CACHE/checkpatch"
		top=$(tar tf "$tarball" | head -n1 | cut -d/ -f1)
		tar xf "$tarball" -C "$CACHE/checkpatch" --strip-components=1 \
			"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
			"$top/scripts/const_structs.checkpatch" 2>/dev/null ||
			tar xf "$tarball" -C "$CACHE/checkpatch" --strip-components=1 \
				"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt"
	fi
fi

if [ "${1:-}" = "--print" ]; then
	for kver in $KVERS; do echo "$kver $CACHE/kernels/$kver/vmlinuz"; done
fi
