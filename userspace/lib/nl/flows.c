// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Flows I, II and a, one function per command. The kernel holds every
 * secret; these carry only the public values of CPNS-KA-1 in and out.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "keyops.h"

#define CALL(nl, cmd, p, w) \
	cpns__call(nl, cmd, p, CPNS_ARRAY_SIZE(p), w, CPNS_ARRAY_SIZE(w))

/* An optional u32 that the kernel takes 0 for as absent. */
#define OPT_U32(type, v) { type, (v) ? &(v) : NULL, 4 }

int cpns_seed_new(struct cpns_nl *nl, uint32_t timeout,
		  uint8_t sid[CPNS_SEED_ID_LEN], int32_t *serial)
{
	const struct cpns_put p[] = { OPT_U32(CPNS_A_TIMEOUT, timeout) };
	const struct cpns_want w[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
		{ CPNS_A_KEY_SERIAL, serial, 4 },
	};

	return CALL(nl, CPNS_CMD_SEED_NEW, p, w);
}

int cpns_xfer_new(struct cpns_nl *nl, uint32_t *handle,
		  uint8_t pub[CPNS_PUBKEY_LEN])
{
	const struct cpns_want w[] = {
		{ CPNS_A_HANDLE, handle, 4 },
		{ CPNS_A_PUBKEY, pub, CPNS_PUBKEY_LEN },
	};

	return cpns__call(nl, CPNS_CMD_XFER_NEW, NULL, 0, w,
			  CPNS_ARRAY_SIZE(w));
}

static int import(struct cpns_nl *nl, uint8_t cmd, uint32_t handle,
		  uint16_t idtype, const uint8_t *id, size_t idlen,
		  const uint8_t peer[CPNS_PUBKEY_LEN],
		  const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		  int32_t *serial, uint32_t *code)
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ idtype, id, idlen },
		{ CPNS_A_PUBKEY, peer, CPNS_PUBKEY_LEN },
		{ CPNS_A_WRAPPED, wrapped, CPNS_WRAPPED_LEN },
		OPT_U32(CPNS_A_TIMEOUT, timeout),
	};
	const struct cpns_want w[] = {
		{ CPNS_A_KEY_SERIAL, serial, 4 },
		{ CPNS_A_XFER_CODE, code, 4 },
	};

	return CALL(nl, cmd, p, w);
}

int cpns_seed_import(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t sid[CPNS_SEED_ID_LEN],
		     const uint8_t peer[CPNS_PUBKEY_LEN],
		     const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		     int32_t *serial, uint32_t *code)
{
	return import(nl, CPNS_CMD_SEED_IMPORT, handle, CPNS_A_SEED_ID, sid,
		      CPNS_SEED_ID_LEN, peer, wrapped, timeout, serial, code);
}

int cpns_device_import(struct cpns_nl *nl, uint32_t handle,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t peer[CPNS_PUBKEY_LEN],
		       const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		       int32_t *serial, uint32_t *code)
{
	return import(nl, CPNS_CMD_DEVICE_IMPORT, handle, CPNS_A_DEVICE_ID,
		      did, CPNS_DEVICE_ID_LEN, peer, wrapped, timeout, serial,
		      code);
}

/* ---------------------------------------------------------- flow II */

int cpns_assign_request(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
			uint8_t n1[CPNS_NONCE_LEN], uint8_t mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
		{ CPNS_A_REQUEST_MAC, mac, CPNS_MAC_LEN },
	};

	return CALL(nl, CPNS_CMD_ASSIGN_REQUEST, p, w);
}

/*
 * The attributes of the commands a server runs once per flow, shared by
 * the single calls and their batch items (cpns_*_item()).
 */
#define CHALLENGE_REQ_PUTS(sid, n1, mac) {				\
	{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },			\
	{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },			\
	{ CPNS_A_REQUEST_MAC, mac, CPNS_MAC_LEN },			\
}
#define CHALLENGE_REQ_WANTS(ch, ch_mac) {				\
	{ CPNS_A_CHALLENGE, ch, CPNS_CHALLENGE_LEN },			\
	{ CPNS_A_CHALLENGE_MAC, ch_mac, CPNS_MAC_LEN },			\
}
#define CONFIRM_PUTS(did, n1) {						\
	{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },			\
	{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },			\
}
#define CONFIRM_WANTS(code) { { CPNS_A_CONFIRM, code, CPNS_MAC_LEN } }

int cpns_assign_challenge(struct cpns_nl *nl,
			  const uint8_t sid[CPNS_SEED_ID_LEN],
			  const uint8_t n1[CPNS_NONCE_LEN],
			  const uint8_t mac[CPNS_MAC_LEN],
			  uint8_t ch[CPNS_CHALLENGE_LEN],
			  uint8_t ch_mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = CHALLENGE_REQ_PUTS(sid, n1, mac);
	const struct cpns_want w[] = CHALLENGE_REQ_WANTS(ch, ch_mac);

	return CALL(nl, CPNS_CMD_ASSIGN_CHALLENGE, p, w);
}

int cpns_assign_challenge_item(struct cpns_msg *msg,
			       const uint8_t sid[CPNS_SEED_ID_LEN],
			       const uint8_t n1[CPNS_NONCE_LEN],
			       const uint8_t mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = CHALLENGE_REQ_PUTS(sid, n1, mac);

	return cpns__put_all(msg, p, CPNS_ARRAY_SIZE(p));
}

int cpns_assign_challenge_item_reply(const struct cpns_reply *item,
				     uint8_t ch[CPNS_CHALLENGE_LEN],
				     uint8_t ch_mac[CPNS_MAC_LEN])
{
	const struct cpns_want w[] = CHALLENGE_REQ_WANTS(ch, ch_mac);

	return cpns__get_all(item, w, CPNS_ARRAY_SIZE(w));
}

int cpns_assign_confirm_item(struct cpns_msg *msg,
			     const uint8_t did[CPNS_DEVICE_ID_LEN],
			     const uint8_t n1[CPNS_NONCE_LEN])
{
	const struct cpns_put p[] = CONFIRM_PUTS(did, n1);

	return cpns__put_all(msg, p, CPNS_ARRAY_SIZE(p));
}

int cpns_assign_confirm_item_reply(const struct cpns_reply *item,
				   uint8_t code[CPNS_MAC_LEN])
{
	const struct cpns_want w[] = CONFIRM_WANTS(code);

	return cpns__get_all(item, w, CPNS_ARRAY_SIZE(w));
}

int cpns_assign_derive(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		       const uint8_t n1[CPNS_NONCE_LEN],
		       const uint8_t ch[CPNS_CHALLENGE_LEN],
		       const uint8_t ch_mac[CPNS_MAC_LEN],
		       uint8_t did[CPNS_DEVICE_ID_LEN], int32_t *serial)
{
	const struct cpns_put p[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
		{ CPNS_A_REQUEST_NONCE, n1, CPNS_NONCE_LEN },
		{ CPNS_A_CHALLENGE, ch, CPNS_CHALLENGE_LEN },
		{ CPNS_A_CHALLENGE_MAC, ch_mac, CPNS_MAC_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_KEY_SERIAL, serial, 4 },
	};

	return CALL(nl, CPNS_CMD_ASSIGN_DERIVE, p, w);
}

int cpns_assign_confirm(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			const uint8_t n1[CPNS_NONCE_LEN],
			uint8_t code[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = CONFIRM_PUTS(did, n1);
	const struct cpns_want w[] = CONFIRM_WANTS(code);

	return CALL(nl, CPNS_CMD_ASSIGN_CONFIRM, p, w);
}

int cpns_assign_verify(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t code[CPNS_MAC_LEN], int32_t *serial,
		       uint8_t *state)
{
	uint8_t st;
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_CONFIRM, code, CPNS_MAC_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_KEY_SERIAL, serial, 4 },
		{ CPNS_A_STATE, &st, 1 },
	};
	int ret = CALL(nl, CPNS_CMD_ASSIGN_VERIFY, p, w);

	if (!ret && state)
		*state = st;
	return ret;
}

int cpns_assign_verify_self(struct cpns_nl *nl,
			    const uint8_t did[CPNS_DEVICE_ID_LEN],
			    const uint8_t code[CPNS_MAC_LEN], int32_t *serial)
{
	static const uint8_t flag;
	uint8_t st;
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_CONFIRM, code, CPNS_MAC_LEN },
		{ CPNS_A_SELF_ASSIGNED, &flag, 0 },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_KEY_SERIAL, serial, 4 },
		{ CPNS_A_STATE, &st, 1 },
	};
	int ret = CALL(nl, CPNS_CMD_ASSIGN_VERIFY, p, w);

	/* A kernel without self-assignment confirms a gw1 key instead. */
	if (!ret && st != CPNS_STATE_ACTIVE)
		return cpns__fail(nl, -EOPNOTSUPP,
				  "this cpns.ko does not know self-assignment: the Device Key stayed a gw1 key");
	return ret;
}

/* ---------------------------------------------------------- flow a */

/*
 * The a-flow's replies carry some attributes only when the flow re-keys:
 * a request whose wanted attributes are required or optional.
 */
struct opt_want {
	uint16_t type;
	void *out;		/* copied on success only; NULL: not wanted */
	size_t len;
	bool required;
	bool *present;		/* optional: set on success; may be NULL */
};

#define OPT_MAX		4
#define OPT_STAGE	(OPT_MAX * CPNS_PUBKEY_LEN)

struct opt_call {
	const struct opt_want *w;
	size_t n;
	bool got;
	int missing;
	bool have[OPT_MAX];
	uint8_t stage[OPT_STAGE];
	bool want_rec;		/* a record may come back */
	bool bad_rec;		/* blob without state, or too long */
	struct cpns_record rec;	/* staged: blob, state, generation */
};

/* A device record in a reply: CPNS_A_BLOB with CPNS_A_STATE. */
static void rec_reply(const struct cpns_reply *r, struct opt_call *c)
{
	const void *blob;
	size_t len;

	blob = cpns_reply_get(r, CPNS_A_BLOB, &len);
	if (!blob)
		return;
	if (len > CPNS_MAX_BLOB ||
	    cpns_reply_u8(r, CPNS_A_STATE, &c->rec.state)) {
		c->bad_rec = true;
		return;
	}
	memcpy(c->rec.blob, blob, len);
	c->rec.blob_len = len;
	if (c->rec.state != CPNS_STATE_REVOKED)
		cpns_reply_u32(r, CPNS_A_GENERATION, &c->rec.generation);
}

static int opt_reply(const struct cpns_reply *r, void *arg)
{
	struct opt_call *c = arg;
	size_t i, off = 0;

	c->got = true;
	c->missing = -1;
	for (i = 0; i < c->n; i++) {
		c->have[i] = c->w[i].out &&
			     !cpns_reply_copy(r, c->w[i].type, c->stage + off,
					      c->w[i].len);
		if (c->w[i].out && c->w[i].required && !c->have[i] &&
		    c->missing < 0)
			c->missing = c->w[i].type;
		off += c->w[i].len;
	}
	if (c->want_rec)
		rec_reply(r, c);
	return 0;
}

/* The staged values of a good reply to their outs. */
static void opt_copy(const struct opt_call *c, struct cpns_record *rec)
{
	size_t i, off = 0;

	for (i = 0; i < c->n; i++) {
		if (c->have[i])
			memcpy(c->w[i].out, c->stage + off, c->w[i].len);
		if (c->w[i].present)
			*c->w[i].present = c->have[i];
		off += c->w[i].len;
	}
	if (rec)
		*rec = c->rec;
}

static int opt_call_rec(struct cpns_nl *nl, uint8_t cmd,
			const struct cpns_put *puts, size_t nputs,
			const struct opt_want *wants, size_t nwants,
			struct cpns_record *rec)
{
	struct opt_call c = {
		.w = wants, .n = nwants, .missing = -1, .want_rec = rec,
	};
	struct cpns_msg *msg;
	size_t i, size = 256, off = 0;
	bool need = false;
	int ret;

	cpns__clear_error(nl);
	for (i = 0; i < nwants; i++) {
		off += wants[i].len;
		need |= wants[i].out && wants[i].required;
	}
	if (nwants > OPT_MAX || off > OPT_STAGE)
		return cpns__fail(nl, -EINVAL, "internal: reply too large");
	for (i = 0; i < nputs; i++)
		size += NLA_ALIGN(NLA_HDRLEN + puts[i].len);
	msg = cpns__req(nl, cmd, size);
	if (!msg)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	ret = cpns__put_all(msg, puts, nputs);
	if (ret) {
		cpns__req_end(nl, msg);
		return cpns__fail(nl, ret, "request too large");
	}
	ret = cpns_msg_send(nl, msg, opt_reply, &c);
	cpns__req_end(nl, msg);
	if (!ret && ((need && !c.got) || c.missing >= 0))
		ret = cpns__fail(nl, -EBADMSG,
				 "the kernel's reply to %s lacks %s",
				 cpns_cmd_name(cmd),
				 c.got ? cpns_attr_name((unsigned int)c.missing)
				       : "every attribute");
	if (!ret && c.bad_rec)
		ret = cpns__fail(nl, -EBADMSG,
				 "the kernel's reply to %s carries a malformed device record",
				 cpns_cmd_name(cmd));
	if (!ret)
		opt_copy(&c, rec);
	explicit_bzero(&c, sizeof(c));
	return ret;
}

/* A batch item's reply, read as opt_call_rec() reads one: 0 or -EBADMSG. */
static int opt_item(const struct cpns_reply *item,
		    const struct opt_want *wants, size_t nwants,
		    struct cpns_record *rec)
{
	struct opt_call c = {
		.w = wants, .n = nwants, .missing = -1, .want_rec = rec,
	};
	int ret = 0;

	opt_reply(item, &c);
	if (c.missing >= 0 || c.bad_rec)
		ret = -EBADMSG;
	else
		opt_copy(&c, rec);
	explicit_bzero(&c, sizeof(c));
	return ret;
}

static int opt_call(struct cpns_nl *nl, uint8_t cmd,
		    const struct cpns_put *puts, size_t nputs,
		    const struct opt_want *wants, size_t nwants)
{
	return opt_call_rec(nl, cmd, puts, nputs, wants, nwants, NULL);
}

#define REQ(type, out, len) { type, out, len, true, NULL }
#define OPT(type, out, len, present) { type, out, len, false, present }
#define OCALL(nl, cmd, p, w) \
	opt_call(nl, cmd, p, CPNS_ARRAY_SIZE(p), w, CPNS_ARRAY_SIZE(w))

int cpns_auth_begin_rk(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN], uint32_t *handle,
		       uint8_t nc[CPNS_NONCE_LEN], struct cpns_rekey *rk)
{
	struct cpns_rekey r = { 0 };
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
	};
	const struct opt_want w[] = {
		REQ(CPNS_A_HANDLE, handle, 4),
		REQ(CPNS_A_CLIENT_NONCE, nc, CPNS_NONCE_LEN),
		REQ(CPNS_A_GENERATION, rk ? &r.generation : NULL, 4),
		OPT(CPNS_A_PUBKEY, rk ? r.client_pub : NULL, CPNS_PUBKEY_LEN,
		    &r.rekey),
	};
	int ret = OCALL(nl, CPNS_CMD_AUTH_BEGIN, p, w);

	if (!ret && rk)
		*rk = r;
	explicit_bzero(&r, sizeof(r));
	return ret;
}

/* The KEK, label and blob of @rec as request attributes. */
static int rec_check(struct cpns_nl *nl, const struct cpns_record_ref *rec)
{
	int ret;

	if (!rec)
		return 0;
	ret = cpns__check_kek_label(nl, rec->kek, rec->label_len);
	if (!ret && rec->blob && (!rec->blob_len ||
				  rec->blob_len > CPNS_MAX_BLOB))
		ret = cpns__fail(nl, -EINVAL, "blob of %zu bytes (1..%d)",
				 rec->blob_len, CPNS_MAX_BLOB);
	return ret;
}

/* AUTH_CHALLENGE's attributes; those without data are not put. */
#define CHALLENGE_PUTS	8
static void challenge_puts(struct cpns_put p[CHALLENGE_PUTS],
			   const uint8_t did[CPNS_DEVICE_ID_LEN],
			   const uint8_t nc[CPNS_NONCE_LEN],
			   const struct cpns_rekey *rk,
			   const struct cpns_record_ref *rec)
{
	/* Checked by rec_check() before use: NULL unless complete. */
	const struct cpns_keyref *kek = rec && rec->kek && rec->kek->type &&
					rec->kek->desc ? rec->kek : NULL;
	const struct cpns_put all[CHALLENGE_PUTS] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
		{ CPNS_A_CLIENT_NONCE, nc, CPNS_NONCE_LEN },
		{ CPNS_A_GENERATION, rk ? &rk->generation : NULL, 4 },
		{ CPNS_A_PUBKEY, rk && rk->rekey ? rk->client_pub : NULL,
		  CPNS_PUBKEY_LEN },
		CPNS_PUT_KEYREF(kek),
		{ CPNS_A_LABEL, rec && rec->label_len ? rec->label : NULL,
		  rec ? rec->label_len : 0 },
		{ CPNS_A_BLOB, rec ? rec->blob : NULL,
		  rec ? rec->blob_len : 0 },
	};

	memcpy(p, all, sizeof(all));
}

/* What AUTH_CHALLENGE's reply gives: a handle, ns and, re-keying, Ps. */
#define CHALLENGE_WANTS(handle, ns, ps, has_ps) {			\
	REQ(CPNS_A_HANDLE, handle, 4),					\
	REQ(CPNS_A_SERVER_NONCE, ns, CPNS_NONCE_LEN),			\
	OPT(CPNS_A_PUBKEY, ps, CPNS_PUBKEY_LEN, has_ps),		\
}

/* Ps into rk if the flow re-keys: 0, or -EBADMSG if the reply lacked it. */
static int challenge_ps(struct cpns_rekey *rk, const uint8_t *ps,
			bool has_ps)
{
	if (!rk || !rk->rekey)
		return 0;
	if (!has_ps)
		return -EBADMSG;
	memcpy(rk->server_pub, ps, CPNS_PUBKEY_LEN);
	return 0;
}

int cpns_auth_challenge_rk(struct cpns_nl *nl,
			   const uint8_t did[CPNS_DEVICE_ID_LEN],
			   const uint8_t nc[CPNS_NONCE_LEN],
			   struct cpns_rekey *rk, uint32_t *handle,
			   uint8_t ns[CPNS_NONCE_LEN])
{
	return cpns_auth_challenge_rec(nl, did, nc, rk, NULL, handle, ns);
}

int cpns_auth_challenge_rec(struct cpns_nl *nl,
			    const uint8_t did[CPNS_DEVICE_ID_LEN],
			    const uint8_t nc[CPNS_NONCE_LEN],
			    struct cpns_rekey *rk,
			    const struct cpns_record_ref *rec,
			    uint32_t *handle, uint8_t ns[CPNS_NONCE_LEN])
{
	struct cpns_put p[CHALLENGE_PUTS];
	uint8_t ps[CPNS_PUBKEY_LEN];
	bool has_ps = false;
	const struct opt_want w[] = CHALLENGE_WANTS(handle, ns, ps, &has_ps);
	int ret = rec_check(nl, rec);

	challenge_puts(p, did, nc, rk, rec);
	if (!ret)
		ret = OCALL(nl, CPNS_CMD_AUTH_CHALLENGE, p, w);
	if (!ret && challenge_ps(rk, ps, has_ps))
		ret = cpns__fail(nl, -EBADMSG,
				 "the kernel's reply to a re-keying AUTH_CHALLENGE lacks the server's public key");
	return ret;
}

int cpns_auth_client_rk(struct cpns_nl *nl, uint32_t handle,
			const uint8_t ns[CPNS_NONCE_LEN],
			const struct cpns_rekey *rk,
			uint8_t client_mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ CPNS_A_SERVER_NONCE, ns, CPNS_NONCE_LEN },
		{ CPNS_A_PUBKEY, rk && rk->rekey ? rk->server_pub : NULL,
		  CPNS_PUBKEY_LEN },
	};
	const struct cpns_want w[] = {
		{ CPNS_A_CLIENT_MAC, client_mac, CPNS_MAC_LEN },
	};

	return CALL(nl, CPNS_CMD_AUTH_CLIENT, p, w);
}

int cpns_auth_server_rk(struct cpns_nl *nl, uint32_t handle,
			const uint8_t client_mac[CPNS_MAC_LEN],
			uint8_t server_mac[CPNS_MAC_LEN],
			struct cpns_rekey *rk)
{
	return cpns_auth_server_rec(nl, handle, client_mac, server_mac, rk,
				    NULL);
}

/* AUTH_SERVER's request and what its reply gives. */
#define SERVER_PUTS(handle, client_mac) {				\
	{ CPNS_A_HANDLE, handle, 4 },					\
	{ CPNS_A_CLIENT_MAC, client_mac, CPNS_MAC_LEN },		\
}
#define SERVER_WANTS(server_mac, gen) {					\
	REQ(CPNS_A_SERVER_MAC, server_mac, CPNS_MAC_LEN),		\
	REQ(CPNS_A_GENERATION, gen, 4),					\
}

/* AUTH_SERVER's generation and record, to what the caller asked. */
static void server_result(uint32_t gen, const struct cpns_record *r,
			  struct cpns_rekey *rk, struct cpns_record *rec)
{
	if (rk) {
		rk->new_generation = gen;
		rk->serial = 0;
		rk->state = r->state;
	}
	if (rec)
		*rec = *r;
}

int cpns_auth_server_rec(struct cpns_nl *nl, uint32_t handle,
			 const uint8_t client_mac[CPNS_MAC_LEN],
			 uint8_t server_mac[CPNS_MAC_LEN],
			 struct cpns_rekey *rk, struct cpns_record *rec)
{
	struct cpns_record r = { 0 };
	uint32_t gen = 0;
	const struct cpns_put p[] = SERVER_PUTS(&handle, client_mac);
	const struct opt_want w[] = SERVER_WANTS(server_mac, &gen);
	int ret = opt_call_rec(nl, CPNS_CMD_AUTH_SERVER, p,
			       CPNS_ARRAY_SIZE(p), w, CPNS_ARRAY_SIZE(w), &r);

	if (!ret)
		server_result(gen, &r, rk, rec);
	explicit_bzero(&r, sizeof(r));
	return ret;
}

int cpns_auth_challenge_item(struct cpns_msg *msg,
			     const uint8_t did[CPNS_DEVICE_ID_LEN],
			     const uint8_t nc[CPNS_NONCE_LEN],
			     const struct cpns_rekey *rk,
			     const struct cpns_record_ref *rec)
{
	struct cpns_put p[CHALLENGE_PUTS];

	challenge_puts(p, did, nc, rk, rec);
	return cpns__put_all(msg, p, CPNS_ARRAY_SIZE(p));
}

int cpns_auth_challenge_item_reply(const struct cpns_reply *item,
				   struct cpns_rekey *rk, uint32_t *handle,
				   uint8_t ns[CPNS_NONCE_LEN])
{
	uint8_t ps[CPNS_PUBKEY_LEN];
	bool has_ps = false;
	const struct opt_want w[] = CHALLENGE_WANTS(handle, ns, ps, &has_ps);
	int ret = opt_item(item, w, CPNS_ARRAY_SIZE(w), NULL);

	if (!ret)
		ret = challenge_ps(rk, ps, has_ps);
	return ret;
}

int cpns_auth_server_item(struct cpns_msg *msg, uint32_t handle,
			  const uint8_t client_mac[CPNS_MAC_LEN])
{
	const struct cpns_put p[] = SERVER_PUTS(&handle, client_mac);

	return cpns__put_all(msg, p, CPNS_ARRAY_SIZE(p));
}

int cpns_auth_server_item_reply(const struct cpns_reply *item,
				uint8_t server_mac[CPNS_MAC_LEN],
				struct cpns_rekey *rk, struct cpns_record *rec)
{
	struct cpns_record r = { 0 };
	uint32_t gen = 0;
	const struct opt_want w[] = SERVER_WANTS(server_mac, &gen);
	int ret = opt_item(item, w, CPNS_ARRAY_SIZE(w), &r);

	if (!ret)
		server_result(gen, &r, rk, rec);
	explicit_bzero(&r, sizeof(r));
	return ret;
}

int cpns_auth_finish_rk(struct cpns_nl *nl, uint32_t handle,
			const uint8_t server_mac[CPNS_MAC_LEN],
			struct cpns_rekey *rk)
{
	uint32_t gen = 0;
	int32_t serial = 0;
	bool has_serial = false;
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
		{ CPNS_A_SERVER_MAC, server_mac, CPNS_MAC_LEN },
	};
	const struct opt_want w[] = {
		REQ(CPNS_A_GENERATION, rk ? &gen : NULL, 4),
		OPT(CPNS_A_KEY_SERIAL, &serial, 4, &has_serial),
	};
	int ret = OCALL(nl, CPNS_CMD_AUTH_FINISH, p, w);

	if (ret || !rk)
		return ret;
	rk->new_generation = gen;
	rk->serial = has_serial ? serial : 0;
	rk->state = has_serial ? CPNS_STATE_ACTIVE : 0;
	return 0;
}

int cpns_auth_begin(struct cpns_nl *nl, const uint8_t did[CPNS_DEVICE_ID_LEN],
		    uint32_t *handle, uint8_t nc[CPNS_NONCE_LEN])
{
	return cpns_auth_begin_rk(nl, did, handle, nc, NULL);
}

int cpns_auth_challenge(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			const uint8_t nc[CPNS_NONCE_LEN], uint32_t *handle,
			uint8_t ns[CPNS_NONCE_LEN])
{
	return cpns_auth_challenge_rk(nl, did, nc, NULL, handle, ns);
}

int cpns_auth_client(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t ns[CPNS_NONCE_LEN],
		     uint8_t client_mac[CPNS_MAC_LEN])
{
	return cpns_auth_client_rk(nl, handle, ns, NULL, client_mac);
}

int cpns_auth_server(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t client_mac[CPNS_MAC_LEN],
		     uint8_t server_mac[CPNS_MAC_LEN])
{
	return cpns_auth_server_rk(nl, handle, client_mac, server_mac, NULL);
}

int cpns_auth_finish(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t server_mac[CPNS_MAC_LEN])
{
	return cpns_auth_finish_rk(nl, handle, server_mac, NULL);
}

int cpns_session_del(struct cpns_nl *nl, uint32_t handle)
{
	const struct cpns_put p[] = {
		{ CPNS_A_HANDLE, &handle, 4 },
	};

	return cpns__call(nl, CPNS_CMD_SESSION_DEL, p, 1, NULL, 0);
}
