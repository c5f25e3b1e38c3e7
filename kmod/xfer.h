/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key transfer (extension CPNS-KA-1-XFER, Documentation/xfer.rst): I-3
 * (Key Seed, server to GW1) and II-9 (Device Key, GW1 to GW2) move between
 * kernels sealed under a key derived from an ephemeral X25519 exchange, so
 * that the daemons carrying them only ever see public keys and ciphertext.
 *
 *   shared = X25519(eph_secret, peer_public)        (kpp "curve25519")
 *   ctx    = [kind]_1 || id || sender_public || receiver_public
 *   wk     = KDF(shared, "CPNS transfer wrap", ctx, 256)
 *   code   = [KDF(shared, "CPNS transfer code", ctx, 32)]_4 mod 1000000
 *   wrapped = SEAL(wk, 0, [kind]_1 || id, secret)   (48 bytes)
 *
 * kind is enum cpns_key_kind; id is the Seed ID (8 bytes) or Device ID (16).
 *
 * Confirming the transfer (XFER_CODE, XFER_PAIR): the receiver computes
 * the code before it imports anything, and both ends may prove knowledge
 * of a pre-shared pairing key pk over the exchange:
 *
 *   pair   = MAC(pk, "CPNS transfer pair", [kind]_1, id, sender_public,
 *                receiver_public)
 *
 * The sender's kernel releases wrapped (XFER_RELEASE) only for a receiver
 * key it accepts: the code an operator typed, pair made by the receiver's
 * kernel, or, before the export (I-3), the receiver's proof
 *
 *   receiver = MAC(pk, "CPNS transfer receiver", [kind]_1, receiver_public)
 *
 * A kernel makes pair and receiver only over a receiver_public of its own
 * (a handle of XFER_NEW), so neither is ever made for a key pair that
 * userspace holds.
 */
#ifndef _CPNS_XFER_H
#define _CPNS_XFER_H

#include <linux/types.h>
#include <linux/cpns.h>

/**
 * cpns_xfer_keypair() - make an ephemeral X25519 key pair
 * @secret: CPNS_PUBKEY_LEN bytes out (the caller wipes it)
 * @pub: CPNS_PUBKEY_LEN bytes out
 *
 * Return: 0 or a negative errno.
 */
int cpns_xfer_keypair(u8 *secret, u8 *pub);

/**
 * cpns_x25519() - X25519 with an ephemeral secret (kpp "curve25519")
 * @secret: CPNS_PUBKEY_LEN bytes (clamped by the implementation)
 * @peer: the peer's public key, or NULL for @pub alone
 * @pub: out, X25519(secret, 9)
 * @shared: out, X25519(secret, peer) when @peer is given (zeroed on error)
 *
 * Also used by the re-key of the a-flow (rekey.c). Process context.
 * Return: 0, -EKEYREJECTED for a low-order @peer (all-zero shared
 * secret), or a negative errno.
 */
int cpns_x25519(const u8 *secret, const u8 *peer, u8 *pub, u8 *shared);

/**
 * cpns_xfer_wrap() - sender side: seal @key for the holder of @peer_pub
 * @kind: CPNS_KEY_SEED or CPNS_KEY_DEVICE
 * @id: Seed ID or Device ID, of the length @kind implies
 * @eph_secret: the sender's ephemeral secret (from cpns_xfer_keypair())
 * @peer_pub: the receiver's public key
 * @key: the CPNS_KEY_LEN-byte secret to transfer
 * @my_pub: out, the sender's public key
 * @wrapped: out, CPNS_WRAPPED_LEN bytes
 * @code: out, the comparison code (0..999999)
 *
 * Return: 0, -EKEYREJECTED for a low-order @peer_pub, or a negative errno.
 */
int cpns_xfer_wrap(enum cpns_key_kind kind, const u8 *id,
		   const u8 *eph_secret, const u8 *peer_pub, const u8 *key,
		   u8 *my_pub, u8 *wrapped, u32 *code);

/**
 * cpns_xfer_unwrap() - receiver side: open what cpns_xfer_wrap() sealed
 * @kind: CPNS_KEY_SEED or CPNS_KEY_DEVICE
 * @id: Seed ID or Device ID
 * @my_secret: the receiver's ephemeral secret
 * @peer_pub: the sender's public key
 * @wrapped: CPNS_WRAPPED_LEN bytes
 * @key: out, CPNS_KEY_LEN bytes; zeroed on failure
 * @code: out, the comparison code
 *
 * Return: 0, -EBADMSG if @wrapped does not open (wrong id, kind, keys or
 * tampering), -EKEYREJECTED for a low-order @peer_pub, or a negative errno.
 */
int cpns_xfer_unwrap(enum cpns_key_kind kind, const u8 *id,
		     const u8 *my_secret, const u8 *peer_pub,
		     const u8 *wrapped, u8 *key, u32 *code);

/**
 * cpns_xfer_code() - receiver side: the comparison code, before the import
 * @kind: CPNS_KEY_SEED or CPNS_KEY_DEVICE
 * @id: Seed ID or Device ID
 * @my_secret: the receiver's ephemeral secret
 * @peer_pub: the sender's public key
 * @code: out, the code cpns_xfer_unwrap() would give
 *
 * Return: 0, -EKEYREJECTED for a low-order @peer_pub, -EINVAL for an
 * unknown @kind, or a negative errno.
 */
int cpns_xfer_code(enum cpns_key_kind kind, const u8 *id,
		   const u8 *my_secret, const u8 *peer_pub, u32 *code);

/**
 * cpns_xfer_pair_mac() - the pairing MAC of a transfer
 * @pk: the pre-shared pairing key
 * @pklen: its length
 * @kind: CPNS_KEY_SEED or CPNS_KEY_DEVICE
 * @id: Seed ID or Device ID
 * @sender_pub: the sender's public key E
 * @receiver_pub: the receiver's public key R
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0, -EINVAL for an unknown @kind, or a negative errno.
 */
int cpns_xfer_pair_mac(const u8 *pk, unsigned int pklen,
		       enum cpns_key_kind kind, const u8 *id,
		       const u8 *sender_pub, const u8 *receiver_pub, u8 *mac);

/**
 * cpns_xfer_receiver_mac() - the receiver's proof of its public key
 * @pk: the pre-shared pairing key
 * @pklen: its length
 * @kind: CPNS_KEY_SEED or CPNS_KEY_DEVICE
 * @receiver_pub: the receiver's public key R
 * @mac: out, CPNS_MAC_LEN bytes
 *
 * Return: 0, -EINVAL for an unknown @kind, or a negative errno.
 */
int cpns_xfer_receiver_mac(const u8 *pk, unsigned int pklen,
			   enum cpns_key_kind kind, const u8 *receiver_pub,
			   u8 *mac);

#endif /* _CPNS_XFER_H */
