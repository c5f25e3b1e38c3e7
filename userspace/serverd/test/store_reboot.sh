#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
# cpns-test: host
#
# A reboot with a persistent disk. On the host (no argument): make an ext4
# disk image and boot the VM twice on it (tools/vm-run --disk), printing
# TAP. Boot 1 runs the story with the server's store (and GW2's, when
# cpns-gwd has one: its "store" key) and the KEK files on the disk; boot 2
# (a new VM, the same disk) loads the KEKs again, restarts the daemons and
# shows that the server loads its seed back and that GW2 authenticates
# again without a new assignment (GW1 is not even started).
#
#   userspace/serverd/test/store_reboot.sh            on the host
#   userspace/serverd/test/store_reboot.sh boot1|boot2 in the VM (vm-run)

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

if [ $# -eq 0 ]; then
	tmp=$(mktemp -d /var/tmp/cpns-reboot.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	truncate -s 64M "$tmp/disk.img"
	mkfs.ext4 -q -F "$tmp/disk.img" || { echo "not ok 1 - mkfs.ext4"; exit 1; }
	n=0 failed=0
	for boot in boot1 boot2; do
		n=$((n + 1))
		"$ROOT/tools/vm-run" --no-build --timeout "${VM_TIMEOUT:-600}" \
			--disk "$tmp/disk.img" "$HERE/store_reboot.sh" "$boot" \
			>"$tmp/$boot.log" 2>&1
		status=$?
		sed 's/^/# /' "$tmp/$boot.log"
		if [ $status -eq 0 ]; then
			echo "ok $n - store reboot: $boot"
		else
			echo "not ok $n - store reboot: $boot (exit $status)"
			failed=1
			break
		fi
	done
	# GW2's part is a result of its own: a skip while cpns-gwd has no store.
	n=$((n + 1))
	if ((failed)); then
		echo "not ok $n - store reboot: GW2 authenticates after the reboot (not reached)"
	elif grep -q "^GW2-STORE: yes" "$tmp/boot2.log"; then
		echo "ok $n - store reboot: GW2 authenticates after the reboot without a new assignment"
	else
		echo "ok $n - store reboot: GW2 authenticates after the reboot # SKIP cpns-gwd has no store key yet"
	fi
	echo "1..$n"
	exit $failed
fi

[ -n "${CPNS_DISK:-}" ] || { echo "run me through tools/vm-run --disk"; exit 1; }
export WORK=$CPNS_DISK/work STORE=$CPNS_DISK/server.db KEK_FILE=$CPNS_DISK/kek
mkdir -p "$WORK"
set -e
# shellcheck source=store_lib.sh
. "$HERE/store_lib.sh"

GW2_KEK_DESC=cpns:gw2-kek
GW2_KEK_FILE=$CPNS_DISK/kek-gw2
# Whether cpns-gwd has a store (engineer C's GW2 store): its --help says.
gw2_store=no
"$GWD" --help | grep -q "^  store " && gw2_store=yes
echo "GW2-STORE: $gw2_store"

gw2_kek_load()
{
	[ -f "$GW2_KEK_FILE" ] || (umask 077 && head -c 32 /dev/urandom >"$GW2_KEK_FILE")
	keyctl purge logon "$GW2_KEK_DESC" >/dev/null 2>&1 || true
	keyctl padd logon "$GW2_KEK_DESC" @s <"$GW2_KEK_FILE" >/dev/null
}

hosts_up
kek_load
extra=
if [ $gw2_store = yes ]; then
	gw2_kek_load
	extra="store = $CPNS_DISK/gw2-a.store
kek = logon:$GW2_KEK_DESC"
fi
# The configuration is made again at each boot (its pairing key is new).
gw2_conf gw2-a "$extra"
case $1 in
boot1)
	store_server_conf
	server_start
	gw1_start
	wait_log "$WORK/gw1.log" "I-3 stored Key Seed" 30
	aflow_ok gw2-a "$WORK/gw2-a.boot1.log" "boot 1: GW2"
	assigned gw2-a "$WORK/gw2-a.boot1.log"
	sed -n 's/.*I-2 made seed id \([0-9a-f]*\).*/\1/p' "$WORK/server.log" |
		head -n1 >"$CPNS_DISK/sid"
	gw1_stop
	server_stop
	"$CPNSCTL" store check "$STORE"
	echo "boot 1: seed $(cat "$CPNS_DISK/sid") stored, GW2 holds $(cat "$WORK/gw2-a.did")"
	;;
boot2)
	sid=$(cat "$CPNS_DISK/sid")
	did=$(cat "$WORK/gw2-a.did")
	[ "$(keys_in "$NS_S")" = 0 ] || fail "boot 2: keys before the server started"
	"$CPNSCTL" store check "$STORE"
	from=$(log_lines "$WORK/server.log")
	server_start
	tail -n +"$((from + 1))" "$WORK/server.log" |
		grep -q "1 seeds (0 revoked), .* 0 already in the kernel" ||
		fail "boot 2: the seed was not loaded from the disk"
	n_s "$CPNSCTL" show | grep -q "^  $sid *server *active" ||
		{ n_s "$CPNSCTL" show; fail "boot 2: seed $sid not in S's keyring"; }
	echo "boot 2: the server loaded seed $sid from the disk"
	if [ $gw2_store = yes ]; then
		# No GW1: a GW2 that needed a new assignment would fail.
		gw2_run gw2-a "$WORK/gw2-a.boot2.log" ||
			{ cat "$WORK/gw2-a.boot2.log"; fail "boot 2: GW2 did not authenticate"; }
		grep -q "session established" "$WORK/gw2-a.boot2.log" ||
			fail "boot 2: GW2 established no session"
		! grep -q "II-9" "$WORK/gw2-a.boot2.log" || fail "boot 2: GW2 was assigned again"
		grep -q "using device id $did" "$WORK/gw2-a.boot2.log" ||
			fail "boot 2: GW2 did not use $did"
		echo "boot 2: GW2 authenticated with $did from its store, no new assignment"
	else
		echo "boot 2: GW2 not checked: cpns-gwd has no store key yet (SKIP)"
	fi
	server_stop
	;;
*)
	fail "unknown step '$1'"
	;;
esac
keyctl purge logon "$GW2_KEK_DESC" >/dev/null 2>&1 || true
no_sanitizer_reports
echo "PASS: store_reboot $1"
