// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * seed new, key del and the stateless steps of flow II. Each step's
 * kernel state (the server's pending challenge, GW1's pending Device Key)
 * outlives the socket, so each step is one invocation; values go in and
 * out as hex.
 */
#include <stdio.h>
#include <string.h>

#include "cpnsctl.h"

/* Open, run, report: the common shape of every step. */
#define RUN(cmd, nl, call)						\
	({								\
		int __ret;						\
		(nl) = open_or_report(cmd);				\
		if (!(nl))						\
			return EXIT_FAIL;				\
		__ret = (call);						\
		if (__ret)						\
			__ret = fail_report(cmd, nl, __ret);		\
		cpns_close(nl);						\
		__ret;							\
	})

int cmd_seed_new(const struct cmd *cmd, const struct opts *o)
{
	uint8_t sid[CPNS_SEED_ID_LEN];
	struct cpns_nl *nl;
	int32_t serial;
	struct out out;

	if (RUN(cmd, nl, cpns_seed_new(nl, o->timeout, sid, &serial)))
		return EXIT_FAIL;
	out_init(&out, o->json);
	out_hex(&out, "seed_id", sid, sizeof(sid));
	out_s64(&out, "serial", serial);
	return out_end(&out);
}

int cmd_key_del(const struct cmd *cmd, const struct opts *o)
{
	uint8_t id[CPNS_DEVICE_ID_LEN];
	struct cpns_nl *nl;
	int ret;

	if (!!o->seed == !!o->device)
		return usage_error(cmd, "give exactly one of --seed SID and --device DID");
	if (o->seed) {
		ret = arg_hex(cmd, "SID", o->seed, id, CPNS_SEED_ID_LEN);
		if (ret)
			return ret;
		return RUN(cmd, nl, cpns_key_del_seed(nl, id));
	}
	ret = arg_hex(cmd, "DID", o->device, id, CPNS_DEVICE_ID_LEN);
	if (ret)
		return ret;
	return RUN(cmd, nl, cpns_key_del_device(nl, id));
}

int cmd_assign_request(const struct cmd *cmd, const struct opts *o)
{
	uint8_t sid[CPNS_SEED_ID_LEN], n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	struct cpns_nl *nl;
	struct out out;

	if (arg_hex(cmd, "SID", o->args[0], sid, sizeof(sid)))
		return EXIT_USAGE;
	if (RUN(cmd, nl, cpns_assign_request(nl, sid, n1, mac)))
		return EXIT_FAIL;
	out_init(&out, o->json);
	out_hex(&out, "seed_id", sid, sizeof(sid));
	out_hex(&out, "request_nonce", n1, sizeof(n1));
	out_hex(&out, "request_mac", mac, sizeof(mac));
	return out_end(&out);
}

int cmd_assign_challenge(const struct cmd *cmd, const struct opts *o)
{
	uint8_t sid[CPNS_SEED_ID_LEN], n1[CPNS_NONCE_LEN], mac[CPNS_MAC_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], ch_mac[CPNS_MAC_LEN];
	struct cpns_nl *nl;
	struct out out;

	if (arg_hex(cmd, "SID", o->args[0], sid, sizeof(sid)) ||
	    arg_hex(cmd, "N1", o->args[1], n1, sizeof(n1)) ||
	    arg_hex(cmd, "MAC", o->args[2], mac, sizeof(mac)))
		return EXIT_USAGE;
	if (RUN(cmd, nl, cpns_assign_challenge(nl, sid, n1, mac, ch, ch_mac)))
		return EXIT_FAIL;
	out_init(&out, o->json);
	out_hex(&out, "challenge", ch, sizeof(ch));
	out_hex(&out, "challenge_mac", ch_mac, sizeof(ch_mac));
	return out_end(&out);
}

int cmd_assign_derive(const struct cmd *cmd, const struct opts *o)
{
	uint8_t sid[CPNS_SEED_ID_LEN], n1[CPNS_NONCE_LEN];
	uint8_t ch[CPNS_CHALLENGE_LEN], mac[CPNS_MAC_LEN];
	uint8_t did[CPNS_DEVICE_ID_LEN];
	struct cpns_nl *nl;
	int32_t serial;
	struct out out;

	if (arg_hex(cmd, "SID", o->args[0], sid, sizeof(sid)) ||
	    arg_hex(cmd, "N1", o->args[1], n1, sizeof(n1)) ||
	    arg_hex(cmd, "CH", o->args[2], ch, sizeof(ch)) ||
	    arg_hex(cmd, "MAC", o->args[3], mac, sizeof(mac)))
		return EXIT_USAGE;
	if (RUN(cmd, nl, cpns_assign_derive(nl, sid, n1, ch, mac, did,
					    &serial)))
		return EXIT_FAIL;
	out_init(&out, o->json);
	out_hex(&out, "device_id", did, sizeof(did));
	out_s64(&out, "serial", serial);
	return out_end(&out);
}

int cmd_assign_confirm(const struct cmd *cmd, const struct opts *o)
{
	uint8_t did[CPNS_DEVICE_ID_LEN], n1[CPNS_NONCE_LEN];
	uint8_t code[CPNS_MAC_LEN];
	struct cpns_nl *nl;
	struct out out;

	if (arg_hex(cmd, "DID", o->args[0], did, sizeof(did)) ||
	    arg_hex(cmd, "N1", o->args[1], n1, sizeof(n1)))
		return EXIT_USAGE;
	if (RUN(cmd, nl, cpns_assign_confirm(nl, did, n1, code)))
		return EXIT_FAIL;
	out_init(&out, o->json);
	out_hex(&out, "confirm", code, sizeof(code));
	return out_end(&out);
}

int cmd_assign_verify(const struct cmd *cmd, const struct opts *o)
{
	uint8_t did[CPNS_DEVICE_ID_LEN], code[CPNS_MAC_LEN], state;
	struct cpns_nl *nl;
	int32_t serial;
	struct out out;

	if (arg_hex(cmd, "DID", o->args[0], did, sizeof(did)) ||
	    arg_hex(cmd, "CODE", o->args[1], code, sizeof(code)))
		return EXIT_USAGE;
	if (RUN(cmd, nl, cpns_assign_verify(nl, did, code, &serial, &state)))
		return EXIT_FAIL;
	out_init(&out, o->json);
	out_hex(&out, "device_id", did, sizeof(did));
	out_s64(&out, "serial", serial);
	out_str(&out, "state", cpns_state_name(state));
	return out_end(&out);
}
