// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The ERROR code for a failed kernel command (protocol.rst 7.2): the
 * errno's code (cpns_wire_kernel_code()), except that EKEYREJECTED is
 * "malformed" only when the kernel names the public key (a low-order
 * X25519 key); otherwise the kernel refused a generation of the Device
 * Key, or the record changed during the flow (rekey.rst), which is
 * "expired".
 */
#include <errno.h>

#include "kcode.h"
#include "wire.h"

static uint16_t code(int err, int attr_type, bool by_device)
{
	if (err == -EKEYREJECTED && attr_type != CPNS_A_PUBKEY)
		return CPNS_WIRE_ERR_EXPIRED;
	return cpns_wire_kernel_code(err, by_device);
}

uint16_t cpns_kernel_code(const struct cpns_nl *nl, int err, bool by_device)
{
	return code(err, cpns_last(nl)->attr_type, by_device);
}

uint16_t cpns_error_code(const struct cpns_error *e, bool by_device)
{
	return code(e->err, e->attr_type, by_device);
}
