// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-serverd's persistent store (lib/store/store.h) and the kernel. At start,
 * every seed row is unwrapped into the namespace keyring (KEY_UNWRAP under
 * the configured KEK, with the row's label), all or nothing: a row that
 * does not unwrap, or whose columns disagree with the key it unwraps to,
 * stops the start and every seed loaded so far is deleted again. At I-2,
 * the new seed is wrapped (KEY_WRAP) and committed before I-3 is sent.
 *
 * Devices have no kernel object on the server. A device's record is its
 * row's blob, read with one lookup by Device ID at a-0 and handed to the
 * kernel with the request (keystore_record_get()); the records the kernel
 * makes (a re-key, its confirmation, a revocation) come back as blobs and
 * are written with a compare-and-set against the row read
 * (keystore_record_put()), so that servers sharing a store never replace
 * each other's record. Without a configured store, an in-memory one under
 * an ephemeral KEK holds the records for the daemon's life.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keyutils.h>
#include <sys/random.h>

#include "keyops.h"
#include "serverd.h"

/* ------------------------------------------------------------- kernel */

struct find {
	uint8_t kind;
	const uint8_t *id;
	size_t id_len;
	struct cpns_key *out;
	bool found;
};

static int find_cb(const struct cpns_key *k, void *arg)
{
	struct find *f = arg;

	if (k->kind != f->kind || k->id_len != f->id_len ||
	    memcmp(k->id, f->id, f->id_len))
		return 0;
	*f->out = *k;
	f->found = true;
	return 1;
}

/*
 * The kernel's key of kind and id: 0 and *out, -ENOKEY if there is none,
 * or a negative errno.
 */
int keystore_kernel_key(struct cpns_nl *nl, uint8_t kind, const uint8_t *id,
			struct cpns_key *out)
{
	struct find f = {
		.kind = kind, .id = id, .out = out,
		.id_len = kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
						  CPNS_DEVICE_ID_LEN,
	};
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < 5 && ret == -EAGAIN; tries++) {
		f.found = false;
		ret = cpns_keys_dump(nl, find_cb, &f);
	}
	if (ret < 0)
		return ret;
	return f.found ? 0 : -ENOKEY;
}

static const char *kek_name(const struct server *srv)
{
	static char buf[2 * CPNS_MAX_KEYREF + 2];

	snprintf(buf, sizeof(buf), "%s:%s", srv->kek.type, srv->kek.desc);
	return buf;
}

/* ------------------------------------------------------------- saving */

int keystore_seed_save(struct server *srv, const uint8_t sid[CPNS_SEED_ID_LEN],
		       const char *owner, const char *owner_addr,
		       const struct keystore_retire *rt)
{
	const struct server_conf *conf = srv->conf;
	uint8_t label[CPNS_STORE_LABEL_LEN];
	struct cpns_store_seed row;
	struct cpns_key key;
	int ret;

	memset(&row, 0, sizeof(row));
	memcpy(row.sid, sid, sizeof(row.sid));
	snprintf(row.owner, sizeof(row.owner), "%s", owner);
	snprintf(row.owner_addr, sizeof(row.owner_addr), "%s", owner_addr);
	row.created = time(NULL);
	row.state = CPNS_STATE_ACTIVE;
	/* The expiry as the kernel set it: the blob holds the same. */
	ret = keystore_kernel_key(srv->nl, CPNS_KEY_SEED, sid, &key);
	if (ret) {
		cpns_err("store: seed id %s not found in the kernel: %s",
			 HEX(row.sid), strerror(-ret));
		return ret;
	}
	row.expiry = key.expiry;
	cpns_store_seed_label(&row, label);
	ret = cpns_key_wrap(srv->nl, CPNS_KEY_SEED, sid, &srv->kek, label,
			    sizeof(label), row.blob, &row.blob_len);
	if (ret) {
		cpns_err("store: cannot wrap seed id %s under %s: %s",
			 HEX(row.sid), kek_name(srv),
			 cpns_last_error(srv->nl));
		return ret;
	}
	if (rt && rt->n)
		ret = cpns_store_seed_rotate(srv->store, &row, rt->sid, rt->n,
					     rt->at);
	else
		ret = cpns_store_seed_add(srv->store, &row);
	if (ret) {
		cpns_err("store: %s", cpns_store_error(srv->store));
		return ret;
	}
	cpns_info("store: seed id %s of '%s' (%s) committed, %zu-byte blob%s",
		  HEX(row.sid), row.owner, row.owner_addr, row.blob_len,
		  row.expiry ? ", with its expiry" : "");
	if (rt && rt->n)
		cpns_notice("store: %zu older seed%s of '%s' retire%s at %llu (seed_overlap %u s), in the same transaction",
			    rt->n, rt->n > 1 ? "s" : "", owner,
			    rt->n > 1 ? "" : "s", (unsigned long long)rt->at,
			    conf->seed_overlap);
	keystore_sweep_arm(srv);
	return 0;
}

/* The row's key columns into r; a device without a row has none yet. */
static void rec_from_row(struct keystore_rec *r,
			 const struct cpns_store_device *d)
{
	r->generation = d->generation;
	r->state = d->state;
	r->created = d->created;
	r->expiry = d->expiry;
	r->blob_len = d->blob_len;
	memcpy(r->blob, d->blob, d->blob_len);
}

static void row_from_rec(struct cpns_store_device *d,
			 const uint8_t did[CPNS_DEVICE_ID_LEN],
			 const struct keystore_rec *r)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->did, did, sizeof(d->did));
	memcpy(d->sid, did, sizeof(d->sid));
	d->generation = r->generation;
	d->state = r->state;
	d->created = r->created;
	d->expiry = r->expiry;
	d->blob_len = r->blob_len;
	memcpy(d->blob, r->blob, r->blob_len);
}

/*
 * The state and generation in a device record blob's header
 * (Documentation/store.rst, "The blob"): public, and authenticated by the
 * kernel when it opens the blob. 0, or -EINVAL if it is no device blob.
 */
static int blob_header(const uint8_t *b, size_t len, uint8_t *state,
		       uint32_t *generation)
{
	if (len != 24 + CPNS_DEVICE_ID_LEN + 16 + 48 || b[0] != 1 ||
	    b[1] != CPNS_KEY_DEVICE)
		return -EINVAL;
	*state = b[3];
	*generation = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
		      (uint32_t)b[6] << 8 | b[7];
	return 0;
}

/* The row of a device the store has none of yet, created now. */
static void row_new(struct cpns_store_device *row,
		    const uint8_t did[CPNS_DEVICE_ID_LEN])
{
	memset(row, 0, sizeof(*row));
	memcpy(row->did, did, sizeof(row->did));
	memcpy(row->sid, did, sizeof(row->sid));
	row->state = CPNS_STATE_ACTIVE;
	row->created = time(NULL);
}

int keystore_record_get(struct server *srv,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			struct keystore_rec *r,
			uint8_t label[CPNS_STORE_LABEL_LEN])
{
	struct cpns_store_device d;
	uint32_t gen;
	uint8_t state;
	int ret, bad;

	ret = cpns_store_device_get(srv->store, did, &d);
	if (ret == -ENOENT) {
		/* No record: the first one's row is created now. */
		row_new(&d, did);
		ret = 0;
	}
	if (ret) {
		cpns_err("store: device id %s: %s",
			 cpns_log_hex(did, CPNS_DEVICE_ID_LEN),
			 cpns_store_error(srv->store));
		return ret;
	}
	rec_from_row(r, &d);
	cpns_store_device_label(&d, label);
	if (d.state == CPNS_STATE_REVOKED)
		return -EKEYREVOKED;
	if (!d.blob_len)
		return 0;
	bad = blob_header(d.blob, d.blob_len, &state, &gen);
	if (bad || state != d.state || gen != d.generation) {
		cpns_err("store: device id %s: the row (state %s, generation %u) disagrees with its %zu-byte blob%s: the row was altered; refused",
			 cpns_log_hex(did, CPNS_DEVICE_ID_LEN),
			 cpns_store_state_name(d.state), d.generation,
			 d.blob_len, bad ? " (not a device record)" : "");
		if (!bad)
			cpns_err("store: device id %s: its blob says state %s, generation %u",
				 cpns_log_hex(did, CPNS_DEVICE_ID_LEN),
				 cpns_state_name(state), gen);
		return -EBADMSG;
	}
	return 0;
}

int keystore_record_put(struct server *srv,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			struct keystore_rec *r, const struct cpns_record *rec,
			const char *what)
{
	struct cpns_store_device old, d;
	struct keystore_rec n = *r;
	int ret;

	n.generation = rec->generation;
	n.state = rec->state;
	n.blob_len = rec->blob_len;
	memcpy(n.blob, rec->blob, rec->blob_len);
	row_from_rec(&old, did, r);
	row_from_rec(&d, did, &n);
	ret = cpns_store_device_cas(srv->store, &old, &d);
	if (ret) {
		cpns_err("store: the %s record of device id %s: %s",
			 what, cpns_log_hex(did, CPNS_DEVICE_ID_LEN),
			 cpns_store_error(srv->store));
		return ret;
	}
	*r = n;
	cpns_info("store: device id %s generation %u (%s) committed, %zu-byte blob",
		  cpns_log_hex(did, CPNS_DEVICE_ID_LEN), n.generation,
		  cpns_store_state_name(n.state), n.blob_len);
	return 0;
}

/* addr as the store keeps it: at most CPNS_STORE_ADDR_MAX characters. */
static const char *store_addr(char out[CPNS_STORE_ADDR_MAX + 1],
			      const char *addr)
{
	snprintf(out, CPNS_STORE_ADDR_MAX + 1, "%s", addr);
	return out;
}

/* a's row, into v (its address text into a). */
static void assigned_row(struct keystore_assign *a,
			 struct cpns_store_assigned *v, time_t now)
{
	store_addr(a->addr, a->gw1_addr);
	memcpy(v->did, a->did, sizeof(v->did));
	v->gw1_addr = a->addr;
	v->when = now;
}

/*
 * The rows of a[] (at most KEYSTORE_ASSIGN_MAX) in one transaction: 0, or
 * its failure (a lone row's is logged and left in its ret).
 */
static int assigned_commit(struct server *srv, struct keystore_assign *a,
			   size_t n)
{
	struct cpns_store_assigned v[KEYSTORE_ASSIGN_MAX];
	time_t now = time(NULL);
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		assigned_row(&a[i], &v[i], now);
	ret = cpns_store_devices_assigned(srv->store, v, n);
	if (ret) {
		if (n == 1) {
			a->ret = ret;
			cpns_err("store: the assignment of device id %s: %s",
				 cpns_log_hex(a->did, CPNS_DEVICE_ID_LEN),
				 cpns_store_error(srv->store));
		}
		return ret;
	}
	if (n > 1)
		cpns_debug("store: %zu assignments in one transaction", n);
	for (i = 0; i < n; i++)
		cpns_debug("store: device id %s assigned by %s recorded",
			   cpns_log_hex(v[i].did, CPNS_DEVICE_ID_LEN),
			   v[i].gw1_addr);
	return 0;
}

void keystore_devices_assigned(struct server *srv, struct keystore_assign *a,
			       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		a[i].ret = 0;
	if (!srv->store || !n || !assigned_commit(srv, a, n) || n == 1)
		return;
	cpns_warn("store: %zu assignments in one transaction: %s; storing each alone",
		  n, cpns_store_error(srv->store));
	for (i = 0; i < n; i++)
		assigned_commit(srv, &a[i], 1);
}

void keystore_seen_flush(struct server *srv)
{
	size_t unknown = 0;

	if (!srv->nseen)
		return;
	if (srv->loop && srv->seen_timer.fn)
		cpns_timer_disarm(srv->loop, &srv->seen_timer);
	if (cpns_store_devices_seen(srv->store, srv->seen, srv->nseen,
				    &unknown))
		cpns_warn("store: %zu authentications not recorded: %s",
			  srv->nseen, cpns_store_error(srv->store));
	else if (unknown)
		cpns_warn("store: %zu of %zu authentications are of devices whose seed is not stored: not recorded",
			  unknown, srv->nseen);
	srv->nseen = 0;
}

static void seen_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	(void)loop;
	keystore_seen_flush(t->arg);
}

/*
 * Authentications are written in batches (one transaction each), within
 * KEYSTORE_SEEN_MS of the first or when KEYSTORE_SEEN_MAX wait: a-3 does
 * not wait for the store, and a crash loses at most those last times.
 */
void keystore_device_seen(struct server *srv,
			  const uint8_t did[CPNS_DEVICE_ID_LEN],
			  const char *gw2_addr)
{
	struct cpns_store_seen *e;

	if (!srv->store)
		return;
	if (srv->nseen == KEYSTORE_SEEN_MAX)
		keystore_seen_flush(srv);
	e = &srv->seen[srv->nseen++];
	memcpy(e->did, did, sizeof(e->did));
	e->when = time(NULL);
	store_addr(e->addr, gw2_addr);
	if (srv->nseen > 1 || !srv->loop)
		return;
	if (!srv->seen_timer.fn)
		cpns_timer_init(&srv->seen_timer, seen_timer, srv);
	if (cpns_timer_arm(srv->loop, &srv->seen_timer,
			   cpns_now_ms() + KEYSTORE_SEEN_MS))
		keystore_seen_flush(srv);
}

int keystore_revocation_label(struct server *srv,
			       const uint8_t did[CPNS_DEVICE_ID_LEN],
			       struct cpns_store_device *row,
			       uint8_t label[CPNS_STORE_LABEL_LEN])
{
	struct cpns_store_seed seed;
	int ret;

	/* A device of one of this store's seeds, with a row or not yet. */
	ret = cpns_store_seed_get(srv->store, did, &seed);
	if (!ret) {
		ret = cpns_store_device_get(srv->store, did, row);
		if (ret == -ENOENT) {
			row_new(row, did);
			ret = 0;
		}
	}
	if (!ret)
		cpns_store_device_label(row, label);
	return ret;
}

int keystore_revocation_save(struct server *srv,
			     struct cpns_store_device *row,
			     const struct cpns_record *rec)
{
	if (!rec->blob_len || rec->state != CPNS_STATE_REVOKED) {
		cpns_err("device id %s: the kernel gave no revocation record",
			 cpns_log_hex(row->did, CPNS_DEVICE_ID_LEN));
		return -EPROTO;
	}
	row->state = CPNS_STATE_REVOKED;
	row->blob_len = rec->blob_len;
	memcpy(row->blob, rec->blob, rec->blob_len);
	/* In place of any other record: a revocation always wins. */
	return cpns_store_device_put(srv->store, row);
}

int keystore_device_revoke(struct server *srv,
			   const uint8_t did[CPNS_DEVICE_ID_LEN],
			   bool *was_revoked, int32_t *serial,
			   uint32_t *sessions)
{
	uint8_t label[CPNS_STORE_LABEL_LEN];
	struct cpns_store_device row;
	struct cpns_record rec;
	int ret;

	*serial = 0;
	*sessions = 0;
	if (!srv->store)
		return -ENOENT;
	ret = keystore_revocation_label(srv, did, &row, label);
	if (ret)
		return ret;
	*was_revoked = row.state == CPNS_STATE_REVOKED;
	ret = cpns_device_revoke_rec(srv->nl, did, &srv->kek, label,
				     sizeof(label), &rec, sessions);
	if (ret) {
		cpns_err("device id %s: the kernel refused its revocation: %s",
			 cpns_log_hex(did, CPNS_DEVICE_ID_LEN),
			 cpns_last_error(srv->nl));
		return 1;
	}
	ret = keystore_revocation_save(srv, &row, &rec);
	if (ret) {
		cpns_err("store: device id %s: its revocation (%u sessions closed) could not be stored: %s",
			 cpns_log_hex(did, CPNS_DEVICE_ID_LEN), *sessions,
			 cpns_store_error(srv->store));
		return ret;
	}
	cpns_notice("device id %s revoked: its revocation record stored (%zu-byte blob), %u sessions closed",
		    cpns_log_hex(did, CPNS_DEVICE_ID_LEN), rec.blob_len,
		    *sessions);
	return 0;
}

/* The active seeds of owner that have not expired: they retire. */
struct owned {
	const char *owner;
	int64_t now;
	struct keystore_retire *rt;
	int64_t newest;
};

static int owned_cb(const struct cpns_store_seed *s, void *arg)
{
	struct owned *o = arg;
	struct keystore_retire *rt = o->rt;

	if (strcmp(s->owner, o->owner) || s->state != CPNS_STATE_ACTIVE ||
	    (s->expiry && (int64_t)s->expiry <= o->now))
		return 0;
	if (rt->n == KEYSTORE_RETIRE_MAX) {
		cpns_warn("store: '%s' owns more than %d active seeds: seed id %s is not retired now",
			  o->owner, KEYSTORE_RETIRE_MAX, HEX(s->sid));
		return 0;
	}
	memcpy(rt->sid[rt->n++], s->sid, CPNS_SEED_ID_LEN);
	/* I-3 names the newest; its retirement is the earlier of the two. */
	if (s->created >= o->newest) {
		o->newest = s->created;
		memcpy(rt->last, s->sid, CPNS_SEED_ID_LEN);
		rt->last_at = s->expiry && s->expiry < rt->at ? s->expiry :
							       rt->at;
	}
	return 0;
}

int keystore_owned_seeds(struct server *srv, const char *owner,
			 struct keystore_retire *rt)
{
	struct owned o = { .owner = owner, .now = time(NULL), .rt = rt,
			   .newest = INT64_MIN };
	int ret;

	memset(rt, 0, sizeof(*rt));
	rt->at = (uint64_t)o.now + srv->conf->seed_overlap;
	ret = cpns_store_seeds(srv->store, owned_cb, &o);
	if (ret)
		cpns_err("store: listing the seeds of '%s': %s", owner,
			 cpns_store_error(srv->store));
	return ret;
}

void keystore_seed_forget(struct server *srv,
			  const uint8_t sid[CPNS_SEED_ID_LEN])
{
	if (cpns_store_seed_del(srv->store, sid))
		cpns_err("store: seed id %s unsent but still stored: %s",
			 cpns_log_hex(sid, CPNS_SEED_ID_LEN),
			 cpns_store_error(srv->store));
	else
		cpns_info("store: unsent seed id %s deleted",
			  cpns_log_hex(sid, CPNS_SEED_ID_LEN));
}

static void expired_log(bool is_seed, const uint8_t *id, uint64_t expiry,
			void *arg)
{
	unsigned int *n = arg;

	(*n)++;
	cpns_notice("store: %s %s expired at %llu: deleted",
		    is_seed ? "seed id" : "device record",
		    cpns_log_hex(id, is_seed ? CPNS_SEED_ID_LEN :
				 CPNS_DEVICE_ID_LEN),
		    (unsigned long long)expiry);
}

int keystore_expire(struct server *srv)
{
	unsigned int n = 0;
	int ret = cpns_store_expire(srv->store, time(NULL), expired_log, &n);

	if (ret) {
		cpns_err("store: deleting expired rows: %s",
			 cpns_store_error(srv->store));
		return ret;
	}
	srv->swept += n;
	if (n)
		cpns_notice("store: sweep: %u expired rows deleted (%llu since start)",
			    n, (unsigned long long)srv->swept);
	return 0;
}

/*
 * The sweep: at the store's next expiry (at least every
 * KEYSTORE_SWEEP_MAX seconds), delete the expired rows. The kernel
 * refuses expired keys by itself and its key gc removes them.
 */
static void sweep_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct server *srv = t->arg;

	(void)loop;
	keystore_expire(srv);
	keystore_sweep_arm(srv);
}

void keystore_sweep_arm(struct server *srv)
{
	uint64_t next = 0, delay = KEYSTORE_SWEEP_MAX;
	int64_t now = time(NULL);

	if (!srv->store || !srv->loop)
		return;
	if (!srv->sweep.fn)
		cpns_timer_init(&srv->sweep, sweep_timer, srv);
	if (cpns_store_next_expiry(srv->store, &next))
		cpns_err("store: the next expiry: %s",
			 cpns_store_error(srv->store));
	else if (next)
		delay = (int64_t)next <= now ? 0 :
			next - (uint64_t)now < delay ? next - (uint64_t)now :
						       delay;
	/* A row is expired at its expiry: sweep just after that second. */
	if (cpns_timer_arm(srv->loop, &srv->sweep,
			   cpns_now_ms() + delay * 1000 + 500))
		cpns_err("store: cannot arm the sweep timer");
}

/* ------------------------------------------------------------- loading */

struct idlist {
	struct {
		uint8_t kind;
		uint8_t id[CPNS_DEVICE_ID_LEN];
	} *v;
	size_t n, cap;
};

struct load {
	struct server *srv;
	struct cpns_nl *nl;
	const struct server_conf *conf;
	struct cpns_store *store;
	struct idlist added;	/* put in the kernel now: undone on failure */
	struct idlist expired;	/* refused by the kernel as expired */
	struct idlist retire;	/* a retirement to finish in the kernel */
	unsigned int seeds, seeds_revoked, present, revoked, retired;
	bool failed;		/* a callback logged why */
};

static int note_id(struct idlist *l, uint8_t kind, const uint8_t *id,
		   size_t len)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (!p)
			return -ENOMEM;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n].kind = kind;
	memcpy(l->v[l->n].id, id, len);
	l->n++;
	return 0;
}

static int note_added(struct load *l, uint8_t kind, const uint8_t *id,
		      size_t len)
{
	return note_id(&l->added, kind, id, len);
}

static void undo(struct load *l)
{
	size_t i;
	int ret;

	for (i = 0; i < l->added.n; i++) {
		uint8_t kind = l->added.v[i].kind;
		const uint8_t *id = l->added.v[i].id;

		ret = kind == CPNS_KEY_SEED ? cpns_key_del_seed(l->nl, id) :
					      cpns_key_del_device(l->nl, id);
		if (ret)
			cpns_err("store: could not remove %s again: %s",
				 cpns_log_hex(id, kind == CPNS_KEY_SEED ?
					      CPNS_SEED_ID_LEN :
					      CPNS_DEVICE_ID_LEN),
				 cpns_last_error(l->nl));
	}
	if (l->added.n)
		cpns_notice("store: the %zu keys loaded before the failure were removed from the kernel",
			    l->added.n);
}

/*
 * The kernel's key for a row: its state must be the row's (a row revoked
 * while the kernel's key is not is a revocation that did not reach the
 * kernel: finish it) and its expiry the row's.
 */
static int compare(struct load *l, const char *what, const uint8_t *id,
		   uint8_t kind, uint8_t state, uint32_t generation,
		   uint64_t expiry, const struct cpns_key *k)
{
	size_t len = kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
					     CPNS_DEVICE_ID_LEN;
	bool same_expiry = k->expiry == expiry;
	int32_t serial;
	uint32_t sessions;
	int ret;

	/*
	 * A rotation commits the retirement (an earlier expiry) before
	 * KEY_RETIRE, and the blob keeps the expiry it was wrapped with:
	 * the kernel's key may outlive the row; KEY_RETIRE of its seed then
	 * finishes it (retire_all()).
	 */
	if (!same_expiry && expiry && (!k->expiry || k->expiry > expiry)) {
		ret = note_id(&l->retire, CPNS_KEY_SEED, id, CPNS_SEED_ID_LEN);
		if (ret)
			return ret;
		same_expiry = true;
	}
	if (k->role != CPNS_ROLE_SERVER || !same_expiry ||
	    k->generation != generation ||
	    (k->state != state && state != CPNS_STATE_REVOKED)) {
		cpns_err("store: %s %s: the kernel's key (role %s, state %s, generation %u, expiry %llu) disagrees with the store (role server, state %s, generation %u, expiry %llu): refusing to start",
			 what, cpns_log_hex(id, len), cpns_role_name(k->role),
			 cpns_state_name(k->state), k->generation,
			 (unsigned long long)k->expiry,
			 cpns_store_state_name(state), generation,
			 (unsigned long long)expiry);
		return -EBADMSG;
	}
	if (k->state == state)
		return 0;
	ret = cpns_key_revoke(l->nl, kind, id, &serial, &sessions);
	if (ret) {
		cpns_err("store: %s %s is revoked in the store but the kernel refused to revoke it: %s",
			 what, cpns_log_hex(id, len), cpns_last_error(l->nl));
		return ret;
	}
	cpns_notice("store: %s %s is revoked in the store: revoked in the kernel too (key %d, %u sessions closed)",
		    what, cpns_log_hex(id, len), serial, sessions);
	l->revoked++;
	return 0;
}

/*
 * Finish the retirements the store holds and the kernel did not (see
 * compare()): KEY_RETIRE of each seed with the time its row has left.
 * The seed's row has the retirement (cpns_store_seed_rotate() sets the
 * seed's and its records' expiry together).
 */
static int retire_all(struct load *l)
{
	struct cpns_store_seed row;
	uint64_t expiry, now;
	uint32_t count;
	int32_t serial;
	size_t i, j;
	int ret;

	for (i = 0; i < l->retire.n; i++) {
		const uint8_t *sid = l->retire.v[i].id;

		for (j = 0; j < i; j++)
			if (!memcmp(l->retire.v[j].id, sid, CPNS_SEED_ID_LEN))
				break;
		if (j < i)
			continue;	/* done already */
		ret = cpns_store_seed_get(l->store, sid, &row);
		if (ret) {
			cpns_err("store: seed id %s: %s",
				 cpns_log_hex(sid, CPNS_SEED_ID_LEN),
				 cpns_store_error(l->store));
			return ret;
		}
		now = (uint64_t)time(NULL);
		if (!row.expiry)
			continue;	/* only a record of it retires */
		ret = cpns_key_retire(l->nl, sid,
				      row.expiry > now ?
				      (uint32_t)(row.expiry - now) : 0,
				      &serial, &expiry, &count);
		if (ret) {
			cpns_err("store: seed id %s retires at %llu in the store, but KEY_RETIRE failed: %s",
				 cpns_log_hex(sid, CPNS_SEED_ID_LEN),
				 (unsigned long long)row.expiry,
				 cpns_last_error(l->nl));
			return ret;
		}
		cpns_notice("store: seed id %s retires at %llu (the store's retirement, finished in the kernel: %u keys)",
			    cpns_log_hex(sid, CPNS_SEED_ID_LEN),
			    (unsigned long long)expiry, count);
		l->retired++;
	}
	return 0;
}

/* KEY_UNWRAP of one row; 0, 1 if the row had expired (deleted), or < 0. */
static int unwrap_row(struct load *l, const char *what, uint8_t kind,
		      const uint8_t *id, uint32_t generation,
		      const uint8_t *blob, size_t blob_len,
		      const uint8_t label[CPNS_STORE_LABEL_LEN])
{
	size_t len = kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
					     CPNS_DEVICE_ID_LEN;
	struct cpns_unwrapped u;
	int ret;

	memset(&u, 0, sizeof(u));
	ret = cpns_key_unwrap(l->nl, blob, blob_len, &l->srv->kek, label,
			      CPNS_STORE_LABEL_LEN, &u);
	if (ret == -EKEYEXPIRED) {
		/* Deleted after the walk, which must not see it change. */
		cpns_notice("store: %s %s has expired (the kernel refused it): deleting it",
			    what, cpns_log_hex(id, len));
		ret = note_id(&l->expired, kind, id, len);
		return ret ? ret : 1;
	}
	if (ret) {
		cpns_err("store: %s %s does not unwrap under %s: %s%s",
			 what, cpns_log_hex(id, len), kek_name(l->srv),
			 cpns_last_error(l->nl),
			 ret == -EBADMSG ?
			 " (a wrong KEK, or the row or its blob was altered)" :
			 ret == -ENOKEY ?
			 " (load the KEK into the daemon's keyring first: Documentation/cpns-serverd.rst, KEY-ENCRYPTION KEY)" :
			 "");
		return ret;
	}
	if (u.kind != kind || memcmp(u.id, id, len) ||
	    u.generation != generation) {
		cpns_err("store: %s %s unwrapped to another key (%s %s generation %u, the row says generation %u): the store is corrupted",
			 what, cpns_log_hex(id, len), cpns_kind_name(u.kind),
			 cpns_log_hex(u.id, u.kind == CPNS_KEY_SEED ?
				      CPNS_SEED_ID_LEN : CPNS_DEVICE_ID_LEN),
			 u.generation, generation);
		/* Remove what the kernel stored under its own ID. */
		if (u.kind == CPNS_KEY_SEED)
			cpns_key_del_seed(l->nl, u.id);
		else
			cpns_key_del_device(l->nl, u.id);
		return -EBADMSG;
	}
	return note_added(l, kind, id, len);
}

/* The kernel's key after a load step; logs a failure. */
static int kernel_key(struct load *l, const char *what, uint8_t kind,
		      const uint8_t *id, struct cpns_key *k)
{
	size_t len = kind == CPNS_KEY_SEED ? CPNS_SEED_ID_LEN :
					     CPNS_DEVICE_ID_LEN;
	int ret = keystore_kernel_key(l->nl, kind, id, k);

	if (ret && ret != -ENOKEY)
		cpns_err("store: %s %s: listing the kernel's keys: %s", what,
			 cpns_log_hex(id, len), cpns_last_error(l->nl));
	return ret;
}

static int load_seed(const struct cpns_store_seed *s, void *arg)
{
	struct load *l = arg;
	uint8_t label[CPNS_STORE_LABEL_LEN];
	struct cpns_key k;
	int ret;

	ret = kernel_key(l, "seed id", CPNS_KEY_SEED, s->sid, &k);
	if (!ret) {
		l->present++;
	} else if (ret == -ENOKEY) {
		cpns_store_seed_label(s, label);
		ret = unwrap_row(l, "seed id", CPNS_KEY_SEED, s->sid, 0,
				 s->blob, s->blob_len, label);
		if (ret > 0)
			return 0;	/* expired and deleted */
		if (!ret)
			ret = kernel_key(l, "seed id", CPNS_KEY_SEED, s->sid,
					 &k);
		if (ret == -ENOKEY)
			cpns_err("store: seed id %s: unwrapped, but not in the kernel's keyring",
				 HEX(s->sid));
	}
	if (ret) {
		l->failed = true;
		return ret;
	}
	ret = compare(l, "seed id", s->sid, CPNS_KEY_SEED, s->state, 0,
		      s->expiry, &k);
	if (ret)
		l->failed = true;
	else
		l->seeds++;
	if (!ret && s->state == CPNS_STATE_REVOKED)
		l->seeds_revoked++;
	return ret;
}

/* Count the kernel's server seeds that the store does not hold. */
struct strays {
	struct cpns_store *store;
	unsigned int n;
};

static int stray_cb(const struct cpns_key *k, void *arg)
{
	struct strays *s = arg;
	struct cpns_store_seed row;

	if (k->kind == CPNS_KEY_SEED && k->role == CPNS_ROLE_SERVER &&
	    cpns_store_seed_get(s->store, k->id, &row) == -ENOENT) {
		cpns_warn("store: seed id %s is in the kernel but not in the store: it will not survive a reboot",
			  cpns_log_hex(k->id, k->id_len));
		s->n++;
	}
	return 0;
}

/* Delete the rows whose keys the kernel refused as expired. */
static int delete_expired(struct load *l)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < l->expired.n && !ret; i++)
		ret = cpns_store_seed_del(l->store, l->expired.v[i].id);
	if (ret)
		cpns_err("store: %s", cpns_store_error(l->store));
	return ret;
}

/*
 * Without a configured store: an in-memory one, under a KEK of random
 * bytes made now (a logon key in the daemon's process keyring, which
 * userspace cannot read back), both gone with the daemon.
 */
static int ephemeral_kek(struct server *srv)
{
	uint8_t buf[32];
	ssize_t n;

	n = getrandom(buf, sizeof(buf), 0);
	snprintf(srv->kek_desc, sizeof(srv->kek_desc),
		 "cpns-serverd:ephemeral-%d", (int)getpid());
	srv->kek.type = "logon";
	srv->kek.desc = srv->kek_desc;
	if (n != (ssize_t)sizeof(buf) ||
	    add_key("logon", srv->kek_desc, buf, sizeof(buf),
		    KEY_SPEC_PROCESS_KEYRING) < 0) {
		cpns_err("cannot make the ephemeral KEK of the in-memory store: %s",
			 strerror(errno));
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int keystore_open(struct server *srv)
{
	const struct server_conf *conf = srv->conf;
	const char *target = conf->store_path ? conf->store_path :
						CPNS_STORE_MEMORY;
	struct strays strays;
	struct load l = {
		.srv = srv, .nl = srv->nl, .conf = conf,
	};
	char err[512];
	int ret;

	if (conf->store_path)
		srv->kek = conf->kek;
	else if (ephemeral_kek(srv))
		return -1;
	/* Lazy: device rows are read when a request names them. */
	ret = cpns_store_open(target, CPNS_STORE_CREATE | CPNS_STORE_LAZY,
			      &l.store, err, sizeof(err));
	if (ret) {
		cpns_err("store: %s: refusing to start", err);
		return ret;
	}
	srv->store = l.store;
	ret = seedsync_start(srv);
	if (!ret)
		ret = keystore_expire(srv);
	if (ret)
		goto fail;
	ret = cpns_store_seeds(l.store, load_seed, &l);
	if (ret) {
		if (!l.failed)
			cpns_err("store: %s", cpns_store_error(l.store));
		cpns_err("store: %s not loaded: refusing to start",
			 cpns_store_path(l.store));
		undo(&l);
		goto fail;
	}
	ret = delete_expired(&l);
	if (!ret)
		ret = retire_all(&l);
	if (ret) {
		undo(&l);
		goto fail;
	}
	strays.store = l.store;
	strays.n = 0;
	/* An in-memory store never holds what the kernel kept from before. */
	if (conf->store_path)
		cpns_keys_dump(srv->nl, stray_cb, &strays);
	if (conf->store_path)
		cpns_notice("store %s (%s): %u seeds (%u revoked), device records read per request, under KEK %s: %zu keys loaded, %u already in the kernel, %u revocations and %u retirements completed",
			    cpns_store_path(l.store),
			    cpns_store_backend(l.store), l.seeds,
			    l.seeds_revoked, kek_name(srv), l.added.n,
			    l.present, l.revoked, l.retired);
	else
		cpns_notice("no store configured: seeds and device records are kept in memory, under the ephemeral KEK %s, until the daemon stops",
			    kek_name(srv));
	free(l.added.v);
	free(l.expired.v);
	free(l.retire.v);
	return 0;
fail:
	free(l.added.v);
	free(l.expired.v);
	free(l.retire.v);
	seedsync_stop(srv);
	cpns_store_close(srv->store);
	srv->store = NULL;
	return ret;
}

void keystore_close(struct server *srv)
{
	if (srv->store)
		keystore_seen_flush(srv);
	if (srv->loop && srv->sweep.fn)
		cpns_timer_disarm(srv->loop, &srv->sweep);
	seedsync_stop(srv);
	cpns_store_close(srv->store);
	srv->store = NULL;
}
