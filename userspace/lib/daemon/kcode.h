/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The ERROR code a daemon sends for a failed kernel command (kcode.c). */
#ifndef CPNS_KCODE_H
#define CPNS_KCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpns.h"

/*
 * The code of protocol.rst 7.2 for err, the negative errno of the last
 * command on nl. by_device: the command was named by a Device ID (ENOKEY
 * is then "unknown device", else "unknown seed").
 */
uint16_t cpns_kernel_code(const struct cpns_nl *nl, int err, bool by_device);

/* The same for a failure e (a batch's item: cpns_item_error()). */
uint16_t cpns_error_code(const struct cpns_error *e, bool by_device);

#endif /* CPNS_KCODE_H */
