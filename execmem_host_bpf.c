// SPDX-License-Identifier: GPL-2.0
/*
 * Hosting, the bpf consumer: each new BPF pack is served a whole, fresh,
 * writable 2 MiB-mapped area, which the kernel fills and makes ROX itself
 * (over whole 2 MiB: nothing splits).
 *
 * Redirected: the pack allocator's call for a pack's memory
 * (XM_HOST_PACK_ALLOC, execmem_compat.h), and only when made from
 * bpf_prog_pack_alloc / alloc_new_pack.  A request larger than a pack gets
 * whole 2 MiB regions.  Freed through XM_HOST_PACK_FREE, intercepted for
 * the areas we served only: permissions restored over the whole area,
 * VM_FLUSH_RESET_PERMS cleared, vfree() (execmem_huge.c).  When no 2 MiB
 * page can be had the kernel's own allocator serves the call (counted in
 * fallbacks) through a static call.  A BPF area holds a module reference
 * until it is freed, and counts against max_bytes with the pool's regions
 * (xm_host_area_alloc()).  The mechanism: execmem_host.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>
#include <linux/string.h>
#include "execmem_host.h"
#include "execmem_host_core.h"
#include "execmem_alloc_host.h"
#include "execmem_syms.h"
#include "execmem_trace.h"

static void *xh_bpf_alloc(unsigned long size);
static void xh_bpf_free(void *addr);
static int xh_check_bpf(struct xh_consumer *c, const char **what);
static void xh_bpf_abandon(struct xh_piece *p);

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

struct xh_consumer xh_bpf = {
	.name = "bpf",
	.orig = __stringify(XM_HOST_PACK_ALLOC),
	.hooks = xh_bpf_hooks, .nr_hooks = ARRAY_SIZE(xh_bpf_hooks),
	.callers = xh_bpf_callers,
	.nr_callers = ARRAY_SIZE(xh_bpf_callers),
	.check = xh_check_bpf,
	.abandon = xh_bpf_abandon,
	.abandoned = "BPF pack(s)",
	.reason = "not-requested",
};

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
	p = xh_piece_at(start);
	bpf = p && p->start == start && p->c == &xh_bpf;
	rcu_read_unlock();
	return bpf;
}

/*
 * In place of XM_HOST_PACK_ALLOC(@size), called by the pack allocator with
 * a module reference taken for us by the callback.  Served: the reference
 * stays with the area until it is freed.
 */
static void *xh_bpf_alloc(unsigned long size)
{
	struct xh_consumer *c = &xh_bpf;
	size_t whole = ALIGN(size, PMD_SIZE);
	void *p = xm_host_area_alloc(whole);

	if (p) {
		if (!xh_piece_add(c, (unsigned long)p, whole))
			return p;
		xm_host_area_drop(p, whole);
	}
	atomic_long_inc(&c->fallbacks);
	p = xm_call(orig_pack_alloc)(size);
	trace_execmem_host(c->name, true, (unsigned long)p, size, false);
	module_put(THIS_MODULE);
	return p;
}

/* In place of XM_HOST_PACK_FREE(@addr), for an area we served. */
static void xh_bpf_free(void *addr)
{
	struct xh_piece *p = xh_piece_take((unsigned long)addr);

	if (WARN_ON_ONCE(!p))	/* freed twice at once: the kernel's bug */
		return;
	xm_host_area_free((void *)p->start, p->size);
	xh_piece_done(p);
	module_put(THIS_MODULE);
}

/* ---- does the kernel call the hooks? (execmem_host.c, xh_place()) ------- */

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

/*
 * rmmod -f: the kernel's free of a pack vfree()s it.  It marked the pack
 * VM_FLUSH_RESET_PERMS itself when it protected it (set_vm_flush_reset_perms()
 * in 6.1, 6.12, 7.2); mark it again, in case it had not yet, so that vfree()
 * resets its direct-map alias (page by page: that splits the direct map, as
 * on the stock kernel).
 */
static void xh_bpf_abandon(struct xh_piece *p)
{
	struct vm_struct *vm = xm_call(find_vm_area)((void *)p->start);

	if (!WARN_ON_ONCE(!vm))
		vm->flags |= VM_FLUSH_RESET_PERMS;
}
