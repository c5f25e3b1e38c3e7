// SPDX-License-Identifier: GPL-2.0
/*
 * Keys wrapped for storage, extension CPNS-KA-1-STORE
 * (Documentation/store.rst), and the lookup of the named kernel keys
 * (KEK, pairing key) that key them, after dm-crypt's
 * crypt_set_keyring_key().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/key.h>
#include <linux/key-type.h>
#include <linux/kernel.h>
#include <linux/rwsem.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <keys/encrypted-type.h>
#include <keys/trusted-type.h>
#include <keys/user-type.h>
#include <linux/cpns.h>

#include "aead_once.h"
#include "compat.h"
#include "primitives.h"
#include "wrap.h"

#define CPNS_LABEL_STORE_WRAP	"CPNS store wrap"

/* Offsets in the header. */
#define CPNS_BLOB_OFF_VERSION	0
#define CPNS_BLOB_OFF_KIND	1
#define CPNS_BLOB_OFF_ROLE	2
#define CPNS_BLOB_ROLE_SELF	0x80	/* in the role byte: self-assigned */
#define CPNS_BLOB_OFF_STATE	3
#define CPNS_BLOB_OFF_GEN	4
#define CPNS_BLOB_OFF_CREATED	8
#define CPNS_BLOB_OFF_EXPIRY	16
#define CPNS_BLOB_OFF_ID	CPNS_BLOB_FIXED_LEN

#define CPNS_BLOB_HDR_MAX	CPNS_BLOB_HDR_LEN(CPNS_DEVICE_ID_LEN)

static_assert(CPNS_BLOB_LEN(CPNS_DEVICE_ID_LEN) <= CPNS_MAX_BLOB);

/* ---- Named keys ------------------------------------------------------ */

struct key_type *cpns_keyref_type(const char *name)
{
	if (!strcmp(name, "user"))
		return &key_type_user;
	if (!strcmp(name, "logon"))
		return &key_type_logon;
	if (IS_ENABLED(CONFIG_ENCRYPTED_KEYS) && !strcmp(name, "encrypted"))
		return &key_type_encrypted;
	if (IS_ENABLED(CONFIG_TRUSTED_KEYS) && !strcmp(name, "trusted"))
		return &key_type_trusted;
	return NULL;
}

/* The payload of @key; the caller holds key->sem. */
static int cpns_keyref_payload(struct key *key, const u8 **data,
			       unsigned int *len)
{
	if (key->type == &key_type_user || key->type == &key_type_logon) {
		const struct user_key_payload *ukp;

		ukp = user_key_payload_locked(key);
		if (!ukp)
			return -EKEYREVOKED;
		*data = ukp->data;
		*len = ukp->datalen;
		return 0;
	}
	if (IS_ENABLED(CONFIG_ENCRYPTED_KEYS) &&
	    key->type == &key_type_encrypted) {
		const struct encrypted_key_payload *ekp = key->payload.data[0];

		if (!ekp)
			return -EKEYREVOKED;
		*data = ekp->decrypted_data;
		*len = ekp->decrypted_datalen;
		return 0;
	}
	if (IS_ENABLED(CONFIG_TRUSTED_KEYS) && key->type == &key_type_trusted) {
		const struct trusted_key_payload *tkp = key->payload.data[0];

		if (!tkp)
			return -EKEYREVOKED;
		*data = tkp->key;
		*len = tkp->key_len;
		return 0;
	}
	return -EINVAL;
}

bool cpns_secret_locked_down(void)
{
	return security_locked_down(LOCKDOWN_XFRM_SECRET) != 0;
}

/*
 * May @key (its semaphore held) seal a secret that leaves the kernel? Not
 * a user key, whose payload the caller reads back; under lockdown only a
 * payload the caller never knew: trusted, or encrypted under a trusted
 * master key.
 */
static int cpns_kek_allowed(struct key *key)
{
	if (key->type == &key_type_user)
		return -EKEYREJECTED;
	if (!cpns_secret_locked_down())
		return 0;
	if (IS_ENABLED(CONFIG_TRUSTED_KEYS) && key->type == &key_type_trusted)
		return 0;
	if (IS_ENABLED(CONFIG_ENCRYPTED_KEYS) &&
	    key->type == &key_type_encrypted) {
		const struct encrypted_key_payload *ekp = key->payload.data[0];

		if (ekp && ekp->master_desc &&
		    !strncmp(ekp->master_desc, "trusted:", 8))
			return 0;
	}
	return -EPERM;
}

int cpns_keyref_read(struct key_type *type, const char *desc, bool kek,
		     u8 **buf, unsigned int *len)
{
	const u8 *data;
	struct key *key;
	int ret;

	*buf = NULL;
	*len = 0;

	/* No callout: a key that is not there is not made up on demand. */
	key = request_key(type, desc, NULL);
	if (IS_ERR(key))
		return PTR_ERR(key);

	down_read(&key->sem);
	ret = key_validate(key);
	if (!ret && kek)
		ret = cpns_kek_allowed(key);
	if (!ret)
		ret = cpns_keyref_payload(key, &data, len);
	if (!ret && *len < CPNS_KEYREF_MIN_LEN)
		ret = -EINVAL;
	if (!ret) {
		*buf = kmemdup(data, *len, GFP_KERNEL);
		if (!*buf)
			ret = -ENOMEM;
	}
	up_read(&key->sem);
	key_put(key);
	if (ret)
		*len = 0;
	return ret;
}

/* ---- Blobs ----------------------------------------------------------- */

/*
 * wk = KDF(kek, "CPNS store wrap", header, 256), then SEAL or OPEN with
 * seq 0 and aad = header || label.
 */
static int cpns_blob_crypt(bool seal, const u8 *kek, unsigned int keklen,
			   const u8 *hdr, unsigned int hdrlen,
			   const u8 *label, unsigned int labellen,
			   const u8 *in, u8 *out)
{
	const struct kvec ctx = {
		.iov_base = (void *)hdr,
		.iov_len = hdrlen,
	};
	u8 aad[CPNS_BLOB_HDR_MAX + CPNS_MAX_LABEL];
	u8 wk[CPNS_KEY_LEN];
	int ret;

	BUILD_BUG_ON(sizeof(aad) > CPNS_ONCE_AAD_MAX);
	if (labellen > CPNS_MAX_LABEL)
		return -EINVAL;
	memcpy(aad, hdr, hdrlen);
	if (labellen)
		memcpy(aad + hdrlen, label, labellen);

	ret = cpns_kdf(kek, keklen, CPNS_LABEL_STORE_WRAP, &ctx, 1, wk,
		       sizeof(wk));
	if (ret)
		return ret;
	ret = cpns_aead_once(seal, wk, aad, hdrlen + labellen, in,
			     seal ? CPNS_KEY_LEN : CPNS_KEY_LEN + CPNS_TAG_LEN,
			     out);
	memzero_explicit(wk, sizeof(wk));
	return ret;
}

int cpns_blob_wrap(const u8 *kek, unsigned int keklen,
		   const struct cpns_key_info *meta, const u8 *secret,
		   time64_t created, const u8 *salt, const u8 *label,
		   unsigned int labellen, u8 *blob, unsigned int *bloblen)
{
	unsigned int idlen = cpns_id_len(meta->kind);
	unsigned int hdrlen = CPNS_BLOB_HDR_LEN(idlen);
	int ret;

	*bloblen = 0;
	if (!idlen || meta->role >= CPNS_BLOB_ROLE_SELF ||
	    meta->state > U8_MAX ||
	    created < 0 || meta->expiry < 0)
		return -EINVAL;

	blob[CPNS_BLOB_OFF_VERSION] = CPNS_BLOB_VERSION;
	blob[CPNS_BLOB_OFF_KIND] = meta->kind;
	blob[CPNS_BLOB_OFF_ROLE] = meta->role |
				   (meta->self ? CPNS_BLOB_ROLE_SELF : 0);
	blob[CPNS_BLOB_OFF_STATE] = meta->state;
	put_unaligned_be32(meta->generation, blob + CPNS_BLOB_OFF_GEN);
	put_unaligned_be64(created, blob + CPNS_BLOB_OFF_CREATED);
	put_unaligned_be64(meta->expiry, blob + CPNS_BLOB_OFF_EXPIRY);
	memcpy(blob + CPNS_BLOB_OFF_ID, meta->id, idlen);
	memcpy(blob + CPNS_BLOB_OFF_ID + idlen, salt, CPNS_BLOB_SALT_LEN);

	ret = cpns_blob_crypt(true, kek, keklen, blob, hdrlen, label, labellen,
			      secret, blob + hdrlen);
	if (ret) {
		memzero_explicit(blob, CPNS_BLOB_LEN(idlen));
		return ret;
	}
	*bloblen = CPNS_BLOB_LEN(idlen);
	return 0;
}

int cpns_blob_unwrap(const u8 *kek, unsigned int keklen, const u8 *blob,
		     unsigned int bloblen, const u8 *label,
		     unsigned int labellen, struct cpns_key_info *meta,
		     u8 *secret, time64_t *created)
{
	unsigned int idlen, hdrlen;
	u64 expiry, made;
	int ret;

	memset(meta, 0, sizeof(*meta));
	*created = 0;
	ret = -EINVAL;
	if (bloblen < CPNS_BLOB_FIXED_LEN ||
	    blob[CPNS_BLOB_OFF_VERSION] != CPNS_BLOB_VERSION)
		goto err;
	idlen = cpns_id_len(blob[CPNS_BLOB_OFF_KIND]);
	if (!idlen || bloblen != CPNS_BLOB_LEN(idlen))
		goto err;
	hdrlen = CPNS_BLOB_HDR_LEN(idlen);

	ret = cpns_blob_crypt(false, kek, keklen, blob, hdrlen, label,
			      labellen, blob + hdrlen, secret);
	if (ret)
		goto err;

	/* Authentic from here on: made by a KEY_WRAP under this KEK. */
	expiry = get_unaligned_be64(blob + CPNS_BLOB_OFF_EXPIRY);
	made = get_unaligned_be64(blob + CPNS_BLOB_OFF_CREATED);
	if (expiry > TIME64_MAX || made > TIME64_MAX) {
		ret = -EINVAL;
		goto err;
	}
	meta->kind = blob[CPNS_BLOB_OFF_KIND];
	meta->role = blob[CPNS_BLOB_OFF_ROLE] & ~CPNS_BLOB_ROLE_SELF;
	meta->self = blob[CPNS_BLOB_OFF_ROLE] & CPNS_BLOB_ROLE_SELF;
	meta->state = blob[CPNS_BLOB_OFF_STATE];
	meta->generation = get_unaligned_be32(blob + CPNS_BLOB_OFF_GEN);
	meta->expiry = expiry;
	memcpy(meta->id, blob + CPNS_BLOB_OFF_ID, idlen);
	*created = made;
	return 0;

err:
	memset(meta, 0, sizeof(*meta));
	memzero_explicit(secret, CPNS_KEY_LEN);
	return ret;
}
