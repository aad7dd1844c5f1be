#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# modload-prep.sh KVER MODULES_DIR LIST OUT: prepare the modload guest files.
#   MODULES_DIR  the kernel's /lib/modules/KVER tree (from its modules package)
#   LIST         bench/loaded-modules.txt
#   OUT          gets mods/*.ko (decompressed) and mods.list: the files in the order
#                kmod's `modprobe --show-depends` gives (dependencies first),
#                each once; names missing from this kernel are skipped.
# depmod runs on a hard-linked copy of MODULES_DIR (the cache is not touched).
set -euo pipefail
KVER=$1 MODDIR=$2 LIST=$3 OUT=$4
BASE=$OUT/root
rm -rf "$OUT" && mkdir -p "$BASE/lib/modules" "$OUT/mods"
cp -al "$MODDIR" "$BASE/lib/modules/$KVER" 2>/dev/null || cp -a "$MODDIR" "$BASE/lib/modules/$KVER"
depmod -b "$BASE" "$KVER"
: >"$OUT/mods.list"
: >"$OUT/missing"
for name in $(grep -v '^#' "$LIST"); do
	if ! deps=$(modprobe -d "$BASE" -S "$KVER" --show-depends "$name" 2>/dev/null); then
		echo "$name" >>"$OUT/missing"
		continue
	fi
	echo "$deps" | awk '$1 == "insmod" { print $2 }' | while read -r f; do
		b=$(basename "$f")
		grep -qxF "${b%.*}" "$OUT/mods.list" && continue
		grep -qxF "$b" "$OUT/mods.list" && continue
		# busybox insmod reads no compressed modules: store them plain
		case $b in
		*.ko.xz) b=${b%.xz}; xz -dc "$f" >"$OUT/mods/$b" ;;
		*.ko.zst) b=${b%.zst}; zstd -qdc "$f" >"$OUT/mods/$b" ;;
		*) cp "$f" "$OUT/mods/$b" ;;
		esac
		echo "$b" >>"$OUT/mods.list"
	done
done
rm -rf "$BASE"
