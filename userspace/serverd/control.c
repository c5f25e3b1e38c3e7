// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket (configuration key "control"): a unix stream socket,
 * mode 0600, through which "cpnsctl server" asks the daemon about itself,
 * its inventory and its sessions, and revokes a device
 * (Documentation/cpns-serverd.rst, "CONTROL SOCKET"). The socket and its
 * framing are lib/daemon/ctlsock.h's, cpns-gwd's too: one request line of
 * at most CTL_LINE_MAX bytes,
 *
 *   status | devices [seed SID] [gw1 NAME] [state S] [limit N] [after DID]
 *   | device DID | revoke DID | sessions
 *
 * answered by zero or more lines of tab-separated fields and a last line
 * "ok" or "error TEXT".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlsock.h"
#include "hex.h"
#include "serverd.h"

#define CTL_LINE_MAX		256
#define CTL_PAGE_DEFAULT	100
#define CTL_PAGE_MAX		1000

struct server_ctl {
	struct server *srv;
	struct cpns_ctl *sock;
	time_t started;
};

/* ------------------------------------------------------------ requests */

static const char *hexs(char *buf, const uint8_t *p, size_t len)
{
	cpns_hex_encode(buf, p, len);
	return buf;
}

/*
 * One "device" line: device_id, seed_id, generation, state (active,
 * unconfirmed, revoked, or expired), key (rekeyed: a device record of its
 * own; derived: from its seed; none: revoked without one), gw1, gw1_addr,
 * assigned, last_auth, last_addr, expiry. Times in seconds since the
 * epoch, 0 for never or none; an empty text field is "-".
 */
static int device_line(const struct cpns_store_device *d, void *arg)
{
	struct cpns_ctl_reply *r = arg;
	char did[2 * CPNS_DEVICE_ID_LEN + 1], sid[2 * CPNS_SEED_ID_LEN + 1];
	bool expired = d->expiry && d->expiry <= (uint64_t)time(NULL);

	cpns_ctl_printf(r, "device\t%s\t%s\t%u\t%s\t%s\t%s\t%s\t%lld\t%lld\t%s\t%llu\n",
	    hexs(did, d->did, sizeof(d->did)),
	    hexs(sid, d->sid, sizeof(d->sid)), d->generation,
	    expired && d->state != CPNS_STATE_REVOKED ? "expired" :
	    cpns_store_state_name(d->state),
	    d->blob_len ? "rekeyed" :
	    d->state == CPNS_STATE_REVOKED ? "none" : "derived",
	    d->gw1[0] ? d->gw1 : "-", d->gw1_addr[0] ? d->gw1_addr : "-",
	    (long long)d->assigned, (long long)d->last_auth,
	    d->last_addr[0] ? d->last_addr : "-",
	    (unsigned long long)d->expiry);
	return r->failed ? -ENOMEM : 0;
}

static bool parse_hex(const char *s, uint8_t *out, size_t len)
{
	return strlen(s) == 2 * len && !cpns_hex_decode(out, len, s);
}

static void req_status(struct server_ctl *ctl, struct cpns_ctl_reply *r)
{
	struct server *srv = ctl->srv;
	struct cpns_store_counts c;

	cpns_ctl_printf(r, "version\t%s\n", SERVERD_VERSION);
	cpns_ctl_printf(r, "uptime\t%lld\n", (long long)(time(NULL) - ctl->started));
	cpns_ctl_printf(r, "connections\t%u\n", srv->nconns);
	cpns_ctl_printf(r, "pending\t%u\n", srv->pending);
	cpns_ctl_printf(r, "accepted\t%llu\n", (unsigned long long)srv->accepted);
	cpns_ctl_printf(r, "refused_busy\t%llu\n",
	    (unsigned long long)srv->refused_busy);
	if (!srv->store) {
		cpns_ctl_printf(r, "store\tnone\n");
		return;
	}
	cpns_ctl_printf(r, "store\t%s\n", cpns_store_path(srv->store));
	cpns_ctl_printf(r, "backend\t%s\n", cpns_store_backend(srv->store));
	if (cpns_store_count(srv->store, &c)) {
		cpns_ctl_printf(r, "error the store: %s\n", cpns_store_error(srv->store));
		return;
	}
	cpns_ctl_printf(r, "seeds\t%u\n", c.seeds);
	cpns_ctl_printf(r, "seeds_revoked\t%u\n", c.seeds_revoked);
	cpns_ctl_printf(r, "devices\t%u\n", c.inventory);
	cpns_ctl_printf(r, "devices_revoked\t%u\n", c.devices_revoked);
	cpns_ctl_printf(r, "device_records\t%u\n", c.devices);
	cpns_ctl_printf(r, "swept\t%llu\n", (unsigned long long)srv->swept);
	cpns_ctl_printf(r, "ok\n");
}

static void req_devices(struct server *srv, char **w, int n,
			struct cpns_ctl_reply *r)
{
	uint8_t sid[CPNS_SEED_ID_LEN], after[CPNS_DEVICE_ID_LEN];
	struct cpns_store_filter f = { .now = time(NULL),
				       .limit = CTL_PAGE_DEFAULT };
	unsigned long v;
	char *end;
	int i;

	for (i = 0; i + 1 < n; i += 2) {
		if (!strcmp(w[i], "seed") && parse_hex(w[i + 1], sid, sizeof(sid))) {
			f.sid = sid;
		} else if (!strcmp(w[i], "gw1")) {
			f.gw1 = w[i + 1];
		} else if (!strcmp(w[i], "state")) {
			f.state = !strcmp(w[i + 1], "expired") ?
				  CPNS_STORE_EXPIRED :
				  cpns_store_state_parse(w[i + 1]);
			if (!f.state)
				break;
		} else if (!strcmp(w[i], "limit")) {
			errno = 0;
			v = strtoul(w[i + 1], &end, 10);
			if (errno || *end || !v || v > CTL_PAGE_MAX)
				break;
			f.limit = (unsigned int)v;
		} else if (!strcmp(w[i], "after") &&
			   parse_hex(w[i + 1], after, sizeof(after))) {
			f.after = after;
		} else {
			break;
		}
	}
	if (i != n) {
		cpns_ctl_printf(r, "error usage: devices [seed SID] [gw1 NAME] [state active|unconfirmed|revoked|expired] [limit 1-%d] [after DID]\n",
		    CTL_PAGE_MAX);
		return;
	}
	if (!srv->store) {
		cpns_ctl_printf(r, "error no store is configured: the server keeps no inventory\n");
		return;
	}
	if (cpns_store_device_list(srv->store, &f,
				   (cpns_store_device_fn)device_line, r)) {
		cpns_ctl_printf(r, "error the store: %s\n", cpns_store_error(srv->store));
		return;
	}
	cpns_ctl_printf(r, "ok\n");
}

static void req_device(struct server *srv, const char *arg, struct cpns_ctl_reply *r)
{
	uint8_t did[CPNS_DEVICE_ID_LEN];
	struct cpns_store_device d;
	int ret;

	if (!parse_hex(arg, did, sizeof(did))) {
		cpns_ctl_printf(r, "error usage: device DID (32 hex digits)\n");
		return;
	}
	if (!srv->store) {
		cpns_ctl_printf(r, "error no store is configured: the server keeps no inventory\n");
		return;
	}
	ret = cpns_store_device_get(srv->store, did, &d);
	if (ret == -ENOENT) {
		cpns_ctl_printf(r, "error device %s is not in the inventory\n", arg);
		return;
	}
	if (ret || device_line(&d, r)) {
		cpns_ctl_printf(r, "error the store: %s\n", cpns_store_error(srv->store));
		return;
	}
	cpns_ctl_printf(r, "ok\n");
}

static void req_revoke(struct server *srv, const char *arg, struct cpns_ctl_reply *r)
{
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint32_t sessions;
	int32_t serial;
	bool was = false;
	int ret;

	if (!parse_hex(arg, did, sizeof(did))) {
		cpns_ctl_printf(r, "error usage: revoke DID (32 hex digits)\n");
		return;
	}
	ret = keystore_device_revoke(srv, did, &was, &serial, &sessions);
	if (ret < 0) {
		cpns_ctl_printf(r, "error %s\n", cpns_store_error(srv->store));
		return;
	}
	if (ret > 0) {
		cpns_ctl_printf(r, "error the kernel refused the revocation (nothing changed): %s\n",
		    cpns_last_error(srv->nl));
		return;
	}
	cpns_ctl_printf(r, "revoked\t%s\t%s\t%d\t%u\n", arg,
	    was ? "already revoked" : "revoked", serial, sessions);
	cpns_ctl_printf(r, "ok\n");
}

/* One "session" line: conn, peer, device_id, handle, reports, state. */
static void req_sessions(struct server *srv, struct cpns_ctl_reply *r)
{
	char did[2 * CPNS_DEVICE_ID_LEN + 1];
	struct sconn *sc;

	for (sc = srv->conns; sc; sc = sc->next) {
		if (sc->state != SC_SESSION && sc->state != SC_AUTH_WAIT)
			continue;
		cpns_ctl_printf(r, "session\t%llu\t%s\t%s\t%u\t%llu\t%s\n",
		    (unsigned long long)sc->id, sc->c.peer,
		    hexs(did, sc->did, sizeof(sc->did)), sc->handle,
		    (unsigned long long)sc->reports,
		    sc->state == SC_SESSION ? "session" : "authenticating");
	}
	cpns_ctl_printf(r, "ok\n");
}

static void request(void *arg, char *line, struct cpns_ctl_reply *r)
{
	struct server_ctl *ctl = arg;
	struct server *srv = ctl->srv;
	char *w[12];
	int n;

	/* What the inventory shows includes the last authentications. */
	if (srv->store)
		keystore_seen_flush(srv);
	n = cpns_ctl_split(line, w, 11);
	if (n == 1 && !strcmp(w[0], "status"))
		req_status(ctl, r);
	else if (n >= 1 && n <= 11 && !strcmp(w[0], "devices"))
		req_devices(srv, w + 1, n - 1, r);
	else if (n == 2 && !strcmp(w[0], "device"))
		req_device(srv, w[1], r);
	else if (n == 2 && !strcmp(w[0], "revoke"))
		req_revoke(srv, w[1], r);
	else if (n == 1 && !strcmp(w[0], "sessions"))
		req_sessions(srv, r);
	else
		cpns_ctl_printf(r, "error unknown request: status, devices [FILTERS], device DID, revoke DID or sessions\n");
}

int control_start(struct server *srv, const char *path)
{
	struct server_ctl *ctl;
	int ret;

	if (!path)
		return 0;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->srv = srv;
	ctl->started = time(NULL);
	ret = cpns_ctl_start(srv->loop, path, CTL_LINE_MAX, request, ctl,
			     &ctl->sock);
	if (ret) {
		free(ctl);
		return ret;
	}
	srv->ctl = ctl;
	cpns_notice("control socket %s (cpnsctl server --control %s)", path,
		    path);
	return 0;
}

void control_stop(struct server *srv)
{
	if (!srv->ctl)
		return;
	cpns_ctl_stop(srv->ctl->sock);
	free(srv->ctl);
	srv->ctl = NULL;
}
