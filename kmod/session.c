// SPDX-License-Identifier: GPL-2.0
/*
 * Established sessions: SEAL and OPEN with sequence numbers (session.h).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include "primitives.h"
#include "session.h"

/* Key one direction: its transform and the request kept with it. */
static int cpns_dir_init(struct cpns_session_dir *d, const u8 *key)
{
	mutex_init(&d->lock);
	d->tfm = cpns_aead_new(key);
	if (IS_ERR(d->tfm)) {
		int err = PTR_ERR(d->tfm);

		d->tfm = NULL;
		return err;
	}
	d->req = cpns_aead_req_new(d->tfm);
	return d->req ? 0 : -ENOMEM;
}

static void cpns_dir_free(struct cpns_session_dir *d)
{
	cpns_aead_req_free(d->req);
	cpns_aead_free(d->tfm);
	mutex_destroy(&d->lock);
}

/*
 * The request for one operation on @d: the kept one if free, else
 * (another operation holds it) one made for this call; *@own says so.
 */
static struct aead_request *cpns_dir_req(struct cpns_session_dir *d,
					 bool *own)
{
	*own = !mutex_trylock(&d->lock);
	if (!*own)
		return d->req;
	return cpns_aead_req_new(d->tfm);
}

static void cpns_dir_req_done(struct cpns_session_dir *d,
			      struct aead_request *req, bool own)
{
	if (own)
		cpns_aead_req_free(req);
	else
		mutex_unlock(&d->lock);
}

struct cpns_session *cpns_session_new(enum cpns_role role, const u8 *did,
				      struct cpns_session_keys *sk)
{
	const u8 *seal_key, *open_key;
	struct cpns_session *s;
	int err;

	/* GW2 sends with k_c2s and the server with k_s2c. */
	if (role == CPNS_ROLE_SERVER) {
		seal_key = sk->s2c;
		open_key = sk->c2s;
	} else {
		seal_key = sk->c2s;
		open_key = sk->s2c;
	}

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s) {
		err = -ENOMEM;
		goto err_wipe;
	}
	s->obj.type = CPNS_OBJ_SESSION;
	refcount_set(&s->ref, 1);
	s->role = role;
	memcpy(s->did, did, CPNS_DEVICE_ID_LEN);
	spin_lock_init(&s->lock);

	err = cpns_dir_init(&s->seal, seal_key);
	if (err)
		goto err_seal;
	err = cpns_dir_init(&s->open, open_key);
	if (err)
		goto err_open;
	memzero_explicit(sk, sizeof(*sk));
	return s;

err_open:
	cpns_dir_free(&s->open);
err_seal:
	cpns_dir_free(&s->seal);
	kfree_sensitive(s);
err_wipe:
	memzero_explicit(sk, sizeof(*sk));
	return ERR_PTR(err);
}

struct cpns_session *cpns_session_get(struct cpns_pending *p, u32 handle,
				      u32 portid)
{
	struct cpns_session *s = ERR_PTR(-ENOENT);
	struct cpns_obj *obj;

	/* The table's reference keeps whatever is found under the lock. */
	xa_lock(&p->objs);
	obj = xa_load(&p->objs, handle);
	if (obj && obj->portid == portid) {
		if (obj->type == CPNS_OBJ_SESSION) {
			s = container_of(obj, struct cpns_session, obj);
			refcount_inc(&s->ref);
		} else {
			s = ERR_PTR(-EINVAL);
		}
	}
	xa_unlock(&p->objs);
	return s;
}

void cpns_session_put(struct cpns_session *s)
{
	if (!refcount_dec_and_test(&s->ref))
		return;
	cpns_dir_free(&s->open);
	cpns_dir_free(&s->seal);
	kfree_sensitive(s);
}

int cpns_session_seal(struct cpns_session *s, const u8 *aad,
		      unsigned int aadlen, const u8 *pt, unsigned int ptlen,
		      u8 *out, u64 *seq)
{
	struct aead_request *req;
	bool own;
	int err;
	u64 n;

	spin_lock(&s->lock);
	n = s->send_seq;
	if (n != U64_MAX)
		s->send_seq++;
	spin_unlock(&s->lock);
	if (n == U64_MAX)
		return -EOVERFLOW;

	*seq = n;
	req = cpns_dir_req(&s->seal, &own);
	if (!req)
		return -ENOMEM;
	err = cpns_seal_req(req, n, aad, aadlen, pt, ptlen, out);
	cpns_dir_req_done(&s->seal, req, own);
	return err;
}

int cpns_session_open(struct cpns_session *s, u64 seq, const u8 *aad,
		      unsigned int aadlen, const u8 *ct, unsigned int ctlen,
		      u8 *out)
{
	struct aead_request *req;
	bool stale, own;
	int err;

	/* recv_next = seq + 1 must not wrap; no sender ever uses U64_MAX. */
	if (seq == U64_MAX)
		return -EINVAL;

	spin_lock(&s->lock);
	stale = seq < s->recv_next;
	spin_unlock(&s->lock);
	if (stale)
		return -EALREADY;

	req = cpns_dir_req(&s->open, &own);
	if (!req)
		return -ENOMEM;
	err = cpns_open_req(req, seq, aad, aadlen, ct, ctlen, out);
	cpns_dir_req_done(&s->open, req, own);
	if (err)
		return err;

	/* Another OPEN may have passed @seq meanwhile: check again. */
	spin_lock(&s->lock);
	stale = seq < s->recv_next;
	if (!stale)
		s->recv_next = seq + 1;
	spin_unlock(&s->lock);
	if (stale) {
		memzero_explicit(out, ctlen - CPNS_TAG_LEN);
		return -EALREADY;
	}
	return 0;
}

bool cpns_session_expired(const struct cpns_session *s)
{
	time64_t expiry = READ_ONCE(s->expiry);

	return expiry && ktime_get_real_seconds() >= expiry;
}

unsigned int cpns_sessions_retire(struct cpns_pending *p, const u8 *sid,
				  time64_t expiry)
{
	struct cpns_session *s;
	unsigned int n = 0;
	struct cpns_obj *obj;
	unsigned long index;

	/* The table's lock keeps every session it holds alive. */
	xa_lock(&p->objs);
	xa_for_each(&p->objs, index, obj) {
		if (obj->type != CPNS_OBJ_SESSION)
			continue;
		s = container_of(obj, struct cpns_session, obj);
		/* IDs are public: no need for a constant-time comparison. */
		if (memcmp(s->did, sid, CPNS_SEED_ID_LEN))
			continue;
		if (!READ_ONCE(s->expiry) || READ_ONCE(s->expiry) > expiry)
			WRITE_ONCE(s->expiry, expiry);
		n++;
	}
	xa_unlock(&p->objs);
	return n;
}

void cpns_session_set_confirm(struct cpns_session *s, const u8 *blob,
			      unsigned int len)
{
	if (WARN_ON_ONCE(len > sizeof(s->confirm)))
		return;
	memcpy(s->confirm, blob, len);
	s->confirm_len = len;
}

unsigned int cpns_session_take_confirm(struct cpns_session *s, u8 *blob)
{
	unsigned int len;

	/*
	 * Set before the session is published, 0 once handed out and for
	 * good: an OPEN that finds 0 needs no lock (most do).
	 */
	if (!READ_ONCE(s->confirm_len))
		return 0;
	spin_lock(&s->lock);
	len = s->confirm_len;
	WRITE_ONCE(s->confirm_len, 0);
	spin_unlock(&s->lock);
	/* Only this call got @len: the blob is not written any more. */
	memcpy(blob, s->confirm, len);
	return len;
}
