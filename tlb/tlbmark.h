/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Markers a guest executes to talk to the TLB plugin (tlb/plugin.c): a
 * 7-byte NOP, "nopl MAGIC+op(%rax)" (0f 1f 80 <op> 42 4c 54), that the
 * plugin recognises from its bytes when QEMU translates it.  Arguments go
 * in %rdi, %rsi, %rdx.  Usable from user space (tlb/tlbmark.c) and from a
 * kernel module alike; on hardware or without the plugin it does nothing.
 *
 *   TLBMARK_BEGIN  rdi = window label: start counting (and instrumenting)
 *   TLBMARK_END    stop counting, write the window's counts
 *   TLBMARK_RESET  zero the window's counts, keep the TLB contents
 *   TLBMARK_RANGE  rdi = class name (up to 8 ASCII bytes, little endian),
 *                  rsi = start, rdx = end (exclusive): attribute the range
 *                  to that class (before fixed classes; first match wins)
 */
#ifndef TLBMARK_H
#define TLBMARK_H

#define TLBMARK_MAGIC 0x544c4200u	/* bytes 00 42 4c 54: "\0BLT" */

enum tlbmark_op {
	TLBMARK_BEGIN = 1,
	TLBMARK_END = 2,
	TLBMARK_RESET = 3,
	TLBMARK_RANGE = 4,
};

#define TLBMARK(op, a, b, c)						\
	({								\
		asm volatile(".byte 0x0f, 0x1f, 0x80\n\t.long %c0"	\
			     : : "i" (TLBMARK_MAGIC + (op)), "D" (a),	\
			       "S" (b), "d" (c) : "memory");		\
	})

#endif
