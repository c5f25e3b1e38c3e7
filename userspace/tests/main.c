// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Host unit tests of libcpns and cpnsctl: no kernel module needed. */
#include "tap.h"

int main(void)
{
	test_hex();
	test_vectors();
	test_msg();
	test_cli();
	test_store();
	return tap_done();
}
