// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The configuration file of cpns-gwd (Documentation/cpns.conf.rst, section
 * "cpns-gwd"): the schema that lib/daemon/conf.c checks the file against, then the
 * checks that depend on the role (a key of the other role is an error),
 * into struct gwd_conf.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gwd.h"

static const char *const role_choices[] = {
	"secure", "nonsecure", "changing", NULL
};
static const char *const wan_choices[] = {
	"auto", "secure", "nonsecure", NULL
};
static const char *const target_choices[] = { "stderr", "syslog", NULL };
static const char *const level_choices[] = {
	"err", "warning", "notice", "info", "debug", NULL
};

#define STR(x)	#x
#define XSTR(x)	STR(x)

static const struct cpns_conf_key schema[] = {
	{ NULL, "role", CPNS_CONF_ENUM, .required = true,
	  .choices = role_choices,
	  .help = "secure (GW1, on a secure WAN), nonsecure (GW2) or changing (both, moving between WANs)" },
	{ NULL, "name", CPNS_CONF_NAME, .required = true,
	  .help = "this gateway's name, sent to its peers" },
	{ NULL, "server", CPNS_CONF_PEER, .required = true, .repeat = true,
	  .help = "the CPNS Server, HOST:PORT (a name, IPv4, or [IPv6]; changing: on the secure WAN; repeatable: servers of one store, tried in order)" },
	{ NULL, "log", CPNS_CONF_ENUM, .choices = target_choices,
	  .def = "stderr", .help = "where to log: stderr or syslog" },
	{ NULL, "log_level", CPNS_CONF_ENUM, .choices = level_choices,
	  .def = "info", .help = "least important messages logged" },
	{ NULL, "connect_timeout", CPNS_CONF_UINT, .min = 1, .max = 3600,
	  .def = XSTR(CPNS_WIRE_CONNECT_TIMEOUT),
	  .help = "seconds a TCP connect may take" },
	{ NULL, "step_timeout", CPNS_CONF_UINT, .min = 1, .max = 3600,
	  .def = XSTR(CPNS_WIRE_STEP_TIMEOUT),
	  .help = "seconds from a request to its answer" },
	{ NULL, "reconnect_min", CPNS_CONF_UINT, .min = 1, .max = 3600,
	  .def = "1", .help = "seconds before the first retry after a failure" },
	{ NULL, "reconnect_max", CPNS_CONF_UINT, .min = 1, .max = 86400,
	  .def = "60", .help = "largest retry delay, seconds" },
	{ NULL, "control", CPNS_CONF_PATH,
	  .help = "the control socket for cpnsctl pair (mode 0600)" },
	{ NULL, "pairing_key", CPNS_CONF_STRING,
	  .help = "TYPE:DESC of the kernel key both gateways share to confirm II-9" },
	{ NULL, "seed_pairing_key", CPNS_CONF_STRING,
	  .help = "TYPE:DESC of the kernel key shared with the server, to prove I-1's public key" },

	/* role = secure */
	{ NULL, "listen", CPNS_CONF_ADDR, .repeat = true,
	  .help = "secure: PN link address for GW2s, ADDR:PORT (repeatable)" },
	{ NULL, "max_clients", CPNS_CONF_UINT, .min = 1, .max = 65536,
	  .def = "256", .help = "secure: GW2 connections served at once" },
	{ NULL, "idle_timeout", CPNS_CONF_UINT, .min = 1, .max = 86400,
	  .def = XSTR(CPNS_WIRE_IDLE_TIMEOUT),
	  .help = "secure: seconds a GW2 may stay connected without asking" },
	{ NULL, "seed_timeout", CPNS_CONF_UINT, .min = 0, .max = 0,
	  .def = "0",
	  .help = "secure: lifetime of a received Key Seed, seconds (0: none)" },
	{ NULL, "allow", CPNS_CONF_STRING, .repeat = true,
	  .help = "secure: GW2 names served, shell patterns (repeatable; none: all)" },
	{ NULL, "confirm_timeout", CPNS_CONF_UINT, .min = 1, .max = 3600,
	  .def = XSTR(CPNS_WIRE_CONFIRM_TIMEOUT),
	  .help = "secure: seconds to wait for the confirmation of II-9" },
	{ NULL, "server_links", CPNS_CONF_UINT, .min = 0, .max = 1024,
	  .def = "4",
	  .help = "secure: idle links to the servers kept for the next assignments (0: a new connection for each)" },
	{ NULL, "server_idle_timeout", CPNS_CONF_UINT, .min = 1, .max = 3600,
	  .def = "60",
	  .help = "secure: seconds an idle link to a server is kept (keep it below the server's idle_timeout)" },

	/* role = nonsecure */
	{ NULL, "gw1", CPNS_CONF_PEER,
	  .help = "nonsecure: the secure gateway that assigns, HOST:PORT" },
	{ NULL, "device_id_file", CPNS_CONF_PATH,
	  .help = "nonsecure: where this gateway keeps its Device ID" },
	{ NULL, "store", CPNS_CONF_PATH,
	  .help = "nonsecure: the file of the Device Key, wrapped under kek" },
	{ NULL, "kek", CPNS_CONF_STRING,
	  .help = "nonsecure: TYPE:DESC of the key-encryption key of store" },
	{ NULL, "key_timeout", CPNS_CONF_UINT, .min = 0, .max = 0,
	  .def = "0",
	  .help = "nonsecure: lifetime of the received Device Key, seconds (0: none)" },
	{ NULL, "ask_timeout", CPNS_CONF_UINT, .min = 1, .max = 3600,
	  .def = XSTR(CPNS_WIRE_ASK_TIMEOUT),
	  .help = "nonsecure: seconds to wait for GW1's DEVICE_TRANSFER" },
	{ NULL, "report_interval", CPNS_CONF_UINT, .min = 1,
	  .max = CPNS_WIRE_IDLE_TIMEOUT / 2, .def = "60",
	  .help = "nonsecure: seconds between status reports" },
	{ NULL, "status_text", CPNS_CONF_STRING,
	  .help = "nonsecure: text of the reports (default: name, uptime)" },

	/* role = changing */
	{ NULL, "server_nonsecure", CPNS_CONF_PEER, .repeat = true,
	  .help = "changing: the CPNS Server on the non-secure WAN, HOST:PORT (repeatable)" },
	{ NULL, "wan", CPNS_CONF_ENUM, .choices = wan_choices, .def = "auto",
	  .help = "changing: which WAN this gateway is on; auto: by secure_wan" },
	{ NULL, "secure_wan", CPNS_CONF_STRING,
	  .help = "changing: ADDR/LEN, this gateway's addresses on the secure WAN" },
	{ NULL, "wan_check", CPNS_CONF_UINT, .min = 1, .max = 3600, .def = "2",
	  .help = "changing: seconds between checks of which WAN it is on" },
	{ .name = NULL }
};

#define R_S	(1u << GWD_SECURE)
#define R_N	(1u << GWD_NONSECURE)
#define R_C	(1u << GWD_CHANGING)

/* The keys that belong to some roles only. */
static const struct {
	const char *name;
	unsigned int roles;
} role_keys[] = {
	{ "listen", R_S },
	{ "max_clients", R_S },
	{ "idle_timeout", R_S },
	{ "seed_timeout", R_S | R_C },
	{ "allow", R_S },
	{ "confirm_timeout", R_S },
	{ "server_links", R_S },
	{ "server_idle_timeout", R_S },
	{ "pairing_key", R_S | R_N },
	{ "seed_pairing_key", R_S | R_C },
	{ "gw1", R_N },
	{ "device_id_file", R_N | R_C },
	{ "store", R_N | R_C },
	{ "kek", R_N | R_C },
	{ "key_timeout", R_N },
	{ "ask_timeout", R_N },
	{ "report_interval", R_N | R_C },
	{ "status_text", R_N | R_C },
	{ "server_nonsecure", R_C },
	{ "wan", R_C },
	{ "secure_wan", R_C },
	{ "wan_check", R_C },
};

/* "secure", "secure or changing": the roles of mask. */
static const char *roles_str(unsigned int mask, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; role_choices[i]; i++)
		if (mask & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
						off ? " or " : "",
						role_choices[i]);
	return buf;
}

/*
 * A key of another role is a mistake, not something to ignore: it would
 * silently do nothing. Defaults have line 0 and do not count.
 */
static int conf_roles(const struct gwd_conf *conf, const struct cpns_conf *cf,
		      char *err, size_t errlen)
{
	const struct cpns_conf_value *v;
	char roles[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(role_keys); i++) {
		if (role_keys[i].roles & (1u << conf->role))
			continue;
		v = cpns_conf_get(cf, NULL, role_keys[i].name, 0);
		if (v && v->line) {
			snprintf(err, errlen,
				 "%s:%u: %s is for role = %s, not %s",
				 conf->path, v->line, role_keys[i].name,
				 roles_str(role_keys[i].roles, roles,
					   sizeof(roles)),
				 role_choices[conf->role]);
			return -EINVAL;
		}
	}
	return 0;
}

static int conf_addr(const struct cpns_conf *cf, const char *key, size_t i,
		     struct gwd_addr *a)
{
	const struct cpns_conf_value *v = cpns_conf_get(cf, NULL, key, i);

	if (!v || !v->addrlen)
		return -ENOENT;
	memcpy(&a->ss, &v->addr, sizeof(a->ss));
	a->len = v->addrlen;
	cpns_addr_str((const struct sockaddr *)&a->ss, a->len, a->str,
		      sizeof(a->str));
	return 0;
}

/* A peer's value was checked by the parser: parsing it again succeeds. */
static int conf_peer(const struct cpns_conf *cf, const char *key,
		     struct cpns_peer *p)
{
	const struct cpns_conf_value *v = cpns_conf_get(cf, NULL, key, 0);

	if (!v || !v->text)
		return -ENOENT;
	return cpns_peer_parse(v->text, p, NULL, 0);
}

/*
 * Every value of a repeatable peer key (server, server_nonsecure), in the
 * order given: 0, -ENOENT if there is none, or -EINVAL with err set.
 */
static int conf_servers(const struct gwd_conf *conf, const struct cpns_conf *cf,
			const char *key, struct gwd_servers *s, char *err,
			size_t errlen)
{
	const struct cpns_conf_value *v;
	size_t i, j, n = cpns_conf_count(cf, NULL, key);

	if (!n)
		return -ENOENT;
	if (n > GWD_SERVER_MAX) {
		v = cpns_conf_get(cf, NULL, key, GWD_SERVER_MAX);
		snprintf(err, errlen, "%s:%u: %s: at most %d servers",
			 conf->path, v->line, key, GWD_SERVER_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		v = cpns_conf_get(cf, NULL, key, i);
		cpns_peer_parse(v->text, &s->peer[i], NULL, 0);
		for (j = 0; j < i; j++) {
			if (strcmp(s->peer[j].str, s->peer[i].str))
				continue;
			snprintf(err, errlen, "%s:%u: %s: %s is given twice",
				 conf->path, v->line, key, s->peer[i].str);
			return -EINVAL;
		}
	}
	s->n = n;
	s->cur = 0;
	return 0;
}

static unsigned int conf_ms(const struct cpns_conf *cf, const char *key)
{
	return (unsigned int)cpns_conf_uint(cf, NULL, key) * 1000u;
}

static char *conf_strdup(const struct cpns_conf *cf, const char *key,
			 size_t i, bool *nomem)
{
	const struct cpns_conf_value *v = cpns_conf_get(cf, NULL, key, i);
	char *s;

	if (!v || !v->text)
		return NULL;
	s = strdup(v->text);
	if (!s)
		*nomem = true;
	return s;
}

/* A decimal number, 0..max (digits only, no sign or blank). */
int gwd_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A prefix length: decimal, 0..max. */
static int parse_prefix_len(const char *s, unsigned int max,
			    unsigned int *out)
{
	unsigned long v;

	if (gwd_parse_ulong(s, max, &v))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/*
 * A kernel key named TYPE:DESC (kek, pairing_key): both parts non-empty,
 * at most CPNS_MAX_KEYREF - 1 bytes each. 0 if absent, 1 if set, or
 * -EINVAL with err set.
 */
static int conf_keyref(const struct gwd_conf *conf, const struct cpns_conf *cf,
		       const char *key, struct gwd_keyref *ref, char *err,
		       size_t errlen)
{
	const struct cpns_conf_value *v = cpns_conf_get(cf, NULL, key, 0);
	const char *colon;
	size_t tlen, dlen;

	if (!v || !v->text)
		return 0;
	colon = strchr(v->text, ':');
	tlen = colon ? (size_t)(colon - v->text) : 0;
	dlen = colon ? strlen(colon + 1) : 0;
	if (!tlen || !dlen || tlen >= sizeof(ref->type) ||
	    dlen >= sizeof(ref->desc)) {
		snprintf(err, errlen,
			 "%s:%u: %s: expected TYPE:DESCRIPTION of a kernel key (e.g. logon:cpns:key), each part 1 to %d bytes",
			 conf->path, v->line, key, CPNS_MAX_KEYREF - 1);
		return -EINVAL;
	}
	memcpy(ref->type, v->text, tlen);
	ref->type[tlen] = '\0';
	memcpy(ref->desc, colon + 1, dlen + 1);
	ref->set = true;
	return 1;
}

/* The keys of role = secure, into conf; err names what is wrong. */
static int conf_secure(struct gwd_conf *conf, const struct cpns_conf *cf,
		       char *err, size_t errlen)
{
	const struct cpns_conf_value *v;
	bool nomem = false;
	size_t i, n;

	n = cpns_conf_count(cf, NULL, "listen");
	if (!n) {
		snprintf(err, errlen,
			 "%s: role = secure needs listen = ADDR:PORT (the PN link)",
			 conf->path);
		return -EINVAL;
	}
	if (n > GWD_LISTEN_MAX) {
		v = cpns_conf_get(cf, NULL, "listen", GWD_LISTEN_MAX);
		snprintf(err, errlen, "%s:%u: listen: at most %d addresses",
			 conf->path, v->line, GWD_LISTEN_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		conf_addr(cf, "listen", i, &conf->listen[i]);
	conf->nlisten = n;
	conf->max_clients = (unsigned int)cpns_conf_uint(cf, NULL,
							 "max_clients");
	conf->idle_ms = conf_ms(cf, "idle_timeout");
	conf->seed_timeout = (unsigned int)cpns_conf_uint(cf, NULL,
							  "seed_timeout");
	n = cpns_conf_count(cf, NULL, "allow");
	if (n > GWD_ALLOW_MAX) {
		v = cpns_conf_get(cf, NULL, "allow", GWD_ALLOW_MAX);
		snprintf(err, errlen, "%s:%u: allow: at most %d patterns",
			 conf->path, v->line, GWD_ALLOW_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		conf->allow[i] = conf_strdup(cf, "allow", i, &nomem);
	conf->nallow = n;
	conf->confirm_ms = conf_ms(cf, "confirm_timeout");
	conf->server_links = (unsigned int)cpns_conf_uint(cf, NULL,
							  "server_links");
	conf->server_idle_ms = conf_ms(cf, "server_idle_timeout");
	if (!conf->pairing.set && !conf->control) {
		snprintf(err, errlen,
			 "%s: role = secure needs control = PATH (an operator confirms each II-9 transfer with cpnsctl pair) or pairing_key = TYPE:DESC (a key shared with the GW2s)",
			 conf->path);
		return -EINVAL;
	}
	return nomem ? -ENOMEM : 0;
}

/* The keys of role = nonsecure. */
static int conf_nonsecure(struct gwd_conf *conf, const struct cpns_conf *cf,
			  char *err, size_t errlen)
{
	const struct cpns_conf_value *v;
	struct cpns_wire_text text;
	bool nomem = false;
	int ret;

	if (conf->role == GWD_NONSECURE && conf_peer(cf, "gw1", &conf->gw1)) {
		snprintf(err, errlen,
			 "%s: role = nonsecure needs gw1 = HOST:PORT",
			 conf->path);
		return -EINVAL;
	}
	v = cpns_conf_get(cf, NULL, "status_text", 0);
	if (v && v->text &&
	    cpns_wire_text_set(&text, v->text, CPNS_WIRE_TEXT_MAX)) {
		snprintf(err, errlen,
			 "%s:%u: status_text: at most %d bytes of UTF-8",
			 conf->path, v->line, CPNS_WIRE_TEXT_MAX);
		return -EINVAL;
	}
	ret = conf_keyref(conf, cf, "kek", &conf->kek, err, errlen);
	if (ret < 0)
		return ret;
	conf->store = conf_strdup(cf, "store", 0, &nomem);
	if (!conf->kek.set != !conf->store && !nomem) {
		snprintf(err, errlen, "%s: store and kek go together%s",
			 conf->path,
			 conf->store ? ": the Device Key is kept wrapped under kek" :
			 ": kek names the key that wraps the store");
		return -EINVAL;
	}
	conf->device_id_file = conf_strdup(cf, "device_id_file", 0, &nomem);
	conf->status_text = conf_strdup(cf, "status_text", 0, &nomem);
	conf->key_timeout = (unsigned int)cpns_conf_uint(cf, NULL,
							 "key_timeout");
	conf->ask_ms = conf_ms(cf, "ask_timeout");
	conf->report_interval_ms = conf_ms(cf, "report_interval");
	return nomem ? -ENOMEM : 0;
}

/* ADDR/LEN of secure_wan: 1 set, 0 absent, -EINVAL (err set). */
static int conf_prefix(const struct gwd_conf *conf, const struct cpns_conf *cf,
		       struct gwd_prefix *pfx, char *err, size_t errlen)
{
	const struct cpns_conf_value *v = cpns_conf_get(cf, NULL, "secure_wan",
							 0);
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	unsigned int max;
	size_t alen;

	if (!v || !v->text)
		return 0;
	slash = strchr(v->text, '/');
	alen = slash ? (size_t)(slash - v->text) : 0;
	if (!slash || !alen || alen >= sizeof(addr))
		goto bad;
	memcpy(addr, v->text, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, pfx->addr) == 1) {
		pfx->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, pfx->addr) == 1) {
		pfx->family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	if (parse_prefix_len(slash + 1, max, &pfx->len))
		goto bad;
	snprintf(pfx->str, sizeof(pfx->str), "%s", v->text);
	return 1;
bad:
	snprintf(err, errlen,
		 "%s:%u: secure_wan: expected ADDR/LEN, an IPv4 or IPv6 prefix (e.g. 10.1.0.0/24)",
		 conf->path, v->line);
	return -EINVAL;
}

/* The keys of role = changing (besides those it shares with nonsecure). */
static int conf_changing(struct gwd_conf *conf, const struct cpns_conf *cf,
			 char *err, size_t errlen)
{
	size_t i;
	int ret;

	ret = conf_servers(conf, cf, "server_nonsecure", &conf->servers_ns,
			   err, errlen);
	if (ret == -ENOENT) {
		snprintf(err, errlen,
			 "%s: role = changing needs server_nonsecure = HOST:PORT (the server on the non-secure WAN; server is its address on the secure WAN)",
			 conf->path);
		return -EINVAL;
	}
	if (ret)
		return ret;
	conf->server_ns = conf->servers_ns.peer[0];
	conf->wan = cpns_conf_enum(cf, NULL, "wan");
	ret = conf_prefix(conf, cf, &conf->secure_wan, err, errlen);
	if (ret < 0)
		return ret;
	/* A host name's family is known only once it is resolved. */
	for (i = 0; ret && i < conf->servers.n; i++) {
		const struct cpns_peer *p = &conf->servers.peer[i];

		if (!p->numeric || conf->secure_wan.family ==
		    (strchr(p->host, ':') ? AF_INET6 : AF_INET))
			continue;
		snprintf(err, errlen,
			 "%s: secure_wan (%s) and server (%s) are not of the same address family: the source address toward server is never in it",
			 conf->path, conf->secure_wan.str, p->str);
		return -EINVAL;
	}
	if (!ret && conf->wan == GWD_WAN_AUTO) {
		snprintf(err, errlen,
			 "%s: role = changing needs secure_wan = ADDR/LEN (its addresses on the secure WAN), or wan = secure or nonsecure",
			 conf->path);
		return -EINVAL;
	}
	conf->wan_check_ms = conf_ms(cf, "wan_check");
	conf->seed_timeout = (unsigned int)cpns_conf_uint(cf, NULL,
							  "seed_timeout");
	return 0;
}

/**
 * gwd_conf_load() - read and check the configuration file
 * @conf: out (free with gwd_conf_free(), also after a failure)
 * @path: the file
 * @err: why it failed ("FILE:LINE: what")
 * @errlen: size of @err
 *
 * Return: 0, -EINVAL, -ENOMEM or the -errno of reading the file.
 */
int gwd_conf_load(struct gwd_conf *conf, const char *path, char *err,
		  size_t errlen)
{
	struct cpns_conf *cf;
	bool nomem = false;
	int ret;

	memset(conf, 0, sizeof(*conf));
	conf->path = path;
	ret = cpns_conf_load(path, schema, &cf, err, errlen);
	if (ret)
		return ret;

	conf->role = cpns_conf_enum(cf, NULL, "role");
	snprintf(conf->name, sizeof(conf->name), "%s",
		 cpns_conf_str(cf, NULL, "name"));
	ret = conf_servers(conf, cf, "server", &conf->servers, err, errlen);
	if (ret)
		goto out;
	conf->server = conf->servers.peer[0];
	if (cpns_log_target_parse(cpns_conf_str(cf, NULL, "log"),
				  &conf->log_target) ||
	    cpns_log_level_parse(cpns_conf_str(cf, NULL, "log_level"),
				 &conf->log_level)) {
		snprintf(err, errlen, "%s: bad log or log_level", path);
		ret = -EINVAL;
		goto out;
	}
	conf->connect_ms = conf_ms(cf, "connect_timeout");
	conf->step_ms = conf_ms(cf, "step_timeout");
	conf->reconnect_min_ms = conf_ms(cf, "reconnect_min");
	conf->reconnect_max_ms = conf_ms(cf, "reconnect_max");
	if (conf->reconnect_min_ms > conf->reconnect_max_ms) {
		snprintf(err, errlen,
			 "%s: reconnect_min is above reconnect_max", path);
		ret = -EINVAL;
		goto out;
	}
	ret = conf_roles(conf, cf, err, errlen);
	if (ret)
		goto out;
	ret = conf_keyref(conf, cf, "pairing_key", &conf->pairing, err,
			  errlen);
	if (ret < 0)
		goto out;
	ret = conf_keyref(conf, cf, "seed_pairing_key", &conf->seed_pairing,
			  err, errlen);
	if (ret < 0)
		goto out;
	if (conf->role == GWD_SECURE && conf->pairing.set &&
	    !strcmp(conf->pairing.type, "user")) {
		snprintf(err, errlen,
			 "%s: pairing_key: a user key's payload can be read from userspace, and GW1's kernel releases a Device Key only under a logon, encrypted or trusted pairing key",
			 path);
		ret = -EINVAL;
		goto out;
	}
	conf->control = conf_strdup(cf, "control", 0, &nomem);
	if (nomem) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (conf->role == GWD_SECURE)
		ret = conf_secure(conf, cf, err, errlen);
	else
		ret = conf_nonsecure(conf, cf, err, errlen);
	if (!ret && conf->role == GWD_CHANGING)
		ret = conf_changing(conf, cf, err, errlen);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
out:
	cpns_conf_free(cf);
	return ret;
}

void gwd_conf_free(struct gwd_conf *conf)
{
	size_t i;

	for (i = 0; i < conf->nallow; i++)
		free(conf->allow[i]);
	conf->nallow = 0;
	free(conf->device_id_file);
	free(conf->status_text);
	free(conf->control);
	free(conf->store);
	conf->device_id_file = NULL;
	conf->status_text = NULL;
	conf->control = NULL;
	conf->store = NULL;
}

/* For --help: every key with its meaning and default. */
void gwd_conf_print_keys(void)
{
	const struct cpns_conf_key *k;

	for (k = schema; k->name; k++)
		printf("  %-16s %s%s%s%s\n", k->name, k->help,
		       k->def ? " [" : "", k->def ? k->def : "",
		       k->def ? "]" : "");
}
