/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal KTAP output helpers for the userspace pool tests. */
#ifndef KTAP_H
#define KTAP_H

#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>

static int ktap_n, ktap_failed __attribute__((unused));
static bool ktap_cur_ok __attribute__((unused));

#define EXPECT(c) do {							\
	if (!(c)) {							\
		printf("# %s:%d: expected %s\n", __FILE__, __LINE__, #c); \
		ktap_cur_ok = false;					\
	}								\
} while (0)

static inline void ktap_header(int n)
{
	printf("KTAP version 1\n1..%d\n", n);
	fflush(stdout);
}

static inline void ktap_result(bool ok, const char *name, const char *directive)
{
	ktap_n++;
	if (!ok)
		ktap_failed++;
	printf("%sok %d - %s%s%s\n", ok ? "" : "not ", ktap_n, name,
	       directive ? " # " : "", directive ? directive : "");
	fflush(stdout);
}

/* One test case: a function that sets ktap_cur_ok false on a failure. */
struct ktap_case {
	void (*fn)(void);
	const char *name;
};

/* Run @n cases as one KTAP document; the process's exit status. */
static inline int ktap_run(const struct ktap_case *tests, size_t n)
{
	size_t i;

	ktap_header((int)n);
	for (i = 0; i < n; i++) {
		ktap_cur_ok = true;
		tests[i].fn();
		ktap_result(ktap_cur_ok, tests[i].name, NULL);
	}
	return ktap_failed ? 1 : 0;
}

#endif
