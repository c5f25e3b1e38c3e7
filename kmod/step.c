// SPDX-License-Identifier: GPL-2.0
/*
 * The keys the protocol steps look up by ID, each failure with its reason
 * (step.h).
 */

#include <linux/err.h>
#include <linux/key.h>
#include <linux/cpns.h>
#include "keys.h"
#include "step.h"

/*
 * Why a lookup failed with @err: @unknown, or the reason after it for a
 * revoked key, the second after it for an expired one, the third for any
 * other error (enum cpns_reason keeps them in this order).
 */
static enum cpns_reason cpns_step_lookup(int err, enum cpns_reason unknown)
{
	switch (err) {
	case -ENOKEY:
		return unknown;
	case -EKEYREVOKED:
		return unknown + 1;
	case -EKEYEXPIRED:
		return unknown + 2;
	default:
		return unknown + 3;
	}
}

struct key *cpns_step_seed(struct cpns_keys *keys, const u8 *sid, int role,
			   enum cpns_reason *why)
{
	struct cpns_key_info ki;
	struct key *key;

	key = cpns_seed_find(keys, sid);
	if (IS_ERR(key)) {
		*why = cpns_step_lookup(PTR_ERR(key), CPNS_R_SEED_UNKNOWN);
		return key;
	}

	cpns_key_info(key, &ki);
	if (role == CPNS_ROLE_ANY || ki.role == role)
		return key;
	key_put(key);
	*why = role == CPNS_ROLE_SERVER ? CPNS_R_SEED_NOT_SERVER :
					  CPNS_R_SEED_NOT_GW1;
	return ERR_PTR(-EINVAL);
}

struct key *cpns_step_device(struct cpns_keys *keys, const u8 *did,
			     struct cpns_key_info *ki, enum cpns_reason *why)
{
	struct key *key;

	key = cpns_device_find(keys, did);
	if (IS_ERR(key)) {
		*why = cpns_step_lookup(PTR_ERR(key), CPNS_R_DEVICE_UNKNOWN);
		return key;
	}
	cpns_key_info(key, ki);
	return key;
}

int cpns_step_secret(const struct key *key, u8 *secret,
		     enum cpns_reason *why)
{
	return cpns_step_seed_secret(key, secret, NULL, why);
}

int cpns_step_seed_secret(const struct key *key, u8 *secret, u8 *ska,
			  enum cpns_reason *why)
{
	int err;

	BUILD_BUG_ON(CPNS_SEED_LEN != CPNS_KEY_LEN);
	err = cpns_seed_secret(key, secret, ska);
	switch (err) {
	case 0:
		return 0;
	case -EKEYREVOKED:
		return cpns_why(why, CPNS_R_KEY_REVOKED, err);
	case -EKEYEXPIRED:
		return cpns_why(why, CPNS_R_KEY_EXPIRED, err);
	default:
		return cpns_why(why, CPNS_R_KEY_READ, err);
	}
}
