// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hardening_rcu_code.c - publishes a function in execmem memory
 * to execmem_hardening_rcu_reader.ko and leaves it to execmem to reap at
 * unload.
 */
#include <linux/module.h>
#include <execmem.h>
#include "testlib.h"

static int __init rc_init(void)
{
	void *p = execmem_alloc(EXECMEM_MODULE_TEXT, 64);
	u8 code[32];
	size_t n;

	if (!p)
		return -ENOMEM;
	n = gen_ret_const(code, (unsigned long)p, 42);
	if (execmem_write(p, code, n))
		return -EIO;
	execmem_rcu_publish(p);
	return 0;
}

static void __exit rc_exit(void)
{
	/* Unpublish; no grace period here: execmem waits for one. */
	execmem_rcu_publish(NULL);
}

module_init(rc_init);
module_exit(rc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: code reaped at unload while a reader may run");
