/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* cpnsctl: shared declarations of the command-line tool. */
#ifndef CPNSCTL_H
#define CPNSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cpns.h"

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* Options a command accepts. */
#define OPT_JSON	(1u << 0)
#define OPT_TIMEOUT	(1u << 1)
#define OPT_SEED	(1u << 2)
#define OPT_DEVICE	(1u << 3)
#define OPT_STORE	(1u << 5)
#define OPT_CONTROL	(1u << 4)

#define MAX_ARGS	10

struct opts {
	bool json;
	bool help;
	bool has_timeout;
	uint32_t timeout;
	const char *seed;
	const char *device;
	const char *store;
	const char *control;		/* --control: a cpns-gwd socket */
	int nargs;
	const char *args[MAX_ARGS];
};

struct cmd;
typedef int (*cmd_fn)(const struct cmd *cmd, const struct opts *o);

struct cmd {
	const char *name;
	cmd_fn fn;			/* NULL for a group */
	const char *description;	/* one line */
	const char *help;		/* more, for --help; may be NULL */
	const char *args;		/* synopsis after the name */
	unsigned int opts;		/* OPT_* accepted */
	int min_args, max_args;
	const struct cmd *sub;		/* a group's commands, NULL-terminated */
	const char *path;		/* "assign request", set by dispatch */
};

/*
 * pair.c: a daemon's control socket (gwd/control.c, serverd/control.c).
 * ctl_request(): send one request line, return the whole reply (malloc,
 * NUL-terminated) or NULL after printing why. ctl_status(): the reply's
 * last line, "ok[ TEXT]" -> EXIT_OK, "error TEXT" printed -> EXIT_FAIL.
 */
char *ctl_request(const struct cmd *cmd, const char *path, const char *line);
int ctl_status(const struct cmd *cmd, const char *last, bool quiet);

/* server.c: cpns-serverd's control socket. */
int cmd_server_status(const struct cmd *cmd, const struct opts *o);
int cmd_server_devices(const struct cmd *cmd, const struct opts *o);
int cmd_server_device(const struct cmd *cmd, const struct opts *o);
int cmd_server_revoke(const struct cmd *cmd, const struct opts *o);
int cmd_server_sessions(const struct cmd *cmd, const struct opts *o);

/* report.c */
extern const char *prog;
int usage_error(const struct cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int arg_hex(const struct cmd *cmd, const char *what, const char *hex,
	    void *out, size_t len);
struct cpns_nl *open_or_report(const struct cmd *cmd);
int fail_report(const struct cmd *cmd, struct cpns_nl *nl, int err);

/* out.c: "name: value" lines, or one JSON object with --json. */
struct out {
	bool json;
	json_object *obj;
};

void out_init(struct out *o, bool json);
void out_hex(struct out *o, const char *name, const void *p, size_t len);
void out_u64(struct out *o, const char *name, uint64_t v);
void out_s64(struct out *o, const char *name, int64_t v);
void out_str(struct out *o, const char *name, const char *s);
/* Print and free; EXIT_OK or EXIT_FAIL if stdout failed. */
int out_end(struct out *o);
/* Print a JSON object to stdout and release it. */
int print_json(json_object *obj);
json_object *json_hex(const void *p, size_t len);

/* show.c */
int cmd_info(const struct cmd *cmd, const struct opts *o);
int cmd_keyring(const struct cmd *cmd, const struct opts *o);
int cmd_show(const struct cmd *cmd, const struct opts *o);
int cmd_stats(const struct cmd *cmd, const struct opts *o);

/* kat.c */
int cmd_kat(const struct cmd *cmd, const struct opts *o);

/* flow.c */
int cmd_seed_new(const struct cmd *cmd, const struct opts *o);
int cmd_key_del(const struct cmd *cmd, const struct opts *o);

/* keyblob.c */
int cmd_key_wrap(const struct cmd *cmd, const struct opts *o);
int cmd_key_unwrap(const struct cmd *cmd, const struct opts *o);
int cmd_assign_request(const struct cmd *cmd, const struct opts *o);
int cmd_assign_challenge(const struct cmd *cmd, const struct opts *o);
int cmd_assign_derive(const struct cmd *cmd, const struct opts *o);
int cmd_assign_confirm(const struct cmd *cmd, const struct opts *o);
int cmd_assign_verify(const struct cmd *cmd, const struct opts *o);

/* store.c */
int cmd_revoke_device(const struct cmd *cmd, const struct opts *o);
int cmd_revoke_seed(const struct cmd *cmd, const struct opts *o);
int cmd_store_show(const struct cmd *cmd, const struct opts *o);
int cmd_store_check(const struct cmd *cmd, const struct opts *o);

/* pair.c */
int cmd_pair_list(const struct cmd *cmd, const struct opts *o);
int cmd_pair_confirm(const struct cmd *cmd, const struct opts *o);
int cmd_pair_reject(const struct cmd *cmd, const struct opts *o);
int cmd_seed_rotate(const struct cmd *cmd, const struct opts *o);
int cmd_device_reassign(const struct cmd *cmd, const struct opts *o);

#endif /* CPNSCTL_H */
