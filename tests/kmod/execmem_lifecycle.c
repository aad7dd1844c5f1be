// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_lifecycle.c - a client that unloads with live allocations on purpose.
 *
 * The guest script checks execmem's per-owner accounting (debugfs "owners"),
 * its module reference while memory is live, and the line it prints when
 * this module goes away with allocations still live.
 */
#include <linux/module.h>
#include <execmem.h>

static unsigned int count = 3;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "allocations to leak");
static unsigned int size = 1000;
module_param(size, uint, 0444);
MODULE_PARM_DESC(size, "size of each allocation");

static int __init owner_init(void)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (!execmem_alloc(EXECMEM_KPROBES, size))
			return -ENOMEM;
	return 0;
}

static void __exit owner_exit(void)
{
	/* Deliberately leaks: execmem must report and free. */
}

module_init(owner_init);
module_exit(owner_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a client that leaks allocations");
