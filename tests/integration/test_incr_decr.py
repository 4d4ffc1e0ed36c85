"""incr / decr: arithmetic, wrap, floor at zero, errors."""

from helpers import call, hit, store


def get(sock, key):
    return call(sock, b"get %s\r\n" % key.encode())


def test_incr_decr_basic(sock, key):
    k = key.encode()
    store(sock, key, b"10")
    assert call(sock, b"incr %s 5\r\n" % k) == b"15\r\n"
    assert call(sock, b"decr %s 3\r\n" % k) == b"12\r\n"
    assert get(sock, key) == hit(key, b"12")


def test_incr_grows_length(sock, key):
    store(sock, key, b"9")
    assert call(sock, b"incr %s 1\r\n" % key.encode()) == b"10\r\n"
    assert get(sock, key) == hit(key, b"10")


def test_decr_shrinking_value_reads_back_as_number(sock, key):
    store(sock, key, b"100")
    assert call(sock, b"decr %s 1\r\n" % key.encode()) == b"99\r\n"
    # memcached may space-pad the shortened number in place (protocol.txt allows it)
    line, data, end = get(sock, key).split(b"\r\n", 2)
    assert line.split()[:3] == [b"VALUE", key.encode(), b"0"]
    assert data.rstrip(b" ") == b"99"
    assert end == b"END\r\n"


def test_missing_key(sock, key):
    assert call(sock, b"incr %s 1\r\n" % key.encode()) == b"NOT_FOUND\r\n"
    assert call(sock, b"decr %s 1\r\n" % key.encode()) == b"NOT_FOUND\r\n"


def test_incr_wraps_at_2_64(sock, key):
    store(sock, key, b"18446744073709551615")
    assert call(sock, b"incr %s 1\r\n" % key.encode()) == b"0\r\n"
    store(sock, key, b"18446744073709551610")
    assert call(sock, b"incr %s 10\r\n" % key.encode()) == b"4\r\n"


def test_decr_floors_at_zero(sock, key):
    store(sock, key, b"5")
    assert call(sock, b"decr %s 10\r\n" % key.encode()) == b"0\r\n"
    assert call(sock, b"decr %s 1\r\n" % key.encode()) == b"0\r\n"


def test_largest_delta(sock, key):
    store(sock, key, b"0")
    assert call(sock, b"incr %s 18446744073709551615\r\n" % key.encode()) == b"18446744073709551615\r\n"


def test_non_numeric_value(sock, key):
    for v in (b"abc", b"-1", b"1a"):
        store(sock, key, v)
        assert call(sock, b"incr %s 1\r\n" % key.encode()) == (
            b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n")
        assert get(sock, key) == hit(key, v)


def test_invalid_delta(sock, key):
    store(sock, key, b"1")
    for delta in (b"-1", b"abc", b"18446744073709551616"):
        assert call(sock, b"incr %s %s\r\n" % (key.encode(), delta)) == (
            b"CLIENT_ERROR invalid numeric delta argument\r\n")
    assert get(sock, key) == hit(key, b"1")


def test_incr_keeps_flags(sock, key):
    store(sock, key, b"1", flags=42)
    assert call(sock, b"incr %s 1\r\n" % key.encode()) == b"2\r\n"
    assert get(sock, key) == hit(key, b"2", flags=42)


def test_noreply(sock, key):
    k = key.encode()
    store(sock, key, b"17")
    sock.sendall(b"incr %s 3 noreply\r\ndecr %s 1 noreply\r\n" % (k, k))
    assert get(sock, key) == hit(key, b"19")


def test_incr_changes_cas(sock, key):
    k = key.encode()
    store(sock, key, b"1")
    c1 = call(sock, b"gets %s\r\n" % k).split(b"\r\n")[0].split()[4]
    call(sock, b"incr %s 1\r\n" % k)
    c2 = call(sock, b"gets %s\r\n" % k).split(b"\r\n")[0].split()[4]
    assert c1 != c2
