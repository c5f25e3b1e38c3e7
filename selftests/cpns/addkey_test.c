// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * Userspace cannot make keys of the types cpns_seed and cpns_device
 * (add_key() is refused with EPERM, whatever the description and payload),
 * nor put any key into a .cpns keyring (Documentation/keys.rst, "What
 * userspace can and cannot do"). add_key(2) and keyctl(2) are called
 * directly: one process for the unit.
 */
#include <errno.h>
#include <string.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

static const char seed32[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/* 32 bytes that look like a secret */
static const uint8_t raw32[32] = {
	0x6d, 0xb3, 0xd4, 0x07, 0x2e, 0xbb, 0xba, 0x20, 0x11, 0x22, 0x33,
	0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
	0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};

static void refused(struct __test_metadata *_metadata, const char *type,
		    const char *desc, const void *p, size_t len, int32_t kr)
{
	int32_t r = tu_add_key(type, desc, p, len, kr);

	TH_LOG("add_key %s \"%s\" (%zu bytes) into %d: %s", type, desc, len,
	       kr, r < 0 ? strerror(-r) : "made a key");
	EXPECT_EQ(-EPERM, r);
}

TEST(add_seed_refused)
{
	const int32_t s = KEY_SPEC_SESSION_KEYRING;

	ASSERT_TRUE(tu_module_loaded());
	refused(_metadata, "cpns_seed", "0001020304050607", "x", 1, s);
	refused(_metadata, "cpns_seed", "0001020304050607", seed32,
		strlen(seed32), s);
	refused(_metadata, "cpns_seed", "0001020304050607", raw32,
		sizeof(raw32), s);
	refused(_metadata, "cpns_seed", "0001020304050607 server active",
		raw32, sizeof(raw32), s);
	refused(_metadata, "cpns_seed", "0001020304050607 gw1 active", NULL,
		0, s);
}

TEST(add_device_refused)
{
	const int32_t s = KEY_SPEC_SESSION_KEYRING;

	ASSERT_TRUE(tu_module_loaded());
	refused(_metadata, "cpns_device", "00010203040506076db3d4072ebbba20",
		"x", 1, s);
	refused(_metadata, "cpns_device",
		"00010203040506076db3d4072ebbba20 gw2 active", raw32,
		sizeof(raw32), s);
	refused(_metadata, "cpns_device",
		"00010203040506076db3d4072ebbba20 gw1 pending", raw32,
		sizeof(raw32), s);
}

TEST(nothing_added_to_cpns_keyring)
{
	struct fl_host h = { .name = "NS" };
	struct cpns_info info;
	int32_t before[16], after[16], kr, r;
	int nbefore, nafter;

	h.nsfd = tu_netns_new();
	ASSERT_LE(0, h.nsfd);
	h.nl = fl_socket(&h);
	ASSERT_NE(NULL, h.nl);
	ASSERT_EQ(0, cpns_get_info(h.nl, &info));
	kr = info.keyring;
	nbefore = tu_keyring_list(kr, before, 16);
	ASSERT_LE(0, nbefore);

	refused(_metadata, "cpns_seed", "0001020304050607", seed32,
		strlen(seed32), kr);
	refused(_metadata, "cpns_device", "00010203040506076db3d4072ebbba20",
		raw32, sizeof(raw32), kr);
	/* nor a key of another type: the keyring is the module's alone */
	r = tu_add_key("user", "cpns-test", "x", 1, kr);
	TH_LOG("add_key user into .cpns: %s", r < 0 ? strerror(-r) : "added");
	EXPECT_EQ(-EPERM, r);
	/* a keyring of the caller's: made, but not linked in .cpns */
	r = tu_add_key("user", "cpns-test", "x", 1, KEY_SPEC_SESSION_KEYRING);
	ASSERT_LT(0, r) TH_LOG("add_key user into @s: %s", strerror(-r));
	r = tu_keyctl(KEYCTL_LINK, r, kr, 0, 0);
	TH_LOG("keyctl link user key into .cpns: %s",
	       r < 0 ? strerror(-r) : "linked");
	EXPECT_EQ(-EPERM, r);
	r = tu_keyctl(KEYCTL_LINK, KEY_SPEC_SESSION_KEYRING, kr, 0, 0);
	TH_LOG("keyctl link @s into .cpns: %s",
	       r < 0 ? strerror(-r) : "linked");
	EXPECT_EQ(-EPERM, r);

	nafter = tu_keyring_list(kr, after, 16);
	EXPECT_EQ(nbefore, nafter);
	EXPECT_EQ(0, memcmp(before, after, nbefore * sizeof(*before)));
	EXPECT_EQ(0, fl_count_keys(&h));
	cpns_close(h.nl);
}

TEST_HARNESS_MAIN
