// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The KAT command: known-answer vectors computed by the kernel. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vectors.h"

#define IN(name, attr) \
	{ #name, offsetof(struct cpns_kat_input, name), \
	  sizeof(((struct cpns_kat_input *)0)->name), attr }
#define OUT(name, attr) \
	{ #name, offsetof(struct cpns_kat_output, name), \
	  sizeof(((struct cpns_kat_output *)0)->name), attr }

const struct cpns_kat_field cpns__kat_in_fields[] = {
	IN(key_seed, CPNS_A_KAT_KEY_SEED),
	IN(seed_id, CPNS_A_SEED_ID),
	IN(request_nonce, CPNS_A_REQUEST_NONCE),
	IN(challenge, CPNS_A_CHALLENGE),
	IN(client_nonce, CPNS_A_CLIENT_NONCE),
	IN(server_nonce, CPNS_A_SERVER_NONCE),
};
const size_t cpns__kat_in_nfields = CPNS_ARRAY_SIZE(cpns__kat_in_fields);

const struct cpns_kat_field cpns__kat_out_fields[] = {
	OUT(seed_auth_key, CPNS_A_KAT_SEED_AUTH_KEY),
	OUT(assign_request_mac, CPNS_A_REQUEST_MAC),
	OUT(assign_challenge_mac, CPNS_A_CHALLENGE_MAC),
	OUT(device_id, CPNS_A_DEVICE_ID),
	OUT(device_key, CPNS_A_KAT_DEVICE_KEY),
	OUT(assign_confirm, CPNS_A_CONFIRM),
	OUT(auth_client_mac, CPNS_A_CLIENT_MAC),
	OUT(auth_server_mac, CPNS_A_SERVER_MAC),
	OUT(session_key_c2s, CPNS_A_KAT_SESSION_KEY_C2S),
	OUT(session_key_s2c, CPNS_A_KAT_SESSION_KEY_S2C),
};
const size_t cpns__kat_out_nfields = CPNS_ARRAY_SIZE(cpns__kat_out_fields);

void cpns_kat_output_clear(struct cpns_kat_output *out)
{
	size_t i;

	for (i = 0; i < CPNS_MAX_KAT_AEAD; i++) {
		if (out->aead[i].data) {
			explicit_bzero(out->aead[i].data, out->aead[i].len);
			free(out->aead[i].data);
		}
	}
	explicit_bzero(out, sizeof(*out));
}

struct kat_ctx {
	struct cpns_nl *nl;
	struct cpns_kat_output *out;
	bool got;
};

static int kat_aead(const struct cpns_reply *r, void *arg)
{
	struct kat_ctx *c = arg;
	struct cpns_kat_aead_out *a;
	const void *data;
	size_t len;

	if (c->out->naead == CPNS_MAX_KAT_AEAD)
		return cpns__fail(c->nl, -EBADMSG,
				  "the kernel returned more than %d AEAD entries",
				  CPNS_MAX_KAT_AEAD);
	a = &c->out->aead[c->out->naead];
	data = cpns_reply_get(r, CPNS_AEAD_A_DATA, &len);
	if (!data || cpns_reply_u8(r, CPNS_AEAD_A_DIR, &a->dir) ||
	    cpns_reply_u64(r, CPNS_AEAD_A_SEQ, &a->seq))
		return cpns__fail(c->nl, -EBADMSG,
				  "AEAD entry %zu of the kernel's KAT reply lacks an attribute",
				  c->out->naead);
	a->data = malloc(len ? len : 1);
	if (!a->data)
		return cpns__fail(c->nl, -ENOMEM, "out of memory");
	memcpy(a->data, data, len);
	a->len = len;
	c->out->naead++;
	return 0;
}

static int kat_reply(const struct cpns_reply *r, void *arg)
{
	struct kat_ctx *c = arg;
	size_t i;

	for (i = 0; i < cpns__kat_out_nfields; i++) {
		const struct cpns_kat_field *f = &cpns__kat_out_fields[i];

		if (cpns_reply_copy(r, f->attr, (uint8_t *)c->out + f->off,
				    f->len))
			return cpns__fail(c->nl, -EBADMSG,
					  "the kernel's KAT reply lacks %s (%s)",
					  f->name, cpns_attr_name(f->attr));
	}
	c->got = true;
	return cpns_reply_foreach(r, CPNS_A_KAT_AEAD, kat_aead, c);
}

static int kat_build(struct cpns_msg *msg, const struct cpns_kat_input *in)
{
	size_t i;
	int ret;

	for (i = 0; i < cpns__kat_in_nfields; i++) {
		const struct cpns_kat_field *f = &cpns__kat_in_fields[i];

		ret = cpns_msg_put(msg, f->attr, (const uint8_t *)in + f->off,
				   f->len);
		if (ret)
			return ret;
	}
	for (i = 0; i < in->naead; i++) {
		const struct cpns_kat_aead_in *a = &in->aead[i];
		struct nlattr *nest = cpns_msg_nest_start(msg, CPNS_A_KAT_AEAD);

		if (!nest)
			return -EMSGSIZE;
		ret = cpns_msg_put_u8(msg, CPNS_AEAD_A_DIR, a->dir);
		if (!ret)
			ret = cpns_msg_put_u64(msg, CPNS_AEAD_A_SEQ, a->seq);
		if (!ret)
			ret = cpns_msg_put(msg, CPNS_AEAD_A_AAD, a->aad,
					   a->aad_len);
		if (!ret)
			ret = cpns_msg_put(msg, CPNS_AEAD_A_DATA, a->pt,
					   a->pt_len);
		if (!ret)
			ret = cpns_msg_nest_end(msg, nest);
		if (ret)
			return ret;
	}
	return 0;
}

int cpns_kat(struct cpns_nl *nl, const struct cpns_kat_input *in,
	     struct cpns_kat_output *out)
{
	struct kat_ctx c = { .nl = nl, .out = out };
	struct cpns_msg *msg;
	size_t i, size = 1024;
	int ret;

	cpns__clear_error(nl);
	memset(out, 0, sizeof(*out));
	if (in->naead > CPNS_MAX_KAT_AEAD)
		return cpns__fail(nl, -EINVAL, "more than %d AEAD entries",
				  CPNS_MAX_KAT_AEAD);
	for (i = 0; i < in->naead; i++)
		size += 64 + NLA_ALIGN(in->aead[i].aad_len) +
			NLA_ALIGN(in->aead[i].pt_len);
	msg = cpns__req(nl, CPNS_KAT_CMD_KAT, size);
	if (!msg)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	ret = kat_build(msg, in);
	if (ret) {
		cpns__req_end(nl, msg);
		return cpns__fail(nl, ret, "KAT request too large");
	}
	ret = cpns_msg_send(nl, msg, kat_reply, &c);
	cpns__req_end(nl, msg);
	if (!ret && !c.got)
		ret = cpns__fail(nl, -EBADMSG, "the kernel sent no KAT reply");
	if (ret)
		cpns_kat_output_clear(out);
	return ret;
}

const uint8_t *cpns_kat_field(const struct cpns_kat_output *out,
			      const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < cpns__kat_out_nfields; i++) {
		const struct cpns_kat_field *f = &cpns__kat_out_fields[i];

		if (!strcmp(f->name, name)) {
			if (len)
				*len = f->len;
			return (const uint8_t *)out + f->off;
		}
	}
	return NULL;
}

int cpns_kat_check(const struct cpns_kat_output *want,
		   const struct cpns_kat_output *got,
		   cpns_kat_report_fn report, void *arg)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < cpns__kat_out_nfields; i++) {
		const struct cpns_kat_field *f = &cpns__kat_out_fields[i];
		bool ok = !memcmp((const uint8_t *)want + f->off,
				  (const uint8_t *)got + f->off, f->len);

		bad += !ok;
		if (report)
			report(f->name, -1, ok, arg);
	}
	for (i = 0; i < want->naead; i++) {
		const struct cpns_kat_aead_out *w = &want->aead[i];
		const struct cpns_kat_aead_out *g = &got->aead[i];
		bool ok = i < got->naead && w->dir == g->dir &&
			  w->seq == g->seq && w->len == g->len &&
			  !memcmp(w->data, g->data, w->len);

		bad += !ok;
		if (report)
			report("sealed", (int)i, ok, arg);
	}
	if (want->naead != got->naead) {
		bad++;
		if (report)
			report("aead_count", -1, false, arg);
	}
	return bad;
}
