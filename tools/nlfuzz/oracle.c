// SPDX-License-Identifier: GPL-2.0
/*
 * The oracle's threads and processes.
 *
 * checker  has three network namespaces no one else uses. Around every
 *          message it sends, it takes the namespace's state (GET_STATS
 *          counters, the KEY_GET dump, pending and session counts); when
 *          the message was refused, the state must be the same, but for
 *          the changes Documentation/netlink.rst allows (section 2) and
 *          what expiry may have removed meanwhile.
 * unpriv   processes without CAP_NET_ADMIN in a namespace of their own,
 *          populated by a flow first: EPERM for every privileged command
 *          (checked per message), and the namespace exactly as it was at
 *          the end.
 * revoker  revokes and unlinks cpns_seed/cpns_device keys found in
 *          /proc/keys, in the shared namespaces, with keyctl.
 * churn    replaces a shared namespace with a new one, now and then.
 */
#include <errno.h>
#include <keyutils.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "nlfuzz.h"

/* ------------------------------------------------------------ snapshot */

#define NF_SNAP_KEYS	512

struct nf_key {
	int32_t serial;
	uint8_t kind, role, state, idlen;
	uint8_t id[CPNS_DEVICE_ID_LEN];
	uint64_t expiry;
};

struct nf_snap {
	uint64_t ok[NF_MAX_CMD], failed[NF_MAX_CMD];
	uint64_t reason[64];
	uint32_t pending, sessions;
	int dumps;		/* KEY_GET dumps this snapshot made */
	int nkeys;
	bool overflow;
	struct nf_key keys[NF_SNAP_KEYS];
};

static uint64_t u64_of(const struct nf_attr *a)
{
	uint64_t v = 0;

	if (a && a->len == 8)
		memcpy(&v, a->data, 8);
	else if (a && a->len == 4) {
		uint32_t v32;

		memcpy(&v32, a->data, 4);
		v = v32;
	}
	else if (a && a->len == 1)
		v = a->data[0];
	return v;
}

static void stats_reply(const struct nlmsghdr *nh, void *arg)
{
	struct nf_snap *sn = arg;
	struct nf_attr as[16], x, y;
	int n = nf_parse_reply(nh, as, 16);

	for (int i = 0; i < n; i++) {
		const uint8_t *p = as[i].data;
		size_t len = as[i].len;

		if (as[i].type == CPNS_A_PENDING_COUNT)
			sn->pending = (uint32_t)u64_of(&as[i]);
		if (as[i].type == CPNS_A_SESSION_COUNT)
			sn->sessions = (uint32_t)u64_of(&as[i]);
		if (as[i].type != CPNS_A_STATS)
			continue;
		while (nf_attr_next(&p, &len, &x)) {
			const uint8_t *q = x.data;
			size_t ql = x.len;
			uint64_t v[CPNS_STATS_A_MAX + 1] = { 0 };

			while (nf_attr_next(&q, &ql, &y))
				if (y.type <= CPNS_STATS_A_MAX)
					v[y.type] = u64_of(&y);
			if (x.type == CPNS_STATS_A_OP &&
			    v[CPNS_STATS_A_CMD] < NF_MAX_CMD) {
				sn->ok[v[CPNS_STATS_A_CMD]] = v[CPNS_STATS_A_OK];
				sn->failed[v[CPNS_STATS_A_CMD]] =
					v[CPNS_STATS_A_FAILED];
			} else if (x.type == CPNS_STATS_A_FAIL &&
				   v[CPNS_STATS_A_REASON] < 64) {
				sn->reason[v[CPNS_STATS_A_REASON]] =
					v[CPNS_STATS_A_COUNT];
			}
		}
	}
}

static void key_reply(const struct nlmsghdr *nh, void *arg)
{
	struct nf_snap *sn = arg;
	struct nf_attr as[16];
	const struct nf_attr *id;
	struct nf_key *k;
	int n = nf_parse_reply(nh, as, 16);

	if (sn->nkeys == NF_SNAP_KEYS) {
		sn->overflow = true;
		return;
	}
	k = &sn->keys[sn->nkeys++];
	memset(k, 0, sizeof(*k));
	k->serial = (int32_t)u64_of(nf_find(as, n, CPNS_A_KEY_SERIAL));
	k->kind = (uint8_t)u64_of(nf_find(as, n, CPNS_A_KEY_KIND));
	k->role = (uint8_t)u64_of(nf_find(as, n, CPNS_A_ROLE));
	k->state = (uint8_t)u64_of(nf_find(as, n, CPNS_A_STATE));
	k->expiry = u64_of(nf_find(as, n, CPNS_A_EXPIRY));
	id = nf_find(as, n, CPNS_A_SEED_ID);
	if (!id)
		id = nf_find(as, n, CPNS_A_DEVICE_ID);
	if (id && id->len <= sizeof(k->id)) {
		k->idlen = (uint8_t)id->len;
		memcpy(k->id, id->data, id->len);
	}
	/* the dump names real keys: the pool gets them too */
	nf_pool_harvest(nh, NULL);
}

/* The state of the namespace of socket s; 0, or -1 if it could not be read. */
static int snapshot(struct nf_sock *s, struct nf_snap *sn)
{
	struct nf_req r = { 0 };
	struct nf_answer a;
	int tries = 0, err;

	memset(sn, 0, offsetof(struct nf_snap, keys));
	nf_req_begin(&r, nf_fam.id, CPNS_CMD_GET_STATS,
		     NLM_F_REQUEST | NLM_F_ACK);
	nf_req_end(&r);
	err = nf_xfer(s, &r, &a, stats_reply, sn);
	if (err || a.error || !a.data || a.overrun)
		goto fail;
	do {
		sn->nkeys = 0;
		nf_req_begin(&r, nf_fam.id, CPNS_CMD_KEY_GET,
			     NLM_F_REQUEST | NLM_F_DUMP);
		nf_req_end(&r);
		err = nf_xfer(s, &r, &a, key_reply, sn);
	} while (!err && a.dump_intr && ++tries < 5);
	/* Each dump that ended was counted, an interrupted one included. */
	sn->dumps = tries + 1;
	if (err || a.error || a.dump_intr || a.overrun || sn->overflow)
		goto fail;
	nf_buf_free(&r.b);
	return 0;
fail:
	nf_buf_free(&r.b);
	return -1;
}

static const struct nf_key *find_key(const struct nf_snap *sn, int32_t serial)
{
	for (int i = 0; i < sn->nkeys; i++)
		if (sn->keys[i].serial == serial)
			return &sn->keys[i];
	return NULL;
}

/* What a refusal may change besides the counters of its own command. */
struct nf_allow {
	uint32_t pending_drop;		/* pending objects that may go */
	bool expiry;			/* keys past their expiry may go */
	bool verify_drop;		/* ASSIGN_VERIFY: its pending key */
	uint8_t did[CPNS_DEVICE_ID_LEN];
	int cmd;			/* counted as failed once, or -1 */
	bool unpriv;			/* no counter may move but GET_INFO */
};

/*
 * Compare two states taken around a refused message (b before, a after:
 * each one GET_STATS then one KEY_GET dump). Returns the number of
 * differences, each described in why.
 */
static int compare(const struct nf_snap *b, const struct nf_snap *a,
		   const struct nf_allow *al, char *why, size_t wlen)
{
	uint64_t now = (uint64_t)time(NULL), dreason = 0;
	int bad = 0;
	size_t o = 0;

#define WHY(...) do {							\
		bad++;							\
		if (o < wlen)						\
			o += (size_t)snprintf(why + o, wlen - o, __VA_ARGS__); \
	} while (0)

	why[0] = 0;
	for (int c = 0; c < NF_MAX_CMD; c++) {
		uint64_t want = b->ok[c];

		/* the "before" snapshot itself: one GET_STATS, and a KEY_GET
		 * dump again for each one a key change interrupted */
		if (c == CPNS_CMD_GET_STATS)
			want++;
		if (c == CPNS_CMD_KEY_GET)
			want += (uint64_t)b->dumps;
		if (al->unpriv && c == CPNS_CMD_GET_INFO)
			continue;
		if (a->ok[c] != want)
			WHY("ok[%d] %llu -> %llu; ", c,
			    (unsigned long long)b->ok[c],
			    (unsigned long long)a->ok[c]);
		if (a->failed[c] != b->failed[c] &&
		    !(c == al->cmd && a->failed[c] == b->failed[c] + 1))
			WHY("failed[%d] %llu -> %llu; ", c,
			    (unsigned long long)b->failed[c],
			    (unsigned long long)a->failed[c]);
	}
	for (int r = 0; r < 64; r++) {
		if (a->reason[r] < b->reason[r])
			WHY("reason[%d] went down; ", r);
		else
			dreason += a->reason[r] - b->reason[r];
	}
	if (dreason > (al->cmd >= 0 ? 1u : 0u))
		WHY("%llu failure reasons counted; ",
		    (unsigned long long)dreason);
	if (a->sessions != b->sessions)
		WHY("sessions %u -> %u; ", b->sessions, a->sessions);
	if (a->pending > b->pending || b->pending - a->pending > al->pending_drop)
		WHY("pending %u -> %u (%u may go); ", b->pending, a->pending,
		    al->pending_drop);
	for (int i = 0; i < b->nkeys; i++) {
		const struct nf_key *k = &b->keys[i], *k2 = find_key(a, k->serial);

		if (!k2) {
			if (al->expiry && k->expiry && k->expiry <= now + 2)
				continue;
			if (al->verify_drop && k->kind == CPNS_KEY_DEVICE &&
			    k->state == CPNS_STATE_PENDING &&
			    k->idlen == CPNS_DEVICE_ID_LEN &&
			    !memcmp(k->id, al->did, CPNS_DEVICE_ID_LEN))
				continue;
			WHY("key %d (kind %u state %u) gone; ", k->serial,
			    k->kind, k->state);
		} else if (k2->kind != k->kind || k2->role != k->role ||
			   k2->state != k->state || k2->expiry != k->expiry ||
			   k2->idlen != k->idlen ||
			   memcmp(k2->id, k->id, k->idlen)) {
			WHY("key %d changed (state %u -> %u, expiry %llu -> %llu); ",
			    k->serial, k->state, k2->state,
			    (unsigned long long)k->expiry,
			    (unsigned long long)k2->expiry);
		}
	}
	for (int i = 0; i < a->nkeys; i++)
		if (!find_key(b, a->keys[i].serial))
			WHY("key %d (kind %u state %u) appeared; ",
			    a->keys[i].serial, a->keys[i].kind,
			    a->keys[i].state);
#undef WHY
	return bad;
}

/* ------------------------------------------------------------ checker */

/* When the checker's namespaces got pending objects: they expire after
 * pending_timeout and are reaped within another one. */
#define NF_TRACK 4096

struct nf_track {
	int n;
	uint64_t at[NF_TRACK];
};

static void track_add(struct nf_track *t, uint32_t count)
{
	uint64_t now = nf_now_ms(), keep = 2000ULL * nf_pending_timeout + 3000;
	int j = 0;

	for (int i = 0; i < t->n; i++)
		if (now - t->at[i] <= keep)
			t->at[j++] = t->at[i];
	t->n = j;
	while (count-- && t->n < NF_TRACK)
		t->at[t->n++] = now;
}

/* Pending objects that may expire or be reaped now. */
static uint32_t track_due(const struct nf_track *t)
{
	uint64_t now = nf_now_ms(), lo = 1000ULL * nf_pending_timeout;
	uint32_t due = 0;

	lo = lo > 1500 ? lo - 1500 : 0;
	for (int i = 0; i < t->n; i++)
		if (now - t->at[i] >= lo)
			due++;
	return due;
}

/* What a refusal of r with errno err may remove (netlink.rst, section 2). */
static uint32_t refusal_drops(const struct nf_req *r, int err)
{
	switch (r->cmd) {
	case CPNS_CMD_AUTH_SERVER:
	case CPNS_CMD_AUTH_FINISH:
		return 1;	/* the a-flow ends, whatever the reason */
	case CPNS_CMD_SEED_IMPORT:
	case CPNS_CMD_DEVICE_IMPORT:
	case CPNS_CMD_ASSIGN_CONFIRM:
		return err == EBADMSG;	/* key pair spent; third guess */
	case CPNS_CMD_XFER_RELEASE:
		return 1;	/* at most its export: a wrong proof, a gone key */
	}
	return 0;
}

struct nf_checker {
	struct nf_worker *w;
	int nsfd[3];
	struct nf_sock obs[3];		/* observers: the snapshots */
	struct nf_track track[3];
	/*
	 * The last state read of each namespace: only the checker acts
	 * there, so it is the "before" of the next message (one snapshot a
	 * message, not two), until keyctl or a socket close changes it.
	 */
	struct nf_snap *last[3], *next;
	bool valid[3];
	struct nf_req req;
};

static void checker_sockets(struct nf_checker *c)
{
	for (int i = 0; i < 3; i++) {
		nf_sock_close(&c->w->sock[i]);
		if (setns(c->nsfd[i], CLONE_NEWNET) ||
		    nf_sock_open(&c->w->sock[i], true))
			c->w->sock[i].fd = -1;
		if (c->obs[i].fd < 0 && nf_sock_open(&c->obs[i], true))
			c->obs[i].fd = -1;
	}
	setns(nf_init_ns, CLONE_NEWNET);
	nf_flow_reset(c->w->flow[0]);
	nf_flow_reset(c->w->flow[1]);
	memset(c->valid, 0, sizeof(c->valid));	/* their objects are gone */
}

/* Revoke or unlink one of the checker's own keys, between two checks. */
static void checker_keyctl(struct nf_checker *c, int role)
{
	const struct nf_snap *sn = c->last[role];
	const struct nf_key *k;

	if (!c->valid[role] || !sn->nkeys)
		return;
	k = &sn->keys[nf_below(&c->w->rng, (uint32_t)sn->nkeys)];
	if (keyctl_revoke(k->serial) == 0)
		NF_INC(own_revoked);
	c->valid[role] = false;
}

/* The value of the last top-level attribute type of r as sent (the one
 * the kernel's parser keeps), if it has exactly len bytes. */
static bool last_attr(const struct nf_req *r, uint16_t type, void *out,
		      size_t len)
{
	const struct nlmsghdr *nh = (const void *)r->b.p;
	const uint8_t *p;
	struct nf_attr at;
	size_t left;
	bool found = false;

	if (r->b.len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    nh->nlmsg_len > r->b.len ||
	    nh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return false;
	p = r->b.p + NLMSG_HDRLEN + GENL_HDRLEN;
	left = nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	while (nf_attr_next(&p, &left, &at)) {
		if (at.type == type) {
			found = at.len == len;
			if (found)
				memcpy(out, at.data, len);
		}
	}
	return found;
}

/* Send r on role's socket and check what it did to that namespace. */
static void checked_send(struct nf_checker *c, int role, struct nf_req *r,
			 struct nf_flow *f)
{
	struct nf_worker *w = c->w;
	struct nf_allow al = { .cmd = -1 };
	struct nf_answer a;
	char why[600];

	struct nf_snap *before = c->last[role], *after = c->next;

	if (w->sock[role].fd < 0 || c->obs[role].fd < 0)
		return;
	if (!c->valid[role] && snapshot(&c->obs[role], before)) {
		NF_INC(oracle_skipped);
		return;
	}
	c->valid[role] = false;
	if (nf_send(w, role, r, &a, f ? nf_flow_reply : nf_pool_harvest, f))
		return;
	if (f)
		nf_flow_done(w, f, &a);
	if (snapshot(&c->obs[role], after)) {
		NF_INC(oracle_skipped);
		return;
	}
	c->last[role] = after;
	c->next = before;
	c->valid[role] = true;
	if (!a.error || a.acked || a.data || a.overrun) {
		/* accepted (in part): state may change; note new pending */
		if (after->pending > before->pending)
			track_add(&c->track[role],
				  after->pending - before->pending);
		return;
	}
	/* Several messages in one send (a length that lies): the later
	 * ones may have been accepted. Not a single refusal to judge. */
	if (r->b.len >= NLMSG_HDRLEN &&
	    ((const struct nlmsghdr *)r->b.p)->nlmsg_len + NLMSG_HDRLEN <=
	    r->b.len) {
		NF_INC(oracle_skipped);
		return;
	}
	al.cmd = r->cmd;
	al.expiry = true;
	al.pending_drop = track_due(&c->track[role]);
	/* counted when the allowance was needed: something did go */
	if (al.pending_drop && after->pending < before->pending)
		NF_INC(oracle_relaxed);
	al.pending_drop += refusal_drops(r, a.err);
	if (r->cmd == CPNS_CMD_ASSIGN_VERIFY && a.err == EBADMSG &&
	    last_attr(r, CPNS_A_DEVICE_ID, al.did, sizeof(al.did)))
		al.verify_drop = true;
	NF_INC(oracle_checks);
	NF_INC(oracle_errno[a.err < NF_MAX_ERRNO ? a.err : 0]);
	if (compare(before, after, &al, why, sizeof(why)))
		nf_failure(w->tid, r,
			   "refused (%s, \"%s\") but the state changed: %s",
			   strerror(a.err), a.msg, why);
}

void *nf_checker_main(void *arg)
{
	struct nf_checker *c = calloc(1, sizeof(*c));
	struct nf_worker *w = arg;

	if (!c)
		return NULL;
	c->w = w;
	for (int i = 0; i < 3; i++) {
		c->obs[i].fd = -1;
		c->nsfd[i] = -1;
		c->last[i] = malloc(sizeof(*c->last[i]));
	}
	c->next = malloc(sizeof(*c->next));
	if (!c->next || !c->last[0] || !c->last[1] || !c->last[2])
		goto out;
	for (int i = 0; i < 3; i++) {
		c->nsfd[i] = nf_ns_new(NULL);
		if (c->nsfd[i] < 0)
			goto out;
	}
	checker_sockets(c);
	while (!atomic_load(&nf_stop)) {
		uint32_t dice = nf_below(&w->rng, 1000);
		struct nf_flow *f = w->flow[nf_below(&w->rng, 2)];
		int role;

		if (dice < 450) {
			/* the protocol, as it should go */
			nf_flow_step(w, f, &c->req, &role);
			checked_send(c, role, &c->req, f);
		} else if (dice < 750) {
			/* the protocol, one value or header wrong */
			nf_flow_step(w, f, &c->req, &role);
			nf_mutate(&w->rng, &c->req, 1 + (int)nf_below(&w->rng, 2));
			checked_send(c, role, &c->req, f);
		} else if (dice < 990) {
			nf_gen(&w->rng, &c->req, nf_pick_cmd(&w->rng),
			       (int)nf_below(&w->rng, 3));
			checked_send(c, (int)nf_below(&w->rng, 3), &c->req,
				     NULL);
		} else if (dice < 996) {
			checker_keyctl(c, (int)nf_below(&w->rng, 3));
		} else {
			checker_sockets(c);
		}
	}
out:
	for (int i = 0; i < 3; i++) {
		nf_sock_close(&w->sock[i]);
		nf_sock_close(&c->obs[i]);
		if (c->nsfd[i] >= 0)
			close(c->nsfd[i]);
		free(c->obs[i].rbuf);
	}
	nf_buf_free(&c->req.b);
	for (int i = 0; i < 3; i++) {
		free(c->last[i]);
		free(w->sock[i].rbuf);
	}
	nf_flow_free(w->flow[0]);
	nf_flow_free(w->flow[1]);
	free(c->next);
	free(c);
	return NULL;
}

/* ------------------------------------------------------------ keyctl */

/* Serials of cpns keys in /proc/keys. */
static int proc_keys(int32_t *out, int max)
{
	FILE *f = fopen("/proc/keys", "re");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		unsigned int serial;
		char type[32];

		if (sscanf(line, "%x %*s %*s %*s %*s %*s %*s %31s", &serial,
			   type) == 2 &&
		    /* the type column is 9 wide: "cpns_devi" */
		    (!strcmp(type, "cpns_seed") || !strncmp(type, "cpns_dev", 8)))
			out[n++] = (int32_t)serial;
	}
	fclose(f);
	return n;
}

void *nf_revoker_main(void *arg)
{
	static int32_t found[1024], cand[1024], cand_kr[1024];
	struct nf_rng rng;

	(void)arg;
	nf_rng_seed(&rng, nf_opt.seed, 5000);
	while (!atomic_load(&nf_stop)) {
		int n, nc = 0, k;

		usleep(20000 + nf_below(&rng, 80000));
		n = proc_keys(found, 1024);
		/* only keys of a shared namespace: the checker's and the
		 * unprivileged processes' namespaces are theirs */
		for (int slot = 0; slot < nf_ns.n && n; slot++) {
			void *buf = NULL;
			int32_t kr;
			long len;

			pthread_mutex_lock(&nf_ns.lock);
			kr = nf_ns.keyring[slot];
			pthread_mutex_unlock(&nf_ns.lock);
			len = keyctl_read_alloc(kr, &buf);
			for (long i = 0; buf && i + 4 <= len && nc < 1024; i += 4) {
				int32_t key = ((int32_t *)buf)[i / 4];

				for (int j = 0; j < n; j++)
					if (found[j] == key) {
						cand[nc] = key;
						cand_kr[nc++] = kr;
						break;
					}
			}
			free(buf);
		}
		if (!nc)
			continue;
		k = (int)nf_below(&rng, (uint32_t)nc);
		if (nf_pct(&rng, 60)) {
			if (!keyctl_revoke(cand[k]))
				NF_INC(revoked);
		} else if (!keyctl_unlink(cand[k], cand_kr[k])) {
			NF_INC(unlinked);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ churn */

void *nf_churn_main(void *arg)
{
	struct nf_rng rng;

	(void)arg;
	nf_rng_seed(&rng, nf_opt.seed, 6000);
	while (!atomic_load(&nf_stop)) {
		int32_t kr = 0;
		int fd, i, old;

		usleep((useconds_t)nf_opt.churn_ms * 1000);
		fd = nf_ns_new(&kr);
		if (fd < 0)
			continue;
		i = (int)nf_below(&rng, (uint32_t)nf_ns.n);
		pthread_mutex_lock(&nf_ns.lock);
		old = nf_ns.fd[i];
		nf_ns.fd[i] = fd;
		nf_ns.keyring[i] = kr;
		pthread_mutex_unlock(&nf_ns.lock);
		/* it dies when the last socket in it closes */
		close(old);
	}
	return NULL;
}

/* ------------------------------------------------------------ unpriv */

static struct {
	int nsfd, helper[2];
	struct nf_worker w;
	struct nf_sock obs;
	struct nf_snap before, after;
	uint64_t t0;
	double deadline_ms;
} up = { .nsfd = -1, .helper = { -1, -1 } };

static int drop_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	if (prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0))
		return -1;
	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_NET_ADMIN);
	d[0].permitted &= ~(1u << CAP_NET_ADMIN);
	d[0].inheritable &= ~(1u << CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return -1;
	/* and it is really gone */
	if (syscall(SYS_capget, &h, d) ||
	    (d[0].effective & (1u << CAP_NET_ADMIN)))
		return -1;
	return 0;
}

static void unpriv_child(int idx, uint64_t end)
{
	struct nf_worker w = { .tid = -(idx + 1) };
	struct nf_req r = { 0 };
	struct nf_answer a;

	nf_rng_seed(&w.rng, nf_opt.seed, 7000 + (uint64_t)idx);
	/* socket 0 opened with the capability, used without it: the check
	 * is on the sender too; socket 1 opened without it */
	if (setns(up.nsfd, CLONE_NEWNET) || nf_sock_open(&w.sock[0], true) ||
	    drop_net_admin() || nf_sock_open(&w.sock[1], false)) {
		nf_failure(w.tid, NULL, "unprivileged setup: %s",
			   strerror(errno));
		_exit(1);
	}
	w.sock[2].fd = -1;
	while (nf_now_ms() < end) {
		int m = nf_pct(&w.rng, 50) ? 0 : 1 + (int)nf_below(&w.rng, 2);
		struct timespec t0, t1;
		long ns;

		nf_gen(&w.rng, &r, nf_pick_cmd(&w.rng), m);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		nf_send(&w, (int)nf_below(&w.rng, 2), &r, &a, NULL, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* A refusal for EPERM is cheap: at most a quarter of this
		 * process's time, so that it does not crowd out the
		 * privileged workers on a small machine. */
		ns = (t1.tv_sec - t0.tv_sec) * 1000000000L +
		     (t1.tv_nsec - t0.tv_nsec);
		usleep((useconds_t)(3 * ns / 1000));
	}
	_exit(0);
}

int nf_unpriv_start(struct nf_rng *rng, pid_t *pids, int n)
{
	struct nf_req r = { 0 };
	struct nf_answer a;
	struct nf_flow *f;
	uint64_t end;
	int i, steps = 0;

	if (!n)
		return 0;
	up.nsfd = nf_ns_new(NULL);
	up.helper[0] = nf_ns_new(NULL);
	up.helper[1] = nf_ns_new(NULL);
	if (up.nsfd < 0 || up.helper[0] < 0 || up.helper[1] < 0)
		return -1;
	/* Populate it: a flow with the server there, the gateways next
	 * door: a seed, the server's device record and a session. */
	up.w.tid = 0;
	up.w.rng = *rng;
	f = up.w.flow[0] = nf_flow_new();
	for (i = 0; i < 3; i++) {
		if (setns(i == NF_ROLE_S ? up.nsfd : up.helper[i - 1],
			  CLONE_NEWNET) ||
		    nf_sock_open(&up.w.sock[i], true))
			return -1;
	}
	if (setns(up.nsfd, CLONE_NEWNET))
		return -1;
	if (nf_sock_open(&up.obs, true))
		return -1;
	setns(nf_init_ns, CLONE_NEWNET);
	while (steps++ < 200 && nf_st->sessions == 0) {
		int role;

		nf_flow_step(&up.w, f, &r, &role);
		if (!nf_send(&up.w, role, &r, &a, nf_flow_reply, f))
			nf_flow_done(&up.w, f, &a);
	}
	nf_buf_free(&r.b);
	if (!nf_st->sessions)
		fprintf(stderr, "nlfuzz: the unprivileged namespace has no "
			"session (flow did not complete in %d steps)\n", steps);
	if (snapshot(&up.obs, &up.before)) {
		fprintf(stderr, "nlfuzz: cannot read the unprivileged "
			"namespace's state\n");
		return -1;
	}
	up.t0 = nf_now_ms();
	end = up.t0 + (uint64_t)(nf_opt.duration * 1000);
	fflush(NULL);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("nlfuzz: fork");
			return i;
		}
		if (!pids[i])
			unpriv_child(i, end);
	}
	return n;
}

int nf_unpriv_finish(void)
{
	struct nf_allow al = { .cmd = -1, .unpriv = true, .expiry = true };
	char why[600];

	if (snapshot(&up.obs, &up.after)) {
		nf_failure(0, NULL, "cannot read the unprivileged namespace");
		return -1;
	}
	NF_INC(oracle_checks);
	/* what the setup left pending may expire meanwhile, nothing else */
	if (nf_now_ms() - up.t0 + 1500 >= 1000ULL * nf_pending_timeout)
		al.pending_drop = up.before.pending;
	if (compare(&up.before, &up.after, &al, why, sizeof(why)))
		nf_failure(0, NULL, "without CAP_NET_ADMIN, the namespace "
			   "changed: %s", why);
	for (int i = 0; i < 3; i++)
		nf_sock_close(&up.w.sock[i]);
	nf_sock_close(&up.obs);
	return 0;
}

/* ------------------------------------------------------------ self-test */

/*
 * The oracle must be able to fail: an accepted SEED_NEW judged as if it had
 * been refused must show as a state change, and a real refusal must not.
 */
int nf_oracle_selftest(void)
{
	struct nf_allow al = { .cmd = CPNS_CMD_SEED_NEW, .expiry = true };
	struct nf_snap *b = malloc(sizeof(*b)), *a = malloc(sizeof(*a));
	struct nf_sock s = { .fd = -1 };
	struct nf_req r = { 0 };
	struct nf_answer ans;
	uint8_t sid[CPNS_SEED_ID_LEN] = { 0 };
	char why[600];
	int fd, bad = 0, n;

	fd = nf_ns_new(NULL);
	if (!a || !b || fd < 0 || setns(fd, CLONE_NEWNET) ||
	    nf_sock_open(&s, true) || setns(nf_init_ns, CLONE_NEWNET))
		return 1;

	/* 1: a change, as if from a refusal */
	nf_req_begin(&r, nf_fam.id, CPNS_CMD_SEED_NEW, NLM_F_REQUEST | NLM_F_ACK);
	nf_req_end(&r);
	if (snapshot(&s, b) || nf_xfer(&s, &r, &ans, NULL, NULL) ||
	    ans.error || snapshot(&s, a))
		return 1;
	n = compare(b, a, &al, why, sizeof(why));
	printf("oracle self-test: an accepted SEED_NEW judged as refused: "
	       "%d difference(s): %s\n", n, why);
	bad += n == 0;

	/* 2: a refusal that changes nothing */
	al.cmd = CPNS_CMD_KEY_DEL;
	nf_req_begin(&r, nf_fam.id, CPNS_CMD_KEY_DEL, NLM_F_REQUEST | NLM_F_ACK);
	nf_put_attr(&r.b, CPNS_A_SEED_ID, sid, sizeof(sid), -1);
	nf_req_end(&r);
	if (snapshot(&s, b) || nf_xfer(&s, &r, &ans, NULL, NULL) ||
	    !ans.error || snapshot(&s, a))
		return 1;
	n = compare(b, a, &al, why, sizeof(why));
	printf("oracle self-test: a refused KEY_DEL (%s, \"%s\"): "
	       "%d difference(s)%s%s\n", strerror(ans.err), ans.msg, n,
	       n ? ": " : "", why);
	bad += n != 0;

	nf_sock_close(&s);
	close(fd);
	free(a);
	free(b);
	nf_buf_free(&r.b);
	printf("oracle self-test: %s\n", bad ? "FAIL" : "pass");
	return bad ? 1 : 0;
}
