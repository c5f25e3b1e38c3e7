// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * A changing-mode device (Documentation/keys.rst, "Self-assigned Device
 * Keys"): one network namespace, CM, holds the seed of role gw1 and
 * assigns itself. ASSIGN_VERIFY with CPNS_A_SELF_ASSIGNED keeps the
 * confirmed key as the namespace's own gw2 Device Key, marked
 * self-assigned in KEY_GET and /proc/keys, not in the description (the
 * hex ID, which fl_check_key() checks too). Seed
 * and Device Key live side by side and each command takes the one its
 * step needs: flow a (with its re-key, which keeps the mark) and sealed
 * messages from CM, another flow II under the seed, and DEVICE_EXPORT
 * refused for the self-assigned key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "hex.h"
#include "keyops.h"
#include "tutil.h"

#define SL CPNS_SEED_ID_LEN
#define DL CPNS_DEVICE_ID_LEN

/* Does /proc/keys have a line with "<hex did> <tail>"? */
static int proc_keys_has(const uint8_t *did, const char *tail)
{
	char line[512], want[128];
	int found = 0;
	FILE *f;

	cpns_hex_encode(want, did, DL);
	strcat(want, " ");
	strcat(want, tail);
	f = fopen("/proc/keys", "r");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

FIXTURE(cm) {
	struct fl_ctx c;
};

/* S, GW1 and, as "GW2", a second socket in GW1's namespace: the CM. */
FIXTURE_SETUP(cm)
{
	struct fl_ctx *c = &self->c;

	ASSERT_EQ(0, fl_open(c, NULL, false));
	cpns_close(c->g2.nl);
	close(c->g2.nsfd);
	c->g2.name = "CM";
	c->g2.nsfd = dup(c->g1.nsfd);
	ASSERT_LE(0, c->g2.nsfd);
	c->g2.nl = fl_socket(&c->g1);
	ASSERT_NE(NULL, c->g2.nl);
	c->g1.name = "CM";
	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
}

FIXTURE_TEARDOWN(cm)
{
	fl_close(&self->c);
}

/* II-6 .. II-8 for itself. */
static int self_confirm(struct fl_ctx *c)
{
	int err;

	err = cpns_assign_confirm(c->s.nl, c->did, c->n1, c->confirm);
	if (err)
		return fl_fail(&c->s, "II-6 ASSIGN_CONFIRM", err);
	err = cpns_assign_verify_self(c->g1.nl, c->did, c->confirm,
				      &c->dk_serial_g1);
	if (err)
		return fl_fail(&c->g1, "II-8 ASSIGN_VERIFY self", err);
	return 0;
}

TEST_F(cm, self_assigned_key_beside_seed)
{
	struct fl_ctx *c = &self->c;
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN], first[DL];
	struct cpns_key k;
	uint32_t h, code;

	ASSERT_EQ(0, self_confirm(c));

	/* The seed (gw1) and its own Device Key (gw2), side by side. */
	ASSERT_EQ(0, fl_check_key(&c->g1, c->sid, SL, CPNS_ROLE_GW1,
				  CPNS_STATE_ACTIVE));
	ASSERT_EQ(0, fl_check_key(&c->g1, c->did, DL, CPNS_ROLE_GW2,
				  CPNS_STATE_ACTIVE));
	ASSERT_EQ(1, fl_find_key(&c->g1, c->did, DL, &k));
	EXPECT_TRUE(k.self_assigned);
	EXPECT_EQ(c->dk_serial_g1, k.serial);
	ASSERT_EQ(1, fl_find_key(&c->g1, c->sid, SL, &k));
	EXPECT_FALSE(k.self_assigned);
	EXPECT_EQ(1, proc_keys_has(c->did, "gw2 active gen 0 self-assigned"));

	/* No II-9: the kernel does not seal it to anyone. */
	NL_RET(c->g1.nl, 0, cpns_xfer_new(c->g1.nl, &h, rpub));
	NL_RET(c->g1.nl, -EINVAL, fl_export(c->g1.nl, c->g1.nl, h,
					    CPNS_KEY_DEVICE, c->did, rpub,
					    spub, wrapped, &code));
	cpns_session_del(c->g1.nl, h);

	/* Flow a from the same namespace; the re-key keeps the mark. */
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_EQ(0, fl_exchange(c, "cm report", "ack"));
	ASSERT_EQ(1, fl_find_key(&c->g1, c->did, DL, &k));
	EXPECT_EQ(1, k.generation);
	EXPECT_EQ(CPNS_ROLE_GW2, k.role);
	EXPECT_TRUE(k.self_assigned);
	EXPECT_EQ(1, proc_keys_has(c->did, "gw2 active gen 1 self-assigned"));

	/* The seed still assigns: another flow II beside the Device Key. */
	memcpy(first, c->did, DL);
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_NE(0, memcmp(first, c->did, DL));
	ASSERT_EQ(0, fl_check_key(&c->g1, c->did, DL, CPNS_ROLE_GW1,
				  CPNS_STATE_PENDING));
	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(1, fl_find_key(&c->g1, c->did, DL, &k));
	EXPECT_FALSE(k.self_assigned);
	ASSERT_EQ(1, fl_find_key(&c->g1, first, DL, &k));
	EXPECT_TRUE(k.self_assigned);
}

TEST_F(cm, self_verify_needs_pending_key_and_right_code)
{
	struct fl_ctx *c = &self->c;
	uint8_t bad[CPNS_MAC_LEN];
	int32_t serial;

	ASSERT_EQ(0, cpns_assign_confirm(c->s.nl, c->did, c->n1, c->confirm));
	memcpy(bad, c->confirm, sizeof(bad));
	bad[0] ^= 1;
	/* A wrong code destroys the pending key, as without the flag. */
	NL_RET(c->g1.nl, -EBADMSG,
	       cpns_assign_verify_self(c->g1.nl, c->did, bad, &serial));
	EXPECT_EQ(0, fl_find_key(&c->g1, c->did, DL, NULL));
	NL_RET(c->g1.nl, -ENOKEY,
	       cpns_assign_verify_self(c->g1.nl, c->did, c->confirm, &serial));
	/* The seed is untouched. */
	ASSERT_EQ(0, fl_check_key(&c->g1, c->sid, SL, CPNS_ROLE_GW1,
				  CPNS_STATE_ACTIVE));
}

TEST_HARNESS_MAIN
