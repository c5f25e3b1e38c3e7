// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flow I on the server: a GW1 asks for a Key Seed (I-1), the kernel makes
 * one (I-2) and seals it to GW1's ephemeral X25519 key (I-3). The seed
 * never leaves the kernel unsealed; the daemon logs the six-digit code that
 * GW1's kernel shows too, for the operator to compare. With a store, the
 * seed is wrapped under the KEK and committed before I-3 is sent, so that
 * a seed GW1 holds survives whatever happens to the server afterwards.
 *
 * Rotation (protocol.rst, "Seed rotation"): a GW1 that asks while the
 * store holds active seeds of its name gets a new seed, and those retire
 * at now + seed_overlap: the new row and their expiry are one transaction,
 * then KEY_RETIRE in the kernel, then I-3, which names the retired seed
 * and the time, so that GW1 retires its copy too.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "export.h"
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

/*
 * Rotation: the seeds of rt (committed as retiring already) expire in the
 * kernel too, now + seed_overlap. A failure is logged: the store holds the
 * retirement, and the next start finishes it (keystore.c).
 */
static void retire_seeds(struct sconn *sc, const struct keystore_retire *rt)
{
	struct server *srv = sc->srv;
	uint64_t expiry, now;
	uint32_t count;
	int32_t serial;
	size_t i;
	int ret;

	for (i = 0; i < rt->n; i++) {
		/* Relative to the kernel's clock: at the store's time. */
		now = (uint64_t)time(NULL);
		ret = cpns_key_retire(srv->nl, rt->sid[i],
				      rt->at > now ? (uint32_t)(rt->at - now) :
						     0,
				      &serial, &expiry, &count);
		if (ret) {
			sc_err(sc, "I-2 rotation: KEY_RETIRE of seed id %s: %s (the store holds its retirement; a restart completes it)",
			       cpns_log_hex(rt->sid[i], CPNS_SEED_ID_LEN),
			       cpns_last_error(srv->nl));
			continue;
		}
		srv->rotated++;
		sc_notice(sc, "I-2 rotation: seed id %s (key %d) retires at %llu with its devices (%u keys)",
			  cpns_log_hex(rt->sid[i], CPNS_SEED_ID_LEN), serial,
			  (unsigned long long)expiry, count);
	}
}

/* I-1's policy, and the seeds of this GW1 that a new one retires. */
static int seed_check(struct sconn *sc, const struct cpns_wire_key_request *m,
		      struct keystore_retire *rt)
{
	struct server *srv = sc->srv;

	if (!seed_allowed(srv->conf, m->name.s)) {
		sconn_refuse(sc, CPNS_WIRE_ERR_DENIED, CPNS_WIRE_SEED_REQUEST,
			     "'%s' may not receive a seed (seed_allow)",
			     m->name.s);
		return -1;
	}
	/* The seeds this GW1 holds now retire (rotation): the store knows. */
	memset(rt, 0, sizeof(*rt));
	if (srv->store) {
		keystore_expire(srv);
		if (keystore_owned_seeds(srv, m->name.s, rt)) {
			sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL,
				     CPNS_WIRE_SEED_REQUEST,
				     "I-2: the store could not be read");
			return -1;
		}
	}
	return 0;
}

/* I-2: the new seed, stored with the retirement before GW1 relies on it. */
static int seed_make(struct sconn *sc, const struct cpns_wire_key_request *m,
		     const struct keystore_retire *rt,
		     uint8_t sid[CPNS_SEED_ID_LEN])
{
	struct server *srv = sc->srv;
	int32_t serial;
	int ret;

	ret = cpns_seed_new(srv->nl, srv->conf->seed_lifetime, sid, &serial);
	if (ret) {
		sconn_kernel_error(sc, "I-2 seed_new", ret, false,
				   CPNS_WIRE_SEED_REQUEST);
		return -1;
	}
	sc_info(sc, "I-2 made seed id %s (key %d)%s",
		cpns_log_hex(sid, CPNS_SEED_ID_LEN), serial,
		rt->n ? ", a rotation" : "");
	if (srv->store &&
	    keystore_seed_save(srv, sid, m->name.s, sc->c.peer, rt)) {
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL, CPNS_WIRE_SEED_REQUEST,
			     "I-2: the seed could not be stored");
		unsent_seed(sc, sid, false);
		return -1;
	}
	retire_seeds(sc, rt);
	return 0;
}

/* I-3: the seed sealed to GW1's key, and the retirement it starts. */
static void seed_send(struct sconn *sc, const struct cpns_wire_key_request *m,
		      const struct keystore_retire *rt,
		      const uint8_t sid[CPNS_SEED_ID_LEN])
{
	struct server *srv = sc->srv;
	struct cpns_wire_msg out;
	struct cpns_wire_seed_response *r = &out.seed_response;
	struct cpns_proof proof = {
		.kind = CPNS_PROOF_RECEIVER,
		.pair_key = &srv->conf->seed_pairing,
	};
	uint32_t code, handle;
	int ret;

	memset(&out, 0, sizeof(out));
	out.type = CPNS_WIRE_SEED_RESPONSE;
	memcpy(proof.mac, m->proof, sizeof(proof.mac));
	ret = cpns_seed_export(srv->nl, sid, m->pubkey, r->pubkey, &handle);
	if (!ret)
		ret = cpns_xfer_release(srv->nl, handle, &proof, r->wrapped,
					&code);
	if (ret) {
		/* The seed is of no use to anyone now: do not keep it. */
		if (ret == -EBADMSG)
			sconn_refuse(sc, CPNS_WIRE_ERR_BAD_MAC,
				     CPNS_WIRE_SEED_REQUEST,
				     "I-3: the receiver MAC does not verify: '%s' holds another seed_pairing_key, or its public key was altered; no seed sent",
				     m->name.s);
		else
			sconn_kernel_error(sc, "I-3 seed_export", ret, false,
					   CPNS_WIRE_SEED_REQUEST);
		unsent_seed(sc, sid, true);
		return;
	}
	memcpy(r->sid, sid, sizeof(r->sid));
	if (rt->n) {
		memcpy(r->retired_sid, rt->last, sizeof(r->retired_sid));
		r->retire_at = rt->last_at;
	}
	if (sconn_send(sc, &out)) {
		unsent_seed(sc, sid, true);
		return;
	}
	sc_notice(sc, "I-3 sent seed id %s to '%s', sealed to its key; transfer code %06u",
		  cpns_log_hex(sid, CPNS_SEED_ID_LEN), m->name.s, code);
	if (rt->n)
		sc_notice(sc, "I-3 told '%s' that seed id %s retires at %llu",
			  m->name.s, HEX(rt->last),
			  (unsigned long long)rt->last_at);
}

/*
 * I-1: the receiver MAC proves GW1's public key a kernel's own, checked
 * before anything is made or retired (XFER_RELEASE checks it again).
 */
static int seed_proof(struct sconn *sc, const struct cpns_wire_key_request *m)
{
	struct server *srv = sc->srv;
	int ret;

	ret = cpns_xfer_accept_check(srv->nl, CPNS_KEY_SEED,
				     &srv->conf->seed_pairing, m->pubkey,
				     m->proof);
	if (ret == -EBADMSG)
		sconn_refuse(sc, CPNS_WIRE_ERR_BAD_MAC, CPNS_WIRE_SEED_REQUEST,
			     "I-1: the receiver MAC does not verify: '%s' holds another seed_pairing_key, or its public key was altered; no seed made",
			     m->name.s);
	else if (ret)
		sconn_kernel_error(sc, "I-1 xfer_accept", ret, false,
				   CPNS_WIRE_SEED_REQUEST);
	return ret ? -1 : 0;
}

void seed_request(struct sconn *sc, const struct cpns_wire_key_request *m)
{
	struct keystore_retire rt;
	uint8_t sid[CPNS_SEED_ID_LEN];

	sc_info(sc, "I-1 received seed request from '%s', public key %s",
		m->name.s, HEX(m->pubkey));
	if (seedsync_check(sc, CPNS_WIRE_SEED_REQUEST))
		return;
	if (!sc->srv->conf->seed_pairing.type ||
	    !(m->flags & CPNS_WIRE_SEED_PROOF)) {
		sconn_refuse(sc, CPNS_WIRE_ERR_DENIED, CPNS_WIRE_SEED_REQUEST,
			     "I-1: %s: the kernel seals a seed only to a public key proven by the receiver MAC (seed_pairing_key)",
			     sc->srv->conf->seed_pairing.type ?
			     "the request carries no receiver MAC" :
			     "this server has no seed_pairing_key");
		return;
	}
	if (seed_proof(sc, m) || seed_check(sc, m, &rt) ||
	    seed_make(sc, m, &rt, sid))
		return;
	seed_send(sc, m, &rt, sid);
}
