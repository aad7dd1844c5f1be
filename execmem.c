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
 * The shrinker only trylocks xm.lock: allocations under xm.lock may enter
 * reclaim.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <linux/topology.h>
#include <linux/numa.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/log2.h>
#include <linux/kallsyms.h>
#include "execmem_internal.h"

static unsigned int spare_regions = 1;
module_param(spare_regions, uint, 0644);
MODULE_PARM_DESC(spare_regions,
		 "empty 2 MiB regions kept mapped for reuse (default 1); the shrinker releases them under memory pressure");

static bool force_fallback;
module_param(force_fallback, bool, 0644);
MODULE_PARM_DESC(force_fallback,
		 "map new regions with 4 KiB pages as if no 2 MiB page were available (testing)");

struct xm_state xm;

/* Chunk of a text_poke write: text_mutex is dropped between chunks. */
#define XM_POKE_CHUNK	(64 * 1024)

static bool xm_type_served(enum execmem_type type)
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

static const struct module *xm_module_of(unsigned long ip)
{
	const struct module *mod;

	/* __module_address() wants preemption (<= 6.12) or RCU (later) off. */
	rcu_read_lock();
	preempt_disable();
	mod = xm_call(module_address)(ip);
	preempt_enable();
	rcu_read_unlock();
	return mod;
}

/*
 * Under xm.lock: the owner record of @mod, created on its first allocation
 * (sleeping allocation under the mutex is fine: the shrinker only trylocks).
 */
static struct xm_owner *xm_owner_get(const struct module *mod)
{
	struct xm_owner *o;

	list_for_each_entry(o, &xm.owners, node)
		if (o->mod == mod)
			return o;
	o = kzalloc(sizeof(*o), GFP_KERNEL);
	if (!o)
		return NULL;
	o->mod = mod;
	strscpy(o->name, mod ? mod->name : "vmlinux", sizeof(o->name));
	list_add_tail(&o->node, &xm.owners);
	return o;
}

static int xm_alloc_cmp(const void *key, const struct rb_node *n)
{
	unsigned long addr = *(const unsigned long *)key;
	unsigned long start = rb_entry(n, struct xm_alloc, node)->start;

	return addr < start ? -1 : addr > start;
}

static bool xm_alloc_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct xm_alloc, node)->start <
	       rb_entry(b, struct xm_alloc, node)->start;
}

/* Under xm.lock: the live allocation starting at @addr, or NULL. */
struct xm_alloc *xm_lookup_live(unsigned long addr)
{
	struct rb_node *n;
	struct xm_alloc *a;

	lockdep_assert_held(&xm.lock);
	n = rb_find(&addr, &xm.allocs, xm_alloc_cmp);
	a = rb_entry_safe(n, struct xm_alloc, node);
	return a && !a->dying ? a : NULL;
}

/*
 * Map a region of @size bytes (a multiple of 2 MiB) and give the pool its
 * metadata.  Called with grow_lock held and xm.lock not held: it sleeps.
 */
static struct xp_region *xm_region_new(size_t size, int node)
{
	struct xm_region_info ri;
	struct xp_region *r;

	if (xm_region_map(&ri, size, node, !READ_ONCE(force_fallback)))
		return NULL;
	r = xp_region_create(ri.base, ri.size, ri.node,
			     ri.huge ? 0 : XP_REGION_FALLBACK);
	if (!r)
		xm_region_unmap(ri.base, ri.size);
	return r;
}

static void xm_region_release(struct xp_region *r)
{
	xm_region_unmap(r->base, r->size);
	xp_region_destroy(r);
}

/*
 * Tell perf about a named allocation (PERF_RECORD_KSYMBOL, as BPF programs
 * and trampolines do), so that `perf record` running at the time resolves
 * samples in it; debugfs "symbols" serves tools that read kallsyms instead.
 */
static void xm_ksymbol(const struct xm_alloc *a, bool unregister)
{
	if (a->name)
		xm_call(perf_event_ksymbol)(PERF_RECORD_KSYMBOL_TYPE_OOL, a->start,
					    a->size, unregister, a->name);
}

/* Under xm.lock: should this (empty) region go back to the page allocator? */
static bool xm_region_surplus(const struct xp_region *r)
{
	if (r->size != XP_REGION_SIZE || (r->flags & XP_REGION_FALLBACK))
		return true;	/* large and fallback regions are not kept */
	return xm.st.regions_empty > READ_ONCE(spare_regions);
}

/* Under xm.lock: take an empty region out of the pool. */
static void xm_region_detach(struct xp_region *r)
{
	lockdep_assert_held(&xm.lock);
	xp_pool_remove(&xm.pool, r);
	xm.st.regions_empty--;
	xm.st.regions_released++;
	if (r->flags & XP_REGION_FALLBACK)
		xm.st.regions_fallback--;
	else
		xm.st.regions_huge--;
}

static void *xm_alloc(enum execmem_type type, size_t size, size_t align,
		      int nid, unsigned long caller)
{
	struct xp_region *r = NULL;
	struct xm_owner *owner;
	struct xm_alloc *a;
	unsigned long addr;

	if (!xm_type_served(type) || !size || size > xm.pool.arena_size ||
	    (align > XP_GRANULE && !is_power_of_2(align)) ||
	    align > EXECMEM_MAX_ALIGN ||
	    (nid != NUMA_NO_NODE && (nid < 0 || nid >= MAX_NUMNODES || !node_online(nid)))) {
		pr_warn_ratelimited("%ps: bad request: type %d size %zu align %zu node %d\n",
				    (void *)caller, type, size, align, nid);
		mutex_lock(&xm.lock);
		xm.st.failed_allocs++;
		mutex_unlock(&xm.lock);
		return NULL;
	}
	if (nid == NUMA_NO_NODE)
		nid = numa_node_id();

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		goto fail;

	mutex_lock(&xm.lock);
	addr = xp_alloc(&xm.pool, size, align, nid, &r);
	if (!addr) {
		mutex_unlock(&xm.lock);
		mutex_lock(&xm.grow_lock);
		mutex_lock(&xm.lock);
		/* Another allocator may have grown the pool meanwhile. */
		addr = xp_alloc(&xm.pool, size, align, nid, &r);
		if (!addr) {
			mutex_unlock(&xm.lock);
			r = xm_region_new(ALIGN(size, XP_REGION_SIZE), nid);
			mutex_lock(&xm.lock);
			if (r && xp_pool_add(&xm.pool, r)) {
				WARN_ON_ONCE(1);	/* vmalloc gave an overlapping range? */
				mutex_unlock(&xm.lock);
				xm_region_release(r);
				mutex_lock(&xm.lock);
				r = NULL;
			}
			if (r) {
				xm.st.regions_created++;
				xm.st.regions_empty++;
				if (r->flags & XP_REGION_FALLBACK)
					xm.st.regions_fallback++;
				else
					xm.st.regions_huge++;
				/* The node vmalloc actually found pages on. */
				addr = xp_alloc(&xm.pool, size, align, r->node, &r);
			}
		}
		mutex_unlock(&xm.grow_lock);
	}
	if (!addr)
		goto fail_unlock;

	/* xm.lock held from here on: the owner cannot go away under us. */
	owner = xm_owner_get(xm_module_of(caller));
	if (!owner)
		goto fail_pool;
	a->start = addr;
	a->size = size;
	a->rsize = ALIGN(size, XP_GRANULE);
	a->type = type;
	rb_add(&a->node, &xm.allocs, xm_alloc_less);
	if (r->nr_allocs == 1)
		xm.st.regions_empty--;
	a->owner = owner;
	a->owner->count++;
	a->owner->bytes += size;
	if (!xm.st.live_allocs++)
		__module_get(THIS_MODULE);	/* no unload while memory is live */
	xm.st.bytes_requested += size;
	xm.st.allocs++;
	mutex_unlock(&xm.lock);
	return (void *)addr;

fail_pool:
	xp_free(&xm.pool, addr, &r);
fail_unlock:
	xm.st.failed_allocs++;
	mutex_unlock(&xm.lock);
	pr_warn_ratelimited("%ps: cannot allocate %zu bytes\n", (void *)caller, size);
	goto out;
fail:
	mutex_lock(&xm.lock);
	xm.st.failed_allocs++;
	mutex_unlock(&xm.lock);
out:
	kfree(a);
	return NULL;
}

void *execmem_alloc(enum execmem_type type, size_t size)
{
	return xm_alloc(type, size, XP_GRANULE, NUMA_NO_NODE,
			_RET_IP_);
}
EXPORT_SYMBOL_GPL(execmem_alloc);

void *execmem_alloc_aligned(enum execmem_type type, size_t size, size_t align)
{
	return xm_alloc(type, size, align, NUMA_NO_NODE, _RET_IP_);
}
EXPORT_SYMBOL_GPL(execmem_alloc_aligned);

void *execmem_alloc_node(enum execmem_type type, size_t size, size_t align,
			 int nid)
{
	return xm_alloc(type, size, align, nid, _RET_IP_);
}
EXPORT_SYMBOL_GPL(execmem_alloc_node);

/* Poke in chunks so that text_mutex is not held for a whole large write. */
static void xm_poke(void *dst, const void *src, int c, size_t len)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = min_t(size_t, len - off, XM_POKE_CHUNK);
		if (src)
			xm_call(text_poke_copy)(dst + off, src + off, n);
		else
			xm_call(text_poke_set)(dst + off, c, n);
		cond_resched();
	}
}

int execmem_write(void *dst, const void *src, size_t len)
{
	unsigned long addr = (unsigned long)dst, start;
	struct xm_alloc *a = NULL;
	size_t rsize;

	mutex_lock(&xm.lock);
	if (dst && src && len <= xm.pool.arena_size &&
	    xp_find(&xm.pool, addr, &start, &rsize)) {
		a = xm_lookup_live(start);
		if (a && addr + len > a->start + a->size)
			a = NULL;
	}
	if (!a) {
		xm.st.failed_writes++;
		mutex_unlock(&xm.lock);
		pr_warn_ratelimited("%ps: write of %zu bytes at %p is outside any allocation\n",
				    (void *)_RET_IP_, len, dst);
		return -EINVAL;
	}
	a->writers++;
	xm.st.writes++;
	xm.st.bytes_written += len;
	mutex_unlock(&xm.lock);

	xm_poke(dst, src, 0, len);

	mutex_lock(&xm.lock);
	WRITE_ONCE(a->writers, a->writers - 1);
	if (!a->writers && a->dying) {
		smp_mb();	/* the store above before wake_up_var's queue check */
		wake_up_var(&a->writers);
	}
	mutex_unlock(&xm.lock);
	return 0;
}
EXPORT_SYMBOL_GPL(execmem_write);

/*
 * The wait_var_event() condition: evaluated with the task state already set
 * to sleep, so it must not block (no xm.lock).  No new writer starts once
 * dying is set: lookups skip dying records.
 */
static bool xm_no_writers(struct xm_alloc *a)
{
	return !READ_ONCE(a->writers);
}

/* Free a record already marked dying (and so invisible to lookups). */
static void xm_free_dying(struct xm_alloc *a)
{
	struct xp_region *r = NULL;
	long freed;

	wait_var_event(&a->writers, xm_no_writers(a));
	xm_poke((void *)a->start, NULL, 0xcc, a->size);

	mutex_lock(&xm.lock);
	rb_erase(&a->node, &xm.allocs);
	xm_ksymbol(a, true);
	freed = xp_free(&xm.pool, a->start, &r);
	if (WARN_ON_ONCE(freed != a->rsize))
		r = NULL;	/* cannot happen: the record and pool agree */
	a->owner->count--;
	a->owner->bytes -= a->size;
	if (!a->owner->count) {
		list_del(&a->owner->node);
		kfree(a->owner);
	}
	xm.st.bytes_requested -= a->size;
	xm.st.frees++;
	if (r && !r->nr_allocs) {
		xm.st.regions_empty++;
		if (xm_region_surplus(r))
			xm_region_detach(r);
		else
			r = NULL;
	} else {
		r = NULL;
	}
	if (!--xm.st.live_allocs)
		module_put(THIS_MODULE);
	mutex_unlock(&xm.lock);

	if (r)
		xm_region_release(r);
	kfree(a->name);
	kfree(a);
}

void execmem_free(void *ptr)
{
	struct xm_alloc *a;

	if (!ptr)
		return;
	mutex_lock(&xm.lock);
	a = xm_lookup_live((unsigned long)ptr);
	if (!a) {
		xm.st.bad_frees++;
		mutex_unlock(&xm.lock);
		pr_warn_ratelimited("%ps: free of %p: not a live allocation\n",
				    (void *)_RET_IP_, ptr);
		return;
	}
	a->dying = true;
	mutex_unlock(&xm.lock);
	xm_free_dying(a);
}
EXPORT_SYMBOL_GPL(execmem_free);

int execmem_set_name(void *ptr, const char *name)
{
	struct xm_alloc *a;
	char *copy, *old;

	if (!name || !*name)
		return -EINVAL;
	copy = kstrndup(name, KSYM_NAME_LEN - 1, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	mutex_lock(&xm.lock);
	a = xm_lookup_live((unsigned long)ptr);
	if (!a) {
		mutex_unlock(&xm.lock);
		kfree(copy);
		return -EINVAL;
	}
	xm_ksymbol(a, true);
	old = (char *)a->name;
	a->name = copy;
	xm_ksymbol(a, false);
	mutex_unlock(&xm.lock);
	kfree(old);
	return 0;
}
EXPORT_SYMBOL_GPL(execmem_set_name);

size_t execmem_text_gen_return(u8 *buf, unsigned long ip)
{
	if (cpu_feature_enabled(X86_FEATURE_RETHUNK)) {
		s32 rel = (s32)(xm_return_thunk - (ip + 5));

		buf[0] = 0xe9;	/* jmp rel32 <return thunk> */
		memcpy(buf + 1, &rel, sizeof(rel));
		return 5;
	}
	buf[0] = 0xc3;		/* ret */
	buf[1] = 0xcc;		/* int3: no straight-line speculation */
	return 2;
}
EXPORT_SYMBOL_GPL(execmem_text_gen_return);

void xm_get_stats_locked(struct execmem_stats *st)
{
	lockdep_assert_held(&xm.lock);
	*st = xm.st;
	st->regions = xm.pool.nr_regions;
	st->bytes_mapped = xm.pool.bytes_mapped;
	st->bytes_allocated = xm.pool.bytes_used;
}

void execmem_get_stats(struct execmem_stats *st)
{
	mutex_lock(&xm.lock);
	xm_get_stats_locked(st);
	mutex_unlock(&xm.lock);
}
EXPORT_SYMBOL_GPL(execmem_get_stats);

/*
 * A module that goes away with live allocations: report one line for it,
 * then free them (executable memory does not outlive the module that asked
 * for it, like module text).
 */
static int xm_module_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	const struct module *mod = data;
	struct xm_alloc *a, *reap = NULL;
	struct xm_owner *o;
	bool found = false;

	if (action != MODULE_STATE_GOING)
		return NOTIFY_DONE;

	mutex_lock(&xm.lock);
	list_for_each_entry(o, &xm.owners, node) {
		if (o->mod == mod) {
			pr_warn("module %s unloaded with %lu live allocations (%lu bytes): freeing them\n",
				o->name, o->count, o->bytes);
			found = true;
			break;
		}
	}
	/* Mark them all dying in one pass (invisible from now on), then free. */
	if (found) {
		for (a = xm_alloc_first(); a; a = xm_alloc_next(a)) {
			if (a->dying || a->owner->mod != mod)
				continue;
			a->dying = true;
			a->reap_next = reap;
			reap = a;
		}
	}
	mutex_unlock(&xm.lock);
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

/* ---- shrinker: spare regions go back under memory pressure ---------- */

static unsigned long xm_shrink_count(struct shrinker *s,
				     struct shrink_control *sc)
{
	unsigned long n = READ_ONCE(xm.st.regions_empty);

	return n ? n * (XP_REGION_SIZE >> PAGE_SHIFT) : SHRINK_EMPTY;
}

static unsigned long xm_shrink_scan(struct shrinker *s,
				    struct shrink_control *sc)
{
	struct xp_region *r, *next, *victims = NULL;
	unsigned long freed = 0;

	/* Allocation paths hold xm.lock and may reclaim: never wait for it. */
	if (!mutex_trylock(&xm.lock))
		return SHRINK_STOP;
	/* Whole regions only: the last one may overshoot nr_to_scan. */
	for (r = xm.pool.head; r && freed < sc->nr_to_scan; r = next) {
		next = r->next;
		if (r->nr_allocs)
			continue;
		xm_region_detach(r);
		freed += r->size >> PAGE_SHIFT;
		r->next = victims;	/* the pool no longer links it */
		victims = r;
	}
	mutex_unlock(&xm.lock);

	for (r = victims; r; r = next) {
		next = r->next;
		xm_region_release(r);
	}
	return freed ? freed : SHRINK_STOP;
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
}
#endif

static void xm_release_all(void)
{
	struct xp_region *r;

	/* Only empty regions can remain: live memory pins the module. */
	for (;;) {
		mutex_lock(&xm.lock);
		r = xm.pool.head;
		if (r && WARN_ON_ONCE(r->nr_allocs))
			r = NULL;
		if (r)
			xm_region_detach(r);
		mutex_unlock(&xm.lock);
		if (!r)
			break;
		xm_region_release(r);
	}
}

static int __init xm_init(void)
{
	int ret;

	mutex_init(&xm.lock);
	mutex_init(&xm.grow_lock);
	xm.allocs = RB_ROOT;
	INIT_LIST_HEAD(&xm.owners);

	ret = xm_syms_init();
	if (ret)
		return ret;
	ret = xp_pool_init(&xm.pool, MODULES_VADDR, MODULES_END - MODULES_VADDR);
	if (ret)
		return ret;
	xm_direct_map_splits(&xm.l2_base, &xm.l3_base);

	ret = register_module_notifier(&xm_module_nb);
	if (ret)
		goto err_pool;
	ret = xm_shrinker_init();
	if (ret)
		goto err_notifier;
	xm_debugfs_init();	/* optional: execmem works without it */
	pr_info("ready: module area %p-%p, %u spare region(s)%s\n",
		(void *)MODULES_VADDR, (void *)MODULES_END, spare_regions,
		force_fallback ? ", 4 KiB fallback forced" : "");
	return 0;

err_notifier:
	unregister_module_notifier(&xm_module_nb);
err_pool:
	xp_pool_destroy(&xm.pool);
	return ret;
}

static void __exit xm_exit(void)
{
	xm_debugfs_exit();
	xm_shrinker_exit();
	unregister_module_notifier(&xm_module_nb);
	xm_release_all();
	xp_pool_destroy(&xm.pool);
}

module_init(xm_init);
module_exit(xm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Executable memory from 2 MiB read-only+executable huge-page regions");
MODULE_AUTHOR("execmem developers");
MODULE_VERSION("0.1");
