"""Limits: key length, item size (-I), memory (-m) with eviction, connections (-c)."""

import time

from helpers import call, hit, is_closed, stats, store

TOO_LARGE = b"SERVER_ERROR object too large for cache\r\n"
TOO_MANY = b"ERROR Too many open connections\r\n"


def test_key_250_ok_251_rejected(sock):
    k250 = b"k" * 250
    k251 = b"k" * 251
    store(sock, k250, b"v")
    assert call(sock, b"get %s\r\n" % k250) == hit(k250, b"v")
    assert call(sock, b"get %s\r\n" % k251) == b"CLIENT_ERROR bad command line format\r\n"
    # the command line is rejected before the length is read, so the data line is a command
    got = call(sock, b"set %s 0 0 1\r\nx\r\n" % k251, until=b"\r\n", count=2)
    assert got == b"CLIENT_ERROR bad command line format\r\nERROR\r\n"
    assert call(sock, b"get %s\r\n" % k250) == hit(k250, b"v")
    assert call(sock, b"get %s\r\n" % k251[:-1]) == hit(k250, b"v")


def test_key_too_long_in_multiget(sock):
    got = call(sock, b"get a %s b\r\n" % (b"k" * 251))
    assert got.endswith(b"CLIENT_ERROR bad command line format\r\n"), got


def _check_size_limit(sock, key, limit):
    k = key.encode()
    fits = b"f" * (limit - 2048)
    store(sock, key, fits)
    assert call(sock, b"get %s\r\n" % k, timeout=10) == hit(key, fits)
    for size in (limit, limit + 1):
        # a value of exactly the limit cannot fit with its header either; the data is swallowed
        got = call(sock, b"set %s 0 0 %d\r\n%s\r\n" % (k, size, b"o" * size), timeout=10)
        assert got == TOO_LARGE, (size, got)
        assert call(sock, b"get %s\r\n" % k, timeout=10) == b"END\r\n", \
            "a failed set removes the old item (memcached semantics)"
        store(sock, key, fits)
    assert call(sock, b"version\r\n").startswith(b"VERSION ")


def test_item_size_default_1m(sock, key):
    _check_size_limit(sock, key, 1024 * 1024)


def test_item_size_flag_2m(server, key):
    with server.spawn("-I", "2m") as other:
        s = other.connect()
        try:
            assert int(stats(s, b"settings")["item_size_max"]) == 2 * 1024 * 1024
            _check_size_limit(s, key, 2 * 1024 * 1024)
            store(s, key + "-1m", b"x" * (1024 * 1024 + 10))  # over the default, under 2m
        finally:
            s.close()


def test_too_large_swallows_pipelined_data(sock, key):
    size = 2 * 1024 * 1024
    got = call(sock, b"set %s 0 0 %d\r\n%s\r\nget %s\r\n" % (key.encode(), size, b"x" * size,
                                                          key.encode()), until=b"END\r\n")
    assert got == TOO_LARGE + b"END\r\n"


def test_small_memory_evicts_oldest(server, key):
    value = b"e" * (100 * 1024)
    n = 160  # ~16 MB into -m 8
    with server.spawn("-m", "8") as other:
        s = other.connect()
        try:
            for i in range(n):
                store(s, f"{key}-{i}", value)
            st = stats(s)
            assert int(st["evictions"]) > 0
            assert int(st["limit_maxbytes"]) == 8 * 1024 * 1024
            assert int(st["bytes"]) <= 8 * 1024 * 1024
            for i in range(10):  # the oldest went
                assert call(s, b"get %s-%d\r\n" % (key.encode(), i)) == b"END\r\n", i
            for i in range(n - 10, n):  # the newest stayed
                assert call(s, b"get %s-%d\r\n" % (key.encode(), i)) == \
                    hit(f"{key}-{i}", value), i
            assert call(s, b"version\r\n").startswith(b"VERSION ")
        finally:
            s.close()


def test_max_connections(server, key):
    """memcached sets RLIMIT_NOFILE to -c and reserves fds for itself (listeners, threads'
    pipes, stdio: 'reserved_fds' in stats), so it accepts fewer than -c clients; with -c 40
    it accepts 16. The next client gets TOO_MANY and is closed; the others keep working.
    Expectation for both: between 1 and N clients are accepted, every later one is refused
    that way, and a slot freed by a closing client is reused."""
    limit = 40
    with server.spawn("-c", str(limit)) as other:
        accepted, refused = [], []
        try:
            for i in range(limit + 5):
                s = other.connect()
                got = call(s, b"version\r\n")
                closed = not got.startswith(b"VERSION ") and is_closed(s)
                if got.startswith(b"VERSION "):
                    assert not refused, f"client {i} accepted after a refusal"
                    accepted.append(s)
                else:
                    assert got == TOO_MANY, (i, got)
                    assert closed, f"refused client {i} left open"
                    refused.append(s)
            assert 1 <= len(accepted) <= limit
            assert refused, "no client was refused"
            for i, s in enumerate(accepted):
                store(s, f"{key}-{i}", b"%d" % i)
                assert call(s, b"get %s-%d\r\n" % (key.encode(), i)) == hit(f"{key}-{i}", b"%d" % i)
            assert int(stats(accepted[0], b"settings")["maxconns"]) == limit
            accepted.pop().close()
            ok = False
            for _ in range(50):  # the server notices the close asynchronously
                s = other.connect()
                got = call(s, b"version\r\n")
                if got.startswith(b"VERSION "):
                    accepted.append(s)
                    ok = True
                    break
                assert got == TOO_MANY, got
                s.close()
                time.sleep(0.05)
            assert ok, "a freed connection slot was not reused"
        finally:
            for s in accepted + refused:
                s.close()
