/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * libcpnsstore: the server's persistent store (Documentation/cpns-serverd.rst,
 * section STORE). One schema on two backends, chosen by the target given
 * to cpns_store_open(): "postgresql://..." (or "postgres://...", a libpq
 * connection URI) is a PostgreSQL database that several servers may
 * share, anything else the path of a SQLite file. store.c holds the rows
 * and their checks, sqlite.c and postgresql.c the backends (backend.h);
 * callers see only struct cpns_store. The schema: a table of Key Seeds
 * and a table of devices (the inventory: every confirmed assignment, with
 * a re-keyed Device Key or a revocation where there is one), the keys as
 * blobs that the kernel sealed under the operator's key-encryption key
 * (CPNS_CMD_KEY_WRAP), and schema_version. Nothing here is secret: the
 * store holds public metadata and wrapped blobs only, and this library
 * never talks to the kernel. cpns-serverd and cpnsctl share it.
 *
 * A device's blob is kept compact (schema version 4, and its inventory
 * since version 5: the addresses as bytes, the times as offsets; since
 * version 6 a device is its seed's number and its Device ID's last 8
 * bytes, and a GW1 on its seed owner's host keeps only its port): the row
 * holds the header fields of the blob that its other columns do not, and
 * the salt and sealed bytes; cpns_store_device_get() and the walks
 * rebuild the whole blob, and a blob written must be a device record of
 * store.rst (104 bytes, role server, of the row's Device ID: -EINVAL
 * otherwise).
 *
 * Every function returns 0 or a negative errno: -EBADMSG for a store that
 * is torn, corrupted or not ours, -ENOENT for a row that is not there,
 * -EEXIST for one that already is, -EIO (or the errno the backend saw) for
 * the rest; cpns_store_error() then says what happened in one line.
 */
#ifndef CPNS_STORE_H
#define CPNS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/cpns.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The schema this library writes (schema_version.version). */
#define CPNS_STORE_VERSION	6
/* PRAGMA application_id of a cpns store: "CPNS". */
#define CPNS_STORE_APP_ID	0x43504e53
#define CPNS_STORE_OWNER_MAX	64	/* the GW1's name (wire name) */
#define CPNS_STORE_ADDR_MAX	64	/* its address as the daemon saw it */
#define CPNS_STORE_LABEL_LEN	32	/* CPNS_A_LABEL of a stored blob */

struct cpns_store;

/* cpns_store_open() flags. */
#define CPNS_STORE_CREATE	(1u << 0)	/* make a new store if PATH is absent */
#define CPNS_STORE_RDONLY	(1u << 1)	/* inspect only (cpnsctl store) */
#define CPNS_STORE_FULL_CHECK	(1u << 2)	/* integrity_check, not quick_check */
#define CPNS_STORE_LAZY		(1u << 3)	/* no scan of the whole store */

/* A Key Seed made here (I-2) and sent to a GW1 (I-3). */
struct cpns_store_seed {
	uint8_t sid[CPNS_SEED_ID_LEN];
	char owner[CPNS_STORE_OWNER_MAX + 1];	/* GW1's name from I-1 */
	char owner_addr[CPNS_STORE_ADDR_MAX + 1]; /* "10.1.0.2:58566" */
	int64_t created;			/* seconds since the epoch */
	uint8_t state;				/* ACTIVE or REVOKED */
	uint64_t expiry;			/* seconds since the epoch, 0: none */
	uint8_t blob[CPNS_MAX_BLOB];
	size_t blob_len;
};

/*
 * A device: a re-keyed Device Key (generation >= 1, state UNCONFIRMED,
 * ACTIVE or REVOKED, with its blob), a revocation record (blob_len 0,
 * state REVOKED) or an assigned device whose key the server derives from
 * its seed (blob_len 0, state ACTIVE). The inventory fields after blob_len
 * are not bound into the blob's label, and cpns_store_device_put() leaves
 * them as they are: cpns_store_device_assigned() and
 * cpns_store_devices_seen() write them.
 */
struct cpns_store_device {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t sid[CPNS_SEED_ID_LEN];		/* the first 8 bytes of did */
	uint32_t generation;
	uint8_t state;				/* enum cpns_state */
	int64_t created;
	uint64_t expiry;
	uint8_t blob[CPNS_MAX_BLOB];
	size_t blob_len;			/* 0: no key of its own */
	char gw1[CPNS_STORE_OWNER_MAX + 1];	/* the GW1 that assigned it */
	char gw1_addr[CPNS_STORE_ADDR_MAX + 1];	/* its address then */
	int64_t assigned;			/* II-7 sent; 0: not seen */
	int64_t last_auth;			/* the last a-3 sent; 0: none */
	char last_addr[CPNS_STORE_ADDR_MAX + 1]; /* GW2's address then */
};

/*
 * Open the store target: a PostgreSQL connection URI (see
 * cpns_store_is_url()) or the path of a SQLite file. Without
 * CPNS_STORE_CREATE the store must exist; with it, a missing file (or a
 * database without a table) becomes a new, empty store (an existing empty
 * file is refused: it is a truncated store, not a new one). An existing
 * store must be ours (SQLite: our application_id; both: schema_version's
 * application), of a known schema version (an older one is upgraded in
 * one transaction; a newer one is refused, -EBADMSG) and pass SQLite's
 * PRAGMA quick_check (integrity_check with CPNS_STORE_FULL_CHECK) and the
 * row checks of cpns_store_check_rows(). With CPNS_STORE_LAZY (a server
 * whose store may hold millions of devices) neither quick_check nor the
 * devices' rows are checked at open: each device row is checked when it is
 * read, and the open costs the same whatever their number. A PostgreSQL
 * server that cannot
 * be reached is -ECONNREFUSED, a refused login -EACCES. On failure *out
 * is NULL and err holds the reason (never a password).
 */
int cpns_store_open(const char *target, unsigned int flags,
		    struct cpns_store **out, char *err, size_t errlen);
void cpns_store_close(struct cpns_store *st);

/* A SQLite store in memory, gone when closed (a server without a store). */
#define CPNS_STORE_MEMORY	":memory:"

/* Whether target names a PostgreSQL database rather than a file. */
bool cpns_store_is_url(const char *target);

/* The reason for the last failure on st (never NULL). */
const char *cpns_store_error(const struct cpns_store *st);
/* The target as shown in messages: a URI's password is replaced by "*". */
const char *cpns_store_path(const struct cpns_store *st);
/* "sqlite" or "postgresql". */
const char *cpns_store_backend(const struct cpns_store *st);

/*
 * Check every row's columns: a Seed ID of 16 hex digits, a Device ID of 16
 * bytes whose seed is stored, known states, a seed's blob of at most
 * CPNS_MAX_BLOB bytes, a device's key columns all set (a blob rebuilt,
 * Documentation/store.rst "A device row") or all NULL where none is
 * needed. Done by cpns_store_open().
 */
int cpns_store_check_rows(struct cpns_store *st);

/*
 * The CPNS_A_LABEL bound into a row's blob: SHA-256 over the table name,
 * the ID and the metadata that the kernel's blob header does not hold
 * (for a seed: owner, owner_addr and created; for a device: seed_id and
 * created), so that a row whose columns were edited does not unwrap.
 */
void cpns_store_seed_label(const struct cpns_store_seed *s,
			   uint8_t label[CPNS_STORE_LABEL_LEN]);
void cpns_store_device_label(const struct cpns_store_device *d,
			     uint8_t label[CPNS_STORE_LABEL_LEN]);

/* Add a seed (one transaction). -EEXIST if its Seed ID is stored. */
int cpns_store_seed_add(struct cpns_store *st,
			const struct cpns_store_seed *s);
/*
 * Seed rotation (one transaction): add the new seed r, and retire each of
 * the nold seeds old[]: an active one, and every device record of it, gets
 * the expiry retire_at unless it has an earlier one. A Seed ID of old[]
 * that is not stored changes nothing. -EEXIST if r's Seed ID is stored.
 */
int cpns_store_seed_rotate(struct cpns_store *st,
			   const struct cpns_store_seed *r,
			   const uint8_t (*old)[CPNS_SEED_ID_LEN], size_t nold,
			   uint64_t retire_at);
/* The earliest expiry of any row, 0 if none has one. */
int cpns_store_next_expiry(struct cpns_store *st, uint64_t *when);
/*
 * The change counters, read in one indexed query (either pointer may be
 * NULL). seeds: made larger by every transaction that changes the seeds
 * table (a row added, changed or deleted, by any writer: a trigger
 * counts, so a hand edit counts too), committed with it. devices: made
 * larger by every transaction that changes a device row's key columns
 * (state, generation, blob: a re-key, its confirmation, a revocation),
 * deletes a row, or adds one that is not a bare inventory row (generation
 * 0, active, no blob); an assignment or a last authentication does not
 * move it. Servers sharing a store compare them before each request
 * (Documentation/cpns-serverd.rst, "Several servers on one PostgreSQL").
 */
int cpns_store_changes(struct cpns_store *st, int64_t *seeds,
		       int64_t *devices);

/*
 * The devices' change log: each move of the devices' counter (above) is
 * logged with the Device IDs it counted, its seq the counter's value then;
 * the last CPNS_STORE_LOG_KEEP moves are kept. cpns_store_device_log()
 * calls fn for each Device ID of the moves in (since, upto] (in seq
 * order; a device may come more than once); fn's non-zero return stops
 * the walk and is returned. -ERANGE if some of those moves are not in the
 * log: pruned (a reader that fell behind), made by a PostgreSQL statement
 * that changed more than 64 devices (a bulk change, not logged), or made
 * before the store had a log (version 4), or upto below since (a store
 * restored): the reader then reads whatever it needs again, once.
 */
#define CPNS_STORE_LOG_KEEP	1024
typedef int (*cpns_store_log_fn)(const uint8_t did[CPNS_DEVICE_ID_LEN],
				 void *arg);
int cpns_store_device_log(struct cpns_store *st, int64_t since, int64_t upto,
			  cpns_store_log_fn fn, void *arg);

/* Delete a seed and its device records (one transaction). */
int cpns_store_seed_del(struct cpns_store *st,
			const uint8_t sid[CPNS_SEED_ID_LEN]);
int cpns_store_seed_get(struct cpns_store *st,
			const uint8_t sid[CPNS_SEED_ID_LEN],
			struct cpns_store_seed *s);
/*
 * Mark a seed REVOKED (one transaction). Sets *was_revoked. -ENOENT if
 * the seed is not stored.
 */
int cpns_store_seed_revoke(struct cpns_store *st,
			   const uint8_t sid[CPNS_SEED_ID_LEN],
			   bool *was_revoked);

/* Create or replace a device record (one transaction). Its seed must be
 * stored (-ENOENT otherwise). */
int cpns_store_device_put(struct cpns_store *st,
			  const struct cpns_store_device *d);
/*
 * Compare-and-set a device's record (one transaction): replace the key
 * columns (generation, state, expiry, blob) of d->did by d's only if they
 * are still those of old, as read before (cpns_store_device_get()); old
 * NULL, or of generation 0 without a blob, also matches a device without
 * a row, which then gets one (created = d->created). A row created for
 * its inventory alone (generation 0, active, no blob) is a device without
 * a record. -ESTALE if the row changed meanwhile (another server's
 * re-key, a revocation): nothing is written. -ENOENT if the seed is not
 * stored. The inventory columns are kept.
 */
int cpns_store_device_cas(struct cpns_store *st,
			  const struct cpns_store_device *old,
			  const struct cpns_store_device *d);
int cpns_store_device_get(struct cpns_store *st,
			  const uint8_t did[CPNS_DEVICE_ID_LEN],
			  struct cpns_store_device *d);
int cpns_store_device_del(struct cpns_store *st,
			  const uint8_t did[CPNS_DEVICE_ID_LEN]);
/*
 * Revoke a Device ID (one transaction): its record becomes REVOKED (its
 * blob is kept) or, without one, a revocation record is added with
 * created = now. The seed must be stored (-ENOENT). Sets *was_revoked.
 */
int cpns_store_device_revoke(struct cpns_store *st,
			     const uint8_t did[CPNS_DEVICE_ID_LEN],
			     int64_t now, bool *was_revoked);

/*
 * The inventory. cpns_store_device_assigned(): II-7 confirmed did for the
 * GW1 at gw1_addr (the row's GW1 is its seed's owner): a new row (state
 * ACTIVE, generation 0, no blob, created = when) or, for a row already
 * there, its assignment fields. -ENOENT if its seed is not stored.
 */
int cpns_store_device_assigned(struct cpns_store *st,
			       const uint8_t did[CPNS_DEVICE_ID_LEN],
			       const char *gw1_addr, int64_t when);

/* One assignment of cpns_store_devices_assigned(). */
struct cpns_store_assigned {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	const char *gw1_addr;
	int64_t when;
};

/*
 * The n assignments v[], each as cpns_store_device_assigned() writes one,
 * in one transaction: every one is written, or (an error) none.
 */
int cpns_store_devices_assigned(struct cpns_store *st,
				const struct cpns_store_assigned *v, size_t n);

/* An authentication: a-3 sent to did, at when, to addr. */
struct cpns_store_seen {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	int64_t when;
	char addr[CPNS_STORE_ADDR_MAX + 1];
};

/*
 * The last authentication of each of the n devices v[] (in order: a
 * later one of a device wins), in one transaction. A device without a
 * row gets one (as assigned by its seed's owner, at an unknown time); one
 * whose seed is not stored is skipped and counted in *unknown (may be
 * NULL).
 */
int cpns_store_devices_seen(struct cpns_store *st,
			    const struct cpns_store_seen *v, size_t n,
			    size_t *unknown);

/*
 * A page of the inventory in Device ID order: the devices after f->after
 * (NULL: from the first), at most f->limit (0: all), of seed f->sid, of
 * GW1 f->gw1 and in state f->state (each NULL or 0: any). The states:
 * CPNS_STATE_ACTIVE, _UNCONFIRMED, _REVOKED, or CPNS_STORE_EXPIRED (a row
 * whose expiry is at or before f->now, not deleted yet).
 */
#define CPNS_STORE_EXPIRED	0xff
struct cpns_store_filter {
	const uint8_t *sid;
	const char *gw1;
	uint8_t state;
	int64_t now;
	const uint8_t *after;
	unsigned int limit;
};

/*
 * Delete the seeds (with their device records) and device records whose
 * expiry is set and at or before now, in one transaction; fn (may be
 * NULL) is called for each row deleted, before the commit.
 */
typedef void (*cpns_store_expired_fn)(bool is_seed, const uint8_t *id,
				      uint64_t expiry, void *arg);
int cpns_store_expire(struct cpns_store *st, int64_t now,
		      cpns_store_expired_fn fn, void *arg);

/*
 * Every seed, then every device record, in ID order. A callback's
 * non-zero return stops the walk and is returned.
 */
typedef int (*cpns_store_seed_fn)(const struct cpns_store_seed *s, void *arg);
typedef int (*cpns_store_device_fn)(const struct cpns_store_device *d,
				    void *arg);
int cpns_store_seeds(struct cpns_store *st, cpns_store_seed_fn fn, void *arg);
int cpns_store_devices(struct cpns_store *st, cpns_store_device_fn fn,
		       void *arg);
int cpns_store_device_list(struct cpns_store *st,
			   const struct cpns_store_filter *f,
			   cpns_store_device_fn fn, void *arg);

struct cpns_store_counts {
	unsigned int seeds;
	unsigned int seeds_revoked;
	unsigned int devices;		/* device records with a key */
	unsigned int devices_revoked;	/* of all device records */
	unsigned int revocations;	/* revocation records (no key) */
	unsigned int inventory;		/* device rows of any kind */
};

int cpns_store_count(struct cpns_store *st, struct cpns_store_counts *c);

/* "active", "revoked", "unconfirmed" <-> enum cpns_state; 0 if unknown. */
const char *cpns_store_state_name(uint8_t state);
uint8_t cpns_store_state_parse(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* CPNS_STORE_H */
