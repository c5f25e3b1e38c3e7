#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two network namespaces cannot see or use each other's keys: a seed made
# in A is unknown (ENOKEY) in B, the dumps differ, the keyrings differ.

. "$(dirname "$0")/lib.sh"

setup()
{
	need_cpnsctl
	need_module
	ns_new A a
	ns_new B b
	SID=$(nsx "$A" "$CPNSCTL" seed new | sed -n 's/^seed_id: //p')
	[ ${#SID} -eq 16 ] || fail "seed new printed no seed_id"
	echo "seed $SID in $A"
}

test_seed_unknown_in_other_netns()
{
	local n1=00000000000000000000000000000000
	local mac=0000000000000000000000000000000000000000000000000000000000000000

	setup
	expect_fail_reason "$A" bad_mac nsx "$A" "$CPNSCTL" assign challenge "$SID" $n1 $mac
	expect_fail_reason "$B" no_key nsx "$B" "$CPNSCTL" assign challenge "$SID" $n1 $mac
	expect_fail_reason "$B" no_key nsx "$B" "$CPNSCTL" key del --seed "$SID"
	# ... nor in the initial namespace.
	expect_fail_reason - no_key "$CPNSCTL" key del --seed "$SID"
	# A still has it.
	nsx "$A" "$CPNSCTL" show | grep -q "$SID" || fail "seed gone from A"
}

test_dumps_differ()
{
	setup
	nsx "$A" "$CPNSCTL" show
	nsx "$B" "$CPNSCTL" show
	nsx "$A" "$CPNSCTL" show | grep -q "$SID" || fail "A does not list its seed"
	! nsx "$B" "$CPNSCTL" show | grep -q "$SID" || fail "B lists A's seed"
	! "$CPNSCTL" show | grep -q "$SID" || fail "the initial netns lists A's seed"
}

test_keyrings_differ()
{
	local ka kb k0

	setup
	ka=$(keyring_of "$A")
	kb=$(keyring_of "$B")
	k0=$("$CPNSCTL" keyring)
	echo "keyrings: A $ka, B $kb, init $k0"
	[ "$ka" != "$kb" ] && [ "$ka" != "$k0" ] && [ "$kb" != "$k0" ] ||
		fail "keyrings are shared"
	keyctl show "$ka" | grep -q "$SID" || fail "A's keyring lacks the seed"
	! keyctl show "$kb" | grep -q "$SID" || fail "B's keyring has A's seed"
}

test_same_keyring_while_netns_lives()
{
	local k1 k2

	setup
	k1=$(keyring_of "$A")
	k2=$(keyring_of "$A")
	expect_eq "keyring of A" "$k2" "$k1"
}

ktap_main
