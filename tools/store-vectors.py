#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Known answers for CPNS-KA-1-STORE: keys wrapped for storage under a KEK.

An implementation of Documentation/store.rst independent of cpns.ko: the
profile's KDF and SEAL come from tools/cpnsvec.py (Python `cryptography`:
HMAC-SHA256, AES-256-GCM), checked against the profile's vectors.json
first. The command line is cpnsvec.main()'s, and two commands more:

  store-vectors.py                 check vectors.json, then (re)write
                                   Documentation/store-vectors.json
  store-vectors.py --check         check vectors.json and fail if the file
                                   on disk differs from what this script
                                   makes
  store-vectors.py build ...       build one blob (see build --help), e.g.
                                   to plant a known seed in a test: the
                                   key and the KEK are read from files,
                                   never from the command line
  store-vectors.py open ...        open one blob and print its fields (a
                                   test's way to check what KEY_WRAP made)

Exit status 0 when every check passes, 1 otherwise.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpnsvec as X  # noqa: E402  pylint: disable=wrong-import-position

kdf, seal, open_, det, log = X.kdf, X.seal, X.open_, X.det, X.log
DEFAULT_OUT = os.path.join(X.TOP, 'Documentation', 'store-vectors.json')

VERSION = 1
SALT_LEN = 16
KEY_LEN = 32
MAX_BLOB = 128
MAX_LABEL = 64
KEK_MIN = 32

# include/uapi/linux/cpns.h
KINDS = {'seed': 1, 'device': 2}
ROLES = {'server': 1, 'gw1': 2, 'gw2': 3}
STATES = {'active': 1, 'pending': 2, 'confirmed': 3, 'revoked': 4,
          'unconfirmed': 5}
ID_LEN = {1: 8, 2: 16}


def name_of(table, value):
    for k, v in table.items():
        if v == value:
            return k
    return str(value)


def header(kind, role, state, generation, created, expiry, ident, salt):
    """[1]_1 || [kind]_1 || [role]_1 || [state]_1 || [generation]_4 ||
    [created]_8 || [expiry]_8 || id || salt"""
    if len(ident) != ID_LEN[kind] or len(salt) != SALT_LEN:
        raise ValueError('id or salt of the wrong length')
    return (bytes([VERSION, kind, role, state]) +
            generation.to_bytes(4, 'big') + created.to_bytes(8, 'big') +
            expiry.to_bytes(8, 'big') + ident + salt)


def wrap(kek, kind, role, state, generation, created, expiry, ident, salt,
         label, key):
    if len(kek) < KEK_MIN:
        raise ValueError(f'KEK shorter than {KEK_MIN} bytes')
    if len(label) > MAX_LABEL or len(key) != KEY_LEN:
        raise ValueError('label too long or key not 32 bytes')
    hdr = header(kind, role, state, generation, created, expiry, ident, salt)
    wk = kdf(kek, 'CPNS store wrap', hdr, 256)
    blob = hdr + seal(wk, 0, hdr + label, key)
    assert len(blob) <= MAX_BLOB
    return blob, wk


def unwrap(kek, blob, label):
    """The fields of blob, or an exception (ValueError, InvalidTag)."""
    if len(blob) < 24 or blob[0] != VERSION or blob[1] not in ID_LEN:
        raise ValueError('not a blob of version 1 and a known kind')
    kind = blob[1]
    hlen = 24 + ID_LEN[kind] + SALT_LEN
    if len(blob) != hlen + KEY_LEN + 16:
        raise ValueError('wrong length')
    hdr = blob[:hlen]
    wk = kdf(kek, 'CPNS store wrap', hdr, 256)
    key = open_(wk, 0, hdr + label, blob[hlen:])
    return {
        'kind': name_of(KINDS, kind),
        'role': name_of(ROLES, blob[2]),
        'state': name_of(STATES, blob[3]),
        'generation': int.from_bytes(blob[4:8], 'big'),
        'created': int.from_bytes(blob[8:16], 'big'),
        'expiry': int.from_bytes(blob[16:24], 'big'),
        'id': blob[24:24 + ID_LEN[kind]].hex(),
        'salt': blob[24 + ID_LEN[kind]:hlen].hex(),
        'key': key.hex(),
    }



def _profile_vector0(spec):
    with open(spec) as f:
        return json.load(f)['vectors'][0]


# The keys of the profile's vectors.json vector 0 (the seed, and the
# Device Key of its Device ID), so that a test can check an unwrapped key
# through the flows.

# (name, kind, role, state, generation, expiry, KEK length, label)
CASES = [
    ('seed-server', 'seed', 'server', 'active', 0, 0, 32, b''),
    ('seed-gw1', 'seed', 'gw1', 'active', 0, 4102444800, 48,
     b'gwd seed row 7'),
    ('device-gw1', 'device', 'gw1', 'confirmed', 0, 0, 32, b''),
    ('device-gw2', 'device', 'gw2', 'active', 0, 0, 64,
     b'gwd device 0001020304050607'),
    ('device-server', 'device', 'server', 'unconfirmed', 1, 4102444800, 32,
     b'serverd devices row 42'),
    ('device-revoked', 'device', 'server', 'revoked', 3, 0, 32,
     b'serverd devices row 43'),
]

CREATED = 1798761600    # 2027-01-01T00:00:00Z


def profile_key(kind, spec=X.DEFAULT_SPEC):
    v = _profile_vector0(spec)
    i, o = v['inputs'], X.profile(v['inputs'])
    if kind == 'seed':
        return bytes.fromhex(i['seed_id']), bytes.fromhex(i['key_seed'])
    return o['device_id'], o['device_key']


def vectors(spec=X.DEFAULT_SPEC):
    out = []
    for name, kind, role, state, gen, expiry, keklen, label in CASES:
        k = KINDS[kind]
        ident, key = profile_key(kind, spec)
        if state == 'revoked':
            key = bytes(KEY_LEN)    # a revocation record keeps no secret
        kek = det(f'store {name} kek', keklen)
        salt = det(f'store {name} salt', SALT_LEN)
        blob, wk = wrap(kek, k, ROLES[role], STATES[state], gen, CREATED,
                        expiry, ident, salt, label, key)
        back = unwrap(kek, blob, label)
        assert back['key'] == key.hex() and back['id'] == ident.hex()
        out.append({
            'inputs': {
                'kek': kek.hex(),
                'kind': kind,
                'role': role,
                'state': state,
                'generation': gen,
                'created': CREATED,
                'expiry': expiry,
                'id': ident.hex(),
                'salt': salt.hex(),
                'label': label.hex(),
                'key': key.hex(),
            },
            'outputs': {
                'blob': blob.hex(),
            },
            'intermediate': {
                'wrap_key': wk.hex(),
            },
        })
    return {
        'profile': 'CPNS-KA-1-STORE',
        'generator': 'tools/store-vectors.py',
        'note': 'keys are those of vectors.json vector 0 (seed, and the '
                'Device Key of its Device ID)',
        'vectors': out,
    }


def self_check(doc, spec=None):
    """Checks that must fail if the construction were wrong."""
    del spec
    bad = 0
    for n, v in enumerate(doc['vectors']):
        i = v['inputs']
        kek = bytes.fromhex(i['kek'])
        blob = bytes.fromhex(v['outputs']['blob'])
        label = bytes.fromhex(i['label'])
        tries = [('other KEK', bytes([kek[0] ^ 1]) + kek[1:], blob, label),
                 ('other label', kek, blob, label + b'x'),
                 ('truncated', kek, blob[:-1], label)]
        for pos in range(len(blob)):
            tries.append((f'bit flipped in byte {pos}', kek,
                          blob[:pos] + bytes([blob[pos] ^ 0x10]) +
                          blob[pos + 1:], label))
        for what, k, b, lab in tries:
            try:
                unwrap(k, b, lab)
                log(f'vector {n}: {what}: opened')
                bad += 1
            except Exception:
                pass
    return bad


def read_secret(path, length=None):
    """Raw bytes from a file ('-' for stdin); a trailing newline of a hex
    file is not accepted: the file holds the bytes themselves."""
    if path == '-':
        data = sys.stdin.buffer.read()
    else:
        with open(path, 'rb') as f:
            data = f.read()
    if length is not None and len(data) != length:
        raise ValueError(f'{path}: {len(data)} bytes, want {length}')
    return data


def cmd_build(args):
    kind = KINDS[args.kind]
    ident = bytes.fromhex(args.id)
    kek = read_secret(args.kek_file)
    if args.state == 'revoked':
        key = bytes(KEY_LEN)
    else:
        key = read_secret(args.key_file, KEY_LEN)
    salt = bytes.fromhex(args.salt) if args.salt else os.urandom(SALT_LEN)
    created = args.created
    if created is None:
        import time
        created = int(time.time())
    blob, _ = wrap(kek, kind, ROLES[args.role], STATES[args.state],
                   args.generation, created, args.expiry, ident, salt,
                   bytes.fromhex(args.label), key)
    if args.out:
        with open(args.out, 'wb') as f:
            f.write(blob)
    else:
        print(blob.hex())
    return 0


def cmd_open(args):
    kek = read_secret(args.kek_file)
    if args.blob_file:
        blob = read_secret(args.blob_file)
    else:
        blob = bytes.fromhex(args.blob)
    fields = unwrap(kek, blob, bytes.fromhex(args.label))
    if not args.show_key:
        del fields['key']
    print(json.dumps(fields, sort_keys=True))
    return 0


def setup(ap):
    sub = ap.add_subparsers(dest='cmd')

    b = sub.add_parser('build', help='build one blob')
    b.add_argument('--kind', choices=KINDS, required=True)
    b.add_argument('--role', choices=ROLES, required=True)
    b.add_argument('--state', choices=STATES, default='active')
    b.add_argument('--generation', type=int, default=0)
    b.add_argument('--id', required=True, help='Seed ID or Device ID, hex')
    b.add_argument('--key-file', help='file holding the 32-byte key '
                   '(raw bytes; - for stdin); not needed for --state revoked')
    b.add_argument('--kek-file', required=True,
                   help='file holding the KEK payload (raw bytes, >= 32)')
    b.add_argument('--label', default='', help='label, hex (default empty)')
    b.add_argument('--created', type=int, help='seconds (default now)')
    b.add_argument('--expiry', type=int, default=0,
                   help='seconds since the epoch, 0 for none')
    b.add_argument('--salt', help='16 bytes hex (default random)')
    b.add_argument('--out', dest='blob_out', help='write the raw blob here '
                   '(default: print it in hex)')

    o = sub.add_parser('open', help='open one blob, print its fields')
    o.add_argument('--kek-file', required=True)
    g = o.add_mutually_exclusive_group(required=True)
    g.add_argument('--blob', help='the blob, hex')
    g.add_argument('--blob-file', help='file holding the raw blob')
    o.add_argument('--label', default='', help='label, hex')
    o.add_argument('--show-key', action='store_true',
                   help='print the key too (tests only)')


def dispatch(args):
    """build and open; None for the vector file's commands."""
    try:
        if args.cmd == 'build':
            if args.state != 'revoked' and not args.key_file:
                log('store-vectors.py build: --key-file is required')
                return 2
            args.out = args.blob_out
            return cmd_build(args)
        if args.cmd == 'open':
            return cmd_open(args)
    except Exception as e:      # a clear one-line error, exit 1
        why = str(e) or 'the blob does not open (another KEK or label, ' \
                        'or altered)'
        log(f'store-vectors.py {args.cmd}: {type(e).__name__}: {why}')
        return 1
    return None


def main():
    return X.main(__doc__, DEFAULT_OUT, vectors, self_check, setup=setup,
                  dispatch=dispatch)


if __name__ == '__main__':
    sys.exit(main())
