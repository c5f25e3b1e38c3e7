#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Expiry of II-2 challenges and of key lifetimes: reload the module with
# pending_timeout=2, run expiry_test, and put the module back as it was.

. "$(dirname "$0")/lib.sh"

P=$CPNS_PARAMS/pending_timeout

test_reload_with_pending_timeout_2()
{
	need_module
	cpns_reload pending_timeout=2 || fail "reload"
	expect_eq "pending_timeout" "$(cat $P)" 2
	"$CPNSCTL" info
	"$CPNSCTL" info | grep -qE '^pending_timeout: 2$' || fail "GET_INFO does not say 2"
}

test_expired_challenge_and_key_lifetime()
{
	local out rc

	need_module
	[ "$(cat $P)" = 2 ] || fail "pending_timeout is not 2"
	out=$("$CPNS_SELFTEST_DIR/expiry_test" 2>&1) && rc=0 || rc=$?
	echo "$out"
	[ $rc -eq 0 ] || fail "expiry_test exited $rc"
	! echo "$out" | grep -qE '^not ok|# SKIP' || fail "expiry_test did not pass every test"
	echo "$out" | grep -qE '^ok [0-9]+ expiry\.expired_challenge$' || fail "no result"
}

test_reload_default()
{
	need_module
	cpns_reload || fail "reload"
	"$CPNSCTL" info
	[ "$(cat $P)" != 2 ] || fail "pending_timeout is still 2"
}

ktap_main
