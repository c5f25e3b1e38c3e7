// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-gwd: its options and configuration, and its role (secure.c or
 * nonsecure.c) chosen once into g.ops. The start-up, the event loop and
 * the exit on SIGTERM or SIGINT are lib/daemon/startup.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwd.h"
#include "startup.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-f] [-c FILE] [--once [--reports N]]\n"
		"       %s --check [-c FILE]\n"
		"\n"
		"A CPNS PN gateway: \"role = secure\" (GW1) gets a Key Seed from the\n"
		"CPNS Server and assigns Device IDs and Keys to the gateways that\n"
		"ask; \"role = nonsecure\" (GW2) asks GW1 for its Device ID and Key,\n"
		"authenticates with the server and sends it sealed status reports;\n"
		"\"role = changing\" (a changing-mode device) assigns itself on the\n"
		"secure WAN and authenticates like GW2 from either WAN.\n"
		"\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  -f, --foreground   do not become a daemon\n"
		"      --once         run once and exit 0 on success, 1 on failure\n"
		"                     (implies -f): secure, get a Key Seed if there\n"
		"                     is none; nonsecure, get a Device Key if there\n"
		"                     is none, authenticate, exchange the reports;\n"
		"                     changing, the same, assigning itself\n"
		"      --reports N    with --once, nonsecure or changing: reports,\n"
		"                     back to back (default 1)\n"
		"  -n, --check        check the configuration file and exit\n"
		"  -h, --help         this help\n"
		"  -V, --version      print the version\n"
		"\n"
		"Configuration keys (Documentation/cpns-gwd.rst):\n",
		GWD_PROG, GWD_PROG, GWD_DEFAULT_CONF);
	if (f == stdout)
		gwd_conf_print_keys();
}

/*
 * A transfer key pair (XFER_NEW) lives the kernel's pending_timeout: a
 * SEED_RESPONSE or DEVICE_TRANSFER that comes later cannot be opened, so
 * waiting longer for it is pointless.
 */
static void check_pending_timeout(struct gwd_conf *conf, unsigned int pt)
{
	unsigned int pt_ms = pt * 1000u;

	if (conf->role == GWD_NONSECURE && conf->ask_ms > pt_ms) {
		cpns_info("waiting at most %u s for DEVICE_TRANSFER, the kernel's pending_timeout (ask_timeout is %u s)",
			  pt, conf->ask_ms / 1000);
		conf->ask_ms = pt_ms;
	}
	if (conf->role != GWD_NONSECURE && conf->step_ms > pt_ms)
		cpns_warn("the kernel's pending_timeout (%u s) is below step_timeout (%u s): a slow SEED_RESPONSE will not open",
			  pt, conf->step_ms / 1000);
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static void version(void)
{
	printf("%s %s (cpns wire protocol %d)\n", GWD_PROG, GWD_VERSION,
	       CPNS_WIRE_VERSION);
}

static int option(void *ctx, int c, const char *arg)
{
	struct gwd *g = ctx;

	if (c == 'o') {
		g->once = true;
		return 0;
	}
	/* 'r' */
	if (parse_uint(arg, 1, 1000000, &g->once_reports)) {
		fprintf(stderr, "%s: --reports needs a number from 1 to 1000000\n",
			GWD_PROG);
		return -1;
	}
	g->reports_set = true;
	return 0;
}

/* The file, checked with the options; the role chosen once, here. */
static int configure(void *ctx, struct cpns_daemon *d)
{
	struct gwd *g = ctx;
	char err[512];

	if (g->reports_set && !g->once) {
		fprintf(stderr, "%s: --reports goes with --once\n", GWD_PROG);
		return -1;
	}
	if (gwd_conf_load(&g->conf, d->conf_path, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", GWD_PROG, err);
		return -1;
	}
	if (g->reports_set && g->conf.role == GWD_SECURE) {
		fprintf(stderr, "%s: --reports is for role = nonsecure or changing\n",
			GWD_PROG);
		return -1;
	}
	if (g->conf.role == GWD_SECURE)
		g->ops = &gwd_secure_ops;
	else if (g->conf.role == GWD_NONSECURE)
		g->ops = &gwd_nonsecure_ops;
	else
		g->ops = &gwd_changing_ops;
	if (g->once)
		d->foreground = true;
	return 0;
}

static void checked(void *ctx, const char *path)
{
	struct gwd *g = ctx;

	static const char *const roles[] = {
		[GWD_SECURE] = "secure",
		[GWD_NONSECURE] = "nonsecure",
		[GWD_CHANGING] = "changing",
	};

	printf("%s: configuration OK (role %s, name %s)\n", path,
	       roles[g->conf.role], g->conf.name);
}

static void log_conf(void *ctx, enum cpns_log_target *target, int *level)
{
	struct gwd *g = ctx;

	*target = g->conf.log_target;
	*level = g->conf.log_level;
}

/* SIGHUP: the whole file checked again, its log settings applied. */
static int reload_log(void *ctx, const char *path,
		      enum cpns_log_target *target, int *level)
{
	struct gwd_conf fresh;
	char err[512];

	(void)ctx;
	memset(&fresh, 0, sizeof(fresh));
	if (gwd_conf_load(&fresh, path, err, sizeof(err))) {
		cpns_err("%s", err);
		return -1;
	}
	*target = fresh.log_target;
	*level = fresh.log_level;
	gwd_conf_free(&fresh);
	return 0;
}

static int kek(void *ctx, const char **type, const char **desc)
{
	struct gwd *g = ctx;

	if (!g->conf.kek.set)
		return -1;
	*type = g->conf.kek.type;
	*desc = g->conf.kek.desc;
	return 0;
}

static int pairing(void *ctx, const char *cred, const char **type,
		   const char **desc)
{
	struct gwd *g = ctx;
	const struct gwd_keyref *k;

	if (!strcmp(cred, "seed-pairing"))
		k = &g->conf.seed_pairing;
	else if (!strcmp(cred, "pairing"))
		k = &g->conf.pairing;
	else
		return -1;
	if (!k->set)
		return -1;
	*type = k->type;
	*desc = k->desc;
	return 0;
}

static void starting(void *ctx)
{
	struct gwd *g = ctx;

	g->status = 1;
	cpns_notice("starting: role %s, name %s%s", g->ops->name,
		    g->conf.name, g->once ? ", once" : "");
}

static int start(void *ctx, struct cpns_daemon *d)
{
	struct gwd *g = ctx;

	g->nl = d->nl;
	g->loop = d->loop;
	check_pending_timeout(&g->conf, d->info.pending_timeout);
	g->status = 0;
	if (g->ops->start(g) || gwd_control_start(g)) {
		g->status = 1;
		gwd_control_stop(g);
		g->ops->stop(g);
		gwd_links_free(g);
		return -1;
	}
	return g->done ? 1 : 0;
}

/* The loop logged the signal; --once interrupted before it finished is
 * a failure.
 */
static int stop(void *ctx, int status, int sig)
{
	struct gwd *g = ctx;

	if (status || (sig && g->once))
		g->status = 1;
	gwd_control_stop(g);
	g->ops->stop(g);
	gwd_links_free(g);
	return g->status;
}

static void conf_free(void *ctx)
{
	gwd_conf_free(&((struct gwd *)ctx)->conf);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "reports", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct cpns_daemon_ops ops = {
		.name = GWD_PROG,
		.conf_path = GWD_DEFAULT_CONF,
		.optstring = "",
		.options = opts,
		.option = option,
		.usage = usage,
		.version = version,
		.configure = configure,
		.reload_log = reload_log,
		.kek = kek,
		.pairing = pairing,
		.checked = checked,
		.log = log_conf,
		.starting = starting,
		.start = start,
		.stop = stop,
		.free = conf_free,
	};
	struct gwd g = { .once_reports = 1 };

	return cpns_daemon_main(argc, argv, &ops, &g);
}
