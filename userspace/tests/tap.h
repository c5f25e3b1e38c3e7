/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* A minimal TAP producer for the host unit tests. */
#ifndef CPNS_TAP_H
#define CPNS_TAP_H

#include <stdbool.h>

/* Report one test; returns ok. */
bool tap_ok(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A skipped test (counts as passed). */
void tap_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A diagnostic line ("# ..."). */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan; return the exit status (1 if any test failed). */
int tap_done(void);

#endif /* CPNS_TAP_H */
