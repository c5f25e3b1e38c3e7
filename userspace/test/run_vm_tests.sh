#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The daemons' tests, run inside the VM (tools/vm-run, cpns.ko loaded):
# cpns-serverd against its probe (serverd/test/run.sh, TAP of its own),
# then cpns-gwd with cpns-serverd between three namespaces: the whole
# story, 50 GW2s at once, attacks and faults (gwd/test/*.sh, one result
# each). Prints one TAP stream; exits 1 if anything failed.

set -u
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

for t in story many attacks; do
	log=$(mktemp)
	start=$SECONDS
	bash "gwd/test/$t.sh" >"$log" 2>&1
	status=$?
	if ((status)); then
		sed 's/^/# /' "$log"
	else
		tail -n 3 "$log" | sed 's/^/# /'
	fi
	echo "# gwd/test/$t.sh: exit $status after $((SECONDS - start)) s"
	rm -f "$log"
	result "$status" "gwd: $t"
done

echo "TAP version 13"
echo "1..$n"
printf '%s\n' "${lines[@]}"
exit "$failed"
