// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The store's PostgreSQL backend (backend.h), through libpq: the store of
 * a fleet, one database that several servers may share. The target is a
 * libpq connection URI ("postgresql://user@host:port/dbname?..."); its
 * password, if it has one, is never shown (st->path is the URI with it
 * replaced by "*"). Every change is one transaction (READ COMMITTED; the
 * rows a change depends on are written by single statements), the schema
 * is made or upgraded under a transaction-scoped advisory lock, so that
 * servers starting together make it once. A connection that broke is
 * made again at the start of the next transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "backend.h"

#define MAX_COLS	20
#define MAX_PARAMS	16
#define CONNECT_TIMEOUT	"10"	/* seconds, unless the URI says otherwise */

/* The OIDs of the types used (src/include/catalog/pg_type.dat). */
#define BYTEAOID	17
#define INT8OID		20
#define INT2OID		21
#define INT4OID		23
#define TEXTOID		25

#define HEX_CHECK(col, n) \
	" CHECK (" col " ~ '^[0-9a-f]{" #n "}$')"

/*
 * The seeds' change counter (cpns_store_changes()), which a trigger
 * moves once per row of the seeds table that a statement changes,
 * whoever runs it; the counter's row lock orders those transactions.
 */
#define CHANGES_V3 \
	"CREATE TABLE changes (what TEXT COLLATE \"C\" PRIMARY KEY," \
	" n BIGINT NOT NULL CHECK (n >= 0));" \
	"INSERT INTO changes VALUES ('seeds', 0);" \
	"CREATE FUNCTION cpns_seeds_changed() RETURNS trigger" \
	" LANGUAGE plpgsql AS $$BEGIN" \
	" UPDATE changes SET n = n + 1 WHERE what = 'seeds';" \
	" RETURN NULL; END$$;" \
	"CREATE TRIGGER seeds_changed AFTER INSERT OR UPDATE OR DELETE" \
	" ON seeds FOR EACH ROW" \
	" EXECUTE FUNCTION cpns_seeds_changed();"

/*
 * Version 4: the devices' change counter (cpns_store_changes()), moved by
 * a device row whose state, generation or blob (its key_* columns and
 * sealed) change, that goes, or that is added with other values than a
 * device without a row has (generation 0, active, no blob). Here it moves
 * once per statement that changed such a row, not once per row: a COPY of
 * a fleet, or a seed deleted with its million devices, would otherwise
 * update one row a million times in one transaction, each update slower
 * than the last. Each branch reads only the transition tables its event
 * has (a PL/pgSQL expression is planned when it is first run).
 */
/* Of an update's old row o and new row n: the key changed. */
#define KEY_CHANGED \
	" WHERE o.state IS DISTINCT FROM n.state" \
	" OR o.generation IS DISTINCT FROM n.generation" \
	" OR o.sealed IS DISTINCT FROM n.sealed" \
	" OR o.key_state IS DISTINCT FROM n.key_state" \
	" OR o.key_generation IS DISTINCT FROM n.key_generation" \
	" OR o.key_offset IS DISTINCT FROM n.key_offset" \
	" OR o.key_expiry IS DISTINCT FROM n.key_expiry"
#define DEVICE_TRIGGER(name, event, tables) \
	"CREATE TRIGGER " name " AFTER " event " ON devices" \
	" REFERENCING " tables " FOR EACH STATEMENT" \
	" EXECUTE FUNCTION cpns_devices_changed();"
#define DEVICE_TRIGGERS \
	DEVICE_TRIGGER("devices_added", "INSERT", "NEW TABLE AS new_rows") \
	DEVICE_TRIGGER("devices_changed", "UPDATE", \
		       "OLD TABLE AS old_rows NEW TABLE AS new_rows") \
	DEVICE_TRIGGER("devices_deleted", "DELETE", "OLD TABLE AS old_rows")
#define CHANGES_V4 \
	"INSERT INTO changes VALUES ('devices', 0);" \
	"CREATE FUNCTION cpns_devices_changed() RETURNS trigger" \
	" LANGUAGE plpgsql AS $$DECLARE moved boolean; BEGIN" \
	" IF TG_OP = 'DELETE' THEN" \
	"  moved := EXISTS (SELECT 1 FROM old_rows);" \
	" ELSIF TG_OP = 'INSERT' THEN" \
	"  moved := EXISTS (SELECT 1 FROM new_rows" \
	"   WHERE generation <> 0 OR state <> 1 OR sealed IS NOT NULL);" \
	" ELSE" \
	"  moved := EXISTS (SELECT 1 FROM old_rows o" \
	"   JOIN new_rows n USING (device_id)" \
	KEY_CHANGED ");" \
	" END IF;" \
	" IF moved THEN" \
	"  UPDATE changes SET n = n + 1 WHERE what = 'devices';" \
	" END IF;" \
	" RETURN NULL; END$$;" \
	DEVICE_TRIGGERS

/* The key columns of versions 4 to 6's devices table. */
#define DEVICE_ID_V4 \
	" device_id BYTEA PRIMARY KEY CHECK (length(device_id) = 16),"
#define DEVICE_KEY_COLS \
	" generation BIGINT NOT NULL" \
	"  CHECK (generation BETWEEN 0 AND 4294967295)," \
	" state SMALLINT NOT NULL CHECK (state IN (1, 4, 5))," \
	" created BIGINT NOT NULL CHECK (created >= 0)," \
	" expiry BIGINT NOT NULL DEFAULT 0 CHECK (expiry >= 0)," \
	" key_state SMALLINT CHECK (key_state IN (1, 4, 5))," \
	" key_generation BIGINT" \
	"  CHECK (key_generation BETWEEN 0 AND 4294967295)," \
	" key_offset BIGINT," \
	" key_expiry BIGINT CHECK (key_expiry >= 0)," \
	" sealed BYTEA CHECK (length(sealed) = 64),"
/* Their rules: an unconfirmed record has a blob; all five or none. */
#define DEVICE_KEY_CHECKS \
	" CHECK (sealed IS NOT NULL OR state <> 5)," \
	" CHECK ((sealed IS NULL AND key_state IS NULL AND" \
	" key_generation IS NULL AND key_offset IS NULL AND" \
	" key_expiry IS NULL) OR (sealed IS NOT NULL AND" \
	" key_state IS NOT NULL AND key_generation IS NOT NULL AND" \
	" key_offset IS NOT NULL AND key_expiry IS NOT NULL))"

/*
 * Version 4's devices table: compact (Documentation/store.rst, "A device
 * row"), as SQLite's.
 */
#define DEVICES_V4(name) \
	"CREATE TABLE " name " (" \
	DEVICE_ID_V4 \
	DEVICE_KEY_COLS \
	" gw1_addr TEXT NOT NULL DEFAULT ''," \
	" assigned BIGINT NOT NULL DEFAULT 0 CHECK (assigned >= 0)," \
	" last_auth BIGINT NOT NULL DEFAULT 0 CHECK (last_auth >= 0)," \
	" last_addr TEXT NOT NULL DEFAULT ''," \
	DEVICE_KEY_CHECKS ");"

/*
 * Version 5's devices table: the inventory compact too (store.rst, "A
 * device row"), as SQLite's.
 */
#define INVENTORY_V5 \
	" gw1_addr BYTEA CHECK (length(gw1_addr) BETWEEN 1 AND 65)," \
	" assigned_offset BIGINT," \
	" last_auth_offset BIGINT," \
	" last_addr BYTEA CHECK (length(last_addr) BETWEEN 1 AND 65),"
#define DEVICES_V5(name) \
	"CREATE TABLE " name " (" \
	DEVICE_ID_V4 \
	DEVICE_KEY_COLS \
	INVENTORY_V5 \
	DEVICE_KEY_CHECKS ");"

/*
 * Version 6's: a device is its seed's number (seeds.num, from the
 * sequence seeds_num) and its Device ID's last 8 bytes, as SQLite's.
 */
#define SEEDS_NUM \
	" num BIGINT NOT NULL DEFAULT nextval('seeds_num')" \
	"  CONSTRAINT seeds_num_key UNIQUE" \
	"  CONSTRAINT seeds_num_check CHECK (num > 0)"
#define DEVICES_V6(name) \
	"CREATE TABLE " name " (" \
	" seed BIGINT NOT NULL REFERENCES seeds (num) CHECK (seed > 0)," \
	" suffix BYTEA NOT NULL CHECK (length(suffix) = 8)," \
	DEVICE_KEY_COLS \
	INVENTORY_V5 \
	" PRIMARY KEY (seed, suffix)," \
	DEVICE_KEY_CHECKS ");"

/*
 * Version 5: the devices' change log (cpns_store_device_log()). The
 * statement trigger that moves the devices' counter appends the Device
 * IDs it counted, each with the counter's new value as its seq, unless
 * they are more than LOG_ROWS (a bulk change: a COPY, a seed deleted with
 * its devices; readers then find that seq missing and read everything
 * again), and drops the entries LOG_KEEP or more changes old. The
 * counter's row lock, held to the commit, orders the seqs as the commits.
 * The transition tables have no statistics: a nested loop joining an
 * UPDATE's old and new rows (a seed rotation's 10^5 devices) would take
 * their product, so the function plans without one (a hash join).
 */
#define LOG_KEEP	"1024"	/* CPNS_STORE_LOG_KEEP */
#define LOG_ROWS	"64"
#define LOG_V5 \
	"CREATE TABLE device_log (seq BIGINT NOT NULL," \
	" device_id BYTEA NOT NULL, PRIMARY KEY (seq, device_id));"
#define LOGGED_SET(tg_op, set, id) \
	" IF TG_OP = '" tg_op "' THEN" \
	"  SELECT count(*) INTO k FROM (SELECT 1 FROM " set \
	"   LIMIT " LOG_ROWS " + 1) AS x;" \
	"  IF k = 0 THEN RETURN NULL; END IF;" \
	"  UPDATE changes SET n = n + 1 WHERE what = 'devices'" \
	"   RETURNING n INTO s;" \
	"  IF k <= " LOG_ROWS " THEN" \
	"   INSERT INTO device_log SELECT DISTINCT s, " id " FROM " set ";" \
	"  END IF;" \
	" END IF;"
#define DEVICE_FN(key, id) \
	"CREATE OR REPLACE FUNCTION cpns_devices_changed() RETURNS trigger" \
	" LANGUAGE plpgsql SET enable_nestloop = off" \
	" AS $$DECLARE k bigint; s bigint; BEGIN" \
	LOGGED_SET("DELETE", "old_rows", id) \
	LOGGED_SET("INSERT", "new_rows WHERE generation <> 0 OR state <> 1" \
		   " OR sealed IS NOT NULL", id) \
	LOGGED_SET("UPDATE", "old_rows o JOIN new_rows n USING (" key ")" \
		   KEY_CHANGED, id) \
	" DELETE FROM device_log WHERE seq <= s - " LOG_KEEP ";" \
	" RETURN NULL; END$$;"
#define DEVICE_FN_V5	DEVICE_FN("device_id", "device_id")

/* Version 6's log: the Device ID as hex text, of the row's seed. */
#define LOG_V6 \
	"CREATE TABLE device_log (seq BIGINT NOT NULL," \
	" device_id TEXT COLLATE \"C\" NOT NULL," \
	" PRIMARY KEY (seq, device_id));"
#define DEVICE_FN_V6 \
	DEVICE_FN("seed, suffix", "(SELECT seed_id FROM seeds" \
		  " WHERE num = seed) || encode(suffix, 'hex')")

static const char schema_v6[] =
	"CREATE TABLE schema_version (application TEXT NOT NULL,"
	" version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES ('" STORE_APP "', 6);"
	"CREATE SEQUENCE seeds_num;"
	"CREATE TABLE seeds ("
	" seed_id TEXT COLLATE \"C\" PRIMARY KEY" HEX_CHECK("seed_id", 16) ","
	" owner TEXT NOT NULL,"
	" owner_addr TEXT NOT NULL,"
	" created BIGINT NOT NULL,"
	" state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),"
	" expiry BIGINT NOT NULL DEFAULT 0 CHECK (expiry >= 0),"
	" blob BYTEA NOT NULL CHECK (length(blob) BETWEEN 1 AND 128),"
	SEEDS_NUM ");"
	"ALTER SEQUENCE seeds_num OWNED BY seeds.num;"
	DEVICES_V6("devices")
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	CHANGES_V3
	"INSERT INTO changes VALUES ('devices', 0);"
	LOG_V6
	DEVICE_FN_V6
	DEVICE_TRIGGERS;

struct pg {
	PGconn *conn;
	bool in_txn;
};

static struct pg *pg_of(struct cpns_store *st)
{
	return st->be;
}

/* libpq's message on one line, without its final newline. */
static const char *one_line(char *buf, size_t len, const char *msg)
{
	char *p;

	snprintf(buf, len, "%s", msg && *msg ? msg : "unknown error");
	for (p = buf; *p; p++)
		if (*p == '\n')
			*p = p[1] ? ' ' : '\0';
	return buf;
}

static int sqlstate_errno(const char *state)
{
	if (!state)
		return -ECONNRESET;
	if (!strcmp(state, "23505"))
		return -EEXIST;
	if (!strcmp(state, "23503"))
		return -ENOLINK;
	if (!strncmp(state, "23", 2))
		return -EINVAL;
	if (!strcmp(state, "25006"))
		return -EROFS;
	if (!strncmp(state, "28", 2) || !strcmp(state, "42501"))
		return -EACCES;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57", 2))
		return -ECONNRESET;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
	    !strcmp(state, "55P03"))
		return -EBUSY;
	if (!strcmp(state, "42P01") || !strcmp(state, "42703"))
		return -EBADMSG;	/* a table or column is missing */
	if (!strncmp(state, "53", 2))
		return -ENOSPC;
	return -EIO;
}

static int pg_fail(struct cpns_store *st, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) :
				  NULL;
	int err = sqlstate_errno(state);
	char msg[STORE_ERRLEN];

	one_line(msg, sizeof(msg), res ? PQresultErrorMessage(res) :
					 PQerrorMessage(pg_of(st)->conn));
	store_fail(st, err, "%s: %s: %s%s", st->path, what, msg,
		   err == -EBADMSG ? " (the store is torn or corrupted)" : "");
	return err;
}

/* The connection, made again if it broke outside a transaction. */
static int connected(struct cpns_store *st)
{
	struct pg *pg = pg_of(st);
	char msg[STORE_ERRLEN];

	if (PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	if (!pg->in_txn)
		PQreset(pg->conn);
	if (PQstatus(pg->conn) == CONNECTION_OK)
		return 0;
	return store_fail(st, -ECONNRESET, "%s: connection lost: %s",
			  st->path,
			  one_line(msg, sizeof(msg),
				   PQerrorMessage(pg->conn)));
}

struct params {
	const char *v[MAX_PARAMS];
	Oid types[MAX_PARAMS];
	int len[MAX_PARAMS];
	int fmt[MAX_PARAMS];
	char num[MAX_PARAMS][24];
};

static void params(struct params *q, const struct sv *p, int np)
{
	int i;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < np; i++) {
		switch (p[i].type) {
		case SV_NULL:
			break;
		case SV_INT:
			snprintf(q->num[i], sizeof(q->num[i]), "%lld",
				 (long long)p[i].i);
			q->v[i] = q->num[i];
			q->types[i] = INT8OID;
			break;
		case SV_TEXT:
			q->v[i] = p[i].s;
			q->types[i] = TEXTOID;
			break;
		case SV_BLOB:
			q->v[i] = (const char *)p[i].b;
			q->len[i] = (int)p[i].len;
			q->fmt[i] = 1;
			q->types[i] = BYTEAOID;
			break;
		}
	}
}

/* Column i of row r; a bytea is unescaped into *mem (freed by the caller). */
static void column(PGresult *res, int r, int i, struct sv *c,
		   unsigned char **mem)
{
	const char *v = PQgetvalue(res, r, i);
	size_t len = 0;
	char *end;

	memset(c, 0, sizeof(*c));
	*mem = NULL;
	if (PQgetisnull(res, r, i))
		return;
	switch (PQftype(res, i)) {
	case INT8OID:
	case INT4OID:
	case INT2OID:
		errno = 0;
		c->i = strtoll(v, &end, 10);
		c->type = errno || *end ? SV_NULL : SV_INT;
		break;
	case BYTEAOID:
		*mem = PQunescapeBytea((const unsigned char *)v, &len);
		if (*mem) {
			c->type = SV_BLOB;
			c->b = *mem;
			c->len = len;
		}
		break;
	default:
		c->type = SV_TEXT;
		c->s = v;
	}
}

static int rows(struct cpns_store *st, PGresult *res, store_row_fn fn,
		void *arg)
{
	unsigned char *mem[MAX_COLS];
	struct sv col[MAX_COLS];
	int r, i, n = PQnfields(res), ret = 0;

	if (n > MAX_COLS)
		n = MAX_COLS;
	for (r = 0; r < PQntuples(res) && !ret; r++) {
		for (i = 0; i < n; i++)
			column(res, r, i, &col[i], &mem[i]);
		ret = fn(st, col, n, arg);
		for (i = 0; i < n; i++)
			PQfreemem(mem[i]);
	}
	return ret;
}

static int pg_run(struct cpns_store *st, const char *sql, const struct sv *p,
		  int np, store_row_fn fn, void *arg, int64_t *changes)
{
	struct params q;
	PGresult *res;
	int ret;

	if (np > MAX_PARAMS)
		return store_fail(st, -EINVAL, "%s: too many parameters",
				  st->path);
	ret = connected(st);
	if (ret)
		return ret;
	params(&q, p, np);
	res = PQexecParams(pg_of(st)->conn, sql, np, q.types, q.v, q.len,
			   q.fmt, 0);
	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		ret = fn ? rows(st, res, fn, arg) : 0;
		break;
	case PGRES_COMMAND_OK:
		if (changes)
			*changes = strtoll(PQcmdTuples(res), NULL, 10);
		ret = 0;
		break;
	default:
		ret = pg_fail(st, res, strncmp(sql, "SELECT", 6) ? "writing" :
								    "reading");
	}
	PQclear(res);
	return ret;
}

static int exec(struct cpns_store *st, const char *sql, const char *what)
{
	PGresult *res = PQexec(pg_of(st)->conn, sql);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		ret = pg_fail(st, res, what);
	PQclear(res);
	return ret;
}

static int pg_begin(struct cpns_store *st)
{
	int ret = connected(st);

	if (!ret)
		ret = exec(st, "BEGIN", "begin");
	if (!ret)
		pg_of(st)->in_txn = true;
	return ret;
}

static int pg_commit(struct cpns_store *st)
{
	int ret = exec(st, "COMMIT", "commit");

	pg_of(st)->in_txn = false;
	return ret;
}

static void pg_rollback(struct cpns_store *st)
{
	PQclear(PQexec(pg_of(st)->conn, "ROLLBACK"));
	pg_of(st)->in_txn = false;
}

static int tables(struct cpns_store *st, const char *where, int64_t *n)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()%s",
		 where);
	return pg_run(st, sql, NULL, 0, store_int_cb, n, NULL);
}

static int pg_version(struct cpns_store *st, int64_t *v, bool *empty)
{
	struct store_app a = { .rows = 0 };
	int64_t all, versions, ours;
	int ret;

	*empty = false;
	/* Servers starting together: one makes or upgrades the schema. */
	ret = exec(st, "SELECT pg_advisory_xact_lock(1129336403)",
		   "locking the schema");
	if (!ret)
		ret = tables(st, "", &all);
	if (!ret)
		ret = tables(st, " AND tablename = 'schema_version'",
			     &versions);
	if (!ret)
		ret = tables(st, " AND tablename IN ('seeds', 'devices')",
			     &ours);
	if (ret)
		return ret;
	if (!all) {
		*empty = true;
		return 0;
	}
	if (!versions)
		return store_fail(st, -EBADMSG,
				  "%s: not a cpns store (its schema has %lld tables but no schema_version)",
				  st->path, (long long)all);
	ret = pg_run(st, "SELECT application, version FROM schema_version",
		     NULL, 0, store_app_cb, &a, NULL);
	if (ret)
		return ret;
	if (a.rows != 1 || strcmp(a.name, STORE_APP))
		return store_fail(st, -EBADMSG,
				  "%s: not a cpns store, or a torn one (schema_version has %d rows, application '%s')",
				  st->path, a.rows, a.rows ? a.name : "");
	*v = a.version;
	if (ours != 2 && *v <= CPNS_STORE_VERSION)
		return store_fail(st, -EBADMSG,
				  "%s: schema version %lld with %lld of 2 tables: the store is torn or corrupted",
				  st->path, (long long)*v, (long long)ours);
	return 0;
}

static int pg_create(struct cpns_store *st)
{
	return exec(st, schema_v6, "creating the schema");
}

/*
 * upgrade[v] takes a store of version v to v + 1. PostgreSQL stores begin
 * at version 2. Version 3 drops the devices' seed_id and gw1_name (the
 * Device ID's first 16 digits and that seed's owner), their foreign key
 * and indexes with them, and adds the seeds' change counter (CHANGES_V3);
 * version 4 the devices' (CHANGES_V4); version 5 packs the inventory
 * columns (the addresses in C, store_v5_addrs(), into the table
 * devices_v5_addrs that making the new devices table joins) and adds the
 * log; version 6 numbers the seeds, splits the Device ID into its seed's
 * number and suffix, and gives a 2-byte address text its zero byte.
 */
/* The big-endian integer of n bytes of a bytea at (1-based) offset. */
#define BE(col, off, n) \
	"('x' || lpad(encode(substr(" col ", " #off ", " #n "), 'hex')," \
	" 16, '0'))::bit(64)::bigint"

static const char *const upgrade[CPNS_STORE_VERSION] = {
	[2] = "ALTER TABLE devices DROP COLUMN seed_id,"
	      " DROP COLUMN gw1_name;"
	      "CREATE INDEX devices_by_expiry ON devices (expiry)"
	      " WHERE expiry > 0;"
	      CHANGES_V3,
	[3] = DEVICES_V4("devices_v4")
	      "INSERT INTO devices_v4 SELECT decode(device_id, 'hex'),"
	      " generation, CASE state WHEN 'active' THEN 1"
	      " WHEN 'revoked' THEN 4 WHEN 'unconfirmed' THEN 5 END,"
	      " created, expiry, get_byte(blob, 3), " BE("blob", 5, 4) ","
	      " " BE("blob", 9, 8) " - created, " BE("blob", 17, 8) ","
	      " substr(blob, 41, 64), gw1_addr, assigned, last_auth,"
	      " last_addr FROM devices;"
	      "DROP TABLE devices;"
	      "ALTER TABLE devices_v4 RENAME TO devices;"
	      "ALTER TABLE devices RENAME CONSTRAINT devices_v4_pkey"
	      " TO devices_pkey;"
	      "CREATE INDEX devices_by_expiry ON devices (expiry)"
	      " WHERE expiry > 0;"
	      CHANGES_V4,
	[4] = "CREATE UNLOGGED TABLE devices_v5_addrs (device_id BYTEA,"
	      " gw1_addr BYTEA, last_addr BYTEA);",
	[5] = "CREATE SEQUENCE seeds_num;"
	      "ALTER TABLE seeds ADD COLUMN num BIGINT;"
	      "ALTER TABLE seeds DISABLE TRIGGER USER;"
	      "UPDATE seeds SET num = x.n FROM (SELECT seed_id,"
	      " row_number() OVER (ORDER BY seed_id) AS n FROM seeds) AS x"
	      " WHERE seeds.seed_id = x.seed_id;"
	      "ALTER TABLE seeds ENABLE TRIGGER USER;"
	      "SELECT setval('seeds_num', (SELECT coalesce(max(num), 0) + 1"
	      " FROM seeds), false);"
	      "ALTER TABLE seeds ALTER COLUMN num SET NOT NULL,"
	      " ALTER COLUMN num SET DEFAULT nextval('seeds_num'),"
	      " ADD CONSTRAINT seeds_num_key UNIQUE (num),"
	      " ADD CONSTRAINT seeds_num_check CHECK (num > 0);",
};

/* The rest of the upgrade to version 6, once the seeds are numbered. */
#define ADDR_V6(col) \
	"CASE WHEN length(d." col ") = 2 THEN d." col " || '\\x00'::bytea" \
	" ELSE d." col " END"
static const char upgrade_v6_end[] =
	"ALTER SEQUENCE seeds_num OWNED BY seeds.num;"
	DEVICES_V6("devices_v6")
	"INSERT INTO devices_v6 SELECT s.num, substr(d.device_id, 9),"
	" d.generation, d.state, d.created, d.expiry, d.key_state,"
	" d.key_generation, d.key_offset, d.key_expiry, d.sealed,"
	" " ADDR_V6("gw1_addr") ", d.assigned_offset, d.last_auth_offset,"
	" " ADDR_V6("last_addr") " FROM devices d JOIN seeds s"
	" ON s.seed_id = encode(substr(d.device_id, 1, 8), 'hex');"
	"DROP TABLE devices;"
	"ALTER TABLE devices_v6 RENAME TO devices;"
	"ALTER TABLE devices RENAME CONSTRAINT devices_v6_pkey TO devices_pkey;"
	"ALTER TABLE devices RENAME CONSTRAINT devices_v6_seed_fkey"
	" TO devices_seed_fkey;"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	"DROP TABLE device_log;"
	LOG_V6
	DEVICE_FN_V6
	DEVICE_TRIGGERS;

/* Before the upgrade to version 6: as sqlite.c's V5_ORPHAN. */
#define V5_ORPHAN \
	"SELECT encode(device_id, 'hex') FROM devices" \
	" WHERE encode(substr(device_id, 1, 8), 'hex')" \
	" NOT IN (SELECT seed_id FROM seeds) LIMIT 1"

/* The rest of the upgrade to version 5, after store_v5_addrs(). */
static const char upgrade_v5_end[] =
	DEVICES_V5("devices_v5")
	"INSERT INTO devices_v5 SELECT d.device_id, generation, state,"
	" created, expiry, key_state, key_generation, key_offset,"
	" key_expiry, sealed, a.gw1_addr,"
	" CASE assigned WHEN 0 THEN NULL ELSE assigned - created END,"
	" CASE last_auth WHEN 0 THEN NULL ELSE last_auth - created END,"
	" a.last_addr FROM devices d"
	" LEFT JOIN devices_v5_addrs a USING (device_id);"
	"DROP TABLE devices_v5_addrs;"
	"DROP TABLE devices;"
	"ALTER TABLE devices_v5 RENAME TO devices;"
	"ALTER TABLE devices RENAME CONSTRAINT devices_v5_pkey TO devices_pkey;"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	LOG_V5
	DEVICE_FN_V5
	DEVICE_TRIGGERS;

/* Before the upgrade to version 4: as sqlite.c's V3_BAD_ROW. */
#define V3_BAD_ROW \
	"SELECT device_id FROM devices WHERE device_id !~ '^[0-9a-f]{32}$'" \
	" OR state NOT IN ('active', 'revoked', 'unconfirmed')" \
	" OR (blob IS NOT NULL AND (length(blob) <> 104" \
	" OR substr(blob, 1, 3) <> decode('010201', 'hex')" \
	" OR get_byte(blob, 3) NOT IN (1, 4, 5)" \
	" OR encode(substr(blob, 25, 16), 'hex') <> device_id" \
	" OR get_byte(blob, 8) > 127 OR get_byte(blob, 16) > 127))" \
	" LIMIT 1"

static int pg_upgrade(struct cpns_store *st, int64_t from)
{
	int ret = 0;

	if (from < 1 || from >= CPNS_STORE_VERSION || !upgrade[from])
		return store_fail(st, -EBADMSG,
				  "%s: no upgrade from schema version %lld",
				  st->path, (long long)from);
	if (from == 3)
		ret = pg_run(st, V3_BAD_ROW, NULL, 0, store_v3_bad_row_cb, NULL,
			     NULL);
	if (from == 5)
		ret = pg_run(st, V5_ORPHAN, NULL, 0, store_v5_orphan_cb, NULL,
			     NULL);
	if (!ret)
		ret = exec(st, upgrade[from], "upgrading the schema");
	if (!ret && from == 4)
		ret = store_v5_addrs(st, "devices", "devices_v5_addrs");
	if (!ret && from == 4)
		ret = exec(st, upgrade_v5_end, "upgrading the schema");
	if (!ret && from == 5)
		ret = exec(st, upgrade_v6_end, "upgrading the schema");
	return ret;
}

static int pg_integrity(struct cpns_store *st, bool full)
{
	(void)st;
	(void)full;
	return 0;
}

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/*
 * The URI as shown: "user:secret@" becomes "user:*@" and a password=
 * parameter "password=*".
 */
static void redact(char *out, size_t len, const char *uri)
{
	const char *p = strstr(uri, "://"), *auth, *at, *colon, *q;
	size_t n;

	snprintf(out, len, "%s", uri);
	if (!p)
		return;
	auth = p + 3;
	at = strpbrk(auth, "@/?");
	colon = at && *at == '@' ? memchr(auth, ':', (size_t)(at - auth)) :
				   NULL;
	if (colon) {
		n = (size_t)(colon - uri) + 1;
		snprintf(out, len, "%.*s*%s", (int)n, uri, at);
	}
	q = strstr(out, "password=");
	if (q && (q[-1] == '?' || q[-1] == '&')) {
		const char *e = strchr(q, '&');
		char tail[1024];

		snprintf(tail, sizeof(tail), "%s", e ? e : "");
		snprintf(out + (q - out) + 9, len - (size_t)(q - out) - 9,
			 "*%s", tail);
	}
}

static int pg_open(struct cpns_store *st, const char *uri, unsigned int flags,
		   bool *empty)
{
	static const char *const keys[] = {
		"connect_timeout", "fallback_application_name", "dbname", NULL
	};
	const char *values[] = { CONNECT_TIMEOUT, "cpns", uri, NULL };
	char msg[STORE_ERRLEN];
	struct pg *pg;
	int err;

	(void)flags;
	*empty = false;
	redact(st->path, sizeof(st->path), uri);
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return store_fail(st, -ENOMEM, "%s: out of memory", st->path);
	st->be = pg;
	pg->conn = PQconnectdbParams(keys, values, 1);
	if (!pg->conn)
		return store_fail(st, -ENOMEM, "%s: out of memory", st->path);
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		one_line(msg, sizeof(msg), PQerrorMessage(pg->conn));
		err = strstr(msg, "authentication") || strstr(msg, "password") ?
		      -EACCES : -ECONNREFUSED;
		return store_fail(st, err, "%s: cannot connect: %s", st->path,
				  msg);
	}
	PQsetNoticeProcessor(pg->conn, quiet, NULL);
	if (st->rdonly)
		return exec(st, "SET default_transaction_read_only = on",
			    "read-only");
	return 0;
}

static void pg_close(struct cpns_store *st)
{
	struct pg *pg = pg_of(st);

	PQfinish(pg->conn);
	free(pg);
	st->be = NULL;
}

const struct store_ops store_pg_ops = {
	.name = "postgresql",
	.seed_num = "nextval('seeds_num')",
	.open = pg_open,
	.close = pg_close,
	.run = pg_run,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.version = pg_version,
	.create = pg_create,
	.upgrade = pg_upgrade,
	.integrity = pg_integrity,
};
