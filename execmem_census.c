// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs "census": the kernel's direct map, leaf by leaf, and who split it.
 *
 * 1. The module area [MODULES_VADDR, MODULES_END) is walked by page-table
 *    level; every present 4 KiB page of it (and every 4 KiB page of a 2 MiB
 *    leaf) gets an owner: the module whose memory holds it (with the
 *    section), else a kprobe instruction page, an ftrace trampoline, else the
 *    vmalloc area around it: execmem's own region (its caller is in this
 *    module), a BPF pack (a BPF program lies in the area), or "other" with
 *    the caller (%ps).  Owners are recorded per physical extent.
 * 2. The direct map [PAGE_OFFSET, PAGE_OFFSET + 2^MAX_PHYSMEM_BITS), or up to
 *    VMALLOC_START when that comes first (KASLR), is walked
 *    by page-table level: one read per empty 512 GiB / 1 GiB / 2 MiB entry,
 *    one per 1 GiB or 2 MiB leaf, and the 512 entries of a PTE table read in
 *    one go (not a lookup per 4 KiB page).  Holes in physical memory are
 *    empty entries, skipped at the level they appear.  Every 4 KiB page with
 *    permissions other than the default (read-only, executable, not present,
 *    or not write-back) is attributed through its pfn to the owner of its
 *    module-area alias, to the kernel image, or to nobody ("unattributed").
 *
 * Locking.  No lock is held across the walk: page tables are read into
 * local copies, one entry at a time (8-byte loads, as READ_ONCE()), with
 * copy_from_kernel_nofault(); a PTE table is read, then its PMD is read
 * again and the table discarded and re-read if the PMD changed.  The only locks taken are
 * the ones __module_address() (RCU, preemption off for one lookup) and
 * find_vm_area() (the vmap area lock, for one lookup) take themselves, per
 * page or area: module loading is never blocked for longer than one such
 * lookup.  cond_resched() runs every 64 steps.  The result is therefore not
 * an atomic snapshot: a split happening during the walk may or may not be
 * seen.  A table the kernel frees at that moment (7.2's CPA collapse, or a
 * huge vmap replacing a PTE table in the module area) may by then be absent
 * from the direct map (debug_pagealloc unmaps free pages; secretmem and
 * vm_reset_perms() remove pages from it): the re-check catches stale data,
 * the nofault read turns an unmapped table into a skipped entry, never a
 * fault.  The same holds for the vm_struct find_vm_area() returned.
 *
 * The text is built once per open() into a buffer (read() serves it), so a
 * reader that reads in small pieces sees one census.  One census at a time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/filter.h>
#include <linux/ftrace.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/pgtable.h>
#include "execmem_census.h"
#include "execmem_syms.h"
#include "execmem_resolve.h"
#include "execmem_census_core.h"
#include "execmem_host.h"

/*
 * Read *@p into @v without faulting: false if it is not mapped (now).
 * Aligned 8-byte entries are read with one load each.
 */
#define xc_nofault(p, v)	(!copy_from_kernel_nofault(&(v), (p), sizeof(v)))

/*
 * The census' own non-exported functions, IBT-safe static calls bound by
 * the engine of execmem_resolve.h like execmem_syms.c's, but at the first
 * census and optional: one that cannot be resolved leaves its classifier
 * out ("resolved" lines of the output), it never fails the load of
 * execmem.  find_vm_area is execmem's own (execmem_host_syms_list.h).
 */
DEFINE_STATIC_CALL_RET0(xc_is_insn_slot_addr, __is_insn_slot_addr);
DEFINE_STATIC_CALL_RET0(xc_is_bpf_text_address, is_bpf_text_address);
DEFINE_STATIC_CALL_RET0(xc_is_ftrace_trampoline, is_ftrace_trampoline);

enum { XC_INSN_SLOT, XC_BPF_TEXT, XC_FTRACE_TRAMP, XC_NSYMS };

#define XC_SYM(name, function)	XM_SYM_ENTRY(xc_, name, function, true)

static struct xm_sym xc_syms[XC_NSYMS] = {
	[XC_INSN_SLOT] = XC_SYM(is_insn_slot_addr, __is_insn_slot_addr),
	[XC_BPF_TEXT] = XC_SYM(is_bpf_text_address, is_bpf_text_address),
	[XC_FTRACE_TRAMP] = XC_SYM(is_ftrace_trampoline, is_ftrace_trampoline),
};

static struct kprobe_insn_cache *xc_insn_caches[2];
static unsigned long xc_image_start, xc_image_end;	/* physical */
static bool xc_resolved;
static DEFINE_MUTEX(xc_mutex);	/* one census at a time; resolution */

static void xc_resolve(void)
{
	unsigned long text, end;

	if (xc_resolved)
		return;
	xm_syms_resolve(xc_syms, XC_NSYMS, xm_sym_lookup);	/* optional */
	xc_insn_caches[0] = (void *)xm_sym_lookup("kprobe_insn_slots");
	xc_insn_caches[1] = (void *)xm_sym_lookup("kprobe_optinsn_slots");
	/* The kernel image, physical: its high mapping minus the offset. */
	text = xm_sym_lookup("_text");
	end = xm_sym_lookup("_end");
	if (text && end > text) {
		xc_image_start = text - __START_KERNEL_map + phys_base;
		xc_image_end = end - __START_KERNEL_map + phys_base;
	}
	xc_resolved = true;
}

/* ---- output buffer ------------------------------------------------------ */

struct xc_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static __printf(2, 3) void xc_printf(struct xc_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *np;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t cap = max(need, 2 * b->cap);

		np = kvmalloc(cap, GFP_KERNEL);
		if (!np) {
			b->oom = true;
			return;
		}
		memcpy(np, b->p, b->len);
		kvfree(b->p);
		b->p = np;
		b->cap = cap;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += n;
}

/* ---- state of one census ------------------------------------------------ */

#define XC_MAX_OWNERS		256
#define XC_RESCHED_STEPS	64

struct xc_range {
	u64 phys;
	u8 level;		/* 2: a 2 MiB range, 3: a 1 GiB range */
	u8 status;		/* enum xc_status; XC_LEAF for an intact leaf */
	DECLARE_BITMAP(owners, XC_MAX_OWNERS);	/* of its changed pages */
	struct xc_counts c;
};

#define XC_LEAF	0xff		/* an intact leaf with non-default pages */

struct xc_state {
	/* module area */
	struct xc_extents ext;
	struct xc_owner *owners;
	int nowners;
	unsigned long ma_pages, ma_leaves_4k, ma_leaves_2m;
	/* vmalloc area owner cache: one area at a time */
	unsigned long vm_start, vm_end;
	int vm_owner;
	/* direct map */
	u64 leaves_1g, leaves_2m, leaves_4k;
	u64 leaves_1g_nondef, leaves_2m_nondef;
	u64 split_1g, split_2m, split_2m_st[3], split_1g_st[3];
	struct xc_counts pages;		/* 4 KiB leaves */
	u64 pages_large_nondef;		/* 4 KiB pages in non-default large leaves */
	u64 unattributed, steps;
	struct xc_range *ranges;
	size_t nranges, cap_ranges;
	/* mapped physical extents (for the picture) */
	u64 map_start, map_end;
	struct xc_buf maps;
	/* cost */
	u64 us_modules, us_direct, bytes;
	u64 *ptes;			/* one PTE table, read in one go */
	/* the kernel image's high mapping */
	u64 img_leaves_2m, img_split_2m;
	/* 1 GiB ranges below PMD tables (only with 1 GiB pages) */
	bool gb;
	struct xc_counts pud_counts;
	int err;
	bool show;			/* physical addresses shown to this reader */
	u32 cur_range;
};

static void *xc_grow(void *old, size_t n, size_t *cap, size_t size)
{
	size_t ncap = *cap ? 2 * *cap : 1024;
	void *p = kvmalloc_array(ncap, size, GFP_KERNEL);

	if (!p)
		return NULL;
	if (old)
		memcpy(p, old, n * size);
	kvfree(old);
	*cap = ncap;
	return p;
}

static int xc_owner(struct xc_state *s, enum xc_class cl, const char *name)
{
	return xc_owner_get(s->owners, &s->nowners, XC_MAX_OWNERS, cl, name);
}

/* ---- module area: owners -------------------------------------------------- */

static const char *xc_mod_section(const struct module *mod, unsigned long va)
{
#if XM_HAVE_MOD_MEM
	for_each_mod_mem_type(t) {
		const struct module_memory *m = &mod->mem[t];

		if (va - (unsigned long)m->base >= m->size)
			continue;
		switch (t) {
		case MOD_TEXT:
			return "text";
		case MOD_RODATA:
			return "rodata";
		case MOD_RO_AFTER_INIT:
			return "ro_after_init";
		case MOD_DATA:
			return "data";
		case MOD_INIT_TEXT:
			return "init_text";
		default:
			return "init_data";
		}
	}
#else
	unsigned long off = va - (unsigned long)mod->core_layout.base;

	if (off < mod->core_layout.size) {
		if (off < mod->core_layout.text_size)
			return "text";
		if (off < mod->core_layout.ro_size)
			return "rodata";
		if (off < mod->core_layout.ro_after_init_size)
			return "ro_after_init";
		return "data";
	}
	off = va - (unsigned long)mod->init_layout.base;
	if (off < mod->init_layout.size)
		return off < mod->init_layout.text_size ? "init_text" : "init_data";
#endif
	return "other";
}

/* The module owning @va as "name/section", into @name; false if none. */
static bool xc_module_of(unsigned long va, char *name, size_t len)
{
	const struct module *mod;

	rcu_read_lock();	/* *mod stays valid while we read it */
	mod = xm_module_of(va);
	if (mod)
		snprintf(name, len, "%s/%s", mod->name, xc_mod_section(mod, va));
	rcu_read_unlock();
	return mod;
}

static bool xc_is_kprobe_page(unsigned long va)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(xc_insn_caches); i++)
		if (xc_insn_caches[i] &&
		    static_call(xc_is_insn_slot_addr)(xc_insn_caches[i], va))
			return true;
	return false;
}

/*
 * @caller's symbol in @name.  "%ps" prints an address kallsyms cannot name
 * (a caller in freed module memory, or none) as raw hex, which would bypass
 * kptr_restrict: a placeholder instead.  No symbol name begins with "0x".
 */
static void xc_caller_name(char *name, size_t len, const void *caller)
{
	snprintf(name, len, "%ps", caller);
	if (str_has_prefix(name, "0x"))
		strscpy(name, "unknown_caller", len);
}

/* The owner of a vmalloc area of the module area, from the area itself. */
static int xc_area_owner(struct xc_state *s, unsigned long start,
			 unsigned long size, const void *caller)
{
	char name[XC_NAME_LEN];
	unsigned long a;

	if (xm_module_of((unsigned long)caller) == THIS_MODULE) {
		/* an area execmem served as a BPF pack (host=bpf) */
		if (xh_is_bpf_pack(start))
			return xc_owner(s, XC_CL_BPF, "hosted_pack");
		return xc_owner(s, XC_CL_EXECMEM, "region");
	}
	xc_caller_name(name, sizeof(name), caller);
	if (strstr(name, "bpf"))
		return xc_owner(s, XC_CL_BPF, name);
	if (strstr(name, "insn_page"))
		return xc_owner(s, XC_CL_KPROBES, name);
	if (strstr(name, "ftrace"))
		return xc_owner(s, XC_CL_FTRACE, name);
	/*
	 * 6.12+ allocates BPF packs through the kernel's execmem_alloc(): the
	 * caller says nothing.  A BPF program (64-byte chunks) in the area
	 * does.  Bounded: areas up to 4 MiB, once per area per census.
	 */
	if (xc_syms[XC_BPF_TEXT].target && size <= SZ_4M + PAGE_SIZE) {
		for (a = start; a < start + size; a += 64) {
			if (static_call(xc_is_bpf_text_address)(a))
				return xc_owner(s, XC_CL_BPF, "bpf_prog_pack");
		}
	}
	return xc_owner(s, XC_CL_OTHER, name);
}

/* The owner of the module-area page at @va. */
static int xc_page_owner(struct xc_state *s, unsigned long va)
{
	char name[XC_NAME_LEN];
	struct vm_struct *vm, v;

	if (xc_module_of(va, name, sizeof(name)))
		return xc_owner(s, XC_CL_MODULE, name);
	if (xc_is_kprobe_page(va))
		return xc_owner(s, XC_CL_KPROBES, "kprobe_insn_page");
	if (static_call(xc_is_ftrace_trampoline)(va))
		return xc_owner(s, XC_CL_FTRACE, "ftrace_trampoline");
	if (va >= s->vm_start && va < s->vm_end)
		return s->vm_owner;
	/*
	 * find_vm_area() takes the vmap area lock itself; the area may be
	 * freed right after it returns, and its slab page with it (unmapped
	 * under debug_pagealloc): copy it at once, without faulting.  A stale
	 * copy gives a wrong name, never a fault.
	 */
	vm = xm_call(find_vm_area)((void *)va);
	if (!vm || !xc_nofault(vm, v))
		return xc_owner(s, XC_CL_OTHER, "no_vm_area");
	s->vm_start = (unsigned long)v.addr;
	s->vm_end = s->vm_start + v.size;
	s->vm_owner = xc_area_owner(s, s->vm_start, v.size, v.caller);
	return s->vm_owner;
}

static void xc_extent(struct xc_state *s, u64 pfn, int owner)
{
	void *p;

	if (owner < 0 || s->err)
		return;
	if (!xc_extent_add(&s->ext, pfn, 1, owner))
		return;
	p = xc_grow(s->ext.v, s->ext.n, &s->ext.cap, sizeof(*s->ext.v));
	if (!p) {
		s->err = -ENOMEM;
		return;
	}
	s->ext.v = p;
	xc_extent_add(&s->ext, pfn, 1, owner);
}

static void xc_ma_page(struct xc_state *s, unsigned long va, u64 pfn)
{
	s->ma_pages++;
	xc_extent(s, pfn, xc_page_owner(s, va));
}

/* ---- page-table walking ---------------------------------------------------- */

/*
 * Visit [start, end) of the kernel page tables (the ones of the current mm:
 * its kernel half is the kernel's, on every x86-64 mm).  @leaf is called
 * per leaf with its level (1: 4K, 2: 2M, 3: 1G) and entry; @pte_table with
 * the 512 entries of a PTE table (for a 2 MiB-aligned @addr).
 */
enum xc_walk_kind { XC_WALK_MODULES, XC_WALK_DIRECT, XC_WALK_IMAGE };

static void xc_dm_leaf(struct xc_state *s, unsigned long addr, int level,
		       u64 val);
static void xc_dm_pte_table(struct xc_state *s, unsigned long addr,
			    const u64 *ptes);
static void xc_dm_pud_table_done(struct xc_state *s, unsigned long addr);

static bool xc_read_ptes(pmd_t *pmdp, pmd_t pmd, unsigned long addr, u64 *out)
{
	pte_t *pte = pte_offset_kernel(&pmd, addr);
	pmd_t now;

	BUILD_BUG_ON(sizeof(*pte) != sizeof(*out));
	if (copy_from_kernel_nofault(out, pte, XC_PTRS * sizeof(*out)))
		return false;
	/* The table was the PMD's all along? */
	return xc_nofault(pmdp, now) && pmd_val(now) == pmd_val(pmd);
}

/* The PTE table under *@pmdp into @ptes; false if it is none or kept changing. */
static bool xc_pte_table(pmd_t *pmdp, pmd_t pmd, unsigned long addr, u64 *ptes)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (pmd_none(pmd) || pmd_leaf(pmd) || !pmd_present(pmd))
			return false;
		if (xc_read_ptes(pmdp, pmd, addr, ptes))
			return true;
		if (!xc_nofault(pmdp, pmd))
			return false;
	}
	return false;	/* changing under us: skip it this time */
}

/* Module area: every 4 KiB page of a 2 MiB leaf, or of a PTE table. */
static void xc_ma_pmd_leaf(struct xc_state *s, unsigned long addr, pmd_t pmd)
{
	int i;

	s->ma_leaves_2m++;
	if (pmd_present(pmd))
		for (i = 0; i < XC_PTRS; i++)
			xc_ma_page(s, addr + i * PAGE_SIZE, pmd_pfn(pmd) + i);
}

static void xc_ma_ptes(struct xc_state *s, unsigned long addr,
		       unsigned long end, const u64 *ptes)
{
	unsigned long va;
	pte_t pte;
	int i;

	for (i = 0; i < XC_PTRS; i++) {
		pte = __pte(ptes[i]);
		va = (addr & PMD_MASK) + i * PAGE_SIZE;
		if (va < addr || va >= end || !pte_present(pte))
			continue;
		s->ma_leaves_4k++;
		xc_ma_page(s, va, pte_pfn(pte));
	}
}

static void xc_walk_pmds(struct xc_state *s, enum xc_walk_kind kind,
			 pud_t pud, unsigned long addr, unsigned long end)
{
	u64 *ptes = s->ptes;
	bool leaf, table;
	unsigned long next;
	pmd_t *pmdp, pmd;

	for (; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		if (!(++s->steps % XC_RESCHED_STEPS))
			cond_resched();
		pmdp = pmd_offset(&pud, addr);
		if (!xc_nofault(pmdp, pmd))
			continue;	/* its table went away: skipped */
		if (pmd_none(pmd)) {
			if (kind == XC_WALK_DIRECT)
				s->pud_counts.none += XC_PTRS;
			continue;
		}
		leaf = pmd_leaf(pmd) || !pmd_present(pmd);
		if (kind == XC_WALK_IMAGE) {
			s->img_leaves_2m += leaf;
			s->img_split_2m += !leaf;
		} else if (leaf && kind == XC_WALK_DIRECT) {
			xc_dm_leaf(s, addr & PMD_MASK, 2, pmd_val(pmd));
		} else if (leaf) {
			xc_ma_pmd_leaf(s, addr & PMD_MASK, pmd);
		} else {
			table = xc_pte_table(pmdp, pmd, addr & PMD_MASK, ptes);
			if (table && kind == XC_WALK_DIRECT)
				xc_dm_pte_table(s, addr & PMD_MASK, ptes);
			else if (table)
				xc_ma_ptes(s, addr, end, ptes);
		}
	}
}

static void xc_walk(struct xc_state *s, enum xc_walk_kind kind,
		    unsigned long addr, unsigned long end)
{
	pgd_t *pgdp, pgd;
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;
	unsigned long next, pnext, unext;

	for (; addr < end && !s->err; addr = next) {
		next = pgd_addr_end(addr, end);
		pgdp = pgd_offset_pgd(current->active_mm->pgd, addr);
		if (!xc_nofault(pgdp, pgd) || pgd_none(pgd))
			continue;
		for (; addr < next; addr = pnext) {
			pnext = p4d_addr_end(addr, next);
			p4dp = p4d_offset(&pgd, addr);
			if (!xc_nofault(p4dp, p4d) || p4d_none(p4d))
				continue;
			for (; addr < pnext && !s->err; addr = unext) {
				unext = pud_addr_end(addr, pnext);
				pudp = pud_offset(&p4d, addr);
				if (!xc_nofault(pudp, pud) || pud_none(pud))
					continue;
				if (pud_leaf(pud) || !pud_present(pud)) {
					if (kind == XC_WALK_DIRECT)
						xc_dm_leaf(s, addr & PUD_MASK, 3,
							   pud_val(pud));
					continue;
				}
				xc_walk_pmds(s, kind, pud, addr, unext);
				if (kind == XC_WALK_DIRECT)
					xc_dm_pud_table_done(s, addr & PUD_MASK);
			}
		}
	}
}

/* ---- direct map ------------------------------------------------------------- */

static unsigned long xc_pa(unsigned long va)
{
	return va - PAGE_OFFSET;
}

static void xc_mapped(struct xc_state *s, u64 phys, u64 size)
{
	if (phys == s->map_end) {
		s->map_end += size;
		return;
	}
	if (s->map_end > s->map_start)
		xc_printf(&s->maps, "mapped 0x%llx 0x%llx\n",
			  s->show ? s->map_start : 0, s->map_end - s->map_start);
	s->map_start = phys;
	s->map_end = phys + size;
}

static struct xc_range *xc_new_range(struct xc_state *s, u64 phys, int level)
{
	struct xc_range *r;

	if (s->nranges == s->cap_ranges) {
		r = xc_grow(s->ranges, s->nranges, &s->cap_ranges, sizeof(*r));
		if (!r) {
			s->err = -ENOMEM;
			return NULL;
		}
		s->ranges = r;
	}
	r = &s->ranges[s->nranges++];
	memset(r, 0, sizeof(*r));
	r->phys = phys;
	r->level = level;
	s->cur_range++;
	return r;
}

/* Attribute the non-default direct-map page @pfn; note its owner in @r. */
static void xc_attribute(struct xc_state *s, struct xc_range *r, u64 pfn,
			 bool split)
{
	const struct xc_extent *e = xc_extent_find(&s->ext, pfn);
	u64 pa = pfn << PAGE_SHIFT;
	struct xc_owner *o;
	int owner;

	if (e)
		owner = e->owner;
	else if (pa >= xc_image_start && pa < xc_image_end)
		owner = xc_owner(s, XC_CL_KERNEL, "image");
	else
		owner = xc_owner(s, XC_CL_UNKNOWN, "-");
	if (owner < 0)
		return;
	o = &s->owners[owner];
	o->pages++;
	if (split && o->last_range != s->cur_range) {
		o->last_range = s->cur_range;
		o->ranges_live++;
		o->pages_split++;
	} else if (split) {
		o->pages_split++;
	}
	if (r)
		__set_bit(owner, r->owners);
}

static void xc_dm_leaf(struct xc_state *s, unsigned long addr, int level,
		       u64 val)
{
	u64 phys = xc_pa(addr), npages = level == 3 ? 512 * 512 : 512;
	u64 pfn = (val & PTE_PFN_MASK & ~(u64)_PAGE_PAT_LARGE) >> PAGE_SHIFT;
	/* A large leaf's PAT bit is bit 12, the 4K one's bit 7. */
	u64 v4k = (val & ~(u64)(_PAGE_PAT_LARGE | _PAGE_PSE)) |
		  (val & _PAGE_PAT_LARGE ? XC_PTE_PAT : 0);
	unsigned int verdict = xc_classify_one(v4k);
	struct xc_range *r = NULL;
	u64 i;

	xc_mapped(s, phys, npages << PAGE_SHIFT);
	if (level == 3)
		s->leaves_1g++;
	else
		s->leaves_2m++;
	if (level == 2 && s->gb) {
		if (verdict & XC_NONDEF)
			s->pud_counts.nondef += npages;
		else
			s->pud_counts.def += npages;
		s->pud_counts.leaves += npages;
	}
	if (!(verdict & XC_NONDEF))
		return;
	if (level == 3)
		s->leaves_1g_nondef++;
	else
		s->leaves_2m_nondef++;
	s->pages_large_nondef += npages;
	r = xc_new_range(s, phys, level);
	if (!r)
		return;
	r->status = XC_LEAF;
	for (i = 0; i < npages; i++) {
		xc_count_one(&r->c, verdict);
		xc_attribute(s, r, pfn + i, false);
		if (!(i % 4096))
			cond_resched();
	}
}

static void xc_dm_pte_table(struct xc_state *s, unsigned long addr,
			    const u64 *ptes)
{
	u64 phys = xc_pa(addr);
	struct xc_range *r;
	unsigned int v;
	int i;

	r = xc_new_range(s, phys, 2);
	if (!r)
		return;
	for (i = 0; i < XC_PTRS; i++) {
		v = xc_classify_one(ptes[i]);
		xc_count_one(&r->c, v);
		if (!(v & XC_NONE))
			xc_mapped(s, phys + i * PAGE_SIZE, PAGE_SIZE);
		if (v & XC_NONDEF)
			xc_attribute(s, r, (phys >> PAGE_SHIFT) + i, true);
	}
	r->status = xc_split_status(&r->c);
	s->split_2m++;
	s->split_2m_st[r->status]++;
	s->leaves_4k += r->c.leaves;
	xc_counts_add(&s->pages, &r->c);
	if (s->gb)
		xc_counts_add(&s->pud_counts, &r->c);
}

static void xc_dm_pud_table_done(struct xc_state *s, unsigned long addr)
{
	struct xc_range *r;

	/*
	 * A 1 GiB range mapped by a PMD table, when the CPU has 1 GiB pages:
	 * live when a page in it has non-default permissions, partial when
	 * part of it is not mapped; else "full".  A full range is either a
	 * 1 GiB leaf split by CPA whose cause is gone, or a range the boot
	 * mapped with 2 MiB pages because one of its init_memory_mapping()
	 * steps or memblock ranges began or ended inside it: the page tables
	 * do not tell which (vmstat direct_map_level3_splits counts the
	 * splits after boot).
	 */
	if (!s->gb)
		return;
	r = xc_new_range(s, xc_pa(addr), 3);
	if (r) {
		r->c = s->pud_counts;
		r->status = xc_split_status(&r->c);
		s->split_1g++;
		s->split_1g_st[r->status]++;
	}
	memset(&s->pud_counts, 0, sizeof(s->pud_counts));
}

/* ---- the census ------------------------------------------------------------- */

static void xc_print_range(struct xc_buf *b, struct xc_state *s,
			   const struct xc_range *r)
{
	static const char *const size[] = { "?", "4K", "2M", "1G" };
	const char *st = r->status == XC_LEAF ? "leaf" :
			 xc_status_name(r->status);
	unsigned int i, n = 0;

	/* A 1 GiB range with neither: "full" (see xc_dm_pud_table_done()). */
	if (r->level == 3 && r->status == XC_STALE)
		st = "full";
	xc_printf(b, "range 0x%llx %s %s %u %u %u %u %u %u %u ", s->show ? r->phys : 0,
		  size[r->level], st, r->c.nondef, r->c.def, r->c.none,
		  r->c.ro, r->c.x, r->c.np, r->c.cache);
	for_each_set_bit(i, r->owners, XC_MAX_OWNERS) {
		const struct xc_owner *o = &s->owners[i];

		xc_printf(b, "%s%s:%s", n++ ? "," : "", xc_class_name(o->cl),
			  o->name);
	}
	xc_printf(b, "%s\n", n ? "" : "-");
}

static void xc_state_free(struct xc_state *s)
{
	if (!s)
		return;
	kvfree(s->ext.v);
	kvfree(s->ranges);
	kvfree(s->owners);
	kvfree(s->maps.p);
	kfree(s->ptes);
	kfree(s);
}

static struct xc_state *xc_state_alloc(void)
{
	struct xc_state *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->ptes = kmalloc_array(XC_PTRS, sizeof(*s->ptes), GFP_KERNEL);
	s->owners = kvcalloc(XC_MAX_OWNERS, sizeof(*s->owners), GFP_KERNEL);
	if (!s->ptes || !s->owners) {
		xc_state_free(s);
		return NULL;
	}
	s->gb = boot_cpu_has(X86_FEATURE_GBPAGES);
	return s;
}

/* The three walks, timed; then what they cost in memory. */
static int xc_run(struct xc_state *s)
{
	/*
	 * The direct map's region, up to the vmalloc area that follows it:
	 * with KASLR (RANDOMIZE_MEMORY) the region is sized to the RAM plus
	 * padding and the vmalloc area may start well below PAGE_OFFSET +
	 * 2^MAX_PHYSMEM_BITS.
	 */
	unsigned long dm_end = min(PAGE_OFFSET + (1UL << MAX_PHYSMEM_BITS),
				   VMALLOC_START);
	u64 t0, t1, t2;

	t0 = ktime_get_ns();
	xc_walk(s, XC_WALK_MODULES, MODULES_VADDR, MODULES_END);
	xc_extents_sort(&s->ext);
	t1 = ktime_get_ns();
	xc_walk(s, XC_WALK_DIRECT, PAGE_OFFSET, dm_end);
	xc_mapped(s, U64_MAX, 0);	/* flush the last extent */
	t2 = ktime_get_ns();
	xc_walk(s, XC_WALK_IMAGE, __START_KERNEL_map,
		__START_KERNEL_map + KERNEL_IMAGE_SIZE);
	s->us_modules = (t1 - t0) / 1000;
	s->us_direct = (t2 - t1) / 1000;
	s->bytes = s->ext.cap * sizeof(*s->ext.v) +
		   s->cap_ranges * sizeof(*s->ranges) +
		   XC_MAX_OWNERS * sizeof(*s->owners) + sizeof(*s) +
		   XC_PTRS * sizeof(*s->ptes) + s->maps.cap;
	return s->err;
}

static void xc_print_leaves(struct xc_buf *b, struct xc_state *s)
{
	xc_printf(b, "census 1\n");
	xc_printf(b, "walk_module_area_us %llu\n", s->us_modules);
	xc_printf(b, "walk_direct_map_us %llu\n", s->us_direct);
	xc_printf(b, "memory_bytes %llu\n", s->bytes);
	xc_printf(b, "steps %llu\n", s->steps);
	xc_printf(b, "gbpages %d\n", s->gb);
	xc_printf(b, "module_area_pages %lu\n", s->ma_pages);
	xc_printf(b, "module_area_leaves_4k %lu\n", s->ma_leaves_4k);
	xc_printf(b, "module_area_leaves_2m %lu\n", s->ma_leaves_2m);
	xc_printf(b, "module_area_extents %zu\n", s->ext.n);
	xc_printf(b, "leaves_1g %llu\n", s->leaves_1g);
	xc_printf(b, "leaves_2m %llu\n", s->leaves_2m);
	xc_printf(b, "leaves_4k %llu\n", s->leaves_4k);
	/*
	 * CPA counts a split of the kernel image's high mapping as a split
	 * of the direct map (virt_addr_valid() holds there): /proc/meminfo's
	 * DirectMap4k/2M and vmstat's direct_map_level2_splits include them.
	 */
	xc_printf(b, "kernel_image_leaves_2m %llu\n", s->img_leaves_2m);
	xc_printf(b, "kernel_image_split_2m %llu\n", s->img_split_2m);
	xc_printf(b, "meminfo_directmap_4k_kb %llu\n",
		  s->leaves_4k * 4 + s->img_split_2m * 2048);
	xc_printf(b, "meminfo_directmap_2m_kb %llu\n",
		  (s->leaves_2m - s->img_split_2m) * 2048);
	xc_printf(b, "meminfo_directmap_1g_kb %llu\n", s->leaves_1g * 1048576);
}

static void xc_print_splits(struct xc_buf *b, struct xc_state *s)
{
	u64 attributed = 0;
	int i;

	for (i = 0; i < s->nowners; i++)
		attributed += s->owners[i].pages;
	xc_printf(b, "ranges_1g_pmd %llu\n", s->split_1g);
	xc_printf(b, "ranges_1g_pmd_live %llu\n", s->split_1g_st[XC_LIVE]);
	xc_printf(b, "ranges_1g_pmd_full %llu\n", s->split_1g_st[XC_STALE]);
	xc_printf(b, "ranges_1g_pmd_partial %llu\n", s->split_1g_st[XC_PARTIAL]);
	xc_printf(b, "split_2m %llu\n", s->split_2m);
	xc_printf(b, "split_2m_live %llu\n", s->split_2m_st[XC_LIVE]);
	xc_printf(b, "split_2m_stale %llu\n", s->split_2m_st[XC_STALE]);
	xc_printf(b, "split_2m_partial %llu\n", s->split_2m_st[XC_PARTIAL]);
	xc_printf(b, "pages_4k_default %u\n", s->pages.def);
	xc_printf(b, "pages_4k_nondefault %u\n", s->pages.nondef);
	xc_printf(b, "pages_4k_ro %u\n", s->pages.ro);
	xc_printf(b, "pages_4k_x %u\n", s->pages.x);
	xc_printf(b, "pages_4k_np %u\n", s->pages.np);
	xc_printf(b, "pages_4k_cache %u\n", s->pages.cache);
	xc_printf(b, "pages_4k_hole %u\n", s->pages.none);
	xc_printf(b, "leaves_2m_nondefault %llu\n", s->leaves_2m_nondef);
	xc_printf(b, "leaves_1g_nondefault %llu\n", s->leaves_1g_nondef);
	xc_printf(b, "pages_large_nondefault %llu\n", s->pages_large_nondef);
	xc_printf(b, "pages_attributed %llu\n", attributed);
	xc_printf(b, "resolved find_vm_area %d\n",
		  !!xm_sym_target("find_vm_area"));
	for (i = 0; i < XC_NSYMS; i++)
		xc_printf(b, "resolved %s %d\n", xc_syms[i].sym,
			  !!xc_syms[i].target);
	xc_printf(b, "resolved kprobe_insn_slots %d\n", !!xc_insn_caches[0]);
	xc_printf(b, "resolved kprobe_optinsn_slots %d\n", !!xc_insn_caches[1]);
	xc_printf(b, "resolved kernel_image %d\n", xc_image_end > xc_image_start);
}

static void xc_print_rows(struct xc_buf *b, struct xc_state *s)
{
	const struct xc_owner *o;
	size_t i;

	xc_printf(b, "# cause CLASS NAME PAGES PAGES_IN_SPLIT_RANGES LIVE_SPLIT_RANGES\n");
	for (o = s->owners; o < s->owners + s->nowners; o++)
		if (o->pages)
			xc_printf(b, "cause %s %s %llu %llu %u\n",
				  xc_class_name(o->cl), o->name, o->pages,
				  o->pages_split, o->ranges_live);
	xc_printf(b, "# range PHYS SIZE STATUS NONDEFAULT DEFAULT HOLE RO X NP CACHE CAUSES\n");
	for (i = 0; i < s->nranges; i++)
		xc_print_range(b, s, &s->ranges[i]);
	xc_printf(b, "# mapped PHYS SIZE\n");
	if (s->maps.len)
		xc_printf(b, "%s", s->maps.p);
}

static int xc_census(struct xc_buf *b, bool show)
{
	struct xc_state *s = xc_state_alloc();
	int ret;

	if (!s)
		return -ENOMEM;
	s->show = show;
	ret = xc_run(s);
	if (!ret) {
		xc_print_leaves(b, s);
		xc_print_splits(b, s);
		xc_print_rows(b, s);
		ret = b->oom || s->maps.oom ? -ENOMEM : 0;
	}
	xc_state_free(s);
	return ret;
}

static int xc_open(struct inode *inode, struct file *file)
{
	struct xc_buf *b;
	int ret;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	ret = mutex_lock_interruptible(&xc_mutex);
	if (ret)	/* a signal while another census runs: no message */
		goto err;
	xc_resolve();
	/* physical addresses: to whom /proc/kallsyms shows addresses */
	ret = xc_census(b, xm_call(kallsyms_show_value)(file->f_cred));
	mutex_unlock(&xc_mutex);
	if (ret) {
		pr_warn_ratelimited("census failed: %d\n", ret);
		goto err;
	}
	file->private_data = b;
	return nonseekable_open(inode, file);
err:
	kvfree(b->p);
	kfree(b);
	return ret;
}

static ssize_t xc_read(struct file *file, char __user *ubuf, size_t len,
		       loff_t *ppos)
{
	struct xc_buf *b = file->private_data;

	return simple_read_from_buffer(ubuf, len, ppos, b->p, b->len);
}

static int xc_release(struct inode *inode, struct file *file)
{
	struct xc_buf *b = file->private_data;

	kvfree(b->p);
	kfree(b);
	return 0;
}

const struct file_operations xm_census_fops = {
	.owner = THIS_MODULE,
	.open = xc_open,
	.read = xc_read,
	.release = xc_release,
};
