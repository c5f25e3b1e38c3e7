#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Helpers of nosecret.sh: work out the secrets of a run, dump a daemon's
memory, and look for the secrets in what the daemons read, wrote and held.

  nosecret.py dump PID OUT [PID OUT...]
      Copy every readable mapping of process PID that can hold data made
      at run time (writable ones, anonymous ones, heap and stack; not the
      read-only pages of the program and its libraries, nor [vvar],
      [vdso], [vsyscall]) from /proc/PID/mem to OUT, one after another.
      OUT.maps lists them (offset in OUT, then the line of maps).

  nosecret.py secrets KEKHEX PAIRHEX SERVER_DB GW2_STORE LOG... -- TRACE...
      Print, one per line as "NAME HEX", every secret of the run that the
      test can know from the two keys it planted (the KEK and the pairing
      key), and check that it knows them right:
        - the KEK and the pairing key;
        - the Key Seed of every row of the server's store (SERVER_DB), its
          blob opened under the KEK and the row's label (tools/store-
          vectors.py, independent of the module), and its seed auth key;
        - the Device Key of generation 0 of every Device ID in the LOGs
          under such a seed (KDF), each checked against the blob that GW2
          wrote to its store after II-9 (found in the TRACEs, opened under
          the KEK): the seed the server's store gave is the one in use;
        - the re-keyed Device Key (generation 1) from the server's device
          record and from GW2's store file (GW2_STORE), which must agree;
        - the session keys k_c2s and k_s2c of every a-flow in the LOGs
          (its hello and server nonce), from the key of the generation it
          ran under (a re-keying flow's session keys come from dk', the
          key of generation 1); each must open at least one SEALED frame
          found in the TRACEs, in its direction;
        - the store wrap key wk of every blob seen.
      Exit 1 (with the reason on stderr) when a check fails.

  nosecret.py search SECRETS [--public PUBLIC] FILE...
      SECRETS holds "NAME HEX" lines. A FILE ending in .trace is strace
      output (-xx: every string as \\xHH), whose strings are decoded; any
      other FILE is raw bytes (a dump). Look for every 8-byte window of
      every secret at every offset. Print each hit and exit 1 if there is
      one; print the bytes looked at per file. Exit 2 if a FILE has no
      byte, or (with PUBLIC, "NAME HEX" lines of public values) holds no
      window of a public value: then it missed the flows.
"""
import array
import bisect
import hashlib
import importlib.util
import os
import re
import sqlite3
import struct
import sys

TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                     "..", "tools")


def load(name, file):
    spec = importlib.util.spec_from_file_location(name,
                                                  os.path.join(TOOLS, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- dump

SKIP = ("[vvar]", "[vdso]", "[vsyscall]")


def cmd_dump(pid, out):
    regions = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split(None, 5)
            addr, perms = parts[0], parts[1]
            path = parts[5].strip() if len(parts) > 5 else ""
            if perms[0] != "r" or path in SKIP:
                continue
            # Read-only pages of a file are the file's bytes: nothing
            # made at run time is there.
            if perms[1] != "w" and path and not path.startswith("["):
                continue
            start, end = (int(x, 16) for x in addr.split("-"))
            regions.append((start, end, line.rstrip("\n")))
    total = 0
    failed = 0
    with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem, \
            open(out, "wb") as o, open(out + ".maps", "w") as idx:
        for start, end, line in regions:
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except OSError:
                failed += 1
                continue
            idx.write(f"{total} {line}\n")
            o.write(data)
            total += len(data)
    print(f"pid {pid}: {len(regions) - failed} mappings, {total} bytes"
          + (f" ({failed} unreadable)" if failed else ""))
    return 0 if total else 2


# ------------------------------------------------------------- search

def windows_of(secrets):
    """Every 8-byte window of every secret, as a native-order u64."""
    w = {}
    for name, value in secrets:
        for i in range(len(value) - 7):
            w.setdefault(struct.unpack("=Q", value[i:i + 8])[0], name)
    return w


def find(data, windows):
    """Offsets and names of every window of a secret in data."""
    hits = []
    keys = windows.keys()
    for k in range(8):
        n = (len(data) - k) // 8
        if n <= 0:
            break
        vals = array.array("Q")
        vals.frombytes(data[k:k + 8 * n])
        if keys.isdisjoint(vals):
            continue
        for v in set(vals) & keys:
            piece = struct.pack("=Q", v)
            pos = data.find(piece)
            while pos >= 0:
                if pos % 8 == k:
                    hits.append((pos, windows[v]))
                pos = data.find(piece, pos + 1)
    return sorted(hits)


STRING = re.compile(r'"((?:\\x[0-9a-f]{2})+)"')


def trace_strings(path):
    """Yield (line number, bytes) for every string of an strace -xx file."""
    with open(path, errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            for m in STRING.finditer(line):
                yield lineno, bytes.fromhex(m.group(1).replace("\\x", ""))


def load_file(path):
    """The bytes to search in path, and a function from offset to place."""
    if not path.endswith(".trace"):
        with open(path, "rb") as f:
            data = f.read()
        return data, len(data), lambda off: f"offset {off:#x}"
    chunks, starts, lines = [], [], []
    total = captured = 0
    for lineno, data in trace_strings(path):
        starts.append(total)
        lines.append(lineno)
        chunks.append(data)
        # Eight bytes that no secret's window matches (one zero byte in
        # each window): no false hit across two strings.
        chunks.append(b"\0" * 8)
        total += len(data) + 8
        captured += len(data)
    return b"".join(chunks), captured, \
        lambda off: f"line {lines[bisect.bisect_right(starts, off) - 1]}"


def read_secrets(path):
    secrets = []
    with open(path) as f:
        for line in f:
            name, hx = line.split()
            secrets.append((name, bytes.fromhex(hx)))
    return secrets


def cmd_search(secrets_path, files, public_path=None):
    secrets = read_secrets(secrets_path)
    windows = windows_of(secrets)
    public = windows_of(read_secrets(public_path)) if public_path else None
    hits = 0
    status = 0
    for path in files:
        data, size, where = load_file(path)
        if public and not find(data, public):
            print(f"{path}: no public value of {public_path}: the capture"
                  " missed the flows")
            status = 2
        last = {}
        for off, name in find(data, windows):
            # One line per run of overlapping windows.
            if off - last.get(name, -64) < 32:
                last[name] = off
                continue
            last[name] = off
            hits += 1
            print(f"{path}: {where(off)}: bytes of {name}")
        print(f"{path}: {size} bytes searched")
        if not size:
            status = 2
    print(f"{len(secrets)} secrets, {hits} hits")
    if status:
        return status
    return 1 if hits else 0


# ------------------------------------------------------------ secrets

GWD_LABEL = b"cpns-gwd nonsecure store v1"
HELLO = re.compile(r"a-0 sent hello .*device id ([0-9a-f]{32}), nc ([0-9a-f]{32}), generation (\d+)")
NONCE = re.compile(r"a-0 received server nonce ([0-9a-f]{32})")
DID = re.compile(r"device id ([0-9a-f]{32})")


class Bad(Exception):
    pass


def label(table, fields):
    h = hashlib.sha256()
    for s in ["cpns-serverd store 1", table] + fields:
        h.update(s.encode() + b"\0")
    return h.digest()


def gw2_store_blob(data):
    """(generation, Device ID, blob) of a GW2 store file's bytes."""
    if len(data) < 44 or data[:8] != b"CPNSGW2S":
        raise Bad("not a GW2 store file")
    gen = struct.unpack(">I", data[16:20])[0]
    n = struct.unpack(">H", data[36:38])[0]
    return gen, data[20:36], data[40:40 + n]


def cmd_secrets(kekhex, pairhex, db, store, logs, traces):
    sv = load("store_vectors", "store-vectors.py")
    x = sv.X
    kek = bytes.fromhex(kekhex)
    out = {"kek": kek, "pairing_key": bytes.fromhex(pairhex)}
    seeds, dk1 = {}, {}

    def wk(blob):
        hlen = 24 + sv.ID_LEN[blob[1]] + sv.SALT_LEN
        out["wk " + blob[24:hlen].hex()[-12:]] = x.kdf(
            kek, "CPNS store wrap", blob[:hlen], 256)

    # The server's store, opened like the daemon has it closed.
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    for sid, owner, addr, created, blob in con.execute(
            "SELECT seed_id, owner, owner_addr, created, blob FROM seeds"):
        k = sv.unwrap(kek, blob, label("seeds", [sid, owner, addr,
                                                 str(created)]))
        if k["kind"] != "seed" or k["id"] != sid:
            raise Bad(f"store seed row {sid}: blob of {k['kind']} {k['id']}")
        seeds[sid] = bytes.fromhex(k["key"])
        wk(blob)
    # A compact row (store.rst, "A device row"): its blob rebuilt.
    # Its Device ID is its seed's seed_id (by the seed's num) and suffix.
    for sid, suffix, gen, created, ks, kg, ko, ke, sealed in con.execute(
            "SELECT s.seed_id, d.suffix, d.generation, d.created,"
            " d.key_state, d.key_generation, d.key_offset, d.key_expiry,"
            " d.sealed FROM devices d LEFT JOIN seeds s ON s.num = d.seed"
            " WHERE d.sealed IS NOT NULL"):
        if sid is None:
            raise Bad(f"store device row ..{suffix.hex()}: no seed numbered so")
        did = bytes.fromhex(sid) + suffix
        blob = (bytes([1, 2, 1, ks]) + kg.to_bytes(4, "big") +
                (created + ko).to_bytes(8, "big") + ke.to_bytes(8, "big") +
                did + sealed)
        did, sid = did.hex(), did[:8].hex()
        k = sv.unwrap(kek, blob, label("devices", [did, sid, str(created)]))
        if k["id"] != did or k["generation"] != gen:
            raise Bad(f"store device row {did}: blob of {k['id']}")
        dk1[(did, gen)] = bytes.fromhex(k["key"])
        wk(blob)
    con.close()
    if not seeds:
        raise Bad(f"no seed in {db}")

    # GW2's store file: the re-keyed key, the same as the server's record.
    with open(store, "rb") as f:
        gen, did, blob = gw2_store_blob(f.read())
    k = sv.unwrap(kek, blob, GWD_LABEL)
    if dk1.get((did.hex(), gen)) != bytes.fromhex(k["key"]):
        raise Bad(f"{store}: the Device Key of {did.hex()} generation {gen}"
                  " differs from the server's record (or it has none)")
    wk(blob)

    # Every Device ID of the logs under a known seed, generation 0.
    dids = set()
    flows = []
    for path in logs:
        hello = None
        with open(path, errors="replace") as f:
            for line in f:
                dids.update(DID.findall(line))
                m = HELLO.search(line)
                if m:
                    hello = (m.group(1), m.group(2), int(m.group(3)),
                             "re-key" in line)
                    continue
                m = NONCE.search(line)
                if m and hello:
                    flows.append(hello + (m.group(1),))
                    hello = None
    dk0 = {}
    for sid, seed in sorted(seeds.items()):
        out["key_seed " + sid] = seed
        out["seed_auth_key " + sid] = x.kdf(seed, "CPNS seed auth",
                                            bytes.fromhex(sid), 256)
        for d in sorted(dids):
            if d.startswith(sid):
                dk0[d] = x.kdf(seed, "CPNS device key", bytes.fromhex(d),
                               256)
                out["device_key_g0 " + d] = dk0[d]
    for (d, g), key in sorted(dk1.items()):
        out[f"device_key_g{g} {d}"] = key

    strings = [(path, data) for path in traces
               for _, data in trace_strings(path)]

    # What GW2 wrote to its store: the first blob is the Device Key as
    # assigned, which must be the one the server's seed derives.
    checked = 0
    for path, data in strings:
        if not data.startswith(b"CPNSGW2S"):
            continue
        gen, did, blob = gw2_store_blob(data)
        k = sv.unwrap(kek, blob, GWD_LABEL)
        wk(blob)
        if gen == 0:
            if dk0.get(did.hex()) != bytes.fromhex(k["key"]):
                raise Bad(f"{path}: GW2 stored another Device Key of "
                          f"generation 0 for {did.hex()} than the "
                          "server's seed derives")
            checked += 1
    if not checked:
        raise Bad("no store file of generation 0 in GW2's writes")

    # The session keys, each shown right by a SEALED frame it opens.
    frames = []
    for _, data in strings:
        pos = data.find(b"\x01\x30\x00\x00")
        while pos >= 0:
            n = struct.unpack(">I", data[pos + 4:pos + 8])[0] \
                if pos + 8 <= len(data) else 0
            body = data[pos + 8:pos + 8 + n]
            if 34 <= n == len(body):
                frames.append((data[pos:pos + 8], body))
            pos = data.find(b"\x01\x30\x00\x00", pos + 1)
    for did, nc, gen, rekey, ns in flows:
        key = dk1.get((did, 1)) if rekey or gen == 1 else dk0.get(did)
        if key is None:
            raise Bad(f"a-flow of {did}: no Device Key of its generation")
        sk = x.kdf(key, "CPNS session keys",
                   bytes.fromhex(did + nc + ns), 512)
        tag = f"{did[:8]}/{nc[:8]}"
        for name, k, inner in (("k_c2s", sk[:32], 1), ("k_s2c", sk[32:], 2)):
            opened = 0
            for aad, body in frames:
                seq = struct.unpack(">Q", body[:8])[0]
                try:
                    pt = x.open_(k, seq, aad, body[8:])
                except Exception:  # InvalidTag: another key's frame
                    continue
                if pt[0] != inner:
                    raise Bad(f"{name} of the a-flow {tag} opens a SEALED "
                              f"frame of inner type {pt[0]}")
                opened += 1
            if not opened:
                raise Bad(f"{name} of the a-flow {tag} opens no SEALED frame"
                          " of the captures: not the session's key")
            out[f"{name} {tag}"] = k
            print(f"# {name} {tag} opens {opened} SEALED frames",
                  file=sys.stderr)
    if not flows:
        raise Bad("no a-flow in the logs")
    for name, value in out.items():
        print(name.replace(" ", "_"), value.hex())
    return 0


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and len(a) % 2 and a[0] == "dump":
        status = 0
        for i in range(1, len(a), 2):
            status = max(status, cmd_dump(int(a[i]), a[i + 1]))
        return status
    if len(a) >= 6 and a[0] == "secrets" and "--" in a:
        i = a.index("--")
        try:
            return cmd_secrets(a[1], a[2], a[3], a[4], a[5:i], a[i + 1:])
        except Exception as e:  # Bad, a blob that does not open, ...
            print(f"nosecret.py secrets: {type(e).__name__}: {e}",
                  file=sys.stderr)
            return 1
    if len(a) >= 5 and a[0] == "search" and a[2] == "--public":
        return cmd_search(a[1], a[4:], a[3])
    if len(a) >= 3 and a[0] == "search":
        return cmd_search(a[1], a[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
