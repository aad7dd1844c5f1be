// SPDX-License-Identifier: GPL-2.0
/* Reference model for execmem_pool; see ref.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ref.h"

#define G XP_GRANULE

static int fail(struct ref *m, const char *what, unsigned long a, unsigned long b)
{
	m->errors++;
	if (m->errors < 20) {
		printf("# ref mismatch: %s (0x%lx vs 0x%lx)\n", what, a, b);
		fflush(stdout);
	}
	return -1;
}

int ref_init(struct ref *m, unsigned long arena_base, size_t arena_size)
{
	memset(m, 0, sizeof(*m));
	return xp_pool_init(&m->pool, arena_base, arena_size);
}

void ref_fini(struct ref *m)
{
	int i;

	for (i = 0; i < m->nreg; i++) {
		struct xp_region *r = m->reg[i].r;
		unsigned long a;
		size_t k;

		for (k = 0; k < m->na; k++) {
			a = m->a[k].addr;
			if (a >= r->base && a - r->base < r->size)
				xp_free(&m->pool, a, NULL);
		}
		xp_pool_remove(&m->pool, r);
		xp_region_destroy(r);
	}
	m->nreg = 0;
	xp_pool_destroy(&m->pool);
	free(m->a);
	m->a = NULL;
	m->na = m->cap = 0;
}

/* First live allocation with addr >= x. */
static size_t lower(const struct ref *m, unsigned long x)
{
	size_t lo = 0, hi = m->na;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->a[mid].addr < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct gapinfo {
	size_t largest, free, nallocs;
	unsigned long fit;	/* best-fit address for the request, or 0 */
	unsigned long hist[XP_HIST_BUCKETS];
};

static void gaps(const struct ref *m, const struct ref_region *rr, size_t bytes, size_t align,
		 struct gapinfo *gi)
{
	size_t k = lower(m, rr->base), best_len = (size_t)-1;
	unsigned long pos = rr->base, end = rr->base + rr->size;	/* end may be 0 */

	memset(gi, 0, sizeof(*gi));
	for (;;) {
		unsigned long gend;
		int last = !(k < m->na && m->a[k].addr - rr->base < rr->size);

		gend = last ? end : m->a[k].addr;
		if (gend != pos) {
			size_t len = gend - pos, b = 0;
			unsigned long al = (pos - 1 + align) & ~(align - 1);

			if (len > gi->largest)
				gi->largest = len;
			gi->free += len;
			while (b + 1 < XP_HIST_BUCKETS && (len >> (XP_GRANULE_SHIFT + b + 1)))
				b++;
			gi->hist[b]++;
			if (bytes && len >= bytes && len < best_len &&
			    al - pos < len && len - (al - pos) >= bytes) {
				gi->fit = al;
				best_len = len;
			}
		}
		if (last)
			break;
		gi->nallocs++;
		pos = m->a[k].addr + m->a[k].size;
		k++;
	}
}

int ref_region_empty(const struct ref *m, int idx)
{
	size_t k = lower(m, m->reg[idx].base);

	return !(k < m->na && m->a[k].addr - m->reg[idx].base < m->reg[idx].size);
}

/* The model's best fit: its region index (-1: none), the address in @want. */
static int ref_best_fit(struct ref *m, size_t bytes, size_t align, int node,
			unsigned long *want)
{
	size_t best_l = 0;
	int pass, i, best = -1;
	struct gapinfo gi;

	for (pass = 0; pass < 2 && best < 0; pass++) {
		for (i = 0; i < m->nreg; i++) {
			const struct ref_region *rr = &m->reg[i];

			if (!!(rr->flags & XP_REGION_FALLBACK) != pass)
				continue;
			if (node != XP_NO_NODE && rr->node != node)
				continue;
			gaps(m, rr, bytes, align, &gi);
			if (!gi.fit)
				continue;
			if (best < 0 || gi.largest < best_l) {
				best = i;
				best_l = gi.largest;
				*want = gi.fit;
			}
		}
	}
	return best;
}

/* Record the allocation @addr of @bytes in the model's sorted array. */
static void ref_insert(struct ref *m, unsigned long addr, size_t bytes)
{
	int i;

	if (m->na == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		m->a = realloc(m->a, m->cap * sizeof(*m->a));
		if (!m->a)
			abort();
	}
	i = (int)lower(m, addr);
	memmove(&m->a[i + 1], &m->a[i], (m->na - i) * sizeof(*m->a));
	m->a[i].addr = addr;
	m->a[i].size = bytes;
	m->na++;
}

int ref_alloc(struct ref *m, size_t size, size_t ualign, int node, unsigned long *addrp)
{
	size_t align = ualign;
	struct xp_region *got_r = NULL;
	unsigned long got, want = 0;
	size_t bytes = (size + G - 1) & ~(G - 1);
	int best = -1;

	if (align < G)
		align = G;
	if (size && size <= m->pool.arena_size && align <= XP_MAX_ALIGN && !(align & (align - 1)))
		best = ref_best_fit(m, bytes, align, node, &want);
	got = xp_alloc(&m->pool, size, ualign, node, &got_r);
	if (addrp)
		*addrp = got;
	if (got != want)
		return fail(m, "alloc address", got, want);
	if (!got)
		return 0;
	if (got_r != m->reg[best].r)
		return fail(m, "alloc region", (unsigned long)got_r, (unsigned long)m->reg[best].r);
	ref_insert(m, got, bytes);
	return 0;
}

static int find_region(const struct ref *m, unsigned long addr)
{
	int i;

	for (i = 0; i < m->nreg; i++)
		if (addr >= m->reg[i].base && addr - m->reg[i].base < m->reg[i].size)
			return i;
	return -1;
}

int ref_free(struct ref *m, unsigned long addr)
{
	size_t k = lower(m, addr);
	long want = -EINVAL, got;
	struct xp_region *r = NULL;

	if (k < m->na && m->a[k].addr == addr)
		want = (long)m->a[k].size;
	got = xp_free(&m->pool, addr, &r);
	if (got != want)
		return fail(m, "free result", (unsigned long)got, (unsigned long)want);
	if (want < 0)
		return 0;
	if (r != m->reg[find_region(m, addr)].r)
		return fail(m, "free region", (unsigned long)r, 0);
	memmove(&m->a[k], &m->a[k + 1], (m->na - k - 1) * sizeof(*m->a));
	m->na--;
	return 0;
}

int ref_find(struct ref *m, unsigned long addr)
{
	size_t k = lower(m, addr + 1);
	unsigned long ws = 0, gs = 0;
	size_t wz = 0, gz = 0;
	bool want = false, got;
	int ri = find_region(m, addr);
	struct xp_region *lr = xp_lookup(&m->pool, addr);

	if (lr != (ri < 0 ? NULL : m->reg[ri].r))
		return fail(m, "lookup", (unsigned long)lr, addr);
	if (k > 0 && addr - m->a[k - 1].addr < m->a[k - 1].size) {
		want = true;
		ws = m->a[k - 1].addr;
		wz = m->a[k - 1].size;
	}
	got = xp_find(&m->pool, addr, &gs, &gz);
	if (got != want || (got && (gs != ws || gz != wz)))
		return fail(m, "find", gs, ws);
	return 0;
}

int ref_add_region(struct ref *m, unsigned long base, size_t size, int node, unsigned int flags)
{
	struct xp_region *r = xp_region_create(base, size, node, flags);
	const struct xp_pool *p = &m->pool;
	int want = 0, got, i;

	if (!r)
		return 0;	/* bad arguments: checked by the unit tests */
	if (base < p->arena_base || base - p->arena_base >= p->arena_size ||
	    size > p->arena_size - (base - p->arena_base) || m->nreg >= REF_MAX_REGIONS)
		want = -EINVAL;
	for (i = 0; i < m->nreg && !want; i++) {
		unsigned long b = m->reg[i].base;

		if ((base >= b && base - b < m->reg[i].size) || (b >= base && b - base < size))
			want = -EINVAL;
	}
	if (m->nreg >= REF_MAX_REGIONS) {
		xp_region_destroy(r);
		return 0;
	}
	got = xp_pool_add(&m->pool, r);
	if (got != want) {
		xp_region_destroy(r);	/* may leave the pool inconsistent: we abort anyway */
		return fail(m, "add", (unsigned long)got, (unsigned long)want);
	}
	if (got) {
		xp_region_destroy(r);
		return 0;
	}
	for (i = m->nreg; i > 0 && m->reg[i - 1].base > base; i--)
		m->reg[i] = m->reg[i - 1];
	m->reg[i].r = r;
	m->reg[i].base = base;
	m->reg[i].size = size;
	m->reg[i].node = node;
	m->reg[i].flags = flags;
	m->nreg++;
	return 0;
}

int ref_remove_region(struct ref *m, int idx)
{
	struct xp_region *r = m->reg[idx].r;
	size_t mapped = m->pool.bytes_mapped;

	xp_pool_remove(&m->pool, r);
	if (!ref_region_empty(m, idx)) {
		/* not allowed: must be a no-op */
		if (m->pool.bytes_mapped != mapped || xp_lookup(&m->pool, r->base) != r)
			return fail(m, "remove of busy region changed the pool", 0, 0);
		return 0;
	}
	if (xp_lookup(&m->pool, r->base) || m->pool.bytes_mapped != mapped - r->size)
		return fail(m, "remove", 0, 0);
	xp_region_destroy(r);
	memmove(&m->reg[idx], &m->reg[idx + 1], (m->nreg - idx - 1) * sizeof(m->reg[0]));
	m->nreg--;
	return 0;
}

int ref_verify(struct ref *m, int full)
{
	size_t used = 0, mapped = 0, k, nallocs = 0;
	struct gapinfo gi;
	unsigned long hist[XP_HIST_BUCKETS];
	int i;

	if (xp_pool_check(&m->pool))
		return fail(m, "xp_pool_check", 0, 0);
	for (k = 0; k < m->na; k++)
		used += m->a[k].size;
	for (i = 0; i < m->nreg; i++)
		mapped += m->reg[i].size;
	if (m->pool.bytes_used != used || m->pool.bytes_mapped != mapped ||
	    m->pool.nr_allocs != m->na || m->pool.nr_regions != (size_t)m->nreg)
		return fail(m, "pool totals", m->pool.bytes_used, used);
	if (!full)
		return 0;
	for (i = 0; i < m->nreg; i++) {
		const struct xp_region *r = m->reg[i].r;

		gaps(m, &m->reg[i], 0, G, &gi);
		nallocs += gi.nallocs;
		if (r->free_bytes != gi.free || r->largest_free != gi.largest ||
		    r->nr_allocs != gi.nallocs)
			return fail(m, "region counters", r->largest_free, gi.largest);
		xp_region_hist(r, hist);
		if (memcmp(hist, gi.hist, sizeof(hist)))
			return fail(m, "hist", r->base, 0);
	}
	if (nallocs != m->na)
		return fail(m, "allocations outside regions", nallocs, m->na);
	return 0;
}
