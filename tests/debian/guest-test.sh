#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the Debian guest test (scripts/debian-guest.sh): what a user
# does with execmem on a Debian 12 machine, as root, from its Debian packages
# (docs/packaging.md).  Runs from the job disk (/mnt/job, read-only: debs/
# the packages built on the host, debs-up/ the same at a newer version, src/
# the source tree for the example client and the benchmark module) as the
# systemd unit execmem-job.service of the image of
# scripts/debian-guest-image.sh, in two boots of the same disk:
#   boot 1: apt install ./execmem-dkms_*.deb ./execmem-tools_*.deb,
#           modprobe/modinfo/modprobe -r, execmemctl status/--json/bench,
#           the DKMS client of examples/client, the upgrade to debs-up/
#           with execmem loaded, /etc/modules-load.d; reboot
#   boot 2: autoloaded at boot?  dpkg -i the second kernel (DKMS autoinstall
#           of execmem and the client), dkms remove of the client, apt
#           remove --purge; nothing of ours left; power off
# Output: one KTAP document over both boots, every line prefixed with
# "EXECMEM-KTAP: " (the host strips it), and markers "EXECMEM-GUEST: reboot"
# / "EXECMEM-GUEST: done" before the guest reboots / powers off.
# K2 (the second kernel), V (the client's value), PV and PV2 (the upstream
# versions of debs/ and debs-up/) come from /mnt/job/env.
set -u
echo "EXECMEM-GUEST: start ($(cut -d' ' -f1 /proc/uptime) s after boot)"

JOB=/mnt/job
STATE=/var/lib/execmem-guest-test
SRC=/root/execmem
PLAN=23
# shellcheck source=/dev/null
. $JOB/env
K1=$(uname -r)
ARCH=$(uname -m)
DBG=/sys/kernel/debug/execmem
mkdir -p $STATE
T=$STATE/tmp
mkdir -p $T

out() { echo "EXECMEM-KTAP: $*"; }
diag() { # diag FILE: its last lines as KTAP diagnostics
	tail -n "${2:-25}" "$1" 2>/dev/null | sed 's/^/# /' | while IFS= read -r l; do out "$l"; done
}
n=$(cat $STATE/n 2>/dev/null || echo 0)
t_last=$(date +%s)
ok() { # ok STATUS DESCRIPTION
	local now
	now=$(date +%s)
	n=$((n + 1))
	echo $n >$STATE/n
	if [ "$1" = 0 ]; then out "ok $n - $2"; else out "not ok $n - $2"; fi
	out "# ($((now - t_last)) s)"
	t_last=$now
}
# run LOG CMD...: CMD's output to LOG, each line prefixed with the seconds
# since it started; CMD's status returned
run() {
	local log=$1 t0
	shift
	t0=$(date +%s)
	"$@" 2>&1 | while IFS= read -r l; do echo "[$(($(date +%s) - t0))] $l"; done >"$log"
	return "${PIPESTATUS[0]}"
}
# stat_of KEY: a counter of debugfs execmem/stats
stat_of() { sed -n "s/^$1 //p" $DBG/stats; }
loaded() { [ "$(cat "/sys/module/$1/initstate" 2>/dev/null)" = live ]; }
# bad_dmesg: kernel errors since boot (the host also scans the serial
# console, which shows what is logged at KERN_WARNING or above)
BAD_RE='BUG:|WARNING:|Oops|Call Trace|general protection fault|UBSAN'
bad_dmesg() { dmesg | grep -E "$BAD_RE"; }
# t_dmesg BOOT: the test "no kernel error in dmesg"; when there is one, the
# lines around the first reports as diagnostics and the headline of the first
# (e.g. "INFO: task ... blocked", which the pattern itself does not match)
# in the description, without "#", for the summary of a CI run
t_dmesg() {
	local rc=0 first=
	if bad_dmesg >/dev/null; then
		rc=1
		dmesg | grep -E -B4 "$BAD_RE" | head -n 40 | while IFS= read -r l; do out "# $l"; done
		first=$(dmesg | grep -E -B4 -m1 "$BAD_RE" | grep -E -m1 "INFO:|rcu:|$BAD_RE" |
			sed 's/^\[[ 0-9.]*\] //' | tr -d '#' | cut -c1-120)
	fi
	ok $rc "boot $1: no kernel error in dmesg${first:+ (first: $first)}"
}

client_install() {
	dkms add $SRC/examples/client && dkms install -m example-execmem-client -v 0.1 -k "$K1"
}

remove_all() { # the dependant first
	dkms remove -m example-execmem-client -v 0.1 --all &&
		rm -rf /usr/src/example-execmem-client-0.1 &&
		DEBIAN_FRONTEND=noninteractive apt-get remove --purge -y execmem-dkms execmem-tools
}

# Where the packages may leave files: one path a line, sorted (/lib/modules
# is /usr/lib/modules, listed once, as dpkg names it)
our_dirs() {
	{ find /usr -xdev -path /usr/lib/modules -prune -o -print; find /lib/modules /var/lib/dkms; } 2>/dev/null |
		LC_ALL=C sort -u
}

# apt_install DIR LOG: apt install of the two packages in DIR, as a user does
apt_install() {
	(cd "$1" && run "$2" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		./execmem-dkms_*.deb ./execmem-tools_*.deb)
}

finish() { # finish reboot|done
	sync
	echo "EXECMEM-GUEST: $1"
	if [ "$1" = reboot ]; then systemctl reboot; else systemctl poweroff; fi
	exit 0
}

# tests 1-2: apt install of the packages, and what execmem publishes for
# dependants
t_apt_install() {
	local rc f p
	# 1. apt install ./execmem-dkms_*.deb ./execmem-tools_*.deb: DKMS builds
	# execmem for the running kernel (the only one installed)
	our_dirs >$STATE/before
	rc=0
	apt_install $JOB/debs $T/apt-install.log || rc=1
	for p in execmem-dkms execmem-tools; do
		[ "$(dpkg-query -W -f='${Status} ${Version}' $p 2>&1)" = "install ok installed $PV-1" ] || rc=1
	done
	dkms status -m execmem -k "$K1" >$T/st 2>&1
	grep -q "^execmem/$PV, $K1, $ARCH: installed" $T/st || rc=1
	ok $rc "apt install ./execmem-dkms_$PV-1_all.deb ./execmem-tools_$PV-1_*.deb: execmem/$PV installed for $K1"
	diag $T/apt-install.log 40	# (timestamped: where the time goes)
	[ $rc = 0 ] || diag $T/st
	dpkg -L execmem-dkms execmem-tools 2>&1 | grep -vx '/\.' >$STATE/ours

	# 2. what a dependant builds against, where the README says
	p=/var/lib/dkms/execmem/kernel-$K1-$ARCH
	rc=0
	for f in execmem_alloc_for execmem_write_for execmem_free_for execmem_set_name_for \
		execmem_text_gen_return; do
		grep -qE "[[:space:]]${f}[[:space:]].*EXPORT_SYMBOL" "$p/Module.symvers" 2>/dev/null ||
			{ rc=1; out "# $f missing from $p/Module.symvers"; }
	done
	cmp -s "$p/include/execmem.h" include/execmem.h || { rc=1; out "# $p/include/execmem.h differs or is missing"; }
	cmp -s "/usr/src/execmem-$PV/include/execmem.h" include/execmem.h || rc=1
	ok $rc "published: $p/Module.symvers (exports) and include/execmem.h"
}

# tests 3-6: modprobe, modinfo (parameters, signer), modprobe -r
t_modprobe() {
	local rc f p missing signer cn
	# 3. modprobe finds the installed module (depmod ran)
	rc=0
	f=$(modinfo -n execmem 2>&1)
	case $f in /lib/modules/$K1/updates/dkms/execmem.ko*) ;; *) rc=1 ;; esac
	run $T/modprobe.log modprobe execmem || rc=1
	loaded execmem || rc=1
	ok $rc "modprobe execmem: $f, live"
	[ $rc = 0 ] || diag $T/modprobe.log

	# 4. modinfo: every parameter the module has, described
	modinfo execmem >$T/modinfo 2>&1
	diag $T/modinfo 40
	rc=0 missing=""
	for p in /sys/module/execmem/parameters/*; do
		p=${p##*/}
		grep -qE "^parm:[[:space:]]+$p:.+" $T/modinfo || missing="$missing $p"
	done
	[ -z "$missing" ] || rc=1
	[ "$(ls /sys/module/execmem/parameters | wc -l)" -ge 2 ] || rc=1
	grep -qE "^version:[[:space:]]+${PV//./\\.}\$" $T/modinfo || rc=1
	ok $rc "modinfo execmem: version $PV, every parameter of /sys/module/execmem/parameters described${missing:+ (missing:$missing)}"

	# 5. modinfo: signed by DKMS's own key
	signer=$(modinfo -F signer execmem)
	cn=$(openssl x509 -inform DER -in /var/lib/dkms/mok.pub -noout -subject -nameopt multiline 2>/dev/null |
		sed -n 's/^ *commonName *= *//p')
	rc=0
	[ -n "$signer" ] && [ "$signer" = "$cn" ] || rc=1
	ok $rc "modinfo execmem: signer '$signer' = CN of /var/lib/dkms/mok.pub ('$cn')"

	# 6. modprobe -r
	rc=0
	run $T/rmmod.log modprobe -r execmem || rc=1
	! loaded execmem || rc=1
	ok $rc "modprobe -r execmem: unloaded"
	[ $rc = 0 ] || diag $T/rmmod.log
}

# tests 7-9: execmem-tools, execmemctl status and status --json
t_execmemctl() {
	local rc f v keys js
	# 7. execmem-tools: execmemctl on the PATH, linked against the system's
	# libkmod, its man page
	rc=0
	[ "$(command -v execmemctl)" = /usr/sbin/execmemctl ] || rc=1
	[ "$(dpkg -S /usr/sbin/execmemctl 2>&1)" = "execmem-tools: /usr/sbin/execmemctl" ] || rc=1
	ldd /usr/sbin/execmemctl >$T/ldd 2>&1
	grep -qE '^[[:space:]]*libkmod\.so\.2 => /(usr/)?lib/x86_64-linux-gnu/libkmod\.so\.2' $T/ldd || rc=1
	[ -s /usr/share/man/man8/execmemctl.8.gz ] || rc=1
	ok $rc "execmem-tools: $(command -v execmemctl || echo 'no execmemctl'), linked against libkmod.so.2 ($(grep -o '/[^ ]*libkmod[^ ]*' $T/ldd)), execmemctl.8"
	[ $rc = 0 ] || diag $T/ldd

	# 8. execmemctl status: every counter of debugfs stats, with its value
	modprobe execmem
	rc=0
	execmemctl status >$T/status 2>&1 || rc=1
	diag $T/status 8
	keys=0
	while read -r f v; do
		keys=$((keys + 1))
		grep -qE "(^|[[:space:]])${f}[[:space:]:]+${v}([[:space:]]|$)" $T/status ||
			{ rc=1; out "# status: no '$f $v'"; }
	done <$DBG/stats
	[ $keys -gt 10 ] || rc=1
	ok $rc "execmemctl status: the $keys counters of debugfs stats"

	# 9. execmemctl status --json: one object, the same keys and values
	rc=0
	js=$(execmemctl status --json 2>&1) || rc=1
	out "# $js"
	case $js in '{'*'}') ;; *) rc=1 ;; esac
	while read -r f v; do
		case $js in *"\"$f\": $v"[,}]* | *"\"$f\":$v"[,}]*) ;; *) rc=1; out "# json: no \"$f\": $v" ;; esac
	done <$DBG/stats
	ok $rc "execmemctl status --json: one object with every counter"
}

# test 10: execmemctl bench with bench/kmod built against the installed execmem
t_bench() {
	local rc
	# 10. execmemctl bench with the benchmark module built against the
	# installed execmem
	rc=0
	run $T/bench-build.log make -C /lib/modules/$K1/build M=$SRC/bench/kmod \
		KBUILD_EXTRA_SYMBOLS=/var/lib/dkms/execmem/kernel-$K1-$ARCH/Module.symvers modules || rc=1
	if [ $rc = 0 ]; then
		execmemctl bench --module $SRC/bench/kmod/execmem_bench.ko path=execmem \
			workload=loaded lifecycle_iters=100 tput_ops=50 exec_rounds=2 >$T/bench 2>&1 || rc=1
		out "# $(head -c 300 $T/bench)"
		grep -q '^{"kernel": "'"$K1"'", "path": "execmem", "workload": "loaded"' $T/bench || rc=1
		grep -q '"error"' $T/bench && rc=1
		grep -qE '"n_allocs": [1-9]' $T/bench || rc=1
		grep -qE '"failed": 0,' $T/bench || rc=1
		grep -q '}$' $T/bench || rc=1
		! loaded execmem_bench || rc=1
	else
		diag $T/bench-build.log
	fi
	ok $rc "execmemctl bench (bench/kmod built against the installed execmem): JSON, no failure"
	modprobe -r execmem
}

# tests 11-14: the example client, a DKMS package depending on execmem
t_client() {
	local rc v st
	# 11. the example client, a DKMS package with BUILD_DEPENDS=execmem
	rc=0
	run $T/client.log client_install || rc=1
	dkms status -m example-execmem-client -k "$K1" 2>&1 | grep -q "example-execmem-client/0.1, $K1, $ARCH: installed" || rc=1
	grep -q "EXECMEM=/var/lib/dkms/execmem/kernel-$K1-$ARCH" \
		/var/lib/dkms/example-execmem-client/0.1/$K1/$ARCH/log/make.log 2>/dev/null || rc=1
	ok $rc "dkms install example-execmem-client: built against /var/lib/dkms/execmem/kernel-$K1-$ARCH"
	diag $T/client.log 30

	# 12. modprobe of the client loads execmem first (depmod dependency)
	rc=0
	[ "$(modinfo -F depends execmem_client 2>&1)" = execmem ] || rc=1
	! loaded execmem || rc=1
	run $T/cl-load.log modprobe execmem_client value="$V" || rc=1
	loaded execmem && loaded execmem_client || rc=1
	[ -e /sys/module/execmem/holders/execmem_client ] || rc=1
	ok $rc "modprobe execmem_client value=$V: execmem loaded first, holds execmem"
	[ $rc = 0 ] || diag $T/cl-load.log

	# 13. the client's generated code ran and returned its value; it freed
	rc=0
	v=$(cat /sys/module/execmem_client/parameters/result 2>&1)
	[ "$v" = "$V" ] || rc=1
	dmesg | grep -q "execmem_client: generated code returned $V\$" || rc=1
	st="allocs=$(stat_of allocs) writes=$(stat_of writes) frees=$(stat_of frees) live_allocs=$(stat_of live_allocs)"
	[ "$st" = "allocs=1 writes=1 frees=1 live_allocs=0" ] || rc=1
	ok $rc "execmem_client: code returned $v (want $V); execmem counted $st"

	# 14. unload the client only: execmem stays loaded, with its counters,
	# for the upgrade (test 15)
	rc=0
	run $T/cl-unload.log rmmod execmem_client || rc=1
	! loaded execmem_client && loaded execmem || rc=1
	ok $rc "rmmod execmem_client: the client unloaded, execmem still loaded"
}

# tests 15-16: the upgrade to a newer version of the packages, with execmem
# loaded; the user's reload
t_upgrade() {
	local rc text st ko cl p
	# 15. apt install of the newer packages while execmem is loaded: DKMS
	# replaces execmem/PV by execmem/PV2 for the installed kernel (K1, the
	# only one), the running module stays (the same .text address, its
	# counters of the client's run kept: a reload would zero them), the
	# client is not rebuilt
	text=$(cat /sys/module/execmem/sections/.text 2>&1)
	st="allocs=$(stat_of allocs) writes=$(stat_of writes) frees=$(stat_of frees)"
	cl=$(modinfo -n execmem_client 2>&1)
	touch $T/up-stamp
	sleep 1
	rc=0
	apt_install $JOB/debs-up $T/apt-upgrade.log || rc=1
	for p in execmem-dkms execmem-tools; do
		[ "$(dpkg-query -W -f='${Status} ${Version}' $p 2>&1)" = "install ok installed $PV2-1" ] || rc=1
	done
	# (stderr aside: see t_removed)
	dkms status -m execmem >$T/st 2>/dev/null
	[ "$(cat $T/st)" = "execmem/$PV2, $K1, $ARCH: installed" ] || { rc=1; diag $T/st; }
	[ ! -e /usr/src/execmem-$PV ] && [ -f /usr/src/execmem-$PV2/dkms.conf ] || rc=1
	ko=$(modinfo -n execmem 2>&1)
	[ "$ko" -nt $T/up-stamp ] || { rc=1; out "# $ko not rebuilt"; }
	[ ! "$cl" -nt $T/up-stamp ] || { rc=1; out "# $cl rebuilt"; }
	[ "$(readlink /var/lib/dkms/execmem/kernel-$K1-$ARCH)" = "$PV2/$K1/$ARCH" ] || rc=1
	loaded execmem || { rc=1; out "# execmem not loaded"; }
	[ "$(cat /sys/module/execmem/sections/.text 2>&1)" = "$text" ] || { rc=1; out "# .text moved"; }
	[ "allocs=$(stat_of allocs) writes=$(stat_of writes) frees=$(stat_of frees)" = "$st" ] ||
		{ rc=1; out "# counters were $st"; }
	ok $rc "apt install ./execmem-dkms_$PV2-1_all.deb ...: execmem/$PV2 replaced $PV for $K1 (rebuilt $ko); still loaded: the same module (.text $text, $st), the client not rebuilt"
	diag $T/apt-upgrade.log 30
	dpkg -L execmem-dkms execmem-tools 2>&1 | grep -vx '/\.' >>$STATE/ours

	# 16. the user reloads: the new build, against which the client still
	# loads and runs (execmem's exports did not change)
	rc=0
	run $T/reload.log modprobe -r execmem || rc=1
	! loaded execmem || rc=1
	run $T/cl-load2.log modprobe execmem_client value="$V" || rc=1
	[ "$(cat /sys/module/execmem_client/parameters/result 2>&1)" = "$V" ] || rc=1
	[ "$(stat_of allocs)" = 1 ] || rc=1
	run $T/cl-unload2.log modprobe -r execmem_client || rc=1
	! loaded execmem_client && ! loaded execmem || rc=1
	ok $rc "modprobe -r execmem, modprobe execmem_client value=$V: the new execmem loaded, the client ran on it, both unloaded"
	[ $rc = 0 ] || { diag $T/reload.log; diag $T/cl-load2.log; }
}

# test 17: no kernel error in boot 1
t_boot1_dmesg() { t_dmesg 1; }

phase1() {
	out "KTAP version 1"
	out "# suite: debian_guest"
	out "1..$PLAN"
	out "# running $K1 ($ARCH); second kernel $K2; hung tasks reported after $(cat /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null) s"
	if ! { rm -rf $SRC && cp -a $JOB/src $SRC && cd $SRC; }; then
		ok 1 "copy the source tree to $SRC"
		finish "done"
	fi
	t_apt_install
	t_modprobe
	t_execmemctl
	t_bench
	t_client
	t_upgrade
	t_boot1_dmesg

	echo execmem >/etc/modules-load.d/execmem.conf
	echo 2 >$STATE/phase
	out "# rebooting with /etc/modules-load.d/execmem.conf"
	finish reboot
}

# tests 18-20: autoloaded at boot; a second kernel: DKMS builds execmem, then the client
t_second_kernel() {
	local rc debs
	# 18. autoloaded at boot
	# (its "Inserted module" journal line is not always kept: not checked)
	rc=0
	loaded execmem || rc=1
	[ "$(systemctl show -p ActiveState --value systemd-modules-load.service)" = active ] || rc=1
	[ "$(systemctl show -p Result --value systemd-modules-load.service)" = success ] || rc=1
	journalctl -b -u systemd-modules-load.service --no-pager >$T/ml 2>&1
	ok $rc "boot 2: execmem loaded at boot, systemd-modules-load.service succeeded (/etc/modules-load.d/execmem.conf)"
	diag $T/ml 5

	# 19. a second kernel: DKMS builds execmem for it
	debs=$(ls /var/local/execmem-debs/*.deb)
	out "# dpkg -i $(echo "$debs" | sed 's|.*/||' | tr '\n' ' ')"
	rc=0
	# shellcheck disable=SC2086 # a list of files
	run $T/dpkg.log dpkg -i $debs || rc=1
	dkms status -m execmem -k "$K2" >$T/st2 2>&1
	grep -q "execmem/$PV2, $K2, $ARCH: installed" $T/st2 || rc=1
	case $(modinfo -k "$K2" -F vermagic execmem 2>&1) in "$K2 "*) ;; *) rc=1 ;; esac
	case $(modinfo -k "$K2" -n execmem 2>&1) in /lib/modules/$K2/updates/dkms/execmem.ko*) ;; *) rc=1 ;; esac
	[ -f /var/lib/dkms/execmem/kernel-$K2-$ARCH/Module.symvers ] || rc=1
	ok $rc "dpkg -i linux-image/headers-$K2: DKMS autoinstall built and installed execmem for $K2"
	diag $T/dpkg.log 40
	[ $rc = 0 ] || diag $T/st2

	# 20. ... and the client after it (BUILD_DEPENDS)
	rc=0
	dkms status -m example-execmem-client -k "$K2" 2>&1 | grep -q "example-execmem-client/0.1, $K2, $ARCH: installed" || rc=1
	modprobe -S "$K2" --show-depends execmem_client >$T/sd 2>&1 || rc=1
	diag $T/sd 4
	# Without BUILD_DEPENDS the client (it sorts first) fails to build once.
	if grep -E 'autoinstall failed|Bad return status|Error!' $T/dpkg.log >$T/dpkg-err; then
		rc=1
		diag $T/dpkg-err
	fi
	[ "$(grep -c '^insmod ' $T/sd)" = 2 ] && head -n1 $T/sd | grep -q '/execmem\.ko' || rc=1
	ok $rc "DKMS autoinstall built example-execmem-client for $K2 after execmem; modprobe -S $K2 loads execmem first"
}

# left_files: what our_dirs lists now and did not before the first apt
# install, minus what installed packages own (the second kernel's), the
# second kernel's depmod output and DKMS's signing key (made by the first
# DKMS build on the machine, shared by every DKMS module: dkms keeps it)
left_files() {
	our_dirs >$T/after
	cat /var/lib/dpkg/info/*.list | LC_ALL=C sort -u >$T/owned
	LC_ALL=C comm -13 $STATE/before $T/after | LC_ALL=C comm -23 - $T/owned |
		grep -vxE "/lib/modules/$K2/modules\.[a-z.]+|/var/lib/dkms/mok\.(key|pub)"
}

# tests 21-22: apt remove --purge leaves nothing behind
t_removed() {
	local rc f k
	# 21. the client (a dependant) first, then the packages
	rc=0
	modprobe -r execmem || rc=1
	rm -f /etc/modules-load.d/execmem.conf
	run $T/remove.log remove_all || rc=1
	for f in execmem-dkms execmem-tools; do
		! dpkg-query -W -f='${Status}\n' $f 2>/dev/null | grep -q installed || rc=1
	done
	ok $rc "dkms remove example-execmem-client --all; apt-get remove --purge execmem-dkms execmem-tools"
	diag $T/remove.log 20

	# 22. no file of ours is left: none of what a find of /usr, /lib/modules
	# and /var/lib/dkms lists now was not there before the first apt
	# install (left_files: but the second kernel's), none of the packages'
	# files; no DKMS state
	rc=0
	left_files >$T/left
	[ ! -s $T/left ] || { rc=1; out "# left (new since before the install):"; diag $T/left 40; }
	while read -r f; do
		[ ! -e "$f" ] || grep -qxF "$f" $STATE/before || { rc=1; out "# left: $f (the packages')"; }
	done <$STATE/ours
	for f in /var/lib/dkms/execmem /var/lib/dkms/example-execmem-client /usr/src/execmem-$PV \
		/usr/src/execmem-$PV2 /usr/src/example-execmem-client-0.1; do
		[ ! -e $f ] || { rc=1; out "# left: $f"; }
	done
	f=$(find /lib/modules -name 'execmem*' 2>/dev/null)
	[ -z "$f" ] || { rc=1; out "# left: $f"; }
	for k in "$K1" "$K2"; do
		! grep -q execmem /lib/modules/$k/modules.dep || { rc=1; out "# modules.dep of $k lists execmem"; }
		! modprobe -n -S "$k" execmem 2>/dev/null || { rc=1; out "# modprobe -S $k finds execmem"; }
	done
	# (stderr aside: under systemd, SIGPIPE ignored, dkms's own "[ -e <(echo) ]"
	# probe prints "echo: write error: Broken pipe")
	dkms status >$T/ds 2>/dev/null
	[ ! -s $T/ds ] || { rc=1; out "# dkms status:"; diag $T/ds; }
	ok $rc "nothing left: no new file in /usr, /lib/modules, /var/lib/dkms ($(wc -l <$STATE/before) paths before the install, $(wc -l <$T/after) now, the new ones all the second kernel's), none of the packages' $(wc -l <$STATE/ours) paths, modules.dep, dkms status"
}

phase2() {
	cd $SRC || exit 1
	t_second_kernel
	t_removed

	# 23.
	t_dmesg 2
	finish "done"
}

case $(cat $STATE/phase 2>/dev/null || echo 1) in
1) phase1 ;;
2) phase2 ;;
*) echo "EXECMEM-GUEST: unexpected phase"; finish "done" ;;
esac
