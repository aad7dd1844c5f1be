/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ktap.h - minimal KTAP output for execmem's test modules.
 *
 * Lines go to the console through printk at KERN_INFO with no prefix, so the
 * harness reads them from the serial log.  Debian kernels have no KUnit.
 */
#ifndef _EXECMEM_KTAP_H
#define _EXECMEM_KTAP_H

#include <linux/printk.h>

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

#endif /* _EXECMEM_KTAP_H */
