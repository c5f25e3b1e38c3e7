/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cpns wire protocol, version 1: the messages the daemons exchange over TCP
 * (Documentation/protocol.rst is the specification). This is the only place
 * that encodes or decodes them.
 *
 * The decoder is strict (every field has one valid encoding, so whatever
 * decodes re-encodes to the same bytes) and bounded (it never reads past the
 * buffer, never allocates, and accepts nothing larger than CPNS_WIRE_MAX_FRAME).
 * Plain C11 and libc; no netlink.
 */
#ifndef CPNS_WIRE_H
#define CPNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/cpns.h>

#define CPNS_WIRE_VERSION	1

/*
 * Frame header, network byte order:
 *   0  version  u8   CPNS_WIRE_VERSION
 *   1  type     u8   enum cpns_wire_type
 *   2  flags    u16  0 (reserved)
 *   4  length   u32  length of the body that follows
 */
#define CPNS_WIRE_HDR_LEN	8

/* Bounds of the variable-length fields, in bytes. */
#define CPNS_WIRE_NAME_MAX	64	/* host names: SEED_REQUEST, ASSIGN_ASK */
#define CPNS_WIRE_ERRMSG_MAX	256	/* ERROR text */
#define CPNS_WIRE_TEXT_MAX	512	/* STATUS_REPORT text */
#define CPNS_WIRE_STR_MAX	512	/* the larger of the two text bounds */

/* Sealed signalling: inner header is type u8, reserved u8. */
#define CPNS_WIRE_INNER_HDR_LEN	2
#define CPNS_WIRE_INNER_MIN	(CPNS_WIRE_INNER_HDR_LEN + 8)	/* STATUS_ACK */
#define CPNS_WIRE_INNER_MAX	(CPNS_WIRE_INNER_HDR_LEN + 12 + CPNS_WIRE_TEXT_MAX)
#define CPNS_WIRE_SEALED_MIN	(CPNS_WIRE_INNER_MIN + CPNS_TAG_LEN)
#define CPNS_WIRE_SEALED_MAX	(CPNS_WIRE_INNER_MAX + CPNS_TAG_LEN)

/* The largest body (SEALED) and frame of version 1. */
#define CPNS_WIRE_MAX_BODY	(8 + CPNS_WIRE_SEALED_MAX)
#define CPNS_WIRE_MAX_FRAME	(CPNS_WIRE_HDR_LEN + CPNS_WIRE_MAX_BODY)

/* Timeouts (seconds), Documentation/protocol.rst "Timeouts". */
#define CPNS_WIRE_CONNECT_TIMEOUT	10	/* TCP connect */
#define CPNS_WIRE_FRAME_TIMEOUT		10	/* first to last byte of a frame */
#define CPNS_WIRE_STEP_TIMEOUT		30	/* request to its answer */
#define CPNS_WIRE_ASK_TIMEOUT		90	/* ASSIGN_ASK to DEVICE_TRANSFER */
#define CPNS_WIRE_CONFIRM_TIMEOUT	60	/* DEVICE_OFFER to the confirmation */
#define CPNS_WIRE_IDLE_TIMEOUT		300	/* no frame at all (session) */
#define CPNS_WIRE_CLOSE_LINGER		2	/* after sending ERROR */

/**
 * enum cpns_wire_type - outer message types
 *
 * Values not listed are unknown: the receiver answers ERROR
 * (CPNS_WIRE_ERR_UNKNOWN_TYPE) and closes.
 */
enum cpns_wire_type {
	CPNS_WIRE_SEED_REQUEST		= 0x01,	/* I-1   GW1 -> S   */
	CPNS_WIRE_SEED_RESPONSE		= 0x02,	/* I-3   S -> GW1   */
	CPNS_WIRE_ASSIGN_REQUEST	= 0x10,	/* II-1  GW1 -> S   */
	CPNS_WIRE_ASSIGN_CHALLENGE	= 0x11,	/* II-3  S -> GW1   */
	CPNS_WIRE_ASSIGN_DEVICE_ID	= 0x12,	/* II-5  GW1 -> S   */
	CPNS_WIRE_ASSIGN_CONFIRM	= 0x13,	/* II-7  S -> GW1   */
	CPNS_WIRE_ASSIGN_ASK		= 0x18,	/* II-9  GW2 -> GW1 */
	CPNS_WIRE_DEVICE_TRANSFER	= 0x19,	/* II-9  GW1 -> GW2 */
	CPNS_WIRE_DEVICE_OFFER		= 0x1a,	/* II-9  GW1 -> GW2 */
	CPNS_WIRE_DEVICE_PAIR		= 0x1b,	/* II-9  GW2 -> GW1 */
	CPNS_WIRE_AUTH_HELLO		= 0x20,	/* a-0   GW2 -> S   */
	CPNS_WIRE_AUTH_CHALLENGE	= 0x21,	/* a-0   S -> GW2   */
	CPNS_WIRE_AUTH_CLIENT		= 0x22,	/* a-1   GW2 -> S   */
	CPNS_WIRE_AUTH_SERVER		= 0x23,	/* a-3   S -> GW2   */
	CPNS_WIRE_SEALED		= 0x30,	/* after a-4, both  */
	CPNS_WIRE_ERROR			= 0x7f,	/* any, then close  */
};

/** enum cpns_wire_inner_type - types of the plaintext inside SEALED */
enum cpns_wire_inner_type {
	CPNS_WIRE_STATUS_REPORT		= 0x01,	/* GW2 -> S */
	CPNS_WIRE_STATUS_ACK		= 0x02,	/* S -> GW2 */
};

/** enum cpns_wire_health - the state in a STATUS_REPORT */
enum cpns_wire_health {
	CPNS_WIRE_HEALTH_OK		= 1,
	CPNS_WIRE_HEALTH_DEGRADED	= 2,
	CPNS_WIRE_HEALTH_FAILING	= 3,
};

#define CPNS_WIRE_HEALTH_MAX		CPNS_WIRE_HEALTH_FAILING

/**
 * enum cpns_wire_confirm - how GW1 commits II-9 (DEVICE_OFFER)
 * @CPNS_WIRE_CONFIRM_OPERATOR: an operator types GW2's code on GW1
 * @CPNS_WIRE_CONFIRM_PAIRING: GW2 proves the pre-shared pairing key
 *	(DEVICE_PAIR)
 */
enum cpns_wire_confirm {
	CPNS_WIRE_CONFIRM_OPERATOR	= 1,
	CPNS_WIRE_CONFIRM_PAIRING	= 2,
};

#define CPNS_WIRE_CONFIRM_MAX		CPNS_WIRE_CONFIRM_PAIRING

/**
 * enum cpns_wire_code - the code of an ERROR message (u16 on the wire)
 *
 * 0 is not a valid code; a code above CPNS_WIRE_ERR_MAX makes the ERROR
 * message malformed.
 */
enum cpns_wire_code {
	CPNS_WIRE_ERR_BAD_VERSION	= 1,	/* header version not supported */
	CPNS_WIRE_ERR_UNKNOWN_TYPE	= 2,	/* header type not defined */
	CPNS_WIRE_ERR_MALFORMED		= 3,	/* sizes, reserved bits, strings */
	CPNS_WIRE_ERR_UNEXPECTED	= 4,	/* valid message, wrong state */
	CPNS_WIRE_ERR_BAD_MAC		= 5,	/* a MAC or code did not verify */
	CPNS_WIRE_ERR_UNKNOWN_SEED	= 6,	/* no seed with this Seed ID */
	CPNS_WIRE_ERR_UNKNOWN_DEVICE	= 7,	/* no key for this Device ID */
	CPNS_WIRE_ERR_EXPIRED		= 8,	/* key revoked/expired, challenge gone */
	CPNS_WIRE_ERR_REPLAY		= 9,	/* sequence number already passed */
	CPNS_WIRE_ERR_BUSY		= 10,	/* too many pending objects */
	CPNS_WIRE_ERR_EXISTS		= 11,	/* key already present */
	CPNS_WIRE_ERR_DENIED		= 12,	/* refused by local policy */
	CPNS_WIRE_ERR_TIMEOUT		= 13,	/* a step took too long */
	CPNS_WIRE_ERR_INTERNAL		= 14,	/* local failure */
};

#define CPNS_WIRE_ERR_MAX	CPNS_WIRE_ERR_INTERNAL

/**
 * enum cpns_wire_err - results of this library's functions
 *
 * CPNS_WIRE_OK is 0; every error is negative. cpns_wire_strerror() names
 * each; cpns_wire_err_code() gives the ERROR code to send for a decoding
 * error.
 */
enum cpns_wire_err {
	CPNS_WIRE_OK		= 0,
	CPNS_WIRE_E_INCOMPLETE	= -1,	/* framer: more bytes needed */
	CPNS_WIRE_E_VERSION	= -2,	/* unsupported version */
	CPNS_WIRE_E_TYPE	= -3,	/* unknown (inner) type */
	CPNS_WIRE_E_RESERVED	= -4,	/* a reserved field is not zero */
	CPNS_WIRE_E_OVERSIZED	= -5,	/* a length above its bound */
	CPNS_WIRE_E_TRUNCATED	= -6,	/* fewer bytes than the fields need */
	CPNS_WIRE_E_TRAILING	= -7,	/* bytes after the last field */
	CPNS_WIRE_E_STRING	= -8,	/* a string's contents are invalid */
	CPNS_WIRE_E_VALUE	= -9,	/* a field's value is out of range */
	CPNS_WIRE_E_NOSPACE	= -10,	/* encoder: output buffer too small */
};

/* A host name: 1..CPNS_WIRE_NAME_MAX of [A-Za-z0-9._-], first alnum. */
struct cpns_wire_name {
	uint8_t len;
	char s[CPNS_WIRE_NAME_MAX + 1];	/* NUL-terminated by the decoder */
};

/* UTF-8 text without control characters; the bound depends on the field. */
struct cpns_wire_text {
	uint16_t len;
	char s[CPNS_WIRE_STR_MAX + 1];	/* NUL-terminated by the decoder */
};

/*
 * The flags of ASSIGN_ASK and ASSIGN_DEVICE_ID: CPNS_WIRE_ASSIGN_REPLACES
 * says the assignment replaces the Device ID that follows (GW1 re-assigning
 * a GW2, protocol.rst section 9.7). Every other bit is reserved (0).
 */
#define CPNS_WIRE_ASSIGN_REPLACES	0x01
#define CPNS_WIRE_ASSIGN_FLAGS		CPNS_WIRE_ASSIGN_REPLACES

/*
 * The flags of SEED_REQUEST: CPNS_WIRE_SEED_PROOF says the receiver MAC of
 * GW1's kernel (XFER_ACCEPT, Documentation/xfer.rst) follows, with which
 * S's kernel releases the sealed seed. Every other bit is reserved (0).
 */
#define CPNS_WIRE_SEED_PROOF		0x01
#define CPNS_WIRE_SEED_FLAGS		CPNS_WIRE_SEED_PROOF

/*
 * I-1; also II-9 ASSIGN_ASK (the requester's name and ephemeral key).
 * @replaces is ASSIGN_ASK's, on the wire iff @flags has
 * CPNS_WIRE_ASSIGN_REPLACES; @proof is SEED_REQUEST's, on the wire iff
 * @flags has CPNS_WIRE_SEED_PROOF.
 */
struct cpns_wire_key_request {
	uint8_t pubkey[CPNS_PUBKEY_LEN];
	uint8_t flags;
	uint8_t replaces[CPNS_DEVICE_ID_LEN];
	uint8_t proof[CPNS_MAC_LEN];
	struct cpns_wire_name name;
};

/*
 * I-3 SEED_RESPONSE. When the new seed rotates an older one of the same
 * GW1, @retired_sid names it and @retire_at is the time (seconds since the
 * epoch) from which the server refuses it and its devices; both zero when
 * nothing was retired.
 */
struct cpns_wire_seed_response {
	uint8_t sid[CPNS_SEED_ID_LEN];
	uint8_t pubkey[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
	uint8_t retired_sid[CPNS_SEED_ID_LEN];
	uint64_t retire_at;
};

/* II-1 ASSIGN_REQUEST. */
struct cpns_wire_assign_request {
	uint8_t sid[CPNS_SEED_ID_LEN];
	uint8_t n1[CPNS_NONCE_LEN];
	uint8_t mac[CPNS_MAC_LEN];
};

/* II-3 ASSIGN_CHALLENGE. */
struct cpns_wire_assign_challenge {
	uint8_t n1[CPNS_NONCE_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN];
	uint8_t mac[CPNS_MAC_LEN];
};

/* II-5 ASSIGN_DEVICE_ID. @replaces: as in ASSIGN_ASK. */
struct cpns_wire_assign_device_id {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t n1[CPNS_NONCE_LEN];
	uint8_t flags;		/* CPNS_WIRE_ASSIGN_REPLACES or 0 */
	uint8_t replaces[CPNS_DEVICE_ID_LEN];
};

/* II-7 ASSIGN_CONFIRM. */
struct cpns_wire_assign_confirm {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t code[CPNS_MAC_LEN];
};

/* II-9 DEVICE_TRANSFER. */
struct cpns_wire_device_transfer {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t pubkey[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
};

/* II-9 DEVICE_OFFER: GW1's half of the exchange, before the key. */
struct cpns_wire_device_offer {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t pubkey[CPNS_PUBKEY_LEN];
	uint8_t mode;		/* enum cpns_wire_confirm */
};

/* II-9 DEVICE_PAIR: MAC(pairing key, "CPNS transfer pair", ...). */
struct cpns_wire_device_pair {
	uint8_t mac[CPNS_MAC_LEN];
};

/*
 * The flags of AUTH_HELLO and AUTH_CHALLENGE: CPNS_WIRE_AUTH_REKEY says the
 * a-flow re-keys the Device Key (CPNS-KA-1-REKEY, Documentation/rekey.rst)
 * and that the sender's ephemeral X25519 public key follows. Every other
 * bit is reserved (0).
 */
#define CPNS_WIRE_AUTH_REKEY		0x01
#define CPNS_WIRE_AUTH_FLAGS		CPNS_WIRE_AUTH_REKEY

/*
 * a-0 AUTH_HELLO. @pubkey (Pc) is on the wire iff @flags has
 * CPNS_WIRE_AUTH_REKEY; the decoder leaves it zero otherwise and the
 * encoder does not send it.
 */
struct cpns_wire_auth_hello {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t nc[CPNS_NONCE_LEN];
	uint32_t generation;	/* of GW2's Device Key, 0: as assigned */
	uint8_t flags;		/* CPNS_WIRE_AUTH_REKEY or 0 */
	uint8_t pubkey[CPNS_PUBKEY_LEN];
};

/* a-0 AUTH_CHALLENGE. @pubkey (Ps): as in AUTH_HELLO. */
struct cpns_wire_auth_challenge {
	uint8_t ns[CPNS_NONCE_LEN];
	uint8_t flags;		/* CPNS_WIRE_AUTH_REKEY or 0 */
	uint8_t pubkey[CPNS_PUBKEY_LEN];
};

/* a-1 AUTH_CLIENT and a-3 AUTH_SERVER. */
struct cpns_wire_auth_mac {
	uint8_t mac[CPNS_MAC_LEN];
};

/* SEALED: ct is SEAL(k_dir, seq, header, inner message), tag included. */
struct cpns_wire_sealed {
	uint64_t seq;
	uint16_t ct_len;	/* CPNS_WIRE_SEALED_MIN..CPNS_WIRE_SEALED_MAX */
	uint8_t ct[CPNS_WIRE_SEALED_MAX];
};

/* ERROR. */
struct cpns_wire_error {
	uint16_t code;		/* enum cpns_wire_code */
	uint8_t ref_type;	/* type of the refused message, 0 if none */
	struct cpns_wire_text text;	/* at most CPNS_WIRE_ERRMSG_MAX */
};

/**
 * struct cpns_wire_msg - one decoded outer message
 * @type: enum cpns_wire_type; selects the member of the union
 */
struct cpns_wire_msg {
	uint8_t type;
	union {
		struct cpns_wire_key_request seed_request;
		struct cpns_wire_seed_response seed_response;
		struct cpns_wire_assign_request assign_request;
		struct cpns_wire_assign_challenge assign_challenge;
		struct cpns_wire_assign_device_id assign_device_id;
		struct cpns_wire_assign_confirm assign_confirm;
		struct cpns_wire_key_request assign_ask;
		struct cpns_wire_device_transfer device_transfer;
		struct cpns_wire_device_offer device_offer;
		struct cpns_wire_device_pair device_pair;
		struct cpns_wire_auth_hello auth_hello;
		struct cpns_wire_auth_challenge auth_challenge;
		struct cpns_wire_auth_mac auth_client;
		struct cpns_wire_auth_mac auth_server;
		struct cpns_wire_sealed sealed;
		struct cpns_wire_error error;
	};
};

/* STATUS_REPORT (inner). */
struct cpns_wire_status_report {
	uint8_t health;		/* enum cpns_wire_health */
	uint64_t time;		/* seconds since the epoch, sender's clock */
	struct cpns_wire_text text;	/* at most CPNS_WIRE_TEXT_MAX */
};

/* STATUS_ACK (inner). */
struct cpns_wire_status_ack {
	uint64_t seq;		/* seq of the SEALED frame acknowledged */
};

/**
 * struct cpns_wire_inner - one decoded plaintext of a SEALED message
 * @type: enum cpns_wire_inner_type
 */
struct cpns_wire_inner {
	uint8_t type;
	union {
		struct cpns_wire_status_report status_report;
		struct cpns_wire_status_ack status_ack;
	};
};

/**
 * cpns_wire_frame() - is a whole frame at the start of a stream buffer?
 * @buf: bytes received so far (may hold more than one frame)
 * @len: number of bytes in @buf
 * @frame_len: out: on CPNS_WIRE_OK the length of the first frame; on
 *	CPNS_WIRE_E_INCOMPLETE the number of bytes needed to go on
 *	(CPNS_WIRE_HDR_LEN until the header is complete, then the frame length)
 *
 * Checks each header byte as soon as it is present, so a bad version, type,
 * flags or length is reported before the rest arrives. The body itself is
 * not examined: pass the frame to cpns_wire_decode().
 *
 * Return: CPNS_WIRE_OK, CPNS_WIRE_E_INCOMPLETE, or CPNS_WIRE_E_VERSION,
 * _TYPE, _RESERVED, _OVERSIZED, _TRUNCATED for an invalid header (send
 * ERROR with cpns_wire_err_code() and close).
 */
int cpns_wire_frame(const uint8_t *buf, size_t len, size_t *frame_len);

/**
 * cpns_wire_decode() - decode exactly one frame
 * @buf: the frame (header and body)
 * @len: its length; bytes beyond the header's length are an error
 * @msg: out; contents undefined on error
 *
 * Return: CPNS_WIRE_OK or a negative enum cpns_wire_err.
 */
int cpns_wire_decode(const uint8_t *buf, size_t len, struct cpns_wire_msg *msg);

/**
 * cpns_wire_encode() - encode one frame
 * @msg: the message; checked against the same rules as the decoder
 * @buf: output
 * @cap: size of @buf (CPNS_WIRE_MAX_FRAME always suffices)
 * @len: out, bytes written
 *
 * Return: CPNS_WIRE_OK, CPNS_WIRE_E_NOSPACE, or the error the decoder
 * would report for such a message; nothing useful is in @buf on error.
 */
int cpns_wire_encode(const struct cpns_wire_msg *msg, uint8_t *buf, size_t cap,
		     size_t *len);

/**
 * cpns_wire_inner_decode() - decode the plaintext of a SEALED message
 * @buf: plaintext
 * @len: its length
 * @in: out
 *
 * Return: CPNS_WIRE_OK or a negative enum cpns_wire_err.
 */
int cpns_wire_inner_decode(const uint8_t *buf, size_t len,
			   struct cpns_wire_inner *in);

/**
 * cpns_wire_inner_encode() - encode the plaintext of a SEALED message
 * @in: the inner message
 * @buf: output
 * @cap: size of @buf (CPNS_WIRE_INNER_MAX always suffices)
 * @len: out, bytes written
 *
 * Return: CPNS_WIRE_OK or a negative enum cpns_wire_err.
 */
int cpns_wire_inner_encode(const struct cpns_wire_inner *in, uint8_t *buf,
			   size_t cap, size_t *len);

/**
 * cpns_wire_sealed_aad() - the additional data of a SEALED message
 * @ct_len: length of ciphertext and tag (plaintext length + CPNS_TAG_LEN)
 * @aad: out, CPNS_WIRE_HDR_LEN bytes: the frame header of that message
 *
 * The sender calls it before sealing, the receiver before opening; both
 * get the exact header bytes of the frame.
 *
 * Return: CPNS_WIRE_OK, or CPNS_WIRE_E_TRUNCATED / _OVERSIZED if @ct_len
 * is outside CPNS_WIRE_SEALED_MIN..CPNS_WIRE_SEALED_MAX.
 */
int cpns_wire_sealed_aad(size_t ct_len, uint8_t aad[CPNS_WIRE_HDR_LEN]);

/**
 * cpns_wire_err_code() - the ERROR code to send for a decoding error
 * @err: a negative enum cpns_wire_err from the framer or decoder
 *
 * Return: CPNS_WIRE_ERR_BAD_VERSION, _UNKNOWN_TYPE, _MALFORMED, or
 * _INTERNAL for an error that is not about received bytes.
 */
uint16_t cpns_wire_err_code(int err);

/**
 * cpns_wire_kernel_code() - the ERROR code to send for a failed cpns command
 * @err: the negative errno the cpns family answered with
 * @by_device: the step named a Device ID (ENOKEY is then UNKNOWN_DEVICE,
 *	else UNKNOWN_SEED)
 *
 * The daemons only send values of the exact sizes, so a kernel EINVAL is
 * its STATE failure (a key of the wrong role or state for the step) and
 * maps to UNEXPECTED; EKEYREJECTED (a bad public key) to MALFORMED.
 *
 * Return: a CPNS_WIRE_ERR_* code; _INTERNAL for an errno not listed.
 */
uint16_t cpns_wire_kernel_code(int err, bool by_device);

/**
 * cpns_wire_strerror() - describe an enum cpns_wire_err
 * @err: the value
 *
 * Return: a static string; never NULL.
 */
const char *cpns_wire_strerror(int err);

/**
 * cpns_wire_code_name() - describe an ERROR code
 * @code: enum cpns_wire_code
 *
 * Return: a static string; "unknown error code" when not defined.
 */
const char *cpns_wire_code_name(unsigned int code);

/**
 * cpns_wire_type_name() - name an outer message type
 * @type: enum cpns_wire_type
 *
 * Return: the name as in Documentation/protocol.rst ("SEED_REQUEST"), or
 * NULL when @type is not defined in this version.
 */
const char *cpns_wire_type_name(unsigned int type);

/**
 * cpns_wire_inner_type_name() - name an inner message type
 * @type: enum cpns_wire_inner_type
 *
 * Return: the name, or NULL when @type is not defined.
 */
const char *cpns_wire_inner_type_name(unsigned int type);

/**
 * cpns_wire_name_set() - fill a name from a C string, checking it
 * @name: out
 * @s: NUL-terminated
 *
 * Return: CPNS_WIRE_OK, CPNS_WIRE_E_OVERSIZED or CPNS_WIRE_E_STRING.
 */
int cpns_wire_name_set(struct cpns_wire_name *name, const char *s);

/**
 * cpns_wire_text_set() - fill a text from a C string, checking it
 * @text: out
 * @s: NUL-terminated UTF-8
 * @max: the field's bound (CPNS_WIRE_ERRMSG_MAX or CPNS_WIRE_TEXT_MAX)
 *
 * Return: CPNS_WIRE_OK, CPNS_WIRE_E_OVERSIZED or CPNS_WIRE_E_STRING.
 */
int cpns_wire_text_set(struct cpns_wire_text *text, const char *s, size_t max);

/**
 * cpns_wire_error_set() - fill an ERROR message, sanitizing its text
 * @msg: out, zeroed first
 * @code: enum cpns_wire_code
 * @ref_type: type of the refused message, 0 if none
 * @text: a C string or NULL; each byte that is not part of an allowed
 *	UTF-8 character becomes '?', and it is cut, at a character boundary,
 *	to CPNS_WIRE_ERRMSG_MAX bytes, so any string (an errno text, a kernel
 *	extended ACK) can be sent
 *
 * Return: CPNS_WIRE_OK, or CPNS_WIRE_E_VALUE for a code outside
 * 1..CPNS_WIRE_ERR_MAX or a @ref_type above 255 (@msg untouched).
 */
int cpns_wire_error_set(struct cpns_wire_msg *msg, unsigned int code,
			unsigned int ref_type, const char *text);

/**
 * cpns_wire_x25519_low_order() - is this X25519 public key of small order?
 * @pub: a u-coordinate as carried on the wire (little-endian)
 *
 * True for the encodings of the points of order 1, 2, 4 and 8 (RFC 7748
 * section 6.1): 0, 1, the two points of order 8 and p - 1, and the
 * non-canonical encodings p and p + 1 of 0 and 1, each with bit 255 (which
 * X25519 ignores) clear or set. With such a key the shared secret is
 * all-zero, whatever the other side's secret: the kernel refuses it at the
 * step that uses it, and a daemon checks it first to spend nothing on an
 * exchange that cannot succeed. The list is the one libsodium and
 * WireGuard use. Constant time.
 */
bool cpns_wire_x25519_low_order(const uint8_t pub[CPNS_PUBKEY_LEN]);

#endif /* CPNS_WIRE_H */
