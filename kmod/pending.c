// SPDX-License-Identifier: GPL-2.0
/*
 * Pending objects, II-2 challenges and the handle table of a namespace
 * (see pending.h for the rules).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/algapi.h>
#include "auth.h"
#include "netns.h"
#include "pending.h"
#include "session.h"

static const char *const cpns_obj_names[] = {
	[CPNS_OBJ_XFER] = "xfer",
	[CPNS_OBJ_CLIENT_FLOW] = "client flow",
	[CPNS_OBJ_SERVER_FLOW] = "server flow",
	[CPNS_OBJ_SESSION] = "session",
	[CPNS_OBJ_EXPORT] = "export",
};

static unsigned long cpns_timeout_jiffies(void)
{
	return (unsigned long)cpns_pending_timeout * HZ;
}

static bool cpns_expired(unsigned long expires)
{
	return time_after_eq(jiffies, expires);
}

/*
 * Make sure the reaper runs within @delay. A run already queued for later
 * keeps its time; each run re-arms itself for what it leaves behind, so an
 * object is freed at most one timeout after it expired.
 */
static void cpns_reaper_arm(struct cpns_pending *p, unsigned long delay)
{
	queue_delayed_work(system_power_efficient_wq, &p->reaper, delay);
}

/* Free @obj, out of the table, and uncount it. */
static void cpns_obj_destroy(struct cpns_pending *p, struct cpns_obj *obj)
{
	switch (obj->type) {
	case CPNS_OBJ_SESSION:
		atomic_dec(&p->sessions);
		cpns_session_put(container_of(obj, struct cpns_session, obj));
		return;
	case CPNS_OBJ_XFER:
		kfree_sensitive(container_of(obj, struct cpns_xfer, obj));
		break;
	case CPNS_OBJ_EXPORT:
		kfree_sensitive(container_of(obj, struct cpns_export, obj));
		break;
	case CPNS_OBJ_CLIENT_FLOW:
	case CPNS_OBJ_SERVER_FLOW:
		kfree_sensitive(container_of(obj, struct cpns_flow, obj));
		break;
	}
	atomic_dec(&p->count);
}

static void cpns_obj_free(struct cpns_pending *p, struct cpns_obj *obj)
{
	pr_debug("handle %u: %s destroyed\n", obj->handle,
		 cpns_obj_names[obj->type]);
	cpns_obj_destroy(p, obj);
}

static void cpns_obj_free_list(struct cpns_pending *p, struct list_head *list)
{
	struct cpns_obj *obj, *tmp;

	list_for_each_entry_safe(obj, tmp, list, gc) {
		list_del(&obj->gc);
		cpns_obj_free(p, obj);
	}
}

static void cpns_challenge_free(struct cpns_pending *p,
				struct cpns_challenge *c)
{
	pr_debug("challenge destroyed\n");
	kfree_sensitive(c);
	atomic_dec(&p->count);
}

static void cpns_pending_reap(struct work_struct *work)
{
	struct cpns_pending *p = container_of(to_delayed_work(work),
					      struct cpns_pending, reaper);
	unsigned long now = jiffies, next = now + cpns_timeout_jiffies();
	struct cpns_challenge *c;
	struct hlist_node *tmp;
	struct cpns_obj *obj;
	unsigned long index;
	bool rearm = false;
	LIST_HEAD(dead);
	int bkt;

	xa_lock(&p->objs);
	xa_for_each(&p->objs, index, obj) {
		if (obj->type == CPNS_OBJ_SESSION)
			continue;
		if (time_after_eq(now, obj->expires)) {
			__xa_erase(&p->objs, index);
			list_add(&obj->gc, &dead);
			continue;
		}
		if (time_before(obj->expires, next))
			next = obj->expires;
		rearm = true;
	}
	xa_unlock(&p->objs);

	spin_lock(&p->ch_lock);
	hash_for_each_safe(p->challenges, bkt, tmp, c, node) {
		if (time_after_eq(now, c->expires)) {
			hash_del(&c->node);
			cpns_challenge_free(p, c);
			continue;
		}
		if (time_before(c->expires, next))
			next = c->expires;
		rearm = true;
	}
	spin_unlock(&p->ch_lock);

	cpns_obj_free_list(p, &dead);
	if (rearm)
		cpns_reaper_arm(p, next - now);
}

void cpns_pending_init(struct cpns_pending *p)
{
	xa_init_flags(&p->objs, XA_FLAGS_ALLOC1);
	p->next_handle = 1;
	spin_lock_init(&p->ch_lock);
	hash_init(p->challenges);
	get_random_bytes(&p->ch_key, sizeof(p->ch_key));
	atomic_set(&p->count, 0);
	atomic_set(&p->sessions, 0);
	INIT_DELAYED_WORK(&p->reaper, cpns_pending_reap);
}

void cpns_pending_exit(struct cpns_pending *p)
{
	struct cpns_challenge *c;
	struct hlist_node *tmp;
	struct cpns_obj *obj;
	unsigned long index;
	LIST_HEAD(dead);
	int bkt;

	/* Nothing can queue it again: no socket is left to ask. */
	cancel_delayed_work_sync(&p->reaper);

	xa_lock(&p->objs);
	xa_for_each(&p->objs, index, obj) {
		__xa_erase(&p->objs, index);
		list_add(&obj->gc, &dead);
	}
	xa_unlock(&p->objs);
	cpns_obj_free_list(p, &dead);

	spin_lock(&p->ch_lock);
	hash_for_each_safe(p->challenges, bkt, tmp, c, node) {
		hash_del(&c->node);
		cpns_challenge_free(p, c);
	}
	spin_unlock(&p->ch_lock);

	WARN_ON(atomic_read(&p->count) || atomic_read(&p->sessions));
	xa_destroy(&p->objs);
}

void cpns_pending_release(struct cpns_pending *p, u32 portid)
{
	struct cpns_obj *obj;
	unsigned long index;
	LIST_HEAD(dead);

	if (xa_empty(&p->objs))
		return;

	xa_lock(&p->objs);
	xa_for_each(&p->objs, index, obj) {
		if (obj->portid != portid)
			continue;
		__xa_erase(&p->objs, index);
		list_add(&obj->gc, &dead);
	}
	xa_unlock(&p->objs);
	cpns_obj_free_list(p, &dead);
}

/* The Device ID of an a-flow or session, else NULL. */
static const u8 *cpns_obj_did(struct cpns_obj *obj)
{
	switch (obj->type) {
	case CPNS_OBJ_SESSION:
		return container_of(obj, struct cpns_session, obj)->did;
	case CPNS_OBJ_CLIENT_FLOW:
	case CPNS_OBJ_SERVER_FLOW:
		return container_of(obj, struct cpns_flow, obj)->did;
	default:
		return NULL;
	}
}

unsigned int cpns_pending_revoke(struct cpns_pending *p, const u8 *id,
				 unsigned int idlen)
{
	struct cpns_challenge *c;
	unsigned int closed = 0;
	struct hlist_node *tmp;
	struct cpns_obj *obj;
	unsigned long index;
	const u8 *did;
	LIST_HEAD(dead);
	int bkt;

	/* IDs are public: no need for a constant-time comparison. */
	xa_lock(&p->objs);
	xa_for_each(&p->objs, index, obj) {
		did = cpns_obj_did(obj);
		if (!did || memcmp(did, id, idlen))
			continue;
		if (obj->type == CPNS_OBJ_SESSION)
			closed++;
		__xa_erase(&p->objs, index);
		list_add(&obj->gc, &dead);
	}
	xa_unlock(&p->objs);

	if (idlen == CPNS_SEED_ID_LEN) {
		spin_lock(&p->ch_lock);
		hash_for_each_safe(p->challenges, bkt, tmp, c, node) {
			if (memcmp(c->sid, id, idlen))
				continue;
			hash_del(&c->node);
			cpns_challenge_free(p, c);
		}
		spin_unlock(&p->ch_lock);
	}

	cpns_obj_free_list(p, &dead);
	return closed;
}

static void *cpns_obj_alloc(struct cpns_pending *p, enum cpns_obj_type type,
			    size_t size)
{
	struct cpns_obj *obj;

	if (!atomic_add_unless(&p->count, 1, cpns_pending_max))
		return ERR_PTR(-EBUSY);
	/* The caller's memory cgroup pays for what it keeps pending. */
	obj = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj) {
		atomic_dec(&p->count);
		return ERR_PTR(-ENOMEM);
	}
	obj->type = type;
	return obj;
}

struct cpns_xfer *cpns_xfer_alloc(struct cpns_pending *p)
{
	BUILD_BUG_ON(offsetof(struct cpns_xfer, obj));
	return cpns_obj_alloc(p, CPNS_OBJ_XFER, sizeof(struct cpns_xfer));
}

struct cpns_export *cpns_export_alloc(struct cpns_pending *p)
{
	BUILD_BUG_ON(offsetof(struct cpns_export, obj));
	return cpns_obj_alloc(p, CPNS_OBJ_EXPORT, sizeof(struct cpns_export));
}

struct cpns_flow *cpns_flow_alloc(struct cpns_pending *p,
				  enum cpns_obj_type type)
{
	BUILD_BUG_ON(offsetof(struct cpns_flow, obj));
	if (WARN_ON(type != CPNS_OBJ_CLIENT_FLOW &&
		    type != CPNS_OBJ_SERVER_FLOW))
		return ERR_PTR(-EINVAL);
	return cpns_obj_alloc(p, type, sizeof(struct cpns_flow));
}

void cpns_obj_discard(struct cpns_pending *p, struct cpns_obj *obj)
{
	cpns_obj_destroy(p, obj);
}

int cpns_obj_insert(struct cpns_pending *p, struct cpns_obj *obj, u32 portid,
		    u32 *handle)
{
	int err;

	obj->portid = portid;
	obj->expires = jiffies + cpns_timeout_jiffies();

	/*
	 * Once stored, another request of the same socket may take and free
	 * the object: read its handle before the lock is dropped.
	 */
	xa_lock(&p->objs);
	err = __xa_alloc_cyclic(&p->objs, &obj->handle, obj,
				XA_LIMIT(1, U32_MAX), &p->next_handle,
				GFP_KERNEL_ACCOUNT);
	if (err >= 0) {
		*handle = obj->handle;
		pr_debug("handle %u: %s created\n", *handle,
			 cpns_obj_names[obj->type]);
	}
	xa_unlock(&p->objs);
	if (err < 0)
		return err;

	cpns_reaper_arm(p, cpns_timeout_jiffies());
	return 0;
}

struct cpns_obj *cpns_obj_take(struct cpns_pending *p, u32 handle, u32 portid,
			       enum cpns_obj_type type)
{
	struct cpns_obj *obj;

	xa_lock(&p->objs);
	obj = xa_load(&p->objs, handle);
	if (!obj || obj->portid != portid) {
		obj = ERR_PTR(-ENOENT);
	} else if (obj->type != CPNS_OBJ_SESSION && cpns_expired(obj->expires)) {
		__xa_erase(&p->objs, handle);
		xa_unlock(&p->objs);
		cpns_obj_free(p, obj);
		return ERR_PTR(-ENOENT);
	} else if (obj->type != type) {
		/* To a flow step, a flow that became a session is used up. */
		obj = ERR_PTR(obj->type == CPNS_OBJ_SESSION ? -ENOENT : -EINVAL);
	} else {
		/* Storing NULL in an allocating xarray keeps the index busy. */
		__xa_store(&p->objs, handle, NULL, 0);
	}
	xa_unlock(&p->objs);
	return obj;
}

void cpns_obj_restore(struct cpns_pending *p, struct cpns_obj *obj)
{
	unsigned long expires = obj->expires, now = jiffies;

	/* The slot is reserved: this store allocates nothing. */
	if (WARN_ON(xa_is_err(xa_store(&p->objs, obj->handle, obj, 0)))) {
		cpns_obj_drop(p, obj);
		return;
	}
	/* The reaper may have run while @obj was out of view. */
	cpns_reaper_arm(p, time_after(expires, now) ? expires - now : 0);
}

void cpns_obj_drop(struct cpns_pending *p, struct cpns_obj *obj)
{
	xa_erase(&p->objs, obj->handle);
	cpns_obj_free(p, obj);
}

void cpns_obj_replace(struct cpns_pending *p, struct cpns_obj *obj,
		      struct cpns_obj *session)
{
	session->handle = obj->handle;
	session->portid = obj->portid;
	pr_debug("handle %u: %s created\n", session->handle,
		 cpns_obj_names[session->type]);
	if (WARN_ON(xa_is_err(xa_store(&p->objs, obj->handle, session, 0)))) {
		xa_erase(&p->objs, obj->handle);
		cpns_obj_free(p, session);
	}
	cpns_obj_free(p, obj);
}

int cpns_obj_del(struct cpns_pending *p, u32 handle, u32 portid)
{
	struct cpns_obj *obj;
	bool expired;

	xa_lock(&p->objs);
	obj = xa_load(&p->objs, handle);
	if (!obj || obj->portid != portid) {
		xa_unlock(&p->objs);
		return -ENOENT;
	}
	expired = obj->type != CPNS_OBJ_SESSION && cpns_expired(obj->expires);
	__xa_erase(&p->objs, handle);
	xa_unlock(&p->objs);
	cpns_obj_free(p, obj);
	return expired ? -ENOENT : 0;
}

int cpns_session_reserve(struct cpns_pending *p)
{
	return atomic_add_unless(&p->sessions, 1, cpns_session_max) ?
	       0 : -EBUSY;
}

void cpns_session_unreserve(struct cpns_pending *p)
{
	atomic_dec(&p->sessions);
}

static u32 cpns_challenge_hash(struct cpns_pending *p, const u8 *n1)
{
	return siphash(n1, CPNS_NONCE_LEN, &p->ch_key);
}

/* Called with ch_lock held. */
static struct cpns_challenge *cpns_challenge_find(struct cpns_pending *p,
						  const u8 *n1, u32 hash)
{
	struct cpns_challenge *c;

	lockdep_assert_held(&p->ch_lock);
	hash_for_each_possible(p->challenges, c, node, hash)
		if (!memcmp(c->n1, n1, CPNS_NONCE_LEN))
			return c;
	return NULL;
}

int cpns_challenge_add(struct cpns_pending *p, const u8 *sid, const u8 *n1,
		       const u8 *ch)
{
	u32 hash = cpns_challenge_hash(p, n1);
	struct cpns_challenge *c, *old;

	if (!atomic_add_unless(&p->count, 1, cpns_pending_max))
		return -EBUSY;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c) {
		atomic_dec(&p->count);
		return -ENOMEM;
	}
	memcpy(c->sid, sid, CPNS_SEED_ID_LEN);
	memcpy(c->n1, n1, CPNS_NONCE_LEN);
	memcpy(c->ch, ch, CPNS_CHALLENGE_LEN);
	c->expires = jiffies + cpns_timeout_jiffies();

	spin_lock(&p->ch_lock);
	old = cpns_challenge_find(p, n1, hash);
	if (old && cpns_expired(old->expires)) {
		hash_del(&old->node);
		cpns_challenge_free(p, old);
		old = NULL;
	}
	if (!old) {
		hash_add(p->challenges, &c->node, hash);
		pr_debug("challenge created\n");
	}
	spin_unlock(&p->ch_lock);

	if (old) {
		kfree_sensitive(c);
		atomic_dec(&p->count);
		return -EEXIST;
	}
	cpns_reaper_arm(p, cpns_timeout_jiffies());
	return 0;
}

struct cpns_challenge *cpns_challenge_take(struct cpns_pending *p,
					   const u8 *n1)
{
	u32 hash = cpns_challenge_hash(p, n1);
	struct cpns_challenge *c;

	spin_lock(&p->ch_lock);
	c = cpns_challenge_find(p, n1, hash);
	if (c)
		hash_del(&c->node);
	spin_unlock(&p->ch_lock);
	if (!c)
		return ERR_PTR(-ENOENT);

	if (cpns_expired(c->expires)) {
		cpns_challenge_free(p, c);
		return ERR_PTR(-ENOENT);
	}
	return c;
}

void cpns_challenge_restore(struct cpns_pending *p, struct cpns_challenge *c)
{
	u32 hash = cpns_challenge_hash(p, c->n1);
	unsigned long expires = c->expires, now = jiffies;
	struct cpns_challenge *old;

	spin_lock(&p->ch_lock);
	/* A new II-2 with the same n1 may have come meanwhile: it wins. */
	old = cpns_challenge_find(p, c->n1, hash);
	if (!old)
		hash_add(p->challenges, &c->node, hash);
	spin_unlock(&p->ch_lock);

	if (old) {
		cpns_challenge_free(p, c);
		return;
	}
	cpns_reaper_arm(p, time_after(expires, now) ? expires - now : 0);
}

void cpns_challenge_consume(struct cpns_pending *p, struct cpns_challenge *c)
{
	cpns_challenge_free(p, c);
}
