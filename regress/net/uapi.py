#!/usr/bin/python3
"""The userspace API socket, spoken to raw, as wg(8) cannot.

  uapi.py req SOCK              sends standard input as it is; prints the
                                reply up to its blank line (or what came
                                before the server closed), then "closed"
                                if it did
  uapi.py many-ips SOCK KEY N [add]
                                one set of N allowed ips for peer KEY
                                (hex), replacing its own unless "add";
                                prints the reply and the seconds the
                                request took
  uapi.py many-peers SOCK N     N peers of 2 allowed ips in one set, then
                                replace_peers with none; the seconds
                                of each
  uapi.py bad SOCK              the hostile clients, one after another:
                                random bytes, a 1 MB line, half a
                                request then silence, a client that
                                never reads, 100 idle connections, many
                                peers in one set, 20 sets at once;
                                prints one line each
"""

import os
import socket
import sys
import threading
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.settimeout(15)
    return s


def read_reply(s):
    """Up to the blank line that ends a reply; b"" and True if closed."""
    buf = b""
    while not buf.endswith(b"\n\n"):
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return buf, True
        if not chunk:
            return buf, True
        buf += chunk
    return buf, False


def is_closed(s):
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def req(path):
    s = connect(path)
    s.sendall(sys.stdin.buffer.read())
    reply, closed = read_reply(s)
    sys.stdout.write(reply.decode())
    if closed:
        print("closed")


def timed_set(path, lines):
    """The reply's first line and the seconds the request took."""
    body = ("\n".join(lines) + "\n\n").encode()
    s = connect(path)
    t = time.monotonic()
    s.sendall(body)
    reply, _ = read_reply(s)
    return reply.decode().split("\n")[0], time.monotonic() - t


def many_ips(path, key, n, replace):
    lines = ["set=1", "public_key=" + key]
    if replace:
        lines.append("replace_allowed_ips=true")
    for i in range(n):
        lines.append("allowed_ip=10.%d.%d.%d/32" % (
            100 + i // 65536, (i // 256) % 256, i % 256))
    reply, took = timed_set(path, lines)
    print(reply)
    print("%.3f" % took)


def many_peers(path, n):
    keys = [os.urandom(32).hex() for _ in range(n)]
    lines = ["set=1"]
    for i, k in enumerate(keys):
        lines += ["public_key=" + k, "allowed_ip=10.150.%d.%d/32" %
                  (i // 256, i % 256), "allowed_ip=fd15::%x/128" % i]
    reply, took = timed_set(path, lines)
    print("%d peers: %s %.3f" % (n, reply, took))
    reply, took = timed_set(path, ["set=1", "replace_peers=true"])
    print("replace_peers: %s %.3f" % (reply, took))


def get_ok(path):
    s = connect(path)
    s.sendall(b"get=1\n\n")
    reply, _ = read_reply(s)
    return reply.endswith(b"errno=0\n\n")


def bad(path):
    # Random bytes: closed, or an errno.
    s = connect(path)
    s.sendall(os.urandom(4096))
    reply, closed = read_reply(s)
    print("random:", "closed" if closed else reply.decode().split("\n")[0])

    # A line of 1 MB without a newline, in a set: -5, closed.
    s = connect(path)
    try:
        s.sendall(b"set=1\nallowed_ip=" + b"1" * (1 << 20))
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply, closed = read_reply(s)
    closed = closed or is_closed(s)
    print("long line:", reply.decode().strip(), "closed" if closed else "")

    # Half a request, then silence: closed by the idle timeout, and the
    # socket serves others meanwhile.
    half = connect(path)
    half.sendall(b"set=1\nlisten_port=1")
    half_since = time.monotonic()
    print("half request, others served:", get_ok(path))

    # A client that sends requests and never reads the replies.
    deaf = connect(path)
    deaf.setblocking(False)
    sent = 0
    try:
        for _ in range(20000):
            deaf.send(b"get=1\n\n")
            sent += 1
    except BlockingIOError:
        pass
    print("deaf client, others served:", get_ok(path))

    # One that sends bad requests, which control answers itself, and
    # never reads.
    deaf2 = connect(path)
    deaf2.setblocking(False)
    try:
        for _ in range(200000):
            deaf2.send(b"get=1\nx\n")
    except BlockingIOError:
        pass
    print("deaf errno client, others served:", get_ok(path))

    # 100 idle connections: wg still gets in.
    idle = [connect(path) for _ in range(100)]
    print("100 idle, others served:", get_ok(path))
    for c in idle:
        c.close()

    # Thousands of peers in one set, and as many removed again.
    keys = [os.urandom(32).hex() for _ in range(5000)]
    body = "set=1\n" + "".join(
        "public_key=%s\nallowed_ip=10.200.%d.%d/32\n" %
        (k, i // 256, i % 256) for i, k in enumerate(keys)) + "\n"
    s = connect(path)
    s.sendall(body.encode())
    reply, _ = read_reply(s)
    print("5000 peers:", reply.decode().strip())
    body = "set=1\n" + "".join(
        "public_key=%s\nremove=true\n" % k for k in keys) + "\n"
    s = connect(path)
    s.sendall(body.encode())
    reply, _ = read_reply(s)
    print("5000 removed:", reply.decode().strip())

    # Sets from many clients at once, each with an fwmark: the engine
    # waits for the parent on each, and takes them one by one.
    def one_set(i, out):
        s = connect(path)
        s.sendall(("set=1\nfwmark=0\npublic_key=%s\n"
                   "allowed_ip=10.201.0.%d/32\n\n" %
                   (os.urandom(32).hex(), i)).encode())
        out[i] = read_reply(s)[0]
    out = [None] * 20
    threads = [threading.Thread(target=one_set, args=(i, out))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("20 sets at once:", " ".join(sorted(set(
        r.decode().strip() if r else "none" for r in out))))

    half.settimeout(15)
    r, closed = read_reply(half)
    print("half request closed after %d s:" %
          round(time.monotonic() - half_since), closed and r == b"")


def main():
    cmd = sys.argv[1]
    if cmd == "req":
        req(sys.argv[2])
    elif cmd == "many-ips":
        many_ips(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                 len(sys.argv) < 6 or sys.argv[5] != "add")
    elif cmd == "many-peers":
        many_peers(sys.argv[2], int(sys.argv[3]))
    elif cmd == "bad":
        bad(sys.argv[2])
    else:
        sys.exit("usage: uapi.py req|many-ips|bad SOCK ...")


main()
