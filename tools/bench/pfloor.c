// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The transport floor's responder: a child process that answers the
 * floor clients (pload.c, pb->floor) on a socket of the server's network
 * namespace, with the frames cpns-serverd would send, and nothing else:
 * no netlink command, no store, no log.
 *
 * It is built as cpns-serverd's connections are (userspace/serverd/
 * server.c), on the same library: the daemon loop (level-triggered
 * epoll, a timer per connection for its deadlines), struct cpns_conn and
 * the wire codec; one accept4() per wake-up of the listener, one message
 * read per wake-up of a connection, the answer written at once, the
 * events and the timer updated after each event, and a connection closed
 * without EPOLL_CTL_DEL when the peer closes. Each answer has the type
 * and size of the server's: the contents are zeros. As the server, it
 * answers a connection's messages for as long as the client sends them:
 * one auth flow, or assignment after assignment on a kept link.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "proto.h"

struct fconn {
	struct cpns_conn c;
	struct cpns_watch w;
	struct cpns_timer t;
	struct cpns_loop *loop;
};

struct fserver {
	struct cpns_loop *loop;
	struct cpns_watch lw;
	int lfd;
};

static void fconn_free(struct fconn *fc)
{
	cpns_timer_disarm(fc->loop, &fc->t);
	cpns_watch_drop(fc->loop, &fc->w);
	cpns_conn_close(&fc->c);
	free(fc);
}

/* As server_conn_update(): free a dead one, else its events and timer. */
static void fconn_update(struct fconn *fc)
{
	uint64_t when;
	uint32_t events;

	if (fc->c.state == CPNS_CONN_DEAD) {
		fconn_free(fc);
		return;
	}
	events = cpns_conn_events(&fc->c);
	if (fc->c.state == CPNS_CONN_OPEN && cpns_conn_want_write(&fc->c))
		events = EPOLLOUT;
	if (cpns_watch_mod(fc->loop, &fc->w, events)) {
		fconn_free(fc);
		return;
	}
	when = cpns_conn_next_deadline(&fc->c);
	if (!when)
		cpns_timer_disarm(fc->loop, &fc->t);
	else if (cpns_timer_arm(fc->loop, &fc->t, when))
		cpns_conn_close(&fc->c);
	if (fc->c.state == CPNS_CONN_DEAD)
		fconn_free(fc);
}

/* The length of the STATUS_ACK that cpns-serverd seals: made once. */
static uint16_t ack_ct;

static uint16_t ack_ct_len(void)
{
	struct cpns_wire_inner ack = { .type = CPNS_WIRE_STATUS_ACK };
	uint8_t pt[CPNS_WIRE_INNER_MAX];
	size_t len = 0;

	ack.status_ack.seq = 1;
	cpns_wire_inner_encode(&ack, pt, sizeof(pt), &len);
	return (uint16_t)(len + CPNS_TAG_LEN);
}

/* The server's answer to m, of its type and size; -1 for none. */
static int answer(const struct cpns_wire_msg *m, struct cpns_wire_msg *a)
{
	memset(a, 0, sizeof(*a));
	switch (m->type) {
	case CPNS_WIRE_ASSIGN_REQUEST:
		a->type = CPNS_WIRE_ASSIGN_CHALLENGE;
		memcpy(a->assign_challenge.n1, m->assign_request.n1,
		       CPNS_NONCE_LEN);
		return 0;
	case CPNS_WIRE_ASSIGN_DEVICE_ID:
		a->type = CPNS_WIRE_ASSIGN_CONFIRM;
		memcpy(a->assign_confirm.did, m->assign_device_id.did,
		       CPNS_DEVICE_ID_LEN);
		return 0;
	case CPNS_WIRE_AUTH_HELLO:
		a->type = CPNS_WIRE_AUTH_CHALLENGE;
		a->auth_challenge.flags = m->auth_hello.flags;
		if (m->auth_hello.flags & CPNS_WIRE_AUTH_REKEY)
			/* Not a low-order point: the codec refuses those. */
			a->auth_challenge.pubkey[0] = 9;
		return 0;
	case CPNS_WIRE_AUTH_CLIENT:
		a->type = CPNS_WIRE_AUTH_SERVER;
		return 0;
	case CPNS_WIRE_SEALED:
		a->type = CPNS_WIRE_SEALED;
		a->sealed.seq = m->sealed.seq;
		a->sealed.ct_len = ack_ct;
		return 0;
	}
	return -1;
}

/* One message per wake-up, as sconn_read(). */
static void fconn_event(struct cpns_loop *loop, struct cpns_watch *w,
			uint32_t events)
{
	struct fconn *fc = w->arg;
	struct cpns_wire_msg m, a;
	int ret;

	(void)loop;
	if (events & EPOLLOUT && cpns_conn_want_write(&fc->c) &&
	    cpns_conn_flush(&fc->c) < 0)
		cpns_conn_close(&fc->c);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) &&
	    fc->c.state == CPNS_CONN_OPEN && !cpns_conn_want_write(&fc->c)) {
		ret = cpns_conn_recv(&fc->c, &m);
		if (ret == CPNS_CONN_MSG) {
			if (answer(&m, &a) || cpns_conn_send(&fc->c, &a))
				cpns_conn_close(&fc->c);
			else
				cpns_conn_set_deadline(&fc->c, CPNS_DL_IDLE,
						       CPNS_WIRE_IDLE_TIMEOUT * 1000);
		} else if (ret != CPNS_CONN_AGAIN) {
			cpns_conn_close(&fc->c);
		}
	}
	fconn_update(fc);
}

static void fconn_timeout(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct fconn *fc = t->arg;

	(void)loop;
	cpns_conn_close(&fc->c);
	fconn_update(fc);
}

/* One connection per wake-up, as listener_event(). */
static void listener_event(struct cpns_loop *loop, struct cpns_watch *w,
			   uint32_t events)
{
	struct fserver *fs = w->arg;
	char peer[CPNS_ADDR_STRLEN];
	struct fconn *fc;
	int fd;

	(void)events;
	fd = cpns_accept(fs->lfd, peer, sizeof(peer));
	if (fd < 0)
		return;
	fc = calloc(1, sizeof(*fc));
	if (!fc) {
		close(fd);
		return;
	}
	fc->loop = loop;
	cpns_conn_init(&fc->c, fd, false, peer);
	cpns_timer_init(&fc->t, fconn_timeout, fc);
	if (cpns_watch_add(loop, &fc->w, fd, EPOLLIN, fconn_event, fc)) {
		cpns_conn_close(&fc->c);
		free(fc);
		return;
	}
	/* cpns-serverd's start_timeout (10 s by default). */
	cpns_conn_set_deadline(&fc->c, CPNS_DL_IDLE, 10000);
	fconn_update(fc);
}

/* The child: answer until SIGTERM (or until the bench is gone). */
static void responder(int lfd)
{
	struct fserver fs = { .lfd = lfd };

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(1);
	ack_ct = ack_ct_len();
	/* No "stopping" line at SIGTERM. */
	cpns_log_open("cpns-proto-bench floor", CPNS_LOG_STDERR,
		      CPNS_LOG_WARNING);
	fs.loop = cpns_loop_new();
	if (!fs.loop ||
	    cpns_watch_add(fs.loop, &fs.lw, lfd, EPOLLIN, listener_event, &fs)) {
		fprintf(stderr, "cpns-proto-bench: floor responder: %s\n",
			strerror(errno));
		_exit(1);
	}
	_exit(cpns_loop_run(fs.loop) ? 1 : 0);
}

/* A listening socket in the network namespace /run/netns/NAME. */
static int listen_in(const char *name, const struct sockaddr *sa,
		     socklen_t len)
{
	char path[256];
	int self, fd, lfd = -1;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "cpns-proto-bench: %s: %s\n", path,
			strerror(errno));
		goto out;
	}
	/* cpns-serverd's backlog. */
	lfd = cpns_listen(sa, len, 128);
	if (lfd < 0)
		fprintf(stderr, "cpns-proto-bench: floor: listen: %s\n",
			strerror(-lfd));
	if (setns(self, CLONE_NEWNET)) {
		fprintf(stderr, "cpns-proto-bench: setns back: %s\n",
			strerror(errno));
		if (lfd >= 0)
			close(lfd);
		lfd = -1;
	}
out:
	if (self >= 0)
		close(self);
	if (fd >= 0)
		close(fd);
	return lfd < 0 ? -1 : lfd;
}

int pb_floor_start(struct pb *pb, const char *netns)
{
	struct sockaddr_storage *a = &pb->floor_addr;
	uint16_t port;
	pid_t pid;
	int lfd;

	/* The server's address, the next port. */
	*a = pb->addr;
	if (a->ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)a;

		port = ntohs(in->sin_port);
		in->sin_port = htons(port == 65535 ? port - 1 : port + 1);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)a;

		port = ntohs(in6->sin6_port);
		in6->sin6_port = htons(port == 65535 ? port - 1 : port + 1);
	}
	cpns_addr_str((const struct sockaddr *)a, pb->addrlen, pb->floor_str,
		      sizeof(pb->floor_str));
	lfd = listen_in(netns, (const struct sockaddr *)a, pb->addrlen);
	if (lfd < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "cpns-proto-bench: fork: %s\n", strerror(errno));
		close(lfd);
		return -1;
	}
	if (!pid)
		responder(lfd);
	close(lfd);
	pb->floor_pid = pid;
	return 0;
}

int pb_floor_stop(struct pb *pb)
{
	int status;

	if (!pb->floor_pid)
		return 0;
	kill(pb->floor_pid, SIGTERM);
	if (waitpid(pb->floor_pid, &status, 0) < 0)
		status = -1;
	pb->floor_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "cpns-proto-bench: the floor responder did not stop cleanly\n");
		return -1;
	}
	return 0;
}
