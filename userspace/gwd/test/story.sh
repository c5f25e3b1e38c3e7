#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The whole story between three hosts: GW1 gets a Key Seed (flow I),
# assigns GW2 a Device ID and Key (flow II, II-9), GW2 authenticates with
# the server (flow a) and exchanges sealed status reports; both ends log
# the same transfer codes; GW1 keeps no Device Key. Then the same GW2 again
# (flow a only), another over IPv6, and a clean stop of both daemons.
set -e
. "$(dirname "$0")/lib.sh"

hosts_up
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30

gw2_conf gw2-a
n_2 "$GWD" --once --reports 3 -c "$WORK/gw2-a.conf" >"$WORK/gw2-a.log" 2>&1 ||
	{ cat "$WORK/gw2-a.log"; fail "GW2 --once failed"; }
cat "$WORK/gw2-a.log"

did=$(cat "$WORK/gw2-a.did")
echo "device id $did"
n_2 "$CPNSCTL" show | grep -q "$did" || fail "GW2's keyring lacks $did"
! n_1 "$CPNSCTL" show | grep -q "$did" || fail "GW1 kept the Device Key $did"
c1=$(sed -n 's/.*II-9 sent device id .*transfer code \([0-9]*\).*/\1/p' "$WORK/gw1.log")
c2=$(sed -n 's/.*II-9 stored .*transfer code \([0-9]*\).*/\1/p' "$WORK/gw2-a.log")
[ -n "$c1" ] && [ "$c1" = "$c2" ] || fail "II-9 transfer codes differ: '$c1' '$c2'"
echo "II-9 transfer code $c1 on both ends"
[ "$(count_log "$WORK/gw2-a.log" "received status ack")" = 3 ] ||
	fail "not 3 acks"

# Again: GW2 has its key now, so only flow a runs.
n_2 "$GWD" --once -c "$WORK/gw2-a.conf" >"$WORK/gw2-a2.log" 2>&1 ||
	{ cat "$WORK/gw2-a2.log"; fail "second GW2 run failed"; }
! grep -q "II-9" "$WORK/gw2-a2.log" || fail "second run asked GW1 again"
grep -q "using device id $did" "$WORK/gw2-a2.log" || fail "second run did not use $did"

# Another GW2, over IPv6 to GW1 and to the server.
gw2_conf gw2-b
sed -i "s/^server = .*/server = $S_ADDR2_6/; s/^gw1 = .*/gw1 = $GW1_ADDR_6/" \
	"$WORK/gw2-b.conf"
n_2 "$GWD" --once -c "$WORK/gw2-b.conf" >"$WORK/gw2-b.log" 2>&1 ||
	{ cat "$WORK/gw2-b.log"; fail "GW2 over IPv6 failed"; }
cat "$WORK/gw2-b.log"
grep -q "session established with \[fd77:3::1\]:7000" "$WORK/gw2-b.log" ||
	fail "GW2 over IPv6: no session with [fd77:3::1]:7000"

echo "--- gw1.log"; cat "$WORK/gw1.log"
echo "--- server.log"; cat "$WORK/server.log"
gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: story"
