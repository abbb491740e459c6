#!/usr/bin/python3
"""Bytes through a tunnel, checked end to end.

  xfer.py tcp-recv PORT              one connection; prints "BYTES SHA256"
  xfer.py tcp-send HOST PORT BYTES   a stream of BYTES; prints the same
  xfer.py udp-recv PORT QUIET        datagrams until QUIET s without one;
                                     prints "GOOD BAD"
  xfer.py udp-send HOST PORT COUNT SIZE [GSO]
                                     COUNT datagrams of SIZE bytes, with
                                     UDP_SEGMENT in runs of GSO when set

The stream is deterministic (SHA-256 in counter mode), so the two ends
agree on its hash without sharing a file.  Each datagram carries its
number and bytes derived from it, so the receiver knows a damaged one.
"""

import hashlib
import socket
import struct
import sys
import time

UDP_SEGMENT = 103


def stream(nbytes):
    i = 0
    while nbytes > 0:
        block = b"".join(hashlib.sha256(struct.pack(">QQ", i, j)).digest()
                         for j in range(2048))
        i += 1
        yield block[:nbytes]
        nbytes -= len(block)


def datagram(seq, size):
    body = hashlib.sha256(struct.pack(">I", seq)).digest()
    body = (body * (size // len(body) + 1))[:size - 4]
    return struct.pack(">I", seq) + body


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp_recv(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port))
    s.listen(1)
    c, _ = s.accept()
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(n, h.hexdigest())


def tcp_send(host, port, nbytes):
    s = socket.create_connection((host, port), timeout=60)
    h = hashlib.sha256()
    for block in stream(nbytes):
        h.update(block)
        s.sendall(block)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    print(nbytes, h.hexdigest())


def udp_recv(port, quiet):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("::", port))
    s.settimeout(30)
    good = bad = 0
    seen = set()
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        s.settimeout(quiet)
        seq = struct.unpack(">I", b[:4])[0] if len(b) >= 4 else -1
        if seq >= 0 and b == datagram(seq, len(b)) and seq not in seen:
            seen.add(seq)
            good += 1
        else:
            bad += 1
    print(good, bad)


def udp_send(host, port, count, size, gso):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.connect((host, port))
    seq = 0
    while seq < count:
        if gso:
            run = [datagram(seq + i, size)
                   for i in range(min(gso, count - seq))]
            s.sendmsg([b"".join(run)],
                      [(socket.SOL_UDP, UDP_SEGMENT,
                        struct.pack("=H", size))])
            seq += len(run)
        else:
            s.send(datagram(seq, size))
            seq += 1
        # Paced a little, so that a receiver's buffer is not the test.
        if seq % 256 == 0:
            time.sleep(0.01)
    print(count)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "tcp-recv" and len(argv) == 3:
        tcp_recv(int(argv[2]))
    elif cmd == "tcp-send" and len(argv) == 5:
        tcp_send(argv[2], int(argv[3]), int(argv[4]))
    elif cmd == "udp-recv" and len(argv) == 4:
        udp_recv(int(argv[2]), float(argv[3]))
    elif cmd == "udp-send" and len(argv) in (6, 7):
        udp_send(argv[2], int(argv[3]), int(argv[4]), int(argv[5]),
                 int(argv[6]) if len(argv) == 7 else 0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
