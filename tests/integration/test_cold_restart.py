"""Cold tier restart (issue #4): SIGTERM writes everything to LMDB and the next start serves it;
after kill -9 the server starts and serves only values that were really written."""

import os
import random
import signal
import tempfile
import threading
import time

import pytest

from conftest import running_server, server_binary
from test_cold_tier import stat_map, value_for, write_data

pytestmark = pytest.mark.skipif(
    os.path.basename(server_binary()).startswith("memcached"), reason="corecached only")


def test_sigterm_then_start_serves_everything():
    rnd = random.Random(8)
    with tempfile.TemporaryDirectory() as d:
        with running_server(server_binary(), "-m", 16, "--cold-tier-path", d) as srv:
            client = srv.client()
            keys = write_data(client, 48 << 20, rnd)
            client.set("ttl", b"short", expire=1)
            client.delete("cold:3")
            del keys["cold:3"]
        time.sleep(1.5)  # "ttl" expires while the server is down
        with running_server(server_binary(), "-m", 16, "--cold-tier-path", d) as srv:
            client = srv.client()
            wrong = [k for k, v in keys.items() if client.get(k) != v]
            assert wrong == [], f"{len(wrong)} of {len(keys)} wrong after restart: {wrong[:5]}"
            assert client.get("cold:3") is None
            assert client.get("ttl") is None
            assert int(stat_map(client)["cold_items"]) > 0


def test_kill_9_under_write_load_then_start():
    with tempfile.TemporaryDirectory() as d:
        with running_server(server_binary(), "-m", 8, "--cold-tier-path", d, check=False) as srv:
            client = srv.client()
            stop = threading.Event()

            def writer():
                c = srv.client()
                i = 0
                try:
                    while not stop.is_set() and i < 100_000:
                        key = f"k9:{i % 2000}"
                        c.set(key, value_for(key, random.choice([100, 5000, 50_000])))
                        i += 1
                except Exception:  # the server is killed under us
                    pass

            thread = threading.Thread(target=writer)
            thread.start()
            write_data(client, 16 << 20, random.Random(9))
            time.sleep(0.5)
            os.kill(srv.pid, signal.SIGKILL)
            stop.set()
            thread.join(timeout=10)
        with running_server(server_binary(), "-m", 8, "--cold-tier-path", d) as srv:
            client = srv.client()
            served = 0
            for i in range(2000):
                key = f"k9:{i}"
                value = client.get(key)
                if value is not None:
                    served += 1
                    assert value in {value_for(key, n) for n in (100, 5000, 50_000)}, key
            for i in range(200):
                key = f"cold:{i}"
                value = client.get(key)
                assert value is None or value == value_for(key, len(value)), key
            client.set("after", b"ok")
            assert client.get("after") == b"ok"
