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


def test_decr_and_incr_via_add(bmc, key):
    # pylibmc's incr has no initial value: clients add the initial value, then incr
    assert bmc.add(key, "0")
    assert bmc.incr(key, 7) == 7
    assert bmc.decr(key, 2) == 5
    assert not bmc.add(key, "0")  # already there: the incr applies to the stored number
    assert bmc.incr(key) == 6
    bmc.set(key + "-text", "abc")
    with pytest.raises(pylibmc.Error):  # "Non-numeric server-side value for incr or decr"
        bmc.incr(key + "-text", 1)


def _libmemcached():
    """libmemcached itself, for what pylibmc does not expose (increment with an initial value)."""
    ctypes = pytest.importorskip("ctypes")
    try:
        lib = ctypes.CDLL("libmemcached.so.11")
    except OSError:
        pytest.skip("libmemcached.so.11 not installed")
    lib.memcached.restype = ctypes.c_void_p
    lib.memcached.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.memcached_free.argtypes = [ctypes.c_void_p]
    lib.memcached_strerror.restype = ctypes.c_char_p
    lib.memcached_strerror.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.memcached_increment_with_initial.restype = ctypes.c_int
    lib.memcached_increment_with_initial.argtypes = [
        ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64, ctypes.c_uint64,
        ctypes.c_long, ctypes.POINTER(ctypes.c_uint64)]
    lib.memcached_decrement_with_initial.restype = ctypes.c_int
    lib.memcached_decrement_with_initial.argtypes = lib.memcached_increment_with_initial.argtypes
    return ctypes, lib


def test_incr_with_initial_value_via_libmemcached(server, bmc, key):
    ctypes, lib = _libmemcached()
    conf = (f"--SERVER={server.host}:{server.port} --BINARY-PROTOCOL --TCP-NODELAY "
            f"--CONNECT-TIMEOUT=5000 --POLL-TIMEOUT=5000").encode()
    mc = lib.memcached(conf, len(conf))
    assert mc, "libmemcached rejected the configuration"
    try:
        def incr(k, offset, initial, exptime=0, fn=lib.memcached_increment_with_initial):
            out = ctypes.c_uint64(0)
            kb = k.encode()
            rc = fn(mc, kb, len(kb), offset, initial, exptime, ctypes.byref(out))
            return lib.memcached_strerror(mc, rc).decode(), out.value

        assert incr(key, 5, 100) == ("SUCCESS", 100)  # missing: created with the initial value
        assert incr(key, 5, 100) == ("SUCCESS", 105)
        assert bmc.get(key) == b"105"  # created with flags 0: pylibmc returns bytes
        assert incr(key + "-d", 3, 10, fn=lib.memcached_decrement_with_initial) == ("SUCCESS", 10)
        assert incr(key + "-d", 3, 10, fn=lib.memcached_decrement_with_initial) == ("SUCCESS", 7)
        # expiration 0xffffffff: "do not create" (protocol_binary.xml, Increment)
        rc, _ = incr(key + "-nocreate", 1, 5, exptime=0xffffffff)
        assert rc == "NOT FOUND"
        assert bmc.get(key + "-nocreate") is None
    finally:
        lib.memcached_free(mc)


def test_noreply(server, bmc, key):
    quiet = pylibmc.Client([f"{server.host}:{server.port}"], binary=True,
                           behaviors={"tcp_nodelay": True, "_noreply": True})
    try:
        # binary noreply: libmemcached sends the Q opcodes (SetQ, AddQ, DeleteQ, IncrementQ)
        assert quiet.set(key, "1")
        assert quiet.set_multi({f"{key}-{i}": str(i) for i in range(20)}) == []
        quiet.add(key, "2")  # refused by the server: nothing to read back
        quiet.append(key, "0")
        quiet.incr(key, 5)
        quiet.delete(f"{key}-3")
        # a get is never quiet: its reply comes after the server has run every request above
        # (another connection could overtake them)
        assert quiet.get(key) == "15"  # "10" + 5, text flags kept
    finally:
        quiet.disconnect_all()
    assert bmc.get(key) == "15"
    got = bmc.get_multi([f"{key}-{i}" for i in range(20)])
    assert got == {f"{key}-{i}": str(i) for i in range(20) if i != 3}
