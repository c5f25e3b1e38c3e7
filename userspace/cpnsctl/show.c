// SPDX-License-Identifier: GPL-2.0 OR MIT
/* info, keyring, show, stats: the namespace's public state. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpnsctl.h"

int cmd_info(const struct cmd *cmd, const struct opts *o)
{
	struct cpns_info info;
	struct cpns_nl *nl = open_or_report(cmd);
	struct out out;
	int ret;

	if (!nl)
		return EXIT_FAIL;
	ret = cpns_get_info(nl, &info);
	if (ret) {
		ret = fail_report(cmd, nl, ret);
		cpns_close(nl);
		return ret;
	}
	cpns_close(nl);
	out_init(&out, o->json);
	out_u64(&out, "version", info.version);
	out_s64(&out, "keyring", info.keyring);
	out_u64(&out, "pending_max", info.pending_max);
	out_u64(&out, "pending_timeout", info.pending_timeout);
	out_u64(&out, "session_max", info.session_max);
	return out_end(&out);
}

int cmd_keyring(const struct cmd *cmd, const struct opts *o)
{
	struct cpns_info info;
	struct cpns_nl *nl = open_or_report(cmd);
	struct out out;
	int ret;

	if (!nl)
		return EXIT_FAIL;
	ret = cpns_get_info(nl, &info);
	if (ret) {
		ret = fail_report(cmd, nl, ret);
		cpns_close(nl);
		return ret;
	}
	cpns_close(nl);
	if (!o->json) {
		printf("%" PRId32 "\n", info.keyring);
		return out_end(&(struct out){ .json = false });
	}
	out_init(&out, true);
	out_s64(&out, "keyring", info.keyring);
	return out_end(&out);
}

/* ------------------------------------------------------------ keys */

struct keylist {
	struct cpns_key *k;
	size_t n, cap;
};

static int collect(const struct cpns_key *key, void *arg)
{
	struct keylist *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct cpns_key *k = realloc(l->k, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		l->k = k;
		l->cap = cap;
	}
	l->k[l->n++] = *key;
	return 0;
}

/* The dump, started again if a concurrent change interrupted it. */
static int dump_keys(struct cpns_nl *nl, struct keylist *l)
{
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < 5 && ret == -EAGAIN; tries++) {
		l->n = 0;
		ret = cpns_keys_dump(nl, collect, l);
	}
	return ret;
}

static void format_expiry(char *buf, size_t len, uint64_t expiry)
{
	time_t t = (time_t)expiry, now = time(NULL);
	struct tm tm;

	if (!expiry) {
		snprintf(buf, len, "never");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (t > now)
		snprintf(buf + strlen(buf), len - strlen(buf), " (in %lld s)",
			 (long long)(t - now));
	else
		snprintf(buf + strlen(buf), len - strlen(buf), " (expired)");
}

static json_object *key_json(const struct cpns_key *k)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, k->kind == CPNS_KEY_SEED ? "seed_id" :
			       "device_id", json_hex(k->id, k->id_len));
	json_object_object_add(o, "serial", json_object_new_int(k->serial));
	json_object_object_add(o, "role",
			       json_object_new_string(cpns_role_name(k->role)));
	json_object_object_add(o, "state",
			       json_object_new_string(cpns_state_name(k->state)));
	json_object_object_add(o, "generation",
			       json_object_new_uint64(k->generation));
	json_object_object_add(o, "expiry", k->expiry ?
			       json_object_new_uint64(k->expiry) : NULL);
	json_object_object_add(o, "expired",
			       json_object_new_boolean(k->expiry &&
						       k->expiry <= (uint64_t)time(NULL)));
	if (k->kind == CPNS_KEY_DEVICE)
		json_object_object_add(o, "self_assigned",
				       json_object_new_boolean(k->self_assigned));
	return o;
}

static void keys_text(const struct keylist *l, uint8_t kind,
		      const char *title)
{
	char hex[2 * CPNS_DEVICE_ID_LEN + 1], exp[64];
	size_t i, n = 0;

	printf("%s:", title);
	for (i = 0; i < l->n; i++) {
		const struct cpns_key *k = &l->k[i];

		if (k->kind != kind)
			continue;
		if (!n++)
			printf("\n");
		cpns_hex_encode(hex, k->id, k->id_len);
		format_expiry(exp, sizeof(exp), k->expiry);
		printf("  %-32s  %-6s  %-11s  gen %" PRIu32 "  serial %" PRId32 "  expires %s%s\n",
		       hex, cpns_role_name(k->role),
		       cpns_state_name(k->state), k->generation, k->serial,
		       exp, k->self_assigned ? "  self-assigned" : "");
	}
	if (!n)
		printf(" none\n");
}

/* ------------------------------------------------------------ counters */

static void stats_text(const struct cpns_stats *st)
{
	unsigned int i, n = 0;

	printf("pending: %" PRIu32 "\nsessions: %" PRIu32 "\ncounters:",
	       st->pending_count, st->session_count);
	for (i = 0; i <= CPNS_CMD_MAX; i++) {
		if (!st->op[i].seen)
			continue;
		if (!n++)
			printf("\n");
		printf("  %-17s ok %" PRIu64 "  failed %" PRIu64 "\n",
		       cpns_cmd_name(i), st->op[i].ok, st->op[i].failed);
	}
	if (!n)
		printf(" none\n");
	printf("failures:");
	for (i = 0, n = 0; i <= CPNS_FAIL_MAX; i++) {
		if (!st->fail[i].seen)
			continue;
		if (!n++)
			printf("\n");
		printf("  %-17s %" PRIu64 "\n", cpns_fail_name(i),
		       st->fail[i].count);
	}
	if (!n)
		printf(" none\n");
}

static void stats_json(json_object *o, const struct cpns_stats *st)
{
	json_object *ops = json_object_new_object();
	json_object *fails = json_object_new_object();
	unsigned int i;

	json_object_object_add(o, "pending",
			       json_object_new_uint64(st->pending_count));
	json_object_object_add(o, "sessions",
			       json_object_new_uint64(st->session_count));
	for (i = 0; i <= CPNS_CMD_MAX; i++) {
		json_object *op;

		if (!st->op[i].seen)
			continue;
		op = json_object_new_object();
		json_object_object_add(op, "ok",
				       json_object_new_uint64(st->op[i].ok));
		json_object_object_add(op, "failed",
				       json_object_new_uint64(st->op[i].failed));
		json_object_object_add(ops, cpns_cmd_name(i), op);
	}
	for (i = 0; i <= CPNS_FAIL_MAX; i++)
		if (st->fail[i].seen)
			json_object_object_add(fails, cpns_fail_name(i),
					       json_object_new_uint64(st->fail[i].count));
	json_object_object_add(o, "counters", ops);
	json_object_object_add(o, "failures", fails);
}

int cmd_stats(const struct cmd *cmd, const struct opts *o)
{
	struct cpns_stats st;
	struct cpns_nl *nl = open_or_report(cmd);
	json_object *obj;
	int ret;

	if (!nl)
		return EXIT_FAIL;
	ret = cpns_get_stats(nl, &st);
	if (ret) {
		ret = fail_report(cmd, nl, ret);
		cpns_close(nl);
		return ret;
	}
	cpns_close(nl);
	if (!o->json) {
		stats_text(&st);
		return out_end(&(struct out){ .json = false });
	}
	obj = json_object_new_object();
	stats_json(obj, &st);
	print_json(obj);
	return out_end(&(struct out){ .json = false });
}

int cmd_show(const struct cmd *cmd, const struct opts *o)
{
	struct keylist keys = { 0 };
	struct cpns_info info;
	struct cpns_stats st;
	struct cpns_nl *nl = open_or_report(cmd);
	json_object *obj, *seeds, *devs;
	size_t i;
	int ret;

	if (!nl)
		return EXIT_FAIL;
	ret = cpns_get_info(nl, &info);
	if (!ret)
		ret = dump_keys(nl, &keys);
	if (!ret)
		ret = cpns_get_stats(nl, &st);
	if (ret) {
		ret = fail_report(cmd, nl, ret);
		goto out;
	}
	if (!o->json) {
		printf("keyring: %" PRId32 "\n", info.keyring);
		keys_text(&keys, CPNS_KEY_SEED, "seeds");
		keys_text(&keys, CPNS_KEY_DEVICE, "devices");
		stats_text(&st);
		ret = out_end(&(struct out){ .json = false });
		goto out;
	}
	obj = json_object_new_object();
	seeds = json_object_new_array();
	devs = json_object_new_array();
	json_object_object_add(obj, "keyring",
			       json_object_new_int(info.keyring));
	for (i = 0; i < keys.n; i++)
		json_object_array_add(keys.k[i].kind == CPNS_KEY_SEED ? seeds :
				      devs, key_json(&keys.k[i]));
	json_object_object_add(obj, "seeds", seeds);
	json_object_object_add(obj, "devices", devs);
	stats_json(obj, &st);
	print_json(obj);
	ret = out_end(&(struct out){ .json = false });
out:
	free(keys.k);
	cpns_close(nl);
	return ret;
}
