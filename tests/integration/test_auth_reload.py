"""SIGHUP re-reads the auth file (issue #6): a user added to the file can log in afterwards, over
text and binary SASL; a file that cannot be read on SIGHUP keeps the old users and is logged."""

import signal
import struct

import pytest

from helpers import call, wait_for

HEADER = struct.Struct(">BBHBBHIIQ")


def sasl_auth(user, password):
    value = b"\0" + user + b"\0" + password
    return HEADER.pack(0x80, 0x21, 5, 0, 0, 0, 5 + len(value), 0, 0) + b"PLAIN" + value


def binary_login(srv, user, password):
    """The status of a SASL PLAIN Auth (0 = authenticated, 0x20 = refused)."""
    with srv.connect() as s:
        s.sendall(sasl_auth(user, password))
        header = b""
        while len(header) < 24:
            chunk = s.recv(24 - len(header))
            assert chunk, "closed before the Auth reply"
            header += chunk
        return HEADER.unpack(header)[5]


def text_login(srv, user, password):
    with srv.connect() as s:
        data = user + b" " + password
        return call(s, b"set u 0 0 %d\r\n%s\r\n" % (len(data), data))


@pytest.fixture
def corecached_only(server):
    if server.is_memcached:
        pytest.skip("corecached only: memcached re-reads its auth file on SIGHUP without logging")


def test_sighup_adds_user(server, corecached_only, tmp_path):
    path = tmp_path / "users"
    path.write_bytes(b"alice:secret\n")
    with server.spawn("-Y", str(path)) as srv:
        assert binary_login(srv, b"carol", b"pw3") == 0x20
        assert text_login(srv, b"carol", b"pw3") == b"CLIENT_ERROR authentication failure\r\n"
        path.write_bytes(b"alice:secret\ncarol:pw3\n")
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: binary_login(srv, b"carol", b"pw3") == 0, "carol accepted after SIGHUP")
        assert text_login(srv, b"carol", b"pw3") == b"STORED\r\n"
        assert binary_login(srv, b"alice", b"secret") == 0
        # A user removed from the file is refused after the next SIGHUP.
        path.write_bytes(b"carol:pw3\n")
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: binary_login(srv, b"alice", b"secret") == 0x20, "alice refused")


def test_sighup_with_missing_file_keeps_users(server, corecached_only, tmp_path):
    path = tmp_path / "users"
    path.write_bytes(b"alice:secret\n")
    with server.spawn("-Y", str(path)) as srv:
        path.unlink()
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "auth.file not reloaded" in srv.stderr_text(), "the log line")
        assert str(path) in srv.stderr_text()
        assert binary_login(srv, b"alice", b"secret") == 0
        assert text_login(srv, b"alice", b"secret") == b"STORED\r\n"
        # A directory in its place cannot be read either.
        path.mkdir()
        before = srv.stderr_text().count("auth.file not reloaded")
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: srv.stderr_text().count("auth.file not reloaded") > before, "second log")
        assert binary_login(srv, b"alice", b"secret") == 0
