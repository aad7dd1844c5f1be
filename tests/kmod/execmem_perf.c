// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_perf.c - a named busy loop in execmem, for tests/guest/perf.sh:
 * perf's samples that land in it must be attributed to its name.
 *
 * At load: one allocation holding a generated function
 *	[endbr64]  mov $loops, %ecx;  1: dec %ecx; jnz 1b;  return
 * named "execmem_perf_loop" with execmem_set_name() (which announces it to
 * perf with a PERF_RECORD_KSYMBOL event), then a kthread "execmem_perf"
 * that calls it over and over until unload (at most @secs seconds).  The
 * number of calls is logged at unload.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <execmem.h>
#include "testlib.h"

#define PERF_LOOP_NAME "execmem_perf_loop"

static unsigned int secs = 60;
module_param(secs, uint, 0444);
MODULE_PARM_DESC(secs, "at most this many seconds in the loop, then idle until unload (default 60)");

static unsigned int loops = 1000000;
module_param(loops, uint, 0444);
MODULE_PARM_DESC(loops, "iterations per call of the generated loop (default 1000000)");

static u8 *text;
static struct task_struct *runner;
static unsigned long calls;

static size_t gen_loop(u8 *buf, unsigned long ip)
{
	size_t n = tl_gen_endbr(buf);

	buf[n++] = 0xb9;			/* mov $loops, %ecx */
	memcpy(buf + n, &loops, sizeof(loops));
	n += sizeof(loops);
	buf[n++] = 0xff;			/* 1: dec %ecx */
	buf[n++] = 0xc9;
	buf[n++] = 0x75;			/* jnz 1b */
	buf[n++] = 0xfc;
	return n + execmem_text_gen_return(buf + n, ip + n);
}

static int perf_thread(void *unused)
{
	void (*fn)(void) = (void *)text;
	unsigned long end = jiffies + secs * HZ;

	while (!kthread_should_stop() && time_before(jiffies, end)) {
		fn();
		calls++;
		cond_resched();
	}
	/* Park until kthread_stop(): the module owns the task's lifetime. */
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int __init perf_init(void)
{
	u8 code[32];
	size_t n;
	int ret;

	if (!loops)
		return -EINVAL;
	text = execmem_alloc(EXECMEM_DEFAULT, sizeof(code));
	if (!text)
		return -ENOMEM;
	memset(code, 0xcc, sizeof(code));
	n = gen_loop(code, (unsigned long)text);
	if (WARN_ON(n > sizeof(code))) {
		ret = -EINVAL;
		goto out;
	}
	ret = execmem_write(text, code, sizeof(code));
	if (!ret)
		ret = execmem_set_name(text, PERF_LOOP_NAME);
	if (ret)
		goto out;
	runner = kthread_run(perf_thread, NULL, "execmem_perf");
	if (IS_ERR(runner)) {
		ret = PTR_ERR(runner);
		goto out;
	}
	pr_info("execmem_perf: %s, %zu bytes, looping for at most %u s\n",
		PERF_LOOP_NAME, sizeof(code), secs);
	return 0;
out:
	execmem_free(text);
	return ret;
}

static void __exit perf_exit(void)
{
	kthread_stop(runner);
	pr_info("execmem_perf: %lu calls of %s\n", calls, PERF_LOOP_NAME);
	execmem_free(text);
}

module_init(perf_init);
module_exit(perf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: a named busy loop in execmem for perf");
