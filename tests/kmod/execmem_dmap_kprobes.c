// SPDX-License-Identifier: GPL-2.0
/*
 * Test module of tests/guest/dmap.sh: kprobes as a real cause of
 * direct-map splits that goes away.  It registers nr kprobes (default
 * 600) at consecutive one-byte nops of a function of its own.  The kernel
 * copies each probed instruction into a slot of its kprobe slot pages:
 * module-area pages from alloc_insn_page(), whose direct-map alias 6.1
 * and 6.12 make read-only (7.2 takes them from its ROX cache instead).
 * Unloading unregisters them all: the slots become garbage, and the slot
 * cache frees every page of them but the last (collect_garbage_slots()),
 * through vfree(), which leaves their direct-map ranges split and stale.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/stringify.h>

#define DK_SITES	1024

static unsigned int nr = 600;
module_param(nr, uint, 0444);
MODULE_PARM_DESC(nr, "kprobes to register, 1 to 1024");

static struct kprobe *dk_probes;
static struct kprobe **dk_ptrs;

/* The probe sites: never called, only probed. */
static noinline void dk_sites(void)
{
	asm volatile(".rept " __stringify(DK_SITES) "\n\tnop\n.endr" ::: "memory");
}

/* The first of @n consecutive nops of dk_sites(), past its prologue. */
static u8 *dk_first_nop(unsigned int n)
{
	u8 *p = (u8 *)dk_sites;
	unsigned int i, run = 0;

	for (i = 0; i < 64 + DK_SITES; i++) {
		run = p[i] == 0x90 ? run + 1 : 0;
		if (run == n)
			return p + i + 1 - n;
	}
	return NULL;
}

static int dk_pre(struct kprobe *p, struct pt_regs *regs)
{
	return 0;
}

static int __init dk_init(void)
{
	unsigned int i;
	u8 *site;
	int ret;

	if (!nr || nr > DK_SITES)
		return -EINVAL;
	site = dk_first_nop(nr);
	if (!site)
		return -ENOEXEC;
	dk_probes = kcalloc(nr, sizeof(*dk_probes), GFP_KERNEL);
	dk_ptrs = kcalloc(nr, sizeof(*dk_ptrs), GFP_KERNEL);
	if (!dk_probes || !dk_ptrs) {
		ret = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < nr; i++) {
		dk_probes[i].addr = (kprobe_opcode_t *)(site + i);
		dk_probes[i].pre_handler = dk_pre;
		dk_ptrs[i] = &dk_probes[i];
	}
	ret = register_kprobes(dk_ptrs, nr);
	if (ret)
		goto out_free;
	pr_info("%u kprobes registered\n", nr);
	return 0;
out_free:
	pr_warn("registering %u kprobes failed: %d\n", nr, ret);
	kfree(dk_ptrs);
	kfree(dk_probes);
	return ret;
}

static void __exit dk_exit(void)
{
	unregister_kprobes(dk_ptrs, nr);
	kfree(dk_ptrs);
	kfree(dk_probes);
}

module_init(dk_init);
module_exit(dk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: kprobe slot pages as a direct-map split cause");
