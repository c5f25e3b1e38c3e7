#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# server and gw1 given as host names, resolved at each connect, over IPv6
# only. Each gateway's namespace has an /etc/hosts of its own (ip netns
# exec binds /etc/netns/NS/hosts over /etc/hosts):
#   GW1: cpns-server.test -> fd77:1::1
#   GW2: cpns-server.test -> fd77:3::2 (GW2's own address: refused), then
#        fd77:3::1 (the server); gw1.test -> fd77:2::1
# GW1 gets a Key Seed by name (flow I); GW2 is assigned (flow II) and
# authenticates (flow a) by name, falling back to the server's second
# address after the first refuses; a name that does not resolve fails
# with the host named.
set -e
. "$(dirname "$0")/lib.sh"

hosts_up
for ns in "$NS_1" "$NS_2"; do
	mkdir -p "/etc/netns/$ns"
done
names_cleanup() {
	rm -rf "/etc/netns/$NS_1" "/etc/netns/$NS_2"
	cleanup
}
trap names_cleanup EXIT
printf '127.0.0.1 localhost\nfd77:1::1 cpns-server.test\n' \
	>"/etc/netns/$NS_1/hosts"
printf '127.0.0.1 localhost\nfd77:3::2 cpns-server.test\nfd77:3::1 cpns-server.test\nfd77:2::1 gw1.test\n' \
	>"/etc/netns/$NS_2/hosts"
n_2 getent ahostsv6 cpns-server.test | grep -q 'fd77:3::1' ||
	fail "GW2's namespace does not see its /etc/hosts"

server_start
# shellcheck disable=SC2034 # gw1_conf (lib.sh) reads it
S_ADDR=cpns-server.test:7000
gw1_conf
sed -i '/^listen = 10\./d' "$WORK/gw1.conf"
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
grep -q "I-1 connecting to the server cpns-server.test:7000" "$WORK/gw1.log" ||
	fail "GW1 did not name the server by its host name"

gw2_conf gw2-n
sed -i "s/^server = .*/server = cpns-server.test:7000/; s/^gw1 = .*/gw1 = gw1.test:7001/" \
	"$WORK/gw2-n.conf"
n_2 "$GWD" --once --reports 1 -c "$WORK/gw2-n.conf" >"$WORK/gw2-n.log" 2>&1 ||
	{ cat "$WORK/gw2-n.log"; fail "GW2 by host names failed"; }
cat "$WORK/gw2-n.log"
grep -q "II-9 connecting to GW1 gw1.test:7001" "$WORK/gw2-n.log" ||
	fail "GW2 did not name GW1 by its host name"
grep -q "II-9 stored" "$WORK/gw2-n.log" || fail "no II-9 over IPv6 by name"
grep -q "cpns-server.test:7000: \[fd77:3::2\]:7000: connect failed: .*trying its next address" \
	"$WORK/gw2-n.log" || fail "GW2 did not try the server's next address"
grep -q "session established with \[fd77:3::1\]:7000" "$WORK/gw2-n.log" ||
	fail "GW2: no session with [fd77:3::1]:7000"
grep -q "received status ack" "$WORK/gw2-n.log" || fail "GW2: no status ack"
did=$(cat "$WORK/gw2-n.did")
n_2 "$CPNSCTL" show | grep -q "$did" || fail "GW2's keyring lacks $did"

# A name that does not resolve: --once fails, naming it.
gw2_conf gw2-x
sed -i "s/^server = .*/server = no-such-host.invalid:7000/; s/^gw1 = .*/gw1 = gw1.test:7001/" "$WORK/gw2-x.conf"
cp "$WORK/gw2-n.did" "$WORK/gw2-x.did"
if n_2 "$GWD" --once -c "$WORK/gw2-x.conf" >"$WORK/gw2-x.log" 2>&1; then
	cat "$WORK/gw2-x.log"
	fail "GW2 with an unknown server name succeeded"
fi
cat "$WORK/gw2-x.log"
grep -q "cannot resolve no-such-host.invalid" "$WORK/gw2-x.log" ||
	fail "the unknown name is not named"

gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: names"
