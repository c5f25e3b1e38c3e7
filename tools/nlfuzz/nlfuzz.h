/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nlfuzz: a fuzzer of the cpns Generic Netlink family (tools/nlfuzz/README).
 *
 * It talks raw netlink on purpose: it must build messages that libnl (and
 * libcpns above it) would refuse to build. Names and hex come from libcpns.
 */
#ifndef NLFUZZ_H
#define NLFUZZ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>
#include <linux/cpns.h>

#define NF_MAX_CMD	256	/* genlmsghdr.cmd is a u8 */
#define NF_MAX_ATTR	128	/* attribute types tracked (policy, pool) */
#define NF_MAX_POL	32	/* policies in the family's policy dump */
#define NF_MAX_MSG	(300 * 1024)	/* largest request built */
#define NF_RCVBUF	(4 * 1024 * 1024)
#define NF_MAX_NS	16	/* shared network namespaces */
#define NF_MAX_EXTACK	1024	/* distinct (errno, message) pairs kept */
#define NF_MAX_ERRNO	256

/* ------------------------------------------------------------ random */

struct nf_rng {
	uint64_t s;
};

void nf_rng_seed(struct nf_rng *r, uint64_t seed, uint64_t stream);
uint64_t nf_rand(struct nf_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
uint32_t nf_below(struct nf_rng *r, uint32_t n);
/* True with probability pct / 100. */
bool nf_pct(struct nf_rng *r, unsigned int pct);
void nf_fill(struct nf_rng *r, void *buf, size_t len);

/* ------------------------------------------------------------ family */

/* The policy of one attribute, as CTRL_CMD_GETPOLICY reports it. */
struct nf_pattr {
	bool present;
	uint8_t type;			/* enum netlink_attribute_type */
	bool has_len, has_range;
	uint32_t min_len, max_len;
	uint64_t min_val, max_val;	/* unsigned range, or signed as u64 */
	int nested;			/* policy index of a nest, else -1 */
};

struct nf_policy {
	bool present;
	struct nf_pattr a[NF_MAX_ATTR];
};

struct nf_cmd {
	bool known;			/* the family has this op */
	bool doit, dumpit;
	int pol;			/* policy index of the doit/dumpit */
	bool priv;			/* needs CAP_NET_ADMIN */
	/* Required attributes, learned from NLMSGERR_ATTR_MISS_TYPE. */
	atomic_bool required[NF_MAX_ATTR];
};

struct nf_family {
	uint16_t id;
	bool from_policy;		/* CTRL_CMD_GETPOLICY worked */
	int ncmd;			/* known commands */
	uint8_t cmds[NF_MAX_CMD];	/* their numbers */
	int max_attr;			/* highest attribute type in any policy */
	struct nf_cmd cmd[NF_MAX_CMD];
	struct nf_policy pol[NF_MAX_POL];
};

extern struct nf_family nf_fam;

/* Resolve "cpns" and learn its ops and policies (fallback: cpns.h). */
int nf_family_load(int fd);
const char *nf_cmd_name(unsigned int cmd, char *buf, size_t len);

/* ------------------------------------------------------------ messages */

struct nf_buf {
	uint8_t *p;
	size_t len, cap;
};

void nf_buf_init(struct nf_buf *b, size_t cap);
void nf_buf_free(struct nf_buf *b);
void *nf_buf_put(struct nf_buf *b, const void *data, size_t len);
/* An attribute; len may be anything: the header says what hdr_len says
 * (-1: the true length), the payload is len bytes, padded to 4. */
void nf_put_attr(struct nf_buf *b, uint16_t type, const void *data,
		 size_t len, int hdr_len);
size_t nf_nest_start(struct nf_buf *b, uint16_t type);
void nf_nest_end(struct nf_buf *b, size_t off);

/* A request: nlmsghdr + genlmsghdr then attributes. */
struct nf_req {
	struct nf_buf b;
	uint8_t cmd;
	bool dump;
	bool header_ok;		/* length, type, flags, genl header sane */
	bool ack;		/* NLM_F_ACK set */
};

void nf_req_begin(struct nf_req *r, uint16_t family, uint8_t cmd,
		  uint16_t flags);
void nf_req_end(struct nf_req *r);	/* sets nlmsg_len */

/* A parsed attribute. */
struct nf_attr {
	uint16_t type;
	uint16_t len;
	const uint8_t *data;
};

/* Iterate attributes in [p, p + len); returns false at the end. */
bool nf_attr_next(const uint8_t **p, size_t *len, struct nf_attr *a);

/* What came back for one request. */
struct nf_answer {
	bool answered;		/* any message for our seq */
	bool error;		/* NLMSG_ERROR with err != 0, or DONE < 0 */
	bool acked;		/* NLMSG_ERROR with err 0 */
	bool data;		/* at least one reply message */
	bool overrun;		/* ENOBUFS: replies were lost */
	bool dump_intr;
	int err;		/* positive errno */
	char msg[256];		/* extack message, "" if none */
	int miss_type;		/* -1 if none */
	int nreplies;
};

/* A socket in the calling thread's network namespace. */
struct nf_sock {
	int fd;
	uint32_t seq;
	uint8_t *rbuf;
	size_t rcap;
};

int nf_sock_open(struct nf_sock *s, bool force_bufs);
void nf_sock_close(struct nf_sock *s);

typedef void (*nf_reply_fn)(const struct nlmsghdr *nh, void *arg);

/*
 * Send the request (one sendmsg), then read every answer to it. The kernel
 * handles a request in sendmsg, so everything it sends is queued (or, for a
 * dump, made on recvmsg) by then. fn sees each reply message. Returns 0 or a
 * negative errno of the socket calls.
 */
int nf_xfer(struct nf_sock *s, struct nf_req *r, struct nf_answer *ans,
	    nf_reply_fn fn, void *arg);

/* Reply attributes: first one of type, or NULL. */
const struct nf_attr *nf_find(const struct nf_attr *as, int n, int type);
int nf_parse_reply(const struct nlmsghdr *nh, struct nf_attr *as, int max);

/* ------------------------------------------------------------ pool */

/* Values seen in replies, by attribute type, for every thread. */
void nf_pool_init(void);
void nf_pool_add(uint16_t type, const void *data, size_t len);
/* Copy a random value of type into buf (at most cap bytes); -1 if none. */
int nf_pool_get(struct nf_rng *r, uint16_t type, void *buf, size_t cap);
void nf_pool_harvest(const struct nlmsghdr *nh, void *arg);

/* ------------------------------------------------------------ generator */

/* Build a request for cmd from its policy and the pool, maybe mutated.
 * mutate: 0 = none, else the number of mutations to try. */
void nf_gen(struct nf_rng *rng, struct nf_req *r, uint8_t cmd, int mutate);
/* Pick a command: known ones mostly, sometimes an unknown number. */
uint8_t nf_pick_cmd(struct nf_rng *rng);
/* Apply n random mutations to a finished request. */
void nf_mutate(struct nf_rng *rng, struct nf_req *r, int n);

/* ------------------------------------------------------------ stats */

struct nf_extack {
	int err;
	int cmd;
	uint64_t count;
	char text[256];
};

/* In shared memory: the unprivileged worker processes write here too. */
struct nf_stats {
	pthread_mutex_t lock;
	uint64_t sent, answered, accepted, rejected, noanswer, overrun;
	uint64_t bytes;
	uint64_t cmd_sent[NF_MAX_CMD], cmd_ok[NF_MAX_CMD];
	uint64_t errno_count[NF_MAX_ERRNO];
	int nextack;
	struct nf_extack extack[NF_MAX_EXTACK];
	uint64_t no_extack;		/* refused without a message */
	uint64_t flow_steps, flow_ok, sessions, flows_done;
	uint64_t oracle_checks, oracle_relaxed, oracle_skipped;
	uint64_t oracle_errno[NF_MAX_ERRNO];	/* checks by the refusal's errno */
	uint64_t unpriv_sent, unpriv_eperm;
	uint64_t netns_made, revoked, unlinked, own_revoked;
	uint64_t failures;
	char first_failure[512];
};

extern struct nf_stats *nf_st;

#define NF_INC(field) __atomic_fetch_add(&nf_st->field, 1, __ATOMIC_RELAXED)

/* Account one request and its answer (and fail on a missing answer). */
void nf_account(int tid, const struct nf_req *r, const struct nf_answer *a);
/* Record an oracle failure: printed at once, counted, run fails. */
void nf_failure(int tid, const struct nf_req *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void nf_dump_req(const struct nf_req *r);

/* ------------------------------------------------------------ config */

struct nf_opts {
	double duration;
	uint64_t seed;
	int threads;
	int netns;
	int unpriv;
	bool checker, churn, revoke;
	int churn_ms;
	int hang;
	uint64_t messages;	/* per worker, 0: no limit */
	int verbose;
	bool json;
	bool oracle_selftest;
};

extern struct nf_opts nf_opt;
extern atomic_bool nf_stop;
extern uint32_t nf_pending_timeout;

/* ------------------------------------------------------------ namespaces */

/* The shared namespaces, replaced now and then by the churn thread. */
struct nf_ns_table {
	pthread_mutex_t lock;
	int n;
	int fd[NF_MAX_NS];
	int32_t keyring[NF_MAX_NS];
};

extern struct nf_ns_table nf_ns;
extern int nf_init_ns;		/* fd of the namespace we started in */

/* A new network namespace: its fd (the thread returns to nf_init_ns). */
int nf_ns_new(int32_t *keyring);
/* Enter shared slot i (its current namespace). */
int nf_ns_enter(int i);

/* ------------------------------------------------------------ flows */

#define NF_ROLE_S	0
#define NF_ROLE_G1	1
#define NF_ROLE_G2	2

struct nf_flow;

struct nf_worker {
	int tid;
	struct nf_rng rng;
	struct nf_sock sock[3];		/* server, GW1, GW2 roles */
	struct nf_flow *flow[2];
	atomic_uint_fast64_t busy_since;	/* ms, 0 when idle */
	atomic_int busy_cmd;
	uint64_t sent;
	atomic_bool done;
	bool checker;
};

struct nf_flow *nf_flow_new(void);
void nf_flow_free(struct nf_flow *f);
void nf_flow_reset(struct nf_flow *f);
/*
 * Build the next request of flow f in req: mostly the next step of the
 * protocol with the values of earlier replies, sometimes another step or
 * the same again. *role: the socket (NF_ROLE_*) to send it on.
 */
int nf_flow_step(struct nf_worker *w, struct nf_flow *f, struct nf_req *req,
		 int *role);
/* The answer to the step nf_flow_step() built: move on, retry, restart. */
void nf_flow_done(struct nf_worker *w, struct nf_flow *f,
		  const struct nf_answer *a);
/* nf_reply_fn for a step's replies (arg: the flow). */
void nf_flow_reply(const struct nlmsghdr *nh, void *arg);

/* Send r on w's socket of role, account it, harvest the replies. */
int nf_send(struct nf_worker *w, int role, struct nf_req *r,
	    struct nf_answer *a, nf_reply_fn fn, void *arg);

uint64_t nf_now_ms(void);

/* ------------------------------------------------------------ oracle */

void *nf_checker_main(void *arg);
void *nf_revoker_main(void *arg);
void *nf_churn_main(void *arg);
/* Fork the unprivileged workers; returns the number started. */
int nf_unpriv_start(struct nf_rng *rng, pid_t *pids, int n);
/* After they exited: did their namespace stay as it was? */
int nf_unpriv_finish(void);
/* Show that the state oracle catches a change and passes a refusal. */
int nf_oracle_selftest(void);
/* True if errno err is one the family documents for a privileged caller. */
bool nf_errno_expected(int err);

#endif /* NLFUZZ_H */
