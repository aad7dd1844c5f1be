// SPDX-License-Identifier: GPL-2.0
/*
 * Phase timing (the benchmark's breakdown; off by default).
 *
 * Writing 1 to the parameter phase_timing zeroes the counters and starts
 * timing the phases of the allocation, write and free paths and xm.lock's
 * wait and hold times (in those paths); 0 stops it.  Reading it gives one
 * line per phase: name, count, total ns, largest ns.  Off, a phase boundary
 * is a NOP (a static key): with a load and a branch at each one instead,
 * a lifecycle cost 1.8 % more under TCG (6.12), which the benchmark showed
 * as such against bpf_prog_pack.
 */
#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>
#include "execmem_timing.h"

static const char *const xm_phase_names[XM_PH_NR] = {
	"check", "record", "pool", "owner", "lookup", "text_poke", "int3_refill",
	"free", "lock_wait", "lock_hold",
};

DEFINE_STATIC_KEY_FALSE(xm_ph_on);

static struct {
	u64 since;		/* when timing was last turned on */
	u64 lock_t0;		/* under the timed lock: when it was taken, or 0 */
	atomic64_t count[XM_PH_NR], ns[XM_PH_NR], max[XM_PH_NR];
} xm_ph;

/* Out of line, as everything here that runs only while timing is on. */
static noinline void xm_ph_add(enum xm_phase ph, u64 ns)
{
	s64 old = atomic64_read(&xm_ph.max[ph]);

	atomic64_inc(&xm_ph.count[ph]);
	atomic64_add(ns, &xm_ph.ns[ph]);
	while (ns > old && !atomic64_try_cmpxchg(&xm_ph.max[ph], &old, ns))
		;
}

noinline void xm_ph_step(enum xm_phase ph, u64 *t)
{
	u64 now = ktime_get_ns();

	xm_ph_add(ph, now - *t);
	*t = now;
}

noinline void xm_ph_lock(struct mutex *lock)
{
	u64 t0 = ktime_get_ns();

	mutex_lock(lock);
	xm_ph.lock_t0 = ktime_get_ns();
	xm_ph_add(XM_PH_LOCK_WAIT, xm_ph.lock_t0 - t0);
}

noinline void xm_ph_unlock(struct mutex *lock)
{
	u64 t0 = xm_ph.lock_t0;

	xm_ph.lock_t0 = 0;
	/* 0 or stale: taken before timing was (last) turned on */
	if (t0 >= READ_ONCE(xm_ph.since))
		xm_ph_add(XM_PH_LOCK_HOLD, ktime_get_ns() - t0);
	mutex_unlock(lock);
}

static int xm_ph_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int i;

	if (kstrtobool(val, &on))
		return -EINVAL;
	/* the parameter's own lock serialises writers */
	static_branch_disable(&xm_ph_on);
	if (!on)
		return 0;
	for (i = 0; i < XM_PH_NR; i++) {
		atomic64_set(&xm_ph.count[i], 0);
		atomic64_set(&xm_ph.ns[i], 0);
		atomic64_set(&xm_ph.max[i], 0);
	}
	WRITE_ONCE(xm_ph.since, ktime_get_ns());
	static_branch_enable(&xm_ph_on);
	return 0;
}

static int xm_ph_get(char *buf, const struct kernel_param *kp)
{
	int i, n = 0;

	for (i = 0; i < XM_PH_NR; i++)
		n += sysfs_emit_at(buf, n, "%s %lld %lld %lld\n", xm_phase_names[i],
				   atomic64_read(&xm_ph.count[i]),
				   atomic64_read(&xm_ph.ns[i]),
				   atomic64_read(&xm_ph.max[i]));
	return n;
}

const struct kernel_param_ops xm_ph_ops = {
	.set = xm_ph_set,
	.get = xm_ph_get,
};
