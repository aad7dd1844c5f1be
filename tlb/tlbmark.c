// SPDX-License-Identifier: GPL-2.0
/*
 * tlbmark: execute one TLB-plugin marker (tlbmark.h) from a shell.
 *
 *   tlbmark begin [LABEL]         start a measured window (LABEL: number)
 *   tlbmark end                   end it: the plugin writes its counts
 *   tlbmark reset                 zero the window's counts, keep the TLBs
 *   tlbmark range NAME START END  attribute [START, END) to class NAME
 *                                 (hex or decimal; NAME: up to 8 chars)
 *
 * Static, for the busybox guest.  Without the plugin it does nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlbmark.h"

static int usage(void)
{
	fprintf(stderr, "tlbmark begin [LABEL] | end | reset | range NAME START END\n");
	return 2;
}

static int range(int argc, char **argv)
{
	uint64_t name = 0, start, end;

	if (argc != 5 || strlen(argv[2]) > 8)
		return usage();
	memcpy(&name, argv[2], strlen(argv[2]));
	start = strtoull(argv[3], NULL, 0);
	end = strtoull(argv[4], NULL, 0);
	TLBMARK(TLBMARK_RANGE, name, start, end);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t label;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "begin")) {
		label = argc > 2 ? strtoull(argv[2], NULL, 0) : 0;
		TLBMARK(TLBMARK_BEGIN, label, 0, 0);
	} else if (!strcmp(argv[1], "end")) {
		TLBMARK(TLBMARK_END, 0, 0, 0);
	} else if (!strcmp(argv[1], "reset")) {
		TLBMARK(TLBMARK_RESET, 0, 0, 0);
	} else if (!strcmp(argv[1], "range")) {
		return range(argc, argv);
	} else {
		return usage();
	}
	return 0;
}
