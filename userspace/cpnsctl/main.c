// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpnsctl: inspect and drive the cpns kernel module. The command table,
 * option parsing and help live here; error reporting in report.c; each
 * command's work in show.c, kat.c, flow.c, pair.c, store.c and keyblob.c. No command takes a secret: the kernel
 * makes and keeps every one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"

static const struct cmd seed_cmds[] = {
	{ "new", cmd_seed_new, "server, I-2: make a Key Seed",
	  "Makes a random Key Seed under a new random Seed ID in this\n"
	  "namespace's keyring, role server. Prints seed_id and serial.",
	  "[--timeout SECONDS]", OPT_JSON | OPT_TIMEOUT, 0, 0, NULL, NULL },
	{ "rotate", cmd_seed_rotate, "GW1: ask the server for a new Key Seed now",
	  "Asks a cpns-gwd of role secure (its control socket) to run flow I\n"
	  "now. The server retires GW1's older seed and its devices after\n"
	  "its seed_overlap and says when; GW1 retires its copy too and\n"
	  "assigns under the new seed (Documentation/protocol.rst, \"Seed\n"
	  "rotation\"). The result is in the daemon's log.",
	  "[--control PATH]", OPT_CONTROL, 0, 0, NULL, NULL },
	{ .name = NULL }
};

static const struct cmd key_cmds[] = {
	{ "del", cmd_key_del, "revoke and unlink a seed or a Device Key",
	  "SID is 16 hex digits, DID 32. A revoked key's secret is wiped.",
	  "(--seed SID | --device DID)", OPT_SEED | OPT_DEVICE, 0, 0, NULL,
	  NULL },
	{ "wrap", cmd_key_wrap, "seal a seed or Device Key for storage",
	  "KEY_WRAP: the key and its metadata sealed by the kernel under the\n"
	  "key-encryption key KEK (TYPE:DESCRIPTION of a user, logon,\n"
	  "encrypted or trusted key), LABEL (hex) bound in. Prints blob.",
	  "(--seed SID | --device DID) KEK [LABEL]",
	  OPT_JSON | OPT_SEED | OPT_DEVICE, 1, 2, NULL, NULL },
	{ "unwrap", cmd_key_unwrap, "put a wrapped key back into the kernel",
	  "KEY_UNWRAP: opens BLOB (hex, from \"key wrap\" or a store) under\n"
	  "KEK and LABEL and stores the key with its metadata. Prints kind,\n"
	  "the Seed or Device ID, serial and generation.",
	  "KEK BLOB [LABEL]", OPT_JSON, 2, 3, NULL, NULL },
	{ .name = NULL }
};

static const struct cmd assign_cmds[] = {
	{ "request", cmd_assign_request, "GW1, II-1: start an assignment",
	  "Makes a request nonce and its MAC under seed SID (16 hex digits).\n"
	  "Prints seed_id, request_nonce (N1) and request_mac (MAC).",
	  "SID", OPT_JSON, 1, 1, NULL, NULL },
	{ "challenge", cmd_assign_challenge,
	  "server, II-2/II-3: check the request, answer a challenge",
	  "Checks MAC over SID and N1, makes a challenge that stays pending\n"
	  "until \"assign confirm\" or until it expires. Prints challenge (CH)\n"
	  "and challenge_mac (MAC).",
	  "SID N1 MAC", OPT_JSON, 3, 3, NULL, NULL },
	{ "derive", cmd_assign_derive,
	  "GW1, II-3/II-4: check the challenge, derive the Device Key",
	  "Checks MAC over SID, N1 and CH, derives the Device ID and stores\n"
	  "the Device Key as pending. Prints device_id (DID) and serial.",
	  "SID N1 CH MAC", OPT_JSON, 4, 4, NULL, NULL },
	{ "confirm", cmd_assign_confirm,
	  "server, II-6/II-7: check the Device ID, make the code",
	  "Recomputes the Device ID from the challenge pending for N1,\n"
	  "consumes the challenge and prints the verification code confirm\n"
	  "(CODE).",
	  "DID N1", OPT_JSON, 2, 2, NULL, NULL },
	{ "verify", cmd_assign_verify,
	  "GW1, II-8: check the code, confirm the Device Key",
	  "A match confirms the pending Device Key DID; a mismatch destroys\n"
	  "it. Prints device_id, serial and state.",
	  "DID CODE", OPT_JSON, 2, 2, NULL, NULL },
	{ .name = NULL }
};

static const struct cmd pair_cmds[] = {
	{ "list", cmd_pair_list, "II-9 transfers waiting for a confirmation",
	  "Asks a cpns-gwd (its control socket) for the transfers that wait.\n"
	  "On GW2: the six-digit code to type on GW1. On GW1: the ID to\n"
	  "confirm (GW1 does not show its own code: read GW2's).",
	  "[--control PATH]", OPT_JSON | OPT_CONTROL, 0, 0, NULL, NULL },
	{ "confirm", cmd_pair_confirm,
	  "GW1, II-9: send the Device Key if CODE is GW1's code",
	  "CODE is the code GW2 shows. GW1 compares it with its own; a\n"
	  "match sends the sealed Device Key, a mismatch aborts the transfer\n"
	  "(a man in the middle, or a typing error: GW2 asks again).",
	  "ID CODE [--control PATH]", OPT_CONTROL, 2, 2, NULL, NULL },
	{ "reject", cmd_pair_reject, "GW1, II-9: refuse a transfer",
	  NULL, "ID [--control PATH]", OPT_CONTROL, 1, 1, NULL, NULL },
	{ .name = NULL }
};

static const struct cmd device_cmds[] = {
	{ "reassign", cmd_device_reassign,
	  "GW2: ask GW1 for a new Device ID and Key replacing this one",
	  "Asks a cpns-gwd of role nonsecure (its control socket) to run II-9\n"
	  "now with REPLACES = its current Device ID. GW1 runs flow II with\n"
	  "the server, which revokes the old Device ID as it confirms the new\n"
	  "one; GW2 imports the new key, which revokes its old one, stores it\n"
	  "and authenticates under the new ID (Documentation/protocol.rst,\n"
	  "\"Re-assignment\"). The result is in the daemons' logs.",
	  "[--control PATH]", OPT_CONTROL, 0, 0, NULL, NULL },
	{ .name = NULL }
};

static const struct cmd revoke_cmds[] = {
	{ "device", cmd_revoke_device,
	  "server: revoke a Device ID, in the store and the kernel",
	  "Commits the revocation of DID (32 hex digits) to the server's store\n"
	  "PATH, then revokes it in this namespace's kernel (KEY_REVOKE), which\n"
	  "closes its live sessions; its next a-flow is refused. Prints\n"
	  "device_id, store (\"revoked\" or \"already revoked\"), serial and\n"
	  "sessions_closed. Revoking again is harmless.",
	  "DID --store PATH", OPT_JSON | OPT_STORE, 1, 1, NULL, NULL },
	{ "seed", cmd_revoke_seed,
	  "server: revoke a Seed ID and every device of it",
	  "Commits the revocation of seed SID (16 hex digits) to the store\n"
	  "PATH, then revokes it in the kernel: every Device ID of that seed is\n"
	  "refused and their sessions closed. Prints seed_id, store, serial and\n"
	  "sessions_closed.",
	  "SID --store PATH", OPT_JSON | OPT_STORE, 1, 1, NULL, NULL },
	{ .name = NULL }
};

static const struct cmd server_cmds[] = {
	{ "status", cmd_server_status, "cpns-serverd: connections, store, counts",
	  "Asks a running cpns-serverd (its control socket) for its version,\n"
	  "uptime, connections, store (backend) and the counts of its seeds\n"
	  "and devices.",
	  "[--control PATH]", OPT_JSON | OPT_CONTROL, 0, 0, NULL, NULL },
	{ "devices", cmd_server_devices, "a page of the device inventory",
	  "Lists the devices of the server's inventory in Device ID order:\n"
	  "every confirmed assignment, with its seed, generation, state\n"
	  "(active, unconfirmed, revoked, expired), key (derived from the\n"
	  "seed, or rekeyed), the GW1 that assigned it and when, and the last\n"
	  "authentication. Filters: seed SID, gw1 NAME, state STATE; a page\n"
	  "is limit N devices (default 100, at most 1000) after DID. With\n"
	  "--json: {\"devices\": [...], \"next\": DID of a full page or null}.",
	  "[seed SID] [gw1 NAME] [state STATE] [limit N] [after DID] [--control PATH]",
	  OPT_JSON | OPT_CONTROL, 0, 10, NULL, NULL },
	{ "device", cmd_server_device, "one device of the inventory", NULL,
	  "DID [--control PATH]", OPT_JSON | OPT_CONTROL, 1, 1, NULL, NULL },
	{ "revoke", cmd_server_revoke,
	  "revoke a device, in the store and the kernel",
	  "Asks the running cpns-serverd to revoke DID as \"cpnsctl revoke\n"
	  "device\" does: in its store first, then in its kernel, closing the\n"
	  "device's sessions. Its next authentication is refused.",
	  "DID [--control PATH]", OPT_JSON | OPT_CONTROL, 1, 1, NULL, NULL },
	{ "sessions", cmd_server_sessions,
	  "the a-flows and sessions of the server's connections", NULL,
	  "[--control PATH]", OPT_JSON | OPT_CONTROL, 0, 0, NULL, NULL },
	{ .name = NULL }
};

static const struct cmd store_cmds[] = {
	{ "show", cmd_store_show, "list a server store's rows (no blobs)",
	  "Lists the seeds (seed id, state, owner, created, expiry) and the\n"
	  "device records (device id, state, generation, created, expiry) of\n"
	  "the store PATH, read-only. Blobs are shown by their length only.",
	  "PATH", OPT_JSON, 1, 1, NULL, NULL },
	{ "check", cmd_store_check, "check a server store",
	  "Opens PATH read-only and runs PRAGMA integrity_check, the schema\n"
	  "version and every row's columns. Prints the row counts; exits 1\n"
	  "with the reason if the store is torn or corrupted. The blobs are\n"
	  "checked when cpns-serverd unwraps them.",
	  "PATH", OPT_JSON, 1, 1, NULL, NULL },
	{ .name = NULL }
};

static int cmd_help(const struct cmd *cmd, const struct opts *o);

static const struct cmd commands[] = {
	{ "info", cmd_info, "show the version, keyring serial and limits",
	  "Prints version, keyring, pending_max, pending_timeout (seconds)\n"
	  "and session_max. Needs no privilege.",
	  "", OPT_JSON, 0, 0, NULL, NULL },
	{ "keyring", cmd_keyring, "print the serial of the .cpns keyring",
	  "For instance: keyctl show $(cpnsctl keyring)",
	  "", OPT_JSON, 0, 0, NULL, NULL },
	{ "show", cmd_show, "show keys, pending objects, sessions, counters",
	  "Lists this namespace's seeds and Device Keys with role, state,\n"
	  "serial and expiry, then the pending and session counts and the\n"
	  "counters of \"cpnsctl stats\".",
	  "", OPT_JSON, 0, 0, NULL, NULL },
	{ "stats", cmd_stats, "show per-command and per-failure counters",
	  NULL, "", OPT_JSON, 0, 0, NULL, NULL },
	{ "kat", cmd_kat, "run known-answer vectors through the kernel",
	  "Runs every vector of FILE (\"-\" reads standard input) through the\n"
	  "kernel and prints one line per vector and field: \"vector 0\n"
	  "device_id ok\" or \"... MISMATCH\" followed by the wanted and\n"
	  "computed values. FILE is the profile's vectors.json (KAT command)\n"
	  "or Documentation/{xfer,rekey,store}-vectors.json (KAT_EXT), as its\n"
	  "\"profile\" field says. Exits 1 on any mismatch or error.",
	  "FILE", OPT_JSON, 1, 1, NULL, NULL },
	{ "seed", NULL, "Key Seeds: seed new, seed rotate", NULL, "", 0, 0, 0, seed_cmds,
	  NULL },
	{ "key", NULL, "keys: key del", NULL, "", 0, 0, 0, key_cmds, NULL },
	{ "device", NULL, "GW2's Device ID: device reassign", NULL, "", 0, 0, 0,
	  device_cmds, NULL },
	{ "revoke", NULL, "server: revoke a device or a seed, persistently",
	  NULL, "", 0, 0, 0, revoke_cmds, NULL },
	{ "store", NULL, "the server's store: store show, store check", NULL,
	  "", 0, 0, 0, store_cmds, NULL },
	{ "assign", NULL,
	  "flow II steps: request, challenge, derive, confirm, verify",
	  "Each step is one call; its kernel state outlives the process.\n"
	  "Values go in and out as hex.",
	  "", 0, 0, 0, assign_cmds, NULL },
	{ "pair", NULL, "II-9 confirmation: pair list, confirm, reject",
	  "Talks to a running cpns-gwd over its control socket (the\n"
	  "configuration key control; default /run/cpns-gwd.ctl).",
	  "", 0, 0, 0, pair_cmds, NULL },
	{ "server", NULL,
	  "cpns-serverd: server status, devices, device, revoke, sessions",
	  "Talks to a running cpns-serverd over its control socket (the\n"
	  "configuration key control; default /run/cpns/cpns-serverd.ctl).",
	  "", 0, 0, 0, server_cmds, NULL },
	{ "help", cmd_help, "show help, of a command if one is named", NULL,
	  "[COMMAND...]", 0, 0, MAX_ARGS, NULL, NULL },
	{ .name = NULL }
};

/* ------------------------------------------------------------- help */

static void print_opts(FILE *f, unsigned int opts)
{
	if (opts & OPT_TIMEOUT)
		fprintf(f, "  --timeout SECONDS  lifetime of the key; 0 or absent: none\n");
	if (opts & OPT_SEED)
		fprintf(f, "  --seed SID         a Seed ID, 16 hex digits\n");
	if (opts & OPT_DEVICE)
		fprintf(f, "  --device DID       a Device ID, 32 hex digits\n");
	if (opts & OPT_CONTROL)
		fprintf(f, "  --control PATH     the daemon's control socket (cpns-gwd: /run/cpns-gwd.ctl, cpns-serverd: /run/cpns/cpns-serverd.ctl)\n");
	if (opts & OPT_STORE)
		fprintf(f, "  --store PATH       the server's store (cpns-serverd.conf: store)\n");
	if (opts & OPT_JSON)
		fprintf(f, "  --json             print one JSON object\n");
	fprintf(f, "  -h, --help         show this help\n");
}

static void cmd_usage(FILE *f, const struct cmd *c, const char *path)
{
	const struct cmd *s;

	if (c->sub) {
		fprintf(f, "Usage: %s %s <command> [<args>]\n\n%s.\n",
			prog, path, c->description);
		if (c->help)
			fprintf(f, "%s\n", c->help);
		fprintf(f, "\nCommands:\n");
		for (s = c->sub; s->name; s++)
			fprintf(f, "  %s%s%s\n      %s\n", s->name,
				s->args[0] ? " " : "", s->args, s->description);
		fprintf(f, "\nRun \"%s %s <command> --help\" for details.\n",
			prog, path);
		return;
	}
	fprintf(f, "Usage: %s %s%s%s%s\n\n%s.\n", prog, path,
		c->args[0] ? " " : "", c->args,
		c->opts & OPT_JSON ? " [--json]" : "", c->description);
	if (c->help)
		fprintf(f, "%s\n", c->help);
	fprintf(f, "\nOptions:\n");
	print_opts(f, c->opts);
}

static void main_usage(FILE *f)
{
	const struct cmd *c;

	fprintf(f,
		"Usage: %s [-j|--json] <command> [<args>]\n"
		"       %s -V|--version\n\n"
		"Inspect and drive the cpns kernel module (OMA CPNS Device ID/Key\n"
		"Assignment, profile CPNS-KA-1) in this network namespace.\n\n"
		"Commands:\n", prog, prog);
	for (c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->description);
	fprintf(f,
		"\nRun \"%s <command> --help\" for a command's arguments.\n"
		"Options: -j/--json gives the command's --json; -V/--version.\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n", prog);
}

/* ------------------------------------------------------------- options */

static int parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || x > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

/* "--name VALUE" or "--name=VALUE": the value, or NULL if a is not it. */
static const char *opt_value(const char *a, const char *name, int argc,
			     char **argv, int *i, bool *missing)
{
	size_t n = strlen(name);

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

static int parse_opts(const struct cmd *c, int argc, char **argv,
		      struct opts *o)
{
	bool dashdash = false;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			break;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			o->help = true;
	if (o->help)
		return 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
		bool missing = false;

		if (dashdash || a[0] != '-' || !a[1]) {
			if (o->nargs == MAX_ARGS)
				return usage_error(c, "too many arguments");
			o->args[o->nargs++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
		} else if ((c->opts & OPT_JSON) && !strcmp(a, "--json")) {
			o->json = true;
		} else if ((c->opts & OPT_TIMEOUT) &&
			   ((v = opt_value(a, "--timeout", argc, argv, &i,
					   &missing)) || missing)) {
			if (missing || parse_u32(v, &o->timeout))
				return usage_error(c,
						   "--timeout needs a number of seconds (0 to %u)",
						   UINT32_MAX);
			o->has_timeout = true;
		} else if ((c->opts & OPT_SEED) &&
			   ((v = opt_value(a, "--seed", argc, argv, &i,
					   &missing)) || missing)) {
			if (missing)
				return usage_error(c, "--seed needs a Seed ID");
			o->seed = v;
		} else if ((c->opts & OPT_DEVICE) &&
			   ((v = opt_value(a, "--device", argc, argv, &i,
					   &missing)) || missing)) {
			if (missing)
				return usage_error(c,
						   "--device needs a Device ID");
			o->device = v;
		} else if ((c->opts & OPT_CONTROL) &&
			   ((v = opt_value(a, "--control", argc, argv, &i,
					   &missing)) || missing)) {
			if (missing)
				return usage_error(c,
						   "--control needs a socket path");
			o->control = v;
		} else if ((c->opts & OPT_STORE) &&
			   ((v = opt_value(a, "--store", argc, argv, &i,
					   &missing)) || missing)) {
			if (missing)
				return usage_error(c, "--store needs a path");
			o->store = v;
		} else {
			return usage_error(c, "unknown option \"%s\"", a);
		}
	}
	if (o->nargs < c->min_args)
		return usage_error(c, "missing argument%s: expected %s",
				   c->min_args - o->nargs > 1 ? "s" : "",
				   c->args);
	if (o->nargs > c->max_args)
		return usage_error(c, "unexpected argument \"%s\"",
				   o->args[c->max_args]);
	return 0;
}

/* ------------------------------------------------------------- dispatch */

static const struct cmd *find(const struct cmd *table, const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

/* -j/--json before the command: as if the command were given --json. */
static bool global_json;

static int dispatch(const struct cmd *table, const char *prefix, int argc,
		    char **argv)
{
	const struct cmd *found = find(table, argv[0]);
	char path[64];
	struct cmd c;
	struct opts o;
	int ret;

	if (!found) {
		struct cmd parent = { .path = prefix };

		return usage_error(prefix[0] ? &parent : NULL,
				   "unknown command \"%s\"", argv[0]);
	}
	snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? " " : "",
		 found->name);
	c = *found;
	c.path = path;
	if (c.sub) {
		if (argc < 2)
			return usage_error(&c, "missing command");
		if (is_help(argv[1])) {
			cmd_usage(stdout, &c, path);
			return EXIT_OK;
		}
		return dispatch(c.sub, path, argc - 1, argv + 1);
	}
	ret = parse_opts(&c, argc - 1, argv + 1, &o);
	if (ret)
		return ret;
	if (o.help) {
		cmd_usage(stdout, &c, path);
		return EXIT_OK;
	}
	if (global_json) {
		if (!(c.opts & OPT_JSON))
			return usage_error(&c, "-j/--json: \"%s\" prints no data to format as JSON",
					   path);
		o.json = true;
	}
	return c.fn(&c, &o);
}

static int cmd_help(const struct cmd *cmd, const struct opts *o)
{
	char *argv[MAX_ARGS + 1];
	int i;

	(void)cmd;
	if (!o->nargs) {
		main_usage(stdout);
		return EXIT_OK;
	}
	for (i = 0; i < o->nargs; i++)
		argv[i] = (char *)o->args[i];
	argv[i] = "--help";
	return dispatch(commands, "", o->nargs + 1, argv);
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			main_usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("%s %s (Generic Netlink family %s, version %d)\n",
			       prog, CPNS_VERSION, CPNS_GENL_NAME,
			       CPNS_GENL_VERSION);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-j") || !strcmp(argv[i], "--json"))
			global_json = true;
		else
			return usage_error(NULL, "unknown option \"%s\"",
					   argv[i]);
	}
	if (i >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	return dispatch(commands, "", argc - i, argv + i);
}
