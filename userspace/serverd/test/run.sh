#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# cpns-test: tap
#
# cpns-serverd in the VM: three network namespaces (the server S and
# gateways GW1, GW2, joined by veth pairs), cpns-serverd running in S, and
# cpns-serverd-probe driving it as GW1, GW2s and attackers (see probe.c).
# Prints TAP; exits 1 if any test failed.
#
#   tools/vm-run --module-args pending_timeout=5 userspace/serverd/test/run.sh
#
# Also checks the configuration errors, the comparison code in the log, a
# restart of the server under an open session, and SIGTERM.
#
# Internal: "run.sh restart DIR" restarts the server of a run (the probe's
# --restart-cmd).

set -u

# The store's KEK and the seed_pairing_key the server and the probe share
# live in a session keyring of our own, which both
# inherit (tools/vm-run starts us without one; a key added to @s would
# land in a keyring of keyctl's own and be lost).
if [[ ${1:-} != restart ]]; then
	case $(keyctl rdescribe @s 2>/dev/null) in
	*";_uid_ses."* | "") exec keyctl session - bash "$0" "$@" ;;
	esac
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SERVERD=$HERE/../cpns-serverd
PROBE=$HERE/cpns-serverd-probe
NS_S=sd-s NS_G1=sd-g1 NS_G2=sd-g2

start_server()	# DIR: start it in S, wait until it has started
{
	local dir=$1 i before

	before=$(grep -c 'started (version' "$dir/serverd.log" 2>/dev/null)
	ip netns exec "$NS_S" "$SERVERD" -f -c "$dir/serverd.conf" \
		2>>"$dir/serverd.log" &
	echo $! >"$dir/serverd.pid"
	for ((i = 0; i < 100; i++)); do
		(($(grep -c 'started (version' "$dir/serverd.log") > before)) &&
			return 0
		kill -0 "$(<"$dir/serverd.pid")" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

if [[ ${1:-} == restart ]]; then
	dir=$2
	kill -TERM "$(<"$dir/serverd.pid")" || exit 1
	while kill -0 "$(<"$dir/serverd.pid")" 2>/dev/null; do sleep 0.1; done
	echo "---- restart" >>"$dir/serverd.log"
	start_server "$dir"
	exit
fi

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

# Renumber the probe's TAP into ours; keep its diagnostics.
relay()
{
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*)
			n=$((n + 1))
			echo "ok $n - ${line#* - }"
			;;
		"not ok "*)
			n=$((n + 1))
			failed=$((failed + 1))
			echo "not ok $n - ${line#* - }"
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done
}

cleanup()
{
	[[ -f $DIR/serverd.pid ]] && kill -TERM "$(<"$DIR/serverd.pid")" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_G1" 2>/dev/null
	ip netns del "$NS_G2" 2>/dev/null
	rm -rf "$DIR"
}

[[ -x $SERVERD && -x $PROBE ]] || {
	echo "run.sh: build first (make -C userspace)" >&2
	exit 1
}
DIR=$(mktemp -d /tmp/cpns-serverd-test.XXXXXX)
trap cleanup EXIT

# ---- namespaces: S--GW1 (secure WAN), S--GW2 (non-secure WAN), GW1--GW2
for ns in "$NS_S" "$NS_G1" "$NS_G2"; do
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" || exit 1
	ip -n "$ns" link set lo up
done
ip link add s-g1 netns "$NS_S" type veth peer name g1-s netns "$NS_G1"
ip link add s-g2 netns "$NS_S" type veth peer name g2-s netns "$NS_G2"
ip link add g1-g2 netns "$NS_G1" type veth peer name g2-g1 netns "$NS_G2"
ip -n "$NS_S" addr add 10.1.0.1/24 dev s-g1
ip -n "$NS_S" addr add fd00:1::1/64 dev s-g1 nodad
ip -n "$NS_S" addr add 10.2.0.1/24 dev s-g2
ip -n "$NS_S" addr add fd00:2::1/64 dev s-g2 nodad
ip -n "$NS_G1" addr add 10.1.0.2/24 dev g1-s
ip -n "$NS_G1" addr add fd00:1::2/64 dev g1-s nodad
ip -n "$NS_G1" addr add 10.3.0.1/24 dev g1-g2
ip -n "$NS_G2" addr add 10.2.0.2/24 dev g2-s
ip -n "$NS_G2" addr add fd00:2::2/64 dev g2-s nodad
ip -n "$NS_G2" addr add 10.3.0.2/24 dev g2-g1
for l in "$NS_S s-g1" "$NS_S s-g2" "$NS_G1 g1-s" "$NS_G1 g1-g2" \
	 "$NS_G2 g2-s" "$NS_G2 g2-g1"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
# Each gateway reaches both of S's addresses (S delivers them locally).
ip -n "$NS_G1" route add default via 10.1.0.1
ip -n "$NS_G1" -6 route add default via fd00:1::1
ip -n "$NS_G2" route add default via 10.2.0.1
ip -n "$NS_G2" -6 route add default via fd00:2::1

PT=$(cat /sys/module/cpns/parameters/pending_timeout 2>/dev/null || echo 30)
MAXP=60 MAXC=80 MANY=50 FRAME=2 STEP=20

# ---- configuration errors (file:line, nothing started)
bad()		# EXPECTED-MESSAGE LINE...
{
	local want=$1 out
	shift
	printf '%s\n' "$@" >"$DIR/bad.conf"
	out=$("$SERVERD" --check -c "$DIR/bad.conf" 2>&1) && return 1
	grep -qF -- "$want" <<<"$out" || { echo "# got: $out"; return 1; }
}
t_ok "config: unknown key is an error with file:line" \
	bad "bad.conf:2: unknown key 'lisen'" "listen = 10.1.0.1:1" "lisen = x"
t_ok "config: malformed address" \
	bad "bad.conf:1: listen: '10.1.0.1': expected ADDR:PORT" "listen = 10.1.0.1"
t_ok "config: IPv6 without brackets" \
	bad "bad.conf:1: listen: 'fd00::1:80': expected ADDR:PORT (IPv6 in brackets)" \
	"listen = fd00::1:80"
t_ok "config: number out of range" \
	bad "bad.conf:2: max_pending: 0 is out of range 1..65536" \
	"listen = 10.1.0.1:1" "max_pending = 0"
t_ok "config: bad choice" \
	bad "bad.conf:2: log: 'file' is not one of: stderr, syslog" \
	"listen = 10.1.0.1:1" "log = file"
t_ok "config: repeated key" \
	bad "bad.conf:3: 'max_pending' given more than once" \
	"listen = 10.1.0.1:1" "max_pending = 3" "max_pending = 4"
t_ok "config: missing listen" bad "bad.conf: missing 'listen'" "log = stderr"

# A store, so that the re-keyed records survive the restart below, and
# the probe's seed_pairing_key (probe.c): a logon key, 32 random bytes.
KEK_DESC=cpns:serverd-test-$$
head -c 32 /dev/urandom | keyctl padd logon "$KEK_DESC" @s >/dev/null
head -c 32 /dev/urandom | keyctl padd logon cpns:serverd-probe-pair @s \
	>/dev/null || echo "Bail out! cannot add the seed pairing key"
cat >"$DIR/serverd.conf" <<EOF
# cpns-serverd test configuration (userspace/serverd/test/run.sh)
store = $DIR/server.db
kek = logon:$KEK_DESC
seed_pairing_key = logon:cpns:serverd-probe-pair
listen = 10.1.0.1:4739
listen = [fd00:2::1]:4739
max_connections = $MAXC
max_pending = $MAXP
frame_timeout = $FRAME
step_timeout = $STEP
idle_timeout = 60
seed_allow = gw1
log = stderr
log_level = info
EOF
t_ok "config: the test configuration checks" \
	"$SERVERD" --check -c "$DIR/serverd.conf"

t_ok "cpns-serverd starts and listens on IPv4 and IPv6" start_server "$DIR"

probe()
{
	"$PROBE" --s "$NS_S" --gw1 "$NS_G1" --gw2 "$NS_G2" \
		--pending-timeout "$PT" --frame-timeout "$FRAME" \
		--step-timeout "$STEP" --max-pending "$MAXP" \
		--max-connections "$MAXC" --many "$MANY" "$@"
}

# ---- over IPv4: the story
probe --server 10.1.0.1:4739 story >"$DIR/probe4.out" 2>&1
relay <"$DIR/probe4.out"
code=$(sed -n 's/^# seed \([0-9a-f]*\) transfer code \([0-9]*\)$/\1 \2/p' \
	"$DIR/probe4.out")
set -- $code
t_ok "the server logged the same I-3 transfer code as GW1's kernel ($2)" \
	grep -q "I-3 sent seed id $1 to 'gw1', sealed to its key; transfer code $2" \
	"$DIR/serverd.log"
did=$(sed -n 's/^# device id \([0-9a-f]*\)$/\1/p' "$DIR/probe4.out")
t_ok "the server logged II-5 with the Device ID" \
	grep -q "II-5 received device id $did for n1" "$DIR/serverd.log"

# ---- over IPv6: everything else, then a restart, then SIGTERM
PROBE_HOLD=1 probe --server "[fd00:2::1]:4739" \
	--restart-cmd "$HERE/run.sh restart $DIR" \
	--server-pid-file "$DIR/serverd.pid" >"$DIR/probe6.out" 2>&1 &
ppid=$!
for ((i = 0; i < 6000; i++)); do
	grep -q "^# session open for SIGTERM" "$DIR/probe6.out" && break
	kill -0 $ppid 2>/dev/null || break
	sleep 0.1
done
spid=$(<"$DIR/serverd.pid")
kill -TERM "$spid"
for ((i = 0; i < 100; i++)); do
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
wait $ppid
relay <"$DIR/probe6.out"
t_ok "SIGTERM: the server exits" bash -c "! kill -0 $spid 2>/dev/null"
t_ok "SIGTERM: it ended the open session and logged its stop" \
	grep -q "closed 1 connections, ended 1 a-flows and sessions" \
	"$DIR/serverd.log"
t_ok "SIGTERM: stopped cleanly" grep -q "stopped by Terminated" \
	"$DIR/serverd.log"
t_ok "the server's kernel holds no session after the server stopped" \
	bash -c "ip netns exec $NS_S $HERE/../../cpnsctl/cpnsctl stats | grep -qx 'sessions: 0'"
rm -f "$DIR/serverd.pid"
race=$(sed -n 's/^# race device id \([0-9a-f]*\)$/\1/p' "$DIR/probe6.out")
t_ok "the race: one re-keyed record of $race stored, the other refused" \
	bash -c "[ \$(grep -c 'store: device id $race generation 1 (unconfirmed) committed' '$DIR/serverd.log') = 1 ] &&
		 grep -q 'the re-keyed record of device id $race: .*changed since it was read' '$DIR/serverd.log' &&
		 grep -q 'device record changed during the flow (another server, or a revocation); a-3 not sent' '$DIR/serverd.log'"
confirmed_by_batch()	# the batched OPENs' confirmations, stored
{
	local did n=0

	for did in $(sed -n 's/^# batch confirmed device id \([0-9a-f]*\)$/\1/p' \
		"$DIR/probe6.out"); do
		grep -q "device $did: re-keyed record generation 1 confirmed by the first sealed message" \
			"$DIR/serverd.log" &&
			grep -q "store: device id $did generation 1 (active) committed" \
				"$DIR/serverd.log" || return 1
		n=$((n + 1))
	done
	((n == 2))
}
t_ok "batch: the two sealed reports opened together confirmed their devices' re-keyed records, stored" \
	confirmed_by_batch
t_ok "the race: the winner's record confirmed once" \
	bash -c "[ \$(grep -c 'store: device id $race generation 1 (active) committed' '$DIR/serverd.log') = 1 ]"

echo "# server log: $(wc -l <"$DIR/serverd.log") lines; last 5:"
tail -n 5 "$DIR/serverd.log" | sed 's/^/#   /'
echo "# its errors and warnings, by kind:"
grep -E " (err|warning): " "$DIR/serverd.log" |
	sed -E 's/^.*: (err|warning): (conn [0-9]+ [^ ]+: )?/\1: /' |
	sed -E 's/[0-9a-f]{16,}/HEX/g' | sort | uniq -c | sort -rn |
	sed 's/^/#   /'

# SERVERD_TEST_DUMP=1: the whole log, for the documentation's examples.
[[ ${SERVERD_TEST_DUMP:-} ]] && sed 's/^/#LOG /' "$DIR/serverd.log"

echo "1..$n"
((failed == 0))
