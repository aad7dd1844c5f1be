/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Read-only views of the allocator's state (execmem_alloc.c) for debugfs.
 * Each call takes the allocator's lock itself and, under it, calls @fn once
 * an item with a copy of what may be shown.  @fn runs with that lock held:
 * it may format (seq_printf()) but must not call into the allocator.
 */
#ifndef _EXECMEM_VIEWS_H
#define _EXECMEM_VIEWS_H

#include <linux/types.h>
#include <execmem.h>
#include "execmem_pool.h"

/* The counters as execmem_get_stats(), and the largest free extent. */
void xm_view_stats(struct execmem_stats *st, unsigned long *largest_free);

struct xm_region_view {
	unsigned long base;
	size_t size;
	int node;			/* the node it serves */
	bool fallback;			/* mapped by 4 KiB pages */
	unsigned long nr_allocs;	/* live allocations in it */
	size_t free_bytes;
	size_t largest_free;		/* the largest free extent */
	unsigned long hist[XP_HIST_BUCKETS];	/* free extents by size */
};

typedef void (*xm_view_region_fn)(void *arg, const struct xm_region_view *v);
void xm_view_regions(xm_view_region_fn fn, void *arg);

struct xm_record_view {
	unsigned long start;
	size_t size;			/* as requested */
	enum execmem_type type;
	const char *owner;		/* the owner module's name */
	const char *name;		/* execmem_set_name(), or NULL */
};

/* Live allocations in address order (those being freed included). */
typedef void (*xm_view_record_fn)(void *arg, const struct xm_record_view *v);
void xm_view_records(xm_view_record_fn fn, void *arg);

struct xm_owner_view {
	const char *name;		/* the module's */
	unsigned long count, bytes;	/* its allocations, their requested bytes */
};

/* The modules that allocated and are not going away. */
typedef void (*xm_view_owner_fn)(void *arg, const struct xm_owner_view *v);
void xm_view_owners(xm_view_owner_fn fn, void *arg);

#endif /* _EXECMEM_VIEWS_H */
