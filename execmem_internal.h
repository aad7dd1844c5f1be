/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by execmem.ko's files.
 */
#ifndef _EXECMEM_INTERNAL_H
#define _EXECMEM_INTERNAL_H

#include <linux/static_call.h>
#include <linux/list.h>
#include <linux/rbtree.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/atomic.h>
#include <linux/seq_file.h>
#include <linux/perf_event.h>
#include <asm/text-patching.h>
#include "execmem_compat.h"
#include "execmem_pool.h"
#include <execmem.h>

/* ---- execmem_syms.c: non-exported kernel functions, IBT-safe ---------- */

/*
 * Each non-exported function we call is reached through a static call of
 * our own whose trampoline is rewritten, once resolved, into a direct
 * "jmp rel32" to the target (and whose call sites become direct calls).
 * No indirect branch ever lands on these functions, so it does not matter
 * that their ENDBR64 was sealed at boot (CONFIG_X86_KERNEL_IBT).  The types
 * are the kernel's own declarations.  execmem_syms.c lists them again, with
 * their symbol names, in xm_syms[].
 */
DECLARE_STATIC_CALL(xm_vmalloc_range, XM_VMALLOC_RANGE);
DECLARE_STATIC_CALL(xm_text_poke_copy, text_poke_copy);
DECLARE_STATIC_CALL(xm_text_poke_set, text_poke_set);
DECLARE_STATIC_CALL(xm_set_memory_ro, set_memory_ro);
DECLARE_STATIC_CALL(xm_set_memory_x, set_memory_x);
DECLARE_STATIC_CALL(xm_set_memory_nx, set_memory_nx);
DECLARE_STATIC_CALL(xm_set_memory_rw, set_memory_rw);
#if XM_HAVE_SET_MEMORY_ROX
DECLARE_STATIC_CALL(xm_set_memory_rox, set_memory_rox);
#endif
DECLARE_STATIC_CALL(xm_module_address, __module_address);
DECLARE_STATIC_CALL(xm_perf_event_ksymbol, perf_event_ksymbol);
DECLARE_STATIC_CALL(xm_kallsyms_show_value, kallsyms_show_value);

#define xm_call(name) static_call(xm_##name)

int xm_syms_init(void);
void xm_syms_show(struct seq_file *m, bool show_addresses);
extern unsigned long xm_return_thunk;	/* where generated code returns */

/* ---- execmem_huge.c: regions and their mappings ----------------------- */

struct xm_region_info {
	unsigned long base;
	size_t size;
	int node;
	bool huge;		/* every 2 MiB of it is a PMD leaf */
};

int xm_region_map(struct xm_region_info *ri, size_t size, int node,
		  bool allow_huge);
void xm_region_unmap(unsigned long base, size_t size);
int xm_mapping_level(unsigned long addr);	/* 4K=1, 2M=2, 1G=3, 0 none */
bool xm_mapping_rox(unsigned long addr);	/* read-only and executable */
void xm_direct_map_splits(unsigned long *l2, unsigned long *l3);

/* ---- execmem.c: the allocator proper ------------------------------------ */

struct xm_owner {
	struct list_head node;
	const struct module *mod;	/* NULL: the kernel itself */
	char name[MODULE_NAME_LEN];
	unsigned long count;
	unsigned long bytes;
};

struct xm_alloc {
	struct rb_node node;		/* in xm.allocs, by start */
	unsigned long start;
	size_t size;			/* as requested */
	size_t rsize;			/* 64-byte rounded, as accounted by the pool */
	enum execmem_type type;
	struct xm_owner *owner;
	const char *name;		/* execmem_set_name(), or NULL */
	unsigned int writers;		/* execmem_write() in progress */
	bool dying;			/* execmem_free() in progress */
	struct xm_alloc *reap_next;	/* module-unload reaping list */
};

struct xm_state {
	struct mutex lock;		/* pool, allocs, owners, counters */
	struct mutex grow_lock;		/* one region creation at a time */
	struct xp_pool pool;
	/*
	 * Live allocations by start address.  An rbtree through the records
	 * themselves: inserting and erasing allocates and frees nothing (an
	 * xarray indexed by module-area addresses needed ~10 levels, i.e.
	 * node allocations on insert and call_rcu()s on erase).
	 */
	struct rb_root allocs;
	struct list_head owners;
	struct execmem_stats st;	/* counters; region/byte totals derived */
	atomic_long_t shrink_wanted;	/* empty regions the shrinker asked back */
	struct work_struct shrink_work;	/* gives them back */
	unsigned long l2_base, l3_base;	/* direct-map split counters at load */
};

extern struct xm_state xm;

/* ---- execmem_debugfs.c ---------------------------------------------------- */

void xm_get_stats_locked(struct execmem_stats *st);
struct xm_alloc *xm_lookup_live(unsigned long addr);

/* Under xm.lock: live allocations in address order (dying ones included). */
static inline struct xm_alloc *xm_alloc_first(void)
{
	return rb_entry_safe(rb_first(&xm.allocs), struct xm_alloc, node);
}

static inline struct xm_alloc *xm_alloc_next(struct xm_alloc *a)
{
	return rb_entry_safe(rb_next(&a->node), struct xm_alloc, node);
}

int xm_debugfs_init(void);
void xm_debugfs_exit(void);

#endif /* _EXECMEM_INTERNAL_H */
