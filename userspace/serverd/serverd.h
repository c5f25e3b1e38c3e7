/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * cpns-serverd: the CPNS Server of Documentation/protocol.rst (role S).
 *
 *   main.c     options, configuration, start-up and shutdown
 *   server.c   listening sockets, connections (events, deadlines, limits
 *              of all and per address, start_timeout), the state table of
 *              section 9.1
 *   sconn.c    what a flow does to its connection: send, refuse with
 *              ERROR (kernel errors to wire codes), end its flow
 *   seed.c     flow I: SEED_REQUEST -> SEED_NEW, SEED_EXPORT -> SEED_RESPONSE
 *   assign.c   flow II: ASSIGN_REQUEST -> ASSIGN_CHALLENGE,
 *              ASSIGN_DEVICE_ID -> ASSIGN_CONFIRM
 *   auth.c     flow a: AUTH_HELLO -> AUTH_CHALLENGE, AUTH_CLIENT ->
 *              AUTH_SERVER
 *   session.c  sealed signalling: STATUS_REPORT -> STATUS_ACK
 *   control.c  the control socket of "cpnsctl server": status, the
 *              inventory, revocations, sessions
 *   seedsync.c several servers on one store: the kernel's seeds kept as
 *              the store holds them, checked before each request
 *   keystore.c the persistent store (lib/store/store.h): every seed
 *              unwrapped into the kernel at start, each new seed wrapped
 *              and committed before I-3 is sent, device records read per
 *              request and written by compare-and-set
 *
 * The daemon keeps no per-device state in memory: the kernel finds the
 * seed from the Seed ID or Device ID of each request, challenges of flow
 * II are kept by the kernel (by n1), and an a-flow or session lives only
 * as long as its connection. Each device's record (a re-key, a
 * revocation) is a blob in the store, wrapped by the kernel under the
 * operator's key-encryption key, read at a-0 and handed to the kernel,
 * which keeps no object per device. With a configured store, seeds and
 * device records survive a restart of the daemon, a module reload and a
 * reboot. One libcpns handle serves every connection.
 */
#ifndef CPNS_SERVERD_H
#define CPNS_SERVERD_H

#include <stdbool.h>
#include <stdint.h>

#include "cpns.h"
#include "daemon.h"
#include "keyops.h"
#include "store.h"
#include "wire.h"

#define SERVERD_NAME		"cpns-serverd"
#define SERVERD_VERSION		CPNS_VERSION
#define SERVERD_MAX_LISTEN	16
#define SERVERD_MAX_ALLOW	256

/* Section 9.1 of Documentation/protocol.rst. */
enum sconn_state {
	SC_START,	/* nothing received yet */
	SC_LINK,	/* a GW1 link: flows I and II */
	SC_AUTH_WAIT,	/* a-0 answered, waiting for a-1 */
	SC_SESSION,	/* a-3 sent: sealed signalling */
};

struct server;

/*
 * A device's record as its store row holds it (the key columns), read at
 * a-0 and replaced by compare-and-set (keystore_record_put()). A device
 * without a row has generation 0, state active, no blob, and created the
 * time of the read (the row it gets keeps it: the label binds it).
 */
struct keystore_rec {
	uint32_t generation;
	uint8_t state;
	int64_t created;
	uint64_t expiry;
	size_t blob_len;
	uint8_t blob[CPNS_MAX_BLOB];
};

/**
 * struct sconn - one accepted connection
 * @srv: the server
 * @c: the framed TCP connection
 * @w: its watch in the loop
 * @t: its timer, armed at the connection's next deadline
 * @prev: list of connections
 * @next: list of connections
 * @id: number for logs ("conn 12")
 * @state: enum sconn_state
 * @handle: the a-flow (SC_AUTH_WAIT) or session (SC_SESSION), 0 if none
 * @did: the Device ID of the a-flow or session, for logs
 * @pending: counted in server.pending (an a-flow between a-0 and a-3)
 * @reports: STATUS_REPORTs acknowledged
 * @rec: the device's record as read at a-0 or last written by this flow
 */
struct sconn {
	struct server *srv;
	struct cpns_conn c;
	struct cpns_watch w;
	struct cpns_timer t;
	struct sconn *prev;
	struct sconn *next;
	uint64_t id;
	int state;
	uint32_t handle;
	uint8_t did[CPNS_DEVICE_ID_LEN];
	bool pending;
	uint64_t reports;
	struct keystore_rec rec;
	/* A kernel command waiting to be run (kbatch.c) */
	const struct kbatch_ops *kb_ops;
	struct sconn *kb_next;
	struct cpns_error kb_error;	/* its result: .err 0, or the failure */
	union {
		struct cpns_wire_assign_request req;	/* II-1 */
		struct cpns_wire_assign_device_id dev;	/* II-5 */
		struct {				/* a-0 */
			struct cpns_wire_auth_hello m;
			struct cpns_rekey rk;
			uint8_t label[CPNS_STORE_LABEL_LEN];
		} hello;
		struct cpns_wire_auth_mac client;	/* a-1 */
		struct {				/* OPEN */
			struct cpns_wire_sealed m;
			uint8_t aad[CPNS_WIRE_HDR_LEN];
		} sealed;
		struct {				/* SEAL */
			uint8_t pt[CPNS_WIRE_INNER_MAX];
			uint8_t aad[CPNS_WIRE_HDR_LEN];
			struct cpns_wire_status_report rep;
			uint64_t seq;			/* of the report */
		} ack;
	} kb_in;
	union {
		struct cpns_wire_assign_challenge ch;	/* II-3 */
		uint8_t code[CPNS_MAC_LEN];		/* II-7's */
		struct {				/* a-0's answer */
			uint32_t handle;
			uint8_t ns[CPNS_NONCE_LEN];
		} challenge;
		struct {				/* a-3's */
			uint8_t mac[CPNS_MAC_LEN];
			struct cpns_rekey rk;
			struct cpns_record rec;
		} server;
		struct {				/* OPEN's */
			struct cpns_open_item it;
			uint8_t pt[CPNS_WIRE_SEALED_MAX];
			struct cpns_record rec;
		} opened;
		struct {				/* SEAL's */
			struct cpns_seal_item it;
			uint8_t ct[CPNS_WIRE_SEALED_MAX];
		} sealed;
	} kb_out;
	/* II-7, waiting for its row in the store (assign.c) */
	bool confirming;
	struct cpns_wire_assign_confirm confirm;
	uint8_t confirm_n1[CPNS_NONCE_LEN];
	struct sconn *confirm_next;
};

struct listener {
	int fd;
	char addr[CPNS_ADDR_STRLEN];
	struct cpns_watch w;
	struct server *srv;
};

/* The configuration, checked (main.c). Timeouts in seconds. */
struct server_conf {
	struct sockaddr_storage listen[SERVERD_MAX_LISTEN];
	socklen_t listen_len[SERVERD_MAX_LISTEN];
	size_t nlisten;
	unsigned int max_connections;
	unsigned int max_per_address;	/* 0: no limit */
	unsigned int max_pending;
	unsigned int start_timeout;
	unsigned int idle_timeout;
	unsigned int step_timeout;
	unsigned int frame_timeout;
	unsigned int seed_lifetime;
	unsigned int seed_overlap;	/* a rotated seed's remaining life */
	const char *const *seed_allow;	/* NULL-terminated; NULL: anyone */
	size_t nseed_allow;
	const char *store_path;		/* NULL: no store; or a URI */
	const char *control;		/* control socket; NULL: none */
	struct cpns_keyref kek;		/* with store_path: into kek_* */
	char kek_type[CPNS_MAX_KEYREF];	/* "logon", ... */
	char kek_desc[CPNS_MAX_KEYREF];
	struct cpns_keyref seed_pairing;	/* type NULL: none */
	char pairing_type[CPNS_MAX_KEYREF];
	char pairing_desc[CPNS_MAX_KEYREF];
};

/* The store's change counters are read at least this often. */
#define SEEDSYNC_POLL_MS	1000

/**
 * struct seedsync_state - the kernel's seeds as the store held them, and
 * the live flows as the device rows allowed them (seedsync.c)
 * @changes: the store's seed change counter they reflect
 * @dev_changes: the store's device change counter the live flows were
 *	last checked against (devsync.c)
 * @known: the Seed IDs the store held then (a seed the kernel holds and
 *	the store no longer does is deleted; one it never held is kept)
 * @nknown: how many
 * @poll: reads the counter every SEEDSYNC_POLL_MS (sessions in progress)
 * @resyncs: times the seeds were read again
 * @unreadable: the last counter read failed (logged once per outage)
 * @read_at: the loop's wake-up (cpns_loop_wakeups()) whose requests the
 *	counters were read and applied for; 0: none
 */
struct seedsync_state {
	int64_t changes;
	int64_t dev_changes;
	bool unreadable;
	uint64_t read_at;
	uint8_t (*known)[CPNS_SEED_ID_LEN];
	size_t nknown;
	struct cpns_timer poll;
	uint64_t resyncs;
};

/* Authentications (last-auth times) written at once, at most this late. */
#define KEYSTORE_SEEN_MAX	256
#define KEYSTORE_SEEN_MS	1000

/* Kernel sessions of ended flows waiting to be deleted together, at most */
#define SERVER_ENDED_MAX	64

struct server {
	const struct server_conf *conf;
	struct cpns_loop *loop;
	struct cpns_nl *nl;
	struct listener ls[SERVERD_MAX_LISTEN];
	size_t nls;
	struct cpns_timer accept_pause;	/* out of descriptors: wait */
	struct sconn *conns;		/* list head */
	unsigned int nconns;
	unsigned int pending;		/* a-flows between a-0 and a-3 */
	uint64_t next_id;
	uint64_t accepted;
	uint64_t refused_busy;		/* over max_connections */
	uint64_t refused_addr;		/* over max_per_address */
	uint64_t start_expired;		/* nothing within start_timeout */
	struct cpns_store *store;	/* in memory if none is configured */
	struct cpns_keyref kek;		/* the store's (or an ephemeral) KEK */
	char kek_desc[64];		/* the ephemeral KEK's description */
	struct cpns_timer sweep;	/* the store's next expiry */
	uint64_t swept;			/* expired rows deleted */
	uint64_t rotated;		/* seeds retired by a rotation */
	struct server_ctl *ctl;		/* control.c; NULL: none */
	struct cpns_store_seen seen[KEYSTORE_SEEN_MAX]; /* not written yet */
	size_t nseen;
	struct cpns_timer seen_timer;	/* writes them */
	struct seedsync_state seedsync;	/* seedsync.c */
	struct sconn *confirming;	/* II-7s waiting for the store */
	struct cpns_defer confirm_flush;	/* stores and sends them */
	struct sconn *kb_queue;		/* waiting for a kernel command */
	struct cpns_defer kb_flush;	/* runs them (kbatch.c) */
	uint32_t ended[SERVER_ENDED_MAX]; /* handles of ended flows */
	size_t nended;
	struct cpns_defer ended_flush;	/* deletes them (server.c) */
};

/*
 * A log line about a connection: "conn 12 [::1]:4711: ...". Its arguments
 * (hex of IDs) are only computed when the level is logged.
 */
#define sc_log(sc, level, fmt, ...) do { \
	if (cpns_log_enabled(level)) \
		cpns_log(level, "conn %llu %s: " fmt, \
			 (unsigned long long)(sc)->id, (sc)->c.peer, \
			 ##__VA_ARGS__); \
} while (0)
#define sc_err(sc, ...)		sc_log(sc, CPNS_LOG_ERR, __VA_ARGS__)
#define sc_warn(sc, ...)	sc_log(sc, CPNS_LOG_WARNING, __VA_ARGS__)
#define sc_notice(sc, ...)	sc_log(sc, CPNS_LOG_NOTICE, __VA_ARGS__)
#define sc_info(sc, ...)	sc_log(sc, CPNS_LOG_INFO, __VA_ARGS__)
#define sc_debug(sc, ...)	sc_log(sc, CPNS_LOG_DEBUG, __VA_ARGS__)

/* Shorthand for the hex of a public value in a log line. */
#define HEX(v)			cpns_log_hex(v, sizeof(v))

/* kbatch.c: the items of one CPNS_CMD_BATCH at most */
#define KBATCH_MAX	64

/**
 * struct kbatch_ops - a flow's kernel command, run with the batch's others
 * @cmd: the command (one CPNS_CMD_BATCH accepts)
 * @build: put the request's attributes for sc (from sc->kb_in): 0, -errno
 * @reply: a good reply's attributes (an item's, or the command's alone)
 *	into sc->kb_out: 0, or a negative errno (-EBADMSG: malformed)
 * @done: the flow goes on from sc->kb_error (.err 0: the command went well)
 */
struct kbatch_ops {
	uint8_t cmd;
	int (*build)(struct cpns_msg *msg, struct sconn *sc);
	int (*reply)(const struct cpns_reply *item, struct sconn *sc);
	void (*done)(struct sconn *sc);
};

/* Run sc's command after this batch of events, then ops->done(sc). */
void kbatch_submit(struct sconn *sc, const struct kbatch_ops *ops);
/* Run sc's command alone now: its result in sc->kb_error. */
void kbatch_run_alone(struct sconn *sc, const struct kbatch_ops *ops);
/* Run every waiting command now (the loop's deferred work, and the stop). */
void kbatch_flush(struct server *srv);
/* sc's flow ends (sconn_flow_end()): its command, if it waits, is not run. */
void kbatch_conn_gone(struct sconn *sc);

/* server.c */
int server_start(struct server *srv, const struct server_conf *conf,
		 struct cpns_loop *loop, struct cpns_nl *nl);
void server_stop(struct server *srv);
/*
 * The kernel's a-flow or session of handle ends: deleted once the loop is
 * idle, with the others ended by then (one SESSION_DEL batch), or at once
 * when SERVER_ENDED_MAX wait. server_sessions_flush(): delete them now.
 */
void server_session_end(struct server *srv, uint32_t handle);
void server_sessions_flush(struct server *srv);
/*
 * Serve fd (a connected stream socket, non-blocking; owned from now on)
 * as an accepted connection, outside max_connections: the network fuzzer
 * (userspace/fuzz/net_fuzz.c) feeds the server through it.
 */
void server_adopt(struct server *srv, int fd, const char *peer);
/*
 * The end of every event on sc (its own, or another's that refused or
 * closed it): free it if it is finished, else give the loop its events
 * and its timer.
 */
void server_conn_update(struct sconn *sc);

/* control.c: the control socket at path (NULL: none); 0 or -errno, logged. */
int control_start(struct server *srv, const char *path);
void control_stop(struct server *srv);

/* sconn.c */

/* A message type's name for the logs ("unknown message" if none). */
const char *sconn_type_name(unsigned int type);

/*
 * Send ERROR code (ref_type: the message refused) with a reason and log
 * it; the connection lingers and closes.
 */
void sconn_refuse(struct sconn *sc, unsigned int code, unsigned int ref_type,
		  const char *fmt, ...) CPNS_PRINTF(4, 5);

/*
 * The same for causes an attacker can repeat at will (framing errors,
 * timeouts): the line is logged once per cause (the text cause, which
 * must not name the connection) per CPNS_LOG_REPEAT_MS, the others are
 * counted (cpns_log_cause()).
 */
void sconn_refuse_cause(struct sconn *sc, const char *cause,
			unsigned int code, unsigned int ref_type,
			const char *fmt, ...) CPNS_PRINTF(5, 6);

/* A log line about sc, once per cause as sconn_refuse_cause() does. */
void sconn_log_cause(struct sconn *sc, int level, const char *cause,
		     const char *fmt, ...) CPNS_PRINTF(4, 5);

/*
 * A kernel command of step failed with err (negative errno): log the
 * kernel's message and send the ERROR that protocol.rst 7.2 maps it to.
 * by_device: the command was named by a Device ID (ENOKEY is then
 * "unknown device", else "unknown seed").
 */
void sconn_kernel_error(struct sconn *sc, const char *step, int err,
			bool by_device, unsigned int ref_type);
/* The same for the failure e (e->err) of a batched command. */
void sconn_kernel_fail(struct sconn *sc, const char *step,
		       const struct cpns_error *e, bool by_device,
		       unsigned int ref_type);

/* Queue msg; on failure log and close. Return 0 or -1. */
int sconn_send(struct sconn *sc, const struct cpns_wire_msg *msg);

/* Set the connection's timer to its next deadline. */
void sconn_arm(struct sconn *sc);

/* End the a-flow or session of sc in the kernel (SESSION_DEL); a kernel
 * command it waits for is not run (kbatch_conn_gone()). */
void sconn_flow_end(struct sconn *sc);

/*
 * Store the device record rec that the kernel made for sc->did (a
 * re-keyed record, or its confirmation; what names it in the logs) in its
 * row, compare-and-set against sc->rec: 0, -ESTALE if the row changed
 * since (another server, a revocation), or a negative errno; logged.
 */
int sconn_record_save(struct sconn *sc, const struct cpns_record *rec,
		      const char *what);

/* Per-flow handlers, one per accepted message (section 9.1). */
void seed_request(struct sconn *sc, const struct cpns_wire_key_request *m);
void assign_request(struct sconn *sc,
		    const struct cpns_wire_assign_request *m);
void assign_device_id(struct sconn *sc,
		      const struct cpns_wire_assign_device_id *m);
/* Store the assignments waiting and send their II-7 now. */
void assign_flush(struct server *srv);
/* sc is being freed: forget its II-7 if it waits. */
void assign_conn_gone(struct sconn *sc);
void auth_hello(struct sconn *sc, const struct cpns_wire_auth_hello *m);
void auth_client(struct sconn *sc, const struct cpns_wire_auth_mac *m);
void session_sealed(struct sconn *sc, const struct cpns_wire_sealed *m);

/*
 * seedsync.c. seedsync_start(): note the store's change counters and
 * its seeds (the store just opened, before the load); seedsync_arm():
 * start reading the counters every SEEDSYNC_POLL_MS; seedsync_stop().
 * seedsync_check(): before each request (ref_type: its message): the
 * counters (one read); if the seeds' moved, the kernel's seeds brought in
 * line with the store; if the devices', devsync_sessions(); 0, or -1 once
 * the request was refused (ERROR 14: the store cannot be read) or its
 * flow ended (its device changed). seedsync_fetch(): a Seed ID the
 * kernel does not know: its row, if the store has one, unwrapped into
 * the kernel; 1 if it was, 0 if the store has none, <0 (logged).
 */
int seedsync_start(struct server *srv);
void seedsync_arm(struct server *srv);
void seedsync_stop(struct server *srv);
int seedsync_check(struct sconn *sc, unsigned int ref_type);
int seedsync_fetch(struct server *srv, const uint8_t sid[CPNS_SEED_ID_LEN]);

/*
 * devsync.c: the store's device change counter moved from since to upto:
 * each a-flow and session of this server whose device the log names
 * (every one if the log does not reach back to since) and is revoked in
 * the store, and each such session whose device has another generation
 * there than the session's, is ended with ERROR 8 (cur's refusing
 * cur_type). 0, 1 if cur was ended, <0 if a row cannot be read (logged).
 */
int devsync_sessions(struct server *srv, struct sconn *cur,
		     unsigned int cur_type, int64_t since, int64_t upto);

/* At most this many seeds of one GW1 retire in one rotation. */
#define KEYSTORE_RETIRE_MAX	16
/* The sweep runs at the store's next expiry, and at least this often. */
#define KEYSTORE_SWEEP_MAX	3600

/**
 * struct keystore_retire - the seeds a rotation retires
 * @sid: the active, unexpired seeds of the requesting GW1
 * @n: how many
 * @at: their retirement, now + seed_overlap (an earlier expiry is kept)
 * @last: of them, the newest: the one I-3 names
 * @last_at: its retirement (the earlier of @at and its own expiry)
 */
struct keystore_retire {
	uint8_t sid[KEYSTORE_RETIRE_MAX][CPNS_SEED_ID_LEN];
	size_t n;
	uint64_t at;
	uint8_t last[CPNS_SEED_ID_LEN];
	uint64_t last_at;
};

/*
 * keystore.c. keystore_open(): open (or create) conf->store_path (none:
 * an in-memory store under an ephemeral KEK) and load every seed into the
 * kernel, all or nothing (a retirement the store holds and the kernel
 * does not is finished); no device row is read; 0 or a negative errno,
 * logged. keystore_owned_seeds(): the seeds a new seed for owner retires.
 * keystore_seed_save(): wrap a new seed and commit its row, with the
 * retirement of rt (may be NULL) in the same transaction.
 * keystore_seed_forget(): delete the row of a seed that was never sent.
 * keystore_expire(): delete expired rows, logging each and the count.
 * keystore_sweep_arm(): (re-)arm the sweep at the store's next expiry.
 * keystore_kernel_key(): the kernel's key of kind and ID (-ENOKEY: none).
 */
int keystore_open(struct server *srv);
void keystore_close(struct server *srv);
int keystore_owned_seeds(struct server *srv, const char *owner,
			 struct keystore_retire *rt);
int keystore_seed_save(struct server *srv, const uint8_t sid[CPNS_SEED_ID_LEN],
		       const char *owner, const char *owner_addr,
		       const struct keystore_retire *rt);
/*
 * keystore_record_get(): a-0: the record of did (one lookup by Device
 * ID) into r, and its row's label; -EKEYREVOKED if the row is revoked,
 * -EBADMSG if its columns disagree with its blob's header (altered by
 * hand), another negative errno if the store failed; logged.
 * keystore_record_put(): store the record rec that the kernel made,
 * compare-and-set against r (then r is rec); -ESTALE if the row changed
 * since r was read; logged.
 */
int keystore_record_get(struct server *srv,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			struct keystore_rec *r,
			uint8_t label[CPNS_STORE_LABEL_LEN]);
int keystore_record_put(struct server *srv,
			const uint8_t did[CPNS_DEVICE_ID_LEN],
			struct keystore_rec *r, const struct cpns_record *rec,
			const char *what);
/*
 * A revocation: keystore_revocation_label() reads did's row (a new one
 * if there is none) and its label, -ENOENT if its seed is not stored;
 * keystore_revocation_save() stores the revocation record rec that the
 * kernel wrapped with that label in the row, in place of any other.
 */
int keystore_revocation_label(struct server *srv,
			      const uint8_t did[CPNS_DEVICE_ID_LEN],
			      struct cpns_store_device *row,
			      uint8_t label[CPNS_STORE_LABEL_LEN]);
int keystore_revocation_save(struct server *srv,
			     struct cpns_store_device *row,
			     const struct cpns_record *rec);
/*
 * The inventory (nothing without a store). keystore_devices_assigned():
 * II-6 confirmed each a[i].did for the GW1 at a[i].gw1_addr (the owner of
 * its seed), at most KEYSTORE_ASSIGN_MAX, in one transaction, or, if that
 * fails, each in one of its own, so that one that cannot be stored fails
 * alone; each a[i].ret 0 or a negative errno, logged.
 * keystore_device_seen(): a-3 sent to did at
 * gw2_addr, written with others within KEYSTORE_SEEN_MS (a failure is
 * logged only); keystore_seen_flush() writes those waiting now.
 * keystore_device_revoke(): revoke did: the kernel closes its sessions
 * and wraps a revocation record, which replaces the row's record; 0, a
 * negative errno of the store (its reason in cpns_store_error()), or 1:
 * the kernel refused (cpns_last_error()), nothing changed.
 */
#define KEYSTORE_ASSIGN_MAX	64

struct keystore_assign {
	uint8_t did[CPNS_DEVICE_ID_LEN];
	const char *gw1_addr;
	int ret;
	/* the row's address text (keystore.c) */
	char addr[CPNS_STORE_ADDR_MAX + 1];
};

void keystore_devices_assigned(struct server *srv, struct keystore_assign *a,
			       size_t n);
void keystore_device_seen(struct server *srv,
			  const uint8_t did[CPNS_DEVICE_ID_LEN],
			  const char *gw2_addr);
void keystore_seen_flush(struct server *srv);
int keystore_device_revoke(struct server *srv,
			   const uint8_t did[CPNS_DEVICE_ID_LEN],
			   bool *was_revoked, int32_t *serial,
			   uint32_t *sessions);
void keystore_seed_forget(struct server *srv,
			  const uint8_t sid[CPNS_SEED_ID_LEN]);
int keystore_expire(struct server *srv);
void keystore_sweep_arm(struct server *srv);
int keystore_kernel_key(struct cpns_nl *nl, uint8_t kind, const uint8_t *id,
			struct cpns_key *out);

#endif /* CPNS_SERVERD_H */
