#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Payload of demo-tlb.sh -w dmap, run inside the measured window: runs
# ./dmapwork with the options of ./params (it zeroes the counts after its
# warm-up pass and ends the window itself), then prints its result line and
# /proc/meminfo's DirectMap lines after it, as "demo-tlb-dmap: ..." lines.
read -r _ _ dd_args <./params
# shellcheck disable=SC2086 # the options, one word each
./dmapwork $dd_args >/tmp/dd_out 2>&1
dd_rc=$?
/files/tlbmark end
echo "demo-tlb-dmap: dmapwork exit $dd_rc"
sed 's/^/demo-tlb-dmap: /' /tmp/dd_out
awk '/^DirectMap(4k|2M|1G):/ { sub(":", "", $1); print "demo-tlb-dmap: after " $1, $2 }' /proc/meminfo
grep -q '^result ok' /tmp/dd_out
