// SPDX-License-Identifier: GPL-2.0
/* Test helpers outside netlink: capabilities, namespaces, hex. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

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
