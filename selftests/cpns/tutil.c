// SPDX-License-Identifier: GPL-2.0
/*
 * Test helpers outside netlink: capabilities, namespaces, hex, keyctl(2),
 * the kernel log, the module, kmemleak.
 */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/keyctl.h>

#include "tutil.h"

int tu_drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const unsigned int bit = CAP_TO_MASK(CAP_NET_ADMIN);
	const unsigned int idx = CAP_TO_INDEX(CAP_NET_ADMIN);

	if (prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0) && errno != EINVAL)
		return -1;
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[idx].effective &= ~bit;
	data[idx].permitted &= ~bit;
	data[idx].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	return 0;
}

int tu_netns_enter(int nsfd, int *saved)
{
	*saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -1;
	if (setns(nsfd, CLONE_NEWNET)) {
		int err = errno;

		close(*saved);
		errno = err;
		return -1;
	}
	return 0;
}

int tu_netns_leave(int saved)
{
	int ret = setns(saved, CLONE_NEWNET);

	close(saved);
	return ret;
}

int tu_netns_new(void)
{
	int saved, fd;

	saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -1;
	if (unshare(CLONE_NEWNET)) {
		close(saved);
		return -1;
	}
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(saved, CLONE_NEWNET)) {
		/* Cannot happen for root; never go on in the wrong netns. */
		perror("setns back");
		abort();
	}
	close(saved);
	return fd;
}

int tu_netns_open(const char *name)
{
	char path[256];

	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

const char *tu_hex(const void *buf, size_t len)
{
	static char out[8][2 * 1024 + 1];
	static unsigned int next;
	const unsigned char *p = buf;
	char *s = out[next++ % 8];
	size_t i;

	if (len > 1024)
		len = 1024;
	for (i = 0; i < len; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * len] = '\0';
	return s;
}

int tu_unhex(const char *s, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		p[i] = v;
	}
	return 0;
}

long tu_module_param(const char *name)
{
	char path[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/cpns/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void netns_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "/run/netns/%s", name);
}

int tu_netns_add(const char *name)
{
	char path[256], src[64];
	int fd, nsfd, err = 0;

	if (mkdir("/run/netns", 0755) && errno != EEXIST)
		return -errno;
	netns_path(name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	nsfd = tu_netns_new();
	if (nsfd < 0) {
		err = -errno;
		unlink(path);
		return err;
	}
	snprintf(src, sizeof(src), "/proc/self/fd/%d", nsfd);
	if (mount(src, path, "none", MS_BIND, NULL)) {
		err = -errno;
		unlink(path);
	}
	close(nsfd);
	return err;
}

int tu_netns_del(const char *name)
{
	char path[256];

	netns_path(name, path, sizeof(path));
	if (umount2(path, MNT_DETACH))
		return -errno;
	if (unlink(path))
		return -errno;
	return 0;
}

long tu_keyctl(int op, unsigned long a2, unsigned long a3, unsigned long a4,
	       unsigned long a5)
{
	long r = syscall(SYS_keyctl, op, a2, a3, a4, a5);

	return r < 0 ? -errno : r;
}

int32_t tu_add_key(const char *type, const char *desc, const void *payload,
		   size_t len, int32_t keyring)
{
	long r = syscall(SYS_add_key, type, desc, payload, len, keyring);

	return r < 0 ? -errno : (int32_t)r;
}

int tu_key_describe(int32_t serial, struct tu_keydesc *d)
{
	char buf[512], *f[5], *p;
	long n;
	int i;

	n = tu_keyctl(KEYCTL_DESCRIBE, serial, (unsigned long)buf,
		      sizeof(buf), 0);
	if (n < 0)
		return n;
	if ((size_t)n > sizeof(buf))
		return -E2BIG;
	buf[sizeof(buf) - 1] = '\0';
	/* type;uid;gid;perm;description (the description may hold ';') */
	p = buf;
	for (i = 0; i < 4; i++) {
		f[i] = p;
		p = strchr(p, ';');
		if (!p)
			return -EBADMSG;
		*p++ = '\0';
	}
	f[4] = p;
	memset(d, 0, sizeof(*d));
	snprintf(d->type, sizeof(d->type), "%s", f[0]);
	d->uid = strtoul(f[1], NULL, 10);
	d->gid = strtoul(f[2], NULL, 10);
	d->perm = strtoul(f[3], NULL, 16);
	snprintf(d->desc, sizeof(d->desc), "%s", f[4]);
	return 0;
}

int tu_keyring_list(int32_t keyring, int32_t *ids, size_t max)
{
	long n;

	n = tu_keyctl(KEYCTL_READ, keyring, (unsigned long)ids,
		      max * sizeof(*ids), 0);
	if (n < 0)
		return n;
	n /= sizeof(*ids);
	return n > (long)max ? (int)max : (int)n;
}

int tu_proc_keys_line(int32_t serial, char *buf, size_t len)
{
	char want[16], line[1024];
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/keys", "r");
	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "%08x ", (uint32_t)serial);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, want, strlen(want)))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, len, "%s", line);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int tu_proc_keys_desc(int32_t serial, char *buf, size_t len)
{
	char line[1024];
	int off = 0, err;

	err = tu_proc_keys_line(serial, line, sizeof(line));
	if (err)
		return err;
	/* serial flags usage timeout perm uid gid, then "%-9.9s " the type */
	if (sscanf(line, "%*x %*s %*d %*s %*x %*d %*d %n", &off) != 0 ||
	    !off || strlen(line + off) < 10)
		return -EBADMSG;
	snprintf(buf, len, "%s", line + off + 10);
	return 0;
}

int tu_klog_mark(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (lseek(fd, 0, SEEK_END) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* Append line and a newline to out (outlen bytes, NUL-ended). */
static void append(char *out, size_t outlen, const char *line)
{
	size_t used = strlen(out);

	if (used + 1 < outlen)
		snprintf(out + used, outlen - used, "%s\n", line);
}

int tu_klog_grep(int fd, const char *re, char *out, size_t outlen)
{
	char rec[8192], *msg;
	regex_t rx;
	int n = 0;
	ssize_t len;

	if (outlen)
		out[0] = '\0';
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB))
		return -EINVAL;
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* records overwritten: go on */
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		/* "prio,seq,usec,flags;message\n" and continuation lines */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		if (regexec(&rx, msg, 0, NULL, 0))
			continue;
		n++;
		append(out, outlen, msg);
	}
	regfree(&rx);
	if (len < 0 && errno != EAGAIN)
		return -errno;
	return n;
}

const char *tu_module_ko(void)
{
	static char path[4096];
	const char *ko = getenv("CPNS_KO");
	const char *root = getenv("CPNS_ROOT");

	if (ko && *ko)
		return ko;
	snprintf(path, sizeof(path), "%s/kmod/cpns.ko",
		 root && *root ? root : ".");
	return path;
}

bool tu_module_loaded(void)
{
	return access("/sys/module/cpns", F_OK) == 0;
}

int tu_module_unload(void)
{
	if (syscall(SYS_delete_module, "cpns", O_NONBLOCK))
		return -errno;
	return 0;
}

int tu_module_load(const char *params)
{
	int fd, err = 0;

	fd = open(tu_module_ko(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, params ? params : "", 0))
		err = -errno;
	close(fd);
	return err;
}

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

int tu_kmemleak_scan(const char *pattern, char *out, size_t outlen)
{
	char *buf = NULL, *p, *next;
	size_t len = 0;
	ssize_t n;
	int fd, found = 0;

	if (outlen)
		out[0] = '\0';
	if (access(KMEMLEAK, F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	fd = open(KMEMLEAK, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == EACCES ? -ENOENT : -errno;
	if (write(fd, "scan", 4) != 4) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* The report, read from the start after the scan. */
	close(fd);
	fd = open(KMEMLEAK, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		p = realloc(buf, len + 65536 + 1);
		if (!p) {
			free(buf);
			close(fd);
			return -ENOMEM;
		}
		buf = p;
		n = read(fd, buf + len, 65536);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	/* One record per "unreferenced object", up to the next. */
	for (p = strstr(buf, "unreferenced object"); p; p = next) {
		char save;

		next = strstr(p + 1, "unreferenced object");
		save = next ? *next : '\0';
		if (next)
			*next = '\0';
		if (strstr(p, pattern)) {
			found = 1;
			append(out, outlen, p);
		}
		if (next)
			*next = save;
	}
	free(buf);
	return found;
}
