// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_bench_work.c - code that does work, placed by one path, called in
 * a hot-set pattern inside TLB-model windows (docs/tlb-model.md, "Code that
 * does work"; scripts/demo-tlb.sh -w work drives it).  Uses the paths
 * (bm_path_find), workloads (bm_make_workload), leaf count
 * (bm_count_leaves) and output (bm_printf) of execmem_bench_main.c
 * (execmem_bench.h); reached by writing "work PATH" to debugfs
 * execmem_bench/run.
 *
 * Two sets of allocations, both live at once, placed through PATH's own
 * alloc and write_exec (text_poke for ROX memory), as bm_place() does:
 *   bpf     nr_bpf BPF-sized allocations (the bench's "bpf" size law)
 *   loaded  the executable sizes of bench/loaded-modules.txt
 * Each allocation of size S holds one generated function (the same bytes,
 * and so the same instructions, on every path: the layout is computed from
 * S - 16, the largest code_off; the bytes around it are int3):
 *   prologue   endbr64 (a 4-byte NOP without IBT), movabs $data, %rsi,
 *              xor %eax, %eax                                  3 insns
 *   B blocks   mov d(%rsi), %ecx; add %ecx, %eax; rol $5, %eax;
 *              xor $imm, %eax; jmp to the next block            5 insns each
 *   return     the kernel's return sequence (x86_return_thunk)  1 insn
 * B = min(work_blocks, (S - 40) / 16); block j at 16 + j * stride, with
 * stride = (S - 40) / B: the blocks are spread over the whole allocation.
 * Each allocation has its own 256-byte data slice (one vmalloc array); the
 * blocks load 4-byte words spread over it.  Every call's return value is
 * checked against the value computed here when the code was generated.
 *
 * Hot-set pattern (a fixed seed, the same on every path and kernel): of a
 * set of N allocations, H = max(N / 3, 1) are hot, allocation k * N / H for
 * k < H (spread over the placement order); each call is, with probability
 * 3/4, a hot one drawn uniformly, else any of the N drawn uniformly.  Per
 * set one window (label 11: bpf, 12: loaded), interrupts off: work_warmup
 * calls, TLBMARK_RESET, work_calls calls, TLBMARK_END.  Before the windows
 * the allocations of both sets are named to the plugin as class "work"
 * (page-rounded ranges, neighbours merged: each window runs one set), the
 * data arrays as "wdata" and this module's own text as "benchko" (named
 * first: first match wins).
 *
 * Output (debugfs result), per set:
 *   WORK set S path P rox_cache 0|1 n N bytes B hot H warmup W calls C
 *        insns_per_call_min A insns_per_call_max Z insns_expected E
 *        leaf_4k X leaf_2m Y leaf_1g Z not_rox R failed F bad_calls K
 *   WORK end ranges R
 * insns_expected is the instructions the measured calls execute in the
 * set's code, to compare with the plugin's insns.class.work.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/bitops.h>
#include <linux/irqflags.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <execmem.h>
#include "execmem_bench.h"
#include "tlb/tlbmark.h"

static unsigned int work_blocks = 16;
module_param(work_blocks, uint, 0644);
MODULE_PARM_DESC(work_blocks, "work: blocks of 5 instructions per call, at most (16)");
static unsigned int work_calls = 8000;
module_param(work_calls, uint, 0644);
MODULE_PARM_DESC(work_calls, "work: measured calls per set (8000, at most 200000)");
static unsigned int work_warmup = 2000;
module_param(work_warmup, uint, 0644);
MODULE_PARM_DESC(work_warmup, "work: warm-up calls per set, before the counts restart (2000)");

#define BW_PRO		16	/* prologue bytes */
#define BW_EPI		8	/* bytes kept for the return sequence */
#define BW_BLK		16	/* bytes kept per block */
#define BW_OFF		16	/* the layout leaves the largest code_off out */
#define BW_DATA		256	/* data bytes per allocation */
#define BW_INSNS(nb)	(3 + 5 * (nb) + 1)
#define BW_MAX_RANGES	96	/* the plugin holds 128 in all */
#define BW_MAX_CALLS	200000	/* per window part: a second or two under the plugin */

static const u8 bw_nop4[] = { 0x0f, 0x1f, 0x40, 0x00 };

struct bw_set {
	struct bm_run r;	/* sizes and pointers, as execmem_bench_main.c's */
	const char *wl;		/* its workload */
	u32 *nb;		/* blocks per allocation */
	u32 *expect;		/* each function's return value */
	u32 *seq;		/* the calls: warm-up, then measured */
	u8 *data;		/* BW_DATA bytes per allocation */
	u64 bytes, insns;
	u32 hot;
};

static u32 bw_nblocks(u32 size)
{
	u32 span = size > BW_OFF + BW_PRO + BW_EPI ? size - BW_OFF - BW_PRO - BW_EPI : 0;

	return min(work_blocks, span / BW_BLK);
}

/* One block at @c + @o, jumping to @next; the new %eax from @eax. */
static u32 bw_block(u8 *c, u32 o, u32 next, const u8 *rsi, s8 disp, s8 imm, u32 eax)
{
	u32 word;
	s32 rel;

	c[o] = 0x8b;				/* mov disp(%rsi), %ecx */
	c[o + 1] = 0x4e;
	c[o + 2] = disp;
	c[o + 3] = 0x01;			/* add %ecx, %eax */
	c[o + 4] = 0xc8;
	c[o + 5] = 0xc1;			/* rol $5, %eax */
	c[o + 6] = 0xc0;
	c[o + 7] = 0x05;
	c[o + 8] = 0x83;			/* xor $imm, %eax */
	c[o + 9] = 0xf0;
	c[o + 10] = imm;
	rel = (s32)next - (s32)(o + 13);
	if (rel >= -128 && rel <= 127) {
		c[o + 11] = 0xeb;
		c[o + 12] = (u8)rel;
	} else {
		rel = (s32)next - (s32)(o + 16);
		c[o + 11] = 0xe9;
		memcpy(c + o + 12, &rel, sizeof(rel));
	}
	memcpy(&word, rsi + disp, sizeof(word));
	return rol32(eax + word, 5) ^ (u32)(s32)imm;
}

/*
 * The payload of allocation @i in @s->r.buf: its function at code_off;
 * its return value in @s->expect[i].  False if no return sequence fits.
 */
static bool bw_gen(struct bw_set *s, u32 i)
{
	u32 size = s->r.size[i], nb = s->nb[i], stride, j, o = BW_PRO, next, eax = 0;
	unsigned long ip = (unsigned long)s->r.ptr[i] + s->r.p->code_off;
	const u8 *rsi = s->data + (size_t)i * BW_DATA + BW_DATA / 2;
	u8 *c = s->r.buf + s->r.p->code_off;
	u64 dv = (unsigned long)rsi;

	memset(s->r.buf, 0xcc, size);
	memcpy(s->r.buf, &size, sizeof(size));	/* the bpf header's size */
	memcpy(c, IS_ENABLED(CONFIG_X86_KERNEL_IBT) ? bm_endbr64 : bw_nop4, 4);
	c[4] = 0x48;				/* movabs $rsi, %rsi */
	c[5] = 0xbe;
	memcpy(c + 6, &dv, sizeof(dv));
	c[14] = 0x31;				/* xor %eax, %eax */
	c[15] = 0xc0;
	stride = nb ? (size - BW_OFF - BW_PRO - BW_EPI) / nb : 0;
	for (j = 0; j < nb; j++) {
		next = j + 1 < nb ? BW_PRO + (j + 1) * stride : o + BW_BLK;
		eax = bw_block(c, o, next, rsi, (s8)(((i * 7 + j * 52) & 0xfc) - 128),
			       (s8)(i + j * 13), eax);
		o = next;
	}
	s->expect[i] = eax;
	return execmem_text_gen_return(c + o, ip + o) != 0;
}

/* Place allocation @i through the path: alloc, generate, write + make executable. */
static bool bw_place(struct bw_set *s, u32 i)
{
	const struct bm_path *p = s->r.p;

	s->r.ptr[i] = p->alloc(s->r.size[i]);
	if (!s->r.ptr[i])
		goto fail;
	if (!bw_gen(s, i) || p->write_exec(s->r.ptr[i], s->r.buf, s->r.size[i], s->r.size[i]))
		goto fail;
	return true;
fail:
	if (s->r.ptr[i])
		p->free(s->r.ptr[i], s->r.size[i]);
	s->r.ptr[i] = NULL;
	s->r.failed++;
	return false;
}

/* The call sequence: warm-up and measured calls in the hot-set pattern. */
static void bw_sequence(struct bw_set *s)
{
	u32 k, n = s->r.n, total = work_warmup + work_calls;
	u64 rnd = bm_rnd_seed();

	s->hot = max(n / 3, 1U);
	for (k = 0; k < total; k++) {
		if (rnd32(&rnd) & 3)
			s->seq[k] = (u32)((u64)(rnd32(&rnd) % s->hot) * n / s->hot);
		else
			s->seq[k] = rnd32(&rnd) % n;
	}
	for (k = work_warmup; k < total; k++)
		s->insns += BW_INSNS(s->nb[s->seq[k]]);
}

/* The workload @wl through @p: sizes, data, sequence, placement. */
static int bw_setup(struct bw_set *s, const struct bm_path *p, const char *wl)
{
	u64 pages = 0;
	u32 i;
	int ret;

	s->r = (struct bm_run){ .p = p, .rnd = bm_rnd_seed() };
	s->wl = wl;
	ret = bm_make_workload(&s->r, wl);
	if (ret)
		return ret;
	s->nb = kvcalloc(s->r.n, sizeof(u32), GFP_KERNEL);
	s->expect = kvcalloc(s->r.n, sizeof(u32), GFP_KERNEL);
	s->seq = kvcalloc(work_warmup + work_calls, sizeof(u32), GFP_KERNEL);
	s->data = vmalloc((size_t)s->r.n * BW_DATA);
	for (i = 0; i < s->r.n; i++)
		pages += s->r.size[i] / PAGE_SIZE + 2;
	s->r.nkeys_max = pages;
	s->r.keys = kvcalloc(pages, sizeof(u64), GFP_KERNEL);
	if (!s->nb || !s->expect || !s->seq || !s->data || !s->r.keys)
		return -ENOMEM;
	for (i = 0; i < s->r.n * BW_DATA; i++)
		s->data[i] = (u8)rnd32(&s->r.rnd);
	for (i = 0; i < s->r.n; i++) {
		s->nb[i] = bw_nblocks(s->r.size[i]);
		s->bytes += s->r.size[i];
	}
	bw_sequence(s);
	for (i = 0; i < s->r.n; i++) {
		bw_place(s, i);
		cond_resched();
	}
	return s->r.failed ? -ENOMEM : 0;
}

static void bw_teardown(struct bw_set *s)
{
	u32 i;

	for (i = 0; s->r.ptr && i < s->r.n; i++)
		if (s->r.ptr[i])
			s->r.p->free(s->r.ptr[i], s->r.size[i]);
	kvfree(s->r.keys);
	kvfree(s->r.size);
	kvfree(s->r.ptr);
	vfree(s->r.buf);
	kvfree(s->nb);
	kvfree(s->expect);
	kvfree(s->seq);
	vfree(s->data);
}

/* ---- naming the ranges to the plugin -------------------------------------- */

static void bw_mark_range(const char *name, unsigned long start, unsigned long end)
{
	u64 name8 = 0;

	memcpy(&name8, name, min_t(size_t, strlen(name), sizeof(name8)));
	TLBMARK(TLBMARK_RANGE, name8, start, end);
}

struct bw_span {
	unsigned long start, end;
};

static int cmp_span(const void *a, const void *b)
{
	const struct bw_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Merge @sp[0, @n) where less than @gap apart; mark them if @mark.  Count. */
static u32 bw_merge(struct bw_span *sp, u32 n, unsigned long gap, bool mark)
{
	struct bw_span cur = sp[0];
	u32 k, count = 0;

	for (k = 1; k <= n; k++) {
		if (k < n && sp[k].start <= cur.end + gap) {
			cur.end = max(cur.end, sp[k].end);
			continue;
		}
		if (mark)
			bw_mark_range("work", cur.start, cur.end);
		count++;
		if (k < n)
			cur = sp[k];
	}
	return count;
}

/*
 * The code of both sets as at most BW_MAX_RANGES page-rounded ranges of
 * class "work" (each window runs one set only); their number.
 */
static u32 bw_mark_code(struct bw_set *set, int nset)
{
	unsigned long gap = SZ_64K;
	struct bw_span *sp;
	u32 i, n = 0, nr = 0;
	int j;

	for (j = 0; j < nset; j++)
		n += set[j].r.n;
	sp = kvcalloc(n, sizeof(*sp), GFP_KERNEL);
	if (!sp || !n)
		goto out;
	for (j = 0, n = 0; j < nset; j++) {
		for (i = 0; i < set[j].r.n; i++, n++) {
			sp[n].start = (unsigned long)set[j].r.ptr[i] & PAGE_MASK;
			sp[n].end = PAGE_ALIGN((unsigned long)set[j].r.ptr[i] + set[j].r.size[i]);
		}
	}
	sort(sp, n, sizeof(*sp), cmp_span, NULL);
	while (bw_merge(sp, n, gap, false) > BW_MAX_RANGES)
		gap *= 2;
	nr = bw_merge(sp, n, gap, true);
out:
	kvfree(sp);
	return nr;
}

/* This module's core text: named first, so that its loop is not "work". */
static void bw_mark_self(void)
{
#ifdef for_each_mod_mem_type
	unsigned long base = (unsigned long)THIS_MODULE->mem[MOD_TEXT].base;
	unsigned long size = THIS_MODULE->mem[MOD_TEXT].size;
#else
	unsigned long base = (unsigned long)THIS_MODULE->core_layout.base;
	unsigned long size = THIS_MODULE->core_layout.text_size;
#endif

	bw_mark_range("benchko", base & PAGE_MASK, PAGE_ALIGN(base + size));
}

/* ---- the windows ------------------------------------------------------------- */

static unsigned long bw_calls(struct bw_set *s, u32 from, u32 to)
{
	unsigned long bad = 0;
	u32 (*fn)(void);
	u32 k, i;

	for (k = from; k < to; k++) {
		i = s->seq[k];
		fn = (void *)((unsigned long)s->r.ptr[i] + s->r.p->code_off);
		bad += fn() != s->expect[i];
	}
	return bad;
}

/*
 * One window: warm-up, counts restarted, measured calls.  Interrupts are
 * off for its length (well under a second): no timer tick's code lands in
 * it, and two boots give the same counts.
 */
static void bw_window(struct bw_set *s, u64 label)
{
	unsigned long flags, bad;
	struct bm_leaves lv;
	u32 i, lo = U32_MAX, hi = 0;

	local_irq_save(flags);
	TLBMARK(TLBMARK_BEGIN, label, 0, 0);
	bad = bw_calls(s, 0, work_warmup);
	TLBMARK(TLBMARK_RESET, 0, 0, 0);
	bad += bw_calls(s, work_warmup, work_warmup + work_calls);
	TLBMARK(TLBMARK_END, 0, 0, 0);
	local_irq_restore(flags);
	for (i = 0; i < s->r.n; i++) {
		lo = min_t(u32, lo, BW_INSNS(s->nb[i]));
		hi = max_t(u32, hi, BW_INSNS(s->nb[i]));
	}
	bm_count_leaves(&s->r, s->r.n, &lv);
	bm_printf("WORK set %s path %s rox_cache %d n %u bytes %llu hot %u warmup %u calls %u ",
		  s->wl, s->r.p->name, BM_ROX_CACHE, s->r.n, s->bytes, s->hot, work_warmup,
		  work_calls);
	bm_printf("insns_per_call_min %u insns_per_call_max %u insns_expected %llu ",
		  lo, hi, s->insns);
	bm_printf("leaf_4k %lu leaf_2m %lu leaf_1g %lu not_rox %lu failed %lu bad_calls %lu\n",
		  lv.n4k, lv.n2m, lv.n1g, lv.not_rox, s->r.failed, bad);
}

/* "work PATH": both sets placed through PATH @p, one window each, freed. */
void bm_work(const struct bm_path *p)
{
	static struct bw_set set[2];
	int i, ret = 0;
	u32 nranges;

	/* the windows run with interrupts off: keep them short */
	if (!p || !work_calls || work_calls > BW_MAX_CALLS || work_warmup > BW_MAX_CALLS) {
		bm_printf("WORK error: unknown path, or calls not in 1..%u\n", BW_MAX_CALLS);
		return;
	}
	memset(set, 0, sizeof(set));
	for (i = 0; i < 2 && !ret; i++)
		ret = bw_setup(&set[i], p, i ? "loaded" : "bpf");
	if (ret) {
		bm_printf("WORK error %d placing set %s (%lu failed)\n", ret, set[i - 1].wl,
			  set[i - 1].r.failed);
		goto out;
	}
	bw_mark_self();
	bw_mark_range("wdata", (unsigned long)set[0].data, (unsigned long)set[0].data +
		      PAGE_ALIGN((size_t)set[0].r.n * BW_DATA));
	bw_mark_range("wdata", (unsigned long)set[1].data, (unsigned long)set[1].data +
		      PAGE_ALIGN((size_t)set[1].r.n * BW_DATA));
	nranges = bw_mark_code(set, 2);
	for (i = 0; i < 2; i++)
		bw_window(&set[i], 11 + i);
	bm_printf("WORK end ranges %u\n", nranges);
out:
	for (i = 0; i < 2; i++)
		bw_teardown(&set[i]);
}
