#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# cpns-test: tap
#
# cpns-serverd under attack, in the VM: the server in namespace S, a real
# GW1 and GW2 (cpns-serverd-probe, namespaces G1 and G2) and an attacker
# (namespace X, four addresses) joined to S by veth; every address is in
# these namespaces. Each attack (attack.py) runs while, or just before,
# the probe runs a real flow (flows I, II and a: "story"), and the test
# checks, each time:
#   - the attack got what the bounds allow and no more;
#   - the real flow succeeded within FLOW_MAX seconds;
#   - the server's VmRSS grew by less than RSS_MAX kB;
#   - the server logged at most a few lines for the attack (one per cause),
#     not one per connection or frame.
# Prints TAP; the figures (latency, RSS, lines) are in its comments.
#
#   tools/vm-run userspace/test/run_vm_tests.sh serverd/attack

set -u

# The server and the probe share a key in a session keyring of our own.
case $(keyctl rdescribe @s 2>/dev/null) in
*";_uid_ses."* | "") exec keyctl session - bash "$0" "$@" ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SERVERD=$HERE/../cpns-serverd
PROBE=$HERE/cpns-serverd-probe
ATTACK=$HERE/attack.py
NS_S=atk-s-$$ NS_G1=atk-g1-$$ NS_G2=atk-g2-$$ NS_X=atk-x-$$
TARGET=10.1.0.1:4739
# Bounds of this configuration and what the test allows.
MAXC=512 MAXPEER=200 START=5 FRAME=3
FLOW_MAX=30		# s, one real flow (I, II, a) under TCG
RSS_MAX=16384		# kB, growth of the server's RSS across one attack
LINES_MAX=6		# log lines for one attack (one per cause)

n=0 failed=0
t_ok()		# DESCRIPTION CMD...
{
	local desc=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
	fi
}

cleanup()
{
	[[ -n ${PROXIES:-} ]] && kill $PROXIES 2>/dev/null
	[[ -f $DIR/serverd.pid ]] && kill -TERM "$(<"$DIR/serverd.pid")" 2>/dev/null
	wait 2>/dev/null
	for ns in "$NS_S" "$NS_G1" "$NS_G2" "$NS_X"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$DIR"
}

[[ -x $SERVERD && -x $PROBE ]] || {
	echo "attack.sh: build first (make -C userspace)" >&2
	exit 1
}
DIR=$(mktemp -d /tmp/cpns-serverd-attack.XXXXXX)
trap cleanup EXIT

for ns in "$NS_S" "$NS_G1" "$NS_G2" "$NS_X"; do
	ip netns add "$ns" || exit 1
	ip -n "$ns" link set lo up
done
ip link add s-g1 netns "$NS_S" type veth peer name g1-s netns "$NS_G1"
ip link add s-g2 netns "$NS_S" type veth peer name g2-s netns "$NS_G2"
ip link add s-x netns "$NS_S" type veth peer name x-s netns "$NS_X"
ip -n "$NS_S" addr add 10.1.0.1/24 dev s-g1
ip -n "$NS_S" addr add 10.2.0.1/24 dev s-g2
ip -n "$NS_S" addr add 10.9.0.1/24 dev s-x
ip -n "$NS_G1" addr add 10.1.0.2/24 dev g1-s
ip -n "$NS_G2" addr add 10.2.0.2/24 dev g2-s
for i in 2 3 4 5; do
	ip -n "$NS_X" addr add 10.9.0.$i/24 dev x-s
done
for l in "$NS_S s-g1" "$NS_S s-g2" "$NS_S s-x" "$NS_G1 g1-s" \
	 "$NS_G2 g2-s" "$NS_X x-s"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$NS_G1" route add default via 10.1.0.1
ip -n "$NS_G2" route add default via 10.2.0.1
ip -n "$NS_X" route add default via 10.9.0.1

# The probe's seed_pairing_key (probe.c), in our session keyring.
head -c 32 /dev/urandom | keyctl padd logon cpns:serverd-probe-pair @s \
	>/dev/null || echo "Bail out! cannot add the seed pairing key"
cat >"$DIR/serverd.conf" <<EOF
listen = $TARGET
seed_pairing_key = logon:cpns:serverd-probe-pair
max_connections = $MAXC
max_per_address = $MAXPEER
start_timeout = $START
frame_timeout = $FRAME
idle_timeout = 60
step_timeout = 20
seed_allow = gw1
log = stderr
log_level = info
EOF
LOG=$DIR/serverd.log
ip netns exec "$NS_S" "$SERVERD" -f -c "$DIR/serverd.conf" 2>>"$LOG" &
SPID=$!
echo "$SPID" >"$DIR/serverd.pid"
for ((i = 0; i < 100; i++)); do
	grep -q 'started (version' "$LOG" && break
	sleep 0.1
done
t_ok "cpns-serverd starts" grep -q 'started (version' "$LOG"

PT=$(cat /sys/module/cpns/parameters/pending_timeout 2>/dev/null || echo 30)
probe()		# SERVER: one real flow
{
	"$PROBE" --server "$1" --s "$NS_S" --gw1 "$NS_G1" --gw2 "$NS_G2" \
		--pending-timeout "$PT" --frame-timeout "$FRAME" \
		--step-timeout 20 --max-pending 64 \
		--max-connections "$MAXC" story
}
x() { ip netns exec "$NS_X" python3 "$ATTACK" "$@"; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$SPID/status"; }
lines() { wc -l <"$LOG"; }

# real_flow [RETRY-S]: the probe's story, retried for RETRY-S seconds
# (while an attack holds every slot); sets LAT (s, from the first try).
real_flow()
{
	local start=$EPOCHREALTIME end until=$((SECONDS + ${1:-0}))

	while ! probe "$TARGET" >"$DIR/flow.out" 2>&1; do
		((SECONDS < until)) || { sed "s/^/# /" "$DIR/flow.out"; return 1; }
		sleep 1
	done
	end=$EPOCHREALTIME
	LAT=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	awk -v l="$LAT" -v m="$FLOW_MAX" 'BEGIN { exit !(l <= m) }'
}

# The server's log lines since the attack began but the real flows'
# (each flow logs its steps, what it commits to the store, the probe's own
# refused intruder, reports).
attack_log()
{
	tail -n +"$((L0 + 1))" "$LOG" |
		grep -v ' I-[0-9]\| II-[0-9]\| a-[0-9]\|session\|status \|re-keyed\|intruder\|: store: '
}

# Before, after: RSS and log lines around an attack.
before() { RSS0=$(rss); L0=$(lines); }
after()		# NAME [MAX-LINES]: check and report the RSS and the log lines
{
	local rss1 grew max=${2:-$LINES_MAX}

	rss1=$(rss)
	grew=$((rss1 - RSS0))
	ADDED=$(attack_log | wc -l)
	echo "# $1: VmRSS $RSS0 -> $rss1 kB; $ADDED log lines besides the real flows' (of $(($(lines) - L0))); real flow ${LAT:-?} s"
	attack_log | head -n 8 | sed 's/^/#   /'
	t_ok "$1: RSS grew by $grew kB (< $RSS_MAX)" \
		test -n "$rss1" -a "$grew" -lt "$RSS_MAX"
	t_ok "$1: at most $max log lines besides the real flows'" \
		test "$ADDED" -le "$max"
}
# causes PATTERN MAX: the server logged at most MAX lines matching PATTERN
# since the attack began.
causes()
{
	local c

	c=$(tail -n +"$((L0 + 1))" "$LOG" | grep -c -- "$1")
	echo "# '$1': $c lines"
	((c >= 1 && c <= $2))
}

# counts FILE N HELD: attack.py halfopen's line: N connected, none left
# open, at least HELD closed by the server and at least one refused busy.
counts()
{
	awk -v n="$2" -v h="$3" '{ for (i = 1; i <= NF; i++) {
		split($i, a, "="); v[a[1]] = a[2] } }
		END { exit !(v["connected"] == n && v["open"] == 0 &&
			     v["closed"] >= h && v["busy"] >= 1 &&
			     v["closed"] + v["busy"] == n) }' "$1"
}

# ---- baseline
before
t_ok "a real flow before any attack" real_flow
after "baseline"

# ---- 1,000 half-open connections from two addresses
before
x halfopen "$TARGET" 1000 $((START + 4)) 10.9.0.2 10.9.0.3 >"$DIR/h.out" &
APID=$!
sleep 3
t_ok "half-open: a real flow while 1,000 half-open connections are held" \
	real_flow
wait "$APID"
cat "$DIR/h.out" | sed 's/^/# /'
# Slots freed by start_timeout while the attacker is still connecting
# are taken again: at least 2 * MAXPEER were held, the rest refused.
t_ok "half-open: all 1,000 closed by the server (start_timeout) or refused busy" \
	counts "$DIR/h.out" 1000 $((2 * MAXPEER))
after "half-open"
t_ok "half-open: the refusals logged once (max_per_address)" \
	causes "refused: .*max_per_address" 1
t_ok "half-open: the start timeouts logged once" causes "start_timeout" 1

# ---- a slow sender: one byte a second
before
x slow "$TARGET" 30 >"$DIR/s.out" &
APID=$!
sleep 1
t_ok "slow sender: a real flow meanwhile" real_flow
wait "$APID"
sed 's/^/# /' "$DIR/s.out"
t_ok "slow sender: ERROR 13 (timeout) within frame_timeout + 2 s" \
	awk -v f="$FRAME" '{ split($1, a, "="); split($2, b, "=");
		exit !(a[2] <= f + 2 && b[2] == 13) }' "$DIR/s.out"
after "slow sender"
t_ok "slow sender: the timeout logged once" causes "frame not complete" 1

# ---- a flood past max_connections from four addresses
before
x halfopen "$TARGET" 1200 $((START + 6)) 10.9.0.2 10.9.0.3 10.9.0.4 \
	10.9.0.5 >"$DIR/f.out" &
APID=$!
sleep 3
t_ok "flood: a real flow served within start_timeout of the flood (retried)" \
	real_flow $((START + 10))
wait "$APID"
sed 's/^/# /' "$DIR/f.out"
t_ok "flood: all 1,200 closed by the server (start_timeout) or refused busy" \
	counts "$DIR/f.out" 1200 "$MAXC"
after "flood"
t_ok "flood: max_connections refusals logged once" \
	causes "refused: .*(max_connections)" 1

# ---- random bytes and valid-prefix garbage
before
x garbage "$TARGET" 100 >"$DIR/g.out"
sed 's/^/# /' "$DIR/g.out"
t_ok "garbage: every connection ended by the server within 15 s" \
	awk '{ split($1, s, "="); split($2, a, "="); exit !(s[2] == a[2]) }' \
	"$DIR/g.out"
t_ok "garbage: a real flow after 200 garbage connections" real_flow
after "garbage" 14
g=$(tail -n +"$((L0 + 1))" "$LOG" | grep -c "sent ERROR")
echo "# garbage: $g ERROR lines for 200 connections"
t_ok "garbage: one ERROR line per cause ($g for 200 connections)" \
	test "$g" -le 12

# ---- replays of a captured flow
mkdir -p "$DIR/cap"
PROXIES=
for ns in "$NS_G1" "$NS_G2"; do
	ip netns exec "$ns" python3 "$ATTACK" proxy 127.0.0.1:4740 "$TARGET" \
		"$DIR/cap" >"$DIR/proxy-$ns.out" 2>&1 &
	PROXIES="$PROXIES $!"
done
for ((i = 0; i < 50; i++)); do
	[[ $(cat "$DIR"/proxy-*.out 2>/dev/null | grep -c listening) == 2 ]] && break
	sleep 0.1
done
t_ok "replay: a real flow captured" probe 127.0.0.1:4740 >"$DIR/cap.out" 2>&1
kill $PROXIES 2>/dev/null
wait $PROXIES 2>/dev/null
PROXIES=
before
x replay "$TARGET" "$DIR/cap" 10 >"$DIR/r.out"
sed 's/^/# /' "$DIR/r.out"
# Flow I is unauthenticated by design (the seed is sealed to the
# requester's key): its replay is answered. Nothing after a challenge is.
t_ok "replay: no ASSIGN_CONFIRM, AUTH_SERVER or SEALED answer to a replay" \
	bash -c "! grep -Eq 'types=.*(0x13|0x23|0x30):' '$DIR/r.out'"
t_ok "replay: every replayed II-5 and a-1 refused" \
	grep -Eq 'types=.*E[0-9]+:' "$DIR/r.out"
# The first replay of II-1 after the flow it was captured from made a
# challenge again (the kernel had consumed the original): it stays pending
# until pending_timeout, and the probe's story wants none pending.
sleep $((PT + 1))
t_ok "replay: a real flow after the replays" real_flow
# A step's refusal is logged at most 5 times a minute per cause (the
# same line): 10 replays of a-0 (expired: re-keyed) and 9 of II-1 (exists).
after "replay" 16
for code in 8 11; do
	c=$(tail -n +"$((L0 + 1))" "$LOG" | grep -c "sent ERROR $code ")
	echo "# replay: $c lines of ERROR $code"
	t_ok "replay: the refusals with ERROR $code logged 1 to 5 times" \
		test "$c" -ge 1 -a "$c" -le 5
done

# ---- the captured flows again, each connection's frames in one write:
# a frame is read only once the one before is answered (its kernel
# command and its row may wait for the idle loop meanwhile).
before
x pipeline "$TARGET" "$DIR/cap" 5 >"$DIR/p.out"
sed 's/^/# /' "$DIR/p.out"
t_ok "pipeline: every connection answered, none left waiting" \
	grep -Eq 'conns=[1-9][0-9]* unanswered=0 ' "$DIR/p.out"
t_ok "pipeline: no ASSIGN_CONFIRM, AUTH_SERVER or SEALED answer" \
	bash -c "! grep -Eq 'types=.*(0x13|0x23|0x30):' '$DIR/p.out'"
t_ok "pipeline: the server is silent for none (no timeout)" \
	bash -c "! grep -q 'timeout:' '$DIR/p.out'"
sleep $((PT + 1))
t_ok "pipeline: a real flow after them" real_flow
after "pipeline" 16

kill -TERM "$SPID"
wait "$SPID"
t_ok "cpns-serverd exits 0 on SIGTERM" test $? -eq 0
grep 'connections accepted' "$LOG" | sed 's/^/# /'
echo "# server log: $(lines) lines"
echo "1..$n"
exit $((failed > 0))
