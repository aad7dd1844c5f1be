// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hardening_tailcall_user.c - calls execmem_hardening_tailcall.ko's
 * helper, which tail-calls execmem: the memory belongs to
 * execmem_hardening_tailcall, not to this module, and outlives it.  Its
 * own execmem_write() into that memory, execmem_free() of it and
 * execmem_set_name() of it are refused (another module's memory); the
 * helper's module writes a function into one block for it, which it calls,
 * to show that the memory works.
 *
 * It includes the kernel's <linux/execmem.h> before <execmem.h> (where the
 * kernel has one): a client doing so must still compile.
 */
#include <linux/module.h>
#ifndef __CHECKER__
#if __has_include("linux/execmem.h")
#include <linux/execmem.h>
#endif
#endif
#include <execmem.h>
#include "testlib.h"

static int __init tcu_init(void)
{
	void *p = execmem_tc_alloc(100), *q = execmem_tc_alloc(100);
	u8 code[32];
	size_t n;
	int ret, named;

	if (!p || !q)
		return -ENOMEM;
	n = gen_ret_const(code, (unsigned long)p, 42);
	ret = execmem_write(p, code, n);
	execmem_free(q);
	named = execmem_set_name(p, "execmem_tcu_stolen");
	pr_info("execmem_hardening_tailcall_user: write into the helper's memory: %s\n",
		ret ? "refused" : "accepted");
	pr_info("execmem_hardening_tailcall_user: naming the helper's memory: %d\n", named);
	if (!ret)
		return -EPERM;
	if (execmem_tc_write(p, code, n))
		return -EIO;
	ret = ((int (*)(void))p)();
	pr_info("execmem_hardening_tailcall_user: the helper's memory runs and returns %d\n",
		ret);
	return ret == 42 ? 0 : -EIO;
}

static void __exit tcu_exit(void)
{
	/* The memory is execmem_hardening_tailcall's: it stays. */
}

module_init(tcu_init);
module_exit(tcu_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a caller of a tail-calling helper");
