// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * CPNS_CMD_BATCH (Documentation/netlink.rst): many SEAL or OPEN items in
 * one request between the sessions of a real a-flow. Every item gets its
 * own result in the one reply; a bad item fails alone, with its own errno
 * and extack, and changes nothing (no sequence number used or passed);
 * a batch over batch_max, of a command that is not batched, or with a
 * malformed item nest is refused whole, before any item runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

#define N 16
#define MSG_MAX 64

FIXTURE(batch) {
	struct fl_ctx c;
	char pt[N][MSG_MAX];
	uint8_t ct[N][MSG_MAX + CPNS_TAG_LEN];
	char out[N][MSG_MAX + CPNS_TAG_LEN];
	struct cpns_seal_item seal[N];
	struct cpns_open_item open[N];
};

FIXTURE_SETUP(batch)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
	ASSERT_EQ(0, fl_run_all(&self->c));
}

FIXTURE_TEARDOWN(batch)
{
	fl_close(&self->c);
}

/* Seal items [0, n) of self on GW2's handle hg[i % nh]. */
static void seal_items(FIXTURE_DATA(batch) *self, size_t n,
		       const uint32_t *hg, size_t nh)
{
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(self->pt[i], MSG_MAX, "message %zu", i);
		self->seal[i] = (struct cpns_seal_item){
			.handle = hg[i % nh],
			.aad = "hdr", .aadlen = 3,
			.pt = self->pt[i], .len = strlen(self->pt[i]) + 1,
			.out = self->ct[i], .outlen = sizeof(self->ct[i]),
		};
	}
}

/* Open items [0, n) on S's handle hs[i % nh], the ciphertexts sealed. */
static void open_items(FIXTURE_DATA(batch) *self, size_t n,
		       const uint32_t *hs, size_t nh)
{
	size_t i;

	for (i = 0; i < n; i++)
		self->open[i] = (struct cpns_open_item){
			.handle = hs[i % nh], .seq = self->seal[i].seq,
			.aad = "hdr", .aadlen = 3,
			.in = self->ct[i], .len = self->seal[i].outlen,
			.out = self->out[i], .outlen = sizeof(self->out[i]),
		};
}

/* The next sequence number GW2's session hg seals with (uses it up). */
static uint64_t next_seq(struct __test_metadata *_metadata,
			 struct fl_ctx *c, uint32_t hg)
{
	uint8_t m[64];
	size_t l = sizeof(m);
	uint64_t seq = ~0ull;

	EXPECT_EQ(0, cpns_seal(c->g2.nl, hg, NULL, 0, "probe", 5, &seq, m,
			       &l)) TH_LOG("%s", cpns_last_error(c->g2.nl));
	return seq;
}

static uint64_t ok_count(struct __test_metadata *_metadata,
			 struct cpns_nl *nl, unsigned int cmd)
{
	static struct cpns_stats st;

	EXPECT_EQ(0, cpns_get_stats(nl, &st));
	return st.op[cmd].ok;
}

TEST_F(batch, all_good)
{
	struct fl_ctx *c = &self->c;
	uint64_t first, seals, opens, batches;
	size_t i;

	ASSERT_EQ(tu_module_param("batch_max"), cpns_batch_max(c->g2.nl));
	seals = ok_count(_metadata, c->g2.nl, CPNS_CMD_SEAL);
	batches = ok_count(_metadata, c->g2.nl, CPNS_CMD_BATCH);
	opens = ok_count(_metadata, c->s.nl, CPNS_CMD_OPEN);
	first = next_seq(_metadata, c, c->hg);

	seal_items(self, N, &c->hg, 1);
	NL_OK(c->g2.nl, cpns_seal_batch(c->g2.nl, self->seal, N));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, self->seal[i].err);
		ASSERT_EQ(first + 1 + i, self->seal[i].seq);
		ASSERT_EQ(strlen(self->pt[i]) + 1 + CPNS_TAG_LEN,
			  self->seal[i].outlen);
	}
	/* Every item counts as its command; the batch once. */
	ASSERT_EQ(seals + 1 + N, ok_count(_metadata, c->g2.nl, CPNS_CMD_SEAL));
	ASSERT_EQ(batches + 1, ok_count(_metadata, c->g2.nl, CPNS_CMD_BATCH));

	open_items(self, N, &c->hs, 1);
	NL_OK(c->s.nl, cpns_unseal_batch(c->s.nl, self->open, N));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, self->open[i].err);
		ASSERT_EQ(strlen(self->pt[i]) + 1, self->open[i].outlen);
		ASSERT_STREQ(self->pt[i], self->out[i]);
	}
	ASSERT_EQ(opens + N, ok_count(_metadata, c->s.nl, CPNS_CMD_OPEN));
	/* The sessions go on as before. */
	ASSERT_EQ(0, fl_exchange(c, "after", "batches"));
}

TEST_F(batch, bad_item_fails_alone)
{
	struct fl_ctx *c = &self->c;
	uint32_t bad = c->hg + 1000;
	uint64_t first;
	size_t i;

	/* A seal on an unknown handle: ENOENT, and it uses no number. */
	first = next_seq(_metadata, c, c->hg);
	seal_items(self, 5, &c->hg, 1);
	self->seal[2].handle = bad;
	NL_OK(c->g2.nl, cpns_seal_batch(c->g2.nl, self->seal, 5));
	for (i = 0; i < 5; i++) {
		if (i == 2) {
			ASSERT_EQ(-ENOENT, self->seal[i].err);
			continue;
		}
		ASSERT_EQ(0, self->seal[i].err);
		ASSERT_EQ(first + 1 + i - (i > 2), self->seal[i].seq);
	}
	ASSERT_EQ(first + 5, next_seq(_metadata, c, c->hg));

	/*
	 * Open 0, 1, 3 in order and, as item 2, message 4 altered: it fails
	 * alone (EBADMSG) and passes no number, so that message 4 itself
	 * still opens, last.
	 */
	seal_items(self, 5, &c->hg, 1);
	NL_OK(c->g2.nl, cpns_seal_batch(c->g2.nl, self->seal, 5));
	open_items(self, 5, &c->hs, 1);
	self->open[2] = self->open[4];
	self->open[2].out = self->out[2];
	memcpy(self->ct[2], self->ct[4], self->seal[4].outlen);
	self->ct[2][0] ^= 1;
	self->open[2].in = self->ct[2];
	self->open[4] = (struct cpns_open_item){
		.handle = c->hs, .seq = self->seal[3].seq, .aad = "hdr",
		.aadlen = 3, .in = self->ct[3], .len = self->seal[3].outlen,
		.out = self->out[4], .outlen = sizeof(self->out[4]),
	};
	NL_OK(c->s.nl, cpns_unseal_batch(c->s.nl, self->open, 5));
	ASSERT_EQ(0, self->open[0].err);
	ASSERT_EQ(0, self->open[1].err);
	ASSERT_EQ(-EBADMSG, self->open[2].err);
	ASSERT_EQ(0, self->open[3].err);
	ASSERT_STREQ(self->pt[3], self->out[3]);
	/* Message 3 again: a replay, refused alone with EALREADY. */
	ASSERT_EQ(-EALREADY, self->open[4].err);

	/* Message 4 was never passed: it opens. */
	self->open[0] = (struct cpns_open_item){
		.handle = c->hs, .seq = self->seal[4].seq, .aad = "hdr",
		.aadlen = 3, .in = self->ct[4], .len = self->seal[4].outlen,
		.out = self->out[0], .outlen = sizeof(self->out[0]),
	};
	NL_OK(c->s.nl, cpns_unseal_batch(c->s.nl, self->open, 1));
	ASSERT_EQ(0, self->open[0].err);
	ASSERT_STREQ(self->pt[4], self->out[0]);
}

/* A raw batch: items built by build_raw(), results kept by keep(). */
struct raw {
	int kind;		/* which malformed item to build */
	uint32_t handle;
	size_t n;		/* items */
	struct cpns_item_result res[8];
	char msg[8][256];
	size_t got;
};

enum { RAW_GOOD, RAW_ZERO_HANDLE, RAW_NO_DATA, RAW_TRAILING, RAW_NESTED };

static int put_seal(struct cpns_msg *m, uint32_t handle)
{
	return cpns_msg_put_u32(m, CPNS_A_HANDLE, handle) ||
	       cpns_msg_put(m, CPNS_A_DATA, "raw", 3) ? -EMSGSIZE : 0;
}

static int build_one(struct cpns_msg *m, size_t i, void *arg)
{
	struct raw *r = arg;
	static const uint8_t runt[2] = { 2, 0 };	/* nla_len 2 < 4 */
	struct nlattr *inner;

	if (i != 1)
		return put_seal(m, r->handle);
	switch (r->kind) {
	case RAW_ZERO_HANDLE:
		return put_seal(m, 0);
	case RAW_NO_DATA:
		return cpns_msg_put_u32(m, CPNS_A_HANDLE, r->handle);
	case RAW_TRAILING:
		return put_seal(m, r->handle) ||
		       cpns_msg_append(m, runt, sizeof(runt)) ? -EMSGSIZE : 0;
	case RAW_NESTED:
		inner = cpns_msg_nest_start(m, CPNS_A_ITEM);
		if (!inner || put_seal(m, r->handle))
			return -EMSGSIZE;
		return cpns_msg_nest_end(m, inner);
	}
	return put_seal(m, r->handle);
}

static int keep(const struct cpns_reply *item,
		const struct cpns_item_result *res, void *arg)
{
	struct raw *r = arg;

	(void)item;
	if (res->index >= 8)
		return -E2BIG;
	r->res[res->index] = *res;
	snprintf(r->msg[res->index], sizeof(r->msg[0]), "%s",
		 res->msg ? res->msg : "");
	r->got++;
	return 0;
}

TEST_F(batch, malformed_item_fails_alone)
{
	static const struct {
		int kind, err, attr, miss;
		const char *msg;
	} cases[] = {
		{ RAW_ZERO_HANDLE, ERANGE, CPNS_A_HANDLE, -1, "out of range" },
		{ RAW_NO_DATA, EINVAL, -1, CPNS_A_DATA, "missing" },
		{ RAW_TRAILING, EINVAL, -1, -1, "leftover" },
		{ RAW_NESTED, EINVAL, CPNS_A_ITEM, -1, "Unsupported" },
	};
	struct fl_ctx *c = &self->c;
	struct raw r;
	uint64_t first;
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		memset(&r, 0, sizeof(r));
		r.kind = cases[k].kind;
		r.handle = c->hg;
		first = next_seq(_metadata, c, c->hg);
		NL_OK(c->g2.nl, cpns_batch(c->g2.nl, CPNS_CMD_SEAL, 3,
					   build_one, keep, &r));
		ASSERT_EQ(3, r.got);
		ASSERT_EQ(0, r.res[0].err);
		ASSERT_EQ(0, r.res[2].err);
		ASSERT_EQ(1, r.res[1].index);
		ASSERT_EQ(-cases[k].err, r.res[1].err) TH_LOG("case %zu", k);
		ASSERT_EQ(cases[k].attr, r.res[1].attr_type) TH_LOG("case %zu",
								    k);
		ASSERT_EQ(cases[k].miss, r.res[1].miss_type) TH_LOG("case %zu",
								    k);
		ASSERT_NE(NULL, strstr(r.msg[1], cases[k].msg))
			TH_LOG("case %zu: extack \"%s\"", k, r.msg[1]);
		/* Items 0 and 2 used a number each, item 1 none. */
		ASSERT_EQ(first + 3, next_seq(_metadata, c, c->hg));
	}
}

/* A raw CPNS_CMD_BATCH request of cmd: nitems seal items, or worse. */
struct whole {
	uint8_t cmd;
	uint32_t handle;
	size_t nitems;
	bool flat;		/* the items without NLA_F_NESTED */
};

static int build_whole(struct cpns_msg *m, void *arg)
{
	const struct whole *w = arg;
	struct nlattr *nest;
	size_t i;

	if (cpns_msg_put_u8(m, CPNS_A_BATCH_CMD, w->cmd))
		return -EMSGSIZE;
	for (i = 0; i < w->nitems; i++) {
		if (w->flat) {
			uint8_t raw[8] = { 8, 0, CPNS_A_HANDLE, 0 };

			memcpy(raw + 4, &w->handle, 4);
			if (cpns_msg_put(m, CPNS_A_ITEM, raw, sizeof(raw)))
				return -EMSGSIZE;
			continue;
		}
		nest = cpns_msg_nest_start(m, CPNS_A_ITEM);
		if (!nest || put_seal(m, w->handle) ||
		    cpns_msg_nest_end(m, nest))
			return -EMSGSIZE;
	}
	return 0;
}

TEST_F(batch, refused_whole)
{
	struct fl_ctx *c = &self->c;
	struct cpns_nl *nl = c->g2.nl;
	int max = cpns_batch_max(nl);
	struct whole w = { .cmd = CPNS_CMD_SEAL, .handle = c->hg };
	uint64_t first;

	ASSERT_LT(0, max);
	first = next_seq(_metadata, c, c->hg);

	/* Over the bound: E2BIG, and not one item ran. */
	w.nitems = (size_t)max + 1;
	NL_ERR(nl, E2BIG, cpns_request(nl, CPNS_CMD_BATCH, 0, build_whole, &w,
				       NULL, NULL));
	ASSERT_NE(NULL, strstr(cpns_last_error(nl), "batch_max"));
	/* At the bound: every item runs. */
	w.nitems = (size_t)max;
	NL_OK(nl, cpns_request(nl, CPNS_CMD_BATCH, 0, build_whole, &w, NULL,
			       NULL));
	ASSERT_EQ(first + 1 + max, next_seq(_metadata, c, c->hg));

	/* A command that is not batched, named in the extack. */
	w.cmd = CPNS_CMD_AUTH_BEGIN;
	w.nitems = 2;
	NL_ERR(nl, EINVAL, cpns_request(nl, CPNS_CMD_BATCH, 0, build_whole,
					&w, NULL, NULL));
	ASSERT_EQ(CPNS_A_BATCH_CMD, cpns_last(nl)->attr_type);
	w.cmd = CPNS_CMD_BATCH;
	NL_ERR(nl, EINVAL, cpns_request(nl, CPNS_CMD_BATCH, 0, build_whole,
					&w, NULL, NULL));

	/* No item: the missing attribute is named. */
	w.cmd = CPNS_CMD_SEAL;
	w.nitems = 0;
	NL_ERR(nl, EINVAL, cpns_request(nl, CPNS_CMD_BATCH, 0, build_whole,
					&w, NULL, NULL));
	ASSERT_EQ(CPNS_A_ITEM, cpns_last(nl)->miss_type);

	/* Items without NLA_F_NESTED: the policy refuses the batch. */
	w.nitems = 3;
	w.flat = true;
	NL_ERR(nl, EINVAL, cpns_request(nl, CPNS_CMD_BATCH, 0, build_whole,
					&w, NULL, NULL));
	ASSERT_EQ(CPNS_A_ITEM, cpns_last(nl)->attr_type);

	/* None of the refused batches used a sequence number. */
	ASSERT_EQ(first + 2 + max, next_seq(_metadata, c, c->hg));
}

TEST_F(batch, mixed_sessions)
{
	struct fl_ctx *c = &self->c;
	uint32_t hg[2], hs[2];
	uint64_t first[2];
	size_t i;

	/* A second session of the same device. */
	hg[0] = c->hg;
	hs[0] = c->hs;
	ASSERT_EQ(0, fl_auth(c));
	hg[1] = c->hg;
	hs[1] = c->hs;
	ASSERT_NE(hg[0], hg[1]);
	first[0] = next_seq(_metadata, c, hg[0]);
	first[1] = next_seq(_metadata, c, hg[1]);

	/* Items alternate between the sessions; each counts its own. */
	seal_items(self, N, hg, 2);
	NL_OK(c->g2.nl, cpns_seal_batch(c->g2.nl, self->seal, N));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, self->seal[i].err);
		ASSERT_EQ(first[i % 2] + 1 + i / 2, self->seal[i].seq);
	}
	open_items(self, N, hs, 2);
	NL_OK(c->s.nl, cpns_unseal_batch(c->s.nl, self->open, N));
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, self->open[i].err);
		ASSERT_STREQ(self->pt[i], self->out[i]);
	}

	/*
	 * In one batch, a message of session 0 opened in session 1 (its
	 * number above session 1's window) does not authenticate, and the
	 * message of session 1 after it opens.
	 */
	seal_items(self, 2, hg, 2);
	NL_OK(c->g2.nl, cpns_seal_batch(c->g2.nl, self->seal, 2));
	ASSERT_LT(self->seal[1].seq, self->seal[0].seq);
	open_items(self, 2, &hs[1], 1);
	NL_OK(c->s.nl, cpns_unseal_batch(c->s.nl, self->open, 2));
	ASSERT_EQ(-EBADMSG, self->open[0].err);
	ASSERT_EQ(0, self->open[1].err);
	ASSERT_STREQ(self->pt[1], self->out[1]);

	/* A handle this socket does not have fails alone. */
	seal_items(self, 2, hg, 2);
	self->seal[1].handle = hg[0] + hg[1] + 1000;
	NL_OK(c->g2.nl, cpns_seal_batch(c->g2.nl, self->seal, 2));
	ASSERT_EQ(0, self->seal[0].err);
	ASSERT_EQ(-ENOENT, self->seal[1].err);
}

/* A full batch of tiny seals, the even ones on a handle that is not. */
struct half {
	uint32_t good, bad;
	uint64_t first;		/* the good items' first sequence number */
	char msg[256];		/* the extack of an unbatched bad SEAL */
	size_t got, failed;
	bool wrong;
	char why[300];		/* the first wrong result */
};

static int build_half(struct cpns_msg *m, size_t i, void *arg)
{
	struct half *h = arg;

	return put_seal(m, i % 2 ? h->good : h->bad);
}

/* The extack msg whole, as libcpns gives it unbatched (want). */
static bool same_msg(const char *msg, const char *want)
{
	size_t len = msg ? strlen(msg) : 0;

	/* libcpns names the attribute after the kernel's message. */
	return len && !strncmp(msg, want, len) &&
	       (!want[len] || !strncmp(want + len, " (attribute ", 12));
}

static int check_half(const struct cpns_reply *item,
		      const struct cpns_item_result *res, void *arg)
{
	struct half *h = arg;
	bool bad;

	(void)item;
	if (res->index != h->got++)
		bad = true;
	else if (res->index % 2 == 0)
		bad = res->err != -ENOENT || !same_msg(res->msg, h->msg);
	else
		bad = res->err != 0;
	if (bad && !h->wrong)
		snprintf(h->why, sizeof(h->why), "item %zu: %d \"%s\"",
			 res->index, res->err, res->msg ? res->msg : "");
	h->wrong |= bad;
	h->failed += res->err != 0;
	return 0;
}

/*
 * Every error message whole, though tiny items keep little room in the
 * reply for their results: the reply grows for them.
 */
TEST_F(batch, many_messages)
{
	struct fl_ctx *c = &self->c;
	struct cpns_nl *nl = c->g2.nl;
	int max = cpns_batch_max(nl);
	struct half h = { .good = c->hg, .bad = c->hg + 1000 };
	uint8_t ct[64];
	size_t l = sizeof(ct);
	uint64_t seq;

	ASSERT_LT(1, max);
	NL_ERR(nl, ENOENT, cpns_seal(nl, h.bad, NULL, 0, "raw", 3, &seq, ct,
				     &l));
	ASSERT_TRUE(cpns_last(nl)->from_kernel);
	snprintf(h.msg, sizeof(h.msg), "%s", cpns_last(nl)->msg);
	ASSERT_LT(40, strlen(h.msg));
	h.first = next_seq(_metadata, c, c->hg) + 1;
	NL_OK(nl, cpns_batch(nl, CPNS_CMD_SEAL, max, build_half, check_half,
			     &h));
	ASSERT_EQ((size_t)max, h.got);
	ASSERT_EQ((size_t)(max + 1) / 2, h.failed);
	ASSERT_FALSE(h.wrong) TH_LOG("%s; unbatched \"%s\"", h.why, h.msg);
	/* The good items, and only they, used a number each. */
	ASSERT_EQ(h.first + max / 2, next_seq(_metadata, c, c->hg));
}

/*
 * Seal, then open, n items of len bytes each (message i filled with i)
 * on the fixture's sessions in one call each; every item must come back
 * whole. In *sb and *ob the batches each took (GW2's and S's BATCH count).
 */
static void round_trip(struct __test_metadata *_metadata, struct fl_ctx *c,
		       size_t n, size_t len, uint64_t *sb, uint64_t *ob)
{
	struct cpns_seal_item *seal = calloc(n, sizeof(*seal));
	struct cpns_open_item *open = calloc(n, sizeof(*open));
	uint8_t *pt = malloc(n * len);
	uint8_t *ct = malloc(n * (len + CPNS_TAG_LEN));
	uint8_t *out = malloc(n * len);
	uint64_t s0, o0;
	size_t i;

	ASSERT_TRUE(seal && open && pt && ct && out);
	for (i = 0; i < n; i++) {
		memset(pt + i * len, (int)i, len);
		seal[i] = (struct cpns_seal_item){
			.handle = c->hg, .aad = "hdr", .aadlen = 3,
			.pt = pt + i * len, .len = len,
			.out = ct + i * (len + CPNS_TAG_LEN),
			.outlen = len + CPNS_TAG_LEN,
		};
	}
	s0 = ok_count(_metadata, c->g2.nl, CPNS_CMD_BATCH);
	NL_OK(c->g2.nl, cpns_seal_batch(c->g2.nl, seal, n));
	*sb = ok_count(_metadata, c->g2.nl, CPNS_CMD_BATCH) - s0;
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, seal[i].err) TH_LOG("SEAL item %zu", i);
		ASSERT_EQ(len + CPNS_TAG_LEN, seal[i].outlen);
		open[i] = (struct cpns_open_item){
			.handle = c->hs, .seq = seal[i].seq,
			.aad = "hdr", .aadlen = 3,
			.in = ct + i * (len + CPNS_TAG_LEN),
			.len = seal[i].outlen,
			.out = out + i * len, .outlen = len,
		};
	}
	o0 = ok_count(_metadata, c->s.nl, CPNS_CMD_BATCH);
	NL_OK(c->s.nl, cpns_unseal_batch(c->s.nl, open, n));
	*ob = ok_count(_metadata, c->s.nl, CPNS_CMD_BATCH) - o0;
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, open[i].err) TH_LOG("OPEN item %zu", i);
		ASSERT_EQ(len, open[i].outlen);
	}
	ASSERT_EQ(0, memcmp(pt, out, n * len));
	free(seal);
	free(open);
	free(pt);
	free(ct);
	free(out);
}

/*
 * A full batch of 1 KiB messages is one request and one reply, more than
 * 64 KiB each; 4 KiB messages take more than one batch's request, and the
 * library splits them, every item answered.
 */
TEST_F(batch, large_items)
{
	struct fl_ctx *c = &self->c;
	size_t max = (size_t)cpns_batch_max(c->g2.nl);
	uint64_t sb, ob;

	ASSERT_EQ(64, max);	/* the default: a request over 64 KiB */
	round_trip(_metadata, c, max, 1024, &sb, &ob);
	ASSERT_EQ(1, sb);
	ASSERT_EQ(1, ob);
	round_trip(_metadata, c, max, 4096, &sb, &ob);
	ASSERT_LT(1, sb);
	ASSERT_LT(1, ob);
	ASSERT_EQ(0, fl_exchange(c, "after", "large batches"));
}

TEST_HARNESS_MAIN
