// SPDX-License-Identifier: GPL-2.0
/* Unit tests for execmem_dmap_core.c (userspace, KTAP output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "../../execmem_dmap_core.h"

#define PFN(x)		((u64)(x) << 12)
/* The direct map's default 4K entry: present, RW, accessed, dirty, global, NX. */
#define DEF		(XC_PTE_PRESENT | XC_PTE_RW | 0x60 | 0x100 | XC_PTE_NX)
#define PFN_MASK	0x000ffffffffff000ULL
#define SOFTW3		(1ULL << 58)
#define PHYS		(512ULL << 21)	/* a 2 MiB range at 1 GiB */

#define AD		0x60ULL		/* accessed, dirty */

static const struct xd_params params = {
	.pfn_mask = PFN_MASK, .def = DEF, .ignore = AD, .marked_4k = SOFTW3,
};

/* A range as CPA leaves it after set_memory_ro() then set_memory_rw(). */
static void stale(u64 *pte)
{
	int i;

	for (i = 0; i < XC_PTRS; i++)
		pte[i] = (PHYS + PFN(i)) | DEF;
}

static enum xd_reason check(const u64 *pte, int *bad)
{
	return xd_check_ptes(pte, PHYS, &params, bad);
}

static void t_healable(void)
{
	u64 pte[XC_PTRS];
	int bad = 7;

	stale(pte);
	EXPECT(check(pte, &bad) == XD_HEALABLE && bad == -1);
	EXPECT(check(pte, NULL) == XD_HEALABLE);
	EXPECT(!strcmp(xd_reason_name(XD_HEALABLE), "healable"));
	EXPECT(!strcmp(xd_reason_name(XD_NR), "?"));
}

/* One entry differs: each way is its own reason, at its index. */
static void t_one_entry(void)
{
	u64 pte[XC_PTRS];
	int bad;

	stale(pte);
	pte[511] = 0;
	EXPECT(check(pte, &bad) == XD_NOT_PRESENT && bad == 511);
	stale(pte);
	pte[3] &= ~XC_PTE_PRESENT;	/* KFENCE-style protnone */
	EXPECT(check(pte, &bad) == XD_NOT_PRESENT && bad == 3);
	stale(pte);
	pte[9] |= SOFTW3;
	EXPECT(check(pte, &bad) == XD_MARKED_4K && bad == 9);
	/* One page changed among default ones: the usual live range. */
	stale(pte);
	pte[5] &= ~XC_PTE_RW;
	EXPECT(check(pte, &bad) == XD_FLAGS_DIFFER && bad == 5);
	stale(pte);
	pte[6] &= ~XC_PTE_NX;
	EXPECT(check(pte, &bad) == XD_FLAGS_DIFFER && bad == 6);
	stale(pte);
	pte[7] |= XC_PTE_PCD;
	EXPECT(check(pte, &bad) == XD_FLAGS_DIFFER && bad == 7);
	stale(pte);
	pte[8] |= XC_PTE_PAT;		/* the 4K PAT bit: not write-back */
	EXPECT(check(pte, &bad) == XD_FLAGS_DIFFER && bad == 8);
	stale(pte);
	pte[10] &= ~0x100ULL;		/* not global */
	EXPECT(check(pte, &bad) == XD_FLAGS_DIFFER && bad == 10);
	/* set_memory_ro() then set_memory_rw(): dirty is gone, still healable. */
	stale(pte);
	pte[12] &= ~0x40ULL;
	pte[13] &= ~0x20ULL;
	EXPECT(check(pte, &bad) == XD_HEALABLE && bad == -1);
	stale(pte);
	pte[11] ^= PFN(1);
	EXPECT(check(pte, &bad) == XD_PFN_GAP && bad == 11);
}

/* Every entry the same but not the default; and flags not uniform. */
static void t_all_entries(void)
{
	struct xd_params p = params;
	u64 pte[XC_PTRS];
	int i, bad;

	stale(pte);
	for (i = 0; i < XC_PTRS; i++)
		pte[i] &= ~XC_PTE_RW;
	EXPECT(check(pte, &bad) == XD_NOT_DEFAULT && bad == 0);
	stale(pte);
	for (i = 0; i < XC_PTRS; i++)
		pte[i] |= XC_PTE_PCD;	/* a whole 2 MiB made uncached */
	EXPECT(check(pte, &bad) == XD_NOT_DEFAULT && bad == 0);
	/* Without the ignore mask, a missing dirty bit counts. */
	stale(pte);
	pte[100] &= ~0x40ULL;
	p.ignore = 0;
	EXPECT(xd_check_ptes(pte, PHYS, &p, &bad) == XD_FLAGS_DIFFER &&
	       bad == 100);
	for (i = 0; i < XC_PTRS; i++)
		pte[i] &= ~0x40ULL;
	EXPECT(xd_check_ptes(pte, PHYS, &p, &bad) == XD_NOT_DEFAULT &&
	       bad == 0);
	p.ignore = AD;
	EXPECT(xd_check_ptes(pte, PHYS, &p, &bad) == XD_HEALABLE);
	/* No "keep 4K" bit on 6.x: SOFTW3 is then just not the default. */
	p = params;
	p.marked_4k = 0;
	stale(pte);
	pte[2] |= SOFTW3;
	EXPECT(xd_check_ptes(pte, PHYS, &p, &bad) == XD_FLAGS_DIFFER &&
	       bad == 2);
}

static void t_pfns(void)
{
	u64 pte[XC_PTRS];
	int i, bad;

	/* Contiguous but starting 4 KiB late. */
	for (i = 0; i < XC_PTRS; i++)
		pte[i] = (PHYS + PFN(i + 1)) | DEF;
	EXPECT(check(pte, &bad) == XD_UNALIGNED && bad == 0);
	/* Aligned, contiguous, but another 2 MiB than the range's own. */
	for (i = 0; i < XC_PTRS; i++)
		pte[i] = (PHYS + PFN(512 + i)) | DEF;
	EXPECT(check(pte, &bad) == XD_NOT_LINEAR);
	/* Reversed pfns. */
	for (i = 0; i < XC_PTRS; i++)
		pte[i] = (PHYS + PFN(511 - i)) | DEF;
	EXPECT(check(pte, &bad) == XD_UNALIGNED);
	/* Order: a hole wins over a gap. */
	stale(pte);
	pte[20] ^= PFN(3);
	pte[30] = 0;
	EXPECT(check(pte, &bad) == XD_NOT_PRESENT && bad == 30);
}

/*
 * 1 GiB: the 512 PMDs of a split 1 GiB range, as CPA leaves them after a
 * split of the PUD and a heal of the 2 MiB range split under it.
 */
#define PSE		0x80ULL
#define PAT_LARGE	0x1000ULL
#define PMD_PFN_MASK	0x000fffffffe00000ULL
#define GB		(4ULL << 30)	/* a 1 GiB range at 4 GiB */

static const struct xd_params params_1g = {
	.pfn_mask = PMD_PFN_MASK, .def = DEF | PSE, .ignore = AD,
	.marked_4k = SOFTW3, .leaf = PSE, .order = 9,
};

static void stale_1g(u64 *pmd)
{
	int i;

	for (i = 0; i < XC_PTRS; i++)
		pmd[i] = (GB + ((u64)i << 21)) | DEF | PSE;
}

static enum xd_reason check_1g(const u64 *pmd, int *bad)
{
	return xd_check_ptes(pmd, GB, &params_1g, bad);
}

static void t_1g(void)
{
	u64 pmd[XC_PTRS];
	int i, bad;

	stale_1g(pmd);
	EXPECT(check_1g(pmd, &bad) == XD_HEALABLE && bad == -1);
	/* One 2 MiB range still split: a table entry (no PSE). */
	pmd[17] = 0x12345000ULL | 0x63;
	EXPECT(check_1g(pmd, &bad) == XD_NOT_LEAF && bad == 17);
	EXPECT(!strcmp(xd_reason_name(XD_NOT_LEAF), "not-leaf"));
	/* The PAT bit of a large entry: not write-back, a flag, not a pfn. */
	stale_1g(pmd);
	pmd[40] |= PAT_LARGE;
	EXPECT(check_1g(pmd, &bad) == XD_FLAGS_DIFFER && bad == 40);
	/* pfns step 2 MiB; one 4 KiB off is a gap... */
	stale_1g(pmd);
	pmd[3] += PFN(512);
	EXPECT(check_1g(pmd, &bad) == XD_PFN_GAP && bad == 3);
	/* ...and a first entry 2 MiB aligned but not 1 GiB is unaligned. */
	for (i = 0; i < XC_PTRS; i++)
		pmd[i] = (GB + ((u64)(i + 1) << 21)) | DEF | PSE;
	EXPECT(check_1g(pmd, &bad) == XD_UNALIGNED);
	/* Contiguous, aligned, another 1 GiB than the range's own. */
	for (i = 0; i < XC_PTRS; i++)
		pmd[i] = (2 * GB + ((u64)i << 21)) | DEF | PSE;
	EXPECT(check_1g(pmd, &bad) == XD_NOT_LINEAR);
	/* The 4K form of the check is unchanged by the leaf bit's absence. */
	stale(pmd);
	EXPECT(check(pmd, &bad) == XD_HEALABLE);
}

static void t_exclusions(void)
{
	static const struct xd_excl tab[] = {
		{ 0x1000000, 0x1200000, "kfence" },	/* one 2 MiB range */
		{ 0x3001000, 0x3002000, "other" },	/* one page */
	};

	EXPECT(xd_excluded(tab, 2, 0x1000000, 0x200000) == &tab[0]);
	EXPECT(!xd_excluded(tab, 2, 0xe00000, 0x200000));
	EXPECT(!xd_excluded(tab, 2, 0x1200000, 0x200000));
	EXPECT(xd_excluded(tab, 2, 0x3000000, 0x200000) == &tab[1]);
	EXPECT(!xd_excluded(tab, 0, 0x1000000, 0x200000));
}

static void t_counts(void)
{
	struct xd_counts a = { 0 }, s = { 0 };

	a.split = 3;
	a.reason[XD_HEALABLE] = 2;
	a.reason[XD_CHANGED] = 1;
	a.healed = 2;
	a.boot_tables = 1;
	a.tables_freed = 1;
	a.flushes = 1;
	xd_counts_add(&s, &a);
	xd_counts_add(&s, &a);
	EXPECT(s.split == 6 && s.reason[XD_HEALABLE] == 4 &&
	       s.reason[XD_CHANGED] == 2 && s.healed == 4 &&
	       s.boot_tables == 2 && s.tables_freed == 2 && s.flushes == 2);
}

static const struct ktap_case tests[] = {
	{ t_healable, "dmap_healable" },
	{ t_one_entry, "dmap_one_entry" },
	{ t_all_entries, "dmap_all_entries" },
	{ t_pfns, "dmap_pfns" },
	{ t_1g, "dmap_1g" },
	{ t_exclusions, "dmap_exclusions" },
	{ t_counts, "dmap_counts" },
};

int main(void)
{
	return ktap_run(tests, sizeof(tests) / sizeof(tests[0]));
}
