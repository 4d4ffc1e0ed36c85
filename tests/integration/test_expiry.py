"""Expiry: relative, absolute and negative exptimes; touch/gat move it; incr/append keep it.

One setup, one sleep of ~3 s (memcached's clock ticks once a second, so an exptime of 2 s
ends between 1 and 2 s after the set), then every case is checked.
"""

import time

import pytest

from helpers import call, hit, store

SLEEP = 3.1


def get(sock, k):
    return call(sock, b"get %s\r\n" % k.encode())


@pytest.fixture(scope="module")
def aged(server):
    """Store every case, check what must hold right away, sleep once; return the checks' keys."""
    sock = server.connect()
    p = "expiry"
    now = int(time.time())
    store(sock, f"{p}-rel2", b"a", exptime=2)
    store(sock, f"{p}-never", b"b", exptime=0)
    store(sock, f"{p}-long", b"c", exptime=1000)
    store(sock, f"{p}-abs-future", b"d", exptime=now + 2)
    store(sock, f"{p}-abs-far", b"e", exptime=now + 1000)
    store(sock, f"{p}-touch-longer", b"f", exptime=2)
    store(sock, f"{p}-touch-shorter", b"g", exptime=0)
    store(sock, f"{p}-gat-shorter", b"h", exptime=0)
    store(sock, f"{p}-gat-longer", b"i", exptime=2)
    store(sock, f"{p}-incr", b"10", exptime=2)
    store(sock, f"{p}-append", b"j", exptime=2)
    immediate = {
        "rel2": get(sock, f"{p}-rel2"),
        "abs-future": get(sock, f"{p}-abs-future"),
    }
    store(sock, f"{p}-negative", b"n", exptime=-1)
    store(sock, f"{p}-abs-past", b"o", exptime=now - 100)
    store(sock, f"{p}-zero-then-neg", b"z", exptime=0)
    immediate["negative"] = get(sock, f"{p}-negative")
    immediate["abs-past"] = get(sock, f"{p}-abs-past")
    immediate["touch-neg"] = call(sock, b"touch %s-zero-then-neg -1\r\n" % p.encode())
    immediate["after-touch-neg"] = get(sock, f"{p}-zero-then-neg")
    immediate["touch-longer"] = call(sock, b"touch %s-touch-longer 1000\r\n" % p.encode())
    immediate["touch-shorter"] = call(sock, b"touch %s-touch-shorter 2\r\n" % p.encode())
    immediate["touch-missing"] = call(sock, b"touch %s-missing 2\r\n" % p.encode())
    immediate["gat-shorter"] = call(sock, b"gat 2 %s-gat-shorter\r\n" % p.encode())
    immediate["gat-longer"] = call(sock, b"gat 1000 %s-gat-longer\r\n" % p.encode())
    immediate["incr"] = call(sock, b"incr %s-incr 5\r\n" % p.encode())
    immediate["append"] = call(sock, b"append %s-append 0 0 1\r\nk\r\n" % p.encode())
    time.sleep(SLEEP)
    yield sock, p, immediate
    sock.close()


def test_relative_exptime(aged):
    sock, p, imm = aged
    assert imm["rel2"] == hit(f"{p}-rel2", b"a")
    assert get(sock, f"{p}-rel2") == b"END\r\n"


def test_zero_and_long_exptime_stay(aged):
    sock, p, _ = aged
    assert get(sock, f"{p}-never") == hit(f"{p}-never", b"b")
    assert get(sock, f"{p}-long") == hit(f"{p}-long", b"c")


def test_absolute_exptime(aged):
    sock, p, imm = aged
    assert imm["abs-future"] == hit(f"{p}-abs-future", b"d")
    assert get(sock, f"{p}-abs-future") == b"END\r\n"
    assert get(sock, f"{p}-abs-far") == hit(f"{p}-abs-far", b"e")


def test_past_exptimes_expire_immediately(aged):
    _, _, imm = aged
    assert imm["negative"] == b"END\r\n"
    assert imm["abs-past"] == b"END\r\n"
    assert imm["touch-neg"] == b"TOUCHED\r\n"
    assert imm["after-touch-neg"] == b"END\r\n"


def test_touch(aged):
    sock, p, imm = aged
    assert imm["touch-longer"] == b"TOUCHED\r\n"
    assert imm["touch-shorter"] == b"TOUCHED\r\n"
    assert imm["touch-missing"] == b"NOT_FOUND\r\n"
    assert get(sock, f"{p}-touch-longer") == hit(f"{p}-touch-longer", b"f")
    assert get(sock, f"{p}-touch-shorter") == b"END\r\n"


def test_gat(aged):
    sock, p, imm = aged
    assert imm["gat-shorter"] == hit(f"{p}-gat-shorter", b"h")
    assert imm["gat-longer"] == hit(f"{p}-gat-longer", b"i")
    assert get(sock, f"{p}-gat-shorter") == b"END\r\n"
    assert get(sock, f"{p}-gat-longer") == hit(f"{p}-gat-longer", b"i")


def test_incr_and_append_keep_exptime(aged):
    sock, p, imm = aged
    assert imm["incr"] == b"15\r\n"
    assert imm["append"] == b"STORED\r\n"
    assert get(sock, f"{p}-incr") == b"END\r\n"
    assert get(sock, f"{p}-append") == b"END\r\n"
