/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The named values of CPNS-KA-1 (../shared/spec/cpns-ka-1.md, "Values"):
 * one function per derived value or code. Every real operation and the KAT
 * command go through these functions.
 */
#ifndef _CPNS_PROFILE_H
#define _CPNS_PROFILE_H

#include <linux/types.h>
#include <linux/cpns.h>

struct cpns_session_keys {
	u8 c2s[CPNS_KEY_LEN];
	u8 s2c[CPNS_KEY_LEN];
};

/*
 * Each function below may sleep (process context) and returns 0 or a
 * negative errno from the crypto API (-ENOMEM, -ENOENT if an algorithm
 * cannot be loaded); on error its output is zeroed.
 */

/**
 * cpns_seed_auth_key() - ska = KDF(seed, "CPNS seed auth", sid, 256)
 * @seed: Key Seed, CPNS_SEED_LEN bytes
 * @sid: Seed ID, CPNS_SEED_ID_LEN bytes
 * @ska: out, CPNS_KEY_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_seed_auth_key(const u8 *seed, const u8 *sid, u8 *ska);

/**
 * cpns_assign_request_mac() - II-1: MAC(ska, "CPNS assign request", sid, n1)
 * @ska: seed auth key
 * @sid: Seed ID
 * @n1: request nonce, CPNS_NONCE_LEN bytes
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_assign_request_mac(const u8 *ska, const u8 *sid, const u8 *n1,
			    u8 *mac);

/**
 * cpns_assign_challenge_mac() - II-3: MAC(ska, "CPNS assign challenge",
 *	sid, n1, ch)
 * @ska: seed auth key
 * @sid: Seed ID
 * @n1: request nonce
 * @ch: challenge, CPNS_CHALLENGE_LEN bytes
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_assign_challenge_mac(const u8 *ska, const u8 *sid, const u8 *n1,
			      const u8 *ch, u8 *mac);

/**
 * cpns_device_id() - did = sid || KDF(seed, "CPNS device id", ch, 64)
 * @seed: Key Seed
 * @sid: Seed ID
 * @ch: challenge
 * @did: out, CPNS_DEVICE_ID_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_device_id(const u8 *seed, const u8 *sid, const u8 *ch, u8 *did);

/**
 * cpns_device_key() - dk = KDF(seed, "CPNS device key", did, 256)
 * @seed: Key Seed
 * @did: Device ID
 * @dk: out, CPNS_KEY_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_device_key(const u8 *seed, const u8 *did, u8 *dk);

/**
 * cpns_assign_confirm() - II-7: MAC(dk, "CPNS assign confirm", did, ch)
 * @dk: Device Key
 * @did: Device ID
 * @ch: challenge
 * @code: out, CPNS_MAC_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_assign_confirm(const u8 *dk, const u8 *did, const u8 *ch, u8 *code);

/**
 * cpns_auth_client_mac() - a-1: MAC(dk, "CPNS auth client", did, nc, ns)
 * @dk: Device Key
 * @did: Device ID
 * @nc: client nonce
 * @ns: server nonce
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_auth_client_mac(const u8 *dk, const u8 *did, const u8 *nc,
			 const u8 *ns, u8 *mac);

/**
 * cpns_auth_server_mac() - a-3: MAC(dk, "CPNS auth server", did, nc, ns)
 * @dk: Device Key
 * @did: Device ID
 * @nc: client nonce
 * @ns: server nonce
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0 or a negative errno.
 */
int cpns_auth_server_mac(const u8 *dk, const u8 *did, const u8 *nc,
			 const u8 *ns, u8 *mac);

/**
 * cpns_session_keys() - KDF(dk, "CPNS session keys", did || nc || ns, 512)
 * @dk: Device Key
 * @did: Device ID
 * @nc: client nonce
 * @ns: server nonce
 * @sk: out: the first 32 bytes are k_c2s, the last 32 k_s2c
 *
 * Return: 0 or a negative errno.
 */
int cpns_session_keys(const u8 *dk, const u8 *did, const u8 *nc,
		      const u8 *ns, struct cpns_session_keys *sk);

#endif /* _CPNS_PROFILE_H */
