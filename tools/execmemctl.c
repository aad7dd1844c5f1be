// SPDX-License-Identifier: GPL-2.0
/*
 * execmemctl - load, unload and inspect the execmem module.
 *
 * Reads /sys/kernel/debug/execmem/ (wherever debugfs is mounted) and uses
 * libkmod for module handling.  Exit status: 0 success, 1 failure (with one
 * "execmemctl: ..." line on stderr), 2 usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <syslog.h>
#include <sys/utsname.h>
#include <libkmod.h>

#define MODNAME		"execmem"
#define MAX_FIELDS	32
#define MAX_STATS	64

static const char *prog = "execmemctl";

static const char usage_text[] =
"Usage: execmemctl COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  load [--path FILE] [PARAM=VALUE...]\n"
"                      load execmem: from FILE, else the installed module\n"
"                      (modprobe-style lookup under /lib/modules/$(uname -r))\n"
"  unload              unload execmem (fails while memory is allocated)\n"
"  status [--json]     counters of debugfs \"stats\": a table, or one JSON\n"
"                      object with exactly the keys of \"stats\"\n"
"  regions             one row per 2 MiB region (debugfs \"regions\")\n"
"  allocations         one row per live allocation\n"
"  owners              allocations and bytes per owning module\n"
"  symbols             named allocations in /proc/kallsyms format\n"
"  bench --module FILE [PARAM=VALUE...]\n"
"                      run the benchmark module FILE (bench/kmod/\n"
"                      execmem_bench.ko; execmem must be loaded), print its\n"
"                      JSON result and unload it.  PARAMs: path=execmem|\n"
"                      stock|bpf_prog_pack, workload=modules|loaded|bpf,\n"
"                      seed=N.  stock and bpf_prog_pack split the direct\n"
"                      map for good: reboot between runs to compare.\n"
"  --help, -h          this text\n"
"\n"
"All commands but --help need root.  Exit status: 0 success, 1 failure,\n"
"2 usage error.\n";

static void __attribute__((format(printf, 1, 2))) err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage_error(const char *what)
{
	err("%s (try --help)", what);
	return 2;
}

static int need_root(void)
{
	if (geteuid() == 0)
		return 0;
	err("must be run as root (module loading and debugfs need it)");
	return 1;
}

static struct kmod_ctx *ctx_new(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (!ctx)
		err("cannot create a libkmod context");
	else
		kmod_set_log_priority(ctx, LOG_EMERG);	/* we report errors */
	return ctx;
}

/* 1 loaded (live or coming), 0 not loaded, -1 error (reported). */
static int module_loaded(struct kmod_ctx *ctx)
{
	struct kmod_module *mod;
	int state, ret;

	ret = kmod_module_new_from_name(ctx, MODNAME, &mod);
	if (ret < 0) {
		err("libkmod: %s", strerror(-ret));
		return -1;
	}
	state = kmod_module_get_initstate(mod);
	kmod_module_unref(mod);
	if (state == -ENOENT)
		return 0;
	if (state < 0) {
		err("cannot read the state of module %s: %s", MODNAME,
		    strerror(-state));
		return -1;
	}
	return state == KMOD_MODULE_LIVE || state == KMOD_MODULE_COMING;
}

/*
 * Root, a libkmod context and execmem loaded: the context (the caller
 * unrefs it), else NULL with one message.
 */
static struct kmod_ctx *ctx_with_execmem(void)
{
	struct kmod_ctx *ctx;
	int loaded;

	if (need_root())
		return NULL;
	ctx = ctx_new();
	if (!ctx)
		return NULL;
	loaded = module_loaded(ctx);
	if (loaded > 0)
		return ctx;
	if (!loaded)
		err("module %s is not loaded (execmemctl load [--path FILE])",
		    MODNAME);
	kmod_unref(ctx);
	return NULL;
}

static const char *mounts_path = "/proc/self/mounts";

/*
 * Decode the octal escapes the kernel writes in /proc/self/mounts fields
 * (space \040, tab \011, newline \012, backslash \134), in place.
 */
static void unescape_mount(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0');
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* The first debugfs mount point, into @dir; false when there is none. */
static bool debugfs_dir(char *dir, size_t len)
{
	char src[256], mnt[PATH_MAX], type[64], line[PATH_MAX + 512];
	FILE *f = fopen(mounts_path, "r");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255s %4095s %63s", src, mnt, type) == 3 &&
		    !strcmp(type, "debugfs")) {
			unescape_mount(mnt);
			snprintf(dir, len, "%s", mnt);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * Open debugfs file execmem/@name: root, module loaded, debugfs mounted, in
 * that order, each with its own message.
 */
static FILE *open_file(const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct kmod_ctx *ctx;
	FILE *f;

	ctx = ctx_with_execmem();
	if (!ctx)
		return NULL;
	kmod_unref(ctx);
	if (!debugfs_dir(dir, sizeof(dir))) {
		err("debugfs is not mounted (mount -t debugfs none /sys/kernel/debug)");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s/%s", dir, MODNAME, name);
	f = fopen(path, "r");
	if (!f)
		err("cannot open %s: %s", path, strerror(errno));
	return f;
}

struct stat_kv {
	char key[64];
	unsigned long long val;
};

static int read_stats(struct stat_kv *kv, int max)
{
	char line[256];
	FILE *f = open_file("stats");
	int n = 0;

	if (!f)
		return -1;
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %llu", kv[n].key, &kv[n].val) != 2) {
			err("stats: unexpected line: %s", line);
			fclose(f);
			return -1;
		}
		n++;
	}
	fclose(f);
	if (!n)
		err("stats is empty");
	return n ? n : -1;
}

static bool stat_get(const struct stat_kv *kv, int n, const char *key,
		     unsigned long long *val)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!strcmp(kv[i].key, key)) {
			*val = kv[i].val;
			return true;
		}
	}
	return false;
}

/* @s as a JSON string: quotes, backslashes and control characters escaped. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_stats_json(FILE *out, const struct stat_kv *kv, int n)
{
	int i;

	fputc('{', out);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		json_string(out, kv[i].key);
		fprintf(out, ": %llu", kv[i].val);
	}
	fputs("}\n", out);
}

static const char *human(unsigned long long b, char *buf, size_t len)
{
	if (b >= 1ULL << 20)
		snprintf(buf, len, "%.1f MiB", b / 1048576.0);
	else if (b >= 1ULL << 10)
		snprintf(buf, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(buf, len, "%llu B", b);
	return buf;
}

static int cmd_status(bool json)
{
	static const char *const bytes_keys[] = {
		"bytes_mapped", "bytes_allocated", "bytes_requested",
		"bytes_free", "largest_free_extent", "bytes_written",
	};
	struct stat_kv kv[MAX_STATS];
	unsigned long long v;
	char buf[32];
	int n, i, j;

	n = read_stats(kv, MAX_STATS);
	if (n < 0)
		return 1;
	if (json) {
		print_stats_json(stdout, kv, n);
		return 0;
	}
	printf("%-38s %s\n", "counter", "value");
	for (i = 0; i < n; i++) {
		bool is_bytes = false;

		for (j = 0; j < (int)(sizeof(bytes_keys) / sizeof(*bytes_keys)); j++)
			if (!strcmp(kv[i].key, bytes_keys[j]))
				is_bytes = true;
		if (is_bytes && kv[i].val >= 1024)
			printf("%-38s %llu (%s)\n", kv[i].key, kv[i].val,
			       human(kv[i].val, buf, sizeof(buf)));
		else if (!strcmp(kv[i].key, "fragmentation_permille"))
			printf("%-38s %llu (index %.3f)\n", kv[i].key,
			       kv[i].val, kv[i].val / 1000.0);
		else
			printf("%-38s %llu\n", kv[i].key, kv[i].val);
	}
	if (stat_get(kv, n, "regions_fallback", &v) && v)
		printf("note: %llu region(s) mapped by 4 KiB pages (no 2 MiB page was available)\n",
		       v);
	return 0;
}

/*
 * The lines of @f (newlines stripped) into *@lines (NULL-terminated array of
 * *@n strings; free with free_lines()); closes @f.  -1 with one message on
 * a read error or when out of memory, with nothing left allocated.
 */
static int read_lines(FILE *f, char ***lines, size_t *n)
{
	size_t cap = 0, len = 0;
	char **v = NULL, *line = NULL;
	int rc = 0;
	ssize_t r;

	*n = 0;
	for (;;) {
		errno = 0;
		r = getline(&line, &len, f);
		if (r < 0)
			break;
		if (r && line[r - 1] == '\n')
			line[r - 1] = '\0';
		if (*n + 1 >= cap) {
			char **nv;

			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
		}
		v[*n] = strdup(line);
		if (!v[*n])
			goto oom;
		v[++*n] = NULL;
	}
	/* getline() returns -1 at the end, on a read error and without memory. */
	if (errno == ENOMEM)
		goto oom;
	if (ferror(f)) {
		err("read error: %s", strerror(errno ? errno : EIO));
		rc = -1;
	}
	goto out;
oom:
	err("out of memory");
	rc = -1;
out:
	free(line);
	fclose(f);
	if (rc) {
		while (*n)
			free(v[--*n]);
		free(v);
		v = NULL;
	}
	*lines = v;
	return rc;
}

static void free_lines(char **lines, size_t n)
{
	while (n)
		free(lines[--n]);
	free(lines);
}

/* Print the whitespace-separated table @f with aligned columns; closes @f. */
static int table_print(FILE *f)
{
	int width[MAX_FIELDS] = { 0 };
	char **lines, *save;
	size_t nlines, i;
	int c;

	if (read_lines(f, &lines, &nlines))
		return 1;
	for (i = 0; i < nlines; i++) {
		const char *p = lines[i];
		size_t w;

		for (c = 0; c < MAX_FIELDS; c++, p += w) {
			p += strspn(p, " \t");
			if (!*p)
				break;
			w = strcspn(p, " \t");
			if ((int)w > width[c])
				width[c] = w;
		}
	}
	for (i = 0; i < nlines; i++) {
		char *t[MAX_FIELDS];
		int nt = 0;

		for (t[0] = strtok_r(lines[i], " \t", &save);
		     t[nt] && nt < MAX_FIELDS - 1;
		     t[++nt] = strtok_r(NULL, " \t", &save))
			;
		for (c = 0; c < nt; c++) {
			bool num = strspn(t[c], "0123456789") == strlen(t[c]);

			if (c)
				putchar(' ');
			/* Numbers right-aligned, text left-aligned. */
			if (num)
				printf("%*s", width[c], t[c]);
			else if (c < nt - 1)
				printf("%-*s", width[c], t[c]);
			else
				fputs(t[c], stdout);
		}
		putchar('\n');
	}
	free_lines(lines, nlines);
	return 0;
}

/* Print a whitespace-separated debugfs table with aligned columns. */
static int cmd_table(const char *name)
{
	FILE *f = open_file(name);

	return f ? table_print(f) : 1;
}

static int cmd_raw(const char *name)
{
	char buf[4096];
	FILE *f = open_file(name);
	size_t n;

	if (!f)
		return 1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

/* Reject parameters the module does not declare (the kernel ignores them). */
static int check_params(struct kmod_module *mod, int argc, char **argv)
{
	struct kmod_list *info = NULL, *l;
	int i, ret = 0;

	if (!argc)
		return 0;
	if (kmod_module_get_info(mod, &info) < 0) {
		err("cannot read the module information of %s",
		    kmod_module_get_path(mod) ?: MODNAME);
		return 1;
	}
	for (i = 0; i < argc; i++) {
		size_t klen = strcspn(argv[i], "=");
		bool known = false;

		kmod_list_foreach(l, info) {
			const char *k = kmod_module_info_get_key(l);
			const char *v = kmod_module_info_get_value(l);

			if (!strcmp(k, "parmtype") && v &&
			    !strncmp(v, argv[i], klen) && v[klen] == ':')
				known = true;
		}
		if (!known) {
			err("unknown parameter '%.*s' (modinfo %s lists them)",
			    (int)klen, argv[i], MODNAME);
			ret = 2;
		}
	}
	kmod_module_info_free_list(info);
	return ret;
}

static char *join_params(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int insert_error(int ret, const char *what)
{
	if (ret == -EEXIST)
		err("module %s is already loaded", MODNAME);
	else if (ret == -ENOEXEC)
		err("%s: not a module for this kernel (%s)", what,
		    strerror(-ret));
	else
		err("cannot load %s: %s (see dmesg)", what, strerror(-ret));
	return 1;
}

static int cmd_load(int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL;
	const char *path = NULL;
	struct kmod_ctx *ctx;
	char *opts;
	int ret, rc = 1;

	if (argc >= 1 && !strcmp(argv[0], "--path")) {
		if (argc < 2)
			return usage_error("load --path needs a FILE");
		path = argv[1];
		argc -= 2;
		argv += 2;
	} else if (argc >= 1 && !strncmp(argv[0], "--path=", 7)) {
		path = argv[0] + 7;
		argc--;
		argv++;
	}
	for (ret = 0; ret < argc; ret++)
		if (argv[ret][0] == '-' || argv[ret][0] == '=')
			return usage_error("load: parameters are PARAM=VALUE");
	if (need_root())
		return 1;
	ctx = ctx_new();
	if (!ctx)
		return 1;
	ret = module_loaded(ctx);
	if (ret) {
		if (ret > 0)
			err("module %s is already loaded", MODNAME);
		goto out;
	}
	if (path) {
		if (access(path, R_OK)) {
			err("cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		ret = kmod_module_new_from_path(ctx, path, &mod);
		if (ret < 0) {
			err("%s: %s", path, strerror(-ret));
			goto out;
		}
	} else {
		struct utsname u;

		ret = kmod_module_new_from_lookup(ctx, MODNAME, &list);
		if (ret >= 0 && list)
			mod = kmod_module_get_module(list);
		kmod_module_unref_list(list);
		if (!mod || !kmod_module_get_path(mod)) {
			uname(&u);
			err("module %s is not installed for kernel %s (not under /lib/modules/%s; use load --path FILE)",
			    MODNAME, u.release, u.release);
			goto out;
		}
	}
	ret = check_params(mod, argc, argv);
	if (ret) {
		rc = ret;
		goto out;
	}
	opts = join_params(argc, argv);
	if (!opts) {
		err("out of memory");
		goto out;
	}
	if (path)
		ret = kmod_module_insert_module(mod, 0, opts);
	else
		ret = kmod_module_probe_insert_module(mod,
						      KMOD_PROBE_FAIL_ON_LOADED,
						      opts, NULL, NULL, NULL);
	free(opts);
	if (ret < 0) {
		insert_error(ret, path ? path : kmod_module_get_path(mod));
		goto out;
	}
	if (ret > 0) {
		err("module %s is blacklisted", MODNAME);
		goto out;
	}
	printf("%s loaded from %s\n", MODNAME, kmod_module_get_path(mod));
	rc = 0;
out:
	if (mod)
		kmod_module_unref(mod);
	kmod_unref(ctx);
	return rc;
}

static int cmd_bench(int argc, char **argv)
{
	char dir[PATH_MAX], file[PATH_MAX + 64], buf[4096];
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	char *opts = NULL;
	size_t n;
	FILE *f;
	int ret, rc = 1;

	if (argc < 2 || strcmp(argv[0], "--module"))
		return usage_error("bench --module FILE [PARAM=VALUE...]");
	ctx = ctx_with_execmem();
	if (!ctx)
		return 1;
	if (!debugfs_dir(dir, sizeof(dir))) {
		err("debugfs is not mounted (mount -t debugfs none /sys/kernel/debug)");
		goto out;
	}
	ret = kmod_module_new_from_path(ctx, argv[1], &mod);
	if (ret < 0) {
		err("%s: %s", argv[1], strerror(-ret));
		goto out;
	}
	opts = join_params(argc - 2, argv + 2);
	if (!opts) {
		err("out of memory");
		goto out;
	}
	/* The benchmark runs in the module's init: this returns when it is done. */
	ret = kmod_module_insert_module(mod, 0, opts);
	if (ret < 0) {
		insert_error(ret, argv[1]);
		goto out;
	}
	snprintf(file, sizeof(file), "%s/%s/result", dir, kmod_module_get_name(mod));
	f = fopen(file, "r");
	if (f) {
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		rc = ferror(f) ? 1 : 0;
		fclose(f);
	} else {
		err("cannot open %s: %s", file, strerror(errno));
	}
	ret = kmod_module_remove_module(mod, 0);
	if (ret < 0) {
		err("cannot unload %s: %s", kmod_module_get_name(mod), strerror(-ret));
		rc = 1;
	}
out:
	free(opts);
	if (mod)
		kmod_module_unref(mod);
	kmod_unref(ctx);
	return rc;
}

static int cmd_unload(void)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int ret, rc = 1;

	ctx = ctx_with_execmem();
	if (!ctx)
		return 1;
	ret = kmod_module_new_from_name(ctx, MODNAME, &mod);
	if (ret < 0) {
		err("libkmod: %s", strerror(-ret));
		goto out_ctx;
	}
	ret = kmod_module_remove_module(mod, 0);
	if (ret == -EBUSY || ret == -EAGAIN)
		err("module %s is in use (refcount %d: client modules or live allocations; see execmemctl owners)",
		    MODNAME, kmod_module_get_refcnt(mod));
	else if (ret < 0)
		err("cannot unload %s: %s", MODNAME, strerror(-ret));
	else
		rc = 0;
	kmod_module_unref(mod);
out_ctx:
	kmod_unref(ctx);
	return rc;
}

#ifndef EXECMEMCTL_TEST
int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		return usage_error("no command");
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (!strcmp(cmd, "load"))
		return cmd_load(argc - 2, argv + 2);
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 2, argv + 2);
	if (argc > 3 || (argc == 3 && strcmp(cmd, "status")))
		return usage_error("too many arguments");
	if (!strcmp(cmd, "unload"))
		return cmd_unload();
	if (!strcmp(cmd, "status")) {
		if (argc == 3 && strcmp(argv[2], "--json"))
			return usage_error("status takes only --json");
		return cmd_status(argc == 3);
	}
	if (!strcmp(cmd, "regions") || !strcmp(cmd, "allocations") ||
	    !strcmp(cmd, "owners"))
		return cmd_table(cmd);
	if (!strcmp(cmd, "symbols"))
		return cmd_raw(cmd);
	return usage_error("unknown command");
}
#endif /* EXECMEMCTL_TEST */
