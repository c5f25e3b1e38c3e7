/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libcpns: the sender's side of a transfer (Documentation/xfer.rst): I-3
 * (SEED_EXPORT, server) and II-9 (DEVICE_EXPORT, GW1) seal the secret in
 * the kernel and give only the sender's public key E and a handle of this
 * socket; XFER_RELEASE gives the sealed key once the kernel accepted the
 * receiver key: the code an operator typed, the receiver kernel's pairing
 * MAC (XFER_PAIR, II-9) or its receiver MAC (XFER_ACCEPT, I-3). Each
 * function returns 0 or a negative errno, with the kernel's extack message
 * in cpns_last_error().
 */
#ifndef CPNS_EXPORT_H
#define CPNS_EXPORT_H

#include <stdint.h>
#include "cpns.h"
#include "keyops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* I-3, server: seal seed sid to the receiver's public key peer. pub
 * receives E, *handle the export to release. */
int cpns_seed_export(struct cpns_nl *nl, const uint8_t sid[CPNS_SEED_ID_LEN],
		     const uint8_t peer[CPNS_PUBKEY_LEN],
		     uint8_t pub[CPNS_PUBKEY_LEN], uint32_t *handle);

/* II-9, GW1: the same for a confirmed Device Key. */
int cpns_device_export(struct cpns_nl *nl,
		       const uint8_t did[CPNS_DEVICE_ID_LEN],
		       const uint8_t peer[CPNS_PUBKEY_LEN],
		       uint8_t pub[CPNS_PUBKEY_LEN], uint32_t *handle);

/* How the sender's kernel is to accept the receiver key. */
enum cpns_proof_kind {
	CPNS_PROOF_CODE = 1,	/* code: what the receiver showed */
	CPNS_PROOF_PAIR,	/* mac: XFER_PAIR's, over E and R */
	CPNS_PROOF_RECEIVER,	/* mac: XFER_ACCEPT's, over R */
};

struct cpns_proof {
	enum cpns_proof_kind kind;
	uint32_t code;
	const struct cpns_keyref *pair_key;	/* for a MAC */
	uint8_t mac[CPNS_MAC_LEN];
};

/*
 * CPNS_CMD_XFER_RELEASE: the sealed key of the export handle, for proof,
 * and the comparison code (for the log). Consumes handle. A proof that does not match fails with -EBADMSG and
 * destroys the export (one attempt); a user pairing key fails with
 * -EKEYREJECTED and changes nothing.
 */
int cpns_xfer_release(struct cpns_nl *nl, uint32_t handle,
		      const struct cpns_proof *proof,
		      uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code);

/*
 * CPNS_CMD_XFER_ACCEPT, receiver: MAC(pair_key, "CPNS transfer receiver",
 * [kind]_1 || R) for the public key R of handle (XFER_NEW, not consumed).
 */
int cpns_xfer_accept(struct cpns_nl *nl, uint32_t handle, unsigned int kind,
		     const struct cpns_keyref *pair_key,
		     uint8_t mac[CPNS_MAC_LEN]);

/*
 * CPNS_CMD_XFER_ACCEPT, sender: is mac the receiver MAC of pub under
 * pair_key? 0, or -EBADMSG. XFER_RELEASE checks it again; this lets a
 * sender refuse before it makes anything.
 */
int cpns_xfer_accept_check(struct cpns_nl *nl, unsigned int kind,
			   const struct cpns_keyref *pair_key,
			   const uint8_t pub[CPNS_PUBKEY_LEN],
			   const uint8_t mac[CPNS_MAC_LEN]);

/*
 * Both ends in one process (tests, benchmarks, a transfer between two
 * namespaces of one host): export id of kind on snd to rpub, the public
 * key of handle rh on rcv; the code rcv's kernel shows (XFER_CODE, the
 * handle not consumed) releases it (XFER_RELEASE). spub, wrapped and the
 * code as for an export. Return: the first failure's errno, its message
 * on the socket that failed.
 */
int cpns_xfer_local(struct cpns_nl *snd, struct cpns_nl *rcv, uint32_t rh,
		    unsigned int kind, const uint8_t *id,
		    const uint8_t rpub[CPNS_PUBKEY_LEN],
		    uint8_t spub[CPNS_PUBKEY_LEN],
		    uint8_t wrapped[CPNS_WRAPPED_LEN], uint32_t *code);

#ifdef __cplusplus
}
#endif

#endif /* CPNS_EXPORT_H */
