# SPDX-License-Identifier: GPL-2.0
#
# Function lengths of kernel-style C: prints "LINES FILE:LINE NAME" for every
# function body opened by "{" in column 0 and closed by "}" in column 0
# (LINES counts both braces).  Used by scripts/lint.sh.
/^[A-Za-z_].*\(/ { sig = $0; sigline = FNR }
/^\{/ {
	start = FNR
	name = sig
	sub(/\(.*/, "", name)
	n = split(name, w, /[ *]+/)
	name = w[n]
}
/^\}/ && start {
	printf "%d %s:%d %s\n", FNR - start + 1, FILENAME, sigline, name
	start = 0
}
