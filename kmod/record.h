/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A server's device records (Documentation/rekey.rst, "Records on the
 * server"): the server's kernel keeps no object per device. Its daemon
 * keeps each re-keyed or revoked device's record in its store as a blob of
 * KEY_WRAP's format (Documentation/store.rst: kind Device Key, role
 * server, the state, the generation, the Device ID and the sealed key),
 * under the server's KEK and the label of the store row, and hands it in
 * with the request that needs it; the kernel hands new records back the
 * same way.
 */
#ifndef _CPNS_RECORD_H
#define _CPNS_RECORD_H

#include <linux/types.h>
#include <linux/cpns.h>

/**
 * struct cpns_record_ctx - what wraps and opens the records of one request
 * @kek: the server's KEK payload (cpns_keyref_read()), or NULL if not given
 * @keklen: its length
 * @label: the store row's label, or NULL
 * @labellen: its length, at most CPNS_MAX_LABEL
 */
struct cpns_record_ctx {
	const u8 *kek;
	unsigned int keklen;
	const u8 *label;
	unsigned int labellen;
};

/**
 * struct cpns_record - an opened device record
 * @state: CPNS_STATE_ACTIVE, CPNS_STATE_UNCONFIRMED or CPNS_STATE_REVOKED
 * @generation: the generation of @dk
 * @expiry: real time in seconds, 0 for none
 * @dk: the Device Key (all zero for a revocation); the holder wipes it
 */
struct cpns_record {
	enum cpns_state state;
	u32 generation;
	time64_t expiry;
	u8 dk[CPNS_KEY_LEN];
};

/**
 * cpns_record_open() - open the record blob of @did
 * @ctx: its KEK and label
 * @blob: the blob
 * @bloblen: its length
 * @did: the Device ID the record must be of
 * @rec: out; wiped on failure
 *
 * Process context. Return: 0; -EBADMSG (the blob does not open: another
 * KEK or label, altered, or not a blob of KEY_WRAP); -ENOKEY (it opens but
 * is the record of another Device ID); -EINVAL (it opens but is no
 * server's device record: another kind, role or state); or a negative
 * errno.
 */
int cpns_record_open(const struct cpns_record_ctx *ctx, const u8 *blob,
		     unsigned int bloblen, const u8 *did,
		     struct cpns_record *rec);

/**
 * cpns_record_wrap() - a new record blob of @did
 * @ctx: its KEK (required) and label
 * @did: Device ID
 * @rec: state, generation, expiry and key (ignored for a revocation)
 * @blob: out, CPNS_MAX_BLOB bytes of room
 * @bloblen: out, its length
 *
 * Process context. Return: 0 or a negative errno (@blob zeroed).
 */
int cpns_record_wrap(const struct cpns_record_ctx *ctx, const u8 *did,
		     const struct cpns_record *rec, u8 *blob,
		     unsigned int *bloblen);

#endif /* _CPNS_RECORD_H */
