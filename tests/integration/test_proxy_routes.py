"""Proxy mode (issue #13): routes by key prefix (first match), mirror pools receive writes
asynchronously (not reads), and the local cache serves a hot key for at most ttl_ms and drops it
on writes through the proxy."""

import time

import pylibmc
import pytest

from helpers import call, wait_for
from proxy_fleet import addr, need_binaries, proxy, upstreams

TTL_MS = 400


@pytest.fixture(scope="module")
def fleet():
    need_binaries()
    with upstreams(3) as ups:
        yield ups


@pytest.fixture(scope="module")
def px(fleet, tmp_path_factory):
    main, sessions, dr = fleet
    yaml = f"""\
proxy:
  pools:
    main:
      servers: ["{addr(main)}"]
    sessions:
      servers: ["{addr(sessions)}"]
    sessions_dr:
      servers: ["{addr(dr)}"]
  default_pool: main
  routes:
    - prefix: "sess:"
      pool: sessions
      mirror: [sessions_dr]
    - prefix: "s"
      pool: main
    - prefix: "hot:"
      pool: sessions
  local_cache:
    enabled: true
    ttl_ms: {TTL_MS}
"""
    with proxy(tmp_path_factory.mktemp("routes"), yaml) as s:
        yield s


def get(server, key):
    return pylibmc.Client([addr(server)]).get(key)


def test_routes_by_prefix_first_match(fleet, px):
    main, sessions, dr = fleet
    with px.connect() as s:
        for k in ("sess:1", "s1", "plain", "hot:1"):
            assert call(s, f"set {k} 0 0 1\r\nx\r\n".encode()) == b"STORED\r\n"
    assert get(sessions, "sess:1") == b"x" and get(main, "sess:1") is None
    assert get(main, "s1") == b"x" and get(sessions, "s1") is None   # "sess:" does not match
    assert get(main, "plain") == b"x"
    assert get(sessions, "hot:1") == b"x"


def test_mirror_receives_writes_not_reads(fleet, px):
    main, sessions, dr = fleet
    with px.connect() as s:
        assert call(s, b"set sess:m 0 0 2\r\nv1\r\n") == b"STORED\r\n"
        wait_for(lambda: get(dr, "sess:m") == b"v1", "the mirror write")
        assert call(s, b"delete sess:m\r\n") == b"DELETED\r\n"
        wait_for(lambda: get(dr, "sess:m") is None, "the mirrored delete")
        # Reads never go to the mirror: a key only the mirror has misses through the proxy.
        pylibmc.Client([addr(dr)]).set("sess:only-dr", "d")
        assert call(s, b"get sess:only-dr\r\n") == b"END\r\n"


def test_local_cache_hit_expiry_and_invalidation(fleet, px):
    main = fleet[0]
    with px.connect() as s:
        assert call(s, b"set lc 0 0 2\r\nv1\r\n") == b"STORED\r\n"
        assert call(s, b"get lc\r\n") == b"VALUE lc 0 2\r\nv1\r\nEND\r\n"  # fills the cache
        filled = time.monotonic()
        with main.connect() as d:  # behind the proxy's back
            assert call(d, b"set lc 1 0 2\r\nv2\r\n") == b"STORED\r\n"
        stale = call(s, b"get lc\r\n")
        if time.monotonic() - filled < TTL_MS / 1000 * 0.8:
            assert stale == b"VALUE lc 0 2\r\nv1\r\nEND\r\n"  # served locally
        wait_for(lambda: call(s, b"get lc\r\n") == b"VALUE lc 1 2\r\nv2\r\nEND\r\n",
                 "the local copy to expire", timeout=TTL_MS / 1000 + 2)
        # A write through the proxy drops the local copy at once.
        assert call(s, b"get lc\r\n").endswith(b"v2\r\nEND\r\n")
        assert call(s, b"set lc 0 0 2\r\nv3\r\n") == b"STORED\r\n"
        assert call(s, b"get lc\r\n") == b"VALUE lc 0 2\r\nv3\r\nEND\r\n"
        assert call(s, b"delete lc\r\n") == b"DELETED\r\n"
        assert call(s, b"get lc\r\n") == b"END\r\n"
        stats = call(s, b"stats proxy\r\n").decode()
    hits = int(stats.split("STAT local_cache_hits ")[1].split("\r\n")[0])
    assert hits >= 1
