// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kat FILE: every vector of a known-answer file through the kernel: the
 * profile's vectors.json by KAT, the extensions' {xfer,rekey,store}-
 * vectors.json by KAT_EXT (vectors.h); cpnsctl compares.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"
#include "vectors.h"

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

/* Count one result, and print its line or record it for --json. */
static void result(struct run *r, const char *field, int aead, bool ok)
{
	const char *res = ok ? "ok" : "MISMATCH";

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
}

/* An extension vector's field (cpns_katx_check()). */
static void report_ext(const char *field, int aead, bool ok,
		       const char *want, const char *got, void *arg)
{
	struct run *r = arg;

	result(r, field, aead, ok);
	if (ok || r->json)
		return;
	/* Test values only: showing both sides helps find the bug. */
	if (want && got) {
		printf("  want %s\n", want);
		printf("  got  %s\n", got);
	}
}

/* A profile vector's field (cpns_kat_check()). */
static void report(const char *field, int aead, bool ok, void *arg)
{
	struct run *r = arg;
	const uint8_t *w, *g;
	size_t len;

	result(r, field, aead, ok);
	if (ok || r->json)
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

/* The known answers come from the test module's family, not cpns.ko's. */
static struct cpns_nl *open_kat(const struct cmd *cmd)
{
	struct cpns_nl *nl = cpns_open_family(CPNS_KAT_GENL_NAME);

	if (nl)
		return nl;
	if (errno == ENOENT)
		fprintf(stderr,
			"%s %s: the \"%s\" test family is not registered: load the test module after cpns.ko (insmod kmod/test/cpns_kat.ko)\n",
			prog, cmd->path, CPNS_KAT_GENL_NAME);
	else
		fprintf(stderr,
			"%s %s: cannot open a generic netlink socket: %s\n",
			prog, cmd->path, strerror(errno));
	return NULL;
}

/* Run vector i of vf; return its mismatches, or -1 if the kernel failed. */
static int run_one(const struct cmd *cmd, struct cpns_nl *nl,
		   const struct cpns_vecfile *vf, size_t i, struct run *r,
		   json_object *v)
{
	union {
		struct cpns_kat_output p;
		struct cpns_katx_out x;
	} got;
	int ret, bad;

	if (vf->kind == CPNS_VEC_PROFILE)
		ret = cpns_kat(nl, &vf->profile->v[i].in, &got.p);
	else
		ret = cpns_kat_ext(nl, &vf->v[i].in, &got.x);
	if (ret) {
		fail_report(cmd, nl, ret);
		if (v)
			json_object_object_add(v, "error",
				json_object_new_string(cpns_last_error(nl)));
		else
			printf("vector %zu error %s\n", i, cpns_last_error(nl));
		return -1;
	}
	if (v) {
		r->fields = json_object_new_object();
		r->aead = json_object_new_array();
	}
	if (vf->kind == CPNS_VEC_PROFILE) {
		r->want = &vf->profile->v[i].want;
		r->got = &got.p;
		bad = cpns_kat_check(&vf->profile->v[i].want, &got.p, report, r);
		cpns_kat_output_clear(&got.p);
	} else {
		bad = cpns_katx_check(&vf->v[i].want, &got.x, report_ext, r);
		cpns_katx_out_clear(&got.x);
		if (bad < 0) {
			fprintf(stderr, "%s %s: out of memory\n", prog,
				cmd->path);
			bad = 1;
		}
	}
	if (v) {
		json_object_object_add(r->fields, "aead", r->aead);
		json_object_object_add(v, "fields", r->fields);
	}
	return bad;
}

int cmd_kat(const struct cmd *cmd, const struct opts *o)
{
	struct cpns_vecfile *vf;
	struct cpns_nl *nl;
	struct run r = { .json = o->json };
	json_object *top = NULL, *list = NULL;
	int bad = 0, errors = 0, ret;
	char err[512];
	size_t i;

	ret = cpns_vecfile_load(o->args[0], &vf, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s %s: %s\n", prog, cmd->path, err);
		return EXIT_FAIL;
	}
	nl = open_kat(cmd);
	if (!nl) {
		cpns_vecfile_free(vf);
		return EXIT_FAIL;
	}
	if (o->json) {
		top = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(top, "file",
				       json_object_new_string(o->args[0]));
		json_object_object_add(top, "profile",
				       json_object_new_string(cpns_vec_profile(vf->kind)));
		json_object_object_add(top, "vectors", list);
	}
	for (i = 0; i < vf->n; i++) {
		json_object *v = NULL;

		r.vec = i;
		if (o->json) {
			v = json_object_new_object();
			json_object_object_add(v, "vector",
					       json_object_new_uint64(i));
			if (vf->kind != CPNS_VEC_PROFILE && vf->v[i].name)
				json_object_object_add(v, "name",
					json_object_new_string(vf->v[i].name));
			json_object_array_add(list, v);
		}
		ret = run_one(cmd, nl, vf, i, &r, v);
		if (ret < 0)
			errors++;
		else
			bad += ret;
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
		       vf->n, r.checks, bad, errors);
	}
	cpns_close(nl);
	cpns_vecfile_free(vf);
	ret = out_end(&(struct out){ .json = false });
	return bad || errors ? EXIT_FAIL : ret;
}
