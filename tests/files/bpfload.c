// SPDX-License-Identifier: GPL-2.0
/*
 * bpfload - load COUNT socket-filter programs of INSNS instructions each
 * with bpf(2) and keep them until killed (the census guest test: BPF JIT
 * memory that splits the direct map).  Prints "loaded N" when done, and the
 * JIT size of one program.  Static: runs in the busybox guest as is.
 *
 *   bpfload COUNT INSNS
 */
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* "jited_prog_len N" of the program @fd, when the kernel tells it */
static void print_jited_len(int fd)
{
	struct bpf_prog_info info;
	union bpf_attr attr;

	memset(&info, 0, sizeof(info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(info);
	attr.info.info = (unsigned long)&info;
	if (!bpf(BPF_OBJ_GET_INFO_BY_FD, &attr))
		printf("jited_prog_len %u\n", info.jited_prog_len);
}

int main(int argc, char **argv)
{
	struct bpf_insn *insns;
	union bpf_attr attr;
	long count, n, i;
	int fd, loaded = 0;

	if (argc != 3 || (count = atol(argv[1])) < 1 || (n = atol(argv[2])) < 2) {
		fprintf(stderr, "usage: bpfload COUNT INSNS\n");
		return 2;
	}
	insns = calloc(n, sizeof(*insns));
	if (!insns)
		return 1;
	/* r0 = 0; r0 += 1 (n - 2 times); exit */
	insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
	for (i = 1; i < n - 1; i++) {
		insns[i].code = BPF_ALU64 | BPF_ADD | BPF_K;
		insns[i].imm = 1;
	}
	insns[n - 1].code = BPF_JMP | BPF_EXIT;
	for (i = 0; i < count; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
		attr.insns = (unsigned long)insns;
		attr.insn_cnt = n;
		attr.license = (unsigned long)"GPL";
		fd = bpf(BPF_PROG_LOAD, &attr);
		if (fd < 0) {
			fprintf(stderr, "bpfload: program %ld: %s\n", i,
				strerror(errno));
			break;
		}
		if (!i)
			print_jited_len(fd);
		loaded++;
	}
	printf("loaded %d\n", loaded);
	fflush(stdout);
	if (loaded < count)
		return 1;
	for (;;)
		pause();
}
