#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Known answers for CPNS-KA-1-REKEY, the re-key of the Device Key in the a-flow.

An implementation independent of cpns.ko: it uses only the Python
`cryptography` package (Debian's python3-cryptography) through the
primitives of tools/cpnsvec.py (HMAC-SHA256, the profile's MAC and
SP 800-108 KDF, AES-256-GCM SEAL, X25519), and builds the re-key as
Documentation/rekey.rst defines it. The command line is cpnsvec.main()'s.

  rekey-vectors.py                check vectors.json, then (re)write
                                  Documentation/rekey-vectors.json
  rekey-vectors.py --check        check vectors.json and that the file on
                                  disk holds exactly what this script makes

Exit status 0 when every check passes, 1 otherwise.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpnsvec as xv  # noqa: E402  pylint: disable=wrong-import-position

log = xv.log
kdf, mac, seal, open_ = xv.kdf, xv.mac, xv.seal, xv.open_
x25519, x25519_public, clamp = xv.x25519, xv.x25519_public, xv.clamp

KEY_LEN = xv.KEY_LEN
DEFAULT_OUT = os.path.join(xv.TOP, 'Documentation', 'rekey-vectors.json')
AEAD_AAD = b'cpns rekey vector'
AEAD_PT = b'first record under the new key'


def det(label, n):
    """Deterministic test bytes of this file (cpnsvec.det)."""
    return xv.det('rekey ' + label, n)


# ---- CPNS-KA-1-REKEY (Documentation/rekey.rst) ----------------------------

def rekey_flow(did, dk, g, nc, ns, c, s):
    """One re-keying a-flow seen from both ends; returns what each derives."""
    pc = x25519_public(c)
    ps = x25519_public(s)
    # a-1 and a-3 of a re-keying flow bind both public keys.
    client_mac = mac(dk, 'CPNS auth client', did, nc, ns, pc, ps)
    server_mac = mac(dk, 'CPNS auth server', did, nc, ns, pc, ps)
    shared_s = x25519(s, pc)
    shared_c = x25519(c, ps)
    assert shared_s == shared_c
    ctx = did + (g + 1).to_bytes(4, 'big') + nc + ns + pc + ps + shared_s
    dk_new = kdf(dk, 'CPNS rekey', ctx, 256)
    sk = kdf(dk_new, 'CPNS session keys', did + nc + ns, 512)
    return {
        'client_public': pc,
        'server_public': ps,
        'auth_client_mac': client_mac,
        'auth_server_mac': server_mac,
        'shared': shared_s,
        'new_device_key': dk_new,
        'session_key_c2s': sk[:KEY_LEN],
        'session_key_s2c': sk[KEY_LEN:],
    }


def rekey_vectors(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    v0 = spec['vectors'][0]['inputs']
    p0 = xv.profile(v0)
    # Vector 0 continues the profile's vector 0 (its Device ID, Device Key
    # and nonces) with clamped ephemeral secrets, as the kernel makes
    # them; vector 1 has made-up values and unclamped secrets, so that an
    # implementation that forgets to clamp fails.
    cases = [
        ('profile-0', p0['device_id'], p0['device_key'],
         bytes.fromhex(v0['client_nonce']), bytes.fromhex(v0['server_nonce']),
         clamp(det('0 client', 32)), clamp(det('0 server', 32))),
        ('made-up-1', det('1 id', 16), det('1 key', 32),
         det('1 nc', 16), det('1 ns', 16),
         det('1 client', 32), det('1 server', 32)),
    ]
    vectors = []
    for name, did, dk, nc, ns, c, s in cases:
        g = 0
        out = rekey_flow(did, dk, g, nc, ns, c, s)
        sealed = seal(out['session_key_c2s'], 0, AEAD_AAD, AEAD_PT)
        assert open_(out['session_key_c2s'], 0, AEAD_AAD, sealed) == AEAD_PT
        vectors.append({
            'name': name,
            'inputs': {
                'device_id': did.hex(),
                'device_key': dk.hex(),
                'generation': g,
                'client_nonce': nc.hex(),
                'server_nonce': ns.hex(),
                'client_secret': c.hex(),
                'server_secret': s.hex(),
            },
            'outputs': {
                'client_public': out['client_public'].hex(),
                'server_public': out['server_public'].hex(),
                'auth_client_mac': out['auth_client_mac'].hex(),
                'auth_server_mac': out['auth_server_mac'].hex(),
                'new_generation': g + 1,
                'new_device_key': out['new_device_key'].hex(),
                'session_key_c2s': out['session_key_c2s'].hex(),
                'session_key_s2c': out['session_key_s2c'].hex(),
                'aead': [{
                    'key': 'session_key_c2s',
                    'seq': 0,
                    'aad': AEAD_AAD.hex(),
                    'plaintext': AEAD_PT.hex(),
                    'sealed': sealed.hex(),
                }],
            },
            'intermediate': {
                'shared': out['shared'].hex(),
            },
        })
    return {
        'profile': 'CPNS-KA-1-REKEY',
        'generator': 'tools/rekey-vectors.py',
        'vectors': vectors,
    }


def self_check(doc, spec_path):
    """Checks that must fail if the construction were wrong."""
    bad = 0
    v = doc['vectors'][0]
    i, o = v['inputs'], v['outputs']
    did = bytes.fromhex(i['device_id'])
    dk = bytes.fromhex(i['device_key'])
    nc = bytes.fromhex(i['client_nonce'])
    ns = bytes.fromhex(i['server_nonce'])
    c = bytes.fromhex(i['client_secret'])
    s = bytes.fromhex(i['server_secret'])

    # The re-keyed codes differ from the profile's codes of the same flow,
    # and the new key differs from the old one and from the session keys.
    with open(spec_path) as f:
        p0 = json.load(f)['vectors'][0]['outputs']
    if o['auth_client_mac'] == p0['auth_client_mac'] or \
       o['auth_server_mac'] == p0['auth_server_mac']:
        log('rekey: the re-keying codes equal the profile codes')
        bad += 1
    if o['new_device_key'] == i['device_key'] or \
       o['session_key_c2s'] == p0['session_key_c2s']:
        log('rekey: the new key or session equals the old one')
        bad += 1

    # A substituted public key (a man in the middle, or GW1 replaying an
    # old exchange) gives other codes and another key.
    other = x25519_public(clamp(det('other', 32)))
    forged = rekey_flow(did, dk, 0, nc, ns, c, s)
    pc, ps = forged['client_public'], forged['server_public']
    if mac(dk, 'CPNS auth client', did, nc, ns, other, ps).hex() == \
            o['auth_client_mac'] or \
            mac(dk, 'CPNS auth server', did, nc, ns, pc, other).hex() == \
            o['auth_server_mac']:
        log('rekey: a substituted public key gives the same code')
        bad += 1

    # Low-order public keys (RFC 7748, section 6.1) are refused.
    for low in (bytes(32), (1).to_bytes(32, 'little')):
        try:
            x25519(s, low)
            log(f'rekey: low-order public key {low.hex()} accepted')
            bad += 1
        except ValueError:
            pass
    return bad


def main():
    return xv.main(__doc__, DEFAULT_OUT, rekey_vectors, self_check)


if __name__ == '__main__':
    sys.exit(main())
