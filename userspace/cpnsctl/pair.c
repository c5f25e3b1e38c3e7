// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpnsctl pair: the II-9 transfers that a cpns-gwd holds for an operator's
 * confirmation, through the daemon's control socket
 * (Documentation/cpns-gwd.rst, "CONTROL SOCKET"). On GW2, "list" shows the
 * code to type on GW1; on GW1, "confirm ID CODE" sends the Device Key if
 * CODE is GW1's own code (compared by the daemon in constant time), and
 * "reject ID" refuses the transfer. Nothing here is a secret: the codes
 * are public, and the keys stay in the kernels. "cpnsctl seed rotate"
 * asks a GW1's daemon, through the same socket, for a new Key Seed, and
 * "cpnsctl device reassign" a GW2's for a Device ID replacing its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "cpnsctl.h"

#define PAIR_DEFAULT_CONTROL	"/run/cpns-gwd.ctl"
#define PAIR_REPLY_MAX		1048576
#define PAIR_TIMEOUT_S		10
#define PAIR_FIELDS		10

static const char *control_path(const struct opts *o)
{
	return o->control ? o->control : PAIR_DEFAULT_CONTROL;
}

/*
 * Send one request line, read the whole reply (the daemon closes after
 * it). Return the reply (malloc, NUL-terminated) or NULL after printing
 * why.
 */
char *ctl_request(const struct cmd *cmd, const char *path, const char *line)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PAIR_TIMEOUT_S };
	size_t len = 0, cap = 4096;
	char *buf = NULL, *p;
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s %s: control socket path too long: %s\n",
			prog, cmd->path, path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		fprintf(stderr,
			"%s %s: cannot connect to the control socket %s: %s (is the daemon running with control = %s? --control PATH names another)\n",
			prog, cmd->path, path, strerror(errno), path);
		goto err;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		fprintf(stderr, "%s %s: %s: cannot send the request: %s\n",
			prog, cmd->path, path, strerror(errno));
		goto err;
	}
	buf = malloc(cap);
	if (!buf)
		goto err_nomem;
	for (;;) {
		if (len + 1 == cap) {
			if (cap >= PAIR_REPLY_MAX) {
				fprintf(stderr, "%s %s: %s: reply too long\n",
					prog, cmd->path, path);
				goto err;
			}
			p = realloc(buf, cap * 2);
			if (!p)
				goto err_nomem;
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s %s: %s: no reply: %s\n", prog,
				cmd->path, path, strerror(errno));
			goto err;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
err_nomem:
	fprintf(stderr, "%s %s: out of memory\n", prog, cmd->path);
err:
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* The last line: "ok[ TEXT]" -> EXIT_OK, "error TEXT" -> printed. */
int ctl_status(const struct cmd *cmd, const char *last, bool quiet)
{
	if (!strncmp(last, "ok", 2) && (!last[2] || last[2] == ' ')) {
		if (!quiet && last[2])
			printf("%s\n", last + 3);
		return EXIT_OK;
	}
	if (!strncmp(last, "error ", 6))
		fprintf(stderr, "%s %s: %s\n", prog, cmd->path, last + 6);
	else
		fprintf(stderr, "%s %s: the daemon's reply is not understood: \"%s\"\n",
			prog, cmd->path, last);
	return EXIT_FAIL;
}

static const char *const field_names[PAIR_FIELDS] = {
	"", "id", "state", "gateway", "peer", "device_id", "mode", "code",
	"waited", "left",
};

int cmd_pair_list(const struct cmd *cmd, const struct opts *o)
{
	char *reply, *line, *save = NULL, *last = "";
	json_object *arr = NULL;
	int ret, count = 0;

	reply = ctl_request(cmd, control_path(o), "list\n");
	if (!reply)
		return EXIT_FAIL;
	if (o->json)
		arr = json_object_new_array();
	else
		printf("%-4s %-17s %-40s %-32s %-11s %-6s %s\n", "ID", "STATE",
		       "GATEWAY", "DEVICE ID", "MODE", "CODE", "WAITED/LEFT");
	for (line = strtok_r(reply, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[PAIR_FIELDS], *fs = NULL, *t;
		int n = 0;

		last = line;
		if (strncmp(line, "pair\t", 5))
			continue;
		for (t = strtok_r(line, "\t", &fs); t && n < PAIR_FIELDS;
		     t = strtok_r(NULL, "\t", &fs))
			f[n++] = t;
		if (n != PAIR_FIELDS) {
			fprintf(stderr, "%s %s: a line of the reply has %d fields, not %d\n",
				prog, cmd->path, n, PAIR_FIELDS);
			continue;
		}
		count++;
		if (arr) {
			json_object *e = json_object_new_object();
			int i;

			for (i = 1; i < PAIR_FIELDS; i++)
				json_object_object_add(e, field_names[i],
						       i >= 8 ?
						       json_object_new_int64(atoll(f[i])) :
						       json_object_new_string(f[i]));
			json_object_array_add(arr, e);
		} else {
			printf("%-4s %-17s %-40s %-32s %-11s %-6s %ss/%ss\n",
			       f[1], f[2], f[3], f[5], f[6], f[7], f[8], f[9]);
		}
	}
	ret = ctl_status(cmd, last, true);
	free(reply);
	if (arr) {
		json_object *obj = json_object_new_object();

		json_object_object_add(obj, "pairs", arr);
		if (ret == EXIT_OK)
			return print_json(obj);
		json_object_put(obj);
	} else if (ret == EXIT_OK && !count) {
		printf("(no transfer waits for a confirmation)\n");
	}
	return ret;
}

static int decide(const struct cmd *cmd, const struct opts *o,
		  const char *code)
{
	char line[64];
	const char *p;
	char *reply, *last, *nl;
	uint32_t id;
	int ret;

	for (p = o->args[0]; *p; p++)
		if (*p < '0' || *p > '9')
			break;
	id = 0;
	if (!*p && *o->args[0] && strlen(o->args[0]) <= 9)
		id = (uint32_t)strtoul(o->args[0], NULL, 10);
	if (!id)
		return usage_error(cmd, "ID must be the number \"cpnsctl pair list\" shows, got \"%s\"",
				   o->args[0]);
	if (code) {
		for (p = code; *p >= '0' && *p <= '9'; p++)
			;
		if (*p || strlen(code) != 6)
			return usage_error(cmd, "CODE must be the six digits GW2 shows, got \"%s\"",
					   code);
		snprintf(line, sizeof(line), "confirm %u %s\n", id, code);
	} else {
		snprintf(line, sizeof(line), "reject %u\n", id);
	}
	reply = ctl_request(cmd, control_path(o), line);
	if (!reply)
		return EXIT_FAIL;
	/* The answer is the last non-empty line. */
	while ((nl = strrchr(reply, '\n')) && !nl[1])
		*nl = '\0';
	last = strrchr(reply, '\n');
	last = last ? last + 1 : reply;
	ret = ctl_status(cmd, last, false);
	free(reply);
	return ret;
}

int cmd_pair_confirm(const struct cmd *cmd, const struct opts *o)
{
	return decide(cmd, o, o->args[1]);
}

int cmd_pair_reject(const struct cmd *cmd, const struct opts *o)
{
	return decide(cmd, o, NULL);
}

/* One request line without arguments; the daemon's last line decides. */
static int ctl_simple(const struct cmd *cmd, const struct opts *o,
		      const char *line)
{
	char *reply, *last, *nl;
	int ret;

	reply = ctl_request(cmd, control_path(o), line);
	if (!reply)
		return EXIT_FAIL;
	while ((nl = strrchr(reply, '\n')) && !nl[1])
		*nl = '\0';
	last = strrchr(reply, '\n');
	last = last ? last + 1 : reply;
	ret = ctl_status(cmd, last, false);
	free(reply);
	return ret;
}

int cmd_seed_rotate(const struct cmd *cmd, const struct opts *o)
{
	return ctl_simple(cmd, o, "rotate\n");
}

int cmd_device_reassign(const struct cmd *cmd, const struct opts *o)
{
	return ctl_simple(cmd, o, "reassign\n");
}
