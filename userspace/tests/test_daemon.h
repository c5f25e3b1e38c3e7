/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Host unit tests of the daemon support library (lib/daemon.h). */
#ifndef CPNS_TEST_DAEMON_H
#define CPNS_TEST_DAEMON_H

#include "tap.h"

void test_conf(void);
void test_conn(void);
void test_loop(void);

#endif /* CPNS_TEST_DAEMON_H */
