/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of one CPU's TLB hierarchy (L1 ITLB/DTLB per page size, a second
 * level shared or split between code and data), fed one translation at a
 * time.  Geometries come from profile files (tlb/profiles/README.md).
 * Plain C99, no allocation on the access path, no locking: one instance per
 * vCPU.  What is and is not modeled: docs/tlb-model.md, "The model".
 */
#ifndef TLBMODEL_H
#define TLBMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tlbm_psize { TLBM_4K, TLBM_2M, TLBM_1G, TLBM_NPSIZE };
enum tlbm_kind { TLBM_INSN, TLBM_DATA, TLBM_NKIND };

struct tlbm_profile;

/* Parse a profile file; NULL and a message ("path:line: what") in @err. */
struct tlbm_profile *tlbm_profile_load(const char *path, char *err, size_t errlen);
/* The same from a NUL-terminated buffer; @name stands for the path in messages. */
struct tlbm_profile *tlbm_profile_parse(const char *text, const char *name,
					char *err, size_t errlen);
const char *tlbm_profile_name(const struct tlbm_profile *p);
/* The "source" line of the profile: the document its numbers come from. */
const char *tlbm_profile_source(const struct tlbm_profile *p);
void tlbm_profile_free(struct tlbm_profile *p);

/*
 * Entries that a translation of kind @k and size @ps can reach at level @lvl
 * (1 or 2): the entry count of the array that holds it; 0 if none does.
 */
unsigned int tlbm_profile_capacity(const struct tlbm_profile *p, enum tlbm_kind k,
				   enum tlbm_psize ps, int lvl);
/* Ways of that array (entries for a fully associative one); 0 if none. */
unsigned int tlbm_profile_ways(const struct tlbm_profile *p, enum tlbm_kind k,
			       enum tlbm_psize ps, int lvl);
/*
 * The size that array stores a @ps translation as (a 1G page "smashed" into
 * 2M entries: TLBM_2M); TLBM_NPSIZE if no array holds it at @lvl.
 */
enum tlbm_psize tlbm_profile_stored_size(const struct tlbm_profile *p, enum tlbm_kind k,
					 enum tlbm_psize ps, int lvl);
/*
 * Index of that array in the profile, -1 if none: two (kind, size, level)
 * giving the same index share one array (e.g. Intel's STLB).
 */
int tlbm_profile_array(const struct tlbm_profile *p, enum tlbm_kind k,
		       enum tlbm_psize ps, int lvl);
/* The name of array @idx (its "[array NAME]" header); NULL if out of range. */
const char *tlbm_profile_array_name(const struct tlbm_profile *p, int idx);

struct tlbm;

/* An empty TLB hierarchy of profile @p (copied: @p may be freed); NULL if out of memory. */
struct tlbm *tlbm_new(const struct tlbm_profile *p);
void tlbm_free(struct tlbm *m);

/*
 * One translation of @vaddr, mapped by a leaf of size @ps.  @global: the leaf
 * has G set (survives tlbm_flush_nonglobal()).  @asid tags non-global
 * entries (0 without PCID).  Returns the level that hit: 1, 2, or 0 when
 * every level missed (a page walk; the entry is then filled as the CPU
 * would).  @k and @ps must be valid enumerators.  A page is assumed to be
 * cached with one G value at a time (as page tables have it).
 */
int tlbm_access(struct tlbm *m, enum tlbm_kind k, uint64_t vaddr, enum tlbm_psize ps,
		bool global, uint16_t asid);
void tlbm_flush_nonglobal(struct tlbm *m);		/* CR3 write, no PCID */
void tlbm_flush_all(struct tlbm *m);			/* CR4.PGE toggle etc. */
void tlbm_flush_va(struct tlbm *m, uint64_t vaddr);	/* INVLPG: every size, level */

struct tlbm_counts {
	uint64_t accesses[TLBM_NKIND][TLBM_NPSIZE];
	uint64_t l1_misses[TLBM_NKIND][TLBM_NPSIZE];
	uint64_t walks[TLBM_NKIND][TLBM_NPSIZE];	/* missed every level */
	uint64_t flushes_nonglobal, flushes_all, flushes_va;
};

/*
 * Count @n L1 hits of kind @k, size @ps without looking them up: for a
 * caller that skips an access when the previous access of the same kind
 * went to the same page (compared at the size its L1 array stores it,
 * tlbm_profile_stored_size(p, k, ps, 1): a 1G page held as 2M pieces is a
 * new page at each piece) with the same size, G bit and ASID, and no flush
 * in between.  Exact when tlbm_profile_repeats_hit() says so.
 */
void tlbm_count_hits(struct tlbm *m, enum tlbm_kind k, enum tlbm_psize ps, uint64_t n);
/* Every (kind, size) has an L1 array and no L1 array serves both kinds. */
bool tlbm_profile_repeats_hit(const struct tlbm_profile *p);

void tlbm_counts(const struct tlbm *m, struct tlbm_counts *out);
void tlbm_reset_counts(struct tlbm *m);		/* keeps the TLB contents */

const char *tlbm_psize_name(enum tlbm_psize ps);	/* "4K", "2M", "1G" */
const char *tlbm_kind_name(enum tlbm_kind k);		/* "insn", "data" */

#endif
