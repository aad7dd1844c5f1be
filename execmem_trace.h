/* SPDX-License-Identifier: GPL-2.0 */
/*
 * execmem's tracepoints (docs/tracing.md), as the kernel's allocators have
 * them (kmem:kmalloc, kmem:mm_page_alloc): execmem:alloc, execmem:free,
 * execmem:write, execmem:region_map, execmem:region_release and
 * execmem:host.  Failures are traced too, with the -errno the caller got.
 *
 * The events are named without a prefix (execmem:alloc, not
 * execmem:execmem_alloc); call sites use the trace_execmem_*() names
 * defined at the end.  execmem_trace.c alone defines CREATE_TRACE_POINTS.
 * Disabled, a call site is a static-key NOP: its arguments are plain
 * values, and everything derived from them is computed in TP_fast_assign,
 * which runs only when the event is enabled.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM execmem

#if !defined(_EXECMEM_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _EXECMEM_TRACE_H

#include <linux/tracepoint.h>
#include <linux/module.h>
#include <linux/string.h>
#include <execmem.h>
#include "execmem_pool.h"
#include "execmem_regions.h"

/*
 * The types are enum constants: exported to the events' format files, so
 * that perf, libtraceevent and bpftrace print "text", not 0x0.
 */
TRACE_DEFINE_ENUM(EXECMEM_MODULE_TEXT);
TRACE_DEFINE_ENUM(EXECMEM_KPROBES);
TRACE_DEFINE_ENUM(EXECMEM_FTRACE);
TRACE_DEFINE_ENUM(EXECMEM_BPF);
TRACE_DEFINE_ENUM(EXECMEM_MODULE_DATA);

#define XM_TRACE_TYPES						\
	{ EXECMEM_MODULE_TEXT, "text" },			\
	{ EXECMEM_KPROBES, "kprobes" },				\
	{ EXECMEM_FTRACE, "ftrace" },				\
	{ EXECMEM_BPF, "bpf" },					\
	{ EXECMEM_MODULE_DATA, "data" }

/* Page level of a region: 2 (2 MiB leaves), 1 (some 4 KiB), 0 (none). */
#define XM_TRACE_LEVELS { 0, "-" }, { 1, "4K" }, { 2, "2M" }

TRACE_EVENT(alloc,
	TP_PROTO(const struct module *owner, unsigned long addr, size_t size,
		 size_t align, int type, int nid, bool hosted,
		 unsigned long caller, int ret),
	TP_ARGS(owner, addr, size, align, type, nid, hosted, caller, ret),
	TP_STRUCT__entry(
		__array(char, owner, MODULE_NAME_LEN)
		__field(unsigned long, addr)
		__field(size_t, size)
		__field(size_t, rsize)
		__field(size_t, align)
		__field(int, type)
		__field(int, node)
		__field(bool, hosted)
		__field(unsigned long, caller)
		__field(int, ret)
	),
	TP_fast_assign(
		strscpy(__entry->owner, owner ? owner->name : "", MODULE_NAME_LEN);
		__entry->addr = addr;
		__entry->size = size;
		__entry->rsize = ALIGN(size, XP_GRANULE);
		__entry->align = align;
		__entry->type = type;
		__entry->node = nid;
		__entry->hosted = hosted;
		__entry->caller = caller;
		__entry->ret = ret;
	),
	TP_printk("owner=%s addr=0x%lx size=%zu rsize=%zu align=%zu type=%s node=%d hosted=%d caller=%pS ret=%d",
		  __entry->owner, __entry->addr, __entry->size, __entry->rsize,
		  __entry->align, __print_symbolic(__entry->type, XM_TRACE_TYPES),
		  __entry->node, __entry->hosted, (void *)__entry->caller,
		  __entry->ret)
);

TRACE_EVENT(free,
	TP_PROTO(const struct module *mod, const void *ptr, size_t size,
		 size_t rsize, size_t written, int type, bool hosted, int ret),
	TP_ARGS(mod, ptr, size, rsize, written, type, hosted, ret),
	TP_STRUCT__entry(
		__array(char, owner, MODULE_NAME_LEN)
		__field(unsigned long, addr)
		__field(size_t, size)
		__field(size_t, rsize)
		__field(size_t, written)
		__field(int, type)
		__field(bool, hosted)
		__field(int, ret)
	),
	TP_fast_assign(
		strscpy(__entry->owner, mod ? mod->name : "", MODULE_NAME_LEN);
		__entry->addr = (unsigned long)ptr;
		__entry->size = size;
		__entry->rsize = rsize;
		__entry->written = written;
		__entry->type = type;
		__entry->hosted = hosted;
		__entry->ret = ret;
	),
	TP_printk("owner=%s addr=0x%lx size=%zu rsize=%zu written=%zu type=%s hosted=%d ret=%d",
		  __entry->owner, __entry->addr, __entry->size, __entry->rsize,
		  __entry->written,
		  __print_symbolic(__entry->type, { -1, "-" }, XM_TRACE_TYPES),
		  __entry->hosted, __entry->ret)
);

TRACE_EVENT(write,
	TP_PROTO(const struct module *mod, const void *dst, size_t len,
		 const char *why, int ret),
	TP_ARGS(mod, dst, len, why, ret),
	TP_STRUCT__entry(
		__array(char, owner, MODULE_NAME_LEN)
		__field(unsigned long, dst)
		__field(size_t, len)
		__field(int, ret)
		__array(char, why, 32)
	),
	TP_fast_assign(
		strscpy(__entry->owner, mod ? mod->name : "", MODULE_NAME_LEN);
		__entry->dst = (unsigned long)dst;
		__entry->len = len;
		__entry->ret = ret;
		strscpy(__entry->why, ret ? why ? why : "outside any allocation" :
			"", sizeof(__entry->why));
	),
	TP_printk("owner=%s dst=0x%lx len=%zu ret=%d%s%s",
		  __entry->owner, __entry->dst, __entry->len, __entry->ret,
		  __entry->why[0] ? " why=" : "", __entry->why)
);

TRACE_EVENT(region_map,
	TP_PROTO(const struct xm_region_info *ri, size_t size, int nid,
		 bool hosted, int ret),
	TP_ARGS(ri, size, nid, hosted, ret),
	TP_STRUCT__entry(
		__field(unsigned long, base)
		__field(size_t, size)
		__field(int, level)
		__field(int, node)
		__field(int, page_node)
		__field(bool, hosted)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->base = ri ? ri->base : 0;
		__entry->size = size;
		__entry->level = ri ? ri->fallback ? 1 : 2 : 0;
		__entry->node = nid;
		__entry->page_node = ri ? ri->node : -1;
		__entry->hosted = hosted;
		__entry->ret = ret;
	),
	TP_printk("base=0x%lx size=%zu level=%s node=%d page_node=%d hosted=%d ret=%d",
		  __entry->base, __entry->size,
		  __print_symbolic(__entry->level, XM_TRACE_LEVELS),
		  __entry->node, __entry->page_node, __entry->hosted,
		  __entry->ret)
);

TRACE_EVENT(region_release,
	TP_PROTO(unsigned long base, size_t size, int ret),
	TP_ARGS(base, size, ret),
	TP_STRUCT__entry(
		__field(unsigned long, base)
		__field(size_t, size)
		__field(int, ret)
	),
	TP_fast_assign(
		__entry->base = base;
		__entry->size = size;
		__entry->ret = ret;
	),
	TP_printk("base=0x%lx size=%zu ret=%d%s", __entry->base, __entry->size,
		  __entry->ret, __entry->ret ? " (leaked)" : "")
);

/*
 * Hosting (execmem_host.c): an area served to the kernel's BPF pack
 * allocator or a kprobe insn page, its free, or an allocation left to the
 * kernel's own allocator (served=0: a fallback, addr the kernel's).
 */
TRACE_EVENT(host,
	TP_PROTO(const char *consumer, bool alloc, unsigned long addr,
		 size_t size, bool served),
	TP_ARGS(consumer, alloc, addr, size, served),
	TP_STRUCT__entry(
		__array(char, host, 8)
		__field(unsigned long, addr)
		__field(size_t, size)
		__field(bool, alloc)
		__field(bool, served)
	),
	TP_fast_assign(
		strscpy(__entry->host, consumer, sizeof(__entry->host));
		__entry->addr = addr;
		__entry->size = size;
		__entry->alloc = alloc;
		__entry->served = served;
	),
	TP_printk("host=%s op=%s addr=0x%lx size=%zu served=%d",
		  __entry->host, __entry->alloc ? "alloc" : "free",
		  __entry->addr, __entry->size, __entry->served)
);

/*
 * The names the call sites use.  trace_execmem_alloc() takes the request
 * (struct xm_request, execmem_alloc.c), its address (0 on failure) and 0 or the
 * -errno of the failure; trace_execmem_free() the record (struct xm_record,
 * execmem_alloc.c; NULL when the pointer is not live).  Both structures stay
 * private to the allocator: these expand there.
 */
#define trace_execmem_alloc(req, addr, ret)				\
	trace_alloc((req)->owner, addr, (req)->size, (req)->align,	\
		    (req)->type, (req)->nid, (req)->hosted, (req)->caller, ret)
#define trace_execmem_free(mod, ptr, a, ret)				\
	trace_free(mod, ptr, (a) ? (a)->size : 0, (a) ? (a)->rsize : 0,	\
		   (a) && (a)->written_hi > (a)->written_lo ?		\
		   (a)->written_hi - (a)->written_lo : 0,		\
		   (a) ? (int)(a)->type : -1, (a) && (a)->hosted, ret)
#define trace_execmem_write		trace_write
#define trace_execmem_region_map	trace_region_map
#define trace_execmem_region_release	trace_region_release
#define trace_execmem_host		trace_host

#endif /* _EXECMEM_TRACE_H */

/* Outside the guard: define_trace.h reads this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE execmem_trace
#include <trace/define_trace.h>
