// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink glue of the transfer commands (Documentation/xfer.rst): XFER_NEW,
 * XFER_CODE, XFER_PAIR, SEED_EXPORT/IMPORT and DEVICE_EXPORT/IMPORT.
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
#include "wrap.h"
#include "xfer.h"

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

	/* The receiver's key pair may be the caller's own. */
	if (cpns_secret_locked_down())
		return cpns_fail_attr(req, CPNS_A_PUBKEY, CPNS_FAIL_STATE,
				      -EPERM,
				      "kernel lockdown (confidentiality): no secret is sealed to a public key the caller gives");
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

int cpns_cmd_seed_export(struct cpns_req *req)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_SEED_ID];
	struct key *key;
	int err;

	key = cpns_req_seed(req, nla_data(attr), CPNS_A_SEED_ID,
			    CPNS_ROLE_SERVER);
	if (IS_ERR(key))
		return PTR_ERR(key);
	err = cpns_export(req, CPNS_KEY_SEED, nla_data(attr), key);
	key_put(key);
	return err;
}

int cpns_cmd_device_export(struct cpns_req *req)
{
	struct nlattr *attr = req->info->attrs[CPNS_A_DEVICE_ID];
	struct cpns_key_info ki;
	struct key *key;
	int err;

	key = cpns_req_device(req, nla_data(attr), CPNS_A_DEVICE_ID, &ki);
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
