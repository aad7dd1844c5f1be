/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference model of an xp_pool: a sorted array of live allocations and a
 * sorted array of regions.  Every operation is done on the real pool and
 * predicted from the model (same documented policy: best-fit region by
 * largest free extent, non-fallback first, best-fit extent inside it).
 */
#ifndef REF_H
#define REF_H

#include <stddef.h>
#include "../../execmem_pool.h"

#define REF_MAX_REGIONS 256

struct ref_alloc {
	unsigned long addr;
	size_t size;
};

struct ref_region {
	struct xp_region *r;
	unsigned long base;
	size_t size;
	int node;
	unsigned int flags;
};

struct ref {
	struct xp_pool pool;
	struct ref_region reg[REF_MAX_REGIONS];
	int nreg;
	struct ref_alloc *a;
	size_t na, cap;
	unsigned long errors;
	int verbose;
};

int ref_init(struct ref *m, unsigned long arena_base, size_t arena_size);
void ref_fini(struct ref *m);
/* Each returns 0 when the pool behaved as the model predicts. */
int ref_alloc(struct ref *m, size_t size, size_t align, int node, unsigned long *addrp);
int ref_free(struct ref *m, unsigned long addr);
int ref_find(struct ref *m, unsigned long addr);
int ref_add_region(struct ref *m, unsigned long base, size_t size, int node, unsigned int flags);
int ref_remove_region(struct ref *m, int idx);	/* idx into m->reg */
int ref_verify(struct ref *m, int full);
int ref_region_empty(const struct ref *m, int idx);

#endif
