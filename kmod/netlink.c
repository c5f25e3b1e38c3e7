// SPDX-License-Identifier: GPL-2.0
/*
 * The Generic Netlink family "cpns": its policies, ops and registration,
 * and the dispatch of each request to its handler (nl_*.c). The protocol
 * steps are in assign.c and auth.c. Documentation/netlink.rst is the
 * reference.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/key.h>
#include <linux/netlink.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <crypto/algapi.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <linux/cpns.h>
#include "kat.h"
#include "keys.h"
#include "netlink.h"
#include "netns.h"
#include "nl.h"
#include "pending.h"
#include "primitives.h"
#include "profile.h"
#include "rekey.h"
#include "session.h"
#include "stats.h"
#include "wrap.h"
#include "xfer.h"

/* The most required attributes a command has (KAT). */
#define CPNS_MAX_REQUIRED	6

/* Policies. Each command accepts exactly the attributes it uses. */

static const struct nla_policy cpns_none_policy[CPNS_A_MAX + 1] = {
};

static const struct nla_policy cpns_key_del_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

const struct nla_policy cpns_aead_policy[CPNS_AEAD_A_MAX + 1] = {
	[CPNS_AEAD_A_DIR] = NLA_POLICY_MAX(NLA_U8, CPNS_DIR_S2C),
	[CPNS_AEAD_A_SEQ] = { .type = NLA_U64 },
	[CPNS_AEAD_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD },
	[CPNS_AEAD_A_DATA] = { .type = NLA_BINARY, .len = CPNS_MAX_PLAINTEXT },
};

static const struct nla_policy cpns_kat_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_KAT_KEY_SEED] = NLA_POLICY_EXACT_LEN(CPNS_SEED_LEN),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_CHALLENGE] = NLA_POLICY_EXACT_LEN(CPNS_CHALLENGE_LEN),
	[CPNS_A_CLIENT_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_SERVER_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_KAT_AEAD] = NLA_POLICY_NESTED(cpns_aead_policy),
};

/* Times of KAT_EXT's storage vectors: what a time64_t holds. */
static struct netlink_range_validation cpns_kat_time_range = {
	.min = 0,
	.max = TIME64_MAX,
};

static const struct nla_policy cpns_kat_ext_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_KAT_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KAT_XFER,
					     CPNS_KAT_STORE),
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KEY_SEED,
					     CPNS_KEY_DEVICE),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KAT_SECRET] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_KAT_PEER_SECRET] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_KAT_KEY] = NLA_POLICY_EXACT_LEN(CPNS_KEY_LEN),
	[CPNS_A_KAT_KEK] = NLA_POLICY_RANGE(NLA_BINARY, CPNS_KEYREF_MIN_LEN,
					    CPNS_MAX_KAT_KEK),
	[CPNS_A_GENERATION] = { .type = NLA_U32 },
	[CPNS_A_CLIENT_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_SERVER_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_KAT_AEAD] = NLA_POLICY_NESTED(cpns_aead_policy),
	[CPNS_A_ROLE] = NLA_POLICY_RANGE(NLA_U8, CPNS_ROLE_SERVER,
					 CPNS_ROLE_GW2),
	[CPNS_A_STATE] = NLA_POLICY_RANGE(NLA_U8, CPNS_STATE_ACTIVE,
					  CPNS_STATE_UNCONFIRMED),
	[CPNS_A_KAT_CREATED] = NLA_POLICY_FULL_RANGE(NLA_U64,
						     &cpns_kat_time_range),
	[CPNS_A_EXPIRY] = NLA_POLICY_FULL_RANGE(NLA_U64, &cpns_kat_time_range),
	[CPNS_A_KAT_SALT] = NLA_POLICY_EXACT_LEN(CPNS_BLOB_SALT_LEN),
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL },
};

static const struct nla_policy cpns_seed_new_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
};

static const struct nla_policy cpns_seed_export_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_seed_import_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_WRAPPED] = NLA_POLICY_EXACT_LEN(CPNS_WRAPPED_LEN),
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
};

static const struct nla_policy cpns_assign_request_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
};

static const struct nla_policy cpns_assign_challenge_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_REQUEST_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_assign_derive_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_CHALLENGE] = NLA_POLICY_EXACT_LEN(CPNS_CHALLENGE_LEN),
	[CPNS_A_CHALLENGE_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_assign_confirm_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_REPLACES] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_assign_verify_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_CONFIRM] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_device_export_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_device_import_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_WRAPPED] = NLA_POLICY_EXACT_LEN(CPNS_WRAPPED_LEN),
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
	[CPNS_A_REPLACES] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_auth_begin_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_auth_challenge_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_CLIENT_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_GENERATION] = { .type = NLA_U32 },
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_auth_client_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SERVER_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_auth_server_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_CLIENT_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_auth_finish_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SERVER_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

static const struct nla_policy cpns_seal_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_DATA] = { .type = NLA_BINARY, .len = CPNS_MAX_PLAINTEXT },
	[CPNS_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD },
};

/* U64_MAX is never sent: recv_next = seq + 1 must not wrap. */
static struct netlink_range_validation cpns_open_seq_range = {
	.min = 0,
	.max = U64_MAX - 1,
};

static const struct nla_policy cpns_open_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64, &cpns_open_seq_range),
	[CPNS_A_DATA] = NLA_POLICY_RANGE(NLA_BINARY, CPNS_TAG_LEN,
					 CPNS_MAX_PLAINTEXT + CPNS_TAG_LEN),
	[CPNS_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD },
};

static const struct nla_policy cpns_session_del_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* A named kernel key: type and description, NUL-terminated. */
#define CPNS_POLICY_KEYREF \
	{ .type = NLA_NUL_STRING, .len = CPNS_MAX_KEYREF - 1 }

static const struct nla_policy cpns_key_wrap_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KEYREF_TYPE] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEYREF_DESC] = CPNS_POLICY_KEYREF,
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL },
};

static const struct nla_policy cpns_key_unwrap_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_BLOB] = NLA_POLICY_RANGE(NLA_BINARY, 1, CPNS_MAX_BLOB),
	[CPNS_A_KEYREF_TYPE] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEYREF_DESC] = CPNS_POLICY_KEYREF,
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL },
};

static const struct nla_policy cpns_key_revoke_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

static const struct nla_policy cpns_key_retire_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_TIMEOUT] = { .type = NLA_U32 },
};

static const struct nla_policy cpns_xfer_code_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KEY_SEED,
					     CPNS_KEY_DEVICE),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

static const struct nla_policy cpns_xfer_pair_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_KEYREF_TYPE] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEYREF_DESC] = CPNS_POLICY_KEYREF,
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, CPNS_KEY_SEED,
					     CPNS_KEY_DEVICE),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_PEER_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_PAIR_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

/* The extack of a missing required attribute. */
void cpns_missing_msg(struct genl_info *info, int type)
{
	switch (type) {
	case CPNS_A_KAT_KEY_SEED:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_KEY_SEED (test Key Seed, 32 bytes)");
		break;
	case CPNS_A_SEED_ID:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SEED_ID (Seed ID, 8 bytes)");
		break;
	case CPNS_A_DEVICE_ID:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_DEVICE_ID (Device ID, 16 bytes)");
		break;
	case CPNS_A_REQUEST_NONCE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_REQUEST_NONCE (n1, 16 bytes)");
		break;
	case CPNS_A_CHALLENGE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CHALLENGE (ch, 16 bytes)");
		break;
	case CPNS_A_CLIENT_NONCE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CLIENT_NONCE (nc, 16 bytes)");
		break;
	case CPNS_A_SERVER_NONCE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SERVER_NONCE (ns, 16 bytes)");
		break;
	case CPNS_A_REQUEST_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_REQUEST_MAC (II-1 MAC, 32 bytes)");
		break;
	case CPNS_A_CHALLENGE_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CHALLENGE_MAC (II-3 MAC, 32 bytes)");
		break;
	case CPNS_A_CONFIRM:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CONFIRM (II-7 code, 32 bytes)");
		break;
	case CPNS_A_CLIENT_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_CLIENT_MAC (a-1 code, 32 bytes)");
		break;
	case CPNS_A_SERVER_MAC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SERVER_MAC (a-3 code, 32 bytes)");
		break;
	case CPNS_A_HANDLE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_HANDLE (u32 handle)");
		break;
	case CPNS_A_PUBKEY:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_PUBKEY (X25519 public key, 32 bytes)");
		break;
	case CPNS_A_WRAPPED:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_WRAPPED (wrapped key, 48 bytes)");
		break;
	case CPNS_A_SEQ:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_SEQ (u64 sequence number)");
		break;
	case CPNS_A_DATA:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_DATA");
		break;
	case CPNS_A_KEYREF_TYPE:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KEYREF_TYPE (user, logon, ...)");
		break;
	case CPNS_A_KEYREF_DESC:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KEYREF_DESC (key description)");
		break;
	case CPNS_A_BLOB:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_BLOB (wrapped key from KEY_WRAP)");
		break;
	case CPNS_A_KEY_KIND:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KEY_KIND (1 seed, 2 device)");
		break;
	case CPNS_A_PEER_PUBKEY:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_PEER_PUBKEY (receiver's key, 32 bytes)");
		break;
	case CPNS_A_KAT_KIND:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_KIND (1 xfer, 2 rekey, 3 store)");
		break;
	case CPNS_A_KAT_SECRET:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_SECRET (X25519 secret, 32 bytes)");
		break;
	case CPNS_A_KAT_PEER_SECRET:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_PEER_SECRET (X25519 secret, 32 bytes)");
		break;
	case CPNS_A_KAT_KEY:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_KEY (test key, 32 bytes)");
		break;
	case CPNS_A_KAT_KEK:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_KEK (KEK or pairing key)");
		break;
	case CPNS_A_KAT_SALT:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_SALT (16 bytes)");
		break;
	case CPNS_A_KAT_CREATED:
		GENL_SET_ERR_MSG(info, "missing CPNS_A_KAT_CREATED (u64 seconds)");
		break;
	default:
		GENL_SET_ERR_MSG(info, "missing a required attribute");
		break;
	}
}

/* Dispatch. */

struct cpns_handler {
	int (*doit)(struct cpns_req *req);
	u8 required[CPNS_MAX_REQUIRED];		/* ends at 0 */
};

static const struct cpns_handler cpns_handlers[__CPNS_CMD_MAX] = {
	[CPNS_CMD_GET_INFO] = { cpns_cmd_get_info },
	[CPNS_CMD_GET_STATS] = { cpns_cmd_get_stats },
	[CPNS_CMD_KEY_DEL] = { cpns_cmd_key_del },
	[CPNS_CMD_KAT] = { cpns_cmd_kat, {
		CPNS_A_KAT_KEY_SEED, CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE,
		CPNS_A_CHALLENGE, CPNS_A_CLIENT_NONCE, CPNS_A_SERVER_NONCE } },
	[CPNS_CMD_SEED_NEW] = { cpns_cmd_seed_new },
	[CPNS_CMD_XFER_NEW] = { cpns_cmd_xfer_new },
	[CPNS_CMD_SEED_EXPORT] = { cpns_cmd_seed_export, {
		CPNS_A_SEED_ID, CPNS_A_PUBKEY } },
	[CPNS_CMD_SEED_IMPORT] = { cpns_cmd_seed_import, {
		CPNS_A_HANDLE, CPNS_A_SEED_ID, CPNS_A_PUBKEY,
		CPNS_A_WRAPPED } },
	[CPNS_CMD_ASSIGN_REQUEST] = { cpns_cmd_assign_request, {
		CPNS_A_SEED_ID } },
	[CPNS_CMD_ASSIGN_CHALLENGE] = { cpns_cmd_assign_challenge, {
		CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE, CPNS_A_REQUEST_MAC } },
	[CPNS_CMD_ASSIGN_DERIVE] = { cpns_cmd_assign_derive, {
		CPNS_A_SEED_ID, CPNS_A_REQUEST_NONCE, CPNS_A_CHALLENGE,
		CPNS_A_CHALLENGE_MAC } },
	[CPNS_CMD_ASSIGN_CONFIRM] = { cpns_cmd_assign_confirm, {
		CPNS_A_DEVICE_ID, CPNS_A_REQUEST_NONCE } },
	[CPNS_CMD_ASSIGN_VERIFY] = { cpns_cmd_assign_verify, {
		CPNS_A_DEVICE_ID, CPNS_A_CONFIRM } },
	[CPNS_CMD_DEVICE_EXPORT] = { cpns_cmd_device_export, {
		CPNS_A_DEVICE_ID, CPNS_A_PUBKEY } },
	[CPNS_CMD_DEVICE_IMPORT] = { cpns_cmd_device_import, {
		CPNS_A_HANDLE, CPNS_A_DEVICE_ID, CPNS_A_PUBKEY,
		CPNS_A_WRAPPED } },
	[CPNS_CMD_AUTH_BEGIN] = { cpns_cmd_auth_begin, {
		CPNS_A_DEVICE_ID } },
	[CPNS_CMD_AUTH_CHALLENGE] = { cpns_cmd_auth_challenge, {
		CPNS_A_DEVICE_ID, CPNS_A_CLIENT_NONCE } },
	[CPNS_CMD_AUTH_CLIENT] = { cpns_cmd_auth_client, {
		CPNS_A_HANDLE, CPNS_A_SERVER_NONCE } },
	[CPNS_CMD_AUTH_SERVER] = { cpns_cmd_auth_server, {
		CPNS_A_HANDLE, CPNS_A_CLIENT_MAC } },
	[CPNS_CMD_AUTH_FINISH] = { cpns_cmd_auth_finish, {
		CPNS_A_HANDLE, CPNS_A_SERVER_MAC } },
	[CPNS_CMD_SEAL] = { cpns_cmd_seal, {
		CPNS_A_HANDLE, CPNS_A_DATA } },
	[CPNS_CMD_OPEN] = { cpns_cmd_open, {
		CPNS_A_HANDLE, CPNS_A_SEQ, CPNS_A_DATA } },
	[CPNS_CMD_SESSION_DEL] = { cpns_cmd_session_del, {
		CPNS_A_HANDLE } },
	[CPNS_CMD_KEY_WRAP] = { cpns_cmd_key_wrap, {
		CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC } },
	[CPNS_CMD_KEY_UNWRAP] = { cpns_cmd_key_unwrap, {
		CPNS_A_BLOB, CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC } },
	[CPNS_CMD_KEY_REVOKE] = { cpns_cmd_key_revoke },
	[CPNS_CMD_XFER_CODE] = { cpns_cmd_xfer_code, {
		CPNS_A_HANDLE, CPNS_A_KEY_KIND, CPNS_A_PUBKEY } },
	[CPNS_CMD_XFER_PAIR] = { cpns_cmd_xfer_pair, {
		CPNS_A_KEYREF_TYPE, CPNS_A_KEYREF_DESC, CPNS_A_KEY_KIND,
		CPNS_A_PUBKEY, CPNS_A_PEER_PUBKEY } },
	[CPNS_CMD_KAT_EXT] = { cpns_cmd_kat_ext, { CPNS_A_KAT_KIND } },
	[CPNS_CMD_KEY_RETIRE] = { cpns_cmd_key_retire, { CPNS_A_SEED_ID } },
};

static void cpns_wipe_attr(const struct nlattr *attr)
{
	if (attr)
		memzero_explicit(nla_data(attr), nla_len(attr));
}

/* Secrets that came in a request do not outlive it. */
static void cpns_wipe_request(struct genl_info *info)
{
	struct nlattr *tb[CPNS_AEAD_A_MAX + 1];
	struct nlattr *attr;
	int rem;

	switch (info->genlhdr->cmd) {
	case CPNS_CMD_SEAL:
		cpns_wipe_attr(info->attrs[CPNS_A_DATA]);
		break;
	case CPNS_CMD_KAT:
	case CPNS_CMD_KAT_EXT:
		cpns_wipe_attr(info->attrs[CPNS_A_KAT_KEY_SEED]);
		cpns_wipe_attr(info->attrs[CPNS_A_KAT_SECRET]);
		cpns_wipe_attr(info->attrs[CPNS_A_KAT_PEER_SECRET]);
		cpns_wipe_attr(info->attrs[CPNS_A_KAT_KEY]);
		cpns_wipe_attr(info->attrs[CPNS_A_KAT_KEK]);
		nlmsg_for_each_attr(attr, info->nlhdr, GENL_HDRLEN, rem) {
			if (nla_type(attr) != CPNS_A_KAT_AEAD ||
			    nla_parse_nested(tb, CPNS_AEAD_A_MAX, attr,
					     cpns_aead_policy, NULL))
				continue;
			cpns_wipe_attr(tb[CPNS_AEAD_A_DATA]);
		}
		break;
	}
}

static int cpns_nl_doit(struct sk_buff *skb, struct genl_info *info)
{
	u8 cmd = info->genlhdr->cmd;
	const struct cpns_handler *h = &cpns_handlers[cmd];
	struct cpns_req req = {
		.info = info,
		.cn = cpns_net(genl_info_net(info)),
	};
	int err = 0, i;

	for (i = 0; i < CPNS_MAX_REQUIRED && h->required[i]; i++) {
		if (GENL_REQ_ATTR_CHECK(info, h->required[i])) {
			cpns_missing_msg(info, h->required[i]);
			req.fail = CPNS_FAIL_INVALID;
			err = -EINVAL;
			break;
		}
	}
	if (!err)
		err = h->doit(&req);

	cpns_wipe_request(info);
	if (err && !req.fail)
		req.fail = cpns_stats_reason(err);
	cpns_stats_count(&req.cn->stats, cmd, err ? req.fail : 0);
	return err;
}

#define CPNS_OP(_cmd, _policy) {					\
	.cmd = (_cmd),							\
	.doit = cpns_nl_doit,						\
	.policy = (_policy),						\
	.maxattr = CPNS_A_MAX,						\
	.flags = GENL_UNS_ADMIN_PERM,					\
}

static const struct genl_ops cpns_genl_ops[] = {
	{
		/* The one command that needs no privilege. */
		.cmd = CPNS_CMD_GET_INFO,
		.doit = cpns_nl_doit,
		.policy = cpns_none_policy,
		.maxattr = CPNS_A_MAX,
	},
	CPNS_OP(CPNS_CMD_GET_STATS, cpns_none_policy),
	{
		.cmd = CPNS_CMD_KEY_GET,
		.dumpit = cpns_nl_key_get_dumpit,
		.policy = cpns_none_policy,
		.maxattr = CPNS_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	CPNS_OP(CPNS_CMD_KEY_DEL, cpns_key_del_policy),
	CPNS_OP(CPNS_CMD_KAT, cpns_kat_policy),
	CPNS_OP(CPNS_CMD_SEED_NEW, cpns_seed_new_policy),
	CPNS_OP(CPNS_CMD_XFER_NEW, cpns_none_policy),
	CPNS_OP(CPNS_CMD_SEED_EXPORT, cpns_seed_export_policy),
	CPNS_OP(CPNS_CMD_SEED_IMPORT, cpns_seed_import_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_REQUEST, cpns_assign_request_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_CHALLENGE, cpns_assign_challenge_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_DERIVE, cpns_assign_derive_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_CONFIRM, cpns_assign_confirm_policy),
	CPNS_OP(CPNS_CMD_ASSIGN_VERIFY, cpns_assign_verify_policy),
	CPNS_OP(CPNS_CMD_DEVICE_EXPORT, cpns_device_export_policy),
	CPNS_OP(CPNS_CMD_DEVICE_IMPORT, cpns_device_import_policy),
	CPNS_OP(CPNS_CMD_AUTH_BEGIN, cpns_auth_begin_policy),
	CPNS_OP(CPNS_CMD_AUTH_CHALLENGE, cpns_auth_challenge_policy),
	CPNS_OP(CPNS_CMD_AUTH_CLIENT, cpns_auth_client_policy),
	CPNS_OP(CPNS_CMD_AUTH_SERVER, cpns_auth_server_policy),
	CPNS_OP(CPNS_CMD_AUTH_FINISH, cpns_auth_finish_policy),
	CPNS_OP(CPNS_CMD_SEAL, cpns_seal_policy),
	CPNS_OP(CPNS_CMD_OPEN, cpns_open_policy),
	CPNS_OP(CPNS_CMD_SESSION_DEL, cpns_session_del_policy),
	CPNS_OP(CPNS_CMD_KEY_WRAP, cpns_key_wrap_policy),
	CPNS_OP(CPNS_CMD_KEY_UNWRAP, cpns_key_unwrap_policy),
	CPNS_OP(CPNS_CMD_KEY_REVOKE, cpns_key_revoke_policy),
	CPNS_OP(CPNS_CMD_XFER_CODE, cpns_xfer_code_policy),
	CPNS_OP(CPNS_CMD_XFER_PAIR, cpns_xfer_pair_policy),
	CPNS_OP(CPNS_CMD_KAT_EXT, cpns_kat_ext_policy),
	CPNS_OP(CPNS_CMD_KEY_RETIRE, cpns_key_retire_policy),
};

/*
 * resv_start_op stays 0: every command, from the first, gets the strict
 * treatment of new families (reserved header fields and unknown
 * nlmsg_flags refused, attributes validated strictly, none accepted
 * without a policy).
 */
struct genl_family cpns_genl_family __ro_after_init = {
	.name = CPNS_GENL_NAME,
	.version = CPNS_GENL_VERSION,
	.netnsok = true,
	.parallel_ops = true,
	.resv_start_op = 0,
	.ops = cpns_genl_ops,
	.n_ops = ARRAY_SIZE(cpns_genl_ops),
	.module = THIS_MODULE,
};

int __init cpns_genl_register(void)
{
	BUILD_BUG_ON(ARRAY_SIZE(cpns_genl_ops) != CPNS_CMD_MAX);
	return genl_register_family(&cpns_genl_family);
}

void cpns_genl_unregister(void)
{
	genl_unregister_family(&cpns_genl_family);
}

static int cpns_netlink_notify(struct notifier_block *nb, unsigned long state,
			       void *data)
{
	struct netlink_notify *n = data;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	cpns_pending_release(&cpns_net(n->net)->pending, n->portid);
	return NOTIFY_DONE;
}

struct notifier_block cpns_netlink_notifier = {
	.notifier_call = cpns_netlink_notify,
};
