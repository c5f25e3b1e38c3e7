#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The keys as keyctl sees them: keyctl describe/show and /proc/keys show
# "<hex id> <role> <state>" and nothing else; keyctl read/print/pipe and
# update are refused; revoke and unlink are honoured (a revoked or
# unlinked key is no longer usable through netlink). One flow made the
# keys (ktap_setup); the tests that change keys come last, each on its own.

. "$(dirname "$0")/lib.sh"

N1=00000000000000000000000000000000
MAC=0000000000000000000000000000000000000000000000000000000000000000

ktap_setup()
{
	need_cpnsctl
	need_module
	need_cmd keyctl
	flow_setup_shared
}

test_describe_shows_id_role_state()
{
	expect_eq "S seed" "$(key_desc "$SER_S_SEED")" "$SID server active"
	expect_eq "S seed type" "$(keyctl rdescribe "$SER_S_SEED" | cut -d';' -f1)" cpns_seed
	expect_eq "GW1 seed" "$(key_desc "$SER_G1_SEED")" "$SID gw1 active"
	expect_eq "GW1 device" "$(key_desc "$SER_G1_DEV")" "$DID gw1 confirmed"
	expect_eq "GW1 device type" "$(keyctl rdescribe "$SER_G1_DEV" | cut -d';' -f1)" cpns_device
	expect_eq "GW2 device" "$(key_desc "$SER_G2_DEV")" "$DID gw2 active"
	keyctl describe "$SER_G2_DEV"
	keyctl describe "$SER_G2_DEV" | grep -qE " cpns_device: $DID gw2 active\$" ||
		fail "keyctl describe does not end in the description"
}

test_keyctl_show_lists_keys()
{
	local out

	out=$(keyctl show "$KR_S")
	echo "$out"
	echo "$out" | grep -q "keyring: .cpns" || fail "no .cpns keyring in keyctl show"
	echo "$out" | grep -qE "cpns_seed: $SID server active\$" || fail "S"
	# the a-flow re-keyed the device: S keeps its record (rekey.rst)
	echo "$out" | grep -qE "cpns_device: $DID server (unconfirmed|active)\$" ||
		fail "S device record"
	expect_eq "S keys" "$(echo "$out" | grep -c 'cpns_')" 2
	out=$(keyctl show "$KR_G1")
	echo "$out"
	echo "$out" | grep -qE "cpns_seed: $SID gw1 active\$" || fail "GW1 seed"
	echo "$out" | grep -qE "cpns_device: $DID gw1 confirmed\$" || fail "GW1 device"
	expect_eq "GW1 keys" "$(echo "$out" | grep -c 'cpns_')" 2
	out=$(keyctl show "$KR_G2")
	echo "$out"
	echo "$out" | grep -qE "cpns_device: $DID gw2 active\$" || fail "GW2"
	expect_eq "GW2 keys" "$(echo "$out" | grep -c 'cpns_')" 1
}

test_proc_keys_shows_description_only()
{
	local spec ser line

	for spec in "$SER_S_SEED cpns_seed $SID server active" \
		    "$SER_G1_SEED cpns_seed $SID gw1 active" \
		    "$SER_G1_DEV cpns_device $DID gw1 confirmed" \
		    "$SER_G2_DEV cpns_device $DID gw2 active"; do
		set -- $spec
		ser=$1
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
	local ser op

	for ser in "$SER_S_SEED" "$SER_G1_SEED" "$SER_G1_DEV" "$SER_G2_DEV"; do
		for op in read print pipe; do
			expect_fail "not supported\|denied\|not permitted" keyctl "$op" "$ser"
		done
	done
}

test_update_refused()
{
	local ser desc

	for ser in "$SER_S_SEED" "$SER_G2_DEV"; do
		desc=$(key_desc "$ser")
		expect_fail "not supported\|denied\|not permitted" \
			keyctl update "$ser" 0123456789abcdef0123456789abcdef
		expect_fail "not supported\|denied\|not permitted" \
			sh -c "head -c 32 /dev/zero | keyctl pupdate $ser"
		expect_eq "after update" "$(key_desc "$ser")" "$desc"
	done
	# The seed still works: the server still answers II-2 (with a MAC
	# error for this made-up request, not a key error).
	expect_fail_reason "$S" bad_mac nsx "$S" "$CPNSCTL" assign challenge "$SID" $N1 $MAC
}

test_revoke_honoured()
{
	nsx "$G1" "$CPNSCTL" assign request "$SID" >/dev/null
	run keyctl revoke "$SER_G1_SEED"
	expect_fail_reason "$G1" "key_invalid|no_key" nsx "$G1" "$CPNSCTL" assign request "$SID"
	nsx "$G1" "$CPNSCTL" show
	! nsx "$G1" "$CPNSCTL" show | grep -qE "^ +$SID " || fail "revoked seed still dumped"
	# GW1's Device Key is untouched.
	nsx "$G1" "$CPNSCTL" show | grep -qE "^ +$DID " || fail "device key lost"
}

test_unlink_honoured()
{
	# Before: the seed is found (the made-up MAC is what fails).
	expect_fail_reason "$S" bad_mac nsx "$S" "$CPNSCTL" assign challenge "$SID" $N1 $MAC
	run keyctl unlink "$SER_S_SEED" "$KR_S"
	expect_fail_reason "$S" no_key nsx "$S" "$CPNSCTL" assign challenge "$SID" $N1 $MAC
	! nsx "$S" "$CPNSCTL" show | grep -qE "^ +$SID " || fail "unlinked seed still dumped"
	expect_fail_reason "$S" no_key nsx "$S" "$CPNSCTL" key del --seed "$SID"
}

test_revoked_device_key_unusable()
{
	run keyctl revoke "$SER_G2_DEV"
	expect_fail_reason "$G2" "key_invalid|no_key" nsx "$G2" "$CPNSCTL" key del --device "$DID"
	! nsx "$G2" "$CPNSCTL" show | grep -qE "^ +$DID " || fail "revoked key still dumped"
}

ktap_main
