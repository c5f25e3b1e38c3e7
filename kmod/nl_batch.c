// SPDX-License-Identifier: GPL-2.0
/*
 * CPNS_CMD_BATCH: many requests of one command in one message, answered
 * by one message. Each item is parsed with its command's own policy and
 * run by its command's own handler as a request of its own, with its own
 * attributes and extack; its reply attributes, or its errno and extack,
 * make its CPNS_A_ITEM nest in the batch's reply. The reply is allocated
 * once, before any item runs, with a share for every item: the item's
 * size and CPNS_BATCH_ITEM_ROOM bytes. An item's reply or error never
 * takes more than its share, so the batch is refused whole or runs whole,
 * and its reply is never longer than the request plus
 * CPNS_BATCH_ITEM_ROOM bytes per item (what userspace sizes its receive
 * buffer by).
 */

#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/cpns.h>
#include "nl.h"
#include "stats.h"

/* The highest batch_max: 1024 items of the smallest reply fit in 1 MiB. */
#define CPNS_BATCH_LIMIT 1024

static unsigned int cpns_batch_max_items = 64;

static int cpns_batch_max_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, CPNS_BATCH_LIMIT);
}

static const struct kernel_param_ops cpns_batch_max_ops = {
	.set = cpns_batch_max_set,
	.get = param_get_uint,
};

module_param_cb(batch_max, &cpns_batch_max_ops, &cpns_batch_max_items, 0444);
MODULE_PARM_DESC(batch_max, "items of one CPNS_CMD_BATCH at most (1 to 1024, default 64)");

unsigned int cpns_batch_max(void)
{
	return cpns_batch_max_items;
}

/* A batch being run: its reply, and the item running. */
struct cpns_batch {
	struct sk_buff *msg;
	u32 index;
	size_t share;		/* bytes of the reply the item may use */
	bool replied;		/* the item's handler put its reply */
};

/* An item's nest, index and errno. */
#define CPNS_BATCH_ITEM_HDR \
	(nla_total_size(0) + 2 * nla_total_size(sizeof(u32)))
/* An item's error message at most: its result fits the item's share. */
#define CPNS_BATCH_MSG_MAX (CPNS_BATCH_ITEM_ROOM - 64)

/* An item's reply: its nest in the batch's, @size bytes of attributes. */
struct sk_buff *cpns_batch_reply_new(struct cpns_batch *b, size_t size,
				     void **hdr)
{
	struct sk_buff *msg = b->msg;
	struct nlattr *item;

	if (b->replied || CPNS_BATCH_ITEM_HDR + size > b->share)
		return NULL;
	item = nla_nest_start(msg, CPNS_A_ITEM);
	if (!item || nla_put_u32(msg, CPNS_A_INDEX, b->index) ||
	    nla_put_u32(msg, CPNS_A_ERRNO, 0))
		return NULL;	/* the item's failure trims what was put */
	*hdr = item;
	/* The handler's reference: it frees it on failure, as its own. */
	return skb_get(msg);
}

void cpns_batch_reply_send(struct cpns_batch *b, struct sk_buff *msg,
			   void *hdr)
{
	nla_nest_end(msg, hdr);
	b->replied = true;
	consume_skb(msg);	/* the handler's reference */
}

/* @text as a string attribute, cut to CPNS_BATCH_MSG_MAX bytes. */
static int cpns_batch_put_msg(struct sk_buff *msg, const char *text)
{
	size_t len = strnlen(text, CPNS_BATCH_MSG_MAX - 1);
	struct nlattr *attr;

	attr = nla_reserve(msg, CPNS_A_ERROR_MSG, len + 1);
	if (!attr)
		return -EMSGSIZE;
	memcpy(nla_data(attr), text, len);
	((char *)nla_data(attr))[len] = '\0';
	return 0;
}

/*
 * The nest of item @b->index that has no reply of its own: errno @err
 * and, for a failure, the item's extack @ext; the attribute at fault is
 * named by its type if it lies in @item. It fits the item's share.
 */
static int cpns_batch_put_result(struct cpns_batch *b, int err,
				 const struct netlink_ext_ack *ext,
				 const struct nlattr *item)
{
	const struct nlattr *bad = ext->bad_attr;
	struct sk_buff *msg = b->msg;
	struct nlattr *nest;

	if (bad && ((const void *)bad < nla_data(item) ||
		    (const void *)bad >= nla_data(item) + nla_len(item)))
		bad = NULL;
	nest = nla_nest_start(msg, CPNS_A_ITEM);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(msg, CPNS_A_INDEX, b->index) ||
	    nla_put_u32(msg, CPNS_A_ERRNO, -err) ||
	    (ext->_msg && cpns_batch_put_msg(msg, ext->_msg)) ||
	    (bad && nla_put_u32(msg, CPNS_A_ERROR_ATTR, nla_type(bad))) ||
	    (ext->miss_type &&
	     nla_put_u32(msg, CPNS_A_ERROR_MISSING, ext->miss_type))) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * Run @item of the batch @breq, a request of @bop->cmd with the policy of
 * @op, parsing it into @tb, and put its result in the batch's reply.
 * Return: 0, or -EMSGSIZE if the result did not fit (a bug: the reply
 * has room for every item).
 */
static int cpns_batch_item(struct cpns_req *breq,
			   const struct cpns_batch_op *bop,
			   const struct genl_split_ops *op,
			   struct nlattr *item, struct nlattr **tb)
{
	struct cpns_batch *b = breq->batch;
	struct netlink_ext_ack ext = { };
	struct genl_info info = *breq->info;
	struct cpns_req req = {
		.info = &info,
		.cn = breq->cn,
		.batch = b,
	};
	unsigned char *mark = skb_tail_pointer(b->msg);
	int err;

	info.attrs = tb;
	info.extack = &ext;
	b->replied = false;
	b->share = nla_total_size(nla_len(item)) + CPNS_BATCH_ITEM_ROOM;
	/* Refused by its policy, an item is not counted: as a request. */
	err = nla_parse_nested(tb, op->maxattr, item, op->policy, &ext);
	if (!err) {
		err = cpns_nl_run(&req, bop->doit, bop->required,
				  bop->n_required);
		cpns_stats_count(&req.cn->stats, bop->cmd, err ? req.fail : 0);
	}
	cpns_wipe_attrs(nla_data(item), nla_len(item), op->policy,
			op->maxattr);
	WARN_ON_ONCE(refcount_read(&b->msg->users) != 1);
	if (!err && b->replied)
		return 0;
	nlmsg_trim(b->msg, mark);
	return cpns_batch_put_result(b, err, &ext, item);
}

/*
 * The items of the batch @info: their number, and in *@size the room the
 * reply needs for them.
 */
static unsigned int cpns_batch_count(struct genl_info *info, size_t *size)
{
	struct nlattr *item;
	unsigned int n = 0;
	int rem;

	*size = nla_total_size(sizeof(u8));
	nlmsg_for_each_attr(item, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(item) != CPNS_A_ITEM)
			continue;
		n++;
		*size += nla_total_size(nla_len(item)) + CPNS_BATCH_ITEM_ROOM;
	}
	return n;
}

/* The batch's command, checked batchable: its batch op and its op. */
static const struct cpns_batch_op *cpns_batch_cmd(struct cpns_req *req,
						  const struct genl_split_ops **op)
{
	u8 cmd = nla_get_u8(req->info->attrs[CPNS_A_BATCH_CMD]);
	const struct cpns_batch_op *bop = cpns_batch_op(cmd);

	*op = bop ? cpns_nl_op(cmd) : NULL;
	if (!*op) {
		cpns_fail_attr(req, CPNS_A_BATCH_CMD, CPNS_FAIL_INVALID, -EINVAL,
			       "this command cannot be batched: see CPNS_CMD_BATCH in Documentation/netlink.rst");
		return NULL;
	}
	return bop;
}

/*
 * Wipe every item of a batch refused whole: its binary attributes by its
 * command's policy @op, or, for a command not batched, all of it.
 */
static void cpns_batch_wipe(struct genl_info *info,
			    const struct genl_split_ops *op)
{
	struct nlattr *item;
	int rem;

	nlmsg_for_each_attr(item, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(item) != CPNS_A_ITEM)
			continue;
		if (op)
			cpns_wipe_attrs(nla_data(item), nla_len(item),
					op->policy, op->maxattr);
		else
			memzero_explicit(nla_data(item), nla_len(item));
	}
}

int cpns_cmd_batch(struct cpns_req *req)
{
	struct nlattr *tb[CPNS_A_MAX + 1];
	const struct cpns_batch_op *bop;
	const struct genl_split_ops *op;
	struct cpns_batch b = { };
	struct cpns_req breq = *req;
	struct nlattr *item;
	unsigned int n;
	size_t size;
	void *hdr;
	int rem, err = 0;

	bop = cpns_batch_cmd(req, &op);
	if (!bop) {
		cpns_batch_wipe(req->info, NULL);
		return -EINVAL;
	}
	n = cpns_batch_count(req->info, &size);
	if (!n) {
		cpns_missing_msg(req->info, CPNS_A_ITEM);
		req->fail = CPNS_FAIL_INVALID;
		return -EINVAL;
	}
	if (n > cpns_batch_max_items) {
		cpns_batch_wipe(req->info, op);
		return cpns_fail(req, CPNS_FAIL_LIMIT, -E2BIG,
				 "more items than the module parameter batch_max allows: split the batch");
	}
	b.msg = cpns_reply_new(req, size, &hdr);
	if (!b.msg) {
		cpns_batch_wipe(req->info, op);
		return cpns_nomem(req);
	}
	if (nla_put_u8(b.msg, CPNS_A_BATCH_CMD, bop->cmd))
		err = -EMSGSIZE;
	breq.batch = &b;
	nlmsg_for_each_attr(item, req->info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(item) != CPNS_A_ITEM)
			continue;
		if (err)
			cpns_wipe_attrs(nla_data(item), nla_len(item),
					op->policy, op->maxattr);
		else
			err = cpns_batch_item(&breq, bop, op, item, tb);
		b.index++;
	}
	if (err)
		return cpns_reply_overflow(req, b.msg);
	return cpns_reply_send(req, b.msg, hdr);
}
