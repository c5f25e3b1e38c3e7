#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Many GW2s (N, default 50) assigned through one GW1 and authenticated with
# the server at the same time, each exchanging sealed reports; then GW1 and
# the server stop cleanly on SIGTERM.
set -e
. "$(dirname "$0")/lib.sh"

N=${N:-50}
hosts_up
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30

pids=()
for ((i = 0; i < N; i++)); do
	gw2_conf "gw2-$i"
	ip netns exec "$NS_2" "$GWD" --once --reports 2 -c "$WORK/gw2-$i.conf" \
		>"$WORK/gw2-$i.log" 2>&1 &
	pids+=($!)
done
bad=0
for ((i = 0; i < N; i++)); do
	if ! wait "${pids[$i]}"; then
		echo "--- gw2-$i failed:"
		cat "$WORK/gw2-$i.log"
		bad=$((bad + 1))
	fi
done
[ $bad -eq 0 ] || fail "$bad of $N GW2s failed"

keys=$(n_2 "$CPNSCTL" show | grep -c ' gw2 ' || true)
echo "GW2 namespace holds $keys Device Keys"
[ "$keys" -eq "$N" ] || { n_2 "$CPNSCTL" show; fail "want $N Device Keys"; }
[ "$(sort -u "$WORK"/gw2-*.did | wc -l)" -eq "$N" ] || fail "Device IDs not distinct"
n_1 "$CPNSCTL" show | grep -q ' device ' && { n_1 "$CPNSCTL" show; fail "GW1 kept Device Keys"; }
[ "$(count_log "$WORK/gw1.log" "II-9 sent device id")" -eq "$N" ] ||
	fail "GW1 did not log $N hand-overs"
[ "$(count_log "$WORK/server.log" "session .* established")" -eq "$N" ] ||
	fail "the server did not log $N sessions"
grep -E 'cpns-gwd.*(warning|err)' "$WORK/gw1.log" && fail "GW1 logged problems"

gw1_stop
grep -q "stopped; $N Device IDs assigned" "$WORK/gw1.log" || fail "GW1 stop line"
server_stop
no_sanitizer_reports
echo "PASS: many ($N GW2s)"
