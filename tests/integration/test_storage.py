"""Storage commands: set, add, replace, append, prepend, delete (byte-exact, raw sockets)."""

from helpers import call, hit, store


def test_set_then_get(sock, key):
    store(sock, key, b"hello")
    assert call(sock, b"get %s\r\n" % key.encode()) == hit(key, b"hello")


def test_set_overwrites(sock, key):
    store(sock, key, b"one")
    store(sock, key, b"second", flags=7)
    assert call(sock, b"get %s\r\n" % key.encode()) == hit(key, b"second", flags=7)


def test_flags_round_trip(sock, key):
    for flags in (0, 1, 65535, 4294967295):
        store(sock, key, b"v", flags=flags)
        assert call(sock, b"get %s\r\n" % key.encode()) == hit(key, b"v", flags=flags)


def test_empty_value(sock, key):
    store(sock, key, b"")
    assert call(sock, b"get %s\r\n" % key.encode()) == b"VALUE %s 0 0\r\n\r\nEND\r\n" % key.encode()


def test_binary_value_with_crlf_inside(sock, key):
    value = bytes(range(256)) + b"\r\nEND\r\n" + b"\x00" * 10
    store(sock, key, value)
    got = call(sock, b"get %s\r\n" % key.encode(), until=b"\r\nEND\r\n", count=2)
    assert got == hit(key, value)


def test_add_only_when_missing(sock, key):
    store(sock, key, b"first", cmd=b"add")
    store(sock, key, b"again", cmd=b"add", expect=b"NOT_STORED\r\n")
    assert call(sock, b"get %s\r\n" % key.encode()) == hit(key, b"first")


def test_replace_only_when_present(sock, key):
    store(sock, key, b"x", cmd=b"replace", expect=b"NOT_STORED\r\n")
    assert call(sock, b"get %s\r\n" % key.encode()) == b"END\r\n"
    store(sock, key, b"x")
    store(sock, key, b"y", cmd=b"replace", flags=3)
    assert call(sock, b"get %s\r\n" % key.encode()) == hit(key, b"y", flags=3)


def test_append_prepend(sock, key):
    store(sock, key, b"mid", flags=5)
    store(sock, key, b"-end", cmd=b"append", flags=9)
    store(sock, key, b"start-", cmd=b"prepend", flags=9)
    # append/prepend ignore the flags given and keep the item's own
    assert call(sock, b"get %s\r\n" % key.encode()) == hit(key, b"start-mid-end", flags=5)


def test_append_prepend_missing_key(sock, key):
    store(sock, key, b"x", cmd=b"append", expect=b"NOT_STORED\r\n")
    store(sock, key, b"x", cmd=b"prepend", expect=b"NOT_STORED\r\n")
    assert call(sock, b"get %s\r\n" % key.encode()) == b"END\r\n"


def test_delete(sock, key):
    k = key.encode()
    store(sock, key, b"x")
    assert call(sock, b"delete %s\r\n" % k) == b"DELETED\r\n"
    assert call(sock, b"delete %s\r\n" % k) == b"NOT_FOUND\r\n"
    assert call(sock, b"get %s\r\n" % k) == b"END\r\n"


def test_delete_legacy_zero_time(sock, key):
    k = key.encode()
    store(sock, key, b"x")
    assert call(sock, b"delete %s 0\r\n" % k) == b"DELETED\r\n"
    assert call(sock, b"delete %s 1\r\n" % k) == (
        b"CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n")


def test_noreply_storage(sock, key):
    k = key.encode()
    sock.sendall(b"set %s 1 0 1 noreply\r\na\r\n" % k
                 + b"append %s 0 0 1 noreply\r\nb\r\n" % k
                 + b"prepend %s 0 0 1 noreply\r\nc\r\n" % k
                 + b"add %s 0 0 1 noreply\r\nz\r\n" % k
                 + b"replace %s-missing 0 0 1 noreply\r\nz\r\n" % k)
    assert call(sock, b"get %s\r\n" % k) == hit(key, b"cab", flags=1)
    sock.sendall(b"delete %s noreply\r\n" % k)
    assert call(sock, b"get %s\r\n" % k) == b"END\r\n"


def test_bad_data_chunk_keeps_old_value(sock, key):
    k = key.encode()
    store(sock, key, b"old")
    got = call(sock, b"set %s 0 0 1\r\nxyz\r\n" % k, until=b"\r\n", count=2)
    assert got == b"CLIENT_ERROR bad data chunk\r\nERROR\r\n"
    assert call(sock, b"get %s\r\n" % k) == hit(key, b"old")


def test_binary_key_bytes_allowed(sock, key):
    k = key.encode() + b"\xc3\xa9\x7f"
    store(sock, k, b"v")
    assert call(sock, b"get %s\r\n" % k) == hit(k, b"v")
