// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_syms.c - resolve the non-exported kernel functions execmem needs,
 * in one place, and make every call to them safe under IBT.
 *
 * kallsyms_lookup_name() is not exported either: a kprobe registered on it
 * yields its address (the kprobe is removed at once).  From then on every
 * target is reached through a static call of ours (see execmem_internal.h):
 * static_call_update() turns the trampoline into "jmp rel32 <target>" and
 * objtool-annotated call sites into "call rel32 <target>".  A direct branch
 * needs no ENDBR64 at its destination, so calling functions whose ENDBR64
 * the kernel sealed at boot is safe.  xm_syms_init() verifies the
 * trampolines' bytes after the update and refuses to load otherwise; debugfs
 * "calls" shows the same check as KTAP.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/string.h>
#include "execmem_internal.h"
#include "execmem_resolve.h"

#define XM_DEFINE_SYM(name, func, sym) DEFINE_STATIC_CALL_RET0(xm_##name, func);
XM_SYMS(XM_DEFINE_SYM)
#undef XM_DEFINE_SYM

DEFINE_STATIC_CALL_RET0(xm_kallsyms_lookup_name, kallsyms_lookup_name);

unsigned long xm_return_thunk;

struct xm_sym {
	const char *sym;
	void *tramp;
	unsigned long target;
};

#define XM_SYM_ENTRY(name, func, symbol) \
	{ .sym = symbol, .tramp = STATIC_CALL_TRAMP_ADDR(xm_##name) },
static struct xm_sym xm_syms[] = {
	{ .sym = "kallsyms_lookup_name",
	  .tramp = STATIC_CALL_TRAMP_ADDR(xm_kallsyms_lookup_name) },
	XM_SYMS(XM_SYM_ENTRY)
};

#undef XM_SYM_ENTRY

int xm_syms_init(void)
{
	unsigned long addr;
	int i;

	addr = xm_lookup_kallsyms_lookup_name();
	if (!addr) {
		pr_err("cannot resolve kallsyms_lookup_name (kprobe failed)\n");
		return -ENOENT;
	}
	xm_syms[0].target = addr;
	static_call_update(xm_kallsyms_lookup_name,
			   (typeof(&kallsyms_lookup_name))addr);

	for (i = 1; i < ARRAY_SIZE(xm_syms); i++) {
		addr = xm_call(kallsyms_lookup_name)(xm_syms[i].sym);
		if (!addr) {
			pr_err("cannot resolve %s\n", xm_syms[i].sym);
			return -ENOENT;
		}
		xm_syms[i].target = addr;
	}

	/*
	 * The updates are spelled out because static_call_update() checks
	 * the target's type against the trampoline's.
	 */
	i = 1;
#define XM_UPDATE_SYM(name, func, sym) \
	static_call_update(xm_##name, (typeof(&func))xm_syms[i++].target);
	XM_SYMS(XM_UPDATE_SYM)
#undef XM_UPDATE_SYM

	for (i = 0; i < ARRAY_SIZE(xm_syms); i++) {
		if (xm_tramp_dest(xm_syms[i].tramp) != xm_syms[i].target) {
			pr_err("static call to %s is not a direct jmp: refusing to load\n",
			       xm_syms[i].sym);
			return -EINVAL;
		}
	}

	/*
	 * Generated code returns through the kernel's return thunk when it
	 * uses one; x86_return_thunk (a pointer, set at boot) names the thunk
	 * the mitigations chose.  Kernels without it use __x86_return_thunk.
	 */
	addr = xm_call(kallsyms_lookup_name)("x86_return_thunk");
	xm_return_thunk = addr ? *(unsigned long *)addr :
				 (unsigned long)__x86_return_thunk;
	return 0;
}

/* KTAP: one test per resolved function, checking the bytes that reach it. */
void xm_syms_show(struct seq_file *m)
{
	static const u8 endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	int i;

	seq_puts(m, "KTAP version 1\n");
	seq_printf(m, "1..%zu\n", ARRAY_SIZE(xm_syms));
	for (i = 0; i < ARRAY_SIZE(xm_syms); i++) {
		const struct xm_sym *s = &xm_syms[i];
		unsigned long dest = xm_tramp_dest(s->tramp);
		const u8 *t = (const u8 *)s->target;

		seq_printf(m, "# %s: target %px trampoline %px: %*ph (%s)\n",
			   s->sym, (void *)s->target, s->tramp, 5, s->tramp,
			   !memcmp(t, endbr64, 4) ? "target starts with endbr64" :
			   "target has no endbr64 (sealed or past it)");
		seq_printf(m, "%sok %d - %s reached by direct jmp rel32\n",
			   dest && dest == s->target ? "" : "not ", i + 1, s->sym);
	}
}
