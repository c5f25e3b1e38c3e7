// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The store's SQLite backend (the interface is store.h). SQLite in WAL mode
 * with synchronous=FULL, so that a committed transaction survives a
 * crash of the process or of the machine; every change is one
 * BEGIN IMMEDIATE ... COMMIT, so a kill -9 leaves either all of it or
 * none. The IDs are stored as lower-case hex text, so that an operator
 * can read the store with sqlite3(1); the blobs are opaque here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "hex.h"
#include "store.h"

#define STORE_BUSY_MS	5000	/* wait for another writer (cpnsctl) */
#define ERRLEN		512

struct cpns_store {
	sqlite3 *db;
	bool rdonly;
	char path[4096];
	char err[ERRLEN];
};

/* The schema of version 1. Each CHECK is a row rule that SQLite enforces
 * on every write; cpns_store_check_rows() applies the same rules to what
 * was read, since a file edited behind SQLite's back skips them.
 */
static const char schema_v1[] =
	"CREATE TABLE seeds ("
	" seed_id TEXT PRIMARY KEY NOT NULL"
	"  CHECK (length(seed_id) = 16 AND seed_id NOT GLOB '*[^0-9a-f]*'),"
	" owner TEXT NOT NULL,"
	" owner_addr TEXT NOT NULL,"
	" created INTEGER NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),"
	" expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0),"
	" blob BLOB NOT NULL CHECK (length(blob) BETWEEN 1 AND 128)"
	") WITHOUT ROWID;"
	"CREATE TABLE devices ("
	" device_id TEXT PRIMARY KEY NOT NULL"
	"  CHECK (length(device_id) = 32 AND device_id NOT GLOB '*[^0-9a-f]*'),"
	" seed_id TEXT NOT NULL REFERENCES seeds (seed_id)"
	"  CHECK (seed_id = substr(device_id, 1, 16)),"
	" generation INTEGER NOT NULL CHECK (generation >= 0),"
	" state TEXT NOT NULL"
	"  CHECK (state IN ('active', 'unconfirmed', 'revoked')),"
	" created INTEGER NOT NULL,"
	" expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0),"
	" blob BLOB CHECK (blob IS NULL OR length(blob) BETWEEN 1 AND 128),"
	" CHECK (blob IS NOT NULL OR state = 'revoked')"
	") WITHOUT ROWID;"
	"CREATE INDEX devices_by_seed ON devices (seed_id);";

/* Upgrades: upgrade[v] (SQL) takes a store of version v to v + 1, all in
 * the transaction of upgrade_schema(). Version 1 is the first, so there is
 * none yet; a store of version 0 is one whose creation never committed,
 * and is refused.
 */
static const char *const upgrade[CPNS_STORE_VERSION] = { NULL };

static int fail(struct cpns_store *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct cpns_store *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
	return err;
}

/* A SQLite result code as an errno, corruption as -EBADMSG. */
static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_FORMAT:
		return -EBADMSG;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int sql_fail(struct cpns_store *st, const char *what)
{
	int rc = sqlite3_extended_errcode(st->db);

	fail(st, sql_errno(rc), "%s: %s: %s%s", st->path, what,
	     sqlite3_errmsg(st->db),
	     sql_errno(rc) == -EBADMSG ? " (the store is corrupted)" : "");
	return sql_errno(rc);
}

const char *cpns_store_error(const struct cpns_store *st)
{
	return st->err[0] ? st->err : "no error";
}

const char *cpns_store_path(const struct cpns_store *st)
{
	return st->path;
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

/* ------------------------------------------------------------ labels */

static void label_put(EVP_MD_CTX *md, const char *s)
{
	/* NUL-terminated fields: no two field lists hash alike. */
	EVP_DigestUpdate(md, s, strlen(s) + 1);
}

static void label(const char *table, const char *fields[], size_t n,
		  uint8_t out[CPNS_STORE_LABEL_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = CPNS_STORE_LABEL_LEN;
	size_t i;

	/* Only an allocation can fail; an all-zero label then fails the
	 * unwrap of a row wrapped with a real one, and that is refused.
	 */
	memset(out, 0, CPNS_STORE_LABEL_LEN);
	if (!md)
		return;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
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
	label("seeds", f, sizeof(f) / sizeof(f[0]), out);
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
	label("devices", f, sizeof(f) / sizeof(f[0]), out);
}

/* ------------------------------------------------------- statements */

static int exec(struct cpns_store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(st, what);
	return 0;
}

static sqlite3_stmt *prepare(struct cpns_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		sql_fail(st, "prepare");
		return NULL;
	}
	return s;
}

static int pragma_int(struct cpns_store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s = prepare(st, sql);
	int rc;

	if (!s)
		return sql_errno(sqlite3_extended_errcode(st->db));
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		return sql_fail(st, sql);
	}
	*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

static int begin(struct cpns_store *st)
{
	return exec(st, "BEGIN IMMEDIATE", "begin");
}

static int commit(struct cpns_store *st)
{
	int ret = exec(st, "COMMIT", "commit");

	if (ret)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static void rollback(struct cpns_store *st)
{
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

static void bind_hex(sqlite3_stmt *s, int i, const uint8_t *p, size_t len)
{
	char hex[2 * CPNS_DEVICE_ID_LEN + 1];

	cpns_hex_encode(hex, p, len);
	sqlite3_bind_text(s, i, hex, -1, SQLITE_TRANSIENT);
}

/* Run a statement that returns no row. */
static int step_done(struct cpns_store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE) {
		if ((rc & 0xff) == SQLITE_CONSTRAINT &&
		    sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_PRIMARYKEY) {
			sqlite3_finalize(s);
			return fail(st, -EEXIST, "%s: %s: already stored",
				    st->path, what);
		}
		sql_fail(st, what);
		sqlite3_finalize(s);
		return sql_errno(rc);
	}
	sqlite3_finalize(s);
	return 0;
}

/* ------------------------------------------------------------- rows */

static int col_hex(struct cpns_store *st, sqlite3_stmt *s, int i,
		   uint8_t *out, size_t len, const char *table,
		   const char *col)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	if (sqlite3_column_type(s, i) != SQLITE_TEXT || !t ||
	    strlen(t) != 2 * len || cpns_hex_decode(out, len, t))
		return fail(st, -EBADMSG,
			    "%s: %s: %s '%s' is not %zu hex digits (the store is corrupted)",
			    st->path, table, col, t ? t : "(null)", 2 * len);
	return 0;
}

static int col_text(struct cpns_store *st, sqlite3_stmt *s, int i,
		    char *out, size_t cap, const char *table, const char *col,
		    const char *row)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	if (sqlite3_column_type(s, i) != SQLITE_TEXT || !t ||
	    strlen(t) >= cap)
		return fail(st, -EBADMSG,
			    "%s: %s %s: %s is not text of at most %zu characters (the store is corrupted)",
			    st->path, table, row, col, cap - 1);
	memcpy(out, t, strlen(t) + 1);
	return 0;
}

static int col_int(struct cpns_store *st, sqlite3_stmt *s, int i,
		   int64_t min, int64_t max, int64_t *v, const char *table,
		   const char *col, const char *row)
{
	if (sqlite3_column_type(s, i) != SQLITE_INTEGER ||
	    sqlite3_column_int64(s, i) < min ||
	    sqlite3_column_int64(s, i) > max)
		return fail(st, -EBADMSG,
			    "%s: %s %s: %s is not an integer in [%lld, %lld] (the store is corrupted)",
			    st->path, table, row, col, (long long)min,
			    (long long)max);
	*v = sqlite3_column_int64(s, i);
	return 0;
}

static int col_blob(struct cpns_store *st, sqlite3_stmt *s, int i,
		    uint8_t *out, size_t *len, bool null_ok,
		    const char *table, const char *row)
{
	int n = sqlite3_column_bytes(s, i);

	if (sqlite3_column_type(s, i) == SQLITE_NULL && null_ok) {
		*len = 0;
		return 0;
	}
	if (sqlite3_column_type(s, i) != SQLITE_BLOB || n < 1 ||
	    n > CPNS_MAX_BLOB)
		return fail(st, -EBADMSG,
			    "%s: %s %s: blob is not 1 to %d bytes (the store is corrupted)",
			    st->path, table, row, CPNS_MAX_BLOB);
	memcpy(out, sqlite3_column_blob(s, i), n);
	*len = n;
	return 0;
}

static int col_state(struct cpns_store *st, sqlite3_stmt *s, int i,
		     uint8_t *state, bool device, const char *table,
		     const char *row)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	*state = cpns_store_state_parse(t);
	if (!*state || (!device && *state == CPNS_STATE_UNCONFIRMED))
		return fail(st, -EBADMSG,
			    "%s: %s %s: unknown state '%s' (the store is corrupted)",
			    st->path, table, row, t ? t : "(null)");
	return 0;
}

#define SEED_COLS "seed_id, owner, owner_addr, created, state, expiry, blob"
#define DEVICE_COLS \
	"device_id, seed_id, generation, state, created, expiry, blob"

static int seed_row(struct cpns_store *st, sqlite3_stmt *s,
		    struct cpns_store_seed *r)
{
	char row[2 * CPNS_SEED_ID_LEN + 1];
	int64_t v;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = col_hex(st, s, 0, r->sid, sizeof(r->sid), "seeds", "seed_id");
	if (ret)
		return ret;
	cpns_hex_encode(row, r->sid, sizeof(r->sid));
	ret = col_text(st, s, 1, r->owner, sizeof(r->owner), "seed", "owner",
		       row);
	if (!ret)
		ret = col_text(st, s, 2, r->owner_addr, sizeof(r->owner_addr),
			       "seed", "owner_addr", row);
	if (!ret)
		ret = col_int(st, s, 3, 0, INT64_MAX, &r->created, "seed",
			      "created", row);
	if (!ret)
		ret = col_state(st, s, 4, &r->state, false, "seed", row);
	if (!ret)
		ret = col_int(st, s, 5, 0, INT64_MAX, &v, "seed", "expiry",
			      row);
	if (ret)
		return ret;
	r->expiry = (uint64_t)v;
	return col_blob(st, s, 6, r->blob, &r->blob_len, false, "seed", row);
}

static int device_row(struct cpns_store *st, sqlite3_stmt *s,
		      struct cpns_store_device *r)
{
	char row[2 * CPNS_DEVICE_ID_LEN + 1];
	int64_t v;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = col_hex(st, s, 0, r->did, sizeof(r->did), "devices",
		      "device_id");
	if (ret)
		return ret;
	cpns_hex_encode(row, r->did, sizeof(r->did));
	ret = col_hex(st, s, 1, r->sid, sizeof(r->sid), "devices", "seed_id");
	if (ret)
		return ret;
	if (memcmp(r->sid, r->did, sizeof(r->sid)))
		return fail(st, -EBADMSG,
			    "%s: device %s: seed_id is not the Device ID's first 8 bytes (the store is corrupted)",
			    st->path, row);
	ret = col_int(st, s, 2, 0, UINT32_MAX, &v, "device", "generation",
		      row);
	if (ret)
		return ret;
	r->generation = (uint32_t)v;
	ret = col_state(st, s, 3, &r->state, true, "device", row);
	if (!ret)
		ret = col_int(st, s, 4, 0, INT64_MAX, &r->created, "device",
			      "created", row);
	if (!ret)
		ret = col_int(st, s, 5, 0, INT64_MAX, &v, "device", "expiry",
			      row);
	if (ret)
		return ret;
	r->expiry = (uint64_t)v;
	ret = col_blob(st, s, 6, r->blob, &r->blob_len, true, "device", row);
	if (ret)
		return ret;
	if (!r->blob_len && r->state != CPNS_STATE_REVOKED)
		return fail(st, -EBADMSG,
			    "%s: device %s: no blob but state %s (the store is corrupted)",
			    st->path, row, cpns_store_state_name(r->state));
	return 0;
}

static int walk(struct cpns_store *st, const char *sql, bool seeds,
		int (*fn)(const void *row, void *arg), void *arg)
{
	union {
		struct cpns_store_seed s;
		struct cpns_store_device d;
	} r;
	sqlite3_stmt *s = prepare(st, sql);
	int rc, ret = 0;

	if (!s)
		return sql_errno(sqlite3_extended_errcode(st->db));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ret = seeds ? seed_row(st, s, &r.s) : device_row(st, s, &r.d);
		if (!ret && fn)
			ret = fn(&r, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, seeds ? "reading seeds" : "reading devices");
	sqlite3_finalize(s);
	return ret;
}

int cpns_store_seeds(struct cpns_store *st, cpns_store_seed_fn fn, void *arg)
{
	return walk(st, "SELECT " SEED_COLS " FROM seeds ORDER BY seed_id",
		    true, (int (*)(const void *, void *))fn, arg);
}

int cpns_store_devices(struct cpns_store *st, cpns_store_device_fn fn,
		       void *arg)
{
	return walk(st, "SELECT " DEVICE_COLS " FROM devices ORDER BY device_id",
		    false, (int (*)(const void *, void *))fn, arg);
}

/* A device record whose seed is not stored: refused like a bad row. */
static int orphans(struct cpns_store *st)
{
	sqlite3_stmt *s = prepare(st,
		"SELECT device_id FROM devices WHERE seed_id NOT IN "
		"(SELECT seed_id FROM seeds) LIMIT 1");
	int rc, ret = 0;

	if (!s)
		return sql_errno(sqlite3_extended_errcode(st->db));
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		ret = fail(st, -EBADMSG,
			   "%s: device %s: its seed is not stored (the store is corrupted)",
			   st->path, (const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		ret = sql_fail(st, "reading devices");
	sqlite3_finalize(s);
	return ret;
}

int cpns_store_check_rows(struct cpns_store *st)
{
	int ret = cpns_store_seeds(st, NULL, NULL);

	if (!ret)
		ret = cpns_store_devices(st, NULL, NULL);
	if (!ret)
		ret = orphans(st);
	return ret;
}

/* ------------------------------------------------------------- open */

static int integrity(struct cpns_store *st, bool full)
{
	const char *sql = full ? "PRAGMA integrity_check" :
				 "PRAGMA quick_check";
	sqlite3_stmt *s = prepare(st, sql);
	const char *t;
	int rc, ret = 0;

	if (!s)
		return sql_errno(sqlite3_extended_errcode(st->db));
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		ret = sql_fail(st, sql);
	} else {
		t = (const char *)sqlite3_column_text(s, 0);
		if (!t || strcmp(t, "ok")) {
			char *p;

			ret = fail(st, -EBADMSG,
				   "%s: %s failed: %s (the store is corrupted)",
				   st->path, sql + 7, t ? t : "(null)");
			/* One line: SQLite's report has several. */
			for (p = st->err; *p; p++)
				if (*p == '\n')
					*p = ' ';
		}
	}
	sqlite3_finalize(s);
	return ret;
}

static int create_schema(struct cpns_store *st)
{
	char sql[64];
	int ret = begin(st);

	if (ret)
		return ret;
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		 CPNS_STORE_APP_ID);
	ret = exec(st, sql, "application_id");
	if (!ret)
		ret = exec(st, schema_v1, "creating the schema");
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 CPNS_STORE_VERSION);
	if (!ret)
		ret = exec(st, sql, "user_version");
	if (ret) {
		rollback(st);
		return ret;
	}
	return commit(st);
}

static int upgrade_schema(struct cpns_store *st, int64_t from)
{
	char sql[64];
	int64_t v;
	int ret;

	if (st->rdonly)
		return fail(st, -EROFS,
			    "%s: schema version %lld needs an upgrade to %d: open it read-write",
			    st->path, (long long)from, CPNS_STORE_VERSION);
	ret = begin(st);
	if (ret)
		return ret;
	for (v = from; v < CPNS_STORE_VERSION && !ret; v++)
		ret = upgrade[v] ? exec(st, upgrade[v], "upgrading the schema") :
				   fail(st, -EBADMSG,
					"%s: no upgrade from schema version %lld",
					st->path, (long long)v);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 CPNS_STORE_VERSION);
	if (!ret)
		ret = exec(st, sql, "user_version");
	if (ret) {
		rollback(st);
		return ret;
	}
	return commit(st);
}

/* Our application_id, a schema version we know (upgraded if older). */
static int check_header(struct cpns_store *st)
{
	int64_t app, version, tables;
	int ret;

	ret = pragma_int(st, "PRAGMA application_id", &app);
	if (!ret)
		ret = pragma_int(st, "PRAGMA user_version", &version);
	if (!ret)
		ret = pragma_int(st,
				 "SELECT count(*) FROM sqlite_schema WHERE name IN ('seeds', 'devices')",
				 &tables);
	if (ret)
		return ret;
	if (app != CPNS_STORE_APP_ID)
		return fail(st, -EBADMSG,
			    "%s: not a cpns store (SQLite application_id %#llx, want %#x)",
			    st->path, (unsigned long long)app,
			    CPNS_STORE_APP_ID);
	if (version > CPNS_STORE_VERSION)
		return fail(st, -EBADMSG,
			    "%s: schema version %lld is newer than this program's (%d): refusing it",
			    st->path, (long long)version, CPNS_STORE_VERSION);
	if (version < 1 || tables != 2)
		return fail(st, -EBADMSG,
			    "%s: schema version %lld with %lld of 2 tables: the store is torn or corrupted",
			    st->path, (long long)version, (long long)tables);
	if (version < CPNS_STORE_VERSION)
		return upgrade_schema(st, version);
	return 0;
}

/* Whether path is a store to open, or absent and to be made (*create). */
static int check_file(struct cpns_store *st, const char *path,
		      unsigned int flags, bool *create)
{
	struct stat sb;

	if (stat(path, &sb)) {
		if (errno != ENOENT || !(flags & CPNS_STORE_CREATE) ||
		    st->rdonly)
			return fail(st, -errno, "%s: %s", path,
				    strerror(errno));
		*create = true;
		return 0;
	}
	if (!S_ISREG(sb.st_mode))
		return fail(st, -EINVAL, "%s: not a regular file", path);
	if (sb.st_size == 0)
		/* SQLite would take it for a new database. */
		return fail(st, -EBADMSG,
			    "%s: empty file: the store is truncated (a new store is made only where no file exists)",
			    path);
	return 0;
}

/* The SQLite connection, its mode and pragmas; a new file is private. */
static int open_db(struct cpns_store *st, const char *path, bool create)
{
	int oflags, ret;

	oflags = st->rdonly ? SQLITE_OPEN_READONLY :
			      SQLITE_OPEN_READWRITE |
			      (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return st->db ? sql_fail(st, "open") :
				fail(st, -ENOMEM, "%s: out of memory", path);
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_MS);
	/* The file is private to its owner (root). */
	if (create && chmod(path, 0600))
		return fail(st, -errno, "%s: chmod: %s", path,
			    strerror(errno));
	if (!st->rdonly) {
		ret = exec(st, "PRAGMA journal_mode = WAL", "journal_mode");
		if (ret)
			return ret;
	}
	return exec(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
		    "pragmas");
}

int cpns_store_open(const char *path, unsigned int flags,
		    struct cpns_store **out, char *err, size_t errlen)
{
	struct cpns_store *st;
	bool create = false;
	int ret;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	snprintf(st->path, sizeof(st->path), "%s", path);
	st->rdonly = flags & CPNS_STORE_RDONLY;

	ret = check_file(st, path, flags, &create);
	if (!ret)
		ret = open_db(st, path, create);
	if (!ret && create)
		ret = create_schema(st);
	if (!ret)
		ret = integrity(st, flags & CPNS_STORE_FULL_CHECK);
	if (!ret)
		ret = check_header(st);
	if (!ret)
		ret = cpns_store_check_rows(st);
	if (ret) {
		snprintf(err, errlen, "%s", st->err);
		cpns_store_close(st);
		if (create)
			unlink(path);
		return ret;
	}
	*out = st;
	return 0;
}

void cpns_store_close(struct cpns_store *st)
{
	if (!st)
		return;
	if (st->db)
		sqlite3_close_v2(st->db);
	free(st);
}

/* ---------------------------------------------------------- changes */

/* Bind the seed row r to the INSERT of SEED_COLS prepared in s. */
static void bind_seed(sqlite3_stmt *s, const struct cpns_store_seed *r)
{
	bind_hex(s, 1, r->sid, sizeof(r->sid));
	sqlite3_bind_text(s, 2, r->owner, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, r->owner_addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, r->created);
	sqlite3_bind_text(s, 5, cpns_store_state_name(r->state), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (int64_t)r->expiry);
	sqlite3_bind_blob(s, 7, r->blob, (int)r->blob_len, SQLITE_TRANSIENT);
}

int cpns_store_seed_add(struct cpns_store *st, const struct cpns_store_seed *r)
{
	sqlite3_stmt *s;
	int ret;

	if (!cpns_store_state_name(r->state) ||
	    r->state == CPNS_STATE_UNCONFIRMED || !r->blob_len ||
	    r->blob_len > CPNS_MAX_BLOB || r->expiry > INT64_MAX)
		return fail(st, -EINVAL, "%s: invalid seed row", st->path);
	ret = begin(st);
	if (ret)
		return ret;
	s = prepare(st, "INSERT INTO seeds (" SEED_COLS
		    ") VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!s) {
		rollback(st);
		return sql_errno(sqlite3_extended_errcode(st->db));
	}
	bind_seed(s, r);
	ret = step_done(st, s, "adding a seed");
	if (ret) {
		rollback(st);
		return ret;
	}
	return commit(st);
}

int cpns_store_seed_rotate(struct cpns_store *st,
			   const struct cpns_store_seed *r,
			   const uint8_t (*old)[CPNS_SEED_ID_LEN], size_t nold,
			   uint64_t retire_at)
{
	static const char *const sql[] = {
		"UPDATE seeds SET expiry = ?2 WHERE seed_id = ?1 AND state = 'active' AND (expiry = 0 OR expiry > ?2)",
		"UPDATE devices SET expiry = ?2 WHERE seed_id = ?1 AND (expiry = 0 OR expiry > ?2)",
	};
	sqlite3_stmt *s;
	size_t i, j;
	int ret;

	if (!cpns_store_state_name(r->state) ||
	    r->state == CPNS_STATE_UNCONFIRMED || !r->blob_len ||
	    r->blob_len > CPNS_MAX_BLOB || r->expiry > INT64_MAX ||
	    !retire_at || retire_at > INT64_MAX)
		return fail(st, -EINVAL, "%s: invalid seed row or retirement",
			    st->path);
	for (i = 0; i < nold; i++)
		if (!memcmp(old[i], r->sid, sizeof(r->sid)))
			return fail(st, -EINVAL,
				    "%s: a new seed cannot retire itself",
				    st->path);
	ret = begin(st);
	if (ret)
		return ret;
	s = prepare(st, "INSERT INTO seeds (" SEED_COLS
		    ") VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!s) {
		rollback(st);
		return sql_errno(sqlite3_extended_errcode(st->db));
	}
	bind_seed(s, r);
	ret = step_done(st, s, "adding a seed");
	for (i = 0; i < nold && !ret; i++) {
		for (j = 0; j < 2 && !ret; j++) {
			s = prepare(st, sql[j]);
			if (!s) {
				ret = sql_errno(sqlite3_extended_errcode(st->db));
				break;
			}
			bind_hex(s, 1, old[i], CPNS_SEED_ID_LEN);
			sqlite3_bind_int64(s, 2, (int64_t)retire_at);
			ret = step_done(st, s, "retiring a seed");
		}
	}
	if (ret) {
		rollback(st);
		return ret;
	}
	return commit(st);
}

int cpns_store_next_expiry(struct cpns_store *st, uint64_t *when)
{
	int64_t v;
	int ret;

	ret = pragma_int(st,
			 "SELECT coalesce(min(e), 0) FROM (SELECT min(expiry) AS e FROM seeds WHERE expiry > 0 UNION ALL SELECT min(expiry) FROM devices WHERE expiry > 0)",
			 &v);
	if (!ret)
		*when = v > 0 ? (uint64_t)v : 0;
	return ret;
}

/* One statement on one ID in its own transaction; *changes if not NULL. */
static int change_one(struct cpns_store *st, const char *sql,
		      const uint8_t *id, size_t len, const char *what,
		      int *changes)
{
	sqlite3_stmt *s;
	int ret = begin(st);

	if (ret)
		return ret;
	s = prepare(st, sql);
	if (!s) {
		rollback(st);
		return sql_errno(sqlite3_extended_errcode(st->db));
	}
	bind_hex(s, 1, id, len);
	ret = step_done(st, s, what);
	if (ret) {
		rollback(st);
		return ret;
	}
	if (changes)
		*changes = sqlite3_changes(st->db);
	return commit(st);
}

int cpns_store_seed_del(struct cpns_store *st,
			const uint8_t sid[CPNS_SEED_ID_LEN])
{
	sqlite3_stmt *s;
	int ret = begin(st);

	if (ret)
		return ret;
	s = prepare(st, "DELETE FROM devices WHERE seed_id = ?1");
	if (!s) {
		rollback(st);
		return sql_errno(sqlite3_extended_errcode(st->db));
	}
	bind_hex(s, 1, sid, CPNS_SEED_ID_LEN);
	ret = step_done(st, s, "deleting a seed's devices");
	if (!ret) {
		s = prepare(st, "DELETE FROM seeds WHERE seed_id = ?1");
		if (!s) {
			rollback(st);
			return sql_errno(sqlite3_extended_errcode(st->db));
		}
		bind_hex(s, 1, sid, CPNS_SEED_ID_LEN);
		ret = step_done(st, s, "deleting a seed");
	}
	if (!ret && !sqlite3_changes(st->db))
		ret = fail(st, -ENOENT, "%s: no such seed", st->path);
	if (ret) {
		rollback(st);
		return ret;
	}
	return commit(st);
}

static int get_one(struct cpns_store *st, const char *sql, const uint8_t *id,
		   size_t len, void *row, bool seed)
{
	sqlite3_stmt *s = prepare(st, sql);
	char hex[2 * CPNS_DEVICE_ID_LEN + 1];
	int rc, ret;

	if (!s)
		return sql_errno(sqlite3_extended_errcode(st->db));
	bind_hex(s, 1, id, len);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ret = seed ? seed_row(st, s, row) : device_row(st, s, row);
	} else if (rc == SQLITE_DONE) {
		cpns_hex_encode(hex, id, len);
		ret = fail(st, -ENOENT, "%s: no %s %s stored", st->path,
			   seed ? "seed" : "device", hex);
	} else {
		ret = sql_fail(st, "reading a row");
	}
	sqlite3_finalize(s);
	return ret;
}

int cpns_store_seed_get(struct cpns_store *st,
			const uint8_t sid[CPNS_SEED_ID_LEN],
			struct cpns_store_seed *r)
{
	return get_one(st, "SELECT " SEED_COLS " FROM seeds WHERE seed_id = ?1",
		       sid, CPNS_SEED_ID_LEN, r, true);
}

int cpns_store_device_get(struct cpns_store *st,
			  const uint8_t did[CPNS_DEVICE_ID_LEN],
			  struct cpns_store_device *r)
{
	return get_one(st,
		       "SELECT " DEVICE_COLS " FROM devices WHERE device_id = ?1",
		       did, CPNS_DEVICE_ID_LEN, r, false);
}

int cpns_store_seed_revoke(struct cpns_store *st,
			   const uint8_t sid[CPNS_SEED_ID_LEN],
			   bool *was_revoked)
{
	struct cpns_store_seed r;
	int changes = 0, ret;

	ret = cpns_store_seed_get(st, sid, &r);
	if (ret)
		return ret;
	*was_revoked = r.state == CPNS_STATE_REVOKED;
	ret = change_one(st,
			 "UPDATE seeds SET state = 'revoked' WHERE seed_id = ?1",
			 sid, CPNS_SEED_ID_LEN, "revoking a seed", &changes);
	if (!ret && !changes)
		ret = fail(st, -ENOENT, "%s: the seed went away", st->path);
	return ret;
}

int cpns_store_device_put(struct cpns_store *st,
			  const struct cpns_store_device *r)
{
	sqlite3_stmt *s;
	int ret;

	if (!cpns_store_state_name(r->state) || r->blob_len > CPNS_MAX_BLOB ||
	    (!r->blob_len && r->state != CPNS_STATE_REVOKED) ||
	    memcmp(r->sid, r->did, sizeof(r->sid)) || r->expiry > INT64_MAX)
		return fail(st, -EINVAL, "%s: invalid device row", st->path);
	ret = begin(st);
	if (ret)
		return ret;
	s = prepare(st, "INSERT OR REPLACE INTO devices (" DEVICE_COLS
		    ") VALUES (?, ?, ?, ?, ?, ?, ?)");
	if (!s) {
		rollback(st);
		return sql_errno(sqlite3_extended_errcode(st->db));
	}
	bind_hex(s, 1, r->did, sizeof(r->did));
	bind_hex(s, 2, r->sid, sizeof(r->sid));
	sqlite3_bind_int64(s, 3, r->generation);
	sqlite3_bind_text(s, 4, cpns_store_state_name(r->state), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, r->created);
	sqlite3_bind_int64(s, 6, (int64_t)r->expiry);
	if (r->blob_len)
		sqlite3_bind_blob(s, 7, r->blob, (int)r->blob_len,
				  SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, 7);
	ret = step_done(st, s, "storing a device record");
	if (ret == -EINVAL &&
	    sqlite3_extended_errcode(st->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
		ret = fail(st, -ENOENT, "%s: the device's seed is not stored",
			   st->path);
	if (ret) {
		rollback(st);
		return ret;
	}
	return commit(st);
}

int cpns_store_device_del(struct cpns_store *st,
			  const uint8_t did[CPNS_DEVICE_ID_LEN])
{
	int changes = 0, ret;

	ret = change_one(st, "DELETE FROM devices WHERE device_id = ?1", did,
			 CPNS_DEVICE_ID_LEN, "deleting a device record",
			 &changes);
	if (!ret && !changes)
		ret = fail(st, -ENOENT, "%s: no such device record",
			   st->path);
	return ret;
}

int cpns_store_device_revoke(struct cpns_store *st,
			     const uint8_t did[CPNS_DEVICE_ID_LEN],
			     int64_t now, bool *was_revoked)
{
	struct cpns_store_device r;
	struct cpns_store_seed seed;
	int ret;

	ret = cpns_store_seed_get(st, did, &seed);
	if (ret)
		return ret;
	ret = cpns_store_device_get(st, did, &r);
	if (ret == -ENOENT) {
		memset(&r, 0, sizeof(r));
		memcpy(r.did, did, sizeof(r.did));
		memcpy(r.sid, did, sizeof(r.sid));
		r.created = now;
	} else if (ret) {
		return ret;
	}
	*was_revoked = r.state == CPNS_STATE_REVOKED;
	r.state = CPNS_STATE_REVOKED;
	return cpns_store_device_put(st, &r);
}

int cpns_store_expire(struct cpns_store *st, int64_t now,
		      cpns_store_expired_fn fn, void *arg)
{
	static const char *const sql[] = {
		"SELECT device_id, expiry FROM devices WHERE expiry > 0 AND expiry <= ?1",
		"SELECT seed_id, expiry FROM seeds WHERE expiry > 0 AND expiry <= ?1",
		"DELETE FROM devices WHERE (expiry > 0 AND expiry <= ?1) OR seed_id IN "
		"(SELECT seed_id FROM seeds WHERE expiry > 0 AND expiry <= ?1)",
		"DELETE FROM seeds WHERE expiry > 0 AND expiry <= ?1",
	};
	uint8_t id[CPNS_DEVICE_ID_LEN];
	sqlite3_stmt *s;
	size_t i;
	int rc, ret = begin(st);

	if (ret)
		return ret;
	for (i = 0; i < sizeof(sql) / sizeof(sql[0]) && !ret; i++) {
		s = prepare(st, sql[i]);
		if (!s) {
			ret = sql_errno(sqlite3_extended_errcode(st->db));
			break;
		}
		sqlite3_bind_int64(s, 1, now);
		if (i >= 2) {
			ret = step_done(st, s, "deleting expired rows");
			continue;
		}
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			size_t len = i ? CPNS_SEED_ID_LEN : CPNS_DEVICE_ID_LEN;

			ret = col_hex(st, s, 0, id, len, i ? "seeds" : "devices",
				      "id");
			if (ret)
				break;
			if (fn)
				fn(i == 1, id,
				   (uint64_t)sqlite3_column_int64(s, 1), arg);
		}
		if (!ret && rc != SQLITE_DONE)
			ret = sql_fail(st, "reading expired rows");
		sqlite3_finalize(s);
	}
	if (ret) {
		rollback(st);
		return ret;
	}
	return commit(st);
}

int cpns_store_count(struct cpns_store *st, struct cpns_store_counts *c)
{
	static const char *const sql[] = {
		"SELECT count(*) FROM seeds",
		"SELECT count(*) FROM seeds WHERE state = 'revoked'",
		"SELECT count(*) FROM devices WHERE blob IS NOT NULL",
		"SELECT count(*) FROM devices WHERE state = 'revoked'",
		"SELECT count(*) FROM devices WHERE blob IS NULL",
	};
	unsigned int *out[] = { &c->seeds, &c->seeds_revoked, &c->devices,
				&c->devices_revoked, &c->revocations };
	int64_t v;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		ret = pragma_int(st, sql[i], &v);
		if (ret)
			return ret;
		*out[i] = (unsigned int)v;
	}
	return 0;
}
