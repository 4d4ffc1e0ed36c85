"""What memcached's own t/ suite (tag 1.6.18, tests/memcached_t/run.sh) found, pinned here so CI
(which has no memcached source) keeps it: each test replays the t/ file's check as a
differential session against Debian's memcached 1.6.18."""

import os
import re
import struct
import time

import pytest

from conftest import REFERENCE_BINARY, running_server, server_binary
from helpers import call, read_all, stats

# t/stats.t starts memcached with these: a 1 KB item limit (memcached needs slab_chunk_max to
# follow -I below its default); corecached ignores slab_chunk_max.
SMALL_ITEMS = ("-I", "1024", "-o", "slab_chunk_max=1024")


def _both(*extra):
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"reference server {REFERENCE_BINARY} not installed")
    return running_server(server_binary(), *extra), running_server(REFERENCE_BINARY, *extra)


def _too_large_session(server):
    """Each refused storage command's reply and store_too_large after it."""
    big = b"B" * 2048
    requests = [
        b"set k 0 0 2048\r\n" + big + b"\r\n",
        b"add k 0 0 2048\r\n" + big + b"\r\n",
        b"append k 0 0 2048\r\n" + big + b"\r\n",
        b"cas k 0 0 2048 1\r\n" + big + b"\r\n",
        b"set k 0 0 1000 noreply\r\n" + big[:1000] + b"\r\n",  # key + header over -I
        b"ms k 2048 T0\r\n" + big + b"\r\n",
        b"set small 0 0 1\r\nx\r\n",  # stored: not counted
    ]
    out = []
    with server.connect() as s:
        for req in requests:
            reply = call(s, req + b"mn\r\n", until=b"MN\r\n")
            out.append((req[:24], reply, stats(s)["store_too_large"]))
    # Binary (a connection of its own): memcached answers "Too large." and does not count it.
    with server.connect() as b:
        key, extras = b"k", struct.pack(">II", 0, 0)
        header = struct.pack(">BBHBBHIIQ", 0x80, 0x01, len(key), len(extras), 0, 0,
                             len(extras) + len(key) + len(big), 0, 0)
        b.sendall(header + extras + key + big)
        reply = read_all(b, idle=0.2)
    with server.connect() as s:
        out.append((b"binary set", reply[:8] + reply[24:], stats(s)["store_too_large"]))
    return out


def test_store_too_large_counts_parser_refusals():
    """t/stats.t 'recorded store failure due to value too large': a text or meta storage
    command whose length is over -I is refused before any store sees it, and memcached counts
    it in store_too_large; corecached counted only refusals made by a shard."""
    ours, ref = _both(*SMALL_ITEMS)
    with ours as server, ref as reference:
        got, want = _too_large_session(server), _too_large_session(reference)
    assert got == want
    assert [row[2] for row in want] == ["1", "2", "3", "4", "5", "6", "6", "6"]


def _close_reasons(server):
    """The reason of each conn_close line `watch connevents` logs, for clients that leave in
    different ways (one at a time, so the lines come in this order)."""
    endings = [
        (b"version\r\n", True),            # the client closes: normal
        (b"quit\r\n", False),              # quit: normal
        (b"GET / HTTP/1.1\r\n", False),    # an HTTP request line: memcached closes, error
        (b"", False),                      # says nothing until -o idle_timeout: idle_timeout
    ]
    w = server.connect()
    w.settimeout(5)
    assert call(w, b"watch connevents\r\n", until=lambda b: b.endswith(b"\r\n")) == b"OK\r\n"
    reasons = []
    for payload, client_closes in endings:
        c = server.connect(timeout=5)
        if payload:
            c.sendall(payload)
        if client_closes:
            read_all(c, idle=0.2)
        else:
            c.settimeout(4)  # until the server closes (idle_timeout=1 acts within 4 s)
            while c.recv(4096):
                pass
        c.close()
        lines = b""
        for _ in range(50):  # conn_new and conn_close, within 5 s
            lines += w.recv(4096)
            if lines.count(b"type=conn_close") >= 1:
                break
        reasons.append(re.search(rb" reason=(\S+)", lines).group(1).decode())
    w.close()
    return reasons


def test_conn_close_reasons():
    """t/watcher.t 'logged closed connection due to client protocol error': memcached logs
    reason=error for a connection it closes on a protocol error, normal when the client leaves
    or quits, idle_timeout for an idle kick; corecached logged normal for all of them."""
    ours, ref = _both("-o", "idle_timeout=1")
    with ours as server, ref as reference:
        got, want = _close_reasons(server), _close_reasons(reference)
    assert want == ["normal", "normal", "error", "idle_timeout"]
    assert got == want


def _store_over_dead(servers, first, then):
    """`first` stored on each server, 2.2 s (its 1 s TTL passes), then `then`; the replies and
    the counters memcached moves, per server."""
    socks = [srv.connect() for srv in servers]
    for s in socks:
        call(s, first + b"mn\r\n", until=b"MN\r\n")
    time.sleep(2.2)
    out = []
    wanted = ("reclaimed", "expired_unfetched", "get_expired", "get_flushed", "curr_items")
    for s in socks:
        replies = call(s, then + b"mn\r\n", until=b"MN\r\n")
        general, items = stats(s), stats(s, b"items")
        s.close()
        out.append((replies, {k: general[k] for k in wanted},
                    {k: v for k, v in items.items()
                     if k.endswith((":reclaimed", ":expired_unfetched"))}))
    return out


# The expired key alone (the oldest item); then behind a live item, so not at the tail. -t 1: one
# shard for corecached (memcached's LRU tail is one per class, corecached's one per shard).
DEAD_CASES = [
    (b"set key 0 1 1\r\n1\r\n", b"set key 0 0 1\r\n2\r\n"),
    (b"set other 0 0 1\r\n1\r\nset key 0 1 1\r\n1\r\n", b"set key 0 0 1\r\n2\r\n"),
    (b"set other 0 0 1\r\n1\r\nset key 0 1 1\r\n1\r\n", b"append key 0 0 1\r\n2\r\nset key 0 0 1\r\n2\r\n"),
    (b"set key 0 0 1\r\n1\r\nflush_all\r\n", b"set key 0 0 1\r\n2\r\n"),
]


@pytest.mark.parametrize("first,then", DEAD_CASES)
def test_store_over_dead_item_counts_as_memcached(first, then):
    """t/issue_163.t and t/issue_183.t ('Objects should be reclaimed'): memcached allocates the
    new item before its lookup, and allocation frees dead items off the LRU tail (reclaimed);
    a dead item the lookup finds instead counts in get_expired/get_flushed. corecached replaced
    the dead item without counting either."""
    ours, ref = _both("-t", "1")
    with ours as server, ref as reference:
        got, want = _store_over_dead((server, reference), first, then)
    assert got == want
