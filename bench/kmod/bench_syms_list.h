/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The non-exported kernel functions only the benchmark calls, each written
 * once: XM_SYM(name, function), as in execmem_syms_list.h (whose entries
 * come first).  The stock paths: the kernel's own module-text allocator of
 * each release and bpf_prog_pack.  No include guard: included once per use.
 */
#if BM_ROX_CACHE
XM_SYM(kexecmem_alloc_rw, execmem_alloc_rw)
XM_SYM(kexecmem_restore_rox, execmem_restore_rox)
XM_SYM(kexecmem_free, execmem_free)
#elif XM_KERNEL_EXECMEM
XM_SYM(kexecmem_alloc, execmem_alloc)
XM_SYM(kexecmem_free, execmem_free)
#else
XM_SYM(module_alloc, module_alloc)
XM_SYM(find_vm_area, find_vm_area)
#endif
XM_SYM(pack_alloc, bpf_prog_pack_alloc)
XM_SYM(pack_free, bpf_prog_pack_free)
