#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of scripts/tlb-run.sh (runs as the harness's /test.sh): runs
# the payload in /files/payload inside one measured window (label 1) of the
# TLB plugin.  /files/payload.mode, written by the runner, says how:
#   script FILE   sh FILE, from /files/payload
#   exec FILE     the static program FILE
#   ko            insmod every .ko/.ko.xz of /files/payload in the window,
#                 rmmod them after it
# Class ranges (tlbmark range NAME START END) given by the payload's
# optional /files/payload/ranges.sh are passed before the window.
mark=/files/tlbmark
read -r mode file </files/payload.mode
cd /files/payload || exit 1
# shellcheck disable=SC1091 # the payload's own file
[ -f ranges.sh ] && . ./ranges.sh
rc=0
case $mode in
script)
	$mark begin 1
	sh "./$file" || rc=$?
	$mark end
	;;
exec)
	$mark begin 1
	"./$file" || rc=$?
	$mark end
	;;
ko)
	mods=$(ls ./*.ko ./*.ko.xz 2>/dev/null)
	$mark begin 1
	for m in $mods; do insmod "$m" || rc=$?; done
	$mark end
	for m in $mods; do
		n=${m##*/}
		rmmod "${n%%.ko*}" 2>/dev/null
	done
	;;
*)
	echo "tlb-run: unknown payload mode $mode"
	rc=2
	;;
esac
echo "tlb-run: payload rc=$rc"
exit "$rc"
