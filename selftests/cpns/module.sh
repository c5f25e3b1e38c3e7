#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unload and reload the module while seeds, Device Keys, pending objects
# and sessions exist: rmmod succeeds, the keys of the old instance are
# dead, the family answers again after insmod with empty keyrings, and the
# kernel log has no warning (the VM runs with panic_on_warn=1 as well).
# Runs last: it leaves the module loaded with default parameters.

. "$(dirname "$0")/lib.sh"

test_unload_with_keys_and_sessions()
{
	local mark krs kr sers ser

	need_cpnsctl
	need_module
	mark=$(cpns_dmesg_lines)
	ns_new S s && ns_new G1 g1 && ns_new G2 g2
	hold_start "$CPNS_FLOW" --netns "$S,$G1,$G2" --hold --ids
	SID=$(sed -n 's/^sid //p' "$HOLD_OUT")
	DID=$(sed -n 's/^did //p' "$HOLD_OUT")
	krs="$(keyring_of "$S") $(keyring_of "$G1") $(keyring_of "$G2")"
	sers="$(key_serial "$S" cpns_seed "$SID") $(key_serial "$G1" cpns_seed "$SID")
	      $(key_serial "$G1" cpns_device "$DID") $(key_serial "$G2" cpns_device "$DID")"
	for ser in $sers; do keyctl describe "$ser"; done

	# The holder keeps its sockets, sessions and pending objects open.
	run rmmod cpns || fail "rmmod with keys and sessions present"
	[ ! -d /sys/module/cpns ] || fail "module still there"
	kill -0 "$HOLD_PID" || fail "holder died with the module"
	expect_fail "" "$CPNSCTL" info
	# Keys of the old instance are dead: their type is gone.
	for ser in $sers; do
		if keyctl describe "$ser" 2>/dev/null; then
			fail "key $ser of the unloaded module still described"
		fi
		expect_fail "" keyctl read "$ser"
	done

	run insmod "$(cpns_ko)" || fail "insmod"
	hold_stop
	for ns in "$S" "$G1" "$G2"; do
		nsx "$ns" "$CPNSCTL" info || fail "family does not answer in $ns"
		kr=$(keyring_of "$ns")
		for old in $krs; do
			[ "$kr" != "$old" ] || fail "keyring $kr survived the reload"
		done
		nsx "$ns" "$CPNSCTL" show
		! nsx "$ns" "$CPNSCTL" show | grep -qE "$SID|$DID" ||
			fail "keys survived the reload in $ns"
	done
	# The old seed is unknown to the new instance.
	expect_fail_reason "$S" no_key nsx "$S" "$CPNSCTL" key del --seed "$SID"
	cpns_dmesg_bad "$mark" || fail "kernel log"
}

test_reload_cycles()
{
	local mark i

	need_cpnsctl
	need_module
	mark=$(cpns_dmesg_lines)
	for i in 1 2 3; do
		ns_new S "c$i"
		nsx "$S" "$CPNSCTL" seed new
		cpns_reload || fail "reload $i"
		"$CPNSCTL" info >/dev/null || fail "family does not answer after reload $i"
		nsx "$S" "$CPNSCTL" info >/dev/null || fail "no answer in $S"
	done
	cpns_dmesg_bad "$mark" || fail "kernel log"
}

test_reload_while_netns_dies()
{
	local mark

	need_module
	mark=$(cpns_dmesg_lines)
	hold_start "$CPNS_FLOW" --hold
	# Unload with the holder's anonymous namespaces alive, then let them
	# die with the module gone.
	run rmmod cpns || fail "rmmod"
	hold_stop
	sleep 1
	run insmod "$(cpns_ko)" || fail "insmod"
	"$CPNSCTL" info >/dev/null || fail "family does not answer"
	"$CPNS_FLOW" || fail "flow after reload"
	cpns_dmesg_bad "$mark" || fail "kernel log"
}

test_self_test_ran_at_load()
{
	need_module
	cpns_reload || fail "reload"
	# The known-answer self-test runs before the family registers: a
	# module that answers passed it. It must not have logged a failure.
	dmesg | grep -i cpns | tail -n 5
	! dmesg | grep -iE 'cpns.*(self-test|selftest|known.answer).*(fail|mismatch)' ||
		fail "self-test failure logged"
	"$CPNSCTL" info >/dev/null
}

ktap_main
