// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of the transfer commands (Documentation/xfer.rst): XFER_NEW,
 * XFER_CODE, XFER_PAIR, SEED_EXPORT/IMPORT and DEVICE_EXPORT/IMPORT.
 */

#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/cpns.h>
#include "nl.h"
#include "wrap.h"
#include "xfer.h"

/*
 * XFER_RELEASE for a typed code: it stops a man in the middle, not the
 * caller, who computes the code itself if it made the receiver key pair.
 */
static bool cpns_code_release = true;
module_param_named(code_release, cpns_code_release, bool, 0444);
MODULE_PARM_DESC(code_release,
		 "XFER_RELEASE accepts the receiver's code (default Y); N leaves the pairing MACs only");

int cpns_cmd_xfer_new(struct cpns_req *req)
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

/*
 * The key that SEED_EXPORT/DEVICE_EXPORT of @id may seal, named by the
 * attribute @type: a server's seed, or a confirmed GW1 Device Key.
 */
static struct key *cpns_export_key(struct cpns_req *req,
				   enum cpns_key_kind kind, const u8 *id,
				   int type)
{
	struct cpns_key_info ki;
	struct key *key;
	int err;

	if (kind == CPNS_KEY_SEED)
		return cpns_req_seed(req, id, type, CPNS_ROLE_SERVER);
	key = cpns_req_device(req, id, type, &ki);
	if (IS_ERR(key))
		return key;
	if (ki.role != CPNS_ROLE_GW1)
		err = cpns_fail_attr(req, type, CPNS_FAIL_STATE, -EINVAL,
				     "only GW1 exports a Device Key (II-9); this one was received (role gw2)");
	else if (ki.state != CPNS_STATE_CONFIRMED)
		err = cpns_fail_attr(req, type, CPNS_FAIL_STATE, -EINVAL,
				     "the Device Key is not confirmed: finish II-8 (ASSIGN_VERIFY) first");
	else
		return key;
	key_put(key);
	return ERR_PTR(err);
}

/* Seal @key's secret for CPNS_A_PUBKEY into @x. */
static int cpns_export_seal(struct cpns_req *req, struct cpns_export *x,
			    const struct key *key)
{
	u8 secret[CPNS_KEY_LEN];
	u8 eph[CPNS_PUBKEY_LEN];
	int err;

	err = cpns_req_secret(req, key, secret);
	if (err)
		return err;
	err = cpns_xfer_keypair(eph, x->sender_pub);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto out;
	}
	memcpy(x->receiver_pub, cpns_data(req, CPNS_A_PUBKEY), CPNS_PUBKEY_LEN);
	err = cpns_xfer_wrap(x->kind, x->id, eph, x->receiver_pub, secret,
			     x->sender_pub, x->wrapped, &x->code);
	if (err)
		err = cpns_xfer_error(req, err);
out:
	memzero_explicit(eph, sizeof(eph));
	memzero_explicit(secret, sizeof(secret));
	return err;
}

/*
 * SEED_EXPORT and DEVICE_EXPORT: seal the secret of @id for CPNS_A_PUBKEY
 * and keep it under a new handle until XFER_RELEASE; reply the handle and
 * the sender's public key, never wrapped nor the code.
 */
static int cpns_export(struct cpns_req *req, enum cpns_key_kind kind,
		       int type)
{
	struct cpns_pending *p = &req->cn->pending;
	const u8 *id = cpns_data(req, type);
	u8 epub[CPNS_PUBKEY_LEN];
	struct cpns_export *x;
	struct sk_buff *msg;
	struct key *key;
	u32 handle;
	void *hdr;
	int err;

	if (cpns_secret_locked_down())
		return cpns_fail_attr(req, CPNS_A_PUBKEY, CPNS_FAIL_STATE,
				      -EPERM,
				      "kernel lockdown (confidentiality): no secret is sealed to a public key the caller gives");
	key = cpns_export_key(req, kind, id, type);
	if (IS_ERR(key))
		return PTR_ERR(key);
	msg = cpns_reply_new(req, nla_total_size(sizeof(u32)) +
			     nla_total_size(CPNS_PUBKEY_LEN), &hdr);
	if (!msg) {
		key_put(key);
		return cpns_nomem(req);
	}
	x = cpns_export_alloc(p);
	if (IS_ERR(x)) {
		key_put(key);
		err = cpns_pending_full(req, PTR_ERR(x));
		goto err_msg;
	}
	x->kind = kind;
	memcpy(x->id, id, cpns_id_len(kind));
	err = cpns_export_seal(req, x, key);
	key_put(key);
	if (err)
		goto err_discard;
	/* Once inserted, @x is the table's: copy E first. */
	memcpy(epub, x->sender_pub, CPNS_PUBKEY_LEN);
	err = cpns_obj_insert(p, &x->obj, req->info->snd_portid, &handle);
	if (err) {
		err = cpns_pending_full(req, err);
		goto err_discard;
	}
	if (nla_put_u32(msg, CPNS_A_HANDLE, handle) ||
	    nla_put(msg, CPNS_A_PUBKEY, CPNS_PUBKEY_LEN, epub)) {
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

int cpns_cmd_seed_export(struct cpns_req *req)
{
	return cpns_export(req, CPNS_KEY_SEED, CPNS_A_SEED_ID);
}

int cpns_cmd_device_export(struct cpns_req *req)
{
	return cpns_export(req, CPNS_KEY_DEVICE, CPNS_A_DEVICE_ID);
}

/*
 * Store the imported key @secret of @id: a seed, a Device Key, or a Device
 * Key that replaces @replaces (revoked with it).
 */
static int cpns_import_store(struct cpns_req *req, enum cpns_key_kind kind,
			     const u8 *id, const u8 *secret,
			     const u8 *replaces, key_serial_t *serial)
{
	struct cpns_keys *keys = &req->cn->keys;
	key_serial_t revoked;
	int err;

	if (kind == CPNS_KEY_SEED)
		err = cpns_seed_add(keys, id, secret, cpns_timeout(req),
				    serial);
	else if (replaces)
		err = cpns_device_replace(keys, id, secret, cpns_timeout(req),
					  replaces, serial, &revoked);
	else
		err = cpns_device_add(keys, CPNS_ROLE_GW2, id, secret, NULL,
				      cpns_timeout(req), serial);
	if (!err)
		return 0;
	if (replaces && err != -EEXIST)
		return cpns_revoke_error(req, CPNS_A_REPLACES, err);
	return cpns_store_error(req, kind, err);
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
	u8 secret[CPNS_KEY_LEN];
	key_serial_t serial;
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

	err = cpns_import_store(req, kind, id, secret, replaces, &serial);
	memzero_explicit(secret, sizeof(secret));
	if (err) {
		cpns_obj_restore(p, obj);
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

int cpns_cmd_seed_import(struct cpns_req *req)
{
	return cpns_import(req, CPNS_KEY_SEED, CPNS_A_SEED_ID);
}

int cpns_cmd_device_import(struct cpns_req *req)
{
	return cpns_import(req, CPNS_KEY_DEVICE, CPNS_A_DEVICE_ID);
}

/* Confirming a transfer. */

int cpns_cmd_xfer_code(struct cpns_req *req)
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

/*
 * The public key of the XFER_NEW key pair named by CPNS_A_HANDLE: the only
 * receiver key this kernel makes a MAC for. The handle is not consumed.
 */
static int cpns_req_receiver_pub(struct cpns_req *req, u8 *pub)
{
	struct cpns_obj *obj;
	struct cpns_xfer *x;
	int err;

	obj = cpns_req_take(req, CPNS_OBJ_XFER);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	x = container_of(obj, struct cpns_xfer, obj);
	err = cpns_x25519(x->secret, NULL, pub, NULL);
	cpns_obj_restore(&req->cn->pending, obj);
	return err ? cpns_crypto_failed(req, err) : 0;
}

/* XFER_PAIR without CPNS_A_PAIR_MAC: is CPNS_A_PEER_PUBKEY our own key? */
static int cpns_pair_receiver(struct cpns_req *req)
{
	u8 pub[CPNS_PUBKEY_LEN];
	int err;

	if (!req->info->attrs[CPNS_A_HANDLE]) {
		NL_SET_ERR_ATTR_MISS(req->info->extack, NULL, CPNS_A_HANDLE);
		return cpns_fail(req, CPNS_FAIL_INVALID, -EINVAL,
				 "making a pairing MAC needs the handle (XFER_NEW) whose public key is peer-pubkey: the kernel MACs only a receiver key of its own");
	}
	err = cpns_req_receiver_pub(req, pub);
	if (err)
		return err;
	if (crypto_memneq(pub, cpns_data(req, CPNS_A_PEER_PUBKEY),
			  CPNS_PUBKEY_LEN))
		return cpns_fail_attr(req, CPNS_A_PEER_PUBKEY, CPNS_FAIL_INVALID,
				      -EINVAL,
				      "peer-pubkey is not the public key of this handle: the kernel MACs only a receiver key of its own");
	return 0;
}

int cpns_cmd_xfer_pair(struct cpns_req *req)
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
	if (!want) {
		err = cpns_pair_receiver(req);
		if (err)
			return err;
	}
	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);

	err = cpns_req_keyref(req, false, &pk, &pklen);
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

/*
 * XFER_ACCEPT: the receiver MAC of the handle's public key; or, given
 * CPNS_A_RECEIVER_MAC and the public key CPNS_A_PUBKEY instead, whether
 * that MAC is right (the sender, before it makes anything).
 */
int cpns_cmd_xfer_accept(struct cpns_req *req)
{
	struct nlattr *want = req->info->attrs[CPNS_A_RECEIVER_MAC];
	u8 kind = nla_get_u8(req->info->attrs[CPNS_A_KEY_KIND]);
	int need = want ? CPNS_A_PUBKEY : CPNS_A_HANDLE;
	u8 pub[CPNS_PUBKEY_LEN];
	u8 mac[CPNS_MAC_LEN];
	struct sk_buff *msg;
	unsigned int pklen;
	void *hdr;
	u8 *pk;
	int err;

	if (!req->info->attrs[need]) {
		cpns_missing_msg(req->info, need);
		req->fail = CPNS_FAIL_INVALID;
		return -EINVAL;
	}
	if (want) {
		memcpy(pub, cpns_data(req, CPNS_A_PUBKEY), sizeof(pub));
	} else {
		err = cpns_req_receiver_pub(req, pub);
		if (err)
			return err;
	}
	msg = cpns_reply_new(req, nla_total_size(CPNS_MAC_LEN), &hdr);
	if (!msg)
		return cpns_nomem(req);
	err = cpns_req_keyref(req, false, &pk, &pklen);
	if (err)
		goto err_msg;
	err = cpns_xfer_receiver_mac(pk, pklen, kind, pub, mac);
	kfree_sensitive(pk);
	if (err) {
		err = cpns_crypto_failed(req, err);
		goto err_msg;
	}
	if (want) {
		if (crypto_memneq(mac, nla_data(want), CPNS_MAC_LEN))
			err = cpns_fail_attr(req, CPNS_A_RECEIVER_MAC,
					     CPNS_FAIL_BAD_MAC, -EBADMSG,
					     "receiver MAC mismatch: another pairing key, or another public key");
		memzero_explicit(mac, sizeof(mac));
		if (err)
			goto err_msg;
		return cpns_reply_send(req, msg, hdr);
	}
	err = nla_put(msg, CPNS_A_RECEIVER_MAC, CPNS_MAC_LEN, mac);
	memzero_explicit(mac, sizeof(mac));
	if (err)
		return cpns_reply_overflow(req, msg);
	return cpns_reply_send(req, msg, hdr);

err_msg:
	nlmsg_free(msg);
	return err;
}

/* Releasing an export. */

/*
 * The proof XFER_RELEASE was given, with the pairing key it needs: @pk is
 * NULL for a code. Refuses (changing nothing) no proof, two proofs, or a
 * pairing key whose payload userspace can read.
 */
static int cpns_release_proof(struct cpns_req *req, int *type, u8 **pk,
			      unsigned int *pklen)
{
	static const int proofs[] = {
		CPNS_A_XFER_CODE, CPNS_A_PAIR_MAC, CPNS_A_RECEIVER_MAC,
	};
	struct nlattr **attrs = req->info->attrs;
	unsigned int i, n = 0;
	int err;

	*pk = NULL;
	for (i = 0; i < ARRAY_SIZE(proofs); i++) {
		if (attrs[proofs[i]]) {
			*type = proofs[i];
			n++;
		}
	}
	if (n != 1)
		return cpns_fail(req, CPNS_FAIL_INVALID, -EINVAL,
				 "give exactly one proof of the receiver: xfer-code, pair-mac or receiver-mac");
	if (*type == CPNS_A_XFER_CODE) {
		if (!cpns_code_release)
			return cpns_fail_attr(req, *type, CPNS_FAIL_STATE, -EPERM,
					      "code_release=N: only a pairing MAC releases a secret here");
		if (cpns_secret_locked_down())
			return cpns_fail_attr(req, *type, CPNS_FAIL_STATE, -EPERM,
					      "kernel lockdown (confidentiality): a typed code does not release a secret");
		return 0;
	}
	for (i = CPNS_A_KEYREF_TYPE; i <= CPNS_A_KEYREF_DESC; i++) {
		if (!attrs[i]) {
			cpns_missing_msg(req->info, i);
			req->fail = CPNS_FAIL_INVALID;
			return -EINVAL;
		}
	}
	err = cpns_req_keyref(req, true, pk, pklen);
	if (err == -EKEYREJECTED)
		return cpns_fail_attr(req, CPNS_A_KEYREF_TYPE, CPNS_FAIL_INVALID,
				      err,
				      "a user key's payload can be read from userspace: a pairing key that releases a secret must be a logon, encrypted or trusted key");
	return err;
}

/*
 * Does the proof @type match the export @x? 0, -EBADMSG (with the extack),
 * or another negative errno.
 */
static int cpns_release_check(struct cpns_req *req, struct cpns_export *x,
			      int type, const u8 *pk, unsigned int pklen)
{
	const u8 *want = cpns_data(req, type);
	u8 mac[CPNS_MAC_LEN];
	int err = 0;

	if (type == CPNS_A_XFER_CODE) {
		if (!crypto_memneq(want, &x->code, sizeof(x->code)))
			return 0;
		return cpns_fail_attr(req, type, CPNS_FAIL_BAD_MAC, -EBADMSG,
				      "wrong transfer code: the export is destroyed (one attempt); export again");
	}
	if (type == CPNS_A_PAIR_MAC)
		err = cpns_xfer_pair_mac(pk, pklen, x->kind, x->id,
					 x->sender_pub, x->receiver_pub, mac);
	else
		err = cpns_xfer_receiver_mac(pk, pklen, x->kind,
					     x->receiver_pub, mac);
	if (err)
		return cpns_crypto_failed(req, err);
	if (crypto_memneq(mac, want, CPNS_MAC_LEN))
		err = cpns_fail_attr(req, type, CPNS_FAIL_BAD_MAC, -EBADMSG,
				     "the MAC does not match this export's receiver key (or another pairing key): the export is destroyed; export again");
	memzero_explicit(mac, sizeof(mac));
	return err;
}

int cpns_cmd_xfer_release(struct cpns_req *req)
{
	struct cpns_pending *p = &req->cn->pending;
	struct cpns_export *x;
	struct cpns_obj *obj;
	struct sk_buff *msg;
	unsigned int pklen;
	struct key *key;
	int type, err;
	void *hdr;
	u8 *pk;

	err = cpns_release_proof(req, &type, &pk, &pklen);
	if (err)
		return err;
	msg = cpns_reply_new(req, nla_total_size(CPNS_WRAPPED_LEN) +
			     nla_total_size(sizeof(u32)), &hdr);
	if (!msg) {
		err = cpns_nomem(req);
		goto out;
	}
	obj = cpns_req_take(req, CPNS_OBJ_EXPORT);
	if (IS_ERR(obj)) {
		err = PTR_ERR(obj);
		goto err_msg;
	}
	x = container_of(obj, struct cpns_export, obj);
	err = cpns_release_check(req, x, type, pk, pklen);
	if (err && err != -EBADMSG) {
		cpns_obj_restore(p, obj);
		goto err_msg;
	}
	/* The key may have gone since the export: release nothing then. */
	key = err ? NULL : cpns_export_key(req, x->kind, x->id, CPNS_A_HANDLE);
	if (IS_ERR(key))
		err = PTR_ERR(key);
	else
		key_put(key);
	if (!err && (nla_put(msg, CPNS_A_WRAPPED, CPNS_WRAPPED_LEN, x->wrapped) ||
		     nla_put_u32(msg, CPNS_A_XFER_CODE, x->code)))
		err = -EMSGSIZE;
	cpns_obj_drop(p, obj);
	if (err == -EMSGSIZE) {
		err = cpns_reply_overflow(req, msg);
		goto out;
	}
	if (err)
		goto err_msg;
	err = cpns_reply_send(req, msg, hdr);
	goto out;

err_msg:
	nlmsg_free(msg);
out:
	kfree_sensitive(pk);
	return err;
}
