/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cpns-bench: operations per second of each cpns kernel operation through
 * netlink, against the same cryptographic computation in userspace
 * (OpenSSL, ref.h) in the same run, reported as the ratio kernel/userspace.
 *
 * An operation (struct bench_op) has a kernel side and a userspace side
 * (struct bench_fn). Only run() is timed. prep() and done() run untimed
 * around every run() (to make the inputs a step consumes, or to delete
 * what it stored so that the keyring and the pending tables keep their
 * size); a side without them is timed in batches, so that reading the
 * clock costs nothing per operation.
 */
#ifndef CPNS_BENCH_H
#define CPNS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpns.h"
#include "keyops.h"
#include "vectors.h"
#include "ref.h"

#define BENCH_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BENCH_MAX_ROUNDS	64
#define BENCH_MAX_OPS		32
/* Items per batch of the batched operations (batch_max's default). */
#define BENCH_BATCH		64
/* The largest plaintext of a batched SEAL or OPEN. */
#define BENCH_BATCH_MAX_PT	1024

/* The additional data of every SEAL and OPEN (as in vectors.json). */
#define BENCH_AAD		"cpns-signal"
#define BENCH_AAD_LEN		(sizeof(BENCH_AAD) - 1)

struct bench;
struct bench_op;

typedef int (*bench_step_fn)(struct bench *b, const struct bench_op *op);

struct bench_fn {
	bench_step_fn setup;	/* once before the measurement; may be NULL */
	bench_step_fn prep;	/* untimed, before every run(); may be NULL */
	bench_step_fn run;	/* the timed operation */
	bench_step_fn done;	/* untimed, after every run(); may be NULL */
};

struct bench_op {
	const char *name;	/* "assign_round", "seal_1k" */
	const char *kernel;	/* the commands run() sends */
	const char *baseline;	/* what the userspace run() computes */
	size_t size;		/* SEAL/OPEN plaintext bytes, else 0 */
	struct bench_fn k;	/* the kernel, through netlink */
	struct bench_fn u;	/* the baseline, in this process */
};

/* The operations, in report order (ops.c). */
extern const struct bench_op bench_ops[];
extern const size_t bench_nops;

/* One host of the flows: a netlink socket in its own network namespace. */
struct bench_host {
	const char *name;	/* "S", "GW1", "GW2" */
	struct cpns_nl *nl;
};

/* The kernel side's state (kside.c). */
struct bench_kernel {
	struct bench_host s, g1, g2;
	struct bench_host kat;		/* the test family cpns_kat (KAT op) */
	uint8_t sid[CPNS_SEED_ID_LEN];		/* seed on S and GW1 */
	uint8_t did[CPNS_DEVICE_ID_LEN];	/* Device Key on GW1 and GW2 */
	uint32_t hs, hg;			/* one session on S and GW2 */

	/* What prep() hands to run() and run() to done(). */
	uint8_t new_sid[CPNS_SEED_ID_LEN];
	uint8_t n1[CPNS_NONCE_LEN], req_mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], ch_mac[CPNS_MAC_LEN];
	uint8_t new_did[CPNS_DEVICE_ID_LEN];
	uint32_t fs, fg;			/* a-flow handles */
	uint64_t seq;
	size_t sealed_len;
	/* S's daemon's row of did: the device record (rekey.rst) */
	struct cpns_record rec;
	uint8_t kek[CPNS_KEY_LEN];	/* S's KEK's payload, as added */
};

/* The baseline's state (uside.c): its own seed and Device Key. */
struct bench_user {
	uint8_t seed[CPNS_SEED_LEN];
	uint8_t ska[CPNS_KEY_LEN];		/* made with the seed */
	uint8_t sid[CPNS_SEED_ID_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t dk[CPNS_KEY_LEN];
	struct ref_session srv, gw2;		/* one session, both ends */
	struct ref_session tsrv, tgw2;		/* the auth op's, until done() */

	/* Fixed inputs of a step, made by setup(). */
	uint8_t n1[CPNS_NONCE_LEN], req_mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], ch_mac[CPNS_MAC_LEN];
	uint64_t send_seq, open_seq;
	/* record_open: a server's device record blob made by the baseline
	 * (header, then SEAL under KDF(kek, "CPNS store wrap", header)). */
	uint8_t kek[CPNS_KEY_LEN];
	uint8_t rec[CPNS_MAX_BLOB];
};

struct bench {
	/* options */
	double seconds;			/* measured time per side and op */
	double warmup;			/* untimed run per side and op */
	unsigned int rounds;		/* slices, sides alternating */
	bool verbose;
	bool user_only;			/* no kernel: the baseline alone */
	double clock_ns;		/* what reading the clock costs */

	struct cpns_vectors *vs;	/* known answers */
	const struct cpns_vector *kat;	/* the vector the KAT op runs */

	struct bench_kernel k;
	struct bench_user u;

	/* Plaintext, and room for one sealed or opened message. */
	uint8_t pt[CPNS_MAX_PLAINTEXT];
	uint8_t buf[CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN];
	uint8_t out[CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN];
	uint8_t ubuf[CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN];	/* baseline's */

	/* The batched operations': one message per item. */
	struct cpns_seal_item bseal[BENCH_BATCH];
	struct cpns_open_item bopen[BENCH_BATCH];
	uint8_t bbuf[BENCH_BATCH][BENCH_BATCH_MAX_PT + CPNS_TAG_LEN];
	uint8_t bout[BENCH_BATCH][BENCH_BATCH_MAX_PT + CPNS_TAG_LEN];
	struct {
		uint8_t n1[CPNS_NONCE_LEN], req_mac[CPNS_MAC_LEN];
		uint8_t ch[CPNS_CHALLENGE_LEN], ch_mac[CPNS_MAC_LEN];
	} bassign[BENCH_BATCH];
	size_t bfailed;		/* items of a batch that failed */
};

/*
 * kside.c: three namespaces S, GW1, GW2 and flows I, II and a between
 * them, so that every command has the keys it needs.
 */
int kside_open(struct bench *b);
void kside_close(struct bench *b);
/* Report a failed library call on host h: 'STEP on HOST: why'. */
int kside_fail(const struct bench_host *h, const char *step, int err);
/* II-1 (GW1) and II-2/II-3 (S): k->n1, req_mac, ch, ch_mac. */
int kside_assign_start(struct bench_kernel *k);
/* II-3 check .. II-8: GW1 holds a confirmed Device Key k->new_did. */
int kside_assign_finish(struct bench_kernel *k);
/* a-0 .. a-4 between GW2 and S: k->fg and k->fs name the sessions. */
int kside_auth(struct bench_kernel *k);

/* S's KEK (a logon key the kernel side adds to this process's keyring)
 * and the label of its device's store row. */
#define KSIDE_KEK_DESC	"cpns-bench:kek"
#define KSIDE_LABEL	"bench-row"
extern const struct cpns_keyref kside_kek;

/* uside.c: the baseline's seed, Device Key and session. */
int uside_open(struct bench *b);
void uside_close(struct bench *b);
/* a-0 .. a-4 in userspace: both ends of a new session. */
int uside_auth(struct bench_user *u, struct ref_session *srv,
	       struct ref_session *gw2);

/* check.c: the baseline and the kernel against every known answer. */
struct bench_check {
	unsigned int vectors;
	unsigned int compared;		/* values compared */
	unsigned int failed;		/* values that differ */
};

int bench_check(struct bench *b, struct bench_check *res);

/* measure.c */
struct bench_sample {
	uint64_t ops;
	uint64_t ns;
};

struct bench_result {
	const struct bench_op *op;
	unsigned int rounds;
	struct bench_sample k[BENCH_MAX_ROUNDS], u[BENCH_MAX_ROUNDS];
	struct bench_sample ktot, utot;
};

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t bench_now(void);
/* What one reading of the clock costs, in nanoseconds. */
double bench_clock_cost(void);
/* Warm up, then measure op's two sides in b->rounds alternating slices. */
int bench_measure(struct bench *b, const struct bench_op *op,
		  struct bench_result *res);
/* Operations per second of a sample (0 if it holds no time). */
double bench_rate(const struct bench_sample *s);

/* report.c */
struct bench_env {
	char date[32];			/* UTC, ISO 8601 */
	char kernel[128];		/* uname -r */
	char machine[72];		/* uname -m */
	char cpu[128];			/* /proc/cpuinfo model name */
	char clocksource[32];
	long cpus;
	bool vm;			/* inside tools/vm-run (CPNS_VM=1) */
	const char *openssl;
	char cpu_flags[64];		/* the crypto ones of /proc/cpuinfo */
	char kernel_gcm[96];		/* the drivers cpns.ko's transforms */
	char kernel_hmac[96];		/* get (from /proc/crypto) */
	double clock_ns;
	char load[64];			/* /proc/loadavg at the end */
	const char *host_load;		/* the host's at the start, or NULL */
};

enum bench_format { BENCH_TABLE, BENCH_JSON, BENCH_RST };

void bench_env_get(const struct bench *b, struct bench_env *env);
int bench_report(const struct bench *b, const struct bench_env *env,
		 const struct bench_check *chk,
		 const struct bench_result *res, size_t nres,
		 enum bench_format fmt);

#endif /* CPNS_BENCH_H */
