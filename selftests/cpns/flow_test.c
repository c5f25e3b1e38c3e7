// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * The CPNS-KA-1 flows step by step between three network namespaces (S,
 * GW1, GW2), the key states at each stage, and the negative case of each
 * step: every refusal must leave the stored state as it was.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

#define SL CPNS_SEED_ID_LEN
#define DL CPNS_DEVICE_ID_LEN

static void flip(uint8_t *buf, size_t i)
{
	buf[i] ^= 0x01;
}

FIXTURE(flow) {
	struct fl_ctx c;
};

FIXTURE_SETUP(flow)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
}

FIXTURE_TEARDOWN(flow)
{
	fl_close(&self->c);
}

static uint32_t pending(struct __test_metadata *_metadata,
			const struct fl_host *h)
{
	uint32_t p = ~0u;

	EXPECT_EQ(0, fl_counts(h, &p, NULL));
	return p;
}

static uint32_t sessions(struct __test_metadata *_metadata,
			 const struct fl_host *h)
{
	uint32_t s = ~0u;

	EXPECT_EQ(0, fl_counts(h, NULL, &s));
	return s;
}

static uint64_t failures(struct __test_metadata *_metadata,
			 const struct fl_host *h, unsigned int reason)
{
	struct cpns_stats st;

	EXPECT_EQ(0, cpns_get_stats(h->nl, &st));
	return st.fail[reason].count;
}

/* Seed at S and GW1 (I-2, I-3). */
static void to_seeded(struct __test_metadata *_metadata, struct fl_ctx *c)
{
	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
}

/* ... and a confirmed Device Key at GW1 (II-1..II-8). */
static void to_confirmed(struct __test_metadata *_metadata, struct fl_ctx *c)
{
	to_seeded(_metadata, c);
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
}

/* ... and the Device Key at GW2 (II-9). */
static void to_gw2(struct __test_metadata *_metadata, struct fl_ctx *c)
{
	to_confirmed(_metadata, c);
	ASSERT_EQ(0, fl_device_xfer(c));
}

TEST_F(flow, full_flow_key_states)
{
	struct fl_ctx *c = &self->c;
	struct cpns_nl *extra[3];
	struct cpns_stats st;
	char type[64], desc[256];
	int32_t pending_serial;
	int i;

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_check_key(&c->s, c->sid, SL, CPNS_ROLE_SERVER,
				  CPNS_STATE_ACTIVE));
	ASSERT_EQ(0, fl_count_keys(&c->g1));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_check_key(&c->g1, c->sid, SL, CPNS_ROLE_GW1,
				  CPNS_STATE_ACTIVE));
	/* The transfer key pair was consumed by SEED_IMPORT. */
	ASSERT_EQ(0, pending(_metadata, &c->g1));

	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, memcmp(c->did, c->sid, SL));
	ASSERT_EQ(0, fl_check_key(&c->g1, c->did, DL, CPNS_ROLE_GW1,
				  CPNS_STATE_PENDING));
	/* II-2's challenge waits at S until II-6. */
	ASSERT_EQ(1, pending(_metadata, &c->s));
	pending_serial = c->dk_serial_g1;

	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(0, pending(_metadata, &c->s));
	ASSERT_EQ(0, fl_check_key(&c->g1, c->did, DL, CPNS_ROLE_GW1,
				  CPNS_STATE_CONFIRMED));
	/* II-8 replaced the pending key by a confirmed one. */
	if (pending_serial != c->dk_serial_g1)
		ASSERT_NE(0, fl_key_describe(pending_serial, type,
					     sizeof(type), desc, sizeof(desc)));

	ASSERT_EQ(0, fl_device_xfer(c));
	ASSERT_EQ(0, fl_check_key(&c->g2, c->did, DL, CPNS_ROLE_GW2,
				  CPNS_STATE_ACTIVE));
	ASSERT_EQ(1, fl_count_keys(&c->g2));
	ASSERT_EQ(0, pending(_metadata, &c->g2));
	/* The server stores its seed only; it re-derives Device Keys. */
	ASSERT_EQ(1, fl_count_keys(&c->s));
	ASSERT_EQ(2, fl_count_keys(&c->g1));

	ASSERT_EQ(0, fl_auth(c));
	ASSERT_EQ(1, sessions(_metadata, &c->s));
	ASSERT_EQ(1, sessions(_metadata, &c->g2));
	ASSERT_EQ(0, pending(_metadata, &c->s));
	ASSERT_EQ(0, pending(_metadata, &c->g2));
	ASSERT_EQ(0, fl_exchange(c, "status: online", "ack: online"));
	ASSERT_EQ(0, fl_exchange(c, "status: idle", "ack: idle"));

	/* Each successful step was counted. */
	ASSERT_EQ(0, cpns_get_stats(c->s.nl, &st));
	ASSERT_LE(1, st.op[CPNS_CMD_SEED_NEW].ok);
	ASSERT_LE(1, st.op[CPNS_CMD_AUTH_SERVER].ok);
	ASSERT_LE(2, st.op[CPNS_CMD_OPEN].ok);

	/* Closing the flow's sockets ends its sessions. */
	for (i = 0; i < 3; i++) {
		struct fl_host *h = i == 0 ? &c->s : i == 1 ? &c->g1 : &c->g2;

		extra[i] = fl_socket(h);
		ASSERT_NE(NULL, extra[i]);
		cpns_close(h->nl);
		h->nl = extra[i];
		ASSERT_EQ(0, pending(_metadata, h));
		ASSERT_EQ(0, sessions(_metadata, h));
	}
	/* The keys outlive the sockets; S keeps its seed only: the
	 * device's re-keyed record is a blob in its daemon's store
	 * (Documentation/rekey.rst, "Records on the server").
	 */
	ASSERT_EQ(1, fl_count_keys(&c->s));
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->srec.state);
	ASSERT_EQ(2, fl_count_keys(&c->g1));
	ASSERT_EQ(1, fl_count_keys(&c->g2));
}

static void seal(struct __test_metadata *_metadata, struct fl_host *h,
		 uint32_t handle, const char *aad, const char *text,
		 uint64_t *seq, uint8_t *out, size_t *outlen)
{
	*outlen = strlen(text) + CPNS_TAG_LEN;
	NL_OK(h->nl, cpns_seal(h->nl, handle, aad, strlen(aad), text,
			       strlen(text), seq, out, outlen));
	ASSERT_EQ(strlen(text) + CPNS_TAG_LEN, *outlen);
}

static int unseal(struct fl_host *h, uint32_t handle, uint64_t seq,
		  const char *aad, const uint8_t *in, size_t len, char *out)
{
	size_t olen = 255;
	int err;

	err = cpns_unseal(h->nl, handle, seq, aad, strlen(aad), in, len, out,
			  &olen);
	out[err ? 0 : olen] = '\0';
	return err;
}

/* Replayed, altered or misdirected messages are refused; the session goes on. */
static void check_channel(struct __test_metadata *_metadata,
			  struct fl_host *from, uint32_t hf,
			  struct fl_host *to, uint32_t ht)
{
	uint8_t m0[64], m1[64], m2[64], bad[64];
	size_t l0, l1, l2;
	uint64_t s0, s1, s2;
	char out[256];

	seal(_metadata, from, hf, "a", "first", &s0, m0, &l0);
	seal(_metadata, from, hf, "a", "second", &s1, m1, &l1);
	seal(_metadata, from, hf, "a", "third", &s2, m2, &l2);
	ASSERT_EQ(s0 + 1, s1);
	ASSERT_EQ(s1 + 1, s2);

	NL_OK(to->nl, unseal(to, ht, s0, "a", m0, l0, out));
	ASSERT_STREQ("first", out);
	/* Replay of an opened message. */
	NL_ERR(to->nl, EALREADY, unseal(to, ht, s0, "a", m0, l0, out));

	/* Altered ciphertext, altered tag, wrong AAD, wrong sequence. */
	memcpy(bad, m1, l1);
	flip(bad, 0);
	NL_ERR(to->nl, EBADMSG, unseal(to, ht, s1, "a", bad, l1, out));
	memcpy(bad, m1, l1);
	flip(bad, l1 - 1);
	NL_ERR(to->nl, EBADMSG, unseal(to, ht, s1, "a", bad, l1, out));
	NL_ERR(to->nl, EBADMSG, unseal(to, ht, s1, "b", m1, l1, out));
	NL_ERR(to->nl, EBADMSG, unseal(to, ht, s2, "a", m1, l1, out));

	/* None of that moved the window: the genuine message opens. */
	NL_OK(to->nl, unseal(to, ht, s1, "a", m1, l1, out));
	ASSERT_STREQ("second", out);
	NL_ERR(to->nl, EALREADY, unseal(to, ht, s1, "a", m1, l1, out));
	NL_ERR(to->nl, EALREADY, unseal(to, ht, s0, "a", m0, l0, out));
	NL_OK(to->nl, unseal(to, ht, s2, "a", m2, l2, out));
	ASSERT_STREQ("third", out);
}

TEST_F(flow, sealed_channel_replay_and_tamper)
{
	struct fl_ctx *c = &self->c;
	uint8_t m[64];
	size_t l;
	uint64_t s;
	char out[256];

	to_gw2(_metadata, c);
	ASSERT_EQ(0, fl_auth(c));
	check_channel(_metadata, &c->g2, c->hg, &c->s, c->hs);
	check_channel(_metadata, &c->s, c->hs, &c->g2, c->hg);

	/* Directions have their own keys: a reflected message fails. */
	seal(_metadata, &c->g2, c->hg, "a", "to server", &s, m, &l);
	NL_ERR(c->g2.nl, EBADMSG, unseal(&c->g2, c->hg, s + 100, "a", m, l,
					 out));
	NL_OK(c->s.nl, unseal(&c->s, c->hs, s, "a", m, l, out));
	ASSERT_STREQ("to server", out);
}

TEST_F(flow, session_belongs_to_its_socket)
{
	struct fl_ctx *c = &self->c;
	struct cpns_nl *other;
	uint8_t m[64];
	uint64_t seq;
	size_t l = sizeof(m);

	to_gw2(_metadata, c);
	ASSERT_EQ(0, fl_auth(c));
	other = fl_socket(&c->s);
	ASSERT_NE(NULL, other);
	NL_ERR(other, ENOENT, cpns_seal(other, c->hs, NULL, 0, "x", 1, &seq,
					m, &l));
	NL_ERR(other, ENOENT, cpns_session_del(other, c->hs));
	cpns_close(other);
	/* GW2's handle means nothing on S's socket either (unless equal). */
	if (c->hg != c->hs) {
		l = sizeof(m);
		NL_ERR(c->s.nl, ENOENT, cpns_seal(c->s.nl, c->hg, NULL, 0,
						  "x", 1, &seq, m, &l));
	}
	ASSERT_EQ(0, fl_exchange(c, "still", "here"));

	/* SESSION_DEL ends it. */
	NL_OK(c->s.nl, cpns_session_del(c->s.nl, c->hs));
	ASSERT_EQ(0, sessions(_metadata, &c->s));
	l = sizeof(m);
	NL_ERR(c->s.nl, ENOENT, cpns_seal(c->s.nl, c->hs, NULL, 0, "x", 1,
					  &seq, m, &l));
	NL_ERR(c->s.nl, ENOENT, cpns_session_del(c->s.nl, c->hs));
}

TEST_F(flow, seed_xfer_refusals)
{
	struct fl_ctx *c = &self->c;
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN], bad[CPNS_WRAPPED_LEN];
	uint8_t sid[SL], zero[CPNS_PUBKEY_LEN] = { 0 };
	uint32_t h, code, code2;
	int32_t serial;

	ASSERT_EQ(0, fl_seed_new(c));
	NL_OK(c->g1.nl, cpns_xfer_new(c->g1.nl, &h, rpub));
	ASSERT_EQ(1, pending(_metadata, &c->g1));

	/* Unknown seed, and a low-order (all-zero) receiver key. */
	memcpy(sid, c->sid, SL);
	flip(sid, 7);
	NL_ERR(c->s.nl, ENOKEY, fl_export(c->s.nl, c->g1.nl, h, CPNS_KEY_SEED, sid, rpub, spub,
						 wrapped, &code));
	NL_ERR(c->s.nl, EKEYREJECTED, fl_export(c->s.nl, c->g1.nl, h, CPNS_KEY_SEED, c->sid, zero,
						       spub, wrapped, &code));

	NL_OK(c->s.nl, fl_export(c->s.nl, c->g1.nl, h, CPNS_KEY_SEED, c->sid, rpub, spub, wrapped,
					&code));
	/* The handle of another socket is unknown. */
	NL_ERR(c->s.nl, ENOENT, cpns_seed_import(c->s.nl, h, c->sid, spub,
						 wrapped, 0, &serial, &code2));
	/* A tampered wrap does not open, and spends the key pair (no
	 * second guess with one key pair): nothing is stored.
	 */
	memcpy(bad, wrapped, sizeof(bad));
	flip(bad, 3);
	NL_ERR(c->g1.nl, EBADMSG, cpns_seed_import(c->g1.nl, h, c->sid, spub,
						   bad, 0, &serial, &code2));
	ASSERT_EQ(0, fl_count_keys(&c->g1));
	ASSERT_EQ(0, pending(_metadata, &c->g1));
	NL_ERR(c->g1.nl, ENOENT, cpns_seed_import(c->g1.nl, h, c->sid, spub,
						  wrapped, 0, &serial,
						  &code2));
	/* Under another Seed ID it does not open either. */
	NL_OK(c->g1.nl, cpns_xfer_new(c->g1.nl, &h, rpub));
	NL_OK(c->s.nl, fl_export(c->s.nl, c->g1.nl, h, CPNS_KEY_SEED, c->sid, rpub, spub, wrapped,
					&code));
	NL_ERR(c->g1.nl, EBADMSG, cpns_seed_import(c->g1.nl, h, sid, spub,
						   wrapped, 0, &serial,
						   &code2));
	ASSERT_EQ(0, fl_count_keys(&c->g1));
	ASSERT_EQ(1, fl_count_keys(&c->s));

	/* A fresh key pair and export go through. */
	NL_OK(c->g1.nl, cpns_xfer_new(c->g1.nl, &h, rpub));
	NL_OK(c->s.nl, fl_export(c->s.nl, c->g1.nl, h, CPNS_KEY_SEED, c->sid, rpub, spub, wrapped,
					&code));
	NL_OK(c->g1.nl, cpns_seed_import(c->g1.nl, h, c->sid, spub, wrapped,
					 0, &serial, &code2));
	ASSERT_EQ(code, code2);
	ASSERT_EQ(0, pending(_metadata, &c->g1));
	/* The handle is consumed, and the seed is present only once. */
	NL_ERR(c->g1.nl, ENOENT, cpns_seed_import(c->g1.nl, h, c->sid, spub,
						  wrapped, 0, &serial,
						  &code2));
	ASSERT_EQ(1, fl_count_keys(&c->g1));
	ASSERT_EQ(0, fl_check_key(&c->g1, c->sid, SL, CPNS_ROLE_GW1,
				  CPNS_STATE_ACTIVE));
}

TEST_F(flow, forged_request_mac)
{
	struct fl_ctx *c = &self->c;
	uint8_t n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	uint64_t bad;

	to_seeded(_metadata, c);
	NL_OK(c->g1.nl, cpns_assign_request(c->g1.nl, c->sid, n1, mac));
	bad = failures(_metadata, &c->s, CPNS_FAIL_BAD_MAC);

	flip(mac, 31);
	NL_ERR(c->s.nl, EBADMSG, cpns_assign_challenge(c->s.nl, c->sid, n1,
						       mac, ch, chmac));
	flip(mac, 31);
	flip(n1, 0);
	NL_ERR(c->s.nl, EBADMSG, cpns_assign_challenge(c->s.nl, c->sid, n1,
						       mac, ch, chmac));
	flip(n1, 0);
	ASSERT_EQ(0, pending(_metadata, &c->s));
	ASSERT_EQ(bad + 2, failures(_metadata, &c->s, CPNS_FAIL_BAD_MAC));

	NL_OK(c->s.nl, cpns_assign_challenge(c->s.nl, c->sid, n1, mac, ch,
					     chmac));
	ASSERT_EQ(1, pending(_metadata, &c->s));
}

TEST_F(flow, unknown_seed_id)
{
	struct fl_ctx *c = &self->c;
	uint8_t sid[SL], n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	uint8_t did[DL], code[CPNS_MAC_LEN];
	uint32_t h;
	uint8_t nc[CPNS_NONCE_LEN];

	to_seeded(_metadata, c);
	memcpy(sid, c->sid, SL);
	flip(sid, 0);
	NL_ERR(c->g1.nl, ENOKEY, cpns_assign_request(c->g1.nl, sid, n1, mac));
	NL_OK(c->g1.nl, cpns_assign_request(c->g1.nl, c->sid, n1, mac));
	NL_ERR(c->s.nl, ENOKEY, cpns_assign_challenge(c->s.nl, sid, n1, mac,
						      ch, chmac));
	/* GW2 holds no seed: a GW1-only step with S's Seed ID fails. */
	NL_ERR(c->g2.nl, ENOKEY, cpns_assign_request(c->g2.nl, c->sid, n1,
						     mac));
	/* A Device ID under an unknown seed, at II-5 and at a-0. */
	memcpy(did, sid, SL);
	memset(did + SL, 0x5a, DL - SL);
	NL_ERR(c->s.nl, ENOKEY, cpns_assign_confirm(c->s.nl, did, n1, code));
	NL_ERR(c->s.nl, ENOKEY, cpns_auth_challenge(c->s.nl, did, n1, &h, nc));
	NL_ERR(c->g2.nl, ENOKEY, cpns_auth_begin(c->g2.nl, did, &h, nc));
	ASSERT_EQ(0, pending(_metadata, &c->s));
	ASSERT_EQ(0, pending(_metadata, &c->g2));
}

TEST_F(flow, tampered_challenge)
{
	struct fl_ctx *c = &self->c;
	uint8_t ch[CPNS_CHALLENGE_LEN], mac[CPNS_MAC_LEN], n1[CPNS_NONCE_LEN];
	int32_t serial;

	to_seeded(_metadata, c);
	NL_OK(c->g1.nl, cpns_assign_request(c->g1.nl, c->sid, c->n1,
					    c->req_mac));
	NL_OK(c->s.nl, cpns_assign_challenge(c->s.nl, c->sid, c->n1,
					     c->req_mac, c->ch, c->ch_mac));

	memcpy(ch, c->ch, sizeof(ch));
	flip(ch, 5);
	NL_ERR(c->g1.nl, EBADMSG, cpns_assign_derive(c->g1.nl, c->sid, c->n1,
						     ch, c->ch_mac, c->did,
						     &serial));
	memcpy(mac, c->ch_mac, sizeof(mac));
	flip(mac, 0);
	NL_ERR(c->g1.nl, EBADMSG, cpns_assign_derive(c->g1.nl, c->sid, c->n1,
						     c->ch, mac, c->did,
						     &serial));
	memcpy(n1, c->n1, sizeof(n1));
	flip(n1, 15);
	NL_ERR(c->g1.nl, EBADMSG, cpns_assign_derive(c->g1.nl, c->sid, n1,
						     c->ch, c->ch_mac, c->did,
						     &serial));
	/* GW1 stored nothing. */
	ASSERT_EQ(1, fl_count_keys(&c->g1));

	NL_OK(c->g1.nl, cpns_assign_derive(c->g1.nl, c->sid, c->n1, c->ch,
					   c->ch_mac, c->did,
					   &c->dk_serial_g1));
	ASSERT_EQ(0, fl_check_key(&c->g1, c->did, DL, CPNS_ROLE_GW1,
				  CPNS_STATE_PENDING));
	/* Deriving the same Device ID again finds it present. */
	NL_ERR(c->g1.nl, EEXIST, cpns_assign_derive(c->g1.nl, c->sid, c->n1,
						    c->ch, c->ch_mac, c->did,
						    &serial));
	ASSERT_EQ(2, fl_count_keys(&c->g1));
}

TEST_F(flow, wrong_device_id)
{
	struct fl_ctx *c = &self->c;
	uint8_t did[DL], n1[CPNS_NONCE_LEN];

	to_seeded(_metadata, c);
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(1, pending(_metadata, &c->s));

	memcpy(did, c->did, DL);
	flip(did, DL - 1);
	NL_ERR(c->s.nl, EBADMSG, cpns_assign_confirm(c->s.nl, did, c->n1,
						     c->confirm));
	/* Unknown request nonce: no such pending challenge. */
	memcpy(n1, c->n1, sizeof(n1));
	flip(n1, 0);
	NL_ERR(c->s.nl, ENOENT, cpns_assign_confirm(c->s.nl, c->did, n1,
						    c->confirm));
	/* The refusals changed nothing: the right Device ID confirms. */
	ASSERT_EQ(1, pending(_metadata, &c->s));
	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(0, pending(_metadata, &c->s));
}

TEST_F(flow, reused_challenge)
{
	struct fl_ctx *c = &self->c;
	uint8_t code[CPNS_MAC_LEN], ch[CPNS_CHALLENGE_LEN];
	uint8_t chmac[CPNS_MAC_LEN];

	to_confirmed(_metadata, c);
	/* II-6 consumed the challenge. */
	NL_ERR(c->s.nl, ENOENT, cpns_assign_confirm(c->s.nl, c->did, c->n1,
						    code));
	ASSERT_EQ(0, pending(_metadata, &c->s));
	/* A replayed II-1 (same n1) must not yield the same challenge. */
	if (!cpns_assign_challenge(c->s.nl, c->sid, c->n1, c->req_mac, ch,
				   chmac)) {
		ASSERT_NE(0, memcmp(ch, c->ch, sizeof(ch)));
	}
}

TEST_F(flow, wrong_confirm_code)
{
	struct fl_ctx *c = &self->c;
	uint8_t code[CPNS_MAC_LEN], state;
	char type[64], desc[256];
	int32_t serial;

	to_seeded(_metadata, c);
	ASSERT_EQ(0, fl_assign_derive(c));
	NL_OK(c->s.nl, cpns_assign_confirm(c->s.nl, c->did, c->n1, c->confirm));
	ASSERT_EQ(0, fl_key_describe(c->dk_serial_g1, type, sizeof(type),
				     desc, sizeof(desc)));

	memcpy(code, c->confirm, sizeof(code));
	flip(code, 17);
	NL_ERR(c->g1.nl, EBADMSG, cpns_assign_verify(c->g1.nl, c->did, code,
						     &serial, &state));
	/* The pending Device Key is destroyed: not in the dump, dead in
	 * the keyring, and the genuine code comes too late.
	 */
	ASSERT_EQ(0, fl_find_key(&c->g1, c->did, DL, NULL));
	ASSERT_EQ(1, fl_count_keys(&c->g1));
	ASSERT_NE(0, fl_key_describe(c->dk_serial_g1, type, sizeof(type),
				     desc, sizeof(desc)));
	NL_ERR(c->g1.nl, ENOKEY, cpns_assign_verify(c->g1.nl, c->did,
						    c->confirm, &serial,
						    &state));
	/* Nor can it be exported. */
	{
		uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
		uint8_t w[CPNS_WRAPPED_LEN];
		uint32_t h, xc;

		NL_OK(c->g2.nl, cpns_xfer_new(c->g2.nl, &h, rpub));
		NL_ERR(c->g1.nl, ENOKEY, fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did,
							    rpub, spub, w,
							    &xc));
	}
}

TEST_F(flow, unconfirmed_key_not_exported)
{
	struct fl_ctx *c = &self->c;
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t w[CPNS_WRAPPED_LEN];
	uint32_t h, xc;

	to_seeded(_metadata, c);
	ASSERT_EQ(0, fl_assign_derive(c));
	NL_OK(c->g2.nl, cpns_xfer_new(c->g2.nl, &h, rpub));
	ASSERT_GT(0, fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub, spub, w, &xc))
		TH_LOG("a pending Device Key was exported");
	ASSERT_EQ(0, fl_check_key(&c->g1, c->did, DL, CPNS_ROLE_GW1,
				  CPNS_STATE_PENDING));
	/* After II-8 it can be. */
	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(0, fl_device_xfer(c));
}

TEST_F(flow, device_xfer_refusals)
{
	struct fl_ctx *c = &self->c;
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t w[CPNS_WRAPPED_LEN], did[DL];
	uint32_t h, xc, xc2;
	int32_t serial;

	to_confirmed(_metadata, c);
	NL_OK(c->g2.nl, cpns_xfer_new(c->g2.nl, &h, rpub));
	NL_OK(c->g1.nl, fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub, spub, w,
					   &xc));
	/* Presented under another Device ID, or tampered: refused, the
	 * key pair spent, nothing stored.
	 */
	memcpy(did, c->did, DL);
	flip(did, DL - 1);
	NL_ERR(c->g2.nl, EBADMSG, cpns_device_import(c->g2.nl, h, did, spub,
						     w, 0, &serial, &xc2));
	NL_ERR(c->g2.nl, ENOENT, cpns_device_import(c->g2.nl, h, c->did, spub,
						    w, 0, &serial, &xc2));
	NL_OK(c->g2.nl, cpns_xfer_new(c->g2.nl, &h, rpub));
	NL_OK(c->g1.nl, fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub, spub, w,
					   &xc));
	flip(w, CPNS_WRAPPED_LEN - 1);
	NL_ERR(c->g2.nl, EBADMSG, cpns_device_import(c->g2.nl, h, c->did, spub,
						     w, 0, &serial, &xc2));
	ASSERT_EQ(0, fl_count_keys(&c->g2));
	ASSERT_EQ(0, pending(_metadata, &c->g2));

	NL_OK(c->g2.nl, cpns_xfer_new(c->g2.nl, &h, rpub));
	NL_OK(c->g1.nl, fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub, spub, w,
					   &xc));
	NL_OK(c->g2.nl, cpns_device_import(c->g2.nl, h, c->did, spub, w, 0,
					   &serial, &xc2));
	ASSERT_EQ(xc, xc2);
	ASSERT_EQ(0, fl_check_key(&c->g2, c->did, DL, CPNS_ROLE_GW2,
				  CPNS_STATE_ACTIVE));
	/* The server cannot export Device Keys: it holds none. */
	NL_OK(c->g2.nl, cpns_xfer_new(c->g2.nl, &h, rpub));
	NL_ERR(c->s.nl, ENOKEY, fl_export(c->s.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub,
						   spub, w, &xc));
}

TEST_F(flow, wrong_key_at_a1)
{
	struct fl_ctx *c = &self->c;
	uint8_t mac[CPNS_MAC_LEN], smac[CPNS_MAC_LEN];

	to_gw2(_metadata, c);
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &c->hs, c->ns));
	ASSERT_EQ(1, pending(_metadata, &c->s));
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    mac));
	flip(mac, 9);
	NL_ERR(c->s.nl, EBADMSG, cpns_auth_server(c->s.nl, c->hs, mac, smac));
	/* A wrong code ends the server's flow. */
	flip(mac, 9);
	NL_ERR(c->s.nl, ENOENT, cpns_auth_server(c->s.nl, c->hs, mac, smac));
	ASSERT_EQ(0, pending(_metadata, &c->s));
	ASSERT_EQ(0, sessions(_metadata, &c->s));
}

TEST_F(flow, other_device_key_at_a1)
{
	struct fl_ctx *c = &self->c;
	uint8_t did1[DL], mac[CPNS_MAC_LEN], smac[CPNS_MAC_LEN];
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint32_t hg, hs;

	/* Two devices under one seed, both given to GW2. */
	to_gw2(_metadata, c);
	memcpy(did1, c->did, DL);
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(0, fl_device_xfer(c));
	ASSERT_NE(0, memcmp(did1, c->did, DL));

	/* GW2 answers with device 2's key where S expects device 1. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &hg, nc, &c->rk));
	NL_OK(c->s.nl, fl_challenge_nl(c->s.nl, did1, nc, &c->rk, &hs,
					      ns));
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, hg, ns, &c->rk, mac));
	NL_ERR(c->s.nl, EBADMSG, cpns_auth_server(c->s.nl, hs, mac, smac));
	ASSERT_EQ(0, sessions(_metadata, &c->s));
}

TEST_F(flow, reflected_codes)
{
	struct fl_ctx *c = &self->c;
	uint8_t mac[CPNS_MAC_LEN], smac[CPNS_MAC_LEN], ns2[CPNS_NONCE_LEN];
	uint32_t hs2;

	to_gw2(_metadata, c);
	/* GW2's own a-1 code reflected back to it as the a-3 code. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &c->hs, c->ns));
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    mac));
	NL_ERR(c->g2.nl, EBADMSG, cpns_auth_finish(c->g2.nl, c->hg, mac));
	ASSERT_EQ(0, sessions(_metadata, &c->g2));
	ASSERT_EQ(0, pending(_metadata, &c->g2));

	/* The server's a-3 code of a run reflected as the a-1 of a new one
	 * with the same client nonce.
	 */
	NL_OK(c->s.nl, cpns_auth_server(c->s.nl, c->hs, mac, smac));
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &hs2, ns2));
	ASSERT_NE(0, memcmp(ns2, c->ns, sizeof(ns2)));
	NL_ERR(c->s.nl, EBADMSG, cpns_auth_server(c->s.nl, hs2, smac, mac));
	ASSERT_EQ(1, sessions(_metadata, &c->s));
}

TEST_F(flow, replayed_a1)
{
	struct fl_ctx *c = &self->c;
	uint8_t ns2[CPNS_NONCE_LEN], smac[CPNS_MAC_LEN];
	uint32_t hs2, hs3;

	to_gw2(_metadata, c);
	ASSERT_EQ(0, fl_auth(c));
	/* a-1 of the finished flow, replayed into a new one (same nc and
	 * Pc; the record is not confirmed yet, so S re-keys again).
	 */
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &hs2, ns2));
	NL_ERR(c->s.nl, EBADMSG, cpns_auth_server(c->s.nl, hs2, c->client_mac,
						  smac));
	/* ... or into the established session's handle. */
	NL_ERR(c->s.nl, ENOENT, cpns_auth_server(c->s.nl, c->hs,
						 c->client_mac, smac));
	/* ... or a-3 replayed into GW2's established session. */
	ASSERT_NE(0, cpns_auth_finish(c->g2.nl, c->hg, c->server_mac));
	/* The established sessions are untouched. */
	ASSERT_EQ(0, fl_exchange(c, "after", "replay"));
	c->rk.generation = 1;
	c->rk.rekey = false;
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &hs3, ns2));
	ASSERT_EQ(1, pending(_metadata, &c->s));
	ASSERT_EQ(1, sessions(_metadata, &c->s));
}

TEST_F(flow, socket_close_frees_its_objects)
{
	struct fl_ctx *c = &self->c;
	uint8_t pub[CPNS_PUBKEY_LEN], nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint8_t n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN], code[CPNS_MAC_LEN];
	struct fl_host s2, g22;
	struct fl_ctx e;
	uint32_t h;
	int i;

	to_gw2(_metadata, c);
	s2 = c->s;
	g22 = c->g2;
	s2.nl = fl_socket(&c->s);
	g22.nl = fl_socket(&c->g2);
	ASSERT_NE(NULL, s2.nl);
	ASSERT_NE(NULL, g22.nl);

	/* S's daemon hands in the device's row on the extra socket. */
	e = *c;
	e.s.nl = s2.nl;
	for (i = 0; i < 3; i++) {
		NL_OK(g22.nl, cpns_xfer_new(g22.nl, &h, pub));
		NL_OK(g22.nl, cpns_auth_begin_rk(g22.nl, c->did, &h, nc,
						 &c->rk));
		NL_OK(s2.nl, fl_challenge_rec(&e, nc, &c->rk, &h, ns));
	}
	/* One complete session on the extra sockets. */
	{
		struct fl_ctx d = *c;

		d.s = s2;
		d.g2 = g22;
		ASSERT_EQ(0, fl_auth(&d));
	}
	/* And an II-2 challenge made through the extra S socket. */
	NL_OK(c->g1.nl, cpns_assign_request(c->g1.nl, c->sid, n1, mac));
	NL_OK(s2.nl, cpns_assign_challenge(s2.nl, c->sid, n1, mac, ch, chmac));

	ASSERT_EQ(6, pending(_metadata, &c->g2));
	ASSERT_EQ(4, pending(_metadata, &c->s));
	ASSERT_EQ(1, sessions(_metadata, &c->s));
	ASSERT_EQ(1, sessions(_metadata, &c->g2));

	cpns_close(s2.nl);
	cpns_close(g22.nl);
	ASSERT_EQ(0, pending(_metadata, &c->g2));
	ASSERT_EQ(0, sessions(_metadata, &c->g2));
	ASSERT_EQ(0, sessions(_metadata, &c->s));
	/* II-2 challenges are not socket-bound: it is still pending. */
	ASSERT_EQ(1, pending(_metadata, &c->s));
	NL_OK(c->g1.nl, cpns_assign_derive(c->g1.nl, c->sid, n1, ch, chmac,
					   c->did, &c->dk_serial_g1));
	NL_OK(c->s.nl, cpns_assign_confirm(c->s.nl, c->did, n1, code));
	ASSERT_EQ(0, pending(_metadata, &c->s));
}

TEST_F(flow, keys_are_per_namespace)
{
	struct fl_ctx *c = &self->c;
	struct cpns_info i1, i2, i3;
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t w[CPNS_WRAPPED_LEN], n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint32_t h, xc;

	to_gw2(_metadata, c);
	NL_OK(c->s.nl, cpns_get_info(c->s.nl, &i1));
	NL_OK(c->g1.nl, cpns_get_info(c->g1.nl, &i2));
	NL_OK(c->g2.nl, cpns_get_info(c->g2.nl, &i3));
	ASSERT_NE(i1.keyring, i2.keyring);
	ASSERT_NE(i1.keyring, i3.keyring);
	ASSERT_NE(i2.keyring, i3.keyring);
	/* S's seed is unknown at GW2, GW1's Device Key unknown at S. */
	NL_OK(c->s.nl, cpns_xfer_new(c->s.nl, &h, rpub));
	NL_ERR(c->g2.nl, ENOKEY, fl_export(c->g2.nl, c->g1.nl, h, CPNS_KEY_SEED, c->sid, rpub,
						  spub, w, &xc));
	NL_ERR(c->s.nl, ENOKEY, fl_export(c->s.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub, spub,
						   w, &xc));
	NL_ERR(c->g2.nl, ENOKEY, cpns_assign_request(c->g2.nl, c->sid, n1,
						     mac));
	/* Deleting S's seed from GW2 finds nothing; S still has it. */
	NL_ERR(c->g2.nl, ENOKEY, cpns_key_del_seed(c->g2.nl, c->sid));
	ASSERT_EQ(0, fl_check_key(&c->s, c->sid, SL, CPNS_ROLE_SERVER,
				  CPNS_STATE_ACTIVE));
}

TEST_HARNESS_MAIN
