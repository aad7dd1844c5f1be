// SPDX-License-Identifier: GPL-2.0
/*
 * Test client of tests/guest/host_refuse.sh: given expect=ADDR, a hosted
 * kprobe page execmem has taken back, allocate 4 KiB-aligned pages until
 * execmem hands out ADDR, and fail to load (-EILSEQ) unless that page is
 * all int3 again (the kernel wrote it with text_poke, not through
 * execmem_write(), so execmem must refill all of it); -ENOENT if ADDR never
 * comes.  Everything allocated is freed before init returns.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <execmem.h>

static unsigned long expect;
module_param(expect, ulong, 0444);
MODULE_PARM_DESC(expect, "the page to be given by execmem and found all int3");

#define NPAGES	512

static int __init int3_init(void)
{
	void **p = kcalloc(NPAGES, sizeof(*p), GFP_KERNEL);
	int i, n, ret = -ENOENT;

	if (!p)
		return -ENOMEM;
	for (n = 0; n < NPAGES && ret == -ENOENT; n++) {
		p[n] = execmem_alloc_aligned(EXECMEM_KPROBES, PAGE_SIZE, PAGE_SIZE);
		if (!p[n])
			break;
		if ((unsigned long)p[n] != expect)
			continue;
		ret = memchr_inv(p[n], 0xcc, PAGE_SIZE) ? -EILSEQ : 0;
		pr_info("the page execmem took back: %s\n",
			ret ? "NOT all int3" : "all int3");
	}
	for (i = 0; i < n; i++)
		execmem_free(p[i]);
	kfree(p);
	return ret;
}

static void __exit int3_exit(void)
{
}

module_init(int3_init);
module_exit(int3_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a kprobe page taken back is int3 again");
