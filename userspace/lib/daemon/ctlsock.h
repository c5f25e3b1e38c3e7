/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A daemon's control socket: a unix stream socket, mode 0600, on which a
 * peer with the daemon's uid (or root) sends one request line and reads
 * the reply, after which the daemon closes. One request per connection:
 * one line of at most line_max bytes ending in '\n', answered by zero or
 * more lines and a last line "ok[ TEXT]" or "error TEXT" that the
 * daemon's request function writes. A client has CPNS_CTL_TIMEOUT_MS to
 * send its line and read its reply; at most CPNS_CTL_CLIENTS_MAX at once.
 * The reply is written without blocking the loop. cpns-serverd's and
 * cpns-gwd's control sockets are built on it (serverd/control.c,
 * gwd/control.c).
 */
#ifndef CPNS_CTLSOCK_H
#define CPNS_CTLSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

#define CPNS_CTL_TIMEOUT_MS	5000
#define CPNS_CTL_CLIENTS_MAX	8

/* A reply being built; failed: out of memory, nothing is sent. */
struct cpns_ctl_reply {
	char *buf;
	size_t len, cap;
	bool failed;
};

void cpns_ctl_printf(struct cpns_ctl_reply *r, const char *fmt, ...)
	CPNS_PRINTF(2, 3);

/* One request: line is NUL-terminated, without its '\n', and writable. */
typedef void (*cpns_ctl_request_fn)(void *arg, char *line,
				    struct cpns_ctl_reply *r);

struct cpns_ctl;

/*
 * Listen at path (a stale socket there is replaced; any other kind of
 * file is an error). Return 0 and *out, or a negative errno (logged).
 */
int cpns_ctl_start(struct cpns_loop *loop, const char *path, size_t line_max,
		   cpns_ctl_request_fn fn, void *arg, struct cpns_ctl **out);
/* Close every client and the socket, and unlink it. NULL is a no-op. */
void cpns_ctl_stop(struct cpns_ctl *ctl);

/* Split s into at most max blank-separated words; the count, max + 1 if
 * there are more.
 */
int cpns_ctl_split(char *s, char **w, int max);

#endif /* CPNS_CTLSOCK_H */
