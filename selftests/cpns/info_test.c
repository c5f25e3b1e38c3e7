// SPDX-License-Identifier: GPL-2.0
// cpns-test: debug
/*
 * The family answers: GET_INFO and its version, limits and keyring, with
 * and without CAP_NET_ADMIN (GET_INFO needs none); GET_STATS counts what
 * happens in the caller's namespace only.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "tutil.h"

static void check_info(struct __test_metadata *_metadata,
		       const struct cpns_info *i)
{
	long timeout = tu_module_param("pending_timeout");
	char type[64], desc[256];

	ASSERT_EQ(CPNS_GENL_VERSION, i->version);
	ASSERT_LT(0, i->keyring);
	ASSERT_LT(0, i->pending_max);
	ASSERT_LT(0, i->pending_timeout);
	ASSERT_LT(0, i->session_max);
	if (timeout >= 0)
		ASSERT_EQ(timeout, i->pending_timeout);
	/* The keyring is the namespace's private ".cpns". */
	ASSERT_EQ(0, fl_key_describe(i->keyring, type, sizeof(type), desc,
				     sizeof(desc)));
	ASSERT_STREQ("keyring", type);
	ASSERT_STREQ(".cpns", desc);
}

TEST(get_info)
{
	struct cpns_info i;
	struct cpns_nl *nl;

	nl = cpns_open();
	ASSERT_NE(NULL, nl) TH_LOG("cpns_open: %s", strerror(errno));
	ASSERT_EQ(CPNS_GENL_NAME[0], 'c');
	ASSERT_NE(0, cpns_family(nl));
	ASSERT_EQ(0, cpns_get_info(nl, &i)) TH_LOG("%s", cpns_last_error(nl));
	check_info(_metadata, &i);
	cpns_close(nl);
}

TEST(get_info_without_cap_net_admin)
{
	struct cpns_info i, i0;
	struct cpns_stats st;
	struct cpns_nl *nl;
	uint8_t sid[CPNS_SEED_ID_LEN];
	int32_t serial;

	nl = cpns_open();
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, cpns_get_info(nl, &i0));
	cpns_close(nl);

	ASSERT_EQ(0, tu_drop_net_admin());
	nl = cpns_open();
	ASSERT_NE(NULL, nl) TH_LOG("cpns_open: %s", strerror(errno));
	ASSERT_EQ(0, cpns_get_info(nl, &i)) TH_LOG("%s", cpns_last_error(nl));
	ASSERT_EQ(i0.version, i.version);
	ASSERT_EQ(i0.keyring, i.keyring);
	/* ... but everything else needs the capability. */
	ASSERT_EQ(-EPERM, cpns_get_stats(nl, &st));
	ASSERT_EQ(-EPERM, cpns_seed_new(nl, 0, sid, &serial));
	cpns_close(nl);
}

TEST(get_info_as_nobody)
{
	struct cpns_info i;
	struct cpns_nl *nl;
	uint8_t sid[CPNS_SEED_ID_LEN];
	int32_t serial;

	ASSERT_EQ(0, setgid(65534));
	ASSERT_EQ(0, setuid(65534));
	nl = cpns_open();
	ASSERT_NE(NULL, nl) TH_LOG("cpns_open: %s", strerror(errno));
	ASSERT_EQ(0, cpns_get_info(nl, &i)) TH_LOG("%s", cpns_last_error(nl));
	ASSERT_EQ(CPNS_GENL_VERSION, i.version);
	ASSERT_EQ(-EPERM, cpns_seed_new(nl, 0, sid, &serial));
	cpns_close(nl);
}

TEST(each_namespace_has_its_keyring)
{
	struct cpns_info i0, i1;
	struct cpns_nl *nl;

	nl = cpns_open();
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, cpns_get_info(nl, &i0));
	cpns_close(nl);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	nl = cpns_open();
	ASSERT_NE(NULL, nl) TH_LOG("cpns_open in a new netns: %s",
				   strerror(errno));
	ASSERT_EQ(0, cpns_get_info(nl, &i1)) TH_LOG("%s", cpns_last_error(nl));
	check_info(_metadata, &i1);
	ASSERT_NE(i0.keyring, i1.keyring);
	cpns_close(nl);
}

TEST(stats_count_per_namespace)
{
	uint8_t sid[CPNS_SEED_ID_LEN] = { 0 };
	struct cpns_stats st;
	struct cpns_nl *nl;
	int32_t serial;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	nl = cpns_open();
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(0, cpns_get_stats(nl, &st)) TH_LOG("%s", cpns_last_error(nl));
	ASSERT_EQ(0, st.pending_count);
	ASSERT_EQ(0, st.session_count);
	ASSERT_EQ(0, st.op[CPNS_CMD_SEED_NEW].ok);
	ASSERT_EQ(0, st.fail[CPNS_FAIL_NO_KEY].count);

	ASSERT_EQ(0, cpns_seed_new(nl, 0, sid, &serial));
	ASSERT_EQ(-ENOKEY, cpns_key_del_seed(nl, (uint8_t[8]){ 0 }));
	ASSERT_EQ(0, cpns_get_stats(nl, &st));
	ASSERT_EQ(1, st.op[CPNS_CMD_SEED_NEW].ok);
	ASSERT_EQ(0, st.op[CPNS_CMD_SEED_NEW].failed);
	ASSERT_EQ(1, st.op[CPNS_CMD_KEY_DEL].failed);
	ASSERT_EQ(1, st.fail[CPNS_FAIL_NO_KEY].count);
	ASSERT_EQ(0, cpns_key_del_seed(nl, sid));
	ASSERT_EQ(0, cpns_get_stats(nl, &st));
	ASSERT_EQ(1, st.op[CPNS_CMD_KEY_DEL].ok);
	cpns_close(nl);
}

TEST_HARNESS_MAIN
