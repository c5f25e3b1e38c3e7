// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The vectors.json parser: a good document, then each malformed case; then
 * the extensions' files (vectors.h): each parses, its comparison finds a
 * changed field, and malformed copies are refused naming the field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cpns.h"
#include "tap.h"
#include "vectors.h"

/* Vector 0 of shared/spec/vectors.json. */
static const char good[] =
	"{\n"
	" \"profile\": \"CPNS-KA-1\",\n"
	" \"vectors\": [\n"
	"  {\n"
	"   \"inputs\": {\n"
	"    \"key_seed\": \"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\",\n"
	"    \"seed_id\": \"0001020304050607\",\n"
	"    \"request_nonce\": \"11111111111111111111111111111111\",\n"
	"    \"challenge\": \"22222222222222222222222222222222\",\n"
	"    \"client_nonce\": \"33333333333333333333333333333333\",\n"
	"    \"server_nonce\": \"44444444444444444444444444444444\"\n"
	"   },\n"
	"   \"outputs\": {\n"
	"    \"seed_auth_key\": \"213056aac7dc9e00e8e2c8a98b790d56638665a47cc68492d68658ec49962a75\",\n"
	"    \"assign_request_mac\": \"d47db2c8cc732422ab1f7ad51ffaf20be99fdf03292bca8bdb895f1e76dd70ed\",\n"
	"    \"assign_challenge_mac\": \"54c5fd7b39c64af9efc97878226d1db48b3b4cf890efefc37028f7fa9d858073\",\n"
	"    \"device_id\": \"00010203040506076db3d4072ebbba20\",\n"
	"    \"device_key\": \"bb09cdd6845d20f3fd89f1b2f5d061a72559ea0c5fce747aab4ec30fe2248cb8\",\n"
	"    \"assign_confirm\": \"75f3908f1f81826757c60565f5a85cb45e045ab3a9b3c0bbace5c5dd86c5b2a4\",\n"
	"    \"auth_client_mac\": \"5db40dbd244c4636cf713f60e677e35388868eaf4620a7a890442ee05ad0677c\",\n"
	"    \"auth_server_mac\": \"c72ddf85389cdc117b54e2a922ee695a69a0c49adc2b7bb005f2edca6c815b9e\",\n"
	"    \"session_key_c2s\": \"cc5cc4f503b2783e89fde9244ef84951f4e3ec0e0fe5a91fdc8823d051ded7e4\",\n"
	"    \"session_key_s2c\": \"97b91bd0ad32a7722977035a8adef1c8868b42d13334ac530775f6c2dc90f154\",\n"
	"    \"aead\": [\n"
	"     {\n"
	"      \"key\": \"session_key_c2s\",\n"
	"      \"seq\": 0,\n"
	"      \"aad\": \"63706e732d7369676e616c\",\n"
	"      \"plaintext\": \"7374617475733a206f6e6c696e65\",\n"
	"      \"sealed\": \"ff757c355871e64de5e474e777bb5b05624fde4dbaf0fd1f53339c71b53d\"\n"
	"     },\n"
	"     {\n"
	"      \"key\": \"session_key_c2s\",\n"
	"      \"seq\": 1,\n"
	"      \"aad\": \"63706e732d7369676e616c\",\n"
	"      \"plaintext\": \"7374617475733a206f6e6c696e65\",\n"
	"      \"sealed\": \"df67a5dddedd67485fa41c9239ed47cb23d0fcb52f0c8261826b765042ce\"\n"
	"     },\n"
	"     {\n"
	"      \"key\": \"session_key_c2s\",\n"
	"      \"seq\": 4294967301,\n"
	"      \"aad\": \"63706e732d7369676e616c\",\n"
	"      \"plaintext\": \"7374617475733a206f6e6c696e65\",\n"
	"      \"sealed\": \"309616f0b2aa77329c094dfe0633f29b2bb4c902c326d3913fe65d03b8c5\"\n"
	"     }\n"
	"    ]\n"
	"   }\n"
	"  }\n"
	" ]\n"
	"}\n"
	;

/* The node at a path like "vectors/0/outputs/aead/1/seq" (NULL if none). */
static json_object *at(json_object *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok && o;
	     tok = strtok_r(NULL, "/", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(o, tok, &o))
			return NULL;
	}
	return o;
}

/* Split "a/b/c" into the parent "a/b" and the key "c". */
static json_object *parent(json_object *doc, const char *path,
			   const char **key)
{
	static char buf[128];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (!slash) {
		*key = path;
		return doc;
	}
	*slash = '\0';
	*key = path + (slash - buf) + 1;
	return at(doc, buf);
}

/* good with path set to value (NULL: deleted), serialised. */
static char *mutate(const char *path, json_object *value)
{
	json_object *doc = json_tokener_parse(good), *p;
	const char *key;
	char *s;

	p = parent(doc, path, &key);
	if (json_object_is_type(p, json_type_array))
		json_object_array_put_idx(p, (size_t)atoi(key), value);
	else if (value)
		json_object_object_add(p, key, value);
	else
		json_object_object_del(p, key);
	s = strdup(json_object_to_json_string(doc));
	json_object_put(doc);
	return s;
}

static void bad(const char *name, const char *text, const char *want)
{
	struct cpns_vectors *vs = NULL;
	char err[256] = "";
	int ret = cpns_vectors_parse(text, &vs, err, sizeof(err));

	if (!tap_ok(ret == -EINVAL && strstr(err, want),
		    "vectors: %s is refused naming \"%s\"", name, want))
		tap_diag("returned %d, error \"%s\"", ret, err);
	if (!ret)
		cpns_vectors_free(vs);
}

static void bad_mut(const char *name, const char *path, json_object *value,
		    const char *want)
{
	char *text = mutate(path, value);

	bad(name, text, want);
	free(text);
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_good(void)
{
	static const uint8_t did[] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x6d, 0xb3, 0xd4, 0x07, 0x2e, 0xbb, 0xba, 0x20,
	};
	struct cpns_vectors *vs;
	const struct cpns_vector *v;
	char err[256] = "";
	int ret = cpns_vectors_parse(good, &vs, err, sizeof(err));

	if (!tap_ok(!ret && vs->n == 1, "vectors: good document parses")) {
		tap_diag("returned %d: %s", ret, err);
		return;
	}
	v = &vs->v[0];
	tap_ok(v->in.key_seed[0] == 0x00 && v->in.key_seed[31] == 0x1f &&
	       v->in.seed_id[7] == 0x07 && v->in.server_nonce[15] == 0x44,
	       "vectors: inputs decoded");
	tap_ok(!memcmp(v->want.device_id, did, sizeof(did)) &&
	       v->want.session_key_s2c[31] == 0x54,
	       "vectors: outputs decoded");
	tap_ok(v->in.naead == 3 && v->want.naead == 3,
	       "vectors: three AEAD entries");
	tap_ok(v->in.aead[2].seq == 4294967301ULL &&
	       v->want.aead[2].seq == 4294967301ULL,
	       "vectors: a sequence number above 2^32 is kept");
	tap_ok(v->in.aead[0].dir == CPNS_DIR_C2S &&
	       v->in.aead[0].aad_len == 11 &&
	       !memcmp(v->in.aead[0].aad, "cpns-signal", 11) &&
	       v->in.aead[0].pt_len == 14 &&
	       !memcmp(v->in.aead[0].pt, "status: online", 14),
	       "vectors: AEAD inputs decoded");
	tap_ok(v->want.aead[0].len == 30 && v->want.aead[0].data[0] == 0xff &&
	       v->want.aead[0].data[29] == 0x3d,
	       "vectors: sealed output decoded");
	cpns_vectors_free(vs);
}

struct seen {
	int calls, bad;
	char last_bad[32];
	int last_bad_aead;
};

static void note(const char *field, int aead, bool ok, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	if (!ok) {
		s->bad++;
		snprintf(s->last_bad, sizeof(s->last_bad), "%s", field);
		s->last_bad_aead = aead;
	}
}

static void test_check(void)
{
	struct cpns_vectors *vs;
	struct cpns_kat_output got;
	struct seen s;
	const uint8_t *p;
	size_t i, len;

	if (cpns_vectors_parse(good, &vs, NULL, 0)) {
		tap_ok(false, "vectors: parse for kat_check");
		return;
	}
	got = vs->v[0].want;
	for (i = 0; i < got.naead; i++) {
		got.aead[i].data = malloc(got.aead[i].len);
		memcpy(got.aead[i].data, vs->v[0].want.aead[i].data,
		       got.aead[i].len);
	}
	memset(&s, 0, sizeof(s));
	tap_ok(cpns_kat_check(&vs->v[0].want, &got, note, &s) == 0 &&
	       s.calls == 13 && s.bad == 0,
	       "kat_check: equal outputs match in 13 checks (%d)", s.calls);

	got.auth_client_mac[5] ^= 1;
	memset(&s, 0, sizeof(s));
	tap_ok(cpns_kat_check(&vs->v[0].want, &got, note, &s) == 1 &&
	       !strcmp(s.last_bad, "auth_client_mac") && s.last_bad_aead < 0,
	       "kat_check: a changed MAC is reported by name");
	got.auth_client_mac[5] ^= 1;

	got.aead[1].data[0] ^= 0x80;
	memset(&s, 0, sizeof(s));
	tap_ok(cpns_kat_check(&vs->v[0].want, &got, note, &s) == 1 &&
	       !strcmp(s.last_bad, "sealed") && s.last_bad_aead == 1,
	       "kat_check: a changed sealed entry is reported by index");
	got.aead[1].data[0] ^= 0x80;

	got.aead[2].seq++;
	memset(&s, 0, sizeof(s));
	tap_ok(cpns_kat_check(&vs->v[0].want, &got, note, &s) == 1 &&
	       s.last_bad_aead == 2, "kat_check: a wrong echoed seq fails");
	got.aead[2].seq--;

	got.naead = 2;
	memset(&s, 0, sizeof(s));
	tap_ok(cpns_kat_check(&vs->v[0].want, &got, note, &s) == 2,
	       "kat_check: a missing AEAD entry fails");
	got.naead = 3;

	p = cpns_kat_field(&got, "device_key", &len);
	tap_ok(p == got.device_key && len == 32 &&
	       !cpns_kat_field(&got, "nonsense", NULL),
	       "kat_field: finds fields by JSON name");
	cpns_kat_output_clear(&got);
	cpns_vectors_free(vs);
}

static void test_shared_file(void)
{
	const char *path = getenv("CPNS_VECTORS");
	struct cpns_vectors *vs;
	char err[256] = "", def[512];
	FILE *f;
	int ret;

	if (!path) {
		snprintf(def, sizeof(def), "%s/../../shared/spec/vectors.json",
			 CPNS_SRCDIR);
		path = def;
	}
	f = fopen(path, "r");
	if (!f) {
		tap_skip("no shared/spec/vectors.json", "vectors: shared file");
		return;
	}
	fclose(f);
	ret = cpns_vectors_load(path, &vs, err, sizeof(err));
	if (!tap_ok(!ret && vs->n >= 1, "vectors: shared file parses")) {
		tap_diag("%s", err);
		return;
	}
	tap_diag("%zu vectors in %s", vs->n, path);
	cpns_vectors_free(vs);

	ret = cpns_vectors_load("/nonexistent/v.json", &vs, err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "/nonexistent/v.json"),
	       "vectors: a missing file is named in the error");
}

/* ---- The extensions' files ---------------------------------------- */

static char *ext_path(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/../Documentation/%s", CPNS_SRCDIR,
		 name);
	return buf;
}

struct ext_notes {
	int calls, bad;
	char last_bad[64];
	char last_want[128];
};

static void ext_note(const char *field, int aead, bool ok, const char *want,
		     const char *got, void *arg)
{
	struct ext_notes *n = arg;

	(void)got;
	n->calls++;
	if (!ok) {
		n->bad++;
		snprintf(n->last_bad, sizeof(n->last_bad), "%s%s%d", field,
			 aead >= 0 ? "#" : "", aead >= 0 ? aead : 0);
		snprintf(n->last_want, sizeof(n->last_want), "%s",
			 want ? want : "");
	}
}

/* Copy want into got as a kernel reply would be (AEAD buffers too). */
static void ext_copy(struct cpns_katx_out *got,
		     const struct cpns_katx_out *want)
{
	size_t i;

	*got = *want;
	if (want->kind != CPNS_VEC_REKEY)
		return;
	for (i = 0; i < want->u.rekey.naead; i++) {
		const struct cpns_kat_aead_out *a = &want->u.rekey.aead[i];

		got->u.rekey.aead[i].data = malloc(a->len);
		memcpy(got->u.rekey.aead[i].data, a->data, a->len);
	}
}

static void ext_file(const char *name, enum cpns_vec_kind kind,
		     int per_vector)
{
	struct cpns_vecfile *vf = NULL;
	struct cpns_katx_out got;
	struct ext_notes n = { 0 };
	char err[256] = "";
	int ret, want_calls;

	ret = cpns_vecfile_load(ext_path(name), &vf, err, sizeof(err));
	if (!tap_ok(!ret && vf->kind == kind && vf->n >= 1,
		    "vectors: %s parses as %s", name, cpns_vec_profile(kind))) {
		tap_diag("returned %d: %s", ret, err);
		if (!ret)
			cpns_vecfile_free(vf);
		return;
	}
	want_calls = per_vector;
	if (kind == CPNS_VEC_REKEY)
		want_calls += (int)vf->v[0].want.u.rekey.naead;
	ext_copy(&got, &vf->v[0].want);
	ret = cpns_katx_check(&vf->v[0].want, &got, ext_note, &n);
	tap_ok(ret == 0 && n.calls == want_calls && !n.bad,
	       "vectors: %s: a copy of vector 0 matches, %d fields compared",
	       name, want_calls);

	/* One changed byte, in the field the kind is most about. */
	memset(&n, 0, sizeof(n));
	switch (kind) {
	case CPNS_VEC_XFER:
		got.u.xfer.wrapped[47] ^= 1;
		ret = cpns_katx_check(&vf->v[0].want, &got, ext_note, &n);
		tap_ok(ret == 1 && !strcmp(n.last_bad, "wrapped0"),
		       "vectors: %s: a changed wrapped key is a mismatch", name);
		got.u.xfer.wrapped[47] ^= 1;
		got.u.xfer.receiver_code++;
		memset(&n, 0, sizeof(n));
		ret = cpns_katx_check(&vf->v[0].want, &got, ext_note, &n);
		tap_ok(ret == 1 && !strcmp(n.last_bad, "receiver.code0"),
		       "vectors: %s: the receiver's code is compared with code",
		       name);
		break;
	case CPNS_VEC_REKEY:
		got.u.rekey.aead[0].data[0] ^= 1;
		ret = cpns_katx_check(&vf->v[0].want, &got, ext_note, &n);
		tap_ok(ret == 1 && !strcmp(n.last_bad, "sealed#0"),
		       "vectors: %s: a changed sealed record is a mismatch",
		       name);
		got.u.rekey.aead[0].data[0] ^= 1;
		got.u.rekey.naead = 0;
		memset(&n, 0, sizeof(n));
		ret = cpns_katx_check(&vf->v[0].want, &got, ext_note, &n);
		got.u.rekey.naead = vf->v[0].want.u.rekey.naead;
		tap_ok(ret == 2 && !strcmp(n.last_bad, "aead_count0"),
		       "vectors: %s: a missing AEAD entry is a mismatch", name);
		break;
	case CPNS_VEC_STORE:
		got.u.store.blob_len--;
		ret = cpns_katx_check(&vf->v[0].want, &got, ext_note, &n);
		tap_ok(ret == 1 && !strcmp(n.last_bad, "blob0"),
		       "vectors: %s: a shorter blob is a mismatch", name);
		got.u.store.blob_len++;
		got.u.store.unwrapped.state++;
		memset(&n, 0, sizeof(n));
		ret = cpns_katx_check(&vf->v[0].want, &got, ext_note, &n);
		tap_ok(ret == 1 && !strcmp(n.last_bad, "unwrapped.state0") &&
		       n.last_want[0] >= '1' && n.last_want[0] <= '5',
		       "vectors: %s: unwrapped metadata is compared (as numbers)",
		       name);
		break;
	case CPNS_VEC_PROFILE:
		break;
	}
	cpns_katx_out_clear(&got);
	cpns_vecfile_free(vf);
}

/* The file name, with path in its JSON set to value (NULL: deleted). */
static char *ext_mutate(const char *name, const char *path,
			json_object *value)
{
	json_object *doc = json_object_from_file(ext_path(name)), *p;
	const char *key;
	char *s;

	if (!doc)
		return strdup("");
	p = parent(doc, path, &key);
	if (!p)
		s = strdup("");
	else {
		if (json_object_is_type(p, json_type_array))
			json_object_array_put_idx(p, (size_t)atoi(key), value);
		else if (value)
			json_object_object_add(p, key, value);
		else
			json_object_object_del(p, key);
		s = strdup(json_object_to_json_string(doc));
	}
	json_object_put(doc);
	return s;
}

static void ext_bad(const char *name, const char *path, json_object *value,
		    const char *want)
{
	struct cpns_vecfile *vf = NULL;
	char *text = ext_mutate(name, path, value);
	char err[256] = "";
	int ret = cpns_vecfile_parse(text, &vf, err, sizeof(err));

	if (!tap_ok(ret == -EINVAL && strstr(err, want),
		    "vectors: %s with %s changed is refused naming \"%s\"",
		    name, path, want))
		tap_diag("returned %d, error \"%s\"", ret, err);
	if (!ret)
		cpns_vecfile_free(vf);
	free(text);
}

static void test_ext(void)
{
	struct cpns_vecfile *vf = NULL;
	char err[256] = "";
	int ret;

	ext_file("xfer-vectors.json", CPNS_VEC_XFER, 8);
	ext_file("rekey-vectors.json", CPNS_VEC_REKEY, 8);
	ext_file("store-vectors.json", CPNS_VEC_STORE, 9);

	/* A profile document through the same loader. */
	ret = cpns_vecfile_parse(good, &vf, err, sizeof(err));
	tap_ok(!ret && vf->kind == CPNS_VEC_PROFILE && vf->n == 1 &&
	       vf->profile && vf->profile->v[0].in.naead == 3,
	       "vectors: the loader of every kind takes a profile document");
	if (!ret)
		cpns_vecfile_free(vf);

	/* The values the module's self-test knows (xfer vector 3, device). */
	ret = cpns_vecfile_load(ext_path("xfer-vectors.json"), &vf, err,
				sizeof(err));
	if (!ret && vf->n >= 4) {
		tap_ok(vf->v[3].in.u.xfer.key_kind == CPNS_KEY_DEVICE &&
		       vf->v[3].in.u.xfer.id_len == CPNS_DEVICE_ID_LEN &&
		       vf->v[3].want.u.xfer.code == 561359 &&
		       vf->v[3].want.u.xfer.receiver_code == 561359 &&
		       !memcmp(vf->v[3].want.u.xfer.receiver_key,
			       vf->v[3].in.u.xfer.key, CPNS_KEY_LEN),
		       "vectors: xfer vector 3 is the module's self-test vector");
	} else {
		tap_ok(false, "vectors: xfer vector 3 is the module's self-test vector");
	}
	if (!ret)
		cpns_vecfile_free(vf);

	ext_bad("xfer-vectors.json", "vectors/0/inputs/kind",
		json_object_new_string("seedling"),
		"vector 0: inputs.kind: unknown value \"seedling\"");
	ext_bad("xfer-vectors.json", "vectors/1/outputs/code",
		json_object_new_int(1000000),
		"vector 1: outputs.code: out of range");
	ext_bad("xfer-vectors.json", "vectors/0/inputs/id",
		json_object_new_string("00010203040506070001020304050607"),
		"vector 0: inputs.id: expected 16 hex digits (8 bytes)");
	ext_bad("xfer-vectors.json", "vectors/0/inputs/pair_key",
		json_object_new_string("0011"),
		"vector 0: inputs.pair_key: 2 bytes, at least 32 needed");
	ext_bad("xfer-vectors.json", "vectors/0/outputs/pair_mac", NULL,
		"vector 0: outputs.pair_mac: missing");
	ext_bad("rekey-vectors.json", "vectors/1/outputs/aead/0/key",
		json_object_new_string("device_key"),
		"vector 1: outputs.aead[0].key");
	ext_bad("rekey-vectors.json", "vectors/0/inputs/generation",
		json_object_new_int(-1),
		"vector 0: inputs.generation: out of range");
	ext_bad("rekey-vectors.json", "vectors/0/outputs/new_generation",
		json_object_new_string("1"),
		"vector 0: outputs.new_generation: expected an integer");
	ext_bad("rekey-vectors.json", "vectors/0/outputs/shared",
		json_object_new_string("00"),
		"vector 0: outputs: unknown field \"shared\"");
	ext_bad("store-vectors.json", "vectors/2/inputs/state",
		json_object_new_string("lost"),
		"vector 2: inputs.state: unknown value \"lost\"");
	ext_bad("store-vectors.json", "vectors/0/inputs/label",
		json_object_new_string("00000000000000000000000000000000"
				       "00000000000000000000000000000000"
				       "00000000000000000000000000000000"
				       "0000000000000000000000000000000000"),
		"vector 0: inputs.label: 65 bytes, at most 64");
	ext_bad("store-vectors.json", "vectors/0/inputs/expiry",
		json_object_new_string("never"),
		"vector 0: inputs.expiry: expected an integer");
	ext_bad("store-vectors.json", "vectors/0/extra",
		json_object_new_string("x"),
		"vector 0: vector: unknown field \"extra\"");
	ext_bad("store-vectors.json", "profile",
		json_object_new_string("CPNS-KA-1-STOR"),
		"profile: \"CPNS-KA-1-STOR\" is none of");
	ext_bad("store-vectors.json", "vectors", json_object_new_array(),
		"vectors: empty list");
}

int main(void)
{
	json_object *list;
	char *text, *s;
	int i;

	test_good();
	test_check();
	test_shared_file();
	test_ext();

	bad_mut("missing input", "vectors/0/inputs/challenge", NULL,
		"vector 0: inputs.challenge: missing");
	bad_mut("short output", "vectors/0/outputs/device_id",
		json_object_new_string("00010203"),
		"vector 0: outputs.device_id: expected 32 hex digits (16 bytes), got 8");
	s = repeat('0', 64);
	s[63] = 'g';
	bad_mut("bad hex digit", "vectors/0/inputs/key_seed",
		json_object_new_string(s),
		"vector 0: inputs.key_seed: character 64 is not a hex digit");
	free(s);
	bad_mut("hex as a number", "vectors/0/inputs/seed_id",
		json_object_new_int(7),
		"vector 0: inputs.seed_id: expected a string");
	bad_mut("unknown output", "vectors/0/outputs/extra",
		json_object_new_string("00"),
		"vector 0: outputs: unknown field \"extra\"");
	bad_mut("unknown input", "vectors/0/inputs/pepper",
		json_object_new_string("00"),
		"vector 0: inputs: unknown field \"pepper\"");
	bad_mut("unknown vector field", "vectors/0/comment",
		json_object_new_string("x"),
		"vector 0: vector: unknown field \"comment\"");
	bad_mut("unknown top-level field", "comment",
		json_object_new_string("x"),
		"document: unknown field \"comment\"");
	bad_mut("negative seq", "vectors/0/outputs/aead/1/seq",
		json_object_new_int(-1),
		"vector 0: outputs.aead[1].seq: negative");
	bad_mut("seq as a string", "vectors/0/outputs/aead/1/seq",
		json_object_new_string("1"),
		"vector 0: outputs.aead[1].seq: expected an integer");
	bad_mut("unknown AEAD key", "vectors/0/outputs/aead/0/key",
		json_object_new_string("device_key"),
		"vector 0: outputs.aead[0].key: \"device_key\" is neither");
	bad_mut("short sealed", "vectors/0/outputs/aead/2/sealed",
		json_object_new_string("00"),
		"vector 0: outputs.aead[2].sealed: expected 60 hex digits (30 bytes), got 2");
	bad_mut("odd aad", "vectors/0/outputs/aead/0/aad",
		json_object_new_string("abc"),
		"vector 0: outputs.aead[0].aad: odd number of hex digits");
	bad_mut("missing plaintext", "vectors/0/outputs/aead/0/plaintext", NULL,
		"vector 0: outputs.aead[0].plaintext: missing");
	bad_mut("unknown AEAD field", "vectors/0/outputs/aead/0/nonce",
		json_object_new_string("00"),
		"vector 0: outputs.aead[0]: unknown field \"nonce\"");
	bad_mut("AEAD entry not an object", "vectors/0/outputs/aead/0",
		json_object_new_string("x"),
		"vector 0: outputs.aead[0]: expected an object");
	bad_mut("missing aead list", "vectors/0/outputs/aead", NULL,
		"vector 0: outputs.aead: missing");
	s = repeat('a', 2 * (CPNS_MAX_PLAINTEXT + 1));
	bad_mut("plaintext over the limit", "vectors/0/outputs/aead/0/plaintext",
		json_object_new_string(s),
		"vector 0: outputs.aead[0].plaintext: 16385 bytes, at most 16384");
	free(s);
	bad_mut("wrong profile", "profile", json_object_new_string("X"),
		"profile: \"X\", expected \"CPNS-KA-1\"");
	bad_mut("missing profile", "profile", NULL,
		"document.profile: missing");
	bad_mut("empty vector list", "vectors", json_object_new_array(),
		"vectors: empty list");
	bad_mut("inputs not an object", "vectors/0/inputs",
		json_object_new_string("x"),
		"vector 0: vector.inputs: expected an object");

	list = json_object_new_array();
	for (i = 0; i <= CPNS_MAX_KAT_AEAD; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "key",
				       json_object_new_string("session_key_s2c"));
		json_object_object_add(e, "seq", json_object_new_int(i));
		json_object_object_add(e, "aad", json_object_new_string(""));
		json_object_object_add(e, "plaintext",
				       json_object_new_string(""));
		json_object_object_add(e, "sealed", json_object_new_string(
			"00112233445566778899aabbccddeeff"));
		json_object_array_add(list, e);
	}
	bad_mut("too many AEAD entries", "vectors/0/outputs/aead", list,
		"vector 0: outputs.aead: 17 entries, at most 16");

	/* The second vector is named when it is the broken one. */
	text = mutate("vectors/1", json_tokener_parse(
		"{\"inputs\": {}, \"outputs\": {}}"));
	bad("error in the second vector", text,
	    "vector 1: inputs.key_seed: missing");
	free(text);

	bad("truncated JSON", "{\"profile\": ", "JSON: unexpected end of input");
	bad("trailing data", "{} x", "JSON: trailing data at byte 3");
	bad("not an object", "[1]", "document: expected an object");
	bad("empty input", "", "JSON: unexpected end of input");
	return tap_done();
}
