// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The control socket's replies (control.c), built by the socket and by the
 * roles: text lines in a growing buffer, and the tab-separated "pair"
 * line of one transfer waiting for the operator.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "gwd.h"

void gwd_ctl_printf(struct gwd_ctl_reply *r, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *p;
	int n;

	if (r->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto fail;
	need = r->len + (size_t)n + 1;
	if (need > r->cap) {
		p = realloc(r->buf, need + 256);
		if (!p)
			goto fail;
		r->buf = p;
		r->cap = need + 256;
	}
	va_start(ap, fmt);
	vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	va_end(ap);
	r->len += (size_t)n;
	return;
fail:
	r->failed = true;
}

void gwd_ctl_pair(struct gwd_ctl_reply *r, const char *id, const char *state,
		  const char *name, const char *peer,
		  const uint8_t did[CPNS_DEVICE_ID_LEN], int mode,
		  const char *code, uint64_t waited_ms, uint64_t left_ms)
{
	char hexdid[2 * CPNS_DEVICE_ID_LEN + 1];

	cpns_hex_encode(hexdid, did, CPNS_DEVICE_ID_LEN);
	gwd_ctl_printf(r, "pair\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%llu\t%llu\n",
		       id, state, name, peer, hexdid,
		       mode == CPNS_WIRE_CONFIRM_PAIRING ? "pairing-key" :
		       "operator", code,
		       (unsigned long long)(waited_ms / 1000),
		       (unsigned long long)((left_ms + 999) / 1000));
}
