// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket (configuration key "control"): a unix stream socket,
 * mode 0600, on which "cpnsctl pair" asks the daemon about the II-9
 * transfers that wait for a confirmation and gives the operator's answer,
 * "cpnsctl seed rotate" asks GW1 for flow I now (a seed rotation) and
 * "cpnsctl device reassign" GW2 for a new Device ID replacing its own
 * (Documentation/cpns-gwd.rst, "CONTROL SOCKET").
 *
 * One request per connection: one line of at most GWD_CTL_LINE_MAX bytes,
 *
 *   list | confirm ID CODE | reject ID | rotate | reassign
 *
 * answered by zero or more "pair" lines (tab-separated fields, see
 * gwd_ctl_pair()) and a last line "ok[ TEXT]" or "error TEXT", after which
 * the daemon closes. Only a peer with the daemon's uid (or root) is
 * served. A client has GWD_CTL_TIMEOUT_MS to send its line; the reply is
 * written without blocking the loop (it is small: one line per waiting
 * transfer), and a client that does not read it is dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "gwd.h"

#define GWD_CTL_TIMEOUT_MS	5000
#define GWD_CTL_CLIENTS_MAX	8

struct ctl_client {
	struct gwd_ctl *ctl;
	int fd;
	struct cpns_watch w;
	struct cpns_timer t;
	char line[GWD_CTL_LINE_MAX + 1];
	size_t len;
	struct gwd_ctl_reply reply;
	size_t sent;
	struct ctl_client *prev, *next;
};

struct gwd_ctl {
	struct gwd *g;
	int lfd;
	struct cpns_watch lw;
	struct ctl_client *clients;
	unsigned int nclients;
};

static void client_free(struct ctl_client *c)
{
	struct gwd_ctl *ctl = c->ctl;

	cpns_watch_del(ctl->g->loop, &c->w);
	cpns_timer_disarm(ctl->g->loop, &c->t);
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
			if (cpns_watch_mod(c->ctl->g->loop, &c->w, EPOLLOUT))
				break;
			return;
		}
		if (n <= 0)
			break;
		c->sent += (size_t)n;
	}
	client_free(c);
}

/* Split "confirm 3 123456" into at most max words; the count. */
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

static int parse_id(const char *s, uint32_t *id)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v || v > UINT32_MAX)
		return -EINVAL;
	*id = (uint32_t)v;
	return 0;
}

static void client_request(struct ctl_client *c)
{
	struct gwd *g = c->ctl->g;
	struct gwd_ctl_reply *r = &c->reply;
	char *w[4];
	uint32_t id = 0;
	int n;

	n = split(c->line, w, 3);
	if (n == 1 && !strcmp(w[0], "list")) {
		g->ops->ctl_list(g, r);
		gwd_ctl_printf(r, "ok\n");
	} else if (n >= 1 && (!strcmp(w[0], "confirm") ||
			      !strcmp(w[0], "reject"))) {
		bool confirm = w[0][0] == 'c';

		if (n != (confirm ? 3 : 2) || parse_id(w[1], &id))
			gwd_ctl_printf(r, "error usage: %s\n", confirm ?
				       "confirm ID CODE" : "reject ID");
		else if (!g->ops->ctl_decide)
			gwd_ctl_printf(r, "error this is GW2: confirm or reject the transfer on GW1, with the code shown here\n");
		else
			g->ops->ctl_decide(g, id, confirm ? w[2] : NULL, r);
	} else if (n == 1 && !strcmp(w[0], "rotate")) {
		if (!g->ops->ctl_rotate)
			gwd_ctl_printf(r, "error this is GW2: a Key Seed is GW1's (rotate it there)\n");
		else
			g->ops->ctl_rotate(g, r);
	} else if (n == 1 && !strcmp(w[0], "reassign")) {
		if (!g->ops->ctl_reassign)
			gwd_ctl_printf(r, "error this is GW1: ask on the GW2 whose Device ID is to be replaced\n");
		else
			g->ops->ctl_reassign(g, r);
	} else {
		gwd_ctl_printf(r, "error unknown request: list, confirm ID CODE, reject ID, rotate or reassign\n");
	}
	if (r->failed) {
		cpns_err("control: out of memory for a reply");
		client_free(c);
		return;
	}
	cpns_timer_arm(g->loop, &c->t, cpns_now_ms() + GWD_CTL_TIMEOUT_MS);
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
	n = recv(c->fd, c->line + c->len, GWD_CTL_LINE_MAX - c->len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	nl = memchr(c->line, '\n', c->len);
	if (!nl && c->len < GWD_CTL_LINE_MAX)
		return;
	if (!nl || memchr(c->line, '\0', (size_t)(nl - c->line))) {
		cpns_warn("control: request longer than %d bytes or with a NUL; refused",
			  GWD_CTL_LINE_MAX);
		gwd_ctl_printf(&c->reply, "error request too long\n");
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
		  GWD_CTL_TIMEOUT_MS / 1000);
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
	struct gwd_ctl *ctl = w->arg;
	struct ctl_client *c;
	int fd;

	(void)loop;
	(void)events;
	for (;;) {
		fd = accept4(ctl->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (!peer_allowed(fd) || ctl->nclients >= GWD_CTL_CLIENTS_MAX) {
			cpns_warn("control: client refused (%s)",
				  ctl->nclients >= GWD_CTL_CLIENTS_MAX ?
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
		if (cpns_watch_add(ctl->g->loop, &c->w, fd, EPOLLIN, client_io,
				   c) ||
		    cpns_timer_arm(ctl->g->loop, &c->t,
				   cpns_now_ms() + GWD_CTL_TIMEOUT_MS)) {
			cpns_watch_del(ctl->g->loop, &c->w);
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

/**
 * gwd_control_start() - listen on the control socket, if configured
 * @g: the daemon
 *
 * A stale socket file at the path (a daemon that did not stop cleanly) is
 * replaced; any other kind of file there is an error.
 *
 * Return: 0 or a negative errno (logged).
 */
int gwd_control_start(struct gwd *g)
{
	const char *path = g->conf.control;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct gwd_ctl *ctl;
	struct stat st;
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto err;
	/* Nobody but the owner may connect, not even between bind and
	 * chmod.
	 */
	if (fchmod(fd, 0600) && errno != EINVAL)
		goto err_fd;
	{
		mode_t old = umask(0177);

		e = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		umask(old);
	}
	if (e || chmod(path, 0600) || listen(fd, 16))
		goto err_fd;
	ctl->g = g;
	ctl->lfd = fd;
	e = cpns_watch_add(g->loop, &ctl->lw, fd, EPOLLIN, ctl_accept, ctl);
	if (e) {
		errno = -e;
		goto err_fd;
	}
	g->ctl = ctl;
	cpns_notice("control socket %s (cpnsctl pair --control %s)", path,
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

void gwd_control_stop(struct gwd *g)
{
	struct gwd_ctl *ctl = g->ctl;

	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	cpns_watch_del(g->loop, &ctl->lw);
	close(ctl->lfd);
	unlink(g->conf.control);
	free(ctl);
	g->ctl = NULL;
}
