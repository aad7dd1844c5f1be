// SPDX-License-Identifier: GPL-2.0
/*
 * secretmem - fault pages of memfd_secret(2) in and out for a while: each
 * page faulted in is removed from the kernel's direct map, and put back when
 * the mapping goes (tests/guest/census_load.sh: the census reads the direct
 * map meanwhile).  Static: runs in the busybox guest as is.
 *
 *   secretmem SECONDS PAGES
 *
 * Output: "rounds N" and "pages N" (pages faulted in over all rounds), or
 * "unavailable ERRNO-TEXT" with exit 2 when the kernel has no usable
 * memfd_secret (not built, or secretmem.enable=0).  Exit 0 on success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long secs, pages, rounds = 0, faulted = 0, i, psz = sysconf(_SC_PAGESIZE);
	double end;
	int fd;

	secs = argc == 3 ? atol(argv[1]) : 0;
	pages = argc == 3 ? atol(argv[2]) : 0;
	if (secs <= 0 || pages <= 0) {
		fprintf(stderr, "usage: secretmem SECONDS PAGES\n");
		return 1;
	}
	end = now() + secs;
	while (now() < end) {
		char *p;

		fd = syscall(__NR_memfd_secret, 0);
		if (fd < 0) {
			printf("unavailable %s\n", strerror(errno));
			return 2;
		}
		if (ftruncate(fd, pages * psz)) {
			perror("ftruncate");
			return 1;
		}
		p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (i = 0; i < pages; i++) {
			p[i * psz] = (char)i;
			faulted++;
		}
		for (i = 0; i < pages; i++)
			if (p[i * psz] != (char)i) {
				printf("result fail\n");
				return 1;
			}
		munmap(p, pages * psz);
		close(fd);
		rounds++;
	}
	printf("rounds %ld\npages %ld\n", rounds, faulted);
	return 0;
}
