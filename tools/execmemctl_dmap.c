// SPDX-License-Identifier: GPL-2.0
/*
 * execmemctl heal / split: the direct-map lab (debugfs execmem/dmap,
 * docs/dmap.md).  Included by execmemctl.c, after the helpers it uses.
 *
 *   heal [--dry-run] [--json]      collapse every healable split 2 MiB range,
 *                                  then every healable split 1 GiB one
 *   split --ranges N [--1g] | --percent P
 *                                  split N (P % of the direct map's 2 MiB
 *                                  ranges) more, on execmem's own pages
 *                                  (--1g: N inside 1 GiB leaves)
 *
 * Both print the census and /proc/meminfo before and after.
 */

/* What the direct map looks like: /proc/meminfo and the census. */
struct dm_snap {
	unsigned long long kb[3];	/* DirectMap4k, 2M, 1G */
	unsigned long long split, stale, live, partial;
};

static const char *const dm_mi_keys[3] = {
	"DirectMap4k:", "DirectMap2M:", "DirectMap1G:"
};

static int dm_meminfo(struct dm_snap *s)
{
	char key[64];
	unsigned long long v;
	FILE *f = fopen("/proc/meminfo", "r");
	int i;

	if (!f) {
		err("cannot open /proc/meminfo: %s", strerror(errno));
		return -1;
	}
	while (fscanf(f, "%63s %llu kB\n", key, &v) == 2)
		for (i = 0; i < 3; i++)
			if (!strcmp(key, dm_mi_keys[i]))
				s->kb[i] = v;
	fclose(f);
	return 0;
}

static int dm_snap(struct dm_snap *s)
{
	FILE *f;
	char **lines;
	size_t n;

	memset(s, 0, sizeof(*s));
	if (dm_meminfo(s))
		return -1;
	f = open_file("census");
	if (!f || read_lines(f, &lines, &n))
		return -1;
	s->split = census_val(lines, n, "split_2m");
	s->stale = census_val(lines, n, "split_2m_stale");
	s->live = census_val(lines, n, "split_2m_live");
	s->partial = census_val(lines, n, "split_2m_partial");
	free_lines(lines, n);
	return 0;
}

/* The first value of @key in @lines, or NULL. */
static const char *dm_str(char **lines, size_t n, const char *key)
{
	size_t i, kl = strlen(key);

	for (i = 0; i < n; i++)
		if (!strncmp(lines[i], key, kl) && lines[i][kl] == ' ')
			return lines[i] + kl + 1;
	return NULL;
}

/* Write @cmd to debugfs dmap: 0, or -errno with one message. */
static int dm_write(const char *cmd, char ***lines, size_t *n)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	const char *why;
	int ret = 0;
	FILE *f;

	f = open_file("dmap");	/* checks execmem and debugfs, with a message */
	if (!f)
		return -ENOENT;
	fclose(f);
	debugfs_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s/dmap", dir, MODNAME);
	f = fopen(path, "w");
	if (!f || fputs(cmd, f) < 0 || fflush(f))
		ret = -errno;
	if (f && fclose(f) && !ret)
		ret = -errno;
	f = open_file("dmap");
	if (!f || read_lines(f, lines, n))
		return ret ? ret : -EIO;
	if (ret) {
		why = dm_str(*lines, *n, "heal_refused");
		err("%s: %s%s%s", cmd, strerror(-ret), why ? ": " : "",
		    why ? why : "");
	}
	return ret;
}

static void dm_json_snap(FILE *out, const char *name, const struct dm_snap *s)
{
	fprintf(out, "\"%s\":{\"directmap_4k_kb\":%llu,\"directmap_2m_kb\":%llu,"
		"\"directmap_1g_kb\":%llu,\"split_2m\":%llu,\"split_2m_stale\":%llu,"
		"\"split_2m_live\":%llu,\"split_2m_partial\":%llu}",
		name, s->kb[0], s->kb[1], s->kb[2], s->split, s->stale, s->live,
		s->partial);
}

/* Every "last_*" and "split_*" line of dmap as a JSON member. */
static void dm_json(FILE *out, const char *op, const struct dm_snap *b,
		    const struct dm_snap *a, char **lines, size_t n)
{
	size_t i, kl;

	fprintf(out, "{\"op\":\"%s\",", op);
	dm_json_snap(out, "before", b);
	fputc(',', out);
	dm_json_snap(out, "after", a);
	fputs(",\"dmap\":{", out);
	for (i = 0; i < n; i++) {
		kl = strcspn(lines[i], " ");
		if (strncmp(lines[i], "last_", 5) && strncmp(lines[i], "split_", 6))
			continue;
		if (!lines[i][kl] || !strncmp(lines[i], "last_op ", 8))
			continue;
		json_string_n(out, lines[i], kl);
		fprintf(out, ":%s,", lines[i] + kl + 1);
	}
	fputs("\"1g_ranges\":\"not healed: PUD collapse not implemented\"}}\n",
	      out);
}

static void dm_text_snaps(FILE *out, const struct dm_snap *b,
			  const struct dm_snap *a)
{
	static const char *const names[3] = { "4k", "2M", "1G" };
	int i;

	for (i = 0; i < 3; i++)
		fprintf(out, "DirectMap%s %llu -> %llu kB\n", names[i],
			b->kb[i], a->kb[i]);
	fprintf(out, "census split 2M ranges %llu -> %llu (stale %llu -> %llu, live %llu -> %llu, partial %llu -> %llu)\n",
		b->split, a->split, b->stale, a->stale, b->live, a->live,
		b->partial, a->partial);
}

/* The verdicts other than healed of the lines "PFX<verdict> N", N > 0. */
static void dm_text_left(FILE *out, const char *pfx, char **lines, size_t n)
{
	size_t i, len = strlen(pfx);

	fputs(len > 5 ? "1G left:" : "left:", out);
	for (i = 0; i < n; i++) {
		const char *v = strchr(lines[i], ' ');

		if (strncmp(lines[i], pfx, len) || !v || !strcmp(v, " 0") ||
		    (len == 5 && !strncmp(lines[i], "last_1g_", 8)) ||
		    strstr(lines[i], "_split ") || strstr(lines[i], "_healable ") ||
		    strstr(lines[i], "_healed ") || strstr(lines[i], "_tables") ||
		    strstr(lines[i], "_flushes ") || strstr(lines[i], "_op ") ||
		    strstr(lines[i], "_result "))
			continue;
		fprintf(out, " %.*s%s", (int)(v - lines[i] - len),
			lines[i] + len, v);
	}
	fputc('\n', out);
}

static void dm_text_heal(FILE *out, bool dry, char **lines, size_t n)
{
#define L(k) census_val(lines, n, k)
	fprintf(out, "%s: %llu split 2M ranges, %llu healable, %llu healed, %llu changed under the locks\n",
		dry ? "dry run" : "heal", L("last_split"), L("last_healable"),
		L("last_healed"), L("last_changed"));
	if (!dry)
		fprintf(out, "tables freed %llu, boot tables kept %llu, TLB flushes %llu\n",
			L("last_tables_freed"), L("last_boot_tables"),
			L("last_flushes"));
	dm_text_left(out, "last_", lines, n);
	if (dm_str(lines, n, "heal_1g_refused")) {
		fprintf(out, "1G ranges: not healed: %s\n",
			dm_str(lines, n, "heal_1g_refused"));
		return;
	}
	fprintf(out, "1G ranges: %llu split, %llu healable, %llu healed, %llu changed under the locks\n",
		L("last_1g_split"), L("last_1g_healable"), L("last_1g_healed"),
		L("last_1g_changed"));
	if (!dry)
		fprintf(out, "1G tables freed %llu, boot tables kept %llu\n",
			L("last_1g_tables_freed"), L("last_1g_boot_tables"));
	dm_text_left(out, "last_1g_", lines, n);
#undef L
}

static int cmd_heal(int argc, char **argv)
{
	bool dry = false, json = false;
	struct dm_snap b, a;
	char **lines;
	size_t n;
	int i, ret;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return usage_error("heal [--dry-run] [--json]");
	}
	if (dm_snap(&b))
		return 1;
	ret = dm_write(dry ? "dry-run" : "heal", &lines, &n);
	if (ret == -ENOENT || ret == -EIO)
		return 1;
	if (!ret && dm_snap(&a))
		ret = -EIO;
	if (!ret && json)
		dm_json(stdout, dry ? "dry-run" : "heal", &b, &a, lines, n);
	else if (!ret)
		dm_text_heal(stdout, dry, lines, n);
	if (!ret && !json)
		dm_text_snaps(stdout, &b, &a);
	free_lines(lines, n);
	return ret ? 1 : 0;
}

static int cmd_split(int argc, char **argv)
{
	unsigned long long want = 0, total;
	struct dm_snap b, a;
	char cmd[48], *end;
	char **lines;
	size_t n;
	int ret;

	bool in_1g = argc == 3 && !strcmp(argv[2], "--1g");

	if ((argc != 2 && !in_1g) || (strcmp(argv[0], "--ranges") &&
				      strcmp(argv[0], "--percent")) ||
	    (in_1g && argv[0][2] == 'p'))
		return usage_error("split --ranges N [--1g] | --percent P");
	errno = 0;
	want = strtoull(argv[1], &end, 10);
	if (errno || *end || !want || argv[1][0] == '-' ||
	    (argv[0][2] == 'p' && want > 100))
		return usage_error("split: N > 0, 0 < P <= 100");
	if (dm_snap(&b))
		return 1;
	if (argv[0][2] == 'p') {	/* P % of the direct map's 2 MiB ranges */
		total = (b.kb[0] + b.kb[1] + b.kb[2]) / 2048;
		want = (total * want + 99) / 100;
	}
	snprintf(cmd, sizeof(cmd), "split %llu%s", want, in_1g ? " 1g" : "");
	ret = dm_write(cmd, &lines, &n);
	if (ret == -ENOENT || ret == -EIO)
		return 1;
	if (dm_snap(&a))
		ret = -EIO;
	if (!ret)
		printf("split: %llu ranges asked, %llu split, %llu %s, %llu allocation failures\n",
		       census_val(lines, n, "split_requested"),
		       census_val(lines, n, "split_done"),
		       census_val(lines, n, "split_already"),
		       in_1g ? "passed over (not in a 1G leaf)" : "already split",
		       census_val(lines, n, "split_alloc_failed"));
	if (!ret)
		dm_text_snaps(stdout, &b, &a);
	free_lines(lines, n);
	return ret ? 1 : 0;
}
