// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Attribute building and parsing against hand-made netlink messages, and
 * the decoding of ACKs with extended ACK attributes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>

#include "cpns.h"
#include "keyops.h"
#include "tap.h"

#define FAMILY 0x1a2b

static const uint8_t sid[CPNS_SEED_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* A request like the library's KAT one, but short. */
static struct cpns_msg *sample(void)
{
	struct cpns_msg *m = cpns_msg_new(FAMILY, CPNS_KAT_CMD_KAT, 0);
	struct nlattr *nest;

	cpns_msg_put(m, CPNS_A_SEED_ID, sid, sizeof(sid));	/* at 20 */
	cpns_msg_put_u32(m, CPNS_A_HANDLE, 0xdeadbeef);		/* at 32 */
	cpns_msg_put_u64(m, CPNS_A_SEQ, 0x0102030405060708ULL);	/* at 40 */
	nest = cpns_msg_nest_start(m, CPNS_A_KAT_AEAD);		/* at 52 */
	cpns_msg_put_u8(m, CPNS_AEAD_A_DIR, CPNS_DIR_S2C);	/* at 56 */
	cpns_msg_put(m, CPNS_AEAD_A_DATA, "abc", 3);		/* at 64 */
	cpns_msg_nest_end(m, nest);
	cpns_msg_put_s32(m, CPNS_A_KEY_SERIAL, -5);		/* at 72 */
	return m;
}

static void test_build(void)
{
	struct cpns_msg *m = sample();
	const uint8_t *p;
	const struct nlmsghdr *nlh;
	const struct genlmsghdr *gh;
	size_t len;

	p = cpns_msg_data(m, &len);
	nlh = (const void *)p;
	gh = (const void *)(p + NLMSG_HDRLEN);
	tap_ok(len == 80 && nlh->nlmsg_len == 80,
	       "msg: total length is 80 bytes (%zu)", len);
	tap_ok(nlh->nlmsg_type == FAMILY &&
	       (nlh->nlmsg_flags & NLM_F_REQUEST) &&
	       gh->cmd == CPNS_KAT_CMD_KAT && gh->version == CPNS_GENL_VERSION,
	       "msg: netlink and genl headers");
	tap_ok(rd16(p + 20) == 12 && rd16(p + 22) == CPNS_A_SEED_ID &&
	       !memcmp(p + 24, sid, 8), "msg: binary attribute bytes");
	tap_ok(rd16(p + 32) == 8 && rd16(p + 34) == CPNS_A_HANDLE &&
	       rd32(p + 36) == 0xdeadbeef, "msg: u32 attribute bytes");
	tap_ok(rd16(p + 40) == 12 && rd16(p + 42) == CPNS_A_SEQ &&
	       rd32(p + 44) == 0x05060708 && rd32(p + 48) == 0x01020304,
	       "msg: u64 attribute in host order");
	tap_ok(rd16(p + 52) == 20 &&
	       rd16(p + 54) == (CPNS_A_KAT_AEAD | NLA_F_NESTED),
	       "msg: nest carries NLA_F_NESTED and its length");
	tap_ok(rd16(p + 56) == 5 && rd16(p + 58) == CPNS_AEAD_A_DIR &&
	       p[60] == CPNS_DIR_S2C && p[61] == 0 && p[62] == 0,
	       "msg: u8 attribute padded with zeros");
	tap_ok(rd16(p + 64) == 7 && rd16(p + 66) == CPNS_AEAD_A_DATA &&
	       !memcmp(p + 68, "abc", 3), "msg: nested binary attribute");
	tap_ok(rd16(p + 72) == 8 && (int32_t)rd32(p + 76) == -5,
	       "msg: s32 attribute");

	tap_ok(cpns_msg_append(m, "\x08\x00\x63\x00", 4) == 0 &&
	       cpns_msg_data(m, &len) && len == 84,
	       "msg: raw bytes can be appended");
	tap_ok(cpns_msg_put(m, CPNS_A_DATA, NULL, 70000) == -EMSGSIZE,
	       "msg: an attribute over 64 KiB is refused");
	cpns_msg_free(m);

	m = cpns_msg_new_size(FAMILY, CPNS_CMD_SEAL, NLM_F_DUMP, 64);
	tap_ok(m && cpns_msg_put(m, CPNS_A_DATA, sid, 8) == 0 &&
	       cpns_msg_put(m, CPNS_A_DATA, NULL, 100) == -EMSGSIZE,
	       "msg: a full message refuses more attributes");
	p = cpns_msg_data(m, &len);
	tap_ok((((const struct nlmsghdr *)p)->nlmsg_flags & NLM_F_DUMP) ==
	       NLM_F_DUMP, "msg: extra flags are kept");
	cpns_msg_free(m);
}

struct nest_seen {
	int n;
	uint8_t dir;
	char data[8];
};

static int nest_cb(const struct cpns_reply *r, void *arg)
{
	struct nest_seen *s = arg;
	size_t len;
	const char *d = cpns_reply_get(r, CPNS_AEAD_A_DATA, &len);

	s->n++;
	cpns_reply_u8(r, CPNS_AEAD_A_DIR, &s->dir);
	if (d && len < sizeof(s->data))
		memcpy(s->data, d, len);
	return 0;
}

/* Copy a built message, so that tests can damage it. */
static uint8_t *copy(struct cpns_msg *m, size_t *len)
{
	const void *p = cpns_msg_data(m, len);
	uint8_t *c = malloc(*len + 64);

	memcpy(c, p, *len);
	return c;
}

static void test_parse(void)
{
	struct cpns_msg *m = sample();
	struct cpns_reply *r = NULL;
	struct nest_seen seen = { 0 };
	uint8_t got[8], *buf;
	uint64_t seq;
	uint32_t handle;
	int32_t serial;
	char err[160] = "";
	size_t len;
	int ret;

	buf = copy(m, &len);
	ret = cpns_reply_parse(buf, len, &r, err, sizeof(err));
	if (!tap_ok(ret == 0, "parse: a built message parses back")) {
		tap_diag("%d %s", ret, err);
		goto out;
	}
	tap_ok(cpns_reply_cmd(r) == CPNS_KAT_CMD_KAT, "parse: command");
	tap_ok(cpns_reply_copy(r, CPNS_A_SEED_ID, got, 8) == 0 &&
	       !memcmp(got, sid, 8), "parse: binary value");
	tap_ok(cpns_reply_u32(r, CPNS_A_HANDLE, &handle) == 0 &&
	       handle == 0xdeadbeef, "parse: u32 value");
	tap_ok(cpns_reply_u64(r, CPNS_A_SEQ, &seq) == 0 &&
	       seq == 0x0102030405060708ULL, "parse: u64 value");
	tap_ok(cpns_reply_s32(r, CPNS_A_KEY_SERIAL, &serial) == 0 &&
	       serial == -5, "parse: s32 value");
	tap_ok(cpns_reply_u32(r, CPNS_A_VERSION, &handle) == -ENODATA &&
	       !cpns_reply_has(r, CPNS_A_VERSION),
	       "parse: an absent attribute is -ENODATA");
	tap_ok(cpns_reply_u32(r, CPNS_A_SEED_ID, &handle) == -EBADMSG,
	       "parse: reading with the wrong size is -EBADMSG");
	tap_ok(cpns_reply_foreach(r, CPNS_A_KAT_AEAD, nest_cb, &seen) == 0 &&
	       seen.n == 1 && seen.dir == CPNS_DIR_S2C &&
	       !strcmp(seen.data, "abc"), "parse: nested attributes");
	tap_ok(cpns_reply_foreach(r, CPNS_A_SEED_ID, nest_cb, &seen) ==
	       -EINVAL, "parse: foreach refuses a non-nested type");
	cpns_reply_free(r);

	/* The SEED_ID attribute one byte short: header says 11. */
	buf[20] = 11;
	ret = cpns_reply_parse(buf, len, &r, err, sizeof(err));
	if (!tap_ok(ret == -EBADMSG && strstr(err, "seed_id") &&
		    strstr(err, "7 bytes, expected 8"),
		    "parse: a wrong-length attribute is refused by name"))
		tap_diag("%d %s", ret, err);
	if (!ret)
		cpns_reply_free(r);
	buf[20] = 12;

	/* The last attribute runs past the message. */
	buf[72] = 40;
	ret = cpns_reply_parse(buf, len, &r, err, sizeof(err));
	tap_ok(ret == -EBADMSG && strstr(err, "truncated attribute"),
	       "parse: an attribute past the end is refused");
	if (!ret)
		cpns_reply_free(r);
	buf[72] = 8;

	/* Inside the nest: DIR with 2 bytes. */
	buf[56] = 6;
	ret = cpns_reply_parse(buf, len, &r, err, sizeof(err));
	tap_ok(ret == -EBADMSG, "parse: a bad nested attribute is refused");
	if (!ret)
		cpns_reply_free(r);
	buf[56] = 5;

	/* Shorter than its nlmsg_len says. */
	ret = cpns_reply_parse(buf, len - 4, &r, err, sizeof(err));
	tap_ok(ret == -EBADMSG, "parse: a truncated message is refused");
	if (!ret)
		cpns_reply_free(r);
	free(buf);

	/* An unknown attribute (a newer kernel's) is skipped. */
	cpns_msg_put_u32(m, 200, 1);
	buf = copy(m, &len);
	ret = cpns_reply_parse(buf, len, &r, err, sizeof(err));
	tap_ok(ret == 0, "parse: an unknown attribute type is skipped");
	if (!ret)
		cpns_reply_free(r);
	free(buf);
out:
	cpns_msg_free(m);
}

/* Append a TLV to an ACK under construction. */
static size_t tlv(uint8_t *p, size_t off, uint16_t type, const void *d,
		  size_t len)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			    .nla_type = type };

	memcpy(p + off, &a, sizeof(a));
	memcpy(p + off + NLA_HDRLEN, d, len);
	return off + NLA_ALIGN(NLA_HDRLEN + len);
}

/* An NLMSG_ERROR answering req; capped or with req copied. */
static size_t make_ack(uint8_t *buf, const void *req, size_t reqlen,
		       int error, bool capped, const char *msg, int32_t offs,
		       int32_t miss)
{
	struct nlmsghdr *nlh = (void *)buf;
	struct nlmsgerr *me = (void *)(buf + NLMSG_HDRLEN);
	size_t off;

	memset(buf, 0, 1024);
	me->error = error;
	memcpy(&me->msg, req, capped ? NLMSG_HDRLEN : reqlen);
	off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*me) +
					 (capped ? 0 : reqlen - NLMSG_HDRLEN));
	if (msg)
		off = tlv(buf, off, NLMSGERR_ATTR_MSG, msg, strlen(msg) + 1);
	if (offs >= 0)
		off = tlv(buf, off, NLMSGERR_ATTR_OFFS, &offs, 4);
	if (miss >= 0)
		off = tlv(buf, off, NLMSGERR_ATTR_MISS_TYPE, &miss, 4);
	nlh->nlmsg_len = (uint32_t)off;
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = (capped ? NLM_F_CAPPED : 0) |
			   (msg || offs >= 0 || miss >= 0 ? NLM_F_ACK_TLVS : 0);
	return off;
}

static void test_ack(void)
{
	struct cpns_msg *m = sample();
	struct cpns_error e;
	uint8_t buf[1024];
	const void *req;
	size_t reqlen, n;
	int ret;

	req = cpns_msg_data(m, &reqlen);

	n = make_ack(buf, req, reqlen, 0, true, NULL, -1, -1);
	tap_ok(cpns_parse_ack(buf, n, req, reqlen, &e) == 0 && e.err == 0,
	       "ack: a plain ACK is success");

	n = make_ack(buf, req, reqlen, -EINVAL, true, "wrong seed id", 20, -1);
	ret = cpns_parse_ack(buf, n, req, reqlen, &e);
	tap_ok(ret == -EINVAL && e.from_kernel &&
	       !strncmp(e.msg, "wrong seed id", 13) && e.offset == 20 &&
	       e.attr_type == CPNS_A_SEED_ID && e.attr_nest == 0,
	       "ack: extack message and offset name the attribute");
	tap_ok(strstr(e.msg, "(attribute seed_id)") != NULL,
	       "ack: the message names the attribute: %s", e.msg);

	n = make_ack(buf, req, reqlen, -EINVAL, false, "bad dir", 56, -1);
	ret = cpns_parse_ack(buf, n, req, reqlen, &e);
	tap_ok(ret == -EINVAL && !strncmp(e.msg, "bad dir", 7) &&
	       e.attr_type == CPNS_AEAD_A_DIR &&
	       e.attr_nest == CPNS_A_KAT_AEAD,
	       "ack: uncapped ACK; offset inside a nest");

	n = make_ack(buf, req, reqlen, -EINVAL, true, NULL, -1,
		     CPNS_A_REQUEST_NONCE);
	ret = cpns_parse_ack(buf, n, req, reqlen, &e);
	tap_ok(ret == -EINVAL && e.miss_type == CPNS_A_REQUEST_NONCE &&
	       !e.from_kernel && strstr(e.msg, "missing attribute request_nonce"),
	       "ack: a missing attribute is named: %s", e.msg);

	n = make_ack(buf, req, reqlen, -EBADMSG, true, NULL, -1, -1);
	ret = cpns_parse_ack(buf, n, req, reqlen, &e);
	tap_ok(ret == -EBADMSG && !strcmp(e.msg, strerror(EBADMSG)) &&
	       e.offset == -1 && e.attr_type == -1,
	       "ack: without extack the message is strerror");

	n = make_ack(buf, req, reqlen, -EINVAL, true, "x", 20, -1);
	tap_ok(cpns_parse_ack(buf, n - 4, req, reqlen, &e) == -EBADMSG,
	       "ack: a truncated ACK is malformed");
	buf[n - 8 + 0] = 200;	/* the OFFS TLV's length, past the end */
	tap_ok(cpns_parse_ack(buf, n, req, reqlen, &e) == -EBADMSG,
	       "ack: a TLV past the end is malformed");

	/* NLMSG_DONE of a dump, carrying an error and a message. */
	{
		struct nlmsghdr *nlh = (void *)buf;
		int derr = -EAGAIN;
		size_t off;

		memset(buf, 0, sizeof(buf));
		memcpy(buf + NLMSG_HDRLEN, &derr, 4);
		off = tlv(buf, NLMSG_HDRLEN + 4, NLMSGERR_ATTR_MSG, "busy", 5);
		nlh->nlmsg_len = (uint32_t)off;
		nlh->nlmsg_type = NLMSG_DONE;
		nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
		tap_ok(cpns_parse_ack(buf, off, req, reqlen, &e) == -EAGAIN &&
		       !strncmp(e.msg, "busy", 4),
		       "ack: NLMSG_DONE with an error and a message");
		derr = 0;
		memcpy(buf + NLMSG_HDRLEN, &derr, 4);
		nlh->nlmsg_flags = NLM_F_MULTI;
		tap_ok(cpns_parse_ack(buf, off, req, reqlen, &e) == 0,
		       "ack: NLMSG_DONE of a good dump");
	}
	cpns_msg_free(m);
}

static void test_names(void)
{
	unsigned int i;
	bool all = true;

	/* Commands 5 and 30, attributes 34 to 39: not used (the uapi). */
	for (i = 1; i <= CPNS_CMD_MAX; i++)
		all &= i == 5 || i == 30 || strcmp(cpns_cmd_name(i), "?") != 0;
	tap_ok(all, "names: every command of the uapi has a name");
	for (i = 1, all = true; i <= CPNS_A_MAX; i++)
		all &= (i >= 34 && i <= 39) ||
		       strcmp(cpns_attr_name(i), "?") != 0;
	tap_ok(all, "names: every attribute of the uapi has a name");
	for (i = 1, all = true; i <= CPNS_FAIL_MAX; i++)
		all &= strcmp(cpns_fail_name(i), "?") != 0;
	tap_ok(all, "names: every failure reason has a name");
	tap_ok(!strcmp(cpns_cmd_name(CPNS_CMD_ASSIGN_VERIFY), "assign_verify") &&
	       !strcmp(cpns_role_name(CPNS_ROLE_GW1), "gw1") &&
	       !strcmp(cpns_state_name(CPNS_STATE_PENDING), "pending") &&
	       !strcmp(cpns_kind_name(CPNS_KEY_SEED), "seed") &&
	       !strcmp(cpns_cmd_name(CPNS_CMD_MAX + 1), "?") &&
	       !strcmp(cpns_role_name(0), "?"),
	       "names: values and out-of-range");
}

/* m as the reply it would be: parsed (m freed), or NULL. */
static struct cpns_reply *as_reply(struct cpns_msg *m)
{
	struct cpns_reply *r = NULL;
	char err[160];
	uint8_t *buf;
	size_t len;

	buf = copy(m, &len);
	cpns_msg_free(m);
	if (cpns_reply_parse(buf, len, &r, err, sizeof(err)))
		tap_diag("parse: %s", err);
	free(buf);
	return r;
}

/* The batch items of the server's flow commands, put and read back. */
static void test_items(void)
{
	static const uint8_t n1[CPNS_NONCE_LEN] = { 9 }, mac[CPNS_MAC_LEN] = { 7 };
	static const uint8_t blob[40] = { 0x42 }, label[12] = { 0x11 };
	static const struct cpns_keyref kek = { .type = "logon", .desc = "k" };
	const struct cpns_record_ref ref = {
		.kek = &kek, .label = label, .label_len = sizeof(label),
		.blob = blob, .blob_len = sizeof(blob),
	};
	uint8_t did[CPNS_DEVICE_ID_LEN] = { 5 }, ch[CPNS_CHALLENGE_LEN];
	uint8_t ch_mac[CPNS_MAC_LEN], ns[CPNS_NONCE_LEN];
	struct cpns_rekey rk = { .generation = 3, .rekey = true };
	struct cpns_item_result res = { .err = -EKEYREJECTED, .attr_type = 4,
					.miss_type = -1 };
	struct cpns_record rec;
	struct cpns_error e;
	struct cpns_reply *r;
	struct cpns_msg *m;
	uint32_t handle = 0, u = 0;
	size_t len;

	m = cpns_msg_new(FAMILY, CPNS_CMD_ASSIGN_CHALLENGE, 0);
	cpns_assign_challenge_item(m, sid, n1, mac);
	r = as_reply(m);
	tap_ok(r && cpns_reply_get(r, CPNS_A_SEED_ID, &len) &&
	       len == CPNS_SEED_ID_LEN &&
	       cpns_reply_has(r, CPNS_A_REQUEST_NONCE) &&
	       cpns_reply_has(r, CPNS_A_REQUEST_MAC),
	       "items: ASSIGN_CHALLENGE's item holds seed id, nonce and MAC");
	cpns_reply_free(r);

	m = cpns_msg_new(FAMILY, CPNS_CMD_ASSIGN_CHALLENGE, 0);
	cpns_msg_put(m, CPNS_A_CHALLENGE, mac, CPNS_CHALLENGE_LEN);
	r = as_reply(m);
	memset(ch, 0xee, sizeof(ch));
	tap_ok(r && cpns_assign_challenge_item_reply(r, ch, ch_mac) == -EBADMSG &&
	       ch[0] == 0xee,
	       "items: an ASSIGN_CHALLENGE reply without its MAC is malformed, nothing copied");
	cpns_reply_free(r);

	m = cpns_msg_new(FAMILY, CPNS_CMD_AUTH_CHALLENGE, 0);
	cpns_auth_challenge_item(m, did, n1, &rk, &ref);
	r = as_reply(m);
	tap_ok(r && !cpns_reply_u32(r, CPNS_A_GENERATION, &u) && u == 3 &&
	       cpns_reply_has(r, CPNS_A_PUBKEY) &&
	       cpns_reply_has(r, CPNS_A_KEYREF_TYPE) &&
	       cpns_reply_has(r, CPNS_A_KEYREF_DESC) &&
	       cpns_reply_get(r, CPNS_A_LABEL, &len) && len == sizeof(label) &&
	       cpns_reply_get(r, CPNS_A_BLOB, &len) && len == sizeof(blob),
	       "items: a re-keying AUTH_CHALLENGE's item holds the generation, Pc, the KEK, label and blob");
	cpns_reply_free(r);

	m = cpns_msg_new(FAMILY, CPNS_CMD_AUTH_CHALLENGE, 0);
	cpns_msg_put_u32(m, CPNS_A_HANDLE, 77);
	cpns_msg_put(m, CPNS_A_SERVER_NONCE, n1, CPNS_NONCE_LEN);
	r = as_reply(m);
	tap_ok(r && cpns_auth_challenge_item_reply(r, &rk, &handle, ns) ==
	       -EBADMSG,
	       "items: a re-keying AUTH_CHALLENGE's reply without Ps is malformed");
	rk.rekey = false;
	tap_ok(r && !cpns_auth_challenge_item_reply(r, &rk, &handle, ns) &&
	       handle == 77 && ns[0] == 9,
	       "items: AUTH_CHALLENGE's reply gives the handle and ns");
	cpns_reply_free(r);

	m = cpns_msg_new(FAMILY, CPNS_CMD_AUTH_SERVER, 0);
	cpns_msg_put(m, CPNS_A_SERVER_MAC, mac, CPNS_MAC_LEN);
	cpns_msg_put_u32(m, CPNS_A_GENERATION, 1);
	cpns_msg_put(m, CPNS_A_BLOB, blob, sizeof(blob));
	r = as_reply(m);
	tap_ok(r && cpns_auth_server_item_reply(r, ch_mac, &rk, &rec) ==
	       -EBADMSG,
	       "items: an AUTH_SERVER reply with a record but no state is malformed");
	cpns_reply_free(r);

	m = cpns_msg_new(FAMILY, CPNS_CMD_OPEN, 0);
	cpns_msg_put(m, CPNS_A_DATA, "plain", 5);
	cpns_msg_put_u8(m, CPNS_A_STATE, CPNS_STATE_ACTIVE);
	cpns_msg_put(m, CPNS_A_BLOB, blob, sizeof(blob));
	cpns_msg_put_u32(m, CPNS_A_GENERATION, 2);
	r = as_reply(m);
	{
		char out[16];
		struct cpns_open_item it = {
			.out = out, .outlen = sizeof(out), .rec = &rec,
		};

		tap_ok(r && !cpns_open_item_reply(r, &it) &&
		       it.outlen == 5 && !memcmp(out, "plain", 5) &&
		       it.confirmed == 1 &&
		       rec.blob_len == sizeof(blob) && rec.blob[0] == 0x42 &&
		       rec.state == CPNS_STATE_ACTIVE && rec.generation == 2,
		       "items: OPEN's reply gives the plaintext and the record it confirmed");
		it.outlen = 4;
		tap_ok(r && cpns_open_item_reply(r, &it) == -ENOSPC,
		       "items: OPEN's plaintext larger than out: -ENOSPC");
	}
	cpns_reply_free(r);

	cpns_item_error(&res, &e);
	tap_ok(e.err == -EKEYREJECTED && !e.from_kernel && e.attr_type == 4 &&
	       e.miss_type == -1 && e.offset == -1 &&
	       !strcmp(e.msg, strerror(EKEYREJECTED)),
	       "items: an item's failure without a message says strerror()");
	res.msg = "the kernel's words";
	cpns_item_error(&res, &e);
	tap_ok(e.from_kernel && !strcmp(e.msg, "the kernel's words"),
	       "items: an item's failure keeps the kernel's message");
}

int main(void)
{
	test_build();
	test_parse();
	test_ack();
	test_names();
	test_items();
	return tap_done();
}
