#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# census-kmods.sh DEST: the stock modules the census guest test loads
# (tests/guest/census.sh), for every kernel scripts/setup.sh --print lists:
# DEST/kmods/KVER/{minix,qnx4}.ko, decompressed (busybox insmod reads plain
# .ko files), from the kernel cache's modules tree.  Both have no
# dependencies on Debian 6.1, 6.12 and 7.2.
set -euo pipefail
dest=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
rm -rf "$dest/kmods"
"$here/../../scripts/setup.sh" --print | while read -r kver _; do
	mods=$cache/kernels/$kver/modules
	mkdir -p "$dest/kmods/$kver"
	for m in fs/minix/minix fs/qnx4/qnx4; do
		f=$(ls "$mods/kernel/$m".ko* 2>/dev/null | head -n1)
		# (the census test skips its module checks without them)
		[ -n "$f" ] || { echo "census-kmods: no $m in $mods" >&2; continue; }
		case $f in
		*.ko.xz) xz -dc "$f" >"$dest/kmods/$kver/$(basename "$m").ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$dest/kmods/$kver/$(basename "$m").ko" ;;
		*) cp "$f" "$dest/kmods/$kver/" ;;
		esac
	done
done
