#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The store on PostgreSQL, and the inventory through the control socket.
# A real PostgreSQL 15 (Debian's): initdb into a tmpfs as the postgres
# user, the server in a network namespace of its own joined to the
# server's by veth. The host suite test_store runs against it (the same
# tests as on SQLite, plus a server that is not there and a wrong
# password); then a story: cpns-serverd on the database, a GW1 and two
# GW2, "cpnsctl server devices" (filters, pages), "server device",
# "server status", "server sessions", "server revoke" refusing the
# device's next a-flow. Bad input gets a clear error and changes nothing:
# the server refuses to start on a database it cannot reach, with a wrong
# password, of a newer schema, or with a row altered by hand (its label
# no longer opens the blob).
#
# cpns-test: tap
# (Each result of the store suite, and each step of the story, is one.)
set -e
. "$(dirname "$0")/store_lib.sh"

. "$(dirname "$0")/pg_lib.sh"
NS_PG=cpnsg-pg-$$
PG_ADDR=10.77.9.2

pg_cleanup()
{
	pg_down
	ip netns del "$NS_PG" 2>/dev/null || true
	store_cleanup
}
trap pg_cleanup EXIT

hosts_up
ip netns add "$NS_PG"
ip -n "$NS_PG" link set lo up
veth "$NS_S" 10.77.9.1 "$NS_PG" "$PG_ADDR" fd77:9::1 fd77:9::2
pg_up "$NS_PG" "$PG_ADDR" 10.77.9.0/24
# A database of its own for the store suite.
psql_pg "CREATE DATABASE suite OWNER cpns" ||
	{ cat "$WORK/postgres.log"; fail "CREATE DATABASE suite"; }

# The store suite, against the database "suite": over the unix socket
# (trust: a TCG machine is slow at scram-sha-256, and the suite connects
# often), but for its wrong password, which goes over TCP.
n_s env CPNS_TEST_STORE="postgresql:///suite?host=$PG_DIR&user=cpns" \
	CPNS_TEST_STORE_TCP="$PG_ADDR/suite" \
	"$ROOT/userspace/tests/test_store" >"$WORK/suite.tap" 2>&1 || true
grep -q "^# backend: postgresql" "$WORK/suite.tap" ||
	{ cat "$WORK/suite.tap"; fail "the suite did not run on PostgreSQL"; }
# Its results, as results of this test.
sed 's/^\(\(not \)\{0,1\}ok [0-9]*\) - /\1 - postgresql: /' "$WORK/suite.tap"

# The story on the database "cpns".
STORE="postgresql://cpns:$PG_PASSWORD@$PG_ADDR/cpns"
CTL=$WORK/serverd.ctl
kek_load
store_server_conf "control = $CTL"
server_start
grep -q "(postgresql)" "$WORK/server.log" || fail "the server does not say its backend"
grep -q "$PG_PASSWORD" "$WORK/server.log" && fail "the server logged the database password"
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
sid=$(sed -n 's/.*I-2 made seed id \([0-9a-f]*\).*/\1/p' "$WORK/server.log" | head -n1)
gw2_conf gw2-a
gw2_conf gw2-b
aflow_ok gw2-a "$WORK/gw2-a.1.log" "GW2 a"
assigned gw2-a "$WORK/gw2-a.1.log"
aflow_ok gw2-b "$WORK/gw2-b.1.log" "GW2 b"
assigned gw2-b "$WORK/gw2-b.1.log"
did_a=$(cat "$WORK/gw2-a.did")
did_b=$(cat "$WORK/gw2-b.did")

sctl() { n_s "$CPNSCTL" server "$@" --control "$CTL"; }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

# Both devices, with their GW1 and their authentication.
sctl devices --json >"$WORK/devices.json"
cat "$WORK/devices.json"
jq_py "
ds = {x['device_id']: x for x in d['devices']}
assert set(ds) == {'$did_a', '$did_b'}, ds
for x in ds.values():
    assert x['seed_id'] == '$sid' and x['gw1'] and x['gw1_addr'].startswith('10.77.1.2:'), x
    assert x['assigned'] > 0 and x['state'] == 'active', x
    assert x['last_auth'] >= x['assigned'] and x['last_addr'].startswith('10.77.3.2:'), x
assert d['next'] is None
" <"$WORK/devices.json" || fail "server devices: not both devices as assigned and authenticated"
# Pages of one, and the filters.
first=$(sctl devices limit 1 --json | jq_py "print(d['devices'][0]['device_id'], d['next'])")
set -- $first
[ "$1" = "$2" ] || fail "a full page names its last device as next ($first)"
second=$(sctl devices limit 1 after "$1" --json | jq_py "print(d['devices'][0]['device_id'])")
[ "$second" != "$1" ] && { [ "$second" = "$did_a" ] || [ "$second" = "$did_b" ]; } ||
	fail "the second page ($second) is not the other device"
[ "$(sctl devices limit 1 after "$second" --json | jq_py "print(len(d['devices']))")" = 0 ] ||
	fail "a page after the last device is not empty"
[ "$(sctl devices seed "$sid" state active --json | jq_py "print(len(d['devices']))")" = 2 ] ||
	fail "filter by seed and state"
[ "$(sctl devices gw1 nobody --json | jq_py "print(len(d['devices']))")" = 0 ] ||
	fail "filter by another GW1"
sctl devices state bogus 2>"$WORK/err" && fail "an unknown state was accepted"
grep -q "usage" "$WORK/err" || { cat "$WORK/err"; fail "an unknown state: no usage"; }
sctl device "$did_a" --json | jq_py "assert d['device_id'] == '$did_a', d" ||
	fail "server device"
sctl status --json | tee "$WORK/status.json" |
	jq_py "assert d['backend'] == 'postgresql' and d['devices'] == 2 and d['seeds'] >= 1 and '$PG_PASSWORD' not in d['store'], d" ||
	{ cat "$WORK/status.json"; fail "server status"; }
sctl sessions --json | jq_py "assert isinstance(d, list), d" || fail "server sessions"
sctl devices >/dev/null || fail "server devices as a table"
echo "ok - postgresql: the inventory listed, paged and filtered through the control socket"

# Revoke a through the server: the store, the kernel, and its next a-flow.
from_s=$(log_lines "$WORK/server.log")
sctl revoke "$did_a" --json | tee "$WORK/revoke.json" |
	jq_py "assert d['store'] == 'revoked', d" || fail "server revoke"
[ "$(psql_pg "SELECT state FROM devices WHERE seed = (SELECT num FROM seeds WHERE seed_id = '${did_a:0:16}') AND suffix = decode('${did_a:16:16}', 'hex')")" = 4 ] ||
	fail "the database does not hold $did_a as revoked"
[ "$(aflow gw2-a "$WORK/gw2-a.2.log")" = revoked ] ||
	{ cat "$WORK/gw2-a.2.log"; fail "revoked GW2 a: not refused as revoked"; }
wait_log "$WORK/server.log" "refusing AUTH_HELLO: a-0: .*revoked" 10 "$from_s"
sctl revoke "$did_a" --json | jq_py "assert d['store'] == 'already revoked', d" ||
	fail "revoking again"
sctl revoke ffffffffffffffff0000000000000000 2>"$WORK/err" && fail "a device of no stored seed was revoked"
grep -q "no seed ffffffffffffffff stored" "$WORK/err" || { cat "$WORK/err"; fail "no clear error for an unknown seed"; }
aflow_ok gw2-b "$WORK/gw2-b.2.log" "GW2 b after a's revocation"
sctl devices state revoked --json | jq_py "assert [x['device_id'] for x in d['devices']] == ['$did_a'], d" ||
	fail "filter revoked"
echo "ok - postgresql: server revoke refuses the device's next a-flow"
server_stop

# Refusals: each leaves the database as it was and the server down. A
# fresh server namespace: its kernel holds nothing, so that every row is
# unwrapped at start.
s_renew
veth "$NS_S" 10.77.9.1 "$NS_PG" "$PG_ADDR" fd77:9::1 fd77:9::2
snapshot_db() { psql_pg "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM (SELECT s::text AS t FROM seeds s UNION ALL SELECT d::text FROM devices d UNION ALL SELECT v::text FROM schema_version v) x"; }
refuse() # WHAT PATTERN
{
	local from rc=0

	from=$(log_lines "$WORK/server.log")
	timeout 30 ip netns exec "$NS_S" "$SERVERD" -f -c "$WORK/server.conf" \
		>>"$WORK/server.log" 2>&1 || rc=$?
	((rc)) || fail "$1: the server started"
	tail -n +"$((from + 1))" "$WORK/server.log" | grep -q "$2" ||
		{ tail -n +"$((from + 1))" "$WORK/server.log"; fail "$1: no clear error ($2)"; }
	echo "$1: $(tail -n +"$((from + 1))" "$WORK/server.log" | grep -m1 "$2")"
	! tail -n +"$((from + 1))" "$WORK/server.log" | grep -q "$PG_PASSWORD" ||
		fail "$1: the password was logged"
}
before=$(snapshot_db)
store_server_conf
sed -i "s|^store = .*|store = postgresql://cpns:$PG_PASSWORD@$PG_ADDR:5999/cpns|" "$WORK/server.conf"
refuse "a database that is not there" "cannot connect"
store_server_conf
sed -i "s|^store = .*|store = postgresql://cpns:wrong-secret@$PG_ADDR/cpns|" "$WORK/server.conf"
refuse "a wrong password" "password authentication failed"
grep -q "wrong-secret" "$WORK/server.log" && fail "the wrong password was logged"
store_server_conf
psql_pg "UPDATE schema_version SET version = 7"
refuse "a schema from a newer version" "newer than this program's"
psql_pg "UPDATE schema_version SET version = 6"
[ "$(snapshot_db)" = "$before" ] || fail "a refusal changed the database"
psql_pg "UPDATE seeds SET created = created + 1 WHERE seed_id = '$sid'"
refuse "a seed row altered by hand" "does not unwrap"
psql_pg "UPDATE seeds SET created = created - 1 WHERE seed_id = '$sid'"
[ "$(snapshot_db)" = "$before" ] || fail "a refusal changed the database"
echo "ok - postgresql: refused, clearly and changing nothing: no database, a wrong password, a newer schema, an altered row"
server_start
[ "$(aflow gw2-a "$WORK/gw2-a.3.log")" = revoked ] || fail "the revocation did not survive a restart on PostgreSQL"
aflow_ok gw2-b "$WORK/gw2-b.3.log" "GW2 b after the restart"
server_stop
echo "ok - postgresql: the revocation holds across a restart on the database"
