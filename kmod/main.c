// SPDX-License-Identifier: GPL-2.0
/*
 * cpns: OMA CPNS Device ID/Key Assignment, profile CPNS-KA-1.
 * Module parameters, initialisation and exit only.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netlink.h>
#include <net/genetlink.h>
#include <linux/cpns.h>
#include "aead_once.h"
#include "kat.h"
#include "keys.h"
#include "netlink.h"
#include "netns.h"

#define CPNS_PENDING_TIMEOUT_MAX	86400	/* a day, in seconds */

unsigned int cpns_pending_timeout = 30;
module_param_named(pending_timeout, cpns_pending_timeout, uint, 0444);
MODULE_PARM_DESC(pending_timeout,
		 "Seconds a pending challenge, key pair or a-flow lives (1-86400, default 30)");

unsigned int cpns_pending_max = 1024;
module_param_named(pending_max, cpns_pending_max, uint, 0444);
MODULE_PARM_DESC(pending_max,
		 "Pending objects per network namespace (at least 1, default 1024)");

unsigned int cpns_session_max = 4096;
module_param_named(session_max, cpns_session_max, uint, 0444);
MODULE_PARM_DESC(session_max,
		 "Sessions per network namespace (at least 1, default 4096)");

unsigned int cpns_keys_max = 65536;
module_param_named(keys_max, cpns_keys_max, uint, 0444);
MODULE_PARM_DESC(keys_max,
		 "Keys per network namespace (at least 1, default 65536)");

static int __init cpns_params_check(void)
{
	if (cpns_pending_timeout < 1 ||
	    cpns_pending_timeout > CPNS_PENDING_TIMEOUT_MAX) {
		pr_err("pending_timeout must be 1 to %d seconds\n",
		       CPNS_PENDING_TIMEOUT_MAX);
		return -EINVAL;
	}
	/* The counts are atomic_t. */
	if (cpns_pending_max < 1 || cpns_pending_max > INT_MAX) {
		pr_err("pending_max must be 1 to %d\n", INT_MAX);
		return -EINVAL;
	}
	if (cpns_session_max < 1 || cpns_session_max > INT_MAX) {
		pr_err("session_max must be 1 to %d\n", INT_MAX);
		return -EINVAL;
	}
	if (cpns_keys_max < 1 || cpns_keys_max > INT_MAX) {
		pr_err("keys_max must be 1 to %d\n", INT_MAX);
		return -EINVAL;
	}
	return 0;
}

static int __init cpns_init(void)
{
	int err;

	err = cpns_params_check();
	if (err)
		return err;

	/* Before the self-test, which wraps keys as the commands do. */
	err = cpns_aead_once_init();
	if (err)
		return err;

	err = cpns_kat_selftest();
	if (err) {
		pr_err("known-answer self-test failed (%d): not loading\n",
		       err);
		goto err_kat;
	}

	err = cpns_keys_register();
	if (err)
		goto err_kat;

	err = register_pernet_subsys(&cpns_net_ops);
	if (err)
		goto err_pernet;

	/*
	 * Before the family: a socket must not own anything the notifier
	 * would not free when it closes.
	 */
	err = netlink_register_notifier(&cpns_netlink_notifier);
	if (err)
		goto err_notifier;

	err = cpns_genl_register();
	if (err)
		goto err_genl;

	pr_info("CPNS-KA-1 family \"%s\" version %u ready\n",
		CPNS_GENL_NAME, CPNS_GENL_VERSION);
	return 0;

err_genl:
	netlink_unregister_notifier(&cpns_netlink_notifier);
err_notifier:
	unregister_pernet_subsys(&cpns_net_ops);
err_pernet:
	cpns_keys_unregister();
err_kat:
	cpns_aead_once_exit();
	return err;
}

static void __exit cpns_exit(void)
{
	cpns_genl_unregister();
	netlink_unregister_notifier(&cpns_netlink_notifier);
	/* Drains every namespace: objects, sessions, challenges, keyrings. */
	unregister_pernet_subsys(&cpns_net_ops);
	cpns_keys_unregister();
	cpns_aead_once_exit();
}

module_init(cpns_init);
module_exit(cpns_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("OMA CPNS Device ID/Key Assignment (CPNS-KA-1)");
MODULE_AUTHOR("cpns developers");
MODULE_VERSION(CPNS_VERSION);
MODULE_ALIAS_GENL_FAMILY(CPNS_GENL_NAME);
