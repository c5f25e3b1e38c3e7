// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * AFL++ harness of cpns-serverd's connection handling: each input is the
 * byte stream a peer sends on one TCP connection. The harness gives one
 * end of a socket pair to the server's real connection code
 * (server_adopt(): server.c, sconn.c and the flow handlers, over
 * lib/daemon's conn.c and loop.c), writes the input into the other end,
 * closes it for writing, and runs the event loop until the server has
 * closed the connection. Properties, each checked with abort():
 *   - the server closes every connection it is given: no input keeps it
 *     (the loop runs on a timer; AFL's own timeout catches a hang);
 *   - what the server sends back is a sequence of whole frames that
 *     decode (lib/codec), and at most one ERROR, last;
 *   - no connection, a-flow or session is left counted after the close;
 *   - the sanitizers (AFL_USE_ASAN, AFL_USE_UBSAN) see no fault.
 *
 * The kernel: the harness runs on the host, where cpns.ko is not loaded
 * (and must not be: a hostile input may reach any kernel command). Its
 * libcpns handle is a real generic netlink socket whose family is an
 * unused ID, so every kernel command fails as the kernel's refusals do
 * (ENOENT), and the daemon takes its error paths: the wire side of every
 * flow up to its first kernel step, and every refusal, are fuzzed; what
 * only a kernel's answer unlocks (II-5, a-1, sealed frames) is reached
 * only as far as the state table lets an input go without it. The VM
 * tests (serverd/test/attack.sh) cover the rest against the module.
 *
 * Without AFL (a plain compiler): reads each file named on the command
 * line, or stdin, as one input (used to replay a crash and by make check's
 * smoke run over the corpus).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"	/* lib/nl: the handle's family, made unusable */
#include "serverd.h"

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
/* The server closes within FRAME_TIMEOUT; the loop is cut well after. */
#define RUN_MAX_MS	30000

static struct server_conf conf;
static struct server srv;
static struct cpns_loop *loop;
static struct cpns_nl *nl;
static struct cpns_timer tick;
static uint64_t run_until;

/* Stop the loop once the server has closed its connection. */
static void tick_fn(struct cpns_loop *l, struct cpns_timer *t)
{
	uint64_t now = cpns_now_ms();

	CHECK(now < run_until);
	if (!srv.nconns) {
		cpns_loop_stop(l);
		return;
	}
	cpns_timer_arm(l, t, now + TICK_MS);
}

static void setup(void)
{
	static const char *const allow[] = { NULL };

	cpns_log_open("net_fuzz", CPNS_LOG_STDERR,
		      getenv("NET_FUZZ_LOG") ? CPNS_LOG_DEBUG : -1);
	loop = cpns_loop_new();
	CHECK(loop);
	nl = cpns_open_family("nlctrl");
	CHECK(nl);
	nl->family = 0xfff0;	/* no such family: every command fails */
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
	static uint8_t out[INPUT_MAX];
	int sv[2], buf = 4 * INPUT_MAX;
	size_t olen = 0;
	ssize_t n;

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	CHECK(!fcntl(sv[1], F_SETFL, O_NONBLOCK));
	/* Everything at once, then end of input. */
	while (len) {
		n = write(sv[0], data, len);
		if (n < 0)
			break;	/* the server closed early */
		data += n;
		len -= (size_t)n;
	}
	shutdown(sv[0], SHUT_WR);
	server_adopt(&srv, sv[1], "fuzz");
	run_until = cpns_now_ms() + RUN_MAX_MS;
	cpns_timer_arm(loop, &tick, cpns_now_ms() + TICK_MS);
	CHECK(!cpns_loop_run(loop));
	cpns_timer_disarm(loop, &tick);
	CHECK(!srv.nconns && !srv.pending);
	for (;;) {
		n = read(sv[0], out + olen, sizeof(out) - olen);
		if (n <= 0)
			break;
		olen += (size_t)n;
	}
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
	server_stop(&srv);
	cpns_close(nl);
	cpns_loop_free(loop);
	return 0;
}
