/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execmem.h - executable memory from 2 MiB read-only+executable regions.
 *
 * Public interface of the out-of-tree execmem module.  A client module adds
 * -I<execmem source>/include, #includes <execmem.h> and links against
 * execmem's Module.symvers (KBUILD_EXTRA_SYMBOLS).
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
#include <linux/version.h>

/*
 * 6.10+: the kernel declares the same enum and the same two prototypes in
 * <linux/execmem.h> (and does not export its own implementation);
 * execmem.ko provides them.  sparse 0.6 has no __has_include: under it, the
 * release the headers belong to decides.
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

void *execmem_alloc(enum execmem_type type, size_t size);
void execmem_free(void *ptr);
#endif

/*
 * execmem_alloc(type, size) - allocate @size bytes of executable memory.
 *
 * Served types: EXECMEM_DEFAULT (== EXECMEM_MODULE_TEXT), EXECMEM_KPROBES,
 * EXECMEM_FTRACE and EXECMEM_BPF.  EXECMEM_MODULE_DATA and other types are
 * not served: NULL.  The memory is 64-byte aligned, node-local to the
 * calling CPU when possible, and filled with int3.  Allocations larger than
 * 2 MiB get a contiguous run of 2 MiB regions.  Returns NULL on size 0, on a
 * size larger than the module area, or when memory is exhausted.
 *
 * execmem_free(ptr) - refill the allocation with int3 (text_poke_set) and
 * release it.  NULL is ignored.  A pointer that is not the start of a live
 * allocation (double free, interior or foreign pointer) is reported once
 * (ratelimited) and ignored: nothing changes.
 *
 * An allocation belongs to the module that called execmem_alloc*().  When
 * that module is unloaded with allocations still live, execmem reports one
 * line per module (count and bytes) and frees them: executable memory does
 * not outlive the module that asked for it, as module text does not.
 */

/* Largest alignment execmem_alloc_aligned() accepts: one region. */
#define EXECMEM_MAX_ALIGN	(2UL << 20)

/*
 * execmem_alloc_aligned - as execmem_alloc(), aligned to @align, a power of
 * two up to EXECMEM_MAX_ALIGN (values below 64 mean 64).  NULL for any other
 * alignment.
 */
void *execmem_alloc_aligned(enum execmem_type type, size_t size, size_t align);

/*
 * execmem_alloc_node - as execmem_alloc_aligned(), from a region whose
 * pages are on @nid (NUMA_NO_NODE: any node, the caller's preferred).
 */
void *execmem_alloc_node(enum execmem_type type, size_t size, size_t align,
			 int nid);

/*
 * execmem_write - copy @len bytes from @src to @dst through text_poke_copy().
 *
 * Returns 0, or -EINVAL (and writes nothing) unless [dst, dst + len) lies
 * inside one live allocation (within the size that was asked for).  Writing
 * while another thread frees the same allocation is a caller bug; execmem
 * makes the free wait for the write to finish.  Large writes are done in
 * chunks, so text_mutex is not held for long.
 */
int execmem_write(void *dst, const void *src, size_t len);

/*
 * execmem_set_name - name the allocation that starts at @ptr, for the
 * kallsyms-format debugfs file "symbols" (perf report --kallsyms).  The name
 * is copied.  0, -EINVAL (not a live allocation, empty name) or -ENOMEM.
 */
int execmem_set_name(void *ptr, const char *name);

/*
 * execmem_text_gen_return - write into @buf the instruction sequence the
 * kernel's own generated code returns with (a jump to the return thunk when
 * the kernel uses one, else "ret; int3"), for code that will run at @ip.
 * @buf must hold EXECMEM_RET_INSN_MAX bytes.  Returns the length.
 */
#define EXECMEM_RET_INSN_MAX	5
size_t execmem_text_gen_return(u8 *buf, unsigned long ip);

/* A snapshot of execmem's counters (see debugfs "stats"). */
struct execmem_stats {
	unsigned long regions;		/* all regions */
	unsigned long regions_huge;	/* regions mapped by 2 MiB leaves */
	unsigned long regions_fallback;	/* regions mapped by 4 KiB leaves */
	unsigned long regions_empty;	/* spare regions kept */
	unsigned long bytes_mapped;	/* sum of region sizes */
	unsigned long bytes_allocated;	/* 64-byte-rounded live allocations */
	unsigned long bytes_requested;	/* what callers asked for, live */
	unsigned long live_allocs;
	unsigned long allocs, frees, failed_allocs, bad_frees;
	unsigned long writes, bytes_written, failed_writes;
	unsigned long regions_created, regions_released;
};

void execmem_get_stats(struct execmem_stats *st);

#endif /* _EXECMEM_OOT_H */
