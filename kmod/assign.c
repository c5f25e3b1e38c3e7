// SPDX-License-Identifier: GPL-2.0
/*
 * Flow II, Device ID/Key assignment: the order of each step, its checks
 * and what it stores (assign.h). The values come from profile.c, the keys
 * from keys.c, the challenges from pending.c.
 */

#include <linux/err.h>
#include <linux/key.h>
#include <linux/random.h>
#include <linux/string.h>
#include <crypto/algapi.h>
#include <linux/cpns.h>
#include "assign.h"
#include "keys.h"
#include "netns.h"
#include "pending.h"
#include "profile.h"
#include "step.h"

/* Wrong Device IDs an II-2 challenge allows; the last one consumes it. */
#define CPNS_CHALLENGE_TRIES	3

/*
 * The seed of @sid, of @role: its secret (unless @seed is NULL) and its
 * seed auth key.
 */
static int cpns_ii_seed(struct cpns_net *cn, const u8 *sid, int role,
			u8 *seed, u8 *ska, enum cpns_reason *why)
{
	struct key *key;
	int err;

	key = cpns_step_seed(&cn->keys, sid, role, why);
	if (IS_ERR(key))
		return PTR_ERR(key);
	err = cpns_step_seed_secret(key, seed, ska, why);
	key_put(key);
	return err;
}

int cpns_ii_request(struct cpns_net *cn, const u8 *sid, u8 *n1, u8 *mac,
		    enum cpns_reason *why)
{
	u8 ska[CPNS_KEY_LEN];
	int err;

	err = cpns_ii_seed(cn, sid, CPNS_ROLE_GW1, NULL, ska, why);
	if (!err) {
		get_random_bytes(n1, CPNS_NONCE_LEN);
		err = cpns_assign_request_mac(ska, sid, n1, mac);
		if (err)
			*why = CPNS_R_CRYPTO;
	}
	memzero_explicit(ska, sizeof(ska));
	return err;
}

/* II-2 with the seed auth key @ska. */
static int cpns_ii_challenge_ska(struct cpns_net *cn, const u8 *ska,
				 const u8 *sid, const u8 *n1,
				 const u8 *req_mac, u8 *ch, u8 *mac,
				 enum cpns_reason *why)
{
	int err;

	err = cpns_assign_request_mac(ska, sid, n1, mac);
	if (err)
		return cpns_why(why, CPNS_R_CRYPTO, err);
	if (crypto_memneq(mac, req_mac, CPNS_MAC_LEN))
		return cpns_why(why, CPNS_R_REQUEST_MAC, -EBADMSG);

	get_random_bytes(ch, CPNS_CHALLENGE_LEN);
	err = cpns_assign_challenge_mac(ska, sid, n1, ch, mac);
	if (err)
		return cpns_why(why, CPNS_R_CRYPTO, err);
	err = cpns_challenge_add(&cn->pending, sid, n1, ch);
	if (err == -EEXIST)
		return cpns_why(why, CPNS_R_CHALLENGE_PENDING, err);
	if (err)
		return cpns_why(why, CPNS_R_PENDING_FULL, err);
	return 0;
}

int cpns_ii_challenge(struct cpns_net *cn, const u8 *sid, const u8 *n1,
		      const u8 *req_mac, u8 *ch, u8 *mac,
		      enum cpns_reason *why)
{
	u8 ska[CPNS_KEY_LEN];
	int err;

	err = cpns_ii_seed(cn, sid, CPNS_ROLE_SERVER, NULL, ska, why);
	if (!err)
		err = cpns_ii_challenge_ska(cn, ska, sid, n1, req_mac, ch, mac,
					    why);
	memzero_explicit(ska, sizeof(ska));
	return err;
}

int cpns_ii_derive(struct cpns_net *cn, const u8 *sid, const u8 *n1,
		   const u8 *ch, const u8 *ch_mac, u8 *did,
		   key_serial_t *serial, enum cpns_reason *why)
{
	u8 seed[CPNS_SEED_LEN], ska[CPNS_KEY_LEN], dk[CPNS_KEY_LEN];
	u8 mac[CPNS_MAC_LEN];
	int err;

	err = cpns_ii_seed(cn, sid, CPNS_ROLE_GW1, seed, ska, why);
	if (err)
		goto out;
	err = cpns_assign_challenge_mac(ska, sid, n1, ch, mac);
	if (err) {
		*why = CPNS_R_CRYPTO;
		goto out;
	}
	if (crypto_memneq(mac, ch_mac, CPNS_MAC_LEN)) {
		err = cpns_why(why, CPNS_R_CHALLENGE_MAC, -EBADMSG);
		goto out;
	}

	/* II-4 */
	err = cpns_device_id(seed, sid, ch, did);
	if (!err)
		err = cpns_device_key(seed, did, dk);
	if (err) {
		*why = CPNS_R_CRYPTO;
		goto out;
	}
	err = cpns_device_add(&cn->keys, CPNS_ROLE_GW1, did, dk, ch,
			      cpns_pending_timeout, serial);
	if (err)
		*why = CPNS_R_DEVICE_STORE;
out:
	memzero_explicit(seed, sizeof(seed));
	memzero_explicit(ska, sizeof(ska));
	memzero_explicit(dk, sizeof(dk));
	return err;
}

/*
 * II-6: does @did match the challenge @c (taken)? A mismatch puts it back,
 * or uses it up at the last try; a crypto failure puts it back.
 */
static int cpns_ii_match(struct cpns_pending *p, struct cpns_challenge *c,
			 const u8 *seed, const u8 *did, enum cpns_reason *why)
{
	u8 expect[CPNS_DEVICE_ID_LEN];
	bool match;
	int err;

	match = !crypto_memneq(did, c->sid, CPNS_SEED_ID_LEN);
	if (match) {
		err = cpns_device_id(seed, c->sid, c->ch, expect);
		if (err) {
			cpns_challenge_restore(p, c);
			return cpns_why(why, CPNS_R_CRYPTO, err);
		}
		match = !crypto_memneq(expect, did, CPNS_DEVICE_ID_LEN);
	}
	if (match)
		return 0;
	if (++c->failures < CPNS_CHALLENGE_TRIES) {
		cpns_challenge_restore(p, c);
		return cpns_why(why, CPNS_R_DID_MISMATCH, -EBADMSG);
	}
	cpns_challenge_consume(p, c);
	return cpns_why(why, CPNS_R_DID_MISMATCH_LAST, -EBADMSG);
}

/*
 * Re-assignment on a server: the revocation record of the device
 * @old, which must be of one of this server's seeds, wrapped for the
 * daemon to store in @old's row (the server keeps no device record).
 */
static int cpns_ii_revoke_old(struct cpns_net *cn, const u8 *old,
			      struct cpns_ii_old *o, enum cpns_reason *why)
{
	struct cpns_record rec = { .state = CPNS_STATE_REVOKED };
	struct key *key;
	int err;

	key = cpns_step_seed(&cn->keys, old, CPNS_ROLE_SERVER, why);
	if (IS_ERR(key))
		return cpns_why(why, CPNS_R_REPLACE, PTR_ERR(key));
	key_put(key);
	err = cpns_record_wrap(o->ctx, old, &rec, o->blob, &o->bloblen);
	if (err)
		*why = CPNS_R_CRYPTO;
	return err;
}

/* II-7 for the matching challenge @c (taken): it is consumed on success. */
static int cpns_ii_code(struct cpns_net *cn, struct cpns_challenge *c,
			const u8 *seed, const u8 *did, const u8 *replaces,
			struct cpns_ii_old *old, u8 *code,
			enum cpns_reason *why)
{
	struct cpns_pending *p = &cn->pending;
	u8 dk[CPNS_KEY_LEN];
	int err;

	err = cpns_device_key(seed, did, dk);
	if (!err)
		err = cpns_assign_confirm(dk, did, c->ch, code);
	memzero_explicit(dk, sizeof(dk));
	if (err) {
		cpns_challenge_restore(p, c);
		return cpns_why(why, CPNS_R_CRYPTO, err);
	}
	/*
	 * Re-assignment: the new device needs no record (its key comes from
	 * the seed); the old one's revocation record is handed out now, or
	 * nothing happens and the challenge stays pending.
	 */
	if (replaces) {
		err = cpns_ii_revoke_old(cn, replaces, old, why);
		if (err) {
			cpns_challenge_restore(p, c);
			return err;
		}
		cpns_pending_revoke(p, replaces, CPNS_DEVICE_ID_LEN);
	}
	cpns_challenge_consume(p, c);
	return 0;
}

int cpns_ii_confirm(struct cpns_net *cn, const u8 *did, const u8 *n1,
		    const u8 *replaces, struct cpns_ii_old *old, u8 *code,
		    enum cpns_reason *why)
{
	struct cpns_pending *p = &cn->pending;
	u8 seed[CPNS_SEED_LEN];
	struct cpns_challenge *c;
	struct key *key;
	int err;

	/* The seed first: a Device ID of an unknown seed changes nothing. */
	key = cpns_step_seed(&cn->keys, did, CPNS_ROLE_SERVER, why);
	if (IS_ERR(key))
		return PTR_ERR(key);
	err = cpns_step_secret(key, seed, why);
	key_put(key);
	if (err)
		goto out;

	c = cpns_challenge_take(p, n1);
	if (IS_ERR(c)) {
		err = cpns_why(why, CPNS_R_NO_CHALLENGE, -ENOENT);
		goto out;
	}
	err = cpns_ii_match(p, c, seed, did, why);
	if (!err)
		err = cpns_ii_code(cn, c, seed, did, replaces, old, code,
				   why);
out:
	memzero_explicit(seed, sizeof(seed));
	return err;
}

/* II-8 on the pending Device Key @key of @did. */
static int cpns_ii_verify_key(struct cpns_net *cn, struct key *key,
			      const u8 *did, const u8 *ch, const u8 *code,
			      bool self, key_serial_t *serial,
			      enum cpns_reason *why)
{
	u8 dk[CPNS_KEY_LEN], expect[CPNS_MAC_LEN];
	int err;

	err = cpns_step_secret(key, dk, why);
	if (err)
		goto out;
	err = cpns_assign_confirm(dk, did, ch, expect);
	if (err) {
		*why = CPNS_R_CRYPTO;
		goto out;
	}
	if (crypto_memneq(expect, code, CPNS_MAC_LEN)) {
		cpns_key_destroy(&cn->keys, key);
		err = cpns_why(why, CPNS_R_CONFIRM_MISMATCH, -EBADMSG);
		goto out;
	}
	err = cpns_device_confirm(&cn->keys, key, self, serial);
	if (err == -EINVAL)
		*why = CPNS_R_NO_LONGER_PENDING;
	else if (err)
		*why = CPNS_R_CONFIRM_STORE;
out:
	memzero_explicit(dk, sizeof(dk));
	return err;
}

int cpns_ii_verify(struct cpns_net *cn, const u8 *did, const u8 *code,
		   bool self, key_serial_t *serial, enum cpns_reason *why)
{
	u8 ch[CPNS_CHALLENGE_LEN];
	struct cpns_key_info ki;
	struct key *key;
	int err;

	key = cpns_step_device(&cn->keys, did, &ki, why);
	if (IS_ERR(key))
		return PTR_ERR(key);
	if (ki.role != CPNS_ROLE_GW1 || ki.state != CPNS_STATE_PENDING ||
	    cpns_device_challenge(key, ch))
		err = cpns_why(why, CPNS_R_NOT_AWAITING_II8, -EINVAL);
	else
		err = cpns_ii_verify_key(cn, key, did, ch, code, self, serial,
					 why);
	key_put(key);
	return err;
}
