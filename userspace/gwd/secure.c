// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The secure role (GW1, on a secure WAN; Documentation/protocol.rst 9.2 and
 * 9.3).
 *
 * At start, GW1 uses the newest Key Seed of role gw1 in its namespace's
 * keyring, or runs flow I with the server to get one (I-1 SEED_REQUEST to
 * the public key of a kernel-held X25519 pair, I-3 SEED_IMPORT). It then
 * listens on the PN link. Each GW2 that connects and sends ASSIGN_ASK gets
 * an assignment of its own: flow II (II-1 .. II-8) with the server, on a
 * link kept from an earlier assignment (uplink.c) or a new one, then
 * II-9, the confirmed Device Key sealed by GW1's kernel to the GW2's
 * public key (DEVICE_EXPORT). GW1 sends its public
 * key first (DEVICE_OFFER) and holds the sealed key back until the
 * transfer is confirmed: by an operator who types, on the control socket,
 * the code that GW2 shows, or, with a pairing key, by GW2's DEVICE_PAIR
 * MAC. GW1 never sees the sealed key before: DEVICE_EXPORT keeps it in the
 * kernel, and XFER_RELEASE gives it only once the kernel itself checked
 * the typed code or the MAC (constant time, one attempt). Only then does
 * DEVICE_TRANSFER carry the sealed key. A
 * wrong code or MAC, a rejection or confirm_timeout ends the assignment
 * with an ERROR and nothing sent. Assignments run concurrently, each a
 * small state machine driven by its two links.
 *
 * Once the Device Key is handed over GW1 deletes its own copy (KEY_DEL):
 * GW1 has no further use for it (only GW2 and the server, which re-derives
 * it from the seed, authenticate with it), and a GW1 that kept every
 * Device Key it ever assigned could impersonate every one of those
 * gateways to the server. A flow that fails after II-4 deletes the Device
 * Key it left (pending or confirmed) for the same reason.
 *
 * The changing role (changing.c) runs the same machine without a PN link
 * (gwd_gw1_new()): flow I as here, and assignments for itself
 * (gwd_gw1_self_assign()) that end at II-8, where the kernel keeps the
 * Device Key as the namespace's own (ASSIGN_VERIFY, self-assigned).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>

#include "gwd.h"
#include "export.h"
#include "kcode.h"
#include "keyops.h"

#define GW1_BACKLOG		128
#define GW1_ACCEPT_PAUSE_MS	1000	/* after accept() fails (EMFILE) */
#define GW1_ABANDON_BURST	5	/* lines a minute per abandonment cause */

enum asg_state {
	ASG_ASK,		/* connected; ASSIGN_ASK expected */
	ASG_SEED,		/* asked; waiting for a Key Seed (flow I) */
	ASG_CONNECT,		/* connecting to the server for flow II */
	ASG_CHALLENGE,		/* II-1 sent; ASSIGN_CHALLENGE expected */
	ASG_CONFIRM,		/* II-5 sent; ASSIGN_CONFIRM expected */
	ASG_PAIRING,		/* DEVICE_OFFER sent; confirmation expected */
	ASG_DONE,		/* II-9 sent; GW2 closes */
};

struct gw1;

/* One GW2's assignment. */
struct asg {
	struct gw1 *gw1;
	struct gwd_link *gw2;		/* PN link; NULL once gone */
	struct gwd_link *srv;		/* flow II with the server, or NULL */
	struct gwd_try srv_try;		/* which server */
	bool kept;			/* srv was kept; no answer on it yet */
	int state;			/* enum asg_state */
	char who[CPNS_WIRE_NAME_MAX + CPNS_ADDR_STRLEN + 8];
	uint8_t pub[CPNS_PUBKEY_LEN];	/* GW2's ephemeral public key */
	uint8_t sid[CPNS_SEED_ID_LEN];
	uint8_t n1[CPNS_NONCE_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN];
	bool replacing;			/* GW2 asked to replace @replaces */
	uint8_t replaces[CPNS_DEVICE_ID_LEN];
	bool key_held;			/* did's Device Key is in GW1's keyring */
	/* II-9, from DEVICE_EXPORT until the confirmation */
	uint8_t epub[CPNS_PUBKEY_LEN];	/* GW1's ephemeral public key */
	uint32_t export;		/* the kernel's export; 0: none */
	uint8_t wrapped[CPNS_WRAPPED_LEN];	/* once released */
	uint32_t code;			/* once released */
	uint32_t pair_id;		/* for cpnsctl pair; 0: none yet */
	int mode;			/* enum cpns_wire_confirm */
	uint64_t offered_ms;
	/* a changing-mode device assigning itself: no PN link, no II-9 */
	bool self;
	gwd_self_done_fn *done;
	void *done_arg;
	struct asg *prev, *next;
};

struct gw1 {
	struct gwd *g;
	int lfd[GWD_LISTEN_MAX];
	struct cpns_watch lw[GWD_LISTEN_MAX];
	size_t nlfd;
	bool accepting;
	bool stopping;
	struct cpns_timer accept_timer;	/* resume after an accept() error */

	bool have_seed;
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct gwd_link *seed_link;	/* flow I in progress */
	uint32_t xfer;			/* its transfer key pair */
	bool xfer_live;
	struct cpns_timer seed_timer;	/* next flow I attempt */
	struct gwd_backoff seed_bo;
	struct gwd_try seed_try;	/* flow I: which server */

	struct asg *asgs;
	unsigned int nasg;
	struct gwd_uplinks up;		/* idle links to the servers */
	uint64_t assigned;
	uint32_t last_pair_id;
	bool embedded;			/* the changing role's: no PN link */
};

static void seed_fetch(struct gw1 *gw1);
static void asg_start(struct asg *a);
static void asg_begin(struct asg *a, bool may_keep);
static bool asg_failover(struct asg *a, const char *why);
static bool asg_stale(struct asg *a, const char *why);

static const char *hex(const void *p, size_t len)
{
	return cpns_log_hex(p, len);
}

/* ------------------------------------------------------------ accepting */

static void listen_io(struct cpns_loop *loop, struct cpns_watch *w,
		      uint32_t events);

static void accept_set(struct gw1 *gw1, bool on)
{
	struct gwd *g = gw1->g;
	size_t i;
	int ret;

	if (gw1->accepting == on)
		return;
	for (i = 0; i < gw1->nlfd; i++) {
		if (!on) {
			cpns_watch_del(g->loop, &gw1->lw[i]);
			continue;
		}
		ret = cpns_watch_add(g->loop, &gw1->lw[i], gw1->lfd[i],
				     EPOLLIN, listen_io, gw1);
		if (ret)
			cpns_err("cannot watch %s: %s",
				 g->conf.listen[i].str, strerror(-ret));
	}
	gw1->accepting = on;
}

static void accept_resume(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct gw1 *gw1 = t->arg;

	(void)loop;
	if (gw1->nasg < gw1->g->conf.max_clients)
		accept_set(gw1, true);
}

/* ------------------------------------------------------------ assignments */

static void asg_drop_key(struct asg *a)
{
	struct cpns_nl *nl = a->gw1->g->nl;
	int ret;

	if (!a->key_held)
		return;
	a->key_held = false;
	ret = cpns_key_del_device(nl, a->did);
	if (!ret)
		cpns_info("%s: deleted GW1's copy of the Device Key %s",
			  a->who, hex(a->did, sizeof(a->did)));
	else if (!gwd_kernel_key_gone(ret))
		cpns_err("%s: cannot delete the Device Key %s: %s", a->who,
			 hex(a->did, sizeof(a->did)), cpns_last_error(nl));
}

static void asg_free(struct asg *a)
{
	struct gw1 *gw1 = a->gw1;

	if (a->srv)
		gwd_link_close(a->srv);
	if (a->gw2)
		gwd_link_close(a->gw2);
	asg_drop_key(a);
	if (a->export)
		cpns_session_del(gw1->g->nl, a->export);
	explicit_bzero(a->wrapped, sizeof(a->wrapped));
	if (a->prev)
		a->prev->next = a->next;
	else
		gw1->asgs = a->next;
	if (a->next)
		a->next->prev = a->prev;
	gw1->nasg--;
	free(a);
	if (!gw1->accepting && gw1->nasg < gw1->g->conf.max_clients &&
	    !cpns_timer_armed(&gw1->accept_timer) && !gw1->stopping &&
	    gw1->nlfd)
		accept_set(gw1, true);
}

/* The assignment failed: log why, tell GW2 (ERROR code), free it. */
static void asg_abort(struct asg *a, unsigned int code, const char *fmt, ...)
	CPNS_PRINTF(3, 4);
static void asg_abort(struct asg *a, unsigned int code, const char *fmt, ...)
{
	char text[CPNS_WIRE_ERRMSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (a->gw2) {
		cpns_warn("%s: assignment failed: %s; sent ERROR %u (%s)",
			  a->who, text, code, cpns_wire_code_name(code));
		gwd_link_fail(a->gw2, code, CPNS_WIRE_ASSIGN_ASK, "%s", text);
		a->gw2 = NULL;
	} else {
		cpns_warn("%s: assignment failed: %s", a->who, text);
	}
	if (a->self) {
		gwd_self_done_fn *done = a->done;
		void *arg = a->done_arg;

		asg_free(a);
		done(arg, NULL, text);
		return;
	}
	asg_free(a);
}

/* Refuse a message of the server (ERROR to it), then abort. */
static void asg_refuse(struct asg *a, unsigned int ref_type,
		       unsigned int code, const char *fmt, ...)
	CPNS_PRINTF(4, 5);
static void asg_refuse(struct asg *a, unsigned int ref_type,
		       unsigned int code, const char *fmt, ...)
{
	char text[CPNS_WIRE_ERRMSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (a->srv) {
		gwd_link_fail(a->srv, code, ref_type, "%s", text);
		a->srv = NULL;
	}
	asg_abort(a, code, "%s", text);
}

/* II-1: the connection to the server is up. */
static void srv_connected(struct gwd_link *l, void *owner)
{
	struct asg *a = owner;
	struct gw1 *gw1 = a->gw1;
	struct gwd *g = gw1->g;
	struct cpns_wire_msg m = { .type = CPNS_WIRE_ASSIGN_REQUEST };
	struct cpns_wire_assign_request *r = &m.assign_request;
	int ret;

	ret = cpns_assign_request(g->nl, a->sid, a->n1, r->mac);
	if (ret && gwd_kernel_key_gone(ret)) {
		/* The seed expired or was deleted: get a new one (unless
		 * another assignment already did), then start again.
		 */
		cpns_warn("%s: II-1: Key Seed %s is gone (%s)", a->who,
			  hex(a->sid, sizeof(a->sid)), cpns_last_error(g->nl));
		if (!memcmp(gw1->sid, a->sid, sizeof(a->sid)))
			gw1->have_seed = false;
		/* Nothing was sent on l: it serves the next start. */
		gwd_uplink_put(&gw1->up, l, gwd_try_server(&a->srv_try));
		a->srv = NULL;
		if (gw1->have_seed) {
			asg_start(a);
			return;
		}
		a->state = ASG_SEED;
		seed_fetch(gw1);
		return;
	}
	if (ret) {
		asg_refuse(a, 0, cpns_kernel_code(g->nl, ret, false),
			   "II-1 (ASSIGN_REQUEST): %s", cpns_last_error(g->nl));
		return;
	}
	memcpy(r->sid, a->sid, sizeof(r->sid));
	memcpy(r->n1, a->n1, sizeof(r->n1));
	a->state = ASG_CHALLENGE;
	ret = gwd_link_send(l, &m);
	if (ret && asg_stale(a, "cannot send on it"))
		return;
	if (ret) {
		asg_refuse(a, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot send ASSIGN_REQUEST to the server");
		return;
	}
	gwd_link_deadline(l, CPNS_DL_STEP, g->conf.step_ms);
	cpns_info("%s: II-1 sent assign request to %s: seed %s, n1 %s%s",
		  a->who, gwd_link_peer(l), hex(a->sid, sizeof(a->sid)),
		  hex(a->n1, sizeof(a->n1)), a->kept ? " (kept link)" : "");
}

/* II-3 in, II-4, II-5 out. */
static void srv_challenge(struct asg *a, const struct cpns_wire_msg *m)
{
	const struct cpns_wire_assign_challenge *c = &m->assign_challenge;
	struct cpns_wire_msg out = { .type = CPNS_WIRE_ASSIGN_DEVICE_ID };
	struct gw1 *gw1 = a->gw1;
	struct gwd *g = gw1->g;
	int32_t serial;
	int ret;

	if (memcmp(c->n1, a->n1, sizeof(a->n1))) {
		asg_refuse(a, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "II-3: ASSIGN_CHALLENGE answers n1 %s, not ours",
			   hex(c->n1, sizeof(c->n1)));
		return;
	}
	cpns_info("%s: II-3 received challenge %s", a->who,
		  hex(c->ch, sizeof(c->ch)));
	ret = cpns_assign_derive(g->nl, a->sid, a->n1, c->ch, c->mac, a->did,
				 &serial);
	if (ret) {
		if (gwd_kernel_key_gone(ret) &&
		    !memcmp(gw1->sid, a->sid, sizeof(a->sid)))
			gw1->have_seed = false;
		asg_refuse(a, m->type, cpns_kernel_code(g->nl, ret, false),
			   "II-3 challenge refused (ASSIGN_DERIVE): %s",
			   cpns_last_error(g->nl));
		return;
	}
	a->key_held = true;
	cpns_info("%s: II-4 derived device id %s (Device Key pending, serial %d)",
		  a->who, hex(a->did, sizeof(a->did)), serial);
	memcpy(out.assign_device_id.did, a->did, sizeof(a->did));
	memcpy(out.assign_device_id.n1, a->n1, sizeof(a->n1));
	if (a->replacing) {
		out.assign_device_id.flags = CPNS_WIRE_ASSIGN_REPLACES;
		memcpy(out.assign_device_id.replaces, a->replaces,
		       sizeof(a->replaces));
	}
	if (gwd_link_send(a->srv, &out)) {
		asg_refuse(a, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot send ASSIGN_DEVICE_ID to the server");
		return;
	}
	gwd_link_deadline(a->srv, CPNS_DL_STEP, g->conf.step_ms);
	a->state = ASG_CONFIRM;
	if (a->replacing)
		cpns_notice("%s: II-5 sent device id %s, replacing device id %s",
			    a->who, hex(a->did, sizeof(a->did)),
			    hex(a->replaces, sizeof(a->replaces)));
	else
		cpns_info("%s: II-5 sent device id %s", a->who,
			  hex(a->did, sizeof(a->did)));
}

/*
 * II-9, confirmed: hand the sealed Device Key over, delete GW1's copy.
 * Return: 0, or -EIO if it could not be sent (a is freed then).
 */
static int asg_transfer(struct asg *a, const char *how)
{
	struct cpns_wire_msg out = { .type = CPNS_WIRE_DEVICE_TRANSFER };
	struct cpns_wire_device_transfer *t = &out.device_transfer;
	struct gw1 *gw1 = a->gw1;
	struct gwd *g = gw1->g;
	char code[GWD_CODE_DIGITS + 1];
	int ret;

	memcpy(t->did, a->did, sizeof(a->did));
	memcpy(t->pubkey, a->epub, sizeof(a->epub));
	memcpy(t->wrapped, a->wrapped, sizeof(a->wrapped));
	ret = gwd_link_send(a->gw2, &out);
	explicit_bzero(t->wrapped, sizeof(t->wrapped));
	explicit_bzero(a->wrapped, sizeof(a->wrapped));
	if (ret) {
		asg_abort(a, CPNS_WIRE_ERR_INTERNAL,
			  "cannot send DEVICE_TRANSFER");
		return -EIO;
	}
	gw1->assigned++;
	cpns_notice("%s: II-9 sent device id %s; transfer code %s %s",
		    a->who, hex(a->did, sizeof(a->did)),
		    gwd_code_str(a->code, code), how);
	asg_drop_key(a);
	a->state = ASG_DONE;
	/* GW2 imports and closes; give it a step to do so. */
	gwd_link_deadline(a->gw2, CPNS_DL_STEP, g->conf.step_ms);
	return 0;
}

/*
 * II-9: seal the confirmed Device Key to GW2's public key, keep the sealed
 * key, and send GW1's half of the exchange: the transfer waits for its
 * confirmation (the operator, or GW2's pairing MAC).
 */
static void asg_offer(struct asg *a)
{
	struct cpns_wire_msg out = { .type = CPNS_WIRE_DEVICE_OFFER };
	struct cpns_wire_device_offer *o = &out.device_offer;
	struct gw1 *gw1 = a->gw1;
	struct gwd *g = gw1->g;
	int ret;

	ret = cpns_device_export(g->nl, a->did, a->pub, a->epub, &a->export);
	if (ret) {
		asg_abort(a, cpns_kernel_code(g->nl, ret, true),
			  "II-9 (DEVICE_EXPORT): %s", cpns_last_error(g->nl));
		return;
	}
	a->mode = g->conf.pairing.set ? CPNS_WIRE_CONFIRM_PAIRING :
		  CPNS_WIRE_CONFIRM_OPERATOR;
	memcpy(o->did, a->did, sizeof(a->did));
	memcpy(o->pubkey, a->epub, sizeof(a->epub));
	o->mode = (uint8_t)a->mode;
	if (gwd_link_send(a->gw2, &out)) {
		asg_abort(a, CPNS_WIRE_ERR_INTERNAL,
			  "cannot send DEVICE_OFFER");
		return;
	}
	a->state = ASG_PAIRING;
	a->offered_ms = cpns_now_ms();
	gwd_link_deadline(a->gw2, CPNS_DL_STEP, g->conf.confirm_ms);
	if (a->mode == CPNS_WIRE_CONFIRM_PAIRING) {
		cpns_info("%s: II-9 offered device id %s (public key %s); waiting for GW2's pairing MAC",
			  a->who, hex(a->did, sizeof(a->did)),
			  hex(a->epub, sizeof(a->epub)));
		return;
	}
	a->pair_id = ++gw1->last_pair_id;
	if (!a->pair_id)
		a->pair_id = ++gw1->last_pair_id;
	cpns_notice("%s: II-9 offered device id %s (public key %s); waiting for the operator: cpnsctl pair confirm %u CODE, with the code GW2 shows (within %u s)",
		    a->who, hex(a->did, sizeof(a->did)),
		    hex(a->epub, sizeof(a->epub)), a->pair_id,
		    g->conf.confirm_ms / 1000);
}

/*
 * II-9: the kernel releases the sealed key for @proof. Return: 0, or
 * -EBADMSG (the proof does not match: the kernel destroyed the export) or
 * another negative errno, logged by the caller.
 */
static int asg_release(struct asg *a, const struct cpns_proof *proof)
{
	uint32_t handle = a->export;

	a->export = 0;		/* consumed, released or destroyed */
	return cpns_xfer_release(a->gw1->g->nl, handle, proof, a->wrapped,
				 &a->code);
}

/* II-9 with a pairing key: GW2's MAC over the exchange. */
static void gw2_pair(struct asg *a, const struct cpns_wire_msg *m)
{
	struct gwd *g = a->gw1->g;
	struct cpns_keyref key = {
		.type = g->conf.pairing.type, .desc = g->conf.pairing.desc,
	};
	struct cpns_proof proof = {
		.kind = CPNS_PROOF_PAIR, .pair_key = &key,
	};
	int ret;

	memcpy(proof.mac, m->device_pair.mac, sizeof(proof.mac));
	ret = asg_release(a, &proof);
	if (ret == -EBADMSG) {
		asg_abort(a, CPNS_WIRE_ERR_BAD_MAC,
			  "II-9 pairing MAC does not verify: GW2 holds another pairing key, or the exchange was altered on the PN link (a man in the middle?); Device Key not sent");
		return;
	}
	if (ret) {
		asg_abort(a, cpns_kernel_code(g->nl, ret, true),
			  "II-9 (XFER_RELEASE with pairing_key %s:%s): %s",
			  key.type, key.desc, cpns_last_error(g->nl));
		return;
	}
	asg_transfer(a, "confirmed by the pairing key");
}

/*
 * II-8 of a self-assignment: the Device Key becomes this namespace's own
 * (role gw2, self-assigned) in the kernel, and is never exported.
 */
static void asg_self_verify(struct asg *a, const uint8_t code[CPNS_MAC_LEN])
{
	struct gwd *g = a->gw1->g;
	uint8_t did[CPNS_DEVICE_ID_LEN];
	gwd_self_done_fn *done = a->done;
	void *arg = a->done_arg;
	int32_t serial;
	int ret;

	ret = cpns_assign_verify_self(g->nl, a->did, code, &serial);
	if (ret == -EBADMSG) {
		a->key_held = false;
		asg_refuse(a, CPNS_WIRE_ASSIGN_CONFIRM, CPNS_WIRE_ERR_BAD_MAC,
			   "II-8: the server's verification code for device id %s does not match; Device Key destroyed",
			   hex(a->did, sizeof(a->did)));
		return;
	}
	if (ret) {
		asg_refuse(a, CPNS_WIRE_ASSIGN_CONFIRM,
			   cpns_kernel_code(g->nl, ret, true),
			   "II-8 (ASSIGN_VERIFY, self-assigned): %s",
			   cpns_last_error(g->nl));
		return;
	}
	a->key_held = false;		/* its own key now: kept */
	a->gw1->assigned++;
	memcpy(did, a->did, sizeof(did));
	cpns_notice("II-8 verification code matches: device id %s assigned to itself (Device Key serial %d, role gw2, self-assigned; no II-9)",
		    hex(did, sizeof(did)), serial);
	asg_free(a);
	done(arg, did, NULL);
}

/* II-7 in, II-8. */
static void srv_confirm(struct asg *a, const struct cpns_wire_msg *m)
{
	const struct cpns_wire_assign_confirm *c = &m->assign_confirm;
	struct gwd *g = a->gw1->g;
	int32_t serial;
	uint8_t state;
	int ret;

	if (memcmp(c->did, a->did, sizeof(a->did))) {
		asg_refuse(a, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "II-7: ASSIGN_CONFIRM is for device id %s, not %s",
			   hex(c->did, sizeof(c->did)),
			   hex(a->did, sizeof(a->did)));
		return;
	}
	cpns_info("%s: II-7 received verification code", a->who);
	if (a->self) {
		asg_self_verify(a, c->code);
		return;
	}
	ret = cpns_assign_verify(g->nl, a->did, c->code, &serial, &state);
	if (ret == -EBADMSG) {
		/* The kernel destroyed the Device Key. */
		a->key_held = false;
		asg_refuse(a, m->type, CPNS_WIRE_ERR_BAD_MAC,
			   "II-8: the server's verification code for device id %s does not match; Device Key destroyed",
			   hex(a->did, sizeof(a->did)));
		return;
	}
	if (ret) {
		asg_refuse(a, m->type, cpns_kernel_code(g->nl, ret, true),
			   "II-8 (ASSIGN_VERIFY): %s", cpns_last_error(g->nl));
		return;
	}
	cpns_info("%s: II-8 verification code matches: Device Key %s confirmed",
		  a->who, hex(a->did, sizeof(a->did)));
	gwd_uplink_put(&a->gw1->up, a->srv, gwd_try_server(&a->srv_try));
	a->srv = NULL;
	asg_offer(a);
}

static void srv_msg(struct gwd_link *l, void *owner,
		    const struct cpns_wire_msg *m)
{
	struct asg *a = owner;

	(void)l;
	a->kept = false;
	if (a->state == ASG_CHALLENGE && m->type == CPNS_WIRE_ASSIGN_CHALLENGE)
		srv_challenge(a, m);
	else if (a->state == ASG_CONFIRM &&
		 m->type == CPNS_WIRE_ASSIGN_CONFIRM)
		srv_confirm(a, m);
	else
		asg_refuse(a, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "the server sent %s, unexpected in flow II",
			   cpns_wire_type_name(m->type));
}

/*
 * A kept link ended before the server answered on it: the server closed
 * it meanwhile (its idle_timeout, a restart), which says nothing of how it
 * serves. Start again from II-1 on a new connection. True if so.
 */
static bool asg_stale(struct asg *a, const char *why)
{
	if (!a->kept)
		return false;
	cpns_info("%s: the kept link to %s had ended (%s): connecting again",
		  a->who, gwd_try_server(&a->srv_try)->str, why);
	if (a->srv) {
		gwd_link_close(a->srv);
		a->srv = NULL;
	}
	asg_begin(a, false);
	return true;
}

/*
 * The server failed flow II (failover.c): start it again at once on the
 * next server, if one is untried. Flow II restarts from II-1: the pending
 * Device Key of II-4, if any, is deleted first (the new server derives
 * another Device ID), so nothing of the failed flow is kept. True if so.
 */
static bool asg_failover(struct asg *a, const char *why)
{
	if (!gwd_try_failed(&a->srv_try, a->who, why))
		return false;
	a->srv = NULL;
	asg_drop_key(a);
	asg_start(a);
	return true;
}

static void srv_end(struct gwd_link *l, void *owner,
		    const struct gwd_end *why)
{
	struct asg *a = owner;
	char buf[CPNS_WIRE_ERRMSG_MAX + 64];

	a->srv = NULL;
	gwd_end_str(why, buf, sizeof(buf));
	if ((why->kind == GWD_END_CLOSED || why->kind == GWD_END_IOERR) &&
	    asg_stale(a, buf))
		return;
	if (gwd_end_failover(why) && asg_failover(a, buf))
		return;
	asg_abort(a, gwd_end_code(why), "flow II with the server %s: %s",
		  gwd_link_peer(l), buf);
}

static const struct gwd_link_ops srv_ops = {
	.connected = srv_connected,
	.msg = srv_msg,
	.end = srv_end,
};

/* Flow II for a on a kept link if may_keep and one is idle, else a new. */
static void asg_begin(struct asg *a, bool may_keep)
{
	struct gw1 *gw1 = a->gw1;
	struct gwd *g = gw1->g;
	const struct cpns_peer *server;
	char why[128];

	memcpy(a->sid, gw1->sid, sizeof(a->sid));
	a->state = ASG_CONNECT;
	server = gwd_try_peer(&a->srv_try, &g->conf.servers);
	a->srv = may_keep ? gwd_uplink_take(&gw1->up, server, &srv_ops, a) :
			    NULL;
	a->kept = a->srv != NULL;
	if (a->srv) {
		srv_connected(a->srv, a);
		return;
	}
	a->srv = gwd_link_connect(g, server, &srv_ops, a);
	if (a->srv)
		return;
	snprintf(why, sizeof(why), "cannot connect: %s", strerror(errno));
	if (!asg_failover(a, why))
		asg_abort(a, CPNS_WIRE_ERR_INTERNAL,
			  "flow II with the server %s: %s", server->str, why);
}

/* Flow II for a, now that there is a seed. */
static void asg_start(struct asg *a)
{
	asg_begin(a, true);
}

static bool name_allowed(const struct gwd_conf *conf, const char *name)
{
	size_t i;

	if (!conf->nallow)
		return true;
	for (i = 0; i < conf->nallow; i++)
		if (!fnmatch(conf->allow[i], name, 0))
			return true;
	return false;
}

static void gw2_msg(struct gwd_link *l, void *owner,
		    const struct cpns_wire_msg *m)
{
	struct asg *a = owner;
	struct gw1 *gw1 = a->gw1;
	struct gwd *g = gw1->g;
	const struct cpns_wire_key_request *ask = &m->assign_ask;

	if (a->state == ASG_PAIRING && m->type == CPNS_WIRE_DEVICE_PAIR &&
	    a->mode == CPNS_WIRE_CONFIRM_PAIRING) {
		gw2_pair(a, m);
		return;
	}
	if (a->state != ASG_ASK || m->type != CPNS_WIRE_ASSIGN_ASK) {
		cpns_warn("%s: sent %s, unexpected on the PN link now; sent ERROR 4 (unexpected)",
			  a->who, cpns_wire_type_name(m->type));
		gwd_link_fail(l, CPNS_WIRE_ERR_UNEXPECTED, m->type,
			      "%s is unexpected here",
			      cpns_wire_type_name(m->type));
		a->gw2 = NULL;
		asg_free(a);
		return;
	}
	snprintf(a->who, sizeof(a->who), "GW2 %s (%s)", ask->name.s,
		 gwd_link_peer(l));
	if (!name_allowed(&g->conf, ask->name.s)) {
		cpns_warn("%s: II-9 name not allowed by this gateway's policy; sent ERROR 12 (denied)",
			  a->who);
		gwd_link_fail(l, CPNS_WIRE_ERR_DENIED, m->type,
			      "name %s is not served here", ask->name.s);
		a->gw2 = NULL;
		asg_free(a);
		return;
	}
	/*
	 * A key of small order cannot receive the Device Key (the kernel
	 * refuses it at II-9's DEVICE_EXPORT): refuse it before flow II
	 * costs the server a challenge and this gateway a Device ID.
	 */
	if (cpns_wire_x25519_low_order(ask->pubkey)) {
		unsigned long long dropped;

		if (cpns_log_cause("GW2 low-order key", 1, &dropped))
			cpns_warn("%s: II-9 public key %s has small order (RFC 7748 6.1): sent ERROR 3 (malformed) before flow II (%llu more such GW2s in the last %u s not logged)",
				  a->who, hex(ask->pubkey, CPNS_PUBKEY_LEN),
				  dropped, CPNS_LOG_REPEAT_MS / 1000);
		gwd_link_fail(l, CPNS_WIRE_ERR_MALFORMED, m->type,
			      "the public key has small order");
		a->gw2 = NULL;
		asg_free(a);
		return;
	}
	memcpy(a->pub, ask->pubkey, sizeof(a->pub));
	if (ask->flags & CPNS_WIRE_ASSIGN_REPLACES) {
		a->replacing = true;
		memcpy(a->replaces, ask->replaces, sizeof(a->replaces));
		cpns_notice("%s: II-9 asks for a new Device ID and Key replacing device id %s (public key %s)",
			    a->who, hex(a->replaces, sizeof(a->replaces)),
			    hex(a->pub, sizeof(a->pub)));
	} else {
		cpns_info("%s: II-9 asks for a Device ID and Key (public key %s)",
			  a->who, hex(a->pub, sizeof(a->pub)));
	}
	/* GW2 waits ASK_TIMEOUT for the answer; do not hold it longer. */
	gwd_link_deadline(l, CPNS_DL_STEP, CPNS_WIRE_ASK_TIMEOUT * 1000);
	if (!gw1->have_seed) {
		a->state = ASG_SEED;
		cpns_info("%s: waiting for a Key Seed from the server", a->who);
		seed_fetch(gw1);
		return;
	}
	asg_start(a);
}

/*
 * A GW2 gone before II-9 is done: any host on the PN link can repeat it,
 * so the same line is logged at most GW1_ABANDON_BURST times a minute.
 */
static void gw2_abandoned(const struct asg *a, const char *why)
{
	unsigned long long dropped;

	if (!cpns_log_cause(why, GW1_ABANDON_BURST, &dropped))
		return;
	if (dropped)
		cpns_warn("%s: PN link: %s; assignment abandoned (%llu more in the last %u s not logged)",
			  a->who, why, dropped, CPNS_LOG_REPEAT_MS / 1000);
	else
		cpns_warn("%s: PN link: %s; assignment abandoned", a->who,
			  why);
}

static void gw2_end(struct gwd_link *l, void *owner,
		    const struct gwd_end *why)
{
	struct asg *a = owner;
	char buf[CPNS_WIRE_ERRMSG_MAX + 64];

	(void)l;
	a->gw2 = NULL;
	gwd_end_str(why, buf, sizeof(buf));
	if (a->state == ASG_DONE && why->kind == GWD_END_CLOSED)
		cpns_debug("%s: PN link closed after II-9", a->who);
	else if (a->state == ASG_DONE)
		cpns_warn("%s: after II-9: %s", a->who, buf);
	else if (a->state == ASG_ASK && why->kind == GWD_END_CLOSED)
		cpns_debug("%s: closed without asking", a->who);
	else if (a->state == ASG_PAIRING && why->kind == GWD_END_TIMEOUT)
		cpns_warn("%s: II-9 not confirmed within confirm_timeout (%u s): transfer abandoned, Device Key not sent; sent ERROR 13 (timeout)",
			  a->who, a->gw1->g->conf.confirm_ms / 1000);
	else if (a->state == ASG_PAIRING)
		cpns_warn("%s: PN link before the confirmation: %s; transfer abandoned, Device Key not sent",
			  a->who, buf);
	else
		gw2_abandoned(a, buf);
	asg_free(a);
}

static const struct gwd_link_ops gw2_ops = {
	.msg = gw2_msg,
	.end = gw2_end,
};

static void asg_new(struct gw1 *gw1, int fd, const char *peer)
{
	struct gwd *g = gw1->g;
	struct asg *a = calloc(1, sizeof(*a));

	if (!a) {
		cpns_err("GW2 %s: out of memory; closing", peer);
		close(fd);
		return;
	}
	a->gw1 = gw1;
	a->state = ASG_ASK;
	snprintf(a->who, sizeof(a->who), "GW2 %s", peer);
	a->gw2 = gwd_link_accept(g, fd, peer, &gw2_ops, a);
	if (!a->gw2) {
		cpns_err("GW2 %s: %s; closing", peer, strerror(errno));
		free(a);
		return;
	}
	gwd_link_deadline(a->gw2, CPNS_DL_IDLE, g->conf.idle_ms);
	a->next = gw1->asgs;
	if (gw1->asgs)
		gw1->asgs->prev = a;
	gw1->asgs = a;
	gw1->nasg++;
	cpns_debug("GW2 %s: connected to the PN link", peer);
}

void gwd_secure_adopt(struct gwd *g, int fd, const char *peer)
{
	asg_new(g->role, fd, peer);
}

static void listen_io(struct cpns_loop *loop, struct cpns_watch *w,
		      uint32_t events)
{
	struct gw1 *gw1 = w->arg;
	struct gwd *g = gw1->g;
	char peer[CPNS_ADDR_STRLEN];
	int fd;

	(void)loop;
	(void)events;
	while (gw1->accepting) {
		if (gw1->nasg >= g->conf.max_clients) {
			cpns_warn("max_clients (%u) GW2s connected; accepting no more for now",
				  g->conf.max_clients);
			accept_set(gw1, false);
			return;
		}
		fd = cpns_accept(w->fd, peer, sizeof(peer));
		if (fd == -EAGAIN)
			return;
		if (fd == -ECONNABORTED || fd == -EINTR)
			continue;
		if (fd < 0) {
			cpns_err("accept on the PN link: %s; pausing",
				 strerror(-fd));
			accept_set(gw1, false);
			if (cpns_timer_arm(g->loop, &gw1->accept_timer,
					   cpns_now_ms() + GW1_ACCEPT_PAUSE_MS))
				accept_set(gw1, true);
			return;
		}
		asg_new(gw1, fd, peer);
	}
}

/* ------------------------------------------------------------ control */

static const char *asg_state_name(const struct asg *a)
{
	switch (a->state) {
	case ASG_ASK:
		return "asked";
	case ASG_SEED:
		return "waiting-seed";
	case ASG_CONNECT:
	case ASG_CHALLENGE:
	case ASG_CONFIRM:
		return "flow-II";
	case ASG_PAIRING:
		return a->mode == CPNS_WIRE_CONFIRM_PAIRING ?
		       "waiting-pair-mac" : "waiting-operator";
	default:
		return "sent";
	}
}

/* cpnsctl pair list: the assignments in II-9 (GW1's code is not shown: the
 * operator must read GW2's).
 */
static void gw1_ctl_list(struct gwd *g, struct cpns_ctl_reply *r)
{
	struct gw1 *gw1 = g->role;
	uint64_t now = cpns_now_ms(), end;
	struct asg *a;
	char id[16];

	for (a = gw1->asgs; a; a = a->next) {
		if (a->state != ASG_PAIRING)
			continue;
		snprintf(id, sizeof(id), "%u", a->pair_id);
		end = a->offered_ms + g->conf.confirm_ms;
		gwd_ctl_pair(r, a->pair_id ? id : "-", asg_state_name(a),
			     a->who, gwd_link_peer(a->gw2), a->did, a->mode,
			     "-", now - a->offered_ms, end > now ? end - now : 0);
	}
}

/*
 * cpnsctl seed rotate: flow I now, though GW1 has a seed; the server
 * retires the old one (protocol.rst, "Seed rotation").
 */
static void gw1_ctl_rotate(struct gwd *g, struct cpns_ctl_reply *r)
{
	struct gw1 *gw1 = g->role;

	if (gw1->seed_link) {
		cpns_ctl_printf(r, "error flow I is running already\n");
		return;
	}
	cpns_notice("the operator asks for a new Key Seed (rotation)%s%s",
		    gw1->have_seed ? "; current " : "",
		    gw1->have_seed ? hex(gw1->sid, CPNS_SEED_ID_LEN) : "");
	cpns_timer_disarm(g->loop, &gw1->seed_timer);
	gwd_backoff_reset(&gw1->seed_bo);
	seed_fetch(gw1);
	if (gw1->seed_link)
		cpns_ctl_printf(r, "ok flow I started with %s\n",
				g->conf.servers.peer[gw1->seed_try.idx].str);
	else
		cpns_ctl_printf(r, "error cannot start flow I (see the log)\n");
}

/*
 * cpnsctl pair confirm ID CODE (code) or reject ID (code NULL). The
 * kernel compares the code (XFER_RELEASE): GW1 never knows its own before.
 */
static void gw1_ctl_decide(struct gwd *g, uint32_t id, const char *code,
			   struct cpns_ctl_reply *r)
{
	struct cpns_proof proof = { .kind = CPNS_PROOF_CODE };
	struct gw1 *gw1 = g->role;
	char mine[GWD_CODE_DIGITS + 1];
	struct asg *a;
	int ret;

	for (a = gw1->asgs; a; a = a->next)
		if (a->state == ASG_PAIRING && a->pair_id == id &&
		    a->mode == CPNS_WIRE_CONFIRM_OPERATOR)
			break;
	if (!a) {
		cpns_ctl_printf(r, "error no transfer %u waits for the operator (cpnsctl pair list)\n",
				id);
		return;
	}
	if (!code) {
		cpns_ctl_printf(r, "ok transfer %u rejected; GW2 told, nothing sent\n",
				id);
		asg_abort(a, CPNS_WIRE_ERR_DENIED,
			  "II-9 transfer %u rejected by the operator; Device Key not sent",
			  id);
		return;
	}
	ret = gwd_code_parse(code, &proof.code) ? asg_release(a, &proof) :
	      -EBADMSG;
	if (ret == -EBADMSG) {
		cpns_ctl_printf(r, "error transfer %u: the code differs from GW1's: transfer aborted, nothing sent (a man in the middle on the PN link, or a typing error: ask again)\n",
				id);
		asg_abort(a, CPNS_WIRE_ERR_BAD_MAC,
			  "II-9 transfer codes differ: the operator typed a code that is not GW1's (a man in the middle on the PN link?); Device Key not sent");
		return;
	}
	if (ret) {
		cpns_ctl_printf(r, "error transfer %u: the kernel refused the release: %s\n",
				id, cpns_last_error(g->nl));
		asg_abort(a, cpns_kernel_code(g->nl, ret, true),
			  "II-9 (XFER_RELEASE): %s", cpns_last_error(g->nl));
		return;
	}
	gwd_code_str(a->code, mine);
	if (asg_transfer(a, "confirmed by the operator"))
		cpns_ctl_printf(r, "error transfer %u confirmed, but DEVICE_TRANSFER could not be sent (see the log)\n",
				id);
	else
		cpns_ctl_printf(r, "ok transfer %u confirmed: code %s; Device Key sent\n",
				id, mine);
}

/* ------------------------------------------------------------ flow I */

static void seed_ready(struct gw1 *gw1)
{
	struct asg *a, *next;

	for (a = gw1->asgs; a; a = next) {
		next = a->next;		/* asg_start() may free a */
		if (a->state == ASG_SEED)
			asg_start(a);
	}
}

static void seed_xfer_free(struct gw1 *gw1)
{
	if (!gw1->xfer_live)
		return;
	gw1->xfer_live = false;
	/* Gone already if the kernel consumed or expired it. */
	cpns_session_del(gw1->g->nl, gw1->xfer);
}

/* Does an assignment wait for a seed? */
static bool seed_wanted(const struct gw1 *gw1)
{
	const struct asg *a;

	for (a = gw1->asgs; a; a = a->next)
		if (a->state == ASG_SEED)
			return true;
	return false;
}

/* Flow I failed: try again later (or give up with --once). */
static void seed_retry(struct gw1 *gw1, const char *fmt, ...)
	CPNS_PRINTF(2, 3);
static void seed_retry(struct gw1 *gw1, const char *fmt, ...)
{
	struct gwd *g = gw1->g;
	char text[CPNS_WIRE_ERRMSG_MAX + 64];
	unsigned int ms;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	seed_xfer_free(gw1);
	gw1->seed_link = NULL;
	if (g->once) {
		cpns_err("flow I failed: %s", text);
		gwd_exit(g, 1);
		return;
	}
	if (gw1->embedded && !seed_wanted(gw1)) {
		cpns_warn("flow I failed: %s", text);
		return;
	}
	ms = gwd_backoff_next(&gw1->seed_bo);
	cpns_warn("flow I failed: %s; retrying in %u.%03u s", text,
		  ms / 1000, ms % 1000);
	if (cpns_timer_arm(g->loop, &gw1->seed_timer, cpns_now_ms() + ms)) {
		cpns_err("out of memory for a timer");
		gwd_exit(g, 1);
	}
}

/*
 * Rotation: the server retired seed sid (and its devices) from time at.
 * GW1 retires its copy with the same end (KEY_RETIRE) and assigns under
 * the new seed from now on.
 */
static void seed_retire(struct gw1 *gw1, const uint8_t sid[CPNS_SEED_ID_LEN],
			uint64_t at)
{
	struct gwd *g = gw1->g;
	uint64_t now = (uint64_t)time(NULL), expiry;
	uint32_t count;
	int32_t serial;
	int ret;

	if (!memcmp(sid, gw1->sid, CPNS_SEED_ID_LEN)) {
		cpns_warn("I-3 the server retires the seed it just sent (%s): ignored",
			  hex(sid, CPNS_SEED_ID_LEN));
		return;
	}
	ret = cpns_key_retire(g->nl, sid, at > now ? (uint32_t)(at - now) : 0,
			      &serial, &expiry, &count);
	if (ret == -ENOKEY) {
		cpns_notice("I-3 the server retires Key Seed %s at %llu; it is not in this keyring",
			    hex(sid, CPNS_SEED_ID_LEN),
			    (unsigned long long)at);
		return;
	}
	if (ret) {
		cpns_err("I-3 the server retires Key Seed %s at %llu, but KEY_RETIRE failed here: %s",
			 hex(sid, CPNS_SEED_ID_LEN), (unsigned long long)at,
			 cpns_last_error(g->nl));
		return;
	}
	cpns_notice("I-3 rotation: Key Seed %s (serial %d) retires at %llu (%u keys); new assignments use %s",
		    hex(sid, CPNS_SEED_ID_LEN), serial,
		    (unsigned long long)expiry, count,
		    hex(gw1->sid, CPNS_SEED_ID_LEN));
}

static void seed_connected(struct gwd_link *l, void *owner)
{
	struct gw1 *gw1 = owner;
	struct gwd *g = gw1->g;
	struct cpns_wire_msg m = { .type = CPNS_WIRE_SEED_REQUEST };
	int ret;

	ret = cpns_xfer_new(g->nl, &gw1->xfer, m.seed_request.pubkey);
	if (ret) {
		gwd_link_close(l);
		seed_retry(gw1, "I-1 (XFER_NEW): %s", cpns_last_error(g->nl));
		return;
	}
	gw1->xfer_live = true;
	cpns_wire_name_set(&m.seed_request.name, g->conf.name);
	if (g->conf.seed_pairing.set) {
		struct cpns_keyref key = {
			.type = g->conf.seed_pairing.type,
			.desc = g->conf.seed_pairing.desc,
		};

		/* The kernel MACs its own key: S's kernel seals only to it. */
		ret = cpns_xfer_accept(g->nl, gw1->xfer, CPNS_KEY_SEED, &key,
				       m.seed_request.proof);
		if (ret) {
			gwd_link_close(l);
			seed_retry(gw1, "I-1 (XFER_ACCEPT with seed_pairing_key %s:%s): %s",
				   key.type, key.desc, cpns_last_error(g->nl));
			return;
		}
		m.seed_request.flags = CPNS_WIRE_SEED_PROOF;
	}
	if (gwd_link_send(l, &m)) {
		gwd_link_close(l);
		seed_retry(gw1, "cannot send SEED_REQUEST");
		return;
	}
	gwd_link_deadline(l, CPNS_DL_STEP, g->conf.step_ms);
	cpns_info("I-1 sent seed request to %s as %s (public key %s%s)",
		  gwd_link_peer(l), g->conf.name,
		  hex(m.seed_request.pubkey, CPNS_PUBKEY_LEN),
		  m.seed_request.flags ? ", with the receiver MAC" :
		  "; no seed_pairing_key: the server's kernel cannot accept it");
}

static void seed_msg(struct gwd_link *l, void *owner,
		     const struct cpns_wire_msg *m)
{
	struct gw1 *gw1 = owner;
	struct gwd *g = gw1->g;
	const struct cpns_wire_seed_response *r = &m->seed_response;
	uint32_t code;
	int32_t serial;
	unsigned int ecode;
	int ret;

	if (m->type != CPNS_WIRE_SEED_RESPONSE) {
		gwd_link_fail(l, CPNS_WIRE_ERR_UNEXPECTED, m->type,
			      "%s is unexpected in flow I",
			      cpns_wire_type_name(m->type));
		seed_retry(gw1, "the server sent %s; sent ERROR 4 (unexpected)",
			   cpns_wire_type_name(m->type));
		return;
	}
	cpns_info("I-3 received Key Seed %s (sealed) from %s",
		  hex(r->sid, sizeof(r->sid)), gwd_link_peer(l));
	ret = cpns_seed_import(g->nl, gw1->xfer, r->sid, r->pubkey, r->wrapped,
			       g->conf.seed_timeout, &serial, &code);
	if (ret) {
		ecode = cpns_kernel_code(g->nl, ret, false);
		gwd_link_fail(l, ecode, m->type, "SEED_IMPORT: %s",
			      cpns_last_error(g->nl));
		seed_retry(gw1, "I-3 (SEED_IMPORT): %s; sent ERROR %u (%s)",
			   cpns_last_error(g->nl), ecode,
			   cpns_wire_code_name(ecode));
		return;
	}
	gw1->xfer_live = false;		/* consumed */
	gwd_link_close(l);
	gw1->seed_link = NULL;
	memcpy(gw1->sid, r->sid, sizeof(gw1->sid));
	gw1->have_seed = true;
	gwd_backoff_reset(&gw1->seed_bo);
	gwd_try_ok(&gw1->seed_try);
	cpns_notice("I-3 stored Key Seed %s (serial %d); transfer code %06u (compare with the server's)",
		    hex(r->sid, sizeof(r->sid)), serial, code);
	if (r->retire_at)
		seed_retire(gw1, r->retired_sid, r->retire_at);
	if (g->once && !gw1->embedded) {
		gwd_exit(g, 0);
		return;
	}
	seed_ready(gw1);
}

/*
 * The server failed flow I: start it again at once on the next server, if
 * one is untried (failover.c). The key pair of I-1 is deleted first: the
 * next I-1 makes another. True if so.
 */
static bool seed_failover(struct gw1 *gw1, const char *why)
{
	if (!gwd_try_failed(&gw1->seed_try, "flow I", why))
		return false;
	seed_xfer_free(gw1);
	gw1->seed_link = NULL;
	seed_fetch(gw1);
	return true;
}

static void seed_end(struct gwd_link *l, void *owner,
		     const struct gwd_end *why)
{
	struct gw1 *gw1 = owner;
	char buf[CPNS_WIRE_ERRMSG_MAX + 64];

	gwd_end_str(why, buf, sizeof(buf));
	if (gwd_end_failover(why) && seed_failover(gw1, buf))
		return;
	seed_retry(gw1, "server %s: %s", gwd_link_peer(l), buf);
}

static const struct gwd_link_ops seed_ops = {
	.connected = seed_connected,
	.msg = seed_msg,
	.end = seed_end,
};

/* Start flow I unless it is running or waiting to retry. */
static void seed_fetch(struct gw1 *gw1)
{
	struct gwd *g = gw1->g;
	const struct cpns_peer *server;
	char why[128];

	if (gw1->seed_link || cpns_timer_armed(&gw1->seed_timer))
		return;
	server = gwd_try_peer(&gw1->seed_try, &g->conf.servers);
	cpns_info("I-1 connecting to the server %s for a Key Seed",
		  server->str);
	gw1->seed_link = gwd_link_connect(g, server, &seed_ops, gw1);
	if (gw1->seed_link)
		return;
	snprintf(why, sizeof(why), "cannot connect: %s", strerror(errno));
	if (!seed_failover(gw1, why))
		seed_retry(gw1, "cannot connect to %s: %s", server->str,
			   strerror(errno));
}

static void seed_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	(void)loop;
	seed_fetch(t->arg);
}

/* ------------------------------------------------------------ start, stop */

/* The state, with the seed this namespace holds; 0 or <0 (logged). */
static int gw1_init(struct gwd *g, struct gw1 *gw1)
{
	struct gwd_conf *conf = &g->conf;
	unsigned int nseeds;
	int ret;

	gw1->g = g;
	gwd_uplinks_init(&gw1->up, conf->server_links, conf->server_idle_ms);
	cpns_timer_init(&gw1->seed_timer, seed_timer, gw1);
	cpns_timer_init(&gw1->accept_timer, accept_resume, gw1);
	gwd_backoff_init(&gw1->seed_bo, conf->reconnect_min_ms,
			 conf->reconnect_max_ms);

	ret = gwd_find_seed(g->nl, gw1->sid, &nseeds);
	if (ret < 0) {
		cpns_err("cannot list the keys of this namespace: %s",
			 cpns_last_error(g->nl));
		return ret;
	}
	gw1->have_seed = ret;
	if (gw1->have_seed)
		cpns_notice("using Key Seed %s from this namespace's keyring%s",
			    hex(gw1->sid, sizeof(gw1->sid)),
			    nseeds > 1 ? " (the longest-lived of several)" : "");
	else
		cpns_notice("no Key Seed of role gw1 in this namespace's keyring");
	return 0;
}

static int gw1_start(struct gwd *g)
{
	struct gwd_conf *conf = &g->conf;
	struct gw1 *gw1 = calloc(1, sizeof(*gw1));
	size_t i;
	int ret;

	if (!gw1)
		return -ENOMEM;
	g->role = gw1;
	ret = gw1_init(g, gw1);
	if (ret)
		return ret;

	if (g->once) {
		if (gw1->have_seed)
			gwd_exit(g, 0);
		else
			seed_fetch(gw1);
		return 0;
	}

	for (i = 0; i < conf->nlisten; i++) {
		ret = cpns_listen((const struct sockaddr *)&conf->listen[i].ss,
				  conf->listen[i].len, GW1_BACKLOG);
		if (ret < 0) {
			cpns_err("cannot listen on %s: %s", conf->listen[i].str,
				 strerror(-ret));
			return ret;
		}
		gw1->lfd[gw1->nlfd++] = ret;
		cpns_notice("listening for GW2s on %s", conf->listen[i].str);
	}
	accept_set(gw1, true);
	if (!gw1->have_seed)
		seed_fetch(gw1);
	return 0;
}

static void gw1_free(struct gw1 *gw1)
{
	struct gwd *g = gw1->g;
	size_t i;

	gw1->stopping = true;
	while (gw1->asgs)
		asg_free(gw1->asgs);
	gwd_uplinks_close(&gw1->up);
	accept_set(gw1, false);
	for (i = 0; i < gw1->nlfd; i++)
		close(gw1->lfd[i]);
	cpns_timer_disarm(g->loop, &gw1->accept_timer);
	cpns_timer_disarm(g->loop, &gw1->seed_timer);
	if (gw1->seed_link)
		gwd_link_close(gw1->seed_link);
	seed_xfer_free(gw1);
	cpns_notice("stopped; %llu Device IDs assigned in this run",
		    (unsigned long long)gw1->assigned);
	free(gw1);
}

static void gw1_stop(struct gwd *g)
{
	if (!g->role)
		return;
	gw1_free(g->role);
	g->role = NULL;
}

/* ------------------------------------------------------------ changing */

struct gw1 *gwd_gw1_new(struct gwd *g)
{
	struct gw1 *gw1 = calloc(1, sizeof(*gw1));

	if (!gw1) {
		cpns_err("out of memory");
		return NULL;
	}
	gw1->embedded = true;
	if (gw1_init(g, gw1)) {
		free(gw1);
		return NULL;
	}
	return gw1;
}

void gwd_gw1_free(struct gw1 *gw1)
{
	gw1_free(gw1);
}

int gwd_gw1_self_assign(struct gw1 *gw1, gwd_self_done_fn *done, void *arg)
{
	struct asg *a;

	gwd_gw1_self_cancel(gw1);
	a = calloc(1, sizeof(*a));
	if (!a) {
		cpns_err("out of memory for a self-assignment");
		return -1;
	}
	a->gw1 = gw1;
	a->self = true;
	a->done = done;
	a->done_arg = arg;
	snprintf(a->who, sizeof(a->who), "self-assignment of %s",
		 gw1->g->conf.name);
	a->next = gw1->asgs;
	if (gw1->asgs)
		gw1->asgs->prev = a;
	gw1->asgs = a;
	gw1->nasg++;
	cpns_notice("no Device Key: assigning itself on the secure WAN (flow II with %s, no II-9)",
		    gw1->g->conf.servers.peer[gw1->g->conf.servers.cur].str);
	if (gw1->have_seed) {
		asg_start(a);
	} else {
		a->state = ASG_SEED;
		seed_fetch(gw1);
	}
	return 0;
}

void gwd_gw1_self_cancel(struct gw1 *gw1)
{
	struct asg *a, *next;

	for (a = gw1->asgs; a; a = next) {
		next = a->next;
		if (a->self)
			asg_free(a);
	}
}

const struct gwd_role_ops gwd_secure_ops = {
	.name = "secure (GW1)",
	.start = gw1_start,
	.stop = gw1_stop,
	.ctl_list = gw1_ctl_list,
	.ctl_decide = gw1_ctl_decide,
	.ctl_rotate = gw1_ctl_rotate,
};
