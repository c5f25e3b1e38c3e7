// SPDX-License-Identifier: GPL-2.0 OR MIT
/* kat FILE: every vector of a vectors.json file through the kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"

struct run {
	bool json;
	size_t vec;
	const struct cpns_kat_output *want, *got;
	json_object *fields;	/* --json: this vector's results */
	json_object *aead;
	int checks;
};

static void print_hex(const char *label, const void *p, size_t len)
{
	char *hex = malloc(2 * len + 1);

	if (!hex)
		return;
	cpns_hex_encode(hex, p, len);
	printf("  %s %s\n", label, hex);
	free(hex);
}

static void report(const char *field, int aead, bool ok, void *arg)
{
	struct run *r = arg;
	const char *res = ok ? "ok" : "MISMATCH";
	const uint8_t *w, *g;
	size_t len;

	r->checks++;
	if (r->json) {
		if (aead >= 0)
			json_object_array_add(r->aead,
					      json_object_new_string(res));
		else
			json_object_object_add(r->fields, field,
					       json_object_new_string(res));
		return;
	}
	if (aead >= 0)
		printf("vector %zu aead[%d] %s %s\n", r->vec, aead, field, res);
	else
		printf("vector %zu %s %s\n", r->vec, field, res);
	if (ok)
		return;
	/* Test values only: showing both sides helps find the bug. */
	if (aead >= 0 && (size_t)aead < r->got->naead) {
		print_hex("want", r->want->aead[aead].data,
			  r->want->aead[aead].len);
		print_hex("got ", r->got->aead[aead].data,
			  r->got->aead[aead].len);
	} else if (aead < 0) {
		w = cpns_kat_field(r->want, field, &len);
		g = cpns_kat_field(r->got, field, NULL);
		if (w && g) {
			print_hex("want", w, len);
			print_hex("got ", g, len);
		} else if (!strcmp(field, "aead_count")) {
			printf("  want %zu entries, got %zu\n", r->want->naead,
			       r->got->naead);
		}
	}
}

int cmd_kat(const struct cmd *cmd, const struct opts *o)
{
	struct cpns_vectors *vs;
	struct cpns_nl *nl;
	struct run r = { .json = o->json };
	json_object *top = NULL, *list = NULL;
	int bad = 0, errors = 0, ret;
	char err[512];
	size_t i;

	ret = cpns_vectors_load(o->args[0], &vs, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s %s: %s\n", prog, cmd->path, err);
		return EXIT_FAIL;
	}
	nl = open_or_report(cmd);
	if (!nl) {
		cpns_vectors_free(vs);
		return EXIT_FAIL;
	}
	if (o->json) {
		top = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(top, "file",
				       json_object_new_string(o->args[0]));
		json_object_object_add(top, "vectors", list);
	}
	for (i = 0; i < vs->n; i++) {
		struct cpns_kat_output got;
		json_object *v = NULL;

		r.vec = i;
		if (o->json) {
			v = json_object_new_object();
			json_object_object_add(v, "vector",
					       json_object_new_uint64(i));
			json_object_array_add(list, v);
		}
		ret = cpns_kat(nl, &vs->v[i].in, &got);
		if (ret) {
			errors++;
			fail_report(cmd, nl, ret);
			if (o->json)
				json_object_object_add(v, "error",
					json_object_new_string(cpns_last_error(nl)));
			else
				printf("vector %zu error %s\n", i,
				       cpns_last_error(nl));
			continue;
		}
		r.want = &vs->v[i].want;
		r.got = &got;
		if (o->json) {
			r.fields = json_object_new_object();
			r.aead = json_object_new_array();
		}
		bad += cpns_kat_check(&vs->v[i].want, &got, report, &r);
		if (o->json) {
			json_object_object_add(r.fields, "aead", r.aead);
			json_object_object_add(v, "fields", r.fields);
		}
		cpns_kat_output_clear(&got);
	}
	if (o->json) {
		json_object_object_add(top, "checks",
				       json_object_new_int(r.checks));
		json_object_object_add(top, "mismatches",
				       json_object_new_int(bad));
		json_object_object_add(top, "errors",
				       json_object_new_int(errors));
		json_object_object_add(top, "ok",
				       json_object_new_boolean(!bad && !errors));
		print_json(top);
	} else {
		printf("kat: %zu vectors, %d checks, %d mismatches, %d errors\n",
		       vs->n, r.checks, bad, errors);
	}
	cpns_close(nl);
	cpns_vectors_free(vs);
	ret = out_end(&(struct out){ .json = false });
	return bad || errors ? EXIT_FAIL : ret;
}
