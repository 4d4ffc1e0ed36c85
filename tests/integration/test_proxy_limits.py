"""Proxy mode (issue #13): a server that accepts and never answers times out into SERVER_ERROR;
the in-flight bound sheds with a retry hint; keys a text request cannot carry travel base64;
per-server Prometheus figures."""

import socket
import urllib.request

import pytest

from helpers import call
from proxy_fleet import addr, need_binaries, proxy, upstreams


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_silent_server_times_out(tmp_path):
    need_binaries()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel completes connects; nobody ever reads or answers
    try:
        port = silent.getsockname()[1]
        yaml = f"""\
proxy:
  pools:
    main:
      servers: ["127.0.0.1:{port}"]
      timeout_ms: 150
      server_failure_limit: 0
"""
        with proxy(tmp_path, yaml) as px, px.connect() as s:
            assert call(s, b"get a\r\n") == b"SERVER_ERROR backend failure\r\n"
            assert call(s, b"set a 0 0 1\r\nx\r\n") == b"SERVER_ERROR backend failure\r\n"
            stats = call(s, b"stats proxy\r\n").decode()
            assert f"main:127.0.0.1:{port}:timeouts 2" in stats
            assert f"main:127.0.0.1:{port}:ejections 0" in stats  # failure limit 0: never
    finally:
        silent.close()


@pytest.fixture(scope="module")
def one():
    need_binaries()
    with upstreams(1) as ups:
        yield ups[0]


def test_in_flight_bound_sheds_with_retry_hint(one, tmp_path):
    yaml = f"""\
proxy:
  max_in_flight: 1k
  pools:
    main:
      servers: ["{addr(one)}"]
"""
    keys = [f"{i}" + "k" * 240 for i in range(6)]  # ~260 request bytes each: the 5th is past 1k
    sets = b"".join(f"set {k} 0 0 1\r\nx\r\n".encode() for k in keys)
    with proxy(tmp_path, yaml) as px, px.connect() as s:
        # One read, one round: each set is sent before the next is looked at.
        reply = call(s, sets, until=lambda b: b.count(b"\r\n") == 6)
        assert reply == b"STORED\r\n" * 4 + b"SERVER_ERROR busy, retry in 5 ms\r\n" * 2
        assert call(s, f"get {keys[0]} {keys[5]}\r\n".encode()) == \
            f"VALUE {keys[0]} 0 1\r\nx\r\nEND\r\n".encode()  # the bound frees up


def test_keys_with_control_bytes_and_metrics(one, tmp_path):
    mport = _free_port()
    yaml = f"""\
metrics:
  enabled: true
  listen: 127.0.0.1:{mport}
proxy:
  pools:
    main:
      servers: ["{addr(one)}"]
"""
    with proxy(tmp_path, yaml) as px, px.connect() as s:
        # memcaslap's keys carry bytes < 0x20; the text protocol passes them, meta needs base64.
        assert call(s, b"set k\x10\x01y 3 0 2\r\nhi\r\n") == b"STORED\r\n"
        assert call(s, b"get k\x10\x01y\r\n") == b"VALUE k\x10\x01y 3 2\r\nhi\r\nEND\r\n"
        with one.connect() as d:
            assert call(d, b"get k\x10\x01y\r\n") == b"VALUE k\x10\x01y 3 2\r\nhi\r\nEND\r\n"
        with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5) as r:
            text = r.read().decode()
    label = f'pool="main",server="{addr(one)}"'
    assert f"corecached_proxy_requests_total{{{label}}} 2" in text
    assert f"corecached_proxy_errors_total{{{label}}} 0" in text
    assert f"corecached_proxy_request_duration_seconds_count{{{label}}} 2" in text
    assert "corecached_proxy_in_flight{" in text and "corecached_proxy_ejected_threads{" in text
