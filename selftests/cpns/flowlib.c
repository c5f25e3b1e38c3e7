// SPDX-License-Identifier: GPL-2.0
/* The CPNS-KA-1 flows between three namespaces, step by step (flowlib.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

#include <sys/random.h>

#include "flowlib.h"
#include "keyops.h"
#include "tutil.h"

#define HX(x) tu_hex((x), sizeof(x))

void fl_say(const struct fl_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->verbose)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

int fl_fail(const struct fl_host *h, const char *step, int err)
{
	fprintf(stderr, "%s on %s failed: %s (%s)\n", step, h->name,
		cpns_last_error(h->nl), strerror(-err));
	return err;
}

struct cpns_nl *fl_socket(const struct fl_host *h)
{
	struct cpns_nl *nl;
	int saved, err;

	if (tu_netns_enter(h->nsfd, &saved))
		return NULL;
	nl = cpns_open();
	err = errno;
	if (tu_netns_leave(saved)) {
		perror("setns back");
		abort();
	}
	errno = err;
	return nl;
}

static int host_open(struct fl_host *h, const char *name, const char *ns)
{
	h->name = name;
	h->nsfd = ns ? tu_netns_open(ns) : tu_netns_new();
	if (h->nsfd < 0) {
		fprintf(stderr, "%s: namespace %s: %s\n", name,
			ns ? ns : "(new)", strerror(errno));
		return -errno;
	}
	h->nl = fl_socket(h);
	if (!h->nl) {
		fprintf(stderr, "%s: cpns_open: %s\n", name, strerror(errno));
		return -errno;
	}
	return 0;
}

int fl_open(struct fl_ctx *c, const char *const ns[3], bool verbose)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->s.nsfd = c->g1.nsfd = c->g2.nsfd = -1;
	c->verbose = verbose;
	err = host_open(&c->s, "S", ns ? ns[0] : NULL);
	if (!err)
		err = host_open(&c->g1, "GW1", ns ? ns[1] : NULL);
	if (!err)
		err = host_open(&c->g2, "GW2", ns ? ns[2] : NULL);
	if (err)
		fl_close(c);
	return err;
}

static void host_close(struct fl_host *h)
{
	if (h->nl)
		cpns_close(h->nl);
	h->nl = NULL;
	if (h->nsfd >= 0)
		close(h->nsfd);
	h->nsfd = -1;
}

void fl_close(struct fl_ctx *c)
{
	host_close(&c->s);
	host_close(&c->g1);
	host_close(&c->g2);
}

int fl_seed_new(struct fl_ctx *c)
{
	int err;

	err = cpns_seed_new(c->s.nl, 0, c->sid, &c->seed_serial_s);
	if (err)
		return fl_fail(&c->s, "I-2 SEED_NEW", err);
	fl_say(c, "I-2   S            new Key Seed    sid=%s serial=%d\n",
	       HX(c->sid), c->seed_serial_s);
	return 0;
}

int fl_seed_xfer(struct fl_ctx *c)
{
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
	uint32_t h, code_s, code_g;
	int err;

	err = cpns_xfer_new(c->g1.nl, &h, rpub);
	if (err)
		return fl_fail(&c->g1, "I-3 XFER_NEW", err);
	fl_say(c, "I-3   GW1 -> S     transfer key    pub=%s\n", HX(rpub));
	err = fl_export(c->s.nl, c->g1.nl, h, CPNS_KEY_SEED, c->sid, rpub, spub,
			wrapped, &code_s);
	if (err)
		return fl_fail(&c->s, "I-3 SEED_EXPORT", err);
	fl_say(c, "I-3   S -> GW1     sealed seed     sid=%s pub=%s wrapped=%s code=%06u\n",
	       HX(c->sid), HX(spub), HX(wrapped), code_s);
	err = cpns_seed_import(c->g1.nl, h, c->sid, spub, wrapped, 0,
			       &c->seed_serial_g1, &code_g);
	if (err)
		return fl_fail(&c->g1, "I-3 SEED_IMPORT", err);
	fl_say(c, "I-3   GW1          seed stored     serial=%d code=%06u\n",
	       c->seed_serial_g1, code_g);
	if (code_s != code_g) {
		fprintf(stderr, "I-3: comparison codes differ: S %06u, GW1 %06u\n",
			code_s, code_g);
		return -EBADMSG;
	}
	fl_say(c, "I-3   S, GW1       comparison codes agree (%06u)\n", code_s);
	return 0;
}

int fl_assign_derive(struct fl_ctx *c)
{
	int err;

	/* A new device: S's daemon has no row for it yet. */
	memset(&c->srec, 0, sizeof(c->srec));
	memset(&c->srec_a2, 0, sizeof(c->srec_a2));
	err = cpns_assign_request(c->g1.nl, c->sid, c->n1, c->req_mac);
	if (err)
		return fl_fail(&c->g1, "II-1 ASSIGN_REQUEST", err);
	fl_say(c, "II-1  GW1 -> S     sid=%s n1=%s mac=%s\n",
	       HX(c->sid), HX(c->n1), HX(c->req_mac));
	err = cpns_assign_challenge(c->s.nl, c->sid, c->n1, c->req_mac,
				    c->ch, c->ch_mac);
	if (err)
		return fl_fail(&c->s, "II-2 ASSIGN_CHALLENGE", err);
	fl_say(c, "II-2  S            request MAC ok; challenge pending\n");
	fl_say(c, "II-3  S -> GW1     ch=%s mac=%s\n", HX(c->ch), HX(c->ch_mac));
	err = cpns_assign_derive(c->g1.nl, c->sid, c->n1, c->ch, c->ch_mac,
				 c->did, &c->dk_serial_g1);
	if (err)
		return fl_fail(&c->g1, "II-4 ASSIGN_DERIVE", err);
	fl_say(c, "II-4  GW1          challenge MAC ok; did=%s (Device Key pending, serial %d)\n",
	       HX(c->did), c->dk_serial_g1);
	return 0;
}

int fl_assign_confirm(struct fl_ctx *c)
{
	uint8_t state = 0;
	int err;

	fl_say(c, "II-5  GW1 -> S     did=%s n1=%s\n", HX(c->did), HX(c->n1));
	err = cpns_assign_confirm(c->s.nl, c->did, c->n1, c->confirm);
	if (err)
		return fl_fail(&c->s, "II-6 ASSIGN_CONFIRM", err);
	fl_say(c, "II-6  S            did recomputed and equal; challenge consumed\n");
	fl_say(c, "II-7  S -> GW1     code=%s\n", HX(c->confirm));
	err = cpns_assign_verify(c->g1.nl, c->did, c->confirm,
				 &c->dk_serial_g1, &state);
	if (err)
		return fl_fail(&c->g1, "II-8 ASSIGN_VERIFY", err);
	fl_say(c, "II-8  GW1          code ok; Device Key %s (serial %d)\n",
	       cpns_state_name(state), c->dk_serial_g1);
	if (state != CPNS_STATE_CONFIRMED) {
		fprintf(stderr, "II-8: state %u, want confirmed\n", state);
		return -EBADE;
	}
	return 0;
}

int fl_device_xfer(struct fl_ctx *c)
{
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
	uint32_t h, code_s, code_r;
	int err;

	err = cpns_xfer_new(c->g2.nl, &h, rpub);
	if (err)
		return fl_fail(&c->g2, "II-9 XFER_NEW", err);
	fl_say(c, "II-9  GW2 -> GW1   transfer key    pub=%s\n", HX(rpub));
	err = fl_export(c->g1.nl, c->g2.nl, h, CPNS_KEY_DEVICE, c->did, rpub,
			spub, wrapped, &code_s);
	if (err)
		return fl_fail(&c->g1, "II-9 DEVICE_EXPORT", err);
	fl_say(c, "II-9  GW1 -> GW2   sealed key      did=%s pub=%s wrapped=%s code=%06u\n",
	       HX(c->did), HX(spub), HX(wrapped), code_s);
	err = cpns_device_import(c->g2.nl, h, c->did, spub, wrapped, 0,
				 &c->dk_serial_g2, &code_r);
	if (err)
		return fl_fail(&c->g2, "II-9 DEVICE_IMPORT", err);
	fl_say(c, "II-9  GW2          Device Key stored serial=%d code=%06u\n",
	       c->dk_serial_g2, code_r);
	if (code_s != code_r) {
		fprintf(stderr, "II-9: comparison codes differ: GW1 %06u, GW2 %06u\n",
			code_s, code_r);
		return -EBADMSG;
	}
	fl_say(c, "II-9  GW1, GW2     comparison codes agree (%06u)\n", code_s);
	return 0;
}

const struct cpns_keyref fl_kek = { "logon", FL_KEK_DESC };

int fl_server_kek(void)
{
	static pid_t made;
	uint8_t kek[32];
	int32_t r;

	if (made == getpid())
		return 0;
	if (getrandom(kek, sizeof(kek), 0) != (ssize_t)sizeof(kek))
		return -EIO;
	r = tu_add_key("logon", FL_KEK_DESC, kek, sizeof(kek),
		       KEY_SPEC_PROCESS_KEYRING);
	explicit_bzero(kek, sizeof(kek));
	if (r < 0)
		return r;
	made = getpid();
	return 0;
}

int fl_challenge(struct fl_ctx *c, struct cpns_rekey *rk)
{
	return fl_challenge_rec(c, c->nc, rk, &c->hs, c->ns);
}

int fl_challenge_rec(struct fl_ctx *c, const uint8_t *nc,
		     struct cpns_rekey *rk, uint32_t *h, uint8_t *ns)
{
	const struct cpns_record_ref ref = {
		.kek = &fl_kek,
		.label = FL_LABEL,
		.label_len = sizeof(FL_LABEL) - 1,
		.blob = c->srec.blob_len ? c->srec.blob : NULL,
		.blob_len = c->srec.blob_len,
	};
	int err = fl_server_kek();

	if (err)
		return err;
	return cpns_auth_challenge_rec(c->s.nl, c->did, nc, rk, &ref, h, ns);
}

int fl_challenge_nl(struct cpns_nl *nl, const uint8_t *did,
		    const uint8_t *nc, struct cpns_rekey *rk, uint32_t *h,
		    uint8_t *ns)
{
	const struct cpns_record_ref ref = {
		.kek = &fl_kek,
		.label = FL_LABEL,
		.label_len = sizeof(FL_LABEL) - 1,
	};
	int err = fl_server_kek();

	return err ?: cpns_auth_challenge_rec(nl, did, nc, rk, &ref, h, ns);
}

int fl_auth(struct fl_ctx *c)
{
	struct cpns_rekey *rk = &c->rk;
	int err;

	err = cpns_auth_begin_rk(c->g2.nl, c->did, &c->hg, c->nc, rk);
	if (err)
		return fl_fail(&c->g2, "a-0 AUTH_BEGIN", err);
	fl_say(c, "a-0   GW2 -> S     did=%s nc=%s generation=%u\n",
	       HX(c->did), HX(c->nc), rk->generation);
	if (rk->rekey)
		fl_say(c, "a-0   GW2 -> S     Pc=%s (re-key)\n",
		       HX(rk->client_pub));
	err = fl_challenge(c, rk);
	if (err)
		return fl_fail(&c->s, "a-0 AUTH_CHALLENGE", err);
	fl_say(c, "a-0   S -> GW2     ns=%s\n", HX(c->ns));
	if (rk->rekey)
		fl_say(c, "a-0   S -> GW2     Ps=%s\n", HX(rk->server_pub));
	err = cpns_auth_client_rk(c->g2.nl, c->hg, c->ns, rk, c->client_mac);
	if (err)
		return fl_fail(&c->g2, "a-1 AUTH_CLIENT", err);
	fl_say(c, "a-1   GW2 -> S     mac=%s\n", HX(c->client_mac));
	c->rk_s = *rk;
	err = cpns_auth_server_rec(c->s.nl, c->hs, c->client_mac,
				   c->server_mac, &c->rk_s, &c->srec_a2);
	if (err)
		return fl_fail(&c->s, "a-2 AUTH_SERVER", err);
	fl_say(c, "a-2   S            client code ok\n");
	if (c->srec_a2.blob_len) {
		/* S's daemon stores the record before a-3 leaves. */
		c->srec = c->srec_a2;
		fl_say(c, "a-2   S            device record generation %u %s stored (%zu-byte blob)\n",
		       c->srec.generation, cpns_state_name(c->srec.state),
		       c->srec.blob_len);
	}
	fl_say(c, "a-3   S -> GW2     mac=%s\n", HX(c->server_mac));
	err = cpns_auth_finish_rk(c->g2.nl, c->hg, c->server_mac, rk);
	if (err)
		return fl_fail(&c->g2, "a-4 AUTH_FINISH", err);
	if (rk->serial)
		fl_say(c, "a-4   GW2          Device Key replaced: generation %u (key %d)\n",
		       rk->new_generation, rk->serial);
	fl_say(c, "a-4   GW2          server code ok; sessions established (S handle %u, GW2 handle %u)\n",
	       c->hs, c->hg);
	return 0;
}

static int one_way(struct fl_ctx *c, struct fl_host *from, uint32_t hfrom,
		   struct fl_host *to, uint32_t hto, const char *text)
{
	static const char aad[] = "cpns-signal";
	size_t len = strlen(text), slen, olen;
	uint8_t sealed[256 + CPNS_TAG_LEN];
	char opened[256 + 1];
	struct cpns_record rec;
	uint64_t seq;
	int err;

	if (len > 256)
		return -EINVAL;
	slen = sizeof(sealed);
	err = cpns_seal(from->nl, hfrom, aad, sizeof(aad) - 1, text, len,
			&seq, sealed, &slen);
	if (err)
		return fl_fail(from, "SEAL", err);
	fl_say(c, "SEAL  %-3s -> %-3s   seq=%llu sealed=%s\n", from->name,
	       to->name, (unsigned long long)seq, tu_hex(sealed, slen));
	olen = sizeof(opened) - 1;
	err = cpns_unseal_rec(to->nl, hto, seq, aad, sizeof(aad) - 1, sealed,
			      slen, opened, &olen, &rec);
	if (err)
		return fl_fail(to, "OPEN", err);
	/* S's daemon stores the confirmed record over the unconfirmed one
	 * this session's a-2 gave, if the row still holds it (its store's
	 * compare-and-set). */
	if (rec.blob_len && to == &c->s &&
	    c->srec.blob_len == c->srec_a2.blob_len &&
	    !memcmp(c->srec.blob, c->srec_a2.blob, c->srec.blob_len)) {
		c->srec = rec;
		fl_say(c, "OPEN  S            device record confirmed: generation %u %s\n",
		       rec.generation, cpns_state_name(rec.state));
	}
	opened[olen] = '\0';
	fl_say(c, "OPEN  %-3s          \"%s\"\n", to->name, opened);
	if (olen != len || memcmp(opened, text, len)) {
		fprintf(stderr, "OPEN on %s gave \"%s\", sent \"%s\"\n",
			to->name, opened, text);
		return -EBADMSG;
	}
	return 0;
}

int fl_exchange(struct fl_ctx *c, const char *c2s, const char *s2c)
{
	int err;

	err = one_way(c, &c->g2, c->hg, &c->s, c->hs, c2s);
	if (!err)
		err = one_way(c, &c->s, c->hs, &c->g2, c->hg, s2c);
	return err;
}

int fl_run_all(struct fl_ctx *c)
{
	int err;

	err = fl_seed_new(c);
	if (!err)
		err = fl_seed_xfer(c);
	if (!err)
		err = fl_assign_derive(c);
	if (!err)
		err = fl_assign_confirm(c);
	if (!err)
		err = fl_device_xfer(c);
	if (!err)
		err = fl_auth(c);
	if (!err)
		err = fl_exchange(c, "status: online", "ack: online");
	return err;
}

struct find_arg {
	const uint8_t *id;
	size_t id_len;
	struct cpns_key *out;
	int n;
};

static int find_cb(const struct cpns_key *key, void *arg)
{
	struct find_arg *a = arg;

	a->n++;
	if (a->id && key->id_len == a->id_len &&
	    !memcmp(key->id, a->id, a->id_len)) {
		if (a->out)
			*a->out = *key;
		return 1;
	}
	return 0;
}

static int dump(const struct fl_host *h, struct find_arg *a)
{
	int err, tries;

	for (tries = 0; tries < 10; tries++) {
		a->n = 0;
		err = cpns_keys_dump(h->nl, find_cb, a);
		if (err != -EAGAIN)
			return err;
	}
	return err;
}

int fl_find_key(const struct fl_host *h, const uint8_t *id, size_t id_len,
		struct cpns_key *out)
{
	struct find_arg a = { .id = id, .id_len = id_len, .out = out };

	return dump(h, &a);
}

int fl_count_keys(const struct fl_host *h)
{
	struct find_arg a = { 0 };
	int err = dump(h, &a);

	return err < 0 ? err : a.n;
}

int fl_key_describe(int32_t serial, char *type, size_t typelen, char *desc,
		    size_t desclen)
{
	char buf[512], *p;
	long n;

	n = syscall(SYS_keyctl, KEYCTL_DESCRIBE, serial, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(buf))
		return -E2BIG;
	buf[n] = '\0';
	p = strchr(buf, ';');
	if (!p)
		return -EBADMSG;
	*p = '\0';
	snprintf(type, typelen, "%s", buf);
	p = strrchr(p + 1, ';');
	if (!p)
		return -EBADMSG;
	snprintf(desc, desclen, "%s", p + 1);
	return 0;
}

int fl_check_key(const struct fl_host *h, const uint8_t *id, size_t id_len,
		 unsigned int role, unsigned int state)
{
	char type[64], desc[256], want[256];
	struct cpns_key k;
	int err;

	err = fl_find_key(h, id, id_len, &k);
	if (err < 0)
		return fl_fail(h, "KEY_GET dump", err);
	if (err == 0) {
		fprintf(stderr, "%s: key %s is not in the dump\n", h->name,
			tu_hex(id, id_len));
		return -EBADE;
	}
	if (k.role != role || k.state != state ||
	    k.kind != (id_len == CPNS_SEED_ID_LEN ? CPNS_KEY_SEED :
						     CPNS_KEY_DEVICE)) {
		fprintf(stderr, "%s: key %s is %s %s %s, want %s %s\n",
			h->name, tu_hex(id, id_len), cpns_kind_name(k.kind),
			cpns_role_name(k.role), cpns_state_name(k.state),
			cpns_role_name(role), cpns_state_name(state));
		return -EBADE;
	}
	err = fl_key_describe(k.serial, type, sizeof(type), desc,
			      sizeof(desc));
	if (err) {
		fprintf(stderr, "%s: keyctl describe %d: %s\n", h->name,
			k.serial, strerror(-err));
		return -EBADE;
	}
	snprintf(want, sizeof(want), "%s", tu_hex(id, id_len));
	if (strcmp(desc, want) ||
	    strcmp(type, id_len == CPNS_SEED_ID_LEN ? "cpns_seed" :
						      "cpns_device")) {
		fprintf(stderr, "%s: keyctl describe %d: type \"%s\" description \"%s\", want \"%s\"\n",
			h->name, k.serial, type, desc, want);
		return -EBADE;
	}
	err = tu_proc_keys_desc(k.serial, desc, sizeof(desc));
	if (err) {
		fprintf(stderr, "%s: /proc/keys, key %d: %s\n", h->name,
			k.serial, strerror(-err));
		return -EBADE;
	}
	snprintf(want, sizeof(want), "%s %s %s gen %u%s", tu_hex(id, id_len),
		 cpns_role_name(role), cpns_state_name(state), k.generation,
		 k.self_assigned ? " self-assigned" : "");
	if (strcmp(desc, want)) {
		fprintf(stderr, "%s: /proc/keys, key %d: \"%s\", want \"%s\"\n",
			h->name, k.serial, desc, want);
		return -EBADE;
	}
	return 0;
}

int fl_counts(const struct fl_host *h, uint32_t *pending, uint32_t *sessions)
{
	struct cpns_stats st;
	int err;

	err = cpns_get_stats(h->nl, &st);
	if (err)
		return fl_fail(h, "GET_STATS", err);
	if (pending)
		*pending = st.pending_count;
	if (sessions)
		*sessions = st.session_count;
	return 0;
}

static int snap_add(const struct cpns_key *k, void *arg)
{
	struct fl_snap *s = arg;

	if (s->n == FL_SNAP_MAX)
		return -E2BIG;
	s->k[s->n++] = *k;
	return 0;
}

int fl_snap_take(const struct fl_host *h, struct fl_snap *s)
{
	int err, tries;

	for (tries = 0; tries < 10; tries++) {
		memset(s, 0, sizeof(*s));
		err = cpns_keys_dump(h->nl, snap_add, s);
		if (err != -EAGAIN)
			break;
	}
	if (err)
		return fl_fail(h, "KEY_GET dump", err);
	return 0;
}

int fl_snap_same(const struct fl_host *h, const struct fl_snap *before)
{
	struct fl_snap now;
	const struct cpns_key *a, *b;
	int err, i;

	err = fl_snap_take(h, &now);
	if (err)
		return err;
	if (now.n != before->n) {
		fprintf(stderr, "%s: %d keys, before %d\n", h->name, now.n,
			before->n);
		return -EBADE;
	}
	for (i = 0; i < now.n; i++) {
		a = &before->k[i];
		b = &now.k[i];
		if (a->serial != b->serial || a->state != b->state ||
		    a->generation != b->generation || a->expiry != b->expiry) {
			fprintf(stderr, "%s: key %d was %d %s gen %u expiry %llu, is %d %s gen %u expiry %llu\n",
				h->name, i, a->serial, cpns_state_name(a->state),
				a->generation, (unsigned long long)a->expiry,
				b->serial, cpns_state_name(b->state),
				b->generation, (unsigned long long)b->expiry);
			return -EBADE;
		}
	}
	return 0;
}
