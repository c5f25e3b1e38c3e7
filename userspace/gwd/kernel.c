// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * What the daemon asks of its kernel besides the protocol steps: which
 * seed or Device Key of this network namespace to use (the key dump), the
 * public Device ID file of the nonsecure role, and the wire protocol's
 * ERROR code for a failed kernel command (Documentation/protocol.rst 7.2).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gwd.h"

/* A key that expires sooner than this is not worth starting a flow with. */
#define GWD_EXPIRY_MARGIN	60

#define DUMP_RETRIES		5

bool gwd_kernel_key_gone(int err)
{
	return err == -ENOKEY || err == -EKEYREVOKED || err == -EKEYEXPIRED;
}

static bool key_usable(const struct cpns_key *k)
{
	return !k->expiry ||
	       k->expiry > (uint64_t)time(NULL) + GWD_EXPIRY_MARGIN;
}

/* Dump again while a concurrent change interrupts it. */
static int keys_dump(struct cpns_nl *nl, cpns_key_fn fn, void *arg,
		     void (*reset)(void *arg))
{
	int i, ret = -EAGAIN;

	for (i = 0; i < DUMP_RETRIES && ret == -EAGAIN; i++) {
		reset(arg);
		ret = cpns_keys_dump(nl, fn, arg);
	}
	return ret;
}

struct seed_find {
	uint8_t sid[CPNS_SEED_ID_LEN];
	uint64_t expiry;
	unsigned int count;
};

static void seed_reset(void *arg)
{
	memset(arg, 0, sizeof(struct seed_find));
}

/* Does seed k last longer than the one found so far (0: forever)? Key
 * serials are random, so they cannot tell which seed is newer; ties go to
 * the lower Seed ID, so that the choice does not depend on dump order.
 */
static bool seed_better(const struct seed_find *f, const struct cpns_key *k)
{
	if (!f->count)
		return true;
	if (k->expiry != f->expiry) {
		if (!k->expiry)
			return true;
		if (!f->expiry)
			return false;
		return k->expiry > f->expiry;
	}
	return memcmp(k->id, f->sid, CPNS_SEED_ID_LEN) < 0;
}

static int seed_key(const struct cpns_key *k, void *arg)
{
	struct seed_find *f = arg;

	if (k->kind != CPNS_KEY_SEED || k->role != CPNS_ROLE_GW1 ||
	    k->state != CPNS_STATE_ACTIVE || !key_usable(k))
		return 0;
	if (seed_better(f, k)) {
		memcpy(f->sid, k->id, CPNS_SEED_ID_LEN);
		f->expiry = k->expiry;
	}
	f->count++;
	return 0;
}

/**
 * gwd_find_seed() - the Key Seed GW1 works with
 * @nl: the netlink socket
 * @sid: out, its Seed ID
 * @count: out, how many usable seeds there are
 *
 * Of the active seeds of role gw1 that do not expire within a minute, the
 * one that lasts longest.
 *
 * Return: 1 found, 0 none, or a negative errno of the dump.
 */
int gwd_find_seed(struct cpns_nl *nl, uint8_t sid[CPNS_SEED_ID_LEN],
		  unsigned int *count)
{
	struct seed_find f;
	int ret;

	ret = keys_dump(nl, seed_key, &f, seed_reset);
	if (ret)
		return ret;
	*count = f.count;
	if (!f.count)
		return 0;
	memcpy(sid, f.sid, CPNS_SEED_ID_LEN);
	return 1;
}

struct device_find {
	const uint8_t *want;		/* NULL: any */
	uint8_t did[CPNS_DEVICE_ID_LEN];
	unsigned int count;
};

static void device_reset(void *arg)
{
	struct device_find *f = arg;

	f->count = 0;
}

static int device_key(const struct cpns_key *k, void *arg)
{
	struct device_find *f = arg;

	if (k->kind != CPNS_KEY_DEVICE || k->role != CPNS_ROLE_GW2 ||
	    k->state != CPNS_STATE_ACTIVE || !key_usable(k))
		return 0;
	if (f->want && memcmp(f->want, k->id, CPNS_DEVICE_ID_LEN))
		return 0;
	if (!f->count++)
		memcpy(f->did, k->id, CPNS_DEVICE_ID_LEN);
	return 0;
}

/**
 * gwd_has_device() - does this namespace hold Device Key @did for GW2?
 * @nl: the netlink socket
 * @did: the Device ID
 *
 * Return: 1 yes (active, not about to expire), 0 no, or a negative errno.
 */
int gwd_has_device(struct cpns_nl *nl, const uint8_t did[CPNS_DEVICE_ID_LEN])
{
	struct device_find f = { .want = did };
	int ret;

	ret = keys_dump(nl, device_key, &f, device_reset);
	return ret ? ret : f.count > 0;
}

/**
 * gwd_find_devices() - the Device Keys of role gw2 in this namespace
 * @nl: the netlink socket
 * @did: out, the first one's Device ID (when @count is not 0)
 * @count: out, how many there are
 *
 * Return: 0 or a negative errno.
 */
int gwd_find_devices(struct cpns_nl *nl, uint8_t did[CPNS_DEVICE_ID_LEN],
		     unsigned int *count)
{
	struct device_find f = { .want = NULL };
	int ret;

	ret = keys_dump(nl, device_key, &f, device_reset);
	if (ret)
		return ret;
	*count = f.count;
	if (f.count)
		memcpy(did, f.did, CPNS_DEVICE_ID_LEN);
	return 0;
}

/**
 * gwd_did_read() - read the Device ID file
 * @path: the file: 32 hex digits and a newline
 * @did: out
 * @err: why it is invalid
 * @errlen: size of @err
 *
 * Return: 1 read, 0 the file does not exist, -EINVAL malformed, or the
 * -errno of reading it.
 */
int gwd_did_read(const char *path, uint8_t did[CPNS_DEVICE_ID_LEN],
		 char *err, size_t errlen)
{
	char buf[2 * CPNS_DEVICE_ID_LEN + 3];
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	buf[n] = '\0';
	if (n == 2 * CPNS_DEVICE_ID_LEN + 1 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n != 2 * CPNS_DEVICE_ID_LEN ||
	    cpns_hex_decode(did, CPNS_DEVICE_ID_LEN, buf)) {
		snprintf(err, errlen,
			 "%s: expected a Device ID of %d hex digits and a newline",
			 path, 2 * CPNS_DEVICE_ID_LEN);
		return -EINVAL;
	}
	return 1;
}

/**
 * gwd_did_write() - store the Device ID file
 * @path: the file
 * @did: the Device ID (public: the key stays in the kernel)
 *
 * Written to PATH.tmp, synced, then renamed over @path, so a reader sees
 * the old or the new contents and never a part.
 *
 * Return: 0 or -errno.
 */
int gwd_did_write(const char *path, const uint8_t did[CPNS_DEVICE_ID_LEN])
{
	char hex[2 * CPNS_DEVICE_ID_LEN + 2];
	size_t len = strlen(path) + 5;
	char *tmp = malloc(len);
	ssize_t n;
	int fd, e = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp", path);
	cpns_hex_encode(hex, did, CPNS_DEVICE_ID_LEN);
	strcat(hex, "\n");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		goto out;
	}
	n = write(fd, hex, strlen(hex));
	if (n != (ssize_t)strlen(hex))
		e = n < 0 ? errno : EIO;
	if (!e && fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (e)
		unlink(tmp);
out:
	free(tmp);
	return -e;
}

/**
 * gwd_code_str() - a transfer code as shown to an operator
 * @code: 0..999999
 * @buf: out, GWD_CODE_DIGITS + 1 bytes
 *
 * Return: @buf.
 */
const char *gwd_code_str(uint32_t code, char *buf)
{
	snprintf(buf, GWD_CODE_DIGITS + 1, "%06u", code % 1000000u);
	return buf;
}

/**
 * gwd_code_parse() - the code an operator typed
 * @typed: what the operator typed
 * @code: out, its value
 *
 * @typed must be exactly six decimal digits. The kernel compares it with
 * its own (XFER_RELEASE, constant time): GW1 never knows its code before.
 *
 * Return: true if @typed is a code.
 */
bool gwd_code_parse(const char *typed, uint32_t *code)
{
	size_t i;

	if (strlen(typed) != GWD_CODE_DIGITS)
		return false;
	*code = 0;
	for (i = 0; i < GWD_CODE_DIGITS; i++) {
		if (typed[i] < '0' || typed[i] > '9')
			return false;
		*code = *code * 10 + (uint32_t)(typed[i] - '0');
	}
	return true;
}
