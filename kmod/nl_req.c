// SPDX-License-Identifier: GPL-2.0
/*
 * What every handler of the family shares: failing a request with an
 * extack message and a stats reason, replies, and the lookups a request
 * names by attribute.
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
#include "nl.h"
#include "stats.h"
#include "wrap.h"

const u8 *cpns_data(struct cpns_req *req, int type)
{
	return nla_data(req->info->attrs[type]);
}

u32 cpns_timeout(struct cpns_req *req)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_TIMEOUT];

	return attr ? nla_get_u32(attr) : 0;
}

/*
 * A reply of @size bytes of attributes. The caller owns the message it
 * returns: it gives it to cpns_reply_send() or frees it (nlmsg_free(),
 * cpns_reply_overflow()). An item of a batch gets a reference to the
 * batch's reply instead, with its item nest open.
 */
struct sk_buff *cpns_reply_new(struct cpns_req *req, size_t size,
			       void **hdr)
{
	struct sk_buff *msg;

	if (req->batch)
		return cpns_batch_reply_new(req->batch, size, hdr);
	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, req->info, &cpns_genl_family, 0,
				 req->info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int cpns_reply_send(struct cpns_req *req, struct sk_buff *msg,
		    void *hdr)
{
	int err;

	if (req->batch) {
		cpns_batch_reply_send(req->batch, msg, hdr);
		return 0;
	}
	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, req->info);
	if (err)
		return cpns_fail(req, CPNS_FAIL_INTERNAL, err,
				 "could not queue the reply on the socket");
	return 0;
}

/* The reply was sized for what it holds: not fitting is a bug. */
int cpns_reply_overflow(struct cpns_req *req, struct sk_buff *msg)
{
	nlmsg_free(msg);
	WARN_ON_ONCE(1);
	return cpns_fail(req, CPNS_FAIL_INTERNAL, -EMSGSIZE,
			 "reply does not fit (bug)");
}

/*
 * The seed of Seed ID @sid, which must have @role unless CPNS_ROLE_ANY.
 * @type is the attribute @sid comes from (a Seed ID, or a Device ID that
 * begins with it).
 */
struct key *cpns_req_seed(struct cpns_req *req, const u8 *sid, int type,
			  int role)
{
	enum cpns_reason why;
	struct key *key;

	key = cpns_step_seed(&req->cn->keys, sid, role, &why);
	if (IS_ERR(key))
		cpns_req_why(req, PTR_ERR(key), why, type);
	return key;
}

/* The Device Key of @did; @type as for cpns_req_seed(). */
struct key *cpns_req_device(struct cpns_req *req, const u8 *did, int type,
			    struct cpns_key_info *ki)
{
	enum cpns_reason why;
	struct key *key;

	key = cpns_step_device(&req->cn->keys, did, ki, &why);
	if (IS_ERR(key))
		cpns_req_why(req, PTR_ERR(key), why, type);
	return key;
}

/* Copy the secret of @key; it may have been revoked since the lookup. */
int cpns_req_secret(struct cpns_req *req, const struct key *key, u8 *secret)
{
	enum cpns_reason why;
	int err;

	err = cpns_step_secret(key, secret, &why);
	if (err)
		return cpns_req_why(req, err, why, 0);
	return 0;
}

struct cpns_obj *cpns_req_take(struct cpns_req *req,
			       enum cpns_obj_type type)
{
	struct cpns_obj *obj;

	obj = cpns_obj_take(&req->cn->pending,
			    nla_get_u32(req->info->attrs[CPNS_A_HANDLE]),
			    req->info->snd_portid, type);
	if (IS_ERR(obj))
		cpns_handle_error(req, PTR_ERR(obj));
	return obj;
}

/* Report why cpns_key_lookup() of the ID in @attr failed with @err. */
void cpns_lookup_error(struct cpns_req *req, struct nlattr *attr,
		       int err)
{
	struct netlink_ext_ack *extack = req->info->extack;

	switch (err) {
	case -ENOKEY:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "unknown ID: no key with this ID in this network namespace");
		break;
	case -EKEYREVOKED:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the key with this ID was revoked with keyctl");
		break;
	case -EKEYEXPIRED:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the key with this ID has expired");
		break;
	default:
		NL_SET_ERR_MSG_ATTR(extack, attr, "key lookup failed");
		break;
	}
	req->fail = cpns_stats_reason(err);
}

/*
 * Copy the payload of the kernel key named by CPNS_A_KEYREF_TYPE and
 * CPNS_A_KEYREF_DESC (a KEK or a pairing key) into *@buf (kmalloc()ed;
 * the caller kfree_sensitive()s it). @kek: it is to seal a secret that
 * leaves the kernel (KEY_WRAP; cpns_keyref_read()).
 */
int cpns_req_keyref(struct cpns_req *req, bool kek, u8 **buf,
		    unsigned int *len)
{
	const char *tname = nla_data(req->info->attrs[CPNS_A_KEYREF_TYPE]);
	const char *desc = nla_data(req->info->attrs[CPNS_A_KEYREF_DESC]);
	struct key_type *type;
	int err;

	*buf = NULL;
	type = cpns_keyref_type(tname);
	if (!type)
		return cpns_fail_attr(req, CPNS_A_KEYREF_TYPE, CPNS_FAIL_INVALID,
				      -EINVAL,
				      "unsupported key type: the KEK or pairing key must be a user, logon, encrypted or trusted key (as built into this kernel)");
	if (!*desc)
		return cpns_fail_attr(req, CPNS_A_KEYREF_DESC, CPNS_FAIL_INVALID,
				      -EINVAL, "empty key description");

	err = cpns_keyref_read(type, desc, kek, buf, len);
	switch (err) {
	case 0:
		return 0;
	case -EKEYREJECTED:
		return cpns_fail_attr(req, CPNS_A_KEYREF_TYPE, CPNS_FAIL_INVALID,
				      err,
				      "a user key's payload can be read from userspace: a KEK must be a logon, encrypted or trusted key");
	case -EPERM:
		return cpns_fail_attr(req, CPNS_A_KEYREF_TYPE, CPNS_FAIL_INVALID,
				      err,
				      "kernel lockdown (confidentiality): a KEK must be a trusted key, or encrypted under a trusted master key");
	case -ENOKEY:
		return cpns_fail_attr(req, CPNS_A_KEYREF_DESC, CPNS_FAIL_NO_KEY,
				      err,
				      "no key of this type and description found in the caller's keyrings");
	case -EKEYREVOKED:
		return cpns_fail_attr(req, CPNS_A_KEYREF_DESC,
				      CPNS_FAIL_KEY_INVALID, err,
				      "the named key (KEK or pairing key) was revoked");
	case -EKEYEXPIRED:
		return cpns_fail_attr(req, CPNS_A_KEYREF_DESC,
				      CPNS_FAIL_KEY_INVALID, err,
				      "the named key (KEK or pairing key) has expired");
	case -EACCES:
		return cpns_fail_attr(req, CPNS_A_KEYREF_DESC, CPNS_FAIL_INVALID,
				      err,
				      "the caller may not search for the named key (no Search permission)");
	case -EINVAL:
		return cpns_fail_attr(req, CPNS_A_KEYREF_DESC, CPNS_FAIL_INVALID,
				      err,
				      "the named key's payload is shorter than 32 bytes: too weak for a KEK or pairing key");
	case -ENOMEM:
		return cpns_nomem(req);
	default:
		return cpns_fail_attr(req, CPNS_A_KEYREF_DESC,
				      cpns_stats_reason(err), err,
				      "could not read the named key");
	}
}

const u8 *cpns_label(struct cpns_req *req, unsigned int *len)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_LABEL];

	*len = attr ? nla_len(attr) : 0;
	return attr ? nla_data(attr) : NULL;
}

/*
 * CPNS_A_REPLACES of a re-assignment, checked against the new Device ID
 * @did: NULL if absent; ERR_PTR(-EINVAL) if it names @did itself.
 */
const u8 *cpns_req_replaces(struct cpns_req *req, const u8 *did)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_REPLACES];

	if (!attr)
		return NULL;
	if (!memcmp(nla_data(attr), did, CPNS_DEVICE_ID_LEN)) {
		cpns_fail_attr(req, CPNS_A_REPLACES, CPNS_FAIL_INVALID, -EINVAL,
			       "CPNS_A_REPLACES names the new Device ID itself: a device cannot replace itself");
		return ERR_PTR(-EINVAL);
	}
	return nla_data(attr);
}

/* The ID attribute that CPNS_A_KEY_KIND calls for, checked present. */
const u8 *cpns_req_kind_id(struct cpns_req *req,
			   enum cpns_key_kind *kind)
{
	int type;

	*kind = nla_get_u8(req->info->attrs[CPNS_A_KEY_KIND]);
	type = *kind == CPNS_KEY_SEED ? CPNS_A_SEED_ID : CPNS_A_DEVICE_ID;
	if (!req->info->attrs[type]) {
		cpns_missing_msg(req->info, type);
		req->fail = CPNS_FAIL_INVALID;
		return NULL;
	}
	return nla_data(req->info->attrs[type]);
}
