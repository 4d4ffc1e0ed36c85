"""memcached's admin commands, differential against Debian's memcached 1.6.18 (issue #11).

One-line replies are compared byte for byte; STAT tables by field names and order, with values
compared exactly where the figure means the same on both servers and by shape (a number) where it
legitimately differs (memcached's segmented LRU, its slab pages, timestamps). Both servers run with
-A so that `shutdown <mode>` answers instead of being refused."""

import re
import os
import struct

import pytest

from conftest import REFERENCE_BINARY, running_server, server_binary
from helpers import call, wait_for

N_KEYS_LONG_GET = 18725


@pytest.fixture(scope="module")
def pair():
    if os.environ.get("CORECACHED_TEST_SERVER"):
        pytest.skip("needs its own instances (started with -A)")
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"reference server {REFERENCE_BINARY} not installed")
    with running_server(server_binary(), "-A") as ours, \
            running_server(REFERENCE_BINARY, "-A") as ref:
        yield ours, ref


def exchange(server, payload, until):
    with server.connect() as s:
        return call(s, payload, until=until)


def one_line(server, payload):
    with server.connect() as s:
        return call(s, payload, until=b"\r\n")


ONE_LINE = [
    b"slabs automove 0\r\n", b"slabs automove 1\r\n", b"slabs automove 2\r\n",
    b"slabs automove 3\r\n", b"slabs automove invalid\r\n", b"slabs automove\r\n",
    b"slabs automove ratio 0.5\r\n", b"slabs reassign 1 2\r\n", b"slabs reassign 1 1\r\n",
    b"slabs reassign 99 2\r\n", b"slabs reassign -1 2\r\n", b"slabs reassign x 2\r\n",
    b"slabs reassign 1\r\n", b"slabs bogus\r\n", b"slabs\r\n",
    b"lru tune 10 25 0.1 2\r\n", b"lru tune 50 40 0.1 2\r\n", b"lru tune 10 25 0 2\r\n",
    b"lru tune 10 25 0.1\r\n", b"lru tune x 25 0.1 2\r\n", b"lru mode flat\r\n",
    b"lru mode segmented\r\n", b"lru mode bogus\r\n", b"lru temp_ttl -1\r\n",
    b"lru temp_ttl x\r\n", b"lru bogus\r\n", b"lru\r\n",
    b"lru_crawler crawl all\r\n", b"lru_crawler crawl 1,2\r\n", b"lru_crawler crawl 63\r\n",
    b"lru_crawler crawl 0\r\n", b"lru_crawler crawl 64\r\n", b"lru_crawler crawl 1,x\r\n",
    b"lru_crawler crawl\r\n", b"lru_crawler metadump 99\r\n", b"lru_crawler metadump bogus\r\n",
    b"lru_crawler metadump\r\n", b"lru_crawler sleep 100\r\n",
    b"lru_crawler sleep 9999999\r\n", b"lru_crawler sleep x\r\n", b"lru_crawler tocrawl 0\r\n",
    b"lru_crawler tocrawl x\r\n", b"lru_crawler bogus\r\n", b"lru_crawler\r\n",
    b"lru_crawler enable\r\n",
    b"cache_memlimit 1\r\n", b"cache_memlimit x\r\n", b"cache_memlimit\r\n",
    b"cache_memlimit 2000000000\r\n", b"cache_memlimit 64\r\n",
    b"stats detail\r\n", b"stats detail bogus\r\n", b"stats detail on\r\n",
    b"stats detail off\r\n", b"stats cachedump\r\n", b"stats cachedump x 0\r\n",
    b"stats cachedump 64 0\r\n", b"stats cachedump -1 0\r\n", b"stats reset\r\n",
    b"stats bogus\r\n", b"watch bogus\r\n",
    b"shutdown bogus\r\n", b"shutdown graceful now\r\n",
    b"verbosity\r\n", b"verbosity x\r\n", b"verbosity 1 2 3\r\n", b"verbosity 0\r\n",
]


@pytest.mark.parametrize("payload", ONE_LINE, ids=[p.decode().strip() for p in ONE_LINE])
def test_one_line_reply(pair, payload):
    ours, ref = pair
    assert one_line(ours, payload) == one_line(ref, payload)


def _crawler_is(server, state):
    return dict(stat_list(server, b"settings"))["lru_crawler"] == state


def test_crawler_enable_disable_sequence(pair):
    """memcached starts and stops its crawler thread asynchronously: each step waits until both
    servers report the new state before the next command."""
    steps = [(b"lru_crawler disable\r\n", "no"), (b"lru_crawler disable\r\n", "no"),
             (b"lru_crawler metadump all\r\n", None), (b"lru_crawler crawl all\r\n", None),
             (b"lru_crawler enable\r\n", "yes"), (b"lru_crawler enable\r\n", "yes")]
    try:
        for cmd, state in steps:
            got = [one_line(server, cmd) for server in pair]
            assert got[0] == got[1], cmd
            for server in pair if state else ():
                wait_for(lambda srv=server: _crawler_is(srv, state), f"lru_crawler {state}")
        assert got[0].startswith(b"ERROR")
    finally:
        for server in pair:
            one_line(server, b"lru_crawler enable\r\n")
            wait_for(lambda srv=server: _crawler_is(srv, "yes"), "lru_crawler yes")


def test_noreply_admin_is_silent(pair):
    payload = (b"slabs automove 1 noreply\r\ncache_memlimit 64 noreply\r\n"
               b"lru temp_ttl 0 noreply\r\nversion\r\n")
    for server in pair:
        with server.connect() as s:
            assert call(s, payload, until=b"\r\n").startswith(b"VERSION ")


def test_stats_sizes(pair):
    ours, ref = pair
    assert exchange(ours, b"stats sizes\r\n", until=b"END\r\n") == \
        exchange(ref, b"stats sizes\r\n", until=b"END\r\n")


def stat_list(server, group):
    raw = exchange(server, b"stats %s\r\n" % group if group else b"stats\r\n", until=b"END\r\n")
    rows = []
    for line in raw.split(b"\r\n")[:-2]:
        parts = line.decode().split(" ", 2)
        assert parts[0] == "STAT" and len(parts) == 3, line
        rows.append((parts[1], parts[2]))
    return rows


def test_stats_settings_keys_order_and_values(pair):
    ours, ref = pair
    mine, theirs = stat_list(ours, b"settings"), stat_list(ref, b"settings")
    names = [n for n, _ in theirs]
    # Every memcached key, in memcached's order; corecached's own keys follow.
    assert [n for n, _ in mine[:len(names)]] == names
    # Values differ only where the servers legitimately do.
    # tcpport: memcached prints -1 for -p -1 (an ephemeral port), corecached the bound port.
    # reqs_per_event: corecached's default round is 256 requests (memcached -R 20).
    # ssl_chain_cert/ssl_key without -Z: memcached prints "(null)", the TLS settings "NULL".
    differ = {"tcpport", "hash_algorithm", "reqs_per_event", "ssl_chain_cert", "ssl_key"}
    mismatched = {n for (n, a), (_, b) in zip(mine, theirs) if a != b}
    assert mismatched <= differ, {n: (dict(mine)[n], dict(theirs)[n]) for n in mismatched}


def test_settings_follow_admin_commands(pair):
    ours, ref = pair
    payload = (b"lru tune 10 25 0.1 2\r\nlru mode flat\r\nlru temp_ttl 5\r\nslabs automove 2\r\n"
               b"lru_crawler sleep 50\r\nlru_crawler tocrawl 7\r\ncache_memlimit 100\r\n")
    watched = ("hot_lru_pct", "warm_lru_pct", "hot_max_factor", "warm_max_factor", "lru_segmented",
               "temp_lru", "temporary_ttl", "slab_automove", "lru_crawler_sleep",
               "lru_crawler_tocrawl", "maxbytes")
    try:
        for server in pair:
            with server.connect() as s:
                assert call(s, payload, until=b"OK\r\n", count=7).count(b"OK\r\n") == 7
        a, b = dict(stat_list(ours, b"settings")), dict(stat_list(ref, b"settings"))
        assert {k: a[k] for k in watched} == {k: b[k] for k in watched}
        assert dict(stat_list(ours, b""))["limit_maxbytes"] == str(100 << 20)
    finally:
        restore = (b"lru tune 20 40 0.2 2\r\nlru mode segmented\r\nlru temp_ttl -1\r\n"
                   b"slabs automove 1\r\nlru_crawler sleep 100\r\nlru_crawler tocrawl 0\r\n"
                   b"cache_memlimit 64\r\n")
        for server in pair:
            with server.connect() as s:
                call(s, restore, until=b"OK\r\n", count=7)


ITEMS = [(b"adm-small", b"x" * 3, 5), (b"adm-zero", b"xy", 0), (b"adm-mid", b"m" * 500, 0),
         (b"adm-big", b"b" * 5000, 1), (b"adm-exp", b"e" * 20, 0)]

# memcached-only figures: its segmented LRU (hot/warm/cold), crawler and LRU-maintainer activity,
# and ages (timing). Compared as numbers only.
SHAPE_ONLY = re.compile(r"^items:\d+:(number_hot|number_warm|number_cold|age_hot|age_warm|age|"
                        r"hits_to_\w+|moves_\w+|crawler_\w+|lrutail_reflocked|direct_reclaims)$")


def seed_items(server):
    with server.connect() as s:
        call(s, b"flush_all\r\n")
        for key, value, flags in ITEMS:
            exptime = 1000 if key == b"adm-exp" else 0
            assert call(s, b"set %s %d %d %d\r\n%s\r\n" % (key, flags, exptime, len(value), value)) \
                == b"STORED\r\n"
        call(s, b"get adm-small adm-big\r\n")


def test_stats_items_and_slabs(pair):
    ours, ref = pair
    for server in pair:
        seed_items(server)
    for group in (b"items", b"slabs"):
        mine, theirs = stat_list(ours, group), stat_list(ref, group)
        assert [n for n, _ in mine] == [n for n, _ in theirs], group
        for (name, a), (_, b) in zip(mine, theirs):
            if SHAPE_ONLY.match(name):
                assert a.isdigit() and b.isdigit(), (name, a, b)
            else:
                assert a == b, (name, a, b)


def normalise_dump(raw):
    raw = re.sub(rb"la=\d+", b"la=<t>", raw)
    raw = re.sub(rb"exp=(?!-1)\d+", b"exp=<t>", raw)
    raw = re.sub(rb"cas=\d+", b"cas=<n>", raw)
    raw = re.sub(rb"; \d{6,} s\]", b"; <t> s]", raw)
    lines = raw.split(b"\n")
    body, tail = lines[:-2], lines[-2:]
    return sorted(body), tail


@pytest.mark.parametrize("command", [b"lru_crawler metadump all\r\n",
                                     b"lru_crawler metadump 1\r\n",
                                     b"lru_crawler metadump 1,2,3\r\n",
                                     b"lru_crawler metadump hash\r\n",
                                     b"stats cachedump 1 0\r\n", b"stats cachedump 1 1\r\n",
                                     b"stats cachedump 30 0\r\n"])
def test_dumps(pair, command):
    ours, ref = pair
    for server in pair:
        seed_items(server)
    mine = exchange(ours, command, until=b"END\r\n")
    theirs = exchange(ref, command, until=b"END\r\n")
    if command.startswith(b"stats cachedump"):
        # memcached lists only each class's HOT LRU, which its LRU maintainer may already have
        # emptied into COLD; corecached lists every item of the class (up to the limit).
        line = re.compile(rb"ITEM \S+ \[\d+ b; (\d+|<t>) s\]")
        mine_lines, theirs_lines = normalise_dump(mine), normalise_dump(theirs)
        assert mine_lines[1] == theirs_lines[1] == [b"END\r", b""]
        if not command.endswith(b" 1\r\n"):  # with a limit, each lists its first items
            assert set(theirs_lines[0]) <= set(mine_lines[0])
        assert all(line.fullmatch(x.rstrip(b"\r")) for x in mine_lines[0])
        want = {b"stats cachedump 1 0\r\n": 3, b"stats cachedump 1 1\r\n": 1}.get(command, 0)
        assert len(mine_lines[0]) == want
        return
    assert normalise_dump(mine) == normalise_dump(theirs)


def test_binary_unknown_opcode(pair):
    """memcached 1.6.18 answers an unknown opcode with status 0x0081 and keeps the connection."""
    ours, ref = pair
    hdr = struct.pack(">BBHBBHIIQ", 0x80, 0x7F, 0, 0, 0, 0, 3, 0xDEADBEEF, 0) + b"abc"
    noop = struct.pack(">BBHBBHIIQ", 0x80, 0x0A, 0, 0, 0, 0, 0, 1, 0)
    replies = []
    for server in pair:
        with server.connect() as s:
            s.sendall(hdr + noop)
            replies.append(call(s, b"", until=lambda b: len(b) >= 24 + 15 + 24))
    assert replies[0] == replies[1]


def test_get_line_with_18725_keys(pair):
    """One 190 KB+ get line through a raw socket: every value answered, as memcached does."""
    ours, ref = pair
    keys = [b"k:%06d:%s" % (i, b"z" * 3) for i in range(N_KEYS_LONG_GET)]
    setup = b"".join(b"set %s 0 0 %d noreply\r\n%s\r\n" % (k, len(k), k) for k in keys)
    line = b"get " + b" ".join(keys) + b"\r\n"
    assert len(line) > 190_000
    got = []
    for server in pair:
        with server.connect(timeout=30) as s:
            s.sendall(b"flush_all noreply\r\n" + setup + line)
            got.append(call(s, b"", until=b"END\r\n", timeout=30))
    assert got[0].count(b"VALUE ") == N_KEYS_LONG_GET
    assert got[0] == got[1]


def test_stats_detail_dump(pair):
    """Per-prefix counts while detail is on (memcached lists prefixes in hash order: compared
    sorted), kept after `stats detail off`, cleared by `stats reset`."""
    payload = (b"stats reset\r\nstats detail on\r\nset dp:1 0 0 1\r\nx\r\n"
               b"get dp:1 dp:2 dq:1 nope\r\ndelete dp:1\r\nstats detail off\r\nget dp:1\r\n"
               b"stats detail dump\r\n")
    dumps = []
    for server in pair:
        with server.connect() as s:
            raw = call(s, payload, until=lambda b: b.count(b"END\r\n") >= 3)
            dumps.append(sorted(line for line in raw.split(b"\r\n") if line.startswith(b"PREFIX")))
            after = call(s, b"stats reset\r\nstats detail dump\r\n", until=b"END\r\n")
            assert after == b"RESET\r\nEND\r\n"
    assert dumps[0] == dumps[1]
    assert dumps[0] == [b"PREFIX dp get 2 hit 1 set 1 del 1", b"PREFIX dq get 1 hit 0 set 0 del 0"]
