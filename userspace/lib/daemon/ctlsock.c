// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * A daemon's control socket (ctlsock.h): accept, read one line, hand it to
 * the daemon, write the reply, close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "ctlsock.h"

struct ctl_client {
	struct cpns_ctl *ctl;
	int fd;
	struct cpns_watch w;
	struct cpns_timer t;
	struct cpns_ctl_reply reply;
	size_t sent;
	struct ctl_client *prev, *next;
	size_t len;
	char line[];		/* line_max + 1 */
};

struct cpns_ctl {
	struct cpns_loop *loop;
	cpns_ctl_request_fn fn;
	void *arg;
	size_t line_max;
	int lfd;
	struct cpns_watch lw;
	struct ctl_client *clients;
	unsigned int nclients;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

void cpns_ctl_printf(struct cpns_ctl_reply *r, const char *fmt, ...)
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
	if (n < 0) {
		r->failed = true;
		return;
	}
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

int cpns_ctl_split(char *s, char **w, int max)
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

static void client_free(struct ctl_client *c)
{
	struct cpns_ctl *ctl = c->ctl;

	cpns_watch_del(ctl->loop, &c->w);
	cpns_timer_disarm(ctl->loop, &c->t);
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
			if (cpns_watch_mod(c->ctl->loop, &c->w, EPOLLOUT))
				break;
			return;
		}
		if (n <= 0)
			break;
		c->sent += (size_t)n;
	}
	client_free(c);
}

static void client_request(struct ctl_client *c)
{
	struct cpns_ctl *ctl = c->ctl;

	ctl->fn(ctl->arg, c->line, &c->reply);
	if (c->reply.failed) {
		cpns_err("control: out of memory for a reply");
		client_free(c);
		return;
	}
	cpns_timer_arm(ctl->loop, &c->t, cpns_now_ms() + CPNS_CTL_TIMEOUT_MS);
	client_write(c);
}

static void client_io(struct cpns_loop *loop, struct cpns_watch *w,
		      uint32_t events)
{
	struct ctl_client *c = w->arg;
	size_t max = c->ctl->line_max;
	char *nl;
	ssize_t n;

	(void)loop;
	if (c->reply.len) {
		client_write(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(c->fd, c->line + c->len, max - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_free(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	nl = memchr(c->line, '\n', c->len);
	if (!nl && c->len < max)
		return;
	if (!nl || memchr(c->line, '\0', (size_t)(nl - c->line))) {
		cpns_warn("control: request longer than %zu bytes or with a NUL; refused",
			  max);
		cpns_ctl_printf(&c->reply, "error request too long\n");
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
		  CPNS_CTL_TIMEOUT_MS / 1000);
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
	struct cpns_ctl *ctl = w->arg;
	struct ctl_client *c;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(ctl->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		if (!peer_allowed(fd) || ctl->nclients >= CPNS_CTL_CLIENTS_MAX) {
			cpns_warn("control: client refused (%s)",
				  ctl->nclients >= CPNS_CTL_CLIENTS_MAX ?
				  "too many at once" : "another user");
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c) + ctl->line_max + 1);
		if (!c) {
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		cpns_timer_init(&c->t, client_timeout, c);
		if (cpns_watch_add(loop, &c->w, fd, EPOLLIN, client_io, c) ||
		    cpns_timer_arm(loop, &c->t,
				   cpns_now_ms() + CPNS_CTL_TIMEOUT_MS)) {
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

int cpns_ctl_start(struct cpns_loop *loop, const char *path, size_t line_max,
		   cpns_ctl_request_fn fn, void *arg, struct cpns_ctl **out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct cpns_ctl *ctl;
	struct stat st;
	mode_t old;
	int fd, e;

	*out = NULL;
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
	old = umask(0177);
	e = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (e || chmod(path, 0600) || listen(fd, 16))
		goto err_fd;
	ctl->loop = loop;
	ctl->fn = fn;
	ctl->arg = arg;
	ctl->line_max = line_max;
	ctl->lfd = fd;
	strcpy(ctl->path, path);
	e = cpns_watch_add(loop, &ctl->lw, fd, EPOLLIN, ctl_accept, ctl);
	if (e) {
		errno = -e;
		goto err_fd;
	}
	*out = ctl;
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

void cpns_ctl_stop(struct cpns_ctl *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	cpns_watch_del(ctl->loop, &ctl->lw);
	close(ctl->lfd);
	unlink(ctl->path);
	free(ctl);
}
