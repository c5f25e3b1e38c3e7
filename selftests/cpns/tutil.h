/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the cpns selftests that have nothing to do with netlink:
 * capabilities, network namespaces, hex. Every netlink exchange goes through
 * libcpns (userspace/lib).
 */
#ifndef _CPNS_TUTIL_H
#define _CPNS_TUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Drop CAP_NET_ADMIN from every capability set of this process. */
int tu_drop_net_admin(void);

/*
 * Make a new network namespace and return an fd naming it, leaving the
 * caller in the namespace it was in. Returns -1 with errno set on failure.
 */
int tu_netns_new(void);

/* Open the named namespace of "ip netns" (/run/netns/NAME) or a path. */
int tu_netns_open(const char *name);

/*
 * Enter the namespace @nsfd, saving the current one in *@saved (an fd the
 * matching tu_netns_leave() closes). Sockets made in between belong to
 * @nsfd's namespace for their whole life.
 */
int tu_netns_enter(int nsfd, int *saved);
int tu_netns_leave(int saved);

/* Lowercase hex of @len bytes, in one of a few rotating static buffers. */
const char *tu_hex(const void *buf, size_t len);

/* Parse exactly @len bytes of hex; 0 or -1. */
int tu_unhex(const char *s, void *buf, size_t len);

/* The value of a module parameter of cpns, or -1. */
long tu_module_param(const char *name);

#endif /* _CPNS_TUTIL_H */
