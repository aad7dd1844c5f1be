// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of tlb/tlbmodel.c, as KTAP:
 *   test_tlb PROFILE.conf...
 * Every capacity comes from the profile through its accessors; the knees
 * are predicted from the documented indexing and LRU alone (predict()) and
 * asserted both as exact counts and as the plain statements (no misses up
 * to the capacity, one per access just above it).
 */
#include <stdlib.h>
#include <string.h>
#include "ktap.h"
#include "tlbmodel.h"

#define BASE	UINT64_C(0x100000000000)	/* 16 TiB: aligned for every size, set count */
#define WARM	4	/* passes before counting (LRU steady state after 3) */
#define PASSES	3
#define MAXN	131072

static const unsigned int shift[TLBM_NPSIZE] = { 12, 21, 30 };
static uint64_t addr[MAXN];

struct geo {			/* one array as the profile describes it */
	unsigned int entries, ways, sets;
	enum tlbm_psize ss;
};

static struct geo geo(const struct tlbm_profile *p, enum tlbm_kind k,
		      enum tlbm_psize ps, int lvl)
{
	struct geo g = {
		.entries = tlbm_profile_capacity(p, k, ps, lvl),
		.ways = tlbm_profile_ways(p, k, ps, lvl),
		.ss = tlbm_profile_stored_size(p, k, ps, lvl),
	};

	g.sets = g.entries ? g.entries / g.ways : 0;
	return g;
}

static unsigned int set_of(uint64_t va, const struct geo *g)
{
	return (unsigned int)(va >> shift[g->ss]) & (g->sets - 1);
}

/*
 * Pages i = 0..n-1 of size ps, i * stride pages apart; where a level stores
 * the size as a smaller one, page i is touched at piece i (mod sets) so that
 * the pieces spread over the sets as whole pages do.
 */
static void layout(unsigned int n, enum tlbm_psize ps, uint64_t stride,
		   const struct geo *g2)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		addr[i] = BASE + ((uint64_t)i * stride << shift[ps]);
		if (g2->entries && g2->ss < ps)
			addr[i] += (uint64_t)(i % g2->sets) << shift[g2->ss];
	}
}

/*
 * LRU, cyclic access to addr[0..n): in steady state a page misses a level
 * iff more than "ways" of the pages reaching that level share its set.  The
 * pages reaching level 2 are those missing level 1 (L1 hits do not touch
 * the L2).  Returns L1 misses per pass; *walks gets walks per pass.
 */
static unsigned int predict(unsigned int n, const struct geo *g1, const struct geo *g2,
			    unsigned int *walks)
{
	unsigned int *cnt = calloc(MAXN, sizeof(*cnt)), i, m1 = 0;
	bool *miss1 = calloc(n, sizeof(*miss1));

	for (i = 0; g1->entries && i < n; i++)
		cnt[set_of(addr[i], g1)]++;
	for (i = 0; i < n; i++) {
		miss1[i] = !g1->entries || cnt[set_of(addr[i], g1)] > g1->ways;
		m1 += miss1[i];
	}
	memset(cnt, 0, MAXN * sizeof(*cnt));
	*walks = 0;
	for (i = 0; g2->entries && i < n; i++)
		cnt[set_of(addr[i], g2)] += miss1[i];
	for (i = 0; i < n; i++)
		*walks += miss1[i] && (!g2->entries || cnt[set_of(addr[i], g2)] > g2->ways);
	free(cnt);
	free(miss1);
	return m1;
}

/* Cyclic access to addr[0..n): counts of the PASSES passes after WARM. */
static void run(const struct tlbm_profile *p, enum tlbm_kind k, enum tlbm_psize ps,
		unsigned int n, struct tlbm_counts *c)
{
	struct tlbm *m = tlbm_new(p);
	unsigned int pass, i;

	for (pass = 0; pass < WARM + PASSES; pass++) {
		if (pass == WARM)
			tlbm_reset_counts(m);
		for (i = 0; i < n; i++)
			tlbm_access(m, k, addr[i], ps, true, 0);
	}
	tlbm_counts(m, c);
	tlbm_free(m);
}

/* One footprint: model against prediction; returns L1 misses and walks per access. */
static void point(const struct tlbm_profile *p, enum tlbm_kind k, enum tlbm_psize ps,
		  unsigned int n, double *l1, double *wk)
{
	struct geo g1 = geo(p, k, ps, 1), g2 = geo(p, k, ps, 2);
	unsigned int pw, pm = predict(n, &g1, &g2, &pw);
	struct tlbm_counts c;

	run(p, k, ps, n, &c);
	EXPECT(c.accesses[k][ps] == (uint64_t)n * PASSES);
	EXPECT(c.l1_misses[k][ps] == (uint64_t)pm * PASSES);
	EXPECT(c.walks[k][ps] == (uint64_t)pw * PASSES);
	if (c.l1_misses[k][ps] != (uint64_t)pm * PASSES ||
	    c.walks[k][ps] != (uint64_t)pw * PASSES)
		printf("# %s %s %s N=%u: l1 misses %llu walks %llu, predicted %u %u per pass\n",
		       tlbm_profile_name(p), tlbm_kind_name(k), tlbm_psize_name(ps), n,
		       (unsigned long long)c.l1_misses[k][ps],
		       (unsigned long long)c.walks[k][ps], pm, pw);
	*l1 = (double)c.l1_misses[k][ps] / (double)c.accesses[k][ps];
	*wk = (double)c.walks[k][ps] / (double)c.accesses[k][ps];
}

/* Footprints around each capacity: the counts are the predicted ones. */
static void sweep(const struct tlbm_profile *p, enum tlbm_kind k, enum tlbm_psize ps,
		  const struct geo *g1, const struct geo *g2)
{
	unsigned int n[] = {
		1, g1->entries / 2, g1->entries - 1, g1->entries + 1, g1->entries + g1->sets / 2,
		g2->entries - 1, g2->entries + 1, g2->entries + g2->sets / 2, 2 * g2->entries,
	};
	unsigned int i;
	double l1, wk;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++) {
		if (n[i] < 1 || n[i] >= MAXN)
			continue;
		layout(n[i], ps, 1, g2);
		point(p, k, ps, n[i], &l1, &wk);
	}
}

/* Capacity knees of one kind and size: at L1's capacity and one page per set above; same at L2. */
static void knees(const struct tlbm_profile *p, enum tlbm_kind k, enum tlbm_psize ps)
{
	struct geo g1 = geo(p, k, ps, 1), g2 = geo(p, k, ps, 2);
	double l1, wk;

	if (g1.entries) {
		layout(g1.entries, ps, 1, &g2);
		point(p, k, ps, g1.entries, &l1, &wk);
		EXPECT(l1 == 0 && wk == 0);
		layout(g1.entries + g1.sets, ps, 1, &g2);
		point(p, k, ps, g1.entries + g1.sets, &l1, &wk);
		EXPECT(l1 == 1);
		EXPECT(g2.entries < g1.entries + g1.sets || wk == 0);
	}
	if (g2.entries > g1.entries) {
		layout(g2.entries, ps, 1, &g2);
		point(p, k, ps, g2.entries, &l1, &wk);
		EXPECT(l1 == 1 && wk == 0);
		layout(g2.entries + g2.sets, ps, 1, &g2);
		point(p, k, ps, g2.entries + g2.sets, &l1, &wk);
		EXPECT(l1 == 1 && wk == 1);
	}
	sweep(p, k, ps, &g1, &g2);
	printf("# %s %s %s: L1 %u entries (%u sets), L2 %u entries (%u sets, stored as %s)\n",
	       tlbm_profile_name(p), tlbm_kind_name(k), tlbm_psize_name(ps), g1.entries,
	       g1.sets, g2.entries, g2.sets, g2.entries ? tlbm_psize_name(g2.ss) : "-");
}

/*
 * Level-2 conflicts: ways + 1 pages in one L2 set, plus as many pages as
 * L1 holds in the other L2 sets (so that L1 misses them all): the footprint
 * fits in L2, the one set does not.
 */
static unsigned int l2_conflict_layout(const struct geo *g1, const struct geo *g2,
				       enum tlbm_psize ps)
{
	unsigned int n = 0, i, q;
	bool piece = g2->ss < ps;	/* one set: the same piece of every page */

	for (i = 0; i <= g2->ways; i++)
		addr[n++] = BASE + ((uint64_t)i * (piece ? 1 : g2->sets) << shift[ps]);
	for (i = 0; i < g1->entries; i++) {
		q = 1 + i % (g2->sets - 1);
		if (piece)
			addr[n++] = 2 * BASE + ((uint64_t)i << shift[ps]) +
				    ((uint64_t)q << shift[g2->ss]);
		else
			addr[n++] = 2 * BASE + ((uint64_t)(i / (g2->sets - 1) * g2->sets + q)
						<< shift[ps]);
	}
	return n;
}

/*
 * LRU, not FIFO (cyclic access cannot tell them apart): fill one L1 set,
 * touch its oldest page again, add one more: the second oldest goes.
 */
static void lru(const struct tlbm_profile *p, enum tlbm_kind k, enum tlbm_psize ps)
{
	struct geo g1 = geo(p, k, ps, 1);
	struct tlbm *m = tlbm_new(p);
	unsigned int i;

	if (!g1.entries || g1.ss != ps) {
		tlbm_free(m);
		return;
	}
	for (i = 0; i <= g1.ways; i++)
		addr[i] = BASE + ((uint64_t)i * g1.sets << shift[ps]);
	for (i = 0; i < g1.ways; i++)
		tlbm_access(m, k, addr[i], ps, true, 0);
	EXPECT(tlbm_access(m, k, addr[0], ps, true, 0) == 1);
	EXPECT(tlbm_access(m, k, addr[g1.ways], ps, true, 0) != 1);
	EXPECT(tlbm_access(m, k, addr[0], ps, true, 0) == 1);
	if (g1.ways > 1)
		EXPECT(tlbm_access(m, k, addr[1], ps, true, 0) != 1);
	tlbm_free(m);
}

/* Conflict misses: a stride that maps ways + 1 pages to one set. */
static void conflicts(const struct tlbm_profile *p, enum tlbm_kind k, enum tlbm_psize ps)
{
	struct geo g1 = geo(p, k, ps, 1), g2 = geo(p, k, ps, 2);
	struct tlbm_counts c;
	unsigned int n;
	double l1, wk;

	lru(p, k, ps);
	if (g1.sets > 1) {
		layout(g1.ways + 1, ps, g1.sets, &g2);
		point(p, k, ps, g1.ways + 1, &l1, &wk);
		EXPECT(l1 == 1);
	}
	if (g2.sets > 1) {
		n = l2_conflict_layout(&g1, &g2, ps);
		EXPECT(n <= g2.entries);
		point(p, k, ps, n, &l1, &wk);
		run(p, k, ps, n, &c);
		EXPECT(c.walks[k][ps] >= (uint64_t)(g2.ways + 1) * PASSES);
	}
}

/* Evict everything of kind k from L1 (not from L2): touch L1-capacity + sets
 * other pages of every size (they land in L2 as well, in other sets).
 */
static void evict_l1(struct tlbm *m, const struct tlbm_profile *p, enum tlbm_kind k)
{
	unsigned int ps, i, n;

	for (ps = 0; ps < TLBM_NPSIZE; ps++) {
		n = 2 * tlbm_profile_capacity(p, k, ps, 1);
		for (i = 0; i < n; i++)
			tlbm_access(m, k, 3 * BASE + ((uint64_t)(i + 1) << shift[ps]), ps, true, 0);
	}
}

/* G entries survive tlbm_flush_nonglobal(), others do not; flush_all drops both. */
static void globals(const struct tlbm_profile *p)
{
	struct tlbm *m = tlbm_new(p);
	uint64_t g, ng;
	int k;

	for (k = 0; k < TLBM_NKIND; k++) {
		g = BASE + ((uint64_t)k << 30);	/* a shared L2 holds both kinds */
		ng = g + 0x1000;
		EXPECT(tlbm_access(m, k, g, TLBM_4K, true, 0) == 0);
		EXPECT(tlbm_access(m, k, ng, TLBM_4K, false, 0) == 0);
		EXPECT(tlbm_access(m, k, g, TLBM_4K, true, 0) == 1);
		EXPECT(tlbm_access(m, k, ng, TLBM_4K, false, 0) == 1);
		/* ASIDs: a non-global entry is its address space's only */
		EXPECT(tlbm_access(m, k, ng, TLBM_4K, false, 7) == 0);
		EXPECT(tlbm_access(m, k, g, TLBM_4K, true, 7) == 1);
		tlbm_flush_nonglobal(m);
		EXPECT(tlbm_access(m, k, g, TLBM_4K, true, 0) == 1);
		EXPECT(tlbm_access(m, k, ng, TLBM_4K, false, 0) == 0);
		/* ... and not from the second level either */
		tlbm_access(m, k, ng, TLBM_4K, false, 0);
		evict_l1(m, p, k);
		tlbm_flush_nonglobal(m);
		EXPECT(tlbm_access(m, k, ng, TLBM_4K, false, 0) == 0);
		tlbm_flush_all(m);
		EXPECT(tlbm_access(m, k, g, TLBM_4K, true, 0) == 0);
	}
	tlbm_free(m);
}

/*
 * INVLPG: the entry of whatever size maps the address goes, at every level;
 * the neighbour stays.  One size at a time: a 1G page "smashed" into a 2M
 * entry is a 2M entry, so a 2M and a 1G translation of one address (which
 * page tables cannot give at once) would share it.
 */
static void flush_va(const struct tlbm_profile *p)
{
	struct tlbm *m = tlbm_new(p);
	uint64_t va = BASE + (5ULL << 30) + (3ULL << 21) + 0x7000, next = va + 0x1000;
	int k, ps, lvl, want;

	for (k = 0; k < TLBM_NKIND; k++) {
		for (ps = 0; ps < TLBM_NPSIZE; ps++) {
			for (lvl = 1; lvl <= 2; lvl++) {
				tlbm_access(m, k, va, ps, true, 0);
				tlbm_access(m, k, next, TLBM_4K, true, 0);
				if (lvl == 2)
					evict_l1(m, p, k);
				tlbm_flush_va(m, va + 0x123);
				EXPECT(tlbm_access(m, k, va, ps, true, 0) == 0);
				want = lvl == 1 ? 1 :
				       tlbm_profile_capacity(p, k, TLBM_4K, 2) ? 2 : 0;
				EXPECT(tlbm_access(m, k, next, TLBM_4K, true, 0) == want);
				tlbm_flush_all(m);
			}
		}
	}
	tlbm_free(m);
}

/*
 * Shared second level (Intel's STLB): code translations filling it evict
 * data ones.  Split (AMD): they cannot.  Data pages: half the L2 data
 * capacity; then as many code pages as the L2 code capacity; then the data
 * pages again.
 */
static void shared_l2(const struct tlbm_profile *p)
{
	bool shared = tlbm_profile_array(p, TLBM_INSN, TLBM_4K, 2) >= 0 &&
		      tlbm_profile_array(p, TLBM_INSN, TLBM_4K, 2) ==
		      tlbm_profile_array(p, TLBM_DATA, TLBM_4K, 2);
	unsigned int nd = tlbm_profile_capacity(p, TLBM_DATA, TLBM_4K, 2) / 2;
	unsigned int ni = tlbm_profile_capacity(p, TLBM_INSN, TLBM_4K, 2);
	unsigned int c1 = tlbm_profile_capacity(p, TLBM_DATA, TLBM_4K, 1), i;
	struct tlbm *m = tlbm_new(p);
	struct tlbm_counts c;

	for (i = 0; i < nd; i++)
		tlbm_access(m, TLBM_DATA, BASE + ((uint64_t)i << 12), TLBM_4K, true, 0);
	for (i = 0; i < ni; i++)
		tlbm_access(m, TLBM_INSN, 2 * BASE + ((uint64_t)i << 12), TLBM_4K, true, 0);
	tlbm_reset_counts(m);
	for (i = 0; i < nd; i++)
		tlbm_access(m, TLBM_DATA, BASE + ((uint64_t)i << 12), TLBM_4K, true, 0);
	tlbm_counts(m, &c);
	printf("# %s: second level %s; data pages again after code filled it: %llu of %u walk\n",
	       tlbm_profile_name(p), shared ? "shared" : "split",
	       (unsigned long long)c.walks[TLBM_DATA][TLBM_4K], nd);
	if (shared)
		EXPECT(c.walks[TLBM_DATA][TLBM_4K] >= nd - c1);
	else
		EXPECT(c.walks[TLBM_DATA][TLBM_4K] == 0);
	if (!strcmp(tlbm_profile_name(p), "skylake-sp"))
		EXPECT(shared);
	if (!strncmp(tlbm_profile_name(p), "zen", 3))
		EXPECT(!shared);
	tlbm_free(m);
}

/*
 * A 1G page stored as 2M at level 2 (AMD): the L2 holds the 2M piece that
 * was walked, so another piece of the same 1G page, once out of L1, walks.
 */
static void smashed(const struct tlbm_profile *p)
{
	struct tlbm *m = tlbm_new(p);
	uint64_t va = BASE + (9ULL << 30) + (3ULL << 21);	/* piece 3: not set 0 */
	int k;

	for (k = 0; k < TLBM_NKIND; k++) {
		if (tlbm_profile_stored_size(p, k, TLBM_1G, 2) != TLBM_2M)
			continue;
		printf("# %s: %s 1G pages are held as 2M at level 2\n", tlbm_profile_name(p),
		       tlbm_kind_name(k));
		EXPECT(tlbm_access(m, k, va, TLBM_1G, true, 0) == 0);
		EXPECT(tlbm_access(m, k, va + (5 << 21), TLBM_1G, true, 0) == 1);
		evict_l1(m, p, k);
		EXPECT(tlbm_access(m, k, va + 0x1000, TLBM_1G, true, 0) == 2);
		evict_l1(m, p, k);
		EXPECT(tlbm_access(m, k, va + (5 << 21), TLBM_1G, true, 0) == 0);
	}
	if (!strncmp(tlbm_profile_name(p), "zen", 3))
		EXPECT(tlbm_profile_stored_size(p, TLBM_DATA, TLBM_1G, 2) == TLBM_2M);
	tlbm_free(m);
}

/*
 * Where tlbm_profile_repeats_hit(), skipping repeated accesses to the same
 * page and counting them with tlbm_count_hits() gives the same counts and
 * the same later behaviour as making them.
 */
static void repeats(const struct tlbm_profile *p)
{
	struct tlbm *a = tlbm_new(p), *b = tlbm_new(p);
	uint64_t x = 2463534242ULL, va, last[TLBM_NKIND] = { 1, 1 };
	int i, k, ps, ss, r, lps[TLBM_NKIND] = { 0, 0 };
	struct tlbm_counts ca, cb;

	EXPECT(tlbm_profile_repeats_hit(p) == !!strcmp(tlbm_profile_name(p), "t"));
	if (!tlbm_profile_repeats_hit(p))
		goto out;
	for (i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k = x & 1;
		ps = (x >> 3) % 3;
		ss = tlbm_profile_stored_size(p, k, ps, 1);
		/* a few pages, and two 2M pieces of each 1G page */
		va = BASE + ((x >> 8) % (x & 6 ? 4 : 3000) << shift[ps]) + ((x >> 40 & 1) << 21);
		r = tlbm_access(a, k, va, ps, true, 0);
		if (ps == lps[k] && va >> shift[ss] == last[k] >> shift[ss]) {
			EXPECT(r == 1);
			tlbm_count_hits(b, k, ps, 1);
		} else {
			EXPECT(tlbm_access(b, k, va, ps, true, 0) == r);
		}
		last[k] = va;
		lps[k] = ps;
	}
	tlbm_counts(a, &ca);
	tlbm_counts(b, &cb);
	EXPECT(!memcmp(&ca, &cb, sizeof(ca)));
out:
	tlbm_free(a);
	tlbm_free(b);
}

/* Counts add up: against the levels tlbm_access() returned. */
static void counts(const struct tlbm_profile *p)
{
	struct tlbm *m = tlbm_new(p);
	uint64_t ret[TLBM_NKIND][TLBM_NPSIZE][3] = { { { 0 } } }, x = 88172645463325252ULL;
	struct tlbm_counts c;
	uint64_t va = 0;
	int i, k, ps, lvl, lk = 0, lps = 0;

	for (i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		k = x & 1;
		ps = (x >> 1) % 3;
		if ((x >> 4) % 1000 == 0)
			tlbm_flush_nonglobal(m);
		else if ((x >> 4) % 1000 == 1)
			tlbm_flush_va(m, BASE + ((x >> 20) % 4096 << 12));
		va = BASE + ((x >> 20) % 4096 << shift[ps]);
		lvl = tlbm_access(m, k, va, ps, (x >> 3) & 1, 0);
		ret[k][ps][lvl]++;
		lk = k;
		lps = ps;
	}
	tlbm_counts(m, &c);
	for (k = 0; k < TLBM_NKIND; k++)
		for (ps = 0; ps < TLBM_NPSIZE; ps++) {
			EXPECT(c.accesses[k][ps] == ret[k][ps][0] + ret[k][ps][1] + ret[k][ps][2]);
			EXPECT(c.l1_misses[k][ps] == ret[k][ps][0] + ret[k][ps][2]);
			EXPECT(c.walks[k][ps] == ret[k][ps][0]);
			EXPECT(c.walks[k][ps] > 0 && ret[k][ps][1] > 0);
		}
	EXPECT(c.flushes_nonglobal > 0 && c.flushes_va > 0 && c.flushes_all == 0);
	tlbm_reset_counts(m);
	tlbm_counts(m, &c);
	EXPECT(c.accesses[0][0] == 0 && c.walks[1][2] == 0 && c.flushes_va == 0);
	/* the contents stay */
	EXPECT(tlbm_access(m, lk, va, lps, false, 0) == 1);
	tlbm_free(m);
}

/* ---- profile files ---- */

static const char good[] =
	"name = t\nsource = test\n[array a]\nlevel = 1\nkinds = insn data\n"
	"sizes = 4k\nentries = 8\nways = 2\n";

/* @text must fail to parse with a message naming "t.conf:LINE:" and @what. */
static void bad(const char *text, int line, const char *what)
{
	char err[256], want[32];
	struct tlbm_profile *p = tlbm_profile_parse(text, "t.conf", err, sizeof(err));

	snprintf(want, sizeof(want), "t.conf:%d: ", line);
	EXPECT(!p);
	if (p) {
		tlbm_profile_free(p);
		printf("# parsed, expected '%s...%s'\n", want, what);
		return;
	}
	EXPECT(!strncmp(err, want, strlen(want)) && strstr(err, what));
	if (strncmp(err, want, strlen(want)) || !strstr(err, what))
		printf("# got '%s', expected '%s...%s'\n", err, want, what);
}

static void parse_errors(void)
{
	char err[256];
	struct tlbm_profile *p = tlbm_profile_parse(good, "t.conf", err, sizeof(err));

	EXPECT(p && !strcmp(tlbm_profile_name(p), "t") && tlbm_profile_capacity(p, 1, 0, 1) == 8);
	if (p)
		repeats(p);	/* one L1 for both kinds: not exact */
	tlbm_profile_free(p);
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k\nentries = 8\n",
	    3, "missing 'ways'");
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k\n"
	    "entries = 8x\nways = 2\n", 7, "bad value for 'entries'");
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k\n"
	    "entries = 0\nways = 2\n", 7, "bad value");
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k\n"
	    "entries = 99999999999\nways = 2\n", 7, "bad value");
	bad("name = t\nsource = s\n\n[array a]\nlevel = 1\ncolour = red\n", 6,
	    "unknown key 'colour'");
	bad("name = t\nsize = 3\n", 2, "unknown key 'size'");
	bad("name = t\nsource = s\n[array a]\nlevel = 3\n", 4, "bad value for 'level'");
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nlevel = 1\n", 5, "given twice");
	bad("name = t\nsource = s\n[array a]\nkinds = insn, code\n", 4, "bad value for 'kinds'");
	bad("name = t\nsource = s\n[array a]\nsizes = 2m-as-1g\n", 4, "bad value for 'sizes'");
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k\n"
	    "entries = 12\nways = 2\n", 3, "power of two");
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k\n"
	    "entries = 8\nways = 3\n", 3, "multiple of ways");
	bad("name = t\nsource = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k 2m\n"
	    "entries = 8\nways = full\n[array b]\nlevel = 1\nkinds = insn data\nsizes = 2m\n"
	    "entries = 8\nways = 2\n", 9, "same kind, size and level as array 'a'");
	bad("source = s\n[array a]\nlevel = 1\nkinds = insn\nsizes = 4k\nentries = 8\nways = 2\n",
	    8, "missing 'name'");
	bad("name = t\nsource = s\n", 3, "no [array]");
	bad("name = t\nsource = s\n[arrey a]\n", 3, "bad section");
	bad("name = t\nsource = s\nentries 8\n", 3, "not 'key = value'");
	bad("name = a/b\n", 1, "bad value for 'name'");
	EXPECT(!tlbm_profile_load("/nonexistent/x.conf", err, sizeof(err)) &&
	       strstr(err, "/nonexistent/x.conf: "));
}

/* A profile file loads; its name is the file's name without ".conf". */
static struct tlbm_profile *load(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct tlbm_profile *p;
	char err[512];

	p = tlbm_profile_load(path, err, sizeof(err));
	EXPECT(p);
	if (!p) {
		printf("# %s\n", err);
		return NULL;
	}
	EXPECT(strlen(base) == strlen(tlbm_profile_name(p)) + 5 &&
	       !strncmp(base, tlbm_profile_name(p), strlen(tlbm_profile_name(p))));
	EXPECT(*tlbm_profile_source(p));
	printf("# %s: %s\n", tlbm_profile_name(p), tlbm_profile_source(p));
	return p;
}

#define NPROF_CASES 7

static void profile_cases(const char *path)
{
	static const char *const what[NPROF_CASES] = {
		"loads", "capacity knees", "conflict misses, LRU", "global entries and flushes",
		"flush_va: every size, every level", "shared or split second level",
		"1G pages smashed to 2M, counts add up, repeated hits",
	};
	struct tlbm_profile *p;
	char name[300];
	int i, k, ps;

	for (i = 0; i < NPROF_CASES; i++) {
		ktap_cur_ok = true;
		p = load(path);
		if (p && i == 1)
			for (k = 0; k < TLBM_NKIND; k++)
				for (ps = 0; ps < TLBM_NPSIZE; ps++)
					knees(p, k, ps);
		if (p && i == 2)
			for (k = 0; k < TLBM_NKIND; k++)
				for (ps = 0; ps < TLBM_NPSIZE; ps++)
					conflicts(p, k, ps);
		if (p && i == 3)
			globals(p);
		if (p && i == 4)
			flush_va(p);
		if (p && i == 5)
			shared_l2(p);
		if (p && i == 6) {
			smashed(p);
			counts(p);
			repeats(p);
		}
		snprintf(name, sizeof(name), "%s: %s",
			 strrchr(path, '/') ? strrchr(path, '/') + 1 : path, what[i]);
		ktap_result(ktap_cur_ok, name, NULL);
		tlbm_profile_free(p);
	}
}

int main(int argc, char **argv)
{
	int i;

	ktap_header(1 + (argc - 1) * NPROF_CASES);
	ktap_cur_ok = true;
	parse_errors();
	ktap_result(ktap_cur_ok, "profile parse errors name the line", NULL);
	for (i = 1; i < argc; i++)
		profile_cases(argv[i]);
	return ktap_failed ? 1 : 0;
}
