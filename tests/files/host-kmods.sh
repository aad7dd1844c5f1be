#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# host-kmods.sh DEST: the kernel's BPF test suite for tests/guest/host_bpf.sh,
# DEST/kmods/KVER/test_bpf.ko (decompressed: busybox insmod reads plain .ko
# files), for every kernel scripts/setup.sh --print lists (lib/test_bpf.ko of
# Debian's linux-image, CONFIG_TEST_BPF=m, no dependencies) and for the debug
# kernel of scripts/debug-kernel.sh when it is already built and cached (its
# lib/test_bpf.ko; a first `make check` builds it in the background after
# this ran, and scripts/check.sh copies it in once the build is done).
set -euo pipefail
dest=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${EXECMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/execmem}
"$here/../../scripts/setup.sh" --print | while read -r kver _; do
	f=$(ls "$cache/kernels/$kver/modules/kernel/lib/test_bpf.ko"* 2>/dev/null | head -n1 || true)
	[ -n "$f" ] || { echo "host-kmods: no test_bpf.ko for $kver" >&2; continue; }
	mkdir -p "$dest/kmods/$kver"
	case $f in
	*.ko.xz) xz -dc "$f" >"$dest/kmods/$kver/test_bpf.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$dest/kmods/$kver/test_bpf.ko" ;;
	*) cp "$f" "$dest/kmods/$kver/test_bpf.ko" ;;
	esac
done
key=$("$here/../../scripts/debug-kernel.sh" --hash 2>/dev/null || true)
dk=$cache/debug-kernel/$key
if [ -n "$key" ] && [ -s "$dk/kver" ] && [ -f "$dk/linux/lib/test_bpf.ko" ]; then
	mkdir -p "$dest/kmods/$(cat "$dk/kver")"
	cp "$dk/linux/lib/test_bpf.ko" "$dest/kmods/$(cat "$dk/kver")/test_bpf.ko"
fi
