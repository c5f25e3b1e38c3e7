/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the cpns selftests that have nothing to do with netlink:
 * capabilities, network namespaces, hex, keyctl(2), the kernel log, the
 * module itself, kmemleak. Every netlink exchange goes through libcpns
 * (userspace/lib). They let a unit do in one process what a shell test
 * would start a program for (every process start costs seconds under the
 * debug kernel, tools/debug-kernel/README).
 */
#ifndef _CPNS_TUTIL_H
#define _CPNS_TUTIL_H

#include <stdbool.h>
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

/*
 * "ip netns add NAME" and "ip netns del NAME": a new network namespace
 * bind-mounted on /run/netns/NAME (tu_netns_open() opens it), and that
 * mount and file removed again. 0 or a negative errno.
 */
int tu_netns_add(const char *name);
int tu_netns_del(const char *name);

/* ---- keyctl(2), add_key(2) (no libkeyutils) ---- */

/* keyctl(op, ...): the call's result, or a negative errno. */
long tu_keyctl(int op, unsigned long a2, unsigned long a3, unsigned long a4,
	       unsigned long a5);

/* add_key(2): the new key's serial, or a negative errno. */
int32_t tu_add_key(const char *type, const char *desc, const void *payload,
		   size_t len, int32_t keyring);

/*
 * KEYCTL_DESCRIBE of serial split into its fields ("type;uid;gid;perm;desc").
 * 0, or a negative errno (-EKEYREVOKED, -ENOKEY, -EACCES, ...).
 */
struct tu_keydesc {
	char type[64];
	unsigned int uid, gid;
	uint32_t perm;
	char desc[256];
};
int tu_key_describe(int32_t serial, struct tu_keydesc *d);

/* The serials linked in keyring (at most max): their number, or -errno. */
int tu_keyring_list(int32_t keyring, int32_t *ids, size_t max);

/* The line of /proc/keys for serial, without its newline: 0 or -ENOENT. */
int tu_proc_keys_line(int32_t serial, char *buf, size_t len);

/*
 * What the key type's describe() wrote on serial's line of /proc/keys
 * (after the type column): for a cpns key "<hex id> <role> <state> gen
 * <n>", then " self-assigned" if marked. 0, -ENOENT or -EBADMSG.
 */
int tu_proc_keys_desc(int32_t serial, char *buf, size_t len);

/* ---- the kernel log ---- */

/* lib.sh's cpns_dmesg_bad(): a warning, a bug, a leak, a failed self-test. */
#define TU_KLOG_BAD "WARNING:|BUG:|Oops|general protection|refcount_t|" \
	"kmemleak|UBSAN|KASAN|list_(add|del) corruption|" \
	"cpns.*(leak|self-test failed)|cpns: self-test:"

/*
 * A mark in the kernel log: an fd of /dev/kmsg at its end (-1 and errno
 * on failure). tu_klog_grep() reads the records logged since (the fd
 * moves on) and appends those matching the extended regex re to out (at
 * most outlen bytes, NUL-ended, one record a line); it returns their
 * number, or a negative errno.
 */
int tu_klog_mark(void);
int tu_klog_grep(int fd, const char *re, char *out, size_t outlen);

/* ---- the module ---- */

/* The cpns.ko to load: $CPNS_KO, else kmod/cpns.ko of the repository. */
const char *tu_module_ko(void);
bool tu_module_loaded(void);
/* "rmmod cpns" and "insmod cpns.ko PARAMS": 0 or a negative errno. */
int tu_module_unload(void);
int tu_module_load(const char *params);

/*
 * kmemleak: scan now, and copy the report's records that mention pattern
 * into out. 0: none, 1: some, -ENOENT: the kernel has no kmemleak (or
 * debugfs cannot be mounted), another negative errno on failure.
 */
int tu_kmemleak_scan(const char *pattern, char *out, size_t outlen);

#endif /* _CPNS_TUTIL_H */
