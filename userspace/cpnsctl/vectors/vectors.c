// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Strict parsers of known-answer files: the profile's vectors.json
 * (shared/spec/vectors.json) and the extensions' Documentation/
 * {xfer,rekey,store}-vectors.json (vectors.h): every field present, none
 * unknown, hex of the exact length. Errors name the vector and the field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"
#include "vectors.h"

#define CPNS_PROFILE cpns_vec_profile(CPNS_VEC_PROFILE)
#define MAX_FILE (16u << 20)

struct pctx {
	char *err;
	size_t errlen;
	long vec;		/* vector index, -1 outside the list */
};

static int fail(struct pctx *pc, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct pctx *pc, const char *field, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!pc->err || !pc->errlen)
		return -EINVAL;
	if (pc->vec >= 0)
		snprintf(pc->err, pc->errlen, "vector %ld: %s: %s", pc->vec,
			 field, msg);
	else
		snprintf(pc->err, pc->errlen, "%s: %s", field, msg);
	return -EINVAL;
}

/* Refuse fields of obj that are not in names (NULL-terminated). */
static int only(struct pctx *pc, const char *field, json_object *obj,
		const char *const *names)
{
	json_object_iter it;

	json_object_object_foreachC(obj, it) {
		const char *const *n;

		for (n = names; *n; n++)
			if (!strcmp(*n, it.key))
				break;
		if (!*n)
			return fail(pc, field, "unknown field \"%s\"", it.key);
	}
	return 0;
}

static int get(struct pctx *pc, const char *field, json_object *obj,
	       const char *name, json_type type, json_object **out)
{
	char path[96];

	snprintf(path, sizeof(path), "%s.%s", field, name);
	if (!json_object_object_get_ex(obj, name, out))
		return fail(pc, path, "missing");
	if (!json_object_is_type(*out, type))
		return fail(pc, path, "expected a%s %s",
			    type == json_type_object || type == json_type_array
			    || type == json_type_int ? "n" : "",
			    type == json_type_object ? "object" :
			    type == json_type_array ? "array" :
			    type == json_type_int ? "integer" : "string");
	return 0;
}

static int check_hex(struct pctx *pc, const char *path, const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return fail(pc, path,
				    "character %zu is not a hex digit", i + 1);
	}
	if (i % 2)
		return fail(pc, path, "odd number of hex digits (%zu)", i);
	return 0;
}

/* A fixed-length hex field. */
static int hex_fixed(struct pctx *pc, const char *field, json_object *obj,
		     const char *name, void *out, size_t len)
{
	json_object *v;
	char path[96];
	const char *s;
	int ret = get(pc, field, obj, name, json_type_string, &v);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s.%s", field, name);
	s = json_object_get_string(v);
	if (strlen(s) != 2 * len)
		return fail(pc, path,
			    "expected %zu hex digits (%zu bytes), got %zu",
			    2 * len, len, strlen(s));
	ret = check_hex(pc, path, s);
	if (ret)
		return ret;
	return cpns_hex_decode(out, len, s);
}

/* A variable-length hex field of at most max bytes, into *out (malloc). */
static int hex_var(struct pctx *pc, const char *field, json_object *obj,
		   const char *name, size_t max, uint8_t **out, size_t *len)
{
	json_object *v;
	char path[96];
	const char *s;
	ssize_t n;
	int ret = get(pc, field, obj, name, json_type_string, &v);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s.%s", field, name);
	s = json_object_get_string(v);
	ret = check_hex(pc, path, s);
	if (ret)
		return ret;
	if (strlen(s) / 2 > max)
		return fail(pc, path, "%zu bytes, at most %zu allowed",
			    strlen(s) / 2, max);
	*out = malloc(strlen(s) / 2 + 1);
	if (!*out)
		return -ENOMEM;
	n = cpns_hex_decode_var(*out, max, s);
	if (n < 0) {
		free(*out);
		*out = NULL;
		return fail(pc, path, "bad hex");
	}
	*len = (size_t)n;
	return 0;
}

static const char *const aead_names[] = {
	"key", "seq", "aad", "plaintext", "sealed", NULL
};

static int parse_aead(struct pctx *pc, json_object *e, size_t i,
		      struct cpns_kat_aead_in *in,
		      struct cpns_kat_aead_out *want)
{
	char field[48];
	json_object *o;
	const char *key;
	uint8_t *aad = NULL, *pt = NULL;
	int ret;

	snprintf(field, sizeof(field), "outputs.aead[%zu]", i);
	if (!json_object_is_type(e, json_type_object))
		return fail(pc, field, "expected an object");
	ret = only(pc, field, e, aead_names);
	if (ret)
		return ret;

	ret = get(pc, field, e, "key", json_type_string, &o);
	if (ret)
		return ret;
	key = json_object_get_string(o);
	if (!strcmp(key, "session_key_c2s")) {
		in->dir = CPNS_DIR_C2S;
	} else if (!strcmp(key, "session_key_s2c")) {
		in->dir = CPNS_DIR_S2C;
	} else {
		snprintf(field + strlen(field), sizeof(field) - strlen(field),
			 ".key");
		return fail(pc, field,
			    "\"%s\" is neither session_key_c2s nor session_key_s2c",
			    key);
	}
	want->dir = in->dir;

	ret = get(pc, field, e, "seq", json_type_int, &o);
	if (ret)
		return ret;
	if (json_object_get_int64(o) < 0) {
		snprintf(field + strlen(field), sizeof(field) - strlen(field),
			 ".seq");
		return fail(pc, field, "negative");
	}
	in->seq = json_object_get_uint64(o);
	want->seq = in->seq;

	ret = hex_var(pc, field, e, "aad", CPNS_MAX_AAD, &aad, &in->aad_len);
	if (ret)
		return ret;
	in->aad = aad;
	ret = hex_var(pc, field, e, "plaintext", CPNS_MAX_PLAINTEXT, &pt,
		      &in->pt_len);
	if (ret)
		return ret;
	in->pt = pt;
	want->data = malloc(in->pt_len + CPNS_TAG_LEN);
	if (!want->data)
		return -ENOMEM;
	want->len = in->pt_len + CPNS_TAG_LEN;
	return hex_fixed(pc, field, e, "sealed", want->data, want->len);
}

/* outputs.aead: the list; *nin and *nwant count the entries to free. */
static int parse_aead_list(struct pctx *pc, json_object *out, size_t *nin,
			   struct cpns_kat_aead_in *in, size_t *nwant,
			   struct cpns_kat_aead_out *want)
{
	json_object *aead;
	size_t i, n;
	int ret;

	ret = get(pc, "outputs", out, "aead", json_type_array, &aead);
	if (ret)
		return ret;
	n = json_object_array_length(aead);
	if (n > CPNS_MAX_KAT_AEAD)
		return fail(pc, "outputs.aead",
			    "%zu entries, at most %d allowed", n,
			    CPNS_MAX_KAT_AEAD);
	for (i = 0; i < n; i++) {
		/* Count first, so that the set's free frees a partial
		 * entry too. */
		*nin = i + 1;
		*nwant = i + 1;
		ret = parse_aead(pc, json_object_array_get_idx(aead, i), i,
				 &in[i], &want[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_vector(struct pctx *pc, json_object *jv,
			struct cpns_vector *v)
{
	static const char *const vec_names[] = { "inputs", "outputs", NULL };
	const char *out_names[16], *in_names[16];
	json_object *in, *out;
	size_t i;
	int ret;

	if (!json_object_is_type(jv, json_type_object))
		return fail(pc, "vector", "expected an object");
	ret = only(pc, "vector", jv, vec_names);
	if (!ret)
		ret = get(pc, "vector", jv, "inputs", json_type_object, &in);
	if (!ret)
		ret = get(pc, "vector", jv, "outputs", json_type_object, &out);
	if (ret)
		return ret;

	if (cpns__kat_in_nfields + 1 > CPNS_ARRAY_SIZE(in_names) ||
	    cpns__kat_out_nfields + 2 > CPNS_ARRAY_SIZE(out_names))
		return -EINVAL;
	for (i = 0; i < cpns__kat_in_nfields; i++)
		in_names[i] = cpns__kat_in_fields[i].name;
	in_names[i] = NULL;
	for (i = 0; i < cpns__kat_out_nfields; i++)
		out_names[i] = cpns__kat_out_fields[i].name;
	out_names[i++] = "aead";
	out_names[i] = NULL;

	ret = only(pc, "inputs", in, in_names);
	if (ret)
		return ret;
	for (i = 0; i < cpns__kat_in_nfields; i++) {
		const struct cpns_kat_field *f = &cpns__kat_in_fields[i];

		ret = hex_fixed(pc, "inputs", in, f->name,
				(uint8_t *)&v->in + f->off, f->len);
		if (ret)
			return ret;
	}
	ret = only(pc, "outputs", out, out_names);
	if (ret)
		return ret;
	for (i = 0; i < cpns__kat_out_nfields; i++) {
		const struct cpns_kat_field *f = &cpns__kat_out_fields[i];

		ret = hex_fixed(pc, "outputs", out, f->name,
				(uint8_t *)&v->want + f->off, f->len);
		if (ret)
			return ret;
	}
	return parse_aead_list(pc, out, &v->in.naead, v->in.aead,
			       &v->want.naead, v->want.aead);
}

void cpns_vectors_free(struct cpns_vectors *vs)
{
	size_t i, j;

	if (!vs)
		return;
	for (i = 0; i < vs->n; i++) {
		struct cpns_vector *v = &vs->v[i];

		for (j = 0; j < v->in.naead; j++) {
			free((void *)v->in.aead[j].aad);
			free((void *)v->in.aead[j].pt);
		}
		cpns_kat_output_clear(&v->want);
		explicit_bzero(&v->in, sizeof(v->in));
	}
	free(vs->v);
	free(vs->profile);
	free(vs);
}

static int parse_doc(struct pctx *pc, json_object *doc,
		     struct cpns_vectors *vs)
{
	static const char *const top_names[] = { "profile", "vectors", NULL };
	json_object *o, *list;
	size_t i, n;
	int ret;

	if (!json_object_is_type(doc, json_type_object))
		return fail(pc, "document", "expected an object");
	ret = only(pc, "document", doc, top_names);
	if (!ret)
		ret = get(pc, "document", doc, "profile", json_type_string, &o);
	if (ret)
		return ret;
	if (strcmp(json_object_get_string(o), CPNS_PROFILE))
		return fail(pc, "profile", "\"%s\", expected \"%s\"",
			    json_object_get_string(o), CPNS_PROFILE);
	vs->profile = strdup(CPNS_PROFILE);
	if (!vs->profile)
		return -ENOMEM;
	ret = get(pc, "document", doc, "vectors", json_type_array, &list);
	if (ret)
		return ret;
	n = json_object_array_length(list);
	if (!n)
		return fail(pc, "vectors", "empty list");
	vs->v = calloc(n, sizeof(*vs->v));
	if (!vs->v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		vs->n = i + 1;
		pc->vec = (long)i;
		ret = parse_vector(pc, json_object_array_get_idx(list, i),
				   &vs->v[i]);
		if (ret)
			return ret;
	}
	pc->vec = -1;
	return 0;
}

/* Parse text as one JSON document and nothing after it. */
static int parse_json(struct pctx *pc, const char *text, json_object **doc)
{
	struct json_tokener *tok;
	size_t len = strlen(text), end;
	int ret;

	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	*doc = json_tokener_parse_ex(tok, text, (int)len);
	if (!*doc) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		if (je == json_tokener_continue)
			ret = fail(pc, "JSON", "unexpected end of input");
		else
			ret = fail(pc, "JSON", "%s at byte %zu",
				   json_tokener_error_desc(je),
				   json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return ret;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(*doc);
			*doc = NULL;
			return fail(pc, "JSON", "trailing data at byte %zu",
				    end);
		}
	}
	return 0;
}

int cpns_vectors_parse(const char *text, struct cpns_vectors **out,
		       char *err, size_t errlen)
{
	struct pctx pc = { .err = err, .errlen = errlen, .vec = -1 };
	struct cpns_vectors *vs;
	json_object *doc;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	ret = parse_json(&pc, text, &doc);
	if (ret)
		return ret;
	vs = calloc(1, sizeof(*vs));
	if (!vs) {
		json_object_put(doc);
		return -ENOMEM;
	}
	ret = parse_doc(&pc, doc, vs);
	json_object_put(doc);
	if (ret) {
		if (ret == -ENOMEM)
			fail(&pc, "vectors", "out of memory");
		cpns_vectors_free(vs);
		return ret;
	}
	*out = vs;
	return 0;
}

/* The whole of path ("-": standard input) in *text (malloc, NUL-ended). */
static int read_text(const char *path, char **textp, char *err,
		     size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *text = NULL;
	size_t len = 0, cap = 0, n;
	int ret;

	if (!f) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	do {
		if (cap - len < 4096) {
			char *p;

			cap = cap ? 2 * cap : 65536;
			p = cap <= MAX_FILE + 1 ? realloc(text, cap) : NULL;
			if (!p) {
				ret = cap > MAX_FILE + 1 ? -EFBIG : -ENOMEM;
				goto err;
			}
			text = p;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		ret = -EIO;
		goto err;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		ret = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	if (f != stdin)
		fclose(f);
	*textp = text;
	return 0;
err:
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
out:
	free(text);
	if (f != stdin)
		fclose(f);
	return ret;
}

/* Prefix the parser's message msg (or errno ret) with path, into err. */
static void load_error(const char *path, int ret, const char *msg,
		       char *err, size_t errlen)
{
	if (!err || !errlen)
		return;
	if (msg && msg[0])
		snprintf(err, errlen, "%s: %s", path, msg);
	else
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
}

int cpns_vectors_load(const char *path, struct cpns_vectors **out,
		      char *err, size_t errlen)
{
	char *text, *msg;
	int ret;

	ret = read_text(path, &text, err, errlen);
	if (ret)
		return ret;
	msg = err && errlen ? malloc(errlen) : NULL;
	ret = cpns_vectors_parse(text, out, msg, msg ? errlen : 0);
	if (ret)
		load_error(path, ret, msg, err, errlen);
	free(msg);
	free(text);
	return ret;
}

/* ---- The extensions' files ---------------------------------------- */


/* An integer field in [min, max]. */
static int get_int(struct pctx *pc, const char *field, json_object *obj,
		   const char *name, int64_t min, int64_t max, int64_t *out)
{
	json_object *v;
	char path[96];
	int ret = get(pc, field, obj, name, json_type_int, &v);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s.%s", field, name);
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno || *out < min || *out > max)
		return fail(pc, path, "out of range [%lld, %lld]",
			    (long long)min, (long long)max);
	return 0;
}

/* A string field naming one of names[1..] (index 0 unused): *out. */
static int get_name(struct pctx *pc, const char *field, json_object *obj,
		    const char *name, const char *const *names, size_t n,
		    uint8_t *out)
{
	json_object *v;
	char path[96];
	const char *s;
	size_t i;
	int ret = get(pc, field, obj, name, json_type_string, &v);

	if (ret)
		return ret;
	s = json_object_get_string(v);
	for (i = 1; i < n; i++) {
		if (names[i] && !strcmp(names[i], s)) {
			*out = (uint8_t)i;
			return 0;
		}
	}
	snprintf(path, sizeof(path), "%s.%s", field, name);
	return fail(pc, path, "unknown value \"%s\"", s);
}

/* A hex field of min..max bytes into out[max]. */
static int hex_into(struct pctx *pc, const char *field, json_object *obj,
		    const char *name, size_t min, size_t max, uint8_t *out,
		    size_t *len)
{
	uint8_t *buf;
	char path[96];
	int ret;

	ret = hex_var(pc, field, obj, name, max, &buf, len);
	if (ret)
		return ret;
	if (*len < min) {
		explicit_bzero(buf, *len);
		free(buf);
		snprintf(path, sizeof(path), "%s.%s", field, name);
		return fail(pc, path, "%zu bytes, at least %zu needed", *len,
			    min);
	}
	memcpy(out, buf, *len);
	explicit_bzero(buf, *len);
	free(buf);
	return 0;
}

static const char *const key_kinds[] = {
	[CPNS_KEY_SEED] = "seed", [CPNS_KEY_DEVICE] = "device",
};

static const char *const roles[] = {
	[CPNS_ROLE_SERVER] = "server", [CPNS_ROLE_GW1] = "gw1",
	[CPNS_ROLE_GW2] = "gw2",
};

static const char *const states[] = {
	[CPNS_STATE_ACTIVE] = "active", [CPNS_STATE_PENDING] = "pending",
	[CPNS_STATE_CONFIRMED] = "confirmed", [CPNS_STATE_REVOKED] = "revoked",
	[CPNS_STATE_UNCONFIRMED] = "unconfirmed",
};

static size_t id_len(uint8_t key_kind)
{
	return key_kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
					   CPNS_DEVICE_ID_LEN;
}

static int parse_xfer(struct pctx *pc, json_object *in, json_object *out,
		      struct cpns_katx *v)
{
	static const char *const in_names[] = {
		"kind", "id", "sender_secret", "receiver_secret", "key",
		"pair_key", NULL
	};
	static const char *const out_names[] = {
		"sender_public", "receiver_public", "wrapped", "code",
		"pair_mac", "receiver_mac", NULL
	};
	struct cpns_katx_xfer_in *x = &v->in.u.xfer;
	struct cpns_katx_xfer_out *w = &v->want.u.xfer;
	int64_t code;
	int ret;

	ret = only(pc, "inputs", in, in_names);
	ret = ret ?: only(pc, "outputs", out, out_names);
	ret = ret ?: get_name(pc, "inputs", in, "kind", key_kinds,
			      CPNS_ARRAY_SIZE(key_kinds), &x->key_kind);
	if (ret)
		return ret;
	x->id_len = id_len(x->key_kind);
	ret = hex_fixed(pc, "inputs", in, "id", x->id, x->id_len);
	ret = ret ?: hex_fixed(pc, "inputs", in, "sender_secret",
			       x->sender_secret, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "inputs", in, "receiver_secret",
			       x->receiver_secret, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "inputs", in, "key", x->key, CPNS_KEY_LEN);
	ret = ret ?: hex_into(pc, "inputs", in, "pair_key", 32,
			      CPNS_MAX_KAT_KEK, x->pair_key, &x->pair_key_len);
	ret = ret ?: hex_fixed(pc, "outputs", out, "sender_public",
			       w->sender_public, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "receiver_public",
			       w->receiver_public, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "wrapped", w->wrapped,
			       CPNS_WRAPPED_LEN);
	ret = ret ?: get_int(pc, "outputs", out, "code", 0, 999999, &code);
	ret = ret ?: hex_fixed(pc, "outputs", out, "pair_mac", w->pair_mac,
			       CPNS_MAC_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "receiver_mac",
			       w->receiver_mac, CPNS_MAC_LEN);
	if (ret)
		return ret;
	w->code = (uint32_t)code;
	/* The receiver gets the same code and the key that was sent. */
	w->receiver_code = w->code;
	memcpy(w->receiver_key, x->key, CPNS_KEY_LEN);
	return 0;
}

static int parse_rekey(struct pctx *pc, json_object *in, json_object *out,
		       struct cpns_katx *v)
{
	static const char *const in_names[] = {
		"device_id", "device_key", "generation", "client_nonce",
		"server_nonce", "client_secret", "server_secret", NULL
	};
	static const char *const out_names[] = {
		"client_public", "server_public", "auth_client_mac",
		"auth_server_mac", "new_generation", "new_device_key",
		"session_key_c2s", "session_key_s2c", "aead", NULL
	};
	struct cpns_katx_rekey_in *r = &v->in.u.rekey;
	struct cpns_katx_rekey_out *w = &v->want.u.rekey;
	int64_t gen, new_gen;
	int ret;

	ret = only(pc, "inputs", in, in_names);
	ret = ret ?: only(pc, "outputs", out, out_names);
	ret = ret ?: hex_fixed(pc, "inputs", in, "device_id", r->device_id,
			       CPNS_DEVICE_ID_LEN);
	ret = ret ?: hex_fixed(pc, "inputs", in, "device_key", r->device_key,
			       CPNS_KEY_LEN);
	ret = ret ?: get_int(pc, "inputs", in, "generation", 0, UINT32_MAX,
			     &gen);
	ret = ret ?: hex_fixed(pc, "inputs", in, "client_nonce",
			       r->client_nonce, CPNS_NONCE_LEN);
	ret = ret ?: hex_fixed(pc, "inputs", in, "server_nonce",
			       r->server_nonce, CPNS_NONCE_LEN);
	ret = ret ?: hex_fixed(pc, "inputs", in, "client_secret",
			       r->client_secret, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "inputs", in, "server_secret",
			       r->server_secret, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "client_public",
			       w->client_public, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "server_public",
			       w->server_public, CPNS_PUBKEY_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "auth_client_mac",
			       w->auth_client_mac, CPNS_MAC_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "auth_server_mac",
			       w->auth_server_mac, CPNS_MAC_LEN);
	ret = ret ?: get_int(pc, "outputs", out, "new_generation", 0,
			     UINT32_MAX, &new_gen);
	ret = ret ?: hex_fixed(pc, "outputs", out, "new_device_key",
			       w->new_device_key, CPNS_KEY_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "session_key_c2s",
			       w->session_key_c2s, CPNS_KEY_LEN);
	ret = ret ?: hex_fixed(pc, "outputs", out, "session_key_s2c",
			       w->session_key_s2c, CPNS_KEY_LEN);
	if (ret)
		return ret;
	r->generation = (uint32_t)gen;
	w->new_generation = (uint32_t)new_gen;
	return parse_aead_list(pc, out, &r->naead, r->aead, &w->naead,
			       w->aead);
}

static int parse_store(struct pctx *pc, json_object *in, json_object *out,
		       struct cpns_katx *v)
{
	static const char *const in_names[] = {
		"kek", "kind", "role", "state", "generation", "created",
		"expiry", "id", "salt", "label", "key", NULL
	};
	static const char *const out_names[] = { "blob", NULL };
	struct cpns_katx_store_in *st = &v->in.u.store;
	struct cpns_katx_store_out *w = &v->want.u.store;
	struct cpns_katx_stored *m = &st->meta;
	int64_t gen, created, expiry;
	int ret;

	ret = only(pc, "inputs", in, in_names);
	ret = ret ?: only(pc, "outputs", out, out_names);
	ret = ret ?: hex_into(pc, "inputs", in, "kek", 32, CPNS_MAX_KAT_KEK,
			      st->kek, &st->kek_len);
	ret = ret ?: get_name(pc, "inputs", in, "kind", key_kinds,
			      CPNS_ARRAY_SIZE(key_kinds), &m->key_kind);
	ret = ret ?: get_name(pc, "inputs", in, "role", roles,
			      CPNS_ARRAY_SIZE(roles), &m->role);
	ret = ret ?: get_name(pc, "inputs", in, "state", states,
			      CPNS_ARRAY_SIZE(states), &m->state);
	ret = ret ?: get_int(pc, "inputs", in, "generation", 0, UINT32_MAX,
			     &gen);
	ret = ret ?: get_int(pc, "inputs", in, "created", 0, INT64_MAX,
			     &created);
	ret = ret ?: get_int(pc, "inputs", in, "expiry", 0, INT64_MAX,
			     &expiry);
	if (ret)
		return ret;
	m->generation = (uint32_t)gen;
	m->created = (uint64_t)created;
	m->expiry = (uint64_t)expiry;
	m->id_len = id_len(m->key_kind);
	ret = hex_fixed(pc, "inputs", in, "id", m->id, m->id_len);
	ret = ret ?: hex_fixed(pc, "inputs", in, "salt", st->salt,
			       CPNS_VEC_SALT_LEN);
	ret = ret ?: hex_into(pc, "inputs", in, "label", 0, CPNS_MAX_LABEL,
			      st->label, &st->label_len);
	ret = ret ?: hex_fixed(pc, "inputs", in, "key", m->key, CPNS_KEY_LEN);
	ret = ret ?: hex_into(pc, "outputs", out, "blob", 1, CPNS_MAX_BLOB,
			      w->blob, &w->blob_len);
	if (ret)
		return ret;
	/* Unwrapping the blob gives back what was wrapped. */
	w->unwrapped = *m;
	return 0;
}

static int parse_katx(struct pctx *pc, enum cpns_vec_kind kind,
		      json_object *jv, struct cpns_katx *v)
{
	static const char *const vec_names[] = {
		"name", "inputs", "outputs", "intermediate", NULL
	};
	json_object *in, *out, *o;
	int ret;

	v->in.kind = kind;
	v->want.kind = kind;
	if (!json_object_is_type(jv, json_type_object))
		return fail(pc, "vector", "expected an object");
	ret = only(pc, "vector", jv, vec_names);
	ret = ret ?: get(pc, "vector", jv, "inputs", json_type_object, &in);
	ret = ret ?: get(pc, "vector", jv, "outputs", json_type_object, &out);
	if (ret)
		return ret;
	if (json_object_object_get_ex(jv, "name", &o)) {
		if (!json_object_is_type(o, json_type_string))
			return fail(pc, "vector.name", "expected a string");
		v->name = strdup(json_object_get_string(o));
		if (!v->name)
			return -ENOMEM;
	}
	if (json_object_object_get_ex(jv, "intermediate", &o) &&
	    !json_object_is_type(o, json_type_object))
		return fail(pc, "vector.intermediate", "expected an object");

	switch (kind) {
	case CPNS_VEC_XFER:
		return parse_xfer(pc, in, out, v);
	case CPNS_VEC_REKEY:
		return parse_rekey(pc, in, out, v);
	case CPNS_VEC_STORE:
		return parse_store(pc, in, out, v);
	case CPNS_VEC_PROFILE:
		break;
	}
	return -EINVAL;
}

void cpns_vecfile_free(struct cpns_vecfile *vf)
{
	size_t i, j;

	if (!vf)
		return;
	cpns_vectors_free(vf->profile);
	for (i = 0; vf->v && i < vf->n; i++) {
		struct cpns_katx *v = &vf->v[i];

		if (v->in.kind == CPNS_VEC_REKEY) {
			for (j = 0; j < v->in.u.rekey.naead; j++) {
				free((void *)v->in.u.rekey.aead[j].aad);
				free((void *)v->in.u.rekey.aead[j].pt);
			}
		}
		cpns_katx_out_clear(&v->want);
		explicit_bzero(&v->in, sizeof(v->in));
		free(v->name);
	}
	free(vf->v);
	free(vf);
}

static int parse_ext_doc(struct pctx *pc, json_object *doc,
			 enum cpns_vec_kind kind, struct cpns_vecfile *vf)
{
	static const char *const top_names[] = {
		"profile", "generator", "note", "vectors", NULL
	};
	json_object *list;
	size_t i, n;
	int ret;

	ret = only(pc, "document", doc, top_names);
	ret = ret ?: get(pc, "document", doc, "vectors", json_type_array,
			 &list);
	if (ret)
		return ret;
	n = json_object_array_length(list);
	if (!n)
		return fail(pc, "vectors", "empty list");
	vf->v = calloc(n, sizeof(*vf->v));
	if (!vf->v)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		vf->n = i + 1;
		pc->vec = (long)i;
		ret = parse_katx(pc, kind, json_object_array_get_idx(list, i),
				 &vf->v[i]);
		if (ret)
			return ret;
	}
	pc->vec = -1;
	return 0;
}

int cpns_vecfile_parse(const char *text, struct cpns_vecfile **out,
		       char *err, size_t errlen)
{
	struct pctx pc = { .err = err, .errlen = errlen, .vec = -1 };
	struct cpns_vecfile *vf;
	json_object *doc, *o;
	const char *profile;
	size_t k;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	ret = parse_json(&pc, text, &doc);
	if (ret)
		return ret;
	if (!json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		return fail(&pc, "document", "expected an object");
	}
	ret = get(&pc, "document", doc, "profile", json_type_string, &o);
	if (ret) {
		json_object_put(doc);
		return ret;
	}
	profile = json_object_get_string(o);
	for (k = CPNS_VEC_PROFILE; k <= CPNS_VEC_STORE; k++)
		if (!strcmp(profile, cpns_vec_profile(k)))
			break;
	if (k > CPNS_VEC_STORE) {
		ret = fail(&pc, "profile",
			   "\"%s\" is none of %s, %s, %s, %s", profile,
			   cpns_vec_profile(CPNS_VEC_PROFILE),
			   cpns_vec_profile(CPNS_VEC_XFER),
			   cpns_vec_profile(CPNS_VEC_REKEY),
			   cpns_vec_profile(CPNS_VEC_STORE));
		json_object_put(doc);
		return ret;
	}
	vf = calloc(1, sizeof(*vf));
	if (!vf) {
		json_object_put(doc);
		return -ENOMEM;
	}
	vf->kind = (enum cpns_vec_kind)k;
	if (vf->kind == CPNS_VEC_PROFILE) {
		vf->profile = calloc(1, sizeof(*vf->profile));
		ret = vf->profile ? parse_doc(&pc, doc, vf->profile) : -ENOMEM;
		if (!ret)
			vf->n = vf->profile->n;
	} else {
		ret = parse_ext_doc(&pc, doc, vf->kind, vf);
	}
	json_object_put(doc);
	if (ret) {
		if (ret == -ENOMEM)
			fail(&pc, "vectors", "out of memory");
		cpns_vecfile_free(vf);
		return ret;
	}
	*out = vf;
	return 0;
}

int cpns_vecfile_load(const char *path, struct cpns_vecfile **out,
		      char *err, size_t errlen)
{
	char *text, *msg;
	int ret;

	ret = read_text(path, &text, err, errlen);
	if (ret)
		return ret;
	msg = err && errlen ? malloc(errlen) : NULL;
	ret = cpns_vecfile_parse(text, out, msg, msg ? errlen : 0);
	if (ret)
		load_error(path, ret, msg, err, errlen);
	free(msg);
	free(text);
	return ret;
}
