"""YAML configuration (issue #5): every key in a file reaches `stats settings`, bad files are
rejected with exit 2 and the key and line, flags win over the file, --check-config."""

import os
import subprocess

import pytest

from conftest import server_binary
from helpers import stats

MiB = 1 << 20

# Every key of conf/corecached.yaml except listen and port (the harness passes -l and -p, which
# win: see test_flags_win_over_file), each set to a non-default value.
FULL = """\
udp_port: 12345
memory_limit_mb: 48
max_connections: 77
max_item_size: 512k
network_threads: 3
shards: 3
enable_shutdown: true
verbosity: 1
idle_timeout_s: 120
max_connection_output: 2m
log_level: warn
metrics:
  enabled: false
  listen: 127.0.0.1:19999
cold_tier:
  enabled: false
  path: {cold_path}
  max_size: 2g
  high_watermark: 0.75
  low_watermark: 0.5
  on_cold_read: retry
  reader_threads: 5
  inline_reads: false
backpressure:
  max_queue_depth: 1000
  max_queue_delay_ms: 50
"""

# `stats settings` field -> value the file above must produce.
EXPECTED = {
    "udpport": "12345",
    "maxbytes": str(48 * MiB),
    "maxconns": "77",
    "item_size_max": str(512 * 1024),
    "num_threads": "3",
    "num_shards": "3",
    "shutdown_command": "yes",
    "verbosity": "1",
    "idle_timeout": "120",
    "max_connection_output": str(2 * MiB),
    "log_level": "warn",
    "metrics_enabled": "no",
    "metrics_listen": "127.0.0.1:19999",
    "cold_tier_enabled": "no",
    "cold_tier_max_size": str(2 << 30),
    "cold_tier_high_watermark": "0.75",
    "cold_tier_low_watermark": "0.50",
    "cold_tier_on_cold_read": "retry",
    "cold_tier_reader_threads": "5",
    "cold_tier_inline_reads": "no",
    "backpressure_max_queue_depth": "1000",
    "backpressure_max_queue_delay_ms": "50",
}


@pytest.fixture
def skip_memcached(server):
    if server.is_memcached:
        pytest.skip("corecached only: YAML configuration")


def write(tmp_path, text, name="corecached.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run(*args, timeout=10):
    return subprocess.run([server_binary(), *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def settings_of(srv):
    with srv.connect() as s:
        return stats(s, b"settings")


def test_every_key_reaches_stats_settings(server, skip_memcached, tmp_path):
    cold = tmp_path / "cold"
    path = write(tmp_path, FULL.format(cold_path=cold))
    with server.spawn("--config", path) as srv:
        st = settings_of(srv)
    wrong = {k: (st.get(k), v) for k, v in EXPECTED.items() if st.get(k) != v}
    assert not wrong, f"stats settings (got, expected): {wrong}"
    assert st["cold_tier_path"] == str(cold)


def test_flags_win_over_file(server, skip_memcached, tmp_path):
    path = write(tmp_path, "listen: 0.0.0.0\nport: 11211\nmax_connections: 77\n"
                           "memory_limit_mb: 48\nnetwork_threads: 3\n")
    with server.spawn("--config", path, "-c", "55", "-t", "2") as srv:
        st = settings_of(srv)
        assert st["maxconns"] == "55"  # -c beats the file
        assert st["num_threads"] == "2"  # -t beats the file
        assert st["maxbytes"] == str(48 * MiB)  # no flag: the file's value
        assert st["inter"] == "127.0.0.1"  # the harness's -l beats listen: 0.0.0.0
        assert st["tcpport"] == str(srv.port)  # -p -1 beats port: 11211
        assert srv.port != 11211


def test_empty_file_gives_defaults(server, skip_memcached, tmp_path):
    path = write(tmp_path, "")
    with server.spawn("--config", path) as srv:
        st = settings_of(srv)
    assert st["maxconns"] == "1024"
    assert st["maxbytes"] == str(64 * MiB)
    assert st["log_level"] == "info"


BAD_FILES = [
    # (file text, key, line, words in the message)
    ("max_connections: 10\nbogus_key: 1\n", "bogus_key", 2, "unknown key"),
    ("max_connections: 10\nmetrics:\n  enabled: true\n  colour: red\n", "metrics.colour", 4,
     "unknown key"),
    ("port: 11211\nmax_connections: lots\n", "max_connections", 2, ""),
    ("metrics:\n  enabled: maybe\n", "metrics.enabled", 2, "true or false"),
    ("network_threads: 999\n", "network_threads", 1, "between 1 and 256"),
    ("memory_limit_mb: 64\nmax_item_size: 2g\n", "max_item_size", 2, ""),
    ("cold_tier:\n  high_watermark: 1.5\n", "cold_tier.high_watermark", 2, ""),
    ("cold_tier:\n  reader_threads: 0\n", "cold_tier.reader_threads", 2, "between 1 and 64"),
    ("max_item_size: 12q\n", "max_item_size", 1, ""),
]


@pytest.mark.parametrize("text,key,line,words", BAD_FILES,
                         ids=[b[1] + "-" + str(i) for i, b in enumerate(BAD_FILES)])
def test_bad_file_rejected_with_key_and_line(server, skip_memcached, tmp_path, text, key, line,
                                             words):
    path = write(tmp_path, text)
    for flag in ("--config", "--check-config"):
        proc = run(flag, path, "-p", "-1")
        assert proc.returncode == 2, (flag, proc)
        err = proc.stderr.strip()
        assert len(err.splitlines()) == 1, err
        assert err.startswith(f"corecached: {path}:{line}: {key}: "), err
        assert words in err, err


def test_missing_file_rejected(server, skip_memcached, tmp_path):
    path = str(tmp_path / "nope.yaml")
    for flag in ("--config", "--check-config"):
        proc = run(flag, path, "-p", "-1")
        assert proc.returncode == 2, proc
        assert proc.stderr.startswith(f"corecached: {path}: "), proc.stderr
        assert "No such file" in proc.stderr


def test_cross_key_error_from_flags_names_the_key(server, skip_memcached, tmp_path):
    # max_item_size from the file is fine on its own but too big for -m 4 (memcached's 1/2 rule).
    path = write(tmp_path, "max_item_size: 4m\n")
    proc = run("--config", path, "-m", "4", "-p", "-1")
    assert proc.returncode == 2, proc
    assert "max_item_size" in proc.stderr


def test_check_config_good(server, skip_memcached, tmp_path):
    path = write(tmp_path, FULL.format(cold_path=tmp_path / "cold"))
    proc = run("--check-config", path)
    assert proc.returncode == 0, proc
    # Warnings (udp_port is not served) come first; the verdict is the last line.
    assert proc.stdout.strip().splitlines()[-1] == f"{path}: configuration OK"
    assert proc.stderr == ""


def test_shipped_config_is_valid(server, skip_memcached):
    shipped = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "corecached.yaml")
    proc = run("--check-config", os.path.abspath(shipped))
    assert proc.returncode == 0, proc
