#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   scripts/copy-tree.sh DEST
# Copy the source tree to DEST for an out-of-place build: the files git
# knows of (tracked, or untracked and not ignored); outside a git checkout,
# everything but build/, results/ and .git/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$1
mkdir -p "$dest"
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$ROOT" ls-files -z -co --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$ROOT/$f" ] && printf '%s\0' "$f"
		done | tar -C "$ROOT" --null -T - -cf - | tar -C "$dest" -xf -
else
	tar -C "$ROOT" --exclude=./build --exclude=./.git --exclude=./results -cf - . |
		tar -C "$dest" -xf -
fi
