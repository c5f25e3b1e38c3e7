/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libcpns: the key lifecycle commands of cpns.ko (include/uapi/linux/cpns.h,
 * Documentation/store.rst, Documentation/xfer.rst): a key wrapped for
 * storage under a key-encryption key (KEK) named in the kernel's key
 * retention service, unwrapped back into the kernel, revoked; and the
 * receiver's comparison code and the pairing MAC of a transfer; seed
 * rotation (KEY_RETIRE) and re-assignment (CPNS_A_REPLACES). Every
 * secret stays in the kernel: these carry names, IDs, public keys and
 * opaque blobs. Each function returns 0 or a negative errno, with the
 * kernel's extack message in cpns_last_error().
 */
#ifndef CPNS_KEYOPS_H
#define CPNS_KEYOPS_H

#include <stddef.h>
#include <stdint.h>
#include "cpns.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A kernel key named by type and description: a KEK or a pairing key.
 * type is "user", "logon", "encrypted" or "trusted". */
struct cpns_keyref {
	const char *type;
	const char *desc;
};

/*
 * CPNS_CMD_KEY_WRAP: the seed (kind CPNS_KEY_SEED, id = Seed ID) or
 * Device Key (CPNS_KEY_DEVICE, id = Device ID) with its metadata, sealed
 * under kek. label (may be NULL, at most CPNS_MAX_LABEL bytes) is bound
 * into the blob: KEY_UNWRAP must be given the same. blob has room for
 * CPNS_MAX_BLOB bytes; *blob_len is set to its length.
 */
int cpns_key_wrap(struct cpns_nl *nl, unsigned int kind, const uint8_t *id,
		  const struct cpns_keyref *kek, const void *label,
		  size_t label_len, uint8_t blob[CPNS_MAX_BLOB],
		  size_t *blob_len);

/* What KEY_UNWRAP stored. */
struct cpns_unwrapped {
	int32_t serial;
	uint8_t kind;				/* enum cpns_key_kind */
	uint8_t id[CPNS_DEVICE_ID_LEN];		/* id_len bytes */
	size_t id_len;
	uint32_t generation;
};

/*
 * CPNS_CMD_KEY_UNWRAP: open blob under kek and label and store the key
 * with its metadata. -EBADMSG: another KEK or label, or an altered blob;
 * -EEXIST: a key with that ID is present (nothing changed);
 * -EKEYEXPIRED: the key's expiry has passed. out may be NULL.
 */
int cpns_key_unwrap(struct cpns_nl *nl, const void *blob, size_t blob_len,
		    const struct cpns_keyref *kek, const void *label,
		    size_t label_len, struct cpns_unwrapped *out);

/*
 * CPNS_CMD_KEY_REVOKE: mark the seed or Device Key revoked (on a server,
 * record the revocation of a Device ID it holds no record for; revoking
 * a server's seed revokes every device of it) and close the namespace's
 * sessions of the device(s). *serial: the revocation record's key;
 * *closed: sessions closed. Either may be NULL.
 */
int cpns_key_revoke(struct cpns_nl *nl, unsigned int kind, const uint8_t *id,
		    int32_t *serial, uint32_t *closed);

/*
 * CPNS_CMD_KEY_REVOKE of a device on a server: the device did (of a seed
 * of role server held here) is revoked without any kernel object; its
 * a-flows and sessions are closed and rec gets the revocation record
 * (state CPNS_STATE_REVOKED, no secret), wrapped under kek and label,
 * for the daemon to store in the device's row in place of any other:
 * AUTH_CHALLENGE given it fails with -EKEYREVOKED. *closed (may be NULL):
 * sessions closed.
 */
int cpns_device_revoke_rec(struct cpns_nl *nl,
			   const uint8_t did[CPNS_DEVICE_ID_LEN],
			   const struct cpns_keyref *kek, const void *label,
			   size_t label_len, struct cpns_record *rec,
			   uint32_t *closed);

/*
 * CPNS_CMD_XFER_CODE: the receiver's six-digit comparison code for the
 * sender's public key sender_pub, computed with the key pair of handle
 * (from XFER_NEW, not consumed) before anything is imported.
 */
int cpns_xfer_code(struct cpns_nl *nl, uint32_t handle, unsigned int kind,
		   const uint8_t *id, const uint8_t sender_pub[CPNS_PUBKEY_LEN],
		   uint32_t *code);

/*
 * CPNS_CMD_XFER_PAIR: MAC(pairing key, "CPNS transfer pair",
 * [kind]_1 || id || sender_pub || receiver_pub), keyed by the pre-shared
 * key pair_key. With mac_in NULL, the MAC is computed into mac_out, by the
 * receiver only: handle is its XFER_NEW handle, whose public key must be
 * receiver_pub (the kernel MACs no other). With mac_in, the kernel
 * compares it (constant time) and fails with -EBADMSG on a mismatch
 * (handle may be 0 and mac_out NULL).
 */
int cpns_xfer_pair(struct cpns_nl *nl, const struct cpns_keyref *pair_key,
		   unsigned int kind, const uint8_t *id,
		   const uint8_t sender_pub[CPNS_PUBKEY_LEN],
		   const uint8_t receiver_pub[CPNS_PUBKEY_LEN], uint32_t handle,
		   const uint8_t *mac_in, uint8_t *mac_out);

/* ------------------------------------- rotation and re-assignment */

/*
 * CPNS_CMD_KEY_RETIRE (server or GW1): seed rotation. The seed sid and
 * every Device Key or device record of it in the namespace expire at
 * now + overlap seconds (overlap 0: at once); an earlier expiry is kept.
 * Until then they keep working; from then on the kernel refuses them
 * with -EKEYEXPIRED and its key garbage collector removes them.
 * *serial: the seed's key; *expiry: the seed's expiry (seconds since the
 * epoch); *count: the keys that now expire by then, the seed included.
 * Any of the three may be NULL. -ENOKEY: no such seed.
 */
int cpns_key_retire(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		    uint32_t overlap, int32_t *serial, uint64_t *expiry,
		    uint32_t *count);

/*
 * II-6/II-7 on the server, as cpns_assign_confirm(), re-assigning a
 * device: replaces (NULL: none, the same as cpns_assign_confirm()) is
 * the Device ID this assignment replaces. It must be present (a record,
 * or a device of one of this server's seeds), not revoked, and differ
 * from did; else the call fails (-ENOKEY, -EKEYREVOKED, -EKEYEXPIRED,
 * -EINVAL) and nothing changes, the challenge stays pending. On success
 * the old device is revoked (its sessions and a-flows closed) in the
 * same step as the II-7 code is made.
 */
int cpns_assign_confirm_replacing(struct cpns_nl *nl,
				  const uint8_t did[CPNS_DEVICE_ID_LEN],
				  const uint8_t n1[CPNS_NONCE_LEN],
				  const uint8_t *replaces,
				  uint8_t code[CPNS_MAC_LEN]);

/*
 * The same, on a server that keeps its device records in its store: kek
 * and label (the replaced device's row) wrap the revocation record of
 * replaces, returned in rec for the daemon to store; the kernel keeps
 * nothing. replaces and kek are required.
 */
int cpns_assign_confirm_rec(struct cpns_nl *nl,
			    const uint8_t did[CPNS_DEVICE_ID_LEN],
			    const uint8_t n1[CPNS_NONCE_LEN],
			    const uint8_t replaces[CPNS_DEVICE_ID_LEN],
			    const struct cpns_keyref *kek, const void *label,
			    size_t label_len, uint8_t code[CPNS_MAC_LEN],
			    struct cpns_record *rec);

/*
 * II-9 on GW2, as cpns_device_import(), re-assigned: replaces (NULL:
 * none) is the Device ID of GW2's current Device Key. It must be held
 * here, not revoked, and differ from did; else the call fails as above
 * and nothing changes, the handle stays usable. On success the new key is
 * stored and the old one revoked (its sessions and a-flows closed) in one
 * step: no lookup ever finds both usable, or neither.
 */
int cpns_device_import_replacing(struct cpns_nl *nl, uint32_t handle,
				 const uint8_t did[CPNS_DEVICE_ID_LEN],
				 const uint8_t peer[CPNS_PUBKEY_LEN],
				 const uint8_t wrapped[CPNS_WRAPPED_LEN],
				 uint32_t timeout, const uint8_t *replaces,
				 int32_t *serial, uint32_t *code);

#ifdef __cplusplus
}
#endif

#endif /* CPNS_KEYOPS_H */
