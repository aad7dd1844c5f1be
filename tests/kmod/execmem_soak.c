// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_soak.c - soak, fault injection and memory pressure, as KTAP.
 *
 * mode=0 (soak): one kthread per online CPU runs a seeded random mix of
 * allocations (random sizes 16 B..64 KiB, now and then 2-3 MiB; random
 * alignments 64 B..2 MiB; all served types), writes of a random window
 * (read back), calls of a stub written at the start of the allocation, and
 * frees (window and stub checked first), over a window of live slots.  Fresh
 * memory must be int3.  Every 256 operations each thread checks the
 * invariants that hold in any snapshot of execmem_get_stats(); between
 * @phases the threads stop and the counters must equal this client's own
 * accounting exactly.
 *
 * faults=1: the threads set current->make_it_fail around each execmem call,
 * so that failslab / fail_page_alloc (configured with task-filter by the
 * guest script) fail allocations inside execmem only.  Every call must then
 * either succeed or fail cleanly (NULL), and the counters still balance.
 *
 * mode=1 (pressure): keep 4 spare regions, take every free 2 MiB block of
 * the page allocator (order 9, reclaim allowed: our shrinker runs), then
 * allocate: the spare regions must have been given back, and the new region
 * must be a counted 4 KiB fallback region that works.  Numbers as KTAP
 * diagnostics.
 */
#include <linux/module.h>
#include <linux/stdarg.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/vmalloc.h>
#include <linux/sched.h>
#include <linux/ktime.h>
#include <linux/numa.h>
#include <linux/swap.h>
#include <asm/pgtable.h>
#include <execmem.h>
#include "testlib.h"

static unsigned long seed = 1;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "seed of the random choices (default 1)");
static unsigned long ops = 200000;
module_param(ops, ulong, 0444);
MODULE_PARM_DESC(ops, "operations per thread (default 200000)");
static unsigned int phases = 8;
module_param(phases, uint, 0444);
MODULE_PARM_DESC(phases, "quiescent points where counters are compared exactly (default 8)");
static bool faults;
module_param(faults, bool, 0444);
MODULE_PARM_DESC(faults, "set make_it_fail around execmem calls (fault injection, task-filter)");
static unsigned int mode;
module_param(mode, uint, 0444);
MODULE_PARM_DESC(mode, "0: soak (default), 1: memory pressure");

#define WINDOW	128
#define HOG_SPLIT	128	/* 2 MiB blocks half given back: 128 MiB */

static const enum execmem_type types[] = {
	EXECMEM_DEFAULT, EXECMEM_KPROBES, EXECMEM_FTRACE, EXECMEM_BPF,
};

struct slot {
	u8 *p;
	size_t size;
	u32 val;		/* the stub at p returns it (when size >= 16) */
	u32 woff, wlen;		/* window written with pat */
	u8 pat;
};

struct acct {
	unsigned long allocs, frees, failed_allocs, writes, bytes_written;
	unsigned long calls, live, bytes, rounded;
};

struct worker {
	struct completion done;
	u64 rnd;
	unsigned long todo;
	struct slot slot[WINDOW];
	struct acct a;
	unsigned long errors, checks;
	char first_error[96];
};

/* The client's own accounting, summed over the per-CPU workers. */
static void acct_sum(const struct worker *w, struct acct *sum)
{
	unsigned int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_online_cpu(cpu) {
		sum->allocs += w[cpu].a.allocs;
		sum->frees += w[cpu].a.frees;
		sum->failed_allocs += w[cpu].a.failed_allocs;
		sum->writes += w[cpu].a.writes;
		sum->bytes_written += w[cpu].a.bytes_written;
		sum->calls += w[cpu].a.calls;
		sum->live += w[cpu].a.live;
		sum->bytes += w[cpu].a.bytes;
		sum->rounded += w[cpu].a.rounded;
	}
}

static void fail_on(void)
{
#ifdef CONFIG_FAULT_INJECTION
	if (faults)
		current->make_it_fail = 1;
#endif
}

static void fail_off(void)
{
#ifdef CONFIG_FAULT_INJECTION
	current->make_it_fail = 0;
#endif
}

static __printf(2, 3) void werr(struct worker *w, const char *fmt, ...)
{
	va_list args;

	if (w->errors++)
		return;
	va_start(args, fmt);
	vsnprintf(w->first_error, sizeof(w->first_error), fmt, args);
	va_end(args);
}

static size_t stub_len(void)
{
	return IS_ENABLED(CONFIG_X86_KERNEL_IBT) ? 16 : 12;
}

static int call_stub(const void *p)
{
	int (*fn)(void) = (void *)p;

	return fn();
}

/* The invariants of any snapshot, whoever else runs. */
static bool stats_consistent(const struct execmem_stats *st)
{
	return st->allocs - st->frees == st->live_allocs &&
	       st->regions == st->regions_huge + st->regions_fallback &&
	       st->regions_created - st->regions_released == st->regions &&
	       st->regions_empty <= st->regions &&
	       st->bytes_requested <= st->bytes_allocated &&
	       st->bytes_allocated <= st->bytes_mapped &&
	       st->bytes_allocated <= st->bytes_requested + 63 * st->live_allocs;
}

static void slot_free(struct worker *w, struct slot *s)
{
	if (!s->p)
		return;
	if (s->size >= stub_len() && call_stub(s->p) != (int)s->val)
		werr(w, "stub at %lx returned a wrong value", (unsigned long)s->p);
	if (s->wlen && memchr_inv(s->p + s->woff, s->pat, s->wlen))
		werr(w, "window %u+%u of %lx changed", s->woff, s->wlen, (unsigned long)s->p);
	fail_on();
	execmem_free(s->p);
	fail_off();
	w->a.frees++;
	w->a.live--;
	w->a.bytes -= s->size;
	w->a.rounded -= ALIGN(s->size, 64);
	s->p = NULL;
}

static void slot_alloc(struct worker *w, struct slot *s)
{
	enum execmem_type type = types[rnd32(&w->rnd) % ARRAY_SIZE(types)];
	u32 k = rnd32(&w->rnd) % 1000, how = rnd32(&w->rnd) % 8;
	size_t size, align = 64, chk;
	u8 code[32];
	u8 *p;

	if (k < 2)
		size = SZ_2M + rnd32(&w->rnd) % SZ_1M;
	else if (k < 60)
		size = SZ_4K + rnd32(&w->rnd) % (SZ_64K - SZ_4K);
	else
		size = 16 + rnd32(&w->rnd) % 4080;
	fail_on();
	if (how == 0) {
		align = 64UL << (rnd32(&w->rnd) % 16);	/* 64 B .. 2 MiB */
		p = execmem_alloc_aligned(type, size, align);
	} else if (how == 1) {
		p = execmem_alloc_node(type, size, rnd32(&w->rnd) % 64, NUMA_NO_NODE);
	} else {
		p = execmem_alloc(type, size);
	}
	fail_off();
	if (!p) {
		w->a.failed_allocs++;
		if (!faults)
			werr(w, "allocation of %zu bytes (align %zu) failed", size, align);
		return;
	}
	w->a.allocs++;
	w->a.live++;
	w->a.bytes += size;
	w->a.rounded += ALIGN(size, 64);
	s->p = p;
	s->size = size;
	s->wlen = 0;
	if ((unsigned long)p < MODULES_VADDR || (unsigned long)p + size > MODULES_END ||
	    !IS_ALIGNED((unsigned long)p, align))
		werr(w, "%lx (%zu bytes, align %zu) outside the module area or misaligned",
		     (unsigned long)p, size, align);
	chk = min_t(size_t, size, 256);
	if (memchr_inv(p, 0xcc, chk) || memchr_inv(p + size - chk, 0xcc, chk))
		werr(w, "fresh allocation %lx is not int3-filled", (unsigned long)p);
	if (size >= stub_len()) {
		s->val = rnd32(&w->rnd);
		chk = gen_ret_const(code, (unsigned long)p, s->val);
		if (execmem_write(p, code, chk)) {
			werr(w, "stub write at %lx failed", (unsigned long)p);
		} else {
			w->a.writes++;
			w->a.bytes_written += chk;
		}
	}
}

static void slot_write(struct worker *w, struct slot *s)
{
	u8 buf[256];
	size_t room;

	if (!s->p || s->size < stub_len() + 1)
		return;
	room = s->size - stub_len();
	s->wlen = 1 + rnd32(&w->rnd) % min_t(size_t, room, sizeof(buf));
	s->woff = stub_len() + rnd32(&w->rnd) % (room - s->wlen + 1);
	s->pat = rnd32(&w->rnd);
	memset(buf, s->pat, s->wlen);
	fail_on();
	if (execmem_write(s->p + s->woff, buf, s->wlen)) {
		fail_off();
		werr(w, "write %u+%u into %lx (%zu) failed", s->woff, s->wlen,
		     (unsigned long)s->p, s->size);
		s->wlen = 0;
		return;
	}
	fail_off();
	w->a.writes++;
	w->a.bytes_written += s->wlen;
	if (memcmp(s->p + s->woff, buf, s->wlen))
		werr(w, "write %u+%u into %lx does not read back", s->woff, s->wlen,
		     (unsigned long)s->p);
}

static int worker_fn(void *data)
{
	struct worker *w = data;
	struct execmem_stats st;
	unsigned long i;
	struct slot *s;
	u32 k;

	for (i = 0; i < w->todo; i++) {
		s = &w->slot[rnd32(&w->rnd) % WINDOW];
		k = rnd32(&w->rnd) % 100;
		if (k < 45) {
			slot_free(w, s);
			slot_alloc(w, s);
		} else if (k < 80) {
			slot_free(w, s);
		} else if (k < 95) {
			slot_write(w, s);
		} else if (s->p && s->size >= stub_len()) {
			if (call_stub(s->p) != (int)s->val)
				werr(w, "stub at %lx returned a wrong value", (unsigned long)s->p);
			w->a.calls++;
		}
		if (!(i % 256)) {
			execmem_get_stats(&st);
			w->checks++;
			if (!stats_consistent(&st))
				werr(w, "bad stats: allocs %lu frees %lu live %lu regions %lu",
				     st.allocs, st.frees, st.live_allocs, st.regions);
			cond_resched();
		}
	}
	complete(&w->done);
	return 0;
}

static int run_phase(struct worker *w, unsigned long todo)
{
	unsigned int cpu;
	int n = 0;

	for_each_online_cpu(cpu) {
		struct task_struct *k;

		init_completion(&w[cpu].done);
		w[cpu].todo = todo;
		k = kthread_create(worker_fn, &w[cpu], "execmem-soak/%u", cpu);
		if (IS_ERR(k)) {
			werr(&w[cpu], "kthread_create: %ld", PTR_ERR(k));
			complete(&w[cpu].done);
			continue;
		}
		kthread_bind(k, cpu);
		wake_up_process(k);
		n++;
	}
	for_each_online_cpu(cpu)
		wait_for_completion(&w[cpu].done);
	return n;
}

static int soak(void)
{
	struct execmem_stats st0, st;
	unsigned long errors = 0, checks = 0, exact_bad = 0, per_phase;
	struct acct sum;
	struct worker *w;
	unsigned int cpu, ph, threads = 0;
	const char *first = NULL;
	struct ktap t;
	u64 t0;

	ktap_begin(&t, faults ? "execmem_faults" : "execmem_soak", 5);
	w = kvcalloc(nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	for_each_online_cpu(cpu)
		w[cpu].rnd = (seed + 1) * 0x9e3779b97f4a7c15ULL * (cpu + 1) | 1;
	ktap_diag("seed %lu, %lu operations per thread in %u phases%s", seed, ops, phases,
		  faults ? ", fault injection on" : "");
	execmem_get_stats(&st0);
	per_phase = DIV_ROUND_UP(ops, phases ? phases : 1);
	t0 = ktime_get_ns();
	for (ph = 0; ph < (phases ? phases : 1); ph++) {
		threads = run_phase(w, per_phase);
		acct_sum(w, &sum);
		execmem_get_stats(&st);
		/* Quiescent: execmem's counters are exactly this client's. */
		if (st.live_allocs != st0.live_allocs + sum.live ||
		    st.bytes_requested != st0.bytes_requested + sum.bytes ||
		    st.bytes_allocated != st0.bytes_allocated + sum.rounded ||
		    st.allocs - st0.allocs != sum.allocs ||
		    st.frees - st0.frees != sum.frees ||
		    st.failed_allocs - st0.failed_allocs != sum.failed_allocs ||
		    st.writes - st0.writes != sum.writes ||
		    st.bytes_written - st0.bytes_written != sum.bytes_written ||
		    st.failed_writes != st0.failed_writes || st.bad_frees != st0.bad_frees) {
			exact_bad++;
			ktap_diag("phase %u: stats live %lu req %lu used %lu allocs %lu frees %lu",
				  ph, st.live_allocs, st.bytes_requested, st.bytes_allocated,
				  st.allocs - st0.allocs, st.frees - st0.frees);
			ktap_diag("phase %u: own live %lu req %lu used %lu allocs %lu frees %lu",
				  ph, sum.live, sum.bytes, sum.rounded, sum.allocs, sum.frees);
		}
	}
	for_each_online_cpu(cpu) {
		for (ph = 0; ph < WINDOW; ph++)
			slot_free(&w[cpu], &w[cpu].slot[ph]);
		errors += w[cpu].errors;
		checks += w[cpu].checks;
		if (w[cpu].errors && !first)
			first = w[cpu].first_error;
	}
	t0 = ktime_get_ns() - t0;
	acct_sum(w, &sum);
	execmem_get_stats(&st);
	ktap_result(&t, threads >= 2 || num_online_cpus() < 2, "%u threads, one per CPU", threads);
	ktap_result(&t, !errors,
		    "%lu operations (%lu allocs, %lu failed, %lu frees, %lu writes, %lu calls) in %llu ms: every result checked%s%s",
		    sum.allocs + sum.failed_allocs + sum.frees + sum.writes + sum.calls,
		    sum.allocs, sum.failed_allocs, sum.frees, sum.writes, sum.calls,
		    t0 / NSEC_PER_MSEC, first ? ": first error: " : "", first ? first : "");
	ktap_result(&t, checks > 0 && !errors,
		    "%lu stats snapshots under concurrency: allocs - frees = live, regions agree",
		    checks);
	ktap_result(&t, !exact_bad,
		    "%u quiescent points: execmem's counters equal the client's own accounting",
		    phases ? phases : 1);
	ktap_result(&t, st.live_allocs == st0.live_allocs &&
		    st.bytes_allocated == st0.bytes_allocated &&
		    st.regions_empty == st.regions && stats_consistent(&st) &&
		    (faults || st.failed_allocs == st0.failed_allocs),
		    "all freed: live %lu, allocated %lu, regions %lu (all spare), %lu created, %lu released",
		    st.live_allocs, st.bytes_allocated, st.regions, st.regions_created,
		    st.regions_released);
	kvfree(w);
	return 0;
}

/* ---- mode=1: memory pressure ------------------------------------------ */

static bool rox_at(const void *p, unsigned int *level)
{
	pte_t *pte = lookup_address((unsigned long)p, level);

	return pte && pte_present(*pte) && !pte_write(*pte) && pte_exec(*pte);
}

static int mem_pressure(void)
{
	static struct execmem_stats st0, st1, st2, st3;	/* off the (KASAN) stack */
	void *spare[4], *q[8];
	unsigned long hogged = 0, free_before, free_after;
	unsigned int i, j, level = 0, nq = 0;
	LIST_HEAD(hog);
	LIST_HEAD(split);
	struct page *pg, *tmp;
	bool ok_alloc = true, rox = true, calls = true;
	u8 code[32];
	struct ktap t;

	ktap_begin(&t, "execmem_pressure", 5);
	for (i = 0; i < ARRAY_SIZE(spare); i++)
		spare[i] = execmem_alloc(EXECMEM_MODULE_TEXT, 2000000);
	for (i = 0; i < ARRAY_SIZE(spare); i++)
		execmem_free(spare[i]);
	execmem_get_stats(&st0);
	ktap_diag("before: %lu regions, %lu spare (spare_regions must keep 4)",
		  st0.regions, st0.regions_empty);

	/* Take every 2 MiB block; reclaim (and so our shrinker) may run. */
	free_before = global_zone_page_state(NR_FREE_PAGES);
	for (;;) {
		pg = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 9);
		if (!pg)
			break;
		list_add(&pg->lru, &hog);
		hogged++;
	}
	/* The blocks the watermarks kept from us (execmem may go lower). */
	while ((pg = alloc_pages(GFP_NOWAIT | __GFP_NOWARN | __GFP_MEMALLOC, 9))) {
		list_add(&pg->lru, &hog);
		hogged++;
	}
	/*
	 * Give back half of the pages of HOG_SPLIT blocks, every other one:
	 * headroom for order-0 allocations (no OOM) that can never merge into
	 * a 2 MiB block while the other half is held.
	 */
	for (i = 0; i < HOG_SPLIT && !list_empty(&hog); i++) {
		pg = list_first_entry(&hog, struct page, lru);
		list_move(&pg->lru, &split);
		split_page(pg, 9);
		for (j = 1; j < 512; j += 2)
			__free_page(pg + j);
	}
	free_after = global_zone_page_state(NR_FREE_PAGES);
	execmem_get_stats(&st1);
	ktap_diag("hogged %lu x 2 MiB (%lu MiB); free pages %lu -> %lu", hogged, hogged * 2,
		  free_before, free_after);
	ktap_diag("regions %lu -> %lu, released by the shrinker %lu",
		  st0.regions, st1.regions,
		  st1.regions_released - st0.regions_released);
	/*
	 * How much reclaim asks of our shrinker depends on what else it finds
	 * (it released 4 of 4 on the stock kernels, 0 or 1 on the debug one):
	 * what must hold is that every region it took went back, counted.
	 */
	ktap_result(&t, st0.regions - st1.regions == st1.regions_released - st0.regions_released &&
		    st0.regions_empty - st1.regions_empty == st0.regions - st1.regions,
		    "under memory pressure the shrinker returned %lu of %lu spare regions, counted",
		    st0.regions_empty - st1.regions_empty, st0.regions_empty);

	/* Fill the spare regions reclaim left, so that a new region is needed. */
	for (i = 0; i < ARRAY_SIZE(spare); i++)
		spare[i] = i < st1.regions_empty ?
			   execmem_alloc(EXECMEM_MODULE_TEXT, SZ_2M) : NULL;
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		q[i] = execmem_alloc(EXECMEM_MODULE_TEXT, 4096);
		if (!q[i]) {
			ok_alloc = false;
			continue;
		}
		nq++;
		rox &= rox_at(q[i], &level);
		if (execmem_write(q[i], code, gen_ret_const(code, (unsigned long)q[i], 40 + i)) ||
		    call_stub(q[i]) != 40 + (int)i)
			calls = false;
	}
	execmem_get_stats(&st2);
	ktap_diag("no free 2 MiB block: %u allocs, regions %lu (huge %lu, fallback %lu), at %s",
		  nq, st2.regions, st2.regions_huge, st2.regions_fallback,
		  level == PG_LEVEL_4K ? "4K" : level == PG_LEVEL_2M ? "2M" : "?");
	ktap_result(&t, ok_alloc, "allocations still succeed (%u of %zu)", nq, ARRAY_SIZE(q));
	/*
	 * 6.14+ may fold physically contiguous 4 KiB pages back into a 2 MiB
	 * leaf when they are made ROX: then the region is (rightly) counted
	 * huge.  Either way the count must match the mapping.
	 */
	ktap_result(&t, rox &&
		    ((level == PG_LEVEL_4K && st2.regions_fallback > st1.regions_fallback) ||
		     (level == PG_LEVEL_2M && st2.regions_huge > st1.regions_huge)),
		    "they come from a new region mapped ROX and counted by its level (%s: %lu fallback region(s))",
		    level == PG_LEVEL_4K ? "4 KiB fallback" : "2 MiB", st2.regions_fallback);
	ktap_result(&t, calls, "code written there runs");
	for (i = 0; i < ARRAY_SIZE(q); i++)
		execmem_free(q[i]);
	for (i = 0; i < ARRAY_SIZE(spare); i++)
		execmem_free(spare[i]);
	list_for_each_entry_safe(pg, tmp, &hog, lru) {
		list_del(&pg->lru);
		__free_pages(pg, 9);
	}
	list_for_each_entry_safe(pg, tmp, &split, lru) {
		list_del(&pg->lru);
		for (j = 0; j < 512; j += 2)
			__free_page(pg + j);
	}
	execmem_get_stats(&st3);
	ktap_result(&t, st3.live_allocs == st0.live_allocs && st3.regions_fallback == 0,
		    "freed: the fallback region went back at once (regions %lu, fallback %lu)",
		    st3.regions, st3.regions_fallback);
	return 0;
}

static int __init soak_init(void)
{
	return mode == 1 ? mem_pressure() : soak();
}

static void __exit soak_exit(void)
{
}

module_init(soak_init);
module_exit(soak_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem soak, fault-injection and memory-pressure KTAP tests");
