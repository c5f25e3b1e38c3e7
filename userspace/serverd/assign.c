// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flow II on the server. II-1/II-3: the kernel checks GW1's request MAC
 * under the seed named by the Seed ID and keeps a challenge pending under
 * n1. II-5/II-7: the kernel finds that challenge by n1 (on this connection
 * or another), checks the Device ID GW1 derived and consumes the challenge
 * in exchange for the verification code. The daemon keeps nothing between
 * the two: a server restart in between loses no state it held.
 *
 * The kernel commands of the II-1s and II-5s read while the loop has
 * events ready run as one CPNS_CMD_BATCH each once it has none (kbatch.c).
 *
 * II-7 is sent once the assignment's row is in the store. The rows of the
 * assignments confirmed while the loop has events ready are written in one
 * transaction once it has none (assign_flush(), cpns_loop_defer_idle()):
 * GW1s assigning at the same time share a commit, and none waits for more
 * than four batches of events. A re-assignment's row follows its
 * revocation record, stored at once.
 *
 * Re-assignment (protocol.rst, "Re-assignment"): II-5 may name a Device ID
 * that the new one replaces. The store must show both under seeds of the
 * same GW1; ASSIGN_CONFIRM with CPNS_A_REPLACES then revokes the old one
 * in the same step in the kernel, and the store records the revocation
 * before II-7 is sent.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "serverd.h"

/* II-7 for the assignment now stored; the flow's one line at info. */
static void confirm_send(struct sconn *sc,
			 const struct cpns_wire_assign_confirm *c,
			 const uint8_t n1[CPNS_NONCE_LEN])
{
	struct cpns_wire_msg out = { .type = CPNS_WIRE_ASSIGN_CONFIRM };

	out.assign_confirm = *c;
	if (sconn_send(sc, &out))
		return;
	sc_info(sc, "II-5 received device id %s for n1 %s; II-6 device id %s verified, challenge used; II-7 sent confirmation",
		cpns_log_hex(c->did, CPNS_DEVICE_ID_LEN),
		cpns_log_hex(n1, CPNS_NONCE_LEN),
		cpns_log_hex(c->did, CPNS_DEVICE_ID_LEN));
}

static void confirm_flush(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)loop;
	assign_flush(d->arg);
}

/* II-7 waits for its row: queued until the loop is idle. */
static void confirm_queue(struct sconn *sc,
			  const struct cpns_wire_assign_confirm *c,
			  const uint8_t n1[CPNS_NONCE_LEN])
{
	struct server *srv = sc->srv;

	sc->confirm = *c;
	memcpy(sc->confirm_n1, n1, sizeof(sc->confirm_n1));
	sc->confirming = true;
	sc->confirm_next = srv->confirming;
	srv->confirming = sc;
	if (!srv->confirm_flush.fn)
		cpns_defer_init(&srv->confirm_flush, confirm_flush, srv);
	cpns_loop_defer_idle(srv->loop, &srv->confirm_flush);
}

static void confirm_dequeue(struct sconn *sc)
{
	struct sconn **pp = &sc->srv->confirming;

	if (!sc->confirming)
		return;
	while (*pp != sc)
		pp = &(*pp)->confirm_next;
	*pp = sc->confirm_next;
	sc->confirming = false;
	sc->confirm_next = NULL;
}

void assign_conn_gone(struct sconn *sc)
{
	confirm_dequeue(sc);
}

/* II-1's ASSIGN_CHALLENGE, batched with the others of the loop's batch. */
static int challenge_build(struct cpns_msg *msg, struct sconn *sc)
{
	const struct cpns_wire_assign_request *m = &sc->kb_in.req;

	return cpns_assign_challenge_item(msg, m->sid, m->n1, m->mac);
}

static int challenge_reply(const struct cpns_reply *item, struct sconn *sc)
{
	return cpns_assign_challenge_item_reply(item, sc->kb_out.ch.ch,
						sc->kb_out.ch.mac);
}

static const struct kbatch_ops challenge_ops;

/* II-3, or the refusal. */
static void challenge_done(struct sconn *sc)
{
	const struct cpns_wire_assign_request *m = &sc->kb_in.req;
	struct cpns_wire_msg out = { .type = CPNS_WIRE_ASSIGN_CHALLENGE };
	struct cpns_wire_assign_challenge *r = &out.assign_challenge;

	/* A seed another server made: the store has it (seedsync.c). */
	if (sc->kb_error.err == -ENOKEY && seedsync_fetch(sc->srv, m->sid) > 0)
		kbatch_run_alone(sc, &challenge_ops);
	if (sc->kb_error.err) {
		sconn_kernel_fail(sc, "II-2", &sc->kb_error, false,
				  CPNS_WIRE_ASSIGN_REQUEST);
		return;
	}
	*r = sc->kb_out.ch;
	memcpy(r->n1, m->n1, sizeof(r->n1));
	if (sconn_send(sc, &out))
		return;
	sc_debug(sc, "II-2 request MAC verified; II-3 sent challenge %s for n1 %s",
		HEX(r->ch), HEX(m->n1));
}

static const struct kbatch_ops challenge_ops = {
	.cmd = CPNS_CMD_ASSIGN_CHALLENGE,
	.build = challenge_build,
	.reply = challenge_reply,
	.done = challenge_done,
};

void assign_request(struct sconn *sc,
		    const struct cpns_wire_assign_request *m)
{
	sc_debug(sc, "II-1 received assign request, seed id %s, n1 %s",
		HEX(m->sid), HEX(m->n1));
	if (seedsync_check(sc, CPNS_WIRE_ASSIGN_REQUEST))
		return;
	sc->kb_in.req = *m;
	kbatch_submit(sc, &challenge_ops);
}

/*
 * Re-assignment (II-5 with REPLACES): the replaced Device ID must be a
 * device of a seed that the store holds for the same GW1 as the seed of
 * the new one, and not revoked there. 0, or the refusal was sent.
 */
static int replaces_check(struct sconn *sc,
			  const struct cpns_wire_assign_device_id *m)
{
	struct server *srv = sc->srv;
	struct cpns_store_seed mine, theirs;
	struct cpns_store_device rec;
	int ret;

	if (!srv->store) {
		sconn_refuse(sc, CPNS_WIRE_ERR_DENIED,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: re-assigning device id %s needs the server's store (it knows which GW1 owns a seed)",
			     HEX(m->replaces));
		return -1;
	}
	if (!memcmp(m->did, m->replaces, sizeof(m->did))) {
		sconn_refuse(sc, CPNS_WIRE_ERR_MALFORMED,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: device id %s cannot replace itself",
			     HEX(m->did));
		return -1;
	}
	ret = cpns_store_seed_get(srv->store, m->did, &mine);
	if (!ret)
		ret = cpns_store_seed_get(srv->store, m->replaces, &theirs);
	if (ret == -ENOENT) {
		sconn_refuse(sc, CPNS_WIRE_ERR_UNKNOWN_DEVICE,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: device id %s to be replaced is of no seed this server has stored",
			     HEX(m->replaces));
		return -1;
	}
	if (ret) {
		sc_err(sc, "store: %s", cpns_store_error(srv->store));
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: the store could not be read");
		return -1;
	}
	if (strcmp(mine.owner, theirs.owner)) {
		sconn_refuse(sc, CPNS_WIRE_ERR_DENIED,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: device id %s belongs to another GW1 ('%s', not '%s'): not re-assigned",
			     HEX(m->replaces), theirs.owner, mine.owner);
		return -1;
	}
	ret = cpns_store_device_get(srv->store, m->replaces, &rec);
	if ((!ret && rec.state == CPNS_STATE_REVOKED) ||
	    theirs.state == CPNS_STATE_REVOKED) {
		sconn_refuse(sc, CPNS_WIRE_ERR_EXPIRED,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: device id %s is revoked already: not re-assigned",
			     HEX(m->replaces));
		return -1;
	}
	return 0;
}

/* II-5's ASSIGN_CONFIRM (not a re-assignment), batched as II-1's. */
static int confirm_build(struct cpns_msg *msg, struct sconn *sc)
{
	const struct cpns_wire_assign_device_id *m = &sc->kb_in.dev;

	return cpns_assign_confirm_item(msg, m->did, m->n1);
}

static int confirm_reply(const struct cpns_reply *item, struct sconn *sc)
{
	return cpns_assign_confirm_item_reply(item, sc->kb_out.code);
}

/* The challenge is used: II-7 waits for the row (confirm_queue()). */
static void confirm_done(struct sconn *sc)
{
	const struct cpns_wire_assign_device_id *m = &sc->kb_in.dev;
	struct cpns_wire_assign_confirm c;

	if (sc->kb_error.err) {
		sconn_kernel_fail(sc, "II-6", &sc->kb_error, true,
				  CPNS_WIRE_ASSIGN_DEVICE_ID);
		return;
	}
	memcpy(c.did, m->did, sizeof(c.did));
	memcpy(c.code, sc->kb_out.code, sizeof(c.code));
	confirm_queue(sc, &c, m->n1);
}

static const struct kbatch_ops confirm_ops = {
	.cmd = CPNS_CMD_ASSIGN_CONFIRM,
	.build = confirm_build,
	.reply = confirm_reply,
	.done = confirm_done,
};

/* II-5 with REPLACES: run alone, its revocation stored before its row. */
static void reassign(struct sconn *sc,
		     const struct cpns_wire_assign_device_id *m)
{
	struct server *srv = sc->srv;
	struct cpns_wire_assign_confirm conf = { 0 }, *r = &conf;
	uint8_t label[CPNS_STORE_LABEL_LEN];
	struct cpns_store_device row;
	struct cpns_record rec;
	int ret;

	if (replaces_check(sc, m))
		return;
	ret = keystore_revocation_label(srv, m->replaces, &row, label);
	if (ret) {
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: the store could not be read");
		return;
	}
	ret = cpns_assign_confirm_rec(srv->nl, m->did, m->n1, m->replaces,
				      &srv->kek, label, sizeof(label), r->code,
				      &rec);
	if (ret) {
		sconn_kernel_error(sc, "II-6 (re-assignment)", ret, true,
				   CPNS_WIRE_ASSIGN_DEVICE_ID);
		return;
	}
	/* The kernel's revocation record, stored before II-7. */
	ret = keystore_revocation_save(srv, &row, &rec);
	if (ret) {
		sc_err(sc, "store: the revocation of device id %s (replaced by %s) could not be stored: %s",
		       HEX(m->replaces), HEX(m->did),
		       cpns_store_error(srv->store));
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL,
			     CPNS_WIRE_ASSIGN_DEVICE_ID,
			     "II-6: the re-assignment could not be stored");
		return;
	}
	sc_notice(sc, "II-6 device id %s replaces device id %s: the old one's revocation record is stored",
		  HEX(m->did), HEX(m->replaces));
	memcpy(r->did, m->did, sizeof(r->did));
	/* The inventory's row, before II-7 as a revocation's. */
	confirm_queue(sc, r, m->n1);
}

void assign_device_id(struct sconn *sc,
		      const struct cpns_wire_assign_device_id *m)
{
	bool replacing = m->flags & CPNS_WIRE_ASSIGN_REPLACES;

	if (replacing)
		sc_info(sc, "II-5 received device id %s for n1 %s, replacing device id %s",
			HEX(m->did), HEX(m->n1), HEX(m->replaces));
	else
		sc_debug(sc, "II-5 received device id %s for n1 %s",
			 HEX(m->did), HEX(m->n1));
	if (seedsync_check(sc, CPNS_WIRE_ASSIGN_DEVICE_ID))
		return;
	if (replacing) {
		reassign(sc, m);
		return;
	}
	sc->kb_in.dev = *m;
	kbatch_submit(sc, &confirm_ops);
}

/* Store the waiting assignments' rows, then answer each. */
void assign_flush(struct server *srv)
{
	struct keystore_assign a[KEYSTORE_ASSIGN_MAX];
	struct sconn *batch[KEYSTORE_ASSIGN_MAX], *sc;
	size_t i, n;

	cpns_defer_cancel(srv->loop, &srv->confirm_flush);
	while (srv->confirming) {
		for (n = 0; n < KEYSTORE_ASSIGN_MAX && srv->confirming; n++) {
			sc = batch[n] = srv->confirming;
			confirm_dequeue(sc);
			memcpy(a[n].did, sc->confirm.did, sizeof(a[n].did));
			a[n].gw1_addr = sc->c.peer;
		}
		keystore_devices_assigned(srv, a, n);
		for (i = 0; i < n; i++) {
			sc = batch[i];
			if (a[i].ret)
				sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL,
					     CPNS_WIRE_ASSIGN_DEVICE_ID,
					     "II-6: the assignment could not be stored");
			else
				confirm_send(sc, &sc->confirm, sc->confirm_n1);
			server_conn_update(sc);
		}
	}
}
