// SPDX-License-Identifier: GPL-2.0
/*
 * The key types "cpns_seed" and "cpns_device" and the per-namespace
 * keyring ".cpns" (the design is in keys.h; Documentation/keys.rst shows
 * what an administrator sees).
 *
 * A key's payload has two parts. data[0] (RCU) points at the secret; it is
 * swapped for NULL and wiped after a grace period the moment the key is
 * revoked. data[1] points at the key's entry: its immutable public
 * metadata and its node in the namespace's list, which dumps walk. An
 * entry is on the list from instantiation until the key is destroyed, or
 * until its namespace goes away first (cpns_keys_exit() detaches every
 * entry under cpns_owner_lock, so that a key that outlives its namespace,
 * linked into some other keyring, never touches the freed store).
 *
 * Only the module makes keys: cpns_key_preparse() refuses any caller but
 * the task that cpns_key_create() registered around its own
 * key_instantiate_and_link(), so add_key(2) and keyctl instantiate of
 * these types fail with EPERM.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/key-type.h>
#include <linux/key.h>
#include <linux/list.h>
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

#include "keys.h"
#include "netns.h"
#include "profile.h"

#define CPNS_KEYRING_DESC	".cpns"
#define CPNS_SEED_HEX_LEN	(2 * CPNS_SEED_ID_LEN)
#define CPNS_DEVICE_HEX_LEN	(2 * CPNS_DEVICE_ID_LEN)
/* "<32 hex digits> server unconfirmed" and a NUL fit with room to spare. */
#define CPNS_DESC_MAX		64
/* Tries to draw a Seed ID that no valid seed has. */
#define CPNS_SID_TRIES		8

#define CPNS_KEYRING_PERM	(KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ | \
				 KEY_USR_WRITE | KEY_USR_SEARCH)
#define CPNS_KEY_PERM		(KEY_POS_VIEW | KEY_POS_SEARCH | KEY_POS_LINK | \
				 KEY_POS_SETATTR | KEY_USR_VIEW | \
				 KEY_USR_SEARCH | KEY_USR_LINK | \
				 KEY_USR_SETATTR | KEY_USR_WRITE)

/* What cpns_key_create() hands to the key type through preparse. */
struct cpns_key_params {
	struct cpns_keys *keys;
	enum cpns_key_kind kind;
	enum cpns_role role;
	enum cpns_state state;
	u32 generation;
	const u8 *id;
	const u8 *secret;		/* NULL: none (revocation record) */
	const u8 *ch;			/* GW1 pending Device Key only */
	time64_t expiry;		/* TIME64_MAX for none */
	bool seed_cap;			/* no later than its seed: new key */
	bool self;			/* gw2 Device Key assigned to itself */
};

/* key->payload.rcu_data0 */
struct cpns_key_secret {
	struct rcu_head rcu;
	u8 secret[CPNS_KEY_LEN];
	u8 ska[CPNS_KEY_LEN];		/* a seed's seed auth key */
};

/*
 * key->payload.data[1]; everything but node, owner and retired is
 * immutable.
 */
struct cpns_key_entry {
	struct list_head node;		/* in owner->list, by serial */
	struct cpns_keys *owner;	/* NULL once detached */
	bool retired;			/* replaced or deleted by the module */
	struct key *key;
	struct key *keyring;		/* the ".cpns" it was made for */
	key_serial_t serial;
	enum cpns_key_kind kind;
	enum cpns_role role;
	enum cpns_state state;
	u32 generation;
	bool self;
	bool has_ch;
	u8 id[CPNS_DEVICE_ID_LEN];
	u8 ch[CPNS_CHALLENGE_LEN];
};

static struct key_type cpns_seed_type;
static struct key_type cpns_device_type;

/*
 * The task inside cpns_key_create()'s key_instantiate_and_link(), or NULL.
 * cpns_creator_lock serialises creators, so preparse can trust that a
 * caller equal to it is that very call.
 */
static DEFINE_MUTEX(cpns_creator_lock);
static struct task_struct *cpns_key_creator;

/*
 * Protects every entry's owner pointer; taken before the owner's lock. It
 * lets .revoke and .destroy reach a store that cpns_keys_exit() may be
 * tearing down at the same time.
 */
static DEFINE_SPINLOCK(cpns_owner_lock);

static const char * const cpns_role_names[] = {
	[CPNS_ROLE_SERVER] = "server",
	[CPNS_ROLE_GW1] = "gw1",
	[CPNS_ROLE_GW2] = "gw2",
};

static const char * const cpns_state_names[] = {
	[CPNS_STATE_ACTIVE] = "active",
	[CPNS_STATE_PENDING] = "pending",
	[CPNS_STATE_CONFIRMED] = "confirmed",
	[CPNS_STATE_REVOKED] = "revoked",
	[CPNS_STATE_UNCONFIRMED] = "unconfirmed",
};

static struct key_type *cpns_kind_type(enum cpns_key_kind kind)
{
	return kind == CPNS_KEY_SEED ? &cpns_seed_type : &cpns_device_type;
}

static bool cpns_is_our_type(const struct key_type *type)
{
	return type == &cpns_seed_type || type == &cpns_device_type;
}

static bool cpns_role_valid(enum cpns_role role)
{
	return role > 0 && role < ARRAY_SIZE(cpns_role_names) &&
	       cpns_role_names[role];
}

static bool cpns_state_valid(enum cpns_state state)
{
	return state > 0 && state < ARRAY_SIZE(cpns_state_names) &&
	       cpns_state_names[state];
}

/* "<hex id>", NUL-terminated; @buf holds 2 * @len + 1 bytes. */
static void cpns_hex_id(char *buf, const u8 *id, unsigned int len)
{
	*bin2hex(buf, id, len) = '\0';
}

/* "<hex id> <role> <state>" */
static void cpns_description(char *buf, enum cpns_key_kind kind,
			     const u8 *id, enum cpns_role role,
			     enum cpns_state state)
{
	char hex[CPNS_DEVICE_HEX_LEN + 1];

	cpns_hex_id(hex, id, cpns_id_len(kind));
	snprintf(buf, CPNS_DESC_MAX, "%s %s %s", hex, cpns_role_names[role],
		 cpns_state_names[state]);
}

/* ---- The store's list ---------------------------------------------- */

static void cpns_entry_link(struct cpns_keys *keys, struct cpns_key_entry *e)
{
	struct cpns_key_entry *pos;

	spin_lock(&keys->lock);
	/* Sorted by serial, so that a dump's cursor is the last serial. */
	list_for_each_entry_reverse(pos, &keys->list, node) {
		if (pos->serial < e->serial) {
			list_add(&e->node, &pos->node);
			goto out;
		}
	}
	list_add(&e->node, &keys->list);
out:
	keys->count++;
	keys->gen++;
	spin_unlock(&keys->lock);
}

/* A change a dump in progress should notice; @detach also unlinks @e. */
static void cpns_entry_changed(struct cpns_key_entry *e, bool detach)
{
	struct cpns_keys *keys;

	spin_lock(&cpns_owner_lock);
	keys = e->owner;
	if (keys) {
		spin_lock(&keys->lock);
		if (detach) {
			list_del_init(&e->node);
			e->owner = NULL;
			keys->count--;
		}
		keys->gen++;
		spin_unlock(&keys->lock);
	}
	spin_unlock(&cpns_owner_lock);
}

/* ---- The key types --------------------------------------------------- */

static void cpns_secret_free_rcu(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct cpns_key_secret, rcu));
}

static int cpns_key_preparse(struct key_preparsed_payload *prep)
{
	const struct cpns_key_params *p = prep->data;
	struct cpns_key_secret *s;
	struct cpns_key_entry *e;

	/* Keys come from the module only, never from add_key(2). */
	if (READ_ONCE(cpns_key_creator) != current)
		return -EPERM;
	if (prep->datalen != sizeof(*p))
		return -EINVAL;
	if ((p->kind != CPNS_KEY_SEED && p->kind != CPNS_KEY_DEVICE) ||
	    !cpns_role_valid(p->role) || !cpns_state_valid(p->state))
		return -EINVAL;
	if (!p->secret && p->state != CPNS_STATE_REVOKED)
		return -EINVAL;
	if (p->self && (p->kind != CPNS_KEY_DEVICE || p->role != CPNS_ROLE_GW2))
		return -EINVAL;

	/* Charged to the caller's memory cgroup: it asked for the key. */
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	e = kzalloc(sizeof(*e), GFP_KERNEL_ACCOUNT);
	if (!e) {
		kfree(s);
		return -ENOMEM;
	}

	/* A revocation record keeps no secret: all zero, never used. */
	if (p->secret)
		memcpy(s->secret, p->secret, CPNS_KEY_LEN);
	if (p->secret && p->kind == CPNS_KEY_SEED &&
	    cpns_seed_auth_key(p->secret, p->id, s->ska)) {
		kfree_sensitive(s);
		kfree(e);
		return -EINVAL;
	}
	INIT_LIST_HEAD(&e->node);
	e->owner = p->keys;
	e->keyring = p->keys->keyring;
	e->kind = p->kind;
	e->role = p->role;
	e->state = p->state;
	e->generation = p->generation;
	e->self = p->self;
	memcpy(e->id, p->id, cpns_id_len(p->kind));
	if (p->ch) {
		e->has_ch = true;
		memcpy(e->ch, p->ch, CPNS_CHALLENGE_LEN);
	}

	prep->payload.data[0] = s;
	prep->payload.data[1] = e;
	prep->quotalen = sizeof(s->secret);
	prep->expiry = p->expiry;
	return 0;
}

static void cpns_key_free_preparse(struct key_preparsed_payload *prep)
{
	kfree_sensitive(prep->payload.data[0]);
	kfree(prep->payload.data[1]);
}

static int cpns_key_instantiate(struct key *key,
				struct key_preparsed_payload *prep)
{
	struct cpns_key_secret *s = prep->payload.data[0];
	struct cpns_key_entry *e = prep->payload.data[1];

	if (key->type != cpns_kind_type(e->kind))
		return -EINVAL;

	e->key = key;
	e->serial = key->serial;
	key->payload.data[1] = e;
	rcu_assign_keypointer(key, s);
	prep->payload.data[0] = NULL;
	prep->payload.data[1] = NULL;

	/* The store is alive: its owner is inside cpns_key_create(). */
	cpns_entry_link(e->owner, e);
	return 0;
}

/* key_revoke() holds key->sem for writing. */
static void cpns_key_revoke(struct key *key)
{
	struct cpns_key_secret *s = dereference_key_locked(key);

	rcu_assign_keypointer(key, NULL);
	if (s)
		call_rcu(&s->rcu, cpns_secret_free_rcu);
	if (key->payload.data[1])
		cpns_entry_changed(key->payload.data[1], false);
}

/*
 * Called when the key is freed, or when its type goes away while it still
 * has references (then under key->sem; readers may still be inside an RCU
 * read section, hence call_rcu(), and cpns_keys_unregister()'s
 * rcu_barrier()).
 */
static void cpns_key_destroy_payload(struct key *key)
{
	struct cpns_key_secret *s = rcu_access_pointer(key->payload.rcu_data0);
	struct cpns_key_entry *e = key->payload.data[1];

	RCU_INIT_POINTER(key->payload.rcu_data0, NULL);
	if (s)
		call_rcu(&s->rcu, cpns_secret_free_rcu);
	if (e) {
		key->payload.data[1] = NULL;
		cpns_entry_changed(e, true);
		kfree(e);
	}
}

/*
 * keyctl show and /proc/keys: public metadata only; the self-assigned
 * mark is not part of the description, which lookups match.
 */
static void cpns_key_describe(const struct key *key, struct seq_file *m)
{
	const struct cpns_key_entry *e = key->payload.data[1];

	seq_puts(m, key->description);
	if (e && e->self)
		seq_puts(m, " self-assigned");
}

static bool cpns_hex_ok(const char *s, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Is @tail " <role> <state>" for some role and state? */
static bool cpns_desc_tail_ok(const char *tail)
{
	char buf[CPNS_DESC_MAX];
	unsigned int r, s;

	for (r = 0; r < ARRAY_SIZE(cpns_role_names); r++) {
		if (!cpns_role_names[r])
			continue;
		for (s = 0; s < ARRAY_SIZE(cpns_state_names); s++) {
			if (!cpns_state_names[s])
				continue;
			snprintf(buf, sizeof(buf), " %s %s",
				 cpns_role_names[r], cpns_state_names[s]);
			if (!strcmp(tail, buf))
				return true;
		}
	}
	return false;
}

/*
 * A hex ID matches the key with that ID whatever its role and state; a
 * full description matches exactly. IDs are compared in constant time.
 */
static bool cpns_key_cmp(const struct key *key,
			 const struct key_match_data *match_data)
{
	const char *raw = match_data->raw_data;
	unsigned int hexlen = key->type == &cpns_seed_type ?
			      CPNS_SEED_HEX_LEN : CPNS_DEVICE_HEX_LEN;

	if (strlen(raw) != hexlen)
		return !strcmp(key->description, raw);
	return key->index_key.desc_len > hexlen &&
	       key->description[hexlen] == ' ' &&
	       !crypto_memneq(key->description, raw, hexlen);
}

static int cpns_match_preparse(struct key_match_data *match_data,
			       unsigned int hexlen)
{
	const char *raw = match_data->raw_data;
	size_t len = strnlen(raw, CPNS_DESC_MAX);

	if (len < hexlen || len == CPNS_DESC_MAX || !cpns_hex_ok(raw, hexlen))
		return -EINVAL;
	if (len > hexlen && !cpns_desc_tail_ok(raw + hexlen))
		return -EINVAL;

	match_data->cmp = cpns_key_cmp;
	/* Search every key: the hash of a description cannot find an ID. */
	match_data->lookup_type = KEYRING_SEARCH_LOOKUP_ITERATE;
	return 0;
}

static int cpns_seed_match_preparse(struct key_match_data *match_data)
{
	return cpns_match_preparse(match_data, CPNS_SEED_HEX_LEN);
}

static int cpns_device_match_preparse(struct key_match_data *match_data)
{
	return cpns_match_preparse(match_data, CPNS_DEVICE_HEX_LEN);
}

/* No .read (the secret never leaves the kernel) and no .update. */
static struct key_type cpns_seed_type = {
	.name			= "cpns_seed",
	.flags			= KEY_TYPE_NET_DOMAIN,
	.def_datalen		= CPNS_SEED_LEN,
	.preparse		= cpns_key_preparse,
	.free_preparse		= cpns_key_free_preparse,
	.instantiate		= cpns_key_instantiate,
	.match_preparse		= cpns_seed_match_preparse,
	.revoke			= cpns_key_revoke,
	.destroy		= cpns_key_destroy_payload,
	.describe		= cpns_key_describe,
};

static struct key_type cpns_device_type = {
	.name			= "cpns_device",
	.flags			= KEY_TYPE_NET_DOMAIN,
	.def_datalen		= CPNS_KEY_LEN,
	.preparse		= cpns_key_preparse,
	.free_preparse		= cpns_key_free_preparse,
	.instantiate		= cpns_key_instantiate,
	.match_preparse		= cpns_device_match_preparse,
	.revoke			= cpns_key_revoke,
	.destroy		= cpns_key_destroy_payload,
	.describe		= cpns_key_describe,
};

/*
 * The restriction of ".cpns": only keys of our types, made for this very
 * keyring, may be linked into it (keyctl link of a key from another
 * namespace's store fails with EPERM). Its keytype is cpns_seed_type so
 * that unregistering that type swaps this check for restrict_link_reject
 * on any ".cpns" that outlives the module.
 */
static int cpns_keyring_restrict(struct key *keyring,
				 const struct key_type *type,
				 const union key_payload *payload,
				 struct key *restriction_key)
{
	const struct cpns_key_entry *e;

	if (!cpns_is_our_type(type))
		return -EPERM;
	e = payload->data[1];
	if (!e || e->keyring != keyring)
		return -EPERM;
	return 0;
}

int cpns_keys_register(void)
{
	int ret;

	ret = register_key_type(&cpns_seed_type);
	if (ret)
		return ret;
	ret = register_key_type(&cpns_device_type);
	if (ret)
		goto err_seed;
	return 0;

err_seed:
	unregister_key_type(&cpns_seed_type);
	rcu_barrier();
	return ret;
}

void cpns_keys_unregister(void)
{
	unregister_key_type(&cpns_device_type);
	unregister_key_type(&cpns_seed_type);
	/* Wait for the secrets that .revoke and .destroy queued. */
	rcu_barrier();
}

/* ---- The store ----------------------------------------------------- */

int cpns_keys_init(struct cpns_keys *keys, struct net *net)
{
	struct key_restriction *restriction;
	kuid_t uid = net->user_ns->owner;
	kgid_t gid = net->user_ns->group;
	struct key *keyring;

	mutex_init(&keys->create_lock);
	spin_lock_init(&keys->lock);
	INIT_LIST_HEAD(&keys->list);
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
		e = list_first_entry_or_null(&keys->list, struct cpns_key_entry,
					     node);
		if (e) {
			list_del_init(&e->node);
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

/* The valid key of @type that @desc (hex ID or description) names. */
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

static const struct cpns_key_entry *cpns_key_entry(const struct key *key)
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
 * keyring_search() checks a key's state before it matches the key, so a
 * search that finds no valid key fails with -EKEYEXPIRED or -EKEYREVOKED
 * if any key of the type in the keyring is expired or revoked, whatever
 * its ID. Which error is this ID's own? That of an invalid key of ours
 * with this ID that the module has not replaced or deleted (an expired
 * key until the garbage collector takes it, or one revoked with keyctl),
 * else -ENOKEY.
 */
static int cpns_key_invalid_id(struct cpns_keys *keys,
			       enum cpns_key_kind kind, const u8 *id)
{
	struct cpns_key_entry *e;
	int ret = -ENOKEY, err;

	spin_lock(&keys->lock);
	list_for_each_entry(e, &keys->list, node) {
		if (e->kind != kind || READ_ONCE(e->retired) ||
		    crypto_memneq(e->id, id, cpns_id_len(kind)))
			continue;
		/* Listed: .destroy has not run, the key is still there. */
		err = key_validate(e->key);
		if (err) {
			ret = err;
			break;
		}
	}
	spin_unlock(&keys->lock);
	return ret;
}

/* The valid key with this ID, whatever its state. */
static struct key *cpns_key_search_id(struct cpns_keys *keys,
				      enum cpns_key_kind kind, const u8 *id)
{
	char hex[CPNS_DEVICE_HEX_LEN + 1];
	struct key *key;

	cpns_hex_id(hex, id, cpns_id_len(kind));
	key = cpns_key_search(keys, cpns_kind_type(kind), hex);
	if (key == ERR_PTR(-EKEYEXPIRED) || key == ERR_PTR(-EKEYREVOKED))
		key = ERR_PTR(cpns_key_invalid_id(keys, kind, id));
	return key;
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
	cpns_description(desc, p->kind, p->id, p->role, p->state);
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
 * the keyring, and key_unlink(), which goes by description, would unlink
 * @new instead.
 */
static void cpns_key_supersede(struct cpns_keys *keys, struct key *old,
			       const struct key *new)
{
	lockdep_assert_held(&keys->create_lock);

	cpns_key_retired(old);
	key_revoke(old);
	if (strcmp(old->description, new->description))
		key_unlink(keys->keyring, old);
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
		cpns_key_supersede(keys, old, key);
	if (made)
		*made = key;
	else
		key_put(key);
	return 0;
}

/* Store a key unless a valid one with its ID exists; under create_lock. */
static int cpns_key_add_locked(struct cpns_keys *keys,
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
static int cpns_device_params(struct cpns_key_params *p,
			      struct cpns_keys *keys, enum cpns_role role,
			      const u8 *did, const u8 *dk, const u8 *ch,
			      u32 timeout)
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

static int cpns_key_store_locked(struct cpns_keys *keys,
				 const struct cpns_key_info *meta,
				 const u8 *secret, bool replace, bool seed_cap,
				 key_serial_t *serial)
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

/* Is @key still the valid key of @keys under its description? */
static int cpns_key_current(struct cpns_keys *keys, struct key *key)
{
	struct key *found;

	found = cpns_key_search(keys, key->type, key->description);
	if (IS_ERR(found))
		return PTR_ERR(found);
	key_put(found);
	return found == key ? 0 : -ENOKEY;
}

static int cpns_key_set_state_locked(struct cpns_keys *keys, struct key *key,
				     enum cpns_state state,
				     key_serial_t *serial)
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
		/* Another description: the pending key is also unlinked. */
		ret = cpns_key_make(keys, &p, key, serial, NULL);
	}
	mutex_unlock(&keys->create_lock);
	memzero_explicit(dk, sizeof(dk));
	return ret;
}

void cpns_key_destroy(struct cpns_keys *keys, struct key *key)
{
	cpns_key_retired(key);
	key_revoke(key);
	/* -ENOENT when keyctl unlink came first: nothing left to do. */
	key_unlink(keys->keyring, key);
}

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
	struct cpns_key_entry *e;
	struct key *key = NULL;

	spin_lock(&keys->lock);
	list_for_each_entry(e, &keys->list, node) {
		if ((unsigned long)e->serial <= after)
			continue;
		/*
		 * The entry is listed, so .destroy has not run and the key's
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
 * Device Key or record (referenced), or NULL when the revocation is to be
 * recorded afresh (a server's device it holds no record of: only one of
 * its own seeds). With @strict (re-assignment), a device that is already
 * revoked is refused with -EKEYREVOKED; without, *@key is that record.
 * Return: 0, -ENOKEY (not present), -EKEYREVOKED, -EKEYEXPIRED, -EACCES.
 */
static int cpns_device_revocable(struct cpns_keys *keys, const u8 *did,
				 bool strict, struct key **key)
{
	struct key *k, *seed;
	int ret;

	lockdep_assert_held(&keys->create_lock);

	*key = NULL;
	k = cpns_key_search_id(keys, CPNS_KEY_DEVICE, did);
	if (!IS_ERR(k)) {
		if (strict &&
		    cpns_key_entry(k)->state == CPNS_STATE_REVOKED) {
			key_put(k);
			return -EKEYREVOKED;
		}
		*key = k;
		return 0;
	}
	ret = PTR_ERR(k);
	if (ret == -EACCES || (strict && ret != -ENOKEY))
		return ret;

	seed = cpns_key_search_id(keys, CPNS_KEY_SEED, did);
	if (IS_ERR(seed))
		return strict ? PTR_ERR(seed) : -ENOKEY;
	if (cpns_key_entry(seed)->role != CPNS_ROLE_SERVER)
		ret = -ENOKEY;
	else if (strict && cpns_key_entry(seed)->state == CPNS_STATE_REVOKED)
		ret = -EKEYREVOKED;
	else
		ret = 0;
	key_put(seed);
	return ret;
}

/* Revoke what cpns_device_revocable() found; under create_lock. */
static int cpns_device_revoke_locked(struct cpns_keys *keys, const u8 *did,
				     struct key *key, key_serial_t *serial)
{
	struct cpns_key_info meta = {
		.kind = CPNS_KEY_DEVICE,
		.role = CPNS_ROLE_SERVER,
		.state = CPNS_STATE_REVOKED,
	};

	if (key)
		return cpns_key_set_state_locked(keys, key, CPNS_STATE_REVOKED,
						 serial);
	memcpy(meta.id, did, CPNS_DEVICE_ID_LEN);
	return cpns_key_store_locked(keys, &meta, NULL, false, true, serial);
}

int cpns_device_revoke(struct cpns_keys *keys, const u8 *did,
		       key_serial_t *serial)
{
	struct key *key;
	int ret;

	mutex_lock(&keys->create_lock);
	ret = cpns_device_revocable(keys, did, false, &key);
	if (!ret)
		ret = cpns_device_revoke_locked(keys, did, key, serial);
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

	if (did && !crypto_memneq(did, old, CPNS_DEVICE_ID_LEN))
		return -EINVAL;
	cpns_device_params(&p, keys, CPNS_ROLE_GW2, did, dk, NULL, timeout);

	mutex_lock(&keys->create_lock);
	ret = cpns_device_revocable(keys, old, true, &key);
	if (ret)
		goto out;
	if (did) {
		ret = cpns_key_add_locked(keys, &p, serial, &made);
		if (ret)
			goto out;
	}
	ret = cpns_device_revoke_locked(keys, old, key, old_serial);
	/* Neither or both: the new key goes if the old one stays. */
	if (ret && made)
		cpns_key_destroy(keys, made);
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
