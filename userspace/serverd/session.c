// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Sealed signalling of an authenticated GW2 (Documentation/protocol.rst
 * section 6): each SEALED frame is opened by the kernel under k_c2s with
 * its sequence number as nonce and its header as additional data, so a
 * replayed, reordered or altered frame does not open; each STATUS_REPORT is
 * answered by a STATUS_ACK sealed under k_s2c.
 */
#include <errno.h>
#include <string.h>

#include "serverd.h"

static const char *const health_names[] = {
	[CPNS_WIRE_HEALTH_OK] = "ok",
	[CPNS_WIRE_HEALTH_DEGRADED] = "degraded",
	[CPNS_WIRE_HEALTH_FAILING] = "failing",
};

/*
 * A SEALED frame and its STATUS_ACK are two kernel commands, OPEN then
 * SEAL, each batched with the others waiting (kbatch.c).
 */

static int open_build(struct cpns_msg *msg, struct sconn *sc)
{
	return cpns_open_item_put(msg, &sc->kb_out.opened.it);
}

static int open_reply(const struct cpns_reply *item, struct sconn *sc)
{
	return cpns_open_item_reply(item, &sc->kb_out.opened.it);
}

static int seal_build(struct cpns_msg *msg, struct sconn *sc)
{
	return cpns_seal_item_put(msg, &sc->kb_out.sealed.it);
}

static int seal_reply(const struct cpns_reply *item, struct sconn *sc)
{
	return cpns_seal_item_reply(item, &sc->kb_out.sealed.it);
}

/* The STATUS_ACK sealed: sent, and the report's one line. */
static void seal_done(struct sconn *sc)
{
	const struct cpns_wire_status_report *rep = &sc->kb_in.ack.rep;
	struct cpns_seal_item *it = &sc->kb_out.sealed.it;
	struct cpns_wire_msg out = { .type = CPNS_WIRE_SEALED };

	explicit_bzero(sc->kb_in.ack.pt, sizeof(sc->kb_in.ack.pt));
	if (sc->kb_error.err) {
		sconn_kernel_fail(sc, "seal", &sc->kb_error, true, 0);
		return;
	}
	out.sealed.seq = it->seq;
	out.sealed.ct_len = (uint16_t)it->outlen;
	memcpy(out.sealed.ct, it->out, it->outlen);
	if (sconn_send(sc, &out))
		return;
	sc->reports++;
	/* One line per report, once it is answered. */
	sc_info(sc, "received status report seq %llu from device id %s: %s, time %llu, \"%s\"; sent status ack",
		(unsigned long long)sc->kb_in.ack.seq, HEX(sc->did),
		health_names[rep->health], (unsigned long long)rep->time,
		rep->text.s);
}

static const struct kbatch_ops seal_ops = {
	.cmd = CPNS_CMD_SEAL,
	.build = seal_build,
	.reply = seal_reply,
	.done = seal_done,
};

/* The STATUS_ACK of report seq, to be sealed. 0, or refused. */
static int ack_queue(struct sconn *sc, uint64_t seq,
		     const struct cpns_wire_status_report *rep)
{
	struct cpns_wire_inner ack = { .type = CPNS_WIRE_STATUS_ACK };
	size_t ptlen;
	int ret;

	ack.status_ack.seq = seq;
	ret = cpns_wire_inner_encode(&ack, sc->kb_in.ack.pt,
				     sizeof(sc->kb_in.ack.pt), &ptlen);
	if (!ret)
		ret = cpns_wire_sealed_aad(ptlen + CPNS_TAG_LEN,
					   sc->kb_in.ack.aad);
	if (ret) {
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL, 0,
			     "cannot encode %s: %s",
			     cpns_wire_inner_type_name(ack.type),
			     cpns_wire_strerror(ret));
		return -1;
	}
	sc->kb_in.ack.rep = *rep;
	sc->kb_in.ack.seq = seq;
	sc->kb_out.sealed.it = (struct cpns_seal_item){
		.handle = sc->handle,
		.aad = sc->kb_in.ack.aad,
		.aadlen = sizeof(sc->kb_in.ack.aad),
		.pt = sc->kb_in.ack.pt,
		.len = ptlen,
		.out = sc->kb_out.sealed.ct,
		.outlen = sizeof(sc->kb_out.sealed.ct),
	};
	kbatch_submit(sc, &seal_ops);
	return 0;
}

/* The first sealed message under a re-keyed key confirmed its record. */
static void confirmed(struct sconn *sc, const struct cpns_record *rec)
{
	/*
	 * GW2 holds the re-keyed key: its original is refused now. A row
	 * replaced meanwhile (another server's record, a revocation) is
	 * left as it is.
	 */
	sc_notice(sc, "device %s: re-keyed record generation %u confirmed by the first sealed message",
		  HEX(sc->did), rec->generation);
	if (sconn_record_save(sc, rec, "confirmed") == -ESTALE)
		sc_notice(sc, "device %s: its row changed since the re-key: left as it is",
			  HEX(sc->did));
}

/* The frame opened: its report decoded and its ACK queued. */
static void open_done(struct sconn *sc)
{
	struct cpns_open_item *it = &sc->kb_out.opened.it;
	uint64_t seq = sc->kb_in.sealed.m.seq;
	struct cpns_wire_inner in;
	int ret;

	if (sc->kb_error.err) {
		sconn_kernel_fail(sc, "open", &sc->kb_error, true,
				  CPNS_WIRE_SEALED);
		return;
	}
	if (it->rec->blob_len)
		confirmed(sc, it->rec);
	ret = cpns_wire_inner_decode(it->out, it->outlen, &in);
	explicit_bzero(it->out, it->outlen);
	if (ret) {
		sconn_refuse(sc, cpns_wire_err_code(ret), CPNS_WIRE_SEALED,
			     "sealed message seq %llu: %s",
			     (unsigned long long)seq, cpns_wire_strerror(ret));
		return;
	}
	if (in.type != CPNS_WIRE_STATUS_REPORT) {
		sconn_refuse(sc, CPNS_WIRE_ERR_UNEXPECTED, CPNS_WIRE_SEALED,
			     "sealed %s is not accepted from a gateway",
			     cpns_wire_inner_type_name(in.type));
		return;
	}
	ack_queue(sc, seq, &in.status_report);
}

static const struct kbatch_ops open_ops = {
	.cmd = CPNS_CMD_OPEN,
	.build = open_build,
	.reply = open_reply,
	.done = open_done,
};

void session_sealed(struct sconn *sc, const struct cpns_wire_sealed *m)
{
	int ret;

	/* Not served for a device revoked or re-keyed elsewhere meanwhile. */
	if (seedsync_check(sc, CPNS_WIRE_SEALED))
		return;
	/* The header of the frame received, rebuilt: the decoder checked
	 * that it was exactly this.
	 */
	ret = cpns_wire_sealed_aad(m->ct_len, sc->kb_in.sealed.aad);
	if (ret) {
		sconn_refuse(sc, CPNS_WIRE_ERR_MALFORMED, CPNS_WIRE_SEALED,
			     "%s", cpns_wire_strerror(ret));
		return;
	}
	sc->kb_in.sealed.m = *m;
	sc->kb_out.opened.it = (struct cpns_open_item){
		.handle = sc->handle,
		.seq = m->seq,
		.aad = sc->kb_in.sealed.aad,
		.aadlen = sizeof(sc->kb_in.sealed.aad),
		.in = sc->kb_in.sealed.m.ct,
		.len = m->ct_len,
		.out = sc->kb_out.opened.pt,
		.outlen = sizeof(sc->kb_out.opened.pt),
		.rec = &sc->kb_out.opened.rec,
	};
	kbatch_submit(sc, &open_ops);
}
