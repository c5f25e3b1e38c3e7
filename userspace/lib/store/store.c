// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The store's rows, whatever the backend (store.h; the backends are
 * sqlite.c and postgresql.c, through backend.h). Every change is one
 * transaction of the backend; every row read is checked column by column,
 * since a store edited behind the database's back skips its CHECKs. A
 * seed's ID is lower-case hex text and its blob opaque here; a device row
 * is compact (schema version 6, Documentation/store.rst, "A device row"):
 * its Device ID is its seed's number and its last 8 bytes, of its blob it
 * keeps only the header fields that its other columns do not hold and the
 * salt and sealed bytes, from which the blob is rebuilt when the row is
 * read, and its inventory keeps the addresses as bytes and the times as
 * offsets from its created.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "backend.h"
#include "hex.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define HEXBUF		(2 * CPNS_DEVICE_ID_LEN + 1)

/* A device record's blob (store.rst, "The blob"): header, salt, sealed. */
#define REC_HDR		(24 + CPNS_DEVICE_ID_LEN)
#define REC_SEALED	(16 + 48)
#define REC_LEN		(REC_HDR + REC_SEALED)

int store_fail(struct cpns_store *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *cpns_store_error(const struct cpns_store *st)
{
	return st->err[0] ? st->err : "no error";
}

const char *cpns_store_path(const struct cpns_store *st)
{
	return st->path;
}

const char *cpns_store_backend(const struct cpns_store *st)
{
	return st->ops->name;
}

bool cpns_store_is_url(const char *target)
{
	return !strncmp(target, "postgresql://", 13) ||
	       !strncmp(target, "postgres://", 11);
}

int store_int_cb(struct cpns_store *st, const struct sv *c, int n,
		 void *arg)
{
	(void)st;
	*(int64_t *)arg = n >= 1 && c[0].type == SV_INT ? c[0].i : -1;
	return 0;
}

int store_app_cb(struct cpns_store *st, const struct sv *c, int n,
		 void *arg)
{
	struct store_app *a = arg;

	(void)st;
	a->rows++;
	snprintf(a->name, sizeof(a->name), "%s",
		 n == 2 && c[0].type == SV_TEXT ? c[0].s : "?");
	a->version = n == 2 && c[1].type == SV_INT ? c[1].i : -1;
	return 0;
}

int store_v3_bad_row_cb(struct cpns_store *st, const struct sv *c, int n,
			void *arg)
{
	(void)arg;
	return store_fail(st, -EBADMSG,
			  "%s: device %s: its state, Device ID or blob is not one that schema version 4 can hold (a server record of store.rst, 104 bytes, of its Device ID): the store is corrupted; not upgraded",
			  st->path,
			  n >= 1 && c[0].type == SV_TEXT ? c[0].s : "?");
}

int store_v5_orphan_cb(struct cpns_store *st, const struct sv *c, int n,
		       void *arg)
{
	(void)arg;
	return store_fail(st, -EBADMSG,
			  "%s: device %s: its seed is not stored: the store is corrupted; not upgraded",
			  st->path,
			  n >= 1 && c[0].type == SV_TEXT ? c[0].s : "?");
}

/* ------------------------------------------------------------ states */

const char *cpns_store_state_name(uint8_t state)
{
	switch (state) {
	case CPNS_STATE_ACTIVE:
		return "active";
	case CPNS_STATE_REVOKED:
		return "revoked";
	case CPNS_STATE_UNCONFIRMED:
		return "unconfirmed";
	default:
		return NULL;
	}
}

uint8_t cpns_store_state_parse(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "active"))
		return CPNS_STATE_ACTIVE;
	if (!strcmp(name, "revoked"))
		return CPNS_STATE_REVOKED;
	if (!strcmp(name, "unconfirmed"))
		return CPNS_STATE_UNCONFIRMED;
	return 0;
}

/* --------------------------------------------------------- addresses */

#define ADDR4_LEN	(4 + 2)		/* an IPv4 address and its port */
#define ADDR6_LEN	(16 + 2)	/* an IPv6 address and its port */
#define ADDR_PORT_LEN	2		/* a port: the seed owner's address */

/* The text of a packed IPv4 or IPv6 address and port (len 6 or 18). */
static void addr_text(const uint8_t *b, size_t len,
		      char out[CPNS_STORE_ADDR_MAX + 1])
{
	char host[INET6_ADDRSTRLEN];
	unsigned int port = (unsigned int)b[len - 2] << 8 | b[len - 1];

	if (len == ADDR4_LEN) {
		inet_ntop(AF_INET, b, host, sizeof(host));
		snprintf(out, CPNS_STORE_ADDR_MAX + 1, "%s:%u", host, port);
	} else {
		inet_ntop(AF_INET6, b, host, sizeof(host));
		snprintf(out, CPNS_STORE_ADDR_MAX + 1, "[%s]:%u", host, port);
	}
}

/*
 * Whether t is exactly the text addr_text() makes of an address; if so,
 * its packed form into out, and its length.
 */
static size_t addr_parse(const char *t, uint8_t out[ADDR6_LEN])
{
	char host[INET6_ADDRSTRLEN + 2], back[CPNS_STORE_ADDR_MAX + 1];
	const char *colon = strrchr(t, ':');
	size_t hlen = colon ? (size_t)(colon - t) : 0, len;
	unsigned long port;
	char *end;

	if (!hlen || hlen >= sizeof(host) || !colon[1])
		return 0;
	memcpy(host, t, hlen);
	host[hlen] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535)
		return 0;
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, out) != 1)
			return 0;
		len = ADDR6_LEN;
	} else if (inet_pton(AF_INET, host, out) == 1) {
		len = ADDR4_LEN;
	} else {
		return 0;
	}
	out[len - 2] = (uint8_t)(port >> 8);
	out[len - 1] = (uint8_t)port;
	addr_text(out, len, back);
	return strcmp(back, t) ? 0 : len;
}

size_t store_addr_pack(const char *t, uint8_t out[STORE_ADDR_BYTES])
{
	size_t len = strlen(t), packed;

	if (!len)
		return 0;
	packed = addr_parse(t, out);
	if (packed)
		return packed;
	/* Any other text as it is; a NUL after it where its length is
	 * that of a packed form.
	 */
	memcpy(out, t, len);
	if (len == ADDR_PORT_LEN || len == ADDR4_LEN || len == ADDR6_LEN)
		out[len++] = '\0';
	return len;
}

int store_addr_unpack(const uint8_t *b, size_t len,
		      char out[CPNS_STORE_ADDR_MAX + 1])
{
	if (len == ADDR4_LEN || len == ADDR6_LEN) {
		addr_text(b, len, out);
		return 0;
	}
	if ((len == ADDR_PORT_LEN + 1 || len == ADDR4_LEN + 1 ||
	     len == ADDR6_LEN + 1) && !b[len - 1])
		len--;
	else if (len == ADDR_PORT_LEN)
		return -EBADMSG;
	if (!len || len > CPNS_STORE_ADDR_MAX || memchr(b, '\0', len))
		return -EBADMSG;
	memcpy(out, b, len);
	out[len] = '\0';
	return 0;
}

size_t store_gw1_pack(const char *t, const uint8_t *owner, size_t owner_len,
		      uint8_t out[STORE_ADDR_BYTES])
{
	size_t len = store_addr_pack(t, out);

	if ((len == ADDR4_LEN || len == ADDR6_LEN) && owner_len == len &&
	    !memcmp(owner, out, len - ADDR_PORT_LEN)) {
		memmove(out, out + len - ADDR_PORT_LEN, ADDR_PORT_LEN);
		len = ADDR_PORT_LEN;
	}
	return len;
}

int store_gw1_unpack(const uint8_t *b, size_t len, const char *owner,
		     char out[CPNS_STORE_ADDR_MAX + 1])
{
	uint8_t o[STORE_ADDR_BYTES];
	size_t olen;

	if (len != ADDR_PORT_LEN)
		return store_addr_unpack(b, len, out);
	olen = store_addr_pack(owner, o);
	if (olen != ADDR4_LEN && olen != ADDR6_LEN)
		return -EBADMSG;
	memcpy(o + olen - ADDR_PORT_LEN, b, ADDR_PORT_LEN);
	addr_text(o, olen, out);
	return 0;
}

/* ------------------------------------------------------------ labels */

static void label_put(EVP_MD_CTX *md, const char *s)
{
	/* NUL-terminated fields: no two field lists hash alike. */
	EVP_DigestUpdate(md, s, strlen(s) + 1);
}

/*
 * SHA-256, fetched from OpenSSL's default provider once: EVP_sha256()
 * would be looked up again at every digest, which costs more than
 * hashing a label. Immutable once fetched; kept for the process's life.
 */
static EVP_MD *label_sha256(void)
{
	static EVP_MD *sha256;

	if (!sha256)
		sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	return sha256;
}

static void label(const char *table, const char *fields[], size_t n,
		  uint8_t out[CPNS_STORE_LABEL_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_MD *sha256 = label_sha256();
	unsigned int len = CPNS_STORE_LABEL_LEN;
	size_t i;

	/* Only an allocation can fail; an all-zero label then fails the
	 * unwrap of a row wrapped with a real one, and that is refused.
	 */
	memset(out, 0, CPNS_STORE_LABEL_LEN);
	if (!md || !sha256) {
		EVP_MD_CTX_free(md);
		return;
	}
	if (EVP_DigestInit_ex2(md, sha256, NULL) == 1) {
		label_put(md, "cpns-serverd store 1");
		label_put(md, table);
		for (i = 0; i < n; i++)
			label_put(md, fields[i]);
		EVP_DigestFinal_ex(md, out, &len);
	}
	EVP_MD_CTX_free(md);
}

void cpns_store_seed_label(const struct cpns_store_seed *s,
			   uint8_t out[CPNS_STORE_LABEL_LEN])
{
	char sid[2 * CPNS_SEED_ID_LEN + 1], created[24];
	const char *f[] = { sid, s->owner, s->owner_addr, created };

	cpns_hex_encode(sid, s->sid, sizeof(s->sid));
	snprintf(created, sizeof(created), "%lld", (long long)s->created);
	label("seeds", f, NELEM(f), out);
}

void cpns_store_device_label(const struct cpns_store_device *d,
			     uint8_t out[CPNS_STORE_LABEL_LEN])
{
	char did[2 * CPNS_DEVICE_ID_LEN + 1], sid[2 * CPNS_SEED_ID_LEN + 1];
	char created[24];
	const char *f[] = { did, sid, created };

	cpns_hex_encode(did, d->did, sizeof(d->did));
	cpns_hex_encode(sid, d->sid, sizeof(d->sid));
	snprintf(created, sizeof(created), "%lld", (long long)d->created);
	label("devices", f, NELEM(f), out);
}

/* ------------------------------------------------------- statements */

static int run(struct cpns_store *st, const char *sql, const struct sv *p,
	       int np, store_row_fn fn, void *arg, int64_t *changes)
{
	return st->ops->run(st, sql, p, np, fn, arg, changes);
}

static int one_int_cb(struct cpns_store *st, const struct sv *c, int n,
		      void *arg)
{
	if (n < 1 || c[0].type != SV_INT)
		return store_fail(st, -EBADMSG, "%s: not an integer result",
				  st->path);
	*(int64_t *)arg = c[0].i;
	return 0;
}

/* A query of one integer. */
static int query_int(struct cpns_store *st, const char *sql,
		     const struct sv *p, int np, int64_t *v)
{
	*v = 0;
	return run(st, sql, p, np, one_int_cb, v, NULL);
}

struct changes {
	int64_t seeds, devices;
	int rows;
};

static int changes_cb(struct cpns_store *st, const struct sv *c, int n,
		      void *arg)
{
	struct changes *ch = arg;

	if (n != 2 || c[0].type != SV_INT || c[1].type != SV_INT ||
	    c[0].i < 0 || c[1].i < 0)
		return store_fail(st, -EBADMSG,
				  "%s: changes: a count missing or negative (the store is corrupted)",
				  st->path);
	ch->seeds = c[0].i;
	ch->devices = c[1].i;
	ch->rows++;
	return 0;
}

int cpns_store_changes(struct cpns_store *st, int64_t *seeds,
		       int64_t *devices)
{
	struct changes ch = { .rows = 0 };
	int ret;

	ret = run(st,
		  "SELECT (SELECT n FROM changes WHERE what = 'seeds'), (SELECT n FROM changes WHERE what = 'devices')",
		  NULL, 0, changes_cb, &ch, NULL);
	if (!ret && ch.rows != 1)
		ret = store_fail(st, -EBADMSG, "%s: changes: no counts",
				 st->path);
	if (ret)
		return ret;
	if (seeds)
		*seeds = ch.seeds;
	if (devices)
		*devices = ch.devices;
	return 0;
}

static int begin(struct cpns_store *st)
{
	return st->ops->begin(st);
}

static int commit(struct cpns_store *st)
{
	int ret = st->ops->commit(st);

	if (ret)
		st->ops->rollback(st);
	return ret;
}

/* End a transaction: commit if ret is 0, else roll back; ret. */
static int finish(struct cpns_store *st, int ret)
{
	if (ret) {
		st->ops->rollback(st);
		return ret;
	}
	return commit(st);
}

/* Hex text of an ID into buf (at least HEXBUF bytes). */
static struct sv hex(char *buf, const uint8_t *id, size_t len)
{
	cpns_hex_encode(buf, id, len);
	return SV_S(buf);
}

/* ------------------------------------------------------------- rows */

static int col_hex(struct cpns_store *st, const struct sv *c, uint8_t *out,
		   size_t len, const char *table, const char *col)
{
	const char *t = c->type == SV_TEXT ? c->s : NULL;

	if (!t || strlen(t) != 2 * len || cpns_hex_decode(out, len, t))
		return store_fail(st, -EBADMSG,
				  "%s: %s: %s '%s' is not %zu hex digits (the store is corrupted)",
				  st->path, table, col, t ? t : "(null)",
				  2 * len);
	return 0;
}

static int col_text(struct cpns_store *st, const struct sv *c, char *out,
		    size_t cap, const char *table, const char *col,
		    const char *row)
{
	if (c->type != SV_TEXT || strlen(c->s) >= cap)
		return store_fail(st, -EBADMSG,
				  "%s: %s %s: %s is not text of at most %zu characters (the store is corrupted)",
				  st->path, table, row, col, cap - 1);
	memcpy(out, c->s, strlen(c->s) + 1);
	return 0;
}

static int col_int(struct cpns_store *st, const struct sv *c, int64_t min,
		   int64_t max, int64_t *v, const char *table,
		   const char *col, const char *row)
{
	if (c->type != SV_INT || c->i < min || c->i > max)
		return store_fail(st, -EBADMSG,
				  "%s: %s %s: %s is not an integer in [%lld, %lld] (the store is corrupted)",
				  st->path, table, row, col, (long long)min,
				  (long long)max);
	*v = c->i;
	return 0;
}

static int col_blob(struct cpns_store *st, const struct sv *c, uint8_t *out,
		    size_t *len, bool null_ok, const char *table,
		    const char *row)
{
	if (c->type == SV_NULL && null_ok) {
		*len = 0;
		return 0;
	}
	if (c->type != SV_BLOB || c->len < 1 || c->len > CPNS_MAX_BLOB)
		return store_fail(st, -EBADMSG,
				  "%s: %s %s: blob is not 1 to %d bytes (the store is corrupted)",
				  st->path, table, row, CPNS_MAX_BLOB);
	memcpy(out, c->b, c->len);
	*len = c->len;
	return 0;
}

/* A seed's state: "active" or "revoked". */
static int col_state(struct cpns_store *st, const struct sv *c,
		     uint8_t *state, const char *row)
{
	const char *t = c->type == SV_TEXT ? c->s : NULL;

	*state = cpns_store_state_parse(t);
	if (!*state || *state == CPNS_STATE_UNCONFIRMED)
		return store_fail(st, -EBADMSG,
				  "%s: seed %s: unknown state '%s' (the store is corrupted)",
				  st->path, row, t ? t : "(null)");
	return 0;
}

/* A device's state: the small integer of enum cpns_state. */
static int col_dstate(struct cpns_store *st, const struct sv *c,
		      uint8_t *state, const char *col, const char *row)
{
	if (c->type != SV_INT || c->i < 0 || c->i > 255 ||
	    !cpns_store_state_name((uint8_t)c->i))
		return store_fail(st, -EBADMSG,
				  "%s: device %s: %s is not 1, 4 or 5 (the store is corrupted)",
				  st->path, row, col);
	*state = (uint8_t)c->i;
	return 0;
}

#define SUFFIX_LEN	(CPNS_DEVICE_ID_LEN - CPNS_SEED_ID_LEN)

/* A Device ID: its seed's ID (hex, c[0]) and its suffix (8 bytes, c[1]). */
static int col_dev(struct cpns_store *st, const struct sv *c, uint8_t *did)
{
	char h[2 * SUFFIX_LEN + 1] = "";
	int ret;

	ret = col_hex(st, &c[0], did, CPNS_SEED_ID_LEN, "seeds", "seed_id");
	if (ret)
		return ret;
	if (c[1].type != SV_BLOB || c[1].len != SUFFIX_LEN) {
		if (c[1].type == SV_BLOB && c[1].len < SUFFIX_LEN)
			cpns_hex_encode(h, c[1].b, c[1].len);
		return store_fail(st, -EBADMSG,
				  "%s: devices: a suffix '%s' that is not %d bytes (the store is corrupted)",
				  st->path, h, SUFFIX_LEN);
	}
	memcpy(did + CPNS_SEED_ID_LEN, c[1].b, SUFFIX_LEN);
	return 0;
}

#define SEED_COLS "seed_id, owner, owner_addr, created, state, expiry, blob"
#define SEED_NCOLS 7
/*
 * A device row names its seed by the seed's number (seeds.num) and holds
 * the rest of its Device ID (suffix); its GW1 is the owner of that seed.
 * The blob is rebuilt from the key columns (rec_build()).
 */
/* The number of the seed whose ID (hex) is parameter $n. */
#define SEED_NUM(n)	"(SELECT num FROM seeds WHERE seed_id = $" #n ")"
/* The devices of that seed; the row of $n's device whose suffix is $m. */
#define OF_SEED(n)	"seed = " SEED_NUM(n)
#define DEVICE_IS(n, m)	OF_SEED(n) " AND suffix = $" #m
#define KEY_COLS \
	"seed, suffix, generation, state, created, expiry, key_state," \
	" key_generation, key_offset, key_expiry, sealed"
/* A device row read: its seed's ID, owner and owner_addr joined. */
#define DEVICE_SELECT \
	"SELECT s.seed_id, d.suffix, d.generation, d.state, d.created," \
	" d.expiry, d.key_state, d.key_generation, d.key_offset," \
	" d.key_expiry, d.sealed, s.owner, d.gw1_addr, d.assigned_offset," \
	" d.last_auth_offset, d.last_addr, s.owner_addr" \
	" FROM devices d JOIN seeds s ON s.num = d.seed "
#define DEVICE_NCOLS 17

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/*
 * A device record's blob, as the row keeps it: the header fields its
 * other columns do not hold, and the salt and sealed bytes.
 */
struct rec_cols {
	uint8_t state;
	uint32_t generation;
	int64_t offset;		/* the blob's created minus the row's */
	int64_t expiry;
	const uint8_t *sealed;	/* REC_SEALED bytes */
};

/*
 * Whether d's blob is a device record of the server for d's Device ID
 * (version 1, kind 2, role server, a state of a device, REC_LEN bytes),
 * whose times fit the columns; if so, its columns into *k.
 */
static bool rec_split(const struct cpns_store_device *d, struct rec_cols *k)
{
	const uint8_t *b = d->blob;
	uint64_t created, expiry;

	if (d->blob_len != REC_LEN || b[0] != 1 || b[1] != CPNS_KEY_DEVICE ||
	    b[2] != CPNS_ROLE_SERVER || !cpns_store_state_name(b[3]) ||
	    memcmp(b + 24, d->did, CPNS_DEVICE_ID_LEN))
		return false;
	created = get_be(b + 8, 8);
	expiry = get_be(b + 16, 8);
	if (created > INT64_MAX || expiry > INT64_MAX || d->created < 0)
		return false;
	k->state = b[3];
	k->generation = (uint32_t)get_be(b + 4, 4);
	k->offset = (int64_t)created - d->created;
	k->expiry = (int64_t)expiry;
	k->sealed = b + REC_HDR;
	return true;
}

/* The blob of store.rst rebuilt from a row's columns into r->blob. */
static void rec_build(struct cpns_store_device *r, const struct rec_cols *k)
{
	uint8_t *b = r->blob;

	b[0] = 1;
	b[1] = CPNS_KEY_DEVICE;
	b[2] = CPNS_ROLE_SERVER;
	b[3] = k->state;
	put_be(b + 4, k->generation, 4);
	put_be(b + 8, (uint64_t)(r->created + k->offset), 8);
	put_be(b + 16, (uint64_t)k->expiry, 8);
	memcpy(b + 24, r->did, CPNS_DEVICE_ID_LEN);
	memcpy(b + REC_HDR, k->sealed, REC_SEALED);
	r->blob_len = REC_LEN;
}

static int seed_row(struct cpns_store *st, const struct sv *c, int n,
		    struct cpns_store_seed *r)
{
	char row[HEXBUF];
	int64_t v = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	if (n != SEED_NCOLS)
		return store_fail(st, -EBADMSG, "%s: seeds: %d columns",
				  st->path, n);
	ret = col_hex(st, &c[0], r->sid, sizeof(r->sid), "seeds", "seed_id");
	if (ret)
		return ret;
	cpns_hex_encode(row, r->sid, sizeof(r->sid));
	ret = col_text(st, &c[1], r->owner, sizeof(r->owner), "seed",
		       "owner", row);
	if (!ret)
		ret = col_text(st, &c[2], r->owner_addr, sizeof(r->owner_addr),
			       "seed", "owner_addr", row);
	if (!ret)
		ret = col_int(st, &c[3], 0, INT64_MAX, &r->created, "seed",
			      "created", row);
	if (!ret)
		ret = col_state(st, &c[4], &r->state, row);
	if (!ret)
		ret = col_int(st, &c[5], 0, INT64_MAX, &v, "seed", "expiry",
			      row);
	if (ret)
		return ret;
	r->expiry = (uint64_t)v;
	return col_blob(st, &c[6], r->blob, &r->blob_len, false, "seed", row);
}

/* An address column: NULL (none) or packed (store_addr_pack()). */
static int col_addr(struct cpns_store *st, const struct sv *c, char *out,
		    const char *col, const char *row)
{
	if (c->type == SV_NULL) {
		out[0] = '\0';
		return 0;
	}
	if (c->type != SV_BLOB || store_addr_unpack(c->b, c->len, out))
		return store_fail(st, -EBADMSG,
				  "%s: device %s: %s is not an address of store.rst (the store is corrupted)",
				  st->path, row, col);
	return 0;
}

/* A time column: NULL (0, never) or an offset from the row's created. */
static int col_when(struct cpns_store *st, const struct sv *c,
		    int64_t created, int64_t *v, const char *col,
		    const char *row)
{
	int ret;

	if (c->type == SV_NULL) {
		*v = 0;
		return 0;
	}
	/* created + offset: a time after the epoch (0 is NULL's). */
	ret = col_int(st, c, 1 - created, INT64_MAX - created, v, "device",
		      col, row);
	if (!ret)
		*v += created;
	return ret;
}

/* gw1_addr: NULL, an address column or the port of the owner's host. */
static int col_gw1(struct cpns_store *st, const struct sv *c,
		   const struct sv *owner, char *out, const char *row)
{
	if (c->type == SV_NULL) {
		out[0] = '\0';
		return 0;
	}
	if (c->type != SV_BLOB || owner->type != SV_TEXT ||
	    store_gw1_unpack(c->b, c->len, owner->s, out))
		return store_fail(st, -EBADMSG,
				  "%s: device %s: gw1_addr is not an address of store.rst (the store is corrupted)",
				  st->path, row);
	return 0;
}

/* c[10] to c[15]: owner, gw1_addr, the times, last_addr, owner_addr. */
static int device_inventory(struct cpns_store *st, const struct sv *c,
			    struct cpns_store_device *r, const char *row)
{
	int ret;

	ret = col_text(st, &c[10], r->gw1, sizeof(r->gw1), "device",
		       "gw1_name", row);
	if (!ret)
		ret = col_gw1(st, &c[11], &c[15], r->gw1_addr, row);
	if (!ret)
		ret = col_when(st, &c[12], r->created, &r->assigned,
			       "assigned_offset", row);
	if (!ret)
		ret = col_when(st, &c[13], r->created, &r->last_auth,
			       "last_auth_offset", row);
	if (!ret)
		ret = col_addr(st, &c[14], r->last_addr, "last_addr", row);
	return ret;
}

/*
 * The key columns of a row (c[5] to c[9]): none, or a whole blob to
 * rebuild, whose created (the row's plus key_offset) fits.
 */
static int device_blob(struct cpns_store *st, const struct sv *c,
		       struct cpns_store_device *r, const char *row)
{
	struct rec_cols k = { .state = 0 };
	int64_t v = 0;
	int i, nulls = 0, ret;

	for (i = 5; i <= 9; i++)
		nulls += c[i].type == SV_NULL;
	if (nulls == 5)
		return 0;
	if (nulls || c[9].type != SV_BLOB || c[9].len != REC_SEALED)
		return store_fail(st, -EBADMSG,
				  "%s: device %s: its key columns (key_state, key_generation, key_offset, key_expiry; sealed of %d bytes) are neither all set nor all NULL (the store is corrupted)",
				  st->path, row, REC_SEALED);
	ret = col_dstate(st, &c[5], &k.state, "key_state", row);
	if (!ret)
		ret = col_int(st, &c[6], 0, UINT32_MAX, &v, "device",
			      "key_generation", row);
	k.generation = (uint32_t)v;
	if (!ret)
		ret = col_int(st, &c[7], -r->created, INT64_MAX - r->created,
			      &k.offset, "device", "key_offset", row);
	if (!ret)
		ret = col_int(st, &c[8], 0, INT64_MAX, &k.expiry, "device",
			      "key_expiry", row);
	if (ret)
		return ret;
	k.sealed = c[9].b;
	rec_build(r, &k);
	return 0;
}

/* A row of DEVICE_SELECT: after the seed's ID, c[1] to c[15] as above. */
static int device_row(struct cpns_store *st, const struct sv *col, int n,
		      struct cpns_store_device *r)
{
	const struct sv *c = col + 1;
	char row[HEXBUF];
	int64_t v = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	if (n != DEVICE_NCOLS)
		return store_fail(st, -EBADMSG, "%s: devices: %d columns",
				  st->path, n);
	ret = col_dev(st, col, r->did);
	if (ret)
		return ret;
	cpns_hex_encode(row, r->did, sizeof(r->did));
	memcpy(r->sid, r->did, sizeof(r->sid));
	ret = col_int(st, &c[1], 0, UINT32_MAX, &v, "device", "generation",
		      row);
	if (ret)
		return ret;
	r->generation = (uint32_t)v;
	ret = col_dstate(st, &c[2], &r->state, "state", row);
	if (!ret)
		ret = col_int(st, &c[3], 0, INT64_MAX, &r->created, "device",
			      "created", row);
	if (!ret)
		ret = col_int(st, &c[4], 0, INT64_MAX, &v, "device", "expiry",
			      row);
	if (ret)
		return ret;
	r->expiry = (uint64_t)v;
	ret = device_blob(st, c, r, row);
	if (ret)
		return ret;
	/* A record of generation 1 or more is a blob: only a revoked row
	 * of an older store may lack one.
	 */
	if (!r->blob_len && (r->state == CPNS_STATE_UNCONFIRMED ||
			     (r->generation && r->state != CPNS_STATE_REVOKED)))
		return store_fail(st, -EBADMSG,
				  "%s: device %s: no blob but state %s, generation %u (the store is corrupted)",
				  st->path, row,
				  cpns_store_state_name(r->state), r->generation);
	return device_inventory(st, c, r, row);
}

struct walk {
	bool seeds;
	int (*fn)(const void *row, void *arg);
	void *arg;
	unsigned int rows;	/* read so far */
};

static int walk_cb(struct cpns_store *st, const struct sv *c, int n,
		   void *arg)
{
	struct walk *w = arg;
	union {
		struct cpns_store_seed s;
		struct cpns_store_device d;
	} r;
	int ret;

	w->rows++;
	ret = w->seeds ? seed_row(st, c, n, &r.s) : device_row(st, c, n, &r.d);
	if (!ret && w->fn)
		ret = w->fn(&r, w->arg);
	return ret;
}

static int walk(struct cpns_store *st, const char *sql, const struct sv *p,
		int np, bool seeds, int (*fn)(const void *row, void *arg),
		void *arg)
{
	struct walk w = { .seeds = seeds, .fn = fn, .arg = arg };

	return run(st, sql, p, np, walk_cb, &w, NULL);
}

int cpns_store_seeds(struct cpns_store *st, cpns_store_seed_fn fn, void *arg)
{
	return walk(st, "SELECT " SEED_COLS " FROM seeds ORDER BY seed_id",
		    NULL, 0, true, (int (*)(const void *, void *))fn, arg);
}

int cpns_store_devices(struct cpns_store *st, cpns_store_device_fn fn,
		       void *arg)
{
	static const struct cpns_store_filter all = { .limit = 0 };

	return cpns_store_device_list(st, &all, fn, arg);
}

/*
 * A listing goes seed by seed, in seed ID order, and through each seed's
 * devices in suffix order: both are an index's order, so each query reads
 * only the rows it gives, and together they are in Device ID order.
 */
struct seed_ref {
	char sid[HEXBUF];
	int64_t num;
};

struct seed_refs {
	struct seed_ref *v;
	size_t n, cap;
};

static int seed_ref_cb(struct cpns_store *st, const struct sv *c, int n,
		       void *arg)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct seed_refs *r = arg;
	void *p;
	int ret;

	if (n != 2 || c[1].type != SV_INT || c[1].i <= 0)
		return store_fail(st, -EBADMSG,
				  "%s: seeds: a num that is not a positive integer (the store is corrupted)",
				  st->path);
	ret = col_hex(st, &c[0], sid, sizeof(sid), "seeds", "seed_id");
	if (ret)
		return ret;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		p = realloc(r->v, r->cap * sizeof(*r->v));
		if (!p)
			return store_fail(st, -ENOMEM, "%s: out of memory",
					  st->path);
		r->v = p;
	}
	cpns_hex_encode(r->v[r->n].sid, sid, sizeof(sid));
	r->v[r->n++].num = c[1].i;
	return 0;
}

/*
 * The seeds of f (its seed, its GW1's, from that of f->after, whose Seed
 * ID is after in hex, on), in ID order.
 */
static int list_seeds(struct cpns_store *st, const struct cpns_store_filter *f,
		      const char *after, struct seed_refs *r)
{
	char sql[256], sid[HEXBUF];
	const char *end = sql + sizeof(sql);
	char *p = sql;
	struct sv par[3];
	int np = 0;

	p += snprintf(sql, sizeof(sql), "SELECT seed_id, num FROM seeds WHERE true");
	if (f->sid) {
		par[np++] = hex(sid, f->sid, CPNS_SEED_ID_LEN);
		p += snprintf(p, end - p, " AND seed_id = $%d", np);
	}
	if (f->gw1) {
		par[np++] = SV_S(f->gw1);
		p += snprintf(p, end - p, " AND owner = $%d", np);
	}
	if (f->after) {
		par[np++] = SV_S(after);
		p += snprintf(p, end - p, " AND seed_id >= $%d", np);
	}
	snprintf(p, end - p, " ORDER BY seed_id");
	return run(st, sql, par, np, seed_ref_cb, r, NULL);
}

/*
 * Of seed s, the devices of f (after f->after in the seed of ID after), at
 * most left (0: all); w counts them.
 */
static int list_seed(struct cpns_store *st, const struct cpns_store_filter *f,
		     const char *after, const struct seed_ref *s,
		     unsigned int left, struct walk *w)
{
	char sql[1024];
	const char *end = sql + sizeof(sql);
	char *p = sql;
	struct sv par[4];
	int np = 0;

	par[np++] = SV_I(s->num);
	p += snprintf(sql, sizeof(sql), DEVICE_SELECT "WHERE d.seed = $1");
	if (f->after && !strcmp(after, s->sid)) {
		par[np++] = SV_B(f->after + CPNS_SEED_ID_LEN, SUFFIX_LEN);
		p += snprintf(p, end - p, " AND d.suffix > $%d", np);
	}
	if (f->state == CPNS_STORE_EXPIRED) {
		par[np++] = SV_I(f->now);
		p += snprintf(p, end - p,
			      " AND d.expiry > 0 AND d.expiry <= $%d", np);
	} else if (f->state) {
		par[np++] = SV_I(f->state);
		p += snprintf(p, end - p, " AND d.state = $%d", np);
	}
	p += snprintf(p, end - p, " ORDER BY d.suffix");
	if (left) {
		par[np++] = SV_I(left);
		snprintf(p, end - p, " LIMIT $%d", np);
	}
	return run(st, sql, par, np, walk_cb, w, NULL);
}

int cpns_store_device_list(struct cpns_store *st,
			   const struct cpns_store_filter *f,
			   cpns_store_device_fn fn, void *arg)
{
	struct walk w = { .fn = (int (*)(const void *, void *))fn,
			  .arg = arg };
	struct seed_refs seeds = { .n = 0 };
	char after[HEXBUF] = "";
	size_t i;
	int ret;

	if (f->state && f->state != CPNS_STORE_EXPIRED &&
	    !cpns_store_state_name(f->state))
		return store_fail(st, -EINVAL, "%s: unknown state %u",
				  st->path, f->state);
	if (f->after)
		cpns_hex_encode(after, f->after, CPNS_SEED_ID_LEN);
	ret = list_seeds(st, f, after, &seeds);
	for (i = 0; i < seeds.n && !ret; i++) {
		if (f->limit && w.rows >= f->limit)
			break;
		ret = list_seed(st, f, after, &seeds.v[i],
				f->limit ? f->limit - w.rows : 0, &w);
	}
	free(seeds.v);
	return ret;
}

/* A device row whose seed is not stored: refused like a bad row. */
static int orphan_cb(struct cpns_store *st, const struct sv *c, int n,
		     void *arg)
{
	char h[2 * SUFFIX_LEN + 1] = "?";

	(void)arg;
	if (n == 2 && c[1].type == SV_BLOB && c[1].len == SUFFIX_LEN)
		cpns_hex_encode(h, c[1].b, c[1].len);
	return store_fail(st, -EBADMSG,
			  "%s: device ...%s: its seed (number %lld) is not stored (the store is corrupted)",
			  st->path, h, c[0].type == SV_INT ? (long long)c[0].i : -1LL);
}

static int check_rows(struct cpns_store *st, bool devices)
{
	int ret = cpns_store_seeds(st, NULL, NULL);

	if (!ret && devices)
		ret = cpns_store_devices(st, NULL, NULL);
	if (!ret && devices)
		ret = run(st, "SELECT seed, suffix FROM devices WHERE seed NOT IN (SELECT num FROM seeds) LIMIT 1",
			  NULL, 0, orphan_cb, NULL, NULL);
	return ret;
}

int cpns_store_check_rows(struct cpns_store *st)
{
	return check_rows(st, true);
}

struct log_walk {
	int64_t next;		/* the seq expected next */
	cpns_store_log_fn fn;
	void *arg;
};

static int log_cb(struct cpns_store *st, const struct sv *c, int n,
		  void *arg)
{
	struct log_walk *w = arg;
	uint8_t did[CPNS_DEVICE_ID_LEN];
	int ret;

	if (n != 2 || c[0].type != SV_INT)
		return store_fail(st, -EBADMSG, "%s: device_log: a seq that is not an integer (the store is corrupted)",
				  st->path);
	ret = col_hex(st, &c[1], did, sizeof(did), "device_log", "device_id");
	if (ret)
		return ret;
	/* A seq may have several rows (a PostgreSQL statement's). */
	if (c[0].i == w->next)
		w->next++;
	else if (c[0].i != w->next - 1)
		return -ERANGE;
	return w->fn(did, w->arg);
}

int cpns_store_device_log(struct cpns_store *st, int64_t since, int64_t upto,
			  cpns_store_log_fn fn, void *arg)
{
	struct log_walk w = { .next = since + 1, .fn = fn, .arg = arg };
	struct sv p[] = { SV_I(since), SV_I(upto) };
	int ret;

	if (upto == since)
		return 0;
	/* A counter that went back: a store restored or edited. */
	if (since < 0 || upto < since || upto - since > CPNS_STORE_LOG_KEEP)
		ret = -ERANGE;
	else
		ret = run(st, "SELECT seq, device_id FROM device_log WHERE seq > $1 AND seq <= $2 ORDER BY seq",
			  p, NELEM(p), log_cb, &w, NULL);
	if (!ret && w.next != upto + 1)
		ret = -ERANGE;
	if (ret == -ERANGE)
		store_fail(st, ret,
			   "%s: device_log: the changes %lld to %lld are not all in the log (pruned, or a bulk change)",
			   st->path, (long long)since + 1, (long long)upto);
	return ret;
}

/* ------------------------------------------------------------- open */

/* Within a transaction: the schema made, checked or upgraded. */
static int schema(struct cpns_store *st, unsigned int flags)
{
	struct sv p[1];
	int64_t version, v;
	bool empty = false;
	int ret;

	ret = st->ops->version(st, &version, &empty);
	if (ret)
		return ret;
	if (empty) {
		if (!(flags & CPNS_STORE_CREATE) || st->rdonly)
			return store_fail(st, -ENOENT,
					  "%s: holds no cpns store (nothing to open)",
					  st->path);
		st->created = true;
		ret = st->ops->create(st);
		p[0] = SV_I(CPNS_STORE_VERSION);
		if (!ret)
			ret = run(st, "UPDATE schema_version SET version = $1",
				  p, 1, NULL, NULL, NULL);
		return ret;
	}
	if (version > CPNS_STORE_VERSION)
		return store_fail(st, -EBADMSG,
				  "%s: schema version %lld is newer than this program's (%d): refusing it",
				  st->path, (long long)version,
				  CPNS_STORE_VERSION);
	if (version < 1)
		return store_fail(st, -EBADMSG,
				  "%s: schema version %lld: the store is torn or corrupted",
				  st->path, (long long)version);
	if (version == CPNS_STORE_VERSION)
		return 0;
	if (st->rdonly)
		return store_fail(st, -EROFS,
				  "%s: schema version %lld needs an upgrade to %d: open it read-write",
				  st->path, (long long)version,
				  CPNS_STORE_VERSION);
	for (v = version; v < CPNS_STORE_VERSION && !ret; v++)
		ret = st->ops->upgrade(st, v);
	st->upgraded = true;
	p[0] = SV_I(CPNS_STORE_VERSION);
	if (!ret)
		ret = run(st, "UPDATE schema_version SET version = $1", p, 1,
			  NULL, NULL, NULL);
	return ret;
}

int cpns_store_open(const char *target, unsigned int flags,
		    struct cpns_store **out, char *err, size_t errlen)
{
	struct cpns_store *st;
	bool empty = false;
	int ret;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	st->ops = cpns_store_is_url(target) ? &store_pg_ops : &store_sqlite_ops;
	snprintf(st->path, sizeof(st->path), "%s", target);
	st->rdonly = flags & CPNS_STORE_RDONLY;

	ret = st->ops->open(st, target, flags, &empty);
	if (!ret && !(flags & CPNS_STORE_LAZY))
		ret = st->ops->integrity(st, flags & CPNS_STORE_FULL_CHECK);
	if (!ret) {
		ret = begin(st);
		if (!ret)
			ret = finish(st, schema(st, flags));
	}
	if (!ret && st->upgraded && st->ops->compact)
		st->ops->compact(st);
	if (!ret)
		ret = check_rows(st, !(flags & CPNS_STORE_LAZY));
	if (ret) {
		snprintf(err, errlen, "%s", st->err);
		st->failed = true;
		cpns_store_close(st);
		return ret;
	}
	*out = st;
	return 0;
}

void cpns_store_close(struct cpns_store *st)
{
	if (!st)
		return;
	if (st->be)
		st->ops->close(st);
	free(st);
}

/* ---------------------------------------------------------- changes */

static int seed_insert(struct cpns_store *st, const struct cpns_store_seed *r)
{
	char sid[HEXBUF];
	struct sv p[] = {
		hex(sid, r->sid, sizeof(r->sid)), SV_S(r->owner),
		SV_S(r->owner_addr), SV_I(r->created),
		SV_S(cpns_store_state_name(r->state)), SV_I(r->expiry),
		SV_B(r->blob, r->blob_len),
	};
	char sql[256];
	int ret;

	snprintf(sql, sizeof(sql), "INSERT INTO seeds (" SEED_COLS
		 ", num) VALUES ($1, $2, $3, $4, $5, $6, $7, %s)",
		 st->ops->seed_num);
	ret = run(st, sql, p, NELEM(p), NULL, NULL, NULL);
	if (ret == -EEXIST)
		store_fail(st, ret, "%s: adding a seed: already stored",
			   st->path);
	return ret;
}

static bool seed_valid(const struct cpns_store_seed *r)
{
	return cpns_store_state_name(r->state) &&
	       r->state != CPNS_STATE_UNCONFIRMED && r->blob_len &&
	       r->blob_len <= CPNS_MAX_BLOB && r->expiry <= INT64_MAX &&
	       strlen(r->owner) <= CPNS_STORE_OWNER_MAX &&
	       strlen(r->owner_addr) <= CPNS_STORE_ADDR_MAX;
}

int cpns_store_seed_add(struct cpns_store *st, const struct cpns_store_seed *r)
{
	int ret;

	if (!seed_valid(r))
		return store_fail(st, -EINVAL, "%s: invalid seed row",
				  st->path);
	ret = begin(st);
	if (ret)
		return ret;
	return finish(st, seed_insert(st, r));
}

int cpns_store_seed_rotate(struct cpns_store *st,
			   const struct cpns_store_seed *r,
			   const uint8_t (*old)[CPNS_SEED_ID_LEN], size_t nold,
			   uint64_t retire_at)
{
	static const char *const sql[] = {
		"UPDATE seeds SET expiry = $2 WHERE seed_id = $1 AND state = 'active' AND (expiry = 0 OR expiry > $2)",
		"UPDATE devices SET expiry = $2 WHERE " OF_SEED(1) " AND (expiry = 0 OR expiry > $2)",
	};
	char sid[HEXBUF];
	struct sv p[2];
	size_t i, j;
	int ret;

	if (!seed_valid(r) || !retire_at || retire_at > INT64_MAX)
		return store_fail(st, -EINVAL,
				  "%s: invalid seed row or retirement",
				  st->path);
	for (i = 0; i < nold; i++)
		if (!memcmp(old[i], r->sid, sizeof(r->sid)))
			return store_fail(st, -EINVAL,
					  "%s: a new seed cannot retire itself",
					  st->path);
	ret = begin(st);
	if (ret)
		return ret;
	ret = seed_insert(st, r);
	for (i = 0; i < nold && !ret; i++) {
		p[0] = hex(sid, old[i], CPNS_SEED_ID_LEN);
		p[1] = SV_I(retire_at);
		for (j = 0; j < NELEM(sql) && !ret; j++)
			ret = run(st, sql[j], p, 2, NULL, NULL, NULL);
	}
	return finish(st, ret);
}

int cpns_store_next_expiry(struct cpns_store *st, uint64_t *when)
{
	int64_t v = 0;
	int ret;

	ret = query_int(st,
			"SELECT coalesce(min(e), 0) FROM (SELECT min(expiry) AS e FROM seeds WHERE expiry > 0 UNION ALL SELECT min(expiry) FROM devices WHERE expiry > 0) AS x",
			NULL, 0, &v);
	if (!ret)
		*when = v > 0 ? (uint64_t)v : 0;
	return ret;
}

/* Statements on one ID, in one transaction; *changes of the last. */
static int change_id(struct cpns_store *st, const char *const *sql, size_t n,
		     const uint8_t *id, size_t len, int64_t *changes)
{
	char buf[HEXBUF];
	struct sv p[2];
	int np = 1, ret = begin(st);
	size_t i;

	/* $1 the seed's ID; a device: $2 its suffix. */
	p[0] = hex(buf, id, CPNS_SEED_ID_LEN);
	if (len == CPNS_DEVICE_ID_LEN) {
		p[1] = SV_B(id + CPNS_SEED_ID_LEN, SUFFIX_LEN);
		np = 2;
	}
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++)
		ret = run(st, sql[i], p, np, NULL, NULL, changes);
	return finish(st, ret || *changes ? ret :
			  store_fail(st, -ENOENT, "%s: no such %s",
				     st->path, len == CPNS_SEED_ID_LEN ?
				     "seed" : "device record"));
}

int cpns_store_seed_del(struct cpns_store *st,
			const uint8_t sid[CPNS_SEED_ID_LEN])
{
	static const char *const sql[] = {
		"DELETE FROM devices WHERE " OF_SEED(1),
		"DELETE FROM seeds WHERE seed_id = $1",
	};
	int64_t changes = 0;

	return change_id(st, sql, NELEM(sql), sid, CPNS_SEED_ID_LEN,
			 &changes);
}

struct get {
	bool seed;
	bool found;
	void *row;
};

static int get_cb(struct cpns_store *st, const struct sv *c, int n,
		  void *arg)
{
	struct get *g = arg;

	g->found = true;
	return g->seed ? seed_row(st, c, n, g->row) :
			 device_row(st, c, n, g->row);
}

static int get_one(struct cpns_store *st, const char *sql, const uint8_t *id,
		   size_t len, void *row, bool seed)
{
	char sid[HEXBUF], buf[HEXBUF];
	struct sv p[] = {
		hex(sid, id, CPNS_SEED_ID_LEN),
		SV_B(id + CPNS_SEED_ID_LEN, len - CPNS_SEED_ID_LEN),
	};
	struct get g = { .seed = seed, .row = row };
	int ret;

	cpns_hex_encode(buf, id, len);
	ret = run(st, sql, p, seed ? 1 : 2, get_cb, &g, NULL);
	if (!ret && !g.found)
		ret = store_fail(st, -ENOENT, "%s: no %s %s stored", st->path,
				 seed ? "seed" : "device", buf);
	return ret;
}

int cpns_store_seed_get(struct cpns_store *st,
			const uint8_t sid[CPNS_SEED_ID_LEN],
			struct cpns_store_seed *r)
{
	return get_one(st, "SELECT " SEED_COLS " FROM seeds WHERE seed_id = $1",
		       sid, CPNS_SEED_ID_LEN, r, true);
}

int cpns_store_device_get(struct cpns_store *st,
			  const uint8_t did[CPNS_DEVICE_ID_LEN],
			  struct cpns_store_device *r)
{
	return get_one(st, DEVICE_SELECT "WHERE s.seed_id = $1 AND d.suffix = $2",
		       did, CPNS_DEVICE_ID_LEN, r, false);
}

int cpns_store_seed_revoke(struct cpns_store *st,
			   const uint8_t sid[CPNS_SEED_ID_LEN],
			   bool *was_revoked)
{
	static const char *const sql[] = {
		"UPDATE seeds SET state = 'revoked' WHERE seed_id = $1",
	};
	struct cpns_store_seed r;
	int64_t changes = 0;
	int ret;

	ret = cpns_store_seed_get(st, sid, &r);
	if (ret)
		return ret;
	*was_revoked = r.state == CPNS_STATE_REVOKED;
	return change_id(st, sql, 1, sid, CPNS_SEED_ID_LEN, &changes);
}

struct owner {
	bool found;
	char addr[CPNS_STORE_ADDR_MAX + 1];
};

static int owner_cb(struct cpns_store *st, const struct sv *c, int n,
		    void *arg)
{
	struct owner *o = arg;

	o->found = true;
	return n == 1 ? col_text(st, &c[0], o->addr, sizeof(o->addr), "seed",
				 "owner_addr", "of a device") : -EBADMSG;
}

/*
 * Within a transaction: 0 if the seed of did is stored (its owner_addr
 * into owner_addr if not NULL), else -ENOENT.
 */
static int seed_stored(struct cpns_store *st, const uint8_t *did,
		       char *owner_addr)
{
	char sid[HEXBUF];
	struct sv p[] = { hex(sid, did, CPNS_SEED_ID_LEN) };
	struct owner o = { .found = false };
	int ret;

	ret = run(st, "SELECT owner_addr FROM seeds WHERE seed_id = $1", p, 1,
		  owner_cb, &o, NULL);
	if (!ret && !o.found)
		ret = store_fail(st, -ENOENT,
				 "%s: the seed of device %s... is not stored",
				 st->path, sid);
	if (!ret && owner_addr)
		strcpy(owner_addr, o.addr);
	return ret;
}

/*
 * The parameters of a device row's key columns ($1 to $11: the seed's ID
 * in hex into sid, then in the order of KEY_COLS from suffix on; k from
 * rec_split(), NULL without a blob).
 */
static void key_params(struct sv *p, char sid[HEXBUF],
		       const struct cpns_store_device *r,
		       const struct rec_cols *k)
{
	p[0] = hex(sid, r->did, CPNS_SEED_ID_LEN);
	p[1] = SV_B(r->did + CPNS_SEED_ID_LEN, SUFFIX_LEN);
	p[2] = SV_I(r->generation);
	p[3] = SV_I(r->state);
	p[4] = SV_I(r->created);
	p[5] = SV_I(r->expiry);
	p[6] = k ? SV_I(k->state) : SV_NIL;
	p[7] = k ? SV_I(k->generation) : SV_NIL;
	p[8] = k ? SV_I(k->offset) : SV_NIL;
	p[9] = k ? SV_I(k->expiry) : SV_NIL;
	p[10] = k ? SV_B(k->sealed, REC_SEALED) : SV_NIL;
}

#define KEY_VALUES SEED_NUM(1) ", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11"

/* A time column kept as it was when the row's created changes. */
#define KEEP_WHEN(col) \
	col " = devices." col " + devices.created - excluded.created"

/* A packed address parameter: its empty form is NULL. */
#define ADDR_PARAM(n)	"CASE WHEN length($" #n ") = 0 THEN NULL ELSE $" #n " END"

/* The key columns of a device row, its inventory columns kept. */
static int device_upsert(struct cpns_store *st,
			 const struct cpns_store_device *r,
			 const struct rec_cols *k)
{
	char sid[HEXBUF];
	struct sv p[11];
	int ret = seed_stored(st, r->did, NULL);

	if (ret)
		return ret;
	key_params(p, sid, r, r->blob_len ? k : NULL);
	return run(st, "INSERT INTO devices (" KEY_COLS ") VALUES (" KEY_VALUES
		   ") ON CONFLICT (seed, suffix) DO UPDATE SET generation = excluded.generation, state = excluded.state, created = excluded.created, expiry = excluded.expiry, key_state = excluded.key_state, key_generation = excluded.key_generation, key_offset = excluded.key_offset, key_expiry = excluded.key_expiry, sealed = excluded.sealed, " KEEP_WHEN("assigned_offset") ", " KEEP_WHEN("last_auth_offset"),
		   p, NELEM(p), NULL, NULL, NULL);
}

/*
 * Whether r may be a device row: a known state, a blob only of a device
 * record of r's Device ID (k its columns then), or none but for a state
 * that needs one.
 */
static bool device_valid(struct cpns_store *st,
			 const struct cpns_store_device *r,
			 struct rec_cols *k)
{
	if (!cpns_store_state_name(r->state) ||
	    (!r->blob_len && r->state == CPNS_STATE_UNCONFIRMED) ||
	    memcmp(r->sid, r->did, sizeof(r->sid)) ||
	    r->expiry > INT64_MAX || r->created < 0) {
		store_fail(st, -EINVAL, "%s: invalid device row", st->path);
		return false;
	}
	if (r->blob_len && !rec_split(r, k)) {
		store_fail(st, -EINVAL,
			   "%s: invalid device row: its blob is not a %d-byte server record of its Device ID (store.rst)",
			   st->path, REC_LEN);
		return false;
	}
	return true;
}

int cpns_store_device_put(struct cpns_store *st,
			  const struct cpns_store_device *r)
{
	struct rec_cols k;
	int ret;

	if (!device_valid(st, r, &k))
		return -EINVAL;
	ret = begin(st);
	if (ret)
		return ret;
	return finish(st, device_upsert(st, r, &k));
}

/*
 * The compare of cpns_store_device_cas(): the key columns as old has them;
 * a row without a blob compares by generation and state alone. The row's
 * created is kept, and the new blob's key_offset taken from it.
 */
#define CAS_UPDATE \
	"UPDATE devices SET generation = $3, state = $4, expiry = $6," \
	" key_state = $7, key_generation = $8, key_offset = $12 - created," \
	" key_expiry = $10, sealed = $11 WHERE " DEVICE_IS(1, 2) \
	" AND generation = $13 AND state = $14" \
	" AND (sealed = $15 OR (sealed IS NULL AND $16 = 0))"

int cpns_store_device_cas(struct cpns_store *st,
			  const struct cpns_store_device *old,
			  const struct cpns_store_device *d)
{
	static const struct cpns_store_device none = {
		.state = CPNS_STATE_ACTIVE,
	};
	const struct cpns_store_device *o = old ? old : &none;
	struct rec_cols k, ok;
	char did[HEXBUF], sid[HEXBUF];
	struct sv p[16];
	int64_t changes = 0;
	int ret;

	if (!device_valid(st, d, &k))
		return -EINVAL;
	if (!cpns_store_state_name(o->state) ||
	    (o->blob_len && !rec_split(o, &ok)) ||
	    (old && memcmp(old->did, d->did, sizeof(d->did))))
		return store_fail(st, -EINVAL, "%s: invalid device row",
				  st->path);
	key_params(p, sid, d, d->blob_len ? &k : NULL);
	/* The new blob's created, absolute: the row's may not be d's. */
	p[11] = d->blob_len ? SV_I(d->created + k.offset) : SV_NIL;
	p[12] = SV_I(o->generation);
	p[13] = SV_I(o->state);
	p[14] = o->blob_len ? SV_B(ok.sealed, REC_SEALED) : SV_NIL;
	p[15] = SV_I(o->blob_len);
	cpns_hex_encode(did, d->did, sizeof(d->did));
	ret = begin(st);
	if (ret)
		return ret;
	ret = seed_stored(st, d->did, NULL);
	if (!ret)
		ret = run(st, CAS_UPDATE, p, NELEM(p), NULL, NULL, &changes);
	/* No record yet: the first one is a new row. */
	if (!ret && !changes && !o->generation && !o->blob_len &&
	    o->state == CPNS_STATE_ACTIVE)
		ret = run(st, "INSERT INTO devices (" KEY_COLS ") VALUES ("
			  KEY_VALUES ") ON CONFLICT (seed, suffix) DO NOTHING",
			  p, 11, NULL, NULL, &changes);
	if (!ret && !changes)
		ret = store_fail(st, -ESTALE,
				 "%s: device %s changed since it was read (a re-key on another server, or a revocation): not written",
				 st->path, did);
	return finish(st, ret);
}

int cpns_store_device_del(struct cpns_store *st,
			  const uint8_t did[CPNS_DEVICE_ID_LEN])
{
	static const char *const sql[] = {
		"DELETE FROM devices WHERE " DEVICE_IS(1, 2),
	};
	int64_t changes = 0;

	return change_id(st, sql, 1, did, CPNS_DEVICE_ID_LEN, &changes);
}

int cpns_store_device_revoke(struct cpns_store *st,
			     const uint8_t did[CPNS_DEVICE_ID_LEN],
			     int64_t now, bool *was_revoked)
{
	struct cpns_store_device r;
	struct cpns_store_seed seed;
	struct rec_cols k;
	int ret;

	ret = begin(st);
	if (ret)
		return ret;
	ret = cpns_store_seed_get(st, did, &seed);
	if (ret)
		return finish(st, ret);
	ret = cpns_store_device_get(st, did, &r);
	if (ret == -ENOENT) {
		memset(&r, 0, sizeof(r));
		memcpy(r.did, did, sizeof(r.did));
		memcpy(r.sid, did, sizeof(r.sid));
		r.created = now;
		ret = 0;
	}
	if (ret)
		return finish(st, ret);
	*was_revoked = r.state == CPNS_STATE_REVOKED;
	r.state = CPNS_STATE_REVOKED;
	/* A blob rebuilt from a row always splits again. */
	if (r.blob_len && !rec_split(&r, &k))
		return finish(st, store_fail(st, -EBADMSG,
					     "%s: a device's blob does not fit its row (the store is corrupted)",
					     st->path));
	return finish(st, device_upsert(st, &r, &k));
}

/*
 * The upgrade to version 5 on PostgreSQL packs the addresses of a page
 * of V5_PAGE rows per round trip each way: the page read in order of
 * device_id after the last one before, its Device IDs and packed
 * addresses inserted by one statement from three arrays (text[] of hex,
 * NULL for none).
 */
#define V5_PAGE		4096
#define V5_ID_HEX	(2 * CPNS_DEVICE_ID_LEN + 1)	/* digits and ',' */
#define V5_ADDR_HEX	(2 * STORE_ADDR_BYTES + 1)

struct v5_addrs {
	char *id, *gw1, *last;		/* the arrays' text, being made */
	size_t id_len, gw1_len, last_len;
	uint8_t after[CPNS_DEVICE_ID_LEN];
	int n;				/* rows in the page */
};

/* One element of an array's text: the hex of b, or NULL if len is 0. */
static void v5_elem(char *buf, size_t *at, const uint8_t *b, size_t len)
{
	if (*at > 1)
		buf[(*at)++] = ',';
	if (len)
		cpns_hex_encode(buf + *at, b, len);
	else
		strcpy(buf + *at, "NULL");
	*at += len ? 2 * len : 4;
}

static int v5_addrs_cb(struct cpns_store *st, const struct sv *c, int n,
		       void *arg)
{
	uint8_t g[STORE_ADDR_BYTES], l[STORE_ADDR_BYTES];
	struct v5_addrs *v = arg;

	if (n != 3 || c[0].type != SV_BLOB ||
	    c[0].len != CPNS_DEVICE_ID_LEN || c[1].type != SV_TEXT ||
	    c[2].type != SV_TEXT || strlen(c[1].s) > CPNS_STORE_ADDR_MAX ||
	    strlen(c[2].s) > CPNS_STORE_ADDR_MAX || v->n >= V5_PAGE)
		return store_fail(st, -EBADMSG,
				  "%s: a version 4 device row whose addresses are not text of at most %d characters: the store is corrupted; not upgraded",
				  st->path, CPNS_STORE_ADDR_MAX);
	memcpy(v->after, c[0].b, CPNS_DEVICE_ID_LEN);
	v5_elem(v->id, &v->id_len, c[0].b, c[0].len);
	v5_elem(v->gw1, &v->gw1_len, g, store_addr_pack(c[1].s, g));
	v5_elem(v->last, &v->last_len, l, store_addr_pack(c[2].s, l));
	v->n++;
	return 0;
}

/* Read the page after v->after (its first if n is 0) and write it. */
static int v5_addrs_page(struct cpns_store *st, struct v5_addrs *v,
			 const char *read, const char *write, size_t after)
{
	struct sv p[3];
	int64_t changed = -1;
	int ret;

	v->n = 0;
	v->id_len = v->gw1_len = v->last_len = 1;
	v->id[0] = v->gw1[0] = v->last[0] = '{';
	p[0] = SV_B(v->after, after);
	p[1] = SV_I(V5_PAGE);
	ret = run(st, read, p, 2, v5_addrs_cb, v, NULL);
	if (ret || !v->n)
		return ret;
	strcpy(v->id + v->id_len, "}");
	strcpy(v->gw1 + v->gw1_len, "}");
	strcpy(v->last + v->last_len, "}");
	p[0] = SV_S(v->id);
	p[1] = SV_S(v->gw1);
	p[2] = SV_S(v->last);
	ret = run(st, write, p, 3, NULL, NULL, &changed);
	if (!ret && changed != v->n)
		ret = store_fail(st, -EIO,
				 "%s: the upgrade to version 5 wrote %lld of a page's %d device rows: not upgraded",
				 st->path, (long long)changed, v->n);
	return ret;
}

int store_v5_addrs(struct cpns_store *st, const char *from, const char *to)
{
	struct v5_addrs v = { .n = 0 };
	char read[256], write[256];
	int ret;

	snprintf(read, sizeof(read),
		 "SELECT device_id, gw1_addr, last_addr FROM %s WHERE device_id > $1 AND (gw1_addr <> '' OR last_addr <> '') ORDER BY device_id LIMIT $2",
		 from);
	snprintf(write, sizeof(write),
		 "INSERT INTO %s SELECT decode(id, 'hex'), decode(g, 'hex'), decode(l, 'hex') FROM unnest($1::text[], $2::text[], $3::text[]) AS u (id, g, l)",
		 to);
	v.id = malloc(V5_PAGE * V5_ID_HEX + 2);
	v.gw1 = malloc(V5_PAGE * V5_ADDR_HEX + 2);
	v.last = malloc(V5_PAGE * V5_ADDR_HEX + 2);
	if (!v.id || !v.gw1 || !v.last)
		ret = store_fail(st, -ENOMEM, "%s: out of memory", st->path);
	else
		ret = v5_addrs_page(st, &v, read, write, 0);
	while (!ret && v.n == V5_PAGE)
		ret = v5_addrs_page(st, &v, read, write, sizeof(v.after));
	free(v.id);
	free(v.gw1);
	free(v.last);
	return ret;
}

static bool text_ok(const char *s, size_t max)
{
	return s && strlen(s) <= max;
}

/*
 * The seed of the last row written in one transaction, read once for the
 * rows of that seed: the transaction's own view of it holds until its end.
 */
struct row_seed {
	bool valid;
	uint8_t sid[CPNS_SEED_ID_LEN];
	int64_t num;
	uint8_t owner[STORE_ADDR_BYTES];	/* owner_addr, packed */
	size_t owner_len;
};

static int row_seed_cb(struct cpns_store *st, const struct sv *c, int n,
		       void *arg)
{
	char addr[CPNS_STORE_ADDR_MAX + 1];
	struct row_seed *rs = arg;
	int ret;

	if (n != 2 || c[0].type != SV_INT || c[0].i <= 0)
		return store_fail(st, -EBADMSG,
				  "%s: seeds: a num is not a positive integer (the store is corrupted)",
				  st->path);
	ret = col_text(st, &c[1], addr, sizeof(addr), "seed", "owner_addr",
		       "of a device");
	if (ret)
		return ret;
	rs->num = c[0].i;
	rs->owner_len = store_addr_pack(addr, rs->owner);
	rs->valid = true;
	return 0;
}

/* The seed of did into rs, unless it is there already; -ENOENT if none. */
static int row_seed(struct cpns_store *st, const uint8_t *did,
		    struct row_seed *rs)
{
	char sid[HEXBUF];
	struct sv p[] = { hex(sid, did, CPNS_SEED_ID_LEN) };
	int ret;

	if (rs->valid && !memcmp(rs->sid, did, sizeof(rs->sid)))
		return 0;
	rs->valid = false;
	ret = run(st, "SELECT num, owner_addr FROM seeds WHERE seed_id = $1",
		  p, 1, row_seed_cb, rs, NULL);
	if (!ret && !rs->valid)
		return store_fail(st, -ENOENT,
				  "%s: the seed of device %s... is not stored",
				  st->path, sid);
	memcpy(rs->sid, did, sizeof(rs->sid));
	return ret;
}

/* One assignment, within a transaction; rs: its seed's, as row_seed(). */
static int assigned_one(struct cpns_store *st,
			const struct cpns_store_assigned *v,
			struct row_seed *rs)
{
	uint8_t a[STORE_ADDR_BYTES];
	struct sv p[4];
	int ret;

	if (!text_ok(v->gw1_addr, CPNS_STORE_ADDR_MAX) || v->when < 0)
		return store_fail(st, -EINVAL, "%s: invalid assignment",
				  st->path);
	ret = row_seed(st, v->did, rs);
	if (ret)
		return ret;
	p[0] = SV_I(rs->num);
	p[1] = SV_B(v->did + CPNS_SEED_ID_LEN, SUFFIX_LEN);
	p[2] = SV_I(v->when);
	p[3] = SV_B(a, store_gw1_pack(v->gw1_addr, rs->owner, rs->owner_len,
				      a));
	return run(st, "INSERT INTO devices (seed, suffix, generation, state, created, expiry, gw1_addr, assigned_offset) VALUES ($1, $2, 0, 1, $3, 0, " ADDR_PARAM(4) ", CASE WHEN $3 = 0 THEN NULL ELSE 0 END) ON CONFLICT (seed, suffix) DO UPDATE SET gw1_addr = excluded.gw1_addr, assigned_offset = CASE WHEN $3 = 0 THEN NULL ELSE $3 - devices.created END",
		   p, NELEM(p), NULL, NULL, NULL);
}

int cpns_store_device_assigned(struct cpns_store *st,
			       const uint8_t did[CPNS_DEVICE_ID_LEN],
			       const char *gw1_addr, int64_t when)
{
	struct cpns_store_assigned v = { .gw1_addr = gw1_addr, .when = when };

	memcpy(v.did, did, sizeof(v.did));
	return cpns_store_devices_assigned(st, &v, 1);
}

int cpns_store_devices_assigned(struct cpns_store *st,
				const struct cpns_store_assigned *v, size_t n)
{
	struct row_seed rs = { .valid = false };
	size_t i;
	int ret;

	if (!n)
		return 0;
	ret = begin(st);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++)
		ret = assigned_one(st, &v[i], &rs);
	return finish(st, ret);
}

/* One authentication, within a transaction; *known: the seed is stored. */
static int seen_one(struct cpns_store *st, const struct cpns_store_seen *e,
		    bool *known)
{
	uint8_t a[STORE_ADDR_BYTES];
	char s[HEXBUF];
	struct sv p[4];
	int64_t changes = 0;
	int ret;

	if (!memchr(e->addr, '\0', sizeof(e->addr)) || e->when < 0)
		return store_fail(st, -EINVAL, "%s: invalid authentication",
				  st->path);
	p[0] = hex(s, e->did, CPNS_SEED_ID_LEN);
	p[1] = SV_B(e->did + CPNS_SEED_ID_LEN, SUFFIX_LEN);
	p[2] = SV_I(e->when);
	p[3] = SV_B(a, store_addr_pack(e->addr, a));
	ret = run(st, "UPDATE devices SET last_auth_offset = CASE WHEN $3 = 0 THEN NULL ELSE $3 - created END, last_addr = " ADDR_PARAM(4) " WHERE " DEVICE_IS(1, 2),
		  p, NELEM(p), NULL, NULL, &changes);
	if (!ret && !changes)
		ret = run(st, "INSERT INTO devices (seed, suffix, generation, state, created, expiry, last_auth_offset, last_addr) SELECT num, $2, 0, 1, $3, 0, CASE WHEN $3 = 0 THEN NULL ELSE 0 END, " ADDR_PARAM(4) " FROM seeds WHERE seed_id = $1",
			  p, NELEM(p), NULL, NULL, &changes);
	*known = changes > 0;
	return ret;
}

int cpns_store_devices_seen(struct cpns_store *st,
			    const struct cpns_store_seen *v, size_t n,
			    size_t *unknown)
{
	bool known = false;
	size_t i, skipped = 0;
	int ret;

	if (!n)
		return 0;
	ret = begin(st);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		ret = seen_one(st, &v[i], &known);
		skipped += !known;
	}
	ret = finish(st, ret);
	if (!ret && unknown)
		*unknown = skipped;
	return ret;
}

struct expired {
	bool seeds;
	cpns_store_expired_fn fn;
	void *arg;
};

/* A device's seed ID, suffix and expiry, or a seed's ID and expiry. */
static int expired_cb(struct cpns_store *st, const struct sv *c, int n,
		      void *arg)
{
	struct expired *e = arg;
	uint8_t id[CPNS_DEVICE_ID_LEN];
	int ret;

	if (n != (e->seeds ? 2 : 3) || c[n - 1].type != SV_INT)
		return store_fail(st, -EBADMSG, "%s: expiry is not an integer",
				  st->path);
	ret = e->seeds ? col_hex(st, &c[0], id, CPNS_SEED_ID_LEN, "seeds",
				 "seed_id") :
			 col_dev(st, c, id);
	if (!ret && e->fn)
		e->fn(e->seeds, id, (uint64_t)c[n - 1].i, e->arg);
	return ret;
}

int cpns_store_expire(struct cpns_store *st, int64_t now,
		      cpns_store_expired_fn fn, void *arg)
{
	/* An expired seed's devices go with it, before it. */
	static const char *const sql[] = {
		"SELECT s.seed_id, d.suffix, d.expiry FROM devices d JOIN seeds s ON s.num = d.seed WHERE d.expiry > 0 AND d.expiry <= $1",
		"SELECT seed_id, expiry FROM seeds WHERE expiry > 0 AND expiry <= $1",
		"DELETE FROM devices WHERE expiry > 0 AND expiry <= $1",
		"DELETE FROM devices WHERE seed IN (SELECT num FROM seeds WHERE expiry > 0 AND expiry <= $1)",
		"DELETE FROM seeds WHERE expiry > 0 AND expiry <= $1",
	};
	struct expired e = { .fn = fn, .arg = arg };
	struct sv p[] = { SV_I(now) };
	size_t i;
	int ret = begin(st);

	if (ret)
		return ret;
	for (i = 0; i < NELEM(sql) && !ret; i++) {
		e.seeds = i == 1;
		ret = run(st, sql[i], p, 1, i < 2 ? expired_cb : NULL, &e,
			  NULL);
	}
	return finish(st, ret);
}

int cpns_store_count(struct cpns_store *st, struct cpns_store_counts *c)
{
	static const char *const sql[] = {
		"SELECT count(*) FROM seeds",
		"SELECT count(*) FROM seeds WHERE state = 'revoked'",
		"SELECT count(*) FROM devices WHERE sealed IS NOT NULL",
		"SELECT count(*) FROM devices WHERE state = 4",
		"SELECT count(*) FROM devices WHERE sealed IS NULL AND state = 4",
		"SELECT count(*) FROM devices",
	};
	unsigned int *out[] = { &c->seeds, &c->seeds_revoked, &c->devices,
				&c->devices_revoked, &c->revocations,
				&c->inventory };
	int64_t v = 0;
	size_t i;
	int ret;

	for (i = 0; i < NELEM(sql); i++) {
		ret = query_int(st, sql[i], NULL, 0, &v);
		if (ret)
			return ret;
		*out[i] = (unsigned int)v;
	}
	return 0;
}
