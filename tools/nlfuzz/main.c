// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: fuzz the cpns Generic Netlink family from several threads, network
 * namespaces and an unprivileged process, with an oracle that fails the run
 * on a state change by a refused message, an unexpected errno, a refusal
 * without an extended ACK message, a missing answer or a hung request.
 * tools/nlfuzz/README says what it does and how to read its report.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <keyutils.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cpns.h"
#include "nlfuzz.h"

struct nf_opts nf_opt = {
	.duration = 60,
	.seed = 1,
	.threads = 4,
	.netns = 3,
	.unpriv = 1,
	.checker = true,
	.churn = true,
	.revoke = true,
	.churn_ms = 500,
	.hang = 60,
};

atomic_bool nf_stop;
struct nf_stats *nf_st;
struct nf_ns_table nf_ns = { .lock = PTHREAD_MUTEX_INITIALIZER };
int nf_init_ns = -1;
uint32_t nf_pending_timeout = 30;

static struct nf_worker *workers;	/* the random workers, checker last */
static int nworkers;

uint64_t nf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ accounting */

void nf_dump_req(const struct nf_req *r)
{
	char hex[2 * 512 + 1];
	size_t n = r->b.len < 512 ? r->b.len : 512;

	cpns_hex_encode(hex, r->b.p, n);
	fprintf(stderr, "    request (%zu bytes%s): %s\n", r->b.len,
		n < r->b.len ? ", first 512" : "", hex);
}

void nf_failure(int tid, const struct nf_req *r, const char *fmt, ...)
{
	char text[400], name[16];
	va_list ap;
	uint64_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&nf_st->lock);
	n = ++nf_st->failures;
	if (n == 1)
		snprintf(nf_st->first_failure, sizeof(nf_st->first_failure),
			 "%s", text);
	if (n <= 20) {
		fprintf(stderr, "nlfuzz: FAIL [%s %d] %s%s%s\n",
			tid < 0 ? "unpriv" : "thread", tid < 0 ? -tid : tid,
			r ? nf_cmd_name(r->cmd, name, sizeof(name)) : "",
			r ? ": " : "", text);
		if (r)
			nf_dump_req(r);
	}
	pthread_mutex_unlock(&nf_st->lock);
}

/* The errnos of Documentation/netlink.rst (section 2), for a caller with
 * CAP_NET_ADMIN. */
bool nf_errno_expected(int err)
{
	switch (err) {
	case EINVAL: case ERANGE: case EOPNOTSUPP: case EBADMSG:
	case ENOKEY: case EKEYREVOKED: case EKEYEXPIRED: case ENOENT:
	case EALREADY: case EBUSY: case EEXIST: case EKEYREJECTED:
	case ENOMEM: case EMSGSIZE: case ENOBUFS:
	/* a key-encryption key the caller may not use (KEY_WRAP/UNWRAP) */
	case EACCES:
		return true;
	}
	return false;
}

static void add_extack(const struct nf_req *r, const struct nf_answer *a)
{
	int i;

	for (i = 0; i < nf_st->nextack; i++) {
		struct nf_extack *e = &nf_st->extack[i];

		if (e->err == a->err && !strcmp(e->text, a->msg)) {
			e->count++;
			return;
		}
	}
	if (i == NF_MAX_EXTACK)
		return;
	nf_st->extack[i].err = a->err;
	nf_st->extack[i].cmd = r->cmd;
	nf_st->extack[i].count = 1;
	snprintf(nf_st->extack[i].text, sizeof(nf_st->extack[i].text), "%s",
		 a->msg);
	nf_st->nextack++;
}

void nf_account(int tid, const struct nf_req *r, const struct nf_answer *a)
{
	const struct nlmsghdr *nh = (const void *)r->b.p;
	bool unpriv = tid < 0;
	/* a message the family sees: ours, and a request (the netlink core
	 * acks anything else with 0 without looking at it) */
	bool ours = r->b.len >= sizeof(*nh) && nh->nlmsg_type == nf_fam.id &&
		    (nh->nlmsg_flags & NLM_F_REQUEST);

	pthread_mutex_lock(&nf_st->lock);
	nf_st->sent++;
	nf_st->bytes += r->b.len;
	nf_st->cmd_sent[r->cmd]++;
	if (unpriv)
		nf_st->unpriv_sent++;
	if (a->overrun)
		nf_st->overrun++;
	if (!a->answered) {
		nf_st->noanswer++;
	} else {
		nf_st->answered++;
		if (a->error) {
			nf_st->rejected++;
			nf_st->errno_count[a->err < NF_MAX_ERRNO ? a->err : 0]++;
			add_extack(r, a);
			if (!a->msg[0])
				nf_st->no_extack++;
			if (unpriv && a->err == EPERM)
				nf_st->unpriv_eperm++;
		}
		if (!a->error || a->acked || a->data) {
			nf_st->accepted++;
			nf_st->cmd_ok[r->cmd]++;
		}
	}
	pthread_mutex_unlock(&nf_st->lock);

	if (a->miss_type > 0 && a->miss_type < NF_MAX_ATTR && r->header_ok)
		atomic_store(&nf_fam.cmd[r->cmd].required[a->miss_type], true);

	/* The oracle's per-message rules. */
	if (r->header_ok && r->ack && !a->answered && !a->overrun)
		nf_failure(tid, r, "no answer to a request with NLM_F_ACK");
	if (unpriv) {
		/* Without CAP_NET_ADMIN: every privileged command refused
		 * with EPERM before anything else is looked at. But for the
		 * operation itself: since 6.2 the genl core looks up do and
		 * dump apart, so a dump of a command that has none (or a do of
		 * one that only dumps) is "no such operation" (EOPNOTSUPP)
		 * before the permission is checked. */
		bool no_op = (r->dump ? !nf_fam.cmd[r->cmd].dumpit :
					!nf_fam.cmd[r->cmd].doit) &&
			     a->error && a->err == EOPNOTSUPP;

		if (r->header_ok && nf_fam.cmd[r->cmd].priv && a->answered &&
		    !no_op && (!a->error || a->err != EPERM))
			nf_failure(tid, r,
				   "without CAP_NET_ADMIN: %s, want EPERM",
				   a->error ? strerror(a->err) : "accepted");
		else if (ours && nf_fam.cmd[r->cmd].priv &&
			 (a->acked || a->data) && !a->error)
			nf_failure(tid, r,
				   "without CAP_NET_ADMIN: a privileged command was accepted");
		return;
	}
	if (a->error && a->err == EPERM && ours)
		nf_failure(tid, r, "EPERM with CAP_NET_ADMIN");
	else if (a->error && ours && !nf_errno_expected(a->err))
		nf_failure(tid, r, "unexpected errno %d (%s): \"%s\"", a->err,
			   strerror(a->err), a->msg);
	/* The module and the netlink policies say why on every refusal;
	 * only the genl core's "no such command" has no words. */
	if (a->error && r->header_ok && !a->msg[0] && a->err != EOPNOTSUPP &&
	    !a->overrun)
		nf_failure(tid, r, "refused (%s) without an extack message",
			   strerror(a->err));
}

int nf_send(struct nf_worker *w, int role, struct nf_req *r,
	    struct nf_answer *a, nf_reply_fn fn, void *arg)
{
	struct nf_sock *s = &w->sock[role];
	int err;

	if (s->fd < 0) {
		memset(a, 0, sizeof(*a));
		return -EBADF;
	}
	atomic_store(&w->busy_cmd, r->cmd);
	atomic_store(&w->busy_since, nf_now_ms());
	err = nf_xfer(s, r, a, fn, arg);
	atomic_store(&w->busy_since, 0);
	w->sent++;
	if (err) {
		/* the socket refused the send (size): not the family's doing */
		pthread_mutex_lock(&nf_st->lock);
		nf_st->sent++;
		nf_st->noanswer++;
		pthread_mutex_unlock(&nf_st->lock);
		return err;
	}
	nf_account(w->tid, r, a);
	return 0;
}

/* ------------------------------------------------------------ namespaces */

static void info_reply(const struct nlmsghdr *nh, void *arg)
{
	struct nf_attr as[16];
	const struct nf_attr *k, *t;
	int n = nf_parse_reply(nh, as, 16);

	k = nf_find(as, n, CPNS_A_KEYRING);
	t = nf_find(as, n, CPNS_A_PENDING_TIMEOUT);
	if (k && k->len == 4)
		memcpy(arg, k->data, 4);
	if (t && t->len == 4)
		memcpy(&nf_pending_timeout, t->data, 4);
}

/* GET_INFO here: the namespace's keyring (and pending_timeout). */
static int32_t ns_keyring(void)
{
	struct nf_sock s = { .fd = -1 };
	struct nf_req r = { 0 };
	struct nf_answer a;
	int32_t kr = 0;

	if (nf_sock_open(&s, true))
		return 0;
	nf_req_begin(&r, nf_fam.id, CPNS_CMD_GET_INFO,
		     NLM_F_REQUEST | NLM_F_ACK);
	nf_req_end(&r);
	nf_xfer(&s, &r, &a, info_reply, &kr);
	nf_sock_close(&s);
	free(s.rbuf);
	nf_buf_free(&r.b);
	return kr;
}

int nf_ns_new(int32_t *keyring)
{
	int fd;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "nlfuzz: unshare(CLONE_NEWNET): %s\n",
			strerror(errno));
		return -1;
	}
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (keyring)
		*keyring = ns_keyring();
	if (setns(nf_init_ns, CLONE_NEWNET)) {
		perror("nlfuzz: setns back");
		exit(1);
	}
	NF_INC(netns_made);
	return fd;
}

int nf_ns_enter(int i)
{
	int err;

	pthread_mutex_lock(&nf_ns.lock);
	err = setns(nf_ns.fd[i % nf_ns.n], CLONE_NEWNET);
	pthread_mutex_unlock(&nf_ns.lock);
	return err;
}

/* ------------------------------------------------------------ workers */

static void worker_sockets(struct nf_worker *w)
{
	int slot[3], n = nf_ns.n;

	/* Mostly three namespaces for three roles (a server and a gateway of
	 * the same device cannot share one), sometimes any. */
	for (int i = 0; i < 3; i++)
		slot[i] = (int)nf_below(&w->rng, (uint32_t)n);
	if (n >= 3 && nf_pct(&w->rng, 80)) {
		slot[0] = (int)nf_below(&w->rng, (uint32_t)n);
		slot[1] = (slot[0] + 1 + (int)nf_below(&w->rng, (uint32_t)n - 1)) % n;
		do
			slot[2] = (int)nf_below(&w->rng, (uint32_t)n);
		while (slot[2] == slot[0] || slot[2] == slot[1]);
	}
	for (int i = 0; i < 3; i++) {
		nf_sock_close(&w->sock[i]);
		if (nf_ns_enter(slot[i]) ||
		    nf_sock_open(&w->sock[i], true))
			w->sock[i].fd = -1;
	}
	setns(nf_init_ns, CLONE_NEWNET);
	for (int i = 0; i < 2; i++)
		nf_flow_reset(w->flow[i]);
}

static void *worker_main(void *arg)
{
	struct nf_worker *w = arg;
	struct nf_req r = { 0 };
	struct nf_answer a;

	worker_sockets(w);
	while (!atomic_load(&nf_stop) &&
	       (!nf_opt.messages || w->sent < nf_opt.messages)) {
		uint32_t dice = nf_below(&w->rng, 1000);

		if (dice < 350) {
			struct nf_flow *f = w->flow[nf_below(&w->rng, 2)];
			int role;

			nf_flow_step(w, f, &r, &role);
			if (nf_pct(&w->rng, 8))
				nf_mutate(&w->rng, &r, 1);
			if (!nf_send(w, role, &r, &a, nf_flow_reply, f))
				nf_flow_done(w, f, &a);
		} else if (dice < 995) {
			int m = nf_pct(&w->rng, 40) ? 0 :
				1 + (int)nf_below(&w->rng, 3);

			nf_gen(&w->rng, &r, nf_pick_cmd(&w->rng), m);
			nf_send(w, (int)nf_below(&w->rng, 3), &r, &a,
				nf_pool_harvest, NULL);
		} else if (dice < 997) {
			/* a burst of key pairs: the pending_max cap (EBUSY) */
			int role = (int)nf_below(&w->rng, 3);

			for (int i = 0; i < 80 && !atomic_load(&nf_stop); i++) {
				nf_req_begin(&r, nf_fam.id, CPNS_CMD_XFER_NEW,
					     NLM_F_REQUEST | NLM_F_ACK);
				nf_req_end(&r);
				if (nf_send(w, role, &r, &a, nf_pool_harvest,
					    NULL) || a.error)
					break;
			}
		} else {
			/* hop: other namespaces, new sockets (the old ones'
			 * pending objects and sessions go with them) */
			worker_sockets(w);
		}
	}
	for (int i = 0; i < 3; i++) {
		nf_sock_close(&w->sock[i]);
		free(w->sock[i].rbuf);
	}
	nf_buf_free(&r.b);
	nf_flow_free(w->flow[0]);
	nf_flow_free(w->flow[1]);
	atomic_store(&w->done, true);
	return NULL;
}

/* ------------------------------------------------------------ report */

static const char *errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EEXIST, "EEXIST" },
		{ EINVAL, "EINVAL" }, { ERANGE, "ERANGE" },
		{ EMSGSIZE, "EMSGSIZE" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ENOBUFS, "ENOBUFS" }, { EALREADY, "EALREADY" },
		{ EBUSY, "EBUSY" }, { EBADMSG, "EBADMSG" },
		{ ENOKEY, "ENOKEY" }, { EKEYEXPIRED, "EKEYEXPIRED" },
		{ EKEYREVOKED, "EKEYREVOKED" },
		{ EKEYREJECTED, "EKEYREJECTED" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	return "?";
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static int cmp_extack(const void *x, const void *y)
{
	const struct nf_extack *a = x, *b = y;

	return a->err != b->err ? a->err - b->err : strcmp(a->text, b->text);
}

static void report(double secs)
{
	struct nf_stats *st = nf_st;
	int nerrno = 0, nmsg = 0;
	char name[16];

	for (int e = 0; e < NF_MAX_ERRNO; e++)
		nerrno += st->errno_count[e] != 0;
	qsort(st->extack, (size_t)st->nextack, sizeof(st->extack[0]),
	      cmp_extack);
	for (int i = 0; i < st->nextack; i++)
		nmsg += st->extack[i].text[0] != 0;

	if (nf_opt.json) {
		printf("{\"seconds\": %.1f, \"seed\": %llu, \"threads\": %d, "
		       "\"netns\": %d, \"sent\": %llu, \"per_second\": %.0f, "
		       "\"accepted\": %llu, \"refused\": %llu, "
		       "\"no_answer\": %llu, \"distinct_extack\": %d, "
		       "\"distinct_errno\": %d, \"oracle_checks\": %llu, "
		       "\"unpriv_sent\": %llu, \"sessions\": %llu, "
		       "\"netns_made\": %llu, \"failures\": %llu, ",
		       secs, (unsigned long long)nf_opt.seed, nf_opt.threads,
		       nf_opt.netns, (unsigned long long)st->sent,
		       st->sent / secs, (unsigned long long)st->accepted,
		       (unsigned long long)st->rejected,
		       (unsigned long long)st->noanswer, nmsg, nerrno,
		       (unsigned long long)st->oracle_checks,
		       (unsigned long long)st->unpriv_sent,
		       (unsigned long long)st->sessions,
		       (unsigned long long)st->netns_made,
		       (unsigned long long)st->failures);
		printf("\"commands\": {");
		for (int c = 0, first = 1; c < NF_MAX_CMD; c++) {
			if (!st->cmd_sent[c])
				continue;
			printf("%s\"%s\": [%llu, %llu]", first ? "" : ", ",
			       nf_cmd_name((unsigned int)c, name, sizeof(name)),
			       (unsigned long long)st->cmd_sent[c],
			       (unsigned long long)st->cmd_ok[c]);
			first = 0;
		}
		printf("}, \"extack\": [");
		for (int i = 0; i < st->nextack; i++) {
			printf("%s{\"errno\": \"%s\", \"count\": %llu, "
			       "\"message\": ", i ? ", " : "",
			       errno_name(st->extack[i].err),
			       (unsigned long long)st->extack[i].count);
			json_str(st->extack[i].text);
			printf("}");
		}
		printf("]}\n");
		return;
	}

	printf("nlfuzz: %.1f s, seed %llu, %d threads%s, %d shared netns "
	       "(%llu made in all), %d unprivileged process(es)\n",
	       secs, (unsigned long long)nf_opt.seed, nf_opt.threads,
	       nf_opt.checker ? " + checker" : "", nf_opt.netns,
	       (unsigned long long)st->netns_made, nf_opt.unpriv);
	printf("policy: %s, %d commands, attributes up to %d\n",
	       nf_fam.from_policy ? "CTRL_CMD_GETPOLICY" : "cpns.h (fallback)",
	       nf_fam.ncmd, nf_fam.max_attr);
	printf("messages: %llu sent, %.0f/s, %.1f MB; %llu accepted, %llu "
	       "refused, %llu unanswered, %llu overruns\n",
	       (unsigned long long)st->sent, st->sent / secs,
	       st->bytes / 1e6, (unsigned long long)st->accepted,
	       (unsigned long long)st->rejected,
	       (unsigned long long)st->noanswer,
	       (unsigned long long)st->overrun);
	printf("per command (sent/accepted):");
	for (int c = 0, k = 0; c < NF_MAX_CMD; c++) {
		if (!st->cmd_sent[c] || !nf_fam.cmd[c].known)
			continue;
		printf("%s%s %llu/%llu", k++ % 5 ? ", " : "\n  ",
		       nf_cmd_name((unsigned int)c, name, sizeof(name)),
		       (unsigned long long)st->cmd_sent[c],
		       (unsigned long long)st->cmd_ok[c]);
	}
	printf("\n  unknown command numbers: %llu sent\n",
	       (unsigned long long)({
		       uint64_t u = 0;

		       for (int c = 0; c < NF_MAX_CMD; c++)
			       if (!nf_fam.cmd[c].known)
				       u += st->cmd_sent[c];
		       u;
	       }));
	printf("errnos (%d distinct):", nerrno);
	for (int e = 0; e < NF_MAX_ERRNO; e++)
		if (st->errno_count[e])
			printf(" %s %llu", errno_name(e),
			       (unsigned long long)st->errno_count[e]);
	printf("\ndistinct extack messages: %d (%llu refusals without one)\n",
	       nmsg, (unsigned long long)st->no_extack);
	printf("flows: %llu steps, %llu accepted, %llu sessions made, %llu "
	       "flows completed\n", (unsigned long long)st->flow_steps,
	       (unsigned long long)st->flow_ok,
	       (unsigned long long)st->sessions,
	       (unsigned long long)st->flows_done);
	printf("oracle: %llu state checks of refused messages (%llu where "
	       "pending objects expired meanwhile, %llu skipped), %llu "
	       "unprivileged messages (%llu EPERM)\n",
	       (unsigned long long)st->oracle_checks,
	       (unsigned long long)st->oracle_relaxed,
	       (unsigned long long)st->oracle_skipped,
	       (unsigned long long)st->unpriv_sent,
	       (unsigned long long)st->unpriv_eperm);
	printf("oracle checks by errno:");
	for (int e = 0; e < NF_MAX_ERRNO; e++)
		if (st->oracle_errno[e])
			printf(" %s %llu", errno_name(e),
			       (unsigned long long)st->oracle_errno[e]);
	printf("\n");
	printf("keyctl: %llu revoked, %llu unlinked (shared netns), %llu by "
	       "the checker in its own\n", (unsigned long long)st->revoked,
	       (unsigned long long)st->unlinked,
	       (unsigned long long)st->own_revoked);
	if (nf_opt.verbose) {
		printf("extack messages (count errno first-command message):\n");
		for (int i = 0; i < st->nextack; i++)
			printf("  %8llu %-12s %-16s %s\n",
			       (unsigned long long)st->extack[i].count,
			       errno_name(st->extack[i].err),
			       nf_cmd_name((unsigned int)st->extack[i].cmd,
					   name, sizeof(name)),
			       st->extack[i].text[0] ? st->extack[i].text :
			       "(none)");
	}
	if (st->failures)
		printf("FAILED: %llu oracle failure(s); first: %s\n",
		       (unsigned long long)st->failures, st->first_failure);
	else
		printf("PASS: no oracle failure\n");
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: nlfuzz [OPTIONS]\n"
"\n"
"Fuzz the cpns Generic Netlink family with generated and mutated messages\n"
"from several threads and network namespaces, with and without\n"
"CAP_NET_ADMIN, for a bounded time. Runs as root, with cpns.ko loaded (in\n"
"the VM: tools/nlfuzz/run). Exits 1 on any oracle failure: a state change\n"
"by a refused message, an unexpected errno, a privileged command accepted\n"
"without CAP_NET_ADMIN, a refusal without an extack message, a request\n"
"with NLM_F_ACK left unanswered, or a request hung for --hang seconds.\n"
"\n"
"Options:\n"
"  -d, --duration S   run for S seconds (60)\n"
"  -s, --seed N       seed of every thread's generator (1)\n"
"  -t, --threads N    random workers (4), besides the checker\n"
"  -n, --netns N      shared network namespaces (3, at most 16)\n"
"  -u, --unpriv N     processes without CAP_NET_ADMIN (1)\n"
"      --no-checker   no state oracle thread\n"
"      --no-churn     do not replace namespaces while fuzzing\n"
"      --no-revoke    do not revoke or unlink keys with keyctl\n"
"      --churn-ms MS  replace a shared namespace every MS ms (500)\n"
"      --hang S       a request taking S seconds is a hang (60)\n"
"      --messages N   each random worker stops after N messages (the run\n"
"                     ends when all have, or at --duration)\n"
"  -v, --verbose      list every distinct extack message\n"
"      --json         the report as JSON\n"
"      --oracle-selftest  show that the state oracle catches a change\n"
"                     (an accepted SEED_NEW judged as refused) and passes\n"
"                     a refusal, then exit\n"
"  -h, --help         this help\n");
}

static int parse_opts(int argc, char **argv)
{
	enum { O_NOCHECK = 256, O_NOCHURN, O_NOREVOKE, O_CHURNMS, O_HANG,
	       O_JSON, O_SELFTEST, O_MESSAGES };
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "netns", required_argument, NULL, 'n' },
		{ "unpriv", required_argument, NULL, 'u' },
		{ "no-checker", no_argument, NULL, O_NOCHECK },
		{ "no-churn", no_argument, NULL, O_NOCHURN },
		{ "no-revoke", no_argument, NULL, O_NOREVOKE },
		{ "churn-ms", required_argument, NULL, O_CHURNMS },
		{ "hang", required_argument, NULL, O_HANG },
		{ "messages", required_argument, NULL, O_MESSAGES },
		{ "verbose", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, O_JSON },
		{ "oracle-selftest", no_argument, NULL, O_SELFTEST },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "d:s:t:n:u:vh", longopts,
				NULL)) != -1) {
		char *end = NULL;
		long v = 0;

		if (optarg) {
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (c != 'd' && (errno || *end || v < 0)) {
				fprintf(stderr, "nlfuzz: bad number '%s'\n",
					optarg);
				return -1;
			}
		}
		switch (c) {
		case 'd':
			nf_opt.duration = strtod(optarg, &end);
			if (*end || nf_opt.duration <= 0) {
				fprintf(stderr, "nlfuzz: bad duration '%s'\n",
					optarg);
				return -1;
			}
			break;
		case 's':
			nf_opt.seed = strtoull(optarg, NULL, 10);
			break;
		case 't':
			nf_opt.threads = (int)v;
			break;
		case 'n':
			nf_opt.netns = (int)v;
			break;
		case 'u':
			nf_opt.unpriv = (int)v;
			break;
		case O_NOCHECK:
			nf_opt.checker = false;
			break;
		case O_NOCHURN:
			nf_opt.churn = false;
			break;
		case O_NOREVOKE:
			nf_opt.revoke = false;
			break;
		case O_CHURNMS:
			nf_opt.churn_ms = (int)(v ? v : 1);
			break;
		case O_HANG:
			nf_opt.hang = (int)(v ? v : 1);
			break;
		case O_MESSAGES:
			nf_opt.messages = (uint64_t)v;
			break;
		case 'v':
			nf_opt.verbose++;
			break;
		case O_JSON:
			nf_opt.json = true;
			break;
		case O_SELFTEST:
			nf_opt.oracle_selftest = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nlfuzz: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (nf_opt.netns < 1 || nf_opt.netns > NF_MAX_NS ||
	    nf_opt.threads > 64 || nf_opt.unpriv > 16) {
		fprintf(stderr,
			"nlfuzz: --netns 1..%d, --threads 0..64, --unpriv 0..16\n",
			NF_MAX_NS);
		return -1;
	}
	return 0;
}

static void shared_stats(void)
{
	pthread_mutexattr_t ma;

	nf_st = mmap(NULL, sizeof(*nf_st), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (nf_st == MAP_FAILED) {
		perror("nlfuzz: mmap");
		exit(1);
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&nf_st->lock, &ma);
	pthread_mutexattr_destroy(&ma);
}

/* Key-encryption and pairing keys the lifecycle commands can be pointed at
 * (CPNS_A_KEYREF_TYPE/DESC from the pool: "user"/"logon", "nlfuzz:..."). */
static key_serial_t own_keys[3];

static void add_keys(struct nf_rng *rng)
{
	uint8_t secret[32];

	nf_fill(rng, secret, sizeof(secret));
	own_keys[0] = add_key("user", "nlfuzz:kek", secret, sizeof(secret),
			      KEY_SPEC_SESSION_KEYRING);
	own_keys[1] = add_key("logon", "nlfuzz:kek", secret, sizeof(secret),
			      KEY_SPEC_SESSION_KEYRING);
	own_keys[2] = add_key("user", "nlfuzz:pair", secret, 16,
			      KEY_SPEC_SESSION_KEYRING);
	if (own_keys[0] < 0 || own_keys[1] < 0 || own_keys[2] < 0)
		fprintf(stderr, "nlfuzz: add_key: %s (the lifecycle commands "
			"will not find a KEK)\n", strerror(errno));
	explicit_bzero(secret, sizeof(secret));
}

static void del_keys(void)
{
	for (int i = 0; i < 3; i++)
		if (own_keys[i] > 0)
			keyctl_unlink(own_keys[i], KEY_SPEC_SESSION_KEYRING);
}

int main(int argc, char **argv)
{
	pthread_t th[64 + 3];
	pid_t pids[16];
	struct nf_rng rng;
	struct nf_sock s = { .fd = -1 };
	uint64_t t0, tend;
	int nth = 0, nunpriv, rc = 0;
	double secs;

	if (parse_opts(argc, argv))
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	shared_stats();
	nf_rng_seed(&rng, nf_opt.seed, 1000);

	nf_init_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nf_init_ns < 0 || nf_sock_open(&s, true)) {
		fprintf(stderr, "nlfuzz: netlink: %s\n", strerror(errno));
		return 1;
	}
	if (nf_family_load(s.fd))
		return 1;
	nf_sock_close(&s);
	free(s.rbuf);
	nf_pool_init();
	if (nf_opt.oracle_selftest)
		return nf_oracle_selftest();
	add_keys(&rng);

	nf_ns.n = nf_opt.netns;
	for (int i = 0; i < nf_ns.n; i++) {
		nf_ns.fd[i] = nf_ns_new(&nf_ns.keyring[i]);
		if (nf_ns.fd[i] < 0)
			return 1;
	}
	/* Before any thread: fork() copies only the caller. */
	nunpriv = nf_unpriv_start(&rng, pids, nf_opt.unpriv);
	if (nunpriv < 0)
		return 1;

	nworkers = nf_opt.threads + (nf_opt.checker ? 1 : 0);
	workers = calloc((size_t)nworkers + 1, sizeof(*workers));
	if (!workers)
		return 1;
	t0 = nf_now_ms();
	tend = t0 + (uint64_t)(nf_opt.duration * 1000);
	for (int i = 0; i < nworkers; i++) {
		struct nf_worker *w = &workers[i];

		w->tid = i + 1;
		nf_rng_seed(&w->rng, nf_opt.seed, (uint64_t)i);
		for (int k = 0; k < 3; k++)
			w->sock[k].fd = -1;
		w->flow[0] = nf_flow_new();
		w->flow[1] = nf_flow_new();
		w->checker = nf_opt.checker && i == nworkers - 1;
		if (pthread_create(&th[nth++], NULL,
				   w->checker ? nf_checker_main : worker_main,
				   w)) {
			perror("nlfuzz: pthread_create");
			return 1;
		}
	}
	if (nf_opt.revoke && !pthread_create(&th[nth], NULL, nf_revoker_main,
					     NULL))
		nth++;
	if (nf_opt.churn && !pthread_create(&th[nth], NULL, nf_churn_main,
					    NULL))
		nth++;

	/* The watchdog: the run's time, and no request hung. */
	while (nf_now_ms() < tend) {
		uint64_t now;
		int busy = 0;

		/* --messages: the run ends when every random worker is done */
		for (int i = 0; i < nf_opt.threads; i++)
			busy += !atomic_load(&workers[i].done);
		if (nf_opt.messages && nf_opt.threads && !busy)
			break;

		usleep(100 * 1000);
		for (int i = 0; i < nworkers; i++) {
			/* since first: it must not be newer than now */
			uint64_t since = atomic_load(&workers[i].busy_since);
			char name[16];

			now = nf_now_ms();
			if (since && now > since &&
			    now - since > (uint64_t)nf_opt.hang * 1000) {
				nf_failure(workers[i].tid, NULL,
					   "request %s hung for %d s",
					   nf_cmd_name((unsigned int)atomic_load(&workers[i].busy_cmd),
						       name, sizeof(name)),
					   nf_opt.hang);
				report((now - t0) / 1000.0);
				_exit(1);
			}
		}
	}
	atomic_store(&nf_stop, true);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < nunpriv; i++) {
		uint64_t limit = nf_now_ms() + (uint64_t)nf_opt.hang * 1000;
		int status = 0;
		pid_t p;

		/* they stop at the same deadline; one that does not is hung */
		while ((p = waitpid(pids[i], &status, WNOHANG)) == 0 &&
		       nf_now_ms() < limit)
			usleep(50 * 1000);
		if (p == 0) {
			nf_failure(-(i + 1), NULL,
				   "unprivileged worker hung for %d s",
				   nf_opt.hang);
			kill(pids[i], SIGKILL);
			waitpid(pids[i], &status, 0);
		} else if (p < 0 || !WIFEXITED(status) ||
			   WEXITSTATUS(status) > 1) {
			nf_failure(-(i + 1), NULL,
				   "unprivileged worker died (status 0x%x)",
				   status);
		}
	}
	if (nunpriv)
		nf_unpriv_finish();
	del_keys();
	secs = (nf_now_ms() - t0) / 1000.0;
	report(secs);
	if (nf_st->failures)
		rc = 1;
	return rc;
}
