// SPDX-License-Identifier: GPL-2.0
/* Reference TLB model (see ref.h). */
#include <stdlib.h>
#include <string.h>
#include "ref.h"

static const unsigned int shift[TLBM_NPSIZE] = { 12, 21, 30 };

static bool same_page(uint64_t a, uint64_t b, int ss)
{
	return (a >> shift[ss]) == (b >> shift[ss]);
}

int ref_init(struct ref *r, const struct tlbm_profile *p)
{
	int k, ps, lvl, i;
	struct ref_arr *a;

	memset(r, 0, sizeof(*r));
	r->p = p;
	for (k = 0; k < TLBM_NKIND; k++)
		for (ps = 0; ps < TLBM_NPSIZE; ps++)
			for (lvl = 1; lvl <= 2; lvl++) {
				i = tlbm_profile_array(p, k, ps, lvl);
				if (i < 0 || r->a[i].e)
					continue;
				a = &r->a[i];
				a->ways = tlbm_profile_ways(p, k, ps, lvl);
				a->sets = tlbm_profile_capacity(p, k, ps, lvl) / a->ways;
				a->e = calloc((size_t)a->sets * a->ways, sizeof(*a->e));
				a->n = calloc(a->sets, sizeof(*a->n));
				if (!a->e || !a->n)
					return -1;
				if (i >= r->narr)
					r->narr = i + 1;
			}
	return 0;
}

void ref_fini(struct ref *r)
{
	int i;

	for (i = 0; i < REF_MAX_ARRAYS; i++) {
		free(r->a[i].e);
		free(r->a[i].n);
	}
}

/* Look up; on a hit move the entry to the front of its set. */
static bool lookup(struct ref_arr *a, uint64_t va, int ss, uint16_t asid)
{
	unsigned int set = (va >> shift[ss]) % a->sets, i;
	struct ref_ent *e = &a->e[set * a->ways], hit;

	for (i = 0; i < a->n[set]; i++) {
		if (e[i].ss == ss && same_page(e[i].va, va, ss) &&
		    (e[i].global || e[i].asid == asid)) {
			hit = e[i];
			memmove(&e[1], &e[0], i * sizeof(*e));
			e[0] = hit;
			return true;
		}
	}
	return false;
}

/* Insert at the front, dropping the last (least recent) of a full set. */
static void insert(struct ref_arr *a, uint64_t va, int ss, bool global, uint16_t asid)
{
	unsigned int set = (va >> shift[ss]) % a->sets;
	struct ref_ent *e = &a->e[set * a->ways];

	if (a->n[set] < a->ways)
		a->n[set]++;
	memmove(&e[1], &e[0], (a->n[set] - 1) * sizeof(*e));
	e[0].va = va;
	e[0].ss = ss;
	e[0].global = global;
	e[0].asid = global ? 0 : asid;
}

int ref_access(struct ref *r, enum tlbm_kind k, uint64_t va, enum tlbm_psize ps,
	       bool global, uint16_t asid)
{
	int a1 = tlbm_profile_array(r->p, k, ps, 1), a2 = tlbm_profile_array(r->p, k, ps, 2);
	int s1 = tlbm_profile_stored_size(r->p, k, ps, 1);
	int s2 = tlbm_profile_stored_size(r->p, k, ps, 2);
	bool hit2;

	r->c.accesses[k][ps]++;
	if (a1 >= 0 && lookup(&r->a[a1], va, s1, asid))
		return 1;
	r->c.l1_misses[k][ps]++;
	hit2 = a2 >= 0 && lookup(&r->a[a2], va, s2, asid);
	if (!hit2) {
		r->c.walks[k][ps]++;
		if (a2 >= 0)
			insert(&r->a[a2], va, s2, global, asid);
	}
	if (a1 >= 0)
		insert(&r->a[a1], va, s1, global, asid);
	return hit2 ? 2 : 0;
}

/* Remove the entries @drop says so, keeping the order of the rest. */
static void filter(struct ref *r, bool (*drop)(const struct ref_ent *, uint64_t),
		   uint64_t arg)
{
	struct ref_arr *a;
	struct ref_ent *e;
	unsigned int s, i, j;

	for (a = r->a; a < r->a + r->narr; a++) {
		for (s = 0; s < a->sets; s++) {
			e = &a->e[s * a->ways];
			for (i = j = 0; i < a->n[s]; i++)
				if (!drop(&e[i], arg))
					e[j++] = e[i];
			a->n[s] = j;
		}
	}
}

static bool drop_nonglobal(const struct ref_ent *e, uint64_t arg)
{
	(void)arg;
	return !e->global;
}

static bool drop_all(const struct ref_ent *e, uint64_t arg)
{
	(void)e;
	(void)arg;
	return true;
}

static bool drop_va(const struct ref_ent *e, uint64_t va)
{
	return same_page(e->va, va, e->ss);
}

void ref_flush_nonglobal(struct ref *r)
{
	r->c.flushes_nonglobal++;
	filter(r, drop_nonglobal, 0);
}

void ref_flush_all(struct ref *r)
{
	r->c.flushes_all++;
	filter(r, drop_all, 0);
}

void ref_flush_va(struct ref *r, uint64_t va)
{
	r->c.flushes_va++;
	filter(r, drop_va, va);
}
