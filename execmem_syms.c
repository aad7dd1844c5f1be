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
 * "calls" shows the same facts for the tests.  The functions are listed once, in
 * execmem_syms_list.h, and those only hosting needs (optional: a kernel
 * without one still loads execmem) in execmem_host_syms_list.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <linux/moduleparam.h>
#include "execmem_syms.h"
#include "execmem_resolve.h"

/*
 * The definitions, from the list.  DEFINE_STATIC_CALL_RET0() must be
 * followed by a ';', which a macro may not end with (checkpatch): an empty
 * inline function closes each definition instead.
 */
#define XM_SYM(name, function)						\
	DEFINE_STATIC_CALL_RET0(xm_##name, function);			\
	static inline void xm_##name##_defined(void) { }
#include "execmem_syms_list.h"
#include "execmem_host_syms_list.h"
#undef XM_SYM

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
	bool optional;		/* hosting only: may stay unresolved */
};

/* The resolution table, from the list. */
#define XM_SYM(name, function) {					\
	.sym = __stringify(function),					\
	.key = &STATIC_CALL_KEY(xm_##name),				\
	.tramp = STATIC_CALL_TRAMP_ADDR(xm_##name),			\
},

static struct xm_sym xm_syms[] = {
#include "execmem_syms_list.h"
#undef XM_SYM
#define XM_SYM(name, function) {					\
	.sym = __stringify(function),					\
	.key = &STATIC_CALL_KEY(xm_##name),				\
	.tramp = STATIC_CALL_TRAMP_ADDR(xm_##name),			\
	.optional = true,						\
},
#include "execmem_host_syms_list.h"
};

#undef XM_SYM

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
		if (!addr && xm_syms[i].optional)
			continue;	/* its static call keeps returning 0 */
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

/*
 * One row per resolved function: is its trampoline a direct "jmp rel32"
 * to the resolved address, does the target start with ENDBR64 (sealed
 * functions and kprobe addresses past it do not), and the two addresses
 * (zeros unless @show).  Facts only: tests turn them into verdicts.
 */
void xm_syms_show(struct seq_file *m, bool show)
{
	static const u8 endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	int i;

	seq_puts(m, "symbol direct_jmp target_endbr64 target trampoline\n");
	for (i = 0; i < ARRAY_SIZE(xm_syms); i++) {
		const struct xm_sym *s = &xm_syms[i];
		unsigned long dest = xm_tramp_dest(s->tramp);

		if (!s->target)		/* an optional one, unresolved */
			continue;
		seq_printf(m, "%s %d %d %016lx %016lx\n", s->sym,
			   dest && dest == s->target,
			   !memcmp((const void *)s->target, endbr64, 4),
			   show ? s->target : 0,
			   show ? (unsigned long)s->tramp : 0);
	}
}

/* Where @sym was resolved to (and its static call bound), or 0. */
unsigned long xm_sym_target(const char *sym)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(xm_syms); i++)
		if (!strcmp(xm_syms[i].sym, sym))
			return xm_syms[i].target;
	return 0;
}

/* The return thunk generated code jumps to, or "none" (it uses ret). */
void xm_return_thunk_show(struct seq_file *m)
{
	if (cpu_feature_enabled(X86_FEATURE_RETHUNK))
		seq_printf(m, "%ps\n", (void *)xm_return_thunk);
	else
		seq_puts(m, "none\n");
}
