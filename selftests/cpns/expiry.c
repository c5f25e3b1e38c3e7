// SPDX-License-Identifier: GPL-2.0
/*
 * Expiry: an II-2 challenge older than the module parameter
 * pending_timeout is refused at II-6 and leaves the pending count; a key
 * made with a lifetime stops working when it ends. A helper program, not
 * a unit: expiry_test.sh runs it with the module loaded with
 * pending_timeout=2.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

FIXTURE(expiry) {
	struct fl_ctx c;
	long timeout;
};

FIXTURE_SETUP(expiry)
{
	self->timeout = tu_module_param("pending_timeout");
	ASSERT_LT(0, self->timeout);
	if (self->timeout > 10)
		SKIP(return, "pending_timeout is %ld s; expiry_test.sh loads it with 2",
		     self->timeout);
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
}

FIXTURE_TEARDOWN(expiry)
{
	fl_close(&self->c);
}

static uint32_t pending(struct __test_metadata *_metadata,
			const struct fl_host *h)
{
	uint32_t p = ~0u;

	EXPECT_EQ(0, fl_counts(h, &p, NULL));
	return p;
}

TEST_F(expiry, expired_challenge)
{
	struct fl_ctx *c = &self->c;
	uint8_t code[CPNS_MAC_LEN];
	int i;

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(1, pending(_metadata, &c->s));
	sleep(self->timeout + 1);
	ASSERT_EQ(-ENOENT, cpns_assign_confirm(c->s.nl, c->did, c->n1, code))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	/* Expired challenges leave the count (at once or when reaped). */
	for (i = 0; i < 2 * self->timeout + 2 && pending(_metadata, &c->s);
	     i++)
		sleep(1);
	ASSERT_EQ(0, pending(_metadata, &c->s));

	/* A challenge answered in time still works. */
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
}

TEST_F(expiry, key_lifetime)
{
	struct fl_ctx *c = &self->c;
	uint8_t sid[CPNS_SEED_ID_LEN], n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	int32_t serial;
	int err;

	ASSERT_EQ(0, cpns_seed_new(c->s.nl, 2, sid, &serial));
	ASSERT_EQ(1, fl_find_key(&c->s, sid, sizeof(sid), NULL));
	sleep(3);
	err = cpns_assign_challenge(c->s.nl, sid, n1, mac, ch, chmac);
	ASSERT_TRUE(err == -EKEYEXPIRED || err == -ENOKEY)
		TH_LOG("got %d: %s", err, cpns_last_error(c->s.nl));
	ASSERT_EQ(0, fl_find_key(&c->s, sid, sizeof(sid), NULL));
}

TEST_HARNESS_MAIN
