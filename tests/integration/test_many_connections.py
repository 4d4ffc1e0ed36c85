"""10,000 concurrent connections (issue #6): opened, each used, all closed, memory given back.

The server runs with -c 10100: the listener raises its RLIMIT_NOFILE to max_connections plus its
own descriptors as memcached does for -c (src/net/listener.cc), so the test process only raises
its own limit (it holds the client ends). One selector drives every socket; no thread per client.

Every connection stores its own key and reads it back (one set + get round trip per connection,
all in flight at once), `stats` counts them all open, then every client closes. The server must
release each connection's fiber stack (256 KiB mmap'ed, a few pages touched) and buffers:
after the close RSS may stay at most RSS_RETURN_BOUND_KIB above its level before the storm.

Measured on the 2-core CI machine (debugoptimized): idle server RSS ~6 MiB, ~105 MiB with the
10,000 connections open (~10 KiB resident per connection), ~27 MiB after they close: +21 MiB, of
which the 10,000 stored items and the grown hash tables are a few MiB and the rest is glibc
keeping freed session memory in each network thread's arena (with `version` instead of set/get
the same run retains +10 MiB: four 2.5 MiB arenas). A leaked fiber stack alone costs 8 KiB or
more per connection (+80 MiB here), so the bound below separates "released" from "leaked" with a
margin of 1.5x over the measured figure. Run time ~6 s.
"""

import os
import resource
import shutil
import subprocess
import tempfile
import time

import pytest

from helpers import (SANITIZED, assert_rss_bound, exchange_many, open_many, raise_nofile, wait_for,
                     rss_kib, stats)

# The TSan stage of tests/run_all.sh lowers this (TSan runs the server ~10x slower).
CONNECTIONS = int(os.environ.get("CORECACHED_MANY_CONNECTIONS", "10000"))
# Every connection's fiber stack and buffers are released: what stays is the stored items and
# allocator slack (measured +21 MiB). 32 MiB is 3.3 KiB per connection, a third of what one open
# connection costs; leaked stacks or buffers would exceed it.
RSS_RETURN_BOUND_KIB = 32 * 1024
# The open connections must cost memory at all (proves the measurement sees them) and stay far
# below the 256 KiB stack each one reserves: at most 32 KiB resident each.
RSS_PER_CONNECTION_MAX_KIB = 32
# Round trips with all 10,000 in flight, on 2 shared cores (ASan is ~3x slower).
EXCHANGE_TIMEOUT = 60.0 if SANITIZED else 30.0


def current_connections(srv):
    with srv.connect() as s:
        return int(stats(s)["curr_connections"])


def wait_connections(srv, at_most, timeout=15.0):
    """Waits until the server counts at most `at_most` open connections (the caller's included)."""
    deadline = time.monotonic() + timeout
    n = current_connections(srv)
    while n > at_most and time.monotonic() < deadline:
        time.sleep(0.1)
        n = current_connections(srv)
    return n


@pytest.fixture(scope="module")
def big_server(server):
    if not raise_nofile(CONNECTIONS + 512):
        pytest.skip(f"cannot raise RLIMIT_NOFILE to {CONNECTIONS + 512} for the client ends")
    with server.spawn("-c", str(CONNECTIONS + 100)) as srv:
        yield srv


def test_ten_thousand_connections_used_then_released(big_server):
    srv = big_server
    # Warm up: one connection's worth of every lazily created thing (scratch buffers, arenas).
    warm = open_many(srv.address, 200)
    exchange_many(warm, [b"version\r\n"] * len(warm), lambda b: b.endswith(b"\r\n"))
    for s in warm:
        s.close()
    assert wait_connections(srv, 1) == 1
    time.sleep(0.3)
    base = rss_kib(srv.pid)

    started = time.monotonic()
    socks = open_many(srv.address, CONNECTIONS, timeout=EXCHANGE_TIMEOUT)
    try:
        opened = time.monotonic() - started
        # A set, then a get, on every connection. Under a sanitizer the server may shed some
        # (SERVER_ERROR busy, retry in N ms: issue #6's backpressure); those retry.
        sheds = 0
        for phase in ("set", "get"):
            todo = list(range(len(socks)))
            for _ in range(20):
                payloads = []
                for i in todo:
                    key, value = b"many-%d" % i, b"value-%d" % i
                    payloads.append(b"set %s 0 0 %d\r\n%s\r\n" % (key, len(value), value)
                                    if phase == "set" else b"get %s\r\n" % key)
                replies, closed, _ = exchange_many(
                    [socks[i] for i in todo], payloads,
                    lambda b: b.endswith(b"\r\n") if phase == "set" else
                    b.endswith(b"END\r\n") or b.startswith(b"SERVER_ERROR"),
                    timeout=EXCHANGE_TIMEOUT)
                busy = [i for i, r in zip(todo, replies) if r.startswith(b"SERVER_ERROR busy")]
                for i, r, c in zip(todo, replies, closed):
                    key, value = b"many-%d" % i, b"value-%d" % i
                    want = b"STORED\r\n" if phase == "set" else \
                        b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (key, len(value), value)
                    assert r == want or i in busy, \
                        f"{phase} on connection #{i}: {r[:200]!r} (closed={c})"
                sheds += len(busy)
                todo = busy
                if not todo:
                    break
                time.sleep(0.05)
            assert not todo, f"{len(todo)} connections still shed after 20 tries"
        open_now = current_connections(srv)
        assert open_now == CONNECTIONS + 1, f"curr_connections {open_now}, {CONNECTIONS} clients"
        peak = rss_kib(srv.pid)
        print(f"\nopened {CONNECTIONS} in {opened:.1f} s; {sheds} shed and retried; "
              f"RSS base {base} KiB, peak {peak} KiB")
    finally:
        for s in socks:
            s.close()
    left = wait_connections(srv, 1)
    assert left == 1, f"{left - 1} connections still open 15 s after every client closed"
    time.sleep(0.5)  # the last fibers unwind and unmap their stacks
    after = rss_kib(srv.pid)
    print(f"RSS after close {after} KiB (+{after - base} KiB over base)")
    per_connection = (peak - base) / CONNECTIONS
    assert_rss_bound(per_connection, RSS_PER_CONNECTION_MAX_KIB,
                     f"{per_connection:.1f} KiB resident per open connection")
    assert_rss_bound(after - base, RSS_RETURN_BOUND_KIB,
                     f"RSS {after} KiB after all closed, {after - base} KiB over {base} KiB before "
                     f"(peak {peak} KiB); bound {RSS_RETURN_BOUND_KIB} KiB")
    # Still serving, and what the connections stored is there.
    with srv.connect() as s:
        s.sendall(b"get many-0 many-%d\r\n" % (CONNECTIONS - 1))
        buf = b""
        while not buf.endswith(b"END\r\n"):
            chunk = s.recv(4096)
            assert chunk, buf
            buf += chunk
        last = CONNECTIONS - 1
        assert buf == (b"VALUE many-0 0 7\r\nvalue-0\r\n"
                       b"VALUE many-%d 0 %d\r\nvalue-%d\r\nEND\r\n"
                       % (last, len(b"value-%d" % last), last))


def test_server_raises_its_file_limit_for_max_connections(server):
    """memcached raises RLIMIT_NOFILE for -c; so does corecached (max_connections + 256 for its
    own descriptors). Started with a soft limit of 256 and -c 2000, it must hold 2,000 clients."""
    if server.binary and server.is_memcached:
        pytest.skip("memcached sets the limit to -c exactly, leaving its reserved fds out")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2300:
        pytest.skip(f"hard RLIMIT_NOFILE {hard} is below what the test needs")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))  # inherited by the server
    try:
        spawned = server.spawn("-c", "2000")
        srv = spawned.__enter__()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        with open(f"/proc/{srv.pid}/limits") as f:
            line = next(ln for ln in f if ln.startswith("Max open files"))
        assert int(line.split()[3]) >= 2000 + 256, line
        # 2,000 at once, this one included. The server may not have seen the close of the
        # start-up probe yet (a TSan build is slow; one of 2,000 got "Too many open connections"
        # once): wait until this connection is the only one counted, then hold it.
        with srv.connect() as held:
            wait_for(lambda: stats(held)["curr_connections"] == "1",
                     "the start-up probe's connection to close", timeout=15.0)
            socks = open_many(srv.address, 1999)
            try:
                replies, _, _ = exchange_many(socks, [b"version\r\n"] * len(socks),
                                              lambda b: b.endswith(b"\r\n"))
                assert all(r.startswith(b"VERSION ") for r in replies), \
                    [r for r in replies if not r.startswith(b"VERSION ")][:3]
                assert stats(held)["curr_connections"] == "2000"
            finally:
                for s in socks:
                    s.close()
    finally:
        spawned.__exit__(None, None, None)


def test_file_limit_without_root(server):
    """Without root the hard limit cannot be raised: a hard limit of 1100 still runs -c 1024 (with
    a warning: little room for the server's own descriptors), and -c 2000 exits 71 with
    memcached's message, as memcached does below -c."""
    if server.binary is None or server.is_memcached or os.geteuid() != 0:
        pytest.skip("needs root to start the server as nobody, and corecached")
    # The checkout may sit where nobody cannot enter (/root, a mktemp -d directory): run a copy
    # of the binary from a directory nobody can read.
    copy_dir = tempfile.mkdtemp(prefix="cc-nobody-")
    try:
        os.chmod(copy_dir, 0o755)
        binary = shutil.copy(server.binary, os.path.join(copy_dir, "corecached"))
        os.chmod(binary, 0o755)
        run_file_limit_checks(binary)
    finally:
        shutil.rmtree(copy_dir, ignore_errors=True)


def run_file_limit_checks(binary):
    def as_nobody():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1100))
        os.setgid(65534)
        os.setuid(65534)

    def start(conn_limit):
        return subprocess.Popen([binary, "-l", "127.0.0.1", "-p", "-1", "-c", conn_limit],
                                preexec_fn=as_nobody, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")

    refused = start("2000")
    try:
        _, err = refused.communicate(timeout=10)
    finally:
        refused.kill()
    assert refused.returncode == 71, err
    assert b"failed to set rlimit for open files. Try starting as root or requesting smaller " \
           b"maxconns value." in err, err
    ok = start("1024")
    try:
        time.sleep(1.0)
        assert ok.poll() is None, ok.stderr.read()
        with open(f"/proc/{ok.pid}/limits") as f:
            line = next(ln for ln in f if ln.startswith("Max open files"))
        assert line.split()[3:5] == ["1100", "1100"], line
    finally:
        ok.terminate()
        _, err = ok.communicate(timeout=10)
    assert ok.returncode == 0, err
    assert b"leaves little room beside max_connections 1024" in err, err


def test_pipelining_burst_memory_is_given_back(server):
    """500 clients each pipeline 4,000 gets and hang up: while they are open the server holds their
    parsed rounds and buffers (~100 MiB measured); after they close, the server's once-a-second
    malloc_trim (src/server/server.cc ReturnFreedMemory) hands the freed arena pages back, so RSS
    comes back within 24 MiB of where it started (measured before issue #10: 6 MiB -> 8 MiB;
    with shards on the network threads 7 -> 9..27 MiB of a 145-176 MiB peak: per-thread message
    and fiber-stack pools plus arena fragmentation keep more, TODO(#10): find the rest; without
    the trim glibc kept ~150 MiB). Run time ~5 s."""
    if server.is_memcached:
        pytest.skip("corecached's memory return")
    clients = 500
    if not raise_nofile(clients + 64):
        pytest.skip("cannot raise RLIMIT_NOFILE")
    with server.spawn("-c", "1024") as srv:
        start = rss_kib(srv.pid)
        socks = open_many((srv.host, srv.port), clients)
        try:
            burst = b"".join(b"get key%d\r\n" % (i % 50) for i in range(4000))
            for s in socks:
                try:
                    s.send(burst)
                except BlockingIOError:
                    pass
            time.sleep(1.5)
            peak = rss_kib(srv.pid)
        finally:
            for s in socks:
                s.close()
        after = peak
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            time.sleep(0.5)
            after = rss_kib(srv.pid)
            if after < start + 24 * 1024:
                break
        assert_rss_bound(start + 24 * 1024, peak,
                         f"the burst did not cost memory ({start} -> {peak} KiB): test is void")
        assert_rss_bound(after, start + 24 * 1024,
                         f"RSS stayed at {after} KiB after the clients closed (start {start}, "
                         f"peak {peak})")
        with srv.connect() as s:
            # A closed client's connection goes once the server has read what it had sent and
            # seen the reset; under TSan (10x slower) that can outlast the RSS loop above.
            wait_for(lambda: stats(s)["curr_connections"] in ("1", "2"),
                     "the 500 closed clients' connections to close", timeout=30)
