// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The server's store (lib/store/store.h) from the command line: "store show"
 * and "store check" read it (rows without their blobs; no kernel
 * needed), "revoke device" and "revoke seed" commit a revocation to it
 * and then make it in the kernel (KEY_REVOKE), which closes the live
 * sessions of the device(s). Committing first means a revocation is
 * never lost: if the kernel step fails, cpns-serverd finishes it at its
 * next start.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpnsctl.h"
#include "keyops.h"
#include "store.h"

static struct cpns_store *store_open(const struct cmd *cmd, const char *path,
				     unsigned int flags)
{
	struct cpns_store *st;
	char err[512];

	if (cpns_store_open(path, flags, &st, err, sizeof(err))) {
		fprintf(stderr, "%s %s: %s\n", prog, cmd->path, err);
		return NULL;
	}
	return st;
}

static void format_time(char *buf, size_t len, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---------------------------------------------------------- revoke */

static int revoke(const struct cmd *cmd, const struct opts *o, uint8_t kind)
{
	bool seed = kind == CPNS_KEY_SEED;
	size_t len = seed ? CPNS_SEED_ID_LEN : CPNS_DEVICE_ID_LEN;
	uint8_t id[CPNS_DEVICE_ID_LEN];
	struct cpns_store *st;
	struct cpns_nl *nl;
	uint32_t sessions = 0;
	int32_t serial = 0;
	bool was = false;
	struct out out;
	int ret;

	ret = arg_hex(cmd, seed ? "SID" : "DID", o->args[0], id, len);
	if (ret)
		return ret;
	if (!o->store)
		return usage_error(cmd,
				   "--store PATH is required: a revocation must persist");
	st = store_open(cmd, o->store, 0);
	if (!st)
		return EXIT_FAIL;
	ret = seed ? cpns_store_seed_revoke(st, id, &was) :
		     cpns_store_device_revoke(st, id, time(NULL), &was);
	if (ret) {
		fprintf(stderr, "%s %s: %s%s\n", prog, cmd->path,
			cpns_store_error(st),
			ret == -ENOENT ?
			(seed ? " (see \"cpnsctl store show\")" :
				" (the device's seed is not in this store)") :
			"");
		cpns_store_close(st);
		return EXIT_FAIL;
	}
	cpns_store_close(st);

	nl = open_or_report(cmd);
	if (!nl) {
		fprintf(stderr,
			"%s %s: the revocation is stored; cpns-serverd makes it in the kernel at its next start\n",
			prog, cmd->path);
		return EXIT_FAIL;
	}
	ret = cpns_key_revoke(nl, kind, id, &serial, &sessions);
	if (ret == -EKEYREVOKED) {
		/* Already revoked in the kernel: nothing more to close. */
		ret = 0;
		sessions = 0;
	} else if (ret == -ENOKEY && !seed) {
		/* A server's kernel holds no key of a device: its record is
		 * the row just revoked, which refuses the device at its next
		 * a-0. Its live sessions close with "cpnsctl server revoke".
		 */
		fprintf(stderr,
			"%s %s: the server's kernel holds no key of this device: the stored revocation refuses it at its next a-0; \"cpnsctl server revoke\" also closes its live sessions\n",
			prog, cmd->path);
		ret = 0;
		sessions = 0;
	}
	if (ret) {
		ret = fail_report(cmd, nl, ret);
		fprintf(stderr,
			"%s %s: the revocation is stored; cpns-serverd makes it in the kernel at its next start\n",
			prog, cmd->path);
		cpns_close(nl);
		return ret;
	}
	cpns_close(nl);

	out_init(&out, o->json);
	out_hex(&out, seed ? "seed_id" : "device_id", id, len);
	out_str(&out, "store", was ? "already revoked" : "revoked");
	out_s64(&out, "serial", serial);
	out_u64(&out, "sessions_closed", sessions);
	return out_end(&out);
}

int cmd_revoke_device(const struct cmd *cmd, const struct opts *o)
{
	return revoke(cmd, o, CPNS_KEY_DEVICE);
}

int cmd_revoke_seed(const struct cmd *cmd, const struct opts *o)
{
	return revoke(cmd, o, CPNS_KEY_SEED);
}

/* ------------------------------------------------------------ show */

struct show {
	bool json;
	json_object *arr;
	unsigned int n;
};

static int show_seed(const struct cpns_store_seed *s, void *arg)
{
	struct show *sh = arg;
	char hex[2 * CPNS_SEED_ID_LEN + 1], created[32], exp[32];
	json_object *j;

	sh->n++;
	if (!sh->json) {
		cpns_hex_encode(hex, s->sid, sizeof(s->sid));
		format_time(created, sizeof(created), (uint64_t)s->created);
		format_time(exp, sizeof(exp), s->expiry);
		printf("  %s  %-7s  owner %s (%s)  created %s  expires %s  blob %zu bytes\n",
		       hex, cpns_store_state_name(s->state), s->owner,
		       s->owner_addr, created, exp, s->blob_len);
		return 0;
	}
	j = json_object_new_object();
	json_object_object_add(j, "seed_id", json_hex(s->sid, sizeof(s->sid)));
	json_object_object_add(j, "state",
			       json_object_new_string(cpns_store_state_name(s->state)));
	json_object_object_add(j, "owner", json_object_new_string(s->owner));
	json_object_object_add(j, "owner_addr",
			       json_object_new_string(s->owner_addr));
	json_object_object_add(j, "created", json_object_new_int64(s->created));
	json_object_object_add(j, "expiry", s->expiry ?
			       json_object_new_uint64(s->expiry) : NULL);
	json_object_object_add(j, "blob_len",
			       json_object_new_uint64(s->blob_len));
	json_object_array_add(sh->arr, j);
	return 0;
}

static int show_device(const struct cpns_store_device *d, void *arg)
{
	struct show *sh = arg;
	char hex[2 * CPNS_DEVICE_ID_LEN + 1], created[32], exp[32];
	json_object *j;

	sh->n++;
	if (!sh->json) {
		cpns_hex_encode(hex, d->did, sizeof(d->did));
		format_time(created, sizeof(created), (uint64_t)d->created);
		format_time(exp, sizeof(exp), d->expiry);
		if (d->blob_len)
			printf("  %s  %-11s  generation %" PRIu32 "  created %s  expires %s  blob %zu bytes\n",
			       hex, cpns_store_state_name(d->state),
			       d->generation, created, exp, d->blob_len);
		else if (d->state == CPNS_STATE_REVOKED)
			printf("  %s  %-11s  revocation record  created %s\n",
			       hex, cpns_store_state_name(d->state), created);
		else
			printf("  %s  %-11s  key derived from its seed  assigned by %s (%s)\n",
			       hex, cpns_store_state_name(d->state),
			       d->gw1[0] ? d->gw1 : "?",
			       d->gw1_addr[0] ? d->gw1_addr : "?");
		return 0;
	}
	j = json_object_new_object();
	json_object_object_add(j, "device_id",
			       json_hex(d->did, sizeof(d->did)));
	json_object_object_add(j, "seed_id", json_hex(d->sid, sizeof(d->sid)));
	json_object_object_add(j, "state",
			       json_object_new_string(cpns_store_state_name(d->state)));
	json_object_object_add(j, "generation",
			       json_object_new_uint64(d->generation));
	json_object_object_add(j, "created", json_object_new_int64(d->created));
	json_object_object_add(j, "expiry", d->expiry ?
			       json_object_new_uint64(d->expiry) : NULL);
	json_object_object_add(j, "blob_len", d->blob_len ?
			       json_object_new_uint64(d->blob_len) : NULL);
	json_object_object_add(j, "gw1", d->gw1[0] ?
			       json_object_new_string(d->gw1) : NULL);
	json_object_object_add(j, "gw1_addr", d->gw1_addr[0] ?
			       json_object_new_string(d->gw1_addr) : NULL);
	json_object_object_add(j, "assigned", json_object_new_int64(d->assigned));
	json_object_object_add(j, "last_auth",
			       json_object_new_int64(d->last_auth));
	json_object_object_add(j, "last_addr", d->last_addr[0] ?
			       json_object_new_string(d->last_addr) : NULL);
	json_object_array_add(sh->arr, j);
	return 0;
}

int cmd_store_show(const struct cmd *cmd, const struct opts *o)
{
	struct cpns_store *st = store_open(cmd, o->args[0], CPNS_STORE_RDONLY);
	struct show seeds = { .json = o->json }, devs = { .json = o->json };
	json_object *obj = NULL;
	int ret;

	if (!st)
		return EXIT_FAIL;
	if (o->json) {
		seeds.arr = json_object_new_array();
		devs.arr = json_object_new_array();
	} else {
		printf("store: %s\nseeds:\n", cpns_store_path(st));
	}
	ret = cpns_store_seeds(st, show_seed, &seeds);
	if (!ret && !o->json)
		printf("%sdevices:\n", seeds.n ? "" : "  none\n");
	if (!ret)
		ret = cpns_store_devices(st, show_device, &devs);
	if (!ret && !o->json && !devs.n)
		printf("  none\n");
	if (ret) {
		fprintf(stderr, "%s %s: %s\n", prog, cmd->path,
			cpns_store_error(st));
		json_object_put(seeds.arr);
		json_object_put(devs.arr);
		cpns_store_close(st);
		return EXIT_FAIL;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "path",
			       json_object_new_string(cpns_store_path(st)));
	cpns_store_close(st);
	if (!o->json) {
		json_object_put(obj);
		return out_end(&(struct out){ .json = false });
	}
	json_object_object_add(obj, "seeds", seeds.arr);
	json_object_object_add(obj, "devices", devs.arr);
	print_json(obj);
	return out_end(&(struct out){ .json = false });
}

int cmd_store_check(const struct cmd *cmd, const struct opts *o)
{
	struct cpns_store *st = store_open(cmd, o->args[0],
					   CPNS_STORE_RDONLY |
					   CPNS_STORE_FULL_CHECK);
	struct cpns_store_counts c;
	struct out out;

	if (!st)
		return EXIT_FAIL;
	if (cpns_store_count(st, &c)) {
		fprintf(stderr, "%s %s: %s\n", prog, cmd->path,
			cpns_store_error(st));
		cpns_store_close(st);
		return EXIT_FAIL;
	}
	cpns_store_close(st);
	out_init(&out, o->json);
	out_str(&out, "store", o->args[0]);
	out_str(&out, "check", "ok");
	out_u64(&out, "schema_version", CPNS_STORE_VERSION);
	out_u64(&out, "seeds", c.seeds);
	out_u64(&out, "seeds_revoked", c.seeds_revoked);
	out_u64(&out, "device_records", c.devices);
	out_u64(&out, "devices_revoked", c.devices_revoked);
	out_u64(&out, "revocation_records", c.revocations);
	out_u64(&out, "inventory", c.inventory);
	return out_end(&out);
}
