#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the cpns selftests inside the VM (tools/vm-run), as root, from the
# repository root, with cpns.ko loaded. The units of KAT_UNITS use the
# known-answer test family: the test module cpns_kat.ko (cpns_kat_ko in
# lib.sh) is loaded before each of them and unloaded after, unless it was
# loaded already. Prints TAP 13: every subtest of every
# C harness program and shell test is one numbered result, so that a SKIP
# is never folded into a pass. Exits non-zero if any result is "not ok".
#
# The units are found, not listed: every NAME_test.c in this directory is a
# kselftest harness program (built by the Makefile, run as NAME_test), every
# NAME_test.sh a shell test (lib.sh's ktap_main); either is the unit NAME.
# A line "cpns-test: TAG..." among a unit's first 30 lines (in its header
# comment) tags it:
#   debug   in the default subset of the debug kernel (make check-debug)
#   reload  unloads or reloads cpns.ko: runs after every unit without the
#           tag, so that the others see the module as vm-run loaded it
# Units run in name order, those tagged reload last.
#
# Usage: selftests/cpns/run_tests.sh [UNIT...]   (default: every unit)
#        selftests/cpns/run_tests.sh --list [TAG]
#               print the units (with TAG: those tagged TAG), one a line,
#               in the order they run, and exit; runs nothing

set -u
DIR=$(cd "$(dirname "$0")" && pwd)

# This script starts no program it can do without: under the debug kernel
# every process start costs seconds (tools/debug-kernel/README), so the
# discovery, counting, timing and output handling below are bash builtins.

# The tags of FILE's "cpns-test:" line. Sets TAGS.
unit_tags()
{
	local line i=0

	TAGS=
	while ((i++ < 30)) && IFS= read -r line; do
		if [[ $line =~ ^[[:space:]/*#]*cpns-test:[[:space:]]*(.*)$ ]]; then
			TAGS=" ${BASH_REMATCH[1]} "
			return 0
		fi
	done <"$1"
	return 0
}

# Every unit as name:kind:source, in the order they run. Sets UNITS.
find_units()
{
	local f base name kind last=()
	declare -A seen=()

	UNITS=()
	for f in "$DIR"/*_test.*; do
		base=${f##*/}
		kind=${base##*.}
		[[ $kind == c || $kind == sh ]] || continue
		name=${base%_test.*}
		if [ -n "${seen[$name]:-}" ]; then
			echo "run_tests.sh: two units named $name" >&2
			exit 1
		fi
		seen[$name]=1
		unit_tags "$f"
		if [[ $TAGS == *" reload "* ]]; then
			last+=("$name:$kind:$base")
		else
			UNITS+=("$name:$kind:$base")
		fi
	done
	UNITS+=("${last[@]}")
}

LC_ALL=C	# the glob's order: the names' bytes
find_units

if [ "${1:-}" = --list ]; then
	for u in "${UNITS[@]}"; do
		IFS=: read -r name kind src <<<"$u"
		if [ -n "${2:-}" ]; then
			unit_tags "$DIR/$src"
			[[ $TAGS == *" $2 "* ]] || continue
		fi
		echo "$name"
	done
	exit 0
fi

KAT_UNITS=" kat katext attr "

if [ $# -gt 0 ]; then
	sel=()
	for want in "$@"; do
		[[ " ${UNITS[*]%%:*} " == *" $want "* ]] ||
			{ echo "run_tests.sh: no unit $want" >&2; exit 1; }
	done
	for u in "${UNITS[@]}"; do
		[[ " $* " == *" ${u%%:*} "* ]] && sel+=("$u")
	done
	UNITS=("${sel[@]}")
fi

export CPNS_SELFTEST_DIR=$DIR
# shellcheck source=selftests/cpns/lib.sh
. "$DIR/lib.sh"

# How many results a unit reports: one per TEST()/TEST_F() of a C program,
# one per test_*() function of a shell test. Counted from the sources so
# that the plan is known before anything runs, and a unit that dies early
# is charged with every result it did not report. Sets COUNT.
unit_count()
{
	local kind=$1 src=$DIR/$2 re line

	case $kind in
	c)  re='^TEST(_F)?(_SIGNAL|_TIMEOUT|_F_TIMEOUT)?\(' ;;
	sh) re='^test_[A-Za-z0-9_]+\(\)' ;;
	esac
	COUNT=0
	[ -r "$src" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		[[ $line =~ $re ]] && COUNT=$((COUNT + 1))
	done <"$src"
	return 0
}

declare -A WANT
total=0
for u in "${UNITS[@]}"; do
	IFS=: read -r name kind src <<<"$u"
	unit_count "$kind" "$src"
	WANT[$name]=$COUNT
	total=$((total + COUNT))
done
# One more result: the kernel log stayed free of warnings.
total=$((total + 1))

n=0 pass=0 fail=0 skip=0 errors=0
# Seconds one unit may take; the debug kernel (tools/debug-kernel/check)
# is several times slower than Debian's.
UNIT_TIMEOUT=${CPNS_UNIT_TIMEOUT:-600}
printf -v start '%(%s)T' -1
dmesg_mark=$(cpns_dmesg_lines)
# One log file for every unit in turn, removed at the end.
log=/tmp/cpns-selftest.$$

emit()	# STATUS NAME [REASON]
{
	n=$((n + 1))
	case $1 in
	pass) pass=$((pass + 1)); echo "ok $n $2" ;;
	skip) skip=$((skip + 1)); echo "ok $n $2 # SKIP ${3:-}" ;;
	*)    fail=$((fail + 1)); echo "not ok $n $2${3:+ # $3}" ;;
	esac
}

echo "TAP version 13"
echo "1..$total"

for u in "${UNITS[@]}"; do
	IFS=: read -r name kind src <<<"$u"
	want=${WANT[$name]}
	echo "# ---- $name ($src, $want tests)"
	printf -v t0 '%(%s)T' -1
	kat_loaded=0
	if [[ $KAT_UNITS == *" $name "* ]] && [ ! -d /sys/module/cpns_kat ]; then
		if kko=$(cpns_kat_ko) && insmod "$kko"; then
			kat_loaded=1
		else
			echo "# $name: cannot load the test module cpns_kat.ko (${kko:-not built})"
		fi
	fi
	case $kind in
	c)  prog=$DIR/${src%.c}
	    if [ -x "$prog" ]; then
		(cd "$CPNS_ROOT" && timeout "$UNIT_TIMEOUT" "$prog") >"$log" 2>&1
	    else
		echo "# $prog is not built (make -C selftests/cpns)" >"$log"
	    fi ;;
	sh) (cd "$CPNS_ROOT" && timeout "$UNIT_TIMEOUT" bash "$DIR/$src") >"$log" 2>&1 ;;
	esac
	rc=$?
	tap=()
	while IFS= read -r line || [ -n "$line" ]; do
		echo "# $line"
		[[ $line =~ ^(\#\ \ RUN\ |ok\ [0-9]|not\ ok\ [0-9]) ]] &&
			tap+=("$line")
	done <"$log"
	if ((kat_loaded)) && ! rmmod cpns_kat; then
		echo "# $name: rmmod cpns_kat failed"
		errors=$((errors + 1))
	fi
	printf -v t1 '%(%s)T' -1
	echo "# ---- $name: exit $rc after $((t1 - t0))s"

	# Flatten the unit's own TAP into ours. The harness prints
	# "ok N # SKIP reason" without a name, so remember the last "RUN".
	got=0 cur= fail0=$fail
	for line in "${tap[@]}"; do
		case $line in
		"#  RUN "*)
			cur=${line#\#  RUN }
			cur=${cur#"${cur%%[! ]*}"}
			cur=${cur% ...} ;;
		"ok "*|"not ok "*)
			[ "${line#TAP}" != "$line" ] && continue
			st=pass
			[ "${line#not }" != "$line" ] && st=fail
			rest=${line#*ok }
			rest=${rest#* }		# drop the number
			[ "$rest" = "${line#*ok }" ] && rest=
			reason=
			case $rest in
			*"# SKIP"*)
				reason=${rest#*# SKIP}
				reason=${reason# }
				rest=${rest%%# SKIP*}
				[ $st = pass ] && st=skip ;;
			esac
			rest=${rest%% }
			tname=${rest:-$cur}
			tname=${tname:-test$((got + 1))}
			emit "$st" "$name.$tname" "$reason"
			got=$((got + 1)) ;;
		esac
	done

	while [ "$got" -lt "$want" ]; do
		got=$((got + 1))
		emit fail "$name.missing$got" "no result (unit exited $rc)"
	done
	# A unit that exits non-zero must have reported a failure; if it
	# did not, count an error so the run cannot pass.
	if [ "$rc" -ne 0 ] && [ "$fail" -eq "$fail0" ]; then
		echo "# $name exited $rc without reporting a failure"
		errors=$((errors + 1))
	fi
done

if out=$(cpns_dmesg_bad "$dmesg_mark"); then
	emit pass "dmesg.no_warnings"
else
	echo "$out" | sed 's/^/# /'
	emit fail "dmesg.no_warnings" "kernel log has warnings"
fi

rm -f "$log"
printf -v t1 '%(%s)T' -1
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:$errors"
echo "# $n results in $((t1 - start))s"
[ "$fail" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$n" -eq "$total" ]
