// SPDX-License-Identifier: GPL-2.0
/* State held in the kernel for the unload and teardown tests (hold.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "hold.h"

static int step(const struct fl_host *h, const char *what, int err)
{
	return err ? fl_fail(h, what, err) : 0;
}

/* One more pending object of each kind, besides the flow's sessions. */
static int hold_extra(struct fl_ctx *c)
{
	uint8_t pub[CPNS_PUBKEY_LEN], n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	struct cpns_rekey rk;
	uint32_t h;
	int err;

	err = step(&c->g1, "XFER_NEW", cpns_xfer_new(c->g1.nl, &h, pub));
	if (!err)
		err = step(&c->g2, "XFER_NEW",
			   cpns_xfer_new(c->g2.nl, &h, pub));
	if (!err)
		err = step(&c->g1, "ASSIGN_REQUEST",
			   cpns_assign_request(c->g1.nl, c->sid, n1, mac));
	if (!err)
		err = step(&c->s, "ASSIGN_CHALLENGE",
			   cpns_assign_challenge(c->s.nl, c->sid, n1, mac, ch,
						 chmac));
	if (!err)
		err = step(&c->g2, "AUTH_BEGIN",
			   cpns_auth_begin_rk(c->g2.nl, c->did, &h, nc, &rk));
	if (!err)
		err = step(&c->s, "AUTH_CHALLENGE",
			   fl_challenge_rec(c, nc, &rk, &h,
						  ns));
	return err;
}

static int keyring(const struct fl_host *h, int32_t *kr)
{
	struct cpns_info i;
	int err = cpns_get_info(h->nl, &i);

	if (err)
		return fl_fail(h, "GET_INFO", err);
	*kr = i.keyring;
	return 0;
}

int hold_open(struct hold *h, const char *const ns[3])
{
	int err;

	memset(h, 0, sizeof(*h));
	err = fl_open(&h->c, ns, false);
	if (err)
		return err;
	err = fl_run_all(&h->c);
	if (!err)
		err = hold_extra(&h->c);
	if (!err)
		err = fl_counts(&h->c.s, &h->s_pending, &h->s_sessions);
	if (!err)
		err = fl_counts(&h->c.g2, &h->g2_pending, &h->g2_sessions);
	if (!err)
		err = keyring(&h->c.s, &h->keyring[0]);
	if (!err)
		err = keyring(&h->c.g1, &h->keyring[1]);
	if (!err)
		err = keyring(&h->c.g2, &h->keyring[2]);
	if (err)
		fl_close(&h->c);
	return err;
}

void hold_close(struct hold *h)
{
	fl_close(&h->c);
}

/* What the child writes to the pipe once it holds everything. */
struct hold_msg {
	int err;
	struct hold h;
};

pid_t hold_fork(const char *const ns[3], struct hold *out)
{
	struct hold_msg m;
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(p))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (pid == 0) {
		close(p[0]);
		memset(&m, 0, sizeof(m));
		m.err = hold_open(&m.h, ns);
		if (write(p[1], &m, sizeof(m)) != sizeof(m) || m.err)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (!out) {
		close(p[0]);
		return pid;
	}
	do
		n = read(p[0], &m, sizeof(m));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n != sizeof(m) || m.err) {
		waitpid(pid, &st, 0);
		return n != sizeof(m) ? -EPIPE : m.err;
	}
	*out = m.h;
	/* the child's sockets and namespace fds mean nothing here */
	out->c.s.nl = NULL;
	out->c.g1.nl = NULL;
	out->c.g2.nl = NULL;
	out->c.s.nsfd = -1;
	out->c.g1.nsfd = -1;
	out->c.g2.nsfd = -1;
	return pid;
}

void hold_kill(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}
