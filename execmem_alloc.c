// SPDX-License-Identifier: GPL-2.0
/*
 * Executable memory for modules from 2 MiB ROX regions.
 *
 * Allocations are carved by the sub-allocator (execmem_pool.c) out of
 * regions mapped by execmem_huge.c.  This file owns the policy: locking,
 * region growth and release, per-owner accounting and the exported API.
 *
 * Locking: xm.lock (a mutex) protects the pool, the allocation records, the
 * owners and the counters.  It is never held across text_poke (which takes
 * text_mutex itself) nor across mapping or unmapping a region.
 * xm.grow_lock serialises region creation so that concurrent allocators
 * that all miss create one region, not one each; order: grow_lock, lock.
 * The shrinker takes no lock (allocations under xm.lock may enter
 * reclaim): it asks a work item, which takes xm.lock, to release regions.
 * Reaping at owner unload waits for an RCU grace period, with no lock held.
 *
 * The state below is private to this file.  The rest of the module reaches
 * it through named calls: execmem_alloc.h (load and unload),
 * execmem_alloc_host.h (hosting) and execmem_views.h (debugfs: each view
 * takes xm.lock itself).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/delay.h>
#include <linux/topology.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/log2.h>
#include <linux/kallsyms.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/atomic.h>
#include <linux/vmalloc.h>
#include <execmem.h>
#include "execmem_pool.h"
#include "execmem_regions.h"
#include "execmem_syms.h"
#include "execmem_timing.h"
#include "execmem_alloc.h"
#include "execmem_alloc_host.h"
#include "execmem_views.h"
#include "execmem_trace.h"

/* The tunables: module parameters (execmem_main.c). */
unsigned int xm_spare_regions = 1;
bool xm_force_fallback;
unsigned long xm_max_bytes;
unsigned int xm_test_free_delay_ms;

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
};

static struct xm_state xm;

static struct xm_record *xm_record_first(void);

/* Under xm.lock: the next live allocation in address order, or NULL. */
static inline struct xm_record *xm_record_next(struct xm_record *a)
{
	return rb_entry_safe(rb_next(&a->node), struct xm_record, node);
}

/*
 * The hot section: the allocation, write and free paths (XM_HOT here,
 * XP_HOT in execmem_pool.c) are kept together in .text.hot: under TCG every
 * code page they run in costs a software-TLB walk after each text_poke,
 * and spread over the module's text they ran in three.  execmem_hot.lds
 * (Kbuild) makes that section start on a page, whatever the link order, so
 * that its ~7 KiB span two pages.
 */
#define XM_HOT	__section(".text.hot")

/* Chunk of a text_poke write: text_mutex is dropped between chunks. */
#define XM_POKE_CHUNK	(64 * 1024)

static __always_inline void xm_lock(void)
{
	xm_ph_mutex_lock(&xm.lock);
}

static __always_inline void xm_unlock(void)
{
	xm_ph_mutex_unlock(&xm.lock);
}

/* What one execmem_alloc*() call asks for. */
struct xm_request {
	enum execmem_type type;
	size_t size;
	size_t align;
	int nid;		/* the node whose regions serve it */
	struct module *owner;	/* THIS_MODULE of the client */
	unsigned long caller;	/* for messages */
	bool hosted;		/* for the kernel: owner is execmem itself */
};

/*
 * The trace call sites of the allocation, write and free paths: only the
 * event's static branch stays in the hot function, a NOP while the event
 * is off; its arguments are gathered out of line.  With the whole event
 * inline, a bare alloc + free was 8 % slower with every event off
 * (bench/ab/ab.sh, 6.12: docs/benchmark.md).
 */
static noinline __cold void xm_trace_alloc_cold(const struct xm_request *req,
						unsigned long addr, int ret)
{
	trace_execmem_alloc(req, addr, ret);
}

static noinline __cold void xm_trace_free_cold(const struct module *mod,
					       void *ptr,
					       const struct xm_record *a,
					       int ret)
{
	trace_execmem_free(mod, ptr, a, ret);
}

static noinline __cold void xm_trace_write_cold(const struct module *owner,
						void *dst, size_t len,
						const char *why, int ret)
{
	trace_execmem_write(owner, dst, len, why, ret);
}

#define xm_trace_alloc(req, addr, ret)					\
	do {								\
		if (trace_alloc_enabled())				\
			xm_trace_alloc_cold(req, addr, ret);		\
	} while (0)
#define xm_trace_free(mod, ptr, a, ret)					\
	do {								\
		if (trace_free_enabled())				\
			xm_trace_free_cold(mod, ptr, a, ret);		\
	} while (0)
#define xm_trace_write(owner, dst, len, why, ret)			\
	do {								\
		if (trace_write_enabled())				\
			xm_trace_write_cold(owner, dst, len, why, ret);	\
	} while (0)

static bool XM_HOT xm_type_served(enum execmem_type type)
{
	switch (type) {
	case EXECMEM_DEFAULT:
	case EXECMEM_KPROBES:
	case EXECMEM_FTRACE:
	case EXECMEM_BPF:
		return true;
	default:
		return false;
	}
}

/*
 * The node with memory nearest to @nid (itself when it has memory): a CPU
 * on a memoryless node is served by the regions of that node, as the page
 * allocator would serve it.
 */
static noinline int xm_nearest_memory_node(int nid)
{
	int n, best = NUMA_NO_NODE;

	for_each_node_state(n, N_MEMORY)
		if (best == NUMA_NO_NODE ||
		    node_distance(nid, n) < node_distance(nid, best))
			best = n;
	return best == NUMA_NO_NODE ? nid : best;
}

static int XM_HOT xm_memory_node(int nid)
{
	return node_state(nid, N_MEMORY) ? nid : xm_nearest_memory_node(nid);
}

/* A request execmem cannot serve whatever its memory: false. */
static bool XM_HOT xm_request_valid(const struct xm_request *req)
{
	if (!xm_type_served(req->type) || !req->size ||
	    req->size > xm.pool.arena_size || req->align > EXECMEM_MAX_ALIGN ||
	    (req->align > XP_GRANULE && !is_power_of_2(req->align)))
		return false;
	/* built-in code cannot link to us: a client bug */
	if (!req->owner)
		return false;
	/* execmem owns what it hosts for the kernel, and nothing else */
	if (req->hosted ? req->owner != THIS_MODULE : req->owner == THIS_MODULE)
		return false;
	return req->nid == NUMA_NO_NODE ||
	       (req->nid >= 0 && req->nid < MAX_NUMNODES && node_online(req->nid));
}

/* Under xm.lock: the record of @mod, or NULL. */
static struct xm_owner *XM_HOT xm_owner_find(const struct module *mod)
{
	struct xm_owner *o;

	list_for_each_entry(o, &xm.owners, node)
		if (o->mod == mod)
			return o;
	return NULL;
}

/*
 * Under xm.lock: the owner record of @mod, created on its first allocation
 * (sleeping allocation under the mutex is fine: the shrinker takes no lock).
 * The record stays until the module's GOING notifier, so that a client
 * that allocates and frees one block at a time does not make and free it
 * (and look the module up) on every call.  A module already going away
 * gets none: a record made now would outlive it, keyed by a pointer the
 * next module may reuse.  Only a pointer that is THIS_MODULE of a live
 * module gets a record: both are checked when the record is made, so later
 * calls only look at the record (the notifier takes it off the list under
 * xm.lock; calls between the state change and the notifier are served,
 * then reaped with the rest).
 */
static noinline struct xm_owner *xm_owner_new(struct module *mod)
{
	struct xm_owner *o;

	/* A pointer seen for the first time is dereferenced only once valid. */
	if (xm_module_of((unsigned long)mod) != mod ||
	    mod->state == MODULE_STATE_GOING)
		return NULL;
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return NULL;
	o->mod = mod;
	strscpy(o->name, mod->name, sizeof(o->name));
	list_add_tail(&o->node, &xm.owners);
	return o;
}

/*
 * Under xm.lock: the owner found last and its module, never one going away
 * (xm_reap_list() forgets it).  A client allocating again is served
 * without reading its owner record: no owner field is written on the
 * allocation and free paths either (the counts are derived from the
 * records), so those paths do not touch the owner record's page at all.
 */
static const struct module *xm_hint_mod;
static struct xm_owner *xm_hint;

static struct xm_owner *XM_HOT xm_owner_get(struct module *mod)
{
	struct xm_owner *o;

	if (mod == xm_hint_mod)
		return xm_hint;
	o = xm_owner_find(mod);
	if (!o)
		o = xm_owner_new(mod);
	if (o) {
		xm_hint_mod = mod;
		xm_hint = o;
	}
	return o;
}

/*
 * Under xm.lock: why a call made for @mod (@hosted: by execmem_host.c, for
 * the kernel) may not free or write @a, or NULL when it may.  The owner
 * found last is compared without reading its record.
 */
static const char *XM_HOT xm_refusal(const struct xm_record *a,
				     const struct module *mod, bool hosted)
{
	if (unlikely(a->hosted != hosted))
		return a->hosted ? "memory hosted for the kernel" : "not hosted memory";
	if (likely(a->owner == xm_hint ? xm_hint_mod == mod : a->owner->mod == mod))
		return NULL;
	return "another module's allocation";
}

/* Under xm.lock: @o's records (dying ones too, until they are unaccounted). */
static void xm_owner_usage(const struct xm_owner *o, unsigned long *count,
			   unsigned long *bytes)
{
	struct xm_record *a;

	*count = 0;
	*bytes = 0;
	for (a = xm_record_first(); a; a = xm_record_next(a)) {
		if (a->owner != o)
			continue;
		(*count)++;
		*bytes += a->size;
	}
}

static unsigned long xm_owner_live(const struct xm_owner *o)
{
	unsigned long count, bytes;

	xm_owner_usage(o, &count, &bytes);
	return count;
}

static int xm_record_cmp(const void *key, const struct rb_node *n)
{
	unsigned long addr = *(const unsigned long *)key;
	unsigned long start = rb_entry(n, struct xm_record, node)->start;

	return addr < start ? -1 : addr > start;
}

static bool xm_record_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct xm_record, node)->start <
	       rb_entry(b, struct xm_record, node)->start;
}

/*
 * Under xm.lock: the allocation made or written last, while it is live.  A
 * client writes what it just allocated, and frees what it just wrote: those
 * calls find it without the pool's slot table, bitmaps or the tree (memory
 * that a text_poke's TLB flush made cold).
 */
static struct xm_record *xm_last;

/*
 * Under xm.lock: the allocation made last, which is not in the tree (every
 * other live record is).  It goes in when the next one is made or someone
 * walks the tree (xm_record_first()): a client that allocates, writes and
 * frees one block at a time never inserts into the tree nor erases from it.
 */
static struct xm_record *xm_newest;

/* Under xm.lock: the live allocation starting at @addr, or NULL. */
static struct xm_record *XM_HOT xm_lookup_live(unsigned long addr)
{
	struct rb_node *n;
	struct xm_record *a = xm_last;

	lockdep_assert_held(&xm.lock);
	if (!a || a->start != addr)
		a = xm_newest;
	if (!a || a->start != addr) {
		n = rb_find(&addr, &xm.allocs, xm_record_cmp);
		a = rb_entry_safe(n, struct xm_record, node);
	}
	return a && !a->dying ? a : NULL;
}

/* Under xm.lock: every live record in the tree, in address order. */
static struct xm_record *xm_record_first(void)
{
	lockdep_assert_held(&xm.lock);
	if (xm_newest) {
		rb_add(&xm_newest->node, &xm.allocs, xm_record_less);
		xm_newest = NULL;
	}
	return rb_entry_safe(rb_first(&xm.allocs), struct xm_record, node);
}

/*
 * Map a region of @size bytes (a multiple of 2 MiB) for node @nid and give
 * the pool its metadata.  Called with grow_lock held and xm.lock not held:
 * it sleeps.  The region serves @nid whatever node vmalloc found its pages
 * on (recorded in page_node): keyed by the page node, a node without a free
 * 2 MiB page would miss its own region on every request and grow another.
 */
static struct xp_region *xm_grow_region(size_t size, int nid)
{
	struct xm_region_info ri;
	struct xp_region *r;

	if (xm_region_map(&ri, size, nid, !READ_ONCE(xm_force_fallback)))
		return NULL;
	r = xp_region_create(ri.base, ri.size, nid,
			     ri.fallback ? XP_REGION_FALLBACK : 0);
	if (!r) {
		xm_region_unmap(ri.base, ri.size);
		return NULL;
	}
	r->page_node = ri.node;
	return r;
}

static void xm_put_region(struct xp_region *r)
{
	xm_region_unmap(r->base, r->size);
	xp_region_destroy(r);
}

/*
 * Tell perf about a named allocation (PERF_RECORD_KSYMBOL, as BPF programs
 * and trampolines do), so that `perf record` running at the time resolves
 * samples in it; debugfs "symbols" serves tools that read kallsyms instead.
 */
static void xm_ksymbol(const struct xm_record *a, bool unregister)
{
	if (a->name)
		xm_call(perf_event_ksymbol)(PERF_RECORD_KSYMBOL_TYPE_OOL, a->start,
					    a->size, unregister, a->name);
}

/*
 * Under xm.lock, for a region that is empty: take it out of the pool when
 * it is surplus (large and fallback regions are never kept; 2 MiB ones
 * beyond spare_regions are not) and return it for xm_put_region()
 * after the lock is dropped; else NULL.
 */
static struct xp_region *XM_HOT xm_take_surplus(struct xp_region *r)
{
	lockdep_assert_held(&xm.lock);
	if (r->nr_allocs)
		return NULL;
	if (r->size == XP_REGION_SIZE && !(r->flags & XP_REGION_FALLBACK) &&
	    xm.pool.nr_empty <= READ_ONCE(xm_spare_regions))
		return NULL;
	xp_pool_remove(&xm.pool, r);
	xm.st.regions_released++;
	return r;
}

/* Under xm.lock: may the pool map @size more bytes? */
static bool xm_within_limit(size_t size)
{
	unsigned long limit = READ_ONCE(xm_max_bytes);
	unsigned long used = xm.pool.bytes_mapped + xm.st.bytes_hosted;

	if (used <= limit && size <= limit - used)
		return true;
	xm.st.limit_failures++;
	return false;
}

/*
 * A hosted area outside the pool (a BPF pack) of @size bytes: counted with
 * the pool's regions against max_bytes.  False (and counted in
 * limit_failures) when it does not fit.
 */
static bool xm_host_charge(size_t size)
{
	bool ok;

	mutex_lock(&xm.lock);
	ok = xm_within_limit(size);
	if (ok)
		xm.st.bytes_hosted += size;
	mutex_unlock(&xm.lock);
	return ok;
}

static void xm_host_uncharge(size_t size)
{
	mutex_lock(&xm.lock);
	if (!WARN_ON_ONCE(size > xm.st.bytes_hosted))
		xm.st.bytes_hosted -= size;
	mutex_unlock(&xm.lock);
}

void *xm_host_area_alloc(size_t size)
{
	struct xm_region_info ri;

	/* force_fallback (testing): as if no 2 MiB page could be had. */
	if (!size || READ_ONCE(xm_force_fallback) || !xm_host_charge(size))
		return NULL;
	if (!xm_region_alloc_rw(&ri, size, numa_mem_id()))
		return (void *)ri.base;
	xm_host_uncharge(size);
	return NULL;
}

void xm_host_area_drop(void *base, size_t size)
{
	vfree(base);		/* never protected: no split */
	xm_host_uncharge(size);
}

void xm_host_area_free(void *base, size_t size)
{
	xm_region_release_hosted((unsigned long)base, size);
	xm_host_uncharge(size);
}

/*
 * Called with grow_lock and xm.lock held, returns with both held: map a new
 * region for @req and serve @req from it (not from whatever a concurrent
 * free made room in meanwhile: that would leave the new region empty).
 */
static noinline unsigned long xm_grow_and_alloc(const struct xm_request *req,
						struct xp_region **rp)
{
	size_t size = ALIGN(req->size, XP_REGION_SIZE);
	struct xp_region *r, *spare;
	unsigned long addr = 0;

	if (!xm_within_limit(size))
		return 0;
	xm_unlock();
	r = xm_grow_region(size, req->nid);
	xm_lock();
	if (!r)
		return 0;
	if (WARN_ON_ONCE(xp_pool_add(&xm.pool, r))) {	/* overlapping vmalloc? */
		spare = r;
	} else {
		xm.st.regions_created++;
		addr = xp_alloc_in(&xm.pool, r, req->size, req->align);
		spare = xm_take_surplus(r);	/* only if that failed */
	}
	if (spare) {
		xm_unlock();
		xm_put_region(spare);
		xm_lock();
	}
	if (addr)
		*rp = r;
	return addr;
}

/* Pool or grow: returns with xm.lock held, and the address or 0. */
static unsigned long XM_HOT xm_pool_alloc(const struct xm_request *req,
					  struct xp_region **rp)
{
	unsigned long addr;

	xm_lock();
	addr = xp_alloc(&xm.pool, req->size, req->align, req->nid, rp);
	if (addr)
		return addr;
	xm_unlock();

	mutex_lock(&xm.grow_lock);
	xm_lock();
	/* Another allocator may have grown the pool meanwhile. */
	addr = xp_alloc(&xm.pool, req->size, req->align, req->nid, rp);
	if (!addr)
		addr = xm_grow_and_alloc(req, rp);
	mutex_unlock(&xm.grow_lock);
	return addr;
}

/*
 * Records of freed allocations kept for the next ones (under xm.lock,
 * linked through reap_next): a client that allocates and frees in turn
 * costs no kzalloc() and kfree() per call.
 */
#define XM_RECORD_CACHE	64
static struct xm_record *xm_rec_cache;
static unsigned int xm_rec_cached;

/* Under xm.lock: a zeroed record, from the cache or else the slab; or NULL. */
static struct xm_record *XM_HOT xm_record_new(void)
{
	struct xm_record *a = xm_rec_cache;

	lockdep_assert_held(&xm.lock);
	if (!a)	/* may sleep: fine under the mutex, the shrinker takes none */
		return kzalloc(sizeof(*a), GFP_KERNEL);
	xm_rec_cache = a->reap_next;
	xm_rec_cached--;
	memset(a, 0, sizeof(*a));
	return a;
}

/* Under xm.lock: keep @a (out of every list) for reuse, or kfree() it. */
static void XM_HOT xm_record_put(struct xm_record *a)
{
	lockdep_assert_held(&xm.lock);
	if (xm_rec_cached >= XM_RECORD_CACHE) {
		kfree(a);
		return;
	}
	a->reap_next = xm_rec_cache;
	xm_rec_cache = a;
	xm_rec_cached++;
}

/* Under xm.lock: record @a, carved at @addr in @r for @req, against @owner. */
static void XM_HOT xm_account(struct xm_record *a, unsigned long addr,
			      struct xp_region *r, const struct xm_request *req,
			      struct xm_owner *owner)
{
	lockdep_assert_held(&xm.lock);
	a->start = addr;
	a->region = r;
	a->size = req->size;
	a->rsize = ALIGN(req->size, XP_GRANULE);
	a->type = req->type;
	a->owner = owner;
	a->hosted = req->hosted;
	a->written_lo = a->size;	/* nothing written: an empty range */
	if (xm_newest)
		rb_add(&xm_newest->node, &xm.allocs, xm_record_less);
	xm_newest = a;
	xm_last = a;
	if (!xm.st.live_allocs++)
		__module_get(THIS_MODULE);	/* no unload while memory is live */
	xm.st.bytes_requested += req->size;
	xm.st.allocs++;
}

static void xm_count_failure(void)
{
	xm_lock();
	xm.st.failed_allocs++;
	xm_unlock();
}

static void *XM_HOT xm_alloc(struct xm_request *req)
{
	struct xp_region *r = NULL, *spare = NULL;
	struct xm_owner *owner = NULL;
	struct xm_record *a = NULL;
	unsigned long addr = 0;
	u64 t = xm_ph_now();

	if (!xm_request_valid(req)) {
		pr_warn_ratelimited("%ps: bad request: type %d size %zu align %zu node %d owner %p\n",
				    (void *)req->caller, req->type, req->size,
				    req->align, req->nid, req->owner);
		xm_trace_alloc(req, 0, -EINVAL);
		goto fail;
	}
	req->nid = xm_memory_node(req->nid == NUMA_NO_NODE ? numa_node_id() :
				  req->nid);
	xm_ph_end(XM_PH_CHECK, &t);
	addr = xm_pool_alloc(req, &r);		/* xm.lock held from here */
	xm_ph_end(XM_PH_POOL, &t);
	if (addr)
		owner = xm_owner_get(req->owner);
	if (owner)
		a = xm_record_new();
	xm_ph_end(XM_PH_RECORD, &t);
	if (a) {
		xm_account(a, addr, r, req, owner);
		xm_unlock();
		xm_ph_end(XM_PH_OWNER, &t);
		xm_trace_alloc(req, addr, 0);
		return (void *)addr;
	}
	if (addr && xp_free(&xm.pool, addr, &r) > 0)
		spare = xm_take_surplus(r);
	xm_unlock();
	if (spare)
		xm_put_region(spare);
	xm_trace_alloc(req, 0, addr && !owner ? -ENOENT : -ENOMEM);
	pr_warn_ratelimited("%ps: cannot allocate %zu bytes (no memory, max_bytes reached, or no such owner, or it is going away)\n",
			    (void *)req->caller, req->size);
fail:
	xm_count_failure();
	return NULL;
}

void *XM_HOT execmem_alloc_for(struct module *owner, enum execmem_type type,
			size_t size, size_t align, int nid)
{
	struct xm_request req = {
		.type = type, .size = size, .align = align ? align : XP_GRANULE,
		.nid = nid, .owner = owner, .caller = _RET_IP_,
	};

	return xm_alloc(&req);
}
EXPORT_SYMBOL_GPL(execmem_alloc_for);

void *xm_alloc_hosted(enum execmem_type type, size_t size, size_t align)
{
	struct xm_request req = {
		.type = type, .size = size, .align = align ? align : XP_GRANULE,
		.nid = NUMA_NO_NODE, .owner = THIS_MODULE, .caller = _RET_IP_,
		.hosted = true,
	};

	return xm_alloc(&req);
}

/* Poke in chunks so that text_mutex is not held for a whole large write. */
static void XM_HOT xm_poke(void *dst, const void *src, int c, size_t len)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		if (off)	/* between chunks, not after the last one */
			cond_resched();
		n = min_t(size_t, len - off, XM_POKE_CHUNK);
		if (src)
			xm_call(text_poke_copy)(dst + off, src + off, n);
		else
			xm_call(text_poke_set)(dst + off, c, n);
	}
}

/*
 * Under xm.lock: the live allocation of @mod holding [@addr, @addr + @len),
 * with a writer counted and the range noted as written; or NULL, and in
 * *@why the reason when the allocation is not @mod's to write.
 */
static struct xm_record *XM_HOT xm_write_begin(const struct module *mod,
					       unsigned long addr, size_t len,
					       const char **why)
{
	unsigned long start;
	struct xm_record *a;
	size_t rsize, off;

	lockdep_assert_held(&xm.lock);
	a = xm_last;
	if (!a || a->dying || !xp_range_within(a->start, a->size, addr, len)) {
		if (!xp_find(&xm.pool, addr, &start, &rsize))
			return NULL;
		a = xm_lookup_live(start);
		if (!a || !xp_range_within(a->start, a->size, addr, len))
			return NULL;
	}
	*why = xm_refusal(a, mod, false);
	if (*why)
		return NULL;
	xm_last = a;
	off = addr - a->start;
	a->written_lo = min(a->written_lo, off);
	a->written_hi = max(a->written_hi, off + len);
	atomic_inc(&a->writers);
	xm.st.writes++;
	xm.st.bytes_written += len;
	return a;
}

/* A refused write: counted, and one message (ratelimited). */
static noinline int xm_write_refused(const char *why, void *dst, size_t len,
				     unsigned long caller)
{
	xm.st.failed_writes++;
	if (why)
		xm.st.owner_refusals++;
	xm_unlock();
	if (why)
		pr_warn_ratelimited("%ps: write of %zu bytes at %p refused: %s\n",
				    (void *)caller, len, dst, why);
	else
		pr_warn_ratelimited("%ps: write of %zu bytes at %p is outside any allocation\n",
				    (void *)caller, len, dst);
	return -EINVAL;
}

int XM_HOT execmem_write_for(struct module *owner, void *dst, const void *src,
			     size_t len)
{
	struct xm_record *a = NULL;
	const char *why = NULL;
	u64 t = xm_ph_now();

	xm_lock();
	if (dst && src)
		a = xm_write_begin(owner, (unsigned long)dst, len, &why);
	xm_trace_write(owner, dst, len, why, a ? 0 : -EINVAL);
	if (!a)
		return xm_write_refused(why, dst, len, _RET_IP_);
	xm_unlock();
	xm_ph_end(XM_PH_LOOKUP, &t);

	xm_poke(dst, src, 0, len);
	xm_ph_end(XM_PH_POKE, &t);
	/*
	 * No lock: a free that found writers adds XM_FREEING and waits until
	 * the count is down to it (wait_var_event); the writer whose decrement
	 * gets there wakes it.  The decrement and that addition are ordered
	 * with each other, so either the free sees no writer or the last
	 * writer sees the free.  @a is not touched after the decrement, which
	 * may let it be freed; wake_up_var() only hashes the address.  The
	 * decrement is fully ordered, as waking after changing the condition
	 * requires.
	 */
	if (atomic_dec_return(&a->writers) == XM_FREEING)
		wake_up_var(&a->writers);
	return 0;
}
EXPORT_SYMBOL_GPL(execmem_write_for);

/*
 * The wait_var_event() condition: evaluated with the task state already set
 * to sleep, so it must not block (no xm.lock).  No new writer starts once
 * dying is set: lookups skip dying records.
 */
static bool xm_no_writers(struct xm_record *a)
{
	return atomic_read(&a->writers) == XM_FREEING;
}

/*
 * Under xm.lock, for a dying record without writers whose memory is int3
 * again: out of the tree, the pool and the accounting.  Returns a region to
 * release (xm_put_region()) once the lock is dropped, or NULL.  The record
 * goes back to the cache.
 */
static struct xp_region *XM_HOT xm_unaccount(struct xm_record *a)
{
	struct xp_region *r = a->region, *spare = NULL;
	long freed;

	lockdep_assert_held(&xm.lock);
	if (xm_newest == a)
		xm_newest = NULL;
	else
		rb_erase(&a->node, &xm.allocs);
	if (xm_last == a)
		xm_last = NULL;
	if (a->name) {		/* no call into the slab for the unnamed */
		xm_ksymbol(a, true);
		kfree(a->name);
	}
	freed = xp_free_in(&xm.pool, r, a->start);
	/* Cannot fail: the record and the pool agree. */
	if (!WARN_ON_ONCE(freed != a->rsize))
		spare = xm_take_surplus(r);
	xm.st.bytes_requested -= a->size;
	xm.st.frees++;
	if (!--xm.st.live_allocs)
		module_put(THIS_MODULE);
	if (unlikely(a->orphan) && !--a->owner->orphans)
		kfree(a->owner);	/* its module is gone: the last record */
	xm_record_put(a);
	return spare;
}

/*
 * Free a record already marked dying (and so invisible to lookups).  Only
 * the bytes execmem_write() was given can differ from int3 (the pool hands
 * out int3 memory, and nothing else writes it): that range is refilled.
 */
static void XM_HOT xm_free_dying(struct xm_record *a)
{
	struct xp_region *spare;
	u64 t = xm_ph_now();

	if (atomic_add_return(XM_FREEING, &a->writers) != XM_FREEING)
		wait_var_event(&a->writers, xm_no_writers(a));
	if (a->written_lo < a->written_hi)
		xm_poke((void *)(a->start + a->written_lo), NULL, 0xcc,
			a->written_hi - a->written_lo);
	xm_ph_end(XM_PH_REFILL, &t);
	xm_lock();
	spare = xm_unaccount(a);
	xm_unlock();
	xm_ph_end(XM_PH_FREE, &t);
	if (spare)
		xm_put_region(spare);
}

/* A refused free: counted, and one message (ratelimited). */
static noinline void xm_free_refused(const char *why, void *ptr,
				     unsigned long caller)
{
	xm.st.bad_frees++;
	if (why)
		xm.st.owner_refusals++;
	xm_unlock();
	pr_warn_ratelimited("%ps: free of %p: %s\n", (void *)caller, ptr,
			    why ? why : "not a live allocation");
}

/*
 * Free @ptr for @mod.  @hosted: memory execmem hosts for the kernel (a
 * kprobe page), freed by execmem_host.c only; the kernel wrote it with
 * text_poke, not through execmem_write(): refill all of it.
 */
static void XM_HOT xm_free(const struct module *mod, void *ptr, bool hosted,
			   unsigned long caller)
{
	struct xp_region *spare;
	struct xm_record *a;
	const char *why;
	u64 t = xm_ph_now();

	if (!ptr)
		return;
	xm_lock();
	a = xm_lookup_live((unsigned long)ptr);
	why = a ? xm_refusal(a, mod, hosted) : NULL;
	if (!a || why) {
		xm_trace_free(mod, ptr, a, why ? -EPERM : -EINVAL);
		xm_free_refused(why, ptr, caller);
		return;
	}
	a->dying = true;
	xm_trace_free(mod, ptr, a, 0);
	if (hosted) {
		a->written_lo = 0;
		a->written_hi = a->size;
	}
	/*
	 * Never written, and no write under way (one starts only under
	 * xm.lock, on a record not dying): all int3 still, so back to the
	 * pool now, without a refill or taking the lock again.
	 */
	if (a->written_lo >= a->written_hi && !atomic_read(&a->writers)) {
		spare = xm_unaccount(a);
		xm_unlock();
		xm_ph_end(XM_PH_FREE, &t);
		if (spare)
			xm_put_region(spare);
		return;
	}
	xm_unlock();
	xm_ph_end(XM_PH_FREE, &t);
	if (unlikely(READ_ONCE(xm_test_free_delay_ms)))
		msleep(READ_ONCE(xm_test_free_delay_ms));
	xm_free_dying(a);
}

void xm_free_foreign(void *ptr)
{
	xm_free(THIS_MODULE, ptr, true, _RET_IP_);
}

void XM_HOT execmem_free_for(struct module *owner, void *ptr)
{
	xm_free(owner, ptr, false, _RET_IP_);
}
EXPORT_SYMBOL_GPL(execmem_free_for);

/* A refused name: counted when the caller is not the owner, one message. */
static noinline int xm_name_refused(const char *why, void *ptr, char *copy,
				    unsigned long caller)
{
	if (why)
		xm.st.owner_refusals++;
	mutex_unlock(&xm.lock);
	kfree(copy);
	if (why)
		pr_warn_ratelimited("%ps: name of %p refused: %s\n", (void *)caller,
				    ptr, why);
	return -EINVAL;
}

int execmem_set_name_for(struct module *owner, void *ptr, const char *name)
{
	const char *why = NULL;
	struct xm_record *a;
	char *copy, *old;

	if (!name || !*name)
		return -EINVAL;
	copy = kstrndup(name, KSYM_NAME_LEN - 1, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	mutex_lock(&xm.lock);
	a = xm_lookup_live((unsigned long)ptr);
	if (a)
		why = xm_refusal(a, owner, false);
	if (!a || why)
		return xm_name_refused(why, ptr, copy, _RET_IP_);
	xm_ksymbol(a, true);
	old = (char *)a->name;
	a->name = copy;
	xm_ksymbol(a, false);
	mutex_unlock(&xm.lock);
	kfree(old);
	return 0;
}
EXPORT_SYMBOL_GPL(execmem_set_name_for);

size_t execmem_text_gen_return(u8 *buf, unsigned long ip)
{
	if (cpu_feature_enabled(X86_FEATURE_RETHUNK)) {
		long rel = (long)(xm_return_thunk - (ip + 5));
		s32 rel32 = rel;

		if (rel32 != rel) {	/* @ip is not in the module area */
			pr_err_ratelimited("%ps: code at %p cannot reach the return thunk\n",
					   (void *)_RET_IP_, (void *)ip);
			return 0;
		}
		buf[0] = 0xe9;	/* jmp rel32 <return thunk> */
		memcpy(buf + 1, &rel32, sizeof(rel32));
		return 5;
	}
	buf[0] = 0xc3;		/* ret */
	buf[1] = 0xcc;		/* int3: no straight-line speculation */
	return 2;
}
EXPORT_SYMBOL_GPL(execmem_text_gen_return);

/* Under xm.lock: the counters, with the derived region and byte totals. */
static void xm_get_stats_locked(struct execmem_stats *st)
{
	lockdep_assert_held(&xm.lock);
	*st = xm.st;
	st->regions = xm.pool.nr_regions;
	st->regions_fallback = xm.pool.nr_fallback;
	st->regions_huge = xm.pool.nr_regions - xm.pool.nr_fallback;
	st->regions_empty = xm.pool.nr_empty;
	st->bytes_mapped = xm.pool.bytes_mapped;
	st->bytes_allocated = xm.pool.bytes_used;
	st->bytes_limit = READ_ONCE(xm_max_bytes);
}

void execmem_get_stats(struct execmem_stats *st)
{
	mutex_lock(&xm.lock);
	xm_get_stats_locked(st);
	mutex_unlock(&xm.lock);
}
EXPORT_SYMBOL_GPL(execmem_get_stats);

/*
 * Under xm.lock: take @mod's owner record off the list, mark its live
 * allocations dying (invisible) and list them.  Each of its records, those
 * listed and those an execmem_free() in progress will unaccount, drops the
 * owner record when it is the last (xm_unaccount()); without any, the
 * owner record is returned in *@gone, to be freed.
 */
static struct xm_record *xm_reap_list(const struct module *mod,
				      struct xm_owner **gone)
{
	struct xm_record *a, *reap = NULL;
	unsigned long count = 0, bytes = 0;
	struct xm_owner *o = xm_owner_find(mod);

	*gone = NULL;
	if (!o)
		return NULL;
	list_del(&o->node);
	if (xm_hint == o) {
		xm_hint_mod = NULL;
		xm_hint = NULL;
	}
	for (a = xm_record_first(); a; a = xm_record_next(a)) {
		if (a->owner != o)
			continue;
		a->orphan = true;
		o->orphans++;
		if (a->dying)	/* its free is in progress */
			continue;
		a->dying = true;
		a->reap_next = reap;
		reap = a;
		count++;
		bytes += a->size;
	}
	if (count)
		pr_warn("module %s unloaded with %lu live allocations (%lu bytes): freeing them\n",
			o->name, count, bytes);
	if (!o->orphans)
		*gone = o;
	return reap;
}

/*
 * A module that goes away with live allocations: report one line for it,
 * then free them (executable memory does not outlive the module that asked
 * for it, like module text).  As the module loader does before it frees
 * module text, wait for a grace period first: code that reached the memory
 * under rcu_read_lock() (or with preemption off) has left it before it is
 * refilled with int3 and handed to someone else.
 */
static int xm_module_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct xm_record *a, *reap;
	struct xm_owner *gone;

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;
	mutex_lock(&xm.lock);
	reap = xm_reap_list(data, &gone);
	mutex_unlock(&xm.lock);
	kfree(gone);
	if (reap)
		synchronize_rcu();
	while (reap) {
		a = reap;
		reap = a->reap_next;
		xm_free_dying(a);
	}
	return NOTIFY_OK;
}

static struct notifier_block xm_module_nb = {
	.notifier_call = xm_module_notify,
};

/* Release one empty region, if there is one: false when there is none. */
static bool xm_release_one_empty(void)
{
	struct xp_region *r;

	mutex_lock(&xm.lock);
	r = xp_take_empty(&xm.pool);
	if (r)
		xm.st.regions_released++;
	mutex_unlock(&xm.lock);
	if (r)
		xm_put_region(r);
	return r;
}

/*
 * ---- shrinker: spare regions go back under memory pressure ----------
 *
 * Reclaim only counts and asks: changing page attributes (which may
 * allocate page tables) and vfree() happen in a work item, as the kernel's
 * own ROX cache releases its memory (execmem_cache_clean).  The shrinker
 * takes no lock at all; the work item takes as many empty regions as were
 * asked for and are still empty when it runs.
 */
static void xm_shrink_work_fn(struct work_struct *work)
{
	unsigned long n = atomic_long_xchg(&xm.shrink_wanted, 0);

	for (; n && xm_release_one_empty(); n--)
		cond_resched();
}

static unsigned long xm_shrink_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	unsigned long n = READ_ONCE(xm.pool.nr_empty);

	return n ? n * (XP_REGION_SIZE >> PAGE_SHIFT) : SHRINK_EMPTY;
}

static unsigned long xm_shrink_scan(struct shrinker *s,
				    struct shrink_control *sc)
{
	unsigned long per = XP_REGION_SIZE >> PAGE_SHIFT;
	unsigned long n = READ_ONCE(xm.pool.nr_empty);

	/* Whole regions only: the last one may overshoot nr_to_scan. */
	n = min(n, DIV_ROUND_UP(sc->nr_to_scan, per));
	if (!n)
		return SHRINK_STOP;
	atomic_long_add(n, &xm.shrink_wanted);
	schedule_work(&xm.shrink_work);
	return n * per;
}

#if XM_SHRINKER_ALLOC
static struct shrinker *xm_shrinker;

static int xm_shrinker_init(void)
{
	xm_shrinker = shrinker_alloc(0, "execmem");
	if (!xm_shrinker)
		return -ENOMEM;
	xm_shrinker->count_objects = xm_shrink_count;
	xm_shrinker->scan_objects = xm_shrink_scan;
	shrinker_register(xm_shrinker);
	return 0;
}

static void xm_shrinker_exit(void)
{
	shrinker_free(xm_shrinker);
	cancel_work_sync(&xm.shrink_work);
}
#else
static struct shrinker xm_shrinker = {
	.count_objects = xm_shrink_count,
	.scan_objects = xm_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

static int xm_shrinker_init(void)
{
	return register_shrinker(&xm_shrinker, "execmem");
}

static void xm_shrinker_exit(void)
{
	unregister_shrinker(&xm_shrinker);
	cancel_work_sync(&xm.shrink_work);
}
#endif

/*
 * rmmod -f with memory live (only a forced unload gets here with some:
 * live memory pins the module).  The memory stays where it is, mapped and
 * ROX, for whoever still runs or frees it (hosted kprobe pages: xh_exit()
 * made the kernel keep them): its regions are leaked on purpose, and only
 * execmem's records of them are freed.
 */
static void xm_abandon_live(void)
{
	struct xm_record *a, *tmp;
	struct xp_region *r, *next;
	unsigned long n = 0, bytes = 0;

	mutex_lock(&xm.lock);	/* the records' walk asserts it */
	xm_record_first();	/* the newest record joins the tree */
	rbtree_postorder_for_each_entry_safe(a, tmp, &xm.allocs, node) {
		kfree(a->name);
		kfree(a);
	}
	xm.allocs = RB_ROOT;
	xm_last = NULL;
	/* The pool goes next (xp_pool_destroy()): its list, not its counts. */
	for (r = xp_first(&xm.pool); r; r = next) {
		next = xp_next(r);
		n++;
		bytes += r->size;
		xp_region_destroy(r);
	}
	xm.pool.head = NULL;
	mutex_unlock(&xm.lock);
	pr_warn("forced unload: %lu region(s), %lu KiB, with memory still in use left mapped (leaked)\n",
		n, bytes >> 10);
}

static void xm_release_all(bool forced)
{
	struct xm_record *a;

	/* Only empty regions can remain: live memory pins the module. */
	while (xm_release_one_empty())
		;
	if (xp_first(&xm.pool) && !WARN_ON_ONCE(!forced))
		xm_abandon_live();
	while ((a = xm_rec_cache)) {	/* unloading: nobody else is here */
		xm_rec_cache = a->reap_next;
		kfree(a);
	}
	xm_rec_cached = 0;
}

/*
 * ---- views: read-only snapshots for debugfs (execmem_views.h) ---------
 *
 * Each takes xm.lock itself and calls its callback under it, one item at a
 * time: the readers never see the records, owners or pool themselves.
 */
void xm_view_stats(struct execmem_stats *st, unsigned long *largest_free)
{
	mutex_lock(&xm.lock);
	xm_get_stats_locked(st);
	*largest_free = xp_pool_largest_free(&xm.pool);
	mutex_unlock(&xm.lock);
}

void xm_view_regions(xm_view_region_fn fn, void *arg)
{
	struct xm_region_view v;
	struct xp_region *r;

	mutex_lock(&xm.lock);
	for (r = xp_first(&xm.pool); r; r = xp_next(r)) {
		v.base = r->base;
		v.size = r->size;
		v.node = r->node;
		v.fallback = r->flags & XP_REGION_FALLBACK;
		v.nr_allocs = r->nr_allocs;
		v.free_bytes = r->free_bytes;
		v.largest_free = r->largest_free;
		xp_region_hist(r, v.hist);
		fn(arg, &v);
	}
	mutex_unlock(&xm.lock);
}

/* Live allocations in address order (dying ones included). */
void xm_view_records(xm_view_record_fn fn, void *arg)
{
	struct xm_record_view v;
	struct xm_record *a;

	mutex_lock(&xm.lock);
	for (a = xm_record_first(); a; a = xm_record_next(a)) {
		v.start = a->start;
		v.size = a->size;
		v.type = a->type;
		v.owner = a->owner->name;
		v.name = a->name;
		fn(arg, &v);
	}
	mutex_unlock(&xm.lock);
}

/* The owners of the list (not those whose module went away). */
void xm_view_owners(xm_view_owner_fn fn, void *arg)
{
	struct xm_owner_view v;
	struct xm_owner *o;

	mutex_lock(&xm.lock);
	list_for_each_entry(o, &xm.owners, node) {
		v.name = o->name;
		xm_owner_usage(o, &v.count, &v.bytes);
		fn(arg, &v);
	}
	mutex_unlock(&xm.lock);
}

int xm_alloc_init(void)
{
	int ret;

	mutex_init(&xm.lock);
	mutex_init(&xm.grow_lock);
	xm.allocs = RB_ROOT;
	INIT_LIST_HEAD(&xm.owners);
	INIT_WORK(&xm.shrink_work, xm_shrink_work_fn);

	ret = xp_pool_init(&xm.pool, MODULES_VADDR, MODULES_END - MODULES_VADDR);
	if (ret)
		return ret;
	if (!xm_max_bytes)
		xm_max_bytes = xm.pool.arena_size / 4;

	ret = register_module_notifier(&xm_module_nb);
	if (ret)
		goto err_pool;
	ret = xm_shrinker_init();
	if (ret)
		goto err_notifier;
	return 0;

err_notifier:
	unregister_module_notifier(&xm_module_nb);
err_pool:
	xp_pool_destroy(&xm.pool);
	return ret;
}

/*
 * At unload: the records of owners without memory (a client pins us), or
 * with memory after a forced unload.
 */
static void xm_owners_free(bool forced)
{
	struct xm_owner *o, *tmp;

	mutex_lock(&xm.lock);	/* the records' walk asserts it */
	list_for_each_entry_safe(o, tmp, &xm.owners, node) {
		WARN_ON_ONCE(!forced && xm_owner_live(o));
		list_del(&o->node);
		kfree(o);
	}
	xm_hint_mod = NULL;
	xm_hint = NULL;
	mutex_unlock(&xm.lock);
}

void xm_alloc_exit(bool forced)
{
	xm_shrinker_exit();
	unregister_module_notifier(&xm_module_nb);
	xm_owners_free(forced);
	xm_release_all(forced);
	xp_pool_destroy(&xm.pool);
}
