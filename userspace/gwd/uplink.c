// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * GW1's idle links to its servers, kept between assignments. A server
 * connection that has served flow II is in state LINK and takes any number
 * of further assignments (Documentation/protocol.rst 9.1), so GW1 need not
 * pay a TCP connect and close for each one: once II-7 is in, the
 * assignment gives its link back (gwd_uplink_put()) and the next
 * assignment to that server takes it (gwd_uplink_take()).
 *
 * At most conf.server_links links are kept idle (0: none, a connection per
 * assignment); one unused for conf.server_idle_ms closes, as does one the
 * server closes or writes to: a server sends nothing unasked on a link.
 * A kept link may still end at the moment it is taken (the server's own
 * idle_timeout, a restart): secure.c then starts the assignment again on a
 * new connection.
 */
#include <stdlib.h>

#include "gwd.h"

struct uplink {
	struct gwd_uplinks *u;
	struct gwd_link *l;
	const struct cpns_peer *server;
	struct uplink *prev, *next;
};

static void uplink_unlink(struct uplink *k)
{
	struct gwd_uplinks *u = k->u;

	if (k->prev)
		k->prev->next = k->next;
	else
		u->idle = k->next;
	if (k->next)
		k->next->prev = k->prev;
	u->n--;
	free(k);
}

/* The server wrote to an idle link: nothing is expected, so end it. */
static void uplink_msg(struct gwd_link *l, void *owner,
		       const struct cpns_wire_msg *m)
{
	struct uplink *k = owner;

	cpns_warn("server %s sent %s on an idle link: sent ERROR 4 (unexpected) and closed it",
		  k->server->str, cpns_wire_type_name(m->type));
	gwd_link_fail(l, CPNS_WIRE_ERR_UNEXPECTED, m->type,
		      "%s is unexpected on an idle link",
		      cpns_wire_type_name(m->type));
	uplink_unlink(k);
}

static void uplink_end(struct gwd_link *l, void *owner,
		       const struct gwd_end *why)
{
	struct uplink *k = owner;
	char buf[CPNS_WIRE_ERRMSG_MAX + 64];

	(void)l;
	if (why->kind == GWD_END_TIMEOUT && why->deadline == CPNS_DL_IDLE)
		cpns_info("closed the idle link to the server %s: unused for %u s (server_idle_timeout)",
			  k->server->str, k->u->idle_ms / 1000);
	else
		cpns_info("the idle link to the server %s ended: %s",
			  k->server->str, gwd_end_str(why, buf, sizeof(buf)));
	uplink_unlink(k);
}

static const struct gwd_link_ops uplink_ops = {
	.msg = uplink_msg,
	.end = uplink_end,
};

void gwd_uplinks_init(struct gwd_uplinks *u, unsigned int max,
		      unsigned int idle_ms)
{
	u->idle = NULL;
	u->n = 0;
	u->max = max;
	u->idle_ms = idle_ms;
}

/**
 * gwd_uplink_take() - an idle link to a server, for a new assignment
 * @u: the kept links
 * @server: the server wanted (an element of the configured list)
 * @ops: the taker's callbacks
 * @owner: passed to them
 *
 * The most recently kept link to @server, the likeliest still open.
 *
 * Return: the link, now @owner's and without a deadline, or NULL if none.
 */
struct gwd_link *gwd_uplink_take(struct gwd_uplinks *u,
				 const struct cpns_peer *server,
				 const struct gwd_link_ops *ops, void *owner)
{
	struct gwd_link *l;
	struct uplink *k;

	for (k = u->idle; k; k = k->next)
		if (k->server == server)
			break;
	if (!k)
		return NULL;
	l = k->l;
	uplink_unlink(k);
	gwd_link_rebind(l, ops, owner);
	return l;
}

/**
 * gwd_uplink_put() - keep a link between assignments, or close it
 * @u: the kept links
 * @l: a link to @server whose last flow has ended with its answer in
 * @server: the server it connects to (an element of the configured list)
 *
 * @l is the callee's from now on: kept idle if fewer than the maximum
 * are, else closed.
 */
void gwd_uplink_put(struct gwd_uplinks *u, struct gwd_link *l,
		    const struct cpns_peer *server)
{
	struct uplink *k = NULL;

	if (u->n < u->max)
		k = calloc(1, sizeof(*k));
	if (!k) {
		gwd_link_close(l);
		return;
	}
	k->u = u;
	k->l = l;
	k->server = server;
	k->next = u->idle;
	if (u->idle)
		u->idle->prev = k;
	u->idle = k;
	u->n++;
	gwd_link_rebind(l, &uplink_ops, k);
	gwd_link_deadline(l, CPNS_DL_IDLE, u->idle_ms);
}

/* Close every idle link (the role stops, the network changed). */
void gwd_uplinks_close(struct gwd_uplinks *u)
{
	while (u->idle) {
		gwd_link_close(u->idle->l);
		uplink_unlink(u->idle);
	}
}
