/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocator (execmem_alloc.c), as module load and unload
 * (execmem_main.c) see it: its tunables and its set-up.
 */
#ifndef _EXECMEM_ALLOC_H
#define _EXECMEM_ALLOC_H

#include <linux/types.h>

/* The tunables, read on every use: module parameters of execmem_main.c. */
extern unsigned int xm_spare_regions;	/* empty 2 MiB regions kept */
extern bool xm_force_fallback;		/* map regions by 4 KiB pages */
extern unsigned long xm_max_bytes;	/* regions + hosted areas; 0: default */
extern unsigned int xm_test_free_delay_ms;	/* testing: slow frees */

/* After xm_syms_init(); sets the default xm_max_bytes; 0 or -errno. */
int xm_alloc_init(void);
/* @forced: rmmod -f with memory live (it stays mapped, leaked). */
void xm_alloc_exit(bool forced);

#endif /* _EXECMEM_ALLOC_H */
