/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-independent sub-allocator for execmem regions.
 *
 * This file and execmem_pool.c build both in the kernel (as part of
 * execmem.ko) and in userspace (unit tests, fuzz target, workload replay in
 * tests/pool/).  They know nothing about page tables, text_poke or locking:
 * the caller serialises every call on one pool with its own lock.
 *
 * Address space model: a pool covers an "arena" [arena_base, arena_base +
 * arena_size) (the kernel's module area).  Regions are 2 MiB aligned and a
 * multiple of 2 MiB long; they are carved into 64-byte granules.  Each region
 * has two bitmaps: "used" (granule allocated) and "start" (granule is the
 * first of an allocation), which lets allocations be freed by pointer alone
 * and detects double, interior and foreign frees.  A second level over used
 * (which of its words have a bit set, which have all bits set) bounds every
 * scan by the number of free extents, not by the region's size.
 */
#ifndef _EXECMEM_POOL_H
#define _EXECMEM_POOL_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#endif

#define XP_GRANULE_SHIFT	6
#define XP_GRANULE		64UL	/* 1 << XP_GRANULE_SHIFT */
#define XP_REGION_SHIFT		21
#define XP_REGION_SIZE		0x200000UL	/* 2 MiB, 1 << XP_REGION_SHIFT */
#define XP_MAX_ALIGN		XP_REGION_SIZE

#define XP_NO_NODE		(-1)

/* Region flags (opaque to the pool except where noted). */
#define XP_REGION_FALLBACK	0x1	/* 4K-mapped: used only when no huge region fits */

/*
 * Free-extent histogram buckets: [64B,128B), [128B,256B), ...; the last one
 * is open-ended (>= 2^(6 + XP_HIST_BUCKETS - 1) bytes).
 */
#define XP_HIST_BUCKETS		16

struct xp_region {
	unsigned long base;		/* 2 MiB aligned */
	size_t size;			/* multiple of 2 MiB */
	size_t nbits;			/* size >> XP_GRANULE_SHIFT */
	unsigned long *used;		/* bit set: granule allocated */
	unsigned long *start;		/* bit set: granule begins an allocation */
	/*
	 * A summary of used, one bit per word of it: any (the word has a bit
	 * set) and full (all its bits are set); they point to the word a scan
	 * of used wants, so that no scan walks the words between extents.
	 */
	unsigned long *any, *full;
	size_t free_bytes;
	size_t largest_free;		/* bytes in the largest free extent */
	unsigned long nr_allocs;	/* live allocations in this region */
	int node;			/* the node it serves (its key), or XP_NO_NODE */
	int page_node;			/* where its pages are (the caller's; informational) */
	unsigned int flags;		/* XP_REGION_* */
	struct xp_region *next, *prev;	/* pool's list, ordered by base */
};

struct xp_pool {
	unsigned long arena_base;
	size_t arena_size;
	struct xp_region **slots;	/* one per 2 MiB of arena: O(1) lookup */
	struct xp_region *head;		/* regions, ordered by base */
	size_t nr_regions;
	size_t nr_empty;		/* regions without allocations */
	size_t nr_fallback;		/* regions with XP_REGION_FALLBACK */
	size_t bytes_mapped;		/* sum of region sizes */
	size_t bytes_used;		/* sum of granule-rounded live allocations */
	unsigned long nr_allocs;	/* live allocations */
};

/*
 * True iff [addr, addr + len) lies inside [base, base + size).  Written so
 * that no sum can wrap: the module area ends 16 MiB below 2^64, so a length
 * close to 2^64 makes addr + len small again.
 */
static inline bool xp_range_within(unsigned long base, size_t size,
				   unsigned long addr, size_t len)
{
	return addr >= base && addr - base <= size && len <= size - (addr - base);
}

/* Pool set-up.  arena_base must be 2 MiB aligned (rounded up if not). */
int xp_pool_init(struct xp_pool *p, unsigned long arena_base, size_t arena_size);
void xp_pool_destroy(struct xp_pool *p);	/* regions must have been removed */

/*
 * Region metadata: create allocates the bitmaps only (may sleep in the
 * kernel: call it without the pool lock).  base: 2 MiB aligned; size: a
 * non-zero multiple of 2 MiB.  Returns NULL on bad arguments or no memory.
 */
struct xp_region *xp_region_create(unsigned long base, size_t size, int node,
				   unsigned int flags);
void xp_region_destroy(struct xp_region *r);

/* 0, or -EINVAL when r lies outside the arena or overlaps a region. */
int xp_pool_add(struct xp_pool *p, struct xp_region *r);
/*
 * r must be empty (nr_allocs == 0) and in the pool; otherwise nothing
 * happens (WARN_ON_ONCE in the kernel).  After this the caller owns r again.
 */
void xp_pool_remove(struct xp_pool *p, struct xp_region *r);

/*
 * Allocate size bytes (rounded up to 64) aligned to align (a power of two,
 * 64 <= align <= 2 MiB; smaller values mean 64).  Only regions whose node is
 * @node are used, unless @node is XP_NO_NODE.  Regions without
 * XP_REGION_FALLBACK are preferred.  Returns the address, or 0 when no region
 * has room (the caller then adds a region and retries); *rp (if non-NULL)
 * gets the region used.
 */
unsigned long xp_alloc(struct xp_pool *p, size_t size, size_t align, int node,
		       struct xp_region **rp);

/*
 * The same, inside region @r only (which must be in @p), whatever its node
 * and flags: for a caller that has just added @r for this very request.
 */
unsigned long xp_alloc_in(struct xp_pool *p, struct xp_region *r, size_t size,
			  size_t align);

/* Regions in address order: for (r = xp_first(p); r; r = xp_next(r)). */
static inline struct xp_region *xp_first(const struct xp_pool *p)
{
	return p->head;
}

static inline struct xp_region *xp_next(const struct xp_region *r)
{
	return r->next;
}

/*
 * Take the lowest empty region out of the pool (as xp_pool_remove()) and
 * return it, or NULL when no region is empty.
 */
struct xp_region *xp_take_empty(struct xp_pool *p);

/*
 * Free the allocation that starts at addr.  Returns its granule-rounded size,
 * or -EINVAL when addr is not the start of a live allocation (foreign,
 * interior, already freed); nothing changes then.  *rp gets the region.
 */
long xp_free(struct xp_pool *p, unsigned long addr, struct xp_region **rp);

/*
 * The same, for a caller that kept the region xp_alloc() gave: no lookup
 * (-EINVAL also when addr is not inside @r).
 */
long xp_free_in(struct xp_pool *p, struct xp_region *r, unsigned long addr);

/* The region containing addr, or NULL. */
struct xp_region *xp_lookup(const struct xp_pool *p, unsigned long addr);

/*
 * Find the live allocation containing addr: true and *startp / *sizep
 * (granule-rounded) set, or false.
 */
bool xp_find(const struct xp_pool *p, unsigned long addr,
	     unsigned long *startp, size_t *sizep);

/* The largest free extent over all regions, in bytes. */
size_t xp_pool_largest_free(const struct xp_pool *p);

/* Histogram of free extents of one region, by power-of-two size class. */
void xp_region_hist(const struct xp_region *r, unsigned long hist[XP_HIST_BUCKETS]);

/*
 * Full consistency check (recomputes every counter from the bitmaps, checks
 * the slot table and list).  0 or -EUCLEAN.  For tests and fuzzing.
 */
int xp_pool_check(const struct xp_pool *p);

#endif /* _EXECMEM_POOL_H */
