// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hardening_going.c - allocates in its exit function, when the
 * module is already GOING: execmem must refuse, so that no owner record
 * keyed by this module's address can outlive it (tests/guest/hardening.sh).
 */
#include <linux/module.h>
#include <execmem.h>

static int __init going_init(void)
{
	return 0;
}

static void __exit going_exit(void)
{
	void *p = execmem_alloc(EXECMEM_MODULE_TEXT, 64);

	pr_info("execmem_hardening_going: allocation in exit: %s\n",
		p ? "served" : "refused");
	execmem_free(p);
}

module_init(going_init);
module_exit(going_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: an allocation by a module going away");
