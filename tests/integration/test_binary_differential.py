"""Binary protocol, byte for byte against Debian's memcached 1.6.18 (issue #3).

Each session is raw request packets followed by a Noop sentinel (opaque 0xFEEDFACE); the replies up
to the sentinel's response are compared after zeroing only the CAS field of each response header
(bytes 16..23) and the body (and body length) of Version responses.
"""

import socket
import struct
import time

import pytest

SENTINEL_OPAQUE = 0xFEEDFACE
HEADER = struct.Struct(">BBHBBHIIQ")


def req(op, key=b"", extras=b"", value=b"", opaque=0x11223344, cas=0, magic=0x80):
    body = extras + key + value
    return HEADER.pack(magic, op, len(key), len(extras), 0, 0, len(body), opaque, cas) + body


def set_extras(flags=0, exptime=0):
    return struct.pack(">II", flags, exptime)


def incr_extras(delta, initial=0, exptime=0):
    return struct.pack(">QQI", delta, initial, exptime)


NOOP = req(0x0A, opaque=SENTINEL_OPAQUE)

SESSIONS = [
    ("noop", req(0x0A)),
    ("version", req(0x0B)),
    ("set-get-getk", req(0x01, b"bk", set_extras(7), b"val") + req(0x00, b"bk") + req(0x0C, b"bk")),
    ("get-miss-and-getk-miss", req(0x00, b"nokey") + req(0x0C, b"nokey")),
    ("quiet-multiget", req(0x01, b"q1", set_extras(), b"a") + req(0x09, b"q1") + req(0x09, b"q2")
                       + req(0x0D, b"q1") + req(0x0D, b"q2")),
    ("setq-addq-exists", req(0x11, b"sq", set_extras(), b"x") + req(0x12, b"sq", set_extras(), b"y")),
    ("add-replace", req(0x02, b"ar", set_extras(), b"1") + req(0x02, b"ar", set_extras(), b"2")
                    + req(0x03, b"ar", set_extras(), b"3") + req(0x03, b"nokey", set_extras(), b"4")),
    ("append-prepend", req(0x01, b"ap", set_extras(), b"mid") + req(0x0E, b"ap", value=b">")
                       + req(0x0F, b"ap", value=b"<") + req(0x00, b"ap") + req(0x0E, b"nokey", value=b"x")),
    ("delete-and-deleteq-miss", req(0x01, b"dk", set_extras(), b"v") + req(0x04, b"dk")
                                + req(0x04, b"dk") + req(0x14, b"dk")),
    ("incr-initial-and-no-create", req(0x05, b"ctr", incr_extras(5, 100)) + req(0x05, b"ctr", incr_extras(5))
                                   + req(0x06, b"ctr", incr_extras(500))
                                   + req(0x05, b"nc", incr_extras(1, 0, 0xFFFFFFFF))),
    ("incr-non-numeric", req(0x01, b"txt", set_extras(), b"abc") + req(0x05, b"txt", incr_extras(1))),
    ("cas-mismatch", req(0x01, b"ck", set_extras(), b"v") + req(0x01, b"ck", set_extras(), b"w", cas=1)),
    ("touch-gat-gatk", req(0x01, b"tk", set_extras(3), b"v") + req(0x1C, b"tk", struct.pack(">I", 100))
                       + req(0x1D, b"tk", struct.pack(">I", 100)) + req(0x23, b"tk", struct.pack(">I", 100))
                       + req(0x1C, b"nokey", struct.pack(">I", 1))),
    ("flush-and-flushq", req(0x01, b"fk", set_extras(), b"v") + req(0x08) + req(0x00, b"fk")
                         + req(0x18)),
    ("unknown-opcode", req(0x7F)),
    ("get-with-extras-invalid", req(0x00, b"k", extras=b"\x00\x00\x00\x00")),
    ("set-without-extras", req(0x01, b"k", value=b"v")),
    ("key-too-long", req(0x00, b"k" * 251)),
    ("value-too-large", req(0x01, b"big", set_extras(), b"x" * (1024 * 1024 + 10))),
    ("bad-magic", req(0x00, b"k", magic=0x81)),
    ("quitq", req(0x17)),
    ("quit", req(0x07)),
]


def _responses(buf):
    """Splits complete response packets; returns (packets, rest)."""
    packets = []
    while len(buf) >= 24:
        body_length = struct.unpack_from(">I", buf, 8)[0]
        if len(buf) < 24 + body_length:
            break
        packets.append(buf[:24 + body_length])
        buf = buf[24 + body_length:]
    return packets, buf


def normalise(packets):
    out = []
    for p in packets:
        p = p[:16] + b"\x00" * 8 + p[24:]
        if p[1] == 0x0B and p[6:8] == b"\x00\x00":  # Version: body (and its length) differ
            p = p[:8] + b"\x00" * 4 + p[12:24] + b"<version>"
        out.append(p)
    return out


def run_binary_session(server, payload):
    with server.connect() as s:  # start from an empty cache
        s.sendall(b"flush_all\r\n")
        assert s.recv(64) == b"OK\r\n"
    s = server.connect(timeout=10)
    try:
        try:
            s.sendall(payload + NOOP)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf, packets = b"", []
        deadline = time.monotonic() + 10
        for _ in range(10000):
            done, buf = _responses(buf)
            packets += done
            if packets and struct.unpack_from(">I", packets[-1], 12)[0] == SENTINEL_OPAQUE:
                return packets, False
            left = deadline - time.monotonic()
            if left <= 0:
                return packets, False
            s.settimeout(min(left, 1.0))
            try:
                chunk = s.recv(1 << 20)
            except socket.timeout:
                return packets, False
            except ConnectionResetError:
                return packets, True
            if not chunk:
                return packets, True
            buf += chunk
        return packets, False
    finally:
        s.close()


@pytest.mark.parametrize("payload", [p for _, p in SESSIONS], ids=[n for n, _ in SESSIONS])
def test_binary_same_bytes_as_memcached(server, reference, payload):
    ref_packets, ref_closed = run_binary_session(reference, payload)
    sut_packets, sut_closed = run_binary_session(server, payload)
    assert normalise(sut_packets) == normalise(ref_packets)
    assert sut_closed == ref_closed


def test_sessions_produce_replies(reference):
    packets, closed = run_binary_session(reference, SESSIONS[2][1])
    assert not closed and len(packets) == 4  # set, get, getk, sentinel noop
