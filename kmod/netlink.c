// SPDX-License-Identifier: GPL-2.0
/*
 * The Generic Netlink family "cpns": its policies, ops and registration,
 * and the dispatch of each request to its handler (nl_*.c). The protocol
 * steps are in assign.c and auth.c. Documentation/netlink.rst is the
 * reference.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/cpns.h>
#include "compat.h"
#include "kat.h"
#include "keys.h"
#include "netlink.h"
#include "netns.h"
#include "nl.h"
#include "nl_gen.h"
#include "pending.h"
#include "primitives.h"
#include "profile.h"
#include "rekey.h"
#include "session.h"
#include "stats.h"
#include "wrap.h"
#include "xfer.h"

/*
 * A required attribute is absent: the extack names it in
 * NLMSGERR_ATTR_MISS_TYPE.
 */
void cpns_missing_msg(struct genl_info *info, int type)
{
	NL_SET_ERR_ATTR_MISS(info->extack, NULL, type);
	GENL_SET_ERR_MSG(info, "missing a required attribute");
}

/* Dispatch. */

/* The generated op of @cmd that has a doit: its policy. */
const struct genl_split_ops *cpns_nl_op(u8 cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cpns_nl_ops); i++)
		if (cpns_nl_ops[i].cmd == cmd && cpns_nl_ops[i].doit)
			return &cpns_nl_ops[i];
	return NULL;
}

/* Zero every binary attribute of @head, nested ones included. */
void cpns_wipe_attrs(const struct nlattr *head, int len,
		     const struct nla_policy *policy, int maxattr)
{
	const struct nla_policy *pt;
	const struct nlattr *attr;
	int rem;

	nla_for_each_attr(attr, head, len, rem) {
		if (nla_type(attr) > maxattr)
			continue;
		pt = &policy[nla_type(attr)];
		if (pt->type == NLA_BINARY)
			memzero_explicit(nla_data(attr), nla_len(attr));
		else if (pt->type == NLA_NESTED && pt->nested_policy)
			cpns_wipe_attrs(nla_data(attr), nla_len(attr),
					pt->nested_policy, pt->len);
	}
}

bool cpns_cmd_public(u8 cmd)
{
	/* Its handle, number, additional data and ciphertext travel in clear. */
	return cmd == CPNS_CMD_OPEN;
}

/*
 * Secrets that came in a request do not outlive it. The policy says which
 * attributes are binary (Documentation/netlink/specs/cpns.yaml); all of
 * them are wiped, whether secret or not, but in a request that carries no
 * secret (cpns_cmd_public()).
 */
static void cpns_wipe_request(struct genl_info *info)
{
	const struct genl_split_ops *op = cpns_nl_op(info->genlhdr->cmd);

	if (op && op->policy && !cpns_cmd_public(info->genlhdr->cmd))
		cpns_wipe_attrs(nlmsg_attrdata(info->nlhdr, GENL_HDRLEN),
				nlmsg_attrlen(info->nlhdr, GENL_HDRLEN),
				op->policy, op->maxattr);
}

/*
 * Run @doit for the request @req if it carries each of the @n attributes
 * of @required. Return: its errno, with @req->fail set on failure.
 */
int cpns_nl_run(struct cpns_req *req, int (*doit)(struct cpns_req *req),
		const u8 *required, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		if (GENL_REQ_ATTR_CHECK(req->info, required[i])) {
			cpns_missing_msg(req->info, required[i]);
			req->fail = CPNS_FAIL_INVALID;
			return -EINVAL;
		}
	}
	err = doit(req);
	if (err && !req->fail)
		req->fail = cpns_stats_reason(err);
	return err;
}

/*
 * Run @doit for a request that carries each of the @n attributes of
 * @required, then count it and wipe the request.
 */
int cpns_nl_doit(struct genl_info *info, int (*doit)(struct cpns_req *req),
		 const u8 *required, size_t n)
{
	struct cpns_req req = {
		.info = info,
		.cn = cpns_net(genl_info_net(info)),
	};
	int err;

	err = cpns_nl_run(&req, doit, required, n);
	cpns_wipe_request(info);
	cpns_stats_count(&req.cn->stats, info->genlhdr->cmd,
			 err ? req.fail : 0);
	return err;
}

/*
 * resv_start_op stays 0: every command, from the first, gets the strict
 * treatment of new families (reserved header fields and unknown
 * nlmsg_flags refused, attributes validated strictly, none accepted
 * without a policy).
 */
struct genl_family cpns_genl_family __ro_after_init = {
	.name = CPNS_GENL_NAME,
	.version = CPNS_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.resv_start_op = 0,
#ifdef CPNS_HAVE_SPLIT_OPS
	.split_ops = cpns_nl_ops,
	.n_split_ops = ARRAY_SIZE(cpns_nl_ops),
#else
	.ops = cpns_nl_ops,
	.n_ops = ARRAY_SIZE(cpns_nl_ops),
#endif
	.module = THIS_MODULE,
};

int __init cpns_genl_register(void)
{
	return genl_register_family(&cpns_genl_family);
}

void cpns_genl_unregister(void)
{
	genl_unregister_family(&cpns_genl_family);
}

static int cpns_netlink_notify(struct notifier_block *nb, unsigned long state,
			       void *data)
{
	struct netlink_notify *n = data;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	cpns_pending_release(&cpns_net(n->net)->pending, n->portid);
	return NOTIFY_DONE;
}

struct notifier_block cpns_netlink_notifier = {
	.notifier_call = cpns_netlink_notify,
};
