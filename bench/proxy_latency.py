#!/usr/bin/python3
"""p50 of one-at-a-time `get` round trips (bench/proxy.sh): PORT N -> prints microseconds.

Standard library only. One connection, N sequential requests for keys the caller stored,
every socket with a timeout."""
import socket
import statistics
import sys
import time


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    s = socket.create_connection(("127.0.0.1", port), timeout=5.0)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"set proxylat:key 0 0 100\r\n" + b"x" * 100 + b"\r\n")
    assert s.recv(64) == b"STORED\r\n"
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        s.sendall(b"get proxylat:key\r\n")
        buf = b""
        while not buf.endswith(b"END\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                sys.exit("connection closed")
            buf += chunk
        samples.append(time.perf_counter() - t0)
    print(round(statistics.median(samples) * 1e6, 1))


if __name__ == "__main__":
    main()
