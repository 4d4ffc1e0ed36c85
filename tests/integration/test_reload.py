"""SIGHUP reload (issue #5): max_connections and log_level change at run time and show in
`stats settings`; a bad file keeps the running configuration; a key that needs a restart is
logged, not applied."""

import signal
import time

import pytest

from helpers import call, is_closed, stats, wait_for

MiB = 1 << 20


@pytest.fixture
def skip_memcached(server):
    if server.is_memcached:
        pytest.skip("corecached only: SIGHUP reloads the YAML file")


def settings_of(srv):
    with srv.connect() as s:
        return stats(s, b"settings")


def reload(srv, path, text):
    path.write_text(text)
    srv.proc.send_signal(signal.SIGHUP)


def wait_for_log(srv, text):
    wait_for(lambda: text in srv.stderr_text(), f"{text!r} in stderr:\n{srv.stderr_text()}")


def test_max_connections_changes_and_is_enforced(server, skip_memcached, tmp_path):
    path = tmp_path / "corecached.yaml"
    path.write_text("max_connections: 50\n")
    with server.spawn("--config", path) as srv:
        assert settings_of(srv)["maxconns"] == "50"
        reload(srv, path, "max_connections: 3\n")
        wait_for(lambda: settings_of(srv)["maxconns"] == "3", "maxconns 3")
        # Closes are asynchronous: wait until only the asking connection is open, then a moment.
        wait_for(lambda: _open_connections(srv) == 0, "idle server")
        time.sleep(0.2)
        held = []
        try:
            for _ in range(6):
                s = srv.connect()
                got = call(s, b"version\r\n", until=b"\r\n")
                if not got.startswith(b"VERSION "):
                    assert got == b"ERROR Too many open connections\r\n", got
                    assert is_closed(s)
                    s.close()
                    break
                held.append(s)
            assert len(held) == 3
            # Raising it again lets new connections in at once.
            reload(srv, path, "max_connections: 10\n")
            wait_for_log(srv, "max_connections 3 -> 10")
            with srv.connect() as s:
                assert call(s, b"version\r\n").startswith(b"VERSION ")
        finally:
            for s in held:
                s.close()
        assert settings_of(srv)["maxconns"] == "10"
        st_general = _general(srv)
        assert st_general["max_connections"] == "10"
        assert int(st_general["rejected_connections"]) >= 1


def _general(srv):
    with srv.connect() as s:
        return stats(s)


def _open_connections(srv):
    # Counts the asking connection itself.
    return int(_general(srv)["curr_connections"]) - 1


def test_bad_file_keeps_running_config(server, skip_memcached, tmp_path):
    path = tmp_path / "corecached.yaml"
    path.write_text("max_connections: 40\n")
    with server.spawn("--config", path) as srv:
        reload(srv, path, "max_connections: 5\nbogus_key: 1\n")
        wait_for_log(srv, "configuration not reloaded")
        err = srv.stderr_text()
        line = next(l for l in err.splitlines() if "not reloaded" in l)
        assert line.startswith("corecached: error: "), line
        assert f"{path}:2: bogus_key: unknown key" in line, line
        assert srv.proc.poll() is None
        assert settings_of(srv)["maxconns"] == "40"
        # A good file afterwards is applied.
        reload(srv, path, "max_connections: 41\n")
        wait_for(lambda: settings_of(srv)["maxconns"] == "41", "maxconns 41")


def test_missing_file_on_reload_keeps_running_config(server, skip_memcached, tmp_path):
    path = tmp_path / "corecached.yaml"
    path.write_text("max_connections: 40\n")
    with server.spawn("--config", path) as srv:
        path.unlink()
        srv.proc.send_signal(signal.SIGHUP)
        wait_for_log(srv, "configuration not reloaded")
        assert settings_of(srv)["maxconns"] == "40"
        path.write_text("max_connections: 40\n")  # for a clean shutdown report


def test_unchangeable_keys_are_logged_not_applied(server, skip_memcached, tmp_path):
    path = tmp_path / "corecached.yaml"
    path.write_text("memory_limit_mb: 64\nnetwork_threads: 2\nshards: 2\n")
    with server.spawn("--config", path) as srv:
        reload(srv, path, "memory_limit_mb: 32\nnetwork_threads: 3\nshards: 3\n")
        wait_for_log(srv, "configuration reloaded")
        err = srv.stderr_text()
        for key, before, after in (("memory_limit_mb", 64, 32), ("network_threads", 2, 3),
                                   ("shards", 2, 3)):
            wanted = (f"corecached: warn: SIGHUP: {key} {before} -> {after} cannot change at "
                      f"run time; restart to apply it")
            assert wanted in err, err
        st = settings_of(srv)
        assert st["maxbytes"] == str(64 * MiB)
        assert st["num_threads"] == "2"
        assert st["num_shards"] == "2"


def test_flags_still_win_after_reload(server, skip_memcached, tmp_path):
    path = tmp_path / "corecached.yaml"
    path.write_text("max_connections: 40\n")
    with server.spawn("--config", path, "-c", "30") as srv:
        reload(srv, path, "max_connections: 20\nlog_level: debug\n")
        wait_for(lambda: settings_of(srv)["log_level"] == "debug", "log_level debug")
        assert settings_of(srv)["maxconns"] == "30"


def test_log_level_reload(server, skip_memcached, tmp_path):
    path = tmp_path / "corecached.yaml"
    path.write_text("log_level: info\n")
    with server.spawn("--config", path) as srv:
        reload(srv, path, "log_level: error\n")
        wait_for(lambda: settings_of(srv)["log_level"] == "error", "log_level error")
        # At level error the reload's own info lines are no longer written.
        before = srv.stderr_text()
        reload(srv, path, "log_level: error\nmemory_limit_mb: 32\n")
        time.sleep(0.3)
        assert srv.stderr_text() == before
        reload(srv, path, "log_level: info\n")
        wait_for_log(srv, "SIGHUP: log_level error -> info")
