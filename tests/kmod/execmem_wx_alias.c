// SPDX-License-Identifier: GPL-2.0
/*
 * No writable alias of our code at any moment of a write, as KTAP.
 *
 * One CPU writes a 1 MiB allocation over and over with execmem_write()
 * (text_poke_copy in 64 KiB chunks) while a kthread bound to another CPU
 * walks the kernel page tables (lookup_address) the whole time: every 4 KiB
 * of the allocation must stay mapped read-only+executable, and the
 * direct-map alias of every backing page must never be writable.  The
 * temporary mapping text_poke writes through lives in a private mm loaded
 * only on the writing CPU; it is not in the kernel page tables and so is
 * not visible to other CPUs: that is the point of it.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/vmalloc.h>
#include <linux/delay.h>
#include <linux/cpumask.h>
#include "testlib.h"

static unsigned int seconds = 2;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "how long to write");

#define ALIAS_SIZE	SZ_1M

struct watch {
	u8 *p;
	struct completion done;
	bool stop;
	unsigned long sweeps, checks, bad_map, bad_alias;
};

static bool alias_writable(const void *p)
{
	unsigned int level;
	pte_t *pte;

	pte = lookup_address((unsigned long)page_address(vmalloc_to_page(p)), &level);
	return pte && pte_present(*pte) && pte_write(*pte);
}

static int watch_fn(void *data)
{
	struct watch *w = data;
	size_t off;

	while (!READ_ONCE(w->stop)) {
		for (off = 0; off < ALIAS_SIZE; off += PAGE_SIZE) {
			w->bad_map += !mapped_rox(w->p + off);
			w->bad_alias += alias_writable(w->p + off);
			w->checks++;
		}
		w->sweeps++;
		cond_resched();
	}
	complete(&w->done);
	return 0;
}

static int __init alias_init(void)
{
	unsigned long writes = 0, failed = 0, deadline;
	struct watch w = { .stop = false };
	struct task_struct *k;
	unsigned int cpu, other;
	struct ktap t;
	u8 *buf;

	ktap_begin(&t, "execmem_wx_alias", 3);
	buf = vmalloc(ALIAS_SIZE);
	w.p = execmem_alloc(EXECMEM_MODULE_TEXT, ALIAS_SIZE);
	cpu = get_cpu();
	put_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	if (!ktap_result(&t, buf && w.p && other < nr_cpu_ids,
			 "a 1 MiB allocation and a second CPU to watch from")) {
		execmem_free(w.p);
		vfree(buf);
		return 0;
	}
	init_completion(&w.done);
	k = kthread_create(watch_fn, &w, "execmem-alias");
	if (IS_ERR(k)) {
		ktap_result(&t, false, "watcher thread");
		goto out;
	}
	kthread_bind(k, other);
	wake_up_process(k);

	deadline = jiffies + seconds * HZ;
	while (time_before(jiffies, deadline)) {
		memset(buf, (u8)writes, ALIAS_SIZE);
		failed += !!execmem_write(w.p, buf, ALIAS_SIZE);
		writes++;
		cond_resched();
	}
	WRITE_ONCE(w.stop, true);
	wait_for_completion(&w.done);

	ktap_result(&t, !failed && writes && w.sweeps >= 2,
		    "%lu writes of 1 MiB (%lu failed) while CPU %u made %lu sweeps (%lu checks)",
		    writes, failed, other, w.sweeps, w.checks);
	ktap_result(&t, !w.bad_map && !w.bad_alias,
		    "never writable: allocation %lu, direct-map alias %lu times",
		    w.bad_map, w.bad_alias);
out:
	execmem_free(w.p);
	vfree(buf);
	return 0;
}

static void __exit alias_exit(void)
{
}

module_init(alias_init);
module_exit(alias_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem: no writable alias while code is written");
