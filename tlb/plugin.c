// SPDX-License-Identifier: GPL-2.0
/*
 * tlbplugin: a QEMU TCG plugin that feeds every instruction fetch and every
 * load/store of every vCPU, inside windows the guest marks (tlbmark.h),
 * through the TLB model of tlbmodel.c: one model per vCPU per CPU profile.
 * Page sizes and global bits come from the guest's own page tables, walked
 * from CR3 whenever a translation is not cached (see "shadow" below); every
 * walk's leaf is checked against the physical address QEMU itself reports
 * for that access.  Design, limits and output format: docs/tlb-model.md,
 * "The plugin".
 *
 *   -plugin tlbplugin.so,profile=FILE[,profile=FILE...],out=FILE
 *
 * Before the first window only marker instructions are instrumented; the
 * first TLBMARK_BEGIN resets the plugin (all translations are dropped) and
 * from then on every instruction gets a fetch callback (one per run of
 * instructions on one 4 KiB page), a memory callback and an inline
 * instruction count.  Outside windows the callbacks return at once, but
 * flushes still reach the models.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin-api.h"
#include "tlbmark.h"
#include "tlbmodel.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = TLBP_QEMU_API;

#define MAX_PROFILES	8
#define MAX_GCLASS	8
#define MAX_RANGES	128
#define SHADOW_BITS	16
#define NO_PA		(~0ULL)

/* x86-64, 4-level paging, no KASLR (the runner boots with nokaslr). */
#define USER_END	0x0000800000000000ULL
#define DIRECT_START	0xffff888000000000ULL
#define DIRECT_END	0xffffc88000000000ULL
#define VMALLOC_START	0xffffc90000000000ULL
#define VMALLOC_END	0xffffe90000000000ULL
#define KIMAGE_START	0xffffffff80000000ULL
#define MODULES_VADDR	0xffffffffc0000000ULL
#define MODULES_END	0xffffffffff000000ULL

#define BIT_ULL(n)	(1ULL << (n))
#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_G		BIT_ULL(8)
#define PTE_ADDR	0x000ffffffffff000ULL

enum cls { CL_USER, CL_KERNEL, CL_MODULES, CL_DIRECT, CL_VMALLOC, CL_OTHER,
	   CL_NFIXED };
#define NCLASS (CL_NFIXED + MAX_GCLASS)

enum flush_op { FL_CR3 = 1, FL_CR4, FL_CR0, FL_INVLPG, FL_INVPCID };

/* GPRs in ModRM order (rm | REX.B << 3) */
static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

static const char *const fixed_names[CL_NFIXED] = {
	"user", "kernel", "modules", "directmap", "vmalloc", "other",
};

struct leaf {
	uint64_t va, pa;		/* base of the leaf */
	enum tlbm_psize ps;
	bool global;
};

/* A walk result, cached until the guest flushes (a TLB of unbounded size). */
struct shadow {
	uint64_t vpn1;			/* 4K page number + 1; 0: empty */
	struct leaf lf;
	uint32_t gen;
	uint8_t cls;
};

struct pcount {
	uint64_t acc[NCLASS][TLBM_NKIND];
	uint64_t l1m[NCLASS][TLBM_NKIND];
	uint64_t walks[NCLASS][TLBM_NKIND][TLBM_NPSIZE];
};

struct stats {
	uint64_t insns[NCLASS];		/* per fetch run */
	uint64_t walks_real, walk_fail[TLBM_NKIND];
	uint64_t checked[TLBM_NKIND], mismatch[TLBM_NKIND];
	uint64_t xlate_fail[TLBM_NKIND], io, stale, fetch_moved;
	uint64_t cr3, cr4, cr0, invlpg, invlpg_unknown, invpcid;
};

struct vcpu {
	bool init;
	struct tlbm *m[MAX_PROFILES];
	struct pcount pc[MAX_PROFILES];
	struct stats st;
	struct shadow *sh;
	uint32_t ugen, ggen;		/* shadow generations: user, global */
	uint64_t last[TLBM_NKIND];	/* vpn1 of the last access per kind */
	uint64_t cr3;			/* of the last walk */
	GByteArray *buf;
	/* per kind: leaf key -> class | size << 8 */
	struct _GHashTable *pages[TLBM_NKIND];
	struct qemu_plugin_register *reg_cr3, *reg_rip, *gpr[16];
};

struct range {
	uint64_t start, end;
	int cls;
};

static qemu_plugin_id_t plugin_id;
static struct tlbm_profile *profiles[MAX_PROFILES];
static int nprof;
static struct vcpu *vcpus;
static int max_vcpus;
static const char *out_path;
static FILE *out;
static bool instrumenting, win_active;
static bool repeats_hit;	/* every profile: a repeated page is an L1 hit */
static uint64_t win_label;
static char gclass[MAX_GCLASS][9];
static int ngclass;
static struct range ranges[MAX_RANGES];
static int nranges;
static int api_cur;

static void tb_trans(struct qemu_plugin_tb *tb, void *udata);

/* ---- guest state: registers, memory, page tables ------------------------ */

static uint64_t read_reg(struct vcpu *v, struct qemu_plugin_register *r)
{
	uint64_t val = 0;

	if (!r)
		return 0;
	g_byte_array_set_size(v->buf, 0);
	if (!qemu_plugin_read_register(r, v->buf))
		return 0;
	memcpy(&val, v->buf->data, v->buf->len < 8 ? v->buf->len : 8);
	return val;
}

static bool read_pte(struct vcpu *v, uint64_t pa, uint64_t *pte)
{
	g_byte_array_set_size(v->buf, 0);
	if (qemu_plugin_read_memory_hwaddr(pa, v->buf, 8) !=
	    QEMU_PLUGIN_HWADDR_OPERATION_OK || v->buf->len < 8)
		return false;
	memcpy(pte, v->buf->data, 8);
	return true;
}

/*
 * CR3 is read at every walk, never cached: under QEMU 11.1 with several
 * vCPUs in one TCG thread (thread=single) the vCPU index a callback gets
 * was seen not to match the vCPU whose registers it reads (its gs_base
 * was the other CPU's per-cpu base), so a per-index cache went stale.
 */
static uint64_t cur_cr3(struct vcpu *v)
{
	v->cr3 = read_reg(v, v->reg_cr3);
	return v->cr3;
}

static void walk_failed(struct vcpu *v, uint64_t va, int lvl, uint64_t pte)
{
	char msg[160];

	if (v->st.walk_fail[0] + v->st.walk_fail[1] >= 5)
		return;
	snprintf(msg, sizeof(msg), "tlbplugin: cpu%d walk of %#" PRIx64 " from cr3 %#" PRIx64
		 " failed at level %d (entry %#" PRIx64 ")\n", (int)(v - vcpus), va, v->cr3,
		 lvl, pte);
	qemu_plugin_outs(msg);
}

/* 4-level walk from CR3; level 2 (PDPTE) and 1 (PDE) may be leaves. */
static bool pt_walk(struct vcpu *v, uint64_t va, struct leaf *lf)
{
	uint64_t table = cur_cr3(v) & PTE_ADDR, pte = 0, size;
	int lvl, shift;

	if (!table)
		return false;
	v->st.walks_real++;
	for (lvl = 3; lvl >= 0; lvl--) {
		shift = 12 + 9 * lvl;
		if (!read_pte(v, table + ((va >> shift) & 511) * 8, &pte) || !(pte & PTE_P)) {
			walk_failed(v, va, lvl, pte);
			return false;
		}
		if (lvl == 0 || ((lvl == 1 || lvl == 2) && (pte & PTE_PS))) {
			size = 1ULL << shift;
			lf->va = va & ~(size - 1);
			lf->pa = pte & PTE_ADDR & ~(size - 1);
			lf->ps = lvl == 0 ? TLBM_4K : lvl == 1 ? TLBM_2M : TLBM_1G;
			lf->global = pte & PTE_G;
			return true;
		}
		table = pte & PTE_ADDR;
	}
	return false;
}

/* qpa: the physical address QEMU reports for this access, NO_PA: ask it. */
static void check_leaf(struct vcpu *v, enum tlbm_kind k, uint64_t va,
		       const struct leaf *lf, uint64_t qpa)
{
	uint64_t pa = lf->pa + (va - lf->va);
	char msg[160];

	if (qpa == NO_PA && !qemu_plugin_translate_vaddr(va, &qpa)) {
		v->st.xlate_fail[k]++;
		return;
	}
	v->st.checked[k]++;
	if (pa == qpa)
		return;
	if (v->st.mismatch[k]++ < 5) {
		snprintf(msg, sizeof(msg), "tlbplugin: %s va %#" PRIx64 ": walk %#" PRIx64
			 " (%s leaf) but QEMU %#" PRIx64 "\n", tlbm_kind_name(k), va, pa,
			 tlbm_psize_name(lf->ps), qpa);
		qemu_plugin_outs(msg);
	}
}

/* ---- address classes --------------------------------------------------- */

static int classify(uint64_t va)
{
	int i;

	if (va < USER_END)
		return CL_USER;
	for (i = 0; i < nranges; i++)
		if (va >= ranges[i].start && va < ranges[i].end)
			return ranges[i].cls;
	if (va >= MODULES_VADDR && va < MODULES_END)
		return CL_MODULES;
	if (va >= KIMAGE_START && va < MODULES_VADDR)
		return CL_KERNEL;
	if (va >= DIRECT_START && va < DIRECT_END)
		return CL_DIRECT;
	if (va >= VMALLOC_START && va < VMALLOC_END)
		return CL_VMALLOC;
	return CL_OTHER;
}

static const char *class_name(int c)
{
	return c < CL_NFIXED ? fixed_names[c] : gclass[c - CL_NFIXED];
}

static int gclass_find(const char *name)
{
	int i;

	for (i = 0; i < ngclass; i++)
		if (!strcmp(gclass[i], name))
			return CL_NFIXED + i;
	for (i = 0; i < CL_NFIXED; i++)
		if (!strcmp(fixed_names[i], name))
			return i;
	if (ngclass == MAX_GCLASS)
		return -1;
	memcpy(gclass[ngclass], name, sizeof(gclass[0]));
	return CL_NFIXED + ngclass++;
}

static void add_range(uint64_t name8, uint64_t start, uint64_t end)
{
	char name[9] = { 0 };
	int c, i;

	memcpy(name, &name8, 8);
	for (i = 0; name[i]; i++)
		if (name[i] < '0' || name[i] > 'z')
			name[i] = '_';
	c = gclass_find(name);
	if (c < 0 || nranges == MAX_RANGES || start >= end) {
		qemu_plugin_outs("tlbplugin: class range refused (too many or empty)\n");
		return;
	}
	ranges[nranges++] = (struct range){ start, end, c };
}

/* ---- the shadow: walk results until the guest flushes ------------------- */

static struct shadow *sh_slot(struct vcpu *v, uint64_t vpn1)
{
	return &v->sh[(vpn1 * 0x9e3779b97f4a7c15ULL) >> (64 - SHADOW_BITS)];
}

static bool sh_valid(const struct vcpu *v, const struct shadow *e, uint64_t vpn1)
{
	return e->vpn1 == vpn1 && e->gen == (e->lf.global ? v->ggen : v->ugen);
}

static uint64_t page_key(struct vcpu *v, const struct leaf *lf)
{
	uint64_t as = lf->global ? 0 : (v->cr3 >> 12) * 0x9e3779b97f4a7c15ULL;

	return ((lf->va ^ as) & ~0xfffULL) | lf->ps;
}

static bool sh_fill(struct vcpu *v, enum tlbm_kind k, uint64_t va, uint64_t qpa,
		    struct shadow *e)
{
	struct leaf lf;

	if (!pt_walk(v, va, &lf)) {
		v->st.walk_fail[k]++;
		return false;
	}
	check_leaf(v, k, va, &lf, qpa);
	e->vpn1 = (va >> 12) + 1;
	e->lf = lf;
	e->gen = lf.global ? v->ggen : v->ugen;
	e->cls = classify(va);
	g_hash_table_insert(v->pages[k], (gpointer)page_key(v, &lf),
			    GUINT_TO_POINTER(1 + e->cls + (lf.ps << 8)));
	return true;
}

/* A modeled walk on a cached translation: walk for real, check, refresh. */
static void sh_recheck(struct vcpu *v, enum tlbm_kind k, uint64_t va, uint64_t qpa,
		       struct shadow *e)
{
	struct leaf lf;

	if (!pt_walk(v, va, &lf)) {
		v->st.walk_fail[k]++;
		return;
	}
	check_leaf(v, k, va, &lf, qpa);
	if (lf.va == e->lf.va && lf.pa == e->lf.pa && lf.ps == e->lf.ps &&
	    lf.global == e->lf.global)
		return;
	v->st.stale++;
	e->lf = lf;
	e->gen = lf.global ? v->ggen : v->ugen;
}

static void flush_shadow(struct vcpu *v, bool global)
{
	v->ugen++;
	if (global)
		v->ggen++;
	v->last[TLBM_INSN] = 0;
	v->last[TLBM_DATA] = 0;
}

/* ---- feeding the models ------------------------------------------------- */

/* Returns true if some profile walked. */
static bool model_access(struct vcpu *v, enum tlbm_kind k, uint64_t va,
			 const struct shadow *e)
{
	bool walked = false;
	int p, lvl;

	for (p = 0; p < nprof; p++) {
		struct pcount *c = &v->pc[p];

		lvl = tlbm_access(v->m[p], k, va, e->lf.ps, e->lf.global, 0);
		c->acc[e->cls][k]++;
		if (lvl == 1)
			continue;
		c->l1m[e->cls][k]++;
		if (lvl == 0) {
			c->walks[e->cls][k][e->lf.ps]++;
			walked = true;
		}
	}
	return walked;
}

/*
 * The same 4K page as the last access of this kind, no flush since: an L1
 * hit changing nothing in every model whose profile says so
 * (tlbm_profile_repeats_hit(): an L1 array per kind and size, none shared
 * by code and data).
 */
static void fast_hit(struct vcpu *v, enum tlbm_kind k, int cls)
{
	int p;

	for (p = 0; p < nprof; p++)
		v->pc[p].acc[cls][k]++;
}

/*
 * One translation.  qinfo/has_info: the memory access (data), whose QEMU
 * physical address is looked up only when a walk has to be checked.
 */
static void translate(struct vcpu *v, enum tlbm_kind k, uint64_t va,
		      unsigned int ninsn, qemu_plugin_meminfo_t info)
{
	uint64_t vpn1 = (va >> 12) + 1, qpa = NO_PA;
	struct shadow *e = sh_slot(v, vpn1);
	struct qemu_plugin_hwaddr *hw;
	bool fresh = false;

	if (repeats_hit && v->last[k] == vpn1 && sh_valid(v, e, vpn1)) {
		fast_hit(v, k, e->cls);
		v->st.insns[e->cls] += ninsn;
		return;
	}
	if (k == TLBM_DATA && !sh_valid(v, e, vpn1)) {
		hw = qemu_plugin_get_hwaddr(info, va);
		if (hw && qemu_plugin_hwaddr_is_io(hw))
			v->st.io++;
		else if (hw)
			qpa = qemu_plugin_hwaddr_phys_addr(hw);
	}
	if (!sh_valid(v, e, vpn1)) {
		if (!sh_fill(v, k, va, qpa, e))
			return;
		fresh = true;
	}
	if (model_access(v, k, va, e) && !fresh) {
		if (k == TLBM_DATA) {
			hw = qemu_plugin_get_hwaddr(info, va);
			qpa = hw && !qemu_plugin_hwaddr_is_io(hw) ?
				qemu_plugin_hwaddr_phys_addr(hw) : NO_PA;
		}
		sh_recheck(v, k, va, qpa, e);
	}
	v->last[k] = vpn1;
	v->st.insns[e->cls] += ninsn;
}

/* ---- execution callbacks ----------------------------------------------- */

/*
 * udata: page address at translation | RUN_NEXT if the run is the second
 * page of a straddling instruction | number of instructions of the run.
 * QEMU 11.1's x86 blocks are position-independent (looked up by physical
 * address): one block serves every virtual alias of its code (a library or
 * a hugetlb page mapped twice), so the page comes from RIP at run time.
 */
#define RUN_NEXT	0x800
#define RUN_N		0x7ff

static void fetch_cb(unsigned int cpu, void *udata)
{
	uint64_t u = (uintptr_t)udata, page = u & ~0xfffULL, rip;
	struct vcpu *v;

	if (!win_active || (int)cpu >= max_vcpus || !vcpus[cpu].init)
		return;
	v = &vcpus[cpu];
	/* kernel code has one virtual address: only user code is aliased */
	rip = page < USER_END ? read_reg(v, v->reg_rip) : 0;
	if (rip) {
		rip = (rip & ~0xfffULL) + (u & RUN_NEXT ? 0x1000 : 0);
		v->st.fetch_moved += rip != page;
		page = rip;
	}
	translate(v, TLBM_INSN, page, u & RUN_N, 0);
}

static void mem_cb(unsigned int cpu, qemu_plugin_meminfo_t info, uint64_t va,
		   void *udata)
{
	(void)udata;
	if (!win_active || (int)cpu >= max_vcpus || !vcpus[cpu].init)
		return;
	translate(&vcpus[cpu], TLBM_DATA, va, 0, info);
}

static void flush_models(struct vcpu *v, int op, uint64_t va, bool known)
{
	int p;

	for (p = 0; p < nprof; p++) {
		if (op == FL_CR3)
			tlbm_flush_nonglobal(v->m[p]);
		else if (op == FL_INVLPG && known)
			tlbm_flush_va(v->m[p], va);
		else
			tlbm_flush_all(v->m[p]);
	}
}

/*
 * udata: op | base GPR << 8 (0xff: operand not decoded) | disp32 << 32.
 * Runs before the instruction: the flush takes effect at it, and the next
 * walk reads the new CR3.
 */
static void flush_cb(unsigned int cpu, void *udata)
{
	uint64_t u = (uintptr_t)udata, va = 0;
	int op = u & 0xff, reg = (u >> 8) & 0xff;
	struct vcpu *v;
	bool known = false;

	if ((int)cpu >= max_vcpus || !vcpus[cpu].init)
		return;
	v = &vcpus[cpu];
	if (op == FL_INVLPG && reg < 16) {
		va = read_reg(v, v->gpr[reg]) + (int64_t)(int32_t)(u >> 32);
		known = true;
	}
	v->st.cr3 += op == FL_CR3;
	v->st.cr4 += op == FL_CR4;
	v->st.cr0 += op == FL_CR0;
	v->st.invlpg += op == FL_INVLPG;
	v->st.invlpg_unknown += op == FL_INVLPG && !known;
	v->st.invpcid += op == FL_INVPCID;
	flush_shadow(v, op != FL_CR3);
	flush_models(v, op, va, known);
}

/* ---- windows and output -------------------------------------------------- */

static void emit(const char *key, uint64_t val)
{
	if (out)
		fprintf(out, "%" PRIu64 " %s %" PRIu64 "\n", win_label, key, val);
}

static void emit_model_class(int p, const char *cpu, int c, const struct pcount *pc)
{
	const char *pn = tlbm_profile_name(profiles[p]);
	char key[160];
	uint64_t w;
	int k, s;

	for (k = 0; k < TLBM_NKIND; k++) {
		const char *kn = tlbm_kind_name(k);

		if (!pc->acc[c][k])
			continue;
		snprintf(key, sizeof(key), "model.%s.%s.%s.%s.accesses", pn, cpu,
			 class_name(c), kn);
		emit(key, pc->acc[c][k]);
		snprintf(strrchr(key, '.'), 16, ".l1_misses");
		emit(key, pc->l1m[c][k]);
		for (s = 0, w = 0; s < TLBM_NPSIZE; s++) {
			snprintf(strrchr(key, '.'), 16, ".walks_%s", tlbm_psize_name(s));
			emit(key, pc->walks[c][k][s]);
			w += pc->walks[c][k][s];
		}
		snprintf(strrchr(key, '.'), 16, ".walks");
		emit(key, w);
	}
}

/* Sum over classes into index NCLASS... of a pcount with NCLASS + 1 rows. */
struct pcount_all {
	struct pcount pc;
	uint64_t acc[TLBM_NKIND], l1m[TLBM_NKIND], walks[TLBM_NKIND][TLBM_NPSIZE];
};

static void pcount_add(struct pcount_all *dst, const struct pcount *src)
{
	int c, k, s;

	for (c = 0; c < NCLASS; c++) {
		for (k = 0; k < TLBM_NKIND; k++) {
			dst->pc.acc[c][k] += src->acc[c][k];
			dst->pc.l1m[c][k] += src->l1m[c][k];
			dst->acc[k] += src->acc[c][k];
			dst->l1m[k] += src->l1m[c][k];
			for (s = 0; s < TLBM_NPSIZE; s++) {
				dst->pc.walks[c][k][s] += src->walks[c][k][s];
				dst->walks[k][s] += src->walks[c][k][s];
			}
		}
	}
}

static void emit_model_total(int p, const char *cpu, const struct pcount_all *a)
{
	const char *pn = tlbm_profile_name(profiles[p]);
	char key[160];
	uint64_t w;
	int k, s;

	for (k = 0; k < TLBM_NKIND; k++) {
		const char *kn = tlbm_kind_name(k);

		snprintf(key, sizeof(key), "model.%s.%s.all.%s.accesses", pn, cpu, kn);
		emit(key, a->acc[k]);
		snprintf(strrchr(key, '.'), 16, ".l1_misses");
		emit(key, a->l1m[k]);
		for (s = 0, w = 0; s < TLBM_NPSIZE; s++) {
			snprintf(strrchr(key, '.'), 16, ".walks_%s", tlbm_psize_name(s));
			emit(key, a->walks[k][s]);
			w += a->walks[k][s];
		}
		snprintf(strrchr(key, '.'), 16, ".walks");
		emit(key, w);
	}
}

static void emit_model(int p)
{
	struct pcount_all *all = g_new0(struct pcount_all, 1);
	struct pcount_all *one = g_new0(struct pcount_all, 1);
	char cpu[16];
	int i, c;

	for (i = 0; i < max_vcpus; i++) {
		if (!vcpus[i].init)
			continue;
		memset(one, 0, sizeof(*one));
		pcount_add(one, &vcpus[i].pc[p]);
		pcount_add(all, &vcpus[i].pc[p]);
		snprintf(cpu, sizeof(cpu), "cpu%d", i);
		emit_model_total(p, cpu, one);
	}
	emit_model_total(p, "all", all);
	for (c = 0; c < NCLASS; c++)
		emit_model_class(p, "all", c, &all->pc);
	g_free(one);
	g_free(all);
}

struct page_tally {
	uint64_t n[NCLASS + 1][TLBM_NPSIZE];
};

static void tally_page(gpointer key, gpointer val, gpointer data)
{
	struct page_tally *t = data;
	unsigned int v = GPOINTER_TO_UINT(val) - 1;

	(void)key;
	t->n[v & 0xff][v >> 8]++;
	t->n[NCLASS][v >> 8]++;
}

static void merge_page(gpointer key, gpointer val, gpointer data)
{
	g_hash_table_insert(data, key, val);
}

static void emit_pages_tally(const char *cpu, int k, GHashTable *h)
{
	struct page_tally t = { 0 };
	char key[128];
	int c, s;

	g_hash_table_foreach(h, tally_page, &t);
	for (c = 0; c <= NCLASS; c++) {
		for (s = 0; s < TLBM_NPSIZE; s++) {
			if (!t.n[c][s] && c != NCLASS)
				continue;
			snprintf(key, sizeof(key), "pages.%s.%s.%s.%s", cpu, tlbm_kind_name(k),
				 c == NCLASS ? "all" : class_name(c), tlbm_psize_name(s));
			emit(key, t.n[c][s]);
		}
	}
}

static void emit_pages(void)
{
	char cpu[16];
	int i, k;

	for (k = 0; k < TLBM_NKIND; k++) {
		GHashTable *all = g_hash_table_new(g_direct_hash, g_direct_equal);

		for (i = 0; i < max_vcpus; i++) {
			if (!vcpus[i].init)
				continue;
			snprintf(cpu, sizeof(cpu), "cpu%d", i);
			emit_pages_tally(cpu, k, vcpus[i].pages[k]);
			g_hash_table_foreach(vcpus[i].pages[k], merge_page, all);
		}
		emit_pages_tally("all", k, all);
		g_hash_table_destroy(all);
	}
}

static void stats_add(struct stats *d, const struct stats *s)
{
	const uint64_t *a = (const uint64_t *)s;
	uint64_t *b = (uint64_t *)d;
	size_t i;

	for (i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		b[i] += a[i];
}

static void emit_stats(void)
{
	struct stats st = { 0 };
	uint64_t insns = 0, n;
	char key[64];
	int i, c;

	for (i = 0; i < max_vcpus; i++) {
		if (!vcpus[i].init)
			continue;
		stats_add(&st, &vcpus[i].st);
		for (c = 0, n = 0; c < NCLASS; c++)
			n += vcpus[i].st.insns[c];
		snprintf(key, sizeof(key), "insns.cpu%d", i);
		emit(key, n);
		insns += n;
	}
	emit("insns.all", insns);
	for (c = 0; c < NCLASS; c++) {
		if (!st.insns[c])
			continue;
		snprintf(key, sizeof(key), "insns.class.%s", class_name(c));
		emit(key, st.insns[c]);
	}
	emit("check.insn.checked", st.checked[TLBM_INSN]);
	emit("check.insn.mismatch", st.mismatch[TLBM_INSN]);
	emit("check.insn.xlate_fail", st.xlate_fail[TLBM_INSN]);
	emit("check.data.checked", st.checked[TLBM_DATA]);
	emit("check.data.mismatch", st.mismatch[TLBM_DATA]);
	emit("check.data.io", st.io);
	emit("check.stale", st.stale);
	emit("fetch.moved", st.fetch_moved);
	emit("walk.real", st.walks_real);
	emit("walk.fail.insn", st.walk_fail[TLBM_INSN]);
	emit("walk.fail.data", st.walk_fail[TLBM_DATA]);
	emit("flush.cr3", st.cr3);
	emit("flush.cr4", st.cr4);
	emit("flush.cr0", st.cr0);
	emit("flush.invlpg", st.invlpg);
	emit("flush.invlpg_unknown", st.invlpg_unknown);
	emit("flush.invpcid", st.invpcid);
}

static void window_dump(bool complete)
{
	int p;

	if (!out)
		return;
	emit("window.complete", complete);
	emit_stats();
	emit_pages();
	for (p = 0; p < nprof; p++)
		emit_model(p);
	fflush(out);
}

static void window_zero(void)
{
	int i, k;

	for (i = 0; i < max_vcpus; i++) {
		struct vcpu *v = &vcpus[i];

		if (!v->init)
			continue;
		memset(v->pc, 0, sizeof(v->pc));
		memset(&v->st, 0, sizeof(v->st));
		for (k = 0; k < TLBM_NKIND; k++)
			g_hash_table_remove_all(v->pages[k]);
		/* refill the shadow: every page of the window is walked once */
		flush_shadow(v, true);
	}
}

static void finish(void);

static void atexit_cb(void *udata)
{
	(void)udata;
	finish();
}

static void reset_done(void *udata)
{
	(void)udata;
	qemu_plugin_register_vcpu_tb_trans_cb(plugin_id, tb_trans, NULL);
	qemu_plugin_register_atexit_cb(plugin_id, atexit_cb, NULL);
}

static void window_begin(uint64_t label)
{
	if (win_active)
		window_dump(false);
	win_label = label;
	window_zero();
	win_active = true;
	if (instrumenting)
		return;
	instrumenting = true;
	qemu_plugin_reset(plugin_id, reset_done, NULL);
}

static void window_end(void)
{
	if (!win_active)
		return;
	win_active = false;
	window_dump(true);
}

static void marker_cb(unsigned int cpu, void *udata)
{
	int op = (uintptr_t)udata;
	struct vcpu *v;

	if ((int)cpu >= max_vcpus || !vcpus[cpu].init)
		return;
	v = &vcpus[cpu];
	switch (op) {
	case TLBMARK_BEGIN:
		window_begin(read_reg(v, v->gpr[7]));
		break;
	case TLBMARK_END:
		window_end();
		break;
	case TLBMARK_RESET:
		if (win_active)
			window_zero();
		break;
	case TLBMARK_RANGE:
		add_range(read_reg(v, v->gpr[7]), read_reg(v, v->gpr[6]),
			  read_reg(v, v->gpr[2]));
		break;
	}
}

/* ---- translation --------------------------------------------------------- */

static int marker_op(const uint8_t *b, size_t len)
{
	uint32_t disp;

	if (len != 7 || b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
		return 0;
	memcpy(&disp, b + 3, 4);
	if ((disp & ~0xffu) != TLBMARK_MAGIC)
		return 0;
	return disp & 0xff;
}

/* INVLPG m: base register (no SIB, not RIP-relative) and displacement. */
static uint64_t decode_invlpg(const uint8_t *m, size_t left, int rex)
{
	int mod = m[0] >> 6, rm = m[0] & 7;
	int32_t disp = 0;
	int8_t d8;

	if (rm == 4 || (mod == 0 && rm == 5))
		return FL_INVLPG | 0xff00;
	if (mod == 1 && left >= 2) {
		memcpy(&d8, m + 1, 1);
		disp = d8;
	} else if (mod == 2 && left >= 5) {
		memcpy(&disp, m + 1, 4);
	}
	rm |= (rex & 1) << 3;
	return FL_INVLPG | (uint64_t)rm << 8 | (uint64_t)(uint32_t)disp << 32;
}

/* 0 or the flush_cb udata for mov-to-CR0/3/4, INVLPG, INVPCID. */
static uint64_t flush_kind(const uint8_t *b, size_t len)
{
	size_t i = 0;
	int rex = 0, cr;

	while (i < len && (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x2e ||
			   b[i] == 0x3e || b[i] == 0x26 || b[i] == 0x64 || b[i] == 0x65 ||
			   b[i] == 0x36))
		i++;
	if (i < len && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 2 >= len + 0 || b[i] != 0x0f)
		return 0;
	if (b[i + 1] == 0x22) {
		cr = ((b[i + 2] >> 3) & 7) | ((rex & 4) << 1);
		return cr == 3 ? FL_CR3 : cr == 4 ? FL_CR4 : cr == 0 ? FL_CR0 : 0;
	}
	if (b[i + 1] == 0x01 && (b[i + 2] >> 6) != 3 && ((b[i + 2] >> 3) & 7) == 7)
		return decode_invlpg(b + i + 2, len - i - 2, rex);
	if (i + 3 < len && b[i + 1] == 0x38 && b[i + 2] == 0x82)
		return FL_INVPCID;
	return 0;
}

struct run {
	struct qemu_plugin_insn *first;
	uint64_t page;
	unsigned int n;
};

static void run_close(struct run *r)
{
	if (r->first)
		qemu_plugin_register_vcpu_insn_exec_cb(r->first, fetch_cb, QEMU_PLUGIN_CB_R_REGS,
						       (void *)(uintptr_t)(r->page | r->n));
	r->first = NULL;
}

static void run_open(struct run *r, struct qemu_plugin_insn *insn, uint64_t page,
		     unsigned int n)
{
	run_close(r);
	*r = (struct run){ insn, page, n };
}

static void instrument(struct qemu_plugin_insn *insn, const uint8_t *b, size_t len,
		       struct run *r)
{
	uint64_t va = qemu_plugin_insn_vaddr(insn), fl = flush_kind(b, len);
	uint64_t page = va & ~0xfffULL;
	uint64_t last = (va + qemu_plugin_insn_size(insn) - 1) & ~0xfffULL;

	if (r->first && r->page == page && r->n < RUN_N)
		r->n++;
	else
		run_open(r, insn, page, 1);
	if (last != page)		/* straddles a page: fetches both */
		run_open(r, insn, last | RUN_NEXT, 0);
	qemu_plugin_register_vcpu_mem_cb(insn, mem_cb, QEMU_PLUGIN_CB_R_REGS,
					 QEMU_PLUGIN_MEM_RW, NULL);
	if (fl) {
		qemu_plugin_register_vcpu_insn_exec_cb(insn, flush_cb, QEMU_PLUGIN_CB_R_REGS,
						       (void *)(uintptr_t)fl);
		run_close(r);		/* the next fetch follows the flush */
	}
}

static void tb_trans(struct qemu_plugin_tb *tb, void *udata)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb), len;
	struct run r = { 0 };
	uint8_t b[16];
	int op;

	(void)udata;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		/* before the first window: markers only, and they are 7 bytes */
		if (!instrumenting && qemu_plugin_insn_size(insn) != 7)
			continue;
		len = qemu_plugin_insn_data(insn, b, sizeof(b));
		op = marker_op(b, len);
		if (op)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker_cb,
							       QEMU_PLUGIN_CB_R_REGS,
							       (void *)(uintptr_t)op);
		if (instrumenting)
			instrument(insn, b, len, &r);
	}
	run_close(&r);
}

/* ---- setup --------------------------------------------------------------- */

static void find_regs(struct vcpu *v)
{
	GArray *regs = qemu_plugin_get_registers();
	guint i, esz = regs ? g_array_get_element_size(regs) : 0;
	int g;

	for (i = 0; regs && esz >= sizeof(qemu_plugin_reg_descriptor) && i < regs->len; i++) {
		const qemu_plugin_reg_descriptor *d =
			(const void *)(regs->data + (size_t)i * esz);

		if (!strcmp(d->name, "cr3"))
			v->reg_cr3 = d->handle;
		if (!strcmp(d->name, "rip"))
			v->reg_rip = d->handle;
		for (g = 0; g < 16; g++)
			if (!strcmp(d->name, gpr_names[g]))
				v->gpr[g] = d->handle;
	}
	if (regs)
		g_array_free(regs, true);
}

static void vcpu_setup(unsigned int cpu)
{
	struct vcpu *v;
	int p, k;

	if ((int)cpu >= max_vcpus)
		return;
	v = &vcpus[cpu];
	v->buf = g_byte_array_new();
	find_regs(v);
	if (!v->reg_cr3)
		qemu_plugin_outs("tlbplugin: QEMU exposes no cr3 register: no walks\n");
	for (p = 0; p < nprof; p++)
		v->m[p] = tlbm_new(profiles[p]);
	v->sh = g_new0(struct shadow, 1 << SHADOW_BITS);
	v->ugen = 1;
	v->ggen = 1;
	for (k = 0; k < TLBM_NKIND; k++)
		v->pages[k] = g_hash_table_new(g_direct_hash, g_direct_equal);
	v->init = true;
}

static void vcpu_init(unsigned int cpu, void *udata)
{
	(void)udata;
	vcpu_setup(cpu);
}

static void finish(void)
{
	if (win_active) {
		win_active = false;
		window_dump(false);
	}
	if (out)
		fclose(out);
	out = NULL;
}

static void emit_meta(const qemu_info_t *info)
{
	char key[128];
	int p, k, s, l;

	fprintf(out, "meta api %d..%d built %d\n", info->version.min, info->version.cur,
		TLBP_QEMU_API);
	for (p = 0; p < nprof; p++) {
		fprintf(out, "meta profile %s\n", tlbm_profile_name(profiles[p]));
		for (k = 0; k < TLBM_NKIND; k++)
			for (s = 0; s < TLBM_NPSIZE; s++)
				for (l = 1; l <= 2; l++) {
					snprintf(key, sizeof(key), "capacity.%s.%s.%s.l%d",
						 tlbm_profile_name(profiles[p]), tlbm_kind_name(k),
						 tlbm_psize_name(s), l);
					fprintf(out, "meta %s %u\n", key,
						tlbm_profile_capacity(profiles[p], k, s, l));
				}
	}
	fflush(out);
}

static int parse_args(int argc, char **argv)
{
	char err[256];
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "profile=", 8) && nprof < MAX_PROFILES) {
			profiles[nprof] = tlbm_profile_load(argv[i] + 8, err, sizeof(err));
			if (!profiles[nprof]) {
				fprintf(stderr, "tlbplugin: %s\n", err);
				return -1;
			}
			nprof++;
		} else if (!strncmp(argv[i], "out=", 4)) {
			out_path = argv[i] + 4;
		} else {
			fprintf(stderr, "tlbplugin: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	repeats_hit = true;
	for (i = 0; i < nprof; i++)
		repeats_hit &= tlbm_profile_repeats_hit(profiles[i]);
	if (!nprof || !out_path) {
		fprintf(stderr, "tlbplugin: needs profile=FILE (1..%d) and out=FILE\n",
			MAX_PROFILES);
		return -1;
	}
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	api_cur = info->version.cur;
	if (!info->system_emulation || strcmp(info->target_name, "x86_64")) {
		fprintf(stderr, "tlbplugin: x86_64 system emulation only\n");
		return -1;
	}
	if (parse_args(argc, argv))
		return -1;
	out = fopen(out_path, "w");
	if (!out) {
		perror(out_path);
		return -1;
	}
	plugin_id = id;
	max_vcpus = info->system.max_vcpus;
	vcpus = g_new0(struct vcpu, max_vcpus);
	emit_meta(info);
	qemu_plugin_register_vcpu_init_cb(id, vcpu_init, NULL);
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans, NULL);
	qemu_plugin_register_atexit_cb(id, atexit_cb, NULL);
	return 0;
}
