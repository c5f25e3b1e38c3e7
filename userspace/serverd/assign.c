// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flow II on the server. II-1/II-3: the kernel checks GW1's request MAC
 * under the seed named by the Seed ID and keeps a challenge pending under
 * n1. II-5/II-7: the kernel finds that challenge by n1 (on this connection
 * or another), checks the Device ID GW1 derived and consumes the challenge
 * in exchange for the verification code. The daemon keeps nothing between
 * the two: a server restart in between loses no state it held.
 */
#include <string.h>

#include "serverd.h"

void assign_request(struct sconn *sc,
		    const struct cpns_wire_assign_request *m)
{
	struct cpns_wire_msg out;
	struct cpns_wire_assign_challenge *r = &out.assign_challenge;
	int ret;

	sc_info(sc, "II-1 received assign request, seed id %s, n1 %s",
		HEX(m->sid), HEX(m->n1));
	memset(&out, 0, sizeof(out));
	out.type = CPNS_WIRE_ASSIGN_CHALLENGE;
	ret = cpns_assign_challenge(sc->srv->nl, m->sid, m->n1, m->mac, r->ch,
				    r->mac);
	if (ret) {
		sconn_kernel_error(sc, "II-2", ret, false,
				   CPNS_WIRE_ASSIGN_REQUEST);
		return;
	}
	memcpy(r->n1, m->n1, sizeof(r->n1));
	if (sconn_send(sc, &out))
		return;
	sc_info(sc, "II-2 request MAC verified; II-3 sent challenge %s for n1 %s",
		HEX(r->ch), HEX(m->n1));
}

void assign_device_id(struct sconn *sc,
		      const struct cpns_wire_assign_device_id *m)
{
	struct cpns_wire_msg out;
	struct cpns_wire_assign_confirm *r = &out.assign_confirm;
	int ret;

	sc_info(sc, "II-5 received device id %s for n1 %s", HEX(m->did),
		HEX(m->n1));
	memset(&out, 0, sizeof(out));
	out.type = CPNS_WIRE_ASSIGN_CONFIRM;
	ret = cpns_assign_confirm(sc->srv->nl, m->did, m->n1, r->code);
	if (ret) {
		sconn_kernel_error(sc, "II-6", ret, true,
				   CPNS_WIRE_ASSIGN_DEVICE_ID);
		return;
	}
	memcpy(r->did, m->did, sizeof(r->did));
	if (sconn_send(sc, &out))
		return;
	sc_info(sc, "II-6 device id %s verified, challenge used; II-7 sent confirmation",
		HEX(m->did));
}
