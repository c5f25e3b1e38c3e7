/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Support for the cpns daemons (cpns-serverd, cpns-gwd), one concern per
 * file:
 *
 *   log.c   one line per protocol step to stderr or syslog, levels, hex of
 *           public values, a few lines per cause of a repeated event
 *   conf.c  the configuration file (Documentation/cpns.conf.rst): a schema
 *           of known keys, file:line errors, typed getters
 *   conn.c  a non-blocking TCP connection carrying wire frames
 *           (lib/codec/wire.h): read and write buffers, frame and step
 *           deadlines, ERROR then linger then close; listening on IPv4/IPv6
 *           and connecting with a timeout; host names resolved in a
 *           thread that reports to the loop
 *   loop.c  the event loop: epoll for descriptors, one timerfd for every
 *           deadline, signalfd for SIGTERM/SIGINT (stop) and SIGHUP;
 *           start-up as a daemon
 *
 * The daemons hold no secret: every value that passes through these
 * functions is public (or sealed by a kernel). Times are milliseconds of
 * CLOCK_MONOTONIC (cpns_now_ms()). Single-threaded, but for the threads
 * of cpns_resolve_start(), which touch nothing but their own lookup.
 */
#ifndef CPNS_DAEMON_H
#define CPNS_DAEMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <syslog.h>

#include "wire.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CPNS_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ================================================================ log.c */

/* Levels are syslog priorities; a message is written if level <= the
 * configured level.
 */
enum cpns_log_level {
	CPNS_LOG_ERR = LOG_ERR,		/* cannot go on; a step failed */
	CPNS_LOG_WARNING = LOG_WARNING,	/* refused input, timeouts, retries */
	CPNS_LOG_NOTICE = LOG_NOTICE,	/* start, stop, comparison codes */
	CPNS_LOG_INFO = LOG_INFO,	/* one line per protocol step */
	CPNS_LOG_DEBUG = LOG_DEBUG,	/* connections, frames */
};

enum cpns_log_target {
	CPNS_LOG_STDERR = 1,		/* "ident: level: message" lines */
	CPNS_LOG_SYSLOG = 2,		/* openlog(ident, LOG_PID, LOG_DAEMON) */
};

/**
 * cpns_log_open() - choose where and how much to log
 * @ident: program name for the prefix or syslog (kept, not copied)
 * @target: enum cpns_log_target
 * @level: enum cpns_log_level; more verbose levels are dropped
 *
 * May be called again (e.g. once the configuration is read). Before the
 * first call messages go to stderr at CPNS_LOG_INFO.
 */
void cpns_log_open(const char *ident, enum cpns_log_target target, int level);
void cpns_log_close(void);

/*
 * With syslog as the target, also write each line to stderr (on by
 * default from cpns_daemon_start() to cpns_daemon_ready(), so that
 * start-up errors of a detaching daemon reach the terminal).
 */
void cpns_log_echo(bool on);

/* Is a message of this level written? (to skip building costly ones) */
bool cpns_log_enabled(int level);

/* One line (a trailing newline is not needed; control characters in the
 * formatted text are written as '?').
 */
void cpns_log(int level, const char *fmt, ...) CPNS_PRINTF(2, 3);
void cpns_vlog(int level, const char *fmt, va_list ap) CPNS_PRINTF(2, 0);

#define cpns_err(...)		cpns_log(CPNS_LOG_ERR, __VA_ARGS__)
#define cpns_warn(...)		cpns_log(CPNS_LOG_WARNING, __VA_ARGS__)
#define cpns_notice(...)	cpns_log(CPNS_LOG_NOTICE, __VA_ARGS__)
/* The arguments of a line below the log level are not computed. */
#define cpns_info(...) do { \
	if (cpns_log_enabled(CPNS_LOG_INFO)) \
		cpns_log(CPNS_LOG_INFO, __VA_ARGS__); \
} while (0)
#define cpns_debug(...) do { \
	if (cpns_log_enabled(CPNS_LOG_DEBUG)) \
		cpns_log(CPNS_LOG_DEBUG, __VA_ARGS__); \
} while (0)

/* Names and parsing of the configuration values "stderr", "syslog" and
 * "err", "warning", "notice", "info", "debug". 0 or -EINVAL.
 */
int cpns_log_target_parse(const char *s, enum cpns_log_target *target);
int cpns_log_level_parse(const char *s, int *level);
const char *cpns_log_level_name(int level);

/*
 * Lowercase hex of a public value for a log line, in one of
 * CPNS_LOG_HEX_SLOTS static buffers used in turn, so that one cpns_log()
 * call can show that many values. Values longer than CPNS_LOG_HEX_MAX bytes
 * are cut and end in "...".
 */
/*
 * A few lines per cause: a flood of events that all log the same line (a
 * connection refused over max_connections, a peer timing out before its
 * first frame, a replayed request refused) must not become a flood of
 * lines. cpns_log_cause() answers whether a line of the cause named by
 * the text @cause may be written now: yes for the first @burst of the
 * cause in each CPNS_LOG_REPEAT_MS, counted from the first; no for the
 * others, which are counted. When it answers yes after some were
 * dropped, *dropped (if not NULL) is how many, for the caller to say so on
 * its line. Causes are kept in a fixed table of CPNS_LOG_CAUSES entries
 * (by hash): one evicted by another only ever costs extra lines.
 */
#define CPNS_LOG_REPEAT_MS	60000
#define CPNS_LOG_CAUSES		256
bool cpns_log_cause(const char *cause, unsigned int burst,
		    unsigned long long *dropped);

#define CPNS_LOG_HEX_MAX	64
#define CPNS_LOG_HEX_SLOTS	8
const char *cpns_log_hex(const void *p, size_t len);

/* ================================================================ conf.c */

enum cpns_conf_type {
	CPNS_CONF_STRING = 1,	/* any text without control characters */
	CPNS_CONF_UINT,		/* decimal, within [min, max] */
	CPNS_CONF_BOOL,		/* yes|no|true|false|on|off|1|0 */
	CPNS_CONF_ENUM,		/* one of choices[] */
	CPNS_CONF_ADDR,		/* IPv4:PORT or [IPv6]:PORT (numeric) */
	CPNS_CONF_NAME,		/* a wire protocol host name (section 4) */
	CPNS_CONF_PATH,		/* an absolute path */
	CPNS_CONF_PEER,		/* HOST:PORT to connect to (cpns_peer_parse()) */
};

/**
 * struct cpns_conf_key - one key the configuration may hold
 * @section: the [section] it belongs in; NULL for keys before any section
 * @name: the key ([a-z0-9_]+)
 * @type: enum cpns_conf_type
 * @repeat: may appear more than once (each value kept, in file order);
 *	otherwise a second occurrence is an error
 * @required: an error if absent (and then @def is not used)
 * @min: smallest value of a CPNS_CONF_UINT
 * @max: largest value of a CPNS_CONF_UINT (0: UINT32_MAX)
 * @choices: NULL-terminated values of a CPNS_CONF_ENUM
 * @def: the default, as text in the file's syntax (NULL: none); checked
 *	like a value from the file when the schema is used
 * @help: one line for --help and error messages
 *
 * A schema is an array of keys ended by one with @name NULL.
 */
struct cpns_conf_key {
	const char *section;
	const char *name;
	enum cpns_conf_type type;
	bool repeat;
	bool required;
	uint64_t min;
	uint64_t max;
	const char *const *choices;
	const char *def;
	const char *help;
};

/* A parsed, checked value. */
struct cpns_conf_value {
	const char *text;		/* as written (or the default) */
	uint64_t u;			/* UINT, BOOL (0/1), ENUM (index) */
	struct sockaddr_storage addr;	/* ADDR */
	socklen_t addrlen;		/* ADDR; 0 otherwise */
	unsigned int line;		/* 0 for a default */
};

struct cpns_conf;	/* a parsed configuration */

/**
 * cpns_conf_parse() - parse configuration text against a schema
 * @text: NUL-terminated contents
 * @file: name for error messages
 * @schema: the known keys
 * @out: the configuration (free with cpns_conf_free())
 * @err: on failure, "FILE:LINE: what" (or "FILE: what" for a missing
 *	required key)
 * @errlen: size of @err
 *
 * Syntax: lines of "key = value"; blank lines; '#' starts a comment when it
 * is the first non-blank character of a line; "[section]" starts a
 * section. Blanks around key, '=' and value are ignored. An unknown key or
 * section, a malformed value, a repeated non-repeatable key or a missing
 * required key is an error. Nothing is returned on error.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int cpns_conf_parse(const char *text, const char *file,
		    const struct cpns_conf_key *schema, struct cpns_conf **out,
		    char *err, size_t errlen);

/* Same, reading the file at path (errors name it; -errno if unreadable). */
int cpns_conf_load(const char *path, const struct cpns_conf_key *schema,
		   struct cpns_conf **out, char *err, size_t errlen);

void cpns_conf_free(struct cpns_conf *conf);

/*
 * Getters. A key is named by section (NULL: before any section) and name,
 * and must be in the schema (asking for one that is not is a programming
 * error: abort()). The file's value, else the default; for a repeatable
 * key, the values are numbered from 0 in file order (the default counts as
 * one value when the file has none).
 */
size_t cpns_conf_count(const struct cpns_conf *conf, const char *section,
		       const char *name);
/* NULL if i >= count. */
const struct cpns_conf_value *cpns_conf_get(const struct cpns_conf *conf,
					    const char *section,
					    const char *name, size_t i);
/* The first value (the last one is the same for non-repeatable keys);
 * NULL / 0 / false when the key has neither value nor default.
 */
const char *cpns_conf_str(const struct cpns_conf *conf, const char *section,
			  const char *name);
uint64_t cpns_conf_uint(const struct cpns_conf *conf, const char *section,
			const char *name);
bool cpns_conf_bool(const struct cpns_conf *conf, const char *section,
		    const char *name);
/* Index into choices[] of a CPNS_CONF_ENUM, -1 when no value. */
int cpns_conf_enum(const struct cpns_conf *conf, const char *section,
		   const char *name);

/* Was any [section] header present in the file? */
bool cpns_conf_has_section(const struct cpns_conf *conf, const char *section);

/*
 * Parse "A.B.C.D:PORT" or "[IPv6]:PORT" (numeric; PORT 1..65535; "*:PORT"
 * is 0.0.0.0 and "[::]:PORT" the IPv6 any address). 0 or -EINVAL with a
 * reason in err.
 */
int cpns_addr_parse(const char *s, struct sockaddr_storage *ss,
		    socklen_t *len, char *err, size_t errlen);

/* The longest host name (RFC 1035: 253 bytes without the root's dot). */
#define CPNS_HOST_MAX		254

/**
 * struct cpns_peer - an address to connect to, resolved at each connect
 * @host: a host name, or a numeric IPv4 or IPv6 address (no brackets)
 * @port: 1..65535
 * @numeric: @host is an address; no name service is asked
 * @str: "name:PORT", "1.2.3.4:PORT" or "[v6]:PORT", for messages
 */
struct cpns_peer {
	char host[CPNS_HOST_MAX + 1];
	uint16_t port;
	bool numeric;
	char str[CPNS_HOST_MAX + 16];
};

/*
 * Parse "HOST:PORT" where HOST is a host name (RFC 1123 labels), a dotted
 * IPv4 address or an IPv6 address in brackets. Nothing is resolved here
 * (cpns_resolve() does, at each connect). 0 or -EINVAL with a reason in
 * err.
 */
int cpns_peer_parse(const char *s, struct cpns_peer *p, char *err,
		    size_t errlen);

/* "1.2.3.4:5" or "[::1]:5" into buf (CPNS_ADDR_STRLEN suffices). */
#define CPNS_ADDR_STRLEN	64
const char *cpns_addr_str(const struct sockaddr *sa, socklen_t len,
			  char *buf, size_t buflen);

/* ================================================================ loop.c */

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t cpns_now_ms(void);
/* The same of CLOCK_MONOTONIC_COARSE: never ahead of cpns_now_ms(), behind
 * by up to a tick (1 to 10 ms), more while the machine's ticks are late (a
 * loaded virtual machine); never a system call.
 */
uint64_t cpns_now_coarse_ms(void);
/*
 * A deadline ms milliseconds from now on the cpns_now_ms() scale, read off
 * the coarse clock plus one tick: not earlier than cpns_now_ms() + ms while
 * ticks come on time (early by as much as they are late otherwise), later
 * by at most two ticks. For the deadlines set at every message, which are
 * seconds.
 */
uint64_t cpns_after_ms(uint64_t ms);

struct cpns_loop;
struct cpns_watch;
struct cpns_timer;

/* events: EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLRDHUP as reported. */
typedef void (*cpns_watch_fn)(struct cpns_loop *loop, struct cpns_watch *w,
			      uint32_t events);
typedef void (*cpns_timer_fn)(struct cpns_loop *loop, struct cpns_timer *t);
/* signo: SIGTERM, SIGINT or SIGHUP. */
typedef void (*cpns_signal_fn)(struct cpns_loop *loop, int signo, void *arg);

/*
 * A descriptor in the loop. Embed it in the object it belongs to and find
 * that with container_of-style arithmetic or @arg. Between cpns_watch_add()
 * and cpns_watch_del() the loop owns nothing but the epoll registration;
 * the caller closes the fd.
 */
struct cpns_watch {
	int fd;
	uint32_t events;
	cpns_watch_fn fn;
	void *arg;
	bool added;
};

/*
 * A deadline. Embed it; cpns_timer_init() once, then arm and disarm as
 * often as needed. An armed timer must be disarmed before its memory is
 * freed.
 */
struct cpns_timer {
	uint64_t when;		/* cpns_now_ms() value; valid when armed */
	cpns_timer_fn fn;
	void *arg;
	size_t slot;		/* position in the loop's heap, or SIZE_MAX */
};

/*
 * Work deferred to the end of the batch of events being dispatched (before
 * the loop waits again and before its timers): what several events of one
 * batch ask for is done once for them all. Embed it; cpns_defer_init()
 * once; a deferral queued must be cancelled before its memory is freed.
 */
struct cpns_defer;
typedef void (*cpns_defer_fn)(struct cpns_loop *loop, struct cpns_defer *d);

struct cpns_defer {
	cpns_defer_fn fn;
	void *arg;
	bool queued;
	bool idle;		/* queued by cpns_loop_defer_idle() */
	struct cpns_defer *next;
};

/**
 * cpns_loop_new() - make an event loop
 *
 * Blocks SIGTERM, SIGINT and SIGHUP (they are read from a signalfd) and
 * ignores SIGPIPE. By default SIGTERM and SIGINT stop the loop and SIGHUP
 * is logged and ignored; cpns_loop_on_signal() changes that.
 *
 * Return: the loop, or NULL with errno set.
 */
struct cpns_loop *cpns_loop_new(void);

/* Free the loop (watches and timers must be gone or are forgotten). */
void cpns_loop_free(struct cpns_loop *loop);

void cpns_loop_on_signal(struct cpns_loop *loop, cpns_signal_fn fn,
			 void *arg);

/*
 * Run until cpns_loop_stop(): dispatch descriptor events and expired
 * timers. A callback may delete any watch or disarm any timer, its own
 * included, and free the object that holds them: the loop never calls a
 * watch after cpns_watch_del() nor a timer after cpns_timer_disarm().
 * Return 0 after cpns_loop_stop(), or -errno if epoll_wait() failed.
 */
int cpns_loop_run(struct cpns_loop *loop);
void cpns_loop_stop(struct cpns_loop *loop);
/* The same, as the signal @signo does by default (cpns_loop_stop_signal()). */
void cpns_loop_stop_by(struct cpns_loop *loop, int signo);
/* The signal that stopped the loop (0 if cpns_loop_stop() was called). */
int cpns_loop_stop_signal(const struct cpns_loop *loop);

/*
 * The loop's wake-ups so far: one number for all the events of one batch,
 * and for the deferred work and timers run after it.
 */
uint64_t cpns_loop_wakeups(const struct cpns_loop *loop);

void cpns_defer_init(struct cpns_defer *d, cpns_defer_fn fn, void *arg);
/* Run d once after the current batch of events (queued once until then). */
void cpns_loop_defer(struct cpns_loop *loop, struct cpns_defer *d);
/*
 * Run d once the loop is idle: after the batch of events at whose end no
 * other event is ready (the loop polls rather than waits while idle work
 * is queued), or at the end of the fourth batch, the one it was queued in
 * counted, whichever comes first; then the work it defers in turn. For
 * work that costs less done once for the events of several batches than
 * once for each (a commit) and whose callers may wait a few batches for
 * it. Queued once until then; cpns_defer_cancel() cancels it too.
 */
void cpns_loop_defer_idle(struct cpns_loop *loop, struct cpns_defer *d);
void cpns_defer_cancel(struct cpns_loop *loop, struct cpns_defer *d);

/* Register w for fd with events; 0 or -errno. */
int cpns_watch_add(struct cpns_loop *loop, struct cpns_watch *w, int fd,
		   uint32_t events, cpns_watch_fn fn, void *arg);
/* Change the events; 0 or -errno (no-op if unchanged). */
int cpns_watch_mod(struct cpns_loop *loop, struct cpns_watch *w,
		   uint32_t events);
/* Unregister (no-op if not added). Does not close the fd. */
void cpns_watch_del(struct cpns_loop *loop, struct cpns_watch *w);
/*
 * Forget w without a system call, for a descriptor closed or about to be
 * closed that has no duplicate: its close takes it out of the epoll set.
 */
void cpns_watch_drop(struct cpns_loop *loop, struct cpns_watch *w);

void cpns_timer_init(struct cpns_timer *t, cpns_timer_fn fn, void *arg);
/* Arm (or re-arm) to fire once at when (cpns_now_ms() scale); 0 or
 * -ENOMEM.
 */
int cpns_timer_arm(struct cpns_loop *loop, struct cpns_timer *t,
		   uint64_t when);
void cpns_timer_disarm(struct cpns_loop *loop, struct cpns_timer *t);
bool cpns_timer_armed(const struct cpns_timer *t);

/*
 * Start-up as a daemon. cpns_daemon_start() forks: the parent waits until
 * the child calls cpns_daemon_ready() and exits 0, or exits 1 if the child
 * exits first (it has logged why). The child is in a new session, in /,
 * with umask 022; its stdin and stdout are /dev/null from the start and its
 * stderr from cpns_daemon_ready() on (so start-up errors still reach the
 * terminal). Return 0 in the child, -errno on failure (no fork happened).
 */
int cpns_daemon_start(void);
void cpns_daemon_ready(void);

/* ================================================================ conn.c */

/* Results of cpns_conn_recv() besides CPNS_CONN_MSG and negative enum
 * cpns_wire_err values.
 */
enum cpns_conn_status {
	CPNS_CONN_MSG = 1,		/* a message was decoded */
	CPNS_CONN_AGAIN = 0,		/* nothing more to read for now */
	CPNS_CONN_CLOSED = -100,	/* peer closed; c->rlen bytes left */
	CPNS_CONN_IOERR = -101,		/* read() failed: c->sys_err */
};

/* What a connection's deadline is for (cpns_conn_expired()). */
enum cpns_conn_deadline {
	CPNS_DL_NONE = 0,
	CPNS_DL_FRAME,		/* FRAME_TIMEOUT: a frame started, not whole */
	CPNS_DL_STEP,		/* the caller's: an answer is due */
	CPNS_DL_IDLE,		/* the caller's: no frame for too long */
	CPNS_DL_CONNECT,	/* connect() has not completed */
	CPNS_DL_LINGER,		/* ERROR sent; closing */
};

enum cpns_conn_state {
	CPNS_CONN_CONNECTING = 1,	/* connect() in progress */
	CPNS_CONN_OPEN,			/* frames flow both ways */
	CPNS_CONN_LINGER,		/* ERROR out; input discarded */
	CPNS_CONN_DEAD,			/* nothing left to do: close it */
};

/* Room for queued output: a few frames (an answer and an ERROR). */
#define CPNS_CONN_WBUF	(4 * CPNS_WIRE_MAX_FRAME)

/**
 * struct cpns_conn - one TCP connection carrying wire frames
 * @fd: the socket (non-blocking), -1 once closed
 * @state: enum cpns_conn_state
 * @peer: "[addr]:port" of the peer, for logs
 * @rbuf: bytes of the frame being received; never more than one frame
 * @rlen: bytes in @rbuf
 * @bad_type: after a framing or decoding error, the type byte of the
 *	refused frame (0 if it had none): ERROR's ref_type
 * @wbuf: encoded frames not yet written
 * @woff: first unwritten byte of @wbuf
 * @wlen: end of the bytes in @wbuf
 * @sys_err: errno of the last failed system call
 * @frame_timeout: FRAME_TIMEOUT in ms (set by cpns_conn_init())
 * @frame_deadline: when the frame in @rbuf must be whole, 0 if none
 * @deadline: the caller's deadline (cpns_conn_set_deadline()), 0 if none
 * @deadline_kind: CPNS_DL_STEP, _IDLE or _CONNECT for @deadline
 * @linger_deadline: in CPNS_CONN_LINGER, when to give up and close
 * @frames_in: frames received (decoded or not)
 * @frames_out: frames queued
 *
 * The owner keeps the connection in its loop with EPOLLIN, adding EPOLLOUT
 * while cpns_conn_want_write() is true, and a timer armed at
 * cpns_conn_next_deadline().
 */
struct cpns_conn {
	int fd;
	int state;
	char peer[CPNS_ADDR_STRLEN];
	uint8_t rbuf[CPNS_WIRE_MAX_FRAME];
	size_t rlen;
	uint8_t bad_type;
	uint8_t wbuf[CPNS_CONN_WBUF];
	size_t woff;
	size_t wlen;
	int sys_err;
	uint64_t frame_timeout;
	uint64_t frame_deadline;
	uint64_t deadline;
	int deadline_kind;
	uint64_t linger_deadline;
	uint64_t frames_in;
	uint64_t frames_out;
};

/**
 * cpns_listen() - a non-blocking listening TCP socket
 * @sa: address (IPv4 or IPv6; an IPv6 socket is IPV6_V6ONLY so that
 *	"[::]:P" and "*:P" can both be configured)
 * @len: its length
 * @backlog: listen() backlog
 *
 * SO_REUSEADDR, close-on-exec. Return: the fd or -errno.
 */
int cpns_listen(const struct sockaddr *sa, socklen_t len, int backlog);

/*
 * accept4() one connection, non-blocking and close-on-exec; fill peer
 * (may be NULL, CPNS_ADDR_STRLEN bytes) with its address. Return the fd,
 * -EAGAIN when none is waiting, or -errno.
 */
int cpns_accept(int lfd, char *peer, size_t peerlen);

/*
 * Start a non-blocking connect(). Return the fd (the connection completes
 * later: wait for EPOLLOUT, then cpns_conn_connected()) or -errno.
 */
int cpns_connect_start(const struct sockaddr *sa, socklen_t len);

struct addrinfo;
/*
 * The addresses of p (getaddrinfo(), TCP, IPv6 and IPv4 in the resolver's
 * order; a numeric host asks no name service). 0 with *res set (free it
 * with freeaddrinfo()), or -errno with "cannot resolve HOST: why" in err.
 * It blocks while the name service answers.
 */
int cpns_resolve(const struct cpns_peer *p, struct addrinfo **res,
		 char *err, size_t errlen);

struct cpns_lookup;
#define CPNS_LOOKUPS_MAX	64

/*
 * The end of cpns_resolve_start()'s lookup, called once from the loop:
 * ret and why as cpns_resolve() returns them; res (NULL unless ret is 0)
 * is the callee's to free with freeaddrinfo(). lk is gone once it returns.
 */
typedef void (*cpns_lookup_fn)(struct cpns_lookup *lk, struct addrinfo *res,
			       int ret, const char *why, void *arg);

/**
 * cpns_resolve_start() - cpns_resolve() without blocking the loop
 * @loop: the loop that calls @fn
 * @p: the peer (copied)
 * @fn: called from the loop when the lookup ends
 * @arg: passed to it
 *
 * The lookup runs in a thread of its own (signals blocked) while the loop
 * goes on; a numeric host needs none (cpns_resolve() answers at once).
 * At most CPNS_LOOKUPS_MAX threads wait on the name service at a time,
 * cancelled lookups included (a silent name server holds each for its
 * whole timeout): beyond that, EAGAIN.
 *
 * Return: a handle for cpns_resolve_cancel(), or NULL with errno set.
 */
struct cpns_lookup *cpns_resolve_start(struct cpns_loop *loop,
				       const struct cpns_peer *p,
				       cpns_lookup_fn fn, void *arg);

/*
 * Forget a lookup whose callback has not run: it never runs. Nothing
 * waits for the name service: the thread frees the lookup and its
 * addresses when getaddrinfo() returns (or the process exits first).
 */
void cpns_resolve_cancel(struct cpns_lookup *lk);

/*
 * Resolve p and connect to each of its addresses in turn, each with the
 * timeout in ms, until one connects. The fd, or -errno with the host (and
 * the last address tried) in err.
 */
int cpns_peer_connect_timeout(const struct cpns_peer *p,
			      unsigned int timeout_ms, char *err,
			      size_t errlen);

/*
 * Blocking connect with a timeout in ms (for tools and start-up); the
 * returned fd is non-blocking. Return the fd, -ETIMEDOUT or -errno.
 */
int cpns_connect_timeout(const struct sockaddr *sa, socklen_t len,
			 unsigned int timeout_ms);

/*
 * Set up c over fd (owned from now on; closed by cpns_conn_close()).
 * connecting: the fd came from cpns_connect_start() (state
 * CPNS_CONN_CONNECTING, deadline CONNECT_TIMEOUT from now), else
 * CPNS_CONN_OPEN. peer may be NULL (then the socket's peer address is
 * used when known).
 */
void cpns_conn_init(struct cpns_conn *c, int fd, bool connecting,
		    const char *peer);

/*
 * In CPNS_CONN_CONNECTING, after EPOLLOUT (or EPOLLERR): 0 and the
 * state becomes CPNS_CONN_OPEN (and the CONNECT deadline is cleared), or
 * -errno of the failed connect.
 */
int cpns_conn_connected(struct cpns_conn *c);

/* Close the socket (if open), state CPNS_CONN_DEAD. Idempotent. */
void cpns_conn_close(struct cpns_conn *c);

/**
 * cpns_conn_recv() - read and decode the next frame
 * @c: the connection (CPNS_CONN_OPEN or CPNS_CONN_LINGER)
 * @msg: out: the message when CPNS_CONN_MSG is returned
 *
 * Reads no more than the current frame needs, so one call returns at most
 * one message: call again until it returns something other than
 * CPNS_CONN_MSG (a level-triggered loop may also wait for the next EPOLLIN).
 * Starts the frame deadline at a frame's first byte, clears it when the
 * frame is whole. In CPNS_CONN_LINGER input is read and discarded.
 *
 * Return: CPNS_CONN_MSG, CPNS_CONN_AGAIN, CPNS_CONN_CLOSED,
 * CPNS_CONN_IOERR, or a negative enum cpns_wire_err: the peer sent an
 * invalid frame; send ERROR cpns_wire_err_code(ret) with ref_type
 * c->bad_type (cpns_conn_refuse() does both).
 */
int cpns_conn_recv(struct cpns_conn *c, struct cpns_wire_msg *msg);

/*
 * Encode msg and queue it, then write what the socket takes. Return 0,
 * a negative enum cpns_wire_err if msg does not encode, -ENOBUFS if the
 * write buffer is full, -EPIPE in CPNS_CONN_LINGER/DEAD, or -errno of a
 * failed write (c->sys_err).
 */
int cpns_conn_send(struct cpns_conn *c, const struct cpns_wire_msg *msg);

/*
 * Send ERROR (code, ref_type, printf-style text; sanitized by
 * cpns_wire_error_set()) and enter CPNS_CONN_LINGER: the write side is shut
 * once the ERROR is written, what arrives is discarded, and the connection
 * is CPNS_CONN_DEAD when the peer closes or after CLOSE_LINGER. Only the
 * first ERROR on a connection is sent. Return 0 or -errno (the
 * connection is then CPNS_CONN_DEAD).
 */
int cpns_conn_send_error(struct cpns_conn *c, unsigned int code,
			 unsigned int ref_type, const char *fmt, ...)
	CPNS_PRINTF(4, 5);

/* Answer a negative enum cpns_wire_err from cpns_conn_recv(): ERROR with
 * cpns_wire_err_code(err), ref_type c->bad_type, cpns_wire_strerror(err).
 */
int cpns_conn_refuse(struct cpns_conn *c, int err);

/*
 * Write queued bytes. Return 0 when all are written (in CPNS_CONN_LINGER
 * the write side is then shut), 1 if some remain (wait for EPOLLOUT), or
 * -errno (c->sys_err; state CPNS_CONN_DEAD).
 */
int cpns_conn_flush(struct cpns_conn *c);

/* Bytes queued and not written. */
bool cpns_conn_want_write(const struct cpns_conn *c);

/* The epoll events the connection needs now (EPOLLIN and maybe EPOLLOUT;
 * EPOLLOUT alone while connecting; 0 when CPNS_CONN_DEAD).
 */
uint32_t cpns_conn_events(const struct cpns_conn *c);

/*
 * Set the caller's deadline: kind CPNS_DL_STEP, CPNS_DL_IDLE or
 * CPNS_DL_CONNECT, timeout_ms from now; CPNS_DL_NONE (or timeout_ms 0)
 * clears it.
 */
void cpns_conn_set_deadline(struct cpns_conn *c, int kind,
			    unsigned int timeout_ms);

/* The earliest pending deadline (0 if none). */
uint64_t cpns_conn_next_deadline(const struct cpns_conn *c);

/* Which deadline has passed at now (the earliest), CPNS_DL_NONE if none.
 * CPNS_DL_LINGER: close without more ado.
 */
int cpns_conn_expired(const struct cpns_conn *c, uint64_t now);

/* Human names: "frame", "step", "idle", "connect", "linger". */
const char *cpns_conn_deadline_name(int kind);

/*
 * ERROR 13's ref_type when a deadline of kind passes (protocol.rst 7.3):
 * for the frame deadline, the type byte of the frame being received if it
 * arrived; otherwise 0.
 */
uint8_t cpns_conn_timeout_type(const struct cpns_conn *c, int kind);

#ifdef __cplusplus
}
#endif

#endif /* CPNS_DAEMON_H */
