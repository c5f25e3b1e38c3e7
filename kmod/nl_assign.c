// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of flow II, Device ID/Key assignment: the ASSIGN_* commands.
 */

#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/cpns.h>
#include "keys.h"
#include "netns.h"
#include "nl.h"
#include "pending.h"
#include "primitives.h"
#include "profile.h"
#include "rekey.h"
#include "session.h"
#include "stats.h"
#include "wrap.h"
#include "xfer.h"

/* Wrong Device IDs an II-2 challenge allows; the last one consumes it. */
#define CPNS_CHALLENGE_TRIES	3

/* Flow II: Device ID/Key assignment. */

/* The seed named by CPNS_A_SEED_ID, its secret and its seed auth key. */
static struct key *cpns_assign_seed(struct cpns_req *req, int role, u8 *seed,
				    u8 *ska)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_SEED_ID];
	struct key *key;
	int err;

	key = cpns_req_seed(req, nla_data(attr), attr, role);
	if (IS_ERR(key))
		return key;
	err = cpns_req_secret(req, key, seed);
	if (!err) {
		err = cpns_seed_auth_key(seed, nla_data(attr), ska);
		if (err)
			cpns_crypto_failed(req, err);
	}
	if (err) {
		key_put(key);
		return ERR_PTR(err);
	}
	return key;
}

int cpns_cmd_assign_request(struct cpns_req *req)
{
	const u8 *sid = cpns_data(req, CPNS_A_SEED_ID);
	u8 seed[CPNS_SEED_LEN], ska[CPNS_KEY_LEN];
	u8 n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	struct sk_buff *msg;
	struct key *key;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_SEED_ID_LEN) +
			     nla_total_size(CPNS_NONCE_LEN) +
			     nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	key = cpns_assign_seed(req, CPNS_ROLE_GW1, seed, ska);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
		goto out;
	}
	key_put(key);
	get_random_bytes(n1, sizeof(n1));
	err = cpns_assign_request_mac(ska, sid, n1, mac);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	if (nla_put(msg, CPNS_A_SEED_ID, CPNS_SEED_ID_LEN, sid) ||
	    nla_put(msg, CPNS_A_REQUEST_NONCE, CPNS_NONCE_LEN, n1) ||
	    nla_put(msg, CPNS_A_REQUEST_MAC, CPNS_MAC_LEN, mac)) {
		err = cpns_reply_overflow(req, msg);
		msg = NULL;
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
	msg = NULL;
out:
	memzero_explicit(seed, sizeof(seed));
	memzero_explicit(ska, sizeof(ska));
	nlmsg_free(msg);
	return err;
}

int cpns_cmd_assign_challenge(struct cpns_req *req)
{
	const u8 *sid = cpns_data(req, CPNS_A_SEED_ID);
	const u8 *n1 = cpns_data(req, CPNS_A_REQUEST_NONCE);
	u8 seed[CPNS_SEED_LEN], ska[CPNS_KEY_LEN];
	u8 ch[CPNS_CHALLENGE_LEN], mac[CPNS_MAC_LEN];
	struct sk_buff *msg;
	struct key *key;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_CHALLENGE_LEN) +
			     nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	key = cpns_assign_seed(req, CPNS_ROLE_SERVER, seed, ska);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
		goto out;
	}
	key_put(key);

	/* II-2: the request MAC first, so that a forgery stores nothing. */
	err = cpns_assign_request_mac(ska, sid, n1, mac);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	if (crypto_memneq(mac, cpns_data(req, CPNS_A_REQUEST_MAC),
			  CPNS_MAC_LEN)) {
		err = cpns_fail_attr(req, CPNS_A_REQUEST_MAC, CPNS_FAIL_BAD_MAC,
				     -EBADMSG,
				     "the II-1 MAC does not verify (wrong seed, or altered request)");
		goto out;
	}

	get_random_bytes(ch, sizeof(ch));
	err = cpns_assign_challenge_mac(ska, sid, n1, ch, mac);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	err = cpns_challenge_add(&req->cn->pending, sid, n1, ch);
	if (err == -EEXIST) {
		err = cpns_fail_attr(req, CPNS_A_REQUEST_NONCE,
				     CPNS_FAIL_EXISTS, err,
				     "a challenge for this request nonce is already pending: send a new II-1");
		goto out;
	}
	if (err) {
		err = cpns_pending_full(req, err);
		goto out;
	}

	if (nla_put(msg, CPNS_A_CHALLENGE, CPNS_CHALLENGE_LEN, ch) ||
	    nla_put(msg, CPNS_A_CHALLENGE_MAC, CPNS_MAC_LEN, mac)) {
		err = cpns_reply_overflow(req, msg);
		msg = NULL;
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
	msg = NULL;
out:
	memzero_explicit(seed, sizeof(seed));
	memzero_explicit(ska, sizeof(ska));
	nlmsg_free(msg);
	return err;
}

int cpns_cmd_assign_derive(struct cpns_req *req)
{
	const u8 *sid = cpns_data(req, CPNS_A_SEED_ID);
	const u8 *ch = cpns_data(req, CPNS_A_CHALLENGE);
	u8 seed[CPNS_SEED_LEN], ska[CPNS_KEY_LEN], dk[CPNS_KEY_LEN];
	u8 mac[CPNS_MAC_LEN], did[CPNS_DEVICE_ID_LEN];
	key_serial_t serial;
	struct sk_buff *msg;
	struct key *key;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_DEVICE_ID_LEN) +
			     nla_total_size(sizeof(s32)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	key = cpns_assign_seed(req, CPNS_ROLE_GW1, seed, ska);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
		goto out;
	}
	key_put(key);

	err = cpns_assign_challenge_mac(ska, sid,
					cpns_data(req, CPNS_A_REQUEST_NONCE),
					ch, mac);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	if (crypto_memneq(mac, cpns_data(req, CPNS_A_CHALLENGE_MAC),
			  CPNS_MAC_LEN)) {
		err = cpns_fail_attr(req, CPNS_A_CHALLENGE_MAC,
				     CPNS_FAIL_BAD_MAC, -EBADMSG,
				     "the II-3 MAC does not verify (altered challenge or MAC, or another request nonce)");
		goto out;
	}

	/* II-4 */
	err = cpns_device_id(seed, sid, ch, did);
	if (!err)
		err = cpns_device_key(seed, did, dk);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	err = cpns_device_add(&req->cn->keys, CPNS_ROLE_GW1, did, dk, ch,
			      cpns_pending_timeout, &serial);
	if (err) {
		err = cpns_store_error(req, CPNS_KEY_DEVICE, err);
		goto out;
	}

	if (nla_put(msg, CPNS_A_DEVICE_ID, CPNS_DEVICE_ID_LEN, did) ||
	    nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial)) {
		err = cpns_reply_overflow(req, msg);
		msg = NULL;
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
	msg = NULL;
out:
	memzero_explicit(seed, sizeof(seed));
	memzero_explicit(ska, sizeof(ska));
	memzero_explicit(dk, sizeof(dk));
	nlmsg_free(msg);
	return err;
}

/*
 * II-6 and II-7. The challenge is consumed when the Device ID matches. A
 * wrong Device ID is rejected and leaves the challenge pending, but only
 * CPNS_CHALLENGE_TRIES times: the last wrong try consumes it, so guesses
 * are bounded (and the timeout bounds them in time too).
 */
int cpns_cmd_assign_confirm(struct cpns_req *req)
{
	struct nlattr *did_attr = req->info->attrs[CPNS_A_DEVICE_ID];
	struct cpns_pending *p = &req->cn->pending;
	const u8 *did = nla_data(did_attr);
	u8 seed[CPNS_SEED_LEN], dk[CPNS_KEY_LEN];
	u8 expect[CPNS_DEVICE_ID_LEN], code[CPNS_MAC_LEN];
	struct cpns_challenge *c;
	key_serial_t revoked;
	struct sk_buff *msg;
	const u8 *replaces;
	struct key *key;
	bool match;
	void *hdr;
	int err;

	replaces = cpns_req_replaces(req, did);
	if (IS_ERR(replaces))
		return PTR_ERR(replaces);
	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN) +
			     nla_total_size(CPNS_DEVICE_ID_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	/* The seed first: a Device ID of an unknown seed changes nothing. */
	key = cpns_req_seed(req, did, did_attr, CPNS_ROLE_SERVER);
	if (IS_ERR(key)) {
		err = PTR_ERR(key);
		goto out;
	}
	err = cpns_req_secret(req, key, seed);
	key_put(key);
	if (err)
		goto out;

	c = cpns_challenge_take(p, cpns_data(req, CPNS_A_REQUEST_NONCE));
	if (IS_ERR(c)) {
		err = cpns_fail_attr(req, CPNS_A_REQUEST_NONCE,
				     CPNS_FAIL_NO_PENDING, -ENOENT,
				     "no pending challenge for this request nonce (never made, already used or expired)");
		goto out;
	}
	match = !crypto_memneq(did, c->sid, CPNS_SEED_ID_LEN);
	if (match) {
		err = cpns_device_id(seed, c->sid, c->ch, expect);
		if (err) {
			cpns_challenge_restore(p, c);
			err = cpns_crypto_failed(req, err);
			goto out;
		}
		match = !crypto_memneq(expect, did, CPNS_DEVICE_ID_LEN);
	}
	if (!match) {
		if (++c->failures < CPNS_CHALLENGE_TRIES) {
			cpns_challenge_restore(p, c);
			err = cpns_fail_attr(req, CPNS_A_DEVICE_ID,
					     CPNS_FAIL_BAD_MAC, -EBADMSG,
					     "the Device ID does not match the challenge: rejected (II-6)");
		} else {
			cpns_challenge_consume(p, c);
			err = cpns_fail_attr(req, CPNS_A_DEVICE_ID,
					     CPNS_FAIL_BAD_MAC, -EBADMSG,
					     "the Device ID does not match the challenge: rejected (II-6), and that was the last try: the challenge is used up");
		}
		goto out;
	}

	err = cpns_device_key(seed, did, dk);
	if (!err)
		err = cpns_assign_confirm(dk, did, c->ch, code);
	if (err) {
		cpns_challenge_restore(p, c);
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	/*
	 * Re-assignment: the new device needs no record (its key comes from
	 * the seed); the old one is revoked now, or nothing happens and the
	 * challenge stays pending.
	 */
	if (replaces) {
		err = cpns_device_replace(&req->cn->keys, NULL, NULL, 0,
					  replaces, NULL, &revoked);
		if (err) {
			cpns_challenge_restore(p, c);
			err = cpns_revoke_error(req, CPNS_A_REPLACES, err);
			goto out;
		}
		cpns_pending_revoke(p, replaces, CPNS_DEVICE_ID_LEN);
	}
	cpns_challenge_consume(p, c);

	if (nla_put(msg, CPNS_A_CONFIRM, CPNS_MAC_LEN, code) ||
	    (replaces &&
	     nla_put(msg, CPNS_A_REPLACES, CPNS_DEVICE_ID_LEN, replaces))) {
		err = cpns_reply_overflow(req, msg);
		msg = NULL;
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
	msg = NULL;
out:
	memzero_explicit(seed, sizeof(seed));
	memzero_explicit(dk, sizeof(dk));
	nlmsg_free(msg);
	return err;
}

/* II-8: a wrong code destroys the pending Device Key. */
int cpns_cmd_assign_verify(struct cpns_req *req)
{
	struct nlattr *did_attr = req->info->attrs[CPNS_A_DEVICE_ID];
	const u8 *did = nla_data(did_attr);
	u8 ch[CPNS_CHALLENGE_LEN], dk[CPNS_KEY_LEN], code[CPNS_MAC_LEN];
	struct cpns_key_info ki;
	key_serial_t serial;
	struct sk_buff *msg;
	struct key *key;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(sizeof(s32)) +
			     nla_total_size(sizeof(u8)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	key = cpns_req_device(req, did, did_attr, &ki);
	if (IS_ERR(key)) {
		nlmsg_free(msg);
		return PTR_ERR(key);
	}
	if (ki.role != CPNS_ROLE_GW1 || ki.state != CPNS_STATE_PENDING ||
	    cpns_device_challenge(key, ch)) {
		err = cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
				     -EINVAL,
				     "this Device Key is not awaiting II-8 (not a pending GW1 key)");
		goto out;
	}
	err = cpns_req_secret(req, key, dk);
	if (err)
		goto out;
	err = cpns_assign_confirm(dk, did, ch, code);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	if (crypto_memneq(code, cpns_data(req, CPNS_A_CONFIRM), CPNS_MAC_LEN)) {
		cpns_key_destroy(&req->cn->keys, key);
		err = cpns_fail_attr(req, CPNS_A_CONFIRM, CPNS_FAIL_BAD_MAC,
				     -EBADMSG,
				     "the confirmation code does not match: the pending Device Key was destroyed (II-8)");
		goto out;
	}
	err = cpns_device_confirm(&req->cn->keys, key, &serial);
	if (err == -EINVAL) {
		err = cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
				     err,
				     "this Device Key is no longer pending");
		goto out;
	}
	if (err) {
		err = cpns_fail(req, cpns_stats_reason(err), err,
				"could not store the confirmed Device Key");
		goto out;
	}

	if (nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial) ||
	    nla_put_u8(msg, CPNS_A_STATE, CPNS_STATE_CONFIRMED)) {
		err = cpns_reply_overflow(req, msg);
		msg = NULL;
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
	msg = NULL;
out:
	key_put(key);
	memzero_explicit(dk, sizeof(dk));
	nlmsg_free(msg);
	return err;
}
