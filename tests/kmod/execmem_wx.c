// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_wx.c - W^X of execmem's regions, as KTAP.
 *
 * @regions lists regions as "BASE:SIZE:LEVEL" (hex base, decimal size,
 * 2M or 4K), comma-separated, as tests/guest/wx.sh reads them from debugfs
 * "regions".  For every 4 KiB of every region: the region's own mapping is
 * present, read-only and executable, at the level given; the page behind it
 * (vmalloc_to_page) has a direct-map alias that is not writable (or not
 * present); no page is counted twice.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/string.h>
#include <asm/pgtable.h>
#include "testlib.h"

static char *regions = "";
module_param(regions, charp, 0444);
MODULE_PARM_DESC(regions, "BASE:SIZE:LEVEL,... (hex, decimal, 2M|4K)");

struct wx_count {
	unsigned long nregions, pages, bad_map, bad_level;
	unsigned long bad_alias, absent_alias, bad_parse;
};

/* One 4 KiB page of a region: ROX at level @want, no writable alias. */
static void wx_check_page(struct wx_count *c, unsigned long a, unsigned int want)
{
	unsigned int level;
	struct page *pg;
	pte_t *pte;

	c->pages++;
	pte = lookup_address(a, &level);
	if (!pte || !pte_present(*pte) || pte_write(*pte) || !pte_exec(*pte)) {
		if (!c->bad_map++)
			ktap_diag("%lx: not mapped read-only+executable", a);
		return;
	}
	if (level != want && !c->bad_level++)
		ktap_diag("%lx: level %u, expected %u", a, level, want);
	pg = vmalloc_to_page((void *)a);
	if (!pg) {
		c->bad_map++;
		return;
	}
	pte = lookup_address((unsigned long)page_address(pg), &level);
	if (!pte || !pte_present(*pte)) {
		c->absent_alias++;
	} else if (pte_write(*pte)) {
		if (!c->bad_alias++)
			ktap_diag("%lx: direct-map alias %lx writable (level %u)",
				  a, (unsigned long)page_address(pg), level);
	}
}

/* One "BASE:SIZE:LEVEL" item of the parameter: every page of it. */
static void wx_check_region(struct wx_count *c, char *item)
{
	char *f_base, *f_size, *f_level;
	unsigned long base, size, off;
	unsigned int want;

	f_base = strsep(&item, ":");
	f_size = strsep(&item, ":");
	f_level = item;
	if (!f_size || !f_level || kstrtoul(f_base, 16, &base) ||
	    kstrtoul(f_size, 10, &size) || !size || !PAGE_ALIGNED(base) ||
	    base < MODULES_VADDR || base + size > MODULES_END) {
		c->bad_parse++;
		return;
	}
	want = strcmp(f_level, "2M") ? PG_LEVEL_4K : PG_LEVEL_2M;
	c->nregions++;
	for (off = 0; off < size; off += PAGE_SIZE)
		wx_check_page(c, base + off, want);
}

static int __init wx_init(void)
{
	struct wx_count c = {};
	char *list, *cur, *item;
	struct ktap t;

	ktap_begin(&t, "execmem_wx", 3);
	list = kstrdup(regions, GFP_KERNEL);
	if (!list)
		return -ENOMEM;
	cur = list;
	while ((item = strsep(&cur, ",")) != NULL)
		if (*item)
			wx_check_region(&c, item);
	kfree(list);
	ktap_diag("%lu regions, %lu pages of 4 KiB checked; %lu direct-map aliases not present",
		  c.nregions, c.pages, c.absent_alias);
	ktap_result(&t, c.nregions > 0 && !c.bad_parse && !c.bad_map,
		    "every 4 KiB of %lu region(s) is mapped read-only+executable (%lu bad)",
		    c.nregions, c.bad_map + c.bad_parse);
	ktap_result(&t, !c.bad_level, "each region at its level (2M leaves for huge regions)");
	ktap_result(&t, !c.bad_alias,
		    "no backing page has a writable direct-map alias (%lu writable)", c.bad_alias);
	return 0;
}

static void __exit wx_exit(void)
{
}

module_init(wx_init);
module_exit(wx_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem W^X checks of regions and their direct-map aliases");
