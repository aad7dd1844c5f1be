// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_hostile.c - a hostile client, as KTAP.
 *
 * For @duration_ms, one kthread per online CPU calls the exported API with
 * random, invalid and adversarial arguments: bad types, sizes, alignments
 * and nodes; foreign pointers (slab, stack, vmalloc, module text, static
 * data, unaligned module-area addresses, ERR_PTR); interior pointers;
 * double frees; writes across the end, of wild lengths, from NULL, into
 * freed memory; bad names.  Then pairs of threads free an allocation while
 * the other writes to it (or frees it too).  Every call is counted by what
 * it must do (succeed or be refused); at the end execmem's counters must
 * have moved by exactly this client's counts, nothing stays live, and freed
 * memory is int3.  Calls whose argument could be the start of another
 * thread's live allocation (a stale pointer) run with the others stopped
 * (gate held for writing): an allocator cannot tell those from valid calls.
 */
#include <linux/module.h>
#include <linux/stdarg.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/rwsem.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/numa.h>
#include <linux/err.h>
#include <linux/sizes.h>
#include <execmem.h>
#include "testlib.h"

static unsigned long seed = 1;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "seed of the random choices (default 1)");
static unsigned int duration_ms = 3000;
module_param(duration_ms, uint, 0444);
MODULE_PARM_DESC(duration_ms, "time spent on random misuse (default 3000)");
static unsigned int races = 40;
module_param(races, uint, 0444);
MODULE_PARM_DESC(races, "free-while-writing and free-while-freeing rounds (default 40)");

static DECLARE_RWSEM(gate);
static int some_static_data;

struct counts {
	unsigned long allocs, frees, failed_allocs, bad_frees, writes, failed_writes;
	unsigned long names_ok, names_refused, calls;
};

struct hthread {
	struct completion done;
	u64 rnd;
	struct counts c;
	unsigned long errors;
	char first_error[96];
};

static __printf(2, 3) void herr(struct hthread *h, const char *fmt, ...)
{
	va_list args;

	if (h->errors++)
		return;
	va_start(args, fmt);
	vsnprintf(h->first_error, sizeof(h->first_error), fmt, args);
	va_end(args);
}

/* Counted wrappers: what the call did, whatever it was asked. */
static void *h_count_alloc(struct hthread *h, void *p)
{
	if (p)
		h->c.allocs++;
	else
		h->c.failed_allocs++;
	return p;
}

static void *h_alloc_for(struct hthread *h, struct module *owner)
{
	return h_count_alloc(h, execmem_alloc_for(owner, EXECMEM_DEFAULT, 64, 64,
						  NUMA_NO_NODE));
}

static void *h_alloc(struct hthread *h, enum execmem_type type, size_t size,
		     size_t align, int nid)
{
	return h_count_alloc(h, execmem_alloc_node(type, size, align, nid));
}

static void h_free(struct hthread *h, void *p, bool valid)
{
	execmem_free(p);
	if (!p)
		return;
	if (valid)
		h->c.frees++;
	else
		h->c.bad_frees++;
}

static void h_write(struct hthread *h, void *dst, const void *src, size_t len,
		    bool valid)
{
	int ret = execmem_write(dst, src, len);

	if (!ret)
		h->c.writes++;
	else
		h->c.failed_writes++;
	if (!ret != valid)
		herr(h, "write %lx+%zu: %d, expected %s", (unsigned long)dst, len, ret,
		     valid ? "success" : "refusal");
}

static void bad_requests(struct hthread *h)
{
	static const struct { int type; size_t size, align; int nid; } bad[] = {
		{ -1, 64, 64, NUMA_NO_NODE },
		{ 99, 64, 64, NUMA_NO_NODE },
		{ EXECMEM_MODULE_DATA, 64, 64, NUMA_NO_NODE },
		{ EXECMEM_TYPE_MAX, 64, 64, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, 0, 64, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, SIZE_MAX, 64, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, SIZE_MAX / 2, 64, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, 1UL << 40, 64, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, 64, 96, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, 64, 4UL << 20, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, 64, 1UL << 63, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, 64, SIZE_MAX, NUMA_NO_NODE },
		{ EXECMEM_DEFAULT, 64, 64, -7 },
		{ EXECMEM_DEFAULT, 64, 64, MAX_NUMNODES },
		{ EXECMEM_DEFAULT, 64, 64, 1 << 20 },
	};
	/* owners that are not THIS_MODULE of a loaded module */
	struct module *bad_owner[] = {
		NULL, (struct module *)&some_static_data, (struct module *)h,
		(struct module *)MODULES_VADDR, (struct module *)-1UL,
	};
	unsigned int i = rnd32(&h->rnd) % (ARRAY_SIZE(bad) + ARRAY_SIZE(bad_owner));
	void *p;

	if (i < ARRAY_SIZE(bad))
		p = h_alloc(h, bad[i].type, bad[i].size, bad[i].align, bad[i].nid);
	else
		p = h_alloc_for(h, bad_owner[i - ARRAY_SIZE(bad)]);
	if (p) {
		herr(h, "bad request %u was served: %lx", i, (unsigned long)p);
		h_free(h, p, true);
	}
}

static void foreign_frees(struct hthread *h)
{
	void *slab = kmalloc(64, GFP_KERNEL), *vm = vmalloc(PAGE_SIZE);
	int on_stack;
	void *ptrs[] = {
		slab, vm, &on_stack, &some_static_data, (void *)foreign_frees,
		THIS_MODULE, (void *)1, ERR_PTR(-ENOMEM), (void *)-1UL,
		/*
		 * Last: module-area addresses that no allocation can start at,
		 * but that an allocation of another thread may contain.
		 */
		(void *)(MODULES_VADDR + 64UL * (rnd32(&h->rnd) % 65536) + 1 + rnd32(&h->rnd) % 63),
		(void *)(MODULES_END - 1),
	};
	unsigned int i = rnd32(&h->rnd) % ARRAY_SIZE(ptrs);
	bool maybe_inside = i >= ARRAY_SIZE(ptrs) - 2;
	u8 buf[8] = { 0 };

	if (ptrs[i]) {
		h_free(h, ptrs[i], false);
		/* A write inside an allocation is valid: there, write too much. */
		h_write(h, ptrs[i], buf, maybe_inside ? SZ_1G : sizeof(buf), false);
		if (execmem_set_name(ptrs[i], "foreign") != -EINVAL)
			herr(h, "set_name on foreign %lx accepted", (unsigned long)ptrs[i]);
		h->c.names_refused++;
	}
	kfree(slab);
	vfree(vm);
}

/* Names on @p: bad ones refused, a very long one truncated. */
static void misuse_names(struct hthread *h, u8 *p)
{
	char *name;

	if (execmem_set_name(p, NULL) != -EINVAL || execmem_set_name(p, "") != -EINVAL ||
	    execmem_set_name(p + 64, "interior") != -EINVAL)
		herr(h, "bad set_name on %lx accepted", (unsigned long)p);
	h->c.names_refused += 3;
	name = kmalloc(1000, GFP_KERNEL);
	if (name) {
		memset(name, 'a', 999);
		name[999] = '\0';
		if (execmem_set_name(p, name))
			herr(h, "long name refused");
		h->c.names_ok++;
		kfree(name);
	}
}

static void misuse_one(struct hthread *h)
{
	size_t size = 128 + rnd32(&h->rnd) % 8192;
	u8 buf[64], *big;
	u8 *p;

	memset(buf, 0x90, sizeof(buf));
	p = h_alloc(h, EXECMEM_KPROBES, size, 64, NUMA_NO_NODE);
	if (!p) {
		herr(h, "allocation of %zu failed", size);
		return;
	}
	/* Interior pointers: refused, nothing changes. */
	h_free(h, p + 64, false);
	h_free(h, p + 1 + rnd32(&h->rnd) % (size - 1), false);
	/* Writes: inside works; across the end, wild lengths, NULL refused. */
	h_write(h, p + size - 8, buf, 8, true);
	h_write(h, p + size - 1, buf, 2, false);
	h_write(h, p, buf, 0, true);
	h_write(h, p, NULL, 8, false);
	h_write(h, NULL, buf, 8, false);
	h_write(h, p + 8, buf, SIZE_MAX, false);
	h_write(h, p + 8, buf, SIZE_MAX - 7, false);	/* wraps to p */
	h_write(h, p + 8, buf, 1UL << 40, false);
	if (memchr_inv(p + size - 8, 0x90, 8))
		herr(h, "the valid write at the end of %lx did not land", (unsigned long)p);
	big = kmalloc(size + 1, GFP_KERNEL);
	if (big) {
		memset(big, 0xcc, size + 1);
		h_write(h, p, big, size + 1, false);
		h_write(h, p, big, size, true);
		if (memchr_inv(p, 0xcc, size))
			herr(h, "the valid write of %zu bytes at %lx did not land", size,
			     (unsigned long)p);
		kfree(big);
	}
	misuse_names(h, p);
	h_free(h, p, true);
}

/* With the other threads stopped: p is not reused between the two frees. */
static void double_free(struct hthread *h)
{
	size_t size = 64 + rnd32(&h->rnd) % 4096;
	u8 buf[16] = { 0 };
	u8 *p;

	down_write(&gate);
	p = h_alloc(h, EXECMEM_BPF, size, 64, NUMA_NO_NODE);
	if (p) {
		h_write(h, p, buf, sizeof(buf), true);
		h_free(h, p, true);
		h_free(h, p, false);
		h_write(h, p, buf, 1, false);		/* use after free */
		if (execmem_set_name(p, "stale") != -EINVAL)
			herr(h, "set_name on freed %lx accepted", (unsigned long)p);
		h->c.names_refused++;
		if (memchr_inv(p, 0xcc, size))
			herr(h, "freed %lx is not int3 after the stale calls", (unsigned long)p);
	} else {
		herr(h, "allocation of %zu failed", size);
	}
	up_write(&gate);
}

/*
 * A write whose end wraps past 2^64: the module area ends 16 MiB below it,
 * so with 20 MiB at q, [q + 17 MiB, +(-(q + 17 MiB) + 64)) ends at 64.  A
 * check of the form "addr + len > end" let it through and text_poke ran
 * over everything after q, past MODULES_END.  Then a return sequence for
 * code in the direct map, from which no rel32 jump reaches the thunk.
 * Returns false on a failure.
 */
static bool wrapping_write(struct hthread *h)
{
	size_t size = 20 * SZ_1M;
	unsigned long at;
	u8 buf[64];
	u8 *q;

	memset(buf, 0x90, sizeof(buf));
	q = h_alloc(h, EXECMEM_MODULE_TEXT, size, 64, NUMA_NO_NODE);
	if (!q)
		return false;
	at = (unsigned long)q + 17 * SZ_1M;
	h_write(h, (void *)at, buf, -at + 64, false);
	h_write(h, (void *)at, buf, -at, false);
	h_write(h, (void *)at, buf, -at - 1, false);
	h_write(h, q + size - 64, buf, 64, true);
	h_write(h, q + size - 64, buf, 65, false);
	if (memchr_inv(q, 0xcc, size - 64) || memchr_inv(q + size - 64, 0x90, 64))
		herr(h, "memory around the wrapping writes changed");
	h_free(h, q, true);
	/* A return sequence for code in the direct map (h is kmalloc'ed). */
	if (execmem_text_gen_return(buf, (unsigned long)h) !=
	    (cpu_feature_enabled(X86_FEATURE_RETHUNK) ? 0 : 2))
		herr(h, "a return sequence was made for code in the direct map");
	return !h->errors;
}

static unsigned long deadline;

static int misuse_fn(void *data)
{
	struct hthread *h = data;
	u32 k;

	while (time_before(jiffies, deadline)) {
		k = rnd32(&h->rnd) % 16;
		if (k == 0) {
			double_free(h);
		} else {
			down_read(&gate);
			if (k < 6)
				bad_requests(h);
			else if (k < 10)
				foreign_frees(h);
			else
				misuse_one(h);
			up_read(&gate);
		}
		h->c.calls++;
		cond_resched();
	}
	complete(&h->done);
	return 0;
}

/* ---- races on one allocation ------------------------------------------ */

struct race {
	u8 *p;
	size_t size;
	bool free_vs_free;
	atomic_t stop;
	struct hthread *h;	/* this thread's counts */
	struct completion go, done;
};

static int race_fn(void *data)
{
	struct race *r = data;
	struct hthread *h = r->h;
	u8 *buf;

	buf = kmalloc(r->size, GFP_KERNEL);
	if (buf)
		memset(buf, 0x90, r->size);
	wait_for_completion(&r->go);
	if (r->free_vs_free) {
		execmem_free(r->p);	/* counted by the caller: one of two is bad */
	} else {
		while (!atomic_read(&r->stop) && buf) {
			if (!execmem_write(r->p, buf, r->size))
				h->c.writes++;
			else
				h->c.failed_writes++;
		}
	}
	kfree(buf);
	complete(&r->done);
	return 0;
}

static void races_run(struct hthread *h, unsigned long *overlapped)
{
	struct execmem_stats a, b;
	struct task_struct *k;
	struct race r;
	unsigned int i;

	for (i = 0; i < races; i++) {
		memset(&r, 0, sizeof(r));
		r.free_vs_free = i & 1;
		r.size = SZ_64K;
		r.h = h;
		init_completion(&r.go);
		init_completion(&r.done);
		r.p = h_alloc(h, EXECMEM_MODULE_TEXT, r.size, 64, NUMA_NO_NODE);
		if (!r.p) {
			herr(h, "race %u: allocation failed", i);
			continue;
		}
		k = kthread_run(race_fn, &r, "execmem-race");
		if (IS_ERR(k)) {
			herr(h, "race %u: kthread_run", i);
			h_free(h, r.p, true);
			continue;
		}
		execmem_get_stats(&a);
		complete(&r.go);
		if (!r.free_vs_free)
			udelay(rnd32(&h->rnd) % 2000);
		execmem_free(r.p);
		atomic_set(&r.stop, 1);
		wait_for_completion(&r.done);
		execmem_get_stats(&b);
		/* Exactly one of the frees took effect. */
		if (b.frees - a.frees != 1 ||
		    b.bad_frees - a.bad_frees != (r.free_vs_free ? 1 : 0))
			herr(h, "race %u: frees +%lu, bad frees +%lu", i, b.frees - a.frees,
			     b.bad_frees - a.bad_frees);
		h->c.frees++;
		if (r.free_vs_free)
			h->c.bad_frees++;
		else if (b.failed_writes > a.failed_writes && b.writes > a.writes)
			(*overlapped)++;
		if (memchr_inv(r.p, 0xcc, r.size))
			herr(h, "race %u: %lx not all int3 after the free", i, (unsigned long)r.p);
	}
}

/* misuse_fn on every online CPU until the deadline; how many ran */
static unsigned int hostile_run_threads(struct hthread *h)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu) {
		struct task_struct *k;

		init_completion(&h[cpu].done);
		h[cpu].rnd = (seed + 7) * 0x9e3779b97f4a7c15ULL * (cpu + 1) | 1;
		k = kthread_create(misuse_fn, &h[cpu], "execmem-hostile/%u", cpu);
		if (IS_ERR(k)) {
			complete(&h[cpu].done);
			continue;
		}
		kthread_bind(k, cpu);
		wake_up_process(k);
		n++;
	}
	for_each_online_cpu(cpu)
		wait_for_completion(&h[cpu].done);
	return n;
}

/* The counts of every thread (and the last, the races') into @total. */
static unsigned long hostile_sum(struct hthread *h, struct hthread *total,
				 const char **first)
{
	unsigned long errors = 0;
	unsigned int cpu;

	for (cpu = 0; cpu <= nr_cpu_ids; cpu++) {
		if (cpu < nr_cpu_ids && !cpu_online(cpu))
			continue;
		total->c.allocs += h[cpu].c.allocs;
		total->c.frees += h[cpu].c.frees;
		total->c.failed_allocs += h[cpu].c.failed_allocs;
		total->c.bad_frees += h[cpu].c.bad_frees;
		total->c.writes += h[cpu].c.writes;
		total->c.failed_writes += h[cpu].c.failed_writes;
		total->c.names_ok += h[cpu].c.names_ok;
		total->c.names_refused += h[cpu].c.names_refused;
		total->c.calls += h[cpu].c.calls;
		errors += h[cpu].errors;
		if (h[cpu].errors && !*first)
			*first = h[cpu].first_error;
	}
	return errors;
}

static int __init hostile_init(void)
{
	struct execmem_stats st0, st;
	struct hthread *h, total = {};
	unsigned long overlapped = 0, errors;
	const char *first = NULL;
	unsigned int n;
	bool wrapped;
	struct ktap t;

	ktap_begin(&t, "execmem_hostile", 5);
	h = kcalloc(nr_cpu_ids + 1, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	execmem_get_stats(&st0);
	deadline = jiffies + msecs_to_jiffies(duration_ms);
	n = hostile_run_threads(h);
	h[nr_cpu_ids].rnd = seed | 1;
	wrapped = wrapping_write(&h[nr_cpu_ids]);
	races_run(&h[nr_cpu_ids], &overlapped);
	errors = hostile_sum(h, &total, &first);
	execmem_get_stats(&st);
	ktap_diag("%u threads for %u ms: %lu rounds; %lu allocs, %lu refused allocs",
		  n, duration_ms, total.c.calls, total.c.allocs, total.c.failed_allocs);
	ktap_diag("%lu frees, %lu bad frees, %lu writes, %lu refused, %lu names set, %lu refused",
		  total.c.frees, total.c.bad_frees, total.c.writes, total.c.failed_writes,
		  total.c.names_ok, total.c.names_refused);
	ktap_result(&t, !errors,
		    "every misuse refused, every valid call served, memory intact%s%s",
		    first ? ": " : "", first ? first : "");
	ktap_result(&t, st.allocs - st0.allocs == total.c.allocs &&
		    st.frees - st0.frees == total.c.frees &&
		    st.failed_allocs - st0.failed_allocs == total.c.failed_allocs &&
		    st.bad_frees - st0.bad_frees == total.c.bad_frees &&
		    st.writes - st0.writes == total.c.writes &&
		    st.failed_writes - st0.failed_writes == total.c.failed_writes,
		    "execmem's counters moved by exactly this client's counts (allocs %lu/%lu, bad frees %lu/%lu, failed writes %lu/%lu)",
		    st.allocs - st0.allocs, total.c.allocs, st.bad_frees - st0.bad_frees,
		    total.c.bad_frees, st.failed_writes - st0.failed_writes, total.c.failed_writes);
	ktap_result(&t, wrapped,
		    "a write whose end wraps past 2^64 is refused, the valid one beside it lands; no return sequence for code out of the return thunk's reach");
	ktap_result(&t, races > 0,
		    "%u free/write and free/free races: one free wins, int3 after (%lu overlapped)",
		    races, overlapped);
	ktap_result(&t, st.live_allocs == st0.live_allocs &&
		    st.bytes_allocated == st0.bytes_allocated,
		    "nothing left live (live %lu, allocated %lu)", st.live_allocs,
		    st.bytes_allocated);
	kfree(h);
	return 0;
}

static void __exit hostile_exit(void)
{
}

module_init(hostile_init);
module_exit(hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem hostile-client KTAP test");
