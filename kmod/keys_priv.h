/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What keys.c (the store), key_type.c (the key types) and keys_walk.c
 * (walks, revocation and rotation) share; private to them.
 */
#ifndef _CPNS_KEYS_PRIV_H
#define _CPNS_KEYS_PRIV_H

#include <linux/key-type.h>
#include <linux/key.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/cpns.h>

#include "keys.h"

#define CPNS_KEYRING_DESC	".cpns"
#define CPNS_SEED_HEX_LEN	(2 * CPNS_SEED_ID_LEN)
#define CPNS_DEVICE_HEX_LEN	(2 * CPNS_DEVICE_ID_LEN)
/* A description: the hex ID and a NUL. */
#define CPNS_DESC_MAX		(CPNS_DEVICE_HEX_LEN + 1)
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
	struct rb_node node;		/* in owner->tree, by serial */
	struct cpns_keys *owner;	/* NULL once detached */
	bool retired;			/* replaced or deleted by the module:
					 * never linked into ".cpns" again
					 */
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

extern struct key_type cpns_seed_type;
extern struct key_type cpns_device_type;
extern struct mutex cpns_creator_lock;
extern struct task_struct *cpns_key_creator;
extern spinlock_t cpns_owner_lock;

struct key_type *cpns_kind_type(enum cpns_key_kind kind);
bool cpns_is_our_type(const struct key_type *type);
void cpns_hex_id(char *buf, const u8 *id, unsigned int len);
bool cpns_role_valid(enum cpns_role role);
bool cpns_state_valid(enum cpns_state state);
void cpns_description(char *buf, enum cpns_key_kind kind, const u8 *id);
void cpns_entry_changed(struct cpns_key_entry *e, bool detach);
int cpns_keyring_restrict(struct key *keyring, const struct key_type *type,
			  const union key_payload *payload,
			  struct key *restriction_key);

/* keys.c, for keys_walk.c */
struct key *cpns_key_search_id(struct cpns_keys *keys,
			       enum cpns_key_kind kind, const u8 *id);
int cpns_key_current(struct cpns_keys *keys, struct key *key);
const struct cpns_key_entry *cpns_key_entry(const struct key *key);
int cpns_key_set_state_locked(struct cpns_keys *keys, struct key *key,
			      enum cpns_state state, key_serial_t *serial);
int cpns_key_store_locked(struct cpns_keys *keys,
			  const struct cpns_key_info *meta, const u8 *secret,
			  bool replace, bool seed_cap, key_serial_t *serial);
int cpns_device_params(struct cpns_key_params *p, struct cpns_keys *keys,
		       enum cpns_role role, const u8 *did, const u8 *dk,
		       const u8 *ch, u32 timeout);
void cpns_key_destroy_locked(struct cpns_keys *keys, struct key *key);
int cpns_key_add_locked(struct cpns_keys *keys,
			const struct cpns_key_params *p,
			key_serial_t *serial, struct key **made);

#endif /* _CPNS_KEYS_PRIV_H */
