/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cpns-proto-bench: the protocol's throughput against a real cpns-serverd,
 * next to the time the kernel operations of the same flows take alone.
 *
 * The process runs in GW2's network namespace (its own cpns socket is
 * GW2's) and opens two more cpns sockets by setns(): one in GW1's
 * namespace and one in the server's. Over TCP it plays N GW1s or N GW2s
 * at once, from one event loop (userspace/lib daemon.h), each a small
 * state machine over a struct cpns_conn:
 *
 *   assign  II-1 .. II-8 with the server, then KEY_DEL of GW1's copy of
 *           the Device Key, as cpns-gwd (secure) does for each GW2 once
 *           it has handed the key over; each client keeps its connection
 *           (in state LINK at the server) from one assignment to the
 *           next, as cpns-gwd keeps its server links, or with
 *           --assign-link new opens a new one for each;
 *   auth    a-0 .. a-4 with the server on a new connection with one of
 *           GW2's Device Keys, one sealed STATUS_REPORT and its sealed
 *           STATUS_ACK, then SESSION_DEL and close, as cpns-gwd
 *           (nonsecure) does for one session of one report.
 *
 * The kernel-only side runs the same netlink commands in the same order
 * from one thread, S's commands on the server's socket, with no TCP, no
 * wire codec, no daemon (pkern.c).
 *
 * The transport floor runs the same clients with every netlink command
 * left out, against a responder in the server's namespace that answers
 * each frame with one of the type and size cpns-serverd sends, and does
 * nothing else (pfloor.c): what TCP, the frames and the event loops
 * cost alone.
 */
#ifndef CPNS_PROTO_BENCH_H
#define CPNS_PROTO_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cpns.h"
#include "daemon.h"
#include "keyops.h"
#include "store.h"
#include "wire.h"

#define PB_MAX_CLIENTS		256
#define PB_MAX_RUNS		16
#define PB_STEP_MS		30000	/* a step's answer, as the daemons */
#define PB_DRAIN_MS		60000	/* in-flight flows after the window */

enum pb_kind {
	PB_SEED = 0,		/* flow I, once, in the set-up */
	PB_ASSIGN,		/* II-1 .. II-8 (+ KEY_DEL), or + II-9 in set-up */
	PB_AUTH,		/* a-0 .. a-4 + one sealed round trip */
};
#define PB_KINDS		3

/* The frames of one flow: their sizes in bytes, in order, each way. */
#define PB_SHAPE_MAX		4
struct pb_shape {
	unsigned int nout, nin;
	uint16_t out[PB_SHAPE_MAX];	/* client to server */
	uint16_t in[PB_SHAPE_MAX];	/* server to client */
	bool done;			/* one whole flow recorded */
};

/*
 * Processor time in seconds, from /proc/PID/schedstat (the scheduler's
 * run time, the kernel's work in the process's system calls included).
 */
struct pb_cpu {
	double self;		/* this process: the clients, or kernel-only */
	double server;		/* cpns-serverd; -1 if unknown */
};

/* One measured run. */
struct pb_run {
	enum pb_kind kind;
	unsigned int clients;	/* 0: the kernel-only side */
	double seconds;		/* the window */
	uint64_t ops;		/* flows completed in the window */
	uint64_t failed;	/* flows that failed (any time) */
	uint64_t drained;	/* flows completed after the window */
	uint64_t conns;		/* TCP connections opened */
	double cpu;		/* CPU seconds of the clients and the server */
	double server_cpu;	/* of cpns-serverd alone (-1: unknown) */
	double lat_p50, lat_p99;	/* ms per flow, wall clock */
	/* The server kernel's counters over the run (GET_STATS deltas). */
	uint64_t s_cmds_ok, s_cmds_failed;
	uint64_t s_key_ok;	/* AUTH_SERVER or ASSIGN_CONFIRM ok */
	uint32_t s_pending, s_sessions;	/* after the run */
	/* The kernel-only slices interleaved with this run's, merged. */
	uint64_t k_ops;
	double k_seconds, k_cpu;
	/* The transport floor's slices (pb->floor), merged. */
	uint64_t f_ops, f_failed, f_drained, f_conns;
	double f_seconds, f_cpu, f_server_cpu;
	double f_lat_p50, f_lat_p99;
};

struct pb_client;

/*
 * The server's record of one of GW2's devices, as cpns-serverd hands it
 * to AUTH_CHALLENGE: the kernel-only side reads them from the server's
 * store once the set-up has re-keyed every key (pkern.c).
 */
struct pb_rec {
	uint8_t blob[CPNS_MAX_BLOB];
	size_t blob_len;		/* 0: no row (generation 0) */
	uint8_t label[CPNS_STORE_LABEL_LEN];
};

struct pb {
	/* options */
	struct sockaddr_storage addr;	/* the server */
	socklen_t addrlen;
	const char *server_str;
	double seconds;			/* a run's window, all rounds */
	unsigned int rounds;		/* slices of each side per run */
	unsigned int nclients[PB_MAX_RUNS];
	size_t nruns;
	bool do_auth, do_assign, json, verbose;
	bool do_floor;			/* the transport floor's slices too */
	bool assign_new;		/* a new connection per assignment */
	int server_pid;			/* 0: unknown */
	const char *store;		/* the server's store */
	struct cpns_keyref kek;		/* the server's KEK */

	/* the three hosts' cpns sockets */
	struct cpns_nl *g2;		/* this process's namespace */
	struct cpns_nl *g1;
	struct cpns_nl *s;

	/* flow I's seed, shared by GW1 and the server */
	uint8_t sid[CPNS_SEED_ID_LEN];
	bool have_seed;
	/* GW2's Device Keys, one per auth client */
	uint8_t (*dids)[CPNS_DEVICE_ID_LEN];
	size_t ndids;
	struct pb_rec *recs;		/* the server's, per did; NULL: unread */

	/* the current run */
	struct cpns_loop *loop;
	struct cpns_timer tick;
	struct pb_client *clients;
	unsigned int nlive;		/* clients in a flow */
	unsigned int nclient;
	enum pb_kind kind;
	bool once;			/* set-up: one flow per client */
	bool stopping;
	bool export;			/* assign: II-9 to GW2 instead of KEY_DEL */
	double seconds_run;		/* the current window (one slice) */
	uint64_t t0, t_end;		/* ns, CLOCK_MONOTONIC */
	uint64_t t_stop;		/* when the window was closed */
	struct pb_cpu cpu_stop;		/* CPU times then */
	uint64_t ops, failed, drained, conns;
	uint64_t *lat;			/* ns per flow in the window */
	size_t nlat, caplat;
	unsigned int reported;		/* failures printed */

	/* the transport floor */
	bool floor;			/* the current run is the floor's */
	struct sockaddr_storage floor_addr;	/* its responder */
	char floor_str[CPNS_ADDR_STRLEN];
	int floor_pid;			/* the responder; 0: none */
	/* Client 0's first timed flow of each kind: [0] the protocol's,
	 * [1] the floor's, which must be the same.
	 */
	struct pb_shape shape[2][PB_KINDS];
};

/* pload.c: the clients over TCP */
int pb_run_proto(struct pb *pb, enum pb_kind kind, unsigned int n,
		 bool once, struct pb_run *run);

/* pfloor.c: the floor's responder, a child process listening in the
 * server's namespace on the server's port + 1 */
int pb_floor_start(struct pb *pb, const char *netns);
int pb_floor_stop(struct pb *pb);

/* pkern.c: the same kernel commands without the protocol */
int pb_run_kernel(struct pb *pb, enum pb_kind kind, double seconds,
		  struct pb_run *run);

/* pkern.c: measurement helpers */
uint64_t pb_now_ns(void);
void pb_cpu_read(const struct pb *pb, struct pb_cpu *cpu);
void pb_latency(struct pb *pb, struct pb_run *run);
int pb_stats_begin(struct pb *pb, struct cpns_stats *st);
int pb_stats_end(struct pb *pb, const struct cpns_stats *before,
		 struct pb_run *run);
/* Record a flow's wall time (ns); 0 or -ENOMEM. */
int pb_lat_add(struct pb *pb, uint64_t ns);

/* "assign", "auth" */
const char *pb_kind_name(enum pb_kind kind);

#endif /* CPNS_PROTO_BENCH_H */
