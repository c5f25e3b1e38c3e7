// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpnsctl server: cpns-serverd's control socket (serverd/control.c;
 * Documentation/cpns-serverd.rst, "CONTROL SOCKET"): the daemon's status,
 * its device inventory, one device, a revocation, the sessions. Each
 * command is one request line; the reply's lines are printed as a table
 * or, with --json, as one JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpnsctl.h"

#define SERVER_DEFAULT_CONTROL	"/run/cpns/cpns-serverd.ctl"
#define DEVICE_FIELDS		12
#define SESSION_FIELDS		7

static const char *control_path(const struct opts *o)
{
	return o->control ? o->control : SERVER_DEFAULT_CONTROL;
}

/* Split a tab-separated line into at most max fields; the count. */
static int fields(char *line, char **f, int max)
{
	char *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(line, "\t", &save); t && n < max;
	     t = strtok_r(NULL, "\t", &save))
		f[n++] = t;
	return t ? max + 1 : n;
}

/* The reply's lines, in place; the last one (the status) in *last. */
static int lines(char *reply, char **v, int max, char **last)
{
	char *save = NULL, *l;
	int n = 0;

	*last = "";
	for (l = strtok_r(reply, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (n < max)
			v[n++] = l;
		*last = l;
	}
	return n;
}

/*
 * Send request; the reply in lines (*v, *n; free *reply and *v), its last
 * line checked: EXIT_OK, or EXIT_FAIL after printing why.
 */
static int fetch(const struct cmd *cmd, const struct opts *o,
		 const char *request, char **reply, char ***v, int *n)
{
	char *last;
	int ret;

	*v = NULL;
	*n = 0;
	*reply = ctl_request(cmd, control_path(o), request);
	if (!*reply)
		return EXIT_FAIL;
	*v = calloc(strlen(*reply) / 2 + 2, sizeof(**v));
	if (!*v) {
		fprintf(stderr, "%s %s: out of memory\n", prog, cmd->path);
		return EXIT_FAIL;
	}
	*n = lines(*reply, *v, (int)(strlen(*reply) / 2 + 1), &last);
	ret = ctl_status(cmd, last, true);
	return ret;
}

static const char *const device_names[DEVICE_FIELDS] = {
	"", "device_id", "seed_id", "generation", "state", "key", "gw1",
	"gw1_addr", "assigned", "last_auth", "last_addr", "expiry",
};

static json_object *device_json(char **f)
{
	json_object *e = json_object_new_object();
	int i;

	for (i = 1; i < DEVICE_FIELDS; i++) {
		bool num = i == 3 || i == 8 || i == 9 || i == 11;

		json_object_object_add(e, device_names[i], num ?
				       json_object_new_int64(atoll(f[i])) :
				       !strcmp(f[i], "-") ? NULL :
				       json_object_new_string(f[i]));
	}
	return e;
}

static void device_text(char **f)
{
	printf("%-32s %3s %-11s %-7s %-20s %-22s %10s %10s %s\n", f[1], f[3],
	       f[4], f[5], f[6], f[7], f[8], f[9], f[10]);
}

/*
 * Run request and print its "device" lines; *count and *last_did (the
 * last Device ID, for the next page) if not NULL.
 */
static int devices_request(const struct cmd *cmd, const struct opts *o,
			   const char *request, json_object *arr, int *count,
			   char *last_did)
{
	char *reply, **v, *f[DEVICE_FIELDS + 1];
	int i, n, ret;

	ret = fetch(cmd, o, request, &reply, &v, &n);
	for (i = 0; i < n && ret == EXIT_OK; i++) {
		if (strncmp(v[i], "device\t", 7))
			continue;
		if (fields(v[i], f, DEVICE_FIELDS + 1) != DEVICE_FIELDS) {
			fprintf(stderr, "%s %s: a line of the reply has the wrong number of fields\n",
				prog, cmd->path);
			ret = EXIT_FAIL;
			break;
		}
		if (arr)
			json_object_array_add(arr, device_json(f));
		else
			device_text(f);
		if (count)
			(*count)++;
		if (last_did)
			snprintf(last_did, 33, "%s", f[1]);
	}
	free(v);
	free(reply);
	return ret;
}

static void device_header(void)
{
	printf("%-32s %3s %-11s %-7s %-20s %-22s %10s %10s %s\n", "DEVICE ID",
	       "GEN", "STATE", "KEY", "GW1", "GW1 ADDRESS", "ASSIGNED",
	       "LAST AUTH", "LAST ADDRESS");
}

int cmd_server_devices(const struct cmd *cmd, const struct opts *o)
{
	char request[512], last[33] = "";
	json_object *obj = NULL, *arr = NULL;
	size_t len;
	int i, ret, count = 0;
	long limit = 100;

	if (o->nargs % 2)
		return usage_error(cmd, "filters are pairs: seed SID, gw1 NAME, state STATE, limit N, after DID");
	len = (size_t)snprintf(request, sizeof(request), "devices");
	for (i = 0; i < o->nargs; i += 2) {
		if (strcmp(o->args[i], "seed") && strcmp(o->args[i], "gw1") &&
		    strcmp(o->args[i], "state") && strcmp(o->args[i], "limit") &&
		    strcmp(o->args[i], "after"))
			return usage_error(cmd, "unknown filter '%s': seed, gw1, state, limit or after",
					   o->args[i]);
		if (strchr(o->args[i + 1], ' ') || strchr(o->args[i + 1], '\n'))
			return usage_error(cmd, "'%s': a value has no blanks",
					   o->args[i + 1]);
		if (!strcmp(o->args[i], "limit"))
			limit = atol(o->args[i + 1]);
		len += (size_t)snprintf(request + len, sizeof(request) - len,
					" %s %s", o->args[i], o->args[i + 1]);
		if (len >= sizeof(request))
			return usage_error(cmd, "filters too long");
	}
	snprintf(request + len, sizeof(request) - len, "\n");
	if (o->json) {
		obj = json_object_new_object();
		arr = json_object_new_array();
	} else {
		device_header();
	}
	ret = devices_request(cmd, o, request, arr, &count, last);
	if (ret) {
		json_object_put(arr);
		json_object_put(obj);
		return ret;
	}
	/* A full page: the next one starts after its last Device ID. */
	if (obj) {
		json_object_object_add(obj, "devices", arr);
		json_object_object_add(obj, "next", count == limit ?
				       json_object_new_string(last) : NULL);
		return print_json(obj);
	}
	if (count == limit)
		printf("next page: %s %s after %s\n", prog, cmd->path, last);
	return EXIT_OK;
}

int cmd_server_device(const struct cmd *cmd, const struct opts *o)
{
	char request[128];
	json_object *arr = NULL;
	int ret;

	if (strlen(o->args[0]) != 32)
		return usage_error(cmd, "DID is 32 hex digits");
	snprintf(request, sizeof(request), "device %s\n", o->args[0]);
	if (o->json)
		arr = json_object_new_array();
	else
		device_header();
	ret = devices_request(cmd, o, request, arr, NULL, NULL);
	if (ret || !arr) {
		json_object_put(arr);
		return ret;
	}
	ret = print_json(json_object_get(json_object_array_get_idx(arr, 0)));
	json_object_put(arr);
	return ret;
}

/* "name\tvalue" lines (status) or "revoked\t..." into out. */
static int simple(const struct cmd *cmd, const struct opts *o,
		  const char *request)
{
	char *reply, **v, *f[6];
	struct out out;
	int i, n, ret;

	ret = fetch(cmd, o, request, &reply, &v, &n);
	if (ret) {
		free(v);
		free(reply);
		return ret;
	}
	out_init(&out, o->json);
	for (i = 0; i + 1 < n; i++) {
		int k = fields(v[i], f, 6);

		if (k == 5 && !strcmp(f[0], "revoked")) {
			out_str(&out, "device_id", f[1]);
			out_str(&out, "store", f[2]);
			out_s64(&out, "serial", atoll(f[3]));
			out_u64(&out, "sessions_closed", strtoull(f[4], NULL, 10));
		} else if (k == 2 && strspn(f[1], "0123456789") == strlen(f[1])) {
			out_u64(&out, f[0], strtoull(f[1], NULL, 10));
		} else if (k == 2) {
			out_str(&out, f[0], f[1]);
		}
	}
	free(v);
	free(reply);
	return out_end(&out);
}

int cmd_server_status(const struct cmd *cmd, const struct opts *o)
{
	return simple(cmd, o, "status\n");
}

int cmd_server_revoke(const struct cmd *cmd, const struct opts *o)
{
	char request[128];

	if (strlen(o->args[0]) != 32)
		return usage_error(cmd, "DID is 32 hex digits");
	snprintf(request, sizeof(request), "revoke %s\n", o->args[0]);
	return simple(cmd, o, request);
}

static const char *const session_names[SESSION_FIELDS] = {
	"", "conn", "peer", "device_id", "handle", "reports", "state",
};

int cmd_server_sessions(const struct cmd *cmd, const struct opts *o)
{
	char *reply, **v, *f[SESSION_FIELDS + 1];
	json_object *arr = NULL;
	int i, j, n, ret;

	ret = fetch(cmd, o, "sessions\n", &reply, &v, &n);
	if (!ret && o->json)
		arr = json_object_new_array();
	else if (!ret)
		printf("%-6s %-40s %-32s %-8s %-8s %s\n", "CONN", "PEER",
		       "DEVICE ID", "HANDLE", "REPORTS", "STATE");
	for (i = 0; i < n && !ret; i++) {
		if (strncmp(v[i], "session\t", 8) ||
		    fields(v[i], f, SESSION_FIELDS + 1) != SESSION_FIELDS)
			continue;
		if (!arr) {
			printf("%-6s %-40s %-32s %-8s %-8s %s\n", f[1], f[2],
			       f[3], f[4], f[5], f[6]);
			continue;
		}
		json_object *e = json_object_new_object();

		for (j = 1; j < SESSION_FIELDS; j++)
			json_object_object_add(e, session_names[j],
					       j == 1 || j == 4 || j == 5 ?
					       json_object_new_int64(atoll(f[j])) :
					       json_object_new_string(f[j]));
		json_object_array_add(arr, e);
	}
	free(v);
	free(reply);
	if (arr)
		return print_json(arr);
	return ret;
}
