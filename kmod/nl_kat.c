// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of the test commands KAT and KAT_EXT (kat.c).
 */

#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/cpns.h>
#include "kat.h"
#include "keys.h"
#include "netns.h"
#include "nl.h"
#include "compat.h"
#include "nl_gen.h"
#include "pending.h"
#include "primitives.h"
#include "profile.h"
#include "rekey.h"
#include "session.h"
#include "stats.h"
#include "wrap.h"
#include "xfer.h"

/* KAT: the whole profile on caller-chosen inputs; nothing is stored. */

struct cpns_kat_buf {
	struct cpns_kat_in in;
	struct cpns_kat_out out;
};

static size_t cpns_kat_reply_size(void)
{
	return 9 * nla_total_size(CPNS_KEY_LEN) +
	       nla_total_size(CPNS_DEVICE_ID_LEN);
}

/* Check the CPNS_A_KAT_AEAD entries; return the reply space they need. */
static int cpns_kat_check(struct cpns_req *req, size_t *size)
{
	struct genl_info *info = req->info;
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
			req->fail = CPNS_FAIL_INVALID;
			return -EINVAL;
		}
		err = nla_parse_nested(tb, CPNS_AEAD_A_MAX, attr,
				       cpns_aead_nl_policy, info->extack);
		if (err) {
			req->fail = CPNS_FAIL_INVALID;
			return err;
		}
		if (NL_REQ_ATTR_CHECK(info->extack, attr, tb, CPNS_AEAD_A_DIR) ||
		    NL_REQ_ATTR_CHECK(info->extack, attr, tb, CPNS_AEAD_A_SEQ) ||
		    NL_REQ_ATTR_CHECK(info->extack, attr, tb, CPNS_AEAD_A_DATA))
			return cpns_fail(req, CPNS_FAIL_INVALID, -EINVAL,
					 "CPNS_A_KAT_AEAD entry needs CPNS_AEAD_A_DIR, CPNS_AEAD_A_SEQ and CPNS_AEAD_A_DATA");
		*size += nla_total_size(nla_total_size(sizeof(u8)) +
					nla_total_size_64bit(sizeof(u64)) +
					nla_total_size(nla_len(tb[CPNS_AEAD_A_DATA]) +
						       CPNS_TAG_LEN));
	}
	return 0;
}

static int cpns_kat_put_aead(struct cpns_req *req, struct sk_buff *msg,
			     const struct cpns_session_keys *sk)
{
	struct crypto_aead *tfm[2] = { NULL, NULL };
	struct nlattr *tb[CPNS_AEAD_A_MAX + 1];
	struct nlattr *attr, *nest, *out;
	const struct nlattr *aad, *pt;
	int rem, err = 0;
	u64 seq;
	u8 dir;

	nlmsg_for_each_attr(attr, req->info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(attr) != CPNS_A_KAT_AEAD)
			continue;
		err = nla_parse_nested(tb, CPNS_AEAD_A_MAX, attr,
				       cpns_aead_nl_policy, NULL);
		if (err)
			break;
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
				break;
			}
		}

		err = -EMSGSIZE;
		nest = nla_nest_start(msg, CPNS_A_KAT_AEAD);
		if (!nest)
			break;
		if (nla_put_u8(msg, CPNS_AEAD_A_DIR, dir) ||
		    nla_put_u64_64bit(msg, CPNS_AEAD_A_SEQ, seq,
				      CPNS_AEAD_A_PAD))
			break;
		out = nla_reserve(msg, CPNS_AEAD_A_DATA,
				  nla_len(pt) + CPNS_TAG_LEN);
		if (!out)
			break;
		err = cpns_seal(tfm[dir], seq, aad ? nla_data(aad) : NULL,
				aad ? nla_len(aad) : 0, nla_data(pt),
				nla_len(pt), nla_data(out));
		if (err)
			break;
		nla_nest_end(msg, nest);
	}

	if (tfm[CPNS_DIR_C2S])
		cpns_aead_free(tfm[CPNS_DIR_C2S]);
	if (tfm[CPNS_DIR_S2C])
		cpns_aead_free(tfm[CPNS_DIR_S2C]);
	return err;
}

int cpns_cmd_kat(struct cpns_req *req)
{
	struct cpns_kat_out *out;
	struct cpns_kat_in *in;
	struct cpns_kat_buf *kb;
	size_t size = cpns_kat_reply_size();
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = cpns_kat_check(req, &size);
	if (err)
		return err;

	kb = kzalloc(sizeof(*kb), GFP_KERNEL);
	if (!kb)
		return cpns_nomem(req);
	in = &kb->in;
	out = &kb->out;
	memcpy(in->seed, cpns_data(req, CPNS_A_KAT_KEY_SEED), CPNS_SEED_LEN);
	memcpy(in->sid, cpns_data(req, CPNS_A_SEED_ID), CPNS_SEED_ID_LEN);
	memcpy(in->n1, cpns_data(req, CPNS_A_REQUEST_NONCE), CPNS_NONCE_LEN);
	memcpy(in->ch, cpns_data(req, CPNS_A_CHALLENGE), CPNS_CHALLENGE_LEN);
	memcpy(in->nc, cpns_data(req, CPNS_A_CLIENT_NONCE), CPNS_NONCE_LEN);
	memcpy(in->ns, cpns_data(req, CPNS_A_SERVER_NONCE), CPNS_NONCE_LEN);

	err = cpns_kat_run(in, out);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out_free;
	}

	msg = cpns_reply_new(req, size, &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out_free;
	}
	if (nla_put(msg, CPNS_A_KAT_SEED_AUTH_KEY, CPNS_KEY_LEN, out->ska) ||
	    nla_put(msg, CPNS_A_REQUEST_MAC, CPNS_MAC_LEN, out->request_mac) ||
	    nla_put(msg, CPNS_A_CHALLENGE_MAC, CPNS_MAC_LEN,
		    out->challenge_mac) ||
	    nla_put(msg, CPNS_A_DEVICE_ID, CPNS_DEVICE_ID_LEN, out->did) ||
	    nla_put(msg, CPNS_A_KAT_DEVICE_KEY, CPNS_KEY_LEN, out->dk) ||
	    nla_put(msg, CPNS_A_CONFIRM, CPNS_MAC_LEN, out->confirm) ||
	    nla_put(msg, CPNS_A_CLIENT_MAC, CPNS_MAC_LEN, out->client_mac) ||
	    nla_put(msg, CPNS_A_SERVER_MAC, CPNS_MAC_LEN, out->server_mac) ||
	    nla_put(msg, CPNS_A_KAT_SESSION_KEY_C2S, CPNS_KEY_LEN,
		    out->sk.c2s) ||
	    nla_put(msg, CPNS_A_KAT_SESSION_KEY_S2C, CPNS_KEY_LEN,
		    out->sk.s2c)) {
		err = cpns_reply_overflow(req, msg);
		goto out_free;
	}

	err = cpns_kat_put_aead(req, msg, &out->sk);
	if (err == -EMSGSIZE) {
		err = cpns_reply_overflow(req, msg);
		goto out_free;
	}
	if (err) {
		nlmsg_free(msg);
		err = cpns_crypto_failed(req, err);
		goto out_free;
	}
	err = cpns_reply_send(req, msg, hdr);

out_free:
	kfree_sensitive(kb);
	return err;
}

/*
 * KAT_EXT: one vector of an extension of the profile (transfer, re-key,
 * storage) on caller-chosen inputs, through the functions the protocol
 * commands call (kat.c); nothing is stored.
 */

static const u8 *cpns_kat_ext_need(struct cpns_req *req, int type)
{
	if (GENL_REQ_ATTR_CHECK(req->info, type)) {
		cpns_missing_msg(req->info, type);
		req->fail = CPNS_FAIL_INVALID;
		return NULL;
	}
	return cpns_data(req, type);
}

static int cpns_kat_ext_error(struct cpns_req *req, int err)
{
	switch (err) {
	case -EKEYREJECTED:
		return cpns_fail(req, CPNS_FAIL_INVALID, err,
				 "a public key of the vector is of low order");
	case -EBADMSG:
		return cpns_fail(req, CPNS_FAIL_BAD_MAC, err,
				 "the two ends of the vector disagree (their codes or keys differ)");
	case -EINVAL:
		return cpns_fail(req, CPNS_FAIL_INVALID, err,
				 "the vector's metadata is refused");
	case -EOVERFLOW:
		return cpns_fail_attr(req, CPNS_A_GENERATION, CPNS_FAIL_INVALID,
				      -EINVAL, "the generation has no successor");
	}
	return cpns_crypto_failed(req, err);
}

static int cpns_kat_ext_xfer(struct cpns_req *req)
{
	struct nlattr **attrs = req->info->attrs;
	enum cpns_key_kind kind;
	struct cpns_kat_xfer *x;
	struct sk_buff *msg;
	const u8 *id;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(req->info, CPNS_A_KEY_KIND)) {
		cpns_missing_msg(req->info, CPNS_A_KEY_KIND);
		req->fail = CPNS_FAIL_INVALID;
		return -EINVAL;
	}
	id = cpns_req_kind_id(req, &kind);
	if (!id || !cpns_kat_ext_need(req, CPNS_A_KAT_SECRET) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_PEER_SECRET) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_KEY) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_KEK))
		return -EINVAL;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return cpns_nomem(req);
	x->kind = kind;
	memcpy(x->id, id, kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
						  CPNS_DEVICE_ID_LEN);
	memcpy(x->sender_secret, cpns_data(req, CPNS_A_KAT_SECRET),
	       CPNS_PUBKEY_LEN);
	memcpy(x->receiver_secret, cpns_data(req, CPNS_A_KAT_PEER_SECRET),
	       CPNS_PUBKEY_LEN);
	memcpy(x->key, cpns_data(req, CPNS_A_KAT_KEY), CPNS_KEY_LEN);
	x->pair_key = nla_data(attrs[CPNS_A_KAT_KEK]);
	x->pair_keylen = nla_len(attrs[CPNS_A_KAT_KEK]);

	err = cpns_kat_xfer(x);
	if (err) {
		err = cpns_kat_ext_error(req, err);
		goto out;
	}
	msg = cpns_reply_new(req, 2 * nla_total_size(CPNS_PUBKEY_LEN) +
			     nla_total_size(CPNS_WRAPPED_LEN) +
			     2 * nla_total_size(sizeof(u32)) +
			     nla_total_size(CPNS_KEY_LEN) +
			     nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
	if (nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, x->sender_pub) ||
	    nla_put(msg, CPNS_A_PEER_PUBKEY, CPNS_PUBKEY_LEN,
		    x->receiver_pub) ||
	    nla_put(msg, CPNS_A_WRAPPED, CPNS_WRAPPED_LEN, x->wrapped) ||
	    nla_put_u32(msg, CPNS_A_XFER_CODE, x->code) ||
	    nla_put_u32(msg, CPNS_A_KAT_PEER_CODE, x->receiver_code) ||
	    nla_put(msg, CPNS_A_KAT_KEY, CPNS_KEY_LEN, x->unwrapped) ||
	    nla_put(msg, CPNS_A_PAIR_MAC, CPNS_MAC_LEN, x->pair_mac))
		err = cpns_reply_overflow(req, msg);
	else
		err = cpns_reply_send(req, msg, hdr);
out:
	kfree_sensitive(x);
	return err;
}

static int cpns_kat_ext_rekey(struct cpns_req *req)
{
	size_t size = 2 * nla_total_size(CPNS_PUBKEY_LEN) +
		      2 * nla_total_size(CPNS_MAC_LEN) +
		      nla_total_size(sizeof(u32)) +
		      3 * nla_total_size(CPNS_KEY_LEN);
	struct cpns_kat_rekey *r;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!cpns_kat_ext_need(req, CPNS_A_DEVICE_ID) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_KEY) ||
	    !cpns_kat_ext_need(req, CPNS_A_GENERATION) ||
	    !cpns_kat_ext_need(req, CPNS_A_CLIENT_NONCE) ||
	    !cpns_kat_ext_need(req, CPNS_A_SERVER_NONCE) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_SECRET) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_PEER_SECRET))
		return -EINVAL;
	err = cpns_kat_check(req, &size);
	if (err)
		return err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return cpns_nomem(req);
	memcpy(r->did, cpns_data(req, CPNS_A_DEVICE_ID), CPNS_DEVICE_ID_LEN);
	memcpy(r->dk, cpns_data(req, CPNS_A_KAT_KEY), CPNS_KEY_LEN);
	r->gen = nla_get_u32(req->info->attrs[CPNS_A_GENERATION]);
	memcpy(r->nc, cpns_data(req, CPNS_A_CLIENT_NONCE), CPNS_NONCE_LEN);
	memcpy(r->ns, cpns_data(req, CPNS_A_SERVER_NONCE), CPNS_NONCE_LEN);
	memcpy(r->client_secret, cpns_data(req, CPNS_A_KAT_SECRET),
	       CPNS_PUBKEY_LEN);
	memcpy(r->server_secret, cpns_data(req, CPNS_A_KAT_PEER_SECRET),
	       CPNS_PUBKEY_LEN);

	err = cpns_kat_rekey(r);
	if (err) {
		err = cpns_kat_ext_error(req, err);
		goto out;
	}
	msg = cpns_reply_new(req, size, &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
	if (nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, r->pc) ||
	    nla_put(msg, CPNS_A_PEER_PUBKEY, CPNS_PUBKEY_LEN, r->ps) ||
	    nla_put(msg, CPNS_A_CLIENT_MAC, CPNS_MAC_LEN, r->client_mac) ||
	    nla_put(msg, CPNS_A_SERVER_MAC, CPNS_MAC_LEN, r->server_mac) ||
	    nla_put_u32(msg, CPNS_A_GENERATION, r->new_gen) ||
	    nla_put(msg, CPNS_A_KAT_DEVICE_KEY, CPNS_KEY_LEN, r->new_dk) ||
	    nla_put(msg, CPNS_A_KAT_SESSION_KEY_C2S, CPNS_KEY_LEN,
		    r->sk.c2s) ||
	    nla_put(msg, CPNS_A_KAT_SESSION_KEY_S2C, CPNS_KEY_LEN,
		    r->sk.s2c)) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	err = cpns_kat_put_aead(req, msg, &r->sk);
	if (err == -EMSGSIZE) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	if (err) {
		nlmsg_free(msg);
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
out:
	kfree_sensitive(r);
	return err;
}

static int cpns_kat_ext_store(struct cpns_req *req)
{
	struct nlattr **attrs = req->info->attrs;
	struct cpns_kat_store *s;
	enum cpns_key_kind kind;
	struct sk_buff *msg;
	unsigned int idlen;
	const u8 *id;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(req->info, CPNS_A_KEY_KIND)) {
		cpns_missing_msg(req->info, CPNS_A_KEY_KIND);
		req->fail = CPNS_FAIL_INVALID;
		return -EINVAL;
	}
	id = cpns_req_kind_id(req, &kind);
	if (!id || !cpns_kat_ext_need(req, CPNS_A_KAT_KEK) ||
	    !cpns_kat_ext_need(req, CPNS_A_ROLE) ||
	    !cpns_kat_ext_need(req, CPNS_A_STATE) ||
	    !cpns_kat_ext_need(req, CPNS_A_GENERATION) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_CREATED) ||
	    !cpns_kat_ext_need(req, CPNS_A_EXPIRY) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_SALT) ||
	    !cpns_kat_ext_need(req, CPNS_A_KAT_KEY))
		return -EINVAL;
	idlen = kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN : CPNS_DEVICE_ID_LEN;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return cpns_nomem(req);
	s->kek = nla_data(attrs[CPNS_A_KAT_KEK]);
	s->keklen = nla_len(attrs[CPNS_A_KAT_KEK]);
	s->meta.kind = kind;
	s->meta.role = nla_get_u8(attrs[CPNS_A_ROLE]);
	s->meta.state = nla_get_u8(attrs[CPNS_A_STATE]);
	s->meta.generation = nla_get_u32(attrs[CPNS_A_GENERATION]);
	s->meta.expiry = (time64_t)nla_get_u64(attrs[CPNS_A_EXPIRY]);
	memcpy(s->meta.id, id, idlen);
	s->created = (time64_t)nla_get_u64(attrs[CPNS_A_KAT_CREATED]);
	memcpy(s->salt, cpns_data(req, CPNS_A_KAT_SALT), CPNS_BLOB_SALT_LEN);
	s->label = cpns_label(req, &s->labellen);
	memcpy(s->key, cpns_data(req, CPNS_A_KAT_KEY), CPNS_KEY_LEN);

	err = cpns_kat_store(s);
	if (err) {
		err = cpns_kat_ext_error(req, err);
		goto out;
	}
	msg = cpns_reply_new(req, nla_total_size(CPNS_MAX_BLOB) +
			     3 * nla_total_size(sizeof(u8)) +
			     nla_total_size(sizeof(u32)) +
			     2 * nla_total_size_64bit(sizeof(u64)) +
			     nla_total_size(CPNS_DEVICE_ID_LEN) +
			     nla_total_size(CPNS_KEY_LEN), &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
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
		err = cpns_reply_overflow(req, msg);
	else
		err = cpns_reply_send(req, msg, hdr);
out:
	kfree_sensitive(s);
	return err;
}

int cpns_cmd_kat_ext(struct cpns_req *req)
{
	switch (nla_get_u8(req->info->attrs[CPNS_A_KAT_KIND])) {
	case CPNS_KAT_XFER:
		return cpns_kat_ext_xfer(req);
	case CPNS_KAT_REKEY:
		return cpns_kat_ext_rekey(req);
	case CPNS_KAT_STORE:
		return cpns_kat_ext_store(req);
	}
	/* The policy admits no other kind. */
	return cpns_fail_attr(req, CPNS_A_KAT_KIND, CPNS_FAIL_INVALID, -EINVAL,
			      "unknown CPNS_A_KAT_KIND");
}
