#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the cpns shell tests and run_tests.sh. A shell test
# defines functions test_NAME() and ends with "ktap_main": each function runs
# in its own subshell with errexit on, in file order, and is one TAP result.
# Inside a test: "skip REASON" ends it as skipped, "fail MSG" as failed, any
# failing command as failed (the line is printed).

# The VM runs commands with a minimal environment; the tools used here
# live in sbin too.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

CPNS_SELFTEST_DIR=${CPNS_SELFTEST_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
CPNS_ROOT=${CPNS_ROOT:-$(cd "$CPNS_SELFTEST_DIR/../.." && pwd)}
CPNSCTL=${CPNSCTL:-$CPNS_ROOT/userspace/cpnsctl/cpnsctl}
CPNS_VECTORS=${CPNS_VECTORS:-$CPNS_ROOT/../shared/spec/vectors.json}
CPNS_PARAMS=/sys/module/cpns/parameters
export CPNS_ROOT CPNSCTL CPNS_VECTORS

KSFT_SKIP=4

# ---- kernel log -------------------------------------------------------

cpns_dmesg_lines()
{
	dmesg | wc -l
}

# Print the kernel log lines after line MARK that show a warning, a bug or
# a leak; succeed only if there are none.
cpns_dmesg_bad()
{
	local bad

	bad=$(dmesg | tail -n +"$(($1 + 1))" |
	      grep -E 'WARNING:|BUG:|Oops|general protection|refcount_t|kmemleak|UBSAN|KASAN|list_(add|del) corruption|cpns.*(leak|self-test failed)')
	[ -z "$bad" ] && return 0
	echo "$bad"
	return 1
}

# ---- the module -------------------------------------------------------

# The cpns.ko to (re)load: $CPNS_KO, else the one built in the tree.
cpns_ko()
{
	local ko

	for ko in "${CPNS_KO:-}" "$CPNS_ROOT/kmod/cpns.ko" "$CPNS_ROOT/cpns.ko"; do
		[ -n "$ko" ] && [ -f "$ko" ] && { echo "$ko"; return 0; }
	done
	return 1
}

# Load the module with PARAMS..., unloading it first if it is loaded.
cpns_reload()
{
	local ko

	ko=$(cpns_ko) || { echo "no cpns.ko found" >&2; return 1; }
	if [ -d /sys/module/cpns ]; then
		rmmod cpns || return 1
	fi
	insmod "$ko" "$@"
}

# ---- network namespaces -----------------------------------------------

CPNS_NETNS=()
CPNS_NETNS_SEQ=0

# ns_new VAR NAME: make a network namespace cpnst-NAME-PID-N, remove it
# when the test ends, and store its name in VAR. (Not in $(...): the
# cleanup list must be this shell's.)
ns_new()
{
	local __ns=cpnst-$2-$BASHPID-$CPNS_NETNS_SEQ

	CPNS_NETNS_SEQ=$((CPNS_NETNS_SEQ + 1))
	ip netns add "$__ns" || return 1
	CPNS_NETNS+=("$__ns")
	printf -v "$1" '%s' "$__ns"
}

ns_cleanup()
{
	local ns

	for ns in "${CPNS_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	CPNS_NETNS=()
}

# Run CMD... in network namespace NS. nsenter joins the namespace only;
# "ip netns exec" would also make a mount namespace and mount a sysfs for
# each command, which nothing here needs and which costs seconds per
# command under the debug kernel (tools/debug-kernel/check).
nsx()
{
	local ns=$1

	shift
	[ -e "/run/netns/$ns" ] || { echo "nsx: no network namespace $ns" >&2; return 1; }
	nsenter --net="/run/netns/$ns" -- "$@"
}

# ---- assertions -------------------------------------------------------

fail()
{
	echo "FAIL: $*"
	exit 1
}

skip()
{
	echo "SKIP: $*"
	[ -n "${KTAP_SKIPFILE:-}" ] && echo "$*" >"$KTAP_SKIPFILE"
	exit $KSFT_SKIP
}

# cleanup_add CMD...: run CMD when the current test ends (last added first).
CPNS_CLEANUP=()
cleanup_add()
{
	CPNS_CLEANUP=("$*" "${CPNS_CLEANUP[@]}")
}

cpns_test_cleanup()
{
	local c

	for c in "${CPNS_CLEANUP[@]}"; do
		eval "$c" || true
	done
	CPNS_CLEANUP=()
	ns_cleanup
}

# expect_fail TEXT CMD...: CMD must fail and print TEXT (a strerror() text
# or a message, matched case-insensitively) on stdout or stderr.
expect_fail()
{
	local text=$1 out rc

	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	echo "$out" | sed 's/^/    /'
	[ $rc -ne 0 ] || fail "'$*' succeeded, expected failure ($text)"
	echo "$out" | grep -qi -- "$text" ||
		fail "'$*' failed (exit $rc) but did not say '$text'"
	echo "    ('$*' failed as expected: $text)"
}

# The count of failure REASON (a cpns_fail name) in namespace NS ("-" for
# this one), from cpnsctl stats.
fail_count()
{
	local ns=$1 reason=$2 out

	if [ "$ns" = - ]; then
		out=$("$CPNSCTL" stats) || return 1
	else
		out=$(nsx "$ns" "$CPNSCTL" stats) || return 1
	fi
	echo "$out" | awk -v r="$reason" '
		/^failures:/ { f = 1; next }
		/^[^ ]/ { f = 0 }
		f && $1 == r { n = $2 }
		END { print n + 0 }'
}

# expect_fail_reason NS REASON[|REASON...] CMD...: CMD must fail, and the
# kernel must count it as a failure of one of the REASONs in NS (so the
# test knows the errno class whatever words the CLI uses).
expect_fail_reason()
{
	local ns=$1 reasons=$2 r out rc sum0=0 sum1=0

	shift 2
	for r in ${reasons//|/ }; do
		sum0=$((sum0 + $(fail_count "$ns" "$r")))
	done
	out=$("$@" 2>&1) && rc=0 || rc=$?
	echo "$out" | sed 's/^/    /'
	[ $rc -ne 0 ] || fail "'$*' succeeded, expected failure ($reasons)"
	for r in ${reasons//|/ }; do
		sum1=$((sum1 + $(fail_count "$ns" "$r")))
	done
	[ $sum1 -eq $((sum0 + 1)) ] ||
		fail "'$*' failed, but not as $reasons (count $sum0 -> $sum1)"
	echo "    ('$*' failed as expected: $reasons)"
}

# expect_eq WHAT GOT WANT
expect_eq()
{
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

# Run CMD... echoing it, like WireGuard's netns.sh helpers.
run()
{
	echo "+ $*"
	"$@"
}

need_cmd()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

need_cpnsctl()
{
	[ -x "$CPNSCTL" ] || skip "$CPNSCTL is not built"
}

need_module()
{
	[ -d /sys/module/cpns ] || fail "cpns.ko is not loaded"
}

# ---- TAP --------------------------------------------------------------

ktap_main()
{
	local tests t rc n=0 failed=0 reason

	KTAP_SKIPFILE=$(mktemp /tmp/cpns-skip.XXXXXX)
	KTAP_SETUP_VARS=$(mktemp /tmp/cpns-setup.XXXXXX)

	# (No process substitution: the VM has no /dev/fd.)
	tests=($(grep -oE '^test_[A-Za-z0-9_]+\(\)' "$0" | tr -d '()'))
	echo "TAP version 13"
	echo "1..${#tests[@]}"
	# State shared by the tests of a file (made once: every process
	# start is slow in the VM), by its optional ktap_setup.
	KTAP_SETUP_OK=1
	if declare -F ktap_setup >/dev/null; then
		echo "# setup"
		ktap_setup 2>&1 | sed 's/^/#     /'
		[ "${PIPESTATUS[0]}" -eq 0 ] || KTAP_SETUP_OK=0
		[ -f "$KTAP_SETUP_VARS" ] && . "$KTAP_SETUP_VARS"
	fi
	for t in "${tests[@]}"; do
		n=$((n + 1))
		echo "#  RUN ${t#test_} ..."
		(
			# Clean up only what this test makes.
			CPNS_NETNS=()
			[ $KTAP_SETUP_OK = 1 ] || { echo "FAIL: setup failed"; exit 1; }
			set -eE -o pipefail
			trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR
			trap cpns_test_cleanup EXIT
			"$t"
		) 2>&1 | sed 's/^/#     /'
		rc=${PIPESTATUS[0]}
		if declare -F ktap_after_each >/dev/null; then
			ktap_after_each || rc=1
		fi
		case $rc in
		0) echo "ok $n ${t#test_}" ;;
		"$KSFT_SKIP")
			reason=$(cat "$KTAP_SKIPFILE")
			echo "ok $n ${t#test_} # SKIP ${reason:-no reason given}" ;;
		*) echo "not ok $n ${t#test_}"; failed=1 ;;
		esac
	done
	rm -f "$KTAP_SKIPFILE" "$KTAP_SETUP_VARS"
	for t in ${KTAP_SETUP_NETNS:-}; do
		ip netns del "$t" 2>/dev/null
	done
	ns_cleanup
	return $failed
}

# ---- a populated set of hosts -----------------------------------------

CPNS_FLOW=${CPNS_FLOW:-$CPNS_SELFTEST_DIR/cpns_flow}

# Make namespaces S, G1, G2 (names in $S $G1 $G2), run the whole flow in
# them with cpns_flow, and set SID and DID. The keys stay in the keyrings.
flow_setup()
{
	local out

	[ -x "$CPNS_FLOW" ] || fail "$CPNS_FLOW is not built"
	ns_new S s && ns_new G1 g1 && ns_new G2 g2 || fail "ip netns add"
	out=$("$CPNS_FLOW" --netns "$S,$G1,$G2" --ids) || fail "cpns_flow failed"
	SID=$(echo "$out" | sed -n 's/^sid //p')
	DID=$(echo "$out" | sed -n 's/^did //p')
	[ ${#SID} -eq 16 ] && [ ${#DID} -eq 32 ] || fail "cpns_flow printed no IDs"
	echo "flow done: S=$S GW1=$G1 GW2=$G2 sid=$SID did=$DID"
}

# For ktap_setup: like flow_setup, and also the keyrings and key serials
# (KR_S KR_G1 KR_G2; SER_S_SEED SER_G1_SEED SER_G1_DEV SER_G2_DEV), all
# saved for the tests; the namespaces are removed after the last test.
flow_setup_shared()
{
	(
		set -eE -o pipefail
		trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR
		trap 'echo "KTAP_SETUP_NETNS=\"${CPNS_NETNS[*]}\"" >>"$KTAP_SETUP_VARS"' EXIT
		flow_setup
		KR_S=$(keyring_of "$S")
		KR_G1=$(keyring_of "$G1")
		KR_G2=$(keyring_of "$G2")
		SER_S_SEED=$(keyctl search "$KR_S" cpns_seed "$SID")
		SER_G1_SEED=$(keyctl search "$KR_G1" cpns_seed "$SID")
		SER_G1_DEV=$(keyctl search "$KR_G1" cpns_device "$DID")
		SER_G2_DEV=$(keyctl search "$KR_G2" cpns_device "$DID")
		for v in S G1 G2 SID DID KR_S KR_G1 KR_G2 SER_S_SEED \
			 SER_G1_SEED SER_G1_DEV SER_G2_DEV; do
			echo "$v=${!v}"
		done >>"$KTAP_SETUP_VARS"
	)
}

# The .cpns keyring of namespace NS.
keyring_of()
{
	nsx "$1" "$CPNSCTL" keyring
}

# Serial of the key of TYPE with hex ID in the keyring of namespace NS.
key_serial()
{
	keyctl search "$(keyring_of "$1")" "$2" "$3"
}

# The description of SERIAL as keyctl rdescribe shows it (last field).
key_desc()
{
	keyctl rdescribe "$1" | sed 's/^[^;]*;[^;]*;[^;]*;[^;]*;//'
}

# Start CMD... in the background with its output in a file; wait until it
# prints "ready" (or dies). Sets HOLD_PID and HOLD_OUT.
hold_start()
{
	local i

	HOLD_OUT=$(mktemp /tmp/cpns-hold.XXXXXX)
	"$@" >"$HOLD_OUT" 2>&1 &
	HOLD_PID=$!
	cleanup_add "kill $HOLD_PID 2>/dev/null; wait $HOLD_PID 2>/dev/null; rm -f $HOLD_OUT"
	for i in $(seq 600); do
		grep -q '^ready$' "$HOLD_OUT" && { sed 's/^/    hold: /' "$HOLD_OUT"; return 0; }
		kill -0 "$HOLD_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$HOLD_OUT"
	fail "holder did not get ready"
}

hold_stop()
{
	kill "$HOLD_PID" 2>/dev/null || true
	wait "$HOLD_PID" 2>/dev/null || true
}
