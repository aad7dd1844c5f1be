#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command (by default make) inside the trixie chroot that builds for
# kernels whose kbuild the host cannot run (Debian 7.2: its fixdep/modpost
# need glibc >= 2.38).  scripts/setup.sh creates the chroot.
#
#   scripts/chroot-make.sh [--chroot DIR] [--bind DIR]... [--nobind] [--] [CMD [ARGS...]]
#       Bind-mount every --bind DIR (default: the current directory) into the
#       chroot at the same path, so that paths in logs and Module.symvers stay
#       valid; mount /proc (objtool needs it) and /dev; cd to the current
#       directory if it lies in a bound one, else to the first --bind DIR (to
#       / with --nobind); run CMD ARGS (default: make).  Exit with CMD's
#       status.
#   scripts/chroot-make.sh --needed KVER
#       Exit 0 iff KVER has to be built in the chroot: the host has no headers
#       for it and the chroot has.
#
# The mounts live in a private mount namespace (unshare): other processes,
# including concurrent chroot builds, never see them, and they vanish with the
# namespace however the command ends (error, signal).  Without unshare the
# mounts are made in the host namespace under an exclusive lock (chroot builds
# then run one at a time) and removed by a trap.
#
# Environment: EXECMEM_CACHE (default ~/.cache/execmem); the chroot is
# $EXECMEM_CACHE/chroot-trixie unless --chroot is given.
set -euo pipefail

CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
CH=$CACHE/chroot-trixie
BINDS=()
NOBIND=0

die() { echo "chroot-make: $*" >&2; exit 2; }

headers() { [ -e "$1/usr/src/linux-headers-$2/Makefile" ]; }

if [ "${1:-}" = --needed ]; then
	[ $# = 2 ] || die "usage: --needed KVER"
	headers "" "$2" && exit 1
	[ -e "/lib/modules/$2/build/Makefile" ] && exit 1
	headers "$CH" "$2"
	exit
fi

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--chroot) CH=$2; shift 2 ;;
	--bind) BINDS+=("$(realpath -e "$2")") || die "no directory $2"; shift 2 ;;
	--nobind) NOBIND=1; shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- make
[ ${#BINDS[@]} -gt 0 ] || [ $NOBIND = 1 ] || BINDS=("$(pwd -P)")
CH=$(realpath -e "$CH") || die "no chroot $CH: run scripts/setup.sh"
[ -x "$CH/bin/sh" ] || die "$CH is not a chroot: run scripts/setup.sh"
[ "$(id -u)" = 0 ] || die "needs root (mount, chroot)"

# Re-enter in a private mount namespace when possible.
if [ -z "${XM_CHROOT_NS:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
	XM_CHROOT_NS=1 exec unshare --mount --propagation private "$0" "${args[@]}"
fi

MOUNTED=()
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local i
	for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}" 2>/dev/null || true
	done
	MOUNTED=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ -z "${XM_CHROOT_NS:-}" ]; then
	# Shared namespace: one chroot user at a time.
	exec 9>"$CH/.execmem-chroot.lock"
	flock 9
fi

do_mount() { # do_mount TARGET MOUNT-ARGS...
	local target=$1
	shift
	mkdir -p "$target"
	mount "$@" "$target"
	MOUNTED+=("$target")
}

mountpoint -q "$CH/proc" || do_mount "$CH/proc" -t proc proc
mountpoint -q "$CH/dev" || do_mount "$CH/dev" --bind /dev
mountpoint -q "$CH/dev/pts" || do_mount "$CH/dev/pts" --bind /dev/pts
for d in ${BINDS[@]+"${BINDS[@]}"}; do
	[ "$d" != / ] || die "refusing to bind /"
	mountpoint -q "$CH$d" || do_mount "$CH$d" --bind "$d"
done

cwd=$(pwd -P)
if [ $NOBIND = 1 ]; then
	cwd=/
else
	inside=0
	for d in "${BINDS[@]}"; do
		case $cwd/ in "$d"/*) inside=1 ;; esac
	done
	[ $inside = 1 ] || cwd=${BINDS[0]}
fi
rc=0
# shellcheck disable=SC2016 # expanded by the chroot's shell
env -u LANGUAGE LANG=C.UTF-8 LC_ALL=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	chroot "$CH" /bin/sh -c 'cd "$1" || exit 1; shift; exec "$@"' sh "$cwd" "$@" || rc=$?
exit $rc
