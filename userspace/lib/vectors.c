// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Strict parser of vectors.json (shared/spec/vectors.json format): every
 * field present, none unknown, hex of the exact length. Errors name the
 * vector and the field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "internal.h"

#define CPNS_PROFILE "CPNS-KA-1"
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
		      struct cpns_vector *v)
{
	struct cpns_kat_aead_in *in = &v->in.aead[i];
	struct cpns_kat_aead_out *want = &v->want.aead[i];
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

static int parse_vector(struct pctx *pc, json_object *jv,
			struct cpns_vector *v)
{
	static const char *const vec_names[] = { "inputs", "outputs", NULL };
	const char *out_names[16], *in_names[16];
	json_object *in, *out, *aead;
	size_t i, n;
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
	ret = get(pc, "outputs", out, "aead", json_type_array, &aead);
	if (ret)
		return ret;
	n = json_object_array_length(aead);
	if (n > CPNS_MAX_KAT_AEAD)
		return fail(pc, "outputs.aead",
			    "%zu entries, at most %d allowed", n,
			    CPNS_MAX_KAT_AEAD);
	for (i = 0; i < n; i++) {
		/* Count first, so that cpns_vectors_free() frees a partial
		 * entry too. */
		v->in.naead = i + 1;
		v->want.naead = i + 1;
		ret = parse_aead(pc, json_object_array_get_idx(aead, i), i, v);
		if (ret)
			return ret;
	}
	return 0;
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

int cpns_vectors_parse(const char *text, struct cpns_vectors **out,
		       char *err, size_t errlen)
{
	struct pctx pc = { .err = err, .errlen = errlen, .vec = -1 };
	struct json_tokener *tok;
	struct cpns_vectors *vs;
	json_object *doc;
	size_t len = strlen(text), end;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	doc = json_tokener_parse_ex(tok, text, (int)len);
	if (!doc) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		if (je == json_tokener_continue)
			ret = fail(&pc, "JSON", "unexpected end of input");
		else
			ret = fail(&pc, "JSON", "%s at byte %zu",
				   json_tokener_error_desc(je),
				   json_tokener_get_parse_end(tok));
		json_tokener_free(tok);
		return ret;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; end < len; end++) {
		if (!strchr(" \t\r\n", text[end])) {
			json_object_put(doc);
			return fail(&pc, "JSON", "trailing data at byte %zu",
				    end);
		}
	}

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

int cpns_vectors_load(const char *path, struct cpns_vectors **out,
		      char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *text = NULL, *msg = NULL;
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
				goto out;
			}
			text = p;
		}
		n = fread(text + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		ret = -EIO;
		goto out;
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		ret = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out_close;
	}
	msg = err && errlen ? malloc(errlen) : NULL;
	ret = cpns_vectors_parse(text, out, msg, msg ? errlen : 0);
	if (ret && msg)
		snprintf(err, errlen, "%s: %s", path, msg);
	goto out_close;
out:
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
out_close:
	free(msg);
	free(text);
	if (f != stdin)
		fclose(f);
	return ret;
}
