// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_basic.c - the basic contract of execmem, end to end, as KTAP.
 *
 * Allocates from execmem, writes a function into the memory, calls it, and
 * checks the mapping (lookup_address), the write checks, int3 refill, bad
 * input and that the direct map was not split.  All work happens in
 * module_init; the module then stays loaded until rmmod.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <asm/pgtable.h>
#include <execmem.h>
#include "testlib.h"

static bool all_bytes(const void *p, u8 c, size_t len)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != c)
			return false;
	return true;
}

/* Tests 1-7: an allocation, a function written into it and called. */
static u8 *t_alloc_write_call(struct ktap *t)
{
	u8 code[32];
	int (*fn)(void);
	size_t n;
	u8 *a;

	a = execmem_alloc(EXECMEM_MODULE_TEXT, 200);
	if (!ktap_result(t, a, "alloc 200 bytes of module text"))
		return NULL;
	ktap_result(t, (unsigned long)a >= MODULES_VADDR &&
		    (unsigned long)a < MODULES_END, "allocation %p in the module area", a);
	ktap_result(t, mapped_2m_rox(a), "mapped by a 2M leaf, read-only, executable");
	ktap_result(t, all_bytes(a, 0xcc, 200), "fresh memory is int3");

	n = gen_ret_const(code, (unsigned long)a, 0x1234567);
	ktap_result(t, execmem_write(a, code, n) == 0 && !memcmp(a, code, n),
		    "execmem_write of a %zu-byte function", n);
	fn = (void *)a;
	ktap_result(t, fn() == 0x1234567, "calling it returns the value it was written with");
	ktap_result(t, mapped_2m_rox(a), "still a 2M read-only leaf after the write");
	return a;
}

/* Tests 9-12: writes outside a live allocation change nothing. */
static void t_bad_writes(struct ktap *t, u8 *a, u8 *b)
{
	struct execmem_stats st0, st1;
	u8 junk[64];

	memset(junk, 0x90, sizeof(junk));
	execmem_get_stats(&st0);
	ktap_result(t, execmem_write(a + 190, junk, 11) == -EINVAL &&
		    all_bytes(a + 190, 0xcc, 10),
		    "write across the end is rejected, nothing written");
	ktap_result(t, execmem_write(a + 200, junk, 1) == -EINVAL &&
		    execmem_write(b + 100, junk, 8) == -EINVAL &&
		    all_bytes(b + 100, 0xcc, 8),
		    "write past requested size / into free space rejected");
	ktap_result(t, execmem_write(NULL, junk, 8) == -EINVAL &&
		    execmem_write((void *)t_bad_writes, junk, 8) == -EINVAL &&
		    execmem_write(a, NULL, 8) == -EINVAL,
		    "write to NULL, to foreign text, from NULL rejected");
	execmem_get_stats(&st1);
	ktap_result(t, st1.failed_writes == st0.failed_writes + 6 && st1.writes == st0.writes,
		    "failed writes counted (%lu), no write counted",
		    st1.failed_writes - st0.failed_writes);
}

/* Tests 13-14: @a freed is int3; double, interior, foreign frees refused. */
static void t_frees(struct ktap *t, u8 *a, u8 *b)
{
	struct execmem_stats st0, st1;

	execmem_free(a);
	ktap_result(t, all_bytes(a, 0xcc, 256), "freed memory is int3 again");
	execmem_get_stats(&st0);
	execmem_free(a);
	execmem_free(b + 64);
	execmem_free((void *)t_frees);
	execmem_get_stats(&st1);
	ktap_result(t, st1.bad_frees == st0.bad_frees + 3 && st1.live_allocs == st0.live_allocs &&
		    st1.bytes_allocated == st0.bytes_allocated,
		    "double, interior and foreign frees are refused, pool unchanged");
}

/*
 * Test 15: the refill covers what was written, wherever it was: here a
 * page in, and the last bytes, not the start.
 */
static void t_refill_where_written(struct ktap *t)
{
	u8 junk[64], *c;
	bool ok;

	memset(junk, 0x90, sizeof(junk));
	c = execmem_alloc(EXECMEM_MODULE_TEXT, 3 * PAGE_SIZE);
	ok = c && !execmem_write(c + PAGE_SIZE + 100, junk, sizeof(junk)) &&
	     !execmem_write(c + 3 * PAGE_SIZE - 8, junk, 8) &&
	     all_bytes(c + PAGE_SIZE + 100, 0x90, sizeof(junk));
	execmem_free(c);
	ktap_result(t, ok && all_bytes(c, 0xcc, 3 * PAGE_SIZE),
		    "written in its middle and at its end, a freed allocation is all int3");
}

/* Tests 16-18: bad requests; 4 KiB and 2 MiB alignment. */
static void t_requests(struct ktap *t)
{
	struct execmem_stats st0, st1;
	u8 *al;
	bool ok;

	execmem_get_stats(&st1);
	ok = !execmem_alloc(EXECMEM_MODULE_TEXT, 0) &&
	     !execmem_alloc(EXECMEM_MODULE_DATA, 64) &&
	     !execmem_alloc(EXECMEM_TYPE_MAX, 64) &&
	     !execmem_alloc(EXECMEM_MODULE_TEXT, SZ_1G * 2UL) &&
	     !execmem_alloc_aligned(EXECMEM_MODULE_TEXT, 64, 96) &&
	     !execmem_alloc_aligned(EXECMEM_MODULE_TEXT, 64, SZ_4M) &&
	     !execmem_alloc_node(EXECMEM_MODULE_TEXT, 64, 64, MAX_NUMNODES);
	execmem_get_stats(&st0);
	ktap_result(t, ok && st0.failed_allocs == st1.failed_allocs + 7 &&
		    st0.live_allocs == st1.live_allocs,
		    "bad requests return NULL, are counted, change nothing");

	al = execmem_alloc_aligned(EXECMEM_KPROBES, 10, SZ_4K);
	ktap_result(t, al && IS_ALIGNED((unsigned long)al, SZ_4K),
		    "4 KiB-aligned allocation %p", al);
	execmem_free(al);
	al = execmem_alloc_aligned(EXECMEM_FTRACE, 10, SZ_2M);
	ktap_result(t, al && IS_ALIGNED((unsigned long)al, SZ_2M),
		    "2 MiB-aligned allocation %p", al);
	execmem_free(al);
}

/* Tests 19-20: a 5 MiB allocation, 2M ROX throughout, code at its 5th MiB. */
static void t_big(struct ktap *t)
{
	u8 code[32], *big;
	int (*fn)(void);
	size_t n, i;
	bool ok;

	big = execmem_alloc(EXECMEM_MODULE_TEXT, 5 * SZ_1M + 123);
	ok = big;
	for (i = 0; ok && i < 5 * SZ_1M + 123; i += PMD_SIZE)
		ok = mapped_2m_rox(big + i);
	ktap_result(t, ok, "5 MiB allocation %p: every 2 MiB of it a 2M ROX leaf", big);
	if (!big) {
		ktap_result(t, false, "code written at its 5th MiB runs");
		return;
	}
	n = gen_ret_const(code, (unsigned long)big + 5 * SZ_1M, 77);
	fn = (void *)(big + 5 * SZ_1M);
	ktap_result(t, execmem_write(fn, code, n) == 0 && fn() == 77,
		    "code written at its 5th MiB runs");
	execmem_free(big);
}

static int run_tests(void)
{
	struct execmem_stats st;
	unsigned long splits0;
	struct ktap t;
	u8 *a, *b;

	ktap_begin(&t, "execmem_basic", 23);
	splits0 = l2_splits();
	a = t_alloc_write_call(&t);
	if (!a)
		return -ENOMEM;
	b = execmem_alloc(EXECMEM_BPF, 100);
	ktap_result(&t, b && ((unsigned long)a >> PMD_SHIFT) == ((unsigned long)b >> PMD_SHIFT) &&
		    b == a + 256, "second allocation packed right after the first (%p)", b);
	if (!b)
		return -ENOMEM;
	t_bad_writes(&t, a, b);
	t_frees(&t, a, b);
	t_refill_where_written(&t);
	t_requests(&t);
	t_big(&t);
	ktap_result(&t, execmem_set_name(b, "execmem_test_b") == 0 &&
		    execmem_set_name(b + 64, "x") == -EINVAL, "naming an allocation");
	execmem_free(b);

	execmem_get_stats(&st);
	ktap_result(&t, st.live_allocs == 0 && st.regions <= st.regions_empty &&
		    st.regions_fallback == 0,
		    "after freeing all: %lu regions left, all empty spares", st.regions);
	ktap_result(&t, l2_splits() == splits0,
		    "direct_map_level2_splits unchanged across the test (%lu)", splits0);
	return 0;
}

static int __init execmem_basic_init(void)
{
	run_tests();
	return 0;
}

static void __exit execmem_basic_exit(void)
{
}

module_init(execmem_basic_init);
module_exit(execmem_basic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("execmem basic KTAP tests");
