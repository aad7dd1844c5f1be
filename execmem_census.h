/* SPDX-License-Identifier: GPL-2.0 */
/* The census of the module area (execmem_census.c): debugfs "census". */
#ifndef _EXECMEM_CENSUS_H
#define _EXECMEM_CENSUS_H

#include <linux/fs.h>

extern const struct file_operations xm_census_fops;

#endif /* _EXECMEM_CENSUS_H */
