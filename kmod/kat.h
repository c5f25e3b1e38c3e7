/* SPDX-License-Identifier: GPL-2.0 */
/* Known-answer computation and the self-test run at module load. */
#ifndef _CPNS_KAT_H
#define _CPNS_KAT_H

#include <linux/types.h>
#include <linux/cpns.h>
#include "profile.h"

/* The random inputs of one vector of vectors.json. */
struct cpns_kat_in {
	u8 seed[CPNS_SEED_LEN];
	u8 sid[CPNS_SEED_ID_LEN];
	u8 n1[CPNS_NONCE_LEN];
	u8 ch[CPNS_CHALLENGE_LEN];
	u8 nc[CPNS_NONCE_LEN];
	u8 ns[CPNS_NONCE_LEN];
};

/* Its derived outputs, except the AEAD list. */
struct cpns_kat_out {
	u8 ska[CPNS_KEY_LEN];
	u8 request_mac[CPNS_MAC_LEN];
	u8 challenge_mac[CPNS_MAC_LEN];
	u8 did[CPNS_DEVICE_ID_LEN];
	u8 dk[CPNS_KEY_LEN];
	u8 confirm[CPNS_MAC_LEN];
	u8 client_mac[CPNS_MAC_LEN];
	u8 server_mac[CPNS_MAC_LEN];
	struct cpns_session_keys sk;
};

/**
 * cpns_kat_run() - compute every output of one vector through profile.h
 * @in: the inputs
 * @out: the outputs; the caller wipes them (memzero_explicit)
 *
 * Return: 0 or a negative errno.
 */
int cpns_kat_run(const struct cpns_kat_in *in, struct cpns_kat_out *out);

/**
 * cpns_kat_selftest() - check the first vector of vectors.json, AEAD included
 *
 * Return: 0, -EBADMSG on a mismatch (logged), or a negative errno.
 */
int cpns_kat_selftest(void);

#endif /* _CPNS_KAT_H */
