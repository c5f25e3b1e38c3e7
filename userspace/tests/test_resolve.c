// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Name resolution off the loop (cpns_resolve_start(), lib/daemon/conn.c),
 * against a name server that never answers: the test runs in network and
 * mount namespaces of its own whose /etc/resolv.conf names 127.0.0.1,
 * where a UDP socket takes the queries and answers none, and whose
 * /etc/hosts knows near.test. While a lookup waits, the loop's timers
 * fire; the lookup then fails, naming the host; a name in /etc/hosts
 * resolves and connects; a cancelled lookup never calls back, whether its
 * thread is still waiting (also at exit: nothing waits for it) or has
 * finished; at most CPNS_LOOKUPS_MAX wait at a time. Under ASan nothing leaks; valgrind finds nothing lost but
 * the TLS block of the thread still waiting at exit ("possibly lost").
 */
#define _GNU_SOURCE	/* unshare */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

/* Each query waits 1 s, twice: the lookup fails after 2 to 4 s. */
#define RESOLV_CONF	"nameserver 127.0.0.1\noptions timeout:1 attempts:2\n"
#define HOSTS		"127.0.0.1 localhost\n127.0.0.1 near.test\n"
#define NSSWITCH	"hosts: files dns\n"
/* For the cap test: a wait of 5 s, longer than starting the threads takes
 * (under valgrind too). glibc reads the file again when it changes.
 */
#define RESOLV_CONF_CAP	"nameserver 127.0.0.1\noptions timeout:5 attempts:1\n"
#define GUARD_MS	20000

static char dir[] = "/tmp/cpns-test-resolve.XXXXXX";

static int write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	ret = fclose(f) ? -errno : 0;
	return ret;
}

static int bind_file(const char *name, const char *etc)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return mount(path, etc, "none", MS_BIND, NULL) ? -errno : 0;
}

static int write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Network and mount namespaces of our own (in a user namespace if we
 * are not root): 0, or -errno with what failed in why.
 */
static int enter_namespaces(char *why, size_t len)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(CLONE_NEWNET | CLONE_NEWNS)) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS)) {
			snprintf(why, len, "unshare: %s", strerror(errno));
			return -errno;
		}
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		write_proc("/proc/self/setgroups", "deny");
		if (write_proc("/proc/self/uid_map", map))
			return snprintf(why, len, "uid_map"), -EPERM;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		if (write_proc("/proc/self/gid_map", map))
			return snprintf(why, len, "gid_map"), -EPERM;
	}
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL)) {
		snprintf(why, len, "private mounts: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int lo_up(void)
{
	struct ifreq ifr;
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!ret && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* A name server that takes queries and never answers: the socket. */
static int silent_server(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(53) };
	int fd;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int setup(char *why, size_t len)
{
	int ret;

	ret = enter_namespaces(why, len);
	if (ret)
		return ret;
	if (!mkdtemp(dir))
		return snprintf(why, len, "mkdtemp: %s", strerror(errno)),
		       -errno;
	if (write_file("resolv.conf", RESOLV_CONF) ||
	    write_file("hosts", HOSTS) ||
	    write_file("nsswitch.conf", NSSWITCH))
		return snprintf(why, len, "cannot write in %s", dir), -EIO;
	if (bind_file("resolv.conf", "/etc/resolv.conf") ||
	    bind_file("hosts", "/etc/hosts") ||
	    bind_file("nsswitch.conf", "/etc/nsswitch.conf"))
		return snprintf(why, len, "bind over /etc: %s",
				strerror(errno)), -errno;
	ret = lo_up();
	if (ret)
		return snprintf(why, len, "lo up: %s", strerror(-ret)), ret;
	return 0;
}

static void cleanup(void)
{
	char path[128];
	static const char *const names[] = {
		"resolv.conf", "hosts", "nsswitch.conf"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

struct result {
	bool done;
	int ret;
	char why[512];
	struct addrinfo *res;
	uint64_t at;
	unsigned int calls;
};

static void on_lookup(struct cpns_lookup *lk, struct addrinfo *res, int ret,
		      const char *why, void *arg)
{
	struct result *r = arg;

	(void)lk;
	r->done = true;
	r->calls++;
	r->ret = ret;
	r->res = res;
	snprintf(r->why, sizeof(r->why), "%s", ret ? why : "");
	r->at = cpns_now_ms();
}

/* Stops the loop when its lookup is done, else at the guard. */
struct waiter {
	struct cpns_timer t;
	struct result *r;
	uint64_t until;
	unsigned int ticks;	/* fired while r was not done */
};

static void waiter_fn(struct cpns_loop *loop, struct cpns_timer *t)
{
	struct waiter *w = t->arg;
	uint64_t now = cpns_now_ms();

	if (w->r && !w->r->done)
		w->ticks++;
	if ((w->r && w->r->done) || now >= w->until) {
		cpns_loop_stop(loop);
		return;
	}
	cpns_timer_arm(loop, t, now + 100);
}

/* Run the loop until r is done (r NULL: for ms), ticking every 100 ms. */
static unsigned int run_until(struct cpns_loop *loop, struct result *r,
			      unsigned int ms)
{
	struct waiter w = { .r = r, .until = cpns_now_ms() + ms };

	cpns_timer_init(&w.t, waiter_fn, &w);
	cpns_timer_arm(loop, &w.t, cpns_now_ms() + 100);
	cpns_loop_run(loop);
	cpns_timer_disarm(loop, &w.t);
	return w.ticks;
}

static void test_silent(struct cpns_loop *loop)
{
	struct result r = { 0 };
	struct cpns_lookup *lk;
	struct cpns_peer p;
	uint64_t t0 = cpns_now_ms();
	unsigned int ticks;

	cpns_peer_parse("hang.test:7000", &p, NULL, 0);
	lk = cpns_resolve_start(loop, &p, on_lookup, &r);
	if (!tap_ok(lk != NULL, "silent: lookup started"))
		return;
	tap_ok(!r.done, "silent: the start does not wait for the answer");
	ticks = run_until(loop, &r, GUARD_MS);
	tap_ok(ticks >= 5,
	       "silent: the loop's timer fired %u times while the name server kept quiet",
	       ticks);
	tap_ok(r.done && r.calls == 1,
	       "silent: the lookup ended, once (%u calls), after %llu ms",
	       r.calls, (unsigned long long)(r.at - t0));
	tap_ok(r.ret < 0 && !r.res && strstr(r.why, "cannot resolve hang.test"),
	       "silent: it failed, naming the host: %s", r.why);
	if (r.res)
		freeaddrinfo(r.res);
}

static void test_hosts(struct cpns_loop *loop)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct result r = { 0 };
	struct addrinfo *ai;
	struct cpns_peer p;
	char s[64];
	int lfd, fd = -1, afd = -1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = cpns_listen((struct sockaddr *)&sin, sizeof(sin), 4);
	if (!tap_ok(lfd >= 0, "hosts: listen on 127.0.0.1"))
		return;
	getsockname(lfd, (struct sockaddr *)&ss, &len);
	snprintf(s, sizeof(s), "near.test:%u",
		 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	cpns_peer_parse(s, &p, NULL, 0);
	if (!tap_ok(cpns_resolve_start(loop, &p, on_lookup, &r) != NULL,
		    "hosts: lookup of %s started", s))
		goto out;
	run_until(loop, &r, GUARD_MS);
	tap_ok(r.done && !r.ret && r.res, "hosts: %s resolved (%s)", s,
	       r.why);
	for (ai = r.res; ai; ai = ai->ai_next) {
		fd = cpns_connect_timeout(ai->ai_addr, ai->ai_addrlen, 2000);
		if (fd >= 0)
			break;
	}
	afd = cpns_accept(lfd, NULL, 0);
	tap_ok(fd >= 0 && afd >= 0, "hosts: connected to %s by its address",
	       s);
	if (r.res)
		freeaddrinfo(r.res);
	if (fd >= 0)
		close(fd);
	if (afd >= 0)
		close(afd);
out:
	close(lfd);
}

static void test_cancel(struct cpns_loop *loop)
{
	struct result waiting = { 0 }, finished = { 0 }, held = { 0 };
	struct cpns_lookup *lk;
	struct cpns_peer p;

	/* Cancelled while the name server keeps it. */
	cpns_peer_parse("hang-cancel.test:7000", &p, NULL, 0);
	lk = cpns_resolve_start(loop, &p, on_lookup, &waiting);
	if (!tap_ok(lk != NULL, "cancel: lookup started"))
		return;
	run_until(loop, NULL, 300);
	cpns_resolve_cancel(lk);

	/* Cancelled after its thread finished, before the loop saw it. */
	cpns_peer_parse("near.test:7000", &p, NULL, 0);
	lk = cpns_resolve_start(loop, &p, on_lookup, &finished);
	if (!tap_ok(lk != NULL, "cancel: second lookup started"))
		return;
	usleep(500 * 1000);
	cpns_resolve_cancel(lk);
	run_until(loop, NULL, 300);
	tap_ok(!finished.calls, "cancel: a finished lookup cancelled before the loop saw it never calls back");

	/* The first one's thread gives up after 2 to 4 s: no call either. */
	run_until(loop, NULL, 5000);
	tap_ok(!waiting.calls, "cancel: a lookup cancelled while waiting never calls back");

	/* Left waiting at exit: the process must not wait for it. */
	cpns_peer_parse("hang-exit.test:7000", &p, NULL, 0);
	tap_ok(cpns_resolve_start(loop, &p, on_lookup, &held) != NULL,
	       "cancel: a lookup left waiting at exit");
	run_until(loop, NULL, 200);
	tap_ok(!held.calls, "cancel: it has not answered yet");
}

/* CPNS_LOOKUPS_MAX threads waiting: one more is refused until they end. */
static void test_cap(struct cpns_loop *loop)
{
	static struct cpns_lookup *lk[CPNS_LOOKUPS_MAX];
	struct result r = { 0 }, late = { 0 };
	struct cpns_lookup *more;
	struct cpns_peer p;
	int i, n = 0;

	if (!tap_ok(!write_file("resolv.conf", RESOLV_CONF_CAP),
		    "cap: a name server wait of 5 s"))
		return;
	cpns_peer_parse("hang-cap.test:7000", &p, NULL, 0);
	for (i = 0; i < CPNS_LOOKUPS_MAX; i++) {
		lk[i] = cpns_resolve_start(loop, &p, on_lookup, &r);
		n += lk[i] != NULL;
	}
	tap_ok(n == CPNS_LOOKUPS_MAX, "cap: %d lookups wait at once", n);
	errno = 0;
	more = cpns_resolve_start(loop, &p, on_lookup, &late);
	tap_ok(!more && errno == EAGAIN, "cap: one more is refused (%s)",
	       strerror(errno));
	if (more)
		cpns_resolve_cancel(more);
	for (i = 0; i < CPNS_LOOKUPS_MAX; i++)
		if (lk[i])
			cpns_resolve_cancel(lk[i]);
	/* Cancelled, they still count until their threads give up. */
	run_until(loop, NULL, 8000);
	write_file("resolv.conf", RESOLV_CONF);
	cpns_peer_parse("near.test:7000", &p, NULL, 0);
	more = cpns_resolve_start(loop, &p, on_lookup, &late);
	if (tap_ok(more != NULL, "cap: once they ended, a lookup starts"))
		run_until(loop, &late, GUARD_MS);
	tap_ok(late.done && !late.ret && !r.calls,
	       "cap: it resolves; the cancelled ones never called back");
	if (late.res)
		freeaddrinfo(late.res);
}

int main(void)
{
	struct cpns_loop *loop;
	char why[256] = "";
	int sfd, ret;

	ret = setup(why, sizeof(why));
	if (ret) {
		tap_skip(why, "resolve: no namespace with a silent name server");
		if (dir[sizeof(dir) - 7] != 'X')
			cleanup();
		return tap_done();
	}
	sfd = silent_server();
	if (!tap_ok(sfd >= 0, "a silent name server on 127.0.0.1:53")) {
		cleanup();
		return tap_done();
	}
	loop = cpns_loop_new();
	if (tap_ok(loop != NULL, "loop")) {
		test_silent(loop);
		test_hosts(loop);
		test_cap(loop);
		test_cancel(loop);
		cpns_loop_free(loop);
	}
	close(sfd);
	cleanup();
	return tap_done();
}
