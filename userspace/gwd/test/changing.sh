#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# A changing-mode device (role = changing; Documentation/cpns-gwd.rst): one
# namespace whose uplink moves between the secure WAN and a non-secure one.
#
#   S  10.77.1.1 --+-- br-sec (secure WAN) ------+
#      10.77.3.1 --+-- br-ns  (non-secure WAN) --+-- CM: 10.77.1.2 or 10.77.3.2
#
# The bridges live in a namespace of their own; a move re-attaches the CM
# device's veth peer to the other bridge and changes its address. The
# server keeps a store. Checked:
# - a CM device that never reached the secure WAN is refused with a clear
#   error, and nothing is stored (no key, no seed, no file, no server row);
# - on the secure WAN it gets a seed (flow I) and assigns itself (II-1 ..
#   II-8, no II-9): a gw1 seed and a self-assigned gw2 Device Key side by
#   side in its kernel; flow a and sealed reports follow;
# - flow a runs after each move (non-secure, back, and again), always
#   with the same Device ID, which the server's store holds once;
# - a kill -9 during a move, and the loss of the kernel's copy (a
#   reboot): the store brings the same key back, no new assignment;
# - a revocation at the server: refused on the non-secure WAN (an ERROR
#   is not authenticated there), a fresh assignment at the next secure
#   attachment.
set -e
export GWD_TEST_LIB=$(dirname "$0")/lib.sh
. "$(dirname "$0")/../../serverd/test/store_lib.sh"

NS_B=$NS_1			# the bridges (lib.sh's GW1 namespace, unused)
KEK=cpns-test:cmkek-$$
CONF=$WORK/cm.conf
LOG=$WORK/cm.log
CM_STORE=$WORK/cm.store
T0=$SECONDS
LAP=$SECONDS
LAPS=

# lap NAME: the seconds since the last lap, for the summary line.
lap()
{
	LAPS+=" $1 $((SECONDS - LAP))s"
	LAP=$SECONDS
}

n_b() { ip netns exec "$NS_B" "$@"; }

topology()
{
	local ns

	for ns in "$NS_S" "$NS_B" "$NS_2"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	n_b ip link add br-sec type bridge
	n_b ip link add br-ns type bridge
	n_b ip link set br-sec up
	n_b ip link set br-ns up
	ip link add s-sec netns "$NS_S" type veth peer name p-ssec netns "$NS_B"
	ip link add s-ns netns "$NS_S" type veth peer name p-sns netns "$NS_B"
	ip link add cm0 netns "$NS_2" type veth peer name p-cm netns "$NS_B"
	ip -n "$NS_S" addr add 10.77.1.1/24 dev s-sec
	ip -n "$NS_S" addr add 10.77.3.1/24 dev s-ns
	n_b ip link set p-ssec master br-sec
	n_b ip link set p-sns master br-ns
	for ns in s-sec s-ns; do
		ip -n "$NS_S" link set "$ns" up
	done
	for ns in p-ssec p-sns p-cm; do
		n_b ip link set "$ns" up
	done
	ip -n "$NS_2" link set cm0 up
}

# move secure|nonsecure: the CM device's uplink to that WAN.
move()
{
	local a=10.77.3.2 br=br-ns

	[ "$1" = secure ] && a=10.77.1.2 br=br-sec
	n_b ip link set p-cm master $br
	printf 'addr flush dev cm0\naddr add %s/24 dev cm0\n' $a |
		ip -n "$NS_2" -batch -
}

cm_start()
{
	ip netns exec "$NS_2" "$GWD" -f -c "$CONF" >>"$LOG" 2>&1 &
	CM_PID=$!
	PIDS+=("$CM_PID")
}

# session_on ADDR FROM: a session with the server at ADDR, after line FROM.
session_on()
{
	wait_log "$LOG" "a-4 server verified; session established with $1 for device id $DID" 60 "$2"
	wait_log "$LOG" "received status ack" 40 "$2"
}

cm_keys() { n_2 "$CPNSCTL" show; }

topology
kek_load
logon_key "$KEK" >/dev/null
logon_key "$SEED_PAIR_KEY" >/dev/null
store_server_conf "control = $WORK/server.ctl"
server_start

cat >"$CONF" <<END
role = changing
name = cm1
server = 10.77.1.1:7000
server_nonsecure = 10.77.3.1:7000
secure_wan = 10.77.1.0/24
wan_check = 1
store = $CM_STORE
kek = logon:$KEK
seed_pairing_key = logon:$SEED_PAIR_KEY
device_id_file = $WORK/cm.did
report_interval = 1
reconnect_min = 1
reconnect_max = 2
log_level = info
END
n_2 "$GWD" --check -c "$CONF" | grep -q "configuration OK (role changing, name cm1)" ||
	fail "--check does not accept role = changing"

# 1. Never on the secure WAN: a clear error, nothing stored.
move nonsecure
if n_2 "$GWD" --once -c "$CONF" >"$WORK/never.log" 2>&1; then
	cat "$WORK/never.log"
	fail "a CM device that never reached the secure WAN succeeded"
fi
grep -q "assigns itself on the secure WAN only, and it is on the non-secure WAN" "$WORK/never.log" ||
	{ cat "$WORK/never.log"; fail "never secure: no clear error"; }
echo "never secure: $(grep -m1 -o 'no Device Key: .*' "$WORK/never.log")"
[ ! -e "$CM_STORE" ] && [ ! -e "$WORK/cm.did" ] || fail "never secure: a file was written"
! cm_keys | grep -qE '^  [0-9a-f]{16}' || { cm_keys; fail "never secure: a key is in the kernel"; }
! grep -q "I-1 received\|I-2 made seed" "$WORK/server.log" ||
	fail "never secure: the server was asked for a seed"
echo "ok - never on the secure WAN: refused, nothing stored"
lap never

# 2. On the secure WAN: flow I, self-assignment, flow a.
move secure
cm_start
wait_log "$LOG" "assigned to itself" 60
DID=$(sed -n 's/.*device id \([0-9a-f]\{32\}\) assigned to itself.*/\1/p' "$LOG" | head -n1)
[ -n "$DID" ] || fail "no Device ID in the log"
session_on 10.77.1.1:7000 0
SID=${DID:0:16}
cm_keys | grep -q "^  $SID *gw1 *active" || { cm_keys; fail "no gw1 seed $SID"; }
cm_keys | grep -q "^  $DID *gw2 *active .*self-assigned" ||
	{ cm_keys; fail "no self-assigned gw2 Device Key $DID"; }
grep -E -q "$DID gw2 active gen [0-9]+ self-assigned" /proc/keys ||
	fail "/proc/keys does not show the self-assigned mark"
! grep -E -q "II-9 (sent|offered|received|transfer)|DEVICE_EXPORT" "$LOG" || fail "a CM device ran II-9"
[ -s "$CM_STORE" ] || fail "the Device Key was not stored"
[ "$(cat "$WORK/cm.did")" = "$DID" ] || fail "device_id_file does not name $DID"
echo "ok - secure WAN: seed $SID and self-assigned device $DID, session"
lap assign

# 3. Back and forth: flow a after each move, same Device ID.
for wan in nonsecure secure nonsecure; do
	from=$(log_lines "$LOG")
	move $wan
	wait_log "$LOG" "on the $([ $wan = secure ] && echo secure || echo non-secure) WAN" 40 "$from"
	session_on "$([ $wan = secure ] && echo 10.77.1.1 || echo 10.77.3.1):7000" "$from"
	echo "ok - moved to the $wan WAN: session for $DID"
	lap "$wan"
done
[ "$(count_log "$LOG" "assigned to itself")" = 1 ] || fail "assigned more than once"
[ "$(count_log "$WORK/server.log" "I-2 made seed")" = 1 ] || fail "more than one seed"

# 4. kill -9 during a move, and a lost kernel copy: the store.
kill -9 "$CM_PID"
wait "$CM_PID" 2>/dev/null || true
move secure
n_2 "$CPNSCTL" key del --device "$DID"
from=$(log_lines "$LOG")
cm_start
session_on 10.77.1.1:7000 "$from"
tail -n +"$((from + 1))" "$LOG" | grep -q "assigned to itself" &&
	fail "a new assignment after a restart: the store was not used"
cm_keys | grep -q "^  $DID *gw2 *active .*self-assigned" ||
	{ cm_keys; fail "the key from the store lost its self-assigned mark"; }
echo "ok - kill -9 during a move, key lost: back from the store, same device"
lap kill

# The server's store holds the one seed, owned by cm1, and the device.
"$CPNSCTL" store show "$STORE" >"$WORK/store.txt"
grep -q "$SID" "$WORK/store.txt" || { cat "$WORK/store.txt"; fail "the server's store lacks seed $SID"; }
[ "$(store_count seeds)" = 1 ] || { cat "$WORK/store.txt"; fail "the server's store holds more than one seed"; }

# 5. Revoked at the server: refused on the non-secure WAN, a fresh
# assignment once back on the secure one.
from=$(log_lines "$LOG")
move nonsecure
wait_log "$LOG" "on the non-secure WAN" 40 "$from"
# The running server revokes it (its store, and its live sessions close).
"$CPNSCTL" server revoke "$DID" --control "$WORK/server.ctl" >/dev/null ||
	fail "cannot revoke $DID at the server"
wait_log "$LOG" "revoked" 60 "$from"
sleep 2
cm_keys | grep -q "^  $DID *gw2" || fail "the CM device dropped its key on an unauthenticated ERROR"
from=$(log_lines "$LOG")
move secure
wait_log "$LOG" "assigning itself afresh" 60 "$from"
wait_log "$LOG" "assigned to itself" 60 "$from"
OLD=$DID
DID=$(tail -n +"$((from + 1))" "$LOG" | sed -n 's/.*device id \([0-9a-f]\{32\}\) assigned to itself.*/\1/p' | head -n1)
[ -n "$DID" ] && [ "$DID" != "$OLD" ] || fail "no new Device ID after the revocation"
session_on 10.77.1.1:7000 "$from"
! cm_keys | grep -q "^  $OLD *gw2 *active" || fail "the revoked key is still active"
echo "ok - revoked: fresh assignment $DID at the next secure attachment"
lap revoke

from=$(log_lines "$LOG")
move nonsecure
session_on 10.77.3.1:7000 "$from"
stop_daemon "$CM_PID" "cpns-gwd (changing)" "$LOG"
no_sanitizer_reports
lap end
echo "ok - changing-mode device in $((SECONDS - T0)) s:$LAPS"
