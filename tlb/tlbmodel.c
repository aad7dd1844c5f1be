// SPDX-License-Identifier: GPL-2.0
/*
 * STUB: the API of tlbmodel.h with no model behind it (every access is a
 * walk), so that the plugin builds; the model replaces it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tlbmodel.h"

struct tlbm_profile {
	char name[64];
};

struct tlbm {
	struct tlbm_counts c;
};

struct tlbm_profile *tlbm_profile_parse(const char *text, const char *name,
					char *err, size_t errlen)
{
	struct tlbm_profile *p = calloc(1, sizeof(*p));

	(void)text;
	if (!p) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(p->name, sizeof(p->name), "stub");
	return p;
}

struct tlbm_profile *tlbm_profile_load(const char *path, char *err, size_t errlen)
{
	return tlbm_profile_parse("", path, err, errlen);
}

const char *tlbm_profile_name(const struct tlbm_profile *p) { return p->name; }
const char *tlbm_profile_source(const struct tlbm_profile *p) { (void)p; return ""; }
void tlbm_profile_free(struct tlbm_profile *p) { free(p); }

unsigned int tlbm_profile_capacity(const struct tlbm_profile *p, enum tlbm_kind k,
				   enum tlbm_psize ps, int lvl)
{
	(void)p; (void)k; (void)ps; (void)lvl;
	return 0;
}

unsigned int tlbm_profile_ways(const struct tlbm_profile *p, enum tlbm_kind k,
			       enum tlbm_psize ps, int lvl)
{
	(void)p; (void)k; (void)ps; (void)lvl;
	return 0;
}

enum tlbm_psize tlbm_profile_stored_size(const struct tlbm_profile *p, enum tlbm_kind k,
					 enum tlbm_psize ps, int lvl)
{
	(void)p; (void)k; (void)ps; (void)lvl;
	return TLBM_NPSIZE;
}

struct tlbm *tlbm_new(const struct tlbm_profile *p) { (void)p; return calloc(1, sizeof(struct tlbm)); }
void tlbm_free(struct tlbm *m) { free(m); }

int tlbm_access(struct tlbm *m, enum tlbm_kind k, uint64_t vaddr, enum tlbm_psize ps,
		bool global, uint16_t asid)
{
	(void)vaddr; (void)global; (void)asid;
	m->c.accesses[k][ps]++;
	m->c.l1_misses[k][ps]++;
	m->c.walks[k][ps]++;
	return 0;
}

void tlbm_flush_nonglobal(struct tlbm *m) { m->c.flushes_nonglobal++; }
void tlbm_flush_all(struct tlbm *m) { m->c.flushes_all++; }
void tlbm_flush_va(struct tlbm *m, uint64_t vaddr) { (void)vaddr; m->c.flushes_va++; }
void tlbm_counts(const struct tlbm *m, struct tlbm_counts *out) { *out = m->c; }
void tlbm_reset_counts(struct tlbm *m) { memset(&m->c, 0, sizeof(m->c)); }
const char *tlbm_psize_name(enum tlbm_psize ps) { return ps == TLBM_4K ? "4K" : ps == TLBM_2M ? "2M" : "1G"; }
const char *tlbm_kind_name(enum tlbm_kind k) { return k == TLBM_INSN ? "insn" : "data"; }
