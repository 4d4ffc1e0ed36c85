"""Retrieval: get, gets, gat, gats, multi-key and missing keys."""

import re

from helpers import call, hit, store, value_reply


def test_get_missing(sock, key):
    assert call(sock, b"get %s-nope\r\n" % key.encode()) == b"END\r\n"


def test_multi_get_order_and_misses(sock, key):
    keys = [f"{key}-{i}" for i in range(5)]
    for i, k in enumerate(keys):
        if i % 2 == 0:
            store(sock, k, f"v{i}", flags=i)
    got = call(sock, b"get " + " ".join(keys).encode() + b"\r\n")
    assert got == (value_reply(keys[0], b"v0", 0) + value_reply(keys[2], b"v2", 2)
                   + value_reply(keys[4], b"v4", 4) + b"END\r\n")


def test_get_same_key_twice(sock, key):
    store(sock, key, b"x")
    k = key.encode()
    assert call(sock, b"get %s %s\r\n" % (k, k)) == value_reply(key, b"x") * 2 + b"END\r\n"


def test_gets_returns_cas(sock, key):
    store(sock, key, b"abc", flags=2)
    got = call(sock, b"gets %s\r\n" % key.encode())
    m = re.fullmatch(rb"VALUE (\S+) 2 3 (\d+)\r\nabc\r\nEND\r\n", got)
    assert m, got
    assert m.group(1) == key.encode()
    assert int(m.group(2)) > 0


def test_gets_cas_changes_on_update(sock, key):
    k = key.encode()
    store(sock, key, b"a")
    c1 = call(sock, b"gets %s\r\n" % k).split(b"\r\n")[0].split()[4]
    assert call(sock, b"gets %s\r\n" % k).split(b"\r\n")[0].split()[4] == c1
    store(sock, key, b"b")
    c2 = call(sock, b"gets %s\r\n" % k).split(b"\r\n")[0].split()[4]
    assert c2 != c1


def test_gat_returns_value_and_touches(sock, key):
    store(sock, key, b"v", flags=4)
    k = key.encode()
    assert call(sock, b"gat 100 %s\r\n" % k) == value_reply(key, b"v", 4) + b"END\r\n"
    got = call(sock, b"gats 100 %s\r\n" % k)
    assert re.fullmatch(rb"VALUE " + re.escape(k) + rb" 4 1 \d+\r\nv\r\nEND\r\n", got), got


def test_gat_missing(sock, key):
    assert call(sock, b"gat 10 %s-missing\r\n" % key.encode()) == b"END\r\n"
    assert call(sock, b"gats 10 %s-missing\r\n" % key.encode()) == b"END\r\n"


def test_gat_bad_exptime(sock, key):
    assert call(sock, b"gat abc %s\r\n" % key.encode()) == b"CLIENT_ERROR invalid exptime argument\r\n"


def test_get_without_key_is_error(sock):
    assert call(sock, b"get\r\n") == b"ERROR\r\n"
    assert call(sock, b"gets\r\n") == b"ERROR\r\n"


def test_bare_lf_line_ending(sock, key):
    store(sock, key, b"x")
    assert call(sock, b"get %s\n" % key.encode()) == value_reply(key, b"x") + b"END\r\n"


def test_many_keys_in_one_get(sock, key):
    keys = [f"{key}-{i}" for i in range(200)]
    for k in keys[::3]:
        store(sock, k, k)
    expected = b"".join(value_reply(k, k) for k in keys[::3]) + b"END\r\n"
    assert call(sock, b"get " + " ".join(keys).encode() + b"\r\n") == expected
