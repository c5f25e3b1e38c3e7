#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo works: demo.sh prints every step and the keyrings, and ends
# with its success line.

. "$(dirname "$0")/lib.sh"

test_demo()
{
	local out step

	need_cpnsctl
	need_module
	out=$(bash "$CPNS_SELFTEST_DIR/demo.sh" 2>&1) || { echo "$out"; fail "demo.sh failed"; }
	echo "$out"
	for step in I-2 I-3 II-1 II-2 II-3 II-4 II-5 II-6 II-7 II-8 II-9 \
		    a-0 a-1 a-2 a-3 a-4 SEAL OPEN; do
		echo "$out" | grep -qE "^$step " || fail "no line for $step"
	done
	echo "$out" | grep -qE '^II-1  GW1 -> S +sid=[0-9a-f]{16} n1=[0-9a-f]{32} mac=[0-9a-f]{64}$' ||
		fail "II-1 line malformed"
	expect_eq "keyctl show sections" "$(echo "$out" | grep -c '^== .*keyctl show')" 3
	echo "$out" | grep -q '^SUCCESS: ' || fail "no success line"
}

test_demo_fails_without_module_answering()
{
	# demo.sh must not claim success when a step fails: run it with a
	# flow program that fails.
	local out rc

	out=$(CPNS_FLOW=/bin/false bash "$CPNS_SELFTEST_DIR/demo.sh" 2>&1) && rc=0 || rc=$?
	echo "$out"
	[ $rc -ne 0 ] || fail "demo.sh exited 0"
	! echo "$out" | grep -q '^SUCCESS' || fail "success line printed"
}

ktap_main
