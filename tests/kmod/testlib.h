/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testlib.h - what execmem's test client modules share: KTAP output, seeded
 * random numbers, the direct-map split counter, mapping checks, generated
 * functions, and the symbols one test module exports to another.
 *
 * KTAP lines go to the console through printk at KERN_INFO with no prefix,
 * so the harness reads them from the serial log.  Debian kernels have no
 * KUnit.
 */
#ifndef _EXECMEM_TESTLIB_H
#define _EXECMEM_TESTLIB_H

#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmstat.h>
#include <asm/pgtable.h>
#include <execmem.h>
#include "execmem_vmstat.h"

struct ktap {
	int n;
	int failed;
};

static inline void ktap_begin(struct ktap *t, const char *suite, int plan)
{
	t->n = 0;
	t->failed = 0;
	pr_info("KTAP version 1\n");
	pr_info("# suite: %s\n", suite);
	pr_info("1..%d\n", plan);
}

#define ktap_result(t, cond, fmt, ...) ({				\
	struct ktap *__t = (t);						\
	bool __ok = (cond);						\
	__t->n++;							\
	if (!__ok)							\
		__t->failed++;						\
	pr_info("%sok %d - " fmt "\n", __ok ? "" : "not ",		\
		__t->n, ##__VA_ARGS__);					\
	__ok;								\
})

#define ktap_diag(fmt, ...) pr_info("# " fmt "\n", ##__VA_ARGS__)

/* xorshift64*: the same sequence on every kernel, unlike get_random_*(). */
static inline u32 rnd32(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (*s * 0x2545F4914F6CDD1DULL) >> 32;
}

/* /proc/vmstat direct_map_level2_splits, or ULONG_MAX without memory. */
static inline unsigned long l2_splits(void)
{
	unsigned long l2, l3;

	return xm_direct_map_splits(&l2, &l3) ? l2 : ULONG_MAX;
}

/* Mapped read-only and executable (at any level). */
static inline bool mapped_rox(const void *p)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)p, &level);

	return pte && pte_present(*pte) && !pte_write(*pte) && pte_exec(*pte);
}

/* Mapped by a 2 MiB leaf, read-only and executable. */
static inline bool mapped_2m_rox(const void *p)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)p, &level);

	return pte && pte_present(*pte) && level == PG_LEVEL_2M &&
	       !pte_write(*pte) && pte_exec(*pte);
}

/* ENDBR64 when the kernel uses IBT (the function is called indirectly). */
static inline size_t tl_gen_endbr(u8 *buf)
{
	static const u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

	if (!IS_ENABLED(CONFIG_X86_KERNEL_IBT))
		return 0;
	memcpy(buf, endbr64, sizeof(endbr64));
	return sizeof(endbr64);
}

/*
 * "mov $val, %eax" and the kernel's own return sequence, for code that
 * will run at @ip; at most 4 + 5 + EXECMEM_RET_INSN_MAX bytes.
 */
static inline size_t gen_ret_const(u8 *buf, unsigned long ip, u32 val)
{
	size_t n = tl_gen_endbr(buf);

	buf[n++] = 0xb8;
	memcpy(buf + n, &val, sizeof(val));
	n += sizeof(val);
	return n + execmem_text_gen_return(buf + n, ip + n);
}

/* Exported by one test module to another (see tests/guest/hardening.sh). */
void *execmem_tc_alloc(size_t size);	/* execmem_hardening_tailcall.ko */
void execmem_rcu_publish(void *code);	/* execmem_hardening_rcu_reader.ko */
int execmem_tc_write(void *dst, const void *src, size_t len);	/* ..._tailcall.ko */
int execmem_freer_free(struct module *owner, void *p);	/* ..._freer.ko */

#endif /* _EXECMEM_TESTLIB_H */
