// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The nonsecure role (GW2, on a non-secure WAN; Documentation/protocol.rst
 * 9.4 and 9.5).
 *
 * Without a Device Key, GW2 asks GW1: XFER_NEW makes an X25519 pair in the
 * kernel, ASSIGN_ASK carries its public key; GW1 answers DEVICE_OFFER with
 * its own, from which XFER_CODE gives the comparison code that GW2 shows
 * for the operator to type on GW1 (or, with a pairing key, XFER_PAIR the
 * MAC that GW2 sends as DEVICE_PAIR); once confirmed, DEVICE_IMPORT opens
 * the DEVICE_TRANSFER into the keyring (II-9), and with a store the key is
 * wrapped and stored before anything else. With one, it authenticates with
 * the server (a-0 AUTH_BEGIN, a-1 AUTH_CLIENT, a-4 AUTH_FINISH) and then
 * sends a STATUS_REPORT every report_interval, SEALed under k_c2s, and
 * checks that each STATUS_ACK opens under k_s2c, is new, and names its
 * oldest unacknowledged report.
 *
 * Any failure ends the connection (with ERROR when GW2 refused something)
 * and GW2 starts again after a bounded, jittered, exponential delay: from
 * II-9 if it has no usable Device Key, else from a-0. The delay returns to
 * its minimum once a session has carried a report and its ack. GW2 never
 * drops its Device Key on a peer's word (an ERROR is not authenticated):
 * only its own kernel saying that the key is gone sends it back to GW1.
 *
 * The changing role (changing.c) runs the same machine (gwd_gw2_new()):
 * its flow a goes to the server's address on the WAN it is on
 * (gwd_server()), and where GW2 would ask GW1 it assigns itself
 * (gwd_cm_need_key()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gwd.h"
#include "kcode.h"
#include "keyops.h"

#define GW2_UNACKED_MAX		64

enum gw2_state {
	GW2_WAIT,		/* retry timer armed */
	GW2_ASK_CONNECT,	/* II-9: connecting to GW1 */
	GW2_ASK,		/* ASSIGN_ASK sent; DEVICE_OFFER expected */
	GW2_TRANSFER,		/* code shown; DEVICE_TRANSFER expected */
	GW2_SELF,		/* changing: assigning itself (changing.c) */
	GW2_AUTH_CONNECT,	/* a-0: connecting to the server */
	GW2_AUTH_CHALLENGE,	/* AUTH_HELLO sent; AUTH_CHALLENGE expected */
	GW2_AUTH_SERVER,	/* AUTH_CLIENT sent; AUTH_SERVER expected */
	GW2_SESSION,		/* sealed signalling */
	GW2_DONE,		/* --once finished */
};

struct gw2 {
	struct gwd *g;
	int state;			/* enum gw2_state */
	bool have_device;
	uint8_t did[CPNS_DEVICE_ID_LEN];
	bool reassign;			/* II-9 replaces @did (the operator) */
	struct gwd_link *link;		/* to GW1 or to the server */
	uint32_t xfer;			/* II-9 key pair */
	bool xfer_live;
	uint8_t xfer_pub[CPNS_PUBKEY_LEN];	/* its public key */
	/* II-9: GW1's DEVICE_OFFER */
	uint8_t offer_did[CPNS_DEVICE_ID_LEN];
	uint8_t offer_pub[CPNS_PUBKEY_LEN];
	int offer_mode;
	uint32_t offer_code;
	uint64_t offer_ms;
	uint32_t handle;		/* a-flow, then session */
	bool handle_live;
	uint8_t nc[CPNS_NONCE_LEN];
	struct cpns_rekey rk;		/* a-flow re-key values (public) */
	int64_t stored_gen;		/* generation in the store, -1: none */
	struct cpns_timer retry_timer;
	struct cpns_timer report_timer;
	struct gwd_backoff bo;
	struct gwd_try srv_try;		/* flow a: which server */
	uint64_t unacked[GW2_UNACKED_MAX];	/* seqs of reports, FIFO */
	unsigned int ack_head, nunacked;
	uint64_t reports, acks;		/* in this session */
	uint64_t total_acks;
	uint64_t started_ms;
};

static void ask_start(struct gw2 *gw2);
static void auth_start(struct gw2 *gw2);
static bool gw2_failover(struct gw2 *gw2, const char *why);

static const char *hex(const void *p, size_t len)
{
	return cpns_log_hex(p, len);
}

/* Free what the kernel holds for the current flow. */
static void gw2_release(struct gw2 *gw2)
{
	struct cpns_nl *nl = gw2->g->nl;

	if (gw2->xfer_live)
		cpns_session_del(nl, gw2->xfer);
	if (gw2->handle_live)
		cpns_session_del(nl, gw2->handle);
	gw2->xfer_live = false;
	gw2->handle_live = false;
	gw2->nunacked = 0;
	cpns_timer_disarm(gw2->g->loop, &gw2->report_timer);
}

/*
 * The current flow failed (its link is already detached or closed): log,
 * release, and start again after a delay, or end --once with status 1.
 */
static void gw2_retry(struct gw2 *gw2, const char *fmt, ...)
	CPNS_PRINTF(2, 3);
static void gw2_retry(struct gw2 *gw2, const char *fmt, ...)
{
	struct gwd *g = gw2->g;
	char text[CPNS_WIRE_ERRMSG_MAX + 128];
	unsigned int ms;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	gw2->link = NULL;
	gw2_release(gw2);
	if (gw2->reassign && gw2->have_device) {
		cpns_warn("re-assignment of device id %s failed: it stays in use (cpnsctl device reassign asks again)",
			  hex(gw2->did, sizeof(gw2->did)));
		gw2->reassign = false;
	}
	gw2->state = GW2_WAIT;
	if (g->once) {
		cpns_err("%s", text);
		gw2->state = GW2_DONE;
		gwd_exit(g, 1);
		return;
	}
	ms = gwd_backoff_next(&gw2->bo);
	cpns_warn("%s; retrying in %u.%03u s", text, ms / 1000, ms % 1000);
	if (cpns_timer_arm(g->loop, &gw2->retry_timer, cpns_now_ms() + ms)) {
		cpns_err("out of memory for a timer");
		gwd_exit(g, 1);
	}
}

/* Refuse what the peer sent (ERROR code to it), then retry. */
static void gw2_refuse(struct gw2 *gw2, unsigned int ref_type,
		       unsigned int code, const char *fmt, ...)
	CPNS_PRINTF(4, 5);
static void gw2_refuse(struct gw2 *gw2, unsigned int ref_type,
		       unsigned int code, const char *fmt, ...)
{
	char text[CPNS_WIRE_ERRMSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	gwd_link_fail(gw2->link, code, ref_type, "%s", text);
	gw2_retry(gw2, "%s; sent ERROR %u (%s)", text, code,
		  cpns_wire_code_name(code));
}

static void gw2_end(struct gwd_link *l, void *owner,
		    const struct gwd_end *why)
{
	struct gw2 *gw2 = owner;
	char buf[CPNS_WIRE_ERRMSG_MAX + 64];
	const char *what;

	switch (gw2->state) {
	case GW2_ASK_CONNECT:
	case GW2_ASK:
		what = "II-9 with GW1";
		break;
	case GW2_TRANSFER:
		gw2_retry(gw2, "II-9 with GW1 %s: %s; nothing imported",
			  gwd_link_peer(l), gwd_end_str(why, buf, sizeof(buf)));
		return;
	case GW2_SESSION:
		what = "session with the server";
		break;
	default:
		what = "a-flow with the server";
		if (why->kind == GWD_END_PEER_ERROR && gw2->have_device &&
		    gwd_cm_refused(gw2->g, gw2->did, why->code)) {
			/* A CM device on the secure WAN: assign afresh. */
			gw2->link = NULL;
			gw2_release(gw2);
			gw2->have_device = false;
			ask_start(gw2);
			return;
		}
		break;
	}
	gwd_end_str(why, buf, sizeof(buf));
	if (gw2->state >= GW2_AUTH_CONNECT && gw2->state <= GW2_SESSION &&
	    gwd_end_failover(why) && gw2_failover(gw2, buf))
		return;
	gw2_retry(gw2, "%s %s: %s", what, gwd_link_peer(l), buf);
}

/* ------------------------------------------------------------ II-9 */

static void ask_connected(struct gwd_link *l, void *owner)
{
	struct gw2 *gw2 = owner;
	struct gwd *g = gw2->g;
	struct cpns_wire_msg m = { .type = CPNS_WIRE_ASSIGN_ASK };
	int ret;

	ret = cpns_xfer_new(g->nl, &gw2->xfer, m.assign_ask.pubkey);
	if (ret) {
		gw2_refuse(gw2, 0, cpns_kernel_code(g->nl, ret, false),
			   "II-9 (XFER_NEW): %s", cpns_last_error(g->nl));
		return;
	}
	gw2->xfer_live = true;
	memcpy(gw2->xfer_pub, m.assign_ask.pubkey, sizeof(gw2->xfer_pub));
	cpns_wire_name_set(&m.assign_ask.name, g->conf.name);
	if (gw2->reassign) {
		m.assign_ask.flags = CPNS_WIRE_ASSIGN_REPLACES;
		memcpy(m.assign_ask.replaces, gw2->did, sizeof(gw2->did));
	}
	if (gwd_link_send(l, &m)) {
		gw2_refuse(gw2, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot send ASSIGN_ASK");
		return;
	}
	gwd_link_deadline(l, CPNS_DL_STEP, g->conf.ask_ms);
	gw2->state = GW2_ASK;
	cpns_info("II-9 sent assign ask to GW1 %s as %s (public key %s)%s%s",
		  gwd_link_peer(l), g->conf.name,
		  hex(m.assign_ask.pubkey, CPNS_PUBKEY_LEN),
		  gw2->reassign ? ", replacing device id " : "",
		  gw2->reassign ? hex(gw2->did, sizeof(gw2->did)) : "");
}

/* II-9: GW1's public key. Show the code; with a pairing key, prove it. */
static void ask_offer(struct gw2 *gw2, const struct cpns_wire_msg *m)
{
	struct gwd *g = gw2->g;
	const struct cpns_wire_device_offer *o = &m->device_offer;
	struct cpns_wire_msg out = { .type = CPNS_WIRE_DEVICE_PAIR };
	char code[GWD_CODE_DIGITS + 1];
	int ret;

	if (o->mode == CPNS_WIRE_CONFIRM_PAIRING && !g->conf.pairing.set) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_DENIED,
			   "II-9: GW1 confirms by a pairing key, and this gateway has no pairing_key");
		return;
	}
	ret = gwd_xfer_code(g->nl, gw2->xfer, o->did, o->pubkey,
			    &gw2->offer_code);
	if (ret) {
		gw2_refuse(gw2, m->type, cpns_kernel_code(g->nl, ret, true),
			   "II-9 (XFER_CODE): %s", cpns_last_error(g->nl));
		return;
	}
	memcpy(gw2->offer_did, o->did, sizeof(gw2->offer_did));
	memcpy(gw2->offer_pub, o->pubkey, sizeof(gw2->offer_pub));
	gw2->offer_mode = o->mode;
	gw2->offer_ms = cpns_now_ms();
	gwd_code_str(gw2->offer_code, code);
	if (o->mode == CPNS_WIRE_CONFIRM_OPERATOR) {
		gw2->state = GW2_TRANSFER;
		cpns_notice("II-9 transfer code %s for device id %s: confirm it on GW1 (cpnsctl pair confirm ID %s)",
			    code, hex(o->did, CPNS_DEVICE_ID_LEN), code);
		return;
	}
	ret = gwd_xfer_pair(g->nl, &g->conf.pairing, gw2->xfer, o->did,
			    o->pubkey, gw2->xfer_pub, out.device_pair.mac);
	if (ret) {
		gw2_refuse(gw2, m->type, cpns_kernel_code(g->nl, ret, true),
			   "II-9 (XFER_PAIR with pairing_key %s:%s): %s",
			   g->conf.pairing.type, g->conf.pairing.desc,
			   cpns_last_error(g->nl));
		return;
	}
	if (gwd_link_send(gw2->link, &out)) {
		gw2_refuse(gw2, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot send DEVICE_PAIR");
		return;
	}
	gw2->state = GW2_TRANSFER;
	cpns_notice("II-9 transfer code %s for device id %s; sent the pairing MAC",
		    code, hex(o->did, CPNS_DEVICE_ID_LEN));
}

/* II-9, confirmed: open the Device Key, store it, then flow a. */
/* After II-9, before the PN connection closes: a key the next start
 * cannot find is lost.
 */
static void ask_store(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;

	gw2->stored_gen = -1;
	if (g->conf.store && gwd_store_save(g, gw2->did, 0))
		cpns_err("the Device Key of device id %s is in the kernel but not in %s: a restart after a reboot will not have it",
			 hex(gw2->did, sizeof(gw2->did)), g->conf.store);
	else if (g->conf.store)
		gw2->stored_gen = 0;
}

static void ask_did_file(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;
	int ret;

	if (!g->conf.device_id_file)
		return;
	ret = gwd_did_write(g->conf.device_id_file, gw2->did);
	if (ret)
		cpns_err("cannot write %s: %s; the next start will not find this Device ID",
			 g->conf.device_id_file, strerror(-ret));
}

static void ask_transfer(struct gw2 *gw2, const struct cpns_wire_msg *m)
{
	struct gwd *g = gw2->g;
	const struct cpns_wire_device_transfer *t = &m->device_transfer;
	char c1[GWD_CODE_DIGITS + 1], c2[GWD_CODE_DIGITS + 1];
	struct gwd_link *l = gw2->link;
	uint32_t code;
	int32_t serial;
	int ret;

	if (memcmp(t->did, gw2->offer_did, sizeof(t->did)) ||
	    memcmp(t->pubkey, gw2->offer_pub, sizeof(t->pubkey))) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "II-9: DEVICE_TRANSFER is not for the device id and public key GW1 offered");
		return;
	}
	cpns_info("II-9 received device id %s and its sealed Device Key from GW1 %s",
		  hex(t->did, sizeof(t->did)), gwd_link_peer(l));
	ret = cpns_device_import_replacing(g->nl, gw2->xfer, t->did,
					   t->pubkey, t->wrapped,
					   g->conf.key_timeout,
					   gw2->reassign ? gw2->did : NULL,
					   &serial, &code);
	if (ret) {
		gw2_refuse(gw2, m->type, cpns_kernel_code(g->nl, ret, true),
			   "II-9 transfer refused (DEVICE_IMPORT): %s",
			   cpns_last_error(g->nl));
		return;
	}
	gw2->xfer_live = false;		/* consumed */
	if (code != gw2->offer_code) {
		/* Cannot happen with an honest kernel: the code is a function
		 * of the same exchange. Do not keep a key we cannot vouch for.
		 */
		cpns_key_del_device(g->nl, t->did);
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_BAD_MAC,
			   "II-9: the imported key's code %s is not the code %s shown; key deleted",
			   gwd_code_str(code, c1),
			   gwd_code_str(gw2->offer_code, c2));
		return;
	}
	if (gw2->reassign)
		cpns_notice("II-9 re-assigned: device id %s replaces device id %s, whose key is revoked in this keyring",
			    hex(t->did, sizeof(t->did)),
			    hex(gw2->did, sizeof(gw2->did)));
	gw2->reassign = false;
	memcpy(gw2->did, t->did, sizeof(gw2->did));
	gw2->have_device = true;
	cpns_notice("II-9 stored the Device Key of device id %s (serial %d); transfer code %s (compare with GW1's)",
		    hex(gw2->did, sizeof(gw2->did)), serial,
		    gwd_code_str(code, c1));
	ask_store(gw2);
	gwd_link_close(l);
	gw2->link = NULL;
	ask_did_file(gw2);
	gwd_backoff_reset(&gw2->bo);
	auth_start(gw2);
}

static void ask_msg(struct gwd_link *l, void *owner,
		    const struct cpns_wire_msg *m)
{
	struct gw2 *gw2 = owner;

	(void)l;
	if (gw2->state == GW2_ASK && m->type == CPNS_WIRE_DEVICE_OFFER)
		ask_offer(gw2, m);
	else if (gw2->state == GW2_TRANSFER &&
		 m->type == CPNS_WIRE_DEVICE_TRANSFER)
		ask_transfer(gw2, m);
	else
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "GW1 sent %s, unexpected in II-9 now",
			   cpns_wire_type_name(m->type));
}

/* cpnsctl pair list on GW2: the code to type on GW1. */
static void gw2_ctl_list(struct gwd *g, struct cpns_ctl_reply *r)
{
	struct gw2 *gw2 = g->role;
	char code[GWD_CODE_DIGITS + 1];
	uint64_t now = cpns_now_ms();

	if (!gw2 || gw2->state != GW2_TRANSFER)
		return;
	gwd_ctl_pair(r, "-", gw2->offer_mode == CPNS_WIRE_CONFIRM_PAIRING ?
		     "pair-mac-sent" : "showing-code", g->conf.name,
		     gw2->link ? gwd_link_peer(gw2->link) : "-",
		     gw2->offer_did, gw2->offer_mode,
		     gwd_code_str(gw2->offer_code, code), now - gw2->offer_ms, 0);
}

/*
 * cpnsctl device reassign on GW2: ask GW1 now for a new Device ID and Key
 * that replace this one (protocol.rst, "Re-assignment"). The current flow
 * ends; until the new key is imported the old one stays in use.
 */
static void gw2_ctl_reassign(struct gwd *g, struct cpns_ctl_reply *r)
{
	struct gw2 *gw2 = g->role;

	if (!gw2->have_device) {
		cpns_ctl_printf(r, "error no Device Key yet: GW2 is asking GW1 for one already\n");
		return;
	}
	if (gw2->reassign) {
		cpns_ctl_printf(r, "error a re-assignment is running already\n");
		return;
	}
	cpns_notice("the operator asks GW1 to re-assign device id %s",
		    hex(gw2->did, sizeof(gw2->did)));
	if (gw2->link)
		gwd_link_close(gw2->link);
	gw2->link = NULL;
	gw2_release(gw2);
	cpns_timer_disarm(g->loop, &gw2->retry_timer);
	gwd_backoff_reset(&gw2->bo);
	gw2->reassign = true;
	ask_start(gw2);
	if (gw2->link)
		cpns_ctl_printf(r, "ok II-9 started with GW1 %s, replacing device id %s\n",
				g->conf.gw1.str, hex(gw2->did, sizeof(gw2->did)));
	else
		cpns_ctl_printf(r, "error cannot reach GW1 (see the log)\n");
}

static const struct gwd_link_ops ask_ops = {
	.connected = ask_connected,
	.msg = ask_msg,
	.end = gw2_end,
};

static void ask_start(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;

	if (g->conf.role == GWD_CHANGING) {
		/* A CM device asks nobody: it assigns itself. */
		gw2->state = GW2_SELF;
		gwd_cm_need_key(g);
		return;
	}
	gw2->state = GW2_ASK_CONNECT;
	cpns_info("II-9 connecting to GW1 %s for a Device ID", g->conf.gw1.str);
	gw2->link = gwd_link_connect(g, &g->conf.gw1, &ask_ops, gw2);
	if (!gw2->link)
		gw2_retry(gw2, "II-9: cannot connect to GW1 %s: %s",
			  g->conf.gw1.str, strerror(errno));
}

/* ------------------------------------------------------------ session */

static void report_send(struct gw2 *gw2);

static void report_arm(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;

	if (cpns_timer_arm(g->loop, &gw2->report_timer,
			   cpns_now_ms() + g->conf.report_interval_ms))
		cpns_err("out of memory for a timer");
}

static void report_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct gw2 *gw2 = t->arg;

	(void)loop;
	if (gw2->state != GW2_SESSION)
		return;
	report_arm(gw2);
	report_send(gw2);
}

static void report_send(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;
	struct cpns_wire_inner in = { .type = CPNS_WIRE_STATUS_REPORT };
	struct cpns_wire_status_report *r = &in.status_report;
	struct cpns_wire_msg m = { .type = CPNS_WIRE_SEALED };
	uint8_t pt[CPNS_WIRE_INNER_MAX], aad[CPNS_WIRE_HDR_LEN];
	char text[CPNS_WIRE_TEXT_MAX + 1];
	size_t ptlen, ctlen = sizeof(m.sealed.ct);
	uint64_t seq;
	int ret;

	if (gw2->nunacked == GW2_UNACKED_MAX) {
		gwd_link_fail(gw2->link, CPNS_WIRE_ERR_TIMEOUT, 0,
			      "no STATUS_ACK for %d reports", GW2_UNACKED_MAX);
		gw2_retry(gw2, "session: the server acknowledged none of the last %d reports",
			  GW2_UNACKED_MAX);
		return;
	}
	r->health = CPNS_WIRE_HEALTH_OK;
	r->time = (uint64_t)time(NULL);
	if (g->conf.status_text)
		snprintf(text, sizeof(text), "%s", g->conf.status_text);
	else
		snprintf(text, sizeof(text), "%s up %llu s, report %llu",
			 g->conf.name,
			 (unsigned long long)((cpns_now_ms() - gw2->started_ms) /
					      1000),
			 (unsigned long long)gw2->reports + 1);
	if (cpns_wire_text_set(&r->text, text, CPNS_WIRE_TEXT_MAX) ||
	    cpns_wire_inner_encode(&in, pt, sizeof(pt), &ptlen) ||
	    cpns_wire_sealed_aad(ptlen + CPNS_TAG_LEN, aad)) {
		gw2_refuse(gw2, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot encode a STATUS_REPORT");
		return;
	}
	ret = cpns_seal(g->nl, gw2->handle, aad, sizeof(aad), pt, ptlen, &seq,
			m.sealed.ct, &ctlen);
	explicit_bzero(pt, sizeof(pt));
	if (ret) {
		gw2_refuse(gw2, 0, cpns_kernel_code(g->nl, ret, false),
			   "SEAL: %s", cpns_last_error(g->nl));
		return;
	}
	m.sealed.seq = seq;
	m.sealed.ct_len = (uint16_t)ctlen;
	if (gwd_link_send(gw2->link, &m)) {
		gw2_refuse(gw2, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot send a SEALED STATUS_REPORT");
		return;
	}
	gw2->unacked[(gw2->ack_head + gw2->nunacked) % GW2_UNACKED_MAX] = seq;
	if (!gw2->nunacked++)
		gwd_link_deadline(gw2->link, CPNS_DL_STEP, g->conf.step_ms);
	gw2->reports++;
	cpns_info("sent status report seq %llu (sealed, %zu bytes)",
		  (unsigned long long)seq, ctlen);
}

/* Flow a is done: the session keys are in the kernel. */
static void session_start(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;

	gw2->state = GW2_SESSION;
	gw2->reports = 0;
	gw2->acks = 0;
	gw2->nunacked = 0;
	gw2->ack_head = 0;
	gwd_link_deadline(gw2->link, CPNS_DL_NONE, 0);
	report_send(gw2);
	if (gw2->state == GW2_SESSION && !g->once)
		report_arm(gw2);
}

/* --once: the reports are exchanged; end the session and exit 0. */
static void session_done(struct gw2 *gw2)
{
	cpns_notice("exchanged %llu status reports; done",
		    (unsigned long long)gw2->acks);
	gwd_link_close(gw2->link);
	gw2->link = NULL;
	gw2_release(gw2);
	gw2->state = GW2_DONE;
	gwd_exit(gw2->g, 0);
}

/* Open a SEALED from the server into *in; -1 after refusing it. */
static int session_open(struct gw2 *gw2, const struct cpns_wire_msg *m,
			struct cpns_wire_inner *in)
{
	struct gwd *g = gw2->g;
	const struct cpns_wire_sealed *s = &m->sealed;
	uint8_t pt[CPNS_WIRE_SEALED_MAX], aad[CPNS_WIRE_HDR_LEN];
	size_t ptlen = sizeof(pt);
	int ret;

	/* 6.1: the AAD is the frame's header, rebuilt from its length. */
	if (cpns_wire_sealed_aad(s->ct_len, aad)) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_MALFORMED,
			   "SEALED of %u bytes", s->ct_len);
		return -1;
	}
	ret = cpns_unseal(g->nl, gw2->handle, s->seq, aad, sizeof(aad), s->ct,
			  s->ct_len, pt, &ptlen);
	if (ret == -EBADMSG) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_BAD_MAC,
			   "SEALED seq %llu does not open: altered or not from the server",
			   (unsigned long long)s->seq);
		return -1;
	}
	if (ret == -EALREADY) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_REPLAY,
			   "SEALED seq %llu already passed: replayed or reordered",
			   (unsigned long long)s->seq);
		return -1;
	}
	if (ret) {
		gw2_refuse(gw2, m->type, cpns_kernel_code(g->nl, ret, false),
			   "OPEN: %s", cpns_last_error(g->nl));
		return -1;
	}
	ret = cpns_wire_inner_decode(pt, ptlen, in);
	explicit_bzero(pt, sizeof(pt));
	if (ret) {
		gw2_refuse(gw2, m->type, cpns_wire_err_code(ret),
			   "sealed message seq %llu: %s",
			   (unsigned long long)s->seq, cpns_wire_strerror(ret));
		return -1;
	}
	return 0;
}

/* A STATUS_ACK: it must acknowledge the oldest report outstanding. */
static void session_ack(struct gw2 *gw2, const struct cpns_wire_msg *m,
			const struct cpns_wire_inner *in)
{
	struct gwd *g = gw2->g;
	uint64_t want = gw2->unacked[gw2->ack_head];

	if (!gw2->nunacked || in->status_ack.seq != want) {
		if (gw2->nunacked)
			gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
				   "STATUS_ACK for seq %llu, expected %llu",
				   (unsigned long long)in->status_ack.seq,
				   (unsigned long long)want);
		else
			gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
				   "STATUS_ACK for seq %llu, no report outstanding",
				   (unsigned long long)in->status_ack.seq);
		return;
	}
	gw2->ack_head = (gw2->ack_head + 1) % GW2_UNACKED_MAX;
	gw2->nunacked--;
	gw2->acks++;
	gw2->total_acks++;
	gwd_backoff_reset(&gw2->bo);
	cpns_info("received status ack for report seq %llu (sealed seq %llu)",
		  (unsigned long long)want, (unsigned long long)m->sealed.seq);
	gwd_link_deadline(gw2->link, gw2->nunacked ? CPNS_DL_STEP : CPNS_DL_NONE,
			  g->conf.step_ms);
	if (g->once) {
		if (gw2->acks >= g->once_reports)
			session_done(gw2);
		else
			report_send(gw2);
	}
}

static void session_msg(struct gw2 *gw2, const struct cpns_wire_msg *m)
{
	struct cpns_wire_inner in;

	if (m->type != CPNS_WIRE_SEALED) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "the server sent %s in the session",
			   cpns_wire_type_name(m->type));
		return;
	}
	if (session_open(gw2, m, &in))
		return;
	if (in.type != CPNS_WIRE_STATUS_ACK) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "sealed %s is not for GW2",
			   cpns_wire_inner_type_name(in.type));
		return;
	}
	session_ack(gw2, m, &in);
}

/* ------------------------------------------------------------ flow a */

static void auth_connected(struct gwd_link *l, void *owner)
{
	struct gw2 *gw2 = owner;
	struct gwd *g = gw2->g;
	struct cpns_wire_msg m = { .type = CPNS_WIRE_AUTH_HELLO };
	int ret;

	ret = cpns_auth_begin_rk(g->nl, gw2->did, &gw2->handle, gw2->nc,
				 &gw2->rk);
	if (ret && gwd_kernel_key_gone(ret)) {
		cpns_warn("a-0: the Device Key of device id %s is gone (%s); asking GW1 for a new one",
			  hex(gw2->did, sizeof(gw2->did)),
			  cpns_last_error(g->nl));
		gw2->have_device = false;
		gwd_link_close(l);
		gw2->link = NULL;
		ask_start(gw2);
		return;
	}
	if (ret) {
		gw2_refuse(gw2, 0, cpns_kernel_code(g->nl, ret, true),
			   "a-0 (AUTH_BEGIN): %s", cpns_last_error(g->nl));
		return;
	}
	gw2->handle_live = true;
	memcpy(m.auth_hello.did, gw2->did, sizeof(gw2->did));
	memcpy(m.auth_hello.nc, gw2->nc, sizeof(gw2->nc));
	m.auth_hello.generation = gw2->rk.generation;
	if (gw2->rk.rekey) {
		m.auth_hello.flags = CPNS_WIRE_AUTH_REKEY;
		memcpy(m.auth_hello.pubkey, gw2->rk.client_pub,
		       sizeof(m.auth_hello.pubkey));
	}
	if (gwd_link_send(l, &m)) {
		gw2_refuse(gw2, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot send AUTH_HELLO");
		return;
	}
	gwd_link_deadline(l, CPNS_DL_STEP, g->conf.step_ms);
	gw2->state = GW2_AUTH_CHALLENGE;
	cpns_info("a-0 sent hello to the server %s: device id %s, nc %s, generation %u%s",
		  gwd_link_peer(l), hex(gw2->did, sizeof(gw2->did)),
		  hex(gw2->nc, sizeof(gw2->nc)), gw2->rk.generation,
		  gw2->rk.rekey ? ", re-key" : "");
}

static void auth_challenge(struct gw2 *gw2, const struct cpns_wire_msg *m)
{
	struct gwd *g = gw2->g;
	struct cpns_wire_msg out = { .type = CPNS_WIRE_AUTH_CLIENT };
	const uint8_t *ns = m->auth_challenge.ns;
	bool rekey = m->auth_challenge.flags & CPNS_WIRE_AUTH_REKEY;
	int ret;

	cpns_info("a-0 received server nonce %s%s", hex(ns, CPNS_NONCE_LEN),
		  rekey ? " and the server's re-key public key" : "");
	if (rekey != gw2->rk.rekey) {
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "a-0: AUTH_CHALLENGE %s the server's public key, but this flow %s",
			   rekey ? "carries" : "lacks",
			   gw2->rk.rekey ? "re-keys (generation 0)" :
			   "does not re-key");
		return;
	}
	if (rekey)
		memcpy(gw2->rk.server_pub, m->auth_challenge.pubkey,
		       sizeof(gw2->rk.server_pub));
	ret = cpns_auth_client_rk(g->nl, gw2->handle, ns, &gw2->rk,
				  out.auth_client.mac);
	if (ret) {
		gw2_refuse(gw2, m->type, cpns_kernel_code(g->nl, ret, true),
			   "a-1 (AUTH_CLIENT): %s", cpns_last_error(g->nl));
		return;
	}
	if (gwd_link_send(gw2->link, &out)) {
		gw2_refuse(gw2, 0, CPNS_WIRE_ERR_INTERNAL,
			   "cannot send AUTH_CLIENT");
		return;
	}
	gwd_link_deadline(gw2->link, CPNS_DL_STEP, g->conf.step_ms);
	gw2->state = GW2_AUTH_SERVER;
	cpns_info("a-1 sent client verification code");
}

static void auth_server(struct gw2 *gw2, const struct cpns_wire_msg *m)
{
	struct gwd *g = gw2->g;
	int ret;

	cpns_info("a-3 received server verification code");
	ret = cpns_auth_finish_rk(g->nl, gw2->handle, m->auth_server.mac,
				  &gw2->rk);
	if (ret == -EBADMSG) {
		/* The kernel ended the flow: the handle is gone. */
		gw2->handle_live = false;
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_BAD_MAC,
			   "a-4: the server's verification code does not match: it does not hold this Device Key");
		return;
	}
	if (ret) {
		gw2_refuse(gw2, m->type, cpns_kernel_code(g->nl, ret, true),
			   "a-4 (AUTH_FINISH): %s", cpns_last_error(g->nl));
		return;
	}
	if (gw2->rk.serial)
		cpns_notice("a-4 the Device Key of device id %s re-keyed to generation %u (serial %d): GW1's copy no longer authenticates",
			    hex(gw2->did, sizeof(gw2->did)),
			    gw2->rk.new_generation, gw2->rk.serial);
	/*
	 * The new key is stored before the first sealed message, which
	 * makes the server refuse the old one (Documentation/rekey.rst).
	 */
	if (g->conf.store && gw2->stored_gen != gw2->rk.new_generation) {
		if (gwd_store_save(g, gw2->did, gw2->rk.new_generation)) {
			gw2_refuse(gw2, 0, CPNS_WIRE_ERR_INTERNAL,
				   "a-4: the Device Key of generation %u could not be stored in %s; no sealed message sent",
				   gw2->rk.new_generation, g->conf.store);
			return;
		}
		gw2->stored_gen = gw2->rk.new_generation;
	}
	gwd_try_ok(&gw2->srv_try);
	cpns_notice("a-4 server verified; session established with %s for device id %s (generation %u)",
		    gwd_link_peer(gw2->link), hex(gw2->did, sizeof(gw2->did)),
		    gw2->rk.new_generation);
	session_start(gw2);
}

static void auth_msg(struct gwd_link *l, void *owner,
		     const struct cpns_wire_msg *m)
{
	struct gw2 *gw2 = owner;

	(void)l;
	if (gw2->state == GW2_SESSION)
		session_msg(gw2, m);
	else if (gw2->state == GW2_AUTH_CHALLENGE &&
		 m->type == CPNS_WIRE_AUTH_CHALLENGE)
		auth_challenge(gw2, m);
	else if (gw2->state == GW2_AUTH_SERVER &&
		 m->type == CPNS_WIRE_AUTH_SERVER)
		auth_server(gw2, m);
	else
		gw2_refuse(gw2, m->type, CPNS_WIRE_ERR_UNEXPECTED,
			   "the server sent %s, unexpected in flow a",
			   cpns_wire_type_name(m->type));
}

static const struct gwd_link_ops auth_ops = {
	.connected = auth_connected,
	.msg = auth_msg,
	.end = gw2_end,
};

static void auth_start(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;
	const struct cpns_peer *server = gwd_try_peer(&gw2->srv_try,
						      gwd_server(g));
	char why[128];

	gw2->state = GW2_AUTH_CONNECT;
	cpns_info("a-0 connecting to the server %s", server->str);
	gw2->link = gwd_link_connect(g, server, &auth_ops, gw2);
	if (gw2->link)
		return;
	snprintf(why, sizeof(why), "cannot connect: %s", strerror(errno));
	if (!gw2_failover(gw2, why))
		gw2_retry(gw2, "a-0: cannot connect to the server %s: %s",
			  server->str, strerror(errno));
}

/*
 * The server of flow a (or of the session) failed it: start a-0 again at
 * once on the next server of the list, if one is untried in this round
 * (failover.c). The failed flow's handle is released first: nothing of
 * it is kept. True if so.
 */
static bool gw2_failover(struct gw2 *gw2, const char *why)
{
	if (!gwd_try_failed(&gw2->srv_try, "a-flow", why))
		return false;
	gw2->link = NULL;
	gw2_release(gw2);
	auth_start(gw2);
	return true;
}

static void retry_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct gw2 *gw2 = t->arg;

	(void)loop;
	if (gw2->have_device)
		auth_start(gw2);
	else
		ask_start(gw2);
}

/* ------------------------------------------------------------ start, stop */

/* Which Device Key is this gateway's? Sets have_device and did. */
static int find_device(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;
	const char *file = g->conf.device_id_file;
	char err[256];
	unsigned int n;
	int ret;

	if (g->conf.store) {
		uint32_t gen;

		ret = gwd_store_load(g, gw2->did, &gen);
		if (ret < 0)
			return ret;
		gw2->have_device = ret;
		if (ret)
			gw2->stored_gen = gen;
		if (!ret)
			cpns_notice("no Device Key yet (%s does not exist)",
				    g->conf.store);
		return 0;
	}
	if (file) {
		ret = gwd_did_read(file, gw2->did, err, sizeof(err));
		if (ret < 0) {
			cpns_err("%s", err);
			return ret;
		}
		if (!ret) {
			cpns_notice("no Device ID yet (%s does not exist)",
				    file);
			return 0;
		}
		ret = gwd_has_device(g->nl, gw2->did);
		if (ret < 0)
			goto err_dump;
		if (!ret) {
			cpns_warn("%s names device id %s, but its Device Key is not (or no longer) in this namespace's keyring",
				  file, hex(gw2->did, sizeof(gw2->did)));
			return 0;
		}
		gw2->have_device = true;
		return 0;
	}
	ret = gwd_find_devices(g->nl, gw2->did, &n);
	if (ret < 0)
		goto err_dump;
	if (n > 1) {
		cpns_err("%u Device Keys of role gw2 in this namespace: set device_id_file to say which one is this gateway's",
			 n);
		return -EEXIST;
	}
	gw2->have_device = n == 1;
	if (!n)
		cpns_notice("no Device Key of role gw2 in this namespace's keyring");
	return 0;
err_dump:
	cpns_err("cannot list the keys of this namespace: %s",
		 cpns_last_error(g->nl));
	return ret;
}

struct gw2 *gwd_gw2_new(struct gwd *g)
{
	struct gw2 *gw2 = calloc(1, sizeof(*gw2));

	if (!gw2)
		return NULL;
	gw2->g = g;
	gw2->stored_gen = -1;
	gw2->started_ms = cpns_now_ms();
	cpns_timer_init(&gw2->retry_timer, retry_timer, gw2);
	cpns_timer_init(&gw2->report_timer, report_timer, gw2);
	gwd_backoff_init(&gw2->bo, g->conf.reconnect_min_ms,
			 g->conf.reconnect_max_ms);
	return gw2;
}

int gwd_gw2_begin(struct gw2 *gw2)
{
	int ret;

	ret = find_device(gw2);
	if (ret)
		return ret;
	if (gw2->have_device) {
		cpns_notice("using device id %s", hex(gw2->did, sizeof(gw2->did)));
		auth_start(gw2);
	} else {
		ask_start(gw2);
	}
	return 0;
}

void gwd_gw2_free(struct gw2 *gw2)
{
	struct gwd *g = gw2->g;

	if (gw2->link)
		gwd_link_close(gw2->link);
	gw2->link = NULL;
	gw2_release(gw2);
	cpns_timer_disarm(g->loop, &gw2->retry_timer);
	cpns_notice("stopped; %llu status reports acknowledged in this run",
		    (unsigned long long)gw2->total_acks);
	free(gw2);
}

void gwd_gw2_restart(struct gw2 *gw2)
{
	if (gw2->state == GW2_DONE)
		return;
	if (gw2->link)
		gwd_link_close(gw2->link);
	gw2->link = NULL;
	gw2_release(gw2);
	cpns_timer_disarm(gw2->g->loop, &gw2->retry_timer);
	gwd_backoff_reset(&gw2->bo);
	if (gw2->have_device)
		auth_start(gw2);
	else
		ask_start(gw2);
}

void gwd_gw2_kick(struct gw2 *gw2)
{
	if (gw2->state != GW2_WAIT || !cpns_timer_armed(&gw2->retry_timer))
		return;
	cpns_timer_disarm(gw2->g->loop, &gw2->retry_timer);
	if (gw2->have_device)
		auth_start(gw2);
	else
		ask_start(gw2);
}

void gwd_gw2_assigned(struct gw2 *gw2, const uint8_t did[CPNS_DEVICE_ID_LEN])
{
	memcpy(gw2->did, did, sizeof(gw2->did));
	gw2->have_device = true;
	ask_store(gw2);
	ask_did_file(gw2);
	auth_start(gw2);
}

void gwd_gw2_unassigned(struct gw2 *gw2, const char *why)
{
	gw2_retry(gw2, "%s", why);
}

static int gw2_start(struct gwd *g)
{
	struct gw2 *gw2 = gwd_gw2_new(g);

	if (!gw2)
		return -ENOMEM;
	g->role = gw2;
	return gwd_gw2_begin(gw2);
}

static void gw2_stop(struct gwd *g)
{
	if (!g->role)
		return;
	gwd_gw2_free(g->role);
	g->role = NULL;
}

const struct gwd_role_ops gwd_nonsecure_ops = {
	.name = "nonsecure (GW2)",
	.start = gw2_start,
	.stop = gw2_stop,
	.ctl_list = gw2_ctl_list,
	.ctl_reassign = gw2_ctl_reassign,
};
