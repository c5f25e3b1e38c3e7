// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host unit tests of the daemons' support library: the configuration
 * parser (conf.c), framed connections (conn.c) and the event loop
 * (loop.c). No kernel module needed.
 */
#include "test_daemon.h"

int main(void)
{
	test_conf();
	test_conn();
	test_loop();
	return tap_done();
}
