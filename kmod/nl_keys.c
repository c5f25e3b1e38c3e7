// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of the key commands: GET_INFO, GET_STATS, KEY_GET, KEY_DEL,
 * KEY_WRAP, KEY_UNWRAP, KEY_REVOKE, KEY_RETIRE and SEED_NEW.
 */

#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/cpns.h>
#include "nl.h"
#include "record.h"
#include "step.h"
#include "stats.h"
#include "session.h"
#include "wrap.h"

/* Information. */

int cpns_cmd_get_info(struct cpns_req *req)
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

int cpns_cmd_get_stats(struct cpns_req *req)
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

	idlen = cpns_id_len(ki->kind);
	if (nla_put_s32(skb, CPNS_A_KEY_SERIAL, ki->serial) ||
	    nla_put_u8(skb, CPNS_A_KEY_KIND, ki->kind) ||
	    nla_put(skb, ki->kind == CPNS_KEY_SEED ? CPNS_A_SEED_ID :
						      CPNS_A_DEVICE_ID,
		    idlen, ki->id) ||
	    nla_put_u8(skb, CPNS_A_ROLE, ki->role) ||
	    nla_put_u8(skb, CPNS_A_STATE, ki->state) ||
	    nla_put_u32(skb, CPNS_A_GENERATION, ki->generation) ||
	    (ki->self && nla_put_flag(skb, CPNS_A_SELF_ASSIGNED)) ||
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
int cpns_nl_key_get_dumpit(struct sk_buff *skb,
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

int cpns_cmd_key_del(struct cpns_req *req)
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

int cpns_cmd_key_wrap(struct cpns_req *req)
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
	err = cpns_req_keyref(req, true, &kek, &keklen);
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
	if (cpns_key_limit(req, err))
		return err;
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

int cpns_cmd_key_unwrap(struct cpns_req *req)
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

	err = cpns_req_keyref(req, false, &kek, &keklen);
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

	if (meta.kind == CPNS_KEY_DEVICE && meta.role == CPNS_ROLE_SERVER) {
		err = cpns_fail_attr(req, CPNS_A_BLOB, CPNS_FAIL_INVALID,
				     -EINVAL,
				     "a server's device record is no kernel key: give it to AUTH_CHALLENGE (CPNS_A_BLOB) with the server's KEK");
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

	idlen = cpns_id_len(meta.kind);
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

/* I-2: a new Key Seed. */

int cpns_cmd_seed_new(struct cpns_req *req)
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
		if (cpns_key_limit(req, err))
			return err;
		return cpns_fail(req, cpns_stats_reason(err), err,
				 "could not make a Key Seed");
	}
	if (nla_put(msg, CPNS_A_SEED_ID, CPNS_SEED_ID_LEN, sid) ||
	    nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
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

/*
 * A server revokes a device of one of its seeds: nothing is stored here,
 * the reply hands out the revocation record (no secret) for its daemon to
 * store in place of the device's record (rekey.rst).
 */
static int cpns_revoke_record(struct cpns_req *req, const u8 *did, u8 *blob,
			      unsigned int *bloblen)
{
	struct cpns_record rec = { .state = CPNS_STATE_REVOKED };
	struct cpns_record_ctx ctx = { };
	enum cpns_reason why;
	struct key *key;
	u8 *kek;
	int err;

	key = cpns_step_seed(&req->cn->keys, did, CPNS_ROLE_SERVER, &why);
	if (IS_ERR(key))
		return cpns_req_why(req, PTR_ERR(key), why, CPNS_A_DEVICE_ID);
	key_put(key);
	err = cpns_req_record_ctx(req, &ctx, &kek);
	if (err)
		return err;
	err = cpns_record_wrap(&ctx, did, &rec, blob, bloblen);
	kfree_sensitive(kek);
	if (err)
		return cpns_crypto_failed(req, err);
	return 0;
}

/*
 * KEY_REVOKE of a Device ID: with the server's KEK, a revocation record
 * handed out (cpns_revoke_record()); without, the Device Key held here
 * becomes a revocation record (a server holds none: refused).
 */
static int cpns_revoke_device(struct cpns_req *req, struct nlattr *did,
			      struct sk_buff *msg, key_serial_t *serial)
{
	struct nlattr **attrs = req->info->attrs;
	u8 blob[CPNS_MAX_BLOB];
	unsigned int bloblen;
	struct key *key;
	int err;

	if (attrs[CPNS_A_KEYREF_TYPE] || attrs[CPNS_A_KEYREF_DESC]) {
		err = cpns_revoke_record(req, nla_data(did), blob, &bloblen);
		if (!err && (nla_put(msg, CPNS_A_BLOB, bloblen, blob) ||
			     nla_put_u8(msg, CPNS_A_STATE, CPNS_STATE_REVOKED)))
			err = -EMSGSIZE;
		return err;
	}
	key = cpns_key_lookup(&req->cn->keys, CPNS_KEY_DEVICE, nla_data(did),
			      NULL);
	if (IS_ERR(key) && PTR_ERR(key) == -ENOKEY)
		return cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_NO_KEY,
				      -ENOKEY,
				      "no Device Key of this ID here; a server revokes a device with its KEK (CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC) and stores the revocation record it gets back");
	if (!IS_ERR(key))
		key_put(key);
	err = cpns_device_revoke(&req->cn->keys, nla_data(did), serial);
	if (err)
		return cpns_revoke_error(req, CPNS_A_DEVICE_ID, err);
	return 0;
}

int cpns_cmd_key_revoke(struct cpns_req *req)
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
	msg = cpns_reply_new(req, 2 * nla_total_size(sizeof(u32)) +
			     nla_total_size(CPNS_MAX_BLOB) +
			     nla_total_size(sizeof(u8)), &hdr);
	if (!msg)
		return cpns_nomem(req);

	serial = 0;
	if (sid)
		err = cpns_revoke_seed(req, sid, &serial);
	else
		err = cpns_revoke_device(req, did, msg, &serial);
	if (err == -EMSGSIZE)
		return cpns_reply_overflow(req, msg);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	/* Its a-flows and sessions (of every device of a seed) end. */
	closed = cpns_pending_revoke(&req->cn->pending, nla_data(attr),
				     nla_len(attr));

	if ((serial && nla_put_s32(msg, CPNS_A_KEY_SERIAL, serial)) ||
	    nla_put_u32(msg, CPNS_A_SESSION_COUNT, closed))
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);
}

/*
 * KEY_RETIRE: seed rotation. The seed and its devices expire after the
 * overlap, and the sessions of its devices with them; until then their
 * flows and sessions go on.
 */
int cpns_cmd_key_retire(struct cpns_req *req)
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
