// SPDX-License-Identifier: GPL-2.0
/* Unit tests for execmem_census_core.c (userspace, KTAP output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "../../execmem_census_core.h"

#define PFN(x)	((u64)(x) << 12)
/* The direct map's default 4K entry: present, RW, accessed, dirty, global, NX. */
#define DEF	(XC_PTE_PRESENT | XC_PTE_RW | 0x60 | 0x100 | XC_PTE_NX)

static void t_classify(void)
{
	EXPECT(xc_classify_one(0) == XC_NONE);
	EXPECT(xc_classify_one(PFN(5) | DEF) == XC_DEF);
	EXPECT(xc_classify_one(PFN(5) | (DEF & ~XC_PTE_RW)) == XC_RO);
	EXPECT(xc_classify_one(PFN(5) | (DEF & ~XC_PTE_NX)) == XC_X);
	EXPECT(xc_classify_one(PFN(5) | (DEF & ~XC_PTE_RW & ~XC_PTE_NX)) ==
	       (XC_RO | XC_X));
	/* Not present but not empty (set_direct_map_invalid_noflush()). */
	EXPECT(xc_classify_one(PFN(5) | (DEF & ~XC_PTE_PRESENT & ~XC_PTE_RW)) ==
	       XC_NP);
	EXPECT(xc_classify_one(PFN(5) | DEF | XC_PTE_PCD) == XC_CACHE);
	EXPECT(xc_classify_one(PFN(5) | DEF | XC_PTE_PAT) == XC_CACHE);
}

/* A PTE table as the kernel leaves it, counted and given a status. */
static void t_counts_status(void)
{
	struct xc_counts c = { 0 };
	u64 pte[XC_PTRS];
	int i;

	for (i = 0; i < XC_PTRS; i++)
		pte[i] = PFN(0x1000 + i) | DEF;
	for (i = 0; i < XC_PTRS; i++)
		xc_count_one(&c, xc_classify_one(pte[i]));
	EXPECT(c.leaves == 512 && c.def == 512 && !c.nondef && !c.none);
	EXPECT(xc_split_status(&c) == XC_STALE);

	memset(&c, 0, sizeof(c));
	pte[3] &= ~XC_PTE_RW;
	pte[4] &= ~(XC_PTE_RW | XC_PTE_NX);
	pte[5] &= ~XC_PTE_PRESENT;
	for (i = 0; i < XC_PTRS; i++)
		xc_count_one(&c, xc_classify_one(pte[i]));
	EXPECT(c.leaves == 512 && c.def == 509 && c.nondef == 3);
	EXPECT(c.ro == 2 && c.x == 1 && c.np == 1 && c.cache == 0);
	EXPECT(xc_split_status(&c) == XC_LIVE);

	/* Holes only (the end of RAM inside a 2 MiB range): partial. */
	memset(&c, 0, sizeof(c));
	for (i = 0; i < XC_PTRS; i++)
		xc_count_one(&c, xc_classify_one(i < 480 ? PFN(i) | DEF : 0));
	EXPECT(c.leaves == 480 && c.none == 32);
	EXPECT(xc_split_status(&c) == XC_PARTIAL);
	EXPECT(!strcmp(xc_status_name(XC_PARTIAL), "partial"));

	/* Sums. */
	{
		struct xc_counts s = { 0 };

		xc_counts_add(&s, &c);
		xc_counts_add(&s, &c);
		EXPECT(s.leaves == 960 && s.none == 64 && s.def == 960);
	}
}

static void t_owners(void)
{
	struct xc_owner tab[4];
	int n = 0, a, b;

	a = xc_owner_get(tab, &n, 4, XC_CL_MODULE, "minix/text");
	b = xc_owner_get(tab, &n, 4, XC_CL_MODULE, "minix/rodata");
	EXPECT(a == 0 && b == 1 && n == 2);
	EXPECT(xc_owner_get(tab, &n, 4, XC_CL_MODULE, "minix/text") == a);
	/* Same name, other class: another owner. */
	EXPECT(xc_owner_get(tab, &n, 4, XC_CL_OTHER, "minix/text") == 2);
	/* One token: white space and controls become '_'; empty is "-". */
	EXPECT(xc_owner_get(tab, &n, 4, XC_CL_OTHER, "a b\tc") == 3);
	EXPECT(!strcmp(tab[3].name, "a_b_c"));
	/* Full: the last slot takes every further owner. */
	EXPECT(xc_owner_get(tab, &n, 4, XC_CL_BPF, "x") == 3 && n == 4);
	EXPECT(tab[3].cl == XC_CL_OTHER && !strcmp(tab[3].name, "+more"));
	n = 0;
	EXPECT(xc_owner_get(tab, &n, 4, XC_CL_KERNEL, "") == 0);
	EXPECT(!strcmp(tab[0].name, "-"));
	EXPECT(!strcmp(xc_class_name(XC_CL_UNKNOWN), "unattributed"));
}

static void t_extents(void)
{
	struct xc_extent v[8];
	struct xc_extents e = { v, 0, 8 };
	const struct xc_extent *x;

	/* Contiguous pages of one owner merge; a new owner or a gap does not. */
	EXPECT(!xc_extent_add(&e, 100, 1, 1));
	EXPECT(!xc_extent_add(&e, 101, 1, 1));
	EXPECT(!xc_extent_add(&e, 102, 1, 2));
	EXPECT(!xc_extent_add(&e, 50, 40, 3));
	EXPECT(!xc_extent_add(&e, 10, 1, 4));
	EXPECT(e.n == 4 && v[0].npages == 2);
	xc_extents_sort(&e);
	EXPECT(v[0].pfn == 10 && v[1].pfn == 50 && v[2].pfn == 100 && v[3].pfn == 102);
	x = xc_extent_find(&e, 101);
	EXPECT(x && x->owner == 1);
	x = xc_extent_find(&e, 89);
	EXPECT(x && x->owner == 3);
	EXPECT(!xc_extent_find(&e, 90));
	EXPECT(!xc_extent_find(&e, 9));
	EXPECT(!xc_extent_find(&e, 103));
	x = xc_extent_find(&e, 10);
	EXPECT(x && x->owner == 4);
	/* Full: -ENOSPC, nothing written. */
	e.cap = e.n;
	EXPECT(xc_extent_add(&e, 1000, 1, 5) == -ENOSPC && e.n == 4);
}

/* Sorting and finding agree with a linear search on random extents. */
static void t_extents_random(void)
{
	enum { N = 2000 };
	static struct xc_extent v[N];
	struct xc_extents e = { v, 0, N };
	u64 pfn = 0;
	size_t i, j;
	int k;

	srand(1);
	for (i = 0; i < N; i++) {
		pfn += 1 + rand() % 700;
		v[i].pfn = pfn;
		v[i].npages = 1 + rand() % 512;
		v[i].owner = i;
		pfn += v[i].npages;
	}
	e.n = N;
	for (i = N - 1; i > 0; i--) {	/* shuffle */
		struct xc_extent t = v[i];

		j = rand() % (i + 1);
		v[i] = v[j];
		v[j] = t;
	}
	xc_extents_sort(&e);
	for (i = 1; i < N; i++)
		EXPECT(v[i - 1].pfn < v[i].pfn);
	for (k = 0; k < 20000; k++) {
		u64 p = rand() % (pfn + 10);
		const struct xc_extent *x = xc_extent_find(&e, p), *want = NULL;

		for (i = 0; i < N; i++)
			if (p >= v[i].pfn && p < v[i].pfn + v[i].npages)
				want = &v[i];
		if (x != want) {
			EXPECT(x == want);
			break;
		}
	}
}

static const struct ktap_case tests[] = {
	{ t_classify, "census_classify" },
	{ t_counts_status, "census_counts_status" },
	{ t_owners, "census_owners" },
	{ t_extents, "census_extents" },
	{ t_extents_random, "census_extents_random" },
};

int main(void)
{
	return ktap_run(tests, sizeof(tests) / sizeof(tests[0]));
}
