// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The userspace baseline: CPNS-KA-1 over OpenSSL (ref.h).
 *
 * It mirrors the kernel's choices where they cost something: a MAC or a
 * KDF keys a fresh HMAC context (the kernel allocates a transform per
 * call), the KDF keys it once for all its blocks (crypto_kdf108 does), and
 * a session keeps one keyed AES-GCM context per direction (the kernel keeps
 * one transform each). Algorithms are fetched once, as the kernel's
 * lookups hit its algorithm cache.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "ref.h"

#define REF_IV_LEN	12

static EVP_MAC *hmac;
static EVP_MAC_CTX *hmac_sha256;	/* digest set, no key: dup'ed per use */
static EVP_CIPHER *aes_gcm;

static const uint8_t label_sep;	/* the 0x00 after a label */

int ref_init(void)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 digest, 0),
		OSSL_PARAM_construct_end(),
	};

	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!hmac)
		goto err;
	hmac_sha256 = EVP_MAC_CTX_new(hmac);
	if (!hmac_sha256 || !EVP_MAC_CTX_set_params(hmac_sha256, params))
		goto err;
	aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	if (!aes_gcm)
		goto err;
	return 0;

err:
	ref_fini();
	return -EOPNOTSUPP;
}

void ref_fini(void)
{
	EVP_CIPHER_free(aes_gcm);
	EVP_MAC_CTX_free(hmac_sha256);
	EVP_MAC_free(hmac);
	aes_gcm = NULL;
	hmac_sha256 = NULL;
	hmac = NULL;
}

const char *ref_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

int ref_random(void *buf, size_t len)
{
	if (len > INT_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	put_be32(p, v >> 32);
	put_be32(p + 4, (uint32_t)v);
}

static EVP_MAC_CTX *hmac_new(const uint8_t *key, size_t keylen)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_dup(hmac_sha256);

	if (c && !EVP_MAC_init(c, key, keylen, NULL)) {
		EVP_MAC_CTX_free(c);
		c = NULL;
	}
	return c;
}

/* label || 0x00 || f[0] || ... into an initialised HMAC. */
static int hmac_fields(EVP_MAC_CTX *c, const char *label,
		       const struct iovec *f, unsigned int nf)
{
	unsigned int i;

	if (!EVP_MAC_update(c, (const uint8_t *)label, strlen(label)) ||
	    !EVP_MAC_update(c, &label_sep, 1))
		return 0;
	for (i = 0; i < nf; i++)
		if (!EVP_MAC_update(c, f[i].iov_base, f[i].iov_len))
			return 0;
	return 1;
}

int ref_mac(const uint8_t *key, size_t keylen, const char *label,
	    const struct iovec *f, unsigned int nf, uint8_t out[CPNS_MAC_LEN])
{
	EVP_MAC_CTX *c;
	size_t outl = 0;
	int ok;

	c = hmac_new(key, keylen);
	if (!c)
		return -ENOMEM;
	ok = hmac_fields(c, label, f, nf) &&
	     EVP_MAC_final(c, out, &outl, CPNS_MAC_LEN) &&
	     outl == CPNS_MAC_LEN;
	EVP_MAC_CTX_free(c);	/* cleanses the keyed state */
	if (!ok) {
		OPENSSL_cleanse(out, CPNS_MAC_LEN);
		return -EIO;
	}
	return 0;
}

int ref_kdf(const uint8_t *key, size_t keylen, const char *label,
	    const struct iovec *ctx, unsigned int nctx, uint8_t *out,
	    size_t outlen)
{
	uint8_t block[CPNS_MAC_LEN], counter[4], bits[4];
	size_t done, n, blen;
	EVP_MAC_CTX *c;
	uint32_t i;
	int ok = 1;

	/* L is a 32-bit count of bits. */
	if (!outlen || outlen > UINT32_MAX / 8)
		return -EINVAL;
	put_be32(bits, (uint32_t)(outlen * 8));

	c = hmac_new(key, keylen);
	if (!c)
		return -ENOMEM;
	/* T(i) = HMAC(K, [i]_4 || label || 0x00 || context || [L]_4) */
	for (i = 1, done = 0; ok && done < outlen; i++) {
		/* A NULL key restarts the MAC with the key already set. */
		if (i > 1 && !EVP_MAC_init(c, NULL, 0, NULL)) {
			ok = 0;
			break;
		}
		put_be32(counter, i);
		blen = 0;
		ok = EVP_MAC_update(c, counter, sizeof(counter)) &&
		     hmac_fields(c, label, ctx, nctx) &&
		     EVP_MAC_update(c, bits, sizeof(bits)) &&
		     EVP_MAC_final(c, block, &blen, sizeof(block)) &&
		     blen == sizeof(block);
		if (!ok)
			break;
		n = outlen - done < sizeof(block) ? outlen - done :
						    sizeof(block);
		memcpy(out + done, block, n);
		done += n;
	}
	OPENSSL_cleanse(block, sizeof(block));
	EVP_MAC_CTX_free(c);
	if (!ok) {
		OPENSSL_cleanse(out, outlen);
		return -EIO;
	}
	return 0;
}

struct ref_aead {
	EVP_CIPHER_CTX *ctx;
	bool seal;
};

struct ref_aead *ref_aead_new(const uint8_t key[CPNS_KEY_LEN], bool seal)
{
	struct ref_aead *a;

	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->seal = seal;
	a->ctx = EVP_CIPHER_CTX_new();
	if (!a->ctx)
		goto err_free;
	/* The IV comes per message; GCM's default IV length is 12. */
	if (!EVP_CipherInit_ex2(a->ctx, aes_gcm, key, NULL, seal, NULL))
		goto err_ctx;
	return a;

err_ctx:
	EVP_CIPHER_CTX_free(a->ctx);
err_free:
	free(a);
	return NULL;
}

void ref_aead_free(struct ref_aead *a)
{
	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->ctx);	/* cleanses the key schedule */
	free(a);
}

/* nonce = [0]_4 || [seq]_8, then the additional data. */
static int aead_start(struct ref_aead *a, uint64_t seq, const void *aad,
		      size_t aadlen)
{
	uint8_t iv[REF_IV_LEN] = { 0 };
	int outl;

	put_be64(iv + 4, seq);
	if (!EVP_CipherInit_ex2(a->ctx, NULL, NULL, iv, a->seal, NULL))
		return 0;
	if (aadlen && !EVP_CipherUpdate(a->ctx, NULL, &outl, aad, (int)aadlen))
		return 0;
	return 1;
}

int ref_seal(struct ref_aead *a, uint64_t seq, const void *aad, size_t aadlen,
	     const void *pt, size_t len, uint8_t *out)
{
	int outl = 0, finl = 0;

	if (!a->seal || aadlen > INT_MAX || len > INT_MAX - CPNS_TAG_LEN)
		return -EINVAL;
	if (!aead_start(a, seq, aad, aadlen) ||
	    (len && !EVP_CipherUpdate(a->ctx, out, &outl, pt, (int)len)) ||
	    !EVP_CipherFinal_ex(a->ctx, out + outl, &finl) ||
	    (size_t)(outl + finl) != len ||
	    !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, CPNS_TAG_LEN,
				 out + len)) {
		OPENSSL_cleanse(out, len + CPNS_TAG_LEN);
		return -EIO;
	}
	return 0;
}

int ref_open(struct ref_aead *a, uint64_t seq, const void *aad, size_t aadlen,
	     const void *ct, size_t len, uint8_t *out)
{
	uint8_t tag[CPNS_TAG_LEN];
	int outl = 0, finl = 0;
	size_t ptlen;

	if (a->seal || len < CPNS_TAG_LEN || aadlen > INT_MAX ||
	    len > INT_MAX)
		return -EINVAL;
	ptlen = len - CPNS_TAG_LEN;
	memcpy(tag, (const uint8_t *)ct + ptlen, sizeof(tag));
	if (!aead_start(a, seq, aad, aadlen) ||
	    (ptlen && !EVP_CipherUpdate(a->ctx, out, &outl, ct, (int)ptlen)) ||
	    !EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, CPNS_TAG_LEN,
				 tag)) {
		OPENSSL_cleanse(out, ptlen);
		return -EIO;
	}
	if (EVP_CipherFinal_ex(a->ctx, out + outl, &finl) != 1) {
		OPENSSL_cleanse(out, ptlen);
		return -EBADMSG;
	}
	return 0;
}

/* ------------------------------------------------- the profile's values */

#define IOV(p, n) { .iov_base = (void *)(p), .iov_len = (n) }

int ref_seed_auth_key(const uint8_t *seed, const uint8_t *sid, uint8_t *ska)
{
	const struct iovec c[] = { IOV(sid, CPNS_SEED_ID_LEN) };

	return ref_kdf(seed, CPNS_SEED_LEN, "CPNS seed auth", c, 1, ska,
		       CPNS_KEY_LEN);
}

int ref_assign_request_mac(const uint8_t *ska, const uint8_t *sid,
			   const uint8_t *n1, uint8_t *mac)
{
	const struct iovec f[] = {
		IOV(sid, CPNS_SEED_ID_LEN), IOV(n1, CPNS_NONCE_LEN),
	};

	return ref_mac(ska, CPNS_KEY_LEN, "CPNS assign request", f, 2, mac);
}

int ref_assign_challenge_mac(const uint8_t *ska, const uint8_t *sid,
			     const uint8_t *n1, const uint8_t *ch,
			     uint8_t *mac)
{
	const struct iovec f[] = {
		IOV(sid, CPNS_SEED_ID_LEN), IOV(n1, CPNS_NONCE_LEN),
		IOV(ch, CPNS_CHALLENGE_LEN),
	};

	return ref_mac(ska, CPNS_KEY_LEN, "CPNS assign challenge", f, 3, mac);
}

int ref_device_id(const uint8_t *seed, const uint8_t *sid, const uint8_t *ch,
		  uint8_t *did)
{
	const struct iovec c[] = { IOV(ch, CPNS_CHALLENGE_LEN) };

	memcpy(did, sid, CPNS_SEED_ID_LEN);
	return ref_kdf(seed, CPNS_SEED_LEN, "CPNS device id", c, 1,
		       did + CPNS_SEED_ID_LEN,
		       CPNS_DEVICE_ID_LEN - CPNS_SEED_ID_LEN);
}

int ref_device_key(const uint8_t *seed, const uint8_t *did, uint8_t *dk)
{
	const struct iovec c[] = { IOV(did, CPNS_DEVICE_ID_LEN) };

	return ref_kdf(seed, CPNS_SEED_LEN, "CPNS device key", c, 1, dk,
		       CPNS_KEY_LEN);
}

int ref_assign_confirm(const uint8_t *dk, const uint8_t *did,
		       const uint8_t *ch, uint8_t *code)
{
	const struct iovec f[] = {
		IOV(did, CPNS_DEVICE_ID_LEN), IOV(ch, CPNS_CHALLENGE_LEN),
	};

	return ref_mac(dk, CPNS_KEY_LEN, "CPNS assign confirm", f, 2, code);
}

static int auth_mac(const char *label, const uint8_t *dk, const uint8_t *did,
		    const uint8_t *nc, const uint8_t *ns, uint8_t *mac)
{
	const struct iovec f[] = {
		IOV(did, CPNS_DEVICE_ID_LEN), IOV(nc, CPNS_NONCE_LEN),
		IOV(ns, CPNS_NONCE_LEN),
	};

	return ref_mac(dk, CPNS_KEY_LEN, label, f, 3, mac);
}

int ref_auth_client_mac(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns, uint8_t *mac)
{
	return auth_mac("CPNS auth client", dk, did, nc, ns, mac);
}

int ref_auth_server_mac(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns, uint8_t *mac)
{
	return auth_mac("CPNS auth server", dk, did, nc, ns, mac);
}

int ref_session_keys(const uint8_t *dk, const uint8_t *did,
		     const uint8_t *nc, const uint8_t *ns,
		     struct ref_session_keys *sk)
{
	const struct iovec c[] = {
		IOV(did, CPNS_DEVICE_ID_LEN), IOV(nc, CPNS_NONCE_LEN),
		IOV(ns, CPNS_NONCE_LEN),
	};
	uint8_t out[2 * CPNS_KEY_LEN];
	int err;

	err = ref_kdf(dk, CPNS_KEY_LEN, "CPNS session keys", c, 3, out,
		      sizeof(out));
	if (!err) {
		memcpy(sk->c2s, out, CPNS_KEY_LEN);
		memcpy(sk->s2c, out + CPNS_KEY_LEN, CPNS_KEY_LEN);
	}
	OPENSSL_cleanse(out, sizeof(out));
	return err;
}

/* ------------------------------------------------------------- KAT */

static int kat_aead(const struct cpns_kat_input *in,
		    const struct ref_session_keys *sk,
		    struct cpns_kat_output *out)
{
	struct ref_aead *a[2] = { NULL, NULL };
	const struct cpns_kat_aead_in *e;
	int err = 0;
	size_t i;

	for (i = 0; i < in->naead && !err; i++) {
		e = &in->aead[i];
		if (e->dir > CPNS_DIR_S2C) {
			err = -EINVAL;
			break;
		}
		if (!a[e->dir]) {
			a[e->dir] = ref_aead_new(e->dir == CPNS_DIR_S2C ?
						 sk->s2c : sk->c2s, true);
			if (!a[e->dir]) {
				err = -ENOMEM;
				break;
			}
		}
		out->aead[i].data = malloc(e->pt_len + CPNS_TAG_LEN);
		if (!out->aead[i].data) {
			err = -ENOMEM;
			break;
		}
		out->aead[i].len = e->pt_len + CPNS_TAG_LEN;
		out->aead[i].dir = e->dir;
		out->aead[i].seq = e->seq;
		out->naead = i + 1;
		err = ref_seal(a[e->dir], e->seq, e->aad, e->aad_len, e->pt,
			       e->pt_len, out->aead[i].data);
	}
	ref_aead_free(a[CPNS_DIR_C2S]);
	ref_aead_free(a[CPNS_DIR_S2C]);
	return err;
}

int ref_kat(const struct cpns_kat_input *in, struct cpns_kat_output *out)
{
	struct ref_session_keys sk;
	int err;

	memset(out, 0, sizeof(*out));
	err = ref_seed_auth_key(in->key_seed, in->seed_id, out->seed_auth_key);
	if (!err)
		err = ref_assign_request_mac(out->seed_auth_key, in->seed_id,
					     in->request_nonce,
					     out->assign_request_mac);
	if (!err)
		err = ref_assign_challenge_mac(out->seed_auth_key, in->seed_id,
					       in->request_nonce, in->challenge,
					       out->assign_challenge_mac);
	if (!err)
		err = ref_device_id(in->key_seed, in->seed_id, in->challenge,
				    out->device_id);
	if (!err)
		err = ref_device_key(in->key_seed, out->device_id,
				     out->device_key);
	if (!err)
		err = ref_assign_confirm(out->device_key, out->device_id,
					 in->challenge, out->assign_confirm);
	if (!err)
		err = ref_auth_client_mac(out->device_key, out->device_id,
					  in->client_nonce, in->server_nonce,
					  out->auth_client_mac);
	if (!err)
		err = ref_auth_server_mac(out->device_key, out->device_id,
					  in->client_nonce, in->server_nonce,
					  out->auth_server_mac);
	if (!err)
		err = ref_session_keys(out->device_key, out->device_id,
				       in->client_nonce, in->server_nonce, &sk);
	if (!err) {
		memcpy(out->session_key_c2s, sk.c2s, CPNS_KEY_LEN);
		memcpy(out->session_key_s2c, sk.s2c, CPNS_KEY_LEN);
		err = kat_aead(in, &sk, out);
	}
	OPENSSL_cleanse(&sk, sizeof(sk));
	if (err)
		cpns_kat_output_clear(out);
	return err;
}

/* ------------------------------------------ what each command computes */

int ref_cmd_assign_request(const uint8_t *ska, const uint8_t *sid,
			   const uint8_t *n1, uint8_t *mac)
{
	return ref_assign_request_mac(ska, sid, n1, mac);
}

int ref_cmd_assign_challenge(const uint8_t *ska, const uint8_t *sid,
			     const uint8_t *n1, const uint8_t *mac,
			     const uint8_t *ch, uint8_t *ch_mac)
{
	uint8_t want[CPNS_MAC_LEN];
	int err;

	err = ref_assign_request_mac(ska, sid, n1, want);
	if (!err && CRYPTO_memcmp(want, mac, CPNS_MAC_LEN))
		err = -EBADMSG;
	if (!err)
		err = ref_assign_challenge_mac(ska, sid, n1, ch, ch_mac);
	return err;
}

int ref_cmd_assign_derive(const uint8_t *seed, const uint8_t *ska,
			  const uint8_t *sid, const uint8_t *n1,
			  const uint8_t *ch, const uint8_t *ch_mac,
			  uint8_t *did, uint8_t *dk)
{
	uint8_t want[CPNS_MAC_LEN];
	int err;

	err = ref_assign_challenge_mac(ska, sid, n1, ch, want);
	if (!err && CRYPTO_memcmp(want, ch_mac, CPNS_MAC_LEN))
		err = -EBADMSG;
	if (!err)
		err = ref_device_id(seed, sid, ch, did);
	if (!err)
		err = ref_device_key(seed, did, dk);
	return err;
}

int ref_cmd_assign_confirm(const uint8_t *seed, const uint8_t *sid,
			   const uint8_t *ch, const uint8_t *did,
			   uint8_t *code)
{
	uint8_t expect[CPNS_DEVICE_ID_LEN], dk[CPNS_KEY_LEN];
	int err;

	if (CRYPTO_memcmp(did, sid, CPNS_SEED_ID_LEN))
		return -EBADMSG;
	err = ref_device_id(seed, sid, ch, expect);
	if (!err && CRYPTO_memcmp(expect, did, CPNS_DEVICE_ID_LEN))
		err = -EBADMSG;
	if (!err)
		err = ref_device_key(seed, did, dk);
	if (!err)
		err = ref_assign_confirm(dk, did, ch, code);
	OPENSSL_cleanse(dk, sizeof(dk));
	return err;
}

int ref_cmd_assign_verify(const uint8_t *dk, const uint8_t *did,
			  const uint8_t *ch, const uint8_t *code)
{
	uint8_t want[CPNS_MAC_LEN];
	int err;

	err = ref_assign_confirm(dk, did, ch, want);
	if (!err && CRYPTO_memcmp(want, code, CPNS_MAC_LEN))
		err = -EBADMSG;
	return err;
}

int ref_cmd_auth_client(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns, uint8_t *mac)
{
	return ref_auth_client_mac(dk, did, nc, ns, mac);
}

int ref_cmd_auth_server(const uint8_t *seed, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns,
			const uint8_t *client_mac, uint8_t *server_mac,
			struct ref_session_keys *sk)
{
	uint8_t dk[CPNS_KEY_LEN], want[CPNS_MAC_LEN];
	int err;

	err = ref_device_key(seed, did, dk);
	if (!err)
		err = ref_auth_client_mac(dk, did, nc, ns, want);
	if (!err && CRYPTO_memcmp(want, client_mac, CPNS_MAC_LEN))
		err = -EBADMSG;
	if (!err)
		err = ref_auth_server_mac(dk, did, nc, ns, server_mac);
	if (!err)
		err = ref_session_keys(dk, did, nc, ns, sk);
	OPENSSL_cleanse(dk, sizeof(dk));
	return err;
}

int ref_cmd_auth_finish(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns,
			const uint8_t *server_mac, struct ref_session_keys *sk)
{
	uint8_t want[CPNS_MAC_LEN];
	int err;

	err = ref_auth_server_mac(dk, did, nc, ns, want);
	if (!err && CRYPTO_memcmp(want, server_mac, CPNS_MAC_LEN))
		err = -EBADMSG;
	if (!err)
		err = ref_session_keys(dk, did, nc, ns, sk);
	return err;
}

int ref_session_new(struct ref_session *s, bool server,
		    struct ref_session_keys *sk)
{
	s->seal = ref_aead_new(server ? sk->s2c : sk->c2s, true);
	s->open = ref_aead_new(server ? sk->c2s : sk->s2c, false);
	OPENSSL_cleanse(sk, sizeof(*sk));
	if (!s->seal || !s->open) {
		ref_session_free(s);
		return -ENOMEM;
	}
	return 0;
}

void ref_session_free(struct ref_session *s)
{
	ref_aead_free(s->seal);
	ref_aead_free(s->open);
	s->seal = NULL;
	s->open = NULL;
}
