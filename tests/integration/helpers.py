"""Raw-socket helpers for byte-exact memcached protocol tests."""

import os
import socket
import time

# CORECACHED_SOCKET_TIMEOUT raises it for slow servers (the TSan stage of tests/run_all.sh).
SOCKET_TIMEOUT = float(os.environ.get("CORECACHED_SOCKET_TIMEOUT", "5.0"))

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


def rss_kib(pid):
    """The process's resident set (VmRSS) in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def raise_nofile(need):
    """Raises this process's RLIMIT_NOFILE soft limit to at least `need` (and the hard one when
    it is lower and we may); returns False when the limit cannot be raised."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= need:
        return True
    new_hard = hard if hard == resource.RLIM_INFINITY or hard >= need else need
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, new_hard))
    except (ValueError, OSError):
        return False
    return True


def open_many(address, n, timeout=30.0, batch=512):
    """Opens n TCP connections with non-blocking connects, `batch` handshakes in flight at a
    time (the listen backlog is 1024); returns the connected non-blocking sockets."""
    import selectors
    socks = []
    deadline = time.monotonic() + timeout
    sel = selectors.DefaultSelector()
    try:
        while len(socks) < n:
            pending = []
            for _ in range(min(batch, n - len(socks))):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                rc = s.connect_ex(address)
                if rc not in (0, 115):  # EINPROGRESS
                    s.close()
                    raise AssertionError(f"connect #{len(socks) + len(pending)}: errno {rc}")
                pending.append(s)
                sel.register(s, selectors.EVENT_WRITE)
            left = len(pending)
            while left:
                wait = deadline - time.monotonic()
                if wait <= 0:
                    raise AssertionError(f"{left} connects of {n} still pending after {timeout} s")
                for k, _ in sel.select(min(wait, 1.0)):
                    err = k.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    assert err == 0, f"connect failed: errno {err}"
                    sel.unregister(k.fileobj)
                    left -= 1
            socks.extend(pending)
    except BaseException:
        for s in socks:
            s.close()
        raise
    finally:
        sel.close()
    return socks


def exchange_many(socks, payloads, done, timeout=30.0):
    """Sends payloads[i] on socks[i] (non-blocking sockets, small payloads) and reads each
    socket until done(bytes) is true or the peer closes. Returns (replies, closed, latency):
    lists indexed like socks; latency[i] is seconds from the send to the last byte read.
    Fails the test when a socket neither finishes nor closes within `timeout`."""
    import selectors
    sel = selectors.DefaultSelector()
    replies = [b""] * len(socks)
    closed = [False] * len(socks)
    sent_at = [0.0] * len(socks)
    latency = [0.0] * len(socks)
    deadline = time.monotonic() + timeout
    try:
        for i, (s, p) in enumerate(zip(socks, payloads)):
            sent_at[i] = time.monotonic()
            try:
                if p:
                    s.send(p)  # a fresh socket's send buffer takes a small payload whole
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused and closed already: the reply is still readable
            sel.register(s, selectors.EVENT_READ, i)
        left = len(socks)
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0:
                stuck = [i for i in range(len(socks)) if not closed[i] and not done(replies[i])]
                raise AssertionError(f"{left} of {len(socks)} sockets unanswered after {timeout} "
                                     f"s; e.g. #{stuck[0]} got {replies[stuck[0]][:200]!r}")
            for k, _ in sel.select(min(wait, 1.0)):
                i = k.data
                try:
                    chunk = k.fileobj.recv(1 << 16)
                except BlockingIOError:
                    continue
                except ConnectionResetError:
                    chunk = b""
                if chunk:
                    replies[i] += chunk
                else:
                    closed[i] = True
                latency[i] = time.monotonic() - sent_at[i]
                if closed[i] or done(replies[i]):
                    sel.unregister(k.fileobj)
                    left -= 1
    finally:
        sel.close()
    return replies, closed, latency


def wait_for(predicate, what, timeout=5.0):
    """Polls predicate() every 20 ms until it is true; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.02) + 1):
        if predicate():
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
