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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <syslog.h>
#include <sys/utsname.h>
#include <libkmod.h>
#include <png.h>

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
"  host                the kernel's own code execmem hosts, per consumer\n"
"                      (bpf, kprobes: the host= parameter)\n"
"  hosted              one row per hosted BPF pack or kprobe page\n"
"  census [--json | --png FILE]\n"
"                      who split the direct map: 2 MiB ranges, their state\n"
"                      and causes (debugfs \"census\"); one JSON object, or\n"
"                      a picture, one cell per 2 MiB\n"
"  bench --module FILE [PARAM=VALUE...]\n"
"                      run the benchmark module FILE (bench/kmod/\n"
"                      execmem_bench.ko; execmem must be loaded), print its\n"
"                      JSON result and unload it.  PARAMs: path=execmem|\n"
"                      stock|bpf_prog_pack, workload=modules|loaded|bpf,\n"
"                      seed=N.  stock and bpf_prog_pack split the direct\n"
"                      map for good: reboot between runs to compare.\n"
"  heal [--dry-run] [--json]\n"
"                      collapse every healable split 2 MiB range of the\n"
"                      direct map into a PMD leaf, then every healable\n"
"                      split 1 GiB range into a PUD leaf (docs/dmap.md:\n"
"                      opt-in, its risks); census and meminfo before, after\n"
"  split --ranges N [--1g] | --percent P\n"
"                      split N (P % of all) more direct-map 2 MiB ranges,\n"
"                      on execmem's own pages: stale, healable (--1g: N\n"
"                      ranges inside 1 GiB leaves, each splitting its PUD)\n"
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

/* @n bytes of @s as a JSON string: quotes, backslashes, controls escaped. */
static void json_string_n(FILE *out, const char *s, size_t n)
{
	const char *end = s + n;

	fputc('"', out);
	for (; s < end && *s; s++) {
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

static void json_string(FILE *out, const char *s)
{
	json_string_n(out, s, strlen(s));
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

static int table_print(FILE *f);

/*
 * The kernel's own code execmem hosts (debugfs "host", absent before
 * hosting existed): one row per consumer, after the counters.
 */
static int status_host(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	FILE *f;

	if (!debugfs_dir(dir, sizeof(dir)))
		return 0;
	snprintf(path, sizeof(path), "%s/execmem/host", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	printf("\nhosted kernel code (host= parameter; served/freed/fallbacks/live: bpf packs, kprobe pages)\n");
	return table_print(f);
}

static int cmd_status(bool json)
{
	static const char *const bytes_keys[] = {
		"bytes_mapped", "bytes_allocated", "bytes_requested",
		"bytes_free", "largest_free_extent", "bytes_written", "bytes_hosted",
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
	return status_host();
}

/*
 * The lines of @f (newlines stripped) into *@lines (NULL-terminated array of
 * *@n strings; free with free_lines()); closes @f.  -1 with one message on
 * a read error or when out of memory, with nothing left allocated.
 */
/* Append a copy of @line to the NULL-terminated vector *@v; -1: no memory. */
static int push_line(char ***v, size_t *cap, size_t *n, const char *line)
{
	if (*n + 1 >= *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		char **nv = realloc(*v, ncap * sizeof(**v));

		if (!nv)
			return -1;
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n] = strdup(line);
	if (!(*v)[*n])
		return -1;
	(*v)[++*n] = NULL;
	return 0;
}

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
		if (push_line(&v, &cap, n, line))
			goto oom;
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

/* ---- census ----------------------------------------------------------------- */

/*
 * debugfs "census" (format version 1): "KEY VALUE" lines, then "resolved",
 * "cause", "range" and "mapped" rows, "#" comments (see docs/census.md).
 */
enum census_class {
	CL_MODULE, CL_BPF, CL_KPROBES, CL_FTRACE, CL_EXECMEM, CL_KERNEL,
	CL_OTHER, CL_UNATTRIBUTED, CL_NR
};

static const char *const class_names[CL_NR] = {
	"module", "bpf", "kprobes", "ftrace", "execmem", "kernel", "other",
	"unattributed",
};

static int class_of(const char *name)
{
	int i;

	for (i = 0; i < CL_NR; i++)
		if (!strncmp(name, class_names[i], strlen(class_names[i])) &&
		    (!name[strlen(class_names[i])] ||
		     name[strlen(class_names[i])] == ':'))
			return i;
	return CL_OTHER;
}

/* The value of KEY in the census lines, 0 when absent. */
static unsigned long long census_val(char **lines, size_t n, const char *key)
{
	size_t i, kl = strlen(key);

	for (i = 0; i < n; i++)
		if (!strncmp(lines[i], key, kl) && lines[i][kl] == ' ')
			return strtoull(lines[i] + kl + 1, NULL, 0);
	return 0;
}

static bool census_is_row(const char *line)
{
	static const char *const rows[] = { "resolved ", "cause ", "range ",
					    "mapped " };
	unsigned int i;

	if (line[0] == '#')
		return true;
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		if (!strncmp(line, rows[i], strlen(rows[i])))
			return true;
	return false;
}

struct census_range {
	unsigned long long phys;
	char size[4], status[12];
	unsigned int v[7];	/* nondefault default hole ro x np cache */
	const char *causes;	/* "class:name,..." (in the line), or "-" */
};

static bool census_parse_range(const char *line, struct census_range *r)
{
	int end = -1;

	if (sscanf(line, "range %llx %3s %11s %u %u %u %u %u %u %u %n",
		   &r->phys, r->size, r->status, &r->v[0], &r->v[1], &r->v[2],
		   &r->v[3], &r->v[4], &r->v[5], &r->v[6], &end) != 10 ||
	    end < 0 || !line[end])
		return false;
	r->causes = line + end;
	return true;
}

/* The census's "KEY VALUE" lines, then "resolved": {...} */
static void census_json_values(FILE *out, char **lines, size_t n)
{
	char key[128], name[256];
	const char *sep = "";
	unsigned long long v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (census_is_row(lines[i]) ||
		    sscanf(lines[i], "%127s %llu", key, &v) != 2)
			continue;
		fputs(sep, out);
		json_string(out, key);
		fprintf(out, ": %llu", v);
		sep = ", ";
	}
	fputs(", \"resolved\": {", out);
	for (i = 0, sep = ""; i < n; i++) {
		if (sscanf(lines[i], "resolved %255s %llu", name, &v) != 2)
			continue;
		fputs(sep, out);
		json_string(out, name);
		fprintf(out, ": %llu", v);
		sep = ", ";
	}
	fputs("}", out);
}

/* One "range" row as a JSON object. */
static void census_json_range(FILE *out, const struct census_range *r)
{
	static const char *const vnames[7] = {
		"nondefault", "default", "hole", "ro", "x", "np", "cache"
	};
	const char *p;
	size_t len;
	int k;

	fprintf(out, "{\"phys\": %llu, \"size\": ", r->phys);
	json_string(out, r->size);
	fputs(", \"status\": ", out);
	json_string(out, r->status);
	for (k = 0; k < 7; k++)
		fprintf(out, ", \"%s\": %u", vnames[k], r->v[k]);
	fputs(", \"causes\": [", out);
	for (k = 0, p = r->causes; *p && strcmp(p, "-"); p += len) {
		len = strcspn(p, ",");
		fputs(k++ ? ", " : "", out);
		json_string_n(out, p, len);
		len += !!p[len];
	}
	fputs("]}", out);
}

static void census_json(FILE *out, char **lines, size_t n)
{
	char name[256], cls[32];
	unsigned long long a, b, c;
	struct census_range r;
	const char *sep;
	size_t i;

	fputc('{', out);
	census_json_values(out, lines, n);
	fputs(", \"causes\": [", out);
	for (i = 0, sep = ""; i < n; i++) {
		if (sscanf(lines[i], "cause %31s %255s %llu %llu %llu", cls, name,
			   &a, &b, &c) != 5)
			continue;
		fprintf(out, "%s{\"class\": ", sep);
		json_string(out, cls);
		fputs(", \"name\": ", out);
		json_string(out, name);
		fprintf(out, ", \"pages\": %llu, \"pages_in_split_ranges\": %llu, \"live_split_ranges\": %llu}",
			a, b, c);
		sep = ", ";
	}
	fputs("], \"ranges\": [", out);
	for (i = 0, sep = ""; i < n; i++) {
		if (!census_parse_range(lines[i], &r))
			continue;
		fputs(sep, out);
		census_json_range(out, &r);
		sep = ", ";
	}
	fputs("], \"mapped\": [", out);
	for (i = 0, sep = ""; i < n; i++) {
		if (sscanf(lines[i], "mapped %llx %llx", &a, &b) != 2)
			continue;
		fprintf(out, "%s{\"phys\": %llu, \"size\": %llu}", sep, a, b);
		sep = ", ";
	}
	fputs("]}\n", out);
}

/* Each cause's live split 2M ranges (at most 8 shown), one line a cause. */
static void census_text_live(FILE *out, char **lines, size_t n)
{
	char cls[32], name[256], want[300];
	unsigned long long a, b, c;
	struct census_range r;
	const char *p;
	size_t i, j, wl;
	int shown;

	fprintf(out, "\nLive split 2M ranges by cause (changed pages in the range):\n");
	for (i = 0; i < n; i++) {
		if (sscanf(lines[i], "cause %31s %255s %llu %llu %llu", cls, name,
			   &a, &b, &c) != 5 || !c)
			continue;
		fprintf(out, "  %s %s:", cls, name);
		wl = snprintf(want, sizeof(want), "%s:%s", cls, name);
		for (j = 0, shown = 0; j < n; j++) {
			if (!census_parse_range(lines[j], &r) ||
			    strcmp(r.status, "live") || strcmp(r.size, "2M"))
				continue;
			p = strstr(r.causes, want);
			if (!p || (p != r.causes && p[-1] != ',') ||
			    (p[wl] && p[wl] != ','))
				continue;
			if (shown++ < 8)
				fprintf(out, " 0x%llx (%u)", r.phys, r.v[0]);
		}
		fprintf(out, shown > 8 ? " ... %d ranges\n" : "\n", shown);
	}
}

static void census_text(FILE *out, char **lines, size_t n)
{
#define V(k) census_val(lines, n, k)
	char cls[32], name[256], buf[32];
	unsigned long long a, b, c, mapped = 0;
	struct census_range r;
	size_t i;
	int shown;

	for (i = 0; i < n; i++)
		if (sscanf(lines[i], "mapped %llx %llx", &a, &b) == 2)
			mapped += b;
	fprintf(out, "Direct map: %s mapped by %llu x 1G, %llu x 2M, %llu x 4K leaves\n",
		human(mapped, buf, sizeof(buf)), V("leaves_1g"), V("leaves_2m"),
		V("leaves_4k"));
	fprintf(out, "  as /proc/meminfo counts it: DirectMap4k %llu kB, DirectMap2M %llu kB, DirectMap1G %llu kB\n",
		V("meminfo_directmap_4k_kb"), V("meminfo_directmap_2m_kb"),
		V("meminfo_directmap_1g_kb"));
	fprintf(out, "  (+ %llu split 2M pages of the kernel image's high mapping, which meminfo counts too)\n",
		V("kernel_image_split_2m"));
	fprintf(out, "Split 2M ranges: %llu: %llu live, %llu stale (cause gone, never repaired), %llu partial (holes)\n",
		V("split_2m"), V("split_2m_live"), V("split_2m_stale"),
		V("split_2m_partial"));
	fprintf(out, "4K pages with changed permissions: %llu (%llu read-only, %llu executable, %llu not present, %llu not write-back); %llu default\n",
		V("pages_4k_nondefault"), V("pages_4k_ro"), V("pages_4k_x"),
		V("pages_4k_np"), V("pages_4k_cache"), V("pages_4k_default"));
	fprintf(out, "Intact large leaves with changed permissions: %llu x 2M, %llu x 1G (%llu pages)\n",
		V("leaves_2m_nondefault"), V("leaves_1g_nondefault"),
		V("pages_large_nondefault"));
	fprintf(out, "\nCauses (owner of the page's module-area mapping):\n");
	fprintf(out, "  %-12s %-36s %8s %10s %6s\n", "class", "name", "pages",
		"in splits", "live");
	for (i = 0; i < n; i++)
		if (sscanf(lines[i], "cause %31s %255s %llu %llu %llu", cls, name,
			   &a, &b, &c) == 5)
			fprintf(out, "  %-12s %-36s %8llu %10llu %6llu\n", cls,
				name, a, b, c);
	census_text_live(out, lines, n);
	fprintf(out, "\nStale split 2M ranges:");
	for (i = 0, shown = 0; i < n; i++)
		if (census_parse_range(lines[i], &r) &&
		    !strcmp(r.status, "stale") && shown++ < 16)
			fprintf(out, " 0x%llx", r.phys);
	fprintf(out, shown ? (shown > 16 ? " ... %d\n" : "\n") : " none\n", shown);
	fprintf(out, "\nCensus cost: %llu us (module area) + %llu us (direct map), %llu bytes\n",
		V("walk_module_area_us"), V("walk_direct_map_us"),
		V("memory_bytes"));
#undef V
}

/* ---- PNG (libpng) -------------------------------------------------------- */

/* @rows: @h pointers to @w RGB pixels each.  0, or -1 with errno set. */
static int png_encode(FILE *f, png_bytep *rows, uint32_t w, uint32_t h)
{
	png_structp png;
	png_infop info = NULL;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png)
		info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		errno = ENOMEM;
		return -1;
	}
	if (setjmp(png_jmpbuf(png))) {
		/* libpng printed why */
		png_destroy_write_struct(&png, &info);
		errno = EIO;
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_rows(png, info, rows);
	png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

/*
 * Write @w x @h RGB pixels (@rgb, 3 bytes each, rows top down) to @f as an
 * 8-bit RGB PNG (libpng).  0, or -1 with errno set.
 */
static int png_write(FILE *f, const unsigned char *rgb, uint32_t w, uint32_t h)
{
	png_bytep *rows = malloc((h ? h : 1) * sizeof(*rows));
	uint32_t y;
	int rc;

	if (!rows) {
		errno = ENOMEM;
		return -1;
	}
	for (y = 0; y < h; y++)
		rows[y] = (png_bytep)rgb + (size_t)y * w * 3;
	rc = png_encode(f, rows, w, h);
	free(rows);
	return rc;
}

static const unsigned char class_rgb[CL_NR][3] = {
	[CL_MODULE] = { 230, 120, 20 },		/* orange */
	[CL_BPF] = { 200, 30, 30 },		/* red */
	[CL_KPROBES] = { 140, 60, 190 },	/* purple */
	[CL_FTRACE] = { 140, 90, 40 },		/* brown */
	[CL_EXECMEM] = { 40, 160, 60 },		/* green */
	[CL_KERNEL] = { 40, 90, 210 },		/* blue */
	[CL_OTHER] = { 230, 110, 180 },		/* pink */
	[CL_UNATTRIBUTED] = { 60, 150, 150 },	/* teal */
};
static const unsigned char rgb_hole[3] = { 255, 255, 255 };
static const unsigned char rgb_intact[3] = { 215, 215, 215 };
static const unsigned char rgb_stale[3] = { 40, 40, 40 };
static const unsigned char rgb_partial[3] = { 235, 205, 60 };

#define CELL_PX	6	/* a 2 MiB cell, plus one pixel of gap */
#define GRID_COLS	64

/* The end of the highest "mapped" line of the census: its physical size. */
static unsigned long long census_end(char **lines, size_t n)
{
	unsigned long long a, b, end = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (sscanf(lines[i], "mapped %llx %llx", &a, &b) == 2 && a + b > end)
			end = a + b;
	return end;
}

/*
 * The colour of each of @cells cells: white where nothing is mapped, grey
 * where mapped and intact, else by the status and first cause of its 2M
 * range.
 */
static void census_cells(unsigned char (*cell)[3], unsigned long long cells,
			 char **lines, size_t n)
{
	unsigned long long a, b, c;
	struct census_range r;
	const unsigned char *col;
	size_t i;

	for (c = 0; c < cells; c++)
		memcpy(cell[c], rgb_hole, 3);
	for (i = 0; i < n; i++) {
		if (sscanf(lines[i], "mapped %llx %llx", &a, &b) != 2)
			continue;
		for (c = a >> 21; c < cells && c << 21 < a + b; c++)
			memcpy(cell[c], rgb_intact, 3);
	}
	for (i = 0; i < n; i++) {
		if (!census_parse_range(lines[i], &r) || strcmp(r.size, "2M"))
			continue;
		c = r.phys >> 21;
		if (c >= cells)
			continue;
		if (!strcmp(r.status, "stale"))
			col = rgb_stale;
		else if (!strcmp(r.status, "partial"))
			col = rgb_partial;
		else
			col = class_rgb[class_of(r.causes)];
		memcpy(cell[c], col, 3);
		/* An intact leaf with changed permissions: a lighter shade. */
		if (!strcmp(r.status, "leaf"))
			for (int k = 0; k < 3; k++)
				cell[c][k] = (cell[c][k] + 255 * 2) / 3;
	}
}

/* Draw @cells cells into the @w-pixel-wide white image @rgb, a grid. */
static void census_draw(unsigned char *rgb, uint32_t w,
			unsigned char (*cell)[3], unsigned long long cells)
{
	unsigned long long c;
	uint32_t x, y;

	for (c = 0; c < cells; c++) {
		uint32_t x0 = 1 + (c % GRID_COLS) * (CELL_PX + 1);
		uint32_t y0 = 1 + (c / GRID_COLS) * (CELL_PX + 1);

		for (y = y0; y < y0 + CELL_PX; y++)
			for (x = x0; x < x0 + CELL_PX; x++)
				memcpy(rgb + ((size_t)y * w + x) * 3, cell[c], 3);
	}
}

static int census_png_file(const char *path, const unsigned char *rgb,
			   uint32_t w, uint32_t h)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f) {
		err("cannot create %s: %s", path, strerror(errno));
		return 1;
	}
	rc = png_write(f, rgb, w, h);
	if (fclose(f) || rc) {
		err("cannot write %s: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

/* One cell per 2 MiB of physical address space, GRID_COLS per row. */
static int census_png(const char *path, char **lines, size_t n)
{
	unsigned long long cells;
	unsigned char *rgb, (*cell)[3];
	uint32_t w, h;
	int rc;

	cells = (census_end(lines, n) + (2ULL << 20) - 1) >> 21;
	if (!cells || cells > (1ULL << 24)) {
		err("census: %llu cells: nothing to draw", cells);
		return 1;
	}
	cell = malloc(cells * sizeof(*cell));
	w = GRID_COLS * (CELL_PX + 1) + 1;
	h = (cells + GRID_COLS - 1) / GRID_COLS * (CELL_PX + 1) + 1;
	rgb = malloc((size_t)w * h * 3);
	if (!cell || !rgb) {
		free(cell);
		free(rgb);
		err("out of memory");
		return 1;
	}
	census_cells(cell, cells, lines, n);
	memset(rgb, 255, (size_t)w * h * 3);
	census_draw(rgb, w, cell, cells);
	free(cell);
	rc = census_png_file(path, rgb, w, h);
	free(rgb);
	if (rc)
		return rc;
	printf("%s: %llu cells of 2 MiB, %d per row (%llu MiB), %ux%u pixels\n",
	       path, cells, GRID_COLS, (unsigned long long)GRID_COLS * 2, w, h);
	printf("colours: white not mapped, grey intact 2M/1G, dark stale split, yellow partial (holes);\n"
	       "live split by its first cause: orange module, red bpf, purple kprobes, brown ftrace,\n"
	       "green execmem, blue kernel image, pink other, teal unattributed (lighter: an intact\n"
	       "leaf whose permissions changed, e.g. execmem's regions or the kernel image)\n");
	return 0;
}

/* execmemctl census [--json | --png FILE] */
static int cmd_census(int argc, char **argv)
{
	size_t n;
	char **lines;
	FILE *f;
	int rc = 0;

	if (argc > 2 || (argc == 1 && strcmp(argv[0], "--json")) ||
	    (argc == 2 && strcmp(argv[0], "--png")) ||
	    (argc == 1 && !strcmp(argv[0], "--png")))
		return usage_error("census [--json | --png FILE]");
	f = open_file("census");
	if (!f)
		return 1;
	if (read_lines(f, &lines, &n))
		return 1;
	if (census_val(lines, n, "census") != 1) {
		err("census: unknown format (no \"census 1\" line)");
		rc = 1;
	} else if (argc == 2) {
		rc = census_png(argv[1], lines, n);
	} else if (argc == 1) {
		census_json(stdout, lines, n);
	} else {
		census_text(stdout, lines, n);
	}
	free_lines(lines, n);
	return rc;
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

/* load's arguments: [--path FILE | --path=FILE] PARAM=VALUE...; 0 or 2 */
static int load_args(int *argc, char ***argv, const char **path)
{
	int i;

	if (*argc >= 1 && !strcmp((*argv)[0], "--path")) {
		if (*argc < 2)
			return usage_error("load --path needs a FILE");
		*path = (*argv)[1];
		*argc -= 2;
		*argv += 2;
	} else if (*argc >= 1 && !strncmp((*argv)[0], "--path=", 7)) {
		*path = (*argv)[0] + 7;
		(*argc)--;
		(*argv)++;
	}
	for (i = 0; i < *argc; i++)
		if ((*argv)[i][0] == '-' || (*argv)[i][0] == '=')
			return usage_error("load: parameters are PARAM=VALUE");
	return 0;
}

/* The module to load: the file @path, else the installed one; or NULL. */
static struct kmod_module *load_find(struct kmod_ctx *ctx, const char *path)
{
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL;
	struct utsname u;
	int ret;

	if (path) {
		if (access(path, R_OK)) {
			err("cannot read %s: %s", path, strerror(errno));
			return NULL;
		}
		ret = kmod_module_new_from_path(ctx, path, &mod);
		if (ret < 0)
			err("%s: %s", path, strerror(-ret));
		return ret < 0 ? NULL : mod;
	}
	ret = kmod_module_new_from_lookup(ctx, MODNAME, &list);
	if (ret >= 0 && list)
		mod = kmod_module_get_module(list);
	kmod_module_unref_list(list);
	if (mod && kmod_module_get_path(mod))
		return mod;
	if (mod)
		kmod_module_unref(mod);
	uname(&u);
	err("module %s is not installed for kernel %s (not under /lib/modules/%s; use load --path FILE)",
	    MODNAME, u.release, u.release);
	return NULL;
}

/* Insert @mod (from @path, else as modprobe would) with PARAM=VALUE args. */
static int load_insert(struct kmod_module *mod, const char *path, int argc,
		       char **argv)
{
	char *opts;
	int ret;

	ret = check_params(mod, argc, argv);
	if (ret)
		return ret;
	opts = join_params(argc, argv);
	if (!opts) {
		err("out of memory");
		return 1;
	}
	if (path)
		ret = kmod_module_insert_module(mod, 0, opts);
	else
		ret = kmod_module_probe_insert_module(mod,
						      KMOD_PROBE_FAIL_ON_LOADED,
						      opts, NULL, NULL, NULL);
	free(opts);
	if (ret < 0)
		return insert_error(ret, path ? path : kmod_module_get_path(mod));
	if (ret > 0) {
		err("module %s is blacklisted", MODNAME);
		return 1;
	}
	printf("%s loaded from %s\n", MODNAME, kmod_module_get_path(mod));
	return 0;
}

static int cmd_load(int argc, char **argv)
{
	struct kmod_module *mod;
	const char *path = NULL;
	struct kmod_ctx *ctx;
	int ret, rc = 1;

	ret = load_args(&argc, &argv, &path);
	if (ret)
		return ret;
	if (need_root())
		return 1;
	ctx = ctx_new();
	if (!ctx)
		return 1;
	ret = module_loaded(ctx);
	if (ret > 0)
		err("module %s is already loaded", MODNAME);
	if (!ret) {
		mod = load_find(ctx, path);
		if (mod) {
			rc = load_insert(mod, path, argc, argv);
			kmod_module_unref(mod);
		}
	}
	kmod_unref(ctx);
	return rc;
}

/* @file to stdout: 0, or 1 (with a message) */
static int cat_file(const char *file)
{
	char buf[4096];
	size_t n;
	FILE *f;
	int rc;

	f = fopen(file, "r");
	if (!f) {
		err("cannot open %s: %s", file, strerror(errno));
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	rc = ferror(f) ? 1 : 0;
	fclose(f);
	return rc;
}

static int cmd_bench(int argc, char **argv)
{
	char dir[PATH_MAX], file[PATH_MAX + 64];
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	char *opts = NULL;
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
	rc = cat_file(file);
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

#include "execmemctl_dmap.c"

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
	if (!strcmp(cmd, "census"))
		return cmd_census(argc - 2, argv + 2);
	if (!strcmp(cmd, "heal"))
		return cmd_heal(argc - 2, argv + 2);
	if (!strcmp(cmd, "split"))
		return cmd_split(argc - 2, argv + 2);
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
	    !strcmp(cmd, "owners") || !strcmp(cmd, "host") ||
	    !strcmp(cmd, "hosted"))
		return cmd_table(cmd);
	if (!strcmp(cmd, "symbols"))
		return cmd_raw(cmd);
	return usage_error("unknown command");
}
#endif /* EXECMEMCTL_TEST */
