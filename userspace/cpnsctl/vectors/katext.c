// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The KAT_EXT command: one vector of an extension of the profile
 * (transfer, re-key, storage) computed by the kernel, and the comparison
 * of its outputs with a file's (vectors.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vectors.h"

/* The profile name of each kind of vector file. */
static const char *const profiles[] = {
	[CPNS_VEC_PROFILE] = "CPNS-KA-1",
	[CPNS_VEC_XFER] = "CPNS-KA-1-XFER",
	[CPNS_VEC_REKEY] = "CPNS-KA-1-REKEY",
	[CPNS_VEC_STORE] = "CPNS-KA-1-STORE",
};

const char *cpns_vec_profile(enum cpns_vec_kind kind)
{
	return (size_t)kind < CPNS_ARRAY_SIZE(profiles) ? profiles[kind] :
							  NULL;
}

void cpns_katx_out_clear(struct cpns_katx_out *out)
{
	size_t i;

	if (out->kind == CPNS_VEC_REKEY) {
		for (i = 0; i < CPNS_MAX_KAT_AEAD; i++) {
			struct cpns_kat_aead_out *a = &out->u.rekey.aead[i];

			if (a->data) {
				explicit_bzero(a->data, a->len);
				free(a->data);
			}
		}
	}
	explicit_bzero(&out->u, sizeof(out->u));
}

struct katx_ctx {
	struct cpns_nl *nl;
	struct cpns_katx_out *out;
	bool got;
};

/* Copy the fixed-size attributes of wants; name the first one missing. */
static int katx_copy(struct katx_ctx *c, const struct cpns_reply *r,
		     const struct cpns_want *wants, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cpns_reply_copy(r, wants[i].type, wants[i].out,
				    wants[i].len))
			return cpns__fail(c->nl, -EBADMSG,
					  "the kernel's KAT_EXT reply lacks %s",
					  cpns_attr_name(wants[i].type));
	return 0;
}

static int katx_aead(const struct cpns_reply *r, void *arg)
{
	struct katx_ctx *c = arg;
	struct cpns_katx_rekey_out *o = &c->out->u.rekey;
	struct cpns_kat_aead_out *a;
	const void *data;
	size_t len;

	if (o->naead == CPNS_MAX_KAT_AEAD)
		return cpns__fail(c->nl, -EBADMSG,
				  "the kernel returned more than %d AEAD entries",
				  CPNS_MAX_KAT_AEAD);
	a = &o->aead[o->naead];
	data = cpns_reply_get(r, CPNS_AEAD_A_DATA, &len);
	if (!data || cpns_reply_u8(r, CPNS_AEAD_A_DIR, &a->dir) ||
	    cpns_reply_u64(r, CPNS_AEAD_A_SEQ, &a->seq))
		return cpns__fail(c->nl, -EBADMSG,
				  "AEAD entry %zu of the kernel's KAT_EXT reply lacks an attribute",
				  o->naead);
	a->data = malloc(len ? len : 1);
	if (!a->data)
		return cpns__fail(c->nl, -ENOMEM, "out of memory");
	memcpy(a->data, data, len);
	a->len = len;
	o->naead++;
	return 0;
}

static int katx_reply(const struct cpns_reply *r, void *arg)
{
	struct katx_ctx *c = arg;
	struct cpns_katx_out *out = c->out;
	int ret;

	switch (out->kind) {
	case CPNS_VEC_XFER: {
		struct cpns_katx_xfer_out *x = &out->u.xfer;
		const struct cpns_want w[] = {
			{ CPNS_A_PUBKEY, x->sender_public, CPNS_PUBKEY_LEN },
			{ CPNS_A_PEER_PUBKEY, x->receiver_public,
			  CPNS_PUBKEY_LEN },
			{ CPNS_A_WRAPPED, x->wrapped, CPNS_WRAPPED_LEN },
			{ CPNS_A_XFER_CODE, &x->code, sizeof(x->code) },
			{ CPNS_A_KAT_PEER_CODE, &x->receiver_code,
			  sizeof(x->receiver_code) },
			{ CPNS_A_KAT_KEY, x->receiver_key, CPNS_KEY_LEN },
			{ CPNS_A_PAIR_MAC, x->pair_mac, CPNS_MAC_LEN },
			{ CPNS_A_RECEIVER_MAC, x->receiver_mac,
			  CPNS_MAC_LEN },
		};

		ret = katx_copy(c, r, w, CPNS_ARRAY_SIZE(w));
		break;
	}
	case CPNS_VEC_REKEY: {
		struct cpns_katx_rekey_out *k = &out->u.rekey;
		const struct cpns_want w[] = {
			{ CPNS_A_PUBKEY, k->client_public, CPNS_PUBKEY_LEN },
			{ CPNS_A_PEER_PUBKEY, k->server_public,
			  CPNS_PUBKEY_LEN },
			{ CPNS_A_CLIENT_MAC, k->auth_client_mac,
			  CPNS_MAC_LEN },
			{ CPNS_A_SERVER_MAC, k->auth_server_mac,
			  CPNS_MAC_LEN },
			{ CPNS_A_GENERATION, &k->new_generation,
			  sizeof(k->new_generation) },
			{ CPNS_A_KAT_DEVICE_KEY, k->new_device_key,
			  CPNS_KEY_LEN },
			{ CPNS_A_KAT_SESSION_KEY_C2S, k->session_key_c2s,
			  CPNS_KEY_LEN },
			{ CPNS_A_KAT_SESSION_KEY_S2C, k->session_key_s2c,
			  CPNS_KEY_LEN },
		};

		ret = katx_copy(c, r, w, CPNS_ARRAY_SIZE(w));
		if (!ret)
			ret = cpns_reply_foreach(r, CPNS_A_KAT_AEAD, katx_aead,
						 c);
		break;
	}
	case CPNS_VEC_STORE: {
		struct cpns_katx_store_out *s = &out->u.store;
		struct cpns_katx_stored *m = &s->unwrapped;
		const struct cpns_want w[] = {
			{ CPNS_A_KEY_KIND, &m->key_kind, 1 },
			{ CPNS_A_ROLE, &m->role, 1 },
			{ CPNS_A_STATE, &m->state, 1 },
			{ CPNS_A_GENERATION, &m->generation,
			  sizeof(m->generation) },
			{ CPNS_A_EXPIRY, &m->expiry, sizeof(m->expiry) },
			{ CPNS_A_KAT_CREATED, &m->created,
			  sizeof(m->created) },
			{ CPNS_A_KAT_KEY, m->key, CPNS_KEY_LEN },
		};
		const void *blob;
		int idattr;

		ret = katx_copy(c, r, w, CPNS_ARRAY_SIZE(w));
		if (ret)
			break;
		m->id_len = m->key_kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
							   CPNS_DEVICE_ID_LEN;
		idattr = m->key_kind == CPNS_KEY_SEED ? CPNS_A_SEED_ID :
							CPNS_A_DEVICE_ID;
		blob = cpns_reply_get(r, CPNS_A_BLOB, &s->blob_len);
		if (!blob || s->blob_len > CPNS_MAX_BLOB ||
		    cpns_reply_copy(r, idattr, m->id, m->id_len)) {
			ret = cpns__fail(c->nl, -EBADMSG,
					 "the kernel's KAT_EXT reply lacks CPNS_A_BLOB or the ID");
			break;
		}
		memcpy(s->blob, blob, s->blob_len);
		break;
	}
	default:
		ret = cpns__fail(c->nl, -EINVAL, "not an extension vector");
		break;
	}
	if (!ret)
		c->got = true;
	return ret;
}

static int katx_aead_put(struct cpns_msg *msg, const struct cpns_kat_aead_in *a)
{
	struct nlattr *nest = cpns_msg_nest_start(msg, CPNS_A_KAT_AEAD);
	int ret;

	if (!nest)
		return -EMSGSIZE;
	ret = cpns_msg_put_u8(msg, CPNS_AEAD_A_DIR, a->dir);
	ret = ret ?: cpns_msg_put_u64(msg, CPNS_AEAD_A_SEQ, a->seq);
	ret = ret ?: cpns_msg_put(msg, CPNS_AEAD_A_AAD, a->aad, a->aad_len);
	ret = ret ?: cpns_msg_put(msg, CPNS_AEAD_A_DATA, a->pt, a->pt_len);
	return ret ?: cpns_msg_nest_end(msg, nest);
}

static int katx_build(struct cpns_msg *msg, const struct cpns_katx_in *in)
{
	size_t i;
	int ret;

	switch (in->kind) {
	case CPNS_VEC_XFER: {
		const struct cpns_katx_xfer_in *x = &in->u.xfer;

		ret = cpns_msg_put_u8(msg, CPNS_A_KAT_KIND, CPNS_KAT_XFER);
		ret = ret ?: cpns_msg_put_u8(msg, CPNS_A_KEY_KIND, x->key_kind);
		ret = ret ?: cpns_msg_put(msg, x->key_kind == CPNS_KEY_SEED ?
					  CPNS_A_SEED_ID : CPNS_A_DEVICE_ID,
					  x->id, x->id_len);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_SECRET,
					  x->sender_secret, CPNS_PUBKEY_LEN);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_PEER_SECRET,
					  x->receiver_secret, CPNS_PUBKEY_LEN);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_KEY, x->key,
					  CPNS_KEY_LEN);
		return ret ?: cpns_msg_put(msg, CPNS_A_KAT_KEK, x->pair_key,
					   x->pair_key_len);
	}
	case CPNS_VEC_REKEY: {
		const struct cpns_katx_rekey_in *k = &in->u.rekey;

		ret = cpns_msg_put_u8(msg, CPNS_A_KAT_KIND, CPNS_KAT_REKEY);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_DEVICE_ID, k->device_id,
					  CPNS_DEVICE_ID_LEN);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_KEY, k->device_key,
					  CPNS_KEY_LEN);
		ret = ret ?: cpns_msg_put_u32(msg, CPNS_A_GENERATION,
					      k->generation);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_CLIENT_NONCE,
					  k->client_nonce, CPNS_NONCE_LEN);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_SERVER_NONCE,
					  k->server_nonce, CPNS_NONCE_LEN);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_SECRET,
					  k->client_secret, CPNS_PUBKEY_LEN);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_PEER_SECRET,
					  k->server_secret, CPNS_PUBKEY_LEN);
		for (i = 0; !ret && i < k->naead; i++)
			ret = katx_aead_put(msg, &k->aead[i]);
		return ret;
	}
	case CPNS_VEC_STORE: {
		const struct cpns_katx_store_in *s = &in->u.store;
		const struct cpns_katx_stored *m = &s->meta;

		ret = cpns_msg_put_u8(msg, CPNS_A_KAT_KIND, CPNS_KAT_STORE);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_KEK, s->kek,
					  s->kek_len);
		ret = ret ?: cpns_msg_put_u8(msg, CPNS_A_KEY_KIND, m->key_kind);
		ret = ret ?: cpns_msg_put_u8(msg, CPNS_A_ROLE, m->role);
		ret = ret ?: cpns_msg_put_u8(msg, CPNS_A_STATE, m->state);
		ret = ret ?: cpns_msg_put_u32(msg, CPNS_A_GENERATION,
					      m->generation);
		ret = ret ?: cpns_msg_put_u64(msg, CPNS_A_KAT_CREATED,
					      m->created);
		ret = ret ?: cpns_msg_put_u64(msg, CPNS_A_EXPIRY, m->expiry);
		ret = ret ?: cpns_msg_put(msg, m->key_kind == CPNS_KEY_SEED ?
					  CPNS_A_SEED_ID : CPNS_A_DEVICE_ID,
					  m->id, m->id_len);
		ret = ret ?: cpns_msg_put(msg, CPNS_A_KAT_SALT, s->salt,
					  CPNS_VEC_SALT_LEN);
		if (!ret && s->label_len)
			ret = cpns_msg_put(msg, CPNS_A_LABEL, s->label,
					   s->label_len);
		return ret ?: cpns_msg_put(msg, CPNS_A_KAT_KEY, m->key,
					   CPNS_KEY_LEN);
	}
	case CPNS_VEC_PROFILE:
		break;
	}
	return -EINVAL;
}

int cpns_kat_ext(struct cpns_nl *nl, const struct cpns_katx_in *in,
		 struct cpns_katx_out *out)
{
	struct katx_ctx c = { .nl = nl, .out = out };
	struct cpns_msg *msg;
	size_t i, size = 2048;
	int ret;

	cpns__clear_error(nl);
	memset(out, 0, sizeof(*out));
	out->kind = in->kind;
	if (in->kind == CPNS_VEC_PROFILE)
		return cpns__fail(nl, -EINVAL,
				  "a CPNS-KA-1 vector goes to KAT, not KAT_EXT");
	if (in->kind == CPNS_VEC_REKEY) {
		if (in->u.rekey.naead > CPNS_MAX_KAT_AEAD)
			return cpns__fail(nl, -EINVAL,
					  "more than %d AEAD entries",
					  CPNS_MAX_KAT_AEAD);
		for (i = 0; i < in->u.rekey.naead; i++)
			size += 64 + NLA_ALIGN(in->u.rekey.aead[i].aad_len) +
				NLA_ALIGN(in->u.rekey.aead[i].pt_len);
	}
	msg = cpns__req(nl, CPNS_KAT_CMD_KAT_EXT, size);
	if (!msg)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	ret = katx_build(msg, in);
	if (ret) {
		cpns__req_end(nl, msg);
		return cpns__fail(nl, ret, "KAT_EXT request too large");
	}
	ret = cpns_msg_send(nl, msg, katx_reply, &c);
	cpns__req_end(nl, msg);
	if (!ret && !c.got)
		ret = cpns__fail(nl, -EBADMSG,
				 "the kernel sent no KAT_EXT reply");
	if (ret)
		cpns_katx_out_clear(out);
	return ret;
}

/* ---- Comparison ------------------------------------------------------ */

struct cmp {
	cpns_katx_report_fn report;
	void *arg;
	int bad;
	int err;
};

static char *hex_str(const void *p, size_t len)
{
	char *s = malloc(2 * len + 1);

	if (s)
		cpns_hex_encode(s, p, len);
	return s;
}

static char *num_str(uint64_t v)
{
	char *s = malloc(24);

	if (s)
		snprintf(s, 24, "%" PRIu64, v);
	return s;
}

/* Report one field with the printable forms w and g (freed here). */
static void cmp_report(struct cmp *c, const char *field, int aead, bool ok,
		       char *w, char *g)
{
	c->bad += !ok;
	if (!w || !g)
		c->err = -ENOMEM;
	else if (c->report)
		c->report(field, aead, ok, w, g, c->arg);
	free(w);
	free(g);
}

static void cmp_bytes(struct cmp *c, const char *field, const void *w,
		      size_t wlen, const void *g, size_t glen)
{
	bool ok = wlen == glen && !memcmp(w, g, wlen);

	cmp_report(c, field, -1, ok, hex_str(w, wlen), hex_str(g, glen));
}

static void cmp_num(struct cmp *c, const char *field, uint64_t w,
		    uint64_t g)
{
	cmp_report(c, field, -1, w == g, num_str(w), num_str(g));
}

#define CMP_FIXED(c, name, w, g) \
	cmp_bytes(c, name, (w), sizeof(w), (g), sizeof(g))

static void cmp_aead(struct cmp *c, const struct cpns_katx_rekey_out *w,
		     const struct cpns_katx_rekey_out *g)
{
	size_t i;

	for (i = 0; i < w->naead; i++) {
		const struct cpns_kat_aead_out *a = &w->aead[i];
		const struct cpns_kat_aead_out *b = i < g->naead ?
						    &g->aead[i] : NULL;
		bool ok = b && a->dir == b->dir && a->seq == b->seq &&
			  a->len == b->len && !memcmp(a->data, b->data, a->len);

		cmp_report(c, "sealed", (int)i, ok, hex_str(a->data, a->len),
			   b ? hex_str(b->data, b->len) : strdup(""));
	}
	if (w->naead != g->naead) {
		c->bad++;
		if (c->report)
			c->report("aead_count", -1, false, NULL, NULL, c->arg);
	}
}

static void cmp_stored(struct cmp *c, const struct cpns_katx_stored *w,
		       const struct cpns_katx_stored *g)
{
	cmp_num(c, "unwrapped.kind", w->key_kind, g->key_kind);
	cmp_num(c, "unwrapped.role", w->role, g->role);
	cmp_num(c, "unwrapped.state", w->state, g->state);
	cmp_num(c, "unwrapped.generation", w->generation, g->generation);
	cmp_num(c, "unwrapped.created", w->created, g->created);
	cmp_num(c, "unwrapped.expiry", w->expiry, g->expiry);
	cmp_bytes(c, "unwrapped.id", w->id, w->id_len, g->id, g->id_len);
	CMP_FIXED(c, "unwrapped.key", w->key, g->key);
}

int cpns_katx_check(const struct cpns_katx_out *want,
		    const struct cpns_katx_out *got,
		    cpns_katx_report_fn report, void *arg)
{
	struct cmp c = { .report = report, .arg = arg };

	if (want->kind != got->kind) {
		if (report)
			report("kind", -1, false, cpns_vec_profile(want->kind),
			       cpns_vec_profile(got->kind), arg);
		return 1;
	}
	switch (want->kind) {
	case CPNS_VEC_XFER: {
		const struct cpns_katx_xfer_out *w = &want->u.xfer;
		const struct cpns_katx_xfer_out *g = &got->u.xfer;

		CMP_FIXED(&c, "sender_public", w->sender_public,
			  g->sender_public);
		CMP_FIXED(&c, "receiver_public", w->receiver_public,
			  g->receiver_public);
		CMP_FIXED(&c, "wrapped", w->wrapped, g->wrapped);
		cmp_num(&c, "code", w->code, g->code);
		CMP_FIXED(&c, "pair_mac", w->pair_mac, g->pair_mac);
		CMP_FIXED(&c, "receiver_mac", w->receiver_mac,
			  g->receiver_mac);
		cmp_num(&c, "receiver.code", w->receiver_code,
			g->receiver_code);
		CMP_FIXED(&c, "receiver.key", w->receiver_key,
			  g->receiver_key);
		break;
	}
	case CPNS_VEC_REKEY: {
		const struct cpns_katx_rekey_out *w = &want->u.rekey;
		const struct cpns_katx_rekey_out *g = &got->u.rekey;

		CMP_FIXED(&c, "client_public", w->client_public,
			  g->client_public);
		CMP_FIXED(&c, "server_public", w->server_public,
			  g->server_public);
		CMP_FIXED(&c, "auth_client_mac", w->auth_client_mac,
			  g->auth_client_mac);
		CMP_FIXED(&c, "auth_server_mac", w->auth_server_mac,
			  g->auth_server_mac);
		cmp_num(&c, "new_generation", w->new_generation,
			g->new_generation);
		CMP_FIXED(&c, "new_device_key", w->new_device_key,
			  g->new_device_key);
		CMP_FIXED(&c, "session_key_c2s", w->session_key_c2s,
			  g->session_key_c2s);
		CMP_FIXED(&c, "session_key_s2c", w->session_key_s2c,
			  g->session_key_s2c);
		cmp_aead(&c, w, g);
		break;
	}
	case CPNS_VEC_STORE:
		cmp_bytes(&c, "blob", want->u.store.blob,
			  want->u.store.blob_len, got->u.store.blob,
			  got->u.store.blob_len);
		cmp_stored(&c, &want->u.store.unwrapped,
			   &got->u.store.unwrapped);
		break;
	case CPNS_VEC_PROFILE:
		return -EINVAL;
	}
	return c.err ? c.err : c.bad;
}
