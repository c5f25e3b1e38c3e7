#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# GW1 re-assigns a GW2 (Documentation/protocol.rst, "Re-assignment"): the
# operator runs cpnsctl device reassign on GW2's control socket; GW2 asks
# GW1 with REPLACES = its Device ID, GW1 runs flow II with REPLACES, the
# server checks that the old device is of a seed of the same GW1, and as
# it confirms the new one stores the revocation record its kernel wraps
# (the server's kernel keeps none) in the old device's row before II-7; GW2 imports the new key (which revokes its old
# one), rewrites its store file and authenticates under the new ID.
# Then: a copy of the old key (GW2's store file as it was) is refused by
# the server; a GW2 that asks a foreign GW1 (another name, another seed)
# to replace the new ID is refused by the server, and nothing changes in
# the server's keyring or store.
set -e

case $(keyctl rdescribe @s 2>/dev/null) in
*";_uid_ses."* | "")
	exec keyctl session - bash "$0" "$@"
	;;
esac
. "$(dirname "$0")/lib.sh"

KEK_S=cpns:reassign-test-$$	# the server's store (logon key)
KEK_2=cpns-reassign-test:$$	# GW2's store file (logon key)
# The foreign GW1 has a namespace of its own (a GW1 uses the seed its
# keyring holds): S 10.77.4.1 -- 10.77.4.2 B 10.77.5.1 -- 10.77.5.2 GW2.
NS_B=cpnsg-gw1b-$$
GW1B_ADDR=10.77.5.1:7001

reassign_cleanup()
{
	cleanup
	ip netns del "$NS_B" 2>/dev/null || true
}
trap reassign_cleanup EXIT

since()
{
	tail -n +"$(($2 + 1))" "$1" | grep -q -- "$3"
}

# store_did FILE: the Device ID of a cpns-gwd store file.
store_did()
{
	xxd -p -s 20 -l 16 "$1"
}

store_rows()
{
	"$CPNSCTL" store show "$WORK/server.db" 2>/dev/null
}

# S's keys without sessions and pending objects (those come and go).
s_keys()
{
	keys "$NS_S" | grep serial
}

# daemon NAME NS: cpns-gwd -f with $WORK/NAME.conf; its pid in DPID.
daemon()
{
	ip netns exec "$2" "$GWD" -f -c "$WORK/$1.conf" >>"$WORK/$1.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
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
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 60

# GW2 "gwa": assigned, authenticated, with a store and a control socket.
gw2_conf gwa "store = $WORK/gwa.store
kek = logon:$KEK_2
control = $WORK/gwa.ctl
report_interval = 2"
daemon gwa "$NS_2"
GWA_PID=$DPID
wait_log "$WORK/gwa.log" "session established" 90
old=$(store_did "$WORK/gwa.store")
[ "$old" = "$(cat "$WORK/gwa.did")" ] || fail "gwa's store and device_id_file disagree"
wait_log "$WORK/server.log" "store: device id $old generation 1 (active) committed" 30
cp "$WORK/gwa.store" "$WORK/old.store"
chmod 600 "$WORK/old.store"
echo "ok - gwa holds device id $old"

# The re-assignment.
from_s=$(log_lines "$WORK/server.log")
from_1=$(log_lines "$WORK/gw1.log")
from_a=$(log_lines "$WORK/gwa.log")
out=$("$CPNSCTL" device reassign --control "$WORK/gwa.ctl") ||
	fail "cpnsctl device reassign: $out"
echo "    cpnsctl device reassign: $out"
wait_log "$WORK/gwa.log" "II-9 re-assigned: device id [0-9a-f]* replaces device id $old" 90 "$from_a"
new=$(tail -n +"$((from_a + 1))" "$WORK/gwa.log" |
	grep -m1 -o "II-9 re-assigned: device id [0-9a-f]*" | awk '{print $NF}')
[ ${#new} = 32 ] && [ "$new" != "$old" ] || fail "no new device id in gwa's log"
wait_log "$WORK/gwa.log" "session established .* for device id $new" 90 "$from_a"
tail -n +"$((from_1 + 1))" "$WORK/gw1.log" | grep -E "replac" | sed 's/^/    GW1: /'
since "$WORK/gw1.log" "$from_1" "II-5 sent device id $new, replacing device id $old" ||
	fail "GW1 did not send REPLACES"
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -E "replac" | sed 's/^/    S: /'
since "$WORK/server.log" "$from_s" \
	"II-6 device id $new replaces device id $old: the old one's revocation record is stored" ||
	fail "the server did not log the re-assignment"
echo "ok - re-assigned: $new replaces $old, gwa authenticates under $new"

# Both stores show it; GW2's kernel holds the old one revoked, S's none.
[ "$(store_did "$WORK/gwa.store")" = "$new" ] || fail "gwa's store file does not hold $new"
[ "$(cat "$WORK/gwa.did")" = "$new" ] || fail "gwa's device_id_file does not hold $new"
store_rows | grep "$old" | sed 's/^/    store: /'
store_rows | grep -q "$old  revoked" || { store_rows; fail "the server's store does not hold $old revoked"; }
! n_s "$CPNSCTL" show | grep -q "$old" ||
	{ n_s "$CPNSCTL" show; fail "S's kernel holds a key of $old"; }
n_2 "$CPNSCTL" show | grep -E "$old|$new" | sed 's/^/    GW2: /'
n_2 "$CPNSCTL" show | grep -q "$old .*revoked" || fail "GW2's old key is not revoked"
n_2 "$CPNSCTL" show | grep -q "$new .*active" || fail "GW2's new key is not active"
echo "ok - both stores and GW2's kernel show the re-assignment"

# A copy of the old key is refused by the server.
cat >"$WORK/imp.conf" <<-END
role = nonsecure
name = gwa-copy
server = $S_ADDR
gw1 = $GW1_ADDR
store = $WORK/old.store
kek = logon:$KEK_2
log_level = info
END
from_s=$(log_lines "$WORK/server.log")
if ip netns exec "$NS_1" "$GWD" --once -c "$WORK/imp.conf" >"$WORK/imp.log" 2>&1; then
	cat "$WORK/imp.log"
	fail "the old Device Key authenticated"
fi
grep -q "store .*: loaded device id $old" "$WORK/imp.log" ||
	{ cat "$WORK/imp.log"; fail "the copy did not load the old key"; }
grep -E "ERROR" "$WORK/imp.log" | head -n 1 | sed 's/^/    old key: /'
grep -q "the peer sent ERROR 8 .*revoked" "$WORK/imp.log" ||
	fail "the old key's refusal does not say revoked"
wait_log "$WORK/server.log" "refusing AUTH_HELLO" 20 "$from_s"
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -m1 "refusing AUTH_HELLO" |
	sed 's/^/    S: /'
n_1 "$CPNSCTL" key del --device "$old" >/dev/null 2>&1 || true
echo "ok - the old device id is refused"

# A foreign GW1 (gw1b, its own seed) is asked to replace gwa's new ID.
ip netns add "$NS_B"
ip -n "$NS_B" link set lo up
veth "$NS_S" 10.77.4.1 "$NS_B" 10.77.4.2 fd77:4::1 fd77:4::2
veth "$NS_B" 10.77.5.1 "$NS_2" 10.77.5.2 fd77:5::1 fd77:5::2
cat >"$WORK/gw1b.conf" <<-END
role = secure
name = gw1b
server = 10.77.4.1:7000
listen = $GW1B_ADDR
pairing_key = logon:$PAIR_KEY
seed_pairing_key = logon:$SEED_PAIR_KEY
log_level = info
END
daemon gw1b "$NS_B"
wait_log "$WORK/gw1b.log" "I-3 stored Key Seed" 60
# gwx: another GW2 that names gwa's new Device ID (its key is in GW2's
# keyring) and asks gw1b to replace it.
gw2_conf gwx "control = $WORK/gwx.ctl"
sed -i "s/^gw1 = .*/gw1 = $GW1B_ADDR/" "$WORK/gwx.conf"
echo "$new" >"$WORK/gwx.did"
daemon gwx "$NS_2"
wait_log "$WORK/gwx.log" "session established .* for device id $new" 90
s_keys >"$WORK/s.before"
store_rows >"$WORK/store.before"
from_s=$(log_lines "$WORK/server.log")
from_b=$(log_lines "$WORK/gw1b.log")
from_x=$(log_lines "$WORK/gwx.log")
"$CPNSCTL" device reassign --control "$WORK/gwx.ctl" >/dev/null ||
	fail "cpnsctl device reassign on gwx"
wait_log "$WORK/gwx.log" "re-assignment of device id $new failed" 90 "$from_x"
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -m1 "refusing ASSIGN_DEVICE_ID" |
	sed 's/^/    S: /'
since "$WORK/server.log" "$from_s" \
	"refusing ASSIGN_DEVICE_ID: II-6: device id $new belongs to another GW1 ('gw1', not 'gw1b')" ||
	fail "the server did not refuse the foreign GW1"
[ "$(grep -c "belongs to another GW1" "$WORK/server.log")" = 1 ] ||
	fail "the refusal is not logged once"
since "$WORK/gw1b.log" "$from_b" "assignment failed" ||
	fail "gw1b did not log the failure"
tail -n +"$((from_x + 1))" "$WORK/gwx.log" | grep -m2 -E "ERROR|failed" |
	sed 's/^/    gwx: /'
s_keys >"$WORK/s.after"
store_rows >"$WORK/store.after"
diff -u "$WORK/s.before" "$WORK/s.after" || fail "the refusal changed S's keys"
diff -u "$WORK/store.before" "$WORK/store.after" ||
	fail "the refusal changed the server's store"
n_2 "$CPNSCTL" show | grep -q "$new .*active" || fail "GW2's key $new changed"
echo "ok - a foreign GW1's re-assignment is refused, nothing changed"

# gwa goes on under the new ID.
from_a=$(log_lines "$WORK/gwa.log")
wait_log "$WORK/gwa.log" "received status ack" 30 "$from_a"
echo "ok - gwa still reporting under $new"

kill "$GWA_PID"
gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: reassign"
