/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execmem_bench.h - what the benchmark's two files share: the paths, the
 * workloads, the leaf count and the output of execmem_bench_main.c, used
 * by the work of execmem_bench_work.c ("work PATH"), which gives back
 * bm_work().
 */
#ifndef EXECMEM_BENCH_H
#define EXECMEM_BENCH_H

#include <linux/types.h>
#include <linux/compiler.h>
#include "execmem_compat.h"

/*
 * With the ROX cache (CONFIG_ARCH_HAS_EXECMEM_ROX, e.g. Debian's 7.2) the
 * loader takes module text writable from the cache (execmem_alloc_rw),
 * copies, and gives it back its ROX 2M mapping (execmem_restore_rox).
 */
#if XM_KERNEL_EXECMEM && defined(CONFIG_ARCH_HAS_EXECMEM_ROX)
#define BM_ROX_CACHE		1
#else
#define BM_ROX_CACHE		0
#endif

struct bm_path {
	const char *name;
	unsigned int code_off;		/* where the function starts */
	void *(*alloc)(size_t size);
	/* write @len bytes of @src, then make the @size bytes executable */
	int (*write_exec)(void *p, const void *src, size_t len, size_t size);
	void (*free)(void *p, size_t size);
};

/* One workload placed through one path */
struct bm_run {
	const struct bm_path *p;
	u32 *size;		/* allocation sizes */
	u32 n;
	void **ptr;
	u8 *buf;		/* payload buffer */
	size_t max;
	u64 rnd;
	unsigned long failed, bad_calls;
	u64 *keys;		/* leaf walk scratch */
	size_t nkeys_max;
};

struct bm_leaves {
	unsigned long n4k, n2m, n1g, not_rox;
};

/* xorshift64*: the same sequence on every kernel */
static inline u32 rnd32(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (*s * 0x2545F4914F6CDD1DULL) >> 32;
}

extern const u8 bm_endbr64[4];

/* execmem_bench_main.c */
const struct bm_path *bm_path_find(const char *name);
u64 bm_rnd_seed(void);
int bm_make_workload(struct bm_run *r, const char *wl);
void bm_count_leaves(struct bm_run *r, u32 n, struct bm_leaves *lv);
__printf(1, 2) void bm_printf(const char *fmt, ...);

/* execmem_bench_work.c: "work PATH" (@p NULL: an unknown path) */
void bm_work(const struct bm_path *p);

#endif /* EXECMEM_BENCH_H */
