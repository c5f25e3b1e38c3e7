#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Revocation on the server, with a store: "cpnsctl server revoke" (the
# daemon's control socket) closes the device's live session and stores the
# kernel's revocation record in the device's row (the server's kernel
# keeps none), its next a-flow is refused
# with a reason logged by the server and by GW2, another device of the
# same seed is not affected, revoking again is harmless, and the
# revocation survives a restart of the server with its kernel state gone.
# "cpnsctl revoke seed" then refuses every device of that seed, also
# after a restart.
set -e
. "$(dirname "$0")/store_lib.sh"

hosts_up
kek_load
store_server_conf "control = $WORK/server.ctl"
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
sid=$(sed -n 's/.*I-2 made seed id \([0-9a-f]*\).*/\1/p' "$WORK/server.log" | head -n1)

# GW2 a and b assigned under the seed; a in a live session when the
# a-flow can complete (see store_lib.sh).
gw2_conf gw2-a "report_interval = 1"
gw2_conf gw2-b
r=$(aflow gw2-a "$WORK/gw2-a.1.log")
assigned gw2-a "$WORK/gw2-a.1.log"
aflow_ok gw2-b "$WORK/gw2-b.1.log" "GW2 b before"
assigned gw2-b "$WORK/gw2-b.1.log"
did_a=$(cat "$WORK/gw2-a.did")
did_b=$(cat "$WORK/gw2-b.did")
[ "${did_a:0:16}" = "$sid" ] && [ "${did_b:0:16}" = "$sid" ] || fail "devices of another seed"
gw2a=
if [ "$r" = ok ]; then
	ip netns exec "$NS_2" "$GWD" -f -c "$WORK/gw2-a.conf" >>"$WORK/gw2-a.log" 2>&1 &
	gw2a=$!
	PIDS+=("$gw2a")
	wait_log "$WORK/gw2-a.log" "session established" 60
	wait_log "$WORK/gw2-a.log" "received status ack" 30
elif [ "$r" != rekey ]; then
	cat "$WORK/gw2-a.1.log"
	fail "GW2 a: a-flow $r"
fi

# Revoke a: the kernel closes its session and wraps a revocation record,
# which the server stores in a's row; the kernel keeps nothing of a.
from_s=$(log_lines "$WORK/server.log")
sctl() { n_s "$CPNSCTL" server "$@" --control "$WORK/server.ctl"; }
out=$(sctl revoke "$did_a" --json)
echo "$out"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["store"] == "revoked", d' "$out" ||
	fail "server revoke: not revoked"
"$CPNSCTL" store show "$STORE" | grep -q "^  $did_a  revoked " ||
	fail "the store does not hold $did_a as revoked"
"$CPNSCTL" store show --json "$STORE" | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["devices"] if x["device_id"] == sys.argv[1]]
assert d and d[0]["blob_len"] == 104, d' "$did_a" ||
	fail "the row of $did_a does not hold a revocation record (a 104-byte blob)"
! n_s "$CPNSCTL" show | grep -q "$did_a" ||
	{ n_s "$CPNSCTL" show; fail "the server's kernel holds a key of $did_a"; }
if [ -n "$gw2a" ]; then
	# Its session is gone: its next report fails, its next a-flow is
	# refused.
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["sessions_closed"] >= 1, d' "$out" ||
		fail "revoke device: no session closed"
	wait_log "$WORK/gw2-a.log" "revoked" 60
	stop_daemon "$gw2a" "cpns-gwd (GW2 a)" "$WORK/gw2-a.log"
	echo "GW2 a: $(grep -m1 "revoked" "$WORK/gw2-a.log")"
else
	echo "AFLOW-SKIP: no live session of GW2 a to close (see above)"
fi
[ "$(aflow gw2-a "$WORK/gw2-a.2.log")" = revoked ] ||
	{ cat "$WORK/gw2-a.2.log"; fail "revoked GW2 a: not refused as revoked"; }
wait_log "$WORK/server.log" "refusing AUTH_HELLO: a-0: .*revoked" 10 "$from_s"
echo "server: $(tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -m1 "refusing AUTH_HELLO")"
echo "GW2 a: $(grep -m1 "revoked" "$WORK/gw2-a.2.log")"

# Idempotent.
out=$(sctl revoke "$did_a" --json)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["store"] == "already revoked", d' "$out" ||
	fail "revoking again: $out"
# Bad input changes nothing.
before=$(md5sum <"$STORE")
n_s "$CPNSCTL" revoke device 00112233 --store "$STORE" 2>/dev/null && fail "a short DID was accepted"
n_s "$CPNSCTL" revoke device "$did_a" 2>/dev/null && fail "revoke without --store was accepted"
n_s "$CPNSCTL" revoke device ffffffffffffffff0000000000000000 --store "$STORE" 2>"$WORK/err" &&
	fail "a device of an unknown seed was accepted"
grep -q "not in this store" "$WORK/err" || { cat "$WORK/err"; fail "unknown seed: unclear error"; }
[ "$(md5sum <"$STORE")" = "$before" ] || fail "refused revocations changed the store"

# b is not affected.
aflow_ok gw2-b "$WORK/gw2-b.2.log" "GW2 b after a's revocation"

# The revocation persists: the server's kernel state is thrown away.
server_kill9
s_renew
from_s=$(log_lines "$WORK/server.log")
server_start
tail -n +"$((from_s + 1))" "$WORK/server.log" |
	grep -q "1 seeds (0 revoked), device records read per request" ||
	fail "restart: the store was not opened"
[ "$(aflow gw2-a "$WORK/gw2-a.3.log")" = revoked ] ||
	{ cat "$WORK/gw2-a.3.log"; fail "GW2 a not refused as revoked after a restart"; }
aflow_ok gw2-b "$WORK/gw2-b.3.log" "GW2 b after a restart"

# Revoke the seed: every device of it is refused, also after a restart.
out=$(n_s "$CPNSCTL" revoke seed "$sid" --store "$STORE" --json)
echo "$out"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["store"] == "revoked", d' "$out" ||
	fail "revoke seed: $out"
[ "$(aflow gw2-b "$WORK/gw2-b.4.log")" = revoked ] ||
	{ cat "$WORK/gw2-b.4.log"; fail "GW2 b not refused as revoked under a revoked seed"; }
server_kill9
s_renew
from_s=$(log_lines "$WORK/server.log")
server_start
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -q "1 seeds (1 revoked)" ||
	fail "restart: the seed's revocation was not loaded"
[ "$(aflow gw2-b "$WORK/gw2-b.5.log")" = revoked ] ||
	{ cat "$WORK/gw2-b.5.log"; fail "GW2 b not refused as revoked after a restart"; }
[ "$(store_count seeds_revoked)" = 1 ] && [ "$(store_count devices_revoked)" -ge 1 ] ||
	fail "store counts"
server_stop
gw1_stop
no_sanitizer_reports
echo "PASS: store_revoke"
