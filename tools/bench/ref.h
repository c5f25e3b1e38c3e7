/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The userspace baseline: CPNS-KA-1 over OpenSSL, function for function the
 * kernel's kmod/primitives.h and kmod/profile.h, and the computation that
 * each cpns command does, so that one kernel command and its baseline do
 * the same cryptographic work. Every function returns 0 or a negative
 * errno (-EBADMSG when a MAC, code or tag does not verify).
 */
#ifndef CPNS_BENCH_REF_H
#define CPNS_BENCH_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "cpns.h"
#include "vectors.h"

/* ------------------------------------------------------- primitives */

/* Fetch HMAC-SHA256 and AES-256-GCM once. 0 or -EOPNOTSUPP. */
int ref_init(void);
void ref_fini(void);

/* OpenSSL's version string, for the report. */
const char *ref_version(void);

/* len random bytes from OpenSSL's DRBG. */
int ref_random(void *buf, size_t len);

/* MAC(K, label, f1, f2, ...) = HMAC(K, label || 0x00 || f1 || f2 ...) */
int ref_mac(const uint8_t *key, size_t keylen, const char *label,
	    const struct iovec *f, unsigned int nf, uint8_t out[CPNS_MAC_LEN]);

/* KDF(K, label, context, 8 * outlen): SP 800-108 counter mode, HMAC-SHA256 */
int ref_kdf(const uint8_t *key, size_t keylen, const char *label,
	    const struct iovec *ctx, unsigned int nctx, uint8_t *out,
	    size_t outlen);

/* One keyed AES-256-GCM direction, as one kernel "gcm(aes)" transform. */
struct ref_aead;

struct ref_aead *ref_aead_new(const uint8_t key[CPNS_KEY_LEN], bool seal);
void ref_aead_free(struct ref_aead *a);
/* SEAL(K, seq, aad, pt): out gets len + CPNS_TAG_LEN bytes. */
int ref_seal(struct ref_aead *a, uint64_t seq, const void *aad, size_t aadlen,
	     const void *pt, size_t len, uint8_t *out);
/* OPEN: ct is len bytes (ciphertext || tag); out gets len - tag bytes. */
int ref_open(struct ref_aead *a, uint64_t seq, const void *aad, size_t aadlen,
	     const void *ct, size_t len, uint8_t *out);

/* ------------------------------------------------- the profile's values */

int ref_seed_auth_key(const uint8_t *seed, const uint8_t *sid, uint8_t *ska);
int ref_assign_request_mac(const uint8_t *ska, const uint8_t *sid,
			   const uint8_t *n1, uint8_t *mac);
int ref_assign_challenge_mac(const uint8_t *ska, const uint8_t *sid,
			     const uint8_t *n1, const uint8_t *ch,
			     uint8_t *mac);
int ref_device_id(const uint8_t *seed, const uint8_t *sid, const uint8_t *ch,
		  uint8_t *did);
int ref_device_key(const uint8_t *seed, const uint8_t *did, uint8_t *dk);
int ref_assign_confirm(const uint8_t *dk, const uint8_t *did,
		       const uint8_t *ch, uint8_t *code);
int ref_auth_client_mac(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns, uint8_t *mac);
int ref_auth_server_mac(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns, uint8_t *mac);

struct ref_session_keys {
	uint8_t c2s[CPNS_KEY_LEN];
	uint8_t s2c[CPNS_KEY_LEN];
};

int ref_session_keys(const uint8_t *dk, const uint8_t *did,
		     const uint8_t *nc, const uint8_t *ns,
		     struct ref_session_keys *sk);

/*
 * Every output of one known-answer input, as the kernel's KAT command
 * computes it (each value once, one AES-GCM key per direction used). Free
 * out with cpns_kat_output_clear().
 */
int ref_kat(const struct cpns_kat_input *in, struct cpns_kat_output *out);

/* ------------------------------------------ what each command computes */

/*
 * The random values (n1, ch, nc, ns) are inputs here: the benchmark draws
 * them with ref_random() as the kernel draws its own, and the checks pass
 * a vector's values instead.
 */

/*
 * The module keeps each seed's ska (ref_seed_auth_key()) with the seed,
 * made once with it: the steps of flow II take it as an input.
 */
/* ASSIGN_REQUEST (GW1, II-1): the request MAC. */
int ref_cmd_assign_request(const uint8_t *ska, const uint8_t *sid,
			   const uint8_t *n1, uint8_t *mac);
/* ASSIGN_CHALLENGE (server, II-2/II-3): check mac, challenge MAC. */
int ref_cmd_assign_challenge(const uint8_t *ska, const uint8_t *sid,
			     const uint8_t *n1, const uint8_t *mac,
			     const uint8_t *ch, uint8_t *ch_mac);
/* ASSIGN_DERIVE (GW1, II-3 check, II-4): check ch_mac, did, dk. */
int ref_cmd_assign_derive(const uint8_t *seed, const uint8_t *ska,
			  const uint8_t *sid, const uint8_t *n1,
			  const uint8_t *ch, const uint8_t *ch_mac,
			  uint8_t *did, uint8_t *dk);
/* ASSIGN_CONFIRM (server, II-6/II-7): recompute and compare did, dk, code. */
int ref_cmd_assign_confirm(const uint8_t *seed, const uint8_t *sid,
			   const uint8_t *ch, const uint8_t *did,
			   uint8_t *code);
/* ASSIGN_VERIFY (GW1, II-8): recompute and compare the code. */
int ref_cmd_assign_verify(const uint8_t *dk, const uint8_t *did,
			  const uint8_t *ch, const uint8_t *code);
/* AUTH_CLIENT (GW2, a-1). */
int ref_cmd_auth_client(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns, uint8_t *mac);
/* AUTH_SERVER (server, a-2/a-3): dk from the seed, check, code, keys. */
int ref_cmd_auth_server(const uint8_t *seed, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns,
			const uint8_t *client_mac, uint8_t *server_mac,
			struct ref_session_keys *sk);
/* AUTH_FINISH (GW2, a-4): check the server's code, keys. */
int ref_cmd_auth_finish(const uint8_t *dk, const uint8_t *did,
			const uint8_t *nc, const uint8_t *ns,
			const uint8_t *server_mac, struct ref_session_keys *sk);

/* A session as the kernel keeps one: a sealing and an opening key. */
struct ref_session {
	struct ref_aead *seal;
	struct ref_aead *open;
};

/* server: seal with s2c, open with c2s; GW2 the other way. Wipes *sk. */
int ref_session_new(struct ref_session *s, bool server,
		    struct ref_session_keys *sk);
void ref_session_free(struct ref_session *s);

#endif /* CPNS_BENCH_REF_H */
