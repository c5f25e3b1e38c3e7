// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The hex codec. */
#include <errno.h>
#include <string.h>

#include "cpns.h"
#include "tap.h"

int main(void)
{
	static const uint8_t bytes[] = { 0x00, 0x01, 0xab, 0xff, 0x7e };
	uint8_t out[8], big[3];
	char hex[2 * sizeof(bytes) + 1];
	ssize_t n;

	cpns_hex_encode(hex, bytes, sizeof(bytes));
	tap_ok(!strcmp(hex, "0001abff7e"), "hex: encode is lowercase: %s", hex);
	cpns_hex_encode(hex, bytes, 0);
	tap_ok(hex[0] == '\0', "hex: encode of nothing is empty");

	memset(out, 0, sizeof(out));
	tap_ok(!cpns_hex_decode(out, 5, "0001abff7e") &&
	       !memcmp(out, bytes, 5), "hex: decode exact length");
	tap_ok(!cpns_hex_decode(out, 5, "0001ABFF7E") &&
	       !memcmp(out, bytes, 5), "hex: decode accepts upper case");

	memset(out, 0x55, sizeof(out));
	tap_ok(cpns_hex_decode(out, 5, "0001abff7") == -EINVAL,
	       "hex: decode refuses a short string");
	tap_ok(cpns_hex_decode(out, 5, "0001abff7e00") == -EINVAL,
	       "hex: decode refuses a long string");
	tap_ok(cpns_hex_decode(out, 5, "0001abfg7e") == -EINVAL,
	       "hex: decode refuses a non-hex digit");
	tap_ok(cpns_hex_decode(out, 5, " 001abff7e") == -EINVAL,
	       "hex: decode refuses a space");
	tap_ok(cpns_hex_decode(out, 5, NULL) == -EINVAL,
	       "hex: decode refuses NULL");
	tap_ok(out[0] == 0x55 && out[4] == 0x55,
	       "hex: output untouched after errors");

	n = cpns_hex_decode_var(out, sizeof(out), "abcd");
	tap_ok(n == 2 && out[0] == 0xab && out[1] == 0xcd,
	       "hex: variable decode");
	tap_ok(cpns_hex_decode_var(out, sizeof(out), "") == 0,
	       "hex: variable decode of nothing");
	tap_ok(cpns_hex_decode_var(out, sizeof(out), "abc") == -EINVAL,
	       "hex: variable decode refuses an odd count");
	tap_ok(cpns_hex_decode_var(big, sizeof(big), "00112233") == -E2BIG,
	       "hex: variable decode refuses more than fits");
	tap_ok(cpns_hex_decode_var(out, sizeof(out), "0x12") == -EINVAL,
	       "hex: variable decode refuses a 0x prefix");
	return tap_done();
}
