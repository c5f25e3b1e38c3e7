// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * AFL++ harness of the daemons' connection handling: each input is the
 * byte stream a peer sends on one TCP connection. The harness gives one
 * end of a socket pair to the daemon's real connection code, writes the
 * input into the other end, closes it for writing SHUT_MS later, and runs
 * the event loop until the daemon has closed the connection. Built twice:
 *   net_fuzz     cpns-serverd: server_adopt() (server.c, sconn.c and the
 *                flow handlers);
 *   pn_fuzz      cpns-gwd as GW1, -DFUZZ_GWD: a GW2 on the PN link,
 *                gwd_secure_adopt() (secure.c's II-9, link.c);
 * both over lib/daemon's conn.c and loop.c. Properties, each checked with
 * abort():
 *   - the daemon closes every connection it is given: no input keeps it
 *     beyond RUN_MAX_MS (AFL's own timeout catches a hang);
 *   - what it sends back is a sequence of whole frames that decode
 *     (lib/codec), and at most one ERROR, last;
 *   - cpns-serverd: no connection, a-flow or session is left counted;
 *   - the sanitizers (AFL_USE_ASAN, AFL_USE_UBSAN) see no fault.
 *
 * The kernel: the harness runs on the host, where cpns.ko is not loaded
 * (and must not be: a hostile input may reach any kernel command). Its
 * libcpns handle is a real generic netlink socket whose family is an
 * unused ID, so every kernel command fails as the kernel's refusals do
 * (ENOENT), and the daemon takes its error paths: the wire side of every
 * flow up to its first kernel step, and every refusal, are fuzzed; what
 * only a kernel's answer unlocks (II-5, a-1, sealed frames) is reached
 * only as far as the state table lets an input go without it. GW1 is
 * told by the harness that its keyring holds a Key Seed (gwd_find_seed()
 * is wrapped at link time), so that a GW2's ask goes on to flow II, whose
 * server (127.0.0.1 port 1) refuses the connection. The VM tests
 * (serverd/test/attack.sh, gwd/test/pnattack.sh) cover the rest against
 * the module.
 *
 * Built by afl-clang-fast, it reads one input from stdin when run outside
 * afl-fuzz: "fuzz/net_fuzz < CRASH" replays a finding (NET_FUZZ_LOG=1
 * shows the daemon's log). Built by a plain compiler, it reads each file
 * named on the command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"	/* lib/nl: the handle's family, made unusable */
#ifdef FUZZ_GWD
#include "gwd.h"
#else
#include "serverd.h"
#endif

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "net_fuzz: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#define INPUT_MAX	(64 * 1024)
#define TICK_MS		1
/* The input's end comes this long after it: time for a step that waits
 * on something else (GW1's connection to the server) to answer first.
 */
#define SHUT_MS		3
/* The server closes within FRAME_TIMEOUT; the loop is cut well after. */
#define RUN_MAX_MS	30000

static struct cpns_loop *loop;
static struct cpns_nl *nl;
static struct cpns_timer tick;
static uint64_t run_until;
static uint64_t shut_at;	/* 0: done */
static int peer_fd;		/* the harness's end of the pair */
static int daemon_fd;		/* the daemon's end, while it is open */
static ino_t daemon_ino;	/* (the number may be reused once closed) */
static bool eof;		/* the daemon shut its end for writing */
static uint8_t out[INPUT_MAX];	/* what the daemon sent */
static size_t olen;

/* Has the daemon closed its end? */
static bool daemon_closed(void)
{
	struct stat st;

	return fstat(daemon_fd, &st) || st.st_ino != daemon_ino;
}

/* Read what the daemon sent; stop the loop once it has closed. */
static void tick_fn(struct cpns_loop *l, struct cpns_timer *t)
{
	uint64_t now = cpns_now_ms();
	ssize_t n;

	CHECK(now < run_until);
	if (shut_at && now >= shut_at) {
		shutdown(peer_fd, SHUT_WR);
		shut_at = 0;
	}
	while (!eof) {
		n = recv(peer_fd, out + olen, sizeof(out) - olen,
			 MSG_DONTWAIT);
		if (n > 0 && olen + (size_t)n < sizeof(out)) {
			olen += (size_t)n;
			continue;
		}
		CHECK(n <= 0);		/* no more than INPUT_MAX back */
		eof = n == 0 || errno != EAGAIN;
		break;
	}
	/* After an ERROR the daemon lingers until our end closes too. */
	if (eof && !shut_at && daemon_closed()) {
		cpns_loop_stop(l);
		return;
	}
	cpns_timer_arm(l, t, now + TICK_MS);
}

static void open_nl(void)
{
	cpns_log_open("net_fuzz", CPNS_LOG_STDERR,
		      getenv("NET_FUZZ_LOG") ? CPNS_LOG_DEBUG : -1);
	loop = cpns_loop_new();
	CHECK(loop);
	nl = cpns_open_family("nlctrl");
	CHECK(nl);
	nl->family = 0xfff0;	/* no such family: every command fails */
}

#ifdef FUZZ_GWD
static struct gwd g;

/* Stands in for the kernel's answer: one Key Seed of role gw1. */
int __wrap_gwd_find_seed(struct cpns_nl *h, uint8_t sid[CPNS_SEED_ID_LEN],
			 unsigned int *count);
int __wrap_gwd_find_seed(struct cpns_nl *h, uint8_t sid[CPNS_SEED_ID_LEN],
			 unsigned int *count)
{
	(void)h;
	memset(sid, 0x5e, CPNS_SEED_ID_LEN);
	if (count)
		*count = 1;
	return 1;
}

static void setup(void)
{
	char path[] = "/tmp/cpns-pn-fuzz.XXXXXX", err[512];
	FILE *f;
	int fd;

	open_nl();
	fd = mkstemp(path);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	CHECK(f);
	/* A port of its own: AFL may run several instances at once. */
	fprintf(f, "role = secure\nname = gw1\nserver = 127.0.0.1:1\n"
		"listen = 127.0.0.1:%d\npairing_key = logon:cpns-pn-fuzz\n"
		"allow = gw2*\n",
		20000 + (int)(getpid() % 30000));
	CHECK(!fclose(f));
	CHECK(!gwd_conf_load(&g.conf, path, err, sizeof(err)));
	unlink(path);
	g.ops = &gwd_secure_ops;
	g.loop = loop;
	g.nl = nl;
	CHECK(!g.ops->start(&g));
	cpns_timer_init(&tick, tick_fn, NULL);
}

static void adopt(int fd)
{
	gwd_secure_adopt(&g, fd, "fuzz");
}

static void check_after(void)
{
}

static void teardown(void)
{
	g.ops->stop(&g);
	gwd_links_free(&g);
	gwd_conf_free(&g.conf);
}
#else
static struct server_conf conf;
static struct server srv;

static void setup(void)
{
	static const char *const allow[] = { NULL };

	open_nl();
	conf.max_connections = 4;
	conf.max_pending = 2;
	conf.start_timeout = 1;
	conf.idle_timeout = 2;
	conf.step_timeout = 1;
	conf.frame_timeout = 1;
	conf.seed_overlap = 60;
	conf.seed_allow = allow;
	CHECK(!server_start(&srv, &conf, loop, nl));
	cpns_timer_init(&tick, tick_fn, NULL);
}

static void adopt(int fd)
{
	server_adopt(&srv, fd, "fuzz");
}

/* Closed: nothing left counted. */
static void check_after(void)
{
	CHECK(!srv.nconns && !srv.pending);
}

static void teardown(void)
{
	server_stop(&srv);
}
#endif

/* The server's answer: whole frames that decode, an ERROR only last. */
static void check_output(const uint8_t *b, size_t len)
{
	struct cpns_wire_msg msg;
	size_t off = 0, flen;
	bool error = false;

	while (off < len) {
		CHECK(!error);
		CHECK(cpns_wire_frame(b + off, len - off, &flen) == CPNS_WIRE_OK);
		CHECK(off + flen <= len);
		CHECK(cpns_wire_decode(b + off, flen, &msg) == CPNS_WIRE_OK);
		error = msg.type == CPNS_WIRE_ERROR;
		off += flen;
	}
}

static void one(const uint8_t *data, size_t len)
{
	int sv[2], buf = 4 * INPUT_MAX;
	struct stat st;
	ssize_t n;

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	CHECK(!fcntl(sv[1], F_SETFL, O_NONBLOCK));
	/* Everything at once, then (SHUT_MS later) the end of input. */
	while (len) {
		n = write(sv[0], data, len);
		if (n < 0)
			break;	/* the server closed early */
		data += n;
		len -= (size_t)n;
	}
	peer_fd = sv[0];
	daemon_fd = sv[1];
	CHECK(!fstat(sv[1], &st));
	daemon_ino = st.st_ino;
	eof = false;
	shut_at = cpns_now_ms() + SHUT_MS;
	olen = 0;
	adopt(sv[1]);
	run_until = cpns_now_ms() + RUN_MAX_MS;
	cpns_timer_arm(loop, &tick, cpns_now_ms() + TICK_MS);
	CHECK(!cpns_loop_run(loop));
	cpns_timer_disarm(loop, &tick);
	check_after();
	close(sv[0]);
	check_output(out, olen);
}

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
#endif

int main(int argc, char **argv)
{
	static uint8_t in[INPUT_MAX];
	size_t len;
	int i;

	setup();
#ifdef __AFL_FUZZ_TESTCASE_LEN
	(void)argc;
	(void)argv;
	(void)in;
	(void)len;
	(void)i;
	__AFL_INIT();
	{
		uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;

		while (__AFL_LOOP(10000)) {
			size_t n = (size_t)__AFL_FUZZ_TESTCASE_LEN;

			one(buf, n > INPUT_MAX ? INPUT_MAX : n);
		}
	}
#else
	for (i = 1; i < argc || i == 1; i++) {
		FILE *f = i < argc ? fopen(argv[i], "rb") : stdin;

		if (!f) {
			perror(argv[i]);
			return 2;
		}
		len = fread(in, 1, sizeof(in), f);
		if (f != stdin)
			fclose(f);
		one(in, len);
		if (argc == 1)
			break;
	}
#endif
	teardown();
	cpns_close(nl);
	cpns_loop_free(loop);
	return 0;
}
