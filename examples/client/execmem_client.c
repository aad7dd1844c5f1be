// SPDX-License-Identifier: GPL-2.0
/*
 * execmem_client - an example client module of execmem.
 *
 * At load it allocates executable memory from execmem, writes a function
 * that returns the parameter "value" into it through execmem_write(), calls
 * it, frees the memory and publishes what the call returned as the
 * read-only parameter "result" (/sys/module/execmem_client/parameters/result)
 * and in one kernel log line.  It holds no memory once loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <execmem.h>

static int value = 42;
module_param(value, int, 0444);
MODULE_PARM_DESC(value, "what the generated function returns (default 42)");

static int result = -1;
module_param(result, int, 0444);
MODULE_PARM_DESC(result, "what the generated function returned (-1: not run)");

static int __init execmem_client_init(void)
{
	u8 insn[4 + 5 + EXECMEM_RET_INSN_MAX];
	u32 imm = value;
	int (*fn)(void);
	size_t n = 0;
	void *p;
	int err;

	p = execmem_alloc(EXECMEM_MODULE_TEXT, sizeof(insn));
	if (!p)
		return -ENOMEM;
	/* fn is called indirectly: with IBT it must start with endbr64. */
	if (IS_ENABLED(CONFIG_X86_KERNEL_IBT)) {
		memcpy(insn, "\xf3\x0f\x1e\xfa", 4);
		n = 4;
	}
	insn[n++] = 0xb8;			/* mov $imm32, %eax */
	memcpy(insn + n, &imm, sizeof(imm));
	n += sizeof(imm);
	n += execmem_text_gen_return(insn + n, (unsigned long)p + n);

	err = execmem_write(p, insn, n);
	if (!err) {
		fn = p;
		result = fn();
		pr_info("generated code returned %d\n", result);
	}
	execmem_free(p);
	return err;
}

static void __exit execmem_client_exit(void)
{
}

module_init(execmem_client_init);
module_exit(execmem_client_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Example client of execmem: generates, runs and frees a function");
MODULE_VERSION("0.1");
