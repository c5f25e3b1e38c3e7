#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# No secret byte reaches userspace on any of the three hosts in the normal
# flows. Each daemon runs under strace, which records every byte it moves
# across the user/kernel boundary (read, write, their vector and
# positional forms, send*, recv* -- sockets, netlink, files -- and
# add_key, keyctl, request_key); at the end of each stage the test also
# copies each daemon's memory (nosecret.py dump: the heap, the stack,
# every writable or anonymous mapping), which covers bytes that never
# went through a system call. Every 8-byte window of every secret of the
# run is looked for at every offset of all of it (nosecret.py search).
#
# The flows, one of each: I-1..I-3 (GW1 gets a Key Seed); II-1..II-9
# (GW2 gets a Device ID and Key, II-9 confirmed by the pairing key) and
# GW2's store (KEY_WRAP); a-0..a-4 with the re-key and two sealed status
# reports; then GW2 again from its store (KEY_UNWRAP, its kernel's copy
# deleted) with an a-flow at generation 1 and one report.
#
# The secrets come from the two keys the test plants -- the KEK of both
# stores and the pairing key -- and nosecret.py secrets checks each one
# it derives against what the run did:
#   - the Key Seed, from the server's store (its blob opened under the
#     KEK by tools/store-vectors.py, independent of the module), and the
#     seed auth key;
#   - the Device Key as assigned (generation 0), derived from that seed
#     and equal to the blob GW2 wrote to its store after II-9;
#   - the re-keyed Device Key (generation 1): nobody but the kernels of
#     GW2 and S can derive it (X25519), but both stores hold it under the
#     KEK, and the two must agree;
#   - the session keys k_c2s and k_s2c of both a-flows (those of the
#     re-keying flow come from the key of generation 1, Documentation/
#     rekey.rst), each shown right by a SEALED frame of the capture that
#     it opens;
#   - the store wrap key of every blob, the KEK and the pairing key.
# Only the ephemeral X25519 secrets and what comes from them alone (the
# transfer keys of I-3 and II-9, the re-key's shared value) are not
# searched: the test cannot know them.
#
# The test fails if a secret appears, and shows first that it can: the
# search finds a seed that a process wrote (in its trace) and held (in its
# memory dump), and a KAT's Device Key that cpnsctl received over netlink;
# every trace and every dump must hold the run's Seed ID (a public value),
# or it missed the flows.
#
# Speed: with --seccomp-bpf the kernel stops a daemon only at the traced
# system calls (without it, ptrace stops it at every call, epoll_wait,
# timerfd and clock calls included, and strace filters afterwards); the
# daemons are stopped by a SIGTERM to the daemon itself, not to strace
# (which then has to detach from a tracee that handles the signal late).
set -e
. "$(dirname "$0")/lib.sh"

NS_PY=$GWD_TEST_DIR/nosecret.py
CALLS=read,write,readv,writev,pread64,pwrite64,preadv,pwritev,preadv2,pwritev2
CALLS=$CALLS,send,recv,sendto,recvfrom,sendmsg,recvmsg,sendmmsg,recvmmsg
CALLS=$CALLS,add_key,keyctl,request_key
TRACE=(strace -f -qq --seccomp-bpf -e signal=none -e "trace=$CALLS"
	-xx -s 65536)
VECTORS=$ROOT/../shared/spec/vectors.json
[ -f "$VECTORS" ] || VECTORS=/work/shared/spec/vectors.json

command -v strace >/dev/null || fail "strace is not installed (tools/install-deps)"

hexrand() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
stage() { echo "# ${SECONDS} s: $*"; }

# traced NAME NS PROG ARGS...: a daemon under strace, in the background;
# NAME_ST is strace's pid, NAME_PID the daemon's.
traced()
{
	local name=$1 ns=$2 st i p=

	shift 2
	ip netns exec "$ns" "${TRACE[@]}" -o "$WORK/$name.trace" "$@" \
		>>"$WORK/$name.log" 2>&1 &
	st=$!
	PIDS+=("$st")
	for ((i = 0; i < 300; i++)); do
		p=$(pgrep -P "$st" || true)
		[ -z "$p" ] || break
		sleep 0.1
	done
	[ -n "$p" ] || fail "$name: no process under strace $st"
	eval "${name//-/_}_ST=$st ${name//-/_}_PID=$p"
}

# stop NAME: SIGTERM to the daemon, which must exit 0 (strace exits with
# its status).
stop()
{
	local st pid rc=0

	eval "st=\$${1//-/_}_ST pid=\$${1//-/_}_PID"
	kill "$pid" || fail "$1 (pid $pid) is no longer running"
	wait "$st" || rc=$?
	[ $rc -eq 0 ] || { tail -n 20 "$WORK/$1.log"; fail "$1 exited $rc"; }
}

# dump STAGE NAME...: copy the memory of the daemons NAME to NAME-STAGE.mem
dump()
{
	local st=$1 name pid args=()

	shift
	for name in "$@"; do
		eval "pid=\$${name//-/_}_PID"
		args+=("$pid" "$WORK/$name-$st.mem")
	done
	python3 "$NS_PY" dump "${args[@]}" | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" -eq 0 ] || fail "cannot dump the memory of $*"
}

# wait_count FILE TEXT N SECONDS: until FILE has N lines with TEXT.
wait_count()
{
	local i

	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(count_log "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	tail -n 30 "$1"
	fail "not $3 lines '$2' in $1 after $4 s"
}

KEK=cpns-test:kek-$$
KEK_HEX=$(logon_key "$KEK")
hosts_up
PAIR_HEX=$(logon_key "$PAIR_KEY" "$(hexrand 32)")

# ---- the search can fail -----------------------------------------------
stage "self-checks"
hexrand 32 >"$WORK/seed.hex"
xxd -r -p "$WORK/seed.hex" >"$WORK/seed.bin"
printf 'key_seed %s\n' "$(cat "$WORK/seed.hex")" >"$WORK/control.secrets"
"${TRACE[@]}" -o "$WORK/control.trace" cat "$WORK/seed.bin" >/dev/null
# A process that holds the seed: the second cat has read it, and waits
# for the end of its input (the fifo) until the dump is done.
mkfifo "$WORK/hold"
cat "$WORK/seed.bin" "$WORK/hold" | cat >/dev/null &
holder=$!
PIDS+=("$holder")
sleep 0.5
python3 "$NS_PY" dump "$holder" "$WORK/control.mem" | sed 's/^/    /'
: >"$WORK/hold"
wait "$holder"
python3 - "$VECTORS" >>"$WORK/control.secrets" <<-'EOF'
	import json, sys
	o = json.load(open(sys.argv[1]))["vectors"][0]["outputs"]
	print("kat_device_key", o["device_key"])
	EOF
# cpnsctl kat runs on the test module's family (Documentation/kat.rst),
# loaded for this check only, beside the cpns.ko in use.
kat_ko=${CPNS_KAT_KO:-$(dirname "${CPNS_KO:-$ROOT/kmod/cpns.ko}")/test/cpns_kat.ko}
kat_loaded=0
if [ ! -d /sys/module/cpns_kat ]; then
	insmod "$kat_ko" || fail "cannot load the test module $kat_ko"
	kat_loaded=1
fi
n_1 "${TRACE[@]}" -o "$WORK/kat.trace" "$CPNSCTL" kat "$VECTORS" >/dev/null
((kat_loaded == 0)) || rmmod cpns_kat || fail "rmmod cpns_kat failed"
if python3 "$NS_PY" search "$WORK/control.secrets" "$WORK/control.trace" \
	"$WORK/control.mem" "$WORK/kat.trace" >"$WORK/control.out"; then
	cat "$WORK/control.out"
	fail "the search found none of the secrets planted in its checks"
fi
for f in control.trace:key_seed control.mem:key_seed kat.trace:kat_device_key
do
	grep -q "^$WORK/${f%:*}: .*bytes of ${f#*:}\$" "$WORK/control.out" || {
		cat "$WORK/control.out"
		fail "the search does not find ${f#*:} in ${f%:*}"
	}
done
echo "ok - the search finds a seed written and held on purpose, and a key read from netlink"

# ---- flow I --------------------------------------------------------------
stage "flow I"
server_conf
printf 'store = %s\nkek = logon:%s\n' "$WORK/server.db" "$KEK" \
	>>"$WORK/server.conf"
traced server "$NS_S" "$SERVERD" -f -c "$WORK/server.conf"
wait_log "$WORK/server.log" "listening" 120
gw1_conf
traced gw1 "$NS_1" "$GWD" -f -c "$WORK/gw1.conf"
wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 120
wait_log "$WORK/gw1.log" "listening for GW2s" 60
dump I server gw1

# ---- flows II (pairing key), store, a with the re-key, 2 reports ----------
stage "flows II and a"
gw2_conf gw2 "store = $WORK/gw2.store
kek = logon:$KEK
report_interval = 1"
traced gw2 "$NS_2" "$GWD" -f -c "$WORK/gw2.conf"
wait_count "$WORK/gw2.log" "received status ack" 2 180
grep -q "re-keyed to generation 1" "$WORK/gw2.log" || fail "no re-key"
dump a server gw1 gw2
stop gw2
did=$(cat "$WORK/gw2.did")

# ---- GW2 from its store: KEY_UNWRAP, a at generation 1, a report ----------
stage "GW2 from its store"
n_2 "$CPNSCTL" key del --device "$did"
traced gw2-2 "$NS_2" "$GWD" -f -c "$WORK/gw2.conf"
wait_count "$WORK/gw2-2.log" "received status ack" 1 120
grep -q "loaded device id $did" "$WORK/gw2-2.log" ||
	fail "GW2 did not load $did from its store"
dump a1 server gw2-2
stop gw2-2
stop gw1
stop server

# ---- the search -------------------------------------------------------------
stage "the run's secrets"
traces=("$WORK"/server.trace "$WORK"/gw1.trace "$WORK"/gw2.trace
	"$WORK"/gw2-2.trace)
dumps=("$WORK"/server-*.mem "$WORK"/gw1-*.mem "$WORK"/gw2-*.mem)
python3 "$NS_PY" secrets "$KEK_HEX" "$PAIR_HEX" "$WORK/server.db" \
	"$WORK/gw2.store" "$WORK"/*.log -- "${traces[@]}" \
	>"$WORK/run.secrets" || fail "the run's secrets do not check"
sed 's/^/    secret: /; s/ [0-9a-f]*$//' "$WORK/run.secrets"
stage "the search"
printf 'seed_id %s\n' "${did:0:16}" >"$WORK/public.secrets"
python3 "$NS_PY" search "$WORK/run.secrets" --public "$WORK/public.secrets" \
	"${traces[@]}" "${dumps[@]}" | sed 's/^/    /'
case ${PIPESTATUS[0]} in
0) ;;
1) fail "secret bytes in the daemons' userspace I/O or memory" ;;
*) fail "a capture or dump is empty or lacks the Seed ID" ;;
esac
echo "ok - no secret in what the three hosts' daemons read, wrote or held"

no_sanitizer_reports
stage "done"
echo "PASS: nosecret"
