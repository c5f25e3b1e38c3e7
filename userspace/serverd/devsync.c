// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The live a-flows and sessions of devices whose record changed in the
 * shared store (Documentation/cpns-serverd.rst, "Several servers on one
 * PostgreSQL"). A revocation or a re-key committed through another server
 * (or through this one, by another connection) moves the store's device
 * change counter; when seedsync.c sees it move, each connection of this
 * server between a-0 and its end has its device's row read again (one
 * lookup by Device ID each: at most max_connections). An a-flow or a
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

int devsync_sessions(struct server *srv, struct sconn *cur,
		     unsigned int cur_type)
{
	struct cpns_store_device d;
	struct sconn *sc, *next;
	bool cur_ended = false;
	const char *why, *what;
	int err;

	for (sc = srv->conns; sc; sc = next) {
		next = sc->next;
		if (!sc->handle || (sc->state != SC_AUTH_WAIT &&
				    sc->state != SC_SESSION))
			continue;
		why = changed(sc, &d, &err);
		if (err)
			return err;
		if (!why)
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
	return cur_ended ? 1 : 0;
}
