#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# A name server that never answers does not stop cpns-gwd. GW1's namespace
# has a resolv.conf of its own (ip netns exec binds /etc/netns/NS/* over
# /etc) naming 127.0.0.1, where a UDP socket takes the queries and answers
# none; GW1's first server is a name only DNS could know (slow.test), its
# second the server's address. While the lookup waits, GW1's control
# socket answers; at connect_timeout the name fails with one warning
# naming it, GW1 fails over to the second server and gets its Key Seed;
# SIGTERM then ends GW1 at once (status 0) though the lookup's thread
# still waits on the name server.
set -e
. "$(dirname "$0")/lib.sh"
FAIL_LOGS=1

hosts_up
mkdir -p "/etc/netns/$NS_1"
resolve_cleanup() {
	rm -rf "/etc/netns/$NS_1"
	cleanup
}
trap resolve_cleanup EXIT
# Five tries of 30 s each, glibc's most: the lookup outlives the test.
printf 'nameserver 127.0.0.1\noptions timeout:30 attempts:5\n' \
	>"/etc/netns/$NS_1/resolv.conf"
printf 'hosts: files dns\n' >"/etc/netns/$NS_1/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"/etc/netns/$NS_1/hosts"
ip netns exec "$NS_1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("silent name server up", flush=True)
time.sleep(3600)
' >"$WORK/silent.log" 2>&1 &
PIDS+=($!)
wait_log "$WORK/silent.log" "silent name server up" 20
rc=0
n_1 timeout 3 getent hosts slow.test >/dev/null || rc=$?
[ $rc -eq 124 ] || fail "slow.test: the name server answered (getent: $rc)"

server_start
# shellcheck disable=SC2034 # gw1_conf (lib.sh) reads them
S_ADDR=slow.test:7000 GW1_CONFIRM=operator \
	GW1_EXTRA=$'server = 10.77.1.1:7000\nconnect_timeout = 20' gw1_conf
gw1_start
wait_log "$WORK/gw1.log" "I-1 connecting to the server slow.test:7000" 30
wait_log "$WORK/gw1.log" "control socket $WORK/gw1.ctl" 30
n_1 timeout 5 "$CPNSCTL" pair list --control "$WORK/gw1.ctl" \
	>"$WORK/pairs.out" 2>&1 ||
	{ cat "$WORK/pairs.out"; fail "GW1's control socket did not answer while it resolved slow.test"; }
! grep -q "cannot resolve" "$WORK/gw1.log" ||
	fail "the lookup had ended before the control socket was asked"

wait_log "$WORK/gw1.log" "cannot resolve slow.test: no answer within connect_timeout (20 s)" 60
wait_log "$WORK/gw1.log" "failing over to 10.77.1.1:7000" 30
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 60
n=$(count_log "$WORK/gw1.log" "cannot resolve")
[ "$n" -eq 1 ] || fail "the name's failure was logged $n times, not once"

# The lookup's thread still waits on the name server (30 s): it must not
# hold the daemon up.
threads=$(find "/proc/$GW1_PID/task" -mindepth 1 -maxdepth 1 | wc -l)
[ "$threads" -ge 2 ] || fail "no lookup thread left in GW1 ($threads threads)"
gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: resolve"
