// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-independent sub-allocator for execmem regions.
 *
 * See execmem_pool.h for the model.  Design notes:
 *
 * Each region (2 MiB aligned, a multiple of 2 MiB long) keeps two bitmaps of
 * 64-byte granules: "used" and "start".  The start bitmap makes an allocation
 * self-describing, so it can be freed and looked up by pointer alone and
 * double, interior and foreign frees are caught (-EINVAL, nothing changes).
 * The pool keeps one slot pointer per 2 MiB of arena, so finding the region
 * of an address is O(1), and a list of regions ordered by base.
 *
 * Placement is best-fit at both levels: among the regions that may be used
 * (node, then non-fallback before fallback) the one whose largest free extent
 * is the smallest that still fits, and inside it the smallest free extent
 * that fits (lowest address on ties).  Every region caches its largest free
 * extent, so regions that cannot fit are skipped with one compare; it is
 * kept exact cheaply: an allocation changes it only when it carved the
 * largest extent, and then the best-fit scan, which saw every extent and kept
 * the two longest, gives the new value without a rescan (a rescan only when
 * the scan stopped early on an exact fit); a free takes the max with the
 * merged extent.  All scans go a word at a time (all-ones / all-zero words
 * skipped with one compare, runs measured with ctz/clz).
 *
 * Why not lib/genalloc.c: gen_pool is first-fit per chunk with lock-free
 * bitmaps (we have a caller lock anyway), gen_pool_free() needs the size
 * from the caller, there is no free-by-pointer lookup or double-free check,
 * no best-fit across chunks and no per-chunk largest extent to skip full
 * chunks.  bpf_prog_pack: 64 B chunks, first-fit bitmap_find_next_zero_area()
 * per 2 MiB pack and a linear list of packs, also with the size passed back
 * at free time.
 *
 * Measured with tests/pool/replay on the text of the 4216 modules of Debian's
 * 7.2.12 kernel (4211 non-empty, 88.96 MiB, 64 B alignment; caller adds a
 * region of roundup(size, 2 MiB) on failure and drops empty ones), against a
 * gen_pool/bpf_prog_pack-like first fit (regions in address order, first
 * hole that fits, size passed to free) built in tests/pool only:
 *   - fill in file order: both 45 x 2 MiB (39 regions, one of 12 MiB for
 *     amdgpu and one of 4 MiB for i915, tails reused), the lower bound:
 *     utilization 0.9885.
 *   - free a random half, reallocate it in another order: best fit stays at
 *     45 x 2 MiB (0.9885), first fit grows to 51 x 2 MiB (0.872).
 *   - 400 rounds of freeing and reallocating 256 random modules: best fit
 *     47 x 2 MiB (0.946), first fit 61 x 2 MiB (0.729).
 *   - userspace -O2, no sanitizers, 2-CPU VM (tests/pool replay-bench):
 *     best fit 90 ns/alloc (fill), 630 ns/alloc (churn), 42-47 ns/free
 *     (256, 840 and 50-83 before the summary of used); first fit 3.9-5.4
 *     us/alloc, as it bit-scans every fuller region on its way.
 *
 * Scans of used go through its summary (which words have a bit set, which
 * are full: 8 + 8 words for 2 MiB, in the region struct), so that finding
 * the end of a free extent costs a word or two, not a walk over the empty
 * words up to the region's end.  In the guest that walk was what a free
 * and a best-fit allocation cost beyond bpf_prog_pack's first fit: about
 * 1.5 us per lifecycle under TCG (lifecycle p50 on BPF sizes 1.088 -> 1.039
 * of bpf_prog_pack, 6.12).
 */

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/bug.h>
#include <linux/bitops.h>

#define xp_zalloc(n)	kvzalloc(n, GFP_KERNEL | __GFP_NOWARN)	/* the caller reports */
#define xp_kfree(ptr)	kvfree(ptr)
#define XP_WARN(c)	WARN_ON_ONCE(c)
#define xp_popcount(w)	hweight_long(w)
/* the allocation and free paths, in one place (execmem_alloc.c: XM_HOT) */
#define XP_HOT		__section(".text.hot")
#else
#include <stdbool.h>
#include <stdlib.h>

#define xp_zalloc(n)	calloc(1, n)
#define xp_kfree(ptr)	free(ptr)
#define XP_WARN(c)	xp_warn(!!(c))
#define xp_popcount(w)	__builtin_popcountl(w)
#define XP_HOT

static inline bool xp_warn(bool c)
{
	return c;
}
#endif

#include "execmem_pool.h"

#define XP_BPL		(8 * (unsigned int)sizeof(unsigned long))
#define XP_WORDS(n)	(((n) + XP_BPL - 1) / XP_BPL)
#define XP_NONE		((size_t)-1)

/* ---- word-at-a-time bitmap helpers ---- */

/*
 * First bit at or after @from whose value differs from @inv's (every bit of
 * @inv equal: 0 finds a set bit, ~0UL a clear one), or @nbits.  Inlined
 * with a constant @inv into the two wrappers below, as lib/find_bit.c
 * makes find_next_bit() and find_next_zero_bit() from one macro.
 */
static __always_inline size_t xp_find_next(const unsigned long *map, size_t nbits,
					   size_t from, unsigned long inv)
{
	size_t i, nw = XP_WORDS(nbits);
	unsigned long w;

	if (from >= nbits)
		return nbits;
	i = from / XP_BPL;
	w = (map[i] ^ inv) & (~0UL << (from % XP_BPL));
	while (!w) {
		if (++i >= nw)
			return nbits;
		w = map[i] ^ inv;
	}
	from = i * XP_BPL + __builtin_ctzl(w);
	return from < nbits ? from : nbits;
}

/* First clear bit at or after @from, or @nbits. */
static size_t XP_HOT xp_next_zero(const unsigned long *map, size_t nbits, size_t from)
{
	return xp_find_next(map, nbits, from, ~0UL);
}

/* First set bit at or after @from, or @nbits. */
static size_t XP_HOT xp_next_one(const unsigned long *map, size_t nbits, size_t from)
{
	return xp_find_next(map, nbits, from, 0);
}

/* The bits of @map's word holding bit @from - 1 up to it (@from > 0); its index in *@i. */
static __always_inline unsigned long xp_word_below(const unsigned long *map, size_t from,
						   size_t *i)
{
	*i = (from - 1) / XP_BPL;
	return map[*i] & (~0UL >> (XP_BPL - 1 - (from - 1) % XP_BPL));
}

/* One past the highest set bit of word @i, whose bits @w are not all clear. */
static __always_inline size_t xp_past_last(size_t i, unsigned long w)
{
	return i * XP_BPL + (XP_BPL - __builtin_clzl(w));
}

/* One past the last set bit below @from, or 0 if there is none. */
static size_t XP_HOT xp_prev_one(const unsigned long *map, size_t from)
{
	size_t i;
	unsigned long w;

	if (!from)
		return 0;
	for (w = xp_word_below(map, from, &i); !w; w = map[--i])
		if (!i)
			return 0;
	return xp_past_last(i, w);
}

static bool xp_test(const unsigned long *map, size_t bit)
{
	return (map[bit / XP_BPL] >> (bit % XP_BPL)) & 1;
}

/* Set (@set) or clear bits [start, start + len), len > 0. */
static void XP_HOT xp_fill_range(unsigned long *map, size_t start, size_t len, bool set)
{
	unsigned long *w = map + start / XP_BPL;
	size_t end = start + len, room = XP_BPL - start % XP_BPL;
	unsigned long mask = ~0UL << (start % XP_BPL);

	while (len >= room) {
		if (set)
			*w++ |= mask;
		else
			*w++ &= ~mask;
		len -= room;
		room = XP_BPL;
		mask = ~0UL;
	}
	if (!len)
		return;
	mask &= ~0UL >> (XP_BPL - end % XP_BPL);
	if (set)
		*w |= mask;
	else
		*w &= ~mask;
}

/* ---- the used bitmap, through its summary ---- */

/* Words of used (and bits of any and full). */
static size_t xp_used_words(const struct xp_region *r)
{
	return XP_WORDS(r->nbits);
}

/* Bring word @i's bits in any and full up to date. */
static void XP_HOT xp_sum_word(struct xp_region *r, size_t i)
{
	unsigned long bit = 1UL << (i % XP_BPL), w = r->used[i];

	if (w)
		r->any[i / XP_BPL] |= bit;
	else
		r->any[i / XP_BPL] &= ~bit;
	if (w == ~0UL)
		r->full[i / XP_BPL] |= bit;
	else
		r->full[i / XP_BPL] &= ~bit;
}

/*
 * Set (@set) or clear granules [start, start + len) of used, len > 0, and
 * its summary: the words strictly inside the range become all ones or all
 * zeroes, the two at its ends are looked at.
 */
static void XP_HOT xp_used_fill(struct xp_region *r, size_t start, size_t len, bool set)
{
	size_t fw = start / XP_BPL, lw = (start + len - 1) / XP_BPL;

	xp_fill_range(r->used, start, len, set);
	if (lw - fw > 1) {
		xp_fill_range(r->any, fw + 1, lw - fw - 1, set);
		xp_fill_range(r->full, fw + 1, lw - fw - 1, set);
	}
	xp_sum_word(r, fw);
	if (lw != fw)
		xp_sum_word(r, lw);
}

/*
 * First granule at or after @from that is free (@inv ~0UL) or used (@inv
 * 0), or nbits.  A word of used without one is skipped through the
 * summary: to a word not full for a free granule, to a word with any bit
 * set for a used one.
 */
static __always_inline size_t xp_used_find_next(const struct xp_region *r, size_t from,
						unsigned long inv)
{
	size_t i;
	unsigned long w;

	if (from >= r->nbits)
		return r->nbits;
	i = from / XP_BPL;
	w = (r->used[i] ^ inv) & (~0UL << (from % XP_BPL));
	if (!w) {
		if (inv)
			i = xp_next_zero(r->full, xp_used_words(r), i + 1);
		else
			i = xp_next_one(r->any, xp_used_words(r), i + 1);
		if (i >= xp_used_words(r))
			return r->nbits;
		w = r->used[i] ^ inv;
	}
	from = i * XP_BPL + __builtin_ctzl(w);
	return from < r->nbits ? from : r->nbits;
}

/* First free granule at or after @from, or nbits. */
static size_t XP_HOT xp_used_next_zero(const struct xp_region *r, size_t from)
{
	return xp_used_find_next(r, from, ~0UL);
}

/* First used granule at or after @from, or nbits. */
static size_t XP_HOT xp_used_next_one(const struct xp_region *r, size_t from)
{
	return xp_used_find_next(r, from, 0);
}

/* One past the last used granule below @from, or 0 if there is none. */
static size_t XP_HOT xp_used_prev_one(const struct xp_region *r, size_t from)
{
	size_t i;
	unsigned long w;

	if (!from)
		return 0;
	w = xp_word_below(r->used, from, &i);
	if (!w) {
		i = xp_prev_one(r->any, i);	/* one past the word, or 0 */
		if (!i--)
			return 0;
		w = r->used[i];
	}
	return xp_past_last(i, w);
}

/* Longest run of free granules. */
static size_t XP_HOT xp_largest_run(const struct xp_region *r)
{
	size_t pos = 0, s, e, best = 0;

	for (;;) {
		s = xp_used_next_zero(r, pos);
		if (s >= r->nbits)
			break;
		e = xp_used_next_one(r, s + 1);
		if (e - s > best)
			best = e - s;
		pos = e;
	}
	return best;
}

/*
 * End (exclusive) of the allocation starting at granule @bit: the next free
 * granule or the next start, whichever comes first.  The start bitmap is
 * scanned only up to that free granule, not to the end of the region (the
 * last allocation of a region would otherwise scan all of it).
 */
static size_t XP_HOT xp_alloc_end(const struct xp_region *r, size_t bit)
{
	size_t a = xp_used_next_zero(r, bit + 1);

	return xp_next_one(r->start, a, bit + 1);
}

/* ---- pool and regions ---- */

int xp_pool_init(struct xp_pool *p, unsigned long arena_base, size_t arena_size)
{
	unsigned long base = (arena_base + XP_REGION_SIZE - 1) & ~(XP_REGION_SIZE - 1);
	size_t nslots;

	p->slots = NULL;
	p->head = NULL;
	p->nr_regions = 0;
	p->nr_empty = 0;
	p->nr_fallback = 0;
	p->bytes_mapped = 0;
	p->bytes_used = 0;
	p->nr_allocs = 0;
	p->arena_base = 0;
	p->arena_size = 0;
	if (base < arena_base || !arena_size || arena_size - 1 > ~0UL - arena_base)
		return -EINVAL;
	if (base - arena_base >= arena_size)
		return -EINVAL;
	nslots = (arena_size - (base - arena_base)) >> XP_REGION_SHIFT;
	if (!nslots)
		return -EINVAL;
	p->slots = xp_zalloc(nslots * sizeof(*p->slots));
	if (!p->slots)
		return -ENOMEM;
	p->arena_base = base;
	p->arena_size = nslots << XP_REGION_SHIFT;
	return 0;
}

void xp_pool_destroy(struct xp_pool *p)
{
	XP_WARN(p->head);
	xp_kfree(p->slots);
	p->slots = NULL;
	p->head = NULL;
	p->arena_size = 0;
}

struct xp_region *xp_region_create(unsigned long base, size_t size, int node,
				   unsigned int flags)
{
	struct xp_region *r;
	size_t nw;

	if (!size || (size & (XP_REGION_SIZE - 1)) || (base & (XP_REGION_SIZE - 1)))
		return NULL;
	if (size - 1 > ~0UL - base)
		return NULL;
	nw = XP_WORDS(size >> XP_GRANULE_SHIFT);
	/* the summary goes with the struct: both are read by every scan */
	r = xp_zalloc(sizeof(*r) + 2 * XP_WORDS(nw) * sizeof(unsigned long));
	if (!r)
		return NULL;
	r->any = (unsigned long *)(r + 1);
	r->full = r->any + XP_WORDS(nw);
	r->nbits = size >> XP_GRANULE_SHIFT;
	r->used = xp_zalloc(2 * nw * sizeof(unsigned long));
	if (!r->used) {
		xp_kfree(r);
		return NULL;
	}
	r->start = r->used + nw;
	r->base = base;
	r->size = size;
	r->free_bytes = size;
	r->largest_free = size;
	r->node = node;
	r->page_node = node;
	r->flags = flags;
	return r;
}

void xp_region_destroy(struct xp_region *r)
{
	if (!r)
		return;
	xp_kfree(r->used);
	xp_kfree(r);
}

/* Slot index of @addr; the caller has checked that it is in the arena. */
static size_t xp_slot(const struct xp_pool *p, unsigned long addr)
{
	return (addr - p->arena_base) >> XP_REGION_SHIFT;
}

static bool xp_in_arena(const struct xp_pool *p, unsigned long addr, size_t size)
{
	unsigned long off = addr - p->arena_base;

	return addr >= p->arena_base && off < p->arena_size && size <= p->arena_size - off;
}

int xp_pool_add(struct xp_pool *p, struct xp_region *r)
{
	struct xp_region *prev = NULL, *it;
	size_t i, first, n;

	if (!r || !r->size || (r->size & (XP_REGION_SIZE - 1)) ||
	    (r->base & (XP_REGION_SIZE - 1)) || r->nbits != r->size >> XP_GRANULE_SHIFT)
		return -EINVAL;
	if (!xp_in_arena(p, r->base, r->size))
		return -EINVAL;
	first = xp_slot(p, r->base);
	n = r->size >> XP_REGION_SHIFT;
	for (i = 0; i < n; i++)
		if (p->slots[first + i])
			return -EINVAL;
	for (it = p->head; it && it->base < r->base; it = it->next)
		prev = it;
	r->prev = prev;
	r->next = it;
	if (prev)
		prev->next = r;
	else
		p->head = r;
	if (it)
		it->prev = r;
	for (i = 0; i < n; i++)
		p->slots[first + i] = r;
	p->nr_regions++;
	p->nr_empty += !r->nr_allocs;
	p->nr_fallback += !!(r->flags & XP_REGION_FALLBACK);
	p->bytes_mapped += r->size;
	p->bytes_used += r->size - r->free_bytes;
	p->nr_allocs += r->nr_allocs;
	return 0;
}

void xp_pool_remove(struct xp_pool *p, struct xp_region *r)
{
	size_t i, first, n;

	if (!r || XP_WARN(r->nr_allocs) || !xp_in_arena(p, r->base, r->size))
		return;
	first = xp_slot(p, r->base);
	if (XP_WARN(p->slots[first] != r))
		return;
	n = r->size >> XP_REGION_SHIFT;
	for (i = 0; i < n; i++)
		p->slots[first + i] = NULL;
	if (r->prev)
		r->prev->next = r->next;
	else
		p->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = NULL;
	r->prev = NULL;
	p->nr_regions--;
	p->nr_empty--;
	p->nr_fallback -= !!(r->flags & XP_REGION_FALLBACK);
	p->bytes_mapped -= r->size;
	p->bytes_used -= r->size - r->free_bytes;
}

/* Result of a best-fit scan of one region (granule units). */
struct xp_fit {
	size_t pos;		/* where to allocate, or XP_NONE */
	size_t s, e;		/* the free run it is carved from */
	size_t l1, l2;		/* two longest runs seen (l2 may equal l1) */
	bool complete;		/* every run was seen */
};

/*
 * Best fit inside @r for @n granules aligned to @ag granules: the smallest
 * free run that can hold them (lowest address on ties).  The two longest
 * runs are tracked on the way, so that carving the longest one needs no
 * second scan to update largest_free.
 */
static void XP_HOT xp_region_fit(const struct xp_region *r, size_t n, size_t ag, struct xp_fit *f)
{
	size_t pos = 0, s, e, a, len, best_len = XP_NONE;

	f->pos = XP_NONE;
	f->l1 = 0;
	f->l2 = 0;
	f->complete = true;
	while (pos < r->nbits) {
		s = xp_used_next_zero(r, pos);
		if (s >= r->nbits)
			break;
		e = xp_used_next_one(r, s + 1);
		pos = e;
		len = e - s;
		if (len > f->l1) {
			f->l2 = f->l1;
			f->l1 = len;
		} else if (len > f->l2) {
			f->l2 = len;
		}
		if (len < n || len >= best_len)
			continue;
		a = (s + ag - 1) & ~(ag - 1);
		if (a < e && e - a >= n) {
			f->pos = a;
			f->s = s;
			f->e = e;
			best_len = len;
			if (len == n && pos < r->nbits) {
				f->complete = false;
				break;
			}
		}
	}
}

/* Granules for @size bytes at @align, or 0 for a request no region can take. */
static size_t xp_granules(const struct xp_pool *p, size_t size, size_t *align)
{
	if (*align < XP_GRANULE)
		*align = XP_GRANULE;
	if (!size || size > p->arena_size || *align > XP_MAX_ALIGN ||
	    (*align & (*align - 1)))
		return 0;
	return (size + XP_GRANULE - 1) >> XP_GRANULE_SHIFT;
}

/*
 * Choose the region for @n granules at @ag-granule alignment: best fit by
 * largest free extent, non-fallback regions first.  *fit is filled when
 * choosing needed a scan, else its pos is XP_NONE.
 */
static struct xp_region *XP_HOT xp_pick(const struct xp_pool *p, size_t n, size_t ag,
				 int node, struct xp_fit *fit)
{
	size_t bytes = n << XP_GRANULE_SHIFT, align = ag << XP_GRANULE_SHIFT;
	struct xp_region *r, *best = NULL;
	struct xp_fit f;
	unsigned int pass;

	fit->pos = XP_NONE;
	for (pass = 0; pass < 2 && !best; pass++) {
		unsigned int want = pass ? XP_REGION_FALLBACK : 0;

		for (r = p->head; r; r = r->next) {
			if (r->largest_free < bytes ||
			    (best && r->largest_free >= best->largest_free))
				continue;
			if ((r->flags & XP_REGION_FALLBACK) != want)
				continue;
			if (node != XP_NO_NODE && r->node != node)
				continue;
			if (ag == 1 || r->largest_free - bytes >= align - XP_GRANULE) {
				/* fits for sure: locate it only if chosen */
				best = r;
				fit->pos = XP_NONE;
				continue;
			}
			xp_region_fit(r, n, ag, &f);
			if (f.pos != XP_NONE) {
				best = r;
				*fit = f;
			}
		}
	}
	return best;
}

/*
 * Carve @n granules out of @r at @fit (located here if fit->pos is XP_NONE)
 * and keep every counter exact.  0 when @r has no room.
 */
static unsigned long XP_HOT xp_carve(struct xp_pool *p, struct xp_region *r,
				     size_t n, size_t ag, struct xp_fit *fit)
{
	size_t bytes = n << XP_GRANULE_SHIFT, len, other;

	if (fit->pos == XP_NONE && !r->nr_allocs) {
		/* empty region: one free run, no scan (the 2 MiB base is aligned) */
		fit->pos = 0;
		fit->s = 0;
		fit->e = r->nbits;
		fit->l1 = r->nbits;
		fit->l2 = 0;
		fit->complete = true;
	} else if (fit->pos == XP_NONE) {
		xp_region_fit(r, n, ag, fit);
	}
	if (fit->pos == XP_NONE)
		return 0;

	xp_used_fill(r, fit->pos, n, true);
	r->start[fit->pos / XP_BPL] |= 1UL << (fit->pos % XP_BPL);
	r->free_bytes -= bytes;
	if (!r->nr_allocs++)
		p->nr_empty--;
	p->bytes_used += bytes;
	p->nr_allocs++;
	len = fit->e - fit->s;
	if (len << XP_GRANULE_SHIFT == r->largest_free) {
		if (fit->complete) {
			/* longest of the other runs and of the two leftovers */
			other = len == fit->l1 ? fit->l2 : fit->l1;
			if (fit->pos - fit->s > other)
				other = fit->pos - fit->s;
			if (fit->e - fit->pos - n > other)
				other = fit->e - fit->pos - n;
		} else {
			other = xp_largest_run(r);
		}
		r->largest_free = other << XP_GRANULE_SHIFT;
	}
	return r->base + (fit->pos << XP_GRANULE_SHIFT);
}

unsigned long XP_HOT xp_alloc(struct xp_pool *p, size_t size, size_t align,
			      int node, struct xp_region **rp)
{
	size_t n = xp_granules(p, size, &align);
	struct xp_region *r;
	struct xp_fit fit;
	unsigned long addr;

	if (!n)
		return 0;
	r = xp_pick(p, n, align >> XP_GRANULE_SHIFT, node, &fit);
	if (!r)
		return 0;
	addr = xp_carve(p, r, n, align >> XP_GRANULE_SHIFT, &fit);
	if (XP_WARN(!addr))	/* xp_pick() saw room */
		return 0;
	if (rp)
		*rp = r;
	return addr;
}

unsigned long xp_alloc_in(struct xp_pool *p, struct xp_region *r, size_t size,
			  size_t align)
{
	size_t n = xp_granules(p, size, &align);
	struct xp_fit fit = { .pos = XP_NONE };

	if (!n || !r || XP_WARN(xp_lookup(p, r->base) != r))
		return 0;
	if (r->largest_free < n << XP_GRANULE_SHIFT)
		return 0;
	return xp_carve(p, r, n, align >> XP_GRANULE_SHIFT, &fit);
}

struct xp_region *xp_take_empty(struct xp_pool *p)
{
	struct xp_region *r;

	for (r = p->head; r; r = r->next) {
		if (!r->nr_allocs) {
			xp_pool_remove(p, r);
			return r;
		}
	}
	return NULL;
}

struct xp_region *xp_lookup(const struct xp_pool *p, unsigned long addr)
{
	if (!xp_in_arena(p, addr, 1))
		return NULL;
	return p->slots[xp_slot(p, addr)];
}

long xp_free(struct xp_pool *p, unsigned long addr, struct xp_region **rp)
{
	struct xp_region *r = xp_lookup(p, addr);

	if (!r)
		return -EINVAL;
	if (rp)
		*rp = r;
	return xp_free_in(p, r, addr);
}

long XP_HOT xp_free_in(struct xp_pool *p, struct xp_region *r, unsigned long addr)
{
	size_t bit, end, left, right, merged;
	unsigned long off;

	if (!xp_range_within(r->base, r->size, addr, 1))
		return -EINVAL;
	off = addr - r->base;
	if (off & (XP_GRANULE - 1))
		return -EINVAL;
	bit = off >> XP_GRANULE_SHIFT;
	if (!xp_test(r->start, bit) || !xp_test(r->used, bit))
		return -EINVAL;
	end = xp_alloc_end(r, bit);

	r->start[bit / XP_BPL] &= ~(1UL << (bit % XP_BPL));
	xp_used_fill(r, bit, end - bit, false);
	if (r->nr_allocs == 1) {
		merged = r->size;	/* the last one: no neighbour to scan for */
	} else {
		left = xp_used_prev_one(r, bit);
		right = xp_used_next_one(r, end);
		merged = (right - left) << XP_GRANULE_SHIFT;
	}
	if (merged > r->largest_free)
		r->largest_free = merged;
	r->free_bytes += (end - bit) << XP_GRANULE_SHIFT;
	if (!--r->nr_allocs)
		p->nr_empty++;
	p->bytes_used -= (end - bit) << XP_GRANULE_SHIFT;
	p->nr_allocs--;
	return (long)((end - bit) << XP_GRANULE_SHIFT);
}

bool xp_find(const struct xp_pool *p, unsigned long addr,
	     unsigned long *startp, size_t *sizep)
{
	const struct xp_region *r = xp_lookup(p, addr);
	size_t bit, s, end;

	if (!r)
		return false;
	bit = (addr - r->base) >> XP_GRANULE_SHIFT;
	if (!xp_test(r->used, bit))
		return false;
	s = xp_prev_one(r->start, bit + 1);
	if (!s--)
		return false;
	/* every granule from the start up to addr must be in use */
	if (xp_used_next_zero(r, s) <= bit)
		return false;
	end = xp_alloc_end(r, s);
	if (startp)
		*startp = r->base + (s << XP_GRANULE_SHIFT);
	if (sizep)
		*sizep = (end - s) << XP_GRANULE_SHIFT;
	return true;
}

size_t xp_pool_largest_free(const struct xp_pool *p)
{
	const struct xp_region *r;
	size_t best = 0;

	for (r = p->head; r; r = r->next)
		if (r->largest_free > best)
			best = r->largest_free;
	return best;
}

void xp_region_hist(const struct xp_region *r, unsigned long hist[XP_HIST_BUCKETS])
{
	size_t pos = 0, s, e;
	unsigned int b;

	for (b = 0; b < XP_HIST_BUCKETS; b++)
		hist[b] = 0;
	for (;;) {
		s = xp_used_next_zero(r, pos);
		if (s >= r->nbits)
			break;
		e = xp_used_next_one(r, s + 1);
		pos = e;
		/* bucket = floor(log2(granules)), granules >= 1 */
		b = XP_BPL - 1 - __builtin_clzl(e - s);
		if (b >= XP_HIST_BUCKETS)
			b = XP_HIST_BUCKETS - 1;
		hist[b]++;
	}
}

/* Recompute one region's counters from its bitmaps. */
static int xp_region_check(const struct xp_region *r, unsigned long *usedp)
{
	size_t i, nw = XP_WORDS(r->nbits), used = 0, starts = 0;
	unsigned long carry = 0, u, heads;

	if (!r->size || (r->size & (XP_REGION_SIZE - 1)) || (r->base & (XP_REGION_SIZE - 1)) ||
	    r->nbits != r->size >> XP_GRANULE_SHIFT || !r->used || !r->start)
		return -EUCLEAN;
	for (i = 0; i < nw; i++) {
		u = r->used[i];
		if (i == nw - 1 && r->nbits % XP_BPL) {
			unsigned long valid = ~0UL >> (XP_BPL - r->nbits % XP_BPL);

			if ((u | r->start[i]) & ~valid)
				return -EUCLEAN;
		}
		/* start bits only on used granules */
		if (r->start[i] & ~u)
			return -EUCLEAN;
		/* every used run must begin with a start bit */
		heads = u & ~((u << 1) | carry);
		if (heads & ~r->start[i])
			return -EUCLEAN;
		carry = u >> (XP_BPL - 1);
		/* the summary agrees with the word */
		if (!!u != xp_test(r->any, i) || (u == ~0UL) != xp_test(r->full, i))
			return -EUCLEAN;
		used += xp_popcount(u);
		starts += xp_popcount(r->start[i]);
	}
	if (r->free_bytes != (r->nbits - used) << XP_GRANULE_SHIFT ||
	    r->nr_allocs != starts ||
	    r->largest_free != xp_largest_run(r) << XP_GRANULE_SHIFT)
		return -EUCLEAN;
	*usedp = used;
	return 0;
}

int xp_pool_check(const struct xp_pool *p)
{
	const struct xp_region *r, *prev = NULL;
	size_t nslots = p->arena_size >> XP_REGION_SHIFT, nr = 0, i, first, n;
	size_t empty = 0, fallback = 0;
	size_t mapped = 0, bytes = 0;
	unsigned long allocs = 0, used;

	if (!p->slots || (p->arena_base & (XP_REGION_SIZE - 1)) ||
	    (p->arena_size & (XP_REGION_SIZE - 1)))
		return -EUCLEAN;
	for (r = p->head; r; prev = r, r = r->next) {
		if (r->prev != prev || ++nr > nslots)
			return -EUCLEAN;
		if (prev && r->base - prev->base < prev->size)
			return -EUCLEAN;
		if (prev && r->base <= prev->base)
			return -EUCLEAN;
		if (xp_region_check(r, &used) || !xp_in_arena(p, r->base, r->size))
			return -EUCLEAN;
		first = xp_slot(p, r->base);
		n = r->size >> XP_REGION_SHIFT;
		for (i = 0; i < n; i++)
			if (p->slots[first + i] != r)
				return -EUCLEAN;
		mapped += r->size;
		empty += !r->nr_allocs;
		fallback += !!(r->flags & XP_REGION_FALLBACK);
		bytes += used << XP_GRANULE_SHIFT;
		allocs += r->nr_allocs;
	}
	n = 0;
	for (i = 0; i < nslots; i++)
		n += !!p->slots[i];
	if (n != mapped >> XP_REGION_SHIFT || nr != p->nr_regions || mapped != p->bytes_mapped ||
	    bytes != p->bytes_used || allocs != p->nr_allocs ||
	    empty != p->nr_empty || fallback != p->nr_fallback)
		return -EUCLEAN;
	return 0;
}
