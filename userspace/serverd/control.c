// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket (configuration key "control"): a unix stream socket,
 * mode 0600, through which "cpnsctl server" asks the daemon about itself,
 * its inventory and its sessions, and revokes a device
 * (Documentation/cpns-serverd.rst, "CONTROL SOCKET"). The framing is
 * cpns-gwd's (gwd/control.c): one request per connection, one line of at
 * most CTL_LINE_MAX bytes,
 *
 *   status | devices [seed SID] [gw1 NAME] [state S] [limit N] [after DID]
 *   | device DID | revoke DID | sessions
 *
 * answered by zero or more lines of tab-separated fields and a last line
 * "ok[ TEXT]" or "error TEXT", after which the daemon closes. Only a peer
 * with the daemon's uid (or root) is served; a client has CTL_TIMEOUT_MS
 * to send its line and read its reply, which is written without blocking
 * the loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "hex.h"
#include "serverd.h"

#define CTL_LINE_MAX		256
#define CTL_TIMEOUT_MS		5000
#define CTL_CLIENTS_MAX		8
#define CTL_PAGE_DEFAULT	100
#define CTL_PAGE_MAX		1000

struct reply {
	char *buf;
	size_t len, cap;
	bool failed;
};

struct ctl_client {
	struct server_ctl *ctl;
	int fd;
	struct cpns_watch w;
	struct cpns_timer t;
	char line[CTL_LINE_MAX + 1];
	size_t len;
	struct reply reply;
	size_t sent;
	struct ctl_client *prev, *next;
};

struct server_ctl {
	struct server *srv;
	char path[108];
	int lfd;
	struct cpns_watch lw;
	struct ctl_client *clients;
	unsigned int nclients;
	time_t started;
};

static void CPNS_PRINTF(2, 3) say(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *p;
	int n;

	if (r->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	need = r->len + (size_t)n + 1;
	if (need > r->cap) {
		p = realloc(r->buf, need * 2);
		if (!p) {
			r->failed = true;
			return;
		}
		r->buf = p;
		r->cap = need * 2;
	}
	va_start(ap, fmt);
	vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	r->len += (size_t)n;
}

static void client_free(struct ctl_client *c)
{
	struct server_ctl *ctl = c->ctl;

	cpns_watch_del(ctl->srv->loop, &c->w);
	cpns_timer_disarm(ctl->srv->loop, &c->t);
	close(c->fd);
	free(c->reply.buf);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->nclients--;
	free(c);
}

/* Write what is left of the reply; free the client when done or stuck. */
static void client_write(struct ctl_client *c)
{
	ssize_t n;

	while (c->sent < c->reply.len) {
		n = send(c->fd, c->reply.buf + c->sent, c->reply.len - c->sent,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (cpns_watch_mod(c->ctl->srv->loop, &c->w, EPOLLOUT))
				break;
			return;
		}
		if (n <= 0)
			break;
		c->sent += (size_t)n;
	}
	client_free(c);
}

static int split(char *s, char **w, int max)
{
	int n = 0;
	char *save = NULL, *tok;

	for (tok = strtok_r(s, " \t", &save); tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = tok;
	}
	return n;
}

/* ------------------------------------------------------------ requests */

static const char *hexs(char *buf, const uint8_t *p, size_t len)
{
	cpns_hex_encode(buf, p, len);
	return buf;
}

/*
 * One "device" line: device_id, seed_id, generation, state (active,
 * unconfirmed, revoked, or expired), key (rekeyed: a device record of its
 * own; derived: from its seed; none: revoked without one), gw1, gw1_addr,
 * assigned, last_auth, last_addr, expiry. Times in seconds since the
 * epoch, 0 for never or none; an empty text field is "-".
 */
static int device_line(const struct cpns_store_device *d, void *arg)
{
	struct reply *r = arg;
	char did[2 * CPNS_DEVICE_ID_LEN + 1], sid[2 * CPNS_SEED_ID_LEN + 1];
	bool expired = d->expiry && d->expiry <= (uint64_t)time(NULL);

	say(r, "device\t%s\t%s\t%u\t%s\t%s\t%s\t%s\t%lld\t%lld\t%s\t%llu\n",
	    hexs(did, d->did, sizeof(d->did)),
	    hexs(sid, d->sid, sizeof(d->sid)), d->generation,
	    expired && d->state != CPNS_STATE_REVOKED ? "expired" :
	    cpns_store_state_name(d->state),
	    d->blob_len ? "rekeyed" :
	    d->state == CPNS_STATE_REVOKED ? "none" : "derived",
	    d->gw1[0] ? d->gw1 : "-", d->gw1_addr[0] ? d->gw1_addr : "-",
	    (long long)d->assigned, (long long)d->last_auth,
	    d->last_addr[0] ? d->last_addr : "-",
	    (unsigned long long)d->expiry);
	return r->failed ? -ENOMEM : 0;
}

static bool parse_hex(const char *s, uint8_t *out, size_t len)
{
	return strlen(s) == 2 * len && !cpns_hex_decode(out, len, s);
}

static void req_status(struct server_ctl *ctl, struct reply *r)
{
	struct server *srv = ctl->srv;
	struct cpns_store_counts c;

	say(r, "version\t%s\n", SERVERD_VERSION);
	say(r, "uptime\t%lld\n", (long long)(time(NULL) - ctl->started));
	say(r, "connections\t%u\n", srv->nconns);
	say(r, "pending\t%u\n", srv->pending);
	say(r, "accepted\t%llu\n", (unsigned long long)srv->accepted);
	say(r, "refused_busy\t%llu\n",
	    (unsigned long long)srv->refused_busy);
	if (!srv->store) {
		say(r, "store\tnone\n");
		return;
	}
	say(r, "store\t%s\n", cpns_store_path(srv->store));
	say(r, "backend\t%s\n", cpns_store_backend(srv->store));
	if (cpns_store_count(srv->store, &c)) {
		say(r, "error the store: %s\n", cpns_store_error(srv->store));
		return;
	}
	say(r, "seeds\t%u\n", c.seeds);
	say(r, "seeds_revoked\t%u\n", c.seeds_revoked);
	say(r, "devices\t%u\n", c.inventory);
	say(r, "devices_revoked\t%u\n", c.devices_revoked);
	say(r, "device_records\t%u\n", c.devices);
	say(r, "swept\t%llu\n", (unsigned long long)srv->swept);
	say(r, "ok\n");
}

static void req_devices(struct server *srv, char **w, int n,
			struct reply *r)
{
	uint8_t sid[CPNS_SEED_ID_LEN], after[CPNS_DEVICE_ID_LEN];
	struct cpns_store_filter f = { .now = time(NULL),
				       .limit = CTL_PAGE_DEFAULT };
	unsigned long v;
	char *end;
	int i;

	for (i = 0; i + 1 < n; i += 2) {
		if (!strcmp(w[i], "seed") && parse_hex(w[i + 1], sid, sizeof(sid))) {
			f.sid = sid;
		} else if (!strcmp(w[i], "gw1")) {
			f.gw1 = w[i + 1];
		} else if (!strcmp(w[i], "state")) {
			f.state = !strcmp(w[i + 1], "expired") ?
				  CPNS_STORE_EXPIRED :
				  cpns_store_state_parse(w[i + 1]);
			if (!f.state)
				break;
		} else if (!strcmp(w[i], "limit")) {
			errno = 0;
			v = strtoul(w[i + 1], &end, 10);
			if (errno || *end || !v || v > CTL_PAGE_MAX)
				break;
			f.limit = (unsigned int)v;
		} else if (!strcmp(w[i], "after") &&
			   parse_hex(w[i + 1], after, sizeof(after))) {
			f.after = after;
		} else {
			break;
		}
	}
	if (i != n) {
		say(r, "error usage: devices [seed SID] [gw1 NAME] [state active|unconfirmed|revoked|expired] [limit 1-%d] [after DID]\n",
		    CTL_PAGE_MAX);
		return;
	}
	if (!srv->store) {
		say(r, "error no store is configured: the server keeps no inventory\n");
		return;
	}
	if (cpns_store_device_list(srv->store, &f,
				   (cpns_store_device_fn)device_line, r)) {
		say(r, "error the store: %s\n", cpns_store_error(srv->store));
		return;
	}
	say(r, "ok\n");
}

static void req_device(struct server *srv, const char *arg, struct reply *r)
{
	uint8_t did[CPNS_DEVICE_ID_LEN];
	struct cpns_store_device d;
	int ret;

	if (!parse_hex(arg, did, sizeof(did))) {
		say(r, "error usage: device DID (32 hex digits)\n");
		return;
	}
	if (!srv->store) {
		say(r, "error no store is configured: the server keeps no inventory\n");
		return;
	}
	ret = cpns_store_device_get(srv->store, did, &d);
	if (ret == -ENOENT) {
		say(r, "error device %s is not in the inventory\n", arg);
		return;
	}
	if (ret || device_line(&d, r)) {
		say(r, "error the store: %s\n", cpns_store_error(srv->store));
		return;
	}
	say(r, "ok\n");
}

static void req_revoke(struct server *srv, const char *arg, struct reply *r)
{
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint32_t sessions;
	int32_t serial;
	bool was = false;
	int ret;

	if (!parse_hex(arg, did, sizeof(did))) {
		say(r, "error usage: revoke DID (32 hex digits)\n");
		return;
	}
	if (!srv->store) {
		say(r, "error no store is configured: a revocation must persist\n");
		return;
	}
	ret = keystore_device_revoke(srv, did, &was, &serial, &sessions);
	if (ret < 0) {
		say(r, "error %s\n", cpns_store_error(srv->store));
		return;
	}
	if (ret > 0) {
		say(r, "error revoked in the store, but not in the kernel (done at the next start): %s\n",
		    cpns_last_error(srv->nl));
		return;
	}
	say(r, "revoked\t%s\t%s\t%d\t%u\n", arg,
	    was ? "already revoked" : "revoked", serial, sessions);
	say(r, "ok\n");
}

/* One "session" line: conn, peer, device_id, handle, reports, state. */
static void req_sessions(struct server *srv, struct reply *r)
{
	char did[2 * CPNS_DEVICE_ID_LEN + 1];
	struct sconn *sc;

	for (sc = srv->conns; sc; sc = sc->next) {
		if (sc->state != SC_SESSION && sc->state != SC_AUTH_WAIT)
			continue;
		say(r, "session\t%llu\t%s\t%s\t%u\t%llu\t%s\n",
		    (unsigned long long)sc->id, sc->c.peer,
		    hexs(did, sc->did, sizeof(sc->did)), sc->handle,
		    (unsigned long long)sc->reports,
		    sc->state == SC_SESSION ? "session" : "authenticating");
	}
	say(r, "ok\n");
}

static void client_request(struct ctl_client *c)
{
	struct server *srv = c->ctl->srv;
	struct reply *r = &c->reply;
	char *w[12];
	int n;

	n = split(c->line, w, 11);
	if (n == 1 && !strcmp(w[0], "status"))
		req_status(c->ctl, r);
	else if (n >= 1 && n <= 11 && !strcmp(w[0], "devices"))
		req_devices(srv, w + 1, n - 1, r);
	else if (n == 2 && !strcmp(w[0], "device"))
		req_device(srv, w[1], r);
	else if (n == 2 && !strcmp(w[0], "revoke"))
		req_revoke(srv, w[1], r);
	else if (n == 1 && !strcmp(w[0], "sessions"))
		req_sessions(srv, r);
	else
		say(r, "error unknown request: status, devices [FILTERS], device DID, revoke DID or sessions\n");
	if (r->failed) {
		cpns_err("control: out of memory for a reply");
		client_free(c);
		return;
	}
	cpns_timer_arm(srv->loop, &c->t, cpns_now_ms() + CTL_TIMEOUT_MS);
	client_write(c);
}

static void client_io(struct cpns_loop *loop, struct cpns_watch *w,
		      uint32_t events)
{
	struct ctl_client *c = w->arg;
	char *nl;
	ssize_t n;

	(void)loop;
	if (c->reply.len) {
		client_write(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(c->fd, c->line + c->len, CTL_LINE_MAX - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	nl = memchr(c->line, '\n', c->len);
	if (!nl && c->len < CTL_LINE_MAX)
		return;
	if (!nl || memchr(c->line, '\0', (size_t)(nl - c->line))) {
		cpns_warn("control: request longer than %d bytes or with a NUL; refused",
			  CTL_LINE_MAX);
		say(&c->reply, "error request too long\n");
		client_write(c);
		return;
	}
	*nl = '\0';
	client_request(c);
}

static void client_timeout(struct cpns_loop *loop, struct cpns_timer *t)
{
	(void)loop;
	cpns_warn("control: a client sent no request or read no reply within %d s; closed",
		  CTL_TIMEOUT_MS / 1000);
	client_free(t->arg);
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void ctl_accept(struct cpns_loop *loop, struct cpns_watch *w,
		       uint32_t events)
{
	struct server_ctl *ctl = w->arg;
	struct ctl_client *c;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(ctl->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (!peer_allowed(fd) || ctl->nclients >= CTL_CLIENTS_MAX) {
			cpns_warn("control: client refused (%s)",
				  ctl->nclients >= CTL_CLIENTS_MAX ?
				  "too many at once" : "another user");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		cpns_timer_init(&c->t, client_timeout, c);
		if (cpns_watch_add(loop, &c->w, fd, EPOLLIN, client_io, c) ||
		    cpns_timer_arm(loop, &c->t,
				   cpns_now_ms() + CTL_TIMEOUT_MS)) {
			cpns_watch_del(loop, &c->w);
			close(fd);
			free(c);
			continue;
		}
		c->next = ctl->clients;
		if (c->next)
			c->next->prev = c;
		ctl->clients = c;
		ctl->nclients++;
	}
}

int control_start(struct server *srv, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct server_ctl *ctl;
	struct stat st;
	mode_t old;
	int fd, e;

	if (!path)
		return 0;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		cpns_err("control %s: path longer than %zu bytes", path,
			 sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			cpns_err("control %s: exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto err;
	/* Nobody but the owner may connect, not even between bind and
	 * chmod.
	 */
	old = umask(0177);
	e = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (e || chmod(path, 0600) || listen(fd, 16))
		goto err_fd;
	ctl->srv = srv;
	ctl->lfd = fd;
	ctl->started = time(NULL);
	e = cpns_watch_add(srv->loop, &ctl->lw, fd, EPOLLIN, ctl_accept, ctl);
	if (e) {
		errno = -e;
		goto err_fd;
	}
	srv->ctl = ctl;
	cpns_notice("control socket %s (cpnsctl server --control %s)", path,
		    path);
	return 0;
err_fd:
	e = errno;
	close(fd);
	errno = e;
err:
	e = errno;
	free(ctl);
	cpns_err("control %s: %s", path, strerror(e));
	return -e;
}

void control_stop(struct server *srv)
{
	struct server_ctl *ctl = srv->ctl;

	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	cpns_watch_del(srv->loop, &ctl->lw);
	close(ctl->lfd);
	unlink(ctl->path);
	free(ctl);
	srv->ctl = NULL;
}
