// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Timing. Each side of an operation runs for a fixed time, not a fixed
 * count, in b->rounds slices that alternate kernel and userspace (and
 * which goes first), so that a slow spell of the host (other VMs, the
 * emulator's translation cache) falls on both sides alike.
 */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"

#define NSEC_PER_SEC	1000000000ull

uint64_t bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

double bench_clock_cost(void)
{
	uint64_t start = bench_now(), end, n = 0;

	/* 20 ms of back-to-back readings. */
	do {
		end = bench_now();
		n++;
	} while (end - start < NSEC_PER_SEC / 50);
	return (double)(end - start) / (double)n;
}

double bench_rate(const struct bench_sample *s)
{
	return s->ns ? (double)s->ops * NSEC_PER_SEC / (double)s->ns : 0;
}

static int failed(const struct bench_op *op, bool kernel, int err)
{
	fprintf(stderr, "cpns-bench: %s (%s) failed\n", op->name,
		kernel ? "kernel" : "userspace");
	return err;
}

/*
 * No prep() or done(): time batches of run(), doubling the batch while
 * one takes under a hundredth of the budget, so that reading the clock
 * is a vanishing part of the time.
 */
static int slice_batched(struct bench *b, const struct bench_op *op,
			 const struct bench_fn *fn, uint64_t budget,
			 struct bench_sample *s)
{
	uint64_t start = bench_now(), t0, t1 = start, batch = 1, i;
	int err;

	do {
		t0 = t1;
		for (i = 0; i < batch; i++) {
			err = fn->run(b, op);
			if (err)
				return err;
		}
		s->ops += batch;
		t1 = bench_now();
		if (t1 - t0 < budget / 100)
			batch *= 2;
	} while (t1 - start < budget);
	s->ns += t1 - start;
	return 0;
}

/*
 * With prep() or done(): time each run() alone. An interval read this way
 * also holds about one reading of the clock, which is taken off: in the
 * VM the clocksource is the emulated HPET, and a reading costs some 10 us.
 */
static int slice_each(struct bench *b, const struct bench_op *op,
		      const struct bench_fn *fn, uint64_t budget,
		      struct bench_sample *s)
{
	uint64_t spent = 0, t0, t1, dt, clock = (uint64_t)b->clock_ns;
	int err;

	do {
		if (fn->prep) {
			err = fn->prep(b, op);
			if (err)
				return err;
		}
		t0 = bench_now();
		err = fn->run(b, op);
		t1 = bench_now();
		if (err)
			return err;
		if (fn->done) {
			err = fn->done(b, op);
			if (err)
				return err;
		}
		dt = t1 - t0;
		spent += dt > 2 * clock ? dt - clock : dt / 2;
		s->ops++;
	} while (spent < budget);
	s->ns += spent;
	return 0;
}

static int slice(struct bench *b, const struct bench_op *op, bool kernel,
		 uint64_t budget, struct bench_sample *s)
{
	const struct bench_fn *fn = kernel ? &op->k : &op->u;
	int err;

	if (kernel && b->user_only)
		return 0;
	if (fn->prep || fn->done)
		err = slice_each(b, op, fn, budget, s);
	else
		err = slice_batched(b, op, fn, budget, s);
	return err ? failed(op, kernel, err) : 0;
}

int bench_measure(struct bench *b, const struct bench_op *op,
		  struct bench_result *res)
{
	uint64_t budget = (uint64_t)(b->seconds * NSEC_PER_SEC / b->rounds);
	uint64_t warm = (uint64_t)(b->warmup * NSEC_PER_SEC);
	struct bench_sample scratch = { 0, 0 };
	unsigned int r;
	bool kfirst;
	int err;

	*res = (struct bench_result){ .op = op, .rounds = b->rounds };
	if (b->verbose)
		fprintf(stderr, "cpns-bench: %s ...\n", op->name);

	err = op->k.setup && !b->user_only ? op->k.setup(b, op) : 0;
	if (err)
		return failed(op, true, err);
	err = op->u.setup ? op->u.setup(b, op) : 0;
	if (err)
		return failed(op, false, err);

	if (warm) {
		err = slice(b, op, true, warm, &scratch);
		if (!err)
			err = slice(b, op, false, warm, &scratch);
		if (err)
			return err;
	}

	for (r = 0; r < b->rounds; r++) {
		kfirst = !(r & 1);
		err = slice(b, op, kfirst, budget, kfirst ? &res->k[r] : &res->u[r]);
		if (!err)
			err = slice(b, op, !kfirst, budget,
				    kfirst ? &res->u[r] : &res->k[r]);
		if (err)
			return err;
		res->ktot.ops += res->k[r].ops;
		res->ktot.ns += res->k[r].ns;
		res->utot.ops += res->u[r].ops;
		res->utot.ns += res->u[r].ns;
	}
	return 0;
}
