#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""A wire-protocol-aware TCP proxy that attacks the frames it forwards, and a
raw peer, for the cpns-gwd tests (Documentation/protocol.rst).

  mitm.py proxy LISTEN UPSTREAM [RULE...]
      Forward every connection to UPSTREAM, frame by frame. A RULE is
      DIR:TYPE:N:ACTION[:ARG] and applies to the N-th frame (from 1, counted
      over all connections) of TYPE (a name such as ASSIGN_CHALLENGE, or a
      number) going DIR (c2s: from the client, s2c: from the server):
        flip:OFF   flip the low bit of body byte OFF
        dup        send the frame twice
        close      close both connections instead of forwarding it
        cut        forward it, then close both connections
        swapkey:OFF  replace the 32-byte X25519 public key at body byte OFF
                   by one of the proxy's own (a fresh key pair each time):
                   the man in the middle of an unauthenticated exchange.
                   A later DEVICE_TRANSFER sealed to a swapped key is
                   opened with the proxy's secret ("mitm: OPENED ...")
      Prints "mitm: ..." lines to stderr for each action, and one
      "mitm: DIR TYPE #N forwarded" line per frame forwarded.

  mitm.py send ADDR HEX
      Connect, send the bytes, print the first frame received back as
      "TYPE CODE" (ERROR: its code) or "closed", then close.

ADDR is HOST:PORT (IPv4). Used by attacks.sh and pairing.sh in the VM.
"""
import importlib.util
import os
import socket
import sys
import threading

TYPES = {
    "SEED_REQUEST": 0x01, "SEED_RESPONSE": 0x02,
    "ASSIGN_REQUEST": 0x10, "ASSIGN_CHALLENGE": 0x11,
    "ASSIGN_DEVICE_ID": 0x12, "ASSIGN_CONFIRM": 0x13,
    "ASSIGN_ASK": 0x18, "DEVICE_TRANSFER": 0x19,
    "DEVICE_OFFER": 0x1A, "DEVICE_PAIR": 0x1B,
    "AUTH_HELLO": 0x20, "AUTH_CHALLENGE": 0x21, "AUTH_CLIENT": 0x22,
    "AUTH_SERVER": 0x23, "SEALED": 0x30, "ERROR": 0x7F,
}
NAMES = {v: k for k, v in TYPES.items()}
HDR = 8
MAX_BODY = 550


_XFER = None


def xfer():
    """tools/xfer-vectors.py: the profile's X25519, KDF and SEAL."""
    global _XFER
    if _XFER is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "..", "..", "..", "tools", "xfer-vectors.py")
        spec = importlib.util.spec_from_file_location("xfer_vectors", path)
        _XFER = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(_XFER)
    return _XFER


# The proxy's X25519 secrets, by the public key it put in their place.
SWAPPED = {}
SWAPPED_LOCK = threading.Lock()


def swap_key(frame, off, direction, name, n):
    x = xfer()
    secret = os.urandom(32)
    public = x.x25519_public(secret)
    start = HDR + off
    theirs = frame[start:start + 32]
    with SWAPPED_LOCK:
        SWAPPED[public] = secret
    log(f"{direction} {name} #{n}: swapped public key {theirs.hex()} "
        f"for ours {public.hex()}")
    return frame[:start] + public + frame[start + 32:]


def try_open_transfer(frame):
    """A DEVICE_TRANSFER sealed to a key we swapped in: open it."""
    x = xfer()
    body = frame[HDR:]
    if len(body) != 96:
        return
    did, sender, wrapped = body[:16], body[16:48], body[48:]
    with SWAPPED_LOCK:
        keys = list(SWAPPED.items())
    for public, secret in keys:
        try:
            key, _ = x.xfer_unwrap(x.KIND_DEVICE, did, secret, sender,
                                   wrapped)
        except Exception:
            continue
        log(f"OPENED the Device Key of device id {did.hex()}: {key.hex()}")
        return


def log(msg):
    print("mitm: " + msg, file=sys.stderr, flush=True)


def addr(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_frame(sock):
    hdr = recv_exact(sock, HDR)
    if hdr is None:
        return None
    length = int.from_bytes(hdr[4:8], "big")
    if length > MAX_BODY:
        return hdr          # not ours to judge: pass on the header only
    body = recv_exact(sock, length)
    if body is None:
        return None
    return hdr + body


class Rules:
    def __init__(self, specs):
        self.lock = threading.Lock()
        self.count = {}
        self.rules = []
        for spec in specs:
            parts = spec.split(":")
            if len(parts) < 4 or parts[0] not in ("c2s", "s2c"):
                raise SystemExit("mitm: bad rule " + spec)
            t = TYPES.get(parts[1])
            if t is None:
                t = int(parts[1], 0)
            self.rules.append((parts[0], t, int(parts[2]), parts[3],
                               parts[4] if len(parts) > 4 else None))

    def match(self, direction, ftype):
        with self.lock:
            key = (direction, ftype)
            self.count[key] = self.count.get(key, 0) + 1
            n = self.count[key]
        for d, t, nth, action, arg in self.rules:
            if d == direction and t == ftype and nth == n:
                return action, arg, n
        return None, None, n


def pump(src, dst, direction, rules, both):
    while True:
        frame = recv_frame(src)
        if frame is None:
            break
        ftype = frame[1]
        name = NAMES.get(ftype, hex(ftype))
        action, arg, n = rules.match(direction, ftype)
        if action == "flip":
            off = HDR + int(arg)
            frame = frame[:off] + bytes([frame[off] ^ 1]) + frame[off + 1:]
            log(f"{direction} {name} #{n}: flipped body byte {arg}")
        elif action == "dup":
            log(f"{direction} {name} #{n}: sent twice")
            frame = frame + frame
        elif action == "close":
            log(f"{direction} {name} #{n}: closing both connections")
            break
        elif action == "swapkey":
            frame = swap_key(frame, int(arg), direction, name, n)
        if ftype == TYPES["DEVICE_TRANSFER"] and SWAPPED:
            try_open_transfer(frame)
        try:
            dst.sendall(frame)
        except OSError:
            break
        log(f"{direction} {name} #{n} forwarded")
        if action == "cut":
            log(f"{direction} {name} #{n}: forwarded, closing both")
            break
    for s in both:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def proxy(listen, upstream, specs):
    rules = Rules(specs)
    if any(r[3] == "swapkey" for r in rules.rules):
        xfer()      # load the crypto now: a slow first frame times out
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr(listen))
    ls.listen(128)
    log(f"proxy {listen} -> {upstream}, rules {specs}")
    while True:
        client, _ = ls.accept()
        try:
            server = socket.create_connection(addr(upstream), timeout=10)
            server.settimeout(None)
        except OSError as e:
            log(f"upstream: {e}")
            client.close()
            continue
        both = (client, server)
        for a, b, d in ((client, server, "c2s"), (server, client, "s2c")):
            threading.Thread(target=pump, args=(a, b, d, rules, both),
                             daemon=True).start()


def send(target, hexdata):
    s = socket.create_connection(addr(target), timeout=10)
    s.sendall(bytes.fromhex(hexdata))
    frame = recv_frame(s)
    if frame is None:
        print("closed")
    elif frame[1] == TYPES["ERROR"] and len(frame) >= HDR + 2:
        print("ERROR", int.from_bytes(frame[HDR:HDR + 2], "big"))
    else:
        print(NAMES.get(frame[1], hex(frame[1])), len(frame))
    s.close()


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "proxy":
        proxy(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
