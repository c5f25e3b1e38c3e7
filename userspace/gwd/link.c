// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One wire connection inside the event loop: a struct cpns_conn (lib/daemon/conn.c
 * does the framing, buffers and deadlines) with its epoll watch and timer,
 * and an owner told of messages and of the end.
 *
 * A link outlives its owner: gwd_link_fail() and gwd_link_close() detach
 * it, and it finishes on its own (the ERROR's linger, the last bytes
 * written) and frees itself. A link the peer or a deadline ends calls the
 * owner's end callback once, detached, so an owner never holds a pointer to
 * a link that is gone. A link is not freed while one of its own callbacks
 * runs (busy), so owners may call anything from them.
 *
 * An outgoing link to a host name first resolves it off the loop
 * (cpns_resolve_start()): it is CPNS_CONN_CONNECTING without a socket,
 * under the connect deadline, until the addresses arrive; then it connects
 * to them in turn like a link to a numeric address. Closing it meanwhile
 * cancels the lookup.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "gwd.h"

struct gwd_link {
	struct cpns_conn c;
	struct cpns_watch w;
	struct cpns_timer t;
	struct gwd *g;
	const struct gwd_link_ops *ops;
	void *owner;		/* NULL once detached */
	bool closing;		/* detached by gwd_link_close() */
	uint64_t close_by;	/* then: when to give up writing */
	unsigned int busy;	/* inside this link's callbacks */
	struct cpns_lookup *lookup;	/* resolving the target */
	struct addrinfo *ai_all;	/* an outgoing link's addresses */
	struct addrinfo *ai;		/* the one connecting or connected */
	struct cpns_peer target;	/* an outgoing link's, as configured */
	struct gwd_link *prev, *next;
};

/* Every link, for gwd_links_free(). The daemon has one loop. */
static struct gwd_link *all_links;

/*
 * Close the socket, out of the loop first: once closed, its number can be
 * reused by a new connection, whose registration a late EPOLL_CTL_DEL on
 * that number would remove.
 */
static void link_close_conn(struct gwd_link *l)
{
	if (l->lookup) {
		cpns_resolve_cancel(l->lookup);
		l->lookup = NULL;
	}
	cpns_watch_del(l->g->loop, &l->w);
	cpns_conn_close(&l->c);
}

static void link_free(struct gwd_link *l)
{
	link_close_conn(l);
	if (l->ai_all)
		freeaddrinfo(l->ai_all);
	cpns_timer_disarm(l->g->loop, &l->t);
	if (l->prev)
		l->prev->next = l->next;
	else
		all_links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	free(l);
}

/* Bring the loop's view (events, timer) in line with the connection, or
 * free a finished link.
 */
static void link_end_kind(struct gwd_link *l, int kind, int err, int dl);

/* The loop failed us (epoll_ctl, no memory for a timer): end the link. */
static void link_broken(struct gwd_link *l, const char *what, int err)
{
	cpns_err("%s: %s: %s; closing", l->c.peer, what, strerror(err));
	l->busy++;
	link_close_conn(l);
	link_end_kind(l, GWD_END_IOERR, err, 0);
	l->busy--;
}

/* Bring the loop's view (events, timer) in line with the connection, or
 * free a finished link.
 */
static void link_sync(struct gwd_link *l)
{
	uint64_t dl;
	int ret;

	if (l->busy)
		return;
	if (l->closing && l->c.state == CPNS_CONN_OPEN &&
	    !cpns_conn_want_write(&l->c))
		link_close_conn(l);
	/* A link resolving its target has no socket yet. */
	if (l->c.state != CPNS_CONN_DEAD && l->c.fd >= 0) {
		ret = cpns_watch_mod(l->g->loop, &l->w,
				     cpns_conn_events(&l->c));
		if (ret)
			link_broken(l, "epoll", -ret);
	}
	if (l->c.state != CPNS_CONN_DEAD) {
		dl = cpns_conn_next_deadline(&l->c);
		if (l->closing && (!dl || l->close_by < dl))
			dl = l->close_by;
		if (!dl)
			cpns_timer_disarm(l->g->loop, &l->t);
		else if (cpns_timer_arm(l->g->loop, &l->t, dl))
			link_broken(l, "timer", ENOMEM);
	}
	if (l->c.state != CPNS_CONN_DEAD)
		return;
	/* conn.c marks a failed socket dead without closing it. */
	link_close_conn(l);
	cpns_timer_disarm(l->g->loop, &l->t);
	/* An attached link stays until its owner lets go (a failed
	 * gwd_link_send() is followed by gwd_link_fail() or
	 * gwd_link_close()), so the owner's pointer stays valid.
	 */
	if (!l->owner) {
		cpns_debug("%s: connection closed", l->c.peer);
		link_free(l);
	}
}

static void link_detach(struct gwd_link *l)
{
	l->owner = NULL;
	cpns_conn_set_deadline(&l->c, CPNS_DL_NONE, 0);
}

/* The peer or a deadline ended the link: tell the owner, once. */
static void link_end(struct gwd_link *l, const struct gwd_end *why)
{
	void *owner = l->owner;

	link_detach(l);
	if (owner && l->ops->end)
		l->ops->end(l, owner, why);
}

static void link_end_kind(struct gwd_link *l, int kind, int err, int dl)
{
	struct gwd_end why = { .kind = kind, .err = err, .deadline = dl };

	link_end(l, &why);
}

/* Detached: read and drop whatever comes until the peer closes. */
static void link_drain(struct gwd_link *l)
{
	struct cpns_wire_msg m;
	int r;

	while (l->c.state == CPNS_CONN_OPEN ||
	       l->c.state == CPNS_CONN_LINGER) {
		r = cpns_conn_recv(&l->c, &m);
		if (r == CPNS_CONN_AGAIN)
			return;
		if (r != CPNS_CONN_MSG) {
			link_close_conn(l);
			return;
		}
	}
}

static void link_read(struct gwd_link *l)
{
	struct cpns_wire_msg m;
	struct gwd_end why;
	int r;

	while (l->owner && l->c.state == CPNS_CONN_OPEN) {
		r = cpns_conn_recv(&l->c, &m);
		switch (r) {
		case CPNS_CONN_MSG:
			if (m.type != CPNS_WIRE_ERROR) {
				cpns_debug("%s: received %s", l->c.peer,
					   cpns_wire_type_name(m.type));
				l->ops->msg(l, l->owner, &m);
				break;
			}
			/* 7.3: log it, close, never answer it. */
			link_close_conn(l);
			memset(&why, 0, sizeof(why));
			why.kind = GWD_END_PEER_ERROR;
			why.code = m.error.code;
			why.ref_type = m.error.ref_type;
			why.text = m.error.text.s;
			link_end(l, &why);
			return;
		case CPNS_CONN_AGAIN:
			return;
		case CPNS_CONN_CLOSED:
			link_close_conn(l);
			link_end_kind(l, GWD_END_CLOSED, 0, 0);
			return;
		case CPNS_CONN_IOERR:
			r = l->c.sys_err;
			link_close_conn(l);
			link_end_kind(l, GWD_END_IOERR, r, 0);
			return;
		default:
			cpns_conn_refuse(&l->c, r);
			link_end_kind(l, GWD_END_REFUSED, r, 0);
			return;
		}
	}
	if (!l->owner)
		link_drain(l);
}

static void link_io(struct cpns_loop *loop, struct cpns_watch *w,
		    uint32_t events);

/*
 * Start a connect to ai or, if that fails at once, to each address after
 * it in turn. The fd, with *used the address it connects to, or the -errno
 * of the last one (0 addresses: -ENXIO).
 */
static int connect_first(struct addrinfo *ai, struct addrinfo **used)
{
	int fd = -ENXIO;

	for (; ai; ai = ai->ai_next) {
		fd = cpns_connect_start(ai->ai_addr, ai->ai_addrlen);
		*used = ai;
		if (fd >= 0)
			break;
	}
	return fd;
}

/*
 * An outgoing connect failed with err: go on with the peer's next address,
 * if it has one (a host name may have several, IPv6 and IPv4). True if a
 * connect is under way again.
 */
static bool link_next_addr(struct gwd_link *l, int err)
{
	char addr[CPNS_ADDR_STRLEN];
	struct addrinfo *ai = NULL;
	int fd, ret;

	if (!l->owner || !l->ai || !l->ai->ai_next)
		return false;
	cpns_warn("%s: %s: connect failed: %s; trying its next address",
		  l->target.str, l->c.peer,
		  err == ETIMEDOUT ? "timed out" : strerror(err));
	link_close_conn(l);
	fd = connect_first(l->ai->ai_next, &ai);
	l->ai = ai;
	if (fd < 0) {
		l->c.sys_err = -fd;
		return false;
	}
	cpns_addr_str(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
	cpns_conn_init(&l->c, fd, true, addr);
	ret = cpns_watch_add(l->g->loop, &l->w, fd, cpns_conn_events(&l->c),
			     link_io, l);
	if (ret) {
		l->c.sys_err = -ret;
		cpns_conn_close(&l->c);
		return false;
	}
	cpns_conn_set_deadline(&l->c, CPNS_DL_CONNECT, l->g->conf.connect_ms);
	return true;
}

static void link_io(struct cpns_loop *loop, struct cpns_watch *w,
		    uint32_t events)
{
	struct gwd_link *l = w->arg;
	int r;

	(void)loop;
	l->busy++;
	if (l->c.state == CPNS_CONN_CONNECTING) {
		r = cpns_conn_connected(&l->c);
		if (r && link_next_addr(l, -r)) {
			goto out;
		} else if (r) {
			link_close_conn(l);
			link_end_kind(l, GWD_END_CONNECT,
				      l->c.sys_err ? l->c.sys_err : -r, 0);
		} else {
			cpns_debug("%s: connected", l->c.peer);
			if (l->owner && l->ops->connected)
				l->ops->connected(l, l->owner);
		}
		goto out;
	}
	if (events & EPOLLOUT) {
		r = cpns_conn_flush(&l->c);
		if (r < 0) {
			link_end_kind(l, GWD_END_IOERR, -r, 0);
			goto out;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		if (l->owner)
			link_read(l);
		else
			link_drain(l);
	}
out:
	l->busy--;
	link_sync(l);
}

static void link_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct gwd_link *l = t->arg;
	uint64_t now = cpns_now_ms();
	int kind;

	(void)loop;
	l->busy++;
	kind = cpns_conn_expired(&l->c, now);
	if (!l->owner) {
		if (kind != CPNS_DL_NONE || (l->closing && now >= l->close_by))
			link_close_conn(l);
		goto out;
	}
	switch (kind) {
	case CPNS_DL_NONE:
		break;
	case CPNS_DL_LINGER:
		link_close_conn(l);
		break;
	case CPNS_DL_CONNECT:
		if (l->lookup)
			cpns_warn("cannot resolve %s: no answer within connect_timeout (%u s)",
				  l->target.host, l->g->conf.connect_ms / 1000);
		else if (link_next_addr(l, ETIMEDOUT))
			break;
		link_close_conn(l);
		link_end_kind(l, GWD_END_CONNECT,
			      l->c.sys_err ? l->c.sys_err : ETIMEDOUT, kind);
		break;
	case CPNS_DL_IDLE:
		/* Section 10: an idle connection closes without ERROR. */
		link_close_conn(l);
		link_end_kind(l, GWD_END_TIMEOUT, ETIMEDOUT, kind);
		break;
	default:
		cpns_conn_send_error(&l->c, CPNS_WIRE_ERR_TIMEOUT,
				     cpns_conn_timeout_type(&l->c, kind),
				     "%s timeout",
				     cpns_conn_deadline_name(kind));
		link_end_kind(l, GWD_END_TIMEOUT, ETIMEDOUT, kind);
		break;
	}
out:
	l->busy--;
	link_sync(l);
}

static struct gwd_link *link_new(struct gwd *g, int fd, bool connecting,
				 const char *peer,
				 const struct gwd_link_ops *ops, void *owner)
{
	struct gwd_link *l = calloc(1, sizeof(*l));
	int ret;

	if (!l) {
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return NULL;
	}
	cpns_conn_init(&l->c, fd, connecting, peer);
	l->g = g;
	l->ops = ops;
	l->owner = owner;
	cpns_timer_init(&l->t, link_timer, l);
	/* Without a socket yet (resolving), link_resolved() adds it. */
	ret = fd < 0 ? 0 : cpns_watch_add(g->loop, &l->w, fd,
					  cpns_conn_events(&l->c), link_io, l);
	if (ret) {
		link_close_conn(l);
		free(l);
		errno = -ret;
		return NULL;
	}
	l->next = all_links;
	if (all_links)
		all_links->prev = l;
	all_links = l;
	link_sync(l);
	return l;
}

/**
 * gwd_link_accept() - a link over an accepted connection
 * @g: the daemon
 * @fd: from cpns_accept(), owned by the link from now on (also on failure)
 * @peer: the peer's address for logs
 * @ops: the owner's callbacks
 * @owner: passed to them
 *
 * Return: the link, or NULL with errno set.
 */
struct gwd_link *gwd_link_accept(struct gwd *g, int fd, const char *peer,
				 const struct gwd_link_ops *ops, void *owner)
{
	return link_new(g, fd, false, peer, ops, owner);
}

/*
 * Connect to the first address of res that takes a connect, on l's socket
 * (none yet: l has resolved its target). Then l owns res. 0 or -errno
 * (res is freed).
 */
static int link_start(struct gwd_link *l, struct addrinfo *res)
{
	char addr[CPNS_ADDR_STRLEN];
	struct addrinfo *ai = NULL;
	int fd, ret;

	fd = connect_first(res, &ai);
	if (fd < 0) {
		freeaddrinfo(res);
		return fd;
	}
	cpns_addr_str(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr));
	if (!l->target.numeric)
		cpns_debug("%s: connecting to %s", l->target.str, addr);
	cpns_conn_init(&l->c, fd, true, addr);
	ret = cpns_watch_add(l->g->loop, &l->w, fd, cpns_conn_events(&l->c),
			     link_io, l);
	if (ret) {
		cpns_conn_close(&l->c);
		freeaddrinfo(res);
		return ret;
	}
	l->ai_all = res;
	l->ai = ai;
	cpns_conn_set_deadline(&l->c, CPNS_DL_CONNECT, l->g->conf.connect_ms);
	return 0;
}

/* The lookup of l's target ended: connect, or end l as a failed connect. */
static void link_resolved(struct cpns_lookup *lk, struct addrinfo *res,
			  int ret, const char *why, void *arg)
{
	struct gwd_link *l = arg;

	(void)lk;
	l->lookup = NULL;
	l->busy++;
	if (ret) {
		cpns_warn("%s", why);
	} else if (!l->owner) {
		/* Its owner let go (a deadline of its own ended it). */
		freeaddrinfo(res);
		ret = -ECANCELED;
	} else {
		ret = link_start(l, res);
	}
	if (ret) {
		link_close_conn(l);
		link_end_kind(l, GWD_END_CONNECT, -ret, 0);
	}
	l->busy--;
	link_sync(l);
}

/**
 * gwd_link_connect() - start a connection to a peer
 * @g: the daemon (its connect_timeout applies to the name's resolution,
 *	then to each address)
 * @a: the peer; a host name is resolved off the loop (cpns_resolve_start())
 *	and its addresses are tried in turn until one connects
 * @ops: the owner's callbacks; @ops->connected runs once it is up
 * @owner: passed to them
 *
 * A name that does not resolve (logged, naming the host), or not within
 * connect_timeout, ends the link with GWD_END_CONNECT, as does a connect
 * that fails on the last address.
 *
 * Return: the link, or NULL with errno set when a numeric address fails
 * at once (for instance ENETUNREACH) or no lookup can be started.
 */
struct gwd_link *gwd_link_connect(struct gwd *g, const struct cpns_peer *a,
				  const struct gwd_link_ops *ops, void *owner)
{
	char err[CPNS_HOST_MAX + 128];
	struct addrinfo *res;
	struct gwd_link *l;
	int ret;

	l = link_new(g, -1, true, a->str, ops, owner);
	if (!l)
		return NULL;
	l->target = *a;
	cpns_conn_set_deadline(&l->c, CPNS_DL_CONNECT, g->conf.connect_ms);
	if (!a->numeric) {
		l->lookup = cpns_resolve_start(g->loop, a, link_resolved, l);
		ret = l->lookup ? 0 : -errno;
	} else {
		/* AI_NUMERICHOST: no name service, no wait. */
		ret = cpns_resolve(a, &res, err, sizeof(err));
		if (ret)
			cpns_warn("%s", err);
		else
			ret = link_start(l, res);
	}
	if (ret) {
		link_free(l);
		errno = -ret;
		return NULL;
	}
	link_sync(l);
	return l;
}

int gwd_link_send(struct gwd_link *l, const struct cpns_wire_msg *m)
{
	int ret = cpns_conn_send(&l->c, m);

	if (!ret)
		cpns_debug("%s: sent %s", l->c.peer,
			   cpns_wire_type_name(m->type));
	link_sync(l);
	return ret;
}

void gwd_link_deadline(struct gwd_link *l, int kind, unsigned int ms)
{
	cpns_conn_set_deadline(&l->c, kind, ms);
	link_sync(l);
}

void gwd_link_fail(struct gwd_link *l, unsigned int code,
		   unsigned int ref_type, const char *fmt, ...)
{
	char text[CPNS_WIRE_ERRMSG_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	link_detach(l);
	if (l->c.state == CPNS_CONN_OPEN)
		cpns_conn_send_error(&l->c, code, ref_type, "%s", text);
	else
		link_close_conn(l);
	link_sync(l);
}

void gwd_link_close(struct gwd_link *l)
{
	link_detach(l);
	l->closing = true;
	l->close_by = cpns_now_ms() + CPNS_WIRE_CLOSE_LINGER * 1000;
	if (l->c.state != CPNS_CONN_OPEN)
		link_close_conn(l);
	link_sync(l);
}

/**
 * gwd_link_rebind() - hand an attached link to another owner
 * @l: a link not yet failed, closed or ended
 * @ops: the new owner's callbacks
 * @owner: passed to them
 *
 * The caller's deadline is cleared: the new owner sets its own.
 */
void gwd_link_rebind(struct gwd_link *l, const struct gwd_link_ops *ops,
		     void *owner)
{
	l->ops = ops;
	l->owner = owner;
	gwd_link_deadline(l, CPNS_DL_NONE, 0);
}

const char *gwd_link_peer(const struct gwd_link *l)
{
	return l->c.peer;
}

const char *gwd_end_str(const struct gwd_end *why, char *buf, size_t len)
{
	switch (why->kind) {
	case GWD_END_CLOSED:
		snprintf(buf, len, "the peer closed the connection");
		break;
	case GWD_END_IOERR:
		snprintf(buf, len, "connection failed: %s",
			 strerror(why->err));
		break;
	case GWD_END_CONNECT:
		if (why->err == ETIMEDOUT)
			snprintf(buf, len, "connect timed out");
		else
			snprintf(buf, len, "connect failed: %s",
				 strerror(why->err));
		break;
	case GWD_END_PEER_ERROR:
		snprintf(buf, len, "the peer sent ERROR %u (%s)%s%s",
			 why->code, cpns_wire_code_name(why->code),
			 why->text && *why->text ? ": " : "",
			 why->text ? why->text : "");
		break;
	case GWD_END_REFUSED:
		snprintf(buf, len,
			 "the peer sent an invalid frame (%s); refused with ERROR %u",
			 cpns_wire_strerror(why->err),
			 cpns_wire_err_code(why->err));
		break;
	case GWD_END_TIMEOUT:
		snprintf(buf, len, "%s timeout%s",
			 cpns_conn_deadline_name(why->deadline),
			 why->deadline == CPNS_DL_IDLE ? "; closed" :
			 "; sent ERROR 13 (timeout)");
		break;
	default:
		snprintf(buf, len, "connection ended");
		break;
	}
	return buf;
}

unsigned int gwd_end_code(const struct gwd_end *why)
{
	switch (why->kind) {
	case GWD_END_PEER_ERROR:
		return why->code;
	case GWD_END_TIMEOUT:
		return CPNS_WIRE_ERR_TIMEOUT;
	case GWD_END_CONNECT:
		if (why->err == ETIMEDOUT)
			return CPNS_WIRE_ERR_TIMEOUT;
		return CPNS_WIRE_ERR_INTERNAL;
	default:
		return CPNS_WIRE_ERR_INTERNAL;
	}
}

void gwd_links_free(struct gwd *g)
{
	(void)g;
	while (all_links)
		link_free(all_links);
}
