// SPDX-License-Identifier: GPL-2.0
/*
 * The allocation paths of two builds of execmem, timed interleaved in one
 * boot: "new" (execmem.ko of this tree) and "old"
 * (execmem_old.ko: an earlier commit built by bench/ab/ab.sh with its
 * module and exported symbols renamed execmem_old*).
 *
 * Each round runs the same seeded sequence of requests through both, in
 * alternating order (new first in even rounds), and prints one line per
 * build and metric: the median over the round of
 *   ops:        execmem_alloc + execmem_free
 *   lifecycle:  execmem_alloc + execmem_write of 16 bytes + execmem_free
 * bench/ab/ab.sh turns the per-round ratios into a median and its 95 %
 * bootstrap interval.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/ktime.h>
#include <execmem.h>
#include "execmem_old.h"

static unsigned int rounds = 30;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds of both builds (default 30)");
static unsigned int per_round = 400;
module_param(per_round, uint, 0444);
MODULE_PARM_DESC(per_round, "requests per build and round (default 400)");
static unsigned int max_size = 2048;
module_param(max_size, uint, 0444);
MODULE_PARM_DESC(max_size, "largest request, bytes (default 2048: BPF-like sizes)");

struct ab_impl {
	const char *name;
	void *(*alloc)(size_t size);
	int (*write)(void *dst, const void *src, size_t len);
	void (*free)(void *p);
};

static void *new_alloc(size_t size)
{
	return execmem_alloc(EXECMEM_MODULE_TEXT, size);
}

static void *old_alloc(size_t size)
{
	return execmem_old_alloc(EXECMEM_MODULE_TEXT, size);
}

/* execmem_write() and execmem_free() are macros passing THIS_MODULE. */
static int new_write(void *dst, const void *src, size_t len)
{
	return execmem_write(dst, src, len);
}

static void new_free(void *p)
{
	execmem_free(p);
}

static int old_write(void *dst, const void *src, size_t len)
{
	return execmem_old_write(dst, src, len);
}

static void old_free(void *p)
{
	execmem_old_free(p);
}

static const struct ab_impl ab_impls[2] = {
	{ "new", new_alloc, new_write, new_free },
	{ "old", old_alloc, old_write, old_free },
};

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

/* One round of one build: the medians of both metrics; false on a failure. */
static bool ab_round(const struct ab_impl *im, const u32 *sizes, u64 *lat,
		     u64 *ops, u64 *life)
{
	u8 hdr[16];
	unsigned int k;
	u64 t0;
	void *p;

	memset(hdr, 0xcc, sizeof(hdr));
	for (k = 0; k < per_round; k++) {
		t0 = ktime_get_ns();
		p = im->alloc(sizes[k]);
		if (!p)
			return false;
		im->free(p);
		lat[k] = ktime_get_ns() - t0;
	}
	*ops = median(lat, per_round);
	for (k = 0; k < per_round; k++) {
		t0 = ktime_get_ns();
		p = im->alloc(sizes[k]);
		if (!p || im->write(p, hdr, sizeof(hdr)))
			return false;
		im->free(p);
		lat[k] = ktime_get_ns() - t0;
		cond_resched();
	}
	*life = median(lat, per_round);
	return true;
}

static int __init ab_init(void)
{
	u64 *lat = kcalloc(per_round, sizeof(*lat), GFP_KERNEL);
	u32 *sizes = kcalloc(per_round, sizeof(*sizes), GFP_KERNEL);
	u64 rnd = 0x9e3779b97f4a7c15ULL, ops, life;
	unsigned int r, j, k;
	int ret = -ENOMEM;

	if (!lat || !sizes || !per_round || max_size < 64)
		goto out;
	for (k = 0; k < per_round; k++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		sizes[k] = 64 + rnd % (max_size - 63);
	}
	ret = -EIO;
	for (r = 0; r < rounds; r++) {
		for (j = 0; j < 2; j++) {
			const struct ab_impl *im = &ab_impls[(r + j) % 2];

			if (!ab_round(im, sizes, lat, &ops, &life))
				goto out;
			pr_info("AB round %u %s ops_ns %llu lifecycle_ns %llu\n",
				r, im->name, ops, life);
		}
	}
	pr_info("AB done rounds %u per_round %u max_size %u\n", rounds,
		per_round, max_size);
	ret = 0;
out:
	kfree(lat);
	kfree(sizes);
	return ret;
}

static void __exit ab_exit(void)
{
}

module_init(ab_init);
module_exit(ab_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem: two builds' allocation paths, interleaved");
