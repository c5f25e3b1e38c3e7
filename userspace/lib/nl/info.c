// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The namespace's state: info, statistics, the key dump and key removal. */
#include <errno.h>
#include <string.h>

#include "internal.h"

int cpns_get_info(struct cpns_nl *nl, struct cpns_info *info)
{
	const struct cpns_want w[] = {
		{ CPNS_A_VERSION, &info->version, 4 },
		{ CPNS_A_KEYRING, &info->keyring, 4 },
		{ CPNS_A_PENDING_MAX, &info->pending_max, 4 },
		{ CPNS_A_PENDING_TIMEOUT, &info->pending_timeout, 4 },
		{ CPNS_A_SESSION_MAX, &info->session_max, 4 },
	};

	return cpns__call(nl, CPNS_CMD_GET_INFO, NULL, 0, w,
			  CPNS_ARRAY_SIZE(w));
}

/* ---------------------------------------------------------- stats */

struct stats_ctx {
	struct cpns_nl *nl;
	struct cpns_stats *st;
	bool got;
};

static int stats_op(const struct cpns_reply *r, void *arg)
{
	struct cpns_stats *st = arg;
	uint8_t cmd;
	uint64_t ok, failed;

	if (cpns_reply_u8(r, CPNS_STATS_A_CMD, &cmd) ||
	    cpns_reply_u64(r, CPNS_STATS_A_OK, &ok) ||
	    cpns_reply_u64(r, CPNS_STATS_A_FAILED, &failed))
		return -EBADMSG;
	if (cmd <= CPNS_CMD_MAX) {	/* newer commands are skipped */
		st->op[cmd].seen = true;
		st->op[cmd].ok = ok;
		st->op[cmd].failed = failed;
	}
	return 0;
}

static int stats_fail(const struct cpns_reply *r, void *arg)
{
	struct cpns_stats *st = arg;
	uint8_t reason;
	uint64_t count;

	if (cpns_reply_u8(r, CPNS_STATS_A_REASON, &reason) ||
	    cpns_reply_u64(r, CPNS_STATS_A_COUNT, &count))
		return -EBADMSG;
	if (reason <= CPNS_FAIL_MAX) {
		st->fail[reason].seen = true;
		st->fail[reason].count = count;
	}
	return 0;
}

static int stats_nest(const struct cpns_reply *r, void *arg)
{
	int ret = cpns_reply_foreach(r, CPNS_STATS_A_OP, stats_op, arg);

	return ret ? ret : cpns_reply_foreach(r, CPNS_STATS_A_FAIL,
					      stats_fail, arg);
}

static int stats_reply(const struct cpns_reply *r, void *arg)
{
	struct stats_ctx *c = arg;
	int ret;

	if (!cpns_reply_has(r, CPNS_A_STATS) ||
	    cpns_reply_u32(r, CPNS_A_PENDING_COUNT, &c->st->pending_count) ||
	    cpns_reply_u32(r, CPNS_A_SESSION_COUNT, &c->st->session_count))
		return cpns__fail(c->nl, -EBADMSG,
				  "the kernel's reply to get_stats lacks an attribute");
	ret = cpns_reply_foreach(r, CPNS_A_STATS, stats_nest, c->st);
	if (ret)
		return cpns__fail(c->nl, ret,
				  "malformed statistics in the kernel's reply");
	c->got = true;
	return 0;
}

int cpns_get_stats(struct cpns_nl *nl, struct cpns_stats *stats)
{
	struct stats_ctx c = { .nl = nl, .st = stats };
	int ret;

	memset(stats, 0, sizeof(*stats));
	ret = cpns_request(nl, CPNS_CMD_GET_STATS, 0, NULL, NULL, stats_reply,
			   &c);
	if (!ret && !c.got)
		ret = cpns__fail(nl, -EBADMSG, "the kernel sent no statistics");
	if (ret)
		memset(stats, 0, sizeof(*stats));
	return ret;
}

/* ---------------------------------------------------------- keys */

struct dump_ctx {
	struct cpns_nl *nl;
	cpns_key_fn fn;
	void *arg;
};

static int key_reply(const struct cpns_reply *r, void *arg)
{
	struct dump_ctx *c = arg;
	struct cpns_key k;
	int ret;

	memset(&k, 0, sizeof(k));
	if (cpns_reply_s32(r, CPNS_A_KEY_SERIAL, &k.serial) ||
	    cpns_reply_u8(r, CPNS_A_KEY_KIND, &k.kind) ||
	    cpns_reply_u8(r, CPNS_A_ROLE, &k.role) ||
	    cpns_reply_u8(r, CPNS_A_STATE, &k.state))
		return cpns__fail(c->nl, -EBADMSG,
				  "a key in the kernel's dump lacks an attribute");
	if (k.kind == CPNS_KEY_SEED)
		k.id_len = CPNS_SEED_ID_LEN;
	else
		k.id_len = CPNS_DEVICE_ID_LEN;
	ret = cpns_reply_copy(r, k.kind == CPNS_KEY_SEED ? CPNS_A_SEED_ID :
			      CPNS_A_DEVICE_ID, k.id, k.id_len);
	if (ret)
		return cpns__fail(c->nl, -EBADMSG,
				  "key %d in the kernel's dump has no ID",
				  k.serial);
	if (cpns_reply_has(r, CPNS_A_EXPIRY))
		cpns_reply_u64(r, CPNS_A_EXPIRY, &k.expiry);
	if (cpns_reply_has(r, CPNS_A_GENERATION))
		cpns_reply_u32(r, CPNS_A_GENERATION, &k.generation);
	k.self_assigned = cpns_reply_has(r, CPNS_A_SELF_ASSIGNED);
	return c->fn ? c->fn(&k, c->arg) : 0;
}

int cpns_keys_dump(struct cpns_nl *nl, cpns_key_fn fn, void *arg)
{
	struct dump_ctx c = { .nl = nl, .fn = fn, .arg = arg };

	return cpns_request(nl, CPNS_CMD_KEY_GET, NLM_F_DUMP, NULL, NULL,
			    key_reply, &c);
}

int cpns_key_del_seed(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_SEED_ID, sid, CPNS_SEED_ID_LEN },
	};

	return cpns__call(nl, CPNS_CMD_KEY_DEL, p, 1, NULL, 0);
}

int cpns_key_del_device(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN])
{
	const struct cpns_put p[] = {
		{ CPNS_A_DEVICE_ID, did, CPNS_DEVICE_ID_LEN },
	};

	return cpns__call(nl, CPNS_CMD_KEY_DEL, p, 1, NULL, 0);
}
