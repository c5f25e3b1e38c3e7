// SPDX-License-Identifier: GPL-2.0
/*
 * CPNS_CMD_BATCH: many requests of one command in one message, answered
 * by one message. Each item is parsed with its command's own policy and
 * run by its command's own handler as a request of its own, with its own
 * attributes and extack; its reply attributes, or its errno and extack,
 * make its CPNS_A_ITEM nest in the batch's reply. An item's reply or
 * error never takes more than its share, the item's size and
 * CPNS_BATCH_ITEM_ROOM bytes, so the batch's reply is never longer than
 * the request plus CPNS_BATCH_ITEM_ROOM bytes per item (what userspace
 * sizes its receive buffer by).
 *
 * The reply is allocated before any item runs, with room kept for every
 * item: its share, or for a command whose replies have a known size
 * (SEAL, OPEN) what its reply takes on success, never less than its
 * result without a message. Such a reply is grown when an item needs more
 * (an error message, OPEN's confirmation); if it cannot grow, that item
 * fails with ENOMEM, or its error message is cut, and the others run as
 * if it had room. Sized to what it will hold, the reply is neither
 * zeroed nor copied by netlink_trim() for room it does not use.
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
	size_t kept;		/* bytes of the reply kept for the items after */
	int top;		/* the highest attribute type of the policy */
	bool replied;		/* the item's handler put its reply */
};

/* An item's nest, index and errno. */
#define CPNS_BATCH_ITEM_HDR \
	(nla_total_size(0) + 2 * nla_total_size(sizeof(u32)))
/* An item's result with no error message at most. */
#define CPNS_BATCH_RESULT_MIN \
	(CPNS_BATCH_ITEM_HDR + 2 * nla_total_size(sizeof(u32)))
/* An item's error message at most: its result fits the item's share. */
#define CPNS_BATCH_MSG_MAX (CPNS_BATCH_ITEM_ROOM - 64)
/* Room for the batch beyond its items': one OPEN's confirmation. */
#define CPNS_BATCH_SLACK nla_total_size(CPNS_MAX_BLOB)

/* The room the reply of @bop keeps for @item before it runs. */
static size_t cpns_batch_keep(const struct cpns_batch_op *bop,
			      const struct nlattr *item)
{
	if (!bop->reply_size)
		return nla_total_size(nla_len(item)) + CPNS_BATCH_ITEM_ROOM;
	return max_t(size_t, CPNS_BATCH_ITEM_HDR + bop->reply_size(item),
		     CPNS_BATCH_RESULT_MIN);
}

/*
 * Make room for @size bytes of the running item in the reply, besides
 * what it keeps for the items after. Return: 0, or -ENOMEM.
 */
static int cpns_batch_room(struct cpns_batch *b, size_t size)
{
	struct sk_buff *msg = b->msg;
	size_t need = size + b->kept;
	size_t more;

	if (skb_tailroom(msg) >= need)
		return 0;
	/* Whatever grows once may grow again: room for a few more. */
	more = need - skb_tailroom(msg) + CPNS_BATCH_ITEM_ROOM;
	if (more > INT_MAX || pskb_expand_head(msg, 0, more, GFP_KERNEL))
		return -ENOMEM;
	return 0;
}

/* An item's reply: its nest in the batch's, @size bytes of attributes. */
struct sk_buff *cpns_batch_reply_new(struct cpns_batch *b, size_t size,
				     void **hdr)
{
	struct sk_buff *msg = b->msg;
	struct nlattr *item;

	if (b->replied || CPNS_BATCH_ITEM_HDR + size > b->share ||
	    cpns_batch_room(b, CPNS_BATCH_ITEM_HDR + size))
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

/* @text as a string attribute of @len bytes and a NUL. */
static int cpns_batch_put_msg(struct sk_buff *msg, const char *text,
			      size_t len)
{
	struct nlattr *attr;

	attr = nla_reserve(msg, CPNS_A_ERROR_MSG, len + 1);
	if (!attr)
		return -EMSGSIZE;
	memcpy(nla_data(attr), text, len);
	((char *)nla_data(attr))[len] = '\0';
	return 0;
}

/*
 * The length of the error message @text that the running item's result
 * puts: at most CPNS_BATCH_MSG_MAX bytes with its NUL, less if the reply
 * cannot grow for it; -1 for none.
 */
static long cpns_batch_msg_len(struct cpns_batch *b, const char *text)
{
	size_t len, room;

	if (!text)
		return -1;
	len = strnlen(text, CPNS_BATCH_MSG_MAX - 1);
	if (!cpns_batch_room(b, CPNS_BATCH_RESULT_MIN + nla_total_size(len + 1)))
		return len;
	/* The item's result without a message always fits. */
	room = skb_tailroom(b->msg) - b->kept - CPNS_BATCH_RESULT_MIN;
	if (room < nla_total_size(1))
		return -1;
	return min(len, room - nla_total_size(1));
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
	long len = cpns_batch_msg_len(b, ext->_msg);
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
	    (len >= 0 && cpns_batch_put_msg(msg, ext->_msg, len)) ||
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
 * @item's attributes into @tb, as nla_parse_nested() with @top, but only
 * the entries of the types it holds are set: the others are NULL already
 * (cpns_batch_unparse() after each item), and an item of a few attributes
 * does not clear the table's @top + 1 entries.
 */
static int cpns_batch_parse(struct nlattr **tb, int top,
			    const struct nlattr *item,
			    const struct nla_policy *policy)
{
	struct nlattr *attr;
	int rem, err;

	if (!(item->nla_type & NLA_F_NESTED))
		return -EINVAL;
	/* Strict: a type of 0 or above @top is refused. */
	err = nla_validate_nested(item, top, policy, NULL);
	if (err)
		return err;
	nla_for_each_nested(attr, item, rem)
		tb[nla_type(attr)] = attr;
	return 0;
}

/* NULL again every entry of @tb, up to @maxattr, that @item may have set. */
static void cpns_batch_unparse(struct nlattr **tb, int maxattr,
			       const struct nlattr *item)
{
	struct nlattr *attr;
	int rem;

	nla_for_each_nested(attr, item, rem)
		if (nla_type(attr) <= maxattr)
			tb[nla_type(attr)] = NULL;
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
	/* An offset: the reply may move as it grows. */
	unsigned int mark = b->msg->len;
	int err;

	info.attrs = tb;
	info.extack = &ext;
	b->replied = false;
	b->share = nla_total_size(nla_len(item)) + CPNS_BATCH_ITEM_ROOM;
	b->kept -= cpns_batch_keep(bop, item);
	/*
	 * An item refused by its policy up to b->top is parsed again, with
	 * the whole table, for the very error a request alone gets. Refused
	 * by its policy, an item is not counted: as a request.
	 */
	err = cpns_batch_parse(tb, b->top, item, op->policy);
	if (err)
		err = nla_parse_nested(tb, op->maxattr, item, op->policy,
				       &ext);
	if (!err) {
		err = cpns_nl_run(&req, bop->doit, bop->required,
				  bop->n_required);
		cpns_stats_count(&req.cn->stats, bop->cmd, err ? req.fail : 0);
	}
	cpns_batch_unparse(tb, op->maxattr, item);
	if (!cpns_cmd_public(bop->cmd))
		cpns_wipe_attrs(nla_data(item), nla_len(item), op->policy,
				op->maxattr);
	WARN_ON_ONCE(refcount_read(&b->msg->users) != 1);
	if (!err && b->replied)
		return 0;
	skb_trim(b->msg, mark);
	return cpns_batch_put_result(b, err, &ext, item);
}

/*
 * The items of the batch @info of @bop: their number, and in *@size the
 * room the reply keeps for them.
 */
static unsigned int cpns_batch_count(struct genl_info *info,
				     const struct cpns_batch_op *bop,
				     size_t *size)
{
	struct nlattr *item;
	unsigned int n = 0;
	int rem;

	*size = 0;
	nlmsg_for_each_attr(item, info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(item) != CPNS_A_ITEM)
			continue;
		n++;
		*size += cpns_batch_keep(bop, item);
	}
	return n;
}

/*
 * The highest attribute type that @op's policy accepts: an attribute
 * above it is refused by the policy whatever the table's length.
 */
static int cpns_batch_top(const struct genl_split_ops *op)
{
	int top = op->maxattr;

	while (top > 0 && op->policy[top].type == NLA_UNSPEC)
		top--;
	return top;
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
		if (!op)
			memzero_explicit(nla_data(item), nla_len(item));
		else if (!cpns_cmd_public(op->cmd))
			cpns_wipe_attrs(nla_data(item), nla_len(item),
					op->policy, op->maxattr);
	}
}

int cpns_cmd_batch(struct cpns_req *req)
{
	struct nlattr *tb[CPNS_A_MAX + 1] = { };
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
	n = cpns_batch_count(req->info, bop, &size);
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
	b.kept = size;
	size += nla_total_size(sizeof(u8));
	if (bop->reply_size)
		size += CPNS_BATCH_SLACK;
	b.msg = cpns_reply_new(req, size, &hdr);
	if (!b.msg) {
		cpns_batch_wipe(req->info, op);
		return cpns_nomem(req);
	}
	if (nla_put_u8(b.msg, CPNS_A_BATCH_CMD, bop->cmd))
		err = -EMSGSIZE;
	breq.batch = &b;
	b.top = cpns_batch_top(op);
	nlmsg_for_each_attr(item, req->info->nlhdr, GENL_HDRLEN, rem) {
		if (nla_type(item) != CPNS_A_ITEM)
			continue;
		if (err && !cpns_cmd_public(bop->cmd))
			cpns_wipe_attrs(nla_data(item), nla_len(item),
					op->policy, op->maxattr);
		else if (!err)
			err = cpns_batch_item(&breq, bop, op, item, tb);
		b.index++;
	}
	if (err)
		return cpns_reply_overflow(req, b.msg);
	/* Where the header is now, if the reply grew. */
	hdr = genlmsg_data(nlmsg_data(nlmsg_hdr(b.msg)));
	return cpns_reply_send(req, b.msg, hdr);
}
