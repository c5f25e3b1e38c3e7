// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Framed connections (lib/daemon/conn.c) over socket pairs and loopback TCP:
 * frames split at every byte or back to back, a receive buffer that never
 * holds more than one frame, invalid headers refused before their body,
 * ERROR then linger then close, deadlines, and the socket helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

/* c over one end of a socket pair; *peer is the other (blocking). */
static int pair(struct cpns_conn *c, int *peer)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	cpns_conn_init(c, sv[0], false, "pair");
	*peer = sv[1];
	return 0;
}

static size_t frame(uint8_t *buf, uint8_t type)
{
	struct cpns_wire_msg m;
	size_t len = 0;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.type = type;
	switch (type) {
	case CPNS_WIRE_ASSIGN_DEVICE_ID:
		for (i = 0; i < CPNS_DEVICE_ID_LEN; i++)
			m.assign_device_id.did[i] = (uint8_t)i;
		break;
	case CPNS_WIRE_SEED_REQUEST:
		cpns_wire_name_set(&m.seed_request.name, "gw1");
		break;
	default:
		break;
	}
	if (cpns_wire_encode(&m, buf, CPNS_WIRE_MAX_FRAME, &len))
		return 0;
	return len;
}

static void test_split(void)
{
	uint8_t buf[2 * CPNS_WIRE_MAX_FRAME];
	struct cpns_wire_msg m;
	struct cpns_conn c;
	size_t len, i;
	bool ok = true, started = false;
	int peer, r;

	if (pair(&c, &peer))
		return;
	len = frame(buf, CPNS_WIRE_ASSIGN_DEVICE_ID);
	for (i = 0; i < len && ok; i++) {
		if (write(peer, buf + i, 1) != 1)
			ok = false;
		r = cpns_conn_recv(&c, &m);
		if (i + 1 < len) {
			ok &= r == CPNS_CONN_AGAIN && c.rlen == i + 1;
			started |= c.frame_deadline != 0;
			ok &= c.frame_deadline != 0;
		} else {
			ok &= r == CPNS_CONN_MSG &&
			      m.type == CPNS_WIRE_ASSIGN_DEVICE_ID &&
			      m.assign_device_id.did[15] == 15;
		}
	}
	tap_ok(ok && started, "conn: a frame written byte by byte: AGAIN, then the message");
	tap_ok(c.rlen == 0 && c.frame_deadline == 0 && c.frames_in == 1,
	       "conn: after a frame: empty buffer, no frame deadline");

	/* Two frames in one write: one message per call. */
	len = frame(buf, CPNS_WIRE_SEED_REQUEST);
	len += frame(buf + len, CPNS_WIRE_ASSIGN_DEVICE_ID);
	ok = write(peer, buf, len) == (ssize_t)len;
	r = cpns_conn_recv(&c, &m);
	tap_ok(ok && r == CPNS_CONN_MSG && m.type == CPNS_WIRE_SEED_REQUEST &&
	       !strcmp(m.seed_request.name.s, "gw1") && c.rlen == 0,
	       "conn: two frames back to back: the first, and nothing of the second buffered");
	r = cpns_conn_recv(&c, &m);
	tap_ok(r == CPNS_CONN_MSG && m.type == CPNS_WIRE_ASSIGN_DEVICE_ID,
	       "conn: then the second");
	tap_ok(cpns_conn_recv(&c, &m) == CPNS_CONN_AGAIN,
	       "conn: then nothing");

	/* End of stream in the middle of a frame. */
	ok = write(peer, buf, 5) == 5;
	close(peer);
	r = cpns_conn_recv(&c, &m);
	tap_ok(ok && r == CPNS_CONN_CLOSED && c.rlen == 5,
	       "conn: the peer closes mid-frame: CLOSED with the bytes left");
	cpns_conn_close(&c);
	tap_ok(c.fd == -1 && c.state == CPNS_CONN_DEAD,
	       "conn: closed");
	cpns_conn_close(&c);
}

struct bad_case {
	const char *what;
	uint8_t bytes[16];
	size_t len;
	int err;
	uint8_t ref;
};

static void test_bad(void)
{
	static const struct bad_case cases[] = {
		{ "bad version, at its first byte", { 2 }, 1,
		  CPNS_WIRE_E_VERSION, 0 },
		{ "bad version with a whole header: no ref_type",
		  { 2, 0x12, 0, 0, 0, 0, 0, 32 }, 8, CPNS_WIRE_E_VERSION, 0 },
		{ "unknown type, at its second byte", { 1, 0x55 }, 2,
		  CPNS_WIRE_E_TYPE, 0x55 },
		{ "flags set", { 1, 0x12, 0, 1 }, 4, CPNS_WIRE_E_RESERVED,
		  0x12 },
		{ "length above the type's bound, before the body",
		  { 1, 0x12, 0, 0, 0, 0, 1, 0 }, 8, CPNS_WIRE_E_OVERSIZED,
		  0x12 },
		{ "a body that does not decode (empty name)",
		  { 1, 0x01, 0, 0, 0, 0, 0, 33 }, 8, 0, 0x01 },
	};
	uint8_t body[64];
	struct cpns_wire_msg m;
	struct cpns_conn c;
	size_t i;
	int peer, r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct bad_case *t = &cases[i];
		bool ok;

		if (pair(&c, &peer))
			return;
		ok = write(peer, t->bytes, t->len) == (ssize_t)t->len;
		if (!t->err) {
			memset(body, 0, sizeof(body));	/* name_len 0 */
			ok &= write(peer, body, 33) == 33;
		}
		r = cpns_conn_recv(&c, &m);
		tap_ok(ok && (t->err ? r == t->err : r < 0 && r > -100) &&
		       c.bad_type == t->ref,
		       "conn: %s: %s, ref_type 0x%02x", t->what,
		       cpns_wire_strerror(r), c.bad_type);
		cpns_conn_close(&c);
		close(peer);
	}
}

/* Read what the peer end got (blocking, with a short timeout). */
static ssize_t peer_read(int fd, uint8_t *buf, size_t cap)
{
	struct timeval tv = { .tv_sec = 2 };
	size_t len = 0;
	ssize_t n;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (len < cap) {
		n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

static void test_send_error(void)
{
	uint8_t buf[1024], want[CPNS_WIRE_MAX_FRAME];
	struct cpns_wire_msg m;
	struct cpns_conn c;
	size_t wlen;
	ssize_t n;
	int peer, r;

	if (pair(&c, &peer))
		return;
	wlen = frame(want, CPNS_WIRE_ASSIGN_DEVICE_ID);
	memset(&m, 0, sizeof(m));
	m.type = CPNS_WIRE_ASSIGN_DEVICE_ID;
	cpns_wire_decode(want, wlen, &m);
	tap_ok(!cpns_conn_send(&c, &m) && !cpns_conn_want_write(&c) &&
	       c.frames_out == 1,
	       "conn: send writes a frame at once");

	r = cpns_conn_send_error(&c, CPNS_WIRE_ERR_BAD_MAC,
				 CPNS_WIRE_ASSIGN_REQUEST, "bad %s", "MAC");
	tap_ok(!r && c.state == CPNS_CONN_LINGER && c.linger_deadline,
	       "conn: send_error: state LINGER with a linger deadline");
	tap_ok(cpns_conn_send_error(&c, CPNS_WIRE_ERR_INTERNAL, 0, "x") == 0 &&
	       c.frames_out == 2,
	       "conn: a second ERROR is not sent");
	tap_ok(cpns_conn_send(&c, &m) == -EPIPE,
	       "conn: nothing else is sent after ERROR");

	n = peer_read(peer, buf, sizeof(buf));
	{
		static const uint8_t err[] = {
			0x01, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d,
			0x00, 0x05, 0x10, 0x00, 0x00, 0x07,
			'b', 'a', 'd', ' ', 'M', 'A', 'C'
		};

		tap_ok(n == (ssize_t)(wlen + sizeof(err)) &&
		       !memcmp(buf, want, wlen) &&
		       !memcmp(buf + wlen, err, sizeof(err)),
		       "conn: the peer reads the frame, the ERROR of protocol.rst 12, then end of stream");
	}
	tap_ok(write(peer, "garbage", 7) == 7 &&
	       cpns_conn_recv(&c, &m) == CPNS_CONN_AGAIN &&
	       c.state == CPNS_CONN_LINGER,
	       "conn: in LINGER input is discarded");
	close(peer);
	tap_ok(cpns_conn_recv(&c, &m) == CPNS_CONN_CLOSED &&
	       c.state == CPNS_CONN_DEAD,
	       "conn: the peer's close ends the linger");
	cpns_conn_close(&c);

	/* refuse(): the code of the decoding error. */
	if (pair(&c, &peer))
		return;
	tap_ok(write(peer, "\x01\x55", 2) == 2 &&
	       cpns_conn_recv(&c, &m) == CPNS_WIRE_E_TYPE &&
	       !cpns_conn_refuse(&c, CPNS_WIRE_E_TYPE) &&
	       peer_read(peer, buf, sizeof(buf)) > 10 && buf[1] == 0x7f &&
	       buf[9] == CPNS_WIRE_ERR_UNKNOWN_TYPE && buf[10] == 0x55,
	       "conn: refuse sends ERROR unknown type about type 0x55");
	cpns_conn_close(&c);
	close(peer);
}

static void test_backpressure(void)
{
	struct cpns_wire_msg m;
	struct cpns_conn c;
	int peer, r = 0, i, size = 1;

	if (pair(&c, &peer))
		return;
	setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	memset(&m, 0, sizeof(m));
	m.type = CPNS_WIRE_ASSIGN_DEVICE_ID;
	for (i = 0; i < 10000 && !r; i++)
		r = cpns_conn_send(&c, &m);
	tap_ok(r == -ENOBUFS && cpns_conn_want_write(&c) &&
	       (cpns_conn_events(&c) & EPOLLOUT),
	       "conn: a peer that does not read: the queue fills, -ENOBUFS, EPOLLOUT wanted (%d frames)",
	       i);
	{
		uint8_t sink[65536];
		ssize_t n;

		fcntl(peer, F_SETFL, O_NONBLOCK);
		do {
			while (read(peer, sink, sizeof(sink)) > 0)
				;
			n = cpns_conn_flush(&c);
		} while (n == 1);
		tap_ok(n == 0 && !cpns_conn_want_write(&c) &&
		       cpns_conn_events(&c) == EPOLLIN,
		       "conn: once the peer reads, flush empties the queue");
	}
	cpns_conn_close(&c);
	close(peer);
}

/*
 * Deadlines are read off the coarse clock plus one of its ticks
 * (cpns_after_ms()). On a loaded machine the coarse clock can lag the
 * precise one by more than a tick, so a deadline is checked against the
 * precise clock read before and after it was set, within this slack.
 */
#define DL_SLACK_MS	100

static void test_deadlines(void)
{
	struct cpns_conn c;
	uint64_t now, after;
	int peer;

	if (pair(&c, &peer))
		return;
	now = cpns_now_ms();
	tap_ok(cpns_conn_next_deadline(&c) == 0 &&
	       cpns_conn_expired(&c, now + 1000000) == CPNS_DL_NONE,
	       "deadline: none at first");
	cpns_conn_set_deadline(&c, CPNS_DL_STEP, 5000);
	after = cpns_now_ms();
	tap_ok(c.deadline + DL_SLACK_MS >= now + 5000 &&
	       c.deadline <= after + 5000 + DL_SLACK_MS &&
	       cpns_conn_next_deadline(&c) == c.deadline &&
	       cpns_conn_expired(&c, c.deadline - 1) == CPNS_DL_NONE &&
	       cpns_conn_expired(&c, c.deadline) == CPNS_DL_STEP,
	       "deadline: a step deadline expires at its time");
	c.frame_deadline = c.deadline - 10;
	tap_ok(cpns_conn_next_deadline(&c) == c.frame_deadline &&
	       cpns_conn_expired(&c, c.deadline + 1) == CPNS_DL_FRAME,
	       "deadline: the earlier of frame and step is reported");
	cpns_conn_set_deadline(&c, CPNS_DL_IDLE, 0);
	tap_ok(c.deadline == 0 && c.deadline_kind == CPNS_DL_NONE,
	       "deadline: timeout 0 clears it");
	cpns_conn_send_error(&c, CPNS_WIRE_ERR_TIMEOUT, 0, "late");
	tap_ok(cpns_conn_next_deadline(&c) == c.linger_deadline &&
	       c.linger_deadline + DL_SLACK_MS >=
	       now + CPNS_WIRE_CLOSE_LINGER * 1000 &&
	       cpns_conn_expired(&c, c.linger_deadline) == CPNS_DL_LINGER,
	       "deadline: after ERROR only the linger counts");
	tap_ok(!strcmp(cpns_conn_deadline_name(CPNS_DL_FRAME), "frame") &&
	       !strcmp(cpns_conn_deadline_name(CPNS_DL_LINGER), "linger"),
	       "deadline: names");
	cpns_conn_close(&c);
	close(peer);
}

static int nodelay(int fd)
{
	socklen_t len = sizeof(int);
	int v = -1;

	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len))
		return -1;
	return v != 0;
}

static void test_sockets(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(ss);
	char peer[CPNS_ADDR_STRLEN], addr[CPNS_ADDR_STRLEN];
	struct cpns_conn c;
	int lfd, fd, afd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = cpns_listen((struct sockaddr *)&sin, sizeof(sin), 4);
	if (!tap_ok(lfd >= 0, "sockets: listen on 127.0.0.1 (any port)"))
		return;
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	cpns_addr_str((struct sockaddr *)&ss, len, addr, sizeof(addr));
	tap_ok(cpns_accept(lfd, peer, sizeof(peer)) == -EAGAIN,
	       "sockets: accept with nobody waiting: -EAGAIN");
	fd = cpns_connect_timeout((struct sockaddr *)&ss, len, 2000);
	afd = cpns_accept(lfd, peer, sizeof(peer));
	tap_ok(fd >= 0 && afd >= 0 && !strncmp(peer, "127.0.0.1:", 10) &&
	       (fcntl(afd, F_GETFL) & O_NONBLOCK) &&
	       (fcntl(fd, F_GETFL) & O_NONBLOCK),
	       "sockets: connect to %s, accept from %s, both non-blocking",
	       addr, peer);
	tap_ok(nodelay(fd) == 1 && nodelay(afd) == 1,
	       "sockets: both ends without Nagle (the accepted one from its listener)");
	cpns_conn_init(&c, fd, false, NULL);
	tap_ok(!strcmp(c.peer, addr), "sockets: a connection names its peer %s",
	       c.peer);
	cpns_conn_close(&c);
	close(afd);

	fd = cpns_connect_start((struct sockaddr *)&ss, len);
	cpns_conn_init(&c, fd, true, "x");
	tap_ok(fd >= 0 && c.state == CPNS_CONN_CONNECTING &&
	       c.deadline_kind == CPNS_DL_CONNECT &&
	       cpns_conn_events(&c) == EPOLLOUT,
	       "sockets: a connection in progress waits for EPOLLOUT, with a connect deadline");
	usleep(100 * 1000);
	tap_ok(!cpns_conn_connected(&c) && c.state == CPNS_CONN_OPEN &&
	       c.deadline == 0,
	       "sockets: connected: OPEN, deadline cleared");
	cpns_conn_close(&c);
	afd = cpns_accept(lfd, NULL, 0);
	if (afd >= 0)
		close(afd);
	close(lfd);

	/* Nobody listens there now. */
	fd = cpns_connect_timeout((struct sockaddr *)&ss, len, 2000);
	tap_ok(fd == -ECONNREFUSED, "sockets: connect to a closed port: %s",
	       strerror(-fd));

	{
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

		sin6.sin6_addr = in6addr_loopback;
		lfd = cpns_listen((struct sockaddr *)&sin6, sizeof(sin6), 4);
		if (lfd < 0) {
			tap_skip("no IPv6 loopback", "sockets: IPv6");
		} else {
			int v6only = 0;

			len = sizeof(v6only);
			getsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
				   &len);
			tap_ok(v6only == 1, "sockets: an IPv6 listener is IPV6_V6ONLY");
			close(lfd);
		}
	}
}

/* A peer given by name: resolved, each address tried in turn. */
static void test_resolve(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct addrinfo *res, *ai;
	char err[512];
	struct cpns_peer p;
	int lfd, fd, afd, n = 0, v4 = 0;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = cpns_listen((struct sockaddr *)&sin, sizeof(sin), 4);
	if (!tap_ok(lfd >= 0, "resolve: listen on 127.0.0.1"))
		return;
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	snprintf(err, sizeof(err), "localhost:%u",
		 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (!tap_ok(!cpns_peer_parse(err, &p, err, sizeof(err)) && !p.numeric,
		    "resolve: localhost:PORT is a name"))
		goto out;

	tap_ok(!cpns_resolve(&p, &res, err, sizeof(err)),
	       "resolve: localhost resolves");
	for (ai = res; ai; ai = ai->ai_next) {
		n++;
		if (ai->ai_family == AF_INET &&
		    ((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr ==
		    htonl(INADDR_LOOPBACK))
			v4++;
	}
	if (res)
		freeaddrinfo(res);
	tap_ok(v4 > 0, "resolve: localhost has 127.0.0.1 among %d addresses",
	       n);

	/* Only IPv4 listens: a ::1 tried first is refused, then 127.0.0.1. */
	fd = cpns_peer_connect_timeout(&p, 2000, err, sizeof(err));
	afd = cpns_accept(lfd, NULL, 0);
	tap_ok(fd >= 0 && afd >= 0, "resolve: connect to %s by name", p.str);
	if (fd >= 0)
		close(fd);
	if (afd >= 0)
		close(afd);

	cpns_peer_parse("[::1]:1", &p, NULL, 0);
	tap_ok(!cpns_resolve(&p, &res, err, sizeof(err)) && res &&
	       res->ai_family == AF_INET6 && !res->ai_next,
	       "resolve: a numeric IPv6 peer is its one address");
	if (res)
		freeaddrinfo(res);

	/* RFC 6761: .invalid never resolves. */
	cpns_peer_parse("no-such-host.invalid:61740", &p, NULL, 0);
	err[0] = '\0';
	tap_ok(cpns_resolve(&p, &res, err, sizeof(err)) < 0 && !res &&
	       strstr(err, "no-such-host.invalid"),
	       "resolve: an unknown name fails, naming the host: %s", err);
	err[0] = '\0';
	fd = cpns_peer_connect_timeout(&p, 2000, err, sizeof(err));
	tap_ok(fd < 0 && strstr(err, "cannot resolve no-such-host.invalid"),
	       "resolve: so does a connect to it: %s", err);
out:
	close(lfd);
}

int main(void)
{
	test_split();
	test_bad();
	test_send_error();
	test_backpressure();
	test_deadlines();
	test_sockets();
	test_resolve();
	return tap_done();
}
