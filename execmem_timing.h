/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Phase timing of the allocation, write and free paths (execmem_timing.c):
 * the benchmark's breakdown, off by default.  Off, a phase boundary is a
 * NOP (a static key); everything that runs only while timing is on is out
 * of line.
 */
#ifndef _EXECMEM_TIMING_H
#define _EXECMEM_TIMING_H

#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/timekeeping.h>
#include <linux/types.h>

enum xm_phase {
	XM_PH_CHECK,	/* request check, node choice */
	XM_PH_RECORD,	/* record kzalloc (alloc) and kfree (free) */
	XM_PH_POOL,	/* xm.lock + the pool (and region growth) */
	XM_PH_OWNER,	/* owner lookup and accounting */
	XM_PH_LOOKUP,	/* execmem_write's check of the destination */
	XM_PH_POKE,	/* execmem_write's text_poke_copy */
	XM_PH_REFILL,	/* the int3 refill on free */
	XM_PH_FREE,	/* execmem_free's bookkeeping (pool free included) */
	XM_PH_LOCK_WAIT,	/* mutex_lock(&xm.lock) until it is held */
	XM_PH_LOCK_HOLD,	/* xm.lock held */
	XM_PH_NR
};

DECLARE_STATIC_KEY_FALSE(xm_ph_on);

/* The parameter phase_timing (execmem_main.c): set starts/stops, get reads. */
extern const struct kernel_param_ops xm_ph_ops;

void xm_ph_step(enum xm_phase ph, u64 *t);
/* @lock taken and released with its wait and hold times counted. */
void xm_ph_lock(struct mutex *lock);
void xm_ph_unlock(struct mutex *lock);

/* The time now when phase timing is on, else 0. */
static __always_inline u64 xm_ph_now(void)
{
	return static_branch_unlikely(&xm_ph_on) ? ktime_get_ns() : 0;
}

/* End phase @ph begun at *@t (if timing), and begin the next one. */
static __always_inline void xm_ph_end(enum xm_phase ph, u64 *t)
{
	if (static_branch_unlikely(&xm_ph_on) && *t)
		xm_ph_step(ph, t);
}

/* mutex_lock()/mutex_unlock() of the allocator's lock, timed when on. */
static __always_inline void xm_ph_mutex_lock(struct mutex *lock)
{
	if (static_branch_unlikely(&xm_ph_on))
		xm_ph_lock(lock);
	else
		mutex_lock(lock);
}

static __always_inline void xm_ph_mutex_unlock(struct mutex *lock)
{
	if (static_branch_unlikely(&xm_ph_on))
		xm_ph_unlock(lock);
	else
		mutex_unlock(lock);
}

#endif /* _EXECMEM_TIMING_H */
