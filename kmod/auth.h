/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow a, mutual authentication, with the re-key of the Device Key at its
 * first use (Documentation/protocol.rst, Documentation/rekey.rst): the
 * steps of GW2 (a-0, a-1, a-4) and of the server (a-0, a-2 and a-3), and
 * the flow they share. Each returns a negative errno with its reason
 * (step.h); the ID of a reason is the Device ID the step was given.
 */
#ifndef _CPNS_AUTH_H
#define _CPNS_AUTH_H

#include <linux/key.h>
#include <linux/types.h>
#include <linux/cpns.h>
#include "netns.h"
#include "pending.h"
#include "record.h"
#include "step.h"

/* How a server flow finds the Device Key it authenticates (rekey.rst). */
enum cpns_flow_key {
	CPNS_FLOW_KEY_SEED = 1,	/* dk from the seed (generation 0), re-key */
	CPNS_FLOW_KEY_RECORD,	/* the record of generation @gen, given at a-0 */
};

/**
 * struct cpns_flow - an a-flow, on GW2 (client) or on the server
 * @obj: its entry in the handle table
 * @has_ns: @ns is known (server: from a-0; client: from a-1)
 * @rekey: the flow replaces the Device Key (CPNS-KA-1-REKEY)
 * @has_shared: @shared is computed (server: at a-0; client: at a-1)
 * @key: server: where the Device Key comes from
 * @gen: the generation of the Device Key the flow authenticates with
 * @did: Device ID
 * @nc: client nonce
 * @ns: server nonce
 * @secret: client, re-key: the ephemeral X25519 secret c until a-1
 * @pc: re-key: the client's ephemeral public key Pc
 * @ps: re-key: the server's ephemeral public key Ps
 * @shared: re-key: X25519(s, Pc) = X25519(c, Ps)
 * @dk: server, @key CPNS_FLOW_KEY_RECORD: the record's Device Key
 * @expiry: server: the record's expiry (0: none)
 * @next_len: server: length of @next, 0 for none
 * @active_len: server, re-key: length of @active
 * @next: server: the record AUTH_SERVER hands out: the re-key's
 *	unconfirmed one, or the unconfirmed record of @gen made active
 * @active: server, re-key: the re-key's record made active, which the
 *	session hands out at its first OPEN
 *
 * The records are made at a-0, the only step given the KEK: they are
 * ciphertext, handed out only once a-2 passed. The object is wiped when
 * freed (kfree_sensitive()).
 */
struct cpns_flow {
	struct cpns_obj obj;
	bool has_ns;
	bool rekey;
	bool has_shared;
	enum cpns_flow_key key;
	u32 gen;
	u8 did[CPNS_DEVICE_ID_LEN];
	u8 nc[CPNS_NONCE_LEN];
	u8 ns[CPNS_NONCE_LEN];
	u8 secret[CPNS_PUBKEY_LEN];
	u8 pc[CPNS_PUBKEY_LEN];
	u8 ps[CPNS_PUBKEY_LEN];
	u8 shared[CPNS_PUBKEY_LEN];
	u8 dk[CPNS_KEY_LEN];
	time64_t expiry;
	u8 next_len;
	u8 active_len;
	u8 next[CPNS_MAX_BLOB];
	u8 active[CPNS_MAX_BLOB];
};

/**
 * cpns_auth_begin() - a-0 on GW2
 * @cn: the namespace
 * @did: Device ID of a Device Key received by II-9
 * @why: why it failed
 *
 * A key of generation 0 (as assigned) is re-keyed: the flow makes the
 * ephemeral key pair (c, Pc).
 *
 * Return: the new flow, with no handle yet (cpns_obj_insert() it, or
 * cpns_obj_discard() it), or an ERR_PTR().
 */
struct cpns_flow *cpns_auth_begin(struct cpns_net *cn, const u8 *did,
				  enum cpns_reason *why);

/**
 * cpns_auth_challenge() - a-0 on the server
 * @cn: the namespace
 * @did: Device ID; its first bytes name the seed
 * @nc: GW2's nonce
 * @gen: the generation GW2 offers
 * @pc: GW2's ephemeral public key Pc, or NULL
 * @ctx: the server's KEK (NULL if not given) and the store row's label
 * @blob: the device's record as the daemon's store holds it, or NULL
 * @bloblen: its length
 * @why: why it failed
 *
 * The record and the generation select the key (rekey.rst, "The server
 * at a-0"): the record's of @gen, or the seed's of generation 0 with a
 * re-key. A re-keying flow makes (s, Ps) and computes the shared secret
 * at once, so that a low-order Pc is refused before anything is pending,
 * and wraps the records it will hand out under @ctx (its KEK is then
 * required).
 *
 * Return: as cpns_auth_begin().
 */
struct cpns_flow *cpns_auth_challenge(struct cpns_net *cn, const u8 *did,
				      const u8 *nc, u32 gen, const u8 *pc,
				      const struct cpns_record_ctx *ctx,
				      const u8 *blob, unsigned int bloblen,
				      enum cpns_reason *why);

/**
 * cpns_auth_client() - a-1 on GW2; the flow stays pending for a-4
 * @cn: the namespace
 * @handle: the flow's handle
 * @portid: the socket it belongs to
 * @ns: the server's nonce
 * @ps: the server's ephemeral public key Ps, or NULL
 * @mac: the a-1 code (CPNS_MAC_LEN)
 * @why: why it failed
 */
int cpns_auth_client(struct cpns_net *cn, u32 handle, u32 portid,
		     const u8 *ns, const u8 *ps, u8 *mac,
		     enum cpns_reason *why);

/**
 * struct cpns_auth_end - what the last step of a flow made
 * @obj: the flow, taken: cpns_auth_commit() or cpns_auth_abort() it
 * @s: the session to put in its place
 * @gen: the generation of the key the session comes from
 * @serial: GW2: the Device Key stored, or 0
 * @blob: server: the record to hand out (in the flow), or NULL
 * @blob_len: its length
 * @state: server: the state of @blob
 * @mac: the server's a-3 code, to send
 */
struct cpns_auth_end {
	struct cpns_obj *obj;
	struct cpns_session *s;
	u32 gen;
	key_serial_t serial;
	const u8 *blob;
	unsigned int blob_len;
	enum cpns_state state;
	u8 mac[CPNS_MAC_LEN];
};

/**
 * cpns_auth_server() - a-2 and a-3 on the server
 * @cn: the namespace
 * @handle: the flow's handle
 * @portid: the socket it belongs to
 * @client_mac: GW2's a-1 code, to check
 * @end: what it made, zeroed by the caller
 * @why: why it failed
 *
 * The flow is spent whatever the code: a wrong a-1 ends it. It stores
 * nothing: a re-keying flow hands out the new record (unconfirmed), a flow
 * authenticated by an unconfirmed record that record made active, for the
 * daemon to store before a-3 leaves (rekey.rst, "Crashes").
 */
int cpns_auth_server(struct cpns_net *cn, u32 handle, u32 portid,
		     const u8 *client_mac, struct cpns_auth_end *end,
		     enum cpns_reason *why);

/**
 * cpns_auth_finish() - a-4 on GW2
 * @cn: the namespace
 * @handle: the flow's handle
 * @portid: the socket it belongs to
 * @server_mac: the server's a-3 code, to check
 * @end: as for cpns_auth_server()
 * @why: why it failed
 *
 * As on the server, a wrong a-3 ends the flow. A re-keying flow replaces
 * the Device Key by dk' (generation + 1, active) before the session
 * exists.
 */
int cpns_auth_finish(struct cpns_net *cn, u32 handle, u32 portid,
		     const u8 *server_mac, struct cpns_auth_end *end,
		     enum cpns_reason *why);

/* The session of @end takes the flow's handle. */
void cpns_auth_commit(struct cpns_pending *p, struct cpns_auth_end *end);

/* @end is undone: the session and the flow are freed. */
void cpns_auth_abort(struct cpns_pending *p, struct cpns_auth_end *end);

#endif /* _CPNS_AUTH_H */
