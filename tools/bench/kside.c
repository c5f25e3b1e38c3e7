// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The kernel side: three hosts, each a netlink socket in its own network
 * namespace (a socket stays in the namespace it was made in), and the
 * flows that give each the keys its commands need: S makes a seed and
 * sends it to GW1 (I-2, I-3), GW1 is assigned a Device ID and Device Key
 * (II-1..II-8) and sends them to GW2 (II-9), and GW2 and S authenticate
 * once (a-0..a-4) for a session that SEAL and OPEN use.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <linux/keyctl.h>

#include "bench.h"
#include "export.h"

int kside_fail(const struct bench_host *h, const char *step, int err)
{
	fprintf(stderr, "cpns-bench: %s on %s: %s\n", step, h->name,
		h->nl ? cpns_last_error(h->nl) : strerror(-err));
	return err ? err : -EIO;
}

/* Open h's socket in a new network namespace, then come back to self. */
static int host_open(struct bench_host *h, const char *name, int self)
{
	int err = 0;

	h->name = name;
	if (unshare(CLONE_NEWNET)) {
		err = -errno;
		fprintf(stderr,
			"cpns-bench: cannot make a network namespace for %s: %s (run as root)\n",
			name, strerror(errno));
		return err;
	}
	h->nl = cpns_open();
	if (!h->nl) {
		err = -errno;
		fprintf(stderr, "cpns-bench: %s: cannot open the cpns family: %s%s\n",
			name, strerror(errno),
			errno == ENOENT ?
			" (is cpns.ko loaded? run through tools/vm-run)" : "");
	}
	if (setns(self, CLONE_NEWNET) && !err) {
		err = -errno;
		fprintf(stderr, "cpns-bench: setns back: %s\n",
			strerror(errno));
	}
	return err;
}

/* I-3 or II-9: move a seed or Device Key from host 'from' to host 'to'. */
static int transfer(const struct bench_host *from, const struct bench_host *to,
		    bool seed, const uint8_t *id)
{
	uint8_t rpub[CPNS_PUBKEY_LEN], spub[CPNS_PUBKEY_LEN];
	uint8_t wrapped[CPNS_WRAPPED_LEN];
	uint32_t handle, scode, rcode;
	int32_t serial;
	int err;

	err = cpns_xfer_new(to->nl, &handle, rpub);
	if (err)
		return kside_fail(to, "XFER_NEW", err);
	err = cpns_xfer_local(from->nl, to->nl, handle,
			      seed ? CPNS_KEY_SEED : CPNS_KEY_DEVICE, id, rpub,
			      spub, wrapped, &scode);
	if (err)
		return kside_fail(from, seed ? "SEED_EXPORT" : "DEVICE_EXPORT",
				  err);
	err = seed ? cpns_seed_import(to->nl, handle, id, spub, wrapped, 0,
				      &serial, &rcode) :
		     cpns_device_import(to->nl, handle, id, spub, wrapped, 0,
					&serial, &rcode);
	if (err)
		return kside_fail(to, seed ? "SEED_IMPORT" : "DEVICE_IMPORT",
				  err);
	if (scode != rcode) {
		fprintf(stderr, "cpns-bench: transfer codes differ (%06u, %06u)\n",
			scode, rcode);
		return -EBADMSG;
	}
	return 0;
}

int kside_assign_start(struct bench_kernel *k)
{
	int err;

	err = cpns_assign_request(k->g1.nl, k->sid, k->n1, k->req_mac);
	if (err)
		return kside_fail(&k->g1, "ASSIGN_REQUEST", err);
	err = cpns_assign_challenge(k->s.nl, k->sid, k->n1, k->req_mac, k->ch,
				    k->ch_mac);
	if (err)
		return kside_fail(&k->s, "ASSIGN_CHALLENGE", err);
	return 0;
}

int kside_assign_finish(struct bench_kernel *k)
{
	uint8_t code[CPNS_MAC_LEN], state = 0;
	int32_t serial;
	int err;

	err = cpns_assign_derive(k->g1.nl, k->sid, k->n1, k->ch, k->ch_mac,
				 k->new_did, &serial);
	if (err)
		return kside_fail(&k->g1, "ASSIGN_DERIVE", err);
	err = cpns_assign_confirm(k->s.nl, k->new_did, k->n1, code);
	if (err)
		return kside_fail(&k->s, "ASSIGN_CONFIRM", err);
	err = cpns_assign_verify(k->g1.nl, k->new_did, code, &serial, &state);
	if (err)
		return kside_fail(&k->g1, "ASSIGN_VERIFY", err);
	if (state != CPNS_STATE_CONFIRMED) {
		fprintf(stderr, "cpns-bench: ASSIGN_VERIFY left state %s\n",
			cpns_state_name(state));
		return -EBADMSG;
	}
	return 0;
}

/*
 * The first flow re-keys the Device Key (CPNS-KA-1-REKEY: generation 0 to
 * 1); every later one authenticates with generation 1, as a deployed GW2
 * does, so the figure is the steady-state a-flow.
 */
int kside_auth(struct bench_kernel *k)
{
	uint8_t nc[CPNS_NONCE_LEN], ns[CPNS_NONCE_LEN];
	uint8_t cmac[CPNS_MAC_LEN], smac[CPNS_MAC_LEN];
	const struct cpns_record_ref ref = {
		.kek = &kside_kek,
		.label = KSIDE_LABEL,
		.label_len = sizeof(KSIDE_LABEL) - 1,
		.blob = k->rec.blob_len ? k->rec.blob : NULL,
		.blob_len = k->rec.blob_len,
	};
	struct cpns_rekey rk = { 0 };
	struct cpns_record rec;
	int err;

	err = cpns_auth_begin_rk(k->g2.nl, k->did, &k->fg, nc, &rk);
	if (err)
		return kside_fail(&k->g2, "AUTH_BEGIN", err);
	err = cpns_auth_challenge_rec(k->s.nl, k->did, nc, &rk, &ref, &k->fs,
				      ns);
	if (err)
		return kside_fail(&k->s, "AUTH_CHALLENGE", err);
	err = cpns_auth_client_rk(k->g2.nl, k->fg, ns, &rk, cmac);
	if (err)
		return kside_fail(&k->g2, "AUTH_CLIENT", err);
	err = cpns_auth_server_rec(k->s.nl, k->fs, cmac, smac, &rk, &rec);
	if (err)
		return kside_fail(&k->s, "AUTH_SERVER", err);
	/* S's daemon stores the record before a-3 (no other writer here). */
	if (rec.blob_len)
		k->rec = rec;
	err = cpns_auth_finish_rk(k->g2.nl, k->fg, smac, &rk);
	if (err)
		return kside_fail(&k->g2, "AUTH_FINISH", err);
	return 0;
}

const struct cpns_keyref kside_kek = { "logon", KSIDE_KEK_DESC };

/* S's KEK: a logon key of this process, random. */
static int kside_kek_add(struct bench_kernel *k)
{
	long r;

	if (getrandom(k->kek, sizeof(k->kek), 0) != (ssize_t)sizeof(k->kek))
		return -EIO;
	r = syscall(SYS_add_key, "logon", KSIDE_KEK_DESC, k->kek,
		    sizeof(k->kek), KEY_SPEC_PROCESS_KEYRING);
	if (r < 0) {
		fprintf(stderr, "cpns-bench: add_key(logon): %s\n",
			strerror(errno));
		return -errno;
	}
	return 0;
}

int kside_open(struct bench *b)
{
	struct bench_kernel *k = &b->k;
	int32_t serial;
	int self, err;

	err = kside_kek_add(k);
	if (err)
		return err;

	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		perror("cpns-bench: /proc/self/ns/net");
		return err;
	}
	/* KAT needs no keys: the test module's family, in this namespace. */
	k->kat.name = "KAT";
	k->kat.nl = cpns_open_family(CPNS_KAT_GENL_NAME);
	if (!k->kat.nl) {
		err = -errno;
		fprintf(stderr, "cpns-bench: cannot open the %s family: %s%s\n",
			CPNS_KAT_GENL_NAME, strerror(errno),
			errno == ENOENT ? " (is cpns_kat.ko loaded?)" : "");
		close(self);
		return err;
	}
	err = host_open(&k->s, "S", self);
	if (!err)
		err = host_open(&k->g1, "GW1", self);
	if (!err)
		err = host_open(&k->g2, "GW2", self);
	close(self);
	if (err)
		goto err_close;

	err = cpns_seed_new(k->s.nl, 0, k->sid, &serial);
	if (err) {
		kside_fail(&k->s, "SEED_NEW", err);
		goto err_close;
	}
	err = transfer(&k->s, &k->g1, true, k->sid);
	if (!err)
		err = kside_assign_start(k);
	if (!err)
		err = kside_assign_finish(k);
	if (err)
		goto err_close;
	memcpy(k->did, k->new_did, sizeof(k->did));
	err = transfer(&k->g1, &k->g2, false, k->did);
	if (!err)
		err = kside_auth(k);
	if (err)
		goto err_close;
	k->hs = k->fs;
	k->hg = k->fg;
	return 0;

err_close:
	kside_close(b);
	return err;
}

/* Closing a socket frees its sessions; the namespaces go with them. */
void kside_close(struct bench *b)
{
	struct bench_host *h[] = { &b->k.s, &b->k.g1, &b->k.g2, &b->k.kat };
	size_t i;

	for (i = 0; i < BENCH_ARRAY_SIZE(h); i++) {
		if (h[i]->nl)
			cpns_close(h[i]->nl);
		h[i]->nl = NULL;
	}
}
