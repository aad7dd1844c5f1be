/* SPDX-License-Identifier: GPL-2.0 */
/* /sys/kernel/debug/execmem/ (execmem_debugfs.c): optional, never fails. */
#ifndef _EXECMEM_DEBUGFS_H
#define _EXECMEM_DEBUGFS_H

void xm_debugfs_init(void);
void xm_debugfs_exit(void);

#endif /* _EXECMEM_DEBUGFS_H */
