#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Known answers for CPNS-KA-1 and its key-transfer extension CPNS-KA-1-XFER.

An implementation independent of cpns.ko: the profile's primitives and
X25519 of tools/cpnsvec.py (only the Python `cryptography` package,
Debian's python3-cryptography), and the transfer built on them as
Documentation/xfer.rst defines it. The command line is cpnsvec.main()'s.

  xfer-vectors.py                 check vectors.json, then (re)write
                                  Documentation/xfer-vectors.json
  xfer-vectors.py --check         check vectors.json and that the file on
                                  disk holds exactly what this script makes

Exit status 0 when every check passes, 1 otherwise.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
# x25519_public and KIND_DEVICE are also used by the tests that load this
# script by path (userspace/gwd/test/mitm.py).
from cpnsvec import (  # noqa: E402
    ID_LEN, KEY_LEN, KIND_DEVICE, KIND_NAMES, KIND_SEED, TOP, clamp,
    det, kdf, log, mac, open_, seal, x25519, x25519_public)
import cpnsvec  # noqa: E402

DEFAULT_OUT = os.path.join(TOP, 'Documentation', 'xfer-vectors.json')


# ---- CPNS-KA-1-XFER (Documentation/xfer.rst) ------------------------------

def xfer_keys(kind, ident, shared, sender_public, receiver_public):
    ctx = bytes([kind]) + ident + sender_public + receiver_public
    wk = kdf(shared, 'CPNS transfer wrap', ctx, 256)
    code = int.from_bytes(kdf(shared, 'CPNS transfer code', ctx, 32),
                          'big') % 1000000
    return wk, code


def xfer_wrap(kind, ident, sender_secret, receiver_public, key):
    sender_public = x25519_public(sender_secret)
    shared = x25519(sender_secret, receiver_public)
    wk, code = xfer_keys(kind, ident, shared, sender_public, receiver_public)
    wrapped = seal(wk, 0, bytes([kind]) + ident, key)
    return sender_public, wrapped, code, shared, wk


def xfer_unwrap(kind, ident, receiver_secret, sender_public, wrapped):
    receiver_public = x25519_public(receiver_secret)
    shared = x25519(receiver_secret, sender_public)
    wk, code = xfer_keys(kind, ident, shared, sender_public, receiver_public)
    return open_(wk, 0, bytes([kind]) + ident, wrapped), code


def pair_mac(pair_key, kind, ident, sender_public, receiver_public):
    """XFER_PAIR: MAC(pk, "CPNS transfer pair", [kind]_1, id, E, R)."""
    return mac(pair_key, 'CPNS transfer pair', bytes([kind]), ident,
               sender_public, receiver_public)


def receiver_mac(pair_key, kind, receiver_public):
    """XFER_ACCEPT: MAC(pk, "CPNS transfer receiver", [kind]_1, R)."""
    return mac(pair_key, 'CPNS transfer receiver', bytes([kind]),
               receiver_public)


# (kind, name); the sender and receiver secrets of vector 0 and 1 are
# clamped as cpns_xfer_keypair() makes them, those of vector 2 and 3 are
# not, so that an implementation that forgets to clamp fails.
XFER_CASES = [
    (KIND_SEED, 'seed-0', True),
    (KIND_DEVICE, 'device-0', True),
    (KIND_SEED, 'seed-1', False),
    (KIND_DEVICE, 'device-1', False),
]


def xfer_vectors(spec=None):
    """The document; spec (the profile's file) is not used."""
    del spec
    vectors = []
    for kind, name, clamped in XFER_CASES:
        ss = det(name + ' sender', 32)
        rs = det(name + ' receiver', 32)
        if clamped:
            ss, rs = clamp(ss), clamp(rs)
        ident = det(name + ' id', ID_LEN[kind])
        key = det(name + ' key', KEY_LEN)
        rpub = x25519_public(rs)
        spub, wrapped, code, shared, wk = xfer_wrap(kind, ident, ss, rpub, key)
        back, code2 = xfer_unwrap(kind, ident, rs, spub, wrapped)
        assert back == key and code2 == code
        pk = det(name + ' pair key', 32)
        pmac = pair_mac(pk, kind, ident, spub, rpub)
        rmac = receiver_mac(pk, kind, rpub)
        vectors.append({
            'inputs': {
                'kind': KIND_NAMES[kind],
                'id': ident.hex(),
                'sender_secret': ss.hex(),
                'receiver_secret': rs.hex(),
                'key': key.hex(),
                'pair_key': pk.hex(),
            },
            'outputs': {
                'sender_public': spub.hex(),
                'receiver_public': rpub.hex(),
                'wrapped': wrapped.hex(),
                'code': code,
                'pair_mac': pmac.hex(),
                'receiver_mac': rmac.hex(),
            },
            'intermediate': {
                'shared': shared.hex(),
                'wrap_key': wk.hex(),
            },
        })
    return {
        'profile': 'CPNS-KA-1-XFER',
        'generator': 'tools/xfer-vectors.py',
        'vectors': vectors,
    }


def self_check_xfer(doc, spec=None):
    """Checks that must fail if the construction were wrong."""
    del spec
    bad = 0
    v = doc['vectors'][0]
    kind = 1 if v['inputs']['kind'] == 'seed' else 2
    ident = bytes.fromhex(v['inputs']['id'])
    rs = bytes.fromhex(v['inputs']['receiver_secret'])
    spub = bytes.fromhex(v['outputs']['sender_public'])
    wrapped = bytes.fromhex(v['outputs']['wrapped'])
    for what, args in (
            ('tampered blob', (kind, ident, rs, spub,
                               wrapped[:-1] + bytes([wrapped[-1] ^ 1]))),
            ('other kind', (3 - kind, ident, rs, spub, wrapped)),
            ('other id', (kind, bytes([ident[0] ^ 1]) + ident[1:], rs, spub,
                          wrapped))):
        try:
            xfer_unwrap(*args)
            log(f'xfer: {what} opened')
            bad += 1
        except Exception:
            pass
    pk = bytes.fromhex(v['inputs']['pair_key'])
    rpub = bytes.fromhex(v['outputs']['receiver_public'])
    want = v['outputs']['pair_mac']
    for what, args in (
            ('swapped keys', (pk, kind, ident, rpub, spub)),
            ('other kind', (pk, 3 - kind, ident, spub, rpub)),
            ('other pairing key', (bytes([pk[0] ^ 1]) + pk[1:], kind, ident,
                                   spub, rpub))):
        if pair_mac(*args).hex() == want:
            log(f'xfer: pair MAC unchanged with {what}')
            bad += 1
    want = v['outputs']['receiver_mac']
    for what, args in (
            ('the sender\'s key', (pk, kind, spub)),
            ('other kind', (pk, 3 - kind, rpub)),
            ('other pairing key', (bytes([pk[0] ^ 1]) + pk[1:], kind,
                                   rpub))):
        if receiver_mac(*args).hex() == want:
            log(f'xfer: receiver MAC unchanged with {what}')
            bad += 1
    if receiver_mac(pk, kind, rpub) == pair_mac(pk, kind, ident, spub, rpub):
        log('xfer: receiver MAC equals the pair MAC')
        bad += 1
    try:
        x25519(rs, bytes(32))
        log('xfer: low-order public key accepted')
        bad += 1
    except ValueError:
        pass
    return bad


def main():
    return cpnsvec.main(__doc__, DEFAULT_OUT, xfer_vectors, self_check_xfer)


if __name__ == '__main__':
    sys.exit(main())
