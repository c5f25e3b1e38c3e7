#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The daemons' tests, run inside the VM (tools/vm-run, cpns.ko loaded).
# Prints one TAP stream; exits 1 if anything failed.
#
# The tests are found, not listed: every userspace/*/test/*.sh but the
# libraries (lib.sh, *_lib.sh) is one test, one result named "DIR: NAME"
# (gwd/test/story.sh: "gwd: story"), run in the order of DIR, then NAME.
# A line "cpns-test: TAG..." among a test's first 30 lines tags it:
#   tap   the test prints TAP of its own; each of its results becomes one
#         here, "DIR: <its name>" (serverd/test/run.sh against its probe)
#   host  not run here: it runs on the host and boots VMs itself
#         (serverd/test/store_reboot.sh, a stage of make check)
# A test's output is shown after its result line ("# "-prefixed), all of
# it when it failed, its last 3 lines when it passed.
#
# Usage: userspace/test/run_vm_tests.sh [TEST...]  (default: every test)
#        userspace/test/run_vm_tests.sh --list [TAG]
#   TEST is DIR/NAME (gwd/story) or NAME; --list prints the tests (with
#   TAG: those tagged TAG, host ones included) as DIR/NAME and exits.

set -u
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/${BASH_SOURCE[0]##*/}
cd "${SELF%/*}/.." || exit 1

# The tags of FILE's "cpns-test:" line. Sets TAGS.
test_tags()
{
	local line i=0

	TAGS=
	while ((i++ < 30)) && IFS= read -r line; do
		if [[ $line =~ ^[[:space:]#]*cpns-test:[[:space:]]*(.*)$ ]]; then
			TAGS=" ${BASH_REMATCH[1]} "
			return 0
		fi
	done <"$1"
	return 0
}

LC_ALL=C	# the glob's order: the names' bytes
TESTS=()
for f in */test/*.sh; do
	case ${f##*/} in
	lib.sh | *_lib.sh) continue ;;
	esac
	TESTS+=("$f")
done

if [ "${1:-}" = --list ]; then
	for f in "${TESTS[@]}"; do
		test_tags "$f"
		[ -z "${2:-}" ] || [[ $TAGS == *" $2 "* ]] || continue
		name=${f%.sh}
		echo "${name/\/test\//\/}"
	done
	exit 0
fi

if (($#)); then
	sel=()
	for want in "$@"; do
		found=0
		for f in "${TESTS[@]}"; do
			name=${f%.sh}
			name=${name/\/test\//\/}
			if [ "$want" = "$name" ] || [ "$want" = "${name#*/}" ]; then
				sel+=("$f")
				found=1
			fi
		done
		((found)) || { echo "run_vm_tests.sh: no test $want" >&2; exit 1; }
	done
	TESTS=("${sel[@]}")
fi

# The tests keep pairing keys and KEKs in the session keyring the daemons
# inherit: give the run one (tools/vm-run starts CMD without, and keyctl
# would put a key added to @s in a keyring of its own, lost at once).
case $(keyctl rdescribe @s 2>/dev/null) in
*";_uid_ses."* | "") exec keyctl session - bash "$SELF" "$@" ;;
esac

n=0
failed=0
declare -a lines=()

result() {	# result STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		lines+=("ok $n - $2")
	else
		lines+=("not ok $n - $2")
		failed=1
	fi
}

# tap RESULT-PREFIX PATH: re-number the test's TAP results into ours; its
# other lines go through as comments.
tap() {
	local log status saw=0 line

	log=$(mktemp)
	bash "$2" >"$log" 2>&1
	status=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) saw=1; result 0 "$1: ${line#* - }" ;;
		"not ok "*) saw=1; result 1 "$1: ${line#* - }" ;;
		"1.."*) ;;
		*) echo "# $line" ;;
		esac
	done <"$log"
	rm -f "$log"
	((saw)) || result 1 "$1: ${2##*/} reported no result"
	((status == 0)) || result 1 "$1: ${2##*/} exited $status"
}

# script RESULT-NAME PATH: one result for one test script.
script() {
	local log start status skip

	log=$(mktemp)
	start=$SECONDS
	bash "$2" >"$log" 2>&1
	status=$?
	if ((status)); then
		sed 's/^/# /' "$log"
	else
		tail -n 3 "$log" | sed 's/^/# /'
	fi
	echo "# $2: exit $status after $((SECONDS - start)) s"
	result "$status" "$1"
	# What a store test could not check (store_lib.sh: AFLOW-SKIP) is a
	# result of its own, skipped.
	skip=$(sed -n 's/^AFLOW-SKIP: //p' "$log" | head -n1)
	if [ -n "$skip" ] && ((status == 0)); then
		n=$((n + 1))
		lines+=("ok $n - $1: GW2 sessions # SKIP $skip")
	fi
	rm -f "$log"
}

for f in "${TESTS[@]}"; do
	test_tags "$f"
	[[ $TAGS == *" host "* ]] && continue
	dir=${f%%/*}
	name=${f##*/}
	name=${name%.sh}
	if [[ $TAGS == *" tap "* ]]; then
		tap "$dir" "$f"
	else
		script "$dir: $name" "$f"
	fi
done

echo "TAP version 13"
echo "1..$n"
printf '%s\n' "${lines[@]}"
exit "$failed"
