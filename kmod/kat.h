/* SPDX-License-Identifier: GPL-2.0 */
/* Known-answer computation and the self-test run at module load. */
#ifndef _CPNS_KAT_H
#define _CPNS_KAT_H

#include <linux/types.h>
#include <linux/cpns.h>
#include "keys.h"
#include "profile.h"
#include "wrap.h"

/* The random inputs of one vector of vectors.json. */
struct cpns_kat_in {
	u8 seed[CPNS_SEED_LEN];
	u8 sid[CPNS_SEED_ID_LEN];
	u8 n1[CPNS_NONCE_LEN];
	u8 ch[CPNS_CHALLENGE_LEN];
	u8 nc[CPNS_NONCE_LEN];
	u8 ns[CPNS_NONCE_LEN];
};

/* Its derived outputs, except the AEAD list. */
struct cpns_kat_out {
	u8 ska[CPNS_KEY_LEN];
	u8 request_mac[CPNS_MAC_LEN];
	u8 challenge_mac[CPNS_MAC_LEN];
	u8 did[CPNS_DEVICE_ID_LEN];
	u8 dk[CPNS_KEY_LEN];
	u8 confirm[CPNS_MAC_LEN];
	u8 client_mac[CPNS_MAC_LEN];
	u8 server_mac[CPNS_MAC_LEN];
	struct cpns_session_keys sk;
};

/**
 * cpns_kat_run() - compute every output of one vector through profile.h
 * @in: the inputs
 * @out: the outputs; the caller wipes them (memzero_explicit)
 *
 * Return: 0 or a negative errno.
 */
int cpns_kat_run(const struct cpns_kat_in *in, struct cpns_kat_out *out);

/**
 * cpns_kat_selftest() - check the first vector of vectors.json, AEAD included
 *
 * Return: 0, -EBADMSG on a mismatch (logged), or a negative errno.
 */
int cpns_kat_selftest(void);

/* KAT_EXT, CPNS-KA-1-XFER: one vector of Documentation/xfer-vectors.json. */
struct cpns_kat_xfer {
	/* inputs */
	enum cpns_key_kind kind;
	u8 id[CPNS_DEVICE_ID_LEN];		/* CPNS_SEED_ID_LEN for a seed */
	u8 sender_secret[CPNS_PUBKEY_LEN];
	u8 receiver_secret[CPNS_PUBKEY_LEN];
	u8 key[CPNS_KEY_LEN];
	const u8 *pair_key;
	unsigned int pair_keylen;
	/* outputs */
	u8 sender_pub[CPNS_PUBKEY_LEN];
	u8 receiver_pub[CPNS_PUBKEY_LEN];
	u8 wrapped[CPNS_WRAPPED_LEN];
	u32 code;				/* the sender's (export) */
	u32 receiver_code;			/* the receiver's (XFER_CODE) */
	u8 unwrapped[CPNS_KEY_LEN];		/* the receiver's (import) */
	u8 pair_mac[CPNS_MAC_LEN];
	u8 receiver_mac[CPNS_MAC_LEN];		/* XFER_ACCEPT's */
};

/* KAT_EXT, CPNS-KA-1-REKEY: one vector of Documentation/rekey-vectors.json. */
struct cpns_kat_rekey {
	/* inputs */
	u8 did[CPNS_DEVICE_ID_LEN];
	u8 dk[CPNS_KEY_LEN];
	u32 gen;
	u8 nc[CPNS_NONCE_LEN];
	u8 ns[CPNS_NONCE_LEN];
	u8 client_secret[CPNS_PUBKEY_LEN];
	u8 server_secret[CPNS_PUBKEY_LEN];
	/* outputs */
	u8 pc[CPNS_PUBKEY_LEN];
	u8 ps[CPNS_PUBKEY_LEN];
	u8 client_mac[CPNS_MAC_LEN];
	u8 server_mac[CPNS_MAC_LEN];
	u32 new_gen;
	u8 new_dk[CPNS_KEY_LEN];
	struct cpns_session_keys sk;
	/* scratch: each end's shared secret and new key */
	u8 shared_c[CPNS_PUBKEY_LEN];
	u8 shared_s[CPNS_PUBKEY_LEN];
	u8 client_dk[CPNS_KEY_LEN];
};

/* KAT_EXT, CPNS-KA-1-STORE: one vector of Documentation/store-vectors.json. */
struct cpns_kat_store {
	/* inputs */
	const u8 *kek;
	unsigned int keklen;
	struct cpns_key_info meta;	/* kind, role, state, generation, id, expiry */
	time64_t created;
	u8 salt[CPNS_BLOB_SALT_LEN];
	const u8 *label;
	unsigned int labellen;
	u8 key[CPNS_KEY_LEN];
	/* outputs: the blob, and what unwrapping it gives back */
	u8 blob[CPNS_MAX_BLOB];
	unsigned int bloblen;
	struct cpns_key_info got;
	time64_t got_created;
	u8 got_key[CPNS_KEY_LEN];
};

/**
 * cpns_kat_xfer() - one transfer vector through xfer.c, both ends
 * @x: inputs filled; outputs written
 *
 * The receiver's public key is X25519(receiver_secret, 9) as XFER_NEW makes
 * it; the sender wraps as SEED_EXPORT/DEVICE_EXPORT do (cpns_xfer_wrap()),
 * the receiver computes its code as XFER_CODE does (cpns_xfer_code()) and
 * opens the sender's output as SEED_IMPORT/DEVICE_IMPORT do
 * (cpns_xfer_unwrap()); the pairing MAC is XFER_PAIR's
 * (cpns_xfer_pair_mac()), and XFER_ACCEPT's receiver MAC
 * (cpns_xfer_receiver_mac()). The caller wipes @x (kfree_sensitive()).
 *
 * Return: 0; -EBADMSG if the import's code differs from XFER_CODE's or the
 * wrapped key does not open; -EKEYREJECTED (low-order key); -EINVAL; or a
 * negative errno.
 */
int cpns_kat_xfer(struct cpns_kat_xfer *x);

/**
 * cpns_kat_rekey() - one re-key vector through rekey.c, both ends
 * @r: inputs filled; outputs written
 *
 * Each end's public key from its secret, the shared secret at each end
 * (cpns_rekey_shared(), as AUTH_CHALLENGE and AUTH_CLIENT compute it), the
 * a-1 and a-3 codes, dk' at each end (cpns_rekey_derive() with generation
 * @r->gen + 1) and the session keys from dk' (cpns_session_keys()). The
 * caller wipes @r (kfree_sensitive()).
 *
 * Return: 0; -EBADMSG if the two ends derive different keys; -EOVERFLOW
 * if @r->gen has no successor; -EKEYREJECTED; or a negative errno.
 */
int cpns_kat_rekey(struct cpns_kat_rekey *r);

/**
 * cpns_kat_store() - one storage vector through wrap.c, both ways
 * @s: inputs filled; outputs written
 *
 * Wraps with the vector's salt and creation time as KEY_WRAP does with
 * fresh ones (cpns_blob_wrap()), then opens the result as KEY_UNWRAP does
 * (cpns_blob_unwrap()). The caller wipes @s (kfree_sensitive()).
 *
 * Return: 0; -EINVAL (metadata refused); -EBADMSG; or a negative errno.
 */
int cpns_kat_store(struct cpns_kat_store *s);

#endif /* _CPNS_KAT_H */
