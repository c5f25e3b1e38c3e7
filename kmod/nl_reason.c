// SPDX-License-Identifier: GPL-2.0
/*
 * The extack message, the attribute it points at and the failure counter
 * of each reason a protocol step fails for (step.h), and of the failures
 * several commands share. Documentation and the selftests quote these
 * messages: they are part of the interface.
 */

#include <net/genetlink.h>
#include <net/netlink.h>
#include <linux/cpns.h>
#include "nl.h"
#include "stats.h"
#include "step.h"

/*
 * The message @msg at the attribute @type of the request (none if 0), the
 * counter @reason.
 */
#define cpns_why_set(req, type, reason, msg) do {			\
	struct cpns_req *__r = (req);					\
	int __type = (type);						\
									\
	NL_SET_ERR_MSG_ATTR(__r->info->extack,				\
			    __type ? __r->info->attrs[__type] : NULL,	\
			    msg);					\
	__r->fail = (reason);						\
} while (0)

/* The keys a step looks up, at the attribute @id of their ID. */
static bool cpns_why_key(struct cpns_req *req, int err,
			 enum cpns_reason why, int id)
{
	enum cpns_fail by_err = cpns_stats_reason(err);

	switch (why) {
	case CPNS_R_SEED_UNKNOWN:
		cpns_why_set(req, id, by_err,
			     "unknown Seed ID: no seed with this ID in this network namespace");
		break;
	case CPNS_R_SEED_REVOKED:
		cpns_why_set(req, id, by_err,
			     "the seed with this Seed ID was revoked");
		break;
	case CPNS_R_SEED_EXPIRED:
		cpns_why_set(req, id, by_err,
			     "the seed with this Seed ID has expired");
		break;
	case CPNS_R_SEED_LOOKUP:
		cpns_why_set(req, id, by_err,
			     "seed lookup failed");
		break;
	case CPNS_R_SEED_NOT_SERVER:
		cpns_why_set(req, id, CPNS_FAIL_STATE,
			     "this seed was received from a server (role gw1): this step is the server's");
		break;
	case CPNS_R_SEED_NOT_GW1:
		cpns_why_set(req, id, CPNS_FAIL_STATE,
			     "this seed was made here (role server): this step is GW1's");
		break;
	case CPNS_R_DEVICE_UNKNOWN:
		cpns_why_set(req, id, by_err,
			     "unknown Device ID: no Device Key with this ID in this network namespace");
		break;
	case CPNS_R_DEVICE_REVOKED:
		cpns_why_set(req, id, by_err,
			     "the Device Key with this Device ID was revoked");
		break;
	case CPNS_R_DEVICE_EXPIRED:
		cpns_why_set(req, id, by_err,
			     "the Device Key with this Device ID has expired");
		break;
	case CPNS_R_DEVICE_LOOKUP:
		cpns_why_set(req, id, by_err,
			     "Device Key lookup failed");
		break;
	case CPNS_R_KEY_REVOKED:
		cpns_why_set(req, 0, CPNS_FAIL_KEY_INVALID,
			     "the key was revoked");
		break;
	case CPNS_R_KEY_EXPIRED:
		cpns_why_set(req, 0, CPNS_FAIL_KEY_INVALID,
			     "the key has expired");
		break;
	case CPNS_R_KEY_READ:
		cpns_why_set(req, 0, CPNS_FAIL_INTERNAL,
			     "could not read the key");
		break;
	default:
		return false;
	}
	return true;
}

/* Flow II. */
static bool cpns_why_assign(struct cpns_req *req, int err,
			    enum cpns_reason why)
{
	switch (why) {
	case CPNS_R_REQUEST_MAC:
		cpns_why_set(req, CPNS_A_REQUEST_MAC, CPNS_FAIL_BAD_MAC,
			     "the II-1 MAC does not verify (wrong seed, or altered request)");
		break;
	case CPNS_R_CHALLENGE_PENDING:
		cpns_why_set(req, CPNS_A_REQUEST_NONCE, CPNS_FAIL_EXISTS,
			     "a challenge for this request nonce is already pending: send a new II-1");
		break;
	case CPNS_R_CHALLENGE_MAC:
		cpns_why_set(req, CPNS_A_CHALLENGE_MAC, CPNS_FAIL_BAD_MAC,
			     "the II-3 MAC does not verify (altered challenge or MAC, or another request nonce)");
		break;
	case CPNS_R_NO_CHALLENGE:
		cpns_why_set(req, CPNS_A_REQUEST_NONCE, CPNS_FAIL_NO_PENDING,
			     "no pending challenge for this request nonce (never made, already used or expired)");
		break;
	case CPNS_R_DID_MISMATCH:
		cpns_why_set(req, CPNS_A_DEVICE_ID, CPNS_FAIL_BAD_MAC,
			     "the Device ID does not match the challenge: rejected (II-6)");
		break;
	case CPNS_R_DID_MISMATCH_LAST:
		cpns_why_set(req, CPNS_A_DEVICE_ID, CPNS_FAIL_BAD_MAC,
			     "the Device ID does not match the challenge: rejected (II-6), and that was the last try: the challenge is used up");
		break;
	case CPNS_R_NOT_AWAITING_II8:
		cpns_why_set(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
			     "this Device Key is not awaiting II-8 (not a pending GW1 key)");
		break;
	case CPNS_R_CONFIRM_MISMATCH:
		cpns_why_set(req, CPNS_A_CONFIRM, CPNS_FAIL_BAD_MAC,
			     "the confirmation code does not match: the pending Device Key was destroyed (II-8)");
		break;
	case CPNS_R_NO_LONGER_PENDING:
		cpns_why_set(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
			     "this Device Key is no longer pending");
		break;
	case CPNS_R_CONFIRM_STORE:
		cpns_why_set(req, 0, cpns_stats_reason(err),
			     "could not store the confirmed Device Key");
		break;
	default:
		return false;
	}
	return true;
}

/* Flow a, as the server chooses its key at a-0. */
static bool cpns_why_record(struct cpns_req *req, enum cpns_reason why,
			    int id)
{
	switch (why) {
	case CPNS_R_GEN_NEVER_REKEYED:
		cpns_why_set(req, CPNS_A_GENERATION, CPNS_FAIL_KEY_INVALID,
			     "unknown generation: this device was never re-keyed here, only generation 0 is known");
		break;
	case CPNS_R_RECORD_EXPIRED:
		cpns_why_set(req, CPNS_A_DEVICE_ID, CPNS_FAIL_KEY_INVALID,
			     "the record of this device has expired");
		break;
	case CPNS_R_NOT_A_RECORD:
		cpns_why_set(req, CPNS_A_BLOB, CPNS_FAIL_INVALID,
			     "the blob opens but is not a server's device record (another kind, role or state)");
		break;
	case CPNS_R_RECORD_BLOB:
		cpns_why_set(req, CPNS_A_BLOB, CPNS_FAIL_BAD_MAC,
			     "the device record does not open: another KEK or label, altered, or not a blob of KEY_WRAP");
		break;
	case CPNS_R_RECORD_OTHER:
		cpns_why_set(req, CPNS_A_BLOB, CPNS_FAIL_BAD_MAC,
			     "the device record is of another Device ID");
		break;
	case CPNS_R_KEK_REQUIRED:
		cpns_why_set(req, CPNS_A_KEYREF_DESC, CPNS_FAIL_INVALID,
			     "the server's KEK (CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC) is required to open a device record or to re-key");
		break;
	case CPNS_R_DEVICE_REVOKED_RECORD:
		cpns_why_set(req, id, CPNS_FAIL_KEY_INVALID,
			     "device revoked");
		break;
	case CPNS_R_GEN0_REFUSED:
		cpns_why_set(req, CPNS_A_DEVICE_ID, CPNS_FAIL_KEY_INVALID,
			     "device re-keyed: generation 0 refused");
		break;
	case CPNS_R_GEN_UNKNOWN:
		cpns_why_set(req, CPNS_A_GENERATION, CPNS_FAIL_KEY_INVALID,
			     "unknown generation: it is not the generation of this device's record");
		break;
	default:
		return false;
	}
	return true;
}

/* Flow a. */
static bool cpns_why_auth(struct cpns_req *req, int err, enum cpns_reason why)
{
	switch (why) {
	case CPNS_R_BEGIN_NOT_GW2:
		cpns_why_set(req, CPNS_A_DEVICE_ID, CPNS_FAIL_STATE,
			     "AUTH_BEGIN needs a Device Key received by II-9 (role gw2)");
		break;
	case CPNS_R_PUBKEY_REQUIRED:
		cpns_why_set(req, 0, CPNS_FAIL_INVALID,
			     "generation 0: the flow re-keys, so CPNS_A_PUBKEY (the other side's ephemeral X25519 key) is required");
		break;
	case CPNS_R_PUBKEY_REFUSED:
		cpns_why_set(req, CPNS_A_PUBKEY, CPNS_FAIL_INVALID,
			     "only a generation 0 key is re-keyed: omit CPNS_A_PUBKEY");
		break;
	case CPNS_R_A1_DONE:
		cpns_why_set(req, CPNS_A_HANDLE, CPNS_FAIL_STATE,
			     "a-1 was already computed for this flow: finish it (AUTH_FINISH) or start another");
		break;
	case CPNS_R_A1_NOT_DONE:
		cpns_why_set(req, CPNS_A_HANDLE, CPNS_FAIL_STATE,
			     "a-1 is not computed yet: run AUTH_CLIENT first");
		break;
	case CPNS_R_FLOW_NOT_GW2:
		cpns_why_set(req, 0, CPNS_FAIL_STATE,
			     "the flow's Device Key is no longer a GW2 key");
		break;
	case CPNS_R_FLOW_REKEYED:
		cpns_why_set(req, 0, CPNS_FAIL_STATE,
			     "the Device Key was re-keyed by another flow meanwhile: start again");
		break;
	case CPNS_R_SESSIONS_FULL:
		cpns_why_set(req, 0, CPNS_FAIL_LIMIT,
			     "too many sessions in this network namespace (module parameter session_max)");
		break;
	case CPNS_R_CLIENT_MAC:
		cpns_why_set(req, CPNS_A_CLIENT_MAC, CPNS_FAIL_BAD_MAC,
			     "the a-1 code does not verify: the flow is ended");
		break;
	case CPNS_R_SERVER_MAC:
		cpns_why_set(req, CPNS_A_SERVER_MAC, CPNS_FAIL_BAD_MAC,
			     "the a-3 code does not verify: the flow is ended");
		break;
	case CPNS_R_REKEY_REPLACE:
		cpns_why_set(req, 0, err == -EKEYEXPIRED ?
			     CPNS_FAIL_KEY_INVALID : CPNS_FAIL_INTERNAL,
			     "could not replace the Device Key by the re-keyed one");
		break;
	default:
		return false;
	}
	return true;
}

int cpns_nomem(struct cpns_req *req)
{
	return cpns_fail(req, CPNS_FAIL_INTERNAL, -ENOMEM,
			 "out of memory");
}

int cpns_crypto_failed(struct cpns_req *req, int err)
{
	return cpns_fail(req, CPNS_FAIL_INTERNAL, err,
			 "kernel crypto API failure: see dmesg");
}

/* Report an error of cpns_obj_take() or cpns_session_get(). */
int cpns_handle_error(struct cpns_req *req, int err)
{
	if (err == -EINVAL)
		return cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_STATE,
				      -EINVAL,
				      "handle names another kind of pending object (a key pair, or an a-flow of the other side)");
	return cpns_fail_attr(req, CPNS_A_HANDLE, CPNS_FAIL_NO_PENDING, -ENOENT,
			      "unknown handle: not made by this socket, in use, used up or expired");
}

int cpns_pending_full(struct cpns_req *req, int err)
{
	if (err == -EBUSY)
		return cpns_fail(req, CPNS_FAIL_LIMIT, err,
				 "too many pending objects in this network namespace (module parameter pending_max): finish or close some");
	return cpns_nomem(req);
}

/* An X25519 step failed: a peer key CPNS_A_PUBKEY of small order, or else. */
int cpns_xfer_error(struct cpns_req *req, int err)
{
	if (err == -EKEYREJECTED)
		return cpns_fail_attr(req, CPNS_A_PUBKEY, CPNS_FAIL_INVALID, err,
				      "the peer's public key has small order (low-order X25519 point: the shared secret would be zero): refused");
	return cpns_crypto_failed(req, err);
}

/*
 * Report why revoking the device named by attribute @type failed: KEY_REVOKE
 * (CPNS_A_DEVICE_ID) or a re-assignment (CPNS_A_REPLACES).
 */
int cpns_revoke_error(struct cpns_req *req, int type, int err)
{
	if (cpns_key_limit(req, err))
		return err;
	switch (err) {
	case -ENOKEY:
		return cpns_fail_attr(req, type, CPNS_FAIL_NO_KEY, err,
				      "unknown Device ID: no Device Key, and no seed of this server it belongs to");
	case -EKEYREVOKED:
		return cpns_fail_attr(req, type, CPNS_FAIL_KEY_INVALID, err,
				      "the device with this Device ID (or its seed) is revoked");
	case -EKEYEXPIRED:
		return cpns_fail_attr(req, type, CPNS_FAIL_KEY_INVALID, err,
				      "the device with this Device ID (or its seed) has expired");
	case -EACCES:
		return cpns_fail_attr(req, type, CPNS_FAIL_INTERNAL, err,
				      "key lookup failed: the keyring's Search permission was taken away");
	}
	return cpns_fail_attr(req, type, cpns_stats_reason(err), err,
			      "could not revoke the key (changed or removed meanwhile)");
}

int cpns_key_limit(struct cpns_req *req, int err)
{
	if (err == -EDQUOT)
		return cpns_fail(req, CPNS_FAIL_LIMIT, err,
				 "the key quota of the namespace's owner is used up (kernel.keys.maxkeys or maxbytes): delete some keys");
	if (err == -EBUSY)
		return cpns_fail(req, CPNS_FAIL_LIMIT, err,
				 "too many keys in this network namespace (module parameter keys_max): delete some");
	return 0;
}

int cpns_store_error(struct cpns_req *req, enum cpns_key_kind kind,
		     int err)
{
	if (cpns_key_limit(req, err))
		return err;
	if (err != -EEXIST)
		return cpns_fail(req, cpns_stats_reason(err), err,
				 "could not store the key");
	if (kind == CPNS_KEY_SEED)
		return cpns_fail_attr(req, CPNS_A_SEED_ID, CPNS_FAIL_EXISTS, err,
				      "a seed with this Seed ID is already present: delete it first");
	return cpns_fail_attr(req, CPNS_A_DEVICE_ID, CPNS_FAIL_EXISTS, err,
			      "a Device Key with this Device ID is already present: delete it first");
}

int cpns_req_why(struct cpns_req *req, int err, enum cpns_reason why, int id)
{
	switch (why) {
	case CPNS_R_CRYPTO:
		return cpns_crypto_failed(req, err);
	case CPNS_R_X25519:
		return cpns_xfer_error(req, err);
	case CPNS_R_PENDING_FULL:
		return cpns_pending_full(req, err);
	case CPNS_R_HANDLE:
		return cpns_handle_error(req, err);
	case CPNS_R_DEVICE_STORE:
		return cpns_store_error(req, CPNS_KEY_DEVICE, err);
	case CPNS_R_REPLACE:
		return cpns_revoke_error(req, CPNS_A_REPLACES, err);
	default:
		break;
	}
	if (!cpns_why_key(req, err, why, id) &&
	    !cpns_why_assign(req, err, why) &&
	    !cpns_why_record(req, why, id) &&
	    !cpns_why_auth(req, err, why)) {
		WARN_ON_ONCE(1);
		cpns_why_set(req, 0, CPNS_FAIL_INTERNAL,
			     "internal error (bug)");
	}
	return err;
}
