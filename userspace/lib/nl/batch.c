// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * CPNS_CMD_BATCH: many requests of one command in one message, and the
 * batched SEAL and OPEN.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/genetlink.h>
#include <netlink/msg.h>

#include "internal.h"

static int max_reply(const struct cpns_reply *r, void *arg)
{
	uint32_t *max = arg;

	if (cpns_reply_u32(r, CPNS_A_BATCH_MAX, max))
		*max = 0;
	return 0;
}

int cpns_batch_max(struct cpns_nl *nl)
{
	uint32_t max = 0;
	int ret;

	if (nl->batch_max)
		return (int)nl->batch_max;
	ret = cpns_request(nl, CPNS_CMD_GET_INFO, 0, NULL, NULL, max_reply,
			   &max);
	if (ret)
		return ret;
	if (!max || max > INT32_MAX)
		return cpns__fail(nl, -EOPNOTSUPP,
				  "the cpns module has no CPNS_CMD_BATCH (GET_INFO reports no batch_max)");
	nl->batch_max = max;
	return (int)max;
}

/* The replies of one batch: items first .. first + count - 1. */
struct batch_rx {
	struct cpns_nl *nl;
	size_t first;
	size_t count;
	size_t got;
	cpns_item_fn done;
	void *arg;
	int cbret;
};

static int item_reply(const struct cpns_reply *item, void *arg)
{
	struct batch_rx *rx = arg;
	struct cpns_item_result res = { .attr_type = -1, .miss_type = -1 };
	uint32_t index, err, u;
	const char *msg;
	size_t len;

	if (cpns_reply_u32(item, CPNS_A_INDEX, &index) ||
	    cpns_reply_u32(item, CPNS_A_ERRNO, &err) || index != rx->got ||
	    index >= rx->count || err > 4095)
		return cpns__fail(rx->nl, -EBADMSG,
				  "malformed kernel reply: batch item %zu",
				  rx->got);
	rx->got++;
	res.index = rx->first + index;
	res.err = -(int)err;
	msg = cpns_reply_get(item, CPNS_A_ERROR_MSG, &len);
	if (msg && len && !msg[len - 1])
		res.msg = msg;
	if (!cpns_reply_u32(item, CPNS_A_ERROR_ATTR, &u))
		res.attr_type = (int)u;
	if (!cpns_reply_u32(item, CPNS_A_ERROR_MISSING, &u))
		res.miss_type = (int)u;
	if (rx->done && !rx->cbret)
		rx->cbret = rx->done(item, &res, rx->arg);
	return 0;
}

void cpns_item_error(const struct cpns_item_result *res,
		     struct cpns_error *e)
{
	memset(e, 0, sizeof(*e));
	e->err = res->err;
	e->from_kernel = res->msg != NULL;
	snprintf(e->msg, sizeof(e->msg), "%s",
		 res->msg ? res->msg : strerror(-res->err));
	e->offset = -1;
	e->attr_type = res->attr_type;
	e->miss_type = res->miss_type;
	e->miss_nest = -1;
}

static int batch_reply(const struct cpns_reply *r, void *arg)
{
	return cpns_reply_foreach(r, CPNS_A_ITEM, item_reply, arg);
}

/*
 * Append item i as the count-th of msg; -EMSGSIZE (msg as it was) if it
 * does not fit the request the socket sends, or the batch's reply could
 * exceed CPNS_BATCH_RX_MAX.
 */
static int put_item(const struct cpns_nl *nl, struct cpns_msg *msg, size_t i,
		    size_t count, cpns_item_build_fn build, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg->m);
	uint32_t mark = nlh->nlmsg_len;
	struct nlattr *nest;
	int ret = -EMSGSIZE;

	nest = cpns_msg_nest_start(msg, CPNS_A_ITEM);
	if (nest) {
		ret = build(msg, i, arg);
		if (!ret)
			ret = cpns_msg_nest_end(msg, nest);
	}
	if (!ret && (nlh->nlmsg_len > nl->tx_max ||
		     nlh->nlmsg_len + count * CPNS_BATCH_ITEM_ROOM >
		     CPNS_BATCH_RX_MAX))
		ret = -EMSGSIZE;
	if (ret) {
		explicit_bzero((uint8_t *)nlh + mark, nlh->nlmsg_len - mark);
		nlh->nlmsg_len = mark;
	}
	return ret;
}

/* One batch from item first on: in *count the items it took. */
static int batch_one(struct cpns_nl *nl, uint8_t cmd, size_t first,
		     size_t n, size_t max, cpns_item_build_fn build,
		     cpns_item_fn done, void *arg, size_t *count)
{
	struct batch_rx rx = { .nl = nl, .first = first, .done = done,
			       .arg = arg };
	struct cpns_msg *msg;
	size_t k = 0;
	int ret;

	msg = cpns__req(nl, CPNS_CMD_BATCH, nl->tx_max);
	if (!msg)
		return cpns__fail(nl, -ENOMEM, "out of memory");
	/* Handles, numbers, additional data and ciphertexts: no secret. */
	msg->public = cmd == CPNS_CMD_OPEN;
	ret = cpns_msg_put_u8(msg, CPNS_A_BATCH_CMD, cmd);
	while (!ret && k < max && first + k < n) {
		ret = put_item(nl, msg, first + k, k + 1, build, arg);
		if (!ret) {
			k++;
		} else if (ret == -EMSGSIZE && k) {
			ret = 0;	/* the item starts the next batch */
			max = k;
		}
	}
	if (ret) {
		cpns__req_end(nl, msg);
		return cpns__fail(nl, ret, "cannot build batch item %zu: %s",
				  first + k, strerror(-ret));
	}
	rx.count = k;
	/* The reply's bound: the request and the room of each item. */
	ret = cpns__send(nl, msg,
			 nlmsg_hdr(msg->m)->nlmsg_len +
			 k * CPNS_BATCH_ITEM_ROOM, batch_reply, &rx);
	cpns__req_end(nl, msg);
	*count = k;
	if (!ret && rx.got != k)
		ret = cpns__fail(nl, -EBADMSG,
				 "the kernel answered %zu of %zu batch items",
				 rx.got, k);
	return ret ? ret : rx.cbret;
}

int cpns_batch(struct cpns_nl *nl, uint8_t cmd, size_t n,
	       cpns_item_build_fn build, cpns_item_fn done, void *arg)
{
	size_t i = 0, count = 0;
	int max, ret = 0;

	cpns__clear_error(nl);
	max = cpns_batch_max(nl);
	if (max < 0)
		return max;
	while (!ret && i < n) {
		ret = batch_one(nl, cmd, i, n, (size_t)max, build, done, arg,
				&count);
		i += count;
	}
	return ret;
}

/* ------------------------------------------------------ SEAL, OPEN */

static int seal_build(struct cpns_msg *msg, size_t i, void *arg)
{
	return cpns_seal_item_put(msg, (struct cpns_seal_item *)arg + i);
}

int cpns_seal_item_put(struct cpns_msg *msg, const struct cpns_seal_item *it)
{
	int ret;

	ret = cpns_msg_put_u32(msg, CPNS_A_HANDLE, it->handle);
	if (!ret && it->aadlen)
		ret = cpns_msg_put(msg, CPNS_A_AAD, it->aad, it->aadlen);
	if (!ret)
		ret = cpns_msg_put(msg, CPNS_A_DATA, it->pt, it->len);
	return ret;
}

/* The reply's data into out (cap bytes): its length, or a negative errno. */
static long data_out(const struct cpns_reply *item, void *out, size_t cap)
{
	size_t len;
	const void *data = cpns_reply_get(item, CPNS_A_DATA, &len);

	if (!data)
		return -EBADMSG;
	if (len > cap)
		return -ENOSPC;
	memcpy(out, data, len);
	return (long)len;
}

static int seal_done(const struct cpns_reply *item,
		     const struct cpns_item_result *res, void *arg)
{
	struct cpns_seal_item *it = (struct cpns_seal_item *)arg + res->index;

	it->err = res->err ? res->err : cpns_seal_item_reply(item, it);
	return 0;
}

int cpns_seal_item_reply(const struct cpns_reply *item,
			 struct cpns_seal_item *it)
{
	long len = data_out(item, it->out, it->outlen);

	if (len >= 0 && cpns_reply_u64(item, CPNS_A_SEQ, &it->seq))
		len = -EBADMSG;
	if (len < 0)
		return (int)len;
	it->outlen = (size_t)len;
	return 0;
}

/* Every item's err: the batch's, until its reply says otherwise. */
#define SET_ERR(items, n, e) do {					\
	size_t __i;							\
									\
	for (__i = 0; __i < (n); __i++)					\
		(items)[__i].err = (e);					\
} while (0)

int cpns_seal_batch(struct cpns_nl *nl, struct cpns_seal_item *items,
		    size_t n)
{
	SET_ERR(items, n, -ECANCELED);
	return cpns_batch(nl, CPNS_CMD_SEAL, n, seal_build, seal_done, items);
}

static int open_build(struct cpns_msg *msg, size_t i, void *arg)
{
	return cpns_open_item_put(msg, (struct cpns_open_item *)arg + i);
}

int cpns_open_item_put(struct cpns_msg *msg, const struct cpns_open_item *it)
{
	int ret;

	ret = cpns_msg_put_u32(msg, CPNS_A_HANDLE, it->handle);
	if (!ret)
		ret = cpns_msg_put_u64(msg, CPNS_A_SEQ, it->seq);
	if (!ret && it->aadlen)
		ret = cpns_msg_put(msg, CPNS_A_AAD, it->aad, it->aadlen);
	if (!ret)
		ret = cpns_msg_put(msg, CPNS_A_DATA, it->in, it->len);
	return ret;
}

/* The device record an OPEN confirmed (a server's): 0, or -EBADMSG. */
static int open_rec(const struct cpns_reply *item, struct cpns_record *rec)
{
	const void *blob;
	size_t len;

	memset(rec, 0, sizeof(*rec));
	if (!cpns_reply_has(item, CPNS_A_STATE))
		return 0;
	blob = cpns_reply_get(item, CPNS_A_BLOB, &len);
	if (!blob || len > CPNS_MAX_BLOB)
		return -EBADMSG;
	memcpy(rec->blob, blob, len);
	rec->blob_len = len;
	cpns_reply_u8(item, CPNS_A_STATE, &rec->state);
	cpns_reply_u32(item, CPNS_A_GENERATION, &rec->generation);
	return 0;
}

static int open_done(const struct cpns_reply *item,
		     const struct cpns_item_result *res, void *arg)
{
	struct cpns_open_item *it = (struct cpns_open_item *)arg + res->index;

	it->confirmed = 0;
	it->err = res->err ? res->err : cpns_open_item_reply(item, it);
	return 0;
}

int cpns_open_item_reply(const struct cpns_reply *item,
			 struct cpns_open_item *it)
{
	long len = data_out(item, it->out, it->outlen);

	if (len >= 0 && it->rec && open_rec(item, it->rec))
		len = -EBADMSG;
	if (len < 0) {
		explicit_bzero(it->out, it->outlen);
		return (int)len;
	}
	it->outlen = (size_t)len;
	/* As cpns_unseal_rk(): the message confirmed a re-keyed record. */
	it->confirmed = cpns_reply_has(item, CPNS_A_STATE) &&
			cpns_reply_has(item, CPNS_A_BLOB);
	return 0;
}

int cpns_unseal_batch(struct cpns_nl *nl, struct cpns_open_item *items,
		      size_t n)
{
	SET_ERR(items, n, -ECANCELED);
	return cpns_batch(nl, CPNS_CMD_OPEN, n, open_build, open_done, items);
}

/* ------------------------------------------------------ SESSION_DEL */

struct del_ctx {
	const uint32_t *handles;
	int *errs;
};

static int del_build(struct cpns_msg *msg, size_t i, void *arg)
{
	const struct del_ctx *d = arg;

	return cpns_msg_put_u32(msg, CPNS_A_HANDLE, d->handles[i]);
}

static int del_done(const struct cpns_reply *item,
		    const struct cpns_item_result *res, void *arg)
{
	const struct del_ctx *d = arg;

	(void)item;
	if (d->errs)
		d->errs[res->index] = res->err;
	return 0;
}

int cpns_session_del_batch(struct cpns_nl *nl, const uint32_t *handles,
			   size_t n, int *errs)
{
	struct del_ctx d = { .handles = handles, .errs = errs };
	size_t i;

	for (i = 0; errs && i < n; i++)
		errs[i] = -ECANCELED;
	return cpns_batch(nl, CPNS_CMD_SESSION_DEL, n, del_build, del_done,
			  &d);
}
