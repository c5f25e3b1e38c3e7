#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# GW1's PN link under attack (hosts of lib.sh; the attacker is a process in
# GW2's namespace, serverd/test/attack.py):
#
#   - GW2s offering an X25519 public key of small order: GW1 must answer
#     ERROR 3 (malformed) at once, before it asks the server for anything
#     (no II-1 reaches the server, no challenge or Device ID is spent, no
#     key or pending object changes on GW1), and log one line for all;
#   - GW2s that vanish (reset) right after II-9's ASSIGN_ASK: GW1 abandons
#     each and keeps serving a real GW2, its RSS bounded.
#
# Each step states what GW1 did, its VmRSS and log lines, and the real
# GW2's time.
set -e
. "$(dirname "$0")/lib.sh"

ATTACK=$GWD_TEST_DIR/../../serverd/test/attack.py
RSS_MAX=16384		# kB: growth of GW1's RSS across an attack
GW2_MAX=60		# s: a real GW2 assigned (flows II and a) under TCG

x() { n_2 python3 "$ATTACK" "$@"; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$GW1_PID/status"; }

# real_gw2 NAME: a GW2 gets its Device ID and a session; sets LAT.
real_gw2()
{
	local start=$SECONDS

	gw2_conf "$1"
	n_2 "$GWD" --once --reports 1 -c "$WORK/$1.conf" >"$WORK/$1.log" 2>&1 ||
		{ cat "$WORK/$1.log"; fail "GW2 $1 failed"; }
	LAT=$((SECONDS - start))
	((LAT <= GW2_MAX)) || fail "GW2 $1 took $LAT s (> $GW2_MAX)"
}

hosts_up
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 60
real_gw2 g0
echo "ok - baseline: a GW2 assigned in $LAT s"

# -- small-order keys -------------------------------------------------
snapshot
s0=$(count_log "$WORK/server.log" "II-1")
l0=$(log_lines "$WORK/gw1.log")
r0=$(rss)
x lowkey "$GW1_ADDR" 40 >"$WORK/lowkey.out"
cat "$WORK/lowkey.out"
grep -q "types=E3:40 " "$WORK/lowkey.out" ||
	fail "low-order key: not every ASSIGN_ASK answered ERROR 3"
ms=$(sed -n 's/.* ms=\([0-9]*\)$/\1/p' "$WORK/lowkey.out")
((ms < 5000)) || fail "low-order key: an answer took $ms ms"
s1=$(count_log "$WORK/server.log" "II-1")
[ "$s0" = "$s1" ] ||
	fail "low-order key: the server saw II-1 ($s0 -> $s1 lines)"
unchanged "low-order key"
c=$(tail -n +"$((l0 + 1))" "$WORK/gw1.log" | grep -c "has small order" || true)
added=$(($(log_lines "$WORK/gw1.log") - l0))
[ "$c" = 1 ] || fail "low-order key: $c lines for 40 GW2s (want 1)"
((added <= 3)) || fail "low-order key: GW1 logged $added lines for 40 GW2s"
echo "ok - 40 low-order keys refused with ERROR 3 in at most $ms ms each, before flow II: no II-1 at the server, no key changed, $added log line(s); GW1 VmRSS $r0 -> $(rss) kB"

# -- GW2s that vanish after asking -------------------------------------
l0=$(log_lines "$WORK/gw1.log")
r0=$(rss)
x vanish "$GW1_ADDR" 200 >"$WORK/vanish.out"
cat "$WORK/vanish.out"
grep -q "vanished=200" "$WORK/vanish.out" || fail "vanish: not 200 asks sent"
real_gw2 g1
r1=$(rss)
added=$(($(log_lines "$WORK/gw1.log") - l0))
echo "GW1 logged $added lines (each GW2's II-9 ask, at info; the abandonments five times a minute); last:"
tail -n 5 "$WORK/gw1.log" | sed 's/^/    /'
((r1 - r0 < RSS_MAX)) || fail "vanish: GW1 RSS grew $r0 -> $r1 kB"
c=$(tail -n +"$((l0 + 1))" "$WORK/gw1.log" | grep -c "assignment abandoned" || true)
((c >= 1 && c <= 6)) ||
	fail "vanish: $c 'assignment abandoned' lines for 200 GW2s (want 1 to 6)"
echo "ok - 200 GW2s vanished after II-9's ask; a real GW2 then assigned in $LAT s; GW1 VmRSS $r0 -> $r1 kB; $added log lines"
no_sanitizer_reports
echo "pnattack: OK"
