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

/*
 * 6.10+ wraps allocators in alloc_hooks() for memory allocation profiling:
 * the real function is __vmalloc_node_range_noprof and __vmalloc_node_range
 * is a macro.
 */
#ifdef __vmalloc_node_range
#define XM_VMALLOC_RANGE	__vmalloc_node_range_noprof
#define XM_VMALLOC_RANGE_SYM	"__vmalloc_node_range_noprof"
#else
#define XM_VMALLOC_RANGE	__vmalloc_node_range
#define XM_VMALLOC_RANGE_SYM	"__vmalloc_node_range"
#endif

/*
 * 6.2+ (x86) has set_memory_rox(), which changes both bits in one CPA pass
 * and can keep a large mapping.  On older kernels set RO first, then X, so
 * that the range is never writable and executable at once.
 */
#ifdef set_memory_rox
#define XM_HAVE_SET_MEMORY_ROX	1
#else
#define XM_HAVE_SET_MEMORY_ROX	0
#endif

/*
 * 6.14+ (x86): set_memory_rox() passes CPA_COLLAPSE and folds 4 KiB PTEs
 * back into a 2 MiB leaf when the pages under a 2 MiB-aligned range are
 * physically contiguous; and 7.x vmalloc() takes high-order pages from the
 * buddy allocator even for a 4 KiB-mapped area (split_page(), mapped page
 * by page).  Together they turn a region vmalloc'ed without
 * VM_ALLOW_HUGE_VMAP into a PMD leaf when it is made ROX (seen on 7.2).  A
 * region meant to be 4 KiB-mapped (the forced fallback) is therefore made
 * RO and then X, which never collapses.  Nothing in the headers tells
 * whether set_memory_rox() collapses (CPA_COLLAPSE is private to
 * arch/x86/mm/pat/set_memory.c) and RO-then-X gives the same result on
 * kernels where it does not, so this holds for every kernel.
 */
#define XM_ROX_MAY_COLLAPSE	1

/* 6.7+ allocates shrinkers dynamically (shrinker_alloc/shrinker_register). */
#ifdef SHRINKER_ALLOCATED
#define XM_SHRINKER_ALLOC	1
#else
#define XM_SHRINKER_ALLOC	0
#endif

/*
 * 6.10+ declares the kernel's own execmem API in <linux/execmem.h>: see
 * include/execmem.h, which clients include too.
 */

#endif /* _EXECMEM_COMPAT_H */
