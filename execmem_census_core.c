// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-independent part of the direct-map census: see
 * execmem_census_core.h.  Built in the kernel and in userspace.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <string.h>
#endif
#include "execmem_census_core.h"

unsigned int xc_classify_one(u64 pte)
{
	unsigned int v = 0;

	if (!pte)
		return XC_NONE;
	if (!(pte & XC_PTE_PRESENT))
		return XC_NP;
	if (!(pte & XC_PTE_RW))
		v |= XC_RO;
	if (!(pte & XC_PTE_NX))
		v |= XC_X;
	if (pte & (XC_PTE_PWT | XC_PTE_PCD | XC_PTE_PAT))
		v |= XC_CACHE;
	return v ? v : XC_DEF;
}

void xc_count_one(struct xc_counts *c, unsigned int verdict)
{
	if (verdict & XC_NONE) {
		c->none++;
		return;
	}
	c->leaves++;
	if (verdict & XC_DEF) {
		c->def++;
		return;
	}
	c->nondef++;
	c->ro += !!(verdict & XC_RO);
	c->x += !!(verdict & XC_X);
	c->np += !!(verdict & XC_NP);
	c->cache += !!(verdict & XC_CACHE);
}

void xc_counts_add(struct xc_counts *sum, const struct xc_counts *c)
{
	sum->none += c->none;
	sum->leaves += c->leaves;
	sum->def += c->def;
	sum->nondef += c->nondef;
	sum->ro += c->ro;
	sum->x += c->x;
	sum->np += c->np;
	sum->cache += c->cache;
}

enum xc_status xc_split_status(const struct xc_counts *c)
{
	if (c->nondef)
		return XC_LIVE;
	if (c->none)
		return XC_PARTIAL;
	return XC_STALE;
}

const char *xc_status_name(enum xc_status s)
{
	switch (s) {
	case XC_LIVE:
		return "live";
	case XC_STALE:
		return "stale";
	case XC_PARTIAL:
		return "partial";
	}
	return "?";
}

const char *xc_class_name(enum xc_class cl)
{
	static const char *const names[XC_CL_NR] = {
		[XC_CL_MODULE] = "module",
		[XC_CL_BPF] = "bpf",
		[XC_CL_KPROBES] = "kprobes",
		[XC_CL_FTRACE] = "ftrace",
		[XC_CL_EXECMEM] = "execmem",
		[XC_CL_KERNEL] = "kernel",
		[XC_CL_OTHER] = "other",
		[XC_CL_UNKNOWN] = "unattributed",
	};

	return (unsigned int)cl < XC_CL_NR ? names[cl] : "?";
}

static void xc_copy_token(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < XC_NAME_LEN - 1 && src[i]; i++)
		dst[i] = src[i] > ' ' && src[i] <= '~' ? src[i] : '_';
	if (!i)
		dst[i++] = '-';
	dst[i] = '\0';
}

int xc_owner_get(struct xc_owner *tab, int *n, int max, enum xc_class cl,
		 const char *name)
{
	char tok[XC_NAME_LEN];
	int i;

	xc_copy_token(tok, name);
	for (i = 0; i < *n; i++)
		if (tab[i].cl == cl && !strcmp(tab[i].name, tok))
			return i;
	if (*n >= max) {
		if (max < 1)
			return -ENOSPC;
		i = max - 1;
		tab[i].cl = XC_CL_OTHER;
		memcpy(tab[i].name, "+more", sizeof("+more"));
		return i;
	}
	i = (*n)++;
	memset(&tab[i], 0, sizeof(tab[i]));
	tab[i].cl = cl;
	tab[i].last_range = XC_U32_MAX;
	memcpy(tab[i].name, tok, sizeof(tok));
	return i;
}

int xc_extent_add(struct xc_extents *e, u64 pfn, u32 npages,
		  u16 owner)
{
	struct xc_extent *last = e->n ? &e->v[e->n - 1] : NULL;

	if (last && last->owner == owner && last->pfn + last->npages == pfn &&
	    last->npages <= XC_U32_MAX - npages) {
		last->npages += npages;
		return 0;
	}
	if (e->n >= e->cap)
		return -ENOSPC;
	e->v[e->n].pfn = pfn;
	e->v[e->n].npages = npages;
	e->v[e->n].owner = owner;
	e->n++;
	return 0;
}

/* Heapsort by pfn: no allocation, no recursion, O(n log n). */
static void xc_sift(struct xc_extent *v, size_t root, size_t n)
{
	struct xc_extent t;
	size_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && v[child + 1].pfn > v[child].pfn)
			child++;
		if (v[root].pfn >= v[child].pfn)
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

void xc_extents_sort(struct xc_extents *e)
{
	struct xc_extent t;
	size_t i;

	for (i = e->n / 2; i-- > 0;)
		xc_sift(e->v, i, e->n);
	for (i = e->n; i-- > 1;) {
		t = e->v[0];
		e->v[0] = e->v[i];
		e->v[i] = t;
		xc_sift(e->v, 0, i);
	}
}

const struct xc_extent *xc_extent_find(const struct xc_extents *e,
				       u64 pfn)
{
	size_t lo = 0, hi = e->n, mid;

	/* The last extent starting at or below @pfn... */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->v[mid].pfn <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	/*
	 * ...holds it, or no extent does.  A page mapped twice in the module
	 * area gives overlapping extents: a pfn in the overlap may then be
	 * found in the later one only, or (past its end) in neither.
	 */
	if (lo && pfn - e->v[lo - 1].pfn < e->v[lo - 1].npages)
		return &e->v[lo - 1];
	return NULL;
}
