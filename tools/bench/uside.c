// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The baseline's own keys: a random seed, a Device ID and Device Key
 * assigned from it by the same steps the kernel runs (ref.h), and one
 * session made by the a-flow, as kside.c makes them in the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "bench.h"

static int fail(const char *step, int err)
{
	fprintf(stderr, "cpns-bench: baseline %s: %s\n", step, strerror(-err));
	return err;
}

int uside_auth(struct bench_user *u, struct ref_session *srv,
	       struct ref_session *gw2)
{
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint8_t cmac[CPNS_MAC_LEN], smac[CPNS_MAC_LEN];
	struct ref_session_keys sk;
	int err;

	/* a-0: GW2 draws nc (AUTH_BEGIN), S draws ns (AUTH_CHALLENGE). */
	err = ref_random(nc, sizeof(nc));
	if (!err)
		err = ref_random(ns, sizeof(ns));
	if (!err)
		err = ref_cmd_auth_client(u->dk, u->did, nc, ns, cmac);
	if (!err)
		err = ref_cmd_auth_server(u->seed, u->did, nc, ns, cmac, smac,
					  &sk);
	if (!err)
		err = ref_session_new(srv, true, &sk);
	if (err)
		return err;
	err = ref_cmd_auth_finish(u->dk, u->did, nc, ns, smac, &sk);
	if (!err)
		err = ref_session_new(gw2, false, &sk);
	if (err)
		ref_session_free(srv);
	return err;
}

int uside_open(struct bench *b)
{
	struct bench_user *u = &b->u;
	uint8_t code[CPNS_MAC_LEN];
	int err;

	err = ref_random(u->seed, sizeof(u->seed));
	if (!err)
		err = ref_random(u->sid, sizeof(u->sid));
	if (!err)
		err = ref_seed_auth_key(u->seed, u->sid, u->ska);
	if (err)
		return fail("random", err);

	/* II-1 .. II-8 */
	err = ref_random(u->n1, sizeof(u->n1));
	if (!err)
		err = ref_cmd_assign_request(u->ska, u->sid, u->n1,
					     u->req_mac);
	if (!err)
		err = ref_random(u->ch, sizeof(u->ch));
	if (!err)
		err = ref_cmd_assign_challenge(u->ska, u->sid, u->n1,
					       u->req_mac, u->ch, u->ch_mac);
	if (!err)
		err = ref_cmd_assign_derive(u->seed, u->ska, u->sid, u->n1,
					    u->ch, u->ch_mac, u->did, u->dk);
	if (!err)
		err = ref_cmd_assign_confirm(u->seed, u->sid, u->ch, u->did,
					     code);
	if (!err)
		err = ref_cmd_assign_verify(u->dk, u->did, u->ch, code);
	if (err)
		return fail("flow II", err);

	err = uside_auth(u, &u->srv, &u->gw2);
	if (err)
		return fail("flow a", err);
	return 0;
}

void uside_close(struct bench *b)
{
	ref_session_free(&b->u.srv);
	ref_session_free(&b->u.gw2);
	OPENSSL_cleanse(&b->u, sizeof(b->u));
}
