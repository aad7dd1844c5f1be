#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the Debian 12 disk image of the DKMS guest test and print
# where it is.
#
#   scripts/debian-guest-image.sh          prints "DIR" (see below) on stdout
#   scripts/debian-guest-image.sh --hash   prints the cache key only
#
# The image is a real Debian 12 root file system: debootstrap (minbase) of
# bookworm, then apt-get in a chroot (scripts/chroot-make.sh: /proc, /dev in
# a private mount namespace) from bookworm, bookworm-updates and
# bookworm-security.  It holds systemd, dkms, gcc-12, make, libkmod-dev,
# libpng-dev (execmemctl), pkg-config and the image and headers of the
# first kernel of scripts/setup.sh --print that is a 6.12 (the kernel the
# guest runs), plus
# the .debs of the 6.1 kernel's image and headers in /var/local/execmem-debs
# (the guest has no network; the test installs them with dpkg -i).  Nothing
# of execmem is in it: the test copies the source tree in from a second disk.
#
# Boot: systemd runs execmem-job.service after multi-user.target when a
# second virtio disk (/dev/vdb, ext4) exists: it mounts it at /mnt/job and
# runs `bash /mnt/job/run.sh` with its output on the serial console
# (scripts/debian-guest.sh writes that disk).  serial-getty@ttyS0 is masked
# (the console is the test's), and so are the apt/e2scrub/fstrim timers.
# initramfs-tools is set to MODULES=list with a hook adding virtio_pci,
# virtio_blk and ext4: mkinitramfs cannot detect the guest's hardware in a
# chroot, and a small initramfs builds and boots faster under TCG.
#
# Cache: ${EXECMEM_CACHE:-~/.cache/execmem}/debian-guest/HASH/, HASH of this
# script (recipe and package list), the two kernel releases and the mirror.
# Built in a temporary directory next to it and renamed into place, under a
# lock: a HASH directory is always complete.  Warm: no work at all.
#   HASH/disk.raw      the ext4 root file system (sparse; never written by a
#                      test run: runs use a qcow2 overlay)
#   HASH/vmlinuz       HASH/initrd.img   the guest kernel and initramfs
#                      (copied out of the image's /boot)
#   HASH/kver          the running kernel's release, HASH/kver2 the second's
#   HASH/build.log     debootstrap and apt output
# Progress and errors go to stderr.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/cache-lib.sh"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
BASE=$CACHE/debian-guest
MIRROR=http://deb.debian.org/debian
SECMIRROR=http://deb.debian.org/debian-security
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
SIZE=6G
# What a user building DKMS modules on Debian 12 has (no recommends).
PKGS="systemd-sysv udev kmod dkms gcc gcc-12 make libc6-dev libkmod-dev libpng-dev pkg-config
      initramfs-tools openssl xz-utils zstd procps"

log() { printf '%s debian-guest-image: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

kernels() { # sets K1 (6.12, runs) and K2 (6.1, installed by the test)
	local line k
	K1="" K2=""
	while read -r line; do
		k=${line%% *}
		case $k in
		6.12.*) K1=$k ;;
		6.1.*) K2=$k ;;
		esac
	done < <(EXECMEM_NO_72=1 "$HERE/setup.sh" --print)
	[ -n "$K1" ] && [ -n "$K2" ] || die "setup.sh --print lists no 6.12 and 6.1 kernels"
}

cache_key() {
	{
		sha256sum <"${BASH_SOURCE[0]}"
		echo "$K1 $K2 $MIRROR $SECMIRROR"
	} | sha256sum | cut -c1-16
}

# in_root ROOT CMD...: run CMD in the image's root (chroot, private mounts)
in_root() {
	local root=$1
	shift
	"$HERE/chroot-make.sh" --chroot "$root" --nobind -- \
		env DEBIAN_FRONTEND=noninteractive "$@"
}

configure() { # configure ROOT: files written before apt runs
	local root=$1
	cat >"$root/etc/apt/sources.list" <<-EOF
		deb $MIRROR bookworm main
		deb $MIRROR bookworm-updates main
		deb $SECMIRROR bookworm-security main
	EOF
	# No daemon starts in the chroot.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/etc/initramfs-tools/hooks"
	echo "MODULES=list" >"$root/etc/initramfs-tools/conf.d/execmem-guest.conf"
	cat >"$root/etc/initramfs-tools/hooks/execmem-guest" <<-'EOF'
		#!/bin/sh
		# The guest's root: ext4 on virtio-blk (MODULES=list: nothing else).
		[ "$1" = prereqs ] && exit 0
		. /usr/share/initramfs-tools/hook-functions
		manual_add_modules virtio_pci virtio_blk ext4
	EOF
	chmod 755 "$root/etc/initramfs-tools/hooks/execmem-guest"
	echo "execmem-guest" >"$root/etc/hostname"
	echo "/dev/vda / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
}

finish() { # finish ROOT: files written after apt ran
	local root=$1 u
	rm -f "$root/usr/sbin/policy-rc.d"
	cat >"$root/usr/local/sbin/execmem-job" <<-'EOF'
		#!/bin/sh
		# Run the test job of the second disk (scripts/debian-guest.sh).
		mkdir -p /mnt/job
		mount -o ro /dev/vdb /mnt/job || exit 1
		exec bash /mnt/job/run.sh
	EOF
	chmod 755 "$root/usr/local/sbin/execmem-job"
	cat >"$root/etc/systemd/system/execmem-job.service" <<-'EOF'
		[Unit]
		Description=execmem test job from /dev/vdb
		ConditionPathExists=/dev/vdb
		After=multi-user.target

		[Service]
		Type=oneshot
		ExecStart=/usr/local/sbin/execmem-job
		StandardInput=null
		StandardOutput=tty
		StandardError=tty
		TTYPath=/dev/ttyS0
		TimeoutStartSec=infinity

		[Install]
		WantedBy=multi-user.target
	EOF
	mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
	ln -sf /etc/systemd/system/execmem-job.service \
		"$root/etc/systemd/system/multi-user.target.wants/execmem-job.service"
	for u in serial-getty@ttyS0.service apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
		ln -sf /dev/null "$root/etc/systemd/system/$u"
	done
	# root without a password: the serial console is the only way in.
	in_root "$root" passwd -d root >/dev/null
}

# shellcheck disable=SC2086 # $PKGS: a list of packages
build() { # build TMPDIR
	local tmp=$1 root=$1/root t0=$SECONDS blog=$1/build.log
	log "debootstrap --variant=minbase bookworm (log: $blog)"
	debootstrap --variant=minbase --keyring="$KEYRING" bookworm "$root" "$MIRROR" \
		>"$blog" 2>&1 || { tail -n 20 "$blog" >&2; die "debootstrap failed"; }
	configure "$root"
	log "apt-get install (chroot): $(echo $PKGS) linux-image-$K1 linux-headers-$K1"
	{
		in_root "$root" apt-get update &&
			in_root "$root" apt-get install -y --no-install-recommends $PKGS \
				"linux-image-$K1" "linux-headers-$K1" &&
			in_root "$root" apt-get clean &&
			in_root "$root" apt-get install -y --no-install-recommends --download-only \
				"linux-image-$K2" "linux-headers-$K2"
	} >>"$blog" 2>&1 || { tail -n 30 "$blog" >&2; die "apt-get in the image failed"; }
	mkdir -p "$root/var/local/execmem-debs"
	mv "$root"/var/cache/apt/archives/*.deb "$root/var/local/execmem-debs/"
	ls "$root/var/local/execmem-debs" >>"$blog"
	ls "$root/var/local/execmem-debs/linux-image-$K2"_*.deb >/dev/null ||
		die "no linux-image-$K2 .deb fetched"
	in_root "$root" apt-get clean >>"$blog" 2>&1
	finish "$root"
	[ -s "$root/boot/vmlinuz-$K1" ] && [ -s "$root/boot/initrd.img-$K1" ] ||
		die "no /boot/vmlinuz-$K1 or initrd.img-$K1 in the image"
	cp "$root/boot/vmlinuz-$K1" "$tmp/vmlinuz"
	cp "$root/boot/initrd.img-$K1" "$tmp/initrd.img"
	log "mke2fs -t ext4 -d (root: $(du -sh "$root" | cut -f1))"
	truncate -s "$SIZE" "$tmp/disk.raw"
	mke2fs -q -t ext4 -L execmem-guest -d "$root" "$tmp/disk.raw" >>"$blog" 2>&1 ||
		{ tail -n 20 "$blog" >&2; die "mke2fs failed"; }
	rm -rf "$root"
	echo "$K1" >"$tmp/kver"
	echo "$K2" >"$tmp/kver2"
	log "image built in $((SECONDS - t0)) s"
}

main() {
	local key dir
	kernels
	if [ "${1:-}" = --hash ]; then cache_key; return; fi
	[ $# = 0 ] || die "usage: $0 [--hash]"
	[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
	command -v debootstrap >/dev/null || die "no debootstrap (scripts/setup.sh installs it)"
	key=$(cache_key)
	dir=$BASE/$key
	cache_build "$BASE" "$key" kver2 "image" build
	[ -s "$dir/disk.raw" ] && [ -s "$dir/vmlinuz" ] || die "cache $dir is incomplete: remove it"
	echo "$dir"
}

main "$@"
