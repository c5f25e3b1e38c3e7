#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Seed rotation through the daemons (Documentation/protocol.rst, "Seed
# rotation"): GW1's operator asks for a new Key Seed (cpnsctl seed rotate
# on GW1's control socket); cpns-serverd commits the new seed and the old
# one's retirement (now + seed_overlap) in one transaction, retires it in
# its kernel and tells GW1, which retires its copy. During the overlap a
# GW2 assigned under the old seed keeps authenticating, also after the
# server restarted with its kernel's keys gone (the retirement comes back
# from the store), while a new GW2 gets a Device ID of the new seed. After
# the retirement the old GW2 is refused (the reason in both logs) and the
# server's sweep deletes the old seed's rows from its store.
set -e

case $(keyctl rdescribe @s 2>/dev/null) in
*";_uid_ses."* | "")
	exec keyctl session - bash "$0" "$@"
	;;
esac
. "$(dirname "$0")/lib.sh"

KEK_S=cpns:rotate-test-$$
OVERLAP=${OVERLAP:-90}

# since LOG FROM TEXT: LOG has TEXT after its first FROM lines.
since()
{
	tail -n +"$(($2 + 1))" "$1" | grep -q -- "$3"
}

# gw2_once NAME [ARGS]: GW2 NAME (its conf $WORK/NAME.conf) runs --once.
gw2_once()
{
	# shellcheck disable=SC2086 # ARGS are words
	ip netns exec "$NS_2" "$GWD" --once ${2:-} -c "$WORK/$1.conf" \
		>"$WORK/$1-$RUN.log" 2>&1
}

# session NAME WHAT: GW2 NAME authenticates and has a report acknowledged.
session()
{
	RUN=$((RUN + 1))
	gw2_once "$1" "--reports 1" ||
		{ cat "$WORK/$1-$RUN.log"; fail "$2: GW2 $1 did not authenticate"; }
	grep -q "session established" "$WORK/$1-$RUN.log" ||
		{ cat "$WORK/$1-$RUN.log"; fail "$2: no session for $1"; }
	echo "ok - $2: $1 authenticates"
}

# store_rows: the server's store, as cpnsctl store show lists it.
store_rows()
{
	"$CPNSCTL" store show "$WORK/server.db" 2>/dev/null
}

RUN=0
hosts_up
head -c 32 /dev/urandom | keyctl padd logon "$KEK_S" @s >/dev/null ||
	fail "cannot add the server's KEK"
server_conf
cat >>"$WORK/server.conf" <<-END
store = $WORK/server.db
kek = logon:$KEK_S
seed_overlap = $OVERLAP
END
server_start
GW1_EXTRA="control = $WORK/gw1.ctl"
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 60
old=$(grep -m1 -o "I-3 stored Key Seed [0-9a-f]*" "$WORK/gw1.log" | awk '{print $5}')
[ ${#old} = 16 ] || fail "no Seed ID in GW1's log"
echo "ok - GW1 holds Key Seed $old"

# GW2 "gwa" under the old seed.
gw2_conf gwa
session gwa "before the rotation"
did_a=$(cat "$WORK/gwa.did")
[ "${did_a:0:16}" = "$old" ] || fail "gwa's device id $did_a is not of seed $old"

# The operator rotates GW1's seed.
from_s=$(log_lines "$WORK/server.log")
from_1=$(log_lines "$WORK/gw1.log")
out=$(n_1 "$CPNSCTL" seed rotate --control "$WORK/gw1.ctl") ||
	fail "cpnsctl seed rotate: $out"
echo "    cpnsctl seed rotate: $out"
wait_log "$WORK/gw1.log" "I-3 rotation: Key Seed $old .* retires at" 60 "$from_1"
new=$(tail -n +"$((from_1 + 1))" "$WORK/gw1.log" |
	grep -m1 -o "I-3 stored Key Seed [0-9a-f]*" | awk '{print $5}')
[ ${#new} = 16 ] && [ "$new" != "$old" ] || fail "no new seed in GW1's log"
at=$(tail -n +"$((from_1 + 1))" "$WORK/gw1.log" |
	grep -m1 -o "Key Seed $old (serial [0-9-]*) retires at [0-9]*" |
	awk '{print $NF}')
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -E "rotation|retire" |
	sed 's/^/    /'
since "$WORK/server.log" "$from_s" \
	"store: 1 older seed of 'gw1' retires at $at" ||
	fail "the server did not commit the retirement at $at"
since "$WORK/server.log" "$from_s" \
	"I-2 rotation: seed id $old (key [0-9-]*) retires at" ||
	fail "the server's kernel did not retire $old at $at"
since "$WORK/server.log" "$from_s" "I-3 told 'gw1' that seed id $old retires at $at" ||
	fail "I-3 did not tell GW1 the retirement"
now=$(date +%s)
((at > now && at <= now + OVERLAP)) ||
	fail "retirement $at is not within the overlap ($now + $OVERLAP)"
at_iso=$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ)
store_rows | grep -q "$old .*expires $at_iso" ||
	{ store_rows; fail "the store does not hold $old's retirement $at"; }
n_1 "$CPNSCTL" show | grep "$old" | sed 's/^/    GW1: /'
echo "ok - rotation: $old retires at $at (overlap $OVERLAP s), new seed $new"

# A new GW2 gets a Device ID of the new seed; the old GW2 keeps working.
gw2_conf gwb
session gwb "new assignment during the overlap"
did_b=$(cat "$WORK/gwb.did")
[ "${did_b:0:16}" = "$new" ] ||
	fail "gwb's device id $did_b is not of the new seed $new"
echo "ok - new assignments use seed $new ($did_b)"
session gwa "old seed's device during the overlap"

# The server restarts with its kernel's keys gone: the retirement
# comes back from the store.
server_stop
for k in "$did_a" "$did_b"; do
	n_s "$CPNSCTL" key del --device "$k" >/dev/null 2>&1 || true
done
n_s "$CPNSCTL" key del --seed "$old" >/dev/null
n_s "$CPNSCTL" key del --seed "$new" >/dev/null
! n_s "$CPNSCTL" show | grep -q "$old" || fail "S still holds $old"
from_s=$(log_lines "$WORK/server.log")
server_start
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -E "store" |
	sed 's/^/    /'
since "$WORK/server.log" "$from_s" \
	"store: seed id $old retires at [0-9]* (the store.s retirement, finished in the kernel" ||
	fail "the restart did not bring the retirement back"
((at > $(date +%s))) || fail "the overlap was over before the restart test (OVERLAP too short for this machine)"
n_s "$CPNSCTL" show | grep -q "$old" || fail "S lost $old"
n_s "$CPNSCTL" show | grep "$old" | sed 's/^/    S: /'
session gwa "old seed's device after the restart, during the overlap"
((at > $(date +%s))) || fail "the overlap was over during the last check (OVERLAP too short for this machine)"
echo "ok - restart during the overlap keeps the retirement"

# After the retirement: refused, and swept from the store.
while (($(date +%s) <= at)); do sleep 1; done
sleep 1
from_s=$(log_lines "$WORK/server.log")
RUN=$((RUN + 1))
if gw2_once gwa "--reports 1"; then
	cat "$WORK/gwa-$RUN.log"
	fail "gwa authenticated after the retirement of its seed"
fi
grep -E "ERROR|expired" "$WORK/gwa-$RUN.log" | head -n 3 | sed 's/^/    gwa: /'
grep -q "ERROR 8 (expired" "$WORK/gwa-$RUN.log" ||
	fail "gwa's log does not say the key expired"
wait_log "$WORK/server.log" "refusing AUTH_HELLO" 20 "$from_s"
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep -m1 "refusing AUTH_HELLO" |
	sed 's/^/    server: /'
tail -n +"$((from_s + 1))" "$WORK/server.log" | grep "refusing AUTH_HELLO" |
	grep -qi "expired" || fail "the server's refusal does not say expired"
echo "ok - after the retirement the old seed's device is refused (expired)"

wait_log "$WORK/server.log" "store: seed id $old expired at $at: deleted" 30
wait_log "$WORK/server.log" "store: sweep: [0-9]* expired rows deleted" 10
! store_rows | grep -q "$old" || { store_rows; fail "$old is still in the store"; }
store_rows | grep -q "$new" || fail "the new seed left the store"
echo "ok - the sweep deleted $old's rows from the store"
session gwb "new seed's device after the retirement"

gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: rotate"
