#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Observability: the debugfs files agree with each other and with a client's
# own accounting (execmem_observe) while it churns; execmemctl loads, reports
# and fails clearly.  /files is what `make -C tests/files DEST=DIR`
# prepares.
# harness: --files tools-guest
# harness: --timeout 400
. /lib.sh
H=/sys/kernel/debug/execmem_observe
CTL=/files/execmemctl
SEED=${SEED:-$(date +%s)}
ROUNDS=6
# On the debug kernel (kmemleak present: KASAN + lockdep, ~15x slower under
# TCG) two rounds; the assertions are the same.
[ -e /sys/kernel/debug/kmemleak ] && ROUNDS=2
T=/tmp/obs
mkdir -p $T

# run NAME CMD...: exit status in $rc, stdout+stderr in $T/NAME
run() { f=$T/$1; shift; "$@" >"$f" 2>&1; rc=$?; }

ktap_begin execmem_observe 25
echo "# seed $SEED"

# ---- execmemctl before execmem is loaded --------------------------------
run help $CTL --help
[ $rc = 0 ] && grep -q 'status \[--json\]' $T/help && grep -q 'load \[--path FILE\]' $T/help
ok $? "execmemctl --help exits 0 and lists the commands"

run st0 $CTL status
[ $rc = 1 ] && grep -q 'execmemctl: module execmem is not loaded' $T/st0
ok $? "execmemctl status before load: exit 1, 'not loaded'"
[ $rc = 1 ] || diag $T/st0

run ld0 $CTL load
[ $rc = 1 ] && grep -q 'not installed for kernel' $T/ld0
ok $? "execmemctl load without --path (not under /lib/modules): exit 1, 'not installed'"
[ $rc = 1 ] || diag $T/ld0

run ld1 $CTL load --path /modules/execmem.ko no_such_param=1
[ $rc = 2 ] && grep -q "unknown parameter 'no_such_param'" $T/ld1 && [ ! -d /sys/module/execmem ]
ok $? "execmemctl load with an unknown parameter: exit 2, nothing loaded"

run ld2 $CTL load --path /modules/execmem.ko spare_regions=2
[ $rc = 0 ] && [ "$(cat /sys/module/execmem/parameters/spare_regions)" = 2 ]
ok $? "execmemctl load --path /modules/execmem.ko spare_regions=2"
[ $rc = 0 ] || diag $T/ld2

run ld3 $CTL load --path /modules/execmem.ko
[ $rc = 1 ] && grep -q 'execmemctl: module execmem is already loaded' $T/ld3
ok $? "execmemctl load when loaded: exit 1, 'already loaded'"

# ---- error paths while loaded ------------------------------------------
mkdir -p /etc
echo 'root:x:0:0:root:/:/bin/sh' >/etc/passwd
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
echo 'root:x:0:' >/etc/group
echo 'nogroup:x:65534:' >>/etc/group
# The initramfs root comes from a mode 0700 temporary directory.
chmod a+rx / /bin /bin/busybox && chmod -R a+rX /files
su -s /bin/sh nobody -c "$CTL status" >$T/nr 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'execmemctl: must be run as root' $T/nr
ok $? "execmemctl status as a non-root user: exit 1, 'must be run as root'" || diag $T/nr

umount /sys/kernel/debug
run nodbg $CTL status
mount -t debugfs debugfs /sys/kernel/debug
[ $rc = 1 ] && grep -q 'execmemctl: debugfs is not mounted' $T/nodbg
ok $? "execmemctl status without debugfs: exit 1, 'debugfs is not mounted'"
[ $rc = 1 ] || diag $T/nodbg

bad=0
for f in stats regions allocations owners symbols; do
	[ "$(stat -c %a $D/$f)" = 444 ] || { echo "# $f: mode $(stat -c %a $D/$f)"; bad=1; }
	if (echo 1 >$D/$f) 2>/dev/null; then echo "# $f: writable"; bad=1; fi
	cat $D/$f >/dev/null || bad=1
done
ok $bad "debugfs stats, regions, allocations, owners, symbols: 0444, writes refused"

# busybox modinfo wants a modules.dep, even for a path.
mkdir -p /lib/modules/"$(uname -r)" && touch /lib/modules/"$(uname -r)"/modules.dep
modinfo /modules/execmem.ko >$T/modinfo 2>&1
grep -Eq '^parm: +spare_regions:.{20,}' $T/modinfo &&
	grep -Eq '^parm: +force_fallback:.{20,}' $T/modinfo
ok $? "modinfo execmem describes every parameter"
grep '^parm' $T/modinfo | diag
grep -q '^parm' $T/modinfo || diag $T/modinfo

# ---- a client holding a seeded random set, churning ------------------
insmod /modules/execmem_observe.ko seed=$SEED count=300 || echo "# insmod execmem_observe failed"

# Hex addresses: compare the high 32 bits as text and the low 32 bits as
# numbers (busybox awk reads "0x..." strings; 64-bit values would lose bits).
AWK_HEX='function lo(a) { return ("0x" substr(a, 9, 8)) + 0 }
function hi(a) { return substr(a, 1, 8) }'

# Invariants inside one file, so that they hold under churn.
check_stats_file() { # FILE
	awk '{ v[$1] = $2 } END {
		e = 0
		if (v["bytes_mapped"] != v["bytes_allocated"] + v["bytes_free"]) { print "# mapped != allocated + free"; e = 1 }
		if (v["bytes_requested"] > v["bytes_allocated"] ||
		    v["bytes_allocated"] > v["bytes_requested"] + 63 * v["live_allocs"]) { print "# allocated is not requested rounded up to 64"; e = 1 }
		if (v["allocs"] - v["frees"] != v["live_allocs"]) { print "# allocs - frees != live_allocs"; e = 1 }
		if (v["regions"] != v["regions_huge"] + v["regions_fallback"] ||
		    v["regions_created"] - v["regions_released"] != v["regions"]) { print "# region counters disagree"; e = 1 }
		if (v["largest_free_extent"] > v["bytes_free"]) { print "# largest free extent > free"; e = 1 }
		f = v["bytes_free"] ? 1000 - int(v["largest_free_extent"] * 1000 / v["bytes_free"]) : 0
		if (f != v["fragmentation_permille"]) { print "# fragmentation_permille " v["fragmentation_permille"] ", expected " f; e = 1 }
		exit e }' "$1"
}

check_regions_file() { # FILE
	awk 'NR == 1 { if ($1 != "base" || NF != 26) { print "# bad header"; bad = 1 } next }
	{
		if ($8 + $9 != $2) { print "# " $1 ": used + free != size"; bad = 1 }
		if ($10 > $9) { print "# " $1 ": largest_free > free"; bad = 1 }
		if ($4 != "2M" || $5 != 1 || $6 != 0) { print "# " $1 ": not a 2M ROX region: " $4 " rox " $5 " fallback " $6; bad = 1 }
		top = -1
		for (i = 11; i <= 26; i++) if ($i > 0) top = i - 11
		b = -1
		for (x = $10 / 64; x >= 1; x /= 2) b++
		if (b > 15) b = 15
		if (top != b) { print "# " $1 ": largest free extent " $10 " not in the top histogram bucket"; bad = 1 }
	}
	END { exit bad }' "$1"
}

u1=0 u2=0 q1=0 q2=0 q3=0 q4=0 q5=0 q6=0 q7=0 q8=0
r=0
while [ $r -lt $ROUNDS ]; do
	r=$((r + 1))
	# Under churn: three snapshots of each file.
	for i in 1 2 3; do
		cat $D/stats >$T/s.churn
		check_stats_file $T/s.churn || { u1=1; diag $T/s.churn; }
		cat $D/regions >$T/r.churn
		check_regions_file $T/r.churn || u2=1
	done

	echo pause >$H/ctl
	cat $D/stats >$T/s
	cat $D/regions >$T/r
	cat $D/allocations >$T/a
	cat $D/owners >$T/o
	cat $D/symbols >$T/y
	cat $H/summary >$T/h
	cat $H/allocations >$T/ha
	$CTL status --json >$T/j 2>&1 || q7=1
	for t in regions allocations owners; do
		$CTL $t >$T/c.$t 2>&1 || q8=1
	done
	echo resume >$H/ctl
	echo "# round $r: $(grep -E '^(live_allocs|regions|bytes_allocated|fragmentation_permille) ' $T/s | tr '\n' ' ')"

	check_stats_file $T/s || u1=1
	check_regions_file $T/r || u2=1

	# Q1: execmem's counters are this client's (the only client).
	awk 'FILENAME == ARGV[1] { s[$1] = $2; next } { h[$1] = $2 } END {
		split("live_allocs:live bytes_requested:bytes bytes_allocated:rounded allocs:allocs frees:frees failed_allocs:failed_allocs bad_frees:bad_frees writes:writes bytes_written:bytes_written failed_writes:failed_writes", m, " ")
		for (i in m) { split(m[i], k, ":")
			if (s[k[1]] != h[k[2]]) { print "# stats " k[1] " " s[k[1]] " != client " k[2] " " h[k[2]]; bad = 1 } }
		exit bad }' $T/s $T/h || q1=1

	# Q2: owners has one row, the client, with its count and bytes.
	exp="execmem_observe $(sed -n 's/^live //p' $T/h) $(sed -n 's/^bytes //p' $T/h)"
	[ "$(sed 1d $T/o)" = "$exp" ] || { q2=1; echo "# owners: expected '$exp'"; diag $T/o; }

	# Q3: allocations rows are exactly the client's (address size type name).
	awk 'NR > 1 && $4 == "execmem_observe" { print $1, $2, $3, $5 }' $T/a | sort >$T/a.mine
	sort $T/ha >$T/ha.sorted
	[ "$(sed 1d $T/a | wc -l)" = "$(sed -n 's/^live_allocs //p' $T/s)" ] &&
		cmp -s $T/a.mine $T/ha.sorted || { q3=1; diff $T/a.mine $T/ha.sorted | head -5 | diag; }

	# Q4: symbols: kallsyms lines for exactly the named allocations.
	awk '$4 != "-" { print $1, $4 }' $T/ha | sort >$T/y.exp
	awk '{ print $1, $3 }' $T/y | sort >$T/y.got
	re=$(printf '^[0-9a-f]{16} t [!-Z^-~]+\t\\[execmem_text\\]$')
	grep -Evq "$re" $T/y && { q4=1; echo "# symbols: bad line:"; grep -Ev "$re" $T/y | head -3 | diag; }
	cmp -s $T/y.exp $T/y.got || { q4=1; diff $T/y.exp $T/y.got | head -5 | diag; }
	[ -s $T/y.exp ] || { q4=1; echo "# no named allocation"; }

	# Q5: regions totals are the stats.
	awk 'FILENAME == ARGV[1] { s[$1] = $2; next } FNR > 1 {
		nr++; size += $2; used += $8; free += $9; allocs += $7; if ($10 > lf) lf = $10 } END {
		if (nr != s["regions"] || size != s["bytes_mapped"] || used != s["bytes_allocated"] ||
		    free != s["bytes_free"] || lf != s["largest_free_extent"] || allocs != s["live_allocs"]) {
			print "# regions: rows " nr " size " size " used " used " free " free " largest " lf " allocs " allocs; exit 1 } }' \
		$T/s $T/r || q5=1

	# Q6: each region's used bytes and allocations are those of the
	# allocations that lie in it (sizes rounded up to 64 bytes).
	awk "$AWK_HEX"'
	FILENAME == ARGV[1] { if (FNR > 1) { nr++; rb[nr] = $1; rs[nr] = $2; ru[nr] = $8; ra[nr] = $7 } next }
	FNR > 1 {
		for (i = 1; i <= nr; i++)
			if (hi($1) == hi(rb[i]) && lo($1) >= lo(rb[i]) && lo($1) < lo(rb[i]) + rs[i]) break
		if (i > nr) { print "# allocation " $1 " in no region"; bad = 1; next }
		u[i] += int(($2 + 63) / 64) * 64; c[i]++ }
	END { for (i = 1; i <= nr; i++) if (u[i] != ru[i] || c[i] != ra[i]) {
		print "# region " rb[i] ": used " ru[i] " allocs " ra[i] ", allocations say " u[i] + 0 " and " c[i] + 0; bad = 1 }
		exit bad }' $T/r $T/a || q6=1

	# Q7: execmemctl status --json is one object with the keys of stats,
	# in order, and the same values.
	sed 's/^{//; s/}$//; s/, /\n/g' $T/j | sed 's/^"\([a-z0-9_]*\)": \([0-9]*\)$/\1 \2/' >$T/j.kv
	[ "$(wc -l <$T/j)" = 1 ] && grep -Eq '^\{("[a-z0-9_]+": [0-9]+)(, "[a-z0-9_]+": [0-9]+)*\}$' $T/j &&
		cmp -s $T/j.kv $T/s || { q7=1; diag $T/j; diff $T/s $T/j.kv | diag; }

	# Q8: execmemctl's tables have the files' rows.
	for t in regions allocations owners; do
		f=$T/r; [ $t = allocations ] && f=$T/a; [ $t = owners ] && f=$T/o
		[ "$(wc -l <$T/c.$t)" = "$(wc -l <$f)" ] || { q8=1; echo "# execmemctl $t: $(wc -l <$T/c.$t) lines"; }
	done
	sleep 1
done

ok $u1 "stats under churn: mapped = allocated + free, counters consistent, fragmentation index ($((ROUNDS * 4)) snapshots)"
ok $u2 "regions under churn: used + free = size, 2M ROX, largest extent in the top histogram bucket"
ok $q1 "stats counters equal the client's own accounting (live, bytes, rounded, allocs, frees, failures, writes)"
ok $q2 "owners: one row, the client's count and bytes"
ok $q3 "allocations: exactly the client's allocations (address, size, type, name)"
ok $q4 "symbols: one kallsyms line per named allocation, perf's format"
ok $q5 "regions totals equal stats (regions, mapped, allocated, free, largest extent, live)"
ok $q6 "each region's used bytes and allocation count match the allocations in it"
ok $q7 "execmemctl status --json: one JSON object, stats' keys and values"
ok $q8 "execmemctl regions/allocations/owners print every row"
diag $T/h
echo "# execmemctl status:"
$CTL status | diag
echo "# execmemctl regions:"
$CTL regions | head -5 | diag

# The churn exercised what it should have.
awk '{ v[$1] = $2 } END { exit !(v["allocs"] > 300 && v["frees"] > 0 && v["failed_allocs"] > 0 &&
	v["bad_frees"] > 0 && v["failed_writes"] > 0 && v["writes"] > 0 && v["regions_created"] > 1) }' $T/s
ok $? "the churn allocated, freed, failed, wrote and created regions"

run busy $CTL unload
[ $rc = 1 ] && grep -q 'execmemctl: module execmem is in use' $T/busy && [ -d /sys/module/execmem ]
ok $? "execmemctl unload while a client holds memory: exit 1, 'in use'"
[ $rc = 1 ] || diag $T/busy

rmmod execmem_observe
[ "$(stat_of live_allocs)" = 0 ] && [ "$(stat_of bytes_allocated)" = 0 ] &&
	[ "$(stat_of bytes_mapped)" = "$(stat_of bytes_free)" ] &&
	[ "$(wc -l <$D/owners)" = 1 ] && [ "$(wc -l <$D/allocations)" = 1 ] &&
	[ ! -s $D/symbols ]
ok $? "after the client unloads: nothing allocated, owners/allocations/symbols empty"

run ul $CTL unload
[ $rc = 0 ] && [ ! -d /sys/module/execmem ]
ok $? "execmemctl unload"
[ $rc = 0 ] || diag $T/ul

run st1 $CTL status
[ $rc = 1 ] && grep -q 'execmemctl: module execmem is not loaded' $T/st1
ok $? "execmemctl status after unload: exit 1, 'not loaded'"
