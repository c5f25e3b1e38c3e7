// SPDX-License-Identifier: GPL-2.0
/*
 * The per-namespace store of cpns keys: the keyring ".cpns", and making,
 * finding, changing and reading its keys (the design is in keys.h; the key
 * types are in key_type.c, walks, revocation and rotation in keys_walk.c;
 * Documentation/keys.rst shows what an administrator sees).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/key-type.h>
#include <linux/key.h>
#include <linux/rbtree.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <linux/cpns.h>

#include "keys_priv.h"
#include "netns.h"
#include "profile.h"

/* ---- The store ----------------------------------------------------- */

int cpns_keys_init(struct cpns_keys *keys, struct net *net)
{
	struct key_restriction *restriction;
	kuid_t uid = net->user_ns->owner;
	kgid_t gid = net->user_ns->group;
	struct key *keyring;

	mutex_init(&keys->create_lock);
	spin_lock_init(&keys->lock);
	keys->tree = RB_ROOT;
	keys->count = 0;
	keys->gen = 0;
	keys->keyring = NULL;

	if (!uid_valid(uid))
		uid = GLOBAL_ROOT_UID;
	if (!gid_valid(gid))
		gid = GLOBAL_ROOT_GID;

	/* keyring_destroy() kfree()s it with the keyring. */
	restriction = kzalloc(sizeof(*restriction), GFP_KERNEL);
	if (!restriction)
		return -ENOMEM;
	restriction->check = cpns_keyring_restrict;
	restriction->keytype = &cpns_seed_type;

	keyring = keyring_alloc(CPNS_KEYRING_DESC, uid, gid, current_cred(),
				CPNS_KEYRING_PERM, KEY_ALLOC_NOT_IN_QUOTA,
				restriction, NULL);
	if (IS_ERR(keyring)) {
		kfree(restriction);
		return PTR_ERR(keyring);
	}
	keys->keyring = keyring;
	return 0;
}

void cpns_keys_exit(struct cpns_keys *keys)
{
	struct cpns_key_entry *e;
	struct key *key;

	/*
	 * Detach every entry, then revoke its key: a key linked elsewhere
	 * outlives the store, but not with its secret.
	 */
	for (;;) {
		key = NULL;
		spin_lock(&cpns_owner_lock);
		spin_lock(&keys->lock);
		e = rb_entry_safe(rb_first(&keys->tree), struct cpns_key_entry,
				  node);
		if (e) {
			rb_erase(&e->node, &keys->tree);
			RB_CLEAR_NODE(&e->node);
			e->owner = NULL;
			keys->count--;
			keys->gen++;
			/* At zero references the key is on its way out. */
			if (refcount_inc_not_zero(&e->key->usage))
				key = e->key;
		}
		spin_unlock(&keys->lock);
		spin_unlock(&cpns_owner_lock);
		if (!e)
			break;
		if (key) {
			key_revoke(key);
			key_put(key);
		}
	}

	/* Revoking a keyring also clears it. */
	key_revoke(keys->keyring);
	key_put(keys->keyring);
	keys->keyring = NULL;
}

/* The valid key of @type linked in the store under the description @desc. */
static struct key *cpns_key_search(struct cpns_keys *keys,
				   struct key_type *type, const char *desc)
{
	key_ref_t ref;

	ref = keyring_search(make_key_ref(keys->keyring, true), type, desc,
			     false);
	if (IS_ERR(ref)) {
		/* -EAGAIN is keyring_search()'s "no such key". */
		if (PTR_ERR(ref) == -EAGAIN)
			return ERR_PTR(-ENOKEY);
		return ERR_CAST(ref);
	}
	return key_ref_to_ptr(ref);
}

const struct cpns_key_entry *cpns_key_entry(const struct key *key)
{
	if (!cpns_is_our_type(key->type))
		return NULL;
	return key->payload.data[1];
}

/* The module is done with @key (replaced or deleted): see below. */
static void cpns_key_retired(struct key *key)
{
	struct cpns_key_entry *e = key->payload.data[1];

	if (cpns_is_our_type(key->type) && e)
		WRITE_ONCE(e->retired, true);
}

/*
 * The valid key with this ID, whatever its state. The description is the
 * hex ID, so keyring_search() goes by the keyring's index and looks at one
 * key at most: an error of state (-EKEYEXPIRED, -EKEYREVOKED) is that of
 * the key linked under this very ID.
 */
struct key *cpns_key_search_id(struct cpns_keys *keys,
			       enum cpns_key_kind kind, const u8 *id)
{
	char desc[CPNS_DESC_MAX];

	cpns_description(desc, kind, id);
	return cpns_key_search(keys, cpns_kind_type(kind), desc);
}

/* The valid key with this ID, unless it is a revocation record. */
static struct key *cpns_key_find_usable(struct cpns_keys *keys,
					enum cpns_key_kind kind, const u8 *id)
{
	struct key *key = cpns_key_search_id(keys, kind, id);

	if (!IS_ERR(key) &&
	    cpns_key_entry(key)->state == CPNS_STATE_REVOKED) {
		key_put(key);
		return ERR_PTR(-EKEYREVOKED);
	}
	return key;
}

struct key *cpns_seed_find(struct cpns_keys *keys, const u8 *sid)
{
	return cpns_key_find_usable(keys, CPNS_KEY_SEED, sid);
}

struct key *cpns_device_find(struct cpns_keys *keys, const u8 *did)
{
	return cpns_key_find_usable(keys, CPNS_KEY_DEVICE, did);
}

struct key *cpns_key_lookup(struct cpns_keys *keys, enum cpns_key_kind kind,
			    const u8 *id, struct cpns_key_info *info)
{
	struct key *key;

	if (kind != CPNS_KEY_SEED && kind != CPNS_KEY_DEVICE)
		return ERR_PTR(-EINVAL);
	key = cpns_key_search_id(keys, kind, id);
	if (!IS_ERR(key) && info)
		cpns_key_info(key, info);
	return key;
}

/*
 * Is there a valid key with this ID (a revocation record counts)? 1, 0 or
 * a negative errno.
 */
static int cpns_id_present(struct cpns_keys *keys, enum cpns_key_kind kind,
			   const u8 *id)
{
	struct key *key;

	key = cpns_key_search_id(keys, kind, id);
	if (!IS_ERR(key)) {
		key_put(key);
		return 1;
	}
	switch (PTR_ERR(key)) {
	case -ENOKEY:
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
		return 0;
	}
	return PTR_ERR(key);
}

static time64_t cpns_expiry(u32 timeout)
{
	return timeout ? ktime_get_real_seconds() + timeout : TIME64_MAX;
}

/*
 * A new Device Key or record lives no longer than its seed, where this
 * store holds the seed (a server, GW1): @expiry is lowered to the seed's,
 * and a seed that has expired refuses new keys of its devices
 * (-EKEYEXPIRED). Not for a key restored as it was (KEY_UNWRAP): its
 * blob says its expiry.
 */
static int cpns_seed_cap(struct cpns_keys *keys, const u8 *did,
			 time64_t *expiry)
{
	struct key *seed;

	seed = cpns_key_search_id(keys, CPNS_KEY_SEED, did);
	if (IS_ERR(seed))
		return PTR_ERR(seed) == -EKEYEXPIRED ? -EKEYEXPIRED : 0;
	*expiry = min(*expiry, READ_ONCE(seed->expiry));
	key_put(seed);
	return 0;
}

/* Make, instantiate and link one key; the caller holds create_lock. */
static struct key *cpns_key_create(struct cpns_keys *keys,
				   const struct cpns_key_params *p)
{
	struct cpns_key_params capped;
	char desc[CPNS_DESC_MAX];
	struct key *key;
	int ret;

	lockdep_assert_held(&keys->create_lock);

	if (p->kind == CPNS_KEY_DEVICE && p->seed_cap) {
		capped = *p;
		ret = cpns_seed_cap(keys, p->id, &capped.expiry);
		if (ret)
			return ERR_PTR(ret);
		p = &capped;
	}
	cpns_description(desc, p->kind, p->id);
	/* In the quota of the keyring's owner: -EDQUOT when it is used up. */
	key = key_alloc(cpns_kind_type(p->kind), desc, keys->keyring->uid,
			keys->keyring->gid, current_cred(), CPNS_KEY_PERM,
			KEY_ALLOC_IN_QUOTA, NULL);
	if (IS_ERR(key))
		return key;

	mutex_lock(&cpns_creator_lock);
	WRITE_ONCE(cpns_key_creator, current);
	ret = key_instantiate_and_link(key, p, sizeof(*p), keys->keyring,
				       NULL);
	WRITE_ONCE(cpns_key_creator, NULL);
	mutex_unlock(&cpns_creator_lock);
	if (ret) {
		key_put(key);
		return ERR_PTR(ret);
	}
	return key;
}

/*
 * Retire @old now that @new holds its ID; the caller holds create_lock.
 * With the same description, linking @new has already displaced @old from
 * the keyring (in one step: a lookup finds the one or the other), and
 * key_unlink(), which goes by description, would unlink @new instead.
 */
static void cpns_key_supersede(struct cpns_keys *keys, struct key *old)
{
	lockdep_assert_held(&keys->create_lock);

	cpns_key_retired(old);
	key_revoke(old);
}

/*
 * Make a key, report its serial and let it take the place of @old (may be
 * NULL); the caller holds create_lock. With @made, the new key is handed
 * back referenced instead of put. Return: 0 or a negative errno.
 */
static int cpns_key_make(struct cpns_keys *keys,
			 const struct cpns_key_params *p, struct key *old,
			 key_serial_t *serial, struct key **made)
{
	struct key *key;

	/* A replacement may pass the bound: a full store can still change. */
	if (!old && READ_ONCE(keys->count) >= cpns_keys_max)
		return -EBUSY;
	key = cpns_key_create(keys, p);
	if (IS_ERR(key))
		return PTR_ERR(key);
	*serial = key_serial(key);
	if (old)
		cpns_key_supersede(keys, old);
	if (made)
		*made = key;
	else
		key_put(key);
	return 0;
}

/* Store a key unless a valid one with its ID exists; under create_lock. */
int cpns_key_add_locked(struct cpns_keys *keys,
			const struct cpns_key_params *p,
			key_serial_t *serial, struct key **made)
{
	int ret;

	lockdep_assert_held(&keys->create_lock);

	ret = cpns_id_present(keys, p->kind, p->id);
	if (ret)
		return ret > 0 ? -EEXIST : ret;
	return cpns_key_make(keys, p, NULL, serial, made);
}

static int cpns_key_add(struct cpns_keys *keys,
			const struct cpns_key_params *p, key_serial_t *serial)
{
	int ret;

	mutex_lock(&keys->create_lock);
	ret = cpns_key_add_locked(keys, p, serial, NULL);
	mutex_unlock(&keys->create_lock);
	return ret;
}

int cpns_seed_new(struct cpns_keys *keys, u32 timeout, u8 *sid,
		  key_serial_t *serial)
{
	struct cpns_key_params p = {
		.keys = keys,
		.kind = CPNS_KEY_SEED,
		.role = CPNS_ROLE_SERVER,
		.state = CPNS_STATE_ACTIVE,
		.id = sid,
		.expiry = cpns_expiry(timeout),
	};
	u8 seed[CPNS_SEED_LEN];
	int tries, ret;

	get_random_bytes(seed, sizeof(seed));
	p.secret = seed;

	mutex_lock(&keys->create_lock);
	/* A Seed ID names one seed: draw again on the rare collision. */
	for (tries = 0; tries < CPNS_SID_TRIES; tries++) {
		get_random_bytes(sid, CPNS_SEED_ID_LEN);
		ret = cpns_id_present(keys, CPNS_KEY_SEED, sid);
		if (ret <= 0)
			break;
	}
	if (ret > 0)
		ret = -EEXIST;
	if (!ret)
		ret = cpns_key_make(keys, &p, NULL, serial, NULL);
	mutex_unlock(&keys->create_lock);
	memzero_explicit(seed, sizeof(seed));
	return ret;
}

int cpns_seed_add(struct cpns_keys *keys, const u8 *sid, const u8 *seed,
		  u32 timeout, key_serial_t *serial)
{
	struct cpns_key_params p = {
		.keys = keys,
		.kind = CPNS_KEY_SEED,
		.role = CPNS_ROLE_GW1,
		.state = CPNS_STATE_ACTIVE,
		.id = sid,
		.secret = seed,
		.expiry = cpns_expiry(timeout),
	};

	return cpns_key_add(keys, &p, serial);
}

/* A new gateway Device Key: GW1 pending (with @ch) or GW2 active. */
int cpns_device_params(struct cpns_key_params *p, struct cpns_keys *keys,
		       enum cpns_role role, const u8 *did, const u8 *dk,
		       const u8 *ch, u32 timeout)
{
	*p = (struct cpns_key_params) {
		.keys = keys,
		.kind = CPNS_KEY_DEVICE,
		.role = role,
		.id = did,
		.secret = dk,
		.ch = ch,
		.expiry = cpns_expiry(timeout),
		.seed_cap = true,
	};

	switch (role) {
	case CPNS_ROLE_GW1:
		if (!ch)
			return -EINVAL;
		p->state = CPNS_STATE_PENDING;
		return 0;
	case CPNS_ROLE_GW2:
		if (ch)
			return -EINVAL;
		p->state = CPNS_STATE_ACTIVE;
		return 0;
	default:
		return -EINVAL;
	}
}

int cpns_device_add(struct cpns_keys *keys, enum cpns_role role,
		    const u8 *did, const u8 *dk, const u8 *ch, u32 timeout,
		    key_serial_t *serial)
{
	struct cpns_key_params p;
	int ret;

	ret = cpns_device_params(&p, keys, role, did, dk, ch, timeout);
	if (!ret)
		ret = cpns_key_add(keys, &p, serial);
	return ret;
}

static bool cpns_meta_valid(const struct cpns_key_info *meta)
{
	if (!cpns_role_valid(meta->role) || !cpns_state_valid(meta->state) ||
	    meta->state == CPNS_STATE_PENDING)
		return false;
	if (meta->self &&
	    (meta->kind != CPNS_KEY_DEVICE || meta->role != CPNS_ROLE_GW2))
		return false;
	switch (meta->kind) {
	case CPNS_KEY_SEED:
		return meta->role != CPNS_ROLE_GW2;
	case CPNS_KEY_DEVICE:
		return true;
	default:
		return false;
	}
}

int cpns_key_store_locked(struct cpns_keys *keys,
			  const struct cpns_key_info *meta, const u8 *secret,
			  bool replace, bool seed_cap, key_serial_t *serial)
{
	struct cpns_key_params p = {
		.keys = keys,
		.kind = meta->kind,
		.role = meta->role,
		.state = meta->state,
		.generation = meta->generation,
		.id = meta->id,
		.secret = secret,
		.expiry = meta->expiry ? meta->expiry : TIME64_MAX,
		.seed_cap = seed_cap,
	};
	struct key *old;
	int ret;

	lockdep_assert_held(&keys->create_lock);

	if (!cpns_meta_valid(meta) ||
	    (!secret && meta->state != CPNS_STATE_REVOKED))
		return -EINVAL;
	if (meta->expiry && meta->expiry <= ktime_get_real_seconds())
		return -EKEYEXPIRED;

	old = cpns_key_search_id(keys, meta->kind, meta->id);
	if (IS_ERR(old)) {
		ret = PTR_ERR(old);
		/* Only an invalid key, or none: nothing to replace. */
		if (ret != -ENOKEY && ret != -EKEYREVOKED &&
		    ret != -EKEYEXPIRED)
			return ret;
		old = NULL;
	}
	/* A re-key of a self-assigned Device Key keeps the mark. */
	p.self = meta->self || (old && cpns_key_entry(old)->self &&
				p.role == CPNS_ROLE_GW2);
	if (old && !replace)
		ret = -EEXIST;
	else if (old && cpns_key_entry(old)->state == CPNS_STATE_REVOKED &&
		 meta->state != CPNS_STATE_REVOKED)
		ret = -EKEYREVOKED;
	else
		ret = cpns_key_make(keys, &p, old, serial, NULL);
	key_put(old);
	return ret;
}

int cpns_key_store(struct cpns_keys *keys, const struct cpns_key_info *meta,
		   const u8 *secret, bool replace, key_serial_t *serial)
{
	int ret;

	mutex_lock(&keys->create_lock);
	ret = cpns_key_store_locked(keys, meta, secret, replace, false,
				    serial);
	mutex_unlock(&keys->create_lock);
	return ret;
}

int cpns_device_store(struct cpns_keys *keys, enum cpns_role role,
		      enum cpns_state state, u32 generation, const u8 *did,
		      const u8 *dk, time64_t expiry, key_serial_t *serial)
{
	struct cpns_key_info meta = {
		.kind = CPNS_KEY_DEVICE,
		.role = role,
		.state = state,
		.generation = generation,
		.expiry = expiry,
	};
	int ret;

	memcpy(meta.id, did, CPNS_DEVICE_ID_LEN);
	mutex_lock(&keys->create_lock);
	ret = cpns_key_store_locked(keys, &meta, dk, true, true, serial);
	mutex_unlock(&keys->create_lock);
	return ret;
}

/* Is @key still the valid key of @keys under its ID? */
int cpns_key_current(struct cpns_keys *keys, struct key *key)
{
	struct key *found;

	found = cpns_key_search(keys, key->type, key->description);
	if (IS_ERR(found))
		return PTR_ERR(found);
	key_put(found);
	return found == key ? 0 : -ENOKEY;
}

int cpns_key_set_state_locked(struct cpns_keys *keys, struct key *key,
			      enum cpns_state state, key_serial_t *serial)
{
	const struct cpns_key_entry *e = cpns_key_entry(key);
	struct cpns_key_params p = {
		.keys = keys,
		.state = state,
	};
	u8 secret[CPNS_KEY_LEN];
	int ret;

	lockdep_assert_held(&keys->create_lock);

	if (!e)
		return -EINVAL;
	if (state == e->state) {
		*serial = key_serial(key);
		return key_validate(key);
	}
	if (e->state == CPNS_STATE_REVOKED)
		return -EKEYREVOKED;
	if (state != CPNS_STATE_REVOKED &&
	    !(state == CPNS_STATE_ACTIVE && e->state == CPNS_STATE_UNCONFIRMED))
		return -EINVAL;

	if (state == CPNS_STATE_REVOKED) {
		ret = key_validate(key);
	} else {
		ret = cpns_key_secret(key, secret);
		p.secret = secret;
	}
	if (!ret)
		ret = cpns_key_current(keys, key);
	if (!ret) {
		p.kind = e->kind;
		p.role = e->role;
		p.generation = e->generation;
		p.self = e->self;
		p.id = e->id;
		p.expiry = READ_ONCE(key->expiry);
		ret = cpns_key_make(keys, &p, key, serial, NULL);
	}
	memzero_explicit(secret, sizeof(secret));
	return ret;
}

int cpns_key_set_state(struct cpns_keys *keys, struct key *key,
		       enum cpns_state state, key_serial_t *serial)
{
	int ret;

	mutex_lock(&keys->create_lock);
	ret = cpns_key_set_state_locked(keys, key, state, serial);
	mutex_unlock(&keys->create_lock);
	return ret;
}

void cpns_key_info(const struct key *key, struct cpns_key_info *info)
{
	const struct cpns_key_entry *e = cpns_key_entry(key);
	time64_t expiry = READ_ONCE(key->expiry);

	memset(info, 0, sizeof(*info));
	info->serial = key->serial;
	if (!e)
		return;
	info->kind = e->kind;
	info->role = e->role;
	info->state = e->state;
	info->generation = e->generation;
	info->self = e->self;
	memcpy(info->id, e->id, cpns_id_len(e->kind));
	info->expiry = expiry == TIME64_MAX ? 0 : expiry;
}

int cpns_seed_secret(const struct key *key, u8 *secret, u8 *ska)
{
	const struct cpns_key_secret *s;
	int ret;

	if (!cpns_is_our_type(key->type) ||
	    (ska && key->type != &cpns_seed_type)) {
		ret = -EINVAL;
		goto err;
	}

	if (cpns_key_entry(key)->state == CPNS_STATE_REVOKED) {
		ret = -EKEYREVOKED;
		goto err;
	}

	rcu_read_lock();
	ret = key_validate(key);
	if (!ret) {
		s = dereference_key_rcu(key);
		if (s && secret)
			memcpy(secret, s->secret, CPNS_KEY_LEN);
		if (s && ska)
			memcpy(ska, s->ska, CPNS_KEY_LEN);
		if (!s)
			ret = -EKEYREVOKED;
	}
	rcu_read_unlock();
	if (!ret)
		return 0;
err:
	if (secret)
		memzero_explicit(secret, CPNS_KEY_LEN);
	if (ska)
		memzero_explicit(ska, CPNS_KEY_LEN);
	return ret;
}

int cpns_key_secret(const struct key *key, u8 *secret)
{
	return cpns_seed_secret(key, secret, NULL);
}

static bool cpns_is_pending_gw1(const struct key *key)
{
	const struct cpns_key_entry *e = cpns_key_entry(key);

	return e && key->type == &cpns_device_type &&
	       e->role == CPNS_ROLE_GW1 && e->state == CPNS_STATE_PENDING &&
	       e->has_ch;
}

int cpns_device_challenge(const struct key *key, u8 *ch)
{
	if (!cpns_is_pending_gw1(key))
		return -EINVAL;
	memcpy(ch, cpns_key_entry(key)->ch, CPNS_CHALLENGE_LEN);
	return 0;
}

int cpns_device_confirm(struct cpns_keys *keys, struct key *key, bool self,
			key_serial_t *serial)
{
	struct cpns_key_params p = {
		.keys = keys,
		.kind = CPNS_KEY_DEVICE,
		.role = self ? CPNS_ROLE_GW2 : CPNS_ROLE_GW1,
		.state = self ? CPNS_STATE_ACTIVE : CPNS_STATE_CONFIRMED,
		.expiry = TIME64_MAX,
		.seed_cap = true,
		.self = self,
	};
	u8 dk[CPNS_KEY_LEN];
	int ret;

	if (!cpns_is_pending_gw1(key))
		return -EINVAL;

	mutex_lock(&keys->create_lock);
	ret = cpns_key_secret(key, dk);
	if (!ret)
		ret = cpns_key_current(keys, key);
	if (!ret) {
		p.id = cpns_key_entry(key)->id;
		p.secret = dk;
		ret = cpns_key_make(keys, &p, key, serial, NULL);
	}
	mutex_unlock(&keys->create_lock);
	memzero_explicit(dk, sizeof(dk));
	return ret;
}

/*
 * Under create_lock. key_unlink() goes by description: @key is unlinked
 * only if it is what the keyring holds under its ID (valid, or the
 * invalid key that the search stopped at), never a key that displaced it.
 */
void cpns_key_destroy_locked(struct cpns_keys *keys, struct key *key)
{
	struct key *found;
	bool linked;

	lockdep_assert_held(&keys->create_lock);

	found = cpns_key_search(keys, key->type, key->description);
	linked = found == key || found == ERR_PTR(-EKEYEXPIRED) ||
		 found == ERR_PTR(-EKEYREVOKED);
	if (!IS_ERR(found))
		key_put(found);
	cpns_key_retired(key);
	key_revoke(key);
	/* -ENOENT when keyctl unlink came first: nothing left to do. */
	if (linked)
		key_unlink(keys->keyring, key);
}

void cpns_key_destroy(struct cpns_keys *keys, struct key *key)
{
	mutex_lock(&keys->create_lock);
	cpns_key_destroy_locked(keys, key);
	mutex_unlock(&keys->create_lock);
}
