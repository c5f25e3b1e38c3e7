// SPDX-License-Identifier: GPL-2.0
/*
 * cpns-test: reload
 *
 * Every export route (Documentation/keys.rst, "Who can obtain a secret";
 * xfer.rst, "Confirming the transfer"), tried by the caller of the
 * sender's namespace with a receiver key pair of its own, made in
 * userspace (OpenSSL X25519): SEED_EXPORT and DEVICE_EXPORT give E and a
 * handle, never the sealed key, and XFER_RELEASE refuses every proof the
 * kernel does not accept. Each refusal changes nothing: the sender's keys
 * are those of before, and its pending objects those of before the
 * export (a wrong proof destroys the export: one attempt). The accepted
 * routes (the receiver kernel's code, pairing MAC and receiver MAC) then
 * deliver a key the receiver imports. Last, code_release=N leaves the
 * MACs only (the module is reloaded: tagged reload).
 */

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <linux/keyctl.h>
#include <openssl/evp.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

/* One pairing key's bytes, as a logon key and as a user key. */
static const struct cpns_keyref logon_pk = { "logon", "cpns-test:export" };
static const struct cpns_keyref user_pk = { "user", "cpns-test:export" };

FIXTURE(export) {
	struct fl_ctx c;
};

FIXTURE_SETUP(export)
{
	uint8_t pk[32];

	ASSERT_EQ(sizeof(pk), getrandom(pk, sizeof(pk), 0));
	ASSERT_LT(0, tu_add_key(logon_pk.type, logon_pk.desc, pk, sizeof(pk),
				KEY_SPEC_PROCESS_KEYRING));
	ASSERT_LT(0, tu_add_key(user_pk.type, user_pk.desc, pk, sizeof(pk),
				KEY_SPEC_PROCESS_KEYRING));
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
}

FIXTURE_TEARDOWN(export)
{
	fl_close(&self->c);
}

/* An X25519 key pair made in userspace: its public key. */
static int user_keypair(uint8_t pub[CPNS_PUBKEY_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, NULL);
	EVP_PKEY *key = NULL;
	size_t len = CPNS_PUBKEY_LEN;
	int ok;

	ok = ctx && EVP_PKEY_keygen_init(ctx) > 0 &&
	     EVP_PKEY_keygen(ctx, &key) > 0 &&
	     EVP_PKEY_get_raw_public_key(key, pub, &len) > 0 &&
	     len == CPNS_PUBKEY_LEN;
	EVP_PKEY_free(key);
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/*
 * XFER_RELEASE of handle as the library never sends it: with no proof, or
 * with a code and a pairing MAC at once.
 */
static int release_raw(struct cpns_nl *nl, uint32_t handle, bool code,
		       bool mac)
{
	struct cpns_msg *m = cpns_msg_new(cpns_family(nl),
					  CPNS_CMD_XFER_RELEASE, 0);
	uint8_t zero[CPNS_MAC_LEN] = { 0 };
	int ret;

	if (!m)
		return -ENOMEM;
	ret = cpns_msg_put_u32(m, CPNS_A_HANDLE, handle);
	if (!ret && code)
		ret = cpns_msg_put_u32(m, CPNS_A_XFER_CODE, 1);
	if (!ret && mac)
		ret = cpns_msg_put(m, CPNS_A_PAIR_MAC, zero, sizeof(zero)) ?:
		      cpns_msg_put(m, CPNS_A_KEYREF_TYPE, "logon", 6) ?:
		      cpns_msg_put(m, CPNS_A_KEYREF_DESC, logon_pk.desc,
				   strlen(logon_pk.desc) + 1);
	if (!ret)
		ret = cpns_msg_send(nl, m, NULL, NULL);
	cpns_msg_free(m);
	return ret;
}

/* The pending objects of h. */
static uint32_t pending_of(struct __test_metadata *_metadata,
			   const struct fl_host *h)
{
	uint32_t pending = 0, sessions;

	EXPECT_EQ(0, fl_counts(h, &pending, &sessions));
	return pending;
}

static void to_seed(struct __test_metadata *_metadata, struct fl_ctx *c)
{
	ASSERT_EQ(0, fl_seed_new(c));
}

static void to_confirmed(struct __test_metadata *_metadata, struct fl_ctx *c)
{
	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
}

/* A receiver key of userspace, no proof or two: refused, nothing changes. */
TEST_F(export, no_proof)
{
	struct fl_ctx *c = &self->c;
	struct cpns_proof proof = { .kind = CPNS_PROOF_CODE };
	uint8_t r[CPNS_PUBKEY_LEN], e[CPNS_PUBKEY_LEN], w[CPNS_WRAPPED_LEN];
	struct fl_snap before;
	uint32_t xh, pend, code;

	to_seed(_metadata, c);
	ASSERT_EQ(0, user_keypair(r));
	ASSERT_EQ(0, fl_snap_take(&c->s, &before));
	pend = pending_of(_metadata, &c->s);

	/* The export gives E and a handle: nothing sealed leaves. */
	NL_RET(c->s.nl, 0, cpns_seed_export(c->s.nl, c->sid, r, e, &xh));
	ASSERT_EQ(pend + 1, pending_of(_metadata, &c->s));
	/* Neither a code nor a MAC, or both: refused, the export kept. */
	NL_RET(c->s.nl, -EINVAL, release_raw(c->s.nl, xh, false, false));
	NL_MSG(c->s.nl, "exactly one proof");
	NL_RET(c->s.nl, -EINVAL, release_raw(c->s.nl, xh, true, true));
	NL_MSG(c->s.nl, "exactly one proof");
	ASSERT_EQ(pend + 1, pending_of(_metadata, &c->s));
	/* Another socket does not even see the export. */
	{
		struct cpns_nl *other = fl_socket(&c->s);

		ASSERT_NE(NULL, other);
		NL_RET(other, -ENOENT,
		       cpns_xfer_release(other, xh, &proof, w, &code));
		cpns_close(other);
	}
	ASSERT_EQ(pend + 1, pending_of(_metadata, &c->s));
	ASSERT_EQ(0, fl_snap_same(&c->s, &before));
	/* Given up: the handle frees it, as closing the socket would. */
	NL_RET(c->s.nl, 0, cpns_session_del(c->s.nl, xh));
	ASSERT_EQ(pend, pending_of(_metadata, &c->s));
	ASSERT_EQ(0, fl_snap_same(&c->s, &before));
}

/*
 * A wrong code destroys the export; a second attempt finds nothing. A code
 * the receiver's kernel showed releases a fresh export.
 */
TEST_F(export, code)
{
	struct fl_ctx *c = &self->c;
	struct cpns_proof proof = { .kind = CPNS_PROOF_CODE };
	uint8_t r[CPNS_PUBKEY_LEN], e[CPNS_PUBKEY_LEN], w[CPNS_WRAPPED_LEN];
	struct fl_snap before;
	uint32_t h, xh, pend, code, shown, code_imp;
	int32_t serial;

	to_seed(_metadata, c);
	ASSERT_EQ(0, fl_snap_take(&c->s, &before));
	pend = pending_of(_metadata, &c->s);

	/* A userspace key pair: its holder can only guess at 10^-6. */
	ASSERT_EQ(0, user_keypair(r));
	NL_RET(c->s.nl, 0, cpns_seed_export(c->s.nl, c->sid, r, e, &xh));
	proof.code = 123456;
	NL_RET(c->s.nl, -EBADMSG, cpns_xfer_release(c->s.nl, xh, &proof, w,
						    &code));
	NL_MSG(c->s.nl, "export is destroyed");
	ASSERT_EQ(pend, pending_of(_metadata, &c->s));
	NL_RET(c->s.nl, -ENOENT, cpns_xfer_release(c->s.nl, xh, &proof, w,
						   &code));
	ASSERT_EQ(0, fl_snap_same(&c->s, &before));

	/* GW1's kernel key pair: the right code once wrong destroys too. */
	NL_RET(c->g1.nl, 0, cpns_xfer_new(c->g1.nl, &h, r));
	NL_RET(c->s.nl, 0, cpns_seed_export(c->s.nl, c->sid, r, e, &xh));
	NL_RET(c->g1.nl, 0, cpns_xfer_code(c->g1.nl, h, CPNS_KEY_SEED, c->sid,
					   e, &shown));
	proof.code = (shown + 1) % 1000000;
	NL_RET(c->s.nl, -EBADMSG, cpns_xfer_release(c->s.nl, xh, &proof, w,
						    &code));
	proof.code = shown;
	NL_RET(c->s.nl, -ENOENT, cpns_xfer_release(c->s.nl, xh, &proof, w,
						   &code));
	ASSERT_EQ(pend, pending_of(_metadata, &c->s));
	ASSERT_EQ(0, fl_snap_same(&c->s, &before));

	/* Accepted: a fresh export, released by the code GW1 shows. */
	NL_RET(c->s.nl, 0, cpns_seed_export(c->s.nl, c->sid, r, e, &xh));
	NL_RET(c->g1.nl, 0, cpns_xfer_code(c->g1.nl, h, CPNS_KEY_SEED, c->sid,
					   e, &shown));
	proof.code = shown;
	NL_RET(c->s.nl, 0, cpns_xfer_release(c->s.nl, xh, &proof, w, &code));
	ASSERT_EQ(shown, code);
	ASSERT_EQ(pend, pending_of(_metadata, &c->s));
	NL_RET(c->g1.nl, 0, cpns_seed_import(c->g1.nl, h, c->sid, e, w, 0,
					     &serial, &code_imp));
	ASSERT_EQ(code, code_imp);
}

/*
 * The pairing MAC (II-9): the kernel makes it only for a receiver key of
 * its own; one over another R, or under a user key, is refused.
 */
TEST_F(export, pair_mac)
{
	struct fl_ctx *c = &self->c;
	struct cpns_proof proof = {
		.kind = CPNS_PROOF_PAIR, .pair_key = &logon_pk,
	};
	uint8_t r[CPNS_PUBKEY_LEN], r2[CPNS_PUBKEY_LEN], mine[CPNS_PUBKEY_LEN];
	uint8_t e[CPNS_PUBKEY_LEN], w[CPNS_WRAPPED_LEN];
	struct fl_snap before;
	uint32_t h, h2, xh, pend, code, code_imp;
	int32_t serial;

	to_confirmed(_metadata, c);
	ASSERT_EQ(0, fl_snap_take(&c->g1, &before));
	pend = pending_of(_metadata, &c->g1);
	NL_RET(c->g2.nl, 0, cpns_xfer_new(c->g2.nl, &h, r));
	NL_RET(c->g2.nl, 0, cpns_xfer_new(c->g2.nl, &h2, r2));

	/* No kernel MACs a key pair userspace made, with or without a handle. */
	ASSERT_EQ(0, user_keypair(mine));
	NL_RET(c->g1.nl, 0, cpns_device_export(c->g1.nl, c->did, mine, e,
					       &xh));
	NL_RET(c->g1.nl, -EINVAL,
	       cpns_xfer_pair(c->g1.nl, &logon_pk, CPNS_KEY_DEVICE, c->did, e,
			      mine, 0, NULL, proof.mac));
	NL_MSG(c->g1.nl, "needs the handle");
	NL_RET(c->g2.nl, -EINVAL,
	       cpns_xfer_pair(c->g2.nl, &logon_pk, CPNS_KEY_DEVICE, c->did, e,
			      mine, h, NULL, proof.mac));
	NL_MSG(c->g2.nl, "not the public key of this handle");
	/* The export handle is no receiver key either. */
	NL_RET(c->g1.nl, -EINVAL,
	       cpns_xfer_pair(c->g1.nl, &logon_pk, CPNS_KEY_DEVICE, c->did, e,
			      mine, xh, NULL, proof.mac));
	/* A MAC over another R (GW2's own key): refused, export destroyed. */
	NL_RET(c->g2.nl, 0, cpns_xfer_pair(c->g2.nl, &logon_pk,
					   CPNS_KEY_DEVICE, c->did, e, r, h,
					   NULL, proof.mac));
	NL_RET(c->g1.nl, -EBADMSG, cpns_xfer_release(c->g1.nl, xh, &proof, w,
						     &code));
	ASSERT_EQ(pend, pending_of(_metadata, &c->g1));
	ASSERT_EQ(0, fl_snap_same(&c->g1, &before));

	/* GW2's key r2, MAC over r: refused too. */
	NL_RET(c->g1.nl, 0, cpns_device_export(c->g1.nl, c->did, r2, e, &xh));
	NL_RET(c->g2.nl, 0, cpns_xfer_pair(c->g2.nl, &logon_pk,
					   CPNS_KEY_DEVICE, c->did, e, r, h,
					   NULL, proof.mac));
	NL_RET(c->g1.nl, -EBADMSG, cpns_xfer_release(c->g1.nl, xh, &proof, w,
						     &code));
	ASSERT_EQ(0, fl_snap_same(&c->g1, &before));

	/* The right MAC under a user key (same bytes): refused, kept. */
	NL_RET(c->g1.nl, 0, cpns_device_export(c->g1.nl, c->did, r, e, &xh));
	NL_RET(c->g2.nl, 0, cpns_xfer_pair(c->g2.nl, &logon_pk,
					   CPNS_KEY_DEVICE, c->did, e, r, h,
					   NULL, proof.mac));
	proof.pair_key = &user_pk;
	NL_RET(c->g1.nl, -EKEYREJECTED,
	       cpns_xfer_release(c->g1.nl, xh, &proof, w, &code));
	NL_MSG(c->g1.nl, "user key");
	ASSERT_EQ(pend + 1, pending_of(_metadata, &c->g1));
	ASSERT_EQ(0, fl_snap_same(&c->g1, &before));

	/* Accepted: the same export, the logon key. */
	proof.pair_key = &logon_pk;
	NL_RET(c->g1.nl, 0, cpns_xfer_release(c->g1.nl, xh, &proof, w, &code));
	ASSERT_EQ(pend, pending_of(_metadata, &c->g1));
	NL_RET(c->g2.nl, 0, cpns_device_import(c->g2.nl, h, c->did, e, w, 0,
					       &serial, &code_imp));
	ASSERT_EQ(code, code_imp);
	NL_RET(c->g2.nl, 0, cpns_session_del(c->g2.nl, h2));
}

/* The receiver MAC (I-3): over R alone, made for the kernel's own R. */
TEST_F(export, receiver_mac)
{
	struct fl_ctx *c = &self->c;
	struct cpns_proof proof = {
		.kind = CPNS_PROOF_RECEIVER, .pair_key = &logon_pk,
	};
	uint8_t r[CPNS_PUBKEY_LEN], mine[CPNS_PUBKEY_LEN];
	uint8_t e[CPNS_PUBKEY_LEN], w[CPNS_WRAPPED_LEN];
	uint8_t bad[CPNS_MAC_LEN];
	struct fl_snap before;
	uint32_t h, xh, pend, code, code_imp;
	int32_t serial;

	to_seed(_metadata, c);
	ASSERT_EQ(0, fl_snap_take(&c->s, &before));
	pend = pending_of(_metadata, &c->s);
	NL_RET(c->g1.nl, 0, cpns_xfer_new(c->g1.nl, &h, r));
	NL_RET(c->g1.nl, 0, cpns_xfer_accept(c->g1.nl, h, CPNS_KEY_SEED,
					     &logon_pk, proof.mac));
	/* The sender's check before it makes anything. */
	NL_RET(c->s.nl, 0, cpns_xfer_accept_check(c->s.nl, CPNS_KEY_SEED,
						  &logon_pk, r, proof.mac));
	memcpy(bad, proof.mac, sizeof(bad));
	bad[0] ^= 1;
	NL_RET(c->s.nl, -EBADMSG, cpns_xfer_accept_check(c->s.nl,
							 CPNS_KEY_SEED,
							 &logon_pk, r, bad));
	/* For a Device Key the seed's MAC is another. */
	NL_RET(c->s.nl, -EBADMSG, cpns_xfer_accept_check(c->s.nl,
							 CPNS_KEY_DEVICE,
							 &logon_pk, r,
							 proof.mac));

	/* The MAC of GW1's R, for an export to a userspace key: refused. */
	ASSERT_EQ(0, user_keypair(mine));
	NL_RET(c->s.nl, 0, cpns_seed_export(c->s.nl, c->sid, mine, e, &xh));
	NL_RET(c->s.nl, -EBADMSG, cpns_xfer_release(c->s.nl, xh, &proof, w,
						    &code));
	NL_RET(c->s.nl, -ENOENT, cpns_xfer_release(c->s.nl, xh, &proof, w,
						   &code));
	ASSERT_EQ(pend, pending_of(_metadata, &c->s));
	ASSERT_EQ(0, fl_snap_same(&c->s, &before));

	/* Under the user key: refused, the export kept. */
	NL_RET(c->s.nl, 0, cpns_seed_export(c->s.nl, c->sid, r, e, &xh));
	proof.pair_key = &user_pk;
	NL_RET(c->s.nl, -EKEYREJECTED, cpns_xfer_release(c->s.nl, xh, &proof,
							 w, &code));
	ASSERT_EQ(pend + 1, pending_of(_metadata, &c->s));
	ASSERT_EQ(0, fl_snap_same(&c->s, &before));

	/* Accepted. */
	proof.pair_key = &logon_pk;
	NL_RET(c->s.nl, 0, cpns_xfer_release(c->s.nl, xh, &proof, w, &code));
	ASSERT_EQ(pend, pending_of(_metadata, &c->s));
	NL_RET(c->g1.nl, 0, cpns_seed_import(c->g1.nl, h, c->sid, e, w, 0,
					     &serial, &code_imp));
	ASSERT_EQ(code, code_imp);
}

/* code_release=N: the code no longer releases; the MACs still do. */
TEST(code_release_off)
{
	struct cpns_proof proof = { .kind = CPNS_PROOF_CODE };
	uint8_t r[CPNS_PUBKEY_LEN], e[CPNS_PUBKEY_LEN], w[CPNS_WRAPPED_LEN];
	uint32_t h, xh, code;
	struct fl_ctx c;
	int32_t serial;

	ASSERT_EQ(0, tu_module_unload());
	ASSERT_EQ(0, tu_module_load("code_release=0"));
	ASSERT_EQ(0, fl_open(&c, NULL, false));
	ASSERT_EQ(0, fl_seed_new(&c));
	NL_RET(c.g1.nl, 0, cpns_xfer_new(c.g1.nl, &h, r));
	NL_RET(c.s.nl, 0, cpns_seed_export(c.s.nl, c.sid, r, e, &xh));
	NL_RET(c.g1.nl, 0, cpns_xfer_code(c.g1.nl, h, CPNS_KEY_SEED, c.sid, e,
					  &proof.code));
	NL_RET(c.s.nl, -EPERM, cpns_xfer_release(c.s.nl, xh, &proof, w,
						 &code));
	NL_MSG(c.s.nl, "code_release=N");
	/* Refused before anything: the export is still there. */
	proof.kind = CPNS_PROOF_RECEIVER;
	proof.pair_key = &logon_pk;
	{
		uint8_t pk[32];

		ASSERT_EQ(sizeof(pk), getrandom(pk, sizeof(pk), 0));
		ASSERT_LT(0, tu_add_key(logon_pk.type, logon_pk.desc, pk,
					sizeof(pk), KEY_SPEC_PROCESS_KEYRING));
	}
	NL_RET(c.g1.nl, 0, cpns_xfer_accept(c.g1.nl, h, CPNS_KEY_SEED,
					    &logon_pk, proof.mac));
	NL_RET(c.s.nl, 0, cpns_xfer_release(c.s.nl, xh, &proof, w, &code));
	NL_RET(c.g1.nl, 0, cpns_seed_import(c.g1.nl, h, c.sid, e, w, 0,
					    &serial, &code));
	fl_close(&c);
	ASSERT_EQ(0, tu_module_unload());
	ASSERT_EQ(0, tu_module_load(""));
}

TEST_HARNESS_MAIN
