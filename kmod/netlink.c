// SPDX-License-Identifier: GPL-2.0
/*
 * The Generic Netlink family "cpns": policies, request parsing, replies and
 * the order of each step. The values come from profile.c, the keys from
 * keys.c, the transfer from xfer.c, pending state from pending.c and
 * sessions from session.c. Documentation/netlink.rst is the reference.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/cpns.h>
#include "keys.h"
#include "netlink.h"
#include "netns.h"
#include "pending.h"
#include "primitives.h"
#include "profile.h"
#include "rekey.h"
#include "session.h"
#include "stats.h"
#include "wrap.h"
#include "xfer.h"

static struct genl_family cpns_genl_family;

/* Any role will do (KEY_DEL). */
#define CPNS_ROLE_ANY	0

/* Wrong Device IDs an II-2 challenge allows; the last one consumes it. */
#define CPNS_CHALLENGE_TRIES	3

/* The most required attributes a command has (XFER_PAIR). */
#define CPNS_MAX_REQUIRED	5

/* A request being served. */
struct cpns_req {
	struct genl_info *info;
	struct cpns_net *cn;
	enum cpns_fail fail;	/* why it failed, for the stats; 0: by errno */
};

/* Fail @req: extack message, failure reason, and the errno to return. */
#define cpns_fail(req, reason, err, msg) ({				\
	struct cpns_req *__req = (req);					\
									\
	GENL_SET_ERR_MSG(__req->info, msg);				\
	__req->fail = (reason);						\
	(err);								\
})

/* The same, pointing the extack at the attribute @type of the request. */
#define cpns_fail_attr(req, type, reason, err, msg) ({			\
	struct cpns_req *__req = (req);					\
									\
	NL_SET_ERR_MSG_ATTR(__req->info->extack,			\
			    __req->info->attrs[type], msg);		\
	__req->fail = (reason);						\
	(err);								\
})

/* Policies. Each command accepts exactly the attributes it uses. */

static const struct nla_policy cpns_none_policy[CPNS_A_MAX + 1] = {
};

static const struct nla_policy cpns_key_del_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_seed_new_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
};

static const struct nla_policy cpns_seed_export_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_seed_import_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_WRAPPED] = NLA_POLICY_EXACT_LEN(CPNS_WRAPPED_LEN),
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
};

static const struct nla_policy cpns_assign_request_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
};

static const struct nla_policy cpns_assign_challenge_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_REQUEST_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_assign_derive_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_CHALLENGE] = NLA_POLICY_EXACT_LEN(CPNS_CHALLENGE_LEN),
	[CPNS_A_CHALLENGE_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_assign_confirm_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_REPLACES] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_assign_verify_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_CONFIRM] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_device_export_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_device_import_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_WRAPPED] = NLA_POLICY_EXACT_LEN(CPNS_WRAPPED_LEN),
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
	[CPNS_A_REPLACES] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_auth_begin_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_auth_challenge_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_CLIENT_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_GENERATION] = { .type = NLA_U32 },
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_auth_client_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SERVER_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_auth_server_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_CLIENT_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_auth_finish_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SERVER_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_seal_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_DATA] = { .type = NLA_BINARY, .len = CPNS_MAX_PLAINTEXT },
	[CPNS_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD },
};

/* U64_MAX is never sent: recv_next = seq + 1 must not wrap. */
static struct netlink_range_validation cpns_open_seq_range = {
	.min = 0,
	.max = U64_MAX - 1,
};

static const struct nla_policy cpns_open_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64, &cpns_open_seq_range),
	[CPNS_A_DATA] = NLA_POLICY_RANGE(NLA_BINARY, CPNS_TAG_LEN,
					 CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN),
	[CPNS_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD },
};

static const struct nla_policy cpns_session_del_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* A named kernel key: type and description, NUL-terminated. */
#define CPNS_POLICY_KEYREF \
	{ .type = NLA_NUL_STRING, .len = CPNS_MAX_KEYREF - 1 }

static const struct nla_policy cpns_key_wrap_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KEYREF_TYPE] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEYREF_DESC] = CPNS_POLICY_KEYREF,
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL },
};

static const struct nla_policy cpns_key_unwrap_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_BLOB] = NLA_POLICY_RANGE(NLA_BINARY, 1, CPNS_MAX_BLOB),
	[CPNS_A_KEYREF_TYPE] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEYREF_DESC] = CPNS_POLICY_KEYREF,
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL },
};

static const struct nla_policy cpns_key_revoke_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_key_retire_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
};

static const struct nla_policy cpns_xfer_code_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KEY_SEED,
					     CPNS_KEY_DEVICE),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_xfer_pair_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_KEYREF_TYPE] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEYREF_DESC] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KEY_SEED,
					     CPNS_KEY_DEVICE),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_PEER_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_PAIR_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

/* Helpers. */

static void cpns_missing_msg(struct genl_info *info, int type)
{
	switch (type) {
	case CPNS_A_SEED_ID:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SEED_ID (Seed ID, 8 bytes)");
		break;
	case CPNS_A_DEVICE_ID:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_DEVICE_ID (Device ID, 16 bytes)");
		break;
	case CPNS_A_REQUEST_NONCE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_REQUEST_NONCE (n1, 16 bytes)");
		break;
	case CPNS_A_CHALLENGE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CHALLENGE (ch, 16 bytes)");
		break;
	case CPNS_A_CLIENT_NONCE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CLIENT_NONCE (nc, 16 bytes)");
		break;
	case CPNS_A_SERVER_NONCE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SERVER_NONCE (ns, 16 bytes)");
		break;
	case CPNS_A_REQUEST_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_REQUEST_MAC (II-1 MAC, 32 bytes)");
		break;
	case CPNS_A_CHALLENGE_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CHALLENGE_MAC (II-3 MAC, 32 bytes)");
		break;
	case CPNS_A_CONFIRM:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CONFIRM (II-7 code, 32 bytes)");
		break;
	case CPNS_A_CLIENT_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CLIENT_MAC (a-1 code, 32 bytes)");
		break;
	case CPNS_A_SERVER_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SERVER_MAC (a-3 code, 32 bytes)");
		break;
	case CPNS_A_HANDLE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_HANDLE (u32 handle)");
		break;
	case CPNS_A_PUBKEY:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_PUBKEY (X25519 public key, 32 bytes)");
		break;
	case CPNS_A_WRAPPED:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_WRAPPED (wrapped key, 48 bytes)");
		break;
	case CPNS_A_SEQ:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SEQ (u64 sequence number)");
		break;
	case CPNS_A_DATA:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_DATA");
		break;
	case CPNS_A_KEYREF_TYPE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KEYREF_TYPE (user, logon, ...)");
		break;
	case CPNS_A_KEYREF_DESC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KEYREF_DESC (key description)");
		break;
	case CPNS_A_BLOB:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_BLOB (wrapped key from KEY_WRAP)");
		break;
	case CPNS_A_KEY_KIND:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KEY_KIND (1 seed, 2 device)");
		break;
	case CPNS_A_PEER_PUBKEY:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_PEER_PUBKEY (receiver's key, 32 bytes)");
		break;
	default:
		GENL_SET_ERR_MSG(info, "missing a required attribute");
		break;
	}
}

static const u8 *cpns_data(struct cpns_req *req, int type)
{
	return nla_data(req->info->attrs[type]);
}

static u32 cpns_timeout(struct cpns_req *req)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_TIMEOUT];

	return attr ? nla_get_u32(attr) : 0;
}

static int cpns_nomem(struct cpns_req *req)
{
	return cpns_fail(req, CPNS_FAIL_INTERNAL, -ENOMEM,
			 "out of memory");
}

static int cpns_crypto_failed(struct cpns_req *req, int err)
{
	return cpns_fail(req, CPNS_FAIL_INTERNAL, err,
			 "kernel crypto API failure: see dmesg");
}

static struct sk_buff *cpns_reply_new(struct cpns_req *req, size_t size,
				      void **hdr)
{
	struct sk_buff *msg;

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

static int cpns_reply_send(struct cpns_req *req, struct sk_buff *msg,
			   void *hdr)
{
	int err;

	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, req->info);
	if (err)
		return cpns_fail(req, CPNS_FAIL_INTERNAL, err,
				 "could not queue the reply on the socket");
	return 0;
}

/* The reply was sized for what it holds: not fitting is a bug. */
static int cpns_reply_overflow(struct cpns_req *req, struct sk_buff *msg)
{
	nlmsg_free(msg);
	WARN_ON_ONCE(1);
	return cpns_fail(req, CPNS_FAIL_INTERNAL, -EMSGSIZE,
			 "reply does not fit (bug)");
}

/*
 * The seed of Seed ID @sid, which must have @role unless CPNS_ROLE_ANY.
 * @attr is the attribute @sid comes from (a Seed ID, or a Device ID that
 * begins with it), or NULL.
 */
static struct key *cpns_req_seed(struct cpns_req *req, const u8 *sid,
				 const struct nlattr *attr, int role)
{
	struct netlink_ext_ack *extack = req->info->extack;
	struct cpns_key_info ki;
	struct key *key;

	key = cpns_seed_find(&req->cn->keys, sid);
	if (IS_ERR(key)) {
		switch (PTR_ERR(key)) {
		case -ENOKEY:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "unknown Seed ID: no seed with this ID in this network namespace");
			break;
		case -EKEYREVOKED:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "the seed with this Seed ID was revoked");
			break;
		case -EKEYEXPIRED:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "the seed with this Seed ID has expired");
			break;
		default:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "seed lookup failed");
			break;
		}
		req->fail = cpns_stats_reason(PTR_ERR(key));
		return key;
	}

	cpns_key_info(key, &ki);
	if (role == CPNS_ROLE_ANY || ki.role == role)
		return key;
	key_put(key);
	if (role == CPNS_ROLE_SERVER)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "this seed was received from a server (role gw1): this step is the server's");
	else
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "this seed was made here (role server): this step is GW1's");
	req->fail = CPNS_FAIL_STATE;
	return ERR_PTR(-EINVAL);
}

/* The Device Key of @did; @attr as for cpns_req_seed(). */
static struct key *cpns_req_device(struct cpns_req *req, const u8 *did,
				   const struct nlattr *attr,
				   struct cpns_key_info *ki)
{
	struct netlink_ext_ack *extack = req->info->extack;
	struct key *key;

	key = cpns_device_find(&req->cn->keys, did);
	if (IS_ERR(key)) {
		switch (PTR_ERR(key)) {
		case -ENOKEY:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "unknown Device ID: no Device Key with this ID in this network namespace");
			break;
		case -EKEYREVOKED:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "the Device Key with this Device ID was revoked");
			break;
		case -EKEYEXPIRED:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "the Device Key with this Device ID has expired");
			break;
		default:
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "Device Key lookup failed");
			break;
		}
		req->fail = cpns_stats_reason(PTR_ERR(key));
		return key;
	}
	cpns_key_info(key, ki);
	return key;
}

/* Copy the secret of @key; it may have been revoked since the lookup. */
static int cpns_req_secret(struct cpns_req *req, const struct key *key,
			   u8 *secret)
{
	int err;

	BUILD_BUG_ON(CPNS_SEED_LEN != CPNS_KEY_LEN);
	err = cpns_key_secret(key, secret);
	switch (err) {
	case 0:
		return 0;
	case -EKEYREVOKED:
		return cpns_fail(req, CPNS_FAIL_KEY_INVALID, err,
				 "the key was revoked");
	case -EKEYEXPIRED:
		return cpns_fail(req, CPNS_FAIL_KEY_INVALID, err,
				 "the key has expired");
	default:
		return cpns_fail(req, CPNS_FAIL_INTERNAL, err,
				 "could not read the key");
	}
}

/* Report an error of cpns_obj_take() or cpns_session_get(). */
static int cpns_handle_error(struct cpns_req *req, int err)
{
	if (err == -EINVAL)
		return cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_STATE,
				      -EINVAL,
				      "handle names another kind of pending object (a key pair, or an a-flow of the other side)");
	return cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_NO_PENDING, -ENOENT,
			      "unknown handle: not made by this socket, in use, used up or expired");
}

static struct cpns_obj *cpns_req_take(struct cpns_req *req,
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

static int cpns_pending_full(struct cpns_req *req, int err)
{
	if (err == -EBUSY)
		return cpns_fail(req, CPNS_FAIL_LIMIT, err,
				 "too many pending objects in this network namespace (module parameter pending_max): finish or close some");
	return cpns_nomem(req);
}

/* Informational and key management commands. */

static int cpns_cmd_get_info(struct cpns_req *req)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cpns_reply_new(req, 5 * nla_total_size(sizeof(u32)), &hdr);
	if (!msg)
		return cpns_nomem(req);
	if (nla_put_u32(msg, CPNS_A_VERSION, CPNS_GENL_VERSION) ||
	    nla_put_s32(msg, CPNS_A_KEYRING,
			key_serial(req->cn->keys.keyring)) ||
	    nla_put_u32(msg, CPNS_A_PENDING_MAX, cpns_pending_max) ||
	    nla_put_u32(msg, CPNS_A_PENDING_TIMEOUT, cpns_pending_timeout) ||
	    nla_put_u32(msg, CPNS_A_SESSION_MAX, cpns_session_max))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

static int cpns_cmd_get_stats(struct cpns_req *req)
{
	struct cpns_pending *p = &req->cn->pending;
	struct sk_buff *msg;
	void *hdr;

	msg = cpns_reply_new(req, cpns_stats_size() +
			     2 * nla_total_size(sizeof(u32)), &hdr);
	if (!msg)
		return cpns_nomem(req);
	if (cpns_stats_fill(&req->cn->stats, msg) ||
	    nla_put_u32(msg, CPNS_A_PENDING_COUNT, cpns_pending_count(p)) ||
	    nla_put_u32(msg, CPNS_A_SESSION_COUNT, cpns_session_count(p)))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

struct cpns_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	void *first;		/* header of the first message of this batch */
};

/* Runs in atomic context (cpns_keys_walk()). */
static int cpns_key_fill(const struct cpns_key_info *ki, void *arg)
{
	struct cpns_dump *d = arg;
	struct sk_buff *skb = d->skb;
	void *hdr;
	int idlen;

	hdr = genlmsg_put(skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &cpns_genl_family,
			  NLM_F_MULTI, CPNS_CMD_KEY_GET);
	if (!hdr)
		return -EMSGSIZE;

	idlen = ki->kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
					    CPNS_DEVICE_ID_LEN;
	if (nla_put_s32(skb, CPNS_A_KEY_SERIAL, ki->serial) ||
	    nla_put_u8(skb, CPNS_A_KEY_KIND, ki->kind) ||
	    nla_put(skb, ki->kind == CPNS_KEY_SEED ? CPNS_A_SEED_ID :
						      CPNS_A_DEVICE_ID,
		    idlen, ki->id) ||
	    nla_put_u8(skb, CPNS_A_ROLE, ki->role) ||
	    nla_put_u8(skb, CPNS_A_STATE, ki->state) ||
	    nla_put_u32(skb, CPNS_A_GENERATION, ki->generation) ||
	    (ki->expiry &&
	     nla_put_u64_64bit(skb, CPNS_A_EXPIRY, ki->expiry, CPNS_A_PAD))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	if (!d->first)
		d->first = hdr;
	return 0;
}

/*
 * cb->args[0]: cpns_keys_walk() cursor; cb->args[1]: set once the walk is
 * complete. Each batch is checked against the key list generation, so a
 * change between batches sets NLM_F_DUMP_INTR.
 */
static int cpns_nl_key_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct cpns_net *cn = cpns_net(sock_net(cb->skb->sk));
	struct cpns_dump d = { .skb = skb, .cb = cb };
	unsigned long pos = cb->args[0];
	unsigned int gen;
	int err;

	if (cb->args[1])
		return 0;

	err = cpns_keys_walk(&cn->keys, &pos, &gen, cpns_key_fill, &d);
	cb->args[0] = pos;
	if (d.first) {
		cb->seq = gen;
		genl_dump_check_consistent(cb, d.first);
	}
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	if (err) {
		NL_SET_ERR_MSG(cb->extack, "key dump failed");
		cpns_stats_count(&cn->stats, CPNS_CMD_KEY_GET,
				 cpns_stats_reason(err));
		return err;
	}
	cb->args[1] = 1;
	cpns_stats_count(&cn->stats, CPNS_CMD_KEY_GET, 0);
	return skb->len;
}

/* Report why cpns_key_lookup() of the ID in @attr failed with @err. */
static void cpns_lookup_error(struct cpns_req *req, struct nlattr *attr,
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
 * The key named by CPNS_A_SEED_ID or CPNS_A_DEVICE_ID (exactly one),
 * whatever its state (a revocation record too), and its metadata.
 */
static struct key *cpns_req_key(struct cpns_req *req,
				struct cpns_key_info *ki)
{
	struct nlattr *sid = req->info->attrs[CPNS_A_SEED_ID];
	struct nlattr *did = req->info->attrs[CPNS_A_DEVICE_ID];
	struct nlattr *attr = sid ?: did;
	struct key *key;

	if (!sid == !did) {
		cpns_fail(req, CPNS_FAIL_INVALID, -EINVAL,
			  "give exactly one of CPNS_A_SEED_ID and CPNS_A_DEVICE_ID");
		return ERR_PTR(-EINVAL);
	}
	key = cpns_key_lookup(&req->cn->keys,
			      sid ? CPNS_KEY_SEED : CPNS_KEY_DEVICE,
			      nla_data(attr), ki);
	if (IS_ERR(key))
		cpns_lookup_error(req, attr, PTR_ERR(key));
	return key;
}

static int cpns_cmd_key_del(struct cpns_req *req)
{
	struct cpns_key_info ki;
	struct key *key;

	key = cpns_req_key(req, &ki);
	if (IS_ERR(key))
		return PTR_ERR(key);
	cpns_key_destroy(&req->cn->keys, key);
	key_put(key);
	return 0;
}

/* Key lifecycle: storage under a KEK (Documentation/store.rst). */

/*
 * Copy the payload of the kernel key named by CPNS_A_KEYREF_TYPE and
 * CPNS_A_KEYREF_DESC (a KEK or a pairing key) into *@buf (kmalloc()ed;
 * the caller kfree_sensitive()s it).
 */
static int cpns_req_keyref(struct cpns_req *req, u8 **buf, unsigned int *len)
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

	err = cpns_keyref_read(type, desc, buf, len);
	switch (err) {
	case 0:
		return 0;
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

static const u8 *cpns_label(struct cpns_req *req, unsigned int *len)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_LABEL];

	*len = attr ? nla_len(attr) : 0;
	return attr ? nla_data(attr) : NULL;
}

static int cpns_cmd_key_wrap(struct cpns_req *req)
{
	u8 salt[CPNS_BLOB_SALT_LEN], blob[CPNS_MAX_BLOB];
	unsigned int keklen, labellen, bloblen;
	u8 secret[CPNS_KEY_LEN];
	struct cpns_key_info ki;
	struct sk_buff *msg;
	struct key *key;
	const u8 *label;
	u8 *kek = NULL;
	void *hdr;
	int err;

	key = cpns_req_key(req, &ki);
	if (IS_ERR(key))
		return PTR_ERR(key);

	memset(secret, 0, sizeof(secret));
	if (ki.state == CPNS_STATE_PENDING) {
		err = cpns_fail(req, CPNS_FAIL_STATE, -EINVAL,
				"a pending Device Key (awaiting II-8) is not stored: finish ASSIGN_VERIFY first");
		goto out;
	}
	/* A revocation record is stored, with no secret: it persists. */
	if (ki.state != CPNS_STATE_REVOKED) {
		err = cpns_req_secret(req, key, secret);
		if (err)
			goto out;
	}
	err = cpns_req_keyref(req, &kek, &keklen);
	if (err)
		goto out;

	msg = cpns_reply_new(req, nla_total_size(CPNS_MAX_BLOB), &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
	get_random_bytes(salt, sizeof(salt));
	label = cpns_label(req, &labellen);
	err = cpns_blob_wrap(kek, keklen, &ki, secret, ktime_get_real_seconds(),
			     salt, label, labellen, blob, &bloblen);
	if (err) {
		nlmsg_free(msg);
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	if (nla_put(msg, CPNS_A_BLOB, bloblen, blob))
		err = cpns_reply_overflow(req, msg);
	else
		err = cpns_reply_send(req, msg, hdr);
out:
	kfree_sensitive(kek);
	memzero_explicit(secret, sizeof(secret));
	key_put(key);
	return err;
}

static int cpns_unwrap_store_error(struct cpns_req *req, int err)
{
	switch (err) {
	case -EEXIST:
		return cpns_fail_attr(req, CPNS_A_BLOB, CPNS_FAIL_EXISTS, err,
				      "a key with the blob's ID is already present: nothing changed (delete it first)");
	case -EKEYEXPIRED:
		return cpns_fail_attr(req, CPNS_A_BLOB, CPNS_FAIL_KEY_INVALID,
				      err,
				      "the blob's key has expired: not stored");
	case -EINVAL:
		return cpns_fail_attr(req, CPNS_A_BLOB, CPNS_FAIL_INVALID, err,
				      "the blob's metadata cannot be stored (pending state, or a role or state this module does not know)");
	default:
		return cpns_fail(req, cpns_stats_reason(err), err,
				 "could not store the key");
	}
}

static int cpns_cmd_key_unwrap(struct cpns_req *req)
{
	struct nlattr *battr = req->info->attrs[CPNS_A_BLOB];
	unsigned int keklen, labellen, idlen;
	u8 secret[CPNS_KEY_LEN];
	struct cpns_key_info meta;
	key_serial_t serial;
	struct sk_buff *msg;
	const u8 *label;
	time64_t created;
	u8 *kek;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(sizeof(s32)) +
			     nla_total_size(sizeof(u8)) +
			     nla_total_size(CPNS_DEVICE_ID_LEN) +
			     nla_total_size(sizeof(u32)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	err = cpns_req_keyref(req, &kek, &keklen);
	if (err)
		goto err_msg;
	label = cpns_label(req, &labellen);
	err = cpns_blob_unwrap(kek, keklen, nla_data(battr), nla_len(battr),
			       label, labellen, &meta, secret, &created);
	kfree_sensitive(kek);
	switch (err) {
	case 0:
		break;
	case -EBADMSG:
		err = cpns_fail_attr(req, CPNS_A_BLOB, CPNS_FAIL_BAD_MAC, err,
				     "the blob does not open: another KEK or label, or altered");
		goto err_msg;
	case -EINVAL:
		err = cpns_fail_attr(req, CPNS_A_BLOB, CPNS_FAIL_INVALID, err,
				     "not a blob of KEY_WRAP: unknown version or kind, or wrong length");
		goto err_msg;
	default:
		err = cpns_crypto_failed(req, err);
		goto err_msg;
	}

	err = cpns_key_store(&req->cn->keys, &meta,
			     meta.state == CPNS_STATE_REVOKED ? NULL : secret,
			     false, &serial);
	memzero_explicit(secret, sizeof(secret));
	if (err) {
		err = cpns_unwrap_store_error(req, err);
		goto err_msg;
	}

	idlen = meta.kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
					     CPNS_DEVICE_ID_LEN;
	if (nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial) ||
	    nla_put_u8(msg, CPNS_A_KEY_KIND, meta.kind) ||
	    nla_put(msg, meta.kind == CPNS_KEY_SEED ? CPNS_A_SEED_ID :
						      CPNS_A_DEVICE_ID,
		    idlen, meta.id) ||
	    nla_put_u32(msg, CPNS_A_GENERATION, meta.generation))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);

err_msg:
	memzero_explicit(secret, sizeof(secret));
	nlmsg_free(msg);
	return err;
}

/* I-2, I-3 and II-9: seeds, key pairs, transfer. */

static int cpns_cmd_seed_new(struct cpns_req *req)
{
	u8 sid[CPNS_SEED_ID_LEN];
	key_serial_t serial;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_SEED_ID_LEN) +
			     nla_total_size(sizeof(s32)), &hdr);
	if (!msg)
		return cpns_nomem(req);
	err = cpns_seed_new(&req->cn->keys, cpns_timeout(req), sid, &serial);
	if (err) {
		nlmsg_free(msg);
		return cpns_fail(req, cpns_stats_reason(err), err,
				 "could not make a Key Seed");
	}
	if (nla_put(msg, CPNS_A_SEED_ID, CPNS_SEED_ID_LEN, sid) ||
	    nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

static int cpns_cmd_xfer_new(struct cpns_req *req)
{
	struct cpns_pending *p = &req->cn->pending;
	u8 pub[CPNS_PUBKEY_LEN];
	struct cpns_xfer *x;
	struct sk_buff *msg;
	u32 handle;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(sizeof(u32)) +
			     nla_total_size(CPNS_PUBKEY_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	x = cpns_xfer_alloc(p);
	if (IS_ERR(x)) {
		err = cpns_pending_full(req, PTR_ERR(x));
		goto err_msg;
	}
	err = cpns_xfer_keypair(x->secret, pub);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_discard;
	}
	err = cpns_obj_insert(p, &x->obj, req->info->snd_portid, &handle);
	if (err) {
		err = cpns_pending_full(req, err);
		goto err_discard;
	}

	if (nla_put_u32(msg, CPNS_A_HANDLE, handle) ||
	    nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, pub)) {
		cpns_obj_del(p, handle, req->info->snd_portid);
		return cpns_reply_overflow(req, msg);
	}
	err = cpns_reply_send(req, msg, hdr);
	if (err)
		cpns_obj_del(p, handle, req->info->snd_portid);
	return err;

err_discard:
	cpns_obj_discard(p, &x->obj);
err_msg:
	nlmsg_free(msg);
	return err;
}

/* An X25519 step failed: a peer key CPNS_A_PUBKEY of small order, or else. */
static int cpns_xfer_error(struct cpns_req *req, int err)
{
	if (err == -EKEYREJECTED)
		return cpns_fail_attr(req, CPNS_A_PUBKEY, CPNS_FAIL_INVALID, err,
				      "the peer's public key has small order (low-order X25519 point: the shared secret would be zero): refused");
	return cpns_crypto_failed(req, err);
}

/* SEED_EXPORT and DEVICE_EXPORT: seal @key's secret for CPNS_A_PUBKEY. */
static int cpns_export(struct cpns_req *req, enum cpns_key_kind kind,
		       const u8 *id, const struct key *key)
{
	u8 eph[CPNS_PUBKEY_LEN], eph_pub[CPNS_PUBKEY_LEN];
	u8 wrapped[CPNS_WRAPPED_LEN];
	u8 secret[CPNS_KEY_LEN];
	struct sk_buff *msg;
	void *hdr;
	u32 code;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_PUBKEY_LEN) +
			     nla_total_size(CPNS_WRAPPED_LEN) +
			     nla_total_size(sizeof(u32)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	err = cpns_req_secret(req, key, secret);
	if (err)
		goto err_msg;
	err = cpns_xfer_keypair(eph, eph_pub);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_msg;
	}
	err = cpns_xfer_wrap(kind, id, eph, cpns_data(req, CPNS_A_PUBKEY),
			     secret, eph_pub, wrapped, &code);
	if (err) {
		err = cpns_xfer_error(req, err);
		goto err_msg;
	}
	memzero_explicit(eph, sizeof(eph));
	memzero_explicit(secret, sizeof(secret));

	if (nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, eph_pub) ||
	    nla_put(msg, CPNS_A_WRAPPED, CPNS_WRAPPED_LEN, wrapped) ||
	    nla_put_u32(msg, CPNS_A_XFER_CODE, code))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);

err_msg:
	memzero_explicit(eph, sizeof(eph));
	memzero_explicit(secret, sizeof(secret));
	nlmsg_free(msg);
	return err;
}

static int cpns_cmd_seed_export(struct cpns_req *req)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_SEED_ID];
	struct key *key;
	int err;

	key = cpns_req_seed(req, nla_data(attr), attr, CPNS_ROLE_SERVER);
	if (IS_ERR(key))
		return PTR_ERR(key);
	err = cpns_export(req, CPNS_KEY_SEED, nla_data(attr), key);
	key_put(key);
	return err;
}

static int cpns_cmd_device_export(struct cpns_req *req)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_DEVICE_ID];
	struct cpns_key_info ki;
	struct key *key;
	int err;

	key = cpns_req_device(req, nla_data(attr), attr, &ki);
	if (IS_ERR(key))
		return PTR_ERR(key);
	if (ki.role != CPNS_ROLE_GW1)
		err = cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
				     -EINVAL,
				     "only GW1 exports a Device Key (II-9); this one was received (role gw2)");
	else if (ki.state != CPNS_STATE_CONFIRMED)
		err = cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
				     -EINVAL,
				     "the Device Key is not confirmed: finish II-8 (ASSIGN_VERIFY) first");
	else
		err = cpns_export(req, CPNS_KEY_DEVICE, nla_data(attr), key);
	key_put(key);
	return err;
}

/*
 * Report why revoking the device named by attribute @type failed: KEY_REVOKE
 * (CPNS_A_DEVICE_ID) or a re-assignment (CPNS_A_REPLACES).
 */
static int cpns_revoke_error(struct cpns_req *req, int type, int err)
{
	switch (err) {
	case -ENOKEY:
		return cpns_fail_attr(req, type, CPNS_FAIL_NO_KEY, err,
				      "unknown Device ID: no Device Key, and no seed of this server it belongs to");
	case -EKEYREVOKED:
		return cpns_fail_attr(req, type, CPNS_FAIL_KEY_INVALID, err,
				      "the device with this Device ID (or its seed) is revoked");
	case -EKEYEXPIRED:
		return cpns_fail_attr(req, type, CPNS_FAIL_KEY_INVALID, err,
				      "the device with this Device ID (or its seed) has expired");
	case -EACCES:
		return cpns_fail_attr(req, type, CPNS_FAIL_INTERNAL, err,
				      "key lookup failed: the keyring's Search permission was taken away");
	}
	return cpns_fail_attr(req, type, cpns_stats_reason(err), err,
			      "could not revoke the key (changed or removed meanwhile)");
}

/*
 * CPNS_A_REPLACES of a re-assignment, checked against the new Device ID
 * @did: NULL if absent; ERR_PTR(-EINVAL) if it names @did itself.
 */
static const u8 *cpns_req_replaces(struct cpns_req *req, const u8 *did)
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

static int cpns_store_error(struct cpns_req *req, enum cpns_key_kind kind,
			    int err)
{
	if (err != -EEXIST)
		return cpns_fail(req, cpns_stats_reason(err), err,
				 "could not store the key");
	if (kind == CPNS_KEY_SEED)
		return cpns_fail_attr(req, CPNS_A_SEED_ID, CPNS_FAIL_EXISTS, err,
				      "a seed with this Seed ID is already present: delete it first");
	return cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_EXISTS, err,
			      "a Device Key with this Device ID is already present: delete it first");
}

/*
 * SEED_IMPORT and DEVICE_IMPORT. The key pair is spent once the wrapped
 * key opens or fails to authenticate (no second guess with one key pair);
 * a refused public key or a key already present leaves it usable.
 */
static int cpns_import(struct cpns_req *req, enum cpns_key_kind kind,
		       int id_type)
{
	struct cpns_pending *p = &req->cn->pending;
	const u8 *id = cpns_data(req, id_type);
	key_serial_t serial, revoked;
	u8 secret[CPNS_KEY_LEN];
	struct cpns_xfer *x;
	struct cpns_obj *obj;
	struct sk_buff *msg;
	const u8 *replaces;
	void *hdr;
	u32 code;
	int err;

	/* Only DEVICE_IMPORT's policy lets CPNS_A_REPLACES in. */
	replaces = cpns_req_replaces(req, id);
	if (IS_ERR(replaces))
		return PTR_ERR(replaces);
	msg = cpns_reply_new(req, 2 * nla_total_size(sizeof(u32)) +
			     nla_total_size(CPNS_DEVICE_ID_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	obj = cpns_req_take(req, CPNS_OBJ_XFER);
	if (IS_ERR(obj)) {
		nlmsg_free(msg);
		return PTR_ERR(obj);
	}
	x = container_of(obj, struct cpns_xfer, obj);

	err = cpns_xfer_unwrap(kind, id, x->secret,
			       cpns_data(req, CPNS_A_PUBKEY),
			       cpns_data(req, CPNS_A_WRAPPED), secret, &code);
	if (err == -EBADMSG) {
		cpns_obj_drop(p, obj);
		err = cpns_fail_attr(req, CPNS_A_WRAPPED, CPNS_FAIL_BAD_MAC,
				     err,
				     "the wrapped key does not open (wrong ID, public key or key pair, or altered): the handle is used up");
		goto err_msg;
	}
	if (err) {
		cpns_obj_restore(p, obj);
		err = cpns_xfer_error(req, err);
		goto err_msg;
	}

	if (kind == CPNS_KEY_SEED)
		err = cpns_seed_add(&req->cn->keys, id, secret,
				    cpns_timeout(req), &serial);
	else if (replaces)
		err = cpns_device_replace(&req->cn->keys, id, secret,
					  cpns_timeout(req), replaces, &serial,
					  &revoked);
	else
		err = cpns_device_add(&req->cn->keys, CPNS_ROLE_GW2, id,
				      secret, NULL, cpns_timeout(req),
				      &serial);
	memzero_explicit(secret, sizeof(secret));
	if (err) {
		cpns_obj_restore(p, obj);
		if (replaces && err != -EEXIST)
			err = cpns_revoke_error(req, CPNS_A_REPLACES, err);
		else
			err = cpns_store_error(req, kind, err);
		goto err_msg;
	}
	cpns_obj_drop(p, obj);
	if (replaces)
		cpns_pending_revoke(p, replaces, CPNS_DEVICE_ID_LEN);

	if (nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial) ||
	    nla_put_u32(msg, CPNS_A_XFER_CODE, code) ||
	    (replaces &&
	     nla_put(msg, CPNS_A_REPLACES, CPNS_DEVICE_ID_LEN, replaces)))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);

err_msg:
	memzero_explicit(secret, sizeof(secret));
	nlmsg_free(msg);
	return err;
}

static int cpns_cmd_seed_import(struct cpns_req *req)
{
	return cpns_import(req, CPNS_KEY_SEED, CPNS_A_SEED_ID);
}

static int cpns_cmd_device_import(struct cpns_req *req)
{
	return cpns_import(req, CPNS_KEY_DEVICE, CPNS_A_DEVICE_ID);
}

/* Key lifecycle: revocation (Documentation/keys.rst). */

/* A seed and every device of it become revocation records. */
static int cpns_revoke_seed(struct cpns_req *req, struct nlattr *attr,
			    key_serial_t *serial)
{
	struct cpns_keys *keys = &req->cn->keys;
	struct cpns_key_info ki;
	struct key *key;
	int err;

	key = cpns_key_lookup(keys, CPNS_KEY_SEED, nla_data(attr), &ki);
	if (IS_ERR(key)) {
		cpns_lookup_error(req, attr, PTR_ERR(key));
		return PTR_ERR(key);
	}
	err = cpns_key_set_state(keys, key, CPNS_STATE_REVOKED, serial);
	key_put(key);
	if (err)
		return cpns_fail_attr(req, CPNS_A_SEED_ID,
				      cpns_stats_reason(err), err,
				      "could not revoke the key (changed or removed meanwhile)");

	err = cpns_keys_revoke_devices(keys, nla_data(attr));
	if (err < 0)
		return cpns_fail(req, cpns_stats_reason(err), err,
				 "the seed is revoked, but revoking its Device Keys failed: try again");
	return 0;
}

static int cpns_cmd_key_revoke(struct cpns_req *req)
{
	struct nlattr *sid = req->info->attrs[CPNS_A_SEED_ID];
	struct nlattr *did = req->info->attrs[CPNS_A_DEVICE_ID];
	struct nlattr *attr = sid ?: did;
	key_serial_t serial;
	unsigned int closed;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!sid == !did)
		return cpns_fail(req, CPNS_FAIL_INVALID, -EINVAL,
				 "give exactly one of CPNS_A_SEED_ID and CPNS_A_DEVICE_ID");
	msg = cpns_reply_new(req, 2 * nla_total_size(sizeof(u32)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	if (sid) {
		err = cpns_revoke_seed(req, sid, &serial);
	} else {
		err = cpns_device_revoke(&req->cn->keys, nla_data(did),
					 &serial);
		if (err)
			err = cpns_revoke_error(req, CPNS_A_DEVICE_ID, err);
	}
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	/* Its a-flows and sessions (of every device of a seed) end. */
	closed = cpns_pending_revoke(&req->cn->pending, nla_data(attr),
				     nla_len(attr));

	if (nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial) ||
	    nla_put_u32(msg, CPNS_A_SESSION_COUNT, closed))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

/*
 * KEY_RETIRE: seed rotation. The seed and its devices expire after the
 * overlap, and the sessions of its devices with them; until then their
 * flows and sessions go on.
 */
static int cpns_cmd_key_retire(struct cpns_req *req)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_SEED_ID];
	struct cpns_key_info ki;
	unsigned int count;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, 2 * nla_total_size(sizeof(u32)) +
			     nla_total_size_64bit(sizeof(u64)), &hdr);
	if (!msg)
		return cpns_nomem(req);
	err = cpns_seed_retire(&req->cn->keys, nla_data(attr),
			       cpns_timeout(req), &ki, &count);
	if (err) {
		nlmsg_free(msg);
		cpns_lookup_error(req, attr, err);
		return err;
	}
	/* Live sessions of its devices end with it too. */
	cpns_sessions_retire(&req->cn->pending, nla_data(attr), ki.expiry);
	if (nla_put_s32(msg, CPNS_A_KEY_SERIAL, ki.serial) ||
	    nla_put_u64_64bit(msg, CPNS_A_EXPIRY, ki.expiry, CPNS_A_PAD) ||
	    nla_put_u32(msg, CPNS_A_KEY_COUNT, count))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

/* Confirming a transfer (Documentation/xfer.rst). */

/* The ID attribute that CPNS_A_KEY_KIND calls for, checked present. */
static const u8 *cpns_req_kind_id(struct cpns_req *req,
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

static int cpns_cmd_xfer_code(struct cpns_req *req)
{
	struct cpns_pending *p = &req->cn->pending;
	enum cpns_key_kind kind;
	struct cpns_xfer *x;
	struct cpns_obj *obj;
	struct sk_buff *msg;
	const u8 *id;
	void *hdr;
	u32 code;
	int err;

	id = cpns_req_kind_id(req, &kind);
	if (!id)
		return -EINVAL;
	msg = cpns_reply_new(req, nla_total_size(sizeof(u32)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	obj = cpns_req_take(req, CPNS_OBJ_XFER);
	if (IS_ERR(obj)) {
		nlmsg_free(msg);
		return PTR_ERR(obj);
	}
	x = container_of(obj, struct cpns_xfer, obj);
	err = cpns_xfer_code(kind, id, x->secret,
			     cpns_data(req, CPNS_A_PUBKEY), &code);
	/* The key pair stays for the import. */
	cpns_obj_restore(p, obj);
	if (err) {
		nlmsg_free(msg);
		return cpns_xfer_error(req, err);
	}
	if (nla_put_u32(msg, CPNS_A_XFER_CODE, code))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

static int cpns_cmd_xfer_pair(struct cpns_req *req)
{
	struct nlattr *want = req->info->attrs[CPNS_A_PAIR_MAC];
	u8 mac[CPNS_MAC_LEN];
	enum cpns_key_kind kind;
	struct sk_buff *msg;
	unsigned int pklen;
	const u8 *id;
	u8 *pk;
	void *hdr;
	int err;

	id = cpns_req_kind_id(req, &kind);
	if (!id)
		return -EINVAL;
	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	err = cpns_req_keyref(req, &pk, &pklen);
	if (err)
		goto err_msg;
	err = cpns_xfer_pair_mac(pk, pklen, kind, id,
				 cpns_data(req, CPNS_A_PUBKEY),
				 cpns_data(req, CPNS_A_PEER_PUBKEY), mac);
	kfree_sensitive(pk);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_msg;
	}
	if (want) {
		if (crypto_memneq(mac, nla_data(want), CPNS_MAC_LEN)) {
			err = cpns_fail_attr(req, CPNS_A_PAIR_MAC,
					     CPNS_FAIL_BAD_MAC, -EBADMSG,
					     "pairing MAC mismatch: another pairing key, or the public keys or ID were changed");
			goto err_msg;
		}
	} else if (nla_put(msg, CPNS_A_PAIR_MAC, CPNS_MAC_LEN, mac)) {
		memzero_explicit(mac, sizeof(mac));
		return cpns_reply_overflow(req, msg);
	}
	memzero_explicit(mac, sizeof(mac));
	return cpns_reply_send(req, msg, hdr);

err_msg:
	memzero_explicit(mac, sizeof(mac));
	nlmsg_free(msg);
	return err;
}

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

static int cpns_cmd_assign_request(struct cpns_req *req)
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

static int cpns_cmd_assign_challenge(struct cpns_req *req)
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

static int cpns_cmd_assign_derive(struct cpns_req *req)
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
static int cpns_cmd_assign_confirm(struct cpns_req *req)
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
static int cpns_cmd_assign_verify(struct cpns_req *req)
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

/*
 * Flow a: mutual authentication and sessions, with the re-key of the
 * Device Key at its first use (CPNS-KA-1-REKEY, Documentation/rekey.rst).
 */

/* A new, zeroed a-flow object; it counts against pending_max. */
static struct cpns_flow *cpns_flow_new(struct cpns_req *req,
				       enum cpns_obj_type type)
{
	struct cpns_flow *f;

	f = cpns_flow_alloc(&req->cn->pending, type);
	if (IS_ERR(f))
		cpns_pending_full(req, PTR_ERR(f));
	return f;
}

/*
 * Give the filled-in flow @f (from cpns_flow_new()) a handle of this socket
 * and reply it with the a-0 values of this end: GW2's nonce, generation
 * and Pc, or the server's nonce and Ps. @f is not the caller's any more.
 */
static int cpns_flow_start(struct cpns_req *req, struct cpns_flow *f)
{
	bool client = f->obj.type == CPNS_OBJ_CLIENT_FLOW;
	struct cpns_pending *p = &req->cn->pending;
	u32 portid = req->info->snd_portid;
	struct sk_buff *msg;
	u32 handle;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, 2 * nla_total_size(sizeof(u32)) +
			     nla_total_size(CPNS_NONCE_LEN) +
			     nla_total_size(CPNS_PUBKEY_LEN), &hdr);
	if (!msg) {
		cpns_obj_discard(p, &f->obj);
		return cpns_nomem(req);
	}
	/* Everything but the handle is put while @f is still ours. */
	if (client)
		err = nla_put(msg, CPNS_A_CLIENT_NONCE, CPNS_NONCE_LEN, f->nc) ||
		      nla_put_u32(msg, CPNS_A_GENERATION, f->gen) ||
		      (f->rekey &&
		       nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, f->pc));
	else
		err = nla_put(msg, CPNS_A_SERVER_NONCE, CPNS_NONCE_LEN, f->ns) ||
		      (f->rekey &&
		       nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, f->ps));
	if (err) {
		cpns_obj_discard(p, &f->obj);
		return cpns_reply_overflow(req, msg);
	}

	err = cpns_obj_insert(p, &f->obj, portid, &handle);
	if (err) {
		cpns_obj_discard(p, &f->obj);
		nlmsg_free(msg);
		return cpns_pending_full(req, err);
	}
	if (nla_put_u32(msg, CPNS_A_HANDLE, handle)) {
		cpns_obj_del(p, handle, portid);
		return cpns_reply_overflow(req, msg);
	}
	err = cpns_reply_send(req, msg, hdr);
	if (err)
		cpns_obj_del(p, handle, portid);
	return err;
}

/*
 * a-0 on GW2: only a Device Key received by II-9 authenticates. A key of
 * generation 0 (as assigned) is re-keyed: the flow makes the ephemeral
 * key pair (c, Pc).
 */
static int cpns_cmd_auth_begin(struct cpns_req *req)
{
	struct nlattr *did_attr = req->info->attrs[CPNS_A_DEVICE_ID];
	struct cpns_key_info ki;
	struct cpns_flow *f;
	struct key *key;
	int err;

	key = cpns_req_device(req, nla_data(did_attr), did_attr, &ki);
	if (IS_ERR(key))
		return PTR_ERR(key);
	key_put(key);
	if (ki.role != CPNS_ROLE_GW2)
		return cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
				      -EINVAL,
				      "AUTH_BEGIN needs a Device Key received by II-9 (role gw2)");

	f = cpns_flow_new(req, CPNS_OBJ_CLIENT_FLOW);
	if (IS_ERR(f))
		return PTR_ERR(f);
	memcpy(f->did, nla_data(did_attr), CPNS_DEVICE_ID_LEN);
	get_random_bytes(f->nc, CPNS_NONCE_LEN);
	f->gen = ki.generation;
	if (!f->gen) {
		err = cpns_rekey_keypair(f->secret, f->pc);
		if (err) {
			cpns_obj_discard(&req->cn->pending, &f->obj);
			return cpns_crypto_failed(req, err);
		}
		f->rekey = true;
	}
	return cpns_flow_start(req, f);
}

/*
 * The server's choice at a-0 (rekey.rst, "The server at a-0"): the device
 * record of @f->gen, or the seed's key of generation 0 with a re-key.
 */
static int cpns_flow_choose(struct cpns_req *req, struct cpns_flow *f)
{
	struct cpns_key_info ri;
	struct key *rec;

	rec = cpns_key_lookup(&req->cn->keys, CPNS_KEY_DEVICE, f->did, &ri);
	if (IS_ERR(rec)) {
		switch (PTR_ERR(rec)) {
		case -ENOKEY:
			if (f->gen)
				return cpns_fail_attr(req, CPNS_A_GENERATION,
						      CPNS_FAIL_KEY_INVALID,
						      -EKEYREJECTED,
						      "unknown generation: this device was never re-keyed here, only generation 0 is known");
			f->key = CPNS_FLOW_KEY_SEED;
			f->rekey = true;
			return 0;
		case -EKEYREVOKED:
			return cpns_fail_attr(req, CPNS_A_DEVICE_ID,
					      CPNS_FAIL_KEY_INVALID,
					      -EKEYREVOKED,
					      "device revoked: its record was revoked");
		case -EKEYEXPIRED:
			return cpns_fail_attr(req, CPNS_A_DEVICE_ID,
					      CPNS_FAIL_KEY_INVALID,
					      -EKEYEXPIRED,
					      "the record of this device has expired");
		default:
			return cpns_fail(req, CPNS_FAIL_INTERNAL, PTR_ERR(rec),
					 "device record lookup failed");
		}
	}
	key_put(rec);

	if (ri.role != CPNS_ROLE_SERVER)
		return cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
				      -EINVAL,
				      "this namespace holds this Device ID's key as a gateway (gw1 or gw2), not as a server's device record");
	if (ri.state == CPNS_STATE_REVOKED)
		return cpns_fail_attr(req, CPNS_A_DEVICE_ID,
				      CPNS_FAIL_KEY_INVALID, -EKEYREVOKED,
				      "device revoked");
	if (ri.generation == f->gen &&
	    (ri.state == CPNS_STATE_ACTIVE ||
	     ri.state == CPNS_STATE_UNCONFIRMED)) {
		f->key = CPNS_FLOW_KEY_RECORD;
		return 0;
	}
	/* GW2 never stored the re-keyed key: re-key again (rekey.rst). */
	if (!f->gen && ri.state == CPNS_STATE_UNCONFIRMED) {
		f->key = CPNS_FLOW_KEY_SEED;
		f->rekey = true;
		return 0;
	}
	if (!f->gen)
		return cpns_fail_attr(req, CPNS_A_DEVICE_ID,
				      CPNS_FAIL_KEY_INVALID, -EKEYREJECTED,
				      "device re-keyed: generation 0 refused");
	return cpns_fail_attr(req, CPNS_A_GENERATION, CPNS_FAIL_KEY_INVALID,
			      -EKEYREJECTED,
			      "unknown generation: it is not the generation of this device's record");
}

/*
 * CPNS_A_PUBKEY (the other side's ephemeral X25519 key of the re-key) is
 * required at a-0 (server) and a-1 (GW2) when the flow @f re-keys, and
 * refused when it does not.
 */
static int cpns_flow_pubkey_check(struct cpns_req *req,
				  const struct cpns_flow *f)
{
	bool have = req->info->attrs[CPNS_A_PUBKEY];

	if (f->rekey && !have)
		return cpns_fail(req, CPNS_FAIL_INVALID, -EINVAL,
				 "generation 0: the flow re-keys, so CPNS_A_PUBKEY (the other side's ephemeral X25519 key) is required");
	if (!f->rekey && have)
		return cpns_fail_attr(req, CPNS_A_PUBKEY, CPNS_FAIL_INVALID,
				      -EINVAL,
				      "only a generation 0 key is re-keyed: omit CPNS_A_PUBKEY");
	return 0;
}

/*
 * a-0 on the server: the seed is found from the Device ID's first bytes;
 * the generation GW2 offers selects the key (cpns_flow_choose()). A
 * re-keying flow makes (s, Ps) and computes the shared secret at once, so
 * that a low-order Pc is refused before anything is pending.
 */
static int cpns_cmd_auth_challenge(struct cpns_req *req)
{
	struct nlattr *gen_attr = req->info->attrs[CPNS_A_GENERATION];
	struct nlattr *did_attr = req->info->attrs[CPNS_A_DEVICE_ID];
	struct nlattr *pc_attr = req->info->attrs[CPNS_A_PUBKEY];
	struct cpns_flow *f;
	struct key *key;
	int err;

	key = cpns_req_seed(req, nla_data(did_attr), did_attr,
			    CPNS_ROLE_SERVER);
	if (IS_ERR(key))
		return PTR_ERR(key);
	key_put(key);

	f = cpns_flow_new(req, CPNS_OBJ_SERVER_FLOW);
	if (IS_ERR(f))
		return PTR_ERR(f);
	memcpy(f->did, nla_data(did_attr), CPNS_DEVICE_ID_LEN);
	memcpy(f->nc, cpns_data(req, CPNS_A_CLIENT_NONCE), CPNS_NONCE_LEN);
	get_random_bytes(f->ns, CPNS_NONCE_LEN);
	f->has_ns = true;
	f->gen = gen_attr ? nla_get_u32(gen_attr) : 0;

	err = cpns_flow_choose(req, f);
	if (!err)
		err = cpns_flow_pubkey_check(req, f);
	if (err)
		goto err_discard;
	if (f->rekey) {
		memcpy(f->pc, nla_data(pc_attr), CPNS_PUBKEY_LEN);
		err = cpns_rekey_keypair(f->secret, f->ps);
		if (!err)
			err = cpns_rekey_shared(f->secret, f->pc, f->shared);
		/* s is used once: only the shared secret is kept. */
		memzero_explicit(f->secret, sizeof(f->secret));
		if (err) {
			err = cpns_xfer_error(req, err);
			goto err_discard;
		}
		f->has_shared = true;
	}
	return cpns_flow_start(req, f);

err_discard:
	cpns_obj_discard(&req->cn->pending, &f->obj);
	return err;
}

/*
 * The Device Key of a GW2 flow, as bytes, and its metadata; it must still
 * be the key of the generation the flow began with.
 */
static int cpns_flow_device_key(struct cpns_req *req,
				const struct cpns_flow *f, u8 *dk,
				struct cpns_key_info *ki)
{
	struct key *key;
	int err;

	key = cpns_req_device(req, f->did, NULL, ki);
	if (IS_ERR(key))
		return PTR_ERR(key);
	if (ki->role != CPNS_ROLE_GW2)
		err = cpns_fail(req, CPNS_FAIL_STATE, -EINVAL,
				"the flow's Device Key is no longer a GW2 key");
	else if (ki->generation != f->gen)
		err = cpns_fail(req, CPNS_FAIL_STATE, -EKEYREJECTED,
				"the Device Key was re-keyed by another flow meanwhile: start again");
	else
		err = cpns_req_secret(req, key, dk);
	key_put(key);
	return err;
}

/* a-1 on GW2; the flow stays pending for a-4. */
static int cpns_cmd_auth_client(struct cpns_req *req)
{
	struct nlattr *ps_attr = req->info->attrs[CPNS_A_PUBKEY];
	const u8 *ns = cpns_data(req, CPNS_A_SERVER_NONCE);
	struct cpns_pending *p = &req->cn->pending;
	u8 dk[CPNS_KEY_LEN], mac[CPNS_MAC_LEN];
	u8 shared[CPNS_PUBKEY_LEN];
	struct cpns_key_info ki;
	struct cpns_flow *f;
	struct cpns_obj *obj;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	obj = cpns_req_take(req, CPNS_OBJ_CLIENT_FLOW);
	if (IS_ERR(obj)) {
		nlmsg_free(msg);
		return PTR_ERR(obj);
	}
	f = container_of(obj, struct cpns_flow, obj);
	memset(shared, 0, sizeof(shared));
	if (f->has_ns) {
		err = cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_STATE,
				     -EINVAL,
				     "a-1 was already computed for this flow: finish it (AUTH_FINISH) or start another");
		goto err_restore;
	}
	err = cpns_flow_pubkey_check(req, f);
	if (err)
		goto err_restore;
	if (f->rekey) {
		err = cpns_rekey_shared(f->secret, nla_data(ps_attr), shared);
		if (err) {
			err = cpns_xfer_error(req, err);
			goto err_restore;
		}
	}
	err = cpns_flow_device_key(req, f, dk, &ki);
	if (err)
		goto err_restore;
	if (f->rekey)
		err = cpns_rekey_client_mac(dk, f->did, f->nc, ns, f->pc,
					    nla_data(ps_attr), mac);
	else
		err = cpns_auth_client_mac(dk, f->did, f->nc, ns, mac);
	memzero_explicit(dk, sizeof(dk));
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_restore;
	}
	if (nla_put(msg, CPNS_A_CLIENT_MAC, CPNS_MAC_LEN, mac)) {
		memzero_explicit(shared, sizeof(shared));
		cpns_obj_restore(p, obj);
		return cpns_reply_overflow(req, msg);
	}
	memcpy(f->ns, ns, CPNS_NONCE_LEN);
	f->has_ns = true;
	if (f->rekey) {
		/* c is used once: only the shared secret is kept. */
		memcpy(f->ps, nla_data(ps_attr), CPNS_PUBKEY_LEN);
		memcpy(f->shared, shared, CPNS_PUBKEY_LEN);
		memzero_explicit(shared, sizeof(shared));
		memzero_explicit(f->secret, sizeof(f->secret));
		f->has_shared = true;
	}
	cpns_obj_restore(p, obj);
	return cpns_reply_send(req, msg, hdr);

err_restore:
	memzero_explicit(dk, sizeof(dk));
	memzero_explicit(shared, sizeof(shared));
	cpns_obj_restore(p, obj);
	nlmsg_free(msg);
	return err;
}

/*
 * The earliest expiry (0: none) of the keys of @did held here: its seed
 * (a server) and its Device Key or record.
 */
static time64_t cpns_did_expiry(struct cpns_req *req, const u8 *did)
{
	static const enum cpns_key_kind kinds[] = {
		CPNS_KEY_SEED, CPNS_KEY_DEVICE,
	};
	struct cpns_key_info ki;
	time64_t expiry = 0;
	struct key *key;
	int i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		key = cpns_key_lookup(&req->cn->keys, kinds[i], did, &ki);
		if (IS_ERR(key))
			continue;
		key_put(key);
		if (ki.expiry && (!expiry || ki.expiry < expiry))
			expiry = ki.expiry;
	}
	return expiry;
}

/*
 * A session from @sk (wiped here) for the flow @f. It expires with the
 * keys it comes from; a KEY_RETIRE between this and the session's
 * insertion does not reach it (a flow a retirement meets still ends at
 * the expiry of the keys it began with, the other keys having expired).
 */
static struct cpns_session *cpns_flow_session(struct cpns_req *req,
					      const struct cpns_flow *f,
					      enum cpns_role role, u32 gen,
					      struct cpns_session_keys *sk)
{
	struct cpns_session *s;

	s = cpns_session_new(role, f->did, sk);
	if (IS_ERR(s)) {
		cpns_crypto_failed(req, PTR_ERR(s));
		return s;
	}
	s->generation = gen;
	s->expiry = cpns_did_expiry(req, f->did);
	return s;
}

/*
 * The server's Device Key for the flow @f, as chosen at a-0, looked up
 * again: the seed must still be valid, and a record must still be the
 * one of @f->gen. *@rec gets a reference to that record (key_put() it) or
 * NULL.
 */
static int cpns_flow_server_key(struct cpns_req *req,
				const struct cpns_flow *f, u8 *dk,
				struct key **rec, struct cpns_key_info *ri)
{
	u8 seed[CPNS_SEED_LEN];
	struct key *key;
	int err;

	*rec = NULL;
	key = cpns_req_seed(req, f->did, NULL, CPNS_ROLE_SERVER);
	if (IS_ERR(key))
		return PTR_ERR(key);
	if (f->key == CPNS_FLOW_KEY_SEED) {
		err = cpns_req_secret(req, key, seed);
		key_put(key);
		if (err)
			return err;
		err = cpns_device_key(seed, f->did, dk);
		memzero_explicit(seed, sizeof(seed));
		if (err)
			return cpns_crypto_failed(req, err);
		return 0;
	}
	key_put(key);

	key = cpns_key_lookup(&req->cn->keys, CPNS_KEY_DEVICE, f->did, ri);
	if (IS_ERR(key)) {
		if (PTR_ERR(key) == -EKEYREVOKED)
			return cpns_fail(req, CPNS_FAIL_KEY_INVALID,
					 -EKEYREVOKED, "device revoked");
		return cpns_fail(req, CPNS_FAIL_KEY_INVALID, -EKEYREJECTED,
				 "the device record changed during the flow: start again");
	}
	if (ri->state == CPNS_STATE_REVOKED)
		err = cpns_fail(req, CPNS_FAIL_KEY_INVALID, -EKEYREVOKED,
				"device revoked");
	else if (ri->role != CPNS_ROLE_SERVER || ri->generation != f->gen ||
		 (ri->state != CPNS_STATE_ACTIVE &&
		  ri->state != CPNS_STATE_UNCONFIRMED))
		err = cpns_fail(req, CPNS_FAIL_KEY_INVALID, -EKEYREJECTED,
				"the device record changed during the flow: start again");
	else
		err = cpns_req_secret(req, key, dk);
	if (err) {
		key_put(key);
		return err;
	}
	*rec = key;
	return 0;
}

/* What AUTH_SERVER stored or changed, for its reply. */
struct cpns_flow_result {
	u32 gen;		/* of the key the session comes from */
	key_serial_t serial;	/* the record stored or confirmed, or 0 */
	enum cpns_state state;	/* its state */
};

/*
 * a-2 and a-3 on the server. The flow is spent whatever the code: a wrong
 * a-1 ends it. On success its handle names the session. A re-keying flow
 * stores the new key as a device record (unconfirmed) before the reply
 * with a-3 leaves; a flow authenticated by an unconfirmed record confirms
 * it.
 */
static int cpns_cmd_auth_server(struct cpns_req *req)
{
	struct cpns_pending *p = &req->cn->pending;
	u8 dk[CPNS_KEY_LEN], mac[CPNS_MAC_LEN];
	struct cpns_flow_result res = { };
	struct cpns_key_info ri = { };
	struct cpns_session_keys sk;
	struct cpns_session *s;
	struct key *rec = NULL;
	struct cpns_flow *f;
	struct cpns_obj *obj;
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN) +
			     2 * nla_total_size(sizeof(u32)) +
			     nla_total_size(sizeof(u8)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	/* Room for the session first: a full table leaves the flow alone. */
	err = cpns_session_reserve(p);
	if (err) {
		nlmsg_free(msg);
		return cpns_fail(req, CPNS_FAIL_LIMIT, err,
				 "too many sessions in this network namespace (module parameter session_max)");
	}
	obj = cpns_req_take(req, CPNS_OBJ_SERVER_FLOW);
	if (IS_ERR(obj)) {
		cpns_session_unreserve(p);
		nlmsg_free(msg);
		return PTR_ERR(obj);
	}
	f = container_of(obj, struct cpns_flow, obj);

	err = cpns_flow_server_key(req, f, dk, &rec, &ri);
	if (err)
		goto err_drop;
	if (f->rekey)
		err = cpns_rekey_client_mac(dk, f->did, f->nc, f->ns, f->pc,
					    f->ps, mac);
	else
		err = cpns_auth_client_mac(dk, f->did, f->nc, f->ns, mac);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_drop;
	}
	if (crypto_memneq(mac, cpns_data(req, CPNS_A_CLIENT_MAC),
			  CPNS_MAC_LEN)) {
		err = cpns_fail_attr(req, CPNS_A_CLIENT_MAC, CPNS_FAIL_BAD_MAC,
				     -EBADMSG,
				     "the a-1 code does not verify: the flow is ended");
		goto err_drop;
	}
	if (f->rekey)
		err = cpns_rekey_server_mac(dk, f->did, f->nc, f->ns, f->pc,
					    f->ps, mac);
	else
		err = cpns_auth_server_mac(dk, f->did, f->nc, f->ns, mac);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_drop;
	}

	res.gen = f->gen;
	if (f->rekey) {
		res.gen = f->gen + 1;
		/* dk becomes dk': the session and the record use only it. */
		err = cpns_rekey_derive(dk, f->did, res.gen, f->nc, f->ns,
					f->pc, f->ps, f->shared, dk);
		if (err) {
			err = cpns_crypto_failed(req, err);
			goto err_drop;
		}
	}
	err = cpns_session_keys(dk, f->did, f->nc, f->ns, &sk);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_drop;
	}
	s = cpns_flow_session(req, f, CPNS_ROLE_SERVER, res.gen, &sk);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		goto err_drop;
	}

	if (f->rekey) {
		/* Stored before a-3 leaves: see rekey.rst, "Crashes". */
		err = cpns_device_store(&req->cn->keys, CPNS_ROLE_SERVER,
					CPNS_STATE_UNCONFIRMED, res.gen, f->did,
					dk, 0, &res.serial);
		if (err == -EKEYREVOKED)
			err = cpns_fail(req, CPNS_FAIL_KEY_INVALID, err,
					"device revoked during the flow");
		else if (err)
			err = cpns_fail(req, CPNS_FAIL_INTERNAL, err,
					"could not store the re-keyed device record");
		res.state = CPNS_STATE_UNCONFIRMED;
		s->confirm = res.serial;
	} else if (ri.state == CPNS_STATE_UNCONFIRMED) {
		/* GW2 proved it holds the re-keyed key: confirm the record. */
		err = cpns_key_set_state(&req->cn->keys, rec,
					 CPNS_STATE_ACTIVE, &res.serial);
		if (err == -ENOKEY)
			err = cpns_fail(req, CPNS_FAIL_KEY_INVALID,
					-EKEYREJECTED,
					"the device record changed during the flow: start again");
		else if (err)
			err = cpns_fail(req, CPNS_FAIL_INTERNAL, err,
					"could not confirm the device record");
		res.state = CPNS_STATE_ACTIVE;
	}
	memzero_explicit(dk, sizeof(dk));
	if (err) {
		cpns_session_put(s);
		goto err_drop;
	}

	if (nla_put(msg, CPNS_A_SERVER_MAC, CPNS_MAC_LEN, mac) ||
	    nla_put_u32(msg, CPNS_A_GENERATION, res.gen) ||
	    (res.serial &&
	     (nla_put_s32(msg, CPNS_A_KEY_SERIAL, res.serial) ||
	      nla_put_u8(msg, CPNS_A_STATE, res.state)))) {
		cpns_session_put(s);
		if (rec)
			key_put(rec);
		cpns_obj_drop(p, obj);
		cpns_session_unreserve(p);
		return cpns_reply_overflow(req, msg);
	}
	if (rec)
		key_put(rec);
	cpns_obj_replace(p, obj, &s->obj);
	return cpns_reply_send(req, msg, hdr);

err_drop:
	memzero_explicit(dk, sizeof(dk));
	if (rec)
		key_put(rec);
	cpns_obj_drop(p, obj);
	cpns_session_unreserve(p);
	nlmsg_free(msg);
	return err;
}

/*
 * a-4 on GW2: as AUTH_SERVER, a wrong a-3 ends the flow. A re-keying flow
 * replaces the Device Key by dk' (generation + 1, active) before the
 * session exists.
 */
static int cpns_cmd_auth_finish(struct cpns_req *req)
{
	struct cpns_pending *p = &req->cn->pending;
	u8 dk[CPNS_KEY_LEN], mac[CPNS_MAC_LEN];
	struct cpns_session_keys sk;
	struct cpns_session *s;
	struct cpns_key_info ki;
	key_serial_t serial = 0;
	struct cpns_flow *f;
	struct cpns_obj *obj;
	struct sk_buff *msg;
	void *hdr;
	u32 gen;
	int err;

	msg = cpns_reply_new(req, 2 * nla_total_size(sizeof(u32)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	err = cpns_session_reserve(p);
	if (err) {
		nlmsg_free(msg);
		return cpns_fail(req, CPNS_FAIL_LIMIT, err,
				 "too many sessions in this network namespace (module parameter session_max)");
	}
	obj = cpns_req_take(req, CPNS_OBJ_CLIENT_FLOW);
	if (IS_ERR(obj)) {
		cpns_session_unreserve(p);
		nlmsg_free(msg);
		return PTR_ERR(obj);
	}
	f = container_of(obj, struct cpns_flow, obj);
	if (!f->has_ns) {
		cpns_obj_restore(p, obj);
		cpns_session_unreserve(p);
		nlmsg_free(msg);
		return cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_STATE,
				      -EINVAL,
				      "a-1 is not computed yet: run AUTH_CLIENT first");
	}

	err = cpns_flow_device_key(req, f, dk, &ki);
	if (err)
		goto err_drop;
	if (f->rekey)
		err = cpns_rekey_server_mac(dk, f->did, f->nc, f->ns, f->pc,
					    f->ps, mac);
	else
		err = cpns_auth_server_mac(dk, f->did, f->nc, f->ns, mac);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_drop;
	}
	if (crypto_memneq(mac, cpns_data(req, CPNS_A_SERVER_MAC),
			  CPNS_MAC_LEN)) {
		err = cpns_fail_attr(req, CPNS_A_SERVER_MAC, CPNS_FAIL_BAD_MAC,
				     -EBADMSG,
				     "the a-3 code does not verify: the flow is ended");
		goto err_drop;
	}

	gen = f->gen;
	if (f->rekey) {
		gen = f->gen + 1;
		err = cpns_rekey_derive(dk, f->did, gen, f->nc, f->ns, f->pc,
					f->ps, f->shared, dk);
		if (err) {
			err = cpns_crypto_failed(req, err);
			goto err_drop;
		}
	}
	err = cpns_session_keys(dk, f->did, f->nc, f->ns, &sk);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_drop;
	}
	s = cpns_flow_session(req, f, CPNS_ROLE_GW2, gen, &sk);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
		goto err_drop;
	}
	if (f->rekey) {
		err = cpns_device_store(&req->cn->keys, CPNS_ROLE_GW2,
					CPNS_STATE_ACTIVE, gen, f->did, dk,
					ki.expiry, &serial);
		if (err) {
			cpns_session_put(s);
			err = cpns_fail(req, err == -EKEYEXPIRED ?
					CPNS_FAIL_KEY_INVALID :
					CPNS_FAIL_INTERNAL, err,
					"could not replace the Device Key by the re-keyed one");
			goto err_drop;
		}
	}
	memzero_explicit(dk, sizeof(dk));

	if (nla_put_u32(msg, CPNS_A_GENERATION, gen) ||
	    (serial && nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial))) {
		cpns_session_put(s);
		cpns_obj_drop(p, obj);
		cpns_session_unreserve(p);
		return cpns_reply_overflow(req, msg);
	}
	cpns_obj_replace(p, obj, &s->obj);
	return cpns_reply_send(req, msg, hdr);

err_drop:
	memzero_explicit(dk, sizeof(dk));
	cpns_obj_drop(p, obj);
	cpns_session_unreserve(p);
	nlmsg_free(msg);
	return err;
}

static struct cpns_session *cpns_req_session(struct cpns_req *req)
{
	struct cpns_session *s;

	s = cpns_session_get(&req->cn->pending,
			     nla_get_u32(req->info->attrs[CPNS_A_HANDLE]),
			     req->info->snd_portid);
	if (IS_ERR(s) && PTR_ERR(s) == -EINVAL) {
		cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_STATE, -EINVAL,
			       "handle names a pending object, not a session: finish the a-flow first");
	} else if (IS_ERR(s)) {
		cpns_handle_error(req, PTR_ERR(s));
	} else if (cpns_session_expired(s)) {
		cpns_session_put(s);
		s = ERR_PTR(-EKEYEXPIRED);
		cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_KEY_INVALID,
			       -EKEYEXPIRED,
			       "the keys this session comes from have expired (seed retired or key lifetime over): end it and authenticate again");
	}
	return s;
}

static int cpns_cmd_seal(struct cpns_req *req)
{
	struct nlattr *aad = req->info->attrs[CPNS_A_AAD];
	struct nlattr *pt = req->info->attrs[CPNS_A_DATA];
	struct cpns_session *s;
	struct nlattr *out;
	struct sk_buff *msg;
	void *hdr;
	u64 seq;
	int err;

	s = cpns_req_session(req);
	if (IS_ERR(s))
		return PTR_ERR(s);

	msg = cpns_reply_new(req, nla_total_size_64bit(sizeof(u64)) +
			     nla_total_size(nla_len(pt) + CPNS_TAG_LEN), &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
	out = nla_reserve(msg, CPNS_A_DATA, nla_len(pt) + CPNS_TAG_LEN);
	if (!out) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	err = cpns_session_seal(s, aad ? nla_data(aad) : NULL,
				aad ? nla_len(aad) : 0, nla_data(pt),
				nla_len(pt), nla_data(out), &seq);
	if (err == -EOVERFLOW) {
		nlmsg_free(msg);
		err = cpns_fail(req, CPNS_FAIL_STATE, -EINVAL,
				"send sequence numbers are exhausted: end this session and authenticate again");
		goto out;
	}
	if (err) {
		nlmsg_free(msg);
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	if (nla_put_u64_64bit(msg, CPNS_A_SEQ, seq, CPNS_A_PAD)) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
out:
	cpns_session_put(s);
	return err;
}

/*
 * The first message opened under a re-keyed session proves that GW2 holds
 * dk': the record @serial it made becomes active, unless a later re-key
 * replaced it meanwhile. Return: true with *@active the serial of the
 * active record, or false if nothing changed.
 */
static bool cpns_open_confirm(struct cpns_req *req, struct cpns_session *s,
			      key_serial_t serial, key_serial_t *active)
{
	struct cpns_key_info ri;
	struct key *rec;
	int err;

	rec = cpns_key_lookup(&req->cn->keys, CPNS_KEY_DEVICE, s->did, &ri);
	if (IS_ERR(rec))
		return false;
	err = -ENOKEY;
	if (ri.serial == serial && ri.state == CPNS_STATE_UNCONFIRMED)
		err = cpns_key_set_state(&req->cn->keys, rec, CPNS_STATE_ACTIVE,
					 active);
	key_put(rec);
	if (err)
		pr_debug("re-keyed record %d not confirmed: %d\n", serial, err);
	return !err;
}

static int cpns_cmd_open(struct cpns_req *req)
{
	struct nlattr *aad = req->info->attrs[CPNS_A_AAD];
	struct nlattr *ct = req->info->attrs[CPNS_A_DATA];
	unsigned int ptlen = nla_len(ct) - CPNS_TAG_LEN;
	struct cpns_session *s;
	key_serial_t serial;
	struct nlattr *out;
	struct sk_buff *msg;
	void *hdr;
	int err;

	s = cpns_req_session(req);
	if (IS_ERR(s))
		return PTR_ERR(s);

	msg = cpns_reply_new(req, nla_total_size(ptlen) +
			     nla_total_size(sizeof(u32)) +
			     nla_total_size(sizeof(u8)), &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
	out = nla_reserve(msg, CPNS_A_DATA, ptlen);
	if (!out) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	err = cpns_session_open(s, nla_get_u64(req->info->attrs[CPNS_A_SEQ]),
				aad ? nla_data(aad) : NULL,
				aad ? nla_len(aad) : 0, nla_data(ct),
				nla_len(ct), nla_data(out));
	if (err) {
		nlmsg_free(msg);
		switch (err) {
		case -EALREADY:
			err = cpns_fail_attr(req, CPNS_A_SEQ, CPNS_FAIL_REPLAY,
					     err,
					     "sequence number already passed: replayed or reordered message refused");
			break;
		case -EBADMSG:
			err = cpns_fail_attr(req, CPNS_A_DATA,
					     CPNS_FAIL_BAD_MAC, err,
					     "the message does not authenticate (wrong session, sequence number or additional data, or altered)");
			break;
		case -EINVAL:
			err = cpns_fail_attr(req, CPNS_A_SEQ,
					     CPNS_FAIL_INVALID, err,
					     "sequence number out of range");
			break;
		default:
			err = cpns_crypto_failed(req, err);
			break;
		}
		goto out;
	}
	serial = cpns_session_take_confirm(s);
	if (serial && cpns_open_confirm(req, s, serial, &serial) &&
	    (nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial) ||
	     nla_put_u8(msg, CPNS_A_STATE, CPNS_STATE_ACTIVE))) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
out:
	cpns_session_put(s);
	return err;
}

static int cpns_cmd_session_del(struct cpns_req *req)
{
	int err;

	err = cpns_obj_del(&req->cn->pending,
			   nla_get_u32(req->info->attrs[CPNS_A_HANDLE]),
			   req->info->snd_portid);
	if (err)
		return cpns_handle_error(req, err);
	return 0;
}

/* Dispatch. */

struct cpns_handler {
	int (*doit)(struct cpns_req *req);
	u8 required[CPNS_MAX_REQUIRED];		/* ends at 0 */
};

static const struct cpns_handler cpns_handlers[__CPNS_CMD_MAX] = {
	[CPNS_CMD_GET_INFO] = { cpns_cmd_get_info },
	[CPNS_CMD_GET_STATS] = { cpns_cmd_get_stats },
	[CPNS_CMD_KEY_DEL] = { cpns_cmd_key_del },
	[CPNS_CMD_SEED_NEW] = { cpns_cmd_seed_new },
	[CPNS_CMD_XFER_NEW] = { cpns_cmd_xfer_new },
	[CPNS_CMD_SEED_EXPORT] = { cpns_cmd_seed_export, {
		CPNS_A_SEED_ID, CPNS_A_PUBKEY } },
	[CPNS_CMD_SEED_IMPORT] = { cpns_cmd_seed_import, {
		CPNS_A_HANDLE, CPNS_A_SEED_ID, CPNS_A_PUBKEY,
		CPNS_A_WRAPPED } },
	[CPNS_CMD_ASSIGN_REQUEST] = { cpns_cmd_assign_request, {
		CPNS_A_SEED_ID } },
	[CPNS_CMD_ASSIGN_CHALLENGE] = { cpns_cmd_assign_challenge, {
		CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE, CPNS_A_REQUEST_MAC } },
	[CPNS_CMD_ASSIGN_DERIVE] = { cpns_cmd_assign_derive, {
		CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE, CPNS_A_CHALLENGE,
		CPNS_A_CHALLENGE_MAC } },
	[CPNS_CMD_ASSIGN_CONFIRM] = { cpns_cmd_assign_confirm, {
		CPNS_A_DEVICE_ID, CPNS_A_REQUEST_NONCE } },
	[CPNS_CMD_ASSIGN_VERIFY] = { cpns_cmd_assign_verify, {
		CPNS_A_DEVICE_ID, CPNS_A_CONFIRM } },
	[CPNS_CMD_DEVICE_EXPORT] = { cpns_cmd_device_export, {
		CPNS_A_DEVICE_ID, CPNS_A_PUBKEY } },
	[CPNS_CMD_DEVICE_IMPORT] = { cpns_cmd_device_import, {
		CPNS_A_HANDLE, CPNS_A_DEVICE_ID, CPNS_A_PUBKEY,
		CPNS_A_WRAPPED } },
	[CPNS_CMD_AUTH_BEGIN] = { cpns_cmd_auth_begin, {
		CPNS_A_DEVICE_ID } },
	[CPNS_CMD_AUTH_CHALLENGE] = { cpns_cmd_auth_challenge, {
		CPNS_A_DEVICE_ID, CPNS_A_CLIENT_NONCE } },
	[CPNS_CMD_AUTH_CLIENT] = { cpns_cmd_auth_client, {
		CPNS_A_HANDLE, CPNS_A_SERVER_NONCE } },
	[CPNS_CMD_AUTH_SERVER] = { cpns_cmd_auth_server, {
		CPNS_A_HANDLE, CPNS_A_CLIENT_MAC } },
	[CPNS_CMD_AUTH_FINISH] = { cpns_cmd_auth_finish, {
		CPNS_A_HANDLE, CPNS_A_SERVER_MAC } },
	[CPNS_CMD_SEAL] = { cpns_cmd_seal, {
		CPNS_A_HANDLE, CPNS_A_DATA } },
	[CPNS_CMD_OPEN] = { cpns_cmd_open, {
		CPNS_A_HANDLE, CPNS_A_SEQ, CPNS_A_DATA } },
	[CPNS_CMD_SESSION_DEL] = { cpns_cmd_session_del, {
		CPNS_A_HANDLE } },
	[CPNS_CMD_KEY_WRAP] = { cpns_cmd_key_wrap, {
		CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC } },
	[CPNS_CMD_KEY_UNWRAP] = { cpns_cmd_key_unwrap, {
		CPNS_A_BLOB, CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC } },
	[CPNS_CMD_KEY_REVOKE] = { cpns_cmd_key_revoke },
	[CPNS_CMD_XFER_CODE] = { cpns_cmd_xfer_code, {
		CPNS_A_HANDLE, CPNS_A_KEY_KIND, CPNS_A_PUBKEY } },
	[CPNS_CMD_XFER_PAIR] = { cpns_cmd_xfer_pair, {
		CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC, CPNS_A_KEY_KIND,
		CPNS_A_PUBKEY, CPNS_A_PEER_PUBKEY } },
	[CPNS_CMD_KEY_RETIRE] = { cpns_cmd_key_retire, { CPNS_A_SEED_ID } },
};

static void cpns_wipe_attr(const struct nlattr *attr)
{
	if (attr)
		memzero_explicit(nla_data(attr), nla_len(attr));
}

/* Secrets that came in a request do not outlive it. */
static void cpns_wipe_request(struct genl_info *info)
{
	if (info->genlhdr->cmd == CPNS_CMD_SEAL)
		cpns_wipe_attr(info->attrs[CPNS_A_DATA]);
}

static int cpns_nl_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	const struct cpns_handler *h = &cpns_handlers[cmd];
	struct cpns_req req = {
		.info = info,
		.cn = cpns_net(genl_info_net(info)),
	};
	int err = 0, i;

	for (i = 0; i < CPNS_MAX_REQUIRED && h->required[i]; i++) {
		if (GENL_REQ_ATTR_CHECK(info, h->required[i])) {
			cpns_missing_msg(info, h->required[i]);
			req.fail = CPNS_FAIL_INVALID;
			err = -EINVAL;
			break;
		}
	}
	if (!err)
		err = h->doit(&req);

	cpns_wipe_request(info);
	if (err && !req.fail)
		req.fail = cpns_stats_reason(err);
	cpns_stats_count(&req.cn->stats, cmd, err ? req.fail : 0);
	return err;
}

#define CPNS_OP(_cmd, _policy) {					\
	.cmd = (_cmd),							\
	.doit = cpns_nl_doit,						\
	.policy = (_policy),						\
	.maxattr = CPNS_A_MAX,						\
	.flags = GENL_UNS_ADMIN_PERM,					\
}

static const struct genl_ops cpns_genl_ops[] = {
	{
		/* The one command that needs no privilege. */
		.cmd = CPNS_CMD_GET_INFO,
		.doit = cpns_nl_doit,
		.policy = cpns_none_policy,
		.maxattr = CPNS_A_MAX,
	},
	CPNS_OP(CPNS_CMD_GET_STATS, cpns_none_policy),
	{
		.cmd = CPNS_CMD_KEY_GET,
		.dumpit = cpns_nl_key_get_dumpit,
		.policy = cpns_none_policy,
		.maxattr = CPNS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	CPNS_OP(CPNS_CMD_KEY_DEL, cpns_key_del_policy),
	CPNS_OP(CPNS_CMD_SEED_NEW, cpns_seed_new_policy),
	CPNS_OP(CPNS_CMD_XFER_NEW, cpns_none_policy),
	CPNS_OP(CPNS_CMD_SEED_EXPORT, cpns_seed_export_policy),
	CPNS_OP(CPNS_CMD_SEED_IMPORT, cpns_seed_import_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_REQUEST, cpns_assign_request_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_CHALLENGE, cpns_assign_challenge_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_DERIVE, cpns_assign_derive_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_CONFIRM, cpns_assign_confirm_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_VERIFY, cpns_assign_verify_policy),
	CPNS_OP(CPNS_CMD_DEVICE_EXPORT, cpns_device_export_policy),
	CPNS_OP(CPNS_CMD_DEVICE_IMPORT, cpns_device_import_policy),
	CPNS_OP(CPNS_CMD_AUTH_BEGIN, cpns_auth_begin_policy),
	CPNS_OP(CPNS_CMD_AUTH_CHALLENGE, cpns_auth_challenge_policy),
	CPNS_OP(CPNS_CMD_AUTH_CLIENT, cpns_auth_client_policy),
	CPNS_OP(CPNS_CMD_AUTH_SERVER, cpns_auth_server_policy),
	CPNS_OP(CPNS_CMD_AUTH_FINISH, cpns_auth_finish_policy),
	CPNS_OP(CPNS_CMD_SEAL, cpns_seal_policy),
	CPNS_OP(CPNS_CMD_OPEN, cpns_open_policy),
	CPNS_OP(CPNS_CMD_SESSION_DEL, cpns_session_del_policy),
	CPNS_OP(CPNS_CMD_KEY_WRAP, cpns_key_wrap_policy),
	CPNS_OP(CPNS_CMD_KEY_UNWRAP, cpns_key_unwrap_policy),
	CPNS_OP(CPNS_CMD_KEY_REVOKE, cpns_key_revoke_policy),
	CPNS_OP(CPNS_CMD_XFER_CODE, cpns_xfer_code_policy),
	CPNS_OP(CPNS_CMD_XFER_PAIR, cpns_xfer_pair_policy),
	CPNS_OP(CPNS_CMD_KEY_RETIRE, cpns_key_retire_policy),
};

/*
 * resv_start_op stays 0: every command, from the first, gets the strict
 * treatment of new families (reserved header fields and unknown
 * nlmsg_flags refused, attributes validated strictly, none accepted
 * without a policy).
 */
static struct genl_family cpns_genl_family __ro_after_init = {
	.name = CPNS_GENL_NAME,
	.version = CPNS_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.resv_start_op = 0,
	.ops = cpns_genl_ops,
	.n_ops = ARRAY_SIZE(cpns_genl_ops),
	.module = THIS_MODULE,
};

int __init cpns_genl_register(void)
{
	/* Every command number but 5 and 30, which are not used. */
	BUILD_BUG_ON(ARRAY_SIZE(cpns_genl_ops) != CPNS_CMD_MAX - 2);
	return genl_register_family(&cpns_genl_family);
}

void cpns_genl_unregister(void)
{
	genl_unregister_family(&cpns_genl_family);
}

static int cpns_netlink_notify(struct notifier_block *nb, unsigned long state,
			       void *data)
{
	struct netlink_notify *n = data;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	cpns_pending_release(&cpns_net(n->net)->pending, n->portid);
	return NOTIFY_DONE;
}

struct notifier_block cpns_netlink_notifier = {
	.notifier_call = cpns_netlink_notify,
};
