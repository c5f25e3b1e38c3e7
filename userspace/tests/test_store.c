// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * lib/store/store.c on the host: create, reopen, rows and their transactions,
 * labels, expiry, and the refusals of a store that is not ours, of a
 * newer schema, torn, truncated, corrupted or edited. The blobs are
 * arbitrary bytes here: unwrapping is the kernel's (VM tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "tap.h"

static char dir[] = "/tmp/cpns-test-store.XXXXXX";

static void path_of(char *out, size_t len, const char *name)
{
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

/* Run SQL on a store behind the library's back (as sqlite3(1) would). */
static bool raw_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	bool ok;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return false;
	ok = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	return ok;
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
	refused(path, 0, -ENOENT, "No such file", "a missing file without create");
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
	d.blob_len = 80;
	memset(d.blob, 0x77, d.blob_len);
	tap_ok(!cpns_store_device_put(st, &d), "store: device record stored");
	d.state = CPNS_STATE_ACTIVE;
	tap_ok(!cpns_store_device_put(st, &d) &&
	       !cpns_store_device_get(st, d.did, &e) &&
	       e.state == CPNS_STATE_ACTIVE && e.generation == 1 &&
	       e.blob_len == 80 && !memcmp(e.blob, d.blob, 80),
	       "store: device record replaced and read back");
	memset(e.did, 9, 16);
	memcpy(e.sid, e.did, 8);
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
	       e.state == CPNS_STATE_REVOKED && e.blob_len == 80,
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

static void test_refusals(void)
{
	char good[256], path[256], err[512];
	struct cpns_store_seed s;
	struct cpns_store *st;
	struct stat sb;
	int fd, ret;

	path_of(good, sizeof(good), "good.db");
	if (cpns_store_open(good, CPNS_STORE_CREATE, &st, err, sizeof(err))) {
		tap_ok(false, "store: create %s: %s", good, err);
		return;
	}
	/* Enough rows for several pages, so that truncation cuts data. */
	for (ret = 0; ret < 200; ret++) {
		seed_fill(&s, (uint8_t)ret);
		s.sid[0] = (uint8_t)(ret >> 8) + 1;
		s.blob_len = CPNS_MAX_BLOB;
		cpns_store_seed_add(st, &s);
	}
	cpns_store_close(st);	/* the last close checkpoints the WAL */
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

	path_of(path, sizeof(path), "other.db");
	raw_sql(path, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
	refused(path, 0, -EBADMSG, "not a cpns store", "another application's database");

	path_of(path, sizeof(path), "newer.db");
	copy_file(good, path);
	raw_sql(path, "PRAGMA user_version = 2");
	refused(path, 0, -EBADMSG, "newer", "a newer schema version");

	path_of(path, sizeof(path), "torn.db");
	copy_file(good, path);
	raw_sql(path, "DROP TABLE seeds");
	refused(path, 0, -EBADMSG, "torn", "a store missing a table");

	path_of(path, sizeof(path), "v0.db");
	copy_file(good, path);
	raw_sql(path, "PRAGMA user_version = 0");
	refused(path, 0, -EBADMSG, "torn", "schema version 0");

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
	fd = open(path, O_WRONLY);
	ret = pwrite(fd, "\xff\xff\xff\xff\xff\xff\xff\xff", 8, 4096 + 2);
	close(fd);
	refused(path, 0, -EBADMSG, "corrupted", "a damaged b-tree page");

	/* Rows edited behind SQLite's checks (PRAGMA ignore_check_constraints). */
	path_of(path, sizeof(path), "row.db");
	copy_file(good, path);
	raw_sql(path, "PRAGMA ignore_check_constraints = 1; UPDATE seeds SET seed_id = 'xyz' WHERE seed_id = (SELECT min(seed_id) FROM seeds)");
	refused(path, 0, -EBADMSG, "corrupted", "a seed_id that is not hex");

	path_of(path, sizeof(path), "state.db");
	copy_file(good, path);
	raw_sql(path, "PRAGMA ignore_check_constraints = 1; UPDATE seeds SET state = 'weird' WHERE seed_id = (SELECT min(seed_id) FROM seeds)");
	refused(path, 0, -EBADMSG, "corrupted", "an unknown state");

	path_of(path, sizeof(path), "blob.db");
	copy_file(good, path);
	raw_sql(path, "PRAGMA ignore_check_constraints = 1; UPDATE seeds SET blob = zeroblob(200) WHERE seed_id = (SELECT min(seed_id) FROM seeds)");
	refused(path, 0, -EBADMSG, "corrupted", "an oversized blob");

	path_of(path, sizeof(path), "orphan.db");
	copy_file(good, path);
	raw_sql(path, "INSERT INTO devices VALUES ('ffffffffffffffff0000000000000000', 'ffffffffffffffff', 0, 'revoked', 1, 0, NULL)");
	refused(path, 0, -EBADMSG, "its seed is not stored", "a device record without its seed");

	/* An edit SQLite's checks allow still fails the label check: */
	path_of(path, sizeof(path), "edit.db");
	copy_file(good, path);
	raw_sql(path, "UPDATE seeds SET owner = 'mallory' WHERE seed_id = (SELECT min(seed_id) FROM seeds)");
	ret = cpns_store_open(path, 0, &st, err, sizeof(err));
	tap_ok(!ret, "store: an edited owner opens (the kernel's unwrap refuses its label)");
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
	d.blob_len = 80;
	memset(d.blob, 0x77, d.blob_len);
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

int main(void)
{
	char cmd[128];

	if (!mkdtemp(dir)) {
		tap_ok(false, "store: mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	test_basic();
	test_refusals();
	test_rotate();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
	return tap_done();
}
