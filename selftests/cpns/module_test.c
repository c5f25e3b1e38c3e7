// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug reload
/*
 * Unload and reload the module while seeds, Device Keys, pending objects
 * and sessions exist: rmmod succeeds, the keys of the old instance are
 * dead, the family answers again after insmod with empty keyrings, and the
 * kernel log has no warning (the VM runs with panic_on_warn=1 as well).
 * Reload cycles, a reload while the namespaces die, and the load-time
 * self-test. delete_module(2) and finit_module(2) of $CPNS_KO (else
 * kmod/cpns.ko) from this process: no program is started.
 *
 * Runs last: it leaves the module loaded with default parameters (each
 * test's teardown loads it again if the test left it unloaded).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/keyctl.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "hold.h"
#include "tutil.h"

FIXTURE(module) {
	int klog;
};

FIXTURE_SETUP(module)
{
	ASSERT_TRUE(tu_module_loaded()) TH_LOG("cpns.ko is not loaded");
	self->klog = tu_klog_mark();
	ASSERT_LE(0, self->klog) TH_LOG("/dev/kmsg: %s", strerror(errno));
}

FIXTURE_TEARDOWN(module)
{
	char bad[4096];
	int n, err;

	if (!tu_module_loaded()) {
		err = tu_module_load(NULL);
		EXPECT_EQ(0, err) TH_LOG("insmod %s: %s", tu_module_ko(),
					 strerror(-err));
	}
	n = tu_klog_grep(self->klog, TU_KLOG_BAD, bad, sizeof(bad));
	EXPECT_EQ(0, n) TH_LOG("kernel log:\n%s", bad);
	close(self->klog);
}

static int reload(void)
{
	int err = tu_module_unload();

	return err ? err : tu_module_load(NULL);
}

/* The family answers in h's namespace, on a new socket (left in h). */
static void answers(struct __test_metadata *_metadata, struct fl_host *h,
		    struct cpns_info *i)
{
	h->nl = fl_socket(h);
	ASSERT_NE(NULL, h->nl) TH_LOG("%s: cpns_open: %s", h->name,
				      strerror(errno));
	ASSERT_EQ(0, cpns_get_info(h->nl, i)) TH_LOG("%s: %s", h->name,
						     cpns_last_error(h->nl));
}

TEST_F_TIMEOUT(module, unload_with_keys_and_sessions, 600)
{
	struct fl_host *hosts[3];
	struct cpns_stats st;
	struct tu_keydesc d;
	struct cpns_info i;
	struct hold h;
	int32_t keys[4];
	uint64_t nokey;
	int k, n;

	ASSERT_EQ(0, hold_open(&h, NULL));
	hosts[0] = &h.c.s;
	hosts[1] = &h.c.g1;
	hosts[2] = &h.c.g2;
	TH_LOG("S pending %u sessions %u, GW2 pending %u sessions %u",
	       h.s_pending, h.s_sessions, h.g2_pending, h.g2_sessions);
	EXPECT_LE(1, h.s_pending);
	EXPECT_EQ(1, h.s_sessions);
	EXPECT_LE(1, h.g2_pending);
	EXPECT_EQ(1, h.g2_sessions);
	keys[0] = h.c.seed_serial_s;
	keys[1] = tu_keyctl(KEYCTL_SEARCH, h.keyring[1],
			    (unsigned long)"cpns_seed",
			    (unsigned long)tu_hex(h.c.sid, sizeof(h.c.sid)), 0);
	keys[2] = tu_keyctl(KEYCTL_SEARCH, h.keyring[1],
			    (unsigned long)"cpns_device",
			    (unsigned long)tu_hex(h.c.did, sizeof(h.c.did)), 0);
	keys[3] = tu_keyctl(KEYCTL_SEARCH, h.keyring[2],
			    (unsigned long)"cpns_device",
			    (unsigned long)tu_hex(h.c.did, sizeof(h.c.did)), 0);
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(0, tu_key_describe(keys[k], &d)) TH_LOG("key %d",
								 keys[k]);
		TH_LOG("%d %s: %s", keys[k], d.type, d.desc);
	}

	/* This process keeps its sockets, sessions and pending objects. */
	ASSERT_EQ(0, tu_module_unload());
	EXPECT_FALSE(tu_module_loaded());
	EXPECT_EQ(NULL, cpns_open());
	EXPECT_GT(0, cpns_get_info(h.c.s.nl, &i)) TH_LOG("old socket answered");
	/* The keys of the old instance are dead: their type is gone. */
	for (k = 0; k < 4; k++) {
		EXPECT_GT(0, tu_key_describe(keys[k], &d))
			TH_LOG("key %d of the unloaded module: %s: %s", keys[k],
			       d.type, d.desc);
		EXPECT_GT(0, tu_keyctl(KEYCTL_READ, keys[k], 0, 0, 0));
	}
	for (n = 0; n < 3; n++)
		EXPECT_GT(0, tu_key_describe(h.keyring[n], &d))
			TH_LOG("keyring %d outlived the module", h.keyring[n]);

	ASSERT_EQ(0, tu_module_load(NULL));
	/* The old sockets close under the new instance. */
	for (n = 0; n < 3; n++) {
		cpns_close(hosts[n]->nl);
		hosts[n]->nl = NULL;
	}
	for (n = 0; n < 3; n++) {
		answers(_metadata, hosts[n], &i);
		for (k = 0; k < 3; k++)
			EXPECT_NE(h.keyring[k], i.keyring)
				TH_LOG("keyring %d survived the reload",
				       i.keyring);
		EXPECT_EQ(0, fl_count_keys(hosts[n]))
			TH_LOG("keys survived the reload in %s",
			       hosts[n]->name);
	}
	/* The old seed is unknown to the new instance. */
	ASSERT_EQ(0, cpns_get_stats(h.c.s.nl, &st));
	nokey = st.fail[CPNS_FAIL_NO_KEY].count;
	EXPECT_EQ(-ENOKEY, cpns_key_del_seed(h.c.s.nl, h.c.sid));
	ASSERT_EQ(0, cpns_get_stats(h.c.s.nl, &st));
	EXPECT_EQ(nokey + 1, st.fail[CPNS_FAIL_NO_KEY].count);
	hold_close(&h);
}

TEST_F_TIMEOUT(module, reload_cycles, 600)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct fl_host ns = { .name = "NS" };
	struct cpns_info i;
	struct cpns_nl *nl;
	int32_t serial;
	int n;

	for (n = 1; n <= 3; n++) {
		ns.nsfd = tu_netns_new();
		ASSERT_LE(0, ns.nsfd);
		ns.nl = fl_socket(&ns);
		ASSERT_NE(NULL, ns.nl);
		ASSERT_EQ(0, cpns_seed_new(ns.nl, 0, sid, &serial))
			TH_LOG("%s", cpns_last_error(ns.nl));
		cpns_close(ns.nl);
		ASSERT_EQ(0, reload()) TH_LOG("reload %d", n);
		nl = cpns_open();
		ASSERT_NE(NULL, nl) TH_LOG("no family after reload %d", n);
		EXPECT_EQ(0, cpns_get_info(nl, &i));
		cpns_close(nl);
		answers(_metadata, &ns, &i);
		EXPECT_EQ(0, fl_count_keys(&ns)) TH_LOG("seed survived");
		cpns_close(ns.nl);
		close(ns.nsfd);
	}
}

TEST_F_TIMEOUT(module, reload_while_netns_dies, 600)
{
	struct fl_ctx c;
	struct cpns_info i;
	struct cpns_nl *nl;
	struct hold h;

	ASSERT_EQ(0, hold_open(&h, NULL));
	/*
	 * Unload with the holder's anonymous namespaces alive, then let
	 * them die (their last sockets and fds go) with the module gone.
	 */
	ASSERT_EQ(0, tu_module_unload());
	hold_close(&h);
	sleep(1);
	ASSERT_EQ(0, tu_module_load(NULL));
	nl = cpns_open();
	ASSERT_NE(NULL, nl);
	EXPECT_EQ(0, cpns_get_info(nl, &i));
	cpns_close(nl);
	ASSERT_EQ(0, fl_open(&c, NULL, false));
	EXPECT_EQ(0, fl_run_all(&c)) TH_LOG("flow after reload");
	fl_close(&c);
}

TEST_F_TIMEOUT(module, self_test_ran_at_load, 600)
{
	struct cpns_info i;
	struct cpns_nl *nl;
	char lines[4096];
	int klog, n;

	klog = tu_klog_mark();
	ASSERT_LE(0, klog);
	ASSERT_EQ(0, reload());
	/*
	 * The known-answer self-test runs before the family registers: a
	 * module that answers passed it. It must not have logged a failure.
	 */
	n = tu_klog_grep(klog, "cpns", lines, sizeof(lines));
	close(klog);
	TH_LOG("kernel log since the reload:\n%s", lines);
	EXPECT_LT(0, n);
	EXPECT_EQ(NULL, strstr(lines, "self-test"));
	EXPECT_NE(NULL, strstr(lines, "ready"));
	nl = cpns_open();
	ASSERT_NE(NULL, nl);
	EXPECT_EQ(0, cpns_get_info(nl, &i));
	cpns_close(nl);
}

TEST_HARNESS_MAIN
