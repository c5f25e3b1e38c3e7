/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Flow II, Device ID/Key assignment (Documentation/protocol.rst): the steps
 * of GW1 (II-1, II-4, II-8) and of the server (II-2, II-6 and II-7). Each
 * returns 0 or a negative errno with its reason (step.h).
 */
#ifndef _CPNS_ASSIGN_H
#define _CPNS_ASSIGN_H

#include <linux/key.h>
#include <linux/types.h>
#include "netns.h"
#include "record.h"
#include "step.h"

/**
 * cpns_ii_request() - II-1 on GW1: a request nonce and its MAC
 * @cn: the namespace
 * @sid: Seed ID of a seed received by GW1
 * @n1: the new request nonce (CPNS_NONCE_LEN)
 * @mac: its MAC (CPNS_MAC_LEN)
 * @why: why it failed; the ID is @sid
 */
int cpns_ii_request(struct cpns_net *cn, const u8 *sid, u8 *n1, u8 *mac,
		    enum cpns_reason *why);

/**
 * cpns_ii_challenge() - II-2 on the server: check II-1, make a challenge
 * @cn: the namespace
 * @sid: Seed ID of a seed made here
 * @n1: request nonce
 * @req_mac: the II-1 MAC to check
 * @ch: the new challenge (CPNS_CHALLENGE_LEN), pending until II-6
 * @mac: its MAC (CPNS_MAC_LEN)
 * @why: why it failed; the ID is @sid
 *
 * The MAC is checked first, so that a forgery stores nothing.
 */
int cpns_ii_challenge(struct cpns_net *cn, const u8 *sid, const u8 *n1,
		      const u8 *req_mac, u8 *ch, u8 *mac,
		      enum cpns_reason *why);

/**
 * cpns_ii_derive() - II-3 and II-4 on GW1: check II-2, store the Device Key
 * @cn: the namespace
 * @sid: Seed ID of a seed received by GW1
 * @n1: request nonce
 * @ch: challenge
 * @ch_mac: its MAC, to check
 * @did: the Device ID (CPNS_DEVICE_ID_LEN)
 * @serial: the pending Device Key stored
 * @why: why it failed; the ID is @sid
 */
int cpns_ii_derive(struct cpns_net *cn, const u8 *sid, const u8 *n1,
		   const u8 *ch, const u8 *ch_mac, u8 *did,
		   key_serial_t *serial, enum cpns_reason *why);

/**
 * struct cpns_ii_old - the device a re-assignment replaces, on a server
 * @ctx: the server's KEK and the old device's row label
 * @blob: out, its revocation record (CPNS_MAX_BLOB bytes of room)
 * @bloblen: out, its length
 */
struct cpns_ii_old {
	const struct cpns_record_ctx *ctx;
	u8 *blob;
	unsigned int bloblen;
};

/**
 * cpns_ii_confirm() - II-6 and II-7 on the server
 * @cn: the namespace
 * @did: the Device ID GW1 derived
 * @n1: request nonce of the challenge
 * @replaces: the Device ID this device replaces (it is revoked: a
 *	device of one of this server's seeds), or NULL
 * @old: with @replaces, where its revocation record goes (the server
 *	keeps none)
 * @code: the confirmation code (CPNS_MAC_LEN)
 * @why: why it failed; the ID is @did
 *
 * The challenge is consumed when the Device ID matches. A wrong Device ID
 * is rejected and leaves the challenge pending, but only a few times: the
 * last wrong try consumes it, so guesses are bounded (and the timeout
 * bounds them in time too). Anything else that fails leaves it pending.
 */
int cpns_ii_confirm(struct cpns_net *cn, const u8 *did, const u8 *n1,
		    const u8 *replaces, struct cpns_ii_old *old, u8 *code,
		    enum cpns_reason *why);

/**
 * cpns_ii_verify() - II-8 on GW1: check the code, confirm the Device Key
 * @cn: the namespace
 * @did: Device ID of a pending Device Key
 * @code: the confirmation code received
 * @self: a changing-mode device assigning itself: the key becomes its own
 *	gw2 Device Key, marked self-assigned (cpns_device_confirm())
 * @serial: the confirmed Device Key
 * @why: why it failed; the ID is @did
 *
 * A wrong code destroys the pending Device Key.
 */
int cpns_ii_verify(struct cpns_net *cn, const u8 *did, const u8 *code,
		   bool self, key_serial_t *serial, enum cpns_reason *why);

#endif /* _CPNS_ASSIGN_H */
