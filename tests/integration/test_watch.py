"""`watch` (memcached's log stream, issue #11), differential against Debian's memcached 1.6.18:
the same commands on both servers, the watcher's lines compared by shape (field names and order,
statuses, commands, classes and sizes) with the volatile values (ts, gid, cfd, rport) masked.
Also the watcher limit (20, then WATCHER_TOO_MANY), connevents, evictions, bad stream names."""

import re
import socket
import time

import pytest

from conftest import REFERENCE_BINARY, running_server, server_binary
from helpers import SANITIZED, call, read_all

WATCH_TIMEOUT = 5.0
MAX_WATCHERS = 20  # logger.c WATCHER_LIMIT

# The commands of the differential test (keys unique per server start: each test starts both).
COMMANDS = (b"set foo 5 0 3\r\nbar\r\n"
            b"get foo\r\n"
            b"get nope\r\n"
            b"add foo 0 0 1\r\nx\r\n"
            b"delete foo\r\n"
            b"delete nope\r\n"
            b"incr n 1\r\n"
            b"touch foo 10\r\n"
            b"cas foo 0 0 1 5\r\nx\r\n"
            b"append q 0 0 1\r\nx\r\n"
            b"set k%20x 0 100 2\r\nab\r\n"
            b"gets k%20x\r\n"
            b"mg k%20x v\r\n"
            b"ms m1 2 T0\r\nhi\r\n")
REPLIES_END = b"HD\r\n"  # the last command's reply


def _watch(srv, streams):
    s = srv.connect()
    s.settimeout(WATCH_TIMEOUT)
    assert call(s, b"watch " + streams + b"\r\n", until=lambda b: b.endswith(b"\r\n")) == \
        b"OK\r\n"
    return s


def _read_lines(sock, want, timeout=WATCH_TIMEOUT):
    """Reads whole log lines until `want(lines)` holds or `timeout` passes."""
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = buf.decode().split("\n")[:-1]  # a line still arriving is not one yet
        if want(lines):
            return lines
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    return buf.decode().split("\n")[:-1]


def _by_gid(lines):
    return sorted(lines, key=lambda l: int(re.search(r" gid=(\d+) ", l).group(1)))


def _by_key(lines):
    """Per key, in gid order. Keys of one connection's pipeline that live on different network
    threads (shards) run in per-shard batches, so only each key's own order is fixed."""
    return sorted(_by_gid(lines), key=lambda l: re.search(r" key=(\S+) ", l).group(1))


def _shape(line):
    line = re.sub(r"^ts=\d+\.\d+ gid=\d+ ", "ts=T gid=G ", line)
    line = re.sub(r" (cfd|rport)=\d+", r" \1=N", line)
    return re.sub(r" ttl=[1-9]\d*", " ttl=+", line)  # a TTL that may tick between servers


def _run_commands(srv):
    with srv.connect() as c:
        out = call(c, COMMANDS, until=lambda b: b.endswith(REPLIES_END))
        assert out.endswith(REPLIES_END), out


@pytest.fixture
def pair():
    with running_server(server_binary()) as ours, running_server(REFERENCE_BINARY) as ref:
        yield ours, ref


def _events(srv, streams, count):
    w = _watch(srv, streams)
    try:
        _run_commands(srv)
        return _read_lines(w, lambda lines: len(lines) >= count)
    finally:
        w.close()


def test_fetchers_and_mutations_lines_match_memcached(pair):
    ours, ref = pair
    expected = [_shape(l) for l in _by_key(_events(ref, b"fetchers mutations", 20))]
    assert len(expected) == 20, expected  # what memcached 1.6.18 logs for COMMANDS
    got = [_shape(l) for l in _by_key(_events(ours, b"fetchers mutations", len(expected)))]
    assert got == expected


def test_stream_filter_mutations_only(pair):
    ours, ref = pair
    expected = [_shape(l) for l in _by_key(_events(ref, b"mutations", 6))]
    got = [_shape(l) for l in _by_key(_events(ours, b"mutations", len(expected)))]
    assert got == expected
    assert all(" type=item_store " in l for l in got)


def test_connevents_match_memcached(pair):
    for srv in pair:
        w = _watch(srv, b"connevents")
        c = srv.connect()
        assert call(c, b"version\r\n").startswith(b"VERSION ")
        c.close()
        lines = _read_lines(w, lambda lines: len(lines) >= 2)
        w.close()
        assert [_shape(l) for l in lines] == [
            "ts=T gid=G type=conn_new rip=127.0.0.1 rport=N transport=tcp cfd=N",
            "ts=T gid=G type=conn_close rip=127.0.0.1 rport=N transport=tcp reason=normal cfd=N",
        ], (srv, lines)


def test_watcher_limit_and_reuse(pair):
    for srv in pair:
        watchers = [_watch(srv, b"fetchers") for _ in range(MAX_WATCHERS)]
        try:
            with srv.connect() as extra:
                assert call(extra, b"watch\r\n") == b"WATCHER_TOO_MANY log watcher limit reached\r\n"
            watchers.pop().close()
            deadline = time.monotonic() + WATCH_TIMEOUT
            reply = b""
            while time.monotonic() < deadline:  # the slot frees once the server saw the close
                with srv.connect() as again:
                    reply = call(again, b"watch\r\n")
                if reply == b"OK\r\n":
                    break
                time.sleep(0.05)
            assert reply == b"OK\r\n", srv
        finally:
            for w in watchers:
                w.close()


@pytest.mark.parametrize("line,reply", [
    (b"watch bogus\r\n", b"ERROR\r\n"),
    (b"watch deletions\r\n", b"ERROR\r\n"),
    (b"watch Fetchers\r\n", b"ERROR\r\n"),
])
def test_bad_stream_names(pair, line, reply):
    for srv in pair:
        with srv.connect() as s:
            assert call(s, line) == reply, srv
            # the connection stays a normal one
            assert call(s, b"version\r\n").startswith(b"VERSION ")


def test_noreply_watch_is_refused_silently(pair):
    for srv in pair:
        with srv.connect() as s:
            s.sendall(b"watch fetchers noreply\r\n")
            assert call(s, b"version\r\n").startswith(b"VERSION "), srv


def test_eviction_lines_match_memcached():
    value = b"e" * 10_000
    shapes = []
    for binary in (REFERENCE_BINARY, server_binary()):
        with running_server(binary, "-m", "8") as srv:
            w = _watch(srv, b"evictions")
            with srv.connect() as c:
                for i in range(3000):  # 30 MB into 8 MB
                    c.sendall(b"set ev:%d 0 0 %d\r\n%s\r\n" % (i, len(value), value))
                    c.recv(64)
            lines = _read_lines(w, lambda lines: len(lines) >= 5)
            w.close()
            assert len(lines) >= 5, (binary, lines)
            shapes.append({re.sub(r"=\d+", "=N", re.sub(r"key=ev%3A\d+", "key=K", _shape(l)))
                           for l in lines})
    assert shapes[1] == shapes[0]


def test_watch_is_cheap_to_leave(pair):
    """A watcher that leaves frees its slot; the server keeps serving (log_watchers drops back)."""
    ours, _ = pair
    w = _watch(ours, b"fetchers")
    w.close()
    deadline = time.monotonic() + WATCH_TIMEOUT
    with ours.connect() as s:
        while time.monotonic() < deadline:
            stats = call(s, b"stats\r\n", until=lambda b: b.endswith(b"END\r\n"))
            if b"STAT log_watchers 0\r\n" in stats:
                break
            time.sleep(0.05)
        assert b"STAT log_watchers 0\r\n" in stats
        assert re.search(rb"STAT log_watcher_sent \d+\r\n", stats)


@pytest.mark.parametrize("binary", [REFERENCE_BINARY, "corecached"])
def test_disable_watch_flag(binary):
    """-W: every watch is refused before its stream names are read; noreply silences it."""
    binary = server_binary() if binary == "corecached" else binary
    with running_server(binary, "-W") as srv, srv.connect() as s:
        refusal = b"CLIENT_ERROR watch commands not allowed\r\n"
        assert call(s, b"watch\r\n") == refusal
        assert call(s, b"watch bogus\r\n") == refusal
        s.sendall(b"watch fetchers noreply\r\n")
        assert call(s, b"version\r\n").startswith(b"VERSION ")


@pytest.mark.parametrize("binary", [REFERENCE_BINARY, "corecached"])
def test_slow_watcher_reads_skipped_count(binary):
    """A watcher that does not read misses lines and then reads memcached's "skipped=N" line."""
    if SANITIZED and binary == "corecached":
        # Most lines are dropped in the workers' own 64 KiB rings (log_worker_dropped, as memcached
        # counts them); whether the watcher's ring overflows too depends on how the collector and
        # the watcher's writer interleave with the workers. Under TSan (measured: 13,192 worker
        # drops, 26,123 lines sent, 0 watcher skips) it does not.
        pytest.skip("timing-dependent under a sanitizer: drops happen before the watcher's ring")
    binary = server_binary() if binary == "corecached" else binary
    with running_server(binary) as srv:
        w = socket.socket()
        w.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        w.connect((srv.host, srv.port))
        w.settimeout(WATCH_TIMEOUT)
        assert call(w, b"watch fetchers\r\n") == b"OK\r\n"
        batch = b"get slow-watcher-key\r\n" * 1000
        with srv.connect() as c:
            for _ in range(40):  # 40,000 lines of ~100 bytes: far past 256 KiB + socket buffers
                assert call(c, batch, until=b"END\r\n", count=1000).count(b"END\r\n") == 1000
        data = read_all(w, idle=0.5)[0]  # catch up with the lines that were kept
        with srv.connect() as c:  # the next line that fits is preceded by the count
            assert call(c, b"get slow-watcher-key\r\n") == b"END\r\n"
        deadline = time.monotonic() + WATCH_TIMEOUT
        while b"\nskipped=" not in data and time.monotonic() < deadline:
            data += read_all(w, idle=0.2)[0]
        lines = data.decode().split("\n")[:-1]
        w.close()
        skipped = [l for l in lines if l.startswith("skipped=")]
        assert skipped, (binary, len(lines))
        assert all(re.fullmatch(r"skipped=\d+", l) and int(l[8:]) > 0 for l in skipped)
        assert all(" type=item_get key=slow-watcher-key " in l for l in lines
                   if not l.startswith("skipped="))
