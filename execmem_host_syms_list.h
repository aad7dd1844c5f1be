/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The non-exported kernel functions hosting (execmem_host*.c) calls:
 * XM_SYM(name, function), as in execmem_syms_list.h, but optional.  One
 * that cannot be resolved leaves its static call returning 0, and the
 * consumer that needs it is turned off with a message; execmem itself
 * still loads.  Not shared with the benchmark.  No include guard.
 *
 * XM_HOST_PACK_ALLOC (execmem_compat.h) is what the kernel's BPF pack
 * allocator calls for a new pack: called for the packs execmem does not
 * serve (no 2 MiB page), so that the kernel gets its memory as before.
 * insn_decode checks, at placement, that the kernel calls the hooked
 * functions (execmem_host.c, xh_calls()).  find_vm_area serves the
 * census and the release of hosted areas as well.
 */
XM_SYM(find_vm_area, find_vm_area)
XM_SYM(kallsyms_lookup_size_offset, kallsyms_lookup_size_offset)
XM_SYM(orig_pack_alloc, XM_HOST_PACK_ALLOC)
XM_SYM(orig_alloc_insn_page, alloc_insn_page)
XM_SYM(wait_for_kprobe_optimizer, wait_for_kprobe_optimizer)
XM_SYM(insn_decode, insn_decode)
