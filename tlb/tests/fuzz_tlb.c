// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for tlbmodel.c.  The first byte picks a profile: one of
 * a few small built-in ones (shared or split second level, 1G and 2M
 * stored smaller, levels missing for some sizes), or, when it is 0, the
 * input up to the next NUL byte is parsed as a profile file (which must
 * fail cleanly with a "name:line:" message, or load).  The rest is a
 * program of accesses and flushes run on the model and on the reference
 * model (ref.c); every returned level and, at the end, every count must
 * agree.  Aborts on any mismatch.  Built with the model's generations
 * starting 8 flushes before they wrap, so that the wrap is exercised.  As on x86 Linux, kernel addresses are
 * global and user ones are not (a page is never cached both ways: which of
 * two such entries a lookup finds is not specified).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ref.h"
#include "fuzz_driver.h"

static const char *const profiles[] = {
	"name = tiny-shared\nsource = fuzz\n"
	"[array i4]\nlevel = 1\nkinds = insn\nsizes = 4k\nentries = 4\nways = 2\n"
	"[array i2]\nlevel = 1\nkinds = insn\nsizes = 2m 1g-as-2m\nentries = 2\nways = full\n"
	"[array d4]\nlevel = 1\nkinds = data\nsizes = 4k\nentries = 4\nways = 2\n"
	"[array d2]\nlevel = 1\nkinds = data\nsizes = 2m, 1g\nentries = 2\nways = 1\n"
	"[array s]\nlevel = 2\nkinds = insn data\nsizes = 4k 2m\nentries = 16\nways = 4\n"
	"[array s1g]\nlevel = 2\nkinds = data\nsizes = 1g\nentries = 2\nways = 2\n",

	"name = tiny-split\nsource = fuzz\n"
	"[array i1]\nlevel = 1\nkinds = insn\nsizes = 4k 2m 1g\nentries = 4\nways = full\n"
	"[array i2]\nlevel = 2\nkinds = insn\nsizes = 4k 2m 1g-as-2m\nentries = 8\nways = 2\n"
	"[array d1]\nlevel = 1\nkinds = data\nsizes = 4k 2m 1g\nentries = 4\nways = full\n"
	"[array d2]\nlevel = 2\nkinds = data\nsizes = 4k 2m-as-4k 1g-as-2m\nentries = 16\nways = 4\n",

	"name = tiny-gaps\nsource = fuzz\n"
	"[array i]\nlevel = 1\nkinds = insn\nsizes = 4k 2m\nentries = 2\nways = 1\n"
	"[array d]\nlevel = 2\nkinds = data\nsizes = 2m 4k\nentries = 8\nways = 8\n"
	"[array x]\nlevel = 1\nkinds = data\nsizes = 1g-as-4k\nentries = 1\nways = 1\n",
};

static const unsigned int shift[TLBM_NPSIZE] = { 12, 21, 30 };

static void fail(const char *what, long a, long b)
{
	printf("# ref mismatch: %s (%ld vs %ld)\n", what, a, b);
	fflush(stdout);
	abort();
}

/* Few distinct pages, so that hits, evictions and flushes all happen. */
static uint64_t get_addr(struct in *in, enum tlbm_psize ps)
{
	static const uint64_t base[4] = {
		0, 0x7fffc0000000ULL, 0xffff888000000000ULL, 0xffffffffc0000000ULL,
	};
	unsigned int v = u16(in);

	return base[v >> 14] + ((uint64_t)(v & 0x1f) << shift[ps]) +
	       ((uint64_t)((v >> 5) & 0x1ff) << 12) * ((v >> 5) & 1);
}

static void run(const struct tlbm_profile *p, struct in *in)
{
	struct tlbm *m = tlbm_new(p);
	struct tlbm_counts c;
	struct ref r;
	unsigned int op, k, ps;
	uint64_t va;
	int a, b;

	if (!m || ref_init(&r, p))
		abort();
	while (in->n) {
		op = u8(in);
		if ((op & 7) < 5) {
			k = (op >> 3) & 1;
			ps = ((op >> 4) & 3) % 3;
			va = get_addr(in, ps);
			a = tlbm_access(m, k, va, ps, va >> 63, (op >> 6) & 3);
			b = ref_access(&r, k, va, ps, va >> 63, (op >> 6) & 3);
			if (a != b)
				fail("level", a, b);
		} else if ((op & 7) == 5) {
			tlbm_flush_nonglobal(m);
			ref_flush_nonglobal(&r);
		} else if ((op & 7) == 6) {
			tlbm_flush_all(m);
			ref_flush_all(&r);
		} else {
			va = get_addr(in, op >> 6 < 3 ? op >> 6 : 0);
			tlbm_flush_va(m, va);
			ref_flush_va(&r, va);
		}
	}
	tlbm_counts(m, &c);
	if (memcmp(&c, &r.c, sizeof(c)))
		fail("counts", (long)c.walks[0][0], (long)r.c.walks[0][0]);
	tlbm_free(m);
	ref_fini(&r);
}

/* Small enough to run a program on (parsed profiles may hold 16 x 65536). */
static bool small(const struct tlbm_profile *p)
{
	int k, ps, lvl;

	for (k = 0; k < TLBM_NKIND; k++)
		for (ps = 0; ps < TLBM_NPSIZE; ps++)
			for (lvl = 1; lvl <= 2; lvl++)
				if (tlbm_profile_capacity(p, k, ps, lvl) > 4096)
					return false;
	return true;
}

static struct tlbm_profile *parse_input(struct in *in)
{
	size_t n = strnlen((const char *)in->p, in->n);
	char *text = malloc(n + 1), err[128];
	struct tlbm_profile *p;

	if (!text)
		abort();
	memcpy(text, in->p, n);
	text[n] = '\0';
	in->p += n < in->n ? n + 1 : n;
	in->n -= n < in->n ? n + 1 : n;
	err[0] = '\0';
	p = tlbm_profile_parse(text, "fuzz", err, sizeof(err));
	free(text);
	if (!p && strncmp(err, "fuzz:", 5))
		fail("no error message", 0, 0);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	unsigned int sel = u8(&in);
	struct tlbm_profile *p;
	char err[128];

	if (sel == 0)
		p = parse_input(&in);
	else
		p = tlbm_profile_parse(profiles[sel % 3], "builtin", err, sizeof(err));
	if (!p)
		return 0;
	if (small(p))
		run(p, &in);
	tlbm_profile_free(p);
	return 0;
}
