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
  store-vectors.py row ...         a server's device record and inventory
                                   as the columns of a device row of
                                   schema version 6 (store.rst, "A device
                                   row"), rebuilt and checked

Exit status 0 when every check passes, 1 otherwise.
"""

import json
import os
import socket
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



# ---------------------------------------------------------- a device row
# Documentation/store.rst, "A device row" (schema version 6): the columns
# of a device row that holds a server's device record, and its inventory.
# The row names its seed by the seed's number in its store (seeds.num),
# which only the store gives: here it is an input (row --seed).

REC_HDR = 24 + 16
REC_LEN = REC_HDR + SALT_LEN + KEY_LEN + 16
ADDR_MAX = 64
PORT_LEN = 2        # gw1_addr: the port alone, on the seed owner's host


def _addr_text(b):
    port = int.from_bytes(b[-2:], 'big')
    if len(b) == 6:
        return f'{socket.inet_ntop(socket.AF_INET, b[:4])}:{port}'
    return f'[{socket.inet_ntop(socket.AF_INET6, b[:16])}]:{port}'


def pack_addr(text):
    """An address column from the API's text: None for ''."""
    if len(text) > ADDR_MAX or '\0' in text:
        raise ValueError('not the text of an address column')
    if not text:
        return None
    host, sep, port = text.rpartition(':')
    if sep and host and port.isdigit() and int(port) <= 65535:
        for fam, n, h in ((socket.AF_INET6, 16, host[1:-1]
                           if host[:1] == '[' and host[-1:] == ']'
                           else None),
                          (socket.AF_INET, 4, host)):
            try:
                if h is None:
                    continue
                b = socket.inet_pton(fam, h) + int(port).to_bytes(2, 'big')
            except OSError:
                continue
            if len(b) == n + 2 and _addr_text(b) == text:
                return b
    b = text.encode()
    return b + b'\0' if len(b) in (PORT_LEN, 6, 18) else b


def unpack_addr(b):
    """The API's text of an address column (None: '')."""
    if b is None:
        return ''
    if len(b) in (6, 18):
        return _addr_text(b)
    if len(b) in (PORT_LEN + 1, 7, 19) and b[-1] == 0:
        b = b[:-1]
    elif len(b) == PORT_LEN:
        raise ValueError('a port alone is only a gw1_addr')
    if not b or len(b) > ADDR_MAX or 0 in b:
        raise ValueError('not an address column')
    return b.decode()


def _owner_host(owner_addr):
    """The packed form of a seed's owner_addr, if it is an address."""
    o = pack_addr(owner_addr) if owner_addr else None
    return o if o is not None and len(o) in (6, 18) else None


def pack_gw1(text, owner_addr):
    """gw1_addr from the API's text: the port alone (2 bytes) when the text
    is an address of the host of the seed's owner_addr, else pack_addr()."""
    b = pack_addr(text)
    o = _owner_host(owner_addr)
    if b is not None and o is not None and len(b) == len(o) and \
            b[:-2] == o[:-2]:
        return b[-2:]
    return b


def unpack_gw1(b, owner_addr):
    """The API's text of gw1_addr, given its seed's owner_addr."""
    if b is None or len(b) != PORT_LEN:
        return unpack_addr(b)
    o = _owner_host(owner_addr)
    if o is None:
        raise ValueError('a port, but the seed\'s owner_addr is no address')
    return _addr_text(o[:-2] + b)


def _offset(when, created):
    return None if when == 0 else when - created


def device_row(blob, created, gw1_addr='', assigned=0, last_auth=0,
               last_addr='', seed=1, owner_addr=''):
    """The columns of the row of a server's device record blob, its seed
    numbered seed, of owner_addr."""
    if (len(blob) != REC_LEN or blob[:3] != bytes([VERSION, 2, 1]) or
            blob[3] not in (1, 4, 5)):
        raise ValueError('not a server device record of store.rst')
    if seed < 1 or seed >= 1 << 63:
        raise ValueError('a seed number is an integer above 0')
    g = lambda o, n: int.from_bytes(blob[o:o + n], 'big')  # noqa: E731
    return {
        'seed': seed,
        'suffix': blob[32:40].hex(),
        'created': created,
        'key_state': blob[3],
        'key_generation': g(4, 4),
        'key_offset': g(8, 8) - created,
        'key_expiry': g(16, 8),
        'sealed': blob[REC_HDR:].hex(),
        'gw1_addr': (None if not gw1_addr
                     else pack_gw1(gw1_addr, owner_addr).hex()),
        'assigned_offset': _offset(assigned, created),
        'last_auth_offset': _offset(last_auth, created),
        'last_addr': None if not last_addr else pack_addr(last_addr).hex(),
    }


def device_rebuild(row, seed_id, owner_addr=''):
    """The blob and inventory of the API, rebuilt from a row's columns and
    its seed's seed_id (hex) and owner_addr."""
    c = row['created']
    blob = (bytes([VERSION, 2, 1, row['key_state']]) +
            row['key_generation'].to_bytes(4, 'big') +
            (c + row['key_offset']).to_bytes(8, 'big') +
            row['key_expiry'].to_bytes(8, 'big') +
            bytes.fromhex(seed_id) + bytes.fromhex(row['suffix']) +
            bytes.fromhex(row['sealed']))
    when = lambda o: 0 if o is None else c + o  # noqa: E731
    hexb = lambda h: None if h is None else bytes.fromhex(h)  # noqa: E731
    return {
        'blob': blob.hex(),
        'gw1_addr': unpack_gw1(hexb(row['gw1_addr']), owner_addr),
        'assigned': when(row['assigned_offset']),
        'last_auth': when(row['last_auth_offset']),
        'last_addr': unpack_addr(hexb(row['last_addr'])),
    }


# (text, its gw1_addr in hex or None) for a seed of owner_addr OWNER:
# store.rst's forms, and test_store.c's (its seed 3).
OWNER = '10.0.0.3:4000'
ADDRESSES = [
    ('', None),
    ('10.77.1.2:58566', '0a4d0102e4c6'),
    ('10.0.0.3:58566', 'e4c6'),
    ('[2001:db8::1]:4000', '20010db80000000000000000000000010fa0'),
    ('abcdef', '61626364656600'),
    ('ab', '616200'),
    ('010.0.0.1:1', '3031302e302e302e313a31'),
    ('10.0.0.1:01', '31302e302e302e313a3031'),
    ('[fe80::1%2]:5', '5b666538303a3a3125325d3a35'),
]


def row_check(doc):
    """The server records of doc split into rows and rebuilt; the address
    forms. A failure count."""
    bad = 0
    for text, want in ADDRESSES:
        got = pack_gw1(text, OWNER)
        if (got.hex() if got else None) != want or \
                unpack_gw1(got, OWNER) != text:
            log(f'address {text!r}: {got!r}, want {want}')
            bad += 1
    for b in (bytes.fromhex('e4c6'), b'a\0b'):
        try:
            unpack_addr(b)
        except ValueError:
            continue
        log(f'address column {b.hex()}: read, but it is no address column')
        bad += 1
    for n, v in enumerate(doc['vectors']):
        i = v['inputs']
        if (i['kind'], i['role']) != ('device', 'server'):
            continue
        blob = v['outputs']['blob']
        inv = ('10.77.1.2:58566', i['created'] - 5, i['created'] + 86400,
               '[2001:db8::1]:4000')
        # The GW1 on its seed owner's host (a 2-byte gw1_addr), or not.
        for owner, glen in (('10.77.1.2:4000', 2), ('10.77.1.3:4000', 6),
                            ('gw1.example:4000', 6)):
            for created in (i['created'], i['created'] + 3600, 0):
                row = device_row(bytes.fromhex(blob), created, *inv,
                                 seed=7, owner_addr=owner)
                back = device_rebuild(row, i['id'][:16], owner)
                if (back['blob'] != blob or row['seed'] != 7 or
                        len(bytes.fromhex(row['gw1_addr'])) != glen or
                        (back['gw1_addr'], back['assigned'],
                         back['last_auth'], back['last_addr']) != inv):
                    log(f'vector {n}: its row (created {created}, owner '
                        f'{owner}) does not rebuild it')
                    bad += 1
    return bad


def cmd_row(args):
    blob = bytes.fromhex(args.blob)
    row = device_row(blob, args.created, args.gw1_addr, args.assigned,
                     args.last_auth, args.last_addr, args.seed,
                     args.owner_addr)
    back = device_rebuild(row, blob[24:32].hex(), args.owner_addr)
    if (back['blob'] != args.blob.lower() or
            back['gw1_addr'] != args.gw1_addr or
            back['last_addr'] != args.last_addr or
            back['assigned'] != args.assigned or
            back['last_auth'] != args.last_auth):
        raise ValueError('the row does not rebuild what it was made of')
    print(json.dumps(row, sort_keys=True))
    return 0


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
    return bad + row_check(doc)


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

    r = sub.add_parser('row', help='a server device record and inventory '
                       'as a device row of schema version 6, as JSON')
    r.add_argument('--blob', required=True, help='the 104-byte record, hex')
    r.add_argument('--created', type=int, required=True,
                   help="the row's created, seconds since the epoch")
    r.add_argument('--seed', type=int, default=1,
                   help="the seed's number in its store (seeds.num; "
                   "default 1, a new store's first seed)")
    r.add_argument('--owner-addr', default='',
                   help="the seed's owner_addr (for gw1_addr's port form)")
    r.add_argument('--gw1-addr', default='', help="the GW1's address text")
    r.add_argument('--assigned', type=int, default=0, help='0: not seen')
    r.add_argument('--last-auth', type=int, default=0, help='0: never')
    r.add_argument('--last-addr', default='', help="GW2's address text")


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
        if args.cmd == 'row':
            return cmd_row(args)
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
