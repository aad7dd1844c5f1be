// SPDX-License-Identifier: GPL-2.0
/*
 * 2 MiB read-only+executable regions in the module area.
 *
 * A region is N x 2 MiB of vmalloc space in [MODULES_VADDR, MODULES_END),
 * 2 MiB aligned, backed by 2 MiB pages (VM_ALLOW_HUGE_VMAP) and so mapped by
 * PMD leaves.  Its life:
 *
 *   map:   vmalloc (writable, not executable) -> fill with int3 ->
 *          set_memory_rox over the whole range.  CPA changes the direct-map
 *          alias of each 2 MiB page as a whole, so nothing is split.
 *   use:   written only through text_poke (execmem_alloc.c).
 *   unmap: set_memory_nx then set_memory_rw over the whole range (never W+X,
 *          again no split), then vfree().  We never set VM_FLUSH_RESET_PERMS:
 *          vfree() would then reset the direct map page by page, which split
 *          a 2 MiB direct-map page in our measurements.
 *
 * When the page allocator has no 2 MiB page, vmalloc falls back to 4 KiB
 * pages by itself; such a region is still usable and is flagged (fallback),
 * but making its pages read-only splits their direct-map alias: that
 * is the cost the 2 MiB path avoids, and it is counted.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/pgtable.h>
#include "execmem_leaf.h"
#include "execmem_regions.h"
#include "execmem_syms.h"
#include "execmem_trace.h"

int xm_mapping_level(unsigned long addr)
{
	struct xm_leaf l;

	return xm_leaf_at(addr, &l) && l.present ? l.level : 0;
}

bool xm_mapping_rox(unsigned long addr)
{
	struct xm_leaf l;

	return xm_leaf_at(addr, &l) && xm_leaf_rox(&l);
}

/*
 * @keep_4k: a region vmalloc'ed with 4 KiB mappings must stay so, and
 * set_memory_rox() may fold it into a 2 MiB leaf (see execmem_compat.h):
 * make it read-only, then executable, which is never W+X either and never
 * collapses.
 */
static int xm_set_rox(unsigned long addr, int npages, bool keep_4k)
{
	int ret;

#if XM_HAVE_SET_MEMORY_ROX
	if (!keep_4k)
		return xm_call(set_memory_rox)(addr, npages);
#endif
	ret = xm_call(set_memory_ro)(addr, npages);
	return ret ? ret : xm_call(set_memory_x)(addr, npages);
}

static int xm_set_rw_nx(unsigned long addr, int npages)
{
	int ret = xm_call(set_memory_nx)(addr, npages);

	return ret ? ret : xm_call(set_memory_rw)(addr, npages);
}

/* 2 MiB-aligned, writable vmalloc space of the module area, or NULL. */
static void *xm_region_vmalloc(size_t size, int node, bool allow_huge)
{
	unsigned long vm_flags = allow_huge ? VM_ALLOW_HUGE_VMAP : 0;
	void *p;

	p = xm_call(vmalloc_range)(size, PMD_SIZE, MODULES_VADDR, MODULES_END,
				   GFP_KERNEL | __GFP_NOWARN, PAGE_KERNEL,
				   vm_flags, node, __builtin_return_address(0));
	if (p && WARN_ON_ONCE(!IS_ALIGNED((unsigned long)p, PMD_SIZE))) {
		vfree(p);
		p = NULL;
	}
	return p;
}

/* Fill what the vmalloc'ed region at @p is made of into @ri. */
static void xm_region_describe(struct xm_region_info *ri, void *p, size_t size)
{
	unsigned long off;

	ri->base = (unsigned long)p;
	ri->size = size;
	ri->node = page_to_nid(vmalloc_to_page(p));
	ri->fallback = false;
	for (off = 0; off < size; off += PMD_SIZE)
		if (xm_mapping_level(ri->base + off) != 2)
			ri->fallback = true;
}

int xm_region_map(struct xm_region_info *ri, size_t size, int node,
		  bool allow_huge)
{
	int npages = size >> PAGE_SHIFT;
	void *p;
	int ret;

	p = xm_region_vmalloc(size, node, allow_huge);
	if (!p) {
		trace_execmem_region_map(NULL, size, node, false, -ENOMEM);
		return -ENOMEM;
	}
	/* int3 everywhere before the region ever becomes executable. */
	memset(p, 0xcc, size);
	ret = xm_set_rox((unsigned long)p, npages, !allow_huge);
	if (!ret) {
		xm_region_describe(ri, p, size);
		trace_execmem_region_map(ri, size, node, false, 0);
		return 0;
	}
	pr_err_ratelimited("set_memory_rox(%p, %d) failed: %d\n", p, npages, ret);
	trace_execmem_region_map(NULL, size, node, false, ret);
	/* Undo whatever part of it took effect; leak rather than corrupt. */
	if (!xm_set_rw_nx((unsigned long)p, npages))
		vfree(p);
	return ret;
}

void xm_region_unmap(unsigned long base, size_t size)
{
	int ret;

	ret = xm_set_rw_nx(base, size >> PAGE_SHIFT);
	trace_execmem_region_release(base, size, ret);
	if (ret) {
		/* Never hand read-only or executable pages back: leak them. */
		pr_err_ratelimited("cannot restore permissions of region %p: %d; leaking it\n",
				   (void *)base, ret);
		return;
	}
	vfree((void *)base);
}

/*
 * For hosting (xm_host_area_alloc()): a whole, fresh, writable 2 MiB-mapped
 * area for the kernel's BPF pack allocator, which fills and protects it.
 * Returns 0 with @ri filled only if every 2 MiB of it is one PMD leaf: an
 * area vmalloc had to map with 4 KiB pages is freed at once (it was never
 * protected, so nothing is split) and the caller falls back to the kernel.
 */
int xm_region_alloc_rw(struct xm_region_info *ri, size_t size, int node)
{
	void *p = xm_region_vmalloc(size, node, true);

	if (!p) {
		trace_execmem_region_map(NULL, size, node, true, -ENOMEM);
		return -ENOMEM;
	}
	xm_region_describe(ri, p, size);
	trace_execmem_region_map(ri, size, node, true, ri->fallback ? -ENOMEM : 0);
	if (ri->fallback) {
		vfree(p);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Give back an area of xm_region_alloc_rw() the kernel protected and then
 * freed: as a whole, never page by page.  The kernel marked it
 * VM_FLUSH_RESET_PERMS (set_vm_flush_reset_perms()), with which vfree()
 * would reset the direct map one 4 KiB page at a time and split it: clear
 * the flag and restore the permissions over the whole range ourselves.
 */
void xm_region_release_hosted(unsigned long base, size_t size)
{
	struct vm_struct *vm = xm_call(find_vm_area)((void *)base);

	if (WARN_ON_ONCE(!vm || (unsigned long)vm->addr != base))
		return;		/* not a vmalloc area of its own: leak it */
	vm->flags &= ~VM_FLUSH_RESET_PERMS;
	xm_region_unmap(base, size);
}
