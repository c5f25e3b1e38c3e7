// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpnsctl key wrap / key unwrap: a seed or Device Key of this namespace
 * sealed for storage under a key-encryption key the kernel finds by name
 * (KEY_WRAP), and back (KEY_UNWRAP): a backup of a key, or a key put in
 * place by an administrator (and by the tests, which plant a seed they
 * know). The blob is public; the key and the KEK stay in the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"
#include "keyops.h"

/* KEK TYPE:DESC into its two parts. */
static int kek_split(const struct cmd *cmd, const char *s, char *type,
		     char *desc)
{
	const char *colon = s ? strchr(s, ':') : NULL;
	size_t tlen = colon ? (size_t)(colon - s) : 0;

	if (!colon || !tlen || !colon[1] || tlen >= CPNS_MAX_KEYREF ||
	    strlen(colon + 1) >= CPNS_MAX_KEYREF)
		return usage_error(cmd, "KEK must be TYPE:DESCRIPTION of a kernel key, e.g. logon:cpns:kek");
	memcpy(type, s, tlen);
	type[tlen] = '\0';
	strcpy(desc, colon + 1);
	return 0;
}

static int label_decode(const struct cmd *cmd, const char *hex,
			uint8_t *label, size_t *len)
{
	ssize_t n;

	*len = 0;
	if (!hex)
		return 0;
	n = cpns_hex_decode_var(label, CPNS_MAX_LABEL, hex);
	if (n < 0)
		return usage_error(cmd, "LABEL must be hex, at most %d bytes",
				   CPNS_MAX_LABEL);
	*len = (size_t)n;
	return 0;
}

int cmd_key_wrap(const struct cmd *cmd, const struct opts *o)
{
	char type[CPNS_MAX_KEYREF], desc[CPNS_MAX_KEYREF];
	struct cpns_keyref kek = { .type = type, .desc = desc };
	uint8_t id[CPNS_DEVICE_ID_LEN], label[CPNS_MAX_LABEL];
	uint8_t blob[CPNS_MAX_BLOB];
	size_t label_len, blob_len = sizeof(blob);
	struct cpns_nl *nl;
	struct out out;
	uint8_t kind;
	int ret;

	if (!o->seed == !o->device)
		return usage_error(cmd, "name exactly one key: --seed SID or --device DID");
	if (kek_split(cmd, o->args[0], type, desc) ||
	    label_decode(cmd, o->nargs > 1 ? o->args[1] : NULL, label,
			 &label_len))
		return EXIT_USAGE;
	kind = o->seed ? CPNS_KEY_SEED : CPNS_KEY_DEVICE;
	if (o->seed ? arg_hex(cmd, "SID", o->seed, id, CPNS_SEED_ID_LEN) :
		      arg_hex(cmd, "DID", o->device, id, CPNS_DEVICE_ID_LEN))
		return EXIT_USAGE;
	nl = open_or_report(cmd);
	if (!nl)
		return EXIT_FAIL;
	ret = cpns_key_wrap(nl, kind, id, &kek, label, label_len, blob,
			    &blob_len);
	if (ret) {
		ret = fail_report(cmd, nl, ret);
		cpns_close(nl);
		return ret;
	}
	cpns_close(nl);
	out_init(&out, o->json);
	out_hex(&out, "blob", blob, blob_len);
	return out_end(&out);
}

int cmd_key_unwrap(const struct cmd *cmd, const struct opts *o)
{
	char type[CPNS_MAX_KEYREF], desc[CPNS_MAX_KEYREF];
	struct cpns_keyref kek = { .type = type, .desc = desc };
	uint8_t label[CPNS_MAX_LABEL], blob[CPNS_MAX_BLOB];
	struct cpns_unwrapped u;
	size_t label_len;
	struct cpns_nl *nl;
	struct out out;
	ssize_t n;
	int ret;

	if (kek_split(cmd, o->args[0], type, desc) ||
	    label_decode(cmd, o->nargs > 2 ? o->args[2] : NULL, label,
			 &label_len))
		return EXIT_USAGE;
	n = cpns_hex_decode_var(blob, sizeof(blob), o->args[1]);
	if (n <= 0)
		return usage_error(cmd, "BLOB must be hex, 1 to %d bytes",
				   CPNS_MAX_BLOB);
	nl = open_or_report(cmd);
	if (!nl)
		return EXIT_FAIL;
	memset(&u, 0, sizeof(u));
	ret = cpns_key_unwrap(nl, blob, (size_t)n, &kek, label, label_len,
			      &u);
	if (ret) {
		ret = fail_report(cmd, nl, ret);
		cpns_close(nl);
		return ret;
	}
	cpns_close(nl);
	out_init(&out, o->json);
	out_str(&out, "kind", cpns_kind_name(u.kind));
	out_hex(&out, u.kind == CPNS_KEY_SEED ? "seed_id" : "device_id", u.id,
		u.kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
		CPNS_DEVICE_ID_LEN);
	out_s64(&out, "serial", u.serial);
	out_u64(&out, "generation", u.generation);
	return out_end(&out);
}
