/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the family file (netlink.c) and the handlers (nl_*.c) share: the
 * request being served, how it fails, its replies, and the handlers.
 */
#ifndef _CPNS_NL_H
#define _CPNS_NL_H

#include <linux/key.h>
#include <linux/types.h>
#include <net/genetlink.h>
#include <linux/cpns.h>
#include "compat.h"
#include "keys.h"
#include "netns.h"
#include "pending.h"
#include "step.h"

struct cpns_batch;

/*
 * A request being served: a message, or one item of a CPNS_CMD_BATCH
 * (@batch set; @info then holds the item's attributes and extack).
 */
struct cpns_req {
	struct genl_info *info;
	struct cpns_net *cn;
	enum cpns_fail fail;	/* why it failed, for the stats; 0: by errno */
	struct cpns_batch *batch;	/* the batch this item is of, or NULL */
};

/* Fail @req: extack message, failure reason, and the errno to return. */
#define cpns_fail(req, reason, err, msg) ({				\
	struct cpns_req *__req = (req);					\
									\
	GENL_SET_ERR_MSG(__req->info, msg);				\
	__req->fail = (reason);						\
	(err);								\
})

/* The same, pointing the extack at the attribute @type of the request. */
#define cpns_fail_attr(req, type, reason, err, msg) ({			\
	struct cpns_req *__req = (req);					\
									\
	NL_SET_ERR_MSG_ATTR(__req->info->extack,			\
			    __req->info->attrs[type], msg);		\
	__req->fail = (reason);						\
	(err);								\
})

extern struct genl_family cpns_genl_family;
void cpns_missing_msg(struct genl_info *info, int type);

/* nl_req.c: the request's attributes. */
const u8 *cpns_data(struct cpns_req *req, int type);
u32 cpns_timeout(struct cpns_req *req);
const u8 *cpns_label(struct cpns_req *req, unsigned int *len);
const u8 *cpns_req_replaces(struct cpns_req *req, const u8 *did);
int cpns_req_keyref(struct cpns_req *req, bool kek, u8 **buf,
		    unsigned int *len);

struct cpns_record_ctx;
/*
 * The server's KEK, if named (both CPNS_A_KEYREF_TYPE and _DESC, else
 * neither), read as KEY_WRAP reads it, into @ctx with CPNS_A_LABEL; *@kek
 * is the copy to kfree_sensitive() (NULL if none). nl_auth.c.
 */
int cpns_req_record_ctx(struct cpns_req *req, struct cpns_record_ctx *ctx,
			u8 **kek);
const u8 *cpns_req_kind_id(struct cpns_req *req, enum cpns_key_kind *kind);

/* nl_req.c: replies. */
struct sk_buff *cpns_reply_new(struct cpns_req *req, size_t size, void **hdr);
int cpns_reply_send(struct cpns_req *req, struct sk_buff *msg, void *hdr);
int cpns_reply_overflow(struct cpns_req *req, struct sk_buff *msg);

/* nl_req.c: keys and pending objects named by the request. */
struct key *cpns_req_seed(struct cpns_req *req, const u8 *sid, int type,
			  int role);
struct key *cpns_req_device(struct cpns_req *req, const u8 *did, int type,
			    struct cpns_key_info *ki);
int cpns_req_secret(struct cpns_req *req, const struct key *key, u8 *secret);
struct cpns_obj *cpns_req_take(struct cpns_req *req, enum cpns_obj_type type);
/* Why cpns_key_lookup() of the ID in @attr failed with @err: the extack. */
void cpns_lookup_error(struct cpns_req *req, struct nlattr *attr, int err);

/* nl_reason.c: failures shared by several commands; each returns the errno. */
int cpns_nomem(struct cpns_req *req);
int cpns_crypto_failed(struct cpns_req *req, int err);
int cpns_handle_error(struct cpns_req *req, int err);
int cpns_pending_full(struct cpns_req *req, int err);
int cpns_xfer_error(struct cpns_req *req, int err);
int cpns_revoke_error(struct cpns_req *req, int type, int err);
int cpns_store_error(struct cpns_req *req, enum cpns_key_kind kind, int err);
/* -EDQUOT (owner's key quota) or -EBUSY (keys_max): the extack, else 0. */
int cpns_key_limit(struct cpns_req *req, int err);

/*
 * nl_reason.c: fail @req for the reason @why of a step that returned @err;
 * @id is the attribute of the ID the step was given, or 0. Return: the
 * errno.
 */
int cpns_req_why(struct cpns_req *req, int err, enum cpns_reason why, int id);

/*
 * netlink.c: run @doit for a request that carries each of the @n
 * attributes of @required, then count it and wipe the request.
 */
int cpns_nl_doit(struct genl_info *info, int (*doit)(struct cpns_req *req),
		 const u8 *required, size_t n);
/* netlink.c: cpns_nl_doit()'s run of @doit, without counting or wiping. */
int cpns_nl_run(struct cpns_req *req, int (*doit)(struct cpns_req *req),
		const u8 *required, size_t n);
/* netlink.c: the generated op of @cmd that has a doit (its policy). */
const struct genl_split_ops *cpns_nl_op(u8 cmd);
/*
 * netlink.c: whether a request of @cmd carries no secret (OPEN), so that
 * nothing of it is wiped once it has run.
 */
bool cpns_cmd_public(u8 cmd);
/* netlink.c: zero every binary attribute of @head, nested ones included. */
void cpns_wipe_attrs(const struct nlattr *head, int len,
		     const struct nla_policy *policy, int maxattr);

/*
 * nl_ops.c: a command that CPNS_CMD_BATCH runs, and how. @reply_size, if
 * set, gives the size of an item's reply attributes on success, which
 * sizes the batch's reply; else an item has CPNS_BATCH_ITEM_ROOM bytes
 * more than its own size.
 */
struct cpns_batch_op {
	u8 cmd;
	size_t (*reply_size)(const struct nlattr *item);
	int (*doit)(struct cpns_req *req);
	const u8 *required;
	size_t n_required;
};

/* nl_ops.c: the batch op of @cmd, or NULL if @cmd is not batched. */
const struct cpns_batch_op *cpns_batch_op(u8 cmd);

/* nl_batch.c: an item's reply, within the batch's (cpns_reply_new()). */
struct sk_buff *cpns_batch_reply_new(struct cpns_batch *b, size_t size,
				     void **hdr);
void cpns_batch_reply_send(struct cpns_batch *b, struct sk_buff *msg,
			   void *hdr);
/* nl_batch.c: the module parameter batch_max. */
unsigned int cpns_batch_max(void);

/* The handlers, bound to the generated ops by nl_ops.c. */
int cpns_cmd_get_info(struct cpns_req *req);
int cpns_cmd_get_stats(struct cpns_req *req);
int cpns_nl_key_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int cpns_cmd_key_del(struct cpns_req *req);
int cpns_cmd_key_wrap(struct cpns_req *req);
int cpns_cmd_key_unwrap(struct cpns_req *req);
int cpns_cmd_key_revoke(struct cpns_req *req);
int cpns_cmd_key_retire(struct cpns_req *req);
int cpns_cmd_seed_new(struct cpns_req *req);
int cpns_cmd_xfer_new(struct cpns_req *req);
int cpns_cmd_xfer_code(struct cpns_req *req);
int cpns_cmd_xfer_pair(struct cpns_req *req);
int cpns_cmd_xfer_release(struct cpns_req *req);
int cpns_cmd_xfer_accept(struct cpns_req *req);
int cpns_cmd_seed_export(struct cpns_req *req);
int cpns_cmd_seed_import(struct cpns_req *req);
int cpns_cmd_device_export(struct cpns_req *req);
int cpns_cmd_device_import(struct cpns_req *req);
int cpns_cmd_assign_request(struct cpns_req *req);
int cpns_cmd_assign_challenge(struct cpns_req *req);
int cpns_cmd_assign_derive(struct cpns_req *req);
int cpns_cmd_assign_confirm(struct cpns_req *req);
int cpns_cmd_assign_verify(struct cpns_req *req);
int cpns_cmd_auth_begin(struct cpns_req *req);
int cpns_cmd_auth_challenge(struct cpns_req *req);
int cpns_cmd_auth_client(struct cpns_req *req);
int cpns_cmd_auth_server(struct cpns_req *req);
int cpns_cmd_auth_finish(struct cpns_req *req);
int cpns_cmd_seal(struct cpns_req *req);
int cpns_cmd_open(struct cpns_req *req);
/* nl_auth.c: what SEAL's or OPEN's reply to @item takes on success. */
size_t cpns_seal_reply_size(const struct nlattr *item);
size_t cpns_open_reply_size(const struct nlattr *item);
int cpns_cmd_session_del(struct cpns_req *req);
int cpns_cmd_batch(struct cpns_req *req);

#endif /* _CPNS_NL_H */
