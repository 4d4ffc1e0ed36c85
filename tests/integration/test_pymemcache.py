"""pymemcache (no_delay=True): every command the client exposes."""

import pytest
from pymemcache.exceptions import MemcacheClientError, MemcacheServerError

BIN = bytes(range(256)) * 4 + b"\xff\xfe\x00\r\n\x80"


@pytest.fixture
def c(server):
    cl = server.client()
    yield cl
    cl.close()


def test_set_get(c, key):
    assert c.set(key, b"v") is True
    assert c.get(key) == b"v"
    assert c.get(key + "-missing") is None
    assert c.get(key + "-missing", default=b"d") == b"d"


def test_get_many(c, key):
    keys = [f"{key}-{i}" for i in range(10)]
    for i, k in enumerate(keys[:7]):
        c.set(k, b"%d" % i)
    assert c.get_many(keys) == {k: b"%d" % i for i, k in enumerate(keys[:7])}
    assert c.get_multi(keys[7:]) == {}


def test_set_many(c, key):
    data = {f"{key}-{i}": b"x" * i for i in range(30)}
    assert c.set_many(data) == []
    assert c.get_many(list(data)) == data


def test_add_replace(c, key):
    assert c.add(key, b"a") is True
    assert c.add(key, b"b") is False
    assert c.replace(key, b"c") is True
    assert c.replace(key + "-no", b"c") is False
    assert c.get(key) == b"c"


def test_append_prepend(c, key):
    assert c.append(key, b"x") is False
    c.set(key, b"mid")
    assert c.append(key, b">") is True
    assert c.prepend(key, b"<") is True
    assert c.get(key) == b"<mid>"


def test_gets_cas(c, key):
    c.set(key, b"1")
    v, cas = c.gets(key)
    assert v == b"1" and int(cas) > 0
    assert c.cas(key, b"2", cas) is True
    assert c.cas(key, b"3", cas) is False
    assert c.cas(key + "-no", b"3", cas) is None
    assert c.get(key) == b"2"
    many = c.gets_many([key, key + "-no"])
    assert list(many) == [key] and many[key][0] == b"2"


def test_delete(c, key):
    c.set(key, b"1")
    assert c.delete(key, noreply=False) is True
    assert c.delete(key, noreply=False) is False
    c.set_many({key + "-a": b"1", key + "-b": b"2"})
    assert c.delete_many([key + "-a", key + "-b"]) is True
    assert c.get_many([key + "-a", key + "-b"]) == {}


def test_incr_decr(c, key):
    assert c.incr(key, 1) is None
    c.set(key, b"10")
    assert c.incr(key, 5) == 15
    assert c.decr(key, 20) == 0
    c.set(key, b"18446744073709551615")
    assert c.incr(key, 2) == 1
    c.set(key, b"text")
    with pytest.raises(MemcacheClientError):
        c.incr(key, 1)


def test_touch(c, key):
    c.set(key, b"1")
    assert c.touch(key, 100, noreply=False) is True
    assert c.touch(key + "-no", 100, noreply=False) is False
    assert c.get(key) == b"1"


class FlagSerde:
    """Stores the flags next to the value so the test can see them round trip."""

    def serialize(self, key, value):
        return value[1], value[0]

    def deserialize(self, key, value, flags):
        return flags, value


def test_flags(server, key):
    cl = server.client(serde=FlagSerde())
    try:
        for flags in (0, 1, 123, 2**32 - 1):
            assert cl.set(key, (flags, b"x%d" % flags)) is True
            assert cl.get(key) == (flags, b"x%d" % flags)
    finally:
        cl.close()


def test_version_stats(c):
    v = c.version()
    assert v and not v.startswith(b"VERSION")
    st = c.stats()
    for f in (b"pid", b"curr_items", b"cmd_get", b"version"):
        assert f in st
    assert st[b"version"] == v
    settings = c.stats("settings")
    assert b"maxbytes" in settings


def test_flush_all(server, key):
    with server.spawn() as other:
        cl = other.client()
        try:
            cl.set_many({f"{key}-{i}": b"v" for i in range(10)})
            assert cl.flush_all(noreply=False) is True
            assert cl.get_many([f"{key}-{i}" for i in range(10)]) == {}
        finally:
            cl.close()


def test_binary_values(c, key):
    assert c.set(key, BIN)
    assert c.get(key) == BIN
    assert c.get_many([key]) == {key: BIN}


def test_large_value_near_limit(c, key):
    big = bytes(range(256)) * ((1024 * 1024 - 4096) // 256)
    assert c.set(key, big) is True
    assert c.get(key) == big
    with pytest.raises(MemcacheServerError):
        c.set(key + "-big", b"x" * (1024 * 1024 + 1))
    assert c.get(key) == big


def test_many_keys(c, key):
    data = {f"{key}-{i}": (b"%d" % i) * (i % 50 + 1) for i in range(1000)}
    assert c.set_many(data) == []
    assert c.get_many(list(data)) == data


def test_noreply(server, key):
    cl = server.client(default_noreply=True)
    try:
        assert cl.set(key, b"1") is True
        assert cl.add(key, b"2") is True  # noreply: the client cannot know
        cl.incr(key, 4)
        cl.append(key, b"0")
        assert cl.get(key) == b"50"
        cl.delete(key)
        assert cl.get(key) is None
    finally:
        cl.close()


def test_unicode_key_rejected_by_client_not_server(c, key):
    with pytest.raises(MemcacheClientError):
        c.set(key + " space", b"x")
    assert c.set(key, "ü".encode()) is True
    assert c.get(key) == "ü".encode()
