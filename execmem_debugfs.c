// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/execmem/: counters and tables.
 *
 * Every file is read-only text (no ioctl, no mmap), so it stays readable
 * under kernel lockdown's integrity mode.  Formats are documented in
 * docs/debugfs.md; the first line of each table names its columns.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <execmem.h>
#include "execmem_views.h"
#include "execmem_regions.h"
#include "execmem_syms.h"
#include "execmem_vmstat.h"
#include "execmem_host.h"
#include "execmem_dmap.h"
#include "execmem_census.h"
#include "execmem_debugfs.h"

static struct dentry *xm_dir;
static unsigned long xm_l2_base, xm_l3_base;	/* direct-map splits at load */

/*
 * Addresses are shown to readers who may see kernel addresses, as
 * /proc/kallsyms decides (kptr_restrict, CAP_SYSLOG of the opener); others
 * read zeros, so that the files keep their format.
 */
static bool xm_show_addresses(struct seq_file *m)
{
	return xm_call(kallsyms_show_value)(m->file->f_cred);
}

/* A table being printed, for the views' callbacks. */
struct xm_rows {
	struct seq_file *m;
	bool show;		/* xm_show_addresses() */
};

static const char *const xm_type_names[] = {
	[EXECMEM_DEFAULT] = "text",
	[EXECMEM_KPROBES] = "kprobes",
	[EXECMEM_FTRACE] = "ftrace",
	[EXECMEM_BPF] = "bpf",
};

static const char *xm_type_name(enum execmem_type t)
{
	if (t < ARRAY_SIZE(xm_type_names) && xm_type_names[t])
		return xm_type_names[t];
	return "?";
}

static int stats_show(struct seq_file *m, void *v)
{
	unsigned long l2, l3, largest, free_bytes;
	struct execmem_stats st;

	xm_direct_map_splits(&l2, &l3);
	xm_view_stats(&st, &largest);
	free_bytes = st.bytes_mapped - st.bytes_allocated;

	seq_printf(m, "regions %lu\n", st.regions);
	seq_printf(m, "regions_huge %lu\n", st.regions_huge);
	seq_printf(m, "regions_fallback %lu\n", st.regions_fallback);
	seq_printf(m, "regions_empty %lu\n", st.regions_empty);
	seq_printf(m, "bytes_mapped %lu\n", st.bytes_mapped);
	seq_printf(m, "bytes_allocated %lu\n", st.bytes_allocated);
	seq_printf(m, "bytes_requested %lu\n", st.bytes_requested);
	seq_printf(m, "bytes_free %lu\n", free_bytes);
	seq_printf(m, "largest_free_extent %lu\n", largest);
	/* Fragmentation index: 1 - largest free extent / total free, x1000. */
	seq_printf(m, "fragmentation_permille %lu\n",
		   free_bytes ? 1000 - largest * 1000 / free_bytes : 0);
	seq_printf(m, "live_allocs %lu\n", st.live_allocs);
	seq_printf(m, "allocs %lu\n", st.allocs);
	seq_printf(m, "frees %lu\n", st.frees);
	seq_printf(m, "failed_allocs %lu\n", st.failed_allocs);
	seq_printf(m, "bad_frees %lu\n", st.bad_frees);
	seq_printf(m, "writes %lu\n", st.writes);
	seq_printf(m, "bytes_written %lu\n", st.bytes_written);
	seq_printf(m, "failed_writes %lu\n", st.failed_writes);
	seq_printf(m, "regions_created %lu\n", st.regions_created);
	seq_printf(m, "regions_released %lu\n", st.regions_released);
	seq_printf(m, "bytes_limit %lu\n", st.bytes_limit);
	seq_printf(m, "limit_failures %lu\n", st.limit_failures);
	seq_printf(m, "bytes_hosted %lu\n", st.bytes_hosted);
	seq_printf(m, "owner_refusals %lu\n", st.owner_refusals);
	seq_printf(m, "direct_map_level2_splits_since_load %lu\n", l2 - xm_l2_base);
	seq_printf(m, "direct_map_level3_splits_since_load %lu\n", l3 - xm_l3_base);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static const char *xm_level_name(unsigned long base, size_t size)
{
	static const char *const names[] = { "none", "4K", "2M", "1G" };
	int first = xm_mapping_level(base);
	unsigned long off;

	for (off = PMD_SIZE; off < size; off += PMD_SIZE)
		if (xm_mapping_level(base + off) != first)
			return "mixed";
	return names[first];
}

/*
 * Column names of the free-extent histogram: bucket i counts the free
 * extents of [64 << i, 128 << i) bytes; the last one everything larger.
 */
static const char *const xm_hist_names[XP_HIST_BUCKETS] = {
	"64", "128", "256", "512", "1K", "2K", "4K", "8K", "16K", "32K",
	"64K", "128K", "256K", "512K", "1M", "2M+",
};

static void xm_region_row(void *arg, const struct xm_region_view *r)
{
	const struct xm_rows *t = arg;
	struct seq_file *m = t->m;
	int i;

	seq_printf(m, "%016lx %zu %d %s %d %d %lu %zu %zu %zu",
		   t->show ? r->base : 0, r->size, r->node,
		   xm_level_name(r->base, r->size), xm_mapping_rox(r->base),
		   r->fallback, r->nr_allocs, r->size - r->free_bytes,
		   r->free_bytes, r->largest_free);
	for (i = 0; i < XP_HIST_BUCKETS; i++)
		seq_printf(m, " %lu", r->hist[i]);
	seq_putc(m, '\n');
}

static int regions_show(struct seq_file *m, void *v)
{
	struct xm_rows t = { .m = m, .show = xm_show_addresses(m) };
	int i;

	seq_puts(m, "base size node level rox fallback allocs used free largest_free");
	for (i = 0; i < XP_HIST_BUCKETS; i++)
		seq_printf(m, " %s", xm_hist_names[i]);
	seq_putc(m, '\n');
	xm_view_regions(xm_region_row, &t);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(regions);

/*
 * A client-chosen name as one field: whitespace, control characters, bytes
 * above 0x7e and the brackets perf takes for a module name become '_'.
 */
static void xm_put_name(struct seq_file *m, const char *name)
{
	for (; *name; name++)
		seq_putc(m, *name > ' ' && *name <= '~' && *name != '[' &&
			 *name != ']' ? *name : '_');
}

static void xm_allocation_row(void *arg, const struct xm_record_view *a)
{
	const struct xm_rows *t = arg;
	struct seq_file *m = t->m;

	seq_printf(m, "%016lx %zu %s %s ", t->show ? a->start : 0,
		   a->size, xm_type_name(a->type), a->owner);
	xm_put_name(m, a->name ? a->name : "-");
	seq_putc(m, '\n');
}

static int allocations_show(struct seq_file *m, void *v)
{
	struct xm_rows t = { .m = m, .show = xm_show_addresses(m) };

	seq_puts(m, "address size type owner name\n");
	xm_view_records(xm_allocation_row, &t);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(allocations);

static void xm_owner_row(void *arg, const struct xm_owner_view *o)
{
	if (o->count)
		seq_printf(arg, "%s %lu %lu\n", o->name, o->count, o->bytes);
}

static int owners_show(struct seq_file *m, void *v)
{
	seq_puts(m, "owner allocations bytes\n");
	xm_view_owners(xm_owner_row, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(owners);

/*
 * /proc/kallsyms format, as perf's kallsyms__parse() reads it: 16 hex
 * digits, " t ", the name, a tab and a bracketed pseudo-module name, like
 * the kernel's own out-of-module text ("[bpf]", "[__builtin__kprobes]").
 * Not "[execmem]": perf would file the symbols under the map of execmem.ko
 * itself.
 */
static void xm_symbol_row(void *arg, const struct xm_record_view *a)
{
	const struct xm_rows *t = arg;
	struct seq_file *m = t->m;

	if (!a->name)
		return;
	seq_printf(m, "%016lx t ", t->show ? a->start : 0);
	xm_put_name(m, a->name);
	seq_puts(m, "\t[execmem_text]\n");
}

static int symbols_show(struct seq_file *m, void *v)
{
	struct xm_rows t = { .m = m, .show = xm_show_addresses(m) };

	xm_view_records(xm_symbol_row, &t);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(symbols);

static int calls_show(struct seq_file *m, void *v)
{
	xm_syms_show(m, xm_show_addresses(m));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(calls);

static int host_show(struct seq_file *m, void *v)
{
	xh_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(host);

static int hosted_show(struct seq_file *m, void *v)
{
	xh_hosted_show(m, xm_show_addresses(m));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hosted);

static int host_hooks_show(struct seq_file *m, void *v)
{
	xh_hooks_show(m, xm_show_addresses(m));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(host_hooks);

static int return_thunk_show(struct seq_file *m, void *v)
{
	xm_return_thunk_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(return_thunk);

void xm_debugfs_init(void)
{
	xm_direct_map_splits(&xm_l2_base, &xm_l3_base);
	xm_dir = debugfs_create_dir("execmem", NULL);
	debugfs_create_file("stats", 0444, xm_dir, NULL, &stats_fops);
	debugfs_create_file("regions", 0444, xm_dir, NULL, &regions_fops);
	debugfs_create_file("allocations", 0444, xm_dir, NULL, &allocations_fops);
	debugfs_create_file("owners", 0444, xm_dir, NULL, &owners_fops);
	debugfs_create_file("symbols", 0444, xm_dir, NULL, &symbols_fops);
	debugfs_create_file("calls", 0444, xm_dir, NULL, &calls_fops);
	debugfs_create_file("return_thunk", 0444, xm_dir, NULL, &return_thunk_fops);
	debugfs_create_file("census", 0444, xm_dir, NULL, &xm_census_fops);
	debugfs_create_file("dmap", 0600, xm_dir, NULL, &xm_dmap_fops);
	debugfs_create_file("host", 0444, xm_dir, NULL, &host_fops);
	debugfs_create_file("hosted", 0444, xm_dir, NULL, &hosted_fops);
	debugfs_create_file("host_hooks", 0444, xm_dir, NULL, &host_hooks_fops);
}

void xm_debugfs_exit(void)
{
	debugfs_remove_recursive(xm_dir);
}
