"""`stats conns` (issue #11), differential against Debian's memcached 1.6.18: for every socket, by
fd, "<fd>:addr", "<fd>:listen_addr" (connections only), "<fd>:state", "<fd>:secs_since_last_cmd";
the listening socket is conn_listening, the asking connection conn_parse_cmd, a watcher
conn_watch, an idle connection the same state on both servers."""

import re
import time

import pytest

from conftest import REFERENCE_BINARY, running_server, server_binary
from helpers import call

STAT_LINE = re.compile(rb"^STAT (\d+):(\w+) (\S+)\r$", re.M)
SETTLE_TIMEOUT = 5.0
# States a connection passes through while its last reply is still going out: a snapshot taken
# then (memcached's own, on a loaded box) is retaken until the connection settles.
IN_FLIGHT = {"conn_parse_cmd", "conn_new_cmd", "conn_write", "conn_mwrite", "conn_swallow"}


def _conns(sock):
    reply = call(sock, b"stats conns\r\n", until=lambda b: b.endswith(b"END\r\n"))
    body = reply[:-len(b"END\r\n")]
    assert all(STAT_LINE.match(l + b"\r") for l in body.split(b"\r\n") if l), reply
    table = {}
    for fd, field, value in STAT_LINE.findall(body.replace(b"\r\n", b"\r\n")):
        table.setdefault(int(fd), []).append((field.decode(), value.decode()))
    return table


def _by_peer(table, sock):
    """The entry whose addr is the peer address of `sock` seen from the server."""
    host, port = sock.getsockname()[:2]
    for fd, fields in table.items():
        if ("addr", f"tcp:{host}:{port}") in fields:
            return fd, dict(fields)
    raise AssertionError(f"no entry for {host}:{port} in {table}")


def _snapshot(srv):
    watcher = srv.connect()
    assert call(watcher, b"watch fetchers\r\n") == b"OK\r\n"
    idle = srv.connect()
    assert call(idle, b"version\r\n").startswith(b"VERSION ")
    asker = srv.connect()
    try:
        table = _conns(asker)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while (time.monotonic() < deadline and
               dict(_by_peer(table, idle)[1])["state"] in IN_FLIGHT):
            time.sleep(0.05)  # the idle connection's last turn is still ending
            table = _conns(asker)
        return table, {name: _by_peer(table, s)[1] for name, s in
                       (("watcher", watcher), ("idle", idle), ("asker", asker))}, srv.port
    finally:
        for s in (watcher, idle, asker):
            s.close()


@pytest.fixture(scope="module")
def snapshots():
    out = []
    for binary in (REFERENCE_BINARY, server_binary()):
        with running_server(binary) as srv:
            out.append(_snapshot(srv))
    return out


def test_fields_and_order(snapshots):
    for table, _, port in snapshots:
        for fd, fields in table.items():
            names = [name for name, _ in fields]
            if dict(fields)["state"] == "conn_listening":
                assert names == ["addr", "state", "secs_since_last_cmd"], (fd, fields)
                assert dict(fields)["addr"] == f"tcp:127.0.0.1:{port}"
            else:
                assert names == ["addr", "listen_addr", "state", "secs_since_last_cmd"], fields
                assert dict(fields)["listen_addr"] == f"tcp:127.0.0.1:{port}"
            assert re.fullmatch(r"\d+", dict(fields)["secs_since_last_cmd"]), fields
    assert list(snapshots[1][0]) == sorted(snapshots[1][0]), "by fd, ascending"


def test_states_match_memcached(snapshots):
    (_, ref, _), (_, ours, _) = snapshots
    assert ref["watcher"]["state"] == ours["watcher"]["state"] == "conn_watch"
    assert ref["asker"]["state"] == ours["asker"]["state"] == "conn_parse_cmd"
    assert ours["idle"]["state"] == ref["idle"]["state"]


def test_listening_sockets_match(snapshots):
    counts = [sum(1 for fields in table.values() if ("state", "conn_listening") in fields)
              for table, _, _ in snapshots]
    assert counts[0] == counts[1] == 1


def test_conns_while_many_connections_on_every_thread():
    with running_server(server_binary(), "-t", "4") as srv:
        socks = [srv.connect() for _ in range(16)]
        try:
            for s in socks:
                assert call(s, b"version\r\n").startswith(b"VERSION ")
            table = _conns(socks[0])
            for s in socks:
                _by_peer(table, s)  # each of the 16, whichever thread serves it
        finally:
            for s in socks:
                s.close()
