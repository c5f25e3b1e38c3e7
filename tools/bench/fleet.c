// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-fleet-bench: a fleet of re-keyed devices against cpns-serverd
 * (tools/bench/fleet, Documentation/performance.rst, "Fleet").
 *
 *   kek     print the bench's test KEK (hex), for keyctl padd
 *   check   build every blob of Documentation/store-vectors.json, compare
 *   gen     a store of N devices: a SQLite file and the same rows as a
 *           PostgreSQL COPY script
 *   init    the empty schema in a store (PostgreSQL, before the COPY)
 *   run     authentications of random devices of the fleet, as GW2s
 *
 * The rows are made in bulk in userspace, honestly: each device has a
 * Device Key of generation 1 (state active, as after its re-key and
 * confirmation), wrapped under the test KEK with its row's label exactly
 * as store.rst says and as the kernel wraps one (checked against the
 * known answers by "check"). GW2 is played here too, with the same keys:
 * a-0 .. a-4 of protocol.rst with the profile's codes (rekey.rst: a flow
 * of generation 1 does not re-key). The keys are test values derived
 * from fixed strings: never use them anywhere else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sqlite3.h>

#include "ref.h"
#include "store.h"
#include "wire.h"

#define FB_CREATED	1798761600	/* the rows' creation time */
#define FB_MAX_CLIENTS	256
#define FB_MAX_SERVERS	8
#define FB_BLOB_LEN	(24 + CPNS_DEVICE_ID_LEN + 16 + 48)
#define FB_SEED_BLOB	(24 + CPNS_SEED_ID_LEN + 16 + 48)

/* The Seed ID of the fleet; a device's ID is it and its index. */
static const uint8_t fb_sid[CPNS_SEED_ID_LEN] = {
	0xf1, 0xee, 0x70, 0x00, 0x00, 0x00, 0x00, 0x01
};

static void test_key(const char *what, uint8_t out[32])
{
	SHA256((const unsigned char *)what, strlen(what), out);
}

static void fb_kek(uint8_t k[32])
{
	test_key("cpns-fleet-bench test KEK: never use it elsewhere", k);
}

static void device_id(uint64_t i, uint8_t did[CPNS_DEVICE_ID_LEN])
{
	int b;

	memcpy(did, fb_sid, CPNS_SEED_ID_LEN);
	for (b = 0; b < 8; b++)
		did[8 + b] = (uint8_t)(i >> (56 - 8 * b));
}

/* Device i's Device Key of generation 1. */
static int device_key(const uint8_t did[CPNS_DEVICE_ID_LEN], uint8_t dk[32])
{
	uint8_t root[32];
	const struct iovec f[] = { { (void *)did, CPNS_DEVICE_ID_LEN } };

	test_key("cpns-fleet-bench device keys: never use them elsewhere",
		 root);
	return ref_mac(root, sizeof(root), "fleet dk1", f, 1, dk);
}

static void put_be(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/*
 * A blob of store.rst: header (version 1, kind, role, state, generation,
 * created, expiry, id, salt) || SEAL(wk, 0, header || label, key), wk =
 * KDF(kek, "CPNS store wrap", header, 256). Returns its length, or < 0.
 */
static int wrap(const uint8_t *kek, size_t keklen, uint8_t kind, uint8_t role,
		uint8_t state, uint32_t gen, uint64_t created, uint64_t expiry,
		const uint8_t *id, size_t idlen, const uint8_t salt[16],
		const uint8_t *label, size_t label_len, const uint8_t key[32],
		uint8_t *blob)
{
	uint8_t wk[32], aad[24 + CPNS_DEVICE_ID_LEN + 16 + 64];
	size_t hlen = 24 + idlen + 16;
	struct iovec ctx;
	struct ref_aead *a;
	int ret;

	if (label_len > 64)
		return -EINVAL;
	blob[0] = 1;
	blob[1] = kind;
	blob[2] = role;
	blob[3] = state;
	put_be(blob + 4, gen, 4);
	put_be(blob + 8, created, 8);
	put_be(blob + 16, expiry, 8);
	memcpy(blob + 24, id, idlen);
	memcpy(blob + 24 + idlen, salt, 16);
	ctx.iov_base = blob;
	ctx.iov_len = hlen;
	ret = ref_kdf(kek, keklen, "CPNS store wrap", &ctx, 1, wk, sizeof(wk));
	if (ret)
		return ret;
	a = ref_aead_new(wk, true);
	OPENSSL_cleanse(wk, sizeof(wk));
	if (!a)
		return -ENOMEM;
	memcpy(aad, blob, hlen);
	memcpy(aad + hlen, label, label_len);
	ret = ref_seal(a, 0, aad, hlen + label_len, key, 32, blob + hlen);
	ref_aead_free(a);
	return ret ? ret : (int)(hlen + 48);
}

/* ---------------------------------------------------------------- check */

static int hexv(json_object *o, const char *k, uint8_t *out, size_t cap,
		size_t *len)
{
	json_object *v;
	const char *s;
	size_t i, n;

	if (!json_object_object_get_ex(o, k, &v))
		return -1;
	s = json_object_get_string(v);
	n = strlen(s) / 2;
	if (n > cap)
		return -1;
	for (i = 0; i < n; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	*len = n;
	return 0;
}

static uint8_t name_val(const char *s)
{
	static const char *const names[] = {
		"seed", "device", "server", "gw1", "gw2", "active", "pending",
		"confirmed", "revoked", "unconfirmed",
	};
	static const uint8_t vals[] = { 1, 2, 1, 2, 3, 1, 2, 3, 4, 5 };
	size_t i;

	for (i = 0; i < sizeof(vals); i++)
		if (!strcmp(s, names[i]))
			return vals[i];
	return 0;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
	       json_object_get_string(v) : "";
}

static long long num(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ?
	       json_object_get_int64(v) : -1;
}

static int cmd_check(const char *path)
{
	json_object *root = json_object_from_file(path), *vs, *v, *in, *out;
	uint8_t kek[64], id[16], salt[16], label[64], key[32], want[128];
	uint8_t blob[128];
	size_t n, idlen, saltlen, llen, klen, keklen, wlen, i, bad = 0;
	int len;

	if (!root || !json_object_object_get_ex(root, "vectors", &vs)) {
		fprintf(stderr, "fleet: cannot read %s\n", path);
		return 1;
	}
	n = json_object_array_length(vs);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(vs, i);
		json_object_object_get_ex(v, "inputs", &in);
		json_object_object_get_ex(v, "outputs", &out);
		if (hexv(in, "kek", kek, 64, &keklen) ||
		    hexv(in, "id", id, 16, &idlen) ||
		    hexv(in, "salt", salt, 16, &saltlen) ||
		    hexv(in, "label", label, 64, &llen) ||
		    hexv(in, "key", key, 32, &klen) ||
		    hexv(out, "blob", want, 128, &wlen))
			return fprintf(stderr, "fleet: vector %zu unreadable\n",
				       i), 1;
		len = wrap(kek, keklen, name_val(str(in, "kind")),
			   name_val(str(in, "role")),
			   name_val(str(in, "state")),
			   (uint32_t)num(in, "generation"),
			   (uint64_t)num(in, "created"),
			   (uint64_t)num(in, "expiry"), id, idlen, salt, label,
			   llen, key, blob);
		/* A self-assigned GW2 key's role carries 0x80. */
		if (len > 2 && (want[2] & 0x80))
			blob[2] = want[2];
		if (len != (int)wlen || memcmp(blob, want, wlen)) {
			fprintf(stderr, "fleet: store vector %zu: our blob differs\n",
				i);
			bad++;
		}
	}
	json_object_put(root);
	printf("fleet: %zu store vectors, %zu blobs differ\n", n, bad);
	return bad ? 1 : 0;
}

/* ------------------------------------------------------------------ gen */

static void hex(char *out, const uint8_t *b, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* The fleet's GW1: the seed's owner, which assigns every device. */
#define FB_GW1		0x0a4d0102	/* 10.77.1.2 */
#define FB_GW1_PORT	58566

/* The seed row of the fleet, as cpns-serverd's I-2 stores one. */
static int seed_row(const uint8_t kek[32], struct cpns_store_seed *s)
{
	uint8_t label[CPNS_STORE_LABEL_LEN], key[32], salt[16];
	int len;

	memset(s, 0, sizeof(*s));
	memcpy(s->sid, fb_sid, sizeof(s->sid));
	snprintf(s->owner, sizeof(s->owner), "fleet-gw1");
	snprintf(s->owner_addr, sizeof(s->owner_addr), "%u.%u.%u.%u:%u",
		 FB_GW1 >> 24, (FB_GW1 >> 16) & 255, (FB_GW1 >> 8) & 255,
		 FB_GW1 & 255, FB_GW1_PORT);
	s->created = FB_CREATED;
	s->state = CPNS_STATE_ACTIVE;
	cpns_store_seed_label(s, label);
	test_key("cpns-fleet-bench seed: never use it elsewhere", key);
	ref_random(salt, sizeof(salt));
	len = wrap(kek, 32, CPNS_KEY_SEED, CPNS_ROLE_SERVER, CPNS_STATE_ACTIVE, 0,
		   FB_CREATED, 0, fb_sid, sizeof(fb_sid), salt, label,
		   sizeof(label), key, s->blob);
	if (len < 0)
		return len;
	s->blob_len = (size_t)len;
	return 0;
}

/* A device record's header: the bytes before its salt (store.rst). */
#define FB_REC_HDR	(24 + CPNS_DEVICE_ID_LEN)

/*
 * With the inventory (gen -i): the blob sealed FB_KEY_OFFSET after the
 * row (a re-key after the assignment), assigned when the row was made by
 * FB_GW1 (port FB_GW1_PORT; the seed's owner, so its address column is
 * the port alone), last authenticated from 10.77.3.x a month and some
 * seconds later.
 */
#define FB_KEY_OFFSET	3600
#define FB_AUTH_OFFSET(i)	(30 * 86400 + (int64_t)((i) % 86400))
#define FB_AUTH_ADDR(i)	(0x0a4d0300 | (uint32_t)(2 + (i) % 250))
#define FB_AUTH_PORT(i)	((unsigned int)(32768 + (i) % 28000))

/* An IPv4 address column of store.rst: 4 bytes and the port. */
static void addr4(uint8_t out[6], uint32_t a, unsigned int port)
{
	put_be(out, a, 4);
	put_be(out + 4, port, 2);
}

/* Device i's row: generation 1, active, its blob. */
static int device_row(const uint8_t kek[32], uint64_t i, bool inv,
		      struct cpns_store_device *d)
{
	uint8_t label[CPNS_STORE_LABEL_LEN], dk[32], salt[16];
	int len;

	memset(d, 0, sizeof(*d));
	device_id(i, d->did);
	memcpy(d->sid, fb_sid, sizeof(d->sid));
	d->generation = 1;
	d->state = CPNS_STATE_ACTIVE;
	d->created = FB_CREATED;
	cpns_store_device_label(d, label);
	if (device_key(d->did, dk) || ref_random(salt, sizeof(salt)))
		return -EIO;
	len = wrap(kek, 32, CPNS_KEY_DEVICE, CPNS_ROLE_SERVER, CPNS_STATE_ACTIVE,
		   1, FB_CREATED + (inv ? FB_KEY_OFFSET : 0), 0, d->did,
		   sizeof(d->did), salt, label,
		   sizeof(label), dk, d->blob);
	OPENSSL_cleanse(dk, sizeof(dk));
	if (len < 0)
		return len;
	d->blob_len = (size_t)len;
	return 0;
}

#define SQ(x) do { if ((x) != SQLITE_OK) goto sqfail; } while (0)

/*
 * DIR/store.db (the schema made by libcpnsstore, the seed row through it,
 * the device rows in one transaction) and DIR/store.pgcopy (the same rows
 * for psql: COPY ... FROM STDIN, text format).
 */
static int cmd_gen(uint64_t n, const char *dir, bool inv)
{
	char path[4096], err[512], did[33], blob[2 * 128 + 1], sealed[129];
	char suffix[17], last[13];
	uint8_t a[6];
	struct cpns_store_seed s;
	struct cpns_store_device d;
	struct cpns_store *st;
	sqlite3_stmt *ins = NULL;
	sqlite3 *db = NULL;
	int64_t num = 0;
	uint8_t kek[32];
	FILE *pg;
	uint64_t i;

	fb_kek(kek);
	if (seed_row(kek, &s))
		return 1;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	unlink(path);
	if (cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err)) ||
	    cpns_store_seed_add(st, &s)) {
		fprintf(stderr, "fleet: %s: %s\n", path,
			st ? cpns_store_error(st) : err);
		return 1;
	}
	cpns_store_close(st);
	snprintf(path, sizeof(path), "%s/store.db", dir);
	hex(did, s.sid, sizeof(s.sid));
	SQ(sqlite3_open(path, &db));
	/* The seed's number, which the store gave it (store.rst). */
	SQ(sqlite3_prepare_v2(db, "SELECT num FROM seeds WHERE seed_id = ?1",
			      -1, &ins, NULL));
	sqlite3_bind_text(ins, 1, did, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(ins) == SQLITE_ROW)
		num = sqlite3_column_int64(ins, 0);
	sqlite3_finalize(ins);
	ins = NULL;
	if (num <= 0) {
		fprintf(stderr, "fleet: %s: the seed has no number\n", path);
		sqlite3_close(db);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store.pgcopy", dir);
	pg = fopen(path, "w");
	if (!pg)
		return perror(path), 1;
	hex(blob, s.blob, s.blob_len);
	/* The same number on PostgreSQL, its sequence moved past it. */
	fprintf(pg, "COPY seeds (seed_id, owner, owner_addr, created, state, expiry, blob, num) FROM STDIN;\n"
		"%s\t%s\t%s\t%lld\tactive\t0\t\\\\x%s\t%lld\n\\.\n"
		"SELECT setval('seeds_num', (SELECT max(num) FROM seeds));\n",
		did, s.owner, s.owner_addr, (long long)s.created, blob,
		(long long)num);
	/* A device's compact row (store.rst, "A device row"): its seed's
	 * number and the last 8 bytes of its Device ID; of its blob the
	 * header fields the row does not hold, and the salt and sealed
	 * bytes from offset 40.
	 */
	fprintf(pg, "COPY devices (seed, suffix, generation, state, created, expiry, key_state, key_generation, key_offset, key_expiry, sealed, gw1_addr, assigned_offset, last_auth_offset, last_addr) FROM STDIN;\n");
	snprintf(path, sizeof(path), "%s/store.db", dir);
	SQ(sqlite3_exec(db, "PRAGMA journal_mode = WAL; BEGIN", NULL, NULL,
			NULL));
	SQ(sqlite3_prepare_v2(db, "INSERT INTO devices (seed, suffix, generation, state, created, expiry, key_state, key_generation, key_offset, key_expiry, sealed, gw1_addr, assigned_offset, last_auth_offset, last_addr) VALUES (?9, ?1, 1, 1, ?2, 0, 1, 1, ?4, 0, ?3, ?5, ?6, ?7, ?8)",
			      -1, &ins, NULL));
	for (i = 0; i < n; i++) {
		if (device_row(kek, i, inv, &d))
			return fprintf(stderr, "fleet: device %llu\n",
				       (unsigned long long)i), 1;
		hex(suffix, d.did + CPNS_SEED_ID_LEN, 8);
		sqlite3_bind_blob(ins, 1, d.did + CPNS_SEED_ID_LEN, 8,
				  SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 9, num);
		sqlite3_bind_int64(ins, 2, d.created);
		sqlite3_bind_blob(ins, 3, d.blob + FB_REC_HDR,
				  (int)d.blob_len - FB_REC_HDR, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 4, inv ? FB_KEY_OFFSET : 0);
		if (inv) {
			/* GW1 is the seed's owner: its port alone. */
			put_be(a, FB_GW1_PORT, 2);
			sqlite3_bind_blob(ins, 5, a, 2, SQLITE_TRANSIENT);
			sqlite3_bind_int64(ins, 6, 0);
			sqlite3_bind_int64(ins, 7, FB_AUTH_OFFSET(i));
			addr4(a, FB_AUTH_ADDR(i), FB_AUTH_PORT(i));
			hex(last, a, sizeof(a));
			sqlite3_bind_blob(ins, 8, a, sizeof(a),
					  SQLITE_TRANSIENT);
		}
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto sqfail;
		sqlite3_reset(ins);
		hex(sealed, d.blob + FB_REC_HDR, d.blob_len - FB_REC_HDR);
		if (inv)
			fprintf(pg, "%lld\t\\\\x%s\t1\t1\t%lld\t0\t1\t1\t%d\t0\t\\\\x%s\t\\\\x%04x\t0\t%lld\t\\\\x%s\n",
				(long long)num, suffix, (long long)d.created,
				FB_KEY_OFFSET, sealed, FB_GW1_PORT,
				(long long)FB_AUTH_OFFSET(i), last);
		else
			fprintf(pg, "%lld\t\\\\x%s\t1\t1\t%lld\t0\t1\t1\t0\t0\t\\\\x%s\t\\N\t\\N\t\\N\t\\N\n",
				(long long)num, suffix, (long long)d.created,
				sealed);
	}
	fprintf(pg, "\\.\n");
	sqlite3_finalize(ins);
	ins = NULL;
	SQ(sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", NULL,
			NULL, NULL));
	sqlite3_close(db);
	if (fclose(pg))
		return perror("store.pgcopy"), 1;
	printf("fleet: %llu devices in %s/store.db and %s/store.pgcopy\n",
	       (unsigned long long)n, dir, dir);
	return 0;
sqfail:
	fprintf(stderr, "fleet: %s: %s\n", path, db ? sqlite3_errmsg(db) :
		"cannot open");
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return 1;
}

/* ------------------------------------------------------------------ run */

struct fb_run {
	struct sockaddr_in srv[FB_MAX_SERVERS];
	int nsrv;
	uint64_t devices;
	double seconds;
	int clients;
	volatile int stop;
	pthread_mutex_t lock;
	/* totals */
	uint64_t flows, failed;
	double *lat;		/* ms, of the flows measured */
	size_t nlat, cap;
	char first_err[256];
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int send_msg(int fd, const struct cpns_wire_msg *m)
{
	uint8_t buf[CPNS_WIRE_MAX_FRAME];
	size_t len, off = 0;
	ssize_t w;

	if (cpns_wire_encode(m, buf, sizeof(buf), &len))
		return -EINVAL;
	while (off < len) {
		w = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (w <= 0)
			return -EIO;
		off += (size_t)w;
	}
	return 0;
}

static int recv_msg(int fd, struct cpns_wire_msg *m)
{
	uint8_t buf[CPNS_WIRE_MAX_FRAME];
	size_t have = 0, want = CPNS_WIRE_HDR_LEN, flen;
	ssize_t r;
	int ret;

	for (;;) {
		while (have < want) {
			r = recv(fd, buf + have, want - have, 0);
			if (r <= 0)
				return -EIO;
			have += (size_t)r;
		}
		ret = cpns_wire_frame(buf, have, &flen);
		if (ret == CPNS_WIRE_OK && flen == have)
			break;
		if (ret != CPNS_WIRE_OK && ret != CPNS_WIRE_E_INCOMPLETE)
			return -EBADMSG;
		want = ret == CPNS_WIRE_OK ? flen : want + 1;
	}
	return cpns_wire_decode(buf, have, m) ? -EBADMSG : 0;
}

/* One a-flow (a-0 .. a-4) of device i on a new connection. */
static int flow(struct fb_run *r, uint64_t i, unsigned int k, char *why,
		size_t whylen)
{
	struct cpns_wire_msg m, in;
	struct ref_session_keys sk;
	uint8_t did[16], dk[32] = { 0 }, mac[32];
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	struct timeval tmo = { .tv_sec = 30 };
	int fd, one = 1, ret = -EIO;

	device_id(i, did);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* A server that stops answering fails the flow, never hangs it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	if (connect(fd, (struct sockaddr *)&r->srv[k % r->nsrv],
		    sizeof(r->srv[0]))) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.type = CPNS_WIRE_AUTH_HELLO;
	memcpy(m.auth_hello.did, did, 16);
	ref_random(m.auth_hello.nc, sizeof(m.auth_hello.nc));
	m.auth_hello.generation = 1;
	if (send_msg(fd, &m) || recv_msg(fd, &in)) {
		snprintf(why, whylen, "a-0: no challenge");
		goto out;
	}
	if (in.type != CPNS_WIRE_AUTH_CHALLENGE) {
		snprintf(why, whylen, "a-0: answered by type %u%s%.160s", in.type,
			 in.type == CPNS_WIRE_ERROR ? ": " : "",
			 in.type == CPNS_WIRE_ERROR ? in.error.text.s : "");
		goto out;
	}
	memcpy(nc, m.auth_hello.nc, sizeof(nc));
	memcpy(ns, in.auth_challenge.ns, sizeof(ns));
	device_key(did, dk);
	ref_auth_client_mac(dk, did, nc, ns, mac);
	memset(&m, 0, sizeof(m));
	m.type = CPNS_WIRE_AUTH_CLIENT;
	memcpy(m.auth_client.mac, mac, sizeof(mac));
	if (send_msg(fd, &m) || recv_msg(fd, &in)) {
		snprintf(why, whylen, "a-2: no answer");
		goto out;
	}
	if (in.type != CPNS_WIRE_AUTH_SERVER) {
		snprintf(why, whylen, "a-2: answered by type %u%s%.160s", in.type,
			 in.type == CPNS_WIRE_ERROR ? ": " : "",
			 in.type == CPNS_WIRE_ERROR ? in.error.text.s : "");
		goto out;
	}
	ref_auth_server_mac(dk, did, nc, ns, mac);
	if (CRYPTO_memcmp(mac, in.auth_server.mac, sizeof(mac))) {
		snprintf(why, whylen, "a-4: the server's code is wrong");
		goto out;
	}
	ret = ref_session_keys(dk, did, nc, ns, &sk);
	OPENSSL_cleanse(&sk, sizeof(sk));
out:
	OPENSSL_cleanse(dk, sizeof(dk));
	close(fd);
	return ret;
}

struct fb_client {
	struct fb_run *r;
	unsigned int k;
	uint64_t rng;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *client(void *arg)
{
	struct fb_client *c = arg;
	struct fb_run *r = c->r;
	char why[256] = "";
	double t0, ms;
	int ret;

	while (!r->stop) {
		t0 = now_s();
		ret = flow(r, xorshift(&c->rng) % r->devices, c->k, why,
			   sizeof(why));
		ms = (now_s() - t0) * 1e3;
		pthread_mutex_lock(&r->lock);
		if (ret) {
			r->failed++;
			if (!r->first_err[0])
				snprintf(r->first_err, sizeof(r->first_err),
					 "%s", why);
		} else if (!r->stop) {
			r->flows++;
			if (r->nlat == r->cap) {
				r->cap = r->cap ? 2 * r->cap : 4096;
				r->lat = realloc(r->lat, r->cap * sizeof(double));
			}
			if (r->lat)
				r->lat[r->nlat++] = ms;
		}
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double p)
{
	return n ? v[(size_t)(p * (double)(n - 1))] : 0;
}

static int cmd_run(struct fb_run *r, bool json)
{
	pthread_t th[FB_MAX_CLIENTS];
	struct fb_client cl[FB_MAX_CLIENTS];
	double t0, el, sum = 0;
	size_t i;
	int k;

	pthread_mutex_init(&r->lock, NULL);
	t0 = now_s();
	for (k = 0; k < r->clients; k++) {
		cl[k].r = r;
		cl[k].k = (unsigned int)k;
		cl[k].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1) ^
			    (uint64_t)time(NULL);
		if (pthread_create(&th[k], NULL, client, &cl[k]))
			return perror("pthread_create"), 1;
	}
	while (now_s() - t0 < r->seconds)
		usleep(100000);
	r->stop = 1;
	el = now_s() - t0;
	for (k = 0; k < r->clients; k++)
		pthread_join(th[k], NULL);
	qsort(r->lat, r->nlat, sizeof(double), cmp_d);
	for (i = 0; i < r->nlat; i++)
		sum += r->lat[i];
	if (json)
		printf("{\"devices\": %llu, \"servers\": %d, \"clients\": %d, \"seconds\": %.1f, \"flows\": %llu, \"failed\": %llu, \"flows_per_s\": %.1f, \"lat_mean_ms\": %.2f, \"lat_p50_ms\": %.2f, \"lat_p99_ms\": %.2f}\n",
		       (unsigned long long)r->devices, r->nsrv, r->clients, el,
		       (unsigned long long)r->flows,
		       (unsigned long long)r->failed, (double)r->flows / el,
		       r->nlat ? sum / (double)r->nlat : 0,
		       pct(r->lat, r->nlat, 0.5), pct(r->lat, r->nlat, 0.99));
	else
		printf("devices %llu servers %d clients %d: %llu flows in %.1f s (%.1f/s), %llu failed; latency mean %.2f ms, p50 %.2f ms, p99 %.2f ms\n",
		       (unsigned long long)r->devices, r->nsrv, r->clients,
		       (unsigned long long)r->flows, el,
		       (double)r->flows / el, (unsigned long long)r->failed,
		       r->nlat ? sum / (double)r->nlat : 0,
		       pct(r->lat, r->nlat, 0.5), pct(r->lat, r->nlat, 0.99));
	if (r->failed)
		fprintf(stderr, "fleet: first failure: %s\n", r->first_err);
	free(r->lat);
	return r->failed || !r->flows ? 1 : 0;
}

static int parse_servers(struct fb_run *r, char *list)
{
	char *tok, *save = NULL, *colon;

	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		colon = strrchr(tok, ':');
		if (!colon || r->nsrv == FB_MAX_SERVERS)
			return -1;
		*colon = '\0';
		r->srv[r->nsrv].sin_family = AF_INET;
		r->srv[r->nsrv].sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, tok, &r->srv[r->nsrv].sin_addr) != 1)
			return -1;
		r->nsrv++;
	}
	return r->nsrv ? 0 : -1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cpns-fleet-bench kek\n"
		"       cpns-fleet-bench check STORE-VECTORS.json\n"
		"       cpns-fleet-bench gen -n DEVICES -o DIR [-i]\n"
		"       cpns-fleet-bench init STORE\n"
		"       cpns-fleet-bench run -s ADDR:PORT[,ADDR:PORT...] -n DEVICES\n"
		"                            [-c CLIENTS] [-t SECONDS] [-j]\n"
		"\n"
		"kek   the test KEK in hex (keyctl padd logon NAME @s)\n"
		"check the blobs of store.rst's known answers, built here\n"
		"gen   DIR/store.db (SQLite) and DIR/store.pgcopy (psql) holding one\n"
		"      seed and DEVICES re-keyed devices (generation 1, active);\n"
		"      -i: with their whole inventory (GW1's address, assigned,\n"
		"      last authentication and its address; the blob sealed 1 h\n"
		"      after the row)\n"
		"init  make the (empty) schema in STORE (a postgresql:// URI)\n"
		"run   a-flows of random devices as GW2s, CLIENTS at once (default 8)\n"
		"      for SECONDS (default 10), spread over the servers; -j: JSON\n"
		"Test keys only: every key is derived from a fixed string.\n");
}

int main(int argc, char **argv)
{
	struct fb_run r = { .clients = 8, .seconds = 10 };
	const char *dir = NULL;
	uint64_t n = 0;
	bool json = false, inv = false;
	uint8_t kek[32];
	char h[65];
	int c, ret;

	if (argc < 2)
		return usage(stderr), 2;
	if (ref_init())
		return fprintf(stderr, "fleet: OpenSSL lacks HMAC or AES-GCM\n"),
		       1;
	optind = 2;
	while ((c = getopt(argc, argv, "s:n:c:t:o:jih")) != -1) {
		switch (c) {
		case 's':
			if (parse_servers(&r, optarg))
				return fprintf(stderr, "fleet: bad -s\n"), 2;
			break;
		case 'n':
			n = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			r.clients = atoi(optarg);
			break;
		case 't':
			r.seconds = atof(optarg);
			break;
		case 'o':
			dir = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'i':
			inv = true;
			break;
		case 'h':
			return usage(stdout), 0;
		default:
			return usage(stderr), 2;
		}
	}
	if (!strcmp(argv[1], "kek")) {
		fb_kek(kek);
		hex(h, kek, 32);
		printf("%s\n", h);
		ret = 0;
	} else if (!strcmp(argv[1], "check") && optind < argc) {
		ret = cmd_check(argv[optind]);
	} else if (!strcmp(argv[1], "init") && optind < argc) {
		struct cpns_store *st;
		char err[512];

		ret = cpns_store_open(argv[optind], CPNS_STORE_CREATE, &st, err,
				      sizeof(err)) ? 1 : 0;
		if (ret)
			fprintf(stderr, "fleet: %s\n", err);
		cpns_store_close(st);
	} else if (!strcmp(argv[1], "gen") && n && dir) {
		ret = cmd_gen(n, dir, inv);
	} else if (!strcmp(argv[1], "run") && n && r.nsrv && r.clients > 0 &&
		   r.clients <= FB_MAX_CLIENTS) {
		r.devices = n;
		ret = cmd_run(&r, json);
	} else {
		usage(stderr);
		ret = 2;
	}
	ref_fini();
	return ret;
}
