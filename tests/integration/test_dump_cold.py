"""Dumps list cold keys too (issue #11): with a small -m and a cold tier, most keys live only in
the shard's cold index; memcdump (stats cachedump), lru_crawler metadump and memcached-tool dump
must still list every key, each once."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from conftest import running_server, server_binary
from helpers import call, stats

pytestmark = pytest.mark.skipif(
    os.path.basename(server_binary()).startswith("memcached"), reason="corecached only")

MEMORY_MB = 8
VALUE = b"v" * 8000
N_KEYS = 3000  # about 24 MB of values: three times -m
TOOL_TIMEOUT = 30
MEMCACHED_TOOL = "/usr/share/memcached/scripts/memcached-tool"


@pytest.fixture(scope="module")
def cold_server():
    with tempfile.TemporaryDirectory() as d, \
            running_server(server_binary(), "-m", MEMORY_MB, "--cold-tier-path", d) as srv:
        client = srv.client()
        keys = [f"cold:{i}" for i in range(N_KEYS)]
        for k in keys:
            assert client.set(k, VALUE), k
        srv.keys = set(keys)
        yield srv


def _cold_items(srv):
    sock = srv.connect()
    try:
        return int(stats(sock)["cold_items"])
    finally:
        sock.close()


def test_most_keys_are_cold(cold_server):
    assert _cold_items(cold_server) > N_KEYS // 2


def test_memcdump_lists_cold_keys(cold_server):
    memcdump = shutil.which("memcdump")
    if memcdump is None:
        pytest.skip("memcdump not installed (Debian package libmemcached-tools)")
    out = subprocess.run([memcdump, f"--servers={cold_server.host}:{cold_server.port}"],
                         capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=True).stdout
    listed = out.split()
    assert len(listed) == len(set(listed)), "a key listed twice"
    assert set(listed) == cold_server.keys


def test_metadump_lists_cold_keys(cold_server):
    sock = cold_server.connect()
    try:
        data = call(sock, b"lru_crawler metadump all\r\n", until=b"END\r\n")
    finally:
        sock.close()
    assert data.endswith(b"END\r\n"), data[-200:]
    lines = re.findall(rb"^key=(\S+) exp=-1 la=\d+ cas=\d+ fetch=(yes|no) cls=\d+ size=(\d+)$",
                       data, re.M)
    keys = [urllib.parse.unquote(k.decode()) for k, _, _ in lines]  # metadump URI-encodes keys
    assert len(keys) == len(set(keys))
    assert set(keys) == cold_server.keys
    assert all(int(size) > len(VALUE) for _, _, size in lines)


def test_cachedump_bad_class_still_refused(cold_server):
    sock = cold_server.connect()
    try:
        assert call(sock, b"stats cachedump 200 0\r\n") == b"CLIENT_ERROR Illegal slab id\r\n"
        assert call(sock, b"stats cachedump x 0\r\n") == \
            b"CLIENT_ERROR bad command line format\r\n"
    finally:
        sock.close()


def test_memcached_tool_dump_lists_cold_keys(cold_server):
    if not os.path.exists(MEMCACHED_TOOL):
        pytest.skip("memcached-tool not installed (Debian package memcached)")
    out = subprocess.run(["perl", MEMCACHED_TOOL, f"{cold_server.host}:{cold_server.port}",
                          "dump"], capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                         check=True).stdout
    dumped = re.findall(r"^add (\S+) \d+ \d+ (\d+)$", out.replace("\r", ""), re.M)
    assert {k for k, _ in dumped} == cold_server.keys
    assert all(int(n) == len(VALUE) for _, n in dumped)


def test_crawl_reclaims_expired_cold_items():
    """lru_crawler crawl frees expired cold entries too (from the index; no value is read)."""
    with tempfile.TemporaryDirectory() as d, \
            running_server(server_binary(), "-m", MEMORY_MB, "--cold-tier-path", d) as srv:
        client = srv.client()
        for i in range(N_KEYS):
            assert client.set(f"short:{i}", VALUE, expire=2)
        cold = _cold_items(srv)
        assert cold > N_KEYS // 2
        time.sleep(2.5)  # every item is past its exptime
        sock = srv.connect()
        try:
            assert call(sock, b"lru_crawler crawl all\r\n") == b"OK\r\n"
            after = stats(sock)
            assert int(after["cold_items"]) == 0
            assert int(after["crawler_reclaimed"]) >= cold
            assert call(sock, b"lru_crawler metadump all\r\n", until=b"END\r\n") == b"END\r\n"
        finally:
            sock.close()
