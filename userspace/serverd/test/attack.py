#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Hostile peers of cpns-serverd and of GW1's PN link (attack.sh).

Each command attacks TARGET (ADDR:PORT) and prints one line "key=value ..."
of what the daemon did, for the test to check:

  halfopen TARGET N HOLD SRC...  N connections, round robin from the SRC
        addresses, that send nothing; after HOLD s: how many the server
        had closed (closed=), refused with ERROR busy (busy=), held (open=)
  slow TARGET SECONDS   one byte a second of a valid SEED_REQUEST header:
        when the server gave up (after=) and its ERROR code (code=)
  garbage TARGET N      N connections of random bytes and N of a valid
        header followed by garbage, each closed for writing after it: how
        many the server ended within 15 s, by an ERROR and a close or (a
        frame cut short) a close (answered=), the codes seen (codes=)
  proxy LISTEN TARGET DIR   forward connections to TARGET, writing what
        each client sent to DIR/conn-N (until killed)
  replay TARGET DIR N   replay each DIR/conn-N N times, frame by frame,
        waiting for each answer: the answers' types (types=)
  pipeline TARGET DIR N send each DIR/conn-N of more than one frame N
        times, all its frames in one write, and read the answers until
        the server closes or is silent for 10 s: the answers' types
        (types=), connections with none (unanswered=)
  vanish TARGET N       N PN-link ASSIGN_ASKs, each closed at once
  lowkey TARGET N       N ASSIGN_ASKs with a small-order public key: the
        answers' types and codes, and how long each took (ms=)
"""

import os
import random
import socket
import struct
import sys
import time

HDR = 8
T_SEED_REQUEST = 0x01
T_ASSIGN_ASK = 0x18
T_ERROR = 0x7f


def addr(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


def frame(mtype, body):
    return struct.pack(">BBHI", 1, mtype, 0, len(body)) + body


def name(s):
    return bytes([len(s)]) + s.encode()


def recv_frame(sock, timeout):
    """One frame (type, body), None on a close, 'timeout' on a timeout."""
    sock.settimeout(timeout)
    buf = b""
    try:
        while len(buf) < HDR:
            d = sock.recv(HDR - len(buf))
            if not d:
                return None
            buf += d
        _, mtype, _, length = struct.unpack(">BBHI", buf)
        body = b""
        while len(body) < length:
            d = sock.recv(length - len(body))
            if not d:
                return None
            body += d
        return mtype, body
    except socket.timeout:
        return "timeout"
    except OSError:
        return None


def closed_after(sock, timeout):
    """Does the peer close (EOF or reset) within timeout?"""
    sock.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not sock.recv(4096):
                return True
    except socket.timeout:
        return False
    except OSError:
        return True
    return False


def connect(target, src=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(addr(target))
    return s


def halfopen(target, n, hold, *srcs):
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = int(n) + 64
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (want, max(want, hard)))
    socks = []
    for i in range(int(n)):
        try:
            socks.append(connect(target, srcs[i % len(srcs)]))
        except OSError:
            pass
    time.sleep(float(hold))
    closed = busy = still = 0
    for s in socks:
        s.setblocking(False)
        try:
            d = s.recv(4096)
            if not d:
                closed += 1
            elif d[1] == T_ERROR and struct.unpack(">H", d[8:10])[0] == 10:
                busy += 1
            else:
                closed += 1
        except BlockingIOError:
            still += 1
        except OSError:
            closed += 1
        s.close()
    print(f"connected={len(socks)} closed={closed} busy={busy} open={still}")


def slow(target, seconds):
    body = os.urandom(32) + name("gw1")
    data = frame(T_SEED_REQUEST, body)
    s = connect(target)
    start = time.monotonic()
    code = 0
    for i in range(int(seconds)):
        try:
            s.send(data[i % len(data):i % len(data) + 1])
        except OSError:
            break
        r = recv_frame(s, 1)
        if r is None:
            break
        if r != "timeout":
            if r[0] == T_ERROR:
                code = struct.unpack(">H", r[1][:2])[0]
            closed_after(s, 5)
            break
    print(f"after={time.monotonic() - start:.1f} code={code}")


def garbage(target, n):
    answered = 0
    codes = {}
    rnd = random.Random(int(n))
    for i in range(2 * int(n)):
        if i % 2:
            data = rnd.randbytes(rnd.randint(1, 3000))
        else:
            mtype = rnd.choice([0x01, 0x10, 0x12, 0x20, 0x22, 0x30, 0x7f,
                                rnd.randint(0, 255)])
            length = rnd.choice([0, 1, 33, 104, 5000, rnd.randint(0, 600)])
            data = (struct.pack(">BBHI", 1, mtype, 0, length) +
                    rnd.randbytes(min(length, rnd.randint(0, 700))))
        try:
            s = connect(target)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            continue
        # ERROR then a close, or a close alone (a frame cut short by our
        # end of input); anything else (no close in 15 s) is a failure.
        r = recv_frame(s, 15)
        if isinstance(r, tuple) and r[0] == T_ERROR and closed_after(s, 15):
            answered += 1
            c = struct.unpack(">H", r[1][:2])[0]
            codes[c] = codes.get(c, 0) + 1
        elif r is None:
            answered += 1
            codes["close"] = codes.get("close", 0) + 1
        else:
            codes["other"] = codes.get("other", 0) + 1
        s.close()
    cs = ",".join(f"{k}:{v}" for k, v in sorted(codes.items(), key=str))
    print(f"sent={2 * int(n)} answered={answered} codes={cs}")


def proxy(listen, target, outdir):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(addr(listen))
    ls.listen(16)
    print("listening", flush=True)
    n = 0
    import select
    while True:
        c, _ = ls.accept()
        n += 1
        u = connect(target)
        path = os.path.join(outdir, f"conn-{os.getpid()}-{n}")
        with open(path, "wb") as rec:
            socks = [c, u]
            done = False
            while not done:
                r, _, _ = select.select(socks, [], [], 60)
                if not r:
                    break
                for s in r:
                    d = s.recv(65536)
                    if not d:
                        done = True
                        break
                    if s is c:
                        rec.write(d)
                        u.sendall(d)
                    else:
                        c.sendall(d)
        c.close()
        u.close()


def split_frames(data):
    out = []
    while len(data) >= HDR:
        length = struct.unpack(">I", data[4:8])[0]
        out.append(data[:HDR + length])
        data = data[HDR + length:]
    return out


def load_flows(indir, least):
    """The frames of each DIR/conn-N that has at least least of them."""
    flows = []
    for f in sorted(os.listdir(indir)):
        with open(os.path.join(indir, f), "rb") as fh:
            fr = split_frames(fh.read())
        if len(fr) >= least:
            flows.append(fr)
    return flows


def answer_key(r):
    """recv_frame()'s result as counted: its type, E<code>, close, timeout."""
    if not isinstance(r, tuple):
        return "close" if r is None else r
    return f"{r[0]:#x}" if r[0] != T_ERROR else \
        f"E{struct.unpack('>H', r[1][:2])[0]}"


def replay(target, indir, n):
    types = {}
    flows = load_flows(indir, 1)
    for _ in range(int(n)):
        for fr in flows:
            try:
                s = connect(target)
            except OSError:
                types["noconn"] = types.get("noconn", 0) + 1
                continue
            for f in fr:
                try:
                    s.sendall(f)
                except OSError:
                    break
                r = recv_frame(s, 10)
                key = answer_key(r)
                types[key] = types.get(key, 0) + 1
                if not isinstance(r, tuple) or r[0] == T_ERROR:
                    break
            s.close()
    ts = ",".join(f"{k}:{v}" for k, v in sorted(types.items()))
    print(f"flows={len(flows)} types={ts}")


def pipeline(target, indir, n):
    types = {}
    conns = unanswered = 0
    flows = load_flows(indir, 2)
    for _ in range(int(n)):
        for fr in flows:
            try:
                s = connect(target)
                s.sendall(b"".join(fr))
            except OSError:
                types["noconn"] = types.get("noconn", 0) + 1
                continue
            conns += 1
            answers = 0
            while True:
                r = recv_frame(s, 10)
                key = answer_key(r)
                types[key] = types.get(key, 0) + 1
                if not isinstance(r, tuple):
                    break
                answers += 1
            unanswered += answers == 0
            s.close()
    ts = ",".join(f"{k}:{v}" for k, v in sorted(types.items()))
    print(f"flows={len(flows)} conns={conns} unanswered={unanswered} "
          f"types={ts}")


def ask(pub):
    # ASSIGN_ASK: public key, name, flags u8 (0): protocol.rst 5.9
    return frame(T_ASSIGN_ASK, pub + name("gw2") + b"\0")


def vanish(target, n):
    done = 0
    for _ in range(int(n)):
        try:
            s = connect(target)
            s.sendall(ask(os.urandom(32)))
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
            s.close()
            done += 1
        except OSError:
            pass
    print(f"vanished={done}")


def lowkey(target, n):
    pts = [bytes(32), b"\1" + bytes(31), b"\xec" + b"\xff" * 30 + b"\x7f",
           b"\xed" + b"\xff" * 30 + b"\xff"]
    types = {}
    worst = 0
    for i in range(int(n)):
        start = time.monotonic()
        s = connect(target)
        s.sendall(ask(pts[i % len(pts)]))
        r = recv_frame(s, 20)
        worst = max(worst, time.monotonic() - start)
        key = "close" if r is None else r if r == "timeout" else \
            (f"E{struct.unpack('>H', r[1][:2])[0]}" if r[0] == T_ERROR
             else f"{r[0]:#x}")
        types[key] = types.get(key, 0) + 1
        s.close()
    ts = ",".join(f"{k}:{v}" for k, v in sorted(types.items()))
    print(f"types={ts} ms={int(worst * 1000)}")


if __name__ == "__main__":
    cmds = {"halfopen": halfopen, "slow": slow, "garbage": garbage,
            "proxy": proxy, "replay": replay, "pipeline": pipeline,
            "vanish": vanish,
            "lowkey": lowkey}
    if len(sys.argv) < 3 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
