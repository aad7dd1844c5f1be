// SPDX-License-Identifier: GPL-2.0
/*
 * Test client of tests/guest/host_refuse.sh: a buggy client holding a
 * stale pointer into memory that execmem has since hosted for the kernel.
 * At load it keeps one allocation (so that its region stays) and allocates
 * and frees a 4 KiB-aligned 4 KiB block: its address, parameter "stale", is
 * where the pool's next such block goes, i.e. the next kprobe instruction
 * page with host=kprobes.  Writing the parameter "action" then misuses the
 * stale pointer, as a double free or a late write would:
 *   write  execmem_write() of the 64 bytes at stale + 2048, as they are
 *          (harmless if accepted: a slot the first kprobes leave unused);
 *          its return value in "write_ret"
 *   free   execmem_free(stale)
 *   alloc  allocate a 4 KiB-aligned 4 KiB block (freed at unload); "same"
 *          is 1 if it is at stale (the hosted page was given out again)
 * execmem must refuse the first two and never hand the page out.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <execmem.h>

static void *keep, *stale, *again;
static int write_ret = 1;
module_param(write_ret, int, 0444);
MODULE_PARM_DESC(write_ret, "what the last action=write returned");
static int same;
module_param(same, int, 0444);
MODULE_PARM_DESC(same, "1: action=alloc returned the stale address");

static int stale_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%016lx\n", (unsigned long)stale);
}

static const struct kernel_param_ops stale_ops = { .get = stale_get };
module_param_cb(stale, &stale_ops, NULL, 0400);
MODULE_PARM_DESC(stale, "the freed block's address (16 hex digits)");

static int action_set(const char *val, const struct kernel_param *kp)
{
	u8 buf[64];

	if (sysfs_streq(val, "write")) {
		memcpy(buf, stale + 2048, sizeof(buf));
		write_ret = execmem_write(stale + 2048, buf, sizeof(buf));
	} else if (sysfs_streq(val, "free")) {
		execmem_free(stale);
	} else if (sysfs_streq(val, "alloc") && !again) {
		again = execmem_alloc_aligned(EXECMEM_KPROBES, PAGE_SIZE, PAGE_SIZE);
		same = again == stale;
	} else {
		return -EINVAL;
	}
	return 0;
}

static const struct kernel_param_ops action_ops = { .set = action_set };
module_param_cb(action, &action_ops, NULL, 0200);
MODULE_PARM_DESC(action, "write, free or alloc (see the file's comment)");

static int __init stale_init(void)
{
	keep = execmem_alloc(EXECMEM_KPROBES, 64);
	stale = execmem_alloc_aligned(EXECMEM_KPROBES, PAGE_SIZE, PAGE_SIZE);
	if (!keep || !stale) {
		execmem_free(keep);
		execmem_free(stale);
		return -ENOMEM;
	}
	execmem_free(stale);
	return 0;
}

static void __exit stale_exit(void)
{
	execmem_free(again);
	execmem_free(keep);
}

module_init(stale_init);
module_exit(stale_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a stale pointer into a hosted kprobe page");
