"""pylibmc (libmemcached), text protocol, tcp_nodelay: every command the client exposes."""

import pylibmc
import pytest

BIN = bytes(range(256)) * 4 + b"\xff\xfe\x00\r\n\x80"


def make(server, **behaviors):
    b = {"tcp_nodelay": True}
    b.update(behaviors)
    return pylibmc.Client([f"{server.host}:{server.port}"], binary=False, behaviors=b)


@pytest.fixture
def c(server):
    cl = make(server)
    yield cl
    cl.disconnect_all()


def test_set_get(c, key):
    assert c.set(key, b"v") is True
    assert c.get(key) == b"v"
    assert c.get(key + "-missing") is None


def test_python_objects_use_flags(c, key):
    # pylibmc stores ints, str and pickles under distinct flags; reading back proves flags survive
    for v in (42, "text ü", {"a": [1, 2]}, b"raw", 2**70, True):
        c.set(key, v)
        assert c.get(key) == v


def test_get_set_multi(c, key):
    data = {f"{key}-{i}": b"%d" % i for i in range(50)}
    assert c.set_multi(data) == []
    got = c.get_multi(list(data) + [key + "-none"])
    assert got == data


def test_add_replace(c, key):
    assert c.add(key, b"a") is True
    assert c.add(key, b"b") is False
    assert c.replace(key, b"c") is True
    assert c.replace(key + "-no", b"c") is False
    assert c.get(key) == b"c"


def test_add_multi(c, key):
    c.set(key + "-0", b"x")
    failed = c.add_multi({key + "-0": b"y", key + "-1": b"y"})
    assert failed == [key + "-0"]
    assert c.get_multi([key + "-0", key + "-1"]) == {key + "-0": b"x", key + "-1": b"y"}


def test_append_prepend(c, key):
    assert c.append(key, b"x") is False
    c.set(key, b"mid")
    assert c.append(key, b">") is True
    assert c.prepend(key, b"<") is True
    assert c.get(key) == b"<mid>"


def test_gets_cas(server, key):
    cl = make(server, cas=True)
    try:
        cl.set(key, b"1")
        v, cas = cl.gets(key)
        assert v == b"1" and cas > 0
        assert cl.cas(key, b"2", cas) is True
        assert cl.cas(key, b"3", cas) is False
        assert cl.get(key) == b"2"
        assert cl.gets(key + "-none") == (None, None)
    finally:
        cl.disconnect_all()


def test_delete(c, key):
    c.set(key, b"1")
    assert c.delete(key) is True
    assert c.delete(key) is False
    c.set_multi({key + "-a": b"1", key + "-b": b"2"})
    assert c.delete_multi([key + "-a", key + "-b"]) is True
    assert c.get_multi([key + "-a", key + "-b"]) == {}


def test_incr_decr(c, key):
    with pytest.raises(pylibmc.NotFound):
        c.incr(key, 1)
    c.set(key, 10)
    assert c.incr(key, 5) == 15
    assert c.decr(key, 20) == 0
    c.set(key, b"18446744073709551615")
    assert c.incr(key) == 0
    c.set(key, b"text")
    with pytest.raises(pylibmc.Error):
        c.incr(key, 1)


def test_incr_multi(c, key):
    c.set_multi({key + "-a": 1, key + "-b": 2})
    c.incr_multi([key + "-a", key + "-b"], delta=10)
    assert c.get_multi([key + "-a", key + "-b"]) == {key + "-a": 11, key + "-b": 12}


def test_touch(c, key):
    c.set(key, b"1")
    assert c.touch(key, 100) is True
    assert c.touch(key + "-no", 100) is False
    assert c.get(key) == b"1"


def test_stats(c, server):
    st = c.get_stats()
    assert len(st) == 1
    name, fields = st[0]
    assert str(server.port) in (name.decode() if isinstance(name, bytes) else name)
    for f in ("pid", "curr_items", "cmd_get", "version", "limit_maxbytes"):
        assert f in fields


def test_flush_all(server, key):
    with server.spawn() as other:
        cl = make(other)
        try:
            cl.set_multi({f"{key}-{i}": b"v" for i in range(10)})
            assert cl.flush_all() is True
            assert cl.get_multi([f"{key}-{i}" for i in range(10)]) == {}
        finally:
            cl.disconnect_all()


def test_binary_values(c, key):
    assert c.set(key, BIN)
    assert c.get(key) == BIN


def test_large_value_near_limit(c, key):
    big = bytes(range(256)) * ((1024 * 1024 - 4096) // 256)
    assert c.set(key, big) is True
    assert c.get(key) == big
    with pytest.raises(pylibmc.Error):
        c.set(key + "-big", b"x" * (1024 * 1024 + 1))
    assert c.get(key) == big


def test_many_keys(c, key):
    data = {f"{key}-{i}": (b"%d" % i) * (i % 50 + 1) for i in range(1000)}
    assert c.set_multi(data) == []
    assert c.get_multi(list(data)) == data


def test_noreply(server, key):
    cl = make(server, _noreply=True)  # libmemcached sends "noreply" on storage commands
    check = make(server)
    try:
        for i in range(20):
            cl.set(f"{key}-{i}", b"%d" % i)
        cl.append(f"{key}-0", b"x")
        cl.delete(f"{key}-1")
        cl.incr(f"{key}-2", 5)
        assert cl.get(f"{key}-0") == b"0x"  # same connection: everything before is done
        expected = {f"{key}-{i}": b"%d" % i for i in range(3, 20)}
        expected[f"{key}-0"] = b"0x"
        expected[f"{key}-2"] = b"7"
        assert check.get_multi([f"{key}-{i}" for i in range(20)]) == expected
        check.disconnect_all()
    finally:
        cl.disconnect_all()


def test_clone_shares_server(c, key):
    c.set(key, b"shared")
    d = c.clone()
    assert d.get(key) == b"shared"
