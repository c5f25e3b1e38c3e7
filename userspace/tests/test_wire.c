// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host unit tests of the wire protocol (userspace/lib/codec/wire.c), TAP output.
 *
 * The layouts below are written from Documentation/protocol.rst with literal
 * sizes, independently of the library's own tables: the test builds frames
 * byte by byte from them, then checks that the library decodes every field
 * to the right place, re-encodes the same bytes, and refuses every frame
 * that is truncated, oversized, of the wrong type or version, has trailing
 * bytes, non-zero reserved bits, or bad string contents or values.
 *
 * Usage: test_wire [--corpus DIR]   (DIR: write one valid frame per
 * message type there, as a seed corpus for the fuzzer)
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ oracle */

enum tkind { T_FIX, T_U8, T_U64, T_RSV, T_CODE, T_HEALTH, T_MODE, T_NAME,
	     T_TEXT, T_REST, T_U32, T_FLAGS, T_OPT };

struct tfield {
	const char *name;
	enum tkind kind;
	size_t size;	/* T_FIX/T_OPT: bytes; T_NAME/T_TEXT: bound; T_REST:
			 * max; T_FLAGS: the bits defined */
	size_t min;	/* T_REST: smallest; T_OPT: the flag that makes it
			 * present (in the T_FLAGS field just before it) */
	size_t off;	/* offset of the value in the decoded struct */
	size_t len_off;	/* T_REST: offset of its uint16_t length */
};

struct tmsg {
	const char *name;
	uint8_t type;
	bool inner;
	size_t nf;
	struct tfield f[5];
};

#define MO(m)	offsetof(struct cpns_wire_msg, m)
#define IO(m)	offsetof(struct cpns_wire_inner, m)
#define FIX(n, size, member)	{ n, T_FIX, size, 0, MO(member), 0 }

static const struct tmsg msgs[] = {
	{ "SEED_REQUEST", 0x01, false, 4, {
		FIX("pubkey", 32, seed_request.pubkey),
		{ "name", T_NAME, 64, 0, MO(seed_request.name), 0 },
		{ "flags", T_FLAGS, 0x01, 0, MO(seed_request.flags), 0 },
		{ "proof", T_OPT, 32, 0x01, MO(seed_request.proof), 0 } } },
	{ "SEED_RESPONSE", 0x02, false, 5, {
		FIX("sid", 8, seed_response.sid),
		FIX("pubkey", 32, seed_response.pubkey),
		FIX("wrapped", 48, seed_response.wrapped),
		FIX("retired_sid", 8, seed_response.retired_sid),
		{ "retire_at", T_U64, 8, 0, MO(seed_response.retire_at), 0 } } },
	{ "ASSIGN_REQUEST", 0x10, false, 3, {
		FIX("sid", 8, assign_request.sid),
		FIX("n1", 16, assign_request.n1),
		FIX("mac", 32, assign_request.mac) } },
	{ "ASSIGN_CHALLENGE", 0x11, false, 3, {
		FIX("n1", 16, assign_challenge.n1),
		FIX("ch", 16, assign_challenge.ch),
		FIX("mac", 32, assign_challenge.mac) } },
	{ "ASSIGN_DEVICE_ID", 0x12, false, 4, {
		FIX("did", 16, assign_device_id.did),
		FIX("n1", 16, assign_device_id.n1),
		{ "flags", T_FLAGS, 0x01, 0, MO(assign_device_id.flags), 0 },
		{ "replaces", T_OPT, 16, 0x01, MO(assign_device_id.replaces),
		  0 } } },
	{ "ASSIGN_CONFIRM", 0x13, false, 2, {
		FIX("did", 16, assign_confirm.did),
		FIX("code", 32, assign_confirm.code) } },
	{ "ASSIGN_ASK", 0x18, false, 4, {
		FIX("pubkey", 32, assign_ask.pubkey),
		{ "name", T_NAME, 64, 0, MO(assign_ask.name), 0 },
		{ "flags", T_FLAGS, 0x01, 0, MO(assign_ask.flags), 0 },
		{ "replaces", T_OPT, 16, 0x01, MO(assign_ask.replaces), 0 } } },
	{ "DEVICE_TRANSFER", 0x19, false, 3, {
		FIX("did", 16, device_transfer.did),
		FIX("pubkey", 32, device_transfer.pubkey),
		FIX("wrapped", 48, device_transfer.wrapped) } },
	{ "DEVICE_OFFER", 0x1a, false, 4, {
		FIX("did", 16, device_offer.did),
		FIX("pubkey", 32, device_offer.pubkey),
		{ "mode", T_MODE, 1, 0, MO(device_offer.mode), 0 },
		{ "reserved", T_RSV, 1, 0, 0, 0 } } },
	{ "DEVICE_PAIR", 0x1b, false, 1, {
		FIX("mac", 32, device_pair.mac) } },
	{ "AUTH_HELLO", 0x20, false, 5, {
		FIX("did", 16, auth_hello.did),
		FIX("nc", 16, auth_hello.nc),
		{ "generation", T_U32, 4, 0, MO(auth_hello.generation), 0 },
		{ "flags", T_FLAGS, 0x01, 0, MO(auth_hello.flags), 0 },
		{ "pubkey", T_OPT, 32, 0x01, MO(auth_hello.pubkey), 0 } } },
	{ "AUTH_CHALLENGE", 0x21, false, 3, {
		FIX("ns", 16, auth_challenge.ns),
		{ "flags", T_FLAGS, 0x01, 0, MO(auth_challenge.flags), 0 },
		{ "pubkey", T_OPT, 32, 0x01, MO(auth_challenge.pubkey), 0 } } },
	{ "AUTH_CLIENT", 0x22, false, 1, {
		FIX("mac", 32, auth_client.mac) } },
	{ "AUTH_SERVER", 0x23, false, 1, {
		FIX("mac", 32, auth_server.mac) } },
	{ "SEALED", 0x30, false, 2, {
		{ "seq", T_U64, 8, 0, MO(sealed.seq), 0 },
		{ "ciphertext", T_REST, 542, 26, MO(sealed.ct),
		  MO(sealed.ct_len) } } },
	{ "ERROR", 0x7f, false, 4, {
		{ "code", T_CODE, 2, 0, MO(error.code), 0 },
		{ "ref_type", T_U8, 1, 0, MO(error.ref_type), 0 },
		{ "reserved", T_RSV, 1, 0, 0, 0 },
		{ "message", T_TEXT, 256, 0, MO(error.text), 0 } } },
	{ "STATUS_REPORT", 0x01, true, 4, {
		{ "health", T_HEALTH, 1, 0, IO(status_report.health), 0 },
		{ "reserved", T_RSV, 1, 0, 0, 0 },
		{ "time", T_U64, 8, 0, IO(status_report.time), 0 },
		{ "text", T_TEXT, 512, 0, IO(status_report.text), 0 } } },
	{ "STATUS_ACK", 0x02, true, 1, {
		{ "seq", T_U64, 8, 0, IO(status_ack.seq), 0 } } },
};

#define NMSGS	ARRAY_SIZE(msgs)

static const char sample_name[] = "gw-1.example";
static const char sample_text[] = "status ok: caf\xc3\xa9 \xe2\x82\xac 5";
#define SAMPLE_REST	40

static size_t tfield_min(const struct tfield *f)
{
	switch (f->kind) {
	case T_FIX:
		return f->size;
	case T_U32:
		return 4;
	case T_U64:
		return 8;
	case T_CODE:
		return 2;
	case T_NAME:
		return 1;
	case T_TEXT:
		return 2;
	case T_REST:
		return f->min;
	case T_OPT:
		return 0;
	default:
		return 1;
	}
}

static size_t tfield_max(const struct tfield *f)
{
	switch (f->kind) {
	case T_NAME:
		return 1 + f->size;
	case T_TEXT:
		return 2 + f->size;
	case T_REST:
	case T_OPT:
		return f->size;
	default:
		return tfield_min(f);
	}
}

static size_t tbody_max(const struct tmsg *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nf; i++)
		n += tfield_max(&m->f[i]);
	return n;
}

static size_t tbody_min(const struct tmsg *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nf; i++)
		n += tfield_min(&m->f[i]);
	return n;
}

static bool all_fixed(const struct tmsg *m)
{
	return tbody_min(m) == tbody_max(m);
}

static size_t hdr_len(const struct tmsg *m)
{
	return m->inner ? 2 : 8;
}

/* A frame (or inner plaintext) and where each field lies in it. */
struct frame {
	uint8_t b[2048];
	size_t len;
	size_t foff[5];
	size_t flen[5];
};

static uint8_t pat(size_t field, size_t j)
{
	return (uint8_t)(0x41 + 13 * field + 7 * j);
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t sample_u64(size_t i)
{
	return 0x0102030405060708ULL ^ (0x1111111111111111ULL * (i + 1));
}

/*
 * Field fi of v (a copy of fr) changed its length to v->flen[fi]: the
 * fields after it moved by the difference.
 */
static void moved_after(const struct tmsg *m, struct frame *v,
			const struct frame *fr, size_t fi)
{
	size_t k;

	for (k = fi + 1; k < m->nf; k++)
		v->foff[k] = fr->foff[k] + v->flen[fi] - fr->flen[fi];
}

static void set_body_len(const struct tmsg *m, struct frame *fr, size_t body)
{
	if (!m->inner)
		put_be(fr->b + 4, body, 4);
}

static void build(const struct tmsg *m, struct frame *fr)
{
	size_t i, j, pos = hdr_len(m), n = 0;

	memset(fr, 0, sizeof(*fr));
	if (m->inner) {
		fr->b[0] = m->type;
	} else {
		fr->b[0] = 1;
		fr->b[1] = m->type;
	}
	for (i = 0; i < m->nf; i++) {
		const struct tfield *f = &m->f[i];
		uint8_t *p = fr->b + pos;

		fr->foff[i] = pos;
		switch (f->kind) {
		case T_FIX:
			for (j = 0; j < f->size; j++)
				p[j] = pat(i, j);
			n = f->size;
			break;
		case T_U8:
			p[0] = 0x10;
			n = 1;
			break;
		case T_RSV:
			n = 1;
			break;
		case T_HEALTH:
			p[0] = 2;
			n = 1;
			break;
		case T_MODE:
			p[0] = 2;
			n = 1;
			break;
		case T_FLAGS:
			p[0] = (uint8_t)f->size;	/* all set: T_OPT present */
			n = 1;
			break;
		case T_OPT:
			for (j = 0; j < f->size; j++)
				p[j] = pat(i, j);
			n = f->size;
			break;
		case T_U32:
			put_be(p, sample_u64(i), 4);
			n = 4;
			break;
		case T_U64:
			put_be(p, sample_u64(i), 8);
			n = 8;
			break;
		case T_CODE:
			put_be(p, 5, 2);
			n = 2;
			break;
		case T_NAME:
			p[0] = (uint8_t)strlen(sample_name);
			memcpy(p + 1, sample_name, p[0]);
			n = 1 + p[0];
			break;
		case T_TEXT:
			put_be(p, strlen(sample_text), 2);
			memcpy(p + 2, sample_text, strlen(sample_text));
			n = 2 + strlen(sample_text);
			break;
		case T_REST:
			for (j = 0; j < SAMPLE_REST; j++)
				p[j] = pat(i, j);
			n = SAMPLE_REST;
			break;
		}
		fr->flen[i] = n;
		pos += n;
	}
	fr->len = pos;
	set_body_len(m, fr, pos - hdr_len(m));
}

/* The decoded structs, big enough for either kind. */
union decoded {
	struct cpns_wire_msg msg;
	struct cpns_wire_inner in;
};

static int dec(const struct tmsg *m, const uint8_t *b, size_t len,
	       union decoded *d)
{
	if (m->inner)
		return cpns_wire_inner_decode(b, len, &d->in);
	return cpns_wire_decode(b, len, &d->msg);
}

static int enc(const struct tmsg *m, const union decoded *d, uint8_t *b,
	       size_t cap, size_t *len)
{
	if (m->inner)
		return cpns_wire_inner_encode(&d->in, b, cap, len);
	return cpns_wire_encode(&d->msg, b, cap, len);
}

/* ------------------------------------------------------------- TAP */

static int failures_in_test;

static void diag(const char *fmt, ...)
{
	va_list ap;

	failures_in_test++;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define EXPECT(cond, ...)			\
	do {					\
		if (!(cond))			\
			diag(__VA_ARGS__);	\
	} while (0)

#define EXPECT_ERR(got, want, what, ...)				\
	do {								\
		int g_ = (got), w_ = (want);				\
		if (g_ != w_)						\
			diag("%s: got %d (%s), want %d (%s) " what,	\
			     __func__, g_, cpns_wire_strerror(g_), w_,	\
			     cpns_wire_strerror(w_), __VA_ARGS__);	\
	} while (0)

typedef void (*test_fn)(const struct tmsg *m, size_t fi);

struct test {
	char name[96];
	test_fn fn;
	const struct tmsg *m;
	size_t fi;
};

static struct test tests[600];
static size_t ntests;

static void add(test_fn fn, const struct tmsg *m, size_t fi,
		const char *fmt, ...)
{
	va_list ap;

	if (ntests == ARRAY_SIZE(tests)) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	va_start(ap, fmt);
	vsnprintf(tests[ntests].name, sizeof(tests[ntests].name), fmt, ap);
	va_end(ap);
	tests[ntests].fn = fn;
	tests[ntests].m = m;
	tests[ntests].fi = fi;
	ntests++;
}

/* ---------------------------------------------------- field checks */

/* Does the decoded field fi hold the bytes at its place in fr? */
static bool field_matches(const struct tmsg *m, size_t fi,
			  const union decoded *d, const struct frame *fr)
{
	const struct tfield *f = &m->f[fi];
	const unsigned char *base = (const unsigned char *)d;
	const uint8_t *w = fr->b + fr->foff[fi];
	uint64_t v64, e64 = 0;
	uint32_t v32;
	uint16_t v16;
	size_t j;

	switch (f->kind) {
	case T_FIX:
		return !memcmp(base + f->off, w, f->size);
	case T_U8:
	case T_HEALTH:
	case T_MODE:
	case T_FLAGS:
		return base[f->off] == w[0];
	case T_U32:
		for (j = 0; j < 4; j++)
			e64 = e64 << 8 | w[j];
		memcpy(&v32, base + f->off, 4);
		return v32 == e64;
	case T_OPT:
		if (!fr->flen[fi]) {
			for (j = 0; j < f->size; j++)
				if (base[f->off + j])
					return false;
			return true;
		}
		return !memcmp(base + f->off, w, f->size);
	case T_RSV:
		return true;
	case T_U64:
		for (j = 0; j < 8; j++)
			e64 = e64 << 8 | w[j];
		memcpy(&v64, base + f->off, 8);
		return v64 == e64;
	case T_CODE:
		memcpy(&v16, base + f->off, 2);
		return v16 == (w[0] << 8 | w[1]);
	case T_NAME: {
		const struct cpns_wire_name *nm = (const void *)(base + f->off);

		return nm->len == w[0] && !memcmp(nm->s, w + 1, w[0]) &&
		       nm->s[w[0]] == '\0';
	}
	case T_TEXT: {
		const struct cpns_wire_text *tx = (const void *)(base + f->off);
		size_t n = (size_t)w[0] << 8 | w[1];

		return tx->len == n && !memcmp(tx->s, w + 2, n) &&
		       tx->s[n] == '\0';
	}
	case T_REST:
		memcpy(&v16, base + f->len_off, 2);
		return v16 == fr->flen[fi] &&
		       !memcmp(base + f->off, w, fr->flen[fi]);
	}
	return false;
}

/* Decode fr, expect success, every field in place, same bytes re-encoded. */
static void expect_roundtrip(const struct tmsg *m, const struct frame *fr,
			     const char *what)
{
	union decoded d;
	uint8_t out[2048];
	size_t i, n = 0;
	int ret;

	ret = dec(m, fr->b, fr->len, &d);
	EXPECT_ERR(ret, CPNS_WIRE_OK, "decoding %s", what);
	if (ret)
		return;
	EXPECT((m->inner ? d.in.type : d.msg.type) == m->type,
	       "%s: decoded type differs", what);
	for (i = 0; i < m->nf; i++)
		EXPECT(field_matches(m, i, &d, fr), "%s: field %s differs",
		       what, m->f[i].name);
	ret = enc(m, &d, out, sizeof(out), &n);
	EXPECT_ERR(ret, CPNS_WIRE_OK, "re-encoding %s", what);
	EXPECT(!ret && n == fr->len && !memcmp(out, fr->b, n),
	       "%s: re-encoded bytes differ (%zu vs %zu)", what, n, fr->len);
}

/* Expect fr to be refused with err by the decoder (and by the framer,
 * for header errors). Also check that the decoder never says OK for it.
 */
static void expect_refused(const struct tmsg *m, const struct frame *fr,
			   int err, const char *what)
{
	union decoded d;

	EXPECT_ERR(dec(m, fr->b, fr->len, &d), err, "for %s", what);
}

/* --------------------------------------------------- per-message */

static void t_roundtrip(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	size_t i;

	(void)fi;
	build(m, &fr);
	expect_roundtrip(m, &fr, "sample");
	/* body boundaries: smallest and largest value of each variable field */
	for (i = 0; i < m->nf; i++) {
		const struct tfield *f = &m->f[i];
		struct frame v;
		size_t n, j;

		if (f->kind != T_NAME && f->kind != T_TEXT &&
		    f->kind != T_REST)
			continue;
		for (n = (f->kind == T_NAME ? 1 : f->kind == T_REST ? f->min : 0);
		     n <= f->size; n += (f->size > 64 ? 61 : 7)) {
			size_t pfx = f->kind == T_NAME ? 1 :
				     f->kind == T_TEXT ? 2 : 0;
			size_t tail_off = fr.foff[i] + fr.flen[i];

			v = fr;
			memmove(v.b + fr.foff[i] + pfx + n, fr.b + tail_off,
				fr.len - tail_off);
			for (j = 0; j < n; j++)
				v.b[fr.foff[i] + pfx + j] =
					(uint8_t)(f->kind == T_REST ?
						  j * 29 : 'a' + j % 26);
			put_be(v.b + fr.foff[i], n, pfx);
			v.flen[i] = pfx + n;
			moved_after(m, &v, &fr, i);
			v.len = fr.len - fr.flen[i] + v.flen[i];
			set_body_len(m, &v, v.len - hdr_len(m));
			expect_roundtrip(m, &v, "length sweep");
		}
		/* and exactly the bound */
		v = fr;
		n = f->size;
		{
			size_t pfx = f->kind == T_NAME ? 1 :
				     f->kind == T_TEXT ? 2 : 0;
			size_t tail_off = fr.foff[i] + fr.flen[i];

			memmove(v.b + fr.foff[i] + pfx + n, fr.b + tail_off,
				fr.len - tail_off);
			memset(v.b + fr.foff[i] + pfx, 'z', n);
			put_be(v.b + fr.foff[i], n, pfx);
			v.flen[i] = pfx + n;
			moved_after(m, &v, &fr, i);
			v.len = fr.len - fr.flen[i] + v.flen[i];
			set_body_len(m, &v, v.len - hdr_len(m));
			expect_roundtrip(m, &v, "at the bound");
		}
	}
}

/* Truncating anywhere in the header (or, inner, its 2 bytes). */
static void t_header_truncated(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	union decoded d;
	size_t cut, need;

	(void)fi;
	build(m, &fr);
	for (cut = 0; cut < hdr_len(m); cut++) {
		EXPECT_ERR(dec(m, fr.b, cut, &d), CPNS_WIRE_E_TRUNCATED,
			   "at %zu", cut);
		if (m->inner)
			continue;
		need = 0;
		EXPECT_ERR(cpns_wire_frame(fr.b, cut, &need),
			   CPNS_WIRE_E_INCOMPLETE, "framer at %zu", cut);
		EXPECT(need == 8, "framer at %zu needs %zu, want 8", cut, need);
	}
}

/* One more byte after the frame; one more byte inside the body. */
static void t_trailing(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	union decoded d;
	size_t need = 0, body;
	int want;

	(void)fi;
	build(m, &fr);
	body = fr.len - hdr_len(m);
	fr.b[fr.len] = 0x00;
	if (!m->inner) {
		EXPECT_ERR(dec(m, fr.b, fr.len + 1, &d), CPNS_WIRE_E_TRAILING,
			   "%s", "byte after the frame");
		EXPECT_ERR(cpns_wire_frame(fr.b, fr.len + 1, &need),
			   CPNS_WIRE_OK, "%s", "framer, byte after the frame");
		EXPECT(need == fr.len, "framer length %zu, want %zu", need,
		       fr.len);
	}
	/* Inside the body: the header (outer) counts the extra byte. */
	set_body_len(m, &fr, body + 1);
	fr.len++;
	if (body + 1 > tbody_max(m))
		want = CPNS_WIRE_E_OVERSIZED;
	else if (m->f[m->nf - 1].kind == T_REST)
		want = CPNS_WIRE_OK;	/* the ciphertext is one byte longer */
	else
		want = CPNS_WIRE_E_TRAILING;
	EXPECT_ERR(dec(m, fr.b, fr.len, &d), want, "%s",
		   "extra byte in the body");
	if (m->inner)
		return;
	EXPECT_ERR(cpns_wire_frame(fr.b, fr.len, &need),
		   want == CPNS_WIRE_E_OVERSIZED ? want : CPNS_WIRE_OK, "%s",
		   "framer, extra byte in the body");
	/* The framer refuses an oversized length from the header alone. */
	set_body_len(m, &fr, tbody_max(m) + 1);
	EXPECT_ERR(cpns_wire_frame(fr.b, 8, &need), CPNS_WIRE_E_OVERSIZED,
		   "%s", "framer, header only, max + 1");
	set_body_len(m, &fr, 0xffffffffu);
	EXPECT_ERR(cpns_wire_frame(fr.b, 8, &need), CPNS_WIRE_E_OVERSIZED,
		   "%s", "framer, header only, 2^32 - 1");
	EXPECT_ERR(dec(m, fr.b, fr.len, &d), CPNS_WIRE_E_OVERSIZED, "%s",
		   "length 2^32 - 1");
	if (tbody_min(m) > 0) {
		set_body_len(m, &fr, tbody_min(m) - 1);
		EXPECT_ERR(cpns_wire_frame(fr.b, 8, &need),
			   CPNS_WIRE_E_TRUNCATED, "%s",
			   "framer, header only, min - 1");
	}
}

static void t_version(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	union decoded d;
	size_t need;
	unsigned int v;

	(void)fi;
	build(m, &fr);
	for (v = 0; v < 256; v++) {
		if (v == 1)
			continue;
		fr.b[0] = (uint8_t)v;
		EXPECT_ERR(dec(m, fr.b, fr.len, &d), CPNS_WIRE_E_VERSION,
			   "version %u", v);
		EXPECT_ERR(cpns_wire_frame(fr.b, 1, &need),
			   CPNS_WIRE_E_VERSION, "framer, 1 byte, version %u",
			   v);
		EXPECT_ERR(cpns_wire_frame(fr.b, fr.len, &need),
			   CPNS_WIRE_E_VERSION, "framer, version %u", v);
	}
}

static const struct tmsg *find_tmsg(uint8_t type, bool inner)
{
	size_t i;

	for (i = 0; i < NMSGS; i++)
		if (msgs[i].type == type && msgs[i].inner == inner)
			return &msgs[i];
	return NULL;
}

/* The body of m under every other type: refused unless the layouts agree. */
static void t_wrong_type(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	union decoded d;
	uint8_t out[2048];
	size_t n;
	unsigned int t;
	int ret;

	(void)fi;
	build(m, &fr);
	for (t = 0; t < 256; t++) {
		const struct tmsg *o = find_tmsg((uint8_t)t, m->inner);
		size_t need;

		if (t == m->type)
			continue;
		fr.b[m->inner ? 0 : 1] = (uint8_t)t;
		ret = dec(m, fr.b, fr.len, &d);
		if (!o) {
			EXPECT_ERR(ret, CPNS_WIRE_E_TYPE, "type 0x%02x", t);
			if (!m->inner)
				EXPECT_ERR(cpns_wire_frame(fr.b, 2, &need),
					   CPNS_WIRE_E_TYPE,
					   "framer, 2 bytes, type 0x%02x", t);
			continue;
		}
		if (ret)
			continue;
		/* Accepted: it must then be a valid o, bytes for bytes. */
		EXPECT(tbody_min(o) <= fr.len - hdr_len(m) &&
		       fr.len - hdr_len(m) <= tbody_max(o),
		       "%s body accepted as %s", m->name, o->name);
		EXPECT((m->inner ? d.in.type : d.msg.type) == t,
		       "relabelled type 0x%02x decoded as another", t);
		ret = enc(o, &d, out, sizeof(out), &n);
		EXPECT(!ret && n == fr.len && !memcmp(out, fr.b, n),
		       "%s body as %s does not round-trip", m->name, o->name);
	}
}

static void t_header_reserved(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	union decoded d;
	size_t need, byte;
	int bit;

	(void)fi;
	build(m, &fr);
	byte = m->inner ? 1 : 2;
	for (; byte < (m->inner ? 2u : 4u); byte++) {
		for (bit = 0; bit < 8; bit++) {
			fr.b[byte] = (uint8_t)(1u << bit);
			EXPECT_ERR(dec(m, fr.b, fr.len, &d),
				   CPNS_WIRE_E_RESERVED, "byte %zu bit %d",
				   byte, bit);
			if (!m->inner)
				EXPECT_ERR(cpns_wire_frame(fr.b, byte + 1,
							   &need),
					   CPNS_WIRE_E_RESERVED,
					   "framer, byte %zu bit %d", byte,
					   bit);
			fr.b[byte] = 0;
		}
	}
}

/* Every output capacity below the needed one gives NOSPACE. */
static void t_encoder_space(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	union decoded d;
	uint8_t out[2048];
	size_t cap, n;

	(void)fi;
	build(m, &fr);
	if (dec(m, fr.b, fr.len, &d)) {
		diag("sample does not decode");
		return;
	}
	for (cap = 0; cap < fr.len; cap++) {
		memset(out, 0xee, sizeof(out));
		EXPECT_ERR(enc(m, &d, out, cap, &n), CPNS_WIRE_E_NOSPACE,
			   "cap %zu", cap);
		EXPECT(out[cap] == 0xee, "encoder wrote past cap %zu", cap);
	}
	EXPECT_ERR(enc(m, &d, out, fr.len, &n), CPNS_WIRE_OK, "cap %zu",
		   fr.len);
}

/* Every frame prefix, one byte at a time, and two frames back to back. */
static void t_stream(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	uint8_t two[4096];
	size_t cut, need;

	(void)fi;
	build(m, &fr);
	for (cut = 0; cut <= fr.len; cut++) {
		int want = cut == fr.len ? CPNS_WIRE_OK :
			   CPNS_WIRE_E_INCOMPLETE;

		need = 0;
		EXPECT_ERR(cpns_wire_frame(fr.b, cut, &need), want, "at %zu",
			   cut);
		EXPECT(need == (cut < 8 ? 8 : fr.len),
		       "at %zu needs %zu", cut, need);
	}
	memcpy(two, fr.b, fr.len);
	memcpy(two + fr.len, fr.b, fr.len);
	EXPECT_ERR(cpns_wire_frame(two, 2 * fr.len, &need), CPNS_WIRE_OK,
		   "%s", "two frames");
	EXPECT(need == fr.len, "two frames: first is %zu, want %zu", need,
	       fr.len);
}

/* ------------------------------------------------------- per-field */

/* Cut the message inside field fi at every length. */
static void t_field_truncated(const struct tmsg *m, size_t fi)
{
	const struct tfield *f = &m->f[fi];
	struct frame fr, v;
	union decoded d;
	size_t cut, need, body;
	int want;

	build(m, &fr);
	for (cut = fr.foff[fi]; cut < fr.foff[fi] + fr.flen[fi]; cut++) {
		/* fewer bytes than the header announces */
		EXPECT_ERR(dec(m, fr.b, cut, &d), CPNS_WIRE_E_TRUNCATED,
			   "buffer cut at %zu", cut);
		if (m->inner)
			continue;
		EXPECT_ERR(cpns_wire_frame(fr.b, cut, &need),
			   CPNS_WIRE_E_INCOMPLETE, "framer, cut at %zu", cut);
		/* a header that announces the short body */
		v = fr;
		body = cut - 8;
		set_body_len(m, &v, body);
		want = CPNS_WIRE_E_TRUNCATED;
		if (f->kind == T_REST && cut - fr.foff[fi] >= f->min)
			want = CPNS_WIRE_OK;
		EXPECT_ERR(dec(m, v.b, cut, &d), want, "body cut at %zu", cut);
	}
}

/* One byte too many in the field. */
static void t_field_oversized(const struct tmsg *m, size_t fi)
{
	const struct tfield *f = &m->f[fi];
	struct frame fr, v;
	union decoded d;
	size_t end, pfx, n;
	uint8_t out[2048];
	int ret;

	build(m, &fr);
	end = fr.foff[fi] + fr.flen[fi];
	switch (f->kind) {
	case T_NAME:
	case T_TEXT:
	case T_REST:
		/* a length one above the bound, with that many valid bytes */
		pfx = f->kind == T_NAME ? 1 : f->kind == T_TEXT ? 2 : 0;
		n = f->size + 1;
		v = fr;
		memmove(v.b + fr.foff[fi] + pfx + n, fr.b + end, fr.len - end);
		memset(v.b + fr.foff[fi] + pfx, 'x', n);
		put_be(v.b + fr.foff[fi], n, pfx);
		v.len = fr.len - fr.flen[fi] + pfx + n;
		set_body_len(m, &v, v.len - hdr_len(m));
		expect_refused(m, &v, CPNS_WIRE_E_OVERSIZED, "bound + 1");
		/* the encoder refuses the same */
		if (dec(m, fr.b, fr.len, &d)) {
			diag("sample does not decode");
			return;
		}
		{
			unsigned char *base = (unsigned char *)&d;
			uint16_t l16 = (uint16_t)n;

			if (f->kind == T_NAME)
				base[f->off] = (uint8_t)n;
			else if (f->kind == T_TEXT)
				memcpy(base + f->off, &l16, 2);
			else
				memcpy(base + f->len_off, &l16, 2);
		}
		ret = enc(m, &d, out, sizeof(out), &n);
		EXPECT_ERR(ret, CPNS_WIRE_E_OVERSIZED, "%s",
			   "encoder, bound + 1");
		/* a name length byte of 255 or a text length of 65535 */
		if (f->kind != T_REST) {
			v = fr;
			put_be(v.b + fr.foff[fi], f->kind == T_NAME ? 0xff :
			       0xffff, pfx);
			expect_refused(m, &v, CPNS_WIRE_E_OVERSIZED,
				       "largest length value");
		}
		break;
	default:
		/* insert one byte at the end of the fixed-size field */
		v = fr;
		memmove(v.b + end + 1, fr.b + end, fr.len - end);
		v.b[end] = v.b[end - 1];
		v.len = fr.len + 1;
		set_body_len(m, &v, v.len - hdr_len(m));
		ret = dec(m, v.b, v.len, &d);
		if (all_fixed(m)) {
			EXPECT_ERR(ret, CPNS_WIRE_E_OVERSIZED, "%s",
				   "one byte more");
		} else if (m->f[m->nf - 1].kind == T_REST) {
			/* the bytes shift into the ciphertext */
			EXPECT(ret == CPNS_WIRE_OK &&
			       !field_matches(m, m->nf - 1, &d, &fr),
			       "one byte more: %s", cpns_wire_strerror(ret));
		} else {
			EXPECT(ret != CPNS_WIRE_OK, "%s",
			       "one byte more accepted");
		}
		break;
	}
}

/* Every byte of the field reaches the decoded value (none is ignored). */
static void t_field_value(const struct tmsg *m, size_t fi)
{
	const struct tfield *f = &m->f[fi];
	struct frame fr, v;
	size_t j, start = 0;

	build(m, &fr);
	if (f->kind == T_NAME)
		start = 1;
	if (f->kind == T_TEXT)
		start = 2;
	if (f->kind == T_RSV || f->kind == T_CODE || f->kind == T_HEALTH ||
	    f->kind == T_MODE || f->kind == T_FLAGS)
		return;	/* checked by the value sweeps */
	for (j = start; j < fr.flen[fi]; j++) {
		v = fr;
		if (f->kind == T_TEXT && v.b[fr.foff[fi] + j] >= 0x80)
			continue;	/* part of a multibyte sequence */
		if (f->kind == T_NAME || f->kind == T_TEXT)
			v.b[fr.foff[fi] + j] = (v.b[fr.foff[fi] + j] == 'q') ?
					       'r' : 'q';
		else
			v.b[fr.foff[fi] + j] ^= 0xa5;
		expect_roundtrip(m, &v, "changed byte");
	}
}

static void t_field_reserved(const struct tmsg *m, size_t fi)
{
	struct frame fr;
	int bit;

	build(m, &fr);
	for (bit = 0; bit < 8; bit++) {
		fr.b[fr.foff[fi]] = (uint8_t)(1u << bit);
		expect_refused(m, &fr, CPNS_WIRE_E_RESERVED, "bit");
	}
}

/* ERROR code, STATUS_REPORT health, DEVICE_OFFER mode: every value. */
static void t_field_range(const struct tmsg *m, size_t fi)
{
	const struct tfield *f = &m->f[fi];
	struct frame fr;
	union decoded d;
	uint8_t out[2048];
	unsigned int v, max = f->kind == T_CODE ? 0xffff : 0xff;
	unsigned int hi = f->kind == T_CODE ? 14 : f->kind == T_MODE ? 2 : 3;
	size_t n;

	build(m, &fr);
	for (v = 0; v <= max; v++) {
		put_be(fr.b + fr.foff[fi], v, fr.flen[fi]);
		if (v >= 1 && v <= hi) {
			expect_roundtrip(m, &fr, "valid value");
			continue;
		}
		expect_refused(m, &fr, CPNS_WIRE_E_VALUE, "value");
		/* the encoder refuses it too */
		put_be(fr.b + fr.foff[fi], 1, fr.flen[fi]);
		dec(m, fr.b, fr.len, &d);
		if (f->kind == T_CODE) {
			uint16_t c = (uint16_t)v;

			memcpy((unsigned char *)&d + f->off, &c, 2);
		} else {
			((unsigned char *)&d)[f->off] = (uint8_t)v;
		}
		EXPECT_ERR(enc(m, &d, out, sizeof(out), &n), CPNS_WIRE_E_VALUE,
			   "encoder, value %u", v);
	}
}

/*
 * The flags of AUTH_HELLO and AUTH_CHALLENGE, every value: reserved bits
 * refused (decoder and encoder); with the flag clear, the optional field
 * after it is absent (its bytes would be trailing; without them the frame
 * round-trips, and the encoder does not send a value left in the struct);
 * with the flag set and the field missing, truncated.
 */
static void t_field_flags(const struct tmsg *m, size_t fi)
{
	const struct tfield *f = &m->f[fi];
	const struct tfield *o = &m->f[fi + 1];
	struct frame fr, v;
	union decoded d;
	uint8_t out[2048];
	size_t n, end;
	unsigned int val;

	if (fi + 1 >= m->nf || o->kind != T_OPT) {
		diag("%s.%s: no optional field follows", m->name, f->name);
		return;
	}
	build(m, &fr);
	end = fr.foff[fi + 1] + fr.flen[fi + 1];
	for (val = 0; val < 256; val++) {
		v = fr;
		v.b[fr.foff[fi]] = (uint8_t)val;
		if (val & ~f->size) {
			expect_refused(m, &v, CPNS_WIRE_E_RESERVED, "flags");
			dec(m, fr.b, fr.len, &d);
			((unsigned char *)&d)[f->off] = (uint8_t)val;
			EXPECT_ERR(enc(m, &d, out, sizeof(out), &n),
				   CPNS_WIRE_E_RESERVED, "encoder, flags 0x%02x",
				   val);
			continue;
		}
		if (val & o->min) {
			expect_roundtrip(m, &v, "flag set, field present");
			/* the same without the field's bytes */
			memmove(v.b + fr.foff[fi + 1], fr.b + end,
				fr.len - end);
			v.len = fr.len - fr.flen[fi + 1];
			set_body_len(m, &v, v.len - hdr_len(m));
			expect_refused(m, &v, CPNS_WIRE_E_TRUNCATED,
				       "flag set, field absent");
			continue;
		}
		expect_refused(m, &v, CPNS_WIRE_E_TRAILING,
			       "flag clear, field present");
		memmove(v.b + fr.foff[fi + 1], fr.b + end, fr.len - end);
		v.flen[fi + 1] = 0;
		v.len = fr.len - fr.flen[fi + 1];
		set_body_len(m, &v, v.len - hdr_len(m));
		expect_roundtrip(m, &v, "flag clear, field absent");
		/* a value left in the struct is not sent */
		if (dec(m, v.b, v.len, &d)) {
			diag("flag clear does not decode");
			continue;
		}
		memset((unsigned char *)&d + o->off, 0x5a, o->size);
		EXPECT(!enc(m, &d, out, sizeof(out), &n) && n == v.len &&
		       !memcmp(out, v.b, n), "%s",
		       "flag clear: the optional field was encoded");
	}
}

/* Replace the string of field fi by s[0..n) and expect want. */
static void string_case(const struct tmsg *m, size_t fi, const uint8_t *s,
			size_t n, int want, const char *what)
{
	const struct tfield *f = &m->f[fi];
	struct frame fr, v;
	union decoded d;
	uint8_t out[2048];
	size_t pfx = f->kind == T_NAME ? 1 : 2, end, on;
	int ret;

	build(m, &fr);
	end = fr.foff[fi] + fr.flen[fi];
	v = fr;
	memmove(v.b + fr.foff[fi] + pfx + n, fr.b + end, fr.len - end);
	memcpy(v.b + fr.foff[fi] + pfx, s, n);
	put_be(v.b + fr.foff[fi], n, pfx);
	v.flen[fi] = pfx + n;
	moved_after(m, &v, &fr, fi);
	v.len = fr.len - fr.flen[fi] + v.flen[fi];
	set_body_len(m, &v, v.len - hdr_len(m));
	if (want == CPNS_WIRE_OK) {
		expect_roundtrip(m, &v, what);
		return;
	}
	expect_refused(m, &v, want, what);
	/* the encoder refuses the same string */
	if (dec(m, fr.b, fr.len, &d)) {
		diag("sample does not decode");
		return;
	}
	{
		unsigned char *base = (unsigned char *)&d;

		if (f->kind == T_NAME) {
			struct cpns_wire_name *nm = (void *)(base + f->off);

			nm->len = (uint8_t)n;
			memcpy(nm->s, s, n);
		} else {
			struct cpns_wire_text *tx = (void *)(base + f->off);

			tx->len = (uint16_t)n;
			memcpy(tx->s, s, n);
		}
	}
	ret = enc(m, &d, out, sizeof(out), &on);
	EXPECT_ERR(ret, want, "encoder, %s", what);
}

static bool name_char(unsigned int c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '-' || c == '.' || c == '_');
}

static void t_field_name(const struct tmsg *m, size_t fi)
{
	uint8_t s[4];
	unsigned int c;
	char what[64];

	string_case(m, fi, (const uint8_t *)"", 0, CPNS_WIRE_E_STRING,
		    "empty name");
	for (c = 0; c < 256; c++) {
		s[0] = (uint8_t)c;
		s[1] = 'a';
		snprintf(what, sizeof(what), "first byte 0x%02x", c);
		string_case(m, fi, s, 2, name_char(c, true) ? CPNS_WIRE_OK :
			    CPNS_WIRE_E_STRING, what);
		s[0] = 'a';
		s[1] = (uint8_t)c;
		s[2] = 'b';
		snprintf(what, sizeof(what), "second byte 0x%02x", c);
		string_case(m, fi, s, 3, name_char(c, false) ? CPNS_WIRE_OK :
			    CPNS_WIRE_E_STRING, what);
	}
}

static const struct {
	const char *s;
	bool ok;
} utf8_cases[] = {
	{ "plain ASCII ~", true },
	{ "", true },
	{ "\xc2\xa0", true },			/* U+00A0, first after C1 */
	{ "\xc3\xa9t\xc3\xa9", true },
	{ "\xdf\xbf", true },			/* U+07FF */
	{ "\xe0\xa0\x80", true },		/* U+0800 */
	{ "\xe2\x82\xac", true },		/* euro */
	{ "\xed\x9f\xbf", true },		/* U+D7FF */
	{ "\xee\x80\x80", true },		/* U+E000 */
	{ "\xef\xbf\xbf", true },		/* U+FFFF */
	{ "\xf0\x90\x80\x80", true },		/* U+10000 */
	{ "\xf0\x9f\x98\x80", true },
	{ "\xf4\x8f\xbf\xbf", true },		/* U+10FFFF */
	{ "\xc2\x80", false },			/* C1 control U+0080 */
	{ "\xc2\x9f", false },			/* C1 control U+009F */
	{ "\xc0\x80", false },			/* overlong NUL */
	{ "\xc1\xbf", false },			/* overlong */
	{ "\xe0\x80\x80", false },		/* overlong */
	{ "\xe0\x9f\xbf", false },		/* overlong U+07FF */
	{ "\xf0\x80\x80\x80", false },		/* overlong */
	{ "\xf0\x8f\xbf\xbf", false },		/* overlong U+FFFF */
	{ "\xed\xa0\x80", false },		/* surrogate U+D800 */
	{ "\xed\xbf\xbf", false },		/* surrogate U+DFFF */
	{ "\xf4\x90\x80\x80", false },		/* U+110000 */
	{ "\xf5\x80\x80\x80", false },
	{ "\xf8\x88\x80\x80\x80", false },	/* 5-byte form */
	{ "\xfe", false },
	{ "\xff", false },
	{ "\x80", false },			/* lone continuation */
	{ "a\xbf", false },
	{ "\xe2\x82", false },			/* cut sequence at the end */
	{ "\xe2\x82z", false },			/* cut sequence in the middle */
	{ "\xf0\x9f\x98", false },
	{ "\xc3", false },
	{ "tab\there", false },
	{ "new\nline", false },
	{ "esc\x1b[0m", false },
	{ "del\x7f", false },
};

static void t_field_text(const struct tmsg *m, size_t fi)
{
	uint8_t s[2];
	unsigned int c;
	size_t i;
	char what[64];

	for (i = 0; i < ARRAY_SIZE(utf8_cases); i++) {
		snprintf(what, sizeof(what), "UTF-8 case %zu", i);
		string_case(m, fi, (const uint8_t *)utf8_cases[i].s,
			    strlen(utf8_cases[i].s),
			    utf8_cases[i].ok ? CPNS_WIRE_OK :
			    CPNS_WIRE_E_STRING, what);
	}
	/* NUL inside the text (strlen() cannot express it above) */
	string_case(m, fi, (const uint8_t *)"a\0b", 3, CPNS_WIRE_E_STRING,
		    "NUL");
	for (c = 0; c < 256; c++) {
		s[0] = 'a';
		s[1] = (uint8_t)c;
		snprintf(what, sizeof(what), "byte 0x%02x", c);
		string_case(m, fi, s, 2, c >= 0x20 && c < 0x7f ? CPNS_WIRE_OK :
			    CPNS_WIRE_E_STRING, what);
	}
}

/* ------------------------------------------------------ global tests */

static void t_unknown_types(const struct tmsg *m, size_t fi)
{
	uint8_t b[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t in[16] = { 0 };
	union decoded d;
	size_t need;
	unsigned int t;
	int known = 0;

	(void)m;
	(void)fi;
	for (t = 0; t < 256; t++) {
		bool ko = !!find_tmsg((uint8_t)t, false);
		bool ki = !!find_tmsg((uint8_t)t, true);

		b[1] = (uint8_t)t;
		EXPECT_ERR(cpns_wire_frame(b, 2, &need),
			   ko ? CPNS_WIRE_E_INCOMPLETE : CPNS_WIRE_E_TYPE,
			   "type 0x%02x", t);
		EXPECT(!!cpns_wire_type_name(t) == ko,
		       "type name of 0x%02x", t);
		in[0] = (uint8_t)t;
		if (!ki)
			EXPECT_ERR(cpns_wire_inner_decode(in, sizeof(in),
							  &d.in),
				   CPNS_WIRE_E_TYPE, "inner type 0x%02x", t);
		EXPECT(!!cpns_wire_inner_type_name(t) == ki,
		       "inner type name of 0x%02x", t);
		known += ko;
	}
	EXPECT(known == 16, "%d outer types known, want 16", known);
	for (t = 0; t < NMSGS; t++) {
		const char *n = msgs[t].inner ?
			cpns_wire_inner_type_name(msgs[t].type) :
			cpns_wire_type_name(msgs[t].type);

		EXPECT(n && !strcmp(n, msgs[t].name), "name of %s: %s",
		       msgs[t].name, n ? n : "(null)");
	}
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* Encode msg; expect the header hex_hdr, then body[0..n). */
static void expect_frame(const struct cpns_wire_msg *msg, const char *hex_hdr,
			 const uint8_t *body, size_t n)
{
	uint8_t b[2048];
	char h[20];
	size_t len = 0;
	int ret;

	ret = cpns_wire_encode(msg, b, sizeof(b), &len);
	EXPECT_ERR(ret, CPNS_WIRE_OK, "%s", hex_hdr);
	if (ret)
		return;
	hex(b, 8, h);
	EXPECT(!strcmp(h, hex_hdr), "header %s, want %s", h, hex_hdr);
	EXPECT(len == 8 + n && !memcmp(b + 8, body, n),
	       "body after %s differs", hex_hdr);
}

/* Byte layouts written out by hand from the specification. */
static void t_known_bytes(const struct tmsg *m, size_t fi)
{
	static const uint8_t err_body[] = {
		0x00, 0x05, 0x10, 0x00, 0x00, 0x07,
		'b', 'a', 'd', ' ', 'M', 'A', 'C',
	};
	struct cpns_wire_msg msg;
	struct cpns_wire_inner in;
	uint8_t b[64], body[128];
	char h[200];
	size_t n = 0, i;

	(void)m;
	(void)fi;
	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_ERROR;
	msg.error.code = CPNS_WIRE_ERR_BAD_MAC;
	msg.error.ref_type = CPNS_WIRE_ASSIGN_REQUEST;
	EXPECT(!cpns_wire_text_set(&msg.error.text, "bad MAC",
				   CPNS_WIRE_ERRMSG_MAX), "text_set");
	expect_frame(&msg, "017f00000000000d", err_body, sizeof(err_body));

	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_ASSIGN_DEVICE_ID;
	for (i = 0; i < 16; i++) {
		msg.assign_device_id.did[i] = (uint8_t)i;
		msg.assign_device_id.n1[i] = (uint8_t)(0x10 + i);
	}
	for (i = 0; i < 32; i++)
		body[i] = (uint8_t)i;
	body[32] = 0;	/* flags: no REPLACES */
	expect_frame(&msg, "0112000000000021", body, 33);

	/* the same, re-assigning Device ID 0xa0..0xaf */
	msg.assign_device_id.flags = CPNS_WIRE_ASSIGN_REPLACES;
	for (i = 0; i < 16; i++) {
		msg.assign_device_id.replaces[i] = (uint8_t)(0xa0 + i);
		body[33 + i] = (uint8_t)(0xa0 + i);
	}
	body[32] = 0x01;
	expect_frame(&msg, "0112000000000031", body, 49);

	/* ASSIGN_ASK "gw2" replacing 0xa0..0xaf */
	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_ASSIGN_ASK;
	memset(msg.assign_ask.pubkey, 0x07, 32);
	EXPECT(!cpns_wire_name_set(&msg.assign_ask.name, "gw2"), "name_set");
	msg.assign_ask.flags = CPNS_WIRE_ASSIGN_REPLACES;
	memset(body, 0x07, 32);
	memcpy(body + 32, "\x03gw2\x01", 5);
	for (i = 0; i < 16; i++) {
		msg.assign_ask.replaces[i] = (uint8_t)(0xa0 + i);
		body[37 + i] = (uint8_t)(0xa0 + i);
	}
	expect_frame(&msg, "0118000000000035", body, 53);

	/* SEED_RESPONSE retiring seed 0x11.. at 0x0102030405060708 */
	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_SEED_RESPONSE;
	memset(msg.seed_response.sid, 0x22, 8);
	memset(msg.seed_response.pubkey, 0x33, 32);
	memset(msg.seed_response.wrapped, 0x44, 48);
	memset(msg.seed_response.retired_sid, 0x11, 8);
	msg.seed_response.retire_at = 0x0102030405060708ULL;
	memset(body, 0x22, 8);
	memset(body + 8, 0x33, 32);
	memset(body + 40, 0x44, 48);
	memset(body + 88, 0x11, 8);
	for (i = 0; i < 8; i++)
		body[96 + i] = (uint8_t)(i + 1);
	expect_frame(&msg, "0102000000000068", body, 104);

	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_SEED_REQUEST;
	memset(msg.seed_request.pubkey, 0x09, 32);
	EXPECT(!cpns_wire_name_set(&msg.seed_request.name, "gw1"), "name_set");
	memset(body, 0x09, 32);
	memcpy(body + 32, "\x03gw1\x00", 5);
	expect_frame(&msg, "0101000000000025", body, 37);

	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_SEALED;
	msg.sealed.seq = 0x0102030405060708ULL;
	msg.sealed.ct_len = 26;
	memset(msg.sealed.ct, 0xcc, 26);
	for (i = 0; i < 8; i++)
		body[i] = (uint8_t)(i + 1);
	memset(body + 8, 0xcc, 26);
	expect_frame(&msg, "0130000000000022", body, 34);

	/* AUTH_HELLO, generation 0 (re-key, Pc = 32 x 0x09), and 1 */
	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_AUTH_HELLO;
	for (i = 0; i < 16; i++) {
		msg.auth_hello.did[i] = (uint8_t)i;
		msg.auth_hello.nc[i] = (uint8_t)(0x10 + i);
	}
	msg.auth_hello.flags = CPNS_WIRE_AUTH_REKEY;
	memset(msg.auth_hello.pubkey, 0x09, 32);
	for (i = 0; i < 32; i++)
		body[i] = (uint8_t)i;
	memcpy(body + 32, "\x00\x00\x00\x00\x01", 5);
	memset(body + 37, 0x09, 32);
	expect_frame(&msg, "0120000000000045", body, 69);
	msg.auth_hello.generation = 1;
	msg.auth_hello.flags = 0;
	memcpy(body + 32, "\x00\x00\x00\x01\x00", 5);
	expect_frame(&msg, "0120000000000025", body, 37);

	/* AUTH_CHALLENGE with and without Ps */
	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_AUTH_CHALLENGE;
	memset(msg.auth_challenge.ns, 0x20, 16);
	msg.auth_challenge.flags = CPNS_WIRE_AUTH_REKEY;
	memset(msg.auth_challenge.pubkey, 0x0a, 32);
	memset(body, 0x20, 16);
	body[16] = 0x01;
	memset(body + 17, 0x0a, 32);
	expect_frame(&msg, "0121000000000031", body, 49);
	msg.auth_challenge.flags = 0;
	body[16] = 0x00;
	expect_frame(&msg, "0121000000000011", body, 17);

	memset(&in, 0, sizeof(in));
	in.type = CPNS_WIRE_STATUS_REPORT;
	in.status_report.health = CPNS_WIRE_HEALTH_DEGRADED;
	in.status_report.time = 1700000000;
	EXPECT(!cpns_wire_text_set(&in.status_report.text, "ok",
				   CPNS_WIRE_TEXT_MAX), "text_set");
	EXPECT(!cpns_wire_inner_encode(&in, b, sizeof(b), &n), "encode");
	hex(b, n, h);
	EXPECT(!strcmp(h, "01000200000000006553f10000026f6b"),
	       "STATUS_REPORT %s", h);

	memset(&in, 0, sizeof(in));
	in.type = CPNS_WIRE_STATUS_ACK;
	in.status_ack.seq = 7;
	EXPECT(!cpns_wire_inner_encode(&in, b, sizeof(b), &n), "encode");
	hex(b, n, h);
	EXPECT(!strcmp(h, "02000000000000000007"), "STATUS_ACK %s", h);
}

/* The additional data of SEALED is its own header. */
static void t_sealed_aad(const struct tmsg *m, size_t fi)
{
	struct cpns_wire_msg msg;
	uint8_t b[2048], aad[8];
	size_t n, ct;

	(void)m;
	(void)fi;
	memset(&msg, 0, sizeof(msg));
	msg.type = CPNS_WIRE_SEALED;
	for (ct = 0; ct < 600; ct++) {
		int want = ct < 26 ? CPNS_WIRE_E_TRUNCATED :
			   ct > 542 ? CPNS_WIRE_E_OVERSIZED : CPNS_WIRE_OK;

		EXPECT_ERR(cpns_wire_sealed_aad(ct, aad), want, "ct %zu", ct);
		if (want)
			continue;
		msg.sealed.ct_len = (uint16_t)ct;
		if (cpns_wire_encode(&msg, b, sizeof(b), &n)) {
			diag("encode ct %zu", ct);
			continue;
		}
		EXPECT(!memcmp(aad, b, 8), "aad differs at ct %zu", ct);
	}
}

/* The limits in wire.h are those of the specification. */
static void t_limits(const struct tmsg *m, size_t fi)
{
	size_t i, max = 0;

	(void)m;
	(void)fi;
	for (i = 0; i < NMSGS; i++)
		if (!msgs[i].inner && tbody_max(&msgs[i]) > max)
			max = tbody_max(&msgs[i]);
	EXPECT(max == 550, "largest body %zu, want 550", max);
	EXPECT(CPNS_WIRE_MAX_BODY == 550, "CPNS_WIRE_MAX_BODY %d",
	       CPNS_WIRE_MAX_BODY);
	EXPECT(CPNS_WIRE_MAX_FRAME == 558, "CPNS_WIRE_MAX_FRAME %d",
	       CPNS_WIRE_MAX_FRAME);
	EXPECT(CPNS_WIRE_SEALED_MIN == 26 && CPNS_WIRE_SEALED_MAX == 542,
	       "sealed bounds %d..%d", CPNS_WIRE_SEALED_MIN,
	       CPNS_WIRE_SEALED_MAX);
	EXPECT(CPNS_WIRE_INNER_MIN == 10 && CPNS_WIRE_INNER_MAX == 526,
	       "inner bounds %d..%d", CPNS_WIRE_INNER_MIN,
	       CPNS_WIRE_INNER_MAX);
	EXPECT(tbody_max(find_tmsg(0x01, true)) + 2 == 526,
	       "%s", "STATUS_REPORT bound");
	EXPECT(tbody_min(find_tmsg(0x02, true)) + 2 == 10, "%s",
	       "STATUS_ACK size");
}

static void t_errors(const struct tmsg *m, size_t fi)
{
	static const struct {
		int err;
		uint16_t code;
	} map[] = {
		{ CPNS_WIRE_E_VERSION, 1 },
		{ CPNS_WIRE_E_TYPE, 2 },
		{ CPNS_WIRE_E_RESERVED, 3 },
		{ CPNS_WIRE_E_OVERSIZED, 3 },
		{ CPNS_WIRE_E_TRUNCATED, 3 },
		{ CPNS_WIRE_E_TRAILING, 3 },
		{ CPNS_WIRE_E_STRING, 3 },
		{ CPNS_WIRE_E_VALUE, 3 },
		{ CPNS_WIRE_E_NOSPACE, 14 },
		{ CPNS_WIRE_E_INCOMPLETE, 14 },
	};
	const char *seen[16] = { NULL };
	unsigned int c;
	size_t i, j;

	(void)m;
	(void)fi;
	for (i = 0; i < ARRAY_SIZE(map); i++) {
		EXPECT(cpns_wire_err_code(map[i].err) == map[i].code,
		       "err %d maps to %u, want %u", map[i].err,
		       cpns_wire_err_code(map[i].err), map[i].code);
		seen[i] = cpns_wire_strerror(map[i].err);
		EXPECT(seen[i] && strcmp(seen[i], "unknown wire error"),
		       "no text for %d", map[i].err);
		for (j = 0; j < i; j++)
			EXPECT(strcmp(seen[i], seen[j]),
			       "same text for %d and %d", map[i].err,
			       map[j].err);
	}
	EXPECT(!strcmp(cpns_wire_strerror(-99), "unknown wire error"), "%s",
	       "strerror(-99)");
	for (c = 0; c < 20; c++) {
		const char *s = cpns_wire_code_name(c);

		EXPECT(s, "code %u", c);
		EXPECT(!strcmp(s, "unknown error code") == (c == 0 || c > 14),
		       "code %u is %s", c, s);
	}
}

static void t_setters(const struct tmsg *m, size_t fi)
{
	struct cpns_wire_name nm;
	struct cpns_wire_text tx;
	char big[600];

	(void)m;
	(void)fi;
	EXPECT(cpns_wire_name_set(&nm, "gw2.home") == 0 && nm.len == 8 &&
	       !strcmp(nm.s, "gw2.home"), "%s", "name gw2.home");
	EXPECT_ERR(cpns_wire_name_set(&nm, ""), CPNS_WIRE_E_STRING, "%s",
		   "empty");
	EXPECT_ERR(cpns_wire_name_set(&nm, "-x"), CPNS_WIRE_E_STRING, "%s",
		   "-x");
	EXPECT_ERR(cpns_wire_name_set(&nm, "a b"), CPNS_WIRE_E_STRING, "%s",
		   "a b");
	memset(big, 'a', sizeof(big));
	big[64] = '\0';
	EXPECT_ERR(cpns_wire_name_set(&nm, big), CPNS_WIRE_OK, "%s", "64");
	big[64] = 'a';
	big[65] = '\0';
	EXPECT_ERR(cpns_wire_name_set(&nm, big), CPNS_WIRE_E_OVERSIZED, "%s",
		   "65");
	big[65] = 'a';
	big[256] = '\0';
	EXPECT_ERR(cpns_wire_text_set(&tx, big, CPNS_WIRE_ERRMSG_MAX),
		   CPNS_WIRE_OK, "%s", "256");
	big[256] = 'a';
	big[257] = '\0';
	EXPECT_ERR(cpns_wire_text_set(&tx, big, CPNS_WIRE_ERRMSG_MAX),
		   CPNS_WIRE_E_OVERSIZED, "%s", "257");
	big[599] = '\0';
	big[257] = 'a';
	EXPECT_ERR(cpns_wire_text_set(&tx, big, 100000),
		   CPNS_WIRE_E_OVERSIZED, "%s", "599, bound capped");
	EXPECT_ERR(cpns_wire_text_set(&tx, "\xc3(", 512), CPNS_WIRE_E_STRING,
		   "%s", "bad UTF-8");
	EXPECT(cpns_wire_text_set(&tx, "caf\xc3\xa9", 512) == 0 &&
	       tx.len == 5, "%s", "caf\xc3\xa9");
}

/* cpns_wire_error_set() always gives an ERROR that encodes. */
static void t_error_set(const struct tmsg *m, size_t fi)
{
	struct cpns_wire_msg msg;
	uint8_t b[2048];
	char in[1200];
	size_t n, i;

	(void)m;
	(void)fi;
	EXPECT_ERR(cpns_wire_error_set(&msg, 0, 0, "x"), CPNS_WIRE_E_VALUE,
		   "%s", "code 0");
	EXPECT_ERR(cpns_wire_error_set(&msg, 15, 0, "x"), CPNS_WIRE_E_VALUE,
		   "%s", "code 15");
	EXPECT_ERR(cpns_wire_error_set(&msg, 3, 256, "x"), CPNS_WIRE_E_VALUE,
		   "%s", "ref_type 256");
	EXPECT(cpns_wire_error_set(&msg, 14, 0x7f, NULL) == 0 &&
	       msg.type == 0x7f && msg.error.code == 14 &&
	       msg.error.ref_type == 0x7f && msg.error.text.len == 0,
	       "%s", "NULL text");
	/* controls and broken UTF-8 become '?' */
	EXPECT(!cpns_wire_error_set(&msg, 3, 0, "a\tb\x1b[\xc3(\xe2\x82\xac"),
	       "%s", "sanitize");
	EXPECT(!strcmp(msg.error.text.s, "a?b?[?(\xe2\x82\xac") &&
	       msg.error.text.len == 10, "sanitized to \"%s\"",
	       msg.error.text.s);
	/* cut at a character boundary: 'a' and 200 two-byte characters */
	in[0] = 'a';
	for (i = 0; i < 200; i++)
		memcpy(in + 1 + 2 * i, "\xc3\xa9", 2);
	in[401] = '\0';
	EXPECT(!cpns_wire_error_set(&msg, 8, 0, in), "%s", "long");
	EXPECT(msg.error.text.len == 255 && msg.error.text.s[255] == '\0',
	       "cut to %u bytes, want 255", msg.error.text.len);
	EXPECT(cpns_wire_encode(&msg, b, sizeof(b), &n) == 0 && n == 8 + 261,
	       "%s", "encodes");
	/* every single byte value */
	for (i = 1; i < 256; i++) {
		in[0] = (char)i;
		in[1] = '\0';
		EXPECT(!cpns_wire_error_set(&msg, 3, 0, in) &&
		       msg.error.text.len == 1 &&
		       msg.error.text.s[0] == (i >= 0x20 && i < 0x7f ?
					       (char)i : '?') &&
		       !cpns_wire_encode(&msg, b, sizeof(b), &n),
		       "byte 0x%02zx", i);
	}
	/* a long string of bad bytes still fits */
	memset(in, 0xff, 1000);
	in[1000] = '\0';
	EXPECT(!cpns_wire_error_set(&msg, 3, 0, in) &&
	       msg.error.text.len == 256 &&
	       !cpns_wire_encode(&msg, b, sizeof(b), &n), "%s", "0xff x 1000");
}

/* A failed cpns command's errno, as the daemons report it on the wire. */
static void t_kernel_codes(const struct tmsg *m, size_t fi)
{
	static const struct {
		int err;
		bool by_device;
		uint16_t code;
	} map[] = {
		{ -EBADMSG, false, CPNS_WIRE_ERR_BAD_MAC },
		{ -ENOKEY, false, CPNS_WIRE_ERR_UNKNOWN_SEED },
		{ -ENOKEY, true, CPNS_WIRE_ERR_UNKNOWN_DEVICE },
		{ -EKEYREVOKED, true, CPNS_WIRE_ERR_EXPIRED },
		{ -EKEYEXPIRED, false, CPNS_WIRE_ERR_EXPIRED },
		{ -ENOENT, false, CPNS_WIRE_ERR_EXPIRED },
		{ -EINVAL, true, CPNS_WIRE_ERR_UNEXPECTED },
		{ -EALREADY, true, CPNS_WIRE_ERR_REPLAY },
		{ -EBUSY, false, CPNS_WIRE_ERR_BUSY },
		{ -EEXIST, true, CPNS_WIRE_ERR_EXISTS },
		{ -EKEYREJECTED, false, CPNS_WIRE_ERR_MALFORMED },
		{ -ENOMEM, false, CPNS_WIRE_ERR_INTERNAL },
		{ -EPERM, true, CPNS_WIRE_ERR_INTERNAL },
	};
	size_t i;

	(void)m;
	(void)fi;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		EXPECT(cpns_wire_kernel_code(map[i].err, map[i].by_device) ==
		       map[i].code, "errno %d by_device %d", -map[i].err,
		       map[i].by_device);
}

/* ------------------------------------------------------------ corpus */

static int write_corpus(const char *dir)
{
	char path[512];
	struct frame fr;
	size_t i;
	FILE *f;

	for (i = 0; i < NMSGS; i++) {
		build(&msgs[i], &fr);
		if (msgs[i].inner) {
			/* the fuzzer reads inner messages after a 0xff byte */
			memmove(fr.b + 1, fr.b, fr.len);
			fr.b[0] = 0xff;
			fr.len++;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, msgs[i].name);
		f = fopen(path, "wb");
		if (!f || fwrite(fr.b, 1, fr.len, f) != fr.len) {
			perror(path);
			if (f)
				fclose(f);
			return 1;
		}
		if (fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return 0;
}

/*
 * The X25519 keys of small order, checked with an independent X25519
 * (each gives an all-zero shared secret with random scalars); written
 * here in hex, apart from the codec's table.
 */
static void t_low_order(const struct tmsg *m, size_t fi)
{
	static const char *const low[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	static const char *const fine[] = {
		/* 2, p - 2, p + 2, and RFC 7748 6.1's public keys */
		"0200000000000000000000000000000000000000000000000000000000000000",
		"ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
		"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
	};
	uint8_t k[CPNS_PUBKEY_LEN];
	size_t i, top;

	(void)m;
	(void)fi;
	for (i = 0; i < sizeof(low) / sizeof(low[0]); i++) {
		for (top = 0; top < 2; top++) {
			for (size_t b = 0; b < CPNS_PUBKEY_LEN; b++)
				sscanf(low[i] + 2 * b, "%2hhx", &k[b]);
			k[CPNS_PUBKEY_LEN - 1] |= top ? 0x80 : 0;
			EXPECT(cpns_wire_x25519_low_order(k),
			       "low order %s%s refused", low[i],
			       top ? " (bit 255 set)" : "");
			/* One bit away: not of small order. */
			k[CPNS_PUBKEY_LEN / 2] ^= 0x10;
			EXPECT(!cpns_wire_x25519_low_order(k),
			       "%s with a bit flipped accepted", low[i]);
		}
	}
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		for (size_t b = 0; b < CPNS_PUBKEY_LEN; b++)
			sscanf(fine[i] + 2 * b, "%2hhx", &k[b]);
		EXPECT(!cpns_wire_x25519_low_order(k), "%s accepted",
		       fine[i]);
	}
}

/* -------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	size_t i, j, failed = 0;

	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		return write_corpus(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--corpus DIR]\n", argv[0]);
		return 2;
	}

	add(t_unknown_types, NULL, 0, "every type value: known or refused");
	add(t_known_bytes, NULL, 0, "byte layouts written by hand");
	add(t_sealed_aad, NULL, 0, "SEALED additional data is its header");
	add(t_limits, NULL, 0, "limits match the specification");
	add(t_errors, NULL, 0, "error mapping and descriptions");
	add(t_kernel_codes, NULL, 0, "kernel errno to ERROR code");
	add(t_setters, NULL, 0, "name and text setters");
	add(t_error_set, NULL, 0, "ERROR builder sanitizes its text");
	add(t_low_order, NULL, 0, "X25519 keys of small order");
	for (i = 0; i < NMSGS; i++) {
		const struct tmsg *m = &msgs[i];

		add(t_roundtrip, m, 0, "%s: round trip", m->name);
		add(t_header_truncated, m, 0, "%s: header truncated", m->name);
		add(t_trailing, m, 0, "%s: trailing and oversized body",
		    m->name);
		if (!m->inner)
			add(t_version, m, 0, "%s: wrong version", m->name);
		add(t_wrong_type, m, 0, "%s: wrong type", m->name);
		add(t_header_reserved, m, 0, "%s: reserved header bits",
		    m->name);
		add(t_encoder_space, m, 0, "%s: encoder output space",
		    m->name);
		if (!m->inner)
			add(t_stream, m, 0, "%s: framer on a stream", m->name);
		for (j = 0; j < m->nf; j++) {
			const struct tfield *f = &m->f[j];

			add(t_field_truncated, m, j, "%s.%s: truncated",
			    m->name, f->name);
			if (f->kind != T_RSV)
				add(t_field_oversized, m, j,
				    "%s.%s: oversized", m->name, f->name);
			add(t_field_value, m, j, "%s.%s: every byte carried",
			    m->name, f->name);
			if (f->kind == T_RSV)
				add(t_field_reserved, m, j,
				    "%s.%s: non-zero", m->name, f->name);
			if (f->kind == T_CODE || f->kind == T_HEALTH ||
			    f->kind == T_MODE)
				add(t_field_range, m, j,
				    "%s.%s: every value", m->name, f->name);
			if (f->kind == T_NAME)
				add(t_field_name, m, j, "%s.%s: contents",
				    m->name, f->name);
			if (f->kind == T_TEXT)
				add(t_field_text, m, j, "%s.%s: contents",
				    m->name, f->name);
			if (f->kind == T_FLAGS)
				add(t_field_flags, m, j,
				    "%s.%s: every value", m->name, f->name);
		}
	}

	printf("1..%zu\n", ntests);
	for (i = 0; i < ntests; i++) {
		failures_in_test = 0;
		tests[i].fn(tests[i].m, tests[i].fi);
		printf("%sok %zu - %s\n", failures_in_test ? "not " : "",
		       i + 1, tests[i].name);
		if (failures_in_test)
			failed++;
	}
	if (failed)
		printf("# %zu of %zu failed\n", failed, ntests);
	return failed ? 1 : 0;
}
