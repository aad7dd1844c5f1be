// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of tlbm_access() per call, per profile (make -C tlb bench; built
 * without sanitizers): a random walk over N pages of 4K, for N inside L1,
 * inside L2 and beyond it.  Prints one line per profile and N (CPU time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tlbmodel.h"

#define CALLS 20000000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);	/* the machine is shared */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench(const struct tlbm_profile *p, unsigned int pages)
{
	struct tlbm *m = tlbm_new(p);
	struct tlbm_counts c;
	uint64_t x = 88172645463325252ULL, va;
	double t;
	int i;

	t = now();
	for (i = 0; i < CALLS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		va = UINT64_C(0xffffc90000000000) + (x % pages << 12);
		tlbm_access(m, x >> 63, va, TLBM_4K, true, 0);
	}
	t = now() - t;
	tlbm_counts(m, &c);
	printf("%-12s %6u pages: %5.1f ns/access, L1 misses %4.1f %%, walks %4.1f %%\n",
	       tlbm_profile_name(p), pages, t * 1e9 / CALLS,
	       100.0 * (c.l1_misses[0][0] + c.l1_misses[1][0]) / CALLS,
	       100.0 * (c.walks[0][0] + c.walks[1][0]) / CALLS);
	tlbm_free(m);
}

int main(int argc, char **argv)
{
	static const unsigned int n[] = { 32, 1024, 65536 };
	struct tlbm_profile *p;
	char err[256];
	int i, j;

	for (i = 1; i < argc; i++) {
		p = tlbm_profile_load(argv[i], err, sizeof(err));
		if (!p) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		for (j = 0; j < 3; j++)
			bench(p, n[j]);
		tlbm_profile_free(p);
	}
	return 0;
}
