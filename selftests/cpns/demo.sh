#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: the whole CPNS-KA-1 flow between a server (S) and two gateways
# (GW1 on a secure WAN, GW2 on a non-secure one), each in its own network
# namespace, one step per line with the public values it carries, then the
# keyrings of the three namespaces as keyctl shows them. Exits non-zero if
# any step fails.

set -u
DIR=$(cd "$(dirname "$0")" && pwd)
. "$DIR/lib.sh"

NS=(cpns-demo-s-$$ cpns-demo-gw1-$$ cpns-demo-gw2-$$)
LABEL=(S GW1 GW2)

cleanup()
{
	local ns

	for ns in "${NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
}
trap cleanup EXIT

die()
{
	echo "demo: FAILED: $*" >&2
	exit 1
}

[ -d /sys/module/cpns ] || die "cpns.ko is not loaded (run it through tools/vm-run)"
[ -x "$CPNS_FLOW" ] || die "$CPNS_FLOW is not built"
for ns in "${NS[@]}"; do
	ip netns add "$ns" || die "ip netns add $ns"
done

echo "== CPNS-KA-1 Device ID/Key assignment: S, GW1 and GW2 in namespaces ${NS[*]}"
echo "== (public values only: every secret stays in the kernel)"
echo
"$CPNS_FLOW" --verbose --netns "${NS[0]},${NS[1]},${NS[2]}" || die "flow"
echo
for i in 0 1 2; do
	kr=$(ip netns exec "${NS[$i]}" "$CPNSCTL" keyring) ||
		die "cpnsctl keyring in ${NS[$i]}"
	echo "== ${LABEL[$i]}: keyctl show $kr"
	keyctl show "$kr" || die "keyctl show $kr"
	echo
done
echo "SUCCESS: Device ID assigned, Device Key moved to GW2, and GW2 and S authenticated each other"
