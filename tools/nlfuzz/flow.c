// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol, driven through a worker's three sockets (server, GW1, GW2,
 * each in a namespace of its own or not): I-2, I-3, II-1..II-9, a-0..a-4,
 * SEAL/OPEN, with the values of earlier replies. Steps run out of order,
 * repeat, restart and get mutated now and then, so that the random messages
 * and the checker find real handles, IDs, nonces and sessions, and the
 * module's deep states (pending keys, challenges, half-done a-flows).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nlfuzz.h"

enum nf_step {
	F_SEED_NEW, F_XFER_G1, F_SEED_EXPORT, F_SEED_CODE, F_SEED_RELEASE,
	F_SEED_IMPORT,
	F_REQUEST, F_CHALLENGE, F_DERIVE, F_CONFIRM, F_VERIFY,
	F_XFER_G2, F_DEV_EXPORT, F_DEV_CODE, F_DEV_RELEASE, F_DEV_IMPORT,
	F_BEGIN, F_ACHAL, F_CLIENT, F_SERVER, F_FINISH,
	F_SEAL, F_OPEN, F_SESSION_DEL, F_KEY_DEL,
	F_NSTEPS
};

struct nf_flow {
	int step, cur;
	uint8_t sid[CPNS_SEED_ID_LEN];
	uint32_t h1, h2, hc, hs;
	uint32_t xs, xd, code1, code2;	/* exports, the receivers' codes */
	uint8_t pub1[CPNS_PUBKEY_LEN], pub2[CPNS_PUBKEY_LEN];
	uint8_t spub[CPNS_PUBKEY_LEN], gpub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN], wrapped2[CPNS_WRAPPED_LEN];
	uint8_t n1[CPNS_NONCE_LEN], mac1[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN], confirm[CPNS_MAC_LEN];
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint8_t pubc[CPNS_PUBKEY_LEN], pubs[CPNS_PUBKEY_LEN];
	bool has_pubc, has_pubs, has_gen;
	uint32_t gen;
	uint8_t cmac[CPNS_MAC_LEN], smac[CPNS_MAC_LEN];
	/* the last sealed record, to be opened by the other end */
	bool sealed_by_gw2;
	uint64_t seq;
	uint8_t aad[16];
	size_t aad_len;
	uint8_t *ct;
	size_t ct_len;
	int seals, fails;
};

static const struct {
	uint8_t cmd;
	int role;
} steps[F_NSTEPS] = {
	[F_SEED_NEW] = { CPNS_CMD_SEED_NEW, NF_ROLE_S },
	[F_XFER_G1] = { CPNS_CMD_XFER_NEW, NF_ROLE_G1 },
	[F_SEED_EXPORT] = { CPNS_CMD_SEED_EXPORT, NF_ROLE_S },
	[F_SEED_CODE] = { CPNS_CMD_XFER_CODE, NF_ROLE_G1 },
	[F_SEED_RELEASE] = { CPNS_CMD_XFER_RELEASE, NF_ROLE_S },
	[F_SEED_IMPORT] = { CPNS_CMD_SEED_IMPORT, NF_ROLE_G1 },
	[F_REQUEST] = { CPNS_CMD_ASSIGN_REQUEST, NF_ROLE_G1 },
	[F_CHALLENGE] = { CPNS_CMD_ASSIGN_CHALLENGE, NF_ROLE_S },
	[F_DERIVE] = { CPNS_CMD_ASSIGN_DERIVE, NF_ROLE_G1 },
	[F_CONFIRM] = { CPNS_CMD_ASSIGN_CONFIRM, NF_ROLE_S },
	[F_VERIFY] = { CPNS_CMD_ASSIGN_VERIFY, NF_ROLE_G1 },
	[F_XFER_G2] = { CPNS_CMD_XFER_NEW, NF_ROLE_G2 },
	[F_DEV_EXPORT] = { CPNS_CMD_DEVICE_EXPORT, NF_ROLE_G1 },
	[F_DEV_CODE] = { CPNS_CMD_XFER_CODE, NF_ROLE_G2 },
	[F_DEV_RELEASE] = { CPNS_CMD_XFER_RELEASE, NF_ROLE_G1 },
	[F_DEV_IMPORT] = { CPNS_CMD_DEVICE_IMPORT, NF_ROLE_G2 },
	[F_BEGIN] = { CPNS_CMD_AUTH_BEGIN, NF_ROLE_G2 },
	[F_ACHAL] = { CPNS_CMD_AUTH_CHALLENGE, NF_ROLE_S },
	[F_CLIENT] = { CPNS_CMD_AUTH_CLIENT, NF_ROLE_G2 },
	[F_SERVER] = { CPNS_CMD_AUTH_SERVER, NF_ROLE_S },
	[F_FINISH] = { CPNS_CMD_AUTH_FINISH, NF_ROLE_G2 },
	[F_SEAL] = { CPNS_CMD_SEAL, NF_ROLE_G2 },
	[F_OPEN] = { CPNS_CMD_OPEN, NF_ROLE_S },
	[F_SESSION_DEL] = { CPNS_CMD_SESSION_DEL, NF_ROLE_G2 },
	[F_KEY_DEL] = { CPNS_CMD_KEY_DEL, NF_ROLE_G1 },
};

struct nf_flow *nf_flow_new(void)
{
	struct nf_flow *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	return f;
}

void nf_flow_free(struct nf_flow *f)
{
	if (f)
		free(f->ct);
	free(f);
}

void nf_flow_reset(struct nf_flow *f)
{
	free(f->ct);
	memset(f, 0, sizeof(*f));
}

static void put(struct nf_req *r, uint16_t type, const void *v, size_t len)
{
	nf_put_attr(&r->b, type, v, len, -1);
}

static void put_u32(struct nf_req *r, uint16_t type, uint32_t v)
{
	put(r, type, &v, 4);
}

static void put_u8(struct nf_req *r, uint16_t type, uint8_t v)
{
	put(r, type, &v, 1);
}

static void put_u64(struct nf_req *r, uint16_t type, uint64_t v)
{
	/* no CPNS_A_PAD needed: attributes are 4-aligned, the kernel
	 * reads u64s unaligned-safe */
	put(r, type, &v, 8);
}

/* Build step st of f into r; returns the role whose socket sends it. */
static int build(struct nf_worker *w, struct nf_flow *f, int st,
		 struct nf_req *r)
{
	struct nf_rng *rng = &w->rng;
	int role = steps[st].role;
	uint8_t pt[256];

	nf_req_begin(r, nf_fam.id, steps[st].cmd, NLM_F_REQUEST | NLM_F_ACK);
	switch (st) {
	case F_SEED_NEW:
		/* now and then a short lifetime: keys that expire mid-flow */
		if (nf_pct(rng, 10))
			put_u32(r, CPNS_A_TIMEOUT, 1 + nf_below(rng, 4));
		break;
	case F_XFER_G1:
	case F_XFER_G2:
		break;
	case F_SEED_EXPORT:
		put(r, CPNS_A_SEED_ID, f->sid, sizeof(f->sid));
		put(r, CPNS_A_PUBKEY, f->pub1, sizeof(f->pub1));
		break;
	case F_SEED_CODE:
		put_u32(r, CPNS_A_HANDLE, f->h1);
		put_u8(r, CPNS_A_KEY_KIND, CPNS_KEY_SEED);
		put(r, CPNS_A_SEED_ID, f->sid, sizeof(f->sid));
		put(r, CPNS_A_PUBKEY, f->spub, sizeof(f->spub));
		break;
	case F_SEED_RELEASE:
		put_u32(r, CPNS_A_HANDLE, f->xs);
		put_u32(r, CPNS_A_XFER_CODE, f->code1);
		break;
	case F_SEED_IMPORT:
		put_u32(r, CPNS_A_HANDLE, f->h1);
		put(r, CPNS_A_SEED_ID, f->sid, sizeof(f->sid));
		put(r, CPNS_A_PUBKEY, f->spub, sizeof(f->spub));
		put(r, CPNS_A_WRAPPED, f->wrapped, sizeof(f->wrapped));
		break;
	case F_REQUEST:
		put(r, CPNS_A_SEED_ID, f->sid, sizeof(f->sid));
		break;
	case F_CHALLENGE:
		put(r, CPNS_A_SEED_ID, f->sid, sizeof(f->sid));
		put(r, CPNS_A_REQUEST_NONCE, f->n1, sizeof(f->n1));
		put(r, CPNS_A_REQUEST_MAC, f->mac1, sizeof(f->mac1));
		break;
	case F_DERIVE:
		put(r, CPNS_A_SEED_ID, f->sid, sizeof(f->sid));
		put(r, CPNS_A_REQUEST_NONCE, f->n1, sizeof(f->n1));
		put(r, CPNS_A_CHALLENGE, f->ch, sizeof(f->ch));
		put(r, CPNS_A_CHALLENGE_MAC, f->chmac, sizeof(f->chmac));
		break;
	case F_CONFIRM:
		put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		put(r, CPNS_A_REQUEST_NONCE, f->n1, sizeof(f->n1));
		break;
	case F_VERIFY:
		put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		put(r, CPNS_A_CONFIRM, f->confirm, sizeof(f->confirm));
		break;
	case F_DEV_EXPORT:
		put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		put(r, CPNS_A_PUBKEY, f->pub2, sizeof(f->pub2));
		break;
	case F_DEV_CODE:
		put_u32(r, CPNS_A_HANDLE, f->h2);
		put_u8(r, CPNS_A_KEY_KIND, CPNS_KEY_DEVICE);
		put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		put(r, CPNS_A_PUBKEY, f->gpub, sizeof(f->gpub));
		break;
	case F_DEV_RELEASE:
		put_u32(r, CPNS_A_HANDLE, f->xd);
		put_u32(r, CPNS_A_XFER_CODE, f->code2);
		break;
	case F_DEV_IMPORT:
		put_u32(r, CPNS_A_HANDLE, f->h2);
		put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		put(r, CPNS_A_PUBKEY, f->gpub, sizeof(f->gpub));
		put(r, CPNS_A_WRAPPED, f->wrapped2, sizeof(f->wrapped2));
		break;
	case F_BEGIN:
		put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		break;
	case F_ACHAL:
		put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		put(r, CPNS_A_CLIENT_NONCE, f->nc, sizeof(f->nc));
		if (f->has_gen)
			put_u32(r, CPNS_A_GENERATION, f->gen);
		if (f->has_pubc)
			put(r, CPNS_A_PUBKEY, f->pubc, sizeof(f->pubc));
		/* the server's KEK (add_keys()): a re-keying flow needs it */
		put(r, CPNS_A_KEYREF_TYPE, "logon", sizeof("logon"));
		put(r, CPNS_A_KEYREF_DESC, "nlfuzz:kek", sizeof("nlfuzz:kek"));
		break;
	case F_CLIENT:
		put_u32(r, CPNS_A_HANDLE, f->hc);
		put(r, CPNS_A_SERVER_NONCE, f->ns, sizeof(f->ns));
		if (f->has_pubs)
			put(r, CPNS_A_PUBKEY, f->pubs, sizeof(f->pubs));
		break;
	case F_SERVER:
		put_u32(r, CPNS_A_HANDLE, f->hs);
		put(r, CPNS_A_CLIENT_MAC, f->cmac, sizeof(f->cmac));
		break;
	case F_FINISH:
		put_u32(r, CPNS_A_HANDLE, f->hc);
		put(r, CPNS_A_SERVER_MAC, f->smac, sizeof(f->smac));
		break;
	case F_SEAL:
		f->sealed_by_gw2 = nf_pct(rng, 50);
		role = f->sealed_by_gw2 ? NF_ROLE_G2 : NF_ROLE_S;
		put_u32(r, CPNS_A_HANDLE, f->sealed_by_gw2 ? f->hc : f->hs);
		nf_fill(rng, pt, sizeof(pt));
		put(r, CPNS_A_DATA, pt, nf_below(rng, sizeof(pt) + 1));
		f->aad_len = nf_below(rng, sizeof(f->aad) + 1);
		nf_fill(rng, f->aad, f->aad_len);
		if (f->aad_len)
			put(r, CPNS_A_AAD, f->aad, f->aad_len);
		break;
	case F_OPEN:
		role = f->sealed_by_gw2 ? NF_ROLE_S : NF_ROLE_G2;
		put_u32(r, CPNS_A_HANDLE, f->sealed_by_gw2 ? f->hs : f->hc);
		put_u64(r, CPNS_A_SEQ, f->seq);
		if (f->ct)
			put(r, CPNS_A_DATA, f->ct, f->ct_len);
		if (f->aad_len)
			put(r, CPNS_A_AAD, f->aad, f->aad_len);
		break;
	case F_SESSION_DEL:
		role = nf_pct(rng, 50) ? NF_ROLE_G2 : NF_ROLE_S;
		put_u32(r, CPNS_A_HANDLE, role == NF_ROLE_G2 ? f->hc : f->hs);
		break;
	case F_KEY_DEL:
		role = (int)nf_below(rng, 3);
		if (nf_pct(rng, 50))
			put(r, CPNS_A_SEED_ID, f->sid, sizeof(f->sid));
		else
			put(r, CPNS_A_DEVICE_ID, f->did, sizeof(f->did));
		break;
	}
	nf_req_end(r);
	return role;
}

static void copy_attr(const struct nf_attr *as, int n, int type, void *dst,
		      size_t len, bool *has)
{
	const struct nf_attr *a = nf_find(as, n, type);

	if (has)
		*has = a && a->len == len;
	if (a && a->len == len)
		memcpy(dst, a->data, len);
}

static uint32_t get_u32(const struct nf_attr *as, int n, int type)
{
	const struct nf_attr *a = nf_find(as, n, type);
	uint32_t v = 0;

	if (a && a->len == 4)
		memcpy(&v, a->data, 4);
	return v;
}

/* A reply to the step in flight: keep what later steps need. */
void nf_flow_reply(const struct nlmsghdr *nh, void *arg)
{
	struct nf_flow *f = arg;
	struct nf_attr as[64];
	const struct nf_attr *a;
	int n = nf_parse_reply(nh, as, 64);

	nf_pool_harvest(nh, NULL);
	switch (f->cur) {
	case F_SEED_NEW:
		copy_attr(as, n, CPNS_A_SEED_ID, f->sid, sizeof(f->sid), NULL);
		break;
	case F_XFER_G1:
		f->h1 = get_u32(as, n, CPNS_A_HANDLE);
		copy_attr(as, n, CPNS_A_PUBKEY, f->pub1, sizeof(f->pub1), NULL);
		break;
	case F_XFER_G2:
		f->h2 = get_u32(as, n, CPNS_A_HANDLE);
		copy_attr(as, n, CPNS_A_PUBKEY, f->pub2, sizeof(f->pub2), NULL);
		break;
	case F_SEED_EXPORT:
		f->xs = get_u32(as, n, CPNS_A_HANDLE);
		copy_attr(as, n, CPNS_A_PUBKEY, f->spub, sizeof(f->spub), NULL);
		break;
	case F_SEED_CODE:
		f->code1 = get_u32(as, n, CPNS_A_XFER_CODE);
		break;
	case F_SEED_RELEASE:
		copy_attr(as, n, CPNS_A_WRAPPED, f->wrapped,
			  sizeof(f->wrapped), NULL);
		break;
	case F_REQUEST:
		copy_attr(as, n, CPNS_A_REQUEST_NONCE, f->n1, sizeof(f->n1),
			  NULL);
		copy_attr(as, n, CPNS_A_REQUEST_MAC, f->mac1, sizeof(f->mac1),
			  NULL);
		break;
	case F_CHALLENGE:
		copy_attr(as, n, CPNS_A_CHALLENGE, f->ch, sizeof(f->ch), NULL);
		copy_attr(as, n, CPNS_A_CHALLENGE_MAC, f->chmac,
			  sizeof(f->chmac), NULL);
		break;
	case F_DERIVE:
		copy_attr(as, n, CPNS_A_DEVICE_ID, f->did, sizeof(f->did), NULL);
		break;
	case F_CONFIRM:
		copy_attr(as, n, CPNS_A_CONFIRM, f->confirm,
			  sizeof(f->confirm), NULL);
		break;
	case F_DEV_EXPORT:
		f->xd = get_u32(as, n, CPNS_A_HANDLE);
		copy_attr(as, n, CPNS_A_PUBKEY, f->gpub, sizeof(f->gpub), NULL);
		break;
	case F_DEV_CODE:
		f->code2 = get_u32(as, n, CPNS_A_XFER_CODE);
		break;
	case F_DEV_RELEASE:
		copy_attr(as, n, CPNS_A_WRAPPED, f->wrapped2,
			  sizeof(f->wrapped2), NULL);
		break;
	case F_BEGIN:
		f->hc = get_u32(as, n, CPNS_A_HANDLE);
		copy_attr(as, n, CPNS_A_CLIENT_NONCE, f->nc, sizeof(f->nc),
			  NULL);
		f->has_gen = nf_find(as, n, CPNS_A_GENERATION);
		f->gen = get_u32(as, n, CPNS_A_GENERATION);
		copy_attr(as, n, CPNS_A_PUBKEY, f->pubc, sizeof(f->pubc),
			  &f->has_pubc);
		break;
	case F_ACHAL:
		f->hs = get_u32(as, n, CPNS_A_HANDLE);
		copy_attr(as, n, CPNS_A_SERVER_NONCE, f->ns, sizeof(f->ns),
			  NULL);
		copy_attr(as, n, CPNS_A_PUBKEY, f->pubs, sizeof(f->pubs),
			  &f->has_pubs);
		break;
	case F_CLIENT:
		copy_attr(as, n, CPNS_A_CLIENT_MAC, f->cmac, sizeof(f->cmac),
			  NULL);
		break;
	case F_SERVER:
		copy_attr(as, n, CPNS_A_SERVER_MAC, f->smac, sizeof(f->smac),
			  NULL);
		break;
	case F_SEAL:
		a = nf_find(as, n, CPNS_A_SEQ);
		if (a && a->len == 8)
			memcpy(&f->seq, a->data, 8);
		a = nf_find(as, n, CPNS_A_DATA);
		if (a) {
			free(f->ct);
			f->ct = malloc(a->len ? a->len : 1);
			f->ct_len = f->ct ? a->len : 0;
			if (f->ct)
				memcpy(f->ct, a->data, a->len);
		}
		break;
	}
}

/* The step after an accepted step cur. */
static int next_step(struct nf_worker *w, struct nf_flow *f, int cur)
{
	struct nf_rng *rng = &w->rng;

	switch (cur) {
	case F_FINISH:
		NF_INC(sessions);
		return F_SEAL;
	case F_SEAL:
		return F_OPEN;
	case F_OPEN:
	case F_SESSION_DEL:
		if (cur == F_OPEN && ++f->seals < 4 && nf_pct(rng, 70))
			return F_SEAL;
		f->seals = 0;
		if (nf_pct(rng, 10))
			return F_SESSION_DEL;
		if (nf_pct(rng, 60))
			return F_BEGIN;
		NF_INC(flows_done);
		return nf_pct(rng, 10) ? F_KEY_DEL : F_SEED_NEW;
	case F_KEY_DEL:
		return F_SEED_NEW;
	}
	return cur + 1 < F_SESSION_DEL ? cur + 1 : F_SEED_NEW;
}

int nf_flow_step(struct nf_worker *w, struct nf_flow *f, struct nf_req *req,
		 int *role)
{
	struct nf_rng *rng = &w->rng;
	int st = f->step;

	switch (nf_below(rng, 20)) {
	case 0:	/* out of order */
		st = (int)nf_below(rng, F_NSTEPS);
		break;
	case 1:	/* again */
		st = f->cur;
		break;
	}
	f->cur = st;
	*role = build(w, f, st, req);
	return 0;
}

void nf_flow_done(struct nf_worker *w, struct nf_flow *f,
		  const struct nf_answer *a)
{
	NF_INC(flow_steps);
	if (nf_opt.verbose >= 2)
		fprintf(stderr, "nlfuzz: [%d] flow step %d -> %d: %s%s%s\n",
			w->tid, f->cur, a->error ? -a->err : 0,
			a->answered ? (a->error ? "refused" : "ok") :
			"no answer", a->msg[0] ? ", " : "", a->msg);
	if (a->answered && !a->error) {
		NF_INC(flow_ok);
		f->step = next_step(w, f, f->cur);
		return;
	}
	/* a refused step: try it again, and after three, start over */
	if (f->cur == f->step && ++f->fails >= 3) {
		f->fails = 0;
		f->step = nf_pct(&w->rng, 50) && f->step > F_BEGIN ?
			  F_BEGIN : F_SEED_NEW;
	}
}
