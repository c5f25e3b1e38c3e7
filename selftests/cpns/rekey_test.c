// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * CPNS-KA-1-REKEY (Documentation/rekey.rst) between three network
 * namespaces (S, GW1, GW2): GW2's first authentication replaces the Device
 * Key that GW1 derived by one only GW2 and S know; once GW2 has used it,
 * the original key is refused, so GW1 cannot impersonate GW2. Every
 * refusal leaves every key store as it was (KEY_GET before and after).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "keyops.h"
#include "tutil.h"

#define DL CPNS_DEVICE_ID_LEN
#define PL CPNS_PUBKEY_LEN

/* Every key of a host: serial, state and generation, in dump order. */
#define SNAP_MAX 16

struct snap {
	int n;
	struct cpns_key k[SNAP_MAX];
};

static int snap_add(const struct cpns_key *k, void *arg)
{
	struct snap *s = arg;

	if (s->n == SNAP_MAX)
		return -E2BIG;
	s->k[s->n++] = *k;
	return 0;
}

static void snap_take(struct __test_metadata *_metadata,
		      const struct fl_host *h, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	ASSERT_EQ(0, cpns_keys_dump(h->nl, snap_add, s))
		TH_LOG("%s: %s", h->name, cpns_last_error(h->nl));
}

/* The host's keys are exactly those of before. */
static void snap_same(struct __test_metadata *_metadata,
		      const struct fl_host *h, const struct snap *before)
{
	struct snap now;
	int i;

	snap_take(_metadata, h, &now);
	ASSERT_EQ(before->n, now.n) TH_LOG("%s: key count changed", h->name);
	for (i = 0; i < now.n; i++) {
		ASSERT_EQ(before->k[i].serial, now.k[i].serial)
			TH_LOG("%s: key %d replaced", h->name, i);
		ASSERT_EQ(before->k[i].state, now.k[i].state);
		ASSERT_EQ(before->k[i].generation, now.k[i].generation);
	}
}

/* The Device Key (or record) of c->did on host h. */
static struct cpns_key dev_key(struct __test_metadata *_metadata,
			       struct fl_ctx *c, const struct fl_host *h)
{
	struct cpns_key k;

	memset(&k, 0, sizeof(k));
	EXPECT_EQ(1, fl_find_key(h, c->did, DL, &k))
		TH_LOG("%s holds no key for the device", h->name);
	return k;
}

static uint32_t pending(struct __test_metadata *_metadata,
			const struct fl_host *h)
{
	uint32_t p = ~0u;

	EXPECT_EQ(0, fl_counts(h, &p, NULL));
	return p;
}

/* S holds the seed, GW1 a confirmed dk0, GW2 dk0 of generation 0. */
static void to_gw2(struct __test_metadata *_metadata, struct fl_ctx *c)
{
	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(0, fl_device_xfer(c));
}

/*
 * GW2 loses its re-keyed key (a crash before it persisted it, or GW1
 * playing GW2): GW2's namespace holds GW1's dk0, generation 0, again.
 */
static void gw2_gets_dk0(struct __test_metadata *_metadata, struct fl_ctx *c)
{
	NL_OK(c->g2.nl, cpns_key_del_device(c->g2.nl, c->did));
	ASSERT_EQ(0, fl_device_xfer(c));
	ASSERT_EQ(0u, dev_key(_metadata, c, &c->g2).generation);
}

/*
 * S's daemon at a-2: the record handed out (if any) is stored in the row
 * before a-3 would leave; it is also kept as this flow's (c->srec_a2).
 */
static int s_server(struct fl_ctx *c, uint32_t hs, const uint8_t *cmac,
		    uint8_t *smac, struct cpns_rekey *rk)
{
	struct cpns_record rec;
	int err;

	err = cpns_auth_server_rec(c->s.nl, hs, cmac, smac, rk, &rec);
	if (err)
		return err;
	c->srec_a2 = rec;
	if (rec.blob_len)
		c->srec = rec;
	return 0;
}

static bool same_rec(const struct cpns_record *a, const struct cpns_record *b)
{
	return a->blob_len == b->blob_len &&
	       !memcmp(a->blob, b->blob, a->blob_len);
}

/*
 * GW2 seals, S opens, and back. *confirmed: 1 if S's OPEN handed out a
 * confirmed record, which S's daemon stores in its row @row if the row
 * still holds the record of this session's a-2 (compare-and-set).
 */
static void exchange_row(struct __test_metadata *_metadata, struct fl_ctx *c,
			 struct cpns_record *row, int32_t *confirmed)
{
	static const char aad[] = "rekey", c2s[] = "GW2 to S", s2c[] = "ok";
	uint8_t buf[64 + CPNS_TAG_LEN];
	struct cpns_record rec;
	char out[64];
	size_t blen, olen;
	uint64_t seq;

	blen = sizeof(buf);
	NL_OK(c->g2.nl, cpns_seal(c->g2.nl, c->hg, aad, sizeof(aad), c2s,
				  sizeof(c2s), &seq, buf, &blen));
	olen = sizeof(out);
	NL_OK(c->s.nl, cpns_unseal_rec(c->s.nl, c->hs, seq, aad, sizeof(aad),
				       buf, blen, out, &olen, &rec));
	ASSERT_EQ(sizeof(c2s), olen);
	ASSERT_EQ(0, memcmp(out, c2s, olen));
	*confirmed = rec.blob_len != 0;
	if (rec.blob_len) {
		ASSERT_EQ(CPNS_STATE_ACTIVE, rec.state);
		ASSERT_EQ(1u, rec.generation);
		if (same_rec(row, &c->srec_a2))
			*row = rec;
	}

	blen = sizeof(buf);
	NL_OK(c->s.nl, cpns_seal(c->s.nl, c->hs, aad, sizeof(aad), s2c,
				 sizeof(s2c), &seq, buf, &blen));
	olen = sizeof(out);
	NL_OK(c->g2.nl, cpns_unseal(c->g2.nl, c->hg, seq, aad, sizeof(aad),
				    buf, blen, out, &olen));
	ASSERT_EQ(sizeof(s2c), olen);
	ASSERT_EQ(0, memcmp(out, s2c, olen));
}

#define exchange(m, c, confirmed) exchange_row(m, c, &(c)->srec, confirmed)

FIXTURE(rekey) {
	struct fl_ctx c;
};

FIXTURE_SETUP(rekey)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
	to_gw2(_metadata, &self->c);
}

FIXTURE_TEARDOWN(rekey)
{
	fl_close(&self->c);
}

TEST_F(rekey, first_auth_rekeys_then_gw1_refused)
{
	struct fl_ctx *c = &self->c;
	struct snap s_before, g1_before;
	int32_t confirmed = -1;
	struct cpns_rekey rk1;
	struct cpns_key kg;
	struct fl_host x;
	struct fl_ctx d;
	int err;
	char type[64], desc[256];

	/* Before: S has only the seed, GW2 dk0 of generation 0. */
	ASSERT_EQ(1, fl_count_keys(&c->s));
	kg = dev_key(_metadata, c, &c->g2);
	ASSERT_EQ(0u, kg.generation);
	snap_take(_metadata, &c->g1, &g1_before);

	/* First authentication: both ends re-key to generation 1. */
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_TRUE(c->rk.rekey);
	ASSERT_EQ(0u, c->rk.generation);
	ASSERT_EQ(1u, c->rk.new_generation);
	ASSERT_EQ(1u, c->rk_s.new_generation);
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, c->rk_s.state);
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->rk.state);
	ASSERT_NE(0, memcmp(c->rk.client_pub, c->rk.server_pub, PL));

	/* S's kernel keeps nothing: it handed out the record, unconfirmed,
	 * which S's daemon stored; GW2's key was replaced.
	 */
	ASSERT_EQ(1, fl_count_keys(&c->s));
	ASSERT_EQ(0, c->rk_s.serial);
	ASSERT_EQ(104u, c->srec.blob_len);
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, c->srec.state);
	ASSERT_EQ(1u, c->srec.generation);
	/* A record is no kernel key: KEY_UNWRAP refuses it. */
	NL_ERR(c->s.nl, EINVAL, cpns_key_unwrap(c->s.nl, c->srec.blob,
						c->srec.blob_len, &fl_kek,
						FL_LABEL,
						sizeof(FL_LABEL) - 1, NULL));
	NL_MSG(c->s.nl, "no kernel key");
	ASSERT_EQ(1, fl_count_keys(&c->s));
	kg = dev_key(_metadata, c, &c->g2);
	ASSERT_EQ(c->rk.serial, kg.serial);
	ASSERT_NE(c->dk_serial_g2, kg.serial);
	ASSERT_EQ(1u, kg.generation);
	ASSERT_EQ(CPNS_STATE_ACTIVE, kg.state);
	/* The replaced key is gone (revoked and unlinked). */
	err = fl_key_describe(c->dk_serial_g2, type, sizeof(type), desc,
			      sizeof(desc));
	ASSERT_TRUE(err == -EKEYREVOKED || err == -ENOKEY)
		TH_LOG("keyctl describe of the replaced key: %d", err);
	/* GW1 keeps its confirmed dk0, untouched. */
	snap_same(_metadata, &c->g1, &g1_before);

	/* The session works both ways; the first message S opens
	 * confirms the record, once.
	 */
	exchange(_metadata, c, &confirmed);
	ASSERT_NE(0, confirmed);
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->srec.state);
	ASSERT_EQ(1u, c->srec.generation);
	ASSERT_EQ(1, fl_count_keys(&c->s));
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(0, confirmed);

	/* GW1 plays GW2: it hands its dk0 (II-9 again) to a box of its
	 * own, a fourth namespace X, which runs the a-flow: refused at a-0.
	 */
	x.name = "X";
	x.nsfd = tu_netns_new();
	ASSERT_LE(0, x.nsfd);
	x.nl = fl_socket(&x);
	ASSERT_NE(NULL, x.nl);
	d = *c;
	d.g2 = x;
	ASSERT_EQ(0, fl_device_xfer(&d));
	snap_take(_metadata, &c->s, &s_before);
	NL_OK(x.nl, cpns_auth_begin_rk(x.nl, c->did, &d.hg, d.nc, &d.rk));
	ASSERT_TRUE(d.rk.rekey);
	ASSERT_EQ(0u, d.rk.generation);
	NL_ERR(c->s.nl, EKEYREJECTED,
	       fl_challenge_rec(c, d.nc, &d.rk, &d.hs,
				      d.ns));
	NL_MSG(c->s.nl, "device re-keyed: generation 0 refused");
	ASSERT_EQ(0u, pending(_metadata, &c->s));
	snap_same(_metadata, &c->s, &s_before);

	/* Claiming generation 1 does not help: S then checks a-1 with
	 * dk1, and a code made with dk0 fails a-2. (X's kernel makes only
	 * re-keying codes for a generation 0 key; its Ps is made up.)
	 */
	rk1 = d.rk;
	rk1.generation = 1;
	rk1.rekey = false;
	NL_OK(c->s.nl, fl_challenge_rec(c, d.nc, &rk1,
					      &d.hs, d.ns));
	memset(d.rk.server_pub, 0x55, PL);
	NL_OK(x.nl, cpns_auth_client_rk(x.nl, d.hg, d.ns, &d.rk,
					d.client_mac));
	NL_ERR(c->s.nl, EBADMSG, s_server(c, d.hs,
						     d.client_mac,
						     d.server_mac, &d.rk_s));
	ASSERT_EQ(0u, pending(_metadata, &c->s));
	snap_same(_metadata, &c->s, &s_before);
	cpns_close(x.nl);
	close(x.nsfd);

	/* GW2 itself goes on with dk1. */
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_FALSE(c->rk.rekey);
	ASSERT_EQ(1u, c->rk.generation);
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(0, confirmed);
	snap_same(_metadata, &c->s, &s_before);
}

TEST_F(rekey, retry_before_confirmation_rekeys_again)
{
	struct fl_ctx *c = &self->c;
	struct cpns_record first, first_a2;
	int32_t confirmed = -1;
	uint32_t hs_old = 0, hg_old = 0;

	ASSERT_EQ(0, fl_auth(c));
	first = c->srec;
	first_a2 = c->srec_a2;
	hs_old = c->hs;
	hg_old = c->hg;
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, c->srec.state);

	/* GW2 crashed before it stored dk': it comes back with dk0. */
	gw2_gets_dk0(_metadata, c);
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_TRUE(c->rk.rekey);
	ASSERT_EQ(1u, c->rk.new_generation);
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, c->srec.state);
	ASSERT_EQ(1u, c->srec.generation);
	/* One record per device, in the daemon's row: the new one. */
	ASSERT_FALSE(same_rec(&first, &c->srec));
	ASSERT_EQ(1, fl_count_keys(&c->s));

	/* The first session's first message hands out its own record,
	 * active; the daemon's compare-and-set refuses it: the row holds
	 * the second flow's record now.
	 */
	{
		struct fl_ctx old = *c;
		struct cpns_record row = c->srec;

		old.hs = hs_old;
		old.hg = hg_old;
		old.srec_a2 = first_a2;
		exchange_row(_metadata, &old, &row, &confirmed);
		ASSERT_EQ(1, confirmed);
		ASSERT_TRUE(same_rec(&row, &c->srec));
		ASSERT_EQ(CPNS_STATE_UNCONFIRMED, c->srec.state);
	}
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(1, confirmed);
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->srec.state);
}

TEST_F(rekey, generation_1_flow_confirms_and_works)
{
	struct fl_ctx *c = &self->c;
	struct cpns_record active;
	int32_t confirmed = -1;
	struct cpns_key kg;

	ASSERT_EQ(0, fl_auth(c));
	kg = dev_key(_metadata, c, &c->g2);

	/* GW2 stored dk' but S never saw a message under it: the next
	 * flow, with generation 1, authenticates by the record and
	 * confirms it.
	 */
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_FALSE(c->rk.rekey);
	ASSERT_EQ(1u, c->rk.generation);
	ASSERT_EQ(1u, c->rk.new_generation);
	ASSERT_EQ(0, c->rk.serial);
	ASSERT_EQ(1u, c->rk_s.new_generation);
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->rk_s.state);
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->srec.state);
	ASSERT_EQ(1u, c->srec.generation);
	ASSERT_EQ(1, fl_count_keys(&c->s));
	/* GW2's key is the same one as before. */
	ASSERT_EQ(kg.serial, dev_key(_metadata, c, &c->g2).serial);
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(0, confirmed);

	/* And again, with the record active: nothing is handed out. */
	active = c->srec;
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_EQ(0u, c->srec_a2.blob_len);
	ASSERT_EQ(0, c->rk_s.state);
	ASSERT_TRUE(same_rec(&active, &c->srec));
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(0, confirmed);
}

TEST_F(rekey, generation_0_needs_client_key)
{
	struct fl_ctx *c = &self->c;
	struct snap s_before, g2_before;

	snap_take(_metadata, &c->s, &s_before);
	snap_take(_metadata, &c->g2, &g2_before);

	/* No Pc (and no generation: 0). */
	NL_ERR(c->s.nl, EINVAL, cpns_auth_challenge(c->s.nl, c->did, c->nc,
						    &c->hs, c->ns));
	NL_MSG(c->s.nl, "CPNS_A_PUBKEY");
	/* Generation 0 said, still no Pc. */
	memset(&c->rk, 0, sizeof(c->rk));
	NL_ERR(c->s.nl, EINVAL, fl_challenge_rec(c, c->nc,
						       &c->rk, &c->hs,
						       c->ns));
	/* An unknown generation, and generation 1 with no record. */
	c->rk.generation = 5;
	NL_ERR(c->s.nl, EKEYREJECTED,
	       fl_challenge_rec(c, c->nc, &c->rk, &c->hs,
				      c->ns));
	c->rk.generation = 1;
	NL_ERR(c->s.nl, EKEYREJECTED,
	       fl_challenge_rec(c, c->nc, &c->rk, &c->hs,
				      c->ns));
	ASSERT_EQ(0u, pending(_metadata, &c->s));

	/* GW2's side: a re-keying flow needs Ps at a-1. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &c->hs, c->ns));
	NL_ERR(c->g2.nl, EINVAL, cpns_auth_client(c->g2.nl, c->hg, c->ns,
						  c->client_mac));
	NL_MSG(c->g2.nl, "CPNS_A_PUBKEY");
	/* The flow is still there: with Ps it goes on to the end. */
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    c->client_mac));
	snap_same(_metadata, &c->s, &s_before);
	snap_same(_metadata, &c->g2, &g2_before);
	NL_OK(c->s.nl, s_server(c, c->hs, c->client_mac,
					   c->server_mac, &c->rk_s));
	NL_OK(c->g2.nl, cpns_auth_finish_rk(c->g2.nl, c->hg, c->server_mac,
					    &c->rk));
	ASSERT_EQ(1u, dev_key(_metadata, c, &c->g2).generation);
	ASSERT_EQ(1u, c->srec.generation);

	/* A generation 1 key is not re-keyed: Pc is refused. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	ASSERT_FALSE(c->rk.rekey);
	c->rk.rekey = true;
	snap_take(_metadata, &c->s, &s_before);
	NL_ERR(c->s.nl, EINVAL, fl_challenge_rec(c, c->nc,
						       &c->rk, &c->hs,
						       c->ns));
	snap_same(_metadata, &c->s, &s_before);
}

TEST_F(rekey, low_order_keys_refused)
{
	/* Points of small order on Curve25519 (RFC 7748, 6.1): 0 and 1. */
	static const uint8_t one[PL] = { 1 };
	struct fl_ctx *c = &self->c;
	struct snap s_before, g2_before;
	const uint8_t *low[] = { (const uint8_t[PL]){ 0 }, one };
	unsigned int i;

	snap_take(_metadata, &c->s, &s_before);
	snap_take(_metadata, &c->g2, &g2_before);
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	for (i = 0; i < 2; i++) {
		struct cpns_rekey rk = c->rk;

		memcpy(rk.client_pub, low[i], PL);
		NL_ERR(c->s.nl, EKEYREJECTED,
		       fl_challenge_rec(c, c->nc, &rk,
					      &c->hs, c->ns));
		NL_MSG(c->s.nl, "small order");
		ASSERT_EQ(0u, pending(_metadata, &c->s));
	}

	/* A low-order Ps at GW2's a-1: refused, the flow stays. */
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &c->hs, c->ns));
	for (i = 0; i < 2; i++) {
		struct cpns_rekey rk = c->rk;

		memcpy(rk.server_pub, low[i], PL);
		NL_ERR(c->g2.nl, EKEYREJECTED,
		       cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &rk,
					   c->client_mac));
	}
	ASSERT_EQ(1u, pending(_metadata, &c->g2));
	snap_same(_metadata, &c->s, &s_before);
	snap_same(_metadata, &c->g2, &g2_before);
}

TEST_F(rekey, tampered_public_keys_fail)
{
	struct fl_ctx *c = &self->c;
	struct snap s_before, g2_before;
	struct cpns_rekey rk;

	snap_take(_metadata, &c->s, &s_before);
	snap_take(_metadata, &c->g2, &g2_before);

	/* Ps altered on its way to GW2: a-1 binds it, a-2 fails. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &c->hs, c->ns));
	rk = c->rk;
	rk.server_pub[7] ^= 0x10;
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &rk,
					    c->client_mac));
	NL_ERR(c->s.nl, EBADMSG, s_server(c, c->hs,
						     c->client_mac,
						     c->server_mac, &c->rk_s));
	/* ... and the a-3 of the right flow does not pass GW2's a-4. */
	ASSERT_EQ(0u, pending(_metadata, &c->s));
	snap_same(_metadata, &c->s, &s_before);
	snap_same(_metadata, &c->g2, &g2_before);

	/* Pc altered on its way to S: a-2 fails likewise. */
	NL_OK(c->g2.nl, cpns_session_del(c->g2.nl, c->hg));
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	rk = c->rk;
	rk.client_pub[3] ^= 0x01;
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &rk,
					      &c->hs, c->ns));
	c->rk.rekey = true;
	memcpy(c->rk.server_pub, rk.server_pub, PL);
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    c->client_mac));
	NL_ERR(c->s.nl, EBADMSG, s_server(c, c->hs,
						     c->client_mac,
						     c->server_mac, &c->rk_s));
	snap_same(_metadata, &c->s, &s_before);

	ASSERT_EQ(0u, pending(_metadata, &c->s));
}

TEST_F(rekey, altered_a3_keeps_dk0_and_retry_rekeys)
{
	struct fl_ctx *c = &self->c;
	struct snap g2_before;
	struct cpns_record first;
	int32_t confirmed = -1;
	struct cpns_key kg;

	snap_take(_metadata, &c->g2, &g2_before);
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	NL_OK(c->s.nl, fl_challenge_rec(c, c->nc, &c->rk,
					      &c->hs, c->ns));
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    c->client_mac));
	NL_OK(c->s.nl, s_server(c, c->hs, c->client_mac,
					   c->server_mac, &c->rk_s));
	/* S's daemon stored the record before a-3 left. */
	first = c->srec;
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, c->srec.state);

	/* a-3 altered on the way: GW2 refuses it and keeps dk0. */
	c->server_mac[0] ^= 0x01;
	NL_ERR(c->g2.nl, EBADMSG, cpns_auth_finish_rk(c->g2.nl, c->hg,
						      c->server_mac, &c->rk));
	ASSERT_EQ(0u, pending(_metadata, &c->g2));
	snap_same(_metadata, &c->g2, &g2_before);
	NL_OK(c->s.nl, cpns_session_del(c->s.nl, c->hs));

	/* The retry re-keys again and replaces the unconfirmed record. */
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_TRUE(c->rk.rekey);
	ASSERT_FALSE(same_rec(&first, &c->srec));
	kg = dev_key(_metadata, c, &c->g2);
	ASSERT_EQ(1u, kg.generation);
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(1, confirmed);
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->srec.state);
	ASSERT_EQ(1, fl_count_keys(&c->s));
}

/* a-0 with a record blob that must be refused; nothing changes on S. */
static void refused(struct __test_metadata *_metadata, struct fl_ctx *c,
		    const struct cpns_record *row, uint32_t gen, int err,
		    const char *msg)
{
	struct cpns_record keep = c->srec;
	struct cpns_rekey rk = { .generation = gen, .rekey = !gen };
	struct snap before;
	uint32_t hs;
	uint8_t ns[CPNS_NONCE_LEN];

	memset(rk.client_pub, 0x09, PL);
	snap_take(_metadata, &c->s, &before);
	c->srec = *row;
	NL_ERR(c->s.nl, err, fl_challenge_rec(c, c->nc, &rk, &hs, ns));
	NL_MSG(c->s.nl, msg);
	c->srec = keep;
	ASSERT_EQ(0u, pending(_metadata, &c->s));
	snap_same(_metadata, &c->s, &before);
}

/*
 * Every row of rekey.rst's table "The server at a-0" with the record the
 * daemon hands in, and blobs that must not open: altered, of another
 * device, under another label, and a replayed older one.
 */
TEST_F(rekey, server_a0_decides_from_the_blob)
{
	struct fl_ctx *c = &self->c;
	struct cpns_record unconf, active, bad, revoked;
	int32_t confirmed = -1;
	uint32_t closed = 99;
	struct fl_ctx e;

	/* No record, g = 1 or 5: unknown generation. */
	refused(_metadata, c, &c->srec, 1, EKEYREJECTED, "never re-keyed");
	refused(_metadata, c, &c->srec, 5, EKEYREJECTED, "never re-keyed");
	/* No record, g = 0: re-key (fl_auth), record unconfirmed. */
	ASSERT_EQ(0, fl_auth(c));
	unconf = c->srec;
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, unconf.state);
	/* An unconfirmed record of g = 1, g = 5: unknown generation. */
	refused(_metadata, c, &unconf, 5, EKEYREJECTED, "unknown generation");
	exchange(_metadata, c, &confirmed);
	active = c->srec;
	ASSERT_EQ(CPNS_STATE_ACTIVE, active.state);
	/* An active record, g = 0: GW1's dk0 refused. */
	refused(_metadata, c, &active, 0, EKEYREJECTED,
		"generation 0 refused");
	refused(_metadata, c, &active, 2, EKEYREJECTED, "unknown generation");

	/* A blob that does not open: one bit flipped anywhere. */
	bad = active;
	bad.blob[bad.blob_len - 1] ^= 0x01;
	refused(_metadata, c, &bad, 1, EBADMSG, "does not open");
	bad = active;
	bad.blob[4] ^= 0x01;	/* the generation */
	refused(_metadata, c, &bad, 1, EBADMSG, "does not open");
	bad.blob_len = 3;
	refused(_metadata, c, &bad, 1, EBADMSG, "does not open");

	/* The record of another device of the same seed (the test labels
	 * every row alike, so it opens): refused by its Device ID.
	 */
	e = *c;
	ASSERT_EQ(0, fl_assign_derive(&e));
	ASSERT_EQ(0, fl_assign_confirm(&e));
	ASSERT_EQ(0, fl_device_xfer(&e));
	memset(&e.srec, 0, sizeof(e.srec));
	ASSERT_EQ(0, fl_auth(&e));
	ASSERT_EQ(1u, e.srec.generation);
	ASSERT_NE(0, memcmp(e.did, c->did, DL));
	refused(_metadata, c, &e.srec, 1, EBADMSG, "another Device ID");

	/* A replayed older blob: the unconfirmed record of the same
	 * device, handed in after the active one was stored. It opens (the
	 * kernel keeps no state to tell it from the current row) and a-0
	 * accepts generation 1 with it; GW1's generation 0 would re-key
	 * again. Refusing it is the store's job: the daemon hands in only
	 * the row's current blob (rekey.rst, "Records on the server").
	 */
	c->srec = unconf;
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_FALSE(c->rk.rekey);
	ASSERT_EQ(CPNS_STATE_ACTIVE, c->srec_a2.state);
	c->srec = active;

	/* Revocation: the kernel keeps nothing and hands out the record. */
	NL_OK(c->s.nl, cpns_device_revoke_rec(c->s.nl, c->did, &fl_kek,
					      FL_LABEL, sizeof(FL_LABEL) - 1,
					      &revoked, &closed));
	ASSERT_EQ(CPNS_STATE_REVOKED, revoked.state);
	ASSERT_EQ(104u, revoked.blob_len);
	ASSERT_LE(1u, closed);		/* the sessions of c->did */
	ASSERT_EQ(1, fl_count_keys(&c->s));
	refused(_metadata, c, &revoked, 1, EKEYREVOKED, "device revoked");
	refused(_metadata, c, &revoked, 0, EKEYREVOKED, "device revoked");
	/* Without the KEK a server has nothing to revoke. */
	NL_ERR(c->s.nl, ENOKEY, cpns_key_revoke(c->s.nl, CPNS_KEY_DEVICE,
						c->did, NULL, NULL));
	NL_MSG(c->s.nl, "with its KEK");
	ASSERT_EQ(1, fl_count_keys(&c->s));
}

/* A record blob needs the KEK; the KEK must not be a user key. */
TEST_F(rekey, server_kek_required)
{
	struct fl_ctx *c = &self->c;
	const struct cpns_keyref userkek = { "user", "cpns-test:user-kek" };
	const struct cpns_record_ref noblob = { .kek = &userkek };
	uint8_t payload[32] = { 1 };
	struct cpns_rekey rk;

	/* Generation 0, no record, no KEK: the flow would re-key. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &rk));
	NL_ERR(c->s.nl, EINVAL, cpns_auth_challenge_rk(c->s.nl, c->did,
						       c->nc, &rk, &c->hs,
						       c->ns));
	NL_MSG(c->s.nl, "KEK");
	ASSERT_LT(0, tu_add_key("user", "cpns-test:user-kek", payload,
				sizeof(payload), KEY_SPEC_PROCESS_KEYRING));
	NL_ERR(c->s.nl, EKEYREJECTED,
	       cpns_auth_challenge_rec(c->s.nl, c->did, c->nc, &rk, &noblob,
				       &c->hs, c->ns));
	ASSERT_EQ(0u, pending(_metadata, &c->s));
	ASSERT_EQ(1, fl_count_keys(&c->s));
}

TEST_HARNESS_MAIN
