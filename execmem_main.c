// SPDX-License-Identifier: GPL-2.0
/*
 * execmem.ko: module load and unload, and the parameters of the allocator.
 *
 * Load sets up each part in turn (symbols, allocator, debugfs, hosting) and
 * unload takes them down in the reverse order.  Nothing calls into this
 * file; the layers and their headers are drawn in docs/design.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include "execmem_syms.h"
#include "execmem_timing.h"
#include "execmem_alloc.h"
#include "execmem_host.h"
#include "execmem_dmap.h"
#include "execmem_debugfs.h"

module_param_named(spare_regions, xm_spare_regions, uint, 0644);
MODULE_PARM_DESC(spare_regions,
		 "empty 2 MiB regions kept mapped for reuse (default 1); the shrinker releases them under memory pressure");

module_param_named(force_fallback, xm_force_fallback, bool, 0644);
MODULE_PARM_DESC(force_fallback,
		 "map new regions with 4 KiB pages as if no 2 MiB page were available (testing)");

module_param_named(max_bytes, xm_max_bytes, ulong, 0644);
MODULE_PARM_DESC(max_bytes,
		 "most bytes of the module area execmem maps, its regions and the BPF areas it hosts (default 0: a quarter of it, leaving the rest to module loading, BPF and kprobes)");

module_param_named(test_free_delay_ms, xm_test_free_delay_ms, uint, 0644);
MODULE_PARM_DESC(test_free_delay_ms,
		 "sleep this long inside execmem_free() of written memory, before the int3 refill (testing: a free in progress while its owner goes away)");

module_param_cb(phase_timing, &xm_ph_ops, NULL, 0600);
MODULE_PARM_DESC(phase_timing,
		 "1: zero and start the phase and lock timing of the allocation paths, 0: stop; read: phase count total_ns max_ns (benchmark)");

static int __init xm_init(void)
{
	int ret;

	ret = xm_syms_init();
	if (ret)
		return ret;
	ret = xm_alloc_init();
	if (ret)
		return ret;
	xm_debugfs_init();	/* optional: execmem works without it */
	xh_init();		/* host=: never fails the load */
	pr_info("ready: module area of %lu MiB, at most %lu MiB for execmem, %u spare region(s)%s\n",
		(MODULES_END - MODULES_VADDR) >> 20, xm_max_bytes >> 20,
		xm_spare_regions,
		xm_force_fallback ? ", 4 KiB fallback forced" : "");
	return 0;
}

static void __exit xm_exit(void)
{
	/* Memory is live (it holds a reference) only after rmmod -f. */
	bool forced = module_refcount(THIS_MODULE) != 0;

	xh_exit(forced);
	xm_debugfs_exit();
	xm_dmap_exit();
	xm_alloc_exit(forced);
}

module_init(xm_init);
module_exit(xm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Executable memory from 2 MiB read-only+executable huge-page regions");
MODULE_AUTHOR("execmem developers");
MODULE_VERSION(EXECMEM_VERSION);	/* dkms.conf's PACKAGE_VERSION (Kbuild) */
