#!/usr/bin/python3
"""DNS clients for the forwarder's tests.

usage: dnsq.py flood ADDR N       N queries as fast as they go, then
                                  how many got an answer
       dnsq.py malformed ADDR     hostile messages over UDP and TCP,
                                  then one good query that must work
"""

import random
import select
import socket
import struct
import sys
import time


def question(name, qtype=1):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0" + struct.pack("!HH", qtype, 1)


def query(qid, name="phone.test", qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        question(name, qtype)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def ask(addr, timeout=3.0):
    """One good query over UDP: the answer's address, or None."""
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    qid = random.randrange(65536)
    s.sendto(query(qid), (addr, 53))
    try:
        while True:
            data = s.recv(65535)
            if struct.unpack("!H", data[:2])[0] == qid:
                return socket.inet_ntoa(data[-4:])
    except socket.timeout:
        return None


def flood(addr, n):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setblocking(False)
    answered = 0
    sent = 0
    deadline = None
    while True:
        if sent < n:
            try:
                s.sendto(query(sent & 0xffff), (addr, 53))
                sent += 1
            except BlockingIOError:
                select.select([s], [s], [], 0.01)
        elif deadline is None:
            deadline = time.time() + 5
        elif time.time() > deadline:
            break
        while True:
            try:
                s.recv(65535)
                answered += 1
            except BlockingIOError:
                break
        if sent >= n:
            select.select([s], [], [], 0.1)
    print(answered)


def tcp_send(addr, payload, wait=0.5):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((addr, 53))
    s.sendall(payload)
    time.sleep(wait)
    s.close()


def malformed(addr):
    hdr = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0)
    bad = [
        b"",
        b"\x00",
        hdr[:11],
        hdr,                                    # no question
        hdr + b"\xc0\x0c\x00\x01\x00\x01",      # a pointer to itself
        hdr + b"\x03abc\xc0\x0c\x00\x01\x00\x01",
        hdr + b"\x3fabc",                       # a label past the end
        struct.pack("!HHHHHH", 7, 0x0100, 0xffff, 0xffff, 0xffff,
                    0xffff) + question("phone.test"),
        struct.pack("!HHHHHH", 7, 0x8180, 1, 0, 0, 0) +
        question("phone.test"),                 # an answer, not a query
        struct.pack("!HHHHHH", 7, 0x2800, 1, 0, 0, 0) +
        question("phone.test"),                 # UPDATE
        bytes(random.randrange(256) for _ in range(4000)),
        b"\xff" * 70000,
    ]
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    for m in bad:
        try:
            s.sendto(m, (addr, 53))
        except OSError:
            pass
    for _ in range(2000):
        m = bytes(random.randrange(256) for _ in range(random.randrange(40)))
        s.sendto(m, (addr, 53))
    # TCP: a length past any query, junk, a half message left open.
    tcp_send(addr, b"\xff\xff" + b"\0" * 100, 0.1)
    tcp_send(addr, struct.pack("!H", len(bad[4])) + bad[4], 0.1)
    held = socket.socket(family(addr), socket.SOCK_STREAM)
    held.connect((addr, 53))
    held.sendall(b"\x00\x40\x00")
    # It must still answer, at once, while that one hangs.
    got = ask(addr)
    held.close()
    print(got)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "flood":
        flood(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "malformed":
        malformed(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
