/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Known-answer files of every kind: the profile's vectors.json (CPNS-KA-1,
 * run by CPNS_KAT_CMD_KAT, API in cpns.h) and the extensions' files
 * Documentation/{xfer,rekey,store}-vectors.json (CPNS-KA-1-XFER, -REKEY,
 * -STORE, run by CPNS_KAT_CMD_KAT_EXT), of the test family cpns_kat. A file says what it is in its
 * "profile" field. Every value here is a test value from such a file;
 * buffers are wiped before they are freed all the same.
 *
 * libcpnsvec.a: cpnsctl kat, the KAT selftests and cpns-bench link it. It
 * builds its requests with the netlink client's internals (internal.h)
 * and parses the files with json-c.
 */
#ifndef CPNS_LIB_VECTORS_H
#define CPNS_LIB_VECTORS_H

#include <stdbool.h>

#include "cpns.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- KAT */

struct cpns_kat_aead_in {
	uint8_t dir;			/* enum cpns_dir */
	uint64_t seq;
	const uint8_t *aad;
	size_t aad_len;			/* at most CPNS_MAX_AAD */
	const uint8_t *pt;
	size_t pt_len;			/* at most CPNS_MAX_PLAINTEXT */
};

struct cpns_kat_input {
	uint8_t key_seed[CPNS_SEED_LEN];
	uint8_t seed_id[CPNS_SEED_ID_LEN];
	uint8_t request_nonce[CPNS_NONCE_LEN];
	uint8_t challenge[CPNS_CHALLENGE_LEN];
	uint8_t client_nonce[CPNS_NONCE_LEN];
	uint8_t server_nonce[CPNS_NONCE_LEN];
	size_t naead;			/* at most CPNS_MAX_KAT_AEAD */
	struct cpns_kat_aead_in aead[CPNS_MAX_KAT_AEAD];
};

struct cpns_kat_aead_out {
	uint8_t dir;
	uint64_t seq;
	uint8_t *data;			/* sealed: ciphertext || tag (malloc) */
	size_t len;
};

/* Field names are those of vectors.json "outputs". */
struct cpns_kat_output {
	uint8_t seed_auth_key[CPNS_KEY_LEN];
	uint8_t assign_request_mac[CPNS_MAC_LEN];
	uint8_t assign_challenge_mac[CPNS_MAC_LEN];
	uint8_t device_id[CPNS_DEVICE_ID_LEN];
	uint8_t device_key[CPNS_KEY_LEN];
	uint8_t assign_confirm[CPNS_MAC_LEN];
	uint8_t auth_client_mac[CPNS_MAC_LEN];
	uint8_t auth_server_mac[CPNS_MAC_LEN];
	uint8_t session_key_c2s[CPNS_KEY_LEN];
	uint8_t session_key_s2c[CPNS_KEY_LEN];
	size_t naead;
	struct cpns_kat_aead_out aead[CPNS_MAX_KAT_AEAD];
};

/*
 * CPNS_KAT_CMD_KAT: have the kernel compute every output of one vector. On
 * success fills *out (free it with cpns_kat_output_clear()); on error *out
 * holds nothing to free.
 */
int cpns_kat(struct cpns_nl *nl, const struct cpns_kat_input *in,
	     struct cpns_kat_output *out);

/* Wipe *out and free its AEAD buffers. */
void cpns_kat_output_clear(struct cpns_kat_output *out);

/*
 * Called once per compared field, in vectors.json order: field is the JSON
 * name ("device_id", ...), or for AEAD entries "sealed" with aead >= 0 (an
 * entry matches when its dir, seq and sealed bytes all match), or
 * "aead_count" if the numbers of entries differ; aead is -1 otherwise.
 */
typedef void (*cpns_kat_report_fn)(const char *field, int aead, bool ok,
				   void *arg);

/* The field of out named as in vectors.json ("device_id"); NULL if there
 * is none (AEAD entries are in out->aead). */
const uint8_t *cpns_kat_field(const struct cpns_kat_output *out,
			      const char *name, size_t *len);

/* Compare got with want field by field. Return the number of mismatches. */
int cpns_kat_check(const struct cpns_kat_output *want,
		   const struct cpns_kat_output *got,
		   cpns_kat_report_fn report, void *arg);

/* ------------------------------------------------------- vectors.json */

struct cpns_vector {
	struct cpns_kat_input in;	/* aead[].aad/pt point into the set */
	struct cpns_kat_output want;	/* expected outputs */
};

struct cpns_vectors {
	char *profile;			/* "CPNS-KA-1" */
	size_t n;
	struct cpns_vector *v;
};

/*
 * Parse a vectors.json document strictly: every field present, no unknown
 * field, hex of the exact length, seq a non-negative integer, sealed one
 * tag longer than plaintext, at most CPNS_MAX_KAT_AEAD entries. On error
 * return -EINVAL (or -ENOMEM) and write a message naming the vector and
 * field to err, e.g. "vector 1: outputs.device_id: expected 32 hex digits
 * (16 bytes), got 30".
 */
int cpns_vectors_parse(const char *text, struct cpns_vectors **out,
		       char *err, size_t errlen);

/* Same, from a file ("-" is standard input); errors name the file too. */
int cpns_vectors_load(const char *path, struct cpns_vectors **out,
		      char *err, size_t errlen);

void cpns_vectors_free(struct cpns_vectors *vs);

/* kat.c: the fixed-size fields of struct cpns_kat_input and
 * struct cpns_kat_output, in vectors.json order. */
struct cpns_kat_field {
	const char *name;	/* JSON name */
	size_t off;		/* offset in the struct */
	size_t len;
	uint16_t attr;		/* netlink attribute */
};

extern const struct cpns_kat_field cpns__kat_in_fields[];
extern const size_t cpns__kat_in_nfields;
extern const struct cpns_kat_field cpns__kat_out_fields[];
extern const size_t cpns__kat_out_nfields;

enum cpns_vec_kind {
	CPNS_VEC_PROFILE,	/* "CPNS-KA-1" */
	CPNS_VEC_XFER,		/* "CPNS-KA-1-XFER" */
	CPNS_VEC_REKEY,		/* "CPNS-KA-1-REKEY" */
	CPNS_VEC_STORE,		/* "CPNS-KA-1-STORE" */
};

#define CPNS_VEC_SALT_LEN	16	/* CPNS-KA-1-STORE salt */

/* The "profile" value of a kind ("CPNS-KA-1-XFER"). */
const char *cpns_vec_profile(enum cpns_vec_kind kind);

/* ------------------------------------------------ one extension vector */

struct cpns_katx_xfer_in {
	uint8_t key_kind;			/* enum cpns_key_kind */
	uint8_t id[CPNS_DEVICE_ID_LEN];		/* id_len bytes used */
	size_t id_len;
	uint8_t sender_secret[CPNS_PUBKEY_LEN];
	uint8_t receiver_secret[CPNS_PUBKEY_LEN];
	uint8_t key[CPNS_KEY_LEN];
	uint8_t pair_key[CPNS_MAX_KAT_KEK];
	size_t pair_key_len;
};

struct cpns_katx_xfer_out {
	uint8_t sender_public[CPNS_PUBKEY_LEN];
	uint8_t receiver_public[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
	uint32_t code;				/* the sender's */
	uint8_t pair_mac[CPNS_MAC_LEN];
	uint8_t receiver_mac[CPNS_MAC_LEN];	/* XFER_ACCEPT's */
	/* The receiver's end; in a file's expected outputs: code and the
	 * input key. */
	uint32_t receiver_code;
	uint8_t receiver_key[CPNS_KEY_LEN];
};

struct cpns_katx_rekey_in {
	uint8_t device_id[CPNS_DEVICE_ID_LEN];
	uint8_t device_key[CPNS_KEY_LEN];
	uint32_t generation;
	uint8_t client_nonce[CPNS_NONCE_LEN];
	uint8_t server_nonce[CPNS_NONCE_LEN];
	uint8_t client_secret[CPNS_PUBKEY_LEN];
	uint8_t server_secret[CPNS_PUBKEY_LEN];
	size_t naead;
	struct cpns_kat_aead_in aead[CPNS_MAX_KAT_AEAD];
};

struct cpns_katx_rekey_out {
	uint8_t client_public[CPNS_PUBKEY_LEN];
	uint8_t server_public[CPNS_PUBKEY_LEN];
	uint8_t auth_client_mac[CPNS_MAC_LEN];
	uint8_t auth_server_mac[CPNS_MAC_LEN];
	uint32_t new_generation;
	uint8_t new_device_key[CPNS_KEY_LEN];
	uint8_t session_key_c2s[CPNS_KEY_LEN];
	uint8_t session_key_s2c[CPNS_KEY_LEN];
	size_t naead;
	struct cpns_kat_aead_out aead[CPNS_MAX_KAT_AEAD];
};

/* The metadata and key a storage blob carries. */
struct cpns_katx_stored {
	uint8_t key_kind;			/* enum cpns_key_kind */
	uint8_t role;				/* enum cpns_role */
	uint8_t state;				/* enum cpns_state */
	uint32_t generation;
	uint64_t created;
	uint64_t expiry;
	uint8_t id[CPNS_DEVICE_ID_LEN];		/* id_len bytes used */
	size_t id_len;
	uint8_t key[CPNS_KEY_LEN];
};

struct cpns_katx_store_in {
	uint8_t kek[CPNS_MAX_KAT_KEK];
	size_t kek_len;
	struct cpns_katx_stored meta;
	uint8_t salt[CPNS_VEC_SALT_LEN];
	uint8_t label[CPNS_MAX_LABEL];
	size_t label_len;
};

struct cpns_katx_store_out {
	uint8_t blob[CPNS_MAX_BLOB];
	size_t blob_len;
	/* What unwrapping the blob gave; in a file: the inputs. */
	struct cpns_katx_stored unwrapped;
};

struct cpns_katx_in {
	enum cpns_vec_kind kind;		/* not CPNS_VEC_PROFILE */
	union {
		struct cpns_katx_xfer_in xfer;
		struct cpns_katx_rekey_in rekey;
		struct cpns_katx_store_in store;
	} u;
};

struct cpns_katx_out {
	enum cpns_vec_kind kind;
	union {
		struct cpns_katx_xfer_out xfer;
		struct cpns_katx_rekey_out rekey;
		struct cpns_katx_store_out store;
	} u;
};

/*
 * CPNS_KAT_CMD_KAT_EXT: have the kernel compute one extension vector. On
 * success fills *out (free it with cpns_katx_out_clear()); on error *out
 * holds nothing to free.
 */
int cpns_kat_ext(struct cpns_nl *nl, const struct cpns_katx_in *in,
		 struct cpns_katx_out *out);

/* Wipe *out and free what it holds. */
void cpns_katx_out_clear(struct cpns_katx_out *out);

/*
 * Called once per compared field: field is the name in the file's
 * "outputs" ("wrapped", "new_device_key", "blob"), "receiver.code" and
 * "receiver.key" (the transfer's receiving end), "unwrapped.<input>" (what
 * opening a storage blob gave back), "sealed" with aead >= 0, or
 * "aead_count"; aead is -1 otherwise. want and got are printable (hex, or
 * decimal for numbers), NULL for "aead_count".
 */
typedef void (*cpns_katx_report_fn)(const char *field, int aead, bool ok,
				    const char *want, const char *got,
				    void *arg);

/* Compare got with want field by field. Return the number of mismatches,
 * or -ENOMEM (reported as nothing). */
int cpns_katx_check(const struct cpns_katx_out *want,
		    const struct cpns_katx_out *got,
		    cpns_katx_report_fn report, void *arg);

/* ------------------------------------------------------ a file of them */

struct cpns_katx {
	char *name;			/* the vector's "name", or NULL */
	struct cpns_katx_in in;
	struct cpns_katx_out want;
};

struct cpns_vecfile {
	enum cpns_vec_kind kind;
	size_t n;
	struct cpns_vectors *profile;	/* CPNS_VEC_PROFILE: the vectors */
	struct cpns_katx *v;		/* the others: n vectors */
};

/*
 * Parse a known-answer file of any kind strictly, as cpns_vectors_parse()
 * does the profile's: the kind from "profile", every input and output
 * present, no unknown field ("intermediate" values, "name", "generator"
 * and "note" are allowed and not compared), hex of the exact length,
 * numbers and names in range. Errors name the vector and field.
 */
int cpns_vecfile_parse(const char *text, struct cpns_vecfile **out,
		       char *err, size_t errlen);

/* Same, from a file ("-" is standard input); errors name the file too. */
int cpns_vecfile_load(const char *path, struct cpns_vecfile **out,
		      char *err, size_t errlen);

void cpns_vecfile_free(struct cpns_vecfile *vf);

#ifdef __cplusplus
}
#endif

#endif /* CPNS_LIB_VECTORS_H */
