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

# The known-answer test module: $CPNS_KAT_KO, else test/cpns_kat.ko beside
# the cpns.ko in use (the tree builds both against the same kernel).
cpns_kat_ko()
{
	local ko

	if [ -n "${CPNS_KAT_KO:-}" ]; then
		ko=$CPNS_KAT_KO
	else
		ko=$(cpns_ko) || return 1
		ko=${ko%/*}/test/cpns_kat.ko
	fi
	[ -f "$ko" ] && echo "$ko"
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

need_cpnsctl()
{
	[ -x "$CPNSCTL" ] || skip "$CPNSCTL is not built"
}

need_module()
{
	[ -d /sys/module/cpns ] || fail "cpns.ko is not loaded"
}

# ---- TAP --------------------------------------------------------------

# Standard input, each line indented as a TAP comment. A bash loop: under
# the debug kernel every program started (sed, grep, mktemp...) costs
# seconds, so the TAP plumbing starts none.
ktap_indent()
{
	local line

	while IFS= read -r line || [ -n "$line" ]; do
		printf '#     %s\n' "$line"
	done
}

ktap_main()
{
	local tests=() t rc n=0 failed=0 reason line

	KTAP_SKIPFILE=/tmp/cpns-skip.$$
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line =~ ^(test_[A-Za-z0-9_]+)\(\) ]] &&
			tests+=("${BASH_REMATCH[1]}")
	done <"$0"
	echo "TAP version 13"
	echo "1..${#tests[@]}"
	for t in "${tests[@]}"; do
		n=$((n + 1))
		: >"$KTAP_SKIPFILE"
		echo "#  RUN ${t#test_} ..."
		(
			# Clean up only what this test makes.
			CPNS_NETNS=()
			set -eE -o pipefail
			trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (exit $?)"' ERR
			trap cpns_test_cleanup EXIT
			"$t"
		) 2>&1 | ktap_indent
		rc=${PIPESTATUS[0]}
		case $rc in
		0) echo "ok $n ${t#test_}" ;;
		"$KSFT_SKIP")
			reason=
			read -r reason <"$KTAP_SKIPFILE" || true
			echo "ok $n ${t#test_} # SKIP ${reason:-no reason given}" ;;
		*) echo "not ok $n ${t#test_}"; failed=1 ;;
		esac
	done
	rm -f "$KTAP_SKIPFILE"
	ns_cleanup
	return $failed
}

# ---- hosts --------------------------------------------------------------

# The flow program (demo.sh).
CPNS_FLOW=${CPNS_FLOW:-$CPNS_SELFTEST_DIR/cpns_flow}

# The .cpns keyring of namespace NS.
keyring_of()
{
	nsx "$1" "$CPNSCTL" keyring
}
