// SPDX-License-Identifier: GPL-2.0
/*
 * Resolve the non-exported kernel functions execmem needs,
 * in one place, and make every call to them safe under IBT.
 *
 * kallsyms_lookup_name() is not exported either: a kprobe registered on it
 * yields its address (the kprobe is removed at once).  From then on every
 * target is reached through a static call of ours (execmem_syms.h), bound
 * and checked by the one resolution engine, execmem_resolve.h: the
 * trampoline must become "jmp rel32 <target>" (and objtool-annotated call
 * sites "call rel32 <target>"), or execmem refuses to load.  A direct
 * branch needs no ENDBR64 at its destination, so calling functions whose
 * ENDBR64 the kernel sealed at boot is safe; debugfs "calls" shows the
 * facts for the tests.  The functions are listed once, in
 * execmem_syms_list.h, and those only hosting needs (optional: a kernel
 * without one still loads execmem) in execmem_host_syms_list.h.  The census
 * and the direct-map lab bind their own optional tables with the same
 * engine at first use, looking up through xm_sym_lookup() like everything
 * else, so that fail_resolve reaches every symbol execmem looks up.
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

/* The table execmem resolves at load, from the lists (execmem_resolve.h). */
#define XM_SYM(name, function) XM_SYM_ENTRY(xm_, name, function, false),
static struct xm_sym xm_syms[] = {
#include "execmem_syms_list.h"
#undef XM_SYM
#define XM_SYM(name, function) XM_SYM_ENTRY(xm_, name, function, true),
#include "execmem_host_syms_list.h"
};

#undef XM_SYM

/*
 * Every kernel symbol execmem looks up, its own tables' and the census's,
 * the lab's and hosting's, goes through here: fail_resolve reaches each.
 */
unsigned long xm_sym_lookup(const char *sym)
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
	unsigned long addr = xm_sym_lookup("x86_return_thunk");

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

int xm_syms_init(void)
{
	unsigned long addr;
	int ret;

	addr = fail_resolve && !strcmp(fail_resolve, xm_syms[0].sym) ? 0 :
	       xm_lookup_kallsyms_lookup_name();
	ret = xm_sym_bind(&xm_syms[0], addr);
	if (ret) {
		pr_err("cannot resolve kallsyms_lookup_name (kprobe failed)\n");
		return ret;
	}
	ret = xm_syms_resolve(xm_syms, ARRAY_SIZE(xm_syms), xm_sym_lookup);
	return ret ?: xm_resolve_return_thunk();
}

/*
 * The module whose memory holds @addr, or NULL.  __module_address() wants
 * preemption (<= 6.12) or RCU (later) off.  The module may go away once
 * this returns: the pointer only compares, unless the caller holds
 * rcu_read_lock() around this call and its use.
 */
const struct module *xm_module_of(unsigned long addr)
{
	const struct module *mod;

	rcu_read_lock();
	preempt_disable();
	mod = xm_call(module_address)(addr);
	preempt_enable();
	rcu_read_unlock();
	return mod;
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
