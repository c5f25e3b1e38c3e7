// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket (configuration key "control"): a unix stream socket,
 * mode 0600, on which "cpnsctl pair" asks the daemon about the II-9
 * transfers that wait for a confirmation and gives the operator's answer,
 * "cpnsctl seed rotate" asks GW1 for flow I now (a seed rotation) and
 * "cpnsctl device reassign" GW2 for a new Device ID replacing its own
 * (Documentation/cpns-gwd.rst, "CONTROL SOCKET").
 *
 * One request per connection: one line of at most GWD_CTL_LINE_MAX bytes,
 *
 *   list | confirm ID CODE | reject ID | rotate | reassign
 *
 * answered by zero or more "pair" lines (tab-separated fields, see
 * gwd_ctl_pair()) and a last line "ok[ TEXT]" or "error TEXT", after which
 * the daemon closes. The socket and its framing are lib/daemon/ctlsock.h's.
 */
#include <errno.h>
#include <string.h>

#include "gwd.h"

static int parse_id(const char *s, uint32_t *id)
{
	unsigned long v;

	if (gwd_parse_ulong(s, UINT32_MAX, &v) || !v)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

static void request(void *arg, char *line, struct cpns_ctl_reply *r)
{
	struct gwd *g = arg;
	char *w[4];
	uint32_t id = 0;
	int n;

	n = cpns_ctl_split(line, w, 3);
	if (n == 1 && !strcmp(w[0], "list")) {
		g->ops->ctl_list(g, r);
		cpns_ctl_printf(r, "ok\n");
	} else if (n >= 1 && (!strcmp(w[0], "confirm") ||
			      !strcmp(w[0], "reject"))) {
		bool confirm = w[0][0] == 'c';

		if (n != (confirm ? 3 : 2) || parse_id(w[1], &id))
			cpns_ctl_printf(r, "error usage: %s\n", confirm ?
					"confirm ID CODE" : "reject ID");
		else if (!g->ops->ctl_decide)
			cpns_ctl_printf(r, "error this is GW2: confirm or reject the transfer on GW1, with the code shown here\n");
		else
			g->ops->ctl_decide(g, id, confirm ? w[2] : NULL, r);
	} else if (n == 1 && !strcmp(w[0], "rotate")) {
		if (!g->ops->ctl_rotate)
			cpns_ctl_printf(r, "error this is GW2: a Key Seed is GW1's (rotate it there)\n");
		else
			g->ops->ctl_rotate(g, r);
	} else if (n == 1 && !strcmp(w[0], "reassign")) {
		if (!g->ops->ctl_reassign)
			cpns_ctl_printf(r, "error this is GW1: ask on the GW2 whose Device ID is to be replaced\n");
		else
			g->ops->ctl_reassign(g, r);
	} else {
		cpns_ctl_printf(r, "error unknown request: list, confirm ID CODE, reject ID, rotate or reassign\n");
	}
}

/**
 * gwd_control_start() - listen on the control socket, if configured
 * @g: the daemon
 *
 * A stale socket file at the path (a daemon that did not stop cleanly) is
 * replaced; any other kind of file there is an error.
 *
 * Return: 0 or a negative errno (logged).
 */
int gwd_control_start(struct gwd *g)
{
	const char *path = g->conf.control;
	int e;

	if (!path)
		return 0;
	e = cpns_ctl_start(g->loop, path, GWD_CTL_LINE_MAX, request, g,
			   &g->ctl);
	if (e)
		return e;
	cpns_notice("control socket %s (cpnsctl pair --control %s)", path,
		    path);
	return 0;
}

void gwd_control_stop(struct gwd *g)
{
	cpns_ctl_stop(g->ctl);
	g->ctl = NULL;
}
