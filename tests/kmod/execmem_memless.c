// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_memless.c - region growth on a node without memory, and the race
 * of a growing allocation with a free that makes room, as KTAP.
 *
 * Load execmem with spare_regions=0 first: then no snapshot of the counters
 * may ever show an empty region, because a free that empties a region
 * releases it, and a region grown for a request serves that request, both
 * under the same hold of execmem's lock.
 *
 * 1. A thread bound to the last CPU (on a memoryless node in the guest of
 *    tests/guest/memless.sh) makes @count allocations of 64 bytes: at most
 *    one region may be created for them, and none left empty.
 * 2. For @duration_ms, a thread on the last CPU allocates 1 MiB blocks (two
 *    fill a region: every third one or so needs a new region) while a
 *    thread on the first CPU frees random blocks, so that frees make room
 *    while an allocation has dropped the lock to map a region.  No snapshot
 *    shows an empty region; after all is freed, no region is left.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/spinlock.h>
#include <linux/jiffies.h>
#include <linux/nodemask.h>
#include <linux/sizes.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <execmem.h>
#include "testlib.h"

static unsigned int count = 200;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "allocations of 64 bytes from the last CPU (default 200)");
static unsigned int duration_ms = 3000;
module_param(duration_ms, uint, 0444);
MODULE_PARM_DESC(duration_ms, "time of the grow/free race (default 3000)");

#define NBLK 16

static struct {
	spinlock_t lock;		/* protects blk[] */
	void *blk[NBLK];
	unsigned long deadline;
	unsigned long allocs, frees, empty_seen, max_regions;
	struct completion done[2];
} rc;

static bool empty_region_seen(void)
{
	struct execmem_stats st;

	execmem_get_stats(&st);
	if (st.regions > rc.max_regions)
		rc.max_regions = st.regions;
	return st.regions_empty != 0;
}

static int small_fn(void *data)
{
	struct ktap *t = data;
	struct execmem_stats st0, st1;
	unsigned int i, empty = 0, nid = numa_node_id();
	void **p = kcalloc(count, sizeof(*p), GFP_KERNEL);
	bool ok = !!p;

	execmem_get_stats(&st0);
	for (i = 0; p && i < count; i++) {
		p[i] = execmem_alloc(EXECMEM_MODULE_TEXT, 64);
		ok &= p[i] && mapped_rox(p[i]);
		empty += empty_region_seen();
	}
	execmem_get_stats(&st1);
	ktap_result(t, ok && st1.regions_created - st0.regions_created <= 1 && !empty,
		    "%u allocations of 64 B from CPU %d (node %u, %s) created %lu region(s), %u snapshot(s) with an empty one",
		    count, raw_smp_processor_id(), nid,
		    node_state(nid, N_MEMORY) ? "with memory" : "memoryless",
		    st1.regions_created - st0.regions_created, empty);
	for (i = 0; p && i < count; i++)
		execmem_free(p[i]);
	kfree(p);
	complete(&rc.done[0]);
	return 0;
}

static int grow_fn(void *data)
{
	u64 rnd = 1;
	void *q;
	int i;

	while (time_before(jiffies, rc.deadline)) {
		q = execmem_alloc(EXECMEM_MODULE_TEXT, SZ_1M);
		if (!q)
			continue;
		rc.allocs++;
		rc.empty_seen += empty_region_seen();
		i = rnd32(&rnd) % NBLK;
		spin_lock(&rc.lock);
		swap(q, rc.blk[i]);
		spin_unlock(&rc.lock);
		if (q) {
			execmem_free(q);
			rc.frees++;
		}
		cond_resched();
	}
	complete(&rc.done[0]);
	return 0;
}

static int free_fn(void *data)
{
	u64 rnd = 7;
	void *q;
	int i;

	while (time_before(jiffies, rc.deadline)) {
		i = rnd32(&rnd) % NBLK;
		spin_lock(&rc.lock);
		q = rc.blk[i];
		rc.blk[i] = NULL;
		spin_unlock(&rc.lock);
		if (q) {
			execmem_free(q);
			rc.frees++;
		}
		usleep_range(50, 200);
	}
	complete(&rc.done[1]);
	return 0;
}

static void run_on(int (*fn)(void *), void *data, unsigned int cpu,
		   struct completion *done)
{
	struct task_struct *k = kthread_create(fn, data, "execmem-memless/%u", cpu);

	if (IS_ERR(k)) {
		complete(done);
		return;
	}
	kthread_bind(k, cpu);
	wake_up_process(k);
}

static int __init memless_init(void)
{
	unsigned int first = cpumask_first(cpu_online_mask);
	unsigned int last = cpumask_last(cpu_online_mask);
	struct execmem_stats st;
	struct ktap t;
	int i;

	ktap_begin(&t, "execmem_memless", 2);
	spin_lock_init(&rc.lock);
	init_completion(&rc.done[0]);
	run_on(small_fn, &t, last, &rc.done[0]);
	wait_for_completion(&rc.done[0]);

	reinit_completion(&rc.done[0]);
	init_completion(&rc.done[1]);
	rc.deadline = jiffies + msecs_to_jiffies(duration_ms);
	run_on(grow_fn, NULL, last, &rc.done[0]);
	run_on(free_fn, NULL, first, &rc.done[1]);
	wait_for_completion(&rc.done[0]);
	wait_for_completion(&rc.done[1]);
	for (i = 0; i < NBLK; i++) {
		if (rc.blk[i]) {
			execmem_free(rc.blk[i]);
			rc.frees++;
		}
	}
	execmem_get_stats(&st);
	ktap_result(&t, rc.allocs && rc.allocs == rc.frees && !rc.empty_seen &&
		    !st.regions && st.regions_created == st.regions_released,
		    "grow/free race: %lu allocations of 1 MiB, %lu regions created (at most %lu at once), %lu snapshot(s) with an empty region, %lu left",
		    rc.allocs, st.regions_created, rc.max_regions, rc.empty_seen,
		    st.regions);
	return 0;
}

static void __exit memless_exit(void)
{
}

module_init(memless_init);
module_exit(memless_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: growth on a memoryless node, grow/free race");
