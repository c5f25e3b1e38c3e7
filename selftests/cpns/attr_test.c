// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * Every malformed request is refused with an extended ACK that names the
 * problem, and changes nothing. For each command and each of its
 * attributes: too short, too long, missing; then for each command an
 * unknown attribute, an attribute of another command, a reply-only
 * attribute, a truncated attribute header, a zero handle, out-of-range
 * enums, a dump flag on a do-only command and an unknown command; and the
 * same for the KAT command of the test family cpns_kat (cpns_kat.ko), with
 * its nested AEAD entries. Requests are built with libcpns's raw request API on
 * top of an otherwise valid request, on the host where it would act, after
 * a full flow (seeds, Device Keys, pending objects and sessions present);
 * the dumps and pending/session counts of all three hosts must be the same
 * afterwards.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

enum kind { BIN, VAR, U8, U32, U64, NEST };

struct aspec {
	uint16_t type;
	uint8_t kind;
	uint16_t len;			/* BIN: exact; VAR: maximum */
	bool required;
};

struct cspec {
	uint8_t cmd;
	char host;			/* 's', '1' (GW1), '2' (GW2) */
	bool dump;			/* KEY_GET */
	struct aspec a[10];		/* ends at type 0 */
};

#define R(t, k, l) { CPNS_A_##t, k, l, true }
#define O(t, k, l) { CPNS_A_##t, k, l, false }
#define SID R(SEED_ID, BIN, CPNS_SEED_ID_LEN)
#define DID R(DEVICE_ID, BIN, CPNS_DEVICE_ID_LEN)
#define N16(t) R(t, BIN, CPNS_NONCE_LEN)
#define M32(t) R(t, BIN, CPNS_MAC_LEN)
#define PUB R(PUBKEY, BIN, CPNS_PUBKEY_LEN)
#define HANDLE R(HANDLE, U32, 4)
#define TIMEOUT O(TIMEOUT, U32, 4)
/* A NUL-terminated key type or description (its valid value: "user"). */
#define KEYREF(t) R(KEYREF_##t, VAR, CPNS_MAX_KEYREF - 1)

static const struct cspec cmds[] = {
	{ CPNS_CMD_GET_INFO, 's', false, { } },
	{ CPNS_CMD_GET_STATS, 's', false, { } },
	{ CPNS_CMD_KEY_GET, 's', true, { } },
	{ CPNS_CMD_KEY_DEL, 's', false, { O(SEED_ID, BIN, CPNS_SEED_ID_LEN) } },
	{ CPNS_CMD_SEED_NEW, 's', false, { TIMEOUT } },
	{ CPNS_CMD_XFER_NEW, '1', false, { } },
	{ CPNS_CMD_SEED_EXPORT, 's', false, { SID, PUB } },
	{ CPNS_CMD_SEED_IMPORT, '1', false, {
		HANDLE, SID, PUB, R(WRAPPED, BIN, CPNS_WRAPPED_LEN), TIMEOUT } },
	{ CPNS_CMD_ASSIGN_REQUEST, '1', false, { SID } },
	{ CPNS_CMD_ASSIGN_CHALLENGE, 's', false, {
		SID, N16(REQUEST_NONCE), M32(REQUEST_MAC) } },
	{ CPNS_CMD_ASSIGN_DERIVE, '1', false, {
		SID, N16(REQUEST_NONCE), R(CHALLENGE, BIN, CPNS_CHALLENGE_LEN),
		M32(CHALLENGE_MAC) } },
	{ CPNS_CMD_ASSIGN_CONFIRM, 's', false, { DID, N16(REQUEST_NONCE) } },
	{ CPNS_CMD_ASSIGN_VERIFY, '1', false, { DID, M32(CONFIRM) } },
	{ CPNS_CMD_DEVICE_EXPORT, '1', false, { DID, PUB } },
	{ CPNS_CMD_DEVICE_IMPORT, '2', false, {
		HANDLE, DID, PUB, R(WRAPPED, BIN, CPNS_WRAPPED_LEN), TIMEOUT } },
	{ CPNS_CMD_AUTH_BEGIN, '2', false, { DID } },
	{ CPNS_CMD_AUTH_CHALLENGE, 's', false, { DID, N16(CLIENT_NONCE) } },
	{ CPNS_CMD_AUTH_CLIENT, '2', false, { HANDLE, N16(SERVER_NONCE) } },
	{ CPNS_CMD_AUTH_SERVER, 's', false, { HANDLE, M32(CLIENT_MAC) } },
	{ CPNS_CMD_AUTH_FINISH, '2', false, { HANDLE, M32(SERVER_MAC) } },
	{ CPNS_CMD_SEAL, 's', false, {
		HANDLE, R(DATA, VAR, CPNS_MAX_PLAINTEXT),
		O(AAD, VAR, CPNS_MAX_AAD) } },
	{ CPNS_CMD_OPEN, 's', false, {
		HANDLE, R(SEQ, U64, 8),
		R(DATA, VAR, CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN),
		O(AAD, VAR, CPNS_MAX_AAD) } },
	{ CPNS_CMD_SESSION_DEL, 's', false, { HANDLE } },
	{ CPNS_CMD_KEY_WRAP, 's', false, {
		O(SEED_ID, BIN, CPNS_SEED_ID_LEN), KEYREF(TYPE), KEYREF(DESC),
		O(LABEL, VAR, CPNS_MAX_LABEL) } },
	{ CPNS_CMD_KEY_UNWRAP, 's', false, {
		R(BLOB, VAR, CPNS_MAX_BLOB), KEYREF(TYPE), KEYREF(DESC),
		O(LABEL, VAR, CPNS_MAX_LABEL) } },
	{ CPNS_CMD_KEY_REVOKE, 's', false, {
		O(SEED_ID, BIN, CPNS_SEED_ID_LEN) } },
	{ CPNS_CMD_XFER_CODE, '1', false, {
		HANDLE, R(KEY_KIND, U8, 1), O(SEED_ID, BIN, CPNS_SEED_ID_LEN),
		PUB } },
	{ CPNS_CMD_XFER_PAIR, '1', false, {
		KEYREF(TYPE), KEYREF(DESC), R(KEY_KIND, U8, 1),
		O(SEED_ID, BIN, CPNS_SEED_ID_LEN), PUB,
		R(PEER_PUBKEY, BIN, CPNS_PUBKEY_LEN),
		O(PAIR_MAC, BIN, CPNS_MAC_LEN), O(HANDLE, U32, 4) } },
	{ CPNS_CMD_XFER_RELEASE, 's', false, {
		HANDLE, O(XFER_CODE, U32, 4), O(PAIR_MAC, BIN, CPNS_MAC_LEN),
		O(RECEIVER_MAC, BIN, CPNS_MAC_LEN),
		O(KEYREF_TYPE, VAR, CPNS_MAX_KEYREF - 1),
		O(KEYREF_DESC, VAR, CPNS_MAX_KEYREF - 1) } },
	{ CPNS_CMD_XFER_ACCEPT, '1', false, {
		R(KEY_KIND, U8, 1), KEYREF(TYPE), KEYREF(DESC),
		O(HANDLE, U32, 4), O(RECEIVER_MAC, BIN, CPNS_MAC_LEN),
		O(PUBKEY, BIN, CPNS_PUBKEY_LEN) } },
};

/* The KAT command of the test module's family (cpns_kat.ko). */
static const struct cspec kat_spec = { CPNS_KAT_CMD_KAT, 's', false, {
	R(KAT_KEY_SEED, BIN, CPNS_SEED_LEN), SID, N16(REQUEST_NONCE),
	R(CHALLENGE, BIN, CPNS_CHALLENGE_LEN), N16(CLIENT_NONCE),
	N16(SERVER_NONCE), O(KAT_AEAD, NEST, 0) } };

/* One attribute of a request being built; inner != NULL makes a nest. */
struct attr {
	uint16_t type;
	uint32_t len;
	const uint8_t *data;
	const struct attr *inner;
	int ninner;
};

#define MAX_ATTRS 40

struct req {
	uint8_t cmd;
	uint16_t flags;
	int n;
	struct attr a[MAX_ATTRS];
	const uint8_t *raw;		/* appended after the attributes */
	size_t rawlen;
};

/* What a refusal must look like. */
struct want {
	int err[3];			/* acceptable errnos (0 ends) */
	int type;			/* the attribute it must name, or -1 */
	int nest;			/* the nest holding it, 0 = top */
	bool extack;			/* the kernel must send a message */
};

struct snapshot {
	int n[3];
	struct cpns_key k[3][16];
	uint32_t pending[3], sessions[3];
};

FIXTURE(attr) {
	struct fl_ctx c;
	uint8_t val[CPNS_KAT_A_MAX + 2][64];	/* valid value by type */
	uint8_t big[CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN + 64];
	int cases, failed;
};

FIXTURE_SETUP(attr)
{
	struct fl_ctx *c = &self->c;
	uint8_t pub[CPNS_PUBKEY_LEN], nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint32_t h, u32;
	uint64_t u64 = 0;
	int i, j;

	ASSERT_EQ(0, fl_open(c, NULL, false));
	ASSERT_EQ(0, fl_run_all(c));
	/* Leave pending objects on every host as well. */
	ASSERT_EQ(0, cpns_xfer_new(c->g1.nl, &h, pub));
	ASSERT_EQ(0, cpns_xfer_new(c->g2.nl, &h, pub));
	ASSERT_EQ(0, cpns_auth_begin_rk(c->g2.nl, c->did, &h, nc, &c->rk));
	ASSERT_EQ(0, fl_challenge_rec(c, nc, &c->rk, &h,
					    ns));

	for (i = 0; i <= CPNS_KAT_A_MAX + 1; i++)
		for (j = 0; j < 64; j++)
			self->val[i][j] = 0xa0 + j;
	memcpy(self->val[CPNS_A_SEED_ID], c->sid, sizeof(c->sid));
	memcpy(self->val[CPNS_A_DEVICE_ID], c->did, sizeof(c->did));
	memcpy(self->val[CPNS_A_PUBKEY], pub, sizeof(pub));
	u32 = c->hs;
	memcpy(self->val[CPNS_A_HANDLE], &u32, 4);
	u32 = 60;
	memcpy(self->val[CPNS_A_TIMEOUT], &u32, 4);
	memcpy(self->val[CPNS_A_SEQ], &u64, 8);
	u32 = CPNS_GENL_VERSION;
	memcpy(self->val[CPNS_A_VERSION], &u32, 4);
	/* VAR attributes are sent 5 bytes long: "user" and its NUL. */
	memcpy(self->val[CPNS_A_KEYREF_TYPE], "user", 5);
	memcpy(self->val[CPNS_A_KEYREF_DESC], "user", 5);
	self->val[CPNS_A_KEY_KIND][0] = CPNS_KEY_SEED;
	memcpy(self->val[CPNS_A_PEER_PUBKEY], pub, sizeof(pub));
	memset(self->big, 0x42, sizeof(self->big));
}

FIXTURE_TEARDOWN(attr)
{
	fl_close(&self->c);
}

struct keylist {
	struct cpns_key *k;
	int n;
};

static int collect(const struct cpns_key *key, void *arg)
{
	struct keylist *l = arg;

	if (l->n < 16)
		l->k[l->n] = *key;
	l->n++;
	return 0;
}

static int snapshot(struct fl_ctx *c, struct snapshot *s)
{
	struct fl_host *hs[3] = { &c->s, &c->g1, &c->g2 };
	int i, err, tries;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < 3; i++) {
		struct keylist l = { .k = s->k[i] };

		err = fl_counts(hs[i], &s->pending[i], &s->sessions[i]);
		for (tries = 0; !err && tries < 5; tries++) {
			l.n = 0;
			err = cpns_keys_dump(hs[i]->nl, collect, &l);
			if (err != -EAGAIN)
				break;
		}
		if (err)
			return err;
		s->n[i] = l.n;
	}
	return 0;
}

static int put_attrs(struct cpns_msg *msg, const struct attr *a, int n)
{
	struct nlattr *nest;
	int i, err;

	for (i = 0; i < n; i++) {
		if (a[i].inner) {
			nest = cpns_msg_nest_start(msg, a[i].type);
			if (!nest)
				return -EMSGSIZE;
			err = put_attrs(msg, a[i].inner, a[i].ninner);
			if (!err)
				err = cpns_msg_nest_end(msg, nest);
		} else {
			err = cpns_msg_put(msg, a[i].type, a[i].data,
					   a[i].len);
		}
		if (err)
			return err;
	}
	return 0;
}

static int build(struct cpns_msg *msg, void *arg)
{
	const struct req *r = arg;
	int err;

	err = put_attrs(msg, r->a, r->n);
	if (!err && r->raw)
		err = cpns_msg_append(msg, r->raw, r->rawlen);
	return err;
}

/* "Seed ID", "seed_id" and "seed-id" all name CPNS_A_SEED_ID. */
static void squash(char *out, size_t size, const char *in)
{
	size_t n = 0;

	for (; *in && n + 1 < size; in++)
		if (isalnum((unsigned char)*in))
			out[n++] = tolower((unsigned char)*in);
	out[n] = '\0';
}

static bool names(const struct cpns_error *e, const struct want *w)
{
	char msg[300], name[64];

	if (w->type < 0)
		return true;
	if (e->attr_type == w->type && e->attr_nest == w->nest)
		return true;
	if (e->miss_type == w->type)
		return true;
	if (w->nest || w->type > CPNS_A_MAX || !e->from_kernel)
		return false;
	squash(msg, sizeof(msg), e->msg);
	squash(name, sizeof(name), cpns_attr_name(w->type));
	return strstr(msg, name);
}

/* The command's name; h "KAT" is the test family's socket. */
static const char *cmd_label(const struct fl_host *h, uint8_t cmd)
{
	if (!strcmp(h->name, "KAT"))
		return cmd == CPNS_KAT_CMD_KAT ? "kat" : "kat_ext";
	return cpns_cmd_name(cmd);
}

/* Send r on h, check the refusal against w and that nothing changed. */
static void check(FIXTURE_DATA(attr) *self, struct fl_host *h,
		  const struct req *r, const struct want *w, const char *what)
{
	const struct cpns_error *e;
	struct snapshot before, after;
	bool err_ok = false, changed;
	int err, i;

	self->cases++;
	if (snapshot(&self->c, &before)) {
		self->failed++;
		ksft_print_msg("FAIL snapshot before %s\n", what);
		return;
	}
	err = cpns_request(h->nl, r->cmd, r->flags, build, (void *)r, NULL,
			   NULL);
	e = cpns_last(h->nl);
	for (i = 0; i < 3 && w->err[i]; i++)
		if (err == -w->err[i])
			err_ok = true;
	if (!w->err[0])
		err_ok = err == 0;
	{
		struct cpns_error saved = *e;

		if (snapshot(&self->c, &after)) {
			self->failed++;
			ksft_print_msg("FAIL snapshot after %s\n", what);
			return;
		}
		changed = memcmp(&before, &after, sizeof(before));
		if (!err_ok || changed ||
		    (w->extack && (!saved.from_kernel || !saved.msg[0] ||
				   !names(&saved, w)))) {
			self->failed++;
			ksft_print_msg("FAIL %s, %s: got %d (%s), want %s; %s \"%s\" (attr %d in %d, missing %d; want attr %d in %d)%s\n",
				       cmd_label(h, r->cmd), what, err,
				       err ? strerror(-err) : "success",
				       w->err[0] ? strerror(w->err[0]) : "success",
				       saved.from_kernel ? "extack" : "no extack, library says",
				       saved.msg, saved.attr_type,
				       saved.attr_nest, saved.miss_type,
				       w->type, w->nest,
				       changed ? "; STATE CHANGED" : "");
		} else {
			ksft_print_msg("ok   %s, %s: %s: \"%s\"\n",
				       cmd_label(h, r->cmd), what,
				       err ? strerror(-err) : "success",
				       saved.msg);
		}
	}
}

static const struct cspec *spec_of(uint8_t cmd)
{
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (cmds[i].cmd == cmd)
			return &cmds[i];
	return NULL;
}

/* The valid request of cs (nested attributes left out). */
static void valid(FIXTURE_DATA(attr) *self, const struct cspec *cs,
		  struct req *r)
{
	const struct aspec *a;

	memset(r, 0, sizeof(*r));
	r->cmd = cs->cmd;
	r->flags = cs->dump ? NLM_F_DUMP : 0;
	for (a = cs->a; a->type; a++) {
		struct attr *x;

		if (a->kind == NEST)
			continue;
		x = &r->a[r->n++];
		x->type = a->type;
		x->data = self->val[a->type];
		switch (a->kind) {
		case BIN: x->len = a->len; break;
		case U8: x->len = 1; break;
		case U32: x->len = 4; break;
		case U64: x->len = 8; break;
		case VAR:
			/* OPEN's data is ciphertext || tag. */
			x->len = 5;
			if (cs->cmd == CPNS_CMD_OPEN && a->type == CPNS_A_DATA)
				x->len += CPNS_TAG_LEN;
			break;
		}
	}
}

static struct want inval(int type)
{
	struct want w = { { EINVAL }, type, 0, true };

	return w;
}

/* A wrong length: the policy engine says EINVAL or ERANGE. */
static struct want badlen(int type)
{
	struct want w = { { EINVAL, ERANGE }, type, 0, true };

	return w;
}

static void drop(struct req *r, int i)
{
	memmove(&r->a[i], &r->a[i + 1], (r->n - i - 1) * sizeof(r->a[0]));
	r->n--;
}

static void add(struct req *r, uint16_t type, const void *data, size_t len)
{
	memset(&r->a[r->n], 0, sizeof(r->a[0]));
	r->a[r->n].type = type;
	r->a[r->n].data = data;
	r->a[r->n].len = len;
	r->n++;
}

/* An attribute that is valid in some other command but not in cs. */
static uint16_t foreign(const struct cspec *cs, size_t *len)
{
	static const struct { uint16_t type, len; } cand[] = {
		{ CPNS_A_CHALLENGE_MAC, CPNS_MAC_LEN },
		{ CPNS_A_HANDLE, 4 },
	};
	const struct aspec *a;
	unsigned int i;

	for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		for (a = cs->a; a->type && a->type != cand[i].type; a++)
			;
		if (!a->type) {
			*len = cand[i].len;
			return cand[i].type;
		}
	}
	*len = 0;
	return 0;
}

/* Every malformed variant of cs, sent on h; maxattr: h's family's. */
static void run_spec(FIXTURE_DATA(attr) *self, const struct cspec *cs,
		     struct fl_host *h, int maxattr)
{
	static const uint8_t trunc[4] = { 8, 0, CPNS_A_SEED_ID, 0 };
	static const uint32_t zero;
	struct req r;
	struct want w;
	char what[128];
	size_t flen;
	int j, ft;

	for (j = 0; cs->a[j].type; j++) {
		const struct aspec *a = &cs->a[j];
		const char *name = cpns_attr_name(a->type);

		if (a->kind == NEST)
			continue;
		w = badlen(a->type);
		/* Too short (fixed sizes), too long (all). */
		if (a->kind != VAR) {
			valid(self, cs, &r);
			r.a[j].len--;
			snprintf(what, sizeof(what), "%s short", name);
			check(self, h, &r, &w, what);
		}
		if (a->kind == BIN) {
			valid(self, cs, &r);
			r.a[j].len = 0;
			snprintf(what, sizeof(what), "%s empty", name);
			check(self, h, &r, &w, what);
		}
		valid(self, cs, &r);
		if (a->kind == VAR) {
			r.a[j].len = a->len + 1u;
			r.a[j].data = self->big;
		} else {
			r.a[j].len++;
		}
		snprintf(what, sizeof(what), "%s long", name);
		check(self, h, &r, &w, what);
		if (a->required) {
			w = inval(a->type);
			valid(self, cs, &r);
			drop(&r, j);
			snprintf(what, sizeof(what), "%s missing", name);
			check(self, h, &r, &w, what);
		}
		if (a->type == CPNS_A_HANDLE) {
			valid(self, cs, &r);
			r.a[j].data = (const uint8_t *)&zero;
			w.err[1] = ERANGE;
			check(self, h, &r, &w, "handle 0");
		}
	}

	/* An attribute type the family does not have. */
	valid(self, cs, &r);
	add(&r, maxattr + 1, self->val[maxattr + 1], 4);
	w = inval(-1);
	check(self, h, &r, &w, "unknown attribute type");

	/* An attribute of another command. */
	ft = foreign(cs, &flen);
	valid(self, cs, &r);
	add(&r, ft, self->val[ft], flen);
	w = inval(ft);
	snprintf(what, sizeof(what), "attribute of another command (%s)",
		 cpns_attr_name(ft));
	check(self, h, &r, &w, what);

	/* A reply-only attribute. */
	valid(self, cs, &r);
	add(&r, CPNS_A_VERSION, self->val[CPNS_A_VERSION], 4);
	w = inval(CPNS_A_VERSION);
	check(self, h, &r, &w, "reply-only attribute (version)");

	/* A truncated attribute: its header claims more than is there. */
	valid(self, cs, &r);
	r.raw = trunc;
	r.rawlen = sizeof(trunc);
	w = inval(-1);
	w.extack = false;
	check(self, h, &r, &w, "truncated attribute");

	/* NLM_F_DUMP on a command that has no dump. */
	if (!cs->dump) {
		valid(self, cs, &r);
		r.flags = NLM_F_DUMP;
		w = (struct want){ { EOPNOTSUPP }, -1, 0, false };
		check(self, h, &r, &w, "NLM_F_DUMP");
	}
}

static void run_cmd(FIXTURE_DATA(attr) *self, uint8_t cmd)
{
	const struct cspec *cs = spec_of(cmd);

	if (!cs) {
		self->failed++;
		return;
	}
	run_spec(self, cs, cs->host == 's' ? &self->c.s :
			   cs->host == '1' ? &self->c.g1 : &self->c.g2,
		 CPNS_A_MAX);
}

static void done(struct __test_metadata *_metadata, FIXTURE_DATA(attr) *self)
{
	ksft_print_msg("%d cases, %d failed\n", self->cases, self->failed);
	/* A failed assertion ends the test without flushing stdio. */
	fflush(stdout);
	ASSERT_EQ(0, self->failed);
}

/* A valid request of a command that changes nothing must succeed. */
static void valid_ok(FIXTURE_DATA(attr) *self, uint8_t cmd)
{
	struct want w = { { 0 }, -1, 0, false };
	struct req r;

	valid(self, spec_of(cmd), &r);
	check(self, &self->c.s, &r, &w, "valid request");
}

TEST_F(attr, get_info)
{
	valid_ok(self, CPNS_CMD_GET_INFO);
	run_cmd(self, CPNS_CMD_GET_INFO);
	done(_metadata, self);
}

TEST_F(attr, get_stats)
{
	valid_ok(self, CPNS_CMD_GET_STATS);
	run_cmd(self, CPNS_CMD_GET_STATS);
	done(_metadata, self);
}

TEST_F(attr, key_get)
{
	valid_ok(self, CPNS_CMD_KEY_GET);
	run_cmd(self, CPNS_CMD_KEY_GET);
	done(_metadata, self);
}

TEST_F(attr, key_del)
{
	const struct cspec *cs = spec_of(CPNS_CMD_KEY_DEL);
	struct req r;
	struct want w = inval(CPNS_A_SEED_ID);
	uint8_t did[CPNS_DEVICE_ID_LEN];

	run_cmd(self, CPNS_CMD_KEY_DEL);
	/* Exactly one of the two IDs. */
	valid(self, cs, &r);
	r.n = 0;
	check(self, &self->c.s, &r, &w, "neither seed_id nor device_id");
	valid(self, cs, &r);
	memcpy(did, self->c.sid, CPNS_SEED_ID_LEN);
	memset(did + CPNS_SEED_ID_LEN, 0, sizeof(did) - CPNS_SEED_ID_LEN);
	add(&r, CPNS_A_DEVICE_ID, did, sizeof(did));
	w.type = -1;
	check(self, &self->c.s, &r, &w, "both seed_id and device_id");
	/* A Device ID of the wrong size, on GW1 (which holds one). */
	valid(self, cs, &r);
	r.a[0].type = CPNS_A_DEVICE_ID;
	r.a[0].data = self->val[CPNS_A_DEVICE_ID];
	r.a[0].len = CPNS_DEVICE_ID_LEN - 1;
	w = badlen(CPNS_A_DEVICE_ID);
	check(self, &self->c.g1, &r, &w, "device_id short");
	r.a[0].len = CPNS_DEVICE_ID_LEN + 1;
	check(self, &self->c.g1, &r, &w, "device_id long");
	done(_metadata, self);
}

TEST_F(attr, kat)
{
	const struct cspec *cs = &kat_spec;
	struct fl_host kat = { "KAT", self->c.s.nsfd, NULL };
	static const uint8_t dir0, dir2 = 2;
	static const uint64_t seq;
	struct attr in[8], many[CPNS_MAX_KAT_AEAD + 1];
	struct req r;
	struct want w;
	int i, n;

	/* One valid AEAD entry: DIR, SEQ, AAD, DATA. */
#define AEAD_VALID() do { \
	memset(in, 0, sizeof(in)); \
	in[0] = (struct attr){ CPNS_AEAD_A_DIR, 1, &dir0, NULL, 0 }; \
	in[1] = (struct attr){ CPNS_AEAD_A_SEQ, 8, (const uint8_t *)&seq, NULL, 0 }; \
	in[2] = (struct attr){ CPNS_AEAD_A_AAD, 3, self->big, NULL, 0 }; \
	in[3] = (struct attr){ CPNS_AEAD_A_DATA, 5, self->big, NULL, 0 }; \
	n = 4; \
	valid(self, cs, &r); \
	r.a[r.n] = (struct attr){ CPNS_A_KAT_AEAD, 0, NULL, in, 4 }; \
	r.n++; \
} while (0)

	/* The family of cpns_kat.ko, which run_tests.sh loads for this unit. */
	kat.nl = cpns_open_family(CPNS_KAT_GENL_NAME);
	ASSERT_NE(NULL, kat.nl) TH_LOG("cpns_open_family(\"%s\"): %s",
				       CPNS_KAT_GENL_NAME, strerror(errno));

	AEAD_VALID();
	w = (struct want){ { 0 }, -1, 0, false };
	check(self, &kat, &r, &w, "valid request with one AEAD entry");

	run_spec(self, cs, &kat, CPNS_KAT_A_MAX);

	w = (struct want){ { EINVAL, ERANGE }, CPNS_AEAD_A_DIR, CPNS_A_KAT_AEAD,
			   true };
	AEAD_VALID();
	in[0].data = &dir2;
	check(self, &kat, &r, &w, "aead dir 2");
	AEAD_VALID();
	in[0].len = 4;
	in[0].data = self->big;
	check(self, &kat, &r, &w, "aead dir long");
	w.err[1] = 0;
	AEAD_VALID();
	in[0] = in[--n];
	r.a[r.n - 1].ninner = n;
	check(self, &kat, &r, &w, "aead dir missing");

	w.type = CPNS_AEAD_A_SEQ;
	w.err[1] = ERANGE;
	AEAD_VALID();
	in[1].len = 4;
	check(self, &kat, &r, &w, "aead seq short");
	w.err[1] = 0;
	AEAD_VALID();
	in[1] = in[--n];
	r.a[r.n - 1].ninner = n;
	check(self, &kat, &r, &w, "aead seq missing");

	w.type = CPNS_AEAD_A_AAD;
	w.err[1] = ERANGE;
	AEAD_VALID();
	in[2].len = CPNS_MAX_AAD + 1;
	check(self, &kat, &r, &w, "aead aad long");

	w.type = CPNS_AEAD_A_DATA;
	AEAD_VALID();
	in[3].len = CPNS_MAX_PLAINTEXT + 1;
	check(self, &kat, &r, &w, "aead data long");
	w.err[1] = 0;
	AEAD_VALID();
	n--;
	r.a[r.n - 1].ninner = n;
	check(self, &kat, &r, &w, "aead data missing");

	w.type = CPNS_AEAD_A_MAX + 1;
	AEAD_VALID();
	in[n] = (struct attr){ CPNS_AEAD_A_MAX + 1, 4, self->big, NULL, 0 };
	r.a[r.n - 1].ninner = ++n;
	w.type = -1;
	check(self, &kat, &r, &w, "aead unknown attribute type");

	/* One entry more than CPNS_MAX_KAT_AEAD. */
	AEAD_VALID();
	r.n--;
	for (i = 0; i <= CPNS_MAX_KAT_AEAD; i++)
		many[i] = (struct attr){ CPNS_A_KAT_AEAD, 0, NULL, in, 4 };
	for (i = 0; i <= CPNS_MAX_KAT_AEAD; i++)
		r.a[r.n++] = many[i];
	w = (struct want){ { EINVAL, E2BIG }, -1, 0, true };
	check(self, &kat, &r, &w, "17 aead entries");
#undef AEAD_VALID
	cpns_close(kat.nl);
	done(_metadata, self);
}

TEST_F(attr, seed_new)
{
	run_cmd(self, CPNS_CMD_SEED_NEW);
	done(_metadata, self);
}

TEST_F(attr, xfer_new)
{
	run_cmd(self, CPNS_CMD_XFER_NEW);
	done(_metadata, self);
}

TEST_F(attr, seed_export)
{
	run_cmd(self, CPNS_CMD_SEED_EXPORT);
	done(_metadata, self);
}

TEST_F(attr, seed_import)
{
	run_cmd(self, CPNS_CMD_SEED_IMPORT);
	done(_metadata, self);
}

TEST_F(attr, assign_request)
{
	run_cmd(self, CPNS_CMD_ASSIGN_REQUEST);
	done(_metadata, self);
}

TEST_F(attr, assign_challenge)
{
	run_cmd(self, CPNS_CMD_ASSIGN_CHALLENGE);
	done(_metadata, self);
}

TEST_F(attr, assign_derive)
{
	run_cmd(self, CPNS_CMD_ASSIGN_DERIVE);
	done(_metadata, self);
}

TEST_F(attr, assign_confirm)
{
	run_cmd(self, CPNS_CMD_ASSIGN_CONFIRM);
	done(_metadata, self);
}

TEST_F(attr, assign_verify)
{
	run_cmd(self, CPNS_CMD_ASSIGN_VERIFY);
	done(_metadata, self);
}

TEST_F(attr, device_export)
{
	run_cmd(self, CPNS_CMD_DEVICE_EXPORT);
	done(_metadata, self);
}

TEST_F(attr, device_import)
{
	run_cmd(self, CPNS_CMD_DEVICE_IMPORT);
	done(_metadata, self);
}

TEST_F(attr, auth_begin)
{
	run_cmd(self, CPNS_CMD_AUTH_BEGIN);
	done(_metadata, self);
}

TEST_F(attr, auth_challenge)
{
	run_cmd(self, CPNS_CMD_AUTH_CHALLENGE);
	done(_metadata, self);
}

TEST_F(attr, auth_client)
{
	run_cmd(self, CPNS_CMD_AUTH_CLIENT);
	done(_metadata, self);
}

TEST_F(attr, auth_server)
{
	run_cmd(self, CPNS_CMD_AUTH_SERVER);
	done(_metadata, self);
}

TEST_F(attr, auth_finish)
{
	run_cmd(self, CPNS_CMD_AUTH_FINISH);
	done(_metadata, self);
}

TEST_F(attr, seal)
{
	run_cmd(self, CPNS_CMD_SEAL);
	done(_metadata, self);
}

TEST_F(attr, open)
{
	const struct cspec *cs = spec_of(CPNS_CMD_OPEN);
	struct want w = badlen(CPNS_A_DATA);
	struct req r;

	run_cmd(self, CPNS_CMD_OPEN);
	/* Shorter than a tag: not a sealed message at all. */
	valid(self, cs, &r);
	r.a[2].len = CPNS_TAG_LEN - 1;
	check(self, &self->c.s, &r, &w, "data shorter than the tag");
	done(_metadata, self);
}

TEST_F(attr, session_del)
{
	run_cmd(self, CPNS_CMD_SESSION_DEL);
	done(_metadata, self);
}

TEST_F(attr, key_wrap)
{
	run_cmd(self, CPNS_CMD_KEY_WRAP);
	done(_metadata, self);
}

TEST_F(attr, key_unwrap)
{
	const struct cspec *cs = spec_of(CPNS_CMD_KEY_UNWRAP);
	struct want w = badlen(CPNS_A_BLOB);
	struct req r;

	run_cmd(self, CPNS_CMD_KEY_UNWRAP);
	valid(self, cs, &r);
	r.a[0].len = 0;
	check(self, &self->c.s, &r, &w, "empty blob");
	/* A key type or description without its NUL. */
	valid(self, cs, &r);
	r.a[1].len = 4;
	w = badlen(CPNS_A_KEYREF_TYPE);
	check(self, &self->c.s, &r, &w, "keyref_type without NUL");
	done(_metadata, self);
}

TEST_F(attr, key_revoke)
{
	const struct cspec *cs = spec_of(CPNS_CMD_KEY_REVOKE);
	struct want w = inval(-1);
	uint8_t did[CPNS_DEVICE_ID_LEN];
	struct req r;

	run_cmd(self, CPNS_CMD_KEY_REVOKE);
	valid(self, cs, &r);
	r.n = 0;
	check(self, &self->c.s, &r, &w, "neither seed_id nor device_id");
	valid(self, cs, &r);
	memcpy(did, self->c.did, sizeof(did));
	add(&r, CPNS_A_DEVICE_ID, did, sizeof(did));
	check(self, &self->c.s, &r, &w, "both seed_id and device_id");
	valid(self, cs, &r);
	r.a[0].type = CPNS_A_DEVICE_ID;
	r.a[0].len = CPNS_DEVICE_ID_LEN - 1;
	w = badlen(CPNS_A_DEVICE_ID);
	check(self, &self->c.s, &r, &w, "device_id short");
	done(_metadata, self);
}

/* KEY_KIND outside 1..2, and the ID it calls for missing. */
static void kind_cases(FIXTURE_DATA(attr) *self, uint8_t cmd)
{
	static const uint8_t kind0, kind3 = 3, kind2 = CPNS_KEY_DEVICE;
	const struct cspec *cs = spec_of(cmd);
	struct want w = badlen(CPNS_A_KEY_KIND);
	struct req r;
	int i, k = -1;

	for (i = 0; cs->a[i].type; i++)
		if (cs->a[i].type == CPNS_A_KEY_KIND)
			k = i;
	valid(self, cs, &r);
	r.a[k].data = &kind0;
	check(self, &self->c.g1, &r, &w, "key_kind 0");
	r.a[k].data = &kind3;
	check(self, &self->c.g1, &r, &w, "key_kind 3");
	/* Kind 2 wants a Device ID; only a Seed ID is there. */
	r.a[k].data = &kind2;
	w = inval(CPNS_A_DEVICE_ID);
	check(self, &self->c.g1, &r, &w, "device kind without device_id");
}

TEST_F(attr, xfer_code)
{
	run_cmd(self, CPNS_CMD_XFER_CODE);
	kind_cases(self, CPNS_CMD_XFER_CODE);
	done(_metadata, self);
}

TEST_F(attr, xfer_release)
{
	run_cmd(self, CPNS_CMD_XFER_RELEASE);
	done(_metadata, self);
}

TEST_F(attr, xfer_accept)
{
	run_cmd(self, CPNS_CMD_XFER_ACCEPT);
	done(_metadata, self);
}

TEST_F(attr, xfer_pair)
{
	run_cmd(self, CPNS_CMD_XFER_PAIR);
	kind_cases(self, CPNS_CMD_XFER_PAIR);
	done(_metadata, self);
}

TEST_F(attr, unknown_command)
{
	struct want w = { { EOPNOTSUPP }, -1, 0, false };
	struct req r = { .cmd = CPNS_CMD_MAX + 1 };

	check(self, &self->c.s, &r, &w, "unknown command");
	r.cmd = CPNS_CMD_UNSPEC;
	check(self, &self->c.s, &r, &w, "command 0");
	done(_metadata, self);
}

TEST_HARNESS_MAIN
