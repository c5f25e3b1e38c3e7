/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cpns-gwd: a PN gateway daemon, in the role "secure" (GW1: gets a Key
 * Seed from the CPNS Server and assigns Device IDs and Keys to the
 * gateways that ask it, flows I and II) or "nonsecure" (GW2: asks GW1 for
 * a Device ID and Key, then authenticates with the server and sends its
 * signalling sealed, flow a). Documentation/cpns-gwd.rst is the manual.
 *
 *   main.c       the options and configuration, and the role chosen
 *                into struct gwd_role_ops (start-up: lib/daemon/startup.c)
 *   config.c     the configuration file: schema and checked values
 *   link.c       one wire connection inside the event loop
 *   kernel.c     the keys this namespace holds, kernel failures as codes
 *   backoff.c    bounded, jittered exponential retry delays
 *   failover.c   several servers: which one a flow tries next
 *   uplink.c     GW1's idle links to its servers, kept between assignments
 *   control.c    the control socket (cpnsctl pair)
 *   reply.c      the control socket's replies
 *   store.c      GW2's store: its Device Key wrapped under a KEK
 *   secure.c     the secure role (GW1)
 *   nonsecure.c  the nonsecure role (GW2)
 *   changing.c   the changing role (a CM device: GW1's flows I and II
 *                for itself on the secure WAN, GW2's flow a on either)
 *
 * The daemon holds no secret: it carries public values between its kernel
 * and its peers, and the kernel does every derivation, MAC and AEAD.
 */
#ifndef CPNS_GWD_H
#define CPNS_GWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cpns.h"
#include "ctlsock.h"
#include "daemon.h"
#include "wire.h"

#define GWD_PROG		"cpns-gwd"
#define GWD_VERSION		CPNS_VERSION
#define GWD_DEFAULT_CONF	"/etc/cpns/cpns-gwd.conf"

#define GWD_LISTEN_MAX		8	/* listen addresses of the secure role */
#define GWD_ALLOW_MAX		64	/* name patterns of the secure role */
#define GWD_SERVER_MAX		8	/* addresses of server, server_nonsecure */

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

enum gwd_role {
	GWD_SECURE = 0,			/* index in the "role" choices */
	GWD_NONSECURE = 1,
	GWD_CHANGING = 2,		/* a changing-mode (CM) device */
};

/* Which WAN a changing-mode device is on (index in the "wan" choices). */
enum gwd_wan {
	GWD_WAN_AUTO = 0,		/* configuration: decide by secure_wan */
	GWD_WAN_SECURE = 1,
	GWD_WAN_NONSECURE = 2,
};

/* An address prefix from the configuration (secure_wan). */
struct gwd_prefix {
	int family;			/* AF_INET or AF_INET6; 0: none */
	uint8_t addr[16];
	unsigned int len;
	char str[64];
};

/* A checked socket address from the configuration. */
struct gwd_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char str[CPNS_ADDR_STRLEN];
};

/**
 * struct gwd_servers - the servers of one key (server, server_nonsecure),
 * in the order configured; several act as one (they share a store)
 * @peer: the addresses
 * @n: how many (at least 1 once configured)
 * @cur: the one flows use now: the first at start, the next one after
 *	a failure (failover.c); it stays the same while it answers
 */
struct gwd_servers {
	struct cpns_peer peer[GWD_SERVER_MAX];
	size_t n;
	size_t cur;
};

/* A kernel key named by TYPE:DESC (kek, pairing_key). */
struct gwd_keyref {
	bool set;
	char type[CPNS_MAX_KEYREF];
	char desc[CPNS_MAX_KEYREF];
};

/**
 * struct gwd_conf - the configuration, checked (config.c)
 *
 * Times are milliseconds. Fields of the other role are zero.
 */
struct gwd_conf {
	const char *path;
	int role;				/* enum gwd_role */
	char name[CPNS_WIRE_NAME_MAX + 1];
	enum cpns_log_target log_target;
	int log_level;
	unsigned int connect_ms;
	unsigned int step_ms;
	unsigned int reconnect_min_ms;
	unsigned int reconnect_max_ms;
	char *control;				/* control socket; NULL: none */
	struct gwd_keyref pairing;		/* II-9 pairing key */
	struct gwd_keyref seed_pairing;		/* I-3, shared with S */

	/* secure */
	struct cpns_peer server;		/* also nonsecure: servers' first */
	struct gwd_servers servers;		/* every server = */
	struct gwd_addr listen[GWD_LISTEN_MAX];
	size_t nlisten;
	unsigned int max_clients;
	unsigned int idle_ms;
	unsigned int seed_timeout;		/* s, SEED_IMPORT; 0 = none */
	char *allow[GWD_ALLOW_MAX];		/* fnmatch() patterns */
	size_t nallow;
	unsigned int confirm_ms;
	unsigned int server_links;		/* idle links kept */
	unsigned int server_idle_ms;

	/* nonsecure */
	struct cpns_peer gw1;
	char *device_id_file;			/* NULL: none */
	char *store;				/* NULL: none */
	struct gwd_keyref kek;			/* set iff store */
	unsigned int key_timeout;		/* s, DEVICE_IMPORT; 0 = none */
	unsigned int ask_ms;
	unsigned int report_interval_ms;
	char *status_text;			/* NULL: generated */

	/* changing: also device_id_file .. status_text and seed_timeout */
	struct cpns_peer server_ns;		/* server on the non-secure WAN */
	struct gwd_servers servers_ns;		/* every server_nonsecure = */
	int wan;				/* enum gwd_wan */
	struct gwd_prefix secure_wan;		/* family 0: none */
	unsigned int wan_check_ms;
};

/* config.c */
int gwd_parse_ulong(const char *s, unsigned long max, unsigned long *out);
int gwd_conf_load(struct gwd_conf *conf, const char *path, char *err,
		  size_t errlen);
void gwd_conf_free(struct gwd_conf *conf);
void gwd_conf_print_keys(void);

struct gwd;
struct cpns_ctl;
struct cpns_ctl_reply;

/**
 * struct gwd_role_ops - a role: chosen once, from "role", at start-up
 * @name: for the logs ("secure (GW1)")
 * @start: make the role's state (gwd.role) and start its work; 0 or -1
 * @stop: end it and free the state
 * @ctl_list: the control socket's "list": one "pair" line per transfer
 * @ctl_decide: "confirm ID CODE" / "reject ID" (code NULL); NULL: GW2
 * @ctl_rotate: "rotate", flow I now; NULL: GW2
 * @ctl_reassign: "reassign", a new Device ID for GW2; NULL: GW1
 *
 * The control requests answer into r: "pair" lines, or for a decision a
 * last line "ok ..." or "error ...".
 */
struct gwd_role_ops {
	const char *name;
	int (*start)(struct gwd *g);
	void (*stop)(struct gwd *g);
	void (*ctl_list)(struct gwd *g, struct cpns_ctl_reply *r);
	void (*ctl_decide)(struct gwd *g, uint32_t id, const char *code,
			   struct cpns_ctl_reply *r);
	void (*ctl_rotate)(struct gwd *g, struct cpns_ctl_reply *r);
	void (*ctl_reassign)(struct gwd *g, struct cpns_ctl_reply *r);
};

extern const struct gwd_role_ops gwd_secure_ops;	/* secure.c */
/*
 * Serve fd (a connected stream socket, non-blocking; owned from now on) as
 * a GW2 accepted on the PN link, outside max_clients: the network fuzzer
 * (userspace/fuzz/net_fuzz.c) feeds GW1 through it.
 */
void gwd_secure_adopt(struct gwd *g, int fd, const char *peer);
extern const struct gwd_role_ops gwd_nonsecure_ops;	/* nonsecure.c */
extern const struct gwd_role_ops gwd_changing_ops;	/* changing.c */

/**
 * struct gwd - the daemon
 * @conf: its configuration
 * @ops: its role
 * @loop: the event loop
 * @nl: the one netlink socket: pending objects and sessions belong to it,
 *	so it lives as long as the daemon
 * @ctl: the control socket, or NULL
 * @once: --once: run one cycle of the role and exit
 * @once_reports: --once, nonsecure: reports to exchange
 * @reports_set: --reports was given
 * @status: exit status (0 or 1), set by a role in --once mode or on a
 *	fatal error
 * @done: gwd_exit() was called (perhaps before the loop runs)
 * @role: the role's state
 */
struct gwd {
	struct gwd_conf conf;
	const struct gwd_role_ops *ops;
	struct cpns_loop *loop;
	struct cpns_nl *nl;
	struct cpns_ctl *ctl;
	bool once;
	unsigned int once_reports;
	bool reports_set;
	int status;
	bool done;
	void *role;
};

/* Stop the loop with an exit status (the first status set wins a 1). */
static inline void gwd_exit(struct gwd *g, int status)
{
	if (status > g->status)
		g->status = status;
	g->done = true;
	cpns_loop_stop(g->loop);
}

/* ============================================================ roles */

/*
 * The changing role (changing.c) is built from the other two: GW1's flows
 * I and II (secure.c), run for itself and without II-9, and GW2's flow a
 * and signalling (nonsecure.c), sent to the server's address on the WAN it
 * is on.
 */
struct gw1;
struct gw2;

/* secure.c: GW1's state without the PN link; its seed looked up. NULL:
 * failed (logged).
 */
struct gw1 *gwd_gw1_new(struct gwd *g);
void gwd_gw1_free(struct gw1 *gw1);
/*
 * A self-assignment ended: did is the Device ID now held as this
 * namespace's own gw2 Device Key (self-assigned), or NULL and err says
 * why it failed (nothing stored).
 */
typedef void gwd_self_done_fn(void *arg, const uint8_t *did,
			      const char *err);
/* Flow I if there is no seed, then II-1 .. II-8 for itself; 0 or -1. */
int gwd_gw1_self_assign(struct gw1 *gw1, gwd_self_done_fn *done, void *arg);
/* Abandon a self-assignment in progress (done is not called). */
void gwd_gw1_self_cancel(struct gw1 *gw1);

/* nonsecure.c: GW2's state; begin finds its Device Key and starts. */
struct gw2 *gwd_gw2_new(struct gwd *g);
int gwd_gw2_begin(struct gw2 *gw2);
void gwd_gw2_free(struct gw2 *gw2);
/* End the current flow and start again now (the WAN changed). */
void gwd_gw2_restart(struct gw2 *gw2);
/* If it waits to retry, retry now (the network changed). */
void gwd_gw2_kick(struct gw2 *gw2);
/* The Device Key did is in the kernel: store it, then flow a. */
void gwd_gw2_assigned(struct gw2 *gw2, const uint8_t did[CPNS_DEVICE_ID_LEN]);
/* No Device Key could be had: retry later (--once: exit 1). */
void gwd_gw2_unassigned(struct gw2 *gw2, const char *why);

/* changing.c: the servers flow a uses (the conf's but for a CM device:
 * those of the WAN it is on), and GW2's "no Device Key" for a CM device
 * (assign itself, on the secure WAN only).
 */
struct gwd_servers *gwd_server(struct gwd *g);
void gwd_cm_need_key(struct gwd *g);
/*
 * The server refused flow a with ERROR code: true if this is a CM device
 * on the secure WAN and code says the device is unknown, revoked or
 * expired there: its Device Key did is then deleted (a fresh assignment
 * follows). Elsewhere an ERROR, unauthenticated, changes nothing.
 */
bool gwd_cm_refused(struct gwd *g, const uint8_t did[CPNS_DEVICE_ID_LEN],
		    unsigned int code);

/* ============================================================ link.c */

struct gwd_link;

/* Why a link ended without its owner closing it. */
enum gwd_end_kind {
	GWD_END_CLOSED = 1,	/* the peer closed the connection */
	GWD_END_IOERR,		/* read or write failed (err) */
	GWD_END_CONNECT,	/* connect failed (err; ETIMEDOUT: timeout) */
	GWD_END_PEER_ERROR,	/* the peer sent ERROR (code, text) */
	GWD_END_REFUSED,	/* the peer sent an invalid frame; err is the
				 * enum cpns_wire_err, ERROR sent
				 */
	GWD_END_TIMEOUT,	/* a deadline passed (deadline); ERROR 13 sent
				 * unless it was the idle deadline
				 */
};

struct gwd_end {
	int kind;		/* enum gwd_end_kind */
	int err;
	int deadline;		/* enum cpns_conn_deadline */
	uint16_t code;		/* GWD_END_PEER_ERROR */
	uint8_t ref_type;
	const char *text;	/* GWD_END_PEER_ERROR: the peer's message */
};

/**
 * struct gwd_link_ops - what a link tells its owner
 * @connected: an outgoing connection is established
 * @msg: a valid message other than ERROR arrived
 * @end: the link ended by the peer's doing or a deadline; it is detached
 *	from its owner, which must forget it
 *
 * The owner may call any gwd_link_*() function from these callbacks, and
 * free itself from @end.
 */
struct gwd_link_ops {
	void (*connected)(struct gwd_link *l, void *owner);
	void (*msg)(struct gwd_link *l, void *owner,
		    const struct cpns_wire_msg *m);
	void (*end)(struct gwd_link *l, void *owner,
		    const struct gwd_end *why);
};

/* An accepted connection (fd is owned from now on). NULL on failure. */
struct gwd_link *gwd_link_accept(struct gwd *g, int fd, const char *peer,
				 const struct gwd_link_ops *ops, void *owner);
/*
 * Start connecting to a (a host name is resolved off the loop first); NULL
 * with errno set if that fails at once.
 */
struct gwd_link *gwd_link_connect(struct gwd *g, const struct cpns_peer *a,
				  const struct gwd_link_ops *ops, void *owner);
/* Encode and send m; 0 or negative (enum cpns_wire_err or -errno). */
int gwd_link_send(struct gwd_link *l, const struct cpns_wire_msg *m);
/* Set the caller's deadline (CPNS_DL_STEP, _IDLE; CPNS_DL_NONE clears). */
void gwd_link_deadline(struct gwd_link *l, int kind, unsigned int ms);
/* Send ERROR and detach; the link lingers and closes by itself. */
void gwd_link_fail(struct gwd_link *l, unsigned int code,
		   unsigned int ref_type, const char *fmt, ...)
	CPNS_PRINTF(4, 5);
/* Detach; what is queued is written, then the connection closes. */
void gwd_link_close(struct gwd_link *l);
/* Hand an attached link to another owner; its deadline is cleared. */
void gwd_link_rebind(struct gwd_link *l, const struct gwd_link_ops *ops,
		     void *owner);
/* The peer's address, for logs. */
const char *gwd_link_peer(const struct gwd_link *l);
/* Describe why a link ended, for a log line. */
const char *gwd_end_str(const struct gwd_end *why, char *buf, size_t len);
/* The ERROR code that passes the failure on (GW1 to GW2). */
unsigned int gwd_end_code(const struct gwd_end *why);
/* Free every link (at exit). */
void gwd_links_free(struct gwd *g);

/* ============================================================ kernel.c */

/* The ERROR code for a failed kernel command (protocol section 7.2);
 * by_device: the command names a Device ID (ENOKEY: unknown device).
 */
/* Does this failure say that the key the command named is gone
 * (unknown, revoked or expired)?
 */
bool gwd_kernel_key_gone(int err);

/* Find a usable seed of role gw1: 1 found (the longest-lived of count),
 * 0 none, <0.
 */
int gwd_find_seed(struct cpns_nl *nl, uint8_t sid[CPNS_SEED_ID_LEN],
		  unsigned int *count);
/* Is there a usable gw2 Device Key did? 1, 0 or <0. */
int gwd_has_device(struct cpns_nl *nl, const uint8_t did[CPNS_DEVICE_ID_LEN]);
/* The gw2 Device Keys: *count of them, the first in did; 0 or <0. */
int gwd_find_devices(struct cpns_nl *nl, uint8_t did[CPNS_DEVICE_ID_LEN],
		     unsigned int *count);

/* Read a Device ID file (32 hex digits, a newline): 1, 0 if absent, <0
 * (err says why).
 */
int gwd_did_read(const char *path, uint8_t did[CPNS_DEVICE_ID_LEN],
		 char *err, size_t errlen);
/* Write it atomically; 0 or -errno. */
int gwd_did_write(const char *path, const uint8_t did[CPNS_DEVICE_ID_LEN]);

/* The comparison code of II-9 as shown and typed: six decimal digits. */
#define GWD_CODE_DIGITS		6

/* Format a code as GWD_CODE_DIGITS digits (buf of at least 7 bytes). */
const char *gwd_code_str(uint32_t code, char *buf);
/* The code an operator typed: exactly six digits, else false. */
bool gwd_code_parse(const char *typed, uint32_t *code);

/* The key operations of the lifecycle (keyops.h), logged on failure by the
 * caller with cpns_last_error().
 */
int gwd_xfer_code(struct cpns_nl *nl, uint32_t handle,
		  const uint8_t did[CPNS_DEVICE_ID_LEN],
		  const uint8_t sender_pub[CPNS_PUBKEY_LEN], uint32_t *code);
/* GW2: MAC of the pairing key over II-9, for its own receiver key (the
 * XFER_NEW handle whose public key is receiver_pub). GW1 hands it to its
 * kernel with XFER_RELEASE.
 */
int gwd_xfer_pair(struct cpns_nl *nl, const struct gwd_keyref *key,
		  uint32_t handle, const uint8_t did[CPNS_DEVICE_ID_LEN],
		  const uint8_t sender_pub[CPNS_PUBKEY_LEN],
		  const uint8_t receiver_pub[CPNS_PUBKEY_LEN],
		  uint8_t mac[CPNS_MAC_LEN]);

/* KEY_WRAP of Device Key did under kek, label bound; blob of *len (in:
 * its size) bytes.
 */
int gwd_key_wrap(struct cpns_nl *nl, const struct gwd_keyref *kek,
		 const char *label, const uint8_t did[CPNS_DEVICE_ID_LEN],
		 uint8_t *blob, size_t *len);
/* KEY_UNWRAP: the key goes into the keyring; its Device ID, generation
 * and serial come back. -EEXIST: a key with that ID is there already.
 */
int gwd_key_unwrap(struct cpns_nl *nl, const struct gwd_keyref *kek,
		   const char *label, const uint8_t *blob, size_t len,
		   uint8_t did[CPNS_DEVICE_ID_LEN], uint32_t *generation,
		   int32_t *serial);

/* ============================================================ store.c */

/*
 * GW2's store (configuration keys store and kek): one small file with the
 * Device ID, the key's generation and its KEY_WRAP blob, replaced
 * atomically. gwd_store_load(): 1 and the key is in the kernel (unwrapped,
 * or found there already), 0 no file, <0 refused (logged: corrupted,
 * wrong KEK, ...). gwd_store_save(): wrap the Device Key did and replace
 * the file; 0 or <0 (logged).
 */
int gwd_store_load(struct gwd *g, uint8_t did[CPNS_DEVICE_ID_LEN],
		   uint32_t *generation);
int gwd_store_save(struct gwd *g, const uint8_t did[CPNS_DEVICE_ID_LEN],
		   uint32_t generation);

/* ============================================================ control.c */

#define GWD_CTL_LINE_MAX	128	/* one request line, without '\n' */

int gwd_control_start(struct gwd *g);
void gwd_control_stop(struct gwd *g);

/* ============================================================ reply.c */

/* One "pair" line: id, state, name, peer, did, mode, code, seconds
 * waited, seconds left.
 */
void gwd_ctl_pair(struct cpns_ctl_reply *r, const char *id, const char *state,
		  const char *name, const char *peer,
		  const uint8_t did[CPNS_DEVICE_ID_LEN], int mode,
		  const char *code, uint64_t waited_ms, uint64_t left_ms);

/* ============================================================ failover.c */

/*
 * One flow's way through the servers of a list. gwd_try_peer() names the
 * server to connect to now (the list's current one) and remembers it;
 * gwd_try_failed() says that it failed the flow (no answer, a connection
 * lost, a step timed out, ERROR busy, timeout or internal): the list moves
 * on to the next server unless another flow moved it already, and the
 * result says whether the flow should start again at once on it (true: a
 * server of the list is still untried in this round) or wait its retry
 * delay (false: every server failed once; a new round begins).
 * gwd_try_ok(): the server answered, the round starts again.
 */
struct gwd_try {
	struct gwd_servers *s;
	size_t idx;		/* the server in use */
	unsigned int failed;	/* servers that failed in a row */
};

const struct cpns_peer *gwd_try_peer(struct gwd_try *t, struct gwd_servers *s);
/* The server gwd_try_peer() last named. */
const struct cpns_peer *gwd_try_server(const struct gwd_try *t);
bool gwd_try_failed(struct gwd_try *t, const char *flow, const char *why);
void gwd_try_ok(struct gwd_try *t);
/* Does this end of a link with a server call for another server? */
bool gwd_end_failover(const struct gwd_end *why);

/* ============================================================ uplink.c */

/* GW1's idle links to its servers (uplink.c). */
struct gwd_uplinks {
	struct uplink *idle;	/* most recently kept first */
	unsigned int n;		/* idle links */
	unsigned int max;	/* conf.server_links */
	unsigned int idle_ms;	/* conf.server_idle_ms */
};

void gwd_uplinks_init(struct gwd_uplinks *u, unsigned int max,
		      unsigned int idle_ms);
/* An idle link to server, now owner's, or NULL. */
struct gwd_link *gwd_uplink_take(struct gwd_uplinks *u,
				 const struct cpns_peer *server,
				 const struct gwd_link_ops *ops, void *owner);
/* Keep l (its flow done) for the next assignment to server, or close it. */
void gwd_uplink_put(struct gwd_uplinks *u, struct gwd_link *l,
		    const struct cpns_peer *server);
void gwd_uplinks_close(struct gwd_uplinks *u);

/* ============================================================ backoff.c */

struct gwd_backoff {
	unsigned int min_ms;
	unsigned int max_ms;
	unsigned int attempts;	/* failures since the last success */
};

void gwd_backoff_init(struct gwd_backoff *b, unsigned int min_ms,
		      unsigned int max_ms);
/* The delay before the next attempt (and count this failure). */
unsigned int gwd_backoff_next(struct gwd_backoff *b);
void gwd_backoff_reset(struct gwd_backoff *b);

#endif /* CPNS_GWD_H */
