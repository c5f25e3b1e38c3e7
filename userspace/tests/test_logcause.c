// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A few lines per cause (lib/daemon/log.c, cpns_log_cause()): the first
 * burst lines of a cause in CPNS_LOG_REPEAT_MS are written, the rest are
 * counted, causes are apart from each other. (The interval's end is not
 * waited for here: it is a minute.)
 */
#include <stdio.h>

#include "daemon.h"
#include "tap.h"

int main(void)
{
	unsigned long long dropped = 99;
	char cause[32];
	int i, n;

	tap_ok(cpns_log_cause("flood", 1, &dropped) && dropped == 0,
	       "the first line of a cause is written, none dropped before");
	for (i = n = 0; i < 1000; i++)
		n += cpns_log_cause("flood", 1, NULL);
	tap_ok(n == 0, "1,000 more of it within the interval: none written");
	tap_ok(cpns_log_cause("other", 1, &dropped) && dropped == 0,
	       "another cause is written");

	for (i = n = 0; i < 100; i++)
		n += cpns_log_cause("refusal", 5, &dropped);
	tap_ok(n == 5, "burst 5: 5 of 100 written (%d)", n);

	/* More causes than the table holds: each still written at first. */
	for (i = n = 0; i < 4 * CPNS_LOG_CAUSES; i++) {
		snprintf(cause, sizeof(cause), "cause %d", i);
		n += cpns_log_cause(cause, 1, NULL);
	}
	tap_ok(n == 4 * CPNS_LOG_CAUSES,
	       "%d distinct causes: each written once (%d)",
	       4 * CPNS_LOG_CAUSES, n);
	return tap_done();
}
