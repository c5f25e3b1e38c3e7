// SPDX-License-Identifier: GPL-2.0
/*
 * The named values of CPNS-KA-1: each function computes one row of the
 * profile's "Values" table or one MAC of its flows, byte for byte.
 */

#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/cpns.h>

#include "primitives.h"
#include "profile.h"

#define CPNS_LABEL_SEED_AUTH		"CPNS seed auth"
#define CPNS_LABEL_ASSIGN_REQUEST	"CPNS assign request"
#define CPNS_LABEL_ASSIGN_CHALLENGE	"CPNS assign challenge"
#define CPNS_LABEL_DEVICE_ID		"CPNS device id"
#define CPNS_LABEL_DEVICE_KEY		"CPNS device key"
#define CPNS_LABEL_ASSIGN_CONFIRM	"CPNS assign confirm"
#define CPNS_LABEL_AUTH_CLIENT		"CPNS auth client"
#define CPNS_LABEL_AUTH_SERVER		"CPNS auth server"
#define CPNS_LABEL_SESSION_KEYS		"CPNS session keys"

/* The second half of a Device ID: KDF(seed, "CPNS device id", ch, 64). */
#define CPNS_DEVICE_ID_TAIL_LEN	(CPNS_DEVICE_ID_LEN - CPNS_SEED_ID_LEN)

#define CPNS_FIELD(p, len)	{ .iov_base = (void *)(p), .iov_len = (len) }

int cpns_seed_auth_key(const u8 *seed, const u8 *sid, u8 *ska)
{
	const struct kvec ctx[] = { CPNS_FIELD(sid, CPNS_SEED_ID_LEN) };

	return cpns_kdf(seed, CPNS_SEED_LEN, CPNS_LABEL_SEED_AUTH,
			ctx, ARRAY_SIZE(ctx), ska, CPNS_KEY_LEN);
}

int cpns_assign_request_mac(const u8 *ska, const u8 *sid, const u8 *n1,
			    u8 *mac)
{
	const struct kvec f[] = {
		CPNS_FIELD(sid, CPNS_SEED_ID_LEN),
		CPNS_FIELD(n1, CPNS_NONCE_LEN),
	};

	return cpns_mac(ska, CPNS_KEY_LEN, CPNS_LABEL_ASSIGN_REQUEST,
			f, ARRAY_SIZE(f), mac);
}

int cpns_assign_challenge_mac(const u8 *ska, const u8 *sid, const u8 *n1,
			      const u8 *ch, u8 *mac)
{
	const struct kvec f[] = {
		CPNS_FIELD(sid, CPNS_SEED_ID_LEN),
		CPNS_FIELD(n1, CPNS_NONCE_LEN),
		CPNS_FIELD(ch, CPNS_CHALLENGE_LEN),
	};

	return cpns_mac(ska, CPNS_KEY_LEN, CPNS_LABEL_ASSIGN_CHALLENGE,
			f, ARRAY_SIZE(f), mac);
}

int cpns_device_id(const u8 *seed, const u8 *sid, const u8 *ch, u8 *did)
{
	const struct kvec ctx[] = { CPNS_FIELD(ch, CPNS_CHALLENGE_LEN) };
	int ret;

	ret = cpns_kdf(seed, CPNS_SEED_LEN, CPNS_LABEL_DEVICE_ID,
		       ctx, ARRAY_SIZE(ctx), did + CPNS_SEED_ID_LEN,
		       CPNS_DEVICE_ID_TAIL_LEN);
	if (ret) {
		memzero_explicit(did, CPNS_DEVICE_ID_LEN);
		return ret;
	}
	memcpy(did, sid, CPNS_SEED_ID_LEN);
	return 0;
}

int cpns_device_key(const u8 *seed, const u8 *did, u8 *dk)
{
	const struct kvec ctx[] = { CPNS_FIELD(did, CPNS_DEVICE_ID_LEN) };

	return cpns_kdf(seed, CPNS_SEED_LEN, CPNS_LABEL_DEVICE_KEY,
			ctx, ARRAY_SIZE(ctx), dk, CPNS_KEY_LEN);
}

int cpns_assign_confirm(const u8 *dk, const u8 *did, const u8 *ch, u8 *code)
{
	const struct kvec f[] = {
		CPNS_FIELD(did, CPNS_DEVICE_ID_LEN),
		CPNS_FIELD(ch, CPNS_CHALLENGE_LEN),
	};

	return cpns_mac(dk, CPNS_KEY_LEN, CPNS_LABEL_ASSIGN_CONFIRM,
			f, ARRAY_SIZE(f), code);
}

static int cpns_auth_mac(const u8 *dk, const char *label, const u8 *did,
			 const u8 *nc, const u8 *ns, u8 *mac)
{
	const struct kvec f[] = {
		CPNS_FIELD(did, CPNS_DEVICE_ID_LEN),
		CPNS_FIELD(nc, CPNS_NONCE_LEN),
		CPNS_FIELD(ns, CPNS_NONCE_LEN),
	};

	return cpns_mac(dk, CPNS_KEY_LEN, label, f, ARRAY_SIZE(f), mac);
}

int cpns_auth_client_mac(const u8 *dk, const u8 *did, const u8 *nc,
			 const u8 *ns, u8 *mac)
{
	return cpns_auth_mac(dk, CPNS_LABEL_AUTH_CLIENT, did, nc, ns, mac);
}

int cpns_auth_server_mac(const u8 *dk, const u8 *did, const u8 *nc,
			 const u8 *ns, u8 *mac)
{
	return cpns_auth_mac(dk, CPNS_LABEL_AUTH_SERVER, did, nc, ns, mac);
}

int cpns_session_keys(const u8 *dk, const u8 *did, const u8 *nc,
		      const u8 *ns, struct cpns_session_keys *sk)
{
	const struct kvec ctx[] = {
		CPNS_FIELD(did, CPNS_DEVICE_ID_LEN),
		CPNS_FIELD(nc, CPNS_NONCE_LEN),
		CPNS_FIELD(ns, CPNS_NONCE_LEN),
	};
	u8 okm[2 * CPNS_KEY_LEN];
	int ret;

	/* One 512-bit output: k_c2s is its first half, k_s2c the second. */
	ret = cpns_kdf(dk, CPNS_KEY_LEN, CPNS_LABEL_SESSION_KEYS,
		       ctx, ARRAY_SIZE(ctx), okm, sizeof(okm));
	if (ret) {
		memzero_explicit(sk, sizeof(*sk));
		return ret;
	}
	memcpy(sk->c2s, okm, CPNS_KEY_LEN);
	memcpy(sk->s2c, okm + CPNS_KEY_LEN, CPNS_KEY_LEN);
	memzero_explicit(okm, sizeof(okm));
	return 0;
}
