// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hardening_rcu_reader.c - calls code that another module
 * published, under rcu_read_lock(), from a thread on the last CPU, and
 * checks that it returns 42.  execmem_hardening_rcu_code.ko publishes a
 * function in execmem memory and unpublishes it in its exit function
 * without waiting for a grace period, as is enough when the memory is freed
 * no earlier than module text would be: execmem reaps it only after a grace
 * period, so this thread never runs into the int3 refill
 * (tests/guest/hardening.sh).
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/rcupdate.h>
#include "testlib.h"

static unsigned long calls;
module_param(calls, ulong, 0444);
MODULE_PARM_DESC(calls, "calls made (read only)");
static unsigned long wrong;
module_param(wrong, ulong, 0444);
MODULE_PARM_DESC(wrong, "calls that did not return 42 (read only)");

static void __rcu *rr_slot;
static struct task_struct *rr_thread;

void execmem_rcu_publish(void *code)
{
	rcu_assign_pointer(rr_slot, code);
}
EXPORT_SYMBOL_GPL(execmem_rcu_publish);

static int rr_fn(void *data)
{
	int (*fn)(void);

	while (!kthread_should_stop()) {
		rcu_read_lock();
		fn = (int (*)(void))rcu_dereference(rr_slot);
		if (fn) {
			mdelay(1);	/* a wide window for an early refill */
			if (fn() != 42)
				wrong++;
			calls++;
		}
		rcu_read_unlock();
		if (!fn)
			usleep_range(100, 200);
		cond_resched();
	}
	return 0;
}

static int __init rr_init(void)
{
	rr_thread = kthread_create(rr_fn, NULL, "execmem-rcu-reader");
	if (IS_ERR(rr_thread))
		return PTR_ERR(rr_thread);
	kthread_bind(rr_thread, cpumask_last(cpu_online_mask));
	wake_up_process(rr_thread);
	return 0;
}

static void __exit rr_exit(void)
{
	kthread_stop(rr_thread);
}

module_init(rr_init);
module_exit(rr_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a reader of published code under RCU");
