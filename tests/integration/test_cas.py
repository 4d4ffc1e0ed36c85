"""cas / gets: compare-and-swap semantics."""

import threading

from helpers import call, hit, store


def cas_of(sock, k):
    line = call(sock, b"gets %s\r\n" % k.encode()).split(b"\r\n")[0]
    assert line.startswith(b"VALUE "), line
    return int(line.split()[4])


def test_cas_missing_key(sock, key):
    assert call(sock, b"cas %s 0 0 1 1\r\nx\r\n" % key.encode()) == b"NOT_FOUND\r\n"
    assert call(sock, b"get %s\r\n" % key.encode()) == b"END\r\n"


def test_cas_success_then_exists(sock, key):
    k = key.encode()
    store(sock, key, b"a")
    c = cas_of(sock, key)
    assert call(sock, b"cas %s 3 0 1 %d\r\nb\r\n" % (k, c)) == b"STORED\r\n"
    assert call(sock, b"get %s\r\n" % k) == hit(key, b"b", 3)
    assert call(sock, b"cas %s 0 0 1 %d\r\nc\r\n" % (k, c)) == b"EXISTS\r\n"
    assert call(sock, b"get %s\r\n" % k) == hit(key, b"b", 3)
    assert cas_of(sock, key) != c


def test_cas_after_other_write(sock, key):
    k = key.encode()
    store(sock, key, b"a")
    c = cas_of(sock, key)
    store(sock, key, b"z")
    assert call(sock, b"cas %s 0 0 1 %d\r\nb\r\n" % (k, c)) == b"EXISTS\r\n"
    assert call(sock, b"get %s\r\n" % k) == hit(key, b"z")


def test_cas_after_delete(sock, key):
    k = key.encode()
    store(sock, key, b"a")
    c = cas_of(sock, key)
    assert call(sock, b"delete %s\r\n" % k) == b"DELETED\r\n"
    assert call(sock, b"cas %s 0 0 1 %d\r\nb\r\n" % (k, c)) == b"NOT_FOUND\r\n"


def test_cas_noreply(sock, key):
    k = key.encode()
    store(sock, key, b"a")
    c = cas_of(sock, key)
    sock.sendall(b"cas %s 0 0 2 %d noreply\r\nbb\r\n" % (k, c))
    assert call(sock, b"get %s\r\n" % k) == hit(key, b"bb")


def test_cas_bad_unique(sock, key):
    k = key.encode()
    store(sock, key, b"a")
    got = call(sock, b"cas %s 0 0 1 abc\r\nx\r\n" % k, until=b"\r\n", count=2)
    assert got == b"CLIENT_ERROR bad command line format\r\nERROR\r\n"
    assert call(sock, b"cas %s 0 0 1\r\n" % k) == b"ERROR\r\n"
    assert call(sock, b"get %s\r\n" % k) == hit(key, b"a")


def test_cas_unique_differs_between_keys(sock, key):
    store(sock, key + "-1", b"a")
    store(sock, key + "-2", b"a")
    assert cas_of(sock, key + "-1") != cas_of(sock, key + "-2")


def test_cas_contention_one_winner(server, key):
    """Several clients cas the same version: exactly one wins, the others get EXISTS."""
    socks = [server.connect() for _ in range(6)]
    try:
        store(socks[0], key, b"0")
        c = cas_of(socks[0], key)
        results = [None] * len(socks)
        barrier = threading.Barrier(len(socks), timeout=10)

        def run(i):
            barrier.wait()
            results[i] = call(socks[i], b"cas %s 0 0 1 %d\r\n%d\r\n" % (key.encode(), c, i))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(socks))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=15)
        assert sorted(results) == [b"EXISTS\r\n"] * (len(socks) - 1) + [b"STORED\r\n"]
        winner = results.index(b"STORED\r\n")
        assert call(socks[0], b"get %s\r\n" % key.encode()) == hit(key, b"%d" % winner)
    finally:
        for s in socks:
            s.close()
