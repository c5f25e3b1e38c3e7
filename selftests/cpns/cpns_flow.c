// SPDX-License-Identifier: GPL-2.0
/*
 * cpns_flow: drive I-2, I-3, II-1..II-9 and a-0..a-4 between three network
 * namespaces through netlink, check each key's role and state in the dump
 * and the keyring after each stage, and exchange one sealed message each
 * way. --verbose prints each step with the public values (make demo);
 * --hold then keeps extra pending objects and the sessions alive until
 * killed (for the teardown and unload tests).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowlib.h"
#include "tutil.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpns_flow [--verbose] [--netns S,GW1,GW2] [--ids] [--hold]\n"
		"  --verbose      print each step with its public values\n"
		"  --netns A,B,C  use these \"ip netns\" namespaces (default: new ones)\n"
		"  --ids          print \"sid HEX\" and \"did HEX\" at the end\n"
		"  --hold         then keep pending objects and sessions open, print\n"
		"                 \"ready\" and wait to be killed\n");
}

#define CHECK(expr) do {					\
	int __e = (expr);					\
	if (__e) {						\
		fprintf(stderr, "FAILED: %s\n", #expr);		\
		return __e;					\
	}							\
} while (0)

static int run(struct fl_ctx *c)
{
	const size_t sl = CPNS_SEED_ID_LEN, dl = CPNS_DEVICE_ID_LEN;

	CHECK(fl_seed_new(c));
	CHECK(fl_check_key(&c->s, c->sid, sl, CPNS_ROLE_SERVER,
			   CPNS_STATE_ACTIVE));
	CHECK(fl_seed_xfer(c));
	CHECK(fl_check_key(&c->g1, c->sid, sl, CPNS_ROLE_GW1,
			   CPNS_STATE_ACTIVE));
	CHECK(fl_assign_derive(c));
	CHECK(fl_check_key(&c->g1, c->did, dl, CPNS_ROLE_GW1,
			   CPNS_STATE_PENDING));
	CHECK(fl_assign_confirm(c));
	CHECK(fl_check_key(&c->g1, c->did, dl, CPNS_ROLE_GW1,
			   CPNS_STATE_CONFIRMED));
	CHECK(fl_device_xfer(c));
	CHECK(fl_check_key(&c->g2, c->did, dl, CPNS_ROLE_GW2,
			   CPNS_STATE_ACTIVE));
	/* The server keeps seeds, never per-device keys. */
	CHECK(fl_count_keys(&c->s) != 1);
	CHECK(fl_auth(c));
	CHECK(fl_exchange(c, "status: online", "ack: online"));
	CHECK(fl_exchange(c, "status: idle", "ack: idle"));
	return 0;
}

/* Leave one of each kind of pending object alive, besides the sessions. */
static int hold_extra(struct fl_ctx *c)
{
	uint8_t pub[CPNS_PUBKEY_LEN], n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], chmac[CPNS_MAC_LEN];
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint32_t h;

	CHECK(cpns_xfer_new(c->g1.nl, &h, pub));
	CHECK(cpns_xfer_new(c->g2.nl, &h, pub));
	CHECK(cpns_assign_request(c->g1.nl, c->sid, n1, mac));
	CHECK(cpns_assign_challenge(c->s.nl, c->sid, n1, mac, ch, chmac));
	CHECK(cpns_auth_begin_rk(c->g2.nl, c->did, &h, nc, &c->rk));
	CHECK(fl_challenge_rec(c, nc, &c->rk, &h, ns));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "netns", required_argument, NULL, 'n' },
		{ "ids", no_argument, NULL, 'i' },
		{ "hold", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool verbose = false, ids = false, hold = false;
	char *nsarg = NULL, *names[3];
	const char *const *ns = NULL;
	struct fl_ctx c;
	uint32_t p, s;
	int opt, err, i;

	while ((opt = getopt_long(argc, argv, "vn:iHh", opts, NULL)) != -1) {
		switch (opt) {
		case 'v': verbose = true; break;
		case 'n': nsarg = optarg; break;
		case 'i': ids = true; break;
		case 'H': hold = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	if (nsarg) {
		for (i = 0; i < 3; i++) {
			names[i] = strsep(&nsarg, ",");
			if (!names[i] || !*names[i]) {
				fprintf(stderr, "--netns wants three names\n");
				return 1;
			}
		}
		if (nsarg) {
			fprintf(stderr, "--netns wants three names\n");
			return 1;
		}
		ns = (const char *const *)names;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	err = fl_open(&c, ns, verbose);
	if (err)
		return 1;
	err = run(&c);
	if (err) {
		fprintf(stderr, "cpns_flow: FAILED (%s)\n", strerror(-err));
		fl_close(&c);
		return 1;
	}
	if (ids)
		printf("sid %s\ndid %s\n", tu_hex(c.sid, sizeof(c.sid)),
		       tu_hex(c.did, sizeof(c.did)));
	if (hold) {
		if (hold_extra(&c)) {
			fl_close(&c);
			return 1;
		}
		if (!fl_counts(&c.s, &p, &s))
			printf("S pending %u sessions %u\n", p, s);
		if (!fl_counts(&c.g2, &p, &s))
			printf("GW2 pending %u sessions %u\n", p, s);
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	fl_close(&c);
	if (verbose)
		printf("SUCCESS: GW2 and S share session keys: each side opened what the other sealed\n");
	return 0;
}
