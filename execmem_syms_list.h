/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every non-exported kernel function execmem calls, each written once:
 *
 *	XM_SYM(name, function)
 *
 * reached through the static call xm_<name>, typed by the kernel's own
 * declaration of <function>, resolved by the symbol __stringify(function).
 * The includer defines XM_SYM: execmem_syms.h makes the declarations,
 * execmem_syms.c the definitions and the resolution table, and the
 * benchmark module (bench/kmod) its own definitions and table from the
 * same list.  kallsyms_lookup_name comes first: it resolves the others.
 * No include guard: included once per use.
 */
XM_SYM(kallsyms_lookup_name, kallsyms_lookup_name)
XM_SYM(vmalloc_range, XM_VMALLOC_RANGE)
XM_SYM(text_poke_copy, text_poke_copy)
XM_SYM(text_poke_set, text_poke_set)
XM_SYM(set_memory_ro, set_memory_ro)
XM_SYM(set_memory_x, set_memory_x)
XM_SYM(set_memory_nx, set_memory_nx)
XM_SYM(set_memory_rw, set_memory_rw)
#if XM_HAVE_SET_MEMORY_ROX
XM_SYM(set_memory_rox, set_memory_rox)
#endif
XM_SYM(module_address, __module_address)
XM_SYM(perf_event_ksymbol, perf_event_ksymbol)
XM_SYM(kallsyms_show_value, kallsyms_show_value)
