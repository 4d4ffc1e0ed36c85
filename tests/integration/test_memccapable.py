"""libmemcached's memccapable, ascii protocol tests only (-a); binary comes later."""

import shutil
import subprocess

import pytest


def test_memccapable_ascii(server):
    exe = shutil.which("memccapable") or shutil.which("memcapable")
    if exe is None:
        pytest.skip("memccapable (libmemcached-tools) not installed")
    # it flushes the server, so give it an instance of its own unless pointed at one
    if server.pid is None:
        proc = subprocess.run([exe, "-a", "-t", "5", "-h", server.host, "-p", str(server.port)],
                              capture_output=True, text=True, timeout=120)
    else:
        with server.spawn() as other:
            proc = subprocess.run([exe, "-a", "-t", "5", "-h", other.host, "-p", str(other.port)],
                                  capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "FAIL" not in out, out
    passed = [l for l in out.splitlines() if l.rstrip().endswith("[pass]")]
    assert len(passed) >= 20, out
    assert "All tests passed" in out, out
