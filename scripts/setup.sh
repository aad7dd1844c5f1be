#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything execmem needs on a Debian 12 machine and fetch the
# supported kernels into a cache outside the source tree.  Idempotent: when
# nothing is missing it only checks and returns (well under a second).
#
#   scripts/setup.sh            packages + 6.1, 6.12 and 7.2 headers/images
#   scripts/setup.sh --print    print "KVER VMLINUZ" lines for the cached kernels
#
# 6.1 and 6.12 come from the host's apt sources (headers installed on the
# host).  7.2 is the newest linux-*-7.2.NN+deb13-amd64 of trixie-backports,
# read through a private apt sources list ($CACHE/apt-trixie); its kbuild
# needs glibc >= 2.38, so its headers are installed in a debootstrap'd trixie
# chroot ($CACHE/chroot-trixie, with gcc-14, make, kmod, sparse, dkms), where
# the Makefile builds through scripts/chroot-make.sh.  The chroot also holds
# trixie-backports' qemu-system-x86 (11.x: TCG plugin API >= 5), which the
# TLB model (tlb/) runs through scripts/qemu-new.sh.
#
# Environment:
#   EXECMEM_CACHE   cache directory (default: ~/.cache/execmem)
#   EXECMEM_KVERS   explicit kernel releases instead of "newest 6.1, 6.12, 7.2"
#                   (a *+deb13-* release is set up the 7.2 way)
#   EXECMEM_NO_72=1 leave 7.2 out (no chroot, no trixie downloads)
set -euo pipefail

CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
mkdir -p "$CACHE/kernels"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
APTDIR=$CACHE/apt-trixie
CHROOT=$CACHE/chroot-trixie
# What the chroot needs besides the kernel headers (pahole comes with those).
CHROOT_PKGS="gcc-14 make kmod sparse dkms openssl"
# The newer QEMU (TCG plugin API >= 5: registers, guest physical memory),
# installed in the chroot from trixie-backports and run by scripts/qemu-new.sh.
QEMU_NEW_PKGS="qemu-system-x86"

# Two setups at once (check.sh and lint.sh) must not race on the cache.
exec 9>"$CACHE/.setup.lock"
flock 9

PKGS="build-essential gcc-12 make kmod libkmod-dev libpng-dev pkg-config dkms cpio gzip xz-utils
      busybox-static qemu-system-x86 sparse clang libclang-rt-14-dev python3 perl
      linux-source-6.12 bc flex bison libelf-dev libssl-dev linux-perf gnuplot-nox file groff-base
      debootstrap qemu-utils e2fsprogs libglib2.0-dev"

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

# --- private apt for trixie + trixie-backports (host apt state untouched) ---
PAPT_OPTS=(-o APT::Sandbox::User=root
	-o "Dir::Etc::SourceList=$APTDIR/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State=$APTDIR/state" -o "Dir::State::Lists=$APTDIR/lists"
	-o Dir::State::status=/dev/null -o "Dir::Cache=$APTDIR/cache")
papt_updated=0
papt_update_once() {
	[ $papt_updated = 1 ] && return
	mkdir -p "$APTDIR/state" "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
	cat >"$APTDIR/sources.list" <<-EOF
		deb [signed-by=$KEYRING] $MIRROR trixie main
		deb [signed-by=$KEYRING] $MIRROR trixie-backports main
	EOF
	log "apt-get update (private: trixie, trixie-backports)"
	apt-get "${PAPT_OPTS[@]}" -qq update
	papt_updated=1
}
newest72() {
	papt_update_once
	apt-cache "${PAPT_OPTS[@]}" search --names-only '^linux-headers-7\.2\.[0-9]+\+deb13-amd64$' |
		awk '{print $1}' | sort -V | tail -n1
}
is72() { case $1 in *+deb13-*) return 0 ;; *) return 1 ;; esac; }

# in_chroot CMD...: run in the chroot (/proc, /dev mounted meanwhile only)
in_chroot() {
	"$HERE/chroot-make.sh" --chroot "$CHROOT" --nobind -- \
		env DEBIAN_FRONTEND=noninteractive "$@"
}

# setup_chroot KVER: trixie chroot with the build packages and KVER's headers
setup_chroot() {
	local kver=$1 stamp="$CHROOT/.execmem-ready"
	[ "$(cat "$stamp" 2>/dev/null)" = "$CHROOT_PKGS $kver" ] &&
		[ -e "$CHROOT/usr/src/linux-headers-$kver/Makefile" ] && return
	if [ ! -x "$CHROOT/usr/bin/apt-get" ]; then
		command -v debootstrap >/dev/null || {
			apt_update_once
			log "installing debootstrap"
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends debootstrap >/dev/null
		}
		log "debootstrap --variant=minbase trixie $CHROOT"
		rm -rf "$CHROOT.tmp"
		as_root debootstrap --variant=minbase --keyring="$KEYRING" trixie \
			"$CHROOT.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 || {
			tail -n 20 "$CACHE/debootstrap.log" >&2
			exit 1
		}
		rm -rf "$CHROOT"
		mv "$CHROOT.tmp" "$CHROOT"
	fi
	echo "deb $MIRROR trixie-backports main" >"$CHROOT/etc/apt/sources.list.d/backports.list"
	log "chroot: installing $CHROOT_PKGS linux-headers-$kver"
	in_chroot apt-get update -qq
	# shellcheck disable=SC2086 # a list of packages
	in_chroot apt-get install -y -qq --no-install-recommends \
		$CHROOT_PKGS "linux-headers-$kver" >/dev/null
	in_chroot apt-get clean
	echo "$CHROOT_PKGS $kver" >"$stamp"
}

# setup_qemu_new: qemu-system-x86 from trixie-backports in the chroot (its
# own stamp: an existing chroot gets it without a rebuild)
setup_qemu_new() {
	local stamp="$CHROOT/.execmem-qemu-new"
	[ "$(cat "$stamp" 2>/dev/null)" = "$QEMU_NEW_PKGS" ] &&
		[ -x "$CHROOT/usr/bin/qemu-system-x86_64" ] && return
	log "chroot: installing $QEMU_NEW_PKGS from trixie-backports"
	in_chroot apt-get update -qq
	# shellcheck disable=SC2086 # a list of packages
	in_chroot apt-get install -y -qq --no-install-recommends -t trixie-backports \
		$QEMU_NEW_PKGS >/dev/null
	in_chroot apt-get clean
	echo "$QEMU_NEW_PKGS" >"$stamp"
}

# fetch72 KVER DIR: vmlinuz, config, modules/ (with modules.dep) into DIR
fetch72() {
	local kver=$1 kdir=$2 tmp deb
	papt_update_once
	log "fetching linux-binary/modules/base-$kver into $kdir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get "${PAPT_OPTS[@]}" -qq download "linux-binary-$kver" \
		"linux-modules-$kver" "linux-base-$kver")
	rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp/root"
	for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$kdir.tmp/root"; done
	local m="$kdir.tmp/root/usr/lib/modules/$kver"
	cp "$m/vmlinuz" "$kdir.tmp/vmlinuz.part"
	cp "$m/config" "$kdir.tmp/config"
	rm -f "$m/vmlinuz" "$m/System.map"	# a placeholder in linux-base
	mkdir -p "$kdir.tmp/root/lib/modules"
	mv "$m" "$kdir.tmp/root/lib/modules/"
	depmod -b "$kdir.tmp/root" "$kver"
	mv "$kdir.tmp/root/lib/modules/$kver" "$kdir.tmp/modules"
	mv "$kdir.tmp/vmlinuz.part" "$kdir.tmp/vmlinuz"
	rm -rf "$kdir.tmp/root" "$tmp" "$kdir"
	mv "$kdir.tmp" "$kdir"
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
if [ -z "${EXECMEM_KVERS:-}" ] && [ "${EXECMEM_NO_72:-0}" != 1 ]; then
	k72_file="$CACHE/kvers-7.2"
	if [ -s "$k72_file" ] && [ -n "$(find "$k72_file" -mmin -1440)" ]; then
		k72=$(cat "$k72_file")
	else
		k72=$(newest72)
		k72=${k72#linux-headers-}
		[ -n "$k72" ] || { log "no linux-headers-7.2.*+deb13-amd64 in trixie-backports"; exit 1; }
		echo "$k72" >"$k72_file"
	fi
	KVERS="$KVERS $k72"
fi

for kver in $KVERS; do
	if is72 "$kver"; then
		setup_chroot "$kver"
		setup_qemu_new
		[ -s "$CACHE/kernels/$kver/vmlinuz" ] || fetch72 "$kver" "$CACHE/kernels/$kver"
		continue
	fi
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
		top=$(tar tf "$tarball" | head -n1 | cut -d/ -f1 || true)
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
