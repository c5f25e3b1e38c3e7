// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-serverd: the CPNS Server daemon. Its configuration file, and its
 * parts for the shared start-up (lib/daemon/startup.c): the store loaded
 * before the listening sockets open, and a clean shutdown that ends every
 * a-flow and session in the kernel. The protocol work is in server.c and
 * the per-flow files.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "serverd.h"
#include "startup.h"

/* Allocations from the heap below this size; free heap kept up to that. */
#define SERVERD_MMAP_THRESHOLD	(4 << 20)
#define SERVERD_TRIM_THRESHOLD	(8 << 20)

#define DEFAULT_CONF	"/etc/cpns/cpns-serverd.conf"

static const char *const log_targets[] = { "stderr", "syslog", NULL };
static const char *const log_levels[] = {
	"err", "warning", "notice", "info", "debug", NULL
};

#define KEY(n, t, d, lo, hi, h) \
	{ .name = n, .type = t, .def = d, .min = lo, .max = hi, .help = h }

/* Documentation/cpns.conf.rst, section "cpns-serverd". */
static const struct cpns_conf_key schema[] = {
	{ .name = "listen", .type = CPNS_CONF_ADDR, .repeat = true,
	  .required = true,
	  .help = "ADDR:PORT or [IPv6]:PORT to accept gateways on" },
	KEY("max_connections", CPNS_CONF_UINT, "512", 1, 65536,
	    "connections open at once; more are refused with ERROR busy"),
	KEY("max_per_address", CPNS_CONF_UINT, "0", 0, 65536,
	    "connections open at once from one address, 0 for no limit; more are refused with ERROR busy"),
	KEY("max_pending", CPNS_CONF_UINT, "64", 1, 65536,
	    "a-flows between a-0 and a-3 at once; more: ERROR busy"),
	KEY("idle_timeout", CPNS_CONF_UINT, "300", 1, 86400,
	    "seconds without a frame before a connection is closed"),
	KEY("start_timeout", CPNS_CONF_UINT, "10", 1, 3600,
	    "seconds from the connection to its first byte"),
	KEY("step_timeout", CPNS_CONF_UINT, "30", 1, 3600,
	    "seconds to wait for AUTH_CLIENT after AUTH_CHALLENGE"),
	KEY("frame_timeout", CPNS_CONF_UINT, "10", 1, 3600,
	    "seconds from a frame's first byte to its last"),
	KEY("seed_lifetime", CPNS_CONF_UINT, "0", 0, UINT32_MAX,
	    "lifetime of a new Key Seed in seconds, 0 for none"),
	KEY("seed_overlap", CPNS_CONF_UINT, "604800", 1, UINT32_MAX,
	    "seconds an older seed of a GW1 (and its devices) stays valid after a new one is made for it"),
	{ .name = "seed_allow", .type = CPNS_CONF_NAME, .repeat = true,
	  .help = "gateway name that may receive a seed (default: any)" },
	{ .name = "store", .type = CPNS_CONF_STRING,
	  .help = "the store of the wrapped seeds and the inventory: a SQLite file's absolute path or postgresql://... (default: none, nothing survives the module)" },
	{ .name = "control", .type = CPNS_CONF_PATH,
	  .help = "control socket for cpnsctl server (default: none)" },
	{ .name = "kek", .type = CPNS_CONF_STRING,
	  .help = "TYPE:DESCRIPTION of the key-encryption key (needed with store)" },
	{ .name = "seed_pairing_key", .type = CPNS_CONF_STRING,
	  .help = "TYPE:DESCRIPTION of the key shared with the GW1s (logon, encrypted or trusted): I-3 seals a seed only to a public key its MAC proves (default: none, flow I refused)" },
	{ .name = "log", .type = CPNS_CONF_ENUM, .choices = log_targets,
	  .def = "stderr", .help = "where to log: stderr or syslog" },
	{ .name = "log_level", .type = CPNS_CONF_ENUM, .choices = log_levels,
	  .def = "info", .help = "least important messages logged" },
	{ .name = NULL }
};

static void usage(FILE *f)
{
	const struct cpns_conf_key *k;

	fprintf(f,
		"Usage: %s [-f] [-c FILE]\n"
		"       %s --check [-c FILE]\n"
		"The CPNS Server: serves flows I, II and a of OMA CPNS Device ID/Key\n"
		"Assignment (CPNS-KA-1) to gateways over TCP, with the cpns kernel\n"
		"module holding every secret.\n\n"
		"  -c, --config FILE  configuration file (default %s)\n"
		"  -f, --foreground   do not detach; log where the file says\n"
		"  -n, --check        check the configuration and exit\n"
		"  -h, --help         this help\n"
		"  -V, --version      version\n\n"
		"Configuration keys (Documentation/cpns.conf.rst):\n",
		SERVERD_NAME, SERVERD_NAME, DEFAULT_CONF);
	for (k = schema; k->name; k++)
		fprintf(f, "  %-16s %s%s%s%s\n", k->name, k->help,
			k->def ? " [" : "", k->def ? k->def : "",
			k->def ? "]" : "");
}

/*
 * A kernel key named TYPE:DESCRIPTION in v, TYPE one of types: into type
 * and desc (CPNS_MAX_KEYREF bytes each). 0, or -1 if malformed.
 */
static int conf_keyref(const struct cpns_conf_value *v,
		       const char *const *types, char *type, char *desc)
{
	const char *colon = strchr(v->text, ':');
	size_t i, tlen = colon ? (size_t)(colon - v->text) : 0;

	for (i = 0; types[i]; i++)
		if (tlen == strlen(types[i]) &&
		    !strncmp(v->text, types[i], tlen))
			break;
	if (!colon || !types[i] || !colon[1] ||
	    strlen(colon + 1) >= CPNS_MAX_KEYREF)
		return -1;
	snprintf(type, CPNS_MAX_KEYREF, "%s", types[i]);
	snprintf(desc, CPNS_MAX_KEYREF, "%s", colon + 1);
	return 0;
}

/* store and kek: both or neither; kek is TYPE:DESCRIPTION. */
static int conf_store(const struct cpns_conf *conf, struct server_conf *sc,
		      const char *path)
{
	static const char *const types[] = {
		"user", "logon", "encrypted", "trusted", NULL
	};
	const struct cpns_conf_value *store, *kek;

	store = cpns_conf_get(conf, NULL, "store", 0);
	kek = cpns_conf_get(conf, NULL, "kek", 0);
	if (!store && !kek)
		return 0;
	if (!kek || !store) {
		fprintf(stderr, "%s:%u: %s needs %s too (a store holds seeds wrapped under the KEK)\n",
			path, store ? store->line : kek->line,
			store ? "store" : "kek", store ? "kek" : "store");
		return -1;
	}
	if (store->text[0] != '/' && !cpns_store_is_url(store->text)) {
		fprintf(stderr, "%s:%u: store: '%s' is neither an absolute path (SQLite) nor a postgresql:// URI\n",
			path, store->line, store->text);
		return -1;
	}
	if (conf_keyref(kek, types, sc->kek_type, sc->kek_desc)) {
		fprintf(stderr, "%s:%u: kek: '%s' is not TYPE:DESCRIPTION with TYPE user, logon, encrypted or trusted and a description of 1 to %zu characters\n",
			path, kek->line, kek->text, sizeof(sc->kek_desc) - 1);
		return -1;
	}
	sc->kek.type = sc->kek_type;
	sc->kek.desc = sc->kek_desc;
	sc->store_path = store->text;
	return 0;
}

/* seed_pairing_key: TYPE:DESCRIPTION, TYPE logon, encrypted or trusted. */
static int conf_seed_pairing(const struct cpns_conf *conf,
			     struct server_conf *sc, const char *path)
{
	static const char *const types[] = {
		"logon", "encrypted", "trusted", NULL
	};
	const struct cpns_conf_value *v;

	v = cpns_conf_get(conf, NULL, "seed_pairing_key", 0);
	if (!v)
		return 0;
	if (conf_keyref(v, types, sc->pairing_type, sc->pairing_desc)) {
		fprintf(stderr, "%s:%u: seed_pairing_key: '%s' is not TYPE:DESCRIPTION with TYPE logon, encrypted or trusted (a user key's payload is readable: the kernel refuses it) and a description of 1 to %d characters\n",
			path, v->line, v->text, CPNS_MAX_KEYREF - 1);
		return -1;
	}
	sc->seed_pairing.type = sc->pairing_type;
	sc->seed_pairing.desc = sc->pairing_desc;
	return 0;
}

/* The checked configuration into *sc (pointers into conf). */
static int conf_read(const struct cpns_conf *conf, struct server_conf *sc,
		     const char *path)
{
	static const char *allow[SERVERD_MAX_ALLOW + 1];
	const struct cpns_conf_value *v;
	size_t i, n;

	memset(sc, 0, sizeof(*sc));
	n = cpns_conf_count(conf, NULL, "listen");
	if (n > SERVERD_MAX_LISTEN) {
		v = cpns_conf_get(conf, NULL, "listen", SERVERD_MAX_LISTEN);
		fprintf(stderr, "%s:%u: listen: at most %d addresses\n", path,
			v->line, SERVERD_MAX_LISTEN);
		return -1;
	}
	for (i = 0; i < n; i++) {
		v = cpns_conf_get(conf, NULL, "listen", i);
		sc->listen[i] = v->addr;
		sc->listen_len[i] = v->addrlen;
	}
	sc->nlisten = n;
	sc->max_connections = (unsigned int)cpns_conf_uint(conf, NULL,
							   "max_connections");
	sc->max_per_address =
		(unsigned int)cpns_conf_uint(conf, NULL,
					     "max_per_address");
	sc->max_pending = (unsigned int)cpns_conf_uint(conf, NULL,
						       "max_pending");
	sc->start_timeout = (unsigned int)cpns_conf_uint(conf, NULL,
							 "start_timeout");
	sc->idle_timeout = (unsigned int)cpns_conf_uint(conf, NULL,
							"idle_timeout");
	sc->step_timeout = (unsigned int)cpns_conf_uint(conf, NULL,
							"step_timeout");
	sc->frame_timeout = (unsigned int)cpns_conf_uint(conf, NULL,
							 "frame_timeout");
	sc->seed_lifetime = (unsigned int)cpns_conf_uint(conf, NULL,
							 "seed_lifetime");
	sc->seed_overlap = (unsigned int)cpns_conf_uint(conf, NULL,
							"seed_overlap");
	n = cpns_conf_count(conf, NULL, "seed_allow");
	if (n >= sizeof(allow) / sizeof(allow[0])) {
		v = cpns_conf_get(conf, NULL, "seed_allow", n - 1);
		fprintf(stderr, "%s:%u: seed_allow: at most %zu names\n", path,
			v->line, sizeof(allow) / sizeof(allow[0]) - 1);
		return -1;
	}
	for (i = 0; i < n; i++)
		allow[i] = cpns_conf_get(conf, NULL, "seed_allow", i)->text;
	allow[n] = NULL;
	sc->seed_allow = allow;
	sc->nseed_allow = n;
	v = cpns_conf_get(conf, NULL, "control", 0);
	sc->control = v ? v->text : NULL;
	if (conf_seed_pairing(conf, sc, path))
		return -1;
	return conf_store(conf, sc, path);
}

/* Room for max_connections sockets, the listeners and a few more. */
static void raise_fd_limit(unsigned int conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)conns + SERVERD_MAX_LISTEN + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want)
		cpns_warn("descriptor limit %llu is below max_connections %u: accepting will pause when it is reached",
			  (unsigned long long)rl.rlim_cur, conns);
}

/* The daemon: its configuration and the server it runs. */
struct serverd {
	struct cpns_conf *conf;
	struct server_conf sconf;
	struct server srv;
};

static void version(void)
{
	printf("%s %s (wire protocol %d, netlink family %s %d)\n",
	       SERVERD_NAME, SERVERD_VERSION, CPNS_WIRE_VERSION,
	       CPNS_GENL_NAME, CPNS_GENL_VERSION);
}

static int configure(void *ctx, struct cpns_daemon *d)
{
	struct serverd *s = ctx;
	char err[512];

	if (cpns_conf_load(d->conf_path, schema, &s->conf, err,
			   sizeof(err))) {
		fprintf(stderr, "%s: %s\n", SERVERD_NAME, err);
		return -1;
	}
	return conf_read(s->conf, &s->sconf, d->conf_path) ? -1 : 0;
}

static void checked(void *ctx, const char *path)
{
	(void)ctx;
	printf("%s: configuration OK\n", path);
}

static void log_conf(void *ctx, enum cpns_log_target *target, int *level)
{
	struct serverd *s = ctx;

	*target = cpns_conf_enum(s->conf, NULL, "log") == 1 ?
		  CPNS_LOG_SYSLOG : CPNS_LOG_STDERR;
	cpns_log_level_parse(cpns_conf_str(s->conf, NULL, "log_level"),
			     level);
}

/* SIGHUP: the whole file checked again, its log settings applied. */
static int reload_log(void *ctx, const char *path,
		      enum cpns_log_target *target, int *level)
{
	struct serverd fresh = { 0 };
	char err[512];
	int ret;

	(void)ctx;
	if (cpns_conf_load(path, schema, &fresh.conf, err, sizeof(err))) {
		cpns_err("%s", err);
		return -1;
	}
	ret = conf_read(fresh.conf, &fresh.sconf, path) ? -1 : 0;
	if (!ret)
		log_conf(&fresh, target, level);
	else
		cpns_err("%s: refused (see the lines above)", path);
	cpns_conf_free(fresh.conf);
	return ret;
}

static int kek(void *ctx, const char **type, const char **desc)
{
	struct serverd *s = ctx;

	if (!s->sconf.kek_type[0])
		return -1;
	*type = s->sconf.kek_type;
	*desc = s->sconf.kek_desc;
	return 0;
}

static int pairing(void *ctx, const char *cred, const char **type,
		   const char **desc)
{
	struct serverd *s = ctx;

	if (strcmp(cred, "seed-pairing") || !s->sconf.seed_pairing.type)
		return -1;
	*type = s->sconf.seed_pairing.type;
	*desc = s->sconf.seed_pairing.desc;
	return 0;
}

static void starting(void *ctx)
{
	raise_fd_limit(((struct serverd *)ctx)->sconf.max_connections);
}

/* The store is loaded, all of it, before anything listens. */
static int start(void *ctx, struct cpns_daemon *d)
{
	struct serverd *s = ctx;
	struct server *srv = &s->srv;
	struct cpns_store *store;
	char kek_desc[sizeof(srv->kek_desc)];
	struct cpns_keyref kek;

	if (d->info.pending_timeout < s->sconf.step_timeout)
		cpns_warn("the kernel's pending_timeout (%u s) is below step_timeout (%u s): challenges of flow II may expire before GW1 answers",
			  d->info.pending_timeout, s->sconf.step_timeout);
	srv->conf = &s->sconf;
	srv->nl = d->nl;
	if (keystore_open(srv))
		return -1;
	/* server_start() clears srv: the store and its KEK are kept. */
	store = srv->store;
	kek = srv->kek;
	memcpy(kek_desc, srv->kek_desc, sizeof(kek_desc));
	if (server_start(srv, &s->sconf, d->loop, d->nl)) {
		srv->store = store;
		keystore_close(srv);
		return -1;
	}
	srv->store = store;
	/* kek.desc is the configuration's or srv->kek_desc, restored. */
	srv->kek = kek;
	memcpy(srv->kek_desc, kek_desc, sizeof(kek_desc));
	if (control_start(srv, s->sconf.control)) {
		server_stop(srv);
		srv->store = store;
		keystore_close(srv);
		return -1;
	}
	keystore_sweep_arm(srv);
	seedsync_arm(srv);
	cpns_notice("started (version %s, protocol %d; kernel module version %u, pending_max %u, pending_timeout %u s, session_max %u)",
		    SERVERD_VERSION, CPNS_WIRE_VERSION, d->info.version,
		    d->info.pending_max, d->info.pending_timeout,
		    d->info.session_max);
	return 0;
}

static int stop(void *ctx, int status, int sig)
{
	struct serverd *s = ctx;

	control_stop(&s->srv);
	server_stop(&s->srv);
	keystore_close(&s->srv);
	cpns_notice("stopped%s%s", sig ? " by " : "", sig ? strsignal(sig) : "");
	return status;
}

static void conf_free(void *ctx)
{
	cpns_conf_free(((struct serverd *)ctx)->conf);
}

int main(int argc, char **argv)
{
	static const struct cpns_daemon_ops ops = {
		.name = SERVERD_NAME,
		.conf_path = DEFAULT_CONF,
		.usage = usage,
		.version = version,
		.configure = configure,
		.reload_log = reload_log,
		.kek = kek,
		.pairing = pairing,
		.checked = checked,
		.log = log_conf,
		.starting = starting,
		.start = start,
		.stop = stop,
		.free = conf_free,
	};
	struct serverd s = { 0 };

	/*
	 * Freed memory stays in the heap: glibc would otherwise give the
	 * top of the heap back whenever a flow's memory is freed, and the
	 * next flow would fault it in again, zeroed (two brk() and a page
	 * fault per page, per flow).
	 */
	mallopt(M_MMAP_THRESHOLD, SERVERD_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, SERVERD_TRIM_THRESHOLD);
	return cpns_daemon_main(argc, argv, &ops, &s);
}
