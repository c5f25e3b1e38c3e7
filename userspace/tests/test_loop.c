// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The event loop (lib/daemon/loop.c): timers fire in order whatever order they
 * were armed in, a callback may delete another watch or disarm another
 * timer (which then never runs), a timer disarmed after the timerfd was
 * set for it leaves the next one on time, a dropped watch is never called,
 * and SIGTERM stops the loop. Deferred work runs once per batch, after
 * every event of it, and not once cancelled; idle work once no event is
 * ready or after four batches. The clocks: the coarse one
 * never ahead, a deadline never early.
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

static uint64_t late_fired;

static void late_fn(struct cpns_loop *loop, struct cpns_timer *t)
{
	(void)t;
	late_fired = cpns_now_ms();
	cpns_loop_stop(loop);
}

static void never_fn(struct cpns_loop *loop, struct cpns_timer *t)
{
	(void)t;
	late_fired = 1;		/* a disarmed timer ran */
	cpns_loop_stop(loop);
}

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

/* Deferred work: three readable watches in one batch queue it. */
static struct {
	struct cpns_watch w[3];
	int fds[3][2];
	int events;		/* watch calls so far */
	int seen;		/* events when d ran */
	int d_runs, e_runs, f_runs;
	struct cpns_defer d, e, f;
	uint64_t wk[3], wk_d;	/* cpns_loop_wakeups() at each */
} df;

static void df_watch(struct cpns_loop *loop, struct cpns_watch *w,
		     uint32_t events)
{
	char c;

	(void)events;
	if (read(w->fd, &c, 1) != 1 || df.events >= 3)
		return;
	df.wk[df.events] = cpns_loop_wakeups(loop);
	df.events++;
	cpns_loop_defer(loop, &df.d);
	cpns_loop_defer(loop, &df.e);
	if (df.events == 3)
		cpns_defer_cancel(loop, &df.e);
}

static void df_d(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)d;
	df.d_runs++;
	df.seen = df.events;
	df.wk_d = cpns_loop_wakeups(loop);
	/* Deferred from deferred work: runs in the same pass. */
	cpns_loop_defer(loop, &df.f);
}

static void df_e(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)loop;
	(void)d;
	df.e_runs++;
}

static void df_f(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)d;
	df.f_runs++;
	cpns_loop_stop(loop);
}

static void defer_test(struct cpns_loop *loop)
{
	uint64_t before;
	int i, ok = 1;

	cpns_defer_init(&df.d, df_d, NULL);
	cpns_defer_init(&df.e, df_e, NULL);
	cpns_defer_init(&df.f, df_f, NULL);
	for (i = 0; i < 3; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, df.fds[i]) ||
		    write(df.fds[i][1], "x", 1) != 1 ||
		    cpns_watch_add(loop, &df.w[i], df.fds[i][0], EPOLLIN,
				   df_watch, NULL))
			ok = 0;
	}
	before = cpns_loop_wakeups(loop);
	if (ok)
		ok = cpns_loop_run(loop) == 0;
	tap_ok(ok && df.events == 3 &&
	       df.d_runs == 1 && df.seen == 3 && df.e_runs == 0 &&
	       df.f_runs == 1,
	       "loop: deferred work runs once after the batch's %d events (once: %d, cancelled: %d runs, deferred by it: %d)",
	       df.events, df.d_runs, df.e_runs, df.f_runs);
	tap_ok(ok && df.wk_d == before + 1 && df.wk[0] == df.wk_d &&
	       df.wk[1] == df.wk_d && df.wk[2] == df.wk_d,
	       "loop: one wake-up number (%llu, before %llu) for the batch's events and its deferred work",
	       (unsigned long long)df.wk_d, (unsigned long long)before);
	for (i = 0; i < 3; i++) {
		cpns_watch_del(loop, &df.w[i]);
		close(df.fds[i][0]);
		close(df.fds[i][1]);
	}
}

/*
 * Idle work: a socket with bytes waiting (one read per batch keeps it
 * ready) queues it at its first event; it runs at the end of the fourth
 * batch, or of the batch that leaves nothing ready.
 */
static struct {
	struct cpns_watch w;
	int fds[2];
	int reads;		/* bytes read so far */
	int reads_at_run;	/* reads when d ran */
	int d_runs, e_runs, f_runs;
	bool stop_in_d;
	struct cpns_defer d, e, f;
	uint64_t wk_first, wk_d;
} id;

static void id_watch(struct cpns_loop *loop, struct cpns_watch *w,
		     uint32_t events)
{
	char c;

	(void)events;
	if (read(w->fd, &c, 1) != 1)
		return;
	if (!id.reads++) {
		id.wk_first = cpns_loop_wakeups(loop);
		cpns_loop_defer_idle(loop, &id.d);
		cpns_loop_defer_idle(loop, &id.e);
		cpns_defer_cancel(loop, &id.e);
	}
}

static void id_d(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)d;
	id.d_runs++;
	id.reads_at_run = id.reads;
	id.wk_d = cpns_loop_wakeups(loop);
	/* Deferred from idle work: runs in the same pass. */
	cpns_loop_defer(loop, &id.f);
}

static void id_e(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)loop;
	(void)d;
	id.e_runs++;
}

static void id_f(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)d;
	id.f_runs++;
	if (id.stop_in_d)
		cpns_loop_stop(loop);
}

/* A timer that stops the loop once the socket is drained. */
static void id_stop(struct cpns_loop *loop, struct cpns_timer *t)
{
	(void)t;
	cpns_loop_stop(loop);
}

static void idle_run_once(struct cpns_loop *loop, int bytes, bool stop_in_d)
{
	struct cpns_timer stop;
	int i;

	memset(&id, 0, sizeof(id));
	id.stop_in_d = stop_in_d;
	cpns_defer_init(&id.d, id_d, NULL);
	cpns_defer_init(&id.e, id_e, NULL);
	cpns_defer_init(&id.f, id_f, NULL);
	cpns_timer_init(&stop, id_stop, NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, id.fds))
		return;
	for (i = 0; i < bytes; i++)
		if (write(id.fds[1], "x", 1) != 1)
			return;
	cpns_watch_add(loop, &id.w, id.fds[0], EPOLLIN, id_watch, NULL);
	if (!stop_in_d)
		cpns_timer_arm(loop, &stop, cpns_now_ms() + 100);
	cpns_loop_run(loop);
	cpns_timer_disarm(loop, &stop);
	cpns_watch_del(loop, &id.w);
	close(id.fds[0]);
	close(id.fds[1]);
}

static void idle_test(struct cpns_loop *loop)
{
	idle_run_once(loop, 1, true);
	tap_ok(id.d_runs == 1 && id.reads_at_run == 1 &&
	       id.wk_d == id.wk_first && id.e_runs == 0 && id.f_runs == 1,
	       "loop: idle work runs after the batch that leaves nothing ready (%d runs, after %d events, wake-up %llu of %llu), not once cancelled (%d), and what it defers with it (%d)",
	       id.d_runs, id.reads_at_run, (unsigned long long)id.wk_d,
	       (unsigned long long)id.wk_first, id.e_runs, id.f_runs);
	idle_run_once(loop, 10, false);
	tap_ok(id.d_runs == 1 && id.reads_at_run == 4 &&
	       id.wk_d == id.wk_first + 3 && id.reads == 10 && id.f_runs == 1,
	       "loop: idle work waits for at most four batches with events ready (%d runs, after %d of %d events, wake-up %llu, first %llu)",
	       id.d_runs, id.reads_at_run, id.reads,
	       (unsigned long long)id.wk_d, (unsigned long long)id.wk_first);
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

	/* The timerfd was set for the first; it is disarmed, and the loop
	 * wakes early once for nothing, then on time for the second.
	 */
	{
		struct cpns_timer early, late;
		uint64_t t0 = cpns_now_ms();

		cpns_timer_init(&early, never_fn, NULL);
		cpns_timer_init(&late, late_fn, NULL);
		cpns_timer_arm(loop, &early, t0 + 20);
		cpns_timer_arm(loop, &late, t0 + 150);
		cpns_timer_disarm(loop, &early);
		if (cpns_loop_run(loop))
			late_fired = 0;
		tap_ok(late_fired >= t0 + 150 &&
		       late_fired < t0 + 5000,
		       "loop: a timer after a disarmed earlier one fires on time (%llu ms)",
		       (unsigned long long)(late_fired - t0));
	}

	/* A dropped watch, its descriptor closed: never called again. */
	{
		int sv[2];

		memset(rec.calls, 0, sizeof(rec.calls));
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, rec.fds[0]) ||
		    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
		    write(rec.fds[0][1], "x", 1) != 1 ||
		    write(sv[1], "y", 1) != 1)
			return tap_done();
		cpns_watch_add(loop, &rec.w[1], sv[0], EPOLLIN, watch_fn,
			       NULL);
		cpns_watch_add(loop, &rec.w[0], rec.fds[0][0], EPOLLIN,
			       watch_fn, NULL);
		cpns_watch_drop(loop, &rec.w[1]);
		close(sv[0]);
		tap_ok(cpns_loop_run(loop) == 0 && rec.calls[0] == 1 &&
		       rec.calls[1] == 0,
		       "loop: a watch dropped and closed is not called");
		cpns_watch_del(loop, &rec.w[0]);
		close(rec.fds[0][0]);
		close(rec.fds[0][1]);
		close(sv[1]);
	}

	{
		uint64_t real = cpns_now_ms(), coarse = cpns_now_coarse_ms();
		uint64_t after = cpns_after_ms(1000), real2 = cpns_now_ms();

		/* Early only by the ticks' lateness on a loaded machine. */
		tap_ok(coarse <= real2 && after + 100 >= real + 1000 &&
		       after <= real2 + 1000 + 100,
		       "clock: coarse %lld ms behind, a deadline %lld ms late at most",
		       (long long)real - (long long)coarse,
		       (long long)after - (long long)real - 1000);
	}

	defer_test(loop);
	idle_test(loop);

	/* SIGTERM, read from the signalfd. */
	kill(getpid(), SIGTERM);
	tap_ok(cpns_loop_run(loop) == 0 &&
	       cpns_loop_stop_signal(loop) == SIGTERM,
	       "loop: SIGTERM stops the loop");
	cpns_loop_free(loop);
	return tap_done();
}
