#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Helpers of nosecret.sh: plant known secrets, then look for them in what
the daemons read and wrote.

  nosecret.py blob KIND ROLE ID KEYHEX KEKHEX
      Print the hex of a CPNS-KA-1-STORE blob (Documentation/store.rst)
      sealing key KEYHEX for ID under KEKHEX, state active, generation 0,
      no label: tools/store-vectors.py's independent implementation.

  nosecret.py secrets SEEDHEX SIDHEX LOG...
      Print, one per line as "NAME HEX", every secret of the run that the
      test can know: the Key Seed, its seed auth key, the Device Key
      (generation 0) of each Device ID the logs show, and both session
      keys of each a-flow under such a key that did not re-key (CPNS-KA-1,
      computed by tools/xfer-vectors.py; a re-keyed key comes from an
      X25519 exchange that the test cannot know).

  nosecret.py search SECRETS TRACE...
      SECRETS holds "NAME HEX" lines. Decode every string of every strace
      output (strace -xx: each byte as \\xHH) and look for every 8-byte
      window of every secret. Print each hit and exit 1 if there is one;
      print the bytes captured per file (0 captured is an error, exit 2).
"""
import importlib.util
import os
import re
import sys

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                     "..", "tools")


def load(name, file):
    spec = importlib.util.spec_from_file_location(name,
                                                  os.path.join(TOOLS, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def cmd_blob(kind, role, ident, keyhex, kekhex):
    sv = load("store_vectors", "store-vectors.py")
    import time
    blob, _ = sv.wrap(bytes.fromhex(kekhex), sv.KINDS[kind], sv.ROLES[role],
                      sv.STATES["active"], 0, int(time.time()), 0,
                      bytes.fromhex(ident), os.urandom(sv.SALT_LEN), b"",
                      bytes.fromhex(keyhex))
    print(blob.hex())
    return 0


HELLO = re.compile(r"a-0 sent hello .*device id ([0-9a-f]{32}), nc ([0-9a-f]{32})")
NONCE = re.compile(r"a-0 received server nonce ([0-9a-f]{32})")
DID = re.compile(r"device id ([0-9a-f]{32})")


def cmd_secrets(seedhex, sidhex, logs):
    x = load("xfer_vectors", "xfer-vectors.py")
    seed, sid = bytes.fromhex(seedhex), bytes.fromhex(sidhex)
    out = {"key_seed": seed,
           "seed_auth_key": x.kdf(seed, "CPNS seed auth", sid, 256)}
    dids = set()
    for path in logs:
        hello = None
        with open(path, errors="replace") as f:
            for line in f:
                for m in DID.finditer(line):
                    dids.add(m.group(1))
                m = HELLO.search(line)
                if m:
                    # The session keys of a flow that re-keys, or that
                    # runs under a re-keyed Device Key, come from an
                    # X25519 exchange: not ours to know.
                    rekeyed = "re-key" in line or (
                        "generation" in line and "generation 0" not in line)
                    hello = None if rekeyed else m.groups()
                    continue
                m = NONCE.search(line)
                if m and hello:
                    did, nc = (bytes.fromhex(v) for v in hello)
                    ns = bytes.fromhex(m.group(1))
                    dk = x.kdf(seed, "CPNS device key", did, 256)
                    sk = x.kdf(dk, "CPNS session keys", did + nc + ns, 512)
                    tag = f"{hello[0][:8]}/{hello[1][:8]}"
                    out["k_c2s " + tag] = sk[:32]
                    out["k_s2c " + tag] = sk[32:]
                    hello = None
    for d in sorted(dids):
        if d.startswith(sidhex):
            out["device_key " + d] = x.kdf(seed, "CPNS device key",
                                           bytes.fromhex(d), 256)
    for name, value in out.items():
        print(name.replace(" ", "_"), value.hex())
    return 0


STRING = re.compile(r'"((?:\\x[0-9a-f]{2})+)"')


def cmd_search(secrets_path, traces):
    secrets = []
    with open(secrets_path) as f:
        for line in f:
            name, hx = line.split()
            secrets.append((name, bytes.fromhex(hx)))
    windows = {}
    for name, value in secrets:
        for i in range(len(value) - 7):
            windows.setdefault(value[i:i + 8], name)
    hits = 0
    status = 0
    for path in traces:
        captured = 0
        with open(path, errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                for m in STRING.finditer(line):
                    data = bytes.fromhex(m.group(1).replace("\\x", ""))
                    captured += len(data)
                    for i in range(len(data) - 7):
                        name = windows.get(data[i:i + 8])
                        if name:
                            hits += 1
                            print(f"{path}:{lineno}: bytes of {name}")
                            break
        print(f"{path}: {captured} bytes captured")
        if not captured:
            status = 2
    print(f"{len(secrets)} secrets, {hits} hits")
    if status:
        return status
    return 1 if hits else 0


def main():
    a = sys.argv[1:]
    if len(a) == 6 and a[0] == "blob":
        return cmd_blob(*a[1:])
    if len(a) >= 3 and a[0] == "secrets":
        return cmd_secrets(a[1], a[2], a[3:])
    if len(a) >= 3 and a[0] == "search":
        return cmd_search(a[1], a[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
