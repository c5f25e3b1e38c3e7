/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Established sessions (after a-4): the two direction keys as gcm(aes)
 * transforms and the sequence numbers. A session lives in the namespace's
 * handle table (pending.h) under the handle of the a-flow it came from;
 * requests hold a reference while they use it, so SEAL and OPEN on one
 * session run in parallel and only the sequence state is locked.
 */
#ifndef _CPNS_SESSION_H
#define _CPNS_SESSION_H

#include <linux/types.h>
#include <linux/key.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/cpns.h>
#include "pending.h"
#include "profile.h"

struct aead_request;
struct crypto_aead;

/**
 * struct cpns_session_dir - the key of one direction and its request
 * @tfm: the gcm(aes) transform, keyed
 * @req: a request of @tfm made with it, for whoever holds @lock; others
 *	make their own
 * @lock: protects @req
 */
struct cpns_session_dir {
	struct crypto_aead *tfm;
	struct aead_request *req;
	struct mutex lock;		/* req */
};

/**
 * struct cpns_session - one end of an established session
 * @obj: its entry in the handle table
 * @ref: the table's reference plus one per request using it
 * @role: CPNS_ROLE_GW2 (client) or CPNS_ROLE_SERVER
 * @did: the Device ID it authenticated
 * @generation: the generation of the Device Key its keys come from
 * @expiry: real time in seconds from which SEAL and OPEN refuse it: the
 *	earliest expiry of the keys it comes from (the seed and the Device
 *	Key or record), lowered by KEY_RETIRE (cpns_sessions_retire()); 0 for
 *	none. READ_ONCE()/WRITE_ONCE().
 * @confirm_len: server, re-keyed: the length of @confirm; 0 once handed
 *	out or if there is none (protected by @lock)
 * @confirm: server, re-keyed: the device record made active (a blob, no
 *	secret) that the first message opened here confirms
 * @seal: the key this end sends with (k_c2s on GW2, k_s2c on the server)
 * @open: the key this end receives with
 * @lock: protects @send_seq, @recv_next and @confirm_len
 * @send_seq: the next sequence number to send; starts at 0, only goes up
 * @recv_next: the lowest sequence number still accepted
 */
struct cpns_session {
	struct cpns_obj obj;
	refcount_t ref;
	enum cpns_role role;
	u8 did[CPNS_DEVICE_ID_LEN];
	u32 generation;
	time64_t expiry;
	unsigned int confirm_len;
	u8 confirm[CPNS_MAX_BLOB];
	struct cpns_session_dir seal;
	struct cpns_session_dir open;
	spinlock_t lock;		/* send_seq, recv_next, confirm_len */
	u64 send_seq;
	u64 recv_next;
};

/**
 * cpns_session_new() - a session keyed with the a-flow's session keys
 * @role: CPNS_ROLE_GW2 or CPNS_ROLE_SERVER
 * @did: Device ID
 * @sk: the session keys; wiped here whatever the outcome
 *
 * Return: the session with one reference (give it to cpns_obj_replace(),
 * or drop it with cpns_session_put()), or an ERR_PTR(). Its transforms
 * and requests are made here, once for the session's life.
 */
struct cpns_session *cpns_session_new(enum cpns_role role, const u8 *did,
				      struct cpns_session_keys *sk);

/**
 * cpns_session_get() - the session @handle of socket @portid, referenced
 * @p: the namespace's table
 * @handle: its handle
 * @portid: the requesting socket
 *
 * Return: the session (cpns_session_put() it), ERR_PTR(-ENOENT) if there
 * is no such handle for @portid, or ERR_PTR(-EINVAL) if @handle names a
 * pending object rather than a session.
 */
struct cpns_session *cpns_session_get(struct cpns_pending *p, u32 handle,
				      u32 portid);

/**
 * cpns_session_put() - drop a reference; the last one frees the session
 * @s: the session
 *
 * Frees the transforms (and with them the keys) and wipes the session.
 * Process context.
 */
void cpns_session_put(struct cpns_session *s);

/**
 * cpns_session_seal() - SEAL with the next send sequence number
 * @s: the session
 * @aad: additional data
 * @aadlen: its length
 * @pt: plaintext
 * @ptlen: its length
 * @out: @ptlen + CPNS_TAG_LEN bytes
 * @seq: out, the sequence number used
 *
 * The buffers are those of cpns_seal_req(): the netlink request and reply,
 * never the stack. A sequence number is used once even if the encryption
 * then fails. Return: 0, -EOVERFLOW once every sequence number below U64_MAX is used,
 * or an errno of cpns_seal().
 */
int cpns_session_seal(struct cpns_session *s, const u8 *aad,
		      unsigned int aadlen, const u8 *pt, unsigned int ptlen,
		      u8 *out, u64 *seq);

/**
 * cpns_session_open() - OPEN a message with sequence number @seq
 * @s: the session
 * @seq: its sequence number, below U64_MAX
 * @aad: additional data
 * @aadlen: its length
 * @ct: ciphertext || tag
 * @ctlen: its length, at least CPNS_TAG_LEN
 * @out: @ctlen - CPNS_TAG_LEN bytes; zeroed on failure
 *
 * The buffers are those of cpns_open_req(). On success, sequence numbers
 * up to @seq are refused from then on; a failure changes nothing.
 * Return: 0, -EALREADY if @seq is below the next one expected, -EBADMSG if
 * the message does not authenticate, -EINVAL for @seq U64_MAX, or an errno.
 */
int cpns_session_open(struct cpns_session *s, u64 seq, const u8 *aad,
		      unsigned int aadlen, const u8 *ct, unsigned int ctlen,
		      u8 *out);

/**
 * cpns_session_expired() - has a key the session comes from expired?
 * @s: the session
 *
 * Return: true from @s->expiry on.
 */
bool cpns_session_expired(const struct cpns_session *s);

/**
 * cpns_sessions_retire() - a seed retires: so do its devices' sessions
 * @p: the namespace's table
 * @sid: the Seed ID: every Device ID of it begins with it
 * @expiry: the seed's expiry (real time in seconds)
 *
 * Every session of a device of @sid expires at @expiry at the latest.
 * Return: the number of sessions concerned.
 */
unsigned int cpns_sessions_retire(struct cpns_pending *p, const u8 *sid,
				  time64_t expiry);

/**
 * cpns_session_set_confirm() - the record the session's first OPEN confirms
 * @s: a new session, not yet in the table
 * @blob: the re-keyed device record, state active
 * @len: its length, at most CPNS_MAX_BLOB
 */
void cpns_session_set_confirm(struct cpns_session *s, const u8 *blob,
			      unsigned int len);

/**
 * cpns_session_take_confirm() - the record the session confirms
 * @s: the session
 * @blob: out, CPNS_MAX_BLOB bytes of room
 *
 * Called after a message opened successfully: copies the re-keyed device
 * record (state active) that this proves GW2 holds, once (later calls
 * return 0).
 * Return: its length, or 0.
 */
unsigned int cpns_session_take_confirm(struct cpns_session *s, u8 *blob);

#endif /* _CPNS_SESSION_H */
