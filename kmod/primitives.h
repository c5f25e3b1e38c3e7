/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The primitives of CPNS-KA-1: MAC and KDF are HMAC-SHA256 over the
 * SHA-256 library (no allocation, any context); SEAL and OPEN run gcm(aes)
 * of the crypto API and may sleep: process context only.
 */
#ifndef _CPNS_PRIMITIVES_H
#define _CPNS_PRIMITIVES_H

#include <linux/types.h>
#include <linux/uio.h>

struct aead_request;
struct crypto_aead;

/**
 * cpns_mac() - MAC(K, label, f1, f2, ...) = HMAC(K, label || 0x00 || f1 || ...)
 * @key: HMAC key
 * @keylen: its length
 * @label: ASCII label, without NUL
 * @fields: the fixed-length fields, in order
 * @nfields: how many
 * @out: CPNS_MAC_LEN bytes
 *
 * Return: 0.
 */
int cpns_mac(const u8 *key, unsigned int keylen, const char *label,
	     const struct kvec *fields, unsigned int nfields, u8 *out);

/**
 * cpns_kdf() - KDF(K, label, context, L) of SP 800-108r1 counter mode
 * @key: key derivation key
 * @keylen: its length
 * @label: ASCII label, without NUL
 * @context: the context fields, concatenated in order
 * @ncontext: how many
 * @out: output
 * @outlen: output length in bytes; L = 8 * @outlen bits
 *
 * Return: 0, or -EINVAL (@outlen 0 or too large, or too many context
 * fields) and then @out is zeroed.
 */
int cpns_kdf(const u8 *key, unsigned int keylen, const char *label,
	     const struct kvec *context, unsigned int ncontext,
	     u8 *out, unsigned int outlen);

/**
 * cpns_aead_new() - an AES-256-GCM transform keyed with @key
 * @key: CPNS_KEY_LEN bytes; the caller may wipe it afterwards
 *
 * Return: the transform or an ERR_PTR(); free with cpns_aead_free().
 */
struct crypto_aead *cpns_aead_new(const u8 *key);

/**
 * cpns_aead_free() - free a transform from cpns_aead_new()
 * @tfm: the transform, or NULL or an ERR_PTR() (then nothing happens)
 *
 * The key schedule is wiped with the transform.
 */
void cpns_aead_free(struct crypto_aead *tfm);

/**
 * cpns_seal() - SEAL(K, seq, aad, pt): nonce [0]_4 || [seq]_8
 * @tfm: from cpns_aead_new()
 * @seq: sequence number
 * @aad: additional data (may be NULL if @aadlen is 0)
 * @aadlen: its length
 * @pt: plaintext
 * @ptlen: its length
 * @out: @ptlen + CPNS_TAG_LEN bytes: ciphertext || tag
 *
 * Safe to call concurrently on one @tfm. Return: 0 or a negative errno.
 */
int cpns_seal(struct crypto_aead *tfm, u64 seq, const u8 *aad,
	      unsigned int aadlen, const u8 *pt, unsigned int ptlen, u8 *out);

/**
 * cpns_open() - OPEN: the inverse of cpns_seal()
 * @tfm: from cpns_aead_new()
 * @seq: sequence number
 * @aad: additional data
 * @aadlen: its length
 * @ct: ciphertext || tag
 * @ctlen: its length, at least CPNS_TAG_LEN
 * @out: @ctlen - CPNS_TAG_LEN bytes of plaintext; zeroed on failure
 *
 * Return: 0, -EBADMSG when the tag does not verify, -EINVAL if @ctlen is
 * below CPNS_TAG_LEN, or another errno.
 */
int cpns_open(struct crypto_aead *tfm, u64 seq, const u8 *aad,
	      unsigned int aadlen, const u8 *ct, unsigned int ctlen, u8 *out);

/**
 * cpns_aead_req_new() - a request for cpns_seal_req() and cpns_open_req()
 * @tfm: from cpns_aead_new(); it must outlive the request
 *
 * A request serves one operation at a time. Return: the request or NULL.
 */
struct aead_request *cpns_aead_req_new(struct crypto_aead *tfm);

/**
 * cpns_aead_req_free() - free a request of cpns_aead_req_new()
 * @req: the request, or NULL
 */
void cpns_aead_req_free(struct aead_request *req);

/**
 * cpns_seal_req() - cpns_seal() from @pt straight into @out, no copy
 * @req: from cpns_aead_req_new(), used by no one else meanwhile
 * @seq: sequence number
 * @aad: additional data, at most CPNS_MAX_AAD bytes
 * @aadlen: its length
 * @pt: plaintext, at most CPNS_MAX_PLAINTEXT bytes
 * @ptlen: its length
 * @out: @ptlen + CPNS_TAG_LEN bytes: ciphertext || tag
 *
 * Every buffer is linear kernel memory (kmalloc(), an skb's head) or
 * vmalloc() memory, never the stack; @out overlaps no input.
 * Return: 0 or a negative errno.
 */
int cpns_seal_req(struct aead_request *req, u64 seq, const u8 *aad,
		  unsigned int aadlen, const u8 *pt, unsigned int ptlen,
		  u8 *out);

/**
 * cpns_open_req() - cpns_open() from @ct straight into @out, no copy
 * @req: from cpns_aead_req_new(), used by no one else meanwhile
 * @seq: sequence number
 * @aad: additional data, at most CPNS_MAX_AAD bytes
 * @aadlen: its length
 * @ct: ciphertext || tag, at most CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN bytes
 * @ctlen: its length, at least CPNS_TAG_LEN
 * @out: @ctlen - CPNS_TAG_LEN bytes of plaintext; zeroed on failure
 *
 * The buffers as for cpns_seal_req(). Return: as cpns_open().
 */
int cpns_open_req(struct aead_request *req, u64 seq, const u8 *aad,
		  unsigned int aadlen, const u8 *ct, unsigned int ctlen,
		  u8 *out);

#endif /* _CPNS_PRIMITIVES_H */
