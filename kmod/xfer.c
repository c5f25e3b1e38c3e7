// SPDX-License-Identifier: GPL-2.0
/*
 * Key transfer, extension CPNS-KA-1-XFER (Documentation/xfer.rst).
 *
 * X25519 runs through the crypto API's kpp "curve25519", which loads its
 * implementation on demand; calling the curve25519 library directly would
 * make cpns.ko depend on libcurve25519 at insmod time.
 */

#include <linux/kernel.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <crypto/algapi.h>
#include <crypto/kpp.h>
#include <linux/cpns.h>

#include "aead_once.h"
#include "compat.h"
#include "keys.h"
#include "primitives.h"
#include "xfer.h"

#define CPNS_X25519_ALG		"curve25519"
#define CPNS_X25519_LEN		CPNS_PUBKEY_LEN
#define CPNS_LABEL_XFER_WRAP	"CPNS transfer wrap"
#define CPNS_LABEL_XFER_CODE	"CPNS transfer code"
#define CPNS_LABEL_XFER_PAIR	"CPNS transfer pair"
#define CPNS_LABEL_XFER_RECEIVER	"CPNS transfer receiver"
#define CPNS_XFER_CODE_MOD	1000000

/* What one end of a transfer knows after the exchange. */
struct cpns_xfer_ctx {
	u8 my_pub[CPNS_X25519_LEN];
	u8 shared[CPNS_X25519_LEN];
	u8 wk[CPNS_KEY_LEN];
	u32 code;
};

static const u8 cpns_x25519_zero[CPNS_X25519_LEN];

/*
 * One kpp operation on @tfm: the public key of its secret when @peer is
 * NULL, else the shared secret with @peer. The input and output live in
 * one kmalloc()ed buffer because scatterlists may not point at the stack.
 */
static int cpns_x25519_op(struct crypto_kpp *tfm, const u8 *peer, u8 *out)
{
	DECLARE_CRYPTO_WAIT(wait);
	struct scatterlist src, dst;
	struct kpp_request *req;
	u8 *buf;
	int ret;

	buf = kzalloc(2 * CPNS_X25519_LEN, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	req = kpp_request_alloc(tfm, GFP_KERNEL);
	if (!req) {
		ret = -ENOMEM;
		goto out_buf;
	}

	kpp_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				 crypto_req_done, &wait);
	sg_init_one(&dst, buf + CPNS_X25519_LEN, CPNS_X25519_LEN);
	if (peer) {
		memcpy(buf, peer, CPNS_X25519_LEN);
		sg_init_one(&src, buf, CPNS_X25519_LEN);
		kpp_request_set_input(req, &src, CPNS_X25519_LEN);
		kpp_request_set_output(req, &dst, CPNS_X25519_LEN);
		ret = crypto_wait_req(crypto_kpp_compute_shared_secret(req),
				      &wait);
	} else {
		kpp_request_set_input(req, NULL, 0);
		kpp_request_set_output(req, &dst, CPNS_X25519_LEN);
		ret = crypto_wait_req(crypto_kpp_generate_public_key(req),
				      &wait);
	}
	if (!ret)
		memcpy(out, buf + CPNS_X25519_LEN, CPNS_X25519_LEN);

	kpp_request_free(req);
out_buf:
	kfree_sensitive(buf);
	return ret;
}

/*
 * X25519 with @secret: @pub = X25519(secret, 9) and, when @peer is given,
 * @shared = X25519(secret, peer). A low-order @peer gives an all-zero
 * shared secret (RFC 7748, section 6.1), which is refused.
 */
int cpns_x25519(const u8 *secret, const u8 *peer, u8 *pub, u8 *shared)
{
	struct crypto_kpp *tfm;
	int ret;

	tfm = crypto_alloc_kpp(CPNS_X25519_ALG, 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);

	/* curve25519's set_secret takes the 32 raw bytes; the scalar is
	 * clamped by the implementation.
	 */
	ret = crypto_kpp_set_secret(tfm, secret, CPNS_X25519_LEN);
	if (ret)
		goto out;
	ret = cpns_x25519_op(tfm, NULL, pub);
	if (ret || !peer)
		goto out;
	ret = cpns_x25519_op(tfm, peer, shared);
	if (ret)
		goto out;
	if (!crypto_memneq(shared, cpns_x25519_zero, CPNS_X25519_LEN))
		ret = -EKEYREJECTED;
out:
	crypto_free_kpp(tfm);
	if (ret && peer)
		memzero_explicit(shared, CPNS_X25519_LEN);
	return ret;
}

int cpns_xfer_keypair(u8 *secret, u8 *pub)
{
	int ret;

	/* Clamped as RFC 7748 decodes a scalar, so that the stored secret
	 * is the scalar actually used, and never the all-zero value that
	 * set_secret refuses.
	 */
	get_random_bytes(secret, CPNS_X25519_LEN);
	secret[0] &= 248;
	secret[31] = (secret[31] & 127) | 64;

	ret = cpns_x25519(secret, NULL, pub, NULL);
	if (ret) {
		memzero_explicit(secret, CPNS_X25519_LEN);
		memzero_explicit(pub, CPNS_X25519_LEN);
	}
	return ret;
}

/*
 * ctx = [kind]_1 || id || sender_public || receiver_public
 * wk = KDF(shared, "CPNS transfer wrap", ctx, 256)
 * code = [KDF(shared, "CPNS transfer code", ctx, 32)]_4 mod 1000000
 */
static int cpns_xfer_derive(u8 kind, const u8 *id, unsigned int idlen,
			    const u8 *sender_pub, const u8 *receiver_pub,
			    struct cpns_xfer_ctx *x)
{
	const struct kvec ctx[] = {
		{ .iov_base = &kind, .iov_len = 1 },
		{ .iov_base = (void *)id, .iov_len = idlen },
		{ .iov_base = (void *)sender_pub, .iov_len = CPNS_X25519_LEN },
		{ .iov_base = (void *)receiver_pub, .iov_len = CPNS_X25519_LEN },
	};
	u8 code[4];
	int ret;

	ret = cpns_kdf(x->shared, CPNS_X25519_LEN, CPNS_LABEL_XFER_WRAP,
		       ctx, ARRAY_SIZE(ctx), x->wk, CPNS_KEY_LEN);
	if (ret)
		return ret;
	ret = cpns_kdf(x->shared, CPNS_X25519_LEN, CPNS_LABEL_XFER_CODE,
		       ctx, ARRAY_SIZE(ctx), code, sizeof(code));
	if (ret)
		return ret;
	x->code = get_unaligned_be32(code) % CPNS_XFER_CODE_MOD;
	return 0;
}

/* SEAL or OPEN the transferred key: aad = [kind]_1 || id, seq 0. */
static int cpns_xfer_crypt(bool seal, const u8 *wk, u8 kind, const u8 *id,
			   unsigned int idlen, const u8 *in, u8 *out)
{
	u8 aad[1 + CPNS_DEVICE_ID_LEN];

	BUILD_BUG_ON(sizeof(aad) > CPNS_ONCE_AAD_MAX);
	aad[0] = kind;
	memcpy(aad + 1, id, idlen);
	return cpns_aead_once(seal, wk, aad, 1 + idlen, in,
			      seal ? CPNS_KEY_LEN : CPNS_WRAPPED_LEN, out);
}

int cpns_xfer_wrap(enum cpns_key_kind kind, const u8 *id,
		   const u8 *eph_secret, const u8 *peer_pub, const u8 *key,
		   u8 *my_pub, u8 *wrapped, u32 *code)
{
	unsigned int idlen = cpns_id_len(kind);
	struct cpns_xfer_ctx *x;
	int ret;

	*code = 0;
	if (!idlen)
		return -EINVAL;

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;

	ret = cpns_x25519(eph_secret, peer_pub, x->my_pub, x->shared);
	if (ret)
		goto out;
	ret = cpns_xfer_derive(kind, id, idlen, x->my_pub, peer_pub, x);
	if (ret)
		goto out;
	ret = cpns_xfer_crypt(true, x->wk, kind, id, idlen, key, wrapped);
	if (ret)
		goto out;

	memcpy(my_pub, x->my_pub, CPNS_X25519_LEN);
	*code = x->code;
out:
	kfree_sensitive(x);
	return ret;
}

int cpns_xfer_unwrap(enum cpns_key_kind kind, const u8 *id,
		     const u8 *my_secret, const u8 *peer_pub,
		     const u8 *wrapped, u8 *key, u32 *code)
{
	unsigned int idlen = cpns_id_len(kind);
	struct cpns_xfer_ctx *x;
	int ret;

	*code = 0;
	if (!idlen) {
		ret = -EINVAL;
		goto err_key;
	}

	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x) {
		ret = -ENOMEM;
		goto err_key;
	}

	ret = cpns_x25519(my_secret, peer_pub, x->my_pub, x->shared);
	if (ret)
		goto out;
	/* The sender's public key comes first in ctx. */
	ret = cpns_xfer_derive(kind, id, idlen, peer_pub, x->my_pub, x);
	if (ret)
		goto out;
	ret = cpns_xfer_crypt(false, x->wk, kind, id, idlen, wrapped, key);
	if (ret)
		goto out;

	*code = x->code;
out:
	kfree_sensitive(x);
	if (!ret)
		return 0;
err_key:
	memzero_explicit(key, CPNS_KEY_LEN);
	return ret;
}

int cpns_xfer_code(enum cpns_key_kind kind, const u8 *id,
		   const u8 *my_secret, const u8 *peer_pub, u32 *code)
{
	unsigned int idlen = cpns_id_len(kind);
	struct cpns_xfer_ctx *x;
	int ret;

	*code = 0;
	if (!idlen)
		return -EINVAL;
	x = kzalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	ret = cpns_x25519(my_secret, peer_pub, x->my_pub, x->shared);
	if (!ret)
		ret = cpns_xfer_derive(kind, id, idlen, peer_pub, x->my_pub, x);
	if (!ret)
		*code = x->code;
	kfree_sensitive(x);
	return ret;
}

int cpns_xfer_pair_mac(const u8 *pk, unsigned int pklen,
		       enum cpns_key_kind kind, const u8 *id,
		       const u8 *sender_pub, const u8 *receiver_pub, u8 *mac)
{
	unsigned int idlen = cpns_id_len(kind);
	u8 k = kind;
	const struct kvec fields[] = {
		{ .iov_base = &k, .iov_len = 1 },
		{ .iov_base = (void *)id, .iov_len = idlen },
		{ .iov_base = (void *)sender_pub, .iov_len = CPNS_X25519_LEN },
		{ .iov_base = (void *)receiver_pub, .iov_len = CPNS_X25519_LEN },
	};

	if (!idlen) {
		memset(mac, 0, CPNS_MAC_LEN);
		return -EINVAL;
	}
	return cpns_mac(pk, pklen, CPNS_LABEL_XFER_PAIR, fields,
			ARRAY_SIZE(fields), mac);
}

int cpns_xfer_receiver_mac(const u8 *pk, unsigned int pklen,
			   enum cpns_key_kind kind, const u8 *receiver_pub,
			   u8 *mac)
{
	u8 k = kind;
	const struct kvec fields[] = {
		{ .iov_base = &k, .iov_len = 1 },
		{ .iov_base = (void *)receiver_pub, .iov_len = CPNS_X25519_LEN },
	};

	if (!cpns_id_len(kind)) {
		memset(mac, 0, CPNS_MAC_LEN);
		return -EINVAL;
	}
	return cpns_mac(pk, pklen, CPNS_LABEL_XFER_RECEIVER, fields,
			ARRAY_SIZE(fields), mac);
}
