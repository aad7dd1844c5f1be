/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The non-exported kernel functions execmem calls (execmem_syms_list.h),
 * resolved at load by execmem_syms.c and reached IBT-safely.
 *
 * Each is called through a static call of our own whose trampoline is
 * rewritten, once resolved, into a direct "jmp rel32" to the target (and
 * whose call sites become direct calls).  No indirect branch ever lands on
 * these functions, so it does not matter that their ENDBR64 was sealed at
 * boot (CONFIG_X86_KERNEL_IBT).
 */
#ifndef _EXECMEM_SYMS_H
#define _EXECMEM_SYMS_H

#include <linux/static_call.h>
#include <linux/seq_file.h>
#include <linux/kallsyms.h>
#include <linux/perf_event.h>
#include <linux/kprobes.h>
#include <linux/filter.h>
#include <linux/moduleloader.h>
#include <asm/text-patching.h>
#include <asm/insn.h>
#include "execmem_compat.h"

#define XM_SYM(name, function)	DECLARE_STATIC_CALL(xm_##name, function)
#include "execmem_syms_list.h"
#include "execmem_host_syms_list.h"
#undef XM_SYM

#define xm_call(name) static_call(xm_##name)

struct module;

int xm_syms_init(void);
/* kallsyms_lookup_name(), unless fail_resolve names @sym: every lookup. */
unsigned long xm_sym_lookup(const char *sym);
/* The module holding @addr (RCU + __module_address()), or NULL. */
const struct module *xm_module_of(unsigned long addr);
unsigned long xm_sym_target(const char *sym);	/* 0: not resolved */
/* Facts for debugfs "calls" and "return_thunk". */
void xm_syms_show(struct seq_file *m, bool show_addresses);
void xm_return_thunk_show(struct seq_file *m);
extern unsigned long xm_return_thunk;	/* where generated code returns */

#endif /* _EXECMEM_SYMS_H */
