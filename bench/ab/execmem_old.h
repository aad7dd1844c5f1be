/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The API of execmem_old.ko: an earlier commit of execmem built by
 * bench/ab/ab.sh with its exported symbols renamed execmem_old_*.
 */
#ifndef _EXECMEM_OLD_H
#define _EXECMEM_OLD_H

#include <execmem.h>

#ifdef AB_OLD_ALLOC_FOR	/* the old tree has the owner API already */
void *execmem_old_alloc_for(struct module *owner, enum execmem_type type,
			    size_t size, size_t align, int nid);
#define execmem_old_alloc(type, size) \
	execmem_old_alloc_for(THIS_MODULE, type, size, 0, NUMA_NO_NODE)
#else
void *execmem_old_alloc(enum execmem_type type, size_t size);
#endif
#ifdef AB_OLD_FREE_FOR	/* and the owner-checked free and write */
void execmem_old_free_for(struct module *owner, void *ptr);
int execmem_old_write_for(struct module *owner, void *dst, const void *src,
			  size_t len);
#define execmem_old_free(ptr)	execmem_old_free_for(THIS_MODULE, ptr)
#define execmem_old_write(dst, src, len) \
	execmem_old_write_for(THIS_MODULE, dst, src, len)
#else
void execmem_old_free(void *ptr);
int execmem_old_write(void *dst, const void *src, size_t len);
#endif

#endif /* _EXECMEM_OLD_H */
