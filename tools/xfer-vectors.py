#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Known answers for CPNS-KA-1 and its key-transfer extension CPNS-KA-1-XFER.

An implementation independent of cpns.ko: it uses only the Python
`cryptography` package (Debian's python3-cryptography) for HMAC-SHA256,
X25519 and AES-256-GCM, and builds the profile's MAC and SP 800-108 KDF on
top of them as cpns-ka-1.md and Documentation/xfer.rst define them.

  xfer-vectors.py                 check vectors.json, then (re)write
                                  Documentation/xfer-vectors.json
  xfer-vectors.py --check         check vectors.json and that the file on
                                  disk holds exactly what this script makes
  xfer-vectors.py --c [N]         print xfer vector N (default 0) as the C
                                  constants of kmod/kat.c

Exit status 0 when every check passes, 1 otherwise.
"""

import argparse
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SPEC = os.path.join(os.path.dirname(TOP), 'shared', 'spec',
                            'vectors.json')
DEFAULT_OUT = os.path.join(TOP, 'Documentation', 'xfer-vectors.json')

KEY_LEN = 32
TAG_LEN = 16
SEED_ID_LEN = 8
DEVICE_ID_LEN = 16

# enum cpns_key_kind of include/uapi/linux/cpns.h
KIND_SEED = 1
KIND_DEVICE = 2
KIND_NAMES = {KIND_SEED: 'seed', KIND_DEVICE: 'device'}
ID_LEN = {KIND_SEED: SEED_ID_LEN, KIND_DEVICE: DEVICE_ID_LEN}


def log(msg):
    """Diagnostics go to stderr, so that --c prints nothing but C."""
    print(msg, file=sys.stderr)


# ---- CPNS-KA-1 primitives -------------------------------------------------

def hmac_sha256(key, msg):
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(msg)
    return h.finalize()


def mac(key, label, *fields):
    """MAC(K, label, f1, ...) = HMAC(K, label || 0x00 || f1 || ...)."""
    return hmac_sha256(key, label.encode('ascii') + b'\x00' + b''.join(fields))


def kdf(key, label, context, bits):
    """SP 800-108r1 counter mode, PRF HMAC-SHA256, L = bits."""
    assert bits % 8 == 0 and bits > 0
    fixed = label.encode('ascii') + b'\x00' + context + bits.to_bytes(4, 'big')
    out = b''
    i = 1
    while len(out) * 8 < bits:
        out += hmac_sha256(key, i.to_bytes(4, 'big') + fixed)
        i += 1
    return out[:bits // 8]


def seal(key, seq, aad, pt):
    """SEAL: AES-256-GCM, nonce [0]_4 || [seq]_8, ciphertext || tag."""
    nonce = bytes(4) + seq.to_bytes(8, 'big')
    return AESGCM(key).encrypt(nonce, pt, aad)


def open_(key, seq, aad, ct):
    nonce = bytes(4) + seq.to_bytes(8, 'big')
    return AESGCM(key).decrypt(nonce, ct, aad)


# ---- CPNS-KA-1 (cpns-ka-1.md, "Values" and the flows) ---------------------

def profile(inp):
    seed = bytes.fromhex(inp['key_seed'])
    sid = bytes.fromhex(inp['seed_id'])
    n1 = bytes.fromhex(inp['request_nonce'])
    ch = bytes.fromhex(inp['challenge'])
    nc = bytes.fromhex(inp['client_nonce'])
    ns = bytes.fromhex(inp['server_nonce'])

    ska = kdf(seed, 'CPNS seed auth', sid, 256)
    did = sid + kdf(seed, 'CPNS device id', ch, 64)
    dk = kdf(seed, 'CPNS device key', did, 256)
    sk = kdf(dk, 'CPNS session keys', did + nc + ns, 512)
    return {
        'seed_auth_key': ska,
        'assign_request_mac': mac(ska, 'CPNS assign request', sid, n1),
        'assign_challenge_mac': mac(ska, 'CPNS assign challenge', sid, n1, ch),
        'device_id': did,
        'device_key': dk,
        'assign_confirm': mac(dk, 'CPNS assign confirm', did, ch),
        'auth_client_mac': mac(dk, 'CPNS auth client', did, nc, ns),
        'auth_server_mac': mac(dk, 'CPNS auth server', did, nc, ns),
        'session_key_c2s': sk[:KEY_LEN],
        'session_key_s2c': sk[KEY_LEN:],
    }


def check_profile(path):
    """Recompute every output of vectors.json; return the mismatch count."""
    with open(path) as f:
        doc = json.load(f)
    bad = 0
    checked = 0
    for n, vec in enumerate(doc['vectors']):
        got = profile(vec['inputs'])
        want = vec['outputs']
        for name, value in got.items():
            checked += 1
            if value.hex() != want[name]:
                log(f'vector {n}: {name}: got {value.hex()}, '
                      f'want {want[name]}')
                bad += 1
        for i, a in enumerate(want.get('aead', [])):
            key = got[a['key']]
            aad = bytes.fromhex(a['aad'])
            pt = bytes.fromhex(a['plaintext'])
            sealed = seal(key, a['seq'], aad, pt)
            checked += 2
            if sealed.hex() != a['sealed']:
                log(f'vector {n}: aead[{i}]: got {sealed.hex()}, '
                      f'want {a["sealed"]}')
                bad += 1
            if open_(key, a['seq'], aad, bytes.fromhex(a['sealed'])) != pt:
                log(f'vector {n}: aead[{i}]: open does not give plaintext')
                bad += 1
    log(f'{path}: {checked} values checked, {bad} mismatches')
    return bad


# ---- CPNS-KA-1-XFER (Documentation/xfer.rst) ------------------------------

def x25519_public(secret):
    priv = X25519PrivateKey.from_private_bytes(secret)
    return priv.public_key().public_bytes(serialization.Encoding.Raw,
                                          serialization.PublicFormat.Raw)


def x25519(secret, peer_public):
    priv = X25519PrivateKey.from_private_bytes(secret)
    shared = priv.exchange(X25519PublicKey.from_public_bytes(peer_public))
    if shared == bytes(32):
        raise ValueError('low-order public key')
    return shared


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


def det(label, n):
    """Deterministic test bytes: SHA-256 of a label, cut to n bytes."""
    out = b''
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f'cpns xfer vector {label} {i}'.encode()).digest()
        i += 1
    return out[:n]


def clamp(s):
    s = bytearray(s)
    s[0] &= 248
    s[31] = (s[31] & 127) | 64
    return bytes(s)


# (kind, name); the sender and receiver secrets of vector 0 and 1 are
# clamped as cpns_xfer_keypair() makes them, those of vector 2 and 3 are
# not, so that an implementation that forgets to clamp fails.
XFER_CASES = [
    (KIND_SEED, 'seed-0', True),
    (KIND_DEVICE, 'device-0', True),
    (KIND_SEED, 'seed-1', False),
    (KIND_DEVICE, 'device-1', False),
]


def xfer_vectors():
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


def self_check_xfer(doc):
    """Checks that must fail if the construction were wrong."""
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
    try:
        x25519(rs, bytes(32))
        log('xfer: low-order public key accepted')
        bad += 1
    except ValueError:
        pass
    return bad


def c_array(name, data):
    lines = [f'static const u8 {name}[] = {{']
    for i in range(0, len(data), 8):
        chunk = ', '.join(f'0x{b:02x}' for b in data[i:i + 8])
        lines.append(f'\t{chunk},')
    lines.append('};')
    return '\n'.join(lines)


def print_c(doc, n):
    v = doc['vectors'][n]
    i, o = v['inputs'], v['outputs']
    print(f'/* Documentation/xfer-vectors.json, vector {n} ({i["kind"]}) */')
    print(f'#define KAT_XFER_KIND CPNS_KEY_{i["kind"].upper()}\n')
    for name, hx in (('kat_xfer_id', i['id']),
                     ('kat_xfer_sender_secret', i['sender_secret']),
                     ('kat_xfer_receiver_secret', i['receiver_secret']),
                     ('kat_xfer_key', i['key']),
                     ('kat_xfer_sender_public', o['sender_public']),
                     ('kat_xfer_receiver_public', o['receiver_public']),
                     ('kat_xfer_wrapped', o['wrapped'])):
        print(c_array(name, bytes.fromhex(hx)) + '\n')
    print(f'#define KAT_XFER_CODE {o["code"]}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--spec', default=DEFAULT_SPEC,
                    help='CPNS-KA-1 vectors.json to check')
    ap.add_argument('--out', default=DEFAULT_OUT,
                    help='the xfer vectors file')
    ap.add_argument('--check', action='store_true',
                    help='do not write; fail if --out differs')
    ap.add_argument('--c', type=int, nargs='?', const=0, metavar='N',
                    help='print xfer vector N as C constants')
    args = ap.parse_args()

    bad = check_profile(args.spec)
    doc = xfer_vectors()
    bad += self_check_xfer(doc)
    text = json.dumps(doc, indent=2) + '\n'

    if args.c is not None:
        print_c(doc, args.c)
    elif args.check:
        try:
            with open(args.out) as f:
                disk = f.read()
        except OSError as e:
            log(f'{args.out}: {e.strerror}')
            disk = None
        if disk != text:
            log(f'{args.out}: differs from what this script makes')
            bad += 1
        else:
            log(f'{args.out}: {len(doc["vectors"])} vectors, up to date')
    else:
        with open(args.out, 'w') as f:
            f.write(text)
        log(f'{args.out}: wrote {len(doc["vectors"])} vectors')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
