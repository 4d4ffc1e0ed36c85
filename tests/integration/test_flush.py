"""flush_all: immediate, noreply, delayed, bad arguments. Own server per module."""

import time

from helpers import call, hit, store


def get(sock, k):
    return call(sock, b"get %s\r\n" % k.encode())


def test_flush_all_removes_everything(sock, key):
    keys = [f"{key}-{i}" for i in range(20)]
    for k in keys:
        store(sock, k, b"v")
    assert call(sock, b"flush_all\r\n") == b"OK\r\n"
    for k in keys:
        assert get(sock, k) == b"END\r\n"
    store(sock, keys[0], b"after")
    assert get(sock, keys[0]) == hit(keys[0], b"after")


def test_flush_all_zero(sock, key):
    store(sock, key, b"v")
    assert call(sock, b"flush_all 0\r\n") == b"OK\r\n"
    assert get(sock, key) == b"END\r\n"


def test_flush_all_noreply(sock, key):
    store(sock, key, b"v")
    sock.sendall(b"flush_all noreply\r\n")
    assert call(sock, b"get %s\r\n" % key.encode()) == b"END\r\n"
    sock.sendall(b"flush_all 0 noreply\r\n")
    assert call(sock, b"version\r\n").startswith(b"VERSION ")


def test_flush_all_bad_argument(sock, key):
    store(sock, key, b"v")
    assert call(sock, b"flush_all x\r\n") == b"CLIENT_ERROR invalid exptime argument\r\n"
    assert get(sock, key) == hit(key, b"v")


def test_flush_makes_add_succeed(sock, key):
    store(sock, key, b"v")
    assert call(sock, b"flush_all\r\n") == b"OK\r\n"
    store(sock, key, b"w", cmd=b"add")
    assert get(sock, key) == hit(key, b"w")
    assert call(sock, b"incr %s 1\r\n" % key.encode()) == (
        b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n")


def test_delayed_flush(sock, key):
    store(sock, key, b"v")
    assert call(sock, b"flush_all 2\r\n") == b"OK\r\n"
    assert get(sock, key) == hit(key, b"v")
    time.sleep(3.1)
    assert get(sock, key) == b"END\r\n"
    store(sock, key, b"new")
    assert get(sock, key) == hit(key, b"new")
