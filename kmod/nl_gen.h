/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/cpns.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_CPNS_GEN_H
#define _LINUX_CPNS_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/cpns.h>

/* Ops table for cpns */
extern const struct genl_split_ops cpns_nl_ops[32];

int cpns_nl_get_info_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_get_stats_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_key_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int cpns_nl_key_del_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_seed_new_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_xfer_new_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_seed_export_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_seed_import_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_assign_request_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_assign_challenge_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_assign_derive_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_assign_confirm_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_assign_verify_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_device_export_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_device_import_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_auth_begin_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_auth_challenge_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_auth_client_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_auth_server_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_auth_finish_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_seal_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_open_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_session_del_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_key_wrap_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_key_unwrap_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_key_revoke_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_xfer_code_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_xfer_pair_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_key_retire_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_batch_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_xfer_release_doit(struct sk_buff *skb, struct genl_info *info);
int cpns_nl_xfer_accept_doit(struct sk_buff *skb, struct genl_info *info);

#endif /* _LINUX_CPNS_GEN_H */
