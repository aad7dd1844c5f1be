#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A hostile client (execmem_hostile.ko): random, invalid and adversarial
# calls from every vCPU for a bounded time, then free/write and free/free
# races on one allocation.  No crash, no corruption, counters consistent.
# retbleed=force,unret: the kernel uses a return thunk (6.12, 7.2) even
# under TCG.
# harness: --timeout 300 --append retbleed=force,unret
. /lib.sh
SEED=$(date +%s)
MS=4000
[ -e /sys/kernel/debug/kmemleak ] && MS=3000
ktap_defer /tmp/hostile.res

echo "# seed $SEED, $MS ms"
load_execmem
insmod /modules/execmem_hostile.ko seed=$SEED duration_ms=$MS
ok $? "insmod execmem_hostile completed"
rmmod execmem_hostile
grep -E '^(allocs|frees|failed_allocs|bad_frees|writes|failed_writes|live_allocs|regions) ' $D/stats | tr '\n' ' ' | sed 's/^/# stats: /; s/$/\n/'
# One clear, ratelimited message per class of misuse: each class said at
# least once, and the ratelimit (10 per 5 s per call site) held the flood
# of thousands of bad calls to a handful of lines.
dmesg >/tmp/hostile.dmesg
for class in 'bad request: type' 'not a live allocation' 'is outside any allocation'; do
	c=$(grep -c "execmem: .*$class" /tmp/hostile.dmesg)
	echo "# misuse messages '$class': $c"
	[ "$c" -ge 1 ] && [ "$c" -le 50 ]
	ok $? "one ratelimited message class for misuse '$class' ($c lines)"
done
[ "$(stat_of live_allocs)" = 0 ] && [ "$(stat_of bytes_allocated)" = 0 ] &&
	[ "$(wc -l <$D/allocations)" = 1 ] && [ "$(wc -l <$D/owners)" = 1 ]
ok $? "afterwards nothing is live, no allocation or owner record is left"
rmmod execmem
ok $? "rmmod execmem"

ktap_end execmem_hostile_harness
