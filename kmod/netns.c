// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace life cycle: the keyring is made when a namespace
 * appears (or when the module loads, for the namespaces already there) and
 * everything is drained when it goes away (or when the module unloads).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include "netns.h"

unsigned int cpns_net_id __read_mostly;

static int __net_init cpns_net_init(struct net *net)
{
	struct cpns_net *cn = cpns_net(net);
	int err;

	cn->net = net;
	err = cpns_keys_init(&cn->keys, net);
	if (err)
		return err;
	cpns_pending_init(&cn->pending);
	cpns_stats_init(&cn->stats);
	pr_debug("netns %u: created\n", net->ns.inum);
	return 0;
}

/*
 * Runs once every socket of @net is closed (each holds a reference), so no
 * request can be in flight; II-2 challenges and the reaper are not tied to
 * a socket and are drained here.
 */
static void __net_exit cpns_net_exit(struct net *net)
{
	struct cpns_net *cn = cpns_net(net);

	cpns_pending_exit(&cn->pending);
	cpns_keys_exit(&cn->keys);
	pr_debug("netns %u: destroyed\n", net->ns.inum);
}

struct pernet_operations cpns_net_ops = {
	.init = cpns_net_init,
	.exit = cpns_net_exit,
	.id = &cpns_net_id,
	.size = sizeof(struct cpns_net),
};
