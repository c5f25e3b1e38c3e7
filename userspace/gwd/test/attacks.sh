#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Attacks and faults that the gateways meet, each through a proxy (mitm.py)
# that changes one frame on its way: every one must end in a clear log line
# and an ERROR with the right code, and change no key in either gateway's
# keyring (and leave nothing pending in GW1's kernel). Then the recoveries:
# a server restarted under a running GW2 session, a GW1 restart that keeps
# its seed.
#
#   GW1 --server--> 127.0.0.1:7100 (proxy A in GW1) --> S
#   GW2 --gw1-----> 127.0.0.1:7101 (proxy B in GW2) --> GW1
#   GW2 --server--> 127.0.0.1:7102 (proxy C in GW2) --> S
set -e
. "$(dirname "$0")/lib.sh"

# gw2_once NAME: run GW2 NAME --once (config made by gw2_conf); its status.
gw2_once()
{
	local rc=0

	n_2 "$GWD" --once --reports "${REPORTS:-2}" -c "$WORK/$1.conf" \
		>"$WORK/$1.log" 2>&1 || rc=$?
	sed 's/^/    /' "$WORK/$1.log"
	return $rc
}

# expect_refused CASE NAME LOGFILE TEXT: GW2 NAME --once must fail, LOGFILE
# must say TEXT, and no key may have changed.
expect_refused()
{
	local lines=0 i

	# GW2's own log is rewritten by the run; another daemon's grows.
	[ "$3" = "$WORK/$2.log" ] || lines=$(wc -l <"$3")
	snapshot
	if gw2_once "$2"; then
		fail "$1: GW2 succeeded"
	fi
	# The daemon on the far side logs asynchronously: give it a moment.
	for ((i = 0; i < 50; i++)); do
		tail -n +"$((lines + 1))" "$3" | grep -q -- "$4" && break
		sleep 0.1
	done
	tail -n +"$((lines + 1))" "$3" | sed 's/^/    | /'
	tail -n +"$((lines + 1))" "$3" | grep -q -- "$4" ||
		fail "$1: no '$4' in $3"
	unchanged "$1"
	echo "ok - $1"
}

gw2_conf_proxied()
{
	gw2_conf "$1" "${2:-}"
	sed -i "s/^server = .*/server = 127.0.0.1:7102/; s/^gw1 = .*/gw1 = 127.0.0.1:7101/" \
		"$WORK/$1.conf"
}

hosts_up
# A store, so that the re-keyed records survive the server's restart below.
KEK_S=cpns:attacks-test-$$
head -c 32 /dev/urandom | keyctl padd logon "$KEK_S" @s >/dev/null ||
	fail "cannot add the server's KEK"
KEYS_ADDED+=("$KEK_S")
server_conf
cat >>"$WORK/server.conf" <<END
store = $WORK/server.db
kek = logon:$KEK_S
END
server_start
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR"
proxy B "$NS_2" 127.0.0.1:7101 "$GW1_ADDR"
proxy C "$NS_2" 127.0.0.1:7102 "$S_ADDR2"
gw1_conf
sed -i "s/^server = .*/server = 127.0.0.1:7100/" "$WORK/gw1.conf"
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30

# -- flow II, between GW1 and the server ------------------------------

# II-1 with a forged MAC: the server refuses it, GW1 passes the code on.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR" c2s:ASSIGN_REQUEST:1:flip:30
gw2_conf_proxied t1
expect_refused "forged II-1 MAC" t1 "$WORK/gw1.log" \
	"assignment failed: .*ERROR 5 (bad MAC)"
grep -q "ERROR 5" "$WORK/t1.log" || fail "GW2 was not told bad MAC"

# II-3 with a tampered challenge: GW1's kernel refuses it.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR" s2c:ASSIGN_CHALLENGE:1:flip:20
gw2_conf_proxied t2
expect_refused "tampered II-3 challenge" t2 "$WORK/gw1.log" \
	"II-3 challenge refused (ASSIGN_DERIVE).*sent ERROR 5"

# II-5 with a wrong Device ID: the server refuses it, GW1 deletes the
# pending Device Key it derived.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR" c2s:ASSIGN_DEVICE_ID:1:flip:12
gw2_conf_proxied t3
expect_refused "wrong Device ID at II-5" t3 "$WORK/gw1.log" \
	"deleted GW1's copy of the Device Key"

# II-7 with a wrong code: GW1's kernel destroys the Device Key.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR" s2c:ASSIGN_CONFIRM:1:flip:20
gw2_conf_proxied t4
expect_refused "wrong II-7 code" t4 "$WORK/gw1.log" \
	"II-8: the server's verification code .* does not match"

# The server goes away in the middle of flow II.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR" s2c:ASSIGN_CONFIRM:1:close
gw2_conf_proxied t5
expect_refused "server gone in the middle of flow II" t5 "$WORK/gw1.log" \
	"flow II with the server .* closed the connection"

proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR"

# -- II-9, between GW2 and GW1 ------------------------------------------

# The sealed Device Key altered on the PN link: GW2's kernel refuses it
# and tells GW1.
proxy B "$NS_2" 127.0.0.1:7101 "$GW1_ADDR" s2c:DEVICE_TRANSFER:1:flip:60
gw2_conf_proxied t6
expect_refused "altered DEVICE_TRANSFER" t6 "$WORK/t6.log" \
	"II-9 transfer refused (DEVICE_IMPORT).*ERROR 5"
wait_log "$WORK/gw1.log" "after II-9: the peer sent ERROR 5" 10

# The PN link cut just before II-9 reaches GW2: GW1 has handed the key
# over and deleted its copy, GW2 never got it.
proxy B "$NS_2" 127.0.0.1:7101 "$GW1_ADDR" s2c:DEVICE_TRANSFER:1:close
gw2_conf_proxied t7
expect_refused "PN link cut before II-9" t7 "$WORK/t7.log" \
	"II-9 with GW1 .* closed the connection"

# GW2 disconnects right after asking: GW1 abandons the assignment.
proxy B "$NS_2" 127.0.0.1:7101 "$GW1_ADDR" c2s:ASSIGN_ASK:1:cut
gw2_conf_proxied t8
expect_refused "GW2 gone in the middle of flow II" t8 "$WORK/gw1.log" \
	"GW2 t8 .*PN link: the peer closed the connection; assignment abandoned"

# Garbage on the PN link: GW1 answers ERROR, and still serves.
snapshot
out=$(n_2 $MITM send "$GW1_ADDR" 0118000000000005deadbeef00)
echo "    garbage (bad ASSIGN_ASK length): $out"
[ "$out" = "ERROR 3" ] || fail "garbage: GW1 answered '$out', want ERROR 3"
out=$(n_2 $MITM send "$GW1_ADDR" 02aa)
echo "    garbage (version 2): $out"
[ "$out" = "ERROR 1" ] || fail "garbage: GW1 answered '$out', want ERROR 1"
out=$(n_2 $MITM send "$GW1_ADDR" 0120000000000025$(printf '%074d' 0))
echo "    AUTH_HELLO on the PN link: $out"
[ "$out" = "ERROR 4" ] || fail "AUTH_HELLO: GW1 answered '$out', want ERROR 4"
unchanged "garbage on the PN link"
echo "ok - garbage on the PN link"

proxy B "$NS_2" 127.0.0.1:7101 "$GW1_ADDR"

# -- flow a and the session, between GW2 and the server -----------------

# One good assignment for the rest.
gw2_conf_proxied good "report_interval = 1"
gw2_once good || fail "the good GW2 failed"

# a-3 altered: GW2's kernel refuses the server's code.
proxy C "$NS_2" 127.0.0.1:7102 "$S_ADDR2" s2c:AUTH_SERVER:1:flip:0
expect_refused "altered a-3 code" good "$WORK/good.log" \
	"a-4: the server's verification code does not match.*ERROR 5"

# A sealed STATUS_ACK altered: it does not open.
proxy C "$NS_2" 127.0.0.1:7102 "$S_ADDR2" s2c:SEALED:1:flip:12
expect_refused "altered sealed record" good "$WORK/good.log" \
	"does not open.*ERROR 5"

# A sealed STATUS_ACK replayed: its sequence number has passed.
proxy C "$NS_2" 127.0.0.1:7102 "$S_ADDR2" s2c:SEALED:1:dup
expect_refused "replayed sealed record" good "$WORK/good.log" \
	"already passed.*ERROR 9"

proxy C "$NS_2" 127.0.0.1:7102 "$S_ADDR2"
gw2_once good || fail "the good GW2 failed after the attacks"

# -- recoveries ---------------------------------------------------------

# A server restarted in the middle of a session: GW2 reconnects by itself.
ip netns exec "$NS_2" "$GWD" -f -c "$WORK/good.conf" >"$WORK/good-d.log" 2>&1 &
GOOD_PID=$!
PIDS+=($GOOD_PID)
wait_log "$WORK/good-d.log" "received status ack" 30
server_stop
wait_log "$WORK/good-d.log" "retrying in" 30
server_start
n=$(count_log "$WORK/good-d.log" "session established")
[ "$n" -ge 1 ] || fail "no first session"
for ((i = 0; i < 300; i++)); do
	[ "$(count_log "$WORK/good-d.log" "session established")" -ge 2 ] && break
	sleep 0.1
done
[ "$(count_log "$WORK/good-d.log" "session established")" -ge 2 ] ||
	{ cat "$WORK/good-d.log"; fail "GW2 did not come back after the restart"; }
# Reports flow again in the new session.
acks=$(count_log "$WORK/good-d.log" "received status ack")
for ((i = 0; i < 300; i++)); do
	[ "$(count_log "$WORK/good-d.log" "received status ack")" -gt "$acks" ] && break
	sleep 0.1
done
[ "$(count_log "$WORK/good-d.log" "received status ack")" -gt "$acks" ] ||
	fail "no STATUS_ACK in the new session"
stop_daemon "$GOOD_PID" "cpns-gwd (GW2)" "$WORK/good-d.log"
sed 's/^/    /' "$WORK/good-d.log"
echo "ok - server restart: GW2 recovered by itself"

# GW1 restarted: it keeps using its seed.
gw1_stop
from=$(log_lines "$WORK/gw1.log")
gw1_start
tail -n +"$((from + 1))" "$WORK/gw1.log" | grep -q "using Key Seed" ||
	fail "GW1 did not reuse its seed"
gw2_conf_proxied after
gw2_once after || fail "a GW2 after the GW1 restart failed"
echo "ok - GW1 restart keeps its Key Seed"

# GW1's seed deleted under it: the next assignment gets a new one first.
sid=$(n_1 "$CPNSCTL" show | awk '$2 == "gw1" { print $1; exit }')
n_1 "$CPNSCTL" key del --seed "$sid"
gw2_conf_proxied reseed
gw2_once reseed || fail "a GW2 after the seed was deleted failed"
grep -q "II-1: Key Seed $sid is gone" "$WORK/gw1.log" || fail "GW1 did not notice"
[ "$(count_log "$WORK/gw1.log" "I-3 stored Key Seed")" -eq 2 ] ||
	fail "GW1 did not get a second seed"
echo "ok - a deleted seed is replaced by flow I"

gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: attacks"
