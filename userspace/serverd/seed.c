// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flow I on the server: a GW1 asks for a Key Seed (I-1), the kernel makes
 * one (I-2) and seals it to GW1's ephemeral X25519 key (I-3). The seed
 * never leaves the kernel unsealed; the daemon logs the six-digit code that
 * GW1's kernel shows too, for the operator to compare. With a store, the
 * seed is wrapped under the KEK and committed before I-3 is sent, so that
 * a seed GW1 holds survives whatever happens to the server afterwards.
 */
#include <string.h>

#include "serverd.h"

/* The policy on the requester's name: seed_allow, if configured. */
static bool seed_allowed(const struct server_conf *conf, const char *name)
{
	size_t i;

	if (!conf->nseed_allow)
		return true;
	for (i = 0; i < conf->nseed_allow; i++)
		if (!strcmp(conf->seed_allow[i], name))
			return true;
	return false;
}

/* A seed that will not reach GW1: out of the store, then the kernel. */
static void unsent_seed(struct sconn *sc, const uint8_t sid[CPNS_SEED_ID_LEN],
			bool stored)
{
	struct server *srv = sc->srv;

	if (stored && srv->store)
		keystore_seed_forget(srv, sid);
	if (cpns_key_del_seed(srv->nl, sid))
		sc_err(sc, "I-3 could not delete unsent seed id %s: %s",
		       cpns_log_hex(sid, CPNS_SEED_ID_LEN),
		       cpns_last_error(srv->nl));
}

void seed_request(struct sconn *sc, const struct cpns_wire_key_request *m)
{
	struct server *srv = sc->srv;
	struct cpns_wire_msg out;
	struct cpns_wire_seed_response *r = &out.seed_response;
	uint8_t sid[CPNS_SEED_ID_LEN];
	uint32_t code;
	int32_t serial;
	int ret;

	sc_info(sc, "I-1 received seed request from '%s', public key %s",
		m->name.s, HEX(m->pubkey));
	if (!seed_allowed(srv->conf, m->name.s)) {
		sconn_refuse(sc, CPNS_WIRE_ERR_DENIED, CPNS_WIRE_SEED_REQUEST,
			     "'%s' may not receive a seed (seed_allow)",
			     m->name.s);
		return;
	}

	ret = cpns_seed_new(srv->nl, srv->conf->seed_lifetime, sid, &serial);
	if (ret) {
		sconn_kernel_error(sc, "I-2 seed_new", ret, false,
				   CPNS_WIRE_SEED_REQUEST);
		return;
	}
	sc_info(sc, "I-2 made seed id %s (key %d)", HEX(sid), serial);

	/* Durable before GW1 can rely on it. */
	if (srv->store) {
		keystore_expire(srv);
		if (keystore_seed_save(srv, sid, m->name.s, sc->c.peer)) {
			sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL,
				     CPNS_WIRE_SEED_REQUEST,
				     "I-2: the seed could not be stored");
			unsent_seed(sc, sid, false);
			return;
		}
	}

	memset(&out, 0, sizeof(out));
	out.type = CPNS_WIRE_SEED_RESPONSE;
	ret = cpns_seed_export(srv->nl, sid, m->pubkey, r->pubkey, r->wrapped,
			       &code);
	if (ret) {
		/* The seed is of no use to anyone now: do not keep it. */
		sconn_kernel_error(sc, "I-3 seed_export", ret, false,
				   CPNS_WIRE_SEED_REQUEST);
		unsent_seed(sc, sid, true);
		return;
	}
	memcpy(r->sid, sid, sizeof(sid));
	if (sconn_send(sc, &out)) {
		unsent_seed(sc, sid, true);
		return;
	}
	sc_notice(sc, "I-3 sent seed id %s to '%s', sealed to its key; transfer code %06u",
		  HEX(sid), m->name.s, code);
}
