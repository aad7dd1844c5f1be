/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execmem.h - executable memory from 2 MiB read-only+executable regions.
 *
 * Public interface of the out-of-tree execmem module, documented here once
 * (kernel-doc).  A client module adds -I<execmem source>/include,
 * #includes <execmem.h> and links against execmem's Module.symvers
 * (KBUILD_EXTRA_SYMBOLS).
 *
 * Memory returned by execmem_alloc*() lies in the kernel's module area
 * [MODULES_VADDR, MODULES_END), inside a region mapped read-only and
 * executable, by 2 MiB PMD leaves whenever the page allocator could supply
 * 2 MiB pages (otherwise by 4 KiB pages: a "fallback" region, counted in
 * debugfs).  It is never writable through its own mapping: write code with
 * execmem_write(), which goes through the kernel's text_poke machinery.
 * Fresh memory and freed memory are filled with int3 (0xcc).
 *
 * All functions may sleep; none may be called from atomic context.
 */
#ifndef _EXECMEM_OOT_H
#define _EXECMEM_OOT_H

#include <linux/types.h>
#include <linux/numa.h>
#include <linux/module.h>
#include <linux/version.h>

/*
 * 6.10+: the kernel declares the same enum and execmem_alloc()/execmem_free()
 * in <linux/execmem.h> (and does not export its own implementation).  It is
 * included here, before execmem_alloc() becomes a macro below, so that a
 * client including it too (before or after this header) still compiles.
 * sparse 0.6 has no __has_include: under it, the release the headers belong
 * to decides.
 */
#ifdef __CHECKER__
#define __EXECMEM_KERNEL_HEADER (LINUX_VERSION_MAJOR > 6 || \
				 (LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 10))
#elif __has_include("linux/execmem.h")
#define __EXECMEM_KERNEL_HEADER 1
#else
#define __EXECMEM_KERNEL_HEADER 0
#endif

#if __EXECMEM_KERNEL_HEADER
#include <linux/execmem.h>
#else
enum execmem_type {
	EXECMEM_DEFAULT,
	EXECMEM_MODULE_TEXT = EXECMEM_DEFAULT,
	EXECMEM_KPROBES,
	EXECMEM_FTRACE,
	EXECMEM_BPF,
	EXECMEM_MODULE_DATA,
	EXECMEM_TYPE_MAX,
};
#endif

/* Largest alignment execmem_alloc_aligned() accepts: one region. */
#define EXECMEM_MAX_ALIGN	(2UL << 20)

/**
 * execmem_alloc_for() - allocate executable memory on behalf of a module
 * @owner: the module the memory belongs to: THIS_MODULE of a loaded module
 *	(anything else, NULL included, gets NULL)
 * @type: EXECMEM_DEFAULT (== EXECMEM_MODULE_TEXT), EXECMEM_KPROBES,
 *	EXECMEM_FTRACE or EXECMEM_BPF; other types are not served
 * @size: bytes, at most the size of the module area
 * @align: a power of two up to %EXECMEM_MAX_ALIGN (values up to 64 mean 64)
 * @nid: the node whose regions serve the request, or %NUMA_NO_NODE for the
 *	calling CPU's (a node without memory is served by the nearest one with
 *	memory)
 *
 * Clients call it through execmem_alloc(), execmem_alloc_aligned() and
 * execmem_alloc_node(), which pass THIS_MODULE: the owner is the module
 * whose code names the call, even when a wrapper tail-calls execmem (a
 * return address would name the wrapper's caller).  When @owner is unloaded
 * with allocations still live, execmem reports one line for it, waits for an
 * RCU grace period and frees them: executable memory does not outlive the
 * module that asked for it, as module text does not.  A module that is
 * already going away (in its exit function) gets nothing.
 *
 * The memory lies in the module area, inside a region mapped read-only and
 * executable by 2 MiB leaves when the page allocator could supply 2 MiB
 * pages (else 4 KiB: a counted "fallback" region).  It is filled with int3
 * and never writable through its own mapping: write it with execmem_write().
 * Allocations larger than 2 MiB get a run of 2 MiB regions of their own.
 * New regions are refused beyond the module parameter max_bytes.
 *
 * Context: process context; may sleep.
 * Return: the address (64-byte aligned at least), or NULL for a bad request
 * (reported once, ratelimited) or when memory or the limit is exhausted.
 */
void *execmem_alloc_for(struct module *owner, enum execmem_type type,
			size_t size, size_t align, int nid);

/*
 * execmem_alloc(type, size), execmem_alloc_aligned(type, size, align),
 * execmem_alloc_node(type, size, align, nid): execmem_alloc_for() with
 * THIS_MODULE as the owner.  Macros, so that the owner is right by
 * construction; execmem_alloc(type, size) matches the kernel's own
 * prototype.
 */
#define execmem_alloc(type, size) \
	execmem_alloc_for(THIS_MODULE, type, size, 0, NUMA_NO_NODE)
#define execmem_alloc_aligned(type, size, align) \
	execmem_alloc_for(THIS_MODULE, type, size, align, NUMA_NO_NODE)
#define execmem_alloc_node(type, size, align, nid) \
	execmem_alloc_for(THIS_MODULE, type, size, align, nid)

/**
 * execmem_free_for() - refill an allocation with int3 and release it
 * @owner: the module the allocation belongs to: THIS_MODULE of the module
 *	that allocated it, as execmem_alloc_for() was given
 * @ptr: the start of a live allocation, or NULL (ignored)
 *
 * Clients call it through execmem_free(), which passes THIS_MODULE.  A
 * pointer that is not the start of a live allocation (double free,
 * interior or foreign pointer), the start of another module's allocation,
 * or memory execmem hosts for the kernel (host=kprobes) is reported once
 * (ratelimited) and ignored: nothing changes.  The caller must have
 * quiesced the code first: no CPU may be executing it or about to
 * (unpublish it, then wait, e.g. synchronize_rcu()), as for any code that
 * is freed.
 *
 * Context: process context; may sleep.
 */
void execmem_free_for(struct module *owner, void *ptr);

/**
 * execmem_write_for() - copy code into an allocation through text_poke_copy()
 * @owner: the module the allocation belongs to, as for execmem_free_for()
 * @dst: where to write, inside a live allocation of @owner
 * @src: what to write
 * @len: how many bytes
 *
 * Clients call it through execmem_write(), which passes THIS_MODULE.
 * [@dst, @dst + @len) must lie inside one live allocation of @owner, within
 * the size that was asked for (checked without any sum that can wrap);
 * memory execmem hosts for the kernel is never written.  Writing while
 * another thread frees the same allocation is a caller bug; execmem makes
 * the free wait for the write to finish.  Large writes are done in chunks,
 * so text_mutex is not held for long.  Rewriting code that a CPU may be
 * executing is the caller's to make safe (text_poke_bp()-style), as with
 * any live code.
 *
 * Context: process context; may sleep.
 * Return: 0, or -EINVAL (nothing written, reported once, ratelimited).
 */
int execmem_write_for(struct module *owner, void *dst, const void *src,
		      size_t len);

/*
 * execmem_free(ptr), execmem_write(dst, src, len): the same with
 * THIS_MODULE, so that a module frees and writes only what it allocated:
 * a stale or doubled pointer that now starts another module's allocation,
 * or memory execmem hosts for the kernel, is refused.  Macros, as
 * execmem_alloc(): the kernel's own execmem_free(), declared by
 * <linux/execmem.h> (included above), keeps its declaration, and a call
 * execmem_free(ptr) reads the same.  Not functions: their address cannot
 * be taken (wrap the call in a function of your own).
 */
#define execmem_free(ptr)		execmem_free_for(THIS_MODULE, ptr)
#define execmem_write(dst, src, len)	execmem_write_for(THIS_MODULE, dst, src, len)

/**
 * execmem_set_name_for() - name an allocation for profilers
 * @owner: the module the allocation belongs to, as for execmem_free_for()
 * @ptr: the start of a live allocation
 * @name: the name, copied (at most KSYM_NAME_LEN - 1 bytes are kept)
 *
 * The name appears in the kallsyms-format debugfs file "symbols" (for
 * perf report --kallsyms) and is announced to perf as a
 * PERF_RECORD_KSYMBOL, as the kernel does for BPF programs.  Clients call
 * it through execmem_set_name(), which passes THIS_MODULE: a module names
 * only what it allocated.  Naming another module's allocation (or memory
 * hosted for the kernel) is refused as a write or free of it is: -EINVAL,
 * counted in &execmem_stats.owner_refusals, one ratelimited message.
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL (not a live allocation of @owner, empty name) or
 * -ENOMEM.
 */
int execmem_set_name_for(struct module *owner, void *ptr, const char *name);

/* execmem_set_name(ptr, name): execmem_set_name_for() with THIS_MODULE. */
#define execmem_set_name(ptr, name)	execmem_set_name_for(THIS_MODULE, ptr, name)

/* The longest sequence execmem_text_gen_return() writes. */
#define EXECMEM_RET_INSN_MAX	5

/**
 * execmem_text_gen_return() - the return sequence of the kernel's own code
 * @buf: where to write it, at least %EXECMEM_RET_INSN_MAX bytes
 * @ip: the address the sequence will run at
 *
 * A "jmp" to the return thunk the mitigations chose at boot when the
 * kernel uses one (x86_return_thunk), else "ret; int3", as the BPF JIT's
 * emit_return() does.
 *
 * Return: the length written; 0 (and one ratelimited message) when the
 * return thunk is beyond the reach of a rel32 jump from @ip, i.e. @ip is
 * not an address execmem handed out.
 */
size_t execmem_text_gen_return(u8 *buf, unsigned long ip);

/**
 * struct execmem_stats - a snapshot of execmem's counters
 * @regions: all regions mapped now
 * @regions_huge: regions mapped by 2 MiB leaves
 * @regions_fallback: regions mapped by 4 KiB leaves
 * @regions_empty: regions without allocations (spare)
 * @bytes_mapped: sum of region sizes
 * @bytes_allocated: live allocations, each rounded up to 64 bytes
 * @bytes_requested: what callers asked for, live
 * @live_allocs: live allocations
 * @allocs: successful allocations since load
 * @frees: successful frees since load
 * @failed_allocs: allocation calls that returned NULL
 * @bad_frees: frees refused: not the start of a live allocation of the
 *	caller's module
 * @writes: successful execmem_write() calls
 * @bytes_written: what they wrote
 * @failed_writes: refused execmem_write() calls
 * @regions_created: regions mapped since load
 * @regions_released: regions released since load
 * @bytes_limit: the max_bytes module parameter
 * @limit_failures: new regions (and hosted BPF areas) refused because of
 *	@bytes_limit
 * @owner_refusals: frees, writes and names refused because the allocation
 *	is another module's or hosted for the kernel (frees and writes also
 *	counted in @bad_frees or @failed_writes)
 * @bytes_hosted: BPF areas hosted for the kernel (host=bpf), outside the
 *	pool: counted with @bytes_mapped against @bytes_limit
 *
 * debugfs "stats" shows the same values, and a few derived ones.
 */
struct execmem_stats {
	unsigned long regions;
	unsigned long regions_huge;
	unsigned long regions_fallback;
	unsigned long regions_empty;
	unsigned long bytes_mapped;
	unsigned long bytes_allocated;
	unsigned long bytes_requested;
	unsigned long live_allocs;
	unsigned long allocs;
	unsigned long frees;
	unsigned long failed_allocs;
	unsigned long bad_frees;
	unsigned long writes;
	unsigned long bytes_written;
	unsigned long failed_writes;
	unsigned long regions_created;
	unsigned long regions_released;
	unsigned long bytes_limit;
	unsigned long limit_failures;
	unsigned long owner_refusals;
	unsigned long bytes_hosted;
};

/**
 * execmem_get_stats() - take a consistent snapshot of the counters
 * @st: where to store it
 *
 * Context: process context; may sleep.
 */
void execmem_get_stats(struct execmem_stats *st);

#endif /* _EXECMEM_OOT_H */
