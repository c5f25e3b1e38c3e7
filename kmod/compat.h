/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the module needs of the kernels it builds for, 6.1 and 6.12.
 * kmod/Kbuild defines the CPNS_HAVE_ macros from the kernel's headers.
 */
#ifndef _CPNS_COMPAT_H
#define _CPNS_COMPAT_H

#include <net/genetlink.h>
#include <net/netlink.h>

/* Moved from asm/ in 6.12. */
#ifdef CPNS_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * The generated ops (nl_gen.c) are split ops, which 6.2 brought. Before,
 * they are genl_ops, one per command: each op of the spec has either a
 * doit or a dumpit, which is what the split flags say. And a policy's
 * range pointer is not const there.
 */
#ifndef CPNS_HAVE_SPLIT_OPS
#define genl_split_ops		genl_ops
#undef GENL_CMD_CAP_DO
#undef GENL_CMD_CAP_DUMP
#define GENL_CMD_CAP_DO		0
#define GENL_CMD_CAP_DUMP	0

#undef NLA_POLICY_FULL_RANGE
#define NLA_POLICY_FULL_RANGE(tp, _range) {				\
	.type = NLA_ENSURE_UINT_OR_BINARY_TYPE(tp),			\
	.validation_type = NLA_VALIDATE_RANGE_PTR,			\
	.range = (struct netlink_range_validation *)(_range),		\
}
#endif

#endif /* _CPNS_COMPAT_H */
