#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# W^X after a soak (execmem_soak.ko), with huge and 4 KiB fallback regions live:
# - execmem_wx.ko: every 4 KiB of every region (debugfs "regions") is mapped
#   read-only+executable at the region's level, and the direct-map alias of
#   every backing page is not writable (or not present);
# - the kernel's page-table dump (PTDUMP_DEBUGFS) shows each region RO+X,
#   by pmd leaves (2M) or ptes (fallback);
# - /sys/kernel/debug/check_wx_pages finds no W+X page;
# - execmem_wx_alias.ko: while one CPU writes code, the other never sees the
#   allocation or its direct-map alias writable.
# The last two SKIP where the kernel lacks the debugfs file.
# harness: --timeout 400
. /lib.sh
PT=/sys/kernel/debug/page_tables/kernel
SEED=$(date +%s)
OPS=20000
[ -e /sys/kernel/debug/kmemleak ] && OPS=5000
ktap_defer /tmp/wx.res

load_execmem spare_regions=8
insmod /modules/execmem_soak.ko seed=$SEED ops=$OPS
ok $? "soak before the W^X checks (seed $SEED, $OPS operations per vCPU)"
rmmod execmem_soak
# Live regions: the spare huge ones refilled, then new ones forced to 4 KiB.
echo 1 >/sys/module/execmem/parameters/force_fallback
insmod /modules/execmem_lifecycle.ko count=$(($(stat_of regions_empty) + 2)) size=2000000
ok $? "a client holds every spare region and two new 4 KiB fallback regions"
echo 0 >/sys/module/execmem/parameters/force_fallback
sed 1d $D/regions | cut -d' ' -f1-8 | sed 's/^/# /'
list=$(sed 1d $D/regions | awk '{ printf "%s%s:%s:%s", (NR > 1 ? "," : ""), $1, $2, $4 }')
[ "$(stat_of regions_fallback)" = 2 ] && [ "$(stat_of regions_huge)" -ge 1 ]
ok $? "regions: $(stat_of regions_huge) huge, $(stat_of regions_fallback) fallback"

insmod /modules/execmem_wx.ko regions="$list"
ok $? "execmem_wx checked every page of every region"
rmmod execmem_wx

if [ -r $PT ]; then
	cat $PT >/tmp/pt
	cat $D/regions >/tmp/pdregions
	awk 'function lo(a) { return ("0x" substr(a, 9, 8)) + 0 }
	FILENAME == ARGV[1] { if (FNR > 1) { nr++; rb[nr] = lo($1); rh[nr] = substr($1, 1, 8); rs[nr] = $2; rl[nr] = $4 } next }
	/^0x/ {
		split($1, a, "-"); s = substr(a[1], 3); e = substr(a[2], 3)
		if (substr(s, 1, 8) != "ffffffff" || substr(e, 1, 8) != "ffffffff") next
		ls = lo(s); le = lo(e)
		for (i = 1; i <= nr; i++) {
			if (rh[i] != "ffffffff" || le <= rb[i] || ls >= rb[i] + rs[i]) continue
			from = ls > rb[i] ? ls : rb[i]; to = le < rb[i] + rs[i] ? le : rb[i] + rs[i]
			cov[i] += to - from
			lvl = rl[i] == "2M" ? "pmd" : "pte"
			if (!/ ro / || !/ x  / || $NF != lvl) { print "# region " i ": " $0; bad = 1 }
		}
	}
	END { for (i = 1; i <= nr; i++) if (cov[i] != rs[i]) { print "# region " i " covered " cov[i] + 0 " of " rs[i]; bad = 1 }
		print "# ptdump: " nr " regions, " NR - nr - 1 " page-table dump lines"; exit bad }' /tmp/pdregions /tmp/pt
	ok $? "page_tables/kernel: every region RO+X, pmd leaves for huge regions, ptes for fallback ones"
else
	skip "page_tables/kernel: every region RO+X at its level" "no $PT (PTDUMP_DEBUGFS)"
fi

check_wx "check_wx_pages: no W+X page with the regions live"

# While code is being written: the other CPU never sees a writable mapping
# of it, nor a writable direct-map alias (execmem_wx_alias.ko, its own KTAP).
insmod /modules/execmem_wx_alias.ko
ok $? "execmem_wx_alias: writes watched from the other CPU"
rmmod execmem_wx_alias

rmmod execmem_lifecycle
rmmod execmem
ok $? "rmmod execmem"

ktap_end execmem_wx_harness
