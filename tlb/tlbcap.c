// SPDX-License-Identifier: GPL-2.0
/*
 * tlbcap: print what each profile's TLB levels hold, one line per
 * (kind, page size, level) that some array serves:
 *
 *   tlbcap PROFILE.conf...   ->  NAME KIND SIZE LEVEL ENTRIES WAYS
 *
 * e.g. "skylake-sp data 4K 1 64 4".  The footprint sweep (tlb/sweep-test.sh)
 * takes its page counts from here, so no capacity is written twice.
 */
#include <stdio.h>

#include "tlbmodel.h"

static void print_profile(const struct tlbm_profile *p)
{
	unsigned int cap;
	int k, s, l;

	for (k = 0; k < TLBM_NKIND; k++)
		for (s = 0; s < TLBM_NPSIZE; s++)
			for (l = 1; l <= 2; l++) {
				cap = tlbm_profile_capacity(p, k, s, l);
				if (cap)
					printf("%s %s %s %d %u %u\n", tlbm_profile_name(p),
					       tlbm_kind_name(k), tlbm_psize_name(s), l, cap,
					       tlbm_profile_ways(p, k, s, l));
			}
}

int main(int argc, char **argv)
{
	struct tlbm_profile *p;
	char err[256];
	int i;

	for (i = 1; i < argc; i++) {
		p = tlbm_profile_load(argv[i], err, sizeof(err));
		if (!p) {
			fprintf(stderr, "tlbcap: %s\n", err);
			return 1;
		}
		print_profile(p);
		tlbm_profile_free(p);
	}
	return 0;
}
