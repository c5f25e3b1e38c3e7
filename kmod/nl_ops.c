// SPDX-License-Identifier: GPL-2.0
/*
 * The generated ops (nl_gen.c) bound to the handlers (nl_*.c): each
 * command's cpns_nl_<command>_doit() and the attributes it requires.
 */

#include <net/genetlink.h>
#include <linux/cpns.h>
#include "compat.h"
#include "nl.h"
#include "nl_gen.h"

/*
 * cpns_nl_<command>_doit(), which the generated ops (nl_gen.c) call:
 * cpns_cmd_<command>() once the attributes listed are present. The
 * policies in the spec say what each attribute may hold; which ones a
 * command requires is said here.
 */
#define CPNS_DOIT(name, ...)						\
static const u8 cpns_required_##name[] = { __VA_ARGS__ };		\
									\
int cpns_nl_##name##_doit(struct sk_buff *skb, struct genl_info *info)	\
{									\
	return cpns_nl_doit(info, cpns_cmd_##name, cpns_required_##name, \
			    ARRAY_SIZE(cpns_required_##name));		\
}

CPNS_DOIT(get_info)
CPNS_DOIT(get_stats)
CPNS_DOIT(key_del)
CPNS_DOIT(seed_new)
CPNS_DOIT(xfer_new)
CPNS_DOIT(seed_export, CPNS_A_SEED_ID, CPNS_A_PUBKEY)
CPNS_DOIT(seed_import, CPNS_A_HANDLE, CPNS_A_SEED_ID, CPNS_A_PUBKEY,
	  CPNS_A_WRAPPED)
CPNS_DOIT(assign_request, CPNS_A_SEED_ID)
CPNS_DOIT(assign_challenge, CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE,
	  CPNS_A_REQUEST_MAC)
CPNS_DOIT(assign_derive, CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE,
	  CPNS_A_CHALLENGE, CPNS_A_CHALLENGE_MAC)
CPNS_DOIT(assign_confirm, CPNS_A_DEVICE_ID, CPNS_A_REQUEST_NONCE)
CPNS_DOIT(assign_verify, CPNS_A_DEVICE_ID, CPNS_A_CONFIRM)
CPNS_DOIT(device_export, CPNS_A_DEVICE_ID, CPNS_A_PUBKEY)
CPNS_DOIT(device_import, CPNS_A_HANDLE, CPNS_A_DEVICE_ID, CPNS_A_PUBKEY,
	  CPNS_A_WRAPPED)
CPNS_DOIT(auth_begin, CPNS_A_DEVICE_ID)
CPNS_DOIT(auth_challenge, CPNS_A_DEVICE_ID, CPNS_A_CLIENT_NONCE)
CPNS_DOIT(auth_client, CPNS_A_HANDLE, CPNS_A_SERVER_NONCE)
CPNS_DOIT(auth_server, CPNS_A_HANDLE, CPNS_A_CLIENT_MAC)
CPNS_DOIT(auth_finish, CPNS_A_HANDLE, CPNS_A_SERVER_MAC)
CPNS_DOIT(seal, CPNS_A_HANDLE, CPNS_A_DATA)
CPNS_DOIT(open, CPNS_A_HANDLE, CPNS_A_SEQ, CPNS_A_DATA)
CPNS_DOIT(session_del, CPNS_A_HANDLE)
CPNS_DOIT(key_wrap, CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC)
CPNS_DOIT(key_unwrap, CPNS_A_BLOB, CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC)
CPNS_DOIT(key_revoke)
CPNS_DOIT(xfer_code, CPNS_A_HANDLE, CPNS_A_KEY_KIND, CPNS_A_PUBKEY)
CPNS_DOIT(xfer_pair, CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC, CPNS_A_KEY_KIND,
	  CPNS_A_PUBKEY, CPNS_A_PEER_PUBKEY)
CPNS_DOIT(key_retire, CPNS_A_SEED_ID)
CPNS_DOIT(batch, CPNS_A_BATCH_CMD)
CPNS_DOIT(xfer_release, CPNS_A_HANDLE)
CPNS_DOIT(xfer_accept, CPNS_A_KEY_KIND, CPNS_A_KEYREF_TYPE,
	  CPNS_A_KEYREF_DESC)

/*
 * The commands CPNS_CMD_BATCH runs (Documentation/netlink.rst,
 * "CPNS_CMD_BATCH"): those a server runs once per device or message, and
 * the store's wraps, unwraps and session sweeps.
 */
#define CPNS_BATCHED_OP(name, command, size) {				\
	.cmd = command,							\
	.reply_size = size,						\
	.doit = cpns_cmd_##name,					\
	.required = cpns_required_##name,				\
	.n_required = ARRAY_SIZE(cpns_required_##name),			\
}

#define CPNS_BATCHED(name, command) CPNS_BATCHED_OP(name, command, NULL)
/* A command whose reply's size cpns_##name##_reply_size() gives. */
#define CPNS_BATCHED_SIZED(name, command)				\
	CPNS_BATCHED_OP(name, command, cpns_##name##_reply_size)

static const struct cpns_batch_op cpns_batch_ops[] = {
	CPNS_BATCHED_SIZED(seal, CPNS_CMD_SEAL),
	CPNS_BATCHED_SIZED(open, CPNS_CMD_OPEN),
	CPNS_BATCHED(assign_challenge, CPNS_CMD_ASSIGN_CHALLENGE),
	CPNS_BATCHED(assign_confirm, CPNS_CMD_ASSIGN_CONFIRM),
	CPNS_BATCHED(auth_challenge, CPNS_CMD_AUTH_CHALLENGE),
	CPNS_BATCHED(auth_server, CPNS_CMD_AUTH_SERVER),
	CPNS_BATCHED(key_wrap, CPNS_CMD_KEY_WRAP),
	CPNS_BATCHED(key_unwrap, CPNS_CMD_KEY_UNWRAP),
	CPNS_BATCHED(session_del, CPNS_CMD_SESSION_DEL),
};

const struct cpns_batch_op *cpns_batch_op(u8 cmd)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cpns_batch_ops); i++)
		if (cpns_batch_ops[i].cmd == cmd)
			return &cpns_batch_ops[i];
	return NULL;
}
