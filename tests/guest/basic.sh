#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Foundation: load execmem, check how it calls the kernel (IBT), run the
# basic client test (execmem_basic.ko), check that execmem unloads once
# everything is freed.
# harness: --timeout 180
. /lib.sh

load_execmem
# Every non-exported function is reached by a direct jmp rel32: debugfs
# "calls" has the facts (each static-call trampoline's bytes, decoded).
sed 's/^/# calls: /' $D/calls
echo "# return thunk: $(cat $D/return_thunk)"
ktap_begin execmem_calls $(($(wc -l <$D/calls) - 1))
awk 'NR > 1 { printf "%sok %d - %s reached by direct jmp rel32\n", $2 == 1 ? "" : "not ", NR - 1, $1 }' $D/calls
insmod /modules/execmem_basic.ko
rmmod execmem_basic

ktap_begin execmem_files 3
bad=0
for f in stats regions allocations owners symbols calls return_thunk; do
	[ -f $D/$f ] && [ -r $D/$f ] || bad=1
	m=$(stat -c %a $D/$f 2>/dev/null)
	[ "$m" = 444 ] || [ "$m" = 400 ] || bad=1
done
ok $bad "debugfs files present, read-only (0444)"
grep -q '^regions 1$' $D/stats && grep -q '^live_allocs 0$' $D/stats
ok $? "stats: one spare region, no live allocation after the test"
rmmod execmem
ok $? "rmmod execmem once every allocation is freed"
