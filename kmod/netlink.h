/* SPDX-License-Identifier: GPL-2.0 */
/* The Generic Netlink family "cpns" (include/uapi/linux/cpns.h). */
#ifndef _CPNS_NETLINK_H
#define _CPNS_NETLINK_H

#include <linux/notifier.h>

/**
 * cpns_genl_register() - register the family
 *
 * Return: 0 or a negative errno.
 */
int cpns_genl_register(void);

/**
 * cpns_genl_unregister() - unregister the family
 *
 * Returns once no request of the family is running any more.
 */
void cpns_genl_unregister(void);

/*
 * For netlink_register_notifier(): frees what a generic netlink socket
 * owned (pending objects, sessions) when it closes.
 */
extern struct notifier_block cpns_netlink_notifier;

#endif /* _CPNS_NETLINK_H */
