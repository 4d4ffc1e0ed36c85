"""pylibmc (libmemcached) in binary-protocol mode: the behaviours clients actually use (issue #3)."""

import pylibmc
import pytest


@pytest.fixture
def bmc(server):
    c = pylibmc.Client([f"{server.host}:{server.port}"], binary=True,
                       behaviors={"tcp_nodelay": True, "cas": True})
    yield c
    c.disconnect_all()


def test_set_get_delete(bmc, key):
    assert bmc.set(key, b"value\x00\xff")
    assert bmc.get(key) == b"value\x00\xff"
    assert bmc.delete(key)
    assert bmc.get(key) is None
    assert not bmc.delete(key)


def test_add_replace(bmc, key):
    assert bmc.add(key, "first")
    assert not bmc.add(key, "second")
    assert bmc.get(key) == "first"
    assert bmc.replace(key, "third")
    assert bmc.get(key) == "third"
    with pytest.raises(pylibmc.NotFound):  # binary mode reports the status, not False
        bmc.replace(key + "-missing", "x")


def test_append_prepend(bmc, key):
    bmc.set(key, "mid")
    assert bmc.append(key, ">")
    assert bmc.prepend(key, "<")
    assert bmc.get(key) == "<mid>"
    assert not bmc.append(key + "-missing", "x")


def test_cas(bmc, key):
    bmc.set(key, "v1")
    value, cas = bmc.gets(key)
    assert value == "v1" and cas > 0
    assert bmc.cas(key, "v2", cas)
    assert not bmc.cas(key, "v3", cas)  # stale CAS
    assert bmc.get(key) == "v2"


def test_incr_decr(bmc, key):
    bmc.set(key, "10")
    assert bmc.incr(key, 5) == 15
    assert bmc.decr(key, 20) == 0  # floors at 0
    with pytest.raises(pylibmc.NotFound):
        bmc.incr(key + "-missing", 1)


def test_multi_get_100_keys(bmc, key):
    keys = [f"{key}-{i}" for i in range(100)]
    assert bmc.set_multi({k: f"v{i}" for i, k in enumerate(keys)}) == []
    got = bmc.get_multi(keys + [key + "-absent"])
    assert got == {k: f"v{i}" for i, k in enumerate(keys)}


def test_touch_and_flush(bmc, key):
    bmc.set(key, "x")
    assert bmc.touch(key, 100)
    assert bmc.get(key) == "x"
    assert bmc.flush_all()
    assert bmc.get(key) is None


def test_many_sets_then_one_multi_get(bmc, key):
    # libmemcached pipelines binary GetKQ requests ended by a Noop for get_multi
    for i in range(200):
        bmc.set(f"{key}-{i}", str(i))
    got = bmc.get_multi([f"{key}-{i}" for i in range(200)])
    assert got == {f"{key}-{i}": str(i) for i in range(200)}


def test_stats_and_version(bmc):
    stats = bmc.get_stats()
    assert len(stats) == 1
    _, fields = stats[0]
    assert int(fields["pid"]) > 0
    assert "curr_items" in fields
