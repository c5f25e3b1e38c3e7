#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# cpns-test: debug
#
# The netlink fuzzer (tools/nlfuzz/README) for a short while: every command
# generated and mutated from its policy, protocol flows, several threads
# and network namespaces (some replaced while it runs), a process without
# CAP_NET_ADMIN, keys revoked and unlinked with keyctl; it fails on a state
# change by a refused message, an unexpected errno, a refusal without an
# extack message, an unanswered request or a hang. NLFUZZ_DURATION (60)
# sets the run's length.

. "$(dirname "$0")/lib.sh"

NLFUZZ=${NLFUZZ:-$CPNS_ROOT/tools/nlfuzz/nlfuzz}

need_nlfuzz()
{
	need_module
	[ -x "$NLFUZZ" ] || fail "$NLFUZZ is not built (make selftests)"
}

# The oracle can fail: a state change judged as a refusal is caught.
test_oracle_catches_a_state_change()
{
	local out

	need_nlfuzz
	out=$("$NLFUZZ" --oracle-selftest) || { echo "$out"; fail "oracle self-test"; }
	echo "$out"
	echo "$out" | grep -q '^oracle self-test: pass$' || fail "no pass line"
}

test_fuzz()
{
	local out rc dur=${NLFUZZ_DURATION:-60}

	need_nlfuzz
	out=$("$NLFUZZ" --duration "$dur" --threads 3 --netns 3 --unpriv 1 \
		--seed "${NLFUZZ_SEED:-$RANDOM}" --verbose 2>&1) && rc=0 || rc=$?
	echo "$out"
	[ $rc -eq 0 ] || fail "nlfuzz exited $rc"
	echo "$out" | grep -q '^PASS: no oracle failure$' || fail "no PASS line"
	# It must have reached the module, not only the netlink layer.
	echo "$out" | grep -qE '^oracle: [1-9][0-9]* state checks' ||
		fail "no state check was made"
	echo "$out" | grep -qE '^flows: .* [1-9][0-9]* sessions made' ||
		fail "no flow reached a session"
}

ktap_main
