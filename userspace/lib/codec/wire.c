// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns wire protocol, version 1 (Documentation/protocol.rst).
 *
 * Every message is described once, as a list of fields in the tables below;
 * one walker decodes and one encodes all of them, so the rules (sizes,
 * reserved bytes, strings, bounds) live in one place. The framer derives
 * each type's smallest and largest body from the same tables.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

enum field_kind {
	F_BYTES,	/* fixed-size opaque value: len bytes */
	F_U8,		/* any u8 */
	F_U32,		/* any u32, big-endian */
	F_U64,		/* any u64, big-endian */
	F_ZERO,		/* reserved u8, must be 0, not stored */
	F_CODE,		/* u16, 1..CPNS_WIRE_ERR_MAX */
	F_RANGE,	/* u8, 1..len (an enumeration: health, mode) */
	F_NAME,		/* u8 length, host name (struct cpns_wire_name) */
	F_TEXT,		/* u16 length, UTF-8 text (struct cpns_wire_text) */
	F_REST,		/* the rest of the body, min..len bytes */
	F_FLAGS,	/* u8 of flags: the bits outside len are reserved (0) */
	F_OPT,		/* len opaque bytes iff the u8 at len_off has a bit
			 * of min set (a flag decoded before), else none */
};

/*
 * @off: offset of the value in the decoded struct (struct cpns_wire_msg or
 *	struct cpns_wire_inner)
 * @len: F_BYTES, F_OPT: the size; F_TEXT: the bound; F_REST: the largest
 *	size; F_RANGE: the largest value; F_FLAGS: the bits defined
 * @min: F_REST: the smallest size; F_OPT: the flag that makes it present
 * @len_off: F_REST: offset of its uint16_t length; F_OPT: offset of the
 *	flags that say whether it is present
 */
struct field {
	uint8_t kind;
	uint16_t off;
	uint16_t len;
	uint16_t min;
	uint16_t len_off;
};

struct layout {
	uint8_t type;
	const char *name;
	const struct field *fields;
	size_t nfields;
};

#define M(member)	offsetof(struct cpns_wire_msg, member)
#define I(member)	offsetof(struct cpns_wire_inner, member)
#define BYTES(o, n)	{ .kind = F_BYTES, .off = (o), .len = (n) }
#define LAYOUT(t, n, f)	{ .type = (t), .name = (n), .fields = (f), \
			  .nfields = sizeof(f) / sizeof((f)[0]) }

static const struct field seed_request_fields[] = {
	BYTES(M(seed_request.pubkey), CPNS_PUBKEY_LEN),
	{ .kind = F_NAME, .off = M(seed_request.name) },
	{ .kind = F_FLAGS, .off = M(seed_request.flags),
	  .len = CPNS_WIRE_SEED_FLAGS },
	{ .kind = F_OPT, .off = M(seed_request.proof),
	  .len = CPNS_MAC_LEN, .min = CPNS_WIRE_SEED_PROOF,
	  .len_off = M(seed_request.flags) },
};

static const struct field seed_response_fields[] = {
	BYTES(M(seed_response.sid), CPNS_SEED_ID_LEN),
	BYTES(M(seed_response.pubkey), CPNS_PUBKEY_LEN),
	BYTES(M(seed_response.wrapped), CPNS_WRAPPED_LEN),
	BYTES(M(seed_response.retired_sid), CPNS_SEED_ID_LEN),
	{ .kind = F_U64, .off = M(seed_response.retire_at) },
};

static const struct field assign_request_fields[] = {
	BYTES(M(assign_request.sid), CPNS_SEED_ID_LEN),
	BYTES(M(assign_request.n1), CPNS_NONCE_LEN),
	BYTES(M(assign_request.mac), CPNS_MAC_LEN),
};

static const struct field assign_challenge_fields[] = {
	BYTES(M(assign_challenge.n1), CPNS_NONCE_LEN),
	BYTES(M(assign_challenge.ch), CPNS_CHALLENGE_LEN),
	BYTES(M(assign_challenge.mac), CPNS_MAC_LEN),
};

static const struct field assign_device_id_fields[] = {
	BYTES(M(assign_device_id.did), CPNS_DEVICE_ID_LEN),
	BYTES(M(assign_device_id.n1), CPNS_NONCE_LEN),
	{ .kind = F_FLAGS, .off = M(assign_device_id.flags),
	  .len = CPNS_WIRE_ASSIGN_FLAGS },
	{ .kind = F_OPT, .off = M(assign_device_id.replaces),
	  .len = CPNS_DEVICE_ID_LEN, .min = CPNS_WIRE_ASSIGN_REPLACES,
	  .len_off = M(assign_device_id.flags) },
};

static const struct field assign_confirm_fields[] = {
	BYTES(M(assign_confirm.did), CPNS_DEVICE_ID_LEN),
	BYTES(M(assign_confirm.code), CPNS_MAC_LEN),
};

static const struct field assign_ask_fields[] = {
	BYTES(M(assign_ask.pubkey), CPNS_PUBKEY_LEN),
	{ .kind = F_NAME, .off = M(assign_ask.name) },
	{ .kind = F_FLAGS, .off = M(assign_ask.flags),
	  .len = CPNS_WIRE_ASSIGN_FLAGS },
	{ .kind = F_OPT, .off = M(assign_ask.replaces),
	  .len = CPNS_DEVICE_ID_LEN, .min = CPNS_WIRE_ASSIGN_REPLACES,
	  .len_off = M(assign_ask.flags) },
};

static const struct field device_transfer_fields[] = {
	BYTES(M(device_transfer.did), CPNS_DEVICE_ID_LEN),
	BYTES(M(device_transfer.pubkey), CPNS_PUBKEY_LEN),
	BYTES(M(device_transfer.wrapped), CPNS_WRAPPED_LEN),
};

static const struct field device_offer_fields[] = {
	BYTES(M(device_offer.did), CPNS_DEVICE_ID_LEN),
	BYTES(M(device_offer.pubkey), CPNS_PUBKEY_LEN),
	{ .kind = F_RANGE, .off = M(device_offer.mode),
	  .len = CPNS_WIRE_CONFIRM_MAX },
	{ .kind = F_ZERO },
};

static const struct field device_pair_fields[] = {
	BYTES(M(device_pair.mac), CPNS_MAC_LEN),
};

static const struct field auth_hello_fields[] = {
	BYTES(M(auth_hello.did), CPNS_DEVICE_ID_LEN),
	BYTES(M(auth_hello.nc), CPNS_NONCE_LEN),
	{ .kind = F_U32, .off = M(auth_hello.generation) },
	{ .kind = F_FLAGS, .off = M(auth_hello.flags),
	  .len = CPNS_WIRE_AUTH_FLAGS },
	{ .kind = F_OPT, .off = M(auth_hello.pubkey), .len = CPNS_PUBKEY_LEN,
	  .min = CPNS_WIRE_AUTH_REKEY, .len_off = M(auth_hello.flags) },
};

static const struct field auth_challenge_fields[] = {
	BYTES(M(auth_challenge.ns), CPNS_NONCE_LEN),
	{ .kind = F_FLAGS, .off = M(auth_challenge.flags),
	  .len = CPNS_WIRE_AUTH_FLAGS },
	{ .kind = F_OPT, .off = M(auth_challenge.pubkey),
	  .len = CPNS_PUBKEY_LEN, .min = CPNS_WIRE_AUTH_REKEY,
	  .len_off = M(auth_challenge.flags) },
};

static const struct field auth_client_fields[] = {
	BYTES(M(auth_client.mac), CPNS_MAC_LEN),
};

static const struct field auth_server_fields[] = {
	BYTES(M(auth_server.mac), CPNS_MAC_LEN),
};

static const struct field sealed_fields[] = {
	{ .kind = F_U64, .off = M(sealed.seq) },
	{ .kind = F_REST, .off = M(sealed.ct), .len = CPNS_WIRE_SEALED_MAX,
	  .min = CPNS_WIRE_SEALED_MIN, .len_off = M(sealed.ct_len) },
};

static const struct field error_fields[] = {
	{ .kind = F_CODE, .off = M(error.code) },
	{ .kind = F_U8, .off = M(error.ref_type) },
	{ .kind = F_ZERO },
	{ .kind = F_TEXT, .off = M(error.text), .len = CPNS_WIRE_ERRMSG_MAX },
};

static const struct layout outer[] = {
	LAYOUT(CPNS_WIRE_SEED_REQUEST, "SEED_REQUEST", seed_request_fields),
	LAYOUT(CPNS_WIRE_SEED_RESPONSE, "SEED_RESPONSE", seed_response_fields),
	LAYOUT(CPNS_WIRE_ASSIGN_REQUEST, "ASSIGN_REQUEST",
	       assign_request_fields),
	LAYOUT(CPNS_WIRE_ASSIGN_CHALLENGE, "ASSIGN_CHALLENGE",
	       assign_challenge_fields),
	LAYOUT(CPNS_WIRE_ASSIGN_DEVICE_ID, "ASSIGN_DEVICE_ID",
	       assign_device_id_fields),
	LAYOUT(CPNS_WIRE_ASSIGN_CONFIRM, "ASSIGN_CONFIRM",
	       assign_confirm_fields),
	LAYOUT(CPNS_WIRE_ASSIGN_ASK, "ASSIGN_ASK", assign_ask_fields),
	LAYOUT(CPNS_WIRE_DEVICE_TRANSFER, "DEVICE_TRANSFER",
	       device_transfer_fields),
	LAYOUT(CPNS_WIRE_DEVICE_OFFER, "DEVICE_OFFER", device_offer_fields),
	LAYOUT(CPNS_WIRE_DEVICE_PAIR, "DEVICE_PAIR", device_pair_fields),
	LAYOUT(CPNS_WIRE_AUTH_HELLO, "AUTH_HELLO", auth_hello_fields),
	LAYOUT(CPNS_WIRE_AUTH_CHALLENGE, "AUTH_CHALLENGE",
	       auth_challenge_fields),
	LAYOUT(CPNS_WIRE_AUTH_CLIENT, "AUTH_CLIENT", auth_client_fields),
	LAYOUT(CPNS_WIRE_AUTH_SERVER, "AUTH_SERVER", auth_server_fields),
	LAYOUT(CPNS_WIRE_SEALED, "SEALED", sealed_fields),
	LAYOUT(CPNS_WIRE_ERROR, "ERROR", error_fields),
};

static const struct field status_report_fields[] = {
	{ .kind = F_RANGE, .off = I(status_report.health),
	  .len = CPNS_WIRE_HEALTH_MAX },
	{ .kind = F_ZERO },
	{ .kind = F_U64, .off = I(status_report.time) },
	{ .kind = F_TEXT, .off = I(status_report.text),
	  .len = CPNS_WIRE_TEXT_MAX },
};

static const struct field status_ack_fields[] = {
	{ .kind = F_U64, .off = I(status_ack.seq) },
};

static const struct layout inner[] = {
	LAYOUT(CPNS_WIRE_STATUS_REPORT, "STATUS_REPORT", status_report_fields),
	LAYOUT(CPNS_WIRE_STATUS_ACK, "STATUS_ACK", status_ack_fields),
};

#define NLAYOUTS(t)	(sizeof(t) / sizeof((t)[0]))

static const struct layout *find_layout(const struct layout *tab, size_t n,
					unsigned int type)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (tab[i].type == type)
			return &tab[i];
	return NULL;
}

/* Smallest and largest encoded size of one field. */
static size_t field_min(const struct field *f)
{
	switch (f->kind) {
	case F_BYTES:
		return f->len;
	case F_U32:
		return 4;
	case F_U64:
		return 8;
	case F_CODE:
		return 2;
	case F_NAME:
		return 1;	/* an empty name is a bad string, not a short body */
	case F_TEXT:
		return 2;
	case F_REST:
		return f->min;
	case F_OPT:
		return 0;
	default:	/* F_U8, F_ZERO, F_RANGE, F_FLAGS */
		return 1;
	}
}

static size_t field_max(const struct field *f)
{
	switch (f->kind) {
	case F_NAME:
		return 1 + CPNS_WIRE_NAME_MAX;
	case F_TEXT:
		return 2 + (size_t)f->len;
	case F_REST:
	case F_OPT:
		return f->len;
	default:
		return field_min(f);
	}
}

static size_t body_min(const struct layout *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->nfields; i++)
		n += field_min(&l->fields[i]);
	return n;
}

static size_t body_max(const struct layout *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->nfields; i++)
		n += field_max(&l->fields[i]);
	return n;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static int name_char_ok(uint8_t c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return !first && (c == '.' || c == '_' || c == '-');
}

static int name_check(const uint8_t *s, size_t n)
{
	size_t i;

	if (n == 0)
		return CPNS_WIRE_E_STRING;
	if (n > CPNS_WIRE_NAME_MAX)
		return CPNS_WIRE_E_OVERSIZED;
	for (i = 0; i < n; i++)
		if (!name_char_ok(s[i], i == 0))
			return CPNS_WIRE_E_STRING;
	return CPNS_WIRE_OK;
}

/*
 * The length of the character at s[0..n) if it is well-formed UTF-8
 * (Unicode 15, table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF) and not a C0 control, DEL or C1 control, so that text can be
 * logged as it is; 0 otherwise.
 */
static size_t utf8_char(const uint8_t *s, size_t n)
{
	uint32_t cp, min;
	uint8_t c = s[0];
	size_t k, j;

	if (c < 0x80)
		return (c < 0x20 || c == 0x7f) ? 0 : 1;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n - 1 < k)
		return 0;
	for (j = 1; j <= k; j++) {
		if ((s[j] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[j] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp <= 0x9f)
		return 0;
	return k + 1;
}

static int text_check(const uint8_t *s, size_t n, size_t max)
{
	size_t i = 0, k;

	if (n > max)
		return CPNS_WIRE_E_OVERSIZED;
	while (i < n) {
		k = utf8_char(s + i, n - i);
		if (!k)
			return CPNS_WIRE_E_STRING;
		i += k;
	}
	return CPNS_WIRE_OK;
}

/*
 * Decode the fields of @l from body[0..n) into @base. The caller has checked
 * n against body_min() and body_max(), but every read is bounded here again
 * so that this function is safe on its own.
 */
/* F_NAME: a u8 length, then the name. */
static int decode_name(const struct field *f, const uint8_t *p, size_t left,
		       unsigned char *base, size_t *used)
{
	struct cpns_wire_name *nm = (void *)(base + f->off);
	size_t len = p[0];
	int ret;

	if (len > CPNS_WIRE_NAME_MAX)
		return CPNS_WIRE_E_OVERSIZED;
	if (len > left - 1)
		return CPNS_WIRE_E_TRUNCATED;
	ret = name_check(p + 1, len);
	if (ret)
		return ret;
	nm->len = (uint8_t)len;
	memcpy(nm->s, p + 1, len);
	nm->s[len] = '\0';
	*used = 1 + len;
	return CPNS_WIRE_OK;
}

/* F_TEXT: a u16 length, then the text. */
static int decode_text(const struct field *f, const uint8_t *p, size_t left,
		       unsigned char *base, size_t *used)
{
	struct cpns_wire_text *tx = (void *)(base + f->off);
	size_t len = get16(p);
	int ret;

	if (len > f->len)
		return CPNS_WIRE_E_OVERSIZED;
	if (len > left - 2)
		return CPNS_WIRE_E_TRUNCATED;
	ret = text_check(p + 2, len, f->len);
	if (ret)
		return ret;
	tx->len = (uint16_t)len;
	memcpy(tx->s, p + 2, len);
	tx->s[len] = '\0';
	*used = 2 + len;
	return CPNS_WIRE_OK;
}

/* The fields of fixed size once present: one byte, or an integer. */
static int decode_small(const struct field *f, const uint8_t *p,
			unsigned char *base, size_t *used)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	*used = 1;
	switch (f->kind) {
	case F_U8:
		break;
	case F_ZERO:
		return p[0] ? CPNS_WIRE_E_RESERVED : CPNS_WIRE_OK;
	case F_RANGE:
		if (p[0] == 0 || p[0] > f->len)
			return CPNS_WIRE_E_VALUE;
		break;
	case F_FLAGS:
		if (p[0] & ~f->len)
			return CPNS_WIRE_E_RESERVED;
		break;
	case F_U32:
		v32 = get32(p);
		memcpy(base + f->off, &v32, sizeof(v32));
		*used = 4;
		return CPNS_WIRE_OK;
	case F_U64:
		v64 = get64(p);
		memcpy(base + f->off, &v64, sizeof(v64));
		*used = 8;
		return CPNS_WIRE_OK;
	case F_CODE:
		v16 = get16(p);
		if (v16 == 0 || v16 > CPNS_WIRE_ERR_MAX)
			return CPNS_WIRE_E_VALUE;
		memcpy(base + f->off, &v16, sizeof(v16));
		*used = 2;
		return CPNS_WIRE_OK;
	default:
		return CPNS_WIRE_E_VALUE;
	}
	base[f->off] = p[0];
	return CPNS_WIRE_OK;
}

/* One field at p, left bytes before the end of the body: *used bytes. */
static int decode_field(const struct field *f, const uint8_t *p, size_t left,
			unsigned char *base, size_t *used)
{
	uint16_t v16;

	*used = 0;
	switch (f->kind) {
	case F_BYTES:
		memcpy(base + f->off, p, f->len);
		*used = f->len;
		return CPNS_WIRE_OK;
	case F_OPT:
		if (!(base[f->len_off] & f->min))
			return CPNS_WIRE_OK;
		if (left < f->len)
			return CPNS_WIRE_E_TRUNCATED;
		memcpy(base + f->off, p, f->len);
		*used = f->len;
		return CPNS_WIRE_OK;
	case F_NAME:
		return decode_name(f, p, left, base, used);
	case F_TEXT:
		return decode_text(f, p, left, base, used);
	case F_REST:
		if (left > f->len)
			return CPNS_WIRE_E_OVERSIZED;
		v16 = (uint16_t)left;
		memcpy(base + f->len_off, &v16, sizeof(v16));
		memcpy(base + f->off, p, left);
		*used = left;
		return CPNS_WIRE_OK;
	default:
		return decode_small(f, p, base, used);
	}
}

static int decode_fields(const struct layout *l, const uint8_t *body,
			 size_t n, unsigned char *base)
{
	size_t i, pos = 0, used;
	int ret;

	for (i = 0; i < l->nfields; i++) {
		const struct field *f = &l->fields[i];

		if (n - pos < field_min(f))
			return CPNS_WIRE_E_TRUNCATED;
		ret = decode_field(f, body + pos, n - pos, base, &used);
		if (ret)
			return ret;
		pos += used;
	}
	return pos == n ? CPNS_WIRE_OK : CPNS_WIRE_E_TRAILING;
}

/*
 * Check one field's value in @base against the decoder's rules and give
 * its encoded length.
 */
static int field_check(const struct field *f, const unsigned char *base,
		       size_t *len)
{
	const struct cpns_wire_name *nm = (const void *)(base + f->off);
	const struct cpns_wire_text *tx = (const void *)(base + f->off);
	uint16_t v16;

	switch (f->kind) {
	case F_RANGE:
		if (base[f->off] == 0 || base[f->off] > f->len)
			return CPNS_WIRE_E_VALUE;
		break;
	case F_CODE:
		memcpy(&v16, base + f->off, sizeof(v16));
		if (v16 == 0 || v16 > CPNS_WIRE_ERR_MAX)
			return CPNS_WIRE_E_VALUE;
		break;
	case F_FLAGS:
		if (base[f->off] & ~f->len)
			return CPNS_WIRE_E_RESERVED;
		break;
	case F_OPT:
		*len = (base[f->len_off] & f->min) ? f->len : 0;
		return CPNS_WIRE_OK;
	case F_NAME:
		*len = 1 + (size_t)nm->len;
		return name_check((const uint8_t *)nm->s, nm->len);
	case F_TEXT:
		*len = 2 + (size_t)tx->len;
		return text_check((const uint8_t *)tx->s, tx->len, f->len);
	case F_REST:
		memcpy(&v16, base + f->len_off, sizeof(v16));
		*len = v16;
		if (v16 < f->min)
			return CPNS_WIRE_E_TRUNCATED;
		if (v16 > f->len)
			return CPNS_WIRE_E_OVERSIZED;
		return CPNS_WIRE_OK;
	default:
		break;
	}
	*len = field_min(f);
	return CPNS_WIRE_OK;
}

/*
 * Check the fields of @l in @base and encode them into out[0..cap); *n is
 * the encoded length. Every field is checked before anything is written
 * past the space check, so an invalid message never gives NOSPACE.
 */
static int encode_fields(const struct layout *l, const unsigned char *base,
			 uint8_t *out, size_t cap, size_t *n)
{
	size_t i, pos = 0, len, total = 0;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	int ret;

	for (i = 0; i < l->nfields; i++) {
		ret = field_check(&l->fields[i], base, &len);
		if (ret)
			return ret;
		total += len;
	}
	if (total > cap)
		return CPNS_WIRE_E_NOSPACE;

	for (i = 0; i < l->nfields; i++) {
		const struct field *f = &l->fields[i];
		const struct cpns_wire_name *nm = (const void *)(base + f->off);
		const struct cpns_wire_text *tx = (const void *)(base + f->off);

		field_check(f, base, &len);
		switch (f->kind) {
		case F_BYTES:
		case F_REST:
		case F_OPT:
			memcpy(out + pos, base + f->off, len);
			break;
		case F_U8:
		case F_RANGE:
		case F_FLAGS:
			out[pos] = base[f->off];
			break;
		case F_U32:
			memcpy(&v32, base + f->off, sizeof(v32));
			put32(out + pos, v32);
			break;
		case F_ZERO:
			out[pos] = 0;
			break;
		case F_U64:
			memcpy(&v64, base + f->off, sizeof(v64));
			put64(out + pos, v64);
			break;
		case F_CODE:
			memcpy(&v16, base + f->off, sizeof(v16));
			put16(out + pos, v16);
			break;
		case F_NAME:
			out[pos] = nm->len;
			memcpy(out + pos + 1, nm->s, nm->len);
			break;
		case F_TEXT:
			put16(out + pos, tx->len);
			memcpy(out + pos + 2, tx->s, tx->len);
			break;
		}
		pos += len;
	}
	*n = pos;
	return CPNS_WIRE_OK;
}

/*
 * Check the header bytes present in buf[0..len). On success with a whole
 * header, *lp is the layout and *body the body length.
 */
static int header_check(const uint8_t *buf, size_t len,
			const struct layout **lp, size_t *body)
{
	const struct layout *l = NULL;
	uint32_t n;

	if (len >= 1 && buf[0] != CPNS_WIRE_VERSION)
		return CPNS_WIRE_E_VERSION;
	if (len >= 2) {
		l = find_layout(outer, NLAYOUTS(outer), buf[1]);
		if (!l)
			return CPNS_WIRE_E_TYPE;
	}
	if ((len >= 3 && buf[2]) || (len >= 4 && buf[3]))
		return CPNS_WIRE_E_RESERVED;
	if (len < CPNS_WIRE_HDR_LEN)
		return CPNS_WIRE_E_INCOMPLETE;
	n = get32(buf + 4);
	if (n > body_max(l))
		return CPNS_WIRE_E_OVERSIZED;
	if (n < body_min(l))
		return CPNS_WIRE_E_TRUNCATED;
	*lp = l;
	*body = n;
	return CPNS_WIRE_OK;
}

int cpns_wire_frame(const uint8_t *buf, size_t len, size_t *frame_len)
{
	const struct layout *l;
	size_t body;
	int ret;

	ret = header_check(buf, len, &l, &body);
	if (ret == CPNS_WIRE_E_INCOMPLETE)
		*frame_len = CPNS_WIRE_HDR_LEN;
	if (ret)
		return ret;
	*frame_len = CPNS_WIRE_HDR_LEN + body;
	return len < *frame_len ? CPNS_WIRE_E_INCOMPLETE : CPNS_WIRE_OK;
}

int cpns_wire_decode(const uint8_t *buf, size_t len, struct cpns_wire_msg *msg)
{
	const struct layout *l;
	size_t body;
	int ret;

	memset(msg, 0, sizeof(*msg));
	ret = header_check(buf, len, &l, &body);
	if (ret == CPNS_WIRE_E_INCOMPLETE)
		return CPNS_WIRE_E_TRUNCATED;
	if (ret)
		return ret;
	if (len - CPNS_WIRE_HDR_LEN < body)
		return CPNS_WIRE_E_TRUNCATED;
	if (len - CPNS_WIRE_HDR_LEN > body)
		return CPNS_WIRE_E_TRAILING;
	msg->type = l->type;
	return decode_fields(l, buf + CPNS_WIRE_HDR_LEN, body,
			     (unsigned char *)msg);
}

static void header_put(uint8_t *buf, uint8_t type, size_t body)
{
	buf[0] = CPNS_WIRE_VERSION;
	buf[1] = type;
	buf[2] = 0;
	buf[3] = 0;
	put32(buf + 4, (uint32_t)body);
}

int cpns_wire_encode(const struct cpns_wire_msg *msg, uint8_t *buf,
		     size_t cap, size_t *len)
{
	const struct layout *l;
	size_t body;
	int ret;

	l = find_layout(outer, NLAYOUTS(outer), msg->type);
	if (!l)
		return CPNS_WIRE_E_TYPE;
	if (cap < CPNS_WIRE_HDR_LEN)
		return CPNS_WIRE_E_NOSPACE;
	ret = encode_fields(l, (const unsigned char *)msg,
			    buf + CPNS_WIRE_HDR_LEN, cap - CPNS_WIRE_HDR_LEN,
			    &body);
	if (ret)
		return ret;
	header_put(buf, l->type, body);
	*len = CPNS_WIRE_HDR_LEN + body;
	return CPNS_WIRE_OK;
}

int cpns_wire_inner_decode(const uint8_t *buf, size_t len,
			   struct cpns_wire_inner *in)
{
	const struct layout *l;
	size_t body;

	memset(in, 0, sizeof(*in));
	if (len < CPNS_WIRE_INNER_HDR_LEN)
		return CPNS_WIRE_E_TRUNCATED;
	l = find_layout(inner, NLAYOUTS(inner), buf[0]);
	if (!l)
		return CPNS_WIRE_E_TYPE;
	if (buf[1])
		return CPNS_WIRE_E_RESERVED;
	body = len - CPNS_WIRE_INNER_HDR_LEN;
	if (body > body_max(l))
		return CPNS_WIRE_E_OVERSIZED;
	in->type = l->type;
	return decode_fields(l, buf + CPNS_WIRE_INNER_HDR_LEN, body,
			     (unsigned char *)in);
}

int cpns_wire_inner_encode(const struct cpns_wire_inner *in, uint8_t *buf,
			   size_t cap, size_t *len)
{
	const struct layout *l;
	size_t body;
	int ret;

	l = find_layout(inner, NLAYOUTS(inner), in->type);
	if (!l)
		return CPNS_WIRE_E_TYPE;
	if (cap < CPNS_WIRE_INNER_HDR_LEN)
		return CPNS_WIRE_E_NOSPACE;
	ret = encode_fields(l, (const unsigned char *)in,
			    buf + CPNS_WIRE_INNER_HDR_LEN,
			    cap - CPNS_WIRE_INNER_HDR_LEN, &body);
	if (ret)
		return ret;
	buf[0] = l->type;
	buf[1] = 0;
	*len = CPNS_WIRE_INNER_HDR_LEN + body;
	return CPNS_WIRE_OK;
}

int cpns_wire_sealed_aad(size_t ct_len, uint8_t aad[CPNS_WIRE_HDR_LEN])
{
	if (ct_len < CPNS_WIRE_SEALED_MIN)
		return CPNS_WIRE_E_TRUNCATED;
	if (ct_len > CPNS_WIRE_SEALED_MAX)
		return CPNS_WIRE_E_OVERSIZED;
	header_put(aad, CPNS_WIRE_SEALED, 8 + ct_len);
	return CPNS_WIRE_OK;
}

uint16_t cpns_wire_err_code(int err)
{
	switch (err) {
	case CPNS_WIRE_E_VERSION:
		return CPNS_WIRE_ERR_BAD_VERSION;
	case CPNS_WIRE_E_TYPE:
		return CPNS_WIRE_ERR_UNKNOWN_TYPE;
	case CPNS_WIRE_E_RESERVED:
	case CPNS_WIRE_E_OVERSIZED:
	case CPNS_WIRE_E_TRUNCATED:
	case CPNS_WIRE_E_TRAILING:
	case CPNS_WIRE_E_STRING:
	case CPNS_WIRE_E_VALUE:
		return CPNS_WIRE_ERR_MALFORMED;
	default:
		return CPNS_WIRE_ERR_INTERNAL;
	}
}

const char *cpns_wire_strerror(int err)
{
	switch (err) {
	case CPNS_WIRE_OK:
		return "success";
	case CPNS_WIRE_E_INCOMPLETE:
		return "incomplete frame";
	case CPNS_WIRE_E_VERSION:
		return "unsupported protocol version";
	case CPNS_WIRE_E_TYPE:
		return "unknown message type";
	case CPNS_WIRE_E_RESERVED:
		return "reserved field not zero";
	case CPNS_WIRE_E_OVERSIZED:
		return "length above its limit";
	case CPNS_WIRE_E_TRUNCATED:
		return "message truncated";
	case CPNS_WIRE_E_TRAILING:
		return "trailing bytes after the last field";
	case CPNS_WIRE_E_STRING:
		return "invalid string contents";
	case CPNS_WIRE_E_VALUE:
		return "field value out of range";
	case CPNS_WIRE_E_NOSPACE:
		return "output buffer too small";
	default:
		return "unknown wire error";
	}
}

/* The names of protocol.rst 7.2, exactly. */
static const char *const code_names[] = {
	[CPNS_WIRE_ERR_BAD_VERSION] = "bad version",
	[CPNS_WIRE_ERR_UNKNOWN_TYPE] = "unknown type",
	[CPNS_WIRE_ERR_MALFORMED] = "malformed",
	[CPNS_WIRE_ERR_UNEXPECTED] = "unexpected",
	[CPNS_WIRE_ERR_BAD_MAC] = "bad MAC",
	[CPNS_WIRE_ERR_UNKNOWN_SEED] = "unknown seed",
	[CPNS_WIRE_ERR_UNKNOWN_DEVICE] = "unknown device",
	[CPNS_WIRE_ERR_EXPIRED] = "expired",
	[CPNS_WIRE_ERR_REPLAY] = "replay",
	[CPNS_WIRE_ERR_BUSY] = "busy",
	[CPNS_WIRE_ERR_EXISTS] = "exists",
	[CPNS_WIRE_ERR_DENIED] = "denied",
	[CPNS_WIRE_ERR_TIMEOUT] = "timeout",
	[CPNS_WIRE_ERR_INTERNAL] = "internal",
};

const char *cpns_wire_code_name(unsigned int code)
{
	if (code == 0 || code > CPNS_WIRE_ERR_MAX)
		return "unknown error code";
	return code_names[code];
}

const char *cpns_wire_type_name(unsigned int type)
{
	const struct layout *l = find_layout(outer, NLAYOUTS(outer), type);

	return l ? l->name : NULL;
}

const char *cpns_wire_inner_type_name(unsigned int type)
{
	const struct layout *l = find_layout(inner, NLAYOUTS(inner), type);

	return l ? l->name : NULL;
}

int cpns_wire_name_set(struct cpns_wire_name *name, const char *s)
{
	size_t n = 0;
	int ret;

	while (n <= CPNS_WIRE_NAME_MAX && s[n])
		n++;
	ret = name_check((const uint8_t *)s, n);
	if (ret)
		return ret;
	memcpy(name->s, s, n);
	name->s[n] = '\0';
	name->len = (uint8_t)n;
	return CPNS_WIRE_OK;
}

int cpns_wire_text_set(struct cpns_wire_text *text, const char *s, size_t max)
{
	size_t n = 0;
	int ret;

	if (max > CPNS_WIRE_STR_MAX)
		max = CPNS_WIRE_STR_MAX;
	while (n <= max && s[n])
		n++;
	ret = text_check((const uint8_t *)s, n, max);
	if (ret)
		return ret;
	memcpy(text->s, s, n);
	text->s[n] = '\0';
	text->len = (uint16_t)n;
	return CPNS_WIRE_OK;
}

int cpns_wire_error_set(struct cpns_wire_msg *msg, unsigned int code,
			unsigned int ref_type, const char *text)
{
	struct cpns_wire_text *tx = &msg->error.text;
	const uint8_t *s = (const uint8_t *)(text ? text : "");
	size_t k;

	if (code == 0 || code > CPNS_WIRE_ERR_MAX || ref_type > 0xff)
		return CPNS_WIRE_E_VALUE;
	memset(msg, 0, sizeof(*msg));
	msg->type = CPNS_WIRE_ERROR;
	msg->error.code = (uint16_t)code;
	msg->error.ref_type = (uint8_t)ref_type;
	for (; *s; s += k) {
		size_t n = 1;

		while (n < 4 && s[n])
			n++;
		k = utf8_char(s, n);
		if (tx->len + (k ? k : 1) > CPNS_WIRE_ERRMSG_MAX)
			break;
		if (k) {
			memcpy(tx->s + tx->len, s, k);
			tx->len = (uint16_t)(tx->len + k);
		} else {
			tx->s[tx->len++] = '?';
			k = 1;
		}
	}
	tx->s[tx->len] = '\0';
	return CPNS_WIRE_OK;
}

uint16_t cpns_wire_kernel_code(int err, bool by_device)
{
	switch (err) {
	case -EBADMSG:
		return CPNS_WIRE_ERR_BAD_MAC;
	case -ENOKEY:
		return by_device ? CPNS_WIRE_ERR_UNKNOWN_DEVICE :
				   CPNS_WIRE_ERR_UNKNOWN_SEED;
	case -EKEYREVOKED:
	case -EKEYEXPIRED:
	case -ENOENT:
		return CPNS_WIRE_ERR_EXPIRED;
	case -EINVAL:
		return CPNS_WIRE_ERR_UNEXPECTED;
	case -EALREADY:
		return CPNS_WIRE_ERR_REPLAY;
	case -EBUSY:
		return CPNS_WIRE_ERR_BUSY;
	case -EEXIST:
		return CPNS_WIRE_ERR_EXISTS;
	case -EKEYREJECTED:
		return CPNS_WIRE_ERR_MALFORMED;
	default:
		return CPNS_WIRE_ERR_INTERNAL;
	}
}

/* RFC 7748 6.1: the u-coordinates of small order, bit 255 clear. */
static const uint8_t x25519_low_order[][CPNS_PUBKEY_LEN] = {
	/* 0 (order 4) */
	{ 0 },
	/* 1 (order 1) */
	{ 1 },
	/* order 8 */
	{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	  0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	  0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
	/* order 8 */
	{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	  0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	  0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
	/* p - 1 (order 2) */
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	/* p, that is 0 */
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	/* p + 1, that is 1 */
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
};

bool cpns_wire_x25519_low_order(const uint8_t pub[CPNS_PUBKEY_LEN])
{
	unsigned int found = 0;
	size_t i, j;

	for (j = 0; j < sizeof(x25519_low_order) / sizeof(x25519_low_order[0]);
	     j++) {
		unsigned int diff = 0;

		for (i = 0; i < CPNS_PUBKEY_LEN - 1; i++)
			diff |= pub[i] ^ x25519_low_order[j][i];
		diff |= (pub[CPNS_PUBKEY_LEN - 1] & 0x7f) ^
			x25519_low_order[j][CPNS_PUBKEY_LEN - 1];
		/* 1 if diff is 0, without a branch on it */
		found |= ((diff - 1) >> 8) & 1;
	}
	return found;
}
