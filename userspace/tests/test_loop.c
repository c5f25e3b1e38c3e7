// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The event loop (lib/daemon/loop.c): timers fire in order whatever order they
 * were armed in, a callback may delete another watch or disarm another
 * timer (which then never runs), and SIGTERM stops the loop.
 */
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"
#include "tap.h"

#define NT 40

struct rec {
	int order[NT + 4];
	int n;
	struct cpns_timer t[NT];
	struct cpns_watch w[2];
	int fds[2][2];
	int calls[2];
};

static struct rec rec;

static void timer_fn(struct cpns_loop *loop, struct cpns_timer *t)
{
	int i = (int)(t - rec.t);

	rec.order[rec.n++] = i;
	/* Timer 5 disarms timer 6 (due at the same time or later). */
	if (i == 5)
		cpns_timer_disarm(loop, &rec.t[6]);
	if (rec.n == NT - 2)
		cpns_loop_stop(loop);
}

static void watch_fn(struct cpns_loop *loop, struct cpns_watch *w,
		     uint32_t events)
{
	int i = (int)(w - rec.w);
	char c;

	(void)events;
	rec.calls[i]++;
	if (read(w->fd, &c, 1) != 1)
		return;
	/* Whichever runs first deletes the other, readable too. */
	cpns_watch_del(loop, &rec.w[!i]);
	cpns_loop_stop(loop);
}

int main(void)
{
	struct cpns_loop *loop = cpns_loop_new();
	uint64_t now = cpns_now_ms();
	bool sorted = true;
	int i;

	/* The loop's "stopping" notice is not part of the TAP output. */
	cpns_log_open("test_loop", CPNS_LOG_STDERR, CPNS_LOG_WARNING);
	if (!tap_ok(loop != NULL, "loop: new"))
		return tap_done();

	/* Armed in a scrambled order, some re-armed, one disarmed. */
	memset(&rec, 0, sizeof(rec));
	for (i = 0; i < NT; i++)
		cpns_timer_init(&rec.t[i], timer_fn, NULL);
	for (i = 0; i < NT; i++) {
		int j = (i * 17) % NT;

		cpns_timer_arm(loop, &rec.t[j], now + 200 + (uint64_t)j * 5);
	}
	cpns_timer_arm(loop, &rec.t[3], now + 1);	/* re-arm earlier */
	cpns_timer_arm(loop, &rec.t[3], now + 200 + 3 * 5);	/* and back */
	cpns_timer_disarm(loop, &rec.t[10]);
	tap_ok(!cpns_timer_armed(&rec.t[10]) && cpns_timer_armed(&rec.t[11]),
	       "loop: armed and disarmed");
	tap_ok(cpns_loop_run(loop) == 0, "loop: run until stopped");
	for (i = 1; i < rec.n; i++)
		sorted &= rec.order[i - 1] < rec.order[i];
	tap_ok(rec.n == NT - 2 && sorted && cpns_now_ms() >= now + 200,
	       "loop: %d timers fired in deadline order, not before their time",
	       rec.n);
	for (i = 0; i < rec.n; i++)
		if (rec.order[i] == 6 || rec.order[i] == 10)
			sorted = false;
	tap_ok(sorted, "loop: a timer disarmed (even by another's callback) never fires");
	for (i = 0; i < NT; i++)
		cpns_timer_disarm(loop, &rec.t[i]);

	/* Two readable sockets; the first callback deletes the other. */
	for (i = 0; i < 2; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, rec.fds[i]) ||
		    write(rec.fds[i][1], "x", 1) != 1)
			return tap_done();
		cpns_watch_add(loop, &rec.w[i], rec.fds[i][0], EPOLLIN,
			       watch_fn, NULL);
	}
	tap_ok(cpns_loop_run(loop) == 0 &&
	       rec.calls[0] + rec.calls[1] == 1,
	       "loop: a watch deleted by a callback is not called in the same batch");
	for (i = 0; i < 2; i++) {
		cpns_watch_del(loop, &rec.w[i]);
		close(rec.fds[i][0]);
		close(rec.fds[i][1]);
	}

	/* SIGTERM, read from the signalfd. */
	kill(getpid(), SIGTERM);
	tap_ok(cpns_loop_run(loop) == 0 &&
	       cpns_loop_stop_signal(loop) == SIGTERM,
	       "loop: SIGTERM stops the loop");
	cpns_loop_free(loop);
	return tap_done();
}
