/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SEAL and OPEN under a key that serves one operation (a stored blob's
 * or a transferred key's wrapping key), on transforms kept one per CPU.
 */
#ifndef _CPNS_AEAD_ONCE_H
#define _CPNS_AEAD_ONCE_H

#include <linux/types.h>
#include <linux/cpns.h>

/* What an operation may carry: a blob's header and label; a key. */
#define CPNS_ONCE_AAD_MAX	128
#define CPNS_ONCE_TEXT_MAX	CPNS_KEY_LEN

/**
 * cpns_aead_once_init() - the per-CPU slots, at module load
 *
 * Their transforms are made at each slot's first operation.
 * Return: 0 or -ENOMEM.
 */
int cpns_aead_once_init(void);

/**
 * cpns_aead_once_exit() - free the slots, their transforms and requests
 */
void cpns_aead_once_exit(void);

/**
 * cpns_aead_once() - cpns_seal() or cpns_open() under @key, with seq 0
 * @enc: true to seal, false to open
 * @key: CPNS_KEY_LEN bytes, used for this operation alone
 * @aad: additional data, at most CPNS_ONCE_AAD_MAX bytes
 * @aadlen: its length
 * @in: plaintext (at most CPNS_ONCE_TEXT_MAX bytes), or ciphertext || tag
 * @inlen: its length
 * @out: ciphertext || tag (@inlen + CPNS_TAG_LEN bytes), or plaintext
 *       (@inlen - CPNS_TAG_LEN bytes, zeroed on failure)
 *
 * Any buffer may be on the stack. Sleeps: process context only.
 * Return: 0, -EMSGSIZE (too long), -EBADMSG (not authentic), or another
 * negative errno.
 */
int cpns_aead_once(bool enc, const u8 *key, const u8 *aad,
		   unsigned int aadlen, const u8 *in, unsigned int inlen,
		   u8 *out);

#endif /* _CPNS_AEAD_ONCE_H */
