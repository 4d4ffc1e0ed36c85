"""libmemcached's memccapable, binary protocol suite (-b): all 27 tests pass (issue #3)."""

import shutil
import subprocess

import pytest

# memccapable 1.1's binary tests, as it prints them (checked against memcached 1.6.18)
BINARY_TESTS = ["noop", "quit", "quitq", "set", "setq", "flush", "flushq", "add", "addq",
                "replace", "replaceq", "delete", "deleteq", "get", "getq", "getk", "getkq",
                "incr", "incrq", "decr", "decrq", "version", "append", "appendq", "prepend",
                "prependq", "stat"]


def _run(exe, srv):
    return subprocess.run([exe, "-b", "-t", "5", "-h", srv.host, "-p", str(srv.port)],
                          capture_output=True, text=True, timeout=120)


def test_memccapable_binary(server):
    exe = shutil.which("memccapable") or shutil.which("memcapable")
    if exe is None:
        pytest.skip("memccapable (libmemcached-tools) not installed")
    # it flushes the server, so give it an instance of its own unless pointed at one
    if server.pid is None:
        proc = _run(exe, server)
    else:
        with server.spawn() as other:
            proc = _run(exe, other)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "FAIL" not in out, out
    passed = {l.split()[1] for l in out.splitlines()
              if l.startswith("binary ") and l.rstrip().endswith("[pass]")}
    assert passed == set(BINARY_TESTS), out
    assert "All tests passed" in out, out
