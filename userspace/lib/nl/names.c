// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Names of the values of include/uapi/linux/cpns.h, for output and errors. */
#include "internal.h"

#define NAME(tab, v) ((v) < CPNS_ARRAY_SIZE(tab) && (tab)[v] ? (tab)[v] : "?")

static const char *const cmd_names[] = {
	[CPNS_CMD_GET_INFO] = "get_info",
	[CPNS_CMD_GET_STATS] = "get_stats",
	[CPNS_CMD_KEY_GET] = "key_get",
	[CPNS_CMD_KEY_DEL] = "key_del",
	[CPNS_CMD_SEED_NEW] = "seed_new",
	[CPNS_CMD_XFER_NEW] = "xfer_new",
	[CPNS_CMD_SEED_EXPORT] = "seed_export",
	[CPNS_CMD_SEED_IMPORT] = "seed_import",
	[CPNS_CMD_ASSIGN_REQUEST] = "assign_request",
	[CPNS_CMD_ASSIGN_CHALLENGE] = "assign_challenge",
	[CPNS_CMD_ASSIGN_DERIVE] = "assign_derive",
	[CPNS_CMD_ASSIGN_CONFIRM] = "assign_confirm",
	[CPNS_CMD_ASSIGN_VERIFY] = "assign_verify",
	[CPNS_CMD_DEVICE_EXPORT] = "device_export",
	[CPNS_CMD_DEVICE_IMPORT] = "device_import",
	[CPNS_CMD_AUTH_BEGIN] = "auth_begin",
	[CPNS_CMD_AUTH_CHALLENGE] = "auth_challenge",
	[CPNS_CMD_AUTH_CLIENT] = "auth_client",
	[CPNS_CMD_AUTH_SERVER] = "auth_server",
	[CPNS_CMD_AUTH_FINISH] = "auth_finish",
	[CPNS_CMD_SEAL] = "seal",
	[CPNS_CMD_OPEN] = "open",
	[CPNS_CMD_SESSION_DEL] = "session_del",
	[CPNS_CMD_KEY_WRAP] = "key_wrap",
	[CPNS_CMD_KEY_UNWRAP] = "key_unwrap",
	[CPNS_CMD_KEY_REVOKE] = "key_revoke",
	[CPNS_CMD_XFER_CODE] = "xfer_code",
	[CPNS_CMD_XFER_PAIR] = "xfer_pair",
	[CPNS_CMD_KEY_RETIRE] = "key_retire",
	[CPNS_CMD_BATCH] = "batch",
	[CPNS_CMD_XFER_RELEASE] = "xfer_release",
	[CPNS_CMD_XFER_ACCEPT] = "xfer_accept",
};

static const char *const fail_names[] = {
	[CPNS_FAIL_INVALID] = "invalid",
	[CPNS_FAIL_BAD_MAC] = "bad_mac",
	[CPNS_FAIL_NO_KEY] = "no_key",
	[CPNS_FAIL_KEY_INVALID] = "key_invalid",
	[CPNS_FAIL_NO_PENDING] = "no_pending",
	[CPNS_FAIL_STATE] = "state",
	[CPNS_FAIL_REPLAY] = "replay",
	[CPNS_FAIL_LIMIT] = "limit",
	[CPNS_FAIL_EXISTS] = "exists",
	[CPNS_FAIL_INTERNAL] = "internal",
};

static const char *const role_names[] = {
	[CPNS_ROLE_SERVER] = "server",
	[CPNS_ROLE_GW1] = "gw1",
	[CPNS_ROLE_GW2] = "gw2",
};

static const char *const state_names[] = {
	[CPNS_STATE_ACTIVE] = "active",
	[CPNS_STATE_PENDING] = "pending",
	[CPNS_STATE_CONFIRMED] = "confirmed",
	[CPNS_STATE_REVOKED] = "revoked",
	[CPNS_STATE_UNCONFIRMED] = "unconfirmed",
};

static const char *const kind_names[] = {
	[CPNS_KEY_SEED] = "seed",
	[CPNS_KEY_DEVICE] = "device",
};

static const char *const attr_names[] = {
	[CPNS_A_PAD] = "pad",
	[CPNS_A_VERSION] = "version",
	[CPNS_A_KEYRING] = "keyring",
	[CPNS_A_KEY_SERIAL] = "key_serial",
	[CPNS_A_KEY_KIND] = "key_kind",
	[CPNS_A_ROLE] = "role",
	[CPNS_A_STATE] = "state",
	[CPNS_A_EXPIRY] = "expiry",
	[CPNS_A_TIMEOUT] = "timeout",
	[CPNS_A_SEED_ID] = "seed_id",
	[CPNS_A_DEVICE_ID] = "device_id",
	[CPNS_A_REQUEST_NONCE] = "request_nonce",
	[CPNS_A_CHALLENGE] = "challenge",
	[CPNS_A_CLIENT_NONCE] = "client_nonce",
	[CPNS_A_SERVER_NONCE] = "server_nonce",
	[CPNS_A_REQUEST_MAC] = "request_mac",
	[CPNS_A_CHALLENGE_MAC] = "challenge_mac",
	[CPNS_A_CONFIRM] = "confirm",
	[CPNS_A_CLIENT_MAC] = "client_mac",
	[CPNS_A_SERVER_MAC] = "server_mac",
	[CPNS_A_HANDLE] = "handle",
	[CPNS_A_SEQ] = "seq",
	[CPNS_A_AAD] = "aad",
	[CPNS_A_DATA] = "data",
	[CPNS_A_PUBKEY] = "pubkey",
	[CPNS_A_WRAPPED] = "wrapped",
	[CPNS_A_XFER_CODE] = "xfer_code",
	[CPNS_A_PENDING_MAX] = "pending_max",
	[CPNS_A_PENDING_TIMEOUT] = "pending_timeout",
	[CPNS_A_PENDING_COUNT] = "pending_count",
	[CPNS_A_SESSION_MAX] = "session_max",
	[CPNS_A_SESSION_COUNT] = "session_count",
	[CPNS_A_STATS] = "stats",
	[CPNS_A_KAT_KEY_SEED] = "kat_key_seed",
	[CPNS_A_KAT_SEED_AUTH_KEY] = "kat_seed_auth_key",
	[CPNS_A_KAT_DEVICE_KEY] = "kat_device_key",
	[CPNS_A_KAT_SESSION_KEY_C2S] = "kat_session_key_c2s",
	[CPNS_A_KAT_SESSION_KEY_S2C] = "kat_session_key_s2c",
	[CPNS_A_KAT_AEAD] = "kat_aead",
	[CPNS_A_KEYREF_TYPE] = "keyref_type",
	[CPNS_A_KEYREF_DESC] = "keyref_desc",
	[CPNS_A_BLOB] = "blob",
	[CPNS_A_LABEL] = "label",
	[CPNS_A_GENERATION] = "generation",
	[CPNS_A_PEER_PUBKEY] = "peer_pubkey",
	[CPNS_A_PAIR_MAC] = "pair_mac",
	[CPNS_A_REPLACES] = "replaces",
	[CPNS_A_KEY_COUNT] = "key_count",
	[CPNS_A_SELF_ASSIGNED] = "self_assigned",
	[CPNS_A_BATCH_CMD] = "batch_cmd",
	[CPNS_A_ITEM] = "item",
	[CPNS_A_INDEX] = "index",
	[CPNS_A_ERRNO] = "errno",
	[CPNS_A_ERROR_MSG] = "error_msg",
	[CPNS_A_ERROR_ATTR] = "error_attr",
	[CPNS_A_ERROR_MISSING] = "error_missing",
	[CPNS_A_BATCH_MAX] = "batch_max",
	[CPNS_A_RECEIVER_MAC] = "receiver_mac",
	[CPNS_A_KAT_KIND] = "kat_kind",
	[CPNS_A_KAT_SECRET] = "kat_secret",
	[CPNS_A_KAT_PEER_SECRET] = "kat_peer_secret",
	[CPNS_A_KAT_KEY] = "kat_key",
	[CPNS_A_KAT_KEK] = "kat_kek",
	[CPNS_A_KAT_SALT] = "kat_salt",
	[CPNS_A_KAT_CREATED] = "kat_created",
	[CPNS_A_KAT_PEER_CODE] = "kat_peer_code",
};

const char *cpns_cmd_name(unsigned int cmd)
{
	return NAME(cmd_names, cmd);
}

const char *cpns_fail_name(unsigned int reason)
{
	return NAME(fail_names, reason);
}

const char *cpns_role_name(unsigned int role)
{
	return NAME(role_names, role);
}

const char *cpns_state_name(unsigned int state)
{
	return NAME(state_names, state);
}

const char *cpns_kind_name(unsigned int kind)
{
	return NAME(kind_names, kind);
}

const char *cpns_attr_name(unsigned int type)
{
	return NAME(attr_names, type);
}
