// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-independent part of the direct-map lab: see execmem_dmap_core.h.
 * Built in the kernel and in userspace.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#else
#include <string.h>
#endif
#include "execmem_dmap_core.h"

static const char *const xd_names[XD_NR] = {
	[XD_HEALABLE] = "healable",
	[XD_KEEP_4K] = "keep-4k",
	[XD_NOT_RAM] = "not-ram",
	[XD_NOT_PRESENT] = "not-present",
	[XD_NOT_LEAF] = "not-leaf",
	[XD_MARKED_4K] = "marked-4k",
	[XD_FLAGS_DIFFER] = "flags-differ",
	[XD_NOT_DEFAULT] = "not-default",
	[XD_UNALIGNED] = "unaligned",
	[XD_PFN_GAP] = "pfn-gap",
	[XD_NOT_LINEAR] = "not-linear",
	[XD_MTRR] = "mtrr",
	[XD_CHANGED] = "changed",
};

const char *xd_reason_name(enum xd_reason r)
{
	return (unsigned int)r < XD_NR ? xd_names[r] : "?";
}

const struct xd_excl *xd_excluded(const struct xd_excl *tab, int n,
				  u64 phys, u64 size)
{
	int i;

	for (i = 0; i < n; i++)
		if (tab[i].start < phys + size && phys < tab[i].end)
			return &tab[i];
	return NULL;
}

/*
 * The per-entry checks, in order; the pfn ones come last (see the header).
 * Accessed and dirty are ignored: set_memory_ro() clears dirty (6.6+: a
 * read-only dirty entry would be a shadow-stack one), set_memory_rw() does
 * not set it again, and on a writable entry it only tells whether the CPU
 * has written through it yet.
 */
static enum xd_reason xd_check_flags(const u64 *ptes,
				     const struct xd_params *p, int *bad)
{
	u64 mask = ~(p->pfn_mask | p->ignore);
	u64 first = ptes[0] & mask;
	int i;

	for (i = 0; i < XC_PTRS; i++)
		if (!(ptes[i] & XC_PTE_PRESENT))
			goto out_np;
	for (i = 0; i < XC_PTRS; i++)
		if ((ptes[i] & p->leaf) != p->leaf)
			goto out_table;
	for (i = 0; i < XC_PTRS; i++)
		if (p->marked_4k && (ptes[i] & p->marked_4k))
			goto out_4k;
	for (i = 1; i < XC_PTRS; i++)
		if ((ptes[i] & mask) != first)
			goto out_differ;
	i = 0;
	if (first != (p->def & mask))
		goto out_nondef;
	return XD_HEALABLE;
out_np:
	*bad = i;
	return XD_NOT_PRESENT;
out_table:
	*bad = i;
	return XD_NOT_LEAF;
out_4k:
	*bad = i;
	return XD_MARKED_4K;
out_differ:
	*bad = i;
	return XD_FLAGS_DIFFER;
out_nondef:
	*bad = i;
	return XD_NOT_DEFAULT;
}

enum xd_reason xd_check_ptes(const u64 *ptes, u64 phys,
			     const struct xd_params *p, int *bad)
{
	u64 pfn0 = (ptes[0] & p->pfn_mask) >> 12, step = 1ULL << p->order;
	enum xd_reason r;
	int i, dummy;

	if (!bad)
		bad = &dummy;
	*bad = -1;
	r = xd_check_flags(ptes, p, bad);
	if (r != XD_HEALABLE)
		return r;
	*bad = 0;
	if (pfn0 & (XC_PTRS * step - 1))
		return XD_UNALIGNED;
	for (i = 1; i < XC_PTRS; i++) {
		if (((ptes[i] & p->pfn_mask) >> 12) != pfn0 + i * step) {
			*bad = i;
			return XD_PFN_GAP;
		}
	}
	if (pfn0 != phys >> 12)
		return XD_NOT_LINEAR;
	*bad = -1;
	return XD_HEALABLE;
}

void xd_counts_add(struct xd_counts *sum, const struct xd_counts *c)
{
	int i;

	sum->split += c->split;
	for (i = 0; i < XD_NR; i++)
		sum->reason[i] += c->reason[i];
	sum->healed += c->healed;
	sum->boot_tables += c->boot_tables;
	sum->tables_freed += c->tables_freed;
	sum->flushes += c->flushes;
}
