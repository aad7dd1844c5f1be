// SPDX-License-Identifier: GPL-2.0
/*
 * A TLB hierarchy model (see tlbmodel.h; docs/tlb-model.md, "The model").
 *
 * A profile is a list of arrays.  Each array sits at level 1 or 2, is
 * reached by translations of some kinds (insn, data) and page sizes, and
 * stores each size either as itself or as a smaller one (AMD's L2 TLBs
 * store a 1G page as the 2M piece that was accessed: "smashed").  The
 * route table says, per kind, size and level, which array (if any) a
 * translation goes to; two routes naming one array share its entries
 * (Intel's STLB: code and data, 4K and 2M).
 *
 * Arrays are set-associative with true LRU; a fully associative array is
 * one set.  The set of a translation stored at size S is
 * (vaddr >> shift(S)) & (sets - 1).  Entries are tagged with the page
 * address, the stored size, G and the ASID; a global entry matches any
 * ASID.  Flushes of non-global or all entries bump a generation number in
 * O(1): an entry is live while its generation is the current one of its
 * class.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tlbmodel.h"

#define TLBM_MAX_ARRAYS 16
#define TLBM_NLEVEL 2
#define TLBM_MAX_ENTRIES 65536
/* First generation of each class (the fuzzer starts near the wrap). */
#ifndef TLBM_GEN_INIT
#define TLBM_GEN_INIT 1U
#endif

struct tlbm_array_cfg {
	char name[32];
	int line;			/* of its [array] header, for messages */
	int level;			/* 1 or 2 */
	unsigned int kinds;		/* bit per enum tlbm_kind */
	unsigned int sizes;		/* bit per enum tlbm_psize it holds */
	enum tlbm_psize store[TLBM_NPSIZE];	/* stored as (<= the size) */
	unsigned int entries, ways;
	unsigned int seen;		/* keys given (bit per key) */
};

struct tlbm_profile {
	char name[64];
	char source[512];
	int narr;
	struct tlbm_array_cfg arr[TLBM_MAX_ARRAYS];
	signed char route[TLBM_NKIND][TLBM_NPSIZE][TLBM_NLEVEL];	/* arr index, -1 */
};

static const unsigned int psize_shift[TLBM_NPSIZE] = { 12, 21, 30 };

static uint64_t psize_mask(enum tlbm_psize ps)
{
	return ~((UINT64_C(1) << psize_shift[ps]) - 1);
}

const char *tlbm_psize_name(enum tlbm_psize ps)
{
	static const char *const n[] = { "4K", "2M", "1G" };

	return (unsigned int)ps < TLBM_NPSIZE ? n[ps] : "?";
}

const char *tlbm_kind_name(enum tlbm_kind k)
{
	return k == TLBM_INSN ? "insn" : k == TLBM_DATA ? "data" : "?";
}

/* ---- profile accessors ---- */

const char *tlbm_profile_name(const struct tlbm_profile *p)
{
	return p->name;
}

const char *tlbm_profile_source(const struct tlbm_profile *p)
{
	return p->source;
}

void tlbm_profile_free(struct tlbm_profile *p)
{
	free(p);
}

static const struct tlbm_array_cfg *route_cfg(const struct tlbm_profile *p,
					      enum tlbm_kind k, enum tlbm_psize ps,
					      int lvl)
{
	int i;

	if ((unsigned int)k >= TLBM_NKIND || (unsigned int)ps >= TLBM_NPSIZE ||
	    lvl < 1 || lvl > TLBM_NLEVEL)
		return NULL;
	i = p->route[k][ps][lvl - 1];
	return i < 0 ? NULL : &p->arr[i];
}

unsigned int tlbm_profile_capacity(const struct tlbm_profile *p, enum tlbm_kind k,
				   enum tlbm_psize ps, int lvl)
{
	const struct tlbm_array_cfg *a = route_cfg(p, k, ps, lvl);

	return a ? a->entries : 0;
}

unsigned int tlbm_profile_ways(const struct tlbm_profile *p, enum tlbm_kind k,
			       enum tlbm_psize ps, int lvl)
{
	const struct tlbm_array_cfg *a = route_cfg(p, k, ps, lvl);

	return a ? a->ways : 0;
}

enum tlbm_psize tlbm_profile_stored_size(const struct tlbm_profile *p, enum tlbm_kind k,
					 enum tlbm_psize ps, int lvl)
{
	const struct tlbm_array_cfg *a = route_cfg(p, k, ps, lvl);

	return a ? a->store[ps] : TLBM_NPSIZE;
}

int tlbm_profile_array(const struct tlbm_profile *p, enum tlbm_kind k,
		       enum tlbm_psize ps, int lvl)
{
	const struct tlbm_array_cfg *a = route_cfg(p, k, ps, lvl);

	return a ? (int)(a - p->arr) : -1;
}

const char *tlbm_profile_array_name(const struct tlbm_profile *p, int idx)
{
	return idx >= 0 && idx < p->narr ? p->arr[idx].name : NULL;
}

/* ---- the model ---- */

/*
 * An entry's key: the page address at its stored size, with the stored
 * size + 1 in the low bits (never 0: 0 is an empty way).  Keys sit in their
 * own array so that a lookup scans 8 bytes a way.
 */
static uint64_t key_of(uint64_t vaddr, enum tlbm_psize ss)
{
	return (vaddr & psize_mask(ss)) | (ss + 1);
}

struct tlbm_meta {
	uint64_t stamp;		/* LRU: larger is more recent */
	uint32_t gen;		/* live iff == the current generation of its class */
	uint16_t asid;
	uint8_t global;
};

struct tlbm_array {
	uint64_t *key;		/* sets * ways */
	struct tlbm_meta *meta;	/* sets * ways */
	unsigned int set_mask, ways;
	unsigned int ssizes;	/* bit per stored size (for flush_va) */
	unsigned int mru;	/* index of the last hit, tried first */
	uint64_t clock;
	enum tlbm_psize store[TLBM_NPSIZE];
};

struct tlbm {
	int narr;
	struct tlbm_array arr[TLBM_MAX_ARRAYS];
	signed char route[TLBM_NKIND][TLBM_NPSIZE][TLBM_NLEVEL];
	uint32_t gen_ng, gen_g;	/* generations: non-global, global entries */
	struct tlbm_counts c;
};

static bool meta_live(const struct tlbm *m, const struct tlbm_meta *e)
{
	return e->gen && e->gen == (e->global ? m->gen_g : m->gen_ng);
}

/* Way @i holds a live translation of @key visible to @asid. */
static bool way_match(const struct tlbm *m, const struct tlbm_array *a, size_t i,
		      uint64_t key, uint16_t asid)
{
	const struct tlbm_meta *e = &a->meta[i];

	return a->key[i] == key && (e->global || e->asid == asid) && meta_live(m, e);
}

static size_t set_base(const struct tlbm_array *a, uint64_t vaddr, enum tlbm_psize ss)
{
	unsigned int set = (unsigned int)(vaddr >> psize_shift[ss]) & a->set_mask;

	return (size_t)set * a->ways;
}

static bool array_lookup(struct tlbm *m, struct tlbm_array *a, uint64_t vaddr,
			 enum tlbm_psize ps, uint16_t asid)
{
	enum tlbm_psize ss = a->store[ps];
	uint64_t key = key_of(vaddr, ss);
	size_t i = a->mru, s, end;

	if (!way_match(m, a, i, key, asid)) {
		s = set_base(a, vaddr, ss);
		end = s + a->ways;
		for (i = s; i < end; i++)
			if (a->key[i] == key && way_match(m, a, i, key, asid))
				break;
		if (i == end)
			return false;
		a->mru = (unsigned int)i;
	}
	a->meta[i].stamp = ++a->clock;
	return true;
}

/* The way to fill: an empty or dead one, else the least recently used. */
static size_t victim(const struct tlbm *m, const struct tlbm_array *a, size_t s)
{
	size_t v = s, i;

	for (i = s; i < s + a->ways; i++) {
		if (!a->key[i] || !meta_live(m, &a->meta[i]))
			return i;
		if (a->meta[i].stamp < a->meta[v].stamp)
			v = i;
	}
	return v;
}

static void array_fill(struct tlbm *m, struct tlbm_array *a, uint64_t vaddr,
		       enum tlbm_psize ps, bool global, uint16_t asid)
{
	enum tlbm_psize ss = a->store[ps];
	size_t v = victim(m, a, set_base(a, vaddr, ss));
	struct tlbm_meta *e = &a->meta[v];

	a->key[v] = key_of(vaddr, ss);
	e->stamp = ++a->clock;
	e->gen = global ? m->gen_g : m->gen_ng;
	e->asid = global ? 0 : asid;
	e->global = global;
	a->mru = (unsigned int)v;
}

int tlbm_access(struct tlbm *m, enum tlbm_kind k, uint64_t vaddr, enum tlbm_psize ps,
		bool global, uint16_t asid)
{
	int i1 = m->route[k][ps][0], i2 = m->route[k][ps][1];
	bool hit2;

	m->c.accesses[k][ps]++;
	if (i1 >= 0 && array_lookup(m, &m->arr[i1], vaddr, ps, asid))
		return 1;
	m->c.l1_misses[k][ps]++;
	hit2 = i2 >= 0 && array_lookup(m, &m->arr[i2], vaddr, ps, asid);
	if (!hit2) {
		m->c.walks[k][ps]++;
		if (i2 >= 0)
			array_fill(m, &m->arr[i2], vaddr, ps, global, asid);
	}
	if (i1 >= 0)
		array_fill(m, &m->arr[i1], vaddr, ps, global, asid);
	return hit2 ? 2 : 0;
}

/* Invalidate (gen 0) every entry of one class: when its generation wraps. */
static void clear_class(struct tlbm *m, bool global)
{
	struct tlbm_array *a;
	size_t i, n;

	for (a = m->arr; a < m->arr + m->narr; a++) {
		n = (size_t)(a->set_mask + 1) * a->ways;
		for (i = 0; i < n; i++)
			if (a->meta[i].global == global)
				a->meta[i].gen = 0;
	}
}

static void bump(struct tlbm *m, bool global)
{
	uint32_t *g = global ? &m->gen_g : &m->gen_ng;

	if (++*g == 0) {
		clear_class(m, global);
		*g = 1;
	}
}

void tlbm_flush_nonglobal(struct tlbm *m)
{
	m->c.flushes_nonglobal++;
	bump(m, false);
}

void tlbm_flush_all(struct tlbm *m)
{
	m->c.flushes_all++;
	bump(m, false);
	bump(m, true);
}

void tlbm_flush_va(struct tlbm *m, uint64_t vaddr)
{
	struct tlbm_array *a;
	unsigned int ss;
	uint64_t key;
	size_t i, s;

	m->c.flushes_va++;
	for (a = m->arr; a < m->arr + m->narr; a++) {
		for (ss = 0; ss < TLBM_NPSIZE; ss++) {
			if (!(a->ssizes & (1U << ss)))
				continue;
			s = set_base(a, vaddr, ss);
			key = key_of(vaddr, ss);
			for (i = s; i < s + a->ways; i++)
				if (a->key[i] == key)
					a->key[i] = 0;
		}
	}
}

void tlbm_count_hits(struct tlbm *m, enum tlbm_kind k, enum tlbm_psize ps, uint64_t n)
{
	m->c.accesses[k][ps] += n;
}

bool tlbm_profile_repeats_hit(const struct tlbm_profile *p)
{
	int k, ps;

	for (k = 0; k < TLBM_NKIND; k++)
		for (ps = 0; ps < TLBM_NPSIZE; ps++)
			if (p->route[k][ps][0] < 0 ||
			    p->arr[p->route[k][ps][0]].kinds != 1U << k)
				return false;
	return true;
}

void tlbm_counts(const struct tlbm *m, struct tlbm_counts *out)
{
	*out = m->c;
}

void tlbm_reset_counts(struct tlbm *m)
{
	memset(&m->c, 0, sizeof(m->c));
}

static int array_init(struct tlbm_array *a, const struct tlbm_array_cfg *c)
{
	unsigned int ps;

	a->key = calloc(c->entries, sizeof(*a->key));
	a->meta = calloc(c->entries, sizeof(*a->meta));
	if (!a->key || !a->meta)
		return -ENOMEM;
	a->ways = c->ways;
	a->set_mask = c->entries / c->ways - 1;
	for (ps = 0; ps < TLBM_NPSIZE; ps++) {
		a->store[ps] = c->store[ps];
		if (c->sizes & (1U << ps))
			a->ssizes |= 1U << c->store[ps];
	}
	return 0;
}

struct tlbm *tlbm_new(const struct tlbm_profile *p)
{
	struct tlbm *m = calloc(1, sizeof(*m));
	int i;

	if (!m)
		return NULL;
	m->gen_ng = TLBM_GEN_INIT;
	m->gen_g = TLBM_GEN_INIT;
	memcpy(m->route, p->route, sizeof(m->route));
	for (i = 0; i < p->narr; i++) {
		m->narr = i + 1;
		if (array_init(&m->arr[i], &p->arr[i])) {
			tlbm_free(m);
			return NULL;
		}
	}
	return m;
}

void tlbm_free(struct tlbm *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->narr; i++) {
		free(m->arr[i].key);
		free(m->arr[i].meta);
	}
	free(m);
}

/* ---- profile files (format: tlb/profiles/README.md) ---- */

enum { K_LEVEL, K_KINDS, K_SIZES, K_ENTRIES, K_WAYS, K_NKEYS };
static const char *const array_keys[K_NKEYS] = {
	"level", "kinds", "sizes", "entries", "ways",
};

struct parser {
	struct tlbm_profile *p;
	const char *path;
	int line;
	char *err;
	size_t errlen;
	struct tlbm_array_cfg *cur;	/* the [array] being read, or NULL */
	bool have_name, have_source;
};

static int perr(struct parser *ps, int line, const char *fmt, const char *a,
		const char *b)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->path, line, msg);
	return -EINVAL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* A comment starts at a '#' at the line's start or after a blank. */
static void strip_comment(char *s)
{
	char *h;

	for (h = s; (h = strchr(h, '#')); h++) {
		if (h == s || h[-1] == ' ' || h[-1] == '\t') {
			*h = '\0';
			return;
		}
	}
}

static bool valid_name(const char *s, size_t max)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n && !s[n] && n < max;
}

/* A decimal number in 1..TLBM_MAX_ENTRIES. */
static int parse_uint(const char *v, unsigned int *out)
{
	unsigned long n = 0;

	if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 7)
		return -EINVAL;
	n = strtoul(v, NULL, 10);
	if (n < 1 || n > TLBM_MAX_ENTRIES)
		return -EINVAL;
	*out = (unsigned int)n;
	return 0;
}

static int psize_of(const char *s, size_t n)
{
	static const char *const names[TLBM_NPSIZE] = { "4k", "2m", "1g" };
	int i;

	for (i = 0; i < TLBM_NPSIZE; i++)
		if (n == 2 && !strncmp(s, names[i], 2))
			return i;
	return -1;
}

/* One word of "sizes": "4k", "2m", "1g", or "1g-as-2m" (stored smaller). */
static int parse_size_word(struct tlbm_array_cfg *a, const char *w, size_t n)
{
	int ps = psize_of(w, n < 2 ? n : 2), ss = ps;

	if (ps < 0 || (n != 2 && (n != 8 || strncmp(w + 2, "-as-", 4))))
		return -EINVAL;
	if (n == 8)
		ss = psize_of(w + 6, 2);
	if (ss < 0 || ss > ps || (a->sizes & (1U << ps)))
		return -EINVAL;
	a->sizes |= 1U << ps;
	a->store[ps] = (enum tlbm_psize)ss;
	return 0;
}

static int parse_kind_word(struct tlbm_array_cfg *a, const char *w, size_t n)
{
	unsigned int bit;

	if (n == 4 && !strncmp(w, "insn", 4))
		bit = 1U << TLBM_INSN;
	else if (n == 4 && !strncmp(w, "data", 4))
		bit = 1U << TLBM_DATA;
	else
		return -EINVAL;
	if (a->kinds & bit)
		return -EINVAL;
	a->kinds |= bit;
	return 0;
}

/* Words separated by blanks or commas, each passed to @fn. */
static int parse_words(struct tlbm_array_cfg *a, const char *v,
		       int (*fn)(struct tlbm_array_cfg *, const char *, size_t))
{
	size_t n;
	int words = 0;

	for (;;) {
		v += strspn(v, " \t,");
		if (!*v)
			return words ? 0 : -EINVAL;
		n = strcspn(v, " \t,");
		if (fn(a, v, n))
			return -EINVAL;
		words++;
		v += n;
	}
}

static int array_value(struct tlbm_array_cfg *a, int key, const char *v)
{
	switch (key) {
	case K_LEVEL:
		if (strcmp(v, "1") && strcmp(v, "2"))
			return -EINVAL;
		a->level = v[0] - '0';
		return 0;
	case K_KINDS:
		return parse_words(a, v, parse_kind_word);
	case K_SIZES:
		return parse_words(a, v, parse_size_word);
	case K_ENTRIES:
		return parse_uint(v, &a->entries);
	default:
		a->ways = 0;	/* "full": as many as entries */
		return strcmp(v, "full") ? parse_uint(v, &a->ways) : 0;
	}
}

static int array_key(struct parser *ps, const char *k, const char *v)
{
	struct tlbm_array_cfg *a = ps->cur;
	int i;

	for (i = 0; i < K_NKEYS && strcmp(k, array_keys[i]); i++)
		;
	if (i == K_NKEYS)
		return perr(ps, ps->line, "unknown key '%s'%s", k, " in an [array]");
	if (a->seen & (1U << i))
		return perr(ps, ps->line, "'%s' given twice%s", k, "");
	a->seen |= 1U << i;
	if (array_value(a, i, v))
		return perr(ps, ps->line, "bad value for '%s': '%s'", k, v);
	return 0;
}

static int top_key(struct parser *ps, const char *k, const char *v)
{
	struct tlbm_profile *p = ps->p;
	bool name = !strcmp(k, "name");

	if (!name && strcmp(k, "source"))
		return perr(ps, ps->line, "unknown key '%s'%s", k, " (before any [array])");
	if (name ? ps->have_name : ps->have_source)
		return perr(ps, ps->line, "'%s' given twice%s", k, "");
	if (name && !valid_name(v, sizeof(p->name)))
		return perr(ps, ps->line, "bad value for '%s': '%s'", k, v);
	if (!name && (!*v || strlen(v) >= sizeof(p->source)))
		return perr(ps, ps->line, "bad value for '%s': '%s'", k, v);
	snprintf(name ? p->name : p->source, name ? sizeof(p->name) : sizeof(p->source),
		 "%s", v);
	if (name)
		ps->have_name = true;
	else
		ps->have_source = true;
	return 0;
}

/* Route every (kind, size) of array @a at its level to it. */
static int array_route(struct parser *ps, struct tlbm_array_cfg *a)
{
	struct tlbm_profile *p = ps->p;
	signed char *r;
	int k, s;

	for (k = 0; k < TLBM_NKIND; k++) {
		for (s = 0; s < TLBM_NPSIZE; s++) {
			if (!(a->kinds & (1U << k)) || !(a->sizes & (1U << s)))
				continue;
			r = &p->route[k][s][a->level - 1];
			if (*r >= 0)
				return perr(ps, a->line,
					    "%s: same kind, size and level as array '%s'",
					    a->name, p->arr[*r].name);
			*r = (signed char)(a - p->arr);
		}
	}
	return 0;
}

/* The [array] just read is complete and consistent. */
static int array_finish(struct parser *ps)
{
	struct tlbm_array_cfg *a = ps->cur;
	unsigned int sets;
	int i;

	if (!a)
		return 0;
	ps->cur = NULL;
	for (i = 0; i < K_NKEYS; i++)
		if (!(a->seen & (1U << i)))
			return perr(ps, a->line, "array '%s': missing '%s'", a->name,
				    array_keys[i]);
	if (!a->ways)
		a->ways = a->entries;
	sets = a->entries / a->ways;
	if (a->ways > a->entries || a->entries % a->ways)
		return perr(ps, a->line, "array '%s': %s", a->name,
			    "entries is not a multiple of ways");
	if (sets & (sets - 1))
		return perr(ps, a->line, "array '%s': %s", a->name,
			    "entries / ways (the sets) is not a power of two");
	return array_route(ps, a);
}

static int array_start(struct parser *ps, char *s)
{
	struct tlbm_profile *p = ps->p;
	char *e = strchr(s, ']'), *n;
	int i;

	if (!e || e[1] || strncmp(s, "[array", 6) || (s[6] != ' ' && s[6] != '\t'))
		return perr(ps, ps->line, "bad section '%s'%s (want [array NAME])", s, "");
	*e = '\0';
	n = trim(s + 6);
	if (!valid_name(n, sizeof(p->arr[0].name)))
		return perr(ps, ps->line, "bad array name '%s'%s", n, "");
	for (i = 0; i < p->narr; i++)
		if (!strcmp(p->arr[i].name, n))
			return perr(ps, ps->line, "array '%s' given twice%s", n, "");
	if (p->narr == TLBM_MAX_ARRAYS)
		return perr(ps, ps->line, "more than %s arrays%s", "16", "");
	ps->cur = &p->arr[p->narr++];
	snprintf(ps->cur->name, sizeof(ps->cur->name), "%s", n);
	ps->cur->line = ps->line;
	return 0;
}

static int parse_line(struct parser *ps, char *s)
{
	char *eq, *k, *v;
	int rc;

	strip_comment(s);
	s = trim(s);
	if (!*s)
		return 0;
	if (*s == '[') {
		rc = array_finish(ps);
		return rc ? rc : array_start(ps, s);
	}
	eq = strchr(s, '=');
	if (!eq)
		return perr(ps, ps->line, "not 'key = value': '%s'%s", s, "");
	*eq = '\0';
	k = trim(s);
	v = trim(eq + 1);
	return ps->cur ? array_key(ps, k, v) : top_key(ps, k, v);
}

static int parse_all(struct parser *ps, char *text)
{
	char *s = text, *nl;
	int rc;

	for (ps->line = 1; ; ps->line++) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		rc = parse_line(ps, s);
		if (rc)
			return rc;
		if (!nl)
			break;
		s = nl + 1;
	}
	rc = array_finish(ps);
	if (rc)
		return rc;
	if (!ps->have_name || !ps->have_source)
		return perr(ps, ps->line, "missing '%s'%s",
			    ps->have_name ? "source" : "name", "");
	if (!ps->p->narr)
		return perr(ps, ps->line, "no [array]%s%s", "", "");
	return 0;
}

struct tlbm_profile *tlbm_profile_parse(const char *text, const char *name,
					char *err, size_t errlen)
{
	struct parser ps = { .path = name, .err = err, .errlen = errlen };
	char *copy = strdup(text);

	ps.p = calloc(1, sizeof(*ps.p));
	if (!copy || !ps.p) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	memset(ps.p->route, -1, sizeof(ps.p->route));
	if (parse_all(&ps, copy))
		goto fail;
	free(copy);
	return ps.p;
fail:
	free(copy);
	free(ps.p);
	return NULL;
}

/* A profile is a small text file: read it whole (at most 1 MiB). */
static char *read_file(const char *path, char *err, size_t errlen)
{
	size_t n = 0, max = 1 << 20;
	char *buf = malloc(max + 1);
	FILE *f = fopen(path, "r");

	if (!f || !buf) {
		snprintf(err, errlen, "%s: %s", path, strerror(f ? ENOMEM : errno));
		goto fail;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		snprintf(err, errlen, "%s: %s", path, n > max ? "larger than 1 MiB" :
			 "read error");
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
fail:
	if (f)
		fclose(f);
	free(buf);
	return NULL;
}

struct tlbm_profile *tlbm_profile_load(const char *path, char *err, size_t errlen)
{
	struct tlbm_profile *p;
	char *text = read_file(path, err, errlen);

	if (!text)
		return NULL;
	p = tlbm_profile_parse(text, path, err, errlen);
	free(text);
	return p;
}
