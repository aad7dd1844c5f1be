#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make host programs runnable in the busybox test guest:
#   scripts/guest-bin.sh DEST PROGRAM...
# copies each PROGRAM to DEST/bin/, every library ldd lists and the dynamic
# loader to DEST/lib/, and writes DEST/NAME, a sh wrapper that runs the
# program through the loader with --library-path DEST/lib.  Pass DEST to
# scripts/qemu-run.sh --files: the programs run as /files/NAME in the guest.
set -euo pipefail

dest=$1
shift
mkdir -p "$dest/bin" "$dest/lib"
for prog in "$@"; do
	name=$(basename "$prog")
	cp -L "$prog" "$dest/bin/$name"
	ldd "$prog" | awk '/=> \// { print $3 } /^[[:space:]]*\// { print $1 }' |
		while read -r lib; do cp -L "$lib" "$dest/lib/"; done
	ldso=$(cd "$dest/lib" && ls ld-linux-*.so.* | head -n1)
	[ -n "$ldso" ] || { echo "guest-bin: no dynamic loader for $prog" >&2; exit 1; }
	cat >"$dest/$name" <<EOW
#!/bin/sh
# $name run by the loader with its own libraries (scripts/guest-bin.sh)
d=\${0%/*}
exec "\$d/lib/$ldso" --library-path "\$d/lib" "\$d/bin/$name" "\$@"
EOW
	chmod 0755 "$dest/$name"
done
