# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the scripts that build something once into the cache
# (scripts/debug-kernel.sh, scripts/debian-guest-image.sh).
#
# cache_build BASE KEY MARKER WHAT FUNCTION: make BASE/KEY unless its file
# MARKER exists: FUNCTION DIR builds into a temporary directory (and writes
# DIR/MARKER last), which then takes BASE/KEY's place.  Under a lock per
# key, so that two runs build it once.  WHAT names it in the log (the
# caller's log function).
cache_build() {
	local base=$1 key=$2 marker=$3 what=$4 fn=$5 dir=$1/$2 tmp
	[ ! -f "$dir/$marker" ] || return 0
	mkdir -p "$base"
	exec 9>"$base/.lock.$key"
	flock 9
	if [ ! -f "$dir/$marker" ]; then # not built while we waited
		log "no cached $what $key: building"
		rm -rf "$base/.tmp.$key".*
		tmp=$(mktemp -d "$base/.tmp.$key.XXXXXX")
		"$fn" "$tmp"
		rm -rf "$dir"
		mv -T "$tmp" "$dir"
	fi
	flock -u 9
}
