// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_parallel.c - did two vCPUs run at the same time?  (No execmem use:
 * the harness's probe, scripts/guest-init.sh, in a boot with parallel vCPUs.)
 *
 * One kthread bound to each of CPU 0 and CPU 1 adds 1 to a shared counter
 * `iterations` times with a read-modify-write without LOCK ("incl mem").
 * vCPUs that take turns (TCG thread=single: a vCPU never stops in the middle
 * of an instruction) lose no update.  vCPUs that run on two host threads at
 * once (thread=multi, which emulates an unlocked incl as a load and a store)
 * lose some, but only while both really run: the host may give them one
 * core between them.  So rounds repeat until an update is lost or `ms`
 * milliseconds have passed.  The result is in the read-only parameters
 * `lost` (updates lost, 0: no parallelism seen) and `rounds`.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/atomic.h>
#include <linux/err.h>

static unsigned int ms = 5000;
module_param(ms, uint, 0444);
MODULE_PARM_DESC(ms, "give up after this many milliseconds (default 5000)");

static unsigned int iterations = 200000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "increments per CPU and round (default 200000)");

static unsigned long lost;
module_param(lost, ulong, 0444);
MODULE_PARM_DESC(lost, "result: increments lost (0: the CPUs never ran at the same time)");

static unsigned long rounds;
module_param(rounds, ulong, 0444);
MODULE_PARM_DESC(rounds, "result: rounds run");

static unsigned int counter;
static atomic_t ready;

static int adder(void *data)
{
	unsigned int i;

	/* Both threads start together (the host may still run one alone). */
	atomic_inc(&ready);
	while (atomic_read(&ready) < 2)
		cpu_relax();
	for (i = 0; i < iterations; i++)
		asm volatile("incl %0" : "+m" (counter));
	kthread_complete_and_exit(data, 0);
}

/* one round: 0, or -errno when a thread cannot be started */
static int one_round(void)
{
	struct completion done[2];
	struct task_struct *t;
	int cpu;

	WRITE_ONCE(counter, 0);
	atomic_set(&ready, 0);
	for (cpu = 0; cpu < 2; cpu++) {
		init_completion(&done[cpu]);
		t = kthread_run_on_cpu(adder, &done[cpu], cpu, "execmem_par/%u");
		if (IS_ERR(t)) {
			if (cpu) { /* the first one waits for a second thread */
				atomic_inc(&ready);
				wait_for_completion(&done[0]);
			}
			return PTR_ERR(t);
		}
	}
	wait_for_completion(&done[0]);
	wait_for_completion(&done[1]);
	lost += 2UL * iterations - READ_ONCE(counter);
	rounds++;
	return 0;
}

static int __init execmem_parallel_init(void)
{
	ktime_t end = ktime_add_ms(ktime_get(), ms);
	int ret;

	if (!cpu_online(0) || !cpu_online(1))
		return -ENODEV;
	do {
		ret = one_round();
		if (ret)
			return ret;
	} while (!lost && ktime_before(ktime_get(), end));
	pr_info("execmem_parallel: %lu of %lu increments lost in %lu round(s)\n",
		lost, 2UL * iterations * rounds, rounds);
	return 0;
}

static void __exit execmem_parallel_exit(void)
{
}

module_init(execmem_parallel_init);
module_exit(execmem_parallel_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem tests: did two CPUs run at the same time (lost unlocked increments)");
