/* SPDX-License-Identifier: GPL-2.0 */
/* The direct-map lab (execmem_dmap.c): debugfs "dmap". */
#ifndef _EXECMEM_DMAP_H
#define _EXECMEM_DMAP_H

#include <linux/fs.h>

extern const struct file_operations xm_dmap_fops;
void xm_dmap_exit(void);	/* frees blocks "split N hold" kept */

#endif /* _EXECMEM_DMAP_H */
