// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-gwd: options, start-up (configuration, logging, the netlink socket,
 * the event loop, becoming a daemon), the role, and a clean exit on
 * SIGTERM or SIGINT. The roles are secure.c and nonsecure.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [-f] [-c FILE] [--once [--reports N]]\n"
		"       %s --check [-c FILE]\n"
		"\n"
		"A CPNS PN gateway: \"role = secure\" (GW1) gets a Key Seed from the\n"
		"CPNS Server and assigns Device IDs and Keys to the gateways that\n"
		"ask; \"role = nonsecure\" (GW2) asks GW1 for its Device ID and Key,\n"
		"authenticates with the server and sends it sealed status reports.\n"
		"\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  -f, --foreground   do not become a daemon\n"
		"      --once         run once and exit 0 on success, 1 on failure\n"
		"                     (implies -f): secure, get a Key Seed if there\n"
		"                     is none; nonsecure, get a Device Key if there\n"
		"                     is none, authenticate, exchange the reports\n"
		"      --reports N    with --once, nonsecure: reports to exchange,\n"
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

void gwd_exit(struct gwd *g, int status)
{
	if (status > g->status)
		g->status = status;
	g->done = true;
	cpns_loop_stop(g->loop);
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
	if (conf->role == GWD_SECURE && conf->step_ms > pt_ms)
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "once", no_argument, NULL, 'o' },
		{ "reports", required_argument, NULL, 'r' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = GWD_DEFAULT_CONF;
	bool foreground = false, test = false, reports_set = false;
	struct gwd g = { .once_reports = 1 };
	struct cpns_info info;
	char err[512];
	int c, ret, sig;

	while ((c = getopt_long(argc, argv, "c:fnhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'o':
			g.once = true;
			break;
		case 'r':
			if (parse_uint(optarg, 1, 1000000, &g.once_reports)) {
				fprintf(stderr, "%s: --reports needs a number from 1 to 1000000\n",
					GWD_PROG);
				return 1;
			}
			reports_set = true;
			break;
		case 'n':
			test = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s %s (cpns wire protocol %d)\n", GWD_PROG,
			       GWD_VERSION, CPNS_WIRE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", GWD_PROG,
			argv[optind]);
		usage(stderr);
		return 1;
	}
	if (reports_set && !g.once) {
		fprintf(stderr, "%s: --reports goes with --once\n", GWD_PROG);
		return 1;
	}

	ret = gwd_conf_load(&g.conf, path, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s: %s\n", GWD_PROG, err);
		gwd_conf_free(&g.conf);
		return 1;
	}
	if (test) {
		printf("%s: configuration OK (role %s, name %s)\n", path,
		       g.conf.role == GWD_SECURE ? "secure" : "nonsecure",
		       g.conf.name);
		gwd_conf_free(&g.conf);
		return 0;
	}
	if (reports_set && g.conf.role != GWD_NONSECURE) {
		fprintf(stderr, "%s: --reports is for role = nonsecure\n",
			GWD_PROG);
		gwd_conf_free(&g.conf);
		return 1;
	}
	if (g.once)
		foreground = true;

	/* Detached, stderr goes nowhere: log to syslog (start-up errors
	 * are echoed to the terminal until cpns_daemon_ready()).
	 */
	if (!foreground)
		g.conf.log_target = CPNS_LOG_SYSLOG;
	g.status = 1;
	cpns_log_open(GWD_PROG, g.conf.log_target, g.conf.log_level);
	if (!foreground) {
		ret = cpns_daemon_start();
		if (ret) {
			cpns_err("cannot detach: %s", strerror(-ret));
			goto out;
		}
	}

	cpns_notice("starting: role %s, name %s%s",
		    g.conf.role == GWD_SECURE ? "secure (GW1)" :
		    "nonsecure (GW2)", g.conf.name, g.once ? ", once" : "");
	g.nl = cpns_open();
	if (!g.nl) {
		cpns_err("cannot open the cpns netlink family: %s%s",
			 strerror(errno),
			 errno == ENOENT ? " (is cpns.ko loaded?)" : "");
		goto out;
	}
	if (cpns_get_info(g.nl, &info)) {
		cpns_err("cpns get_info: %s", cpns_last_error(g.nl));
		goto out;
	}
	check_pending_timeout(&g.conf, info.pending_timeout);
	g.loop = cpns_loop_new();
	if (!g.loop) {
		cpns_err("cannot make the event loop: %s", strerror(errno));
		goto out;
	}
	g.status = 0;
	if (g.conf.role == GWD_SECURE)
		ret = gwd_secure_start(&g);
	else
		ret = gwd_nonsecure_start(&g);
	if (!ret)
		ret = gwd_control_start(&g);
	if (ret) {
		g.status = 1;
		goto out_role;
	}
	if (!foreground)
		cpns_daemon_ready();

	ret = g.done ? 0 : cpns_loop_run(g.loop);
	if (ret) {
		cpns_err("event loop: %s", strerror(-ret));
		g.status = 1;
	}
	/* The loop logged the signal. --once was interrupted before it
	 * finished: that is a failure.
	 */
	sig = cpns_loop_stop_signal(g.loop);
	if (sig && g.once)
		g.status = 1;
out_role:
	gwd_control_stop(&g);
	if (g.conf.role == GWD_SECURE)
		gwd_secure_stop(&g);
	else
		gwd_nonsecure_stop(&g);
	gwd_links_free(&g);
out:
	if (g.loop)
		cpns_loop_free(g.loop);
	if (g.nl)
		cpns_close(g.nl);
	cpns_log_close();
	gwd_conf_free(&g.conf);
	return g.status;
}
