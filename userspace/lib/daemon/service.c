// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What a daemon does for systemd: it tells the service manager where it
 * is (sd_notify: READY, RELOADING, STOPPING; a no-op outside systemd), and
 * turns the keys that systemd hands it as credentials
 * (LoadCredentialEncrypted=kek:..., seed-pairing:..., pairing:...) into
 * logon keys in its own session keyring, so that they are never in a file
 * the daemon keeps and never in its memory after start-up.
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

/* A key that systemd hands a daemon as a credential. */
struct cred_key {
	const char *cred;	/* the credential's name in the units */
	const char *what;	/* "KEK", "seed pairing key", ... */
	const char *conf;	/* the configuration key that names it */
};

/* Add @len bytes as the key TYPE:DESC to the session keyring. */
static int add_cred_key(const struct cred_key *ck, const char *type,
			const char *desc, const unsigned char *buf, size_t len)
{
	/* The module seals and releases only under keys nobody can read. */
	if (strcmp(type, "logon")) {
		cpns_err("the systemd credential %s holds the %s's bytes: %s must name a logon key (%s = logon:DESC), not %s:%s",
			 ck->cred, ck->what, ck->conf, ck->conf, type, desc);
		return -1;
	}
	if (len < 32) {
		cpns_err("the systemd credential %s holds %zu bytes: a %s has at least 32",
			 ck->cred, len, ck->what);
		return -1;
	}
	if (add_key(type, desc, buf, len, KEY_SPEC_SESSION_KEYRING) < 0) {
		cpns_err("cannot add the %s %s:%s from the systemd credential %s: %s",
			 ck->what, type, desc, ck->cred, strerror(errno));
		return -1;
	}
	cpns_notice("%s %s:%s loaded from the systemd credential %s (%zu bytes)",
		    ck->what, type, desc, ck->cred, len);
	return 0;
}

static int service_key(const struct cred_key *ck, const char *type,
		       const char *desc)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	unsigned char *buf;
	char path[PATH_MAX];
	ssize_t len;
	int ret;

	if (!dir)
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			     ck->cred) >= sizeof(path))
		return 0;
	if (access(path, F_OK))
		return 0;
	if (!type) {
		cpns_err("a systemd credential %s was given but the configuration names no %s: set %s = logon:DESCRIPTION",
			 ck->cred, ck->conf, ck->conf);
		return -1;
	}
	buf = malloc(KEK_MAX);
	if (!buf) {
		cpns_err("cannot read the systemd credential %s: %s",
			 ck->cred, strerror(errno));
		return -1;
	}
	len = read_credential(path, buf, KEK_MAX);
	if (len < 0) {
		cpns_err("cannot read the systemd credential %s: %s",
			 ck->cred, strerror((int)-len));
		ret = -1;
	} else {
		ret = add_cred_key(ck, type, desc, buf, (size_t)len);
	}
	explicit_bzero(buf, KEK_MAX);
	free(buf);
	return ret;
}

int cpns_service_kek(const char *type, const char *desc)
{
	static const struct cred_key ck = { KEK_CREDENTIAL, "KEK", "kek" };

	return service_key(&ck, type, desc);
}

int cpns_service_pairing(const char *cred, const char *type, const char *desc)
{
	static const struct cred_key keys[] = {
		{ "seed-pairing", "seed pairing key", "seed_pairing_key" },
		{ "pairing", "pairing key", "pairing_key" },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(cred, keys[i].cred))
			return service_key(&keys[i], type, desc);
	return -1;
}
