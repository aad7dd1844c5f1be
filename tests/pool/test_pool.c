// SPDX-License-Identifier: GPL-2.0
/* Unit tests for execmem_pool.c (userspace, KTAP output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "ref.h"

#define MB (1UL << 20)
#define KB (1UL << 10)
#define ARENA 0xffffffffc0000000UL	/* x86-64 MODULES_VADDR */
#define ARENA_SIZE 0x3f000000UL		/* up to MODULES_END */

static struct xp_pool P;

#define CHECKP() EXPECT(xp_pool_check(&P) == 0)

static void setup(void)
{
	if (xp_pool_init(&P, ARENA, ARENA_SIZE))
		abort();
}

/* Remove and destroy every region (freeing what is left). */
static void teardown(void)
{
	while (P.head) {
		struct xp_region *r = P.head;
		size_t bit;

		for (bit = 0; bit < r->nbits; bit++)
			if (r->start[bit / 64] >> (bit % 64) & 1)
				EXPECT(xp_free(&P, r->base + bit * 64, NULL) > 0);
		xp_pool_remove(&P, r);
		xp_region_destroy(r);
	}
	xp_pool_destroy(&P);
}

static struct xp_region *add(unsigned long off, size_t size, int node, unsigned int flags)
{
	struct xp_region *r = xp_region_create(ARENA + off, size, node, flags);

	EXPECT(r);
	if (!r)
		abort();
	EXPECT(xp_pool_add(&P, r) == 0);
	CHECKP();
	return r;
}

static unsigned long alloc(size_t size, size_t align, int node)
{
	unsigned long a = xp_alloc(&P, size, align, node, NULL);

	CHECKP();
	return a;
}

static long do_free(unsigned long a)
{
	long r = xp_free(&P, a, NULL);

	CHECKP();
	return r;
}

static void t_init(void)
{
	struct xp_pool q;

	EXPECT(xp_pool_init(&q, ARENA + 4096, 64 * MB) == 0);
	EXPECT(q.arena_base == ARENA + 2 * MB && q.arena_size == 62 * MB);
	EXPECT(xp_pool_check(&q) == 0);
	xp_pool_destroy(&q);
	EXPECT(xp_pool_init(&q, ARENA, 0) == -EINVAL);
	EXPECT(xp_pool_init(&q, ARENA + 4096, 2 * MB) == -EINVAL);
	EXPECT(xp_pool_init(&q, ARENA, 1 * MB) == -EINVAL);
	EXPECT(xp_pool_init(&q, ~0UL - 4095, 2 * MB) == -EINVAL);
	EXPECT(xp_pool_init(&q, ARENA, 2 * ARENA_SIZE) == -EINVAL);
	/* an arena ending exactly at the top of the address space is fine */
	EXPECT(xp_pool_init(&q, ~0UL - 64 * MB + 1, 64 * MB) == 0);
	xp_pool_destroy(&q);
}

static void t_region_create(void)
{
	struct xp_region *r;

	EXPECT(!xp_region_create(ARENA, 0, 0, 0));
	EXPECT(!xp_region_create(ARENA, MB, 0, 0));
	EXPECT(!xp_region_create(ARENA, 3 * MB, 0, 0));
	EXPECT(!xp_region_create(ARENA + 4096, 2 * MB, 0, 0));
	EXPECT(!xp_region_create(~0UL - 2 * MB + 1, 4 * MB, 0, 0));
	r = xp_region_create(ARENA, 4 * MB, 1, XP_REGION_FALLBACK);
	EXPECT(r && r->nbits == 65536 && r->free_bytes == 4 * MB && r->largest_free == 4 * MB);
	EXPECT(r && r->node == 1 && r->flags == XP_REGION_FALLBACK && !r->nr_allocs);
	xp_region_destroy(r);
	xp_region_destroy(NULL);
}

/* A region of @base, @size that xp_pool_add() refuses; then destroyed. */
static bool add_refused(unsigned long base, unsigned long size)
{
	struct xp_region *r = xp_region_create(base, size, 0, 0);
	bool refused = xp_pool_add(&P, r) == -EINVAL;

	xp_region_destroy(r);
	return refused;
}

static void t_add_errors(void)
{
	struct xp_region *a, *b;

	setup();
	EXPECT(xp_pool_add(&P, NULL) == -EINVAL);
	a = add(4 * MB, 4 * MB, 0, 0);
	/* overlapping: same, inside, straddling either end */
	EXPECT(add_refused(ARENA + 4 * MB, 2 * MB));
	EXPECT(add_refused(ARENA + 6 * MB, 2 * MB));
	EXPECT(add_refused(ARENA + 2 * MB, 4 * MB));
	EXPECT(add_refused(ARENA + 6 * MB, 6 * MB));
	EXPECT(add_refused(ARENA, 16 * MB));
	CHECKP();
	/* outside the arena: below, above, straddling the end */
	EXPECT(add_refused(ARENA - 2 * MB, 2 * MB));
	EXPECT(add_refused(ARENA - 2 * MB, 4 * MB));
	EXPECT(add_refused(ARENA + ARENA_SIZE, 2 * MB));
	EXPECT(add_refused(ARENA + ARENA_SIZE - 2 * MB, 4 * MB));
	EXPECT(add_refused(0x1000000UL, 2 * MB));
	/* misaligned (hand-crafted: create refuses it) */
	b = xp_region_create(ARENA + 32 * MB, 2 * MB, 0, 0);
	b->base += 4096;
	EXPECT(xp_pool_add(&P, b) == -EINVAL);
	b->base -= 4096;
	b->size -= 4096;
	EXPECT(xp_pool_add(&P, b) == -EINVAL);
	b->size += 4096;
	/* last slot is fine, and list order is by base */
	EXPECT(xp_pool_add(&P, b) == 0);
	CHECKP();
	EXPECT(P.head == a && a->next == b && b->prev == a);
	EXPECT(P.nr_regions == 2 && P.bytes_mapped == 6 * MB);
	EXPECT(xp_lookup(&P, ARENA + 5 * MB) == a && xp_lookup(&P, ARENA + 8 * MB - 1) == a);
	EXPECT(!xp_lookup(&P, ARENA + 8 * MB) && !xp_lookup(&P, ARENA - 1) && !xp_lookup(&P, 0));
	EXPECT(!xp_lookup(&P, ARENA + ARENA_SIZE));
	teardown();
}

static void t_alloc_errors(void)
{
	struct xp_region *r;
	unsigned long a;

	setup();
	EXPECT(alloc(64, 64, XP_NO_NODE) == 0);	/* no region */
	r = add(0, 2 * MB, 0, 0);
	EXPECT(alloc(0, 64, XP_NO_NODE) == 0);
	EXPECT(alloc(2 * MB + 1, 64, XP_NO_NODE) == 0);
	EXPECT(alloc(~0UL, 64, XP_NO_NODE) == 0);
	EXPECT(alloc(~0UL - 10, 64, XP_NO_NODE) == 0);
	EXPECT(alloc(64, 3, XP_NO_NODE) == 0 || 1);	/* 3 < 64: treated as 64 */
	EXPECT(alloc(64, 96, XP_NO_NODE) == 0);
	EXPECT(alloc(64, 4 * MB, XP_NO_NODE) == 0);
	EXPECT(alloc(64, ~0UL, XP_NO_NODE) == 0);
	EXPECT(alloc(64, 3 * 4096, XP_NO_NODE) == 0);
	EXPECT(P.nr_allocs == 1);	/* only the align=3 one */
	a = alloc(1, 0, XP_NO_NODE);
	EXPECT(a == r->base + 64);
	a = alloc(100, 8, XP_NO_NODE);
	EXPECT(a == r->base + 128);
	EXPECT(do_free(a) == 128);
	a = alloc(2 * MB - 128, 64, XP_NO_NODE);
	EXPECT(a == r->base + 128);
	EXPECT(alloc(64, 64, XP_NO_NODE) == 0);	/* full */
	EXPECT(r->largest_free == 0 && r->free_bytes == 0 && xp_pool_largest_free(&P) == 0);
	teardown();
}

static void t_free_errors(void)
{
	struct xp_region *r, *r2;
	unsigned long a, b;
	struct xp_region *got = (void *)1;

	setup();
	r = add(0, 2 * MB, 0, 0);
	r2 = add(10 * MB, 2 * MB, 0, 0);
	a = alloc(4096, 64, XP_NO_NODE);
	b = alloc(4096, 64, XP_NO_NODE);
	EXPECT(a == r->base && b == r->base + 4096);
	EXPECT(do_free(0) == -EINVAL);
	EXPECT(do_free(a + 1) == -EINVAL);		/* unaligned */
	EXPECT(do_free(a + 32) == -EINVAL);
	EXPECT(do_free(a + 64) == -EINVAL);		/* interior */
	EXPECT(do_free(b + 4032) == -EINVAL);
	EXPECT(do_free(b + 4096) == -EINVAL);		/* free granule */
	EXPECT(do_free(r2->base) == -EINVAL);		/* empty region */
	EXPECT(do_free(ARENA + 4 * MB) == -EINVAL);	/* no region */
	EXPECT(do_free(ARENA - 64) == -EINVAL);		/* outside arena */
	EXPECT(do_free(ARENA + ARENA_SIZE) == -EINVAL);
	EXPECT(do_free(~0UL - 63) == -EINVAL);
	EXPECT(P.nr_allocs == 2 && P.bytes_used == 8192 && r->free_bytes == 2 * MB - 8192);
	EXPECT(xp_free(&P, a, &got) == 4096 && got == r);
	CHECKP();
	EXPECT(do_free(a) == -EINVAL);			/* double free */
	/* with the region given: the same checks, and the address must be in it */
	EXPECT(xp_free_in(&P, r2, b) == -EINVAL);
	EXPECT(xp_free_in(&P, r, b + 64) == -EINVAL);
	EXPECT(xp_free_in(&P, r, r->base + r->size) == -EINVAL);
	EXPECT(xp_free_in(&P, r, r->base - 64) == -EINVAL);
	EXPECT(P.nr_allocs == 1 && r->free_bytes == 2 * MB - 4096);
	CHECKP();
	EXPECT(xp_free_in(&P, r, b) == 4096);
	EXPECT(xp_free_in(&P, r, b) == -EINVAL);
	CHECKP();
	b = alloc(4096, 64, XP_NO_NODE);
	EXPECT(b == r->base);
	EXPECT(do_free(b) == 4096);
	EXPECT(do_free(b) == -EINVAL);
	EXPECT(P.nr_allocs == 0 && P.bytes_used == 0 && r->largest_free == 2 * MB);
	teardown();
}

static void t_alignment(void)
{
	struct xp_region *r;
	size_t align;
	unsigned long a, junk;

	setup();
	r = add(0, 4 * MB, 0, 0);
	junk = alloc(64, 64, XP_NO_NODE);	/* offset 0 is taken */
	EXPECT(junk == r->base);
	for (align = 64; align <= 2 * MB; align <<= 1) {
		unsigned long b, c;
		size_t bs;

		a = alloc(100, align, XP_NO_NODE);
		EXPECT(a && (a & (align - 1)) == 0);
		EXPECT(do_free(a) == 128);
		bs = align < MB ? align + 64 : 64;
		b = alloc(bs, align, XP_NO_NODE);
		EXPECT(b && (b & (align - 1)) == 0);
		c = alloc(64, 64, XP_NO_NODE);	/* keeps the layout irregular */
		EXPECT(c);
		EXPECT(do_free(b) == (long)bs);
		EXPECT(do_free(c) == 64);
	}
	/* 2 MiB aligned: offset 0 is taken, so only the second half */
	EXPECT(alloc(2 * MB + 64, 2 * MB, XP_NO_NODE) == 0);
	EXPECT(alloc(2 * MB, 2 * MB, XP_NO_NODE) == r->base + 2 * MB);
	teardown();
}

static void t_coalesce(void)
{
	struct xp_region *r;
	unsigned long a[32], big;
	int i;

	setup();
	r = add(0, 2 * MB, 0, 0);
	for (i = 0; i < 32; i++) {
		a[i] = alloc(64 * KB, 64, XP_NO_NODE);
		EXPECT(a[i] == r->base + i * 64 * KB);
	}
	EXPECT(r->largest_free == 0);
	for (i = 0; i < 32; i += 2)
		EXPECT(do_free(a[i]) == 64 * KB);
	EXPECT(r->largest_free == 64 * KB && r->free_bytes == MB);
	EXPECT(alloc(128 * KB, 64, XP_NO_NODE) == 0);
	EXPECT(do_free(a[5]) == 64 * KB);	/* merges 4, 5, 6 */
	EXPECT(r->largest_free == 192 * KB);
	EXPECT(alloc(256 * KB, 64, XP_NO_NODE) == 0);
	big = alloc(192 * KB, 64, XP_NO_NODE);
	EXPECT(big == a[4]);
	EXPECT(r->largest_free == 64 * KB);
	EXPECT(do_free(big) == 192 * KB);
	EXPECT(do_free(a[3]) == 64 * KB);	/* merges 2..6 */
	EXPECT(r->largest_free == 320 * KB);
	for (i = 1; i < 32; i += 2)
		if (i != 3 && i != 5)
			EXPECT(do_free(a[i]) == 64 * KB);
	EXPECT(r->largest_free == 2 * MB && r->free_bytes == 2 * MB && !r->nr_allocs);
	EXPECT(alloc(2 * MB, 64, XP_NO_NODE) == r->base);
	teardown();
}

static void t_bestfit(void)
{
	struct xp_region *r1, *r2, *r3;
	unsigned long a[8], x;
	int i;

	setup();
	r1 = add(0, 2 * MB, 0, 0);
	/* holes of 3, 1 and 2 granules at increasing addresses */
	for (i = 0; i < 8; i++)
		a[i] = alloc(i == 1 ? 192 : i == 3 ? 64 : i == 5 ? 128 : 64, 64, XP_NO_NODE);
	EXPECT(do_free(a[1]) == 192 && do_free(a[3]) == 64 && do_free(a[5]) == 128);
	x = alloc(64, 64, XP_NO_NODE);
	EXPECT(x == a[3]);
	x = alloc(100, 64, XP_NO_NODE);
	EXPECT(x == a[5]);
	x = alloc(64, 64, XP_NO_NODE);
	EXPECT(x == a[1]);
	/* region choice: the smallest largest_free that fits */
	r2 = add(2 * MB, 2 * MB, 1, 0);
	r3 = add(4 * MB, 2 * MB, 1, 0);
	EXPECT(alloc(MB, 64, 1) == r2->base);
	EXPECT(alloc(MB + 512 * KB, 64, 1) == r3->base);
	/* r1 ~2M (node 0), r2 1M, r3 512K free */
	EXPECT(alloc(256 * KB, 64, XP_NO_NODE) == r3->base + MB + 512 * KB);
	EXPECT(alloc(512 * KB, 64, XP_NO_NODE) == r2->base + MB);
	x = alloc(600 * KB, 64, XP_NO_NODE);
	EXPECT(xp_lookup(&P, x) == r1);
	/* alignment that only fits in a larger region: r3 has 256K at 1.75M */
	EXPECT(r3->largest_free == 256 * KB && r2->largest_free == 512 * KB);
	x = alloc(128 * KB, 512 * KB, XP_NO_NODE);
	EXPECT(x == r2->base + MB + 512 * KB);
	EXPECT(alloc(128 * KB, 256 * KB, XP_NO_NODE) == r3->base + MB + 768 * KB);
	teardown();
}

static void t_multi(void)
{
	struct xp_region *r;
	unsigned long a, s, t;
	size_t sz;

	setup();
	EXPECT(alloc(5 * MB, 64, XP_NO_NODE) == 0);
	r = add(8 * MB, 6 * MB, 0, 0);	/* what the caller does: roundup(5M, 2M) */
	EXPECT(P.nr_regions == 1);
	a = alloc(5 * MB, 64, XP_NO_NODE);
	EXPECT(a == r->base);
	EXPECT(r->largest_free == MB);
	s = alloc(300 * KB, 64, XP_NO_NODE);
	t = alloc(700 * KB, 64, XP_NO_NODE);
	EXPECT(s == r->base + 5 * MB && t == s + 300 * KB);
	EXPECT(alloc(64, 64, XP_NO_NODE) == r->base + 6 * MB - 24 * KB);
	EXPECT(xp_find(&P, a + 3 * MB + 5, &s, &sz) && s == a && sz == 5 * MB);
	EXPECT(xp_lookup(&P, a + 4 * MB) == r && xp_lookup(&P, a + 6 * MB - 1) == r);
	EXPECT(do_free(a) == 5 * MB);
	EXPECT(r->largest_free == 5 * MB);
	/* a region spanning the last slots of the arena */
	teardown();
	setup();
	r = add(ARENA_SIZE - 4 * MB, 4 * MB, 0, 0);
	a = alloc(4 * MB, 2 * MB, XP_NO_NODE);
	EXPECT(a == r->base && xp_lookup(&P, ARENA + ARENA_SIZE - 1) == r);
	EXPECT(xp_find(&P, ARENA + ARENA_SIZE - 1, &s, &sz) && s == a && sz == 4 * MB);
	teardown();
}

static void t_node_fallback(void)
{
	struct xp_region *n0, *n1, *fb, *fb1;
	unsigned long a;
	struct xp_region *got = NULL;

	setup();
	n0 = add(0, 2 * MB, 0, 0);
	n1 = add(2 * MB, 2 * MB, 1, 0);
	fb = add(4 * MB, 2 * MB, 0, XP_REGION_FALLBACK);
	fb1 = add(6 * MB, 2 * MB, 1, XP_REGION_FALLBACK);
	a = xp_alloc(&P, 4096, 64, 1, &got);
	EXPECT(got == n1 && a == n1->base);
	a = xp_alloc(&P, 4096, 64, 0, &got);
	EXPECT(got == n0 && a == n0->base);
	EXPECT(alloc(64, 64, 2) == 0);
	/* any node: best-fit over both non-fallback regions (equal: lowest) */
	a = xp_alloc(&P, 8192, 64, XP_NO_NODE, &got);
	EXPECT(got == n0);
	/* fill n0: node 0 now goes to its fallback region, even though it is
	 * "less full" by best-fit standards than nothing else */
	EXPECT(alloc(n0->largest_free, 64, 0));
	a = xp_alloc(&P, 4096, 64, 0, &got);
	EXPECT(got == fb);
	/* the fallback has less room than n1 but non-fallback is preferred */
	a = xp_alloc(&P, 100 * KB, 64, XP_NO_NODE, &got);
	EXPECT(got == n1);
	EXPECT(alloc(n1->largest_free, 64, 1));
	a = xp_alloc(&P, 4096, 64, 1, &got);
	EXPECT(got == fb1);
	a = xp_alloc(&P, 4096, 64, XP_NO_NODE, &got);
	EXPECT(got == fb);	/* fb has less room than fb1 */
	teardown();
}

static void t_find_hist(void)
{
	struct xp_region *r;
	unsigned long a, b, c, s, h[XP_HIST_BUCKETS];
	size_t sz;
	int i;

	setup();
	r = add(0, 2 * MB, 0, 0);
	xp_region_hist(r, h);
	for (i = 0; i < XP_HIST_BUCKETS; i++)
		EXPECT(h[i] == (i == XP_HIST_BUCKETS - 1));
	a = alloc(128, 64, XP_NO_NODE);
	b = alloc(4096, 64, XP_NO_NODE);
	c = alloc(64, 64, XP_NO_NODE);
	EXPECT(xp_find(&P, a, &s, &sz) && s == a && sz == 128);
	EXPECT(xp_find(&P, a + 127, &s, &sz) && s == a && sz == 128);
	EXPECT(xp_find(&P, b, &s, &sz) && s == b && sz == 4096);
	EXPECT(xp_find(&P, b + 4000, &s, &sz) && s == b && sz == 4096);
	EXPECT(xp_find(&P, c + 63, &s, &sz) && s == c && sz == 64);
	EXPECT(xp_find(&P, c, NULL, NULL));
	EXPECT(!xp_find(&P, c + 64, &s, &sz));
	EXPECT(!xp_find(&P, ARENA + 2 * MB, &s, &sz));
	EXPECT(!xp_find(&P, 0, &s, &sz));
	EXPECT(do_free(b) == 4096);
	EXPECT(!xp_find(&P, b + 100, &s, &sz));
	/* free extents: 4096 B (64 granules -> bucket 6), tail 2M - 4288 (bucket 14) */
	xp_region_hist(r, h);
	for (i = 0; i < XP_HIST_BUCKETS; i++)
		EXPECT(h[i] == (i == 6 || i == 14));
	EXPECT(do_free(a) == 128);	/* merges: 4224 B -> bucket 6 */
	xp_region_hist(r, h);
	EXPECT(h[6] == 1 && h[14] == 1);
	a = alloc(64, 64, XP_NO_NODE);
	b = alloc(128, 64, XP_NO_NODE);
	EXPECT(a == r->base && b == a + 64);
	xp_region_hist(r, h);
	EXPECT(h[0] == 0 && h[5] == 1 && h[6] == 0);	/* 4032 B = 63 granules */
	EXPECT(xp_pool_largest_free(&P) == r->largest_free);
	teardown();
}

static void t_remove(void)
{
	struct xp_region *r;
	unsigned long a;

	setup();
	r = add(0, 2 * MB, 0, 0);
	a = alloc(64, 64, XP_NO_NODE);
	xp_pool_remove(&P, r);		/* busy: refused */
	CHECKP();
	EXPECT(P.nr_regions == 1 && xp_lookup(&P, a) == r);
	EXPECT(do_free(a) == 64);
	xp_pool_remove(&P, r);
	CHECKP();
	EXPECT(P.nr_regions == 0 && !P.head && !xp_lookup(&P, a));
	xp_pool_remove(&P, r);		/* not in the pool: ignored */
	CHECKP();
	EXPECT(xp_pool_add(&P, r) == 0);
	CHECKP();
	EXPECT(alloc(64, 64, XP_NO_NODE) == a);
	teardown();
}

static void t_check_detects(void)
{
	struct xp_region *r;
	unsigned long a;

	setup();
	r = add(0, 2 * MB, 0, 0);
	a = alloc(4096, 64, XP_NO_NODE);
	alloc(4096, 64, XP_NO_NODE);
	EXPECT(a);
	r->used[100] ^= 1;
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	r->used[100] ^= 1;
	r->any[0] ^= 1UL << 2;		/* summary: word 2 is empty */
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	r->any[0] ^= 1UL << 2;
	r->full[0] ^= 1UL << 1;		/* summary: word 1 (the second 4 KiB) is full */
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	r->full[0] ^= 1UL << 1;
	EXPECT(!xp_pool_check(&P));
	r->start[0] |= 2;		/* start bit inside an allocation: splits it */
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	r->start[0] &= ~2UL;
	r->start[200] |= 1;		/* start bit on a free granule */
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	r->start[200] = 0;
	r->start[0] &= ~1UL;		/* used run without a start */
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	r->start[0] |= 1;
	r->largest_free -= 64;
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	r->largest_free += 64;
	P.bytes_used += 64;
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	P.bytes_used -= 64;
	P.slots[5] = r;
	EXPECT(xp_pool_check(&P) == -EUCLEAN);
	P.slots[5] = NULL;
	CHECKP();
	teardown();
}

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned long long rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t rnd_size(void)
{
	switch (rnd() % 8) {
	case 0:
		return 1 + rnd() % 64;
	case 1: case 2: case 3:
		return 1 + rnd() % 8192;
	case 4: case 5:
		return 1 + rnd() % (128 * KB);
	case 6:
		return 1 + rnd() % (1 * MB);
	default:
		return 1 + rnd() % (5 * MB);
	}
}

/* A random request of t_random_model; when refused, maybe a new region. */
static void model_alloc(struct ref *m)
{
	size_t size = rnd_size(), align = 64;
	int node = (int)(rnd() % 3) - 1;
	unsigned long a;

	if (rnd() % 4 == 0)
		align = 1UL << (rnd() % 23);
	if (rnd() % 50 == 0)
		align = rnd() % 5000;
	ref_alloc(m, size, align, node, &a);
	if (!a && rnd() % 2) {
		/* the caller's reaction: add a region somewhere free */
		size_t rs = (size + 2 * MB - 1) & ~(2 * MB - 1);
		unsigned long slot = rnd() % 64;

		ref_add_region(m, ARENA + slot * 2 * MB, rs ? rs : 2 * MB,
			       node, rnd() % 4 == 0 ? XP_REGION_FALLBACK : 0);
	}
}

static void t_random_model(void)
{
	static struct ref m;
	int op, nops = 20000, i;

	if (ref_init(&m, ARENA, 128 * MB))
		abort();
	for (op = 0; op < nops && !m.errors; op++) {
		unsigned int k = rnd() % 100;

		if (k < 45) {
			model_alloc(&m);
		} else if (k < 85) {
			if (m.na && rnd() % 8)
				ref_free(&m, m.a[rnd() % m.na].addr);
			else if (m.na)
				ref_free(&m, m.a[rnd() % m.na].addr + 64 * (rnd() % 4));
			else
				ref_free(&m, ARENA + (rnd() % (128 * MB)));
		} else if (k < 93) {
			if (m.na && rnd() % 2)
				ref_find(&m, m.a[rnd() % m.na].addr + rnd() % 4096);
			else
				ref_find(&m, ARENA - 4096 + rnd() % (130 * MB));
		} else if (k < 97) {
			ref_add_region(&m, ARENA - 4 * MB + (rnd() % 72) * 2 * MB,
				       (1 + rnd() % 3) * 2 * MB, (int)(rnd() % 3) - 1,
				       rnd() % 4 == 0 ? XP_REGION_FALLBACK : 0);
		} else if (m.nreg) {
			i = (int)(rnd() % m.nreg);
			ref_remove_region(&m, i);
		}
		ref_verify(&m, op % 16 == 0);
	}
	ref_verify(&m, 1);
	printf("# random model: %d ops, %zu live allocations, %d regions at the end\n",
	       op, m.na, m.nreg);
	EXPECT(m.errors == 0);
	ref_fini(&m);
}

/*
 * xp_range_within() at the boundaries, and the write that wrapped: an
 * allocation of 20 MiB at q, a write at q + 17 MiB of -(q + 17 MiB) + 64
 * bytes, whose end wraps past 2^64 to 64.
 */
static void t_range_within(void)
{
	unsigned long q = ARENA + 16 * MB, at = q + 17 * MB;
	size_t sz = 20 * MB;

	EXPECT(xp_range_within(q, sz, q, sz));
	EXPECT(xp_range_within(q, sz, q, 0));
	EXPECT(xp_range_within(q, sz, q + sz, 0));
	EXPECT(xp_range_within(q, sz, q + sz - 1, 1));
	EXPECT(!xp_range_within(q, sz, q + sz - 1, 2));
	EXPECT(!xp_range_within(q, sz, q + sz, 1));
	EXPECT(!xp_range_within(q, sz, q - 1, 1));
	EXPECT(!xp_range_within(q, sz, q, sz + 1));
	EXPECT(!xp_range_within(q, sz, at, -at + 64));
	EXPECT(!xp_range_within(q, sz, at, ~0UL));
	EXPECT(!xp_range_within(q, sz, q, ~0UL));
	EXPECT(!xp_range_within(q, sz, ~0UL, 1));
	EXPECT(!xp_range_within(q, sz, 0, q + 1));
	/* a range that ends exactly at 2^64 - 1 */
	EXPECT(xp_range_within(~0UL - 63, 64, ~0UL - 63, 64));
	EXPECT(!xp_range_within(~0UL - 63, 64, ~0UL - 63, 65));
	EXPECT(xp_range_within(0, ~0UL, 0, ~0UL));
}

/*
 * xp_alloc_in() serves from the region given, whatever its node and flags,
 * and the pool counts empty and fallback regions exactly.
 */
static void t_alloc_in(void)
{
	struct xp_region *a, *b, *got = NULL;
	unsigned long x, y;

	setup();
	a = add(0, 2 * MB, 0, 0);
	b = add(4 * MB, 2 * MB, 1, XP_REGION_FALLBACK);
	EXPECT(P.nr_empty == 2 && P.nr_fallback == 1);
	x = alloc(4096, 64, 0);
	EXPECT(x == a->base && P.nr_empty == 1);
	/* best fit would pick a (node 0, non-fallback): alloc_in takes b */
	y = xp_alloc_in(&P, b, 4096, 64);
	CHECKP();
	EXPECT(y == b->base && P.nr_empty == 0);
	EXPECT(xp_alloc_in(&P, b, 4 * MB, 64) == 0);	/* too large for b */
	EXPECT(xp_alloc_in(&P, b, 64, 96) == 0);	/* bad alignment */
	EXPECT(xp_alloc_in(&P, b, 0, 64) == 0);
	EXPECT(xp_alloc_in(&P, b, 64, 1 * MB) == b->base + 1 * MB);
	CHECKP();
	EXPECT(do_free(y) == 4096 && P.nr_empty == 0);
	EXPECT(do_free(b->base + 1 * MB) == 64 && P.nr_empty == 1);
	EXPECT(xp_alloc(&P, 64, 64, 7, &got) == 0);	/* no region of node 7 */
	teardown();
}

/* xp_take_empty() hands back empty regions, lowest first, and only those. */
static void t_take_empty(void)
{
	struct xp_region *a, *b, *c, *r;
	unsigned long x;

	setup();
	a = add(0, 2 * MB, 0, 0);
	b = add(2 * MB, 4 * MB, 0, 0);
	c = add(8 * MB, 2 * MB, 0, XP_REGION_FALLBACK);
	x = xp_alloc_in(&P, a, 64, 64);
	EXPECT(x);
	r = xp_take_empty(&P);
	CHECKP();
	EXPECT(r == b && P.nr_regions == 2 && P.nr_empty == 1);
	xp_region_destroy(r);
	r = xp_take_empty(&P);
	CHECKP();
	EXPECT(r == c && P.nr_fallback == 0 && P.nr_empty == 0);
	xp_region_destroy(r);
	EXPECT(xp_take_empty(&P) == NULL);
	EXPECT(do_free(x) == 64 && P.nr_empty == 1);
	r = xp_take_empty(&P);
	EXPECT(r == a && !P.head && P.bytes_mapped == 0);
	xp_region_destroy(r);
	CHECKP();
	teardown();
}

/*
 * The policy execmem_alloc.c builds on the pool for a CPU on a node without
 * memory: the region it grows is keyed by the node it was grown for (the
 * pages may come from another node), and the request is served from it.
 * 100 small allocations for node 1 then need one region, not 100.
 */
static void t_grow_for_node(void)
{
	struct xp_region *r;
	unsigned long off = 0, a;
	int i;

	setup();
	for (i = 0; i < 100; i++) {
		a = xp_alloc(&P, 64, 64, 1, NULL);
		if (!a) {
			r = xp_region_create(ARENA + off, 2 * MB, 1, 0);
			EXPECT(r && xp_pool_add(&P, r) == 0);
			r->page_node = 0;	/* vmalloc found pages on node 0 */
			off += 2 * MB;
			a = xp_alloc_in(&P, r, 64, 64);
		}
		EXPECT(a);
	}
	CHECKP();
	EXPECT(P.nr_regions == 1 && P.nr_empty == 0 && P.nr_allocs == 100);
	teardown();
}

static const struct ktap_case tests[] = {
	{ t_init, "pool_init" },
	{ t_region_create, "region_create" },
	{ t_add_errors, "add_errors" },
	{ t_alloc_errors, "alloc_errors" },
	{ t_free_errors, "free_errors" },
	{ t_alignment, "alignment" },
	{ t_coalesce, "coalesce" },
	{ t_bestfit, "bestfit" },
	{ t_multi, "multi_region" },
	{ t_node_fallback, "node_fallback" },
	{ t_find_hist, "find_hist" },
	{ t_remove, "remove" },
	{ t_check_detects, "check_detects_corruption" },
	{ t_random_model, "random_model" },
	{ t_range_within, "range_within" },
	{ t_alloc_in, "alloc_in" },
	{ t_take_empty, "take_empty" },
	{ t_grow_for_node, "grow_for_node" },
};

int main(void)
{
	return ktap_run(tests, sizeof(tests) / sizeof(tests[0]));
}
