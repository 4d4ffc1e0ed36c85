"""Connection storms (issue #6): past max_connections new clients get memcached's refusal and are
closed, the clients already connected keep working, and once the storm ends new clients are
accepted again. Accepting stays fair across network threads: a burst of clients is served in full
with bounded latency while other clients keep their connections busy.

corecached's gate is exact (src/net/listener.cc: a client is refused when max_connections are
open), so with -c LIMIT exactly LIMIT clients are served. memcached reserves descriptors for itself
(`reserved_fds`) and serves fewer; against it (CORECACHED_BINARY=/usr/bin/memcached) the count is
only checked to lie in 1..LIMIT. The refusal text is compared with Debian's memcached byte for byte.
No per-network-thread figure is exposed in `stats`, so fairness is checked by what a client sees.
Run time ~3 s.
"""

import re
import time

import pytest

from helpers import call, exchange_many, hit, is_closed, open_many, stats, store

TOO_MANY = b"ERROR Too many open connections\r\n"
LIMIT = 64
STORM = 400  # clients arriving at once, 336 past the limit
BURST_LATENCY_BOUND = 5.0  # seconds for a burst client's first round trip, on 2 shared cores


def version_done(buf):
    return buf.startswith(b"VERSION ") and buf.endswith(b"\r\n")


def refusal_from(srv, holders):
    """Fills srv to its limit with `holders` open clients, then returns what one more gets."""
    socks = open_many(srv.address, holders)
    try:
        # memcached serves fewer than -c (reserved_fds): the surplus holders are refused too.
        exchange_many(socks, [b"version\r\n"] * holders, lambda b: b.endswith(b"\r\n"))
        with srv.connect() as s:
            got = call(s, b"version\r\n")
            return got, is_closed(s)
    finally:
        for s in socks:
            s.close()


def test_refusal_matches_memcached(server, reference):
    """Both servers with -c 64 (memcached cannot start with fewer descriptors than its threads
    need): a client past the limit gets the same bytes and is closed."""
    with server.spawn("-c", "64") as ours, reference.spawn("-c", "64") as theirs:
        got_ours = refusal_from(ours, 64)
        got_theirs = refusal_from(theirs, 64)
    assert got_theirs == (TOO_MANY, True), got_theirs
    assert got_ours == got_theirs


def test_storm_past_max_connections(server):
    with server.spawn("-c", str(LIMIT)) as srv:
        # Two long-lived clients with data, connected before the storm.
        early = [srv.connect(), srv.connect()]
        try:
            for i, s in enumerate(early):
                store(s, f"storm-early-{i}", b"kept-%d" % i)
            socks = open_many(srv.address, STORM)
            try:
                replies, closed, _ = exchange_many(
                    socks, [b"version\r\n"] * STORM,
                    lambda b: version_done(b) or b == TOO_MANY, timeout=30)
                served = [i for i, r in enumerate(replies) if version_done(r)]
                refused = [i for i, r in enumerate(replies) if r == TOO_MANY]
                other = [i for i in range(STORM) if i not in set(served) | set(refused)]
                assert not other, f"#{other[0]}: {replies[other[0]][:200]!r}"
                if srv.is_memcached:
                    assert 1 <= len(served) <= LIMIT - len(early), len(served)
                else:
                    assert len(served) == LIMIT - len(early), (len(served), len(refused))
                assert len(served) + len(refused) == STORM
                # Every refused client is closed by the server; no served one is.
                for i in refused:
                    assert closed[i] or is_closed(socks[i], timeout=2), f"refused #{i} left open"
                for i in served[:20]:
                    assert not closed[i]
                # The early clients and the served storm clients keep working.
                for i, s in enumerate(early):
                    assert call(s, b"get storm-early-%d\r\n" % i) == hit(f"storm-early-{i}",
                                                                         b"kept-%d" % i)
                served_socks = [socks[i] for i in served]
                sets = [b"set storm-%d 0 0 1\r\nx\r\n" % i for i in served]
                replies, closed, _ = exchange_many(served_socks, sets,
                                                   lambda b: b.endswith(b"\r\n"))
                assert all(r == b"STORED\r\n" for r in replies), set(replies)
                st = stats(early[0])
                if not srv.is_memcached:
                    assert int(st["rejected_connections"]) >= len(refused), st
                    assert int(st["curr_connections"]) == LIMIT, st
            finally:
                for s in socks:
                    s.close()
            # The storm is over: new clients are accepted again (closes are noticed asynchronously).
            deadline = time.monotonic() + 10
            while True:
                with srv.connect() as s:
                    got = call(s, b"version\r\n")
                if got.startswith(b"VERSION ") or time.monotonic() > deadline:
                    break
                assert got == TOO_MANY, got
                time.sleep(0.05)
            assert got.startswith(b"VERSION "), got
            if srv.is_memcached:
                return  # its reserved descriptors make the exact count below meaningless
            deadline = time.monotonic() + 10
            while int(stats(early[0])["curr_connections"]) > len(early):
                assert time.monotonic() < deadline, "storm connections still counted after 10 s"
                time.sleep(0.05)
            # Every slot is free again: exactly LIMIT clients are served once more.
            again = open_many(srv.address, LIMIT - len(early) + 1)
            try:
                replies, closed, _ = exchange_many(again, [b"version\r\n"] * len(again),
                                                   lambda b: version_done(b) or b == TOO_MANY)
                assert sum(version_done(r) for r in replies) == LIMIT - len(early), replies
                assert replies.count(TOO_MANY) == 1, replies
            finally:
                for s in again:
                    s.close()
        finally:
            for s in early:
                s.close()


BUSY_PAIRS = 200  # set + get pairs each busy client pipelines
BUSY_LINE = re.compile(rb"SERVER_ERROR busy, retry in [0-9]+ ms\r\n")


def busy_replies_done(buf):
    """A busy client's replies are all in: one terminal line per command (a set's STORED, a get's
    END, or a shed command's busy line)."""
    return (buf.count(b"STORED\r\n") + buf.count(b"END\r\n") +
            len(BUSY_LINE.findall(buf))) >= 2 * BUSY_PAIRS


def check_busy_replies(buf):
    """Walks a busy client's replies command by command: a set is STORED or shed, a get finds the
    value its set stored, misses only if that set was shed, or is shed itself. Shedding is the
    server's backpressure (a sanitized build's slow loop trips it); anything else is a bug.
    Returns how many commands were shed."""
    pos, shed = 0, 0
    for i in range(BUSY_PAIRS):
        m = BUSY_LINE.match(buf, pos)
        set_shed = m is not None
        if set_shed:
            pos, shed = m.end(), shed + 1
        else:
            assert buf.startswith(b"STORED\r\n", pos), (i, buf[pos:pos + 80])
            pos += len(b"STORED\r\n")
        m = BUSY_LINE.match(buf, pos)
        if m is not None:
            pos, shed = m.end(), shed + 1
            continue
        want = hit(f"busy-{i}", b"b" * 100)
        if set_shed and buf.startswith(b"END\r\n", pos):
            pos += len(b"END\r\n")
            continue
        assert buf.startswith(want, pos), (i, buf[pos:pos + 80])
        pos += len(want)
    assert pos == len(buf), buf[pos:pos + 80]
    return shed


def test_burst_is_served_fairly_while_others_are_busy(server):
    """Busy clients pipeline on some connections while a burst of 1,000 new clients arrives; every
    burst client is served, the slowest within BURST_LATENCY_BOUND, and the busy clients' replies
    all come back. With round-robin hand-off over the network threads a thread stuck behind the
    busy connections would show up as burst clients that time out or wait seconds.

    A busy client's 28 KB pipeline goes out whole before the burst's requests (a non-blocking send
    may take only part of it: the test once waited for replies to requests never sent), and its
    replies are complete when every command has its terminal line: under TSan the server sheds
    some of them (`SERVER_ERROR busy, retry in N ms`), which is backpressure working, not a hang."""
    with server.spawn("-c", "2000") as srv:
        busy = open_many(srv.address, 8)
        burst = None
        try:
            pipeline = b"".join(b"set busy-%d 0 0 100\r\n%s\r\nget busy-%d\r\n" % (i, b"b" * 100, i)
                                for i in range(BUSY_PAIRS))
            burst_started = time.monotonic()
            burst = open_many(srv.address, 1000)
            for s in busy:
                s.settimeout(30)
                s.sendall(pipeline)
                s.setblocking(False)
            # The busy clients' pipelines are in; the burst's first requests go out now.
            replies, closed, latency = exchange_many(
                busy + burst, [b""] * len(busy) + [b"version\r\n"] * len(burst),
                lambda b: version_done(b) or busy_replies_done(b), timeout=30)
            assert not any(closed)
            shed = [check_busy_replies(r) for r in replies[:len(busy)]]
            burst_latency = latency[len(busy):]
            assert all(version_done(r) for r in replies[len(busy):])
            worst = max(burst_latency)
            print(f"\nburst of 1000 opened+served in {time.monotonic() - burst_started:.2f} s; "
                  f"worst first reply {worst * 1000:.0f} ms; busy commands shed: {shed}")
            assert worst < BURST_LATENCY_BOUND, f"a burst client waited {worst:.2f} s"
        finally:
            for s in busy + (burst or []):
                s.close()


@pytest.mark.parametrize("limit", [1])
def test_limit_of_one(server, limit):
    """-c 1: one client served, the second refused, the first unaffected by the refusal."""
    if server.binary and server.is_memcached:
        pytest.skip("memcached's reserved descriptors make -c 1 refuse everyone")
    with server.spawn("-c", str(limit)) as srv:
        # A client that just left (conftest's warm-up, CORECACHED_WARMUP) frees its slot when the
        # server notices the close: retry the first client briefly.
        deadline = time.monotonic() + 5
        while True:
            first = srv.connect()
            got = call(first, b"version\r\n")
            if got.startswith(b"VERSION ") or time.monotonic() > deadline:
                break
            first.close()
            time.sleep(0.05)
        with first:
            assert got.startswith(b"VERSION "), got
            with srv.connect() as second:
                assert call(second, b"version\r\n") == TOO_MANY
                assert is_closed(second)
            assert call(first, b"version\r\n").startswith(b"VERSION ")

