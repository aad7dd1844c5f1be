// SPDX-License-Identifier: GPL-2.0
/*
 * Hosting the kernel's own generated code: BPF JIT packs and kprobe
 * instruction pages, on a stock kernel, opt-in (host=bpf,kprobes).  This
 * file is the redirect mechanism, as livepatch's core is for its patches:
 * the hooks, their placement and its checks, the ftrace callback, the
 * served pieces, init and exit.  The consumers are one file each
 * (execmem_host_bpf.c, execmem_host_kprobes.c, their interface
 * execmem_host_core.h), the host= parameter and the views another
 * (execmem_host_param.c).
 *
 * Each consumer's allocator and free functions are redirected with ftrace
 * (IPMODIFY, as livepatch redirects a function): the callback changes the
 * return address of the fentry call so that the call lands, with its
 * arguments, in a function of ours of the same prototype.  In short (the
 * consumers' files say more):
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
 * counts against max_bytes with the pool's regions (xm_host_area_alloc()); a
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
#include <linux/string.h>
#include "execmem_host.h"
#include "execmem_host_core.h"
#include "execmem_syms.h"
#include "execmem_trace.h"

struct xh_state xh = {
	.lock = __MUTEX_INITIALIZER(xh.lock),
	.pieces = XARRAY_INIT(xh.pieces, 0),
};

/*
 * The consumers, in the order host= names them: a third is one more entry
 * here, its declaration in execmem_host_core.h and its file.
 */
struct xh_consumer *const xh_consumers[XH_NR] = { &xh_bpf, &xh_kprobes };

/* ---- what the ftrace callback looks at ------------------------------------ */

bool notrace xh_is_ours(unsigned long addr)
{
	return PAGE_ALIGNED(addr) && xa_load(&xh.pieces, addr >> PAGE_SHIFT);
}

/* ---- pieces ------------------------------------------------------------- */

int xh_piece_add(struct xh_consumer *c, unsigned long start, size_t size)
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
	trace_execmem_host(c->name, true, start, size, true);
	return 0;
}

/* Take the piece at @start out of the list: from now on not ours to see. */
struct xh_piece *xh_piece_take(unsigned long start)
{
	return xa_erase(&xh.pieces, start >> PAGE_SHIFT);
}

void xh_piece_done(struct xh_piece *p)
{
	trace_execmem_host(p->c->name, false, p->start, p->size, true);
	atomic_long_inc(&p->c->freed);
	atomic_long_dec(&p->c->live);
	atomic_long_sub(p->size, &p->c->live_bytes);
	kfree_rcu(p, rcu);
}

/* The piece that begins at page @start, or NULL; the caller holds RCU. */
struct xh_piece *xh_piece_at(unsigned long start)
{
	return xa_load(&xh.pieces, start >> PAGE_SHIFT);
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
unsigned long xh_expect(const struct xh_consumer *c, const char *sym)
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
bool xh_calls(unsigned long fn, unsigned long to)
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
 * has dropped xh.lock, should call c->off() to give back what the kernel
 * keeps (kprobes: its cached pages): that takes the kernel's locks, never
 * under a lock of ours.
 */
bool xh_apply(struct xh_consumer *c, bool on)
{
	if (on && !c->placed && xh_place(c)) {
		WRITE_ONCE(c->enabled, false);
		return false;
	}
	/* Off: new calls go to the kernel; frees of ours still come to us. */
	WRITE_ONCE(c->enabled, on);
	c->reason = on ? "-" : "not-requested";
	return !on && c->placed && c->off;
}

/* ---- init and exit ------------------------------------------------------ */

void xh_init(void)
{
	bool want[XH_NR] = { };
	int i;

	mutex_lock(&xh.lock);
	xh.ready = true;
	xh_param_wanted(want);
	for (i = 0; i < XH_NR; i++)
		xh_apply(xh_consumers[i], want[i]);
	mutex_unlock(&xh.lock);
}

/*
 * rmmod -f with hosted memory live: once execmem is gone, the kernel frees
 * what it still holds through its own functions, which must then be
 * harmless: each consumer's pin() (before the free hooks go) and abandon()
 * (for each piece left) see to it.
 */
static void xh_abandon_pieces(void)
{
	unsigned long i, n[XH_NR] = { };
	struct xh_piece *p;
	int k;

	xa_for_each(&xh.pieces, i, p) {
		xa_erase(&xh.pieces, i);
		for (k = 0; k < XH_NR; k++) {
			if (p->c != xh_consumers[k] || !p->c->abandon)
				continue;
			p->c->abandon(p);
			n[k]++;
		}
		kfree_rcu(p, rcu);	/* the census may be looking */
	}
	for (k = 0; k < XH_NR; k++)
		if (n[k])
			pr_warn("forced unload: %lu %s left to the kernel's own free\n",
				n[k], xh_consumers[k]->abandoned);
}

/* Nothing served is live (every piece pins the module) unless @forced. */
void xh_exit(bool forced)
{
	int i;

	mutex_lock(&xh.lock);
	xh.ready = false;
	for (i = 0; i < XH_NR; i++)
		WRITE_ONCE(xh_consumers[i]->enabled, false);
	mutex_unlock(&xh.lock);
	for (i = 0; forced && i < XH_NR; i++)	/* before the free hooks go */
		if (xh_consumers[i]->pin)
			xh_consumers[i]->pin();
	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++)
		xh_unplace(xh_consumers[i]);
	mutex_unlock(&xh.lock);
	for (i = 0; i < XH_NR; i++)
		if (xh_consumers[i]->flush)
			xh_consumers[i]->flush();
	if (forced)
		xh_abandon_pieces();
	WARN_ON_ONCE(!xa_empty(&xh.pieces));
	xa_destroy(&xh.pieces);
}
