"""Integration harness (STYLE.md section 8).

Starts the server under test the way memcached's testapp.c starts memcached:
`<binary> -l 127.0.0.1 -p -1 <extra>` with MEMCACHED_PORT_FILENAME=<tmp>/ports, then reads
`TCP INET: <port>` from that file.

Environment:
  CORECACHED_TEST_SERVER=host:port  use an already-running server (memcached's T_MEMD_USE_DAEMON);
                                    tests that need their own instance are skipped.
  CORECACHED_BINARY=path            binary to start (default <repo>/build/src/corecached).
                                    CORECACHED_BINARY=/usr/bin/memcached proves the tests right.
  CORECACHED_REFERENCE=path         reference server for differential tests
                                    (default /usr/bin/memcached).
  CORECACHED_WARMUP=1               after starting a corecached, send one multi-key get (misses
                                    on every shard) before the test runs. The TSan stage of
                                    tests/run_all.sh sets it: under TSan a fresh server's first
                                    request takes ~0.3 s (runtime set-up), longer than the idle
                                    windows some tests read with.
"""

import contextlib
import itertools
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from helpers import SOCKET_TIMEOUT

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO / "build" / "src" / "corecached"
REFERENCE_BINARY = os.environ.get("CORECACHED_REFERENCE", "/usr/bin/memcached")

START_TIMEOUT = 10.0
STOP_GRACE = 5.0
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "runtime error:", "ThreadSanitizer",
                     "ERROR: LeakSanitizer")

_instance_ids = itertools.count()


def _is_memcached(binary):
    return pathlib.Path(binary).name.startswith("memcached")


class Server:
    """A running server: host, port, pid (None when external), and spawn() for another one."""

    def __init__(self, host, port, binary=None, proc=None, workdir=None, args=()):
        self.host = host
        self.port = port
        self.binary = binary
        self.proc = proc
        self.pid = proc.pid if proc else None
        self.workdir = workdir
        self.args = list(args)
        self.stopped = False

    @property
    def address(self):
        return (self.host, self.port)

    @property
    def is_memcached(self):
        return self.binary is not None and _is_memcached(self.binary)

    def connect(self, timeout=SOCKET_TIMEOUT):
        """A fresh raw TCP socket with a timeout and TCP_NODELAY."""
        s = socket.create_connection(self.address, timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(timeout)
        return s

    def client(self, **kw):
        """A pymemcache client (no_delay=True, always)."""
        from pymemcache.client.base import Client
        kw.setdefault("connect_timeout", SOCKET_TIMEOUT)
        kw.setdefault("timeout", SOCKET_TIMEOUT)
        kw.setdefault("default_noreply", False)  # pymemcache defaults to noreply=True
        return Client(self.address, no_delay=True, **kw)

    @contextlib.contextmanager
    def spawn(self, *extra):
        """Start another instance of the same binary with extra flags (e.g. '-m', '8')."""
        if self.binary is None:
            pytest.skip("CORECACHED_TEST_SERVER set: cannot start an instance with extra flags")
        with running_server(self.binary, *extra) as other:
            yield other

    def stderr_text(self):
        if self.workdir is None:
            return ""
        p = pathlib.Path(self.workdir) / "stderr"
        return p.read_text(errors="replace") if p.exists() else ""

    def __repr__(self):
        return f"Server({self.host}:{self.port}, pid={self.pid}, args={self.args})"


def _start(binary, extra, listen="127.0.0.1"):
    if not os.access(binary, os.X_OK):
        pytest.fail(f"server binary {binary} not found or not executable "
                    f"(set CORECACHED_BINARY or build it first)")
    workdir = tempfile.mkdtemp(prefix=f"cc-it-{next(_instance_ids)}-")
    ports = os.path.join(workdir, "ports")
    args = [str(binary), "-l", listen, "-p", "-1"]
    if _is_memcached(binary) and os.geteuid() == 0:
        args += ["-u", "root"]  # memcached refuses to run as root without -u
    args += [str(a) for a in extra]
    env = dict(os.environ, MEMCACHED_PORT_FILENAME=ports)
    with open(os.path.join(workdir, "stderr"), "wb") as err, \
            open(os.path.join(workdir, "stdout"), "wb") as out:
        proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    server = Server("127.0.0.1", None, binary=str(binary), proc=proc, workdir=workdir, args=args)
    deadline = time.monotonic() + START_TIMEOUT
    port = None
    for _ in range(int(START_TIMEOUT / 0.005) + 1):
        if proc.poll() is not None:
            msg = server.stderr_text()
            shutil.rmtree(workdir, ignore_errors=True)
            pytest.fail(f"{args} exited with {proc.returncode} before writing {ports}:\n{msg}")
        if os.path.exists(ports):
            with open(ports) as f:
                for line in f:
                    if line.startswith("TCP INET:"):
                        port = int(line.split(":", 1)[1])
                        break
            if port:
                break
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    if not port:
        proc.kill()
        proc.wait(timeout=STOP_GRACE)
        msg = server.stderr_text()
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(f"{args} did not write 'TCP INET: <port>' to {ports} in {START_TIMEOUT} s:\n{msg}")
    server.port = port
    return server


def _stop(server):
    """SIGTERM, SIGKILL after 5 s; return (exit status, stderr)."""
    proc = server.proc
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_GRACE)
            rc = "killed after SIGTERM timeout"
            err = server.stderr_text()
            shutil.rmtree(server.workdir, ignore_errors=True)
            return rc, err
    rc = proc.returncode
    err = server.stderr_text()
    shutil.rmtree(server.workdir, ignore_errors=True)
    server.stopped = True
    return rc, err


def check_clean_exit(server, rc, err):
    assert rc == 0, f"{server.args} exit status {rc} after SIGTERM; stderr:\n{err}"
    for marker in SANITIZER_MARKERS:
        assert marker not in err, f"{server.args}: sanitizer report in stderr:\n{err}"


def _warm_up(server):
    keys = " ".join(f"warmup-{i}" for i in range(16))  # 16 keys reach every shard
    with server.connect(timeout=30) as s:
        s.sendall(f"get {keys}\r\n".encode())
        buf = b""
        while not buf.endswith(b"END\r\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk


@contextlib.contextmanager
def running_server(binary, *extra, check=True, listen="127.0.0.1"):
    """`listen` is the -l value (TLS tests add "notls:HOST:PORT" entries to it)."""
    server = _start(binary, extra, listen)
    if os.environ.get("CORECACHED_WARMUP") == "1" and not _is_memcached(binary):
        _warm_up(server)
    try:
        yield server
    finally:
        rc, err = _stop(server)
    if check:
        check_clean_exit(server, rc, err)


def _external_server():
    spec = os.environ.get("CORECACHED_TEST_SERVER")
    if not spec:
        return None
    host, _, port = spec.rpartition(":")
    return Server(host or "127.0.0.1", int(port))


def server_binary():
    return os.environ.get("CORECACHED_BINARY", str(DEFAULT_BINARY))


@pytest.fixture(scope="module")
def server():
    """The server under test; one per test module so modules cannot disturb each other."""
    ext = _external_server()
    if ext is not None:
        yield ext
        return
    with running_server(server_binary()) as s:
        yield s


@pytest.fixture(scope="module")
def reference():
    """Debian's memcached with the same flags, for differential tests."""
    if not os.access(REFERENCE_BINARY, os.X_OK):
        pytest.skip(f"reference server {REFERENCE_BINARY} not installed")
    with running_server(REFERENCE_BINARY) as s:
        yield s


@pytest.fixture
def sock(server):
    s = server.connect()
    yield s
    s.close()


@pytest.fixture
def mc(server):
    c = server.client()
    yield c
    c.close()


@pytest.fixture
def key(request):
    """A key prefix unique to the test (modules share one server)."""
    name = f"{request.module.__name__.removeprefix('test_')}-{request.node.name}"
    safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)
    return f"{safe[:150]}-{os.getpid()}"
