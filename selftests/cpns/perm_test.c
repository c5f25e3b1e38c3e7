// SPDX-License-Identifier: GPL-2.0
/*
 * Every command but GET_INFO needs CAP_NET_ADMIN in the user namespace
 * that owns the caller's network namespace: without it each one fails
 * with EPERM and changes nothing; with it in a user namespace that owns a
 * new network namespace, commands work there and only there.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "flowlib.h"
#include "keyops.h"
#include "tutil.h"

static int count_key(const struct cpns_key *key, void *arg)
{
	(void)key;
	++*(int *)arg;
	return 0;
}

struct state {
	int keys;
	uint32_t pending, sessions;
};

static int state_of(struct fl_host *h, struct state *s)
{
	s->keys = fl_count_keys(h);
	if (s->keys < 0)
		return s->keys;
	return fl_counts(h, &s->pending, &s->sessions);
}

/* Send every command (with valid attributes where we have them) on nl;
 * return how many did not fail with EPERM.
 */
static int all_eperm(struct cpns_nl *nl, const struct fl_ctx *c)
{
	const uint8_t *sid = c->sid, *did = c->did;
	uint8_t buf[64] = { 0 }, pub[CPNS_PUBKEY_LEN], w[CPNS_WRAPPED_LEN];
	uint8_t out[64];
	struct cpns_stats st;
	uint32_t h = c->hs, code;
	int32_t serial;
	uint64_t seq;
	size_t len = sizeof(out);
	int cmd, bad = 0, err, nkeys = 0;

	memset(pub, 9, sizeof(pub));
	memset(w, 0, sizeof(w));
#define EXPECT_EPERM(call) do {						\
	err = (call);							\
	if (err != -EPERM) {						\
		bad++;							\
		ksft_print_msg("%s: got %d (%s), want EPERM\n", #call,	\
			       err, strerror(-err));			\
	}								\
} while (0)
	EXPECT_EPERM(cpns_get_stats(nl, &st));
	EXPECT_EPERM(cpns_keys_dump(nl, count_key, &nkeys));
	EXPECT_EPERM(cpns_key_del_seed(nl, sid));
	EXPECT_EPERM(cpns_seed_new(nl, 0, out, &serial));
	EXPECT_EPERM(cpns_xfer_new(nl, &code, out));
	EXPECT_EPERM(cpns_seed_export(nl, sid, pub, out, &code));
	EXPECT_EPERM(cpns_seed_import(nl, 1, sid, pub, w, 0, &serial, &code));
	EXPECT_EPERM(cpns_assign_request(nl, sid, out, buf));
	EXPECT_EPERM(cpns_assign_challenge(nl, sid, buf, buf, out, out));
	EXPECT_EPERM(cpns_assign_derive(nl, sid, buf, buf, buf, out, &serial));
	EXPECT_EPERM(cpns_assign_confirm(nl, did, buf, out));
	EXPECT_EPERM(cpns_assign_verify(nl, did, buf, &serial, NULL));
	EXPECT_EPERM(cpns_device_export(nl, did, pub, out, &code));
	EXPECT_EPERM(cpns_device_import(nl, 1, did, pub, w, 0, &serial,
					&code));
	EXPECT_EPERM(cpns_auth_begin(nl, did, &code, out));
	EXPECT_EPERM(cpns_auth_challenge(nl, did, buf, &code, out));
	EXPECT_EPERM(cpns_auth_client(nl, h, buf, out));
	EXPECT_EPERM(cpns_auth_server(nl, h, buf, out));
	EXPECT_EPERM(cpns_auth_finish(nl, h, buf));
	EXPECT_EPERM(cpns_seal(nl, h, NULL, 0, "x", 1, &seq, out, &len));
	EXPECT_EPERM(cpns_unseal(nl, h, 0, NULL, 0, buf, 17, out, &len));
	EXPECT_EPERM(cpns_session_del(nl, h));
	{
		const struct cpns_keyref kr = { "user", "cpns-test:perm" };
		uint8_t blob[CPNS_MAX_BLOB] = { 1 };
		size_t blen;

		EXPECT_EPERM(cpns_key_wrap(nl, CPNS_KEY_SEED, sid, &kr, NULL, 0,
					   blob, &blen));
		EXPECT_EPERM(cpns_key_unwrap(nl, blob, 96, &kr, NULL, 0, NULL));
		EXPECT_EPERM(cpns_key_revoke(nl, CPNS_KEY_SEED, sid, NULL,
					     NULL));
		EXPECT_EPERM(cpns_key_revoke(nl, CPNS_KEY_DEVICE, did, NULL,
					     NULL));
		EXPECT_EPERM(cpns_xfer_code(nl, h, CPNS_KEY_SEED, sid, pub,
					    &code));
		EXPECT_EPERM(cpns_xfer_pair(nl, &kr, CPNS_KEY_DEVICE, did, pub,
					    pub, h, NULL, out));
		EXPECT_EPERM(cpns_xfer_accept(nl, h, CPNS_KEY_SEED, &kr, out));
		{
			struct cpns_proof pr = { .kind = CPNS_PROOF_CODE };

			EXPECT_EPERM(cpns_xfer_release(nl, h, &pr, w, &code));
		}
	}
	/*
	 * Every command through the raw API too, but 5 and 30, which the
	 * uapi does not use (EOPNOTSUPP).
	 */
	for (cmd = CPNS_CMD_GET_STATS; cmd <= CPNS_CMD_MAX; cmd++)
		if (cmd != 5 && cmd != 30)
			EXPECT_EPERM(cpns_request(nl, cmd,
						  cmd == CPNS_CMD_KEY_GET ?
						  NLM_F_DUMP : 0,
						  NULL, NULL, NULL, NULL));
#undef EXPECT_EPERM
	return bad;
}

FIXTURE(perm) {
	struct fl_ctx c;
};

FIXTURE_SETUP(perm)
{
	ASSERT_EQ(0, fl_open(&self->c, NULL, false));
	ASSERT_EQ(0, fl_run_all(&self->c));
}

FIXTURE_TEARDOWN(perm)
{
	fl_close(&self->c);
}

/* Run fn in a child that dropped CAP_NET_ADMIN; 0 if it found no fault. */
static int in_child(struct fl_ctx *c, bool nobody, bool own_socket)
{
	struct cpns_nl *nl;
	pid_t pid;
	int status, bad;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* The server's socket was opened with the capability; the
		 * sender must hold it too. An own socket is made in S's
		 * namespace after the drop (entered before it: setns needs
		 * CAP_SYS_ADMIN, which nobody lacks).
		 */
		nl = c->s.nl;
		if (own_socket && setns(c->s.nsfd, CLONE_NEWNET))
			_exit(102);
		if (nobody) {
			if (setgid(65534) || setuid(65534))
				_exit(100);
		} else if (tu_drop_net_admin()) {
			_exit(101);
		}
		if (own_socket) {
			nl = cpns_open();
			if (!nl)
				_exit(103);
		}
		bad = all_eperm(nl, c);
		/* GET_INFO needs nothing. */
		{
			struct cpns_info i;

			if (cpns_get_info(nl, &i)) {
				ksft_print_msg("GET_INFO: %s\n",
					       cpns_last_error(nl));
				bad++;
			}
		}
		_exit(bad ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST_F(perm, without_cap_net_admin)
{
	struct state a, b;

	ASSERT_EQ(0, state_of(&self->c.s, &a));
	ASSERT_EQ(0, in_child(&self->c, false, true));
	ASSERT_EQ(0, state_of(&self->c.s, &b));
	ASSERT_EQ(0, memcmp(&a, &b, sizeof(a)));
	ASSERT_EQ(0, fl_exchange(&self->c, "still", "there"));
}

TEST_F(perm, privileged_socket_unprivileged_sender)
{
	struct state a, b;

	ASSERT_EQ(0, state_of(&self->c.s, &a));
	ASSERT_EQ(0, in_child(&self->c, false, false));
	ASSERT_EQ(0, state_of(&self->c.s, &b));
	ASSERT_EQ(0, memcmp(&a, &b, sizeof(a)));
}

TEST_F(perm, as_nobody)
{
	struct state a, b;

	ASSERT_EQ(0, state_of(&self->c.s, &a));
	ASSERT_EQ(0, in_child(&self->c, true, true));
	ASSERT_EQ(0, state_of(&self->c.s, &b));
	ASSERT_EQ(0, memcmp(&a, &b, sizeof(a)));
}

/*
 * As root, unshare(CLONE_NEWUSER) fails with EPERM only in a chroot or under
 * a security policy. The VM switches root (no chroot), so that is a failure
 * here, not a reason to skip.
 */
TEST(user_namespace_owner_is_admin_of_its_netns_only)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct cpns_info info;
	struct cpns_nl *nl, *init_nl;
	int32_t serial;

	/* Still in the initial namespaces: a socket for later. */
	init_nl = cpns_open();
	ASSERT_NE(NULL, init_nl);

	/* Root of a new user namespace that owns a new network namespace. */
	ASSERT_EQ(0, unshare(CLONE_NEWUSER | CLONE_NEWNET))
		TH_LOG("unshare: %s", strerror(errno));
	nl = cpns_open();
	ASSERT_NE(NULL, nl) TH_LOG("cpns_open: %s", strerror(errno));
	ASSERT_EQ(0, cpns_get_info(nl, &info)) TH_LOG("%s", cpns_last_error(nl));
	ASSERT_EQ(0, cpns_seed_new(nl, 0, sid, &serial))
		TH_LOG("%s", cpns_last_error(nl));
	ASSERT_EQ(1, ({ struct fl_host h = { "userns", -1, nl };
			fl_count_keys(&h); }));
	/* It is nobody in the initial network namespace. */
	ASSERT_EQ(-EPERM, cpns_seed_new(init_nl, 0, sid, &serial));
	cpns_close(nl);
	cpns_close(init_nl);
}

TEST(user_namespace_without_netns_is_refused)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct cpns_nl *nl;
	int32_t serial;

	/* All capabilities, but in a user namespace that does not own the
	 * (initial) network namespace.
	 */
	ASSERT_EQ(0, unshare(CLONE_NEWUSER)) TH_LOG("unshare: %s", strerror(errno));
	nl = cpns_open();
	ASSERT_NE(NULL, nl);
	ASSERT_EQ(-EPERM, cpns_seed_new(nl, 0, sid, &serial));
	cpns_close(nl);
}

TEST_HARNESS_MAIN
