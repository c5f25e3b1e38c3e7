#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# The re-key of flow a (CPNS-KA-1-REKEY, Documentation/rekey.rst) through
# the daemons: GW2's first authentication replaces its Device Key by one
# of generation 1, which cpns-serverd stores (wrapped, in its store) before
# a-3 and again once the first sealed report confirms it, and cpns-gwd
# stores (its store file) before that report. Then a "GW1" that still
# holds the original key, of generation 0 (here: GW2's store file as it
# was after II-9, loaded by a cpns-gwd in GW1's namespace), runs flow a
# against the server and is refused with a logged reason, while GW2 goes
# on authenticating; both again after the server restarts with its
# kernel's keys gone. The server's kernel never holds the device's record:
# it is the row of the server's store, handed to the kernel at each a-0.
set -e

# The KEKs live in the session keyring the daemons inherit. Without one of
# our own (tools/vm-run starts CMD without a session keyring) a key added
# to @s would land in a keyring of keyctl's own and be lost.
case $(keyctl rdescribe @s 2>/dev/null) in
*";_uid_ses."* | "")
	exec keyctl session - bash "$0" "$@"
	;;
esac
. "$(dirname "$0")/lib.sh"

KEK_S=cpns:rekey-test-$$	# the server's store (logon key)
KEK_2=cpns-rekey-test:$$	# GW2's store file (logon key)

# store_gen FILE: the generation field of a cpns-gwd store file.
store_gen()
{
	echo $((16#$(xxd -p -s 16 -l 4 "$1")))
}

# s_row DID: state|generation|blob length of DID's row in S's store.
s_row()
{
	python3 - "$WORK/server.db" "$1" <<-'PY'
	import sqlite3, sys
	r = sqlite3.connect(sys.argv[1]).execute(
	    "SELECT CASE state WHEN 1 THEN 'active' WHEN 4 THEN 'revoked'"
	    " WHEN 5 THEN 'unconfirmed' END, generation,"
	    " 40 + length(sealed) FROM devices WHERE seed ="
	    " (SELECT num FROM seeds WHERE seed_id = ?) AND suffix = ?",
	    (sys.argv[2][:16], bytes.fromhex(sys.argv[2][16:]))).fetchone()
	print("|".join(map(str, r)) if r else "")
	PY
}

# since LOG FROM TEXT: LOG has TEXT after its first FROM lines.
since()
{
	tail -n +"$(($2 + 1))" "$1" | grep -q -- "$3"
}

# gw2_once NAME CONF NS [ARGS]: cpns-gwd --once; its log in $WORK/NAME.log.
gw2_once()
{
	# shellcheck disable=SC2086 # ARGS are words
	ip netns exec "$3" "$GWD" --once ${4:-} -c "$WORK/$2.conf" \
		>"$WORK/$1.log" 2>&1
}

# impostor NAME: the original key, from GW1's namespace, must be refused.
impostor()
{
	local from

	cp "$WORK/orig.store" "$WORK/imp.store"
	chmod 600 "$WORK/imp.store"
	from=$(log_lines "$WORK/server.log")
	if gw2_once "$1" imp "$NS_1"; then
		cat "$WORK/$1.log"
		fail "$1: the original Device Key authenticated"
	fi
	sed 's/^/    /' "$WORK/$1.log"
	grep -q "store .*: loaded device id $did generation 0" "$WORK/$1.log" ||
		fail "$1: the impostor did not load the original key"
	grep -q "the peer sent ERROR 8 .*generation 0 refused" \
		"$WORK/$1.log" || fail "$1: no refusal of generation 0 logged"
	! grep -q "session established" "$WORK/$1.log" ||
		fail "$1: a session was established"
	wait_log "$WORK/server.log" \
		"refusing AUTH_HELLO: a-0: device id $did generation 0 refused: device re-keyed" \
		10 "$from"
	! since "$WORK/server.log" "$from" "re-keyed to generation" ||
		fail "$1: the server re-keyed for the original key"
	echo "server: $(tail -n +"$((from + 1))" "$WORK/server.log" |
		grep -m1 'refusing AUTH_HELLO')"
	# Its copy leaves GW1's namespace again.
	n_1 "$CPNSCTL" key del --device "$did" >/dev/null
	echo "ok - $1: GW1's copy of the original key refused"
}

# gw2_again NAME: GW2 authenticates with generation 1, without a re-key.
gw2_again()
{
	local from

	from=$(log_lines "$WORK/server.log")
	gw2_once "$1" gw2 "$NS_2" "--reports 1" ||
		{ cat "$WORK/$1.log"; fail "$1: GW2 did not authenticate"; }
	grep -q "session established .*(generation 1)" "$WORK/$1.log" ||
		{ cat "$WORK/$1.log"; fail "$1: GW2's session is not of generation 1"; }
	! grep -q "re-keyed" "$WORK/$1.log" || fail "$1: GW2 re-keyed again"
	since "$WORK/server.log" "$from" \
		"device id $did authenticated (generation 1)" ||
		fail "$1: the server did not authenticate generation 1"
	echo "ok - $1: GW2 authenticates with generation 1"
}

hosts_up
head -c 32 /dev/urandom | keyctl padd logon "$KEK_S" @s >/dev/null ||
	fail "cannot add the server's KEK"
logon_key "$KEK_2" >/dev/null
server_conf
cat >>"$WORK/server.conf" <<-END
store = $WORK/server.db
kek = logon:$KEK_S
END
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30

# II-9 with no server to reach: GW2's store keeps the key of generation 0.
gw2_conf gw2 "store = $WORK/gw2.store
kek = logon:$KEK_2"
sed "s/^server = .*/server = 10.77.3.1:7999/" "$WORK/gw2.conf" \
	>"$WORK/gw2-noserver.conf"
! gw2_once ii9 gw2-noserver "$NS_2" ||
	{ cat "$WORK/ii9.log"; fail "GW2 reached a server at 10.77.3.1:7999"; }
grep -q "II-9 stored" "$WORK/ii9.log" || { cat "$WORK/ii9.log"; fail "II-9"; }
did=$(cat "$WORK/gw2.did")
sid=${did:0:16}
[ "$(store_gen "$WORK/gw2.store")" = 0 ] || fail "GW2's store is not of generation 0"
cp "$WORK/gw2.store" "$WORK/orig.store"
echo "ok - II-9: device id $did, generation 0 in GW2's store"

# GW2's first authentication re-keys; both ends store before going on.
from=$(log_lines "$WORK/server.log")
gw2_once first gw2 "$NS_2" "--reports 2" ||
	{ cat "$WORK/first.log"; fail "GW2's first authentication"; }
sed 's/^/    /' "$WORK/first.log"
grep -q "a-0 sent hello .*generation 0, re-key" "$WORK/first.log" ||
	fail "GW2 did not offer the re-key"
grep -q "a-4 the Device Key of device id $did re-keyed to generation 1" \
	"$WORK/first.log" || fail "GW2 did not report the re-key"
[ "$(store_gen "$WORK/gw2.store")" = 1 ] || fail "GW2's store is not of generation 1"
save=$(grep -n "store .*: saved device id $did generation 1" "$WORK/first.log" |
	cut -d: -f1 | head -n1)
report=$(grep -n "sent status report" "$WORK/first.log" | cut -d: -f1 | head -n1)
[ -n "$save" ] && [ -n "$report" ] && ((save < report)) ||
	fail "GW2 did not store generation 1 before its first sealed report"
tail -n +"$((from + 1))" "$WORK/server.log" | grep -E "re-keyed|confirmed|store:" |
	sed 's/^/    /'
since "$WORK/server.log" "$from" "a-2 device $did re-keyed to generation 1" ||
	fail "the server did not log the re-key"
since "$WORK/server.log" "$from" \
	"store: device id $did generation 1 (unconfirmed) committed" ||
	fail "the server did not store the re-keyed record"
since "$WORK/server.log" "$from" "device $did: re-keyed record .* confirmed" ||
	fail "the server did not log the confirmation"
since "$WORK/server.log" "$from" \
	"store: device id $did generation 1 (active) committed" ||
	fail "the server did not store the confirmation"
[ "$(s_row "$did")" = "active|1|104" ] ||
	fail "S's row of $did is '$(s_row "$did")', not active|1|104"
! n_s "$CPNSCTL" show | grep -q "$did" ||
	{ n_s "$CPNSCTL" show; fail "S's kernel holds a key of $did"; }
"$CPNSCTL" store show "$WORK/server.db" 2>/dev/null | sed 's/^/    /' || true
echo "ok - first authentication: re-keyed to generation 1 and stored on both ends"

cat >"$WORK/imp.conf" <<-END
role = nonsecure
name = gw1-copy
server = $S_ADDR
gw1 = $GW1_ADDR
store = $WORK/imp.store
kek = logon:$KEK_2
log_level = info
END
impostor impostor1
gw2_again gw2-again1

# The server restarts with its kernel's keys gone: from its store.
server_stop
n_s "$CPNSCTL" key del --seed "$sid" >/dev/null
! n_s "$CPNSCTL" show | grep -q "$sid" || fail "S still holds $sid"
from=$(log_lines "$WORK/server.log")
server_start
since "$WORK/server.log" "$from" "device records read per request" ||
	fail "the server did not open its store"
! n_s "$CPNSCTL" show | grep -q "$did" ||
	{ n_s "$CPNSCTL" show; fail "the server loaded a key of $did at start"; }
echo "ok - server restarted: its seed loaded, the record of generation 1 left in its store"
impostor impostor2
gw2_again gw2-again2

# A row altered by hand is refused with a clear reason and changes
# nothing: its state (the blob's header says otherwise), then a byte of
# its blob (the kernel cannot open it). Restored, it works again.
row_sql() { python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); d.execute(sys.argv[2]); d.commit()' "$WORK/server.db" "$1"; }
# The row of Device ID $did: its seed's num and its suffix (store.rst).
the_row="seed = (SELECT num FROM seeds WHERE seed_id = '${did:0:16}') AND suffix = x'${did:16:16}'"
# row_flip: one bit of the sealed part of the row's blob (its byte 60:
# byte 20 of the row's sealed column, store.rst "A device row").
row_flip() { python3 -c 'import sqlite3, sys; d = sqlite3.connect(sys.argv[1]); w = sys.argv[2]; b = bytearray(d.execute("SELECT sealed FROM devices WHERE " + w).fetchone()[0]); b[20] ^= 1; d.execute("UPDATE devices SET sealed = ? WHERE " + w, (bytes(b),)); d.commit()' "$WORK/server.db" "$the_row"; }
row_sum() { python3 -c 'import sqlite3, sys; r = sqlite3.connect(sys.argv[1]).execute("SELECT seed, suffix, generation, state, created, expiry, key_state, key_generation, key_offset, key_expiry, hex(sealed) FROM devices WHERE " + sys.argv[2]).fetchone(); assert r, "no row"; print(r)' "$WORK/server.db" "$the_row" | md5sum; }
altered()	# altered NAME SQL|row_flip WANT
{
	local from before

	server_stop
	cp "$WORK/server.db" "$WORK/server.db.good"
	if [ "$2" = row_flip ]; then row_flip; else row_sql "$2"; fi
	before=$(row_sum)
	from=$(log_lines "$WORK/server.log")
	server_start
	if gw2_once "$1" gw2 "$NS_2" "--reports 1"; then
		cat "$WORK/$1.log"
		fail "$1: GW2 authenticated on an altered row"
	fi
	wait_log "$WORK/server.log" "$3" 10 "$from"
	echo "server: $(tail -n +"$((from + 1))" "$WORK/server.log" | grep -m1 -- "$3")"
	[ "$(row_sum)" = "$before" ] || fail "$1: the refusal changed the row"
	[ "$(store_gen "$WORK/gw2.store")" = 1 ] || fail "$1: GW2's key changed"
	server_stop
	cp "$WORK/server.db.good" "$WORK/server.db"
	rm -f "$WORK/server.db-wal" "$WORK/server.db-shm"
	server_start
	echo "ok - $1: refused, nothing changed"
}
altered altered-state \
	"UPDATE devices SET state = 5 WHERE $the_row" \
	"device id $did: the row (state unconfirmed, generation 1) disagrees with its 104-byte blob: the row was altered; refused"
altered altered-blob row_flip \
	"a-0: the stored record of device id $did (generation 1, active) does not open under KEK"
gw2_again gw2-again3

gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: rekey"
