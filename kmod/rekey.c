// SPDX-License-Identifier: GPL-2.0
/*
 * Re-key of the Device Key in the a-flow, extension CPNS-KA-1-REKEY
 * (Documentation/rekey.rst). X25519 is xfer.c's (kpp "curve25519"); the
 * MAC and KDF are the profile's (primitives.h).
 */

#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/cpns.h>

#include "compat.h"
#include "primitives.h"
#include "rekey.h"
#include "xfer.h"

#define CPNS_LABEL_AUTH_CLIENT	"CPNS auth client"
#define CPNS_LABEL_AUTH_SERVER	"CPNS auth server"
#define CPNS_LABEL_REKEY	"CPNS rekey"

int cpns_rekey_keypair(u8 *secret, u8 *pub)
{
	return cpns_xfer_keypair(secret, pub);
}

int cpns_rekey_shared(const u8 *secret, const u8 *peer, u8 *shared)
{
	u8 pub[CPNS_PUBKEY_LEN];

	return cpns_x25519(secret, peer, pub, shared);
}

/* MAC(dk, label, did, nc, ns, Pc, Ps) */
static int cpns_rekey_mac(const char *label, const u8 *dk, const u8 *did,
			  const u8 *nc, const u8 *ns, const u8 *pc,
			  const u8 *ps, u8 *mac)
{
	const struct kvec f[] = {
		{ .iov_base = (void *)did, .iov_len = CPNS_DEVICE_ID_LEN },
		{ .iov_base = (void *)nc, .iov_len = CPNS_NONCE_LEN },
		{ .iov_base = (void *)ns, .iov_len = CPNS_NONCE_LEN },
		{ .iov_base = (void *)pc, .iov_len = CPNS_PUBKEY_LEN },
		{ .iov_base = (void *)ps, .iov_len = CPNS_PUBKEY_LEN },
	};

	return cpns_mac(dk, CPNS_KEY_LEN, label, f, ARRAY_SIZE(f), mac);
}

int cpns_rekey_client_mac(const u8 *dk, const u8 *did, const u8 *nc,
			  const u8 *ns, const u8 *pc, const u8 *ps, u8 *mac)
{
	return cpns_rekey_mac(CPNS_LABEL_AUTH_CLIENT, dk, did, nc, ns, pc, ps,
			      mac);
}

int cpns_rekey_server_mac(const u8 *dk, const u8 *did, const u8 *nc,
			  const u8 *ns, const u8 *pc, const u8 *ps, u8 *mac)
{
	return cpns_rekey_mac(CPNS_LABEL_AUTH_SERVER, dk, did, nc, ns, pc, ps,
			      mac);
}

int cpns_rekey_derive(const u8 *dk, const u8 *did, u32 gen, const u8 *nc,
		      const u8 *ns, const u8 *pc, const u8 *ps,
		      const u8 *shared, u8 *dk_new)
{
	u8 g[4];
	const struct kvec ctx[] = {
		{ .iov_base = (void *)did, .iov_len = CPNS_DEVICE_ID_LEN },
		{ .iov_base = g, .iov_len = sizeof(g) },
		{ .iov_base = (void *)nc, .iov_len = CPNS_NONCE_LEN },
		{ .iov_base = (void *)ns, .iov_len = CPNS_NONCE_LEN },
		{ .iov_base = (void *)pc, .iov_len = CPNS_PUBKEY_LEN },
		{ .iov_base = (void *)ps, .iov_len = CPNS_PUBKEY_LEN },
		{ .iov_base = (void *)shared, .iov_len = CPNS_PUBKEY_LEN },
	};

	put_unaligned_be32(gen, g);
	return cpns_kdf(dk, CPNS_KEY_LEN, CPNS_LABEL_REKEY, ctx,
			ARRAY_SIZE(ctx), dk_new, CPNS_KEY_LEN);
}
