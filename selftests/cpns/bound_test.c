// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug reload
/*
 * Every object a caller can make is bounded (Documentation/keys.rst,
 * "Bounds"). An unprivileged user (uid 65534) in its own user and network
 * namespaces floods the commands that make something: XFER_NEW is refused
 * at pending_max (EBUSY), SEED_NEW at its key quota (EDQUOT), and then
 * KEY_UNWRAP, SEED_IMPORT and DEVICE_IMPORT are refused too, with nothing
 * stored; its key count in /proc/key-users stops at the quota while it
 * goes on. Meanwhile, and afterwards, the initial user's flows work.
 * keys_max bounds a namespace whatever its owner's quota (EBUSY), and a
 * full namespace can still change a key's state.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "keyops.h"
#include "tutil.h"

#define NOBODY		65534
#define FLOOD_MAX	100000	/* far above any bound the test expects */
#define MORE		200	/* refused tries after the bound */

static const struct cpns_keyref kek = { "logon", "cpns-test:bound" };
/* A pairing key both sides hold: the child's receiver MAC releases II-9. */
static const struct cpns_keyref pair = { "logon", "cpns-test:bound-pair" };
static const uint8_t pair_secret[32] = { 0x70, 0x61, 0x69, 0x72, 1, 2, 3 };

/* The child's receiver key and the MAC its kernel made over it. */
struct ask {
	uint8_t rd[CPNS_PUBKEY_LEN];
	uint8_t mac[CPNS_MAC_LEN];
};

/* What the child reports; errors are negative errnos. */
struct report {
	int pending;		/* XFER_NEW made before the refusal */
	int pending_err;
	int seeds;		/* SEED_NEW made before the refusal */
	int seed_err;
	int more_ok;		/* SEED_NEW that succeeded after it */
	int keys_at_bound, keys_after;	/* in the namespace's dump */
	int unwrap_err, seed_import_err, device_import_err;
	int fail_line;		/* a setup step that failed, or 0 */
};

/* The device half that the parent (GW1 in the initial user ns) seals. */
struct offer {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t epub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
};

/* "qnkeys qnbytes" of uid in /proc/key-users: 0, or -1 if absent. */
static int key_user(unsigned int uid, int *nkeys, int *nbytes)
{
	char line[256];
	unsigned int u;
	FILE *f;
	int ret = -1, usage, n, inst, qk, mk, qb, mb;

	f = fopen("/proc/key-users", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %u: %d %d/%d %d/%d %d/%d", &u, &usage, &n,
			   &inst, &qk, &mk, &qb, &mb) == 8 && u == uid) {
			*nkeys = qk;
			*nbytes = qb;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/* Unreclaimable slab in kB (/proc/meminfo), or -1. */
static long sunreclaim_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int flood_seeds(struct cpns_nl *nl, int *made)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	int32_t serial;
	int i, err = 0;

	for (i = 0; i < FLOOD_MAX; i++) {
		err = cpns_seed_new(nl, 0, sid, &serial);
		if (err)
			break;
		++*made;
	}
	return err;
}

static int count_keys(struct cpns_nl *nl)
{
	struct fl_host h = { "nobody", -1, nl };

	return fl_count_keys(&h);
}

#define STEP(cond) do { if (!(cond)) { r->fail_line = __LINE__; return; } } \
	while (0)

/* The child's floods, as nobody in its own user and network namespace. */
static void flood(struct report *r, int rfd, int wfd)
{
	uint8_t sid0[CPNS_SEED_ID_LEN], sid1[CPNS_SEED_ID_LEN];
	uint8_t rs[CPNS_PUBKEY_LEN], rd[CPNS_PUBKEY_LEN], pub[CPNS_PUBKEY_LEN];
	uint8_t es[CPNS_PUBKEY_LEN], ws[CPNS_WRAPPED_LEN], secret[32];
	uint8_t blob[CPNS_MAX_BLOB];
	struct cpns_nl *nl, *nl2;
	uint32_t hs, hd, h, code;
	struct offer o;
	struct ask a;
	int32_t serial;
	size_t len;
	int i;

	STEP(!setgroups(0, NULL) && !setgid(NOBODY) && !setuid(NOBODY));
	STEP(!unshare(CLONE_NEWUSER | CLONE_NEWNET));
	/* A session keyring of its own, for its KEK. */
	STEP(tu_keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) > 0);
	getrandom(secret, sizeof(secret), 0);
	STEP(tu_add_key(kek.type, kek.desc, secret, sizeof(secret),
			KEY_SPEC_SESSION_KEYRING) > 0);
	nl = cpns_open();
	nl2 = cpns_open();
	STEP(nl && nl2);

	/* A blob and a sealed seed whose IDs are free again. */
	STEP(!cpns_seed_new(nl, 0, sid0, &serial));
	STEP(!cpns_key_wrap(nl, CPNS_KEY_SEED, sid0, &kek, NULL, 0, blob,
			    &len));
	STEP(!cpns_key_del_seed(nl, sid0));
	STEP(!cpns_xfer_new(nl, &hs, rs));
	STEP(!cpns_xfer_new(nl, &hd, rd));
	/* The receiver MAC for II-9, before the floods use the key quota up. */
	STEP(tu_add_key(pair.type, pair.desc, pair_secret, sizeof(pair_secret),
			KEY_SPEC_SESSION_KEYRING) > 0);
	memcpy(a.rd, rd, sizeof(rd));
	STEP(!cpns_xfer_accept(nl, hd, CPNS_KEY_DEVICE, &pair, a.mac));
	STEP(!cpns_seed_new(nl, 0, sid1, &serial));
	STEP(!fl_export(nl, nl, hs, CPNS_KEY_SEED, sid1, rs, es, ws, &code));
	STEP(!cpns_key_del_seed(nl, sid1));

	/* Pending objects: pending_max, then EBUSY; closing frees them. */
	for (i = 0; i < FLOOD_MAX; i++) {
		r->pending_err = cpns_xfer_new(nl2, &h, pub);
		if (r->pending_err)
			break;
		r->pending++;
	}
	cpns_close(nl2);

	/* Keys: the quota. The deleted keys' quota comes back when the
	 * garbage collector frees them: flood again after it ran.
	 */
	r->seed_err = flood_seeds(nl, &r->seeds);
	sleep(1);
	r->seed_err = flood_seeds(nl, &r->seeds);
	r->keys_at_bound = count_keys(nl);
	for (i = 0; i < MORE; i++)
		if (!cpns_seed_new(nl, 0, sid0, &serial))
			r->more_ok++;

	r->unwrap_err = cpns_key_unwrap(nl, blob, len, &kek, NULL, 0, NULL);
	r->seed_import_err = cpns_seed_import(nl, hs, sid1, es, ws, 0,
					      &serial, &code);
	STEP(write(wfd, &a, sizeof(a)) == sizeof(a));
	STEP(read(rfd, &o, sizeof(o)) == sizeof(o));
	r->device_import_err = cpns_device_import(nl, hd, o.did, o.epub,
						  o.wrapped, 0, &serial,
						  &code);
	r->keys_after = count_keys(nl);
}

FIXTURE(bound) {
	struct fl_ctx c;
};

FIXTURE_SETUP(bound)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
}

FIXTURE_TEARDOWN(bound)
{
	fl_close(&self->c);
}

TEST_F_TIMEOUT(bound, nobody_floods, 600)
{
	struct fl_ctx *c = &self->c;
	int p2c[2], c2p[2], rep[2], keys0 = 0, bytes0 = 0, keys1, bytes1;
	int keys2, bytes2, status;
	long slab0, slab1, slab2;
	struct cpns_proof proof = { .kind = CPNS_PROOF_RECEIVER };
	struct report r;
	struct offer o;
	uint32_t code, xh;
	struct ask a;
	pid_t pid;
	char go = 1;

	/* GW1 of the initial namespaces holds a confirmed Device Key. */
	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));

	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	ASSERT_EQ(0, pipe(rep));
	key_user(NOBODY, &keys0, &bytes0);
	slab0 = sunreclaim_kb();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		memset(&r, 0, sizeof(r));
		flood(&r, p2c[0], c2p[1]);
		/* A flood that failed early: the parent's read ends. */
		close(c2p[1]);
		if (write(rep[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		/* Hold the keys while the parent measures. */
		_exit(read(p2c[0], &go, 1) == 1 ? 0 : 1);
	}
	/*
	 * The child's receiver key for a Device Key of the initial user,
	 * proven by its kernel's MAC under the pairing key both hold.
	 */
	close(c2p[1]);
	ASSERT_EQ(sizeof(a), read(c2p[0], &a, sizeof(a)))
		TH_LOG("the child's flood failed early (report on the rep pipe)");
	ASSERT_LT(0, tu_add_key(pair.type, pair.desc, pair_secret,
				sizeof(pair_secret), KEY_SPEC_PROCESS_KEYRING));
	memcpy(o.did, c->did, sizeof(o.did));
	proof.pair_key = &pair;
	memcpy(proof.mac, a.mac, sizeof(proof.mac));
	ASSERT_EQ(0, cpns_device_export(c->g1.nl, c->did, a.rd, o.epub, &xh))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	ASSERT_EQ(0, cpns_xfer_release(c->g1.nl, xh, &proof, o.wrapped, &code))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	ASSERT_EQ(sizeof(o), write(p2c[1], &o, sizeof(o)));
	ASSERT_EQ(sizeof(r), read(rep[0], &r, sizeof(r)));
	ASSERT_EQ(0, r.fail_line) TH_LOG("child setup failed at line %d",
					 r.fail_line);
	ASSERT_EQ(0, key_user(NOBODY, &keys1, &bytes1));
	slab1 = sunreclaim_kb();

	EXPECT_EQ(-EBUSY, r.pending_err);
	/* Two key pairs of its own are pending already. */
	EXPECT_EQ(tu_module_param("pending_max") - 2, r.pending);
	EXPECT_EQ(-EDQUOT, r.seed_err);
	EXPECT_EQ(0, r.more_ok);
	EXPECT_EQ(r.keys_at_bound, r.keys_after);
	EXPECT_EQ(-EDQUOT, r.unwrap_err);
	EXPECT_EQ(-EDQUOT, r.seed_import_err);
	EXPECT_EQ(-EDQUOT, r.device_import_err);
	/* The quota, not keys_max, stopped it: nobody's maxkeys is 200. */
	EXPECT_GE(200, keys1);
	EXPECT_LT(150, r.seeds);

	/* The initial user's flows go on: II-9, a, sessions. */
	ASSERT_EQ(0, fl_device_xfer(c));
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_EQ(0, fl_exchange(c, "still", "served"));
	ASSERT_EQ(0, key_user(NOBODY, &keys2, &bytes2));
	slab2 = sunreclaim_kb();
	EXPECT_EQ(keys1, keys2);
	EXPECT_EQ(bytes1, bytes2);
	ksft_print_msg("nobody: %d pending objects (EBUSY), %d seeds (EDQUOT); key-users %d keys %d bytes (before %d, %d); SUnreclaim %ld -> %ld -> %ld kB\n",
		       r.pending, r.seeds, keys1, bytes1, keys0, bytes0,
		       slab0, slab1, slab2);
	/* The harness ends a test with _exit(): flush what it printed. */
	fflush(stdout);

	ASSERT_EQ(1, write(p2c[1], &go, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* keys_max: a namespace owned by root, whose quota is far larger. */
TEST(keys_max)
{
	uint8_t sid[CPNS_SEED_ID_LEN], first[CPNS_SEED_ID_LEN];
	struct cpns_nl *nl;
	int32_t serial;
	int i, err = 0, made = 0;

	ASSERT_EQ(0, tu_module_unload());
	ASSERT_EQ(0, tu_module_load("keys_max=8"));
	nl = cpns_open();
	ASSERT_NE(NULL, nl);
	for (i = 0; i < 100 && !err; i++) {
		err = cpns_seed_new(nl, 0, i ? sid : first, &serial);
		if (!err)
			made++;
	}
	EXPECT_EQ(-EBUSY, err) TH_LOG("%s", cpns_last_error(nl));
	EXPECT_EQ(8, made);
	EXPECT_EQ(8, count_keys(nl));
	/* A change of state replaces a key: allowed at the bound. */
	EXPECT_EQ(0, cpns_key_revoke(nl, CPNS_KEY_SEED, first, NULL, NULL))
		TH_LOG("%s", cpns_last_error(nl));
	EXPECT_EQ(-EBUSY, cpns_seed_new(nl, 0, sid, &serial));
	/* Deleting makes room again. */
	EXPECT_EQ(0, cpns_key_del_seed(nl, first));
	for (i = 0; i < 50; i++) {
		err = cpns_seed_new(nl, 0, sid, &serial);
		if (err != -EBUSY)
			break;
		usleep(20000);
	}
	EXPECT_EQ(0, err) TH_LOG("%s", cpns_last_error(nl));
	cpns_close(nl);
	ASSERT_EQ(0, tu_module_unload());
	ASSERT_EQ(0, tu_module_load(NULL));
}

TEST_HARNESS_MAIN
