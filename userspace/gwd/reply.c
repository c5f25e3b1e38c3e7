// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket's replies (control.c): the tab-separated "pair"
 * line of one transfer waiting for the operator.
 */
#include "gwd.h"

void gwd_ctl_pair(struct cpns_ctl_reply *r, const char *id, const char *state,
		  const char *name, const char *peer,
		  const uint8_t did[CPNS_DEVICE_ID_LEN], int mode,
		  const char *code, uint64_t waited_ms, uint64_t left_ms)
{
	char hexdid[2 * CPNS_DEVICE_ID_LEN + 1];

	cpns_hex_encode(hexdid, did, CPNS_DEVICE_ID_LEN);
	cpns_ctl_printf(r, "pair\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%llu\t%llu\n",
			id, state, name, peer, hexdid,
			mode == CPNS_WIRE_CONFIRM_PAIRING ? "pairing-key" :
			"operator", code,
			(unsigned long long)(waited_ms / 1000),
			(unsigned long long)((left_ms + 999) / 1000));
}
