/* SPDX-License-Identifier: GPL-2.0 */
/* Per namespace counters of the cpns commands and of why they failed. */
#ifndef _CPNS_STATS_H
#define _CPNS_STATS_H

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/cpns.h>

struct sk_buff;

/**
 * struct cpns_stats - counters of one network namespace
 * @ok: per command, requests that succeeded
 * @failed: per command, requests that failed
 * @reason: per enum cpns_fail, failures
 */
struct cpns_stats {
	atomic64_t ok[__CPNS_CMD_MAX];
	atomic64_t failed[__CPNS_CMD_MAX];
	atomic64_t reason[__CPNS_FAIL_MAX];
};

/**
 * cpns_stats_init() - zero the counters
 * @st: the namespace's counters
 */
void cpns_stats_init(struct cpns_stats *st);

/**
 * cpns_stats_count() - count one request
 * @st: the namespace's counters
 * @cmd: its command
 * @reason: 0 if it succeeded, else why it failed
 */
void cpns_stats_count(struct cpns_stats *st, u8 cmd, enum cpns_fail reason);

/**
 * cpns_stats_reason() - the failure reason an errno stands for
 * @err: a negative errno
 *
 * For the errnos with one meaning; -EINVAL counts as CPNS_FAIL_INVALID
 * unless the caller knows better (a wrong role or state).
 * Return: the reason; CPNS_FAIL_INTERNAL for any other errno.
 */
enum cpns_fail cpns_stats_reason(int err);

/**
 * cpns_stats_fill() - put CPNS_A_STATS into a GET_STATS reply
 * @st: the namespace's counters
 * @skb: the reply
 *
 * One CPNS_STATS_A_OP per command whose counters are not both zero, then
 * one CPNS_STATS_A_FAIL per reason with a non-zero count.
 * Return: 0 or -EMSGSIZE.
 */
int cpns_stats_fill(struct cpns_stats *st, struct sk_buff *skb);

/**
 * cpns_stats_size() - reply space cpns_stats_fill() may need
 *
 * Return: a size in bytes, for genlmsg_new().
 */
size_t cpns_stats_size(void);

#endif /* _CPNS_STATS_H */
