// SPDX-License-Identifier: GPL-2.0
/*
 * The primitives of CPNS-KA-1 over the kernel crypto API.
 *
 * MAC and KDF run on an "hmac(sha256)" shash; SEAL and OPEN on a
 * synchronous "gcm(aes)" aead. Every function here may sleep (transform
 * allocation), so all of them run in process context only.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <crypto/aead.h>
#include <crypto/hash.h>
#include <crypto/kdf_sp800108.h>
#include <linux/cpns.h>

#include "compat.h"
#include "primitives.h"

#define CPNS_HMAC_ALG	"hmac(sha256)"
#define CPNS_AEAD_ALG	"gcm(aes)"
#define CPNS_IV_LEN	12

/* The most context fields any CPNS-KA-1 KDF call passes. */
#define CPNS_KDF_MAX_CONTEXT	8

static const u8 cpns_label_sep;	/* the 0x00 between label and fields */

/*
 * The one place that makes an HMAC-SHA256 transform. A transform per
 * call keeps every key in its own context (freed with kfree_sensitive()
 * by the crypto API); a cache of keyed transforms would go here.
 */
static struct crypto_shash *cpns_hmac_alloc(void)
{
	return crypto_alloc_shash(CPNS_HMAC_ALG, 0, 0);
}

static int cpns_mac_digest(struct crypto_shash *tfm, const char *label,
			   const struct kvec *fields, unsigned int nfields,
			   u8 *out)
{
	SHASH_DESC_ON_STACK(desc, tfm);
	unsigned int i;
	int ret;

	desc->tfm = tfm;
	ret = crypto_shash_init(desc);
	if (ret)
		goto out;
	ret = crypto_shash_update(desc, label, strlen(label));
	if (ret)
		goto out;
	ret = crypto_shash_update(desc, &cpns_label_sep, 1);
	if (ret)
		goto out;
	for (i = 0; i < nfields; i++) {
		ret = crypto_shash_update(desc, fields[i].iov_base,
					  fields[i].iov_len);
		if (ret)
			goto out;
	}
	ret = crypto_shash_final(desc, out);
out:
	shash_desc_zero(desc);
	return ret;
}

int cpns_mac(const u8 *key, unsigned int keylen, const char *label,
	     const struct kvec *fields, unsigned int nfields, u8 *out)
{
	struct crypto_shash *tfm;
	int ret;

	tfm = cpns_hmac_alloc();
	if (IS_ERR(tfm)) {
		ret = PTR_ERR(tfm);
		goto err_out;
	}

	ret = crypto_shash_setkey(tfm, key, keylen);
	if (ret)
		goto err_free;
	ret = cpns_mac_digest(tfm, label, fields, nfields, out);
	if (ret)
		goto err_free;

	crypto_free_shash(tfm);
	return 0;

err_free:
	crypto_free_shash(tfm);
err_out:
	memzero_explicit(out, CPNS_MAC_LEN);
	return ret;
}

int cpns_kdf(const u8 *key, unsigned int keylen, const char *label,
	     const struct kvec *context, unsigned int ncontext,
	     u8 *out, unsigned int outlen)
{
	struct kvec info[CPNS_KDF_MAX_CONTEXT + 3];
	struct crypto_shash *tfm;
	__be32 bits;
	unsigned int i;
	int ret;

	/* L is a 32-bit count of bits. */
	if (ncontext > CPNS_KDF_MAX_CONTEXT || !outlen ||
	    outlen > U32_MAX / 8) {
		ret = -EINVAL;
		goto err_out;
	}

	tfm = cpns_hmac_alloc();
	if (IS_ERR(tfm)) {
		ret = PTR_ERR(tfm);
		goto err_out;
	}

	ret = crypto_kdf108_setkey(tfm, key, keylen, NULL, 0);
	if (ret)
		goto err_free;

	/* label || 0x00 || context || [L]_4; the KDF prepends [i]_4. */
	bits = cpu_to_be32(outlen * 8);
	info[0].iov_base = (void *)label;
	info[0].iov_len = strlen(label);
	info[1].iov_base = (void *)&cpns_label_sep;
	info[1].iov_len = 1;
	for (i = 0; i < ncontext; i++)
		info[2 + i] = context[i];
	info[2 + ncontext].iov_base = &bits;
	info[2 + ncontext].iov_len = sizeof(bits);

	ret = crypto_kdf108_ctr_generate(tfm, info, ncontext + 3, out, outlen);
	if (ret)
		goto err_free;

	crypto_free_shash(tfm);
	return 0;

err_free:
	crypto_free_shash(tfm);
err_out:
	memzero_explicit(out, outlen);
	return ret;
}

struct crypto_aead *cpns_aead_new(const u8 *key)
{
	struct crypto_aead *tfm;
	int ret;

	/* Masking CRYPTO_ALG_ASYNC asks for a synchronous implementation. */
	tfm = crypto_alloc_aead(CPNS_AEAD_ALG, 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(tfm))
		return tfm;

	ret = crypto_aead_setkey(tfm, key, CPNS_KEY_LEN);
	if (ret)
		goto err_free;
	ret = crypto_aead_setauthsize(tfm, CPNS_TAG_LEN);
	if (ret)
		goto err_free;
	return tfm;

err_free:
	crypto_free_aead(tfm);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_NS_GPL(cpns_aead_new, CPNS);

void cpns_aead_free(struct crypto_aead *tfm)
{
	if (!IS_ERR_OR_NULL(tfm))
		crypto_free_aead(tfm);
}
EXPORT_SYMBOL_NS_GPL(cpns_aead_free, CPNS);

/*
 * Run one AES-GCM operation in place over buf = aad || text [|| tag].
 * @textlen is the plaintext length to encrypt, or ciphertext plus tag to
 * decrypt. The buffer is linear kmalloc() memory: a scatterlist may not
 * point into a (possibly virtually mapped) stack.
 */
static int cpns_aead_crypt(struct crypto_aead *tfm, bool enc, u64 seq,
			   u8 *buf, unsigned int aadlen, unsigned int textlen,
			   unsigned int buflen)
{
	u8 iv[CPNS_IV_LEN];
	struct aead_request *req;
	struct scatterlist sg;
	int ret;

	/* nonce = [0]_4 || [seq]_8 */
	memset(iv, 0, 4);
	put_unaligned_be64(seq, iv + 4);

	req = aead_request_alloc(tfm, GFP_KERNEL);
	if (!req)
		return -ENOMEM;

	sg_init_one(&sg, buf, buflen);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_crypt(req, &sg, &sg, textlen, iv);
	aead_request_set_ad(req, aadlen);
	ret = enc ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);

	aead_request_free(req);
	return ret;
}

int cpns_seal(struct crypto_aead *tfm, u64 seq, const u8 *aad,
	      unsigned int aadlen, const u8 *pt, unsigned int ptlen, u8 *out)
{
	unsigned int buflen;
	u8 *buf;
	int ret;

	if (check_add_overflow(aadlen, ptlen, &buflen) ||
	    check_add_overflow(buflen, (unsigned int)CPNS_TAG_LEN, &buflen))
		return -EMSGSIZE;

	buf = kmalloc(buflen, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (aadlen)
		memcpy(buf, aad, aadlen);
	if (ptlen)
		memcpy(buf + aadlen, pt, ptlen);

	ret = cpns_aead_crypt(tfm, true, seq, buf, aadlen, ptlen, buflen);
	if (!ret)
		memcpy(out, buf + aadlen, ptlen + CPNS_TAG_LEN);

	kfree_sensitive(buf);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(cpns_seal, CPNS);

int cpns_open(struct crypto_aead *tfm, u64 seq, const u8 *aad,
	      unsigned int aadlen, const u8 *ct, unsigned int ctlen, u8 *out)
{
	unsigned int buflen;
	u8 *buf;
	int ret;

	if (ctlen < CPNS_TAG_LEN)
		return -EINVAL;
	if (check_add_overflow(aadlen, ctlen, &buflen)) {
		ret = -EMSGSIZE;
		goto err_out;
	}

	buf = kmalloc(buflen, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto err_out;
	}
	if (aadlen)
		memcpy(buf, aad, aadlen);
	memcpy(buf + aadlen, ct, ctlen);

	ret = cpns_aead_crypt(tfm, false, seq, buf, aadlen, ctlen, buflen);
	if (!ret)
		memcpy(out, buf + aadlen, ctlen - CPNS_TAG_LEN);

	kfree_sensitive(buf);
	if (ret)
		goto err_out;
	return 0;

err_out:
	memzero_explicit(out, ctlen - CPNS_TAG_LEN);
	return ret;
}
