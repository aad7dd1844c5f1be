#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The direct-map heal refuses under debug_pagealloc (docs/dmap.md): booted
# with debug_pagealloc=on on a kernel that has it (the direct map is then
# all 4K: DirectMap2M is 0), writing "heal" or "race-test" to debugfs dmap
# fails, the file names the reason, execmemctl heal exits 1 saying why,
# and the dry run still works.  Kernels without CONFIG_DEBUG_PAGEALLOC
# ignore the parameter: SKIP.
# harness: --files tools-guest
# harness: --append debug_pagealloc=on
. /lib.sh
M=$D/dmap
kv() { sed -n "s/^$2 //p" "$1"; }
mi() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }

ktap_begin execmem_dmap_refuse 1
load_execmem
if ! grep -q 'debug_pagealloc=on' /proc/cmdline || [ "$(mi DirectMap2M)" != 0 ]; then
	skip "heal refused under debug_pagealloc" "debug_pagealloc not active (DirectMap2M $(mi DirectMap2M) kB)"
	exit 0
fi
bad=0
if echo heal >$M 2>/dev/null; then bad=1; echo "# heal accepted"; fi
if echo race-test >$M 2>/dev/null; then bad=1; echo "# race-test accepted"; fi
cat $M >/tmp/dmap
case $(kv /tmp/dmap heal_refused) in *debug_pagealloc*) ;; *) bad=1 ;; esac
[ "$(kv /tmp/dmap last_healed)" = 0 ] || bad=1
/files/execmemctl heal >/tmp/heal.txt 2>&1 && bad=1
grep -q debug_pagealloc /tmp/heal.txt || bad=1
diag /tmp/heal.txt
echo dry-run >$M && [ "$(kv $M last_result)" = 0 ] || bad=1
ok $bad "debug_pagealloc=on: heal and race-test refused ($(kv /tmp/dmap heal_refused)), dry run works"
