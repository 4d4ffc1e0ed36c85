"""Authentication with -Y (issue #6): memcached 1.6's text-protocol auth, byte for byte."""

import os
import socket
import time

import pytest

from conftest import REFERENCE_BINARY, running_server
from helpers import SOCKET_TIMEOUT, read_all

USERS = b"alice:secret\nbob:pw2\n"

# One connection's exchanges: (bytes sent, then everything read until the line goes quiet).
# Each send holds one request: memcached 1.6.18 answers only the first request of a read while
# unauthenticated (the rest waits for the next read); corecached answers them all.
SESSIONS = [
    [b"get foo\r\n", b"version\r\n", b"stats\r\n", b"mn\r\n", b"mg foo v\r\n", b"bogus\r\n",
     b"set foo 0 0 3\r\nbar\r\n", b"quit\r\n", b"get foo\r\n"],
    [b"set x 0 0 10\r\nalice nope\r\n", b"get foo\r\n", b"set x 0 0 12\r\nalice secret\r\n",
     b"set foo 0 0 3\r\nbar\r\n", b"get foo\r\n", b"delete foo\r\n"],
    [b"set x 0 0 5\r\nalice\r\n", b"set x 0 0 abc\r\n", b"setx x 0 0 12\r\n",
     b"set x 0 0 12\r\nalice secretXX", b"get foo\r\n"],
    [b"  set x 0 0 18 noreply\r\nalice secret extra\r\n", b"get nothere\r\n"],
    [b"set k 0 0 10\r\n bob  pw2 \r\n", b"set k 0 0 7\nbob pw2\r\n", b"get k\r\n"],
    [b"set x 0 0 12\r\nmallory evil\r\n", b"set x 0 0 7\r\nbob pw2\r\n", b"get x\r\n"],
]


def run_session(server, exchanges):
    out = []
    with socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as s:
        for data in exchanges:
            s.sendall(data)
            reply, closed = read_all(s, idle=0.15)
            out.append((data, reply, closed))
            if closed:
                break
    return out


@pytest.fixture(scope="module")
def authfile(tmp_path_factory):
    path = tmp_path_factory.mktemp("auth") / "users"
    path.write_bytes(USERS)
    return str(path)


@pytest.fixture(scope="module")
def authed(server, authfile):
    with server.spawn("-Y", authfile) as s:
        yield s


@pytest.fixture(scope="module")
def reference_authed(authfile):
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"reference server {REFERENCE_BINARY} not installed")
    with running_server(REFERENCE_BINARY, "-Y", authfile) as s:
        yield s


@pytest.mark.parametrize("index", range(len(SESSIONS)))
def test_text_flow_matches_memcached(authed, reference_authed, index):
    assert run_session(authed, SESSIONS[index]) == run_session(reference_authed, SESSIONS[index])


def test_refused_before_accepted_after(authed):
    with socket.create_connection(authed.address, timeout=SOCKET_TIMEOUT) as s:
        s.sendall(b"set a 0 0 1\r\nx\r\n")
        assert read_all(s, idle=0.2)[0] == b"CLIENT_ERROR bad authentication token format\r\n"
        s.sendall(b"get a\r\n")
        assert read_all(s, idle=0.2)[0] == b"CLIENT_ERROR unauthenticated\r\n"
        s.sendall(b"set u 0 0 7\r\nbob pw3\r\n")
        assert read_all(s, idle=0.2)[0] == b"CLIENT_ERROR authentication failure\r\n"
        s.sendall(b"set u 0 0 7\r\nbob pw2\r\nset a 0 0 1\r\nx\r\nget a\r\n")
        assert read_all(s, idle=0.2)[0] == b"STORED\r\nSTORED\r\nVALUE a 0 1\r\nx\r\nEND\r\n"


def test_long_unauthenticated_line_closes(authed):
    with socket.create_connection(authed.address, timeout=SOCKET_TIMEOUT) as s:
        s.sendall(b"x" * 3000)
        assert read_all(s, idle=1.0) == (b"", True)


def test_no_auth_without_flag(server):
    with socket.create_connection(server.address, timeout=SOCKET_TIMEOUT) as s:
        s.sendall(b"version\r\n")
        assert read_all(s, idle=0.2)[0].startswith(b"VERSION ")
