"""Proxy mode (issue #13): keys land where the clients' own placement puts them.

Three Debian memcached servers; one proxy with four pools over them: libmemcached's ketama
(unweighted and weighted), nutcracker's ketama, libmemcached's modula. pylibmc (libmemcached)
and nutcracker are the oracles: keys set through the proxy are found by them, and the reverse."""

import os
import signal
import subprocess
import time

import pylibmc
import pytest

from helpers import call, wait_for
from proxy_fleet import NUTCRACKER, addr, need_binaries, proxy, upstreams

N = 2000


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    need_binaries()
    with upstreams(3) as ups:
        yield ups


@pytest.fixture(scope="module")
def px(fleet, tmp_path_factory):
    a, b, c = fleet
    servers = f'["{addr(a)}", "{addr(b)}", "{addr(c)}"]'
    weighted = f'["{addr(a, 1)}", "{addr(b, 2)}", "{addr(c, 1)}"]'
    yaml = f"""\
proxy:
  pools:
    main:
      servers: {servers}
    weighted:
      servers: {weighted}
    twem:
      servers: {weighted}
      distribution: ketama_twemproxy
    mod:
      servers: {servers}
      distribution: modula
  default_pool: main
  routes:
    - prefix: "w:"
      pool: weighted
    - prefix: "t:"
      pool: twem
    - prefix: "m:"
      pool: mod
"""
    with proxy(tmp_path_factory.mktemp("px"), yaml) as s:
        yield s


def direct(fleet):
    return [pylibmc.Client([addr(s)]) for s in fleet]


def where(fleet, keys):
    """For each key, the indexes of the upstreams that hold it."""
    found = [set(c.get_multi(keys)) for c in direct(fleet)]
    return {k: [i for i, f in enumerate(found) if k in f] for k in keys}


def flush(fleet):
    for c in direct(fleet):
        c.flush_all()


def through(px):
    return pylibmc.Client([f"127.0.0.1:{px.port}"])


@pytest.mark.parametrize("prefix,weights", [("", False), ("w:", True)])
def test_ketama_matches_pylibmc_both_ways(fleet, px, prefix, weights):
    flush(fleet)
    spec = [addr(s, w) for s, w in zip(fleet, (1, 2, 1))] if weights else [addr(s) for s in fleet]
    client = pylibmc.Client(spec, behaviors={"ketama": True})
    keys = [f"{prefix}k{i}" for i in range(N)]
    through(px).set_multi({k: k for k in keys})
    got = client.get_multi(keys)
    assert len(got) == N, f"{N - len(got)} keys set through the proxy not where pylibmc looks"
    assert all(len(v) == 1 for v in where(fleet, keys).values())
    flush(fleet)
    client.set_multi({k: "r" + k for k in keys})
    got = through(px).get_multi(keys)
    assert len(got) == N and all(v == "r" + k for k, v in got.items())


def test_modula_matches_pylibmc_default(fleet, px):
    flush(fleet)
    client = pylibmc.Client([addr(s) for s in fleet])  # libmemcached's default: modula
    keys = [f"m:{i}" for i in range(N)]
    through(px).set_multi({k: k for k in keys})
    assert len(client.get_multi(keys)) == N


def test_ketama_twemproxy_matches_nutcracker(fleet, px, tmp_path):
    if not os.access(NUTCRACKER, os.X_OK):
        pytest.skip(f"{NUTCRACKER} not installed")
    flush(fleet)
    # nutcracker's servers are named "host:port:weight"; its pool hashes "host:port" (port != 11211).
    listen = _free_port()
    conf = tmp_path / "nutcracker.yml"
    servers = "".join(f"   - {addr(s, w)}\n" for s, w in zip(fleet, (1, 2, 1)))
    conf.write_text(f"alpha:\n  listen: 127.0.0.1:{listen}\n  hash: fnv1a_64\n"
                    f"  distribution: ketama\n  timeout: 1000\n  servers:\n{servers}")
    proc = subprocess.Popen([NUTCRACKER, "-c", str(conf), "-s", str(_free_port()), "-a",
                             "127.0.0.1", "-o", str(tmp_path / "nc.log")])
    try:
        nc = pylibmc.Client([f"127.0.0.1:{listen}"])
        wait_for(lambda: _up(nc), "nutcracker to listen")
        keys = [f"t:{i}:{i * 7919}" for i in range(N)]
        nc.set_multi({k: k for k in keys})
        got = through(px).get_multi(keys)
        assert len(got) == N, f"{N - len(got)} keys set through nutcracker missed by the proxy"
        flush(fleet)
        through(px).set_multi({k: "p" + k for k in keys})
        assert len(nc.get_multi(keys)) == N
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)


def _up(client):
    try:
        client.set("t:probe", "1")
        return True
    except pylibmc.Error:
        return False


def _free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multi_get_across_servers_in_key_order(fleet, px):
    keys = [f"order{i}" for i in range(40)]
    through(px).set_multi({k: f"v{i}" for i, k in enumerate(keys)})
    assert len({i for v in where(fleet, keys).values() for i in v}) == 3  # spans every server
    with px.connect() as s:
        reply = call(s, ("get " + " ".join(reversed(keys)) + " missing\r\n").encode())
    lines = [ln for ln in reply.split(b"\r\n") if ln.startswith(b"VALUE")]
    assert [ln.split()[1].decode() for ln in lines] == list(reversed(keys))
    assert reply.endswith(b"END\r\n")


def test_gets_cas_pass_the_upstream_cas_through(fleet, px):
    with px.connect() as s:
        assert call(s, b"set caskey 0 0 3\r\none\r\n") == b"STORED\r\n"
    owner = where(fleet, ["caskey"])["caskey"][0]
    with fleet[owner].connect() as d:
        cas_direct = int(call(d, b"gets caskey\r\n").split(b"\r\n")[0].split()[4])
    with px.connect() as s:
        reply = call(s, b"gets caskey\r\n")
        assert reply == f"VALUE caskey 0 3 {cas_direct}\r\none\r\nEND\r\n".encode()
        assert call(s, f"cas caskey 0 0 3 {cas_direct + 1000}\r\ntwo\r\n".encode()) == b"EXISTS\r\n"
        assert call(s, f"cas caskey 0 0 3 {cas_direct}\r\ntwo\r\n".encode()) == b"STORED\r\n"
        assert call(s, b"cas nokey 0 0 1 1\r\nx\r\n") == b"NOT_FOUND\r\n"
    assert direct(fleet)[owner].get("caskey") == b"two"


def test_every_command_through_the_proxy(px):
    with px.connect() as s:
        assert call(s, b"set n 5 0 2\r\n10\r\n") == b"STORED\r\n"
        assert call(s, b"incr n 5\r\n") == b"15\r\n"
        assert call(s, b"decr n 20\r\n") == b"0\r\n"
        assert call(s, b"incr nothere 1\r\n") == b"NOT_FOUND\r\n"
        assert call(s, b"add n 0 0 1\r\nx\r\n") == b"NOT_STORED\r\n"
        assert call(s, b"append n 0 0 1\r\n1\r\n") == b"STORED\r\n"
        assert call(s, b"prepend n 0 0 1\r\n9\r\n") == b"STORED\r\n"
        # memcached pads a shrunk counter with spaces ("0 "); the proxy passes its bytes through.
        assert call(s, b"get n\r\n") == b"VALUE n 5 4\r\n90 1\r\nEND\r\n"
        assert call(s, b"touch n 100\r\n") == b"TOUCHED\r\n"
        assert call(s, b"gat 0 n\r\n") == b"VALUE n 5 4\r\n90 1\r\nEND\r\n"
        assert call(s, b"set s 0 0 3\r\nabc\r\n") == b"STORED\r\n"
        assert call(s, b"incr s 1\r\n") == \
            b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
        assert call(s, b"replace n 0 0 1\r\nr\r\n") == b"STORED\r\n"
        assert call(s, b"delete n\r\n") == b"DELETED\r\n"
        assert call(s, b"delete n\r\n") == b"NOT_FOUND\r\n"
        assert call(s, b"set q 0 0 1 noreply\r\nq\r\nget q\r\n") == b"VALUE q 0 1\r\nq\r\nEND\r\n"
        assert call(s, b"mg q v f t\r\n") == b"VA 1 f0 t-1\r\nq\r\n"
        assert call(s, b"ms m 2 T0\r\nhi\r\n") == b"HD\r\n"
        assert call(s, b"md m q\r\nmn\r\n") == b"MN\r\n"
        assert call(s, b"flush_all\r\n") == b"OK\r\n"
        assert call(s, b"get q\r\n") == b"END\r\n"


def test_pipelined_get_set_get_keeps_order_and_meta_ttl(px):
    with px.connect() as s:
        assert call(s, b"set po 0 0 2\r\nv1\r\n") == b"STORED\r\n"
        # One read, one round: the gets around the set must see before and after.
        reply = call(s, b"get po\r\nget po other\r\nset po 0 0 2\r\nv2\r\nget po\r\n",
                     until=lambda b: b.count(b"END\r\n") == 3)
        assert reply == (b"VALUE po 0 2\r\nv1\r\nEND\r\nVALUE po 0 2\r\nv1\r\nEND\r\n"
                         b"STORED\r\nVALUE po 0 2\r\nv2\r\nEND\r\n")
        assert call(s, b"set ttl 0 100 1\r\nx\r\n") == b"STORED\r\n"
        assert call(s, b"mg ttl t v\r\nmg po v\r\nmn\r\n",
                    until=lambda b: b.endswith(b"MN\r\n")) in (
            b"VA 1 t100\r\nx\r\nVA 2\r\nv2\r\nMN\r\n", b"VA 1 t99\r\nx\r\nVA 2\r\nv2\r\nMN\r\n")


def test_binary_protocol_through_the_proxy(px):
    c = pylibmc.Client([f"127.0.0.1:{px.port}"], binary=True)
    c.set("bin", "value", time=0)
    assert c.get("bin") == "value"
    assert c.incr("binn", 1) if c.add("binn", "1") else True
    assert c.get("binn") == "2"
    c.delete("bin")
    assert c.get("bin") is None


def test_stats_proxy_counts_requests(px):
    with px.connect() as s:
        reply = call(s, b"stats proxy\r\n").decode()
    lines = dict(ln.split(" ", 2)[1:] for ln in reply.splitlines() if ln.startswith("STAT "))
    requests = [int(v) for k, v in lines.items() if k.startswith("main:") and
                k.endswith(":requests")]
    assert len(requests) == 3 and all(r > 0 for r in requests)
