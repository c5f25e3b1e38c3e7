// SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/cpns.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "nl_gen.h"

#include <uapi/linux/cpns.h>

/* Integer value ranges */
static const struct netlink_range_validation cpns_a_seq_range = {
	.max	= 18446744073709551614ULL,
};

/* CPNS_CMD_GET_INFO - do */
static const struct nla_policy cpns_get_info_nl_policy[CPNS_A_MAX + 1] = {
};

/* CPNS_CMD_GET_STATS - do */
static const struct nla_policy cpns_get_stats_nl_policy[CPNS_A_MAX + 1] = {
};

/* CPNS_CMD_KEY_GET - dump */
static const struct nla_policy cpns_key_get_nl_policy[CPNS_A_MAX + 1] = {
};

/* CPNS_CMD_KEY_DEL - do */
static const struct nla_policy cpns_key_del_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

/* CPNS_CMD_SEED_NEW - do */
static const struct nla_policy cpns_seed_new_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_TIMEOUT] = { .type = NLA_U32, },
};

/* CPNS_CMD_XFER_NEW - do */
static const struct nla_policy cpns_xfer_new_nl_policy[CPNS_A_MAX + 1] = {
};

/* CPNS_CMD_SEED_EXPORT - do */
static const struct nla_policy cpns_seed_export_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

/* CPNS_CMD_SEED_IMPORT - do */
static const struct nla_policy cpns_seed_import_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_TIMEOUT] = { .type = NLA_U32, },
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_WRAPPED] = NLA_POLICY_EXACT_LEN(CPNS_WRAPPED_LEN),
};

/* CPNS_CMD_ASSIGN_REQUEST - do */
static const struct nla_policy cpns_assign_request_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
};

/* CPNS_CMD_ASSIGN_CHALLENGE - do */
static const struct nla_policy cpns_assign_challenge_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_REQUEST_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

/* CPNS_CMD_ASSIGN_DERIVE - do */
static const struct nla_policy cpns_assign_derive_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_CHALLENGE] = NLA_POLICY_EXACT_LEN(CPNS_CHALLENGE_LEN),
	[CPNS_A_CHALLENGE_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
};

/* CPNS_CMD_ASSIGN_CONFIRM - do */
static const struct nla_policy cpns_assign_confirm_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_REQUEST_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_REPLACES] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL, },
};

/* CPNS_CMD_ASSIGN_VERIFY - do */
static const struct nla_policy cpns_assign_verify_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_CONFIRM] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
	[CPNS_A_SELF_ASSIGNED] = { .type = NLA_FLAG, },
};

/* CPNS_CMD_DEVICE_EXPORT - do */
static const struct nla_policy cpns_device_export_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

/* CPNS_CMD_DEVICE_IMPORT - do */
static const struct nla_policy cpns_device_import_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_TIMEOUT] = { .type = NLA_U32, },
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_WRAPPED] = NLA_POLICY_EXACT_LEN(CPNS_WRAPPED_LEN),
	[CPNS_A_REPLACES] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

/* CPNS_CMD_AUTH_BEGIN - do */
static const struct nla_policy cpns_auth_begin_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
};

/* CPNS_CMD_AUTH_CHALLENGE - do */
static const struct nla_policy cpns_auth_challenge_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_CLIENT_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_GENERATION] = { .type = NLA_U32, },
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_BLOB] = NLA_POLICY_RANGE(NLA_BINARY, 1, CPNS_MAX_BLOB),
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL, },
};

/* CPNS_CMD_AUTH_CLIENT - do */
static const struct nla_policy cpns_auth_client_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SERVER_NONCE] = NLA_POLICY_EXACT_LEN(CPNS_NONCE_LEN),
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

/* CPNS_CMD_AUTH_SERVER - do */
static const struct nla_policy cpns_auth_server_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_CLIENT_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* CPNS_CMD_AUTH_FINISH - do */
static const struct nla_policy cpns_auth_finish_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SERVER_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* CPNS_CMD_SEAL - do */
static const struct nla_policy cpns_seal_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD, },
	[CPNS_A_DATA] = { .type = NLA_BINARY, .len = CPNS_MAX_PLAINTEXT, },
};

/* CPNS_CMD_OPEN - do */
static const struct nla_policy cpns_open_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_SEQ] = NLA_POLICY_FULL_RANGE(NLA_U64, &cpns_a_seq_range),
	[CPNS_A_AAD] = { .type = NLA_BINARY, .len = CPNS_MAX_AAD, },
	[CPNS_A_DATA] = NLA_POLICY_RANGE(NLA_BINARY, CPNS_TAG_LEN, 16400),
};

/* CPNS_CMD_SESSION_DEL - do */
static const struct nla_policy cpns_session_del_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* CPNS_CMD_KEY_WRAP - do */
static const struct nla_policy cpns_key_wrap_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL, },
};

/* CPNS_CMD_KEY_UNWRAP - do */
static const struct nla_policy cpns_key_unwrap_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_BLOB] = NLA_POLICY_RANGE(NLA_BINARY, 1, CPNS_MAX_BLOB),
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL, },
};

/* CPNS_CMD_KEY_REVOKE - do */
static const struct nla_policy cpns_key_revoke_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_LABEL] = { .type = NLA_BINARY, .len = CPNS_MAX_LABEL, },
};

/* CPNS_CMD_XFER_CODE - do */
static const struct nla_policy cpns_xfer_code_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, 1, 2),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

/* CPNS_CMD_XFER_PAIR - do */
static const struct nla_policy cpns_xfer_pair_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, 1, 2),
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_DEVICE_ID] = NLA_POLICY_EXACT_LEN(CPNS_DEVICE_ID_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_PEER_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
	[CPNS_A_PAIR_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* CPNS_CMD_KEY_RETIRE - do */
static const struct nla_policy cpns_key_retire_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_SEED_ID] = NLA_POLICY_EXACT_LEN(CPNS_SEED_ID_LEN),
	[CPNS_A_TIMEOUT] = { .type = NLA_U32, },
};

/* CPNS_CMD_BATCH - do */
static const struct nla_policy cpns_batch_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_BATCH_CMD] = { .type = NLA_U8, },
	[CPNS_A_ITEM] = { .type = NLA_NESTED, },
};

/* CPNS_CMD_XFER_RELEASE - do */
static const struct nla_policy cpns_xfer_release_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_XFER_CODE] = { .type = NLA_U32, },
	[CPNS_A_PAIR_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
	[CPNS_A_RECEIVER_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
};

/* CPNS_CMD_XFER_ACCEPT - do */
static const struct nla_policy cpns_xfer_accept_nl_policy[CPNS_A_MAX + 1] = {
	[CPNS_A_HANDLE] = NLA_POLICY_MIN(NLA_U32, 1),
	[CPNS_A_KEY_KIND] = NLA_POLICY_RANGE(NLA_U8, 1, 2),
	[CPNS_A_KEYREF_TYPE] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_KEYREF_DESC] = { .type = NLA_NUL_STRING, .len = 255, },
	[CPNS_A_RECEIVER_MAC] = NLA_POLICY_EXACT_LEN(CPNS_MAC_LEN),
	[CPNS_A_PUBKEY] = NLA_POLICY_EXACT_LEN(CPNS_PUBKEY_LEN),
};

/* Ops table for cpns */
const struct genl_split_ops cpns_nl_ops[32] = {
	{
		.cmd		= CPNS_CMD_GET_INFO,
		.doit		= cpns_nl_get_info_doit,
		.policy		= cpns_get_info_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_GET_STATS,
		.doit		= cpns_nl_get_stats_doit,
		.policy		= cpns_get_stats_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_KEY_GET,
		.dumpit		= cpns_nl_key_get_dumpit,
		.policy		= cpns_key_get_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= CPNS_CMD_KEY_DEL,
		.doit		= cpns_nl_key_del_doit,
		.policy		= cpns_key_del_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_SEED_NEW,
		.doit		= cpns_nl_seed_new_doit,
		.policy		= cpns_seed_new_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_XFER_NEW,
		.doit		= cpns_nl_xfer_new_doit,
		.policy		= cpns_xfer_new_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_SEED_EXPORT,
		.doit		= cpns_nl_seed_export_doit,
		.policy		= cpns_seed_export_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_SEED_IMPORT,
		.doit		= cpns_nl_seed_import_doit,
		.policy		= cpns_seed_import_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_ASSIGN_REQUEST,
		.doit		= cpns_nl_assign_request_doit,
		.policy		= cpns_assign_request_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_ASSIGN_CHALLENGE,
		.doit		= cpns_nl_assign_challenge_doit,
		.policy		= cpns_assign_challenge_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_ASSIGN_DERIVE,
		.doit		= cpns_nl_assign_derive_doit,
		.policy		= cpns_assign_derive_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_ASSIGN_CONFIRM,
		.doit		= cpns_nl_assign_confirm_doit,
		.policy		= cpns_assign_confirm_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_ASSIGN_VERIFY,
		.doit		= cpns_nl_assign_verify_doit,
		.policy		= cpns_assign_verify_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_DEVICE_EXPORT,
		.doit		= cpns_nl_device_export_doit,
		.policy		= cpns_device_export_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_DEVICE_IMPORT,
		.doit		= cpns_nl_device_import_doit,
		.policy		= cpns_device_import_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_AUTH_BEGIN,
		.doit		= cpns_nl_auth_begin_doit,
		.policy		= cpns_auth_begin_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_AUTH_CHALLENGE,
		.doit		= cpns_nl_auth_challenge_doit,
		.policy		= cpns_auth_challenge_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_AUTH_CLIENT,
		.doit		= cpns_nl_auth_client_doit,
		.policy		= cpns_auth_client_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_AUTH_SERVER,
		.doit		= cpns_nl_auth_server_doit,
		.policy		= cpns_auth_server_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_AUTH_FINISH,
		.doit		= cpns_nl_auth_finish_doit,
		.policy		= cpns_auth_finish_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_SEAL,
		.doit		= cpns_nl_seal_doit,
		.policy		= cpns_seal_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_OPEN,
		.doit		= cpns_nl_open_doit,
		.policy		= cpns_open_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_SESSION_DEL,
		.doit		= cpns_nl_session_del_doit,
		.policy		= cpns_session_del_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_KEY_WRAP,
		.doit		= cpns_nl_key_wrap_doit,
		.policy		= cpns_key_wrap_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_KEY_UNWRAP,
		.doit		= cpns_nl_key_unwrap_doit,
		.policy		= cpns_key_unwrap_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_KEY_REVOKE,
		.doit		= cpns_nl_key_revoke_doit,
		.policy		= cpns_key_revoke_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_XFER_CODE,
		.doit		= cpns_nl_xfer_code_doit,
		.policy		= cpns_xfer_code_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_XFER_PAIR,
		.doit		= cpns_nl_xfer_pair_doit,
		.policy		= cpns_xfer_pair_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_KEY_RETIRE,
		.doit		= cpns_nl_key_retire_doit,
		.policy		= cpns_key_retire_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_BATCH,
		.doit		= cpns_nl_batch_doit,
		.policy		= cpns_batch_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_XFER_RELEASE,
		.doit		= cpns_nl_xfer_release_doit,
		.policy		= cpns_xfer_release_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= CPNS_CMD_XFER_ACCEPT,
		.doit		= cpns_nl_xfer_accept_doit,
		.policy		= cpns_xfer_accept_nl_policy,
		.maxattr	= CPNS_A_MAX,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};
