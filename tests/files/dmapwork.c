// SPDX-License-Identifier: GPL-2.0
/*
 * dmapwork - make the kernel touch a lot of data through its direct map,
 * for the TLB model (scripts/demo-tlb.sh -w dmap, docs/dmap.md "The
 * experiment").  Static: runs in the busybox guest as is.
 *
 *   dmapwork [-f FILE_MIB] [-r READS] [-n FILES] [-t TCP_MIB] [-u UNIX_MIB]
 *            [-p PASSES] [-s SEED] [-d DIR [-M]]
 *
 * Setup (in the window, before the warm-up): mounts a tmpfs on DIR
 * (default /tmp/dm; one already there is used as it is; -M: none, DIR as
 * it is), writes a file of
 * FILE_MIB MiB (default 64) there, brings the loopback interface up
 * (SIOCSIFFLAGS) and connects a TCP pair over 127.0.0.1 and a UNIX
 * socketpair.  Then PASSES + 1 passes (default PASSES 1); pass 0 warms the
 * TLBs up, then a TLBMARK_RESET marker zeroes the plugin's counts, and a
 * TLBMARK_END after the last pass closes the window (NOPs without the
 * plugin).  Each pass runs three kernel data paths:
 *
 *  page cache  READS (default 4000) pread()s of the file at offsets and
 *              lengths drawn from the seed: offset a multiple of 4 KiB,
 *              length 4 KiB to 64 KiB in 4 KiB steps; every 8th is a
 *              pwrite() of 4 KiB instead (the kernel copies each through
 *              the direct map address of the page cache page)
 *  slab        FILES (default 2000) files in 16 directories: create
 *              (open O_CREAT, 64-byte write), stat, open and close again,
 *              then all unlinked (dentries, inodes, struct files, their
 *              slab pages)
 *  network     TCP_MIB MiB (default 32) over the loopback TCP pair and
 *              UNIX_MIB MiB (default 8) over the UNIX socketpair, in
 *              64 KiB send()s, the receiver draining after each send (both
 *              ends non-blocking, one process: no scheduling between
 *              sender and receiver; skbs and their data pages)
 *
 * What is read back is checked (spot checks: each 4 KiB page's number and
 * generation, every 4096th byte of the streams and the last of each recv).
 * Output: "KEY VALUE" pairs on one line, "result ok passes P preads N
 * pread_bytes B pwrites N files F tcp_bytes T unix_bytes U" (the measured
 * passes' counts), or "result fail WHAT: ERROR" and exit 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tlb/tlbmark.h"

#define CHUNK	(64 << 10)
#define NDIRS	16

struct opts {
	unsigned long file_mib, reads, files, tcp_mib, unix_mib, passes;
	uint64_t seed;
	const char *dir;
	int nomount;
};

struct counts {
	unsigned long preads, pwrites, files;
	unsigned long long pread_bytes, tcp_bytes, unix_bytes;
};

static uint64_t rng;
static unsigned char buf[CHUNK], rbuf[CHUNK];

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void bail(const char *what)
{
	printf("result fail %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * Each 4 KiB page of the file: its page number (8 bytes), then the
 * generation it was last written with in every other byte; reads check
 * the number, and the generation at both ends (cheap: the user side stays
 * a small part of the window).
 */
static void fill_page(unsigned char *p, unsigned long long pgno,
		      unsigned char gen)
{
	memset(p, gen, 4096);
	memcpy(p, &pgno, sizeof(pgno));
}

/* The generation each 4 KiB page of the file was last written with. */
static unsigned char *page_gen;

static int make_file(const struct opts *o)
{
	unsigned long long size = (unsigned long long)o->file_mib << 20, off;
	char path[256];
	size_t i;
	int fd;

	if (mkdir(o->dir, 0755) && errno != EEXIST)
		bail("mkdir DIR");
	if (!o->nomount && mount("none", o->dir, "tmpfs", 0, "size=512m") &&
	    errno != EBUSY)
		bail("mount tmpfs");
	snprintf(path, sizeof(path), "%s/data", o->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		bail("open data file");
	for (off = 0; off < size; off += CHUNK) {
		for (i = 0; i < CHUNK; i += 4096)
			fill_page(buf + i, (off + i) >> 12, 0);
		if (pwrite(fd, buf, CHUNK, off) != CHUNK)
			bail("write data file");
	}
	page_gen = calloc(size >> 12, 1);
	if (!page_gen)
		bail("calloc");
	return fd;
}

static int check_read(unsigned long long off, size_t len)
{
	unsigned long long pgno;
	unsigned char gen;
	size_t i;

	for (i = 0; i < len; i += 4096) {
		gen = page_gen[(off + i) >> 12];
		memcpy(&pgno, rbuf + i, sizeof(pgno));
		if (pgno != (off + i) >> 12 || rbuf[i + 8] != gen ||
		    rbuf[i + 4095] != gen)
			return -1;
	}
	return 0;
}

static void page_cache(int fd, const struct opts *o, struct counts *c)
{
	unsigned long long pages = (unsigned long long)o->file_mib << 8, off;
	unsigned long i;
	size_t len;

	for (i = 0; i < o->reads; i++) {
		len = (1 + next_rand() % 16) << 12;
		off = (next_rand() % (pages - len / 4096 + 1)) << 12;
		if (i % 8 == 7) {
			page_gen[off >> 12]++;
			fill_page(buf, off >> 12, page_gen[off >> 12]);
			if (pwrite(fd, buf, 4096, off) != 4096)
				bail("pwrite");
			c->pwrites++;
			continue;
		}
		if (pread(fd, rbuf, len, off) != (ssize_t)len)
			bail("pread");
		if (check_read(off, len)) {
			errno = EIO;
			bail("pread returned wrong data");
		}
		c->preads++;
		c->pread_bytes += len;
	}
}

static void slab(const struct opts *o, struct counts *c)
{
	char path[256];
	struct stat st;
	unsigned long i;
	int fd;

	for (i = 0; i < NDIRS; i++) {
		snprintf(path, sizeof(path), "%s/d%lu", o->dir, i);
		if (mkdir(path, 0755) && errno != EEXIST)
			bail("mkdir");
	}
	for (i = 0; i < o->files; i++) {
		snprintf(path, sizeof(path), "%s/d%lu/f%lu", o->dir, i % NDIRS, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, buf, 64) != 64 || close(fd))
			bail("create file");
		if (stat(path, &st) || st.st_size != 64)
			bail("stat");
		fd = open(path, O_RDONLY);
		if (fd < 0 || close(fd))
			bail("open file");
		c->files++;
	}
	for (i = 0; i < o->files; i++) {
		snprintf(path, sizeof(path), "%s/d%lu/f%lu", o->dir, i % NDIRS, i);
		if (unlink(path))
			bail("unlink");
	}
}

static void lo_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		bail("socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		bail("SIOCGIFFLAGS lo");
	if (ifr.ifr_flags & IFF_UP) {
		close(s);
		return;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr))
		bail("SIOCSIFFLAGS lo");
	close(s);
}

/* A connected loopback TCP pair, both ends non-blocking. */
static void tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &al))
		bail("listen on 127.0.0.1");
	sv[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&a, sizeof(a)))
		bail("connect 127.0.0.1");
	sv[1] = accept(l, NULL, NULL);
	if (sv[1] < 0)
		bail("accept");
	close(l);
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) || fcntl(sv[1], F_SETFL, O_NONBLOCK))
		bail("O_NONBLOCK");
}

/*
 * Stream byte x is (x * 7) mod 256: the sender sends from sbuf + x mod 256
 * (one buffer, period 256); the receiver checks every 4096th byte and the
 * last of each recv().
 */
static unsigned char sbuf[CHUNK + 256];

static int check_stream(const unsigned char *p, size_t n,
			unsigned long long got)
{
	size_t i;

	for (i = 0; i < n; i += 4096)
		if (p[i] != (unsigned char)((got + i) * 7))
			return -1;
	return p[n - 1] != (unsigned char)((got + n - 1) * 7);
}

/* Receive what is queued on @fd, checking it continues the stream. */
static unsigned long long drain(int fd, unsigned long long got)
{
	ssize_t n;

	for (;;) {
		n = recv(fd, rbuf, CHUNK, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return got;
		if (n <= 0)
			bail("recv");
		if (check_stream(rbuf, n, got)) {
			errno = EIO;
			bail("recv returned wrong data");
		}
		got += n;
	}
}

/* Send @mib MiB from sv[0] to sv[1]; the bytes received. */
static unsigned long long stream(const int sv[2], unsigned long mib)
{
	unsigned long long total = (unsigned long long)mib << 20, sent = 0,
			   got = 0;
	size_t len;
	ssize_t n;

	while (got < total) {
		len = total - sent < CHUNK ? total - sent : CHUNK;
		n = len ? send(sv[0], sbuf + (sent & 255), len, MSG_DONTWAIT) : 0;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			bail("send");
		if (n > 0)
			sent += n;
		got = drain(sv[1], got);
	}
	return got;
}

static void print_usage(void)
{
	fprintf(stderr, "usage: dmapwork [-f FILE_MIB] [-r READS] [-n FILES] [-t TCP_MIB]\n"
		"                [-u UNIX_MIB] [-p PASSES] [-s SEED] [-d DIR [-M]]\n");
	exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ 64, 4000, 2000, 32, 8, 1, 1, "/tmp/dm", 0 };
	while ((c = getopt(argc, argv, "f:r:n:t:u:p:s:d:M")) != -1) {
		switch (c) {
		case 'f':
			o->file_mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->reads = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o->files = strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->tcp_mib = strtoul(optarg, NULL, 0);
			break;
		case 'u':
			o->unix_mib = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			o->passes = strtoul(optarg, NULL, 0);
			break;
		case 's':
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'M':
			o->nomount = 1;
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc || !o->file_mib || !o->passes || !o->seed)
		print_usage();
}

int main(int argc, char **argv)
{
	struct counts c = { 0 };
	struct opts o;
	int fd, tcp[2], ux[2];
	unsigned long p;

	parse(argc, argv, &o);
	rng = o.seed;
	for (p = 0; p < sizeof(sbuf); p++)
		sbuf[p] = (unsigned char)(p * 7);
	fd = make_file(&o);
	lo_up();
	tcp_pair(tcp);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ux))
		bail("socketpair");
	for (p = 0; p <= o.passes; p++) {
		if (p == 1) {
			memset(&c, 0, sizeof(c));
			TLBMARK(TLBMARK_RESET, 0, 0, 0);
		}
		page_cache(fd, &o, &c);
		slab(&o, &c);
		c.tcp_bytes += stream(tcp, o.tcp_mib);
		c.unix_bytes += stream(ux, o.unix_mib);
	}
	TLBMARK(TLBMARK_END, 0, 0, 0);
	printf("result ok passes %lu preads %lu pread_bytes %llu pwrites %lu ",
	       o.passes, c.preads, c.pread_bytes, c.pwrites);
	printf("files %lu tcp_bytes %llu unix_bytes %llu\n", c.files, c.tcp_bytes,
	       c.unix_bytes);
	return 0;
}
