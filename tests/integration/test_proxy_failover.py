"""Proxy mode (issue #13): an upstream server stops mid-run. Its keys answer SERVER_ERROR until
it is ejected (server_failure_limit), then miss and refill on the rest of the ring; other keys
are unaffected; after server_retry_timeout_ms it rejoins and its keys go back to it."""

import time

import pylibmc
import pytest

from helpers import call, wait_for
from proxy_fleet import addr, need_binaries, proxy, restart_upstream, stop, upstreams

RETRY_MS = 1500


def test_stopped_server_ejected_then_rejoins(tmp_path):
    need_binaries()
    with upstreams(3) as fleet:
        servers = ", ".join(f'"{addr(s)}"' for s in fleet)
        yaml = f"""\
proxy:
  pools:
    main:
      servers: [{servers}]
      timeout_ms: 300
      server_failure_limit: 2
      server_retry_timeout_ms: {RETRY_MS}
      connections_per_server: 1
"""
        with proxy(tmp_path, yaml) as px:
            _run(fleet, px)


def _owner_keys(fleet, owner, n=4):
    ring = pylibmc.Client([addr(s) for s in fleet], behaviors={"ketama": True})
    ring.set_multi({f"probe{i}": "x" for i in range(200)})
    held = set(pylibmc.Client([addr(fleet[owner])]).get_multi([f"probe{i}" for i in range(200)]))
    return sorted(held)[:n]


def _run(fleet, px):
    victim_keys = _owner_keys(fleet, 1)
    other_keys = _owner_keys(fleet, 0, n=2)
    with px.connect() as s:
        for k in victim_keys + other_keys:
            assert call(s, f"set {k} 0 0 2\r\nv1\r\n".encode()) == b"STORED\r\n"
        stop(fleet[1])
        # Until ejection: SERVER_ERROR (a refused connect counts once per attempt).
        first = call(s, f"get {victim_keys[0]}\r\n".encode())
        assert first == b"SERVER_ERROR backend failure\r\n"
        for k in other_keys:
            assert call(s, f"get {k}\r\n".encode()) == f"VALUE {k} 0 2\r\nv1\r\nEND\r\n".encode()
        replies = []
        for _ in range(20):
            replies.append(call(s, f"get {victim_keys[1]}\r\n".encode()))
            if replies[-1] == b"END\r\n":
                break
            time.sleep(0.06)  # past the reconnect backoff, so the next try really connects
        assert replies[-1] == b"END\r\n", replies  # ejected: the key now misses on the rest
        assert set(replies[:-1]) <= {b"SERVER_ERROR backend failure\r\n"}
        # Refill on the rest of the ring; the value lives on a surviving server.
        assert call(s, f"set {victim_keys[1]} 0 0 2\r\nv2\r\n".encode()) == b"STORED\r\n"
        assert call(s, f"get {victim_keys[1]}\r\n".encode()) == \
            f"VALUE {victim_keys[1]} 0 2\r\nv2\r\nEND\r\n".encode()
        survivors = [pylibmc.Client([addr(fleet[i])]) for i in (0, 2)]
        assert sum(c.get(victim_keys[1]) is not None for c in survivors) == 1
        for k in other_keys:
            assert call(s, f"get {k}\r\n".encode()) == f"VALUE {k} 0 2\r\nv1\r\nEND\r\n".encode()
        stats = call(s, b"stats proxy\r\n").decode()
        assert f"main:{addr(fleet[1])}:ejections 1" in stats
        # Rejoin: the server is back on its port; after the retry timeout its keys go to it.
        back = restart_upstream(fleet[1])
        try:
            direct = pylibmc.Client([addr(back)])
            key = victim_keys[2]

            def lands_on_victim():
                call(s, f"set {key} 0 0 2\r\nv3\r\n".encode())
                return direct.get(key) is not None
            wait_for(lands_on_victim, "the restarted server to rejoin the ring",
                     timeout=RETRY_MS / 1000 + 3)
        finally:
            stop(back)
