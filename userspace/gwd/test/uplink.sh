#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# GW1 keeps its link to the server between assignments (server_links,
# server_idle_timeout; Documentation/cpns-gwd.rst): assignments in a row
# share one connection; one the server closes under a kept link is run
# again on a new connection and succeeds; a frame the server sends on an
# idle link ends that link alone; an idle link closes after
# server_idle_timeout; server_links = 0 gives a connection per assignment.
#
#   GW1 --server--> 127.0.0.1:7100 (proxy A in GW1) --> S
set -e
. "$(dirname "$0")/lib.sh"

IDLE=2		# server_idle_timeout in its own step, seconds

# assign NAME: GW2 NAME --once (assignment, one report); fails the test if
# it fails.
assign()
{
	gw2_conf "$1"
	n_2 "$GWD" --once --reports 1 -c "$WORK/$1.conf" >"$WORK/$1.log" 2>&1 || {
		sed 's/^/    /' "$WORK/$1.log"
		fail "$1 was not assigned"
	}
}

# links: GW1's open connections to proxy A.
links()
{
	n_1 ss -Htn state established '( dport = :7100 )' | wc -l
}

# no_links: true once GW1 holds no link to proxy A (within 5 s).
no_links()
{
	local i

	for ((i = 0; i < 50; i++)); do
		[ "$(links)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# ii1 FROM: GW1's II-1 lines after line FROM of its log.
ii1()
{
	tail -n +"$(($1 + 1))" "$WORK/gw1.log" | grep "II-1 sent assign request" || true
}

# since_has TEXT: GW1 logged TEXT after line $from of its log.
since_has()
{
	tail -n +"$((from + 1))" "$WORK/gw1.log" | grep -q -- "$1"
}

hosts_up
server_start
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR"
GW1_EXTRA="server_links = 2
server_idle_timeout = 60"
gw1_conf
sed -i "s/^server = .*/server = 127.0.0.1:7100/" "$WORK/gw1.conf"
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 60
# Flow I's own connection closes once the seed is stored.
no_links || true

# Three assignments in a row: one connection.
from=$(log_lines "$WORK/gw1.log")
assign g1
assign g2
assign g3
lines=$(ii1 "$from")
echo "$lines" | sed 's/^/    | /'
[ "$(echo "$lines" | wc -l)" -eq 3 ] || fail "want 3 II-1 lines"
[ "$(echo "$lines" | grep -c "(kept link)")" -eq 2 ] ||
	fail "the second and third assignments did not use the kept link"
echo "$lines" | head -n 1 | grep -q "(kept link)" &&
	fail "the first assignment cannot have had a kept link"
[ "$(links)" -eq 1 ] || { n_1 ss -tna; fail "GW1 holds $(links) links to the server, want 1"; }
echo "ok - three assignments on one kept link"

# The server side closes the kept link as II-1 arrives on it: GW1 starts
# again on a new connection and the assignment succeeds.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR" c2s:ASSIGN_REQUEST:2:close
assign g4
from=$(log_lines "$WORK/gw1.log")
assign g5
tail -n +"$((from + 1))" "$WORK/gw1.log" | sed 's/^/    | /'
since_has "the kept link to 127.0.0.1:7100 had ended (.*): connecting again" ||
	fail "GW1 did not start again after the kept link closed"
since_has "assignment failed" && fail "the assignment failed"
grep -q "ASSIGN_REQUEST #3 forwarded" "$WORK/proxy-A.log" ||
	fail "II-1 was not sent again"
echo "ok - a kept link closed under II-1: the assignment ran on a new one"

# A frame from the server on an idle link ends that link, not the
# assignment it follows.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR" s2c:ASSIGN_CONFIRM:1:dup
from=$(log_lines "$WORK/gw1.log")
assign g6
wait_log "$WORK/gw1.log" "sent ASSIGN_CONFIRM on an idle link: sent ERROR 4" 10 "$from"
since_has "assignment failed" && fail "the assignment failed"
no_links || fail "the idle link that got a frame is still open"
echo "ok - a frame on an idle link closes it"

# An idle link closes after server_idle_timeout.
proxy A "$NS_1" 127.0.0.1:7100 "$S_ADDR"
gw1_stop
sed -i "s/^server_idle_timeout = .*/server_idle_timeout = $IDLE/" "$WORK/gw1.conf"
gw1_start
from=$(log_lines "$WORK/gw1.log")
assign g7
wait_log "$WORK/gw1.log" "closed the idle link to the server 127.0.0.1:7100: unused for $IDLE s" 20 "$from"
[ "$(links)" -eq 0 ] || fail "the idle link is still open"
echo "ok - an idle link closes after server_idle_timeout ($IDLE s)"

# server_links = 0: a connection per assignment.
gw1_stop
sed -i "s/^server_links = .*/server_links = 0/" "$WORK/gw1.conf"
gw1_start
from=$(log_lines "$WORK/gw1.log")
assign g8
assign g9
[ "$(ii1 "$from" | wc -l)" -eq 2 ] || fail "want 2 II-1 lines"
ii1 "$from" | grep -q "(kept link)" && fail "server_links = 0 kept a link"
no_links || fail "server_links = 0 left a link open"
echo "ok - server_links = 0: a new connection per assignment"

grep -E 'cpns-gwd.*err' "$WORK/gw1.log" && fail "GW1 logged errors"
gw1_stop
server_stop
proxy_stop A
no_sanitizer_reports
echo "PASS: uplink"
