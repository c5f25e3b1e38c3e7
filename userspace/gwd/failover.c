// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Several servers that act as one (cpns-serverd on one PostgreSQL store,
 * Documentation/cpns-serverd.rst): server and server_nonsecure may be
 * given more than once, and a flow goes to the list's current server.
 * When that server fails the flow (refused, timed out, killed mid-flow),
 * the list moves on to the next one, in the order configured and round
 * again to the first, and the flow starts again there at once: a flow
 * restarts from its first step, so nothing of the failed one is kept.
 * Only once every server failed in a row does the flow wait its retry
 * delay (backoff.c). The list stays on a server as long as it answers.
 */
#include "gwd.h"

const struct cpns_peer *gwd_try_peer(struct gwd_try *t, struct gwd_servers *s)
{
	if (t->s != s) {
		/* Another list (a changing device's other WAN): a new round. */
		t->s = s;
		t->failed = 0;
	}
	t->idx = s->cur;
	return &s->peer[t->idx];
}

const struct cpns_peer *gwd_try_server(const struct gwd_try *t)
{
	return &t->s->peer[t->idx];
}

bool gwd_try_failed(struct gwd_try *t, const char *flow, const char *why)
{
	struct gwd_servers *s = t->s;

	if (!s || s->n < 2)
		return false;
	if (s->cur == t->idx) {
		s->cur = (t->idx + 1) % s->n;
		cpns_warn("%s: server %s failed (%s): failing over to %s",
			  flow, s->peer[t->idx].str, why, s->peer[s->cur].str);
	}
	if (++t->failed < s->n)
		return true;
	t->failed = 0;
	return false;
}

void gwd_try_ok(struct gwd_try *t)
{
	t->failed = 0;
}

bool gwd_end_failover(const struct gwd_end *why)
{
	if (why->kind != GWD_END_PEER_ERROR)
		return true;
	/* An answer about the request (unknown, revoked, a bad MAC) is
	 * the same from every server of a shared store.
	 */
	return why->code == CPNS_WIRE_ERR_BUSY ||
	       why->code == CPNS_WIRE_ERR_TIMEOUT ||
	       why->code == CPNS_WIRE_ERR_INTERNAL;
}
