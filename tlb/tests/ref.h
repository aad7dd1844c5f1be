/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reference TLB model: the same documented behaviour as tlbmodel.c, written
 * the plain way (each set a list ordered most recent first, flushes remove
 * entries, no generations, no MRU shortcut), built only from the profile's
 * public accessors.  Used by the fuzz target to check tlbmodel.c.
 */
#ifndef TLB_REF_H
#define TLB_REF_H

#include "tlbmodel.h"

#define REF_MAX_ARRAYS 16

struct ref_ent {
	uint64_t va;
	int ss;
	bool global;
	uint16_t asid;
};

struct ref_arr {
	unsigned int sets, ways;
	struct ref_ent *e;	/* set s: e[s * ways ..], n[s] of them, MRU first */
	unsigned int *n;
};

struct ref {
	const struct tlbm_profile *p;
	int narr;
	struct ref_arr a[REF_MAX_ARRAYS];
	struct tlbm_counts c;
};

int ref_init(struct ref *r, const struct tlbm_profile *p);
void ref_fini(struct ref *r);
int ref_access(struct ref *r, enum tlbm_kind k, uint64_t va, enum tlbm_psize ps,
	       bool global, uint16_t asid);
void ref_flush_nonglobal(struct ref *r);
void ref_flush_all(struct ref *r);
void ref_flush_va(struct ref *r, uint64_t va);

#endif
