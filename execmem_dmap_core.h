/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-independent part of the direct-map lab (execmem_dmap.c): may the
 * 512 4 KiB entries of one split 2 MiB range of the direct map become one
 * PMD leaf again (or the 512 2 MiB entries of a split 1 GiB range one PUD
 * leaf), and if not, why.  Built in the kernel and in userspace
 * (tests/pool/test_dmap.c), like execmem_census_core.c.  No locking: the
 * caller owns every structure and reads the entries under its locks.
 */
#ifndef _EXECMEM_DMAP_CORE_H
#define _EXECMEM_DMAP_CORE_H

#include "execmem_census_core.h"

/*
 * Why a split range is (not) healed, in the order the checks run: the
 * first one that fails is the one counted.
 */
enum xd_reason {
	XD_HEALABLE,		/* every check passed */
	XD_KEEP_4K,		/* on the exclusion list (KFENCE pool...) */
	XD_NOT_RAM,		/* not wholly System RAM */
	XD_NOT_PRESENT,		/* an entry is empty or not present */
	XD_NOT_LEAF,		/* 1 GiB: an entry is a table (2M still split) */
	XD_MARKED_4K,		/* an entry carries _PAGE_KERNEL_4K (7.2) */
	XD_FLAGS_DIFFER,	/* entries' flags differ from the first one's */
	XD_NOT_DEFAULT,		/* the same flags, not the direct map's default */
	XD_UNALIGNED,		/* first pfn not 2 MiB aligned */
	XD_PFN_GAP,		/* pfns not contiguous */
	XD_NOT_LINEAR,		/* pfn is not the range's own physical page */
	XD_MTRR,		/* MTRRs not uniform over the range */
	XD_CHANGED,		/* healable at first, not under the locks */
	XD_NR
};

const char *xd_reason_name(enum xd_reason r);

/* What the entries are checked against. */
struct xd_params {
	u64 pfn_mask;	/* bits of an entry holding the pfn (PTE_PFN_MASK) */
	u64 def;	/* flags of a default direct-map 4K entry */
	u64 ignore;	/* flags compared in no entry: accessed, dirty */
	u64 marked_4k;	/* the "keep 4K" software bit, or 0 (6.x) */
	u64 leaf;	/* entries must have it (_PAGE_PSE for PMDs), or 0 */
	unsigned int order;	/* 4K pages per entry, log2: 0 or 9 (PMDs) */
};

/* A physical range execmem must never heal (kept 4K on purpose). */
struct xd_excl {
	u64 start, end;	/* [start, end), physical */
	const char *why;
};

/* The exclusion entry overlapping [@phys, @phys + @size), or NULL. */
const struct xd_excl *xd_excluded(const struct xd_excl *tab, int n,
				  u64 phys, u64 size);

/*
 * The entries of the range at physical address @phys (aligned to 512
 * entries): XD_HEALABLE, or the first of XD_NOT_PRESENT .. XD_NOT_LINEAR
 * that applies.  Flags are compared without @p->ignore's bits.  @bad, when
 * not NULL, gets the index of the first offending entry (-1: none).
 */
enum xd_reason xd_check_ptes(const u64 *ptes, u64 phys,
			     const struct xd_params *p, int *bad);

/* Counters of one pass (a dry run or a heal) and of the module's life. */
struct xd_counts {
	u64 split;		/* split ranges seen (2 MiB, or 1 GiB) */
	u64 reason[XD_NR];	/* per verdict; [XD_HEALABLE]: healable */
	u64 healed;		/* became PMD (PUD) leaves */
	u64 boot_tables;	/* healed, table made at boot: not freed */
	u64 tables_freed;
	u64 flushes;		/* global TLB flushes */
};

void xd_counts_add(struct xd_counts *sum, const struct xd_counts *c);

#endif /* _EXECMEM_DMAP_CORE_H */
