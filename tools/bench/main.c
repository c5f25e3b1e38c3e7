// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-bench: see usage() and Documentation/performance.rst.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#ifndef CPNS_BENCH_VECTORS
#define CPNS_BENCH_VECTORS "vectors.json"
#endif

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cpns-bench [OPTIONS] [OPERATION...]\n"
		"\n"
		"Operations per second of each cpns kernel operation through netlink,\n"
		"against the same cryptographic computation in userspace (OpenSSL)\n"
		"measured in the same run, and the ratio kernel/userspace. Needs root\n"
		"and cpns.ko: run it as tools/bench/run (which boots tools/vm-run).\n"
		"Before measuring, the baseline and the kernel are checked against\n"
		"every known-answer vector; a mismatch fails the run.\n"
		"\n"
		"An OPERATION is a name of --list, or a prefix before '_' (\"seal\"\n"
		"selects seal_64, seal_1k and seal_16k). Default: all.\n"
		"\n"
		"Options:\n"
		"  -t, --time S        measure each side of each operation for S\n"
		"                      seconds (default 1)\n"
		"  -w, --warmup S      run each side S seconds untimed first (0.2)\n"
		"  -r, --rounds N      in N slices, alternating the sides (5, 1-%d)\n"
		"  -j, --json          print JSON\n"
		"      --rst           print a reStructuredText table\n"
		"  -V, --vectors FILE  known-answer vectors (default $CPNS_VECTORS,\n"
		"                      or %s)\n"
		"  -c, --check         check the known answers only, measure nothing\n"
		"  -u, --user-only     no kernel: check and measure the baseline alone\n"
		"                      (runs anywhere, e.g. on a host without cpns.ko)\n"
		"  -l, --list          list the operations and what each side does\n"
		"  -v, --verbose       say on stderr which operation is running\n"
		"  -h, --help          print this help\n"
		"\n"
		"Exit status: 0; 1 if anything failed or a known answer differs;\n"
		"2 for a usage error.\n",
		BENCH_MAX_ROUNDS, CPNS_BENCH_VECTORS);
}

static int parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool selects(const char *arg, const char *name)
{
	size_t n = strlen(arg);

	return !strcmp(arg, name) || (!strncmp(arg, name, n) && name[n] == '_');
}

static void list_ops(void)
{
	size_t i;

	for (i = 0; i < bench_nops; i++)
		printf("%-17s kernel: %s\n%-17s user:   %s\n", bench_ops[i].name,
		       bench_ops[i].kernel, "", bench_ops[i].baseline);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "rst", no_argument, NULL, 'R' },
		{ "vectors", required_argument, NULL, 'V' },
		{ "check", no_argument, NULL, 'c' },
		{ "user-only", no_argument, NULL, 'u' },
		{ "list", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct bench_op *sel[BENCH_MAX_OPS];
	const char *vectors = getenv("CPNS_VECTORS");
	enum bench_format fmt = BENCH_TABLE;
	struct bench_result *res = NULL;
	struct bench_check chk;
	struct bench_env env;
	bool check_only = false;
	size_t nsel = 0, i;
	struct bench *b;
	char err[256];
	double rounds;
	int c, ret = 1;

	b = calloc(1, sizeof(*b));
	if (!b) {
		perror("cpns-bench");
		return 1;
	}
	b->seconds = 1;
	b->warmup = 0.2;
	b->rounds = 5;
	if (!vectors || !*vectors)
		vectors = CPNS_BENCH_VECTORS;

	while ((c = getopt_long(argc, argv, "t:w:r:jV:culvh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 't':
			if (parse_seconds(optarg, 3600, &b->seconds) ||
			    b->seconds <= 0)
				goto bad_value;
			break;
		case 'w':
			if (parse_seconds(optarg, 3600, &b->warmup))
				goto bad_value;
			break;
		case 'r':
			if (parse_seconds(optarg, BENCH_MAX_ROUNDS, &rounds) ||
			    rounds < 1 || rounds != (unsigned int)rounds)
				goto bad_value;
			b->rounds = (unsigned int)rounds;
			break;
		case 'j':
			fmt = BENCH_JSON;
			break;
		case 'R':
			fmt = BENCH_RST;
			break;
		case 'V':
			vectors = optarg;
			break;
		case 'c':
			check_only = true;
			break;
		case 'u':
			b->user_only = true;
			break;
		case 'l':
			list_ops();
			free(b);
			return 0;
		case 'v':
			b->verbose = true;
			break;
		case 'h':
			usage(stdout);
			free(b);
			return 0;
		default:
			goto usage;
		}
	}

	for (i = 0; i < bench_nops; i++) {
		bool want = optind == argc;
		int a;

		for (a = optind; a < argc && !want; a++)
			want = selects(argv[a], bench_ops[i].name);
		if (want && nsel < BENCH_MAX_OPS)
			sel[nsel++] = &bench_ops[i];
	}
	for (c = optind; c < argc; c++) {
		for (i = 0; i < bench_nops; i++)
			if (selects(argv[c], bench_ops[i].name))
				break;
		if (i == bench_nops) {
			fprintf(stderr, "cpns-bench: no operation '%s' (see --list)\n",
				argv[c]);
			goto usage;
		}
	}

	if (ref_init()) {
		fprintf(stderr, "cpns-bench: OpenSSL has no HMAC-SHA256 or AES-256-GCM\n");
		goto out_free;
	}
	if (cpns_vectors_load(vectors, &b->vs, err, sizeof(err))) {
		fprintf(stderr, "cpns-bench: %s\n", err);
		goto out_ref;
	}
	if (!b->vs->n) {
		fprintf(stderr, "cpns-bench: %s holds no vector\n", vectors);
		goto out_vectors;
	}
	b->kat = &b->vs->v[0];
	b->clock_ns = bench_clock_cost();
	if (ref_random(b->pt, sizeof(b->pt)))
		goto out_vectors;

	if (!b->user_only && kside_open(b))
		goto out_vectors;
	if (uside_open(b))
		goto out_kside;

	if (bench_check(b, &chk)) {
		fprintf(stderr, "cpns-bench: known answers: %u of %u values differ: nothing measured\n",
			chk.failed, chk.compared);
		goto out_uside;
	}
	if (check_only) {
		printf("known answers: %u vectors, %u values compared, all equal\n",
		       chk.vectors, chk.compared);
		ret = 0;
		goto out_uside;
	}

	res = calloc(nsel, sizeof(*res));
	if (!res) {
		perror("cpns-bench");
		goto out_uside;
	}
	for (i = 0; i < nsel; i++)
		if (bench_measure(b, sel[i], &res[i]))
			goto out_uside;

	bench_env_get(b, &env);
	ret = bench_report(b, &env, &chk, res, nsel, fmt) ? 1 : 0;

out_uside:
	free(res);
	uside_close(b);
out_kside:
	kside_close(b);
out_vectors:
	cpns_vectors_free(b->vs);
out_ref:
	ref_fini();
out_free:
	free(b);
	return ret;

bad_value:
	fprintf(stderr, "cpns-bench: bad value '%s' for -%c (seconds up to 3600; rounds 1-%d)\n",
		optarg, c, BENCH_MAX_ROUNDS);
usage:
	fprintf(stderr, "Try 'cpns-bench --help'.\n");
	free(b);
	return 2;
}
