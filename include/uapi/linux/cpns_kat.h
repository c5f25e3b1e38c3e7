/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * cpns_kat: the known-answer test family of the test module cpns_kat.ko
 * (kmod/test/), not of cpns.ko. It computes CPNS-KA-1 vectors on inputs
 * the caller chooses, through the functions cpns.ko's commands use, so
 * that cpnsctl kat and the selftests can compare every vector file with
 * the kernel. A test interface: it changes with the tree, and production
 * systems do not load it. Documentation/kat.rst describes it.
 *
 * Its attributes are those of enum cpns_attr the commands share with the
 * cpns family (same numbers, same formats), and the test-only ones of
 * enum cpns_kat_attr, numbered after the last of enum cpns_attr.
 */
#ifndef _UAPI_LINUX_CPNS_KAT_H
#define _UAPI_LINUX_CPNS_KAT_H

#include <linux/types.h>
#include <linux/cpns.h>

#define CPNS_KAT_GENL_NAME	"cpns_kat"
#define CPNS_KAT_GENL_VERSION	1

#define CPNS_MAX_KAT_AEAD	16	/* AEAD entries in one request */
#define CPNS_MAX_KAT_KEK	512	/* KEK or pairing key of one KAT_EXT */

/**
 * enum cpns_kat_cmd - commands of the cpns_kat family
 *
 * Both need CAP_NET_ADMIN in the user namespace that owns the caller's
 * network namespace. Inputs are test values: nothing is stored.
 *
 * @CPNS_KAT_CMD_KAT: one vector of the profile (vectors.json). R
 *	%CPNS_A_KAT_KEY_SEED, %CPNS_A_SEED_ID, %CPNS_A_REQUEST_NONCE,
 *	%CPNS_A_CHALLENGE, %CPNS_A_CLIENT_NONCE, %CPNS_A_SERVER_NONCE; O
 *	%CPNS_A_KAT_AEAD (repeated, nested &enum cpns_aead_attr: DIR, SEQ,
 *	AAD, DATA = plaintext). Reply: %CPNS_A_KAT_SEED_AUTH_KEY,
 *	%CPNS_A_REQUEST_MAC, %CPNS_A_CHALLENGE_MAC, %CPNS_A_DEVICE_ID,
 *	%CPNS_A_KAT_DEVICE_KEY, %CPNS_A_CONFIRM, %CPNS_A_CLIENT_MAC,
 *	%CPNS_A_SERVER_MAC, %CPNS_A_KAT_SESSION_KEY_C2S,
 *	%CPNS_A_KAT_SESSION_KEY_S2C and one %CPNS_A_KAT_AEAD per request entry
 *	(DIR, SEQ, DATA = sealed).
 * @CPNS_KAT_CMD_KAT_EXT: one vector of an extension of the profile
 *	(Documentation/{xfer,rekey,store}-vectors.json) through the functions
 *	the protocol commands use. R %CPNS_A_KAT_KIND (&enum cpns_kat_kind),
 *	then by kind:
 *	%CPNS_KAT_XFER: R %CPNS_A_KEY_KIND, %CPNS_A_SEED_ID or
 *	%CPNS_A_DEVICE_ID, %CPNS_A_KAT_SECRET (sender's X25519 secret),
 *	%CPNS_A_KAT_PEER_SECRET (receiver's), %CPNS_A_KAT_KEY (the key sent),
 *	%CPNS_A_KAT_KEK (the pairing key). Reply %CPNS_A_PUBKEY (sender's),
 *	%CPNS_A_PEER_PUBKEY (receiver's), %CPNS_A_WRAPPED, %CPNS_A_XFER_CODE
 *	(sender's), %CPNS_A_KAT_PEER_CODE (receiver's), %CPNS_A_KAT_KEY (as
 *	the receiver unwrapped it), %CPNS_A_PAIR_MAC.
 *	%CPNS_KAT_REKEY: R %CPNS_A_DEVICE_ID, %CPNS_A_KAT_KEY (Device Key),
 *	%CPNS_A_GENERATION, %CPNS_A_CLIENT_NONCE, %CPNS_A_SERVER_NONCE,
 *	%CPNS_A_KAT_SECRET (client's X25519 secret), %CPNS_A_KAT_PEER_SECRET
 *	(server's); O %CPNS_A_KAT_AEAD as for KAT. Reply %CPNS_A_PUBKEY
 *	(client's), %CPNS_A_PEER_PUBKEY (server's), %CPNS_A_CLIENT_MAC,
 *	%CPNS_A_SERVER_MAC, %CPNS_A_GENERATION (new), %CPNS_A_KAT_DEVICE_KEY
 *	(new), %CPNS_A_KAT_SESSION_KEY_C2S, %CPNS_A_KAT_SESSION_KEY_S2C, one
 *	%CPNS_A_KAT_AEAD per request entry.
 *	%CPNS_KAT_STORE: R %CPNS_A_KAT_KEK, %CPNS_A_KEY_KIND, %CPNS_A_ROLE,
 *	%CPNS_A_STATE, %CPNS_A_GENERATION, %CPNS_A_KAT_CREATED,
 *	%CPNS_A_EXPIRY, %CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID,
 *	%CPNS_A_KAT_SALT, %CPNS_A_KAT_KEY; O %CPNS_A_LABEL. Reply %CPNS_A_BLOB
 *	and what unwrapping it gives: %CPNS_A_KEY_KIND, %CPNS_A_ROLE,
 *	%CPNS_A_STATE, %CPNS_A_GENERATION, %CPNS_A_EXPIRY,
 *	%CPNS_A_KAT_CREATED, %CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID,
 *	%CPNS_A_KAT_KEY.
 */
enum cpns_kat_cmd {
	CPNS_KAT_CMD_UNSPEC,
	CPNS_KAT_CMD_KAT,
	CPNS_KAT_CMD_KAT_EXT,

	__CPNS_KAT_CMD_MAX
};

#define CPNS_KAT_CMD_MAX (__CPNS_KAT_CMD_MAX - 1)

enum cpns_kat_attr {
	CPNS_A_KAT_KEY_SEED = __CPNS_A_MAX, /* binary, CPNS_SEED_LEN */
	CPNS_A_KAT_SEED_AUTH_KEY,	/* binary, CPNS_KEY_LEN */
	CPNS_A_KAT_DEVICE_KEY,		/* binary, CPNS_KEY_LEN */
	CPNS_A_KAT_SESSION_KEY_C2S,	/* binary, CPNS_KEY_LEN */
	CPNS_A_KAT_SESSION_KEY_S2C,	/* binary, CPNS_KEY_LEN */
	CPNS_A_KAT_AEAD,		/* nested, enum cpns_aead_attr */
	CPNS_A_KAT_KIND,		/* u8, enum cpns_kat_kind (KAT_EXT) */
	CPNS_A_KAT_SECRET,		/* binary, CPNS_PUBKEY_LEN (KAT_EXT) */
	CPNS_A_KAT_PEER_SECRET,		/* binary, CPNS_PUBKEY_LEN (KAT_EXT) */
	CPNS_A_KAT_KEY,			/* binary, CPNS_KEY_LEN (KAT_EXT) */
	CPNS_A_KAT_KEK,			/* binary, 32..CPNS_MAX_KAT_KEK (KAT_EXT) */
	CPNS_A_KAT_SALT,		/* binary, 16 (KAT_EXT) */
	CPNS_A_KAT_CREATED,		/* u64: seconds since the epoch (KAT_EXT) */
	CPNS_A_KAT_PEER_CODE,		/* u32: receiver's code (KAT_EXT) */

	__CPNS_KAT_A_MAX
};

#define CPNS_KAT_A_MAX (__CPNS_KAT_A_MAX - 1)

/* Attributes nested in CPNS_A_KAT_AEAD. */
enum cpns_aead_attr {
	CPNS_AEAD_A_UNSPEC,
	CPNS_AEAD_A_PAD,
	CPNS_AEAD_A_DIR,		/* u8, enum cpns_dir */
	CPNS_AEAD_A_SEQ,		/* u64 */
	CPNS_AEAD_A_AAD,		/* binary, at most CPNS_MAX_AAD */
	CPNS_AEAD_A_DATA,		/* binary, at most CPNS_MAX_PLAINTEXT */

	__CPNS_AEAD_A_MAX
};

#define CPNS_AEAD_A_MAX (__CPNS_AEAD_A_MAX - 1)

enum cpns_dir {
	CPNS_DIR_C2S = 0,		/* k_c2s: GW2 to server */
	CPNS_DIR_S2C = 1,		/* k_s2c: server to GW2 */
};

/* The extension whose vector CPNS_KAT_CMD_KAT_EXT computes. */
enum cpns_kat_kind {
	CPNS_KAT_XFER = 1,		/* CPNS-KA-1-XFER, Documentation/xfer.rst */
	CPNS_KAT_REKEY = 2,		/* CPNS-KA-1-REKEY, Documentation/rekey.rst */
	CPNS_KAT_STORE = 3,		/* CPNS-KA-1-STORE, Documentation/store.rst */
};

#endif /* _UAPI_LINUX_CPNS_KAT_H */
