// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs "dmap": the direct-map lab.  Heal split 2 MiB ranges of the
 * kernel's direct map back into PMD leaves, and split 1 GiB ranges back
 * into PUD leaves where the kernel maps it with 1 GiB pages, on request;
 * split ranges on purpose, on pages execmem owns for the purpose.  docs/dmap.md has the
 * reasoning, the risks per kernel and the interface.
 *
 *   write "dry-run"   decide for every split range, change nothing
 *   write "heal"      collapse every healable range (opt-in: only this)
 *   write "split N [hold] [uc] [1g]"  split N more ranges through CPA
 *                     (1g: ranges inside 1 GiB leaves), then free the pages
 *   write "race-test [1g]" heal while one healable range stops being so
 *   read              counters of the last operation and of the module's life
 *
 * A heal, like the kernel's own split (__split_large_page()) and 7.2's own
 * collapse (collapse_large_pages()):
 *  1. under get_online_mems() (no hot-remove frees tables), reads every
 *     split range's 512 entries without locks, as the census does, and
 *     keeps the ranges that pass every check (execmem_dmap_core.c), lie
 *     wholly in System RAM and off the exclusion list;
 *  2. takes init_mm's mmap lock for write (excludes ptdump, and on kernels
 *     whose CPA takes it for read, CPA), cpa_lock (every 4K attribute
 *     change), then pgd_lock (splits, DirectMap counts): the order the
 *     kernel nests them in;
 *  3. checks every kept range again, installs the PMD leaf (its value made
 *     by the kernel's pmd_set_huge() on a local entry: MTRR check, PAT bit
 *     moved), moves 512 pages from DirectMap4k to DirectMap2M as
 *     update_page_count() would, and queues the old table;
 *  4. then, still under the locks, every split 1 GiB range whose 512 PMDs
 *     are now leaves passing the same checks (in their large form) becomes
 *     a PUD leaf (pud_set_huge() on a local entry), 512 2M pages move to
 *     one 1G in the counts, and its PMD table is queued (the kernel's own
 *     collapse_pud_page() of 7.2 is static and reached only through
 *     set_memory_rox() on the range it changed: not reusable either);
 *  5. flushes every CPU's TLB once (flush_tlb_all(), still under the locks,
 *     as __split_large_page() does), unlocks, waits for an RCU grace
 *     period, then frees the queued tables that came from the page
 *     allocator (boot-time tables are counted and kept).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/kfence.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include <xen/xen.h>
#include "execmem_syms.h"
#include "execmem_resolve.h"
#include "execmem_leaf.h"
#include "execmem_dmap_core.h"
#include "execmem_dmap.h"

/*
 * The lab's own non-exported functions, IBT-safe static calls bound by
 * the engine of execmem_resolve.h like execmem_syms.c's, but at the first
 * use and optional: one that
 * cannot be resolved refuses the heal with a message, never the load.
 */
#ifdef MODULE
void flush_tlb_all(void);	/* asm/tlbflush.h hides it from modules */
#endif
DEFINE_STATIC_CALL_RET0(xd_flush_tlb_all, flush_tlb_all);
DEFINE_STATIC_CALL_RET0(xd_pmd_set_huge, pmd_set_huge);
DEFINE_STATIC_CALL_RET0(xd_pud_set_huge, pud_set_huge);
#ifdef CONFIG_ASYNC_KERNEL_PGTABLE_FREE
DEFINE_STATIC_CALL_RET0(xd_pagetable_free_kernel, pagetable_free_kernel);
#endif
#ifdef CONFIG_MEMORY_HOTPLUG
DEFINE_STATIC_CALL_RET0(xd_get_online_mems, get_online_mems);
DEFINE_STATIC_CALL_RET0(xd_put_online_mems, put_online_mems);
#define xd_get_mems()	static_call(xd_get_online_mems)()
#define xd_put_mems()	static_call(xd_put_online_mems)()
#else	/* no memory hot-remove: nothing frees direct-map tables */
#define xd_get_mems()	do { } while (0)
#define xd_put_mems()	do { } while (0)
#endif

#define XD_SYM(name, function)	XM_SYM_ENTRY(xd_, name, function, true)

static struct xm_sym xd_syms[] = {
	XD_SYM(flush_tlb_all, flush_tlb_all),
	XD_SYM(pmd_set_huge, pmd_set_huge),
#ifdef CONFIG_ASYNC_KERNEL_PGTABLE_FREE
	XD_SYM(pagetable_free_kernel, pagetable_free_kernel),
#endif
#ifdef CONFIG_MEMORY_HOTPLUG
	XD_SYM(get_online_mems, get_online_mems),
	XD_SYM(put_online_mems, put_online_mems),
#endif
};

/* Needed for 1 GiB only: without it, 2 MiB heals still run. */
static struct xm_sym xd_syms_1g[] = {
	XD_SYM(pud_set_huge, pud_set_huge),
};

/* Data the heal needs: resolved, and their sizes checked when possible. */
static struct {
	spinlock_t *cpa_lock;	/* the kernel's: serialises CPA */
	spinlock_t *pgd_lock;	/* the kernel's: splits, DirectMap counts */
	struct mm_struct *init_mm;
	unsigned long *direct_pages_count;	/* [PG_LEVEL_NUM] */
	int *direct_gbpages;	/* the boot mapped RAM with 1 GiB pages */
	bool resolved;
} xd;

static DEFINE_MUTEX(xd_mutex);	/* one operation at a time; resolution */

static struct xd_counts xd_last, xd_total;	/* 2 MiB ranges */
static struct xd_counts xd_last_1g, xd_total_1g;	/* 1 GiB ranges */
static const char *xd_last_op = "none";
static int xd_last_ret;
static const char *xd_refused;	/* why heal is refused here, or NULL */
static u64 xd_odd_flags[2];	/* stale to the census, not healable */
static struct {
	u64 requested, done, already, failed, verified, mismatches;
} xd_split;	/* already: passed over (split already; "1g": not in 1G) */
static struct {
	int ran, changed, left;
} xd_race;

/* ---- resolution and preconditions ----------------------------------------- */

static unsigned long xd_data(const char *name, unsigned long min_size)
{
	unsigned long addr = xm_sym_lookup(name);
	unsigned long size, off;

	if (!addr || !xm_sym_target("kallsyms_lookup_size_offset"))
		return addr;
	/* A symbol of another kind or size would be a wrong guess: refuse. */
	if (!xm_call(kallsyms_lookup_size_offset)(addr, &size, &off) ||
	    off || size < min_size)
		return 0;
	return addr;
}

static void xd_resolve(void)
{
	if (xd.resolved)
		return;
	xm_syms_resolve(xd_syms, ARRAY_SIZE(xd_syms), xm_sym_lookup);
	xm_syms_resolve(xd_syms_1g, ARRAY_SIZE(xd_syms_1g), xm_sym_lookup);
	xd.direct_gbpages = (void *)xd_data("direct_gbpages", sizeof(int));
	xd.cpa_lock = (void *)xd_data("cpa_lock", sizeof(spinlock_t));
	xd.pgd_lock = (void *)xd_data("pgd_lock", sizeof(spinlock_t));
	xd.init_mm = (void *)xd_data("init_mm", sizeof(struct mm_struct));
	xd.direct_pages_count = (void *)xd_data("direct_pages_count",
						PG_LEVEL_NUM * sizeof(long));
	xd.resolved = true;
}

/* Why a heal cannot run on this kernel, or NULL. */
static const char *xd_heal_refusal(void)
{
	int i;

	if (debug_pagealloc_enabled())
		return "debug_pagealloc is on: CPA changes 4K entries without cpa_lock";
	if (xen_pv_domain())
		return "Xen PV guest: PMD leaves are not allowed";
	if (!boot_cpu_has(X86_FEATURE_PSE))
		return "the CPU has no PSE";
	for (i = 0; i < ARRAY_SIZE(xd_syms); i++)
		if (!xd_syms[i].target)
			return "a function it needs could not be resolved";
	if (!xd.cpa_lock || !xd.pgd_lock || !xd.init_mm ||
	    !xd.direct_pages_count)
		return "a lock or counter it needs could not be resolved";
	return NULL;
}

/*
 * Why 1 GiB ranges are not healed here (2 MiB ones may be), or NULL.  The
 * kernel maps RAM with 1 GiB pages only with direct_gbpages (gbpages, the
 * default, not "nogbpages", not debug_pagealloc) on a CPU with GBPAGES:
 * without them, a PUD leaf would be one it never makes.
 */
static const char *xd_heal_1g_refusal(void)
{
	if (!xd_syms_1g[0].target || !xd.direct_gbpages)
		return "pud_set_huge or direct_gbpages could not be resolved";
	if (!boot_cpu_has(X86_FEATURE_GBPAGES) || !READ_ONCE(*xd.direct_gbpages))
		return "the kernel maps no 1 GiB pages (nogbpages, or no GBPAGES)";
	return NULL;
}

/* ---- ranges kept 4K on purpose ------------------------------------------- */

#define XD_EXCL_MAX	4

/*
 * The exclusion list.  6.1 and 6.12 mark nothing kept in 4 KiB pages on
 * purpose: KFENCE's pool is (kfence_protect_page() WARNs on anything but a
 * 4K entry), and so is whatever a driver passed to set_memory_4k(), which
 * only 7.2 marks (_PAGE_KERNEL_4K, checked per entry).  Under PTI, the
 * kernel image's alias is left too: PTI makes it non-global on purpose.
 */
static int xd_exclusions(struct xd_excl *tab)
{
	int n = 0;

	unsigned long text = xm_sym_lookup("_text");
	unsigned long end = xm_sym_lookup("_end");

	/* pti_set_kernel_image_nonglobal(): up to a PMD boundary */
	if (cpu_feature_enabled(X86_FEATURE_PTI) && text && end > text) {
		tab[n].start = text - __START_KERNEL_map + phys_base;
		tab[n].end = ALIGN(end - __START_KERNEL_map + phys_base,
				   PMD_SIZE);
		tab[n++].why = "kernel-image";
	}
#ifdef CONFIG_KFENCE
	if (__kfence_pool) {
		tab[n].start = __pa(__kfence_pool);
		tab[n].end = tab[n].start + KFENCE_POOL_SIZE;
		tab[n++].why = "kfence";
	}
#endif
	return n;
}

/* ---- walking the direct map ----------------------------------------------- */

struct xd_pass {
	struct xd_counts c, c1g;	/* 2 MiB, 1 GiB ranges */
	struct xd_params p, p1g;
	struct xd_excl excl[XD_EXCL_MAX];
	int nexcl;
	unsigned long *cand;	/* healable ranges' virtual addresses */
	struct page **tables;	/* tables of the healed ones, to free */
	struct page **tables1g;	/* PMD tables of the healed 1 GiB ones */
	size_t ncand, cap, ntables;
	size_t npud, ntables1g;	/* 1 GiB ranges split at pass 1, healed */
	bool heal_1g;
	u64 ptes[XC_PTRS];
	bool heal;
};

static pgd_t *xd_pgd(unsigned long addr)
{
	return pgd_offset_pgd(xd.init_mm ? xd.init_mm->pgd :
			      current->active_mm->pgd, addr);
}

/* The PUD entry mapping @addr in the direct map, or NULL. */
static pud_t *xd_pudp(unsigned long addr)
{
	pgd_t *pgdp = xd_pgd(addr);
	p4d_t *p4dp;

	if (pgd_none(READ_ONCE(*pgdp)))
		return NULL;
	p4dp = p4d_offset(pgdp, addr);
	if (p4d_none(READ_ONCE(*p4dp)))
		return NULL;
	return pud_offset(p4dp, addr);
}

static bool xd_pud_is_table(pud_t pud)
{
	return !pud_none(pud) && pud_present(pud) && !pud_leaf(pud);
}

/* The PMD entry mapping @addr in the direct map, or NULL. */
static pmd_t *xd_pmdp(unsigned long addr)
{
	pud_t *pudp = xd_pudp(addr);

	if (!pudp || !xd_pud_is_table(READ_ONCE(*pudp)))
		return NULL;
	return pmd_offset(pudp, addr);
}

/* The 512 entries under @pmd, read one by one; false if @pmdp changed. */
static bool xd_read_ptes(pmd_t *pmdp, pmd_t pmd, u64 *ptes)
{
	pte_t *pte = (pte_t *)pmd_page_vaddr(pmd);
	int i;

	for (i = 0; i < XC_PTRS; i++)
		ptes[i] = pte_val(READ_ONCE(pte[i]));
	return pmd_val(READ_ONCE(*pmdp)) == pmd_val(pmd);
}

static bool xd_is_table(pmd_t pmd)
{
	return !pmd_none(pmd) && pmd_present(pmd) && !pmd_leaf(pmd);
}

static int xd_keep(struct xd_pass *s, unsigned long addr)
{
	unsigned long *v;

	if (s->ncand == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;

		v = kvmalloc_array(cap, sizeof(*v), GFP_KERNEL);
		if (!v)
			return -ENOMEM;
		if (s->ncand)
			memcpy(v, s->cand, s->ncand * sizeof(*v));
		kvfree(s->cand);
		s->cand = v;
		s->cap = cap;
	}
	s->cand[s->ncand++] = addr;
	return 0;
}

/*
 * What rules the range [@phys, @phys + @size) out whatever its entries say:
 * a caller's exclusion (kept 4K), or anything but System RAM in it.
 * XD_HEALABLE when neither does: its entries decide.
 */
static enum xd_reason xd_range_verdict(struct xd_pass *s, u64 phys, u64 size)
{
	if (xd_excluded(s->excl, s->nexcl, phys, size))
		return XD_KEEP_4K;
	if (region_intersects(phys, size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return XD_NOT_RAM;
	return XD_HEALABLE;
}

/* Pass 1, no lock but get_online_mems(): one split range at @addr. */
static int xd_first_look(struct xd_pass *s, unsigned long addr, pmd_t *pmdp)
{
	u64 phys = addr - PAGE_OFFSET;
	enum xd_reason r;
	int tries, bad = 0;
	pmd_t pmd;

	for (tries = 0; tries < 3; tries++) {
		pmd = READ_ONCE(*pmdp);
		if (!xd_is_table(pmd))
			return 0;	/* became a leaf meanwhile */
		if (xd_read_ptes(pmdp, pmd, s->ptes))
			break;
	}
	if (tries == 3)
		return 0;	/* changing under us: not this time */
	s->c.split++;
	r = xd_range_verdict(s, phys, PMD_SIZE);
	if (r == XD_HEALABLE)
		r = xd_check_ptes(s->ptes, phys, &s->p, &bad);
	/* Stale to the census (RW, NX, WB) but not healable: which flags? */
	if ((r == XD_NOT_DEFAULT || r == XD_FLAGS_DIFFER) &&
	    xc_classify_one(s->ptes[0]) == XC_DEF &&
	    xc_classify_one(s->ptes[bad]) == XC_DEF) {
		xd_odd_flags[0] = s->ptes[0] & ~s->p.pfn_mask;
		xd_odd_flags[1] = s->ptes[bad] & ~s->p.pfn_mask;
	}
	if (r != XD_HEALABLE) {
		s->c.reason[r]++;
		return 0;
	}
	return xd_keep(s, addr);
}

static unsigned long xd_end(void)
{
	return min(PAGE_OFFSET + (1UL << MAX_PHYSMEM_BITS), VMALLOC_START);
}

static int xd_walk(struct xd_pass *s)
{
	unsigned long end = xd_end();
	unsigned long addr, steps = 0;
	pmd_t *pmdp;
	int ret;

	for (addr = PAGE_OFFSET; addr < end && addr >= PAGE_OFFSET;) {
		if (!(++steps % 64))
			cond_resched();
		pmdp = xd_pmdp(addr);
		if (!pmdp) {	/* a hole or a 1 GiB leaf: skip its PUD */
			addr = pud_addr_end(addr, end);
			continue;
		}
		s->npud += IS_ALIGNED(addr, PUD_SIZE);
		if (xd_is_table(READ_ONCE(*pmdp))) {
			ret = xd_first_look(s, addr, pmdp);
			if (ret)
				return ret;
		}
		addr += PMD_SIZE;
	}
	return 0;
}

/* ---- pass 2, under the locks ---------------------------------------------- */

/* Under pgd_lock, as update_page_count() and split_page_count() count. */
static void xd_count_collapse(void)
{
	unsigned long *dpc = xd.direct_pages_count;

	if (dpc[PG_LEVEL_4K] < PTRS_PER_PTE)
		return;	/* never seen: a range the boot did not count */
	dpc[PG_LEVEL_4K] -= PTRS_PER_PTE;
	dpc[PG_LEVEL_2M]++;
	xm_count_dm_collapse();
}

/* One kept range: check it again, collapse it when healing. */
static void xd_collapse_one(struct xd_pass *s, unsigned long addr)
{
	u64 phys = addr - PAGE_OFFSET;
	pmd_t *pmdp = xd_pmdp(addr), pmd, leaf = __pmd(0);

	pmd = pmdp ? *pmdp : __pmd(0);
	if (!xd_is_table(pmd) || !xd_read_ptes(pmdp, pmd, s->ptes) ||
	    xd_check_ptes(s->ptes, phys, &s->p, NULL) != XD_HEALABLE) {
		s->c.reason[XD_CHANGED]++;
		return;
	}
	if (!s->heal) {
		s->c.reason[XD_HEALABLE]++;
		return;
	}
	/*
	 * The default, accessed and dirty as the boot made it, through the
	 * kernel's own translation (PAT bit 7 -> 12, PSE) and MTRR check.
	 */
	if (!static_call(xd_pmd_set_huge)(&leaf, phys, __pgprot(s->p.def))) {
		s->c.reason[XD_MTRR]++;
		return;
	}
	s->c.reason[XD_HEALABLE]++;
	set_pmd(pmdp, leaf);
	s->tables[s->ntables++] = pmd_page(pmd);
	xd_count_collapse();
	s->c.healed++;
}

/* Under pgd_lock: a 1 GiB leaf replaces 512 2 MiB ones. */
static void xd_count_collapse_1g(void)
{
	unsigned long *dpc = xd.direct_pages_count;

	if (dpc[PG_LEVEL_2M] < PTRS_PER_PMD)
		return;
	dpc[PG_LEVEL_2M] -= PTRS_PER_PMD;
	dpc[PG_LEVEL_1G]++;
	xm_count_dm_collapse_1g();
}

/*
 * The verdict on the split 1 GiB range at @addr (PUD table @pud), under
 * the locks: the 2 MiB pass ran, its PMDs are as it left them.
 */
static enum xd_reason xd_check_1g(struct xd_pass *s, unsigned long addr,
				  pud_t pud)
{
	u64 phys = addr - PAGE_OFFSET;
	pmd_t *pmd = (pmd_t *)pud_pgtable(pud);
	enum xd_reason r;
	int i;

	r = xd_range_verdict(s, phys, PUD_SIZE);
	if (r != XD_HEALABLE)
		return r;
	for (i = 0; i < XC_PTRS; i++)
		s->ptes[i] = pmd_val(READ_ONCE(pmd[i]));
	return xd_check_ptes(s->ptes, phys, &s->p1g, NULL);
}

/* One split 1 GiB range: collapse it when it passes every check. */
static void xd_collapse_1g(struct xd_pass *s, unsigned long addr,
			   pud_t *pudp)
{
	pud_t pud = *pudp, leaf = __pud(0);
	enum xd_reason r;

	s->c1g.split++;
	r = xd_check_1g(s, addr, pud);
	if (r == XD_HEALABLE && s->heal &&
	    s->ntables1g == s->npud)	/* split after pass 1: next time */
		r = XD_CHANGED;
	if (r == XD_HEALABLE && s->heal &&
	    !static_call(xd_pud_set_huge)(&leaf, addr - PAGE_OFFSET,
					  __pgprot(s->p.def)))
		r = XD_MTRR;
	s->c1g.reason[r]++;
	if (r != XD_HEALABLE || !s->heal)
		return;
	set_pud(pudp, leaf);
	s->tables1g[s->ntables1g++] = pud_page(pud);
	xd_count_collapse_1g();
	s->c1g.healed++;
}

/* Every split 1 GiB range of the direct map, after the 2 MiB ones. */
static void xd_pass_1g(struct xd_pass *s)
{
	unsigned long end = xd_end(), addr;
	pud_t *pudp;

	for (addr = PAGE_OFFSET; addr < end && addr >= PAGE_OFFSET;) {
		pudp = xd_pudp(addr);
		if (!pudp) {	/* no PUD table here: skip the P4D */
			addr = p4d_addr_end(addr, end);
			continue;
		}
		if (xd_pud_is_table(*pudp))
			xd_collapse_1g(s, addr, pudp);
		addr += PUD_SIZE;
	}
}

static void xd_locked_pass(struct xd_pass *s)
{
	size_t i;

	mmap_write_lock(xd.init_mm);
	spin_lock(xd.cpa_lock);
	spin_lock(xd.pgd_lock);
	for (i = 0; i < s->ncand; i++)
		xd_collapse_one(s, s->cand[i]);
	if (s->heal_1g)
		xd_pass_1g(s);
	/* No CPU may keep a 4K and a 2M translation of the same page. */
	if (s->c.healed || s->c1g.healed) {
		static_call(xd_flush_tlb_all)();
		s->c.flushes++;
	}
	spin_unlock(xd.pgd_lock);
	spin_unlock(xd.cpa_lock);
	mmap_write_unlock(xd.init_mm);
}

/*
 * A table split_large_page() took from the page allocator: order 0, one
 * reference, not reserved.  Anything else (memblock or brk at boot) stays.
 */
static bool xd_table_freeable(struct page *p)
{
	return !PageReserved(p) && page_count(p) == 1 && !PageCompound(p);
}

#ifdef CONFIG_ASYNC_KERNEL_PGTABLE_FREE
/*
 * 7.2 splits with pte_alloc_one_kernel(): the table may carry the
 * page-table type (its accounting) and the "kernel" mark, whose free goes
 * through pagetable_free_kernel() so that IOMMUs doing SVA drop cached
 * walks of it first.  As 7.2's own collapse (pagetable_dtor_free()).
 */
static void xd_free_table(struct page *p)
{
	struct ptdesc *pt = page_ptdesc(p);

	if (PageTable(p))
		pagetable_dtor(pt);
	if (ptdesc_test_kernel(pt)) {
		ptdesc_clear_kernel(pt);
		static_call(xd_pagetable_free_kernel)(pt);
	} else {
		__pagetable_free(pt);
	}
}
#else
/* 6.1 and 6.12 split with alloc_pages(GFP_KERNEL, 0). */
static void xd_free_table(struct page *p)
{
	__free_page(p);
}
#endif

static void xd_free_list(struct page **tables, size_t n,
			 struct xd_counts *c)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (xd_table_freeable(tables[i])) {
			xd_free_table(tables[i]);
			c->tables_freed++;
		} else {
			c->boot_tables++;
		}
	}
}

static void xd_free_tables(struct xd_pass *s)
{
	if (!s->ntables && !s->ntables1g)
		return;
	/*
	 * Lock-free walkers of kernel page tables that run with interrupts
	 * off finished with the old tables when flush_tlb_all()'s IPIs were
	 * answered; those under rcu_read_lock() finish by the end of this
	 * grace period.  Page tables of user space (GUP-fast) never point to
	 * these.  The census reads without either and may read a freed
	 * table: it re-reads the PMD and drops a table that changed.
	 */
	synchronize_rcu();
	xd_free_list(s->tables, s->ntables, &s->c);
	xd_free_list(s->tables1g, s->ntables1g, &s->c1g);
}

/* ---- operations --------------------------------------------------------- */

static void xd_params_init(struct xd_params *p)
{
	p->pfn_mask = PTE_PFN_MASK;
	/* What the kernel maps its direct map with, in 4K form. */
	p->def = pgprot_val(PAGE_KERNEL) & ~PTE_PFN_MASK;
	/*
	 * Accessed and dirty: see xd_check_flags().  Global, when the
	 * default has it: CPA clears it on an entry it makes not present
	 * (pgprot_clear_protnone_bits(): _PAGE_GLOBAL means PROTNONE there)
	 * and set_direct_map_default_noflush() makes it present again
	 * without it, so every page a module or BPF program held through
	 * vfree()'s VM_FLUSH_RESET_PERMS comes back non-global.  Under PTI
	 * the default has no global bit (__default_kernel_pte_mask) and the
	 * kernel image, non-global on purpose, is excluded.
	 */
	p->ignore = _PAGE_ACCESSED | _PAGE_DIRTY | (p->def & _PAGE_GLOBAL);
	p->marked_4k = XM_PAGE_KERNEL_4K;
}

/*
 * The 512 PMDs of a split 1 GiB range: leaves in the large form that
 * pmd_set_huge() and the split of a PUD make (PAT bit at 12, PSE), the pfn
 * in bits 21 and up, pfns 2 MiB apart.
 */
static void xd_params_1g(struct xd_params *p, const struct xd_params *p4k)
{
	*p = *p4k;
	p->pfn_mask = PTE_PFN_MASK & PMD_MASK;
	p->def = protval_4k_2_large(p4k->def) | _PAGE_PSE;
	p->leaf = _PAGE_PSE;
	p->order = PMD_SHIFT - PAGE_SHIFT;
}

static void xd_race_hook(void);

static int xd_run(bool heal, bool race)
{
	struct xd_pass *s = kvzalloc(sizeof(*s), GFP_KERNEL);
	bool locked = !xd_heal_refusal();
	int ret;

	if (!s)
		return -ENOMEM;
	s->heal = heal;
	s->heal_1g = locked && !xd_heal_1g_refusal();
	xd_params_init(&s->p);
	xd_params_1g(&s->p1g, &s->p);
	s->nexcl = xd_exclusions(s->excl);
	if (locked)
		xd_get_mems();
	ret = xd_walk(s);
	if (!ret && race)
		xd_race_hook();
	if (!ret && heal) {
		s->tables = kvmalloc_array(max_t(size_t, s->ncand, 1),
					   sizeof(*s->tables), GFP_KERNEL);
		s->tables1g = kvmalloc_array(max_t(size_t, s->npud, 1),
					     sizeof(*s->tables1g), GFP_KERNEL);
		if (!s->tables || !s->tables1g)
			ret = -ENOMEM;
	}
	if (!ret && locked)
		xd_locked_pass(s);
	else if (!ret)	/* dry run where heal is refused: pass 1 only */
		s->c.reason[XD_HEALABLE] += s->ncand;
	if (locked)
		xd_put_mems();
	xd_free_tables(s);
	xd_last = s->c;
	xd_counts_add(&xd_total, &s->c);
	xd_last_1g = s->c1g;
	xd_counts_add(&xd_total_1g, &s->c1g);
	kvfree(s->tables1g);
	kvfree(s->tables);
	kvfree(s->cand);
	kvfree(s);
	return ret;
}

static int xd_heal(bool race)
{
	xd_refused = xd_heal_refusal();
	if (xd_refused) {
		memset(&xd_last, 0, sizeof(xd_last));
		memset(&xd_last_1g, 0, sizeof(xd_last_1g));
		pr_warn_ratelimited("heal refused: %s\n", xd_refused);
		return -EOPNOTSUPP;
	}
	return xd_run(true, race);
}

/* ---- splitting on purpose ------------------------------------------------- */

#define XD_BLOCK_ORDER	(PMD_SHIFT - PAGE_SHIFT)

/* Make one 4K page of the block read-only (or uncached) and back, by CPA. */
static int xd_split_block(struct page *page, bool uc)
{
	unsigned long addr = (unsigned long)page_address(page);
	int ret;

	ret = uc ? set_memory_uc(addr, 1) : xm_call(set_memory_ro)(addr, 1);
	if (ret)
		return ret;
	ret = uc ? set_memory_wb(addr, 1) : xm_call(set_memory_rw)(addr, 1);
	/* A read-only or uncached page must not go back to the allocator. */
	return WARN_ONCE(ret, "dmap: restoring a page failed: %d, leaking 2 MiB\n",
			 ret) ? -EBUSY : 0;
}

static unsigned int xd_level(struct page *page)
{
	struct xm_leaf l;

	return xm_leaf_at((unsigned long)page_address(page), &l) ? l.level : 0;
}

/*
 * Of the 2 MiB blocks the allocator hands out, the ones to split: not
 * split yet; with "1g", inside a 1 GiB leaf (and so not split yet).
 */
/*
 * Blocks to try before giving up: a few, or, to find one inside a 1 GiB
 * leaf, as many as RAM has (the allocator's order is not the address's).
 */
static size_t xd_tries(bool in_1g)
{
	return in_1g ? (totalram_pages() >> XD_BLOCK_ORDER) + 64 : 64;
}

static bool xd_wanted(struct page *page, bool in_1g)
{
	unsigned int level = xd_level(page);

	return in_1g ? level == PG_LEVEL_1G : level != PG_LEVEL_4K;
}

/*
 * Blocks kept by "split N hold", filled with a pattern that "release"
 * verifies (through the direct map, healed or not) before freeing them.
 */
static struct page **xd_held;
static size_t xd_nheld;

static u64 xd_pattern(struct page *page, size_t i)
{
	return ((u64)page_to_pfn(page) << 20 | i) ^ 0x5a5aa5a5c3c33c3cULL;
}

static void xd_fill(struct page *page)
{
	u64 *p = page_address(page);
	size_t i;

	for (i = 0; i < PMD_SIZE / sizeof(u64); i++)
		p[i] = xd_pattern(page, i);
}

/* Verify and free the held blocks: the number of words that differ. */
static u64 xd_release(void)
{
	u64 bad = 0, *p;
	size_t b, i;

	for (b = 0; b < xd_nheld; b++) {
		p = page_address(xd_held[b]);
		for (i = 0; i < PMD_SIZE / sizeof(u64); i++)
			bad += p[i] != xd_pattern(xd_held[b], i);
		xd_split.verified += PMD_SIZE;
		__free_pages(xd_held[b], XD_BLOCK_ORDER);
		cond_resched();
	}
	kvfree(xd_held);
	xd_held = NULL;
	xd_nheld = 0;
	xd_split.mismatches += bad;
	return bad;
}

/*
 * Split @n more direct-map ranges: 2 MiB blocks of our own (order 9, so
 * 2 MiB aligned), one page of each made read-only and back.  Blocks whose
 * range is split already are held too, so that the allocator does not
 * hand them out again, and freed with the others at the end.
 */
static int xd_split_n(u64 n, bool hold, bool uc, bool in_1g)
{
	size_t nb = 0, i, max = min_t(u64, n + xd_tries(in_1g), 1 << 20);
	struct page **blocks, *page;
	int ret = 0;

	if (hold && xd_held)
		return -EBUSY;	/* "release" first */
	xd_split.requested = n;
	blocks = kvmalloc_array(max, sizeof(*blocks), GFP_KERNEL);
	if (!blocks)
		return -ENOMEM;
	while (xd_split.done < n && nb < max && !ret) {
		page = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				   XD_BLOCK_ORDER);
		if (!page) {
			xd_split.failed++;
			break;
		}
		if (!xd_wanted(page, in_1g)) {
			xd_split.already++;
			blocks[nb++] = page;
			continue;
		}
		ret = xd_split_block(page, uc);
		if (ret != -EBUSY)
			blocks[nb++] = page;
		xd_split.done += !ret;
		if (fatal_signal_pending(current))
			ret = -EINTR;
	}
	for (i = 0; i < nb; i++) {
		if (hold && !ret)
			xd_fill(blocks[i]);
		else
			__free_pages(blocks[i], XD_BLOCK_ORDER);
	}
	if (hold && !ret) {
		xd_held = blocks;
		xd_nheld = nb;
		return 0;
	}
	kvfree(blocks);
	return ret;
}

/* Module unload: the held blocks go back (verified, for the record). */
void xm_dmap_exit(void)
{
	mutex_lock(&xd_mutex);
	if (xd_held && xd_release())
		pr_warn("dmap: held blocks changed while held\n");
	mutex_unlock(&xd_mutex);
}

/* ---- the race test: a range stops being healable between the passes ----- */

static unsigned long xd_race_addr;

static void xd_race_hook(void)
{
	if (xd_race_addr && !xm_call(set_memory_ro)(xd_race_addr, 1))
		xd_race.ran = 1;
}

/*
 * A 2 MiB block not split yet, inside a 1 GiB leaf with @in_1g.  Blocks
 * passed over are held until one fits, so that they are not handed out
 * again, then freed.
 */
static struct page *xd_alloc_block(bool in_1g)
{
	gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	size_t n = 0, i, tries = xd_tries(in_1g);
	struct page **skip, *page = NULL;

	skip = kvmalloc_array(tries, sizeof(*skip), GFP_KERNEL);
	if (!skip)
		return NULL;
	while (n < tries) {
		page = alloc_pages(gfp, XD_BLOCK_ORDER);
		if (!page || xd_wanted(page, in_1g))
			break;
		skip[n++] = page;
		page = NULL;
	}
	for (i = 0; i < n; i++)
		__free_pages(skip[i], XD_BLOCK_ORDER);
	kvfree(skip);
	return page;
}

static int xd_race_test(bool in_1g)
{
	struct page *page;
	struct xm_leaf l;
	int ret;

	memset(&xd_race, 0, sizeof(xd_race));
	xd_refused = xd_heal_refusal();
	if (!xd_refused && in_1g)
		xd_refused = xd_heal_1g_refusal();
	if (xd_refused)
		return -EOPNOTSUPP;
	page = xd_alloc_block(in_1g);
	if (!page)
		return -ENOMEM;
	ret = xd_split_block(page, false);
	if (ret)
		goto out;	/* -EBUSY leaks the block: see xd_split_block() */
	xd_race_addr = (unsigned long)page_address(page);
	ret = xd_heal(true);
	xd_race.changed = xd_last.reason[XD_CHANGED];
	xd_race.left = xm_leaf_at(xd_race_addr, &l) &&
		       l.level == PG_LEVEL_4K && !l.write;
	if (xd_race.ran && xm_call(set_memory_rw)(xd_race_addr, 1)) {
		WARN_ONCE(1, "race-test: set_memory_rw failed, leaking 2 MiB\n");
		ret = -EBUSY;
	}
	xd_race_addr = 0;
out:
	if (ret != -EBUSY)
		__free_pages(page, XD_BLOCK_ORDER);
	return ret;
}

/* ---- debugfs --------------------------------------------------------------- */

static void xd_show_counts(struct seq_file *m, const char *pfx,
			   const struct xd_counts *c, bool flushes)
{
	int i;

	seq_printf(m, "%s_split %llu\n", pfx, c->split);
	for (i = 0; i < XD_NR; i++)
		seq_printf(m, "%s_%s %llu\n", pfx, xd_reason_name(i),
			   c->reason[i]);
	seq_printf(m, "%s_healed %llu\n", pfx, c->healed);
	seq_printf(m, "%s_boot_tables %llu\n", pfx, c->boot_tables);
	seq_printf(m, "%s_tables_freed %llu\n", pfx, c->tables_freed);
	if (flushes)
		seq_printf(m, "%s_flushes %llu\n", pfx, c->flushes);
}

static void xd_show_resolved(struct seq_file *m)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(xd_syms); i++)
		seq_printf(m, "resolved %s %d\n", xd_syms[i].sym,
			   !!xd_syms[i].target);
	seq_printf(m, "resolved %s %d\n", xd_syms_1g[0].sym,
		   !!xd_syms_1g[0].target);
	seq_printf(m, "resolved direct_gbpages %d\n", !!xd.direct_gbpages);
	seq_printf(m, "resolved cpa_lock %d\n", !!xd.cpa_lock);
	seq_printf(m, "resolved pgd_lock %d\n", !!xd.pgd_lock);
	seq_printf(m, "resolved init_mm %d\n", !!xd.init_mm);
	seq_printf(m, "resolved direct_pages_count %d\n",
		   !!xd.direct_pages_count);
}

static int xd_show(struct seq_file *m, void *v)
{
	struct xd_excl excl[XD_EXCL_MAX];
	const char *refused, *refused_1g;
	int i, nexcl;

	mutex_lock(&xd_mutex);
	xd_resolve();
	refused = xd_heal_refusal();
	nexcl = xd_exclusions(excl);
	seq_printf(m, "heal_available %d\n", !refused);
	if (refused)
		seq_printf(m, "heal_refused %s\n", refused);
	refused_1g = xd_heal_1g_refusal();
	seq_printf(m, "heal_1g_available %d\n", !refused && !refused_1g);
	if (refused_1g)
		seq_printf(m, "heal_1g_refused %s\n", refused_1g);
	xd_show_resolved(m);
	seq_printf(m, "default_flags %#llx\n", (u64)
		   pgprot_val(PAGE_KERNEL) & ~PTE_PFN_MASK);
	seq_printf(m, "ignored_flags %#llx\n",
		   (u64)(_PAGE_ACCESSED | _PAGE_DIRTY));
	for (i = 0; i < nexcl; i++)
		seq_printf(m, "exclusion %s\n", excl[i].why);
	seq_printf(m, "odd_flags_seen %#llx %#llx\n", xd_odd_flags[0],
		   xd_odd_flags[1]);
	seq_printf(m, "last_op %s\n", xd_last_op);
	seq_printf(m, "last_result %d\n", xd_last_ret);
	xd_show_counts(m, "last", &xd_last, true);
	xd_show_counts(m, "total", &xd_total, true);
	xd_show_counts(m, "last_1g", &xd_last_1g, false);
	xd_show_counts(m, "total_1g", &xd_total_1g, false);
	seq_printf(m, "split_requested %llu\n", xd_split.requested);
	seq_printf(m, "split_done %llu\n", xd_split.done);
	seq_printf(m, "split_already %llu\n", xd_split.already);
	seq_printf(m, "split_alloc_failed %llu\n", xd_split.failed);
	seq_printf(m, "held_ranges %zu\n", xd_nheld);
	seq_printf(m, "verified_bytes %llu\n", xd_split.verified);
	seq_printf(m, "verify_mismatches %llu\n", xd_split.mismatches);
	seq_printf(m, "race_hook_ran %d\n", xd_race.ran);
	seq_printf(m, "race_changed %d\n", xd_race.changed);
	seq_printf(m, "race_range_left %d\n", xd_race.left);
	mutex_unlock(&xd_mutex);
	return 0;
}

/* "N", then any of "hold", "uc", "1g" */
static int xd_split_cmd(char *arg)
{
	bool hold = false, uc = false, in_1g = false;
	char *word, *num = strsep(&arg, " ");
	u64 n;

	while ((word = strsep(&arg, " "))) {
		if (!strcmp(word, "hold"))
			hold = true;
		else if (!strcmp(word, "uc"))
			uc = true;
		else if (!strcmp(word, "1g"))
			in_1g = true;
		else
			return -EINVAL;
	}
	if (kstrtou64(num, 0, &n) || !n)
		return -EINVAL;
	xd_last_op = "split";
	memset(&xd_split, 0, sizeof(xd_split));
	return xd_split_n(n, hold, uc, in_1g);
}

static int xd_do(char *cmd)
{
	if (!strcmp(cmd, "dry-run")) {
		xd_last_op = "dry-run";
		return xd_run(false, false);
	}
	if (!strcmp(cmd, "heal")) {
		xd_last_op = "heal";
		return xd_heal(false);
	}
	if (!strcmp(cmd, "race-test")) {
		xd_last_op = "race-test";
		return xd_race_test(false);
	}
	if (!strcmp(cmd, "race-test 1g")) {
		xd_last_op = "race-test";
		return xd_race_test(true);
	}
	if (!strcmp(cmd, "release")) {
		xd_last_op = "release";
		return xd_release() ? -EIO : 0;
	}
	if (!strncmp(cmd, "split ", 6))
		return xd_split_cmd(cmd + 6);
	return -EINVAL;
}

static ssize_t xd_write(struct file *file, const char __user *ubuf,
			size_t len, loff_t *ppos)
{
	char buf[32];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	strim(buf);
	ret = mutex_lock_interruptible(&xd_mutex);
	if (ret)
		return ret;
	xd_resolve();
	ret = xd_do(strim(buf));
	xd_last_ret = ret;
	mutex_unlock(&xd_mutex);
	return ret ? ret : len;
}

static int xd_open(struct inode *inode, struct file *file)
{
	return single_open(file, xd_show, NULL);
}

const struct file_operations xm_dmap_fops = {
	.owner = THIS_MODULE,
	.open = xd_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = xd_write,
	.release = single_release,
};
