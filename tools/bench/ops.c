// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The operations: each kernel command (or chain of commands) next to the
 * userspace computation it is measured against. A baseline does the
 * cryptography of its kernel side, draws the random values the kernel
 * draws, and checks what the kernel checks; it does not do the rest of
 * the kernel's work (netlink, keyring lookups, pending tables), which is
 * what the ratio shows. check.c proves on the known answers that the
 * baseline's steps compute the kernel's bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "bench.h"

#define K(b) (&(b)->k)
#define U(b) (&(b)->u)

static int mismatch(const char *what)
{
	fprintf(stderr, "cpns-bench: %s\n", what);
	return -EBADMSG;
}

/* ------------------------------------------------------------ GET_INFO */

static int k_get_info(struct bench *b, const struct bench_op *op)
{
	struct cpns_info info;
	int err;

	(void)op;
	err = cpns_get_info(K(b)->s.nl, &info);
	return err ? kside_fail(&K(b)->s, "GET_INFO", err) : 0;
}

/* The least a request to the kernel costs: one system call. */
static int u_get_info(struct bench *b, const struct bench_op *op)
{
	(void)b;
	(void)op;
	return syscall(SYS_getpid) > 0 ? 0 : -EIO;
}

/* ----------------------------------------------------------------- KAT */

static int k_kat(struct bench *b, const struct bench_op *op)
{
	struct cpns_kat_output out;
	int err;

	(void)op;
	err = cpns_kat(K(b)->kat.nl, &b->kat->in, &out);
	if (err)
		return kside_fail(&K(b)->kat, "KAT", err);
	cpns_kat_output_clear(&out);
	return 0;
}

static int u_kat(struct bench *b, const struct bench_op *op)
{
	struct cpns_kat_output out;
	int err;

	(void)op;
	err = ref_kat(&b->kat->in, &out);
	if (!err)
		cpns_kat_output_clear(&out);
	return err;
}

/* ------------------------------------------------------------ SEED_NEW */

static int k_seed_new(struct bench *b, const struct bench_op *op)
{
	int32_t serial;
	int err;

	(void)op;
	err = cpns_seed_new(K(b)->s.nl, 0, K(b)->new_sid, &serial);
	return err ? kside_fail(&K(b)->s, "SEED_NEW", err) : 0;
}

/* Keep S's keyring at its size. */
static int k_seed_new_done(struct bench *b, const struct bench_op *op)
{
	int err;

	(void)op;
	err = cpns_key_del_seed(K(b)->s.nl, K(b)->new_sid);
	return err ? kside_fail(&K(b)->s, "KEY_DEL", err) : 0;
}

static int u_seed_new(struct bench *b, const struct bench_op *op)
{
	uint8_t seed[CPNS_SEED_LEN], sid[CPNS_SEED_ID_LEN], ska[CPNS_KEY_LEN];
	int err;

	(void)b;
	(void)op;
	err = ref_random(seed, sizeof(seed));
	if (!err)
		err = ref_random(sid, sizeof(sid));
	if (!err)
		err = ref_seed_auth_key(seed, sid, ska);
	OPENSSL_cleanse(seed, sizeof(seed));
	OPENSSL_cleanse(ska, sizeof(ska));
	return err;
}

/* ------------------------------------------------------ ASSIGN_REQUEST */

static int k_assign_request(struct bench *b, const struct bench_op *op)
{
	int err;

	(void)op;
	err = cpns_assign_request(K(b)->g1.nl, K(b)->sid, K(b)->n1,
				  K(b)->req_mac);
	return err ? kside_fail(&K(b)->g1, "ASSIGN_REQUEST", err) : 0;
}

static int u_assign_request(struct bench *b, const struct bench_op *op)
{
	uint8_t n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	int err;

	(void)op;
	err = ref_random(n1, sizeof(n1));
	if (!err)
		err = ref_cmd_assign_request(U(b)->ska, U(b)->sid, n1, mac);
	return err;
}

/* ---------------------------------------------------- ASSIGN_CHALLENGE */

static int k_assign_challenge_prep(struct bench *b, const struct bench_op *op)
{
	return k_assign_request(b, op);
}

static int k_assign_challenge(struct bench *b, const struct bench_op *op)
{
	int err;

	(void)op;
	err = cpns_assign_challenge(K(b)->s.nl, K(b)->sid, K(b)->n1,
				    K(b)->req_mac, K(b)->ch, K(b)->ch_mac);
	return err ? kside_fail(&K(b)->s, "ASSIGN_CHALLENGE", err) : 0;
}

static int u_assign_challenge(struct bench *b, const struct bench_op *op)
{
	uint8_t ch[CPNS_CHALLENGE_LEN], mac[CPNS_MAC_LEN];
	int err;

	(void)op;
	err = ref_random(ch, sizeof(ch));
	if (!err)
		err = ref_cmd_assign_challenge(U(b)->ska, U(b)->sid, U(b)->n1,
					       U(b)->req_mac, ch, mac);
	return err;
}

/* --------------------------- ASSIGN_DERIVE, ASSIGN_CONFIRM, ASSIGN_VERIFY */

static int k_assign_round_prep(struct bench *b, const struct bench_op *op)
{
	(void)op;
	return kside_assign_start(K(b));
}

static int k_assign_round(struct bench *b, const struct bench_op *op)
{
	(void)op;
	return kside_assign_finish(K(b));
}

/* Keep GW1's keyring at its size. */
static int k_assign_round_done(struct bench *b, const struct bench_op *op)
{
	int err;

	(void)op;
	err = cpns_key_del_device(K(b)->g1.nl, K(b)->new_did);
	return err ? kside_fail(&K(b)->g1, "KEY_DEL", err) : 0;
}

/*
 * Use up the pending challenge, or they fill S's table (pending_max): run
 * the rest of flow II on it, as GW1 would, and delete the Device Key.
 */
static int k_assign_challenge_done(struct bench *b, const struct bench_op *op)
{
	int err;

	err = k_assign_round(b, op);
	return err ? err : k_assign_round_done(b, op);
}

static int u_assign_round(struct bench *b, const struct bench_op *op)
{
	uint8_t did[CPNS_DEVICE_ID_LEN], dk[CPNS_KEY_LEN], code[CPNS_MAC_LEN];
	struct bench_user *u = U(b);
	int err;

	(void)op;
	err = ref_cmd_assign_derive(u->seed, u->ska, u->sid, u->n1, u->ch,
				    u->ch_mac, did, dk);
	if (!err)
		err = ref_cmd_assign_confirm(u->seed, u->sid, u->ch, did, code);
	if (!err)
		err = ref_cmd_assign_verify(dk, did, u->ch, code);
	OPENSSL_cleanse(dk, sizeof(dk));
	return err;
}

/* -------------------------------------------------------------- a-flow */

static int k_auth(struct bench *b, const struct bench_op *op)
{
	(void)op;
	return kside_auth(K(b));
}

static int k_auth_done(struct bench *b, const struct bench_op *op)
{
	int err;

	(void)op;
	err = cpns_session_del(K(b)->s.nl, K(b)->fs);
	if (err)
		return kside_fail(&K(b)->s, "SESSION_DEL", err);
	err = cpns_session_del(K(b)->g2.nl, K(b)->fg);
	return err ? kside_fail(&K(b)->g2, "SESSION_DEL", err) : 0;
}

static int u_auth(struct bench *b, const struct bench_op *op)
{
	(void)op;
	return uside_auth(U(b), &U(b)->tsrv, &U(b)->tgw2);
}

/* The kernel frees its sessions in done() too. */
static int u_auth_done(struct bench *b, const struct bench_op *op)
{
	(void)op;
	ref_session_free(&U(b)->tsrv);
	ref_session_free(&U(b)->tgw2);
	return 0;
}

/* ----------------------------------------------------------- SEAL, OPEN */

/* GW2 seals b->pt into b->buf (the kernel OPEN's prep, too). */
static int k_seal(struct bench *b, const struct bench_op *op)
{
	size_t len = sizeof(b->buf);
	int err;

	err = cpns_seal(K(b)->g2.nl, K(b)->hg, BENCH_AAD, BENCH_AAD_LEN, b->pt,
			op->size, &K(b)->seq, b->buf, &len);
	if (err)
		return kside_fail(&K(b)->g2, "SEAL", err);
	if (len != op->size + CPNS_TAG_LEN)
		return mismatch("SEAL returned a message of the wrong size");
	K(b)->sealed_len = len;
	return 0;
}

/* S opens what GW2 sealed, and it must be the plaintext. */
static int k_open(struct bench *b, const struct bench_op *op)
{
	size_t len = sizeof(b->out);
	int err;

	err = cpns_unseal(K(b)->s.nl, K(b)->hs, K(b)->seq, BENCH_AAD,
			  BENCH_AAD_LEN, b->buf, K(b)->sealed_len, b->out,
			  &len);
	if (err)
		return kside_fail(&K(b)->s, "OPEN", err);
	if (len != op->size || memcmp(b->out, b->pt, op->size))
		return mismatch("OPEN did not return the sealed plaintext");
	return 0;
}

static int u_seal(struct bench *b, const struct bench_op *op)
{
	return ref_seal(U(b)->gw2.seal, U(b)->send_seq++, BENCH_AAD,
			BENCH_AAD_LEN, b->pt, op->size, b->ubuf);
}

/* One message for u_open() to open again and again. */
static int u_open_setup(struct bench *b, const struct bench_op *op)
{
	U(b)->open_seq = U(b)->send_seq;
	return u_seal(b, op);
}

static int u_open(struct bench *b, const struct bench_op *op)
{
	int err;

	err = ref_open(U(b)->srv.open, U(b)->open_seq, BENCH_AAD,
		       BENCH_AAD_LEN, b->ubuf, op->size + CPNS_TAG_LEN,
		       b->out);
	if (!err && memcmp(b->out, b->pt, op->size))
		err = mismatch("baseline OPEN did not return the plaintext");
	return err;
}

/* ---------------------------- a server's device record: X25519 or blob */

/*
 * What a-0 of a server costs per device in the two forms issue 12 weighs
 * (Documentation/performance.rst, "Device records"): one X25519 (public
 * data only: the server's re-key key derived, GW2's public key stored),
 * or one record blob opened (KEY_WRAP's format under the server's KEK).
 */
static int k_x25519(struct bench *b, const struct bench_op *op)
{
	uint8_t pub[CPNS_PUBKEY_LEN];
	int err;

	(void)op;
	err = cpns_xfer_new(K(b)->s.nl, &K(b)->fs, pub);
	return err ? kside_fail(&K(b)->s, "XFER_NEW", err) : 0;
}

static int k_x25519_done(struct bench *b, const struct bench_op *op)
{
	int err;

	(void)op;
	err = cpns_session_del(K(b)->s.nl, K(b)->fs);
	return err ? kside_fail(&K(b)->s, "SESSION_DEL", err) : 0;
}

static int u_x25519(struct bench *b, const struct bench_op *op)
{
	uint8_t priv[CPNS_PUBKEY_LEN], pub[CPNS_PUBKEY_LEN];
	size_t len = sizeof(pub);
	EVP_PKEY *key;
	int err;

	(void)b;
	(void)op;
	err = ref_random(priv, sizeof(priv));
	if (err)
		return err;
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
	key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv,
					   sizeof(priv));
	OPENSSL_cleanse(priv, sizeof(priv));
	if (!key)
		return -ENOMEM;
	if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 ||
	    len != sizeof(pub))
		err = mismatch("X25519 public key");
	EVP_PKEY_free(key);
	return err;
}

/* KEY_UNWRAP opens a record blob, then refuses it: no key is stored. */
static int k_record_open(struct bench *b, const struct bench_op *op)
{
	const struct cpns_record *rec = &K(b)->rec;
	int err;

	(void)op;
	err = cpns_key_unwrap(K(b)->s.nl, rec->blob, rec->blob_len,
			      &kside_kek, KSIDE_LABEL,
			      sizeof(KSIDE_LABEL) - 1, NULL);
	if (err == -EINVAL &&
	    strstr(cpns_last_error(K(b)->s.nl), "no kernel key"))
		return 0;
	return kside_fail(&K(b)->s, "KEY_UNWRAP of a record (want EINVAL after opening it)",
			  err ? err : -EBADMSG);
}

#define REC_HDR_LEN	(24 + CPNS_DEVICE_ID_LEN + 16)
#define REC_LEN		(REC_HDR_LEN + CPNS_KEY_LEN + CPNS_TAG_LEN)

/* wk = KDF(kek, "CPNS store wrap", header, 256); SEAL or OPEN with it. */
static int u_record_crypt(struct bench_user *u, bool seal, uint8_t *out)
{
	const struct iovec ctx = { .iov_base = u->rec, .iov_len = REC_HDR_LEN };
	uint8_t aad[REC_HDR_LEN + sizeof(KSIDE_LABEL) - 1], wk[CPNS_KEY_LEN];
	struct ref_aead *a;
	int err;

	memcpy(aad, u->rec, REC_HDR_LEN);
	memcpy(aad + REC_HDR_LEN, KSIDE_LABEL, sizeof(KSIDE_LABEL) - 1);
	err = ref_kdf(u->kek, sizeof(u->kek), "CPNS store wrap", &ctx, 1, wk,
		      sizeof(wk));
	if (err)
		return err;
	a = ref_aead_new(wk, seal);
	OPENSSL_cleanse(wk, sizeof(wk));
	if (!a)
		return -ENOMEM;
	if (seal)
		err = ref_seal(a, 0, aad, sizeof(aad), out, CPNS_KEY_LEN,
			       u->rec + REC_HDR_LEN);
	else
		err = ref_open(a, 0, aad, sizeof(aad), u->rec + REC_HDR_LEN,
			       CPNS_KEY_LEN + CPNS_TAG_LEN, out);
	ref_aead_free(a);
	return err;
}

static int u_record_setup(struct bench *b, const struct bench_op *op)
{
	struct bench_user *u = U(b);
	uint8_t dk[CPNS_KEY_LEN];
	int err;

	(void)op;
	err = ref_random(u->kek, sizeof(u->kek));
	if (!err)
		err = ref_random(u->rec, REC_HDR_LEN);
	if (!err)
		err = ref_random(dk, sizeof(dk));
	u->rec[0] = 1;				/* version */
	u->rec[1] = CPNS_KEY_DEVICE;
	u->rec[2] = CPNS_ROLE_SERVER;
	u->rec[3] = CPNS_STATE_ACTIVE;
	if (!err)
		err = u_record_crypt(u, true, dk);
	OPENSSL_cleanse(dk, sizeof(dk));
	return err;
}

static int u_record_open(struct bench *b, const struct bench_op *op)
{
	uint8_t dk[CPNS_KEY_LEN];
	int err;

	(void)op;
	err = u_record_crypt(U(b), false, dk);
	OPENSSL_cleanse(dk, sizeof(dk));
	return err;
}

/* -------------------------------------------------------------- table */

#define SEAL_OP(sfx, n)							\
	{								\
		.name = "seal_" sfx,					\
		.kernel = "SEAL of " #n " B (aad 11 B) on GW2's session",	\
		.baseline = "one AES-256-GCM seal of " #n " B",		\
		.size = (n),						\
		.k = { .run = k_seal },					\
		.u = { .run = u_seal },					\
	}

#define OPEN_OP(sfx, n)							\
	{								\
		.name = "open_" sfx,					\
		.kernel = "OPEN of " #n " B on S's session (prep: SEAL on GW2)", \
		.baseline = "one AES-256-GCM open of " #n " B",		\
		.size = (n),						\
		.k = { .prep = k_seal, .run = k_open },			\
		.u = { .setup = u_open_setup, .run = u_open },		\
	}

const struct bench_op bench_ops[] = {
	{
		.name = "get_info",
		.kernel = "GET_INFO: a netlink round trip, no cryptography",
		.baseline = "one getpid system call",
		.k = { .run = k_get_info },
		.u = { .run = u_get_info },
	},
	{
		.name = "kat",
		.kernel = "KAT of one vector (3 AEAD entries)",
		.baseline = "every output of the vector: 4 KDF, 5 MAC, one AES-GCM key, 3 seals",
		.k = { .run = k_kat },
		.u = { .run = u_kat },
	},
	{
		.name = "seed_new",
		.kernel = "SEED_NEW on S (done: KEY_DEL)",
		.baseline = "40 random bytes (seed, Seed ID)",
		.k = { .run = k_seed_new, .done = k_seed_new_done },
		.u = { .run = u_seed_new },
	},
	{
		.name = "assign_request",
		.kernel = "ASSIGN_REQUEST on GW1",
		.baseline = "random n1, MAC (ska kept with the seed)",
		.k = { .run = k_assign_request },
		.u = { .run = u_assign_request },
	},
	{
		.name = "assign_challenge",
		.kernel = "ASSIGN_CHALLENGE on S (prep: ASSIGN_REQUEST; done: II-3..II-8, KEY_DEL)",
		.baseline = "MAC check, random ch, MAC",
		.k = { .prep = k_assign_challenge_prep,
		       .run = k_assign_challenge,
		       .done = k_assign_challenge_done },
		.u = { .run = u_assign_challenge },
	},
	{
		.name = "assign_round",
		.kernel = "ASSIGN_DERIVE + ASSIGN_CONFIRM + ASSIGN_VERIFY (prep: II-1..II-3; done: KEY_DEL)",
		.baseline = "GW1: KDF, MAC check, 2 KDF; S: 2 KDF, MAC; GW1: MAC check",
		.k = { .prep = k_assign_round_prep, .run = k_assign_round,
		       .done = k_assign_round_done },
		.u = { .run = u_assign_round },
	},
	{
		.name = "auth",
		.kernel = "AUTH_BEGIN .. AUTH_FINISH, GW2 and S (done: 2 SESSION_DEL)",
		.baseline = "2 random nonces, KDF dk, 4 MAC, 2 session KDF, 4 AES-GCM keys",
		.k = { .run = k_auth, .done = k_auth_done },
		.u = { .run = u_auth, .done = u_auth_done },
	},
	{
		.name = "x25519",
		.kernel = "XFER_NEW on S: one X25519 key pair (done: SESSION_DEL)",
		.baseline = "one X25519 key pair (32 random bytes, public key)",
		.k = { .run = k_x25519, .done = k_x25519_done },
		.u = { .run = u_x25519 },
	},
	{
		.name = "record_open",
		.kernel = "KEY_UNWRAP of a server's device record on S: KEK lookup, KDF, AES-GCM open, refused (no key stored)",
		.baseline = "KDF of the 56-byte header, one AES-256-GCM open of 48 B",
		.k = { .run = k_record_open },
		.u = { .setup = u_record_setup, .run = u_record_open },
	},
	SEAL_OP("64", 64),
	SEAL_OP("1k", 1024),
	SEAL_OP("16k", 16384),
	OPEN_OP("64", 64),
	OPEN_OP("1k", 1024),
	OPEN_OP("16k", 16384),
};

const size_t bench_nops = BENCH_ARRAY_SIZE(bench_ops);
