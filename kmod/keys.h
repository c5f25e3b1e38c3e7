/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The key types "cpns_seed" and "cpns_device" and the private keyring
 * ".cpns" that the module keeps in each network namespace.
 *
 * A key's description is its hex ID alone, for instance
 * "00010203040506076db3d4072ebbba20": the ID determines it, so every lookup
 * (and "keyctl search KEYRING cpns_device <hex id>") goes by the keyring's
 * hashed index, and a namespace holds one key per type and ID. Role,
 * state, generation and the self-assigned mark are the key's metadata,
 * shown by /proc/keys (the types' describe) and KEY_GET. A change of state
 * (II-8) replaces the key by one with the same description: linking it
 * displaces the old one in a single step. The payload (the secret) has no
 * .read, the types refuse add_key() and update from userspace, and a
 * revoked key's secret is wiped at once.
 */
#ifndef _CPNS_KEYS_H
#define _CPNS_KEYS_H

#include <linux/types.h>
#include <linux/rbtree.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/key.h>
#include <linux/cpns.h>

struct net;

/* The key store of one network namespace. */
struct cpns_keys {
	struct key *keyring;		/* ".cpns", owned by the netns owner */
	struct mutex create_lock;	/* makes "absent, then add" atomic */
	spinlock_t lock;		/* protects tree and gen */
	struct rb_root tree;		/* keys made here, by serial, for
					 * dumps and walks
					 */
	unsigned int count;		/* entries in tree: at most keys_max */
	unsigned int gen;		/* bumped on every change of tree */
};

/* A snapshot of one key's public metadata. */
struct cpns_key_info {
	key_serial_t serial;
	enum cpns_key_kind kind;
	enum cpns_role role;
	enum cpns_state state;
	u32 generation;			/* 0 = as assigned; +1 per re-key */
	bool self;			/* gw2 Device Key this namespace
					 * assigned to itself (II-8, no II-9)
					 */
	u8 id[CPNS_DEVICE_ID_LEN];	/* CPNS_SEED_ID_LEN bytes for a seed */
	time64_t expiry;		/* real time in seconds; 0 = none */
};

/* The length of the ID of a key of @kind; 0 for a kind this module lacks. */
static inline unsigned int cpns_id_len(unsigned int kind)
{
	switch (kind) {
	case CPNS_KEY_SEED:
		return CPNS_SEED_ID_LEN;
	case CPNS_KEY_DEVICE:
		return CPNS_DEVICE_ID_LEN;
	}
	return 0;
}

/**
 * cpns_keys_register() - register the key types cpns_seed and cpns_device
 *
 * Return: 0 or the errno of register_key_type() (-EEXIST).
 */
int cpns_keys_register(void);

/**
 * cpns_keys_unregister() - unregister both key types
 *
 * Every remaining key of them is destroyed and its secret wiped; waits for
 * the RCU frees. Call after every store's cpns_keys_exit().
 */
void cpns_keys_unregister(void);

/**
 * cpns_keys_init() - make the namespace's keyring
 * @keys: to initialise
 * @net: the namespace; the keyring belongs to the owner of its user ns
 *
 * Return: 0 or a negative errno.
 */
int cpns_keys_init(struct cpns_keys *keys, struct net *net);

/**
 * cpns_keys_exit() - tear a store down
 * @keys: the store, from cpns_keys_init()
 *
 * Revoke every key made in @keys (even one linked elsewhere), then revoke
 * and release the keyring. Must not run concurrently with any other call
 * on @keys (pernet exit guarantees it).
 */
void cpns_keys_exit(struct cpns_keys *keys);

/**
 * cpns_seed_new() - I-2: make a random Key Seed with a random, unused Seed ID
 * @keys: the namespace's store
 * @timeout: lifetime in seconds, 0 for none
 * @sid: out, CPNS_SEED_ID_LEN bytes
 * @serial: out, the new key's serial
 *
 * The key has role CPNS_ROLE_SERVER and state CPNS_STATE_ACTIVE.
 * Return: 0 or a negative errno.
 */
int cpns_seed_new(struct cpns_keys *keys, u32 timeout, u8 *sid,
		  key_serial_t *serial);

/**
 * cpns_seed_add() - store a received Key Seed (I-3), role GW1, active
 * @keys: the namespace's store
 * @sid: Seed ID
 * @seed: CPNS_SEED_LEN bytes
 * @timeout: lifetime in seconds, 0 for none
 * @serial: out
 *
 * Return: 0, -EEXIST if a valid seed with @sid is present, or an errno.
 */
int cpns_seed_add(struct cpns_keys *keys, const u8 *sid, const u8 *seed,
		  u32 timeout, key_serial_t *serial);

/**
 * cpns_device_add() - store a Device Key
 * @keys: the namespace's store
 * @role: CPNS_ROLE_GW1 (II-4, state CPNS_STATE_PENDING, @ch required) or
 *	CPNS_ROLE_GW2 (II-9, state CPNS_STATE_ACTIVE, @ch NULL)
 * @did: Device ID
 * @dk: Device Key
 * @ch: the II-3 challenge, kept for II-8, or NULL
 * @timeout: lifetime in seconds, 0 for none
 * @serial: out
 *
 * Return: 0, -EEXIST if a valid key for @did is present, or an errno.
 */
int cpns_device_add(struct cpns_keys *keys, enum cpns_role role,
		    const u8 *did, const u8 *dk, const u8 *ch, u32 timeout,
		    key_serial_t *serial);

/**
 * cpns_seed_find() - look a Key Seed up by its Seed ID
 * @keys: the namespace's store
 * @sid: Seed ID, CPNS_SEED_ID_LEN bytes
 *
 * Only valid keys linked in @keys' keyring count: a key unlinked, revoked,
 * invalidated or timed out with keyctl is not found, and a record in state
 * CPNS_STATE_REVOKED (KEY_REVOKE) is refused. Process context.
 *
 * Return: a reference (key_put() it), or ERR_PTR(-ENOKEY) (none),
 * ERR_PTR(-EKEYREVOKED) / ERR_PTR(-EKEYEXPIRED) (only a revoked or an
 * expired one, or a revocation record), or ERR_PTR(-EACCES) if the
 * administrator took the Search permission away.
 */
struct key *cpns_seed_find(struct cpns_keys *keys, const u8 *sid);

/**
 * cpns_device_find() - look a Device Key up by its Device ID
 * @keys: the namespace's store
 * @did: Device ID, CPNS_DEVICE_ID_LEN bytes
 *
 * As cpns_seed_find().
 *
 * Return: a reference or an ERR_PTR(), as cpns_seed_find().
 */
struct key *cpns_device_find(struct cpns_keys *keys, const u8 *did);

/**
 * cpns_key_lookup() - look a key up whatever its state
 * @keys: the namespace's store
 * @kind: CPNS_KEY_SEED or CPNS_KEY_DEVICE
 * @id: Seed ID or Device ID
 * @info: out, the key's metadata (state, generation, ...), or NULL
 *
 * As cpns_seed_find() and cpns_device_find(), but a record in state
 * CPNS_STATE_REVOKED is found too: check @info->state. Process context.
 *
 * Return: a reference (key_put() it) or an ERR_PTR() as cpns_seed_find().
 */
struct key *cpns_key_lookup(struct cpns_keys *keys, enum cpns_key_kind kind,
			    const u8 *id, struct cpns_key_info *info);

/**
 * cpns_key_store() - store a key with the given metadata
 * @keys: the namespace's store
 * @meta: kind, role, state (not CPNS_STATE_PENDING), generation, id and
 *	expiry (real time in seconds, 0 for none); serial is ignored
 * @secret: CPNS_KEY_LEN bytes, or NULL (state CPNS_STATE_REVOKED only: a
 *	record of a revocation, with no usable secret)
 * @replace: if a valid key with the same ID is present, replace it: the
 *	new key's link displaces it from the keyring, then it is revoked,
 *	so that a concurrent lookup finds one or the other, never none.
 *	Without @replace such a key makes the call fail with -EEXIST.
 * @serial: out, the new key's serial
 *
 * A record in state CPNS_STATE_REVOKED is only ever replaced by another
 * revocation record: a revocation persists. The key is stored with
 * @meta->expiry as it is (KEY_UNWRAP restores what was wrapped); the
 * functions below that make a new Device Key or record (cpns_device_add(),
 * cpns_device_store(), cpns_device_confirm(), cpns_device_revoke(),
 * cpns_device_replace()) lower its expiry to its seed's where @keys holds
 * the seed, and fail with -EKEYEXPIRED if that seed has expired. Process
 * context.
 *
 * Every key is charged to the key quota of the keyring's owner (the owner
 * of the namespace's user namespace), and a key that does not replace
 * another counts against the module parameter keys_max of its namespace.
 *
 * Return: 0; -EEXIST (see @replace); -EKEYREVOKED (the present key is a
 * revocation record); -EKEYEXPIRED (@meta->expiry has passed); -EINVAL
 * (bad metadata); -EDQUOT (the owner's key quota is used up); -EBUSY
 * (keys_max keys in the namespace); or another negative errno. On error
 * nothing changed.
 */
int cpns_key_store(struct cpns_keys *keys, const struct cpns_key_info *meta,
		   const u8 *secret, bool replace, key_serial_t *serial);

/**
 * cpns_device_store() - create or atomically replace a Device Key record
 * @keys: the namespace's store
 * @role: CPNS_ROLE_SERVER (a server's record of a re-keyed or revoked
 *	device), CPNS_ROLE_GW1 or CPNS_ROLE_GW2
 * @state: CPNS_STATE_ACTIVE, CPNS_STATE_CONFIRMED, CPNS_STATE_UNCONFIRMED
 *	or CPNS_STATE_REVOKED
 * @generation: 0 as assigned, +1 per re-key
 * @did: Device ID, CPNS_DEVICE_ID_LEN bytes
 * @dk: Device Key, CPNS_KEY_LEN bytes (NULL only for CPNS_STATE_REVOKED)
 * @expiry: real time in seconds, 0 for none
 * @serial: out
 *
 * cpns_key_store() with @replace set. Return: as cpns_key_store().
 */
int cpns_device_store(struct cpns_keys *keys, enum cpns_role role,
		      enum cpns_state state, u32 generation, const u8 *did,
		      const u8 *dk, time64_t expiry, key_serial_t *serial);

/**
 * cpns_key_set_state() - change the state of a stored key
 * @keys: the namespace's store
 * @key: a key of @keys (any state), as found by a lookup
 * @state: the new state: CPNS_STATE_ACTIVE from CPNS_STATE_UNCONFIRMED,
 *	or CPNS_STATE_REVOKED from any state
 * @serial: out, the serial of the key now holding the state
 *
 * The state is immutable metadata, so the key is replaced by one with the
 * same ID, role, generation, expiry and secret (none for
 * CPNS_STATE_REVOKED: the secret is dropped and wiped), whose link
 * displaces @key, and @key is revoked; a lookup finds the old or the new
 * key, never none. Setting the
 * state a key already has changes nothing. Process context.
 *
 * Return: 0; -EINVAL (a transition not listed above); -EKEYREVOKED
 * (@key is a revocation record, or was revoked with keyctl);
 * -EKEYEXPIRED; -ENOKEY (@key is no longer the one stored for its ID);
 * or another negative errno. On error nothing changed.
 */
int cpns_key_set_state(struct cpns_keys *keys, struct key *key,
		       enum cpns_state state, key_serial_t *serial);

/**
 * cpns_keys_revoke_devices() - revoke every Device Key of a seed
 * @keys: the namespace's store
 * @sid: the Seed ID: every Device ID begins with it
 *
 * Each valid cpns_device key of @keys whose Device ID begins with @sid
 * and that is not yet a revocation record becomes one
 * (cpns_key_set_state()). Process context.
 * Return: how many were revoked, or the first negative errno.
 */
int cpns_keys_revoke_devices(struct cpns_keys *keys, const u8 *sid);

/**
 * cpns_device_revoke() - make the device @did a revocation record
 * @keys: the namespace's store
 * @did: Device ID
 * @serial: out, the serial of the revocation record
 *
 * The Device Key of @did becomes a revocation record
 * (cpns_key_set_state()); a server holds none of its devices' keys (their
 * records are blobs its daemon keeps: record.h). Revoking a revoked device
 * changes nothing. The caller closes the device's sessions (cpns_pending_revoke()).
 * Process context.
 *
 * Return: 0; -ENOKEY (no key of @did); -EACCES; or another negative
 * errno. On error nothing changed.
 */
int cpns_device_revoke(struct cpns_keys *keys, const u8 *did,
		       key_serial_t *serial);

/**
 * cpns_device_replace() - re-assignment: store a device, revoke another
 * @keys: the namespace's store
 * @did: the new Device ID (GW2, II-9)
 * @dk: the new Device Key, stored with role CPNS_ROLE_GW2, active
 * @timeout: its lifetime in seconds, 0 for none
 * @old: the Device ID it replaces: it must be present (a key or
 *	revocation record), not revoked, and not @did
 * @serial: out, the new key's serial (with @did)
 * @old_serial: out, the serial of @old's revocation record
 *
 * Under the lock that every store and revocation takes, the new key is
 * stored and @old revoked as cpns_device_revoke() does: a lookup finds
 * either the old device usable and the new one absent, or the new one
 * and the old revoked. The caller closes @old's sessions. Process context.
 *
 * Return: 0; -EINVAL (@old is @did); -ENOKEY, -EKEYREVOKED, -EKEYEXPIRED
 * (@old is absent, revoked or expired); -EEXIST (@did is present); or
 * another negative errno. On error nothing changed.
 */
int cpns_device_replace(struct cpns_keys *keys, const u8 *did, const u8 *dk,
			u32 timeout, const u8 *old, key_serial_t *serial,
			key_serial_t *old_serial);

/**
 * cpns_seed_retire() - seed rotation: let a seed and its devices expire
 * @keys: the namespace's store
 * @sid: Seed ID
 * @overlap: seconds from now (0: one second, the least key_set_timeout()
 *	sets)
 * @info: out, the seed's metadata, with its new expiry
 * @count: out, the keys of the seed that now expire by then (the seed,
 *	its Device Keys and device records)
 *
 * The seed, and every valid Device Key or record whose Device ID begins
 * with @sid, expires at now + @overlap, or earlier if it already did (the
 * devices at the seed's expiry). The keys API then refuses them
 * (-EKEYEXPIRED) and its garbage collector removes them
 * (/proc/sys/kernel/keys/gc_delay later). A Device Key or record made
 * later takes at most the seed's expiry (see cpns_key_store()). Process
 * context.
 *
 * Return: 0; -ENOKEY, -EKEYEXPIRED, -EKEYREVOKED (no usable seed with
 * @sid); or -EACCES.
 */
int cpns_seed_retire(struct cpns_keys *keys, const u8 *sid, u32 overlap,
		     struct cpns_key_info *info, unsigned int *count);

/**
 * cpns_key_info() - a snapshot of a key's public metadata
 * @key: a key of one of our types (else only @info->serial is set)
 * @info: out
 *
 * Any context; takes no lock.
 */
void cpns_key_info(const struct key *key, struct cpns_key_info *info);

/**
 * cpns_key_secret() - copy the seed or Device Key out of @key
 * @key: a key of one of our types
 * @secret: out, CPNS_KEY_LEN bytes; the caller wipes it after use
 *
 * Any context. Return: 0, or -EKEYREVOKED (revoked with keyctl, or a
 * record in state CPNS_STATE_REVOKED) / -EKEYEXPIRED / -ENOKEY
 * (invalidated) / -EINVAL (not our type), and then @secret is zeroed.
 */
int cpns_key_secret(const struct key *key, u8 *secret);

/**
 * cpns_seed_secret() - copy a seed and its seed auth key out of @key
 * @key: a cpns_seed key (or any of our types if @ska is NULL)
 * @seed: out, CPNS_SEED_LEN bytes, or NULL
 * @ska: out, CPNS_KEY_LEN bytes, or NULL: KDF(seed, "CPNS seed auth",
 *	sid, 256), computed once when the key is made, wiped with it
 *
 * Any context. Return: as cpns_key_secret(), -EINVAL if @key is no seed;
 * on error what was asked for is zeroed.
 */
int cpns_seed_secret(const struct key *key, u8 *seed, u8 *ska);

/**
 * cpns_device_challenge() - the challenge a GW1 pending Device Key keeps
 * @key: a cpns_device key
 * @ch: out, CPNS_CHALLENGE_LEN bytes
 *
 * Return: 0, or -EINVAL if @key is not a pending GW1 key.
 */
int cpns_device_challenge(const struct key *key, u8 *ch);

/**
 * cpns_device_confirm() - II-8 success: pending GW1 key becomes confirmed
 * @keys: the namespace's store
 * @key: the pending key; on success the confirmed key displaces it from
 *	the keyring and it is revoked
 * @self: a changing-mode device assigning itself: the key becomes this
 *	namespace's own Device Key instead (role GW2, state active, marked
 *	self-assigned), which DEVICE_EXPORT refuses (no II-9)
 * @serial: out, the serial of the confirmed key
 *
 * The confirmed key has no timeout (but no later than its seed). A key
 * stored later with @key's ID and role GW2 (a re-key) keeps the mark.
 * Return: 0, -EINVAL if @key is not a pending GW1 key, -EKEYREVOKED /
 * -EKEYEXPIRED if it is no longer valid, -ENOKEY if it is no longer
 * linked in the store's keyring, or another errno (in every error case
 * @key is unchanged).
 */
int cpns_device_confirm(struct cpns_keys *keys, struct key *key, bool self,
			key_serial_t *serial);

/**
 * cpns_key_destroy() - revoke a key and unlink it from the store's keyring
 * @keys: the namespace's store
 * @key: the key; its secret is wiped; the caller still holds (and later
 *	puts) its reference
 *
 * A key that another has since replaced under its ID is revoked only: the
 * keyring no longer holds it. Process context; takes the creation lock.
 */
void cpns_key_destroy(struct cpns_keys *keys, struct key *key);

/**
 * cpns_keys_walk() - visit the namespace's valid keys, for a dump
 * @keys: the namespace's store
 * @pos: in/out cursor, 0 to start (the serial of the last key visited)
 * @gen: out, the tree's generation (for genl_dump_check_consistent())
 * @fn: called for each key; a non-zero return stops the walk at that key,
 *	and the next call with the same @pos visits it again
 * @arg: passed to @fn
 *
 * Keys come in increasing serial order; revoked, invalidated, expired and
 * unlinked keys are skipped. @fn is called in process context with no
 * lock held, on a snapshot of the key's metadata. Return: 0 when the walk
 * is complete, or what @fn returned.
 */
int cpns_keys_walk(struct cpns_keys *keys, unsigned long *pos,
		   unsigned int *gen,
		   int (*fn)(const struct cpns_key_info *info, void *arg),
		   void *arg);

#endif /* _CPNS_KEYS_H */
