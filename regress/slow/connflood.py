"""Connections to wgd's sockets, as many and as fast as one process
makes them, for the flood tests.

    connflood.py SECONDS HOLD TARGET...

TARGET is unix:PATH, tcp:ADDR:PORT or udp:ADDR:PORT.  Stream targets
get connections, each held open (every other one sends half a request
first) until HOLD are open, then the oldest is closed; udp targets get
DNS queries, each a new name, as fast as the socket takes them.  Prints
one line per target: connections made, refused or failed, and bytes
sent, or queries sent and answers read.
"""

import collections
import errno
import os
import socket
import struct
import sys
import time


def query(n):
    name = b"".join(bytes([len(p)]) + p
                    for p in (b"q%d" % n, b"phone", b"test")) + b"\0"
    return struct.pack("!HHHHHH", n & 0xFFFF, 0x0100, 1, 0, 0, 0) + \
        name + struct.pack("!HH", 1, 1)


def stream_socket(kind, where):
    if kind == "unix":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    else:
        host, port = where.rsplit(":", 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        where = (host, int(port))
    s.setblocking(False)
    return s, where


def main():
    seconds, hold = float(sys.argv[1]), int(sys.argv[2])
    targets = [t.split(":", 1) for t in sys.argv[3:]]
    counts = {t: collections.Counter() for t in sys.argv[3:]}
    held = collections.deque()
    udp = []
    for (kind, where), name in zip(targets, sys.argv[3:]):
        if kind == "udp":
            host, port = where.rsplit(":", 1)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.setblocking(False)
            u.connect((host, int(port)))
            udp.append((u, name))
    streams = [(k, w, n) for (k, w), n in zip(targets, sys.argv[3:])
               if k != "udp"]
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        for kind, where, name in streams:
            s, addr = stream_socket(kind, where)
            try:
                s.connect(addr)
                counts[name]["made"] += 1
            except BlockingIOError:
                counts[name]["made"] += 1
            except OSError as e:
                s.close()
                counts[name]["refused" if e.errno in (
                    errno.ECONNREFUSED, errno.EAGAIN) else "failed"] += 1
                continue
            if n % 2:
                try:
                    counts[name]["bytes"] += s.send(b"get=1\n" if kind ==
                                                    "unix" else b"\0\x40")
                except OSError:
                    pass
            held.append(s)
            while len(held) > hold:
                held.popleft().close()
        for u, name in udp:
            for _ in range(32):
                try:
                    u.send(query(n * 32 + _))
                    counts[name]["queries"] += 1
                except OSError:
                    counts[name]["failed"] += 1
                    break
            while True:
                try:
                    u.recv(4096)
                    counts[name]["answers"] += 1
                except OSError:
                    break
    for s in held:
        s.close()
    for name in sys.argv[3:]:
        c = counts[name]
        print("%s %s" % (name, " ".join("%s %d" % kv
                                          for kv in sorted(c.items()))))
    sys.stdout.flush()
    os._exit(0)


main()
