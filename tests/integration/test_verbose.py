"""-vv prints each text request and its reply lines on stderr as memcached -vv does (issue #11):
"<fd new auto-negotiating client connection", "<fd <command>", ">fd STORED",
">fd sending key <key>", ">fd END", "<fd connection closed."; `verbosity 2` turns it on at run
time and `verbosity 0` off."""

import re

import pytest

from helpers import call, wait_for


@pytest.fixture
def corecached_only(server):
    if server.binary is None:
        pytest.skip("needs its own instance")


def _lines(srv):
    return srv.stderr_text().splitlines()


@pytest.mark.parametrize("flag", ["-vv", "-vvv"])
def test_vv_prints_requests_and_replies(server, corecached_only, flag):
    with server.spawn(flag) as srv:
        with srv.connect() as s:
            call(s, b"set vv-key 5 0 3\r\nbar\r\n")
            call(s, b"get vv-key vv-miss\r\n")
            call(s, b"bogus\r\n")
        wait_for(lambda: any("connection closed." in x for x in _lines(srv)), "close line")
        text = "\n".join(_lines(srv))
        fd = re.search(r"^<(\d+) new auto-negotiating client connection$", text, re.M)
        assert fd, text
        n = fd.group(1)
        for line in (f"<{n} set vv-key 5 0 3", f">{n} STORED", f"<{n} get vv-key vv-miss",
                     f">{n} sending key vv-key", f">{n} END", f"<{n} bogus", f">{n} ERROR",
                     f"<{n} connection closed."):
            assert line in text.splitlines(), (line, text)
        assert f"<{n} bar" not in text.splitlines()  # data blocks are not commands


def test_verbosity_command_switches_it(server, corecached_only):
    with server.spawn() as srv:
        with srv.connect() as s:
            call(s, b"get quiet-before\r\n")
            assert call(s, b"verbosity 2\r\n") == b"OK\r\n"
            call(s, b"get loud\r\n")
            assert call(s, b"verbosity 0\r\n") == b"OK\r\n"
            call(s, b"get quiet-after\r\n")
        text = srv.stderr_text()
        assert re.search(r"^<\d+ get loud$", text, re.M), text
        assert "quiet-before" not in text and "quiet-after" not in text
