// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The live a-flows and sessions of devices whose record changed in the
 * shared store (Documentation/cpns-serverd.rst, "Several servers on one
 * PostgreSQL"). A revocation or a re-key committed through another server
 * (or through this one, by another connection) moves the store's device
 * change counter; when seedsync.c sees it move, each connection of this
 * server between a-0 and its end has its device's row read again (one
 * lookup by Device ID each: at most max_connections). A connection whose
 * device is revoked there, or whose row has another generation than the
 * one its flow read or wrote (re-keyed elsewhere), is ended: ERROR 8
 * (expired), one line each, its a-flow or session deleted in the kernel.
 */
#include <errno.h>

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
	if (d->generation != sc->rec.generation)
		return "re-keyed elsewhere";
	return NULL;
}

int devsync_sessions(struct server *srv, struct sconn *cur,
		     unsigned int cur_type)
{
	struct cpns_store_device d;
	struct sconn *sc, *next;
	bool cur_ended = false;
	const char *why;
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
		sconn_refuse(sc, CPNS_WIRE_ERR_EXPIRED,
			     sc == cur ? cur_type : 0,
			     "device id %s %s (state %s, generation %u; this %s's %u): %s ended",
			     HEX(sc->did), why, cpns_store_state_name(d.state),
			     d.generation,
			     sc->state == SC_SESSION ? "session" : "a-flow",
			     sc->rec.generation,
			     sc->state == SC_SESSION ? "session" : "a-flow");
		if (sc == cur)
			cur_ended = true;
		else
			server_conn_update(sc);
	}
	return cur_ended ? 1 : 0;
}
