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

/* All return 0 or a negative errno; outputs are zeroed on error. */

/* ska = KDF(seed, "CPNS seed auth", sid, 256) */
int cpns_seed_auth_key(const u8 *seed, const u8 *sid, u8 *ska);
/* II-1: MAC(ska, "CPNS assign request", sid, n1) */
int cpns_assign_request_mac(const u8 *ska, const u8 *sid, const u8 *n1,
			    u8 *mac);
/* II-3: MAC(ska, "CPNS assign challenge", sid, n1, ch) */
int cpns_assign_challenge_mac(const u8 *ska, const u8 *sid, const u8 *n1,
			      const u8 *ch, u8 *mac);
/* did = sid || KDF(seed, "CPNS device id", ch, 64) */
int cpns_device_id(const u8 *seed, const u8 *sid, const u8 *ch, u8 *did);
/* dk = KDF(seed, "CPNS device key", did, 256) */
int cpns_device_key(const u8 *seed, const u8 *did, u8 *dk);
/* II-7: MAC(dk, "CPNS assign confirm", did, ch) */
int cpns_assign_confirm(const u8 *dk, const u8 *did, const u8 *ch, u8 *code);
/* a-1: MAC(dk, "CPNS auth client", did, nc, ns) */
int cpns_auth_client_mac(const u8 *dk, const u8 *did, const u8 *nc,
			 const u8 *ns, u8 *mac);
/* a-3: MAC(dk, "CPNS auth server", did, nc, ns) */
int cpns_auth_server_mac(const u8 *dk, const u8 *did, const u8 *nc,
			 const u8 *ns, u8 *mac);
/* KDF(dk, "CPNS session keys", did || nc || ns, 512) */
int cpns_session_keys(const u8 *dk, const u8 *did, const u8 *nc,
		      const u8 *ns, struct cpns_session_keys *sk);

#endif /* _CPNS_PROFILE_H */
