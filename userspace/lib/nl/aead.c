// SPDX-License-Identifier: GPL-2.0 OR MIT
/* SEAL and OPEN of signalling messages under an established session. */
#include <errno.h>
#include <string.h>

#include "internal.h"

struct data_ctx {
	struct cpns_nl *nl;
	uint8_t cmd;
	void *out;
	size_t cap;
	size_t len;
	uint64_t *seq;		/* SEAL: the sequence number used */
	struct cpns_record *rec;	/* OPEN: the record it confirmed */
	bool got;
};

static int data_reply(const struct cpns_reply *r, void *arg)
{
	struct data_ctx *c = arg;
	size_t len;
	const void *data = cpns_reply_get(r, CPNS_A_DATA, &len);

	if (!data || (c->seq && !cpns_reply_has(r, CPNS_A_SEQ)))
		return cpns__fail(c->nl, -EBADMSG,
				  "the kernel's reply to %s lacks %s",
				  cpns_cmd_name(c->cmd),
				  data ? "seq" : "data");
	if (len > c->cap)
		return cpns__fail(c->nl, -ENOSPC,
				  "output buffer too small: %zu bytes, need %zu",
				  c->cap, len);
	if (c->seq)
		cpns_reply_u64(r, CPNS_A_SEQ, c->seq);
	if (cpns_reply_has(r, CPNS_A_STATE)) {
		const void *blob;
		size_t blen;

		blob = cpns_reply_get(r, CPNS_A_BLOB, &blen);
		if (!blob || blen > CPNS_MAX_BLOB)
			return cpns__fail(c->nl, -EBADMSG,
					  "the kernel's reply to OPEN carries a state without a valid device record");
		memcpy(c->rec->blob, blob, blen);
		c->rec->blob_len = blen;
		cpns_reply_u8(r, CPNS_A_STATE, &c->rec->state);
		cpns_reply_u32(r, CPNS_A_GENERATION, &c->rec->generation);
	}
	memcpy(c->out, data, len);
	c->len = len;
	c->got = true;
	return 0;
}

static int aead_call(struct cpns_nl *nl, uint8_t cmd, uint32_t handle,
		     const uint64_t *seq_in, const void *aad, size_t aadlen,
		     const void *in, size_t len, struct data_ctx *c)
{
	struct cpns_msg *msg;
	int ret;

	cpns__clear_error(nl);
	msg = cpns__req(nl, cmd, 256 + NLA_ALIGN(aadlen) + NLA_ALIGN(len));
	if (!msg)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	/* OPEN's handle, number, additional data and ciphertext: no secret. */
	msg->public = cmd == CPNS_CMD_OPEN;
	ret = cpns_msg_put_u32(msg, CPNS_A_HANDLE, handle);
	if (!ret && seq_in)
		ret = cpns_msg_put_u64(msg, CPNS_A_SEQ, *seq_in);
	if (!ret && aadlen)
		ret = cpns_msg_put(msg, CPNS_A_AAD, aad, aadlen);
	if (!ret)
		ret = cpns_msg_put(msg, CPNS_A_DATA, in, len);
	if (ret) {
		cpns__req_end(nl, msg);
		return cpns__fail(nl, ret, "message too large for netlink");
	}
	ret = cpns_msg_send(nl, msg, data_reply, c);
	cpns__req_end(nl, msg);
	if (!ret && !c->got)
		ret = cpns__fail(nl, -EBADMSG, "the kernel sent no reply to %s",
				 cpns_cmd_name(cmd));
	return ret;
}

int cpns_seal(struct cpns_nl *nl, uint32_t handle, const void *aad,
	      size_t aadlen, const void *pt, size_t len, uint64_t *seq,
	      void *out, size_t *outlen)
{
	uint64_t used = 0;
	struct data_ctx c = {
		.nl = nl, .cmd = CPNS_CMD_SEAL, .out = out, .cap = *outlen,
		.seq = &used,
	};
	int ret = aead_call(nl, CPNS_CMD_SEAL, handle, NULL, aad, aadlen, pt,
			    len, &c);

	if (ret)
		return ret;
	*outlen = c.len;
	if (seq)
		*seq = used;
	return 0;
}

int cpns_unseal(struct cpns_nl *nl, uint32_t handle, uint64_t seq,
		const void *aad, size_t aadlen, const void *in, size_t len,
		void *out, size_t *outlen)
{
	return cpns_unseal_rk(nl, handle, seq, aad, aadlen, in, len, out,
			      outlen, NULL);
}

int cpns_unseal_rk(struct cpns_nl *nl, uint32_t handle, uint64_t seq,
		   const void *aad, size_t aadlen, const void *in, size_t len,
		   void *out, size_t *outlen, int32_t *confirmed)
{
	struct cpns_record rec;
	int ret = cpns_unseal_rec(nl, handle, seq, aad, aadlen, in, len, out,
				  outlen, &rec);

	if (!ret && confirmed)
		*confirmed = rec.blob_len ? 1 : 0;
	return ret;
}

int cpns_unseal_rec(struct cpns_nl *nl, uint32_t handle, uint64_t seq,
		    const void *aad, size_t aadlen, const void *in, size_t len,
		    void *out, size_t *outlen, struct cpns_record *rec)
{
	struct cpns_record r = { 0 };
	struct data_ctx c = {
		.nl = nl, .cmd = CPNS_CMD_OPEN, .out = out, .cap = *outlen,
		.rec = &r,
	};
	int ret = aead_call(nl, CPNS_CMD_OPEN, handle, &seq, aad, aadlen, in,
			    len, &c);

	if (ret) {
		explicit_bzero(out, *outlen);
		return ret;
	}
	*outlen = c.len;
	if (rec)
		*rec = r;
	return 0;
}
