#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Userspace cannot make keys of the types cpns_seed and cpns_device
# (add_key() is refused with EPERM), nor put keys into a .cpns keyring.

. "$(dirname "$0")/lib.sh"

SEED32=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f

keys_of()
{
	nsx "$1" "$CPNSCTL" show | grep -cE '[0-9a-f]{16}' || true
}

test_add_seed_refused()
{
	need_cpnsctl
	need_module
	expect_fail "not permitted" keyctl add cpns_seed 0001020304050607 x @s
	expect_fail "not permitted" keyctl add cpns_seed 0001020304050607 "$SEED32" @s
	expect_fail "not permitted" sh -c "head -c 32 /dev/urandom | keyctl padd cpns_seed 0001020304050607 @s"
	expect_fail "not permitted" sh -c "head -c 32 /dev/urandom | keyctl padd cpns_seed '0001020304050607 server active' @s"
}

test_add_device_refused()
{
	need_cpnsctl
	need_module
	expect_fail "not permitted" keyctl add cpns_device 00010203040506076db3d4072ebbba20 x @s
	expect_fail "not permitted" sh -c "head -c 32 /dev/urandom | keyctl padd cpns_device '00010203040506076db3d4072ebbba20 gw2 active' @s"
}

test_nothing_added_to_cpns_keyring()
{
	local NSA kr before

	need_cpnsctl
	need_module
	ns_new NSA add
	kr=$(keyring_of "$NSA")
	before=$(keyctl show "$kr" | wc -l)
	expect_fail "not permitted" keyctl add cpns_seed 0001020304050607 "$SEED32" "$kr"
	expect_fail "not permitted" sh -c "head -c 32 /dev/urandom | keyctl padd cpns_device 00010203040506076db3d4072ebbba20 $kr"
	# Nor a key of another type: the keyring is the module's alone.
	expect_fail "denied\|not permitted" keyctl add user cpns-test x "$kr"
	expect_fail "denied\|not permitted" keyctl link @s "$kr"
	expect_eq "keyring lines" "$(keyctl show "$kr" | wc -l)" "$before"
	expect_eq "dumped keys" "$(keys_of "$NSA")" 0
}

ktap_main
