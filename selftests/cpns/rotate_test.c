// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * Seed rotation (KEY_RETIRE) and re-assignment (CPNS_A_REPLACES) between
 * three network namespaces S, GW1 and GW2 (Documentation/keys.rst,
 * "Rotation"). A retired seed and its devices keep working for the
 * overlap, are refused with EKEYEXPIRED after it, and the keys API's
 * garbage collector removes them, while a new seed works throughout. A
 * re-assignment revokes the old device (and closes its sessions) in the
 * step that confirms or stores the new one; every refused re-assignment
 * leaves every key store, the pending challenge and the transfer handle
 * as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "keyops.h"
#include "tutil.h"

#define SL CPNS_SEED_ID_LEN
#define DL CPNS_DEVICE_ID_LEN
#define PL CPNS_PUBKEY_LEN

/* Long enough for the flows run during it under a loaded TCG guest. */
#define OVERLAP		15
/*
 * The key garbage collector's delay after an expiry, for this test: long
 * enough for the checks of expired keys to run before it takes them.
 */
#define GC_DELAY_PATH	"/proc/sys/kernel/keys/gc_delay"
#define GC_DELAY	"10"
/* How long the collector may take to remove the expired keys. */
#define GC_WAIT		60

/*
 * The timeout column of /proc/keys for serial ("perm", "expd", "14s", ...):
 * 1 if listed, 0 if not (collected), or a negative errno.
 */
static int proc_keys_timeout(int32_t serial, char *out, size_t len)
{
	char line[512], timo[16];
	unsigned int s;
	int found = 0;
	FILE *f;

	f = fopen("/proc/keys", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%x %*s %*d %15s", &s, timo) == 2 &&
		    (int32_t)s == serial) {
			snprintf(out, len, "%s", timo);
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static int file_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int file_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

/* The key of @id on host h (expiry, serial, ...); fails if absent. */
static struct cpns_key key_of(struct __test_metadata *_metadata,
			      const struct fl_host *h, const uint8_t *id,
			      size_t len)
{
	struct cpns_key k;

	memset(&k, 0, sizeof(k));
	EXPECT_EQ(1, fl_find_key(h, id, len, &k))
		TH_LOG("%s holds no key %s", h->name, tu_hex(id, len));
	return k;
}

/* The serials of h's keys of seed sid (the seed and its devices). */
static int seed_serials(struct __test_metadata *_metadata,
			const struct fl_host *h, const uint8_t *sid,
			int32_t *out, int max)
{
	struct fl_snap s;
	int i, n = 0;

	EXPECT_EQ(0, fl_snap_take(h, &s));
	for (i = 0; i < s.n && n < max; i++)
		if (!memcmp(s.k[i].id, sid, SL))
			out[n++] = s.k[i].serial;
	return n;
}

static uint64_t fails(struct __test_metadata *_metadata,
		      const struct fl_host *h, unsigned int reason)
{
	struct cpns_stats st;

	EXPECT_EQ(0, cpns_get_stats(h->nl, &st));
	return st.fail[reason].count;
}

static uint32_t count_of(struct __test_metadata *_metadata,
			 const struct fl_host *h, bool sessions)
{
	uint32_t p = ~0u, s = ~0u;

	EXPECT_EQ(0, fl_counts(h, &p, &s));
	return sessions ? s : p;
}

/* A new device of c's seed, assigned and handed to GW2. */
static void new_device(struct __test_metadata *_metadata, struct fl_ctx *d,
		       const struct fl_ctx *c)
{
	*d = *c;
	ASSERT_EQ(0, fl_assign_derive(d));
	ASSERT_EQ(0, fl_assign_confirm(d));
	ASSERT_EQ(0, fl_device_xfer(d));
}

/* a-0 of c's device: GW2 begins, S answers with want; GW2's flow ends. */
static void auth_refused(struct __test_metadata *_metadata, struct fl_ctx *c,
			 int want, const char *msg)
{
	struct cpns_rekey rk;
	uint32_t hg, hs;
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];

	NL_RET(c->g2.nl, 0, cpns_auth_begin_rk(c->g2.nl, c->did, &hg, nc,
					       &rk));
	NL_RET(c->s.nl, want, fl_challenge_rec(c, nc, &rk,
						     &hs, ns));
	NL_MSG(c->s.nl, msg);
	NL_RET(c->g2.nl, 0, cpns_session_del(c->g2.nl, hg));
}

/* SEAL on session handle of host h fails with want. */
static void seal_refused(struct __test_metadata *_metadata,
			 const struct fl_host *h, uint32_t handle, int want)
{
	uint8_t out[8 + CPNS_TAG_LEN];
	size_t len = sizeof(out);
	uint64_t seq;

	NL_RET(h->nl, want, cpns_seal(h->nl, handle, NULL, 0, "x", 1, &seq,
				      out, &len));
}

/* GW2 still seals on its session; S refuses to open it with want. */
static void open_refused(struct __test_metadata *_metadata, struct fl_ctx *c,
			 int want)
{
	uint8_t buf[8 + CPNS_TAG_LEN], out[8];
	size_t blen = sizeof(buf), olen = sizeof(out);
	uint64_t seq;

	NL_RET(c->g2.nl, 0, cpns_seal(c->g2.nl, c->hg, NULL, 0, "x", 1, &seq,
				      buf, &blen));
	NL_RET(c->s.nl, want, cpns_unseal(c->s.nl, c->hs, seq, NULL, 0, buf,
					  blen, out, &olen));
}

FIXTURE(rotate) {
	struct fl_ctx c;
	char gc_delay[32];
};

/* S, GW1 and GW2 as after I-2 .. a-4: GW2's device has live sessions. */
FIXTURE_SETUP(rotate)
{
	self->gc_delay[0] = '\0';
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
	ASSERT_EQ(0, fl_run_all(&self->c));
}

FIXTURE_TEARDOWN(rotate)
{
	if (self->gc_delay[0])
		file_write(GC_DELAY_PATH, self->gc_delay);
	fl_close(&self->c);
}

TEST_F_TIMEOUT(rotate, retire_overlap_then_refused_and_collected, 300)
{
	struct fl_ctx *c = &self->c, n, o, m;
	uint64_t expiry_s, expiry_g1, again, invalid;
	int32_t serial, gone[2 * FL_SNAP_MAX];
	int i, j, ngone, listed;
	uint32_t count, h, hs0;
	uint8_t rpub[PL], spub[PL], wrapped[CPNS_WRAPPED_LEN];
	uint32_t code;
	struct cpns_key k;
	char timo[16];
	time_t now, until;

	/* The collector removes expired keys GC_DELAY s after they expire. */
	ASSERT_EQ(0, file_read(GC_DELAY_PATH, self->gc_delay,
			       sizeof(self->gc_delay)));
	ASSERT_EQ(0, file_write(GC_DELAY_PATH, GC_DELAY));

	/* The new seed comes first, with a device of its own on GW2. */
	n = *c;
	ASSERT_EQ(0, fl_seed_new(&n));
	ASSERT_EQ(0, fl_seed_xfer(&n));
	new_device(_metadata, &n, &n);
	ASSERT_EQ(0, fl_auth(&n));

	/* Retire the old seed on S and on GW1. */
	now = time(NULL);
	NL_RET(c->s.nl, 0, cpns_key_retire(c->s.nl, c->sid, OVERLAP, &serial,
					   &expiry_s, &count));
	ASSERT_EQ(c->seed_serial_s, serial);
	ASSERT_LE((uint64_t)now + OVERLAP, expiry_s);
	ASSERT_GE((uint64_t)time(NULL) + OVERLAP + 1, expiry_s);
	/* The seed alone: S keeps no record of GW2's re-keyed device (its
	 * record is a blob in S's daemon's store, following the seed).
	 */
	ASSERT_EQ(1u, count);
	NL_RET(c->g1.nl, 0, cpns_key_retire(c->g1.nl, c->sid, OVERLAP, &serial,
					    &expiry_g1, &count));
	ASSERT_EQ(c->seed_serial_g1, serial);
	ASSERT_LE((uint64_t)now + OVERLAP, expiry_g1);
	/* The seed and GW1's confirmed Device Key. */
	ASSERT_EQ(2u, count);

	/* KEY_GET and /proc/keys show the expiry; the new seed has none. */
	ASSERT_EQ(expiry_s, key_of(_metadata, &c->s, c->sid, SL).expiry);
	ASSERT_EQ(expiry_g1, key_of(_metadata, &c->g1, c->sid, SL).expiry);
	ASSERT_EQ(expiry_g1, key_of(_metadata, &c->g1, c->did, DL).expiry);
	ASSERT_EQ(0u, key_of(_metadata, &c->s, n.sid, SL).expiry);
	ASSERT_EQ(0u, key_of(_metadata, &c->g1, n.did, DL).expiry);
	ASSERT_EQ(1, proc_keys_timeout(c->seed_serial_s, timo, sizeof(timo)));
	ASSERT_STRNE("perm", timo);
	ASSERT_STRNE("expd", timo);

	/* A second retirement keeps the earlier expiry. */
	NL_RET(c->s.nl, 0, cpns_key_retire(c->s.nl, c->sid, 3600, NULL,
					   &again, &count));
	ASSERT_EQ(expiry_s, again);
	ASSERT_EQ(1u, count);

	/* During the overlap the old seed's device and seed still work. */
	ASSERT_EQ(0, fl_exchange(c, "still here", "still served"));
	hs0 = c->hs;
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_FALSE(c->rk.rekey);
	ASSERT_EQ(0, fl_exchange(c, "again", "served"));
	/* A device assigned now lives no longer than its seed: GW1's key
	 * takes the seed's expiry; S's record of its re-key is a blob with
	 * no expiry of its own, refused with the seed.
	 */
	new_device(_metadata, &o, c);
	ASSERT_EQ(expiry_g1, key_of(_metadata, &c->g1, o.did, DL).expiry);
	ASSERT_EQ(0, fl_auth(&o));
	ASSERT_TRUE(o.rk.rekey);
	ASSERT_EQ(0, fl_find_key(&c->s, o.did, DL, &k));
	ASSERT_GT((time_t)expiry_s, time(NULL))
		TH_LOG("the overlap ran out before its checks were done: raise OVERLAP");

	/* The keys of the old seed, to watch the collector remove them. */
	ngone = seed_serials(_metadata, &c->s, c->sid, gone, FL_SNAP_MAX);
	ASSERT_EQ(1, ngone);
	ngone += seed_serials(_metadata, &c->g1, c->sid, gone + ngone,
			      FL_SNAP_MAX);
	ASSERT_EQ(4, ngone);

	/* Past the retirement (the collector waits GC_DELAY more). */
	until = (time_t)(expiry_s > expiry_g1 ? expiry_s : expiry_g1);
	while (time(NULL) <= until)
		sleep(1);

	/* Every step under the old seed is refused with EKEYEXPIRED. */
	invalid = fails(_metadata, &c->s, CPNS_FAIL_KEY_INVALID);
	auth_refused(_metadata, c, -EKEYEXPIRED, "has expired");
	auth_refused(_metadata, &o, -EKEYEXPIRED, "has expired");
	m = *c;
	NL_RET(c->g1.nl, -EKEYEXPIRED,
	       cpns_assign_request(c->g1.nl, c->sid, m.n1, m.req_mac));
	NL_MSG(c->g1.nl, "has expired");
	NL_RET(c->s.nl, -EKEYEXPIRED,
	       cpns_assign_challenge(c->s.nl, c->sid, o.n1, o.req_mac, m.ch,
				     m.ch_mac));
	NL_MSG(c->s.nl, "has expired");
	NL_RET(c->g2.nl, 0, cpns_xfer_new(c->g2.nl, &h, rpub));
	NL_RET(c->g1.nl, -EKEYEXPIRED,
	       fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub,
			 spub, wrapped, &code));
	NL_MSG(c->g1.nl, "has expired");
	NL_RET(c->g2.nl, 0, cpns_session_del(c->g2.nl, h));
	NL_RET(c->s.nl, -EKEYEXPIRED, cpns_key_retire(c->s.nl, c->sid, 10,
						      NULL, NULL, NULL));
	/* Counted as invalid keys: two a-0, II-2 and KEY_RETIRE on S. */
	ASSERT_EQ(invalid + 4, fails(_metadata, &c->s, CPNS_FAIL_KEY_INVALID));
	/* ... and gone from KEY_GET at once. */
	ASSERT_EQ(0, fl_find_key(&c->s, c->sid, SL, &k));
	ASSERT_EQ(0, fl_find_key(&c->s, c->did, DL, &k));
	ASSERT_EQ(0, fl_find_key(&c->g1, c->sid, SL, &k));
	/* The live sessions of its devices end on S (GW2 knows no seed). */
	open_refused(_metadata, c, -EKEYEXPIRED);
	NL_MSG(c->s.nl, "have expired");
	seal_refused(_metadata, &c->s, c->hs, -EKEYEXPIRED);
	seal_refused(_metadata, &c->s, hs0, -EKEYEXPIRED);
	seal_refused(_metadata, &o.s, o.hs, -EKEYEXPIRED);

	/* The new seed works throughout: its session of before goes on. */
	ASSERT_EQ(0, fl_exchange(&n, "new seed, old session", "served"));
	ASSERT_EQ(0, fl_auth(&n));
	ASSERT_EQ(0, fl_exchange(&n, "new seed", "served"));
	new_device(_metadata, &m, &n);
	ASSERT_EQ(0, fl_auth(&m));
	ASSERT_EQ(0u, key_of(_metadata, &c->g1, m.did, DL).expiry);
	ASSERT_EQ(CPNS_STATE_UNCONFIRMED, m.srec.state);

	/* The collector removes the expired keys from the keyrings. */
	for (i = 0; i < GC_WAIT; i++) {
		for (listed = 0, j = 0; j < ngone; j++)
			listed += proc_keys_timeout(gone[j], timo,
						    sizeof(timo)) == 1;
		if (!listed)
			break;
		sleep(1);
	}
	ASSERT_EQ(0, listed)
		TH_LOG("%d keys of the retired seed still in /proc/keys after %d s",
		       listed, GC_WAIT);
	ASSERT_EQ(1, proc_keys_timeout(n.seed_serial_s, timo, sizeof(timo)));
	ASSERT_STREQ("perm", timo);
}

TEST_F(rotate, retire_unknown_seed_refused)
{
	struct fl_ctx *c = &self->c;
	struct fl_snap s, g2;
	uint8_t sid[SL];
	int i;

	for (i = 0; i < SL; i++)
		sid[i] = c->sid[i] ^ 0xa5;
	ASSERT_EQ(0, fl_snap_take(&c->s, &s));
	ASSERT_EQ(0, fl_snap_take(&c->g2, &g2));
	NL_RET(c->s.nl, -ENOKEY, cpns_key_retire(c->s.nl, sid, 5, NULL, NULL,
						 NULL));
	NL_MSG(c->s.nl, "unknown ID");
	/* GW2 holds Device Keys, no seed. */
	NL_RET(c->g2.nl, -ENOKEY, cpns_key_retire(c->g2.nl, c->sid, 5, NULL,
						  NULL, NULL));
	ASSERT_EQ(0, fl_snap_same(&c->s, &s));
	ASSERT_EQ(0, fl_snap_same(&c->g2, &g2));
	ASSERT_EQ(0u, key_of(_metadata, &c->s, c->sid, SL).expiry);
}

TEST_F(rotate, reassign_replaces_old_device)
{
	struct fl_ctx *c = &self->c, d, r;
	uint64_t inval, nokey, keyinv;
	uint8_t rpub[PL], spub[PL], wrapped[CPNS_WRAPPED_LEN];
	uint8_t unknown[DL];
	struct cpns_record rec;
	uint32_t h, code_s, code_r, pend, sess;
	struct fl_snap snap;
	int32_t serial;

	/* A device of the seed revoked on S (a record for S's daemon's
	 * store) and on GW2, and one unknown.
	 */
	new_device(_metadata, &r, c);
	ASSERT_EQ(0, fl_server_kek());
	NL_RET(c->s.nl, 0, cpns_device_revoke_rec(c->s.nl, r.did, &fl_kek,
						  NULL, 0, &rec, NULL));
	NL_RET(c->g2.nl, 0, cpns_key_revoke(c->g2.nl, CPNS_KEY_DEVICE, r.did,
					    NULL, NULL));
	memcpy(unknown, c->did, DL);
	unknown[0] ^= 0xff;

	/* GW1 assigns GW2 a new device: II-1 .. II-4. */
	d = *c;
	ASSERT_EQ(0, fl_assign_derive(&d));

	/* Refused II-6: nothing changes, the challenge stays pending. */
	ASSERT_EQ(0, fl_snap_take(&c->s, &snap));
	pend = count_of(_metadata, &c->s, false);
	sess = count_of(_metadata, &c->s, true);
	inval = fails(_metadata, &c->s, CPNS_FAIL_INVALID);
	nokey = fails(_metadata, &c->s, CPNS_FAIL_NO_KEY);
	keyinv = fails(_metadata, &c->s, CPNS_FAIL_KEY_INVALID);
	NL_RET(c->s.nl, -EINVAL,
	       cpns_assign_confirm_rec(c->s.nl, d.did, d.n1, d.did, &fl_kek,
				       NULL, 0, d.confirm, &rec));
	NL_MSG(c->s.nl, "cannot replace itself");
	NL_RET(c->s.nl, -ENOKEY,
	       cpns_assign_confirm_rec(c->s.nl, d.did, d.n1, unknown, &fl_kek,
				       NULL, 0, d.confirm, &rec));
	NL_MSG(c->s.nl, "unknown Device ID");
	/* Without the KEK: the old device's record could not be handed out.
	 * (That r.did is revoked already is in S's daemon's store, which
	 * checks it: the kernel keeps no record.)
	 */
	NL_RET(c->s.nl, -EINVAL,
	       cpns_assign_confirm_replacing(c->s.nl, d.did, d.n1, c->did,
					     d.confirm));
	NL_MSG(c->s.nl, "KEK");
	ASSERT_EQ(0, fl_snap_same(&c->s, &snap));
	ASSERT_EQ(pend, count_of(_metadata, &c->s, false));
	ASSERT_EQ(sess, count_of(_metadata, &c->s, true));
	ASSERT_EQ(inval + 2, fails(_metadata, &c->s, CPNS_FAIL_INVALID));
	ASSERT_EQ(nokey + 1, fails(_metadata, &c->s, CPNS_FAIL_NO_KEY));
	ASSERT_EQ(keyinv, fails(_metadata, &c->s, CPNS_FAIL_KEY_INVALID));

	/* II-6 with the old device: its revocation record is handed out as
	 * the code is made; S's kernel keeps nothing.
	 */
	NL_RET(c->s.nl, 0,
	       cpns_assign_confirm_rec(c->s.nl, d.did, d.n1, c->did, &fl_kek,
				       FL_LABEL, sizeof(FL_LABEL) - 1,
				       d.confirm, &rec));
	ASSERT_EQ(CPNS_STATE_REVOKED, rec.state);
	ASSERT_EQ(0, fl_snap_same(&c->s, &snap));
	ASSERT_EQ(pend - 1, count_of(_metadata, &c->s, false));
	ASSERT_EQ(sess - 1, count_of(_metadata, &c->s, true));
	seal_refused(_metadata, &c->s, c->hs, -ENOENT);
	c->srec = rec;
	auth_refused(_metadata, c, -EKEYREVOKED, "revoked");
	NL_RET(c->g1.nl, 0, cpns_assign_verify(c->g1.nl, d.did, d.confirm,
					       &serial, NULL));

	/* II-9 to GW2: refused imports change nothing, keep the handle. */
	NL_RET(c->g2.nl, 0, cpns_xfer_new(c->g2.nl, &h, rpub));
	NL_RET(c->g1.nl, 0, fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE,
				      d.did, rpub, spub, wrapped, &code_s));
	ASSERT_EQ(0, fl_snap_take(&c->g2, &snap));
	pend = count_of(_metadata, &c->g2, false);
	sess = count_of(_metadata, &c->g2, true);
	NL_RET(c->g2.nl, -EINVAL,
	       cpns_device_import_replacing(c->g2.nl, h, d.did, spub, wrapped,
					    0, d.did, &serial, &code_r));
	NL_MSG(c->g2.nl, "cannot replace itself");
	NL_RET(c->g2.nl, -ENOKEY,
	       cpns_device_import_replacing(c->g2.nl, h, d.did, spub, wrapped,
					    0, unknown, &serial, &code_r));
	NL_MSG(c->g2.nl, "unknown Device ID");
	NL_RET(c->g2.nl, -EKEYREVOKED,
	       cpns_device_import_replacing(c->g2.nl, h, d.did, spub, wrapped,
					    0, r.did, &serial, &code_r));
	NL_MSG(c->g2.nl, "revoked");
	ASSERT_EQ(0, fl_snap_same(&c->g2, &snap));
	ASSERT_EQ(pend, count_of(_metadata, &c->g2, false));
	ASSERT_EQ(sess, count_of(_metadata, &c->g2, true));

	/* The same handle: the new key stored, the old one revoked. */
	NL_RET(c->g2.nl, 0,
	       cpns_device_import_replacing(c->g2.nl, h, d.did, spub, wrapped,
					    0, c->did, &serial, &code_r));
	ASSERT_EQ(code_s, code_r);
	ASSERT_EQ(serial, key_of(_metadata, &c->g2, d.did, DL).serial);
	ASSERT_EQ(0, fl_check_key(&c->g2, d.did, DL, CPNS_ROLE_GW2,
				  CPNS_STATE_ACTIVE));
	ASSERT_EQ(0, fl_check_key(&c->g2, c->did, DL, CPNS_ROLE_GW2,
				  CPNS_STATE_REVOKED));
	ASSERT_EQ(pend - 1, count_of(_metadata, &c->g2, false));
	ASSERT_EQ(sess - 1, count_of(_metadata, &c->g2, true));
	seal_refused(_metadata, &c->g2, c->hg, -ENOENT);
	NL_RET(c->g2.nl, -EKEYREVOKED,
	       cpns_auth_begin_rk(c->g2.nl, c->did, &h, d.nc, &d.rk));

	/* The new device authenticates and talks. */
	ASSERT_EQ(0, fl_auth(&d));
	ASSERT_EQ(0, fl_exchange(&d, "re-assigned", "welcome"));
}

TEST_HARNESS_MAIN
