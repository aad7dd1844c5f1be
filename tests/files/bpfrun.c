// SPDX-License-Identifier: GPL-2.0
/*
 * bpfrun - load many socket-filter programs of varied sizes with bpf(2),
 * test-run each (BPF_PROG_TEST_RUN) and check its return value, keep them,
 * run them all again, then close them (tests/guest/host_*.sh and
 * bench/guest/host-bench.sh: BPF JIT memory that execmem may host).
 * Static: runs in the busybox guest as is.
 *
 *   bpfrun [options] COUNT
 *	-s MIN -S MAX	instructions per program (default 4 .. 2048); sizes are
 *			MIN + (MAX - MIN) * u^3, u uniform in [0, 1) (mostly
 *			small programs, some large), from the seed
 *	-r SEED		seed of sizes and immediates (default 1)
 *	-c CPU		run on that CPU only (sched_setaffinity)
 *	-w		after the second run, print "holding" and wait for
 *			SIGUSR1 (then close) or SIGTERM/SIGINT (exit at once)
 *	-R ROUNDS	repeat load, run, run again, close ROUNDS times (churn);
 *			programs are closed in a random order
 *	-l FILE		per-load latency samples, one line each:
 *			"TAG INSNS NS" (TAG: the -p value in force, or "-")
 *	-p FILE=VALUE	toggle: before each batch of -b loads, write VALUE and
 *			"" to FILE alternately (VALUE first): both paths timed
 *			in one boot, interleaved (e.g.
 *			/sys/module/execmem/parameters/host=bpf); each "off"
 *			batch loads programs of the sizes of the "on" batch
 *			before it
 *	-b BATCH	loads per toggle batch (default 16)
 *	-k FILE		JIT image of each program: "START LEN INSNS" (hex
 *			start, from BPF_OBJ_GET_INFO_BY_FD), after loading
 *	-t REPEAT	after the second run, time REPEAT calls of every 16th
 *			program (BPF_PROG_TEST_RUN repeat): "run_ns_per_call"
 *			is the median of the kernel's per-call durations
 *	-x HOT:ROUNDS	hot-set calls for the TLB model (docs/tlb-model.md,
 *			scripts/demo-tlb.sh), after -w's hold if given:
 *			ROUNDS + 1 rounds, each calling the HOT programs
 *			i * COUNT / HOT (i = 0..HOT-1: spread evenly over the
 *			load order, so over every pack) once each in order,
 *			then HOT / 4 programs drawn at random (from the seed)
 *			once each; round 0 warms the TLBs up, then a
 *			TLBMARK_RESET marker zeroes the plugin's counts, and a
 *			TLBMARK_END after the last round closes its window
 *			(the markers are NOPs without the plugin): prints
 *			hot_calls, hot_ok
 *
 * Each program is r0 = imm; then MIN..MAX-2 ALU64 add/xor of immediates;
 * exit.  Its return value, computed here the same way, depends on its index,
 * its size and the seed.  Output, one "KEY VALUE" line each (for KTAP
 * wrappers): count, loaded, run1_ok, run2_ok, insns_total, jited_bytes,
 * [run_ns_per_call], closed; then "result ok" or "result fail".  Exit 0 iff
 * every program loaded, returned its value on every run and was closed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../tlb/tlbmark.h"

struct prog {
	int fd;
	unsigned int insns;
	uint32_t want;
};

struct opts {
	long count, rounds, batch, repeat, hot, hot_rounds;
	unsigned int min, max;
	uint64_t seed;
	int cpu, hold;
	const char *latfile, *ksymfile, *togfile, *togval;
};

static struct bpf_insn *insns;
static unsigned char pkt[64];

static int bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint64_t rnd(uint64_t *s)	/* splitmix64 */
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned int pick_size(const struct opts *o, uint64_t *s)
{
	double u = (rnd(s) >> 11) * (1.0 / 9007199254740992.0);

	return o->min + (unsigned int)((o->max - o->min) * u * u * u);
}

/* Fill insns[] for program @idx of @n instructions; returns its value. */
static uint32_t gen(long idx, unsigned int n, uint64_t seed)
{
	uint64_t s = seed * 1000003ULL + idx, r0;
	unsigned int i;
	int32_t imm;

	memset(insns, 0, n * sizeof(*insns));
	imm = (int32_t)(idx * 2654435761u + n);
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	insns[0].imm = imm;
	r0 = (uint64_t)(int64_t)imm;
	for (i = 1; i < n - 1; i++) {
		imm = (int32_t)rnd(&s);
		insns[i].imm = imm;
		if (i & 1) {
			insns[i].code = BPF_ALU64 | BPF_ADD | BPF_K;
			r0 += (uint64_t)(int64_t)imm;
		} else {
			insns[i].code = BPF_ALU64 | BPF_XOR | BPF_K;
			r0 ^= (uint64_t)(int64_t)imm;
		}
	}
	insns[n - 1].code = BPF_JMP | BPF_EXIT;
	return (uint32_t)r0;
}

static int load(unsigned int n)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)insns;
	attr.insn_cnt = n;
	attr.license = (unsigned long)"GPL";
	return bpf(BPF_PROG_LOAD, &attr);
}

/* One test run (@repeat calls); its return value, or -1.  @dur: ns/call. */
static int64_t test_run(int fd, unsigned int repeat, uint32_t *dur)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = fd;
	attr.test.data_in = (unsigned long)pkt;
	attr.test.data_size_in = sizeof(pkt);
	attr.test.repeat = repeat;
	if (bpf(BPF_PROG_TEST_RUN, &attr))
		return -1;
	if (dur)
		*dur = attr.test.duration;
	return attr.test.retval;
}

static int jit_info(int fd, uint64_t *start, uint32_t *len)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	*start = 0;
	*len = 0;
	memset(&info, 0, sizeof(info));
	info.nr_jited_ksyms = 1;
	info.jited_ksyms = (unsigned long)start;
	info.nr_jited_func_lens = 1;
	info.jited_func_lens = (unsigned long)len;
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (unsigned long)&info;
	if (bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		return -1;
	if (!*len)
		*len = info.jited_prog_len;
	return 0;
}

static void toggle(const struct opts *o, int on)
{
	const char *v = on ? o->togval : "";
	int fd = open(o->togfile, O_WRONLY);

	if (fd < 0 || write(fd, v, strlen(v)) < 0 || write(fd, "\n", 1) < 0)
		fprintf(stderr, "bpfrun: writing %s: %s\n", o->togfile,
			strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static long run_all(struct prog *p, long count)
{
	long i, good = 0;

	for (i = 0; i < count; i++) {
		int64_t r = p[i].fd >= 0 ? test_run(p[i].fd, 1, NULL) : -1;

		if (r == (int64_t)p[i].want)
			good++;
		else if (p[i].fd >= 0)
			fprintf(stderr, "bpfrun: program %ld (%u insns): returned %lld, want %u\n",
				i, p[i].insns, (long long)r, p[i].want);
	}
	return good;
}

/* -t: median ns per call over every 16th program. */
static void time_calls(struct prog *p, long count, long repeat)
{
	uint32_t *d = calloc(count / 16 + 1, sizeof(*d)), dur;
	long i, k = 0;

	if (!d)
		return;
	for (i = 0; i < count; i += 16)
		if (test_run(p[i].fd, repeat, &dur) == (int64_t)p[i].want)
			d[k++] = dur;
	if (k) {
		qsort(d, k, sizeof(*d), cmp_u32);
		printf("run_ns_per_call %u\n", d[k / 2]);
		printf("run_ns_per_call_samples %ld\n", k);
	}
	free(d);
}

/* -x: the hot-set pattern (see the header), measured between two markers */
static void run_hot_set(const struct opts *o, struct prog *p, uint64_t *s)
{
	long r, i, j, calls = 0, good = 0;
	int ok;

	for (r = 0; r <= o->hot_rounds; r++) {
		if (r == 1)
			TLBMARK(TLBMARK_RESET, 0, 0, 0);
		for (i = 0; i < o->hot + o->hot / 4; i++) {
			j = i < o->hot ? i * o->count / o->hot : (long)(rnd(s) % o->count);
			ok = p[j].fd >= 0 &&
			     test_run(p[j].fd, 1, NULL) == (int64_t)p[j].want;
			if (r) {	/* round 0 (warm-up) is not counted */
				good += ok;
				calls++;
			}
		}
	}
	TLBMARK(TLBMARK_END, 0, 0, 0);
	printf("hot_calls %ld\nhot_ok %ld\n", calls, good);
}

/* SIGUSR1 is blocked from the start (main): wait for it here. */
static void hold(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	printf("holding\n");
	fflush(stdout);
	while (sigwait(&set, &sig) || sig != SIGUSR1)
		;
}

/* Load all programs, checking each on its first run. */
static long load_all(const struct opts *o, struct prog *p, uint64_t *s,
		     FILE *lat, long *run1, uint64_t *ninsns)
{
	long i, loaded = 0;
	int on = 0;

	for (i = 0; i < o->count; i++) {
		uint64_t t0;

		if (o->togfile && i % o->batch == 0) {
			on = !on;
			toggle(o, on);
		}
		/* toggling: an "off" batch repeats the sizes of the "on"
		 * batch before it (matched pairs for the latency ratio)
		 */
		if (o->togfile && !on && i >= o->batch)
			p[i].insns = p[i - o->batch].insns;
		else
			p[i].insns = pick_size(o, s);
		p[i].want = gen(i, p[i].insns, o->seed);
		t0 = now_ns();
		p[i].fd = load(p[i].insns);
		t0 = now_ns() - t0;
		if (p[i].fd < 0) {
			fprintf(stderr, "bpfrun: program %ld (%u insns): %s\n",
				i, p[i].insns, strerror(errno));
			continue;
		}
		if (lat)
			fprintf(lat, "%s %u %llu\n",
				!o->togfile ? "-" : on ? "on" : "off",
				p[i].insns, (unsigned long long)t0);
		loaded++;
		*ninsns += p[i].insns;
		if (test_run(p[i].fd, 1, NULL) == (int64_t)p[i].want)
			(*run1)++;
	}
	if (o->togfile)
		toggle(o, 0);
	return loaded;
}

static void dump_jit(const struct opts *o, struct prog *p, uint64_t *bytes)
{
	FILE *f = o->ksymfile ? fopen(o->ksymfile, "w") : NULL;
	uint64_t start;
	uint32_t len;
	long i;

	for (i = 0; i < o->count; i++) {
		if (p[i].fd < 0 || jit_info(p[i].fd, &start, &len))
			continue;
		*bytes += len;
		if (f)
			fprintf(f, "%016llx %u %u\n", (unsigned long long)start,
				len, p[i].insns);
	}
	if (f)
		fclose(f);
}

/* Close in a random order (Fisher-Yates over the indices). */
static long close_all(struct prog *p, long count, uint64_t *s)
{
	long *ord = malloc(count * sizeof(*ord)), i, j, t, closed = 0;

	for (i = 0; ord && i < count; i++)
		ord[i] = i;
	for (i = count - 1; ord && i > 0; i--) {
		j = rnd(s) % (i + 1);
		t = ord[i];
		ord[i] = ord[j];
		ord[j] = t;
	}
	for (i = 0; i < count; i++) {
		j = ord ? ord[i] : i;
		if (p[j].fd >= 0 && !close(p[j].fd))
			closed++;
		p[j].fd = -1;
	}
	free(ord);
	return closed;
}

static int round_once(const struct opts *o, struct prog *p, uint64_t *s, FILE *lat)
{
	long loaded, run1 = 0, run2, closed;
	uint64_t ninsns = 0, bytes = 0;

	loaded = load_all(o, p, s, lat, &run1, &ninsns);
	printf("loaded %ld\nrun1_ok %ld\n", loaded, run1);
	run2 = run_all(p, o->count);
	printf("run2_ok %ld\n", run2);
	dump_jit(o, p, &bytes);
	printf("insns_total %llu\njited_bytes %llu\n",
	       (unsigned long long)ninsns, (unsigned long long)bytes);
	if (o->repeat)
		time_calls(p, o->count, o->repeat);
	fflush(stdout);
	if (o->hold)
		hold();
	if (o->hot)
		run_hot_set(o, p, s);
	closed = close_all(p, o->count, s);
	printf("closed %ld\n", closed);
	fflush(stdout);
	return loaded == o->count && run1 == o->count && run2 == o->count &&
	       closed == o->count;
}

/* One option of getopt(); 0, or -1 when it is not one of ours. */
/* -x HOT:ROUNDS */
static int parse_hot(const char *arg, struct opts *o)
{
	char *end;

	o->hot = strtol(arg, &end, 10);
	if (*end != ':')
		return -1;
	o->hot_rounds = atol(end + 1);
	return 0;
}

static int parse_opt(int c, struct opts *o)
{
	char *eq;

	switch (c) {
	case 's':
		o->min = atoi(optarg);
		break;
	case 'S':
		o->max = atoi(optarg);
		break;
	case 'r':
		o->seed = strtoull(optarg, NULL, 0);
		break;
	case 'c':
		o->cpu = atoi(optarg);
		break;
	case 'w':
		o->hold = 1;
		break;
	case 'R':
		o->rounds = atol(optarg);
		break;
	case 'l':
		o->latfile = optarg;
		break;
	case 'b':
		o->batch = atol(optarg);
		break;
	case 'k':
		o->ksymfile = optarg;
		break;
	case 't':
		o->repeat = atol(optarg);
		break;
	case 'x':
		return parse_hot(optarg, o);
	case 'p':
		eq = strchr(optarg, '=');
		if (!eq)
			return -1;
		*eq = 0;
		o->togfile = optarg;
		o->togval = eq + 1;
		break;
	default:
		return -1;
	}
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->min = 4;
	o->max = 2048;
	o->seed = 1;
	o->cpu = -1;
	o->rounds = 1;
	o->batch = 16;
	while ((c = getopt(argc, argv, "s:S:r:c:wR:l:p:b:k:t:x:")) != -1)
		if (parse_opt(c, o))
			return -1;
	if (optind != argc - 1)
		return -1;
	o->count = atol(argv[optind]);
	if (o->count < 1 || o->min < 2 || o->max < o->min || o->max > 1000000 ||
	    o->rounds < 1 || o->batch < 1 || o->hot < 0 || o->hot > o->count ||
	    (o->hot && o->hot_rounds < 1))
		return -1;
	return 0;
}

/* The CPU (-c), enough open files for every program, SIGUSR1 blocked. */
static void setup_process(const struct opts *o)
{
	struct rlimit rl;
	sigset_t sigs;

	if (o->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			fprintf(stderr, "bpfrun: CPU %d: %s\n", o->cpu, strerror(errno));
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)o->count + 64) {
		rl.rlim_cur = o->count + 64;
		rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			fprintf(stderr, "bpfrun: RLIMIT_NOFILE %ld: %s\n", o->count + 64,
				strerror(errno));
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
}

int main(int argc, char **argv)
{
	struct prog *p;
	struct opts o;
	uint64_t s;
	FILE *lat = NULL;
	long r;
	int good = 1;

	if (parse(argc, argv, &o)) {
		fprintf(stderr, "usage: bpfrun [-s MIN] [-S MAX] [-r SEED] [-c CPU] [-w]\n"
			"\t[-R ROUNDS] [-l LATFILE] [-p FILE=VALUE] [-b BATCH]\n"
			"\t[-k JITFILE] [-t REPEAT] [-x HOT:ROUNDS] COUNT\n");
		return 2;
	}
	setup_process(&o);
	p = calloc(o.count, sizeof(*p));
	insns = calloc(o.max, sizeof(*insns));
	if (!p || !insns)
		return 1;
	if (o.latfile) {
		lat = fopen(o.latfile, "w");
		if (!lat) {
			perror(o.latfile);
			return 1;
		}
	}
	memset(pkt, 0x5a, sizeof(pkt));
	s = o.seed;
	printf("count %ld\ninsns_range %u %u\nseed %llu\n", o.count, o.min, o.max,
	       (unsigned long long)o.seed);
	for (r = 0; r < o.rounds; r++) {
		if (o.rounds > 1)
			printf("round %ld\n", r);
		if (!round_once(&o, p, &s, lat))
			good = 0;
	}
	if (lat)
		fclose(lat);
	printf("result %s\n", good ? "ok" : "fail");
	return good ? 0 : 1;
}
