// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemons' event loop: epoll for sockets, one timerfd armed at the
 * earliest of any number of deadlines (a binary heap of timers), and a
 * signalfd, so that every event, signals included, is handled in one place
 * and never in a signal handler. Also start-up as a daemon.
 */
#define _GNU_SOURCE	/* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define LOOP_BATCH	64
/* Idle work waits for at most this many batches of events. */
#define LOOP_IDLE_BATCHES	4

struct cpns_loop {
	int epfd;
	int sigfd;
	int timerfd;
	sigset_t oldmask;
	bool stop;
	int stop_signal;
	cpns_signal_fn on_signal;
	void *signal_arg;

	/* The batch being dispatched: cpns_watch_del() forgets its events. */
	struct epoll_event ev[LOOP_BATCH];
	int nev;
	int cur;
	uint64_t wakeups;	/* the batches so far, this one included */

	/* Deferred work, run after each batch, in the order queued. */
	struct cpns_defer *defer_head;
	struct cpns_defer **defer_tail;
	/* Work deferred until the loop is idle, and the batches since. */
	struct cpns_defer *idle_head;
	struct cpns_defer **idle_tail;
	unsigned int idle_batches;

	/* Timers, a binary min-heap on ->when; ->slot is the position. */
	struct cpns_timer **heap;
	size_t nheap;
	size_t capheap;
	/* What timerfd is set to, 0: disarmed. Never later than the
	 * earliest timer; it may be earlier (timer_sync()).
	 */
	uint64_t armed_at;

	/* The loop's own descriptors are watches like any other. */
	struct cpns_watch sigw;
	struct cpns_watch timerw;
};

uint64_t cpns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The coarse clock is the time of the last tick, read from the vDSO
 * without a system call whatever the clock source; CLOCK_MONOTONIC needs
 * one where the clock source has no vDSO mapping (the HPET of a VM).
 */
uint64_t cpns_now_coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t cpns_after_ms(uint64_t ms)
{
	static uint64_t tick_ms;

	if (!tick_ms) {
		struct timespec res;

		if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) ||
		    res.tv_sec)
			return cpns_now_ms() + ms;
		tick_ms = ((uint64_t)res.tv_nsec + 999999) / 1000000 + 1;
	}
	return cpns_now_coarse_ms() + tick_ms + ms;
}

/* ---------------------------------------------------------------- timers */

static void heap_swap(struct cpns_loop *l, size_t a, size_t b)
{
	struct cpns_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->slot = a;
	l->heap[b]->slot = b;
}

static void heap_up(struct cpns_loop *l, size_t i)
{
	while (i && l->heap[(i - 1) / 2]->when > l->heap[i]->when) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct cpns_loop *l, size_t i)
{
	for (;;) {
		size_t m = i, c = 2 * i + 1;

		if (c < l->nheap && l->heap[c]->when < l->heap[m]->when)
			m = c;
		if (c + 1 < l->nheap && l->heap[c + 1]->when < l->heap[m]->when)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

/*
 * Set the timerfd to the earliest deadline (absolute, CLOCK_MONOTONIC) if
 * that is earlier than what it is set to. A later one (the earliest timer
 * disarmed or moved on, as a connection's is at every message) leaves it:
 * it fires early once, finds nothing due and is set again, instead of a
 * system call at every change.
 */
static void timer_sync(struct cpns_loop *l)
{
	struct itimerspec its;
	uint64_t when = l->nheap ? l->heap[0]->when : 0;

	if (!when || (l->armed_at && l->armed_at <= when))
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(when / 1000);
	its.it_value.tv_nsec = (long)(when % 1000) * 1000000;
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		l->armed_at = when;
}

void cpns_timer_init(struct cpns_timer *t, cpns_timer_fn fn, void *arg)
{
	t->when = 0;
	t->fn = fn;
	t->arg = arg;
	t->slot = SIZE_MAX;
}

bool cpns_timer_armed(const struct cpns_timer *t)
{
	return t->slot != SIZE_MAX;
}

int cpns_timer_arm(struct cpns_loop *l, struct cpns_timer *t, uint64_t when)
{
	/* 0 disarms a timerfd and means "none" here: the earliest is 1. */
	if (!when)
		when = 1;
	if (cpns_timer_armed(t)) {
		uint64_t old = t->when;

		t->when = when;
		if (when < old)
			heap_up(l, t->slot);
		else
			heap_down(l, t->slot);
	} else {
		if (l->nheap == l->capheap) {
			size_t cap = l->capheap ? 2 * l->capheap : 64;
			struct cpns_timer **h;

			h = realloc(l->heap, cap * sizeof(*h));
			if (!h)
				return -ENOMEM;
			l->heap = h;
			l->capheap = cap;
		}
		t->when = when;
		t->slot = l->nheap;
		l->heap[l->nheap++] = t;
		heap_up(l, t->slot);
	}
	timer_sync(l);
	return 0;
}

void cpns_timer_disarm(struct cpns_loop *l, struct cpns_timer *t)
{
	size_t i = t->slot;

	if (!cpns_timer_armed(t))
		return;
	t->slot = SIZE_MAX;
	l->nheap--;
	if (i != l->nheap) {
		l->heap[i] = l->heap[l->nheap];
		l->heap[i]->slot = i;
		heap_down(l, i);
		heap_up(l, l->heap[i]->slot);
	}
	timer_sync(l);
}

/* Fire every timer due, earliest first; each is disarmed before its call,
 * and a call may arm or disarm any timer.
 */
static void timers_run(struct cpns_loop *l)
{
	uint64_t now = cpns_now_ms();

	while (l->nheap && l->heap[0]->when <= now && !l->stop) {
		struct cpns_timer *t = l->heap[0];

		cpns_timer_disarm(l, t);
		t->fn(l, t);
	}
}

static void timerfd_ready(struct cpns_loop *l, struct cpns_watch *w,
			  uint32_t events)
{
	uint64_t ticks;

	(void)events;
	if (read(w->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		cpns_warn("timerfd: %s", strerror(errno));
	l->armed_at = 0;	/* it fired: disarmed until set again */
	timers_run(l);
	timer_sync(l);
}

/* --------------------------------------------------------------- signals */

static void signalfd_ready(struct cpns_loop *l, struct cpns_watch *w,
			   uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(w->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (l->on_signal) {
			l->on_signal(l, signo, l->signal_arg);
		} else if (signo == SIGHUP) {
			cpns_notice("SIGHUP ignored");
		} else {
			cpns_notice("%s: stopping", strsignal(signo));
			l->stop = true;
			l->stop_signal = signo;
		}
	}
}

void cpns_loop_on_signal(struct cpns_loop *l, cpns_signal_fn fn, void *arg)
{
	l->on_signal = fn;
	l->signal_arg = arg;
}

/* --------------------------------------------------------------- watches */

int cpns_watch_add(struct cpns_loop *l, struct cpns_watch *w, int fd,
		   uint32_t events, cpns_watch_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	w->fd = fd;
	w->events = events;
	w->fn = fn;
	w->arg = arg;
	w->added = false;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	w->added = true;
	return 0;
}

int cpns_watch_mod(struct cpns_loop *l, struct cpns_watch *w,
		   uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (!w->added)
		return -ENOENT;
	if (events == w->events)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev))
		return -errno;
	w->events = events;
	return 0;
}

static void watch_forget(struct cpns_loop *l, struct cpns_watch *w)
{
	int i;

	w->added = false;
	/* Its events later in this batch must not be delivered: the
	 * caller may free w as soon as we return.
	 */
	for (i = l->cur + 1; i < l->nev; i++)
		if (l->ev[i].data.ptr == w)
			l->ev[i].data.ptr = NULL;
}

void cpns_watch_del(struct cpns_loop *l, struct cpns_watch *w)
{
	if (!w->added)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	watch_forget(l, w);
}

void cpns_watch_drop(struct cpns_loop *l, struct cpns_watch *w)
{
	if (w->added)
		watch_forget(l, w);
}

/* ------------------------------------------------------------------ loop */

struct cpns_loop *cpns_loop_new(void)
{
	struct sigaction sa;
	struct cpns_loop *l;
	sigset_t mask;
	int err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->epfd = -1;
	l->sigfd = -1;
	l->timerfd = -1;
	l->cur = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, &l->oldmask))
		goto err_free;

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		goto err_close;
	l->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		goto err_close;
	l->timerfd = timerfd_create(CLOCK_MONOTONIC,
				    TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->timerfd < 0)
		goto err_close;
	err = cpns_watch_add(l, &l->sigw, l->sigfd, EPOLLIN, signalfd_ready,
			     NULL);
	if (!err)
		err = cpns_watch_add(l, &l->timerw, l->timerfd, EPOLLIN,
				     timerfd_ready, NULL);
	if (err) {
		errno = -err;
		goto err_close;
	}
	return l;

err_close:
	err = errno;
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	errno = err;
err_free:
	free(l);
	return NULL;
}

void cpns_loop_free(struct cpns_loop *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nheap; i++)
		l->heap[i]->slot = SIZE_MAX;
	free(l->heap);
	close(l->timerfd);
	close(l->sigfd);
	close(l->epfd);
	sigprocmask(SIG_SETMASK, &l->oldmask, NULL);
	free(l);
}

void cpns_loop_stop(struct cpns_loop *l)
{
	l->stop = true;
}

void cpns_loop_stop_by(struct cpns_loop *l, int signo)
{
	l->stop = true;
	l->stop_signal = signo;
}

int cpns_loop_stop_signal(const struct cpns_loop *l)
{
	return l->stop_signal;
}

void cpns_defer_init(struct cpns_defer *d, cpns_defer_fn fn, void *arg)
{
	d->fn = fn;
	d->arg = arg;
	d->queued = false;
	d->idle = false;
	d->next = NULL;
}

static void defer_queue(struct cpns_defer **head, struct cpns_defer ***tail,
			struct cpns_defer *d, bool idle)
{
	if (d->queued)
		return;
	d->queued = true;
	d->idle = idle;
	d->next = NULL;
	if (!*head)
		*tail = head;
	**tail = d;
	*tail = &d->next;
}

void cpns_loop_defer(struct cpns_loop *l, struct cpns_defer *d)
{
	defer_queue(&l->defer_head, &l->defer_tail, d, false);
}

void cpns_loop_defer_idle(struct cpns_loop *l, struct cpns_defer *d)
{
	defer_queue(&l->idle_head, &l->idle_tail, d, true);
}

void cpns_defer_cancel(struct cpns_loop *l, struct cpns_defer *d)
{
	struct cpns_defer **head = d->idle ? &l->idle_head : &l->defer_head;
	struct cpns_defer ***tail = d->idle ? &l->idle_tail : &l->defer_tail;
	struct cpns_defer **pp;

	if (!d->queued)
		return;
	for (pp = head; *pp != d; pp = &(*pp)->next)
		;
	*pp = d->next;
	if (*tail == &d->next)
		*tail = pp;
	d->queued = false;
}

/* Run the deferred work, and what it defers in turn. */
static void defer_run(struct cpns_loop *l)
{
	struct cpns_defer *d;

	while ((d = l->defer_head) && !l->stop) {
		cpns_defer_cancel(l, d);
		d->fn(l, d);
	}
}

/* Run the idle work, then what it defers in turn. */
static void idle_run(struct cpns_loop *l)
{
	struct cpns_defer *d;

	l->idle_batches = 0;
	while ((d = l->idle_head) && !l->stop) {
		cpns_defer_cancel(l, d);
		d->fn(l, d);
	}
	defer_run(l);
}

uint64_t cpns_loop_wakeups(const struct cpns_loop *l)
{
	return l->wakeups;
}

int cpns_loop_run(struct cpns_loop *l)
{
	l->stop = false;
	while (!l->stop) {
		/* With idle work queued, only what is ready now is taken. */
		int n = epoll_wait(l->epfd, l->ev, LOOP_BATCH,
				   l->idle_head ? 0 : -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n) {
			idle_run(l);
			continue;
		}
		l->wakeups++;
		l->nev = n;
		for (l->cur = 0; l->cur < l->nev && !l->stop; l->cur++) {
			struct cpns_watch *w = l->ev[l->cur].data.ptr;

			if (w)
				w->fn(l, w, l->ev[l->cur].events);
		}
		l->nev = 0;
		l->cur = -1;
		defer_run(l);
		/* A timer may be due without the timerfd in this batch (the
		 * coarse clock is never ahead: nothing runs early).
		 */
		if (!l->stop && l->nheap &&
		    l->heap[0]->when <= cpns_now_coarse_ms()) {
			timers_run(l);
			defer_run(l);
		}
		if (l->idle_head && ++l->idle_batches >= LOOP_IDLE_BATCHES)
			idle_run(l);
	}
	return 0;
}

/* ---------------------------------------------------------------- daemon */

static int ready_fd = -1;

int cpns_daemon_start(void)
{
	int pfd[2], null;
	char c;
	pid_t pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid > 0) {
		/* The parent: exit when the child is ready or gone. */
		close(pfd[1]);
		do {
			n = read(pfd[0], &c, 1);
		} while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(pfd[0]);
	ready_fd = pfd[1];
	cpns_log_echo(true);
	if (setsid() < 0)
		return -errno;
	umask(022);
	if (chdir("/"))
		return -errno;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	close(null);
	return 0;
}

void cpns_daemon_ready(void)
{
	int null;

	if (ready_fd < 0)
		return;
	cpns_log_echo(false);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(ready_fd, "", 1) != 1)
		cpns_warn("daemon start-up: cannot signal the parent: %s",
			  strerror(errno));
	close(ready_fd);
	ready_fd = -1;
}
