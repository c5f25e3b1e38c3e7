// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Several servers on one store (Documentation/cpns-serverd.rst, "Several
 * servers on one PostgreSQL"): the Key Seeds stay kernel keys on each
 * server, and each server keeps its kernel's seeds as the shared store
 * holds them. A seed made (I-2), rotated, revoked, expired or deleted
 * through any server, or by cpnsctl, moves the store's seed change
 * counter (a trigger, lib/store). Before each request (I-1, II-1, II-5,
 * a-0, a-1 and each sealed message), and every SEEDSYNC_POLL_MS for the
 * sessions in progress, the server reads that counter and the devices'
 * (one read of both; once for all the requests read in one wake-up of
 * the loop, which all arrived before that read); when the seeds' moved,
 * it reads the seeds again
 * and brings its kernel in line:
 * KEY_UNWRAP of a row it does not hold, KEY_REVOKE of a row revoked
 * (which ends the sessions of its devices), KEY_RETIRE of a row whose
 * expiry came earlier (a rotation), KEY_DEL of a seed whose row is gone.
 * A request is served only once that is done; if the store cannot be
 * read, the request is refused (ERROR 14): a revocation it may hold is
 * never missed. A Seed ID that the kernel does not know is looked up in
 * the store before it is refused (seedsync_fetch()). When the devices'
 * counter moved, the live flows of devices revoked or re-keyed elsewhere
 * are ended (devsync.c) before the request is served.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serverd.h"

/* The kernel's seeds (role server), as a dump shows them. */
struct kseeds {
	struct cpns_key *v;
	size_t n, cap;
};

struct resync {
	struct server *srv;
	struct kseeds k;
	uint8_t (*stored)[CPNS_SEED_ID_LEN];	/* the store's Seed IDs */
	size_t nstored, capstored;
	unsigned int added, revoked, retired, deleted;
	int64_t now;
	int err;
};

static const char *kek_str(const struct server *srv)
{
	static char buf[2 * CPNS_MAX_KEYREF + 2];

	snprintf(buf, sizeof(buf), "%s:%s", srv->kek.type, srv->kek.desc);
	return buf;
}

static int kseed_cb(const struct cpns_key *k, void *arg)
{
	struct kseeds *ks = arg;

	if (k->kind != CPNS_KEY_SEED || k->role != CPNS_ROLE_SERVER)
		return 0;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? 2 * ks->cap : 32;
		void *p = realloc(ks->v, cap * sizeof(*ks->v));

		if (!p)
			return -ENOMEM;
		ks->v = p;
		ks->cap = cap;
	}
	ks->v[ks->n++] = *k;
	return 0;
}

static int kseeds_read(struct cpns_nl *nl, struct kseeds *ks)
{
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < 5 && ret == -EAGAIN; tries++) {
		ks->n = 0;
		ret = cpns_keys_dump(nl, kseed_cb, ks);
	}
	if (ret)
		cpns_err("seeds: listing the kernel's keys: %s",
			 ret == -ENOMEM ? "out of memory" : cpns_last_error(nl));
	return ret;
}

static const struct cpns_key *kseed_find(const struct kseeds *ks,
					 const uint8_t sid[CPNS_SEED_ID_LEN])
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (!memcmp(ks->v[i].id, sid, CPNS_SEED_ID_LEN))
			return &ks->v[i];
	return NULL;
}

/* KEY_UNWRAP of a row the kernel does not hold; 0, 1 if expired, <0. */
static int row_unwrap(struct server *srv, const struct cpns_store_seed *s)
{
	uint8_t label[CPNS_STORE_LABEL_LEN];
	struct cpns_unwrapped u;
	int ret;

	cpns_store_seed_label(s, label);
	memset(&u, 0, sizeof(u));
	ret = cpns_key_unwrap(srv->nl, s->blob, s->blob_len, &srv->kek,
			      label, sizeof(label), &u);
	if (ret == -EKEYEXPIRED)
		return 1;
	if (ret == -EEXIST)
		return 0;
	if (ret) {
		cpns_err("seeds: seed id %s of '%s' does not unwrap under %s: %s",
			 HEX(s->sid), s->owner, kek_str(srv),
			 cpns_last_error(srv->nl));
		return ret;
	}
	if (u.kind != CPNS_KEY_SEED ||
	    memcmp(u.id, s->sid, CPNS_SEED_ID_LEN)) {
		cpns_err("seeds: the row of seed id %s unwrapped to another key: the store is corrupted",
			 HEX(s->sid));
		if (u.kind == CPNS_KEY_SEED)
			cpns_key_del_seed(srv->nl, u.id);
		else
			cpns_key_del_device(srv->nl, u.id);
		return -EBADMSG;
	}
	cpns_notice("seeds: seed id %s of '%s' (%s), made by another server, loaded (key %d)",
		    HEX(s->sid), s->owner, s->owner_addr, u.serial);
	return 0;
}

/*
 * The kernel's key k for row s: revoked if the row is, retired if the
 * row's expiry is earlier (a rotation); counted in r.
 */
static int row_apply(struct resync *r, const struct cpns_store_seed *s,
		     const struct cpns_key *k)
{
	struct server *srv = r->srv;
	uint64_t expiry;
	uint32_t count;
	int32_t serial;
	int ret;

	if (s->state == CPNS_STATE_REVOKED && k->state != CPNS_STATE_REVOKED) {
		ret = cpns_key_revoke(srv->nl, CPNS_KEY_SEED, s->sid, &serial,
				      &count);
		if (ret && ret != -EKEYREVOKED) {
			cpns_err("seeds: seed id %s is revoked in the store, but KEY_REVOKE failed: %s",
				 HEX(s->sid), cpns_last_error(srv->nl));
			return ret;
		}
		cpns_notice("seeds: seed id %s revoked in the store: revoked here too, with its devices (%u sessions closed)",
			    HEX(s->sid), ret ? 0 : count);
		r->revoked++;
	}
	if (s->expiry && (!k->expiry || k->expiry > s->expiry)) {
		ret = cpns_key_retire(srv->nl, s->sid,
				      (int64_t)s->expiry > r->now ?
				      (uint32_t)(s->expiry - r->now) : 0,
				      &serial, &expiry, &count);
		if (ret) {
			cpns_err("seeds: seed id %s retires at %llu in the store, but KEY_RETIRE failed: %s",
				 HEX(s->sid), (unsigned long long)s->expiry,
				 cpns_last_error(srv->nl));
			return ret;
		}
		cpns_notice("seeds: seed id %s retires at %llu (a rotation in the store): %u keys",
			    HEX(s->sid), (unsigned long long)expiry, count);
		r->retired++;
	}
	return 0;
}

static int stored_note(struct resync *r, const uint8_t sid[CPNS_SEED_ID_LEN])
{
	if (r->nstored == r->capstored) {
		size_t cap = r->capstored ? 2 * r->capstored : 32;
		void *p = realloc(r->stored, cap * sizeof(*r->stored));

		if (!p)
			return -ENOMEM;
		r->stored = p;
		r->capstored = cap;
	}
	memcpy(r->stored[r->nstored++], sid, CPNS_SEED_ID_LEN);
	return 0;
}

static bool stored_has(const struct resync *r,
		       const uint8_t sid[CPNS_SEED_ID_LEN])
{
	size_t i;

	for (i = 0; i < r->nstored; i++)
		if (!memcmp(r->stored[i], sid, CPNS_SEED_ID_LEN))
			return true;
	return false;
}

/* One row of the store: into the kernel if missing, then in line. */
static int resync_row(const struct cpns_store_seed *s, void *arg)
{
	struct resync *r = arg;
	const struct cpns_key *k;
	struct kseeds one = { 0 };
	int ret;

	ret = stored_note(r, s->sid);
	if (ret)
		goto fail;
	if (s->expiry && (int64_t)s->expiry <= r->now)
		return 0;	/* expired: the kernel refuses it anyway */
	k = kseed_find(&r->k, s->sid);
	if (!k) {
		ret = row_unwrap(r->srv, s);
		if (ret > 0)
			return 0;
		if (!ret)
			ret = kseeds_read(r->srv->nl, &one);
		if (ret)
			goto fail;
		k = kseed_find(&one, s->sid);
		if (!k) {
			cpns_err("seeds: seed id %s unwrapped, but not in the kernel's keyring",
				 HEX(s->sid));
			ret = -ENOKEY;
			goto fail;
		}
		r->added++;
	}
	ret = row_apply(r, s, k);
	free(one.v);
	if (!ret)
		return 0;
fail:
	free(one.v);
	r->err = ret;
	return ret;
}

/* The seeds the kernel holds and the store no longer does: deleted. */
static void resync_deleted(struct resync *r,
			   const struct seedsync_state *before)
{
	struct server *srv = r->srv;
	size_t i, j;
	int ret;

	for (i = 0; i < r->k.n; i++) {
		const uint8_t *sid = r->k.v[i].id;

		if (stored_has(r, sid))
			continue;
		/* Only a seed the store held: not one of the kernel's own. */
		for (j = 0; j < before->nknown; j++)
			if (!memcmp(before->known[j], sid, CPNS_SEED_ID_LEN))
				break;
		if (j == before->nknown)
			continue;
		ret = cpns_key_del_seed(srv->nl, sid);
		if (ret && ret != -ENOKEY) {
			cpns_warn("seeds: seed id %s is no longer in the store; KEY_DEL: %s",
				  cpns_log_hex(sid, CPNS_SEED_ID_LEN),
				  cpns_last_error(srv->nl));
			continue;
		}
		cpns_notice("seeds: seed id %s is no longer in the store: deleted here too",
			    cpns_log_hex(sid, CPNS_SEED_ID_LEN));
		r->deleted++;
	}
}

/*
 * Bring the kernel's seeds in line with the store, whose counter reads
 * changes now; 0 (the counter is then noted) or <0, logged.
 */
static int resync(struct server *srv, int64_t changes)
{
	struct seedsync_state *st = &srv->seedsync;
	struct resync r = { .srv = srv, .now = time(NULL) };
	uint64_t t0 = cpns_now_ms();
	int ret;

	ret = kseeds_read(srv->nl, &r.k);
	if (!ret)
		ret = cpns_store_seeds(srv->store, resync_row, &r);
	if (ret && !r.err)
		cpns_err("seeds: reading the store: %s",
			 cpns_store_error(srv->store));
	if (!ret) {
		resync_deleted(&r, st);
		free(st->known);
		st->known = r.stored;
		st->nknown = r.nstored;
		r.stored = NULL;
		st->changes = changes;
		st->resyncs++;
		/* Info only when another writer changed this kernel's seeds:
		 * this server's own writes leave it nothing to do.
		 */
		if (r.added || r.revoked || r.retired || r.deleted)
			cpns_info("seeds: the store's seeds changed (count %lld): %u loaded, %u revoked, %u retired, %u deleted here, in %llu ms",
				  (long long)changes, r.added, r.revoked,
				  r.retired, r.deleted,
				  (unsigned long long)(cpns_now_ms() - t0));
		else
			cpns_debug("seeds: the store's seeds changed (count %lld): nothing to do here, in %llu ms",
				   (long long)changes,
				   (unsigned long long)(cpns_now_ms() - t0));
	}
	free(r.k.v);
	free(r.stored);
	return ret;
}

/*
 * The counters (one read); if the seeds' moved, the resync; if the
 * devices', the live flows of changed devices ended (cur, if one, for
 * its request of ref_type). 0, 1 if cur was ended, <0 (logged).
 */
static int check(struct server *srv, struct sconn *cur, unsigned int ref_type)
{
	struct seedsync_state *st = &srv->seedsync;
	uint64_t wakeup = srv->loop ? cpns_loop_wakeups(srv->loop) : 0;
	int64_t seeds, devices;
	int ret;

	if (!srv->store)
		return 0;
	/* Every request of this wake-up arrived before the counters were
	 * read in it: what they reflect is as new as each request.
	 */
	if (cur && wakeup && st->read_at == wakeup)
		return 0;
	ret = cpns_store_changes(srv->store, &seeds, &devices);
	if (ret) {
		/* Once per outage: every request until it ends would say it. */
		if (!st->unreadable)
			cpns_err("seeds: the store's change counters: %s; new flows are refused and live sessions go on until it can be read",
				 cpns_store_error(srv->store));
		st->unreadable = true;
		return ret;
	}
	if (st->unreadable)
		cpns_notice("seeds: the store's change counters can be read again");
	st->unreadable = false;
	if (seeds != st->changes) {
		ret = resync(srv, seeds);
		if (ret)
			return ret;
	}
	if (devices == st->dev_changes) {
		st->read_at = wakeup;
		return 0;
	}
	ret = devsync_sessions(srv, cur, ref_type, st->dev_changes, devices);
	if (ret >= 0) {
		st->dev_changes = devices;
		st->read_at = wakeup;
	}
	return ret;
}

/*
 * A session's message is served when the counters cannot be read: a store
 * outage (a database failing over) does not end every live session, and
 * no revocation can be stored while it lasts. Anything else is refused.
 */
int seedsync_check(struct sconn *sc, unsigned int ref_type)
{
	int ret = check(sc->srv, sc, ref_type);

	if (!ret)
		return 0;
	if (ret < 0 && ref_type == CPNS_WIRE_SEALED)
		return 0;
	if (ret < 0)
		sconn_refuse(sc, CPNS_WIRE_ERR_INTERNAL, ref_type,
			     "the server's store cannot be read now");
	return -1;
}

int seedsync_fetch(struct server *srv, const uint8_t sid[CPNS_SEED_ID_LEN])
{
	struct resync r = { .srv = srv, .now = time(NULL) };
	struct cpns_store_seed s;
	int ret;

	if (!srv->store)
		return 0;
	ret = cpns_store_seed_get(srv->store, sid, &s);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		cpns_err("seeds: looking up seed id %s: %s",
			 cpns_log_hex(sid, CPNS_SEED_ID_LEN),
			 cpns_store_error(srv->store));
		return ret;
	}
	ret = resync_row(&s, &r);
	free(r.k.v);
	free(r.stored);
	if (ret)
		return ret;
	return r.added ? 1 : 0;
}

static int resync_note(const struct cpns_store_seed *s, void *arg)
{
	return stored_note(arg, s->sid);
}

static void poll_timer(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct server *srv = t->arg;

	check(srv, NULL, 0);
	if (cpns_timer_arm(loop, t, cpns_now_ms() + SEEDSYNC_POLL_MS))
		cpns_err("seeds: cannot arm the store's poll timer");
}

int seedsync_start(struct server *srv)
{
	struct seedsync_state *st = &srv->seedsync;
	struct resync r = { .srv = srv };
	int ret;

	ret = cpns_store_changes(srv->store, &st->changes, &st->dev_changes);
	if (!ret)
		ret = cpns_store_seeds(srv->store, resync_note, &r);
	if (ret) {
		cpns_err("seeds: %s", cpns_store_error(srv->store));
		free(r.stored);
		return ret;
	}
	st->known = r.stored;
	st->nknown = r.nstored;
	return 0;
}

void seedsync_arm(struct server *srv)
{
	if (!srv->store || !srv->loop)
		return;
	cpns_timer_init(&srv->seedsync.poll, poll_timer, srv);
	if (cpns_timer_arm(srv->loop, &srv->seedsync.poll,
			   cpns_now_ms() + SEEDSYNC_POLL_MS))
		cpns_err("seeds: cannot arm the store's poll timer");
}

void seedsync_stop(struct server *srv)
{
	struct seedsync_state *st = &srv->seedsync;

	if (srv->loop && st->poll.fn)
		cpns_timer_disarm(srv->loop, &st->poll);
	free(st->known);
	st->known = NULL;
	st->nknown = 0;
}
