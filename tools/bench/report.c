// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The report: where it ran, whether the known answers held, and per
 * operation the kernel's and the baseline's operations per second and
 * their ratio, as a table, as JSON (for scripts) or as a reStructuredText
 * table (for Documentation/performance.rst).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <json.h>

#include "bench.h"

static void read_line(const char *path, const char *key, char *out,
		      size_t len)
{
	char line[256], *p;
	FILE *f;

	snprintf(out, len, "unknown");
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (key && strncmp(line, key, strlen(key)))
			continue;
		p = key ? strchr(line, ':') : NULL;
		p = p ? p + 1 : line;
		p += strspn(p, " \t");
		p[strcspn(p, "\n")] = '\0';
		snprintf(out, len, "%s", p);
		break;
	}
	fclose(f);
}

/* The crypto features of the CPU that the two sides may use. */
static void cpu_flags(char *out, size_t len)
{
	static const char *const want[] = {
		"aes", "pclmulqdq", "avx", "avx2", "sha_ni", "vaes",
		"vpclmulqdq", "avx512f",
	};
	char line[4096], *tok, *save;
	size_t i, used = 0;
	FILE *f;

	snprintf(out, len, "unknown");
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		out[0] = '\0';
		for (tok = strtok_r(strchr(line, ':') ? strchr(line, ':') + 1 :
				    line, " \n", &save);
		     tok; tok = strtok_r(NULL, " \n", &save))
			for (i = 0; i < BENCH_ARRAY_SIZE(want); i++)
				if (!strcmp(tok, want[i]) && used + 1 < len)
					used += snprintf(out + used, len - used,
							 "%s%s", used ? " " : "",
							 tok);
		break;
	}
	fclose(f);
}

/*
 * The driver a new transform of @name gets: the highest priority one in
 * /proc/crypto that is not internal (cpns.ko takes asynchronous AEADs
 * too, and waits for them). /proc/crypto lists what has been
 * instantiated, so this is read after the measurement.
 */
static void crypto_driver(const char *name, char *out, size_t len)
{
	char line[256], bname[128] = "", bdriver[128] = "";
	long prio = -1, best = -1;
	bool usable = true, end;
	FILE *f;

	snprintf(out, len, "unknown");
	f = fopen("/proc/crypto", "re");
	if (!f)
		return;
	do {
		end = !fgets(line, sizeof(line), f);
		if (end || line[0] == '\n') {
			if (!strcmp(bname, name) && usable && prio > best) {
				best = prio;
				snprintf(out, len, "%s", bdriver);
			}
			bname[0] = '\0';
			prio = -1;
			usable = true;
			continue;
		}
		if (sscanf(line, "name : %127s", bname) == 1 ||
		    sscanf(line, "driver : %127s", bdriver) == 1 ||
		    sscanf(line, "priority : %ld", &prio) == 1)
			continue;
		if (!strncmp(line, "internal", 8))
			usable = usable && strstr(line, ": no");
	} while (!end);
	fclose(f);
}

void bench_env_get(const struct bench *b, struct bench_env *env)
{
	const char *vm = getenv("CPNS_VM");
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;

	memset(env, 0, sizeof(*env));
	gmtime_r(&now, &tm);
	strftime(env->date, sizeof(env->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!uname(&u)) {
		snprintf(env->kernel, sizeof(env->kernel), "%s", u.release);
		snprintf(env->machine, sizeof(env->machine), "%s", u.machine);
	}
	read_line("/proc/cpuinfo", "model name", env->cpu, sizeof(env->cpu));
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  NULL, env->clocksource, sizeof(env->clocksource));
	read_line("/proc/loadavg", NULL, env->load, sizeof(env->load));
	env->cpus = sysconf(_SC_NPROCESSORS_ONLN);
	env->vm = vm && !strcmp(vm, "1");
	env->openssl = ref_version();
	env->clock_ns = b->clock_ns;
	cpu_flags(env->cpu_flags, sizeof(env->cpu_flags));
	/* Set by tools/bench/run: host load moves the ratios (Caveats). */
	env->host_load = getenv("CPNS_BENCH_HOST_LOAD");
	if (!b->user_only) {
		crypto_driver("gcm(aes)", env->kernel_gcm,
			      sizeof(env->kernel_gcm));
		/* The module's MAC and KDF run on lib/crypto's sha256. */
		snprintf(env->kernel_hmac, sizeof(env->kernel_hmac),
			 "HMAC on the SHA-256 library");
	}
}

static double ratio(const struct bench_sample *k, const struct bench_sample *u)
{
	double ur = bench_rate(u);

	return ur > 0 ? bench_rate(k) / ur : 0;
}

/* The lowest, median and highest of the per-round ratios. */
static void ratio_range(const struct bench_result *r, double *lo, double *med,
			double *hi)
{
	double x[BENCH_MAX_ROUNDS], t;
	unsigned int i, j, n = r->rounds;

	*lo = *med = *hi = 0;
	if (!n || n > BENCH_MAX_ROUNDS)
		return;
	for (i = 0; i < n; i++) {
		x[i] = ratio(&r->k[i], &r->u[i]);
		for (j = i; j > 0 && x[j - 1] > x[j]; j--) {
			t = x[j];
			x[j] = x[j - 1];
			x[j - 1] = t;
		}
	}
	*lo = x[0];
	*hi = x[n - 1];
	*med = n & 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/* A figure, or "-" for a side that was not measured. */
static const char *fig(char *buf, size_t len, const char *fmt, double v,
		       bool have)
{
	if (!have)
		return "-";
	snprintf(buf, len, fmt, v);
	return buf;
}

static void print_header(const struct bench *b, const struct bench_env *env,
			 const struct bench_check *chk, const char *prefix)
{
	printf("%scpns-bench %s: kernel %s %s, %ld CPUs (%s), clocksource %s%s\n",
	       prefix, env->date, env->kernel, env->machine, env->cpus,
	       env->cpu, env->clocksource,
	       env->vm ? ", in the tools/vm-run VM" : "");
	printf("%sCPU crypto flags: %s; one clock reading %.0f ns\n", prefix,
	       env->cpu_flags, env->clock_ns);
	if (!b->user_only)
		printf("%skernel drivers: %s, %s\n", prefix, env->kernel_hmac,
		       env->kernel_gcm);
	printf("%sbaseline: %s\n", prefix, env->openssl);
	printf("%sload average at the end: %s%s%s\n", prefix, env->load,
	       env->host_load ? "; on the host at the start: " : "",
	       env->host_load ? env->host_load : "");
	printf("%s%.2f s per side and operation in %u rounds, after %.2f s of warm-up\n",
	       prefix, b->seconds, b->rounds, b->warmup);
	printf("%sknown answers: %u vectors, %u values compared, %s\n", prefix,
	       chk->vectors, chk->compared,
	       chk->failed ? "SOME DIFFER" : b->user_only ?
	       "all equal (baseline KAT, baseline steps; no kernel)" :
	       "all equal (kernel KAT, baseline KAT, baseline steps)");
}

static void report_table(const struct bench *b, const struct bench_env *env,
			 const struct bench_check *chk,
			 const struct bench_result *res, size_t nres)
{
	char f1[32], f2[32], f3[32];
	double lo, med, hi;
	bool k;
	size_t i;

	print_header(b, env, chk, "");
	printf("\n%-21s %13s %13s %12s  %s\n", "operation", "kernel ops/s",
	       "user ops/s", "kernel/user", "rounds: min median max");
	for (i = 0; i < nres; i++) {
		k = res[i].ktot.ns;
		ratio_range(&res[i], &lo, &med, &hi);
		snprintf(f3, sizeof(f3), "%.4f %.4f %.4f", lo, med, hi);
		printf("%-21s %13s %13.1f %12s  %s\n", res[i].op->name,
		       fig(f1, sizeof(f1), "%.1f", bench_rate(&res[i].ktot), k),
		       bench_rate(&res[i].utot),
		       fig(f2, sizeof(f2), "%.4f",
			   ratio(&res[i].ktot, &res[i].utot), k),
		       k ? f3 : "-");
	}
	printf("\n");
	for (i = 0; i < nres; i++)
		printf("%-21s kernel: %s\n%-21s user:   %s\n", res[i].op->name,
		       res[i].op->kernel, "", res[i].op->baseline);
}

static void report_rst(const struct bench *b, const struct bench_env *env,
		       const struct bench_check *chk,
		       const struct bench_result *res, size_t nres)
{
	static const char rule[] =
		"====================  ============  ============  ===========  ======================";
	char f1[32], f2[32], f3[32];
	double lo, med, hi;
	bool k;
	size_t i;

	print_header(b, env, chk, ".. ");
	printf("\n%s\n%-20s  %12s  %12s  %11s  %s\n%s\n", rule, "operation",
	       "kernel ops/s", "user ops/s", "kernel/user", "min, median, max",
	       rule);
	for (i = 0; i < nres; i++) {
		k = res[i].ktot.ns;
		ratio_range(&res[i], &lo, &med, &hi);
		snprintf(f3, sizeof(f3), "%.4f %.4f %.4f", lo, med, hi);
		printf("%-20s  %12s  %12.0f  %11s  %s\n", res[i].op->name,
		       fig(f1, sizeof(f1), "%.0f", bench_rate(&res[i].ktot), k),
		       bench_rate(&res[i].utot),
		       fig(f2, sizeof(f2), "%.4f",
			   ratio(&res[i].ktot, &res[i].utot), k),
		       k ? f3 : "-");
	}
	printf("%s\n", rule);
}

/* A side's sample; null for a side that was not measured. */
static json_object *json_sample(const struct bench_sample *s)
{
	json_object *o;

	if (!s->ns)
		return NULL;
	o = json_object_new_object();

	json_object_object_add(o, "ops", json_object_new_int64((int64_t)s->ops));
	json_object_object_add(o, "seconds",
			       json_object_new_double((double)s->ns / 1e9));
	json_object_object_add(o, "ops_per_s",
			       json_object_new_double(bench_rate(s)));
	return o;
}

static int report_json(const struct bench *b, const struct bench_env *env,
		       const struct bench_check *chk,
		       const struct bench_result *res, size_t nres)
{
	json_object *root, *o, *ops, *rounds, *r;
	double lo, med, hi;
	unsigned int j;
	size_t i;
	bool k;
	int ok;

	root = json_object_new_object();
	o = json_object_new_object();
	json_object_object_add(o, "date", json_object_new_string(env->date));
	json_object_object_add(o, "kernel", json_object_new_string(env->kernel));
	json_object_object_add(o, "machine",
			       json_object_new_string(env->machine));
	json_object_object_add(o, "cpu", json_object_new_string(env->cpu));
	json_object_object_add(o, "cpus", json_object_new_int64(env->cpus));
	json_object_object_add(o, "clocksource",
			       json_object_new_string(env->clocksource));
	json_object_object_add(o, "vm", json_object_new_boolean(env->vm));
	json_object_object_add(o, "openssl",
			       json_object_new_string(env->openssl));
	json_object_object_add(o, "clock_ns",
			       json_object_new_double(env->clock_ns));
	json_object_object_add(o, "cpu_flags",
			       json_object_new_string(env->cpu_flags));
	json_object_object_add(o, "loadavg", json_object_new_string(env->load));
	json_object_object_add(o, "host_loadavg", env->host_load ?
			       json_object_new_string(env->host_load) : NULL);
	json_object_object_add(o, "kernel_hmac_sha256", b->user_only ? NULL :
			       json_object_new_string(env->kernel_hmac));
	json_object_object_add(o, "kernel_gcm_aes", b->user_only ? NULL :
			       json_object_new_string(env->kernel_gcm));
	json_object_object_add(root, "environment", o);

	o = json_object_new_object();
	json_object_object_add(o, "seconds", json_object_new_double(b->seconds));
	json_object_object_add(o, "warmup", json_object_new_double(b->warmup));
	json_object_object_add(o, "rounds", json_object_new_int(b->rounds));
	json_object_object_add(root, "settings", o);

	o = json_object_new_object();
	json_object_object_add(o, "vectors", json_object_new_int(chk->vectors));
	json_object_object_add(o, "compared",
			       json_object_new_int(chk->compared));
	json_object_object_add(o, "failed", json_object_new_int(chk->failed));
	json_object_object_add(root, "known_answers", o);

	ops = json_object_new_array();
	for (i = 0; i < nres; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(res[i].op->name));
		json_object_object_add(o, "kernel_commands",
				       json_object_new_string(res[i].op->kernel));
		json_object_object_add(o, "baseline_computes",
				       json_object_new_string(res[i].op->baseline));
		json_object_object_add(o, "kernel", json_sample(&res[i].ktot));
		json_object_object_add(o, "user", json_sample(&res[i].utot));
		k = res[i].ktot.ns;
		ratio_range(&res[i], &lo, &med, &hi);
		json_object_object_add(o, "ratio", !k ? NULL :
				       json_object_new_double(ratio(&res[i].ktot,
								    &res[i].utot)));
		json_object_object_add(o, "ratio_min",
				       k ? json_object_new_double(lo) : NULL);
		json_object_object_add(o, "ratio_median",
				       k ? json_object_new_double(med) : NULL);
		json_object_object_add(o, "ratio_max",
				       k ? json_object_new_double(hi) : NULL);
		rounds = json_object_new_array();
		for (j = 0; j < res[i].rounds; j++) {
			r = json_object_new_object();
			json_object_object_add(r, "kernel",
					       json_sample(&res[i].k[j]));
			json_object_object_add(r, "user",
					       json_sample(&res[i].u[j]));
			json_object_array_add(rounds, r);
		}
		json_object_object_add(o, "rounds", rounds);
		json_object_array_add(ops, o);
	}
	json_object_object_add(root, "operations", ops);

	ok = puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE)) >= 0;
	json_object_put(root);
	return ok ? 0 : -EIO;
}

int bench_report(const struct bench *b, const struct bench_env *env,
		 const struct bench_check *chk,
		 const struct bench_result *res, size_t nres,
		 enum bench_format fmt)
{
	switch (fmt) {
	case BENCH_JSON:
		return report_json(b, env, chk, res, nres);
	case BENCH_RST:
		report_rst(b, env, chk, res, nres);
		break;
	case BENCH_TABLE:
		report_table(b, env, chk, res, nres);
		break;
	}
	return fflush(stdout) ? -errno : 0;
}
