// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hardening_tailcall.c - allocations made through functions that
 * tail-call execmem, with Debian's flags compiled to "jmp
 * execmem_alloc_for": a mempool whose alloc function is called from
 * vmlinux, and an exported helper that execmem_hardening_tailcall_user.ko
 * calls.  The owner of all of them must be this module
 * (tests/guest/hardening.sh reads debugfs "owners"): an owner taken from
 * the return address would be vmlinux or the caller.  The caller writes
 * through execmem_tc_write(): only the owner may write (or free) it.
 *
 * It also includes the kernel's own <linux/execmem.h> after <execmem.h>
 * (where the kernel has one): a client doing so must still compile.
 */
#include <linux/module.h>
#include <linux/mempool.h>
#include <execmem.h>
#include "testlib.h"
#if __EXECMEM_KERNEL_HEADER
#include <linux/execmem.h>
#endif

#define TC_POOL_MIN	4
#define TC_POOL_SIZE	200

static mempool_t *tc_pool;

static void *tc_pool_alloc(gfp_t gfp, void *data)
{
	return execmem_alloc(EXECMEM_MODULE_TEXT, (size_t)data);
}

static void tc_pool_free(void *p, void *data)
{
	execmem_free(p);
}

void *execmem_tc_alloc(size_t size)
{
	return execmem_alloc(EXECMEM_MODULE_TEXT, size);
}
EXPORT_SYMBOL_GPL(execmem_tc_alloc);

/* Its memory is written by this module: execmem refuses anyone else. */
int execmem_tc_write(void *dst, const void *src, size_t len)
{
	return execmem_write(dst, src, len);
}
EXPORT_SYMBOL_GPL(execmem_tc_write);

static int __init tc_init(void)
{
	tc_pool = mempool_create(TC_POOL_MIN, tc_pool_alloc, tc_pool_free,
				 (void *)TC_POOL_SIZE);
	return tc_pool ? 0 : -ENOMEM;
}

static void __exit tc_exit(void)
{
	mempool_destroy(tc_pool);
}

module_init(tc_init);
module_exit(tc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: ownership through tail calls");
