// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * How cpnsctl's commands report: usage errors (exit 2), failures of the
 * kernel or of opening its family (exit 1), with a hint for a bare errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"

const char *prog = "cpnsctl";

int usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s%s%s: ", prog, cmd ? " " : "",
		cmd ? cmd->path : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (cmd)
		fprintf(stderr, "Run \"%s %s --help\" for usage.\n", prog,
			cmd->path);
	else
		fprintf(stderr, "Run \"%s --help\" for usage.\n", prog);
	return EXIT_USAGE;
}

int arg_hex(const struct cmd *cmd, const char *what, const char *hex,
	    void *out, size_t len)
{
	if (cpns_hex_decode(out, len, hex))
		return usage_error(cmd,
				   "%s must be %zu hex digits (%zu bytes), got \"%s\"",
				   what, 2 * len, len, hex);
	return 0;
}

struct cpns_nl *open_or_report(const struct cmd *cmd)
{
	struct cpns_nl *nl = cpns_open();

	if (nl)
		return nl;
	if (errno == ENOENT)
		fprintf(stderr,
			"%s %s: cannot find the cpns netlink family: is the module loaded? (insmod kmod/cpns.ko)\n",
			prog, cmd->path);
	else
		fprintf(stderr,
			"%s %s: cannot open a generic netlink socket: %s\n",
			prog, cmd->path, strerror(errno));
	return NULL;
}

static const char *hint(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return "this command needs CAP_NET_ADMIN: run it as root";
	case -ENOKEY:
		return "no such seed or Device Key in this namespace: see \"cpnsctl show\"";
	case -EKEYEXPIRED:
		return "the key has expired";
	case -EKEYREVOKED:
		return "the key was revoked";
	case -EBADMSG:
		return "a MAC or code did not verify";
	case -ENOENT:
		return "unknown, already used or expired challenge or handle";
	case -EBUSY:
		return "too many pending objects or sessions: wait for them to expire (see \"cpnsctl info\")";
	case -EEXIST:
		return "that key is already present";
	case -EALREADY:
		return "that sequence number was already passed";
	case -EOPNOTSUPP:
		return "the module does not support this";
	default:
		return NULL;
	}
}

int fail_report(const struct cmd *cmd, struct cpns_nl *nl, int err)
{
	/* The kernel's own words say enough; a bare errno gets a hint. */
	const char *h = nl && cpns_last(nl)->from_kernel ? NULL : hint(err);

	fprintf(stderr, "%s %s: %s%s%s%s\n", prog, cmd->path,
		nl ? cpns_last_error(nl) : strerror(-err), h ? " (" : "",
		h ? h : "", h ? ")" : "");
	return EXIT_FAIL;
}
