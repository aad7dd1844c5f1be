/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-independent part of the direct-map census (execmem_census.c):
 * classifying page-table entries, the state of a split range, the table of
 * physical extents mapped in the module area and their owners.  Built in the
 * kernel and in userspace (tests/pool/test_census.c), like execmem_pool.c.
 * No locking: the caller owns every structure.
 */
#ifndef _EXECMEM_CENSUS_CORE_H
#define _EXECMEM_CENSUS_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/bits.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
#define BIT_ULL(n)	(1ULL << (n))
#endif

/* x86-64 page-table entry bits (4 KiB level; the census checks them). */
#define XC_PTE_PRESENT		BIT_ULL(0)
#define XC_PTE_RW		BIT_ULL(1)
#define XC_PTE_PWT		BIT_ULL(3)
#define XC_PTE_PCD		BIT_ULL(4)
#define XC_PTE_PAT		BIT_ULL(7)
#define XC_PTE_NX		BIT_ULL(63)
#define XC_PTRS			512	/* entries per table */
#define XC_U32_MAX		((u32)-1)

/* What the 4 KiB entries of one split range (or several) hold. */
struct xc_counts {
	u32 none;		/* empty entry: nothing mapped there */
	u32 leaves;	/* non-empty entries (meminfo's DirectMap4k) */
	u32 def;		/* present, RW, NX, write-back: the default */
	u32 nondef;	/* any of the four below */
	u32 ro;		/* present, not writable */
	u32 x;		/* present, NX clear: executable */
	u32 np;		/* not present (but not empty) */
	u32 cache;		/* PWT/PCD/PAT set: not write-back */
};

/* Per-entry verdict of xc_classify_one(): a mask of these. */
#define XC_NONE		0x01
#define XC_DEF		0x02
#define XC_RO		0x04
#define XC_X		0x08
#define XC_NP		0x10
#define XC_CACHE	0x20
#define XC_NONDEF	(XC_RO | XC_X | XC_NP | XC_CACHE)

unsigned int xc_classify_one(u64 pte);
void xc_count_one(struct xc_counts *c, unsigned int verdict);
void xc_counts_add(struct xc_counts *sum, const struct xc_counts *c);

/* State of a split 2 MiB or 1 GiB range. */
enum xc_status {
	XC_LIVE,	/* some page has non-default permissions */
	XC_STALE,	/* every page is default: the cause is gone */
	XC_PARTIAL,	/* only holes explain it: mapped in 4K at boot */
};

enum xc_status xc_split_status(const struct xc_counts *c);
const char *xc_status_name(enum xc_status s);

/* Classes of owners of the module-area alias of a page. */
enum xc_class {
	XC_CL_MODULE,		/* module text/rodata/data, by name */
	XC_CL_BPF,		/* BPF JIT memory (prog pack) */
	XC_CL_KPROBES,		/* kprobe instruction pages */
	XC_CL_FTRACE,		/* ftrace trampolines */
	XC_CL_EXECMEM,		/* this module's own regions */
	XC_CL_KERNEL,		/* the kernel image (no module-area alias) */
	XC_CL_OTHER,		/* another module-area mapping: its vmalloc caller */
	XC_CL_UNKNOWN,		/* no alias found in the module area */
	XC_CL_NR
};

const char *xc_class_name(enum xc_class cl);

#define XC_NAME_LEN	64

struct xc_owner {
	enum xc_class cl;
	char name[XC_NAME_LEN];	/* one token: no white space */
	u64 pages;		/* non-default direct-map pages attributed */
	u64 pages_split;	/* of those, in split ranges */
	u32 ranges_live;	/* split ranges it keeps live */
	u32 last_range;	/* census bookkeeping: range ranges_live counted */
};

/*
 * The owner of (@cl, @name) in @tab[0..*n), added if new; when @max owners
 * exist already, the last slot ("other" "+more") takes every further one.
 * @name is copied as one token (white space and controls become '_').
 */
int xc_owner_get(struct xc_owner *tab, int *n, int max, enum xc_class cl,
		 const char *name);

/* Physical extents mapped in the module area, each with its owner. */
struct xc_extent {
	u64 pfn;
	u32 npages;
	u16 owner;
};

struct xc_extents {
	struct xc_extent *v;
	size_t n, cap;
};

/* Append (merged with the last one when contiguous, same owner); -ENOSPC. */
int xc_extent_add(struct xc_extents *e, u64 pfn, u32 npages,
		  u16 owner);
void xc_extents_sort(struct xc_extents *e);
/* After xc_extents_sort(): the extent holding @pfn, or NULL. */
const struct xc_extent *xc_extent_find(const struct xc_extents *e,
				       u64 pfn);

#endif /* _EXECMEM_CENSUS_CORE_H */
