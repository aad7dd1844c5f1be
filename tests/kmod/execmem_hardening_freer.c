// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hardening_freer.c - frees another module's allocation from a
 * thread of its own (tests/guest/hardening.sh): execmem_hardening_inflight
 * hands over an allocation and its THIS_MODULE, and goes away while the
 * free is in progress (execmem's test_free_delay_ms holds it there).  The
 * thread runs in this module, which stays loaded: no code of the module
 * that went away runs after it is gone.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <execmem.h>
#include "testlib.h"

static int started, done;
module_param(started, int, 0444);
MODULE_PARM_DESC(started, "1 once the thread is about to call execmem_free_for()");
module_param(done, int, 0444);
MODULE_PARM_DESC(done, "1 once execmem_free_for() returned");

static struct module *fr_owner;
static void *fr_ptr;
static struct task_struct *fr_task;
static DECLARE_COMPLETION(fr_done);

static int fr_fn(void *data)
{
	WRITE_ONCE(started, 1);
	execmem_free_for(fr_owner, fr_ptr);
	WRITE_ONCE(done, 1);
	kthread_complete_and_exit(&fr_done, 0);
}

/* Free @p of @owner from a thread of this module; once only. */
int execmem_freer_free(struct module *owner, void *p)
{
	if (fr_task)
		return -EBUSY;
	fr_owner = owner;
	fr_ptr = p;
	fr_task = kthread_run(fr_fn, NULL, "execmem-freer");
	if (IS_ERR(fr_task)) {
		fr_task = NULL;
		return -ENOMEM;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(execmem_freer_free);

static int __init fr_init(void)
{
	return 0;
}

static void __exit fr_exit(void)
{
	if (fr_task)
		wait_for_completion(&fr_done);
}

module_init(fr_init);
module_exit(fr_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a free on behalf of a module that goes away meanwhile");
