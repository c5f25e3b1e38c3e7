/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state cpns keeps in each network namespace, and the module
 * parameters that bound it.
 */
#ifndef _CPNS_NETNS_H
#define _CPNS_NETNS_H

#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "keys.h"
#include "pending.h"
#include "stats.h"

/* Module parameters (main.c); read-only once the module is loaded. */
extern unsigned int cpns_pending_timeout;	/* seconds */
extern unsigned int cpns_pending_max;		/* per namespace */
extern unsigned int cpns_session_max;		/* per namespace */
extern unsigned int cpns_keys_max;		/* per namespace */

/**
 * struct cpns_net - everything cpns holds in one network namespace
 * @net: the namespace
 * @keys: its keyring and key list
 * @pending: its handles (pending objects and sessions) and II-2 challenges
 * @stats: its counters
 */
struct cpns_net {
	struct net *net;
	struct cpns_keys keys;
	struct cpns_pending pending;
	struct cpns_stats stats;
};

extern unsigned int cpns_net_id;
extern struct pernet_operations cpns_net_ops;

static inline struct cpns_net *cpns_net(const struct net *net)
{
	return net_generic(net, cpns_net_id);
}

#endif /* _CPNS_NETNS_H */
