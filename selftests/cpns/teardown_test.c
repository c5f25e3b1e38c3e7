// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * Namespaces torn down while a process holds pending objects and sessions
 * in them, and processes killed while holding them: nothing warns, nothing
 * leaks, the keyrings go away, and the module still unloads cleanly (which
 * tools/vm-run checks after the suite). The namespaces are named and
 * deleted as "ip netns add/del" does (a bind mount on /run/netns), the
 * holders are this process or forked children of it: no program is
 * started.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "hold.h"
#include "tutil.h"

FIXTURE(teardown) {
	int klog;
};

FIXTURE_SETUP(teardown)
{
	ASSERT_TRUE(tu_module_loaded()) TH_LOG("cpns.ko is not loaded");
	self->klog = tu_klog_mark();
	ASSERT_LE(0, self->klog) TH_LOG("/dev/kmsg: %s", strerror(errno));
}

FIXTURE_TEARDOWN(teardown)
{
	char bad[4096];
	int n;

	n = tu_klog_grep(self->klog, TU_KLOG_BAD, bad, sizeof(bad));
	EXPECT_EQ(0, n) TH_LOG("kernel log:\n%s", bad);
	close(self->klog);
}

/* Wait up to seconds for key kr to be gone (describe fails). */
static bool key_gone(int32_t kr, int seconds)
{
	struct tu_keydesc d;
	int i;

	for (i = 0; i < seconds * 10; i++) {
		if (tu_key_describe(kr, &d))
			return true;
		usleep(100 * 1000);
	}
	return false;
}

static void check_held(struct __test_metadata *_metadata,
		       const struct hold *h)
{
	TH_LOG("S pending %u sessions %u, GW2 pending %u sessions %u",
	       h->s_pending, h->s_sessions, h->g2_pending, h->g2_sessions);
	EXPECT_LE(1, h->s_pending);
	EXPECT_EQ(1, h->s_sessions);
	EXPECT_LE(1, h->g2_pending);
	EXPECT_EQ(1, h->g2_sessions);
}

TEST_F_TIMEOUT(teardown, netns_del_while_holding_state, 600)
{
	static const char *const role[3] = { "s", "g1", "g2" };
	char names[3][64];
	const char *ns[3];
	struct hold h;
	int n, err;

	for (n = 0; n < 3; n++) {
		snprintf(names[n], sizeof(names[n]), "cpnst-%s-%d",
			 role[n], getpid());
		ns[n] = names[n];
		err = tu_netns_add(ns[n]);
		ASSERT_EQ(0, err) TH_LOG("ip netns add %s: %s", ns[n],
					 strerror(-err));
	}
	err = hold_open(&h, ns);
	if (err) {
		for (n = 0; n < 3; n++)
			tu_netns_del(ns[n]);
		ASSERT_EQ(0, err);
	}
	check_held(_metadata, &h);
	/* The names go; the namespaces live on while the holder's sockets do. */
	for (n = 0; n < 3; n++) {
		err = tu_netns_del(ns[n]);
		EXPECT_EQ(0, err) TH_LOG("ip netns del %s: %s", ns[n],
					 strerror(-err));
		EXPECT_GT(0, tu_netns_open(ns[n]));
	}
	sleep(1);
	for (n = 0; n < 3; n++)
		EXPECT_FALSE(key_gone(h.keyring[n], 0))
			TH_LOG("keyring %d gone too early", h.keyring[n]);
	hold_close(&h);
	for (n = 0; n < 3; n++)
		EXPECT_TRUE(key_gone(h.keyring[n], 60))
			TH_LOG("keyring %d outlived its namespace",
			       h.keyring[n]);
}

TEST_F_TIMEOUT(teardown, kill_while_holding_state, 600)
{
	struct hold h;
	pid_t pid;
	int i, n;

	for (i = 0; i < 3; i++) {
		pid = hold_fork(NULL, &h);
		ASSERT_LT(0, pid) TH_LOG("holder %d: %s", i, strerror(-pid));
		check_held(_metadata, &h);
		hold_kill(pid);
		/* its namespaces die with it, and their keyrings */
		for (n = 0; n < 3; n++)
			EXPECT_TRUE(key_gone(h.keyring[n], 60))
				TH_LOG("keyring %d outlived its holder",
				       h.keyring[n]);
	}
	/* A holder killed halfway through its flow. */
	pid = hold_fork(NULL, NULL);
	ASSERT_LT(0, pid);
	usleep(300 * 1000);
	hold_kill(pid);
	sleep(1);
}

TEST_F_TIMEOUT(teardown, socket_close_frees_state, 600)
{
	struct fl_host *hosts[3];
	uint32_t p, s;
	struct hold h;
	int n;

	ASSERT_EQ(0, hold_open(&h, NULL));
	check_held(_metadata, &h);
	hosts[0] = &h.c.s;
	hosts[1] = &h.c.g1;
	hosts[2] = &h.c.g2;
	for (n = 0; n < 3; n++) {
		cpns_close(hosts[n]->nl);
		hosts[n]->nl = NULL;
	}
	/*
	 * Everything socket-bound went with the sockets. (The II-2
	 * challenge is not socket-bound: it stays until it expires, so S's
	 * pending count is 0 or 1 depending on the time this took.)
	 */
	for (n = 0; n < 3; n++) {
		hosts[n]->nl = fl_socket(hosts[n]);
		ASSERT_NE(NULL, hosts[n]->nl);
		ASSERT_EQ(0, fl_counts(hosts[n], &p, &s));
		TH_LOG("%s: pending %u sessions %u", hosts[n]->name, p, s);
		EXPECT_EQ(0, s);
		if (n == 0) {
			EXPECT_GE(1, p);
		} else {
			EXPECT_EQ(0, p);
		}
	}
	hold_close(&h);
}

/*
 * Last: kmemleak finds nothing of cpns after the tests above (one scan
 * for the unit: a scan takes minutes under the debug kernel).
 */
TEST_F_TIMEOUT(teardown, kmemleak_clean, 900)
{
	char report[8192];
	int ret;

	/* kmemleak reports objects unreferenced for 5 s or more */
	sleep(6);
	ret = tu_kmemleak_scan("cpns", report, sizeof(report));
	if (ret == -ENOENT)
		SKIP(return, "no kmemleak in this kernel");
	ASSERT_LE(0, ret) TH_LOG("kmemleak: %s", strerror(-ret));
	EXPECT_EQ(0, ret) TH_LOG("kmemleak:\n%s", report);
}

TEST_HARNESS_MAIN
