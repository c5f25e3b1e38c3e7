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

/* Seal an inner message and send it as SEALED. */
static int session_send(struct sconn *sc, const struct cpns_wire_inner *in)
{
	struct server *srv = sc->srv;
	uint8_t pt[CPNS_WIRE_INNER_MAX];
	uint8_t aad[CPNS_WIRE_HDR_LEN];
	struct cpns_wire_msg out;
	size_t ptlen, ctlen;
	int ret;

	ret = cpns_wire_inner_encode(in, pt, sizeof(pt), &ptlen);
	if (!ret)
		ret = cpns_wire_sealed_aad(ptlen + CPNS_TAG_LEN, aad);
	if (ret) {
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL, 0,
			     "cannot encode %s: %s",
			     cpns_wire_inner_type_name(in->type),
			     cpns_wire_strerror(ret));
		return -1;
	}
	memset(&out, 0, sizeof(out));
	out.type = CPNS_WIRE_SEALED;
	ctlen = sizeof(out.sealed.ct);
	ret = cpns_seal(srv->nl, sc->handle, aad, sizeof(aad), pt, ptlen,
			&out.sealed.seq, out.sealed.ct, &ctlen);
	if (ret) {
		sconn_kernel_error(sc, "seal", ret, true, 0);
		return -1;
	}
	out.sealed.ct_len = (uint16_t)ctlen;
	return sconn_send(sc, &out);
}

void session_sealed(struct sconn *sc, const struct cpns_wire_sealed *m)
{
	struct server *srv = sc->srv;
	uint8_t pt[CPNS_WIRE_SEALED_MAX];
	uint8_t aad[CPNS_WIRE_HDR_LEN];
	struct cpns_wire_inner in, ack;
	const struct cpns_wire_status_report *rep;
	size_t ptlen = sizeof(pt);
	struct cpns_record rec;
	int ret;

	/* Not served for a device revoked or re-keyed elsewhere meanwhile. */
	if (seedsync_check(sc, CPNS_WIRE_SEALED))
		return;
	/* The header of the frame received, rebuilt: the decoder checked
	 * that it was exactly this.
	 */
	ret = cpns_wire_sealed_aad(m->ct_len, aad);
	if (ret) {
		sconn_refuse(sc, CPNS_WIRE_ERR_MALFORMED, CPNS_WIRE_SEALED,
			     "%s", cpns_wire_strerror(ret));
		return;
	}
	ret = cpns_unseal_rec(srv->nl, sc->handle, m->seq, aad, sizeof(aad),
			      m->ct, m->ct_len, pt, &ptlen, &rec);
	if (ret) {
		sconn_kernel_error(sc, "open", ret, true, CPNS_WIRE_SEALED);
		return;
	}
	if (rec.blob_len) {
		/*
		 * GW2 holds the re-keyed key: its original is refused now.
		 * A row replaced meanwhile (another server's record, a
		 * revocation) is left as it is.
		 */
		sc_notice(sc, "device %s: re-keyed record generation %u confirmed by the first sealed message",
			  HEX(sc->did), rec.generation);
		if (sconn_record_save(sc, &rec, "confirmed") == -ESTALE)
			sc_notice(sc, "device %s: its row changed since the re-key: left as it is",
				  HEX(sc->did));
	}
	ret = cpns_wire_inner_decode(pt, ptlen, &in);
	if (ret) {
		sconn_refuse(sc, cpns_wire_err_code(ret), CPNS_WIRE_SEALED,
			     "sealed message seq %llu: %s",
			     (unsigned long long)m->seq,
			     cpns_wire_strerror(ret));
		return;
	}
	if (in.type != CPNS_WIRE_STATUS_REPORT) {
		sconn_refuse(sc, CPNS_WIRE_ERR_UNEXPECTED, CPNS_WIRE_SEALED,
			     "sealed %s is not accepted from a gateway",
			     cpns_wire_inner_type_name(in.type));
		return;
	}
	rep = &in.status_report;
	memset(&ack, 0, sizeof(ack));
	ack.type = CPNS_WIRE_STATUS_ACK;
	ack.status_ack.seq = m->seq;
	if (session_send(sc, &ack))
		return;
	sc->reports++;
	/* One line per report, once it is answered. */
	sc_info(sc, "received status report seq %llu from device id %s: %s, time %llu, \"%s\"; sent status ack",
		(unsigned long long)m->seq, HEX(sc->did),
		health_names[rep->health], (unsigned long long)rep->time,
		rep->text.s);
}
