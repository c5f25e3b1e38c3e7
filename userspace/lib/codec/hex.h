/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Hex encoding and strict decoding of protocol values (libcpnscodec.a). */
#ifndef CPNS_HEX_H
#define CPNS_HEX_H

#include <stddef.h>
#include <sys/types.h>

/* Write 2 * len lowercase hex digits and a NUL to out. */
void cpns_hex_encode(char *out, const void *in, size_t len);

/* Decode exactly 2 * len hex digits (either case). 0 or -EINVAL; out is
 * untouched on error. */
int cpns_hex_decode(void *out, size_t len, const char *hex);

/* Decode an even number of hex digits, at most 2 * cap. Return the number
 * of bytes, -EINVAL (odd count, bad digit) or -E2BIG. */
ssize_t cpns_hex_decode_var(void *out, size_t cap, const char *hex);

#endif /* CPNS_HEX_H */
