// SPDX-License-Identifier: GPL-2.0
/*
 * The primitives of CPNS-KA-1.
 *
 * MAC and KDF run HMAC-SHA256 over the SHA-256 library; SEAL and OPEN the
 * crypto API's "gcm(aes)" aead, whichever driver ranks highest. The AEAD
 * functions may sleep (allocation, waiting for an asynchronous driver), so
 * they run in process context only.
 */

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <crypto/aead.h>
#include <crypto/hmac.h>
#include <crypto/sha2.h>
#include <linux/cpns.h>

#include "compat.h"
#include "primitives.h"

#define CPNS_AEAD_ALG	"gcm(aes)"
#define CPNS_IV_LEN	12

/* The most context fields any CPNS-KA-1 KDF call passes. */
#define CPNS_KDF_MAX_CONTEXT	8

static const u8 cpns_label_sep;	/* the 0x00 between label and fields */

/*
 * HMAC-SHA256 over the kernel's SHA-256 library: no transform, no
 * allocation, no sleeping. The key's inner and outer states are absorbed
 * once; each MAC or KDF block then starts from a copy of them.
 * kat.c checks the result against the crypto API's "hmac(sha256)" at load.
 */
struct cpns_hmac {
	struct sha256_state inner;
	struct sha256_state outer;
};

static void cpns_hmac_setkey(struct cpns_hmac *h, const u8 *key,
			     unsigned int keylen)
{
	u8 pad[SHA256_BLOCK_SIZE] = { 0 };
	unsigned int i;

	if (keylen > SHA256_BLOCK_SIZE)
		sha256(key, keylen, pad);
	else if (keylen)
		memcpy(pad, key, keylen);

	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] ^= HMAC_IPAD_VALUE;
	sha256_init(&h->inner);
	sha256_update(&h->inner, pad, SHA256_BLOCK_SIZE);
	for (i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] ^= HMAC_IPAD_VALUE ^ HMAC_OPAD_VALUE;
	sha256_init(&h->outer);
	sha256_update(&h->outer, pad, SHA256_BLOCK_SIZE);
	memzero_explicit(pad, sizeof(pad));
}

/* Absorb @n fields into @st. */
static void cpns_hmac_fields(struct sha256_state *st, const struct kvec *f,
			     unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		sha256_update(st, f[i].iov_base, f[i].iov_len);
}

/* Finish the inner hash @st (wiped) into the MAC @out. */
static void cpns_hmac_final(const struct cpns_hmac *h, struct sha256_state *st,
			    u8 *out)
{
	struct sha256_state o = h->outer;
	u8 ihash[SHA256_DIGEST_SIZE];

	sha256_final(st, ihash);
	sha256_update(&o, ihash, sizeof(ihash));
	sha256_final(&o, out);
	memzero_explicit(ihash, sizeof(ihash));
	memzero_explicit(st, sizeof(*st));
	memzero_explicit(&o, sizeof(o));
}

int cpns_mac(const u8 *key, unsigned int keylen, const char *label,
	     const struct kvec *fields, unsigned int nfields, u8 *out)
{
	struct sha256_state st;
	struct cpns_hmac h;

	cpns_hmac_setkey(&h, key, keylen);
	st = h.inner;
	sha256_update(&st, label, strlen(label));
	sha256_update(&st, &cpns_label_sep, 1);
	cpns_hmac_fields(&st, fields, nfields);
	cpns_hmac_final(&h, &st, out);
	memzero_explicit(&h, sizeof(h));
	return 0;
}

int cpns_kdf(const u8 *key, unsigned int keylen, const char *label,
	     const struct kvec *context, unsigned int ncontext,
	     u8 *out, unsigned int outlen)
{
	u8 block[SHA256_DIGEST_SIZE];
	struct sha256_state st;
	struct cpns_hmac h;
	__be32 bits, ctr;
	unsigned int n;
	u32 i;

	/* L is a 32-bit count of bits. */
	if (ncontext > CPNS_KDF_MAX_CONTEXT || !outlen ||
	    outlen > U32_MAX / 8) {
		memzero_explicit(out, outlen);
		return -EINVAL;
	}

	/* K(i) = HMAC(K, [i]_4 || label || 0x00 || context || [L]_4) */
	cpns_hmac_setkey(&h, key, keylen);
	bits = cpu_to_be32(outlen * 8);
	for (i = 1; outlen; i++) {
		ctr = cpu_to_be32(i);
		st = h.inner;
		sha256_update(&st, (const u8 *)&ctr, sizeof(ctr));
		sha256_update(&st, label, strlen(label));
		sha256_update(&st, &cpns_label_sep, 1);
		cpns_hmac_fields(&st, context, ncontext);
		sha256_update(&st, (const u8 *)&bits, sizeof(bits));
		cpns_hmac_final(&h, &st, block);
		n = min_t(unsigned int, outlen, sizeof(block));
		memcpy(out, block, n);
		out += n;
		outlen -= n;
	}
	memzero_explicit(block, sizeof(block));
	memzero_explicit(&h, sizeof(h));
	return 0;
}

struct crypto_aead *cpns_aead_new(const u8 *key)
{
	struct crypto_aead *tfm;
	int ret;

	/*
	 * Asynchronous drivers too: the x86 AES-NI/PCLMULQDQ GCM is one (a
	 * SIMD wrapper that defers to cryptd only where the FPU cannot be
	 * used); in process context it runs at once, and every operation
	 * waits for its completion anyway (cpns_aead_wait()).
	 */
	tfm = crypto_alloc_aead(CPNS_AEAD_ALG, 0, 0);
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

/* Run @req's operation and wait for it, should its driver defer it. */
static int cpns_aead_wait(struct aead_request *req, bool enc)
{
	DECLARE_CRYPTO_WAIT(wait);

	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP |
				  CRYPTO_TFM_REQ_MAY_BACKLOG,
				  crypto_req_done, &wait);
	return crypto_wait_req(enc ? crypto_aead_encrypt(req) :
			       crypto_aead_decrypt(req), &wait);
}

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
	aead_request_set_crypt(req, &sg, &sg, textlen, iv);
	aead_request_set_ad(req, aadlen);
	ret = cpns_aead_wait(req, enc);

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

/*
 * The entries a SEAL or OPEN scatterlist takes at most: the additional
 * data and the text, each over as many pages as it can touch.
 */
#define CPNS_SG_MAX	(DIV_ROUND_UP(CPNS_MAX_AAD, PAGE_SIZE) + 1 +	\
			 DIV_ROUND_UP(CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN,	\
				      PAGE_SIZE) + 1)

struct cpns_sg {
	struct scatterlist sg[CPNS_SG_MAX];
	unsigned int n;
};

/*
 * One entry for @len bytes at @buf, within one page if vmalloc() memory.
 * Only the entries used are initialised: a 64-byte SEAL uses two of
 * CPNS_SG_MAX.
 */
static void cpns_sg_set(struct scatterlist *sg, const u8 *buf,
			unsigned int len)
{
	memset(sg, 0, sizeof(*sg));
	sg_init_marker(sg, 1);
	sg_unmark_end(sg);
	if (is_vmalloc_addr(buf))
		sg_set_page(sg, vmalloc_to_page(buf), len, offset_in_page(buf));
	else
		sg_set_buf(sg, buf, len);
}

/*
 * Append @len bytes at @buf: linear memory, or vmalloc() memory (a large
 * netlink request), page by page. Never the stack.
 */
static int cpns_sg_add(struct cpns_sg *s, const u8 *buf, unsigned int len)
{
	unsigned int chunk;

	while (len) {
		if (s->n == CPNS_SG_MAX)
			return -EMSGSIZE;
		chunk = len;
		if (is_vmalloc_addr(buf))
			chunk = min_t(unsigned int, len,
				      PAGE_SIZE - offset_in_page(buf));
		cpns_sg_set(&s->sg[s->n++], buf, chunk);
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/* Close the list; an empty one gets an empty entry at @buf. */
static void cpns_sg_end(struct cpns_sg *s, const u8 *buf)
{
	if (!s->n)
		cpns_sg_set(&s->sg[s->n++], buf, 0);
	sg_mark_end(&s->sg[s->n - 1]);
}

/*
 * One AES-GCM operation from aad || @in to aad || @out, with no copy:
 * the transform reads @in and writes @out where they are. @inlen is the
 * plaintext length to encrypt, or ciphertext plus tag to decrypt.
 */
static int cpns_aead_run(struct aead_request *req, bool enc, u64 seq,
			 const u8 *aad, unsigned int aadlen, const u8 *in,
			 unsigned int inlen, u8 *out, unsigned int outlen)
{
	/*
	 * Not zeroed at entry (INIT_STACK_ALL_ZERO): cpns_sg_set() sets each
	 * entry used, and only those are read.
	 */
	struct cpns_sg src __uninitialized, dst __uninitialized;
	u8 iv[CPNS_IV_LEN];
	int ret;

	src.n = 0;
	/*
	 * The transform skips dst's additional data: it writes none. Its
	 * entries are src's, copied rather than looked up again.
	 */
	ret = cpns_sg_add(&src, aad, aadlen);
	if (ret)
		return ret;
	memcpy(dst.sg, src.sg, src.n * sizeof(*src.sg));
	dst.n = src.n;
	ret = cpns_sg_add(&src, in, inlen);
	ret = ret ?: cpns_sg_add(&dst, out, outlen);
	if (ret)
		return ret;
	cpns_sg_end(&src, out);
	cpns_sg_end(&dst, out);

	/* nonce = [0]_4 || [seq]_8 */
	memset(iv, 0, 4);
	put_unaligned_be64(seq, iv + 4);

	aead_request_set_crypt(req, src.sg, dst.sg, inlen, iv);
	aead_request_set_ad(req, aadlen);
	return cpns_aead_wait(req, enc);
}

struct aead_request *cpns_aead_req_new(struct crypto_aead *tfm)
{
	return aead_request_alloc(tfm, GFP_KERNEL_ACCOUNT);
}

void cpns_aead_req_free(struct aead_request *req)
{
	aead_request_free(req);
}

int cpns_seal_req(struct aead_request *req, u64 seq, const u8 *aad,
		  unsigned int aadlen, const u8 *pt, unsigned int ptlen,
		  u8 *out)
{
	if (ptlen > U32_MAX - CPNS_TAG_LEN)
		return -EMSGSIZE;
	return cpns_aead_run(req, true, seq, aad, aadlen, pt, ptlen, out,
			     ptlen + CPNS_TAG_LEN);
}

int cpns_open_req(struct aead_request *req, u64 seq, const u8 *aad,
		  unsigned int aadlen, const u8 *ct, unsigned int ctlen,
		  u8 *out)
{
	int ret;

	if (ctlen < CPNS_TAG_LEN)
		return -EINVAL;
	ret = cpns_aead_run(req, false, seq, aad, aadlen, ct, ctlen, out,
			    ctlen - CPNS_TAG_LEN);
	if (ret)
		memzero_explicit(out, ctlen - CPNS_TAG_LEN);
	return ret;
}
