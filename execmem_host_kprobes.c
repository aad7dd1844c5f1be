// SPDX-License-Identifier: GPL-2.0
/*
 * Hosting, the kprobes consumer: alloc_insn_page() (slot pages for
 * single-stepping, and for optimized-probe buffers through
 * alloc_optinsn_page()) is replaced as a whole: a 4 KiB, page-aligned
 * allocation of execmem's ROX pool.  The kernel's set_memory_rox() on the
 * page is part of the replaced function and never runs.  The kernel writes
 * slots with text_poke, as it would.  Freed through free_insn_page() /
 * free_optinsn_page(): ours go back to the pool from a work item, because
 * the kernel frees them with text_mutex held and the pool refills freed
 * memory with int3 by text_poke.  A kprobe page is a live pool allocation:
 * it pins execmem and counts against max_bytes already.
 *
 * Turning the consumer off, and a forced unload, reach into the kernel's
 * slot caches: their pages are kernel/kprobes.c's private struct
 * kprobe_insn_page, mirrored in execmem_compat.h (struct
 * xm_kprobe_insn_page), and each page's back pointer to its cache is
 * checked before anything is changed.  The mechanism: execmem_host.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/llist.h>
#include <linux/workqueue.h>
#include <linux/kprobes.h>
#include <linux/perf_event.h>
#include "execmem_host_core.h"
#include "execmem_alloc_host.h"
#include "execmem_trace.h"
#include "execmem_regions.h"
#include "execmem_syms.h"
#include <execmem.h>

static void *xh_kprobes_alloc(void);
static void xh_kprobes_free(void *page);
static int xh_check_kprobes(struct xh_consumer *c, const char **what);
static void xh_kprobes_off(void);
static void xh_kprobes_pin_all(void);
static void xh_kprobes_flush(void);

static struct xh_hook xh_kprobes_hooks[] = {
	{ .sym = "free_insn_page", .kind = XH_FREE, .target = xh_kprobes_free },
	/* Without OPTPROBES there is none; it may inline free_insn_page. */
	{ .sym = "free_optinsn_page", .kind = XH_FREE, .may_be_absent = true,
	  .target = xh_kprobes_free },
	{ .sym = "alloc_insn_page", .kind = XH_ALLOC,
	  .target = xh_kprobes_alloc },
};

struct xh_consumer xh_kprobes = {
	.name = "kprobes",
	.orig = "alloc_insn_page",
	.hooks = xh_kprobes_hooks,
	.nr_hooks = ARRAY_SIZE(xh_kprobes_hooks),
	.check = xh_check_kprobes,
	.off = xh_kprobes_off,
	.pin = xh_kprobes_pin_all,
	.flush = xh_kprobes_flush,
	.reason = "not-requested",
};

/* ---- serving and freeing ------------------------------------------------ */

static LLIST_HEAD(xh_kprobes_freed);

/*
 * Give freed kprobe pages back to the pool from a work item: the kernel
 * frees them with text_mutex held, and the pool's free refills with int3
 * through text_poke.  A piece without consumer is a page never served.
 */
static void xh_free_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&xh_kprobes_freed);
	struct xh_piece *p, *tmp;

	llist_for_each_entry_safe(p, tmp, list, free_node) {
		xm_free_foreign((void *)p->start);
		if (p->c)
			xh_piece_done(p);
		else
			kfree(p);
	}
}

static DECLARE_WORK(xh_free_work, xh_free_work_fn);

static void xh_free_later(struct xh_piece *p)
{
	llist_add(&p->free_node, &xh_kprobes_freed);
	schedule_work(&xh_free_work);
}

/* A pool page we could not record: back to the pool, uncounted. */
static void xh_pool_free_later(unsigned long start)
{
	struct xh_piece *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (WARN_ON_ONCE(!p))
		return;		/* leaked: it stays a live allocation */
	p->start = start;
	xh_free_later(p);
}

/*
 * In place of alloc_insn_page(), with a module reference from the callback:
 * a page of the pool (int3-filled, ROX), which pins execmem while it lives.
 * A page from a region mapped by 4 KiB pages (no 2 MiB page could be had)
 * is still served, and counted in fallbacks.
 */
static void *xh_kprobes_alloc(void)
{
	struct xh_consumer *c = &xh_kprobes;
	void *page;

	page = xm_alloc_hosted(EXECMEM_KPROBES, PAGE_SIZE, PAGE_SIZE);
	if (page && xh_piece_add(c, (unsigned long)page, PAGE_SIZE)) {
		xh_pool_free_later((unsigned long)page);
		page = NULL;
	}
	if (page && xm_mapping_level((unsigned long)page) != 2)
		atomic_long_inc(&c->fallbacks);
	if (!page) {	/* the pool has no memory: the kernel's own page */
		atomic_long_inc(&c->fallbacks);
		page = xm_call(orig_alloc_insn_page)();
		trace_execmem_host(c->name, true, (unsigned long)page, PAGE_SIZE, false);
	}
	module_put(THIS_MODULE);
	return page;
}

/* In place of free_insn_page() / free_optinsn_page(), for a page we served. */
static void xh_kprobes_free(void *page)
{
	struct xh_piece *p = xh_piece_take((unsigned long)page);

	if (WARN_ON_ONCE(!p))
		return;
	xh_free_later(p);
}

/* ---- giving back what the kernel keeps ---------------------------------- */

/*
 * The kernel keeps the last page of each kprobe slot cache, empty or not,
 * and frees pages with only dirty (unregistered) slots when it next needs
 * a slot: once a page was served, execmem would stay pinned for ever.
 * Turning kprobes hosting off gives back our pages that hold no live slot,
 * doing what kernel/kprobes.c's collect_garbage_slots() and
 * collect_one_slot() do, on pages we served only, under the cache's mutex.
 * struct kprobe_insn_page is private to kernel/kprobes.c: mirrored in
 * execmem_compat.h; each page's back pointer to its cache is checked first.
 */

/* Make the dirty slots of @kip clean; true if it then holds none in use. */
static bool xh_kip_collect(struct kprobe_insn_cache *c,
			   struct xm_kprobe_insn_page *kip)
{
	int i, n = PAGE_SIZE / (c->insn_size * sizeof(kprobe_opcode_t));

	for (i = 0; i < n && kip->ngarbage; i++) {
		if (kip->slot_used[i] != XM_KPROBE_SLOT_DIRTY)
			continue;
		kip->slot_used[i] = XM_KPROBE_SLOT_CLEAN;
		kip->nused--;
		kip->ngarbage--;
		c->nr_garbage--;
	}
	return !kip->nused;
}

static void xh_kprobes_drain(const char *cache_sym)
{
	struct kprobe_insn_cache *c;
	struct xm_kprobe_insn_page *kip, *next;

	c = (void *)xm_sym_lookup(cache_sym);
	if (!c)
		return;
	mutex_lock(&c->mutex);
	synchronize_rcu();	/* no one is still in a dirty slot */
	list_for_each_entry_safe(kip, next, &c->pages, list) {
		if (WARN_ONCE(kip->cache != c, "%s: unexpected layout\n", cache_sym))
			break;
		if (!xh_is_ours((unsigned long)kip->insns) || !xh_kip_collect(c, kip))
			continue;
		xm_call(perf_event_ksymbol)(PERF_RECORD_KSYMBOL_TYPE_OOL,
					    (unsigned long)kip->insns, PAGE_SIZE,
					    true, c->sym);
		list_del_rcu(&kip->list);
		synchronize_rcu();	/* kallsyms walks the list under RCU */
		xh_kprobes_free(kip->insns);
		kfree(kip);
	}
	mutex_unlock(&c->mutex);
}

static void xh_kprobes_off(void)
{
	/* Unoptimizing frees slots from a delayed work: let it finish. */
	xm_call(wait_for_kprobe_optimizer)();
	xh_kprobes_drain("kprobe_insn_slots");
	xh_kprobes_drain("kprobe_optinsn_slots");
}

/* ---- does the kernel call the hooks? (execmem_host.c, xh_place()) ------- */

/* Check the slot cache @sym: its .free, and its .alloc (directly or not). */
static int xh_check_cache(const char *sym, unsigned long alloc,
			  unsigned long free, bool direct)
{
	const struct kprobe_insn_cache *ic;

	ic = (void *)xm_sym_lookup(sym);
	if (!ic || (unsigned long)ic->free != free)
		return -EINVAL;
	if ((unsigned long)ic->alloc == alloc)
		return 0;
	return !direct && xh_calls((unsigned long)ic->alloc, alloc) ? 0 : -EINVAL;
}

static int xh_check_kprobes(struct xh_consumer *c, const char **what)
{
	unsigned long alloc = xh_expect(c, "alloc_insn_page");
	unsigned long free = xh_expect(c, "free_insn_page");
	unsigned long ofree = xh_expect(c, "free_optinsn_page");

	*what = "kprobe_insn_slots";
	if (xh_check_cache(*what, alloc, free, true))
		return -EINVAL;
	/* Without OPTPROBES there is neither the cache nor its free. */
	*what = "kprobe_optinsn_slots";
	if (!xm_sym_lookup(*what) && !ofree)
		return 0;
	return xh_check_cache(*what, alloc, ofree ? ofree : free, false);
}

/* ---- forced unload ------------------------------------------------------ */

/*
 * rmmod -f with hosted memory live: once execmem is gone, the kernel frees
 * what it still holds through its own functions, which must then be
 * harmless.
 *
 * kprobes: the kernel's free_insn_page() would vfree() a page inside one of
 * execmem's regions (at a region's base: the whole region, without reset).
 * So each page of ours in a slot cache gets one more use (nused) than it
 * has slots in use: the kernel never frees it and keeps using it; its
 * region stays mapped (leaked).  Done while our free hooks are still in
 * place, under the cache's mutex, which the kernel holds around its calls
 * of the cache's alloc and free (so no page of ours is half-way in or out).
 */
static void xh_kprobes_pin(const char *cache_sym)
{
	struct kprobe_insn_cache *c;
	struct xm_kprobe_insn_page *kip;
	unsigned long n = 0;

	c = (void *)xm_sym_lookup(cache_sym);
	if (!c)
		return;
	mutex_lock(&c->mutex);
	list_for_each_entry(kip, &c->pages, list) {
		if (WARN_ONCE(kip->cache != c, "%s: unexpected layout\n", cache_sym))
			break;
		if (xh_is_ours((unsigned long)kip->insns)) {
			kip->nused++;
			n++;
		}
	}
	mutex_unlock(&c->mutex);
	if (n)
		pr_warn("forced unload: %lu %s page(s) stay in the kernel's cache for good\n",
			n, c->sym);
}

static void xh_kprobes_pin_all(void)
{
	xh_kprobes_pin("kprobe_insn_slots");
	xh_kprobes_pin("kprobe_optinsn_slots");
}

static void xh_kprobes_flush(void)
{
	flush_work(&xh_free_work);
}
