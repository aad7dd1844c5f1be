#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Count KTAP results in serial logs or KTAP streams.
#
#   scripts/ktap-summary.sh FILE...
#
# Prints, per file, "FILE: P passed, F failed, S skipped" followed by one
# "  not ok: NAME" line per failure, and as the last line the totals
# "P passed, F failed" (", S skipped" is appended when S > 0).  Exit 0 when
# nothing failed, 1 otherwise.  A missing or unreadable FILE is one failure.
#
# Rules:
# - A kernel timestamp prefix "[    3.123456] " (optionally with a caller id
#   "[T12] ") and trailing CRs are removed; the remaining leading spaces give
#   the nesting level.  Other lines (boot messages, shell output) are ignored.
# - Documents: "KTAP version N" / "TAP version N" starts one at its
#   indentation; a plan "1..N" or "# Subtest: NAME" at a deeper indentation
#   than the current document opens an implicit one (6.1-style nesting).  A
#   result at a shallower indentation ends all deeper documents.
# - Leaves are counted: a result line is a leaf unless a nested document
#   ended right before it (then it is that subtest's summary and is not
#   counted).  A summary "not ok" whose subtree added no failure counts as one
#   failure (e.g. a suite whose init failed).
# - "# SKIP" directive (any case): skipped, whether "ok" or "not ok".
# - A document whose plan 1..N differs from the number of results it holds
#   counts as one failure "NAME: missing results (plan N, saw M)".
# - Failure names are "file: suite.test" using enclosing "# Subtest:" names.
set -euo pipefail

if [ $# = 0 ]; then
	sed -n '4,11s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi

missing=0
files=()
for f in "$@"; do
	if [ -r "$f" ]; then
		files+=("$f")
	else
		echo "$f: 0 passed, 1 failed, 0 skipped"
		echo "  not ok: $f: file missing or unreadable"
		missing=$((missing + 1))
	fi
done
[ ${#files[@]} -gt 0 ] || { echo "0 passed, $missing failed"; exit 1; }

awk -v missing="$missing" '
function fail(name) { F++; fails[++nf] = name }

# Open a document at indentation ind (push on the level stack).
function push(ind) {
	sp++; lvl[sp] = ind; plan[sp] = -1; nres[sp] = 0; sub_name[sp] = ""
	kids[sp] = 0; fsnap[sp] = F; dline[sp] = FNR
}

# End the innermost document: check its plan, tell the parent it had a child.
function pop(   what) {
	if (plan[sp] >= 0 && nres[sp] != plan[sp]) {
		what = sub_name[sp] != "" ? path(sp) : "document at line " dline[sp]
		fail(what ": missing results (plan " plan[sp] ", saw " nres[sp] ")")
	}
	sp--
	if (sp > 0) kids[sp] = 1
}

function pop_deeper(ind) { while (sp > 0 && lvl[sp] > ind) pop() }

# Make sure the innermost open document sits at indentation ind.
function at(ind) {
	pop_deeper(ind)
	if (sp == 0 || lvl[sp] < ind) push(ind)
}

function path(n,   i, s) {
	s = ""
	for (i = 1; i <= n; i++)
		if (sub_name[i] != "") s = s (s == "" ? "" : ".") sub_name[i]
	return s
}

function finish_file() {
	if (curfile == "") return
	while (sp > 0) pop()
	printf "%s: %d passed, %d failed, %d skipped\n", curfile, P - p0, F - f0, S - s0
	for (i = nf0 + 1; i <= nf; i++) printf "  not ok: %s: %s\n", curfile, fails[i]
}

FNR == 1 {
	finish_file()
	curfile = FILENAME; sp = 0; p0 = P; f0 = F; s0 = S; nf0 = nf
}

{
	line = $0
	sub(/\r+$/, "", line)
	sub(/^\[ *[0-9]+\.[0-9]+\] (\[ *[TC][0-9]+\] )?/, "", line)
	match(line, /^ */)
	ind = RLENGTH
	rest = substr(line, ind + 1)
}

rest ~ /^K?TAP version [0-9]+/ { pop_deeper(ind - 1); push(ind); next }

rest ~ /^1\.\.[0-9]+/ {
	at(ind)
	if (plan[sp] >= 0 && nres[sp] > 0) { pop(); push(ind) }  # a new, implicit document
	split(rest, a, /[^0-9.]/); n = a[1]; sub(/^1\.\./, "", n)
	plan[sp] = n + 0
	next
}

rest ~ /^# Subtest: / { at(ind); sub_name[sp] = substr(rest, 12); next }

rest ~ /^(not )?ok [0-9]+( |$)/ {
	at(ind)
	bad = rest ~ /^not /
	desc = rest
	sub(/^(not )?ok [0-9]+ */, "", desc)
	sub(/^- */, "", desc)
	directive = ""
	if (match(desc, / *# */)) {
		directive = substr(desc, RSTART + RLENGTH)
		desc = substr(desc, 1, RSTART - 1)
	}
	nres[sp]++
	p = path(sp); name = (p == "" ? "" : p ".") desc
	if (toupper(directive) ~ /^SKIP/) {
		if (!kids[sp]) S++
	} else if (kids[sp]) {              # summary of a nested subtest
		if (bad && F == fsnap[sp]) fail(name " (subtest failed)")
	} else if (bad) {
		fail(name)
	} else {
		P++
	}
	kids[sp] = 0; fsnap[sp] = F
	next
}

END {
	finish_file()
	F += missing
	printf "%d passed, %d failed", P, F
	if (S > 0) printf ", %d skipped", S
	printf "\n"
	exit (F > 0)
}
' "${files[@]}"
