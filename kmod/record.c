// SPDX-License-Identifier: GPL-2.0
/*
 * A server's device records as blobs kept by its daemon (record.h). The
 * blob format and its crypto are wrap.c's.
 */

#include <linux/random.h>
#include <linux/string.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/cpns.h>

#include "keys.h"
#include "record.h"
#include "wrap.h"

int cpns_record_open(const struct cpns_record_ctx *ctx, const u8 *blob,
		     unsigned int bloblen, const u8 *did,
		     struct cpns_record *rec)
{
	struct cpns_key_info meta;
	time64_t created;
	int err;

	memset(rec, 0, sizeof(*rec));
	if (!ctx->kek)
		return -ENOKEY;
	err = cpns_blob_unwrap(ctx->kek, ctx->keklen, blob, bloblen,
			       ctx->label, ctx->labellen, &meta, rec->dk,
			       &created);
	/* Not a blob at all is as good as one that does not open. */
	if (err == -EINVAL)
		err = -EBADMSG;
	if (err)
		goto err;
	/* The Device ID is public: no need for a constant-time compare. */
	err = -ENOKEY;
	if (meta.kind != CPNS_KEY_DEVICE ||
	    memcmp(meta.id, did, CPNS_DEVICE_ID_LEN))
		goto err;
	err = -EINVAL;
	if (meta.role != CPNS_ROLE_SERVER || meta.self ||
	    (meta.state != CPNS_STATE_ACTIVE &&
	     meta.state != CPNS_STATE_UNCONFIRMED &&
	     meta.state != CPNS_STATE_REVOKED))
		goto err;
	rec->state = meta.state;
	rec->generation = meta.generation;
	rec->expiry = meta.expiry;
	return 0;

err:
	memzero_explicit(rec, sizeof(*rec));
	return err;
}

int cpns_record_wrap(const struct cpns_record_ctx *ctx, const u8 *did,
		     const struct cpns_record *rec, u8 *blob,
		     unsigned int *bloblen)
{
	static const u8 none[CPNS_KEY_LEN];
	struct cpns_key_info meta = {
		.kind = CPNS_KEY_DEVICE,
		.role = CPNS_ROLE_SERVER,
		.state = rec->state,
		.generation = rec->generation,
		.expiry = rec->expiry,
	};
	u8 salt[CPNS_BLOB_SALT_LEN];
	bool revoked = rec->state == CPNS_STATE_REVOKED;

	*bloblen = 0;
	if (!ctx->kek)
		return -ENOKEY;
	memcpy(meta.id, did, CPNS_DEVICE_ID_LEN);
	get_random_bytes(salt, sizeof(salt));
	return cpns_blob_wrap(ctx->kek, ctx->keklen, &meta,
			      revoked ? none : rec->dk,
			      ktime_get_real_seconds(), salt, ctx->label,
			      ctx->labellen, blob, bloblen);
}
