/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference execmem depends on.
 *
 * Differences are detected from the headers being built against (a macro or
 * header that exists or not), never from LINUX_VERSION_CODE alone, so that
 * distribution backports are handled.  Nothing outside this file tests a
 * kernel version.
 */
#ifndef _EXECMEM_COMPAT_H
#define _EXECMEM_COMPAT_H

#include <linux/vmalloc.h>
#include <linux/set_memory.h>
#include <linux/shrinker.h>
#include <linux/module.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/version.h>

/*
 * 6.10+ wraps allocators in alloc_hooks() for memory allocation profiling:
 * the real function is __vmalloc_node_range_noprof and __vmalloc_node_range
 * is a macro.
 */
#ifdef __vmalloc_node_range
#define XM_VMALLOC_RANGE	__vmalloc_node_range_noprof
#else
#define XM_VMALLOC_RANGE	__vmalloc_node_range
#endif

/*
 * 6.2+ (x86) has set_memory_rox(), which changes both bits in one CPA pass
 * and can keep a large mapping.  On older kernels set RO first, then X, so
 * that the range is never writable and executable at once.
 *
 * 6.14+ set_memory_rox() also folds 4 KiB PTEs back into a 2 MiB leaf
 * (CPA_COLLAPSE) when the pages under a 2 MiB-aligned range are physically
 * contiguous, which 7.x vmalloc() gives even to a 4 KiB-mapped area: a
 * region meant to stay 4 KiB-mapped (the forced fallback) is therefore
 * made RO and then X on every kernel (execmem_huge.c).
 */
#ifdef set_memory_rox
#define XM_HAVE_SET_MEMORY_ROX	1
#else
#define XM_HAVE_SET_MEMORY_ROX	0
#endif

/* 6.7+ allocates shrinkers dynamically (shrinker_alloc/shrinker_register). */
#ifdef SHRINKER_ALLOCATED
#define XM_SHRINKER_ALLOC	1
#else
#define XM_SHRINKER_ALLOC	0
#endif

/* 6.4+ keeps a module's memory per type in mod->mem[] (census sections). */
#ifdef for_each_mod_mem_type
#define XM_HAVE_MOD_MEM		1
#else
#define XM_HAVE_MOD_MEM		0
#endif

/*
 * 6.10+ declares the kernel's own execmem API in <linux/execmem.h> (not
 * exported).  include/execmem.h, which clients include without this file,
 * makes the same test for itself.  sparse 0.6 has no __has_include: under
 * it, the release the headers belong to decides.
 */
#ifdef __CHECKER__
#define XM_KERNEL_EXECMEM	(LINUX_VERSION_MAJOR > 6 || \
				 (LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 10))
#elif __has_include("linux/execmem.h")
#define XM_KERNEL_EXECMEM	1
#else
#define XM_KERNEL_EXECMEM	0
#endif

/*
 * Hosting the kernel's BPF packs (execmem_host_bpf.c): what the pack allocator
 * (bpf_prog_pack_alloc and its alloc_new_pack) calls for a pack's memory,
 * and what frees it.  Kernels with <linux/execmem.h> (6.10+) call
 * bpf_jit_alloc_exec / bpf_jit_free_exec; 6.1 calls module_alloc /
 * module_memfree, which no longer exist from 6.10.
 */
#if XM_KERNEL_EXECMEM
#define XM_HOST_PACK_ALLOC	bpf_jit_alloc_exec
#define XM_HOST_PACK_FREE	bpf_jit_free_exec
#else
#define XM_HOST_PACK_ALLOC	module_alloc
#define XM_HOST_PACK_FREE	module_memfree
#endif

/*
 * The padding before each function (6.2+ with CALL_PADDING) where call
 * depth tracking puts the thunk that direct calls are patched to reach.
 */
#ifdef CONFIG_FUNCTION_PADDING_BYTES
#define XH_PADDING	CONFIG_FUNCTION_PADDING_BYTES
#else
#define XH_PADDING	0
#endif

/*
 * Hosting redirects calls with ftrace, as livepatch does: it needs
 * DYNAMIC_FTRACE_WITH_REGS (Debian's kernels have it).  Without it the
 * host= parameter exists but every consumer stays off.
 */
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_REGS
#define XM_HOST_FTRACE		1
#else
#define XM_HOST_FTRACE		0
#endif

/*
 * An ftrace_ops callback redirecting a call (IPMODIFY, as livepatch does):
 * 6.1 names the setter ftrace_instruction_pointer_set, later kernels
 * ftrace_regs_set_instruction_pointer.
 */
#ifdef ftrace_regs_set_instruction_pointer
#define xm_ftrace_set_ip(fregs, ip)	ftrace_regs_set_instruction_pointer(fregs, ip)
#else
#define xm_ftrace_set_ip(fregs, ip)	ftrace_instruction_pointer_set(fregs, ip)
#endif

/*
 * The direct map's collapse (commit 41d88484c71c, v6.15; Debian's 7.2, not
 * 6.1 or 6.12) added both the "keep this 4K" software bit set_memory_4k()
 * sets and the vmstat events direct_map_level2/3_collapses: the bit's macro
 * tells whether the kernel has both.  execmem_dmap.c checks the bit per
 * entry and counts its own collapses in the kernel's event where it exists.
 */
#include <asm/pgtable_types.h>
#include <linux/vmstat.h>
#ifdef _PAGE_KERNEL_4K
#define XM_PAGE_KERNEL_4K	((u64)_PAGE_KERNEL_4K)
#define xm_count_dm_collapse()	count_vm_event(DIRECT_MAP_LEVEL2_COLLAPSE)
#define xm_count_dm_collapse_1g()	count_vm_event(DIRECT_MAP_LEVEL3_COLLAPSE)
#else
#define XM_PAGE_KERNEL_4K	0ULL
#define xm_count_dm_collapse()	do { } while (0)
#define xm_count_dm_collapse_1g()	do { } while (0)
#endif

/*
 * kernel/kprobes.c's private struct kprobe_insn_page and its slot states,
 * which hosting (execmem_host_kprobes.c) walks in the kernel's slot caches
 * to give back or pin the pages it served.  The same in 6.1, 6.12 and 7.2;
 * every page's back pointer to its cache is checked before any is changed
 * (a kernel that changed the layout gets a WARN and nothing touched).
 */
struct xm_kprobe_insn_page {
	struct list_head list;
	kprobe_opcode_t *insns;
	struct kprobe_insn_cache *cache;
	int nused;
	int ngarbage;
	char slot_used[];
};

enum { XM_KPROBE_SLOT_CLEAN, XM_KPROBE_SLOT_DIRTY, XM_KPROBE_SLOT_USED };

#endif /* _EXECMEM_COMPAT_H */
