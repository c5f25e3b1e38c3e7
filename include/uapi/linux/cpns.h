/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * cpns: OMA CPNS Device ID/Key Assignment, profile CPNS-KA-1.
 *
 * The Generic Netlink family "cpns". The kernel holds every secret (Key
 * Seeds, Device Keys, session keys) and performs every derivation, MAC and
 * AEAD operation; userspace carries the public protocol values between
 * hosts. Documentation/netlink.rst describes each command.
 */
#ifndef _UAPI_LINUX_CPNS_H
#define _UAPI_LINUX_CPNS_H

#include <linux/types.h>

#define CPNS_GENL_NAME		"cpns"
#define CPNS_GENL_VERSION	1

/* Sizes of CPNS-KA-1 values, in bytes. */
#define CPNS_SEED_LEN		32	/* Key Seed */
#define CPNS_SEED_ID_LEN	8	/* Seed ID */
#define CPNS_NONCE_LEN		16	/* n1, nc, ns */
#define CPNS_CHALLENGE_LEN	16	/* ch */
#define CPNS_DEVICE_ID_LEN	16	/* sid || KDF(seed, "CPNS device id", ch, 64) */
#define CPNS_KEY_LEN		32	/* Device Key, seed auth key, session keys */
#define CPNS_MAC_LEN		32	/* every MAC and verification code */
#define CPNS_TAG_LEN		16	/* AES-256-GCM tag */
#define CPNS_PUBKEY_LEN		32	/* X25519 public key (key transfer) */
#define CPNS_WRAPPED_LEN	(CPNS_KEY_LEN + CPNS_TAG_LEN)

/* Limits enforced by the netlink policies. */
#define CPNS_MAX_AAD		1024	/* additional data of SEAL/OPEN */
#define CPNS_MAX_PLAINTEXT	16384	/* plaintext of one SEAL/OPEN */
#define CPNS_MAX_BLOB		128	/* a key wrapped for storage (KEY_WRAP) */
#define CPNS_MAX_LABEL		64	/* caller's metadata bound into a blob */
#define CPNS_MAX_KEYREF		256	/* type or description of a named key */

/**
 * enum cpns_cmd - commands of the cpns family
 *
 * Each command lists its role and step of CPNS-KA-1, the attributes it
 * takes (R: required, O: optional) and those its reply carries. Every
 * command but %CPNS_CMD_GET_INFO needs CAP_NET_ADMIN in the user namespace
 * that owns the caller's network namespace. Pending objects and sessions
 * (named by %CPNS_A_HANDLE) belong to the netlink socket that created
 * them and are freed when it closes.
 *
 * @CPNS_CMD_GET_INFO: R -; reply %CPNS_A_VERSION, %CPNS_A_KEYRING,
 *	%CPNS_A_PENDING_MAX, %CPNS_A_PENDING_TIMEOUT, %CPNS_A_SESSION_MAX.
 * @CPNS_CMD_GET_STATS: R -; reply %CPNS_A_STATS, %CPNS_A_PENDING_COUNT,
 *	%CPNS_A_SESSION_COUNT.
 * @CPNS_CMD_KEY_GET: dump of the namespace's seeds and Device Keys; one
 *	message per key with %CPNS_A_KEY_SERIAL, %CPNS_A_KEY_KIND,
 *	%CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID, %CPNS_A_ROLE, %CPNS_A_STATE,
 *	%CPNS_A_GENERATION and, when set, %CPNS_A_EXPIRY.
 * @CPNS_CMD_KEY_DEL: R %CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID (exactly one);
 *	revokes and unlinks that key.
 * @CPNS_CMD_SEED_NEW: server, I-2. O %CPNS_A_TIMEOUT (key lifetime, s).
 *	Reply %CPNS_A_SEED_ID, %CPNS_A_KEY_SERIAL.
 * @CPNS_CMD_XFER_NEW: receiver of I-3 (GW1) or II-9 (GW2): makes an
 *	ephemeral X25519 key pair held in the kernel. Reply %CPNS_A_HANDLE,
 *	%CPNS_A_PUBKEY.
 * @CPNS_CMD_SEED_EXPORT: server, I-3. R %CPNS_A_SEED_ID, %CPNS_A_PUBKEY
 *	(receiver's). Reply %CPNS_A_PUBKEY (sender's ephemeral),
 *	%CPNS_A_WRAPPED, %CPNS_A_XFER_CODE.
 * @CPNS_CMD_SEED_IMPORT: GW1, I-3. R %CPNS_A_HANDLE (from XFER_NEW),
 *	%CPNS_A_SEED_ID, %CPNS_A_PUBKEY (sender's), %CPNS_A_WRAPPED; O
 *	%CPNS_A_TIMEOUT. Consumes the handle. Reply %CPNS_A_KEY_SERIAL,
 *	%CPNS_A_XFER_CODE.
 * @CPNS_CMD_ASSIGN_REQUEST: GW1, II-1. R %CPNS_A_SEED_ID. Reply
 *	%CPNS_A_SEED_ID, %CPNS_A_REQUEST_NONCE, %CPNS_A_REQUEST_MAC.
 * @CPNS_CMD_ASSIGN_CHALLENGE: server, II-2 and II-3. R %CPNS_A_SEED_ID,
 *	%CPNS_A_REQUEST_NONCE, %CPNS_A_REQUEST_MAC. Reply %CPNS_A_CHALLENGE,
 *	%CPNS_A_CHALLENGE_MAC. The challenge stays pending until II-6 or
 *	until it expires.
 * @CPNS_CMD_ASSIGN_DERIVE: GW1, II-3 check and II-4. R %CPNS_A_SEED_ID,
 *	%CPNS_A_REQUEST_NONCE, %CPNS_A_CHALLENGE, %CPNS_A_CHALLENGE_MAC.
 *	Stores the Device Key as pending. Reply %CPNS_A_DEVICE_ID,
 *	%CPNS_A_KEY_SERIAL.
 * @CPNS_CMD_ASSIGN_CONFIRM: server, II-6 and II-7. R %CPNS_A_DEVICE_ID,
 *	%CPNS_A_REQUEST_NONCE. Consumes the challenge. Reply %CPNS_A_CONFIRM.
 * @CPNS_CMD_ASSIGN_VERIFY: GW1, II-8. R %CPNS_A_DEVICE_ID, %CPNS_A_CONFIRM.
 *	On a match the Device Key becomes confirmed; on a mismatch it is
 *	destroyed. Reply %CPNS_A_KEY_SERIAL, %CPNS_A_STATE.
 * @CPNS_CMD_DEVICE_EXPORT: GW1, II-9. R %CPNS_A_DEVICE_ID, %CPNS_A_PUBKEY
 *	(receiver's). Reply %CPNS_A_PUBKEY, %CPNS_A_WRAPPED, %CPNS_A_XFER_CODE.
 * @CPNS_CMD_DEVICE_IMPORT: GW2, II-9. R %CPNS_A_HANDLE, %CPNS_A_DEVICE_ID,
 *	%CPNS_A_PUBKEY (sender's), %CPNS_A_WRAPPED; O %CPNS_A_TIMEOUT.
 *	Consumes the handle. Reply %CPNS_A_KEY_SERIAL, %CPNS_A_XFER_CODE.
 *
 * @CPNS_CMD_AUTH_BEGIN: GW2, a-0. R %CPNS_A_DEVICE_ID. Reply %CPNS_A_HANDLE,
 *	%CPNS_A_CLIENT_NONCE, %CPNS_A_GENERATION (of the Device Key used) and,
 *	when that generation is 0, %CPNS_A_PUBKEY (the client's ephemeral
 *	X25519 key for the re-key, Documentation/rekey.rst).
 * @CPNS_CMD_AUTH_CHALLENGE: server, a-0. R %CPNS_A_DEVICE_ID,
 *	%CPNS_A_CLIENT_NONCE; O %CPNS_A_GENERATION (default 0),
 *	%CPNS_A_PUBKEY (client's; required to re-key a generation 0 key).
 *	Reply %CPNS_A_HANDLE, %CPNS_A_SERVER_NONCE and, when the flow re-keys,
 *	%CPNS_A_PUBKEY (server's ephemeral).
 * @CPNS_CMD_AUTH_CLIENT: GW2, a-1. R %CPNS_A_HANDLE, %CPNS_A_SERVER_NONCE;
 *	O %CPNS_A_PUBKEY (server's; required when the flow re-keys). Reply
 *	%CPNS_A_CLIENT_MAC.
 * @CPNS_CMD_AUTH_SERVER: server, a-2 and a-3. R %CPNS_A_HANDLE,
 *	%CPNS_A_CLIENT_MAC. On success the handle names an established
 *	session. Reply %CPNS_A_SERVER_MAC, %CPNS_A_GENERATION (of the key
 *	the session comes from) and, when the flow re-keyed (record stored,
 *	%CPNS_STATE_UNCONFIRMED: to be persisted before a-3 is sent) or
 *	confirmed an unconfirmed record (%CPNS_STATE_ACTIVE), the record's
 *	%CPNS_A_KEY_SERIAL and %CPNS_A_STATE. A wrong code ends the flow.
 * @CPNS_CMD_AUTH_FINISH: GW2, a-4. R %CPNS_A_HANDLE, %CPNS_A_SERVER_MAC.
 *	On success the handle names an established session. Reply
 *	%CPNS_A_GENERATION (of the Device Key now held) and, when the flow
 *	re-keyed, the %CPNS_A_KEY_SERIAL of the new Device Key that replaced
 *	the old one (to be persisted before the first SEAL). A wrong code
 *	ends the flow.
 * @CPNS_CMD_SEAL: R %CPNS_A_HANDLE, %CPNS_A_DATA (plaintext); O %CPNS_A_AAD.
 *	Reply %CPNS_A_SEQ, %CPNS_A_DATA (ciphertext || tag).
 * @CPNS_CMD_OPEN: R %CPNS_A_HANDLE, %CPNS_A_SEQ, %CPNS_A_DATA; O
 *	%CPNS_A_AAD. Reply %CPNS_A_DATA (plaintext) and, on a server, when
 *	this message was the first one under a re-keyed Device Key,
 *	%CPNS_A_KEY_SERIAL and %CPNS_A_STATE (%CPNS_STATE_ACTIVE: the
 *	device record is confirmed). A sequence number below the next
 *	expected one is refused with EALREADY.
 * @CPNS_CMD_SESSION_DEL: R %CPNS_A_HANDLE; ends a pending flow or session.
 *
 * Key lifecycle (Documentation/store.rst, Documentation/rekey.rst):
 *
 * @CPNS_CMD_KEY_WRAP: R %CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID,
 *	%CPNS_A_KEYREF_TYPE and %CPNS_A_KEYREF_DESC (the key-encryption key:
 *	a "user", "logon", "encrypted" or "trusted" key the caller can
 *	search for); O %CPNS_A_LABEL. Reply %CPNS_A_BLOB: the key, its
 *	identity and metadata, sealed under the KEK for storage.
 * @CPNS_CMD_KEY_UNWRAP: R %CPNS_A_BLOB, %CPNS_A_KEYREF_TYPE,
 *	%CPNS_A_KEYREF_DESC; O %CPNS_A_LABEL (as given to KEY_WRAP). Opens the
 *	blob and stores the key with its metadata. Reply %CPNS_A_KEY_SERIAL,
 *	%CPNS_A_KEY_KIND, %CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID,
 *	%CPNS_A_GENERATION.
 * @CPNS_CMD_KEY_REVOKE: R %CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID. Marks the key
 *	(on a server, for a Device ID it does not hold: a record of the
 *	revocation) %CPNS_STATE_REVOKED and closes the namespace's sessions
 *	of that device (of every device of that seed). Reply
 *	%CPNS_A_KEY_SERIAL, %CPNS_A_SESSION_COUNT (sessions closed).
 * @CPNS_CMD_XFER_CODE: receiver of I-3/II-9, before the import. R
 *	%CPNS_A_HANDLE, %CPNS_A_KEY_KIND, %CPNS_A_SEED_ID or
 *	%CPNS_A_DEVICE_ID, %CPNS_A_PUBKEY (sender's). Reply %CPNS_A_XFER_CODE.
 *	Does not consume the handle.
 * @CPNS_CMD_XFER_PAIR: either end of II-9 with a pre-shared pairing key. R
 *	%CPNS_A_KEYREF_TYPE, %CPNS_A_KEYREF_DESC (the pairing key),
 *	%CPNS_A_KEY_KIND, %CPNS_A_SEED_ID or %CPNS_A_DEVICE_ID,
 *	%CPNS_A_PUBKEY (sender's), %CPNS_A_PEER_PUBKEY (receiver's); O
 *	%CPNS_A_PAIR_MAC. Without %CPNS_A_PAIR_MAC the reply carries it;
 *	with it, the kernel compares (constant time) and fails with EBADMSG
 *	on a mismatch.
 *
 * Rotation and re-assignment (Documentation/keys.rst, "Rotation"):
 *
 * @CPNS_CMD_KEY_RETIRE: server or GW1, seed rotation. R %CPNS_A_SEED_ID;
 *	O %CPNS_A_TIMEOUT (the overlap, seconds; 0 or absent = now, that is
 *	within a second: the keys API counts whole seconds). Sets the
 *	expiry of that seed, and of every Device Key or device record of that
 *	seed in the namespace, to now + overlap (an earlier expiry is kept).
 *	Until then they keep working; from then on they are refused with
 *	EKEYEXPIRED and the keyring's garbage collector removes them
 *	(/proc/sys/kernel/keys/gc_delay seconds later). A Device Key or
 *	record stored later under that seed gets at most its expiry. Reply
 *	%CPNS_A_KEY_SERIAL, %CPNS_A_EXPIRY (the seed's), %CPNS_A_KEY_COUNT
 *	(keys that now expire by then, the seed included). ENOKEY: no such
 *	seed.
 *
 * %CPNS_A_REPLACES names the Device ID an assignment replaces (GW1
 * re-assigning a GW2). It is optional on %CPNS_CMD_ASSIGN_CONFIRM (server:
 * the new device record replaces the old one's) and %CPNS_CMD_DEVICE_IMPORT
 * (GW2: the new Device Key replaces its old one; GW1 keeps no copy of a key
 * it handed over, so it has nothing to replace). The
 * replaced Device ID must be present in the namespace (on a server: its
 * record, or a seed of this server it belongs to), not revoked or expired,
 * and must differ from the new one; otherwise the command fails (EINVAL,
 * ENOKEY, EKEYREVOKED, EKEYEXPIRED) and changes nothing: the challenge
 * stays pending, the handle usable. When the command succeeds, the new key
 * is stored (a server needs no record of the new device: its key comes
 * from the seed) and the replaced one revoked (%CPNS_STATE_REVOKED, a
 * revocation record where there was none; its sessions and a-flows
 * closed) in one step under the keyring's lock: no caller ever sees both
 * valid or neither. The reply then carries %CPNS_A_REPLACES back.
 */
enum cpns_cmd {
	CPNS_CMD_UNSPEC,
	CPNS_CMD_GET_INFO,
	CPNS_CMD_GET_STATS,
	CPNS_CMD_KEY_GET,
	CPNS_CMD_KEY_DEL,
	/* 5 is not used: known answers are the cpns_kat test family's */

	CPNS_CMD_SEED_NEW = 6,
	CPNS_CMD_XFER_NEW,
	CPNS_CMD_SEED_EXPORT,
	CPNS_CMD_SEED_IMPORT,

	CPNS_CMD_ASSIGN_REQUEST,
	CPNS_CMD_ASSIGN_CHALLENGE,
	CPNS_CMD_ASSIGN_DERIVE,
	CPNS_CMD_ASSIGN_CONFIRM,
	CPNS_CMD_ASSIGN_VERIFY,
	CPNS_CMD_DEVICE_EXPORT,
	CPNS_CMD_DEVICE_IMPORT,

	CPNS_CMD_AUTH_BEGIN,
	CPNS_CMD_AUTH_CHALLENGE,
	CPNS_CMD_AUTH_CLIENT,
	CPNS_CMD_AUTH_SERVER,
	CPNS_CMD_AUTH_FINISH,

	CPNS_CMD_SEAL,
	CPNS_CMD_OPEN,
	CPNS_CMD_SESSION_DEL,

	CPNS_CMD_KEY_WRAP,
	CPNS_CMD_KEY_UNWRAP,
	CPNS_CMD_KEY_REVOKE,
	CPNS_CMD_XFER_CODE,
	CPNS_CMD_XFER_PAIR,
	/* 30 is not used (as 5) */
	CPNS_CMD_KEY_RETIRE = 31,

	__CPNS_CMD_MAX
};

#define CPNS_CMD_MAX (__CPNS_CMD_MAX - 1)

enum cpns_attr {
	CPNS_A_UNSPEC,
	CPNS_A_PAD,
	CPNS_A_VERSION,			/* u32 */
	CPNS_A_KEYRING,			/* s32: serial of the namespace keyring */
	CPNS_A_KEY_SERIAL,		/* s32 */
	CPNS_A_KEY_KIND,		/* u8, enum cpns_key_kind */
	CPNS_A_ROLE,			/* u8, enum cpns_role */
	CPNS_A_STATE,			/* u8, enum cpns_state */
	CPNS_A_EXPIRY,			/* u64: seconds since the epoch */
	CPNS_A_TIMEOUT,			/* u32: seconds, 0 = none */
	CPNS_A_SEED_ID,			/* binary, CPNS_SEED_ID_LEN */
	CPNS_A_DEVICE_ID,		/* binary, CPNS_DEVICE_ID_LEN */
	CPNS_A_REQUEST_NONCE,		/* binary, CPNS_NONCE_LEN (n1) */
	CPNS_A_CHALLENGE,		/* binary, CPNS_CHALLENGE_LEN (ch) */
	CPNS_A_CLIENT_NONCE,		/* binary, CPNS_NONCE_LEN (nc) */
	CPNS_A_SERVER_NONCE,		/* binary, CPNS_NONCE_LEN (ns) */
	CPNS_A_REQUEST_MAC,		/* binary, CPNS_MAC_LEN (II-1) */
	CPNS_A_CHALLENGE_MAC,		/* binary, CPNS_MAC_LEN (II-3) */
	CPNS_A_CONFIRM,			/* binary, CPNS_MAC_LEN (II-7) */
	CPNS_A_CLIENT_MAC,		/* binary, CPNS_MAC_LEN (a-1) */
	CPNS_A_SERVER_MAC,		/* binary, CPNS_MAC_LEN (a-3) */
	CPNS_A_HANDLE,			/* u32, never 0 */
	CPNS_A_SEQ,			/* u64 */
	CPNS_A_AAD,			/* binary, at most CPNS_MAX_AAD */
	CPNS_A_DATA,			/* binary: plaintext or ciphertext||tag */
	CPNS_A_PUBKEY,			/* binary, CPNS_PUBKEY_LEN */
	CPNS_A_WRAPPED,			/* binary, CPNS_WRAPPED_LEN */
	CPNS_A_XFER_CODE,		/* u32: 6-digit comparison code */
	CPNS_A_PENDING_MAX,		/* u32 */
	CPNS_A_PENDING_TIMEOUT,		/* u32: seconds */
	CPNS_A_PENDING_COUNT,		/* u32 */
	CPNS_A_SESSION_MAX,		/* u32 */
	CPNS_A_SESSION_COUNT,		/* u32 */
	CPNS_A_STATS,			/* nested, enum cpns_stats_attr */
	/* 34 to 39 are not used (as command 5) */
	CPNS_A_KEYREF_TYPE = 40,		/* string, at most CPNS_MAX_KEYREF */
	CPNS_A_KEYREF_DESC,		/* string, at most CPNS_MAX_KEYREF */
	CPNS_A_BLOB,			/* binary, at most CPNS_MAX_BLOB */
	CPNS_A_LABEL,			/* binary, at most CPNS_MAX_LABEL */
	CPNS_A_GENERATION,		/* u32: 0 = as assigned, +1 per re-key */
	CPNS_A_PEER_PUBKEY,		/* binary, CPNS_PUBKEY_LEN */
	CPNS_A_PAIR_MAC,		/* binary, CPNS_MAC_LEN */
	CPNS_A_REPLACES,		/* binary, CPNS_DEVICE_ID_LEN */
	CPNS_A_KEY_COUNT,		/* u32 */

	__CPNS_A_MAX
};

#define CPNS_A_MAX (__CPNS_A_MAX - 1)

/*
 * CPNS_A_STATS holds one CPNS_STATS_A_OP per command that has run, then
 * one CPNS_STATS_A_FAIL per failure reason that has occurred.
 */
enum cpns_stats_attr {
	CPNS_STATS_A_UNSPEC,
	CPNS_STATS_A_PAD,
	CPNS_STATS_A_OP,		/* nested: CMD, OK, FAILED */
	CPNS_STATS_A_FAIL,		/* nested: REASON, COUNT */
	CPNS_STATS_A_CMD,		/* u8, enum cpns_cmd */
	CPNS_STATS_A_OK,		/* u64 */
	CPNS_STATS_A_FAILED,		/* u64 */
	CPNS_STATS_A_REASON,		/* u8, enum cpns_fail */
	CPNS_STATS_A_COUNT,		/* u64 */

	__CPNS_STATS_A_MAX
};

#define CPNS_STATS_A_MAX (__CPNS_STATS_A_MAX - 1)

enum cpns_key_kind {
	CPNS_KEY_SEED = 1,		/* key type "cpns_seed" */
	CPNS_KEY_DEVICE = 2,		/* key type "cpns_device" */
};

enum cpns_role {
	CPNS_ROLE_SERVER = 1,		/* seed made here (I-2) */
	CPNS_ROLE_GW1 = 2,		/* seed received (I-3), Device Key derived (II-4) */
	CPNS_ROLE_GW2 = 3,		/* Device Key received (II-9) */
};

enum cpns_state {
	CPNS_STATE_ACTIVE = 1,		/* seed in use; Device Key held by GW2 */
	CPNS_STATE_PENDING = 2,		/* GW1 Device Key awaiting II-8 */
	CPNS_STATE_CONFIRMED = 3,	/* GW1 Device Key confirmed by II-8 */
	CPNS_STATE_REVOKED = 4,		/* revoked by the operator: refused */
	CPNS_STATE_UNCONFIRMED = 5,	/* server: re-keyed, not yet used by G2 */
};

/* Why an operation failed, as counted in CPNS_STATS_A_FAIL. */
enum cpns_fail {
	CPNS_FAIL_INVALID = 1,		/* bad or missing attribute: EINVAL */
	CPNS_FAIL_BAD_MAC,		/* MAC or code mismatch, AEAD open: EBADMSG */
	CPNS_FAIL_NO_KEY,		/* unknown seed or device: ENOKEY */
	CPNS_FAIL_KEY_INVALID,		/* revoked or expired key */
	CPNS_FAIL_NO_PENDING,		/* unknown, used or expired handle/challenge: ENOENT */
	CPNS_FAIL_STATE,		/* wrong role or state for the step */
	CPNS_FAIL_REPLAY,		/* sequence number already passed: EALREADY */
	CPNS_FAIL_LIMIT,		/* too many pending objects or sessions: EBUSY */
	CPNS_FAIL_EXISTS,		/* key already present: EEXIST */
	CPNS_FAIL_INTERNAL,		/* memory or crypto failure */

	__CPNS_FAIL_MAX
};

#define CPNS_FAIL_MAX (__CPNS_FAIL_MAX - 1)

#endif /* _UAPI_LINUX_CPNS_H */
