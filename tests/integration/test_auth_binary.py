"""Binary-protocol SASL PLAIN with -Y (issue #6): memcached -S's replies, against the users of the
auth file.

The reference is Debian's memcached 1.6.18 started with -S and a Cyrus sasldb holding the same
users (saslpasswd2 from sasl2-bin, SASL_CONF_PATH pointing at a memcached.conf with
`mech_list: plain`). Each session's responses must be equal byte for byte, and both connections
left in the same state (each session ends with a Noop: its reply, or the close).

Known differences, checked on corecached only (see proto/binary_sasl.h): on a connection that is
already authenticated, memcached (Cyrus) refuses the first new Auth with credentials and List
mechanisms drops the authentication; corecached starts over and keeps it. Values over 767 bytes
(RFC 4616's 255-byte parts) fail without being buffered.
"""

import contextlib
import os
import shutil
import socket
import struct
import subprocess

import pylibmc
import pytest

from conftest import REFERENCE_BINARY, running_server
from helpers import SOCKET_TIMEOUT, call, stats

USERS = b"alice:secret\nbob:pw2\n"
HEADER = struct.Struct(">BBHBBHIIQ")
GET, SET, NOOP, VERSION, STAT = 0x00, 0x01, 0x0A, 0x0B, 0x10
LIST, AUTH, STEP = 0x20, 0x21, 0x22


def pkt(op, key=b"", value=b"", extras=b"", opaque=0xDEADBEEF):
    body = len(extras) + len(key) + len(value)
    return HEADER.pack(0x80, op, len(key), len(extras), 0, 0, body, opaque, 0) + extras + key + value


def auth(data, mech=b"PLAIN", op=AUTH):
    return pkt(op, mech, data)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def recv_packet(s):
    """One response packet, or None when the server closed the connection."""
    try:
        header = recv_exact(s, 24)
        if header is None:
            return None
        body = recv_exact(s, HEADER.unpack(header)[6])
    except ConnectionResetError:
        return None
    return None if body is None else header + body


# (request bytes, number of response packets). Every session is followed by a Noop.
SESSIONS = {
    "list": [(pkt(LIST), 1)],
    "get-before-auth": [(pkt(GET, b"foo"), 1)],
    "stat-before-auth": [(pkt(STAT), 1)],
    "unknown-opcode-before-auth": [(pkt(0x55), 1)],
    "long-key-before-auth": [(pkt(GET, b"k" * 300), 1)],
    "auth-then-get": [(auth(b"\0alice\0secret"), 1), (pkt(GET, b"nothere"), 1)],
    "authzid-same": [(auth(b"alice\0alice\0secret"), 1)],
    "authzid-other": [(auth(b"bob\0alice\0secret"), 1)],
    "bad-then-good": [(auth(b"\0alice\0wrong"), 1), (auth(b"\0bob\0pw2"), 1)],
    "bad-then-get": [(auth(b"\0alice\0wrong"), 1), (pkt(GET, b"foo"), 1)],
    "unknown-user": [(auth(b"\0mallory\0secret"), 1)],
    "unknown-mechanism": [(auth(b"\0alice\0secret", mech=b"CRAM-MD5"), 1)],
    "lowercase-mechanism": [(auth(b"\0alice\0secret", mech=b"plain"), 1)],
    "mechanism-with-space": [(auth(b"\0alice\0secret", mech=b"PLAIN "), 1)],
    "mechanism-32": [(auth(b"x", mech=b"P" * 32), 1), (auth(b"\0alice\0secret"), 1)],
    "mechanism-33": [(auth(b"x", mech=b"P" * 33), 1), (auth(b"\0alice\0secret"), 1)],
    "continue-then-step": [(auth(b""), 1), (auth(b"\0alice\0secret", op=STEP), 1)],
    "continue-bad-step-good-step": [(auth(b""), 1), (auth(b"\0alice\0bad", op=STEP), 1),
                                    (auth(b"\0alice\0secret", mech=b"FOO", op=STEP), 1)],
    "continue-empty-step": [(auth(b""), 1), (auth(b"", op=STEP), 1)],
    "continue-list-step": [(auth(b""), 1), (pkt(LIST), 1), (auth(b"\0bob\0pw2", op=STEP), 1)],
    "continue-bad-auth-step": [(auth(b""), 1), (auth(b"\0alice\0bad"), 1),
                               (auth(b"\0alice\0secret", op=STEP), 1)],
    "step-without-auth": [(auth(b"\0alice\0secret", op=STEP), 1)],
    "step-after-success": [(auth(b"\0alice\0secret"), 1), (auth(b"\0alice\0secret", op=STEP), 1)],
    "bad-after-success": [(auth(b"\0alice\0secret"), 1), (auth(b"\0alice\0bad"), 1)],
    "no-nul": [(auth(b"alicesecret"), 1)],
    "one-nul": [(auth(b"\0alicesecret"), 1)],
    "trailing-nul": [(auth(b"\0alice\0secret\0"), 1)],
    "nul-in-password": [(auth(b"\0alice\0sec\0ret"), 1)],
    "empty-authcid": [(auth(b"alice\0\0secret"), 1)],
    "empty-password": [(auth(b"\0alice\0"), 1)],
    "auth-without-key": [(pkt(AUTH, b"", b"\0alice\0secret"), 1)],
    "auth-with-extras": [(pkt(AUTH, b"PLAIN", b"\0alice\0secret", extras=b"\0\0\0\0"), 1)],
    "list-with-key": [(pkt(LIST, b"x"), 1)],
    "list-with-body": [(pkt(LIST, b"", b"x"), 1)],
    "pipelined": [(auth(b"\0alice\0secret") + pkt(SET, b"k", b"v", extras=b"\0" * 8)
                   + pkt(GET, b"k") + pkt(0x55), 4)],
}


def run_session(srv, exchanges):
    out = []
    with socket.create_connection(srv.address, timeout=SOCKET_TIMEOUT) as s:
        for data, count in exchanges + [(pkt(NOOP, opaque=0x5E5E5E5E), 1)]:
            try:
                s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                out.append("closed")
                break
            replies = [recv_packet(s) for _ in range(count)]
            # CAS values differ between servers; 0 stays 0.
            out.append([r if r is None or r[16:24] == b"\0" * 8 else r[:16] + b"cas" + r[24:]
                        for r in replies])
            if None in replies:
                break
    return out


@pytest.fixture(scope="module")
def authfile(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "users"
    path.write_bytes(USERS)
    return str(path)


@pytest.fixture(scope="module")
def authed(server, authfile):
    if server.is_memcached:
        pytest.skip("memcached serves binary SASL only with -S and Cyrus SASL, not with -Y")
    with server.spawn("-Y", authfile) as s:
        yield s


@contextlib.contextmanager
def _env(**values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.fixture(scope="module")
def reference_sasl(tmp_path_factory):
    saslpasswd2 = shutil.which("saslpasswd2") or "/usr/sbin/saslpasswd2"
    if not os.access(REFERENCE_BINARY, os.X_OK) or not os.access(saslpasswd2, os.X_OK):
        pytest.skip("needs Debian's memcached and saslpasswd2 (sasl2-bin)")
    conf = tmp_path_factory.mktemp("sasl")
    db = conf / "sasldb2"
    (conf / "memcached.conf").write_text(f"mech_list: plain\nsasldb_path: {db}\n")
    for line in USERS.decode().split():
        user, password = line.split(":", 1)
        subprocess.run([saslpasswd2, "-p", "-a", "memcached", "-c", "-f", str(db), user],
                       input=password.encode(), check=True, timeout=10)
    with _env(SASL_CONF_PATH=str(conf)), running_server(REFERENCE_BINARY, "-S") as s:
        yield s


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_sasl_matches_memcached(authed, reference_sasl, name):
    assert run_session(authed, SESSIONS[name]) == run_session(reference_sasl, SESSIONS[name])


def test_version_allowed_before_auth(authed):
    with authed.connect() as s:
        s.sendall(pkt(VERSION))
        reply = recv_packet(s)
        assert reply[:2] == b"\x81\x0b" and reply[6:8] == b"\0\0" and reply[24:]
        s.sendall(pkt(NOOP))
        assert recv_packet(s)[6:8] == b"\x00\x20"


def test_reauth_starts_over(authed):
    """Differs from memcached 1.6.18 (see the module docstring)."""
    with authed.connect() as s:
        for data in (auth(b"\0alice\0secret"), pkt(LIST), auth(b"\0bob\0pw2"), pkt(NOOP)):
            s.sendall(data)
            assert recv_packet(s)[6:8] == b"\0\0"


def test_oversized_value_fails_and_is_skipped(authed):
    with authed.connect() as s:
        s.sendall(auth(b"\0alice\0" + b"p" * 4000) + auth(b"\0alice\0secret") + pkt(NOOP))
        assert recv_packet(s)[6:8] == b"\x00\x20"
        assert recv_packet(s)[24:] == b"Authenticated"
        assert recv_packet(s)[6:8] == b"\0\0"


def _client(srv, **kw):
    return pylibmc.Client([f"{srv.host}:{srv.port}"], binary=True,
                          behaviors={"tcp_nodelay": True}, **kw)


def test_pylibmc_with_credentials(authed, key):
    mc = _client(authed, username="alice", password="secret")
    try:
        assert mc.set(key, b"v\x00alue")
        assert mc.get(key) == b"v\x00alue"
        assert mc.incr(key + "-n", 1) if mc.set(key + "-n", "1") else False
        assert mc.get_multi([key, key + "-n"]) == {key: b"v\x00alue", key + "-n": "2"}
        assert mc.delete(key)
    finally:
        mc.disconnect_all()


def test_pylibmc_wrong_password_refused(authed, key):
    mc = _client(authed, username="alice", password="wrong")
    try:
        with pytest.raises(pylibmc.Error):
            mc.set(key, "x")
        with pytest.raises(pylibmc.Error):
            mc.get(key)
    finally:
        mc.disconnect_all()


def test_pylibmc_without_credentials_refused(authed, key):
    mc = _client(authed)
    try:
        with pytest.raises(pylibmc.Error):
            mc.set(key, "x")
    finally:
        mc.disconnect_all()


def _auth_counts(sock):
    st = stats(sock)
    return int(st["auth_cmds"]), int(st["auth_errors"])


def test_auth_stats_count_text_and_binary(authed):
    with authed.connect() as text:
        assert call(text, b"set u 0 0 12\r\nalice secret\r\n") == b"STORED\r\n"
        cmds, errors = _auth_counts(text)
        with authed.connect() as b:
            for data in (auth(b"\0alice\0bad"), auth(b"x", mech=b"FOO"), auth(b""),
                         auth(b"\0bob\0pw2", op=STEP), pkt(LIST)):
                b.sendall(data)
                assert recv_packet(b) is not None
        with authed.connect() as t2:
            assert call(t2, b"set u 0 0 10\r\nbob wrong!\r\n") == \
                b"CLIENT_ERROR authentication failure\r\n"
        # Two failed Auths, one Step that succeeded, one failed text login: List and the Auth
        # that waited for its Step are not counted (memcached 1.6.18).
        assert _auth_counts(text) == (cmds + 4, errors + 3)
        settings = stats(text, b"settings")
        assert settings["auth_enabled_sasl"] == "yes"
        assert settings["auth_enabled_ascii"] == "yes"


def test_text_auth_counts_match_memcached(server, authfile):
    """memcached -Y counts text logins too: a failure and a success are 2 cmds, 1 error."""
    def run(srv):
        with srv.connect() as s:
            call(s, b"set u 0 0 11\r\nalice wrong\r\n")
            call(s, b"set u 0 0 12\r\nalice secret\r\n")
            return _auth_counts(s)
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip("needs Debian's memcached")
    with server.spawn("-Y", authfile) as ours, running_server(REFERENCE_BINARY, "-Y", authfile) as ref:
        assert run(ours) == run(ref) == (2, 1)


def test_no_auth_counters_without_auth(server):
    with server.connect() as s:
        assert _auth_counts(s) == (0, 0)
