// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hardening_inflight.c - allocates and writes one block at load
 * (tests/guest/hardening.sh).  handoff=1: has execmem_hardening_freer free
 * it from a thread of that module, and is unloaded while that free is in
 * progress; handoff=0: frees it itself.  The load fails when the
 * allocation is refused: a module loaded at the address of one that went
 * away must be served.
 */
#include <linux/module.h>
#include <execmem.h>
#include "testlib.h"

static bool handoff;
module_param(handoff, bool, 0444);
MODULE_PARM_DESC(handoff, "let execmem_hardening_freer free the block (default: free it here)");

static int __init inflight_init(void)
{
	u8 code[32];
	void *p = execmem_alloc(EXECMEM_MODULE_TEXT, 256);

	if (!p) {
		pr_info("execmem_hardening_inflight: allocation refused\n");
		return -ENOMEM;
	}
	/* Written: its free refills it, outside xm.lock (the delay's place). */
	if (execmem_write(p, code, gen_ret_const(code, (unsigned long)p, 42))) {
		execmem_free(p);
		return -EIO;
	}
	if (handoff)
		return execmem_freer_free(THIS_MODULE, p);
	execmem_free(p);
	return 0;
}

static void __exit inflight_exit(void)
{
}

module_init(inflight_init);
module_exit(inflight_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a module unloaded while a free of its memory is in progress");
