// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The store's SQLite backend (backend.h): one file, the embedded default.
 * WAL mode with synchronous=FULL, so that a committed transaction survives
 * a crash of the process or of the machine; every change is one
 * BEGIN IMMEDIATE ... COMMIT, so a kill -9 leaves either all of it or
 * none. The file carries our application_id; its schema version is in
 * schema_version (and, for sqlite3(1), PRAGMA user_version, which is all
 * a store of version 1 has).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "backend.h"

#define STORE_BUSY_MS	5000	/* wait for another writer (cpnsctl) */
#define MAX_COLS	20

#define HEX_CHECK(col, n) \
	" CHECK (length(" col ") = " #n " AND " col " NOT GLOB '*[^0-9a-f]*')"

/* Version 2's devices table: every confirmed assignment is a row. */
#define DEVICES_V2(name) \
	"CREATE TABLE " name " (" \
	" device_id TEXT PRIMARY KEY NOT NULL" HEX_CHECK("device_id", 32) "," \
	" seed_id TEXT NOT NULL REFERENCES seeds (seed_id)" \
	"  CHECK (seed_id = substr(device_id, 1, 16))," \
	" generation INTEGER NOT NULL CHECK (generation >= 0)," \
	" state TEXT NOT NULL" \
	"  CHECK (state IN ('active', 'unconfirmed', 'revoked'))," \
	" created INTEGER NOT NULL," \
	" expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0)," \
	" blob BLOB CHECK (blob IS NULL OR length(blob) BETWEEN 1 AND 128)," \
	" gw1_name TEXT NOT NULL DEFAULT ''," \
	" gw1_addr TEXT NOT NULL DEFAULT ''," \
	" assigned INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0)," \
	" last_auth INTEGER NOT NULL DEFAULT 0 CHECK (last_auth >= 0)," \
	" last_addr TEXT NOT NULL DEFAULT ''," \
	" CHECK (blob IS NOT NULL OR state <> 'unconfirmed')" \
	") WITHOUT ROWID;"

#define DEVICES_V2_INDEXES \
	"CREATE INDEX devices_by_seed ON devices (seed_id);" \
	"CREATE INDEX devices_by_gw1 ON devices (gw1_name, device_id);"

/*
 * Version 3's: a device's seed is its Device ID's first 16 digits and its
 * GW1 that seed's owner, not columns of their own; the Device ID is the
 * only index but for the few rows with an expiry (a retiring seed's).
 */
#define DEVICES_V3(name) \
	"CREATE TABLE " name " (" \
	" device_id TEXT PRIMARY KEY NOT NULL" HEX_CHECK("device_id", 32) "," \
	" generation INTEGER NOT NULL CHECK (generation >= 0)," \
	" state TEXT NOT NULL" \
	"  CHECK (state IN ('active', 'unconfirmed', 'revoked'))," \
	" created INTEGER NOT NULL," \
	" expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0)," \
	" blob BLOB CHECK (blob IS NULL OR length(blob) BETWEEN 1 AND 128)," \
	" gw1_addr TEXT NOT NULL DEFAULT ''," \
	" assigned INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0)," \
	" last_auth INTEGER NOT NULL DEFAULT 0 CHECK (last_auth >= 0)," \
	" last_addr TEXT NOT NULL DEFAULT ''," \
	" CHECK (blob IS NOT NULL OR state <> 'unconfirmed')" \
	") WITHOUT ROWID;"

#define DEVICES_V3_INDEXES \
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"

/*
 * Version 4's: compact (Documentation/store.rst, "A device row"). The
 * Device ID is 16 bytes, the state the integer of enum cpns_state, and of
 * a record's blob the row keeps the header fields that its other columns
 * do not hold (key_*) and the salt and sealed bytes (sealed): all five
 * or none.
 */
#define KEY_NONE_OR_ALL \
	" CHECK ((sealed IS NULL AND key_state IS NULL AND" \
	" key_generation IS NULL AND key_offset IS NULL AND" \
	" key_expiry IS NULL) OR (sealed IS NOT NULL AND" \
	" key_state IS NOT NULL AND key_generation IS NOT NULL AND" \
	" key_offset IS NOT NULL AND key_expiry IS NOT NULL))"
/* The key columns' rules: an unconfirmed record has a blob; all or none. */
#define DEVICE_KEY_CHECKS \
	" CHECK (sealed IS NOT NULL OR state <> 5)," \
	KEY_NONE_OR_ALL

/*
 * A record state (1 active, 4 revoked, 5 unconfirmed). Written as
 * comparisons, not "IN (1, 4, 5)": SQLite builds a temporary b-tree for
 * an IN list of three or more values each time a row's CHECK runs. Stores
 * made with the IN form hold the same rule.
 */
#define STATE_IS(col) \
	"(" col " = 1 OR " col " = 4 OR " col " = 5)"

/* The key columns of versions 4 to 6's devices table. */
#define DEVICE_ID_V4 \
	" device_id BLOB PRIMARY KEY NOT NULL" \
	"  CHECK (typeof(device_id) = 'blob' AND length(device_id) = 16),"
#define DEVICE_KEY_COLS \
	" generation INTEGER NOT NULL" \
	"  CHECK (generation BETWEEN 0 AND 4294967295)," \
	" state INTEGER NOT NULL CHECK " STATE_IS("state") "," \
	" created INTEGER NOT NULL CHECK (created >= 0)," \
	" expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0)," \
	" key_state INTEGER CHECK " STATE_IS("key_state") "," \
	" key_generation INTEGER" \
	"  CHECK (key_generation BETWEEN 0 AND 4294967295)," \
	" key_offset INTEGER," \
	" key_expiry INTEGER CHECK (key_expiry >= 0)," \
	" sealed BLOB" \
	"  CHECK (typeof(sealed) IN ('null', 'blob') AND length(sealed) = 64),"

#define DEVICES_V4(name) \
	"CREATE TABLE " name " (" \
	DEVICE_ID_V4 \
	DEVICE_KEY_COLS \
	" gw1_addr TEXT NOT NULL DEFAULT ''," \
	" assigned INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0)," \
	" last_auth INTEGER NOT NULL DEFAULT 0 CHECK (last_auth >= 0)," \
	" last_addr TEXT NOT NULL DEFAULT ''," \
	DEVICE_KEY_CHECKS \
	") WITHOUT ROWID;"

#define VERSION_TABLE(v) \
	"CREATE TABLE schema_version (application TEXT NOT NULL," \
	" version INTEGER NOT NULL);" \
	"INSERT INTO schema_version VALUES ('" STORE_APP "', " #v ");"

/*
 * Version 3: the seeds' change counter (cpns_store_changes()), which
 * triggers move on every change to the seeds table, whoever makes it.
 */
#define SEED_TRIGGER(name, event) \
	"CREATE TRIGGER " name " AFTER " event " ON seeds BEGIN" \
	" UPDATE changes SET n = n + 1 WHERE what = 'seeds'; END;"
#define SEED_TRIGGERS \
	SEED_TRIGGER("seeds_added", "INSERT") \
	SEED_TRIGGER("seeds_changed", "UPDATE") \
	SEED_TRIGGER("seeds_deleted", "DELETE")
#define CHANGES_V3 \
	"CREATE TABLE changes (what TEXT PRIMARY KEY NOT NULL," \
	" n INTEGER NOT NULL CHECK (n >= 0)) WITHOUT ROWID;" \
	"INSERT INTO changes VALUES ('seeds', 0);" \
	SEED_TRIGGERS

/*
 * Version 4: the devices' change counter (cpns_store_changes()), which
 * triggers move when a device row's state, generation or blob (its key_*
 * columns and sealed) change or the row goes, and when a row is added
 * with other values than a device without a row has (generation 0,
 * active, no blob): an inventory row alone, and its last authentication,
 * do not.
 */
/* An update of a device row that moves the counter: its key changed. */
#define KEY_CHANGED \
	" WHEN old.state IS NOT new.state" \
	" OR old.generation IS NOT new.generation" \
	" OR old.sealed IS NOT new.sealed" \
	" OR old.key_state IS NOT new.key_state" \
	" OR old.key_generation IS NOT new.key_generation" \
	" OR old.key_offset IS NOT new.key_offset" \
	" OR old.key_expiry IS NOT new.key_expiry"
#define DEVICE_BUMP \
	" BEGIN UPDATE changes SET n = n + 1 WHERE what = 'devices'; END;"
#define CHANGES_V4 \
	"INSERT INTO changes VALUES ('devices', 0);" \
	"CREATE TRIGGER devices_added AFTER INSERT ON devices" \
	" WHEN new.generation <> 0 OR new.state <> 1" \
	" OR new.sealed IS NOT NULL" DEVICE_BUMP \
	"CREATE TRIGGER devices_changed AFTER UPDATE ON devices" \
	KEY_CHANGED DEVICE_BUMP \
	"CREATE TRIGGER devices_deleted AFTER DELETE ON devices" DEVICE_BUMP

/*
 * Version 5's: the inventory compact too (store.rst, "A device row"): the
 * two addresses as bytes (an IPv4 or IPv6 address and its port, or the
 * text that is no such address), the two times as offsets from created,
 * NULL for none.
 */
#define INVENTORY_V5 \
	" gw1_addr BLOB CHECK (typeof(gw1_addr) IN ('null', 'blob')" \
	"  AND length(gw1_addr) BETWEEN 1 AND 65)," \
	" assigned_offset INTEGER" \
	"  CHECK (typeof(assigned_offset) IN ('null', 'integer'))," \
	" last_auth_offset INTEGER" \
	"  CHECK (typeof(last_auth_offset) IN ('null', 'integer'))," \
	" last_addr BLOB CHECK (typeof(last_addr) IN ('null', 'blob')" \
	"  AND length(last_addr) BETWEEN 1 AND 65),"
#define DEVICES_V5(name) \
	"CREATE TABLE " name " (" \
	DEVICE_ID_V4 \
	DEVICE_KEY_COLS \
	INVENTORY_V5 \
	DEVICE_KEY_CHECKS \
	") WITHOUT ROWID;"

/*
 * Version 6's (store.rst, "A device row"): a device is its seed's number
 * (seeds.num) and its Device ID's last 8 bytes, and gw1_addr may be the
 * port alone, on the host of the seed's owner_addr.
 */
#define SEEDS_V6(name) \
	"CREATE TABLE " name " (" \
	" seed_id TEXT PRIMARY KEY NOT NULL" HEX_CHECK("seed_id", 16) "," \
	" owner TEXT NOT NULL," \
	" owner_addr TEXT NOT NULL," \
	" created INTEGER NOT NULL," \
	" state TEXT NOT NULL CHECK (state IN ('active', 'revoked'))," \
	" expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0)," \
	" blob BLOB NOT NULL CHECK (length(blob) BETWEEN 1 AND 128)," \
	" num INTEGER NOT NULL UNIQUE" \
	"  CHECK (typeof(num) = 'integer' AND num > 0)" \
	") WITHOUT ROWID;"
#define DEVICES_V6(name) \
	"CREATE TABLE " name " (" \
	" seed INTEGER NOT NULL REFERENCES seeds (num)" \
	"  CHECK (typeof(seed) = 'integer' AND seed > 0)," \
	" suffix BLOB NOT NULL" \
	"  CHECK (typeof(suffix) = 'blob' AND length(suffix) = 8)," \
	DEVICE_KEY_COLS \
	INVENTORY_V5 \
	" PRIMARY KEY (seed, suffix)," \
	DEVICE_KEY_CHECKS \
	") WITHOUT ROWID;"

/*
 * Version 5: the devices' change log (cpns_store_device_log()). Each time
 * a trigger moves the devices' counter, it appends the Device ID with the
 * counter's new value as its seq, and drops the entries LOG_KEEP or more
 * changes old.
 */
#define LOG_KEEP	"1024"	/* CPNS_STORE_LOG_KEEP */
#define DEVICE_LOG(id) \
	" BEGIN UPDATE changes SET n = n + 1 WHERE what = 'devices';" \
	" INSERT OR REPLACE INTO device_log VALUES" \
	" ((SELECT n FROM changes WHERE what = 'devices'), " id ");" \
	" DELETE FROM device_log WHERE seq <=" \
	" (SELECT n FROM changes WHERE what = 'devices') - " LOG_KEEP "; END;"
#define DEVICE_TRIGGERS(log_new, log_old) \
	"CREATE TRIGGER devices_added AFTER INSERT ON devices" \
	" WHEN new.generation <> 0 OR new.state <> 1" \
	" OR new.sealed IS NOT NULL" log_new \
	"CREATE TRIGGER devices_changed AFTER UPDATE ON devices" \
	KEY_CHANGED log_new \
	"CREATE TRIGGER devices_deleted AFTER DELETE ON devices" log_old
#define DEVICE_TRIGGERS_V5 \
	DEVICE_TRIGGERS(DEVICE_LOG("new.device_id"), \
			DEVICE_LOG("old.device_id"))
#define LOG_V5 \
	"CREATE TABLE device_log (seq INTEGER PRIMARY KEY NOT NULL," \
	" device_id BLOB NOT NULL);"

/* Version 6's log: the Device ID as hex text, of the row's seed. */
#define LOG_ID(row) \
	"(SELECT seed_id FROM seeds WHERE num = " row ".seed)" \
	" || lower(hex(" row ".suffix))"
#define DEVICE_TRIGGERS_V6 \
	DEVICE_TRIGGERS(DEVICE_LOG(LOG_ID("new")), DEVICE_LOG(LOG_ID("old")))
#define LOG_V6 \
	"CREATE TABLE device_log (seq INTEGER PRIMARY KEY NOT NULL," \
	" device_id TEXT NOT NULL);"

/* Each CHECK is a row rule that SQLite enforces on every write; store.c
 * applies the same rules to what was read, since a file edited behind
 * SQLite's back skips them.
 */
static const char schema_v6[] =
	"PRAGMA application_id = 1129336403;"	/* CPNS_STORE_APP_ID */
	VERSION_TABLE(6)
	SEEDS_V6("seeds")
	DEVICES_V6("devices")
	DEVICES_V3_INDEXES
	CHANGES_V3
	"INSERT INTO changes VALUES ('devices', 0);"
	LOG_V6
	DEVICE_TRIGGERS_V6
	"PRAGMA user_version = 6;";

/* upgrade[v] takes a store of version v to v + 1. Version 1 had device
 * rows for re-keyed and revoked devices only, no inventory columns, and
 * its version in user_version only; version 2 had the seed_id and
 * gw1_name columns and their indexes, and no change counter; version 3
 * had the Device ID as hex text, the state as text and the whole blob,
 * and no devices' change counter; version 4 had the addresses as text,
 * the times as seconds since the epoch (0: none), and no change log;
 * version 5 had the Device ID as 16 bytes, the seeds unnumbered, the log's
 * Device IDs as bytes, and no 2-byte gw1_addr (a text of 2 characters was
 * those 2 bytes: the upgrade adds its zero byte).
 */
static const char *const upgrade[CPNS_STORE_VERSION] = {
	[1] = VERSION_TABLE(2)
	      DEVICES_V2("devices_v2")
	      "INSERT INTO devices_v2 (device_id, seed_id, generation, state,"
	      " created, expiry, blob) SELECT device_id, seed_id, generation,"
	      " state, created, expiry, blob FROM devices;"
	      "DROP TABLE devices;"
	      "ALTER TABLE devices_v2 RENAME TO devices;"
	      DEVICES_V2_INDEXES
	      "PRAGMA user_version = 2;",
	[2] = DEVICES_V3("devices_v3")
	      "INSERT INTO devices_v3 SELECT device_id, generation, state,"
	      " created, expiry, blob, gw1_addr, assigned, last_auth,"
	      " last_addr FROM devices;"
	      "DROP TABLE devices;"
	      "ALTER TABLE devices_v3 RENAME TO devices;"
	      DEVICES_V3_INDEXES
	      CHANGES_V3
	      "PRAGMA user_version = 3;",
	[3] = DEVICES_V4("devices_v4")
	      "INSERT INTO devices_v4 SELECT cpns_unhex(device_id),"
	      " generation, CASE state WHEN 'active' THEN 1"
	      " WHEN 'revoked' THEN 4 WHEN 'unconfirmed' THEN 5 END,"
	      " created, expiry, cpns_be(blob, 3, 1), cpns_be(blob, 4, 4),"
	      " cpns_be(blob, 8, 8) - created, cpns_be(blob, 16, 8),"
	      " substr(blob, 41, 64), gw1_addr, assigned, last_auth,"
	      " last_addr FROM devices;"
	      "DROP TABLE devices;"
	      "ALTER TABLE devices_v4 RENAME TO devices;"
	      DEVICES_V3_INDEXES
	      CHANGES_V4
	      "PRAGMA user_version = 4;",
	[4] = DEVICES_V5("devices_v5")
	      "INSERT INTO devices_v5 SELECT device_id, generation, state,"
	      " created, expiry, key_state, key_generation, key_offset,"
	      " key_expiry, sealed, cpns_addr(gw1_addr),"
	      " CASE assigned WHEN 0 THEN NULL ELSE assigned - created END,"
	      " CASE last_auth WHEN 0 THEN NULL ELSE last_auth - created END,"
	      " cpns_addr(last_addr) FROM devices;"
	      "DROP TABLE devices;"
	      "ALTER TABLE devices_v5 RENAME TO devices;"
	      DEVICES_V3_INDEXES
	      LOG_V5
	      DEVICE_TRIGGERS_V5
	      "PRAGMA user_version = 5;",
	[5] = SEEDS_V6("seeds_v6")
	      "INSERT INTO seeds_v6 SELECT seed_id, owner, owner_addr,"
	      " created, state, expiry, blob,"
	      " row_number() OVER (ORDER BY seed_id) FROM seeds;"
	      "DROP TABLE seeds;"
	      "ALTER TABLE seeds_v6 RENAME TO seeds;"
	      SEED_TRIGGERS
	      DEVICES_V6("devices_v6")
	      "INSERT INTO devices_v6 SELECT s.num, substr(d.device_id, 9),"
	      " generation, d.state, d.created, d.expiry, key_state,"
	      " key_generation, key_offset, key_expiry, sealed,"
	      " cpns_addr_v6(gw1_addr), assigned_offset, last_auth_offset,"
	      " cpns_addr_v6(last_addr) FROM devices d JOIN seeds s"
	      " ON s.seed_id = lower(hex(substr(d.device_id, 1, 8)))"
	      " ORDER BY d.device_id;"
	      "DROP TABLE devices;"
	      "ALTER TABLE devices_v6 RENAME TO devices;"
	      DEVICES_V3_INDEXES
	      "DROP TABLE device_log;"
	      LOG_V6
	      DEVICE_TRIGGERS_V6
	      "PRAGMA user_version = 6;",
};

/* Before the upgrade to version 6: a version 5 row whose seed is not
 * stored.
 */
#define V5_ORPHAN \
	"SELECT lower(hex(device_id)) FROM devices" \
	" WHERE lower(hex(substr(device_id, 1, 8)))" \
	" NOT IN (SELECT seed_id FROM seeds) LIMIT 1"

/*
 * Before the upgrade to version 4: a version 3 row whose Device ID,
 * state or blob the compact row cannot hold (a blob that is no server
 * record of store.rst for its Device ID, or whose times do not fit).
 */
#define V3_BAD_ROW \
	"SELECT device_id FROM devices WHERE typeof(device_id) <> 'text'" \
	" OR length(device_id) <> 32 OR device_id GLOB '*[^0-9a-f]*'" \
	" OR state NOT IN ('active', 'revoked', 'unconfirmed')" \
	" OR (blob IS NOT NULL AND (typeof(blob) <> 'blob'" \
	" OR length(blob) <> 104 OR substr(blob, 1, 3) <> x'010201'" \
	" OR cpns_be(blob, 3, 1) NOT IN (1, 4, 5)" \
	" OR lower(hex(substr(blob, 25, 16))) <> device_id" \
	" OR cpns_be(blob, 8, 1) > 127 OR cpns_be(blob, 16, 1) > 127))" \
	" LIMIT 1"

static sqlite3 *db_of(struct cpns_store *st)
{
	return st->be;
}

/*
 * SQL functions of the upgrades to versions 4 to 6: cpns_be(B, OFF, LEN), the
 * big-endian integer of LEN (at most 8) bytes of blob B at offset OFF
 * (NULL if B is NULL or too short); cpns_unhex(T), the bytes of hex text
 * T (NULL if it is not hex).
 */
static void fn_be(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const uint8_t *b = sqlite3_value_blob(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);
	int off = sqlite3_value_int(argv[1]), n = sqlite3_value_int(argv[2]);
	uint64_t v = 0;

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || !b || off < 0 ||
	    n < 1 || n > 8 || off + n > len) {
		sqlite3_result_null(ctx);
		return;
	}
	while (n--)
		v = v << 8 | b[off++];
	sqlite3_result_int64(ctx, (sqlite3_int64)v);
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void fn_unhex(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	uint8_t out[64];
	size_t i, len = t ? strlen(t) : 0;

	(void)argc;
	if (!t || len % 2 || len / 2 > sizeof(out)) {
		sqlite3_result_null(ctx);
		return;
	}
	for (i = 0; i < len / 2; i++) {
		if (nibble(t[2 * i]) < 0 || nibble(t[2 * i + 1]) < 0) {
			sqlite3_result_null(ctx);
			return;
		}
		out[i] = (uint8_t)(nibble(t[2 * i]) << 4 | nibble(t[2 * i + 1]));
	}
	sqlite3_result_blob(ctx, out, (int)(len / 2), SQLITE_TRANSIENT);
}

/* cpns_addr(T): an address column of version 5 from version 4's text T
 * (NULL for ''). */
static void fn_addr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *t = (const char *)sqlite3_value_text(argv[0]);
	uint8_t out[STORE_ADDR_BYTES];
	size_t len;

	(void)argc;
	if (!t || strlen(t) > CPNS_STORE_ADDR_MAX) {
		sqlite3_result_error(ctx, "not an address of a version 4 row",
				     -1);
		return;
	}
	len = store_addr_pack(t, out);
	if (!len)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_blob(ctx, out, (int)len, SQLITE_TRANSIENT);
}

/* cpns_addr_v6(B): version 5's address column B as version 6 has it. */
static void fn_addr_v6(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const uint8_t *b = sqlite3_value_blob(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);
	uint8_t out[3];

	(void)argc;
	if (sqlite3_value_type(argv[0]) != SQLITE_BLOB || len != 2) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	memcpy(out, b, 2);
	out[2] = 0;
	sqlite3_result_blob(ctx, out, 3, SQLITE_TRANSIENT);
}

static int sq_functions(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;

	if (sqlite3_create_function(db, "cpns_be", 3, flags, NULL, fn_be,
				    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "cpns_unhex", 1, flags, NULL,
				    fn_unhex, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "cpns_addr", 1, flags, NULL, fn_addr,
				    NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "cpns_addr_v6", 1, flags, NULL,
				    fn_addr_v6, NULL, NULL) != SQLITE_OK)
		return -1;
	return 0;
}

/* A SQLite result code as an errno, corruption as -EBADMSG. */
static int sql_errno(int rc)
{
	switch (rc) {
	case SQLITE_CONSTRAINT_PRIMARYKEY:
	case SQLITE_CONSTRAINT_UNIQUE:
		return -EEXIST;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOLINK;
	}
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
	int rc = sqlite3_extended_errcode(db_of(st)), err = sql_errno(rc);

	return store_fail(st, err, "%s: %s: %s%s", st->path, what,
			  sqlite3_errmsg(db_of(st)),
			  err == -EBADMSG ? " (the store is corrupted)" : "");
}

static int exec(struct cpns_store *st, const char *sql, const char *what)
{
	if (sqlite3_exec(db_of(st), sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(st, what);
	return 0;
}

static void bind(sqlite3_stmt *s, const struct sv *p, int np)
{
	char name[16];
	int i, idx;

	for (i = 0; i < np; i++) {
		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(s, name);
		if (!idx)
			continue;
		switch (p[i].type) {
		case SV_NULL:
			sqlite3_bind_null(s, idx);
			break;
		case SV_INT:
			sqlite3_bind_int64(s, idx, p[i].i);
			break;
		case SV_TEXT:
			sqlite3_bind_text(s, idx, p[i].s, -1, SQLITE_STATIC);
			break;
		case SV_BLOB:
			sqlite3_bind_blob(s, idx, p[i].b, (int)p[i].len,
					  SQLITE_STATIC);
			break;
		}
	}
}

static void column(sqlite3_stmt *s, int i, struct sv *c)
{
	memset(c, 0, sizeof(*c));
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		c->type = SV_INT;
		c->i = sqlite3_column_int64(s, i);
		break;
	case SQLITE_TEXT:
		c->type = SV_TEXT;
		c->s = (const char *)sqlite3_column_text(s, i);
		if (!c->s || strlen(c->s) != (size_t)sqlite3_column_bytes(s, i))
			c->type = SV_NULL;	/* no memory, or a NUL inside */
		break;
	case SQLITE_BLOB:
		c->type = SV_BLOB;
		c->b = sqlite3_column_blob(s, i);
		c->len = (size_t)sqlite3_column_bytes(s, i);
		break;
	case SQLITE_FLOAT:
		c->type = SV_TEXT;	/* refused by every column check */
		c->s = "(a real number)";
		break;
	default:
		c->type = SV_NULL;
	}
}

/*
 * Statements stay prepared for the connection's life, found again by their
 * text: the store's SQL is a fixed set of a few dozen texts (the device
 * list's filters make at most 32 more), and preparing is most of what a
 * one-row query costs. A statement in use (a query made from another's row
 * callback) is not shared: another is prepared. Past SQ_STMT_MAX kept, a
 * statement is finalized after use.
 */
#define SQ_STMT_MAX	128

static sqlite3_stmt *sq_stmt(struct cpns_store *st, const char *sql,
			     bool *keep)
{
	sqlite3_stmt *s = NULL;
	unsigned int n = 0;

	while ((s = sqlite3_next_stmt(db_of(st), s))) {
		if (!sqlite3_stmt_busy(s) && !strcmp(sqlite3_sql(s), sql)) {
			*keep = true;
			return s;
		}
		n++;
	}
	*keep = n < SQ_STMT_MAX;
	if (sqlite3_prepare_v3(db_of(st), sql, -1,
			       *keep ? SQLITE_PREPARE_PERSISTENT : 0, &s,
			       NULL) != SQLITE_OK)
		return NULL;
	return s;
}

/* Done with s: ready for its next use (no binding left pointing at the
 * caller's memory), or finalized. */
static void sq_stmt_done(sqlite3_stmt *s, bool keep)
{
	if (!keep) {
		sqlite3_finalize(s);
		return;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static int sq_run(struct cpns_store *st, const char *sql, const struct sv *p,
		  int np, store_row_fn fn, void *arg, int64_t *changes)
{
	struct sv col[MAX_COLS];
	sqlite3_stmt *s;
	int rc, i, n, ret = 0;
	bool keep;

	s = sq_stmt(st, sql, &keep);
	if (!s)
		return sql_fail(st, "prepare");
	bind(s, p, np);
	n = sqlite3_column_count(s);
	if (n > MAX_COLS)
		n = MAX_COLS;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			column(s, i, &col[i]);
		if (fn)
			ret = fn(st, col, n, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, sqlite3_stmt_readonly(s) ? "reading" :
							      "writing");
	else if (!ret && changes)
		*changes = sqlite3_changes(db_of(st));
	sq_stmt_done(s, keep);
	return ret;
}

/* One statement without rows, through the kept statements. */
static int sq_step(struct cpns_store *st, const char *sql, const char *what)
{
	sqlite3_stmt *s;
	bool keep;
	int ret;

	s = sq_stmt(st, sql, &keep);
	if (!s)
		return sql_fail(st, what);
	ret = sqlite3_step(s) == SQLITE_DONE ? 0 : sql_fail(st, what);
	sq_stmt_done(s, keep);
	return ret;
}

static int sq_begin(struct cpns_store *st)
{
	return sq_step(st, st->rdonly ? "BEGIN" : "BEGIN IMMEDIATE", "begin");
}

static int sq_commit(struct cpns_store *st)
{
	return sq_step(st, "COMMIT", "commit");
}

static void sq_rollback(struct cpns_store *st)
{
	sqlite3_exec(db_of(st), "ROLLBACK", NULL, NULL, NULL);
}

static int query_int(struct cpns_store *st, const char *sql, int64_t *v)
{
	*v = -1;
	return sq_run(st, sql, NULL, 0, store_int_cb, v, NULL);
}

static int sq_version(struct cpns_store *st, int64_t *v, bool *empty)
{
	int64_t app, tables, versions, legacy;
	struct store_app a = { .rows = 0 };
	int ret;

	ret = query_int(st, "PRAGMA application_id", &app);
	if (!ret)
		ret = query_int(st, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
				&tables);
	if (!ret)
		ret = query_int(st, "SELECT count(*) FROM sqlite_schema WHERE name = 'schema_version'",
				&versions);
	if (!ret)
		ret = query_int(st, "PRAGMA user_version", &legacy);
	if (ret)
		return ret;
	*empty = false;
	if (!app && !tables && st->created) {
		*empty = true;
		return 0;
	}
	if (app != CPNS_STORE_APP_ID)
		return store_fail(st, -EBADMSG,
				  "%s: not a cpns store (SQLite application_id %#llx, want %#x)",
				  st->path, (unsigned long long)app,
				  CPNS_STORE_APP_ID);
	if (versions) {
		ret = sq_run(st, "SELECT application, version FROM schema_version",
			     NULL, 0, store_app_cb, &a, NULL);
		if (ret)
			return ret;
		if (a.rows != 1 || strcmp(a.name, STORE_APP))
			return store_fail(st, -EBADMSG,
					  "%s: schema_version has %d rows or names another application: the store is torn or corrupted",
					  st->path, a.rows);
		*v = a.version;
	} else {
		*v = legacy == 1 ? 1 : 0;	/* version 1 had no table */
	}
	ret = query_int(st, "SELECT count(*) FROM sqlite_schema WHERE name IN ('seeds', 'devices')",
			&tables);
	if (!ret && tables != 2 && *v <= CPNS_STORE_VERSION)
		ret = store_fail(st, -EBADMSG,
				 "%s: schema version %lld with %lld of 2 tables: the store is torn or corrupted",
				 st->path, (long long)*v, (long long)tables);
	return ret;
}

static int sq_create(struct cpns_store *st)
{
	return exec(st, schema_v6, "creating the schema");
}

static int sq_upgrade(struct cpns_store *st, int64_t from)
{
	int ret = 0;

	if (from < 1 || from >= CPNS_STORE_VERSION || !upgrade[from])
		return store_fail(st, -EBADMSG,
				  "%s: no upgrade from schema version %lld",
				  st->path, (long long)from);
	if (from == 3)
		ret = sq_run(st, V3_BAD_ROW, NULL, 0, store_v3_bad_row_cb, NULL,
			     NULL);
	if (from == 5)
		ret = sq_run(st, V5_ORPHAN, NULL, 0, store_v5_orphan_cb, NULL,
			     NULL);
	return ret ? ret : exec(st, upgrade[from], "upgrading the schema");
}

static int sq_integrity(struct cpns_store *st, bool full)
{
	const char *sql = full ? "PRAGMA integrity_check" :
				 "PRAGMA quick_check";
	sqlite3_stmt *s = NULL;
	const char *t;
	char *p;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(db_of(st), sql, -1, &s, NULL) != SQLITE_OK)
		return sql_fail(st, sql);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		ret = sql_fail(st, sql);
	} else {
		t = (const char *)sqlite3_column_text(s, 0);
		if (!t || strcmp(t, "ok")) {
			ret = store_fail(st, -EBADMSG,
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

/*
 * An upgrade rebuilds the devices table beside the old one, which leaves
 * the file twice the size; VACUUM gives the free pages back. A store in
 * use by another process stays as it is (the space is reused later).
 */
static void sq_compact(struct cpns_store *st)
{
	sqlite3_exec(db_of(st), "VACUUM", NULL, NULL, NULL);
}

/* Whether path is a store to open, or absent and to be made (*create). */
static int check_file(struct cpns_store *st, const char *path,
		      unsigned int flags, bool *create)
{
	struct stat sb;

	if (!strcmp(path, CPNS_STORE_MEMORY)) {
		*create = true;
		return 0;
	}
	if (stat(path, &sb)) {
		if (errno != ENOENT || !(flags & CPNS_STORE_CREATE) ||
		    st->rdonly)
			return store_fail(st, -errno, "%s: %s", path,
					  strerror(errno));
		*create = true;
		return 0;
	}
	if (!S_ISREG(sb.st_mode))
		return store_fail(st, -EINVAL, "%s: not a regular file", path);
	if (sb.st_size == 0)
		/* SQLite would take it for a new database. */
		return store_fail(st, -EBADMSG,
				  "%s: empty file: the store is truncated (a new store is made only where no file exists)",
				  path);
	return 0;
}

static void sq_close(struct cpns_store *st)
{
	sqlite3_stmt *s;

	while ((s = sqlite3_next_stmt(db_of(st), NULL)))
		sqlite3_finalize(s);
	sqlite3_close_v2(db_of(st));
	st->be = NULL;
	/* A store whose creation failed leaves no file behind. */
	if (st->created && st->failed && strcmp(st->path, CPNS_STORE_MEMORY))
		unlink(st->path);
}

/* The SQLite connection, its mode and pragmas; a new file is private. */
static int sq_open(struct cpns_store *st, const char *path,
		   unsigned int flags, bool *empty)
{
	sqlite3 *db = NULL;
	bool create = false;
	int oflags, ret;

	ret = check_file(st, path, flags, &create);
	if (ret)
		return ret;
	oflags = st->rdonly ? SQLITE_OPEN_READONLY :
			      SQLITE_OPEN_READWRITE |
			      (create ? SQLITE_OPEN_CREATE : 0);
	ret = sqlite3_open_v2(path, &db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	st->be = db;
	if (ret != SQLITE_OK)
		return db ? sql_fail(st, "open") :
			    store_fail(st, -ENOMEM, "%s: out of memory", path);
	st->created = create;
	*empty = create;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	if (sq_functions(db))
		return sql_fail(st, "functions");
	/* The file is private to its owner (root). */
	if (create && strcmp(path, CPNS_STORE_MEMORY) && chmod(path, 0600))
		return store_fail(st, -errno, "%s: chmod: %s", path,
				  strerror(errno));
	/*
	 * Before any page: 8 KiB leaves are fuller than 4 KiB ones under the
	 * devices' random keys, and a commit rewrites each leaf it touches
	 * whole, which 16 KiB ones make dearer.
	 */
	if (create) {
		ret = exec(st, "PRAGMA page_size = 8192", "page_size");
		if (ret)
			return ret;
	}
	if (!st->rdonly) {
		ret = exec(st, "PRAGMA journal_mode = WAL", "journal_mode");
		if (ret)
			return ret;
	}
	return exec(st, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON",
		    "pragmas");
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.seed_num = "(SELECT coalesce(max(num), 0) + 1 FROM seeds)",
	.open = sq_open,
	.close = sq_close,
	.run = sq_run,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.version = sq_version,
	.create = sq_create,
	.upgrade = sq_upgrade,
	.integrity = sq_integrity,
	.compact = sq_compact,
};
