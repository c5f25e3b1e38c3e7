/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the protocol steps (assign.c, auth.c) share: why a step failed, and
 * the keys a step looks up by ID. A step returns a negative errno and sets
 * an enum cpns_reason; the caller (the netlink glue) turns the reason into
 * a message for the user and a failure counter, so that the steps know
 * nothing of netlink.
 */
#ifndef _CPNS_STEP_H
#define _CPNS_STEP_H

#include <linux/key.h>
#include <linux/types.h>
#include <linux/cpns.h>
#include "keys.h"

/*
 * Why a step failed. "The ID" is the Seed ID or Device ID the step was
 * given by its caller (none when the step takes it from a pending flow).
 * Some reasons are refined by the errno the step returns with them.
 */
enum cpns_reason {
	CPNS_R_NONE,
	/* The seed of the ID; the first four in this order (step.c). */
	CPNS_R_SEED_UNKNOWN,
	CPNS_R_SEED_REVOKED,
	CPNS_R_SEED_EXPIRED,
	CPNS_R_SEED_LOOKUP,
	CPNS_R_SEED_NOT_SERVER,		/* a seed received by GW1 */
	CPNS_R_SEED_NOT_GW1,		/* a seed made here, by the server */
	/* The Device Key of the ID; in the same order. */
	CPNS_R_DEVICE_UNKNOWN,
	CPNS_R_DEVICE_REVOKED,
	CPNS_R_DEVICE_EXPIRED,
	CPNS_R_DEVICE_LOOKUP,
	/* A key's secret, read after the lookup. */
	CPNS_R_KEY_REVOKED,
	CPNS_R_KEY_EXPIRED,
	CPNS_R_KEY_READ,
	/* Refined by the errno. */
	CPNS_R_CRYPTO,			/* the kernel crypto API failed */
	CPNS_R_X25519,			/* a peer public key of small order, or crypto */
	CPNS_R_PENDING_FULL,		/* pending_max reached, or no memory */
	CPNS_R_HANDLE,			/* cpns_obj_take() failed */
	CPNS_R_DEVICE_STORE,		/* storing a new Device Key failed */
	CPNS_R_REPLACE,			/* revoking the replaced device failed */
	/* Flow II. */
	CPNS_R_REQUEST_MAC,		/* II-1 MAC */
	CPNS_R_CHALLENGE_PENDING,	/* a challenge for n1 already exists */
	CPNS_R_CHALLENGE_MAC,		/* II-3 MAC */
	CPNS_R_NO_CHALLENGE,		/* no challenge for n1 */
	CPNS_R_DID_MISMATCH,		/* II-6, the challenge stays */
	CPNS_R_DID_MISMATCH_LAST,	/* II-6, the challenge is used up */
	CPNS_R_NOT_AWAITING_II8,
	CPNS_R_CONFIRM_MISMATCH,	/* II-8, the pending key is destroyed */
	CPNS_R_NO_LONGER_PENDING,
	CPNS_R_CONFIRM_STORE,
	/* Flow a. */
	CPNS_R_BEGIN_NOT_GW2,
	CPNS_R_GEN_NEVER_REKEYED,
	CPNS_R_RECORD_EXPIRED,
	CPNS_R_NOT_A_RECORD,		/* the blob opens: not a server record */
	CPNS_R_RECORD_BLOB,		/* the record's blob does not open */
	CPNS_R_RECORD_OTHER,		/* the record of another Device ID */
	CPNS_R_KEK_REQUIRED,		/* the server's KEK is not given */
	CPNS_R_DEVICE_REVOKED_RECORD,	/* about the ID */
	CPNS_R_GEN0_REFUSED,
	CPNS_R_GEN_UNKNOWN,
	CPNS_R_PUBKEY_REQUIRED,
	CPNS_R_PUBKEY_REFUSED,
	CPNS_R_A1_DONE,
	CPNS_R_A1_NOT_DONE,
	CPNS_R_FLOW_NOT_GW2,
	CPNS_R_FLOW_REKEYED,
	CPNS_R_SESSIONS_FULL,
	CPNS_R_CLIENT_MAC,		/* a-1 */
	CPNS_R_SERVER_MAC,		/* a-3 */
	CPNS_R_REKEY_REPLACE,
};

/* Set *@why to @reason and return @err. */
static inline int cpns_why(enum cpns_reason *why, enum cpns_reason reason,
			   int err)
{
	*why = reason;
	return err;
}

/* Any role will do. */
#define CPNS_ROLE_ANY	0

/**
 * cpns_step_seed() - the seed of @sid, of role @role unless CPNS_ROLE_ANY
 * @keys: the namespace's keys
 * @sid: Seed ID (or a Device ID, which begins with it)
 * @role: the role the seed must have
 * @why: why it failed
 *
 * Return: a reference to the key (key_put() it), or an ERR_PTR().
 */
struct key *cpns_step_seed(struct cpns_keys *keys, const u8 *sid, int role,
			   enum cpns_reason *why);

/**
 * cpns_step_device() - the Device Key of @did and its metadata
 * @keys: the namespace's keys
 * @did: Device ID
 * @ki: its metadata
 * @why: why it failed
 *
 * Return: a reference to the key (key_put() it), or an ERR_PTR().
 */
struct key *cpns_step_device(struct cpns_keys *keys, const u8 *did,
			     struct cpns_key_info *ki, enum cpns_reason *why);

/**
 * cpns_step_secret() - copy the secret of @key (revoked since the lookup?)
 * @key: a seed or Device Key
 * @secret: CPNS_KEY_LEN bytes
 * @why: why it failed
 *
 * Return: 0 or a negative errno.
 */
int cpns_step_secret(const struct key *key, u8 *secret,
		     enum cpns_reason *why);

/**
 * cpns_step_seed_secret() - cpns_step_secret() and the seed's cached ska
 * @key: a seed
 * @secret: CPNS_SEED_LEN bytes, or NULL
 * @ska: CPNS_KEY_LEN bytes, or NULL
 * @why: why it failed
 *
 * Return: 0 or a negative errno.
 */
int cpns_step_seed_secret(const struct key *key, u8 *secret, u8 *ska,
			  enum cpns_reason *why);

#endif /* _CPNS_STEP_H */
