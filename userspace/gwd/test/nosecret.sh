#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# No secret byte reaches userspace on any of the three hosts in the normal
# flows. Every daemon runs under strace, which records every byte each of
# them reads and writes (sockets, netlink, files); the test knows the
# secrets of the run and looks for every 8-byte piece of each in every
# captured byte (nosecret.py search):
#
#   - a Key Seed the test chose, planted wrapped (cpnsctl key unwrap of a
#     blob that tools/store-vectors.py's independent code sealed under a
#     KEK the test made) in S (role server) and GW1 (role gw1);
#   - from it and the public values the logs show: the seed auth key, the
#     Device Key of every Device ID, and the session keys k_c2s and k_s2c
#     of every a-flow (CPNS-KA-1, tools/xfer-vectors.py);
#   - the bytes of the KEK and of the pairing key.
#
# The flows: I-1..I-3 (a GW1 without a seed; that seed is random, so only
# the other secrets are searched in it), then with the planted seed
# II-1..II-9 (confirmed by the pairing key), GW2's store (KEY_WRAP), a-0
# .. a-4 and sealed reports, for two GW2s, and a restart of one from its
# store (KEY_UNWRAP) with a new a-flow.
#
# The search must be able to fail: it first finds the planted seed in a
# run of a process that writes it on purpose, and a KAT's derived Device
# Key in what cpnsctl receives from the kernel over netlink (recvmsg), and
# it must find public values (the Device IDs) in each daemon's capture.
set -e
. "$(dirname "$0")/lib.sh"

NS_PY=$GWD_TEST_DIR/nosecret.py
TRACE="strace -f -qq -e trace=read,write,readv,writev,pread64,pwrite64,sendmsg,recvmsg,sendto,recvfrom,sendmmsg,recvmmsg -xx -s 65536"
VECTORS=$ROOT/../shared/spec/vectors.json
[ -f "$VECTORS" ] || VECTORS=/work/shared/spec/vectors.json

command -v strace >/dev/null || fail "strace is not installed (tools/install-deps)"

hexrand() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# traced NAME NS PROG ARGS...: run a daemon under strace in the background.
traced()
{
	local name=$1 ns=$2

	shift 2
	ip netns exec "$ns" $TRACE -o "$WORK/$name.trace" "$@" \
		>>"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	eval "${name^^}_PID=$!"
}

SEED=$(hexrand 32)
SID=$(hexrand 8)
KEK=cpns-test-kek-$$
KEK_HEX=$(user_key "$KEK")
KEYS_ADDED+=("$KEK")
hosts_up
PAIR_HEX=$(user_key "$PAIR_KEY" "$(hexrand 32)")

# ---- the search can fail --------------------------------------------
echo "$SEED" >"$WORK/seed.hex"
printf 'key_seed %s\n' "$SEED" >"$WORK/control.secrets"
$TRACE -o "$WORK/control.trace" sh -c "xxd -r -p '$WORK/seed.hex' >/dev/null"
if python3 "$NS_PY" search "$WORK/control.secrets" "$WORK/control.trace"; then
	fail "the search did not find a seed written on purpose"
fi
python3 - "$VECTORS" >"$WORK/kat.secrets" <<-'EOF'
	import json, sys
	o = json.load(open(sys.argv[1]))["vectors"][0]["outputs"]
	print("kat_device_key", o["device_key"])
	EOF
n_1 $TRACE -o "$WORK/kat.trace" "$CPNSCTL" kat "$VECTORS" >/dev/null
if python3 "$NS_PY" search "$WORK/kat.secrets" "$WORK/kat.trace"; then
	fail "the search did not find a KAT Device Key received over netlink"
fi
echo "ok - the search finds a secret written on purpose and one read from netlink"

# ---- flow I, with a random seed ---------------------------------------
server_conf
traced server "$NS_S" "$SERVERD" -f -c "$WORK/server.conf"
wait_log "$WORK/server.log" "listening" 60
gw1_conf
traced gw1 "$NS_1" "$GWD" -f -c "$WORK/gw1.conf"
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 60
kill "$GW1_PID"; wait "$GW1_PID" || fail "GW1 exit status"
mv "$WORK/gw1.trace" "$WORK/gw1-flowI.trace"
rsid=$(n_1 "$CPNSCTL" show | awk '$2 == "gw1" { print $1; exit }')
n_1 "$CPNSCTL" key del --seed "$rsid"

# ---- the known seed, planted wrapped ------------------------------------
echo "$KEK_HEX" | xxd -r -p >"$WORK/kek.bin"
for role in server gw1; do
	blob=$(python3 "$NS_PY" blob seed "$role" "$SID" "$SEED" "$KEK_HEX")
	ns=$NS_S; [ $role = gw1 ] && ns=$NS_1
	ip netns exec "$ns" "$CPNSCTL" key unwrap "user:$KEK" "$blob" |
		sed "s/^/    $role: /"
done
n_1 "$CPNSCTL" show | grep -q "^$SID .*gw1" || fail "GW1 lacks the planted seed"

# ---- flows II, II-9, a, sealed reports, store -----------------------------
traced gw1 "$NS_1" "$GWD" -f -c "$WORK/gw1.conf"
wait_log "$WORK/gw1.log" "using Key Seed $SID" 60
for g in gw2-a gw2-b; do
	gw2_conf "$g" "store = $WORK/$g.store
kek = user:$KEK"
	n_2 $TRACE -o "$WORK/$g.trace" "$GWD" --once --reports 3 \
		-c "$WORK/$g.conf" >"$WORK/$g.log" 2>&1 ||
		{ cat "$WORK/$g.log"; fail "$g failed"; }
	grep -q "saved device id" "$WORK/$g.log" || fail "$g: not stored"
done
# gw2-a again from its store, the kernel's copy gone.
did=$(cat "$WORK/gw2-a.did")
n_2 "$CPNSCTL" key del --device "$did"
n_2 $TRACE -o "$WORK/gw2-a2.trace" "$GWD" --once --reports 2 \
	-c "$WORK/gw2-a.conf" >"$WORK/gw2-a2.log" 2>&1 ||
	{ cat "$WORK/gw2-a2.log"; fail "gw2-a from its store failed"; }
grep -q "loaded device id $did" "$WORK/gw2-a2.log" || fail "not loaded"

kill "$GW1_PID"; wait "$GW1_PID" || fail "GW1 exit status"
kill "$SERVER_PID"; wait "$SERVER_PID" || fail "server exit status"

# ---- the search -------------------------------------------------------
python3 "$NS_PY" secrets "$SEED" "$SID" "$WORK"/gw2-*.log "$WORK/gw1.log" \
	>"$WORK/run.secrets"
printf 'kek %s\npairing_key %s\n' "$KEK_HEX" "$PAIR_HEX" >>"$WORK/run.secrets"
sed 's/^/    secret: /; s/ [0-9a-f]*$//' "$WORK/run.secrets"
grep -q "^device_key_" "$WORK/run.secrets" || fail "no Device Key to look for"
grep -q "^k_c2s_" "$WORK/run.secrets" ||
	echo "    (no session key to look for: the a-flows re-keyed the Device Key)"
traces=("$WORK"/server.trace "$WORK"/gw1-flowI.trace "$WORK"/gw1.trace \
	"$WORK"/gw2-*.trace)
python3 "$NS_PY" search "$WORK/run.secrets" "${traces[@]}" ||
	fail "secret bytes in the daemons' userspace I/O"

# The captures do hold the public values: the search looked at the flows.
for t in "$WORK"/server.trace "$WORK"/gw1.trace "$WORK"/gw2-a.trace; do
	printf 'device_id %s\n' "$did" >"$WORK/public.secrets"
	if python3 "$NS_PY" search "$WORK/public.secrets" "$t" >/dev/null; then
		fail "$t does not hold device id $did: the capture missed the flow"
	fi
done
echo "ok - no secret in what the three hosts' daemons read and wrote"

no_sanitizer_reports
echo "PASS: nosecret"
