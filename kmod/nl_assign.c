// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of flow II, Device ID/Key assignment: the ASSIGN_* commands.
 * The steps are in assign.c.
 */

#include <linux/err.h>
#include <linux/key.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/cpns.h>
#include "assign.h"
#include "nl.h"

int cpns_cmd_assign_request(struct cpns_req *req)
{
	const u8 *sid = cpns_data(req, CPNS_A_SEED_ID);
	u8 n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	enum cpns_reason why;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_SEED_ID_LEN) +
			     nla_total_size(CPNS_NONCE_LEN) +
			     nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);
	err = cpns_ii_request(req->cn, sid, n1, mac, &why);
	if (err) {
		nlmsg_free(msg);
		return cpns_req_why(req, err, why, CPNS_A_SEED_ID);
	}
	if (nla_put(msg, CPNS_A_SEED_ID, CPNS_SEED_ID_LEN, sid) ||
	    nla_put(msg, CPNS_A_REQUEST_NONCE, CPNS_NONCE_LEN, n1) ||
	    nla_put(msg, CPNS_A_REQUEST_MAC, CPNS_MAC_LEN, mac))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

int cpns_cmd_assign_challenge(struct cpns_req *req)
{
	u8 ch[CPNS_CHALLENGE_LEN], mac[CPNS_MAC_LEN];
	enum cpns_reason why;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_CHALLENGE_LEN) +
			     nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);
	err = cpns_ii_challenge(req->cn, cpns_data(req, CPNS_A_SEED_ID),
				cpns_data(req, CPNS_A_REQUEST_NONCE),
				cpns_data(req, CPNS_A_REQUEST_MAC), ch, mac,
				&why);
	if (err) {
		nlmsg_free(msg);
		return cpns_req_why(req, err, why, CPNS_A_SEED_ID);
	}
	if (nla_put(msg, CPNS_A_CHALLENGE, CPNS_CHALLENGE_LEN, ch) ||
	    nla_put(msg, CPNS_A_CHALLENGE_MAC, CPNS_MAC_LEN, mac))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

int cpns_cmd_assign_derive(struct cpns_req *req)
{
	u8 did[CPNS_DEVICE_ID_LEN];
	enum cpns_reason why;
	key_serial_t serial;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_DEVICE_ID_LEN) +
			     nla_total_size(sizeof(s32)), &hdr);
	if (!msg)
		return cpns_nomem(req);
	err = cpns_ii_derive(req->cn, cpns_data(req, CPNS_A_SEED_ID),
			     cpns_data(req, CPNS_A_REQUEST_NONCE),
			     cpns_data(req, CPNS_A_CHALLENGE),
			     cpns_data(req, CPNS_A_CHALLENGE_MAC), did, &serial,
			     &why);
	if (err) {
		nlmsg_free(msg);
		return cpns_req_why(req, err, why, CPNS_A_SEED_ID);
	}
	if (nla_put(msg, CPNS_A_DEVICE_ID, CPNS_DEVICE_ID_LEN, did) ||
	    nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

/* II-7's reply: the code and, re-assigning, the old device's record. */
static int cpns_assign_confirm_put(struct sk_buff *msg, const u8 *code,
				   const u8 *replaces,
				   const struct cpns_ii_old *old)
{
	return nla_put(msg, CPNS_A_CONFIRM, CPNS_MAC_LEN, code) ||
	       (replaces &&
		(nla_put(msg, CPNS_A_REPLACES, CPNS_DEVICE_ID_LEN, replaces) ||
		 nla_put(msg, CPNS_A_BLOB, old->bloblen, old->blob) ||
		 nla_put_u8(msg, CPNS_A_STATE, CPNS_STATE_REVOKED)));
}

int cpns_cmd_assign_confirm(struct cpns_req *req)
{
	const u8 *did = cpns_data(req, CPNS_A_DEVICE_ID);
	struct cpns_record_ctx ctx = { };
	struct cpns_ii_old old = { .ctx = &ctx };
	u8 code[CPNS_MAC_LEN], blob[CPNS_MAX_BLOB];
	struct sk_buff *msg = NULL;
	enum cpns_reason why;
	const u8 *replaces;
	u8 *kek = NULL;
	void *hdr;
	int err;

	replaces = cpns_req_replaces(req, did);
	if (IS_ERR(replaces))
		return PTR_ERR(replaces);
	old.blob = blob;
	err = replaces ? cpns_req_record_ctx(req, &ctx, &kek) : 0;
	if (!err && replaces && !kek)
		err = cpns_fail_attr(req, CPNS_A_REPLACES, CPNS_FAIL_INVALID,
				     -EINVAL,
				     "a re-assignment needs the server's KEK (CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC): the replaced device's revocation record is handed out, not kept");
	if (err)
		goto out;
	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN) +
			     nla_total_size(CPNS_DEVICE_ID_LEN) +
			     nla_total_size(CPNS_MAX_BLOB) +
			     nla_total_size(sizeof(u8)), &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
	err = cpns_ii_confirm(req->cn, did,
			      cpns_data(req, CPNS_A_REQUEST_NONCE), replaces,
			      &old, code, &why);
	if (err) {
		nlmsg_free(msg);
		err = cpns_req_why(req, err, why, CPNS_A_DEVICE_ID);
	} else if (cpns_assign_confirm_put(msg, code, replaces, &old)) {
		err = cpns_reply_overflow(req, msg);
	} else {
		err = cpns_reply_send(req, msg, hdr);
	}
out:
	kfree_sensitive(kek);
	return err;
}

int cpns_cmd_assign_verify(struct cpns_req *req)
{
	bool self = nla_get_flag(req->info->attrs[CPNS_A_SELF_ASSIGNED]);
	enum cpns_reason why;
	key_serial_t serial;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(sizeof(s32)) +
			     nla_total_size(sizeof(u8)) + nla_total_size(0),
			     &hdr);
	if (!msg)
		return cpns_nomem(req);
	err = cpns_ii_verify(req->cn, cpns_data(req, CPNS_A_DEVICE_ID),
			     cpns_data(req, CPNS_A_CONFIRM), self, &serial,
			     &why);
	if (err) {
		nlmsg_free(msg);
		return cpns_req_why(req, err, why, CPNS_A_DEVICE_ID);
	}
	if (nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial) ||
	    nla_put_u8(msg, CPNS_A_STATE, self ? CPNS_STATE_ACTIVE :
					 CPNS_STATE_CONFIRMED) ||
	    (self && nla_put_flag(msg, CPNS_A_SELF_ASSIGNED)))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}
