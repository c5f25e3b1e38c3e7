// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * Known answers through the kernel: every vector of the profile's
 * vectors.json (CPNS_VECTORS, else ../shared/spec/vectors.json beside the
 * repository) goes through CPNS_KAT_CMD_KAT of the test family cpns_kat
 * (cpns_kat.ko, which run_tests.sh loads for this unit) and every output
 * must match. A copy of the file with one expected output changed must
 * give exactly one mismatch, on that vector and field; a vector with one input changed must
 * give mismatches on exactly the outputs that input feeds (so the kernel
 * computes from the inputs). A malformed file is refused by the parser with
 * the field named, and KAT needs CAP_NET_ADMIN.
 *
 * One process: the parser, the KAT command and the comparison are
 * libcpns's (vectors.c, cpns_kat(), cpns_kat_check()), the ones cpnsctl
 * kat uses; cpnsctl kat itself is run by the katext unit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "cpns.h"
#include "vectors.h"
#include "tutil.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* The ten fixed outputs of a vector, in vectors.json order. */
static const char *const fields[] = {
	"seed_auth_key", "assign_request_mac", "assign_challenge_mac",
	"device_id", "device_key", "assign_confirm", "auth_client_mac",
	"auth_server_mac", "session_key_c2s", "session_key_s2c",
};
#define NFIELDS ARRAY_SIZE(fields)

#define MAX_REPORTS 64

/* What cpns_kat_check() reported for a whole file. */
struct tally {
	size_t vec;			/* the vector being checked */
	int checks, bad;
	int nbad;			/* entries of bad_* used */
	size_t bad_vec[MAX_REPORTS];
	char bad_field[MAX_REPORTS][32];	/* "device_id", "aead[1]" */
	int order_errors;		/* fields not in vectors.json order */
	size_t next;			/* index into fields[] expected next */
};

static void report(const char *field, int aead, bool ok, void *arg)
{
	struct tally *t = arg;

	t->checks++;
	if (aead < 0 && strcmp(field, "aead_count")) {
		if (t->next >= NFIELDS || strcmp(field, fields[t->next]))
			t->order_errors++;
		t->next++;
	}
	if (ok)
		return;
	t->bad++;
	if (t->nbad < MAX_REPORTS) {
		t->bad_vec[t->nbad] = t->vec;
		if (aead >= 0)
			snprintf(t->bad_field[t->nbad], 32, "aead[%d]", aead);
		else
			snprintf(t->bad_field[t->nbad], 32, "%s", field);
		t->nbad++;
	}
}

static const char *vectors_path(void)
{
	static char path[4096];
	const char *v = getenv("CPNS_VECTORS");
	const char *dir = getenv("CPNS_SELFTEST_DIR");

	if (v && *v)
		return v;
	if (dir && *dir)
		snprintf(path, sizeof(path),
			 "%s/../../../shared/spec/vectors.json", dir);
	else	/* run_tests.sh starts units in the repository root */
		snprintf(path, sizeof(path), "../shared/spec/vectors.json");
	return path;
}

/*
 * Run every vector of vs through the kernel on nl and compare; fill *t.
 * Return 0, or the first negative errno of the KAT command.
 */
static int run_all(struct cpns_nl *nl, const struct cpns_vectors *vs,
		   struct tally *t)
{
	size_t i;
	int ret;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < vs->n; i++) {
		struct cpns_kat_output got;

		ret = cpns_kat(nl, &vs->v[i].in, &got);
		if (ret)
			return ret;
		t->vec = i;
		t->next = 0;
		cpns_kat_check(&vs->v[i].want, &got, report, t);
		cpns_kat_output_clear(&got);
	}
	return 0;
}

static void print_bad(struct __test_metadata *_metadata, const struct tally *t)
{
	int i;

	for (i = 0; i < t->nbad; i++)
		TH_LOG("vector %zu %s MISMATCH", t->bad_vec[i], t->bad_field[i]);
}

/*
 * The file's text, and a parsed copy of it. (Each test may take 300 s, not
 * the harness's 30: the debug kernel under TCG on a loaded machine is slow.)
 */
FIXTURE(kat) {
	char *text;
	struct cpns_vectors *vs;
	struct cpns_nl *nl;
};

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return NULL;
	for (;;) {
		char *p = realloc(buf, len + 65536 + 1);

		if (!p) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = p;
		n = fread(buf + len, 1, 65536, f);
		len += n;
		if (n < 65536)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

FIXTURE_SETUP(kat)
{
	const char *path = vectors_path();
	char err[512];

	self->text = slurp(path);
	ASSERT_NE(NULL, self->text) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, cpns_vectors_parse(self->text, &self->vs, err,
					sizeof(err)))
		TH_LOG("%s: %s", path, err);
	ASSERT_LE(1, self->vs->n) TH_LOG("%s has no vectors", path);
	self->nl = cpns_open_family(CPNS_KAT_GENL_NAME);
	ASSERT_NE(NULL, self->nl) TH_LOG("%s (cpns_kat.ko): %s",
					 CPNS_KAT_GENL_NAME, strerror(errno));
}

FIXTURE_TEARDOWN(kat)
{
	if (self->nl)
		cpns_close(self->nl);
	if (self->vs)
		cpns_vectors_free(self->vs);
	free(self->text);
}

/*
 * The file's text with one expected output changed: byte len/2 of
 * outputs.FIELD of vector v (or of outputs.aead[aead].sealed when aead is
 * not negative) XORed with 0x80, parsed again. NULL on any error.
 */
static struct cpns_vectors *mutate_output(const char *text, size_t v,
					  const char *field, int aead)
{
	json_object *doc, *vecs, *out, *tgt, *s;
	struct cpns_vectors *vs = NULL;
	const char *key = aead >= 0 ? "sealed" : field;
	uint8_t buf[CPNS_MAX_PLAINTEXT + 64];
	char hex[2 * sizeof(buf) + 1];
	ssize_t n;

	doc = json_tokener_parse(text);
	if (!doc)
		return NULL;
	if (!json_object_object_get_ex(doc, "vectors", &vecs))
		goto out;
	tgt = json_object_array_get_idx(vecs, v);
	if (!tgt || !json_object_object_get_ex(tgt, "outputs", &out))
		goto out;
	tgt = out;
	if (aead >= 0) {
		if (!json_object_object_get_ex(out, "aead", &tgt))
			goto out;
		tgt = json_object_array_get_idx(tgt, aead);
	}
	if (!tgt || !json_object_object_get_ex(tgt, key, &s))
		goto out;
	n = cpns_hex_decode_var(buf, sizeof(buf), json_object_get_string(s));
	if (n <= 0)
		goto out;
	buf[n / 2] ^= 0x80;
	cpns_hex_encode(hex, buf, n);
	json_object_object_add(tgt, key, json_object_new_string(hex));
	if (cpns_vectors_parse(json_object_to_json_string(doc), &vs, NULL, 0))
		vs = NULL;
out:
	json_object_put(doc);
	return vs;
}

/*
 * Exactly one mismatch, at vector v, field what ("device_id", "aead[1]"),
 * after the expected output of that field was changed in a copy.
 */
static void one_mismatch(struct __test_metadata *_metadata,
			 FIXTURE_DATA(kat) *self, size_t v, const char *field,
			 int aead)
{
	struct cpns_vectors *vs;
	struct tally t;
	char what[32];

	if (aead >= 0)
		snprintf(what, sizeof(what), "aead[%d]", aead);
	else
		snprintf(what, sizeof(what), "%s", field);
	ASSERT_GT(self->vs->n, v);
	vs = mutate_output(self->text, v, field, aead);
	ASSERT_NE(NULL, vs) TH_LOG("could not change vector %zu %s", v, what);
	ASSERT_EQ(0, run_all(self->nl, vs, &t))
		TH_LOG("KAT: %s", cpns_last_error(self->nl));
	cpns_vectors_free(vs);
	print_bad(_metadata, &t);
	ASSERT_EQ(1, t.bad) TH_LOG("vector %zu %s changed", v, what);
	ASSERT_EQ(v, t.bad_vec[0]);
	ASSERT_STREQ(what, t.bad_field[0]);
}

TEST_F_TIMEOUT(kat, all_vectors_ok, 300)
{
	struct tally t;
	int checks = 0;
	size_t i;

	for (i = 0; i < self->vs->n; i++) {
		ASSERT_LE(1, self->vs->v[i].want.naead)
			TH_LOG("vector %zu has no AEAD entry", i);
		checks += NFIELDS + self->vs->v[i].want.naead;
	}
	ASSERT_EQ(0, run_all(self->nl, self->vs, &t))
		TH_LOG("KAT: %s", cpns_last_error(self->nl));
	print_bad(_metadata, &t);
	EXPECT_EQ(0, t.order_errors);
	/* every field of every vector was compared, and matched */
	EXPECT_EQ(checks, t.checks);
	EXPECT_EQ(0, t.bad);
	TH_LOG("%zu vectors, %d checks, %d mismatches", self->vs->n, t.checks,
	       t.bad);
}

TEST_F_TIMEOUT(kat, mismatch_each_output_field, 300)
{
	size_t f;

	for (f = 0; f < NFIELDS; f++)
		one_mismatch(_metadata, self, 0, fields[f], -1);
	one_mismatch(_metadata, self, self->vs->n > 1 ? 1 : 0, "device_key",
		     -1);
}

TEST_F_TIMEOUT(kat, mismatch_sealed, 300)
{
	size_t last = self->vs->n - 1;

	ASSERT_LE(2, self->vs->v[last].want.naead);
	one_mismatch(_metadata, self, last, NULL, 1);
	one_mismatch(_metadata, self, 0, NULL, 0);
}

/*
 * Vector 0 with one input changed: the kernel's outputs differ from the
 * file in exactly the outputs that input feeds (cpns-ka-1.md), and in no
 * other.
 */
static void changed_input(struct __test_metadata *_metadata,
			  FIXTURE_DATA(kat) *self, uint8_t *byte,
			  const char *input, const char *const *fed)
{
	const struct cpns_vectors one = {
		.profile = self->vs->profile, .n = 1, .v = self->vs->v,
	};
	struct tally t;
	int want = 0, i, j;

	*byte ^= 0x01;
	ASSERT_EQ(0, run_all(self->nl, &one, &t))
		TH_LOG("KAT: %s", cpns_last_error(self->nl));
	*byte ^= 0x01;
	print_bad(_metadata, &t);
	for (j = 0; fed[j]; j++) {
		if (!strcmp(fed[j], "aead")) {
			want += self->vs->v[0].want.naead;
			continue;
		}
		want++;
	}
	ASSERT_EQ(want, t.bad) TH_LOG("%s changed", input);
	for (i = 0; i < t.nbad; i++) {
		for (j = 0; fed[j]; j++)
			if (!strcmp(fed[j], t.bad_field[i]) ||
			    (!strcmp(fed[j], "aead") &&
			     !strncmp(t.bad_field[i], "aead[", 5)))
				break;
		EXPECT_NE(NULL, fed[j])
			TH_LOG("%s changed, but %s differs", input,
			       t.bad_field[i]);
	}
}

TEST_F_TIMEOUT(kat, changed_input_changes_its_outputs, 300)
{
	struct cpns_kat_input *in = &self->vs->v[0].in;
	static const char *const by_seed[] = {
		"seed_auth_key", "assign_request_mac", "assign_challenge_mac",
		"device_id", "device_key", "assign_confirm", "auth_client_mac",
		"auth_server_mac", "session_key_c2s", "session_key_s2c",
		"aead", NULL,
	};
	static const char *const by_n1[] = {
		"assign_request_mac", "assign_challenge_mac", NULL,
	};
	static const char *const by_ch[] = {
		"assign_challenge_mac", "device_id", "device_key",
		"assign_confirm", "auth_client_mac", "auth_server_mac",
		"session_key_c2s", "session_key_s2c", "aead", NULL,
	};
	static const char *const by_ns[] = {
		"auth_client_mac", "auth_server_mac", "session_key_c2s",
		"session_key_s2c", "aead", NULL,
	};

	changed_input(_metadata, self, &in->key_seed[CPNS_SEED_LEN - 1],
		      "key_seed", by_seed);
	changed_input(_metadata, self, &in->request_nonce[0], "request_nonce",
		      by_n1);
	changed_input(_metadata, self, &in->challenge[CPNS_CHALLENGE_LEN / 2],
		      "challenge", by_ch);
	changed_input(_metadata, self, &in->server_nonce[3], "server_nonce",
		      by_ns);
}

/* The file with one edit by text: refused, the message names the field. */
static void refused(struct __test_metadata *_metadata, const char *text,
		    const char *named)
{
	struct cpns_vectors *vs = NULL;
	char err[512] = "";
	int ret;

	ret = cpns_vectors_parse(text, &vs, err, sizeof(err));
	TH_LOG("parser: %d %s", ret, err);
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_EQ(NULL, vs);
	if (vs)
		cpns_vectors_free(vs);
	EXPECT_NE(NULL, strstr(err, named)) TH_LOG("want \"%s\" named", named);
}

TEST_F_TIMEOUT(kat, malformed_vectors_file, 300)
{
	json_object *doc, *v0, *out, *s;
	char *copy;
	size_t len;

	/* device_id of vector 0 two hex digits short */
	doc = json_tokener_parse(self->text);
	ASSERT_NE(NULL, doc);
	v0 = json_object_array_get_idx(json_object_object_get(doc, "vectors"),
				       0);
	ASSERT_NE(NULL, v0);
	ASSERT_TRUE(json_object_object_get_ex(v0, "outputs", &out));
	ASSERT_TRUE(json_object_object_get_ex(out, "device_id", &s));
	copy = strdup(json_object_get_string(s));
	ASSERT_NE(NULL, copy);
	copy[strlen(copy) - 2] = '\0';
	json_object_object_add(out, "device_id", json_object_new_string(copy));
	free(copy);
	refused(_metadata, json_object_to_json_string(doc),
		"vector 0: outputs.device_id");
	/* an unknown output field */
	json_object_object_add(out, "device_id_2", json_object_new_string("00"));
	refused(_metadata, json_object_to_json_string(doc), "device_id");
	json_object_put(doc);

	/* a document cut short, and an empty list left open */
	len = strlen(self->text);
	copy = strndup(self->text, len / 3);
	ASSERT_NE(NULL, copy);
	refused(_metadata, copy, "JSON");
	free(copy);
	refused(_metadata, "{\"profile\": \"CPNS-KA-1\", \"vectors\": [",
		"JSON");
}

TEST_F_TIMEOUT(kat, kat_needs_cap_net_admin, 300)
{
	struct cpns_kat_output got;
	struct cpns_nl *nl;

	ASSERT_EQ(0, tu_drop_net_admin());
	nl = cpns_open_family(CPNS_KAT_GENL_NAME);
	ASSERT_NE(NULL, nl) TH_LOG("%s (cpns_kat.ko): %s", CPNS_KAT_GENL_NAME,
				   strerror(errno));
	EXPECT_EQ(-EPERM, cpns_kat(nl, &self->vs->v[0].in, &got))
		TH_LOG("%s", cpns_last_error(nl));
	cpns_close(nl);
}

TEST_HARNESS_MAIN
