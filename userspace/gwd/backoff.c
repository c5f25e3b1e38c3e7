// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Retry delays: exponential from min to max, with "equal jitter" (half the
 * delay fixed, half random) so that many gateways that lost the same
 * server do not come back in step, yet none retries sooner than min or
 * later than max.
 */
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "gwd.h"

/* Jitter needs no secrecy, only gateways that differ: random(3), seeded
 * once from the kernel.
 */
static void jitter_seed(void)
{
	static bool seeded;
	unsigned int s;

	if (seeded)
		return;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != sizeof(s))
		s = (unsigned int)cpns_now_ms() ^ (unsigned int)getpid();
	srandom(s);
	seeded = true;
}

void gwd_backoff_init(struct gwd_backoff *b, unsigned int min_ms,
		      unsigned int max_ms)
{
	b->min_ms = min_ms;
	b->max_ms = max_ms < min_ms ? min_ms : max_ms;
	b->attempts = 0;
	jitter_seed();
}

unsigned int gwd_backoff_next(struct gwd_backoff *b)
{
	uint64_t d = b->min_ms;
	unsigned int i, half;

	for (i = 0; i < b->attempts && d < b->max_ms; i++)
		d *= 2;
	if (d > b->max_ms)
		d = b->max_ms;
	if (b->attempts < 64)
		b->attempts++;
	half = (unsigned int)(d / 2);
	d = half + (uint64_t)random() % (d - half + 1);
	return d < b->min_ms ? b->min_ms : (unsigned int)d;
}

void gwd_backoff_reset(struct gwd_backoff *b)
{
	b->attempts = 0;
}
