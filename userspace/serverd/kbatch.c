// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The flows' kernel commands of the loop's events, run together. A
 * handler that needs the kernel queues its connection with the command's
 * ops (kbatch_submit()); once the loop is idle (no event ready, or four
 * batches of events since: cpns_loop_defer_idle()), the waiting
 * connections of each command go to the kernel as one CPNS_CMD_BATCH,
 * every item with its own result (Documentation/netlink.rst), and each
 * connection's flow goes on from its result. A lone command runs as
 * itself, built and read by the same ops, so one flow at a time waits no
 * longer than before.
 *
 * A connection waits for one command at most: it reads its next message
 * at its next event, after the command. A batch the kernel refuses whole
 * (no memory, a module without CPNS_CMD_BATCH) is run item by item.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "serverd.h"

/* The connections of one CPNS_CMD_BATCH. */
struct kbatch_run {
	const struct kbatch_ops *ops;
	struct sconn *sc[KBATCH_MAX];
	size_t n;
};

static int item_build(struct cpns_msg *msg, size_t i, void *arg)
{
	struct kbatch_run *r = arg;

	return r->ops->build(msg, r->sc[i]);
}

/* A reply that item parsing refused: its failure, as the kernel's would be. */
static void malformed(struct sconn *sc, int err, const struct kbatch_ops *ops)
{
	struct cpns_item_result bad = {
		.err = err, .attr_type = -1, .miss_type = -1,
	};

	cpns_item_error(&bad, &sc->kb_error);
	snprintf(sc->kb_error.msg, sizeof(sc->kb_error.msg),
		 "malformed kernel reply to %s", cpns_cmd_name(ops->cmd));
}

static int item_done(const struct cpns_reply *item,
		     const struct cpns_item_result *res, void *arg)
{
	struct kbatch_run *r = arg;
	struct sconn *sc = r->sc[res->index];
	int err;

	if (res->err) {
		cpns_item_error(res, &sc->kb_error);
		return 0;
	}
	err = r->ops->reply(item, sc);
	if (err)
		malformed(sc, err, r->ops);
	else
		sc->kb_error.err = 0;
	return 0;
}

struct alone {
	struct sconn *sc;
	const struct kbatch_ops *ops;
	int err;		/* the reply's parsing; -EBADMSG: none came */
};

static int alone_build(struct cpns_msg *msg, void *arg)
{
	const struct alone *a = arg;

	return a->ops->build(msg, a->sc);
}

static int alone_reply(const struct cpns_reply *reply, void *arg)
{
	struct alone *a = arg;

	a->err = a->ops->reply(reply, a->sc);
	return 0;
}

void kbatch_run_alone(struct sconn *sc, const struct kbatch_ops *ops)
{
	struct alone a = { .sc = sc, .ops = ops, .err = -EBADMSG };
	struct cpns_nl *nl = sc->srv->nl;
	int ret;

	ret = cpns_request(nl, ops->cmd, 0, alone_build, &a, alone_reply, &a);
	if (ret) {
		sc->kb_error = *cpns_last(nl);
		sc->kb_error.err = ret;
	} else if (a.err) {
		malformed(sc, a.err, ops);
	} else {
		sc->kb_error.err = 0;
	}
}

static void run(struct server *srv, struct kbatch_run *r)
{
	unsigned long long dropped = 0;
	size_t i;
	int ret;

	for (i = 0; i < r->n; i++)
		r->sc[i]->kb_error.err = -ECANCELED;
	if (r->n == 1) {
		kbatch_run_alone(r->sc[0], r->ops);
		return;
	}
	ret = cpns_batch(srv->nl, r->ops->cmd, r->n, item_build, item_done,
			 r);
	if (!ret)
		return;
	/* Once a minute at most: a starved kernel would refuse them all. */
	if (cpns_log_cause("kernel batch refused", 1, &dropped))
		cpns_warn("kernel: a batch of %zu %s refused whole: %s; its items run each alone (%llu more batches refused in the last %u s)",
			  r->n, cpns_cmd_name(r->ops->cmd),
			  cpns_last_error(srv->nl), dropped,
			  CPNS_LOG_REPEAT_MS / 1000);
	for (i = 0; i < r->n; i++)
		if (r->sc[i]->kb_error.err == -ECANCELED)
			kbatch_run_alone(r->sc[i], r->ops);
}

/* Take from the queue up to KBATCH_MAX connections waiting for ops. */
static void take(struct server *srv, const struct kbatch_ops *ops,
		 struct kbatch_run *r)
{
	struct sconn **pp = &srv->kb_queue, *sc;

	r->ops = ops;
	r->n = 0;
	while (*pp && r->n < KBATCH_MAX) {
		sc = *pp;
		if (sc->kb_ops != ops) {
			pp = &sc->kb_next;
			continue;
		}
		*pp = sc->kb_next;
		sc->kb_next = NULL;
		sc->kb_ops = NULL;
		r->sc[r->n++] = sc;
	}
}

void kbatch_flush(struct server *srv)
{
	struct kbatch_run r;
	size_t i;

	cpns_defer_cancel(srv->loop, &srv->kb_flush);
	while (srv->kb_queue) {
		take(srv, srv->kb_queue->kb_ops, &r);
		run(srv, &r);
		for (i = 0; i < r.n; i++) {
			r.ops->done(r.sc[i]);
			server_conn_update(r.sc[i]);
		}
	}
}

static void flush_deferred(struct cpns_loop *loop, struct cpns_defer *d)
{
	(void)loop;
	kbatch_flush(d->arg);
}

void kbatch_submit(struct sconn *sc, const struct kbatch_ops *ops)
{
	struct server *srv = sc->srv;

	sc->kb_ops = ops;
	sc->kb_next = srv->kb_queue;
	srv->kb_queue = sc;
	if (!srv->kb_flush.fn)
		cpns_defer_init(&srv->kb_flush, flush_deferred, srv);
	cpns_loop_defer_idle(srv->loop, &srv->kb_flush);
}

void kbatch_conn_gone(struct sconn *sc)
{
	struct sconn **pp = &sc->srv->kb_queue;

	if (!sc->kb_ops)
		return;
	while (*pp != sc)
		pp = &(*pp)->kb_next;
	*pp = sc->kb_next;
	sc->kb_next = NULL;
	sc->kb_ops = NULL;
}
