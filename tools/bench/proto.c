// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cpns-proto-bench: see usage(), proto.h and Documentation/performance.rst.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <json-c/json.h>

#include "proto.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cpns-proto-bench -s ADDR:PORT --gw1-netns NAME --server-netns NAME\n"
		"                        [OPTIONS]\n"
		"\n"
		"Flows per second against a running cpns-serverd from N concurrent\n"
		"clients, next to the same flows' kernel commands run alone:\n"
		"  auth    a-0 .. a-4, one sealed STATUS_REPORT and its sealed STATUS_ACK,\n"
		"          on a new connection, as a GW2 (cpns-gwd nonsecure) does;\n"
		"  assign  II-1 .. II-8, then KEY_DEL of GW1's copy of the Device Key,\n"
		"          as a GW1 (cpns-gwd secure) does; each client keeps its\n"
		"          connection from one assignment to the next, as cpns-gwd keeps\n"
		"          its link to the server (see --assign-link).\n"
		"And each flow's transport floor: the same clients, connections and\n"
		"frames (types and sizes) against a responder in the server's namespace\n"
		"(port + 1) that answers as the server would with no command, store or\n"
		"log; no kernel command on either side.\n"
		"Runs in GW2's network namespace as root, with cpns.ko loaded: use\n"
		"tools/bench/proto, which boots the VM and starts the server.\n"
		"\n"
		"Options:\n"
		"  -s, --server ADDR:PORT   the server (IPv4 A.B.C.D:PORT or [IPv6]:PORT)\n"
		"      --gw1-netns NAME     GW1's namespace (/run/netns/NAME): its cpns\n"
		"                           socket makes and confirms the Device Keys\n"
		"      --server-netns NAME  the server's namespace: its counters, and\n"
		"                           the server's commands of the kernel-only runs\n"
		"      --server-pid PID     cpns-serverd's pid, for its CPU time\n"
		"      --store PATH         the server's store, and\n"
		"      --kek TYPE:DESC      its KEK: the kernel-only auth flows hand the\n"
		"                           server's records to AUTH_CHALLENGE as it does\n"
		"  -c, --clients LIST       concurrent clients, comma-separated\n"
		"                           (default 1,4,16,64; each 1-%d)\n"
		"  -t, --time S             seconds each run is measured (default 10)\n"
		"  -r, --rounds N           slices of the window, each next to a slice\n"
		"                           of the kernel alone and one of the floor as\n"
		"                           long (default 5)\n"
		"  -f, --flow FLOW          auth, assign or both (default both)\n"
		"      --assign-link LINK   kept: each assign client runs its flows on\n"
		"                           one connection, opened at its first flow\n"
		"                           (again only if it ended); new: a new\n"
		"                           connection per assignment (default kept)\n"
		"      --no-floor           no transport floor slices (a run is then\n"
		"                           two slices of each round, not three)\n"
		"  -j, --json               print JSON\n"
		"  -v, --verbose            say on stderr what runs\n"
		"  -h, --help               print this help\n"
		"\n"
		"Exit status: 0; 1 if a flow failed or the server's counters disagree\n"
		"with the flows counted; 2 for a usage error.\n",
		PB_MAX_CLIENTS);
}

/* Open a cpns socket in the network namespace /run/netns/NAME. */
static struct cpns_nl *open_in(const char *name)
{
	char path[256];
	struct cpns_nl *nl = NULL;
	int self, fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd < 0) {
		fprintf(stderr, "cpns-proto-bench: %s: %s\n",
			self < 0 ? "/proc/self/ns/net" : path, strerror(errno));
		goto out;
	}
	if (setns(fd, CLONE_NEWNET)) {
		fprintf(stderr, "cpns-proto-bench: setns %s: %s\n", path,
			strerror(errno));
		goto out;
	}
	nl = cpns_open();
	err = errno;
	if (setns(self, CLONE_NEWNET)) {
		fprintf(stderr, "cpns-proto-bench: setns back: %s\n",
			strerror(errno));
		cpns_close(nl);
		nl = NULL;
		goto out;
	}
	if (!nl)
		fprintf(stderr, "cpns-proto-bench: cpns in %s: %s\n", name,
			strerror(err));
out:
	if (self >= 0)
		close(self);
	if (fd >= 0)
		close(fd);
	return nl;
}

static int parse_clients(struct pb *pb, const char *s)
{
	char *copy = strdup(s), *tok, *save = NULL, *end;
	unsigned long v;

	if (!copy)
		return -1;
	pb->nruns = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		errno = 0;
		v = strtoul(tok, &end, 10);
		if (errno || end == tok || *end || v < 1 || v > PB_MAX_CLIENTS ||
		    pb->nruns == PB_MAX_RUNS) {
			free(copy);
			return -1;
		}
		pb->nclients[pb->nruns++] = (unsigned int)v;
	}
	free(copy);
	return pb->nruns ? 0 : -1;
}

/* ------------------------------------------------------------ report */

struct env {
	char date[32], kernel[160], cpu[128], load[64];
	long cpus;
	bool vm;
	const char *host_load, *server_log_level;
};

static void env_get(struct env *e)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	char line[256];
	FILE *f;

	memset(e, 0, sizeof(*e));
	gmtime_r(&now, &tm);
	strftime(e->date, sizeof(e->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!uname(&u))
		snprintf(e->kernel, sizeof(e->kernel), "%s %s", u.release,
			 u.machine);
	e->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(e->cpu, sizeof(e->cpu), "%s",
				 strchr(line, ':') + 2);
			e->cpu[strcspn(e->cpu, "\n")] = '\0';
			break;
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fgets(e->load, sizeof(e->load), f))
			e->load[strcspn(e->load, "\n")] = '\0';
		fclose(f);
	}
	e->vm = getenv("CPNS_VM") && !strcmp(getenv("CPNS_VM"), "1");
	e->host_load = getenv("CPNS_BENCH_HOST_LOAD");
	e->server_log_level = getenv("CPNS_BENCH_SERVER_LOG_LEVEL");
}

static double rate(const struct pb_run *r)
{
	return r->seconds > 0 ? r->ops / r->seconds : 0;
}

static double krate(const struct pb_run *r)
{
	return r->k_seconds > 0 ? r->k_ops / r->k_seconds : 0;
}

static double frate(const struct pb_run *r)
{
	return r->f_seconds > 0 ? r->f_ops / r->f_seconds : 0;
}

/* "52,44 / 76,44": a flow's frame sizes, client to server / back. */
static void shape_str(const struct pb_shape *sh, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < sh->nout && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%u", i ? "," : "", sh->out[i]);
	for (i = 0; i < sh->nin && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%u", i ? "," : " / ",
			      sh->in[i]);
}

static bool shape_same(const struct pb_shape *a, const struct pb_shape *b)
{
	return a->done && b->done && a->nout == b->nout && a->nin == b->nin &&
	       !memcmp(a->out, b->out, a->nout * sizeof(a->out[0])) &&
	       !memcmp(a->in, b->in, a->nin * sizeof(a->in[0]));
}

/* The protocol's and the floor's frames of kind agree (or neither ran). */
static bool shape_ok(const struct pb *pb, int kind)
{
	const struct pb_shape *p = &pb->shape[0][kind];
	const struct pb_shape *f = &pb->shape[1][kind];

	return (!p->done && !f->done) || shape_same(p, f);
}

static void shapes(const struct pb *pb)
{
	static const enum pb_kind kinds[] = { PB_AUTH, PB_ASSIGN };
	char a[128], b[128];
	size_t i;

	for (i = 0; i < 2; i++) {
		const struct pb_shape *p = &pb->shape[0][kinds[i]];
		const struct pb_shape *f = &pb->shape[1][kinds[i]];

		if (!p->done && !f->done)
			continue;
		shape_str(p, a, sizeof(a));
		shape_str(f, b, sizeof(b));
		printf("#   %s frames, bytes to the server / back: protocol %s; floor %s%s\n",
		       pb_kind_name(kinds[i]), a, b,
		       shape_ok(pb, kinds[i]) ? " (the same)" : " (DIFFERENT)");
	}
}

static json_object *jshape(const struct pb_shape *sh)
{
	json_object *o, *out, *in;
	unsigned int i;

	if (!sh->done)
		return NULL;
	o = json_object_new_object();
	out = json_object_new_array();
	in = json_object_new_array();
	for (i = 0; i < sh->nout; i++)
		json_object_array_add(out, json_object_new_int(sh->out[i]));
	for (i = 0; i < sh->nin; i++)
		json_object_array_add(in, json_object_new_int(sh->in[i]));
	json_object_object_add(o, "to_server", out);
	json_object_object_add(o, "to_client", in);
	return o;
}

/* CPU milliseconds per flow; -1 when unknown. */
static double cpu_ms(double sec, uint64_t ops)
{
	return sec >= 0 && ops ? sec * 1e3 / ops : -1;
}

static double ratio(double a, double b)
{
	return a >= 0 && b > 0 ? a / b : -1;
}

/*
 * The highest ratio this run's floor and kernel-only side allow a server:
 * each client's flows go one at a time, every flow's transport at least
 * the floor's (clients / floor/s each) and its commands at least the
 * kernel-only side's (1 / kernel/s), one after the other (*lat); and every
 * flow costs the CPUs at least the floor's CPU and the commands' (*cpu).
 * The lower of the two; -1 when unknown.
 */
static double bound(const struct env *e, const struct pb_run *r,
		    double *lat, double *cpu)
{
	double k = krate(r), f = frate(r);
	double fms = cpu_ms(r->f_cpu, r->f_ops), kms = cpu_ms(r->k_cpu, r->k_ops);

	*lat = k > 0 && f > 0 && r->clients ? 1 / (k / f + 1.0 / r->clients) : -1;
	*cpu = k > 0 && fms >= 0 && kms >= 0 && fms + kms > 0 && e->cpus > 0 ?
	       e->cpus * 1e3 / (fms + kms) / k : -1;
	if (*lat < 0 || *cpu < 0)
		return -1;
	return *lat < *cpu ? *lat : *cpu;
}

static void table(const struct env *e, const struct pb *pb,
		  const struct pb_run *runs, size_t n)
{
	size_t i;

	printf("# cpns-proto-bench %s: kernel %s, %ld CPUs (%s)%s\n", e->date,
	       e->kernel, e->cpus, e->cpu, e->vm ? ", in the tools/vm-run VM" : "");
	printf("# load average in the VM at the end: %s%s%s\n", e->load,
	       e->host_load ? "; on the host at the start: " : "",
	       e->host_load ?: "");
	printf("# server %s (cpns-serverd, log_level %s); %.1f s per run; auth: a new TCP connection per flow; assign: %s;\n"
	       "# kernel alone: the same commands from one thread, %.1f s per run, in %u slices alternating with the run's\n",
	       pb->server_str, e->server_log_level ?: "?", pb->seconds,
	       pb->assign_new ? "a new TCP connection per assignment" :
	       "one kept connection per client (as cpns-gwd)",
	       pb->seconds, pb->rounds);
	printf("# cpu: CPU ms per flow of the clients' process and cpns-serverd (srv: the server alone)\n");
	printf("# ratio: flows/s of the protocol / of the kernel alone; cpu x: CPU per flow, protocol / kernel alone\n");
	if (pb->do_floor) {
		printf("# floor: the same connections and frames against a responder that runs no command (%s), %.1f s per run, in %u slices with the others';\n"
		       "#   floor/s its flows/s, f cpu its CPU ms per flow (clients and responder), f/k floor / kernel alone, p/f protocol / floor;\n"
		       "#   bound: the highest ratio they allow, each flow's transport and commands one after the other and %ld CPUs' time\n",
		       pb->floor_str, pb->seconds, pb->rounds, e->cpus);
		shapes(pb);
	}
	printf("%-6s %7s %8s %8s %8s %7s %7s %9s %7s %6s %6s",
	       "flow", "clients", "flows/s", "p50 ms", "p99 ms", "cpu", "srv",
	       "kernel/s", "k cpu", "ratio", "cpu x");
	if (pb->do_floor)
		printf(" %8s %6s %6s %6s %6s", "floor/s", "f cpu", "f/k", "p/f",
		       "bound");
	printf(" %6s %6s\n", "flows", "failed");
	for (i = 0; i < n; i++) {
		const struct pb_run *r = &runs[i];
		double ms = cpu_ms(r->cpu, r->ops);
		double sms = cpu_ms(r->server_cpu, r->ops);
		double kms = cpu_ms(r->k_cpu, r->k_ops);
		double x = ratio(ms, kms);
		double lat, cpu;
		char srv[16], cpux[16];

		snprintf(srv, sizeof(srv), sms >= 0 ? "%.2f" : "-", sms);
		snprintf(cpux, sizeof(cpux), x >= 0 ? "%.2f" : "-", x);
		printf("%-6s %7u %8.1f %8.1f %8.1f %7.2f %7s %9.1f %7.2f %6.3f %6s",
		       pb_kind_name(r->kind), r->clients, rate(r), r->lat_p50,
		       r->lat_p99, ms, srv, krate(r), kms,
		       ratio(rate(r), krate(r)), cpux);
		if (pb->do_floor)
			printf(" %8.1f %6.2f %6.3f %6.3f %6.3f", frate(r),
			       cpu_ms(r->f_cpu, r->f_ops),
			       ratio(frate(r), krate(r)),
			       ratio(rate(r), frate(r)),
			       bound(e, r, &lat, &cpu));
		printf(" %6llu %6llu\n", (unsigned long long)r->ops,
		       (unsigned long long)r->failed);
	}
}

static json_object *jnum(double v)
{
	return v >= 0 ? json_object_new_double(v) : NULL;
}

static void json(const struct env *e, const struct pb *pb,
		 const struct pb_run *runs, size_t n)
{
	json_object *o = json_object_new_object();
	json_object *env = json_object_new_object();
	json_object *arr = json_object_new_array();
	size_t i;

	json_object_object_add(env, "date", json_object_new_string(e->date));
	json_object_object_add(env, "kernel", json_object_new_string(e->kernel));
	json_object_object_add(env, "cpus", json_object_new_int64(e->cpus));
	json_object_object_add(env, "cpu", json_object_new_string(e->cpu));
	json_object_object_add(env, "vm", json_object_new_boolean(e->vm));
	json_object_object_add(env, "loadavg", json_object_new_string(e->load));
	json_object_object_add(env, "host_load", e->host_load ?
			       json_object_new_string(e->host_load) : NULL);
	json_object_object_add(env, "server", json_object_new_string(pb->server_str));
	json_object_object_add(env, "server_log_level", e->server_log_level ?
			       json_object_new_string(e->server_log_level) : NULL);
	json_object_object_add(env, "seconds", json_object_new_double(pb->seconds));
	json_object_object_add(env, "rounds", json_object_new_int((int)pb->rounds));
	/* auth flows: always a connection each */
	json_object_object_add(env, "assign_link",
			       json_object_new_string(pb->assign_new ? "new" : "kept"));
	json_object_object_add(env, "floor", pb->do_floor ?
			       json_object_new_string(pb->floor_str) : NULL);
	json_object_object_add(o, "env", env);
	for (i = 0; i < n; i++) {
		const struct pb_run *r = &runs[i];
		json_object *j = json_object_new_object();
		json_object *k = json_object_new_object();
		json_object *s = json_object_new_object();

		json_object_object_add(j, "flow",
				       json_object_new_string(pb_kind_name(r->kind)));
		json_object_object_add(j, "clients", json_object_new_int(r->clients));
		json_object_object_add(j, "seconds", json_object_new_double(r->seconds));
		json_object_object_add(j, "flows", json_object_new_uint64(r->ops));
		json_object_object_add(j, "failed", json_object_new_uint64(r->failed));
		json_object_object_add(j, "drained", json_object_new_uint64(r->drained));
		json_object_object_add(j, "connections", json_object_new_uint64(r->conns));
		json_object_object_add(j, "flows_per_s", json_object_new_double(rate(r)));
		json_object_object_add(j, "latency_p50_ms", json_object_new_double(r->lat_p50));
		json_object_object_add(j, "latency_p99_ms", json_object_new_double(r->lat_p99));
		json_object_object_add(j, "cpu_s", jnum(r->cpu));
		json_object_object_add(j, "server_cpu_s", jnum(r->server_cpu));
		json_object_object_add(k, "flows", json_object_new_uint64(r->k_ops));
		json_object_object_add(k, "seconds", json_object_new_double(r->k_seconds));
		json_object_object_add(k, "cpu_s", jnum(r->k_cpu));
		json_object_object_add(k, "flows_per_s", json_object_new_double(krate(r)));
		/* What the run's flows would take through the kernel alone. */
		json_object_object_add(k, "seconds_for_the_run_flows",
				       jnum(krate(r) > 0 ? r->ops / krate(r) : -1));
		json_object_object_add(j, "kernel_only", k);
		json_object_object_add(j, "ratio", jnum(ratio(rate(r), krate(r))));
		json_object_object_add(j, "cpu_ratio",
				       jnum(ratio(cpu_ms(r->cpu, r->ops),
						  cpu_ms(r->k_cpu, r->k_ops))));
		json_object_object_add(s, "confirmed", json_object_new_uint64(r->s_key_ok));
		json_object_object_add(s, "commands_ok", json_object_new_uint64(r->s_cmds_ok));
		json_object_object_add(s, "commands_failed",
				       json_object_new_uint64(r->s_cmds_failed));
		json_object_object_add(s, "pending_after", json_object_new_uint64(r->s_pending));
		json_object_object_add(s, "sessions_after", json_object_new_uint64(r->s_sessions));
		json_object_object_add(j, "server_kernel", s);
		if (pb->do_floor) {
			json_object *f = json_object_new_object();
			json_object *b = json_object_new_object();
			double lat, cpu;

			json_object_object_add(f, "flows", json_object_new_uint64(r->f_ops));
			json_object_object_add(f, "failed", json_object_new_uint64(r->f_failed));
			json_object_object_add(f, "drained", json_object_new_uint64(r->f_drained));
			json_object_object_add(f, "connections",
					       json_object_new_uint64(r->f_conns));
			json_object_object_add(f, "seconds", json_object_new_double(r->f_seconds));
			json_object_object_add(f, "flows_per_s", json_object_new_double(frate(r)));
			json_object_object_add(f, "latency_p50_ms",
					       json_object_new_double(r->f_lat_p50));
			json_object_object_add(f, "latency_p99_ms",
					       json_object_new_double(r->f_lat_p99));
			json_object_object_add(f, "cpu_s", jnum(r->f_cpu));
			json_object_object_add(f, "responder_cpu_s", jnum(r->f_server_cpu));
			json_object_object_add(f, "ratio_to_kernel",
					       jnum(ratio(frate(r), krate(r))));
			json_object_object_add(f, "protocol_ratio",
					       jnum(ratio(rate(r), frate(r))));
			json_object_object_add(f, "frames",
					       jshape(&pb->shape[1][r->kind]));
			json_object_object_add(b, "ratio",
					       jnum(bound(e, r, &lat, &cpu)));
			json_object_object_add(b, "latency", jnum(lat));
			json_object_object_add(b, "cpu", jnum(cpu));
			json_object_object_add(j, "bound", b);
			json_object_object_add(j, "floor", f);
			json_object_object_add(j, "frames",
					       jshape(&pb->shape[0][r->kind]));
		}
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "runs", arr);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
			JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* ------------------------------------------------------------ runs */

/*
 * Does the server kernel agree? Every flow we counted (and drained) made
 * it confirm one II-6 or a-2, none of its commands failed, and it holds
 * no pending object or session afterwards. And kept links were kept: a
 * connection per client and slice, and one more per failure at most.
 */
static int verify(const struct pb *pb, const struct pb_run *r)
{
	uint64_t links = (uint64_t)r->clients * pb->rounds;
	bool kept = r->kind == PB_ASSIGN && !pb->assign_new;
	int bad = 0;

	if (r->failed) {
		fprintf(stderr, "cpns-proto-bench: %s with %u clients: %llu flows failed\n",
			pb_kind_name(r->kind), r->clients,
			(unsigned long long)r->failed);
		bad = 1;
	}
	if (r->s_key_ok < r->ops + r->drained) {
		fprintf(stderr, "cpns-proto-bench: %s: the server kernel confirmed %llu flows, we counted %llu\n",
			pb_kind_name(r->kind), (unsigned long long)r->s_key_ok,
			(unsigned long long)(r->ops + r->drained));
		bad = 1;
	}
	if (r->s_cmds_failed) {
		fprintf(stderr, "cpns-proto-bench: %s: %llu commands failed in the server's kernel\n",
			pb_kind_name(r->kind),
			(unsigned long long)r->s_cmds_failed);
		bad = 1;
	}
	if (r->f_failed) {
		fprintf(stderr, "cpns-proto-bench: %s with %u clients: %llu flows of the transport floor failed\n",
			pb_kind_name(r->kind), r->clients,
			(unsigned long long)r->f_failed);
		bad = 1;
	}
	if (r->s_pending || r->s_sessions) {
		fprintf(stderr, "cpns-proto-bench: %s: the server's kernel still holds %u pending objects and %u sessions\n",
			pb_kind_name(r->kind), r->s_pending, r->s_sessions);
		bad = 1;
	}
	if (kept && (r->conns > links + r->failed ||
		     r->f_conns > (pb->do_floor ? links : 0) + r->f_failed)) {
		fprintf(stderr, "cpns-proto-bench: %s with %u clients: %llu connections (floor: %llu) for %llu kept links\n",
			pb_kind_name(r->kind), r->clients,
			(unsigned long long)r->conns,
			(unsigned long long)r->f_conns,
			(unsigned long long)links);
		bad = 1;
	}
	return bad;
}

static void say(const struct pb *pb, const char *fmt, ...) CPNS_PRINTF(2, 3);

static void say(const struct pb *pb, const char *fmt, ...)
{
	va_list ap;

	if (!pb->verbose)
		return;
	fprintf(stderr, "cpns-proto-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Flow I, then a Device Key in GW2 for each client, each used once. */
/* --kek TYPE:DESCRIPTION; the strings stay argv's. */
static int parse_kek(struct pb *pb, char *arg)
{
	char *colon = strchr(arg, ':');

	if (!colon || colon == arg || !colon[1])
		return -1;
	*colon = '\0';
	pb->kek.type = arg;
	pb->kek.desc = colon + 1;
	return 0;
}

static int setup(struct pb *pb, unsigned int maxn)
{
	struct pb_run r;
	int ret;

	say(pb, "flow I with %s", pb->server_str);
	ret = pb_run_proto(pb, PB_SEED, 1, true, &r);
	if (ret || r.failed || !pb->have_seed) {
		fprintf(stderr, "cpns-proto-bench: flow I failed\n");
		return -1;
	}
	if (!pb->do_auth)
		return 0;
	say(pb, "%u Device Keys for GW2 (II-1 .. II-9)", maxn);
	pb->dids = calloc(maxn, sizeof(*pb->dids));
	if (!pb->dids)
		return -1;
	pb->export = true;
	ret = pb_run_proto(pb, PB_ASSIGN, maxn, true, &r);
	pb->export = false;
	if (ret || r.failed || pb->ndids != maxn) {
		fprintf(stderr, "cpns-proto-bench: %zu of %u Device Keys assigned\n",
			pb->ndids, maxn);
		return -1;
	}
	say(pb, "one untimed authentication with each");
	ret = pb_run_proto(pb, PB_AUTH, maxn, true, &r);
	if (ret || r.failed || r.ops != maxn) {
		fprintf(stderr, "cpns-proto-bench: the first authentications failed\n");
		return -1;
	}
	return 0;
}

/* Add one slice of the protocol's run into the run's totals. */
static void add_proto(struct pb_run *r, const struct pb_run *s)
{
	r->seconds += s->seconds;
	r->ops += s->ops;
	r->failed += s->failed;
	r->drained += s->drained;
	r->conns += s->conns;
	r->cpu += s->cpu;
	r->server_cpu = r->server_cpu >= 0 && s->server_cpu >= 0 ?
			r->server_cpu + s->server_cpu : -1;
	r->s_cmds_ok += s->s_cmds_ok;
	r->s_cmds_failed += s->s_cmds_failed;
	r->s_key_ok += s->s_key_ok;
	if (s->s_pending > r->s_pending)
		r->s_pending = s->s_pending;
	if (s->s_sessions > r->s_sessions)
		r->s_sessions = s->s_sessions;
}

/* Keep the slice's flow latencies (pb->lat) in *all. */
static int keep_lat(const struct pb *pb, uint64_t **all, size_t *n)
{
	uint64_t *l = realloc(*all, (*n + pb->nlat + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	memcpy(l + *n, pb->lat, pb->nlat * sizeof(*l));
	*all = l;
	*n += pb->nlat;
	return 0;
}

/* One slice of the kernel alone, added into r's k_ fields. */
static int kernel_slice(struct pb *pb, enum pb_kind kind, double seconds,
			struct pb_run *r)
{
	struct pb_run k;
	int ret;

	say(pb, "%s: kernel commands alone, %.1f s", pb_kind_name(kind),
	    seconds);
	ret = pb_run_kernel(pb, kind, seconds, &k);
	r->k_ops += k.ops;
	r->k_seconds += k.seconds;
	r->k_cpu += k.cpu;
	return ret;
}

/* One slice of the transport floor, added into r's f_ fields. */
static int floor_slice(struct pb *pb, enum pb_kind kind, unsigned int clients,
		       double seconds, struct pb_run *r, uint64_t **all,
		       size_t *nall)
{
	struct pb_run f;
	int ret;

	say(pb, "%s: %u clients, transport floor, %.1f s", pb_kind_name(kind),
	    clients, seconds);
	pb->seconds_run = seconds;
	pb->floor = true;
	ret = pb_run_proto(pb, kind, clients, false, &f);
	pb->floor = false;
	if (ret)
		return ret;
	r->f_ops += f.ops;
	r->f_failed += f.failed;
	r->f_drained += f.drained;
	r->f_conns += f.conns;
	r->f_seconds += f.seconds;
	r->f_cpu += f.cpu;
	r->f_server_cpu = r->f_server_cpu >= 0 && f.server_cpu >= 0 ?
			  r->f_server_cpu + f.server_cpu : -1;
	return keep_lat(pb, all, nall);
}

/* The percentiles of the flows in all (pb->lat's order is lost). */
static void latency_of(struct pb *pb, uint64_t *all, size_t nall,
		       struct pb_run *out)
{
	uint64_t *mine = pb->lat;

	pb->lat = all;
	pb->nlat = nall;
	pb_latency(pb, out);
	pb->lat = mine;
	pb->nlat = 0;
}

/*
 * One run: the window cut into pb->rounds slices of the protocol, each
 * next to a slice of the kernel alone as long, and one of the transport
 * floor, in turn (K P F, then F P K, ...), so that the host's load falls
 * on all alike.
 */
static int one_run(struct pb *pb, enum pb_kind kind, unsigned int clients,
		   struct pb_run *r)
{
	double slice = pb->seconds / pb->rounds;
	uint64_t *all = NULL, *fall = NULL;
	size_t nall = 0, nfall = 0;
	struct pb_run s, fl;
	unsigned int j;
	int bad = 0, ret = 0;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->clients = clients;
	for (j = 0; j < pb->rounds && !ret; j++) {
		if (!(j & 1))
			bad |= kernel_slice(pb, kind, slice, r) != 0;
		else if (pb->do_floor)
			ret = floor_slice(pb, kind, clients, slice, r, &fall,
					  &nfall);
		if (ret)
			break;
		say(pb, "%s: %u clients, round %u of %u", pb_kind_name(kind),
		    clients, j + 1, pb->rounds);
		pb->seconds_run = slice;
		ret = pb_run_proto(pb, kind, clients, false, &s);
		if (!ret) {
			add_proto(r, &s);
			ret = keep_lat(pb, &all, &nall);
		}
		if (ret)
			break;
		if (j & 1)
			bad |= kernel_slice(pb, kind, slice, r) != 0;
		else if (pb->do_floor)
			ret = floor_slice(pb, kind, clients, slice, r, &fall,
					  &nfall);
	}
	if (!ret) {
		/* The percentiles over every slice's flows. */
		latency_of(pb, all, nall, r);
		latency_of(pb, fall, nfall, &fl);
		r->f_lat_p50 = fl.lat_p50;
		r->f_lat_p99 = fl.lat_p99;
	}
	free(all);
	free(fall);
	return ret ? -1 : bad;
}

static int series(struct pb *pb, enum pb_kind kind, struct pb_run *runs,
		  size_t *n)
{
	size_t i;
	int bad = 0, ret;

	for (i = 0; i < pb->nruns; i++) {
		struct pb_run *r = &runs[*n];

		ret = one_run(pb, kind, pb->nclients[i], r);
		if (ret < 0)
			return -1;
		bad |= ret;
		bad |= verify(pb, r);
		(*n)++;
	}
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "gw1-netns", required_argument, NULL, '1' },
		{ "server-netns", required_argument, NULL, '0' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ "store", required_argument, NULL, 'S' },
		{ "kek", required_argument, NULL, 'K' },
		{ "clients", required_argument, NULL, 'c' },
		{ "time", required_argument, NULL, 't' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "flow", required_argument, NULL, 'f' },
		{ "no-floor", no_argument, NULL, 'F' },
		{ "assign-link", required_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pb pb = { .seconds = 10, .rounds = 5, .do_auth = true, .do_assign = true,
			 .do_floor = true, .nclients = { 1, 4, 16, 64 }, .nruns = 4 };
	struct pb_run runs[2 * PB_MAX_RUNS];
	const char *g1 = NULL, *s = NULL;
	unsigned int maxn = 0;
	char err[128], *end;
	unsigned long v;
	struct env e;
	size_t i, n = 0;
	int c, bad = 0;

	while ((c = getopt_long(argc, argv, "s:c:t:r:f:jvh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (cpns_addr_parse(optarg, &pb.addr, &pb.addrlen, err,
					    sizeof(err))) {
				fprintf(stderr, "cpns-proto-bench: --server: %s\n", err);
				return 2;
			}
			pb.server_str = optarg;
			break;
		case '1':
			g1 = optarg;
			break;
		case '0':
			s = optarg;
			break;
		case 'p':
			pb.server_pid = (int)strtol(optarg, &end, 10);
			if (*end || pb.server_pid <= 0) {
				fprintf(stderr, "cpns-proto-bench: --server-pid: not a pid: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'S':
			pb.store = optarg;
			break;
		case 'K':
			if (parse_kek(&pb, optarg)) {
				fprintf(stderr, "cpns-proto-bench: --kek: TYPE:DESCRIPTION: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			if (parse_clients(&pb, optarg)) {
				fprintf(stderr, "cpns-proto-bench: --clients: a comma-separated list of 1 to %d numbers of 1 to %d: %s\n",
					PB_MAX_RUNS, PB_MAX_CLIENTS, optarg);
				return 2;
			}
			break;
		case 't':
			pb.seconds = strtod(optarg, &end);
			if (*end || !(pb.seconds >= 0.1) || pb.seconds > 3600) {
				fprintf(stderr, "cpns-proto-bench: --time: 0.1 to 3600 seconds: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 100) {
				fprintf(stderr, "cpns-proto-bench: --rounds: 1 to 100: %s\n",
					optarg);
				return 2;
			}
			pb.rounds = (unsigned int)v;
			break;
		case 'f':
			pb.do_auth = !strcmp(optarg, "auth") || !strcmp(optarg, "both");
			pb.do_assign = !strcmp(optarg, "assign") ||
				       !strcmp(optarg, "both");
			if (!pb.do_auth && !pb.do_assign) {
				fprintf(stderr, "cpns-proto-bench: --flow: auth, assign or both: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'F':
			pb.do_floor = false;
			break;
		case 'L':
			pb.assign_new = !strcmp(optarg, "new");
			if (!pb.assign_new && strcmp(optarg, "kept")) {
				fprintf(stderr, "cpns-proto-bench: --assign-link: kept or new: %s\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			pb.json = true;
			break;
		case 'v':
			pb.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !pb.server_str || !g1 || !s) {
		fprintf(stderr, "cpns-proto-bench: %s\n", optind < argc ?
			"unexpected arguments" :
			"--server, --gw1-netns and --server-netns are required");
		usage(stderr);
		return 2;
	}
	pb.seconds_run = pb.seconds;
	for (i = 0; i < pb.nruns; i++)
		if (pb.nclients[i] > maxn)
			maxn = pb.nclients[i];

	pb.g2 = cpns_open();
	if (!pb.g2) {
		fprintf(stderr, "cpns-proto-bench: cannot open the cpns family: %s%s\n",
			strerror(errno), errno == ENOENT ?
			" (is cpns.ko loaded? run tools/bench/proto)" : "");
		return 1;
	}
	pb.g1 = open_in(g1);
	pb.s = open_in(s);
	pb.loop = cpns_loop_new();
	if (!pb.g1 || !pb.s || !pb.loop) {
		bad = 1;
		goto out;
	}
	if (setup(&pb, maxn)) {
		bad = 1;
		goto out;
	}
	if (pb.do_floor && pb_floor_start(&pb, s)) {
		bad = 1;
		goto out;
	}
	if (pb.do_auth)
		bad |= series(&pb, PB_AUTH, runs, &n) != 0;
	if (pb.do_assign)
		bad |= series(&pb, PB_ASSIGN, runs, &n) != 0;
	if (pb.do_floor) {
		bad |= pb_floor_stop(&pb) != 0;
		for (i = PB_SEED; i < PB_KINDS; i++) {
			if (shape_ok(&pb, (int)i))
				continue;
			fprintf(stderr, "cpns-proto-bench: %s: the floor's frames are not the protocol's\n",
				pb_kind_name(i));
			bad = 1;
		}
	}
	env_get(&e);
	if (pb.json)
		json(&e, &pb, runs, n);
	else
		table(&e, &pb, runs, n);
out:
	pb_floor_stop(&pb);
	for (i = 0; i < pb.ndids; i++)
		cpns_key_del_device(pb.g2, pb.dids[i]);
	if (pb.have_seed)
		cpns_key_del_seed(pb.g1, pb.sid);
	if (pb.loop)
		cpns_loop_free(pb.loop);
	cpns_close(pb.s);
	cpns_close(pb.g1);
	cpns_close(pb.g2);
	free(pb.dids);
	free(pb.recs);
	free(pb.lat);
	return bad;
}
