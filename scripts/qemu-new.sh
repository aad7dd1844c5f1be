#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the newer QEMU (trixie-backports' qemu-system-x86_64, installed in the
# trixie chroot by scripts/setup.sh) from the host, with the given arguments.
#
#   scripts/qemu-new.sh [QEMU ARGS...]        e.g. --version, -accel help
#   scripts/qemu-new.sh --print-version       "11.1.3" (the package's)
#
# The binary runs through the chroot's own dynamic loader with the chroot's
# libraries (--library-path), its modules (QEMU_MODULE_DIR) and its firmware
# (-L): no chroot(2), no bind mounts, no root.  So every path in the
# arguments (kernel, initrd, serial log, plugin .so, -D log) is a host path,
# wherever it lies.  A plugin dlopen()ed by this QEMU resolves its libraries
# (glib) from the chroot too: build it on the host against the API version
# this QEMU offers (tlb/Makefile does).  scripts/qemu-run.sh uses this with
# --qemu new or EXECMEM_QEMU=new.
#
# Environment: EXECMEM_CACHE (default ~/.cache/execmem).
set -euo pipefail

CACHE=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
CH=$CACHE/chroot-trixie
LIB=$CH/usr/lib/x86_64-linux-gnu
BIN=$CH/usr/bin/qemu-system-x86_64

die() { echo "qemu-new: $*" >&2; exit 2; }

[ -x "$BIN" ] || die "no $BIN: run scripts/setup.sh (7.2 chroot + qemu-system-x86)"
LDSO=$LIB/ld-linux-x86-64.so.2
[ -e "$LDSO" ] || die "no dynamic loader $LDSO in the chroot"

if [ "${1:-}" = --print-version ]; then
	sed -n '/^Package: qemu-system-x86$/,/^$/s/^Version: \(1:\)\{0,1\}\([0-9.]*\).*/\2/p' \
		"$CH/var/lib/dpkg/status"
	exit 0
fi

# QEMU finds its data directory next to its binary; through the loader its
# "binary" is ld.so, so name the firmware directory explicitly.
export QEMU_MODULE_DIR=$LIB/qemu
exec "$LDSO" --library-path "$LIB:$CH/lib/x86_64-linux-gnu" --argv0 qemu-system-x86_64 \
	"$BIN" -L "$CH/usr/share/qemu" -L "$CH/usr/share/seabios" "$@"
