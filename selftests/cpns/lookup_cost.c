// SPDX-License-Identifier: GPL-2.0
/*
 * lookup_cost: what a key lookup costs as a gateway's keyring grows
 * (Documentation/performance.rst, "Key lookups"). GW1 gets a seed (I-2,
 * I-3) and then runs flow II (II-1 .. II-8) with S until its ".cpns"
 * keyring holds each SIZE keys in turn (the seed and SIZE - 1 confirmed
 * Device Keys); at each size it prints one line:
 *
 *   keys SIZE flow_ms F search_us P0 P1 absent_us A0 A1 dump_ms D
 *
 * F: the mean time of one flow II since the previous size (each makes and
 * replaces a key of GW1, looking keys up on the way); P: one
 * KEYCTL_SEARCH "cpns_device <hex id>" of a Device Key GW1 holds (every
 * ID in turn), which takes the path of the module's own lookups
 * (keyring_search() with the type's match_preparse); A: the same for a
 * Device ID that GW1 does not hold. Searches are timed in batches of
 * BATCH for at least --time seconds and --min batches; P0 and A0 are the
 * fastest batch's time per search, P1 and A1 the median batch's (on a
 * shared host the fastest is the one least disturbed). Every search must
 * find the right key (or none): a wrong answer fails the run. D: one
 * KEY_GET dump of GW1's keys, which must list SIZE keys.
 *
 * usage: lookup_cost [--time S] [--min N] SIZE...   (sizes increasing)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/keyctl.h>

#define BATCH		10
#define MAX_BATCHES	100000

#include "flowlib.h"
#include "tutil.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct devs {
	uint8_t (*did)[CPNS_DEVICE_ID_LEN];
	int32_t *serial;
	int n;
};

/* Flow II until GW1's keyring holds want keys (its seed and n devices). */
static int grow(struct fl_ctx *c, struct devs *d, int want, double *flow_ms)
{
	int from = d->n, err;
	double t0 = now();

	while (d->n + 1 < want) {
		err = fl_assign_derive(c);
		if (!err)
			err = fl_assign_confirm(c);
		if (err)
			return err;
		memcpy(d->did[d->n], c->did, CPNS_DEVICE_ID_LEN);
		d->serial[d->n] = c->dk_serial_g1;
		d->n++;
	}
	*flow_ms = d->n > from ? (now() - t0) * 1e3 / (d->n - from) : 0;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One KEYCTL_SEARCH in keyring kr of ID i of d, or of an ID not in it. */
static int search_one(int32_t kr, const struct devs *d, long i, bool absent)
{
	char hex[2 * CPNS_DEVICE_ID_LEN + 1];
	uint8_t id[CPNS_DEVICE_ID_LEN];
	int32_t r, want = absent ? -ENOKEY : d->serial[i % d->n];

	memcpy(id, d->did[i % d->n], sizeof(id));
	if (absent)
		id[CPNS_DEVICE_ID_LEN - 1] ^= 0x5a;
	snprintf(hex, sizeof(hex), "%s", tu_hex(id, sizeof(id)));
	r = tu_keyctl(KEYCTL_SEARCH, kr, (unsigned long)"cpns_device",
		      (unsigned long)hex, 0);
	if (r != want) {
		fprintf(stderr, "search %s in %d: %d, want %d\n", hex, kr, r,
			want);
		return -EBADE;
	}
	return 0;
}

/*
 * The time per search in microseconds of the fastest (us[0]) and the
 * median (us[1]) batch of KEYCTL_SEARCHes in keyring kr of the IDs of d
 * (absent: of IDs not in it): 0 or a negative errno.
 */
static int search_us(int32_t kr, const struct devs *d, bool absent,
		     double secs, long min, double us[2])
{
	static double batch[MAX_BATCHES];
	double t0 = now(), t1, t;
	long i = 0, n = 0, j;

	do {
		t1 = now();
		for (j = 0; j < BATCH; j++, i++)
			if (search_one(kr, d, i, absent))
				return -EBADE;
		t = now();
		batch[n++] = (t - t1) * 1e6 / BATCH;
	} while (n < MAX_BATCHES && (t - t0 < secs || n < min));
	qsort(batch, n, sizeof(*batch), cmp_double);
	us[0] = batch[0];
	us[1] = batch[n / 2];
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "min", required_argument, NULL, 'm' },
		{ 0 }
	};
	struct fl_ctx c = { 0 };
	struct devs d = { 0 };
	double secs = 1, flow_ms, p[2], a[2], t;
	struct cpns_info info;
	long min = 20;
	int opt, i, max = 0, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 't')
			secs = atof(optarg);
		else if (opt == 'm')
			min = atol(optarg);
		else
			return 2;
	}
	for (i = optind; i < argc; i++) {
		if (atoi(argv[i]) < 2 || atoi(argv[i]) < max) {
			fprintf(stderr, "lookup_cost: sizes from 2, increasing\n");
			return 2;
		}
		max = atoi(argv[i]);
	}
	if (!max) {
		fprintf(stderr, "usage: lookup_cost [--time S] [--min N] SIZE...\n");
		return 2;
	}
	d.did = calloc(max, sizeof(*d.did));
	d.serial = calloc(max, sizeof(*d.serial));
	if (!d.did || !d.serial)
		return 1;

	err = fl_open(&c, NULL, false);
	if (!err)
		err = fl_seed_new(&c);
	if (!err)
		err = fl_seed_xfer(&c);
	if (!err)
		err = cpns_get_info(c.g1.nl, &info);
	for (i = optind; !err && i < argc; i++) {
		err = grow(&c, &d, atoi(argv[i]), &flow_ms);
		if (err)
			break;
		t = now();
		err = fl_count_keys(&c.g1);
		t = (now() - t) * 1e3;
		if (err != d.n + 1) {
			fprintf(stderr, "GW1 holds %d keys, want %d\n", err,
				d.n + 1);
			err = -EBADE;
			break;
		}
		err = search_us(info.keyring, &d, false, secs, min, p);
		if (!err)
			err = search_us(info.keyring, &d, true, secs, min, a);
		if (err)
			break;
		printf("keys %d flow_ms %.2f search_us %.1f %.1f absent_us %.1f %.1f dump_ms %.1f\n",
		       d.n + 1, flow_ms, p[0], p[1], a[0], a[1], t);
		fflush(stdout);
	}
	fl_close(&c);
	free(d.did);
	free(d.serial);
	if (err)
		fprintf(stderr, "lookup_cost: %s\n", strerror(-err));
	return err ? 1 : 0;
}
