// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_trace.c - the client of tests/guest/trace.sh: known operations,
 * each reported in dmesg, for the script to find in execmem's tracepoints.
 *
 * At load: one allocation per size of @sizes (text, default alignment), a
 * write of 16 bytes at the start of each, a write crossing the end of the
 * first (refused: -EINVAL), an allocation of 0 bytes (refused: -EINVAL),
 * the frees, and the first one freed again (refused: -EINVAL).  Lines
 * "execmem_trace: OP addr=0x... size=N ret=R" in dmesg.  A size above
 * 2 MiB maps a region of its own, released when it is freed.
 */
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <execmem.h>

#define NR_SIZES 4

static unsigned long sizes[NR_SIZES] = { 100, 5000, 2200000 };
static int nr_sizes = 3;
module_param_array(sizes, ulong, &nr_sizes, 0444);
MODULE_PARM_DESC(sizes, "allocation sizes (default 100,5000,2200000)");

static void tr_report(const char *op, void *addr, size_t size, int ret)
{
	pr_info("execmem_trace: %s addr=0x%lx size=%zu ret=%d\n", op,
		(unsigned long)addr, size, ret);
}

static int __init tr_init(void)
{
	void *p[NR_SIZES] = { NULL };
	u8 code[16];
	int i, ret;

	memset(code, 0xc3, sizeof(code));
	for (i = 0; i < nr_sizes; i++) {
		p[i] = execmem_alloc(EXECMEM_MODULE_TEXT, sizes[i]);
		tr_report("alloc", p[i], sizes[i], p[i] ? 0 : -ENOMEM);
	}
	for (i = 0; i < nr_sizes; i++) {
		if (!p[i] || sizes[i] < sizeof(code))
			continue;
		ret = execmem_write(p[i], code, sizeof(code));
		tr_report("write", p[i], sizeof(code), ret);
	}
	if (p[0] && sizes[0] >= 8) {
		ret = execmem_write(p[0] + sizes[0] - 8, code, sizeof(code));
		tr_report("badwrite", p[0] + sizes[0] - 8, sizeof(code), ret);
	}
	tr_report("badalloc", execmem_alloc(EXECMEM_MODULE_TEXT, 0), 0, -EINVAL);
	for (i = 0; i < nr_sizes; i++) {
		execmem_free(p[i]);
		tr_report("free", p[i], sizes[i], 0);
	}
	execmem_free(p[0]);
	tr_report("badfree", p[0], 0, -EINVAL);
	return 0;
}

static void __exit tr_exit(void)
{
}

module_init(tr_init);
module_exit(tr_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem tracepoint test client (tests/guest/trace.sh)");
