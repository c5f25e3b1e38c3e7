// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * GW2's store (configuration keys "store" and "kek";
 * Documentation/cpns-gwd.rst, "STORE"): one small file that lets GW2 get
 * its Device Key back after a reboot or a module reload, without the key
 * ever being in userspace. It holds the Device ID, the key's generation
 * and the blob of KEY_WRAP: the key and its metadata sealed by the kernel
 * under the key-encryption key that "kek" names. Layout (big-endian):
 *
 *   0   bytes[8]  magic "CPNSGW2S"
 *   8   u8        version, 1
 *   9   bytes[3]  reserved, 0
 *   12  u32       length of the whole file
 *   16  u32       generation of the Device Key (0: as assigned)
 *   20  bytes[16] Device ID
 *   36  u16       blob length n, 1..CPNS_MAX_BLOB
 *   38  u16       reserved, 0
 *   40  bytes[n]  the KEY_WRAP blob (label GWD_STORE_LABEL)
 *   40+n u32      CRC-32 (IEEE 802.3) of bytes 0..40+n
 *
 * The file is written to PATH.tmp, synced, renamed over PATH, and the
 * directory is synced, so PATH is always the old or the new file, whole.
 * A file that breaks any rule above (torn, truncated, altered, another
 * format) is refused with the reason, and nothing is loaded: the checksum
 * catches accidents, the AEAD of the blob anything else (an altered blob
 * or Device ID does not unwrap, or unwraps to another ID than the file
 * says).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "gwd.h"

#define STORE_MAGIC	"CPNSGW2S"
#define STORE_VERSION	1
#define STORE_HDR	40
#define STORE_MAX	(STORE_HDR + CPNS_MAX_BLOB + 4)

/* Bound into the blob (CPNS_A_LABEL): a blob made for another purpose
 * (a server's seed store, say) does not unwrap here.
 */
#define GWD_STORE_LABEL	"cpns-gwd nonsecure store v1"

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	int k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Check the file's bytes; on success *blob and *blob_len point into buf.
 * Return NULL or why it is refused.
 */
static const char *store_parse(const uint8_t *buf, size_t len,
			       uint8_t did[CPNS_DEVICE_ID_LEN], uint32_t *gen,
			       const uint8_t **blob, size_t *blob_len)
{
	size_t n;

	if (len < 8 || memcmp(buf, STORE_MAGIC, 8))
		return "not a cpns-gwd store (bad magic)";
	if (len < STORE_HDR + 4)
		return "truncated (shorter than its header)";
	if (buf[8] != STORE_VERSION)
		return "unsupported store version";
	if (buf[9] || buf[10] || buf[11] || buf[38] || buf[39])
		return "reserved bytes are not zero";
	if (get32(buf + 12) != len)
		return len < get32(buf + 12) ?
		       "truncated (shorter than its length field)" :
		       "trailing bytes after its length";
	n = (size_t)buf[36] << 8 | buf[37];
	if (!n || n > CPNS_MAX_BLOB)
		return "blob length out of range";
	if (STORE_HDR + n + 4 != len)
		return "blob length does not match the file length";
	if (crc32_ieee(buf, len - 4) != get32(buf + len - 4))
		return "checksum mismatch (torn or altered)";
	*gen = get32(buf + 16);
	memcpy(did, buf + 20, CPNS_DEVICE_ID_LEN);
	*blob = buf + STORE_HDR;
	*blob_len = n;
	return NULL;
}

/* Read at most STORE_MAX + 1 bytes: more is an error of the file. */
static ssize_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			close(fd);
			return -e;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	return (ssize_t)len;
}

/*
 * KEY_UNWRAP found the Device Key in the kernel already (a daemon
 * restart, not a reboot): usable, it is the one to use.
 */
static int store_kept(struct gwd *g, const uint8_t did[CPNS_DEVICE_ID_LEN],
		      uint32_t file_gen, uint32_t *generation)
{
	const char *path = g->conf.store;
	int ret = gwd_has_device(g->nl, did);

	if (ret < 0) {
		cpns_err("cannot list the keys of this namespace: %s",
			 cpns_last_error(g->nl));
		return ret;
	}
	if (!ret) {
		cpns_err("store %s: device id %s is in this namespace's keyring but not usable (revoked, expired, or of another role); refusing to start",
			 path, cpns_log_hex(did, CPNS_DEVICE_ID_LEN));
		return -EKEYREJECTED;
	}
	*generation = file_gen;
	cpns_notice("store %s: device id %s generation %u, already in this namespace's keyring",
		    path, cpns_log_hex(did, CPNS_DEVICE_ID_LEN), *generation);
	return 1;
}

int gwd_store_load(struct gwd *g, uint8_t did[CPNS_DEVICE_ID_LEN],
		   uint32_t *generation)
{
	const char *path = g->conf.store;
	const struct gwd_keyref *kek = &g->conf.kek;
	uint8_t buf[STORE_MAX + 1], got[CPNS_DEVICE_ID_LEN];
	const uint8_t *blob;
	const char *why;
	size_t blob_len;
	uint32_t gen;
	int32_t serial;
	ssize_t len;
	int ret;

	len = read_file(path, buf, sizeof(buf));
	if (len == -ENOENT)
		return 0;
	if (len < 0) {
		cpns_err("store %s: %s", path, strerror((int)-len));
		return (int)len;
	}
	if ((size_t)len > STORE_MAX)
		why = "larger than any store";
	else
		why = store_parse(buf, (size_t)len, did, &gen, &blob,
				  &blob_len);
	if (why) {
		cpns_err("store %s: %s; refusing to start (nothing loaded). Restore it from a backup, or remove it to ask GW1 for a new Device ID",
			 path, why);
		return -EINVAL;
	}
	ret = gwd_key_unwrap(g->nl, kek, GWD_STORE_LABEL, blob, blob_len, got,
			     &gen, &serial);
	if (ret == -EEXIST)
		return store_kept(g, did, get32(buf + 16), generation);
	if (ret) {
		cpns_err("store %s: KEY_UNWRAP under kek %s:%s: %s%s; refusing to start (nothing loaded)",
			 path, kek->type, kek->desc, cpns_last_error(g->nl),
			 ret == -EBADMSG ? " (wrong KEK, or the file was altered)" :
			 ret == -ENOKEY ? " (load the KEK first: Documentation/cpns-gwd.rst, STORE)" :
			 "");
		return ret;
	}
	if (memcmp(got, did, CPNS_DEVICE_ID_LEN) || gen != get32(buf + 16)) {
		cpns_err("store %s: the blob holds device id %s generation %u, the file says %s generation %u; refusing to start",
			 path, cpns_log_hex(got, CPNS_DEVICE_ID_LEN), gen,
			 cpns_log_hex(did, CPNS_DEVICE_ID_LEN),
			 get32(buf + 16));
		cpns_key_del_device(g->nl, got);
		return -EINVAL;
	}
	*generation = gen;
	cpns_notice("store %s: loaded device id %s generation %u (serial %d)",
		    path, cpns_log_hex(did, CPNS_DEVICE_ID_LEN), gen, serial);
	return 1;
}

/* fsync the directory of path, so that the rename is durable. */
static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, e = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		e = errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return -e;
}

int gwd_store_save(struct gwd *g, const uint8_t did[CPNS_DEVICE_ID_LEN],
		   uint32_t generation)
{
	const char *path = g->conf.store;
	uint8_t buf[STORE_MAX];
	size_t blob_len = CPNS_MAX_BLOB, len, off;
	char *tmp;
	ssize_t n;
	int fd, e = 0, ret;

	ret = gwd_key_wrap(g->nl, &g->conf.kek, GWD_STORE_LABEL, did,
			   buf + STORE_HDR, &blob_len);
	if (ret) {
		cpns_err("store %s: KEY_WRAP of device id %s under kek %s:%s: %s",
			 path, cpns_log_hex(did, CPNS_DEVICE_ID_LEN),
			 g->conf.kek.type, g->conf.kek.desc,
			 cpns_last_error(g->nl));
		return ret;
	}
	len = STORE_HDR + blob_len + 4;
	memcpy(buf, STORE_MAGIC, 8);
	memset(buf + 8, 0, 4);
	buf[8] = STORE_VERSION;
	put32(buf + 12, (uint32_t)len);
	put32(buf + 16, generation);
	memcpy(buf + 20, did, CPNS_DEVICE_ID_LEN);
	buf[36] = (uint8_t)(blob_len >> 8);
	buf[37] = (uint8_t)blob_len;
	buf[38] = 0;
	buf[39] = 0;
	put32(buf + len - 4, crc32_ieee(buf, len - 4));

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		e = errno;
		goto out;
	}
	for (off = 0; off < len && !e; off += (size_t)n) {
		n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			n = 0;
		else if (n <= 0)
			e = n < 0 ? errno : EIO;
	}
	if (!e && fsync(fd))
		e = errno;
	if (close(fd) && !e)
		e = errno;
	if (!e && rename(tmp, path))
		e = errno;
	if (e)
		unlink(tmp);
	else
		e = -sync_dir(path);
out:
	free(tmp);
	if (e) {
		cpns_err("store %s: %s", path, strerror(e));
		return -e;
	}
	cpns_notice("store %s: saved device id %s generation %u (wrapped under kek %s:%s)",
		    path, cpns_log_hex(did, CPNS_DEVICE_ID_LEN), generation,
		    g->conf.kek.type, g->conf.kek.desc);
	return 0;
}
