// SPDX-License-Identifier: GPL-2.0
/*
 * Per namespace counters (stats.h), reported by CPNS_CMD_GET_STATS.
 */

#include <linux/errno.h>
#include <net/netlink.h>
#include "stats.h"

void cpns_stats_init(struct cpns_stats *st)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(st->ok); i++) {
		atomic64_set(&st->ok[i], 0);
		atomic64_set(&st->failed[i], 0);
	}
	for (i = 0; i < ARRAY_SIZE(st->reason); i++)
		atomic64_set(&st->reason[i], 0);
}

void cpns_stats_count(struct cpns_stats *st, u8 cmd, enum cpns_fail reason)
{
	if (WARN_ON_ONCE(cmd >= ARRAY_SIZE(st->ok)))
		return;
	if (!reason) {
		atomic64_inc(&st->ok[cmd]);
		return;
	}
	atomic64_inc(&st->failed[cmd]);
	if (!WARN_ON_ONCE(reason >= ARRAY_SIZE(st->reason)))
		atomic64_inc(&st->reason[reason]);
}

enum cpns_fail cpns_stats_reason(int err)
{
	switch (err) {
	case -EINVAL:
	case -EKEYREJECTED:
		return CPNS_FAIL_INVALID;
	case -EBADMSG:
		return CPNS_FAIL_BAD_MAC;
	case -ENOKEY:
		return CPNS_FAIL_NO_KEY;
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		return CPNS_FAIL_KEY_INVALID;
	case -ENOENT:
		return CPNS_FAIL_NO_PENDING;
	case -EALREADY:
		return CPNS_FAIL_REPLAY;
	case -EBUSY:
	case -EDQUOT:
		return CPNS_FAIL_LIMIT;
	case -EEXIST:
		return CPNS_FAIL_EXISTS;
	default:
		return CPNS_FAIL_INTERNAL;
	}
}

size_t cpns_stats_size(void)
{
	size_t op = nla_total_size(nla_total_size(sizeof(u8)) +
				   2 * nla_total_size_64bit(sizeof(u64)));
	size_t fail = nla_total_size(nla_total_size(sizeof(u8)) +
				     nla_total_size_64bit(sizeof(u64)));

	return nla_total_size(CPNS_CMD_MAX * op + CPNS_FAIL_MAX * fail);
}

static int cpns_stats_put_op(struct sk_buff *skb, u8 cmd, u64 ok, u64 failed)
{
	struct nlattr *nest = nla_nest_start(skb, CPNS_STATS_A_OP);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, CPNS_STATS_A_CMD, cmd) ||
	    nla_put_u64_64bit(skb, CPNS_STATS_A_OK, ok, CPNS_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, CPNS_STATS_A_FAILED, failed,
			      CPNS_STATS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int cpns_stats_put_fail(struct sk_buff *skb, u8 reason, u64 count)
{
	struct nlattr *nest = nla_nest_start(skb, CPNS_STATS_A_FAIL);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, CPNS_STATS_A_REASON, reason) ||
	    nla_put_u64_64bit(skb, CPNS_STATS_A_COUNT, count,
			      CPNS_STATS_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int cpns_stats_fill(struct cpns_stats *st, struct sk_buff *skb)
{
	struct nlattr *nest;
	u64 ok, failed;
	int i;

	nest = nla_nest_start(skb, CPNS_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 1; i <= CPNS_CMD_MAX; i++) {
		ok = atomic64_read(&st->ok[i]);
		failed = atomic64_read(&st->failed[i]);
		if ((ok || failed) && cpns_stats_put_op(skb, i, ok, failed))
			goto err_cancel;
	}
	for (i = 1; i <= CPNS_FAIL_MAX; i++) {
		failed = atomic64_read(&st->reason[i]);
		if (failed && cpns_stats_put_fail(skb, i, failed))
			goto err_cancel;
	}
	nla_nest_end(skb, nest);
	return 0;

err_cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
