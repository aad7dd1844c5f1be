// SPDX-License-Identifier: GPL-2.0
/*
 * Test client of tests/guest/host_refuse.sh: another IPMODIFY user of a
 * function, as a livepatch replacing it would be.  Registers an ftrace_ops
 * with FTRACE_OPS_FL_IPMODIFY on the function named by sym= (it never
 * changes the IP); only one such ops may exist per function, so a later
 * host= of execmem that needs the function must be refused, and turn its
 * consumer off.  Loading fails if the ops cannot be placed.
 */
#include <linux/module.h>
#include <linux/ftrace.h>
#include <linux/string.h>

static char *sym = "";
module_param(sym, charp, 0444);
MODULE_PARM_DESC(sym, "the function to hold with an IPMODIFY ftrace_ops");

static void notrace refuse_ftrace(unsigned long ip, unsigned long parent_ip,
				  struct ftrace_ops *ops,
				  struct ftrace_regs *fregs)
{
}

static struct ftrace_ops refuse_ops = {
	.func = refuse_ftrace,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY,
};

static int __init refuse_init(void)
{
	int ret;

	ret = ftrace_set_filter(&refuse_ops, (unsigned char *)sym, strlen(sym), 1);
	if (ret)
		return ret;
	ret = register_ftrace_function(&refuse_ops);
	if (ret)
		ftrace_free_filter(&refuse_ops);
	return ret;
}

static void __exit refuse_exit(void)
{
	unregister_ftrace_function(&refuse_ops);
	ftrace_free_filter(&refuse_ops);
}

module_init(refuse_init);
module_exit(refuse_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: another IPMODIFY user of a function execmem would redirect");
