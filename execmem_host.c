// SPDX-License-Identifier: GPL-2.0
/*
 * Hosting the kernel's own generated code: BPF JIT packs and kprobe
 * instruction pages, on a stock kernel, opt-in (host=bpf,kprobes).
 *
 * Each consumer's allocator and free functions are redirected with ftrace
 * (IPMODIFY, as livepatch redirects a function): the callback changes the
 * return address of the fentry call so that the call lands, with its
 * arguments, in a function of ours of the same prototype.
 *
 *   bpf:     the pack allocator's call for a pack's memory
 *            (XM_HOST_PACK_ALLOC, execmem_compat.h), and only when made from
 *            bpf_prog_pack_alloc / alloc_new_pack: served a whole, fresh,
 *            writable 2 MiB-mapped area, which the kernel fills and makes ROX
 *            itself (over whole 2 MiB: nothing splits).  A request larger
 *            than a pack gets whole 2 MiB regions.  Freed through
 *            XM_HOST_PACK_FREE, intercepted for the areas we served only:
 *            permissions restored over the whole area, VM_FLUSH_RESET_PERMS
 *            cleared, vfree() (execmem_huge.c).
 *   kprobes: alloc_insn_page() (slot pages for single-stepping, and for
 *            optimized-probe buffers through alloc_optinsn_page()) is
 *            replaced as a whole: a 4 KiB, page-aligned allocation of
 *            execmem's ROX pool.  The kernel's set_memory_rox() on the page
 *            is part of the replaced function and never runs.  The kernel
 *            writes slots with text_poke, as it would.  Freed through
 *            free_insn_page() / free_optinsn_page(): ours go back to the pool
 *            from a work item, because the kernel frees them with text_mutex
 *            held and the pool refills freed memory with int3 by text_poke.
 *
 * Served memory is listed in an xarray by page (xh.pieces): the ftrace
 * callbacks only look it up (xa_load(), under RCU), never lock nor sleep.
 * They run at the entry of the traced function, in its caller's context,
 * and not always with preemption disabled: alone on a function, our
 * ftrace_ops (dynamic, without FTRACE_OPS_FL_RECURSION) gets a trampoline
 * of its own that calls xh_ftrace() directly, preemptible where the caller
 * was; only when the call goes through ftrace_ops_list_func() (another
 * ftrace user on the same function, e.g. the function tracer) is
 * preemption disabled around it (read in 6.12's x86 create_trampoline()
 * and ftrace_ops_get_func(); the list function's recursion guard disables
 * preemption on 6.1 and 7.2 too).  A free
 * is redirected only for an address found there, so nothing we did not hand
 * out is freed by us and nothing we handed out reaches the kernel's free.
 * When no 2 MiB page can be had the kernel's own allocator serves the call
 * (counted in fallbacks): our function calls it through a static call, and
 * the callback lets calls made from this module through.
 *
 * Pinning: a BPF area holds a module reference until it is freed; kprobe
 * pages are live pool allocations, which pin execmem already.  A BPF area
 * counts against max_bytes with the pool's regions (xm_host_charge()); a
 * kprobe page is in the pool already.  Both are owned by execmem itself:
 * no client can free or write them through the API (xm_alloc_hosted()).  The alloc
 * callback takes a module reference before it redirects (dropped by our
 * function unless it serves), so execmem cannot go away under a redirected
 * call; module exit unregisters the ftrace_ops, which waits for tasks that
 * were in the callback or trampoline.
 *
 * Locking: xh.lock (a mutex) serialises placing, enabling and removing
 * hooks; it is not held while kprobe locks are taken (giving back cached
 * kprobe pages runs after it is dropped), and no BPF or kprobe path takes
 * it.  Serving takes no lock of ours but xm.lock in the pool, which is
 * never held across text_poke (the kernel calls alloc_insn_page() with
 * text_mutex and the slot cache's mutex held: they come before xm.lock).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/llist.h>
#include <linux/workqueue.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>
#include <linux/string.h>
#include <linux/seq_file.h>
#include <linux/kprobes.h>
#include <linux/perf_event.h>
#include "execmem_host.h"
#include "execmem_internal.h"
#include "execmem_regions.h"
#include "execmem_syms.h"
#include <execmem.h>

enum xh_kind { XH_ALLOC, XH_FREE };

struct xh_consumer;

/* One redirected kernel function. */
struct xh_hook {
#if XM_HOST_FTRACE
	struct ftrace_ops ops;
#endif
	const char *sym;
	enum xh_kind kind;
	bool may_be_absent;	/* skipped when the kernel has no such symbol */
	void *target;		/* our function of the same prototype */
	struct xh_consumer *c;
	unsigned long addr;	/* resolved */
	bool placed;
};

/* A function whose calls to an XH_ALLOC hook are redirected (bpf only). */
struct xh_caller {
	const char *sym;
	unsigned long start, end;
};

struct xh_consumer {
	const char *name;
	struct xh_hook *hooks;
	int nr_hooks;
	const char *orig;	/* the kernel's allocator, for fallbacks */
	struct xh_caller *callers;	/* NULL: every caller */
	int nr_callers;
	/* At placement: does the kernel call the hooks?  0 or -errno, @what. */
	int (*check)(struct xh_consumer *c, const char **what);
	bool placed;		/* all its hooks are registered */
	bool enabled;		/* redirecting new allocations */
	const char *reason;	/* why it is off */
	atomic_long_t served, freed, fallbacks, live, live_bytes;
};

/* Served memory: one piece per area (bpf) or page (kprobes). */
struct xh_piece {
	unsigned long start;
	size_t size;
	struct xh_consumer *c;
	struct llist_node free_node;
	struct rcu_head rcu;
};

static struct {
	struct mutex lock;	/* hooks: placing, enabling, removing */
	struct xarray pieces;	/* by start >> PAGE_SHIFT */
	struct llist_head kprobes_freed;
	struct work_struct free_work;
	bool ready;		/* module init done: param writes apply */
} xh = {
	.lock = __MUTEX_INITIALIZER(xh.lock),
	.pieces = XARRAY_INIT(xh.pieces, 0),
};

static void *xh_bpf_alloc(unsigned long size);
static void xh_bpf_free(void *addr);
static void *xh_kprobes_alloc(void);
static void xh_kprobes_free(void *page);
static int xh_check_bpf(struct xh_consumer *c, const char **what);
static int xh_check_kprobes(struct xh_consumer *c, const char **what);

enum { XH_BPF, XH_KPROBES, XH_NR };

static struct xh_hook xh_bpf_hooks[] = {
	/* Frees first: nothing may be served before they are in place. */
	{ .sym = __stringify(XM_HOST_PACK_FREE), .kind = XH_FREE,
	  .target = xh_bpf_free },
	{ .sym = __stringify(XM_HOST_PACK_ALLOC), .kind = XH_ALLOC,
	  .target = xh_bpf_alloc },
};

static struct xh_caller xh_bpf_callers[] = {
	{ .sym = "bpf_prog_pack_alloc" },
	{ .sym = "alloc_new_pack" },	/* when not inlined into it */
};

static struct xh_hook xh_kprobes_hooks[] = {
	{ .sym = "free_insn_page", .kind = XH_FREE, .target = xh_kprobes_free },
	/* Without OPTPROBES there is none; it may inline free_insn_page. */
	{ .sym = "free_optinsn_page", .kind = XH_FREE, .may_be_absent = true,
	  .target = xh_kprobes_free },
	{ .sym = "alloc_insn_page", .kind = XH_ALLOC,
	  .target = xh_kprobes_alloc },
};

static struct xh_consumer xh_consumers[XH_NR] = {
	[XH_BPF] = {
		.name = "bpf",
		.orig = __stringify(XM_HOST_PACK_ALLOC),
		.hooks = xh_bpf_hooks, .nr_hooks = ARRAY_SIZE(xh_bpf_hooks),
		.callers = xh_bpf_callers,
		.nr_callers = ARRAY_SIZE(xh_bpf_callers),
		.check = xh_check_bpf,
		.reason = "not-requested",
	},
	[XH_KPROBES] = {
		.name = "kprobes",
		.orig = "alloc_insn_page",
		.hooks = xh_kprobes_hooks,
		.nr_hooks = ARRAY_SIZE(xh_kprobes_hooks),
		.check = xh_check_kprobes,
		.reason = "not-requested",
	},
};

/* ---- what the ftrace callback looks at ------------------------------------ */

static bool notrace xh_is_ours(unsigned long addr)
{
	return PAGE_ALIGNED(addr) && xa_load(&xh.pieces, addr >> PAGE_SHIFT);
}

/* ---- pieces ------------------------------------------------------------- */

static int xh_piece_add(struct xh_consumer *c, unsigned long start,
			size_t size)
{
	struct xh_piece *p = kzalloc(sizeof(*p), GFP_KERNEL);
	int ret;

	if (!p)
		return -ENOMEM;
	p->start = start;
	p->size = size;
	p->c = c;
	ret = xa_insert(&xh.pieces, start >> PAGE_SHIFT, p, GFP_KERNEL);
	if (ret) {
		kfree(p);
		return ret;
	}
	atomic_long_inc(&c->served);
	atomic_long_inc(&c->live);
	atomic_long_add(size, &c->live_bytes);
	return 0;
}

/* Take the piece at @start out of the list: from now on not ours to see. */
static struct xh_piece *xh_piece_take(unsigned long start)
{
	return xa_erase(&xh.pieces, start >> PAGE_SHIFT);
}

static void xh_piece_done(struct xh_piece *p)
{
	atomic_long_inc(&p->c->freed);
	atomic_long_dec(&p->c->live);
	atomic_long_sub(p->size, &p->c->live_bytes);
	kfree_rcu(p, rcu);
}

/*
 * Whether @start begins a piece served to BPF as a pack (the census's
 * attribution).  Pieces are freed after a grace period.
 */
bool xh_is_bpf_pack(unsigned long start)
{
	struct xh_piece *p;
	bool bpf;

	if (!PAGE_ALIGNED(start))
		return false;
	rcu_read_lock();
	p = xa_load(&xh.pieces, start >> PAGE_SHIFT);
	bpf = p && p->start == start && p->c == &xh_consumers[XH_BPF];
	rcu_read_unlock();
	return bpf;
}

/* ---- bpf ---------------------------------------------------------------- */

/*
 * In place of XM_HOST_PACK_ALLOC(@size), called by the pack allocator with
 * a module reference taken for us by the callback.  Served: the reference
 * stays with the area until it is freed.
 */
static void *xh_bpf_alloc(unsigned long size)
{
	struct xh_consumer *c = &xh_consumers[XH_BPF];
	size_t whole = ALIGN(size, PMD_SIZE);
	struct xm_region_info ri;
	void *p;

	/* force_fallback (testing): as if no 2 MiB page could be had. */
	if (whole && !READ_ONCE(xm_force_fallback) && xm_host_charge(whole)) {
		if (!xm_region_alloc_rw(&ri, whole, numa_mem_id())) {
			if (!xh_piece_add(c, ri.base, ri.size))
				return (void *)ri.base;
			vfree((void *)ri.base);	/* never protected: no split */
		}
		xm_host_uncharge(whole);
	}
	atomic_long_inc(&c->fallbacks);
	p = xm_call(orig_pack_alloc)(size);
	module_put(THIS_MODULE);
	return p;
}

/* In place of XM_HOST_PACK_FREE(@addr), for an area we served. */
static void xh_bpf_free(void *addr)
{
	struct xh_piece *p = xh_piece_take((unsigned long)addr);

	if (WARN_ON_ONCE(!p))	/* freed twice at once: the kernel's bug */
		return;
	xm_region_release_hosted(p->start, p->size);
	xm_host_uncharge(p->size);
	xh_piece_done(p);
	module_put(THIS_MODULE);
}

/* ---- kprobes ------------------------------------------------------------ */

/*
 * Give freed kprobe pages back to the pool from a work item: the kernel
 * frees them with text_mutex held, and the pool's free refills with int3
 * through text_poke.  A piece without consumer is a page never served.
 */
static void xh_free_work_fn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&xh.kprobes_freed);
	struct xh_piece *p, *tmp;

	llist_for_each_entry_safe(p, tmp, list, free_node) {
		xm_free_foreign((void *)p->start);
		if (p->c)
			xh_piece_done(p);
		else
			kfree(p);
	}
}

static void xh_free_later(struct xh_piece *p)
{
	llist_add(&p->free_node, &xh.kprobes_freed);
	schedule_work(&xh.free_work);
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
	struct xh_consumer *c = &xh_consumers[XH_KPROBES];
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

/*
 * The kernel keeps the last page of each kprobe slot cache, empty or not,
 * and frees pages with only dirty (unregistered) slots when it next needs
 * a slot: once a page was served, execmem would stay pinned for ever.
 * Turning kprobes hosting off gives back our pages that hold no live slot,
 * doing what kernel/kprobes.c's collect_garbage_slots() and
 * collect_one_slot() do, on pages we served only, under the cache's mutex.
 * struct kprobe_insn_page is private to kernel/kprobes.c, the same in 6.1,
 * 6.12 and 7.2; each page's back pointer to its cache is checked first.
 */
struct xh_kprobe_insn_page {
	struct list_head list;
	kprobe_opcode_t *insns;
	struct kprobe_insn_cache *cache;
	int nused;
	int ngarbage;
	char slot_used[];
};

enum { XH_SLOT_CLEAN, XH_SLOT_DIRTY, XH_SLOT_USED };

/* Make the dirty slots of @kip clean; true if it then holds none in use. */
static bool xh_kip_collect(struct kprobe_insn_cache *c,
			   struct xh_kprobe_insn_page *kip)
{
	int i, n = PAGE_SIZE / (c->insn_size * sizeof(kprobe_opcode_t));

	for (i = 0; i < n && kip->ngarbage; i++) {
		if (kip->slot_used[i] != XH_SLOT_DIRTY)
			continue;
		kip->slot_used[i] = XH_SLOT_CLEAN;
		kip->nused--;
		kip->ngarbage--;
		c->nr_garbage--;
	}
	return !kip->nused;
}

static void xh_kprobes_drain(const char *cache_sym)
{
	struct kprobe_insn_cache *c;
	struct xh_kprobe_insn_page *kip, *next;

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

/* ---- ftrace glue -------------------------------------------------------- */

#if XM_HOST_FTRACE
static bool notrace xh_caller_ok(const struct xh_consumer *c,
				 unsigned long parent)
{
	int i;

	if (!c->callers)
		return true;
	for (i = 0; i < c->nr_callers; i++)
		if (parent >= c->callers[i].start && parent < c->callers[i].end)
			return true;
	return false;
}

static void notrace xh_ftrace(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	struct xh_hook *h = container_of(ops, struct xh_hook, ops);
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (!regs)
		return;
	if (h->kind == XH_FREE) {
		/* Ours pin the module: no reference needed. */
		if (xh_is_ours(regs_get_kernel_argument(regs, 0)))
			xm_ftrace_set_ip(fregs, (unsigned long)h->target);
		return;
	}
	/* Our own fallback calls the kernel's function: let it through. */
	if (!READ_ONCE(h->c->enabled) || within_module(parent_ip, THIS_MODULE) ||
	    !xh_caller_ok(h->c, parent_ip))
		return;
	if (try_module_get(THIS_MODULE))
		xm_ftrace_set_ip(fregs, (unsigned long)h->target);
}

/* Register @h at h->addr; on failure, the reason in @why. */
static int xh_hook_register(struct xh_hook *h, const char **why)
{
	int ret;

	/*
	 * A fresh ops each time, as livepatch allocates one: after
	 * ftrace_free_filter() the old one still points at freed hashes.
	 */
	memset(&h->ops, 0, sizeof(h->ops));
	h->ops.func = xh_ftrace;
	h->ops.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY;
	ret = ftrace_set_filter_ip(&h->ops, h->addr, 0, 0);
	if (ret) {
		*why = "not-traceable";
		return ret;
	}
	ret = register_ftrace_function(&h->ops);
	if (ret) {
		ftrace_free_filter(&h->ops);
		*why = ret == -EBUSY ? "another-ipmodify-user" : "ftrace-refused";
	}
	return ret;
}

static void xh_hook_unregister(struct xh_hook *h)
{
	unregister_ftrace_function(&h->ops);
	ftrace_free_filter(&h->ops);
}
#else	/* a kernel without DYNAMIC_FTRACE_WITH_REGS: nothing is hosted */
static int xh_hook_register(struct xh_hook *h, const char **why)
{
	*why = "no-ftrace-ipmodify";
	return -EOPNOTSUPP;
}

static void xh_hook_unregister(struct xh_hook *h)
{
}
#endif

/* ---- are the hooked functions the ones the kernel calls? ---------------- */

/*
 * A kernel that allocated or freed through another function than the one
 * hooked would hand execmem's memory to vfree() (a kprobe page at a
 * region's base: the whole ROX region, without reset).  So, at placement,
 * each consumer checks that its hooks are on the kernel's path:
 *
 *   kprobes: the function pointers of the slot caches themselves:
 *            kprobe_insn_slots.alloc/.free are alloc_insn_page and
 *            free_insn_page; kprobe_optinsn_slots.free is free_optinsn_page
 *            (or free_insn_page where that one is absent), and its .alloc
 *            is alloc_insn_page or a function with a direct call or jmp to
 *            it (alloc_optinsn_page).
 *   bpf:     the pack allocator's code: each of bpf_prog_pack_alloc and
 *            alloc_new_pack (when not inlined) has a direct call to the
 *            hooked allocator, and bpf_prog_pack_free one to the hooked free.
 *            Found by decoding their instructions (the kernel's insn_decode),
 *            up to the function's end (at most XH_SCAN_MAX bytes).  This shows
 *            that the hooked function is called there, not that no other
 *            allocator is called as well; the callers are the only place
 *            the redirect acts (xh_caller_ok()).
 *
 * fail_hook_check=SYM (testing) expects the hooked SYM at an address where
 * no code is (1), so that the real check finds a mismatch.
 */
#define XH_SCAN_MAX	4096

static char *fail_hook_check;
module_param(fail_hook_check, charp, 0444);
MODULE_PARM_DESC(fail_hook_check,
		 "testing: at host= placement, act as if the kernel did not call this hooked function");

/* Where the kernel should be calling the hook of @sym (0: not placed). */
static unsigned long xh_expect(const struct xh_consumer *c, const char *sym)
{
	int i;

	for (i = 0; i < c->nr_hooks; i++) {
		const struct xh_hook *h = &c->hooks[i];

		if (!h->placed || strcmp(h->sym, sym))
			continue;
		if (fail_hook_check && !strcmp(fail_hook_check, sym))
			return 1;	/* no call can target it */
		return h->addr;
	}
	return 0;
}

/*
 * Whether the code of the function @fn has a direct call or jmp (rel32) to
 * @to, or to the call-depth-tracking thunk in @to's padding (the kernel
 * patches direct calls to it when retbleed=stuff).  Decoded from its start.
 */
static bool xh_calls(unsigned long fn, unsigned long to)
{
	unsigned long size, off, a, end, dest;
	struct insn insn;

	if (!fn || !to ||
	    !xm_call(kallsyms_lookup_size_offset)(fn, &size, &off))
		return false;
	fn -= off;
	end = fn + min_t(unsigned long, size, XH_SCAN_MAX);
	for (a = fn; a < end; a += insn.length) {
		if (xm_call(insn_decode)(&insn, (void *)a, MAX_INSN_SIZE,
					 INSN_MODE_KERN) < 0 || !insn.length)
			return false;
		if (insn.opcode.bytes[0] != 0xe8 && insn.opcode.bytes[0] != 0xe9)
			continue;
		dest = a + insn.length + (long)insn.immediate.value;
		if (dest <= to && to - dest <= XH_PADDING)
			return true;
	}
	return false;
}

static int xh_check_bpf(struct xh_consumer *c, const char **what)
{
	unsigned long alloc = xh_expect(c, c->orig);
	unsigned long free = xh_expect(c, __stringify(XM_HOST_PACK_FREE));
	int i;

	for (i = 0; i < c->nr_callers; i++) {
		*what = c->callers[i].sym;
		if (c->callers[i].start && !xh_calls(c->callers[i].start, alloc))
			return -EINVAL;
	}
	*what = "bpf_prog_pack_free";
	if (!xh_calls(xm_sym_lookup(*what), free))
		return -EINVAL;
	return 0;
}

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

/* ---- placing the hooks -------------------------------------------------- */

static void xh_unplace(struct xh_consumer *c)
{
	int i;

	for (i = c->nr_hooks - 1; i >= 0; i--) {
		struct xh_hook *h = &c->hooks[i];

		if (!h->placed)
			continue;
		xh_hook_unregister(h);
		h->placed = false;
	}
	c->placed = false;
}

static int xh_resolve_callers(struct xh_consumer *c)
{
	unsigned long size, off;
	int i, found = 0;

	for (i = 0; i < c->nr_callers; i++) {
		struct xh_caller *k = &c->callers[i];
		unsigned long a = xm_sym_lookup(k->sym);

		if (!a || !xm_call(kallsyms_lookup_size_offset)(a, &size, &off))
			continue;
		k->start = a - off;
		k->end = k->start + size;
		found++;
	}
	return found ? 0 : -ENOENT;
}

/* Register @h; on failure, the reason in @why. */
static int xh_place_hook(struct xh_hook *h, const char **why)
{
	int ret;

	h->addr = xm_sym_lookup(h->sym);
	if (!h->addr) {
		*why = "symbol-missing";
		return h->may_be_absent ? 0 : -ENOENT;
	}
	ret = xh_hook_register(h, why);
	if (ret)
		return ret;
	h->placed = true;
	return 0;
}

/* The kernel functions @c calls or needs resolved: the first missing, or NULL. */
static const char *xh_missing_sym(const struct xh_consumer *c)
{
	static const char * const need[] = {
		"kallsyms_lookup_size_offset", "find_vm_area", "insn_decode",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (!xm_sym_target(need[i]))
			return need[i];
	return xm_sym_target(c->orig) ? NULL : c->orig;
}

/* Under xh.lock: place every hook of @c, or none (one message why). */
static int xh_place(struct xh_consumer *c)
{
	const char *why = "ok", *what = xh_missing_sym(c);
	int i, ret = 0;

	if (what) {
		why = "symbol-missing";
		ret = -ENOENT;
	} else if (c->callers && xh_resolve_callers(c)) {
		what = c->callers[0].sym;
		why = "pack-allocator-missing";
		ret = -ENOENT;
	}
	for (i = 0; !ret && i < c->nr_hooks; i++) {
		c->hooks[i].c = c;
		what = c->hooks[i].sym;
		ret = xh_place_hook(&c->hooks[i], &why);
	}
	/* Placed but not enabled yet: nothing is redirected or served. */
	if (!ret && c->check(c, &what)) {
		why = "kernel-calls-another";
		ret = -EINVAL;
	}
	if (ret) {
		pr_warn("host=%s: cannot redirect %s (%s, %d): %s stays off\n",
			c->name, what, why, ret, c->name);
		xh_unplace(c);
		c->reason = why;
		return ret;
	}
	c->placed = true;
	return 0;
}

/*
 * Under xh.lock: turn @c on or off as asked.  True when the caller, once it
 * has dropped xh.lock, should give back the kprobe pages the kernel keeps
 * (xh_kprobes_off()): that takes kprobe locks, never under a lock of ours.
 */
static bool xh_apply(struct xh_consumer *c, bool on)
{
	if (on && !c->placed && xh_place(c)) {
		WRITE_ONCE(c->enabled, false);
		return false;
	}
	/* Off: new calls go to the kernel; frees of ours still come to us. */
	WRITE_ONCE(c->enabled, on);
	c->reason = on ? "-" : "not-requested";
	return !on && c->placed && c == &xh_consumers[XH_KPROBES];
}

static void xh_kprobes_off(void)
{
	/* Unoptimizing frees slots from a delayed work: let it finish. */
	xm_call(wait_for_kprobe_optimizer)();
	xh_kprobes_drain("kprobe_insn_slots");
	xh_kprobes_drain("kprobe_optinsn_slots");
}

/* ---- the host parameter ------------------------------------------------- */

static char xh_param[32];

/* Parse "bpf,kprobes" (either, both, or empty) into @want. */
static int xh_parse(const char *val, bool *want)
{
	char buf[sizeof(xh_param)], *s, *tok;
	int i;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -EINVAL;
	s = strim(buf);
	while ((tok = strsep(&s, ",")) != NULL) {
		if (!*tok)
			continue;
		for (i = 0; i < XH_NR; i++)
			if (!strcmp(tok, xh_consumers[i].name))
				break;
		if (i == XH_NR)
			return -EINVAL;
		want[i] = true;
	}
	return 0;
}

static int xh_param_set(const char *val, const struct kernel_param *kp)
{
	bool want[XH_NR] = { }, drain = false;
	int i, ret;

	ret = xh_parse(val, want);
	if (ret) {
		pr_warn_ratelimited("host=%s: expected a comma list of bpf and kprobes\n",
				    val);
		return ret;
	}
	mutex_lock(&xh.lock);
	xh_param[0] = '\0';
	for (i = 0; i < XH_NR; i++) {
		if (want[i]) {
			if (xh_param[0])
				strlcat(xh_param, ",", sizeof(xh_param));
			strlcat(xh_param, xh_consumers[i].name, sizeof(xh_param));
		}
		if (xh.ready)
			drain |= xh_apply(&xh_consumers[i], want[i]);
	}
	mutex_unlock(&xh.lock);
	if (drain)
		xh_kprobes_off();
	return 0;
}

static int xh_param_get(char *buffer, const struct kernel_param *kp)
{
	int i, n = 0;

	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++)
		if (READ_ONCE(xh_consumers[i].enabled))
			n += sysfs_emit_at(buffer, n, "%s%s", n ? "," : "",
					   xh_consumers[i].name);
	mutex_unlock(&xh.lock);
	return n + sysfs_emit_at(buffer, n, "\n");
}

static const struct kernel_param_ops xh_param_ops = {
	.set = xh_param_set,
	.get = xh_param_get,
};
module_param_cb(host, &xh_param_ops, NULL, 0644);
MODULE_PARM_DESC(host,
		 "host the kernel's own code: a comma list of bpf (BPF JIT packs) and kprobes (kprobe instruction pages); empty (default): none. Reads back what is on");

/* ---- views -------------------------------------------------------------- */

void xh_show(struct seq_file *m)
{
	int i;

	seq_puts(m, "consumer state served freed fallbacks live live_bytes reason\n");
	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++) {
		struct xh_consumer *c = &xh_consumers[i];

		seq_printf(m, "%s %s %ld %ld %ld %ld %ld %s\n", c->name,
			   READ_ONCE(c->enabled) ? "on" : "off",
			   atomic_long_read(&c->served),
			   atomic_long_read(&c->freed),
			   atomic_long_read(&c->fallbacks),
			   atomic_long_read(&c->live),
			   atomic_long_read(&c->live_bytes), c->reason);
	}
	mutex_unlock(&xh.lock);
}

/*
 * One row per hook: the function, whether it is redirected now, and the
 * facts of the redirect under IBT.  The ftrace trampoline reaches our
 * function by a return to the IP the callback set, not by an indirect
 * branch; our function starts with ENDBR64 all the same (its address is
 * taken), so that it would be a valid target either way.
 */
void xh_hooks_show(struct seq_file *m, bool show_addresses)
{
	static const u8 endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	int i, j;

	seq_puts(m, "consumer function kind placed target_endbr64 function_addr target\n");
	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++) {
		for (j = 0; j < xh_consumers[i].nr_hooks; j++) {
			const struct xh_hook *h = &xh_consumers[i].hooks[j];

			seq_printf(m, "%s %s %s %d %d %016lx %016lx\n",
				   xh_consumers[i].name, h->sym,
				   h->kind == XH_ALLOC ? "alloc" : "free", h->placed,
				   !memcmp(h->target, endbr64, sizeof(endbr64)),
				   show_addresses ? h->addr : 0,
				   show_addresses ? (unsigned long)h->target : 0);
		}
	}
	mutex_unlock(&xh.lock);
}

static const char *xh_level_name(int level)
{
	static const char * const names[] = { "none", "4K", "2M", "1G" };

	return level >= 0 && level < ARRAY_SIZE(names) ? names[level] : "none";
}

void xh_hosted_show(struct seq_file *m, bool show_addresses)
{
	struct xh_piece *p;
	unsigned long i;

	seq_puts(m, "consumer start size level rox\n");
	rcu_read_lock();
	xa_for_each(&xh.pieces, i, p)
		seq_printf(m, "%s %016lx %zu %s %d\n", p->c->name,
			   show_addresses ? p->start : 0, p->size,
			   xh_level_name(xm_mapping_level(p->start)),
			   xm_mapping_rox(p->start));
	rcu_read_unlock();
}

/* ---- init and exit ------------------------------------------------------ */

void xh_init(void)
{
	bool want[XH_NR] = { };
	int i;

	INIT_WORK(&xh.free_work, xh_free_work_fn);
	mutex_lock(&xh.lock);
	xh.ready = true;
	/* What the host= given at load asked for (xh_param_set() stored it). */
	xh_parse(xh_param, want);
	for (i = 0; i < XH_NR; i++)
		xh_apply(&xh_consumers[i], want[i]);
	mutex_unlock(&xh.lock);
}

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
	struct xh_kprobe_insn_page *kip;
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

/*
 * bpf: the kernel's free of a pack vfree()s it.  It marked the pack
 * VM_FLUSH_RESET_PERMS itself when it protected it (set_vm_flush_reset_perms()
 * in 6.1, 6.12, 7.2); mark it again, in case it had not yet, so that vfree()
 * resets its direct-map alias (page by page: that splits the direct map, as
 * on the stock kernel).
 */
static void xh_abandon_pieces(void)
{
	struct xh_piece *p;
	struct vm_struct *vm;
	unsigned long i, packs = 0;

	xa_for_each(&xh.pieces, i, p) {
		xa_erase(&xh.pieces, i);
		if (p->c == &xh_consumers[XH_BPF]) {
			vm = xm_call(find_vm_area)((void *)p->start);
			if (!WARN_ON_ONCE(!vm))
				vm->flags |= VM_FLUSH_RESET_PERMS;
			packs++;
		}
		kfree_rcu(p, rcu);	/* the census may be looking */
	}
	if (packs)
		pr_warn("forced unload: %lu BPF pack(s) left to the kernel's own free\n",
			packs);
}

/* Nothing served is live (every piece pins the module) unless @forced. */
void xh_exit(bool forced)
{
	int i;

	mutex_lock(&xh.lock);
	xh.ready = false;
	for (i = 0; i < XH_NR; i++)
		WRITE_ONCE(xh_consumers[i].enabled, false);
	mutex_unlock(&xh.lock);
	if (forced) {	/* before the free hooks go */
		xh_kprobes_pin("kprobe_insn_slots");
		xh_kprobes_pin("kprobe_optinsn_slots");
	}
	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++)
		xh_unplace(&xh_consumers[i]);
	mutex_unlock(&xh.lock);
	flush_work(&xh.free_work);
	if (forced)
		xh_abandon_pieces();
	WARN_ON_ONCE(!xa_empty(&xh.pieces));
	xa_destroy(&xh.pieces);
}
