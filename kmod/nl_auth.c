// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of flow a, mutual authentication: the AUTH_* commands, and
 * the commands on the sessions it makes: SEAL, OPEN and SESSION_DEL.
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
int cpns_cmd_auth_begin(struct cpns_req *req)
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
int cpns_cmd_auth_challenge(struct cpns_req *req)
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
int cpns_cmd_auth_client(struct cpns_req *req)
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
int cpns_cmd_auth_server(struct cpns_req *req)
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
int cpns_cmd_auth_finish(struct cpns_req *req)
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

int cpns_cmd_open(struct cpns_req *req)
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
