// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The live a-flows and sessions of devices whose record changed in the
 * shared store (Documentation/cpns-serverd.rst, "Several servers on one
 * PostgreSQL"). A revocation or a re-key committed through another server
 * (or through this one, by another connection) moves the store's device
 * change counter and logs the Device IDs it changed; when seedsync.c sees
 * the counter move, the log since the last value seen names the changed
 * devices, and only the connections of this server between a-0 and its
 * end whose device is one of those have its row read again. If the log
 * no longer holds all of them (this server fell behind its pruning, or a
 * bulk change was not logged), every such connection has its row read
 * again, once (one lookup by Device ID each: at most max_connections).
 * An a-flow or a
 * session whose device is revoked there, or a session whose row has
 * another generation than the one its flow read or wrote, or another
 * unconfirmed record of it (re-keyed elsewhere), is ended: ERROR 8
 * (expired), one line each, its a-flow or session deleted in the kernel.
 * An a-flow whose device was re-keyed elsewhere goes on: the
 * compare-and-set at a-2 refuses its record (a re-key replaces only a
 * generation 0 key or an unconfirmed record, and every flow that uses
 * one of those makes a record).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serverd.h"

/* Why sc must end, or NULL; <0 in *err if its row cannot be read. */
static const char *changed(struct sconn *sc, struct cpns_store_device *d,
			   int *err)
{
	int ret = cpns_store_device_get(sc->srv->store, sc->did, d);

	*err = 0;
	if (ret == -ENOENT)
		return NULL;	/* no record: nothing to refuse */
	if (ret) {
		cpns_err("store: device id %s, of a live %s: %s",
			 HEX(sc->did),
			 sc->state == SC_SESSION ? "session" : "a-flow",
			 cpns_store_error(sc->srv->store));
		*err = ret;
		return NULL;
	}
	if (d->state == CPNS_STATE_REVOKED)
		return "revoked in the store";
	if (sc->state != SC_SESSION)
		return NULL;
	if (d->generation != sc->rec.generation)
		return "re-keyed elsewhere";
	/* Another unconfirmed record of the generation: a re-key again
	 * (from generation 0). A confirmation, which may be of this
	 * session's key, ends nothing.
	 */
	if (sc->rec.state == CPNS_STATE_UNCONFIRMED &&
	    d->state == CPNS_STATE_UNCONFIRMED &&
	    (d->blob_len != sc->rec.blob_len ||
	     memcmp(d->blob, sc->rec.blob, d->blob_len)))
		return "re-keyed again elsewhere";
	return NULL;
}

/* The Device IDs of the log, sorted (at most DEVSYNC_LOG_MAX). */
#define DEVSYNC_LOG_MAX	4096

struct dids {
	uint8_t (*v)[CPNS_DEVICE_ID_LEN];
	size_t n, cap;
};

static int did_note(const uint8_t did[CPNS_DEVICE_ID_LEN], void *arg)
{
	struct dids *d = arg;
	void *p;

	if (d->n == d->cap) {
		if (d->cap >= DEVSYNC_LOG_MAX)
			return -ERANGE;		/* too many: read all */
		d->cap = d->cap ? 2 * d->cap : 16;
		p = realloc(d->v, d->cap * sizeof(*d->v));
		if (!p)
			return -ENOMEM;
		d->v = p;
	}
	memcpy(d->v[d->n++], did, CPNS_DEVICE_ID_LEN);
	return 0;
}

static int did_cmp(const void *a, const void *b)
{
	return memcmp(a, b, CPNS_DEVICE_ID_LEN);
}

/*
 * The devices changed in (since, upto], sorted; *all if the log does not
 * name them all. <0 if the log cannot be read (logged).
 */
static int logged(struct server *srv, int64_t since, int64_t upto,
		  struct dids *d, bool *all)
{
	int ret = cpns_store_device_log(srv->store, since, upto, did_note, d);

	*all = ret == -ERANGE;
	if (*all) {
		cpns_debug("store: devices' changes %lld to %lld: %s; every live flow's row is read again",
			   (long long)since + 1, (long long)upto,
			   d->n >= DEVSYNC_LOG_MAX ? "too many to look up" :
			   cpns_store_error(srv->store));
		return 0;
	}
	if (ret) {
		cpns_err("store: the devices' change log: %s",
			 cpns_store_error(srv->store));
		return ret;
	}
	if (d->n)
		qsort(d->v, d->n, sizeof(*d->v), did_cmp);
	return 0;
}

int devsync_sessions(struct server *srv, struct sconn *cur,
		     unsigned int cur_type, int64_t since, int64_t upto)
{
	struct cpns_store_device d;
	struct dids log = { .n = 0 };
	struct sconn *sc, *next;
	bool cur_ended = false, all;
	const char *why, *what;
	int err;

	err = logged(srv, since, upto, &log, &all);
	for (sc = srv->conns; sc && !err; sc = next) {
		next = sc->next;
		if (!sc->handle || (sc->state != SC_AUTH_WAIT &&
				    sc->state != SC_SESSION))
			continue;
		if (!all && (!log.n || !bsearch(sc->did, log.v, log.n,
						sizeof(*log.v), did_cmp)))
			continue;
		why = changed(sc, &d, &err);
		if (err || !why)
			continue;
		what = sc->state == SC_SESSION ? "session" : "a-flow";
		sconn_refuse(sc, CPNS_WIRE_ERR_EXPIRED,
			     sc == cur ? cur_type : 0,
			     "device id %s %s (state %s, generation %u; this %s's %u): %s ended",
			     HEX(sc->did), why, cpns_store_state_name(d.state),
			     d.generation, what, sc->rec.generation, what);
		if (sc == cur)
			cur_ended = true;
		else
			server_conn_update(sc);
	}
	free(log.v);
	if (err)
		return err;
	return cur_ended ? 1 : 0;
}
