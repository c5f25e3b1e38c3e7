// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target of the wire protocol parser (userspace/lib/codec/wire.c).
 *
 * Input: a byte stream as a daemon would read it from a socket; when the
 * first byte is 0xff, the plaintext of a SEALED message after it; when it
 * is 0xfe, a string for cpns_wire_error_set() after it.
 * Properties, each checked with abort():
 *   - the framer and the decoder agree: a header the framer refuses is
 *     refused by the decoder with the same error, a whole frame is at
 *     most CPNS_WIRE_MAX_FRAME bytes, an incomplete one decodes as
 *     truncated and bytes after a frame as trailing;
 *   - whatever decodes re-encodes to exactly the same bytes, and the
 *     encoder refuses every smaller output buffer;
 *   - cpns_wire_error_set() makes an ERROR that encodes and decodes back
 *     from any string;
 *   - decoded strings are NUL-terminated at their length, lengths are
 *     within their bounds, and a SEALED frame's header is its AAD.
 * The sanitizers (address, undefined) catch any read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)			\
	do {				\
		if (!(cond))		\
			abort();	\
	} while (0)

static void check_text(const struct cpns_wire_text *t, size_t max)
{
	CHECK(t->len <= max);
	CHECK(t->s[t->len] == '\0');
	CHECK(strlen(t->s) == t->len);
}

static void check_name(const struct cpns_wire_name *n)
{
	CHECK(n->len >= 1 && n->len <= CPNS_WIRE_NAME_MAX);
	CHECK(n->s[n->len] == '\0');
	CHECK(strlen(n->s) == n->len);
}

static void check_msg(const struct cpns_wire_msg *m, const uint8_t *frame)
{
	uint8_t aad[CPNS_WIRE_HDR_LEN];

	switch (m->type) {
	case CPNS_WIRE_SEED_REQUEST:
		check_name(&m->seed_request.name);
		break;
	case CPNS_WIRE_ASSIGN_ASK:
		check_name(&m->assign_ask.name);
		break;
	case CPNS_WIRE_ERROR:
		CHECK(m->error.code >= 1 && m->error.code <= CPNS_WIRE_ERR_MAX);
		check_text(&m->error.text, CPNS_WIRE_ERRMSG_MAX);
		break;
	case CPNS_WIRE_SEALED:
		CHECK(m->sealed.ct_len >= CPNS_WIRE_SEALED_MIN &&
		      m->sealed.ct_len <= CPNS_WIRE_SEALED_MAX);
		CHECK(cpns_wire_sealed_aad(m->sealed.ct_len, aad) ==
		      CPNS_WIRE_OK);
		CHECK(!memcmp(aad, frame, sizeof(aad)));
		break;
	default:
		CHECK(cpns_wire_type_name(m->type));
		break;
	}
}

static void one_frame(const uint8_t *buf, size_t len)
{
	static struct cpns_wire_msg msg, again;
	static uint8_t out[CPNS_WIRE_MAX_FRAME];
	size_t n = 0, cap;

	if (cpns_wire_decode(buf, len, &msg) != CPNS_WIRE_OK)
		return;
	check_msg(&msg, buf);
	CHECK(cpns_wire_encode(&msg, out, sizeof(out), &n) == CPNS_WIRE_OK);
	CHECK(n == len && !memcmp(out, buf, len));
	for (cap = len > 16 ? len - 16 : 0; cap < len; cap++)
		CHECK(cpns_wire_encode(&msg, out, cap, &n) ==
		      CPNS_WIRE_E_NOSPACE);
	CHECK(cpns_wire_decode(out, len, &again) == CPNS_WIRE_OK);
}

static void stream(const uint8_t *data, size_t size)
{
	static struct cpns_wire_msg msg;
	size_t flen = 0;
	int ret, dret;

	while (size) {
		ret = cpns_wire_frame(data, size, &flen);
		dret = cpns_wire_decode(data, size, &msg);
		if (ret == CPNS_WIRE_E_INCOMPLETE) {
			CHECK(flen > size);
			CHECK(flen <= CPNS_WIRE_MAX_FRAME);
			CHECK(dret == CPNS_WIRE_E_TRUNCATED);
			return;
		}
		if (ret != CPNS_WIRE_OK) {
			CHECK(dret == ret);
			CHECK(cpns_wire_err_code(ret) != CPNS_WIRE_ERR_INTERNAL);
			CHECK(cpns_wire_strerror(ret));
			return;
		}
		CHECK(flen >= CPNS_WIRE_HDR_LEN && flen <= size);
		CHECK(flen <= CPNS_WIRE_MAX_FRAME);
		if (flen < size)
			CHECK(dret == CPNS_WIRE_E_TRAILING);
		one_frame(data, flen);
		data += flen;
		size -= flen;
	}
}

static void inner(const uint8_t *data, size_t size)
{
	static struct cpns_wire_inner in;
	static uint8_t out[CPNS_WIRE_INNER_MAX];
	size_t n = 0;

	if (cpns_wire_inner_decode(data, size, &in) != CPNS_WIRE_OK)
		return;
	CHECK(size >= CPNS_WIRE_INNER_MIN && size <= CPNS_WIRE_INNER_MAX);
	if (in.type == CPNS_WIRE_STATUS_REPORT) {
		CHECK(in.status_report.health >= 1 &&
		      in.status_report.health <= CPNS_WIRE_HEALTH_MAX);
		check_text(&in.status_report.text, CPNS_WIRE_TEXT_MAX);
	} else {
		CHECK(in.type == CPNS_WIRE_STATUS_ACK);
	}
	CHECK(cpns_wire_inner_encode(&in, out, sizeof(out), &n) ==
	      CPNS_WIRE_OK);
	CHECK(n == size && !memcmp(out, data, size));
	CHECK(cpns_wire_inner_encode(&in, out, size - 1, &n) ==
	      CPNS_WIRE_E_NOSPACE);
}

static void error_text(const uint8_t *data, size_t size)
{
	static struct cpns_wire_msg msg, back;
	static uint8_t out[CPNS_WIRE_MAX_FRAME];
	static char str[2048];
	size_t n = 0;

	if (size >= sizeof(str))
		size = sizeof(str) - 1;
	memcpy(str, data, size);
	str[size] = '\0';
	CHECK(cpns_wire_error_set(&msg, CPNS_WIRE_ERR_INTERNAL, 0, str) ==
	      CPNS_WIRE_OK);
	check_text(&msg.error.text, CPNS_WIRE_ERRMSG_MAX);
	CHECK(msg.error.text.len <= strlen(str));
	CHECK(cpns_wire_encode(&msg, out, sizeof(out), &n) == CPNS_WIRE_OK);
	CHECK(cpns_wire_decode(out, n, &back) == CPNS_WIRE_OK);
	CHECK(back.error.text.len == msg.error.text.len &&
	      !memcmp(back.error.text.s, msg.error.text.s,
		      msg.error.text.len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 0xff)
		inner(data + 1, size - 1);
	else if (size && data[0] == 0xfe)
		error_text(data + 1, size - 1);
	else
		stream(data, size);
	return 0;
}
