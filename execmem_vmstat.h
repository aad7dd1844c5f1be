/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The direct-map split counters (/proc/vmstat direct_map_level2_splits and
 * direct_map_level3_splits), read in one place for execmem.ko, its
 * benchmark module and its test modules.
 */
#ifndef _EXECMEM_VMSTAT_H
#define _EXECMEM_VMSTAT_H

#include <linux/slab.h>
#include <linux/vmstat.h>

/* 0 when the snapshot cannot be taken (no memory for it): false. */
static inline bool xm_direct_map_splits(unsigned long *l2, unsigned long *l3)
{
	unsigned long *ev = kcalloc(NR_VM_EVENT_ITEMS, sizeof(*ev), GFP_KERNEL);

	*l2 = 0;
	*l3 = 0;
	if (!ev)
		return false;
	all_vm_events(ev);
	*l2 = ev[DIRECT_MAP_LEVEL2_SPLIT];
	*l3 = ev[DIRECT_MAP_LEVEL3_SPLIT];
	kfree(ev);
	return true;
}

#endif /* _EXECMEM_VMSTAT_H */
