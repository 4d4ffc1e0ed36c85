"""Differential, binary protocol: raw request bytes against Debian's memcached and the server under
test (issue #3).

Each session goes over a fresh socket to both servers (after a text `flush_all` on another one),
followed by a Noop sentinel with its own opaque; replies are read until the sentinel's reply, the
peer closing, or a quiet period. The response packets must be equal byte for byte after
normalising only the CAS field (8 bytes at offset 16 of each header; 0 stays 0) and the Version
body, and both connections must be left in the same state (open or closed).
HALF_CLOSE_SESSIONS end with shutdown(SHUT_WR) instead of the sentinel. The sentinel is sent only
once the payload's replies have stopped coming (50 ms of quiet), so a server that closes on the
payload never has the sentinel unread in its buffer (a close would then be a reset, which can
discard replies the client has not read yet).

Known differences, checked on corecached only (memcached 1.6.18 behaves otherwise):
- An unknown opcode whose packet carries extras or a key: memcached reads them, answers "Unknown
  command", then skips the whole body length again, eating the start of the next request (the
  connection desynchronises and usually closes). corecached skips the body once.
- A value over the item limit: memcached queues "Too large." until the whole value has been read
  and skipped (a client that closes earlier never sees it); corecached sends it at once. The bytes
  are the same once the value has arrived (sessions value-over-limit, setq-over-limit).
"""

import socket
import struct
import time

import pytest

from helpers import read_all

# protocol_binary.xml "Command Opcodes"
GET, SET, ADD, REPLACE, DELETE, INCR, DECR, QUIT, FLUSH, GETQ, NOOP, VERSION = range(0x0c)
GETK, GETKQ, APPEND, PREPEND, STAT, SETQ, ADDQ, REPLACEQ, DELETEQ, INCRQ, DECRQ = range(0x0c, 0x17)
QUITQ, FLUSHQ, APPENDQ, PREPENDQ, VERBOSITY, TOUCH, GAT, GATQ = range(0x17, 0x1f)
GATK, GATKQ = 0x23, 0x24
SASL_LIST_MECHS = 0x20

SENTINEL_OPAQUE = 0x5E5E5E5E
HEADER = struct.Struct(">BBHBBHIIQ")


def pkt(op, key=b"", extras=b"", value=b"", opaque=0, cas=0, magic=0x80, keylen=None,
        extlen=None, bodylen=None, datatype=0, vbucket=0):
    """One request packet; keylen/extlen/bodylen override the header fields (to lie in them)."""
    kl = len(key) if keylen is None else keylen
    el = len(extras) if extlen is None else extlen
    bl = len(extras) + len(key) + len(value) if bodylen is None else bodylen
    return HEADER.pack(magic, op, kl, el, datatype, vbucket, bl, opaque, cas) + extras + key + value


def st(flags=0, exptime=0):  # Set/Add/Replace extras
    return struct.pack(">II", flags, exptime)


def nx(delta, initial=0, exptime=0):  # Increment/Decrement extras
    return struct.pack(">QQI", delta, initial, exptime)


def ex(exptime):  # Touch/GAT/Flush/Verbosity extras
    return struct.pack(">I", exptime)


SENTINEL = pkt(NOOP, opaque=SENTINEL_OPAQUE)
K250 = b"k" * 250
K251 = b"k" * 251
ITEM_MAX = 1024 * 1024

SESSIONS = [
    # -- every opcode, hits and misses
    ("set-get-getk", pkt(SET, b"foo", st(0xDEADBEEF), b"bar", opaque=1) + pkt(GET, b"foo", opaque=2)
     + pkt(GETK, b"foo", opaque=3) + pkt(GET, b"nokey", opaque=4) + pkt(GETK, b"nokey", opaque=5)),
    ("set-binary-value", pkt(SET, b"foo", st(1), b"\x00\r\n\xff" * 10) + pkt(GET, b"foo")),
    ("set-empty-value", pkt(SET, b"foo", st()) + pkt(GETK, b"foo")),
    ("add-replace", pkt(ADD, b"foo", st(1), b"a") + pkt(ADD, b"foo", st(), b"b")
     + pkt(REPLACE, b"foo", st(2), b"c") + pkt(REPLACE, b"nokey", st(), b"d") + pkt(GET, b"foo")),
    ("add-replace-quiet", pkt(ADDQ, b"foo", st(), b"a", opaque=7) + pkt(ADDQ, b"foo", st(), b"b", opaque=8)
     + pkt(REPLACEQ, b"nokey", st(), b"c", opaque=9) + pkt(REPLACEQ, b"foo", st(), b"d", opaque=10)
     + pkt(GET, b"foo")),
    ("delete", pkt(SET, b"foo", st(), b"x") + pkt(DELETE, b"foo") + pkt(DELETE, b"foo")
     + pkt(GET, b"foo")),
    ("deleteq-hit-and-miss", pkt(SET, b"foo", st(), b"x") + pkt(DELETEQ, b"foo", opaque=3)
     + pkt(DELETEQ, b"nokey", opaque=4) + pkt(NOOP, opaque=5)),
    ("delete-with-extras", pkt(SET, b"foo", st(), b"x") + pkt(DELETE, b"foo", ex(0))),
    ("incr-decr", pkt(SET, b"n", st(), b"10") + pkt(INCR, b"n", nx(5)) + pkt(DECR, b"n", nx(3))
     + pkt(DECR, b"n", nx(100)) + pkt(GET, b"n")),
    ("incr-initial", pkt(INCR, b"n", nx(5, 100)) + pkt(INCR, b"n", nx(5, 100))
     + pkt(DECR, b"m", nx(1, 7)) + pkt(GETK, b"n") + pkt(GETK, b"m")),
    ("incr-no-create", pkt(INCR, b"n", nx(1, 5, 0xFFFFFFFF)) + pkt(DECR, b"n", nx(1, 5, 0xFFFFFFFF))
     + pkt(GET, b"n") + pkt(SET, b"n", st(), b"3") + pkt(INCR, b"n", nx(1, 5, 0xFFFFFFFF))),
    ("incr-quiet", pkt(INCRQ, b"n", nx(1, 9), opaque=1) + pkt(INCRQ, b"n", nx(1), opaque=2)
     + pkt(DECRQ, b"n", nx(4), opaque=3) + pkt(INCRQ, b"nokey", nx(1, 0, 0xFFFFFFFF), opaque=4)
     + pkt(GET, b"n")),
    ("incr-non-numeric", pkt(SET, b"n", st(), b"abc") + pkt(INCR, b"n", nx(1))
     + pkt(SET, b"m", st(), b"-1") + pkt(DECR, b"m", nx(1))),
    ("incr-wraps", pkt(SET, b"n", st(), b"18446744073709551615") + pkt(INCR, b"n", nx(2))
     + pkt(GET, b"n")),
    ("incr-big-initial", pkt(INCR, b"n", nx(0, 0xFFFFFFFFFFFFFFFF)) + pkt(GET, b"n")),
    ("append-prepend", pkt(SET, b"foo", st(5), b"mid") + pkt(APPEND, b"foo", value=b">")
     + pkt(PREPEND, b"foo", value=b"<") + pkt(APPENDQ, b"foo", value=b")", opaque=2)
     + pkt(PREPENDQ, b"foo", value=b"(", opaque=3) + pkt(APPEND, b"nokey", value=b"x")
     + pkt(PREPENDQ, b"nokey", value=b"x", opaque=4) + pkt(GET, b"foo")),
    ("append-with-extras", pkt(SET, b"foo", st(), b"x") + pkt(APPEND, b"foo", st(), b"y")),
    ("cas", pkt(SET, b"foo", st(), b"x") + pkt(SET, b"foo", st(), b"y", cas=123456789)
     + pkt(SET, b"nokey", st(), b"y", cas=1) + pkt(REPLACE, b"foo", st(), b"z", cas=987654321)
     + pkt(DELETE, b"foo", cas=42) + pkt(ADD, b"new", st(), b"a", cas=5) + pkt(GET, b"foo")),
    # -- quiet runs ended by Noop (how clients end a multi-get)
    ("getq-getkq-multiget", pkt(SET, b"a", st(1), b"1") + pkt(SET, b"b", st(2), b"22")
     + pkt(SET, b"c", st(3), b"333") + pkt(GETQ, b"a", opaque=10) + pkt(GETQ, b"nokey", opaque=11)
     + pkt(GETKQ, b"b", opaque=12) + pkt(GETKQ, b"nokey", opaque=13) + pkt(GETQ, b"c", opaque=14)
     + pkt(NOOP, opaque=15)),
    ("getkq-100-keys", b"".join(pkt(SETQ, b"key%d" % i, st(i), b"v%d" % i) for i in range(0, 100, 2))
     + b"".join(pkt(GETKQ, b"key%d" % i, opaque=i) for i in range(100)) + pkt(NOOP, opaque=999)),
    ("setq-then-get", pkt(SETQ, b"foo", st(), b"1", opaque=1) + pkt(SETQ, b"bar", st(), b"2", opaque=2)
     + pkt(GET, b"foo") + pkt(GET, b"bar")),
    ("quiet-errors-are-sent", pkt(SETQ, b"foo", st(), b"abc") + pkt(INCRQ, b"foo", nx(1), opaque=1)
     + pkt(ADDQ, b"foo", st(), b"x", opaque=2) + pkt(DELETEQ, b"nokey", opaque=3)
     + pkt(SETQ, b"foo", st(), b"x", cas=77, opaque=4) + pkt(NOOP, opaque=5)),
    ("getq-only-misses", pkt(GETQ, b"a") + pkt(GETQ, b"b") + pkt(GETKQ, b"c") + pkt(NOOP, opaque=1)),
    # -- touch / gat
    ("touch-gat", pkt(SET, b"foo", st(9), b"val") + pkt(TOUCH, b"foo", ex(100), opaque=1)
     + pkt(TOUCH, b"nokey", ex(100), opaque=2) + pkt(GAT, b"foo", ex(100), opaque=3)
     + pkt(GAT, b"nokey", ex(100), opaque=4) + pkt(GATK, b"foo", ex(100), opaque=5)
     + pkt(GATK, b"nokey", ex(100), opaque=6)),
    ("gatq-gatkq", pkt(SET, b"foo", st(9), b"val") + pkt(GATQ, b"foo", ex(100), opaque=1)
     + pkt(GATQ, b"nokey", ex(100), opaque=2) + pkt(GATKQ, b"foo", ex(100), opaque=3)
     + pkt(GATKQ, b"nokey", ex(100), opaque=4) + pkt(NOOP, opaque=5)),
    ("touch-expires", pkt(SET, b"foo", st(), b"x") + pkt(TOUCH, b"foo", ex(0xFFFFFFFF))
     + pkt(GET, b"foo")),
    ("touch-no-extras", pkt(SET, b"foo", st(), b"x") + pkt(TOUCH, b"foo")),
    # -- flush / version / verbosity / stat / noop / quit
    ("flush", pkt(SET, b"foo", st(), b"x") + pkt(FLUSH, opaque=1) + pkt(GET, b"foo")
     + pkt(FLUSHQ, opaque=2) + pkt(FLUSH, extras=ex(0), opaque=3) + pkt(NOOP, opaque=4)),
    ("flush-with-delay", pkt(SET, b"foo", st(), b"x") + pkt(FLUSH, extras=ex(100)) + pkt(GET, b"foo")
     + pkt(FLUSH)),
    ("version", pkt(VERSION, opaque=77) + pkt(NOOP)),
    ("verbosity-value-body", pkt(VERBOSITY, value=ex(1), opaque=3) + pkt(NOOP)),
    ("stat-unknown-group", pkt(STAT, b"nonexistent", opaque=9)),
    ("noop-opaque", pkt(NOOP, opaque=0xFFFFFFFF) + pkt(NOOP, opaque=0) + pkt(NOOP, opaque=0x12345678)),
    ("quit", pkt(SET, b"foo", st(), b"x") + pkt(QUIT, opaque=5) + pkt(GET, b"foo")),
    ("quitq", pkt(NOOP, opaque=1) + pkt(QUITQ, opaque=5) + pkt(GET, b"foo")),
    ("quit-after-quiet", pkt(GETQ, b"nokey") + pkt(SETQ, b"foo", st(), b"x") + pkt(QUIT, opaque=2)),
    # -- opaque round trip on every kind of reply
    ("opaque-round-trip", pkt(SET, b"foo", st(), b"x", opaque=0xA1B2C3D4)
     + pkt(GET, b"nokey", opaque=0xFFFFFFFF) + pkt(ADD, b"foo", st(), b"y", opaque=0x01020304)
     + pkt(INCR, b"foo", nx(1), opaque=0x7FFFFFFF) + pkt(0x40, opaque=0xCAFEBABE)
     + pkt(VERSION, opaque=0x80000000)),
    # -- unknown opcodes (the connection stays open; a body is skipped)
    ("unknown-opcode", pkt(0x40, opaque=1) + pkt(0xFF, value=b"some body", opaque=2)
     + pkt(0x30, opaque=3) + pkt(0x7F) + pkt(NOOP, opaque=4)),
    ("sasl-not-served", pkt(SASL_LIST_MECHS, opaque=1) + pkt(0x21, b"PLAIN", value=b"\0a\0b")),
    ("opcodes-0x25-0x3f", b"".join(pkt(op, opaque=op) for op in range(0x25, 0x40))),
    ("vbucket-and-datatype-ignored", pkt(SET, b"foo", st(), b"x", vbucket=7) + pkt(GET, b"foo", vbucket=1)),
    # -- limits
    ("key-250", pkt(SET, K250, st(), b"x") + pkt(GETK, K250)),
    ("key-251-get", pkt(GET, K251)),
    ("key-251-set", pkt(SET, K251, st(), b"x")),
    ("key-251-getq", pkt(GETQ, K251) + pkt(NOOP)),
    ("value-at-limit-ish", pkt(SET, b"foo", st(), b"v" * (ITEM_MAX - 100)) + pkt(DELETE, b"foo")),
    ("value-over-limit", pkt(SET, b"foo", st(), b"x") + pkt(SET, b"foo", st(), b"v" * (ITEM_MAX + 1))
     + pkt(GET, b"foo")),
    ("value-way-over-limit", pkt(SET, b"foo", st(), b"v" * (2 * ITEM_MAX)) + pkt(NOOP, opaque=2)),
    ("setq-over-limit", pkt(SETQ, b"foo", st(), b"v" * (ITEM_MAX + 1), opaque=3) + pkt(NOOP, opaque=4)),
    ("append-over-limit", pkt(SET, b"foo", st(), b"x") + pkt(APPEND, b"foo", value=b"v" * (ITEM_MAX + 1))
     + pkt(GET, b"foo")),
    # -- lengths that do not add up (memcached answers Invalid arguments and closes)
    ("get-with-extras", pkt(GET, b"foo", ex(1))),
    ("get-without-key", pkt(GET)),
    ("get-with-value", pkt(GET, b"foo", value=b"xyz")),
    ("set-without-extras", pkt(SET, b"foo", value=b"x")),
    ("set-short-extras", pkt(SET, b"foo", b"\0\0\0\0", b"x")),
    ("set-without-key", pkt(SET, b"", st(), b"x")),
    ("add-without-extras", pkt(ADD, b"foo", value=b"x")),
    ("incr-without-extras", pkt(INCR, b"n")),
    ("incr-with-value", pkt(INCR, b"n", nx(1), b"5")),
    ("delete-without-key", pkt(DELETE)),
    ("delete-with-value", pkt(DELETE, b"foo", value=b"x")),
    ("noop-with-key", pkt(NOOP, b"foo")),
    ("noop-with-extras", pkt(NOOP, extras=ex(1))),
    ("version-with-value", pkt(VERSION, value=b"x")),
    ("quit-with-key", pkt(QUIT, b"foo")),
    ("flush-short-extras", pkt(FLUSH, extras=b"\0\0")),
    ("touch-without-key", pkt(TOUCH, extras=ex(1))),
    ("gat-without-extras", pkt(GAT, b"foo")),
    ("append-without-key", pkt(APPEND, value=b"x")),
    ("verbosity-without-extras", pkt(VERBOSITY)),
    ("stat-with-extras", pkt(STAT, b"items", ex(1))),
    ("keylen-over-bodylen", pkt(GET, b"foo", keylen=10, bodylen=3) + b"\0" * 7),
    ("extlen-over-bodylen", pkt(SET, b"foo", st(), b"x", extlen=20, bodylen=12) + b"\0" * 20),
    # -- framing
    ("bad-magic", pkt(NOOP, opaque=1) + pkt(GET, b"foo", magic=0x81)),
    ("bad-magic-zero", pkt(NOOP, opaque=1) + b"\0" * 24),
    ("bad-magic-text-after-binary", pkt(NOOP, opaque=1) + b"get foo\r\n" + b"\0" * 15),
    ("header-split", pkt(SET, b"foo", st(), b"x")[:10]),  # then the rest: see test below
]

# (name, payload): no sentinel; the client half-closes after the payload.
HALF_CLOSE_SESSIONS = [
    ("truncated-header-then-close", pkt(NOOP, opaque=1) + pkt(GET, b"foo")[:13]),
    ("truncated-body-then-close", pkt(NOOP, opaque=1) + pkt(SET, b"foo", st(), b"value")[:-2]),
    ("first-byte-not-0x80-is-text", pkt(GET, b"foo", magic=0x81)),
    ("quiet-run-then-close", pkt(SETQ, b"foo", st(), b"x") + pkt(GETQ, b"foo")),
]


def _packets(buf):
    """Splits a response stream into (header bytes, body bytes); a trailing partial packet is
    returned as-is in the last element's body with header None."""
    out = []
    pos = 0
    for _ in range(100000):
        if len(buf) - pos < 24:
            break
        body_len = struct.unpack_from(">I", buf, pos + 8)[0]
        if len(buf) - pos < 24 + body_len:
            break
        out.append((buf[pos:pos + 24], buf[pos + 24:pos + 24 + body_len]))
        pos += 24 + body_len
    if pos < len(buf):
        out.append((None, buf[pos:]))
    return out


def normalise(buf):
    """Lists the packets with the CAS field normalised (non-zero -> b'<cas>') and Version bodies
    replaced by b'<v>' (and their length field zeroed)."""
    out = []
    for header, body in _packets(buf):
        if header is None:
            out.append(("partial", body))
            continue
        cas = header[16:24]
        if cas != b"\0" * 8:
            cas = b"<cas>"
        fixed = header[:16]
        if header[0] == 0x81 and header[1] == VERSION and header[6:8] == b"\0\0":
            fixed = header[:8] + b"\0\0\0\0" + header[12:16]
            body = b"<v>"
        out.append((fixed + cas, body))
    return out


def _sentinel_seen(buf):
    pkts = _packets(buf)
    return bool(pkts) and pkts[-1][0] is not None and pkts[-1][0][1] == NOOP and \
        struct.unpack_from(">I", pkts[-1][0], 12)[0] == SENTINEL_OPAQUE


def _flush(server):
    with server.connect() as s:  # start from an empty cache, whatever ran before
        s.sendall(b"flush_all\r\n")
        assert s.recv(64) == b"OK\r\n"


def run_session(server, payload, half_close=False, idle=0.5):
    """Returns (reply bytes, closed?)."""
    _flush(server)
    s = server.connect(timeout=10)
    try:
        buf = b""
        try:
            s.sendall(payload)
            if half_close:
                s.shutdown(socket.SHUT_WR)
            else:
                buf, closed = read_all(s, idle=0.05, timeout=5)
                if closed:
                    return buf, True
                s.sendall(SENTINEL)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed on us mid-send: read what it said
        deadline = time.monotonic() + 10
        for _ in range(100000):
            if not half_close and _sentinel_seen(buf):
                extra, closed = read_all(s, idle=0.02, timeout=0.5)  # nothing may follow
                return buf + extra, closed
            left = deadline - time.monotonic()
            if left <= 0:
                return buf, False
            s.settimeout(min(left, idle))  # a session may leave the server waiting for more
            try:
                chunk = s.recv(1 << 20)
            except socket.timeout:
                return buf, False
            except ConnectionResetError:
                return buf, True
            if not chunk:
                return buf, True
            buf += chunk
        return buf, False
    finally:
        s.close()


def _compare(server, reference, payload, half_close=False):
    ref_bytes, ref_closed = run_session(reference, payload, half_close)
    sut_bytes, sut_closed = run_session(server, payload, half_close)
    assert normalise(sut_bytes) == normalise(ref_bytes)
    assert sut_closed == ref_closed, f"memcached closed={ref_closed}, server closed={sut_closed}"
    return ref_bytes


@pytest.mark.parametrize("payload", [p for _, p in SESSIONS], ids=[n for n, _ in SESSIONS])
def test_binary_same_bytes_as_memcached(server, reference, payload):
    _compare(server, reference, payload)


@pytest.mark.parametrize("payload", [p for _, p in HALF_CLOSE_SESSIONS],
                         ids=[n for n, _ in HALF_CLOSE_SESSIONS])
def test_binary_half_close_same_as_memcached(server, reference, payload):
    _compare(server, reference, payload, half_close=True)


def test_unknown_opcode_with_key_skips_body_once(server):
    if server.is_memcached:
        pytest.skip("memcached 1.6.18 skips the extras and key twice (see the module docstring)")
    for extras, key, value in ((ex(1), b"", b""), (b"", b"key", b""), (b"ext", b"key", b"value")):
        replies = _exchange(server, pkt(VERBOSITY if extras == ex(1) else 0xFF, key, extras, value,
                                        opaque=1) + pkt(NOOP, opaque=2), 2)
        assert [(h[1], h[6:8], h[12:16]) for h, _ in replies] == \
            [(replies[0][0][1], b"\0\x81", b"\0\0\0\1"), (NOOP, b"\0\0", b"\0\0\0\2")]


def test_too_large_is_answered_before_the_value_arrives(server):
    if server.is_memcached:
        pytest.skip("memcached 1.6.18 answers once the value has been skipped (module docstring)")
    with server.connect() as s:
        s.sendall(pkt(SET, b"foo", st(), bodylen=11 + 10 * ITEM_MAX, opaque=4))
        (h, body), = _exchange_on(s, 1)
        assert (h[1], h[6:8], h[12:16], body) == (SET, b"\0\3", b"\0\0\0\4", b"Too large.")
        s.sendall(b"v" * (10 * ITEM_MAX) + pkt(NOOP, opaque=5))  # skipped, then served again
        (h, _), = _exchange_on(s, 1)
        assert (h[1], h[12:16]) == (NOOP, b"\0\0\0\5")


def _exchange_on(s, count):
    buf = b""
    for _ in range(1000):
        pk = [p for p in _packets(buf) if p[0] is not None]
        if len(pk) >= count:
            return pk
        chunk = s.recv(1 << 16)
        assert chunk, f"closed after {buf!r}"
        buf += chunk
    raise AssertionError(f"no {count} packets in {buf!r}")


def _exchange(srv, requests, count):
    """Sends `requests` on a fresh socket, returns the first `count` response packets."""
    with srv.connect() as s:
        s.sendall(requests)
        buf = b""
        for _ in range(1000):
            pk = [p for p in _packets(buf) if p[0] is not None]
            if len(pk) >= count:
                return pk
            chunk = s.recv(1 << 16)
            assert chunk, f"closed after {buf!r}"
            buf += chunk
    raise AssertionError(f"no {count} packets in {buf!r}")


def test_header_split_across_writes(server, reference):
    whole = pkt(SET, b"foo", st(3), b"abc", opaque=9) + pkt(GETK, b"foo", opaque=10) + SENTINEL
    got = {}
    for name, srv in (("ref", reference), ("sut", server)):
        _flush(srv)
        with srv.connect() as s:
            for i in range(0, len(whole), 5):  # 5-byte writes: every header arrives in pieces
                s.sendall(whole[i:i + 5])
                time.sleep(0.002)
            buf = b""
            for _ in range(1000):
                if _sentinel_seen(buf):
                    break
                chunk = s.recv(1 << 16)
                assert chunk, f"{name} closed after {buf!r}"
                buf += chunk
            got[name] = normalise(buf)
    assert got["sut"] == got["ref"]


def test_cas_round_trip(server, reference):
    """The CAS a Get returns is the one a Set must quote; a stale one gets Exists."""
    got = {}
    for name, srv in (("ref", reference), ("sut", server)):
        _flush(srv)
        (h, _), (h2, _) = _exchange(srv, pkt(SET, b"foo", st(), b"x") + pkt(GET, b"foo", opaque=1), 2)
        cas = struct.unpack_from(">Q", h2, 16)[0]
        assert cas != 0 and cas == struct.unpack_from(">Q", h, 16)[0]
        replies = _exchange(srv, pkt(SET, b"foo", st(), b"y", cas=cas, opaque=2)
                            + pkt(SET, b"foo", st(), b"z", cas=cas, opaque=3)
                            + pkt(DELETE, b"foo", cas=cas, opaque=4) + pkt(GET, b"foo", opaque=5), 4)
        new_cas = struct.unpack_from(">Q", replies[0][0], 16)[0]
        assert new_cas not in (0, cas)
        got[name] = [(h[:16], b) for h, b in replies]
    assert got["sut"] == got["ref"]
    assert [h[6:8] for h, _ in got["ref"]] == [b"\0\0", b"\0\2", b"\0\2", b"\0\0"]


def test_stat_shape(server, reference):
    """Stat without a group: one packet per statistic (values differ), ended by an empty one."""
    shapes = {}
    for name, srv in (("ref", reference), ("sut", server)):
        buf, closed = run_session(srv, pkt(STAT, opaque=0x5747))
        assert not closed
        pk = _packets(buf)
        assert all(h is not None for h, _ in pk)
        stats = pk[:-2]
        assert stats and all(h[:2] == b"\x81\x10" and h[6:8] == b"\0\0" and h[12:16] == b"\0\0\x57\x47"
                             and struct.unpack_from(">H", h, 2)[0] > 0 for h, _ in stats)
        end, _ = pk[-2]  # then the sentinel
        shapes[name] = (end, {b[:struct.unpack_from(">H", h, 2)[0]] for h, b in stats})
    assert shapes["sut"][0] == shapes["ref"][0]
    for common in (b"pid", b"uptime", b"time", b"version", b"curr_items", b"total_items", b"bytes",
                   b"curr_connections", b"get_hits", b"get_misses", b"cmd_get", b"cmd_set"):
        assert common in shapes["ref"][1] and common in shapes["sut"][1], common


def test_sessions_have_unique_ids():
    names = [n for n, _ in SESSIONS + HALF_CLOSE_SESSIONS]
    assert len(names) == len(set(names))


def test_normalise_only_touches_cas_and_version():
    resp = HEADER.pack(0x81, GET, 0, 4, 0, 0, 5, 7, 99) + b"\0\0\0\1x"
    assert normalise(resp) == [(resp[:16] + b"<cas>", b"\0\0\0\1x")]
    zero = HEADER.pack(0x81, GET, 0, 0, 0, 1, 9, 7, 0) + b"Not found"
    assert normalise(zero) == [(zero[:24], b"Not found")]
    ver = HEADER.pack(0x81, VERSION, 0, 0, 0, 0, 6, 1, 0) + b"1.6.18"
    assert normalise(ver) == [(HEADER.pack(0x81, VERSION, 0, 0, 0, 0, 0, 1, 0), b"<v>")]
    assert normalise(b"\x81\x00") == [("partial", b"\x81\x00")]
