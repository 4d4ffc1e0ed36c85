"""Prometheus metrics (issue #5): GET /metrics on metrics.listen; the figures move as traffic
moves them, and the text is well-formed exposition format 0.0.4."""

import contextlib
import math
import re
import socket
import time
import urllib.error
import urllib.request

import pytest

from helpers import stats

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE_RE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?,?\}})? (\S+)(?: -?\d+)?$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')
HELP_RE = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE_RE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def metered(server, tmp_path_factory):
    """A server with metrics on a free port: (server, scrape URL)."""
    if server.is_memcached:
        pytest.skip("corecached only: Prometheus metrics")
    port = free_port()
    path = tmp_path_factory.mktemp("metrics") / "corecached.yaml"
    path.write_text(f"metrics:\n  enabled: true\n  listen: 127.0.0.1:{port}\n")
    with server.spawn("--config", path, "-t", "3") as srv:
        yield srv, f"http://127.0.0.1:{port}/metrics"


def scrape_text(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain")
        return r.read().decode()


def parse(text):
    """Checks the exposition format line by line; returns ({(name, labels): value}, types)."""
    samples, types, helps = {}, {}, set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            m = HELP_RE.match(line)
            assert m, f"bad HELP line: {line!r}"
            helps.add(m.group(1))
            continue
        if line.startswith("# TYPE "):
            m = TYPE_RE.match(line)
            assert m, f"bad TYPE line: {line!r}"
            assert m.group(1) not in types, f"second TYPE for {m.group(1)}"
            types[m.group(1)] = m.group(2)
            continue
        assert not line.startswith("#"), f"unexpected comment: {line!r}"
        m = SAMPLE_RE.match(line)
        assert m, f"bad sample line: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        float(value)  # raises on a malformed value (NaN and +Inf parse)
        key = (name, frozenset(LABEL_RE.findall(labels)))
        assert key not in samples, f"duplicate sample {line!r}"
        samples[key] = float(value)
    for name in types:
        assert name in helps, f"{name} has TYPE but no HELP"
    return samples, types


def scrape(url):
    return parse(scrape_text(url))[0]


def value(samples, name, **labels):
    return samples[(name, frozenset(labels.items()))]


def total(samples, name):
    return sum(v for (n, _), v in samples.items() if n == name)


def family_types(url):
    return parse(scrape_text(url))[1]


def test_exposition_format_and_types(metered):
    _, url = metered
    types = family_types(url)
    expected = {
        "corecached_commands_total": "counter",
        "corecached_command_results_total": "counter",
        "corecached_read_bytes_total": "counter",
        "corecached_written_bytes_total": "counter",
        "corecached_connections": "gauge",
        "corecached_connections_total": "counter",
        "corecached_items": "gauge",
        "corecached_item_bytes": "gauge",
        "corecached_evictions_total": "counter",
        "corecached_queue_depth": "gauge",
        "corecached_requests_shed_total": "counter",
        "corecached_request_duration_seconds": "histogram",
    }
    for name, kind in expected.items():
        assert types.get(name) == kind, (name, types.get(name))


def test_per_shard_series(metered):
    _, url = metered
    s = scrape(url)
    for name in ("corecached_items", "corecached_item_bytes", "corecached_evictions_total",
                 "corecached_queue_depth", "corecached_requests_shed_total"):
        shards = sorted(dict(labels)["shard"] for (n, labels), _ in s.items() if n == name)
        assert shards == ["0", "1", "2"], (name, shards)


def test_figures_move_with_traffic(metered, key):
    srv, url = metered
    before = scrape(url)
    with contextlib.closing(srv.client()) as mc:
        for i in range(10):
            assert mc.set(f"{key}-{i}", b"x" * 100)
        for i in range(10):
            assert mc.get(f"{key}-{i}") == b"x" * 100
        for i in range(5):
            assert mc.get(f"{key}-miss-{i}") is None
        assert mc.delete(f"{key}-0")
        assert not mc.delete(f"{key}-miss")
        assert mc.set(f"{key}-n", b"1")
        assert mc.incr(f"{key}-n", 5) == 6
        assert mc.incr(f"{key}-miss", 1) is None
        assert mc.decr(f"{key}-n", 1) == 5
        assert mc.touch(f"{key}-1", 100)
        _, cas = mc.gets(f"{key}-2")
        assert mc.cas(f"{key}-2", b"y", cas)
        assert not mc.cas(f"{key}-2", b"z", cas)  # exists: the CAS moved on
        with srv.connect() as sock:
            st = stats(sock)
    after = scrape(url)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("corecached_commands_total", command="set") == 10 + 1 + 2  # sets + cas
    assert moved("corecached_commands_total", command="get") == 16  # 15 gets + 1 gets
    assert moved("corecached_commands_total", command="touch") == 1
    assert moved("corecached_command_results_total", command="get", result="hit") == 11
    assert moved("corecached_command_results_total", command="get", result="miss") == 5
    assert moved("corecached_command_results_total", command="delete", result="hit") == 1
    assert moved("corecached_command_results_total", command="delete", result="miss") == 1
    assert moved("corecached_command_results_total", command="incr", result="hit") == 1
    assert moved("corecached_command_results_total", command="incr", result="miss") == 1
    assert moved("corecached_command_results_total", command="decr", result="hit") == 1
    assert moved("corecached_command_results_total", command="touch", result="hit") == 1
    assert moved("corecached_command_results_total", command="cas", result="stored") == 1
    assert moved("corecached_command_results_total", command="cas", result="exists") == 1
    assert moved("corecached_connections_total") >= 2
    assert moved("corecached_read_bytes_total") > 10 * 100
    assert moved("corecached_written_bytes_total") > 10 * 100
    # Items per shard add up to what `stats` reports.
    assert total(after, "corecached_items") == int(st["curr_items"])
    assert total(after, "corecached_item_bytes") == int(st["bytes"])
    assert total(after, "corecached_items") - total(before, "corecached_items") == 10


def histogram(samples, family):
    buckets = sorted(((float(dict(l)["le"]), v) for (n, l), v in samples.items()
                      if n == "corecached_request_duration_seconds_bucket"
                      and dict(l)["family"] == family))
    count = value(samples, "corecached_request_duration_seconds_count", family=family)
    total_s = value(samples, "corecached_request_duration_seconds_sum", family=family)
    return buckets, count, total_s


def test_latency_histograms(metered, key):
    srv, url = metered
    before = scrape(url)
    with contextlib.closing(srv.client()) as mc:
        for i in range(20):
            mc.set(f"{key}-{i}", b"v")
        for i in range(30):
            mc.get(f"{key}-{i}")
        mc.delete(f"{key}-0")
    after = scrape(url)
    for family, n in (("store", 20), ("get", 30), ("delete", 1)):
        buckets, count, total_s = histogram(after, family)
        _, count_before, sum_before = histogram(before, family)
        assert count - count_before == n, family
        assert total_s > sum_before
        assert buckets[-1][0] == math.inf and buckets[-1][1] == count
        cumulative = [v for _, v in buckets]
        assert cumulative == sorted(cumulative), f"{family}: buckets not cumulative"


def test_connections_gauge(metered):
    srv, url = metered
    # Closes from earlier tests are noticed asynchronously: wait for the gauge to settle.
    before = value(scrape(url), "corecached_connections")
    for _ in range(50):
        time.sleep(0.02)
        now = value(scrape(url), "corecached_connections")
        if now == before:
            break
        before = now
    held = [srv.connect() for _ in range(3)]
    try:
        for s in held:
            s.sendall(b"version\r\n")
            s.recv(100)
        assert value(scrape(url), "corecached_connections") >= before + 3
    finally:
        for s in held:
            s.close()


def test_unknown_path_is_not_metrics(metered):
    _, url = metered
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url.replace("/metrics", "/nope"), timeout=5)


def test_auth_counters(server, tmp_path):
    """corecached_auth_{commands,errors}_total follow stats auth_cmds / auth_errors (issue #6)."""
    if server.is_memcached:
        pytest.skip("corecached only: Prometheus metrics")
    port = free_port()
    users = tmp_path / "users"
    users.write_text("alice:secret\n")
    conf = tmp_path / "corecached.yaml"
    conf.write_text(f"metrics:\n  enabled: true\n  listen: 127.0.0.1:{port}\n"
                    f"auth:\n  file: {users}\n")
    with server.spawn("--config", conf) as srv:
        url = f"http://127.0.0.1:{port}/metrics"
        before = scrape(url)
        assert total(before, "corecached_auth_commands_total") == 0
        assert total(before, "corecached_auth_errors_total") == 0
        for login in (b"alice wrong", b"alice secret"):
            with srv.connect() as s:
                s.sendall(b"set u 0 0 %d\r\n%s\r\n" % (len(login), login))
                s.recv(100)
        after = scrape(url)
        assert total(after, "corecached_auth_commands_total") == 2
        assert total(after, "corecached_auth_errors_total") == 1
        with srv.connect() as s:
            s.sendall(b"set u 0 0 12\r\nalice secret\r\n")
            assert s.recv(100) == b"STORED\r\n"
            st = stats(s)
        assert int(st["auth_errors"]) == 1
