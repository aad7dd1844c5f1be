// SPDX-License-Identifier: GPL-2.0
/*
 * Test client of tests/guest/census.sh: a vmalloc area of the module area
 * whose caller kallsyms cannot name, with its direct-map alias read-only
 * (so that the census attributes its pages, by the area's caller).  The
 * caller recorded is this module's init function, whose memory is freed
 * once init returns: as for a region left behind by a module that is gone.
 * The census must not print that address (%ps would, in hex).
 *
 * __vmalloc_node_range and set_memory_ro/rw are not exported: resolved
 * with kallsyms_lookup_name (found with a kprobe) and reached through
 * static calls of this module (direct jmps, IBT-safe).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleloader.h>
#include <linux/static_call.h>
#include <linux/vmalloc.h>
#include <asm/set_memory.h>
#include "execmem_compat.h"	/* XM_VMALLOC_RANGE: the real function */

#define CC_VMALLOC	XM_VMALLOC_RANGE

static unsigned long cc_lookup_ret0(const char *name)
{
	return 0;
}

DEFINE_STATIC_CALL(cc_lookup, cc_lookup_ret0);
DEFINE_STATIC_CALL_RET0(cc_vmalloc, CC_VMALLOC);
DEFINE_STATIC_CALL_RET0(cc_set_ro, set_memory_ro);
DEFINE_STATIC_CALL_RET0(cc_set_rw, set_memory_rw);

#define CC_PAGES	4
static void *cc_area;

static int cc_resolve(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long v, ro, rw;

	if (register_kprobe(&kp))
		return -ENOENT;
	static_call_update(cc_lookup, (void *)kp.addr);
	unregister_kprobe(&kp);
	v = static_call(cc_lookup)(__stringify(CC_VMALLOC));
	ro = static_call(cc_lookup)("set_memory_ro");
	rw = static_call(cc_lookup)("set_memory_rw");
	if (!v || !ro || !rw)
		return -ENOENT;
	static_call_update(cc_vmalloc, (void *)v);
	static_call_update(cc_set_ro, (void *)ro);
	static_call_update(cc_set_rw, (void *)rw);
	return 0;
}

static int __init cc_init(void)
{
	int ret = cc_resolve();

	if (ret)
		return ret;
	/* The caller: this function, gone once init has returned. */
	cc_area = static_call(cc_vmalloc)(CC_PAGES * PAGE_SIZE, PAGE_SIZE,
					  MODULES_VADDR, MODULES_END, GFP_KERNEL,
					  PAGE_KERNEL, 0, NUMA_NO_NODE,
					  (void *)cc_init);
	if (!cc_area)
		return -ENOMEM;
	ret = static_call(cc_set_ro)((unsigned long)cc_area, CC_PAGES);
	if (ret) {
		vfree(cc_area);
		return ret;
	}
	pr_info("area with caller %pS (init text)\n", cc_init);
	return 0;
}

static void __exit cc_exit(void)
{
	if (!static_call(cc_set_rw)((unsigned long)cc_area, CC_PAGES))
		vfree(cc_area);
}

module_init(cc_init);
module_exit(cc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a module-area vmalloc area whose caller has no name");
