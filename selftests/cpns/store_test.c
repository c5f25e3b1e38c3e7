// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * Keys wrapped for storage (KEY_WRAP, KEY_UNWRAP; Documentation/store.rst):
 * a round trip per kind restores the very key (the flows work with it
 * afterwards); every bad input (another KEK or label, any bit flipped, a
 * truncated or oversized blob, a KEK missing, revoked, too short or of an
 * unsupported type, an ID already present, an expired key) fails and adds
 * no key; and every vector of Documentation/store-vectors.json (made by
 * tools/store-vectors.py, independent of the module) unwraps into a key
 * that gives the profile's known answers. KEY_REVOKE: a revoked key (and
 * every device of a revoked seed) is refused at every step, its sessions
 * close, and the revocation survives storage; an expired key is refused.
 * XFER_CODE gives the import's code before the import; XFER_PAIR's MAC
 * matches between ends and Documentation/xfer-vectors.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "keyops.h"
#include "vectors.h"
#include "tutil.h"

#define KEK_DESC	"cpns-test:kek"

static int32_t add_key(const char *type, const char *desc, const void *p,
		       size_t len)
{
	long r = syscall(__NR_add_key, type, desc, p, len,
			 KEY_SPEC_PROCESS_KEYRING);

	return r < 0 ? -errno : (int32_t)r;
}

static int keyctl_revoke(int32_t serial)
{
	return syscall(__NR_keyctl, KEYCTL_REVOKE, serial) ? -errno : 0;
}

static int32_t add_random_key(const char *type, const char *desc, size_t len)
{
	uint8_t buf[256];

	if (len > sizeof(buf) || getrandom(buf, len, 0) != (ssize_t)len)
		return -EIO;
	return add_key(type, desc, buf, len);
}

static const struct cpns_keyref kek = { "logon", KEK_DESC };

FIXTURE(store) {
	struct fl_ctx c;
};

FIXTURE_SETUP(store)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
	/* The harness forks each test: this process keyring is its own. */
	ASSERT_LT(0, add_random_key("logon", KEK_DESC, 32));
}

FIXTURE_TEARDOWN(store)
{
	fl_close(&self->c);
}

/* The key @id of h's dump (ASSERTs it is there). */
#define GET_KEY(h, id, len, k) \
	ASSERT_EQ(1, fl_find_key(h, id, len, k))

TEST_F(store, seed_round_trip)
{
	struct fl_ctx *c = &self->c;
	uint8_t blob[CPNS_MAX_BLOB];
	struct cpns_unwrapped u;
	struct cpns_key k;
	size_t len;

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, cpns_key_wrap(c->s.nl, CPNS_KEY_SEED, c->sid, &kek,
				   "row 1", 5, blob, &len))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	EXPECT_EQ(24 + CPNS_SEED_ID_LEN + 16 + 48, len);
	ASSERT_EQ(0, cpns_key_del_seed(c->s.nl, c->sid));
	ASSERT_EQ(0, fl_find_key(&c->s, c->sid, CPNS_SEED_ID_LEN, &k));

	ASSERT_EQ(0, cpns_key_unwrap(c->s.nl, blob, len, &kek, "row 1", 5,
				     &u))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	EXPECT_EQ(CPNS_KEY_SEED, u.kind);
	EXPECT_EQ(CPNS_SEED_ID_LEN, u.id_len);
	EXPECT_EQ(0, memcmp(u.id, c->sid, CPNS_SEED_ID_LEN));
	EXPECT_EQ(0, u.generation);
	EXPECT_EQ(0, fl_check_key(&c->s, c->sid, CPNS_SEED_ID_LEN,
				  CPNS_ROLE_SERVER, CPNS_STATE_ACTIVE));
	GET_KEY(&c->s, c->sid, CPNS_SEED_ID_LEN, &k);
	EXPECT_EQ(u.serial, k.serial);

	/* The very seed: GW1 (which kept its copy) and S agree on II. */
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
}

TEST_F(store, device_round_trip)
{
	struct fl_ctx *c = &self->c;
	uint8_t blob[CPNS_MAX_BLOB], blob1[CPNS_MAX_BLOB];
	struct cpns_unwrapped u;
	size_t len, len1;

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));

	/* GW1's confirmed key, with no label. */
	ASSERT_EQ(0, cpns_key_wrap(c->g1.nl, CPNS_KEY_DEVICE, c->did, &kek,
				   NULL, 0, blob1, &len1))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(24 + CPNS_DEVICE_ID_LEN + 16 + 48, len1);
	ASSERT_EQ(0, cpns_key_del_device(c->g1.nl, c->did));
	ASSERT_EQ(0, cpns_key_unwrap(c->g1.nl, blob1, len1, &kek, NULL, 0,
				     &u))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(CPNS_KEY_DEVICE, u.kind);
	EXPECT_EQ(0, memcmp(u.id, c->did, CPNS_DEVICE_ID_LEN));
	EXPECT_EQ(0, fl_check_key(&c->g1, c->did, CPNS_DEVICE_ID_LEN,
				  CPNS_ROLE_GW1, CPNS_STATE_CONFIRMED));

	/* It still exports the right key; GW2's copy round-trips too. */
	ASSERT_EQ(0, fl_device_xfer(c));
	ASSERT_EQ(0, cpns_key_wrap(c->g2.nl, CPNS_KEY_DEVICE, c->did, &kek,
				   "gw2", 3, blob, &len))
		TH_LOG("%s", cpns_last_error(c->g2.nl));
	ASSERT_EQ(0, cpns_key_del_device(c->g2.nl, c->did));
	ASSERT_EQ(0, cpns_key_unwrap(c->g2.nl, blob, len, &kek, "gw2", 3, &u))
		TH_LOG("%s", cpns_last_error(c->g2.nl));
	EXPECT_EQ(0, fl_check_key(&c->g2, c->did, CPNS_DEVICE_ID_LEN,
				  CPNS_ROLE_GW2, CPNS_STATE_ACTIVE));
	ASSERT_EQ(0, fl_auth(c));
	ASSERT_EQ(0, fl_exchange(c, "after restore", "ok"));
}

/* Expect @call to fail (with @want, or any error if @want is 0) and h to
 * hold exactly @nkeys keys afterwards.
 */
#define EXPECT_REFUSED(h, nkeys, want, call) do {			\
	int __e = (call);						\
									\
	if (want) {							\
		EXPECT_EQ(want, __e)					\
			TH_LOG("%s: %s", #call, cpns_last_error((h)->nl)); \
	} else {							\
		EXPECT_GT(0, __e) TH_LOG("%s", #call);			\
	}								\
	EXPECT_EQ(nkeys, fl_count_keys(h));				\
} while (0)

/*
 * Every bit of a blob is flipped and unwrapped, one at a time (some 800
 * refused unwraps): seconds under Debian's kernel, minutes under KASAN and
 * TCG (tools/debug-kernel), beyond the harness's 30 s default.
 */
TEST_F_TIMEOUT(store, unwrap_refused, 600)
{
	struct fl_ctx *c = &self->c;
	const struct cpns_keyref other = { "user", "cpns-test:other" };
	const struct cpns_keyref shortk = { "user", "cpns-test:short" };
	const struct cpns_keyref missing = { "user", "cpns-test:missing" };
	const struct cpns_keyref badtype = { "keyring", KEK_DESC };
	const struct cpns_keyref revoked = { "user", "cpns-test:revoked" };
	uint8_t blob[CPNS_MAX_BLOB + 8], bad[CPNS_MAX_BLOB + 8];
	struct fl_host *s = &c->s;
	int32_t rev;
	size_t len, i;
	int b, n;

	ASSERT_LT(0, add_random_key("user", "cpns-test:other", 32));
	ASSERT_LT(0, add_random_key("user", "cpns-test:short", 31));
	rev = add_random_key("user", "cpns-test:revoked", 32);
	ASSERT_LT(0, rev);

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, cpns_key_wrap(s->nl, CPNS_KEY_SEED, c->sid, &kek,
				   "label", 5, blob, &len));
	n = fl_count_keys(s);
	ASSERT_EQ(1, n);

	/* The ID is present: nothing changes. */
	EXPECT_REFUSED(s, 1, -EEXIST,
		       cpns_key_unwrap(s->nl, blob, len, &kek, "label", 5,
				       NULL));
	ASSERT_EQ(0, cpns_key_del_seed(s->nl, c->sid));

	EXPECT_REFUSED(s, 0, -EBADMSG,
		       cpns_key_unwrap(s->nl, blob, len, &other, "label", 5,
				       NULL));
	EXPECT_REFUSED(s, 0, -EBADMSG,
		       cpns_key_unwrap(s->nl, blob, len, &kek, "labex", 5,
				       NULL));
	EXPECT_REFUSED(s, 0, -EBADMSG,
		       cpns_key_unwrap(s->nl, blob, len, &kek, NULL, 0, NULL));
	EXPECT_REFUSED(s, 0, -EINVAL,
		       cpns_key_unwrap(s->nl, blob, len - 1, &kek, "label", 5,
				       NULL));
	memcpy(bad, blob, len);
	bad[len] = 0;
	EXPECT_REFUSED(s, 0, -EINVAL,
		       cpns_key_unwrap(s->nl, bad, len + 1, &kek, "label", 5,
				       NULL));
	EXPECT_REFUSED(s, 0, -ENOKEY,
		       cpns_key_unwrap(s->nl, blob, len, &missing, "label", 5,
				       NULL));
	EXPECT_REFUSED(s, 0, -EINVAL,
		       cpns_key_unwrap(s->nl, blob, len, &badtype, "label", 5,
				       NULL));
	EXPECT_REFUSED(s, 0, -EINVAL,
		       cpns_key_unwrap(s->nl, blob, len, &shortk, "label", 5,
				       NULL));
	/* The kernel's search skips a revoked key: "not found". */
	ASSERT_EQ(0, keyctl_revoke(rev));
	EXPECT_REFUSED(s, 0, -ENOKEY,
		       cpns_key_unwrap(s->nl, blob, len, &revoked, "label", 5,
				       NULL));

	/* Every bit of the blob matters. */
	for (i = 0; i < len; i++) {
		for (b = 0; b < 8; b++) {
			int e;

			memcpy(bad, blob, len);
			bad[i] ^= 1u << b;
			e = cpns_key_unwrap(s->nl, bad, len, &kek, "label", 5,
					    NULL);
			if (e != -EBADMSG && e != -EINVAL) {
				EXPECT_EQ(-EBADMSG, e)
					TH_LOG("byte %zu bit %d", i, b);
				break;
			}
		}
	}
	EXPECT_EQ(0, fl_count_keys(s));

	/* And the blob itself still opens. */
	EXPECT_EQ(0, cpns_key_unwrap(s->nl, blob, len, &kek, "label", 5,
				     NULL))
		TH_LOG("%s", cpns_last_error(s->nl));
	EXPECT_EQ(1, fl_count_keys(s));
}

TEST_F(store, wrap_refused)
{
	struct fl_ctx *c = &self->c;
	const struct cpns_keyref missing = { "user", "cpns-test:missing" };
	const struct cpns_keyref badtype = { "big_key", KEK_DESC };
	const struct cpns_keyref readable = { "user", "cpns-test:readable" };
	uint8_t blob[CPNS_MAX_BLOB], unknown[CPNS_DEVICE_ID_LEN] = { 1 };
	size_t len;

	ASSERT_EQ(0, fl_seed_new(c));
	/* A user key's payload is readable: root would open the blob. */
	ASSERT_LT(0, add_random_key("user", "cpns-test:readable", 32));
	EXPECT_REFUSED(&c->s, 1, -EKEYREJECTED,
		       cpns_key_wrap(c->s.nl, CPNS_KEY_SEED, c->sid, &readable,
				     NULL, 0, blob, &len));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	EXPECT_EQ(-EINVAL, cpns_key_wrap(c->g1.nl, CPNS_KEY_DEVICE, c->did,
					 &kek, NULL, 0, blob, &len))
		TH_LOG("a pending key: %s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(-ENOKEY, cpns_key_wrap(c->g1.nl, CPNS_KEY_DEVICE, unknown,
					 &kek, NULL, 0, blob, &len));
	EXPECT_EQ(-ENOKEY, cpns_key_wrap(c->s.nl, CPNS_KEY_SEED, c->sid,
					 &missing, NULL, 0, blob, &len));
	EXPECT_EQ(-EINVAL, cpns_key_wrap(c->s.nl, CPNS_KEY_SEED, c->sid,
					 &badtype, NULL, 0, blob, &len));
}

TEST_F(store, other_kek_types)
{
	struct fl_ctx *c = &self->c;
	const struct cpns_keyref logon = { "logon", "cpns:kek" };
	const struct cpns_keyref enc = { "encrypted", "cpns-test-enc" };
	const char *encp = "new default user:cpns-test:kmk 32";
	uint8_t blob[CPNS_MAX_BLOB];
	int32_t r;
	size_t len;

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_LT(0, add_random_key("logon", "cpns:kek", 48));
	ASSERT_EQ(0, cpns_key_wrap(c->s.nl, CPNS_KEY_SEED, c->sid, &logon,
				   NULL, 0, blob, &len))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	ASSERT_EQ(0, cpns_key_del_seed(c->s.nl, c->sid));
	ASSERT_EQ(0, cpns_key_unwrap(c->s.nl, blob, len, &logon, NULL, 0,
				     NULL))
		TH_LOG("%s", cpns_last_error(c->s.nl));

	ASSERT_LT(0, add_random_key("user", "cpns-test:kmk", 32));
	r = add_key("encrypted", "cpns-test-enc", encp, strlen(encp));
	if (r == -ENODEV || r == -EOPNOTSUPP)
		SKIP(return, "no encrypted key type in this kernel");
	ASSERT_LT(0, r) TH_LOG("add_key encrypted: %s", strerror(-r));
	ASSERT_EQ(0, cpns_key_wrap(c->s.nl, CPNS_KEY_SEED, c->sid, &enc,
				   NULL, 0, blob, &len))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	ASSERT_EQ(0, cpns_key_del_seed(c->s.nl, c->sid));
	ASSERT_EQ(0, cpns_key_unwrap(c->s.nl, blob, len, &enc, NULL, 0, NULL))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	EXPECT_EQ(-EBADMSG, cpns_key_unwrap(c->s.nl, blob, len, &logon, NULL,
					    0, NULL));
}

TEST_F(store, expired_key)
{
	struct fl_ctx *c = &self->c;
	uint8_t blob[CPNS_MAX_BLOB];
	struct cpns_key k;
	int32_t serial;
	size_t len;

	ASSERT_EQ(0, cpns_seed_new(c->s.nl, 2, c->sid, &serial));
	ASSERT_EQ(0, cpns_key_wrap(c->s.nl, CPNS_KEY_SEED, c->sid, &kek,
				   NULL, 0, blob, &len));
	GET_KEY(&c->s, c->sid, CPNS_SEED_ID_LEN, &k);
	EXPECT_NE(0, k.expiry);
	ASSERT_EQ(0, cpns_key_del_seed(c->s.nl, c->sid));
	/* Within its lifetime the expiry comes back with it. */
	ASSERT_EQ(0, cpns_key_unwrap(c->s.nl, blob, len, &kek, NULL, 0, NULL));
	GET_KEY(&c->s, c->sid, CPNS_SEED_ID_LEN, &k);
	EXPECT_NE(0, k.expiry);
	ASSERT_EQ(0, cpns_key_del_seed(c->s.nl, c->sid));
	sleep(3);
	EXPECT_REFUSED(&c->s, 0, -EKEYEXPIRED,
		       cpns_key_unwrap(c->s.nl, blob, len, &kek, NULL, 0,
				       NULL));
}

/* ---- store-vectors.json ----------------------------------------------- */

struct vec {
	uint8_t kek[128];
	size_t keklen;
	uint8_t blob[CPNS_MAX_BLOB];
	size_t bloblen;
	uint8_t label[CPNS_MAX_LABEL];
	size_t labellen;
	uint8_t id[CPNS_DEVICE_ID_LEN];
	size_t idlen;
	unsigned int kind, role, state, generation;
	uint64_t expiry;
};

static const char *jstr(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
	       json_object_get_string(v) : "";
}

static int64_t jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
	       json_object_get_int64(v) : -1;
}

static unsigned int name_index(const char *name, const char *const *names,
			       unsigned int n)
{
	unsigned int i;

	for (i = 1; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return 0;
}

static int load_vectors(struct vec *v, int max)
{
	static const char *const kinds[] = { NULL, "seed", "device" };
	static const char *const roles[] = { NULL, "server", "gw1", "gw2" };
	static const char *const states[] = { NULL, "active", "pending",
		"confirmed", "revoked", "unconfirmed" };
	const char *dir = getenv("CPNS_SELFTEST_DIR");
	json_object *doc, *arr;
	char path[4096];
	int i, n;

	snprintf(path, sizeof(path), "%s/../../Documentation/store-vectors.json",
		 dir ? dir : ".");
	doc = json_object_from_file(path);
	if (!doc || !json_object_object_get_ex(doc, "vectors", &arr))
		return -ENOENT;
	n = json_object_array_length(arr);
	for (i = 0; i < n && i < max; i++) {
		json_object *e = json_object_array_get_idx(arr, i), *in, *out;
		ssize_t l;

		json_object_object_get_ex(e, "inputs", &in);
		json_object_object_get_ex(e, "outputs", &out);
		memset(&v[i], 0, sizeof(v[i]));
		l = cpns_hex_decode_var(v[i].kek, sizeof(v[i].kek),
					jstr(in, "kek"));
		v[i].keklen = l < 0 ? 0 : l;
		l = cpns_hex_decode_var(v[i].blob, sizeof(v[i].blob),
					jstr(out, "blob"));
		v[i].bloblen = l < 0 ? 0 : l;
		l = cpns_hex_decode_var(v[i].label, sizeof(v[i].label),
					jstr(in, "label"));
		v[i].labellen = l < 0 ? 0 : l;
		l = cpns_hex_decode_var(v[i].id, sizeof(v[i].id),
					jstr(in, "id"));
		v[i].idlen = l < 0 ? 0 : l;
		v[i].kind = name_index(jstr(in, "kind"), kinds, 3);
		v[i].role = name_index(jstr(in, "role"), roles, 4);
		v[i].state = name_index(jstr(in, "state"), states, 6);
		v[i].generation = jint(in, "generation");
		v[i].expiry = jint(in, "expiry");
		if (!v[i].keklen || !v[i].bloblen || !v[i].idlen ||
		    !v[i].kind || !v[i].role || !v[i].state) {
			json_object_put(doc);
			return -EBADMSG;
		}
	}
	json_object_put(doc);
	return i;
}

/* Unwrap vector @v on h under its own KEK and check what was stored. */
static void unwrap_vector(struct __test_metadata *_metadata,
			  const struct fl_host *h, const struct vec *v, int n)
{
	const struct cpns_keyref ref = { "user", "cpns-test:vector" };
	struct cpns_unwrapped u;
	struct cpns_key k;

	ASSERT_LT(0, add_key("user", "cpns-test:vector", v->kek, v->keklen));
	if (v->kind == CPNS_KEY_DEVICE && v->role == CPNS_ROLE_SERVER) {
		/* A server's device record is no kernel key (rekey.rst):
		 * refused, nothing stored; AUTH_CHALLENGE opens it.
		 */
		EXPECT_EQ(-EINVAL, cpns_key_unwrap(h->nl, v->blob, v->bloblen,
						   &ref, v->label, v->labellen,
						   &u))
			TH_LOG("vector %d", n);
		EXPECT_NE(NULL, strstr(cpns_last_error(h->nl),
				       "no kernel key"));
		EXPECT_EQ(0, fl_find_key(h, v->id, v->idlen, &k));
		return;
	}
	ASSERT_EQ(0, cpns_key_unwrap(h->nl, v->blob, v->bloblen, &ref,
				     v->label, v->labellen, &u))
		TH_LOG("vector %d: %s", n, cpns_last_error(h->nl));
	EXPECT_EQ(v->kind, u.kind);
	EXPECT_EQ(v->generation, u.generation);
	ASSERT_EQ(1, fl_find_key(h, v->id, v->idlen, &k));
	EXPECT_EQ(u.serial, k.serial);
	EXPECT_EQ(v->role, k.role) TH_LOG("vector %d", n);
	EXPECT_EQ(v->state, k.state) TH_LOG("vector %d", n);
	EXPECT_EQ(v->generation, k.generation) TH_LOG("vector %d", n);
	EXPECT_EQ(v->expiry, k.expiry) TH_LOG("vector %d", n);
	/* A different label: refused, whatever the vector. */
	EXPECT_EQ(-EBADMSG, cpns_key_unwrap(h->nl, v->blob, v->bloblen, &ref,
					    "x", 1, NULL));
}

FIXTURE(vectors) {
	struct fl_ctx c, d;
	struct vec v[8];
	int n;
	struct cpns_vectors *pv;
};

FIXTURE_SETUP(vectors)
{
	const char *dir = getenv("CPNS_SELFTEST_DIR");
	const char *vectors = getenv("CPNS_VECTORS");
	char path[4096], err[256];

	self->n = load_vectors(self->v, 8);
	ASSERT_EQ(6, self->n) TH_LOG("store-vectors.json: %d", self->n);
	/* the profile's vectors: where run_tests.sh or the caller says */
	if (vectors && *vectors)
		snprintf(path, sizeof(path), "%s", vectors);
	else
		snprintf(path, sizeof(path),
			 "%s/../../../shared/spec/vectors.json",
			 dir ? dir : ".");
	ASSERT_EQ(0, cpns_vectors_load(path, &self->pv, err, sizeof(err)))
		TH_LOG("%s: %s", path, err);
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
	ASSERT_EQ(0, fl_open(&self->d, NULL, false));
}

FIXTURE_TEARDOWN(vectors)
{
	fl_close(&self->c);
	fl_close(&self->d);
	cpns_vectors_free(self->pv);
}

/*
 * Vector 0 (server seed) and 1 (GW1 seed) are vectors.json vector 0's
 * seed: II-2/II-3 and II-4 with that vector's nonces give its known
 * answers. Vector 2 (GW1 confirmed Device Key) moves to GW2 and
 * authenticates against the seed of vector 0; vector 3 (GW2 Device Key)
 * does the same from the other fixture; 4 and 5 (server records) are
 * checked by their metadata.
 */
TEST_F(vectors, unwrap_each)
{
	const struct cpns_kat_input *in = &self->pv->v[0].in;
	const struct cpns_kat_output *want = &self->pv->v[0].want;
	struct fl_ctx *c = &self->c, *d = &self->d;
	uint8_t ch[CPNS_CHALLENGE_LEN], mac[CPNS_MAC_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN];
	int32_t serial;

	unwrap_vector(_metadata, &c->s, &self->v[0], 0);
	/* S checks II-1 of the known vector: the seed is the vector's. */
	ASSERT_EQ(0, cpns_assign_challenge(c->s.nl, in->seed_id, in->request_nonce,
					   want->assign_request_mac, ch, mac))
		TH_LOG("%s", cpns_last_error(c->s.nl));

	unwrap_vector(_metadata, &c->g1, &self->v[1], 1);
	/* GW1 derives the vector's Device ID from its challenge. */
	ASSERT_EQ(0, cpns_assign_derive(c->g1.nl, in->seed_id, in->request_nonce, in->challenge,
					want->assign_challenge_mac, did, &serial))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(0, memcmp(did, want->device_id, CPNS_DEVICE_ID_LEN));
	ASSERT_EQ(0, cpns_key_del_device(c->g1.nl, did));

	unwrap_vector(_metadata, &c->g1, &self->v[2], 2);
	memcpy(c->sid, in->seed_id, CPNS_SEED_ID_LEN);
	memcpy(c->did, want->device_id, CPNS_DEVICE_ID_LEN);
	ASSERT_EQ(0, fl_device_xfer(c));
	ASSERT_EQ(0, fl_auth(c));

	unwrap_vector(_metadata, &d->s, &self->v[0], 0);
	unwrap_vector(_metadata, &d->g2, &self->v[3], 3);
	memcpy(d->sid, in->seed_id, CPNS_SEED_ID_LEN);
	memcpy(d->did, want->device_id, CPNS_DEVICE_ID_LEN);
	ASSERT_EQ(0, fl_auth(d));

	/* 4 and 5 are a server's records of one Device ID: refused. */
	unwrap_vector(_metadata, &d->g1, &self->v[4], 4);
	unwrap_vector(_metadata, &d->g1, &self->v[5], 5);
}

/* ---- KEY_REVOKE --------------------------------------------------------- */

FIXTURE(revoke) {
	struct fl_ctx c;
};

FIXTURE_SETUP(revoke)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
	ASSERT_LT(0, add_random_key("logon", KEK_DESC, 32));
}

FIXTURE_TEARDOWN(revoke)
{
	fl_close(&self->c);
}

static uint64_t key_invalid_count(struct __test_metadata *_metadata,
				  const struct fl_host *h)
{
	struct cpns_stats st;

	EXPECT_EQ(0, cpns_get_stats(h->nl, &st));
	return st.fail[CPNS_FAIL_KEY_INVALID].count;
}

/* GW2 revokes its Device Key: its session closes, a-0 is refused, and the
 * revocation survives a wrap/unwrap round trip.
 */
TEST_F(revoke, device_on_gw2)
{
	struct fl_ctx *c = &self->c;
	uint8_t blob[CPNS_MAX_BLOB], out[64], nc[CPNS_NONCE_LEN];
	uint32_t closed = 0, h;
	int32_t serial;
	uint64_t seq, fails;
	size_t len, outlen = sizeof(out);

	ASSERT_EQ(0, fl_run_all(c));
	fails = key_invalid_count(_metadata, &c->g2);
	ASSERT_EQ(0, cpns_key_revoke(c->g2.nl, CPNS_KEY_DEVICE, c->did,
				     &serial, &closed))
		TH_LOG("%s", cpns_last_error(c->g2.nl));
	EXPECT_EQ(1, closed);
	EXPECT_EQ(0, fl_check_key(&c->g2, c->did, CPNS_DEVICE_ID_LEN,
				  CPNS_ROLE_GW2, CPNS_STATE_REVOKED));
	EXPECT_EQ(-ENOENT, cpns_seal(c->g2.nl, c->hg, NULL, 0, "x", 1, &seq,
				     out, &outlen));
	EXPECT_EQ(-EKEYREVOKED, cpns_auth_begin(c->g2.nl, c->did, &h, nc))
		TH_LOG("%s", cpns_last_error(c->g2.nl));
	EXPECT_LT(fails, key_invalid_count(_metadata, &c->g2));
	EXPECT_EQ(-EKEYREVOKED, fl_auth(c));
	/* Revoking again changes nothing. */
	EXPECT_EQ(0, cpns_key_revoke(c->g2.nl, CPNS_KEY_DEVICE, c->did, NULL,
				     &closed));
	EXPECT_EQ(0, closed);

	ASSERT_EQ(0, cpns_key_wrap(c->g2.nl, CPNS_KEY_DEVICE, c->did, &kek,
				   NULL, 0, blob, &len))
		TH_LOG("%s", cpns_last_error(c->g2.nl));
	ASSERT_EQ(0, cpns_key_del_device(c->g2.nl, c->did));
	ASSERT_EQ(0, cpns_key_unwrap(c->g2.nl, blob, len, &kek, NULL, 0, NULL))
		TH_LOG("%s", cpns_last_error(c->g2.nl));
	EXPECT_EQ(0, fl_check_key(&c->g2, c->did, CPNS_DEVICE_ID_LEN,
				  CPNS_ROLE_GW2, CPNS_STATE_REVOKED));
	EXPECT_EQ(-EKEYREVOKED, cpns_auth_begin(c->g2.nl, c->did, &h, nc));
}

/* The server revokes a device: its session closes and a-0 is refused. */
TEST_F(revoke, device_on_server)
{
	struct fl_ctx *c = &self->c;
	uint8_t out[64], other[CPNS_DEVICE_ID_LEN];
	uint8_t unknown[CPNS_DEVICE_ID_LEN] = { 0xee };
	size_t outlen = sizeof(out);
	struct cpns_record rec;
	uint32_t closed = 0;
	int32_t serial;
	uint64_t seq;

	ASSERT_EQ(0, fl_run_all(c));
	/* S's daemon revokes: the kernel hands out the record to store. */
	ASSERT_EQ(0, fl_server_kek());
	ASSERT_EQ(0, cpns_device_revoke_rec(c->s.nl, c->did, &fl_kek,
					    FL_LABEL, sizeof(FL_LABEL) - 1,
					    &rec, &closed))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	EXPECT_EQ(1, closed);
	EXPECT_EQ(CPNS_STATE_REVOKED, rec.state);
	EXPECT_EQ(-ENOENT, cpns_seal(c->s.nl, c->hs, NULL, 0, "x", 1, &seq,
				     out, &outlen));
	/* S's kernel keeps nothing; the row now holds the revocation. */
	EXPECT_EQ(1, fl_count_keys(&c->s));
	c->srec = rec;
	EXPECT_EQ(-EKEYREVOKED, fl_auth(c));

	/* A device of this server's seed it holds no record of. */
	memcpy(other, c->did, CPNS_DEVICE_ID_LEN);
	other[CPNS_DEVICE_ID_LEN - 1] ^= 0x5a;
	ASSERT_EQ(0, cpns_device_revoke_rec(c->s.nl, other, &fl_kek, NULL, 0,
					    &rec, &closed))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	EXPECT_EQ(0, closed);
	EXPECT_EQ(1, fl_count_keys(&c->s));
	/* Not of any seed here: refused, nothing handed out. */
	EXPECT_EQ(-ENOKEY, cpns_device_revoke_rec(c->s.nl, unknown, &fl_kek,
						  NULL, 0, &rec, NULL));
	/* Without the KEK a server has no key of the device to revoke. */
	EXPECT_EQ(-ENOKEY, cpns_key_revoke(c->s.nl, CPNS_KEY_DEVICE, other,
					   &serial, &closed));
	EXPECT_EQ(1, fl_count_keys(&c->s));
}

/* Revoking a server's seed revokes its devices and stops every step. */
TEST_F(revoke, seed_on_server)
{
	struct fl_ctx *c = &self->c;
	uint8_t pub[CPNS_PUBKEY_LEN] = { 9 }, spub[CPNS_PUBKEY_LEN];
	uint8_t w[CPNS_WRAPPED_LEN], out[64];
	size_t outlen = sizeof(out);
	uint32_t closed = 0, code;
	uint64_t seq;

	ASSERT_EQ(0, fl_run_all(c));
	ASSERT_EQ(0, cpns_key_revoke(c->s.nl, CPNS_KEY_SEED, c->sid, NULL,
				     &closed))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	EXPECT_EQ(1, closed);
	EXPECT_EQ(-ENOENT, cpns_seal(c->s.nl, c->hs, NULL, 0, "x", 1, &seq,
				     out, &outlen));
	EXPECT_EQ(0, fl_check_key(&c->s, c->sid, CPNS_SEED_ID_LEN,
				  CPNS_ROLE_SERVER, CPNS_STATE_REVOKED));
	/* S holds no device record; the seed refuses every device. */
	EXPECT_EQ(1, fl_count_keys(&c->s));
	EXPECT_EQ(-EKEYREVOKED, fl_auth(c));
	EXPECT_EQ(-EKEYREVOKED, fl_assign_derive(c));
	EXPECT_EQ(-EKEYREVOKED, fl_export(c->s.nl, c->g1.nl, 0, CPNS_KEY_SEED,
					  c->sid, pub, spub, w, &code));
}

/* On GW1: the seed and its Device Keys, II-1 and II-9 refused. */
TEST_F(revoke, seed_on_gw1)
{
	struct fl_ctx *c = &self->c;
	uint8_t n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(0, cpns_key_revoke(c->g1.nl, CPNS_KEY_SEED, c->sid, NULL,
				     NULL))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(0, fl_check_key(&c->g1, c->did, CPNS_DEVICE_ID_LEN,
				  CPNS_ROLE_GW1, CPNS_STATE_REVOKED));
	EXPECT_EQ(-EKEYREVOKED, cpns_assign_request(c->g1.nl, c->sid, n1, mac))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(-EKEYREVOKED, fl_device_xfer(c));
	/* The server's seed is untouched. */
	EXPECT_EQ(0, fl_check_key(&c->s, c->sid, CPNS_SEED_ID_LEN,
				  CPNS_ROLE_SERVER, CPNS_STATE_ACTIVE));
}

/* A Device Key that reached its lifetime is refused, then reaped. */
TEST_F(revoke, expired_device_key)
{
	struct fl_ctx *c = &self->c;
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t w[CPNS_WRAPPED_LEN], nc[CPNS_NONCE_LEN];
	uint32_t h, code, code2;
	int32_t serial;
	int e;

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, fl_seed_xfer(c));
	ASSERT_EQ(0, fl_assign_derive(c));
	ASSERT_EQ(0, fl_assign_confirm(c));
	ASSERT_EQ(0, cpns_xfer_new(c->g2.nl, &h, rpub));
	ASSERT_EQ(0, fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did,
			       rpub, spub, w, &code));
	ASSERT_EQ(0, cpns_device_import(c->g2.nl, h, c->did, spub, w, 2,
					&serial, &code2));
	sleep(3);
	e = cpns_auth_begin(c->g2.nl, c->did, &h, nc);
	/* EKEYEXPIRED until the keyring GC unlinks it, then ENOKEY. */
	EXPECT_TRUE(e == -EKEYEXPIRED || e == -ENOKEY)
		TH_LOG("AUTH_BEGIN: %d %s", e, cpns_last_error(c->g2.nl));
}

/* ---- XFER_CODE, XFER_PAIR ----------------------------------------------- */

FIXTURE(confirm) {
	struct fl_ctx c;
};

FIXTURE_SETUP(confirm)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
}

FIXTURE_TEARDOWN(confirm)
{
	fl_close(&self->c);
}

/* The receiver's code before the import is the code the import gives. */
TEST_F(confirm, code_before_import)
{
	struct fl_ctx *c = &self->c;
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t other[CPNS_PUBKEY_LEN], w[CPNS_WRAPPED_LEN];
	uint32_t h, xh, code_s, code_pre, code_imp, code_other;
	uint8_t zero[CPNS_PUBKEY_LEN] = { 0 };
	struct cpns_proof proof = { .kind = CPNS_PROOF_CODE };
	int32_t serial;

	ASSERT_EQ(0, fl_seed_new(c));
	ASSERT_EQ(0, cpns_xfer_new(c->g1.nl, &h, rpub));
	ASSERT_EQ(0, cpns_seed_export(c->s.nl, c->sid, rpub, spub, &xh));
	ASSERT_EQ(0, cpns_xfer_code(c->g1.nl, h, CPNS_KEY_SEED, c->sid, spub,
				    &code_pre))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	/* The sender's kernel releases for that code, and names the same. */
	proof.code = code_pre;
	ASSERT_EQ(0, cpns_xfer_release(c->s.nl, xh, &proof, w, &code_s))
		TH_LOG("%s", cpns_last_error(c->s.nl));
	EXPECT_EQ(code_s, code_pre);
	/* Another sender key gives another code; a low-order one none. */
	memcpy(other, spub, sizeof(other));
	ASSERT_EQ(0, cpns_xfer_new(c->g2.nl, &code_other, other));
	ASSERT_EQ(0, cpns_xfer_code(c->g1.nl, h, CPNS_KEY_SEED, c->sid, other,
				    &code_other));
	EXPECT_NE(code_s, code_other);
	EXPECT_EQ(-EKEYREJECTED, cpns_xfer_code(c->g1.nl, h, CPNS_KEY_SEED,
						c->sid, zero, &code_other));
	/* The handle was not consumed. */
	ASSERT_EQ(0, cpns_seed_import(c->g1.nl, h, c->sid, spub, w, 0, &serial,
				      &code_imp))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(code_s, code_imp);
	/* Now it is. */
	EXPECT_EQ(-ENOENT, cpns_xfer_code(c->g1.nl, h, CPNS_KEY_SEED, c->sid,
					  spub, &code_pre));
}

/*
 * The receiver makes the pairing MAC over its own key (its handle), the
 * sender's end checks it; another key or value fails.
 */
TEST_F(confirm, pair)
{
	struct fl_ctx *c = &self->c;
	const struct cpns_keyref pk = { "user", "cpns-test:pair" };
	const struct cpns_keyref other = { "user", "cpns-test:pair2" };
	const struct cpns_keyref missing = { "user", "cpns-test:nopair" };
	uint8_t e[CPNS_PUBKEY_LEN], r[CPNS_PUBKEY_LEN], mac[CPNS_MAC_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN] = { 1, 2, 3 };
	uint32_t h, he;

	ASSERT_LT(0, add_random_key("user", "cpns-test:pair", 32));
	ASSERT_LT(0, add_random_key("user", "cpns-test:pair2", 32));
	ASSERT_EQ(0, cpns_xfer_new(c->g1.nl, &he, e));
	ASSERT_EQ(0, cpns_xfer_new(c->g2.nl, &h, r));

	ASSERT_EQ(0, cpns_xfer_pair(c->g2.nl, &pk, CPNS_KEY_DEVICE, did, e, r,
				    h, NULL, mac))
		TH_LOG("%s", cpns_last_error(c->g2.nl));
	EXPECT_EQ(0, cpns_xfer_pair(c->g1.nl, &pk, CPNS_KEY_DEVICE, did, e, r,
				    0, mac, NULL))
		TH_LOG("%s", cpns_last_error(c->g1.nl));
	EXPECT_EQ(-EBADMSG, cpns_xfer_pair(c->g1.nl, &other, CPNS_KEY_DEVICE,
					   did, e, r, 0, mac, NULL));
	EXPECT_EQ(-EBADMSG, cpns_xfer_pair(c->g1.nl, &pk, CPNS_KEY_DEVICE,
					   did, r, e, 0, mac, NULL));
	did[15] ^= 1;
	EXPECT_EQ(-EBADMSG, cpns_xfer_pair(c->g1.nl, &pk, CPNS_KEY_DEVICE,
					   did, e, r, 0, mac, NULL));
	EXPECT_EQ(-EBADMSG, cpns_xfer_pair(c->g1.nl, &pk, CPNS_KEY_SEED, did,
					   e, r, 0, mac, NULL));
	EXPECT_EQ(-ENOKEY, cpns_xfer_pair(c->g1.nl, &missing, CPNS_KEY_DEVICE,
					  did, e, r, 0, mac, NULL));
}

/* xfer-vectors.json: pair_mac and code of each vector, in the kernel. */
TEST_F(confirm, vectors)
{
	const char *dir = getenv("CPNS_SELFTEST_DIR");
	const struct cpns_keyref pk = { "user", "cpns-test:pairvec" };
	json_object *doc, *arr;
	char path[4096];
	int i, n;

	snprintf(path, sizeof(path), "%s/../../Documentation/xfer-vectors.json",
		 dir ? dir : ".");
	doc = json_object_from_file(path);
	ASSERT_NE(NULL, doc);
	ASSERT_TRUE(json_object_object_get_ex(doc, "vectors", &arr));
	n = json_object_array_length(arr);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i), *in, *out;
		uint8_t key[32], id[CPNS_DEVICE_ID_LEN], e[32], r[32];
		uint8_t want[CPNS_MAC_LEN], got[CPNS_MAC_LEN];
		unsigned int kind;
		ssize_t idlen;

		ASSERT_TRUE(json_object_object_get_ex(v, "inputs", &in));
		ASSERT_TRUE(json_object_object_get_ex(v, "outputs", &out));
		kind = strcmp(jstr(in, "kind"), "seed") ? CPNS_KEY_DEVICE :
							  CPNS_KEY_SEED;
		ASSERT_EQ(0, tu_unhex(jstr(in, "pair_key"), key, sizeof(key)));
		idlen = cpns_hex_decode_var(id, sizeof(id), jstr(in, "id"));
		ASSERT_LT(0, idlen);
		ASSERT_EQ(0, tu_unhex(jstr(out, "sender_public"), e, 32));
		ASSERT_EQ(0, tu_unhex(jstr(out, "receiver_public"), r, 32));
		ASSERT_EQ(0, tu_unhex(jstr(out, "pair_mac"), want,
				      sizeof(want)));
		ASSERT_LT(0, add_key("user", "cpns-test:pairvec", key,
				     sizeof(key)));
		/* The kernel checks it (it makes one only for its own R). */
		EXPECT_EQ(0, cpns_xfer_pair(self->c.g2.nl, &pk, kind, id, e, r,
					    0, want, NULL))
			TH_LOG("vector %d: pair_mac differs", i);
		memcpy(got, want, sizeof(got));
		got[i % sizeof(got)] ^= 0x80;
		EXPECT_EQ(-EBADMSG, cpns_xfer_pair(self->c.g2.nl, &pk, kind, id,
						   e, r, 0, got, NULL));
	}
	json_object_put(doc);
}

TEST_HARNESS_MAIN
