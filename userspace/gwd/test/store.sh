#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# GW2's store (store = PATH, kek = TYPE:DESC; Documentation/cpns-gwd.rst,
# STORE): the Device Key survives a kill -9 of GW2 right after II-9 and the
# loss of the kernel's copy (what a reboot or a module reload does: here,
# KEY_DEL), wrapped under a KEK; a torn, truncated or altered file, a wrong
# or missing KEK are refused at start with a clear error, load nothing and
# ask GW1 for nothing.
set -e
. "$(dirname "$0")/lib.sh"

KEK=cpns-test:kek-$$
OTHER=cpns-test:kek2-$$
STORE=$WORK/s1.store

# gw2_daemon NAME LOG: GW2 NAME in the foreground, in the background.
gw2_daemon()
{
	ip netns exec "$NS_2" "$GWD" -f -c "$WORK/$1.conf" >"$WORK/$2" 2>&1 &
	GW2_PID=$!
	PIDS+=("$GW2_PID")
}

kill9()
{
	kill -9 "$GW2_PID"
	wait "$GW2_PID" 2>/dev/null || true
}

has_key()
{
	n_2 "$CPNSCTL" show | grep -q "$1"
}

# forget DID: drop the kernel's copy, as a reboot would.
forget()
{
	n_2 "$CPNSCTL" key del --device "$1"
	! has_key "$1" || fail "the key of $1 is still in the kernel"
}

# refused CASE TEXT [CONF]: GW2 s1 (or CONF) --once must fail at start with
# TEXT in its log, load no key and not ask GW1.
refused()
{
	local conf=${3:-s1}

	if n_2 "$GWD" --once -c "$WORK/$conf.conf" >"$WORK/refused.log" 2>&1; then
		cat "$WORK/refused.log"
		fail "$1: GW2 started"
	fi
	sed 's/^/    /' "$WORK/refused.log"
	grep -q -- "$2" "$WORK/refused.log" || fail "$1: no '$2' in the log"
	grep -q "refusing to start" "$WORK/refused.log" ||
		fail "$1: no 'refusing to start'"
	! grep -q "II-9" "$WORK/refused.log" || fail "$1: GW2 asked GW1"
	! has_key "$did" || fail "$1: a key was loaded"
	echo "ok - $1"
}

# patch OFFSET HEXBYTE [nocrc]: set a byte of the store; recompute the
# CRC unless nocrc (so that the AEAD, not the checksum, must catch it).
patch()
{
	python3 - "$STORE" "$1" "$2" "${3:-}" <<-'EOF'
	import sys, zlib
	path, off, val, nocrc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 16), sys.argv[4]
	b = bytearray(open(path, "rb").read())
	b[off] = val if val != 0x100 else b[off] ^ 1
	if not nocrc:
	    b[-4:] = zlib.crc32(bytes(b[:-4])).to_bytes(4, "big")
	open(path, "wb").write(bytes(b))
	EOF
}

hosts_up
server_start
gw1_start
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
logon_key "$KEK" >/dev/null
logon_key "$OTHER" >/dev/null

gw2_conf s1 "store = $STORE
kek = logon:$KEK"

# II-9, stored, then kill -9 at once: the key comes back from the file.
gw2_daemon s1 s1-a.log
wait_log "$WORK/s1-a.log" "store .*: saved device id" 60
kill9
did=$(cat "$WORK/s1.did")
echo "device id $did; store:"
xxd "$STORE" | sed 's/^/    /'
[ "$(xxd -p -s 20 -l 16 "$STORE")" = "$did" ] || fail "the store names another Device ID"
[ "$(stat -c %a "$STORE")" = 600 ] || fail "the store is not mode 600"
forget "$did"
gw2_daemon s1 s1-b.log
wait_log "$WORK/s1-b.log" "session established" 60
grep -q "store .*: loaded device id $did generation [0-9]" "$WORK/s1-b.log" ||
	fail "GW2 did not load its key from the store"
! grep -q "II-9" "$WORK/s1-b.log" || fail "GW2 asked GW1 again"
echo "ok - kill -9 after II-9 and the kernel's copy lost: authenticated from the store"

# kill -9 in a session; the kernel still has the key: used as it is.
kill9
gw2_daemon s1 s1-c.log
wait_log "$WORK/s1-c.log" "session established" 60
grep -q "already in this namespace's keyring" "$WORK/s1-c.log" ||
	fail "restart with the key in the kernel"
stop_daemon "$GW2_PID" "cpns-gwd (GW2)" "$WORK/s1-c.log"
echo "ok - kill -9 with the key still in the kernel: authenticated"

cp "$STORE" "$WORK/good.store"
size=$(stat -c %s "$STORE")
forget "$did"

: >"$STORE"
refused "empty store" "bad magic"

head -c 30 "$WORK/good.store" >"$STORE"
refused "store cut in its header" "truncated (shorter than its header)"

head -c $((size - 7)) "$WORK/good.store" >"$STORE"
refused "store cut in its blob" "truncated (shorter than its length field)"

cp "$WORK/good.store" "$STORE"
printf 'x' >>"$STORE"
refused "store with a trailing byte" "trailing bytes"

cp "$WORK/good.store" "$STORE"
patch 50 0x100 nocrc
refused "flipped blob byte" "checksum mismatch"

cp "$WORK/good.store" "$STORE"
patch 50 0x100
refused "flipped blob byte, checksum recomputed" \
	"KEY_UNWRAP .*(wrong KEK, or the file was altered)"

cp "$WORK/good.store" "$STORE"
patch 20 0x100
refused "Device ID edited, checksum recomputed" "the blob holds device id"

cp "$WORK/good.store" "$STORE"
patch 16 0x05
refused "generation edited, checksum recomputed" "the blob holds device id"

cp "$WORK/good.store" "$STORE"
gw2_conf s1w "store = $STORE
kek = logon:$OTHER"
refused "wrong KEK" "KEY_UNWRAP under kek logon:$OTHER.*wrong KEK" s1w

gw2_conf s1m "store = $STORE
kek = user:cpns-test-absent-$$"
refused "missing KEK" "KEY_UNWRAP under kek user:cpns-test-absent" s1m

# The good file still works.
n_2 "$GWD" --once -c "$WORK/s1.conf" >"$WORK/s1-d.log" 2>&1 ||
	{ cat "$WORK/s1-d.log"; fail "the good store no longer loads"; }
grep -q "loaded device id $did" "$WORK/s1-d.log" || fail "good store: not loaded"
echo "ok - the untouched store still loads and authenticates"

gw1_stop
server_stop
no_sanitizer_reports
echo "PASS: store"
