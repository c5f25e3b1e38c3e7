// SPDX-License-Identifier: GPL-2.0
/*
 * Flow a, mutual authentication with the re-key at first use: the order
 * of each step, its checks and what it stores (auth.h). The values come
 * from profile.c and rekey.c, the keys from keys.c, the flows from
 * pending.c and the sessions from session.c.
 */

#include <linux/err.h>
#include <linux/key.h>
#include <linux/random.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <crypto/algapi.h>
#include <linux/cpns.h>
#include "auth.h"
#include "keys.h"
#include "netns.h"
#include "pending.h"
#include "profile.h"
#include "rekey.h"
#include "session.h"
#include "step.h"

/*
 * The a-1 code (@a3 false) or the a-3 code (@a3 true) of the flow @f with
 * the Device Key @dk, the server's nonce @ns and, re-keying, Ps @ps.
 */
static int cpns_flow_mac(const struct cpns_flow *f, const u8 *dk,
			 const u8 *ns, const u8 *ps, bool a3, u8 *mac)
{
	if (f->rekey && a3)
		return cpns_rekey_server_mac(dk, f->did, f->nc, ns, f->pc, ps,
					     mac);
	if (f->rekey)
		return cpns_rekey_client_mac(dk, f->did, f->nc, ns, f->pc, ps,
					     mac);
	if (a3)
		return cpns_auth_server_mac(dk, f->did, f->nc, ns, mac);
	return cpns_auth_client_mac(dk, f->did, f->nc, ns, mac);
}

/*
 * The other side's ephemeral X25519 key (@have) is required at a-0
 * (server) and a-1 (GW2) when the flow @f re-keys, and refused when it
 * does not.
 */
static int cpns_flow_pubkey_check(const struct cpns_flow *f, bool have,
				  enum cpns_reason *why)
{
	if (f->rekey && !have)
		return cpns_why(why, CPNS_R_PUBKEY_REQUIRED, -EINVAL);
	if (!f->rekey && have)
		return cpns_why(why, CPNS_R_PUBKEY_REFUSED, -EINVAL);
	return 0;
}

struct cpns_flow *cpns_auth_begin(struct cpns_net *cn, const u8 *did,
				  enum cpns_reason *why)
{
	struct cpns_key_info ki;
	struct cpns_flow *f;
	struct key *key;
	int err;

	key = cpns_step_device(&cn->keys, did, &ki, why);
	if (IS_ERR(key))
		return ERR_CAST(key);
	key_put(key);
	if (ki.role != CPNS_ROLE_GW2)
		return ERR_PTR(cpns_why(why, CPNS_R_BEGIN_NOT_GW2, -EINVAL));

	f = cpns_flow_alloc(&cn->pending, CPNS_OBJ_CLIENT_FLOW);
	if (IS_ERR(f)) {
		*why = CPNS_R_PENDING_FULL;
		return f;
	}
	memcpy(f->did, did, CPNS_DEVICE_ID_LEN);
	get_random_bytes(f->nc, CPNS_NONCE_LEN);
	f->gen = ki.generation;
	if (!f->gen) {
		err = cpns_rekey_keypair(f->secret, f->pc);
		if (err) {
			cpns_obj_discard(&cn->pending, &f->obj);
			return ERR_PTR(cpns_why(why, CPNS_R_CRYPTO, err));
		}
		f->rekey = true;
	}
	return f;
}

/*
 * The server's choice at a-0 (rekey.rst, "The server at a-0") from the
 * device's record @rec (NULL: none): the record's key of @f->gen, or the
 * seed's key of generation 0 with a re-key.
 */
static int cpns_flow_choose(struct cpns_flow *f, const struct cpns_record *rec,
			    enum cpns_reason *why)
{
	if (!rec) {
		if (f->gen)
			return cpns_why(why, CPNS_R_GEN_NEVER_REKEYED,
					-EKEYREJECTED);
		f->key = CPNS_FLOW_KEY_SEED;
		f->rekey = true;
		return 0;
	}
	if (rec->state == CPNS_STATE_REVOKED)
		return cpns_why(why, CPNS_R_DEVICE_REVOKED_RECORD,
				-EKEYREVOKED);
	if (rec->expiry && ktime_get_real_seconds() >= rec->expiry)
		return cpns_why(why, CPNS_R_RECORD_EXPIRED, -EKEYEXPIRED);
	/* Opened records are active or unconfirmed from here on. */
	if (rec->generation == f->gen) {
		f->key = CPNS_FLOW_KEY_RECORD;
		memcpy(f->dk, rec->dk, CPNS_KEY_LEN);
		f->expiry = rec->expiry;
		return 0;
	}
	/* GW2 never stored the re-keyed key: re-key again (rekey.rst). */
	if (!f->gen && rec->state == CPNS_STATE_UNCONFIRMED) {
		f->key = CPNS_FLOW_KEY_SEED;
		f->rekey = true;
		return 0;
	}
	if (!f->gen)
		return cpns_why(why, CPNS_R_GEN0_REFUSED, -EKEYREJECTED);
	return cpns_why(why, CPNS_R_GEN_UNKNOWN, -EKEYREJECTED);
}

/* Wrap @r (its key @r->dk) into one of @f's record buffers. */
static int cpns_flow_wrap(const struct cpns_record_ctx *ctx,
			  const struct cpns_flow *f,
			  const struct cpns_record *r, u8 *blob, u8 *len)
{
	unsigned int n;
	int err;

	err = cpns_record_wrap(ctx, f->did, r, blob, &n);
	*len = n;
	return err;
}

/*
 * The records the flow @f will hand out, made now while the KEK is at
 * hand: re-keying, dk' unconfirmed (for a-2) and active (for the first
 * OPEN), from the seed @key's dk0; authenticating with an unconfirmed
 * record @rec, that record active (for a-2).
 */
static int cpns_flow_records(struct cpns_flow *f, const struct key *key,
			     const struct cpns_record *rec,
			     const struct cpns_record_ctx *ctx,
			     enum cpns_reason *why)
{
	struct cpns_record r = { .state = CPNS_STATE_ACTIVE };
	u8 seed[CPNS_SEED_LEN];
	int err;

	if (!f->rekey) {
		if (rec->state != CPNS_STATE_UNCONFIRMED)
			return 0;
		r = *rec;
		r.state = CPNS_STATE_ACTIVE;
		err = cpns_flow_wrap(ctx, f, &r, f->next, &f->next_len);
		goto out;
	}
	err = cpns_step_secret(key, seed, why);
	if (err)
		return err;
	r.generation = f->gen + 1;
	err = cpns_device_key(seed, f->did, r.dk);
	memzero_explicit(seed, sizeof(seed));
	if (!err)
		err = cpns_rekey_derive(r.dk, f->did, r.generation, f->nc,
					f->ns, f->pc, f->ps, f->shared, r.dk);
	if (!err)
		err = cpns_flow_wrap(ctx, f, &r, f->active, &f->active_len);
	r.state = CPNS_STATE_UNCONFIRMED;
	if (!err)
		err = cpns_flow_wrap(ctx, f, &r, f->next, &f->next_len);
out:
	memzero_explicit(&r, sizeof(r));
	if (err)
		*why = CPNS_R_CRYPTO;
	return err;
}

/*
 * The server's a-0 on the new flow @f: its key, the re-key's DH, and the
 * records it will hand out.
 */
static int cpns_flow_offer(struct cpns_flow *f, const struct key *key,
			   const u8 *pc, const struct cpns_record *rec,
			   const struct cpns_record_ctx *ctx,
			   enum cpns_reason *why)
{
	int err;

	err = cpns_flow_choose(f, rec, why);
	if (!err)
		err = cpns_flow_pubkey_check(f, pc, why);
	if (!err && f->rekey && !ctx->kek)
		err = cpns_why(why, CPNS_R_KEK_REQUIRED, -EINVAL);
	if (err || !f->rekey)
		return err ?: cpns_flow_records(f, key, rec, ctx, why);
	memcpy(f->pc, pc, CPNS_PUBKEY_LEN);
	err = cpns_rekey_keypair(f->secret, f->ps);
	if (!err)
		err = cpns_rekey_shared(f->secret, f->pc, f->shared);
	/* s is used once: only the shared secret is kept. */
	memzero_explicit(f->secret, sizeof(f->secret));
	if (err)
		return cpns_why(why, CPNS_R_X25519, err);
	f->has_shared = true;
	return cpns_flow_records(f, key, rec, ctx, why);
}

/* The record blob of the server's a-0, opened: *@rec, or NULL if none. */
static int cpns_flow_record(const struct cpns_record_ctx *ctx,
			    const u8 *did, const u8 *blob,
			    unsigned int bloblen, struct cpns_record *rec,
			    enum cpns_reason *why)
{
	int err;

	if (!blob)
		return 0;
	if (!ctx->kek)
		return cpns_why(why, CPNS_R_KEK_REQUIRED, -EINVAL);
	err = cpns_record_open(ctx, blob, bloblen, did, rec);
	switch (err) {
	case 0:
		return 0;
	case -EBADMSG:
		return cpns_why(why, CPNS_R_RECORD_BLOB, err);
	case -ENOKEY:
		return cpns_why(why, CPNS_R_RECORD_OTHER, -EBADMSG);
	case -EINVAL:
		return cpns_why(why, CPNS_R_NOT_A_RECORD, err);
	default:
		return cpns_why(why, CPNS_R_CRYPTO, err);
	}
}

struct cpns_flow *cpns_auth_challenge(struct cpns_net *cn, const u8 *did,
				      const u8 *nc, u32 gen, const u8 *pc,
				      const struct cpns_record_ctx *ctx,
				      const u8 *blob, unsigned int bloblen,
				      enum cpns_reason *why)
{
	struct cpns_flow *f = NULL;
	struct cpns_record rec;
	struct key *key;
	int err;

	key = cpns_step_seed(&cn->keys, did, CPNS_ROLE_SERVER, why);
	if (IS_ERR(key))
		return ERR_CAST(key);
	err = cpns_flow_record(ctx, did, blob, bloblen, &rec, why);
	if (err)
		goto out;

	f = cpns_flow_alloc(&cn->pending, CPNS_OBJ_SERVER_FLOW);
	if (IS_ERR(f)) {
		err = PTR_ERR(f);
		*why = CPNS_R_PENDING_FULL;
		goto out;
	}
	memcpy(f->did, did, CPNS_DEVICE_ID_LEN);
	memcpy(f->nc, nc, CPNS_NONCE_LEN);
	get_random_bytes(f->ns, CPNS_NONCE_LEN);
	f->has_ns = true;
	f->gen = gen;
	err = cpns_flow_offer(f, key, pc, blob ? &rec : NULL, ctx, why);
	if (err) {
		cpns_obj_discard(&cn->pending, &f->obj);
		f = NULL;
	}
out:
	memzero_explicit(&rec, sizeof(rec));
	key_put(key);
	return err ? ERR_PTR(err) : f;
}

/*
 * The Device Key of a GW2 flow, as bytes, and its metadata; it must still
 * be the key of the generation the flow began with.
 */
static int cpns_flow_device_key(struct cpns_net *cn,
				const struct cpns_flow *f, u8 *dk,
				struct cpns_key_info *ki, enum cpns_reason *why)
{
	struct key *key;
	int err;

	key = cpns_step_device(&cn->keys, f->did, ki, why);
	if (IS_ERR(key))
		return PTR_ERR(key);
	if (ki->role != CPNS_ROLE_GW2)
		err = cpns_why(why, CPNS_R_FLOW_NOT_GW2, -EINVAL);
	else if (ki->generation != f->gen)
		err = cpns_why(why, CPNS_R_FLOW_REKEYED, -EKEYREJECTED);
	else
		err = cpns_step_secret(key, dk, why);
	key_put(key);
	return err;
}

/* a-1 of the GW2 flow @f (taken); re-keying, the shared secret too. */
static int cpns_flow_a1(struct cpns_net *cn, const struct cpns_flow *f,
			const u8 *ns, const u8 *ps, u8 *shared, u8 *mac,
			enum cpns_reason *why)
{
	struct cpns_key_info ki;
	u8 dk[CPNS_KEY_LEN];
	int err;

	if (f->has_ns)
		return cpns_why(why, CPNS_R_A1_DONE, -EINVAL);
	err = cpns_flow_pubkey_check(f, ps, why);
	if (err)
		return err;
	if (f->rekey) {
		err = cpns_rekey_shared(f->secret, ps, shared);
		if (err)
			return cpns_why(why, CPNS_R_X25519, err);
	}
	err = cpns_flow_device_key(cn, f, dk, &ki, why);
	if (!err) {
		err = cpns_flow_mac(f, dk, ns, ps, false, mac);
		if (err)
			*why = CPNS_R_CRYPTO;
	}
	memzero_explicit(dk, sizeof(dk));
	return err;
}

int cpns_auth_client(struct cpns_net *cn, u32 handle, u32 portid,
		     const u8 *ns, const u8 *ps, u8 *mac,
		     enum cpns_reason *why)
{
	u8 shared[CPNS_PUBKEY_LEN] = { };
	struct cpns_flow *f;
	struct cpns_obj *obj;
	int err;

	obj = cpns_obj_take(&cn->pending, handle, portid,
			    CPNS_OBJ_CLIENT_FLOW);
	if (IS_ERR(obj))
		return cpns_why(why, CPNS_R_HANDLE, PTR_ERR(obj));
	f = container_of(obj, struct cpns_flow, obj);
	err = cpns_flow_a1(cn, f, ns, ps, shared, mac, why);
	if (!err) {
		memcpy(f->ns, ns, CPNS_NONCE_LEN);
		f->has_ns = true;
	}
	if (!err && f->rekey) {
		/* c is used once: only the shared secret is kept. */
		memcpy(f->ps, ps, CPNS_PUBKEY_LEN);
		memcpy(f->shared, shared, CPNS_PUBKEY_LEN);
		memzero_explicit(f->secret, sizeof(f->secret));
		f->has_shared = true;
	}
	memzero_explicit(shared, sizeof(shared));
	cpns_obj_restore(&cn->pending, obj);
	return err;
}

/*
 * The earliest expiry (0: none) of the keys of the flow @f: its seed and
 * its Device Key held here (GW2), or its seed and its record (a server,
 * which holds no Device Key).
 */
static time64_t cpns_did_expiry(struct cpns_net *cn, const struct cpns_flow *f)
{
	static const enum cpns_key_kind kinds[] = {
		CPNS_KEY_SEED, CPNS_KEY_DEVICE,
	};
	bool server = f->obj.type == CPNS_OBJ_SERVER_FLOW;
	time64_t expiry = server ? f->expiry : 0;
	struct cpns_key_info ki;
	const u8 *did = f->did;
	struct key *key;
	int i;

	for (i = 0; i < (server ? 1 : ARRAY_SIZE(kinds)); i++) {
		key = cpns_key_lookup(&cn->keys, kinds[i], did, &ki);
		if (IS_ERR(key))
			continue;
		key_put(key);
		if (ki.expiry && (!expiry || ki.expiry < expiry))
			expiry = ki.expiry;
	}
	return expiry;
}

/* The Device Key of the last step, and what it was found with. */
struct cpns_auth_key {
	u8 dk[CPNS_KEY_LEN];
	struct cpns_key_info ki;	/* GW2: of the Device Key */
};

/*
 * The server's Device Key for the flow @f, as chosen at a-0: from the
 * seed, which must still be valid, or the record's given at a-0. Whether
 * the record changed meanwhile is for the daemon's store to say (its
 * write of the new record is a compare-and-set: rekey.rst).
 */
static int cpns_auth_server_key(struct cpns_net *cn,
				const struct cpns_flow *f,
				struct cpns_auth_key *k, enum cpns_reason *why)
{
	u8 seed[CPNS_SEED_LEN];
	struct key *key;
	int err = 0;

	key = cpns_step_seed(&cn->keys, f->did, CPNS_ROLE_SERVER, why);
	if (IS_ERR(key))
		return PTR_ERR(key);
	if (f->key == CPNS_FLOW_KEY_SEED) {
		err = cpns_step_secret(key, seed, why);
		if (!err) {
			err = cpns_device_key(seed, f->did, k->dk);
			if (err)
				*why = CPNS_R_CRYPTO;
		}
		memzero_explicit(seed, sizeof(seed));
	} else {
		memcpy(k->dk, f->dk, CPNS_KEY_LEN);
	}
	key_put(key);
	return err;
}

/*
 * The server stores nothing: it hands out the record made at a-0 (the
 * re-key's, unconfirmed; or the unconfirmed record GW2 has just proved it
 * holds, active), and a re-keyed session keeps the re-key's record made
 * active for its first OPEN.
 */
static int cpns_auth_server_store(struct cpns_net *cn,
				  const struct cpns_flow *f,
				  const struct cpns_auth_key *k,
				  struct cpns_auth_end *end,
				  enum cpns_reason *why)
{
	if (!f->next_len)
		return 0;
	end->blob = f->next;
	end->blob_len = f->next_len;
	end->state = f->rekey ? CPNS_STATE_UNCONFIRMED : CPNS_STATE_ACTIVE;
	if (f->rekey)
		cpns_session_set_confirm(end->s, f->active, f->active_len);
	return 0;
}

static int cpns_auth_gw2_key(struct cpns_net *cn, const struct cpns_flow *f,
			     struct cpns_auth_key *k, enum cpns_reason *why)
{
	return cpns_flow_device_key(cn, f, k->dk, &k->ki, why);
}

/* GW2 replaces its Device Key by the re-keyed one. */
static int cpns_auth_gw2_store(struct cpns_net *cn, const struct cpns_flow *f,
			       const struct cpns_auth_key *k,
			       struct cpns_auth_end *end,
			       enum cpns_reason *why)
{
	int err;

	if (!f->rekey)
		return 0;
	err = cpns_device_store(&cn->keys, CPNS_ROLE_GW2, CPNS_STATE_ACTIVE,
				end->gen, f->did, k->dk, k->ki.expiry,
				&end->serial);
	if (err)
		*why = CPNS_R_REKEY_REPLACE;
	return err;
}

/* What differs between the server's last step (a-2, a-3) and GW2's (a-4). */
struct cpns_auth_side {
	enum cpns_obj_type type;	/* of the flow */
	enum cpns_role role;		/* of the session */
	enum cpns_reason bad_mac;	/* the other side's code is wrong */
	int (*key)(struct cpns_net *cn, const struct cpns_flow *f,
		   struct cpns_auth_key *k, enum cpns_reason *why);
	int (*store)(struct cpns_net *cn, const struct cpns_flow *f,
		     const struct cpns_auth_key *k, struct cpns_auth_end *end,
		     enum cpns_reason *why);
};

static const struct cpns_auth_side cpns_auth_server_side = {
	.type = CPNS_OBJ_SERVER_FLOW,
	.role = CPNS_ROLE_SERVER,
	.bad_mac = CPNS_R_CLIENT_MAC,
	.key = cpns_auth_server_key,
	.store = cpns_auth_server_store,
};

static const struct cpns_auth_side cpns_auth_gw2_side = {
	.type = CPNS_OBJ_CLIENT_FLOW,
	.role = CPNS_ROLE_GW2,
	.bad_mac = CPNS_R_SERVER_MAC,
	.key = cpns_auth_gw2_key,
	.store = cpns_auth_gw2_store,
};

/*
 * Check the other side's code @peer_mac: a-1 on the server, which then
 * computes its a-3 into @end->mac; a-3 on GW2.
 */
static int cpns_auth_check(const struct cpns_auth_side *side,
			   const struct cpns_flow *f, const u8 *dk,
			   const u8 *peer_mac, struct cpns_auth_end *end,
			   enum cpns_reason *why)
{
	bool server = side->role == CPNS_ROLE_SERVER;
	int err;

	err = cpns_flow_mac(f, dk, f->ns, f->ps, !server, end->mac);
	if (err)
		return cpns_why(why, CPNS_R_CRYPTO, err);
	if (crypto_memneq(end->mac, peer_mac, CPNS_MAC_LEN))
		return cpns_why(why, side->bad_mac, -EBADMSG);
	if (server) {
		err = cpns_flow_mac(f, dk, f->ns, f->ps, true, end->mac);
		if (err)
			return cpns_why(why, CPNS_R_CRYPTO, err);
	}
	return 0;
}

/*
 * The session of the flow @f, from @k->dk or, re-keying, from dk' (which
 * replaces @k->dk), and what the side stores. The session expires with
 * the keys it comes from; a KEY_RETIRE between this and the session's
 * insertion does not reach it (a flow a retirement meets still ends at
 * the expiry of the keys it began with, the other keys having expired).
 */
static int cpns_auth_session(struct cpns_net *cn,
			     const struct cpns_auth_side *side,
			     const struct cpns_flow *f, struct cpns_auth_key *k,
			     struct cpns_auth_end *end, enum cpns_reason *why)
{
	struct cpns_session_keys sk;
	struct cpns_session *s;
	int err;

	end->gen = f->gen;
	if (f->rekey) {
		end->gen = f->gen + 1;
		err = cpns_rekey_derive(k->dk, f->did, end->gen, f->nc, f->ns,
					f->pc, f->ps, f->shared, k->dk);
		if (err)
			return cpns_why(why, CPNS_R_CRYPTO, err);
	}
	err = cpns_session_keys(k->dk, f->did, f->nc, f->ns, &sk);
	if (err)
		return cpns_why(why, CPNS_R_CRYPTO, err);
	s = cpns_session_new(side->role, f->did, &sk);
	if (IS_ERR(s))
		return cpns_why(why, CPNS_R_CRYPTO, PTR_ERR(s));
	s->generation = end->gen;
	s->expiry = cpns_did_expiry(cn, f);
	end->s = s;
	err = side->store(cn, f, k, end, why);
	if (err) {
		cpns_session_put(s);
		end->s = NULL;
	}
	return err;
}

/*
 * The last step of a flow, on either side: room for the session, the flow
 * taken, its Device Key looked up again, the other side's code checked,
 * the session made from the key (re-keyed or not), and what the side
 * stores. Whatever fails, the flow is spent.
 */
static int cpns_auth_end(struct cpns_net *cn,
			 const struct cpns_auth_side *side, u32 handle,
			 u32 portid, const u8 *peer_mac,
			 struct cpns_auth_end *end, enum cpns_reason *why)
{
	struct cpns_pending *p = &cn->pending;
	struct cpns_auth_key k = { };
	struct cpns_flow *f;
	int err;

	/* Room for the session first: a full table leaves the flow alone. */
	err = cpns_session_reserve(p);
	if (err)
		return cpns_why(why, CPNS_R_SESSIONS_FULL, err);
	end->obj = cpns_obj_take(p, handle, portid, side->type);
	if (IS_ERR(end->obj)) {
		cpns_session_unreserve(p);
		return cpns_why(why, CPNS_R_HANDLE, PTR_ERR(end->obj));
	}
	f = container_of(end->obj, struct cpns_flow, obj);
	if (side->role == CPNS_ROLE_GW2 && !f->has_ns) {
		cpns_obj_restore(p, end->obj);
		cpns_session_unreserve(p);
		return cpns_why(why, CPNS_R_A1_NOT_DONE, -EINVAL);
	}

	err = side->key(cn, f, &k, why);
	if (!err)
		err = cpns_auth_check(side, f, k.dk, peer_mac, end, why);
	if (!err)
		err = cpns_auth_session(cn, side, f, &k, end, why);
	memzero_explicit(k.dk, sizeof(k.dk));
	if (err) {
		cpns_obj_drop(p, end->obj);
		cpns_session_unreserve(p);
	}
	return err;
}

int cpns_auth_server(struct cpns_net *cn, u32 handle, u32 portid,
		     const u8 *client_mac, struct cpns_auth_end *end,
		     enum cpns_reason *why)
{
	return cpns_auth_end(cn, &cpns_auth_server_side, handle, portid,
			     client_mac, end, why);
}

int cpns_auth_finish(struct cpns_net *cn, u32 handle, u32 portid,
		     const u8 *server_mac, struct cpns_auth_end *end,
		     enum cpns_reason *why)
{
	return cpns_auth_end(cn, &cpns_auth_gw2_side, handle, portid,
			     server_mac, end, why);
}

void cpns_auth_commit(struct cpns_pending *p, struct cpns_auth_end *end)
{
	cpns_obj_replace(p, end->obj, &end->s->obj);
}

void cpns_auth_abort(struct cpns_pending *p, struct cpns_auth_end *end)
{
	cpns_session_put(end->s);
	cpns_obj_drop(p, end->obj);
	cpns_session_unreserve(p);
}
