"""Proxy-mode harness (issue #13): Debian memcached upstreams and a corecached proxy in front.

Every process is started with the conftest harness (port file, SIGTERM then SIGKILL by PID)."""

import contextlib
import os
import subprocess

import pytest

from conftest import REFERENCE_BINARY, _start, _stop, check_clean_exit, running_server, \
    server_binary

NUTCRACKER = "/usr/sbin/nutcracker"


def need_binaries():
    if os.environ.get("CORECACHED_TEST_SERVER"):
        pytest.skip("proxy tests start their own servers")
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"{REFERENCE_BINARY} not installed")
    if os.path.basename(server_binary()) == "memcached":
        pytest.skip("proxy mode is corecached's")


@contextlib.contextmanager
def upstreams(n):
    """n Debian memcached servers on loopback ports; yields their Server objects."""
    stack = contextlib.ExitStack()
    with stack:
        servers = [stack.enter_context(running_server(REFERENCE_BINARY, "-t", "1", check=False))
                   for _ in range(n)]
        yield servers


def restart_upstream(old):
    """Starts memcached again on a stopped upstream's port (the caller stops it with stop())."""
    return _start(REFERENCE_BINARY, ("-t", "1", "-p", str(old.port)))


def stop(server):
    """Stops a server started by _start/restart_upstream (SIGTERM, then SIGKILL), by its PID."""
    if server.proc.poll() is None:
        _stop(server)


def addr(server, weight=None):
    return f"127.0.0.1:{server.port}" + (f":{weight}" if weight else "")


@contextlib.contextmanager
def proxy(tmp_path, yaml_text, *extra):
    """A corecached with `yaml_text` as its config file and one network thread (so that one
    thread's ejection state is the whole proxy's)."""
    path = tmp_path / "proxy.yaml"
    path.write_text(yaml_text)
    with running_server(server_binary(), "--config", str(path), "-t", "1", *extra) as s:
        yield s


def check_config(tmp_path, yaml_text):
    path = tmp_path / "check.yaml"
    path.write_text(yaml_text)
    proc = subprocess.run([server_binary(), "--check-config", str(path)], capture_output=True,
                          text=True, timeout=30)
    return proc, str(path)


__all__ = ["NUTCRACKER", "need_binaries", "upstreams", "restart_upstream", "stop", "addr", "proxy",
           "check_config", "check_clean_exit"]
