#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# II-9 is committed only once it is confirmed (Documentation/protocol.rst
# 9.3, 9.4), in both modes, and a man in the middle of the PN link is
# detected by both:
#
#   operator: GW1 with a control socket; the test plays the operator, who
#     reads the code GW2 shows and types it on GW1 (cpnsctl pair confirm).
#     Honest: the codes match, GW2 gets its key. Through a proxy that
#     substitutes its own X25519 keys toward each side (mitm.py swapkey):
#     the code GW2 shows is not GW1's, the confirmation is refused, GW2 is
#     told (ERROR 5) and nothing is stored. A rejection (ERROR 12) and no
#     decision within confirm_timeout (ERROR 13) store nothing either.
#   pairing key: GW1 and GW2 share a user key. Honest: automatic. Through
#     the same proxy, or with another key on GW2: GW1's kernel refuses the
#     MAC (ERROR 5), nothing stored. A GW2 without a key refuses (ERROR 12).
#
# In every refused case the proxy never forwarded a DEVICE_TRANSFER (the
# sealed key never left GW1) and neither gateway's keyring changed.
set -e
. "$(dirname "$0")/lib.sh"
FAIL_LOGS=1

CTL1=$WORK/gw1.ctl
GW2_PID=

pair1()
{
	n_1 "$CPNSCTL" pair "$@" --control "$CTL1"
}

# gw2_bg NAME: GW2 NAME --once in the background; pid in GW2_PID.
gw2_bg()
{
	ip netns exec "$NS_2" "$GWD" --once -c "$WORK/$1.conf" \
		>"$WORK/$1.log" 2>&1 &
	GW2_PID=$!
	PIDS+=("$GW2_PID")
}

# gw2_wait: GW2_PID's exit status.
gw2_wait()
{
	local rc=0

	wait "$GW2_PID" || rc=$?
	return $rc
}

# shown_code NAME: wait for the code GW2 NAME shows, print it.
shown_code()
{
	wait_log "$WORK/$1.log" "II-9 transfer code [0-9]\{6\} for device id" 60
	sed -n 's/.*II-9 transfer code \([0-9]\{6\}\) for device id.*/\1/p' \
		"$WORK/$1.log" | head -n 1
}

# waiting_id: the ID of the one transfer GW1 holds for the operator (GW1
# shows no code for it).
waiting_id()
{
	local end=$((SECONDS + 30)) out

	while ((SECONDS < end)); do
		out=$(pair1 list)
		if [ "$(grep -c waiting-operator <<<"$out")" = 1 ]; then
			awk '$2 == "waiting-operator" && $(NF - 1) != "-" {
				print "GW1 shows a code: " $0 > "/dev/stderr"; exit 1 }
			     $2 == "waiting-operator" { print $1 }' <<<"$out" ||
				fail "GW1 shows its code"
			return 0
		fi
		sleep 0.1
	done
	echo "$out" >&2
	tail -n 20 "$WORK/gw1.log" "$WORK/proxy-B.log" >&2
	fail "GW1 holds no transfer for the operator"
}

# logged_id NAME: the ID GW1 logs for GW2 NAME's transfer (quicker than
# asking it: GW2's key pair lives 30 s, flow II included).
logged_id()
{
	wait_log "$WORK/gw1.log" "GW2 $1 (.*waiting for the operator: cpnsctl pair confirm [0-9]" 30
	sed -n "s/.*GW2 $1 (.*waiting for the operator: cpnsctl pair confirm \([0-9]*\) .*/\1/p" \
		"$WORK/gw1.log" | tail -n 1
}

# no_transfer_through PROXY: the proxy never forwarded the sealed key.
no_transfer_through()
{
	! grep -q "DEVICE_TRANSFER" "$WORK/proxy-$1.log" ||
		{ cat "$WORK/proxy-$1.log"; fail "the sealed key crossed the proxy"; }
	! grep -q "OPENED" "$WORK/proxy-$1.log" || fail "the proxy opened the key"
	grep -q "swapped public key" "$WORK/proxy-$1.log" ||
		fail "the proxy did not swap the keys"
}

# stored_nothing NAME: GW2 NAME has no Device ID file.
stored_nothing()
{
	[ ! -e "$WORK/$1.did" ] || fail "$1 stored a Device ID"
}

hosts_up
server_start

# ---------------------------------------------------------------- operator
GW1_CONFIRM=operator GW1_EXTRA="confirm_timeout = 25" gw1_conf
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
proxy B "$NS_2" 127.0.0.1:7101 "$GW1_ADDR" \
	c2s:ASSIGN_ASK:1:swapkey:0 s2c:DEVICE_OFFER:1:swapkey:16

# Honest: GW2 shows its code (log and control socket), the operator types it.
GW2_PAIR_KEY=none gw2_conf op1 "control = $WORK/op1.ctl"
gw2_bg op1
code=$(shown_code op1)
n_2 "$CPNSCTL" pair list --control "$WORK/op1.ctl" | tee "$WORK/op1.list"
grep -q "showing-code .* $code " "$WORK/op1.list" ||
	fail "GW2's control socket does not show code $code"
id=$(waiting_id)
pair1 confirm "$id" "$code" | tee "$WORK/op1.confirm"
grep -q "confirmed: code $code" "$WORK/op1.confirm" || fail "confirm output"
gw2_wait || { cat "$WORK/op1.log"; fail "operator path: GW2 failed"; }
grep -q "II-9 sent device id .*transfer code $code confirmed by the operator" \
	"$WORK/gw1.log" || fail "GW1 did not log the confirmation"
grep -q "II-9 stored the Device Key .*transfer code $code" "$WORK/op1.log" ||
	fail "GW2 did not store the key"
grep -q "session established" "$WORK/op1.log" || fail "no session after II-9"
pair1 list --json >"$WORK/op1.json"
grep -q '"pairs":\[\]\|"pairs": \[ \]' "$WORK/op1.json" ||
	{ cat "$WORK/op1.json"; fail "GW1 still lists a transfer"; }
echo "ok - operator confirms the code GW2 shows: key sent, stored, session"

# Man in the middle: the codes differ, the operator's confirmation fails.
snapshot
GW2_PAIR_KEY=none gw2_conf m1
sed -i "s/^gw1 = .*/gw1 = 127.0.0.1:7101/" "$WORK/m1.conf"
gw2_bg m1
code=$(shown_code m1)
id=$(logged_id m1)
rc=0
pair1 confirm "$id" "$code" >"$WORK/m1.confirm" 2>&1 || rc=$?
cat "$WORK/m1.confirm"
[ $rc -eq 1 ] || fail "MITM: cpnsctl pair confirm exited $rc, want 1"
grep -q "differs from GW1's" "$WORK/m1.confirm" || fail "MITM: confirm output"
if gw2_wait; then fail "MITM: GW2 succeeded"; fi
sed 's/^/    /' "$WORK/m1.log"
grep -q "ERROR 5 (bad MAC).*transfer codes differ" "$WORK/m1.log" ||
	fail "MITM: GW2 was not told the codes differ"
grep -q "II-9 transfer codes differ" "$WORK/gw1.log" || fail "MITM: GW1 log"
no_transfer_through B
stored_nothing m1
unchanged "MITM, operator mode"
sed 's/^/    | /' "$WORK/proxy-B.log"
echo "ok - MITM on the PN link detected by the operator's code: nothing sent, nothing stored"

# The operator rejects a transfer.
snapshot
GW2_PAIR_KEY=none gw2_conf r1
gw2_bg r1
shown_code r1 >/dev/null
id=$(logged_id r1)
pair1 reject "$id"
if gw2_wait; then fail "reject: GW2 succeeded"; fi
grep -q "ERROR 12 (denied).*rejected by the operator" "$WORK/r1.log" ||
	{ cat "$WORK/r1.log"; fail "reject: GW2 was not told"; }
stored_nothing r1
unchanged "rejected transfer"
echo "ok - a rejected transfer stores nothing"

# Nobody decides within confirm_timeout.
snapshot
GW2_PAIR_KEY=none gw2_conf t1
gw2_bg t1
shown_code t1 >/dev/null
if gw2_wait; then fail "timeout: GW2 succeeded"; fi
grep -q "ERROR 13 (timeout)" "$WORK/t1.log" ||
	{ cat "$WORK/t1.log"; fail "timeout: GW2 was not told"; }
wait_log "$WORK/gw1.log" "not confirmed within confirm_timeout (25 s)" 10
stored_nothing t1
unchanged "unconfirmed transfer"
echo "ok - an unconfirmed transfer times out and stores nothing"

# A confirmation with a bad ID or a malformed code changes nothing.
rc=0
pair1 confirm 999 123456 2>"$WORK/bad.err" || rc=$?
[ $rc -eq 1 ] && grep -q "no transfer 999" "$WORK/bad.err" ||
	fail "confirm of an unknown ID: exit $rc, $(cat "$WORK/bad.err")"
rc=0
pair1 confirm 1 12a456 2>/dev/null || rc=$?
[ $rc -eq 2 ] || fail "confirm with a malformed code: exit $rc, want 2"
echo "ok - unknown IDs and malformed codes are refused"

gw1_stop

# ---------------------------------------------------------------- pairing key
rm -f "$WORK/gw1.conf"
gw1_conf
gw1_start
proxy B "$NS_2" 127.0.0.1:7101 "$GW1_ADDR" \
	c2s:ASSIGN_ASK:1:swapkey:0 s2c:DEVICE_OFFER:1:swapkey:16

gw2_conf p1
n_2 "$GWD" --once -c "$WORK/p1.conf" >"$WORK/p1.log" 2>&1 ||
	{ cat "$WORK/p1.log"; fail "pairing key: GW2 failed"; }
c1=$(sed -n 's/.*II-9 sent device id .*transfer code \([0-9]*\) confirmed by the pairing key.*/\1/p' "$WORK/gw1.log")
c2=$(sed -n 's/.*II-9 stored .*transfer code \([0-9]*\).*/\1/p' "$WORK/p1.log")
[ -n "$c1" ] && [ "$c1" = "$c2" ] || fail "pairing key: codes '$c1' '$c2'"
echo "ok - pairing key: confirmed automatically, code $c1 on both ends"

snapshot
gw2_conf p2
sed -i "s/^gw1 = .*/gw1 = 127.0.0.1:7101/" "$WORK/p2.conf"
if n_2 "$GWD" --once -c "$WORK/p2.conf" >"$WORK/p2.log" 2>&1; then
	fail "MITM, pairing key: GW2 succeeded"
fi
sed 's/^/    /' "$WORK/p2.log"
grep -q "ERROR 5 (bad MAC).*pairing MAC does not verify" "$WORK/p2.log" ||
	fail "MITM, pairing key: GW2 was not told"
grep -q "II-9 pairing MAC does not verify" "$WORK/gw1.log" ||
	fail "MITM, pairing key: GW1 log"
no_transfer_through B
stored_nothing p2
unchanged "MITM, pairing key"
echo "ok - MITM on the PN link detected by the pairing key: nothing sent, nothing stored"

snapshot
user_key cpns-test-other-$$ >/dev/null
GW2_PAIR_TYPE=user GW2_PAIR_KEY=cpns-test-other-$$ gw2_conf p3
if n_2 "$GWD" --once -c "$WORK/p3.conf" >"$WORK/p3.log" 2>&1; then
	fail "wrong pairing key: GW2 succeeded"
fi
grep -q "ERROR 5 (bad MAC).*pairing MAC does not verify" "$WORK/p3.log" ||
	{ cat "$WORK/p3.log"; fail "wrong pairing key: GW2 was not told"; }
stored_nothing p3
unchanged "wrong pairing key"
echo "ok - a GW2 with another pairing key is refused"

snapshot
GW2_PAIR_KEY=none gw2_conf p4
if n_2 "$GWD" --once -c "$WORK/p4.conf" >"$WORK/p4.log" 2>&1; then
	fail "no pairing key: GW2 succeeded"
fi
grep -q "has no pairing_key; sent ERROR 12" "$WORK/p4.log" ||
	{ cat "$WORK/p4.log"; fail "no pairing key: GW2 log"; }
stored_nothing p4
unchanged "GW2 without a pairing key"
echo "ok - a GW2 without a pairing key refuses a pairing-key transfer"

gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: pairing"
