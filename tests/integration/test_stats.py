"""stats / stats settings: memcached's field names, and the counters move as they should."""

import os
import time

import pytest

from helpers import call, stats, store

GENERAL = ("pid uptime time version curr_connections total_connections cmd_get cmd_set "
           "get_hits get_misses curr_items total_items bytes limit_maxbytes threads "
           "evictions").split()
SETTINGS = ("maxbytes", "maxconns", "tcpport", "item_size_max", "num_threads")


def test_general_fields_present(sock):
    st = stats(sock)
    missing = [f for f in GENERAL if f not in st]
    assert not missing, f"missing stats: {missing}"
    for f in GENERAL:
        if f != "version":
            assert st[f].replace(".", "", 1).isdigit(), (f, st[f])


def test_stats_reply_format(sock):
    raw = call(sock, b"stats\r\n")
    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and lines[-2] == b"END"
    for line in lines[:-2]:
        parts = line.split(b" ")
        assert parts[0] == b"STAT" and len(parts) >= 3, line


def test_identity_fields(server, sock):
    st = stats(sock)
    if server.pid is not None:
        assert int(st["pid"]) == server.pid
    assert abs(int(st["time"]) - time.time()) <= 2
    assert 0 <= int(st["uptime"]) < 3600
    version = call(sock, b"version\r\n")
    assert version == b"VERSION %s\r\n" % st["version"].encode()


def test_get_counters_move(sock, key):
    k = key.encode()
    store(sock, key, b"v")
    before = stats(sock)
    call(sock, b"get %s %s-miss1 %s-miss2\r\n" % (k, k, k))
    call(sock, b"get %s\r\n" % k)
    after = stats(sock)
    assert int(after["cmd_get"]) - int(before["cmd_get"]) == 4
    assert int(after["get_hits"]) - int(before["get_hits"]) == 2
    assert int(after["get_misses"]) - int(before["get_misses"]) == 2


def test_set_counters_move(sock, key):
    before = stats(sock)
    for i in range(5):
        store(sock, f"{key}-{i}", b"x" * 100)
    store(sock, f"{key}-0", b"y" * 100)
    after = stats(sock)
    assert int(after["cmd_set"]) - int(before["cmd_set"]) == 6
    assert int(after["total_items"]) - int(before["total_items"]) == 6
    assert int(after["curr_items"]) - int(before["curr_items"]) == 5
    assert int(after["bytes"]) - int(before["bytes"]) >= 5 * 100


def test_delete_lowers_curr_items(sock, key):
    store(sock, key, b"x")
    before = stats(sock)
    assert call(sock, b"delete %s\r\n" % key.encode()) == b"DELETED\r\n"
    after = stats(sock)
    assert int(after["curr_items"]) == int(before["curr_items"]) - 1
    assert int(after["bytes"]) < int(before["bytes"])


def _settled(sock):
    """stats once curr_connections stops moving: closes from earlier tests are noticed
    asynchronously, by memcached and corecached alike."""
    last = stats(sock)
    for _ in range(50):
        time.sleep(0.02)
        now = stats(sock)
        if now["curr_connections"] == last["curr_connections"]:
            return now
        last = now
    return last


def test_connection_counters_move(server, sock):
    before = _settled(sock)
    extra = [server.connect() for _ in range(3)]
    try:
        for s in extra:  # each one is accepted and served before we look
            assert call(s, b"version\r\n").startswith(b"VERSION ")
        mid = stats(sock)
        assert int(mid["curr_connections"]) - int(before["curr_connections"]) == 3
        assert int(mid["total_connections"]) - int(before["total_connections"]) == 3
    finally:
        for s in extra:
            s.close()
    for _ in range(100):  # closes are noticed asynchronously
        after = stats(sock)
        if int(after["curr_connections"]) == int(before["curr_connections"]):
            break
        time.sleep(0.02)
    assert int(after["curr_connections"]) == int(before["curr_connections"])


def test_defaults(server, sock):
    if server.pid is None:
        pytest.skip("external server: flags unknown")
    st = stats(sock)
    assert int(st["limit_maxbytes"]) == 64 * 1024 * 1024
    assert int(st["threads"]) == 4
    assert int(st["evictions"]) == 0


def test_settings_fields(server, sock):
    st = stats(sock, b"settings")
    missing = [f for f in SETTINGS if f not in st]
    assert not missing, f"missing settings: {missing}"
    # memcached reports the configured value (-1 when started with -p -1), not the bound port
    assert int(st["tcpport"]) in (-1, server.port)
    if server.pid is not None:
        assert int(st["maxbytes"]) == 64 * 1024 * 1024
        assert int(st["maxconns"]) == 1024
        assert int(st["item_size_max"]) == 1024 * 1024
        assert int(st["num_threads"]) == 4


def test_settings_follow_flags(server):
    with server.spawn("-m", "8", "-c", "100", "-t", "2", "-I", "2m") as other:
        s = other.connect()
        try:
            st = stats(s, b"settings")
            assert int(st["maxbytes"]) == 8 * 1024 * 1024
            assert int(st["maxconns"]) == 100
            assert int(st["num_threads"]) == 2
            assert int(st["item_size_max"]) == 2 * 1024 * 1024
            assert int(st["tcpport"]) in (-1, other.port)
            gen = stats(s)
            assert int(gen["limit_maxbytes"]) == 8 * 1024 * 1024
            assert int(gen["threads"]) == 2
            assert int(gen["pid"]) == other.pid != os.getpid()
        finally:
            s.close()
