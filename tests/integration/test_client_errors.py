"""Clients keep their usual error types on corecached's refusals (issue #6).

`SERVER_ERROR busy, retry in N ms` is produced for real: the hot shard of a -t 2 server (two threads, one shard each) is
overloaded (as in test_backpressure.py) while pymemcache (no_delay=True) and pylibmc set keys of
that shard until one is refused.

`SERVER_ERROR out of memory storing object`: corecached sends it only when a write cannot be made
room for, and without the cold tier that is not reachable from a client: eviction frees any item
but the one being replaced, and an item that would not fit in an empty shard is refused as
`SERVER_ERROR object too large for cache` (src/shard/store.cc AllocateKey/MakeRoom). So the OOM case
is checked on the same bytes from Debian's memcached with -M (return errors instead of evicting),
which is what our clients see byte for byte (src/proto/replies.h kTextOutOfMemory); the test also
checks that corecached with a tiny -m keeps storing by evicting.
"""

import os
import socket
import time

import pytest

from helpers import SOCKET_TIMEOUT, call, store
from conftest import REFERENCE_BINARY, running_server
from test_backpressure import HAMMERS, Hammer, keys_of_shard, spawn_overloaded

BUSY_PREFIX = "busy, retry in "
OOM_TEXT = "out of memory storing object"


def until_refused(op, deadline):
    """Calls op() until it raises; returns the exception (None if the deadline passed first)."""
    for _ in range(1000000):
        if time.monotonic() >= deadline:
            return None
        try:
            op()
        except Exception as e:  # the caller checks the type
            return e
    return None


def with_hot_shard_overloaded(server, tmp_path, probe):
    """Runs probe(srv, key_of_shard_0, deadline) while 16 clients overload shard 0."""
    with spawn_overloaded(server, tmp_path, depth=1, delay_ms=0) as srv:
        hot = keys_of_shard(0, "hot", 8)
        deadline = time.monotonic() + 8.0
        hammers = [Hammer(srv, hot, deadline) for _ in range(HAMMERS)]
        for h in hammers:
            h.start()
        try:
            return probe(srv, hot[0], deadline)
        finally:
            for h in hammers:
                h.join(timeout=8.0 + 3 * SOCKET_TIMEOUT)


def test_pymemcache_raises_server_error_on_busy(server, tmp_path):
    from pymemcache.exceptions import MemcacheServerError

    def probe(srv, key, deadline):
        mc = srv.client()
        try:
            return until_refused(lambda: mc.set(key, b"v" * 100, noreply=False), deadline)
        finally:
            mc.close()

    err = with_hot_shard_overloaded(server, tmp_path, probe)
    assert err is not None, "pymemcache was never refused while shard 0 was overloaded"
    assert isinstance(err, MemcacheServerError), repr(err)
    text = err.args[0].decode() if isinstance(err.args[0], bytes) else str(err.args[0])
    assert text.startswith(BUSY_PREFIX) and text.endswith(" ms"), text


def test_pylibmc_raises_server_error_on_busy(server, tmp_path):
    pylibmc = pytest.importorskip("pylibmc")

    def probe(srv, key, deadline):
        mc = pylibmc.Client([f"{srv.host}:{srv.port}"],
                            behaviors={"connect_timeout": 5000, "receive_timeout": 5_000_000,
                                       "send_timeout": 5_000_000, "tcp_nodelay": True})
        try:
            return until_refused(lambda: mc.set(key, b"v" * 100), deadline)
        finally:
            mc.disconnect_all()

    err = with_hot_shard_overloaded(server, tmp_path, probe)
    assert err is not None, "pylibmc was never refused while shard 0 was overloaded"
    # libmemcached maps a SERVER_ERROR it does not know to MEMCACHED_SERVER_ERROR: ServerError.
    assert isinstance(err, pylibmc.ServerError), repr(err)


@pytest.fixture
def memcached_no_evict():
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"reference server {REFERENCE_BINARY} not installed")
    with running_server(REFERENCE_BINARY, "-m", "2", "-M") as s:
        yield s


def fill_until_oom(srv, value):
    with srv.connect() as s:
        for i in range(1000):
            got = store(s, f"fill{i}", value, expect=None)
            if got != b"STORED\r\n":
                return got
    return None


def test_clients_raise_their_usual_errors_on_out_of_memory(memcached_no_evict):
    from pymemcache.exceptions import MemcacheServerError
    pylibmc = pytest.importorskip("pylibmc")
    value = b"y" * 100000
    got = fill_until_oom(memcached_no_evict, value)
    assert got == b"SERVER_ERROR " + OOM_TEXT.encode() + b"\r\n"

    mc = memcached_no_evict.client()
    with pytest.raises(MemcacheServerError) as info:
        mc.set("one-more", value, noreply=False)
    mc.close()
    assert info.value.args[0] in (OOM_TEXT, OOM_TEXT.encode())

    lib = pylibmc.Client([f"{memcached_no_evict.host}:{memcached_no_evict.port}"],
                         behaviors={"connect_timeout": 5000})
    # MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE has no subclass in pylibmc: the base Error.
    with pytest.raises(pylibmc.Error):
        lib.set("one-more", value)
    lib.disconnect_all()


def test_tiny_memory_evicts_instead_of_out_of_memory(server):
    with server.spawn("-m", "2", "-t", "1") as srv:
        assert fill_until_oom(srv, b"y" * 100000) is None
        with srv.connect() as s:
            assert int(call(s, b"stats\r\n", until=b"END\r\n").split(b"STAT evictions ")[1]
                       .split(b"\r\n")[0]) > 0
