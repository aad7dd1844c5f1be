// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_replay.c - replay the executable size of every module of Debian's
 * 7.2 kernel (tests/data/debian-7.2-modules.txt) through execmem, as KTAP.
 *
 * Allocate all in file order, write each fully (a function at its start,
 * then a pattern), call every function, check every mapping and every byte,
 * free in random order; then repeat with churn (random halves freed and
 * re-allocated in another order).  Asserts 2M ROX mappings, peak
 * utilization >= 0.98, no direct-map split, and that only spare regions
 * remain after freeing everything.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/ktime.h>
#include <linux/sort.h>
#include <asm/pgtable.h>
#include <execmem.h>
#include "testlib.h"
#include "workload.h"

static unsigned int seed = 42;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the random free and re-allocation orders");
static unsigned int churn_rounds = 4;
module_param(churn_rounds, uint, 0444);
MODULE_PARM_DESC(churn_rounds, "rounds of freeing a random half and re-allocating it");
static unsigned int spare = 1;
module_param(spare, uint, 0444);
MODULE_PARM_DESC(spare, "execmem's spare_regions setting, for the final check");

#define NR_ALLOCS ARRAY_SIZE(workload_exec)

struct replay {
	u8 **p;
	u32 *order;
	u8 *buf;
	size_t max;
	u64 rnd;
	unsigned long bad_map, bad_call, bad_bytes, failed;
};

static void shuffle(struct replay *r, u32 *v, size_t n)
{
	size_t i, j;

	for (i = n - 1; i > 0; i--) {
		j = rnd32(&r->rnd) % (i + 1);
		swap(v[i], v[j]);
	}
}

/* The full payload of allocation i: "mov $i, %eax; return", then a pattern. */
static void payload(struct replay *r, u32 i, unsigned long ip)
{
	u32 size = workload_exec[i];
	u8 *b = r->buf;
	size_t n = gen_ret_const(b, ip, i), k;

	for (k = n; k < size; k++)
		b[k] = (u8)(i * 31 + k);
}

static bool place(struct replay *r, u32 i)
{
	u32 size = workload_exec[i];
	int (*fn)(void);
	size_t off;
	u8 *p;

	/* The smallest modules are smaller than the stub: give them room. */
	p = execmem_alloc(EXECMEM_MODULE_TEXT, max_t(u32, size, 16));
	r->p[i] = p;
	if (!p) {
		r->failed++;
		return false;
	}
	payload(r, i, (unsigned long)p);
	if (execmem_write(p, r->buf, max_t(u32, size, 16))) {
		r->failed++;
		return false;
	}
	for (off = 0; off < size; off += PMD_SIZE)
		r->bad_map += !mapped_2m_rox(p + off);
	r->bad_map += !mapped_2m_rox(p + size - 1);
	fn = (void *)p;
	r->bad_call += fn() != i;
	return true;
}

static void verify_all(struct replay *r)
{
	u32 i;

	for (i = 0; i < NR_ALLOCS; i++) {
		if (!r->p[i])
			continue;
		payload(r, i, (unsigned long)r->p[i]);
		r->bad_bytes += !!memcmp(r->p[i], r->buf, workload_exec[i]);
		cond_resched();
	}
}

static void util(struct execmem_stats *st, unsigned long *permille)
{
	execmem_get_stats(st);
	*permille = st->bytes_mapped ? st->bytes_requested * 1000 / st->bytes_mapped : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void run(struct replay *r)
{
	unsigned long splits0, util_peak, util_churn, worst_churn = 1000;
	u64 total = 0, *lat, t0;
	struct execmem_stats st;
	struct ktap t;
	u32 i, k, half;

	ktap_begin(&t, "execmem_replay", 11);
	for (i = 0; i < NR_ALLOCS; i++) {
		total += workload_exec[i];
		r->max = max_t(size_t, r->max, workload_exec[i]);
	}
	ktap_diag("%zu allocations, %llu bytes, largest %zu", NR_ALLOCS, total, r->max);
	lat = kvcalloc(NR_ALLOCS, sizeof(*lat), GFP_KERNEL);
	r->buf = vmalloc(max_t(size_t, r->max, 16));
	if (!lat || !r->buf) {
		ktap_result(&t, false, "test buffers");
		goto out;
	}
	splits0 = l2_splits();

	/* 1. fill in file order */
	for (i = 0; i < NR_ALLOCS; i++) {
		t0 = ktime_get_ns();
		place(r, i);
		lat[i] = ktime_get_ns() - t0;
		cond_resched();
	}
	util(&st, &util_peak);
	ktap_result(&t, !r->failed, "all %zu allocations and writes succeeded (%lu failed)",
		    NR_ALLOCS, r->failed);
	ktap_result(&t, !r->bad_map, "every allocation in a 2M read-only executable leaf (%lu bad)",
		    r->bad_map);
	ktap_result(&t, !r->bad_call, "every function returns its index (%lu bad)", r->bad_call);
	verify_all(r);
	ktap_result(&t, !r->bad_bytes, "every byte as written (%lu allocations differ)",
		    r->bad_bytes);
	ktap_result(&t, util_peak >= 980,
		    "peak utilization %lu.%03lu >= 0.980 (%lu bytes in %lu regions, %lu fallback)",
		    util_peak / 1000, util_peak % 1000, st.bytes_requested, st.regions,
		    st.regions_fallback);
	sort(lat, NR_ALLOCS, sizeof(*lat), cmp_u64, NULL);
	ktap_diag("alloc+write+check latency: p50 %llu us, p99 %llu us",
		  lat[NR_ALLOCS / 2] / 1000, lat[NR_ALLOCS * 99 / 100] / 1000);

	/* 2. free everything in random order */
	for (i = 0; i < NR_ALLOCS; i++)
		r->order[i] = i;
	shuffle(r, r->order, NR_ALLOCS);
	for (i = 0; i < NR_ALLOCS; i++) {
		execmem_free(r->p[r->order[i]]);
		r->p[r->order[i]] = NULL;
		cond_resched();
	}
	execmem_get_stats(&st);
	ktap_result(&t, st.live_allocs == 0 && st.regions == st.regions_empty &&
		    st.regions <= spare,
		    "after freeing all in random order: %lu regions left (spare %u)",
		    st.regions, spare);

	/* 3. churn: refill, then free and re-place random halves */
	r->failed = 0;
	r->bad_map = 0;
	r->bad_call = 0;
	for (i = 0; i < NR_ALLOCS; i++) {
		place(r, i);
		cond_resched();
	}
	half = NR_ALLOCS / 2;
	for (k = 0; k < churn_rounds; k++) {
		shuffle(r, r->order, NR_ALLOCS);
		for (i = 0; i < half; i++) {
			execmem_free(r->p[r->order[i]]);
			r->p[r->order[i]] = NULL;
		}
		shuffle(r, r->order, half);
		for (i = 0; i < half; i++) {
			place(r, r->order[i]);
			cond_resched();
		}
		util(&st, &util_churn);
		worst_churn = min(worst_churn, util_churn);
		ktap_diag("churn round %u: utilization %lu.%03lu in %lu regions", k,
			  util_churn / 1000, util_churn % 1000, st.regions);
	}
	ktap_result(&t, !r->failed && !r->bad_map && !r->bad_call,
		    "churn: %u rounds, every allocation placed, mapped 2M ROX and callable",
		    churn_rounds);
	r->bad_bytes = 0;
	verify_all(r);
	ktap_result(&t, !r->bad_bytes, "churn: every byte as written");
	ktap_diag("worst utilization under churn %lu.%03lu", worst_churn / 1000,
		  worst_churn % 1000);

	for (i = 0; i < NR_ALLOCS; i++) {
		execmem_free(r->p[i]);
		r->p[i] = NULL;
	}
	execmem_get_stats(&st);
	ktap_result(&t, st.live_allocs == 0 && st.regions == st.regions_empty &&
		    st.regions <= spare, "after churn and free-all: %lu regions left",
		    st.regions);
	ktap_result(&t, st.bytes_allocated == 0 && st.bytes_requested == 0,
		    "no bytes accounted after free-all");
	ktap_result(&t, l2_splits() == splits0,
		    "direct_map_level2_splits unchanged across the whole replay (%lu)", splits0);
out:
	kvfree(lat);
	vfree(r->buf);
}

static int __init replay_init(void)
{
	struct replay r = { .rnd = seed ? seed : 1 };

	r.p = kvcalloc(NR_ALLOCS, sizeof(*r.p), GFP_KERNEL);
	r.order = kvcalloc(NR_ALLOCS, sizeof(*r.order), GFP_KERNEL);
	if (r.p && r.order)
		run(&r);
	else
		pr_info("not ok 1 - memory for the replay\n");
	kvfree(r.p);
	kvfree(r.order);
	return 0;
}

static void __exit replay_exit(void)
{
}

module_init(replay_init);
module_exit(replay_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem: replay of Debian 7.2's module text sizes");
