/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPNS-KA-1 flows driven step by step through netlink between three
 * network namespaces: the server S, the gateway GW1 on a secure WAN and the
 * gateway GW2 on a non-secure WAN. One netlink socket per namespace, all in
 * one process (a netlink socket belongs to the namespace it was made in).
 * Used by flow_test (with its negative cases) and by cpns_flow (the demo).
 * Every function returns 0 or a negative errno and, on failure, says which
 * step failed and why on stderr.
 */
#ifndef _CPNS_FLOWLIB_H
#define _CPNS_FLOWLIB_H

#include <stdbool.h>
#include <stdint.h>
#include "cpns.h"
#include "export.h"

struct fl_host {
	const char *name;		/* "S", "GW1", "GW2" */
	int nsfd;			/* its network namespace */
	struct cpns_nl *nl;		/* a socket made in that namespace */
};

struct fl_ctx {
	struct fl_host s, g1, g2;
	bool verbose;			/* print each step (the demo) */

	uint8_t sid[CPNS_SEED_ID_LEN];
	int32_t seed_serial_s, seed_serial_g1;

	/* Flow II */
	uint8_t n1[CPNS_NONCE_LEN];
	uint8_t req_mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN];
	uint8_t ch_mac[CPNS_MAC_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN];
	uint8_t confirm[CPNS_MAC_LEN];
	int32_t dk_serial_g1, dk_serial_g2;

	/* Flow a */
	uint32_t hs, hg;		/* a-flow/session handles on S, GW2 */
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint8_t client_mac[CPNS_MAC_LEN], server_mac[CPNS_MAC_LEN];
	/* The re-key values (Documentation/rekey.rst): rk from GW2's side
	 * (what AUTH_FINISH did), rk_s from the server's (AUTH_SERVER).
	 */
	struct cpns_rekey rk, rk_s;
	/* S's daemon's store row of did (Documentation/rekey.rst, "Records
	 * on the server"): the record blob it keeps and hands back at a-0,
	 * replaced by what AUTH_SERVER and the first OPEN hand out. The row
	 * is bound by its label FL_LABEL, under S's KEK FL_KEK_DESC. */
	struct cpns_record srec;
	/* The record AUTH_SERVER last handed out (also stored in srec). */
	struct cpns_record srec_a2;
};

/* S's KEK (a logon key in the test process's keyring) and row label. */
#define FL_KEK_DESC	"cpns-test:server-kek"
#define FL_LABEL	"device-row"

/*
 * S's KEK as named to the kernel; fl_server_kek() adds it to the calling
 * process's keyring (once per process: the same KEK for all its flows).
 */
extern const struct cpns_keyref fl_kek;
int fl_server_kek(void);

/*
 * a-0 on S as its daemon does it: the record of c->srec (if any) with
 * S's KEK and label.
 */
int fl_challenge(struct fl_ctx *c, struct cpns_rekey *rk);

/*
 * cpns_auth_challenge_rk() on @nl as a server's daemon that holds no
 * record of @did: with S's KEK and row label, no blob.
 */
int fl_challenge_nl(struct cpns_nl *nl, const uint8_t *did,
		    const uint8_t *nc, struct cpns_rekey *rk, uint32_t *h,
		    uint8_t *ns);

/* The same on S for c->did, with S's row c->srec as its daemon gives it. */
int fl_challenge_rec(struct fl_ctx *c, const uint8_t *nc,
		     struct cpns_rekey *rk, uint32_t *h, uint8_t *ns);

/* Print like printf when c->verbose. */
void fl_say(const struct fl_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Open the three hosts. ns[i] names an "ip netns" namespace or a path; a
 * NULL array (or NULL entry) makes a fresh anonymous namespace.
 */
int fl_open(struct fl_ctx *c, const char *const ns[3], bool verbose);
void fl_close(struct fl_ctx *c);

/* Another socket in host h's namespace (NULL on failure, errno set). */
struct cpns_nl *fl_socket(const struct fl_host *h);

/* Report a failed library call: "STEP HOST: msg" on stderr; returns err. */
int fl_fail(const struct fl_host *h, const char *step, int err);

/* I-2: S makes a seed (c->sid). */
int fl_seed_new(struct fl_ctx *c);
/* The operator's route of a transfer, both ends here (export.h). */
#define fl_export cpns_xfer_local
/* I-3: the seed goes from S to GW1 (comparison codes must agree). */
int fl_seed_xfer(struct fl_ctx *c);
/* II-1 .. II-4: GW1 asks, S challenges, GW1 derives (c->did, pending). */
int fl_assign_derive(struct fl_ctx *c);
/* II-5 .. II-8: S confirms, GW1 verifies (the key becomes confirmed). */
int fl_assign_confirm(struct fl_ctx *c);
/* II-9: the Device Key goes from GW1 to GW2. */
int fl_device_xfer(struct fl_ctx *c);
/*
 * a-0 .. a-4 between GW2 and S: c->hs and c->hg name the sessions. A
 * Device Key of generation 0 is re-keyed (c->rk, c->rk_s say how).
 */
int fl_auth(struct fl_ctx *c);
/* One message each way, sealed by one side and opened by the other. */
int fl_exchange(struct fl_ctx *c, const char *c2s, const char *s2c);

/* I-2 .. a-4 and one exchange each way. */
int fl_run_all(struct fl_ctx *c);

/*
 * Look up a key by ID in host h's dump. Return 1 and fill *out if found, 0
 * if absent, or a negative errno.
 */
int fl_find_key(const struct fl_host *h, const uint8_t *id, size_t id_len,
		struct cpns_key *out);
/* Number of keys in h's dump, or a negative errno. */
int fl_count_keys(const struct fl_host *h);

/*
 * Check that h holds the key @id with @role and @state, in the dump and in
 * the keyring: keyctl describe shows the description "<hex id>", and
 * /proc/keys "<hex id> <role> <state> gen <n>[ self-assigned]" with the
 * dump's generation and mark.
 * Return 0 or -EBADE with the difference on stderr.
 */
int fl_check_key(const struct fl_host *h, const uint8_t *id, size_t id_len,
		 unsigned int role, unsigned int state);

/*
 * keyctl describe of serial: 0 and the description (after the last ';')
 * in buf, or a negative errno (-ENOKEY, -EKEYREVOKED, ...).
 */
int fl_key_describe(int32_t serial, char *type, size_t typelen, char *desc,
		    size_t desclen);

/* Pending objects and sessions in h's namespace: 0 or a negative errno. */
int fl_counts(const struct fl_host *h, uint32_t *pending, uint32_t *sessions);

/* Every key of a host as KEY_GET dumps it (serial order). */
#define FL_SNAP_MAX 32

struct fl_snap {
	int n;
	struct cpns_key k[FL_SNAP_MAX];
};

/* Take h's dump: 0, -E2BIG (more than FL_SNAP_MAX keys) or an errno. */
int fl_snap_take(const struct fl_host *h, struct fl_snap *s);

/*
 * Are h's keys exactly those of before (serials, states, generations and
 * expiries)? 0, or -EBADE with the first difference on stderr.
 */
int fl_snap_same(const struct fl_host *h, const struct fl_snap *before);

/*
 * In a kselftest_harness test: a library call on socket nl succeeds,
 * fails with -e, or returns want (0 or a negative errno); the kernel's
 * extack message of the last failure contains text.
 */
#define NL_OK(nl, expr) \
	ASSERT_EQ(0, (expr)) TH_LOG("%s", cpns_last_error(nl))
#define NL_ERR(nl, e, expr) \
	ASSERT_EQ(-(e), (expr)) TH_LOG("want %s, kernel said: %s", \
				       strerror(e), cpns_last_error(nl))
#define NL_RET(nl, want, expr) \
	ASSERT_EQ(want, (expr)) \
		TH_LOG("want %d (%s), kernel said: %s", want, \
		       strerror(-(want)), cpns_last_error(nl))
#define NL_MSG(nl, text) \
	ASSERT_NE(NULL, strstr(cpns_last_error(nl), text)) \
		TH_LOG("extack \"%s\" lacks \"%s\"", cpns_last_error(nl), text)

#endif /* _CPNS_FLOWLIB_H */
