#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate kmod/kat_vectors.h, the known answers of cpns.ko's load-time self-test.

The self-test (kmod/kat.c) checks one vector of each vector file:

  ../shared/spec/vectors.json          vector 0 (the profile, AEAD included)
  Documentation/xfer-vectors.json      vector 3 (a Device Key)
  Documentation/rekey-vectors.json     vector 1
  Documentation/store-vectors.json     vector 1

This script copies those vectors into C; it computes nothing. The vector
files are made and checked by tools/{xfer,rekey,store}-vectors.py.

  kat-header.py            (re)write kmod/kat_vectors.h
  kat-header.py --check    fail if kmod/kat_vectors.h differs from what
                           this script makes (tools/lint runs it)

Exit status 0 on success, 1 otherwise.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cpnsvec as X  # noqa: E402  pylint: disable=wrong-import-position

OUT = os.path.join(X.TOP, 'kmod', 'kat_vectors.h')
DOC = os.path.join(X.TOP, 'Documentation')
PROFILE_VECTOR = 0
XFER_VECTOR = 3
REKEY_VECTOR = 1
STORE_VECTOR = 1


def load(path, n):
    with open(path) as f:
        return json.load(f)['vectors'][n]


def arrays(pairs):
    return [X.c_array(name, bytes.fromhex(hx)) + '\n' for name, hx in pairs]


def c_field(name, hx, indent):
    """A designated initializer of a u8 array member."""
    data = bytes.fromhex(hx)
    tab = '\t' * indent
    lines = [f'{tab}.{name} = {{']
    for i in range(0, len(data), 8):
        chunk = ', '.join(f'0x{b:02x}' for b in data[i:i + 8])
        lines.append(f'{tab}\t{chunk},')
    lines.append(f'{tab}}},')
    return lines


def profile(spec):
    v = load(spec, PROFILE_VECTOR)
    i, o = v['inputs'], v['outputs']
    aead = o['aead']
    # kat.c seals one plaintext under one AAD with k_c2s at each sequence
    # number; a vector that varies them needs kat.c changed too.
    first = aead[0]
    for a in aead:
        if (a['key'], a['aad'], a['plaintext']) != \
                ('session_key_c2s', first['aad'], first['plaintext']):
            raise ValueError(f'{spec}: AEAD entries differ in key, aad or '
                             'plaintext')
    out = [f'/* vectors.json, vector {PROFILE_VECTOR} */',
           'static const struct cpns_kat_in kat_in = {']
    for name, key in (('seed', 'key_seed'), ('sid', 'seed_id'),
                      ('n1', 'request_nonce'), ('ch', 'challenge'),
                      ('nc', 'client_nonce'), ('ns', 'server_nonce')):
        out += c_field(name, i[key], 1)
    out += ['};', '', 'static const struct cpns_kat_out kat_out = {']
    for name, key in (('ska', 'seed_auth_key'),
                      ('request_mac', 'assign_request_mac'),
                      ('challenge_mac', 'assign_challenge_mac'),
                      ('did', 'device_id'), ('dk', 'device_key'),
                      ('confirm', 'assign_confirm'),
                      ('client_mac', 'auth_client_mac'),
                      ('server_mac', 'auth_server_mac')):
        out += c_field(name, o[key], 1)
    out += ['\t.sk = {']
    out += c_field('c2s', o['session_key_c2s'], 2)
    out += c_field('s2c', o['session_key_s2c'], 2)
    out += ['\t},', '};', '']
    pt_len = len(bytes.fromhex(first['plaintext']))
    out += ['/* SEAL(k_c2s, seq, kat_aad, kat_pt) */',
            f'#define KAT_PT_LEN\t{pt_len}',
            '#define KAT_SEALED_LEN\t(KAT_PT_LEN + CPNS_TAG_LEN)', '']
    out += arrays((('kat_aad', first['aad']), ('kat_pt', first['plaintext'])))
    out += ['static const struct cpns_kat_aead {', '\tu64 seq;',
            '\tu8 sealed[KAT_SEALED_LEN];', '} kat_aead[] = {']
    for a in aead:
        out += ['\t{', f'\t\t.seq = {a["seq"]}ULL,']
        out += c_field('sealed', a['sealed'], 2)
        out += ['\t},']
    out += ['};', '']
    return out


def xfer():
    v = load(os.path.join(DOC, 'xfer-vectors.json'), XFER_VECTOR)
    i, o = v['inputs'], v['outputs']
    out = [f'/* Documentation/xfer-vectors.json, vector {XFER_VECTOR} '
           f'({i["kind"]}) */',
           f'#define KAT_XFER_KIND\tCPNS_KEY_{i["kind"].upper()}',
           f'#define KAT_XFER_CODE\t{o["code"]}', '']
    out += arrays((('kat_xfer_id', i['id']),
                   ('kat_xfer_sender_secret', i['sender_secret']),
                   ('kat_xfer_receiver_secret', i['receiver_secret']),
                   ('kat_xfer_key', i['key']),
                   ('kat_xfer_sender_public', o['sender_public']),
                   ('kat_xfer_receiver_public', o['receiver_public']),
                   ('kat_xfer_wrapped', o['wrapped']),
                   ('kat_xfer_pair_key', i['pair_key']),
                   ('kat_xfer_pair_mac', o['pair_mac']),
                   ('kat_xfer_receiver_mac', o['receiver_mac'])))
    return out


def rekey():
    v = load(os.path.join(DOC, 'rekey-vectors.json'), REKEY_VECTOR)
    i, o = v['inputs'], v['outputs']
    out = [f'/* Documentation/rekey-vectors.json, vector {REKEY_VECTOR} '
           f'({v["name"]}) */',
           f'#define KAT_REKEY_GENERATION\t{i["generation"]}',
           f'#define KAT_REKEY_NEW_GENERATION\t{o["new_generation"]}', '']
    out += arrays((('kat_rekey_did', i['device_id']),
                   ('kat_rekey_dk', i['device_key']),
                   ('kat_rekey_nc', i['client_nonce']),
                   ('kat_rekey_ns', i['server_nonce']),
                   ('kat_rekey_client_secret', i['client_secret']),
                   ('kat_rekey_server_secret', i['server_secret']),
                   ('kat_rekey_client_public', o['client_public']),
                   ('kat_rekey_server_public', o['server_public']),
                   ('kat_rekey_client_mac', o['auth_client_mac']),
                   ('kat_rekey_server_mac', o['auth_server_mac']),
                   ('kat_rekey_new_dk', o['new_device_key']),
                   ('kat_rekey_c2s', o['session_key_c2s']),
                   ('kat_rekey_s2c', o['session_key_s2c'])))
    return out


def store():
    v = load(os.path.join(DOC, 'store-vectors.json'), STORE_VECTOR)
    i = v['inputs']
    out = [f'/* Documentation/store-vectors.json, vector {STORE_VECTOR} */',
           f'#define KAT_STORE_KIND\tCPNS_KEY_{i["kind"].upper()}',
           f'#define KAT_STORE_ROLE\tCPNS_ROLE_{i["role"].upper()}',
           f'#define KAT_STORE_STATE\tCPNS_STATE_{i["state"].upper()}',
           f'#define KAT_STORE_GEN\t{i["generation"]}',
           f'#define KAT_STORE_CREATED\t{i["created"]}',
           f'#define KAT_STORE_EXPIRY\t{i["expiry"]}', '']
    out += arrays((('kat_store_kek', i['kek']),
                   ('kat_store_id', i['id']),
                   ('kat_store_salt', i['salt']),
                   ('kat_store_label', i['label']),
                   ('kat_store_key', i['key']),
                   ('kat_store_blob', v['outputs']['blob'])))
    return out


def header(spec):
    out = ['/* SPDX-License-Identifier: GPL-2.0 */',
           '/*',
           ' * Generated by tools/kat-header.py from the vector files: do not',
           ' * edit. The known answers of the load-time self-test; only',
           ' * kat.c includes this file, after kat.h.',
           ' */',
           '#ifndef _CPNS_KAT_VECTORS_H',
           '#define _CPNS_KAT_VECTORS_H', '']
    out += profile(spec) + xfer() + rekey() + store()
    while out[-1] == '':
        out.pop()
    out += ['', '#endif /* _CPNS_KAT_VECTORS_H */']
    text = '\n'.join(out) + '\n'
    return text.replace('\n\n\n', '\n\n')


def main():
    ap = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.split('\n')[2:]))
    ap.add_argument('--spec', default=X.DEFAULT_SPEC,
                    help='the profile\'s vectors.json')
    ap.add_argument('--out', default=OUT, help='the header')
    ap.add_argument('--check', action='store_true',
                    help='do not write; fail if --out differs')
    args = ap.parse_args()
    try:
        text = header(args.spec)
    except (OSError, KeyError, IndexError, ValueError) as e:
        X.log(f'kat-header.py: {e}')
        return 1
    if not args.check:
        with open(args.out, 'w') as f:
            f.write(text)
        return 0
    try:
        with open(args.out) as f:
            disk = f.read()
    except OSError as e:
        X.log(f'{args.out}: {e.strerror}')
        return 1
    if disk != text:
        X.log(f'{args.out}: differs from what tools/kat-header.py makes '
              '(run it and commit the result)')
        return 1
    X.log(f'{args.out}: up to date')
    return 0


if __name__ == '__main__':
    sys.exit(main())
