/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer targets share (tests/pool/fuzz_pool.c,
 * tlb/tests/fuzz_tlb.c): the input as a stream of bytes that reads as 0
 * once used up, and, built with -DFUZZ_STANDALONE (gcc, no libFuzzer), a
 * main() that replays the files given as arguments (crash files, corpus
 * entries) through LLVMFuzzerTestOneInput().
 */
#ifndef FUZZ_DRIVER_H
#define FUZZ_DRIVER_H

#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static inline unsigned int u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline unsigned int u16(struct in *in)
{
	return u8(in) | u8(in) << 8;
}

#ifdef FUZZ_STANDALONE
/* Replay inputs without libFuzzer: PROGRAM FILE... */
int main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f)
			return 2;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif

#endif /* FUZZ_DRIVER_H */
