"""TLS as memcached -Z does it (issue #12): real clients, memcached -Z as the oracle.

Certificates are made at test time (tls_certs.py). Clients: pymemcache with tls_context, Python's
ssl module for byte-exact sessions, and `openssl s_client -quiet` scripted sessions (text, meta,
binary) compared byte for byte with Debian's memcached -Z given the same certificates.
pylibmc has no TLS support (libmemcached is built without it), so it is not used here.
"""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import urllib.request

import pytest

from conftest import REFERENCE_BINARY, running_server, server_binary
from helpers import SANITIZED, SOCKET_TIMEOUT, call, hit, is_closed, read_all, stats, store, wait_for
from tls_certs import OPENSSL, make_certs

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl CLI not installed")

# The bounded server's handshake deadline: short, but not so short that a sanitized (ASan, TSan)
# server misses it for an honest client.
HANDSHAKE_MS = 2000 if SANITIZED else 300


@pytest.fixture(scope="module")
def certs():
    c = make_certs()
    yield c
    shutil.rmtree(c.dir, ignore_errors=True)


def tls_flags(certs, server="server", extra=""):
    opts = f"ssl_chain_cert={certs.crt(server)},ssl_key={certs.key(server)}"
    return ["-Z", "-o", opts + ("," + extra if extra else "")]


def client_context(certs, cert=None, ca="ca"):
    ctx = ssl.create_default_context(cafile=certs.crt(ca))
    if cert is not None:
        ctx.load_cert_chain(certs.crt(cert), certs.key(cert))
    return ctx


def tls_connect(server, ctx, port=None, timeout=SOCKET_TIMEOUT):
    raw = socket.create_connection((server.host, port or server.port), timeout=timeout)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    s.settimeout(timeout)
    return s


def refused(server, ctx):
    """True when the server ends the TLS connection without serving a request."""
    try:
        with tls_connect(server, ctx) as s:
            s.sendall(b"version\r\n")
            return s.recv(4096) == b""
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return True


def tls_stats(server, certs, group=b""):
    with tls_connect(server, client_context(certs)) as s:
        return stats(s, group)


@pytest.fixture(scope="module")
def tls_server(certs):
    with running_server(server_binary(), *tls_flags(certs)) as s:
        yield s


@pytest.fixture(scope="module")
def tls_reference(certs):
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"reference server {REFERENCE_BINARY} not installed")
    with running_server(REFERENCE_BINARY, *tls_flags(certs)) as s:
        yield s


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- clients ----------------------------------------------------------------------------------

def test_pymemcache_over_tls(tls_server, certs):
    c = tls_server.client(tls_context=client_context(certs))
    try:
        assert c.set("tls-pm", b"value", expire=0) is True
        assert c.get("tls-pm") == b"value"
        assert c.add("tls-pm", b"other") is False
        c.set("tls-pm-n", b"41")
        assert c.incr("tls-pm-n", 1) == 42
        big = os.urandom(300 * 1024)  # several TLS records each way
        assert c.set("tls-pm-big", big) is True
        assert c.get("tls-pm-big") == big
        assert c.delete("tls-pm") is True
        assert c.get("tls-pm") is None
    finally:
        c.close()


def s_client(server, data, certs):
    """One scripted `openssl s_client -quiet` session; returns what the server sent."""
    p = subprocess.run(
        [OPENSSL, "s_client", "-quiet", "-connect", f"127.0.0.1:{server.port}",
         "-CAfile", certs.crt("ca"), "-verify_return_error"],
        input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    assert b"verify error" not in p.stderr, p.stderr
    return p.stdout


TEXT_SESSION = (b"set sc-t 5 0 3\r\nabc\r\nget sc-t\r\nappend sc-t 0 0 2\r\nde\r\nget sc-t\r\n"
                b"add sc-t 0 0 1\r\nx\r\nset sc-n 0 0 2\r\n10\r\nincr sc-n 5\r\ndecr sc-n 100\r\n"
                b"incr sc-t 1\r\ntouch sc-n 100\r\ndelete sc-t\r\nget sc-t sc-n\r\nbogus\r\n"
                b"refresh_certs\r\nquit\r\n")
META_SESSION = (b"ms sc-m 3 T0 F7\r\nxyz\r\nmg sc-m v f\r\nmg sc-missing v\r\nmn\r\n"
                b"ma sc-m\r\nms sc-c 1 MA\r\n5\r\nma sc-c D3 v\r\nmd sc-m\r\nmg sc-m v\r\nquit\r\n")


def binary_request(opcode, key=b"", value=b"", extras=b""):
    body = extras + key + value
    return struct.pack(">BBHBBHIIQ", 0x80, opcode, len(key), len(extras), 0, 0, len(body),
                       0xAB, 0) + body


BINARY_SESSION = (binary_request(0x01, b"sc-b", b"bin", struct.pack(">II", 3, 0))  # Set
                  + binary_request(0x00, b"sc-b")  # Get
                  + binary_request(0x00, b"sc-b-missing")
                  + binary_request(0x0A)  # Noop
                  + binary_request(0x04, b"sc-b")  # Delete
                  + binary_request(0x04, b"sc-b")
                  + binary_request(0x07))  # Quit


def mask_binary_cas(data):
    """Zeroes the CAS of each response header: CAS values differ between any two servers."""
    out, pos = bytearray(data), 0
    for _ in range(1000):
        if pos + 24 > len(out):
            break
        body = struct.unpack(">I", bytes(out[pos + 8:pos + 12]))[0]
        out[pos + 16:pos + 24] = bytes(8)
        pos += 24 + body
    return bytes(out)


@pytest.mark.parametrize("name,session", [("text", TEXT_SESSION), ("meta", META_SESSION),
                                          ("binary", BINARY_SESSION)])
def test_s_client_session_matches_memcached(tls_server, tls_reference, certs, name, session):
    ours = s_client(tls_server, session, certs)
    theirs = s_client(tls_reference, session, certs)
    if name == "binary":
        ours, theirs = mask_binary_cas(ours), mask_binary_cas(theirs)
    assert ours, f"{name}: no reply over TLS"
    assert ours == theirs


def test_stats_settings_ssl_keys_match_memcached(tls_server, tls_reference, certs):
    ours = tls_stats(tls_server, certs, b"settings")
    theirs = tls_stats(tls_reference, certs, b"settings")
    keys = [k for k in theirs if k.startswith("ssl_")]
    assert len(keys) >= 11
    assert {k: ours.get(k) for k in keys} == {k: theirs[k] for k in keys}


def test_general_stats_have_memcached_ssl_keys(tls_server, certs):
    ours = tls_stats(tls_server, certs)
    for key in ("ssl_handshake_errors", "time_since_server_cert_refresh"):
        assert key in ours
    assert int(ours["ssl_handshakes"]) >= 1
    assert int(ours["ssl_connections_tlsv1_3"]) >= 1


def test_refresh_certs_without_tls_matches_memcached(server, reference):
    for srv in (server, reference):
        with srv.connect() as s:
            assert call(s, b"refresh_certs\r\n") == b"Error TLS not enabled\r\n"


def test_tls12_when_client_caps_it(tls_server, certs):
    ctx = client_context(certs)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    before = int(tls_stats(tls_server, certs)["ssl_connections_tlsv1_2"])
    with tls_connect(tls_server, ctx) as s:
        assert s.version() == "TLSv1.2"
        assert call(s, b"version\r\n").startswith(b"VERSION ")
    assert int(tls_stats(tls_server, certs)["ssl_connections_tlsv1_2"]) == before + 1


def test_min_version_tlsv13_refuses_tls12(certs):
    with running_server(server_binary(), *tls_flags(certs, extra="ssl_min_version=3")) as srv:
        ctx = client_context(certs)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        assert refused(srv, ctx)
        with tls_connect(srv, client_context(certs)) as s:
            assert s.version() == "TLSv1.3"
        assert tls_stats(srv, certs, b"settings")["ssl_min_version"] == "tlsv1.3"


# ---- start-up errors ---------------------------------------------------------------------------

def start_and_fail(binary, *args):
    extra = ["-u", "root"] if os.path.basename(binary).startswith("memcached") and \
        os.geteuid() == 0 else []
    p = subprocess.run([binary, "-l", "127.0.0.1", "-U", "0", *extra, *args],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=10)
    return p.returncode, p.stderr.decode(errors="replace")


@pytest.mark.parametrize("what", ["cert", "key", "mismatch"])
def test_bad_certificate_at_startup_like_memcached(certs, what):
    missing = os.path.join(certs.dir, "does-not-exist.pem")
    chain = missing if what == "cert" else certs.crt("server")
    key = {"cert": certs.key("server"), "key": missing, "mismatch": certs.key("client1")}[what]
    args = ["-Z", "-o", f"ssl_chain_cert={chain},ssl_key={key}", "-p", "-1"]
    rc, err = start_and_fail(server_binary(), *args)
    line = err.strip().splitlines()[-1]
    assert rc == 64, err
    if os.access(REFERENCE_BINARY, os.X_OK):
        ref_rc, ref_err = start_and_fail(REFERENCE_BINARY, *args)
        assert ref_rc == 64
        assert line.removeprefix("corecached: ") in ref_err.splitlines()


# ---- mutual TLS --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mtls_server(certs):
    extra = f"ssl_verify_mode=2,ssl_ca_cert={certs.crt('ca')}"
    with running_server(server_binary(), *tls_flags(certs, extra=extra)) as s:
        yield s


def test_mutual_tls_accepts_a_client_certificate(mtls_server, certs):
    with tls_connect(mtls_server, client_context(certs, "client1")) as s:
        store(s, "mtls-k", b"v")
        assert call(s, b"get mtls-k\r\n") == hit("mtls-k", b"v")


@pytest.mark.parametrize("cert", [None, "expired", "stranger"])
def test_mutual_tls_refuses_bad_client_certificates(mtls_server, certs, cert):
    # Stats need a client certificate on this server: read them through client1's connection.
    with tls_connect(mtls_server, client_context(certs, "client1")) as s:
        before = int(stats(s)["ssl_handshake_errors"])
        assert refused(mtls_server, client_context(certs, cert))
        wait_for(lambda: int(stats(s)["ssl_handshake_errors"]) == before + 1, "refusal counted")
        assert call(s, b"version\r\n").startswith(b"VERSION ")


def test_allowed_subjects(certs, tmp_path):
    conf = tmp_path / "tls.yaml"
    conf.write_text(
        "tls:\n  enabled: true\n"
        f"  chain_cert: {certs.crt('server')}\n  key: {certs.key('server')}\n"
        f"  ca_cert: {certs.crt('ca')}\n  verify_mode: 2\n"
        "  allowed_subjects:\n    - CN=client1\n")
    with running_server(server_binary(), "--config", str(conf)) as srv:
        with tls_connect(srv, client_context(certs, "client1")) as s:
            assert call(s, b"version\r\n").startswith(b"VERSION ")
            assert refused(srv, client_context(certs, "client2"))
            assert stats(s)["ssl_subject_rejects"] == "1"


# ---- bad input ---------------------------------------------------------------------------------

def error_count(server, certs):
    return int(tls_stats(server, certs)["ssl_handshake_errors"])


def test_plain_text_client_on_tls_port(tls_server, tls_reference, certs):
    # Both close without a byte of reply. memcached's ssl_handshake_errors counts it only some of
    # the time (it depends on whether the request arrived before its first SSL_accept); ours
    # always does.
    for srv in (tls_server, tls_reference):
        with srv.connect() as s:
            s.sendall(b"get foo\r\n")
            assert is_closed(s, timeout=SOCKET_TIMEOUT), srv
    before = error_count(tls_server, certs)
    with tls_server.connect() as s:
        s.sendall(b"get foo\r\n")
        assert is_closed(s, timeout=SOCKET_TIMEOUT)
    wait_for(lambda: error_count(tls_server, certs) == before + 1, "handshake error counted")


def client_hello():
    """The first bytes a real TLS client sends (a ClientHello), taken from Python's ssl."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ssl.create_default_context().wrap_bio(incoming, outgoing, server_hostname="x")
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def test_truncated_handshake(tls_server, certs):
    before = error_count(tls_server, certs)
    hello = client_hello()
    with tls_server.connect() as s:
        s.sendall(hello[:len(hello) // 2])
        s.shutdown(socket.SHUT_WR)
        assert is_closed(s, timeout=SOCKET_TIMEOUT)
    wait_for(lambda: error_count(tls_server, certs) == before + 1, "truncated handshake counted")


def plain_stats(server):
    """Stats through the server's notls: listener (server.plain_port)."""
    with socket.create_connection(("127.0.0.1", server.plain_port), timeout=SOCKET_TIMEOUT) as s:
        return stats(s)


@pytest.fixture(scope="module")
def bounded_server(certs, tmp_path_factory):
    """One network thread, HANDSHAKE_MS deadline, at most 2 handshakes in progress, and a
    plain listener for reading stats while TLS handshakes are stalled."""
    conf = tmp_path_factory.mktemp("tls") / "bounded.yaml"
    conf.write_text(
        "network_threads: 1\n"
        "tls:\n  enabled: true\n"
        f"  chain_cert: {certs.crt('server')}\n  key: {certs.key('server')}\n"
        f"  handshake_timeout_ms: {HANDSHAKE_MS}\n  max_handshakes_per_thread: 2\n")
    plain = free_port()
    with running_server(server_binary(), "--config", str(conf),
                        listen=f"127.0.0.1,notls:127.0.0.1:{plain}") as s:
        s.plain_port = plain
        yield s


def test_client_that_stops_mid_handshake_hits_the_deadline(bounded_server, certs):
    before = plain_stats(bounded_server)
    with bounded_server.connect() as s:
        s.sendall(client_hello())  # and then nothing more
        _, closed = read_all(s, idle=SOCKET_TIMEOUT, timeout=SOCKET_TIMEOUT)
        assert closed  # the server's hello arrives, then the close at the deadline
    after = plain_stats(bounded_server)
    assert int(after["ssl_handshake_timeouts"]) == int(before["ssl_handshake_timeouts"]) + 1


def test_handshake_flood_is_shed(bounded_server, certs):
    before = int(plain_stats(bounded_server)["ssl_handshakes_shed"])
    socks = [bounded_server.connect() for _ in range(8)]
    try:
        # Two stall in their handshake until the HANDSHAKE_MS deadline; the other six are closed at
        # once, without waiting for it.
        wait_for(lambda: int(plain_stats(bounded_server)["ssl_handshakes_shed"]) >= before + 6,
                 "sheds counted", timeout=SOCKET_TIMEOUT)
        assert int(plain_stats(bounded_server)["ssl_handshakes_shed"]) == before + 6
        assert all(is_closed(s, timeout=SOCKET_TIMEOUT) for s in socks)
    finally:
        for s in socks:
            s.close()
    with tls_connect(bounded_server, client_context(certs)) as s:
        assert call(s, b"version\r\n").startswith(b"VERSION ")


# ---- certificate reload ------------------------------------------------------------------------

def peer_serial(server, certs):
    with tls_connect(server, client_context(certs)) as s:
        return s.getpeercert()["serialNumber"]


@pytest.fixture
def reloadable(certs, tmp_path):
    """A server whose certificate files live in tmp_path, so a test can replace them."""
    crt, key = tmp_path / "live.crt", tmp_path / "live.key"
    shutil.copy(certs.crt("server"), crt)
    shutil.copy(certs.key("server"), key)
    flags = ["-Z", "-o", f"ssl_chain_cert={crt},ssl_key={key}"]
    with running_server(server_binary(), *flags) as srv:
        yield srv, crt, key


def serial_of(certs, name):
    out = subprocess.run([OPENSSL, "x509", "-in", certs.crt(name), "-noout", "-serial"],
                         capture_output=True, text=True, check=True, timeout=10).stdout
    return out.strip().split("=", 1)[1].upper()


def test_refresh_certs_swaps_under_a_live_connection(reloadable, certs):
    srv, crt, key = reloadable
    assert peer_serial(srv, certs) == serial_of(certs, "server")
    with tls_connect(srv, client_context(certs)) as live:
        store(live, "rc-k", b"before")
        shutil.copy(certs.crt("server2"), crt)
        shutil.copy(certs.key("server2"), key)
        assert call(live, b"refresh_certs\r\n") == b"OK\r\n"
        # The old connection keeps its session; a new one sees the new certificate.
        assert call(live, b"get rc-k\r\n") == hit("rc-k", b"before")
        assert peer_serial(srv, certs) == serial_of(certs, "server2")
        # A broken certificate keeps the one in use, and says why (reply and log line).
        crt.write_text("not a certificate\n")
        reply = call(live, b"refresh_certs\r\n")
        assert reply.startswith(b"Error loading the certificate chain: " + str(crt).encode())
        assert peer_serial(srv, certs) == serial_of(certs, "server2")
        # Key and certificate that do not match: refused too (memcached would take the new
        # certificate with the old key here and fail every later handshake).
        shutil.copy(certs.crt("server"), crt)
        reply = call(live, b"refresh_certs\r\n")
        assert reply.startswith(b"Error loading the key: "), reply
        assert b"key values mismatch" in reply
        assert peer_serial(srv, certs) == serial_of(certs, "server2")
        st = stats(live)
        assert st["ssl_cert_refreshes"] == "1" and st["ssl_cert_refresh_errors"] == "2"
    assert "refresh_certs: TLS certificates not reloaded" in srv.stderr_text()


def test_sighup_reloads_certificates(reloadable, certs):
    srv, crt, key = reloadable
    with tls_connect(srv, client_context(certs)) as live:
        shutil.copy(certs.crt("server2"), crt)
        shutil.copy(certs.key("server2"), key)
        srv.proc.send_signal(1)  # SIGHUP
        wait_for(lambda: "SIGHUP: TLS certificates reloaded" in srv.stderr_text(), "reload log")
        assert call(live, b"version\r\n").startswith(b"VERSION ")
    assert peer_serial(srv, certs) == serial_of(certs, "server2")


# ---- listeners and metrics ---------------------------------------------------------------------

def test_notls_listener_beside_tls(certs):
    plain = free_port()
    with running_server(server_binary(), *tls_flags(certs),
                        listen=f"127.0.0.1,notls:127.0.0.1:{plain}") as srv:
        with socket.create_connection(("127.0.0.1", plain), timeout=SOCKET_TIMEOUT) as s:
            store(s, "notls-k", b"plain")
        with tls_connect(srv, client_context(certs)) as s:
            assert call(s, b"get notls-k\r\n") == hit("notls-k", b"plain")
        with srv.connect() as s:  # the main port speaks TLS only
            s.sendall(b"get notls-k\r\n")
            assert is_closed(s, timeout=SOCKET_TIMEOUT)


def test_prometheus_counts_tls(certs, tmp_path):
    port = free_port()
    conf = tmp_path / "m.yaml"
    conf.write_text(f"metrics:\n  enabled: true\n  listen: 127.0.0.1:{port}\n")

    def sample(name):
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=SOCKET_TIMEOUT) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[-1])
        raise AssertionError(f"{name} not in /metrics")

    ok = 'corecached_tls_handshakes_total{result="ok"}'
    error = 'corecached_tls_handshakes_total{result="error"}'
    tls13 = 'corecached_tls_connections_total{version="TLSv1.3"}'
    with running_server(server_binary(), "--config", str(conf), *tls_flags(certs)) as srv:
        # Relative: the TSan stage's warm-up request (plain text) is already one error.
        before = {name: sample(name) for name in (ok, error, tls13)}
        with tls_connect(srv, client_context(certs)) as s:
            assert call(s, b"version\r\n").startswith(b"VERSION ")
        with srv.connect() as s:
            s.sendall(b"garbage\r\n")
            assert is_closed(s, timeout=SOCKET_TIMEOUT)
        wait_for(lambda: sample(error) == before[error] + 1, "error handshake in metrics")
        assert sample(ok) == before[ok] + 1
        assert sample(tls13) == before[tls13] + 1


def test_refresh_certs_error_text_matches_memcached(certs, tmp_path):
    """A certificate file that is gone: both servers answer the same error line."""
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"reference server {REFERENCE_BINARY} not installed")
    replies = []
    for i, binary in enumerate((server_binary(), REFERENCE_BINARY)):
        crt, key = tmp_path / f"gone{i}.crt", tmp_path / "live.key"
        shutil.copy(certs.crt("server"), crt)
        shutil.copy(certs.key("server"), key)
        with running_server(binary, "-Z", "-o", f"ssl_chain_cert={crt},ssl_key={key}") as srv:
            with tls_connect(srv, client_context(certs)) as s:
                crt.unlink()
                reply = call(s, b"refresh_certs\r\n")
                assert call(s, b"version\r\n").startswith(b"VERSION ")
        replies.append(reply.replace(str(crt).encode(), b"<crt>"))
    assert replies[0].startswith(b"Error loading the certificate chain: <crt> : error:")
    assert replies[0] == replies[1]
