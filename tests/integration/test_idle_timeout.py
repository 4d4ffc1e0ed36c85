"""idle_timeout (issue #6): `-o idle_timeout=N` (memcached's flag) and YAML `idle_timeout_s` close a
connection idle for N seconds; an active connection is never closed; the default (0) never closes.

Oracle: Debian's memcached 1.6.18 with -o idle_timeout=2 closes an idle connection silently (EOF,
no message) 3 to 4 s after its last command (its idle kicker thread checks with whole-second
clocks), keeps a client that sends a command every 0.4 s open, and counts `idle_kicks` in `stats`.
corecached closes after N s (a read deadline per connection), also silently, and counts
idle_kicks. Both are run side by side and must close the idle client between N - 0.2 s and
N + 3 s. One documented difference: memcached never kicks a connection that stopped in the middle
of a value (state conn_nread); corecached's deadline covers any wait for the client's bytes, so a
half-sent value cannot pin a connection either (checked below for corecached only).
Run time ~7 s (all servers observed at once).
"""

import select
import time

import pytest

from helpers import call, stats

N = 2
WATCH_SECONDS = 6.5
ACTIVE_PERIOD = 0.4


def observe(idle, active, seconds):
    """Watches `idle` sockets for the server's close (returns {sock: seconds to EOF}) while every
    `active` socket does a version round trip each ACTIVE_PERIOD s (they must all stay served)."""
    start = time.monotonic()
    closed_at = {}
    next_active = start
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        if now >= next_active:
            for s in active:
                got = call(s, b"version\r\n")
                assert got.startswith(b"VERSION "), \
                    f"active connection lost after {now - start:.1f} s: {got!r}"
            next_active = now + ACTIVE_PERIOD
        waiting = [s for s in idle if s not in closed_at]
        if not waiting:
            if not active:
                break
            time.sleep(max(0.0, next_active - time.monotonic()))
            continue
        readable, _, _ = select.select(waiting, [], [], max(0.01, next_active - time.monotonic()))
        for s in readable:
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            assert data == b"", f"idle connection got bytes instead of a silent close: {data!r}"
            closed_at[s] = time.monotonic() - start
    return closed_at


def test_idle_closed_active_kept_default_never(server, reference, tmp_path):
    conf = tmp_path / "idle.yaml"
    conf.write_text(f"idle_timeout_s: {N}\n")
    with server.spawn("-o", f"idle_timeout={N}") as by_flag, \
            server.spawn("--config", str(conf)) if not server.is_memcached else \
            server.spawn("-o", f"idle_timeout={N}") as by_yaml, \
            server.spawn() as by_default, \
            reference.spawn("-o", f"idle_timeout={N}") as oracle:
        timed = {"flag": by_flag, "yaml": by_yaml, "memcached": oracle}
        idle = {name: srv.connect() for name, srv in timed.items()}
        active = {name: srv.connect() for name, srv in timed.items()}
        never = by_default.connect()
        mid_value = None if server.is_memcached else by_flag.connect()
        socks = list(idle.values()) + list(active.values()) + [never] + \
            ([mid_value] if mid_value else [])
        try:
            for s in list(idle.values()) + [never]:
                assert call(s, b"version\r\n").startswith(b"VERSION ")
            if mid_value:
                mid_value.sendall(b"set idle-half 0 0 10\r\nabc")
            watched = list(idle.values()) + [never] + ([mid_value] if mid_value else [])
            closed_at = observe(watched, list(active.values()), WATCH_SECONDS)
            for name, s in idle.items():
                assert s in closed_at, f"{name}: idle connection open after {WATCH_SECONDS} s"
                assert N - 0.2 <= closed_at[s] <= N + 3, f"{name}: closed after {closed_at[s]:.2f} s"
            assert never not in closed_at, f"idle_timeout 0 closed a connection ({closed_at[never]:.2f} s)"
            assert call(never, b"version\r\n").startswith(b"VERSION ")
            if mid_value:
                assert mid_value in closed_at, "a half-sent value kept the connection past idle_timeout"
                assert N - 0.2 <= closed_at[mid_value] <= N + 3, closed_at[mid_value]
            for name, srv in timed.items():
                with srv.connect() as s:
                    st = stats(s)
                    assert int(st["idle_kicks"]) >= 1, (name, st["idle_kicks"])
                    assert stats(s, b"settings")["idle_timeout"] == str(N), name
                    assert call(s, b"get idle-half\r\n") == b"END\r\n", name
            with by_default.connect() as s:
                assert stats(s, b"settings")["idle_timeout"] == "0"
                # memcached omits idle_kicks when idle_timeout is 0; corecached shows 0.
                assert int(stats(s).get("idle_kicks", "0")) == 0
        finally:
            for s in socks:
                s.close()
