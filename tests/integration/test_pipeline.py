"""Pipelining: many commands in one send, replies in order, split at any byte."""

import threading

from helpers import call, hit, store, value_reply


def test_hundred_sets_one_send(sock, key):
    k = key.encode()
    data = b"".join(b"set %s-%d 0 0 %d\r\n%d\r\n" % (k, i, len(b"%d" % i), i) for i in range(100))
    assert call(sock, data, until=b"\r\n", count=100) == b"STORED\r\n" * 100
    got = call(sock, b"".join(b"get %s-%d\r\n" % (k, i) for i in range(100)),
               until=b"END\r\n", count=100)
    assert got == b"".join(hit(f"{key}-{i}", b"%d" % i) for i in range(100))


def test_mixed_commands_in_order(sock, key):
    k = key.encode()
    data = (b"set %s 0 0 1\r\n1\r\n" % k
            + b"get %s\r\n" % k
            + b"incr %s 41\r\n" % k
            + b"gets %s-missing\r\n" % k
            + b"append %s 0 0 1\r\n0\r\n" % k
            + b"get %s\r\n" % k
            + b"bogus\r\n"
            + b"delete %s\r\n" % k
            + b"get %s\r\n" % k
            + b"delete %s\r\n" % k)
    expected = (b"STORED\r\n" + hit(key, b"1") + b"42\r\n" + b"END\r\n" + b"STORED\r\n"
                + hit(key, b"420") + b"ERROR\r\n" + b"DELETED\r\n" + b"END\r\n"
                + b"NOT_FOUND\r\n")
    assert call(sock, data, until=lambda b: len(b) >= len(expected)) == expected


def test_multiget_100_keys(sock, key):
    keys = [f"{key}-{i:03d}" for i in range(100)]
    for i, k in enumerate(keys):
        store(sock, k, b"val%d" % i, flags=i)
    req = b"get " + " ".join(keys).encode() + b"\r\n"
    expected = b"".join(value_reply(k, b"val%d" % i, i) for i, k in enumerate(keys)) + b"END\r\n"
    assert call(sock, req) == expected
    # the same multi-get pipelined five times in one send
    assert call(sock, req * 5, until=b"END\r\n", count=5) == expected * 5


def test_pipeline_split_at_every_size(server, key):
    k = key.encode()
    data = (b"set %s 5 0 3\r\nabc\r\nget %s\r\nappend %s 0 0 2\r\nde\r\ngets %s-x\r\n"
            b"get %s %s\r\ndelete %s\r\n" % (k, k, k, k, k, k, k))
    expected = (b"STORED\r\n" + hit(key, b"abc", 5) + b"STORED\r\nEND\r\n"
                + value_reply(key, b"abcde", 5) * 2 + b"END\r\nDELETED\r\n")
    for size in (1, 2, 5, 10, 100):
        s = server.connect()
        try:
            for off in range(0, len(data), size):
                s.sendall(data[off:off + size])
            assert call(s, b"", until=lambda b: len(b) >= len(expected)) == expected, size
        finally:
            s.close()


def test_large_pipeline_while_reading(sock, key):
    """More reply bytes than socket buffers hold: the server must not deadlock or drop."""
    value = b"p" * 1024
    store(sock, key, value)
    n = 4000
    req = b"get %s\r\n" % key.encode()
    expected = hit(key, value) * n
    errors = []

    def send():
        try:
            for i in range(0, n, 100):
                sock.sendall(req * 100)
        except OSError as e:  # pragma: no cover - shows up as a short reply
            errors.append(e)

    t = threading.Thread(target=send)
    t.start()
    got = call(sock, b"", until=lambda b: len(b) >= len(expected), timeout=30)
    t.join(timeout=30)
    assert not errors
    assert len(got) == len(expected) and got == expected


def test_noreply_pipeline(sock, key):
    k = key.encode()
    data = b"".join(b"set %s-%d 0 0 1 noreply\r\n%d\r\n" % (k, i, i % 10) for i in range(50))
    data += b"incr %s-7 3 noreply\r\ndelete %s-8 noreply\r\n" % (k, k)
    data += b"get %s-7 %s-8 %s-9\r\n" % (k, k, k)
    assert call(sock, data) == (value_reply(f"{key}-7", b"10") + value_reply(f"{key}-9", b"9")
                                + b"END\r\n")
