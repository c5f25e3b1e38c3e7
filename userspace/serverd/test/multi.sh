#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Three cpns-serverd on one PostgreSQL act as one (Documentation/
# cpns-serverd.rst, "Several servers on one PostgreSQL"). A real
# PostgreSQL 15 (pg_lib.sh), servers A, B and C, GW1 and the GW2s, each in
# a network namespace of its own, all on one bridge (10.78.0.0/24). The
# story: a GW2 assigned through A authenticates on B, and its re-key is
# honoured on C; a seed rotation through A reaches B and C without a
# request (the propagation delay is printed); a GW2 whose server is
# killed (kill -9) mid-session fails over and has its session again; GW1
# fails over when its server refuses (killed) and when it times out
# (stopped), and keeps no Device Key; two servers racing on one device's
# re-key, made to overlap by a lock on the devices table, end with
# exactly one winner and the device keeps working on A, B and C; a
# revocation through B ("cpnsctl server revoke") and a seed revoked in
# the store are honoured by C at the next request, and a revocation
# through B ends a live session on C (the delays are printed); a store
# that cannot be reached and a wrong password are refused clearly and
# change nothing.
#
# cpns-test: tap
# (Each scenario is one result, run in a subshell: a failed one does not
# stop the others.)
set -e
. "$(dirname "$0")/store_lib.sh"
. "$(dirname "$0")/pg_lib.sh"

NS_HUB=cpnsm-hub-$$
NS_PG=cpnsm-pg-$$
NS_B=cpnsm-sb-$$
NS_C=cpnsm-sc-$$
NS_D=cpnsm-sd-$$
NET=10.78.0
ADDR_PG=$NET.2
ADDR_GW1=$NET.21
declare -A SRV_NS=([a]=$NS_S [b]=$NS_B [c]=$NS_C)
declare -A SRV_IP=([a]=$NET.11 [b]=$NET.12 [c]=$NET.13)
declare -A SRV_PID=()
EXTRA_NS+=("$NS_HUB" "$NS_PG" "$NS_B" "$NS_C" "$NS_D")
STORE_URL="postgresql://cpns:$PG_PASSWORD@$ADDR_PG/cpns"
FAILED=0
# A failure shows the end of every log (lib.sh).
FAIL_LOGS=1

multi_cleanup()
{
	local rc=$?

	# Stopped servers (SIGSTOP) do not end on SIGTERM.
	for p in "${SRV_PID[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
	done
	# What the scenarios' subshells started.
	for p in $(cat "$WORK/pids" 2>/dev/null); do
		kill "$p" 2>/dev/null || true
	done
	pg_down
	(exit $rc)
	store_cleanup
}
trap multi_cleanup EXIT

# result STATUS WHAT: one TAP result; a failure is remembered.
result()
{
	if [ "$1" = 0 ]; then
		echo "ok - multi: $2"
	else
		echo "not ok - multi: $2"
		FAILED=1
	fi
}

# bad WHAT: a check failed: say so; the scenario (set -e) ends.
bad()
{
	echo "# $*"
	return 1
}

# track PID: a daemon a scenario started, ended at exit.
track()
{
	echo "$1" >>"$WORK/pids"
}

ms() { echo $(($(date +%s%N) / 1000000)); }
# step WHAT: a line of progress, with the time.
step() { echo "# $(date +%T.%3N) $*"; }

# A GW2 --once run, bounded (store_lib.sh's, with a timeout).
gw2_run()
{
	timeout 150 ip netns exec "$NS_2" "$GWD" --once -c "$WORK/$1.conf" \
		>"$2" 2>&1
}
s_of() { echo "${SRV_IP[$1]}:7000"; }

# join NS ADDR: NS on the bridge, with ADDR/24.
join()
{
	local a=v$RANDOM b=v$RANDOM

	ip link add "$a" netns "$1" type veth peer name "$b" netns "$NS_HUB"
	ip -n "$1" addr add "$2/24" dev "$a"
	ip -n "$1" link set "$a" up
	ip -n "$NS_HUB" link set "$b" master br0 up
}

# srv_conf NAME [STORE]: $WORK/srv-NAME.conf
srv_conf()
{
	cat >"$WORK/srv-$1.conf" <<-END
	listen = *:7000
	max_pending = 256
	log_level = info
	store = ${2:-$STORE_URL}
	kek = logon:$KEK_DESC
	seed_pairing_key = logon:$SEED_PAIR_KEY
	control = $WORK/srv-$1.ctl
	END
}

srv_start()
{
	local from

	from=$(log_lines "$WORK/srv-$1.log")
	ip netns exec "${SRV_NS[$1]}" "$SERVERD" -f -c "$WORK/srv-$1.conf" \
		>>"$WORK/srv-$1.log" 2>&1 &
	SRV_PID[$1]=$!
	PIDS+=($!)
	wait_log "$WORK/srv-$1.log" "listening" 120 "$from"
}

# gw2c NAME SERVER...: $WORK/NAME.conf, a GW2 of those servers.
gw2c()
{
	local name=$1 s

	shift
	{
		echo "role = nonsecure"
		echo "name = $name"
		for s in "$@"; do
			echo "server = $s"
		done
		echo "gw1 = $ADDR_GW1:7001"
		echo "device_id_file = $WORK/$name.did"
		echo "pairing_key = logon:$PAIR_KEY"
		echo "reconnect_min = 1"
		echo "reconnect_max = 2"
		echo "report_interval = 1"
		echo "step_timeout = 10"
		echo "connect_timeout = 2"
		echo "log_level = info"
	} >"$WORK/$name.conf"
}

# authed_on NAME LOG SRV: LOG's session was with server SRV.
authed_on()
{
	grep -q "session established with $(s_of "$3")" "$2" ||
		{ tail -n 20 "$2"; bad "$1: no session with server $3"; }
}

# gw2_live NAME SRV: NAME's cpns-gwd started (its pid in GW2_PID, killed
# at the end), once its session with SRV has a report acknowledged.
gw2_live()
{
	ip netns exec "$NS_2" "$GWD" -f -c "$WORK/$1.conf" >>"$WORK/$1.log" 2>&1 &
	GW2_PID=$!
	track "$GW2_PID"
	wait_log "$WORK/$1.log" "session established with $(s_of "$2")" 90
	wait_log "$WORK/$1.log" "received status ack" 30
}

# ------------------------------------------------------------ the hosts

for ns in "$NS_HUB" "$NS_PG" "$NS_S" "$NS_1" "$NS_2" "$NS_B" "$NS_C" "$NS_D"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n "$NS_HUB" link add br0 type bridge
ip -n "$NS_HUB" link set br0 up
join "$NS_PG" "$ADDR_PG"
for n in a b c; do
	join "${SRV_NS[$n]}" "${SRV_IP[$n]}"
done
join "$NS_1" "$ADDR_GW1"
join "$NS_2" "$NET.22"
join "$NS_D" "$NET.14"	# a fourth server, refused (bad_input)
logon_key "$PAIR_KEY" >/dev/null
logon_key "$SEED_PAIR_KEY" >/dev/null
kek_load
pg_up "$NS_PG" "$ADDR_PG" "$NET.0/24"
snapshot_db()
{
	psql_pg "SELECT md5(string_agg(t, ',' ORDER BY t)) FROM (SELECT s::text AS t FROM seeds s UNION ALL SELECT d::text FROM devices d UNION ALL SELECT v::text FROM schema_version v UNION ALL SELECT c::text FROM changes c) x"
}

# A first (it makes the schema), then B and C together.
for n in a b c; do
	srv_conf "$n"
done
for n in a b c; do
	srv_start "$n"
done
for n in a b c; do
	grep -q "(postgresql)" "$WORK/srv-$n.log" ||
		fail "server $n does not say it runs on PostgreSQL"
done
[ "$(psql_pg "SELECT version FROM schema_version")" = 6 ] ||
	fail "the schema is not version 6"
result 0 "three servers on one PostgreSQL (schema version 6)"

cat >"$WORK/gw1.conf" <<END
role = secure
name = gw1
server = $(s_of a)
server = $(s_of b)
server = $(s_of c)
listen = $ADDR_GW1:7001
pairing_key = logon:$PAIR_KEY
seed_pairing_key = logon:$SEED_PAIR_KEY
control = $WORK/gw1.ctl
step_timeout = 10
connect_timeout = 2
reconnect_min = 1
reconnect_max = 2
log_level = info
END
step "GW1: flow I"
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 60
sid1=$(sed -n 's/.*I-3 stored Key Seed \([0-9a-f]*\).*/\1/p' "$WORK/gw1.log" | head -n1)
grep -q "I-2 made seed id $sid1" "$WORK/srv-a.log" || fail "flow I did not go to server A"

# ------------------------------------------------------------ scenarios

# A GW2 assigned through A (flow II) authenticates on B.
assigned_on_a_auth_on_b()
{
	local r did

	gw2c g1 "$(s_of b)"
	r=$(aflow g1 "$WORK/g1.1.log")
	assigned g1 "$WORK/g1.1.log"
	did=$(cat "$WORK/g1.did")
	grep -q "II-5 received device id $did" "$WORK/srv-a.log" ||
		bad "g1 was not assigned through server A"
	[ "$r" = ok ] || { cat "$WORK/g1.1.log"; bad "g1 on B: $r"; }
	authed_on g1 "$WORK/g1.1.log" b
	grep -q "a-2 device id $did authenticated" "$WORK/srv-b.log" ||
		bad "server B did not log g1's authentication"
}

# Its re-key (made on B at its first authentication) holds on C.
rekey_on_b_honoured_on_c()
{
	local r

	gw2c g1 "$(s_of c)"
	r=$(aflow g1 "$WORK/g1.2.log")
	[ "$r" = ok ] || { tail -n 5 "$WORK/g1.2.log"; bad "g1 on C after its re-key on B: $r"; }
	authed_on g1 "$WORK/g1.2.log" c
}

# wait_seen LOG TEXT: ms until LOG has TEXT (at most 10 s), or fails.
wait_seen()
{
	local t0 i

	t0=$(ms)
	for ((i = 0; i < 500; i++)); do
		grep -q -- "$2" "$1" && { echo $(($(ms) - t0)); return 0; }
		sleep 0.02
	done
	return 1
}

# A rotation through A reaches B and C without a request (the poll).
rotation()
{
	local r db dc did

	step "rotation: cpnsctl seed rotate on GW1"
	timeout 30 ip netns exec "$NS_1" "$CPNSCTL" seed rotate --control "$WORK/gw1.ctl" ||
		bad "cpnsctl seed rotate"
	wait_log "$WORK/gw1.log" "I-3 rotation: Key Seed $sid1" 30
	sid2=$(sed -n 's/.*I-3 stored Key Seed \([0-9a-f]*\).*/\1/p' "$WORK/gw1.log" | tail -n1)
	[ -n "$sid2" ] && [ "$sid2" != "$sid1" ] || bad "no new seed"
	echo "$sid2" >"$WORK/sid2"
	step "rotation: new seed $sid2; waiting for B and C"
	db=$(wait_seen "$WORK/srv-b.log" "seed id $sid1 retires at") ||
		bad "server B did not retire seed $sid1"
	dc=$(wait_seen "$WORK/srv-c.log" "seed id $sid1 retires at") ||
		bad "server C did not retire seed $sid1"
	echo "# propagation of a rotation without a request (poll every 1 s): B within $db ms, C within $dc ms of GW1's I-3"
	step "rotation: C's kernel"
	timeout 30 ip netns exec "$NS_C" "$CPNSCTL" show --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
s = {x['seed_id']: x for x in d['seeds']}
assert '$sid2' in s, s
assert s['$sid1']['expiry'], s['$sid1']
" || bad "C's kernel: not the new seed, or the old one not retiring"
	# A device of the new seed, assigned through A, on C.
	step "rotation: g2 assigned under the new seed"
	gw2c g2 "$(s_of c)"
	r=$(aflow g2 "$WORK/g2.1.log")
	assigned g2 "$WORK/g2.1.log"
	did=$(cat "$WORK/g2.did")
	[ "${did:0:16}" = "$sid2" ] || bad "g2 is not of the new seed"
	[ "$r" = ok ] || bad "g2 (new seed) on C: $r"
}

# GW2's server killed mid-session: the session again on the next one.
gw2_failover()
{
	local t0 t1 from did

	gw2c g3 "$(s_of a)" "$(s_of b)" "$(s_of c)"
	step "gw2 failover: g3 with A, B, C"
	ip netns exec "$NS_2" "$GWD" -f -c "$WORK/g3.conf" >>"$WORK/g3.log" 2>&1 &
	track $!
	wait_log "$WORK/g3.log" "session established with $(s_of a)" 60
	wait_log "$WORK/g3.log" "received status ack" 30
	did=$(cat "$WORK/g3.did")
	from=$(log_lines "$WORK/g3.log")
	step "gw2 failover: kill -9 server A"
	kill -9 "${SRV_PID[a]}"
	wait "${SRV_PID[a]}" 2>/dev/null || true
	t0=$(ms)
	wait_log "$WORK/g3.log" "session established with $(s_of b)" 30 "$from"
	t1=$(ms)
	wait_log "$WORK/g3.log" "received status ack" 30 "$from"
	echo "# GW2 failover: server A killed (kill -9) mid-session; session with B $((t1 - t0)) ms later"
	tail -n +"$((from + 1))" "$WORK/g3.log" | grep -q "failing over to $(s_of b)" ||
		bad "g3 does not say it fails over"
	tail -n +"$((from + 1))" "$WORK/g3.log" | grep -q "II-9" &&
		bad "g3 asked for a new Device Key"
	[ "$(cat "$WORK/g3.did")" = "$did" ] || bad "g3's Device ID changed"
	return 0
}

# No Device Key left in GW1's keyring (failed flows leave none).
gw1_clean()
{
	ip netns exec "$NS_1" "$CPNSCTL" show --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert not d['devices'], d['devices']
" || bad "GW1 holds Device Keys"
}

# GW1: its server refuses (A is dead), then times out (B stopped).
gw1_failover()
{
	local r from

	[ -n "$(ip netns pids "$NS_S")" ] && bad "server A still runs"
	step "gw1 failover: g4 (A is dead)"
	from=$(log_lines "$WORK/gw1.log")
	gw2c g4 "$(s_of c)"
	r=$(aflow g4 "$WORK/g4.1.log")
	assigned g4 "$WORK/g4.1.log"
	[ "$r" = ok ] || bad "g4 on C: $r"
	tail -n +"$((from + 1))" "$WORK/gw1.log" | grep -q "failing over to $(s_of b)" ||
		{ tail -n 20 "$WORK/gw1.log"; bad "GW1 did not fail over from A (refused) to B"; }
	grep -q "II-5 received device id $(cat "$WORK/g4.did")" "$WORK/srv-b.log" ||
		bad "g4 was not assigned through B"
	gw1_clean
	echo "# GW1 failover: A refused, flow II on B"

	from=$(log_lines "$WORK/gw1.log")
	step "gw1 failover: SIGSTOP server B; g5"
	kill -STOP "${SRV_PID[b]}"
	gw2c g5 "$(s_of c)"
	r=$(aflow g5 "$WORK/g5.1.log")
	kill -CONT "${SRV_PID[b]}"
	assigned g5 "$WORK/g5.1.log"
	[ "$r" = ok ] || bad "g5 on C: $r"
	tail -n +"$((from + 1))" "$WORK/gw1.log" | grep -q "failing over to $(s_of c)" ||
		{ tail -n 20 "$WORK/gw1.log"; bad "GW1 did not fail over from B (stopped) to C"; }
	gw1_clean
	echo "# GW1 failover: B stopped (no answer within step_timeout, 10 s), flow II on C"
}

# devices_locked: the PostgreSQL lock that lock_devices took is held.
devices_locked()
{
	[ "$(psql_pg "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'devices' AND l.mode = 'ExclusiveLock' AND l.granted")" = 1 ]
}

# row_of DID: the device's generation and state in the store ("0 none" if
# it has no row).
row_of()
{
	local r

	r=$(psql_pg "SELECT generation || ' ' || CASE state WHEN 1 THEN 'active' WHEN 4 THEN 'revoked' WHEN 5 THEN 'unconfirmed' ELSE state::text END FROM devices WHERE seed = (SELECT num FROM seeds WHERE seed_id = '${1:0:16}') AND suffix = decode('${1:16:16}', 'hex')")
	echo "${r:-0 none}"
}

dev_changes() { psql_pg "SELECT n FROM changes WHERE what = 'devices'"; }

# Two servers race on one device's re-key, made to overlap: the devices
# table is locked against writers (LOCK TABLE ... IN EXCLUSIVE MODE, in a
# psql transaction held open), so that B and C both read the device's row
# at a-0 and make their generation 1 record before either can write it;
# the lock is released only once both logged their record. Exactly one
# compare-and-set may win; the device then works on A, B and C.
rekey_race()
{
	local rb=0 rc=0 r did from_b from_c pl pb pc i overlap=0 c0 c1
	local winners losers

	# Assigned, not authenticated: no server listens at its address.
	gw2c g6 "$NET.14:7000"
	gw2_run g6 "$WORK/g6.0.log" && bad "g6 authenticated with no server"
	assigned g6 "$WORK/g6.0.log"
	did=$(cat "$WORK/g6.did")
	for n in a b c; do
		gw2c "g6$n" "$(s_of $n)"
	done
	# One device (its Device ID file and name); a-3 may wait for the lock.
	sed -i "s|g6[abc].did|g6.did|; s|^name = g6[abc]|name = g6|; s|^step_timeout = .*|step_timeout = 60|" \
		"$WORK/g6a.conf" "$WORK/g6b.conf" "$WORK/g6c.conf"
	[ "$(row_of "$did" | cut -d' ' -f1)" = 0 ] ||
		bad "g6's row is not of generation 0: $(row_of "$did")"
	c0=$(dev_changes)

	step "re-key race: locking the devices table against writers"
	rm -f "$WORK/lock.in"
	mkfifo "$WORK/lock.in"
	runuser -u postgres -- psql -h "$PG_DIR" -U postgres -d cpns -qAt \
		-v ON_ERROR_STOP=1 <"$WORK/lock.in" >"$WORK/lock.log" 2>&1 &
	pl=$!
	track "$pl"
	exec 9>"$WORK/lock.in"
	echo "BEGIN; LOCK TABLE devices IN EXCLUSIVE MODE;" >&9
	for ((i = 0; i < 300; i++)); do
		devices_locked && break
		sleep 0.1
	done
	devices_locked || { cat "$WORK/lock.log"; bad "the devices table was not locked"; }
	from_b=$(log_lines "$WORK/srv-b.log")
	from_c=$(log_lines "$WORK/srv-c.log")
	step "re-key race: devices locked; g6 on B and on C at once"
	gw2_run g6b "$WORK/g6b.log" &
	pb=$!
	gw2_run g6c "$WORK/g6c.log" &
	pc=$!
	# Both read the row (a-0) and made their record (a-2) under the lock.
	for ((i = 0; i < 900; i++)); do
		if tail -n +"$((from_b + 1))" "$WORK/srv-b.log" | grep -q "a-2 device $did re-keyed to generation 1" &&
		   tail -n +"$((from_c + 1))" "$WORK/srv-c.log" | grep -q "a-2 device $did re-keyed to generation 1"; then
			overlap=1
			break
		fi
		sleep 0.1
	done
	step "re-key race: releasing the lock (both servers made their record: $overlap)"
	echo "COMMIT;" >&9
	exec 9>&-
	wait "$pl" || { cat "$WORK/lock.log"; bad "the locking transaction failed"; }
	wait "$pb" || rb=$?
	wait "$pc" || rc=$?
	((overlap)) || { tail -n 5 "$WORK/srv-b.log" "$WORK/srv-c.log"; bad "no overlap: B and C did not both make a generation 1 record of $did while the store was locked"; }
	c1=$(dev_changes)
	winners=$(grep -l "store: device id $did generation 1 (unconfirmed) committed" "$WORK/srv-b.log" "$WORK/srv-c.log" | wc -l)
	losers=$(grep -l "the re-keyed record of device id $did: .*changed since it was read" "$WORK/srv-b.log" "$WORK/srv-c.log" | wc -l)
	echo "# re-key race: B and C both read generation 0 and made generation 1 under the lock; $winners compare-and-set won, $losers refused (-ESTALE); GW2 on B exit $rb, on C exit $rc; the devices change counter moved by $((c1 - c0)) (the re-key, its confirmation)"
	grep -h "the re-keyed record of device id $did\|device record changed during the flow" "$WORK/srv-b.log" "$WORK/srv-c.log" | sed 's/^/#   /'
	((winners == 1)) || bad "$winners servers stored a re-key of $did, not one"
	((losers == 1)) || bad "$losers servers logged a lost compare-and-set, not one"
	grep -q "device record changed during the flow" "$WORK/srv-b.log" "$WORK/srv-c.log" ||
		bad "the loser did not refuse a-2"
	((rb == 0 || rc == 0)) && ((rb || rc)) ||
		bad "the two GW2 runs ended alike (B $rb, C $rc)"
	[ "$(grep -l "re-keyed to generation 1" "$WORK/g6b.log" "$WORK/g6c.log" | wc -l)" = 1 ] ||
		bad "not exactly one GW2 run re-keyed"
	# The winner's session confirmed its record (its first sealed
	# message): two changes of the row, the re-key and its confirmation.
	[ "$(row_of "$did")" = "1 active" ] ||
		bad "the row after the race: $(row_of "$did"), not generation 1, active"
	((c1 - c0 == 2)) || bad "the devices change counter moved by $((c1 - c0)), not 2 (the re-key, its confirmation)"
	[ "$(grep -c "store: device id $did generation 1 (active) committed" "$WORK/srv-b.log" "$WORK/srv-c.log" | awk -F: '{ n += $2 } END { print n }')" = 1 ] ||
		bad "the winner's record was not confirmed exactly once"
	for n in a b c; do
		r=$(aflow "g6$n" "$WORK/g6$n.2.log")
		[ "$r" = ok ] || { tail -n 5 "$WORK/g6$n.2.log"; bad "after the race, on $n: $r"; }
		authed_on g6 "$WORK/g6$n.2.log" "$n"
	done
	[ "$(row_of "$did")" = "1 active" ] ||
		bad "the row after A, B and C: $(row_of "$did"), not generation 1, active"
}

# ts_ms LINE: the time of a daemon's log line (HH:MM:SS.mmm), in ms.
ts_ms()
{
	echo "$1" | awk '{ split($1, t, "[:.]"); print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4] }'
}

# A revocation through B ends a GW2's live session on C: a quiet one (a
# report a minute) at C's poll, a busy one (a report a second) at its
# next report or the poll, whichever comes first; C acknowledges no
# report of it after the revocation was stored.
live_revocation()
{
	local name pid did from d line tb late how

	for name in g7 g8; do
		gw2c "$name" "$(s_of c)"
		[ "$name" = g8 ] ||
			sed -i "s/^report_interval = .*/report_interval = 60/" "$WORK/$name.conf"
		step "live revocation: $name with C"
		gw2_live "$name" c
		pid=$GW2_PID
		[ "$name" = g7 ] || wait_log "$WORK/srv-c.log" "received status report seq 3 from device id $(cat "$WORK/$name.did")" 30
		did=$(cat "$WORK/$name.did")
		from=$(log_lines "$WORK/srv-c.log")
		timeout 30 "$CPNSCTL" server revoke "$did" --control "$WORK/srv-b.ctl" >/dev/null ||
			bad "cpnsctl server revoke $did through B"
		d=$(wait_seen "$WORK/srv-c.log" "device id $did revoked in the store") ||
			{ tail -n 10 "$WORK/srv-c.log"; bad "C did not end $name's session"; }
		line=$(tail -n +"$((from + 1))" "$WORK/srv-c.log" | grep -m1 "device id $did revoked in the store")
		echo "# C: $line"
		case $line in
		*"refusing SEALED"*) how="at its next sealed message" ;;
		*) how="by the poll" ;;
		esac
		echo "# a revocation through B ended $name's live session on C $d ms after it was stored, $how ($([ "$name" = g7 ] && echo "no traffic" || echo "a report a second"))"
		wait_log "$WORK/$name.log" "the peer sent ERROR 8 (expired)" 30
		# No report acknowledged by C once the revocation was stored
		# (a line may follow the commit by the time of one report).
		tb=$(ts_ms "$(grep -m1 "device id $did revoked: its revocation record stored" "$WORK/srv-b.log")")
		late=$(grep "received status report .* from device id $did" "$WORK/srv-c.log" | while read -r l; do
			if (($(ts_ms "$l") > tb + 300)); then
				echo "$l"
			fi
		done)
		[ -z "$late" ] || { echo "$late"; bad "C acknowledged reports of $name after its revocation"; }
		kill "$pid"
		wait "$pid" 2>/dev/null || true
	done
}

# The store goes away (PostgreSQL stopped) under a live session on C:
# C goes on acknowledging its reports, says once that the counters cannot
# be read, refuses a new a-flow, and says when they can be read again.
store_outage()
{
	local pid did from n

	gw2c g9 "$(s_of c)"
	step "store outage: g9 with C"
	gw2_live g9 c
	pid=$GW2_PID
	did=$(cat "$WORK/g9.did")
	from=$(log_lines "$WORK/srv-c.log")
	pg_stop
	step "store outage: PostgreSQL stopped"
	wait_log "$WORK/srv-c.log" "the store's change counters: .*live sessions go on" 30 "$from"
	for n in 1 2 3; do
		wait_log "$WORK/srv-c.log" "received status report .* from device id $did" 30 "$(log_lines "$WORK/srv-c.log")"
	done
	echo "# C acknowledged 3 reports of g9's session with the store down"
	n=$(tail -n +"$((from + 1))" "$WORK/srv-c.log" | grep -c "the store's change counters: " || true)
	[ "$n" = 1 ] || bad "C logged the unreadable counters $n times, not once"
	# Another a-flow of g9's device, while its session lives on.
	sed "s/^name = .*/name = g9b/" "$WORK/g9.conf" >"$WORK/g9b.conf"
	[ "$(aflow g9b "$WORK/g9b.log")" != ok ] ||
		bad "C started an a-flow with the store down"
	tail -n +"$((from + 1))" "$WORK/srv-c.log" | grep -q "store cannot be read now" ||
		{ tail -n 5 "$WORK/g9b.log"; bad "C did not refuse the a-flow for its store"; }
	pg_start
	step "store outage: PostgreSQL started again"
	wait_log "$WORK/srv-c.log" "the store's change counters can be read again" 60 "$from"
	wait_log "$WORK/srv-c.log" "received status report .* from device id $did" 30 "$(log_lines "$WORK/srv-c.log")"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

# "cpnsctl server revoke" through B: C refuses the device's next a-0.
device_revocation()
{
	local did t0 t1 r

	did=$(cat "$WORK/g1.did")
	step "revocation through B of $did"
	timeout 30 "$CPNSCTL" server revoke "$did" --control "$WORK/srv-b.ctl" --json >"$WORK/revoke.json" ||
		bad "cpnsctl server revoke through B"
	t0=$(ms)
	gw2c g1 "$(s_of c)"
	r=$(aflow g1 "$WORK/g1.3.log")
	t1=$(ms)
	[ "$r" = revoked ] || { tail -n 5 "$WORK/g1.3.log"; bad "C: g1 after its revocation through B: $r"; }
	echo "# a revocation through B refused by C at the next a-0, $((t1 - t0)) ms after it was stored (the a-flow included)"
}

# A seed revoked in the store (cpnsctl revoke seed, in B's namespace):
# C refuses its devices at the next request, before any poll.
seed_revocation()
{
	local t0 t1 r from sid2

	sid2=$(cat "$WORK/sid2")
	from=$(log_lines "$WORK/srv-c.log")
	step "seed revocation in the store: $sid2"
	timeout 30 ip netns exec "$NS_B" "$CPNSCTL" revoke seed "$sid2" --store "$STORE_URL" >"$WORK/revoke-seed.log" 2>&1 ||
		{ cat "$WORK/revoke-seed.log"; bad "cpnsctl revoke seed"; }
	t0=$(ms)
	gw2c g2 "$(s_of c)"
	r=$(aflow g2 "$WORK/g2.2.log")
	t1=$(ms)
	[ "$r" = revoked ] || { tail -n 5 "$WORK/g2.2.log"; bad "C: g2 after its seed's revocation: $r"; }
	tail -n +"$((from + 1))" "$WORK/srv-c.log" | grep -q "seed id $sid2 revoked in the store: revoked here too" ||
		bad "C does not log the seed's revocation"
	echo "# a seed revoked in the store refused by C at the next a-0, $((t1 - t0)) ms after the revocation (the a-flow included)"
	grep -h "seeds: the store's seeds changed" "$WORK/srv-c.log" | tail -n1 | sed 's/^/# C: /'
}

# Refused at start, clearly, and nothing changed in the database.
bad_input()
{
	local before rc from

	step "bad input"
	before=$(snapshot_db)
	refuse_start()	# WHAT STORE PATTERN
	{
		srv_conf d "$2"
		from=$(log_lines "$WORK/srv-d.log")
		rc=0
		timeout 60 ip netns exec "$NS_D" "$SERVERD" -f -c "$WORK/srv-d.conf" \
			>>"$WORK/srv-d.log" 2>&1 || rc=$?
		((rc)) || bad "$1: the server started"
		tail -n +"$((from + 1))" "$WORK/srv-d.log" | grep -q "$3" ||
			{ tail -n 5 "$WORK/srv-d.log"; bad "$1: no clear error ($3)"; }
		echo "# $1: $(tail -n +"$((from + 1))" "$WORK/srv-d.log" | grep -m1 "$3")"
		! tail -n +"$((from + 1))" "$WORK/srv-d.log" | grep -q "$PG_PASSWORD\|wrong-secret" ||
			bad "$1: a password was logged"
	}
	refuse_start "a store that cannot be reached" \
		"postgresql://cpns:$PG_PASSWORD@$ADDR_PG:5999/cpns" "cannot connect"
	refuse_start "a wrong password" \
		"postgresql://cpns:wrong-secret@$ADDR_PG/cpns" "password authentication failed"
	[ "$(snapshot_db)" = "$before" ] || bad "a refusal changed the database"
}

# run WHAT FUNCTION: the scenario in a subshell with set -e (its first
# failed check or fail ends it), one result.
run()
{
	local st

	step "$1"
	set +e
	(
		set -e
		"$2"
	)
	st=$?
	set -e
	result "$st" "$1"
}

run "a GW2 assigned through server A authenticates on server B" assigned_on_a_auth_on_b
run "a re-key confirmed on B is honoured on C" rekey_on_b_honoured_on_c
run "a seed rotation through A reaches B and C without a request" rotation
run "GW2 fails over when its server is killed (kill -9) mid-session" gw2_failover
run "GW1 fails over when its server refuses or times out, keeping no key" gw1_failover
step "restarting server A"
srv_start a
run "two servers racing on one device's re-key (overlap made certain): one winner, the device works on A, B and C" rekey_race
run "a revocation through B (cpnsctl server revoke) is honoured by C at once" device_revocation
run "a revocation through B ends a GW2's live session on C, with and without traffic" live_revocation
run "a store outage under a live session on C: its reports go on, new flows are refused, logged once" store_outage
run "a seed revoked in the store is honoured by C at its next request" seed_revocation
run "a store that cannot be reached, a wrong password: refused, nothing changed" bad_input

for n in a b c; do
	stop_daemon "${SRV_PID[$n]}" "server $n" "$WORK/srv-$n.log"
done
no_sanitizer_reports
echo "1..12"
exit $FAILED
