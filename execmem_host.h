/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hosting the kernel's own generated code: BPF JIT packs and kprobe
 * instruction pages, turned on by the host= parameter.  The mechanism is
 * execmem_host.c, the consumers execmem_host_bpf.c and
 * execmem_host_kprobes.c, the parameter and views execmem_host_param.c
 * (their shared interface: execmem_host_core.h).
 */
#ifndef _EXECMEM_HOST_H
#define _EXECMEM_HOST_H

#include <linux/seq_file.h>
#include <linux/types.h>

void xh_init(void);	/* applies host= given at load; never fails */
void xh_exit(bool forced);	/* forced: rmmod -f with memory live */

/* debugfs "host": per consumer; "hosted": one row per served piece. */
void xh_show(struct seq_file *m);
void xh_hosted_show(struct seq_file *m, bool show_addresses);
void xh_hooks_show(struct seq_file *m, bool show_addresses);	/* "host_hooks" */
bool xh_is_bpf_pack(unsigned long start);	/* census: a BPF pack we serve? */

#endif /* _EXECMEM_HOST_H */
