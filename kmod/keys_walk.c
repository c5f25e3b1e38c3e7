// SPDX-License-Identifier: GPL-2.0
/*
 * Walks over a namespace's store (dumps), and the changes that reach many
 * keys at once: revocation of a device or of a seed's devices,
 * re-assignment and seed rotation.
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
#include <crypto/algapi.h>
#include <linux/cpns.h>

#include "keys_priv.h"
#include "netns.h"
#include "profile.h"

/* Valid, and still linked in the store's keyring? */
static bool cpns_key_listed(struct cpns_keys *keys, struct key *key)
{
	return !key_validate(key) && !cpns_key_current(keys, key);
}

/*
 * The first key after serial @after that still has references, with a
 * reference taken, and its metadata; NULL at the end.
 */
static struct key *cpns_keys_next(struct cpns_keys *keys, unsigned long after,
				  struct cpns_key_info *info)
{
	struct rb_node *n, *first = NULL;
	struct cpns_key_entry *e;
	struct key *key = NULL;

	spin_lock(&keys->lock);
	/* The leftmost entry with a serial above @after. */
	for (n = keys->tree.rb_node; n; ) {
		e = rb_entry(n, struct cpns_key_entry, node);
		if ((unsigned long)e->serial > after) {
			first = n;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	for (n = first; n; n = rb_next(n)) {
		e = rb_entry(n, struct cpns_key_entry, node);
		/*
		 * The entry is in the tree, so .destroy has not run and the key's
		 * memory is still there; at zero references it is dying.
		 */
		if (refcount_inc_not_zero(&e->key->usage)) {
			key = e->key;
			cpns_key_info(key, info);
			break;
		}
	}
	spin_unlock(&keys->lock);
	return key;
}

int cpns_keys_walk(struct cpns_keys *keys, unsigned long *pos,
		   unsigned int *gen,
		   int (*fn)(const struct cpns_key_info *info, void *arg),
		   void *arg)
{
	struct cpns_key_info info;
	struct key *key;
	bool listed;
	int ret;

	spin_lock(&keys->lock);
	*gen = keys->gen;
	spin_unlock(&keys->lock);

	while ((key = cpns_keys_next(keys, *pos, &info))) {
		listed = cpns_key_listed(keys, key);
		key_put(key);
		if (listed) {
			ret = fn(&info, arg);
			if (ret)
				return ret;
		}
		*pos = (unsigned long)info.serial;
	}
	return 0;
}

int cpns_keys_revoke_devices(struct cpns_keys *keys, const u8 *sid)
{
	struct cpns_key_info info;
	unsigned long pos = 0;
	key_serial_t serial;
	int ret, count = 0;
	struct key *key;

	/*
	 * A revocation record replaces each key with one of a new serial,
	 * possibly higher: the walk meets it, revoked, and passes it by.
	 */
	while ((key = cpns_keys_next(keys, pos, &info))) {
		pos = (unsigned long)info.serial;
		if (info.kind != CPNS_KEY_DEVICE ||
		    info.state == CPNS_STATE_REVOKED ||
		    memcmp(info.id, sid, CPNS_SEED_ID_LEN) ||
		    !cpns_key_listed(keys, key)) {
			key_put(key);
			continue;
		}
		ret = cpns_key_set_state(keys, key, CPNS_STATE_REVOKED,
					 &serial);
		key_put(key);
		/* -ENOKEY, -EKEYREVOKED, -EKEYEXPIRED: gone meanwhile. */
		if (ret == -ENOKEY || ret == -EKEYREVOKED ||
		    ret == -EKEYEXPIRED)
			continue;
		if (ret)
			return ret;
		count++;
	}
	return count;
}

/* ---- Revocation, re-assignment and rotation -------------------------- */

/*
 * What revoking the device @did takes, under create_lock: *@key is its
 * Device Key or revocation record (referenced). A server holds no key of
 * its devices (their records are blobs in its daemon's store, record.h):
 * for it there is nothing here. With @strict (re-assignment), a device
 * that is already revoked is refused with -EKEYREVOKED; without, *@key is
 * that record.
 * Return: 0, -ENOKEY (not present), -EKEYREVOKED, -EKEYEXPIRED, -EACCES.
 */
static int cpns_device_revocable(struct cpns_keys *keys, const u8 *did,
				 bool strict, struct key **key)
{
	struct key *k;
	int ret;

	lockdep_assert_held(&keys->create_lock);

	*key = NULL;
	k = cpns_key_search_id(keys, CPNS_KEY_DEVICE, did);
	if (IS_ERR(k)) {
		ret = PTR_ERR(k);
		return ret == -EACCES || strict ? ret : -ENOKEY;
	}
	if (strict && cpns_key_entry(k)->state == CPNS_STATE_REVOKED) {
		key_put(k);
		return -EKEYREVOKED;
	}
	*key = k;
	return 0;
}

int cpns_device_revoke(struct cpns_keys *keys, const u8 *did,
		       key_serial_t *serial)
{
	struct key *key;
	int ret;

	mutex_lock(&keys->create_lock);
	ret = cpns_device_revocable(keys, did, false, &key);
	if (!ret)
		ret = cpns_key_set_state_locked(keys, key, CPNS_STATE_REVOKED,
						serial);
	mutex_unlock(&keys->create_lock);
	key_put(key);
	return ret;
}

int cpns_device_replace(struct cpns_keys *keys, const u8 *did, const u8 *dk,
			u32 timeout, const u8 *old, key_serial_t *serial,
			key_serial_t *old_serial)
{
	struct key *key, *made = NULL;
	struct cpns_key_params p;
	int ret;

	if (!crypto_memneq(did, old, CPNS_DEVICE_ID_LEN))
		return -EINVAL;
	cpns_device_params(&p, keys, CPNS_ROLE_GW2, did, dk, NULL, timeout);

	mutex_lock(&keys->create_lock);
	ret = cpns_device_revocable(keys, old, true, &key);
	if (ret)
		goto out;
	ret = cpns_key_add_locked(keys, &p, serial, &made);
	if (ret)
		goto out;
	ret = cpns_key_set_state_locked(keys, key, CPNS_STATE_REVOKED,
					old_serial);
	/* Neither or both: the new key goes if the old one stays. */
	if (ret)
		cpns_key_destroy_locked(keys, made);
out:
	mutex_unlock(&keys->create_lock);
	key_put(made);
	key_put(key);
	return ret;
}

/*
 * Let @key expire at @t at the latest. key_set_timeout() counts from its
 * own reading of the clock: try again if a second passed in between.
 */
static void cpns_key_expire_by(struct key *key, time64_t t)
{
	time64_t left;

	while (READ_ONCE(key->expiry) > t) {
		left = t - ktime_get_real_seconds();
		key_set_timeout(key, left > 0 ? left : 1);
		if (left <= 0)
			break;
	}
}

int cpns_seed_retire(struct cpns_keys *keys, const u8 *sid, u32 overlap,
		     struct cpns_key_info *info, unsigned int *count)
{
	struct cpns_key_info ki;
	unsigned long pos = 0;
	struct key *seed, *key;
	time64_t t;

	mutex_lock(&keys->create_lock);
	seed = cpns_key_search_id(keys, CPNS_KEY_SEED, sid);
	if (IS_ERR(seed)) {
		mutex_unlock(&keys->create_lock);
		return PTR_ERR(seed);
	}
	t = ktime_get_real_seconds() + max_t(u32, overlap, 1);
	cpns_key_expire_by(seed, t);
	cpns_key_info(seed, info);
	/* The seed's expiry, if it was earlier, bounds its devices too. */
	t = READ_ONCE(seed->expiry);
	*count = 1;

	/*
	 * Under create_lock no key of this seed is made meanwhile: one made
	 * later takes the seed's expiry (cpns_seed_cap()).
	 */
	while ((key = cpns_keys_next(keys, pos, &ki))) {
		pos = (unsigned long)ki.serial;
		if (ki.kind == CPNS_KEY_DEVICE &&
		    !memcmp(ki.id, sid, CPNS_SEED_ID_LEN) &&
		    cpns_key_listed(keys, key)) {
			cpns_key_expire_by(key, t);
			(*count)++;
		}
		key_put(key);
	}
	mutex_unlock(&keys->create_lock);
	key_put(seed);
	return 0;
}
