/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The start-up and shut-down every cpns daemon shares (startup.c): the
 * options -c -f -n -h -V, the configuration file, logging, detaching, the
 * netlink handle and the module's parameters, the event loop, and the
 * order in which the program's own parts start and stop. A program gives
 * its parts as a struct cpns_daemon_ops and calls cpns_daemon_main().
 */
#ifndef CPNS_STARTUP_H
#define CPNS_STARTUP_H

#include <stdbool.h>
#include <stdio.h>

#include "cpns.h"
#include "daemon.h"

struct option;

/* What the start-up made, for the program's start(). */
struct cpns_daemon {
	const char *conf_path;		/* -c, or ops->conf_path */
	bool foreground;		/* -f, or set by configure() */
	struct cpns_nl *nl;		/* lives as long as the daemon */
	struct cpns_loop *loop;
	struct cpns_info info;		/* the module's parameters */
};

/**
 * struct cpns_daemon_ops - one daemon's parts, in the order they are called
 * @name: program name (log ident, messages)
 * @conf_path: the default configuration file
 * @optstring: the program's own short options (beyond "c:fnhV"), or ""
 * @options: its own long options, { NULL } terminated, or NULL
 * @option: one of its own options; 0, or -1 after printing why
 * @usage: the help, to stdout (-h) or stderr (a usage error)
 * @version: print the version line (-V)
 * @configure: load and check d->conf_path and the options together; 0, or
 *	-1 after printing why. May set d->foreground.
 * @checked: --check passed: say so on stdout
 * @log: where and how much to log; a detached daemon logs to syslog
 *	whatever this says
 * @reload_log: SIGHUP: read @path again, check it whole, and give where and
 *	how much to log; 0, or -1 after logging why (nothing changes). NULL:
 *	SIGHUP is logged and ignored.
 * @kek: the configuration's kek as TYPE and DESCRIPTION; 0, or -1 if it has
 *	none (a KEK credential from systemd is then refused). NULL: none.
 * @pairing: the same for the pairing keys systemd may hand over: @cred is
 *	"seed-pairing" (seed_pairing_key) or "pairing" (pairing_key).
 * @starting: logging is open and the daemon detached; nothing else yet
 * @start: the netlink handle, module parameters and loop are ready. 0: run
 *	the loop; 1: done already (the loop is not run); -1: failed after
 *	logging why and undoing its own work (@stop is not called)
 * @stop: after the loop ends. status is 0, or 1 if the loop failed; sig is
 *	the signal that stopped it, or 0. Returns the exit status.
 * @free: last, whatever happened (the configuration)
 */
struct cpns_daemon_ops {
	const char *name;
	const char *conf_path;
	const char *optstring;
	const struct option *options;
	int (*option)(void *ctx, int c, const char *arg);
	void (*usage)(FILE *f);
	void (*version)(void);
	int (*configure)(void *ctx, struct cpns_daemon *d);
	void (*checked)(void *ctx, const char *path);
	void (*log)(void *ctx, enum cpns_log_target *target, int *level);
	int (*reload_log)(void *ctx, const char *path,
			  enum cpns_log_target *target, int *level);
	int (*kek)(void *ctx, const char **type, const char **desc);
	int (*pairing)(void *ctx, const char *cred, const char **type,
		       const char **desc);
	void (*starting)(void *ctx);
	int (*start)(void *ctx, struct cpns_daemon *d);
	int (*stop)(void *ctx, int status, int sig);
	void (*free)(void *ctx);
};

/* The whole life of the daemon; returns main()'s exit status. */
int cpns_daemon_main(int argc, char **argv, const struct cpns_daemon_ops *ops,
		     void *ctx);

#endif /* CPNS_STARTUP_H */
