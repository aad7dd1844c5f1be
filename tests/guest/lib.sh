# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# What every guest script shares.  scripts/qemu-run.sh puts this file at
# /lib.sh in the initramfs; a script begins with ". /lib.sh".  It is not a
# test itself: scripts/check.sh does not boot it.
#
# KTAP: ok STATUS DESCRIPTION (STATUS 0: "ok", else "not ok"; returns 0 or
# 1 accordingly) and skip DESCRIPTION REASON number the results with $n.
# They print to stdout, or, after ktap_defer FILE, into FILE, for a script
# that knows its plan only at the end: ktap_end SUITE then prints the header
# with the plan "1..$n", then FILE.

D=/sys/kernel/debug/execmem
n=0
KTAP_RES=

ktap_line() {
	if [ -n "$KTAP_RES" ]; then echo "$1" >>"$KTAP_RES"; else echo "$1"; fi
}
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then ktap_line "ok $n - $2"; else ktap_line "not ok $n - $2"; return 1; fi
}
skip() { n=$((n + 1)); ktap_line "ok $n - $1 # SKIP $2"; }
# ktap_begin SUITE PLAN: the KTAP header
ktap_begin() { echo "KTAP version 1"; echo "# suite: $1"; echo "1..$2"; }
ktap_defer() { KTAP_RES=$1; : >"$KTAP_RES"; }
ktap_end() { ktap_begin "$1" "$n"; cat "$KTAP_RES"; }
# diag [FILE...]: as KTAP diagnostic lines
diag() { sed 's/^/# /' "$@"; }

# minus FILE EXCLUDE...: the lines of FILE whose first field is the first
# field of no line of the EXCLUDE files (any may be empty: busybox grep
# -vxFf prints nothing when its pattern file is)
minus() {
	_m=$1
	shift
	awk -v last="$_m" 'FILENAME != last { x[$1] = 1; next } !($1 in x)' "$@" "$_m"
}

# split_ranges CENSUS: "PHYS STATUS CAUSES" per split 2 MiB range of a
# census (a copy of debugfs execmem/census, docs/census.md)
split_ranges() { awk '$1 == "range" && $3 == "2M" && $4 != "leaf" { print $2, $4, $12 }' "$1"; }
# new_split_ranges OLD NEW: the ranges split in census NEW and not in OLD
# (scratch files NEW.split, NEW.old)
new_split_ranges() {
	split_ranges "$1" >"$2.old"
	split_ranges "$2" >"$2.split"
	minus "$2.split" "$2.old"
}

# parallel_vcpus: true in a boot with parallel vCPUs (scripts/check.sh's
# second pass of a script with a "# harness-parallel:" line, qemu-run.sh
# --mttcg), where a script may do less of what needs no parallelism
parallel_vcpus() { grep -qw 'execmem_parallel=1' /proc/cmdline; }

# actor NAME CMD...: run CMD until the file $T/stop exists, then write the
# number of its successful runs to $T/NAME.n (a script's background load:
# "actor NAME CMD &", later "touch $T/stop; wait")
actor() {
	_a=$1 _i=0
	shift
	while [ ! -e "$T/stop" ]; do
		"$@" >/dev/null 2>&1 && _i=$((_i + 1))
	done
	echo $_i >"$T/$_a.n"
}

# stat_of KEY: the value of KEY in debugfs execmem/stats
stat_of() { sed -n "s/^$1 //p" $D/stats; }
# load_execmem [PARAM=VALUE...]: insmod execmem.ko, or end the script with
# one "not ok" (numbered after the results so far)
load_execmem() {
	insmod /modules/execmem.ko "$@" || { echo "not ok $((n + 1)) - insmod execmem.ko"; exit 1; }
	settle_splits
}

# settle_splits: wait (at most 5 s) until vmstat's direct_map_level2_splits
# has not moved for 1 s.  The module loader frees the init section of the
# module just loaded later, from a work item after an RCU grace period, and
# that vfree() (VM_FLUSH_RESET_PERMS) can split the direct map: a test that
# counts splits from here on must not see it (stress.sh's in-kernel count
# once did, on 6.12 under a loaded host).
settle_splits() {
	_sv=$(awk '$1 == "direct_map_level2_splits" { print $2 }' /proc/vmstat)
	_sn=0 _si=0
	while [ $_sn -lt 5 ] && [ $_si -lt 25 ]; do
		sleep 0.2
		_st=$(awk '$1 == "direct_map_level2_splits" { print $2 }' /proc/vmstat)
		if [ "$_st" = "$_sv" ]; then _sn=$((_sn + 1)); else _sv=$_st _sn=0; fi
		_si=$((_si + 1))
	done
}

# check_wx DESCRIPTION: one result, from the kernel's W+X scan
# (debugfs check_wx_pages: "passed, no W+X pages found"), or a skip where
# the kernel has no such file
check_wx() {
	if [ ! -r /sys/kernel/debug/check_wx_pages ]; then
		skip "$1" "no /sys/kernel/debug/check_wx_pages"
		return 0
	fi
	_v0=$(dmesg | grep 'Checked W+X mappings' | tail -n1)
	cat /sys/kernel/debug/check_wx_pages >/dev/null
	_v=$(dmesg | grep 'Checked W+X mappings' | tail -n1)
	echo "# ${_v#*] }"
	# a line of this scan (its timestamp differs), not an earlier one
	[ -n "$_v" ] && [ "$_v" != "$_v0" ] &&
		case $_v in *"passed, no W+X pages found"*) true ;; *) false ;; esac
	ok $? "$1"
}
