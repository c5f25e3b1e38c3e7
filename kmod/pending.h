/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pending protocol state of one network namespace.
 *
 * Handles: one allocating xarray names X25519 transfer key pairs
 * (XFER_NEW), client and server a-flows, and the sessions they become.
 * Handles are u32, never 0, allocated cyclically. Each object belongs to
 * the netlink socket (portid) that made it: only that socket may use it,
 * and cpns_pending_release() frees it when the socket closes.
 *
 * II-2 challenges are kept apart, keyed by the request nonce n1 and bound
 * to no socket, since II-6 may arrive on another connection.
 *
 * Every object but a session expires cpns_pending_timeout seconds after it
 * was made: a lookup refuses an expired object at once and a delayed work
 * frees expired ones, so the counts fall back to 0 on their own. Pending
 * objects and challenges share the cap cpns_pending_max, sessions have
 * cpns_session_max.
 *
 * A request works on a pending object with take/restore: cpns_obj_take()
 * removes it from view while keeping its handle reserved, so concurrent
 * requests on one handle cannot both use it, and the request then either
 * puts it back (cpns_obj_restore()), frees it (cpns_obj_drop()) or puts a
 * session in its place (cpns_obj_replace()). Sessions are instead shared
 * and counted (session.h).
 */
#ifndef _CPNS_PENDING_H
#define _CPNS_PENDING_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/cpns.h>

enum cpns_obj_type {
	CPNS_OBJ_XFER = 1,		/* struct cpns_xfer */
	CPNS_OBJ_CLIENT_FLOW,		/* struct cpns_flow, GW2 side */
	CPNS_OBJ_SERVER_FLOW,		/* struct cpns_flow, server side */
	CPNS_OBJ_SESSION,		/* struct cpns_session (session.h) */
	CPNS_OBJ_EXPORT,		/* struct cpns_export */
};

/**
 * struct cpns_obj - what every object named by a handle starts with
 * @type: what it is
 * @handle: its handle
 * @portid: the netlink socket it belongs to
 * @expires: in jiffies; not used for sessions
 * @gc: links it on a local list while it is being freed
 */
struct cpns_obj {
	enum cpns_obj_type type;
	u32 handle;
	u32 portid;
	unsigned long expires;
	struct list_head gc;
};

/* An X25519 key pair made by XFER_NEW; the secret never leaves. */
struct cpns_xfer {
	struct cpns_obj obj;
	u8 secret[CPNS_PUBKEY_LEN];
};

/*
 * A secret sealed by SEED_EXPORT or DEVICE_EXPORT, held until XFER_RELEASE
 * checks that the receiver key is one the kernel accepts (xfer.h).
 */
struct cpns_export {
	struct cpns_obj obj;
	u8 kind;			/* enum cpns_key_kind */
	u8 id[CPNS_DEVICE_ID_LEN];	/* CPNS_SEED_ID_LEN bytes for a seed */
	u8 sender_pub[CPNS_PUBKEY_LEN];
	u8 receiver_pub[CPNS_PUBKEY_LEN];
	u8 wrapped[CPNS_WRAPPED_LEN];
	u32 code;
};

struct cpns_flow;			/* auth.h */

/**
 * struct cpns_challenge - an II-2 challenge awaiting II-6
 * @node: in the namespace's hash, by @n1
 * @expires: in jiffies
 * @failures: wrong Device IDs presented for it so far
 * @sid: Seed ID
 * @n1: request nonce
 * @ch: the challenge
 */
struct cpns_challenge {
	struct hlist_node node;
	unsigned long expires;
	unsigned int failures;
	u8 sid[CPNS_SEED_ID_LEN];
	u8 n1[CPNS_NONCE_LEN];
	u8 ch[CPNS_CHALLENGE_LEN];
};

#define CPNS_CHALLENGE_HASH_BITS	8

/**
 * struct cpns_pending - handles and challenges of one network namespace
 * @objs: handle to struct cpns_obj; its xa_lock guards the objects' fields
 * @next_handle: cursor of the cyclic handle allocation
 * @ch_lock: protects @challenges
 * @challenges: II-2 challenges hashed by n1
 * @ch_key: key of that hash
 * @count: pending objects and challenges, at most cpns_pending_max
 * @sessions: sessions, at most cpns_session_max
 * @reaper: frees expired objects and challenges
 */
struct cpns_pending {
	struct xarray objs;
	u32 next_handle;
	spinlock_t ch_lock;		/* protects challenges */
	DECLARE_HASHTABLE(challenges, CPNS_CHALLENGE_HASH_BITS);
	siphash_key_t ch_key;
	atomic_t count;
	atomic_t sessions;
	struct delayed_work reaper;
};

/**
 * cpns_pending_init() - set up an empty table
 * @p: the namespace's table
 */
void cpns_pending_init(struct cpns_pending *p);

/**
 * cpns_pending_exit() - free every object, session and challenge
 * @p: the namespace's table; no request may be running on it
 */
void cpns_pending_exit(struct cpns_pending *p);

/**
 * cpns_pending_release() - free what the socket @portid owned
 * @p: the namespace's table
 * @portid: the closing netlink socket
 *
 * Sessions still in use by a running request go when it drops them.
 */
void cpns_pending_release(struct cpns_pending *p, u32 portid);

/**
 * cpns_pending_revoke() - end what a revoked key was used for
 * @p: the namespace's table
 * @id: a Device ID, or a Seed ID (then every device of that seed)
 * @idlen: CPNS_DEVICE_ID_LEN or CPNS_SEED_ID_LEN
 *
 * Frees, whatever socket owns them, the a-flows and sessions of the
 * device(s), and for a Seed ID the II-2 challenges of that seed. An
 * object a request is using right now is not in view and stays; its
 * next step finds the key revoked. Sessions still in use by a running
 * request go when it drops them.
 * Return: the number of sessions closed.
 */
unsigned int cpns_pending_revoke(struct cpns_pending *p, const u8 *id,
				 unsigned int idlen);

/**
 * cpns_xfer_alloc() - a new pending transfer key pair object
 * @p: the namespace's table
 *
 * The object counts against cpns_pending_max from here on; either
 * cpns_obj_insert() it or cpns_obj_discard() it.
 * Return: the zeroed object, ERR_PTR(-EBUSY) at the cap, or
 * ERR_PTR(-ENOMEM).
 */
struct cpns_xfer *cpns_xfer_alloc(struct cpns_pending *p);

/**
 * cpns_export_alloc() - a new pending export object
 * @p: the namespace's table
 *
 * As cpns_xfer_alloc().
 * Return: the zeroed object, ERR_PTR(-EBUSY) at the cap, or
 * ERR_PTR(-ENOMEM).
 */
struct cpns_export *cpns_export_alloc(struct cpns_pending *p);

/**
 * cpns_flow_alloc() - a new pending a-flow object
 * @p: the namespace's table
 * @type: CPNS_OBJ_CLIENT_FLOW or CPNS_OBJ_SERVER_FLOW
 *
 * As cpns_xfer_alloc().
 * Return: the zeroed object, ERR_PTR(-EBUSY) at the cap, or
 * ERR_PTR(-ENOMEM).
 */
struct cpns_flow *cpns_flow_alloc(struct cpns_pending *p,
				  enum cpns_obj_type type);

/**
 * cpns_obj_insert() - give a new pending object a handle
 * @p: the namespace's table
 * @obj: from cpns_xfer_alloc() or cpns_flow_alloc()
 * @portid: the socket it belongs to
 * @handle: out, its handle
 *
 * Starts its timeout. On success the object is the table's: the caller
 * must not touch it any more (another request may already have freed it).
 * Return: 0, -EBUSY if no handle is free, or -ENOMEM; on error @obj is
 * still the caller's.
 */
int cpns_obj_insert(struct cpns_pending *p, struct cpns_obj *obj, u32 portid,
		    u32 *handle);

/**
 * cpns_obj_discard() - free a pending object that was never inserted
 * @p: the namespace's table
 * @obj: from cpns_xfer_alloc() or cpns_flow_alloc(); wiped and freed
 */
void cpns_obj_discard(struct cpns_pending *p, struct cpns_obj *obj);

/**
 * cpns_obj_take() - get exclusive use of a pending object
 * @p: the namespace's table
 * @handle: its handle
 * @portid: the requesting socket
 * @type: the type the request needs
 *
 * Return: the object, now out of view with its handle reserved; or
 * ERR_PTR(-ENOENT) if @handle is unknown, belongs to another socket, is in
 * use or has expired (an expired object is freed) or names the session a
 * flow became (a used flow), or ERR_PTR(-EINVAL) if it names a pending
 * object of another type (which stays as it was).
 */
struct cpns_obj *cpns_obj_take(struct cpns_pending *p, u32 handle, u32 portid,
			       enum cpns_obj_type type);

/**
 * cpns_obj_restore() - put a taken object back under its handle
 * @p: the namespace's table
 * @obj: from cpns_obj_take(); keeps its timeout
 *
 * As after cpns_obj_insert(), the caller must not touch @obj any more.
 */
void cpns_obj_restore(struct cpns_pending *p, struct cpns_obj *obj);

/**
 * cpns_obj_drop() - free a taken object and its handle (spent or failed)
 * @p: the namespace's table
 * @obj: from cpns_obj_take(); wiped and freed
 */
void cpns_obj_drop(struct cpns_pending *p, struct cpns_obj *obj);

/**
 * cpns_obj_replace() - a session takes over the handle of a taken flow
 * @p: the namespace's table
 * @obj: the taken flow, freed here
 * @session: the session's object; its count was reserved with
 *	cpns_session_reserve(), its reference passes to the table
 */
void cpns_obj_replace(struct cpns_pending *p, struct cpns_obj *obj,
		      struct cpns_obj *session);

/**
 * cpns_obj_del() - free the object or session @handle of @portid
 * @p: the namespace's table
 * @handle: its handle
 * @portid: the requesting socket
 *
 * Return: 0, or -ENOENT as for cpns_obj_take().
 */
int cpns_obj_del(struct cpns_pending *p, u32 handle, u32 portid);

/**
 * cpns_session_reserve() - count a session about to be made
 * @p: the namespace's table
 *
 * The count passes to the session with cpns_obj_replace(), or is given
 * back with cpns_session_unreserve().
 * Return: 0, or -EBUSY at cpns_session_max.
 */
int cpns_session_reserve(struct cpns_pending *p);

/**
 * cpns_session_unreserve() - give back a cpns_session_reserve() count
 * @p: the namespace's table
 */
void cpns_session_unreserve(struct cpns_pending *p);

/**
 * cpns_challenge_add() - II-2: remember (sid, n1, ch) until II-6
 * @p: the namespace's table
 * @sid: Seed ID
 * @n1: request nonce, the key
 * @ch: the challenge
 *
 * Return: 0, -EEXIST if a challenge for @n1 is pending, -EBUSY at the cap,
 * or -ENOMEM.
 */
int cpns_challenge_add(struct cpns_pending *p, const u8 *sid, const u8 *n1,
		       const u8 *ch);

/**
 * cpns_challenge_take() - II-6: get exclusive use of the challenge of @n1
 * @p: the namespace's table
 * @n1: request nonce
 *
 * Return: the challenge, out of view until cpns_challenge_restore() or
 * cpns_challenge_consume(); or ERR_PTR(-ENOENT) if none is pending for
 * @n1 (never made, already used or expired).
 */
struct cpns_challenge *cpns_challenge_take(struct cpns_pending *p,
					   const u8 *n1);

/**
 * cpns_challenge_restore() - put a taken challenge back
 * @p: the namespace's table
 * @c: from cpns_challenge_take(); keeps its timeout and failure count
 *
 * If a new challenge for the same n1 was stored meanwhile, @c is freed
 * instead. The caller must not touch @c any more.
 */
void cpns_challenge_restore(struct cpns_pending *p, struct cpns_challenge *c);

/**
 * cpns_challenge_consume() - free a taken challenge: it is used up
 * @p: the namespace's table
 * @c: from cpns_challenge_take(); wiped and freed
 */
void cpns_challenge_consume(struct cpns_pending *p, struct cpns_challenge *c);

static inline unsigned int cpns_pending_count(struct cpns_pending *p)
{
	return atomic_read(&p->count);
}

static inline unsigned int cpns_session_count(struct cpns_pending *p)
{
	return atomic_read(&p->sessions);
}

#endif /* _CPNS_PENDING_H */
