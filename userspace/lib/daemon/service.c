// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What a daemon does for systemd: it tells the service manager where it
 * is (sd_notify: READY, RELOADING, STOPPING; a no-op outside systemd), and
 * turns the KEK that systemd hands it as a credential
 * (LoadCredentialEncrypted=kek:...) into a kernel key in its own session
 * keyring, so that the KEK is never in a file the daemon keeps and never
 * in its memory after start-up.
 */
#include <errno.h>
#include <fcntl.h>
#include <keyutils.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon.h"
#include "service.h"

/* The credential's name in the units (cpns-serverd.service, ...). */
#define KEK_CREDENTIAL	"kek"
/* Far more than any KEK (at least 32 bytes; the kernel's keys hold 4 KiB). */
#define KEK_MAX		4096

void cpns_service_notify(const char *state)
{
	int ret = sd_notify(0, state);

	if (ret < 0)
		cpns_warn("sd_notify(%s): %s", state, strerror(-ret));
}

/* Read the whole credential file @path into @buf; its length or -errno. */
static ssize_t read_credential(const char *path, unsigned char *buf,
			       size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - len)) > 0) {
		len += (size_t)n;
		if (len == size) {
			close(fd);
			return -EFBIG;
		}
	}
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return (ssize_t)len;
}

/* Add @len bytes as the key TYPE:DESC to the session keyring. */
static int add_kek(const char *type, const char *desc,
		   const unsigned char *buf, size_t len)
{
	/* The module wraps only under a KEK whose payload nobody can read. */
	if (strcmp(type, "logon")) {
		cpns_err("the systemd credential %s holds the KEK's bytes: kek must name a logon key (kek = logon:DESC), not %s:%s",
			 KEK_CREDENTIAL, type, desc);
		return -1;
	}
	if (len < 32) {
		cpns_err("the systemd credential %s holds %zu bytes: a KEK has at least 32",
			 KEK_CREDENTIAL, len);
		return -1;
	}
	if (add_key(type, desc, buf, len, KEY_SPEC_SESSION_KEYRING) < 0) {
		cpns_err("cannot add the KEK %s:%s from the systemd credential %s: %s",
			 type, desc, KEK_CREDENTIAL, strerror(errno));
		return -1;
	}
	cpns_notice("KEK %s:%s loaded from the systemd credential %s (%zu bytes)",
		    type, desc, KEK_CREDENTIAL, len);
	return 0;
}

int cpns_service_kek(const char *type, const char *desc)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	unsigned char *buf;
	char path[PATH_MAX];
	ssize_t len;
	int ret;

	if (!dir)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			     KEK_CREDENTIAL) >= sizeof(path))
		return 0;
	if (access(path, F_OK))
		return 0;
	if (!type) {
		cpns_err("a systemd credential %s was given but the configuration names no kek: set kek = logon:DESCRIPTION",
			 KEK_CREDENTIAL);
		return -1;
	}
	buf = malloc(KEK_MAX);
	if (!buf) {
		cpns_err("cannot read the systemd credential %s: %s",
			 KEK_CREDENTIAL, strerror(errno));
		return -1;
	}
	len = read_credential(path, buf, KEK_MAX);
	if (len < 0) {
		cpns_err("cannot read the systemd credential %s: %s",
			 KEK_CREDENTIAL, strerror((int)-len));
		ret = -1;
	} else {
		ret = add_kek(type, desc, buf, (size_t)len);
	}
	explicit_bzero(buf, KEK_MAX);
	free(buf);
	return ret;
}
