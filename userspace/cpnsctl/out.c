// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Output: "name: value" lines for people, one JSON object for scripts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"

void out_init(struct out *o, bool json)
{
	o->json = json;
	o->obj = json ? json_object_new_object() : NULL;
}

json_object *json_hex(const void *p, size_t len)
{
	char *hex = malloc(2 * len + 1);
	json_object *s;

	if (!hex)
		return NULL;
	cpns_hex_encode(hex, p, len);
	s = json_object_new_string(hex);
	free(hex);
	return s;
}

void out_hex(struct out *o, const char *name, const void *p, size_t len)
{
	char *hex;

	if (o->json) {
		json_object_object_add(o->obj, name, json_hex(p, len));
		return;
	}
	hex = malloc(2 * len + 1);
	if (!hex)
		return;
	cpns_hex_encode(hex, p, len);
	printf("%s: %s\n", name, hex);
	free(hex);
}

void out_u64(struct out *o, const char *name, uint64_t v)
{
	if (o->json)
		json_object_object_add(o->obj, name, json_object_new_uint64(v));
	else
		printf("%s: %" PRIu64 "\n", name, v);
}

void out_s64(struct out *o, const char *name, int64_t v)
{
	if (o->json)
		json_object_object_add(o->obj, name, json_object_new_int64(v));
	else
		printf("%s: %" PRId64 "\n", name, v);
}

void out_str(struct out *o, const char *name, const char *s)
{
	if (o->json)
		json_object_object_add(o->obj, name, json_object_new_string(s));
	else
		printf("%s: %s\n", name, s);
}

int print_json(json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

	puts(s);
	json_object_put(obj);
	return EXIT_OK;
}

int out_end(struct out *o)
{
	if (o->json)
		print_json(o->obj);
	o->obj = NULL;
	if (fflush(stdout) || ferror(stdout)) {
		perror("cpnsctl: writing the output");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
