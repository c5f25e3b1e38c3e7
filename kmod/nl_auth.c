// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of flow a, mutual authentication: the AUTH_* commands (the
 * steps are in auth.c), and the commands on the sessions it makes: SEAL,
 * OPEN and SESSION_DEL (session.c).
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
#include "auth.h"
#include "nl.h"
#include "session.h"

/*
 * Give the new flow @f (a-0 of cpns_auth_begin() or cpns_auth_challenge())
 * a handle of this socket and reply it with the a-0 values of this end:
 * GW2's nonce, generation and Pc, or the server's nonce and Ps. @f is not
 * the caller's any more.
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

int cpns_cmd_auth_begin(struct cpns_req *req)
{
	enum cpns_reason why;
	struct cpns_flow *f;

	f = cpns_auth_begin(req->cn, cpns_data(req, CPNS_A_DEVICE_ID), &why);
	if (IS_ERR(f))
		return cpns_req_why(req, PTR_ERR(f), why, CPNS_A_DEVICE_ID);
	return cpns_flow_start(req, f);
}

int cpns_req_record_ctx(struct cpns_req *req, struct cpns_record_ctx *ctx,
			u8 **kek)
{
	struct nlattr **attrs = req->info->attrs;
	int err;

	*kek = NULL;
	ctx->label = cpns_label(req, &ctx->labellen);
	if (!attrs[CPNS_A_KEYREF_TYPE] && !attrs[CPNS_A_KEYREF_DESC])
		return 0;
	if (!attrs[CPNS_A_KEYREF_TYPE] || !attrs[CPNS_A_KEYREF_DESC])
		return cpns_fail(req, CPNS_FAIL_INVALID, -EINVAL,
				 "give both CPNS_A_KEYREF_TYPE and CPNS_A_KEYREF_DESC, or neither");
	err = cpns_req_keyref(req, true, kek, &ctx->keklen);
	ctx->kek = *kek;
	return err;
}

int cpns_cmd_auth_challenge(struct cpns_req *req)
{
	struct nlattr *gen = req->info->attrs[CPNS_A_GENERATION];
	struct nlattr *pc = req->info->attrs[CPNS_A_PUBKEY];
	struct nlattr *blob = req->info->attrs[CPNS_A_BLOB];
	struct cpns_record_ctx ctx = { };
	enum cpns_reason why;
	struct cpns_flow *f;
	u8 *kek;
	int err;

	err = cpns_req_record_ctx(req, &ctx, &kek);
	if (err)
		return err;
	f = cpns_auth_challenge(req->cn, cpns_data(req, CPNS_A_DEVICE_ID),
				cpns_data(req, CPNS_A_CLIENT_NONCE),
				gen ? nla_get_u32(gen) : 0,
				pc ? nla_data(pc) : NULL, &ctx,
				blob ? nla_data(blob) : NULL,
				blob ? nla_len(blob) : 0, &why);
	kfree_sensitive(kek);
	if (IS_ERR(f))
		return cpns_req_why(req, PTR_ERR(f), why, CPNS_A_DEVICE_ID);
	return cpns_flow_start(req, f);
}

static u32 cpns_handle(struct cpns_req *req)
{
	return nla_get_u32(req->info->attrs[CPNS_A_HANDLE]);
}

int cpns_cmd_auth_client(struct cpns_req *req)
{
	struct nlattr *ps = req->info->attrs[CPNS_A_PUBKEY];
	enum cpns_reason why;
	struct sk_buff *msg;
	struct nlattr *mac;
	void *hdr;
	int err;

	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);
	mac = nla_reserve(msg, CPNS_A_CLIENT_MAC, CPNS_MAC_LEN);
	if (!mac)
		return cpns_reply_overflow(req, msg);
	err = cpns_auth_client(req->cn, cpns_handle(req),
			       req->info->snd_portid,
			       cpns_data(req, CPNS_A_SERVER_NONCE),
			       ps ? nla_data(ps) : NULL, nla_data(mac), &why);
	if (err) {
		nlmsg_free(msg);
		return cpns_req_why(req, err, why, 0);
	}
	return cpns_reply_send(req, msg, hdr);
}

/* The reply of AUTH_SERVER (@server) or AUTH_FINISH. */
static int cpns_auth_put(struct sk_buff *msg, const struct cpns_auth_end *end,
			 bool server)
{
	return (server &&
		nla_put(msg, CPNS_A_SERVER_MAC, CPNS_MAC_LEN, end->mac)) ||
	       nla_put_u32(msg, CPNS_A_GENERATION, end->gen) ||
	       (end->serial &&
		nla_put_s32(msg, CPNS_A_KEY_SERIAL, end->serial)) ||
	       (end->blob_len &&
		(nla_put(msg, CPNS_A_BLOB, end->blob_len, end->blob) ||
		 nla_put_u8(msg, CPNS_A_STATE, end->state)));
}

/* AUTH_SERVER (@server) or AUTH_FINISH: the last step of a flow. */
static int cpns_auth_last(struct cpns_req *req, bool server)
{
	size_t size = 2 * nla_total_size(sizeof(u32));
	u32 portid = req->info->snd_portid;
	struct cpns_auth_end end = { };
	enum cpns_reason why;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (server)
		size += nla_total_size(CPNS_MAC_LEN) +
			nla_total_size(CPNS_MAX_BLOB) +
			nla_total_size(sizeof(u8));
	msg = cpns_reply_new(req, size, &hdr);
	if (!msg)
		return cpns_nomem(req);
	if (server)
		err = cpns_auth_server(req->cn, cpns_handle(req), portid,
				       cpns_data(req, CPNS_A_CLIENT_MAC), &end,
				       &why);
	else
		err = cpns_auth_finish(req->cn, cpns_handle(req), portid,
				       cpns_data(req, CPNS_A_SERVER_MAC), &end,
				       &why);
	if (err) {
		nlmsg_free(msg);
		return cpns_req_why(req, err, why, 0);
	}
	if (cpns_auth_put(msg, &end, server)) {
		cpns_auth_abort(&req->cn->pending, &end);
		return cpns_reply_overflow(req, msg);
	}
	cpns_auth_commit(&req->cn->pending, &end);
	return cpns_reply_send(req, msg, hdr);
}

int cpns_cmd_auth_server(struct cpns_req *req)
{
	return cpns_auth_last(req, true);
}

int cpns_cmd_auth_finish(struct cpns_req *req)
{
	return cpns_auth_last(req, false);
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

/*
 * The sizes of the replies cpns_cmd_seal() and cpns_cmd_open() put for
 * @item on success, without OPEN's confirmation (once per re-key); 0 if
 * @item has no data to seal or open.
 */
size_t cpns_seal_reply_size(const struct nlattr *item)
{
	const struct nlattr *data = nla_find_nested(item, CPNS_A_DATA);

	if (!data)
		return 0;
	return nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(nla_len(data) + CPNS_TAG_LEN);
}

size_t cpns_open_reply_size(const struct nlattr *item)
{
	const struct nlattr *data = nla_find_nested(item, CPNS_A_DATA);

	if (!data || nla_len(data) < CPNS_TAG_LEN)
		return 0;
	return nla_total_size(nla_len(data) - CPNS_TAG_LEN) +
	       nla_total_size(sizeof(u8)) + nla_total_size(sizeof(u32));
}

int cpns_cmd_seal(struct cpns_req *req)
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
 * dk': the reply hands out, once, the re-key's record made active, for
 * the daemon to store over the unconfirmed one (rekey.rst,
 * "Confirmation").
 */
static int cpns_open_confirm(struct sk_buff *msg, struct cpns_session *s)
{
	/* Not zeroed at entry: only the @len bytes copied in are read. */
	u8 blob[CPNS_MAX_BLOB] __uninitialized;
	unsigned int len;

	len = cpns_session_take_confirm(s, blob);
	if (!len)
		return 0;
	return nla_put_u8(msg, CPNS_A_STATE, CPNS_STATE_ACTIVE) ||
	       nla_put_u32(msg, CPNS_A_GENERATION, s->generation) ||
	       nla_put(msg, CPNS_A_BLOB, len, blob);
}

int cpns_cmd_open(struct cpns_req *req)
{
	struct nlattr *aad = req->info->attrs[CPNS_A_AAD];
	struct nlattr *ct = req->info->attrs[CPNS_A_DATA];
	unsigned int ptlen = nla_len(ct) - CPNS_TAG_LEN;
	struct cpns_session *s;
	struct nlattr *out;
	struct sk_buff *msg;
	void *hdr;
	int err;

	s = cpns_req_session(req);
	if (IS_ERR(s))
		return PTR_ERR(s);

	msg = cpns_reply_new(req, nla_total_size(ptlen) +
			     nla_total_size(sizeof(u32)) +
			     nla_total_size(sizeof(u8)) +
			     nla_total_size(CPNS_MAX_BLOB), &hdr);
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
	if (cpns_open_confirm(msg, s)) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	err = cpns_reply_send(req, msg, hdr);
out:
	cpns_session_put(s);
	return err;
}

int cpns_cmd_session_del(struct cpns_req *req)
{
	int err;

	err = cpns_obj_del(&req->cn->pending,
			   nla_get_u32(req->info->attrs[CPNS_A_HANDLE]),
			   req->info->snd_portid);
	if (err)
		return cpns_handle_error(req, err);
	return 0;
}
