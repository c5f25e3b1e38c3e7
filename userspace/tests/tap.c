// SPDX-License-Identifier: GPL-2.0 OR MIT
/* TAP output: "ok N - name" / "not ok N - name", plan at the end. */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static int count, failed;

bool tap_ok(bool ok, const char *fmt, ...)
{
	va_list ap;

	count++;
	if (!ok)
		failed++;
	printf("%sok %d - ", ok ? "" : "not ", count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return ok;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	count++;
	printf("ok %d - ", count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n", count);
	if (failed)
		printf("# %d of %d tests failed\n", failed, count);
	return failed ? 1 : 0;
}
