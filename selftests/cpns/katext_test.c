// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * cpnsctl kat on every kind of known-answer file: the profile's
 * vectors.json (KAT) and the extensions' Documentation/{xfer,rekey,store}-
 * vectors.json (KAT_EXT; made by tools/{xfer,rekey,store}-vectors.py, an
 * implementation independent of the module), through the test family
 * cpns_kat (cpns_kat.ko, which run_tests.sh loads for this unit). Every
 * field of every vector must match; a
 * copy of a file with one expected output changed must be reported as a
 * MISMATCH of exactly the fields that output feeds, with exit status 1.
 *
 * cpnsctl is run as a program (CPNSCTL, or userspace/cpnsctl/cpnsctl from
 * the repository root, where run_tests.sh starts units) and its --json
 * output read with json-c. The last tests send KAT_EXT requests through
 * libcpns that the kernel must refuse, each with its extack message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "cpns.h"
#include "vectors.h"

/*
 * Each test runs cpnsctl up to a dozen times: seconds each in a loaded TCG
 * VM, more than the harness's default 30 s per test.
 */
#define KATEXT_TIMEOUT	300

FIXTURE(katext) {
	int unused;
};

FIXTURE_SETUP(katext)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(katext)
{
}

struct run {
	int status;		/* exit status, or -1 */
	char *out;		/* stdout */
	json_object *doc;	/* stdout as JSON, when asked for */
};

static const char *cpnsctl(void)
{
	const char *p = getenv("CPNSCTL");

	return p && *p ? p : "userspace/cpnsctl/cpnsctl";
}

static const char *profile_file(void)
{
	static char path[4096];
	const char *v = getenv("CPNS_VECTORS");
	const char *dir = getenv("CPNS_SELFTEST_DIR");

	if (v && *v)
		return v;
	snprintf(path, sizeof(path), "%s/../../../shared/spec/vectors.json",
		 dir ? dir : "selftests/cpns");
	return path;
}

/* cpnsctl kat FILE [--json]: status and output. */
static int run_kat(const char *file, bool json, struct run *r)
{
	char cmd[8300], buf[4096];
	size_t len = 0, n;
	FILE *p;
	int st;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	snprintf(cmd, sizeof(cmd), "'%s' kat '%s'%s 2>&1", cpnsctl(), file,
		 json ? " --json" : "");
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		char *q = realloc(r->out, len + n + 1);

		if (!q) {
			pclose(p);
			return -ENOMEM;
		}
		r->out = q;
		memcpy(r->out + len, buf, n);
		len += n;
		r->out[len] = '\0';
	}
	st = pclose(p);
	if (st != -1 && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
	if (!r->out)
		r->out = strdup("");
	if (json && r->out)
		r->doc = json_tokener_parse(r->out);
	return 0;
}

static void run_free(struct run *r)
{
	free(r->out);
	if (r->doc)
		json_object_put(r->doc);
}

static json_object *field(json_object *o, const char *name)
{
	json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, name, &v))
		return NULL;
	return v;
}

static int64_t num(json_object *o, const char *name)
{
	json_object *v = field(o, name);

	return v ? json_object_get_int64(v) : -1;
}

/* How many fields cpnsctl compares in vector v of a file of this profile. */
static int checks_of(const char *profile, json_object *v)
{
	json_object *aead = field(field(v, "outputs"), "aead");
	int naead = aead ? (int)json_object_array_length(aead) : 0;

	if (!strcmp(profile, "CPNS-KA-1"))
		return 10 + naead;	/* the ten outputs, the AEAD list */
	if (!strcmp(profile, "CPNS-KA-1-XFER"))
		return 8;	/* six outputs, the receiver's code and key */
	if (!strcmp(profile, "CPNS-KA-1-REKEY"))
		return 8 + naead;	/* eight outputs, the AEAD list */
	if (!strcmp(profile, "CPNS-KA-1-STORE"))
		return 9;	/* the blob, eight fields unwrapped */
	return -1;
}

/* Every vector of file matches, and every field of each was compared. */
static void all_ok(struct __test_metadata *_metadata, const char *file,
		   const char *profile)
{
	json_object *doc, *list, *got;
	struct run r;
	int i, n, checks = 0;

	if (access(file, R_OK))
		SKIP(return, "%s: %s", file, strerror(errno));
	doc = json_object_from_file(file);
	ASSERT_NE(NULL, doc) TH_LOG("%s does not parse", file);
	ASSERT_STREQ(profile, json_object_get_string(field(doc, "profile")));
	list = field(doc, "vectors");
	n = (int)json_object_array_length(list);
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++)
		checks += checks_of(profile, json_object_array_get_idx(list, i));
	json_object_put(doc);

	ASSERT_EQ(0, run_kat(file, true, &r));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.out);
	ASSERT_NE(NULL, r.doc) TH_LOG("not JSON: %s", r.out);
	EXPECT_STREQ(profile,
		     json_object_get_string(field(r.doc, "profile")));
	EXPECT_EQ(checks, num(r.doc, "checks"));
	EXPECT_EQ(0, num(r.doc, "mismatches"));
	EXPECT_EQ(0, num(r.doc, "errors"));
	got = field(r.doc, "vectors");
	EXPECT_EQ(n, (int)json_object_array_length(got));
	EXPECT_TRUE(json_object_get_boolean(field(r.doc, "ok")));
	run_free(&r);

	/* The text output agrees. */
	ASSERT_EQ(0, run_kat(file, false, &r));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(NULL, strstr(r.out, "MISMATCH")) TH_LOG("%s", r.out);
	run_free(&r);
}

TEST_F_TIMEOUT(katext, profile_all_ok, KATEXT_TIMEOUT)
{
	all_ok(_metadata, profile_file(), "CPNS-KA-1");
}

TEST_F_TIMEOUT(katext, xfer_all_ok, KATEXT_TIMEOUT)
{
	all_ok(_metadata, "Documentation/xfer-vectors.json", "CPNS-KA-1-XFER");
}

TEST_F_TIMEOUT(katext, rekey_all_ok, KATEXT_TIMEOUT)
{
	all_ok(_metadata, "Documentation/rekey-vectors.json",
	       "CPNS-KA-1-REKEY");
}

TEST_F_TIMEOUT(katext, store_all_ok, KATEXT_TIMEOUT)
{
	all_ok(_metadata, "Documentation/store-vectors.json",
	       "CPNS-KA-1-STORE");
}

/*
 * One changed output: vector vec's output out ("aead.I": the sealed bytes
 * of AEAD entry I), in a hex string one digit changed, in a number one
 * added. The fields cpnsctl must then report (NULL-terminated; "aead.I"
 * for an AEAD entry), all others ok.
 */
struct corruption {
	int vec;		/* -1: the last one */
	const char *out;
	const char *mismatch[3];
};

/* Write a copy of file with c's output changed to path. */
static void corrupt(struct __test_metadata *_metadata, const char *file,
		    const struct corruption *c, const char *path, int *vec)
{
	json_object *doc, *list, *outs, *tgt;
	const char *key = c->out;
	char *s;
	size_t mid;
	int n;

	doc = json_object_from_file(file);
	ASSERT_NE(NULL, doc);
	list = field(doc, "vectors");
	n = (int)json_object_array_length(list);
	*vec = c->vec < 0 ? n - 1 : c->vec;
	ASSERT_LT(*vec, n);
	outs = field(json_object_array_get_idx(list, *vec), "outputs");
	tgt = outs;
	if (!strncmp(key, "aead.", 5)) {
		tgt = json_object_array_get_idx(field(outs, "aead"),
						atoi(key + 5));
		key = "sealed";
	}
	ASSERT_NE(NULL, field(tgt, key)) TH_LOG("no output %s", c->out);
	if (json_object_is_type(field(tgt, key), json_type_int)) {
		int64_t v = json_object_get_int64(field(tgt, key));

		json_object_object_add(tgt, key,
				       json_object_new_int64(v ? v - 1 : 1));
	} else {
		s = strdup(json_object_get_string(field(tgt, key)));
		ASSERT_NE(NULL, s);
		mid = strlen(s) / 2;
		s[mid] = s[mid] == '0' ? '8' : '0';
		json_object_object_add(tgt, key, json_object_new_string(s));
		free(s);
	}
	ASSERT_EQ(0, json_object_to_file_ext(path, doc,
					     JSON_C_TO_STRING_PRETTY));
	json_object_put(doc);
}

static bool listed(const struct corruption *c, const char *name)
{
	int i;

	for (i = 0; i < 3 && c->mismatch[i]; i++)
		if (!strcmp(c->mismatch[i], name))
			return true;
	return false;
}

static void mismatches(struct __test_metadata *_metadata, const char *file,
		       const struct corruption *cs, size_t ncs)
{
	char path[] = "/tmp/cpns-katext.XXXXXX";
	size_t k;
	int fd;

	if (access(file, R_OK))
		SKIP(return, "%s: %s", file, strerror(errno));
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);

	for (k = 0; k < ncs; k++) {
		const struct corruption *c = &cs[k];
		json_object *vecs, *v, *fields, *aead;
		struct json_object_iterator it, end;
		int vec, want = 0, i;
		struct run r;
		char line[256];

		corrupt(_metadata, file, c, path, &vec);
		while (want < 3 && c->mismatch[want])
			want++;

		ASSERT_EQ(0, run_kat(path, true, &r));
		EXPECT_EQ(1, r.status) TH_LOG("%s changed: exit %d", c->out,
					      r.status);
		ASSERT_NE(NULL, r.doc) TH_LOG("not JSON: %s", r.out);
		EXPECT_EQ(want, num(r.doc, "mismatches"))
			TH_LOG("%s changed: %s", c->out, r.out);
		EXPECT_EQ(0, num(r.doc, "errors"));
		EXPECT_FALSE(json_object_get_boolean(field(r.doc, "ok")));
		vecs = field(r.doc, "vectors");
		for (i = 0; i < (int)json_object_array_length(vecs); i++) {
			v = json_object_array_get_idx(vecs, i);
			fields = field(v, "fields");
			ASSERT_NE(NULL, fields) TH_LOG("vector %d: %s", i,
						       r.out);
			it = json_object_iter_begin(fields);
			end = json_object_iter_end(fields);
			for (; !json_object_iter_equal(&it, &end);
			     json_object_iter_next(&it)) {
				const char *name = json_object_iter_peek_name(&it);
				json_object *res = json_object_iter_peek_value(&it);
				bool bad = i == vec && listed(c, name);

				if (!strcmp(name, "aead"))
					continue;
				EXPECT_STREQ(bad ? "MISMATCH" : "ok",
					     json_object_get_string(res))
					TH_LOG("%s changed: vector %d %s", c->out,
					       i, name);
			}
			aead = field(fields, "aead");
			for (int j = 0; aead &&
			     j < (int)json_object_array_length(aead); j++) {
				char name[16];
				bool bad;

				snprintf(name, sizeof(name), "aead.%d", j);
				bad = i == vec && listed(c, name);
				EXPECT_STREQ(bad ? "MISMATCH" : "ok",
					     json_object_get_string(
						json_object_array_get_idx(aead, j)))
					TH_LOG("%s changed: vector %d %s", c->out,
					       i, name);
			}
		}
		run_free(&r);

		/* Text, once per file: the first field's line, then want
		 * and got.
		 */
		if (k)
			continue;
		ASSERT_EQ(0, run_kat(path, false, &r));
		EXPECT_EQ(1, r.status);
		if (!strncmp(c->mismatch[0], "aead.", 5))
			snprintf(line, sizeof(line),
				 "vector %d aead[%s] sealed MISMATCH\n  want ",
				 vec, c->mismatch[0] + 5);
		else
			snprintf(line, sizeof(line),
				 "vector %d %s MISMATCH\n  want ", vec,
				 c->mismatch[0]);
		EXPECT_NE(NULL, strstr(r.out, line))
			TH_LOG("no \"%s\" in: %s", line, r.out);
		run_free(&r);
	}
	unlink(path);
}

TEST_F_TIMEOUT(katext, profile_mismatch, KATEXT_TIMEOUT)
{
	static const struct corruption cs[] = {
		{ 0, "device_id", { "device_id" } },
		{ -1, "session_key_s2c", { "session_key_s2c" } },
		{ 0, "aead.0", { "aead.0" } },
	};

	mismatches(_metadata, profile_file(), cs, ARRAY_SIZE(cs));
}

TEST_F_TIMEOUT(katext, xfer_mismatch, KATEXT_TIMEOUT)
{
	static const struct corruption cs[] = {
		{ 0, "sender_public", { "sender_public" } },
		{ -1, "receiver_public", { "receiver_public" } },
		{ -1, "wrapped", { "wrapped" } },
		/* The receiver must find the sender's code. */
		{ -1, "code", { "code", "receiver.code" } },
		{ 1, "pair_mac", { "pair_mac" } },
		{ 2, "receiver_mac", { "receiver_mac" } },
	};

	mismatches(_metadata, "Documentation/xfer-vectors.json", cs,
		   ARRAY_SIZE(cs));
}

TEST_F_TIMEOUT(katext, rekey_mismatch, KATEXT_TIMEOUT)
{
	static const struct corruption cs[] = {
		{ 0, "client_public", { "client_public" } },
		{ 0, "server_public", { "server_public" } },
		{ -1, "auth_client_mac", { "auth_client_mac" } },
		{ -1, "auth_server_mac", { "auth_server_mac" } },
		{ -1, "new_generation", { "new_generation" } },
		{ -1, "new_device_key", { "new_device_key" } },
		{ 0, "session_key_c2s", { "session_key_c2s" } },
		{ -1, "session_key_s2c", { "session_key_s2c" } },
		{ -1, "aead.0", { "aead.0" } },
	};

	mismatches(_metadata, "Documentation/rekey-vectors.json", cs,
		   ARRAY_SIZE(cs));
}

TEST_F_TIMEOUT(katext, store_mismatch, KATEXT_TIMEOUT)
{
	static const struct corruption cs[] = {
		{ 0, "blob", { "blob" } },
		{ -1, "blob", { "blob" } },
	};

	mismatches(_metadata, "Documentation/store-vectors.json", cs,
		   ARRAY_SIZE(cs));
}

/* A file of no known profile: refused before anything runs. */
TEST_F_TIMEOUT(katext, unknown_profile_refused, KATEXT_TIMEOUT)
{
	char path[] = "/tmp/cpns-katext.XXXXXX";
	struct run r;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "{\"profile\": \"CPNS-KA-2\", \"vectors\": []}\n"));
	close(fd);
	ASSERT_EQ(0, run_kat(path, false, &r));
	unlink(path);
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.out, "CPNS-KA-2")) TH_LOG("%s", r.out);
	EXPECT_EQ(NULL, strstr(r.out, "vector 0")) TH_LOG("%s", r.out);
	run_free(&r);
}

/* KAT_EXT with only the attributes build puts: the kernel's verdict. */
static int kat_ext_raw(struct cpns_nl *nl, cpns_build_fn build, void *arg)
{
	return cpns_request(nl, CPNS_KAT_CMD_KAT_EXT, 0, build, arg, NULL, NULL);
}

static int put_kind(struct cpns_msg *msg, void *arg)
{
	return cpns_msg_put_u8(msg, CPNS_A_KAT_KIND, *(uint8_t *)arg);
}

static int put_xfer_no_secret(struct cpns_msg *msg, void *arg)
{
	static const uint8_t sid[CPNS_SEED_ID_LEN];

	(void)arg;
	return cpns_msg_put_u8(msg, CPNS_A_KAT_KIND, CPNS_KAT_XFER) ?:
	       cpns_msg_put_u8(msg, CPNS_A_KEY_KIND, CPNS_KEY_SEED) ?:
	       cpns_msg_put(msg, CPNS_A_SEED_ID, sid, sizeof(sid));
}

static int put_short_kek(struct cpns_msg *msg, void *arg)
{
	static const uint8_t kek[31];

	(void)arg;
	return cpns_msg_put_u8(msg, CPNS_A_KAT_KIND, CPNS_KAT_STORE) ?:
	       cpns_msg_put(msg, CPNS_A_KAT_KEK, kek, sizeof(kek));
}

/* Requests the kernel refuses: nothing computed, an extack message. */
TEST_F_TIMEOUT(katext, kernel_refusals, KATEXT_TIMEOUT)
{
	struct cpns_vecfile *vf = NULL;
	struct cpns_katx_out got;
	struct cpns_katx_in in;
	struct cpns_nl *nl;
	char err[256];
	uint8_t kind;

	nl = cpns_open_family(CPNS_KAT_GENL_NAME);
	ASSERT_NE(NULL, nl) TH_LOG("is cpns_kat.ko loaded? %s", strerror(errno));

	/* No kind; kinds out of the policy's range. */
	EXPECT_EQ(-EINVAL, kat_ext_raw(nl, NULL, NULL));
	EXPECT_EQ(CPNS_A_KAT_KIND, cpns_last(nl)->miss_type)
		TH_LOG("%s", cpns_last_error(nl));
	kind = CPNS_KAT_STORE + 1;
	EXPECT_EQ(-ERANGE, kat_ext_raw(nl, put_kind, &kind));
	kind = 0;
	EXPECT_EQ(-ERANGE, kat_ext_raw(nl, put_kind, &kind));

	/* A transfer without its secrets: the first missing one named. */
	EXPECT_EQ(-EINVAL, kat_ext_raw(nl, put_xfer_no_secret, NULL));
	EXPECT_EQ(CPNS_A_KAT_SECRET, cpns_last(nl)->miss_type)
		TH_LOG("%s", cpns_last_error(nl));

	/* A KEK shorter than a named key's payload may be: the policy. */
	EXPECT_EQ(-ERANGE, kat_ext_raw(nl, put_short_kek, NULL));

	/* A profile vector is not KAT_EXT's. */
	memset(&in, 0, sizeof(in));
	in.kind = CPNS_VEC_PROFILE;
	EXPECT_EQ(-EINVAL, cpns_kat_ext(nl, &in, &got));

	/* A re-key of a generation with no successor. */
	if (!cpns_vecfile_load("Documentation/rekey-vectors.json", &vf, err,
			       sizeof(err))) {
		in = vf->v[0].in;
		in.u.rekey.generation = UINT32_MAX;
		EXPECT_EQ(-EINVAL, cpns_kat_ext(nl, &in, &got));
		EXPECT_NE(NULL, strstr(cpns_last_error(nl), "successor"))
			TH_LOG("%s", cpns_last_error(nl));
		/* The vector itself still runs on this socket. */
		EXPECT_EQ(0, cpns_kat_ext(nl, &vf->v[0].in, &got))
			TH_LOG("%s", cpns_last_error(nl));
		EXPECT_EQ(0, cpns_katx_check(&vf->v[0].want, &got, NULL,
					     NULL));
		cpns_katx_out_clear(&got);
		cpns_vecfile_free(vf);
	} else {
		TH_LOG("%s", err);
		EXPECT_TRUE(false);
	}

	/* A storage vector whose expiry a time64_t cannot hold. */
	if (!cpns_vecfile_load("Documentation/store-vectors.json", &vf, err,
			       sizeof(err))) {
		in = vf->v[0].in;
		in.u.store.meta.expiry = (uint64_t)INT64_MAX + 1;
		EXPECT_EQ(-ERANGE, cpns_kat_ext(nl, &in, &got))
			TH_LOG("%s", cpns_last_error(nl));
		cpns_vecfile_free(vf);
	} else {
		TH_LOG("%s", err);
		EXPECT_TRUE(false);
	}
	cpns_close(nl);
}

TEST_HARNESS_MAIN
