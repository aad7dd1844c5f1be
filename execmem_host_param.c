// SPDX-License-Identifier: GPL-2.0
/*
 * Hosting, the host= parameter and its views: which consumers are asked
 * for (a comma list of their names, writable at run time), and debugfs
 * "host", "host_hooks" and "hosted" (docs/debugfs.md).  The mechanism that
 * turns a consumer on or off: execmem_host.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "execmem_host.h"
#include "execmem_host_core.h"
#include "execmem_regions.h"

/* ---- the host parameter ------------------------------------------------- */

static char xh_param[32];

/* Parse "bpf,kprobes" (either, both, or empty) into @want. */
static int xh_parse(const char *val, bool *want)
{
	char buf[sizeof(xh_param)], *s, *tok;
	int i;

	if (strscpy(buf, val, sizeof(buf)) < 0)
		return -EINVAL;
	s = strim(buf);
	while ((tok = strsep(&s, ",")) != NULL) {
		if (!*tok)
			continue;
		for (i = 0; i < XH_NR; i++)
			if (!strcmp(tok, xh_consumers[i]->name))
				break;
		if (i == XH_NR)
			return -EINVAL;
		want[i] = true;
	}
	return 0;
}

static int xh_param_set(const char *val, const struct kernel_param *kp)
{
	bool want[XH_NR] = { }, off[XH_NR] = { };
	int i, ret;

	ret = xh_parse(val, want);
	if (ret) {
		pr_warn_ratelimited("host=%s: expected a comma list of bpf and kprobes\n",
				    val);
		return ret;
	}
	mutex_lock(&xh.lock);
	xh_param[0] = '\0';
	for (i = 0; i < XH_NR; i++) {
		if (want[i]) {
			if (xh_param[0])
				strlcat(xh_param, ",", sizeof(xh_param));
			strlcat(xh_param, xh_consumers[i]->name, sizeof(xh_param));
		}
		if (xh.ready)
			off[i] = xh_apply(xh_consumers[i], want[i]);
	}
	mutex_unlock(&xh.lock);
	for (i = 0; i < XH_NR; i++)
		if (off[i])
			xh_consumers[i]->off();
	return 0;
}

static int xh_param_get(char *buffer, const struct kernel_param *kp)
{
	int i, n = 0;

	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++)
		if (READ_ONCE(xh_consumers[i]->enabled))
			n += sysfs_emit_at(buffer, n, "%s%s", n ? "," : "",
					   xh_consumers[i]->name);
	mutex_unlock(&xh.lock);
	return n + sysfs_emit_at(buffer, n, "\n");
}

static const struct kernel_param_ops xh_param_ops = {
	.set = xh_param_set,
	.get = xh_param_get,
};
module_param_cb(host, &xh_param_ops, NULL, 0644);
MODULE_PARM_DESC(host,
		 "host the kernel's own code: a comma list of bpf (BPF JIT packs) and kprobes (kprobe instruction pages); empty (default): none. Reads back what is on");

/* What the host= given at load asked for (xh_param_set() stored it). */
void xh_param_wanted(bool *want)
{
	xh_parse(xh_param, want);
}

/* ---- views -------------------------------------------------------------- */

void xh_show(struct seq_file *m)
{
	int i;

	seq_puts(m, "consumer state served freed fallbacks live live_bytes reason\n");
	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++) {
		struct xh_consumer *c = xh_consumers[i];

		seq_printf(m, "%s %s %ld %ld %ld %ld %ld %s\n", c->name,
			   READ_ONCE(c->enabled) ? "on" : "off",
			   atomic_long_read(&c->served),
			   atomic_long_read(&c->freed),
			   atomic_long_read(&c->fallbacks),
			   atomic_long_read(&c->live),
			   atomic_long_read(&c->live_bytes), c->reason);
	}
	mutex_unlock(&xh.lock);
}

/*
 * One row per hook: the function, whether it is redirected now, and the
 * facts of the redirect under IBT.  The ftrace trampoline reaches our
 * function by a return to the IP the callback set, not by an indirect
 * branch; our function starts with ENDBR64 all the same (its address is
 * taken), so that it would be a valid target either way.
 */
void xh_hooks_show(struct seq_file *m, bool show_addresses)
{
	static const u8 endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	int i, j;

	seq_puts(m, "consumer function kind placed target_endbr64 function_addr target\n");
	mutex_lock(&xh.lock);
	for (i = 0; i < XH_NR; i++) {
		for (j = 0; j < xh_consumers[i]->nr_hooks; j++) {
			const struct xh_hook *h = &xh_consumers[i]->hooks[j];

			seq_printf(m, "%s %s %s %d %d %016lx %016lx\n",
				   xh_consumers[i]->name, h->sym,
				   h->kind == XH_ALLOC ? "alloc" : "free", h->placed,
				   !memcmp(h->target, endbr64, sizeof(endbr64)),
				   show_addresses ? h->addr : 0,
				   show_addresses ? (unsigned long)h->target : 0);
		}
	}
	mutex_unlock(&xh.lock);
}

static const char *xh_level_name(int level)
{
	static const char * const names[] = { "none", "4K", "2M", "1G" };

	return level >= 0 && level < ARRAY_SIZE(names) ? names[level] : "none";
}

void xh_hosted_show(struct seq_file *m, bool show_addresses)
{
	struct xh_piece *p;
	unsigned long i;

	seq_puts(m, "consumer start size level rox\n");
	rcu_read_lock();
	xa_for_each(&xh.pieces, i, p)
		seq_printf(m, "%s %016lx %zu %s %d\n", p->c->name,
			   show_addresses ? p->start : 0, p->size,
			   xh_level_name(xm_mapping_level(p->start)),
			   xm_mapping_rox(p->start));
	rcu_read_unlock();
}
