#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The daemons' tests, run inside the VM (tools/vm-run, cpns.ko loaded):
# cpns-serverd against its probe (serverd/test/run.sh, TAP of its own),
# then cpns-gwd with cpns-serverd between three namespaces: the whole
# story, 50 GW2s at once, attacks and faults (gwd/test/*.sh, one result
# each), and the server's store (serverd/test/store_*.sh, one result each;
# the reboot test, store_reboot.sh, boots VMs itself and runs on the host).
# Prints one TAP stream; exits 1 if anything failed.

set -u

# The tests keep pairing keys and KEKs in the session keyring the daemons
# inherit: give the run one (tools/vm-run starts CMD without, and keyctl
# would put a key added to @s in a keyring of its own, lost at once).
case $(keyctl rdescribe @s 2>/dev/null) in
*";_uid_ses."* | "") exec keyctl session - bash "$0" "$@" ;;
esac
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

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

# serverd: re-number its TAP results into ours; its comments go through.
log=$(mktemp)
bash serverd/test/run.sh >"$log" 2>&1
status=$?
saw=0
while IFS= read -r line; do
	case $line in
	"ok "*) saw=1; result 0 "serverd: ${line#* - }" ;;
	"not ok "*) saw=1; result 1 "serverd: ${line#* - }" ;;
	"1.."*) ;;
	*) echo "# $line" ;;
	esac
done <"$log"
rm -f "$log"
((saw)) || result 1 "serverd: run.sh reported no result"
((status == 0)) || result 1 "serverd: run.sh exited $status"

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

# nosecret.sh: the daemons under strace (--seccomp-bpf, the calls that
# move bytes only) and their memory, searched for every secret of one
# flow of each kind (Documentation/testing.rst). rotate.sh: seed rotation
# with overlap, restart, refusal and sweep; reassign.sh: GW1 re-assigns
# a GW2.
gwd_tests=(story many attacks rekey pairing store nosecret rotate reassign)
for t in "${gwd_tests[@]}"; do
	script "gwd: $t" "gwd/test/$t.sh"
done

# cpns-serverd's store: SIGKILL during a burst, restart, a new kernel
# state and a module reload; damaged stores and KEKs; revocation.
for t in store_kill store_corrupt store_revoke; do
	script "serverd: $t" "serverd/test/$t.sh"
done

echo "TAP version 13"
echo "1..$n"
printf '%s\n' "${lines[@]}"
exit "$failed"
