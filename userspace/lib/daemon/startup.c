// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The start-up and shut-down every cpns daemon shares (startup.h). Each
 * step is a function of its own; cpns_daemon_main() is their order.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"
#include "startup.h"

#define COMMON_OPTS	"c:fnhV"
#define MAX_OPTS	16

enum parsed { RUN, CHECK, EXIT_OK, EXIT_FAIL };

/* The common long options, then the program's own. */
static void merge_options(const struct cpns_daemon_ops *ops,
			  struct option *all, char *shortopts, size_t len)
{
	static const struct option common[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
	};
	size_t n = 0, i;

	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		all[n++] = common[i];
	for (i = 0; ops->options && ops->options[i].name &&
		    n < MAX_OPTS - 1; i++)
		all[n++] = ops->options[i];
	memset(&all[n], 0, sizeof(all[n]));
	snprintf(shortopts, len, "%s%s", COMMON_OPTS,
		 ops->optstring ? ops->optstring : "");
}

static enum parsed parse_args(int argc, char **argv,
			      const struct cpns_daemon_ops *ops, void *ctx,
			      struct cpns_daemon *d)
{
	struct option all[MAX_OPTS];
	char shortopts[64];
	bool check = false;
	int c;

	merge_options(ops, all, shortopts, sizeof(shortopts));
	while ((c = getopt_long(argc, argv, shortopts, all, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->conf_path = optarg;
			break;
		case 'f':
			d->foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'h':
			ops->usage(stdout);
			return EXIT_OK;
		case 'V':
			ops->version();
			return EXIT_OK;
		case '?':
			ops->usage(stderr);
			return EXIT_FAIL;
		default:
			if (!ops->option || ops->option(ctx, c, optarg))
				return EXIT_FAIL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\" (see --help)\n",
			ops->name, argv[optind]);
		return EXIT_FAIL;
	}
	return check ? CHECK : RUN;
}

/* What SIGHUP needs: the program's parts and the start-up's. */
struct reload {
	const struct cpns_daemon_ops *ops;
	void *ctx;
	struct cpns_daemon *d;
};

/*
 * SIGHUP re-reads the configuration and applies what changes without
 * dropping a connection: log and log_level. The rest waits for a restart.
 */
static void on_signal(struct cpns_loop *loop, int signo, void *arg)
{
	struct reload *r = arg;
	enum cpns_log_target target = CPNS_LOG_STDERR;
	int level = CPNS_LOG_INFO;

	if (signo != SIGHUP) {
		cpns_notice("%s: stopping", strsignal(signo));
		cpns_loop_stop_by(loop, signo);
		return;
	}
	if (!r->ops->reload_log) {
		cpns_notice("SIGHUP ignored");
		return;
	}
	cpns_service_notify("RELOADING=1");
	if (r->ops->reload_log(r->ctx, r->d->conf_path, &target, &level)) {
		cpns_err("SIGHUP: %s not reloaded: the running configuration stays",
			 r->d->conf_path);
	} else {
		if (!r->d->foreground)
			target = CPNS_LOG_SYSLOG;
		cpns_log_open(r->ops->name, target, level);
		cpns_notice("SIGHUP: %s reloaded: log %s, log_level %s; other changes take effect at the next restart",
			    r->d->conf_path,
			    target == CPNS_LOG_SYSLOG ? "syslog" : "stderr",
			    cpns_log_level_name(level));
	}
	cpns_service_notify("READY=1");
}

/* The KEK and pairing keys that systemd handed over, into the session
 * keyring.
 */
static int load_kek(const struct cpns_daemon_ops *ops, void *ctx)
{
	static const char *const creds[] = { "seed-pairing", "pairing" };
	const char *type = NULL, *desc = NULL;
	size_t i;

	if (ops->kek && ops->kek(ctx, &type, &desc))
		type = desc = NULL;
	if (cpns_service_kek(type, desc))
		return -1;
	for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++) {
		type = desc = NULL;
		if (ops->pairing && ops->pairing(ctx, creds[i], &type, &desc))
			type = desc = NULL;
		if (cpns_service_pairing(creds[i], type, desc))
			return -1;
	}
	return 0;
}

/* Logging, then detaching: a detached daemon logs to syslog. */
static int open_log(const struct cpns_daemon_ops *ops, void *ctx,
		    struct cpns_daemon *d)
{
	enum cpns_log_target target = CPNS_LOG_STDERR;
	int level = CPNS_LOG_INFO, ret;

	ops->log(ctx, &target, &level);
	if (!d->foreground)
		target = CPNS_LOG_SYSLOG;
	cpns_log_open(ops->name, target, level);
	if (d->foreground)
		return 0;
	ret = cpns_daemon_start();
	if (ret)
		cpns_err("cannot detach: %s", strerror(-ret));
	return ret;
}

/* The netlink handle, the module's parameters and the event loop. */
static int open_kernel(struct cpns_daemon *d)
{
	d->nl = cpns_open();
	if (!d->nl) {
		cpns_err("cannot open the cpns netlink family: %s%s",
			 strerror(errno),
			 errno == ENOENT ? " (is cpns.ko loaded?)" : "");
		return -1;
	}
	if (cpns_get_info(d->nl, &d->info)) {
		cpns_err("cpns get_info: %s", cpns_last_error(d->nl));
		return -1;
	}
	d->loop = cpns_loop_new();
	if (!d->loop) {
		cpns_err("cannot make the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Start the program's parts, run the loop, stop them: the exit status. */
static int run(const struct cpns_daemon_ops *ops, void *ctx,
	       struct cpns_daemon *d)
{
	struct reload r = { .ops = ops, .ctx = ctx, .d = d };
	int ret, status = 0;

	if (load_kek(ops, ctx))
		return 1;
	ret = ops->start(ctx, d);
	if (ret < 0)
		return 1;
	cpns_daemon_ready();
	if (ret == 0) {
		cpns_loop_on_signal(d->loop, on_signal, &r);
		cpns_service_notify("READY=1");
		ret = cpns_loop_run(d->loop);
		if (ret) {
			cpns_err("event loop: %s", strerror(-ret));
			status = 1;
		}
		cpns_service_notify("STOPPING=1");
	}
	return ops->stop(ctx, status, cpns_loop_stop_signal(d->loop));
}

int cpns_daemon_main(int argc, char **argv, const struct cpns_daemon_ops *ops,
		     void *ctx)
{
	struct cpns_daemon d = { .conf_path = ops->conf_path };
	int status = 1;

	switch (parse_args(argc, argv, ops, ctx, &d)) {
	case EXIT_OK:
		return 0;
	case EXIT_FAIL:
		return 1;
	case CHECK:
		if (!ops->configure(ctx, &d)) {
			ops->checked(ctx, d.conf_path);
			status = 0;
		}
		ops->free(ctx);
		return status;
	case RUN:
		break;
	}
	if (ops->configure(ctx, &d))
		goto out;
	if (open_log(ops, ctx, &d))
		goto out_log;
	if (ops->starting)
		ops->starting(ctx);
	if (!open_kernel(&d))
		status = run(ops, ctx, &d);
out_log:
	if (d.loop)
		cpns_loop_free(d.loop);
	if (d.nl)
		cpns_close(d.nl);
	cpns_log_close();
out:
	ops->free(ctx);
	return status;
}
