// SPDX-License-Identifier: GPL-2.0
/*
 * tlbsweep: the TLB model's footprint sweep (guest side).
 *
 *   tlbsweep MODE PASSES LABEL N...
 *
 * MODE is code4k, data4k, code2m or data2m.  For each N (in order), one
 * measured window labelled LABEL, LABEL+1, ...: two warm-up passes,
 * TLBMARK_RESET, then PASSES passes over N distinct pages, then
 * TLBMARK_END.  A pass executes one instruction chain through N pages
 * (code: "dec %ecx; jz ret; jmp next page" at the start of each page) or
 * loads 8 bytes from each of N pages (data).  4K: N pages of anonymous
 * memory.  2M: one hugetlb page (memfd_create(MFD_HUGETLB)) mapped at N
 * consecutive 2 MiB-aligned addresses, so N can exceed the guest's memory;
 * needs one free 2 MiB huge page (/proc/sys/vm/nr_hugepages).
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tlbmark.h"

#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif

#define SZ_4K (4096UL)
#define SZ_2M (2UL << 20)
#define MAX_N 8192

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* dec %ecx; jz +5; jmp rel32 (to the same offset one stride on); ret */
static void put_stub(uint8_t *p, unsigned long stride)
{
	int32_t rel = (int32_t)(stride - 9);

	p[0] = 0xff;
	p[1] = 0xc9;
	p[2] = 0x74;
	p[3] = 0x05;
	p[4] = 0xe9;
	memcpy(p + 5, &rel, 4);
	p[9] = 0xc3;
}

static uint8_t *reserve(unsigned long len, unsigned long align)
{
	uint8_t *p = mmap(NULL, len + align, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap PROT_NONE");
	return (uint8_t *)(((uintptr_t)p + align - 1) & ~(align - 1));
}

static uint8_t *map_4k(unsigned long n, bool code)
{
	int prot = PROT_READ | PROT_WRITE | (code ? PROT_EXEC : 0);
	uint8_t *base = mmap(NULL, n * SZ_4K, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long i;

	if (base == MAP_FAILED)
		die("mmap 4k");
	/* 4 KiB leaves, not transparent huge pages */
	if (madvise(base, n * SZ_4K, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE)");
	for (i = 0; i < n; i++) {
		base[i * SZ_4K + 64] = 1;
		if (code)
			put_stub(base + i * SZ_4K, SZ_4K);
	}
	return base;
}

/* One 2 MiB hugetlb page mapped n times, back to back. */
static uint8_t *map_2m(unsigned long n, bool code)
{
	int prot = PROT_READ | PROT_WRITE | (code ? PROT_EXEC : 0);
	int fd = memfd_create("tlbsweep", MFD_HUGETLB);
	uint8_t *base, *p;
	unsigned long i;

	if (fd < 0)
		die("memfd_create(MFD_HUGETLB)");
	if (ftruncate(fd, SZ_2M))
		die("ftruncate");
	base = reserve(n * SZ_2M, SZ_2M);
	for (i = 0; i < n; i++) {
		p = mmap(base + i * SZ_2M, SZ_2M, prot, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
			 fd, 0);
		if (p == MAP_FAILED)
			die("mmap 2m alias");
	}
	base[64] = 1;
	if (code)
		put_stub(base, SZ_2M);
	close(fd);
	return base;
}

static void code_pass(uint8_t *base, unsigned long n)
{
	unsigned long cnt = n;

	asm volatile("call *%1" : "+c" (cnt) : "r" (base) : "memory", "cc");
}

static uint64_t data_pass(uint8_t *base, unsigned long n, unsigned long stride)
{
	uint64_t sum = 0, x;
	unsigned long i;

	for (i = 0; i < n; i++) {
		/* one 8-byte load per page, never optimised away */
		asm volatile("mov %1, %0" : "=r" (x)
			     : "m" (*(uint64_t *)(base + i * stride + 64)));
		sum += x;
	}
	return sum;
}

static uint64_t pass(uint8_t *base, unsigned long n, unsigned long stride, bool code)
{
	if (code) {
		code_pass(base, n);
		return 0;
	}
	return data_pass(base, n, stride);
}

static uint64_t window(uint8_t *base, unsigned long n, unsigned long stride, bool code,
		       int passes, unsigned long label)
{
	uint64_t sum = 0;
	int i;

	TLBMARK(TLBMARK_BEGIN, label, 0, 0);
	sum += pass(base, n, stride, code);
	sum += pass(base, n, stride, code);
	TLBMARK(TLBMARK_RESET, 0, 0, 0);
	for (i = 0; i < passes; i++)
		sum += pass(base, n, stride, code);
	TLBMARK(TLBMARK_END, 0, 0, 0);
	return sum;
}

int main(int argc, char **argv)
{
	unsigned long n[64], maxn = 0, label, stride;
	uint64_t sum = 0;
	bool code, huge;
	uint8_t *base;
	int i, nn, passes;

	if (argc < 5 || argc - 4 > 64) {
		fprintf(stderr, "usage: tlbsweep code4k|data4k|code2m|data2m PASSES LABEL N...\n");
		return 2;
	}
	code = !strncmp(argv[1], "code", 4);
	huge = !strcmp(argv[1] + 4, "2m");
	passes = atoi(argv[2]);
	label = strtoul(argv[3], NULL, 0);
	for (nn = 0; nn < argc - 4; nn++) {
		n[nn] = strtoul(argv[4 + nn], NULL, 0);
		if (!n[nn] || n[nn] > MAX_N)
			return 2;
		maxn = n[nn] > maxn ? n[nn] : maxn;
	}
	stride = huge ? SZ_2M : SZ_4K;
	base = huge ? map_2m(maxn, code) : map_4k(maxn, code);
	for (i = 0; i < nn; i++)
		sum += window(base, n[i], stride, code, passes, label + i);
	printf("tlbsweep: %s %d windows from label %lu (sum %llu)\n", argv[1], nn, label,
	       (unsigned long long)sum);
	return 0;
}
