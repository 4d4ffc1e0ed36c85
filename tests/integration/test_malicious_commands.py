"""Malicious input (memcached t/malicious-commands.t and more). Whatever the server replies or
whether it closes, afterwards it serves a well-behaved client and stored data is intact."""

import random
import socket
import struct

import pytest

from helpers import assert_healthy, call, is_closed, read_all, seed


@pytest.fixture(scope="module")
def seeded(server):
    return seed(server, "malicious-seed")


def blast(server, payload, idle=0.3):
    s = server.connect()
    try:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            return b"", True
        return read_all(s, idle=idle, timeout=5)
    finally:
        s.close()


rng = random.Random(1234)
PAYLOADS = [
    ("http-request", b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: x\r\n\r\n"),
    ("huge-length-u32", b"set foo 0 0 4294967295\r\nabc"),
    ("huge-length-u64", b"set foo 0 0 18446744073709551615\r\nabc"),
    ("length-overflows", b"set foo 0 0 99999999999999999999999\r\nabc\r\n"),
    ("flags-overflow", b"set foo 99999999999999999999 0 1\r\nx\r\n"),
    ("exptime-overflow", b"set foo 0 99999999999999999999 1\r\nx\r\n"),
    ("huge-delta-string", b"incr malicious-seed-1 " + b"9" * 10000 + b"\r\n"),
    ("key-10k", b"get " + b"k" * 10000 + b"\r\n"),
    ("line-100k-no-newline", b"z" * 100000),
    ("get-many-keys", b"get " + b" ".join(b"k%d" % i for i in range(20000)) + b"\r\n"),
    ("random-bytes", bytes(rng.getrandbits(8) for _ in range(100000))),
    ("random-lines", b"\r\n".join(bytes(rng.choice(b"abcdefgh 0123\t\x00")
                                        for _ in range(rng.randint(0, 200)))
                                  for _ in range(500)) + b"\r\n"),
    ("nul-everywhere", b"set\x00foo\x000\x000\x001\r\nx\r\n\x00\x00\x00\r\n"),
    ("cr-without-lf", b"get foo\rget bar\r" * 100 + b"\r\n"),
    ("crlf-flood", b"\r\n" * 5000),
    ("many-spaces", b"get" + b" " * 3000 + b"foo\r\n"),
    ("partial-set-then-close", b"set foo 0 0 100\r\nonly-a-bit"),
]


@pytest.mark.parametrize("payload", [p for _, p in PAYLOADS], ids=[n for n, _ in PAYLOADS])
def test_malicious_payload(server, seeded, payload):
    blast(server, payload)
    assert_healthy(server, seeded)


def test_seeded_items_not_overwritten_by_bogus_sets(server, seeded):
    # the payloads above target 'foo' and seed-1 only with invalid commands
    assert_healthy(server, seeded)


def test_abrupt_reset_mid_value(server, seeded):
    for _ in range(20):
        s = server.connect()
        s.sendall(b"set malicious-reset 0 0 1000\r\n" + b"r" * 500)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
    assert_healthy(server, seeded)
    with server.connect() as s:
        assert call(s, b"get malicious-reset\r\n") == b"END\r\n"


def test_reset_with_unread_replies(server, seeded):
    for _ in range(10):
        s = server.connect()
        s.sendall(b"get " + b" ".join(b"malicious-seed-%d" % i for i in range(20)) + b"\r\n"
                  + b"stats\r\n" * 50)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    assert_healthy(server, seeded)


def test_many_connections_opened_and_dropped(server, seeded):
    socks = []
    try:
        for _ in range(200):
            socks.append(server.connect())
        for s in socks[::2]:
            s.sendall(b"get malicious-seed-3\r\n")
    finally:
        for s in socks:
            s.close()
    assert_healthy(server, seeded)


def test_slow_byte_by_byte_client(server, seeded):
    with server.connect() as s:
        for b in b"get malicious-seed-2\r\n":
            s.sendall(bytes([b]))
        got = call(s, b"")
        assert got == b"VALUE malicious-seed-2 0 %d\r\n%s\r\nEND\r\n" % (
            len(seeded["malicious-seed-2"]), seeded["malicious-seed-2"])
    assert_healthy(server, seeded)


def test_line_too_long_closes_silently(server, seeded):
    """memcached closes a connection whose command line passes 2048 bytes with no newline
    (unless it starts with 'get '/'gets '), without a reply."""
    with server.connect() as s:
        s.sendall(b"x" * 20000)
        got, closed = read_all(s, idle=1.0, timeout=5)
        assert got == b""
        assert closed or is_closed(s, timeout=1.0)
    assert_healthy(server, seeded)
