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
int cpns_nl_##name##_doit(struct sk_buff *skb, struct genl_info *info)	\
{									\
	static const u8 required[] = { __VA_ARGS__ };			\
									\
	return cpns_nl_doit(info, cpns_cmd_##name, required,		\
			    ARRAY_SIZE(required));			\
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
CPNS_DOIT(xfer_release, CPNS_A_HANDLE)
CPNS_DOIT(xfer_accept, CPNS_A_KEY_KIND, CPNS_A_KEYREF_TYPE,
	  CPNS_A_KEYREF_DESC)
