// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_bench_main.c - the benchmark behind `make demo`.
 *
 * One load runs one path on one workload and leaves its result, a JSON
 * object, in debugfs execmem_bench/result (the guest script prints it).
 *
 *   path=execmem        execmem_alloc + execmem_write + execmem_free (execmem.ko)
 *   path=stock          what the module loader does with module text:
 *                       6.1:  module_alloc, memcpy while writable,
 *                             VM_FLUSH_RESET_PERMS, set_memory_ro,
 *                             set_memory_x; vfree (module_memfree)
 *                       6.12: the kernel's execmem_alloc(EXECMEM_MODULE_TEXT),
 *                             memcpy, set_memory_rox; the kernel's execmem_free
 *                       ROX cache (7.2): execmem_alloc_rw, memcpy,
 *                             execmem_restore_rox; execmem_free
 *   path=bpf_prog_pack  bpf_prog_pack_alloc, text_poke_copy (as
 *                       bpf_arch_text_copy), bpf_prog_pack_free
 *   path=report         no benchmark: debugfs execmem_bench/area walks the
 *                       module area on every read (for the modload path)
 *
 *   workload=modules    every nonzero executable size of Debian 7.2's modules
 *   workload=loaded     the executable sizes of bench/loaded-modules.txt
 *   workload=bpf        nr_bpf seeded sizes of 64 B..2 KiB, half below 500 B
 *
 * Sequence (counters are read around the work only, so loading this module
 * and execmem.ko does not count):
 *  1. place every allocation: alloc, write the whole payload, make it
 *     executable; sample the leaves covering live code as it grows;
 *  2. walk every live allocation with lookup_address: distinct 4K/2M leaves;
 *  3. execution: a chain of generated functions, one per allocation, each
 *     jumping (tail call) to the previous one; time per call and per hop;
 *  4. free everything (random order): direct-map split deltas of 1..4;
 *  5. lifecycle: alloc + write + make executable + free, per iteration;
 *  6. allocation throughput on 1 and 2 CPUs; 7. 64 KiB write throughput.
 *
 * Non-exported kernel functions are reached through static calls whose
 * trampolines become direct jumps (execmem_resolve.h): IBT-safe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleloader.h>
#include <linux/kallsyms.h>
#include <linux/static_call.h>
#include <linux/vmalloc.h>
#include <linux/set_memory.h>
#include <linux/filter.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/sort.h>
#include <linux/slab.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/perf_event.h>
#include <linux/vmstat.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/mutex.h>
#include <linux/utsname.h>
#include <linux/version.h>
#include <asm/text-patching.h>
#include <asm/pgtable.h>
#include <asm/set_memory.h>
#include <execmem.h>
#include <linux/stringify.h>
#include "execmem_compat.h"
#include "execmem_vmstat.h"
#include "execmem_resolve.h"
#include "execmem_leaf.h"
#include "execmem_bench.h"
#include "bench_workloads.h"

static char *path = "execmem";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "execmem, stock, bpf_prog_pack or report");
static char *workload = "modules";
module_param(workload, charp, 0444);
MODULE_PARM_DESC(workload, "modules, loaded or bpf");
static unsigned int seed = 42;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the bpf sizes, orders and samples");
static unsigned int nr_bpf = 2000;
module_param(nr_bpf, uint, 0444);
MODULE_PARM_DESC(nr_bpf, "number of programs of the bpf workload");
static unsigned int lifecycle_iters = 2000;
module_param(lifecycle_iters, uint, 0444);
MODULE_PARM_DESC(lifecycle_iters, "iterations of the lifecycle loop");
static unsigned int tput_ops = 400;
module_param(tput_ops, uint, 0444);
MODULE_PARM_DESC(tput_ops, "operations per CPU of the allocation throughput test");
static unsigned int exec_rounds = 20;
module_param(exec_rounds, uint, 0444);
MODULE_PARM_DESC(exec_rounds, "calls of the whole function chain");
static unsigned int il_rounds = 40;
module_param(il_rounds, uint, 0644);
MODULE_PARM_DESC(il_rounds, "interleaved timing: rounds of every path (default 40)");
/* 1000: p99 is a round's 10th largest sample (200: its 2nd; verdicts flipped) */
static unsigned int il_iters = 1000;
module_param(il_iters, uint, 0644);
MODULE_PARM_DESC(il_iters, "interleaved timing: lifecycles and operations per path, workload and round (1000)");
static unsigned int il_writes = 15;
module_param(il_writes, uint, 0644);
MODULE_PARM_DESC(il_writes, "interleaved timing: writes per size, function and round");

/*
 * bpf_prog_pack_free() took the binary header (whose first u32 is the size)
 * until it took (ptr, size), in the same release that made the kernel's
 * execmem API appear; the supported kernels are 6.1 and 6.12.
 */
#define BM_PACK_FREE_SIZE	XM_KERNEL_EXECMEM

/* ---- IBT-safe calls to non-exported functions -------------------------- */

/*
 * One static call per non-exported function, typed by the kernel's own
 * declaration: execmem's list (execmem_syms_list.h: what both modules
 * call), then the benchmark's own (bench_syms_list.h), each written once.
 * DEFINE_STATIC_CALL_RET0() must be followed by a ';', which a macro may
 * not end with (checkpatch): an empty inline function closes each one.
 */
#define XM_SYM(name, function)						\
	DEFINE_STATIC_CALL_RET0(bm_##name, function);			\
	static inline void bm_##name##_defined(void) { }
#include "execmem_syms_list.h"
#include "bench_syms_list.h"
#undef XM_SYM

/* kallsyms_lookup_name first: it resolves the others. */
#define XM_SYM(name, function) XM_SYM_ENTRY(bm_, name, function, false),
static struct xm_sym bm_syms[] = {
#include "execmem_syms_list.h"
#include "bench_syms_list.h"
};

#undef XM_SYM

static unsigned long *bm_direct_pages;	/* direct_pages_count[], or NULL */
static struct list_head *bm_modules;	/* the kernel's module list */
static unsigned long bm_stext, bm_etext;

static bool in_vmlinux_text(unsigned long addr)
{
	return addr >= bm_stext && addr < bm_etext &&
	       !(addr >= MODULES_VADDR && addr < MODULES_END);
}

/*
 * execmem.ko exports a symbol named execmem_alloc too: make sure every
 * target is the kernel's own code.
 */
static unsigned long bm_lookup(const char *sym)
{
	unsigned long addr = static_call(bm_kallsyms_lookup_name)(sym);

	if (addr && !in_vmlinux_text(addr)) {
		pr_err("%s: %p is not in vmlinux text [%p, %p)\n", sym,
		       (void *)addr, (void *)bm_stext, (void *)bm_etext);
		return 0;
	}
	return addr;
}

static int bm_resolve(void)
{
	int ret;

	ret = xm_sym_bind(&bm_syms[0], xm_lookup_kallsyms_lookup_name());
	if (ret)
		return ret;
	bm_stext = static_call(bm_kallsyms_lookup_name)("_stext");
	bm_etext = static_call(bm_kallsyms_lookup_name)("_etext");
	ret = xm_syms_resolve(bm_syms, ARRAY_SIZE(bm_syms), bm_lookup);
	if (ret)
		return ret;
	bm_direct_pages = (unsigned long *)
		static_call(bm_kallsyms_lookup_name)("direct_pages_count");
	bm_modules = (struct list_head *)
		static_call(bm_kallsyms_lookup_name)("modules");
	return 0;
}

/* ---- counters ----------------------------------------------------------- */

struct bm_counters {
	unsigned long l2, l3;		/* direct_map_level{2,3}_splits */
	unsigned long dm[PG_LEVEL_NUM];	/* direct-map pages per level */
};

static void bm_read_counters(struct bm_counters *c)
{
	memset(c, 0, sizeof(*c));
	xm_direct_map_splits(&c->l2, &c->l3);
	if (bm_direct_pages)
		memcpy(c->dm, bm_direct_pages, sizeof(c->dm));
}

/* ---- output --------------------------------------------------------------- */

#define BM_OUT_SIZE	(512 * 1024)
static char *bm_out;
static size_t bm_len;
static bool bm_quiet;	/* a warm-up: nothing goes to the output */

__printf(1, 2) void bm_printf(const char *fmt, ...)
{
	va_list ap;

	if (!bm_out || bm_quiet || bm_len >= BM_OUT_SIZE - 1)
		return;
	va_start(ap, fmt);
	bm_len += vscnprintf(bm_out + bm_len, BM_OUT_SIZE - bm_len, fmt, ap);
	va_end(ap);
}

/* "key": n / d with four decimals, from integers */
static void out_ratio(const char *key, u64 n, u64 d)
{
	u64 r = d ? div64_u64(n * 10000, d) : 0;

	bm_printf("\"%s\": %llu.%04llu, ", key, r / 10000, r % 10000);
}

/* ---- the paths ------------------------------------------------------------- */

static void *bm_execmem_alloc(size_t size)
{
	return execmem_alloc(EXECMEM_MODULE_TEXT, size);
}

static int bm_execmem_write(void *p, const void *src, size_t len, size_t size)
{
	return execmem_write(p, src, len);
}

static void bm_execmem_free(void *p, size_t size)
{
	execmem_free(p);
}

static int __maybe_unused stock_npages(size_t size)
{
	return PAGE_ALIGN(size) >> PAGE_SHIFT;
}

#if BM_ROX_CACHE
/* the loader asks for page-aligned sizes (mod->mem[type].size) */
static void *stock_alloc(size_t size)
{
	return static_call(bm_kexecmem_alloc_rw)(EXECMEM_MODULE_TEXT, PAGE_ALIGN(size));
}

static int stock_write(void *p, const void *src, size_t len, size_t size)
{
	memcpy(p, src, len);
	return static_call(bm_kexecmem_restore_rox)(p, PAGE_ALIGN(size));
}

static void stock_free(void *p, size_t size)
{
	static_call(bm_kexecmem_free)(p);
}
#elif XM_KERNEL_EXECMEM
static void *stock_alloc(size_t size)
{
	return static_call(bm_kexecmem_alloc)(EXECMEM_MODULE_TEXT, size);
}

/* kernel/module: the loader copies, then module_enable_rox() */
static int stock_write(void *p, const void *src, size_t len, size_t size)
{
	memcpy(p, src, len);
	return static_call(bm_set_memory_rox)((unsigned long)p, stock_npages(size));
}

/* module_memory_free(): execmem_free(), a vfree with VM_FLUSH_RESET_PERMS */
static void stock_free(void *p, size_t size)
{
	static_call(bm_kexecmem_free)(p);
}
#else
static void *stock_alloc(size_t size)
{
	return static_call(bm_module_alloc)(size);
}

/*
 * The loader copies, then module_enable_ro() (set_vm_flush_reset_perms +
 * set_memory_ro) and module_enable_x() (set_memory_x).
 */
static int stock_write(void *p, const void *src, size_t len, size_t size)
{
	struct vm_struct *vm;
	int ret;

	memcpy(p, src, len);
	vm = static_call(bm_find_vm_area)(p);
	if (vm)
		vm->flags |= VM_FLUSH_RESET_PERMS;
	ret = static_call(bm_set_memory_ro)((unsigned long)p, stock_npages(size));
	return ret ?: static_call(bm_set_memory_x)((unsigned long)p, stock_npages(size));
}

/* free_module() -> module_memfree() == vfree() on x86 */
static void stock_free(void *p, size_t size)
{
	vfree(p);
}
#endif

/* The fill callback of bpf_prog_pack_alloc (the JIT's jit_fill_hole). */
static void bm_fill_hole(void *area, unsigned int size)
{
	memset(area, 0xcc, size);
}

static void *pack_alloc(size_t size)
{
	return static_call(bm_pack_alloc)(size, bm_fill_hole, false);
}

/* bpf_arch_text_copy() is text_poke_copy() */
static int pack_write(void *p, const void *src, size_t len, size_t size)
{
	return static_call(bm_text_poke_copy)(p, src, len) ? 0 : -EIO;
}

static void pack_free(void *p, size_t size)
{
#if BM_PACK_FREE_SIZE
	static_call(bm_pack_free)(p, size);
#else
	/* the payload starts with the u32 size, like struct bpf_binary_header */
	static_call(bm_pack_free)(p);
#endif
}

static const struct bm_path bm_paths[] = {
	{ "execmem", 0, bm_execmem_alloc, bm_execmem_write, bm_execmem_free },
	{ "stock", 0, stock_alloc, stock_write, stock_free },
	{ "bpf_prog_pack", 16, pack_alloc, pack_write, pack_free },
};

const struct bm_path *bm_path_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(bm_paths); i++)
		if (!strcmp(name, bm_paths[i].name))
			return &bm_paths[i];
	return NULL;
}

/* ---- workload ----------------------------------------------------------------- */

u64 bm_rnd_seed(void)
{
	return seed ? seed : 1;
}

static void shuffle(u64 *s, u32 *v, u32 n)
{
	u32 i, j;

	for (i = n - 1; i > 0; i--) {
		j = rnd32(s) % (i + 1);
		swap(v[i], v[j]);
	}
}

/* The smallest allocation must hold a header (bpf), a stub and a return. */
#define BM_MIN_SIZE	48

int bm_make_workload(struct bm_run *r, const char *wl)
{
	const u32 *src = NULL;
	u32 i;

	if (!strcmp(wl, "modules")) {
		src = bm_wl_modules;
		r->n = ARRAY_SIZE(bm_wl_modules);
	} else if (!strcmp(wl, "loaded")) {
		src = bm_wl_loaded;
		r->n = ARRAY_SIZE(bm_wl_loaded);
	} else if (!strcmp(wl, "bpf")) {
		r->n = nr_bpf;
	} else {
		return -EINVAL;
	}
	r->size = kvcalloc(r->n, sizeof(*r->size), GFP_KERNEL);
	r->ptr = kvcalloc(r->n, sizeof(*r->ptr), GFP_KERNEL);
	if (!r->size || !r->ptr)
		return -ENOMEM;
	for (i = 0; i < r->n; i++) {
		if (src)
			r->size[i] = src[i];
		else if (rnd32(&r->rnd) & 1)
			r->size[i] = 64 + rnd32(&r->rnd) % (500 - 64);
		else
			r->size[i] = 500 + rnd32(&r->rnd) % (2048 - 500 + 1);
		r->size[i] = max_t(u32, r->size[i], BM_MIN_SIZE);
		r->max = max_t(size_t, r->max, r->size[i]);
	}
	/* the loaded set is placed in a seeded order, like a boot's modprobes */
	if (src == bm_wl_loaded)
		shuffle(&r->rnd, r->size, r->n);
	r->buf = vmalloc(r->max);
	return r->buf ? 0 : -ENOMEM;
}

const u8 bm_endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

/*
 * The payload of allocation i at @p: [u32 size (bpf header)] then at
 * code_off "endbr64; jmp <previous allocation's function>", or for the
 * first one "endbr64; mov $magic, %eax; <return>", then a pattern.
 */
#define BM_MAGIC	0x600dc0deU

static void bm_payload(struct bm_run *r, u32 i, u32 len)
{
	unsigned long ip = (unsigned long)r->ptr[i] + r->p->code_off;
	u8 *b = r->buf, *c = b + r->p->code_off;
	u32 k, size = r->size[i];
	size_t n = 0;
	s32 rel;

	for (k = 0; k < len; k++)
		b[k] = (u8)(i * 31 + k);
	memcpy(b, &size, sizeof(size));
	if (IS_ENABLED(CONFIG_X86_KERNEL_IBT)) {
		memcpy(c, bm_endbr64, sizeof(bm_endbr64));
		n = sizeof(bm_endbr64);
	}
	if (i == 0) {
		u32 magic = BM_MAGIC;

		c[n++] = 0xb8;
		memcpy(c + n, &magic, sizeof(magic));
		n += sizeof(magic);
		execmem_text_gen_return(c + n, ip + n);
	} else {
		rel = (long)r->ptr[i - 1] + r->p->code_off - (long)(ip + n + 5);
		c[n++] = 0xe9;
		memcpy(c + n, &rel, sizeof(rel));
	}
}

/* alloc + write + make executable of allocation i: ns, or 0 on failure */
static u64 bm_place(struct bm_run *r, u32 i)
{
	u64 t0 = ktime_get_ns(), t;

	r->ptr[i] = r->p->alloc(r->size[i]);
	if (!r->ptr[i])
		goto fail;
	bm_payload(r, i, r->size[i]);
	if (r->p->write_exec(r->ptr[i], r->buf, r->size[i], r->size[i]))
		goto fail;
	t = ktime_get_ns() - t0;
	return t ?: 1;
fail:
	r->failed++;
	if (r->ptr[i])
		r->p->free(r->ptr[i], r->size[i]);
	r->ptr[i] = NULL;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Distinct leaves covering allocations [0, n) (level in the low bits). */
void bm_count_leaves(struct bm_run *r, u32 n, struct bm_leaves *lv)
{
	size_t nk = 0, k;
	unsigned long a, end;
	struct xm_leaf l;
	u32 i;

	memset(lv, 0, sizeof(*lv));
	for (i = 0; i < n; i++) {
		if (!r->ptr[i])
			continue;
		a = (unsigned long)r->ptr[i] & PAGE_MASK;
		end = (unsigned long)r->ptr[i] + r->size[i];
		while (a < end && nk < r->nkeys_max) {
			if (!xm_leaf_at(a, &l))
				break;
			if (!xm_leaf_rox(&l))
				lv->not_rox++;
			r->keys[nk++] = l.start | l.level;
			a = l.start + l.size;
		}
	}
	sort(r->keys, nk, sizeof(*r->keys), cmp_u64, NULL);
	for (k = 0; k < nk; k++) {
		if (k && r->keys[k] == r->keys[k - 1])
			continue;
		switch (r->keys[k] & ~PAGE_MASK) {
		case PG_LEVEL_4K:
			lv->n4k++;
			break;
		case PG_LEVEL_2M:
			lv->n2m++;
			break;
		default:
			lv->n1g++;
		}
	}
}

/* ---- execution chain ------------------------------------------------------------ */

static void bm_exec(struct bm_run *r)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HW_CACHE,
		.size = sizeof(attr),
		.config = PERF_COUNT_HW_CACHE_ITLB |
			  (PERF_COUNT_HW_CACHE_OP_READ << 8) |
			  (PERF_COUNT_HW_CACHE_RESULT_MISS << 16),
		.exclude_user = 1,
	};
	u64 enabled, running, misses = 0, t0, ns;
	struct perf_event *ev;
	u32 (*fn)(void);
	u32 i, last;

	/* the chain is whole only if every allocation was placed */
	for (i = 0; i < r->n && r->ptr[i]; i++)
		;
	last = i - 1;
	if (i < r->n || !r->n) {
		bm_printf("\"exec_chain_len\": 0, \"exec_ns_per_call\": null, ");
		bm_printf("\"exec_ns_per_hop\": null, ");
		bm_printf("\"itlb_misses_per_call\": \"not available\", ");
		return;
	}
	fn = (void *)((unsigned long)r->ptr[last] + r->p->code_off);
	/* one warm-up call, checked */
	r->bad_calls += fn() != BM_MAGIC;
	ev = perf_event_create_kernel_counter(&attr, -1, current, NULL, NULL);
	if (!IS_ERR(ev))
		perf_event_enable(ev);
	t0 = ktime_get_ns();
	for (i = 0; i < exec_rounds; i++)
		r->bad_calls += fn() != BM_MAGIC;
	ns = ktime_get_ns() - t0;
	if (!IS_ERR(ev)) {
		misses = perf_event_read_value(ev, &enabled, &running);
		perf_event_release_kernel(ev);
	}
	bm_printf("\"exec_chain_len\": %u, \"exec_ns_per_call\": %llu, ", last + 1,
		  div_u64(ns, exec_rounds));
	out_ratio("exec_ns_per_hop", ns, (u64)exec_rounds * (last + 1));
	if (IS_ERR(ev))
		bm_printf("\"itlb_misses_per_call\": \"not available\", \"itlb_error\": %ld, ",
			  PTR_ERR(ev));
	else
		bm_printf("\"itlb_misses_per_call\": %llu, ", div_u64(misses, exec_rounds));
}

/* ---- lifecycle and throughput ------------------------------------------------- */

static void out_quantiles(const char *key, u64 *v, u32 n)
{
	int q;

	sort(v, n, sizeof(*v), cmp_u64, NULL);
	bm_printf("\"%s\": [", key);
	for (q = 0; q <= 100; q++)
		bm_printf("%llu%s", n ? v[min_t(u32, (u64)n * q / 100, n - 1)] : 0,
			  q < 100 ? ", " : "], ");
}

/* alloc + write the whole payload + make executable + free */
static void bm_lifecycle(struct bm_run *r)
{
	u32 *order, i, k, n = lifecycle_iters;
	u64 *lat, t0;
	unsigned long failed = r->failed;

	lat = kvcalloc(n, sizeof(*lat), GFP_KERNEL);
	order = kvcalloc(r->n, sizeof(*order), GFP_KERNEL);
	if (!lat || !order || !n)
		goto out;
	for (i = 0; i < r->n; i++)
		order[i] = i;
	shuffle(&r->rnd, order, r->n);
	for (k = 0; k < n; k++) {
		i = order[k % r->n];
		t0 = ktime_get_ns();
		if (!bm_place(r, i)) {
			lat[k] = 0;
			continue;
		}
		r->p->free(r->ptr[i], r->size[i]);
		r->ptr[i] = NULL;
		lat[k] = ktime_get_ns() - t0;
		cond_resched();
	}
	sort(lat, n, sizeof(*lat), cmp_u64, NULL);
	bm_printf("\"lifecycle_iters\": %u, \"lifecycle_failed\": %lu, ",
		  n, r->failed - failed);
	bm_printf("\"lifecycle_ns_p50\": %llu, \"lifecycle_ns_p99\": %llu, ",
		  lat[n / 2], lat[(u64)n * 99 / 100]);
	out_quantiles("lifecycle_ns_quantiles", lat, n);
out:
	kvfree(lat);
	kvfree(order);
}

struct bm_worker {
	struct bm_run *r;
	struct completion *go;
	struct completion done;
	u32 start;
	unsigned long failed;
};

/* tput_ops times: alloc + 16-byte write + make executable + free */
static int bm_tput_thread(void *arg)
{
	struct bm_worker *w = arg;
	struct bm_run *r = w->r;
	u8 hdr[16];
	u32 k, i;
	void *p;

	wait_for_completion(w->go);
	for (k = 0; k < tput_ops; k++) {
		i = (w->start + k * 7) % r->n;
		p = r->p->alloc(r->size[i]);
		if (!p) {
			w->failed++;
			continue;
		}
		memset(hdr, 0xcc, sizeof(hdr));
		memcpy(hdr, &r->size[i], sizeof(u32));
		if (r->p->write_exec(p, hdr, sizeof(hdr), r->size[i]))
			w->failed++;
		r->p->free(p, r->size[i]);
		cond_resched();
	}
	complete(&w->done);
	return 0;
}

/* ops/s with @ncpu threads bound to CPUs 0.. */
static u64 bm_tput(struct bm_run *r, int ncpu, unsigned long *failed)
{
	struct bm_worker w[2];
	struct task_struct *t[2];
	DECLARE_COMPLETION_ONSTACK(go);
	u64 t0, ns;
	int c;

	for (c = 0; c < ncpu; c++) {
		w[c] = (struct bm_worker){ .r = r, .go = &go, .start = c * 997 };
		init_completion(&w[c].done);
		t[c] = kthread_create(bm_tput_thread, &w[c], "execmem_bench/%d", c);
		if (IS_ERR(t[c]))
			return 0;
		kthread_bind(t[c], c);
		wake_up_process(t[c]);
	}
	t0 = ktime_get_ns();
	complete_all(&go);
	for (c = 0; c < ncpu; c++) {
		wait_for_completion(&w[c].done);
		*failed += w[c].failed;
	}
	ns = ktime_get_ns() - t0;
	return div64_u64((u64)tput_ops * ncpu * NSEC_PER_SEC, ns ?: 1);
}

/* ---- 64 KiB write throughput (execmem path) ----------------------------------- */

#define BM_W_SIZE	SZ_64K
#define BM_W_REPS	31

static u64 bm_wlat[BM_W_REPS];

static u64 median_ns(u64 *v, int n)
{
	sort(v, n, sizeof(*v), cmp_u64, NULL);
	return v[n / 2];
}

static u64 mbps(size_t bytes, u64 ns)
{
	return div64_u64((u64)bytes * 1000, ns ?: 1);
}

enum { W_XM64K, W_TPC64K, W_MEMCPY64K, W_TPC8K, W_TPC64, W_XM64, W_NR };

/* One timed write of @len bytes from @src as @w says; its ns. */
static u64 bm_write_once(int w, u8 *dst, const u8 *src, u8 *vbuf, size_t len)
{
	u64 t0 = ktime_get_ns();

	switch (w) {
	case W_XM64K:
	case W_XM64:
		execmem_write(dst, src, len);
		break;
	case W_MEMCPY64K:
		memcpy(vbuf, src, len);
		barrier();
		break;
	default:
		static_call(bm_text_poke_copy)(dst, src, len);
	}
	return ktime_get_ns() - t0;
}

static void bm_write_tput(void)
{
	static const size_t len[W_NR] = { BM_W_SIZE, BM_W_SIZE, BM_W_SIZE, SZ_8K, 64, 64 };
	u64 v[BM_W_REPS], med[W_NR];
	u8 *src, *dst, *vbuf;
	int k, w;

	src = vmalloc(BM_W_SIZE);
	vbuf = vmalloc(BM_W_SIZE);
	dst = execmem_alloc_aligned(EXECMEM_MODULE_TEXT, BM_W_SIZE, PAGE_SIZE);
	if (!src || !vbuf || !dst)
		goto out;
	memset(src, 0xcc, BM_W_SIZE);
	for (w = 0; w < W_NR; w++) {
		for (k = 0; k < BM_W_REPS; k++)
			v[k] = bm_write_once(w, dst, src, vbuf, len[w]);
		med[w] = median_ns(v, BM_W_REPS);
	}
	bm_printf("\"write_64k_mbps\": %llu, ", mbps(BM_W_SIZE, med[W_XM64K]));
	bm_printf("\"text_poke_copy_64k_mbps\": %llu, ",
		  mbps(BM_W_SIZE, med[W_TPC64K]));
	bm_printf("\"memcpy_64k_mbps\": %llu, ", mbps(BM_W_SIZE, med[W_MEMCPY64K]));
	/*
	 * Breakdown: text_poke_copy maps at most two pages per __text_poke
	 * (temporary mm switch, copy, compare, unmap, local flush): 8 calls
	 * for 64 KiB.  64 B measures the fixed cost of one call.
	 */
	bm_printf("\"write_breakdown\": {\"execmem_write_64k_ns\": %llu, ", med[W_XM64K]);
	bm_printf("\"text_poke_copy_64k_ns\": %llu, ", med[W_TPC64K]);
	bm_printf("\"memcpy_64k_ns\": %llu, ", med[W_MEMCPY64K]);
	bm_printf("\"text_poke_copy_8k_ns\": %llu, ", med[W_TPC8K]);
	bm_printf("\"text_poke_copy_64b_ns\": %llu, ", med[W_TPC64]);
	bm_printf("\"execmem_write_64b_ns\": %llu, ", med[W_XM64]);
	bm_printf("\"text_poke_calls_per_64k\": %lu}, ", BM_W_SIZE / (2 * PAGE_SIZE));
out:
	if (dst)
		execmem_free(dst);
	vfree(src);
	vfree(vbuf);
}

/* ---- interleaved timing: every path in one boot, round after round -------- */

/*
 * "interleave" (written to debugfs run): il_rounds rounds; in each, every
 * path serves the same requests (il_iters seeded sizes per workload, the
 * same in every round), the paths taking turns every BM_IL_BLOCK requests
 * (A B C, B C A, C A B...), then execmem_write and text_poke_copy write
 * 64 B, 4 KiB and 64 KiB il_writes times each, in alternating order.  One line per round, path
 * and metric: "IL round workload path metric value" (ns, or ops/s);
 * bench/timing.py turns them into per-round ratios with a bootstrap
 * interval over rounds.
 */
#define BM_IL_WL	2
static const char *const bm_il_wl[BM_IL_WL] = { "bpf", "modules" };

#define BM_IL_NP	ARRAY_SIZE(bm_paths)
#define BM_IL_BLOCK	25	/* requests a path serves before the next one's turn */

struct bm_il {
	u32 *size[BM_IL_WL];
	u64 *lat[BM_IL_NP];	/* per path: each request's lifecycle ns */
	u64 ops_ns[BM_IL_NP];	/* per path: the operations' time */
	u32 fails[BM_IL_NP];
	u8 *buf;
	size_t max;
};

/* endbr64; mov $BM_MAGIC, %eax; return, at @code of an allocation at @ip */
static void bm_il_stub(u8 *code, unsigned long ip)
{
	u32 magic = BM_MAGIC;
	size_t n = 0;

	if (IS_ENABLED(CONFIG_X86_KERNEL_IBT)) {
		memcpy(code, bm_endbr64, sizeof(bm_endbr64));
		n = sizeof(bm_endbr64);
	}
	code[n++] = 0xb8;
	memcpy(code + n, &magic, sizeof(magic));
	n += sizeof(magic);
	execmem_text_gen_return(code + n, ip + n);
}

/*
 * One lifecycle: alloc, write the whole @size bytes (a function at
 * code_off), make executable, call, free.  ns, or 0 on a failure.
 */
static u64 bm_il_life(const struct bm_path *p, u8 *buf, u32 size, unsigned long *bad)
{
	u64 t0 = ktime_get_ns(), t;
	u32 (*fn)(void);
	void *a;

	a = p->alloc(size);
	if (!a)
		return 0;
	memcpy(buf, &size, sizeof(size));
	bm_il_stub(buf + p->code_off, (unsigned long)a + p->code_off);
	if (p->write_exec(a, buf, size, size)) {
		p->free(a, size);
		return 0;
	}
	fn = a + p->code_off;
	*bad += fn() != BM_MAGIC;
	p->free(a, size);
	t = ktime_get_ns() - t0;
	return t ?: 1;
}

/* One operation: alloc, a 16-byte write (the bpf header), free. */
static bool bm_il_op(const struct bm_path *p, u8 *buf, u32 size)
{
	void *a = p->alloc(size);
	int ret;

	if (!a)
		return false;
	memcpy(buf, &size, sizeof(size));
	ret = p->write_exec(a, buf, 16, size);
	p->free(a, size);
	return !ret;
}

/*
 * Requests [@k0, @k0 + BM_IL_BLOCK) of one workload through path @i: their
 * lifecycles (@ops false) into il->lat[i], or as operations (@ops true),
 * their time added to il->ops_ns[i].
 */
static void bm_il_block(struct bm_il *il, int wl, u32 i, u32 k0, bool ops,
			unsigned long *bad)
{
	const struct bm_path *p = &bm_paths[i];
	u32 k, end = min_t(u32, k0 + BM_IL_BLOCK, il_iters);
	u64 t0 = ktime_get_ns();

	for (k = k0; k < end; k++) {
		if (ops) {
			il->fails[i] += !bm_il_op(p, il->buf, il->size[wl][k]);
			continue;
		}
		il->lat[i][k] = bm_il_life(p, il->buf, il->size[wl][k], bad);
		il->fails[i] += !il->lat[i][k];
	}
	if (ops)
		il->ops_ns[i] += ktime_get_ns() - t0;
	cond_resched();
}

/*
 * One workload in one round: the paths take turns every BM_IL_BLOCK
 * requests (the first one rotating), so that a change of the machine's
 * load reaches all of them alike; lifecycles first, then operations.  Per
 * path: lifecycle p50 and p99 over the round, operations per second.
 */
static void bm_il_round(struct bm_il *il, u32 round, int wl, unsigned long *bad)
{
	u32 i, j, k0, n = il_iters;
	int ops;

	memset(il->ops_ns, 0, sizeof(il->ops_ns));
	memset(il->fails, 0, sizeof(il->fails));
	for (ops = 0; ops < 2; ops++)
		for (k0 = 0; k0 < n; k0 += BM_IL_BLOCK)
			for (j = 0; j < BM_IL_NP; j++)
				bm_il_block(il, wl, (round + k0 / BM_IL_BLOCK + j) % BM_IL_NP,
					    k0, ops, bad);
	for (i = 0; i < BM_IL_NP; i++) {
		const char *name = bm_paths[i].name;

		sort(il->lat[i], n, sizeof(*il->lat[i]), cmp_u64, NULL);
		bm_printf("IL %u %s %s life_p50 %llu\n", round, bm_il_wl[wl], name,
			  il->lat[i][n / 2]);
		bm_printf("IL %u %s %s life_p99 %llu\n", round, bm_il_wl[wl], name,
			  il->lat[i][(u64)n * 99 / 100]);
		bm_printf("IL %u %s %s ops_per_s %llu\n", round, bm_il_wl[wl], name,
			  div64_u64((u64)n * NSEC_PER_SEC, il->ops_ns[i] ?: 1));
		if (il->fails[i])
			bm_printf("IL %u %s %s failed %u\n", round, bm_il_wl[wl], name,
				  il->fails[i]);
	}
}

static const size_t bm_il_wsize[] = { 64, SZ_4K, SZ_64K };

/* median ns of il_writes writes of @len bytes to @dst by execmem or not */
static u64 bm_il_write1(u8 *dst, const u8 *src, size_t len, bool xm)
{
	u64 t0;
	u32 k;

	for (k = 0; k < il_writes; k++) {
		t0 = ktime_get_ns();
		if (xm)
			execmem_write(dst, src, len);
		else
			static_call(bm_text_poke_copy)(dst, src, len);
		bm_wlat[k] = ktime_get_ns() - t0;
		cond_resched();
	}
	return median_ns(bm_wlat, il_writes);
}

/* execmem_write against text_poke_copy into the same allocation */
static void bm_il_writes(u32 round, u8 *dst, const u8 *src)
{
	u64 ns[2];
	int i, j;

	for (i = 0; i < ARRAY_SIZE(bm_il_wsize); i++) {
		for (j = 0; j < 2; j++) {
			bool xm = (round + i + j) % 2;

			ns[xm] = bm_il_write1(dst, src, bm_il_wsize[i], xm);
		}
		bm_printf("IL %u write%zu execmem_write ns %llu\n", round, bm_il_wsize[i], ns[1]);
		bm_printf("IL %u write%zu text_poke_copy ns %llu\n", round, bm_il_wsize[i], ns[0]);
	}
}

/* The same seeded sizes in every round: BPF-like, and a sample of modules. */
static int bm_il_prepare(struct bm_il *il)
{
	u64 rnd = bm_rnd_seed();
	u32 k, v;

	for (k = 0; k < BM_IL_NP; k++) {
		il->lat[k] = kvcalloc(il_iters, sizeof(u64), GFP_KERNEL);
		if (!il->lat[k])
			return -ENOMEM;
	}
	il->size[0] = kvcalloc(il_iters, sizeof(u32), GFP_KERNEL);
	il->size[1] = kvcalloc(il_iters, sizeof(u32), GFP_KERNEL);
	if (!il->size[0] || !il->size[1])
		return -ENOMEM;
	for (k = 0; k < il_iters; k++) {
		if (rnd32(&rnd) & 1)
			v = 64 + rnd32(&rnd) % (500 - 64);
		else
			v = 500 + rnd32(&rnd) % (2048 - 500 + 1);
		il->size[0][k] = max_t(u32, v, BM_MIN_SIZE);
		v = bm_wl_modules[rnd32(&rnd) % ARRAY_SIZE(bm_wl_modules)];
		il->size[1][k] = max_t(u32, v, BM_MIN_SIZE);
		il->max = max3(il->max, (size_t)il->size[0][k], (size_t)il->size[1][k]);
	}
	il->buf = vmalloc(max_t(size_t, il->max, SZ_64K));
	if (!il->buf)
		return -ENOMEM;
	for (k = 0; k < max_t(size_t, il->max, SZ_64K); k++)
		il->buf[k] = (u8)(k * 31);
	return 0;
}

static void bm_il_free(struct bm_il *il)
{
	u32 i;

	for (i = 0; i < BM_IL_NP; i++)
		kvfree(il->lat[i]);
	vfree(il->buf);
	kvfree(il->size[0]);
	kvfree(il->size[1]);
}

static void bm_interleave(void)
{
	struct bm_il il = { };
	unsigned long bad = 0;
	u32 round;
	u8 *dst = NULL;
	int wl;

	if (il_iters < 2 || il_writes < 1 || il_writes > BM_W_REPS ||
	    bm_il_prepare(&il))
		goto out;
	dst = execmem_alloc_aligned(EXECMEM_MODULE_TEXT, SZ_64K, PAGE_SIZE);
	if (!dst)
		goto out;
	bm_printf("IL begin rounds %u iters %u writes %u seed %u kernel %s\n", il_rounds,
		  il_iters, il_writes, seed, init_utsname()->release);
	/* round 0 is a warm-up (regions mapped, code translated): not reported */
	for (round = 0; round <= il_rounds; round++) {
		bm_quiet = !round;
		for (wl = 0; wl < BM_IL_WL; wl++)
			bm_il_round(&il, round, wl, &bad);
		bm_il_writes(round, dst, il.buf);
	}
	bm_quiet = false;
	bm_printf("IL end bad_calls %lu\n", bad);
out:
	if (dst)
		execmem_free(dst);
	bm_il_free(&il);
}

/* ---- where the time goes: one lifecycle call by call ------------------------ */

enum { PH_ALLOC, PH_WRITE, PH_CALL, PH_FREE, PH_POKE_SET, PH_NR };

/*
 * One lifecycle timed call by call into @ns[]; for bpf_prog_pack, whose
 * free refills with text_poke_set under its own lock, the same refill is
 * timed once more beforehand (PH_POKE_SET), to tell it from the rest.
 */
static bool bm_ph_life(const struct bm_path *p, u8 *buf, u32 size, u64 *ns)
{
	u64 t[PH_NR + 2];
	u32 (*fn)(void);
	void *a;
	bool ok;

	t[0] = ktime_get_ns();
	a = p->alloc(size);
	t[1] = ktime_get_ns();
	if (!a)
		return false;
	memcpy(buf, &size, sizeof(size));
	bm_il_stub(buf + p->code_off, (unsigned long)a + p->code_off);
	ok = !p->write_exec(a, buf, size, size);
	t[2] = ktime_get_ns();
	fn = a + p->code_off;
	ok = ok && fn() == BM_MAGIC;
	t[3] = ktime_get_ns();
	if (p->alloc == pack_alloc)
		static_call(bm_text_poke_set)(a, 0xcc, size);
	t[4] = ktime_get_ns();
	/* 6.1's bpf_prog_pack_free() reads the size from the header */
	if (p->alloc == pack_alloc && !BM_PACK_FREE_SIZE)
		static_call(bm_text_poke_copy)(a, &size, sizeof(size));
	t[5] = ktime_get_ns();
	p->free(a, size);
	t[6] = ktime_get_ns();
	ns[PH_ALLOC] += t[1] - t[0];
	ns[PH_WRITE] += t[2] - t[1];
	ns[PH_CALL] += t[3] - t[2];
	ns[PH_POKE_SET] += t[4] - t[3];
	ns[PH_FREE] += t[6] - t[5];
	return ok;
}

/*
 * "phases WORKLOAD": 3 x il_iters lifecycles of execmem, then of
 * bpf_prog_pack, on that workload's sizes; mean ns per call.  execmem's own
 * phases come from its parameter phase_timing, which the guest script turns
 * on around this (bench/guest/timing.sh).
 */
static void bm_phases(int wl)
{
	static const char *const names[PH_NR] = {
		"alloc", "write", "call", "free", "text_poke_set_alone" };
	struct bm_il il = { };
	u64 ns[PH_NR];
	u32 k, n = 3 * il_iters, ok;
	void *keep = NULL;
	int i, j;

	if (il_iters < 2 || bm_il_prepare(&il))
		goto out;
	/*
	 * The pool as in bm_interleave(), which keeps its 64 KiB write target
	 * live: with the region otherwise empty, a free and an allocation
	 * would take shortcuts (no neighbour, no fit scan) that the timed
	 * lifecycles do not.
	 */
	keep = execmem_alloc_aligned(EXECMEM_MODULE_TEXT, SZ_64K, PAGE_SIZE);
	if (!keep)
		goto out;
	for (j = 0; j < ARRAY_SIZE(bm_paths); j++) {
		if (bm_paths[j].alloc == stock_alloc)
			continue;
		memset(ns, 0, sizeof(ns));
		for (k = 0, ok = 0; k < n; k++) {
			ok += bm_ph_life(&bm_paths[j], il.buf, il.size[wl][k % il_iters], ns);
			cond_resched();
		}
		bm_printf("PH %s %s lifecycles %u ok %u", bm_il_wl[wl], bm_paths[j].name, n, ok);
		for (i = 0; i < PH_NR; i++)
			bm_printf(" %s %llu", names[i], div_u64(ns[i], n));
		bm_printf("\n");
	}
out:
	if (keep)
		execmem_free(keep);
	bm_il_free(&il);
}

/*
 * "contend": the allocation throughput test (alloc, 16-byte write, free)
 * of execmem on two vCPUs, for xm.lock's wait and hold times (phase_timing).
 */
static void bm_contend(void)
{
	struct bm_run r = { .p = &bm_paths[0], .rnd = bm_rnd_seed() };
	unsigned long failed = 0;
	u64 ops;

	if (!bm_make_workload(&r, "bpf") && num_online_cpus() >= 2 && cpu_online(1)) {
		ops = bm_tput(&r, 2, &failed);
		bm_printf("CONTEND execmem bpf ops_per_s_2cpu %llu failed %lu\n", ops, failed);
	}
	kvfree(r.size);
	kvfree(r.ptr);
	vfree(r.buf);
}

/* ---- one run ---------------------------------------------------------------------- */

#define BM_GROWTH_POINTS	20

static void out_counters_delta(struct bm_counters *a, struct bm_counters *b)
{
	bm_printf("\"direct_map_level2_splits\": %lu, \"direct_map_level3_splits\": %lu, ",
		  b->l2 - a->l2, b->l3 - a->l3);
	if (!bm_direct_pages) {
		bm_printf("\"direct_map_4k_kb_delta\": null, ");
		bm_printf("\"direct_map_2m_kb_delta\": null, ");
		bm_printf("\"direct_map_1g_kb_delta\": null, ");
		return;
	}
	bm_printf("\"direct_map_4k_kb_delta\": %ld, ",
		  (long)(b->dm[PG_LEVEL_4K] - a->dm[PG_LEVEL_4K]) * 4);
	bm_printf("\"direct_map_2m_kb_delta\": %ld, ",
		  (long)(b->dm[PG_LEVEL_2M] - a->dm[PG_LEVEL_2M]) * 2048);
	bm_printf("\"direct_map_1g_kb_delta\": %ld, ",
		  (long)(b->dm[PG_LEVEL_1G] - a->dm[PG_LEVEL_1G]) * 1048576);
}

/* The workload and the scratch of @r; NULL, or what is missing. */
static const char *bm_run_setup(struct bm_run *r, u64 **lat, u32 **order)
{
	u64 pages = 0;
	u32 i;

	if (bm_make_workload(r, workload))
		return "workload";
	for (i = 0; i < r->n; i++)
		pages += r->size[i] / PAGE_SIZE + 2;
	r->nkeys_max = pages;
	r->keys = kvcalloc(pages, sizeof(*r->keys), GFP_KERNEL);
	*lat = kvcalloc(r->n, sizeof(**lat), GFP_KERNEL);
	*order = kvcalloc(r->n, sizeof(**order), GFP_KERNEL);
	return r->keys && *lat && *order ? NULL : "memory";
}

/* 1. place, sampling the leaves as live code grows; the live bytes */
static u64 bm_run_place(struct bm_run *r, u64 *lat, u64 *place_sum)
{
	u32 i, step = max_t(u32, r->n / BM_GROWTH_POINTS, 1);
	struct bm_leaves lv;
	u64 live = 0;

	bm_printf("\"growth\": [");
	for (i = 0; i < r->n; i++) {
		lat[i] = bm_place(r, i);
		*place_sum += lat[i];
		if (r->ptr[i])
			live += r->size[i];
		if ((i + 1) % step == 0 || i + 1 == r->n) {
			bm_count_leaves(r, i + 1, &lv);
			bm_printf("[%llu, %lu, %lu]%s", live, lv.n4k, lv.n2m,
				  i + 1 == r->n ? "" : ", ");
		}
		cond_resched();
	}
	bm_printf("], ");
	return live;
}

/* 2. leaves covering the live code, and the placement latencies */
static void bm_run_leaves(struct bm_run *r, u64 live, u64 *lat, u64 place_sum,
			  struct bm_leaves *lv)
{
	u64 mapped;

	bm_count_leaves(r, r->n, lv);
	mapped = (u64)lv->n4k * SZ_4K + (u64)lv->n2m * SZ_2M + (u64)lv->n1g * SZ_1G;
	bm_printf("\"failed\": %lu, \"live_bytes\": %llu, ", r->failed, live);
	bm_printf("\"leaf_4k\": %lu, \"leaf_2m\": %lu, \"leaf_1g\": %lu, ",
		  lv->n4k, lv->n2m, lv->n1g);
	bm_printf("\"leaf_not_rox\": %lu, ", lv->not_rox);
	bm_printf("\"mapped_bytes\": %llu, ", mapped);
	out_ratio("utilization", live, mapped);
	if (r->p->alloc == bm_execmem_alloc) {
		struct execmem_stats st;

		execmem_get_stats(&st);
		bm_printf("\"execmem_regions\": %lu, ", st.regions);
		bm_printf("\"execmem_regions_fallback\": %lu, ", st.regions_fallback);
		bm_printf("\"execmem_bytes_mapped\": %lu, ", st.bytes_mapped);
	}
	sort(lat, r->n, sizeof(*lat), cmp_u64, NULL);
	bm_printf("\"place_ns_p50\": %llu, \"place_ns_p99\": %llu, \"place_ns_total\": %llu, ",
		  lat[r->n / 2], lat[(u64)r->n * 99 / 100], place_sum);
}

/* 4. free all in a random order (@order: scratch) */
static void bm_run_free_all(struct bm_run *r, u32 *order)
{
	u32 i;

	for (i = 0; i < r->n; i++)
		order[i] = i;
	shuffle(&r->rnd, order, r->n);
	for (i = 0; i < r->n; i++) {
		if (r->ptr[order[i]])
			r->p->free(r->ptr[order[i]], r->size[order[i]]);
		r->ptr[order[i]] = NULL;
		cond_resched();
	}
}

/* 5. lifecycle, 6. throughput, 7. writes */
static void bm_run_timings(struct bm_run *r)
{
	struct bm_counters c1, c2;
	unsigned long tfailed = 0;

	bm_read_counters(&c1);
	bm_lifecycle(r);
	bm_read_counters(&c2);
	bm_printf("\"lifecycle_level2_splits\": %lu, ", c2.l2 - c1.l2);
	bm_printf("\"alloc_ops_per_s_1cpu\": %llu, ", bm_tput(r, 1, &tfailed));
	if (num_online_cpus() >= 2 && cpu_online(1))
		bm_printf("\"alloc_ops_per_s_2cpu\": %llu, ", bm_tput(r, 2, &tfailed));
	else
		bm_printf("\"alloc_ops_per_s_2cpu\": null, ");
	bm_printf("\"alloc_tput_failed\": %lu, \"online_cpus\": %u, ", tfailed,
		  num_online_cpus());
	if (r->p->alloc == bm_execmem_alloc)
		bm_write_tput();
}

static void bm_run_path(const struct bm_path *p)
{
	struct bm_run r = { .p = p, .rnd = bm_rnd_seed() };
	struct bm_counters c0, c1, c2;
	u64 live, place_sum = 0, *lat = NULL;
	struct bm_leaves lv;
	const char *err;
	u32 *order = NULL;

	bm_printf("{\"kernel\": \"%s\", \"path\": \"%s\", \"workload\": \"%s\", \"seed\": %u, ",
		  init_utsname()->release, p->name, workload, seed);
	err = bm_run_setup(&r, &lat, &order);
	if (err) {
		bm_printf("\"error\": \"%s\"}\n", err);
		goto free;
	}
	bm_printf("\"ibt\": %s, \"n_allocs\": %u, ",
		  IS_ENABLED(CONFIG_X86_KERNEL_IBT) ? "true" : "false", r.n);

	bm_read_counters(&c0);
	live = bm_run_place(&r, lat, &place_sum);
	bm_read_counters(&c1);
	bm_printf("\"place_level2_splits\": %lu, ", c1.l2 - c0.l2);
	bm_run_leaves(&r, live, lat, place_sum, &lv);
	bm_exec(&r);			/* 3. execution */
	bm_run_free_all(&r, order);
	bm_read_counters(&c2);
	out_counters_delta(&c0, &c2);
	bm_run_timings(&r);
	bm_printf("\"bad_calls\": %lu, \"ok\": %s}\n", r.bad_calls,
		  !r.failed && !r.bad_calls && !lv.not_rox ? "true" : "false");
free:
	kvfree(r.keys);
	kvfree(lat);
	kvfree(order);
	kvfree(r.size);
	kvfree(r.ptr);
	vfree(r.buf);
}

/* ---- report: the module area as a whole (modload path) ------------------------ */

static void bm_module_text(unsigned long *count, unsigned long *bytes)
{
	struct module *mod;

	*count = 0;
	*bytes = 0;
	if (!bm_modules)
		return;
	preempt_disable();
	list_for_each_entry_rcu(mod, bm_modules, list) {
		if (mod->state == MODULE_STATE_UNFORMED)
			continue;
		(*count)++;
#ifdef for_each_mod_mem_type
		*bytes += mod->mem[MOD_TEXT].size;
#else
		*bytes += mod->core_layout.text_size;
#endif
	}
	preempt_enable();
}

static int bm_area_show(struct seq_file *m, void *v)
{
	unsigned long a = MODULES_VADDR, x4k = 0, x2m = 0, w4k = 0, w2m = 0;
	unsigned long nmod, text;
	struct bm_counters c;
	struct xm_leaf l;

	while (a < MODULES_END) {
		if (!xm_leaf_at(a, &l) || l.level > PG_LEVEL_2M) {
			a = ALIGN(a + 1, PMD_SIZE);
			continue;
		}
		if (l.present) {
			if (l.level == PG_LEVEL_2M && l.exec)
				x2m++;
			else if (l.level == PG_LEVEL_2M)
				w2m++;
			else if (l.exec)
				x4k++;
			else
				w4k++;
		}
		a = l.start + l.size;
		if (!(a & (PMD_SIZE - 1)))
			cond_resched();
	}
	bm_read_counters(&c);
	bm_module_text(&nmod, &text);
	seq_printf(m, "{\"exec_leaf_4k\": %lu, \"exec_leaf_2m\": %lu, ", x4k, x2m);
	seq_printf(m, "\"nx_leaf_4k\": %lu, \"nx_leaf_2m\": %lu, ", w4k, w2m);
	seq_printf(m, "\"direct_map_level2_splits\": %lu, ", c.l2);
	seq_printf(m, "\"direct_map_level3_splits\": %lu, ", c.l3);
	seq_printf(m, "\"direct_map_4k_kb\": %lu, ", c.dm[PG_LEVEL_4K] * 4);
	seq_printf(m, "\"direct_map_2m_kb\": %lu, ", c.dm[PG_LEVEL_2M] * 2048);
	seq_printf(m, "\"direct_map_1g_kb\": %lu, ", c.dm[PG_LEVEL_1G] * 1048576);
	seq_printf(m, "\"modules\": %lu, \"module_text_bytes\": %lu}\n", nmod, text);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bm_area);

static int bm_result_show(struct seq_file *m, void *v)
{
	if (bm_out)
		seq_write(m, bm_out, bm_len);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(bm_result);

static DEFINE_MUTEX(bm_run_lock);

/* "interleave", "phases bpf|modules", "contend": true if it was one */
static bool bm_run_special(const char *cmd)
{
	int wl = -1;

	if (!strcmp(cmd, "phases bpf"))
		wl = 0;
	else if (!strcmp(cmd, "phases modules"))
		wl = 1;
	else if (strcmp(cmd, "interleave") && strcmp(cmd, "contend") &&
		 strncmp(cmd, "work ", 5))
		return false;
	mutex_lock(&bm_run_lock);
	bm_len = 0;
	if (wl >= 0)
		bm_phases(wl);
	else if (!strcmp(cmd, "interleave"))
		bm_interleave();
	else if (!strncmp(cmd, "work ", 5))
		bm_work(bm_path_find(cmd + 5));
	else
		bm_contend();
	mutex_unlock(&bm_run_lock);
	return true;
}

/*
 * Writing a path's name to "run" runs it now (after path=report at load):
 * what the load of this module itself does to the direct map is then out
 * of the measurement, e.g. for a census taken around the write.
 */
static ssize_t bm_run_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	char name[32];
	const struct bm_path *p;

	if (!len || len >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, ubuf, len))
		return -EFAULT;
	name[len] = '\0';
	if (bm_run_special(strim(name)))
		return len;
	p = bm_path_find(strim(name));
	if (!p)
		return -EINVAL;
	mutex_lock(&bm_run_lock);
	bm_len = 0;
	bm_run_path(p);
	mutex_unlock(&bm_run_lock);
	return len;
}

static const struct file_operations bm_run_fops = {
	.owner = THIS_MODULE,
	.write = bm_run_write,
	.llseek = noop_llseek,
};

static struct dentry *bm_dir;

static int __init bm_init(void)
{
	const struct bm_path *p;
	int ret;

	ret = bm_resolve();
	if (ret) {
		pr_err("symbol resolution failed (%d)\n", ret);
		return ret;
	}
	bm_out = kvzalloc(BM_OUT_SIZE, GFP_KERNEL);
	if (!bm_out)
		return -ENOMEM;
	bm_dir = debugfs_create_dir("execmem_bench", NULL);
	debugfs_create_file("area", 0444, bm_dir, NULL, &bm_area_fops);
	debugfs_create_file("result", 0444, bm_dir, NULL, &bm_result_fops);
	debugfs_create_file("run", 0200, bm_dir, NULL, &bm_run_fops);
	if (!strcmp(path, "report"))
		return 0;
	p = bm_path_find(path);
	if (p) {
		bm_run_path(p);
		return 0;
	}
	bm_printf("{\"error\": \"unknown path %s\"}\n", path);
	return 0;
}

static void __exit bm_exit(void)
{
	debugfs_remove_recursive(bm_dir);
	kvfree(bm_out);
}

module_init(bm_init);
module_exit(bm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem: benchmark against the kernel's own executable-memory paths");
