// SPDX-License-Identifier: GPL-2.0
/*
 * Userspace tests of execmemctl's helpers (KTAP): execmemctl.c is compiled
 * into this file with -DEXECMEMCTL_TEST (no main) and with its allocation
 * and stdio calls counted, so that a test can make the Nth allocation fail
 * and check that nothing leaks and every file is closed.
 *
 *   make -C tools check
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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

/* ---- counted allocation and stdio ---------------------------------------- */

#define MAX_TRACK 4096
static void *track[MAX_TRACK];
static int fail_at = -1, alloc_calls, open_files;

static void track_add(void *p)
{
	int i;

	for (i = 0; i < MAX_TRACK; i++)
		if (!track[i]) {
			track[i] = p;
			return;
		}
	abort();
}

static void track_del(void *p)
{
	int i;

	for (i = 0; p && i < MAX_TRACK; i++)
		if (track[i] == p) {
			track[i] = NULL;
			return;
		}
}

static int live_allocs(void)
{
	int i, n = 0;

	for (i = 0; i < MAX_TRACK; i++)
		n += !!track[i];
	return n;
}

static bool fail_now(void)
{
	return alloc_calls++ == fail_at;
}

static void *t_malloc(size_t n)
{
	void *p = fail_now() ? NULL : malloc(n);

	if (p)
		track_add(p);
	return p;
}

static void *t_calloc(size_t n, size_t m)
{
	void *p = fail_now() ? NULL : calloc(n, m);

	if (p)
		track_add(p);
	return p;
}

static void *t_realloc(void *old, size_t n)
{
	void *p = fail_now() ? NULL : realloc(old, n);

	if (p) {
		track_del(old);
		track_add(p);
	}
	return p;
}

static char *t_strdup(const char *s)
{
	char *p = fail_now() ? NULL : strdup(s);

	if (p)
		track_add(p);
	return p;
}

static void t_free(void *p)
{
	track_del(p);
	free(p);
}

static ssize_t t_getline(char **line, size_t *len, FILE *f)
{
	char *old = *line;
	ssize_t r;

	if (fail_now()) {
		errno = ENOMEM;
		return -1;
	}
	r = getline(line, len, f);
	if (*line != old) {
		track_del(old);
		track_add(*line);
	}
	return r;
}

static FILE *t_fopen(const char *path, const char *mode)
{
	FILE *f = fopen(path, mode);

	open_files += !!f;
	return f;
}

static int t_fclose(FILE *f)
{
	open_files--;
	return fclose(f);
}

#define malloc t_malloc
#define calloc t_calloc
#define realloc t_realloc
#define strdup t_strdup
#define free t_free
#define getline t_getline
#define fopen t_fopen
#define fclose t_fclose
#include "execmemctl.c"
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef free
#undef getline
#undef fopen
#undef fclose

/* ---- KTAP ------------------------------------------------------------------ */

static int ktap_n, ktap_failed;

static void result(bool ok, const char *name)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++ktap_n, name);
	ktap_failed += !ok;
	fflush(stdout);
}

static char tmpdir[] = "/tmp/execmemctl-test.XXXXXX";

static const char *write_tmp(const char *name, const char *text)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
	return path;
}

static char *read_tmp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Run @fn with stdout going to a file; its text (static buffer). */
static char *capture(int (*fn)(void *), void *arg, int *rc)
{
	const char *path = write_tmp("stdout", "");
	int saved, fd;

	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_WRONLY | O_TRUNC);
	dup2(fd, 1);
	close(fd);
	*rc = fn(arg);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return read_tmp(path);
}

/* ---- tests ------------------------------------------------------------------- */

static const char *table_path;

static int run_table(void *arg)
{
	FILE *f = t_fopen(table_path, "r");

	(void)arg;
	return f ? table_print(f) : -1;
}

/* Fail each allocation of table_print() in turn: no leak, file closed. */
static void test_table_oom(void)
{
	int k, calls, rc, bad = 0;

	table_path = strdup(write_tmp("table",
				      "base size node\n0123 2097152 0\n4567 4194304 1\n"));
	fail_at = -1;
	alloc_calls = 0;
	capture(run_table, NULL, &rc);
	calls = alloc_calls;
	if (rc || live_allocs() || open_files) {
		printf("# no failure: rc %d, %d live allocations, %d open files\n",
		       rc, live_allocs(), open_files);
		bad = 1;
	}
	for (k = 0; k < calls; k++) {
		fail_at = k;
		alloc_calls = 0;
		capture(run_table, NULL, &rc);
		if (rc != 1 || live_allocs() || open_files) {
			printf("# allocation %d of %d failing: rc %d, %d live allocations, %d open files\n",
			       k + 1, calls, rc, live_allocs(), open_files);
			bad = 1;
			memset(track, 0, sizeof(track));
			open_files = 0;
		}
	}
	fail_at = -1;
	printf("# table_print: %d allocation calls, each made to fail once\n",
	       calls);
	result(!bad, "table_print: exit status 1, no leak and no open file when any allocation fails");
}

/* /proc/self/mounts escapes space, tab, newline and backslash as octal. */
static void test_mount_escapes(void)
{
	static const struct {
		const char *field, *want;
	} cases[] = {
		{ "/sys/kernel/debug", "/sys/kernel/debug" },
		{ "/mnt/my\\040debug", "/mnt/my debug" },
		{ "/mnt/tab\\011x", "/mnt/tab\tx" },
		{ "/mnt/nl\\012x", "/mnt/nl\nx" },
		{ "/mnt/back\\134slash", "/mnt/back\\slash" },
	};
	char text[256], dir[PATH_MAX];
	unsigned int i;
	bool bad = false;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(text, sizeof(text),
			 "proc /proc proc rw 0 0\ndebugfs %s debugfs rw 0 0\n",
			 cases[i].field);
		mounts_path = write_tmp("mounts", text);
		if (!debugfs_dir(dir, sizeof(dir)) || strcmp(dir, cases[i].want)) {
			printf("# mount point %s: got '%s', want '%s'\n",
			       cases[i].field, dir, cases[i].want);
			bad = true;
		}
	}
	result(!bad && !open_files, "debugfs mount point: octal escapes of /proc/self/mounts decoded");
}

static const struct stat_kv *json_kv;

static int run_json(void *arg)
{
	print_stats_json(stdout, json_kv, *(int *)arg);
	return 0;
}

static void test_json_keys(void)
{
	static const struct stat_kv kv[] = {
		{ "regions", 2 }, { "we\"ird\\key", 3 }, { "ctl\001\n", 4 },
	};
	const char *want = "{\"regions\": 2, \"we\\\"ird\\\\key\": 3, \"ctl\\u0001\\n\": 4}\n";
	int n = 3, rc;
	char *got;

	json_kv = kv;
	got = capture(run_json, &n, &rc);
	if (strcmp(got, want))
		printf("# got  %s# want %s", got ? got : "(none)\n", want);
	result(!strcmp(got, want), "status --json: keys escaped as JSON strings");
}

static int sh(const char *fmt, const char *arg)
{
	char cmd[PATH_MAX * 2];

	snprintf(cmd, sizeof(cmd), fmt, arg);
	return system(cmd);
}

/* Read the PNG @path back with libpng: 8-bit RGB pixels, or NULL. */
static unsigned char *png_read_rgb(const char *path, uint32_t *w, uint32_t *h)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	unsigned char *rgb;

	if (!png_image_begin_read_from_file(&img, path))
		return NULL;
	img.format = PNG_FORMAT_RGB;
	rgb = malloc(PNG_IMAGE_SIZE(img));
	if (!rgb || !png_image_finish_read(&img, NULL, rgb, 0, NULL)) {
		png_image_free(&img);
		free(rgb);
		return NULL;
	}
	*w = img.width;
	*h = img.height;
	return rgb;
}

/* A 3x2 image written by png_write(), read back by libpng's reader. */
static void test_png_roundtrip(void)
{
	static const unsigned char rgb[18] = {
		255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9,
	};
	const char *path = write_tmp("t.png", "");
	FILE *f = fopen(path, "wb");
	int rc = f ? png_write(f, rgb, 3, 2) : -1;
	unsigned char *back = NULL;
	uint32_t w = 0, h = 0;

	if (f)
		fclose(f);
	if (!rc)
		back = png_read_rgb(path, &w, &h);
	result(back && w == 3 && h == 2 && !memcmp(back, rgb, sizeof(rgb)),
	       "png: a 3x2 image reads back with the same size and pixels");
	free(back);
}

/* FNV-1a, 64 bits */
static uint64_t fnv1a(const unsigned char *p, size_t n)
{
	uint64_t hash = 0xcbf29ce484222325ULL;

	while (n--)
		hash = (hash ^ *p++) * 0x100000001b3ULL;
	return hash;
}

static char **sample;
static size_t nsample;

static int run_census_png(void *path)
{
	return census_png(path, sample, nsample);
}

/*
 * census --png of the sample census: the same picture as the hand-written
 * encoder drew before libpng (449x113, the FNV-1a of its RGB pixels).
 */
static void test_census_png(void)
{
	char path[PATH_MAX];
	unsigned char *rgb = NULL;
	uint32_t w = 0, h = 0;
	uint64_t hash = 0;
	int rc = 1;

	snprintf(path, sizeof(path), "%s", write_tmp("census.png", ""));
	if (sample)
		capture(run_census_png, path, &rc);
	if (!rc)
		rgb = png_read_rgb(path, &w, &h);
	if (rgb)
		hash = fnv1a(rgb, (size_t)w * h * 3);
	printf("# census.png: %ux%u, pixels FNV-1a 0x%016llx\n", w, h,
	       (unsigned long long)hash);
	result(w == 449 && h == 113 && hash == 0xfd8d64da25dd93b0ULL,
	       "census --png: the sample census draws the same picture as before libpng");
	free(rgb);
}

static int run_census_json(void *arg)
{
	(void)arg;
	census_json(stdout, sample, nsample);
	return 0;
}

/* census --json of a sample census: valid JSON with every part. */
static void test_census_json(void)
{
	const char *path;
	FILE *f = fopen("census-sample.txt", "r");
	int rc = 1;
	char *out;

	if (f && !read_lines(f, &sample, &nsample)) {
		out = capture(run_census_json, NULL, &rc);
		path = write_tmp("census.json", out);
		rc = sh("python3 -c 'import json; d = json.load(open(\"%s\")); "
			"assert d[\"split_2m\"] == 3 and d[\"resolved\"][\"find_vm_area\"] == 1; "
			"assert d[\"causes\"][1] == {\"class\": \"module\", \"name\": \"qnx4/text\", \"pages\": 1, \"pages_in_split_ranges\": 1, \"live_split_ranges\": 1}; "
			"assert d[\"ranges\"][1][\"phys\"] == 0x2600000 and d[\"ranges\"][1][\"status\"] == \"stale\" and d[\"ranges\"][1][\"causes\"] == []; "
			"assert d[\"ranges\"][0][\"causes\"] == [\"module:qnx4/text\", \"bpf:bpf_prog_pack_alloc\", \"kernel:image\"] and d[\"ranges\"][0][\"x\"] == 2; "
			"assert d[\"mapped\"] == [{\"phys\": 0, \"size\": 0x7ffe0000}]' >&2", path);
	}
	result(!rc, "census --json: the sample census as one valid JSON object");
}

int main(int argc, char **argv)
{
	/*
	 * By hand, on a saved census: test_execmemctl --png CENSUS OUT draws
	 * it, --text CENSUS and --json CENSUS print it as execmemctl would.
	 */
	if (argc >= 3 && argv[1][0] == '-') {
		FILE *f = fopen(argv[2], "r");

		if (!f || read_lines(f, &sample, &nsample))
			return 1;
		if (argc == 4 && !strcmp(argv[1], "--png"))
			return census_png(argv[3], sample, nsample);
		if (!strcmp(argv[1], "--json"))
			census_json(stdout, sample, nsample);
		else
			census_text(stdout, sample, nsample);
		return 0;
	}
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	printf("KTAP version 1\n# suite: execmemctl\n1..6\n");
	test_table_oom();
	test_mount_escapes();
	test_json_keys();
	test_png_roundtrip();
	test_census_json();
	test_census_png();
	return ktap_failed ? 1 : 0;
}
