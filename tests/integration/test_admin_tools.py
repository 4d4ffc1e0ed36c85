"""Operators' tools against the server (issue #11): Debian's memcached-tool (display, stats,
settings, sizes, dump, keys), memcdump, memcstat --args=items|slabs, and a scrape exactly as
memcached_exporter does it (one connection: stats, stats settings, stats items, stats slabs, each
read until END, every STAT line parsed). Each tool runs with a bounded timeout."""

import os
import re
import shutil
import subprocess

import pytest

from helpers import call

MEMCACHED_TOOL = "/usr/share/memcached/scripts/memcached-tool"
TOOL_TIMEOUT = 20
N_ITEMS = 200


def _run(args):
    try:
        done = subprocess.run(args, capture_output=True, timeout=TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{args} did not finish in {TOOL_TIMEOUT} s")
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout.decode(errors="replace")


@pytest.fixture(scope="module")
def filled(server):
    """N_ITEMS keys of growing sizes (several size classes); returns {key: value}."""
    items = {f"tool-{i:04d}": b"v" * (i * 7) for i in range(N_ITEMS)}
    with server.connect() as s:
        call(s, b"flush_all\r\n")
        payload = b"".join(b"set %s 0 0 %d\r\n%s\r\n" % (k.encode(), len(v), v)
                           for k, v in items.items())
        got = call(s, payload, until=b"STORED\r\n", count=N_ITEMS)
        assert got.count(b"STORED\r\n") == N_ITEMS
    return items


def _tool(server, command):
    if not os.access(MEMCACHED_TOOL, os.X_OK) and not os.path.exists(MEMCACHED_TOOL):
        pytest.skip(f"{MEMCACHED_TOOL} not installed (Debian package memcached)")
    return _run(["perl", MEMCACHED_TOOL, f"{server.host}:{server.port}", command])


def test_memcached_tool_display(server, filled):
    out = _tool(server, "display").replace("\r", "")
    rows = [line.split() for line in out.splitlines()[1:] if line.strip()]
    assert rows, out
    # columns: #  Item_Size  Max_age  Pages  Count  Full?  Evicted  Evict_Time  OOM
    assert sum(int(r[4]) for r in rows) == N_ITEMS, out
    assert rows[0][1] == "96B"


def test_memcached_tool_stats_and_settings(server, filled):
    stats = _tool(server, "stats").replace("\r", "")
    assert re.search(r"^\s+curr_items\s+%d$" % N_ITEMS, stats, re.M), stats
    settings = _tool(server, "settings").replace("\r", "")
    for field in ("maxbytes", "growth_factor", "chunk_size", "item_size_max", "lru_crawler"):
        assert re.search(r"^\s+%s\s+\S+$" % field, settings, re.M), (field, settings)


def test_memcached_tool_sizes(server, filled):
    out = _tool(server, "sizes")
    assert "sizes_status" in out and "disabled" in out, out


def test_memcached_tool_dump_and_keys(server, filled):
    dump = _tool(server, "dump").replace("\r", "")
    dumped = dict(re.findall(r"^add (\S+) \d+ \d+ (\d+)$", dump, re.M))
    assert set(dumped) == set(filled)
    assert all(int(dumped[k]) == len(filled[k]) for k in filled)
    keys = _tool(server, "keys").replace("\r", "")
    listed = set(re.findall(r"^key=(\S+) exp=", keys, re.M))
    assert listed == set(filled)


def _libmemcached_tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (Debian package libmemcached-tools)")
    return path


def test_memcdump_lists_every_key(server, filled):
    out = _run([_libmemcached_tool("memcdump"), f"--servers={server.host}:{server.port}"])
    listed = set(out.split())
    assert listed <= set(filled)
    # memcdump uses `stats cachedump`, which in memcached lists only each class's HOT LRU: keys
    # that aged into WARM/COLD are missing there. corecached lists every key.
    if not server.is_memcached:
        assert listed == set(filled)


@pytest.mark.parametrize("group", ["items", "slabs"])
def test_memcstat_args(server, filled, group):
    out = _run([_libmemcached_tool("memcstat"), f"--servers={server.host}:{server.port}",
                f"--args={group}"])
    pairs = dict(re.findall(r"^\s+(\S+): (\S+)$", out, re.M))
    assert pairs, out
    if group == "items":
        assert sum(int(v) for k, v in pairs.items() if k.endswith(":number")) == N_ITEMS
    else:
        assert sum(int(v) for k, v in pairs.items() if k.endswith(":used_chunks")) == N_ITEMS
        assert "active_slabs" in pairs and "total_malloced" in pairs


def _read_until_end(sock):
    buf = call(sock, b"", until=b"END\r\n")
    lines = buf.split(b"\r\n")
    assert lines[-2:] == [b"END", b""], buf[-200:]
    parsed = {}
    for line in lines[:-2]:
        parts = line.split(b" ")
        assert parts[0] == b"STAT" and len(parts) == 3, line
        parsed[parts[1].decode()] = parts[2].decode()
    return parsed


def test_exporter_scrape(server, filled):
    """memcached_exporter's Collect: one connection, four commands, each read until END."""
    with server.connect() as s:
        replies = {}
        for group in (b"", b"settings", b"items", b"slabs"):
            s.sendall(b"stats" + (b" " + group if group else b"") + b"\r\n")
            replies[group] = _read_until_end(s)
    assert int(replies[b""]["curr_items"]) == N_ITEMS
    assert int(replies[b""]["limit_maxbytes"]) == int(replies[b"settings"]["maxbytes"])
    assert replies[b"settings"]["evictions"] == "on"
    numbers = [int(v) for k, v in replies[b"items"].items() if re.fullmatch(r"items:\d+:number", k)]
    assert sum(numbers) == N_ITEMS
    for k, v in replies[b"items"].items():
        assert re.fullmatch(r"items:\d+:\w+", k) and v.lstrip("-").isdigit(), (k, v)
    used = [int(v) for k, v in replies[b"slabs"].items() if k.endswith(":used_chunks")]
    assert sum(used) == N_ITEMS
