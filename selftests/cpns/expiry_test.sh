#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# cpns-test: debug reload
#
# Expiry of II-2 challenges and of key lifetimes: reload the module with
# pending_timeout=2, run expiry (expiry.c), and put the module back as it was.

. "$(dirname "$0")/lib.sh"

P=$CPNS_PARAMS/pending_timeout

# Builtins where a program would do (every process start costs seconds
# under the debug kernel): the parameter's value, and whether TEXT has a
# line matching the extended regex RE.
param()
{
	local v=

	read -r v <"$P" || true
	echo "$v"
}

has_line()	# RE TEXT
{
	local line

	while IFS= read -r line; do
		[[ $line =~ $1 ]] && return 0
	done <<<"$2"
	return 1
}

test_reload_with_pending_timeout_2()
{
	local out

	need_module
	cpns_reload pending_timeout=2 || fail "reload"
	expect_eq "pending_timeout" "$(param)" 2
	out=$("$CPNSCTL" info)
	echo "$out"
	has_line '^pending_timeout: 2$' "$out" || fail "GET_INFO does not say 2"
}

test_expired_challenge_and_key_lifetime()
{
	local out rc

	need_module
	[ "$(param)" = 2 ] || fail "pending_timeout is not 2"
	out=$("$CPNS_SELFTEST_DIR/expiry" 2>&1) && rc=0 || rc=$?
	echo "$out"
	[ $rc -eq 0 ] || fail "expiry exited $rc"
	! has_line '^not ok|# SKIP' "$out" || fail "expiry did not pass every test"
	has_line '^ok [0-9]+ expiry\.expired_challenge$' "$out" || fail "no result"
}

test_reload_default()
{
	local out

	need_module
	cpns_reload || fail "reload"
	out=$("$CPNSCTL" info)
	echo "$out"
	[ "$(param)" != 2 ] || fail "pending_timeout is still 2"
}

ktap_main
