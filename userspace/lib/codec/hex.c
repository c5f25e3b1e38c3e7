// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Hex encoding and strict decoding of protocol values. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "hex.h"

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void cpns_hex_encode(char *out, const void *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = in;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/* Check every digit first, so that out is untouched on error. */
static int check(const char *hex, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nibble(hex[i]) < 0)
			return -EINVAL;
	return 0;
}

static void decode(uint8_t *out, const char *hex, size_t bytes)
{
	size_t i;

	for (i = 0; i < bytes; i++)
		out[i] = (uint8_t)(nibble(hex[2 * i]) << 4 |
				   nibble(hex[2 * i + 1]));
}

int cpns_hex_decode(void *out, size_t len, const char *hex)
{
	if (!hex || strlen(hex) != 2 * len || check(hex, 2 * len))
		return -EINVAL;
	decode(out, hex, len);
	return 0;
}

ssize_t cpns_hex_decode_var(void *out, size_t cap, const char *hex)
{
	size_t n;

	if (!hex)
		return -EINVAL;
	n = strlen(hex);
	if (n % 2 || check(hex, n))
		return -EINVAL;
	if (n / 2 > cap)
		return -E2BIG;
	decode(out, hex, n / 2);
	return (ssize_t)(n / 2);
}
