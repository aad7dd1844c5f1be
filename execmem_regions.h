/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Regions: N x 2 MiB of the module area mapped read-only and executable
 * (execmem_huge.c), and what the page tables say about an address.  This
 * layer knows nothing of allocations, owners or the pool.
 */
#ifndef _EXECMEM_REGIONS_H
#define _EXECMEM_REGIONS_H

#include <linux/types.h>

struct xm_region_info {
	unsigned long base;
	size_t size;
	int node;		/* where its pages are */
	bool fallback;		/* mapped by 4 KiB pages, not only PMD leaves */
};

/* Map @size bytes (a multiple of 2 MiB) ROX, int3-filled; 0 or -errno. */
int xm_region_map(struct xm_region_info *ri, size_t size, int node,
		  bool allow_huge);
/* Make the range RW+NX again as a whole and vfree() it. */
void xm_region_unmap(unsigned long base, size_t size);

/* Hosted areas: @size bytes writable, every 2 MiB one PMD leaf; 0 or -ENOMEM. */
int xm_region_alloc_rw(struct xm_region_info *ri, size_t size, int node);
/* Hosted areas: give back one the kernel protected, as a whole. */
void xm_region_release_hosted(unsigned long base, size_t size);

int xm_mapping_level(unsigned long addr);	/* 4K=1, 2M=2, 1G=3, 0 none */
bool xm_mapping_rox(unsigned long addr);	/* read-only and executable */

#endif /* _EXECMEM_REGIONS_H */
