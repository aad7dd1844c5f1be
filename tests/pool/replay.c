// SPDX-License-Identifier: GPL-2.0
/*
 * Workload replay: place the executable text of every module of a distro
 * kernel (NAME EXEC_BYTES RODATA_BYTES DATA_BYTES per line) the way the
 * execmem caller would, with the best-fit pool and with a gen_pool /
 * bpf_prog_pack-like first-fit allocator for comparison.  KTAP output.
 *
 * usage: replay [-n] [-p PREFIX] WORKLOAD [ALIGN]
 *   -n: do not print timings (sanitizer builds); -p: prefix for test names
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ktap.h"
#include "../../execmem_pool.h"

#define MB		(1UL << 20)
#define ARENA		0xffffffffc0000000UL
#define ARENA_SIZE	0x3f000000UL
#define NSLOTS		(ARENA_SIZE >> XP_REGION_SHIFT)
#define BPL		(8 * sizeof(unsigned long))
#define SEED_HALF	12345
#define SEED_ORDER	67890

static size_t n_mod, *mod_size;
static unsigned long *mod_addr;
static size_t align = 64;
static int no_timing;
static const char *prefix = "";

/* "%.0f ns" or "n/a" */
static const char *ns(double v)
{
	static char buf[4][32];
	static int k;

	k = (k + 1) % 4;
	if (no_timing)
		return "(timing: see bench)";
	snprintf(buf[k], sizeof(buf[k]), "%.0f ns", v);
	return buf[k];
}

static unsigned long long rng;

static unsigned long long rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void shuffle(size_t *v, size_t n, unsigned long long seed)
{
	size_t i;

	rng = seed;
	for (i = n - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ---- first-fit comparison allocator (gen_pool / bpf_prog_pack style) ---- */

struct ff_region {
	unsigned long base;
	size_t nbits, nr_allocs;
	unsigned long *used;
	struct ff_region *next;
};

static struct ff_region *ff_head, *ff_slots[NSLOTS];
static size_t ff_mapped;

static size_t next_bit(const unsigned long *map, size_t nbits, size_t from, int val)
{
	size_t i;
	unsigned long w, inv = val ? 0 : ~0UL;

	if (from >= nbits)
		return nbits;
	i = from / BPL;
	w = (map[i] ^ inv) & (~0UL << (from % BPL));
	while (!w) {
		if (++i >= nbits / BPL)
			return nbits;
		w = map[i] ^ inv;
	}
	from = i * BPL + __builtin_ctzl(w);
	return from < nbits ? from : nbits;
}

/* bitmap_find_next_zero_area() with an alignment mask */
static size_t ff_find(const struct ff_region *r, size_t n, size_t amask)
{
	size_t s = 0, e, hit;

	for (;;) {
		s = next_bit(r->used, r->nbits, s, 0);
		s = (s + amask) & ~amask;
		if (s + n > r->nbits)
			return (size_t)-1;
		hit = next_bit(r->used, r->nbits, s, 1);
		e = s + n;
		if (hit >= e)
			return s;
		s = hit + 1;
	}
}

static void ff_mark(unsigned long *map, size_t s, size_t n, int set)
{
	size_t i;

	for (i = s; i < s + n && i % BPL; i++)
		set ? (map[i / BPL] |= 1UL << (i % BPL)) : (map[i / BPL] &= ~(1UL << (i % BPL)));
	for (; i + BPL <= s + n; i += BPL)
		map[i / BPL] = set ? ~0UL : 0;
	for (; i < s + n; i++)
		set ? (map[i / BPL] |= 1UL << (i % BPL)) : (map[i / BPL] &= ~(1UL << (i % BPL)));
}

static unsigned long ff_alloc(size_t size)
{
	size_t n = (size + 63) / 64, amask = align / 64 - 1, s;
	struct ff_region *r;

	for (r = ff_head; r; r = r->next) {
		s = ff_find(r, n, amask);
		if (s != (size_t)-1) {
			ff_mark(r->used, s, n, 1);
			r->nr_allocs++;
			return r->base + s * 64;
		}
	}
	return 0;
}

static void ff_free(unsigned long addr, size_t size)
{
	struct ff_region *r = ff_slots[(addr - ARENA) >> XP_REGION_SHIFT];

	ff_mark(r->used, (addr - r->base) / 64, (size + 63) / 64, 0);
	r->nr_allocs--;
}

/* ---- the caller: region creation and removal ---- */

static int use_ff;
static struct xp_pool pool;

static size_t nregions(void)
{
	size_t n = 0;
	struct ff_region *r;

	if (!use_ff)
		return pool.nr_regions;
	for (r = ff_head; r; r = r->next)
		n++;
	return n;
}

static size_t mapped(void)
{
	return use_ff ? ff_mapped : pool.bytes_mapped;
}

static int slot_busy(size_t i)
{
	return use_ff ? !!ff_slots[i] : !!pool.slots[i];
}

static int new_region(size_t size)
{
	size_t k = (size + XP_REGION_SIZE - 1) >> XP_REGION_SHIFT, i, j;

	for (i = 0; i + k <= NSLOTS; i++) {
		for (j = 0; j < k && !slot_busy(i + j); j++)
			;
		if (j == k)
			break;
		i += j;
	}
	if (i + k > NSLOTS)
		return -1;
	if (use_ff) {
		struct ff_region *r = calloc(1, sizeof(*r)), **pp;

		r->base = ARENA + (i << XP_REGION_SHIFT);
		r->nbits = (k << XP_REGION_SHIFT) / 64;
		r->used = calloc(r->nbits / BPL, sizeof(unsigned long));
		for (pp = &ff_head; *pp && (*pp)->base < r->base; pp = &(*pp)->next)
			;
		r->next = *pp;
		*pp = r;
		for (j = 0; j < k; j++)
			ff_slots[i + j] = r;
		ff_mapped += k << XP_REGION_SHIFT;
		return 0;
	}
	struct xp_region *r = xp_region_create(ARENA + (i << XP_REGION_SHIFT),
					       k << XP_REGION_SHIFT, XP_NO_NODE, 0);

	return r && !xp_pool_add(&pool, r) ? 0 : -1;
}

static void remove_empty(void)
{
	if (use_ff) {
		struct ff_region **pp = &ff_head, *r;
		size_t j;

		while ((r = *pp)) {
			if (r->nr_allocs) {
				pp = &r->next;
				continue;
			}
			*pp = r->next;
			for (j = 0; j < r->nbits * 64 >> XP_REGION_SHIFT; j++)
				ff_slots[((r->base - ARENA) >> XP_REGION_SHIFT) + j] = NULL;
			ff_mapped -= r->nbits * 64;
			free(r->used);
			free(r);
		}
		return;
	}
	struct xp_region *r = pool.head, *next;

	for (; r; r = next) {
		next = r->next;
		if (!r->nr_allocs) {
			xp_pool_remove(&pool, r);
			xp_region_destroy(r);
		}
	}
}

static unsigned long do_alloc(size_t size)
{
	unsigned long a;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		a = use_ff ? ff_alloc(size) : xp_alloc(&pool, size, align, XP_NO_NODE, NULL);
		if (a)
			return a;
		if (new_region(size))
			return 0;
	}
	return 0;
}

static int do_free(unsigned long a, size_t size)
{
	if (use_ff) {
		ff_free(a, size);
		return 0;
	}
	return xp_free(&pool, a, NULL) == (long)((size + 63) & ~63UL) ? 0 : -1;
}

/* ---- phases ---- */

static size_t requested, *order;

static double util(void)
{
	size_t i, req = 0;

	for (i = 0; i < n_mod; i++)
		if (mod_addr[i])
			req += mod_size[i];
	return mapped() ? (double)req / mapped() : 0;
}

/* 1: every module in file order; the failures */
static size_t phase_fill(int ff, const char *tag)
{
	size_t i, fails = 0;
	double t0, t_alloc, u;
	char name[96];

	t0 = now_ns();
	for (i = 0; i < n_mod; i++) {
		mod_addr[i] = do_alloc(mod_size[i]);
		fails += !mod_addr[i];
	}
	t_alloc = (now_ns() - t0) / n_mod;
	u = util();
	printf("# %s file-order fill: %zu modules, %.2f MiB requested, %zu regions = %zu x 2 MiB, utilization %.4f, %s/alloc\n",
	       tag, n_mod, requested / (double)MB, nregions(), mapped() >> XP_REGION_SHIFT, u,
	       ns(t_alloc));
	snprintf(name, sizeof(name), "%s%s_fill_order%s", prefix, tag, ff ? "" : "_util_ge_0.98");
	ktap_result(!fails && (ff || (u >= 0.98 && !xp_pool_check(&pool))), name, NULL);
	return fails;
}

/* 2: free a random half, reallocate it in another order */
static void phase_half(int ff, const char *tag, size_t *fails)
{
	size_t i, half = n_mod / 2;
	double t0, t_free;
	char name[96];

	for (i = 0; i < n_mod; i++)
		order[i] = i;
	shuffle(order, n_mod, SEED_HALF);
	t0 = now_ns();
	for (i = 0; i < half; i++)
		if (do_free(mod_addr[order[i]], mod_size[order[i]]))
			(*fails)++;
		else
			mod_addr[order[i]] = 0;
	t_free = (now_ns() - t0) / half;
	remove_empty();
	printf("# %s after freeing a random half: %zu regions = %zu x 2 MiB, utilization %.4f, %s/free\n",
	       tag, nregions(), mapped() >> XP_REGION_SHIFT, util(), ns(t_free));
	shuffle(order, half, SEED_ORDER);
	for (i = 0; i < half; i++) {
		mod_addr[order[i]] = do_alloc(mod_size[order[i]]);
		*fails += !mod_addr[order[i]];
	}
	printf("# %s refilled in another order: %zu regions = %zu x 2 MiB, utilization %.4f\n",
	       tag, nregions(), mapped() >> XP_REGION_SHIFT, util());
	snprintf(name, sizeof(name), "%s%s_free_half_refill", prefix, tag);
	ktap_result(!*fails && (ff || !xp_pool_check(&pool)), name, NULL);
}

/* 3: churn, for timing: free a batch of random modules, reallocate them */
static void phase_churn(int ff, const char *tag, size_t *fails)
{
	size_t i, rounds, batch = 256;
	double t0, ta = 0, tf = 0;
	char name[96];

	rng = 4242;
	for (rounds = 0; rounds < 400; rounds++) {
		for (i = 0; i < batch; i++)
			order[i] = rnd() % n_mod;
		/* drop duplicates by marking */
		t0 = now_ns();
		for (i = 0; i < batch; i++) {
			if (!mod_addr[order[i]])
				continue;
			*fails += !!do_free(mod_addr[order[i]], mod_size[order[i]]);
			mod_addr[order[i]] = 0;
		}
		tf += now_ns() - t0;
		t0 = now_ns();
		for (i = 0; i < batch; i++) {
			if (mod_addr[order[i]])
				continue;
			mod_addr[order[i]] = do_alloc(mod_size[order[i]]);
			*fails += !mod_addr[order[i]];
		}
		ta += now_ns() - t0;
	}
	printf("# %s churn (%zu x free+realloc %zu random modules): %s/alloc, %s/free, %zu regions = %zu x 2 MiB, utilization %.4f\n",
	       tag, rounds, batch, ns(ta / (rounds * batch)), ns(tf / (rounds * batch)), nregions(),
	       mapped() >> XP_REGION_SHIFT, util());
	snprintf(name, sizeof(name), "%s%s_churn", prefix, tag);
	ktap_result(!*fails && (ff || !xp_pool_check(&pool)), name, NULL);
}

/* Every region of the allocator under test is empty. */
static int all_empty(int ff)
{
	if (!ff) {
		struct xp_region *r;

		for (r = pool.head; r; r = r->next)
			if (r->nr_allocs || r->free_bytes != r->size || r->largest_free != r->size)
				return 0;
		return !xp_pool_check(&pool) && !pool.bytes_used && !pool.nr_allocs;
	} else {
		struct ff_region *r;

		for (r = ff_head; r; r = r->next)
			if (r->nr_allocs || next_bit(r->used, r->nbits, 0, 1) != r->nbits)
				return 0;
		return 1;
	}
}

/* 4: free everything; every region must be empty */
static void phase_free_all(int ff, const char *tag, size_t fails)
{
	char name[96];
	size_t i;
	int ok;

	for (i = 0; i < n_mod; i++)
		if (mod_addr[i]) {
			fails += !!do_free(mod_addr[i], mod_size[i]);
			mod_addr[i] = 0;
		}
	ok = !fails && all_empty(ff);
	remove_empty();
	ok = ok && !nregions() && !mapped();
	snprintf(name, sizeof(name), "%s%s_free_all_empty", prefix, tag);
	ktap_result(ok, name, NULL);
}

static void run(int ff, const char *tag)
{
	size_t fails;

	use_ff = ff;
	if (!ff && xp_pool_init(&pool, ARENA, ARENA_SIZE))
		abort();
	memset(mod_addr, 0, n_mod * sizeof(*mod_addr));
	fails = phase_fill(ff, tag);
	phase_half(ff, tag, &fails);
	phase_churn(ff, tag, &fails);
	phase_free_all(ff, tag, fails);
	if (!ff)
		xp_pool_destroy(&pool);
}

int main(int argc, char **argv)
{
	char line[512], nm[256];
	size_t cap = 0, ex, ro, da;
	FILE *f;

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[1], "-n")) {
			no_timing = 1;
		} else if (!strcmp(argv[1], "-p") && argc > 2) {
			prefix = argv[2];
			argc--;
			argv++;
		}
	}
	f = argc > 1 ? fopen(argv[1], "r") : NULL;
	if (argc > 2)
		align = strtoul(argv[2], NULL, 0);
	if (!f) {
		printf("KTAP version 1\n1..1\nok 1 - replay # SKIP no workload file\n");
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %zu %zu %zu", nm, &ex, &ro, &da) != 4 || !ex)
			continue;
		if (n_mod == cap) {
			cap = cap ? 2 * cap : 1024;
			mod_size = realloc(mod_size, cap * sizeof(*mod_size));
		}
		mod_size[n_mod++] = ex;
		requested += ex;
	}
	fclose(f);
	mod_addr = calloc(n_mod, sizeof(*mod_addr));
	order = calloc(n_mod, sizeof(*order));
	ktap_header(8);
	printf("# workload %s: %zu modules with text, %.2f MiB, lower bound %zu regions, align %zu\n",
	       argv[1], n_mod, requested / (double)MB,
	       (requested + XP_REGION_SIZE - 1) / XP_REGION_SIZE, align);
	run(0, "bestfit");
	run(1, "firstfit");
	free(mod_size);
	free(mod_addr);
	free(order);
	return ktap_failed ? 1 : 0;
}
