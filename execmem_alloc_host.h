/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What hosting (execmem_host.c) asks of the allocator (execmem_alloc.c).
 * Memory hosted for the kernel is owned by execmem itself: never freeable
 * nor writable through the client API.
 */
#ifndef _EXECMEM_ALLOC_HOST_H
#define _EXECMEM_ALLOC_HOST_H

#include <linux/types.h>
#include <execmem.h>

/* Pool memory for the kernel (a kprobe page): as execmem_alloc_for(). */
void *xm_alloc_hosted(enum execmem_type type, size_t size, size_t align);
/*
 * Free what xm_alloc_hosted() served, refilling all of it with int3 (the
 * kernel writes such memory with text_poke, not through execmem_write()).
 */
void xm_free_foreign(void *ptr);

/*
 * An area outside the pool for the kernel's BPF pack allocator: @size
 * bytes (a multiple of 2 MiB), writable, every 2 MiB one PMD leaf, counted
 * with the pool's regions against max_bytes.  NULL when it does not fit
 * (counted in limit_failures), cannot be mapped so, or force_fallback is
 * set.
 */
void *xm_host_area_alloc(size_t size);
/* Give back such an area never handed out (never protected). */
void xm_host_area_drop(void *base, size_t size);
/* Give back such an area the kernel protected and freed, as a whole. */
void xm_host_area_free(void *base, size_t size);

#endif /* _EXECMEM_ALLOC_HOST_H */
