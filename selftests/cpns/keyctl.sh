#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The keys as keyctl sees them: keyctl describe/show and /proc/keys show
# "<hex id> <role> <state>" and nothing else; keyctl read/print/pipe and
# update are refused; revoke and unlink are honoured (a revoked or
# unlinked seed is no longer usable through netlink).

. "$(dirname "$0")/lib.sh"

setup()
{
	need_cpnsctl
	need_module
	need_cmd keyctl python3
	flow_setup
}

test_describe_shows_id_role_state()
{
	local ser

	setup
	ser=$(key_serial "$S" cpns_seed "$SID")
	expect_eq "S seed" "$(key_desc "$ser")" "$SID server active"
	expect_eq "S seed type" "$(keyctl rdescribe "$ser" | cut -d';' -f1)" cpns_seed
	ser=$(key_serial "$G1" cpns_seed "$SID")
	expect_eq "GW1 seed" "$(key_desc "$ser")" "$SID gw1 active"
	ser=$(key_serial "$G1" cpns_device "$DID")
	expect_eq "GW1 device" "$(key_desc "$ser")" "$DID gw1 confirmed"
	expect_eq "GW1 device type" "$(keyctl rdescribe "$ser" | cut -d';' -f1)" cpns_device
	ser=$(key_serial "$G2" cpns_device "$DID")
	expect_eq "GW2 device" "$(key_desc "$ser")" "$DID gw2 active"
	keyctl describe "$ser"
	keyctl describe "$ser" | grep -qE " cpns_device: $DID gw2 active\$" ||
		fail "keyctl describe does not end in the description"
}

test_keyctl_show_lists_keys()
{
	local kr out

	setup
	for ns in "$S" "$G1" "$G2"; do
		kr=$(keyring_of "$ns")
		out=$(keyctl show "$kr")
		echo "$out"
		echo "$out" | grep -q "keyring: .cpns" || fail "no .cpns keyring in keyctl show"
	done
	keyctl show "$(keyring_of "$S")" | grep -qE "cpns_seed: $SID server active\$" || fail "S"
	out=$(keyctl show "$(keyring_of "$G1")")
	echo "$out" | grep -qE "cpns_seed: $SID gw1 active\$" || fail "GW1 seed"
	echo "$out" | grep -qE "cpns_device: $DID gw1 confirmed\$" || fail "GW1 device"
	keyctl show "$(keyring_of "$G2")" | grep -qE "cpns_device: $DID gw2 active\$" || fail "GW2"
	# Exactly the keys of the dump: S one, GW1 two, GW2 one.
	expect_eq "S keys" "$(keyctl show "$(keyring_of "$S")" | grep -c 'cpns_')" 1
	expect_eq "GW1 keys" "$(keyctl show "$(keyring_of "$G1")" | grep -c 'cpns_')" 2
	expect_eq "GW2 keys" "$(keyctl show "$(keyring_of "$G2")" | grep -c 'cpns_')" 1
}

test_proc_keys_shows_description_only()
{
	local ser line

	setup
	for spec in "$S cpns_seed $SID server active" \
		    "$G1 cpns_seed $SID gw1 active" \
		    "$G1 cpns_device $DID gw1 confirmed" \
		    "$G2 cpns_device $DID gw2 active"; do
		set -- $spec
		ser=$(key_serial "$1" "$2" "$3")
		line=$(grep "^$(printf '%08x' "$ser") " /proc/keys) ||
			fail "key $ser is not in /proc/keys"
		echo "$line"
		# /proc/keys prints the type in 9 columns, then describe():
		# nothing may follow the description (no payload length).
		echo "$line" | grep -qE "^([^ ]+ +){7}${2:0:9} +$3 $4 $5\$" ||
			fail "/proc/keys line is not '<type> $3 $4 $5'"
	done
}

test_read_print_pipe_refused()
{
	local ser

	setup
	for ser in "$(key_serial "$S" cpns_seed "$SID")" \
		   "$(key_serial "$G1" cpns_seed "$SID")" \
		   "$(key_serial "$G1" cpns_device "$DID")" \
		   "$(key_serial "$G2" cpns_device "$DID")"; do
		for op in read print pipe; do
			expect_fail "not supported\|denied\|not permitted" keyctl "$op" "$ser"
		done
	done
}

test_update_refused()
{
	local ser desc

	setup
	for ser in "$(key_serial "$S" cpns_seed "$SID")" \
		   "$(key_serial "$G2" cpns_device "$DID")"; do
		desc=$(key_desc "$ser")
		expect_fail "not supported\|denied\|not permitted" keyctl update "$ser" 0123456789abcdef0123456789abcdef
		expect_fail "not supported\|denied\|not permitted" \
			sh -c "head -c 32 /dev/zero | keyctl pupdate $ser"
		expect_eq "after update" "$(key_desc "$ser")" "$desc"
	done
	# The seed still works: the server still answers II-2 (with a
	# MAC error for this made-up request, not a key error).
	expect_fail_reason "$S" bad_mac nsx "$S" "$CPNSCTL" assign challenge "$SID" \
		00000000000000000000000000000000 \
		0000000000000000000000000000000000000000000000000000000000000000
}

test_revoke_honoured()
{
	local ser

	setup
	ser=$(key_serial "$G1" cpns_seed "$SID")
	nsx "$G1" "$CPNSCTL" assign request "$SID" >/dev/null
	run keyctl revoke "$ser"
	expect_fail_reason "$G1" "key_invalid|no_key" nsx "$G1" "$CPNSCTL" assign request "$SID"
	nsx "$G1" "$CPNSCTL" show
	! nsx "$G1" "$CPNSCTL" show | grep -q "$SID" || fail "revoked seed still dumped"
	# GW1's Device Key is untouched.
	nsx "$G1" "$CPNSCTL" show | grep -q "$DID" || fail "device key lost"
}

test_unlink_honoured()
{
	local ser kr n1=00000000000000000000000000000000
	local mac=0000000000000000000000000000000000000000000000000000000000000000

	setup
	kr=$(keyring_of "$S")
	ser=$(key_serial "$S" cpns_seed "$SID")
	# Before: the seed is found (the made-up MAC is what fails).
	expect_fail_reason "$S" bad_mac nsx "$S" "$CPNSCTL" assign challenge "$SID" $n1 $mac
	run keyctl unlink "$ser" "$kr"
	expect_fail_reason "$S" no_key nsx "$S" "$CPNSCTL" assign challenge "$SID" $n1 $mac
	! nsx "$S" "$CPNSCTL" show | grep -q "$SID" || fail "unlinked seed still dumped"
	expect_fail_reason "$S" no_key nsx "$S" "$CPNSCTL" key del --seed "$SID"
}

test_revoked_device_key_unusable()
{
	local ser

	setup
	ser=$(key_serial "$G2" cpns_device "$DID")
	run keyctl revoke "$ser"
	expect_fail_reason "$G2" "key_invalid|no_key" nsx "$G2" "$CPNSCTL" key del --device "$DID"
	! nsx "$G2" "$CPNSCTL" show | grep -q "$DID" || fail "revoked key still dumped"
}

ktap_main
