#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# cpns-serverd with a store, killed with SIGKILL in the middle of a burst
# of assignments (N GW2s asking GW1 at once), then restarted on the same
# store: every Device ID whose II-7 the server sent still authenticates,
# a new assignment works (the server verifies GW1's MACs under the seed),
# and the store holds the one seed GW1 has and nothing else. Then the
# server's kernel state is thrown away (a new namespace S, empty keyring)
# and the restart unwraps the seed from the store: the same again. Last,
# a module reload (rmmod, insmod) and a restart load it back again.
set -e
. "$(dirname "$0")/store_lib.sh"

N=${N:-8}
KILL_AFTER=${KILL_AFTER:-3}

hosts_up
kek_load
store_server_conf
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
sid=$(sed -n 's/.*I-2 made seed id \([0-9a-f]*\).*/\1/p' "$WORK/server.log" | head -n1)
[ -n "$sid" ] || fail "no seed id in server.log"
grep -q "store: seed id $sid of 'gw1' .* committed" "$WORK/server.log" ||
	fail "the seed was not committed to the store"
echo "seed id $sid committed to the store before I-3"

# The burst: N GW2s assigned through GW1 at once.
pids=()
for ((i = 0; i < N; i++)); do
	gw2_conf "gw2-$i"
	ip netns exec "$NS_2" "$GWD" --once -c "$WORK/gw2-$i.conf" \
		>"$WORK/gw2-$i.log" 2>&1 &
	pids+=($!)
done
for ((t = 0; t < 600; t++)); do
	[ "$(count_log "$WORK/server.log" "II-7 sent confirmation")" -ge "$KILL_AFTER" ] &&
		break
	sleep 0.05
done
server_kill9
confirmed=$(count_log "$WORK/server.log" "II-7 sent confirmation")
echo "killed the server (SIGKILL) after $confirmed confirmations of $N"
((confirmed >= KILL_AFTER)) || fail "the burst did not reach $KILL_AFTER confirmations"
((confirmed < N)) || echo "note: every assignment was confirmed before the kill"
for p in "${pids[@]}"; do
	wait "$p" || true
done

# Restart on the same store: the seed is still in S's kernel, same metadata.
server_start
wait_log "$WORK/server.log" "already in the kernel" 10
grep -q "store $STORE ([a-z]*): 1 seeds (0 revoked), device records read per request.*: 0 keys loaded, [1-9][0-9]* already in the kernel" \
	"$WORK/server.log" || fail "restart: the store line is not as expected"

# Every confirmed Device ID authenticates (its GW2 holds it after II-9).
mapfile -t dids < <(sed -n 's/.*II-6 device id \([0-9a-f]*\) verified.*/\1/p' \
	"$WORK/server.log" | sort -u)
((${#dids[@]} == confirmed)) || fail "${#dids[@]} Device IDs for $confirmed confirmations"
check_confirmed()	# check_confirmed TAG
{
	local did f name ok=0

	for did in "${dids[@]}"; do
		f=$(grep -l -x "$did" "$WORK"/gw2-*.did 2>/dev/null | head -n1)
		[ -n "$f" ] || fail "confirmed Device ID $did reached no GW2"
		name=$(basename "$f" .did)
		aflow_ok "$name" "$WORK/$name.$1.log" "$1: confirmed $did"
		grep -q "using device id $did" "$WORK/$name.$1.log" ||
			fail "$1: $name did not use $did"
		! grep -q "II-9" "$WORK/$name.$1.log" || fail "$1: $name was assigned again"
		ok=$((ok + 1))
	done
	echo "$1: all $ok confirmed Device IDs accepted by the server's a-0"
	# A new assignment: II-2 and II-6 verify GW1's MACs under the seed.
	gw2_conf "gw2-new-$1"
	aflow_ok "gw2-new-$1" "$WORK/gw2-new-$1.log" "$1: new assignment"
	assigned "gw2-new-$1" "$WORK/gw2-new-$1.log"
	echo "$1: a new assignment under seed $sid works"
}
check_confirmed restart

# The store holds the seed, the device records of the GW2s whose a-flow
# re-keyed (each a Device ID the server confirmed), and nothing else.
"$CPNSCTL" store check "$STORE"
[ "$(store_count seeds)" = 1 ] || fail "the store holds $(store_count seeds) seeds"
[ "$(store_count revocation_records)" = 0 ] || fail "the store holds revocation records"
mapfile -t rows < <("$CPNSCTL" store show --json "$STORE" |
	python3 -c 'import json,sys; [print(d["device_id"]) for d in json.load(sys.stdin)["devices"] if d["blob_len"]]')
mapfile -t rekeyed < <(sed -n 's/.*store: device id \([0-9a-f]*\) generation .* committed.*/\1/p' \
	"$WORK/server.log" | sort -u)
[ "${#rows[@]}" = "${#rekeyed[@]}" ] ||
	fail "${#rows[@]} device records stored, ${#rekeyed[@]} logged as committed"
mapfile -t known < <(sed -n 's/.*II-6 device id \([0-9a-f]*\) verified.*/\1/p' "$WORK/server.log")
for did in "${rows[@]}"; do
	printf '%s\n' "${known[@]}" | grep -q -x "$did" ||
		fail "device record $did is not of a confirmed assignment"
done
echo "the store holds 1 seed and ${#rows[@]} device records, each of a confirmed assignment"
"$CPNSCTL" store show "$STORE" | grep -q "$sid  active   owner gw1 (10.77.1.2:" ||
	fail "store show: no active seed $sid of gw1"

# The server's kernel state gone: the seed comes back from the store.
server_kill9
s_renew
[ "$(keys_in "$NS_S")" = 0 ] || fail "the new S namespace is not empty"
from=$(log_lines "$WORK/server.log")
server_start
tail -n +"$((from + 1))" "$WORK/server.log" |
	grep -q "store $STORE ([a-z]*): 1 seeds (0 revoked), device records read per request.*: [1-9][0-9]* keys loaded, 0 already in the kernel" ||
	fail "new namespace: the seed was not loaded from the store"
n_s "$CPNSCTL" show | grep -q "^  $sid *server *active" ||
	{ n_s "$CPNSCTL" show; fail "the loaded seed is not in S's keyring"; }
check_confirmed unwrapped

# Module reload: every kernel key is gone, the restart loads the seed again.
server_stop
gw1_stop
rmmod cpns
insmod "$CPNS_KO"
[ "$(keys_in "$NS_S")" = 0 ] || fail "keys survived the module reload"
from=$(log_lines "$WORK/server.log")
server_start
tail -n +"$((from + 1))" "$WORK/server.log" |
	grep -q "1 seeds (0 revoked), .*: [1-9][0-9]* keys loaded, 0 already in the kernel" ||
	fail "after the module reload: the seed was not loaded"
n_s "$CPNSCTL" show | grep -q "^  $sid *server *active" ||
	{ n_s "$CPNSCTL" show; fail "after the module reload: no seed $sid"; }
echo "after a module reload the seed is back in S's keyring"
server_stop
"$CPNSCTL" store check "$STORE"
no_sanitizer_reports
echo "PASS: store_kill ($confirmed of $N assignments confirmed before SIGKILL)"
