// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: input bytes are a program of pool operations, each
 * checked against the reference model (ref.c) and followed by a full
 * xp_pool_check() and model comparison, and xp_range_within() against
 * 128-bit arithmetic.  Aborts on any mismatch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "ref.h"
#include "fuzz_driver.h"

#define MB (1UL << 20)
#define ARENA 0xffffffffc0000000UL
#define NSLOTS 16

static size_t get_size(struct in *in)
{
	unsigned int c = u8(in), v = u16(in);

	switch (c % 6) {
	case 0:
		return v % 130;			/* includes 0 and sub-granule */
	case 1: case 2:
		return v % 16384;
	case 3:
		return (size_t)v * 16;		/* up to 1 MiB */
	case 4:
		return (size_t)v * 64 + u8(in) * 4096 * 16;	/* up to ~20 MiB */
	default:
		return c & 0x80 ? ~(size_t)0 - v : 2 * MB * (v % 20) + (c >> 4) - 8;
	}
}

static size_t get_align(struct in *in)
{
	unsigned int c = u8(in);

	if (c < 128)
		return 64;
	if (c < 240)
		return 1UL << (c % 24);		/* 1 .. 8 MiB, some invalid */
	return (size_t)c * 7;			/* mostly not a power of two */
}

/* A word near one of the values where sums wrap or bounds sit. */
static unsigned long get_word(struct in *in)
{
	static const unsigned long anchor[] = {
		0, ARENA, ~0UL - 16 * MB, ~0UL, 1UL << 63,
	};
	unsigned int c = u8(in);
	unsigned long off = (unsigned long)u16(in) * (c & 0x10 ? 4096 : 1);
	unsigned long a = anchor[c % 5];

	return c & 0x20 ? a - off : a + off;
}

/* xp_range_within() against 128-bit arithmetic, which cannot wrap. */
static void check_range(struct in *in)
{
	unsigned long base = get_word(in), sz = get_word(in);
	unsigned long addr = get_word(in), len = get_word(in);
	bool want = addr >= base &&
		    (unsigned __int128)addr + len <= (unsigned __int128)base + sz;

	if (xp_range_within(base, sz, addr, len) != want) {
		fprintf(stderr, "range mismatch: %lx+%lx in %lx+%lx\n", addr, len, base, sz);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An allocation; when refused and op says so, a region for it, and again. */
static void fuzz_alloc(struct ref *m, struct in *in, unsigned int op, int node)
{
	size_t sz = get_size(in), al = get_align(in);
	unsigned long a;

	ref_alloc(m, sz, al, node, &a);
	if (!a && (op & 0x80) && sz && sz <= NSLOTS * 2 * MB) {
		size_t rs = (sz + 2 * MB - 1) & ~(2 * MB - 1);

		ref_add_region(m, ARENA + (u8(in) % NSLOTS) * 2 * MB, rs, node,
			       op & 0x40 ? XP_REGION_FALLBACK : 0);
		ref_alloc(m, sz, al, node, &a);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref m;
	struct in in = { data, size };
	int ops = 0;

	if (ref_init(&m, ARENA, NSLOTS * 2 * MB))
		abort();
	while (in.n && ops++ < 1000) {
		unsigned int op = u8(&in);
		int node = (int)(u8(&in) % 3) - 1;

		switch (op % 8) {
		case 0: case 1: case 2:
			fuzz_alloc(&m, &in, op, node);
			break;
		case 3: case 4:
			if (m.na && !(op & 0x80))
				ref_free(&m, m.a[u16(&in) % m.na].addr + (op & 0x40 ? 64 : 0));
			else
				ref_free(&m, ARENA - 4 * MB + (unsigned long)u16(&in) * u16(&in));
			break;
		case 5:
			if (op & 0x40)
				check_range(&in);
			else if (m.na && !(op & 0x80))
				ref_find(&m, m.a[u16(&in) % m.na].addr + u16(&in));
			else
				ref_find(&m, ARENA - 4 * MB + (unsigned long)u16(&in) * u16(&in));
			break;
		case 6: {
			long slot = (long)(u8(&in) % (NSLOTS + 4)) - 2;
			size_t rs = (1 + u8(&in) % 4) * 2 * MB;

			ref_add_region(&m, ARENA + slot * 2 * MB, rs, node,
				       op & 0x40 ? XP_REGION_FALLBACK : 0);
			break;
		}
		default:
			if (m.nreg)
				ref_remove_region(&m, (int)(u8(&in) % m.nreg));
			break;
		}
		ref_verify(&m, 1);
		if (m.errors)
			abort();
	}
	ref_fini(&m);
	return 0;
}
