/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside hosting: what the redirect mechanism (execmem_host.c) and its
 * consumers (execmem_host_bpf.c, execmem_host_kprobes.c) and the host=
 * parameter with its views (execmem_host_param.c) share, as livepatch
 * separates its core from the patches it applies.
 *
 * A consumer is one struct xh_consumer in a file of its own: the kernel
 * functions it redirects (hooks) to functions of its own, where the
 * kernel's allocator is for fallbacks, the callers it is limited to, the
 * check that the kernel calls the hooks, and what to do when it is turned
 * off or execmem is unloaded by force.  A third consumer is such a file
 * and one entry in xh_consumers[] (execmem_host.c), declared below
 * (docs/hosting.md, "Adding a consumer").
 */
#ifndef _EXECMEM_HOST_CORE_H
#define _EXECMEM_HOST_CORE_H

#include <linux/ftrace.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include "execmem_compat.h"

enum xh_kind { XH_ALLOC, XH_FREE };

struct xh_consumer;
struct xh_piece;

/* One redirected kernel function. */
struct xh_hook {
#if XM_HOST_FTRACE
	struct ftrace_ops ops;
#endif
	const char *sym;
	enum xh_kind kind;
	bool may_be_absent;	/* skipped when the kernel has no such symbol */
	void *target;		/* our function of the same prototype */
	struct xh_consumer *c;
	unsigned long addr;	/* resolved */
	bool placed;
};

/* A function whose calls to an XH_ALLOC hook are redirected (bpf only). */
struct xh_caller {
	const char *sym;
	unsigned long start, end;
};

struct xh_consumer {
	const char *name;
	struct xh_hook *hooks;
	int nr_hooks;
	const char *orig;	/* the kernel's allocator, for fallbacks */
	struct xh_caller *callers;	/* NULL: every caller */
	int nr_callers;
	/* At placement: does the kernel call the hooks?  0 or -errno, @what. */
	int (*check)(struct xh_consumer *c, const char **what);
	/* Turned off, without a lock of ours: give back what the kernel keeps. */
	void (*off)(void);
	/* rmmod -f, before the hooks go: make what the kernel keeps harmless. */
	void (*pin)(void);
	/* Unloading, after the hooks went: finish deferred frees. */
	void (*flush)(void);
	/* rmmod -f: a piece left to the kernel's own free; @abandoned names it. */
	void (*abandon)(struct xh_piece *p);
	const char *abandoned;
	bool placed;		/* all its hooks are registered */
	bool enabled;		/* redirecting new allocations */
	const char *reason;	/* why it is off */
	atomic_long_t served, freed, fallbacks, live, live_bytes;
};

/* Served memory: one piece per area (bpf) or page (kprobes). */
struct xh_piece {
	unsigned long start;
	size_t size;
	struct xh_consumer *c;
	struct llist_node free_node;
	struct rcu_head rcu;
};

/* The consumers, in the order host= names them (execmem_host_NAME.c). */
extern struct xh_consumer xh_bpf, xh_kprobes;
#define XH_NR	2
extern struct xh_consumer *const xh_consumers[XH_NR];

/* The mechanism's state: the param and views take its lock. */
struct xh_state {
	struct mutex lock;	/* hooks: placing, enabling, removing */
	struct xarray pieces;	/* by start >> PAGE_SHIFT */
	bool ready;		/* module init done: param writes apply */
};

extern struct xh_state xh;

/* Pieces (execmem_host.c); the ftrace callback only looks them up. */
bool xh_is_ours(unsigned long addr);
struct xh_piece *xh_piece_at(unsigned long start);	/* under RCU */
int xh_piece_add(struct xh_consumer *c, unsigned long start, size_t size);
struct xh_piece *xh_piece_take(unsigned long start);
void xh_piece_done(struct xh_piece *p);

/* Placement checks for the consumers' check(). */
unsigned long xh_expect(const struct xh_consumer *c, const char *sym);
bool xh_calls(unsigned long fn, unsigned long to);

/* Under xh.lock: turn @c on or off; true: call c->off() once unlocked. */
bool xh_apply(struct xh_consumer *c, bool on);

/* The host= parameter (execmem_host_param.c): what it asked for. */
void xh_param_wanted(bool *want);

#endif /* _EXECMEM_HOST_CORE_H */
