"""A client can hurt only itself (issue #6): pipelined gets never read, bounded output."""

import socket
import time

from helpers import SOCKET_TIMEOUT, read_all, assert_rss_bound


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_slow_reader_is_bounded_and_dropped(server, tmp_path):
    conf = tmp_path / "c.yaml"
    conf.write_text("slow_client_timeout_s: 2\nmax_connection_output: 1m\n")
    with server.spawn("--config", str(conf)) as srv:
        value = b"v" * 4000
        with srv.connect() as s:
            for i in range(20):
                s.sendall(b"set big%d 0 0 %d\r\n%s\r\n" % (i, len(value), value))
            assert read_all(s, idle=0.3)[0] == b"STORED\r\n" * 20
        base = rss_kib(srv.pid)
        slow = socket.create_connection(srv.address, timeout=SOCKET_TIMEOUT)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.setblocking(False)
        line = b"get " + b" ".join(b"big%d" % i for i in range(20)) + b"\r\n"
        chunk = line * 256
        sent, deadline = 0, time.monotonic() + 20
        while sent < (100 << 20) and time.monotonic() < deadline:
            try:
                sent += slow.send(chunk)
            except BlockingIOError:
                time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                break
        grown = rss_kib(srv.pid) - base
        assert_rss_bound(grown, 64 * 1024, f"RSS grew {grown} KiB with {sent} bytes of unread gets")
        # Others are unaffected meanwhile.
        mc = srv.client()
        mc.set("other", b"ok")
        assert mc.get("other") == b"ok"
        mc.close()
        # The stalled connection is closed after slow_client_timeout.
        slow.setblocking(True)
        slow.settimeout(SOCKET_TIMEOUT)
        closed = False
        end = time.monotonic() + 15
        while time.monotonic() < end and not closed:
            try:
                closed = slow.recv(1 << 20) == b""
            except (ConnectionResetError, BrokenPipeError):
                closed = True
            except socket.timeout:
                break
        slow.close()
        assert closed


def test_disconnect_mid_value_stores_nothing(server):
    with server.connect() as s:
        s.sendall(b"set half 0 0 100\r\n" + b"x" * 50)
    time.sleep(0.2)
    with server.connect() as s:
        s.sendall(b"get half\r\n")
        assert read_all(s, idle=0.2)[0] == b"END\r\n"


def test_garbage_closes_after_many_errors(server):
    with server.connect() as s:
        s.sendall(b"\x01\x02 junk\r\n" * 200)
        data, closed = read_all(s, idle=1.0)
        assert closed and data.count(b"ERROR\r\n") == 64
    mc = server.client()
    mc.set("after_garbage", b"1")
    assert mc.get("after_garbage") == b"1"
    mc.close()
