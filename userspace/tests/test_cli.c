// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpnsctl's argument handling: help everywhere (exit 0), usage errors
 * (exit 2) caught before any netlink traffic, and file errors of "kat"
 * (exit 1). Runs the built binary; no module needed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static char ctl[512];
static char output[16384];

/* Run cpnsctl with args (NULL-terminated); stdout and stderr to output. */
static int run(const char *first, ...)
{
	const char *argv[32];
	va_list ap;
	int fds[2], status, n = 0;
	size_t len = 0;
	ssize_t r;
	pid_t pid;

	argv[n++] = ctl;
	va_start(ap, first);
	for (argv[n] = first; argv[n] && n < 30; argv[++n] = va_arg(ap, const char *))
		;
	va_end(ap);
	argv[n] = NULL;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(ctl, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], output + len, sizeof(output) - 1 - len)) > 0)
		len += (size_t)r;
	output[len] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void expect(int got, int want, const char *has, const char *name)
{
	bool ok = got == want && (!has || strstr(output, has));

	if (!tap_ok(ok, "cli: %s exits %d", name, want))
		tap_diag("exit %d, output: %.300s", got, output);
}

static const char *const sid = "0001020304050607";
static const char *const n1 = "11111111111111111111111111111111";
static const char *const did = "00010203040506076db3d4072ebbba20";
static const char *const mac =
	"d47db2c8cc732422ab1f7ad51ffaf20be99fdf03292bca8bdb895f1e76dd70ed";

int main(void)
{
	char path[600];
	FILE *f;

	snprintf(ctl, sizeof(ctl), "%s/cpnsctl/cpnsctl", CPNS_SRCDIR);
	if (access(ctl, X_OK)) {
		tap_ok(false, "cli: %s is built", ctl);
		return tap_done();
	}

	expect(run(NULL), 2, "Usage: ", "no arguments");
	expect(run("--help", NULL), 0, "Commands:", "--help");
	expect(run("-h", NULL), 0, "Commands:", "-h");
	expect(run("help", NULL), 0, "Commands:", "help");
	expect(run("help", "assign", "verify", NULL), 0, "II-8",
	       "help assign verify");
	expect(run("bogus", NULL), 2, "unknown command \"bogus\"",
	       "an unknown command");
	expect(run("--bogus", NULL), 2, "unknown option", "an unknown option");

	expect(run("info", "--help", NULL), 0, "Usage: cpnsctl info",
	       "info --help");
	expect(run("keyring", "--help", NULL), 0, "keyctl show",
	       "keyring --help");
	expect(run("show", "-h", NULL), 0, "--json", "show -h");
	expect(run("stats", "--help", NULL), 0, "Usage: cpnsctl stats",
	       "stats --help");
	expect(run("kat", "--help", NULL), 0, "MISMATCH", "kat --help");
	expect(run("seed", "--help", NULL), 0, "new", "seed --help");
	expect(run("seed", "new", "--help", NULL), 0, "--timeout",
	       "seed new --help");
	expect(run("key", "del", "--help", NULL), 0, "--device",
	       "key del --help");
	expect(run("assign", "--help", NULL), 0, "confirm DID N1",
	       "assign --help");
	expect(run("assign", "derive", "--help", NULL), 0, "SID N1 CH MAC",
	       "assign derive --help");
	expect(run("assign", "derive", "zz", "--help", NULL), 0, "Usage:",
	       "--help wins over bad arguments");

	expect(run("info", "extra", NULL), 2, "unexpected argument \"extra\"",
	       "info with an argument");
	expect(run("info", "--bogus", NULL), 2, "unknown option \"--bogus\"",
	       "info with an unknown option");
	expect(run("keyring", "--timeout", "5", NULL), 2, "unknown option",
	       "an option of another command");
	expect(run("seed", NULL), 2, "missing command", "seed alone");
	expect(run("seed", "old", NULL), 2, "unknown command \"old\"",
	       "an unknown subcommand");
	expect(run("seed", "new", "--timeout", NULL), 2, "--timeout needs",
	       "--timeout without a value");
	expect(run("seed", "new", "--timeout", "-1", NULL), 2,
	       "--timeout needs", "a negative timeout");
	expect(run("seed", "new", "--timeout=4294967296", NULL), 2,
	       "--timeout needs", "a timeout over 32 bits");
	expect(run("seed", "new", "--timeout", "5s", NULL), 2,
	       "--timeout needs", "a timeout with a unit");
	expect(run("key", "del", NULL), 2, "exactly one", "key del alone");
	expect(run("key", "del", "--seed", sid, "--device", did, NULL), 2,
	       "exactly one", "key del with both");
	expect(run("key", "del", "--seed", did, NULL), 2,
	       "SID must be 16 hex digits", "key del with a long SID");
	expect(run("key", "del", "--device", sid, NULL), 2,
	       "DID must be 32 hex digits", "key del with a short DID");
	expect(run("key", "del", "--seed", sid, "--json", NULL), 2,
	       "unknown option \"--json\"", "key del --json");
	expect(run("assign", NULL), 2, "missing command", "assign alone");
	expect(run("assign", "request", NULL), 2, "missing argument",
	       "assign request without SID");
	expect(run("assign", "request", "0001", NULL), 2,
	       "SID must be 16 hex digits (8 bytes), got \"0001\"",
	       "assign request with a short SID");
	expect(run("assign", "request", "000102030405060g", NULL), 2,
	       "SID must be", "assign request with a bad digit");
	expect(run("assign", "request", sid, sid, NULL), 2,
	       "unexpected argument", "assign request with two SIDs");
	expect(run("assign", "challenge", sid, n1, NULL), 2,
	       "missing argument", "assign challenge without MAC");
	expect(run("assign", "challenge", sid, n1, n1, NULL), 2,
	       "MAC must be 64 hex digits", "assign challenge with a short MAC");
	expect(run("assign", "derive", sid, n1, n1, "00", NULL), 2,
	       "MAC must be 64 hex digits", "assign derive with a short MAC");
	expect(run("assign", "derive", sid, sid, n1, mac, NULL), 2,
	       "N1 must be 32 hex digits", "assign derive with a short N1");
	expect(run("assign", "confirm", sid, n1, NULL), 2,
	       "DID must be 32 hex digits", "assign confirm with a SID");
	expect(run("assign", "verify", did, n1, NULL), 2,
	       "CODE must be 64 hex digits", "assign verify with a short CODE");
	expect(run("kat", NULL), 2, "missing argument", "kat without FILE");

	expect(run("kat", "/nonexistent/vectors.json", NULL), 1,
	       "/nonexistent/vectors.json: No such file",
	       "kat of a missing file");
	snprintf(path, sizeof(path), "/tmp/cpns-unit-%d.json", (int)getpid());
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "{\"profile\": \"CPNS-KA-1\", \"vectors\": [{\"inputs\": {}, \"outputs\": {}}]}\n");
		fclose(f);
		expect(run("kat", path, NULL), 1,
		       "vector 0: inputs.key_seed: missing",
		       "kat of a malformed file");
		unlink(path);
	}
	return tap_done();
}
