// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The kernel-only side: the netlink commands of one flow, in the order
 * the protocol runs them, each on the socket of the host that runs it
 * (GW1's, GW2's, the server's), from one thread, with no TCP, no wire
 * codec and no daemon. What the protocol run costs beyond this is the
 * protocol's overhead: TCP connections, frames, the two event loops,
 * the daemon's logging, and the waiting between hosts.
 *
 * Also the measurement helpers: clock, CPU time (of the floor's responder
 * in place of cpns-serverd's in the floor's runs), latency percentiles,
 * and the server kernel's counters (GET_STATS) around a run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

uint64_t pb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *pb_kind_name(enum pb_kind kind)
{
	switch (kind) {
	case PB_SEED:
		return "seed";
	case PB_ASSIGN:
		return "assign";
	case PB_AUTH:
		return "auth";
	}
	return "?";
}

/* Run time of a process in seconds, -1 if unknown. */
static double run_time(const char *path)
{
	unsigned long long ns;
	double t = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%llu", &ns) == 1)
		t = ns / 1e9;
	fclose(f);
	return t;
}

void pb_cpu_read(const struct pb *pb, struct pb_cpu *cpu)
{
	char path[64];
	int pid = pb->floor ? pb->floor_pid : pb->server_pid;

	cpu->self = run_time("/proc/self/schedstat");
	cpu->server = -1;
	if (pid) {
		snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
		cpu->server = run_time(path);
	}
}

int pb_lat_add(struct pb *pb, uint64_t ns)
{
	if (pb->nlat == pb->caplat) {
		size_t cap = pb->caplat ? 2 * pb->caplat : 4096;
		uint64_t *l = realloc(pb->lat, cap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		pb->lat = l;
		pb->caplat = cap;
	}
	pb->lat[pb->nlat++] = ns;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void pb_latency(struct pb *pb, struct pb_run *run)
{
	size_t n = pb->nlat;

	run->lat_p50 = 0;
	run->lat_p99 = 0;
	if (!n)
		return;
	qsort(pb->lat, n, sizeof(*pb->lat), cmp_u64);
	run->lat_p50 = pb->lat[(n - 1) / 2] / 1e6;
	run->lat_p99 = pb->lat[(n - 1) * 99 / 100] / 1e6;
}

int pb_stats_begin(struct pb *pb, struct cpns_stats *st)
{
	int ret = cpns_get_stats(pb->s, st);

	if (ret)
		fprintf(stderr, "cpns-proto-bench: GET_STATS on the server: %s\n",
			cpns_last_error(pb->s));
	return ret;
}

/*
 * The server kernel's work over the run. Its sessions end when the
 * daemon sees our connections close: wait a little for them.
 */
int pb_stats_end(struct pb *pb, const struct cpns_stats *before,
		 struct pb_run *run)
{
	struct cpns_stats st;
	unsigned int i, tries;
	int ret;

	for (tries = 0; tries < 50; tries++) {
		ret = cpns_get_stats(pb->s, &st);
		if (ret) {
			fprintf(stderr, "cpns-proto-bench: GET_STATS on the server: %s\n",
				cpns_last_error(pb->s));
			return ret;
		}
		if (!st.pending_count && !st.session_count)
			break;
		usleep(100000);
	}
	run->s_cmds_ok = 0;
	run->s_cmds_failed = 0;
	for (i = 0; i <= CPNS_CMD_MAX; i++) {
		if (i == CPNS_CMD_GET_STATS)
			continue;
		run->s_cmds_ok += st.op[i].ok - before->op[i].ok;
		run->s_cmds_failed += st.op[i].failed - before->op[i].failed;
	}
	i = run->kind == PB_AUTH ? CPNS_CMD_AUTH_SERVER : CPNS_CMD_ASSIGN_CONFIRM;
	run->s_key_ok = st.op[i].ok - before->op[i].ok;
	run->s_pending = st.pending_count;
	run->s_sessions = st.session_count;
	return 0;
}

/* ------------------------------------------------------- one flow each */

struct kflow {
	struct pb *pb;
	const char *failed;	/* the command that failed */
	struct cpns_nl *on;	/* on which socket */
};

/* Note which command failed, and on which host's socket. */
static int kfail(struct kflow *k, struct cpns_nl *nl, const char *cmd)
{
	k->failed = cmd;
	k->on = nl;
	return -1;
}

/* II-1 .. II-8 and KEY_DEL, as an assign client and the server run them. */
static int kassign(struct kflow *k)
{
	uint8_t n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN], ch[CPNS_CHALLENGE_LEN];
	uint8_t chmac[CPNS_MAC_LEN], did[CPNS_DEVICE_ID_LEN];
	uint8_t code[CPNS_MAC_LEN], state;
	struct pb *pb = k->pb;
	int32_t serial;

	if (cpns_assign_request(pb->g1, pb->sid, n1, mac))
		return kfail(k, pb->g1, "ASSIGN_REQUEST");
	if (cpns_assign_challenge(pb->s, pb->sid, n1, mac, ch, chmac))
		return kfail(k, pb->s, "ASSIGN_CHALLENGE");
	if (cpns_assign_derive(pb->g1, pb->sid, n1, ch, chmac, did, &serial))
		return kfail(k, pb->g1, "ASSIGN_DERIVE");
	if (cpns_assign_confirm(pb->s, did, n1, code))
		return kfail(k, pb->s, "ASSIGN_CONFIRM");
	if (cpns_assign_verify(pb->g1, did, code, &serial, &state))
		return kfail(k, pb->g1, "ASSIGN_VERIFY");
	if (state != CPNS_STATE_CONFIRMED)
		return kfail(k, NULL, "ASSIGN_VERIFY (state)");
	if (cpns_key_del_device(pb->g1, did))
		return kfail(k, pb->g1, "KEY_DEL");
	return 0;
}

/*
 * a-0 .. a-4, a sealed report and its sealed ack, both sessions ended.
 * The keys have been used once (pb_run_proto's set-up), so no flow
 * re-keys here: generation 1 or more, as the protocol runs measure.
 */
static int kauth(struct kflow *k, const uint8_t *did, struct pb_rec *pr,
		 const uint8_t *rep, size_t replen, const uint8_t *ack,
		 size_t acklen)
{
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint8_t cmac[CPNS_MAC_LEN], smac[CPNS_MAC_LEN];
	uint8_t ct[CPNS_WIRE_SEALED_MAX], pt[CPNS_WIRE_SEALED_MAX];
	uint8_t aad_r[CPNS_WIRE_HDR_LEN], aad_a[CPNS_WIRE_HDR_LEN];
	size_t ctlen = sizeof(ct), ptlen = sizeof(pt);
	struct cpns_rekey rk = { 0 };
	struct pb *pb = k->pb;
	const struct cpns_record_ref ref = {
		.kek = &pb->kek,
		.label = pr->label,
		.label_len = sizeof(pr->label),
		.blob = pr->blob_len ? pr->blob : NULL,
		.blob_len = pr->blob_len,
	};
	struct cpns_record rec = { .blob_len = 0 };
	uint32_t hg, hs;
	uint64_t seq;
	int ret = 0;

	cpns_wire_sealed_aad(replen + CPNS_TAG_LEN, aad_r);
	cpns_wire_sealed_aad(acklen + CPNS_TAG_LEN, aad_a);
	if (cpns_auth_begin_rk(pb->g2, did, &hg, nc, &rk))
		return kfail(k, pb->g2, "AUTH_BEGIN");
	if (cpns_auth_challenge_rec(pb->s, did, nc, &rk, &ref, &hs, ns)) {
		cpns_session_del(pb->g2, hg);
		return kfail(k, pb->s, "AUTH_CHALLENGE");
	}
	if (cpns_auth_client_rk(pb->g2, hg, ns, &rk, cmac))
		ret = kfail(k, pb->g2, "AUTH_CLIENT");
	else if (cpns_auth_server_rec(pb->s, hs, cmac, smac, &rk, &rec))
		ret = kfail(k, pb->s, "AUTH_SERVER");
	else if (rec.blob_len)
		ret = kfail(k, NULL, "AUTH_SERVER (a re-key: the set-up left none)");
	else if (cpns_auth_finish_rk(pb->g2, hg, smac, &rk))
		ret = kfail(k, pb->g2, "AUTH_FINISH");
	else if (cpns_seal(pb->g2, hg, aad_r, sizeof(aad_r), rep, replen, &seq,
			   ct, &ctlen))
		ret = kfail(k, pb->g2, "SEAL");
	else if (cpns_unseal(pb->s, hs, seq, aad_r, sizeof(aad_r), ct, ctlen,
			     pt, &ptlen))
		ret = kfail(k, pb->s, "OPEN");
	if (!ret) {
		ctlen = sizeof(ct);
		ptlen = sizeof(pt);
		if (cpns_seal(pb->s, hs, aad_a, sizeof(aad_a), ack, acklen,
			      &seq, ct, &ctlen))
			ret = kfail(k, pb->s, "SEAL");
		else if (cpns_unseal(pb->g2, hg, seq, aad_a, sizeof(aad_a), ct,
				     ctlen, pt, &ptlen))
			ret = kfail(k, pb->g2, "OPEN");
	}
	if (cpns_session_del(pb->g2, hg) && !ret)
		ret = kfail(k, pb->g2, "SESSION_DEL");
	if (cpns_session_del(pb->s, hs) && !ret)
		ret = kfail(k, pb->s, "SESSION_DEL");
	return ret;
}

/*
 * The server's records of GW2's devices, read once from its store as
 * cpns-serverd reads a row at a-0 (the set-up re-keyed every key, and
 * the measured flows re-key none), with the label it binds into them.
 */
static int pb_records_read(struct pb *pb)
{
	struct cpns_store_device d;
	struct cpns_store *st;
	char err[256];
	size_t i;
	int ret;

	if (pb->recs)
		return 0;
	if (!pb->store) {
		fprintf(stderr, "cpns-proto-bench: the kernel-only auth flows need the server's records: --store\n");
		return -EINVAL;
	}
	ret = cpns_store_open(pb->store, CPNS_STORE_LAZY, &st, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "cpns-proto-bench: %s\n", err);
		return ret;
	}
	pb->recs = calloc(pb->ndids, sizeof(*pb->recs));
	for (i = 0; pb->recs && i < pb->ndids; i++) {
		ret = cpns_store_device_get(st, pb->dids[i], &d);
		if (ret == -ENOENT)
			continue;
		if (ret) {
			fprintf(stderr, "cpns-proto-bench: %s: %s\n",
				pb->store, cpns_store_error(st));
			break;
		}
		memcpy(pb->recs[i].blob, d.blob, d.blob_len);
		pb->recs[i].blob_len = d.blob_len;
		cpns_store_device_label(&d, pb->recs[i].label);
	}
	cpns_store_close(st);
	if (!pb->recs)
		return -ENOMEM;
	if (ret && ret != -ENOENT) {
		free(pb->recs);
		pb->recs = NULL;
		return ret;
	}
	return 0;
}

int pb_run_kernel(struct pb *pb, enum pb_kind kind, double seconds,
		  struct pb_run *run)
{
	struct cpns_wire_inner rep = { .type = CPNS_WIRE_STATUS_REPORT };
	struct cpns_wire_inner ack = { .type = CPNS_WIRE_STATUS_ACK };
	uint8_t rpt[CPNS_WIRE_INNER_MAX], apt[CPNS_WIRE_INNER_MAX];
	size_t rlen, alen, i = 0;
	struct kflow k = { .pb = pb };
	struct cpns_stats st;
	struct pb_cpu c0, c1;
	uint64_t t0, t1, end;
	int ret;

	memset(run, 0, sizeof(*run));
	run->kind = kind;
	pb->nlat = 0;
	/* The plaintexts the clients and the server seal, made once. */
	rep.status_report.health = CPNS_WIRE_HEALTH_OK;
	rep.status_report.time = (uint64_t)time(NULL);
	if (cpns_wire_text_set(&rep.status_report.text, "bench client 0",
			       CPNS_WIRE_TEXT_MAX) ||
	    cpns_wire_inner_encode(&rep, rpt, sizeof(rpt), &rlen) ||
	    cpns_wire_inner_encode(&ack, apt, sizeof(apt), &alen))
		return -EINVAL;
	if (kind == PB_AUTH && (!pb->ndids || pb_records_read(pb)))
		return -EINVAL;

	ret = pb_stats_begin(pb, &st);
	if (ret)
		return ret;
	pb_cpu_read(pb, &c0);
	t0 = pb_now_ns();
	end = t0 + (uint64_t)(seconds * 1e9);
	do {
		uint64_t s = pb_now_ns();

		size_t d = i++ % (pb->ndids ? pb->ndids : 1);

		if (kind == PB_AUTH)
			ret = kauth(&k, pb->dids[d], &pb->recs[d], rpt, rlen,
				    apt, alen);
		else
			ret = kassign(&k);
		t1 = pb_now_ns();
		if (ret) {
			run->failed++;
			fprintf(stderr, "cpns-proto-bench: kernel-only %s: %s: %s\n",
				pb_kind_name(kind), k.failed,
				k.on ? cpns_last_error(k.on) : "unexpected");
			break;
		}
		run->ops++;
		if (pb_lat_add(pb, t1 - s))
			return -ENOMEM;
	} while (t1 < end);
	pb_cpu_read(pb, &c1);
	run->seconds = (t1 - t0) / 1e9;
	run->cpu = c1.self - c0.self;
	run->server_cpu = -1;		/* the daemon is idle */
	pb_latency(pb, run);
	ret = pb_stats_end(pb, &st, run);
	return run->failed ? -EIO : ret;
}
