// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A non-blocking TCP connection carrying wire frames (Documentation/
 * protocol.rst sections 3.5, 7.3 and 10): a receive buffer that never holds
 * more than the frame being decided on, a queue of encoded frames to write,
 * the frame, step/idle and connect deadlines, and ERROR followed by a
 * linger and a close. The sockets it listens on and connects with are here
 * too, and the resolution of a peer's host name into the addresses to try,
 * in the caller or in a thread of its own that reports to the loop.
 */
#define _GNU_SOURCE	/* accept4 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"

/* ---------------------------------------------------------------- sockets */

/* Frames are written whole; Nagle would only delay the next one. */
static int set_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int cpns_listen(const struct sockaddr *sa, socklen_t len, int backlog)
{
	int fd, one = 1, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto err_close;
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		goto err_close;
	/* Accepted connections inherit it (Linux copies the listener's
	 * TCP state into them): no system call per connection.
	 */
	if (set_nodelay(fd))
		goto err_close;
	if (bind(fd, sa, len) || listen(fd, backlog))
		goto err_close;
	return fd;

err_close:
	err = -errno;
	close(fd);
	return err;
}

int cpns_accept(int lfd, char *peer, size_t peerlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	do {
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (peer)
		cpns_addr_str((struct sockaddr *)&ss, len, peer, peerlen);
	return fd;
}

int cpns_connect_start(const struct sockaddr *sa, socklen_t len)
{
	int fd, err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	set_nodelay(fd);	/* no error: Nagle only delays */
	if (connect(fd, sa, len) && errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int socket_error(int fd)
{
	socklen_t len;
	int err = 0;

	len = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

int cpns_connect_timeout(const struct sockaddr *sa, socklen_t len,
			 unsigned int timeout_ms)
{
	uint64_t end = cpns_now_ms() + timeout_ms;
	struct pollfd pfd;
	int fd, ret;

	fd = cpns_connect_start(sa, len);
	if (fd < 0)
		return fd;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	for (;;) {
		uint64_t now = cpns_now_ms();

		if (now >= end) {
			ret = -ETIMEDOUT;
			break;
		}
		ret = poll(&pfd, 1, (int)(end - now));
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			ret = -errno;
			break;
		}
		if (ret == 0)
			continue;
		ret = socket_error(fd);
		if (!ret)
			return fd;
		break;
	}
	close(fd);
	return ret;
}

/* ---------------------------------------------------------------- names */

int cpns_resolve(const struct cpns_peer *p, struct addrinfo **res,
		 char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_protocol = IPPROTO_TCP,
		.ai_flags = AI_NUMERICSERV,
	};
	char port[8];
	int ret;

	if (p->numeric)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", p->port);
	*res = NULL;
	ret = getaddrinfo(p->host, port, &hints, res);
	if (!ret && *res)
		return 0;
	if (ret == EAI_SYSTEM) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot resolve %s: %s", p->host,
			 strerror(-ret));
		return ret;
	}
	snprintf(err, errlen, "cannot resolve %s: %s", p->host,
		 ret ? gai_strerror(ret) : "no address");
	if (!ret)
		return -ENXIO;
	return ret == EAI_AGAIN ? -EAGAIN :
	       ret == EAI_MEMORY ? -ENOMEM : -ENXIO;
}

/*
 * A lookup off the loop: a detached thread runs cpns_resolve() and signals
 * an eventfd the loop watches. The thread and the loop each hold a
 * reference; whichever lets go last frees the lookup, so a lookup
 * cancelled while the thread still waits on the name service is freed
 * (its addresses with it) when the thread returns, and the loop never
 * waits for it.
 */
struct cpns_lookup {
	struct cpns_loop *loop;
	struct cpns_watch w;
	int efd;
	atomic_int refs;
	struct cpns_peer peer;
	cpns_lookup_fn fn;
	void *arg;
	/* Written by the thread before it signals efd. */
	struct addrinfo *res;
	int ret;
	char why[CPNS_HOST_MAX + 128];
};

/* Threads still waiting on the name service, cancelled ones included. */
static atomic_int lookups;

static void lookup_put(struct cpns_lookup *lk)
{
	if (atomic_fetch_sub(&lk->refs, 1) != 1)
		return;
	if (lk->res)
		freeaddrinfo(lk->res);
	close(lk->efd);
	free(lk);
}

static void *lookup_thread(void *arg)
{
	struct cpns_lookup *lk = arg;
	uint64_t one = 1;
	ssize_t n;

	lk->ret = cpns_resolve(&lk->peer, &lk->res, lk->why, sizeof(lk->why));
	atomic_thread_fence(memory_order_release);
	do {
		n = write(lk->efd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	lookup_put(lk);
	atomic_fetch_sub(&lookups, 1);
	return NULL;
}

static void lookup_done(struct cpns_loop *loop, struct cpns_watch *w,
			uint32_t events)
{
	struct cpns_lookup *lk = w->arg;
	struct addrinfo *res;
	uint64_t n;

	(void)events;
	if (read(lk->efd, &n, sizeof(n)) != sizeof(n))
		return;		/* spurious: the thread has not written */
	atomic_thread_fence(memory_order_acquire);
	cpns_watch_del(loop, &lk->w);
	res = lk->res;
	lk->res = NULL;
	lk->fn(lk, res, lk->ret, lk->why, lk->arg);
	lookup_put(lk);
}

struct cpns_lookup *cpns_resolve_start(struct cpns_loop *loop,
				       const struct cpns_peer *p,
				       cpns_lookup_fn fn, void *arg)
{
	struct cpns_lookup *lk = calloc(1, sizeof(*lk));
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	int ret;

	if (!lk) {
		errno = ENOMEM;
		return NULL;
	}
	if (atomic_fetch_add(&lookups, 1) >= CPNS_LOOKUPS_MAX) {
		ret = EAGAIN;
		goto err_free;
	}
	lk->loop = loop;
	lk->peer = *p;
	lk->fn = fn;
	lk->arg = arg;
	atomic_init(&lk->refs, 2);
	lk->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (lk->efd < 0) {
		ret = errno;
		goto err_free;
	}
	ret = -cpns_watch_add(loop, &lk->w, lk->efd, EPOLLIN, lookup_done, lk);
	if (ret)
		goto err_close;
	ret = pthread_attr_init(&attr);
	if (ret)
		goto err_del;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals are the loop's (its signalfd): none for the thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&th, &attr, lookup_thread, lk);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (ret)
		goto err_del;
	return lk;

err_del:
	cpns_watch_del(loop, &lk->w);
err_close:
	close(lk->efd);
err_free:
	atomic_fetch_sub(&lookups, 1);
	free(lk);
	errno = ret;
	return NULL;
}

void cpns_resolve_cancel(struct cpns_lookup *lk)
{
	cpns_watch_del(lk->loop, &lk->w);
	lookup_put(lk);
}

int cpns_peer_connect_timeout(const struct cpns_peer *p,
			      unsigned int timeout_ms, char *err,
			      size_t errlen)
{
	char addr[CPNS_ADDR_STRLEN];
	struct addrinfo *res, *ai;
	int fd, ret;

	ret = cpns_resolve(p, &res, err, errlen);
	if (ret)
		return ret;
	fd = -ENXIO;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = cpns_connect_timeout(ai->ai_addr, ai->ai_addrlen,
					  timeout_ms);
		if (fd >= 0)
			break;
		/* The last failure is the one reported. */
		snprintf(err, errlen, "cannot connect to %s (%s): %s", p->str,
			 cpns_addr_str(ai->ai_addr, ai->ai_addrlen, addr,
				       sizeof(addr)),
			 strerror(-fd));
	}
	freeaddrinfo(res);
	return fd;
}

/* ---------------------------------------------------------------- conn */

void cpns_conn_init(struct cpns_conn *c, int fd, bool connecting,
		    const char *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->frame_timeout = CPNS_WIRE_FRAME_TIMEOUT * 1000;
	if (peer)
		snprintf(c->peer, sizeof(c->peer), "%s", peer);
	else if (!getpeername(fd, (struct sockaddr *)&ss, &len))
		cpns_addr_str((struct sockaddr *)&ss, len, c->peer,
			      sizeof(c->peer));
	else
		snprintf(c->peer, sizeof(c->peer), "fd %d", fd);
	if (connecting) {
		c->state = CPNS_CONN_CONNECTING;
		cpns_conn_set_deadline(c, CPNS_DL_CONNECT,
				       CPNS_WIRE_CONNECT_TIMEOUT * 1000);
	} else {
		c->state = CPNS_CONN_OPEN;
	}
}

int cpns_conn_connected(struct cpns_conn *c)
{
	int err;

	if (c->state != CPNS_CONN_CONNECTING)
		return c->state == CPNS_CONN_OPEN ? 0 : -EPIPE;
	err = socket_error(c->fd);
	if (err) {
		c->sys_err = -err;
		return err;
	}
	c->state = CPNS_CONN_OPEN;
	if (c->deadline_kind == CPNS_DL_CONNECT)
		cpns_conn_set_deadline(c, CPNS_DL_NONE, 0);
	return 0;
}

void cpns_conn_close(struct cpns_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = CPNS_CONN_DEAD;
	c->rlen = 0;
	c->woff = 0;
	c->wlen = 0;
	c->frame_deadline = 0;
	c->deadline = 0;
	c->linger_deadline = 0;
}

/* In CPNS_CONN_LINGER: read and drop until the peer closes or would block. */
static int drain(struct cpns_conn *c)
{
	uint8_t scratch[4096];
	ssize_t n;

	for (;;) {
		n = read(c->fd, scratch, sizeof(scratch));
		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return CPNS_CONN_AGAIN;
		c->sys_err = n < 0 ? errno : 0;
		c->state = CPNS_CONN_DEAD;
		return n < 0 ? CPNS_CONN_IOERR : CPNS_CONN_CLOSED;
	}
}

int cpns_conn_recv(struct cpns_conn *c, struct cpns_wire_msg *msg)
{
	size_t need;
	ssize_t n;
	int ret;

	if (c->state == CPNS_CONN_LINGER)
		return drain(c);
	if (c->state != CPNS_CONN_OPEN)
		return CPNS_CONN_CLOSED;

	for (;;) {
		ret = cpns_wire_frame(c->rbuf, c->rlen, &need);
		if (ret == CPNS_WIRE_OK) {
			/* Only this frame is buffered: we never read past it. */
			c->frames_in++;
			c->frame_deadline = 0;
			c->bad_type = c->rbuf[1];
			ret = cpns_wire_decode(c->rbuf, need, msg);
			c->rlen = 0;
			if (ret)
				return ret;
			c->bad_type = 0;
			return CPNS_CONN_MSG;
		}
		if (ret != CPNS_WIRE_E_INCOMPLETE) {
			/* Of another version only the version byte means
			 * anything (protocol.rst 3.3).
			 */
			c->bad_type = c->rlen >= 2 && ret != CPNS_WIRE_E_VERSION ?
				      c->rbuf[1] : 0;
			c->frames_in++;
			return ret;
		}
		if (need > sizeof(c->rbuf) || need <= c->rlen)
			return CPNS_WIRE_E_OVERSIZED;	/* cannot happen */
		n = read(c->fd, c->rbuf + c->rlen, need - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return CPNS_CONN_AGAIN;
		if (n < 0) {
			c->sys_err = errno;
			return CPNS_CONN_IOERR;
		}
		if (n == 0)
			return CPNS_CONN_CLOSED;
		if (!c->rlen)
			c->frame_deadline = cpns_after_ms(c->frame_timeout);
		c->rlen += (size_t)n;
	}
}

bool cpns_conn_want_write(const struct cpns_conn *c)
{
	return c->woff < c->wlen;
}

int cpns_conn_flush(struct cpns_conn *c)
{
	ssize_t n;

	if (c->state == CPNS_CONN_DEAD)
		return -EPIPE;
	while (c->woff < c->wlen) {
		n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n < 0) {
			c->sys_err = errno;
			c->state = CPNS_CONN_DEAD;
			return -c->sys_err;
		}
		c->woff += (size_t)n;
	}
	c->woff = 0;
	c->wlen = 0;
	/* ERROR is out: tell the peer nothing more comes (7.3). */
	if (c->state == CPNS_CONN_LINGER)
		shutdown(c->fd, SHUT_WR);
	return 0;
}

/* Encode msg after the queued bytes. */
static int queue(struct cpns_conn *c, const struct cpns_wire_msg *msg)
{
	size_t len;
	int ret;

	if (c->woff) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	ret = cpns_wire_encode(msg, c->wbuf + c->wlen,
			       sizeof(c->wbuf) - c->wlen, &len);
	if (ret == CPNS_WIRE_E_NOSPACE)
		return -ENOBUFS;
	if (ret)
		return ret;
	c->wlen += len;
	c->frames_out++;
	return 0;
}

int cpns_conn_send(struct cpns_conn *c, const struct cpns_wire_msg *msg)
{
	int ret;

	if (c->state != CPNS_CONN_OPEN)
		return -EPIPE;
	ret = queue(c, msg);
	if (ret)
		return ret;
	ret = cpns_conn_flush(c);
	return ret < 0 ? ret : 0;
}

int cpns_conn_send_error(struct cpns_conn *c, unsigned int code,
			 unsigned int ref_type, const char *fmt, ...)
{
	struct cpns_wire_msg msg;
	char text[CPNS_WIRE_ERRMSG_MAX + 1];
	va_list ap;
	int ret;

	if (c->state != CPNS_CONN_OPEN)
		return c->state == CPNS_CONN_LINGER ? 0 : -EPIPE;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (cpns_wire_error_set(&msg, code, ref_type, text))
		cpns_wire_error_set(&msg, CPNS_WIRE_ERR_INTERNAL, 0, text);
	ret = queue(c, &msg);
	if (ret) {
		/* No room behind a stuck peer's backlog: give up on it. */
		cpns_conn_close(c);
		return ret == -ENOBUFS ? ret : -EINVAL;
	}
	c->state = CPNS_CONN_LINGER;
	c->rlen = 0;
	c->frame_deadline = 0;
	c->deadline = 0;
	c->deadline_kind = CPNS_DL_NONE;
	c->linger_deadline = cpns_after_ms(CPNS_WIRE_CLOSE_LINGER * 1000);
	ret = cpns_conn_flush(c);
	return ret < 0 ? ret : 0;
}

int cpns_conn_refuse(struct cpns_conn *c, int err)
{
	return cpns_conn_send_error(c, cpns_wire_err_code(err), c->bad_type,
				    "%s", cpns_wire_strerror(err));
}

uint32_t cpns_conn_events(const struct cpns_conn *c)
{
	switch (c->state) {
	case CPNS_CONN_CONNECTING:
		return EPOLLOUT;
	case CPNS_CONN_OPEN:
	case CPNS_CONN_LINGER:
		return EPOLLIN | (cpns_conn_want_write(c) ? EPOLLOUT : 0);
	default:
		return 0;
	}
}

void cpns_conn_set_deadline(struct cpns_conn *c, int kind,
			    unsigned int timeout_ms)
{
	if (kind == CPNS_DL_NONE || !timeout_ms) {
		c->deadline = 0;
		c->deadline_kind = CPNS_DL_NONE;
		return;
	}
	c->deadline = cpns_after_ms(timeout_ms);
	c->deadline_kind = kind;
}

static uint64_t earlier(uint64_t a, uint64_t b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

uint64_t cpns_conn_next_deadline(const struct cpns_conn *c)
{
	switch (c->state) {
	case CPNS_CONN_LINGER:
		return c->linger_deadline;
	case CPNS_CONN_DEAD:
		return 0;
	default:
		return earlier(c->frame_deadline, c->deadline);
	}
}

int cpns_conn_expired(const struct cpns_conn *c, uint64_t now)
{
	if (c->state == CPNS_CONN_LINGER)
		return c->linger_deadline && c->linger_deadline <= now ?
		       CPNS_DL_LINGER : CPNS_DL_NONE;
	if (c->state == CPNS_CONN_DEAD)
		return CPNS_DL_NONE;
	if (c->frame_deadline && c->frame_deadline <= now &&
	    (!c->deadline || c->frame_deadline <= c->deadline))
		return CPNS_DL_FRAME;
	if (c->deadline && c->deadline <= now)
		return c->deadline_kind;
	if (c->frame_deadline && c->frame_deadline <= now)
		return CPNS_DL_FRAME;
	return CPNS_DL_NONE;
}

uint8_t cpns_conn_timeout_type(const struct cpns_conn *c, int kind)
{
	/* A version byte other than 1 was refused on arrival. */
	return kind == CPNS_DL_FRAME && c->rlen >= 2 ? c->rbuf[1] : 0;
}

const char *cpns_conn_deadline_name(int kind)
{
	switch (kind) {
	case CPNS_DL_FRAME:
		return "frame";
	case CPNS_DL_STEP:
		return "step";
	case CPNS_DL_IDLE:
		return "idle";
	case CPNS_DL_CONNECT:
		return "connect";
	case CPNS_DL_LINGER:
		return "linger";
	default:
		return "none";
	}
}
