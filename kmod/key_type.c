// SPDX-License-Identifier: GPL-2.0
/*
 * The key types "cpns_seed" and "cpns_device" and the restriction of the
 * per-namespace keyring ".cpns" (the design is in keys.h).
 *
 * A key's payload has two parts. data[0] (RCU) points at the secret; it is
 * swapped for NULL and wiped after a grace period the moment the key is
 * revoked. data[1] points at the key's entry: its immutable public
 * metadata and its node in the namespace's tree, which dumps walk. An
 * entry is in the tree from instantiation until the key is destroyed, or
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

/*
 * The task inside cpns_key_create()'s key_instantiate_and_link(), or NULL.
 * cpns_creator_lock serialises creators, so preparse can trust that a
 * caller equal to it is that very call.
 */
DEFINE_MUTEX(cpns_creator_lock);
struct task_struct *cpns_key_creator;

/*
 * Protects every entry's owner pointer; taken before the owner's lock. It
 * lets .revoke and .destroy reach a store that cpns_keys_exit() may be
 * tearing down at the same time.
 */
DEFINE_SPINLOCK(cpns_owner_lock);

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

struct key_type *cpns_kind_type(enum cpns_key_kind kind)
{
	return kind == CPNS_KEY_SEED ? &cpns_seed_type : &cpns_device_type;
}

bool cpns_is_our_type(const struct key_type *type)
{
	return type == &cpns_seed_type || type == &cpns_device_type;
}

bool cpns_role_valid(enum cpns_role role)
{
	return role > 0 && role < ARRAY_SIZE(cpns_role_names) &&
	       cpns_role_names[role];
}

bool cpns_state_valid(enum cpns_state state)
{
	return state > 0 && state < ARRAY_SIZE(cpns_state_names) &&
	       cpns_state_names[state];
}

/* "<hex id>", NUL-terminated; @buf holds 2 * @len + 1 bytes. */
void cpns_hex_id(char *buf, const u8 *id, unsigned int len)
{
	*bin2hex(buf, id, len) = '\0';
}

/* A key's description: its hex ID, which a lookup names exactly. */
void cpns_description(char *buf, enum cpns_key_kind kind, const u8 *id)
{
	cpns_hex_id(buf, id, cpns_id_len(kind));
}

/* ---- The store's tree ---------------------------------------------- */

/*
 * By serial, so that a dump's cursor is the last serial; a tree, as the
 * keys API draws serials at random. Serials of live keys are unique.
 */
static void cpns_entry_link(struct cpns_keys *keys, struct cpns_key_entry *e)
{
	struct rb_node **p = &keys->tree.rb_node, *parent = NULL;
	struct cpns_key_entry *pos;

	spin_lock(&keys->lock);
	while (*p) {
		parent = *p;
		pos = rb_entry(parent, struct cpns_key_entry, node);
		p = e->serial < pos->serial ? &parent->rb_left :
					      &parent->rb_right;
	}
	rb_link_node(&e->node, parent, p);
	rb_insert_color(&e->node, &keys->tree);
	keys->count++;
	keys->gen++;
	spin_unlock(&keys->lock);
}

/* A change a dump in progress should notice; @detach also unlinks @e. */
void cpns_entry_changed(struct cpns_key_entry *e, bool detach)
{
	struct cpns_keys *keys;

	spin_lock(&cpns_owner_lock);
	keys = e->owner;
	if (keys) {
		spin_lock(&keys->lock);
		if (detach) {
			rb_erase(&e->node, &keys->tree);
			RB_CLEAR_NODE(&e->node);
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
	RB_CLEAR_NODE(&e->node);
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
 * /proc/keys: "<hex id> <role> <state> gen <n>" and " self-assigned" when
 * marked; public metadata only. The description is the hex ID alone.
 */
static void cpns_key_describe(const struct key *key, struct seq_file *m)
{
	const struct cpns_key_entry *e = key->payload.data[1];

	seq_puts(m, key->description);
	if (!e)
		return;
	seq_printf(m, " %s %s gen %u", cpns_role_names[e->role],
		   cpns_state_names[e->state], e->generation);
	if (e->self)
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

/*
 * A search names a key by its description, the hex ID in lowercase, and
 * goes by the keyring's index (keyring_search()'s default,
 * KEYRING_SEARCH_LOOKUP_DIRECT, with key_default_cmp()): anything else is
 * refused rather than reported absent.
 */
static int cpns_match_preparse(struct key_match_data *match_data,
			       unsigned int hexlen)
{
	const char *raw = match_data->raw_data;

	if (strnlen(raw, hexlen + 1) != hexlen || !cpns_hex_ok(raw, hexlen))
		return -EINVAL;
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

/*
 * No .read (the secret never leaves the kernel) and no .update. No
 * KEY_TYPE_NET_DOMAIN: each namespace has its own ".cpns", and the index
 * that a lookup goes by compares the domain tag, which for such a type is
 * the network namespace of the task at hand, not that of the store (a
 * netlink socket of one namespace may be used from another).
 */
struct key_type cpns_seed_type = {
	.name			= "cpns_seed",
	.def_datalen		= CPNS_SEED_LEN,
	.preparse		= cpns_key_preparse,
	.free_preparse		= cpns_key_free_preparse,
	.instantiate		= cpns_key_instantiate,
	.match_preparse		= cpns_seed_match_preparse,
	.revoke			= cpns_key_revoke,
	.destroy		= cpns_key_destroy_payload,
	.describe		= cpns_key_describe,
};

struct key_type cpns_device_type = {
	.name			= "cpns_device",
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
 * keyring and not since replaced or deleted by the module, may be linked
 * into it (keyctl link of a key from another namespace's store fails with
 * EPERM). Its keytype is cpns_seed_type so that unregistering that type
 * swaps this check for restrict_link_reject on any ".cpns" that outlives
 * the module.
 */
int cpns_keyring_restrict(struct key *keyring, const struct key_type *type,
			  const union key_payload *payload,
			  struct key *restriction_key)
{
	const struct cpns_key_entry *e;

	if (!cpns_is_our_type(type))
		return -EPERM;
	e = payload->data[1];
	/* A retired key would displace the one that replaced it. */
	if (!e || e->keyring != keyring || READ_ONCE(e->retired))
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
