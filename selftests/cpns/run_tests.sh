#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the cpns selftests inside the VM (tools/vm-run), as root, from the
# repository root, with cpns.ko loaded. Prints TAP 13: every subtest of every
# C harness program and shell test is one numbered result, so that a SKIP
# is never folded into a pass. Exits non-zero if any result is "not ok".
#
# Usage: selftests/cpns/run_tests.sh [UNIT...]   (default: every unit)

set -u
DIR=$(cd "$(dirname "$0")" && pwd)
export CPNS_SELFTEST_DIR=$DIR
# shellcheck source=selftests/cpns/lib.sh
. "$DIR/lib.sh"

# name:kind:source. Order matters: the units that reload the module run
# last, so that earlier units see the module as vm-run loaded it.
UNITS=(
	info:c:info_test.c
	kat:sh:kat.sh
	katext:c:katext_test.c
	keyctl:sh:keyctl.sh
	addkey:sh:addkey.sh
	perm:c:perm_test.c
	netns:sh:netns.sh
	attr:c:attr_test.c
	flow:c:flow_test.c
	store:c:store_test.c
	rekey:c:rekey_test.c
	rotate:c:rotate_test.c
	demo:sh:demo_test.sh
	nlfuzz:sh:nlfuzz.sh
	teardown:sh:teardown.sh
	expiry:sh:expiry.sh
	module:sh:module.sh
)

if [ $# -gt 0 ]; then
	sel=()
	for u in "${UNITS[@]}"; do
		for want in "$@"; do
			[ "${u%%:*}" = "$want" ] && sel+=("$u")
		done
	done
	UNITS=("${sel[@]}")
fi

# How many results a unit reports: one per TEST()/TEST_F() of a C program,
# one per test_*() function of a shell test. Counted from the sources so
# that the plan is known before anything runs, and a unit that dies early
# is charged with every result it did not report.
unit_count()
{
	local kind=$1 src=$DIR/$2

	case $kind in
	c)  grep -cE '^TEST(_F)?(_SIGNAL|_TIMEOUT|_F_TIMEOUT)?\(' "$src" ;;
	sh) grep -cE '^test_[A-Za-z0-9_]+\(\)' "$src" ;;
	esac
}

total=0
for u in "${UNITS[@]}"; do
	IFS=: read -r _ kind src <<<"$u"
	total=$((total + $(unit_count "$kind" "$src")))
done
# One more result: the kernel log stayed free of warnings.
total=$((total + 1))

n=0 pass=0 fail=0 skip=0 errors=0
# Seconds one unit may take; the debug kernel (tools/debug-kernel/check)
# is several times slower than Debian's.
UNIT_TIMEOUT=${CPNS_UNIT_TIMEOUT:-600}
start=$(date +%s)
dmesg_mark=$(cpns_dmesg_lines)

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
	want=$(unit_count "$kind" "$src")
	echo "# ---- $name ($src, $want tests)"
	log=$(mktemp /tmp/cpns-selftest.XXXXXX)
	t0=$(date +%s)
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
	sed 's/^/# /' "$log"
	echo "# ---- $name: exit $rc after $(( $(date +%s) - t0 ))s"

	grep -E '^(#  RUN |ok [0-9]|not ok [0-9])' "$log" >"$log.tap"
	# Flatten the unit's own TAP into ours. The harness prints
	# "ok N # SKIP reason" without a name, so remember the last "RUN".
	got=0 cur= fail0=$fail
	while IFS= read -r line; do
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
	done <"$log.tap"
	rm -f "$log" "$log.tap"

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

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:$errors"
echo "# $n results in $(( $(date +%s) - start ))s"
[ "$fail" -eq 0 ] && [ "$errors" -eq 0 ] && [ "$n" -eq "$total" ]
