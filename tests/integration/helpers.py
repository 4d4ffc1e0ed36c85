"""Raw-socket helpers for byte-exact memcached protocol tests."""

import os
import socket
import time

SOCKET_TIMEOUT = 5.0

_RETRIEVAL = (b"get", b"gets", b"gat", b"gats", b"stats")


def _retrieval_done(buf):
    if buf.endswith(b"END\r\n"):
        return True
    # a single error line instead of a value list
    return (buf.endswith(b"\r\n") and buf.count(b"\r\n") == 1
            and buf.startswith((b"ERROR", b"CLIENT_ERROR", b"SERVER_ERROR")))


def _default_until(data):
    first = data.split(b"\r\n", 1)[0].split(b" ", 1)[0]
    if first in _RETRIEVAL:
        return _retrieval_done
    return b"\r\n"


class Closed(Exception):
    pass


def call(sock, data, until=None, count=1, timeout=SOCKET_TIMEOUT):
    """Send data, read until the reply ends with `until` and holds it `count` times.

    `until` is bytes or a predicate on the bytes read so far. It defaults to "END\\r\\n or a
    single error line" for get/gets/gat/gats/stats and to b"\\r\\n" otherwise.
    Returns the bytes read. If the peer closes first, returns what was read (check with
    `is_closed`). A timeout fails the test showing the partial reply.
    """
    if until is None:
        until = _default_until(data)
    if data:
        sock.sendall(data)
    buf = b""
    deadline = time.monotonic() + timeout
    done = until if callable(until) else (
        lambda b: b.endswith(until) and b.count(until) >= count)
    for _ in range(100000):
        if done(buf):
            return buf
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            break
        except ConnectionResetError:
            return buf
        if not chunk:
            return buf
        buf += chunk
    raise AssertionError(f"timeout after {timeout} s waiting for {until!r} x{count} "
                         f"after sending {data[:200]!r}; got {buf[:500]!r}")


def read_all(sock, idle=0.3, timeout=SOCKET_TIMEOUT, limit=64 << 20):
    """Read until the peer closes, or nothing arrives for `idle` s; returns (bytes, closed)."""
    buf = b""
    deadline = time.monotonic() + timeout
    for _ in range(100000):
        left = min(idle, deadline - time.monotonic())
        if left <= 0:
            return buf, False
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 20)
        except socket.timeout:
            return buf, False
        except ConnectionResetError:
            return buf, True
        if not chunk:
            return buf, True
        buf += chunk
        if len(buf) > limit:
            return buf, False
    return buf, False


def is_closed(sock, timeout=1.0):
    """True if the peer has closed (EOF or reset) within `timeout`; False if it is still open."""
    sock.settimeout(timeout)
    try:
        chunk = sock.recv(1 << 16)
    except socket.timeout:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    if chunk:
        raise AssertionError(f"unexpected bytes while checking for close: {chunk[:200]!r}")
    return True


def store(sock, key, value, cmd=b"set", flags=0, exptime=0, expect=b"STORED\r\n"):
    if isinstance(key, str):
        key = key.encode()
    if isinstance(value, str):
        value = value.encode()
    line = b"%s %s %d %d %d\r\n" % (cmd, key, flags, exptime, len(value))
    got = call(sock, line + value + b"\r\n")
    if expect is not None:
        assert got == expect, f"{cmd} {key!r}: {got!r}"
    return got


def value_reply(key, value, flags=0):
    if isinstance(key, str):
        key = key.encode()
    if isinstance(value, str):
        value = value.encode()
    return b"VALUE %s %d %d\r\n%s\r\n" % (key, flags, len(value), value)


def hit(key, value, flags=0):
    """The full reply to a one-key get that finds `value`."""
    return value_reply(key, value, flags) + b"END\r\n"


def stats(sock, group=b""):
    cmd = b"stats" + ((b" " + group) if group else b"") + b"\r\n"
    raw = call(sock, cmd, until=b"END\r\n")
    out = {}
    for line in raw.split(b"\r\n"):
        if line.startswith(b"STAT "):
            parts = line.split(b" ", 2)
            out[parts[1].decode()] = parts[2].decode() if len(parts) > 2 else ""
    assert raw.endswith(b"END\r\n"), raw
    return out


def seed(server, prefix, n=20):
    """Store n known items; returns {key: value} for assert_healthy."""
    data = {f"{prefix}-{i}": b"seed-%d-" % i + bytes([i % 256]) * i for i in range(n)}
    with server.connect() as s:
        for k, v in data.items():
            store(s, k, v)
    return data


def assert_healthy(server, data):
    """The server process lives, a fresh client is served, and the seeded items are intact."""
    if server.proc is not None:
        assert server.proc.poll() is None, f"server died: {server.stderr_text()[-2000:]}"
    with server.connect() as s:
        assert call(s, b"version\r\n").startswith(b"VERSION ")
        keys = list(data)
        got = call(s, b"get " + " ".join(keys).encode() + b"\r\n")
        assert got == b"".join(value_reply(k, v) for k, v in data.items()) + b"END\r\n"


# The ASan/UBSan run of this suite sets CORECACHED_SANITIZED=1 (tests/run_all.sh). ASan's allocator
# quarantine and shadow memory make RSS meaningless there, so RSS bounds are checked only in the
# plain build; every functional assertion still runs under the sanitizers.
SANITIZED = os.environ.get("CORECACHED_SANITIZED") == "1"


def assert_rss_bound(value, bound, message):
    """Asserts value < bound unless the server runs under a sanitizer (see SANITIZED)."""
    if not SANITIZED:
        assert value < bound, message
