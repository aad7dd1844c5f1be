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
 * lose some, but only while both are inside an instruction at once: the
 * host may give them one core between them, and then an update is lost only
 * when one vCPU's thread is descheduled half-way through its incl.  So a
 * second count tells the two apart: after each increment a thread publishes
 * its progress and reads the other's and the TSC; the other's progress
 * moving between two of its own reads less than 2 us apart (far less than a
 * host context switch and back) means both vCPUs ran at that very time.
 * Rounds repeat until both counts are non-zero or `ms` milliseconds have
 * passed.  The results are in the read-only parameters `lost` (updates lost,
 * 0: the vCPUs were never concurrent), `simultaneous` and `rounds`.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/ktime.h>
#include <linux/atomic.h>
#include <linux/string.h>
#include <linux/err.h>
#include <asm/tsc.h>

static unsigned int ms = 5000;
module_param(ms, uint, 0444);
MODULE_PARM_DESC(ms, "give up after this many milliseconds (default 5000)");

static unsigned int iterations = 200000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "increments per CPU and round (default 200000)");

static unsigned long lost;
module_param(lost, ulong, 0444);
MODULE_PARM_DESC(lost, "result: increments lost (0: the CPUs never ran at the same time)");

static unsigned long simultaneous;
module_param(simultaneous, ulong, 0444);
MODULE_PARM_DESC(simultaneous, "result: times the other CPU moved within 2 us of this one's run");

static unsigned long rounds;
module_param(rounds, ulong, 0444);
MODULE_PARM_DESC(rounds, "result: rounds run");

static unsigned int counter;
static unsigned int progress[2];
static unsigned long seen[2];
static atomic_t ready;
static cycles_t window;

struct adder_arg {
	struct completion done;
	int me;
};

static int adder(void *data)
{
	struct adder_arg *a = data;
	unsigned int i, other, last = 0;
	cycles_t t, last_t = 0;

	/* Both threads start together (the host may still run one alone). */
	atomic_inc(&ready);
	while (atomic_read(&ready) < 2)
		cpu_relax();
	for (i = 0; i < iterations; i++) {
		asm volatile("incl %0" : "+m" (counter));
		WRITE_ONCE(progress[a->me], i + 1);
		other = READ_ONCE(progress[!a->me]);
		t = get_cycles();
		if (other != last && i && t - last_t < window)
			seen[a->me]++;
		last = other;
		last_t = t;
	}
	kthread_complete_and_exit(&a->done, 0);
}

/* one round: 0, or -errno when a thread cannot be started */
static int one_round(void)
{
	struct adder_arg arg[2];
	struct task_struct *t;
	int cpu;

	WRITE_ONCE(counter, 0);
	memset(progress, 0, sizeof(progress));
	memset(seen, 0, sizeof(seen));
	atomic_set(&ready, 0);
	for (cpu = 0; cpu < 2; cpu++) {
		init_completion(&arg[cpu].done);
		arg[cpu].me = cpu;
		t = kthread_run_on_cpu(adder, &arg[cpu], cpu, "execmem_par/%u");
		if (IS_ERR(t)) {
			if (cpu) { /* the first one waits for a second thread */
				atomic_inc(&ready);
				wait_for_completion(&arg[0].done);
			}
			return PTR_ERR(t);
		}
	}
	wait_for_completion(&arg[0].done);
	wait_for_completion(&arg[1].done);
	lost += 2UL * iterations - READ_ONCE(counter);
	simultaneous += seen[0] + seen[1];
	rounds++;
	return 0;
}

static int __init execmem_parallel_init(void)
{
	ktime_t end = ktime_add_ms(ktime_get(), ms);
	int ret;

	if (!cpu_online(0) || !cpu_online(1) || !tsc_khz)
		return -ENODEV;
	window = (cycles_t)tsc_khz * 2 / 1000;	/* 2 us */
	do {
		ret = one_round();
		if (ret)
			return ret;
	} while ((!lost || !simultaneous) && ktime_before(ktime_get(), end));
	pr_info("execmem_parallel: %lu of %lu increments lost, %lu simultaneous step(s), %lu round(s)\n",
		lost, 2UL * iterations * rounds, simultaneous, rounds);
	return 0;
}

static void __exit execmem_parallel_exit(void)
{
}

module_init(execmem_parallel_init);
module_exit(execmem_parallel_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem tests: did two CPUs run at the same time (lost unlocked increments)");
