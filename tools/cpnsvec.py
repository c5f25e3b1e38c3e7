# SPDX-License-Identifier: GPL-2.0
"""What tools/{xfer,rekey,store}-vectors.py share.

The profile's primitives (HMAC-SHA256, MAC, the SP 800-108 KDF, SEAL and
OPEN) and X25519, built on the Python `cryptography` package (Debian's
python3-cryptography) as cpns-ka-1.md and Documentation/xfer.rst define
them, independently of cpns.ko; the check of the profile's vectors.json
those primitives must pass first; the deterministic test bytes of every
vector file; and the command line the three scripts have in common:

  NAME-vectors.py                 check vectors.json, then (re)write
                                  Documentation/NAME-vectors.json
  NAME-vectors.py --check         check vectors.json and that the file on
                                  disk holds exactly what the script makes

The module's load-time self-test embeds one vector of each file:
tools/kat-header.py generates kmod/kat_vectors.h from them.

Not a program: the scripts import it (their own directory first on
sys.path, so that a script loaded by path from a test finds it too).
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
    """Diagnostics go to stderr."""
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


# ---- X25519 (RFC 7748) ----------------------------------------------------

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


def clamp(s):
    s = bytearray(s)
    s[0] &= 248
    s[31] = (s[31] & 127) | 64
    return bytes(s)


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


# ---- Test values and their C form -----------------------------------------

def det(label, n):
    """Deterministic test bytes: SHA-256 of a label, cut to n bytes. Every
    vector file's labels start with its own word ("rekey ...", "store
    ..."), the transfer's with none."""
    out = b''
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f'cpns xfer vector {label} {i}'.encode()).digest()
        i += 1
    return out[:n]


def c_array(name, data):
    lines = [f'static const u8 {name}[] = {{']
    for i in range(0, len(data), 8):
        chunk = ', '.join(f'0x{b:02x}' for b in data[i:i + 8])
        lines.append(f'\t{chunk},')
    lines.append('};')
    return '\n'.join(lines)


# ---- The command line -----------------------------------------------------

def write_or_check(doc, path, check):
    """Write doc to path, or with check compare it with path's text.
    Return the failure count."""
    text = json.dumps(doc, indent=2) + '\n'
    if not check:
        with open(path, 'w') as f:
            f.write(text)
        log(f'{path}: wrote {len(doc["vectors"])} vectors')
        return 0
    try:
        with open(path) as f:
            disk = f.read()
    except OSError as e:
        log(f'{path}: {e.strerror}')
        disk = None
    if disk != text:
        log(f'{path}: differs from what this script makes')
        return 1
    log(f'{path}: {len(doc["vectors"])} vectors, up to date')
    return 0


def main(doc_string, out, build, self_check, setup=None, dispatch=None):
    """The scripts' main(): check the profile's vectors, build the file's
    document (build(spec)), run the script's own checks (self_check(doc,
    spec), a failure count), then --check the file, or write it. setup(ap) may add arguments;
    dispatch(args) may handle them, returning an exit status, or None to
    go on. Return the exit status: 0 when every check passed."""
    ap = argparse.ArgumentParser(
        description=doc_string.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(doc_string.split('\n')[2:]))
    ap.add_argument('--spec', default=DEFAULT_SPEC,
                    help='CPNS-KA-1 vectors.json to check (and build on)')
    ap.add_argument('--out', default=out, help='the vectors file')
    ap.add_argument('--check', action='store_true',
                    help='do not write; fail if --out differs')
    if setup:
        setup(ap)
    args = ap.parse_args()
    if dispatch:
        ret = dispatch(args)
        if ret is not None:
            return ret

    bad = check_profile(args.spec)
    doc = build(args.spec)
    bad += self_check(doc, args.spec)
    bad += write_or_check(doc, args.out, args.check)
    if bad:
        log(f'{os.path.basename(sys.argv[0])}: {bad} failures')
    return 1 if bad else 0
