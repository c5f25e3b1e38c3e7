/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libcpns: the userspace side of the cpns Generic Netlink family
 * (include/uapi/linux/cpns.h).
 *
 * One struct cpns_nl is one netlink socket. Pending objects (transfer key
 * pairs, a-flows) and sessions belong to the socket that made them, so a
 * caller keeps one handle for the whole of a flow. A handle is not
 * thread-safe; use one per thread.
 *
 * Every function that talks to the kernel returns 0 or a negative errno;
 * cpns_last_error() then says why, in the kernel's words when the kernel
 * gave an extended ACK message. The library never returns a secret: the
 * kernel keeps Key Seeds, Device Keys and session keys. (The KAT commands,
 * which return test values from test inputs, are cpnsctl/vectors/'s.)
 * Buffers that carried protocol values are wiped (explicit_bzero) before
 * they are freed or reused, but an OPEN's request: its handle, sequence
 * number, additional data and ciphertext travel in the clear.
 */
#ifndef CPNS_LIB_H
#define CPNS_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>
#include <linux/cpns.h>
#include <linux/cpns_kat.h>

#include "hex.h"	/* the codec library's hex helpers (libcpnscodec.a) */

#ifdef __cplusplus
extern "C" {
#endif

struct cpns_nl;		/* a netlink socket bound to the cpns family */
struct cpns_msg;	/* a request being built */
struct cpns_reply;	/* one parsed reply message (or one nested attribute) */

/* ---------------------------------------------------------------- handle */

/**
 * cpns_open() - open a netlink socket and resolve the "cpns" family
 *
 * Return: a handle, or NULL with errno set: ENOENT when the family is not
 * registered (the module is not loaded), or another errno.
 */
struct cpns_nl *cpns_open(void);

/* The same for the Generic Netlink family @name (e.g. CPNS_KAT_GENL_NAME). */
struct cpns_nl *cpns_open_family(const char *name);

/* Close the socket; the kernel frees the socket's pending objects/sessions. */
void cpns_close(struct cpns_nl *nl);

/* The family id the kernel gave "cpns". */
uint16_t cpns_family(const struct cpns_nl *nl);

/* The socket's file descriptor (for poll(); the library reads it itself). */
int cpns_fd(const struct cpns_nl *nl);

/* ---------------------------------------------------------------- errors */

/* What went wrong in the last failed call on a handle. */
struct cpns_error {
	int err;		/* 0 or the negative errno returned */
	char msg[256];		/* kernel's extack message, or library text,
				 * or strerror(-err); never empty after error */
	bool from_kernel;	/* msg is the kernel's extack message */
	int32_t offset;		/* NLMSGERR_ATTR_OFFS: byte offset of the bad
				 * attribute in the request, from its nlmsghdr;
				 * -1 if the kernel gave none */
	int attr_type;		/* type of the attribute at offset, -1 if none */
	int attr_nest;		/* type of the nest holding it, 0 = top level */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE: required attribute
				 * that was missing, -1 if none */
	int32_t miss_nest;	/* NLMSGERR_ATTR_MISS_NEST offset, -1 if none */
};

/* The last failure's message; "" if the last call succeeded. */
const char *cpns_last_error(const struct cpns_nl *nl);

/* The last failure in full (err == 0 if the last call succeeded). */
const struct cpns_error *cpns_last(const struct cpns_nl *nl);

/* ---------------------------------------------------------------- names */

/* Lowercase names ("assign_request", "bad_mac", "gw1", "pending", "seed");
 * "?" for an unknown value. */
const char *cpns_cmd_name(unsigned int cmd);
const char *cpns_fail_name(unsigned int reason);
const char *cpns_role_name(unsigned int role);
const char *cpns_state_name(unsigned int state);
const char *cpns_kind_name(unsigned int kind);
const char *cpns_attr_name(unsigned int type);	/* "seed_id", "handle" */

/* ---------------------------------------------------------------- info */

struct cpns_info {
	uint32_t version;		/* CPNS_A_VERSION */
	int32_t keyring;		/* serial of the namespace's ".cpns" */
	uint32_t pending_max;
	uint32_t pending_timeout;	/* seconds */
	uint32_t session_max;
};

/* CPNS_CMD_GET_INFO (no privilege needed). */
int cpns_get_info(struct cpns_nl *nl, struct cpns_info *info);

struct cpns_stats {
	struct {
		bool seen;		/* the kernel reported this command */
		uint64_t ok;
		uint64_t failed;
	} op[CPNS_CMD_MAX + 1];		/* indexed by enum cpns_cmd */
	struct {
		bool seen;
		uint64_t count;
	} fail[CPNS_FAIL_MAX + 1];	/* indexed by enum cpns_fail */
	uint32_t pending_count;
	uint32_t session_count;
};

/* CPNS_CMD_GET_STATS. Entries the kernel did not report stay zero. */
int cpns_get_stats(struct cpns_nl *nl, struct cpns_stats *stats);

/* ---------------------------------------------------------------- keys */

struct cpns_key {
	int32_t serial;
	uint8_t kind;			/* enum cpns_key_kind */
	uint8_t role;			/* enum cpns_role */
	uint8_t state;			/* enum cpns_state */
	uint8_t id[CPNS_DEVICE_ID_LEN];	/* Seed ID or Device ID */
	size_t id_len;			/* CPNS_SEED_ID_LEN or CPNS_DEVICE_ID_LEN */
	uint64_t expiry;		/* seconds since the epoch, 0 = none */
	uint32_t generation;		/* 0 = as assigned, +1 per re-key */
	bool self_assigned;		/* gw2 key its namespace assigned
					 * to itself (changing mode)
					 */
};

/*
 * Called once per key. Return 0 to go on, non-zero to stop calling (the
 * dump is still read to its end) and have cpns_keys_dump() return it.
 */
typedef int (*cpns_key_fn)(const struct cpns_key *key, void *arg);

/*
 * CPNS_CMD_KEY_GET dump. Return 0, what fn returned, -EAGAIN if the kernel
 * marked the dump interrupted by a concurrent change (start again), or a
 * negative errno.
 */
int cpns_keys_dump(struct cpns_nl *nl, cpns_key_fn fn, void *arg);

/* CPNS_CMD_KEY_DEL of a seed or of a Device Key. */
int cpns_key_del_seed(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN]);
int cpns_key_del_device(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN]);

/* ---------------------------------------------------------- flow I */

/* I-2, server: a new Key Seed. timeout in seconds, 0 = none. */
int cpns_seed_new(struct cpns_nl *nl, uint32_t timeout,
		  uint8_t sid[CPNS_SEED_ID_LEN], int32_t *serial);

/* Receiver of I-3 or II-9: an ephemeral X25519 key pair in the kernel,
 * bound to this socket. */
int cpns_xfer_new(struct cpns_nl *nl, uint32_t *handle,
		  uint8_t pub[CPNS_PUBKEY_LEN]);

/* I-3, server: SEED_EXPORT and XFER_RELEASE are in export.h. */

/* I-3, GW1: open and store the seed; consumes handle. */
int cpns_seed_import(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t sid[CPNS_SEED_ID_LEN],
		     const uint8_t peer[CPNS_PUBKEY_LEN],
		     const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		     int32_t *serial, uint32_t *code);

/* ---------------------------------------------------------- flow II */

/* II-1, GW1. */
int cpns_assign_request(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
			uint8_t n1[CPNS_NONCE_LEN], uint8_t mac[CPNS_MAC_LEN]);

/* II-2/II-3, server. */
int cpns_assign_challenge(struct cpns_nl *nl,
			  const uint8_t sid[CPNS_SEED_ID_LEN],
			  const uint8_t n1[CPNS_NONCE_LEN],
			  const uint8_t mac[CPNS_MAC_LEN],
			  uint8_t ch[CPNS_CHALLENGE_LEN],
			  uint8_t ch_mac[CPNS_MAC_LEN]);

/* II-3 check and II-4, GW1: the Device Key is stored pending. */
int cpns_assign_derive(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		       const uint8_t n1[CPNS_NONCE_LEN],
		       const uint8_t ch[CPNS_CHALLENGE_LEN],
		       const uint8_t ch_mac[CPNS_MAC_LEN],
		       uint8_t did[CPNS_DEVICE_ID_LEN], int32_t *serial);

/* II-6/II-7, server. */
int cpns_assign_confirm(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			const uint8_t n1[CPNS_NONCE_LEN],
			uint8_t code[CPNS_MAC_LEN]);

/* II-8, GW1. state receives the new enum cpns_state (may be NULL). */
int cpns_assign_verify(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t code[CPNS_MAC_LEN], int32_t *serial,
		       uint8_t *state);
/*
 * II-8 of a changing-mode device assigning itself (no II-9): on a match
 * the Device Key becomes this namespace's own, role gw2, state active,
 * marked self-assigned (Documentation/keys.rst).
 */
int cpns_assign_verify_self(struct cpns_nl *nl,
			    const uint8_t did[CPNS_DEVICE_ID_LEN],
			    const uint8_t code[CPNS_MAC_LEN], int32_t *serial);

/* II-9, GW1: DEVICE_EXPORT and XFER_RELEASE are in export.h. */

/* II-9, GW2: open and store it; consumes handle. */
int cpns_device_import(struct cpns_nl *nl, uint32_t handle,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t peer[CPNS_PUBKEY_LEN],
		       const uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t timeout,
		       int32_t *serial, uint32_t *code);

/* ---------------------------------------------------------- flow a */

/*
 * The re-key values of one a-flow (CPNS-KA-1-REKEY, Documentation/rekey.rst).
 * A Device Key of generation 0 (as assigned) is replaced at its first
 * authentication: GW2's a-0 message carries did, nc, generation and
 * client_pub; the server's answer carries ns and server_pub; GW2 passes
 * server_pub to AUTH_CLIENT. A flow with a key of generation 1 or more
 * carries did, nc and generation only. Every field is public.
 */
struct cpns_rekey {
	/* a-0: set by cpns_auth_begin_rk(), given to cpns_auth_challenge_rk() */
	uint32_t generation;	/* of the Device Key the flow authenticates */
	bool rekey;		/* the flow re-keys: client_pub (and, after
				 * a-0, server_pub) are set */
	uint8_t client_pub[CPNS_PUBKEY_LEN];	/* Pc */
	/* a-0: set by cpns_auth_challenge_rk(), given to cpns_auth_client_rk() */
	uint8_t server_pub[CPNS_PUBKEY_LEN];	/* Ps */
	/* Set by cpns_auth_server_rk() (server) or cpns_auth_finish_rk() (GW2): */
	uint32_t new_generation;	/* of the key the session comes from */
	int32_t serial;		/* the key stored or confirmed; 0 if none */
	uint8_t state;		/* its state: server CPNS_STATE_UNCONFIRMED
				 * (re-keyed: persist it before sending a-3)
				 * or CPNS_STATE_ACTIVE (confirmed); GW2
				 * CPNS_STATE_ACTIVE (persist it before the
				 * first sealed message); 0 if none */
};

/*
 * a-0, GW2. With rk (may be NULL: then the key must be of generation 1 or
 * more), rk->generation, rk->rekey and rk->client_pub are set.
 */
int cpns_auth_begin_rk(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN], uint32_t *handle,
		       uint8_t nc[CPNS_NONCE_LEN], struct cpns_rekey *rk);

/*
 * a-0, server. rk (may be NULL: generation 0, no re-key) gives what GW2
 * sent: generation, rekey and client_pub; when the flow re-keys,
 * rk->server_pub is set, to be sent to GW2 with ns.
 */
int cpns_auth_challenge_rk(struct cpns_nl *nl,
			   const uint8_t did[CPNS_DEVICE_ID_LEN],
			   const uint8_t nc[CPNS_NONCE_LEN],
			   struct cpns_rekey *rk, uint32_t *handle,
			   uint8_t ns[CPNS_NONCE_LEN]);

/* a-1, GW2: rk->server_pub is sent when rk->rekey (rk may be NULL). */
int cpns_auth_client_rk(struct cpns_nl *nl, uint32_t handle,
			const uint8_t ns[CPNS_NONCE_LEN],
			const struct cpns_rekey *rk,
			uint8_t client_mac[CPNS_MAC_LEN]);

/*
 * a-2/a-3, server. rk (may be NULL) gets new_generation and, when the flow
 * made a record (cpns_auth_server_rec()), its state; serial is 0: the
 * server holds no device keys.
 */
int cpns_auth_server_rk(struct cpns_nl *nl, uint32_t handle,
			const uint8_t client_mac[CPNS_MAC_LEN],
			uint8_t server_mac[CPNS_MAC_LEN],
			struct cpns_rekey *rk);

/*
 * a-4, GW2. rk (may be NULL) gets new_generation and, when the Device Key
 * was replaced, its serial and state CPNS_STATE_ACTIVE.
 */
int cpns_auth_finish_rk(struct cpns_nl *nl, uint32_t handle,
			const uint8_t server_mac[CPNS_MAC_LEN],
			struct cpns_rekey *rk);

/*
 * The server's device record (Documentation/rekey.rst, "Records on the
 * server"): the server's kernel keeps no object per device, its daemon
 * keeps each device's record as a blob of KEY_WRAP's format (role server,
 * kind Device Key) in its store, under the server's KEK and the label of
 * the store row, and hands it to the kernel with the request that needs
 * it. The blob is ciphertext: no secret leaves the kernel.
 */
struct cpns_keyref;	/* keyops.h: a KEK named by type and description */

/* What the daemon gives AUTH_CHALLENGE about the device's record. */
struct cpns_record_ref {
	/* The server's KEK: required with a blob and whenever the flow
	 * re-keys (a generation 0 flow with no record, or an unconfirmed
	 * one), so in practice always. */
	const struct cpns_keyref *kek;
	const void *label;	/* the store row's label, bound into every
				 * blob of the flow; may be NULL */
	size_t label_len;	/* at most CPNS_MAX_LABEL */
	const void *blob;	/* the row's blob; NULL: no record */
	size_t blob_len;	/* at most CPNS_MAX_BLOB */
};

/* A record the kernel made, for the daemon to store in the row. */
struct cpns_record {
	uint8_t blob[CPNS_MAX_BLOB];
	size_t blob_len;	/* 0: nothing to store */
	uint8_t state;		/* CPNS_STATE_UNCONFIRMED, _ACTIVE or
				 * _REVOKED; 0 with blob_len 0 */
	uint32_t generation;	/* the record's generation (revoked: 0) */
};

/*
 * a-0, server, as cpns_auth_challenge_rk(), with the device's record.
 * rec may be NULL (no KEK, no record: only a flow that neither re-keys
 * nor needs a record gets past a-0, i.e. none that succeeds).
 * -EBADMSG: the blob does not open (another KEK or label, altered, or of
 * another Device ID); -EKEYREVOKED: the record is a revocation.
 */
int cpns_auth_challenge_rec(struct cpns_nl *nl,
			    const uint8_t did[CPNS_DEVICE_ID_LEN],
			    const uint8_t nc[CPNS_NONCE_LEN],
			    struct cpns_rekey *rk,
			    const struct cpns_record_ref *rec,
			    uint32_t *handle, uint8_t ns[CPNS_NONCE_LEN]);

/*
 * a-2/a-3, server, as cpns_auth_server_rk(). rec (may be NULL) gets the
 * record the flow made (blob_len 0: none): the re-key's generation 1
 * unconfirmed record, or the unconfirmed record the flow authenticated
 * with, now active. Store it (compare-and-set against the row read at
 * a-0) before sending a-3; if the row changed meanwhile, end the session
 * and do not send a-3.
 */
int cpns_auth_server_rec(struct cpns_nl *nl, uint32_t handle,
			 const uint8_t client_mac[CPNS_MAC_LEN],
			 uint8_t server_mac[CPNS_MAC_LEN],
			 struct cpns_rekey *rk, struct cpns_record *rec);

/*
 * CPNS_CMD_OPEN, as cpns_unseal(). On a server, rec (may be NULL) gets,
 * once per re-keyed session (its first message opened), the device
 * record now active: store it (compare-and-set: only over the
 * unconfirmed record that AUTH_SERVER gave). blob_len 0: nothing.
 */
int cpns_unseal_rec(struct cpns_nl *nl, uint32_t handle, uint64_t seq,
		    const void *aad, size_t aadlen, const void *in, size_t len,
		    void *out, size_t *outlen, struct cpns_record *rec);

/*
 * The same with rk NULL, for existing callers. Without the re-key values
 * the server takes generation 0, which must re-key: the kernel refuses
 * such a flow (EINVAL, "CPNS_A_PUBKEY ... is required").
 */
int cpns_auth_begin(struct cpns_nl *nl, const uint8_t did[CPNS_DEVICE_ID_LEN],
		    uint32_t *handle, uint8_t nc[CPNS_NONCE_LEN]);
int cpns_auth_challenge(struct cpns_nl *nl,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			const uint8_t nc[CPNS_NONCE_LEN], uint32_t *handle,
			uint8_t ns[CPNS_NONCE_LEN]);
int cpns_auth_client(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t ns[CPNS_NONCE_LEN],
		     uint8_t client_mac[CPNS_MAC_LEN]);
int cpns_auth_server(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t client_mac[CPNS_MAC_LEN],
		     uint8_t server_mac[CPNS_MAC_LEN]);
int cpns_auth_finish(struct cpns_nl *nl, uint32_t handle,
		     const uint8_t server_mac[CPNS_MAC_LEN]);

/*
 * CPNS_CMD_SEAL. *outlen: in, the size of out (len + CPNS_TAG_LEN is
 * enough); out, the bytes written. -ENOSPC if out is too small.
 */
int cpns_seal(struct cpns_nl *nl, uint32_t handle, const void *aad,
	      size_t aadlen, const void *pt, size_t len, uint64_t *seq,
	      void *out, size_t *outlen);

/* CPNS_CMD_OPEN (named unseal here: cpns_open() opens the handle). */
int cpns_unseal(struct cpns_nl *nl, uint32_t handle, uint64_t seq,
		const void *aad, size_t aadlen, const void *in, size_t len,
		void *out, size_t *outlen);

/*
 * The same; on a server, *confirmed (may be NULL) is 1 when this message
 * confirmed the session's re-keyed device record (cpns_unseal_rec() gives
 * the record to store), else 0. Only the first message of a re-keyed
 * session confirms (Documentation/rekey.rst).
 */
int cpns_unseal_rk(struct cpns_nl *nl, uint32_t handle, uint64_t seq,
		   const void *aad, size_t aadlen, const void *in, size_t len,
		   void *out, size_t *outlen, int32_t *confirmed);

/* CPNS_CMD_SESSION_DEL. */
int cpns_session_del(struct cpns_nl *nl, uint32_t handle);

/* ------------------------------------------------------ batches */

/*
 * CPNS_CMD_BATCH (Documentation/netlink.rst): many requests of one command
 * in one message, answered in one message, each item with its own result.
 * The library splits the items into batches of at most cpns_batch_max()
 * items, each request at most 192 KiB (less if net.core.wmem_max keeps
 * the socket's send buffer smaller) and its reply's bound at most that
 * and CPNS_BATCH_ITEM_ROOM for 64 items: one sendmsg() and one recvmsg()
 * per batch. A failed item changes nothing the command alone
 * would not have changed; the other items run as if it were not there.
 */

/* One item's result. */
struct cpns_item_result {
	size_t index;		/* the item's position among all n */
	int err;		/* 0 or the item's negative errno */
	const char *msg;	/* its extack message, or NULL; valid during
				 * the callback only */
	int attr_type;		/* the item's attribute at fault, -1 if none */
	int miss_type;		/* the required attribute missing, -1 if none */
};

/*
 * A failed item's result as cpns_last() would describe the command run
 * alone: err, the kernel's message (or strerror()), the attribute at
 * fault and the one missing; no offsets.
 */
void cpns_item_error(const struct cpns_item_result *res,
		     struct cpns_error *e);

/* Put item i's attributes (the batch opened its nest): 0 or -errno. */
typedef int (*cpns_item_build_fn)(struct cpns_msg *msg, size_t i, void *arg);

/*
 * Item res->index answered: item holds its reply attributes (none on
 * failure). Return 0 to go on, non-zero to stop calling (the batch is
 * still read to its end) and have cpns_batch() return it.
 */
typedef int (*cpns_item_fn)(const struct cpns_reply *item,
			    const struct cpns_item_result *res, void *arg);

/*
 * Run n requests of cmd (a command CPNS_CMD_BATCH accepts) built by build,
 * calling done (may be NULL) for each in order. Return 0 once every item
 * was answered, whatever each item's result; what done returned; or the
 * negative errno of a batch refused whole (with cpns_last(); the items of
 * earlier batches have run, those of this one and later ones have not).
 */
int cpns_batch(struct cpns_nl *nl, uint8_t cmd, size_t n,
	       cpns_item_build_fn build, cpns_item_fn done, void *arg);

/* The kernel's batch_max (GET_INFO, asked once): > 0, or a negative errno
 * (-EOPNOTSUPP: the module has no CPNS_CMD_BATCH). */
int cpns_batch_max(struct cpns_nl *nl);

/*
 * The items of the commands a server runs once per flow, for cpns_batch():
 * *_item() puts the attributes the single call sends (0 or -EMSGSIZE);
 * *_item_reply() reads an item's reply as the single call reads its own
 * (0, or -EBADMSG if it lacks what the call requires). As
 * cpns_assign_challenge(), cpns_assign_confirm() (no REPLACES),
 * cpns_auth_challenge_rec() (its record is checked by the kernel alone)
 * and cpns_auth_server_rec().
 */
int cpns_assign_challenge_item(struct cpns_msg *msg,
			       const uint8_t sid[CPNS_SEED_ID_LEN],
			       const uint8_t n1[CPNS_NONCE_LEN],
			       const uint8_t mac[CPNS_MAC_LEN]);
int cpns_assign_challenge_item_reply(const struct cpns_reply *item,
				     uint8_t ch[CPNS_CHALLENGE_LEN],
				     uint8_t ch_mac[CPNS_MAC_LEN]);
int cpns_assign_confirm_item(struct cpns_msg *msg,
			     const uint8_t did[CPNS_DEVICE_ID_LEN],
			     const uint8_t n1[CPNS_NONCE_LEN]);
int cpns_assign_confirm_item_reply(const struct cpns_reply *item,
				   uint8_t code[CPNS_MAC_LEN]);
int cpns_auth_challenge_item(struct cpns_msg *msg,
			     const uint8_t did[CPNS_DEVICE_ID_LEN],
			     const uint8_t nc[CPNS_NONCE_LEN],
			     const struct cpns_rekey *rk,
			     const struct cpns_record_ref *rec);
int cpns_auth_challenge_item_reply(const struct cpns_reply *item,
				   struct cpns_rekey *rk, uint32_t *handle,
				   uint8_t ns[CPNS_NONCE_LEN]);
int cpns_auth_server_item(struct cpns_msg *msg, uint32_t handle,
			  const uint8_t client_mac[CPNS_MAC_LEN]);
int cpns_auth_server_item_reply(const struct cpns_reply *item,
				uint8_t server_mac[CPNS_MAC_LEN],
				struct cpns_rekey *rk, struct cpns_record *rec);

/* One SEAL of cpns_seal_batch(). */
struct cpns_seal_item {
	uint32_t handle;
	const void *aad;
	size_t aadlen;
	const void *pt;
	size_t len;
	void *out;		/* len + CPNS_TAG_LEN bytes are enough */
	size_t outlen;		/* in: the size of out; out: bytes written */
	uint64_t seq;		/* out: the sequence number used */
	int err;		/* out: 0 or the item's negative errno */
};

/* One OPEN of cpns_unseal_batch(). */
struct cpns_open_item {
	uint32_t handle;
	uint64_t seq;
	const void *aad;
	size_t aadlen;
	const void *in;		/* ciphertext || tag */
	size_t len;
	void *out;		/* len - CPNS_TAG_LEN bytes are enough */
	size_t outlen;		/* in: the size of out; out: bytes written */
	int32_t confirmed;	/* out: as cpns_unseal_rk()'s, or 0 */
	struct cpns_record *rec;	/* NULL, or out: as cpns_unseal_rec()'s */
	int err;		/* out: 0 or the item's negative errno */
};

/*
 * SEAL and OPEN of n messages, batched as cpns_batch() does; each item's
 * err says how it went (an item whose out is too small: -ENOSPC). Return
 * 0, or the negative errno of a batch refused whole: the items that did
 * not run keep err -ECANCELED.
 */
int cpns_seal_batch(struct cpns_nl *nl, struct cpns_seal_item *items,
		    size_t n);
int cpns_unseal_batch(struct cpns_nl *nl, struct cpns_open_item *items,
		      size_t n);

/*
 * One item of either, for a caller's own cpns_batch() (or one request):
 * its attributes into msg (0 or -EMSGSIZE), and a good reply into it
 * (0, -ENOSPC if out is too small, -EBADMSG if malformed; it->err is
 * left to the caller).
 */
int cpns_seal_item_put(struct cpns_msg *msg, const struct cpns_seal_item *it);
int cpns_seal_item_reply(const struct cpns_reply *item,
			 struct cpns_seal_item *it);
int cpns_open_item_put(struct cpns_msg *msg, const struct cpns_open_item *it);
int cpns_open_item_reply(const struct cpns_reply *item,
			 struct cpns_open_item *it);

/*
 * SESSION_DEL of n handles, batched as cpns_batch() does; errs[i] (errs
 * may be NULL) gets handle i's result: 0 or its negative errno (-ENOENT:
 * gone already). Return as cpns_seal_batch().
 */
int cpns_session_del_batch(struct cpns_nl *nl, const uint32_t *handles,
			   size_t n, int *errs);

/* ------------------------------------------------ generic requests */

/*
 * A request message: nlmsghdr, genlmsghdr (cmd, version
 * CPNS_GENL_VERSION), attributes. cpns_msg_new() is pure (no socket), so
 * tests can build and inspect messages; flags are added to
 * NLM_F_REQUEST. The put functions return 0 or -EMSGSIZE. Nothing checks
 * types or lengths: this is how tests send malformed requests.
 */
struct cpns_msg *cpns_msg_new(uint16_t family, uint8_t cmd, uint16_t flags);
struct cpns_msg *cpns_msg_new_size(uint16_t family, uint8_t cmd,
				   uint16_t flags, size_t size);
void cpns_msg_free(struct cpns_msg *msg);	/* wipes the buffer */
int cpns_msg_put(struct cpns_msg *msg, uint16_t type, const void *data,
		 size_t len);
int cpns_msg_put_u8(struct cpns_msg *msg, uint16_t type, uint8_t v);
int cpns_msg_put_u32(struct cpns_msg *msg, uint16_t type, uint32_t v);
int cpns_msg_put_s32(struct cpns_msg *msg, uint16_t type, int32_t v);
int cpns_msg_put_u64(struct cpns_msg *msg, uint16_t type, uint64_t v);
/* NULL if no room; close with cpns_msg_nest_end(). */
struct nlattr *cpns_msg_nest_start(struct cpns_msg *msg, uint16_t type);
int cpns_msg_nest_end(struct cpns_msg *msg, struct nlattr *nest);
/* Append raw bytes (padded to 4) after the last attribute, e.g. a
 * truncated or overlong attribute header. */
int cpns_msg_append(struct cpns_msg *msg, const void *data, size_t len);
/* The whole message as it will be sent (nlmsg_len bytes). */
const void *cpns_msg_data(const struct cpns_msg *msg, size_t *len);

/*
 * Called once per reply message (a dump: once per message of the dump).
 * Return 0 to go on, > 0 to stop calling, < 0 to fail the request with
 * that value; the replies are read to the end either way.
 */
typedef int (*cpns_reply_fn)(const struct cpns_reply *reply, void *arg);

/*
 * Send msg (not freed) on nl, then read every reply to it. A command that
 * answers with a reply of its own (every command of cpns but KEY_DEL and
 * SESSION_DEL, every command of cpns_kat) is sent without NLM_F_ACK, unless
 * msg already has it, and ends with its reply; the others, dumps and
 * commands of other families are sent with NLM_F_ACK and end with the ACK
 * (or NLMSG_DONE of a dump). A failure ends with NLMSG_ERROR and its
 * extended ACK either way. Each message is read whole by one recvmsg()
 * into a buffer the socket keeps. Replies are checked against the lengths
 * of include/uapi/linux/cpns.h before reply() sees them; a malformed reply
 * fails with -EBADMSG. Return 0, the callback's value (see above), -EAGAIN
 * for an interrupted dump, or the kernel's negative errno (with its extack
 * in cpns_last()).
 */
int cpns_msg_send(struct cpns_nl *nl, struct cpns_msg *msg,
		  cpns_reply_fn reply, void *arg);

typedef int (*cpns_build_fn)(struct cpns_msg *msg, void *arg);

/*
 * The escape hatch: build a request of cmd with flags (e.g. NLM_F_DUMP) on
 * nl's family by calling build (may be NULL; a negative return aborts),
 * and send it as cpns_msg_send() does. reply may be NULL.
 */
int cpns_request(struct cpns_nl *nl, uint8_t cmd, uint16_t flags,
		 cpns_build_fn build, void *build_arg,
		 cpns_reply_fn reply, void *reply_arg);

/* ------------------------------------------------- reading replies */

uint8_t cpns_reply_cmd(const struct cpns_reply *r);	/* genl cmd */
const struct nlmsghdr *cpns_reply_nlh(const struct cpns_reply *r);
bool cpns_reply_has(const struct cpns_reply *r, uint16_t type);
/* The last attribute of type (NULL if absent); *len may be NULL. */
const void *cpns_reply_get(const struct cpns_reply *r, uint16_t type,
			   size_t *len);
/* Fixed-size binary or integer attributes: 0 or -ENODATA if absent. */
int cpns_reply_copy(const struct cpns_reply *r, uint16_t type, void *out,
		    size_t len);
int cpns_reply_u8(const struct cpns_reply *r, uint16_t type, uint8_t *v);
int cpns_reply_u32(const struct cpns_reply *r, uint16_t type, uint32_t *v);
int cpns_reply_s32(const struct cpns_reply *r, uint16_t type, int32_t *v);
int cpns_reply_u64(const struct cpns_reply *r, uint16_t type, uint64_t *v);

/*
 * Call fn for every attribute of type in r, in order, with its payload
 * parsed as a nested attribute set (CPNS_A_KAT_AEAD: enum cpns_aead_attr;
 * CPNS_A_STATS, CPNS_STATS_A_OP, CPNS_STATS_A_FAIL: enum cpns_stats_attr).
 * fn's non-zero return stops the walk and is returned. -EBADMSG if a nest
 * is malformed.
 */
int cpns_reply_foreach(const struct cpns_reply *r, uint16_t type,
		       cpns_reply_fn fn, void *arg);

/*
 * Parse one complete netlink message (nlmsghdr, genlmsghdr, attributes)
 * of the cpns family, checking attribute lengths, into a reply (for tests
 * and tools that hold raw messages). buf must outlive the reply. Return 0
 * or -EBADMSG, with a reason in err if err is not NULL.
 */
int cpns_reply_parse(const void *buf, size_t len, struct cpns_reply **out,
		     char *err, size_t errlen);
void cpns_reply_free(struct cpns_reply *r);

/*
 * Decode an NLMSG_ERROR (or NLMSG_DONE) message answering request req
 * (reqlen bytes, used to name the attribute at the extack offset) into e.
 * Return the message's error (0 for an ACK, a negative errno) or -EBADMSG
 * if the message is malformed.
 */
int cpns_parse_ack(const void *buf, size_t len, const void *req,
		   size_t reqlen, struct cpns_error *e);

#ifdef __cplusplus
}
#endif

#endif /* CPNS_LIB_H */
