/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocator's state (execmem_alloc.c), and what its read-only views
 * (execmem_debugfs.c) may look at under xm.lock.
 */
#ifndef _EXECMEM_INTERNAL_H
#define _EXECMEM_INTERNAL_H

#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/atomic.h>
#include <linux/module.h>
#include "execmem_pool.h"
#include <execmem.h>

struct xm_owner {
	struct list_head node;
	const struct module *mod;	/* THIS_MODULE of the client */
	char name[MODULE_NAME_LEN];
	/*
	 * Once its module is going away the record is off xm.owners (a module
	 * loaded at the same address gets a record of its own) and lives until
	 * the last of its allocations is unaccounted: the reaped ones, and any
	 * whose execmem_free() was still in progress.
	 */
	unsigned long orphans;
};

struct xm_record {
	struct rb_node node;		/* in xm.allocs, by start (see xm_newest) */
	unsigned long start;
	struct xp_region *region;	/* the pool's region holding it */
	size_t size;			/* as requested */
	size_t rsize;			/* 64-byte rounded, as accounted by the pool */
	enum execmem_type type;
	struct xm_owner *owner;
	const char *name;		/* execmem_set_name(), or NULL */
	atomic_t writers;		/* execmem_write()s in progress, + XM_FREEING */
	size_t written_lo, written_hi;	/* offsets ever written: [lo, hi) */
	bool dying;			/* execmem_free() in progress */
	bool hosted;			/* served to the kernel (execmem_host.c) */
	bool orphan;			/* its owner went away: drop it with the last */
	struct xm_record *reap_next;	/* module-unload reaping list */
};

/*
 * Added to xm_record.writers by a free that has to wait for writers: the
 * last one sees the count drop to it and wakes the free.  A write that ends
 * with no free waiting wakes nobody (no wait-queue hash, no lock).
 */
#define XM_FREEING	BIT(30)

struct xm_state {
	struct mutex lock;		/* pool, allocs, owners, counters */
	struct mutex grow_lock;		/* one region creation at a time */
	struct xp_pool pool;
	/*
	 * Live allocations by start address, all but the newest one (see
	 * xm_record_first()).  An rbtree through the records
	 * themselves: inserting and erasing allocates and frees nothing (an
	 * xarray indexed by module-area addresses needed ~10 levels, i.e.
	 * node allocations on insert and call_rcu()s on erase).
	 */
	struct rb_root allocs;
	struct list_head owners;
	struct execmem_stats st;	/* counters; region/byte totals derived */
	atomic_long_t shrink_wanted;	/* empty regions the shrinker asked back */
	struct work_struct shrink_work;	/* gives them back */
	unsigned long l2_base, l3_base;	/* direct-map split counters at load */
};

extern struct xm_state xm;

extern bool xm_force_fallback;	/* parameter force_fallback (testing) */

/*
 * Memory hosted for the kernel (execmem_host.c): owned by execmem itself,
 * never freeable nor writable through the client API.  xm_alloc_hosted()
 * serves like execmem_alloc_for(); xm_free_foreign() frees only what it
 * served, refilling all of it with int3 (the kernel writes such memory with
 * text_poke, not through execmem_write()).
 */
void *xm_alloc_hosted(enum execmem_type type, size_t size, size_t align);
void xm_free_foreign(void *ptr);
/*
 * A hosted area outside the pool (a BPF pack) of @size bytes: counted with
 * the pool's regions against max_bytes.  xm_host_charge() is false (and
 * counted in limit_failures) when it does not fit.
 */
bool xm_host_charge(size_t size);
void xm_host_uncharge(size_t size);

/* Under xm.lock: the counters, with the derived region and byte totals. */
void xm_get_stats_locked(struct execmem_stats *st);
/* Under xm.lock: the live allocation starting at @addr, or NULL. */
struct xm_record *xm_lookup_live(unsigned long addr);
void xm_owner_usage(const struct xm_owner *o, unsigned long *count,
		    unsigned long *bytes);

/* ---- execmem_debugfs.c ---------------------------------------------------- */

/* Under xm.lock: live allocations in address order (dying ones included). */
struct xm_record *xm_record_first(void);

static inline struct xm_record *xm_record_next(struct xm_record *a)
{
	return rb_entry_safe(rb_next(&a->node), struct xm_record, node);
}

extern const struct file_operations xm_census_fops;	/* execmem_census.c */

int xm_debugfs_init(void);
void xm_debugfs_exit(void);

#endif /* _EXECMEM_INTERNAL_H */
