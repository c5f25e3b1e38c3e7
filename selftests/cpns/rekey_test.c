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

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

#define DL CPNS_DEVICE_ID_LEN
#define PL CPNS_PUBKEY_LEN

/* A library call that must succeed / fail with -E on socket nl. */
#define NL_OK(nl, expr) \
	ASSERT_EQ(0, (expr)) TH_LOG("%s", cpns_last_error(nl))
#define NL_ERR(nl, e, expr) \
	ASSERT_EQ(-(e), (expr)) TH_LOG("want %s, kernel said: %s", \
				       strerror(e), cpns_last_error(nl))
/* ... and the kernel's extack message contains text. */
#define NL_MSG(nl, text) \
	ASSERT_NE(NULL, strstr(cpns_last_error(nl), text)) \
		TH_LOG("extack \"%s\" lacks \"%s\"", cpns_last_error(nl), text)

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

/* GW2 seals, S opens (reporting a confirmation), and back. */
static void exchange(struct __test_metadata *_metadata, struct fl_ctx *c,
		     int32_t *confirmed)
{
	static const char aad[] = "rekey", c2s[] = "GW2 to S", s2c[] = "ok";
	uint8_t buf[64 + CPNS_TAG_LEN];
	char out[64];
	size_t blen, olen;
	uint64_t seq;

	blen = sizeof(buf);
	NL_OK(c->g2.nl, cpns_seal(c->g2.nl, c->hg, aad, sizeof(aad), c2s,
				  sizeof(c2s), &seq, buf, &blen));
	olen = sizeof(out);
	NL_OK(c->s.nl, cpns_unseal_rk(c->s.nl, c->hs, seq, aad, sizeof(aad),
				      buf, blen, out, &olen, confirmed));
	ASSERT_EQ(sizeof(c2s), olen);
	ASSERT_EQ(0, memcmp(out, c2s, olen));

	blen = sizeof(buf);
	NL_OK(c->s.nl, cpns_seal(c->s.nl, c->hs, aad, sizeof(aad), s2c,
				 sizeof(s2c), &seq, buf, &blen));
	olen = sizeof(out);
	NL_OK(c->g2.nl, cpns_unseal(c->g2.nl, c->hg, seq, aad, sizeof(aad),
				    buf, blen, out, &olen));
	ASSERT_EQ(sizeof(s2c), olen);
	ASSERT_EQ(0, memcmp(out, s2c, olen));
}

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
	struct cpns_key ks, kg;
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

	/* S keeps the record, unconfirmed; GW2's key was replaced. */
	ASSERT_EQ(2, fl_count_keys(&c->s));
	ks = dev_key(_metadata, c, &c->s);
	ASSERT_EQ(c->rk_s.serial, ks.serial);
	ASSERT_EQ(CPNS_ROLE_SERVER, ks.role);
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, ks.state);
	ASSERT_EQ(1u, ks.generation);
	ASSERT_EQ(0, fl_check_key(&c->s, c->did, DL, CPNS_ROLE_SERVER,
				  CPNS_STATE_UNCONFIRMED));
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
	ks = dev_key(_metadata, c, &c->s);
	ASSERT_EQ(confirmed, ks.serial);
	ASSERT_EQ(CPNS_STATE_ACTIVE, ks.state);
	ASSERT_EQ(1u, ks.generation);
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
	       cpns_auth_challenge_rk(c->s.nl, c->did, d.nc, &d.rk, &d.hs,
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
	NL_OK(c->s.nl, cpns_auth_challenge_rk(c->s.nl, c->did, d.nc, &rk1,
					      &d.hs, d.ns));
	memset(d.rk.server_pub, 0x55, PL);
	NL_OK(x.nl, cpns_auth_client_rk(x.nl, d.hg, d.ns, &d.rk,
					d.client_mac));
	NL_ERR(c->s.nl, EBADMSG, cpns_auth_server_rk(c->s.nl, d.hs,
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
	struct cpns_key ks;
	int32_t first, confirmed = -1;
	uint32_t hs_old = 0, hg_old = 0;

	ASSERT_EQ(0, fl_auth(c));
	first = c->rk_s.serial;
	hs_old = c->hs;
	hg_old = c->hg;
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, dev_key(_metadata, c, &c->s).state);

	/* GW2 crashed before it stored dk': it comes back with dk0. */
	gw2_gets_dk0(_metadata, c);
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_TRUE(c->rk.rekey);
	ASSERT_EQ(1u, c->rk.new_generation);
	ASSERT_NE(first, c->rk_s.serial);
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, c->rk_s.state);
	/* One record per device: the new one replaced the old. */
	ASSERT_EQ(2, fl_count_keys(&c->s));
	ks = dev_key(_metadata, c, &c->s);
	ASSERT_EQ(c->rk_s.serial, ks.serial);
	ASSERT_EQ(1u, ks.generation);
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, ks.state);

	/* A message of the first session no longer confirms anything. */
	{
		struct fl_ctx old = *c;

		old.hs = hs_old;
		old.hg = hg_old;
		exchange(_metadata, &old, &confirmed);
		ASSERT_EQ(0, confirmed);
		ASSERT_EQ(CPNS_STATE_UNCONFIRMED,
			  dev_key(_metadata, c, &c->s).state);
	}
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(CPNS_STATE_ACTIVE, dev_key(_metadata, c, &c->s).state);
	ASSERT_EQ(confirmed, dev_key(_metadata, c, &c->s).serial);
}

TEST_F(rekey, generation_1_flow_confirms_and_works)
{
	struct fl_ctx *c = &self->c;
	struct cpns_key ks, kg;
	int32_t confirmed = -1;

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
	ks = dev_key(_metadata, c, &c->s);
	ASSERT_EQ(c->rk_s.serial, ks.serial);
	ASSERT_EQ(CPNS_STATE_ACTIVE, ks.state);
	ASSERT_EQ(1u, ks.generation);
	/* GW2's key is the same one as before. */
	ASSERT_EQ(kg.serial, dev_key(_metadata, c, &c->g2).serial);
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(0, confirmed);

	/* And again, with the record active: nothing changes. */
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_EQ(0, c->rk_s.serial);
	ASSERT_EQ(0, c->rk_s.state);
	ASSERT_EQ(ks.serial, dev_key(_metadata, c, &c->s).serial);
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
	NL_ERR(c->s.nl, EINVAL, cpns_auth_challenge_rk(c->s.nl, c->did, c->nc,
						       &c->rk, &c->hs,
						       c->ns));
	/* An unknown generation, and generation 1 with no record. */
	c->rk.generation = 5;
	NL_ERR(c->s.nl, EKEYREJECTED,
	       cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &c->rk, &c->hs,
				      c->ns));
	c->rk.generation = 1;
	NL_ERR(c->s.nl, EKEYREJECTED,
	       cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &c->rk, &c->hs,
				      c->ns));
	ASSERT_EQ(0u, pending(_metadata, &c->s));

	/* GW2's side: a re-keying flow needs Ps at a-1. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	NL_OK(c->s.nl, cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &c->rk,
					      &c->hs, c->ns));
	NL_ERR(c->g2.nl, EINVAL, cpns_auth_client(c->g2.nl, c->hg, c->ns,
						  c->client_mac));
	NL_MSG(c->g2.nl, "CPNS_A_PUBKEY");
	/* The flow is still there: with Ps it goes on to the end. */
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    c->client_mac));
	snap_same(_metadata, &c->s, &s_before);
	snap_same(_metadata, &c->g2, &g2_before);
	NL_OK(c->s.nl, cpns_auth_server_rk(c->s.nl, c->hs, c->client_mac,
					   c->server_mac, &c->rk_s));
	NL_OK(c->g2.nl, cpns_auth_finish_rk(c->g2.nl, c->hg, c->server_mac,
					    &c->rk));
	ASSERT_EQ(1u, dev_key(_metadata, c, &c->g2).generation);
	ASSERT_EQ(1u, dev_key(_metadata, c, &c->s).generation);

	/* A generation 1 key is not re-keyed: Pc is refused. */
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	ASSERT_FALSE(c->rk.rekey);
	c->rk.rekey = true;
	snap_take(_metadata, &c->s, &s_before);
	NL_ERR(c->s.nl, EINVAL, cpns_auth_challenge_rk(c->s.nl, c->did, c->nc,
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
		       cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &rk,
					      &c->hs, c->ns));
		NL_MSG(c->s.nl, "small order");
		ASSERT_EQ(0u, pending(_metadata, &c->s));
	}

	/* A low-order Ps at GW2's a-1: refused, the flow stays. */
	NL_OK(c->s.nl, cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &c->rk,
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
	NL_OK(c->s.nl, cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &c->rk,
					      &c->hs, c->ns));
	rk = c->rk;
	rk.server_pub[7] ^= 0x10;
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &rk,
					    c->client_mac));
	NL_ERR(c->s.nl, EBADMSG, cpns_auth_server_rk(c->s.nl, c->hs,
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
	NL_OK(c->s.nl, cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &rk,
					      &c->hs, c->ns));
	c->rk.rekey = true;
	memcpy(c->rk.server_pub, rk.server_pub, PL);
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    c->client_mac));
	NL_ERR(c->s.nl, EBADMSG, cpns_auth_server_rk(c->s.nl, c->hs,
						     c->client_mac,
						     c->server_mac, &c->rk_s));
	snap_same(_metadata, &c->s, &s_before);

	ASSERT_EQ(0u, pending(_metadata, &c->s));
}

TEST_F(rekey, altered_a3_keeps_dk0_and_retry_rekeys)
{
	struct fl_ctx *c = &self->c;
	struct snap g2_before;
	struct cpns_key kg;
	int32_t first, confirmed = -1;

	snap_take(_metadata, &c->g2, &g2_before);
	NL_OK(c->g2.nl, cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc,
					   &c->rk));
	NL_OK(c->s.nl, cpns_auth_challenge_rk(c->s.nl, c->did, c->nc, &c->rk,
					      &c->hs, c->ns));
	NL_OK(c->g2.nl, cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, &c->rk,
					    c->client_mac));
	NL_OK(c->s.nl, cpns_auth_server_rk(c->s.nl, c->hs, c->client_mac,
					   c->server_mac, &c->rk_s));
	/* S stored the record before a-3 left. */
	first = c->rk_s.serial;
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, dev_key(_metadata, c, &c->s).state);

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
	ASSERT_NE(first, c->rk_s.serial);
	kg = dev_key(_metadata, c, &c->g2);
	ASSERT_EQ(1u, kg.generation);
	exchange(_metadata, c, &confirmed);
	ASSERT_EQ(confirmed, dev_key(_metadata, c, &c->s).serial);
	ASSERT_EQ(CPNS_STATE_ACTIVE, dev_key(_metadata, c, &c->s).state);
	ASSERT_EQ(2, fl_count_keys(&c->s));
}

TEST_HARNESS_MAIN
