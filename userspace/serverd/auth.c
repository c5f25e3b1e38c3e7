// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flow a on the server. a-0: GW2 names its Device ID and nonce; the kernel
 * finds the seed from the Device ID, derives the Device Key and keeps an
 * a-flow under a handle bound to our netlink socket. a-2/a-3: the kernel
 * checks GW2's code and returns its own; the handle then names the session
 * whose keys SEAL and OPEN use. The daemon bounds a-flows waiting between
 * a-0 and a-2 (max_pending) and ends the flow or session when the
 * connection goes.
 *
 * Re-key (CPNS-KA-1-REKEY, Documentation/rekey.rst): a-0 of a generation 0
 * key carries GW2's ephemeral public key Pc and the answer the kernel's
 * Ps. The server's kernel keeps no object per device: a-0 reads the
 * device's record from the store (one lookup by Device ID) and hands the
 * kernel its blob, with the KEK and the row's label. AUTH_SERVER returns
 * the record the flow made (the re-keyed, unconfirmed one, or the
 * confirmation of one), which is stored by compare-and-set against the
 * row read at a-0 before a-3 leaves: if the row changed meanwhile (a
 * re-key on another server, a revocation), the flow fails and nothing is
 * sent. The first sealed message GW2 sends under a re-keyed session
 * confirms it (session.c), and that is stored too. GW1's copy of the
 * original key is refused from then on.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "serverd.h"

/* a-0's AUTH_CHALLENGE, with the record a-0 read (kbatch.c). */
static struct cpns_record_ref hello_ref(struct sconn *sc)
{
	struct cpns_record_ref ref = {
		.kek = &sc->srv->kek,
		.label = sc->kb_in.hello.label,
		.label_len = sizeof(sc->kb_in.hello.label),
		.blob = sc->rec.blob_len ? sc->rec.blob : NULL,
		.blob_len = sc->rec.blob_len,
	};

	return ref;
}

static int hello_build(struct cpns_msg *msg, struct sconn *sc)
{
	struct cpns_record_ref ref = hello_ref(sc);

	return cpns_auth_challenge_item(msg, sc->kb_in.hello.m.did,
					sc->kb_in.hello.m.nc,
					&sc->kb_in.hello.rk, &ref);
}

static int hello_reply(const struct cpns_reply *item, struct sconn *sc)
{
	return cpns_auth_challenge_item_reply(item, &sc->kb_in.hello.rk,
					      &sc->kb_out.challenge.handle,
					      sc->kb_out.challenge.ns);
}

/* a-0 refused by the kernel: sc->kb_error. */
static void hello_refuse(struct sconn *sc)
{
	const struct cpns_wire_auth_hello *m = &sc->kb_in.hello.m;
	const struct cpns_error *e = &sc->kb_error;
	struct server *srv = sc->srv;

	if (e->err == -EBADMSG && sc->rec.blob_len) {
		/* The row's blob, not GW2: the store or the KEK is wrong. */
		sc_err(sc, "a-0: the stored record of device id %s (generation %u, %s) does not open under KEK %s:%s: %s (a wrong KEK, or the row was altered)",
		       HEX(m->did), sc->rec.generation,
		       cpns_store_state_name(sc->rec.state), srv->kek.type,
		       srv->kek.desc, e->msg);
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL, CPNS_WIRE_AUTH_HELLO,
			     "a-0: the record of device id %s in the store is not valid",
			     HEX(m->did));
	} else if (e->err == -EKEYREJECTED &&
		   e->attr_type != CPNS_A_PUBKEY) {
		/* Not a bad Pc: a generation this device no longer has
		 * (GW1's copy of a re-keyed key) or never had.
		 */
		sconn_refuse(sc, CPNS_WIRE_ERR_EXPIRED, CPNS_WIRE_AUTH_HELLO,
			     "a-0: device id %s generation %u refused: %s",
			     HEX(m->did), m->generation, e->msg);
	} else {
		sconn_kernel_fail(sc, "a-0", e, true, CPNS_WIRE_AUTH_HELLO);
	}
}

static const struct kbatch_ops hello_ops;

static void hello_done(struct sconn *sc)
{
	const struct cpns_wire_auth_hello *m = &sc->kb_in.hello.m;
	const struct cpns_rekey *rk = &sc->kb_in.hello.rk;
	struct cpns_wire_msg out = { .type = CPNS_WIRE_AUTH_CHALLENGE };
	struct server *srv = sc->srv;

	/* A seed another server made: the store has it (seedsync.c). */
	if (sc->kb_error.err == -ENOKEY && seedsync_fetch(srv, m->did) > 0)
		kbatch_run_alone(sc, &hello_ops);
	if (sc->kb_error.err) {
		sc->pending = false;
		srv->pending--;
		hello_refuse(sc);
		return;
	}
	memcpy(out.auth_challenge.ns, sc->kb_out.challenge.ns,
	       sizeof(out.auth_challenge.ns));
	if (rk->rekey) {
		out.auth_challenge.flags = CPNS_WIRE_AUTH_REKEY;
		memcpy(out.auth_challenge.pubkey, rk->server_pub,
		       sizeof(out.auth_challenge.pubkey));
	}
	sc->handle = sc->kb_out.challenge.handle;
	memcpy(sc->did, m->did, sizeof(sc->did));
	if (sconn_send(sc, &out))
		return;
	sc->state = SC_AUTH_WAIT;
	cpns_conn_set_deadline(&sc->c, CPNS_DL_STEP,
			       srv->conf->step_timeout * 1000);
	sc_debug(sc, "a-0 sent challenge ns %s%s", HEX(out.auth_challenge.ns),
		 rk->rekey ? " and the server's re-key public key" : "");
}

static const struct kbatch_ops hello_ops = {
	.cmd = CPNS_CMD_AUTH_CHALLENGE,
	.build = hello_build,
	.reply = hello_reply,
	.done = hello_done,
};

/*
 * a-0: its record read from the store, its AUTH_CHALLENGE run after the
 * batch. The a-flow counts against max_pending from now on.
 */
void auth_hello(struct sconn *sc, const struct cpns_wire_auth_hello *m)
{
	struct server *srv = sc->srv;
	struct cpns_rekey *rk = &sc->kb_in.hello.rk;
	int ret;

	sc_debug(sc, "a-0 received hello from device id %s, nc %s, generation %u%s",
		HEX(m->did), HEX(m->nc), m->generation,
		(m->flags & CPNS_WIRE_AUTH_REKEY) ? ", re-key" : "");
	if (srv->pending >= srv->conf->max_pending) {
		sconn_refuse(sc, CPNS_WIRE_ERR_BUSY, CPNS_WIRE_AUTH_HELLO,
			     "too many authentications in progress (%u)",
			     srv->pending);
		return;
	}
	if (seedsync_check(sc, CPNS_WIRE_AUTH_HELLO))
		return;
	ret = keystore_record_get(srv, m->did, &sc->rec,
				  sc->kb_in.hello.label);
	if (ret == -EKEYREVOKED) {
		sconn_refuse(sc, CPNS_WIRE_ERR_EXPIRED, CPNS_WIRE_AUTH_HELLO,
			     "a-0: device id %s is revoked", HEX(m->did));
		return;
	}
	if (ret) {
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL, CPNS_WIRE_AUTH_HELLO,
			     "a-0: the record of device id %s could not be read from the store",
			     HEX(m->did));
		return;
	}
	sc->kb_in.hello.m = *m;
	memset(rk, 0, sizeof(*rk));
	rk->generation = m->generation;
	rk->rekey = m->flags & CPNS_WIRE_AUTH_REKEY;
	if (rk->rekey)
		memcpy(rk->client_pub, m->pubkey, sizeof(rk->client_pub));
	sc->pending = true;
	srv->pending++;
	kbatch_submit(sc, &hello_ops);
}

/* a-1's AUTH_SERVER, batched as a-0's. */
static int client_build(struct cpns_msg *msg, struct sconn *sc)
{
	return cpns_auth_server_item(msg, sc->handle, sc->kb_in.client.mac);
}

static int client_reply(const struct cpns_reply *item, struct sconn *sc)
{
	return cpns_auth_server_item_reply(item, sc->kb_out.server.mac,
					   &sc->kb_out.server.rk,
					   &sc->kb_out.server.rec);
}

static void client_done(struct sconn *sc)
{
	const struct cpns_record *rec = &sc->kb_out.server.rec;
	struct cpns_wire_msg out = { .type = CPNS_WIRE_AUTH_SERVER };
	struct server *srv = sc->srv;
	int ret;

	if (sc->kb_error.err) {
		/* A wrong code ends the flow in the kernel. */
		sconn_kernel_fail(sc, "a-2", &sc->kb_error, true,
				  CPNS_WIRE_AUTH_CLIENT);
		return;
	}
	sc->pending = false;
	srv->pending--;
	if (rec->blob_len && rec->state == CPNS_STATE_UNCONFIRMED)
		sc_notice(sc, "a-2 device %s re-keyed to generation %u (record unconfirmed)",
			  HEX(sc->did), rec->generation);
	else if (rec->blob_len)
		sc_notice(sc, "a-2 device %s generation %u: record confirmed",
			  HEX(sc->did), rec->generation);
	/* The record first: a-3 lets GW2 replace its key (Documentation/rekey.rst). */
	if (rec->blob_len) {
		ret = sconn_record_save(sc, rec,
					rec->state == CPNS_STATE_UNCONFIRMED ?
					"re-keyed" : "confirmed");
		if (ret) {
			sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL,
				     CPNS_WIRE_AUTH_CLIENT,
				     ret == -ESTALE ?
				     "a-2: the device record changed during the flow (another server, or a revocation); a-3 not sent" :
				     "a-2: the device record could not be stored; a-3 not sent");
			return;
		}
	}
	memcpy(out.auth_server.mac, sc->kb_out.server.mac,
	       sizeof(out.auth_server.mac));
	if (sconn_send(sc, &out))
		return;
	keystore_device_seen(srv, sc->did, sc->c.peer);
	sc->state = SC_SESSION;
	sc_notice(sc, "a-2 device id %s authenticated (generation %u); a-3 sent server code; session %u established",
		  HEX(sc->did), sc->kb_out.server.rk.new_generation, sc->handle);
}

static const struct kbatch_ops client_ops = {
	.cmd = CPNS_CMD_AUTH_SERVER,
	.build = client_build,
	.reply = client_reply,
	.done = client_done,
};

void auth_client(struct sconn *sc, const struct cpns_wire_auth_mac *m)
{
	sc_debug(sc, "a-1 received client code from device id %s",
		 HEX(sc->did));
	if (seedsync_check(sc, CPNS_WIRE_AUTH_CLIENT))
		return;
	sc->kb_in.client = *m;
	kbatch_submit(sc, &client_ops);
}
