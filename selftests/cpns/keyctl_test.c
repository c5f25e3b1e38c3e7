// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * The keys as the key retention service shows them to userspace
 * (Documentation/keys.rst, "What userspace can and cannot do"), through
 * keyctl(2) itself: KEYCTL_DESCRIBE and /proc/keys show "<hex id> <role>
 * <state>", the documented permissions and nothing else; a keyring lists
 * its keys; a search finds a key by its bare ID or its full description
 * and refuses anything else; read and update are refused, setperm cannot
 * make a key readable; a key links into another keyring but not into
 * another namespace's .cpns; revoke, unlink, timeout and invalidate are
 * honoured (the module no longer finds or dumps the key).
 *
 * One flow (I-2 .. a-4 between three anonymous namespaces) is made by
 * main() before the tests and kept open by this process; each test runs
 * in the harness's child with a socket of its own. Tests that change a
 * key of the flow come last, each on a key no other test needs; the
 * timeout, setperm and invalidate tests make a seed of their own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

/* include/linux/key.h: the permission bits (not in the uapi headers) */
#define KP_VIEW		0x01
#define KP_READ		0x02
#define KP_WRITE	0x04
#define KP_SEARCH	0x08
#define KP_LINK		0x10
#define KP_SETATTR	0x20
#define KP_ALL		0x3f
#define KP_POS(p)	((uint32_t)(p) << 24)
#define KP_USR(p)	((uint32_t)(p) << 16)
#define KP_GRP(p)	((uint32_t)(p) << 8)
#define KP_OTH(p)	((uint32_t)(p))

/* keys.rst: a key's and a .cpns keyring's permissions */
#define KEY_PERM	(KP_POS(KP_VIEW | KP_SEARCH | KP_LINK | KP_SETATTR) | \
			 KP_USR(KP_VIEW | KP_SEARCH | KP_LINK | KP_SETATTR | \
				KP_WRITE))
#define KEYRING_PERM	(KP_POS(KP_ALL) | \
			 KP_USR(KP_VIEW | KP_READ | KP_WRITE | KP_SEARCH))
#define ANY_READ	(KP_POS(KP_READ) | KP_USR(KP_READ) | KP_GRP(KP_READ) | \
			 KP_OTH(KP_READ))

#define F(r)		(1u << (r))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The shared flow (main() makes it). */
static struct {
	int err;			/* 0 once made */
	struct fl_ctx c;
	char sid[2 * CPNS_SEED_ID_LEN + 1];
	char did[2 * CPNS_DEVICE_ID_LEN + 1];
	int32_t kr_s, kr_g1, kr_g2;	/* the .cpns keyrings */
	int32_t s_seed, g1_seed, g1_dev, g2_dev, s_dev;
} fl = { .err = -EAGAIN };

static int32_t search(int32_t keyring, const char *type, const char *desc)
{
	return tu_keyctl(KEYCTL_SEARCH, keyring, (unsigned long)type,
			 (unsigned long)desc, 0);
}

static int keyring_of(const struct fl_host *h, int32_t *kr)
{
	struct cpns_info i;
	int err = cpns_get_info(h->nl, &i);

	if (err)
		return fl_fail(h, "GET_INFO", err);
	*kr = i.keyring;
	return 0;
}

static int shared_flow(void)
{
	int err;

	err = fl_open(&fl.c, NULL, false);
	if (err)
		return err;
	err = fl_run_all(&fl.c);
	if (err)
		return err;
	snprintf(fl.sid, sizeof(fl.sid), "%s",
		 tu_hex(fl.c.sid, sizeof(fl.c.sid)));
	snprintf(fl.did, sizeof(fl.did), "%s",
		 tu_hex(fl.c.did, sizeof(fl.c.did)));
	err = keyring_of(&fl.c.s, &fl.kr_s);
	if (!err)
		err = keyring_of(&fl.c.g1, &fl.kr_g1);
	if (!err)
		err = keyring_of(&fl.c.g2, &fl.kr_g2);
	if (err)
		return err;
	/* by the bare ID, as "keyctl search KR TYPE ID" does */
	fl.s_seed = search(fl.kr_s, "cpns_seed", fl.sid);
	fl.g1_seed = search(fl.kr_g1, "cpns_seed", fl.sid);
	fl.g1_dev = search(fl.kr_g1, "cpns_device", fl.did);
	fl.g2_dev = search(fl.kr_g2, "cpns_device", fl.did);
	/* the a-flow re-keyed the device: S's record is a blob in its
	 * daemon's store, not a key (rekey.rst): none is found
	 */
	fl.s_dev = search(fl.kr_s, "cpns_device", fl.did);
	if (fl.s_seed < 0 || fl.g1_seed < 0 || fl.g1_dev < 0 ||
	    fl.g2_dev < 0 || fl.s_dev != -ENOKEY) {
		fprintf(stderr, "keyctl search: %d %d %d %d %d\n", fl.s_seed,
			fl.g1_seed, fl.g1_dev, fl.g2_dev, fl.s_dev);
		return -ENOKEY;
	}
	printf("# flow made: sid %s did %s, keyrings %d %d %d\n", fl.sid,
	       fl.did, fl.kr_s, fl.kr_g1, fl.kr_g2);
	return 0;
}

/* Each test: a socket of its own in host h's namespace. */
static struct fl_host host(struct __test_metadata *_metadata,
			   const struct fl_host *h)
{
	struct fl_host n = *h;

	n.nl = fl_socket(h);
	if (!n.nl)
		TH_LOG("%s: cpns_open: %s", h->name, strerror(errno));
	return n;
}

static void need_flow(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, fl.err) TH_LOG("the shared flow failed: %s",
				    strerror(-fl.err));
}

/* The sum of the failure counts of the reasons in mask, in nl's netns. */
static uint64_t fails(struct cpns_nl *nl, unsigned int mask)
{
	struct cpns_stats st;
	uint64_t n = 0;
	unsigned int r;

	if (cpns_get_stats(nl, &st))
		return ~0ull;
	for (r = 0; r <= CPNS_FAIL_MAX; r++)
		if (mask & F(r))
			n += st.fail[r].count;
	return n;
}

/*
 * lib.sh's expect_fail_reason: the command (run as EXPR, a call returning
 * 0 or a negative errno) must fail and be counted under one of the
 * reasons in MASK in nl's namespace.
 */
#define EXPECT_FAIL_AS(nl, mask, expr) do {				\
	uint64_t __before = fails(nl, mask);				\
	int __ret = (expr);						\
									\
	TH_LOG("%s: %d (%s)", #expr, __ret, cpns_last_error(nl));	\
	EXPECT_GT(0, __ret);						\
	EXPECT_EQ(__before + 1, fails(nl, mask));			\
} while (0)

static void check_key(struct __test_metadata *_metadata, int32_t serial,
		      const char *type, const char *id, const char *role,
		      const char *state)
{
	struct tu_keydesc d;
	char want[256];

	ASSERT_EQ(0, tu_key_describe(serial, &d)) TH_LOG("key %d", serial);
	TH_LOG("%d: %s;%u;%u;%08x;%s", serial, d.type, d.uid, d.gid, d.perm,
	       d.desc);
	snprintf(want, sizeof(want), "%s %s %s", id, role, state);
	EXPECT_STREQ(type, d.type);
	EXPECT_STREQ(want, d.desc);
	EXPECT_EQ(0, d.uid);
	EXPECT_EQ(0, d.gid);
	EXPECT_EQ(KEY_PERM, d.perm);
	EXPECT_EQ(0, d.perm & ANY_READ);
}

/*
 * No per-test state (the flow is main()'s): the fixture is there for
 * TEST_F_TIMEOUT, 300 s, not the harness's 30, for the debug kernel under
 * TCG on a loaded machine.
 */
FIXTURE(keyctl) {
	int unused;
};

FIXTURE_SETUP(keyctl)
{
}

FIXTURE_TEARDOWN(keyctl)
{
}

TEST_F_TIMEOUT(keyctl, describe_shows_id_role_state, 300)
{
	need_flow(_metadata);
	check_key(_metadata, fl.s_seed, "cpns_seed", fl.sid, "server",
		  "active");
	check_key(_metadata, fl.g1_seed, "cpns_seed", fl.sid, "gw1", "active");
	check_key(_metadata, fl.g1_dev, "cpns_device", fl.did, "gw1",
		  "confirmed");
	check_key(_metadata, fl.g2_dev, "cpns_device", fl.did, "gw2",
		  "active");
	/* S holds no key of the re-keyed device: its record is a blob */
	EXPECT_EQ(-ENOKEY, fl.s_dev);
	EXPECT_NE(0u, fl.c.srec.blob_len);
}

/* keyctl show: the keyring and the keys in it, with descriptions. */
static void check_keyring(struct __test_metadata *_metadata, int32_t kr,
			  const char *const *want, int nwant)
{
	struct tu_keydesc d;
	int32_t ids[64];
	int n, i, j, found = 0;

	ASSERT_EQ(0, tu_key_describe(kr, &d));
	EXPECT_STREQ("keyring", d.type);
	EXPECT_STREQ(".cpns", d.desc);
	EXPECT_EQ(KEYRING_PERM, d.perm);
	n = tu_keyring_list(kr, ids, 64);
	ASSERT_LE(0, n) TH_LOG("KEYCTL_READ of keyring %d: %s", kr,
			       strerror(-n));
	for (i = 0; i < n; i++) {
		char line[340];

		ASSERT_EQ(0, tu_key_describe(ids[i], &d));
		snprintf(line, sizeof(line), "%s: %s", d.type, d.desc);
		TH_LOG("keyring %d: %d %s", kr, ids[i], line);
		EXPECT_EQ(0, strncmp(d.type, "cpns_", 5))
			TH_LOG("a key not of cpns in .cpns");
		for (j = 0; j < nwant; j++)
			if (!strcmp(line, want[j]))
				found++;
	}
	EXPECT_EQ(nwant, n);
	EXPECT_EQ(nwant, found);
}

TEST_F_TIMEOUT(keyctl, keyring_lists_keys, 300)
{
	char s1[340], g1a[340], g1b[340], g2[340];

	need_flow(_metadata);
	/* S: its seed only, whatever the number of devices */
	snprintf(s1, sizeof(s1), "cpns_seed: %s server active", fl.sid);
	check_keyring(_metadata, fl.kr_s, (const char *[]){ s1 }, 1);
	snprintf(g1a, sizeof(g1a), "cpns_seed: %s gw1 active", fl.sid);
	snprintf(g1b, sizeof(g1b), "cpns_device: %s gw1 confirmed", fl.did);
	check_keyring(_metadata, fl.kr_g1, (const char *[]){ g1a, g1b }, 2);
	snprintf(g2, sizeof(g2), "cpns_device: %s gw2 active", fl.did);
	check_keyring(_metadata, fl.kr_g2, (const char *[]){ g2 }, 1);
}

/*
 * /proc/keys: "%08x flags usage timeout perm uid gid %-9.9s " and then
 * the type's describe(): the description and nothing after it (no
 * payload length, no secret). desc NULL: only the type is compared (a
 * revoked or expired key); flag: one of the flags that must be shown
 * (0: "I--Q---", instantiated, in its owner's quota, and nothing else);
 * timeout: the timeout column ("perm", "expd"), NULL for any.
 */
static void check_proc_keys(struct __test_metadata *_metadata, int32_t serial,
			    const char *type, const char *desc,
			    const char *timeout, char flag)
{
	char line[1024], flags[16], tmo[16], want[300];
	unsigned int perm;
	int usage, uid, gid, off = 0;

	ASSERT_EQ(0, tu_proc_keys_line(serial, line, sizeof(line)))
		TH_LOG("key %d is not in /proc/keys", serial);
	TH_LOG("%s", line);
	ASSERT_EQ(6, sscanf(line, "%*x %15s %d %15s %x %d %d %n", flags,
			    &usage, tmo, &perm, &uid, &gid, &off));
	ASSERT_LT(0, off);
	snprintf(want, sizeof(want), "%-9.9s %s", type, desc ? desc : "");
	if (desc) {
		EXPECT_STREQ(want, line + off);
	} else {
		EXPECT_EQ(0, strncmp(want, line + off, strlen(want)));
	}
	EXPECT_EQ('I', flags[0]);
	if (flag) {
		EXPECT_NE(NULL, strchr(flags, flag)) TH_LOG("no flag %c", flag);
	} else {
		EXPECT_STREQ("I--Q---", flags);
	}
	if (timeout)
		EXPECT_STREQ(timeout, tmo);
}

TEST_F_TIMEOUT(keyctl, proc_keys_shows_description_only, 300)
{
	char d[200];

	need_flow(_metadata);
	snprintf(d, sizeof(d), "%s server active", fl.sid);
	check_proc_keys(_metadata, fl.s_seed, "cpns_seed", d, "perm", 0);
	snprintf(d, sizeof(d), "%s gw1 active", fl.sid);
	check_proc_keys(_metadata, fl.g1_seed, "cpns_seed", d, "perm", 0);
	snprintf(d, sizeof(d), "%s gw1 confirmed", fl.did);
	check_proc_keys(_metadata, fl.g1_dev, "cpns_device", d, "perm", 0);
	snprintf(d, sizeof(d), "%s gw2 active", fl.did);
	check_proc_keys(_metadata, fl.g2_dev, "cpns_device", d, "perm", 0);
}

TEST_F_TIMEOUT(keyctl, search_by_id_or_description, 300)
{
	char d[200];

	need_flow(_metadata);
	EXPECT_EQ(fl.s_seed, search(fl.kr_s, "cpns_seed", fl.sid));
	snprintf(d, sizeof(d), "%s server active", fl.sid);
	EXPECT_EQ(fl.s_seed, search(fl.kr_s, "cpns_seed", d));
	snprintf(d, sizeof(d), "%s gw2 active", fl.did);
	EXPECT_EQ(fl.g2_dev, search(fl.kr_g2, "cpns_device", d));
	/* a full description that is not the key's: not found */
	snprintf(d, sizeof(d), "%s gw1 active", fl.sid);
	EXPECT_EQ(-ENOKEY, search(fl.kr_s, "cpns_seed", d));
	/* the other type's ID, a part of a description, no ID: EINVAL */
	EXPECT_EQ(-EINVAL, search(fl.kr_g2, "cpns_device", fl.sid));
	EXPECT_EQ(-EINVAL, search(fl.kr_s, "cpns_seed", fl.did));
	snprintf(d, sizeof(d), "%s server", fl.sid);
	EXPECT_EQ(-EINVAL, search(fl.kr_s, "cpns_seed", d));
	EXPECT_EQ(-EINVAL, search(fl.kr_s, "cpns_seed", "server active"));
	/* another namespace's key is not in this keyring */
	snprintf(d, sizeof(d), "%s gw2 active", fl.did);
	EXPECT_EQ(-ENOKEY, search(fl.kr_s, "cpns_device", d));
}

TEST_F_TIMEOUT(keyctl, read_refused, 300)
{
	const int32_t keys[] = { fl.s_seed, fl.g1_seed, fl.g1_dev, fl.g2_dev };
	uint8_t buf[256];
	size_t i;

	need_flow(_metadata);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		memset(buf, 0xa5, sizeof(buf));
		/* keyctl read/print/pipe: no Read permission */
		EXPECT_EQ(-EACCES, tu_keyctl(KEYCTL_READ, keys[i],
					     (unsigned long)buf, sizeof(buf),
					     0)) TH_LOG("key %d", keys[i]);
		EXPECT_EQ(-EACCES, tu_keyctl(KEYCTL_READ, keys[i], 0, 0, 0));
		EXPECT_EQ(0xa5, buf[0]);
		EXPECT_EQ(0, memcmp(buf, buf + 1, sizeof(buf) - 1));
	}
}

TEST_F_TIMEOUT(keyctl, update_refused, 300)
{
	const int32_t keys[] = { fl.s_seed, fl.g2_dev };
	uint8_t payload[32] = { 0 };
	struct tu_keydesc before, after;
	struct fl_host s;
	uint8_t n1[CPNS_NONCE_LEN] = { 0 }, mac[CPNS_MAC_LEN] = { 0 };
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	size_t i;

	need_flow(_metadata);
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		ASSERT_EQ(0, tu_key_describe(keys[i], &before));
		/* keyctl update (16 bytes), keyctl pupdate (32) */
		EXPECT_EQ(-EOPNOTSUPP,
			  tu_keyctl(KEYCTL_UPDATE, keys[i],
				    (unsigned long)"0123456789abcdef", 16, 0));
		EXPECT_EQ(-EOPNOTSUPP,
			  tu_keyctl(KEYCTL_UPDATE, keys[i],
				    (unsigned long)payload, sizeof(payload),
				    0));
		ASSERT_EQ(0, tu_key_describe(keys[i], &after));
		EXPECT_STREQ(before.desc, after.desc);
		EXPECT_EQ(before.perm, after.perm);
	}
	/*
	 * The seed still works: the server still answers II-2 (with a MAC
	 * error for this made-up request, not a key error).
	 */
	s = host(_metadata, &fl.c.s);
	ASSERT_NE(NULL, s.nl);
	EXPECT_FAIL_AS(s.nl, F(CPNS_FAIL_BAD_MAC),
		       cpns_assign_challenge(s.nl, fl.c.sid, n1, mac, ch,
					     chmac));
	cpns_close(s.nl);
}

/* A seed of its own on S, for a test that changes it. */
static int32_t own_seed(struct __test_metadata *_metadata, struct fl_host *s,
			uint8_t sid[CPNS_SEED_ID_LEN])
{
	int32_t serial = -1;
	int err;

	*s = host(_metadata, &fl.c.s);
	if (!s->nl)
		return -1;
	err = cpns_seed_new(s->nl, 0, sid, &serial);
	if (err) {
		TH_LOG("SEED_NEW: %s", cpns_last_error(s->nl));
		return -1;
	}
	return serial;
}

TEST_F_TIMEOUT(keyctl, setperm_cannot_make_a_key_readable, 300)
{
	uint8_t sid[CPNS_SEED_ID_LEN], buf[64];
	struct tu_keydesc d;
	struct fl_host s;
	int32_t k;

	need_flow(_metadata);
	k = own_seed(_metadata, &s, sid);
	ASSERT_LT(0, k);
	/* Setattr is granted: the administrator may change the mask ... */
	ASSERT_EQ(0, tu_keyctl(KEYCTL_SETPERM, k, KEY_PERM | ANY_READ, 0, 0));
	ASSERT_EQ(0, tu_key_describe(k, &d));
	EXPECT_EQ(KEY_PERM | ANY_READ, d.perm);
	/* ... but the types have no read method */
	memset(buf, 0xa5, sizeof(buf));
	EXPECT_EQ(-EOPNOTSUPP, tu_keyctl(KEYCTL_READ, k, (unsigned long)buf,
					 sizeof(buf), 0));
	EXPECT_EQ(-EOPNOTSUPP, tu_keyctl(KEYCTL_READ, k, 0, 0, 0));
	EXPECT_EQ(0xa5, buf[0]);
	EXPECT_EQ(0, memcmp(buf, buf + 1, sizeof(buf) - 1));
	/* and the key still works */
	ASSERT_EQ(0, fl_check_key(&s, sid, sizeof(sid), CPNS_ROLE_SERVER,
				  CPNS_STATE_ACTIVE));
	EXPECT_EQ(0, cpns_key_del_seed(s.nl, sid));
	cpns_close(s.nl);
}

TEST_F_TIMEOUT(keyctl, link_elsewhere_but_not_into_another_cpns, 300)
{
	int32_t kr, ids[4];
	struct fl_host g1;
	char buf[64];

	need_flow(_metadata);
	/* a keyring of this process: the linked key becomes possessed */
	kr = tu_add_key("keyring", "cpns-test-link", NULL, 0,
			KEY_SPEC_PROCESS_KEYRING);
	ASSERT_LT(0, kr) TH_LOG("add_key keyring: %s", strerror(-kr));
	ASSERT_EQ(0, tu_keyctl(KEYCTL_LINK, fl.g1_dev, kr, 0, 0));
	EXPECT_EQ(1, tu_keyring_list(kr, ids, 4));
	/* possessed, still no read method */
	EXPECT_EQ(-EOPNOTSUPP, tu_keyctl(KEYCTL_READ, fl.g1_dev,
					 (unsigned long)buf, sizeof(buf),
					 0));
	/* .cpns takes only keys made for it */
	EXPECT_EQ(-EPERM, tu_keyctl(KEYCTL_LINK, fl.g1_dev, fl.kr_s, 0, 0));
	EXPECT_EQ(-EPERM, tu_keyctl(KEYCTL_LINK, fl.g2_dev, fl.kr_g1, 0, 0));
	EXPECT_EQ(1, tu_keyring_list(fl.kr_s, ids, 4));
	EXPECT_EQ(2, tu_keyring_list(fl.kr_g1, ids, 4));
	EXPECT_EQ(0, tu_keyctl(KEYCTL_UNLINK, fl.g1_dev, kr, 0, 0));
	/* GW1's key is where it was and works as before */
	g1 = host(_metadata, &fl.c.g1);
	ASSERT_NE(NULL, g1.nl);
	EXPECT_EQ(0, fl_check_key(&g1, fl.c.did, CPNS_DEVICE_ID_LEN,
				  CPNS_ROLE_GW1, CPNS_STATE_CONFIRMED));
	cpns_close(g1.nl);
}

/* ---- the tests below change keys of the flow: each its own key ---- */

/* Is a key with this ID in h's KEY_GET dump? */
static int dumped(const struct fl_host *h, const uint8_t *id, size_t len)
{
	struct cpns_key k;

	return fl_find_key(h, id, len, &k);
}

TEST_F_TIMEOUT(keyctl, revoke_honoured, 300)
{
	uint8_t n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	struct tu_keydesc d;
	struct fl_host g1;

	need_flow(_metadata);
	g1 = host(_metadata, &fl.c.g1);
	ASSERT_NE(NULL, g1.nl);
	ASSERT_EQ(0, cpns_assign_request(g1.nl, fl.c.sid, n1, mac))
		TH_LOG("%s", cpns_last_error(g1.nl));
	ASSERT_EQ(0, tu_keyctl(KEYCTL_REVOKE, fl.g1_seed, 0, 0, 0));
	EXPECT_FAIL_AS(g1.nl, F(CPNS_FAIL_KEY_INVALID) | F(CPNS_FAIL_NO_KEY),
		       cpns_assign_request(g1.nl, fl.c.sid, n1, mac));
	EXPECT_EQ(-EKEYREVOKED, tu_key_describe(fl.g1_seed,
						&d));
	check_proc_keys(_metadata, fl.g1_seed, "cpns_seed", NULL, NULL, 'R');
	EXPECT_EQ(0, dumped(&g1, fl.c.sid, CPNS_SEED_ID_LEN));
	/* GW1's Device Key is untouched */
	EXPECT_EQ(1, dumped(&g1, fl.c.did, CPNS_DEVICE_ID_LEN));
	cpns_close(g1.nl);
}

TEST_F_TIMEOUT(keyctl, unlink_honoured, 300)
{
	uint8_t n1[CPNS_NONCE_LEN] = { 0 }, mac[CPNS_MAC_LEN] = { 0 };
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	struct fl_host s;

	need_flow(_metadata);
	s = host(_metadata, &fl.c.s);
	ASSERT_NE(NULL, s.nl);
	/* before: the seed is found (the made-up MAC is what fails) */
	EXPECT_FAIL_AS(s.nl, F(CPNS_FAIL_BAD_MAC),
		       cpns_assign_challenge(s.nl, fl.c.sid, n1, mac, ch,
					     chmac));
	ASSERT_EQ(0, tu_keyctl(KEYCTL_UNLINK, fl.s_seed, fl.kr_s, 0, 0));
	EXPECT_FAIL_AS(s.nl, F(CPNS_FAIL_NO_KEY),
		       cpns_assign_challenge(s.nl, fl.c.sid, n1, mac, ch,
					     chmac));
	EXPECT_EQ(0, dumped(&s, fl.c.sid, CPNS_SEED_ID_LEN));
	EXPECT_FAIL_AS(s.nl, F(CPNS_FAIL_NO_KEY),
		       cpns_key_del_seed(s.nl, fl.c.sid));
	EXPECT_EQ(-ENOKEY, search(fl.kr_s, "cpns_seed", fl.sid));
	cpns_close(s.nl);
}

TEST_F_TIMEOUT(keyctl, revoked_device_key_unusable, 300)
{
	struct fl_host g2;

	need_flow(_metadata);
	g2 = host(_metadata, &fl.c.g2);
	ASSERT_NE(NULL, g2.nl);
	ASSERT_EQ(1, dumped(&g2, fl.c.did, CPNS_DEVICE_ID_LEN));
	ASSERT_EQ(0, tu_keyctl(KEYCTL_REVOKE, fl.g2_dev, 0, 0, 0));
	EXPECT_FAIL_AS(g2.nl, F(CPNS_FAIL_KEY_INVALID) | F(CPNS_FAIL_NO_KEY),
		       cpns_key_del_device(g2.nl, fl.c.did));
	EXPECT_EQ(0, dumped(&g2, fl.c.did, CPNS_DEVICE_ID_LEN));
	check_proc_keys(_metadata, fl.g2_dev, "cpns_device", NULL, NULL, 'R');
	cpns_close(g2.nl);
}

TEST_F_TIMEOUT(keyctl, timeout_honoured, 300)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct tu_keydesc d;
	struct fl_host s;
	int32_t k;
	int i, ret = 0;

	need_flow(_metadata);
	k = own_seed(_metadata, &s, sid);
	ASSERT_LT(0, k);
	ASSERT_EQ(1, dumped(&s, sid, sizeof(sid)));
	/* keyctl timeout: Setattr is granted */
	ASSERT_EQ(0, tu_keyctl(KEYCTL_SET_TIMEOUT, k, 1, 0, 0));
	for (i = 0; i < 100; i++) {
		ret = tu_key_describe(k, &d);
		if (ret)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(-EKEYEXPIRED, ret);
	check_proc_keys(_metadata, k, "cpns_seed", NULL, "expd", 0);
	EXPECT_EQ(0, dumped(&s, sid, sizeof(sid)));
	EXPECT_FAIL_AS(s.nl, F(CPNS_FAIL_KEY_INVALID) | F(CPNS_FAIL_NO_KEY),
		       cpns_key_del_seed(s.nl, sid));
	cpns_close(s.nl);
}

TEST_F_TIMEOUT(keyctl, invalidate_honoured, 300)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct tu_keydesc d;
	struct fl_host s;
	int32_t k;

	need_flow(_metadata);
	k = own_seed(_metadata, &s, sid);
	ASSERT_LT(0, k);
	ASSERT_EQ(0, tu_keyctl(KEYCTL_INVALIDATE, k, 0, 0, 0));
	EXPECT_EQ(-ENOKEY, tu_key_describe(k, &d));
	EXPECT_EQ(0, dumped(&s, sid, sizeof(sid)));
	EXPECT_FAIL_AS(s.nl, F(CPNS_FAIL_KEY_INVALID) | F(CPNS_FAIL_NO_KEY),
		       cpns_key_del_seed(s.nl, sid));
	cpns_close(s.nl);
}

/*
 * main(): the harness's, after the shared flow. (TEST_HARNESS_MAIN is
 * used as it is, under another name.)
 */
#define main harness_main
TEST_HARNESS_MAIN
#undef main

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	fl.err = shared_flow();
	if (fl.err)
		printf("# the shared flow failed: %s\n", strerror(-fl.err));
	fflush(stdout);
	return harness_main(argc, argv);
}
