/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one engine of IBT-safe symbol resolution, shared by execmem.ko
 * (execmem_syms.c for its own table; the census and the direct-map lab for
 * theirs, resolved at their first use) and the benchmark module.
 *
 * A module that calls non-exported kernel functions defines one static call
 * per function (DEFINE_STATIC_CALL_RET0(name, kernel_decl)) and one table
 * entry for it (XM_SYM_ENTRY()).  xm_syms_resolve() looks each entry's
 * symbol up, static_call_update()s its call and checks with xm_tramp_dest()
 * that the trampoline became a direct "jmp rel32" to it (xm_sym_bind()):
 * no indirect branch ever lands on the function, so it does not matter that
 * its ENDBR64 was sealed at boot (CONFIG_X86_KERNEL_IBT).  A call that did
 * not become that jmp is set back to "return 0" and counts as unresolved.
 * A required entry that cannot be bound fails the whole table; an optional
 * one stays unbound (target 0), its static call returning 0.
 *
 * kallsyms_lookup_name, itself not exported, is found with a kprobe
 * (xm_lookup_kallsyms_lookup_name()) and bound first: the lookup function
 * the caller passes reaches it through its static call.
 */
#ifndef _EXECMEM_RESOLVE_H
#define _EXECMEM_RESOLVE_H

#include <linux/errno.h>
#include <linux/kprobes.h>
#include <linux/printk.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <linux/types.h>

#define JMP32_OPCODE	0xe9

/* One function to resolve, and where its static call was bound (0: not). */
struct xm_sym {
	const char *sym;
	struct static_call_key *key;
	void *tramp;
	unsigned long target;
	bool optional;		/* may stay unbound: its call returns 0 */
};

/* The table entry of the static call @prefix@name to the kernel's @function. */
#define XM_SYM_ENTRY(prefix, name, function, opt) {			\
	.sym = __stringify(function),					\
	.key = &STATIC_CALL_KEY(prefix##name),				\
	.tramp = STATIC_CALL_TRAMP_ADDR(prefix##name),			\
	.optional = (opt),						\
}

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

/*
 * Point the static call of @s at @addr and check it became a direct jmp
 * there; if not, back to "return 0": never reached any other way.
 */
static inline int xm_sym_bind(struct xm_sym *s, unsigned long addr)
{
	if (!addr)
		return -ENOENT;
	__static_call_update(s->key, s->tramp, (void *)addr);
	if (xm_tramp_dest(s->tramp) != addr) {
		__static_call_update(s->key, s->tramp,
				     (void *)__static_call_return0);
		pr_err("static call to %s is not a direct jmp: left unbound\n",
		       s->sym);
		return -EINVAL;
	}
	s->target = addr;
	return 0;
}

/*
 * Bind every entry of @t not bound yet to what @lookup finds: 0, or the
 * error of the first required entry that cannot be bound (one message).
 */
static inline int xm_syms_resolve(struct xm_sym *t, size_t n,
				  unsigned long (*lookup)(const char *sym))
{
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		if (t[i].target)
			continue;
		ret = xm_sym_bind(&t[i], lookup(t[i].sym));
		if (ret && !t[i].optional) {
			pr_err("cannot resolve %s\n", t[i].sym);
			return ret;
		}
	}
	return 0;
}

#endif /* _EXECMEM_RESOLVE_H */
