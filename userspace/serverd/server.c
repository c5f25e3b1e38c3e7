// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-serverd's connections: listening sockets, accepting within the
 * configured bound, reading frames and dispatching them through the state
 * table of Documentation/protocol.rst 9.1, deadlines, ERROR and close, and
 * the mapping of kernel errors to wire codes (7.2).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "serverd.h"

/* How long accepting pauses when the process is out of descriptors. */
#define ACCEPT_PAUSE_MS		1000

static const char *const state_names[] = {
	[SC_START] = "START",
	[SC_LINK] = "LINK",
	[SC_AUTH_WAIT] = "AUTH_WAIT",
	[SC_SESSION] = "SESSION",
};

/* ---------------------------------------------------------- lifecycle */

static void sconn_free(struct sconn *sc)
{
	struct server *srv = sc->srv;

	sconn_flow_end(sc);
	assign_conn_gone(sc);
	cpns_timer_disarm(srv->loop, &sc->t);
	/* Its close takes it out of the epoll set (it was accepted here and
	 * never duplicated): no EPOLL_CTL_DEL.
	 */
	cpns_watch_drop(srv->loop, &sc->w);
	cpns_conn_close(&sc->c);
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		srv->conns = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	srv->nconns--;
	sc_debug(sc, "closed (%llu frames in, %llu out, %llu reports)",
		 (unsigned long long)sc->c.frames_in,
		 (unsigned long long)sc->c.frames_out,
		 (unsigned long long)sc->reports);
	free(sc);
}

/*
 * The end of every event on sc: free it if it is finished, else give the
 * loop its events and its timer. A peer that does not read what we wrote
 * is not read either until it does.
 */
void server_conn_update(struct sconn *sc)
{
	uint32_t events;

	if (sc->c.state == CPNS_CONN_DEAD) {
		sconn_free(sc);
		return;
	}
	events = cpns_conn_events(&sc->c);
	if (sc->c.state == CPNS_CONN_OPEN && cpns_conn_want_write(&sc->c))
		events = EPOLLOUT;
	if (cpns_watch_mod(sc->srv->loop, &sc->w, events)) {
		cpns_conn_close(&sc->c);
		sconn_free(sc);
		return;
	}
	sconn_arm(sc);
	if (sc->c.state == CPNS_CONN_DEAD)
		sconn_free(sc);
}

/* ----------------------------------------------------------- dispatch */

/* Section 9.1: which message each state accepts, and what it runs. */
static void sconn_dispatch(struct sconn *sc, const struct cpns_wire_msg *msg)
{
	const struct server_conf *conf = sc->srv->conf;
	int state = sc->state;

	sc_debug(sc, "received %s in %s", sconn_type_name(msg->type),
		 state_names[state]);

	if (msg->type == CPNS_WIRE_ERROR) {
		/* 7.3: log it and close, never answer it. */
		sconn_log_cause(sc, CPNS_LOG_WARNING, "peer sent ERROR",
				"peer sent ERROR %u (%s)%s%s: %s",
				msg->error.code,
				cpns_wire_code_name(msg->error.code),
				msg->error.ref_type ? " about " : "",
				msg->error.ref_type ?
				sconn_type_name(msg->error.ref_type) : "",
				msg->error.text.s);
		cpns_conn_close(&sc->c);
		return;
	}

	switch (msg->type) {
	case CPNS_WIRE_SEED_REQUEST:
		if (state != SC_START && state != SC_LINK)
			break;
		seed_request(sc, &msg->seed_request);
		goto link;
	case CPNS_WIRE_ASSIGN_REQUEST:
		if (state != SC_START && state != SC_LINK)
			break;
		assign_request(sc, &msg->assign_request);
		goto link;
	case CPNS_WIRE_ASSIGN_DEVICE_ID:
		if (state != SC_START && state != SC_LINK)
			break;
		assign_device_id(sc, &msg->assign_device_id);
		goto link;
	case CPNS_WIRE_AUTH_HELLO:
		if (state != SC_START)
			break;
		auth_hello(sc, &msg->auth_hello);
		return;
	case CPNS_WIRE_AUTH_CLIENT:
		if (state != SC_AUTH_WAIT)
			break;
		auth_client(sc, &msg->auth_client);
		goto idle;
	case CPNS_WIRE_SEALED:
		if (state != SC_SESSION)
			break;
		session_sealed(sc, &msg->sealed);
		goto idle;
	default:
		break;
	}
	sconn_refuse_cause(sc, "unexpected message", CPNS_WIRE_ERR_UNEXPECTED,
			   msg->type, "%s is not accepted in state %s",
			   sconn_type_name(msg->type), state_names[state]);
	return;

link:
	if (sc->c.state == CPNS_CONN_OPEN)
		sc->state = SC_LINK;
idle:
	if (sc->c.state == CPNS_CONN_OPEN)
		cpns_conn_set_deadline(&sc->c, CPNS_DL_IDLE,
				       conf->idle_timeout * 1000);
}

/*
 * One message per wake-up. A peer sends its next message when it has our
 * answer, so trying to read another now would only get EAGAIN; one that
 * sent more gets the next at the next wake-up (the loop is
 * level-triggered, and the connection never reads past the frame it
 * decodes), after the other connections' events: a busy peer cannot
 * starve them.
 */
static void sconn_read(struct sconn *sc)
{
	struct cpns_wire_msg msg;
	int ret;

	if (sc->c.state == CPNS_CONN_OPEN && cpns_conn_want_write(&sc->c))
		return;		/* answer out first */
	/* Its kernel command or its row waits for the idle loop: what the
	 * peer sent early is read once the answer is out (a peer that does
	 * not wait for it wakes the loop at most until then).
	 */
	if (sc->kb_ops || sc->confirming)
		return;
	ret = cpns_conn_recv(&sc->c, &msg);
	switch (ret) {
	case CPNS_CONN_MSG:
		sconn_dispatch(sc, &msg);
		return;
	case CPNS_CONN_AGAIN:
		return;
	case CPNS_CONN_CLOSED:
		if (sc->c.state == CPNS_CONN_DEAD)
			sc_debug(sc, "peer closed after ERROR");
		else if (sc->c.rlen)
			sconn_log_cause(sc, CPNS_LOG_WARNING,
					"closed mid-frame",
					"peer closed in the middle of a frame (%zu bytes)",
					sc->c.rlen);
		else if (sc->state == SC_AUTH_WAIT)
			sconn_log_cause(sc, CPNS_LOG_WARNING,
					"closed mid-flow a",
					"peer closed in the middle of flow a (after a-0)");
		else if (sc->state == SC_SESSION)
			sc_info(sc, "session with device id %s closed by the peer",
				HEX(sc->did));
		else
			sc_debug(sc, "closed by the peer");
		cpns_conn_close(&sc->c);
		return;
	case CPNS_CONN_IOERR:
		sconn_log_cause(sc, CPNS_LOG_INFO,
				strerror(sc->c.sys_err),
				"read failed: %s",
				strerror(sc->c.sys_err));
		cpns_conn_close(&sc->c);
		return;
	default:
		/* Framing or decoding (sections 3.3, 3.4). */
		sconn_refuse_cause(sc, cpns_wire_strerror(ret),
				   cpns_wire_err_code(ret),
				   sc->c.bad_type, "%s",
				   cpns_wire_strerror(ret));
		return;
	}
}

static void sconn_event(struct cpns_loop *loop, struct cpns_watch *w,
			uint32_t events)
{
	struct sconn *sc = w->arg;
	int ret;

	(void)loop;
	if (events & EPOLLOUT && cpns_conn_want_write(&sc->c)) {
		ret = cpns_conn_flush(&sc->c);
		if (ret < 0) {
			sc_info(sc, "write failed: %s", strerror(-ret));
			cpns_conn_close(&sc->c);
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		sconn_read(sc);
	server_conn_update(sc);
}

static void sconn_timeout(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct sconn *sc = t->arg;
	const struct server_conf *conf = sc->srv->conf;
	int kind = cpns_conn_expired(&sc->c, cpns_now_ms());

	(void)loop;
	switch (kind) {
	case CPNS_DL_FRAME:
		sconn_refuse_cause(sc, "frame timeout", CPNS_WIRE_ERR_TIMEOUT,
				   cpns_conn_timeout_type(&sc->c, kind),
				   "frame not complete within %u s (%zu bytes received)",
				   conf->frame_timeout, sc->c.rlen);
		break;
	case CPNS_DL_STEP:
		sconn_refuse(sc, CPNS_WIRE_ERR_TIMEOUT, 0,
			     "no AUTH_CLIENT within %u s of AUTH_CHALLENGE",
			     conf->step_timeout);
		break;
	case CPNS_DL_IDLE:
		if (sc->state == SC_SESSION) {
			sc_info(sc, "session with device id %s idle for %u s: closing",
				HEX(sc->did), conf->idle_timeout);
		} else if (sc->state == SC_START && sc->c.rlen) {
			/* A first frame under way: its frame_timeout rules. */
			cpns_conn_set_deadline(&sc->c, CPNS_DL_NONE, 0);
			break;
		} else if (sc->state == SC_START) {
			sc->srv->start_expired++;
			sconn_log_cause(sc, CPNS_LOG_WARNING, "start timeout",
					"nothing received within %u s of the connection (start_timeout): closing",
					conf->start_timeout);
		} else {
			sconn_log_cause(sc, CPNS_LOG_INFO, "idle timeout",
					"idle for %u s: closing",
					conf->idle_timeout);
		}
		cpns_conn_close(&sc->c);
		break;
	case CPNS_DL_LINGER:
		sc_debug(sc, "closing after ERROR");
		cpns_conn_close(&sc->c);
		break;
	default:
		break;
	}
	server_conn_update(sc);
}

/* ---------------------------------------------------------- accepting */

static void accept_resume(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct server *srv = t->arg;
	size_t i;

	for (i = 0; i < srv->nls; i++)
		cpns_watch_mod(loop, &srv->ls[i].w, EPOLLIN);
}

/* Out of descriptors or memory: the loop is level-triggered, so pause
 * accepting, or it would spin.
 */
static void accept_failed(struct listener *l, int err)
{
	struct server *srv = l->srv;
	size_t i;

	cpns_warn("accept on %s: %s", l->addr, strerror(-err));
	if (err != -EMFILE && err != -ENFILE && err != -ENOBUFS &&
	    err != -ENOMEM)
		return;
	for (i = 0; i < srv->nls; i++)
		cpns_watch_mod(srv->loop, &srv->ls[i].w, 0);
	cpns_timer_arm(srv->loop, &srv->accept_pause,
		       cpns_now_ms() + ACCEPT_PAUSE_MS);
}

/* The address of a peer "A.B.C.D:PORT" or "[IPv6]:PORT", without the port. */
static size_t peer_host_len(const char *peer)
{
	const char *colon = strrchr(peer, ':');

	return colon ? (size_t)(colon - peer) : strlen(peer);
}

/* Connections open from the address of peer. */
static unsigned int peer_conns(const struct server *srv, const char *peer)
{
	size_t len = peer_host_len(peer);
	const struct sconn *sc;
	unsigned int n = 0;

	for (sc = srv->conns; sc; sc = sc->next)
		if (peer_host_len(sc->c.peer) == len &&
		    !memcmp(sc->c.peer, peer, len))
			n++;
	return n;
}

/*
 * Over max_connections (per_peer false) or max_per_address: ERROR
 * busy, then close. Logged once per cause (cpns_log_cause()); the counts
 * are in the line at stop.
 */
static void refuse_busy(struct server *srv, int fd, const char *peer,
			bool per_peer)
{
	const char *cause = per_peer ? "max_per_address" :
				       "max_connections";
	unsigned long long dropped;
	struct cpns_conn tmp;

	if (per_peer)
		srv->refused_addr++;
	else
		srv->refused_busy++;
	if (cpns_log_enabled(CPNS_LOG_WARNING) &&
	    cpns_log_cause(cause, 1, &dropped))
		cpns_warn("%s: refused: %u connections already%s (%s); %llu more refused in the last %u s, not logged; further ones within %u s are counted, not logged",
			  peer, per_peer ? peer_conns(srv, peer) : srv->nconns,
			  per_peer ? " from its address" : "", cause, dropped,
			  CPNS_LOG_REPEAT_MS / 1000, CPNS_LOG_REPEAT_MS / 1000);
	cpns_conn_init(&tmp, fd, false, peer);
	cpns_conn_send_error(&tmp, CPNS_WIRE_ERR_BUSY, 0,
			     "too many connections");
	cpns_conn_close(&tmp);
}

/* A new connection in state START, in the loop and the list. */
static void sconn_new(struct server *srv, const char *on, int fd,
		      const char *peer)
{
	struct sconn *sc;
	int ret;

	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		cpns_err("%s: out of memory", peer);
		close(fd);
		return;
	}
	sc->srv = srv;
	sc->id = ++srv->next_id;
	sc->state = SC_START;
	cpns_conn_init(&sc->c, fd, false, peer);
	sc->c.frame_timeout = srv->conf->frame_timeout * 1000ULL;
	cpns_timer_init(&sc->t, sconn_timeout, sc);
	ret = cpns_watch_add(srv->loop, &sc->w, fd, EPOLLIN, sconn_event, sc);
	if (ret) {
		cpns_err("%s: epoll: %s", peer, strerror(-ret));
		cpns_conn_close(&sc->c);
		free(sc);
		return;
	}
	sc->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = sc;
	srv->conns = sc;
	srv->nconns++;
	sc_debug(sc, "connected on %s (%u open)", on, srv->nconns);
	/* Until its first frame: start_timeout (a silent peer costs a slot). */
	cpns_conn_set_deadline(&sc->c, CPNS_DL_IDLE,
			       (srv->conf->start_timeout <
				srv->conf->idle_timeout ?
				srv->conf->start_timeout :
				srv->conf->idle_timeout) * 1000);
	server_conn_update(sc);
}

/*
 * One connection per wake-up: the loop is level-triggered, so one still
 * queued wakes it again, after the other sockets' events; accepting until
 * EAGAIN would cost an accept4() that finds the queue empty at every
 * connection that came alone.
 */
static void listener_event(struct cpns_loop *loop, struct cpns_watch *w,
			   uint32_t events)
{
	struct listener *l = w->arg;
	struct server *srv = l->srv;
	char peer[CPNS_ADDR_STRLEN];
	int fd;

	(void)loop;
	(void)events;
	fd = cpns_accept(l->fd, peer, sizeof(peer));
	if (fd == -EAGAIN)
		return;
	if (fd < 0) {
		accept_failed(l, fd);
		return;
	}
	srv->accepted++;
	if (srv->nconns >= srv->conf->max_connections)
		refuse_busy(srv, fd, peer, false);
	else if (srv->conf->max_per_address &&
		 peer_conns(srv, peer) >= srv->conf->max_per_address)
		refuse_busy(srv, fd, peer, true);
	else
		sconn_new(srv, l->addr, fd, peer);
}

void server_adopt(struct server *srv, int fd, const char *peer)
{
	sconn_new(srv, "a socket given", fd, peer);
}

int server_start(struct server *srv, const struct server_conf *conf,
		 struct cpns_loop *loop, struct cpns_nl *nl)
{
	size_t i;
	int fd, ret;

	memset(srv, 0, sizeof(*srv));
	srv->conf = conf;
	srv->loop = loop;
	srv->nl = nl;
	cpns_timer_init(&srv->accept_pause, accept_resume, srv);
	for (i = 0; i < conf->nlisten; i++) {
		struct listener *l = &srv->ls[i];

		cpns_addr_str((const struct sockaddr *)&conf->listen[i],
			      conf->listen_len[i], l->addr, sizeof(l->addr));
		fd = cpns_listen((const struct sockaddr *)&conf->listen[i],
				 conf->listen_len[i], 128);
		if (fd < 0) {
			cpns_err("cannot listen on %s: %s", l->addr,
				 strerror(-fd));
			ret = fd;
			goto err_close;
		}
		l->fd = fd;
		l->srv = srv;
		ret = cpns_watch_add(loop, &l->w, fd, EPOLLIN, listener_event,
				     l);
		if (ret) {
			close(fd);
			goto err_close;
		}
		srv->nls++;
		cpns_notice("listening on %s", l->addr);
	}
	return 0;

err_close:
	server_stop(srv);
	return ret;
}

/*
 * A failed delete is logged at debug only: the session was already gone
 * (a wrong a-1 ended it, say).
 */
void server_sessions_flush(struct server *srv)
{
	int errs[SERVER_ENDED_MAX];
	size_t i, n = srv->nended;

	cpns_defer_cancel(srv->loop, &srv->ended_flush);
	srv->nended = 0;
	if (n > 1 && !cpns_session_del_batch(srv->nl, srv->ended, n, errs)) {
		for (i = 0; i < n; i++)
			if (errs[i])
				cpns_debug("session_del %u: %s", srv->ended[i],
					   strerror(-errs[i]));
		return;
	}
	/* One, or a batch the kernel refused whole: each alone. */
	for (i = 0; i < n; i++)
		if (cpns_session_del(srv->nl, srv->ended[i]))
			cpns_debug("session_del %u: %s", srv->ended[i],
				   cpns_last_error(srv->nl));
}

static void ended_deferred(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)loop;
	server_sessions_flush(d->arg);
}

void server_session_end(struct server *srv, uint32_t handle)
{
	if (srv->nended == SERVER_ENDED_MAX)
		server_sessions_flush(srv);
	srv->ended[srv->nended++] = handle;
	if (!srv->ended_flush.fn)
		cpns_defer_init(&srv->ended_flush, ended_deferred, srv);
	cpns_loop_defer_idle(srv->loop, &srv->ended_flush);
}

/*
 * End the a-flows and sessions of every connection in batches of
 * SESSION_DEL rather than one request each (a batch refused whole:
 * sconn_free() queues them, server_sessions_flush() sends each alone).
 */
static void sessions_end(struct server *srv)
{
	uint32_t *h = calloc(srv->nconns ? srv->nconns : 1, sizeof(*h));
	int *errs = calloc(srv->nconns ? srv->nconns : 1, sizeof(*errs));
	struct sconn *sc;
	size_t n = 0;

	for (sc = srv->conns; h && errs && sc; sc = sc->next)
		if (sc->handle && n < srv->nconns)
			h[n++] = sc->handle;
	if (n && !cpns_session_del_batch(srv->nl, h, n, errs)) {
		for (sc = srv->conns, n = 0; sc; sc = sc->next) {
			if (!sc->handle || h[n++] != sc->handle)
				continue;
			if (!errs[n - 1] && sc->state == SC_SESSION)
				sc_info(sc, "session with device id %s ended",
					HEX(sc->did));
			sc->handle = 0;
		}
	}
	free(h);
	free(errs);
}

void server_stop(struct server *srv)
{
	unsigned int sessions = 0, conns = srv->nconns;
	struct sconn *sc;
	size_t i;

	kbatch_flush(srv);
	assign_flush(srv);
	for (sc = srv->conns; sc; sc = sc->next)
		sessions += !!sc->handle;
	sessions_end(srv);
	while (srv->conns)
		sconn_free(srv->conns);
	server_sessions_flush(srv);
	cpns_timer_disarm(srv->loop, &srv->accept_pause);
	for (i = 0; i < srv->nls; i++) {
		cpns_watch_del(srv->loop, &srv->ls[i].w);
		close(srv->ls[i].fd);
	}
	srv->nls = 0;
	if (conns)
		cpns_notice("closed %u connections, ended %u a-flows and sessions",
			    conns, sessions);
	if (srv->refused_busy || srv->refused_addr || srv->start_expired)
		cpns_notice("%llu connections accepted; refused %llu over max_connections, %llu over max_per_address; closed %llu silent for start_timeout",
			    (unsigned long long)srv->accepted,
			    (unsigned long long)srv->refused_busy,
			    (unsigned long long)srv->refused_addr,
			    (unsigned long long)srv->start_expired);
}
