/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The two primitives of IBT-safe symbol resolution,
 * shared by execmem.ko (execmem_syms.c) and the benchmark module.
 *
 * A module that calls non-exported kernel functions defines one static call
 * per function (DEFINE_STATIC_CALL_RET0(name, kernel_decl)), resolves the
 * address with kallsyms_lookup_name (itself found with a kprobe and reached
 * through a static call), static_call_update()s the call, and checks with
 * xm_tramp_dest() that the trampoline became a direct "jmp rel32" to it.
 */
#ifndef _EXECMEM_RESOLVE_H
#define _EXECMEM_RESOLVE_H

#include <linux/kprobes.h>
#include <linux/string.h>
#include <linux/types.h>

#define JMP32_OPCODE	0xe9

/* The destination of the "jmp rel32" at @tramp, or 0 if it is not one. */
static inline unsigned long xm_tramp_dest(const void *tramp)
{
	const u8 *insn = tramp;
	s32 rel;

	if (insn[0] != JMP32_OPCODE)
		return 0;
	memcpy(&rel, insn + 1, sizeof(rel));
	return (unsigned long)tramp + 5 + (long)rel;
}

static inline unsigned long xm_lookup_kallsyms_lookup_name(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned long addr;
	int ret;

	ret = register_kprobe(&kp);
	if (ret < 0)
		return 0;
	/* With IBT, kp.addr is past the function's ENDBR64: fine for a jmp. */
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

#endif /* _EXECMEM_RESOLVE_H */
