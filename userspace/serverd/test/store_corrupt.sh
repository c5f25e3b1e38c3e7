#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# A damaged store is refused, never half-loaded. A store with one real
# seed (from flow I with a GW1) is copied and damaged; cpns-serverd is
# started on each copy in a new namespace (empty keyring) and must exit 1
# with a clear reason, leaving no key in that namespace: a truncated file,
# an empty file, a flipped byte in a blob, a seed_id edited with sqlite3,
# an owner edited, an expiry edited, a second row that fails after a
# first one loaded, a wrong KEK, a missing KEK. The undamaged store loads.
set -e
. "$(dirname "$0")/store_lib.sh"

hosts_up
kek_load
store_server_conf "seed_lifetime = 86400"
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
gw1_stop
server_stop		# a clean stop checkpoints the WAL into the file
sid=$(sed -n 's/.*I-2 made seed id \([0-9a-f]*\).*/\1/p' "$WORK/server.log" | head -n1)
[ ! -e "$STORE-wal" ] || [ ! -s "$STORE-wal" ] || fail "the WAL was not checkpointed on SIGTERM"
"$CPNSCTL" store show "$STORE"

# try NAME WANT [DB [KEK]]: cpns-serverd on a copy of the store damaged by
# the caller in $WORK/NAME.db must exit 1 with WANT in its log and leave
# no key behind.
try()
{
	local name=$1 want=$2 db=${3:-$WORK/$1.db} kek=${4:-logon:$KEK_DESC}
	local ns log=$WORK/$1.log rc=0

	fresh_ns
	ns=$FRESH_NS
	sed "s|^store = .*|store = $db|; s|^kek = .*|kek = $kek|" \
		"$WORK/server.conf" >"$WORK/$name.conf"
	timeout 60 ip netns exec "$ns" "$SERVERD" -f -c "$WORK/$name.conf" \
		>"$log" 2>&1 || rc=$?
	[ "$rc" = 1 ] || { cat "$log"; fail "$name: exit $rc, not 1"; }
	grep -q -- "$want" "$log" || { cat "$log"; fail "$name: no '$want' in the log"; }
	grep -q "listening" "$log" && { cat "$log"; fail "$name: listened"; }
	[ "$(keys_in "$ns")" = 0 ] ||
		{ ip netns exec "$ns" "$CPNSCTL" show; fail "$name: keys left in the kernel"; }
	echo "$name: refused: $(grep -m1 -- "$want" "$log" | sed 's/^.*cpns-serverd\[[0-9]*\]: //')"
}

copy() { cp "$STORE" "$WORK/$1.db"; }

# sql NAME STATEMENT: edit a copy as an operator (or attacker) would.
sql() { copy "$1"; sqlite3 "$WORK/$1.db" "$2"; }

copy truncated
truncate -s $(($(stat -c %s "$STORE") / 2)) "$WORK/truncated.db"
try truncated "the store is corrupted"

copy header
printf 'XQLite' | dd of="$WORK/header.db" bs=1 seek=0 conv=notrunc status=none
try header "not a database"

: >"$WORK/empty.db"
try empty "empty file: the store is truncated"

# One byte of the blob flipped (the 40th: inside the sealed part).
copy flipped
python3 - "$WORK/flipped.db" <<-'END'
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	sid, blob = db.execute("SELECT seed_id, blob FROM seeds").fetchone()
	b = bytearray(blob)
	b[40] ^= 0x01
	db.execute("UPDATE seeds SET blob = ? WHERE seed_id = ?", (bytes(b), sid))
	db.commit()
END
try flipped "does not unwrap under logon:$KEK_DESC"

other=${sid:0:15}$(printf '%x' $((0x${sid:15:1} ^ 1)))
sql seed-id "UPDATE seeds SET seed_id = '$other'"
try seed-id "seed id $other does not unwrap"

sql owner "UPDATE seeds SET owner = 'mallory'"
try owner "seed id $sid does not unwrap"

sql expiry "UPDATE seeds SET expiry = expiry + 1000"
try expiry "disagrees with the store"

# A second row after a good one: the good one must not stay loaded.
sql second "INSERT INTO seeds SELECT 'ffffffffffffffff', owner, owner_addr, created, state, expiry, blob, (SELECT max(num) + 1 FROM seeds) FROM seeds"
[ "$sid" != ffffffffffffffff ] || fail "unlucky seed id"
try second "ffffffffffffffff does not unwrap"
grep -q "the 1 keys loaded before the failure were removed" "$WORK/second.log" ||
	fail "second: the first seed was not removed again"

# Wrong KEK: another key under another name.
(umask 077 && head -c 32 /dev/urandom >"$WORK/kek2")
keyctl padd logon cpns:other-kek @s <"$WORK/kek2" >/dev/null
copy wrong-kek
try wrong-kek "does not unwrap under logon:cpns:other-kek: .*another KEK" "" logon:cpns:other-kek
keyctl purge logon cpns:other-kek >/dev/null

copy no-kek
try no-kek "does not unwrap under logon:cpns:nowhere: no key" "" logon:cpns:nowhere

# The undamaged store still loads, in a new namespace.
fresh_ns
ns=$FRESH_NS
ip netns exec "$ns" "$SERVERD" -f -c "$WORK/server.conf" >"$WORK/good.log" 2>&1 &
good=$!
PIDS+=("$good")
wait_log "$WORK/good.log" "listening" 30
grep -q "1 keys loaded" "$WORK/good.log" || fail "the undamaged store did not load"
ip netns exec "$ns" "$CPNSCTL" show | grep -q "^  $sid *server *active" ||
	fail "the undamaged store's seed is not in the keyring"
stop_daemon "$good" cpns-serverd "$WORK/good.log"
no_sanitizer_reports
echo "PASS: store_corrupt"
