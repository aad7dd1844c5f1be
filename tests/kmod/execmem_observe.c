// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_observe.c - hold a seeded random set of allocations, churn it and
 * show this client's own accounting, for tests/guest/observe.sh.
 *
 * At load: @count slots are filled with allocations of random size (16 B to
 * 64 KiB, now and then 2-3 MiB), type, alignment and name (about half are
 * named with execmem_set_name()), some of them partly written.  A kthread
 * then churns: it frees a random slot and refills it, renames, writes, and
 * now and then makes a request that execmem must refuse (bad type, interior
 * free, write past the end), counting each outcome.
 *
 * /sys/kernel/debug/execmem_observe/
 *   summary      "key value" lines: this client's view of its allocations
 *                and of the calls it made (see struct hold_counts)
 *   allocations  "address size type name" per live allocation, in execmem's
 *                own format ("-": no name)
 *   ctl          write "pause" (returns once no call is in flight and none
 *                will start) or "resume"
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/numa.h>
#include <execmem.h>
#include "testlib.h"

static unsigned long seed = 1;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "seed of the random choices (default 1)");

static unsigned int count = 200;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "allocations held (default 200)");

static bool churn = true;
module_param(churn, bool, 0444);
MODULE_PARM_DESC(churn, "free and reallocate continually (default on)");

struct hold_slot {
	u8 *p;
	size_t size;
	enum execmem_type type;
	char name[32];		/* empty: not named */
};

/* What this client did and holds; compared with execmem's counters. */
struct hold_counts {
	unsigned long live, bytes, rounded, named;
	unsigned long allocs, frees, failed_allocs, bad_frees;
	unsigned long writes, bytes_written, failed_writes, renames;
};

static struct hold_slot *slots;
static struct hold_counts hc;
static DEFINE_MUTEX(hold_lock);	/* slots, hc, paused; held across each call */
static bool paused;
static u64 rnd_state;
static unsigned long serial;
static struct task_struct *churner;
static struct dentry *hold_dir;
static u8 fill[4096];

static const enum execmem_type hold_types[] = {
	EXECMEM_DEFAULT, EXECMEM_KPROBES, EXECMEM_FTRACE, EXECMEM_BPF,
};

static const char *const hold_type_names[] = {
	[EXECMEM_DEFAULT] = "text",
	[EXECMEM_KPROBES] = "kprobes",
	[EXECMEM_FTRACE] = "ftrace",
	[EXECMEM_BPF] = "bpf",
};

static u32 rnd_below(u32 n)
{
	return rnd32(&rnd_state) % n;
}

static size_t rnd_size(void)
{
	u32 k = rnd_below(1000);

	if (k < 3)
		return (2 << 20) + rnd_below(1 << 20);	/* more than a region */
	if (k < 100)
		return 4096 + rnd_below(60 << 10);
	return 16 + rnd_below(4080);
}

/* Under hold_lock. */
static void hold_name(struct hold_slot *s)
{
	char name[sizeof(s->name)];

	snprintf(name, sizeof(name), "hold_%lu_%lu", seed, serial++);
	if (execmem_set_name(s->p, name))
		return;
	if (!s->name[0])
		hc.named++;
	else
		hc.renames++;
	strscpy(s->name, name, sizeof(s->name));
}

/* Under hold_lock. */
static void hold_write(struct hold_slot *s)
{
	size_t len = min_t(size_t, s->size, sizeof(fill));
	size_t off = rnd_below(s->size - len + 1);

	len = 1 + rnd_below(len);
	if (execmem_write(s->p + off, fill, len)) {
		hc.failed_writes++;	/* counted as a failure of the test */
		return;
	}
	hc.writes++;
	hc.bytes_written += len;
}

/* Under hold_lock: release slot @s, if it holds memory. */
static void hold_free(struct hold_slot *s)
{
	if (!s->p)
		return;
	execmem_free(s->p);
	hc.frees++;
	hc.live--;
	hc.bytes -= s->size;
	hc.rounded -= ALIGN(s->size, 64);
	if (s->name[0])
		hc.named--;
	s->p = NULL;
	s->name[0] = '\0';
}

/* Under hold_lock: fill slot @s (empty) with a random allocation. */
static void hold_alloc(struct hold_slot *s)
{
	enum execmem_type type = hold_types[rnd_below(ARRAY_SIZE(hold_types))];
	size_t size = rnd_size();
	u32 k = rnd_below(16);
	void *p;

	if (k == 0)
		p = execmem_alloc_aligned(type, size, 4096);
	else if (k == 1)
		p = execmem_alloc_node(type, size, 0, NUMA_NO_NODE);
	else
		p = execmem_alloc(type, size);
	if (!p) {
		hc.failed_allocs++;
		return;
	}
	s->p = p;
	s->size = size;
	s->type = type;
	s->name[0] = '\0';
	hc.allocs++;
	hc.live++;
	hc.bytes += size;
	hc.rounded += ALIGN(size, 64);
	if (rnd_below(2))
		hold_name(s);
	if (rnd_below(2))
		hold_write(s);
}

/* Under hold_lock: one churn step. */
static void hold_step(void)
{
	struct hold_slot *s = &slots[rnd_below(count)];
	u32 k = rnd_below(64);

	if (k == 0) {
		/* Not a served type: refused and counted as a failed alloc. */
		if (!execmem_alloc(EXECMEM_MODULE_DATA, 64))
			hc.failed_allocs++;
		return;
	}
	if (k == 1 && s->p && s->size > 64) {
		/* An interior pointer: refused, counted, nothing changes. */
		execmem_free(s->p + 64);
		hc.bad_frees++;
		return;
	}
	if (k == 2 && s->p) {
		/* Two bytes, the second past the end: refused. */
		if (execmem_write(s->p + s->size - 1, fill, 2))
			hc.failed_writes++;
		else
			hc.writes++;	/* would be a bug: the test sees it */
		return;
	}
	if (k == 3 && s->p) {
		hold_name(s);
		return;
	}
	if (k == 4 && s->p) {
		hold_write(s);
		return;
	}
	hold_free(s);
	hold_alloc(s);
}

static int hold_thread(void *unused)
{
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		mutex_lock(&hold_lock);
		if (!paused)
			hold_step();
		mutex_unlock(&hold_lock);
		if (paused || !(++n % 8))
			msleep(paused ? 20 : 1);
		else
			cond_resched();
	}
	return 0;
}

static int summary_show(struct seq_file *m, void *v)
{
	mutex_lock(&hold_lock);
	seq_printf(m, "seed %lu\n", seed);
	seq_printf(m, "slots %u\n", count);
	seq_printf(m, "paused %d\n", paused);
	seq_printf(m, "live %lu\n", hc.live);
	seq_printf(m, "bytes %lu\n", hc.bytes);
	seq_printf(m, "rounded %lu\n", hc.rounded);
	seq_printf(m, "named %lu\n", hc.named);
	seq_printf(m, "allocs %lu\n", hc.allocs);
	seq_printf(m, "frees %lu\n", hc.frees);
	seq_printf(m, "failed_allocs %lu\n", hc.failed_allocs);
	seq_printf(m, "bad_frees %lu\n", hc.bad_frees);
	seq_printf(m, "writes %lu\n", hc.writes);
	seq_printf(m, "bytes_written %lu\n", hc.bytes_written);
	seq_printf(m, "failed_writes %lu\n", hc.failed_writes);
	seq_printf(m, "renames %lu\n", hc.renames);
	mutex_unlock(&hold_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(summary);

static int allocations_show(struct seq_file *m, void *v)
{
	unsigned int i;

	mutex_lock(&hold_lock);
	for (i = 0; i < count; i++) {
		struct hold_slot *s = &slots[i];

		if (s->p)
			seq_printf(m, "%016lx %zu %s %s\n", (unsigned long)s->p,
				   s->size, hold_type_names[s->type],
				   s->name[0] ? s->name : "-");
	}
	mutex_unlock(&hold_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(allocations);

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char buf[16];

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	mutex_lock(&hold_lock);	/* no call in flight once we hold it */
	if (sysfs_streq(buf, "pause"))
		paused = true;
	else if (sysfs_streq(buf, "resume"))
		paused = false;
	else
		len = -EINVAL;
	mutex_unlock(&hold_lock);
	return len;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
	.llseek = noop_llseek,
};

static void hold_release_all(void)
{
	unsigned int i;

	mutex_lock(&hold_lock);
	for (i = 0; i < count; i++)
		hold_free(&slots[i]);
	mutex_unlock(&hold_lock);
}

static int __init hold_init(void)
{
	unsigned int i;

	if (!count)
		return -EINVAL;
	slots = kvcalloc(count, sizeof(*slots), GFP_KERNEL);
	if (!slots)
		return -ENOMEM;
	memset(fill, 0xcc, sizeof(fill));	/* int3, like free memory */
	rnd_state = seed ? seed : 1;
	mutex_lock(&hold_lock);
	for (i = 0; i < count; i++)
		hold_alloc(&slots[i]);
	mutex_unlock(&hold_lock);

	hold_dir = debugfs_create_dir("execmem_observe", NULL);
	debugfs_create_file("summary", 0444, hold_dir, NULL, &summary_fops);
	debugfs_create_file("allocations", 0444, hold_dir, NULL,
			    &allocations_fops);
	debugfs_create_file("ctl", 0200, hold_dir, NULL, &ctl_fops);

	if (churn) {
		churner = kthread_run(hold_thread, NULL, "execmem_observe");
		if (IS_ERR(churner)) {
			debugfs_remove_recursive(hold_dir);
			hold_release_all();
			kvfree(slots);
			return PTR_ERR(churner);
		}
	}
	pr_info("execmem_observe: seed %lu: %lu allocations, %lu bytes, %lu named\n",
		seed, hc.live, hc.bytes, hc.named);
	return 0;
}

static void __exit hold_exit(void)
{
	if (churner)
		kthread_stop(churner);
	debugfs_remove_recursive(hold_dir);
	hold_release_all();
	kvfree(slots);
}

module_init(hold_init);
module_exit(hold_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem test: hold and churn allocations, show own accounting");
