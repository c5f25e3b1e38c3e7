// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Before anything is timed: the baseline must compute the kernel's bytes,
 * or the ratio compares different work. For every known-answer vector:
 *   - the baseline's KAT (the userspace side of the kat op) and the
 *     kernel's KAT command against the vector, and against each other;
 *   - the steps the other ops' baselines run (ref_cmd_*, sessions) with
 *     the vector's random values, against the vector, and each check a
 *     step makes, given a wrong value, must refuse it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>

#include "bench.h"

struct chk {
	struct bench_check *res;
	size_t vector;
	const char *what;
};

static void report(const char *field, int aead, bool ok, void *arg)
{
	struct chk *c = arg;

	c->res->compared++;
	if (ok)
		return;
	c->res->failed++;
	if (aead >= 0)
		fprintf(stderr, "cpns-bench: vector %zu: %s: aead[%d].%s differs\n",
			c->vector, c->what, aead, field);
	else
		fprintf(stderr, "cpns-bench: vector %zu: %s: %s differs\n",
			c->vector, c->what, field);
}

static void expect(struct chk *c, const char *field, int err,
		   const void *got, const void *want, size_t len)
{
	if (err)
		fprintf(stderr, "cpns-bench: vector %zu: %s: %s failed: %s\n",
			c->vector, c->what, field, strerror(-err));
	report(field, -1, !err && !memcmp(got, want, len), c);
}

/* A step that only checks must accept the vector's values. */
static void expect_ok(struct chk *c, const char *what, int err)
{
	if (err)
		fprintf(stderr, "cpns-bench: vector %zu: %s: %s failed: %s\n",
			c->vector, c->what, what, strerror(-err));
	report(what, -1, !err, c);
}

/* A step given one wrong value must fail with -EBADMSG. */
static void expect_refused(struct chk *c, const char *what, int err)
{
	if (err != -EBADMSG)
		fprintf(stderr, "cpns-bench: vector %zu: %s: %s: expected EBADMSG, got %s\n",
			c->vector, c->what, what, err ? strerror(-err) : "success");
	report(what, -1, err == -EBADMSG, c);
}

static void flip(uint8_t *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len - 1] ^= 0x01;
}

static void check_kat(struct bench *b, struct chk *c,
		      const struct cpns_vector *v)
{
	struct cpns_kat_output ours, kern;
	int err;

	c->what = "baseline KAT";
	err = ref_kat(&v->in, &ours);
	if (err) {
		fprintf(stderr, "cpns-bench: vector %zu: baseline KAT: %s\n",
			c->vector, strerror(-err));
		report("kat", -1, false, c);
		return;
	}
	cpns_kat_check(&v->want, &ours, report, c);

	if (b->user_only) {
		cpns_kat_output_clear(&ours);
		return;
	}
	c->what = "kernel KAT";
	err = cpns_kat(b->k.kat.nl, &v->in, &kern);
	if (err) {
		kside_fail(&b->k.s, "KAT", err);
		report("kat", -1, false, c);
		cpns_kat_output_clear(&ours);
		return;
	}
	cpns_kat_check(&v->want, &kern, report, c);
	c->what = "kernel KAT against the baseline's";
	cpns_kat_check(&kern, &ours, report, c);
	cpns_kat_output_clear(&kern);
	cpns_kat_output_clear(&ours);
}

static void check_sessions(struct chk *c, const struct cpns_vector *v,
			   struct ref_session_keys *srv_keys,
			   struct ref_session_keys *gw2_keys)
{
	const struct cpns_kat_input *in = &v->in;
	struct ref_session srv = { 0 }, gw2 = { 0 };
	uint8_t buf[CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN];
	uint8_t pt[CPNS_MAX_PLAINTEXT];
	const struct cpns_kat_aead_in *e;
	struct ref_aead *seal, *open;
	size_t i;
	int err;

	c->what = "baseline sessions";
	err = ref_session_new(&srv, true, srv_keys);
	if (!err)
		err = ref_session_new(&gw2, false, gw2_keys);
	if (err) {
		report("session", -1, false, c);
		goto out;
	}
	for (i = 0; i < in->naead; i++) {
		e = &in->aead[i];
		seal = e->dir == CPNS_DIR_C2S ? gw2.seal : srv.seal;
		open = e->dir == CPNS_DIR_C2S ? srv.open : gw2.open;

		err = ref_seal(seal, e->seq, e->aad, e->aad_len, e->pt,
			       e->pt_len, buf);
		report("sealed", (int)i, !err && i < v->want.naead &&
		       v->want.aead[i].len == e->pt_len + CPNS_TAG_LEN &&
		       !memcmp(buf, v->want.aead[i].data, v->want.aead[i].len),
		       c);
		err = ref_open(open, e->seq, e->aad, e->aad_len, buf,
			       e->pt_len + CPNS_TAG_LEN, pt);
		report("opened", (int)i, !err && !memcmp(pt, e->pt, e->pt_len),
		       c);
		buf[0] ^= 0x01;
		expect_refused(c, "open of an altered message",
			       ref_open(open, e->seq, e->aad, e->aad_len, buf,
					e->pt_len + CPNS_TAG_LEN, pt));
		buf[0] ^= 0x01;
		expect_refused(c, "open with another sequence number",
			       ref_open(open, e->seq + 1, e->aad, e->aad_len,
					buf, e->pt_len + CPNS_TAG_LEN, pt));
	}
out:
	ref_session_free(&srv);
	ref_session_free(&gw2);
}

/* The baseline's steps, with the vector's random values. */
static void check_steps(struct chk *c, const struct cpns_vector *v)
{
	const struct cpns_kat_input *in = &v->in;
	const struct cpns_kat_output *w = &v->want;
	uint8_t mac[CPNS_MAC_LEN], bad[CPNS_MAC_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN], bad_did[CPNS_DEVICE_ID_LEN];
	uint8_t dk[CPNS_KEY_LEN], ska[CPNS_KEY_LEN];
	struct ref_session_keys sks, skg;
	int err;

	c->what = "baseline steps";
	err = ref_seed_auth_key(in->key_seed, in->seed_id, ska);
	expect(c, "seed_auth_key", err, ska, w->seed_auth_key, CPNS_KEY_LEN);
	err = ref_cmd_assign_request(ska, in->seed_id,
				     in->request_nonce, mac);
	expect(c, "assign_request_mac", err, mac, w->assign_request_mac,
	       CPNS_MAC_LEN);

	err = ref_cmd_assign_challenge(ska, in->seed_id,
				       in->request_nonce, w->assign_request_mac,
				       in->challenge, mac);
	expect(c, "assign_challenge_mac", err, mac, w->assign_challenge_mac,
	       CPNS_MAC_LEN);
	flip(bad, w->assign_request_mac, CPNS_MAC_LEN);
	expect_refused(c, "challenge to a wrong request MAC",
		       ref_cmd_assign_challenge(ska, in->seed_id,
						in->request_nonce, bad,
						in->challenge, mac));

	err = ref_cmd_assign_derive(in->key_seed, ska, in->seed_id,
				    in->request_nonce, in->challenge,
				    w->assign_challenge_mac, did, dk);
	expect(c, "device_id", err, did, w->device_id, CPNS_DEVICE_ID_LEN);
	expect(c, "device_key", err, dk, w->device_key, CPNS_KEY_LEN);
	flip(bad, w->assign_challenge_mac, CPNS_MAC_LEN);
	expect_refused(c, "derive from a wrong challenge MAC",
		       ref_cmd_assign_derive(in->key_seed, ska, in->seed_id,
					     in->request_nonce, in->challenge,
					     bad, did, dk));

	err = ref_cmd_assign_confirm(in->key_seed, in->seed_id, in->challenge,
				     w->device_id, mac);
	expect(c, "assign_confirm", err, mac, w->assign_confirm, CPNS_MAC_LEN);
	flip(bad_did, w->device_id, CPNS_DEVICE_ID_LEN);
	expect_refused(c, "confirm of a wrong Device ID",
		       ref_cmd_assign_confirm(in->key_seed, in->seed_id,
					      in->challenge, bad_did, mac));

	expect_ok(c, "verify of the code",
		  ref_cmd_assign_verify(w->device_key, w->device_id,
					in->challenge, w->assign_confirm));
	flip(bad, w->assign_confirm, CPNS_MAC_LEN);
	expect_refused(c, "verify of a wrong code",
		       ref_cmd_assign_verify(w->device_key, w->device_id,
					     in->challenge, bad));

	err = ref_cmd_auth_client(w->device_key, w->device_id,
				  in->client_nonce, in->server_nonce, mac);
	expect(c, "auth_client_mac", err, mac, w->auth_client_mac,
	       CPNS_MAC_LEN);

	err = ref_cmd_auth_server(in->key_seed, w->device_id, in->client_nonce,
				  in->server_nonce, w->auth_client_mac, mac,
				  &sks);
	expect(c, "auth_server_mac", err, mac, w->auth_server_mac,
	       CPNS_MAC_LEN);
	expect(c, "session_key_c2s (server)", err, sks.c2s,
	       w->session_key_c2s, CPNS_KEY_LEN);
	expect(c, "session_key_s2c (server)", err, sks.s2c,
	       w->session_key_s2c, CPNS_KEY_LEN);
	flip(bad, w->auth_client_mac, CPNS_MAC_LEN);
	expect_refused(c, "server given a wrong a-1 code",
		       ref_cmd_auth_server(in->key_seed, w->device_id,
					   in->client_nonce, in->server_nonce,
					   bad, mac, &skg));

	err = ref_cmd_auth_finish(w->device_key, w->device_id,
				  in->client_nonce, in->server_nonce,
				  w->auth_server_mac, &skg);
	expect(c, "session_key_c2s (GW2)", err, skg.c2s, w->session_key_c2s,
	       CPNS_KEY_LEN);
	expect(c, "session_key_s2c (GW2)", err, skg.s2c, w->session_key_s2c,
	       CPNS_KEY_LEN);
	flip(bad, w->auth_server_mac, CPNS_MAC_LEN);
	expect_refused(c, "GW2 given a wrong a-3 code",
		       ref_cmd_auth_finish(w->device_key, w->device_id,
					   in->client_nonce, in->server_nonce,
					   bad, &sks));

	/* The sessions the a-flow leaves, from each end's own keys. */
	err = ref_cmd_auth_server(in->key_seed, w->device_id, in->client_nonce,
				  in->server_nonce, w->auth_client_mac, mac,
				  &sks);
	if (!err)
		err = ref_cmd_auth_finish(w->device_key, w->device_id,
					  in->client_nonce, in->server_nonce,
					  w->auth_server_mac, &skg);
	if (err)
		report("sessions", -1, false, c);
	else
		check_sessions(c, v, &sks, &skg);

	OPENSSL_cleanse(dk, sizeof(dk));
	OPENSSL_cleanse(&sks, sizeof(sks));
	OPENSSL_cleanse(&skg, sizeof(skg));
}

int bench_check(struct bench *b, struct bench_check *res)
{
	struct chk c = { .res = res };
	size_t i;

	*res = (struct bench_check){ 0 };
	for (i = 0; i < b->vs->n; i++) {
		c.vector = i;
		check_kat(b, &c, &b->vs->v[i]);
		check_steps(&c, &b->vs->v[i]);
		res->vectors++;
	}
	return res->failed || !res->vectors ? -EBADMSG : 0;
}
