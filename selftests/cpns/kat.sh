#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Known answers: every vector of ../shared/spec/vectors.json through
# "cpnsctl kat" (the kernel computes, cpnsctl compares), and copies of the
# file with one output byte changed, which must be reported as MISMATCH
# for exactly that field and make cpnsctl exit non-zero.

. "$(dirname "$0")/lib.sh"

need_kat()
{
	need_cpnsctl
	need_module
	[ -r "$CPNS_VECTORS" ] || fail "no vectors file at $CPNS_VECTORS"
}

# mutate DIR V:FIELD...: for each V:FIELD write DIR/V.FIELD.json, a copy of
# the vectors with that one output changed ("aead.I" changes the sealed
# bytes of entry I). One python3 run for all (it is slow to start in TCG).
mutate()
{
	python3 - "$CPNS_VECTORS" "$@" <<'PY'
import json, sys
src, outdir = sys.argv[1], sys.argv[2]
for spec in sys.argv[3:]:
    v, field = spec.split(":")
    d = json.load(open(src))
    o = d["vectors"][int(v)]["outputs"]
    if field.startswith("aead."):
        tgt, key = o["aead"][int(field[5:])], "sealed"
    else:
        tgt, key = o, field
    b = bytearray.fromhex(tgt[key])
    b[len(b) // 2] ^= 0x80
    tgt[key] = b.hex()
    json.dump(d, open("%s/%s.%s.json" % (outdir, v, field), "w"), indent=2)
PY
}

nvectors()
{
	python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["vectors"]))' "$CPNS_VECTORS"
}

test_all_vectors_ok()
{
	local out n checks

	need_kat
	out=$("$CPNSCTL" kat "$CPNS_VECTORS") || { echo "$out"; fail "cpnsctl kat failed"; }
	echo "$out"
	n=$(nvectors)
	[ "$n" -ge 1 ] || fail "no vectors"
	! echo "$out" | grep -q MISMATCH || fail "MISMATCH reported"
	# Every field of every vector was checked: 10 outputs and the AEAD
	# entries of each.
	checks=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(10 + len(v["outputs"]["aead"]) for v in d["vectors"]))' "$CPNS_VECTORS")
	expect_eq "ok lines" "$(echo "$out" | grep -cE '^vector [0-9]+ .* ok$')" "$checks"
	echo "$out" | grep -qE "^kat: $n vectors, $checks checks, 0 mismatches, 0 errors" ||
		fail "summary line missing or wrong"
}

# One changed output: exactly one MISMATCH, on that field, exit non-zero.
one_mismatch()
{
	local f=$1 pattern=$2 out rc

	out=$("$CPNSCTL" kat "$f" 2>&1) && rc=0 || rc=$?
	echo "$out"
	[ "$rc" -ne 0 ] || fail "cpnsctl kat exited 0 on $f"
	expect_eq "MISMATCH lines" "$(echo "$out" | grep -c MISMATCH)" 1
	echo "$out" | grep MISMATCH | grep -qE "$pattern" ||
		fail "the MISMATCH is not where $f changed the file"
	echo "$out" | grep -qE "1 mismatches" || fail "summary does not count 1 mismatch"
}

test_mismatch_each_output_field()
{
	local d f fields="seed_auth_key assign_request_mac assign_challenge_mac
		device_id device_key assign_confirm auth_client_mac auth_server_mac
		session_key_c2s session_key_s2c" specs=

	need_kat
	d=$(mktemp -d /tmp/cpns-vectors.XXXXXX)
	cleanup_add "rm -rf $d"
	for f in $fields; do
		specs="$specs 0:$f"
	done
	mutate "$d" $specs 1:device_key
	for f in $fields; do
		one_mismatch "$d/0.$f.json" "^vector [0-9]+ $f MISMATCH\$"
	done
	one_mismatch "$d/1.device_key.json" '^vector [0-9]+ device_key MISMATCH$'
}

test_mismatch_sealed()
{
	local d

	need_kat
	d=$(mktemp -d /tmp/cpns-vectors.XXXXXX)
	cleanup_add "rm -rf $d"
	mutate "$d" 2:aead.1 0:aead.0
	one_mismatch "$d/2.aead.1.json" '^vector [0-9]+ aead\[1\] sealed MISMATCH$'
	one_mismatch "$d/0.aead.0.json" '^vector [0-9]+ aead\[0\] sealed MISMATCH$'
}

test_malformed_vectors_file()
{
	local f

	need_kat
	f=$(mktemp /tmp/cpns-vectors.XXXXXX.json)
	python3 - "$CPNS_VECTORS" "$f" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["vectors"][0]["outputs"]["device_id"] = d["vectors"][0]["outputs"]["device_id"][:-2]
json.dump(d, open(sys.argv[2], "w"))
PY
	expect_fail "device_id" "$CPNSCTL" kat "$f"
	echo '{"profile": "CPNS-KA-1", "vectors": [' >"$f"
	expect_fail "" "$CPNSCTL" kat "$f"
	rm -f "$f"
}

test_kat_needs_cap_net_admin()
{
	need_kat
	expect_fail "not permitted" setpriv --inh-caps=-net_admin \
		--bounding-set=-net_admin "$CPNSCTL" kat "$CPNS_VECTORS"
}

ktap_main
