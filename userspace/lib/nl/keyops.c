// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The key lifecycle commands: KEY_WRAP, KEY_UNWRAP, KEY_REVOKE, XFER_CODE,
 * XFER_PAIR and KEY_RETIRE, and ASSIGN_CONFIRM and DEVICE_IMPORT with
 * CPNS_A_REPLACES (keyops.h). Only names, IDs, public keys and blobs pass
 * through here.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "keyops.h"

#define CALL(nl, cmd, p, w) \
	cpns__call(nl, cmd, p, CPNS_ARRAY_SIZE(p), w, CPNS_ARRAY_SIZE(w))

/* The ID attribute and length of a key kind; 0 for an unknown kind. */
static size_t id_attr(unsigned int kind, uint16_t *type)
{
	switch (kind) {
	case CPNS_KEY_SEED:
		*type = CPNS_A_SEED_ID;
		return CPNS_SEED_ID_LEN;
	case CPNS_KEY_DEVICE:
		*type = CPNS_A_DEVICE_ID;
		return CPNS_DEVICE_ID_LEN;
	}
	return 0;
}

int cpns__check_keyref(struct cpns_nl *nl, const struct cpns_keyref *ref)
{
	if (!ref || !ref->type || !ref->desc || !*ref->type || !*ref->desc)
		return cpns__fail(nl, -EINVAL,
				  "a key type and description are required");
	if (strlen(ref->type) >= CPNS_MAX_KEYREF ||
	    strlen(ref->desc) >= CPNS_MAX_KEYREF)
		return cpns__fail(nl, -EINVAL,
				  "key type or description longer than %d bytes",
				  CPNS_MAX_KEYREF - 1);
	return 0;
}

int cpns__check_kek_label(struct cpns_nl *nl, const struct cpns_keyref *kek,
			  size_t label_len)
{
	int ret = cpns__check_keyref(nl, kek);

	if (!ret && label_len > CPNS_MAX_LABEL)
		ret = cpns__fail(nl, -EINVAL, "label longer than %d bytes",
				 CPNS_MAX_LABEL);
	return ret;
}

static int bad_kind(struct cpns_nl *nl, unsigned int kind)
{
	return cpns__fail(nl, -EINVAL, "unknown key kind %u (1 seed, 2 device)",
			  kind);
}

/* Build a request: the puts with non-NULL data, in order. */
static struct cpns_msg *build(struct cpns_nl *nl, uint8_t cmd,
			      const struct cpns_put *p, size_t n)
{
	struct cpns_msg *msg;
	size_t i, size = 256;

	for (i = 0; i < n; i++)
		size += NLA_ALIGN(NLA_HDRLEN + p[i].len);
	msg = cpns__req(nl, cmd, size);
	if (!msg) {
		cpns__fail(nl, -ENOMEM, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (p[i].data && cpns_msg_put(msg, p[i].type, p[i].data,
					      p[i].len)) {
			cpns__req_end(nl, msg);
			cpns__fail(nl, -EMSGSIZE, "request too large");
			return NULL;
		}
	}
	return msg;
}

static int send_req(struct cpns_nl *nl, uint8_t cmd, const struct cpns_put *p,
		    size_t n, cpns_reply_fn fn, void *arg)
{
	struct cpns_msg *msg;
	int ret;

	cpns__clear_error(nl);
	msg = build(nl, cmd, p, n);
	if (!msg)
		return cpns_last(nl)->err ? cpns_last(nl)->err : -ENOMEM;
	ret = cpns_msg_send(nl, msg, fn, arg);
	cpns__req_end(nl, msg);
	return ret;
}

struct blob_out {
	uint8_t *blob;
	size_t len;
	bool got;
};

static int wrap_reply(const struct cpns_reply *r, void *arg)
{
	struct blob_out *b = arg;
	const void *data;
	size_t len;

	data = cpns_reply_get(r, CPNS_A_BLOB, &len);
	if (!data || len > CPNS_MAX_BLOB)
		return -EBADMSG;
	memcpy(b->blob, data, len);
	b->len = len;
	b->got = true;
	return 0;
}

int cpns_key_wrap(struct cpns_nl *nl, unsigned int kind, const uint8_t *id,
		  const struct cpns_keyref *kek, const void *label,
		  size_t label_len, uint8_t blob[CPNS_MAX_BLOB],
		  size_t *blob_len)
{
	struct blob_out b = { .blob = blob };
	uint16_t idtype;
	size_t idlen = id_attr(kind, &idtype);
	int ret;

	if (!idlen)
		return bad_kind(nl, kind);
	ret = cpns__check_kek_label(nl, kek, label_len);
	if (ret)
		return ret;
	{
		const struct cpns_put p[] = {
			{ idtype, id, idlen },
			CPNS_PUT_KEYREF(kek),
			CPNS_PUT_LABEL(label, label_len),
		};

		ret = send_req(nl, CPNS_CMD_KEY_WRAP, p, CPNS_ARRAY_SIZE(p),
			       wrap_reply, &b);
	}
	if (ret)
		return ret;
	if (!b.got)
		return cpns__fail(nl, -EBADMSG,
				  "the kernel's reply to KEY_WRAP lacks the blob");
	*blob_len = b.len;
	return 0;
}

struct unwrap_out {
	struct cpns_unwrapped u;
	bool got;
};

static int unwrap_reply(const struct cpns_reply *r, void *arg)
{
	struct unwrap_out *o = arg;
	uint16_t idtype;

	if (cpns_reply_s32(r, CPNS_A_KEY_SERIAL, &o->u.serial) ||
	    cpns_reply_u8(r, CPNS_A_KEY_KIND, &o->u.kind) ||
	    cpns_reply_u32(r, CPNS_A_GENERATION, &o->u.generation))
		return -EBADMSG;
	o->u.id_len = id_attr(o->u.kind, &idtype);
	if (!o->u.id_len ||
	    cpns_reply_copy(r, idtype, o->u.id, o->u.id_len))
		return -EBADMSG;
	o->got = true;
	return 0;
}

int cpns_key_unwrap(struct cpns_nl *nl, const void *blob, size_t blob_len,
		    const struct cpns_keyref *kek, const void *label,
		    size_t label_len, struct cpns_unwrapped *out)
{
	struct unwrap_out o = { .got = false };
	int ret;

	ret = cpns__check_keyref(nl, kek);
	if (ret)
		return ret;
	if (!blob_len || blob_len > CPNS_MAX_BLOB || label_len > CPNS_MAX_LABEL)
		return cpns__fail(nl, -EINVAL,
				  "blob of %zu bytes (1..%d) or label of %zu (at most %d)",
				  blob_len, CPNS_MAX_BLOB, label_len,
				  CPNS_MAX_LABEL);
	{
		const struct cpns_put p[] = {
			{ CPNS_A_BLOB, blob, blob_len },
			CPNS_PUT_KEYREF(kek),
			CPNS_PUT_LABEL(label, label_len),
		};

		ret = send_req(nl, CPNS_CMD_KEY_UNWRAP, p, CPNS_ARRAY_SIZE(p),
			       unwrap_reply, &o);
	}
	if (ret)
		return ret;
	if (!o.got)
		return cpns__fail(nl, -EBADMSG,
				  "the kernel's reply to KEY_UNWRAP is incomplete");
	if (out)
		*out = o.u;
	return 0;
}

int cpns_key_revoke(struct cpns_nl *nl, unsigned int kind, const uint8_t *id,
		    int32_t *serial, uint32_t *closed)
{
	int32_t s;
	uint32_t c;
	uint16_t idtype;
	size_t idlen = id_attr(kind, &idtype);
	int ret;

	if (!idlen)
		return bad_kind(nl, kind);
	{
		const struct cpns_put p[] = { { idtype, id, idlen } };
		const struct cpns_want w[] = {
			{ CPNS_A_KEY_SERIAL, &s, 4 },
			{ CPNS_A_SESSION_COUNT, &c, 4 },
		};

		ret = CALL(nl, CPNS_CMD_KEY_REVOKE, p, w);
	}
	if (ret)
		return ret;
	if (serial)
		*serial = s;
	if (closed)
		*closed = c;
	return 0;
}

/* A reply that carries a device record: blob and state. */
struct rec_out {
	struct cpns_record *rec;
	uint8_t *code;			/* ASSIGN_CONFIRM: CPNS_A_CONFIRM */
	uint32_t closed;		/* KEY_REVOKE: CPNS_A_SESSION_COUNT */
	bool got;
};

static int rec_out_reply(const struct cpns_reply *r, void *arg)
{
	struct rec_out *o = arg;
	const void *blob;
	size_t len;

	blob = cpns_reply_get(r, CPNS_A_BLOB, &len);
	if (!blob || len > CPNS_MAX_BLOB ||
	    cpns_reply_u8(r, CPNS_A_STATE, &o->rec->state))
		return -EBADMSG;
	if (o->code && cpns_reply_copy(r, CPNS_A_CONFIRM, o->code,
				       CPNS_MAC_LEN))
		return -EBADMSG;
	memcpy(o->rec->blob, blob, len);
	o->rec->blob_len = len;
	o->rec->generation = 0;
	cpns_reply_u32(r, CPNS_A_SESSION_COUNT, &o->closed);
	o->got = true;
	return 0;
}

static int rec_call(struct cpns_nl *nl, uint8_t cmd, const struct cpns_put *p,
		    size_t n, struct rec_out *o)
{
	struct cpns_record r = { 0 };
	struct cpns_record *rec = o->rec;
	int ret;

	o->rec = &r;
	ret = send_req(nl, cmd, p, n, rec_out_reply, o);
	o->rec = rec;
	if (!ret && !o->got)
		ret = cpns__fail(nl, -EBADMSG,
				 "the kernel's reply to %s lacks the device record",
				 cpns_cmd_name(cmd));
	if (!ret)
		*rec = r;
	return ret;
}

int cpns_device_revoke_rec(struct cpns_nl *nl,
			   const uint8_t did[CPNS_DEVICE_ID_LEN],
			   const struct cpns_keyref *kek, const void *label,
			   size_t label_len, struct cpns_record *rec,
			   uint32_t *closed)
{
	struct rec_out o = { .rec = rec };
	int ret = cpns__check_kek_label(nl, kek, label_len);

	if (ret)
		return ret;
	{
		const struct cpns_put p[] = {
			{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
			CPNS_PUT_KEYREF(kek),
			CPNS_PUT_LABEL(label, label_len),
		};

		ret = rec_call(nl, CPNS_CMD_KEY_REVOKE, p, CPNS_ARRAY_SIZE(p),
			       &o);
	}
	if (!ret && closed)
		*closed = o.closed;
	return ret;
}

int cpns_xfer_code(struct cpns_nl *nl, uint32_t handle, unsigned int kind,
		   const uint8_t *id, const uint8_t sender_pub[CPNS_PUBKEY_LEN],
		   uint32_t *code)
{
	uint8_t k = (uint8_t)kind;
	uint16_t idtype;
	size_t idlen = id_attr(kind, &idtype);

	if (!idlen)
		return bad_kind(nl, kind);
	{
		const struct cpns_put p[] = {
			{ CPNS_A_HANDLE, &handle, 4 },
			{ CPNS_A_KEY_KIND, &k, 1 },
			{ idtype, id, idlen },
			{ CPNS_A_PUBKEY, sender_pub, CPNS_PUBKEY_LEN },
		};
		const struct cpns_want w[] = {
			{ CPNS_A_XFER_CODE, code, 4 },
		};

		return CALL(nl, CPNS_CMD_XFER_CODE, p, w);
	}
}

struct pair_out {
	uint8_t *mac;
	bool got;
};

static int pair_reply(const struct cpns_reply *r, void *arg)
{
	struct pair_out *o = arg;

	if (!o->mac)
		return 0;
	if (cpns_reply_copy(r, CPNS_A_PAIR_MAC, o->mac, CPNS_MAC_LEN))
		return -EBADMSG;
	o->got = true;
	return 0;
}

int cpns_xfer_pair(struct cpns_nl *nl, const struct cpns_keyref *pair_key,
		   unsigned int kind, const uint8_t *id,
		   const uint8_t sender_pub[CPNS_PUBKEY_LEN],
		   const uint8_t receiver_pub[CPNS_PUBKEY_LEN], uint32_t handle,
		   const uint8_t *mac_in, uint8_t *mac_out)
{
	struct pair_out o = { .mac = mac_in ? NULL : mac_out };
	uint8_t k = (uint8_t)kind;
	uint16_t idtype;
	size_t idlen = id_attr(kind, &idtype);
	int ret;

	if (!idlen)
		return bad_kind(nl, kind);
	if (!mac_in && !mac_out)
		return cpns__fail(nl, -EINVAL, "no MAC to check and none wanted");
	ret = cpns__check_keyref(nl, pair_key);
	if (ret)
		return ret;
	{
		const struct cpns_put p[] = {
			CPNS_PUT_KEYREF(pair_key),
			{ CPNS_A_KEY_KIND, &k, 1 },
			{ idtype, id, idlen },
			{ CPNS_A_PUBKEY, sender_pub, CPNS_PUBKEY_LEN },
			{ CPNS_A_PEER_PUBKEY, receiver_pub, CPNS_PUBKEY_LEN },
			{ CPNS_A_PAIR_MAC, mac_in, CPNS_MAC_LEN },
			{ CPNS_A_HANDLE, handle ? &handle : NULL, 4 },
		};

		ret = send_req(nl, CPNS_CMD_XFER_PAIR, p, CPNS_ARRAY_SIZE(p),
			       pair_reply, &o);
	}
	if (ret)
		return ret;
	if (o.mac && !o.got)
		return cpns__fail(nl, -EBADMSG,
				  "the kernel's reply to XFER_PAIR lacks the MAC");
	return 0;
}

/* ------------------------------------- rotation and re-assignment */

int cpns_key_retire(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		    uint32_t overlap, int32_t *serial, uint64_t *expiry,
		    uint32_t *count)
{
	int32_t s;
	uint64_t e;
	uint32_t c;
	const struct cpns_put p[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
		{ CPNS_A_TIMEOUT, overlap ? &overlap : NULL, 4 },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_KEY_SERIAL, &s, 4 },
		{ CPNS_A_EXPIRY, &e, 8 },
		{ CPNS_A_KEY_COUNT, &c, 4 },
	};
	int ret = CALL(nl, CPNS_CMD_KEY_RETIRE, p, w);

	if (ret)
		return ret;
	if (serial)
		*serial = s;
	if (expiry)
		*expiry = e;
	if (count)
		*count = c;
	return 0;
}

/* A reply to a request with CPNS_A_REPLACES must name the same device. */
static int check_replaces(struct cpns_nl *nl, const char *cmd,
			  const uint8_t *replaces, const uint8_t *got)
{
	if (replaces && memcmp(replaces, got, CPNS_DEVICE_ID_LEN))
		return cpns__fail(nl, -EBADMSG,
				  "the kernel's reply to %s names another replaced Device ID",
				  cmd);
	return 0;
}

int cpns_assign_confirm_replacing(struct cpns_nl *nl,
				  const uint8_t did[CPNS_DEVICE_ID_LEN],
				  const uint8_t n1[CPNS_NONCE_LEN],
				  const uint8_t *replaces,
				  uint8_t code[CPNS_MAC_LEN])
{
	uint8_t got[CPNS_DEVICE_ID_LEN];
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
		{ CPNS_A_REPLACES, replaces, CPNS_DEVICE_ID_LEN },
	};
	/* CPNS_A_REPLACES comes back only when it was sent. */
	const struct cpns_want w[] = {
		{ CPNS_A_CONFIRM, code, CPNS_MAC_LEN },
		{ CPNS_A_REPLACES, got, CPNS_DEVICE_ID_LEN },
	};
	int ret;

	ret = cpns__call(nl, CPNS_CMD_ASSIGN_CONFIRM, p, CPNS_ARRAY_SIZE(p),
			 w, replaces ? 2 : 1);
	if (ret)
		return ret;
	return check_replaces(nl, "ASSIGN_CONFIRM", replaces, got);
}

int cpns_assign_confirm_rec(struct cpns_nl *nl,
			    const uint8_t did[CPNS_DEVICE_ID_LEN],
			    const uint8_t n1[CPNS_NONCE_LEN],
			    const uint8_t replaces[CPNS_DEVICE_ID_LEN],
			    const struct cpns_keyref *kek, const void *label,
			    size_t label_len, uint8_t code[CPNS_MAC_LEN],
			    struct cpns_record *rec)
{
	uint8_t got[CPNS_MAC_LEN];
	struct rec_out o = { .rec = rec, .code = got };
	int ret = cpns__check_kek_label(nl, kek, label_len);

	if (ret)
		return ret;
	if (!replaces)
		return cpns__fail(nl, -EINVAL, "replaces is required");
	{
		const struct cpns_put p[] = {
			{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
			{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
			{ CPNS_A_REPLACES, replaces, CPNS_DEVICE_ID_LEN },
			CPNS_PUT_KEYREF(kek),
			CPNS_PUT_LABEL(label, label_len),
		};

		ret = rec_call(nl, CPNS_CMD_ASSIGN_CONFIRM, p,
			       CPNS_ARRAY_SIZE(p), &o);
	}
	if (!ret)
		memcpy(code, got, CPNS_MAC_LEN);
	return ret;
}

int cpns_device_import_replacing(struct cpns_nl *nl, uint32_t handle,
				 const uint8_t did[CPNS_DEVICE_ID_LEN],
				 const uint8_t peer[CPNS_PUBKEY_LEN],
				 const uint8_t wrapped[CPNS_WRAPPED_LEN],
				 uint32_t timeout, const uint8_t *replaces,
				 int32_t *serial, uint32_t *code)
{
	uint8_t got[CPNS_DEVICE_ID_LEN];
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_PUBKEY, peer, CPNS_PUBKEY_LEN },
		{ CPNS_A_WRAPPED, wrapped, CPNS_WRAPPED_LEN },
		/* 0 is no timeout, as if absent. */
		{ CPNS_A_TIMEOUT, timeout ? &timeout : NULL, 4 },
		{ CPNS_A_REPLACES, replaces, CPNS_DEVICE_ID_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_KEY_SERIAL, serial, 4 },
		{ CPNS_A_XFER_CODE, code, 4 },
		{ CPNS_A_REPLACES, got, CPNS_DEVICE_ID_LEN },
	};
	int ret;

	ret = cpns__call(nl, CPNS_CMD_DEVICE_IMPORT, p, CPNS_ARRAY_SIZE(p),
			 w, replaces ? 3 : 2);
	if (ret)
		return ret;
	return check_replaces(nl, "DEVICE_IMPORT", replaces, got);
}
