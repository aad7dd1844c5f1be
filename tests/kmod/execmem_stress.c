// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_stress.c - concurrency and NUMA, as KTAP.
 *
 * One kthread per online CPU allocates, writes, calls, checks and frees at
 * the same time as the others (random sizes 16 B..64 KiB, a window of live
 * allocations freed in random order).  Then, when there are two or more
 * NUMA nodes, checks that execmem_alloc_node() and execmem_alloc() from a
 * CPU of each node return memory on that node.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>
#include <linux/nodemask.h>
#include <linux/topology.h>
#include <asm/pgtable.h>
#include <execmem.h>
#include "testlib.h"

static unsigned int iterations = 3000;
module_param(iterations, uint, 0444);
MODULE_PARM_DESC(iterations, "allocations per thread");

#define WINDOW 32	/* live allocations per thread (on its stack) */

struct worker {
	struct completion done;
	u64 rnd;
	unsigned int cpu;
	unsigned long errors, allocs;
};

static int worker_fn(void *data)
{
	struct worker *w = data;
	u8 *live[WINDOW] = { NULL };
	u32 val[WINDOW];
	u8 code[32];
	unsigned int i, slot;
	int (*fn)(void);
	size_t n;

	for (i = 0; i < iterations; i++) {
		slot = rnd32(&w->rnd) % WINDOW;
		if (live[slot]) {
			fn = (void *)live[slot];
			if (fn() != val[slot])
				w->errors++;
			execmem_free(live[slot]);
		}
		live[slot] = execmem_alloc(EXECMEM_BPF, 16 + rnd32(&w->rnd) % SZ_64K);
		if (!live[slot]) {
			w->errors++;
			continue;
		}
		w->allocs++;
		val[slot] = rnd32(&w->rnd);
		n = gen_ret_const(code, (unsigned long)live[slot], val[slot]);
		if (execmem_write(live[slot], code, n) || !mapped_rox(live[slot]))
			w->errors++;
		cond_resched();
	}
	for (slot = 0; slot < WINDOW; slot++) {
		if (!live[slot])
			continue;
		fn = (void *)live[slot];
		if (fn() != val[slot])
			w->errors++;
		execmem_free(live[slot]);
	}
	complete(&w->done);
	return 0;
}

struct node_probe {
	struct completion done;
	int nid;
	void *p;
};

static int node_probe_fn(void *data)
{
	struct node_probe *np = data;

	np->p = execmem_alloc(EXECMEM_MODULE_TEXT, 4096);
	complete(&np->done);
	return 0;
}

static int page_nid(const void *p)
{
	return page_to_nid(vmalloc_to_page(p));
}

static void numa_tests(struct ktap *t)
{
	bool ok_node = true, ok_local = true;
	struct node_probe np;
	struct task_struct *k;
	int nid, cpu;
	void *p;

	if (num_online_nodes() < 2) {
		pr_info("ok %d - execmem_alloc_node places memory on the node asked # SKIP one NUMA node\n",
			++t->n);
		pr_info("ok %d - execmem_alloc is node-local to the calling CPU # SKIP one NUMA node\n",
			++t->n);
		return;
	}
	for_each_online_node(nid) {
		p = execmem_alloc_node(EXECMEM_MODULE_TEXT, 4096, 64, nid);
		ktap_diag("node %d: execmem_alloc_node -> %p on node %d", nid, p,
			  p ? page_nid(p) : -1);
		ok_node &= p && page_nid(p) == nid;
		execmem_free(p);

		cpu = cpumask_first(cpumask_of_node(nid));
		if (cpu >= nr_cpu_ids)
			continue;
		init_completion(&np.done);
		np.p = NULL;
		k = kthread_create(node_probe_fn, &np, "execmem-numa/%d", nid);
		if (IS_ERR(k)) {
			ok_local = false;
			continue;
		}
		kthread_bind(k, cpu);
		wake_up_process(k);
		wait_for_completion(&np.done);
		ktap_diag("node %d (cpu %d): execmem_alloc -> %p on node %d", nid, cpu,
			  np.p, np.p ? page_nid(np.p) : -1);
		ok_local &= np.p && page_nid(np.p) == nid;
		execmem_free(np.p);
	}
	ktap_result(t, ok_node, "execmem_alloc_node places memory on the node asked");
	ktap_result(t, ok_local, "execmem_alloc is node-local to the calling CPU");
}

static int __init stress_init(void)
{
	unsigned long splits0, errors = 0, allocs = 0;
	struct execmem_stats st;
	struct worker *w;
	struct ktap t;
	unsigned int cpu, nr = 0;

	ktap_begin(&t, "execmem_stress", 6);
	w = kcalloc(nr_cpu_ids, sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	splits0 = l2_splits();
	for_each_online_cpu(cpu) {
		struct task_struct *k;

		init_completion(&w[cpu].done);
		w[cpu].rnd = 0x9e3779b97f4a7c15ULL * (cpu + 1);
		w[cpu].cpu = cpu;
		k = kthread_create(worker_fn, &w[cpu], "execmem-stress/%u", cpu);
		if (IS_ERR(k)) {
			w[cpu].errors++;
			complete(&w[cpu].done);
			continue;
		}
		kthread_bind(k, cpu);
		wake_up_process(k);
		nr++;
	}
	for_each_online_cpu(cpu) {
		wait_for_completion(&w[cpu].done);
		errors += w[cpu].errors;
		allocs += w[cpu].allocs;
	}
	ktap_result(&t, nr >= 2 || num_online_cpus() < 2, "%u threads, one per CPU", nr);
	ktap_result(&t, !errors && allocs == (unsigned long)nr * iterations,
		    "%lu concurrent allocate/write/call/free cycles, %lu errors", allocs, errors);
	execmem_get_stats(&st);
	ktap_result(&t, st.live_allocs == 0 && st.bytes_allocated == 0 &&
		    st.regions == st.regions_empty,
		    "pool empty afterwards (%lu regions, all spare)", st.regions);
	ktap_result(&t, l2_splits() == splits0, "direct_map_level2_splits unchanged");
	numa_tests(&t);
	kfree(w);
	return 0;
}

static void __exit stress_exit(void)
{
}

module_init(stress_init);
module_exit(stress_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem concurrency and NUMA KTAP tests");
