#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Three hosts for cpns-gwd tests, each a network namespace joined by veth:
#
#   S   (server)  10.77.1.1 --- secure WAN ---  10.77.1.2  GW1
#                 10.77.3.1 -- non-secure WAN - 10.77.3.2  GW2
#   GW1           10.77.2.1 ---- PN link -----  10.77.2.2  GW2
#
# and the same over IPv6 (fd77:N::1 and fd77:N::2 for 10.77.N.1 and .2).
# cpns-serverd listens on *:7000 and [::]:7000 in S, GW1's cpns-gwd on
# 10.77.2.1:7001 and [fd77:2::1]:7001. Every daemon logs to
# $WORK/<name>.log.
#
# II-9 is confirmed by a pairing key that GW1 and the GW2s share by
# default (logon key $PAIR_KEY in the session keyring, made by hosts_up),
# and I-3 by the seed pairing key that S and GW1 share (logon key
# $SEED_PAIR_KEY): the senders' kernels release a secret only to a
# receiver key that such a MAC proves (Documentation/xfer.rst);
# GW1_CONFIRM=operator gives GW1 a control socket ($WORK/gw1.ctl) instead,
# for an operator (cpnsctl pair) to confirm each transfer.

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}

# The pairing keys and KEKs the tests make live in the session keyring
# the daemons inherit: run the test in a session keyring of its own
# (tools/vm-run starts CMD without one, and keyctl would then put a key
# added to @s in a keyring of its own, lost at once).
case $(keyctl rdescribe @s 2>/dev/null) in
*";_uid_ses."* | "") exec keyctl session - bash "$0" "$@" ;;
esac

GWD_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$GWD_TEST_DIR/../../.." && pwd)
GWD=${GWD:-$ROOT/userspace/gwd/cpns-gwd}	# GW1_GWD: another for GW1 only
SERVERD=${SERVERD:-$ROOT/userspace/serverd/cpns-serverd}
CPNSCTL=${CPNSCTL:-$ROOT/userspace/cpnsctl/cpnsctl}
WORK=${WORK:-$(mktemp -d /tmp/cpns-gwd-test.XXXXXX)}
NS_S=cpnsg-s-$$
NS_1=cpnsg-gw1-$$
NS_2=cpnsg-gw2-$$
PIDS=()

S_ADDR=10.77.1.1:7000
S_ADDR2=10.77.3.1:7000
S_ADDR2_6=[fd77:3::1]:7000
GW1_ADDR=10.77.2.1:7001
GW1_ADDR_6=[fd77:2::1]:7001
PAIR_KEY=cpns:test-pair-$$
SEED_PAIR_KEY=cpns:test-seed-pair-$$
KEYS_ADDED=()

# FAIL_LOGS=1: fail also shows the end of every log of the test.
fail()
{
	local f

	echo "FAIL: $*"
	if [ -n "${FAIL_LOGS:-}" ]; then
		for f in "$WORK"/*.log; do
			echo "--- $f"
			tail -n 15 "$f"
		done
	fi
	exit 1
}

# (Daemons started with & use "ip netns exec" itself, which execs the
# program, so that $! is the daemon's pid and not a subshell's.)
n_s() { ip netns exec "$NS_S" "$@"; }
n_1() { ip netns exec "$NS_1" "$@"; }
n_2() { ip netns exec "$NS_2" "$@"; }

veth()	# veth NS_A ADDR_A NS_B ADDR_B ADDR6_A ADDR6_B
{
	local a=v$RANDOM b=v$RANDOM

	ip link add "$a" netns "$1" type veth peer name "$b" netns "$3"
	ip -n "$1" addr add "$2/24" dev "$a"
	ip -n "$3" addr add "$4/24" dev "$b"
	ip -n "$1" addr add "$5/64" dev "$a" nodad
	ip -n "$3" addr add "$6/64" dev "$b" nodad
	ip -n "$1" link set "$a" up
	ip -n "$3" link set "$b" up
}

hosts_up()
{
	local ns

	for ns in "$NS_S" "$NS_1" "$NS_2"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	veth "$NS_S" 10.77.1.1 "$NS_1" 10.77.1.2 fd77:1::1 fd77:1::2
	veth "$NS_1" 10.77.2.1 "$NS_2" 10.77.2.2 fd77:2::1 fd77:2::2
	veth "$NS_S" 10.77.3.1 "$NS_2" 10.77.3.2 fd77:3::1 fd77:3::2
	logon_key "$PAIR_KEY" >/dev/null
	logon_key "$SEED_PAIR_KEY" >/dev/null
}

# user_key DESC [HEX]: a "user" key of 32 bytes (HEX, or random) in the
# session keyring, where the daemons the tests start find it; prints HEX.
# logon_key DESC [HEX]: the same as a "logon" key (DESC has a "prefix:"),
# the kind of KEK that KEY_WRAP accepts (Documentation/keys.rst).
user_key()
{
	local hex=${2:-$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')}

	printf '%s' "$hex" | xxd -r -p | keyctl padd "${KEY_TYPE:-user}" "$1" \
		@s >/dev/null || fail "cannot add ${KEY_TYPE:-user} key $1"
	KEYS_ADDED+=("$1")
	echo "$hex"
}

logon_key()
{
	KEY_TYPE=logon user_key "$@"
}

cleanup()
{
	local p ns

	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	for ns in "$NS_S" "$NS_1" "$NS_2"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	for p in "${KEYS_ADDED[@]}"; do
		keyctl purge user "$p" >/dev/null 2>&1 || true
		keyctl purge logon "$p" >/dev/null 2>&1 || true
	done
}
trap cleanup EXIT

# wait_log FILE TEXT [SECONDS [FROM]]: until FILE has a line with TEXT
# (after its first FROM lines).
wait_log()
{
	local i

	for ((i = 0; i < ${3:-60} * 10; i++)); do
		tail -n +"$((${4:-0} + 1))" "$1" 2>/dev/null | grep -q -- "$2" &&
			return 0
		sleep 0.1
	done
	echo "--- $1"
	tail -n 30 "$1"
	fail "no '$2' in $1 after ${3:-60} s"
}

# Lines in FILE so far (0 if none), for wait_log ... FROM.
log_lines()
{
	cat "$1" 2>/dev/null | wc -l
}

# no_sanitizer_reports: no log of this test holds an ASan/UBSan report
# (GWD may be a -fsanitize build).
no_sanitizer_reports()
{
	if grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		"$WORK"/*.log 2>/dev/null; then
		grep -h -A 30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
			"$WORK"/*.log
		fail "sanitizer reports"
	fi
}

# count_log FILE TEXT
count_log()
{
	grep -c -- "$2" "$1" 2>/dev/null || true
}

server_conf()
{
	cat >"$WORK/server.conf" <<-END
	listen = *:7000
	listen = [::]:7000
	max_pending = 256
	log_level = ${LOG_LEVEL:-info}
	seed_pairing_key = logon:$SEED_PAIR_KEY
	END
}

# server_start: cpns-serverd in S; its pid in SERVER_PID.
server_start()
{
	local from

	[ -f "$WORK/server.conf" ] || server_conf
	from=$(log_lines "$WORK/server.log")
	ip netns exec "$NS_S" "$SERVERD" -f -c "$WORK/server.conf" >>"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_log "$WORK/server.log" "listening" 30 "$from"
}

# stop_daemon PID NAME LOG: SIGTERM, which must end it with status 0.
stop_daemon()
{
	local rc=0

	kill "$1"
	wait "$1" || rc=$?
	[ $rc -eq 0 ] || { tail -n 20 "$3"; fail "$2 exited $rc on SIGTERM"; }
}

server_stop()
{
	stop_daemon "$SERVER_PID" cpns-serverd "$WORK/server.log"
}

gw1_stop()
{
	stop_daemon "$GW1_PID" "cpns-gwd (GW1)" "$WORK/gw1.log"
}

gw1_conf()
{
	cat >"$WORK/gw1.conf" <<-END
	role = secure
	name = gw1
	server = $S_ADDR
	listen = $GW1_ADDR
	listen = $GW1_ADDR_6
	log_level = ${LOG_LEVEL:-info}
	$(if [ "${GW1_CONFIRM:-pairing}" = operator ]; then
		echo "control = $WORK/gw1.ctl"
	else
		echo "pairing_key = logon:$PAIR_KEY"
	fi)
	seed_pairing_key = logon:$SEED_PAIR_KEY
	${GW1_EXTRA:-}
	END
}

gw1_start()
{
	local from

	[ -f "$WORK/gw1.conf" ] || gw1_conf
	from=$(log_lines "$WORK/gw1.log")
	ip netns exec "$NS_1" "${GW1_GWD:-$GWD}" -f -c "$WORK/gw1.conf" >>"$WORK/gw1.log" 2>&1 &
	GW1_PID=$!
	PIDS+=("$GW1_PID")
	wait_log "$WORK/gw1.log" "listening for GW2s" 30 "$from"
}

# gw2_conf NAME [EXTRA]: $WORK/NAME.conf (GW2_PAIR_KEY: another pairing
# key's description, or none; GW2_PAIR_TYPE: its type, logon by default)
gw2_conf()
{
	cat >"$WORK/$1.conf" <<-END
	role = nonsecure
	name = $1
	server = $S_ADDR2
	gw1 = $GW1_ADDR
	device_id_file = $WORK/$1.did
	reconnect_min = 1
	reconnect_max = 4
	log_level = ${LOG_LEVEL:-info}
	$([ "${GW2_PAIR_KEY:-}" = none ] ||
		echo "pairing_key = ${GW2_PAIR_TYPE:-logon}:${GW2_PAIR_KEY:-$PAIR_KEY}")
	${2:-}
	END
}

# ---- proxies (mitm.py) and keyring snapshots, for the attack tests

MITM="python3 $GWD_TEST_DIR/mitm.py"
declare -A PROXY_PID

# proxy NAME NS LISTEN UPSTREAM [RULE...]: (re)start proxy NAME.
proxy()
{
	local name=$1 ns=$2 listen=$3 up=$4

	shift 4
	proxy_stop "$name"
	: >"$WORK/proxy-$name.log"
	ip netns exec "$ns" $MITM proxy "$listen" "$up" "$@" \
		2>>"$WORK/proxy-$name.log" &
	PROXY_PID[$name]=$!
	PIDS+=($!)
	wait_log "$WORK/proxy-$name.log" "mitm: proxy" 20
}

proxy_stop()
{
	if [ -n "${PROXY_PID[$1]:-}" ]; then
		kill "${PROXY_PID[$1]}" 2>/dev/null || true
		wait "${PROXY_PID[$1]}" 2>/dev/null || true
		PROXY_PID[$1]=
	fi
}

# The keys of a namespace (and, for GW1, its pending objects and sessions).
keys()
{
	ip netns exec "$1" "$CPNSCTL" show |
		grep -E 'serial|^pending|^sessions' | sed 's/ (in [0-9]* s)//'
}

snapshot()
{
	keys "$NS_1" >"$WORK/keys1.before"
	keys "$NS_2" >"$WORK/keys2.before"
}

# unchanged WHAT: both gateways' keyrings are as snapshot saw them.
unchanged()
{
	keys "$NS_1" >"$WORK/keys1.after"
	keys "$NS_2" >"$WORK/keys2.after"
	diff -u "$WORK/keys1.before" "$WORK/keys1.after" ||
		fail "$1: GW1's keys changed"
	diff -u "$WORK/keys2.before" "$WORK/keys2.after" ||
		fail "$1: GW2's keys changed"
}
