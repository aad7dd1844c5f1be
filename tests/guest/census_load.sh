#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The census reads page tables that may be freed, or leave the direct map,
# under it (issue 21): debugfs census read in a loop while execmem's
# regions are created and freed (spare_regions=0, a client loaded and
# unloaded), stock modules load and unload, and a memfd_secret(2) user
# faults pages out of the direct map and back; booted with
# debug_pagealloc=on (the debug kernel unmaps free pages: a read of a freed
# table faults unless it is a nofault read; the stock kernels ignore the
# parameter) and secretmem.enable=1 (6.1's default is off).  Every census
# read completes with its final line; no Oops/WARN (the harness fails on any).
# /files is `make -C tools guest-files`: secretmem, kmods/KVER/{minix,qnx4}.ko.
# harness: --files tools-guest
# harness: --append debug_pagealloc=on
# harness: --append secretmem.enable=1
# harness: --timeout 300
. /lib.sh
T=/tmp/cl
mkdir -p $T
K=/files/kmods/$(uname -r)
SECS=20

ktap_begin execmem_census_load 5
echo "# $(cat /proc/cmdline)"
load_execmem spare_regions=0
# complete: the header, the totals, and the mapped extents last
complete() { [ "$(head -n1 "$1")" = "census 1" ] && grep -q '^pages_attributed ' "$1" && tail -n1 "$1" | grep -q '^mapped '; }

/files/secretmem $SECS 256 >$T/secret 2>&1 &
spid=$!
# execmem regions come and go: a client of 3 MiB (two regions) loaded and
# unloaded, spare_regions=0 frees them at once; stock modules alike
(
	end=$(($(date +%s) + SECS))
	i=0
	while [ "$(date +%s)" -lt $end ]; do
		insmod /modules/execmem_lifecycle.ko count=48 size=65536 || echo "insmod lifecycle failed"
		[ -f $K/minix.ko ] && insmod $K/minix.ko
		rmmod execmem_lifecycle
		[ -f $K/minix.ko ] && rmmod minix
		i=$((i + 1))
	done
	echo "cycles $i"
) >$T/churn 2>&1 &
cpid=$!
reads=0 bad=0
end=$(($(date +%s) + SECS))
while [ "$(date +%s)" -lt $end ]; do
	cat $D/census >$T/c || bad=$((bad + 1))
	complete $T/c || bad=$((bad + 1))
	reads=$((reads + 1))
done
wait $cpid
wait $spid
src=$?
[ $reads -ge 3 ] && [ $bad = 0 ]
ok $? "$reads census reads during the churn, each complete ($bad incomplete or failed)"
diag $T/churn
cycles=$(sed -n 's/^cycles //p' $T/churn)
[ "${cycles:-0}" -ge 1 ] && ! grep -q failed $T/churn
ok $? "$cycles client load/unload cycles with spare_regions=0 (regions created and freed)"
diag $T/secret
if [ $src = 2 ]; then
	skip "memfd_secret pages faulted in and out during the reads" "$(cat $T/secret)"
else
	[ $src = 0 ] && [ "$(sed -n 's/^pages //p' $T/secret)" -gt 0 ]
	ok $? "memfd_secret pages faulted in and out during the reads ($(tr '\n' ' ' <$T/secret))"
fi
if grep -q 'debug_pagealloc=on' /proc/cmdline && grep -q ' debug_pagealloc_enabled\| _debug_pagealloc_enabled' /proc/kallsyms; then
	ok 0 "debug_pagealloc is built in and on"
else
	skip "debug_pagealloc is built in and on" "this kernel has no DEBUG_PAGEALLOC (only the debug kernel does)"
fi
rmmod execmem
ok $? "rmmod execmem"
