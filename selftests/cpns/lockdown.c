// SPDX-License-Identifier: GPL-2.0
/*
 * Under kernel lockdown (confidentiality) no command hands a secret to a
 * key the caller chose (Documentation/keys.rst, "Who can obtain a
 * secret"): SEED_EXPORT and DEVICE_EXPORT to a receiver key of the
 * caller, KEY_WRAP under a logon KEK, under an encrypted KEK of a user
 * master key, and under a user KEK are all refused, and nothing changes.
 * The flows that hand nothing out (II, a) still work.
 *
 * Not a unit of run_tests.sh: lockdown cannot be lifted once raised, and
 * the units after it (and stage 2's kmemleak scan, through debugfs) would
 * run locked down. It raises lockdown itself (securityfs), after the
 * transfers its setup needs, in a VM of its own:
 *
 *   tools/vm-run selftests/cpns/lockdown
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "keyops.h"
#include "tutil.h"

#define LOCKDOWN "/sys/kernel/security/lockdown"

/* Raise lockdown to confidentiality: 0 or a negative errno. */
static int lockdown_raise(void)
{
	const char *level = "confidentiality";
	char buf[128];
	ssize_t n;
	int fd;

	if (access(LOCKDOWN, F_OK))
		mount("securityfs", "/sys/kernel/security", "securityfs", 0,
		      NULL);
	fd = open(LOCKDOWN, O_RDWR);
	if (fd < 0)
		return -errno;
	n = write(fd, level, strlen(level));
	if (n < 0) {
		close(fd);
		return -errno;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return strstr(buf, "[confidentiality]") ? 0 : -EIO;
}

static int32_t add_random(const char *type, const char *desc)
{
	uint8_t b[32];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return -EIO;
	return tu_add_key(type, desc, b, sizeof(b), KEY_SPEC_SESSION_KEYRING);
}

TEST(nothing_leaves)
{
	const struct cpns_keyref logon = { "logon", "cpns-test:ld-logon" };
	const struct cpns_keyref user = { "user", "cpns-test:ld-user" };
	const struct cpns_keyref enc = { "encrypted", "cpns-test-ld-enc" };
	const char *encp = "new default user:cpns-test:ld-kmk 32";
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t w[CPNS_WRAPPED_LEN], blob[CPNS_MAX_BLOB];
	struct fl_snap s0, g0;
	struct fl_ctx c;
	uint32_t h, code;
	int32_t r;
	size_t len;
	bool has_enc;

	ASSERT_EQ(0, fl_open(&c, NULL, false));
	ASSERT_EQ(0, fl_seed_new(&c));
	ASSERT_EQ(0, fl_seed_xfer(&c));
	ASSERT_EQ(0, fl_assign_derive(&c));
	ASSERT_EQ(0, fl_assign_confirm(&c));
	ASSERT_LT(0, add_random("logon", logon.desc));
	ASSERT_LT(0, add_random("user", user.desc));
	ASSERT_LT(0, add_random("user", "cpns-test:ld-kmk"));
	r = tu_add_key("encrypted", enc.desc, encp, strlen(encp),
		       KEY_SPEC_SESSION_KEYRING);
	has_enc = r > 0;
	/* Before: a logon KEK is accepted. */
	ASSERT_EQ(0, cpns_key_wrap(c.s.nl, CPNS_KEY_SEED, c.sid, &logon, NULL,
				   0, blob, &len));
	ASSERT_EQ(0, cpns_xfer_new(c.g2.nl, &h, rpub));

	ASSERT_EQ(0, lockdown_raise()) TH_LOG("cannot raise lockdown");
	ASSERT_EQ(0, fl_snap_take(&c.s, &s0));
	ASSERT_EQ(0, fl_snap_take(&c.g1, &g0));

	EXPECT_EQ(-EPERM, fl_export(c.s.nl, c.g2.nl, h, CPNS_KEY_SEED, c.sid,
				    rpub, spub, w, &code))
		TH_LOG("%s", cpns_last_error(c.s.nl));
	EXPECT_EQ(-EPERM, fl_export(c.g1.nl, c.g2.nl, h, CPNS_KEY_DEVICE,
				    c.did, rpub, spub, w, &code))
		TH_LOG("%s", cpns_last_error(c.g1.nl));
	EXPECT_EQ(-EPERM, cpns_key_wrap(c.s.nl, CPNS_KEY_SEED, c.sid, &logon,
					NULL, 0, blob, &len))
		TH_LOG("%s", cpns_last_error(c.s.nl));
	EXPECT_EQ(-EKEYREJECTED, cpns_key_wrap(c.s.nl, CPNS_KEY_SEED, c.sid,
					       &user, NULL, 0, blob, &len));
	EXPECT_EQ(-EPERM, cpns_key_wrap(c.g1.nl, CPNS_KEY_DEVICE, c.did,
					&logon, NULL, 0, blob, &len));
	if (has_enc) {
		EXPECT_EQ(-EPERM, cpns_key_wrap(c.s.nl, CPNS_KEY_SEED, c.sid,
						&enc, NULL, 0, blob, &len));
	} else {
		ksft_print_msg("no encrypted key type: that KEK not tried\n");
	}
	/* A re-keying a-0 on S seals its record under the KEK it is given
	 * (rekey.rst): a logon KEK is refused as KEY_WRAP refuses it.
	 */
	{
		const struct cpns_record_ref ref = { .kek = &logon };
		struct cpns_rekey rk = { .rekey = true };
		uint8_t nc[CPNS_NONCE_LEN] = { 1 }, ns[CPNS_NONCE_LEN];
		uint32_t hs, pend;

		rk.client_pub[0] = 9;	/* the base point: a valid Pc */
		EXPECT_EQ(-EPERM, cpns_auth_challenge_rec(c.s.nl, c.did, nc,
							  &rk, &ref, &hs, ns))
			TH_LOG("%s", cpns_last_error(c.s.nl));
		EXPECT_EQ(0, fl_counts(&c.s, &pend, NULL));
		EXPECT_EQ(0u, pend);
	}
	EXPECT_EQ(0, fl_snap_same(&c.s, &s0));
	EXPECT_EQ(0, fl_snap_same(&c.g1, &g0));

	/* What hands nothing out still works: flow a on a device of S. */
	EXPECT_EQ(0, fl_assign_derive(&c));
	EXPECT_EQ(0, fl_assign_confirm(&c));
	fl_close(&c);
}

TEST_HARNESS_MAIN
