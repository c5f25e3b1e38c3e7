/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Keys wrapped for storage (extension CPNS-KA-1-STORE, Documentation/
 * store.rst) and the named kernel keys that key them: a seed or Device
 * Key, with its metadata, sealed under a key-encryption key (KEK) that the
 * administrator keeps in the kernel's key retention service (a "user",
 * "logon", "encrypted" or "trusted" key), so that daemons can keep it on
 * disk without ever seeing it.
 *
 *   header = [1]_1 || [kind]_1 || [role]_1 || [state]_1 || [generation]_4
 *            || [created]_8 || [expiry]_8 || id || salt
 *   wk     = KDF(kek, "CPNS store wrap", header, 256)
 *   blob   = header || SEAL(wk, 0, header || label, key)
 *
 * The same lookup names the pre-shared pairing key of XFER_PAIR.
 */
#ifndef _CPNS_WRAP_H
#define _CPNS_WRAP_H

#include <linux/types.h>
#include <linux/cpns.h>

#include "keys.h"

struct key_type;

#define CPNS_BLOB_VERSION	1
#define CPNS_BLOB_SALT_LEN	16
/* version, kind, role, state, generation, created, expiry */
#define CPNS_BLOB_FIXED_LEN	(1 + 1 + 1 + 1 + 4 + 8 + 8)
#define CPNS_BLOB_HDR_LEN(idlen) \
	(CPNS_BLOB_FIXED_LEN + (idlen) + CPNS_BLOB_SALT_LEN)
#define CPNS_BLOB_LEN(idlen) \
	(CPNS_BLOB_HDR_LEN(idlen) + CPNS_KEY_LEN + CPNS_TAG_LEN)
/* The least payload a KEK or pairing key must have, in bytes. */
#define CPNS_KEYREF_MIN_LEN	32

/**
 * cpns_keyref_type() - the key type of a KEK or pairing key, by name
 * @name: "user", "logon", "encrypted" (if CONFIG_ENCRYPTED_KEYS) or
 *	"trusted" (if CONFIG_TRUSTED_KEYS)
 *
 * Return: the type, or NULL for any other name.
 */
struct key_type *cpns_keyref_type(const char *name);

/**
 * cpns_secret_locked_down() - may no secret leave for a key the caller chose?
 *
 * True under kernel lockdown at the confidentiality level (the kernel's
 * reason LOCKDOWN_XFRM_SECRET, the one of the other netlink family that
 * hands out keys; the kernel logs it once per refusal, ratelimited).
 */
bool cpns_secret_locked_down(void);

/**
 * cpns_keyref_read() - copy the payload of a named key
 * @type: from cpns_keyref_type()
 * @desc: the key's description
 * @kek: the key is to seal a secret that leaves the kernel (KEY_WRAP):
 *	refuse a payload the caller can read (type user), and under lockdown
 *	(cpns_secret_locked_down()) any payload the caller chose (logon, or
 *	encrypted under a master key other than a trusted one)
 * @buf: out, a kmalloc()ed copy of the payload; kfree_sensitive() it
 * @len: out, its length, at least CPNS_KEYREF_MIN_LEN
 *
 * The key is searched for with request_key() (no upcall) in the calling
 * task's keyrings, as dm-crypt finds its keys, so the caller needs Search
 * permission on it, and its payload is read under the key's semaphore.
 * Process context.
 *
 * Return: 0; -ENOKEY (no such key); -EKEYREVOKED; -EKEYEXPIRED; -EACCES;
 * -EINVAL (payload shorter than CPNS_KEYREF_MIN_LEN); -EKEYREJECTED (@kek
 * and a user key); -EPERM (@kek, under lockdown, and a key whose payload
 * the caller chose); -ENOMEM.
 */
int cpns_keyref_read(struct key_type *type, const char *desc, bool kek,
		     u8 **buf, unsigned int *len);

/**
 * cpns_blob_wrap() - seal a key and its metadata for storage
 * @kek: the key-encryption key's payload
 * @keklen: its length
 * @meta: kind, role, state, generation, id and expiry (0 for none)
 * @secret: CPNS_KEY_LEN bytes (all zero for a revocation record)
 * @created: the creation time to record, real time in seconds
 * @salt: CPNS_BLOB_SALT_LEN random bytes, fresh for every blob
 * @label: the caller's label bound into the blob, or NULL
 * @labellen: its length, at most CPNS_MAX_LABEL
 * @blob: out, CPNS_MAX_BLOB bytes of room
 * @bloblen: out, the blob's length
 *
 * Process context. Return: 0, -EINVAL (bad metadata), or a negative errno.
 */
int cpns_blob_wrap(const u8 *kek, unsigned int keklen,
		   const struct cpns_key_info *meta, const u8 *secret,
		   time64_t created, const u8 *salt, const u8 *label,
		   unsigned int labellen, u8 *blob, unsigned int *bloblen);

/**
 * cpns_blob_unwrap() - open a blob made by cpns_blob_wrap()
 * @kek: the key-encryption key's payload
 * @keklen: its length
 * @blob: the blob
 * @bloblen: its length
 * @label: the label given to cpns_blob_wrap(), or NULL
 * @labellen: its length
 * @meta: out, the metadata (serial 0)
 * @secret: out, CPNS_KEY_LEN bytes; zeroed on failure
 * @created: out, the recorded creation time
 *
 * Process context. Return: 0; -EINVAL (not a blob of a version and kind
 * this module knows, or of the wrong length; or authentic metadata this
 * module refuses); -EBADMSG (it does not open: another KEK or label, or
 * altered); or a negative errno.
 */
int cpns_blob_unwrap(const u8 *kek, unsigned int keklen, const u8 *blob,
		     unsigned int bloblen, const u8 *label,
		     unsigned int labellen, struct cpns_key_info *meta,
		     u8 *secret, time64_t *created);

#endif /* _CPNS_WRAP_H */
