// SPDX-License-Identifier: GPL-2.0
/*
 * cpns_kat.ko: the Generic Netlink family "cpns_kat"
 * (include/uapi/linux/cpns_kat.h, Documentation/kat.rst). It computes one
 * CPNS-KA-1 vector, or one vector of an extension (transfer, re-key,
 * storage), on inputs the caller chooses, through cpns.ko's own functions
 * (kat.c, exported in the CPNS namespace). cpnsctl kat and the selftests
 * compare every vector file with it. A test module: cpns.ko does not
 * offer these commands.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/cpns_kat.h>

#include "kat.h"
#include "primitives.h"

static struct genl_family cpns_kat_family;

static const struct nla_policy cpns_kat_aead_policy[CPNS_AEAD_A_MAX + 1] = {
	[CPNS_AEAD_A_DIR] = NLA_POLICY_MAX(NLA_U8, CPNS_DIR_S2C),
	[CPNS_AEAD_A_SEQ] = { .type = NLA_U64 },
	[CPNS_AEAD_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD },
	[CPNS_AEAD_A_DATA] = { .type = NLA_BINARY, .len = CPNS_MAX_PLAINTEXT },
};

static const struct nla_policy cpns_kat_policy[CPNS_KAT_A_MAX + 1] = {
	[CPNS_A_KAT_KEY_SEED] = NLA_POLICY_EXACT_LEN(CPNS_SEED_LEN),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_CHALLENGE] = NLA_POLICY_EXACT_LEN(CPNS_CHALLENGE_LEN),
	[CPNS_A_CLIENT_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_SERVER_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_KAT_AEAD] = NLA_POLICY_NESTED(cpns_kat_aead_policy),
};

/* Times of the storage vectors: what a time64_t holds. */
static struct netlink_range_validation cpns_kat_time_range = {
	.min = 0,
	.max = TIME64_MAX,
};

static const struct nla_policy cpns_kat_ext_policy[CPNS_KAT_A_MAX + 1] = {
	[CPNS_A_KAT_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KAT_XFER,
					     CPNS_KAT_STORE),
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KEY_SEED,
					     CPNS_KEY_DEVICE),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KAT_SECRET] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_KAT_PEER_SECRET] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_KAT_KEY] = NLA_POLICY_EXACT_LEN(CPNS_KEY_LEN),
	[CPNS_A_KAT_KEK] = NLA_POLICY_RANGE(NLA_BINARY, CPNS_KEYREF_MIN_LEN,
					    CPNS_MAX_KAT_KEK),
	[CPNS_A_GENERATION] = { .type = NLA_U32 },
	[CPNS_A_CLIENT_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_SERVER_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_KAT_AEAD] = NLA_POLICY_NESTED(cpns_kat_aead_policy),
	[CPNS_A_ROLE] = NLA_POLICY_RANGE(NLA_U8, CPNS_ROLE_SERVER,
					 CPNS_ROLE_GW2),
	[CPNS_A_STATE] = NLA_POLICY_RANGE(NLA_U8, CPNS_STATE_ACTIVE,
					  CPNS_STATE_UNCONFIRMED),
	[CPNS_A_KAT_CREATED] = NLA_POLICY_FULL_RANGE(NLA_U64,
						     &cpns_kat_time_range),
	[CPNS_A_EXPIRY] = NLA_POLICY_FULL_RANGE(NLA_U64, &cpns_kat_time_range),
	[CPNS_A_KAT_SALT] = NLA_POLICY_EXACT_LEN(CPNS_BLOB_SALT_LEN),
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL },
};

/* The extack message of a missing required attribute. */
static const char *const cpns_kat_missing[CPNS_KAT_A_MAX + 1] = {
	[CPNS_A_KAT_KEY_SEED] = "missing CPNS_A_KAT_KEY_SEED (test Key Seed, 32 bytes)",
	[CPNS_A_SEED_ID] = "missing CPNS_A_SEED_ID (Seed ID, 8 bytes)",
	[CPNS_A_DEVICE_ID] = "missing CPNS_A_DEVICE_ID (Device ID, 16 bytes)",
	[CPNS_A_REQUEST_NONCE] = "missing CPNS_A_REQUEST_NONCE (n1, 16 bytes)",
	[CPNS_A_CHALLENGE] = "missing CPNS_A_CHALLENGE (ch, 16 bytes)",
	[CPNS_A_CLIENT_NONCE] = "missing CPNS_A_CLIENT_NONCE (nc, 16 bytes)",
	[CPNS_A_SERVER_NONCE] = "missing CPNS_A_SERVER_NONCE (ns, 16 bytes)",
	[CPNS_A_KEY_KIND] = "missing CPNS_A_KEY_KIND (1 seed, 2 device)",
	[CPNS_A_KAT_KIND] = "missing CPNS_A_KAT_KIND (1 xfer, 2 rekey, 3 store)",
	[CPNS_A_KAT_SECRET] = "missing CPNS_A_KAT_SECRET (X25519 secret, 32 bytes)",
	[CPNS_A_KAT_PEER_SECRET] = "missing CPNS_A_KAT_PEER_SECRET (X25519 secret, 32 bytes)",
	[CPNS_A_KAT_KEY] = "missing CPNS_A_KAT_KEY (test key, 32 bytes)",
	[CPNS_A_KAT_KEK] = "missing CPNS_A_KAT_KEK (KEK or pairing key)",
	[CPNS_A_KAT_SALT] = "missing CPNS_A_KAT_SALT (16 bytes)",
	[CPNS_A_KAT_CREATED] = "missing CPNS_A_KAT_CREATED (u64 seconds)",
};

/* The first of @types (ending at 0) missing from @info: -EINVAL, or 0. */
static int cpns_kat_require(struct genl_info *info, const u8 *types)
{
	for (; *types; types++) {
		if (!GENL_REQ_ATTR_CHECK(info, *types))
			continue;
		/* NL_SET_ERR_MSG() takes literals only; these are static. */
		if (info->extack)
			info->extack->_msg = cpns_kat_missing[*types] ?:
					     "missing a required attribute";
		return -EINVAL;
	}
	return 0;
}

static const u8 *cpns_kat_data(struct genl_info *info, int type)
{
	return nla_data(info->attrs[type]);
}

/* The Seed ID or Device ID that CPNS_A_KEY_KIND names, or NULL. */
static const u8 *cpns_kat_kind_id(struct genl_info *info,
				  enum cpns_key_kind *kind, unsigned int *len)
{
	static const u8 need_kind[] = { CPNS_A_KEY_KIND, 0 };
	static const u8 need_sid[] = { CPNS_A_SEED_ID, 0 };
	static const u8 need_did[] = { CPNS_A_DEVICE_ID, 0 };

	if (cpns_kat_require(info, need_kind))
		return NULL;
	*kind = nla_get_u8(info->attrs[CPNS_A_KEY_KIND]);
	if (*kind == CPNS_KEY_SEED) {
		*len = CPNS_SEED_ID_LEN;
		return cpns_kat_require(info, need_sid) ? NULL :
			cpns_kat_data(info, CPNS_A_SEED_ID);
	}
	*len = CPNS_DEVICE_ID_LEN;
	return cpns_kat_require(info, need_did) ? NULL :
		cpns_kat_data(info, CPNS_A_DEVICE_ID);
}

static int cpns_kat_nomem(struct genl_info *info)
{
	GENL_SET_ERR_MSG(info, "out of memory");
	return -ENOMEM;
}

static int cpns_kat_crypto_failed(struct genl_info *info, int err)
{
	GENL_SET_ERR_MSG(info, "kernel crypto API failure: see dmesg");
	return err;
}

static struct sk_buff *cpns_kat_reply_new(struct genl_info *info,
					  size_t size, void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(size, GFP_KERNEL);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put_reply(msg, info, &cpns_kat_family, 0,
				 info->genlhdr->cmd);
	if (!*hdr) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int cpns_kat_reply_send(struct genl_info *info, struct sk_buff *msg,
			       void *hdr)
{
	int err;

	genlmsg_end(msg, hdr);
	err = genlmsg_reply(msg, info);
	if (err)
		GENL_SET_ERR_MSG(info, "could not queue the reply on the socket");
	return err;
}

static int cpns_kat_overflow(struct genl_info *info, struct sk_buff *msg)
{
	nlmsg_free(msg);
	WARN_ON_ONCE(1);
	GENL_SET_ERR_MSG(info, "reply does not fit (bug)");
	return -EMSGSIZE;
}

/* Check the CPNS_A_KAT_AEAD entries; add the reply space they need. */
static int cpns_kat_aead_check(struct genl_info *info, size_t *size)
{
	struct nlattr *tb[CPNS_AEAD_A_MAX + 1];
	struct nlattr *attr;
	int n = 0, rem, err;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != CPNS_A_KAT_AEAD)
			continue;
		if (++n > CPNS_MAX_KAT_AEAD) {
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "too many CPNS_A_KAT_AEAD entries (at most "
					    __stringify(CPNS_MAX_KAT_AEAD) ")");
			return -EINVAL;
		}
		err = nla_parse_nested(tb, CPNS_AEAD_A_MAX, attr,
				       cpns_kat_aead_policy, info->extack);
		if (err)
			return err;
		if (NL_REQ_ATTR_CHECK(info->extack, attr, tb, CPNS_AEAD_A_DIR) ||
		    NL_REQ_ATTR_CHECK(info->extack, attr, tb, CPNS_AEAD_A_SEQ) ||
		    NL_REQ_ATTR_CHECK(info->extack, attr, tb, CPNS_AEAD_A_DATA)) {
			GENL_SET_ERR_MSG(info,
					 "CPNS_A_KAT_AEAD entry needs CPNS_AEAD_A_DIR, CPNS_AEAD_A_SEQ and CPNS_AEAD_A_DATA");
			return -EINVAL;
		}
		*size += nla_total_size(nla_total_size(sizeof(u8)) +
					nla_total_size_64bit(sizeof(u64)) +
					nla_total_size(nla_len(tb[CPNS_AEAD_A_DATA]) +
						       CPNS_TAG_LEN));
	}
	return 0;
}

/* One sealed CPNS_A_KAT_AEAD entry of the reply for the request's @attr. */
static int cpns_kat_seal_one(struct sk_buff *msg, const struct nlattr *attr,
			     struct crypto_aead **tfm,
			     const struct cpns_session_keys *sk)
{
	struct nlattr *tb[CPNS_AEAD_A_MAX + 1];
	const struct nlattr *aad, *pt;
	struct nlattr *nest, *out;
	u64 seq;
	int err;
	u8 dir;

	err = nla_parse_nested(tb, CPNS_AEAD_A_MAX, attr,
			       cpns_kat_aead_policy, NULL);
	if (err)
		return err;
	dir = nla_get_u8(tb[CPNS_AEAD_A_DIR]);
	seq = nla_get_u64(tb[CPNS_AEAD_A_SEQ]);
	aad = tb[CPNS_AEAD_A_AAD];
	pt = tb[CPNS_AEAD_A_DATA];

	if (!tfm[dir]) {
		tfm[dir] = cpns_aead_new(dir == CPNS_DIR_S2C ? sk->s2c :
							       sk->c2s);
		if (IS_ERR(tfm[dir])) {
			err = PTR_ERR(tfm[dir]);
			tfm[dir] = NULL;
			return err;
		}
	}

	nest = nla_nest_start(msg, CPNS_A_KAT_AEAD);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(msg, CPNS_AEAD_A_DIR, dir) ||
	    nla_put_u64_64bit(msg, CPNS_AEAD_A_SEQ, seq, CPNS_AEAD_A_PAD))
		return -EMSGSIZE;
	out = nla_reserve(msg, CPNS_AEAD_A_DATA, nla_len(pt) + CPNS_TAG_LEN);
	if (!out)
		return -EMSGSIZE;
	err = cpns_seal(tfm[dir], seq, aad ? nla_data(aad) : NULL,
			aad ? nla_len(aad) : 0, nla_data(pt), nla_len(pt),
			nla_data(out));
	if (err)
		return err;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * Seal each CPNS_A_KAT_AEAD entry of the request with @sk into the reply
 * @msg, then send it. @msg is consumed.
 */
static int cpns_kat_put_aead(struct genl_info *info, struct sk_buff *msg,
			     void *hdr, const struct cpns_session_keys *sk)
{
	struct crypto_aead *tfm[2] = { NULL, NULL };
	struct nlattr *attr;
	int rem, err = 0;

	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != CPNS_A_KAT_AEAD)
			continue;
		err = cpns_kat_seal_one(msg, attr, tfm, sk);
		if (err)
			break;
	}
	if (tfm[CPNS_DIR_C2S])
		cpns_aead_free(tfm[CPNS_DIR_C2S]);
	if (tfm[CPNS_DIR_S2C])
		cpns_aead_free(tfm[CPNS_DIR_S2C]);

	if (err == -EMSGSIZE)
		return cpns_kat_overflow(info, msg);
	if (err) {
		nlmsg_free(msg);
		return cpns_kat_crypto_failed(info, err);
	}
	return cpns_kat_reply_send(info, msg, hdr);
}

/* The session keys and the sealed AEAD entries end @msg; send it. */
static int cpns_kat_put_session(struct genl_info *info, struct sk_buff *msg,
				void *hdr, const struct cpns_session_keys *sk)
{
	if (nla_put(msg, CPNS_A_KAT_SESSION_KEY_C2S, CPNS_KEY_LEN, sk->c2s) ||
	    nla_put(msg, CPNS_A_KAT_SESSION_KEY_S2C, CPNS_KEY_LEN, sk->s2c))
		return cpns_kat_overflow(info, msg);
	return cpns_kat_put_aead(info, msg, hdr, sk);
}

/* CPNS_KAT_CMD_KAT: the whole profile. */

struct cpns_kat_buf {
	struct cpns_kat_in in;
	struct cpns_kat_out out;
};

static int cpns_kat_profile_reply(struct genl_info *info, size_t size,
				  const struct cpns_kat_out *out)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cpns_kat_reply_new(info, size, &hdr);
	if (!msg)
		return cpns_kat_nomem(info);
	if (nla_put(msg, CPNS_A_KAT_SEED_AUTH_KEY, CPNS_KEY_LEN, out->ska) ||
	    nla_put(msg, CPNS_A_REQUEST_MAC, CPNS_MAC_LEN, out->request_mac) ||
	    nla_put(msg, CPNS_A_CHALLENGE_MAC, CPNS_MAC_LEN,
		    out->challenge_mac) ||
	    nla_put(msg, CPNS_A_DEVICE_ID, CPNS_DEVICE_ID_LEN, out->did) ||
	    nla_put(msg, CPNS_A_KAT_DEVICE_KEY, CPNS_KEY_LEN, out->dk) ||
	    nla_put(msg, CPNS_A_CONFIRM, CPNS_MAC_LEN, out->confirm) ||
	    nla_put(msg, CPNS_A_CLIENT_MAC, CPNS_MAC_LEN, out->client_mac) ||
	    nla_put(msg, CPNS_A_SERVER_MAC, CPNS_MAC_LEN, out->server_mac))
		return cpns_kat_overflow(info, msg);
	return cpns_kat_put_session(info, msg, hdr, &out->sk);
}

static int cpns_kat_cmd_kat(struct genl_info *info)
{
	static const u8 required[] = {
		CPNS_A_KAT_KEY_SEED, CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE,
		CPNS_A_CHALLENGE, CPNS_A_CLIENT_NONCE, CPNS_A_SERVER_NONCE, 0
	};
	size_t size = 9 * nla_total_size(CPNS_KEY_LEN) +
		      nla_total_size(CPNS_DEVICE_ID_LEN);
	struct cpns_kat_buf *kb;
	struct cpns_kat_in *in;
	int err;

	err = cpns_kat_require(info, required);
	err = err ?: cpns_kat_aead_check(info, &size);
	if (err)
		return err;

	kb = kzalloc(sizeof(*kb), GFP_KERNEL);
	if (!kb)
		return cpns_kat_nomem(info);
	in = &kb->in;
	memcpy(in->seed, cpns_kat_data(info, CPNS_A_KAT_KEY_SEED),
	       CPNS_SEED_LEN);
	memcpy(in->sid, cpns_kat_data(info, CPNS_A_SEED_ID), CPNS_SEED_ID_LEN);
	memcpy(in->n1, cpns_kat_data(info, CPNS_A_REQUEST_NONCE),
	       CPNS_NONCE_LEN);
	memcpy(in->ch, cpns_kat_data(info, CPNS_A_CHALLENGE),
	       CPNS_CHALLENGE_LEN);
	memcpy(in->nc, cpns_kat_data(info, CPNS_A_CLIENT_NONCE),
	       CPNS_NONCE_LEN);
	memcpy(in->ns, cpns_kat_data(info, CPNS_A_SERVER_NONCE),
	       CPNS_NONCE_LEN);

	err = cpns_kat_run(in, &kb->out);
	if (err)
		err = cpns_kat_crypto_failed(info, err);
	else
		err = cpns_kat_profile_reply(info, size, &kb->out);
	kfree_sensitive(kb);
	return err;
}

/* CPNS_KAT_CMD_KAT_EXT: one vector of an extension. */

static int cpns_kat_ext_error(struct genl_info *info, int err)
{
	switch (err) {
	case -EKEYREJECTED:
		GENL_SET_ERR_MSG(info, "a public key of the vector is of low order");
		return err;
	case -EBADMSG:
		GENL_SET_ERR_MSG(info,
				 "the two ends of the vector disagree (their codes or keys differ)");
		return err;
	case -EINVAL:
		GENL_SET_ERR_MSG(info, "the vector's metadata is refused");
		return err;
	case -EOVERFLOW:
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[CPNS_A_GENERATION],
				    "the generation has no successor");
		return -EINVAL;
	}
	return cpns_kat_crypto_failed(info, err);
}

static int cpns_kat_xfer_reply(struct genl_info *info,
			       const struct cpns_kat_xfer *x)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cpns_kat_reply_new(info, 2 * nla_total_size(CPNS_PUBKEY_LEN) +
				 nla_total_size(CPNS_WRAPPED_LEN) +
				 2 * nla_total_size(sizeof(u32)) +
				 nla_total_size(CPNS_KEY_LEN) +
				 2 * nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_kat_nomem(info);
	if (nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, x->sender_pub) ||
	    nla_put(msg, CPNS_A_PEER_PUBKEY, CPNS_PUBKEY_LEN,
		    x->receiver_pub) ||
	    nla_put(msg, CPNS_A_WRAPPED, CPNS_WRAPPED_LEN, x->wrapped) ||
	    nla_put_u32(msg, CPNS_A_XFER_CODE, x->code) ||
	    nla_put_u32(msg, CPNS_A_KAT_PEER_CODE, x->receiver_code) ||
	    nla_put(msg, CPNS_A_KAT_KEY, CPNS_KEY_LEN, x->unwrapped) ||
	    nla_put(msg, CPNS_A_PAIR_MAC, CPNS_MAC_LEN, x->pair_mac) ||
	    nla_put(msg, CPNS_A_RECEIVER_MAC, CPNS_MAC_LEN, x->receiver_mac))
		return cpns_kat_overflow(info, msg);
	return cpns_kat_reply_send(info, msg, hdr);
}

static int cpns_kat_ext_xfer(struct genl_info *info)
{
	static const u8 required[] = {
		CPNS_A_KAT_SECRET, CPNS_A_KAT_PEER_SECRET, CPNS_A_KAT_KEY,
		CPNS_A_KAT_KEK, 0
	};
	struct nlattr **attrs = info->attrs;
	enum cpns_key_kind kind;
	struct cpns_kat_xfer *x;
	unsigned int idlen;
	const u8 *id;
	int err;

	id = cpns_kat_kind_id(info, &kind, &idlen);
	if (!id || cpns_kat_require(info, required))
		return -EINVAL;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return cpns_kat_nomem(info);
	x->kind = kind;
	memcpy(x->id, id, idlen);
	memcpy(x->sender_secret, cpns_kat_data(info, CPNS_A_KAT_SECRET),
	       CPNS_PUBKEY_LEN);
	memcpy(x->receiver_secret, cpns_kat_data(info, CPNS_A_KAT_PEER_SECRET),
	       CPNS_PUBKEY_LEN);
	memcpy(x->key, cpns_kat_data(info, CPNS_A_KAT_KEY), CPNS_KEY_LEN);
	x->pair_key = nla_data(attrs[CPNS_A_KAT_KEK]);
	x->pair_keylen = nla_len(attrs[CPNS_A_KAT_KEK]);

	err = cpns_kat_xfer(x);
	if (err)
		err = cpns_kat_ext_error(info, err);
	else
		err = cpns_kat_xfer_reply(info, x);
	kfree_sensitive(x);
	return err;
}

static int cpns_kat_rekey_reply(struct genl_info *info, size_t size,
				const struct cpns_kat_rekey *r)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cpns_kat_reply_new(info, size, &hdr);
	if (!msg)
		return cpns_kat_nomem(info);
	if (nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, r->pc) ||
	    nla_put(msg, CPNS_A_PEER_PUBKEY, CPNS_PUBKEY_LEN, r->ps) ||
	    nla_put(msg, CPNS_A_CLIENT_MAC, CPNS_MAC_LEN, r->client_mac) ||
	    nla_put(msg, CPNS_A_SERVER_MAC, CPNS_MAC_LEN, r->server_mac) ||
	    nla_put_u32(msg, CPNS_A_GENERATION, r->new_gen) ||
	    nla_put(msg, CPNS_A_KAT_DEVICE_KEY, CPNS_KEY_LEN, r->new_dk))
		return cpns_kat_overflow(info, msg);
	return cpns_kat_put_session(info, msg, hdr, &r->sk);
}

static int cpns_kat_ext_rekey(struct genl_info *info)
{
	static const u8 required[] = {
		CPNS_A_DEVICE_ID, CPNS_A_KAT_KEY, CPNS_A_GENERATION,
		CPNS_A_CLIENT_NONCE, CPNS_A_SERVER_NONCE, CPNS_A_KAT_SECRET,
		CPNS_A_KAT_PEER_SECRET, 0
	};
	size_t size = 2 * nla_total_size(CPNS_PUBKEY_LEN) +
		      2 * nla_total_size(CPNS_MAC_LEN) +
		      nla_total_size(sizeof(u32)) +
		      3 * nla_total_size(CPNS_KEY_LEN);
	struct cpns_kat_rekey *r;
	int err;

	err = cpns_kat_require(info, required);
	err = err ?: cpns_kat_aead_check(info, &size);
	if (err)
		return err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return cpns_kat_nomem(info);
	memcpy(r->did, cpns_kat_data(info, CPNS_A_DEVICE_ID),
	       CPNS_DEVICE_ID_LEN);
	memcpy(r->dk, cpns_kat_data(info, CPNS_A_KAT_KEY), CPNS_KEY_LEN);
	r->gen = nla_get_u32(info->attrs[CPNS_A_GENERATION]);
	memcpy(r->nc, cpns_kat_data(info, CPNS_A_CLIENT_NONCE),
	       CPNS_NONCE_LEN);
	memcpy(r->ns, cpns_kat_data(info, CPNS_A_SERVER_NONCE),
	       CPNS_NONCE_LEN);
	memcpy(r->client_secret, cpns_kat_data(info, CPNS_A_KAT_SECRET),
	       CPNS_PUBKEY_LEN);
	memcpy(r->server_secret, cpns_kat_data(info, CPNS_A_KAT_PEER_SECRET),
	       CPNS_PUBKEY_LEN);

	err = cpns_kat_rekey(r);
	if (err)
		err = cpns_kat_ext_error(info, err);
	else
		err = cpns_kat_rekey_reply(info, size, r);
	kfree_sensitive(r);
	return err;
}

static int cpns_kat_store_reply(struct genl_info *info, unsigned int idlen,
				const struct cpns_kat_store *s)
{
	struct sk_buff *msg;
	void *hdr;

	msg = cpns_kat_reply_new(info, nla_total_size(CPNS_MAX_BLOB) +
				 3 * nla_total_size(sizeof(u8)) +
				 nla_total_size(sizeof(u32)) +
				 2 * nla_total_size_64bit(sizeof(u64)) +
				 nla_total_size(CPNS_DEVICE_ID_LEN) +
				 nla_total_size(CPNS_KEY_LEN), &hdr);
	if (!msg)
		return cpns_kat_nomem(info);
	if (nla_put(msg, CPNS_A_BLOB, s->bloblen, s->blob) ||
	    nla_put_u8(msg, CPNS_A_KEY_KIND, s->got.kind) ||
	    nla_put_u8(msg, CPNS_A_ROLE, s->got.role) ||
	    nla_put_u8(msg, CPNS_A_STATE, s->got.state) ||
	    nla_put_u32(msg, CPNS_A_GENERATION, s->got.generation) ||
	    nla_put_u64_64bit(msg, CPNS_A_EXPIRY, s->got.expiry, CPNS_A_PAD) ||
	    nla_put_u64_64bit(msg, CPNS_A_KAT_CREATED, s->got_created,
			      CPNS_A_PAD) ||
	    nla_put(msg, s->got.kind == CPNS_KEY_SEED ? CPNS_A_SEED_ID :
							CPNS_A_DEVICE_ID,
		    idlen, s->got.id) ||
	    nla_put(msg, CPNS_A_KAT_KEY, CPNS_KEY_LEN, s->got_key))
		return cpns_kat_overflow(info, msg);
	return cpns_kat_reply_send(info, msg, hdr);
}

static int cpns_kat_ext_store(struct genl_info *info)
{
	static const u8 required[] = {
		CPNS_A_KAT_KEK, CPNS_A_ROLE, CPNS_A_STATE, CPNS_A_GENERATION,
		CPNS_A_KAT_CREATED, CPNS_A_EXPIRY, CPNS_A_KAT_SALT,
		CPNS_A_KAT_KEY, 0
	};
	struct nlattr **attrs = info->attrs;
	struct cpns_kat_store *s;
	enum cpns_key_kind kind;
	unsigned int idlen;
	const u8 *id;
	int err;

	id = cpns_kat_kind_id(info, &kind, &idlen);
	if (!id || cpns_kat_require(info, required))
		return -EINVAL;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return cpns_kat_nomem(info);
	s->kek = nla_data(attrs[CPNS_A_KAT_KEK]);
	s->keklen = nla_len(attrs[CPNS_A_KAT_KEK]);
	s->meta.kind = kind;
	s->meta.role = nla_get_u8(attrs[CPNS_A_ROLE]);
	s->meta.state = nla_get_u8(attrs[CPNS_A_STATE]);
	s->meta.generation = nla_get_u32(attrs[CPNS_A_GENERATION]);
	s->meta.expiry = (time64_t)nla_get_u64(attrs[CPNS_A_EXPIRY]);
	memcpy(s->meta.id, id, idlen);
	s->created = (time64_t)nla_get_u64(attrs[CPNS_A_KAT_CREATED]);
	memcpy(s->salt, cpns_kat_data(info, CPNS_A_KAT_SALT),
	       CPNS_BLOB_SALT_LEN);
	if (attrs[CPNS_A_LABEL]) {
		s->label = nla_data(attrs[CPNS_A_LABEL]);
		s->labellen = nla_len(attrs[CPNS_A_LABEL]);
	}
	memcpy(s->key, cpns_kat_data(info, CPNS_A_KAT_KEY), CPNS_KEY_LEN);

	err = cpns_kat_store(s);
	if (err)
		err = cpns_kat_ext_error(info, err);
	else
		err = cpns_kat_store_reply(info, idlen, s);
	kfree_sensitive(s);
	return err;
}

static int cpns_kat_cmd_kat_ext(struct genl_info *info)
{
	static const u8 required[] = { CPNS_A_KAT_KIND, 0 };

	if (cpns_kat_require(info, required))
		return -EINVAL;
	switch (nla_get_u8(info->attrs[CPNS_A_KAT_KIND])) {
	case CPNS_KAT_XFER:
		return cpns_kat_ext_xfer(info);
	case CPNS_KAT_REKEY:
		return cpns_kat_ext_rekey(info);
	case CPNS_KAT_STORE:
		return cpns_kat_ext_store(info);
	}
	/* The policy admits no other kind. */
	NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[CPNS_A_KAT_KIND],
			    "unknown CPNS_A_KAT_KIND");
	return -EINVAL;
}

static void cpns_kat_wipe_attr(const struct nlattr *attr)
{
	if (attr)
		memzero_explicit(nla_data(attr), nla_len(attr));
}

/* Secrets that came in a request do not outlive it. */
static void cpns_kat_wipe_request(struct genl_info *info)
{
	struct nlattr *tb[CPNS_AEAD_A_MAX + 1];
	struct nlattr *attr;
	int rem;

	cpns_kat_wipe_attr(info->attrs[CPNS_A_KAT_KEY_SEED]);
	cpns_kat_wipe_attr(info->attrs[CPNS_A_KAT_SECRET]);
	cpns_kat_wipe_attr(info->attrs[CPNS_A_KAT_PEER_SECRET]);
	cpns_kat_wipe_attr(info->attrs[CPNS_A_KAT_KEY]);
	cpns_kat_wipe_attr(info->attrs[CPNS_A_KAT_KEK]);
	nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != CPNS_A_KAT_AEAD ||
		    nla_parse_nested(tb, CPNS_AEAD_A_MAX, attr,
				     cpns_kat_aead_policy, NULL))
			continue;
		cpns_kat_wipe_attr(tb[CPNS_AEAD_A_DATA]);
	}
}

static int cpns_kat_doit(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	if (info->genlhdr->cmd == CPNS_KAT_CMD_KAT)
		err = cpns_kat_cmd_kat(info);
	else
		err = cpns_kat_cmd_kat_ext(info);
	cpns_kat_wipe_request(info);
	return err;
}

static const struct genl_ops cpns_kat_ops[] = {
	{
		.cmd = CPNS_KAT_CMD_KAT,
		.doit = cpns_kat_doit,
		.policy = cpns_kat_policy,
		.maxattr = CPNS_KAT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = CPNS_KAT_CMD_KAT_EXT,
		.doit = cpns_kat_doit,
		.policy = cpns_kat_ext_policy,
		.maxattr = CPNS_KAT_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/* Strict from the first command, as the cpns family (netlink.c). */
static struct genl_family cpns_kat_family __ro_after_init = {
	.name = CPNS_KAT_GENL_NAME,
	.version = CPNS_KAT_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.resv_start_op = 0,
	.ops = cpns_kat_ops,
	.n_ops = ARRAY_SIZE(cpns_kat_ops),
	.module = THIS_MODULE,
};

static int __init cpns_kat_init(void)
{
	int err;

	BUILD_BUG_ON(ARRAY_SIZE(cpns_kat_ops) != CPNS_KAT_CMD_MAX);
	err = genl_register_family(&cpns_kat_family);
	if (!err)
		pr_info("test family \"%s\" version %u ready\n",
			CPNS_KAT_GENL_NAME, CPNS_KAT_GENL_VERSION);
	return err;
}

static void __exit cpns_kat_exit(void)
{
	genl_unregister_family(&cpns_kat_family);
}

module_init(cpns_kat_init);
module_exit(cpns_kat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("cpns known-answer test family (not for production)");
MODULE_AUTHOR("cpns developers");
MODULE_IMPORT_NS(CPNS);
MODULE_ALIAS_GENL_FAMILY(CPNS_KAT_GENL_NAME);
