/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Inside libcpnsstore: what store.c (the rows, their checks, the
 * transactions of store.h) asks of a backend (sqlite.c, postgresql.c).
 * A backend runs SQL in the dialect both share: parameters $1, $2, ...
 * (numbered in order of first use), INSERT ... ON CONFLICT, and values
 * that are NULL, a 64-bit integer, text or a blob. Its own dialect is in
 * its schema and upgrades only.
 */
#ifndef CPNS_STORE_BACKEND_H
#define CPNS_STORE_BACKEND_H

#include "store.h"

#define STORE_ERRLEN	512
#define STORE_APP	"cpns-serverd store"	/* schema_version.application */

enum sv_type { SV_NULL, SV_INT, SV_TEXT, SV_BLOB };

/* A parameter or a column of a result row. */
struct sv {
	enum sv_type type;
	int64_t i;
	const char *s;		/* SV_TEXT, NUL-terminated */
	const uint8_t *b;	/* SV_BLOB */
	size_t len;		/* SV_BLOB */
};

#define SV_I(v)		((struct sv){ .type = SV_INT, .i = (int64_t)(v) })
#define SV_S(v)		((struct sv){ .type = SV_TEXT, .s = (v) })
#define SV_B(p, n)	((struct sv){ .type = SV_BLOB, .b = (p), .len = (n) })
#define SV_NIL		((struct sv){ .type = SV_NULL })

/* One result row (valid during the call); non-zero stops and is returned. */
typedef int (*store_row_fn)(struct cpns_store *st, const struct sv *col,
			    int ncol, void *arg);

/**
 * struct store_ops - a backend
 * @open: connect to target; *empty if it holds nothing yet (a new file,
 *	an empty database); flags as cpns_store_open()
 * @run: one statement with np parameters; fn for each row (may be NULL);
 *	*changes (may be NULL) the rows it changed. Errors: -EEXIST (a
 *	unique key), -ENOLINK (a foreign key), -EINVAL (another constraint),
 *	-EROFS, -EBUSY, -EBADMSG (corruption), -EIO ...; st->err is set.
 * @begin: a write transaction (@commit, @rollback end it); serialises
 *	schema changes between processes sharing the store
 * @version: within a transaction: the schema version (0 and *empty if
 *	nothing is there); -EBADMSG if the store is not ours
 * @create: within a transaction: the schema of CPNS_STORE_VERSION
 * @upgrade: within a transaction: the schema of version from to from + 1
 * @integrity: the backend's own consistency check, if it has one
 * @compact: after an upgrade, outside a transaction: give back the space
 *	the old tables took, if the backend keeps it (may be NULL)
 * @seed_num: an SQL expression: the number (seeds.num) of a seed being
 *	added, one no other seed of the store has
 */
struct store_ops {
	const char *name;
	const char *seed_num;
	int (*open)(struct cpns_store *st, const char *target,
		    unsigned int flags, bool *empty);
	void (*close)(struct cpns_store *st);
	int (*run)(struct cpns_store *st, const char *sql, const struct sv *p,
		   int np, store_row_fn fn, void *arg, int64_t *changes);
	int (*begin)(struct cpns_store *st);
	int (*commit)(struct cpns_store *st);
	void (*rollback)(struct cpns_store *st);
	int (*version)(struct cpns_store *st, int64_t *v, bool *empty);
	int (*create)(struct cpns_store *st);
	int (*upgrade)(struct cpns_store *st, int64_t from);
	int (*integrity)(struct cpns_store *st, bool full);
	void (*compact)(struct cpns_store *st);
};

struct cpns_store {
	const struct store_ops *ops;
	void *be;			/* the backend's connection */
	bool rdonly;
	bool created;			/* made by this open */
	bool failed;			/* the open failed: undo it */
	bool upgraded;			/* this open upgraded the schema */
	char path[4096];		/* as shown: no password */
	char err[STORE_ERRLEN];
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/*
 * Row callbacks the backends share: store_int_cb() takes the first
 * column as an integer (-1 if it is not one) into *(int64_t *)arg;
 * store_app_cb() reads schema_version's row into a struct store_app.
 */
struct store_app {
	char name[64];
	int64_t version;
	int rows;
};

int store_int_cb(struct cpns_store *st, const struct sv *c, int n,
		 void *arg);
int store_app_cb(struct cpns_store *st, const struct sv *c, int n,
		 void *arg);

/*
 * A row callback for the check before the upgrade to version 6: its first
 * column is the Device ID (hex) of a version 5 row whose seed is not
 * stored; refuses the upgrade.
 */
int store_v5_orphan_cb(struct cpns_store *st, const struct sv *c, int n,
		       void *arg);

/*
 * A row callback for the check before the upgrade to version 4: its first
 * column is the Device ID (text) of a version 3 row whose blob is not a
 * record that the compact row can hold; refuses the upgrade.
 */
int store_v3_bad_row_cb(struct cpns_store *st, const struct sv *c, int n,
			void *arg);

/*
 * An address column of a device row (store.rst, "A device row"): the
 * text of an address (at most CPNS_STORE_ADDR_MAX characters) packed into
 * out; its length, 0 for the empty text (stored as NULL).
 * store_addr_unpack(): the text back; -EBADMSG if b is no packed address.
 */
#define STORE_ADDR_BYTES	(CPNS_STORE_ADDR_MAX + 1)
size_t store_addr_pack(const char *text, uint8_t out[STORE_ADDR_BYTES]);
int store_addr_unpack(const uint8_t *b, size_t len,
		      char out[CPNS_STORE_ADDR_MAX + 1]);

/*
 * A gw1_addr column (version 6): as an address column, or the port alone
 * (2 bytes) where the address has the host of the seed's owner_addr
 * (owner: that owner_addr as store_addr_pack() packs it).
 */
size_t store_gw1_pack(const char *text, const uint8_t *owner,
		      size_t owner_len, uint8_t out[STORE_ADDR_BYTES]);
int store_gw1_unpack(const uint8_t *b, size_t len, const char *owner,
		     char out[CPNS_STORE_ADDR_MAX + 1]);

/*
 * Within the upgrade to version 5: for each row of table "from" whose
 * version 4 address columns are not empty, its Device ID and packed
 * addresses (NULL for none) inserted into table "to" (device_id,
 * gw1_addr, last_addr), some thousand rows a statement (PostgreSQL;
 * SQLite packs them in SQL).
 */
int store_v5_addrs(struct cpns_store *st, const char *from, const char *to);

/* Set st->err; return err. */
int store_fail(struct cpns_store *st, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* CPNS_STORE_BACKEND_H */
