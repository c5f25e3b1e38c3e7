// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * lib/store/ on the host: create, reopen, rows and their transactions,
 * labels, expiry, the inventory, and the refusals of a store that is not
 * ours, of a newer schema, torn, truncated, corrupted or edited. The blobs
 * are arbitrary bytes here: unwrapping is the kernel's (VM tests).
 *
 * One suite, two backends: SQLite files in a temporary directory, or,
 * with CPNS_TEST_STORE=postgresql://... in the environment, a PostgreSQL
 * database whose tables it drops and remakes (serverd/test/store_pg.sh
 * runs it so in the VM, against a real server). The tests of files
 * (truncated, damaged pages, modes) are SQLite's; those of connections
 * (a server that is not there, a wrong password) PostgreSQL's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "hex.h"
#include "store.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static char dir[] = "/tmp/cpns-test-store.XXXXXX";
static const char *pg;		/* CPNS_TEST_STORE: the PostgreSQL URI */

static void quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Run SQL on a store behind the library's back (as sqlite3(1) or psql(1)
 * would).
 */
static bool raw_sql(const char *path, const char *sql)
{
	PGresult *res;
	PGconn *c;
	sqlite3 *db;
	bool ok;

	if (cpns_store_is_url(path)) {
		c = PQconnectdb(path);
		PQsetNoticeProcessor(c, quiet, NULL);
		res = PQexec(c, sql);
		ok = PQstatus(c) == CONNECTION_OK &&
		     (PQresultStatus(res) == PGRES_COMMAND_OK ||
		      PQresultStatus(res) == PGRES_TUPLES_OK);
		if (!ok)
			tap_diag("raw SQL: %s", PQerrorMessage(c));
		PQclear(res);
		PQfinish(c);
		return ok;
	}
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return false;
	ok = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	return ok;
}

/* One integer that SQL selects, behind the library's back. */
static bool raw_count(const char *path, const char *sql, int64_t *v)
{
	PGresult *res;
	PGconn *c;
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	bool ok = false;

	if (cpns_store_is_url(path)) {
		c = PQconnectdb(path);
		res = PQexec(c, sql);
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1) {
			*v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
			ok = true;
		}
		PQclear(res);
		PQfinish(c);
		return ok;
	}
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return false;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		ok = true;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

/*
 * The target of a test's store: a new file in dir, or the database
 * emptied.
 */
static void path_of(char *out, size_t len, const char *name)
{
	if (pg) {
		snprintf(out, len, "%s", pg);
		raw_sql(pg, "DROP TABLE IF EXISTS devices, seeds, schema_version, changes, device_log, devices_v5, t CASCADE; DROP FUNCTION IF EXISTS cpns_seeds_changed(), cpns_devices_changed()");
		return;
	}
	snprintf(out, len, "%s/%s", dir, name);
}

static void seed_fill(struct cpns_store_seed *s, uint8_t n)
{
	memset(s, 0, sizeof(*s));
	memset(s->sid, n, sizeof(s->sid));
	snprintf(s->owner, sizeof(s->owner), "gw1-%u", n);
	snprintf(s->owner_addr, sizeof(s->owner_addr), "10.0.0.%u:4000", n);
	s->created = 1700000000 + n;
	s->state = CPNS_STATE_ACTIVE;
	s->blob_len = 90;
	memset(s->blob, 0xa0 + n, s->blob_len);
}

/* e: device did authenticated at when from addr. */
static void seen_set(struct cpns_store_seen *e, const uint8_t *did,
		     int64_t when, const char *addr)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->did, did, sizeof(e->did));
	e->when = when;
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
}

/*
 * A new store "name" (path into path) holding seed 3, as the tests of
 * schema version 5 start; NULL, the failure reported as "what: created".
 */
static struct cpns_store *store_seeded(char *path, size_t len,
				       const char *name, const char *what)
{
	struct cpns_store_seed s;
	struct cpns_store *st;
	char err[512];
	int ret;

	path_of(path, len, name);
	ret = cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err));
	if (!tap_ok(!ret && st, "%s: created (%s)", what, ret ? err : "ok"))
		return NULL;
	seed_fill(&s, 3);
	cpns_store_seed_add(st, &s);
	return st;
}

/* A device record's blob (store.rst): 104 bytes, the sealed part at 40. */
#define REC_LEN		104
#define SEALED(d)	((d).blob[40])

static void put_be(uint8_t *p, uint64_t v, int n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * A device record's blob of store.rst into out (REC_LEN bytes): version 1,
 * kind 2, role server, state, generation, created, expiry, the Device ID,
 * and for the salt and sealed bytes 64 bytes of b.
 */
static void rec_bytes(uint8_t *out, const uint8_t *did, uint8_t state,
		      uint32_t gen, int64_t created, int64_t expiry, uint8_t b)
{
	out[0] = 1;
	out[1] = CPNS_KEY_DEVICE;
	out[2] = CPNS_ROLE_SERVER;
	out[3] = state;
	put_be(out + 4, gen, 4);
	put_be(out + 8, (uint64_t)created, 8);
	put_be(out + 16, (uint64_t)expiry, 8);
	memcpy(out + 24, did, CPNS_DEVICE_ID_LEN);
	memset(out + 40, b, REC_LEN - 40);
}

/* d's blob: a record of its state, generation and created, sealed b. */
static void rec_blob(struct cpns_store_device *d, uint8_t b)
{
	rec_bytes(d->blob, d->did, d->state, d->generation, d->created, 0, b);
	d->blob_len = REC_LEN;
}

/* The same as hex text, for SQL by hand. */
static void rec_hex(char *out, const uint8_t *did, uint8_t state,
		    uint32_t gen, int64_t created, int64_t expiry, uint8_t b)
{
	uint8_t r[REC_LEN];
	int i;

	rec_bytes(r, did, state, gen, created, expiry, b);
	for (i = 0; i < REC_LEN; i++)
		sprintf(out + 2 * i, "%02x", r[i]);
}

static int count_cb(const struct cpns_store_seed *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static void expired_cb(bool is_seed, const uint8_t *id, uint64_t expiry,
		       void *arg)
{
	(void)id;
	(void)expiry;
	(*(int *)arg) += is_seed ? 100 : 1;
}

/* Open must fail with ret and a message containing want. */
static void refused(const char *path, unsigned int flags, int want_ret,
		    const char *want, const char *what)
{
	struct cpns_store *st;
	char err[512] = "";
	int ret = cpns_store_open(path, flags, &st, err, sizeof(err));

	tap_ok(ret == want_ret && !st && strstr(err, want),
	       "store: %s refused (%d, \"%s\")", what, ret, err);
	cpns_store_close(st);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out;

	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

static void test_basic(void)
{
	char path[256], err[512];
	struct cpns_store_seed s, g;
	struct cpns_store_device d, e;
	struct cpns_store_counts c;
	struct cpns_store *st;
	uint8_t l1[CPNS_STORE_LABEL_LEN], l2[CPNS_STORE_LABEL_LEN];
	bool was;
	int n, ret;

	path_of(path, sizeof(path), "a.db");
	refused(path, 0, -ENOENT, pg ? "holds no cpns store" : "No such file",
		"a missing store without create");
	ret = cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err));
	if (!tap_ok(!ret && st, "store: created (%s)", ret ? err : "ok"))
		return;
	seed_fill(&s, 1);
	tap_ok(!cpns_store_seed_add(st, &s), "store: seed added");
	ret = cpns_store_seed_add(st, &s);
	tap_ok(ret == -EEXIST, "store: the same Seed ID again: -EEXIST (%s)",
	       cpns_store_error(st));
	seed_fill(&s, 2);
	s.expiry = 1000;
	tap_ok(!cpns_store_seed_add(st, &s), "store: second seed added");

	memset(&d, 0, sizeof(d));
	memset(d.did, 1, 8);
	memset(d.did + 8, 0x55, 8);
	memcpy(d.sid, d.did, 8);
	d.generation = 1;
	d.state = CPNS_STATE_UNCONFIRMED;
	d.created = 1700000100;
	rec_blob(&d, 0x77);
	tap_ok(!cpns_store_device_put(st, &d), "store: device record stored");
	d.state = CPNS_STATE_ACTIVE;
	tap_ok(!cpns_store_device_put(st, &d) &&
	       !cpns_store_device_get(st, d.did, &e) &&
	       e.state == CPNS_STATE_ACTIVE && e.generation == 1 &&
	       e.blob_len == REC_LEN && !memcmp(e.blob, d.blob, REC_LEN),
	       "store: device record replaced and read back, its blob whole");
	e = d;
	e.blob[24] ^= 1;
	tap_ok(cpns_store_device_put(st, &e) == -EINVAL &&
	       strstr(cpns_store_error(st), "not a 104-byte server record"),
	       "store: a blob of another Device ID refused (%s)",
	       cpns_store_error(st));
	e = d;
	e.blob_len = 80;
	tap_ok(cpns_store_device_put(st, &e) == -EINVAL,
	       "store: a blob that is not a device record refused");
	e = d;
	e.blob[2] = CPNS_ROLE_GW2;
	tap_ok(cpns_store_device_put(st, &e) == -EINVAL,
	       "store: a device record of another role refused");
	memset(e.did, 9, 16);
	memcpy(e.sid, e.did, 8);
	rec_blob(&e, 0x77);
	tap_ok(cpns_store_device_put(st, &e) == -ENOENT,
	       "store: a device record of an unknown seed refused (%s)",
	       cpns_store_error(st));
	memcpy(e.sid, d.did, 8);
	tap_ok(cpns_store_device_put(st, &e) == -EINVAL,
	       "store: a device record whose seed_id is not its Device ID's refused");

	/* Revocation record of a derived device, then of a stored one. */
	memset(e.did, 1, 8);
	memset(e.did + 8, 0x66, 8);
	tap_ok(!cpns_store_device_revoke(st, e.did, 1700000200, &was) && !was,
	       "store: revocation record added");
	tap_ok(!cpns_store_device_revoke(st, e.did, 1700000300, &was) && was,
	       "store: revoking again is idempotent");
	tap_ok(!cpns_store_device_get(st, e.did, &e) &&
	       e.state == CPNS_STATE_REVOKED && !e.blob_len &&
	       e.created == 1700000200,
	       "store: the revocation record has no blob and keeps its time");
	tap_ok(!cpns_store_device_revoke(st, d.did, 1700000300, &was) && !was &&
	       !cpns_store_device_get(st, d.did, &e) &&
	       e.state == CPNS_STATE_REVOKED && e.blob_len == REC_LEN &&
	       !memcmp(e.blob, d.blob, REC_LEN),
	       "store: a re-keyed record revoked keeps its blob");
	memset(e.did, 7, 16);
	tap_ok(cpns_store_device_revoke(st, e.did, 0, &was) == -ENOENT,
	       "store: revoking a device of an unknown seed: -ENOENT");
	seed_fill(&s, 1);
	tap_ok(!cpns_store_seed_revoke(st, s.sid, &was) && !was &&
	       !cpns_store_seed_revoke(st, s.sid, &was) && was &&
	       !cpns_store_seed_get(st, s.sid, &g) &&
	       g.state == CPNS_STATE_REVOKED && !strcmp(g.owner, "gw1-1"),
	       "store: seed revoked, idempotently");
	ret = cpns_store_count(st, &c);
	tap_ok(!ret && c.seeds == 2 &&
	       c.seeds_revoked == 1 && c.devices == 1 &&
	       c.devices_revoked == 2 && c.revocations == 1,
	       "store: counts %u seeds (%u revoked), %u devices, %u revoked, %u revocation records",
	       c.seeds, c.seeds_revoked, c.devices, c.devices_revoked,
	       c.revocations);

	/* Labels: any bound column changes the label. */
	cpns_store_seed_label(&s, l1);
	s.created++;
	cpns_store_seed_label(&s, l2);
	n = !memcmp(l1, l2, sizeof(l1));
	s.created--;
	strcpy(s.owner, "gw1-x");
	cpns_store_seed_label(&s, l2);
	n += !memcmp(l1, l2, sizeof(l1));
	seed_fill(&s, 1);
	s.sid[7] ^= 1;
	cpns_store_seed_label(&s, l2);
	n += !memcmp(l1, l2, sizeof(l1));
	seed_fill(&s, 1);
	cpns_store_seed_label(&s, l2);
	tap_ok(!n && !memcmp(l1, l2, sizeof(l1)),
	       "store: seed label binds seed_id, owner and created");
	cpns_store_device_label(&d, l1);
	d.created++;
	cpns_store_device_label(&d, l2);
	tap_ok(memcmp(l1, l2, sizeof(l1)), "store: device label binds created");
	cpns_store_close(st);

	/* Reopen: everything is there. */
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	n = 0;
	tap_ok(!ret && !cpns_store_seeds(st, count_cb, &n) && n == 2,
	       "store: reopened with 2 seeds (%s)", ret ? err : "ok");
	n = 0;
	tap_ok(!cpns_store_expire(st, 999, expired_cb, &n) && n == 0,
	       "store: nothing expired before its time");
	ret = cpns_store_expire(st, 1000, expired_cb, &n);
	if (!ret)
		ret = cpns_store_count(st, &c);
	tap_ok(!ret && n == 100 && c.seeds == 1,
	       "store: the expired seed deleted (%d)", n);
	seed_fill(&s, 1);
	tap_ok(!cpns_store_seed_del(st, s.sid) && !cpns_store_count(st, &c) &&
	       c.seeds == 0 && c.devices == 0 && c.revocations == 0,
	       "store: a seed deleted with its device records");
	tap_ok(cpns_store_seed_del(st, s.sid) == -ENOENT,
	       "store: deleting it again: -ENOENT");
	cpns_store_close(st);

	ret = cpns_store_open(path, CPNS_STORE_RDONLY | CPNS_STORE_FULL_CHECK,
			      &st, err, sizeof(err));
	seed_fill(&s, 3);
	if (!ret)
		ret = cpns_store_seed_add(st, &s) == -EROFS ? 0 : -1;
	tap_ok(!ret,
	       "store: read-only open refuses changes (%s)",
	       ret ? err : cpns_store_error(st));
	cpns_store_close(st);
}

/* A store with a few seeds at path; 0 or -1. */
static int make_good(const char *path, int n)
{
	struct cpns_store_seed s;
	struct cpns_store *st;
	char err[512];
	int i;

	if (cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err))) {
		tap_ok(false, "store: create %s: %s", path, err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		seed_fill(&s, (uint8_t)i);
		s.sid[0] = (uint8_t)(i >> 8) + 1;
		s.blob_len = CPNS_MAX_BLOB;
		cpns_store_seed_add(st, &s);
	}
	cpns_store_close(st);	/* the last close checkpoints the WAL */
	return 0;
}

/* A copy of the good store to spoil: a file, or the database remade. */
static void variant(char *path, size_t len, const char *good,
		    const char *name)
{
	path_of(path, len, name);
	if (pg)
		make_good(path, 5);
	else
		copy_file(good, path);
}

/* Edits that only a hand behind the database's checks can make. */
static void spoil(const char *path, const char *sqlite_sql, const char *pg_sql)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "%s", pg ? pg_sql : sqlite_sql);
	tap_ok(raw_sql(path, sql), "store: edited by hand: %s", sql);
}

#define FIRST_SEED "(SELECT min(seed_id) FROM seeds)"

/* Refusals that change nothing: the store opens again once repaired. */
static void test_schema_refusals(const char *good)
{
	char path[256], err[512];
	struct cpns_store *st;
	int n = 0, ret;

	variant(path, sizeof(path), good, "newer.db");
	spoil(path, "UPDATE schema_version SET version = 7",
	      "UPDATE schema_version SET version = 7");
	refused(path, CPNS_STORE_CREATE, -EBADMSG, "newer",
		"a newer schema version");
	raw_sql(path, "UPDATE schema_version SET version = 6");
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	tap_ok(!ret && !cpns_store_seeds(st, count_cb, &n) &&
	       n == (pg ? 5 : 200),
	       "store: the refusal changed nothing (%d seeds; %s)", n,
	       ret ? err : "ok");
	cpns_store_close(st);

	variant(path, sizeof(path), good, "torn.db");
	spoil(path, "DROP TABLE seeds", "DROP TABLE seeds CASCADE");
	refused(path, 0, -EBADMSG, "torn", "a store missing a table");

	variant(path, sizeof(path), good, "v0.db");
	spoil(path, "UPDATE schema_version SET version = 0",
	      "UPDATE schema_version SET version = 0");
	refused(path, 0, -EBADMSG, "torn", "schema version 0");

	path_of(path, sizeof(path), "other.db");
	raw_sql(path, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
	refused(path, CPNS_STORE_CREATE, -EBADMSG, "not a cpns store",
		"another application's database");

	variant(path, sizeof(path), good, "row.db");
	spoil(path, "PRAGMA ignore_check_constraints = 1; UPDATE seeds SET seed_id = 'xyz' WHERE seed_id = " FIRST_SEED,
	      "ALTER TABLE seeds DROP CONSTRAINT seeds_seed_id_check; UPDATE seeds SET seed_id = 'xyz' WHERE seed_id = " FIRST_SEED);
	refused(path, 0, -EBADMSG, "corrupted", "a seed_id that is not hex");

	variant(path, sizeof(path), good, "state.db");
	spoil(path, "PRAGMA ignore_check_constraints = 1; UPDATE seeds SET state = 'weird' WHERE seed_id = " FIRST_SEED,
	      "ALTER TABLE seeds DROP CONSTRAINT seeds_state_check; UPDATE seeds SET state = 'weird' WHERE seed_id = " FIRST_SEED);
	refused(path, 0, -EBADMSG, "corrupted", "an unknown state");

	variant(path, sizeof(path), good, "blob.db");
	spoil(path, "PRAGMA ignore_check_constraints = 1; UPDATE seeds SET blob = zeroblob(200) WHERE seed_id = " FIRST_SEED,
	      "ALTER TABLE seeds DROP CONSTRAINT seeds_blob_check; UPDATE seeds SET blob = decode(repeat('00', 200), 'hex') WHERE seed_id = " FIRST_SEED);
	refused(path, 0, -EBADMSG, "corrupted", "an oversized blob");

	variant(path, sizeof(path), good, "orphan.db");
	spoil(path, "INSERT INTO devices (seed, suffix, generation, state, created, expiry) VALUES (999, x'0000000000000000', 0, 1, 1, 0)",
	      "ALTER TABLE devices DROP CONSTRAINT devices_seed_fkey; INSERT INTO devices (seed, suffix, generation, state, created, expiry) VALUES (999, decode('0000000000000000', 'hex'), 0, 1, 1, 0)");
	refused(path, 0, -EBADMSG, "its seed (number 999) is not stored",
		"a device record without its seed");
	ret = cpns_store_open(path, CPNS_STORE_LAZY, &st, err, sizeof(err));
	tap_ok(!ret, "store: a lazy open does not read the device rows (%s)",
	       ret ? err : "ok");
	cpns_store_close(st);

	/* An edit the database's checks allow still fails the label check: */
	variant(path, sizeof(path), good, "edit.db");
	raw_sql(path, "UPDATE seeds SET owner = 'mallory' WHERE seed_id = " FIRST_SEED);
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	tap_ok(!ret, "store: an edited owner opens (the kernel's unwrap refuses its label)");
	cpns_store_close(st);
}

/* A version 1 store (before the inventory) is upgraded in place. */
static void test_upgrade(void)
{
	struct cpns_store_device d;
	struct cpns_store_counts c;
	struct cpns_store *st;
	char path[256], err[512], sql[2048], rec[2 * REC_LEN + 1];
	uint8_t did[CPNS_DEVICE_ID_LEN], want[REC_LEN];
	int ret;

	path_of(path, sizeof(path), "v1.db");
	memset(did, 1, 8);
	memset(did + 8, 0x55, 8);
	rec_hex(rec, did, CPNS_STATE_ACTIVE, 1, 3, 0, 0xbb);
	rec_bytes(want, did, CPNS_STATE_ACTIVE, 1, 3, 0, 0xbb);
	snprintf(sql, sizeof(sql),
		"PRAGMA application_id = 1129336403; PRAGMA user_version = 1;"
		"CREATE TABLE seeds (seed_id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created INTEGER NOT NULL, state TEXT NOT NULL, expiry INTEGER NOT NULL DEFAULT 0, blob BLOB NOT NULL) WITHOUT ROWID;"
		"CREATE TABLE devices (device_id TEXT PRIMARY KEY NOT NULL, seed_id TEXT NOT NULL REFERENCES seeds (seed_id), generation INTEGER NOT NULL, state TEXT NOT NULL, created INTEGER NOT NULL, expiry INTEGER NOT NULL DEFAULT 0, blob BLOB, CHECK (blob IS NOT NULL OR state = 'revoked')) WITHOUT ROWID;"
		"CREATE INDEX devices_by_seed ON devices (seed_id);"
		"INSERT INTO seeds VALUES ('0101010101010101', 'gw1-1', '10.0.0.1:4000', 1, 'active', 0, x'aa');"
		"INSERT INTO devices VALUES ('01010101010101015555555555555555', '0101010101010101', 1, 'active', 2, 0, x'%s');",
		rec);
	raw_sql(path, sql);
	refused(path, CPNS_STORE_RDONLY, -EROFS, "needs an upgrade",
		"a version 1 store opened read-only");
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	tap_ok(!ret && !cpns_store_device_get(st, did, &d) &&
	       d.generation == 1 && d.blob_len == REC_LEN &&
	       !memcmp(d.blob, want, REC_LEN) && d.created == 2 &&
	       !strcmp(d.gw1, "gw1-1") && !d.assigned && !cpns_store_count(st, &c) &&
	       c.seeds == 1 && c.inventory == 1,
	       "store: a version 1 store upgraded to 6, its rows kept (%s)",
	       ret ? err : "ok");
	memset(did + 8, 0x66, 8);
	tap_ok(st && !cpns_store_device_assigned(st, did, "10.0.0.1:4001", 5),
	       "store: the upgraded store takes an assignment");
	cpns_store_close(st);
	ret = cpns_store_open(path, CPNS_STORE_RDONLY, &st, err, sizeof(err));
	tap_ok(!ret, "store: and reopens read-only at version 6 (%s)",
	       ret ? err : "ok");
	cpns_store_close(st);
}

/*
 * A version 2 store (the devices' seed_id and gw1_name columns) is
 * upgraded in place, on either backend: the columns go, the rows stay.
 */
static void test_upgrade_v2(void)
{
	static const char v2_sqlite[] =
		"PRAGMA application_id = 1129336403; PRAGMA user_version = 2;"
		"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
		"INSERT INTO schema_version VALUES ('cpns-serverd store', 2);"
		"CREATE TABLE seeds (seed_id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created INTEGER NOT NULL, state TEXT NOT NULL, expiry INTEGER NOT NULL DEFAULT 0, blob BLOB NOT NULL) WITHOUT ROWID;"
		"CREATE TABLE devices (device_id TEXT PRIMARY KEY NOT NULL, seed_id TEXT NOT NULL REFERENCES seeds (seed_id), generation INTEGER NOT NULL, state TEXT NOT NULL, created INTEGER NOT NULL, expiry INTEGER NOT NULL DEFAULT 0, blob BLOB, gw1_name TEXT NOT NULL DEFAULT '', gw1_addr TEXT NOT NULL DEFAULT '', assigned INTEGER NOT NULL DEFAULT 0, last_auth INTEGER NOT NULL DEFAULT 0, last_addr TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
		"CREATE INDEX devices_by_seed ON devices (seed_id);"
		"CREATE INDEX devices_by_gw1 ON devices (gw1_name, device_id);";
	static const char v2_pg[] =
		"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
		"INSERT INTO schema_version VALUES ('cpns-serverd store', 2);"
		"CREATE TABLE seeds (seed_id TEXT COLLATE \"C\" PRIMARY KEY, owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created BIGINT NOT NULL, state TEXT NOT NULL, expiry BIGINT NOT NULL DEFAULT 0, blob BYTEA NOT NULL);"
		"CREATE TABLE devices (device_id TEXT COLLATE \"C\" PRIMARY KEY, seed_id TEXT COLLATE \"C\" NOT NULL REFERENCES seeds (seed_id), generation BIGINT NOT NULL, state TEXT NOT NULL, created BIGINT NOT NULL, expiry BIGINT NOT NULL DEFAULT 0, blob BYTEA, gw1_name TEXT NOT NULL DEFAULT '', gw1_addr TEXT NOT NULL DEFAULT '', assigned BIGINT NOT NULL DEFAULT 0, last_auth BIGINT NOT NULL DEFAULT 0, last_addr TEXT NOT NULL DEFAULT '');"
		"CREATE INDEX devices_by_seed ON devices (seed_id);"
		"CREATE INDEX devices_by_gw1 ON devices (gw1_name, device_id);";
	struct cpns_store_device d;
	struct cpns_store *st;
	char path[256], err[512], sql[1024], rec[2 * REC_LEN + 1];
	uint8_t did[CPNS_DEVICE_ID_LEN], want[REC_LEN];
	int64_t cols = -1;
	bool ok;
	int ret;

	path_of(path, sizeof(path), "v2.db");
	memset(did, 2, 8);
	memset(did + 8, 0x77, 8);
	rec_hex(rec, did, CPNS_STATE_UNCONFIRMED, 1, 2, 0, 0xbb);
	rec_bytes(want, did, CPNS_STATE_UNCONFIRMED, 1, 2, 0, 0xbb);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO seeds VALUES ('0202020202020202', 'gw1-2', '10.0.0.2:4000', 1, 'active', 0, %s);"
		 "INSERT INTO devices VALUES ('02020202020202027777777777777777', '0202020202020202', 1, 'unconfirmed', 2, 0, %s%s', 'gw1-2', '10.0.0.2:4001', 3, 4, '10.0.0.9:5000');",
		 pg ? "'\\xaa'" : "x'aa'", pg ? "'\\x" : "x'", rec);
	tap_ok(raw_sql(path, pg ? v2_pg : v2_sqlite) && raw_sql(path, sql),
	       "store: a version 2 store made by hand");
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	tap_ok(!ret && !cpns_store_device_get(st, did, &d) &&
	       d.generation == 1 && d.state == CPNS_STATE_UNCONFIRMED &&
	       d.blob_len == REC_LEN && !memcmp(d.blob, want, REC_LEN) &&
	       !strcmp(d.gw1, "gw1-2") &&
	       !strcmp(d.gw1_addr, "10.0.0.2:4001") && d.assigned == 3 &&
	       d.last_auth == 4 && !strcmp(d.last_addr, "10.0.0.9:5000") &&
	       !memcmp(d.sid, did, 8),
	       "store: a version 2 store upgraded to 6, its rows kept (%s)",
	       ret ? err : "ok");
	cpns_store_close(st);
	raw_sql(path, "CREATE TABLE t (x INTEGER)");
	snprintf(sql, sizeof(sql), "%s",
		 pg ? "SELECT count(*) FROM information_schema.columns WHERE table_name = 'devices' AND column_name IN ('seed_id', 'gw1_name')" :
		      "SELECT count(*) FROM pragma_table_info('devices') WHERE name IN ('seed_id', 'gw1_name')");
	ret = cpns_store_open(path, CPNS_STORE_RDONLY, &st, err, sizeof(err));
	tap_ok(!ret, "store: and reopens read-only at version 6 (%s)",
	       ret ? err : "ok");
	cpns_store_close(st);
	ok = raw_count(path, sql, &cols);
	tap_ok(ok && cols == 0,
	       "store: the upgrade dropped seed_id and gw1_name (%lld left)",
	       (long long)cols);
}

/* SQLite's files: modes, truncation, damage. */
static void test_file_refusals(const char *good)
{
	char path[256];
	struct stat sb;
	uint8_t hdr[2];
	off_t page;
	int fd, ret;

	memset(&sb, 0, sizeof(sb));
	ret = stat(good, &sb);
	tap_ok(!ret && (sb.st_mode & 0777) == 0600,
	       "store: the file is private (mode %o)", sb.st_mode & 0777);

	path_of(path, sizeof(path), "empty.db");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	close(fd);
	refused(path, CPNS_STORE_CREATE, -EBADMSG, "empty file",
		"an empty file (even with create)");

	path_of(path, sizeof(path), "garbage.db");
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ret = write(fd, "this is not a database at all, just some text\n", 46);
	close(fd);
	refused(path, 0, -EBADMSG, "not a database", "a text file");

	path_of(path, sizeof(path), "trunc.db");
	copy_file(good, path);
	stat(path, &sb);
	ret = truncate(path, sb.st_size / 2);
	refused(path, 0, -EBADMSG, "corrupted", "a truncated file");

	path_of(path, sizeof(path), "hdr.db");
	copy_file(good, path);
	fd = open(path, O_WRONLY);
	ret = pwrite(fd, "SQLite format 2", 15, 0);
	close(fd);
	refused(path, 0, -EBADMSG, "not a database", "a damaged header");

	path_of(path, sizeof(path), "page.db");
	copy_file(good, path);
	fd = open(path, O_RDWR);
	/* The second page: the header's page size (bytes 16, 17; 1: 64 KiB) */
	if (pread(fd, hdr, sizeof(hdr), 16) != sizeof(hdr))
		hdr[0] = hdr[1] = 0;
	page = (off_t)(hdr[0] << 8 | hdr[1]);
	page = page == 1 ? 65536 : page;
	ret = pwrite(fd, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, page + 2);
	close(fd);
	tap_ok(page == 8192, "store: a new file has pages of 8 KiB (%lld)",
	       (long long)page);
	refused(path, 0, -EBADMSG, "corrupted", "a damaged b-tree page");
}

/*
 * PostgreSQL's connections: refused with a clear error, the password not
 * shown. CPNS_TEST_STORE_TCP names host:port/dbname where the user cpns
 * logs in by password (scram-sha-256).
 */
static void test_pg_refusals(void)
{
	const char *tcp = getenv("CPNS_TEST_STORE_TCP");
	struct cpns_store *st;
	char uri[512], err[512] = "";
	int ret;

	refused("postgresql://127.0.0.1:1/cpns?connect_timeout=2", 0,
		-ECONNREFUSED, "cannot connect", "a server that is not there");
	if (!tap_ok(tcp, "store: CPNS_TEST_STORE_TCP names where to try a wrong password"))
		return;
	snprintf(uri, sizeof(uri), "postgresql://cpns:wrong-secret@%s", tcp);
	ret = cpns_store_open(uri, CPNS_STORE_CREATE, &st, err, sizeof(err));
	tap_ok(ret == -EACCES && !st && strstr(err, "authentication") &&
	       !strstr(err, "wrong-secret") && strstr(err, "cpns:*@"),
	       "store: a wrong password refused, the password not shown (%d, \"%s\")",
	       ret, err);
	cpns_store_close(st);
}

/* A device record of test_cas(): blob of len bytes of b. */
static void rec_fill(struct cpns_store_device *d, uint8_t n, uint32_t gen,
		     uint8_t state, uint8_t b)
{
	memset(d, 0, sizeof(*d));
	memset(d->did, 3, 8);
	memset(d->did + 8, n, 8);
	memcpy(d->sid, d->did, 8);
	d->generation = gen;
	d->state = state;
	d->created = 1700000000;
	rec_blob(d, b);
}

/*
 * Compare-and-set of device records: two writers from one read, the
 * second is refused and changes nothing; the inventory columns stay.
 */
static void test_cas(void)
{
	struct cpns_store_device a, b, got, old;
	struct cpns_store_seed s;
	struct cpns_store *st;
	char path[256], err[512];
	bool was = false;
	int ret;

	path_of(path, sizeof(path), "cas.db");
	ret = cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err));
	if (!tap_ok(!ret, "cas: create (%s)", ret ? err : "ok"))
		return;
	seed_fill(&s, 3);
	memset(s.sid, 3, 8);
	tap_ok(!cpns_store_seed_add(st, &s), "cas: seed stored");

	rec_fill(&a, 1, 1, CPNS_STATE_UNCONFIRMED, 0xa1);
	rec_fill(&b, 1, 1, CPNS_STATE_UNCONFIRMED, 0xb1);
	tap_ok(!cpns_store_device_cas(st, NULL, &a),
	       "cas: the first record of a device without a row");
	ret = cpns_store_device_cas(st, NULL, &b);
	tap_ok(ret == -ESTALE && strstr(cpns_store_error(st), "changed") &&
	       !cpns_store_device_get(st, a.did, &got) &&
	       SEALED(got) == 0xa1 && got.state == CPNS_STATE_UNCONFIRMED,
	       "cas: a second re-key from the same read: -ESTALE, the first kept (%d)",
	       ret);

	old = got;
	rec_fill(&b, 1, 1, CPNS_STATE_ACTIVE, 0xc1);
	tap_ok(!cpns_store_device_cas(st, &old, &b) &&
	       !cpns_store_device_get(st, a.did, &got) &&
	       SEALED(got) == 0xc1 && got.state == CPNS_STATE_ACTIVE &&
	       got.created == 1700000000,
	       "cas: the confirmation replaces the record it read");
	rec_fill(&b, 1, 1, CPNS_STATE_ACTIVE, 0xd1);
	tap_ok(cpns_store_device_cas(st, &old, &b) == -ESTALE &&
	       !cpns_store_device_get(st, a.did, &got) && SEALED(got) == 0xc1,
	       "cas: a stale read (another blob) is refused");
	old = got;
	old.state = CPNS_STATE_UNCONFIRMED;
	tap_ok(cpns_store_device_cas(st, &old, &b) == -ESTALE,
	       "cas: a stale read (another state) is refused");
	old = got;
	old.generation = 2;
	tap_ok(cpns_store_device_cas(st, &old, &b) == -ESTALE,
	       "cas: a stale read (another generation) is refused");

	/* A revocation between the read and the write wins. */
	old = got;
	tap_ok(!cpns_store_device_revoke(st, a.did, 1700000001, &was) && !was,
	       "cas: revoked");
	rec_fill(&b, 1, 2, CPNS_STATE_UNCONFIRMED, 0xe1);
	tap_ok(cpns_store_device_cas(st, &old, &b) == -ESTALE &&
	       !cpns_store_device_get(st, a.did, &got) &&
	       got.state == CPNS_STATE_REVOKED && got.generation == 1,
	       "cas: a re-key read before a revocation is refused, the device stays revoked");

	/* An inventory row is a device without a record. */
	rec_fill(&a, 2, 1, CPNS_STATE_UNCONFIRMED, 0xa2);
	tap_ok(!cpns_store_device_assigned(st, a.did, "10.0.0.3:1", 7),
	       "cas: an assigned device");
	ret = cpns_store_device_get(st, a.did, &old);
	tap_ok(!ret && !cpns_store_device_cas(st, &old, &a) &&
	       !cpns_store_device_get(st, a.did, &got) &&
	       SEALED(got) == 0xa2 && got.assigned == 7 &&
	       !strcmp(got.gw1_addr, "10.0.0.3:1") && got.created == 7 &&
	       !memcmp(got.blob, a.blob, REC_LEN),
	       "cas: its first record keeps the inventory columns and its row's created, the blob whole");
	rec_fill(&a, 4, 1, CPNS_STATE_UNCONFIRMED, 0xa4);
	tap_ok(!cpns_store_device_assigned(st, a.did, "10.0.0.3:1", 7) &&
	       !cpns_store_device_cas(st, NULL, &a),
	       "cas: as does a first record read as no row");

	rec_fill(&a, 5, 1, CPNS_STATE_UNCONFIRMED, 0xa5);
	a.did[0] = a.sid[0] = 0x99;
	rec_blob(&a, 0xa5);
	tap_ok(cpns_store_device_cas(st, NULL, &a) == -ENOENT &&
	       cpns_store_device_get(st, a.did, &got) == -ENOENT,
	       "cas: a device whose seed is not stored: -ENOENT");
	rec_fill(&a, 5, 1, CPNS_STATE_UNCONFIRMED, 0xa5);
	a.blob_len = 0;
	tap_ok(cpns_store_device_cas(st, NULL, &a) == -EINVAL,
	       "cas: unconfirmed without a blob: -EINVAL");
	cpns_store_close(st);
}

static int list_cb(const struct cpns_store_device *d, void *arg)
{
	char *out = arg;

	snprintf(out + strlen(out), 64, "%02x%02x,", d->did[8], d->did[0]);
	return 0;
}

/* Several assignments in one transaction: all recorded, or none. */
static void assigned_batch(struct cpns_store *st)
{
	struct cpns_store_assigned v[3];
	struct cpns_store_device d;
	bool ok = true;
	int i, ret;

	memset(v, 0, sizeof(v));
	for (i = 0; i < 3; i++) {
		memset(v[i].did, i == 2 ? 2 : 1, 8);
		memset(v[i].did + 8, 0x30 + i, 8);
		v[i].gw1_addr = "10.0.0.7:4000";
		v[i].when = 1700000200 + i;
	}
	ret = cpns_store_devices_assigned(st, v, 3);
	for (i = 0; i < 3 && !ret; i++)
		ok &= !cpns_store_device_get(st, v[i].did, &d) &&
		      d.assigned == 1700000200 + i &&
		      !strcmp(d.gw1_addr, "10.0.0.7:4000") &&
		      !strcmp(d.gw1, i == 2 ? "gw1-other" : "gw1-1");
	tap_ok(!ret && ok, "inventory: three assignments of two seeds in one transaction");
	for (i = 0; i < 3; i++)		/* the tests below count the rows */
		cpns_store_device_del(st, v[i].did);
	for (i = 0; i < 3; i++)
		memset(v[i].did + 8, 0x40 + i, 8);
	memset(v[2].did, 3, 8);		/* of no stored seed */
	ret = cpns_store_devices_assigned(st, v, 3);
	tap_ok(ret == -ENOENT && cpns_store_device_get(st, v[0].did, &d) == -ENOENT &&
	       cpns_store_device_get(st, v[1].did, &d) == -ENOENT,
	       "inventory: a batch with a device of an unknown seed: -ENOENT, none recorded (%s)",
	       cpns_store_error(st));
}

/* The inventory: assignments, authentications, filters and pages. */
static void test_inventory(void)
{
	struct cpns_store_filter f = { .now = 1700009999 };
	struct cpns_store_device d;
	struct cpns_store_seed s;
	struct cpns_store *st;
	char path[256], err[512], seen[512];
	uint8_t did[CPNS_DEVICE_ID_LEN], after[CPNS_DEVICE_ID_LEN];
	struct cpns_store_seen seen_v[3];
	size_t unknown = 0;
	bool was;
	int i, ret;

	path_of(path, sizeof(path), "inv.db");
	ret = cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err));
	if (!tap_ok(!ret && st, "inventory: created (%s)", ret ? err : "ok"))
		return;
	seed_fill(&s, 1);
	cpns_store_seed_add(st, &s);
	seed_fill(&s, 2);
	strcpy(s.owner, "gw1-other");
	cpns_store_seed_add(st, &s);
	memset(did, 1, 8);
	for (i = 0; i < 5; i++) {
		memset(did + 8, 0x10 + i, 8);
		ret |= cpns_store_device_assigned(st, did, "10.0.0.1:4000",
						  1700000000 + i);
	}
	memset(did, 2, 8);
	memset(did + 8, 0x20, 8);
	ret |= cpns_store_device_assigned(st, did, "10.0.0.2:4000",
					  1700000100);
	tap_ok(!ret, "inventory: six assignments recorded");
	memset(did, 3, 8);
	tap_ok(cpns_store_device_assigned(st, did, "y", 1) == -ENOENT,
	       "inventory: a device of an unknown seed: -ENOENT (%s)",
	       cpns_store_error(st));
	assigned_batch(st);
	memset(did, 1, 8);
	memset(did + 8, 0x11, 8);
	memset(seen_v, 0, sizeof(seen_v));
	memcpy(seen_v[0].did, did, sizeof(did));
	seen_v[0].when = 1700000400;
	strcpy(seen_v[0].addr, "10.9.0.9:5000");
	seen_v[1] = seen_v[0];
	seen_v[1].when = 1700000500;
	strcpy(seen_v[1].addr, "10.9.0.1:5000");
	memset(seen_v[2].did, 3, sizeof(did));	/* of no stored seed */
	ret = cpns_store_devices_seen(st, seen_v, 3, &unknown);
	tap_ok(!ret && unknown == 1, "inventory: three authentications in one transaction, one of an unknown seed skipped (%zu)",
	       unknown);
	tap_ok(!ret && !cpns_store_device_get(st, did, &d) &&
	       d.last_auth == 1700000500 && !strcmp(d.last_addr, "10.9.0.1:5000") &&
	       !strcmp(d.gw1, "gw1-1") && !strcmp(d.gw1_addr, "10.0.0.1:4000") &&
	       d.assigned == 1700000001 && d.state == CPNS_STATE_ACTIVE &&
	       !d.generation && !d.blob_len,
	       "inventory: the last authentication recorded, the assignment kept");
	/* A re-key (a device record) keeps the inventory columns. */
	d.generation = 1;
	d.state = CPNS_STATE_UNCONFIRMED;
	rec_blob(&d, 0x77);
	ret = cpns_store_device_put(st, &d);
	tap_ok(!ret && !cpns_store_device_get(st, did, &d) &&
	       d.generation == 1 && d.blob_len == REC_LEN &&
	       d.last_auth == 1700000500 && !strcmp(d.gw1, "gw1-1"),
	       "inventory: a re-keyed record keeps the device's inventory");
	memset(did + 8, 0x30, 8);
	memcpy(seen_v[0].did, did, sizeof(did));
	seen_v[0].when = 1700000600;
	strcpy(seen_v[0].addr, "10.9.0.2:5000");
	ret = cpns_store_devices_seen(st, seen_v, 1, NULL);
	tap_ok(!ret && !cpns_store_device_get(st, did, &d) &&
	       !strcmp(d.gw1, "gw1-1") && !d.assigned &&
	       d.last_auth == 1700000600,
	       "inventory: a device first seen at its authentication gets a row");
	memset(did + 8, 0x12, 8);
	tap_ok(!cpns_store_device_revoke(st, did, 1700000700, &was) && !was &&
	       !cpns_store_device_get(st, did, &d) &&
	       d.state == CPNS_STATE_REVOKED && !strcmp(d.gw1, "gw1-1") &&
	       d.assigned == 1700000002,
	       "inventory: a revoked device keeps its inventory");

	seen[0] = '\0';
	tap_ok(!cpns_store_device_list(st, &f, list_cb, seen) &&
	       !strcmp(seen, "1001,1101,1201,1301,1401,3001,2002,"),
	       "inventory: all, in Device ID order (%s)", seen);
	seen[0] = '\0';
	f.gw1 = "gw1-other";
	tap_ok(!cpns_store_device_list(st, &f, list_cb, seen) &&
	       !strcmp(seen, "2002,"), "inventory: by GW1 (%s)", seen);
	seen[0] = '\0';
	f.gw1 = NULL;
	f.sid = s.sid;
	tap_ok(!cpns_store_device_list(st, &f, list_cb, seen) &&
	       !strcmp(seen, "2002,"), "inventory: by seed (%s)", seen);
	seen[0] = '\0';
	f.sid = NULL;
	f.state = CPNS_STATE_REVOKED;
	tap_ok(!cpns_store_device_list(st, &f, list_cb, seen) &&
	       !strcmp(seen, "1201,"), "inventory: by state (%s)", seen);
	seen[0] = '\0';
	f.state = CPNS_STATE_UNCONFIRMED;
	tap_ok(!cpns_store_device_list(st, &f, list_cb, seen) &&
	       !strcmp(seen, "1101,"), "inventory: unconfirmed (%s)", seen);
	f.state = 0;
	f.limit = 3;
	seen[0] = '\0';
	ret = cpns_store_device_list(st, &f, list_cb, seen);
	memset(after, 1, 8);
	memset(after + 8, 0x12, 8);
	f.after = after;
	if (!ret)
		ret = cpns_store_device_list(st, &f, list_cb, seen);
	memset(after + 8, 0x30, 8);
	if (!ret)
		ret = cpns_store_device_list(st, &f, list_cb, seen);
	tap_ok(!ret && !strcmp(seen, "1001,1101,1201,1301,1401,3001,2002,"),
	       "inventory: three pages of three, after the last of each (%s)",
	       seen);
	seen[0] = '\0';
	memset(&f, 0, sizeof(f));
	seed_fill(&s, 1);
	cpns_store_seed_rotate(st, &(struct cpns_store_seed){ .sid = { 9, 9 },
			       .owner = "gw1-1", .owner_addr = "a",
			       .state = CPNS_STATE_ACTIVE, .blob_len = 1 },
			       (const uint8_t (*)[CPNS_SEED_ID_LEN])s.sid, 1,
			       1700001000);
	f.state = CPNS_STORE_EXPIRED;
	f.now = 1700001000;
	f.limit = 2;
	tap_ok(!cpns_store_device_list(st, &f, list_cb, seen) &&
	       !strcmp(seen, "1001,1101,"),
	       "inventory: expired (retired with their seed), first page (%s)",
	       seen);
	cpns_store_close(st);
}

/* Seed rotation: one transaction, the old seed and its records retire. */
static void test_rotate(void)
{
	uint8_t old[2][CPNS_SEED_ID_LEN];
	struct cpns_store_seed s, g;
	struct cpns_store_device d;
	struct cpns_store *st;
	char path[256], err[512];
	uint64_t when = 1;
	int ret;

	path_of(path, sizeof(path), "rotate.db");
	ret = cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err));
	if (!tap_ok(!ret && st, "rotate: created (%s)", ret ? err : "ok"))
		return;
	tap_ok(!cpns_store_next_expiry(st, &when) && when == 0,
	       "rotate: an empty store has no next expiry");
	seed_fill(&s, 1);			/* no expiry */
	cpns_store_seed_add(st, &s);
	seed_fill(&s, 2);
	s.expiry = 1700000500;			/* expires before the overlap */
	cpns_store_seed_add(st, &s);
	memset(&d, 0, sizeof(d));
	memset(d.did, 1, 8);
	memset(d.did + 8, 0x55, 8);
	memcpy(d.sid, d.did, 8);
	d.generation = 1;
	d.state = CPNS_STATE_ACTIVE;
	d.created = 1700000100;
	rec_blob(&d, 0x77);
	cpns_store_device_put(st, &d);
	ret = cpns_store_next_expiry(st, &when);
	tap_ok(!ret && when == 1700000500,
	       "rotate: next expiry is the earliest (%llu)",
	       (unsigned long long)when);

	memset(old[0], 1, CPNS_SEED_ID_LEN);
	memset(old[1], 2, CPNS_SEED_ID_LEN);
	seed_fill(&s, 3);
	ret = cpns_store_seed_rotate(st, &s, old, 2, 1700000900);
	tap_ok(!ret, "rotate: new seed added, two retired (%s)",
	       ret ? cpns_store_error(st) : "ok");
	tap_ok(!cpns_store_seed_get(st, old[0], &g) &&
	       g.expiry == 1700000900 && g.state == CPNS_STATE_ACTIVE,
	       "rotate: the old seed expires at the retirement");
	tap_ok(!cpns_store_device_get(st, d.did, &d) &&
	       d.expiry == 1700000900,
	       "rotate: its device record too");
	tap_ok(!cpns_store_seed_get(st, old[1], &g) &&
	       g.expiry == 1700000500,
	       "rotate: an earlier expiry is kept");
	tap_ok(!cpns_store_seed_get(st, s.sid, &g) && g.expiry == 0,
	       "rotate: the new seed is stored as given");

	/* Refused: all or nothing. */
	memset(old[0], 4, CPNS_SEED_ID_LEN);
	seed_fill(&s, 3);
	ret = cpns_store_seed_rotate(st, &s, old, 1, 1700000100);
	tap_ok(ret == -EEXIST && !cpns_store_seed_get(st, old[1], &g) &&
	       g.expiry == 1700000500,
	       "rotate: a Seed ID already stored: -EEXIST, nothing retired");
	seed_fill(&s, 4);
	ret = cpns_store_seed_rotate(st, &s, old, 1, 1700000100);
	tap_ok(ret == -EINVAL && cpns_store_seed_get(st, s.sid, &g) == -ENOENT,
	       "rotate: a seed cannot retire itself: -EINVAL, nothing added");
	ret = cpns_store_seed_rotate(st, &s, old + 1, 1, 0);
	tap_ok(ret == -EINVAL, "rotate: retirement time 0: -EINVAL");

	tap_ok(!cpns_store_expire(st, 1700000900, NULL, NULL) &&
	       cpns_store_seed_get(st, old[1], &g) == -ENOENT &&
	       cpns_store_device_get(st, d.did, &d) == -ENOENT &&
	       !cpns_store_next_expiry(st, &when) && when == 0,
	       "rotate: at the retirement, the sweep deletes seed and record");
	seed_fill(&s, 3);
	tap_ok(!cpns_store_seed_get(st, s.sid, &g),
	       "rotate: the new seed stays");
	cpns_store_close(st);
}

/*
 * The seeds' change counter: every change to the seeds table moves it,
 * as another handle on the store sees once committed; a device's does
 * not. Several servers on one store compare it before each request.
 */
static void test_seed_changes(void)
{
	uint8_t old[1][CPNS_SEED_ID_LEN];
	struct cpns_store *st, *other;
	struct cpns_store_seed s;
	uint8_t did[CPNS_DEVICE_ID_LEN];
	char path[256], err[512], sql[160];
	int64_t n0 = -1, n1 = -1, n2 = -1, n3 = -1, n4 = -1, n5 = -1, n6 = -1;
	bool was;
	int ret;

	path_of(path, sizeof(path), "changes.db");
	ret = cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err));
	if (!tap_ok(!ret && st, "changes: created (%s)", ret ? err : "ok"))
		return;
	ret = cpns_store_open(path, 0, &other, err, sizeof(err));
	if (!tap_ok(!ret && other, "changes: a second handle (%s)",
		    ret ? err : "ok")) {
		cpns_store_close(st);
		return;
	}
	ret = cpns_store_changes(other, &n0, NULL);
	tap_ok(!ret && n0 == 0, "changes: a new store counts 0 (%lld)",
	       (long long)n0);
	seed_fill(&s, 1);
	cpns_store_seed_add(st, &s);
	cpns_store_changes(other, &n1, NULL);
	tap_ok(n1 > n0, "changes: a seed added moves it (%lld)",
	       (long long)n1);
	memset(did, 1, 8);
	memset(did + 8, 0x55, 8);
	cpns_store_device_revoke(st, did, 1700000200, &was);
	cpns_store_device_assigned(st, did, "10.0.0.1:4000", 5);
	cpns_store_changes(other, &n2, NULL);
	tap_ok(n2 == n1, "changes: a device's revocation and assignment do not");
	cpns_store_seed_revoke(st, s.sid, &was);
	cpns_store_changes(other, &n3, NULL);
	tap_ok(n3 > n2, "changes: a seed revoked moves it");
	memcpy(old[0], s.sid, sizeof(old[0]));
	seed_fill(&s, 2);
	cpns_store_seed_rotate(st, &s, old, 1, 1700000900);
	cpns_store_changes(other, &n4, NULL);
	tap_ok(n4 > n3, "changes: a rotation moves it");
	cpns_store_seed_del(st, s.sid);
	cpns_store_changes(other, &n5, NULL);
	tap_ok(n5 > n4, "changes: a seed deleted moves it");
	snprintf(sql, sizeof(sql), "UPDATE seeds SET owner = 'by hand'");
	raw_sql(path, sql);
	cpns_store_changes(other, &n6, NULL);
	tap_ok(n6 > n5, "changes: a hand edit of the seeds moves it too");
	cpns_store_close(other);
	cpns_store_close(st);
}

/* The devices' counter as another handle sees it; -1 on failure. */
static int64_t dev_changes(struct cpns_store *st)
{
	int64_t n = -1;

	if (cpns_store_changes(st, NULL, &n))
		return -1;
	return n;
}

/*
 * The devices' change counter: a device's key columns changed (a re-key
 * and its confirmation, a revocation), a row deleted or a record added
 * move it; an assignment, an authentication and a seed's change do not.
 */
static void test_device_changes(void)
{
	struct cpns_store_device d, r;
	struct cpns_store_seen seen;
	struct cpns_store *st, *other;
	struct cpns_store_seed s;
	char path[256], err[512];
	int64_t n, m, seeds = -1, devs = -1;
	bool was;
	int ret;

	path_of(path, sizeof(path), "devchanges.db");
	ret = cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err));
	if (!tap_ok(!ret && st, "device changes: created (%s)",
		    ret ? err : "ok"))
		return;
	ret = cpns_store_open(path, 0, &other, err, sizeof(err));
	if (!tap_ok(!ret && other, "device changes: a second handle (%s)",
		    ret ? err : "ok")) {
		cpns_store_close(st);
		return;
	}
	n = dev_changes(other);
	tap_ok(n == 0, "device changes: a new store counts 0 (%lld)",
	       (long long)n);
	seed_fill(&s, 3);
	cpns_store_seed_add(st, &s);
	tap_ok(dev_changes(other) == n, "device changes: a seed added does not move it");

	rec_fill(&d, 0x41, 0, CPNS_STATE_ACTIVE, 0);
	cpns_store_device_assigned(st, d.did, "10.0.0.3:4000", 5);
	seen_set(&seen, d.did, 7, "10.0.0.9:5000");
	cpns_store_devices_seen(st, &seen, 1, NULL);
	seen.did[15] ^= 1;	/* a device without a row: a new bare row */
	cpns_store_devices_seen(st, &seen, 1, NULL);
	m = dev_changes(other);
	tap_ok(m == n, "device changes: an assignment and authentications do not move it (%lld)",
	       (long long)m);

	rec_fill(&d, 0x41, 1, CPNS_STATE_UNCONFIRMED, 0xb1);
	ret = cpns_store_device_cas(st, NULL, &d);
	m = dev_changes(other);
	tap_ok(!ret && m > n, "device changes: a re-key moves it (%lld)",
	       (long long)m);
	n = m;
	r = d;
	d.state = CPNS_STATE_ACTIVE;
	cpns_store_device_cas(st, &r, &d);
	m = dev_changes(other);
	tap_ok(m > n, "device changes: its confirmation moves it");
	n = m;
	seen.did[15] ^= 1;
	seen.when = 9;
	cpns_store_devices_seen(st, &seen, 1, NULL);
	cpns_store_device_assigned(st, d.did, "10.0.0.3:4001", 8);
	tap_ok(dev_changes(other) == n,
	       "device changes: a last_auth update of a re-keyed device does not");
	cpns_store_device_revoke(st, d.did, 1700000300, &was);
	m = dev_changes(other);
	tap_ok(m > n, "device changes: a revocation moves it");
	n = m;
	rec_fill(&r, 0x42, 0, CPNS_STATE_ACTIVE, 0);
	cpns_store_device_revoke(st, r.did, 1700000300, &was);
	m = dev_changes(other);
	tap_ok(m > n, "device changes: revoking a device without a row moves it");
	n = m;
	cpns_store_device_del(st, d.did);
	m = dev_changes(other);
	tap_ok(m > n, "device changes: a row deleted moves it");
	n = m;
	raw_sql(path, "UPDATE devices SET generation = generation + 7");
	ret = cpns_store_changes(other, &seeds, &devs);
	tap_ok(!ret && devs > n && seeds >= 1,
	       "device changes: a hand edit moves it; both counters in one call (%lld, %lld)",
	       (long long)seeds, (long long)devs);
	n = devs;
	cpns_store_seed_del(st, s.sid);
	m = dev_changes(other);
	tap_ok(m > n, "device changes: a seed deleted with its devices moves it");
	cpns_store_close(other);
	cpns_store_close(st);
}

/* The schema of version 3, as those versions made it. */
static const char v3_sqlite[] =
	"PRAGMA application_id = 1129336403;"
	"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES ('cpns-serverd store', 3);"
	"CREATE TABLE seeds (seed_id TEXT PRIMARY KEY NOT NULL CHECK (length(seed_id) = 16 AND seed_id NOT GLOB '*[^0-9a-f]*'), owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('active', 'revoked')), expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0), blob BLOB NOT NULL CHECK (length(blob) BETWEEN 1 AND 128)) WITHOUT ROWID;"
	"CREATE TABLE devices (device_id TEXT PRIMARY KEY NOT NULL CHECK (length(device_id) = 32 AND device_id NOT GLOB '*[^0-9a-f]*'), generation INTEGER NOT NULL CHECK (generation >= 0), state TEXT NOT NULL CHECK (state IN ('active', 'unconfirmed', 'revoked')), created INTEGER NOT NULL, expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0), blob BLOB CHECK (blob IS NULL OR length(blob) BETWEEN 1 AND 128), gw1_addr TEXT NOT NULL DEFAULT '', assigned INTEGER NOT NULL DEFAULT 0 CHECK (assigned >= 0), last_auth INTEGER NOT NULL DEFAULT 0 CHECK (last_auth >= 0), last_addr TEXT NOT NULL DEFAULT '', CHECK (blob IS NOT NULL OR state <> 'unconfirmed')) WITHOUT ROWID;"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	"CREATE TABLE changes (what TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL CHECK (n >= 0)) WITHOUT ROWID;"
	"INSERT INTO changes VALUES ('seeds', 0);"
	"CREATE TRIGGER seeds_added AFTER INSERT ON seeds BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; END;"
	"CREATE TRIGGER seeds_changed AFTER UPDATE ON seeds BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; END;"
	"CREATE TRIGGER seeds_deleted AFTER DELETE ON seeds BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; END;"
	"PRAGMA user_version = 3;";
static const char v3_pg[] =
	"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES ('cpns-serverd store', 3);"
	"CREATE TABLE seeds (seed_id TEXT COLLATE \"C\" PRIMARY KEY CHECK (seed_id ~ '^[0-9a-f]{16}$'), owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created BIGINT NOT NULL, state TEXT NOT NULL CHECK (state IN ('active', 'revoked')), expiry BIGINT NOT NULL DEFAULT 0 CHECK (expiry >= 0), blob BYTEA NOT NULL CHECK (length(blob) BETWEEN 1 AND 128));"
	"CREATE TABLE devices (device_id TEXT COLLATE \"C\" PRIMARY KEY CHECK (device_id ~ '^[0-9a-f]{32}$'), generation BIGINT NOT NULL CHECK (generation BETWEEN 0 AND 4294967295), state TEXT NOT NULL CHECK (state IN ('active', 'unconfirmed', 'revoked')), created BIGINT NOT NULL, expiry BIGINT NOT NULL DEFAULT 0 CHECK (expiry >= 0), blob BYTEA CHECK (blob IS NULL OR length(blob) BETWEEN 1 AND 128), gw1_addr TEXT NOT NULL DEFAULT '', assigned BIGINT NOT NULL DEFAULT 0 CHECK (assigned >= 0), last_auth BIGINT NOT NULL DEFAULT 0 CHECK (last_auth >= 0), last_addr TEXT NOT NULL DEFAULT '', CHECK (blob IS NOT NULL OR state <> 'unconfirmed'));"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	"CREATE TABLE changes (what TEXT COLLATE \"C\" PRIMARY KEY, n BIGINT NOT NULL CHECK (n >= 0));"
	"INSERT INTO changes VALUES ('seeds', 0);"
	"CREATE FUNCTION cpns_seeds_changed() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; RETURN NULL; END$$;"
	"CREATE TRIGGER seeds_changed AFTER INSERT OR UPDATE OR DELETE ON seeds FOR EACH ROW EXECUTE FUNCTION cpns_seeds_changed();";

/* A version 3 device row, and its blob's header (blen 0: none). */
struct v3_row {
	uint8_t tail;			/* Device ID: 8 x 04, 8 x tail */
	uint32_t gen;
	uint8_t state;
	int64_t created, expiry;
	size_t blen;
	uint8_t bstate;
	uint32_t bgen;
	int64_t bcreated, bexpiry;
	const char *gw1_addr;
	int64_t assigned, last_auth;
	const char *last_addr;
};

static const struct v3_row v3_rows[] = {
	/* An inventory row: a device whose key is derived from its seed. */
	{ 0xa0, 0, CPNS_STATE_ACTIVE, 10, 0, 0, 0, 0, 0, 0,
	  "10.0.0.4:1", 11, 12, "10.0.0.9:2" },
	/* Re-keyed, unconfirmed: its blob made 40 s after the row. */
	{ 0xb0, 1, CPNS_STATE_UNCONFIRMED, 20, 0, REC_LEN,
	  CPNS_STATE_UNCONFIRMED, 1, 60, 0, "", 0, 0, "" },
	/* Revoked offline: the row revoked, its blob still active. */
	{ 0xc0, 2, CPNS_STATE_REVOKED, 30, 0, REC_LEN, CPNS_STATE_ACTIVE, 2,
	  31, 0, "10.0.0.4:3", 32, 33, "10.0.0.9:4" },
	/* The kernel's revocation record (generation 0), retiring. */
	{ 0xd0, 3, CPNS_STATE_REVOKED, 1700000000, 1800000000, REC_LEN,
	  CPNS_STATE_REVOKED, 0, 1700000500, 0, "", 0, 0, "" },
	/* A revocation of an older store, without a blob. */
	{ 0xe0, 0, CPNS_STATE_REVOKED, 40, 0, 0, 0, 0, 0, 0, "", 0, 0, "" },
	/* A blob older than its row, with an expiry of its own. */
	{ 0xf0, 1, CPNS_STATE_ACTIVE, 1700000000, 0, REC_LEN,
	  CPNS_STATE_ACTIVE, 1, 1699999000, 1900000000, "", 0, 0, "" },
};

static void v3_did(uint8_t *did, uint8_t tail)
{
	memset(did, 4, 8);
	memset(did + 8, tail, 8);
}

/* A store of an older schema made by hand, holding seed 04..04 of gw1-4. */
static bool old_store(const char *path, const char *sqlite, const char *pgsql)
{
	return raw_sql(path, pg ? pgsql : sqlite) &&
	       raw_sql(path, pg ? "INSERT INTO seeds VALUES ('0404040404040404', 'gw1-4', '10.0.0.4:4000', 1, 'active', 0, '\\xaa')" :
			   "INSERT INTO seeds VALUES ('0404040404040404', 'gw1-4', '10.0.0.4:4000', 1, 'active', 0, x'aa')");
}

/* A version 3 store at path with the rows of v3_rows (and bad, if any). */
static bool v3_store(const char *path, const char *bad)
{
	char sql[1024], rec[2 * REC_LEN + 1], did[33];
	uint8_t id[CPNS_DEVICE_ID_LEN];
	const struct v3_row *r;
	bool ok;
	size_t i;

	ok = old_store(path, v3_sqlite, v3_pg);
	for (i = 0; ok && i < NELEM(v3_rows); i++) {
		r = &v3_rows[i];
		v3_did(id, r->tail);
		cpns_hex_encode(did, id, CPNS_DEVICE_ID_LEN);
		rec_hex(rec, id, r->bstate, r->bgen, r->bcreated, r->bexpiry,
			r->tail + 1);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO devices VALUES ('%s', %u, '%s', %lld, %lld, %s%s%s, '%s', %lld, %lld, '%s')",
			 did, r->gen, cpns_store_state_name(r->state),
			 (long long)r->created, (long long)r->expiry,
			 !r->blen ? "NULL" : pg ? "'\\x" : "x'",
			 r->blen ? rec : "", r->blen ? "'" : "", r->gw1_addr,
			 (long long)r->assigned, (long long)r->last_auth,
			 r->last_addr);
		ok = raw_sql(path, sql);
	}
	return ok && (!bad || raw_sql(path, bad));
}

/*
 * A version 3 store (its schema text, rows of every kind) is upgraded to
 * version 4 in place, in one transaction: every device reads back as it
 * was, its blob byte for byte; a row whose blob a compact row cannot hold
 * stops the upgrade, and the store stays at version 3.
 */
static void test_upgrade_v3(void)
{
	struct cpns_store_device d;
	struct cpns_store_counts c;
	struct cpns_store *st;
	const struct v3_row *r;
	char path[256], err[512];
	uint8_t id[CPNS_DEVICE_ID_LEN], want[REC_LEN];
	int64_t v = -1, n = -1;
	size_t i, same = 0;
	int ret;

	path_of(path, sizeof(path), "v3.db");
	if (!tap_ok(v3_store(path, NULL), "v3: a version 3 store made by hand"))
		return;
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	if (!tap_ok(!ret, "v3: upgraded to 6 (%s)", ret ? err : "ok"))
		return;
	for (i = 0; i < NELEM(v3_rows); i++) {
		r = &v3_rows[i];
		v3_did(id, r->tail);
		rec_bytes(want, id, r->bstate, r->bgen, r->bcreated, r->bexpiry,
			  r->tail + 1);
		ret = cpns_store_device_get(st, id, &d);
		if (!ret && !memcmp(d.did, id, sizeof(id)) &&
		    !memcmp(d.sid, id, 8) && d.generation == r->gen &&
		    d.state == r->state && d.created == r->created &&
		    (int64_t)d.expiry == r->expiry && d.blob_len == r->blen &&
		    !memcmp(d.blob, want, r->blen) && !strcmp(d.gw1, "gw1-4") &&
		    !strcmp(d.gw1_addr, r->gw1_addr) &&
		    d.assigned == r->assigned && d.last_auth == r->last_auth &&
		    !strcmp(d.last_addr, r->last_addr))
			same++;
		else
			tap_diag("v3: device ..%02x differs (%d: %s)", r->tail,
				 ret, ret ? cpns_store_error(st) : "a column");
	}
	tap_ok(same == NELEM(v3_rows),
	       "v3: all %zu devices read back identical, blobs byte for byte (%zu)",
	       NELEM(v3_rows), same);
	ret = cpns_store_count(st, &c);
	tap_ok(!ret && c.inventory == NELEM(v3_rows) && c.devices == 4 &&
	       c.devices_revoked == 3 && c.revocations == 1,
	       "v3: the counts kept (%u rows, %u with a blob, %u revoked)",
	       c.inventory, c.devices, c.devices_revoked);
	ret = cpns_store_changes(st, &v, &n);
	tap_ok(!ret && v == 1 && n == 0,
	       "v3: the seeds' counter kept, the devices' added at 0 (%lld, %lld)",
	       (long long)v, (long long)n);
	v3_did(id, 0xb0);
	ret = cpns_store_device_get(st, id, &d);
	if (!ret) {
		d.state = CPNS_STATE_ACTIVE;
		d.blob[3] = CPNS_STATE_ACTIVE;
		ret = cpns_store_device_put(st, &d);
	}
	tap_ok(!ret && !cpns_store_changes(st, NULL, &n) && n == 1,
	       "v3: the upgraded store takes a confirmation, its counter moves (%s)",
	       ret ? cpns_store_error(st) : "ok");
	cpns_store_close(st);
	v = -1;
	raw_count(path, "SELECT version FROM schema_version", &v);
	tap_ok(v == CPNS_STORE_VERSION, "v3: schema_version says %d (%lld)",
	       CPNS_STORE_VERSION, (long long)v);

	path_of(path, sizeof(path), "v3bad.db");
	tap_ok(v3_store(path, pg ?
		"INSERT INTO devices (device_id, generation, state, created, blob) VALUES ('04040404040404049999999999999999', 1, 'active', 5, decode(repeat('01', 80), 'hex'))" :
		"INSERT INTO devices (device_id, generation, state, created, blob) VALUES ('04040404040404049999999999999999', 1, 'active', 5, zeroblob(80))"),
	       "v3: a version 3 store with an 80-byte blob");
	refused(path, 0, -EBADMSG,
		"device 04040404040404049999999999999999: its state, Device ID or blob is not one that schema version 4 can hold",
		"a version 3 row that a compact row cannot hold");
	v = n = -1;
	raw_count(path, "SELECT version FROM schema_version", &v);
	raw_count(path, "SELECT count(*) FROM devices", &n);
	tap_ok(v == 3 && n == (int64_t)NELEM(v3_rows) + 1,
	       "v3: the refused upgrade changed nothing (version %lld, %lld rows)",
	       (long long)v, (long long)n);
}

/* The Device IDs that cpns_store_device_log() gives. */
struct logged {
	uint8_t did[8][CPNS_DEVICE_ID_LEN];
	int n;
};

static int logged_cb(const uint8_t did[CPNS_DEVICE_ID_LEN], void *arg)
{
	struct logged *l = arg;

	if (l->n < 8)
		memcpy(l->did[l->n], did, CPNS_DEVICE_ID_LEN);
	l->n++;
	return 0;
}

static int log_of(struct cpns_store *st, int64_t since, int64_t upto,
		  struct logged *l)
{
	memset(l, 0, sizeof(*l));
	return cpns_store_device_log(st, since, upto, logged_cb, l);
}

/* n statements, each changing the generation of the device ..tail. */
static bool hand_edits(const char *path, int n, uint8_t tail)
{
	size_t len = (size_t)n * 192 + 1;
	char *sql = malloc(len), *p = sql;
	bool ok;
	int i;

	if (!sql)
		return false;
	for (i = 0; i < n; i++)
		p += snprintf(p, len - (size_t)(p - sql),
			      "UPDATE devices SET generation = generation + 1 WHERE seed = (SELECT num FROM seeds WHERE seed_id = '0303030303030303') AND suffix = %s%02x%02x%02x%02x%02x%02x%02x%02x';",
			      pg ? "'\\x" : "x'", tail, tail, tail, tail,
			      tail, tail, tail, tail);
	ok = raw_sql(path, sql);
	free(sql);
	return ok;
}

/*
 * The devices' change log: each move of the counter names the devices it
 * counted, an assignment or an authentication none; the last
 * CPNS_STORE_LOG_KEEP moves are kept, and a reader from before them (or
 * across a bulk change on PostgreSQL) is told so (-ERANGE).
 */
static void test_device_log(void)
{
	struct cpns_store_device d, e, r;
	struct cpns_store_seen seen;
	struct cpns_store *st;
	struct logged l;
	char path[256];
	int64_t n0, n1, n2, n3, n4, rows = -1;
	bool was;
	int ret;

	st = store_seeded(path, sizeof(path), "devlog.db", "log");
	if (!st)
		return;
	n0 = dev_changes(st);
	rec_fill(&d, 0x51, 0, CPNS_STATE_ACTIVE, 0);
	cpns_store_device_assigned(st, d.did, "10.0.0.3:4000", 5);
	seen_set(&seen, d.did, 7, "10.0.0.9:5000");
	cpns_store_devices_seen(st, &seen, 1, NULL);
	ret = log_of(st, n0, n0, &l);
	tap_ok(dev_changes(st) == n0 && !ret && !l.n,
	       "log: an assignment and an authentication log nothing");

	rec_fill(&d, 0x51, 1, CPNS_STATE_UNCONFIRMED, 0xb1);
	ret = cpns_store_device_cas(st, NULL, &d);
	n1 = dev_changes(st);
	ret = ret ? ret : log_of(st, n0, n1, &l);
	tap_ok(!ret && n1 == n0 + 1 && l.n == 1 &&
	       !memcmp(l.did[0], d.did, sizeof(d.did)),
	       "log: a re-key is logged with its Device ID (%d, %d entries)",
	       ret, l.n);
	rows = -1;
	raw_count(path, "SELECT count(*) FROM device_log WHERE device_id = '03030303030303035151515151515151'",
		  &rows);
	tap_ok(rows == 1, "log: its entry is the Device ID in lower-case hex (%lld)",
	       (long long)rows);
	rec_fill(&e, 0x52, 0, CPNS_STATE_ACTIVE, 0);
	cpns_store_device_revoke(st, e.did, 1700000300, &was);
	n2 = dev_changes(st);
	ret = log_of(st, n1, n2, &l);
	tap_ok(!ret && l.n == 1 && !memcmp(l.did[0], e.did, sizeof(e.did)),
	       "log: a revocation of a device without a row is logged");
	ret = log_of(st, n0, n2, &l);
	tap_ok(!ret && l.n == 2 && !memcmp(l.did[0], d.did, sizeof(d.did)) &&
	       !memcmp(l.did[1], e.did, sizeof(e.did)),
	       "log: both, in order, since before the first");
	seen.when = 9;
	cpns_store_devices_seen(st, &seen, 1, NULL);
	cpns_store_device_assigned(st, d.did, "10.0.0.3:4001", 8);
	ret = log_of(st, n2, dev_changes(st), &l);
	tap_ok(dev_changes(st) == n2 && !ret && !l.n,
	       "log: a re-keyed device's last_auth and assignment log nothing");
	r = d;
	d.state = CPNS_STATE_ACTIVE;
	cpns_store_device_cas(st, &r, &d);
	cpns_store_device_del(st, e.did);
	n3 = dev_changes(st);
	ret = log_of(st, n2, n3, &l);
	tap_ok(!ret && n3 == n2 + 2 && l.n == 2 &&
	       !memcmp(l.did[0], d.did, sizeof(d.did)) &&
	       !memcmp(l.did[1], e.did, sizeof(e.did)),
	       "log: a confirmation and a row deleted are logged");

	/* Past the pruning point. */
	tap_ok(hand_edits(path, CPNS_STORE_LOG_KEEP + 10, 0x51),
	       "log: %d hand edits of one device", CPNS_STORE_LOG_KEEP + 10);
	n4 = dev_changes(st);
	ret = log_of(st, n4 - 5, n4, &l);
	tap_ok(n4 == n3 + CPNS_STORE_LOG_KEEP + 10 && !ret && l.n == 5 &&
	       !memcmp(l.did[4], d.did, sizeof(d.did)),
	       "log: each hand edit logged (%lld moves, the last 5: %d)",
	       (long long)(n4 - n3), l.n);
	raw_count(path, "SELECT count(*) FROM device_log", &rows);
	tap_ok(rows == CPNS_STORE_LOG_KEEP,
	       "log: pruned to the last %d moves (%lld rows)",
	       CPNS_STORE_LOG_KEEP, (long long)rows);
	ret = log_of(st, n4 - CPNS_STORE_LOG_KEEP, n4, &l);
	tap_ok(!ret && l.n == CPNS_STORE_LOG_KEEP,
	       "log: a reader %d moves behind reads them all (%d)",
	       CPNS_STORE_LOG_KEEP, l.n);
	ret = log_of(st, n3, n4, &l);
	tap_ok(ret == -ERANGE,
	       "log: a reader that fell behind the pruning is told (%d: %s)",
	       ret, cpns_store_error(st));
	raw_sql(path, "DELETE FROM device_log WHERE seq = (SELECT max(seq) - 2 FROM device_log)");
	ret = log_of(st, n4 - 5, n4, &l);
	tap_ok(ret == -ERANGE, "log: a seq missing in the middle is told (%d)",
	       ret);
	ret = log_of(st, n4, n4 - 1, &l);
	tap_ok(ret == -ERANGE, "log: a counter gone back is told (%d)", ret);

	/* A bulk change: on PostgreSQL one statement of more than 64 rows
	 * moves the counter once and is not logged.
	 */
	for (ret = 0; ret < 70; ret++) {
		rec_fill(&r, (uint8_t)(0x80 + ret), 0, CPNS_STATE_ACTIVE, 0);
		cpns_store_device_revoke(st, r.did, 1700000300, &was);
	}
	n3 = dev_changes(st);
	raw_sql(path, "UPDATE devices SET state = 1 WHERE state = 4");
	n4 = dev_changes(st);
	ret = log_of(st, n3, n4, &l);
	if (pg) {
		raw_count(path, "SELECT count(*) FROM pg_proc WHERE proname = 'cpns_devices_changed' AND 'enable_nestloop=off' = ANY (proconfig)",
			  &rows);
		tap_ok(rows == 1,
		       "log: the trigger joins a bulk update's rows without a nested loop (%lld)",
		       (long long)rows);
	}
	if (pg)
		tap_ok(n4 == n3 + 1 && ret == -ERANGE,
		       "log: a statement of 70 devices moves it once, not logged (%lld, %d)",
		       (long long)(n4 - n3), ret);
	else
		tap_ok(n4 == n3 + 70 && !ret && l.n == 70,
		       "log: a statement of 70 devices logs each (%lld, %d)",
		       (long long)(n4 - n3), l.n);
	cpns_store_close(st);
}

/* The schema of version 4 (its devices, seeds and counters), by hand. */
static const char v4_sqlite[] =
	"PRAGMA application_id = 1129336403;"
	"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES ('cpns-serverd store', 4);"
	"CREATE TABLE seeds (seed_id TEXT PRIMARY KEY NOT NULL, owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created INTEGER NOT NULL, state TEXT NOT NULL, expiry INTEGER NOT NULL DEFAULT 0, blob BLOB NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE devices (device_id BLOB PRIMARY KEY NOT NULL, generation INTEGER NOT NULL, state INTEGER NOT NULL, created INTEGER NOT NULL, expiry INTEGER NOT NULL DEFAULT 0, key_state INTEGER, key_generation INTEGER, key_offset INTEGER, key_expiry INTEGER, sealed BLOB, gw1_addr TEXT NOT NULL DEFAULT '', assigned INTEGER NOT NULL DEFAULT 0, last_auth INTEGER NOT NULL DEFAULT 0, last_addr TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	"CREATE TABLE changes (what TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO changes VALUES ('seeds', 3), ('devices', 7);"
	"PRAGMA user_version = 4;";
static const char v4_pg[] =
	"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES ('cpns-serverd store', 4);"
	"CREATE TABLE seeds (seed_id TEXT COLLATE \"C\" PRIMARY KEY, owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created BIGINT NOT NULL, state TEXT NOT NULL, expiry BIGINT NOT NULL DEFAULT 0, blob BYTEA NOT NULL);"
	"CREATE TABLE devices (device_id BYTEA PRIMARY KEY, generation BIGINT NOT NULL, state SMALLINT NOT NULL, created BIGINT NOT NULL, expiry BIGINT NOT NULL DEFAULT 0, key_state SMALLINT, key_generation BIGINT, key_offset BIGINT, key_expiry BIGINT, sealed BYTEA, gw1_addr TEXT NOT NULL DEFAULT '', assigned BIGINT NOT NULL DEFAULT 0, last_auth BIGINT NOT NULL DEFAULT 0, last_addr TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	"CREATE TABLE changes (what TEXT COLLATE \"C\" PRIMARY KEY, n BIGINT NOT NULL);"
	"INSERT INTO changes VALUES ('seeds', 3), ('devices', 7);";

/* A version 4 row's inventory (its key columns: none, or v3_rows'). */
struct v4_row {
	uint8_t tail;
	int64_t created;
	const char *gw1_addr;
	int64_t assigned, last_auth;
	const char *last_addr;
};

static const struct v4_row v4_rows[] = {
	{ 0x10, 1700000000, "10.77.1.2:58566", 1700000000, 1700003600,
	  "10.77.3.2:40001" },
	{ 0x11, 1700000000, "[2001:db8::1]:4000", 1699999000, 1,
	  "[fe80::1%2]:5" },
	{ 0x12, 5, "", 0, 0, "" },
	/* Texts that are no address as addr_text() writes it. */
	{ 0x13, 5, "abcdef", 6, 0, "host.example:12345" },
	{ 0x14, 5, "010.0.0.1:1", 0, 9, "10.0.0.1:01" },
	{ 0x15, 5, "[::ffff:1.2.3.4]:1", 0, 9, "1.2.3.4:65536" },
	{ 0x16, 5, "[2001:DB8::1]:4000", 0, 9, "0.0.0.0:0" },
	{ 0x17, 5, "[::]:65535", 0, 9, "255.255.255.255:65535" },
};

/*
 * A version 4 store (rows of every inventory form) is upgraded to version
 * 5: every device reads back as it was; the addresses that are addresses
 * are 6 or 18 bytes; a re-keyed device's blob byte for byte.
 */
static void test_upgrade_v4(void)
{
	struct cpns_store_device d;
	struct cpns_store *st;
	const struct v4_row *r;
	char path[256], err[512], sql[1024], did[33], rec[2 * REC_LEN + 1];
	uint8_t id[CPNS_DEVICE_ID_LEN], want[REC_LEN];
	int64_t v = -1, seq = -1;
	size_t i, same = 0;
	bool ok;
	int ret;

	path_of(path, sizeof(path), "v4.db");
	ok = old_store(path, v4_sqlite, v4_pg);
	for (i = 0; ok && i < NELEM(v4_rows); i++) {
		r = &v4_rows[i];
		v3_did(id, r->tail);
		cpns_hex_encode(did, id, CPNS_DEVICE_ID_LEN);
		/* The first row re-keyed: its blob made an hour after. */
		rec_hex(rec, id, CPNS_STATE_ACTIVE, 1, r->created + 3600, 0,
			r->tail);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO devices VALUES (%s%s', %d, 1, %lld, 0, %s, %s, %s, %s, %s%.128s%s, '%s', %lld, %lld, '%s')",
			 pg ? "'\\x" : "x'", did, i ? 0 : 1,
			 (long long)r->created, i ? "NULL" : "1",
			 i ? "NULL" : "1", i ? "NULL" : "3600",
			 i ? "NULL" : "0", i ? "" : pg ? "'\\x" : "x'",
			 i ? "NULL" : rec + 80, i ? "" : "'", r->gw1_addr,
			 (long long)r->assigned, (long long)r->last_auth,
			 r->last_addr);
		ok = raw_sql(path, sql);
	}
	if (!tap_ok(ok, "v4: a version 4 store made by hand"))
		return;
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	if (!tap_ok(!ret, "v4: upgraded to 6 (%s)", ret ? err : "ok"))
		return;
	for (i = 0; i < NELEM(v4_rows); i++) {
		r = &v4_rows[i];
		v3_did(id, r->tail);
		rec_bytes(want, id, CPNS_STATE_ACTIVE, 1, r->created + 3600, 0,
			  r->tail);
		ret = cpns_store_device_get(st, id, &d);
		if (!ret && d.generation == (i ? 0u : 1u) &&
		    d.state == CPNS_STATE_ACTIVE && d.created == r->created &&
		    d.blob_len == (i ? 0 : REC_LEN) &&
		    !memcmp(d.blob, want, d.blob_len) &&
		    !strcmp(d.gw1, "gw1-4") && !strcmp(d.gw1_addr, r->gw1_addr) &&
		    d.assigned == r->assigned && d.last_auth == r->last_auth &&
		    !strcmp(d.last_addr, r->last_addr))
			same++;
		else
			tap_diag("v4: device ..%02x differs (%d: %s; '%s' %lld %lld '%s')",
				 r->tail, ret, ret ? cpns_store_error(st) : "a column",
				 d.gw1_addr, (long long)d.assigned,
				 (long long)d.last_auth, d.last_addr);
	}
	tap_ok(same == NELEM(v4_rows),
	       "v4: all %zu devices read back identical, inventory and blob (%zu)",
	       NELEM(v4_rows), same);
	raw_count(path, "SELECT length(gw1_addr) + length(last_addr) FROM devices WHERE assigned_offset = 0",
		  &v);
	tap_ok(v == 12, "v4: two IPv4 addresses and ports are 6 bytes each (%lld)",
	       (long long)v);
	raw_count(path, "SELECT length(gw1_addr) FROM devices WHERE assigned_offset = -1000",
		  &v);
	tap_ok(v == 18, "v4: an IPv6 address and port is 18 bytes (%lld)",
	       (long long)v);
	raw_count(path, "SELECT count(*) FROM devices WHERE gw1_addr IS NULL AND last_addr IS NULL AND assigned_offset IS NULL AND last_auth_offset IS NULL",
		  &v);
	tap_ok(v == 1, "v4: an empty inventory is NULLs (%lld)", (long long)v);
	raw_count(path, "SELECT n FROM changes WHERE what = 'devices'", &v);
	raw_count(path, "SELECT count(*) FROM device_log", &seq);
	tap_ok(v == 7 && !seq, "v4: the counter kept (%lld), the log empty (%lld)",
	       (long long)v, (long long)seq);
	tap_ok(cpns_store_device_log(st, 6, 7, NULL, NULL) == -ERANGE,
	       "v4: a change from before the log is not in it");
	raw_count(path, "SELECT version FROM schema_version", &v);
	tap_ok(v == CPNS_STORE_VERSION, "v4: schema_version says %d (%lld)",
	       CPNS_STORE_VERSION, (long long)v);
	cpns_store_close(st);
}

/* Row i of test_upgrade_v4_pages(): its Device ID and inventory. */
#define V4_PAGES_ROWS	9000	/* more than two of the upgrade's pages */

static void v4_pages_row(unsigned int i, uint8_t id[CPNS_DEVICE_ID_LEN],
			 char gw1[CPNS_STORE_ADDR_MAX + 1],
			 char last[CPNS_STORE_ADDR_MAX + 1])
{
	static const char *const gw1s[] = {
		"10.77.1.2:58566", "[2001:db8::1]:4000", "", "gw1.example:1",
	};
	unsigned int port = 1024 + i % 60000;
	int j;

	memset(id, 4, 8);
	for (j = 0; j < 8; j++)
		id[8 + j] = (uint8_t)((i + 1) >> (8 * (7 - j)));
	snprintf(gw1, CPNS_STORE_ADDR_MAX + 1, "%s", gw1s[i % 4]);
	switch (i % 8) {
	case 0:
		snprintf(last, CPNS_STORE_ADDR_MAX + 1, "10.%u.%u.%u:%u",
			 (i >> 16) & 255, (i >> 8) & 255, i & 255, port);
		break;
	case 1:
		snprintf(last, CPNS_STORE_ADDR_MAX + 1, "[2001:db8::%x]:%u",
			 i, port);
		break;
	case 2:
		last[0] = '\0';	/* and gw1s[2]: no address */
		break;
	case 3:
		snprintf(last, CPNS_STORE_ADDR_MAX + 1, "host%u.example.net:%u",
			 i, port);
		break;
	case 4:
		snprintf(last, CPNS_STORE_ADDR_MAX + 1, "010.0.0.%u:1",
			 i & 255);
		break;
	case 5:
		snprintf(last, CPNS_STORE_ADDR_MAX + 1, "[fe80::%x%%2]:5", i);
		break;
	case 6:
		snprintf(last, CPNS_STORE_ADDR_MAX + 1, "a%05u", i);
		break;
	default:
		snprintf(last, CPNS_STORE_ADDR_MAX + 1, "x%017u", i);
	}
}

/*
 * A version 4 store of more rows than a page of the PostgreSQL upgrade's
 * (rows without addresses among them) is upgraded to version 6: every
 * device reads back as it was, each address in its form.
 */
static void test_upgrade_v4_pages(void)
{
	char path[256], err[512], gw1[CPNS_STORE_ADDR_MAX + 1];
	char last[CPNS_STORE_ADDR_MAX + 1], did[33], *sql;
	uint8_t id[CPNS_DEVICE_ID_LEN];
	struct cpns_store_device d;
	struct cpns_store *st;
	size_t at, same = 0, cap = 64 + V4_PAGES_ROWS * 256;
	int64_t created = 1700000000, v = -1, w = -1;
	unsigned int i;
	bool ok;
	int ret;

	path_of(path, sizeof(path), "v4p.db");
	sql = malloc(cap);
	if (!sql)
		abort();
	at = (size_t)snprintf(sql, cap, "INSERT INTO devices (device_id, generation, state, created, gw1_addr, assigned, last_auth, last_addr) VALUES ");
	for (i = 0; i < V4_PAGES_ROWS; i++) {
		v4_pages_row(i, id, gw1, last);
		cpns_hex_encode(did, id, CPNS_DEVICE_ID_LEN);
		at += (size_t)snprintf(sql + at, cap - at,
				       "%s(%s%s', 0, 1, %lld, '%s', %lld, %lld, '%s')",
				       i ? "," : "", pg ? "'\\x" : "x'", did,
				       (long long)created, gw1,
				       (long long)(i % 7 ? created + i % 7 : 0),
				       (long long)(i % 5 ? created + i : 0), last);
	}
	ok = old_store(path, v4_sqlite, v4_pg) &&
	     raw_sql(path, sql);
	free(sql);
	if (!tap_ok(ok, "v4 pages: a version 4 store of %d devices made by hand",
		    V4_PAGES_ROWS))
		return;
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	if (!tap_ok(!ret, "v4 pages: upgraded to 6 (%s)", ret ? err : "ok"))
		return;
	for (i = 0; i < V4_PAGES_ROWS; i++) {
		v4_pages_row(i, id, gw1, last);
		ret = cpns_store_device_get(st, id, &d);
		if (!ret && d.created == created && !d.blob_len &&
		    !strcmp(d.gw1_addr, gw1) && !strcmp(d.last_addr, last) &&
		    d.assigned == (i % 7 ? created + i % 7 : 0) &&
		    d.last_auth == (i % 5 ? created + i : 0))
			same++;
		else if (i - same < 5)
			tap_diag("v4 pages: device %u differs (%d; '%s' '%s')",
				 i, ret, d.gw1_addr, d.last_addr);
	}
	tap_ok(same == V4_PAGES_ROWS,
	       "v4 pages: all %d devices read back identical (%zu)",
	       V4_PAGES_ROWS, same);
	raw_count(path, "SELECT sum(length(last_addr)) FROM devices WHERE length(last_addr) IN (6, 7, 18, 19)",
		  &v);
	raw_count(path, "SELECT count(*) FROM devices WHERE gw1_addr IS NULL AND last_addr IS NULL",
		  &w);
	tap_ok(v == (6 + 18 + 7 + 19) * (V4_PAGES_ROWS / 8) &&
	       w == V4_PAGES_ROWS / 8,
	       "v4 pages: every eighth address 6, 18, 7 and 19 bytes (%lld), none NULLs (%lld)",
	       (long long)v, (long long)w);
	cpns_store_close(st);
}

/* The schema of version 5 (its tables, counters, log and triggers), by
 * hand, as version 5 made it.
 */
static const char v5_sqlite[] =
	"PRAGMA application_id = 1129336403; PRAGMA journal_mode = WAL;"
	"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES ('cpns-serverd store', 5);"
	"CREATE TABLE seeds (seed_id TEXT PRIMARY KEY NOT NULL CHECK (length(seed_id) = 16 AND seed_id NOT GLOB '*[^0-9a-f]*'), owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('active', 'revoked')), expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0), blob BLOB NOT NULL CHECK (length(blob) BETWEEN 1 AND 128)) WITHOUT ROWID;"
	"CREATE TABLE devices (device_id BLOB PRIMARY KEY NOT NULL CHECK (typeof(device_id) = 'blob' AND length(device_id) = 16), generation INTEGER NOT NULL CHECK (generation BETWEEN 0 AND 4294967295), state INTEGER NOT NULL CHECK (state IN (1, 4, 5)), created INTEGER NOT NULL CHECK (created >= 0), expiry INTEGER NOT NULL DEFAULT 0 CHECK (expiry >= 0), key_state INTEGER CHECK (key_state IN (1, 4, 5)), key_generation INTEGER CHECK (key_generation BETWEEN 0 AND 4294967295), key_offset INTEGER, key_expiry INTEGER CHECK (key_expiry >= 0), sealed BLOB CHECK (typeof(sealed) IN ('null', 'blob') AND length(sealed) = 64), gw1_addr BLOB CHECK (typeof(gw1_addr) IN ('null', 'blob') AND length(gw1_addr) BETWEEN 1 AND 65), assigned_offset INTEGER CHECK (typeof(assigned_offset) IN ('null', 'integer')), last_auth_offset INTEGER CHECK (typeof(last_auth_offset) IN ('null', 'integer')), last_addr BLOB CHECK (typeof(last_addr) IN ('null', 'blob') AND length(last_addr) BETWEEN 1 AND 65), CHECK (sealed IS NOT NULL OR state <> 5), CHECK ((sealed IS NULL AND key_state IS NULL AND key_generation IS NULL AND key_offset IS NULL AND key_expiry IS NULL) OR (sealed IS NOT NULL AND key_state IS NOT NULL AND key_generation IS NOT NULL AND key_offset IS NOT NULL AND key_expiry IS NOT NULL))) WITHOUT ROWID;"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	"CREATE TABLE changes (what TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL CHECK (n >= 0)) WITHOUT ROWID;"
	"INSERT INTO changes VALUES ('seeds', 3), ('devices', 7);"
	"CREATE TRIGGER seeds_added AFTER INSERT ON seeds BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; END;"
	"CREATE TRIGGER seeds_changed AFTER UPDATE ON seeds BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; END;"
	"CREATE TRIGGER seeds_deleted AFTER DELETE ON seeds BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; END;"
	"CREATE TABLE device_log (seq INTEGER PRIMARY KEY NOT NULL, device_id BLOB NOT NULL);"
	"CREATE TRIGGER devices_added AFTER INSERT ON devices WHEN new.generation <> 0 OR new.state <> 1 OR new.sealed IS NOT NULL BEGIN UPDATE changes SET n = n + 1 WHERE what = 'devices'; INSERT OR REPLACE INTO device_log VALUES ((SELECT n FROM changes WHERE what = 'devices'), new.device_id); DELETE FROM device_log WHERE seq <= (SELECT n FROM changes WHERE what = 'devices') - 1024; END;"
	"CREATE TRIGGER devices_changed AFTER UPDATE ON devices WHEN old.state IS NOT new.state OR old.generation IS NOT new.generation OR old.sealed IS NOT new.sealed OR old.key_state IS NOT new.key_state OR old.key_generation IS NOT new.key_generation OR old.key_offset IS NOT new.key_offset OR old.key_expiry IS NOT new.key_expiry BEGIN UPDATE changes SET n = n + 1 WHERE what = 'devices'; INSERT OR REPLACE INTO device_log VALUES ((SELECT n FROM changes WHERE what = 'devices'), new.device_id); DELETE FROM device_log WHERE seq <= (SELECT n FROM changes WHERE what = 'devices') - 1024; END;"
	"CREATE TRIGGER devices_deleted AFTER DELETE ON devices BEGIN UPDATE changes SET n = n + 1 WHERE what = 'devices'; INSERT OR REPLACE INTO device_log VALUES ((SELECT n FROM changes WHERE what = 'devices'), old.device_id); DELETE FROM device_log WHERE seq <= (SELECT n FROM changes WHERE what = 'devices') - 1024; END;"
	"PRAGMA user_version = 5;";
static const char v5_pg[] =
	"CREATE TABLE schema_version (application TEXT NOT NULL, version INTEGER NOT NULL);"
	"INSERT INTO schema_version VALUES ('cpns-serverd store', 5);"
	"CREATE TABLE seeds (seed_id TEXT COLLATE \"C\" PRIMARY KEY CHECK (seed_id ~ '^[0-9a-f]{16}$'), owner TEXT NOT NULL, owner_addr TEXT NOT NULL, created BIGINT NOT NULL, state TEXT NOT NULL CHECK (state IN ('active', 'revoked')), expiry BIGINT NOT NULL DEFAULT 0 CHECK (expiry >= 0), blob BYTEA NOT NULL CHECK (length(blob) BETWEEN 1 AND 128));"
	"CREATE TABLE devices (device_id BYTEA PRIMARY KEY CHECK (length(device_id) = 16), generation BIGINT NOT NULL CHECK (generation BETWEEN 0 AND 4294967295), state SMALLINT NOT NULL CHECK (state IN (1, 4, 5)), created BIGINT NOT NULL CHECK (created >= 0), expiry BIGINT NOT NULL DEFAULT 0 CHECK (expiry >= 0), key_state SMALLINT CHECK (key_state IN (1, 4, 5)), key_generation BIGINT CHECK (key_generation BETWEEN 0 AND 4294967295), key_offset BIGINT, key_expiry BIGINT CHECK (key_expiry >= 0), sealed BYTEA CHECK (length(sealed) = 64), gw1_addr BYTEA CHECK (length(gw1_addr) BETWEEN 1 AND 65), assigned_offset BIGINT, last_auth_offset BIGINT, last_addr BYTEA CHECK (length(last_addr) BETWEEN 1 AND 65), CHECK (sealed IS NOT NULL OR state <> 5), CHECK ((sealed IS NULL AND key_state IS NULL AND key_generation IS NULL AND key_offset IS NULL AND key_expiry IS NULL) OR (sealed IS NOT NULL AND key_state IS NOT NULL AND key_generation IS NOT NULL AND key_offset IS NOT NULL AND key_expiry IS NOT NULL)));"
	"CREATE INDEX devices_by_expiry ON devices (expiry) WHERE expiry > 0;"
	"CREATE TABLE changes (what TEXT COLLATE \"C\" PRIMARY KEY, n BIGINT NOT NULL CHECK (n >= 0));"
	"INSERT INTO changes VALUES ('seeds', 3), ('devices', 7);"
	"CREATE TABLE device_log (seq BIGINT NOT NULL, device_id BYTEA NOT NULL, PRIMARY KEY (seq, device_id));"
	"CREATE FUNCTION cpns_seeds_changed() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN UPDATE changes SET n = n + 1 WHERE what = 'seeds'; RETURN NULL; END$$;"
	"CREATE TRIGGER seeds_changed AFTER INSERT OR UPDATE OR DELETE ON seeds FOR EACH ROW EXECUTE FUNCTION cpns_seeds_changed();"
	"CREATE FUNCTION cpns_devices_changed() RETURNS trigger LANGUAGE plpgsql SET enable_nestloop TO 'off' AS $$DECLARE s bigint; BEGIN UPDATE changes SET n = n + 1 WHERE what = 'devices' RETURNING n INTO s; IF TG_OP = 'DELETE' THEN INSERT INTO device_log SELECT DISTINCT s, device_id FROM old_rows; ELSE INSERT INTO device_log SELECT DISTINCT s, device_id FROM new_rows; END IF; DELETE FROM device_log WHERE seq <= s - 1024; RETURN NULL; END$$;"
	"CREATE TRIGGER devices_added AFTER INSERT ON devices REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cpns_devices_changed();"
	"CREATE TRIGGER devices_changed AFTER UPDATE ON devices REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cpns_devices_changed();"
	"CREATE TRIGGER devices_deleted AFTER DELETE ON devices REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cpns_devices_changed();";

/*
 * A version 5 device row: its Device ID (8 x seed, 8 x tail), state,
 * times, key columns (kgen -1: none; sealed 64 x tail) and inventory
 * columns as bytes in hex (NULL: none), and the texts they read back as.
 */
struct v5_row {
	uint8_t seed, tail;
	uint32_t gen;
	uint8_t state;
	int64_t created, expiry;
	int64_t kgen;
	uint8_t kstate;
	int64_t koffset, kexpiry;
	const char *gw1_hex, *gw1;
	const char *aoff, *loff;	/* the offsets' SQL: NULL, or a number */
	const char *last_hex, *last;
};

static const struct v5_row v5_rows[] = {
	/* An inventory row; the GW1 is its seed's owner's host (6 bytes). */
	{ 4, 0x10, 0, CPNS_STATE_ACTIVE, 1700000000, 0, -1, 0, 0, 0,
	  "0a000004e4c6", "10.0.0.4:58566", "0", "3600",
	  "20010db80000000000000000000000010fa0", "[2001:db8::1]:4000" },
	/* Revoked without a blob, no inventory. */
	{ 2, 0x11, 0, CPNS_STATE_REVOKED, 40, 0, -1, 0, 0, 0,
	  NULL, "", "NULL", "NULL", NULL, "" },
	/* Re-keyed, its blob an hour after the row; text addresses. */
	{ 7, 0x12, 1, CPNS_STATE_ACTIVE, 1700000000, 0, 1,
	  CPNS_STATE_ACTIVE, 3600, 0, "61626364656600", "abcdef", "-1000",
	  "NULL", "3031302e302e302e313a31", "010.0.0.1:1" },
	/* Revoked offline: the row revoked, its blob still active. */
	{ 4, 0x13, 2, CPNS_STATE_REVOKED, 30, 0, 2, CPNS_STATE_ACTIVE, 1,
	  0, "6162636465666768696a6b6c6d6e6f70717200", "abcdefghijklmnopqr",
	  "2", "3", "00000000000000000000000000000000ffff", "[::]:65535" },
	/* Unconfirmed, with an expiry of its own. */
	{ 7, 0x14, 1, CPNS_STATE_UNCONFIRMED, 1700000000, 0, 1,
	  CPNS_STATE_UNCONFIRMED, -1000, 1900000000,
	  "5b666538303a3a3125325d3a35", "[fe80::1%2]:5", "5", "6",
	  "ffffffffffff", "255.255.255.255:65535" },
	/* The kernel's revocation record, retiring with its seed. */
	{ 2, 0x15, 3, CPNS_STATE_REVOKED, 1700000000, 1800000000, 0,
	  CPNS_STATE_REVOKED, 500, 0, "677731", "gw1", "NULL", "NULL",
	  NULL, "" },
	/* Texts of 2 characters, as version 5 kept them: their 2 bytes. */
	{ 4, 0x17, 0, CPNS_STATE_ACTIVE, 1700000000, 0, -1, 0, 0, 0,
	  "6162", "ab", "1", "2", "6364", "cd" },
};

static void v5_did(uint8_t *did, const struct v5_row *r)
{
	memset(did, r->seed, 8);
	memset(did + 8, r->tail, 8);
}

/* A bytes literal of hex for SQL, or NULL. */
static void sql_bytes(char *out, size_t len, const char *hex)
{
	if (!hex)
		snprintf(out, len, "NULL");
	else
		snprintf(out, len, "%s%s'", pg ? "'\\x" : "x'", hex);
}

/*
 * A version 5 store at path: seeds 04 (old_store()'s), 02 and 07, of
 * owners gw1-N at 10.0.0.N:4000, and the rows of v5_rows.
 */
static bool v5_store(const char *path)
{
	char sql[1024], did[33], sealed[129], gw1[64], last[64], key[256];
	uint8_t id[CPNS_DEVICE_ID_LEN], b[64];
	const struct v5_row *r;
	bool ok;
	size_t i;

	ok = old_store(path, v5_sqlite, v5_pg) &&
	     raw_sql(path, pg ?
		"INSERT INTO seeds VALUES ('0707070707070707', 'gw1-7', '10.0.0.7:4000', 1, 'active', 0, '\\xaa'), ('0202020202020202', 'gw1-2', '10.0.0.2:4000', 1, 'active', 0, '\\xaa')" :
		"INSERT INTO seeds VALUES ('0707070707070707', 'gw1-7', '10.0.0.7:4000', 1, 'active', 0, x'aa'), ('0202020202020202', 'gw1-2', '10.0.0.2:4000', 1, 'active', 0, x'aa')");
	for (i = 0; ok && i < NELEM(v5_rows); i++) {
		r = &v5_rows[i];
		v5_did(id, r);
		cpns_hex_encode(did, id, CPNS_DEVICE_ID_LEN);
		memset(b, r->tail, sizeof(b));
		cpns_hex_encode(sealed, b, sizeof(b));
		if (r->kgen < 0)
			snprintf(key, sizeof(key), "NULL, NULL, NULL, NULL, NULL");
		else
			snprintf(key, sizeof(key), "%u, %lld, %lld, %lld, %s%s'",
				 r->kstate, (long long)r->kgen,
				 (long long)r->koffset, (long long)r->kexpiry,
				 pg ? "'\\x" : "x'", sealed);
		sql_bytes(gw1, sizeof(gw1), r->gw1_hex);
		sql_bytes(last, sizeof(last), r->last_hex);
		snprintf(sql, sizeof(sql),
			 "INSERT INTO devices VALUES (%s%s', %u, %u, %lld, %lld, %s, %s, %s, %s, %s)",
			 pg ? "'\\x" : "x'", did, r->gen, r->state,
			 (long long)r->created, (long long)r->expiry, key, gw1,
			 r->aoff, r->loff, last);
		ok = raw_sql(path, sql);
	}
	return ok;
}

/* The num of seed 8 x b, -1 if none. */
static int64_t seed_num(const char *path, uint8_t b)
{
	char sql[128];
	int64_t v = -1;

	snprintf(sql, sizeof(sql),
		 "SELECT num FROM seeds WHERE seed_id = '%02x%02x%02x%02x%02x%02x%02x%02x'",
		 b, b, b, b, b, b, b, b);
	if (!raw_count(path, sql, &v))
		return -1;
	return v;
}

/* The length of device 8 x seed, 8 x tail's gw1_addr; -1 if NULL or none. */
static int64_t gw1_len(const char *path, uint8_t seed, uint8_t tail)
{
	char sql[256];
	int64_t v = -1;

	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(length(gw1_addr), -1) FROM devices WHERE seed = (SELECT num FROM seeds WHERE seed_id = '%02x%02x%02x%02x%02x%02x%02x%02x') AND suffix = %s%02x%02x%02x%02x%02x%02x%02x%02x'",
		 seed, seed, seed, seed, seed, seed, seed, seed,
		 pg ? "'\\x" : "x'", tail, tail, tail, tail, tail, tail, tail,
		 tail);
	if (!raw_count(path, sql, &v))
		return -1;
	return v;
}

/*
 * A version 5 store (seeds stored out of order; rows of every kind and
 * address form) is upgraded to version 6: the seeds numbered in seed_id
 * order, every device read back through the API as it was, its blob byte
 * for byte, its addresses' bytes unchanged.
 */
static void test_upgrade_v5(void)
{
	struct cpns_store_device d;
	struct cpns_store_counts c;
	struct cpns_store *st;
	const struct v5_row *r;
	char path[256], err[512], gw1[16];
	uint8_t id[CPNS_DEVICE_ID_LEN], want[REC_LEN];
	int64_t v = -1, n = -1, seeds = -1, devs = -1;
	size_t i, same = 0;
	int ret;

	path_of(path, sizeof(path), "v5.db");
	if (!tap_ok(v5_store(path) &&
		    raw_count(path, "SELECT n FROM changes WHERE what = 'seeds'", &seeds) &&
		    raw_count(path, "SELECT n FROM changes WHERE what = 'devices'", &devs),
		    "v5: a version 5 store made by hand"))
		return;
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	if (!tap_ok(!ret, "v5: upgraded to 6 (%s)", ret ? err : "ok"))
		return;
	for (i = 0; i < NELEM(v5_rows); i++) {
		r = &v5_rows[i];
		v5_did(id, r);
		rec_bytes(want, id, r->kstate, (uint32_t)r->kgen,
			  r->created + r->koffset, r->kexpiry, r->tail);
		snprintf(gw1, sizeof(gw1), "gw1-%u", r->seed);
		ret = cpns_store_device_get(st, id, &d);
		if (!ret && !memcmp(d.did, id, sizeof(id)) &&
		    !memcmp(d.sid, id, 8) && d.generation == r->gen &&
		    d.state == r->state && d.created == r->created &&
		    (int64_t)d.expiry == r->expiry &&
		    d.blob_len == (r->kgen < 0 ? 0 : REC_LEN) &&
		    !memcmp(d.blob, want, d.blob_len) && !strcmp(d.gw1, gw1) &&
		    !strcmp(d.gw1_addr, r->gw1) &&
		    d.assigned == (strcmp(r->aoff, "NULL") ? r->created + atoll(r->aoff) : 0) &&
		    d.last_auth == (strcmp(r->loff, "NULL") ? r->created + atoll(r->loff) : 0) &&
		    !strcmp(d.last_addr, r->last))
			same++;
		else
			tap_diag("v5: device %02x..%02x differs (%d: %s; '%s' %lld %lld '%s')",
				 r->seed, r->tail, ret,
				 ret ? cpns_store_error(st) : "a column",
				 d.gw1_addr, (long long)d.assigned,
				 (long long)d.last_auth, d.last_addr);
	}
	tap_ok(same == NELEM(v5_rows),
	       "v5: all %zu devices read back identical, inventory and blob (%zu)",
	       NELEM(v5_rows), same);
	tap_ok(seed_num(path, 2) == 1 && seed_num(path, 4) == 2 &&
	       seed_num(path, 7) == 3,
	       "v5: the seeds numbered 1, 2, 3 in seed_id order (%lld %lld %lld)",
	       (long long)seed_num(path, 2), (long long)seed_num(path, 4),
	       (long long)seed_num(path, 7));
	raw_count(path, "SELECT count(*) FROM devices WHERE seed = 2 AND length(gw1_addr) = 6 AND length(last_addr) = 18",
		  &v);
	tap_ok(v == 1, "v5: the GW1 at its seed's owner's host kept in 6 bytes (%lld)",
	       (long long)v);
	raw_count(path, "SELECT count(*) FROM devices WHERE length(gw1_addr) = 3 AND length(last_addr) = 3",
		  &v);
	tap_ok(v == 1, "v5: a text of 2 characters given its zero byte, not read as a port (%lld)",
	       (long long)v);
	ret = cpns_store_count(st, &c);
	tap_ok(!ret && c.seeds == 3 && c.inventory == NELEM(v5_rows) &&
	       c.devices == 4 && c.devices_revoked == 3 && c.revocations == 1,
	       "v5: the counts kept (%u seeds, %u rows, %u with a blob, %u revoked)",
	       c.seeds, c.inventory, c.devices, c.devices_revoked);
	ret = cpns_store_changes(st, &v, &n);
	tap_ok(!ret && v == seeds && n == devs,
	       "v5: the counters kept (%lld, %lld)", (long long)v,
	       (long long)n);
	v = -1;
	raw_count(path, "SELECT count(*) FROM device_log", &v);
	tap_ok(!v && cpns_store_device_log(st, devs - 1, devs, NULL, NULL) == -ERANGE,
	       "v5: the log emptied, a change from before it told so (%lld)",
	       (long long)v);
	memset(id, 7, 8);
	memset(id + 8, 0x16, 8);
	ret = cpns_store_device_assigned(st, id, "10.0.0.7:5000",
					 1700000000);
	v = gw1_len(path, 7, 0x16);
	tap_ok(!ret && v == 2,
	       "v5: the upgraded store takes an assignment, from its seed's owner in 2 bytes (%lld)",
	       (long long)v);
	cpns_store_close(st);
	v = -1;
	raw_count(path, "SELECT version FROM schema_version", &v);
	tap_ok(v == CPNS_STORE_VERSION, "v5: schema_version says %d (%lld)",
	       CPNS_STORE_VERSION, (long long)v);
	if (!pg) {
		raw_count(path, "PRAGMA page_size", &v);
		tap_ok(v == 4096, "v5: the upgraded file keeps its page size (%lld)",
		       (long long)v);
	}
}

/* The whole of a file, or of the database's tables, as one text. */
static char *store_dump(const char *path)
{
	static const char sql[] =
		"SELECT md5(string_agg(t, ',' ORDER BY t)) FROM (SELECT s::text AS t FROM seeds s UNION ALL SELECT d::text FROM devices d UNION ALL SELECT v::text FROM schema_version v UNION ALL SELECT c::text FROM changes c UNION ALL SELECT l::text FROM device_log l) x";
	struct stat sb;
	PGresult *res;
	PGconn *c;
	char *out = NULL;
	int fd;

	if (pg) {
		c = PQconnectdb(path);
		res = PQexec(c, sql);
		if (PQresultStatus(res) == PGRES_TUPLES_OK &&
		    PQntuples(res) == 1)
			out = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		PQfinish(c);
		return out;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb))
		goto out;
	out = calloc(1, (size_t)sb.st_size + 1);
	if (out && read(fd, out, (size_t)sb.st_size) != sb.st_size) {
		free(out);
		out = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	return out;
}

/*
 * A version 5 device row whose seed is not stored cannot be numbered:
 * the upgrade is refused, and the store is left as it was.
 */
static void test_upgrade_v5_orphan(void)
{
	char path[256], *before, *after;
	struct stat sb = { 0 };
	bool same;

	path_of(path, sizeof(path), "v5orphan.db");
	if (!tap_ok(v5_store(path) &&
		    raw_sql(path, pg ?
			    "INSERT INTO devices (device_id, generation, state, created) VALUES ('\\x05050505050505059999999999999999', 0, 4, 5)" :
			    "INSERT INTO devices (device_id, generation, state, created) VALUES (x'05050505050505059999999999999999', 0, 4, 5)"),
		    "v5: a version 5 store with a device of no stored seed"))
		return;
	if (!pg)
		stat(path, &sb);
	before = store_dump(path);
	refused(path, 0, -EBADMSG, "the store is corrupted; not upgraded",
		"a version 5 device whose seed is not stored");
	after = store_dump(path);
	same = before && after &&
	       (pg ? !strcmp(before, after) :
		     !memcmp(before, after, (size_t)sb.st_size));
	tap_ok(same, "v5: the refused upgrade changed nothing (the %s)",
	       pg ? "tables' rows" : "file, byte for byte");
	free(before);
	free(after);
}

/*
 * GW1's address in 2 bytes, its port alone, when its host is that of the
 * seed's owner_addr (the seed's owner sent II-5); 6 or 18 bytes or text
 * otherwise. Every form reads back as the text the API was given.
 */
static void test_owner_port(void)
{
	static const struct {
		uint8_t seed;
		const char *addr;
		int64_t len;
	} cases[] = {
		{ 3, "10.0.0.3:58566", 2 },	/* owner 10.0.0.3:4000 */
		{ 3, "10.0.0.3:4000", 2 },
		{ 3, "10.0.0.3:1", 2 },
		{ 3, "10.0.0.4:4000", 6 },
		{ 3, "10.0.0.30:4000", 6 },
		{ 3, "010.0.0.3:4000", 14 },
		{ 3, "10.0.0.3:04000", 14 },
		{ 3, "[::ffff:10.0.0.3]:4000", 18 },
		{ 6, "[2001:db8::6]:5000", 2 },	/* owner [2001:db8::6]:4000 */
		{ 6, "[2001:db8::7]:5000", 18 },
		{ 6, "10.0.0.6:4000", 6 },
		{ 6, "[2001:DB8::6]:5000", 19 },
		{ 8, "gw1.example:4000", 16 },	/* owner gw1.example:4000 */
		{ 8, "gw1.example:5000", 16 },
		{ 9, "10.0.0.9:4000", 6 },	/* owner 10.0.0.9 */
	};
	struct cpns_store_device d;
	struct cpns_store_seed s;
	struct cpns_store *st;
	char path[256], err[512];
	size_t i, same = 0;
	int64_t v;
	int ret;

	st = store_seeded(path, sizeof(path), "port.db", "port");
	if (!st)
		return;
	seed_fill(&s, 6);
	strcpy(s.owner_addr, "[2001:db8::6]:4000");
	ret = cpns_store_seed_add(st, &s);
	seed_fill(&s, 8);
	strcpy(s.owner_addr, "gw1.example:4000");
	ret = ret ? ret : cpns_store_seed_add(st, &s);
	seed_fill(&s, 9);
	strcpy(s.owner_addr, "10.0.0.9");
	ret = ret ? ret : cpns_store_seed_add(st, &s);
	tap_ok(!ret, "port: seeds of IPv4, IPv6 and other owner addresses");
	for (i = 0; i < NELEM(cases); i++) {
		memset(d.did, cases[i].seed, 8);
		memset(d.did + 8, (uint8_t)(0x40 + i), 8);
		ret = cpns_store_device_assigned(st, d.did, cases[i].addr,
						 1700000000);
		v = gw1_len(path, cases[i].seed, (uint8_t)(0x40 + i));
		ret = ret ? ret : cpns_store_device_get(st, d.did, &d);
		if (!ret && v == cases[i].len &&
		    !strcmp(d.gw1_addr, cases[i].addr))
			same++;
		else
			tap_diag("port: '%s' (seed %u) is %lld bytes, read back as '%s' (%d)",
				 cases[i].addr, cases[i].seed, (long long)v,
				 ret ? "" : d.gw1_addr, ret);
	}
	tap_ok(same == NELEM(cases),
	       "port: %zu addresses, 2 bytes exactly from the seed owner's host, read back as given (%zu)",
	       NELEM(cases), same);
	cpns_store_close(st);
	ret = cpns_store_open(path, CPNS_STORE_RDONLY, &st, err, sizeof(err));
	memset(d.did, 3, 8);
	memset(d.did + 8, 0x40, 8);
	ret = ret ? ret : cpns_store_device_get(st, d.did, &d);
	tap_ok(!ret && !strcmp(d.gw1_addr, "10.0.0.3:58566"),
	       "port: reopened, the 2-byte form reads back the same (%s)",
	       ret ? err : d.gw1_addr);
	cpns_store_close(st);

	/* A port whose seed's owner_addr is no address any more. */
	raw_sql(path, "UPDATE seeds SET owner_addr = 'gw1.example:4000' WHERE seed_id = '0303030303030303'");
	ret = cpns_store_open(path, CPNS_STORE_LAZY, &st, err, sizeof(err));
	ret = ret ? ret : cpns_store_device_get(st, d.did, &d);
	tap_ok(ret == -EBADMSG,
	       "port: refused when its seed's owner_addr is no address (%d: %s)",
	       ret, st ? cpns_store_error(st) : err);
	cpns_store_close(st);
}

/*
 * Seed numbers: given by the store on insert, distinct, above 0; a
 * number is not reused while its seed is stored.
 */
static void test_seed_nums(void)
{
	struct cpns_store_seed s;
	struct cpns_store *st;
	char path[256];
	int64_t a, b, n = -1, bad = -1;
	int ret;

	st = store_seeded(path, sizeof(path), "nums.db", "nums");
	if (!st)
		return;
	seed_fill(&s, 0x22);
	ret = cpns_store_seed_add(st, &s);
	seed_fill(&s, 0x11);
	ret = ret ? ret : cpns_store_seed_add(st, &s);
	a = seed_num(path, 0x22);
	b = seed_num(path, 0x11);
	tap_ok(!ret && a > 0 && b > 0 && a != b,
	       "nums: two seeds added get distinct numbers above 0 (%lld, %lld)",
	       (long long)a, (long long)b);
	seed_fill(&s, 0x33);
	ret = cpns_store_seed_del(st, (uint8_t[CPNS_SEED_ID_LEN]){ 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 });
	ret = ret ? ret : cpns_store_seed_add(st, &s);
	raw_count(path, "SELECT count(DISTINCT num) FROM seeds", &n);
	raw_count(path, "SELECT count(*) FROM seeds WHERE num <= 0", &bad);
	tap_ok(!ret && n == 3 && !bad && seed_num(path, 0x33) != b,
	       "nums: a seed added after one deleted gets a number of its own (%lld)",
	       (long long)seed_num(path, 0x33));
	cpns_store_close(st);
}

/* Address texts and their gw1_addr columns for a seed of owner_addr
 * 10.0.0.3:4000 (store.rst; tools/store-vectors.py's OWNER and
 * ADDRESSES): the bytes a row holds.
 */
static const struct {
	const char *text, *hex;
} packed[] = {
	{ "", NULL },
	{ "10.77.1.2:58566", "0a4d0102e4c6" },
	{ "10.0.0.3:58566", "e4c6" },	/* the seed's owner: 10.0.0.3:4000 */
	{ "[2001:db8::1]:4000", "20010db80000000000000000000000010fa0" },
	{ "abcdef", "61626364656600" },
	{ "ab", "616200" },
	{ "010.0.0.1:1", "3031302e302e302e313a31" },
	{ "10.0.0.1:01", "31302e302e302e313a3031" },
	{ "[fe80::1%2]:5", "5b666538303a3a3125325d3a35" },
};

static void test_address_bytes(void)
{
	struct cpns_store *st;
	struct cpns_store_device d;
	char path[256], sql[512];
	size_t i, same = 0;
	int64_t v;
	int ret;

	st = store_seeded(path, sizeof(path), "packed.db", "packed");
	if (!st)
		return;
	for (i = 0; i < NELEM(packed); i++) {
		rec_fill(&d, (uint8_t)(0x70 + i), 0, CPNS_STATE_ACTIVE, 0);
		ret = cpns_store_device_assigned(st, d.did, packed[i].text,
						 1700000000);
		if (packed[i].hex)
			snprintf(sql, sizeof(sql),
				 "SELECT count(*) FROM devices WHERE gw1_addr = %s%s' AND assigned_offset = 0",
				 pg ? "'\\x" : "x'", packed[i].hex);
		else
			snprintf(sql, sizeof(sql),
				 "SELECT count(*) FROM devices WHERE gw1_addr IS NULL AND assigned_offset = 0");
		v = -1;
		if (!ret && raw_count(path, sql, &v) && v == 1)
			same++;
		else
			tap_diag("packed: '%s' is not %s (%d, %lld)",
				 packed[i].text,
				 packed[i].hex ? packed[i].hex : "NULL", ret,
				 (long long)v);
	}
	tap_ok(same == NELEM(packed),
	       "packed: %zu addresses stored as store.rst's bytes (%zu)",
	       NELEM(packed), same);
	cpns_store_close(st);
}

/*
 * A row with its whole inventory, as the daemon writes it, reads back as
 * written, whatever its address: a created later than the times, text
 * that is no address, the longest text.
 */
static void test_inventory_forms(void)
{
	static const char *const addrs[] = {
		"10.77.1.2:58566", "[2001:db8::5]:443", "[fe80::1%3]:7",
		"abcdef", "abcdefghijklmnopqr", "gw1.example:1",
		"0123456789012345678901234567890123456789012345678901234567890123",
	};
	struct cpns_store_device d, r;
	struct cpns_store_seen seen;
	struct cpns_store *st;
	char path[256];
	size_t i, same = 0;
	int ret;

	st = store_seeded(path, sizeof(path), "forms.db", "forms");
	if (!st)
		return;
	for (i = 0; i < NELEM(addrs); i++) {
		rec_fill(&d, (uint8_t)(0x60 + i), 1, CPNS_STATE_ACTIVE,
			 (uint8_t)i);
		seen_set(&seen, d.did, 1700000000 + 86400 * (int64_t)i,
			 addrs[NELEM(addrs) - 1 - i]);
		/* Assigned before its record's row was made (created). */
		ret = cpns_store_device_cas(st, NULL, &d) ||
		      cpns_store_device_assigned(st, d.did, addrs[i],
						 1600000000 + (int64_t)i) ||
		      cpns_store_devices_seen(st, &seen, 1, NULL);
		/* The row made again with another created: times kept. */
		d.created += 100;
		ret = ret || cpns_store_device_put(st, &d) ||
		      cpns_store_device_get(st, d.did, &r);
		if (!ret && !strcmp(r.gw1_addr, addrs[i]) &&
		    !strcmp(r.last_addr, seen.addr) &&
		    r.assigned == 1600000000 + (int64_t)i &&
		    r.last_auth == seen.when && r.created == d.created &&
		    r.blob_len == d.blob_len &&
		    !memcmp(r.blob, d.blob, d.blob_len))
			same++;
		else
			tap_diag("forms: '%s' read back as '%s', '%s' %lld %lld",
				 addrs[i], r.gw1_addr, r.last_addr,
				 (long long)r.assigned, (long long)r.last_auth);
	}
	tap_ok(same == NELEM(addrs),
	       "forms: %zu rows with their whole inventory read back as written (%zu)",
	       NELEM(addrs), same);
	cpns_store_close(st);
}

/* The store of test_compact(): seed 5, device 05..05 66..66 re-keyed. */
static bool compact_store(const char *path, struct cpns_store_device *d)
{
	struct cpns_store_seed s;
	struct cpns_store *st;
	char err[512];
	bool ok;

	if (cpns_store_open(path, CPNS_STORE_CREATE, &st, err, sizeof(err)))
		return false;
	seed_fill(&s, 5);
	memset(d, 0, sizeof(*d));
	memset(d->did, 5, 8);
	memset(d->did + 8, 0x66, 8);
	memcpy(d->sid, d->did, 8);
	d->generation = 2;
	d->state = CPNS_STATE_ACTIVE;
	d->created = 1700000000;
	rec_blob(d, 0x5a);
	ok = !cpns_store_seed_add(st, &s) && !cpns_store_device_put(st, d);
	cpns_store_close(st);
	return ok;
}

#define THE_DEVICE \
	" WHERE (seed, suffix) = (SELECT seed, suffix FROM devices ORDER BY seed, suffix LIMIT 1)"

/*
 * A compact row altered by hand. One the database's checks would refuse
 * is refused at open (a full read), clearly; one they allow (a header
 * column, a salt byte) rebuilds another blob, which the kernel's unwrap
 * refuses as it refuses any altered blob (the VM tests).
 */
/* The opcodes named op in the program of sql on the SQLite store at path. */
static int opcodes(const char *path, const char *sql, const char *op)
{
	char explain[600];
	sqlite3_stmt *s = NULL;
	sqlite3 *db;
	int n = -1;

	snprintf(explain, sizeof(explain), "EXPLAIN %s", sql);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, explain, -1, &s, NULL) == SQLITE_OK)
		for (n = 0; sqlite3_step(s) == SQLITE_ROW;)
			n += !strcmp((const char *)sqlite3_column_text(s, 1), op);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* A device row of state st (key_state kst) of the store's one seed. */
static void row_of_state(char *sql, size_t len, const char *st,
			 const char *kst)
{
	snprintf(sql, len,
		 "INSERT INTO devices (seed, suffix, generation, state, created, key_state, key_generation, key_offset, key_expiry, sealed) VALUES ((SELECT num FROM seeds), randomblob(8), 0, %s, 1, %s, 0, 0, 0, zeroblob(64))",
		 st, kst);
}

/*
 * A device row's state rules cost no temporary b-tree per row written
 * (sqlite.c, STATE_IS), and still refuse what is no state.
 */
static void test_state_checks(void)
{
	static const struct {
		const char *state, *key_state;
		bool ok;
	} rows[] = {
		{ "1", "1", true }, { "4", "5", true }, { "5", "4", true },
		{ "2", "1", false }, { "1", "3", false }, { "'1x'", "1", false },
		{ "NULL", "1", false }, { "1", "0", false },
	};
	char path[256], sql[512];
	struct cpns_store *st;
	size_t i;
	int n;

	st = store_seeded(path, sizeof(path), "checks.db", "checks");
	if (!st)
		return;
	cpns_store_close(st);
	row_of_state(sql, sizeof(sql), "1", "1");
	n = opcodes(path, sql, "OpenEphemeral");
	tap_ok(n == 0, "checks: writing a device row opens no temporary b-tree (%d)",
	       n);
	for (i = 0; i < NELEM(rows); i++) {
		row_of_state(sql, sizeof(sql), rows[i].state,
			     rows[i].key_state);
		tap_ok(raw_sql(path, sql) == rows[i].ok,
		       "checks: a row of state %s, key_state %s: %s",
		       rows[i].state, rows[i].key_state,
		       rows[i].ok ? "stored" : "refused");
	}
}

static void test_compact(void)
{
	static const struct {
		const char *what, *sqlite, *pg, *want;
	} bad[] = {
		{ "sealed bytes of 63",
		  "PRAGMA ignore_check_constraints = 1; UPDATE devices SET sealed = substr(sealed, 1, 63)" THE_DEVICE,
		  "ALTER TABLE devices DROP CONSTRAINT devices_sealed_check; UPDATE devices SET sealed = substr(sealed, 1, 63)" THE_DEVICE,
		  "neither all set nor all NULL" },
		{ "a key column without its sealed bytes",
		  "PRAGMA ignore_check_constraints = 1; UPDATE devices SET sealed = NULL" THE_DEVICE,
		  "ALTER TABLE devices DROP CONSTRAINT devices_check1; UPDATE devices SET sealed = NULL" THE_DEVICE,
		  "neither all set nor all NULL" },
		{ "a key_state that is no device state",
		  "PRAGMA ignore_check_constraints = 1; UPDATE devices SET key_state = 3" THE_DEVICE,
		  "ALTER TABLE devices DROP CONSTRAINT devices_key_state_check; UPDATE devices SET key_state = 3" THE_DEVICE,
		  "key_state is not 1, 4 or 5" },
		{ "a suffix of 7 bytes",
		  "PRAGMA ignore_check_constraints = 1; UPDATE devices SET suffix = substr(suffix, 1, 7)" THE_DEVICE,
		  "ALTER TABLE devices DROP CONSTRAINT devices_suffix_check; UPDATE devices SET suffix = substr(suffix, 1, 7)" THE_DEVICE,
		  "that is not 8 bytes" },
		{ "a blob created before the epoch",
		  "UPDATE devices SET key_offset = -created - 1" THE_DEVICE,
		  "UPDATE devices SET key_offset = -created - 1" THE_DEVICE,
		  "key_offset is not an integer" },
	};
	static const struct {
		const char *what, *sql;
		int at;			/* the blob's byte that changes */
	} edit[] = {
		{ "key_generation", "UPDATE devices SET key_generation = key_generation + 1" THE_DEVICE, 7 },
		{ "key_offset", "UPDATE devices SET key_offset = key_offset + 1" THE_DEVICE, 15 },
		{ "key_expiry", "UPDATE devices SET key_expiry = 1" THE_DEVICE, 23 },
		{ "created", "UPDATE devices SET created = created + 1" THE_DEVICE, 15 },
		{ "key_state", "UPDATE devices SET key_state = 5" THE_DEVICE, 3 },
	};
	struct cpns_store_device d, e;
	struct cpns_store *st;
	char path[256], err[512], sql[512];
	size_t i;
	int ret;

	for (i = 0; i < NELEM(bad); i++) {
		path_of(path, sizeof(path), "compact.db");
		if (!pg)
			unlink(path);
		if (!tap_ok(compact_store(path, &d), "compact: a store with a re-keyed device"))
			return;
		spoil(path, bad[i].sqlite, bad[i].pg);
		/* SQLite's quick_check finds a CHECK broken: read lazily. */
		refused(path, 0, -EBADMSG, "corrupted", bad[i].what);
		ret = cpns_store_open(path, CPNS_STORE_LAZY, &st, err,
				      sizeof(err));
		if (!ret)
			ret = cpns_store_device_list(st, &(struct cpns_store_filter){ .limit = 1 },
						     NULL, NULL);
		tap_ok(ret == -EBADMSG && strstr(cpns_store_error(st), bad[i].want),
		       "compact: %s: the row refused when read (%d, \"%s\")",
		       bad[i].what, ret, st ? cpns_store_error(st) : err);
		cpns_store_close(st);
	}

	/* A seed number of no seed: the row names no Device ID any more. */
	path_of(path, sizeof(path), "compact.db");
	if (!pg)
		unlink(path);
	compact_store(path, &d);
	spoil(path, "UPDATE devices SET seed = 999" THE_DEVICE,
	      "ALTER TABLE devices DROP CONSTRAINT devices_seed_fkey; UPDATE devices SET seed = 999" THE_DEVICE);
	refused(path, 0, -EBADMSG, "its seed (number 999) is not stored",
		"a seed number that names no seed");
	ret = cpns_store_open(path, CPNS_STORE_LAZY, &st, err, sizeof(err));
	sql[0] = '\0';
	if (!ret)
		ret = cpns_store_device_list(st, &(struct cpns_store_filter){ .limit = 10 },
					     list_cb, sql);
	tap_ok(!ret && cpns_store_device_get(st, d.did, &e) == -ENOENT &&
	       !sql[0],
	       "compact: a seed number of no seed: read lazily, the row is neither found nor listed (%d, '%s')",
	       ret, sql);
	cpns_store_close(st);

	for (i = 0; i < NELEM(edit); i++) {
		path_of(path, sizeof(path), "compact.db");
		if (!pg)
			unlink(path);
		compact_store(path, &d);
		raw_sql(path, edit[i].sql);
		ret = cpns_store_open(path, 0, &st, err, sizeof(err));
		if (!ret)
			ret = cpns_store_device_get(st, d.did, &e);
		tap_ok(!ret && e.blob_len == REC_LEN &&
		       e.blob[edit[i].at] != d.blob[edit[i].at] &&
		       !memcmp(e.blob + 24, d.blob + 24, REC_LEN - 24),
		       "compact: %s edited: the rebuilt blob's header differs (byte %d), so its unwrap fails",
		       edit[i].what, edit[i].at);
		cpns_store_close(st);
	}
	path_of(path, sizeof(path), "compact.db");
	if (!pg)
		unlink(path);
	compact_store(path, &d);
	snprintf(sql, sizeof(sql), "UPDATE devices SET sealed = %s" THE_DEVICE,
		 pg ? "overlay(sealed placing '\\x01'::bytea from 1 for 1)" :
		      "CAST(x'01' || substr(sealed, 2) AS BLOB)");
	raw_sql(path, sql);
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	if (!ret)
		ret = cpns_store_device_get(st, d.did, &e);
	tap_ok(!ret && !memcmp(e.blob, d.blob, 40) && e.blob[40] == 1 &&
	       !memcmp(e.blob + 41, d.blob + 41, REC_LEN - 41),
	       "compact: a salt byte edited: the rebuilt blob differs there alone, so its unwrap fails");
	cpns_store_close(st);
}

int main(void)
{
	char cmd[128], good[256];

	pg = getenv("CPNS_TEST_STORE");
	if (pg && !cpns_store_is_url(pg)) {
		tap_ok(false, "CPNS_TEST_STORE=%s is not a postgresql:// URI", pg);
		return tap_done();
	}
	tap_diag("backend: %s", pg ? "postgresql" : "sqlite");
	if (!mkdtemp(dir)) {
		tap_ok(false, "store: mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_basic();
	test_rotate();
	test_seed_changes();
	test_device_changes();
	test_inventory();
	test_cas();
	path_of(good, sizeof(good), "good.db");
	if (!make_good(good, pg ? 5 : 200)) {
		if (!pg)
			test_file_refusals(good);
		test_schema_refusals(good);
	}
	if (pg)
		test_pg_refusals();
	else
		test_upgrade();
	test_upgrade_v2();
	test_upgrade_v3();
	test_upgrade_v4();
	test_upgrade_v4_pages();
	test_upgrade_v5();
	test_upgrade_v5_orphan();
	test_owner_port();
	test_seed_nums();
	test_device_log();
	test_inventory_forms();
	test_address_bytes();
	test_compact();
	if (!pg)
		test_state_checks();
	if (pg)
		path_of(good, sizeof(good), "");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
	return tap_done();
}
