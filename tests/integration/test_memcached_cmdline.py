"""memcached's command line, read as memcached reads it (issue #11, item 1 and 4).

Each flag's meaning is checked on corecached and, where memcached 1.6.18 behaves the same, on
Debian's memcached with the same flags (the `binaries` parameter): the same bytes, the same
`stats settings` lines, the same process state. Where the two differ on purpose (exit statuses of
bad flags: memcached 1 or 64, corecached 2; -p 0 alone) the test says so; README "Differences"
has the list.
"""

import os
import pathlib
import pwd
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import time

import pytest

from conftest import REFERENCE_BINARY, running_server, server_binary
from helpers import SANITIZED, SOCKET_TIMEOUT, call, read_all, stats

START_TIMEOUT = 10.0
NOBODY = "nobody"


def _binaries():
    out = [pytest.param(server_binary(), id="corecached")]
    if os.access(REFERENCE_BINARY, os.X_OK):
        out.append(pytest.param(REFERENCE_BINARY, id="memcached"))
    return out


BINARIES = _binaries()


@pytest.fixture(autouse=True)
def _own_instances():
    if os.environ.get("CORECACHED_TEST_SERVER"):
        pytest.skip("CORECACHED_TEST_SERVER set: these tests start their own servers")


def is_memcached(binary):
    return pathlib.Path(binary).name.startswith("memcached")


def root_args(binary):
    """memcached refuses to run as root without -u."""
    return ["-u", "root"] if is_memcached(binary) and os.geteuid() == 0 else []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=START_TIMEOUT, proc=None):
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.01) + 1):
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode} before {what}: "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def stop(proc):
    """SIGTERM, SIGKILL after 5 s; returns (exit status, stderr)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    err = proc.stderr.read() if proc.stderr else b""
    return proc.returncode, err.decode(errors="replace")


def unix_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(SOCKET_TIMEOUT)
    s.connect(path)
    return s


def can_connect_unix(path):
    try:
        unix_connect(path).close()
        return True
    except OSError:
        return False


def tcp_refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


class UnixServer:
    """A server started with -s PATH (no port file: memcached writes none for unix sockets)."""

    def __init__(self, binary, *extra):
        self.dir = tempfile.mkdtemp(prefix="cc-unix-")
        self.path = os.path.join(self.dir, "mc.sock")
        args = [binary, "-s", self.path, *root_args(binary), *extra]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        wait_for(lambda: can_connect_unix(self.path), f"{self.path} to accept", proc=self.proc)

    def close(self):
        rc, err = stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc, err


# ---- -s / -a: unix sockets ----------------------------------------------------------------------

@pytest.mark.parametrize("binary", BINARIES)
def test_unix_socket_serves_pymemcache_and_pylibmc(binary):
    """-s PATH -a 770: the socket has mode 0770, pymemcache and pylibmc store and read over it,
    and a raw text exchange gives memcached's bytes."""
    from pymemcache.client.base import Client
    import pylibmc
    srv = UnixServer(binary, "-a", "770")
    try:
        assert stat.S_IMODE(os.stat(srv.path).st_mode) == 0o770
        mc = Client(srv.path, no_delay=True, connect_timeout=SOCKET_TIMEOUT,
                    timeout=SOCKET_TIMEOUT, default_noreply=False)
        assert mc.set("pm-key", b"pm-value") is True
        lib = pylibmc.Client([srv.path])
        assert lib.set("lib-key", b"lib-value")
        assert lib.get("pm-key") == b"pm-value"
        assert mc.get("lib-key") == b"lib-value"
        assert mc.get_many(["pm-key", "lib-key"]) == {"pm-key": b"pm-value",
                                                      "lib-key": b"lib-value"}
        mc.close()
        with unix_connect(srv.path) as s:
            assert call(s, b"set raw 5 0 2\r\nhi\r\n") == b"STORED\r\n"
            assert call(s, b"get raw\r\n") == b"VALUE raw 5 2\r\nhi\r\nEND\r\n"
            settings = stats(s, b"settings")
            assert settings["domain_socket"] == srv.path
            assert settings["umask"] == "770"
    finally:
        rc, err = srv.close()
    assert rc == 0, err


@pytest.mark.parametrize("binary", BINARIES)
def test_unix_socket_turns_tcp_off(binary):
    """memcached -s "disables network support": -p PORT beside it is not served."""
    port = free_port()
    srv = UnixServer(binary, "-p", str(port))
    try:
        assert tcp_refused(port)
        with unix_connect(srv.path) as s:
            assert call(s, b"mn\r\n") == b"MN\r\n"
    finally:
        rc, err = srv.close()
    assert rc == 0, err


def test_unix_socket_with_port_zero_and_removed_at_exit():
    """-p 0 -s PATH serves the socket; corecached removes the socket file when it stops."""
    srv = UnixServer(server_binary(), "-p", "0")
    path = srv.path
    with unix_connect(path) as s:
        assert call(s, b"version\r\n").startswith(b"VERSION ")
    rc, err = stop(srv.proc)
    assert rc == 0, err
    assert not os.path.exists(path)
    shutil.rmtree(srv.dir, ignore_errors=True)


def test_port_zero_alone_is_refused():
    """memcached -p 0 without -s starts and serves nothing; corecached refuses (exit 2)."""
    proc = subprocess.run([server_binary(), "-p", "0"], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 2, proc
    assert "0 turns TCP off, and no unix_socket" in proc.stderr


# ---- -l: repeated, host:port ---------------------------------------------------------------------

@pytest.mark.parametrize("binary", BINARIES)
def test_repeated_listen_and_host_port(binary):
    """-l 127.0.0.1 (from the harness, with -p -1) and -l 127.0.0.1:PORT: both listen, and
    `stats settings` shows memcached's joined list."""
    port = free_port()
    with running_server(binary, "-l", f"127.0.0.1:{port}") as srv:
        for p in (srv.port, port):
            with socket.create_connection(("127.0.0.1", p), timeout=SOCKET_TIMEOUT) as s:
                assert call(s, b"mn\r\n") == b"MN\r\n"
        with srv.connect() as s:
            assert stats(s, b"settings")["inter"] == f"127.0.0.1,127.0.0.1:{port}"


# ---- -M -C -F -B -R -b: behaviour, byte for byte -------------------------------------------------

@pytest.mark.parametrize("binary", BINARIES)
def test_disable_evictions(binary):
    """-M: a full cache answers SERVER_ERROR out of memory storing object; nothing is evicted and
    every stored key stays readable."""
    value = b"v" * 400_000
    with running_server(binary, "-M", "-m", "2") as srv, srv.connect() as s:
        stored, reply = [], b""
        for i in range(40):
            reply = call(s, b"set m%d 0 0 %d\r\n%s\r\n" % (i, len(value), value))
            if reply != b"STORED\r\n":
                break
            stored.append(i)
        assert reply == b"SERVER_ERROR out of memory storing object\r\n"
        assert stored, "the first value must fit"
        st = stats(s)
        assert st["evictions"] == "0"
        assert st["store_no_memory"] == "1"  # memcached's t/dash-M.t counts these
        for i in stored:
            assert call(s, b"get m%d\r\n" % i).startswith(b"VALUE m%d 0 %d\r\n" % (i, len(value)))
        assert stats(s, b"settings")["evictions"] == "off"


CAS_SCRIPT = (b"cas zz 0 0 1 0\r\ny\r\nset a 0 0 1\r\nx\r\ngets a\r\ncas a 0 0 1 0\r\ny\r\n"
              b"cas a 0 0 1 5\r\nz\r\nget a\r\nmg a c v\r\nms a 1 C0\r\nq\r\nms a 1 C7\r\nq\r\n"
              b"md a C7\r\nset n 0 0 1\r\n1\r\nma n C0\r\nma n C3\r\nmg n c v\r\n"
              b"md a C0\r\nmg a\r\nmn\r\n")


def run_script(srv, script, end=b"MN\r\n"):
    with srv.connect() as s:
        return call(s, script, until=end)


def test_disable_cas_matches_memcached(server, reference):
    """-C: gets shows cas 0, cas and ms C never match an existing item, md/ma C compare with 0,
    binary replies carry CAS 0: the same bytes as memcached -C."""
    if server.is_memcached:
        pytest.skip("corecached against memcached")
    with server.spawn("-C") as ours, reference.spawn("-C") as theirs:
        got = run_script(ours, CAS_SCRIPT)
        assert got == run_script(theirs, CAS_SCRIPT)
        assert b"VALUE a 0 1 0\r\n" in got
        getk = struct.pack(">BBHBBHIIQ", 0x80, 0x0c, 1, 0, 0, 0, 1, 7, 0) + b"n"
        replies = []
        for srv in (ours, theirs):
            with srv.connect() as s:
                replies.append(call(s, getk, until=lambda b: len(b) >= 24 + 4 + 1 + 1))
            with srv.connect() as s:  # the first connection now speaks binary
                assert stats(s, b"settings")["cas_enabled"] == "no"
        assert replies[0] == replies[1]
        assert replies[0][16:24] == b"\0" * 8


FLUSH_SCRIPT = b"set f 0 0 1\r\n1\r\nflush_all\r\nflush_all 0\r\nflush_all noreply\r\nget f\r\nmn\r\n"


def test_disable_flush_all_matches_memcached(server, reference):
    """-F: flush_all is refused (text: CLIENT_ERROR flush_all not allowed, nothing for noreply;
    binary: Auth failure.) and the items stay: the same bytes as memcached -F."""
    if server.is_memcached:
        pytest.skip("corecached against memcached")
    flush = struct.pack(">BBHBBHIIQ", 0x80, 0x08, 0, 0, 0, 0, 0, 9, 0)
    with server.spawn("-F") as ours, reference.spawn("-F") as theirs:
        got = run_script(ours, FLUSH_SCRIPT)
        assert got == run_script(theirs, FLUSH_SCRIPT)
        assert got.count(b"CLIENT_ERROR flush_all not allowed\r\n") == 2
        assert b"VALUE f 0 1\r\n1\r\n" in got
        binary = []
        for srv in (ours, theirs):
            with srv.connect() as s:
                binary.append(call(s, flush, until=lambda b: len(b) >= 24 + 13))
        assert binary[0] == binary[1]
        assert binary[0].endswith(b"Auth failure.")


def test_protocol_binding_matches_memcached(server, reference):
    """-B ascii: a binary packet is read as text (memcached's ERROR lines); -B binary: text is a
    bad binary header and the connection closes without a reply; -B auto serves both."""
    if server.is_memcached:
        pytest.skip("corecached against memcached")
    noop = struct.pack(">BBHBBHIIQ", 0x80, 0x0a, 0, 0, 0, 0, 0, 3, 0)
    text = b"get some-key-to-fill-24-bytes\r\n"
    for mode, send in (("ascii", noop + b"mn\r\n"), ("binary", text), ("auto", noop)):
        got = []
        with server.spawn("-B", mode) as ours, reference.spawn("-B", mode) as theirs:
            for srv in (ours, theirs):
                with srv.connect() as s:
                    s.sendall(send)
                    got.append(read_all(s, idle=0.3))
                    assert stats_settings_via_new_connection(srv, mode)
        assert got[0] == got[1], mode
        if mode == "binary":
            assert got[0] == (b"", True)
        if mode == "auto":
            assert got[0][0][:2] == b"\x81\x0a"


def stats_settings_via_new_connection(srv, mode):
    if mode == "binary":
        return True  # a text `stats` cannot reach a binary-only server
    with srv.connect() as s:
        expected = "auto-negotiate" if mode == "auto" else mode
        return stats(s, b"settings")["binding_protocol"] == expected


@pytest.mark.parametrize("binary", BINARIES)
def test_reqs_per_event_and_backlog(binary):
    """-R 3 -b 77: stats settings shows both; 200 pipelined requests are all answered in order;
    the kernel's listen queue limit (ss Send-Q) is 77."""
    with running_server(binary, "-R", "3", "-b", "77") as srv, srv.connect() as s:
        settings = stats(s, b"settings")
        assert settings["reqs_per_event"] == "3"
        assert settings["tcp_backlog"] == "77"
        batch = b"".join(b"set r%d 0 0 1\r\n%d\r\n" % (i, i % 10) for i in range(100))
        batch += b"".join(b"get r%d\r\n" % i for i in range(100))
        got = call(s, batch, until=b"END\r\n", count=100)
        assert got == b"STORED\r\n" * 100 + b"".join(
            b"VALUE r%d 0 1\r\n%d\r\nEND\r\n" % (i, i % 10) for i in range(100))
        ss = shutil.which("ss")
        if ss:
            out = subprocess.run([ss, "-ltnH", f"sport = :{srv.port}"], capture_output=True,
                                 text=True, timeout=10).stdout.split()
            assert out[2] == "77", out


def test_bad_values_get_memcacheds_messages():
    """Bad values: memcached's sentence in corecached's one error line. memcached exits 1 or 64;
    corecached exits 2 for every bad flag (corecached(8), EXIT STATUS)."""
    cases = [["-t", "0"], ["-c", "0"], ["-R", "0"], ["-B", "foo"], ["-I", "512"],
             ["-f", "0.5"], ["-n", "0"]]
    for args in cases:
        ours = subprocess.run([server_binary(), "-p", "0", "-s", "/nonexistent/x", *args],
                              capture_output=True, text=True, timeout=10)
        assert ours.returncode == 2, (args, ours)
        if not os.access(REFERENCE_BINARY, os.X_OK):
            continue
        theirs = subprocess.run([REFERENCE_BINARY, *root_args(REFERENCE_BINARY), "-p", "0",
                                 "-U", "0", *args], capture_output=True, text=True, timeout=10)
        assert theirs.returncode in (1, 64), (args, theirs)
        first = theirs.stderr.splitlines()[0]
        assert first in ours.stderr, (args, first, ours)


@pytest.mark.parametrize("binary", BINARIES)
def test_ignored_options_warn_and_start(binary):
    """memcached flags for features corecached lacks (-L -r -X, -o slab tuning and the six
    issue #11 named) start the server; corecached warns once for each."""
    flags = ["-L", "-r", "-X", "-o",
             "slab_sizes=96-192-384,no_chunked_items,inline_ascii_resp,no_inline_ascii_resp,"
             "drop_privileges,no_drop_privileges,modern,hashpower=18,tail_repair_time=0",
             "-o", "lru_crawler,lru_maintainer,watcher_logbuf_size=256,slab_chunk_max=512,"
             "track_sizes,no_modern", "-L"]
    if is_memcached(binary):
        flags = ["-L", "-r", "-X", "-o", "no_drop_privileges,hashpower=18,modern,track_sizes"]
    with running_server(binary, *flags) as srv:
        with srv.connect() as s:
            assert call(s, b"mn\r\n") == b"MN\r\n"
        err = srv.stderr_text()
    if not is_memcached(binary):
        for warned in ("-L/--enable-largepages", "-r/--enable-coredumps", "-X/--disable-dumping",
                       "-o slab_sizes", "-o no_chunked_items",
                       "-o inline_ascii_resp", "-o no_inline_ascii_resp", "-o drop_privileges",
                       "-o no_drop_privileges", "-o modern", "-o hashpower", "-o track_sizes"):
            assert err.count(f"{warned}: memcached option not supported") == 1, (warned, err)


# ---- -d -P -u: Debian's /etc/memcached.conf ------------------------------------------------------

def needs_root_and_nobody():
    if os.geteuid() != 0:
        pytest.skip("needs root: -u only drops privileges when started as root")
    try:
        return pwd.getpwnam(NOBODY)
    except KeyError:
        pytest.skip("no user 'nobody' to drop to")


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.split()
    return fields


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def debian_conf_args(text):
    """The flags /usr/share/memcached/scripts/start-memcached takes from /etc/memcached.conf:
    comments stripped, blank lines and `logfile` directives skipped, one flag per line."""
    args = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or not line.startswith("-"):
            continue
        args += line.split(None, 1)
    return args


@pytest.mark.parametrize("binary", BINARIES)
def test_debian_memcached_conf_daemonizes_writes_pid_and_drops_to_user(binary):
    """Debian's /etc/memcached.conf line, `-d -m 64 -p PORT -u nobody -l 127.0.0.1 -P FILE`:
    the command returns 0 once the daemon listens; the daemon is a session leader in /, its
    standard streams on /dev/null, runs as nobody, serves, and its pid file holds its pid.
    corecached removes the pid file when it stops."""
    user = needs_root_and_nobody()
    port = free_port()
    # pytest's tmp_path sits in a directory only root may enter; nobody must reach the pid file.
    top = pathlib.Path(tempfile.mkdtemp(prefix="cc-daemon-"))
    os.chmod(top, 0o755)
    run_dir = top / "run"
    run_dir.mkdir()
    os.chown(run_dir, user.pw_uid, user.pw_gid)  # as Debian's /run/memcached
    pid_file = run_dir / "memcached.pid"
    conf = (f"# memcached default config file\n-d\nlogfile /var/log/memcached.log\n\n"
            f"-m 64\n-p {port}\n-u {NOBODY}\n-l 127.0.0.1\n-P {pid_file}\n"
            f"# -c 1024\n")
    args = debian_conf_args(conf)
    started = subprocess.run([binary, *args], capture_output=True, text=True, timeout=15)
    assert started.returncode == 0, started
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the pid file")
    pid = int(pid_file.read_text())
    try:
        status = proc_status(pid)
        assert status["Uid"] == [str(user.pw_uid)] * 4
        assert status["Gid"] == [str(user.pw_gid)] * 4
        assert os.getsid(pid) == pid
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        for fd in (0, 1, 2):
            assert os.readlink(f"/proc/{pid}/fd/{fd}") == "/dev/null"
        with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as s:
            assert call(s, b"set d 0 0 2\r\nok\r\n") == b"STORED\r\n"
            assert call(s, b"get d\r\n") == b"VALUE d 0 2\r\nok\r\nEND\r\n"
            assert stats(s)["pid"] == str(pid)  # memcached's t/daemonize.t
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pid_alive(pid), "the daemon to stop")
    if not is_memcached(binary):
        assert not pid_file.exists()
    shutil.rmtree(top, ignore_errors=True)


def test_daemon_start_failure_reaches_the_caller(tmp_path):
    """-d with a port already taken: the command exits 71 with the bind error on its stderr."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = subprocess.run([server_binary(), "-d", "-l", "127.0.0.1", "-p", str(port),
                               "-P", str(tmp_path / "x.pid")],
                              capture_output=True, text=True, timeout=15)
    assert proc.returncode == 71, proc
    assert f"failed to listen on TCP port {port}" in proc.stderr
    assert not (tmp_path / "x.pid").exists()


@pytest.mark.parametrize("binary", BINARIES)
def test_unknown_user_exits_67(binary):
    """-u with a user that does not exist: memcached's message and EX_NOUSER (67)."""
    needs_root_and_nobody()
    proc = subprocess.run([binary, "-l", "127.0.0.1", "-p", str(free_port()), "-U", "0",
                           "-u", "no-such-user-cc11"], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 67, proc
    assert "can't find the user no-such-user-cc11 to switch to" in proc.stderr


def test_started_through_debians_start_memcached_script(tmp_path):
    """A copy of Debian's start-memcached (its memcached path pointed at corecached) starts the
    server from a memcached.conf: the script double-forks, writes its own pid file, and the
    server logs to the conf's logfile."""
    script = pathlib.Path("/usr/share/memcached/scripts/start-memcached")
    if not script.exists() or not shutil.which("perl"):
        pytest.skip("Debian's memcached package (start-memcached) or perl is not installed")
    if os.geteuid() != 0:
        pytest.skip("start-memcached runs only as root")
    text = script.read_text()
    marker = 'my $memcached = "/usr/bin/memcached";'
    assert marker in text
    copy = tmp_path / "start-corecached"
    copy.write_text(text.replace(marker, f'my $memcached = "{server_binary()}";'))
    port = free_port()
    log = tmp_path / "corecached.log"
    conf = tmp_path / "memcached.conf"
    conf.write_text(f"-d\nlogfile {log}\n-m 64\n-p {port}\n-l 127.0.0.1\n-c 1024 # conns\n")
    script_pid = tmp_path / "script.pid"
    proc = subprocess.run(["perl", str(copy), str(conf), str(script_pid)], capture_output=True,
                          text=True, timeout=15)
    assert proc.returncode == 0, proc
    wait_for(lambda: script_pid.exists() and script_pid.read_text().strip(), "the script's pid")
    pid = int(script_pid.read_text())
    try:
        wait_for(lambda: not tcp_refused(port), "the server to listen")
        assert os.readlink(f"/proc/{pid}/exe") == os.path.realpath(server_binary())
        with socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT) as s:
            settings = stats(s, b"settings")
        assert settings["tcpport"] == str(port)
        assert settings["maxconns"] == "1024"
        wait_for(lambda: log.exists() and "listening on" in log.read_text(), "the log line")
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not pid_alive(pid), "the server to stop")


@pytest.mark.parametrize("binary", BINARIES)
def test_lock_memory(binary):
    """-k: mlockall; the process's VmLck is non-zero (memcached does the same)."""
    if SANITIZED:
        pytest.skip("mlockall(MCL_FUTURE) would lock the sanitizer's shadow memory")
    if os.geteuid() != 0:
        pytest.skip("needs root (RLIMIT_MEMLOCK is small for other users)")
    with running_server(binary, "-k") as srv:
        assert int(proc_status(srv.pid)["VmLck"][0]) > 0


# ---- --print-yaml ------------------------------------------------------------------------------

def test_print_yaml_round_trip(tmp_path):
    """--print-yaml with Debian's flags prints a corecached.yaml; started with it, the server has
    the same `stats settings` as when started with the flags."""
    flags = ["-m", "32", "-c", "500", "-t", "2", "-R", "7", "-b", "99", "-M", "-C", "-F",
             "-I", "2m", "-o", "idle_timeout=11"]
    out = subprocess.run([server_binary(), *flags, "--print-yaml"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0, out
    path = tmp_path / "corecached.yaml"
    path.write_text(out.stdout)
    check = subprocess.run([server_binary(), "--check-config", str(path)], capture_output=True,
                           text=True, timeout=10)
    assert check.returncode == 0, check
    settings = []
    for extra in (flags, ["--config", str(path)]):
        with running_server(server_binary(), *extra) as srv, srv.connect() as s:
            got = stats(s, b"settings")
            got.pop("tcpport")
            settings.append(got)
    assert settings[0] == settings[1]
    assert settings[0]["maxbytes"] == str(32 << 20)
    assert settings[0]["reqs_per_event"] == "7"
    assert settings[0]["evictions"] == "off"
