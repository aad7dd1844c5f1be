/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One view of the kernel page tables at one address, shared by execmem.ko
 * (execmem_huge.c's xm_mapping_level()/xm_mapping_rox(), the direct-map
 * lab) and the benchmark module (its leaf counts of allocations and of the
 * module area): the leaf lookup_address() finds, its extent and its
 * permissions.  The census walks the whole direct map level by level with
 * non-faulting reads instead (execmem_census.c): one lookup per page would
 * be slower by the number of entries per table, and lookup_address() reads
 * tables that a concurrent CPA may free.
 */
#ifndef _EXECMEM_LEAF_H
#define _EXECMEM_LEAF_H

#include <linux/mm.h>
#include <linux/string.h>
#include <asm/pgtable.h>

struct xm_leaf {
	unsigned long start;	/* the leaf's first address */
	unsigned long size;	/* 4 KiB, 2 MiB or 1 GiB */
	unsigned int level;	/* PG_LEVEL_4K (1), _2M (2), _1G (3) */
	bool present, write, exec;
};

/*
 * The leaf entry mapping @addr into @l (it may be not present); false, @l
 * zeroed, when lookup_address() finds no entry or one above 1 GiB.
 */
static inline bool xm_leaf_at(unsigned long addr, struct xm_leaf *l)
{
	unsigned int level;
	pte_t *pte = lookup_address(addr, &level);

	memset(l, 0, sizeof(*l));
	if (!pte || level < PG_LEVEL_4K || level > PG_LEVEL_1G)
		return false;
	/* For a large leaf lookup_address() returns the pmd/pud as a pte. */
	l->level = level;
	l->start = addr & page_level_mask(level);
	l->size = page_level_size(level);
	l->present = pte_present(*pte);
	l->write = pte_write(*pte);
	l->exec = pte_exec(*pte);
	return true;
}

/* Present, read-only and executable: what execmem's memory must be. */
static inline bool xm_leaf_rox(const struct xm_leaf *l)
{
	return l->present && !l->write && l->exec;
}

#endif /* _EXECMEM_LEAF_H */
