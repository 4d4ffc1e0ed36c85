"""Signals (issue #5): SIGTERM, SIGINT and SIGUSR1 (memcached's graceful stop, issue #11) stop
gracefully (exit 0, a reply being written is
finished, idle clients do not hold shutdown up); SIGHUP without --config keeps serving."""

import signal
import socket
import subprocess
import time

import pytest

from conftest import STOP_GRACE, running_server, server_binary
from helpers import call, stats, store


@pytest.fixture
def skip_memcached(server):
    if server.is_memcached:
        pytest.skip("corecached only")


def stop(srv, signo):
    srv.proc.send_signal(signo)
    started = time.monotonic()
    rc = srv.proc.wait(timeout=STOP_GRACE)
    return rc, time.monotonic() - started


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT, signal.SIGUSR1],
                         ids=["SIGTERM", "SIGINT", "SIGUSR1"])
def test_stop_signal_exits_zero_with_idle_clients(server, skip_memcached, signo):
    with running_server(server_binary(), check=False) as srv:
        idle = [srv.connect() for _ in range(5)]
        for s in idle:
            assert call(s, b"version\r\n").startswith(b"VERSION ")
        rc, took = stop(srv, signo)
        assert rc == 0, srv.stderr_text()
        assert took < 3.0
        for s in idle:
            s.close()
        assert "shutting down" in srv.stderr_text()


def test_reply_in_flight_is_finished(server, skip_memcached):
    value = b"v" * (900 * 1024)
    with running_server(server_binary(), check=False) as srv:
        with srv.connect() as s:
            store(s, "big", value)
            s.sendall(b"get big\r\n")
            got = s.recv(4096)  # the reply has started; most of it is still to be written
            assert got.startswith(b"VALUE big 0 %d\r\n" % len(value))
            srv.proc.send_signal(signal.SIGTERM)
            expected = len(b"VALUE big 0 %d\r\n" % len(value)) + len(value) + len(b"\r\nEND\r\n")
            s.settimeout(STOP_GRACE)
            while len(got) < expected:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                got += chunk
            assert got.endswith(b"\r\nEND\r\n") and len(got) == expected, len(got)
        assert srv.proc.wait(timeout=STOP_GRACE) == 0


def test_sighup_without_config_keeps_serving(server, skip_memcached):
    with server.spawn() as srv:
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "SIGHUP" not in srv.stderr_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "configuration reloaded, 0 setting(s) changed" in srv.stderr_text()
        with srv.connect() as s:
            assert stats(s)["pid"] == str(srv.pid)


def test_log_lines_have_one_format(server, skip_memcached):
    with server.spawn("-vv") as srv:
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "configuration reloaded" not in srv.stderr_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        lines = srv.stderr_text().splitlines()
    assert len(lines) >= 2, lines  # listening, configuration reloaded
    for line in lines:
        prefix, level, message = line.split(": ", 2)
        assert prefix == "corecached" and level in ("error", "warn", "info", "debug"), line
        assert message, line


def test_metrics_port_in_use_exits_71(server, skip_memcached, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        path = tmp_path / "corecached.yaml"
        path.write_text(f"metrics:\n  enabled: true\n  listen: 127.0.0.1:{port}\n")
        proc = subprocess.run([server_binary(), "-p", "-1", "--config", str(path)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=10)
    assert proc.returncode == 71, proc
    assert f"metrics.listen 127.0.0.1:{port}" in proc.stderr
