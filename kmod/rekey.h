/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Re-key of the Device Key inside the a-flow (extension CPNS-KA-1-REKEY,
 * Documentation/rekey.rst). At GW2's first authentication both ends make
 * an ephemeral X25519 key pair, bind both public keys into the a-1 and a-3
 * codes, and replace the Device Key dk (generation g) by
 *
 *   shared = X25519(s, Pc) = X25519(c, Ps)
 *   dk'    = KDF(dk, "CPNS rekey",
 *                did || [g+1]_4 || nc || ns || Pc || Ps || shared, 256)
 *
 * from which the session keys are then derived, so that GW1, which derived
 * dk, learns neither dk' nor the session.
 */
#ifndef _CPNS_REKEY_H
#define _CPNS_REKEY_H

#include <linux/types.h>
#include <linux/cpns.h>

/**
 * cpns_rekey_keypair() - an ephemeral X25519 key pair for one re-key
 * @secret: out, CPNS_PUBKEY_LEN bytes, clamped; the caller wipes it
 * @pub: out, CPNS_PUBKEY_LEN bytes
 *
 * Process context. Return: 0 or a negative errno (both outputs zeroed).
 */
int cpns_rekey_keypair(u8 *secret, u8 *pub);

/**
 * cpns_rekey_shared() - shared = X25519(@secret, @peer)
 * @secret: this end's ephemeral secret
 * @peer: the other end's public key
 * @shared: out, CPNS_PUBKEY_LEN bytes; the caller wipes it
 *
 * Process context. Return: 0, -EKEYREJECTED for a low-order @peer (the
 * shared secret would be all zero), or a negative errno; @shared is zeroed
 * on error.
 */
int cpns_rekey_shared(const u8 *secret, const u8 *peer, u8 *shared);

/**
 * cpns_rekey_client_mac() - a-1 of a re-keying flow:
 *	MAC(dk, "CPNS auth client", did, nc, ns, Pc, Ps)
 * @dk: the Device Key being replaced
 * @did: Device ID
 * @nc: client nonce
 * @ns: server nonce
 * @pc: the client's ephemeral public key
 * @ps: the server's ephemeral public key
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0 or a negative errno (@mac zeroed).
 */
int cpns_rekey_client_mac(const u8 *dk, const u8 *did, const u8 *nc,
			  const u8 *ns, const u8 *pc, const u8 *ps, u8 *mac);

/**
 * cpns_rekey_server_mac() - a-3 of a re-keying flow:
 *	MAC(dk, "CPNS auth server", did, nc, ns, Pc, Ps)
 * @dk: the Device Key being replaced
 * @did: Device ID
 * @nc: client nonce
 * @ns: server nonce
 * @pc: the client's ephemeral public key
 * @ps: the server's ephemeral public key
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0 or a negative errno (@mac zeroed).
 */
int cpns_rekey_server_mac(const u8 *dk, const u8 *did, const u8 *nc,
			  const u8 *ns, const u8 *pc, const u8 *ps, u8 *mac);

/**
 * cpns_rekey_derive() - dk' = KDF(dk, "CPNS rekey",
 *	did || [gen]_4 || nc || ns || Pc || Ps || shared, 256)
 * @dk: the Device Key being replaced
 * @did: Device ID
 * @gen: the generation of the new key (the old one's plus one)
 * @nc: client nonce
 * @ns: server nonce
 * @pc: the client's ephemeral public key
 * @ps: the server's ephemeral public key
 * @shared: from cpns_rekey_shared()
 * @dk_new: out, CPNS_KEY_LEN bytes (may be @dk); the caller wipes it
 *
 * Process context. Return: 0 or a negative errno (@dk_new zeroed).
 */
int cpns_rekey_derive(const u8 *dk, const u8 *did, u32 gen, const u8 *nc,
		      const u8 *ns, const u8 *pc, const u8 *ps,
		      const u8 *shared, u8 *dk_new);

#endif /* _CPNS_REKEY_H */
