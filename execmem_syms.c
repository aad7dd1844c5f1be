// SPDX-License-Identifier: GPL-2.0
/*
 * Resolve the non-exported kernel functions execmem needs,
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

DEFINE_STATIC_CALL_RET0(xm_kallsyms_lookup_name, kallsyms_lookup_name);
DEFINE_STATIC_CALL_RET0(xm_vmalloc_range, XM_VMALLOC_RANGE);
DEFINE_STATIC_CALL_RET0(xm_text_poke_copy, text_poke_copy);
DEFINE_STATIC_CALL_RET0(xm_text_poke_set, text_poke_set);
DEFINE_STATIC_CALL_RET0(xm_set_memory_ro, set_memory_ro);
DEFINE_STATIC_CALL_RET0(xm_set_memory_x, set_memory_x);
DEFINE_STATIC_CALL_RET0(xm_set_memory_nx, set_memory_nx);
DEFINE_STATIC_CALL_RET0(xm_set_memory_rw, set_memory_rw);
#if XM_HAVE_SET_MEMORY_ROX
DEFINE_STATIC_CALL_RET0(xm_set_memory_rox, set_memory_rox);
#endif
DEFINE_STATIC_CALL_RET0(xm_module_address, __module_address);
DEFINE_STATIC_CALL_RET0(xm_perf_event_ksymbol, perf_event_ksymbol);
DEFINE_STATIC_CALL_RET0(xm_kallsyms_show_value, kallsyms_show_value);

unsigned long xm_return_thunk;

static char *fail_resolve;
module_param(fail_resolve, charp, 0444);
MODULE_PARM_DESC(fail_resolve,
		 "testing: act as if this kernel symbol could not be resolved");

struct xm_sym {
	const char *sym;
	struct static_call_key *key;
	void *tramp;
	unsigned long target;
};

#define XM_SYM(name, symbol) {					\
	.sym = (symbol),						\
	.key = &STATIC_CALL_KEY(xm_##name),				\
	.tramp = STATIC_CALL_TRAMP_ADDR(xm_##name),			\
}

/* kallsyms_lookup_name first: it resolves the others. */
static struct xm_sym xm_syms[] = {
	XM_SYM(kallsyms_lookup_name, "kallsyms_lookup_name"),
	XM_SYM(vmalloc_range, XM_VMALLOC_RANGE_SYM),
	XM_SYM(text_poke_copy, "text_poke_copy"),
	XM_SYM(text_poke_set, "text_poke_set"),
	XM_SYM(set_memory_ro, "set_memory_ro"),
	XM_SYM(set_memory_x, "set_memory_x"),
	XM_SYM(set_memory_nx, "set_memory_nx"),
	XM_SYM(set_memory_rw, "set_memory_rw"),
#if XM_HAVE_SET_MEMORY_ROX
	XM_SYM(set_memory_rox, "set_memory_rox"),
#endif
	XM_SYM(module_address, "__module_address"),
	XM_SYM(perf_event_ksymbol, "perf_event_ksymbol"),
	XM_SYM(kallsyms_show_value, "kallsyms_show_value"),
};

static unsigned long xm_lookup(const char *sym)
{
	if (fail_resolve && !strcmp(sym, fail_resolve))
		return 0;
	return static_call(xm_kallsyms_lookup_name)(sym);
}

/*
 * Generated code must return the way the kernel's own does: through the
 * return thunk the mitigations chose at boot (x86_return_thunk, a pointer)
 * when the kernel uses one.  Falling back to __x86_return_thunk could
 * bypass the mitigation in force (e.g. SRSO's), so refuse to load instead.
 */
static int xm_resolve_return_thunk(void)
{
	unsigned long addr = xm_lookup("x86_return_thunk");

	if (addr) {
		xm_return_thunk = *(unsigned long *)addr;
		return 0;
	}
	if (cpu_feature_enabled(X86_FEATURE_RETHUNK)) {
		pr_err("cannot resolve x86_return_thunk while the kernel uses a return thunk: refusing to load\n");
		return -ENOENT;
	}
	xm_return_thunk = 0;	/* generated code returns with ret */
	return 0;
}

/* Point the static call at @addr and check it became a direct jmp there. */
static int xm_sym_bind(struct xm_sym *s, unsigned long addr)
{
	s->target = addr;
	__static_call_update(s->key, s->tramp, (void *)addr);
	if (xm_tramp_dest(s->tramp) != addr) {
		pr_err("static call to %s is not a direct jmp: refusing to load\n",
		       s->sym);
		return -EINVAL;
	}
	return 0;
}

int xm_syms_init(void)
{
	unsigned long addr;
	int i, ret;

	addr = fail_resolve && !strcmp(fail_resolve, xm_syms[0].sym) ? 0 :
	       xm_lookup_kallsyms_lookup_name();
	if (!addr) {
		pr_err("cannot resolve kallsyms_lookup_name (kprobe failed)\n");
		return -ENOENT;
	}
	ret = xm_sym_bind(&xm_syms[0], addr);
	if (ret)
		return ret;

	for (i = 1; i < ARRAY_SIZE(xm_syms); i++) {
		addr = xm_lookup(xm_syms[i].sym);
		if (!addr) {
			pr_err("cannot resolve %s\n", xm_syms[i].sym);
			return -ENOENT;
		}
		ret = xm_sym_bind(&xm_syms[i], addr);
		if (ret)
			return ret;
	}

	return xm_resolve_return_thunk();
}

/* KTAP: one test per resolved function, checking the bytes that reach it. */
void xm_syms_show(struct seq_file *m, bool show)
{
	static const u8 endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	int i;

	seq_puts(m, "KTAP version 1\n");
	seq_printf(m, "1..%zu\n", ARRAY_SIZE(xm_syms));
	for (i = 0; i < ARRAY_SIZE(xm_syms); i++) {
		const struct xm_sym *s = &xm_syms[i];
		unsigned long dest = xm_tramp_dest(s->tramp);
		const u8 *t = (const u8 *)s->target;

		if (show)
			seq_printf(m, "# %s: target 0x%lx trampoline 0x%lx: %5phN (%s)\n",
				   s->sym, s->target, (unsigned long)s->tramp, s->tramp,
				   !memcmp(t, endbr64, 4) ? "target starts with endbr64" :
				   "target has no endbr64 (sealed or past it)");
		seq_printf(m, "%sok %d - %s reached by direct jmp rel32\n",
			   dest && dest == s->target ? "" : "not ", i + 1, s->sym);
	}
	if (cpu_feature_enabled(X86_FEATURE_RETHUNK))
		seq_printf(m, "# return thunk: %ps\n", (void *)xm_return_thunk);
	else
		seq_puts(m, "# return thunk: none (ret)\n");
}
