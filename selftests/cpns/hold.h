/* SPDX-License-Identifier: GPL-2.0 */
/*
 * State held in the kernel while a test unloads the module, deletes the
 * namespaces or kills the holder (module_test, teardown_test): the whole
 * flow between S, GW1 and GW2 (flowlib), then one more pending object of
 * each kind: an X25519 key pair on GW1 and on GW2, an II-2 challenge on S,
 * an a-flow begun on GW2 and challenged on S (what cpns_flow --hold keeps).
 * In the test's own process or in a forked child: no program is started.
 */
#ifndef _CPNS_HOLD_H
#define _CPNS_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "flowlib.h"

struct hold {
	struct fl_ctx c;
	/* after the extra objects: GET_STATS of S and GW2 */
	uint32_t s_pending, s_sessions, g2_pending, g2_sessions;
	int32_t keyring[3];		/* the .cpns keyrings of S, GW1, GW2 */
};

/*
 * Open the hosts (ns as fl_open(): names, or NULL for new namespaces),
 * run the flow and add the extra objects. 0 or a negative errno, with
 * the failed step on stderr; h is closed on failure.
 */
int hold_open(struct hold *h, const char *const ns[3]);
void hold_close(struct hold *h);

/*
 * hold_open() in a forked child that then waits to be killed. With out,
 * wait until the child holds everything and copy its struct hold there
 * (IDs, counts, keyrings; no socket or namespace fd); return the child's
 * pid, or a negative errno (the child failed: it has exited and been
 * reaped). Without out, return at once.
 */
pid_t hold_fork(const char *const ns[3], struct hold *out);

/* SIGKILL the child and reap it. */
void hold_kill(pid_t pid);

#endif /* _CPNS_HOLD_H */
